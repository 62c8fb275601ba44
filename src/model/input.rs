//! The model's inputs: plain numbers in the scenario currency, resolved from a scenario and the
//! catalogs by `scenario::resolve`. Nothing here looks anything up.

use crate::finance::Depreciation;
use crate::profile::Profile;
use crate::timeline::YearMonth;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Input {
    pub name: String,
    pub currency: String,
    pub horizon_months: usize,
    pub start: YearMonth,
    /// Nominal discount rate per year [fraction].
    pub discount_rate: f64,
    /// Yearly escalation of electricity prices [fraction per year].
    pub electricity_escalation_per_year: f64,
    pub workloads: Vec<WorkloadIn>,
    pub options: Vec<OptionIn>,
    /// Index into `options` of the baseline for savings, ROI, payback and IRR.
    pub baseline: usize,
    /// Factor on every workload's demand (1 = as the workloads say).
    pub demand_scale: f64,
    /// Extra growth of every workload's demand [fraction per year], compounding with each
    /// workload's own growth.
    pub demand_growth_per_year: f64,
    /// Each option's cost shown back to teams, with idle owned capacity so (README B1-B4);
    /// `None`: no showback.
    pub showback: Option<super::showback::Idle>,
    /// Income tax on the flows (README TX1-TX4); `None`: every figure before tax.
    pub tax: Option<TaxIn>,
    /// The trend of hardware generations (README G2, G4).
    pub generations: super::generations::Trend,
}

/// The after-tax view (README TX1-TX4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaxIn {
    /// Combined marginal income-tax rate [fraction].
    pub rate: f64,
    /// Deductions save tax at once (the company has other profit); else losses are carried
    /// forward against the project's own income (TX3).
    pub losses_offset_other_income: bool,
}

#[derive(Debug, Clone)]
pub struct WorkloadIn {
    pub name: String,
    /// Demand in the first month [reference-GPU-hours per month].
    pub ref_gpu_hours_per_month: f64,
    pub growth_per_year: f64,
    pub profile: Arc<Profile>,
    /// Pinned on-prem: never served by a cloud.
    pub sensitive: bool,
    /// Longest wait of its load for owned capacity [hours]; 0 = served in its hour or not at
    /// all (README Q1).
    pub max_wait_hours: u32,
    /// Value of a reference GPU-hour of it not delivered [scenario currency]; `None` when the
    /// scenario prices no unserved work (README Q7).
    pub unserved_cost_per_gpu_hour: Option<f64>,
    /// The workload's jobs, when it is given as a job trace (README T1); its load profile then
    /// carries no demand.
    pub trace: Option<Arc<super::trace::TraceIn>>,
    /// The team it is shown back to (README B1); `None`: no team.
    pub team: Option<String>,
    /// The share of a reference GPU one of its jobs needs (README SG1); `None`: its work
    /// flows over whole GPUs.
    pub gpu_fraction: Option<f64>,
}

impl Input {
    /// Whether unserved work has a price: every workload has one (the scenario's, or its own).
    pub fn unserved_priced(&self) -> bool {
        !self.workloads.is_empty()
            && self
                .workloads
                .iter()
                .all(|w| w.unserved_cost_per_gpu_hour.is_some())
    }

    /// The one price of unserved work when every workload has the same (0 when unpriced);
    /// `None` when the prices differ.
    pub fn uniform_unserved_price(&self) -> Option<f64> {
        let mut prices = self
            .workloads
            .iter()
            .map(|w| w.unserved_cost_per_gpu_hour.unwrap_or(0.0));
        let first = prices.next().unwrap_or(0.0);
        prices
            .all(|p| p.to_bits() == first.to_bits())
            .then_some(first)
    }

    /// Whether the model must walk the hours in order (README Q1): some workload may wait, or
    /// unserved work is priced differently by workload. Otherwise load-duration curves answer
    /// everything (M2), and the results are exactly those of a model without queues.
    pub fn hourly(&self) -> bool {
        self.workloads.iter().any(|w| w.max_wait_hours > 0)
            || self.uniform_unserved_price().is_none()
            || self.has_traces()
    }

    /// Whether some option installs other hardware at a refresh than at first, or rides its
    /// cloud's generations (README G1, G4): its capacity, power or cloud rates change over the
    /// horizon.
    pub fn has_generations(&self) -> bool {
        self.options.iter().any(|o| {
            o.owned.as_ref().is_some_and(|w| w.refresh.is_some())
                || o.cloud
                    .as_ref()
                    .is_some_and(|c| c.ride_release_month.is_some())
        })
    }

    /// Whether some workload's jobs need a fraction of a GPU (README SG1).
    pub fn has_fractions(&self) -> bool {
        self.workloads.iter().any(|w| w.gpu_fraction.is_some())
    }

    /// Whether some workload is given as a job trace (README T1).
    pub fn has_traces(&self) -> bool {
        self.workloads.iter().any(|w| w.trace.is_some())
    }

    /// Whether some work may wait for owned capacity: a workload with `max_wait_hours`, or
    /// trace jobs, which queue.
    pub fn has_waits(&self) -> bool {
        self.workloads
            .iter()
            .any(|w| w.max_wait_hours > 0 || w.trace.is_some())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    OnPrem,
    Cloud,
    Hybrid,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OnPrem => "onprem",
            Kind::Cloud => "cloud",
            Kind::Hybrid => "hybrid",
        }
    }
}

#[derive(Debug, Clone)]
pub struct OptionIn {
    pub name: String,
    pub kind: Kind,
    pub owned: Option<OwnedIn>,
    pub cloud: Option<CloudIn>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Financing {
    Cash,
    /// Down payment at purchase, then level monthly payments in arrears.
    Loan {
        annual_rate: f64,
        term_months: u32,
        down_payment: f64,
    },
    /// Level monthly payments in arrears leaving `residual` (fraction of price) to the lessor.
    Lease {
        annual_rate: f64,
        term_months: u32,
        residual: f64,
    },
}

#[derive(Debug, Clone)]
pub struct OwnedIn {
    pub servers: u32,
    pub gpus_per_server: u32,
    /// Throughput of one owned GPU in reference GPUs.
    pub rel_throughput: f64,
    /// Share of hours an installed GPU can serve [0..1].
    pub availability: f64,
    /// Price of one server [scenario currency].
    pub server_price: f64,
    pub max_power_kw: f64,
    pub idle_fraction: f64,
    pub warranty_months: f64,
    pub support_pct_per_year: f64,
    /// [scenario currency per kWh] in the first month.
    pub electricity_per_kwh: f64,
    pub pue: f64,
    /// [scenario currency per kW per month]
    pub colocation_per_kw_month: f64,
    pub grid_co2_g_per_kwh: f64,
    /// Months between purchases (refresh or lease term); `None` keeps the first purchase.
    pub cycle_months: Option<u32>,
    pub financing: Financing,
    pub depreciation: Depreciation,
    /// Depreciation for tax (README TX2); `depreciation` unless the scenario says otherwise.
    pub tax_depreciation: Depreciation,
    /// Resale value at the end of a cycle (or of the horizon without refresh) [fraction of price].
    pub residual_value: f64,
    pub staff_fte_fixed: f64,
    pub staff_fte_per_server: f64,
    /// Loaded cost of one FTE [scenario currency per year].
    pub staff_salary_per_year: f64,
    /// [scenario currency per GPU per year]
    pub software_per_gpu_year: f64,
    /// The order in which trace jobs start (README T4).
    pub scheduler: crate::replay::Policy,
    /// The catalog id of the server of the first purchase.
    pub server_id: Arc<str>,
    /// Months from the scenario's start to the release of the first purchase's accelerator.
    pub release_month: i64,
    /// Refreshes to other hardware than the first purchase (README G1); `None`: every
    /// purchase buys the first one's hardware and servers again.
    pub refresh: Option<Arc<super::generations::Refresh>>,
    /// How its GPUs are shared among jobs that need less than one (README SG2).
    pub sharing: super::sharing::Sharing,
    /// The MIG layout of the first purchase's accelerator; `None` when it has none.
    pub mig: Option<super::sharing::MigProfiles>,
}

impl OwnedIn {
    pub fn gpus(&self) -> f64 {
        f64::from(self.servers) * f64::from(self.gpus_per_server)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Commitment {
    None,
    /// Committed GPUs = ceil(share × mean hourly cloud load at each term start).
    Share(f64),
    Gpus(u32),
}

#[derive(Debug, Clone)]
pub struct CloudIn {
    /// Throughput of one cloud GPU in reference GPUs.
    pub rel_throughput: f64,
    /// [scenario currency per GPU-hour]
    pub on_demand_per_gpu_hour: f64,
    pub spot_per_gpu_hour: f64,
    pub commit_per_gpu_hour: f64,
    pub commitment: Commitment,
    pub commit_term_months: u32,
    /// Share of uncommitted cloud GPU-hours run on spot [0..1].
    pub spot_share: f64,
    /// Extra GPU-hours spent on spot to redo interrupted work [fraction].
    pub spot_overhead: f64,
    pub storage_tb: f64,
    pub storage_per_tb_month: f64,
    pub egress_tb_per_month: f64,
    pub egress_per_tb: f64,
    /// Power drawn per busy cloud GPU, host share included [kW].
    pub power_kw_per_gpu: f64,
    pub pue: f64,
    pub grid_co2_g_per_kwh: f64,
    /// When the option rides its cloud's generations (README G4): months from the scenario's
    /// start to the release of the offer's accelerator; `None`: the offer all along.
    pub ride_release_month: Option<i64>,
    /// The offer that serves the cloud work of fractional workloads (README SG3), without
    /// commitment, storage or egress of its own; `None`: this offer serves all.
    pub fractional: Option<Box<CloudIn>>,
}

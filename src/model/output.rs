//! The model's results: per option, month by month and in total. Money in the scenario currency,
//! GPU-hours in reference-GPU-hours.

use crate::timeline::YearMonth;

/// Cost categories; each belongs to one of the groups capex, opex and cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// Cash purchases and loan down payments (start of month).
    Hardware,
    /// Loan payments, and loan balances settled at a refresh or at the horizon.
    Financing,
    /// Resale value of disposed hardware (negative).
    ResidualValue,
    Lease,
    Energy,
    Colocation,
    Staff,
    Support,
    Software,
    CloudCommitted,
    CloudOnDemand,
    CloudSpot,
    Storage,
    Egress,
    /// Work left unserved, at the scenario's price of a GPU-hour not delivered (README Q7):
    /// not cash, but a cost of the option all the same, so that options that do different
    /// amounts of work compare as equals.
    Unserved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Capex,
    Opex,
    Cloud,
    /// The price of unserved work.
    Unserved,
}

impl Category {
    pub const ALL: [Category; 15] = [
        Category::Hardware,
        Category::Financing,
        Category::ResidualValue,
        Category::Lease,
        Category::Energy,
        Category::Colocation,
        Category::Staff,
        Category::Support,
        Category::Software,
        Category::CloudCommitted,
        Category::CloudOnDemand,
        Category::CloudSpot,
        Category::Storage,
        Category::Egress,
        Category::Unserved,
    ];
    pub const COUNT: usize = 15;

    pub fn key(self) -> &'static str {
        match self {
            Category::Hardware => "hardware",
            Category::Financing => "financing",
            Category::ResidualValue => "residual_value",
            Category::Lease => "lease",
            Category::Energy => "energy",
            Category::Colocation => "colocation",
            Category::Staff => "staff",
            Category::Support => "support",
            Category::Software => "software",
            Category::CloudCommitted => "cloud_committed",
            Category::CloudOnDemand => "cloud_on_demand",
            Category::CloudSpot => "cloud_spot",
            Category::Storage => "storage",
            Category::Egress => "egress",
            Category::Unserved => "unserved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::Hardware => "Hardware",
            Category::Financing => "Financing",
            Category::ResidualValue => "Residual value",
            Category::Lease => "Lease",
            Category::Energy => "Energy",
            Category::Colocation => "Colocation",
            Category::Staff => "Staff",
            Category::Support => "Support",
            Category::Software => "Software",
            Category::CloudCommitted => "Cloud committed",
            Category::CloudOnDemand => "Cloud on-demand",
            Category::CloudSpot => "Cloud spot",
            Category::Storage => "Storage",
            Category::Egress => "Egress",
            Category::Unserved => "Unserved work",
        }
    }

    pub fn group(self) -> Group {
        match self {
            Category::Hardware | Category::Financing | Category::ResidualValue => Group::Capex,
            Category::Lease
            | Category::Energy
            | Category::Colocation
            | Category::Staff
            | Category::Support
            | Category::Software => Group::Opex,
            Category::CloudCommitted
            | Category::CloudOnDemand
            | Category::CloudSpot
            | Category::Storage
            | Category::Egress => Group::Cloud,
            Category::Unserved => Group::Unserved,
        }
    }
}

/// One option in one month.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthRow {
    /// 1-based month number.
    pub month: usize,
    pub date: YearMonth,
    pub demand_gpu_hours: f64,
    pub served_onprem_gpu_hours: f64,
    pub served_cloud_gpu_hours: f64,
    pub unmet_gpu_hours: f64,
    /// The part of `served_onprem_gpu_hours` that waited at least an hour (README Q4).
    pub served_after_wait_gpu_hours: f64,
    /// Work that arrived by the end of the month and will be served on-prem later (Q6).
    pub backlog_gpu_hours: f64,
    /// GPU-hour-weighted mean and 95th percentile of the wait of the work of waiting workloads
    /// served on-prem in the month [hours]; `None` when there was none (Q4).
    pub mean_wait_hours: Option<f64>,
    pub p95_wait_hours: Option<f64>,
    /// Nominal cost per category.
    pub costs: [f64; Category::COUNT],
    /// Cash paid at the start of the month (discounted from the month's start).
    pub start_flow: f64,
    /// Cash paid at the end of the month.
    pub end_flow: f64,
    /// Accounting depreciation (not cash).
    pub depreciation: f64,
    /// The part of the month's hardware, financing and lease costs paid at its start
    /// (purchases, down payments, a loan settled at a refresh); the rest is paid at its end.
    pub investment_at_start: f64,
    /// With tax: the month's income tax (README TX3; negative: tax saved), inside
    /// `start_flow` and `end_flow`.
    pub tax: Option<f64>,
    /// The part of `tax` paid at the start of the month (0 without tax).
    pub tax_at_start: f64,
    pub energy_kwh: f64,
    pub co2_t: f64,
    /// Busy share of installed owned GPUs, for options that own GPUs.
    pub owned_utilization: Option<f64>,
}

impl MonthRow {
    pub fn group(&self, group: Group) -> f64 {
        Category::ALL
            .iter()
            .filter(|c| c.group() == group)
            .map(|c| self.costs[*c as usize])
            .sum()
    }

    /// Everything the month costs: capex + opex + cloud + the price of unserved work.
    pub fn cost(&self) -> f64 {
        self.start_flow + self.end_flow
    }

    /// Cash only: capex + opex + cloud (the cost less the price of unserved work, and less
    /// the tax in the after-tax view).
    pub fn cash_out(&self) -> f64 {
        let cash = self.cost() - self.costs[Category::Unserved as usize];
        match self.tax {
            Some(tax) => cash - tax,
            None => cash,
        }
    }
}

/// Share of demand left unmet above which an option does not count as serving its demand.
pub const UNMET_TOLERANCE: f64 = 0.001;

/// Whether an option serves (practically) all of its demand.
pub fn serves_demand(o: &OptionResult) -> bool {
    serves(o.unmet_gpu_hours, o.demand_gpu_hours)
}

/// The rule behind every "cheapest" in tcosim (verdict, Monte Carlo, sweep): the lowest cost
/// among the items that serve their demand, or among all when none does, since leaving work
/// undone is not cheaper in any useful sense. `items` gives (serves demand, cost) per item;
/// returns the first index with the lowest cost, and that cost.
pub fn cheapest<I>(items: I) -> Option<(usize, f64)>
where
    I: Iterator<Item = (bool, f64)> + Clone,
{
    let any_serving = items.clone().any(|(serves, _)| serves);
    items
        .enumerate()
        .filter(|(_, (serves, _))| *serves || !any_serving)
        .min_by(|a, b| a.1.1.total_cmp(&b.1.1).then(a.0.cmp(&b.0)))
        .map(|(i, (_, cost))| (i, cost))
}

/// Whether `unmet` GPU-hours of `demand` are within [`UNMET_TOLERANCE`].
pub fn serves(unmet: f64, demand: f64) -> bool {
    unmet <= UNMET_TOLERANCE * demand
}

/// The internal rate of return of an option's savings against the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IrrResult {
    /// Annual rate [fraction per year].
    pub annual: f64,
    /// How many rates make the NPV zero; the one reported is the closest to the discount rate.
    pub roots: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OptionResult {
    pub name: String,
    pub kind: super::Kind,
    pub months: Vec<MonthRow>,
    /// The option's cost shown back to teams (README B1-B4), when the scenario asks for it.
    pub showback: Option<super::showback::Showback>,
    pub pv_cost: f64,
    pub total_cost: f64,
    pub breakdown: [f64; Category::COUNT],
    pub demand_gpu_hours: f64,
    pub served_onprem_gpu_hours: f64,
    pub served_cloud_gpu_hours: f64,
    pub unmet_gpu_hours: f64,
    /// The part of `served_onprem_gpu_hours` that waited at least an hour (README Q4).
    pub served_after_wait_gpu_hours: f64,
    /// Work still waiting at the end of the horizon, served on-prem after it (Q6).
    pub backlog_gpu_hours: f64,
    /// GPU-hour-weighted mean and 95th percentile of the wait of the work of waiting workloads
    /// served on-prem over the horizon [hours]; `None` when there was none (Q4).
    pub mean_wait_hours: Option<f64>,
    pub p95_wait_hours: Option<f64>,
    pub owned_utilization: Option<f64>,
    pub energy_kwh: f64,
    pub co2_t: f64,
    pub depreciation: f64,
    /// With tax: its totals (README TX1-TX4); `pv_cost` and `total_cost` are then after tax.
    pub tax: Option<super::TaxTotals>,
    /// Cash cost (total less the price of unserved work) / delivered GPU-hours; `None` when
    /// nothing was delivered.
    pub cost_per_gpu_hour: Option<f64>,
    /// Owned GPUs (0 for cloud).
    pub owned_gpus: f64,
    /// Owned capacity in reference GPUs (after availability).
    pub owned_capacity_ref_gpus: f64,
    /// How this option compares with the baseline (README F3a).
    pub comparison: Comparison,
    /// PV of the baseline minus PV of this option, when the two compare (F3).
    pub savings_vs_baseline: Option<f64>,
    pub roi: Option<f64>,
    pub payback_month: Option<usize>,
    pub irr: Option<IrrResult>,
    pub break_even_utilization: Option<f64>,
    pub is_baseline: bool,
    /// Every purchase of owned servers, refreshes included (M9, G1); empty without owned
    /// servers.
    pub purchases: Vec<PurchaseRow>,
    /// The months from which an option riding its cloud's generations rents another one
    /// (G4), the first month included; empty for one that rents its offer all along.
    pub cloud_generations: Vec<RideRow>,
    /// What sharing its GPUs gains for the fractional workloads (SG5); `None` without owned
    /// servers or fractional workloads.
    pub sharing: Option<SharingRow>,
}

/// The owned GPU capacity the fractional workloads of a scenario hold on an option's GPUs, as
/// it shares them and as whole GPUs (README SG5) [reference GPU-hours over the horizon].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharingRow {
    /// `none`, `mig` or `time-slicing`.
    pub mode: &'static str,
    /// The work of the fractional workloads.
    pub fractional_gpu_hours: f64,
    /// The owned capacity it would hold as the option shares its GPUs.
    pub held_gpu_hours: f64,
    /// The owned capacity it would hold on whole GPUs.
    pub held_without_sharing_gpu_hours: f64,
}

/// One purchase of an option's owned servers (README G1, G5).
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseRow {
    /// 1-based month of the purchase.
    pub month: usize,
    pub date: YearMonth,
    /// The catalog id of the server (the row projected from, for a projected generation).
    pub server: String,
    /// 0: the catalog row; j ≥ 1: the j-th generation projected beyond it (G2).
    pub generation: u32,
    pub servers: u32,
    pub gpus: f64,
    /// Reference GPUs after availability (M3).
    pub capacity_ref_gpus: f64,
    /// The price of all its servers [scenario currency].
    pub price: f64,
    /// Maximum power of all its servers [kW].
    pub max_power_kw: f64,
}

/// A generation a riding cloud option rents from a month on (README G4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RideRow {
    /// 1-based first month.
    pub month: usize,
    pub date: YearMonth,
    /// 0: the offer's; j ≥ 1: j generations beyond it.
    pub generation: u32,
    /// Throughput per GPU relative to the offer's.
    pub throughput_factor: f64,
    /// Price per GPU-hour relative to the offer's (its premium included).
    pub price_factor: f64,
}

/// Whether an option's savings, ROI, payback and IRR against the baseline mean anything
/// (README F3a): two options compare when both serve their demand, or when unserved work has
/// a price (then its cost is in both PVs).
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    /// The option is the baseline.
    Baseline,
    Comparable,
    /// Why not, in words: "baseline leaves 37.0% of demand unmet".
    NotComparable(String),
}

impl OptionResult {
    /// Unmet GPU-hours as a share of demand (0 without demand).
    pub fn unmet_share(&self) -> f64 {
        if self.demand_gpu_hours > 0.0 {
            self.unmet_gpu_hours / self.demand_gpu_hours
        } else {
            0.0
        }
    }

    /// The total cost less the price of unserved work [scenario currency].
    pub fn cash_total(&self) -> f64 {
        self.total_cost - self.breakdown[Category::Unserved as usize]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub options: Vec<OptionResult>,
    pub baseline: usize,
    /// Which option to choose, and why the others are out of the running.
    pub verdict: super::Verdict,
    /// Cheapest on-demand cloud price in the scenario [scenario currency per reference GPU-hour].
    pub cheapest_cloud_per_ref_gpu_hour: Option<f64>,
}

impl Output {
    /// The first figure of the output that is not a finite number, as `(option, figure)`, or
    /// `None` when every figure is finite. Inputs are bounded so that this never happens; the
    /// check stands between any oversight and a user.
    pub fn first_non_finite(&self) -> Option<(String, &'static str)> {
        for o in &self.options {
            let mut figures: Vec<(&'static str, f64)> = vec![
                ("pv_cost", o.pv_cost),
                ("total_cost", o.total_cost),
                ("demand_gpu_hours", o.demand_gpu_hours),
                ("served_onprem_gpu_hours", o.served_onprem_gpu_hours),
                ("served_cloud_gpu_hours", o.served_cloud_gpu_hours),
                ("unmet_gpu_hours", o.unmet_gpu_hours),
                ("energy_kwh", o.energy_kwh),
                ("co2_t", o.co2_t),
                ("depreciation", o.depreciation),
                ("owned_gpus", o.owned_gpus),
            ];
            figures.extend(
                Category::ALL
                    .iter()
                    .map(|c| (c.key(), o.breakdown[*c as usize])),
            );
            for (name, v) in [
                ("savings_vs_baseline", o.savings_vs_baseline),
                ("mean_wait_hours", o.mean_wait_hours),
                ("p95_wait_hours", o.p95_wait_hours),
                ("owned_utilization", o.owned_utilization),
                ("cost_per_gpu_hour", o.cost_per_gpu_hour),
                ("roi", o.roi),
                ("irr", o.irr.map(|i| i.annual)),
                ("break_even_utilization", o.break_even_utilization),
                ("tax", o.tax.map(|t| t.tax)),
                ("pv_tax", o.tax.map(|t| t.pv_tax)),
                (
                    "pv_depreciation_shield",
                    o.tax.map(|t| t.pv_depreciation_shield),
                ),
                ("losses_unused", o.tax.map(|t| t.losses_unused)),
            ] {
                if let Some(v) = v {
                    figures.push((name, v));
                }
            }
            for r in &o.months {
                figures.extend([
                    ("monthly demand_gpu_hours", r.demand_gpu_hours),
                    ("monthly served_onprem_gpu_hours", r.served_onprem_gpu_hours),
                    ("monthly served_cloud_gpu_hours", r.served_cloud_gpu_hours),
                    ("monthly unmet_gpu_hours", r.unmet_gpu_hours),
                    ("monthly start_flow", r.start_flow),
                    ("monthly end_flow", r.end_flow),
                    ("monthly depreciation", r.depreciation),
                    ("monthly energy_kwh", r.energy_kwh),
                    ("monthly co2_t", r.co2_t),
                ]);
                figures.extend(r.costs.iter().map(|c| ("monthly costs", *c)));
                figures.extend(r.tax.map(|t| ("monthly tax", t)));
            }
            if let Some((name, _)) = figures.iter().find(|(_, v)| !v.is_finite()) {
                return Some((o.name.clone(), name));
            }
        }
        None
    }
}

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Capex,
    Opex,
    Cloud,
}

impl Category {
    pub const ALL: [Category; 14] = [
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
    ];
    pub const COUNT: usize = 14;

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
    /// Nominal cost per category.
    pub costs: [f64; Category::COUNT],
    /// Cash paid at the start of the month (discounted from the month's start).
    pub start_flow: f64,
    /// Cash paid at the end of the month.
    pub end_flow: f64,
    /// Accounting depreciation (not cash).
    pub depreciation: f64,
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

    /// capex + opex + cloud.
    pub fn cash_out(&self) -> f64 {
        self.start_flow + self.end_flow
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
    pub pv_cost: f64,
    pub total_cost: f64,
    pub breakdown: [f64; Category::COUNT],
    pub demand_gpu_hours: f64,
    pub served_onprem_gpu_hours: f64,
    pub served_cloud_gpu_hours: f64,
    pub unmet_gpu_hours: f64,
    pub owned_utilization: Option<f64>,
    pub energy_kwh: f64,
    pub co2_t: f64,
    pub depreciation: f64,
    /// total_cost / delivered GPU-hours; `None` when nothing was delivered.
    pub cost_per_gpu_hour: Option<f64>,
    /// Owned GPUs (0 for cloud).
    pub owned_gpus: f64,
    /// Owned capacity in reference GPUs (after availability).
    pub owned_capacity_ref_gpus: f64,
    /// PV of the baseline minus PV of this option.
    pub savings_vs_baseline: f64,
    pub roi: Option<f64>,
    pub payback_month: Option<usize>,
    pub irr: Option<IrrResult>,
    pub break_even_utilization: Option<f64>,
    pub is_baseline: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub options: Vec<OptionResult>,
    pub baseline: usize,
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
                ("savings_vs_baseline", o.savings_vs_baseline),
            ];
            figures.extend(
                Category::ALL
                    .iter()
                    .map(|c| (c.key(), o.breakdown[*c as usize])),
            );
            for (name, v) in [
                ("owned_utilization", o.owned_utilization),
                ("cost_per_gpu_hour", o.cost_per_gpu_hour),
                ("roi", o.roi),
                ("irr", o.irr.map(|i| i.annual)),
                ("break_even_utilization", o.break_even_utilization),
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
            }
            if let Some((name, _)) = figures.iter().find(|(_, v)| !v.is_finite()) {
                return Some((o.name.clone(), name));
            }
        }
        None
    }
}

//! JSON: the documented, versioned contract of `run` (README "JSON output"). Raw numbers in the
//! scenario currency; `null` where a figure does not exist (no payback, no IRR, ...).
//!
//! The document borrows the run and builds each option's object and each monthly row only
//! when the serializer reaches it, so the memory beyond the output itself stays that of one
//! row however many options and months there are.
//!
//! The same types give `tcosim schema output` (see [`super::json_schema`]): what is written
//! and what the schema describes cannot drift apart.

use super::json_schema::{Breakdown, MonteCarloJson};
use crate::catalog::RowRef;
use crate::model::{Category, Comparison, Group, MonthRow, OptionResult, serves_demand};
use crate::run::Run;
use crate::timeline::YearMonth;
use schemars::JsonSchema;
use serde::{Serialize, Serializer};

/// Version of the JSON contract; bumped when a field changes meaning or disappears
/// (README "JSON output" lists the changes of each version).
pub const SCHEMA_VERSION: u32 = 3;

/// The result of `tcosim run --format json`: a versioned contract (README "JSON output").
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields, title = "tcosim run result")]
pub struct Document<'a> {
    /// Version of this contract: raised when a field is removed, renamed or changes meaning.
    #[schemars(extend("const" = 3))]
    pub schema_version: u32,
    /// `after-tax` with a `[tax]` table: `pv_cost`, `total_cost`, savings, ROI, payback, IRR
    /// and the verdict are then after income tax (README TX1-TX4); absent before tax.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["after-tax"]))]
    pub view: Option<&'static str>,
    pub scenario: ScenarioJson<'a>,
    /// The name of the option savings, ROI, payback and IRR are against.
    pub baseline: &'a str,
    pub verdict: VerdictJson<'a>,
    /// One object per option, in the scenario's order.
    pub options: Options<'a>,
    /// The catalog rows the run used, with the values it took from each.
    pub catalog_rows_used: &'a [RowRef],
    /// What a run prints as warnings: stale catalog prices, spot prices above on-demand, ...
    pub warnings: &'a [String],
    /// How the policies came out (README "Policies"); empty without policies.
    pub policies: Vec<PolicyJson<'a>>,
    /// Present only when Monte Carlo samples were run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub montecarlo: Option<MonteCarloJson<'a>>,
}

/// One policy's result.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PolicyJson<'a> {
    pub name: &'a str,
    /// What the policy asks, in words.
    pub requirement: &'a str,
    /// The figure found, as text (`4.88173e6`, `hybrid`, `none`).
    pub value: &'a str,
    /// The figure found, where it is a number.
    pub number: Option<f64>,
    pub holds: bool,
    /// The policy's `message`.
    pub message: Option<&'a str>,
}

/// The scenario the run is of.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ScenarioJson<'a> {
    pub name: &'a str,
    /// The scenario file, as named on the command line.
    pub source: &'a str,
    pub horizon_months: usize,
    /// The first month, `YYYY-MM`.
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}$"))]
    pub start: String,
    /// The currency of every amount of money in the document.
    pub currency: &'a str,
    /// Nominal discount rate per year [fraction].
    pub discount_rate: f64,
    /// The price of a GPU-hour of unserved work, when the scenario sets one.
    pub unserved_cost_per_gpu_hour: Option<f64>,
    /// The scenario's `[tax]`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax: Option<TaxJson<'a>>,
}

/// The tax inputs of an after-tax run (README TX1-TX4).
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TaxJson<'a> {
    /// Combined marginal income-tax rate [fraction].
    pub rate: f64,
    /// The depreciation policy for tax on every purchase; `null`: each option's own.
    pub policy: Option<&'a str>,
    pub losses_offset_other_income: bool,
    /// The project's income per delivered reference GPU-hour that losses are set against
    /// when they do not offset other income (README TX3).
    pub income_per_gpu_hour: f64,
}

/// An option's income tax over the horizon (README TX1-TX4) [scenario currency].
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OptionTaxJson<'a> {
    /// The depreciation policy for tax of its purchases; `null` without owned purchases.
    pub policy: Option<&'a str>,
    /// Net income tax of its flows, nominal (negative: tax saved); inside `total_cost`.
    pub tax: f64,
    /// Its present value, inside `pv_cost`.
    pub pv_tax: f64,
    /// `pv_cost` and `total_cost` before tax.
    pub pv_cost_before_tax: f64,
    pub total_cost_before_tax: f64,
    /// Tax depreciation claimed within the horizon.
    pub depreciation: f64,
    /// The depreciation tax shield: rate × present value of the tax depreciation (TX4).
    pub pv_depreciation_shield: f64,
    /// Running costs deducted (energy, colocation, staff, support, software, lease, cloud).
    pub operating_deductions: f64,
    /// Loan interest deducted.
    pub interest: f64,
    /// Resale less tax book value of disposed hardware (negative: a loss).
    pub disposal_gain: f64,
    /// The project's own income losses were set against (0 when they offset other income).
    pub income: f64,
    /// Losses carried forward and unused at the end of the horizon.
    pub losses_unused: f64,
}

/// The decision of a run (README "Reading the output").
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct VerdictJson<'a> {
    /// `cheapest_serving_demand`, or `cheapest_with_unserved_work_priced`.
    #[schemars(extend("enum" = ["cheapest_serving_demand", "cheapest_with_unserved_work_priced"]))]
    pub rule: &'static str,
    pub winner: Option<&'a str>,
    pub winner_pv_cost: Option<f64>,
    pub runner_up: Option<&'a str>,
    /// PV of the runner-up less PV of the winner.
    pub margin: Option<f64>,
    pub any_option_serves_demand: bool,
    /// Each option's standing, in the scenario's order.
    pub options: Vec<StandingJson<'a>>,
}

/// An option's standing in the verdict.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StandingJson<'a> {
    pub name: &'a str,
    pub serves_demand: bool,
    pub unmet_share: f64,
    pub in_running: bool,
    /// Why the option is out of the running, when it is.
    pub reason: Option<&'a str>,
}

/// The figures of one option [scenario currency, reference-GPU-hours].
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OptionJson<'a> {
    pub name: &'a str,
    #[schemars(extend("enum" = ["onprem", "cloud", "hybrid"]))]
    pub kind: &'a str,
    /// Present value of the cost over the horizon.
    pub pv_cost: f64,
    /// Nominal cost over the horizon.
    pub total_cost: f64,
    /// `baseline`, `comparable` or `not_comparable` (README F3a).
    #[schemars(extend("enum" = ["baseline", "comparable", "not_comparable"]))]
    pub comparison: &'static str,
    /// Why savings, ROI, payback and IRR are `null`, when not comparable.
    pub not_comparable: Option<&'a str>,
    /// PV of the baseline less PV of this option (README F3).
    pub savings_vs_baseline: Option<f64>,
    /// Cash cost per reference GPU-hour delivered.
    pub cost_per_gpu_hour: Option<f64>,
    /// Reference-GPU-hours asked for over the horizon.
    pub demand_gpu_hours: f64,
    pub served_onprem_gpu_hours: f64,
    pub served_cloud_gpu_hours: f64,
    pub unmet_gpu_hours: f64,
    pub serves_demand: bool,
    /// Unmet share of the demand [fraction].
    pub unmet_share: f64,
    /// Of the on-prem hours, those served after waiting (README Q4).
    pub served_after_wait_gpu_hours: f64,
    /// Work still waiting at the end of the horizon (README Q6).
    pub backlog_gpu_hours: f64,
    pub mean_wait_hours: Option<f64>,
    pub p95_wait_hours: Option<f64>,
    pub owned_gpus: f64,
    /// Busy share of the owned GPUs' hours [fraction].
    pub owned_utilization: Option<f64>,
    /// Utilisation of owned GPUs at which owning costs as much as the cloud (README F7).
    pub break_even_utilization: Option<f64>,
    /// Energy over the horizon [kWh].
    pub energy_kwh: f64,
    /// Carbon over the horizon [tCO2].
    pub co2_t: f64,
    /// Accounting depreciation over the horizon, beside the cash figures.
    pub depreciation: f64,
    /// First month (1-based) from which cumulative savings stay at or above zero (README F5).
    pub payback_month: Option<usize>,
    /// Savings per PV of the investment [fraction] (README F3).
    pub roi: Option<f64>,
    /// Internal rate of return of the savings [fraction per year] (README F4).
    pub irr: Option<f64>,
    /// How many rates make the savings' NPV zero, when there is an IRR.
    pub irr_roots: Option<usize>,
    /// Total cost by category (before tax).
    pub breakdown: Breakdown,
    /// The option's cost by team (README "Teams and showback"); `null` without showback.
    pub showback: Option<ShowbackJson<'a>>,
    /// Every purchase of owned servers, refreshes included (README G1, G5); empty for a cloud
    /// option.
    pub purchases: Vec<PurchaseJson<'a>>,
    /// The generations rented by an option that rides its cloud's generations, from the
    /// month each starts (README G4); empty otherwise.
    pub cloud_generations: Vec<RideJson>,
    /// What sharing its GPUs gains for the fractional workloads (README SG5); `null` without
    /// owned servers or fractional workloads.
    pub sharing: Option<SharingJson>,
    /// Its income tax, in an after-tax run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax: Option<OptionTaxJson<'a>>,
    /// One row per month of the horizon.
    pub monthly: Months<'a>,
}

/// One purchase of owned servers (README G1, G5) [scenario currency].
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PurchaseJson<'a> {
    /// 1-based month of the purchase.
    pub month: usize,
    /// `YYYY-MM`.
    pub date: String,
    /// The catalog id of the server (of the row projected from, for a projected generation).
    pub server: &'a str,
    /// 0: the catalog row; j ≥ 1: the j-th generation projected beyond it (README G2).
    pub generation: u32,
    pub servers: u32,
    pub gpus: f64,
    /// Reference GPUs after availability (README M3).
    pub capacity_ref_gpus: f64,
    /// Price of all its servers.
    pub price: f64,
    /// Maximum power of all its servers [kW].
    pub max_power_kw: f64,
}

/// The owned capacity the fractional workloads hold on an option's GPUs (README SG5)
/// [reference GPU-hours over the horizon].
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SharingJson {
    /// `none`, `mig` or `time-slicing`.
    #[schemars(extend("enum" = ["none", "mig", "time-slicing"]))]
    pub mode: &'static str,
    /// The work of the fractional workloads.
    pub fractional_gpu_hours: f64,
    /// The owned capacity it holds as the option shares its GPUs.
    pub held_gpu_hours: f64,
    /// The owned capacity it would hold on whole GPUs.
    pub held_without_sharing_gpu_hours: f64,
    /// 1 − held / held without sharing: the share of that capacity sharing saves [fraction].
    pub saved_share: f64,
}

/// A generation rented from a month on (README G4).
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RideJson {
    /// 1-based first month.
    pub month: usize,
    /// `YYYY-MM`.
    pub date: String,
    /// 0: the offer's; j ≥ 1: j generations beyond it.
    pub generation: u32,
    /// Throughput per GPU relative to the offer's.
    pub throughput_factor: f64,
    /// Price per GPU-hour relative to the offer's in that month, its premium included.
    pub price_factor: f64,
}

/// An option's cost shown back to teams (README B1-B4).
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ShowbackJson<'a> {
    /// `separate` or `shared`: where the cost of idle owned capacity goes.
    #[schemars(extend("enum" = ["separate", "shared"]))]
    pub idle_mode: &'static str,
    /// One entry per team, in order of first appearance among the workloads; workloads
    /// without a team are the team `(no team)`.
    pub teams: Vec<TeamJson<'a>>,
    /// What no team was given: idle owned capacity (`onprem_gpu_hours` are the idle owned
    /// GPU-hours) and costs of months without use.
    pub idle: TeamJson<'a>,
}

/// A team's use of an option and its cost [reference GPU-hours, scenario currency].
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TeamJson<'a> {
    pub team: &'a str,
    pub onprem_gpu_hours: f64,
    pub cloud_gpu_hours: f64,
    pub unmet_gpu_hours: f64,
    /// Nominal cost over the horizon: owned + cloud + unserved.
    pub cost: f64,
    pub owned_cost: f64,
    pub cloud_cost: f64,
    pub unserved_cost: f64,
    /// Present value (F2).
    pub pv_cost: f64,
    /// Share of the option's nominal cost shown back (before tax) [fraction].
    pub share: f64,
}

fn team_json(t: &crate::model::showback::TeamCost, total: f64) -> TeamJson<'_> {
    TeamJson {
        team: &t.team,
        onprem_gpu_hours: t.onprem_gpu_hours,
        cloud_gpu_hours: t.cloud_gpu_hours,
        unmet_gpu_hours: t.unmet_gpu_hours,
        cost: t.cost,
        owned_cost: t.owned_cost,
        cloud_cost: t.cloud_cost,
        unserved_cost: t.unserved_cost,
        pv_cost: t.pv_cost,
        share: if total != 0.0 { t.cost / total } else { 0.0 },
    }
}

/// The options of a run, each turned into an [`OptionJson`] as it is serialized, with the
/// id of each one's depreciation policy for tax.
pub struct Options<'a>(pub &'a [OptionResult], pub Vec<Option<&'a str>>);

impl Serialize for Options<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.0
                .iter()
                .enumerate()
                .map(|(n, o)| option_json(o, self.1.get(n).copied().flatten())),
        )
    }
}

/// The id of each option's depreciation policy for tax (README TX2): `None` without `[tax]`,
/// and for an option that buys nothing (cloud, lease).
pub fn tax_policies(file: &crate::scenario::ScenarioFile) -> Vec<Option<&str>> {
    file.options
        .iter()
        .map(|o| {
            let tax = file.tax.as_ref()?;
            let lease = o.financing.as_ref().is_some_and(|f| f.kind == "lease");
            if o.server.is_none() || lease {
                return None;
            }
            Some(
                o.tax_depreciation
                    .as_deref()
                    .or(tax.policy.as_deref())
                    .or(o.depreciation.as_deref())
                    .unwrap_or(crate::scenario::DEFAULT_DEPRECIATION),
            )
        })
        .collect()
}

/// The monthly rows of an option, each turned into a [`MonthJson`] as it is serialized.
pub struct Months<'a>(pub &'a [MonthRow]);

impl Serialize for Months<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(month_json))
    }
}

/// One month of an option.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct MonthJson {
    /// 1-based.
    pub month: usize,
    /// `YYYY-MM`.
    #[serde(serialize_with = "year_month")]
    #[schemars(with = "String", regex(pattern = r"^[0-9]{4}-[0-9]{2}$"))]
    pub date: YearMonth,
    pub demand_gpu_hours: f64,
    pub served_onprem_gpu_hours: f64,
    pub served_cloud_gpu_hours: f64,
    pub unmet_gpu_hours: f64,
    pub served_after_wait_gpu_hours: f64,
    pub backlog_gpu_hours: f64,
    pub mean_wait_hours: Option<f64>,
    pub p95_wait_hours: Option<f64>,
    /// Hardware, financing and residual value.
    pub capex: f64,
    /// Lease, energy, colocation, staff, support and software.
    pub opex: f64,
    /// The cloud categories.
    pub cloud: f64,
    /// capex + opex + cloud.
    pub cash_out: f64,
    /// The price of the month's unserved work (0 when unpriced): not cash.
    pub unserved: f64,
    /// The month's cost (cash and unserved) by when it is counted: at the start of the month
    /// (purchases, down payments, settlements and resale at a refresh) or at its end (README
    /// F2), so that `pv_cost` can be recomputed from the months.
    pub paid_at_start: f64,
    pub paid_at_end: f64,
    pub depreciation: f64,
    /// In an after-tax run: the month's income tax (negative: saved), inside `paid_at_start`
    /// and `paid_at_end` but not in `cash_out`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax: Option<f64>,
    pub energy_kwh: f64,
    pub co2_t: f64,
}

/// The share of the whole-GPU capacity sharing saves (0 without fractional work).
pub fn saved_share(s: &crate::model::SharingRow) -> f64 {
    if s.held_without_sharing_gpu_hours > 0.0 {
        1.0 - s.held_gpu_hours / s.held_without_sharing_gpu_hours
    } else {
        0.0
    }
}

fn option_json<'a>(o: &'a OptionResult, tax_policy: Option<&'a str>) -> OptionJson<'a> {
    OptionJson {
        name: &o.name,
        kind: o.kind.as_str(),
        pv_cost: o.pv_cost,
        total_cost: o.total_cost,
        comparison: match o.comparison {
            Comparison::Baseline => "baseline",
            Comparison::Comparable => "comparable",
            Comparison::NotComparable(_) => "not_comparable",
        },
        not_comparable: match &o.comparison {
            Comparison::NotComparable(reason) => Some(reason.as_str()),
            _ => None,
        },
        savings_vs_baseline: o.savings_vs_baseline,
        cost_per_gpu_hour: o.cost_per_gpu_hour,
        demand_gpu_hours: o.demand_gpu_hours,
        served_onprem_gpu_hours: o.served_onprem_gpu_hours,
        served_cloud_gpu_hours: o.served_cloud_gpu_hours,
        unmet_gpu_hours: o.unmet_gpu_hours,
        serves_demand: serves_demand(o),
        unmet_share: o.unmet_share(),
        served_after_wait_gpu_hours: o.served_after_wait_gpu_hours,
        backlog_gpu_hours: o.backlog_gpu_hours,
        mean_wait_hours: o.mean_wait_hours,
        p95_wait_hours: o.p95_wait_hours,
        owned_gpus: o.owned_gpus,
        owned_utilization: o.owned_utilization,
        break_even_utilization: o.break_even_utilization,
        energy_kwh: o.energy_kwh,
        co2_t: o.co2_t,
        depreciation: o.depreciation,
        payback_month: o.payback_month,
        roi: o.roi,
        irr: o.irr.map(|i| i.annual),
        irr_roots: o.irr.map(|i| i.roots),
        breakdown: Breakdown(
            Category::ALL
                .iter()
                .map(|c| (c.key(), o.breakdown[*c as usize]))
                .collect(),
        ),
        showback: o.showback.as_ref().map(|s| ShowbackJson {
            idle_mode: s.idle_mode.as_str(),
            teams: s
                .teams
                .iter()
                .map(|t| team_json(t, s.total_cost()))
                .collect(),
            idle: team_json(&s.idle, s.total_cost()),
        }),
        purchases: o
            .purchases
            .iter()
            .map(|p| PurchaseJson {
                month: p.month,
                date: p.date.to_string(),
                server: &p.server,
                generation: p.generation,
                servers: p.servers,
                gpus: p.gpus,
                capacity_ref_gpus: p.capacity_ref_gpus,
                price: p.price,
                max_power_kw: p.max_power_kw,
            })
            .collect(),
        sharing: o.sharing.map(|s| SharingJson {
            mode: s.mode,
            fractional_gpu_hours: s.fractional_gpu_hours,
            held_gpu_hours: s.held_gpu_hours,
            held_without_sharing_gpu_hours: s.held_without_sharing_gpu_hours,
            saved_share: saved_share(&s),
        }),
        cloud_generations: o
            .cloud_generations
            .iter()
            .map(|r| RideJson {
                month: r.month,
                date: r.date.to_string(),
                generation: r.generation,
                throughput_factor: r.throughput_factor,
                price_factor: r.price_factor,
            })
            .collect(),
        tax: o.tax.map(|t| OptionTaxJson {
            policy: tax_policy.filter(|_| o.owned_gpus > 0.0),
            tax: t.tax,
            pv_tax: t.pv_tax,
            pv_cost_before_tax: o.pv_cost - t.pv_tax,
            total_cost_before_tax: o.total_cost - t.tax,
            depreciation: t.depreciation,
            pv_depreciation_shield: t.pv_depreciation_shield,
            operating_deductions: t.operating_deductions,
            interest: t.interest,
            disposal_gain: t.disposal_gain,
            income: t.income,
            losses_unused: t.losses_unused,
        }),
        monthly: Months(&o.months),
    }
}

fn month_json(r: &MonthRow) -> MonthJson {
    MonthJson {
        month: r.month,
        date: r.date,
        demand_gpu_hours: r.demand_gpu_hours,
        served_onprem_gpu_hours: r.served_onprem_gpu_hours,
        served_cloud_gpu_hours: r.served_cloud_gpu_hours,
        unmet_gpu_hours: r.unmet_gpu_hours,
        served_after_wait_gpu_hours: r.served_after_wait_gpu_hours,
        backlog_gpu_hours: r.backlog_gpu_hours,
        mean_wait_hours: r.mean_wait_hours,
        p95_wait_hours: r.p95_wait_hours,
        capex: r.group(Group::Capex),
        opex: r.group(Group::Opex),
        cloud: r.group(Group::Cloud),
        cash_out: r.cash_out(),
        unserved: r.costs[Category::Unserved as usize],
        paid_at_start: r.start_flow,
        paid_at_end: r.end_flow,
        depreciation: r.depreciation,
        tax: r.tax,
        energy_kwh: r.energy_kwh,
        co2_t: r.co2_t,
    }
}

fn verdict_json(run: &Run) -> VerdictJson<'_> {
    let v = &run.output.verdict;
    let opts = &run.output.options;
    let name = |i: Option<usize>| i.and_then(|i| opts.get(i)).map(|o| o.name.as_str());
    VerdictJson {
        rule: if v.priced {
            "cheapest_with_unserved_work_priced"
        } else {
            "cheapest_serving_demand"
        },
        winner: name(v.winner),
        winner_pv_cost: v.winner.and_then(|i| opts.get(i)).map(|o| o.pv_cost),
        runner_up: name(v.runner_up),
        margin: v.margin,
        any_option_serves_demand: v.any_serves,
        options: opts
            .iter()
            .zip(&v.standings)
            .map(|(o, s)| StandingJson {
                name: &o.name,
                serves_demand: s.serves_demand,
                unmet_share: s.unmet_share,
                in_running: s.in_running,
                reason: s.reason.as_deref(),
            })
            .collect(),
    }
}

/// A month as its `YYYY-MM` text, written straight into the output.
fn year_month<S: Serializer>(date: &YearMonth, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(date)
}

pub fn document(run: &Run) -> Document<'_> {
    Document {
        schema_version: SCHEMA_VERSION,
        view: run.input.tax.map(|_| "after-tax"),
        scenario: ScenarioJson {
            name: &run.input.name,
            source: &run.source,
            horizon_months: run.input.horizon_months,
            start: run.input.start.to_string(),
            currency: &run.input.currency,
            discount_rate: run.input.discount_rate,
            unserved_cost_per_gpu_hour: run.file.unserved_cost_per_gpu_hour,
            tax: run.file.tax.as_ref().map(|t| TaxJson {
                rate: t.rate,
                policy: t.policy.as_deref(),
                losses_offset_other_income: t.losses_offset_other_income,
                income_per_gpu_hour: if t.losses_offset_other_income {
                    0.0
                } else {
                    crate::model::income_per_gpu_hour(&run.input)
                },
            }),
        },
        baseline: &run.output.options[run.output.baseline].name,
        verdict: verdict_json(run),
        options: Options(&run.output.options, tax_policies(&run.file)),
        catalog_rows_used: &run.rows_used,
        warnings: &run.warnings,
        policies: run
            .policies
            .iter()
            .map(|p| PolicyJson {
                name: &p.name,
                requirement: &p.requirement,
                value: &p.value,
                number: p.number,
                holds: p.holds,
                message: p.message.as_deref(),
            })
            .collect(),
        montecarlo: run.montecarlo.as_ref().map(MonteCarloJson::of),
    }
}

pub fn render(run: &Run) -> String {
    let mut s = pretty(&document(run)).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// Writes what [`render`] returns to `out` as it is produced, without holding the text.
pub fn write(run: &Run, mut out: impl std::io::Write) -> std::io::Result<()> {
    write_pretty(&mut out, &document(run))?;
    out.write_all(b"\n")
}

/// serde_json's pretty layout, with −0 written as 0: a sign on a zero (a zero rate times a
/// loss, a −0 typed into the input) is no figure a reader should see.
struct Unsigned(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for Unsigned {
    fn write_f64<W: ?Sized + std::io::Write>(&mut self, w: &mut W, v: f64) -> std::io::Result<()> {
        self.0.write_f64(w, v + 0.0)
    }
    fn write_f32<W: ?Sized + std::io::Write>(&mut self, w: &mut W, v: f32) -> std::io::Result<()> {
        self.0.write_f32(w, v + 0.0)
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Writes `value` as pretty JSON (as `serde_json::to_writer_pretty`) with −0 written as 0.
pub fn write_pretty<W: std::io::Write, T: serde::Serialize + ?Sized>(
    out: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        out,
        Unsigned(serde_json::ser::PrettyFormatter::new()),
    );
    value.serialize(&mut ser)
}

/// `value` as pretty JSON (as `serde_json::to_string_pretty`) with −0 written as 0.
pub fn pretty<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    write_pretty(&mut out, value)?;
    // serde_json writes UTF-8 only.
    Ok(String::from_utf8(out).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn negative_zero_is_written_as_zero_in_the_pretty_layout() {
        let value = serde_json::json!({"a": -0.0, "b": [1.5, -0.0, -2.0], "c": {"d": 0.0}});
        let plain = serde_json::to_string_pretty(&value).unwrap();
        assert_eq!(super::pretty(&value).unwrap(), plain.replace("-0.0", "0.0"));
        assert!(!super::pretty(&value).unwrap().contains("-0"));
        assert!(super::pretty(&value).unwrap().contains("-2.0"));
    }

    #[test]
    fn write_streams_exactly_the_rendered_text() {
        let run = crate::run::load(None, &[]).expect("the built-in example loads");
        let mut out = Vec::new();
        super::write(&run, &mut out).expect("writing to memory cannot fail");
        assert_eq!(String::from_utf8(out).ok(), Some(super::render(&run)));
    }
}

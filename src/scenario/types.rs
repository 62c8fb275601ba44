//! The scenario file as written (TOML), before resolution against the catalogs.
//!
//! These types are also the source of `tcosim schema scenario`: their doc comments become the
//! schema's descriptions and their serde attributes its rules (`deny_unknown_fields` is
//! `additionalProperties: false`, a default makes a key optional), so the schema accepts what
//! the parser accepts. Ranges and ids are checked when the scenario is resolved, not here.

use schemars::JsonSchema;
use serde::Deserialize;

/// A tcosim scenario: a workload and the ways to run it, compared month by month.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "tcosim scenario")]
pub struct ScenarioFile {
    /// The scenario's name (names the default report folder).
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Months simulated, 1..=600.
    pub horizon_months: i64,
    /// First month, `YYYY-MM`.
    pub start: String,
    /// Reporting currency, a currency of `catalogs/fx.toml`; `USD` by default.
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Nominal discount rate per year [fraction].
    pub discount_rate: f64,
    /// Accelerator id that demand is measured in.
    pub reference_accelerator: String,
    /// `bf16` (default), `fp8` or `memory-bandwidth`.
    #[serde(default = "default_basis")]
    #[schemars(extend("enum" = ["bf16", "fp8", "memory-bandwidth"]))]
    pub throughput_basis: String,
    /// Name of the option the others are compared with; the first option by default.
    pub baseline: Option<String>,
    /// Yearly growth of electricity prices [fraction]; 0 by default.
    #[serde(default)]
    pub electricity_escalation_per_year: f64,
    /// Factor on every workload's demand, for what-if runs and uncertainty.
    #[serde(default = "one")]
    pub demand_scale: f64,
    /// Extra yearly growth of every workload's demand, compounding with their own.
    #[serde(default)]
    pub demand_growth_per_year: f64,
    /// Catalog prices older than this many months before `start` are warned about.
    #[serde(default = "default_price_age")]
    pub max_price_age_months: i64,
    /// Value of a reference GPU-hour of demand not delivered [scenario currency]; when set,
    /// unserved work is a cost of every option (README Q7).
    pub unserved_cost_per_gpu_hour: Option<f64>,
    /// The demand: `[[workload]]` tables.
    #[serde(default, rename = "workload")]
    pub workloads: Vec<WorkloadSpec>,
    /// The ways to serve it that are compared: `[[option]]` tables.
    #[serde(default, rename = "option")]
    pub options: Vec<OptionSpec>,
    /// Distributions on numeric inputs, for Monte Carlo and sensitivity.
    #[serde(default)]
    pub uncertain: Vec<UncertainSpec>,
    /// Rank correlations between uncertain inputs.
    #[serde(default)]
    pub correlation: Vec<CorrelationSpec>,
    /// A grid over option parameters.
    pub sweep: Option<SweepSpec>,
    /// Thresholds a run must meet (README "Policies").
    #[serde(default)]
    pub policy: Vec<PolicySpec>,
    /// How each option's cost is shown back to the workloads' teams (README "Teams and
    /// showback"); showback is on when this table is present or a workload names a `team`.
    pub showback: Option<ShowbackSpec>,
    /// The after-tax view (README TX1-TX4); without it every figure is before tax.
    pub tax: Option<TaxSpec>,
    /// The trend of hardware generations beyond the catalog and the clouds' lag behind it
    /// (README G2, G4); the defaults without it.
    pub generations: Option<GenerationsSpec>,
}

/// The trend of GPU generations (README G2, G4). Every key has a default.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerationsSpec {
    /// Growth of throughput per unit of price [fraction per year]; 0.30 by default.
    pub price_performance_growth_per_year: Option<f64>,
    /// Growth of throughput per watt [fraction per year]; 0.50 by default.
    pub energy_efficiency_growth_per_year: Option<f64>,
    /// Months between two generations' releases; 28 by default.
    pub interval_months: Option<i64>,
    /// Months from a generation's release until clouds rent it; 6 by default.
    pub new_generation_lag_months: Option<i64>,
    /// Price premium of a generation when clouds start renting it [fraction]; 0.50 by default.
    pub new_generation_premium: Option<f64>,
    /// Share of the premium that goes away each year [fraction]; 0.50 by default.
    pub premium_decay_per_year: Option<f64>,
}

/// What the refreshes of owned servers buy (README G1).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshSpec {
    /// Years between purchases (rounded to whole months); a lease's term by default.
    pub every_years: Option<f64>,
    /// `same` (default: the first purchase's server), `best` (the best price-performance
    /// available at each refresh, projected beyond the catalog) or the id of a server.
    pub to: Option<String>,
    /// `capacity` (default: the fewest servers with at least the first purchase's throughput)
    /// or `servers` (as many servers as the first purchase).
    #[schemars(extend("enum" = ["capacity", "servers"]))]
    pub keep: Option<String>,
}

/// Income tax on every option's flows (README TX1-TX4).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxSpec {
    /// Combined marginal income-tax rate [fraction, 0..1].
    pub rate: f64,
    /// The id of the depreciation policy for tax on every purchase; each option's
    /// `depreciation` by default.
    pub policy: Option<String>,
    /// Whether deductions save tax at once against the company's other profit (true by
    /// default); false carries the project's losses forward (README TX3).
    #[serde(default = "yes")]
    pub losses_offset_other_income: bool,
}

fn yes() -> bool {
    true
}

/// Showback of each option's cost to teams.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowbackSpec {
    /// `separate` (default): the cost of owned GPU-hours nobody used is a line of its own;
    /// `shared`: it is shared among the teams in proportion to their use.
    #[schemars(extend("enum" = ["separate", "shared"]))]
    pub idle: Option<String>,
}

/// A threshold on a reported figure, or on the verdict (README "Policies").
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// Unique among the scenario's and the policy files' policies.
    pub name: String,
    /// Shown with the policy's result, broken or not.
    pub message: Option<String>,
    /// The option whose figure is bounded.
    pub option: Option<String>,
    /// A figure of the option (`pv_cost`, `unmet_share`, `irr`, ...), a Monte Carlo metric
    /// with `statistic`, or Monte Carlo odds (`p_cheapest`, ...).
    pub metric: Option<String>,
    /// `mean`, `p5`, `p10`, `p50`, `p90` or `p95` of a Monte Carlo metric.
    #[schemars(extend("enum" = ["mean", "p5", "p10", "p50", "p90", "p95"]))]
    pub statistic: Option<String>,
    /// Lowest value that holds (inclusive), in the unit of the metric's JSON field.
    pub min: Option<f64>,
    /// Highest value that holds (inclusive), in the unit of the metric's JSON field.
    pub max: Option<f64>,
    /// The option the verdict must choose.
    pub winner: Option<String>,
}

/// A policy file (`--policy FILE`): `[[policy]]` tables only.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    #[serde(default)]
    pub policy: Vec<PolicySpec>,
}

/// A distribution on one numeric input, addressed by its path (README "Uncertainty").
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UncertainSpec {
    /// `discount_rate`, `workload[NAME].FIELD`, `option[NAME].FIELD`, `site[ID].FIELD`, ...
    pub path: String,
    /// `fixed`, `uniform`, `triangular`, `normal`, `lognormal` or `pert`.
    #[schemars(extend("enum" = ["fixed", "uniform", "triangular", "normal", "lognormal", "pert"]))]
    pub distribution: String,
    /// `fixed`: the value.
    pub value: Option<f64>,
    /// `uniform`, `triangular`, `pert`: the lowest value; `normal`: an optional truncation.
    pub low: Option<f64>,
    /// `triangular`, `pert`: the most likely value.
    pub mode: Option<f64>,
    /// `uniform`, `triangular`, `pert`: the highest value; `normal`: an optional truncation.
    pub high: Option<f64>,
    /// `normal`: the mean.
    pub mean: Option<f64>,
    /// `normal`: the standard deviation.
    pub sd: Option<f64>,
    /// `lognormal`: the 10th percentile.
    pub p10: Option<f64>,
    /// `lognormal`: the 90th percentile.
    pub p90: Option<f64>,
}

/// A rank (Spearman) correlation between two uncertain inputs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrelationSpec {
    /// The path of an `[[uncertain]]` input.
    pub a: String,
    /// The path of another `[[uncertain]]` input.
    pub b: String,
    /// Spearman rank correlation, from -0.999999 to 0.999999.
    pub rank: f64,
}

/// A grid over option parameters, evaluated by `tcosim sweep`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// `pv_cost` (default) or `p90_pv_cost`.
    #[serde(default = "default_objective")]
    #[schemars(extend("enum" = ["pv_cost", "p90_pv_cost"]))]
    pub objective: String,
    /// Monte Carlo samples at each grid point (needed by `p90_pv_cost`).
    #[serde(default)]
    pub samples: u64,
    /// The grid's axes: `[[sweep.parameter]]` tables.
    #[serde(default, rename = "parameter")]
    pub parameters: Vec<SweepParameter>,
}

fn default_objective() -> String {
    "pv_cost".to_string()
}

/// One axis of the sweep grid: `from..=to` by `step`, or a list of `values`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepParameter {
    /// `option[NAME].FIELD`
    pub path: String,
    /// First value of the range.
    pub from: Option<f64>,
    /// Last value of the range (inclusive).
    pub to: Option<f64>,
    /// Step of the range.
    pub step: Option<f64>,
    /// The values, instead of a range.
    pub values: Option<Vec<f64>>,
    /// For `option[NAME].automation`: the degrees of automation to compare (ids of the
    /// staffing catalog).
    pub levels: Option<Vec<String>>,
}

fn one() -> f64 {
    1.0
}

fn default_currency() -> String {
    "USD".to_string()
}
fn default_basis() -> String {
    "bf16".to_string()
}
fn default_price_age() -> i64 {
    36
}

/// Demand for GPU time, in reference-GPU-hours or training FLOPs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Unique among the workloads.
    pub name: String,
    /// Demand in the first month [reference-GPU-hours per month].
    pub gpu_hours_per_month: Option<f64>,
    /// Or: training compute per month [FLOPs] ...
    pub training_flops_per_month: Option<f64>,
    /// ... at this model-FLOPs utilisation [fraction].
    pub mfu: Option<f64>,
    /// Yearly growth of the demand [fraction]; 0 by default.
    #[serde(default)]
    pub growth_per_year: f64,
    /// `flat`, `business-hours`, `bursty`, or the path of an hourly CSV file.
    #[serde(default = "default_profile")]
    pub profile: String,
    /// Pins the workload on owned capacity: it never goes to a cloud.
    #[serde(default)]
    pub sensitive: bool,
    /// Longest wait of its load for owned capacity [hours] (README Q1); 0 by default, and
    /// 8,760 (a year) for a trace workload.
    pub max_wait_hours: Option<i64>,
    /// Its own value of a GPU-hour not delivered, instead of the scenario's.
    pub unserved_cost_per_gpu_hour: Option<f64>,
    /// Or: the path of a GPU job trace whose jobs are the demand (README "Trace workloads"),
    /// instead of `gpu_hours_per_month` and a profile.
    pub trace: Option<String>,
    /// The trace's layout: `csv`, `helios`, `philly`, `philly-json`, `pai` or `swf`; from the
    /// file's extension by default (`.swf`, `.json`, else `csv`).
    #[schemars(extend("enum" = ["csv", "helios", "philly", "philly-json", "pai", "swf"]))]
    pub trace_format: Option<String>,
    /// The accelerator the trace's durations were recorded on; the reference accelerator by
    /// default.
    pub trace_accelerator: Option<String>,
    /// The team the workload's cost is shown back to (README "Teams and showback").
    pub team: Option<String>,
    /// The share of a reference GPU one of its jobs needs while it runs, 0.001 to
    /// 64 (README "Shared GPUs"); without it the work flows over whole GPUs.
    pub gpu_fraction: Option<f64>,
}

fn default_profile() -> String {
    "flat".to_string()
}

/// A way to serve the workloads: own servers (`onprem`), rent them (`cloud`), or own a base
/// and burst to a cloud (`hybrid`). The owned fields apply to `onprem` and `hybrid`, the cloud
/// fields to `cloud` and `hybrid`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionSpec {
    /// Unique among the options.
    pub name: String,
    /// `onprem`, `cloud` or `hybrid`.
    #[schemars(extend("enum" = ["onprem", "cloud", "hybrid"]))]
    pub kind: String,
    /// Free text.
    pub description: Option<String>,
    // Owned part (onprem, hybrid).
    /// Owned: the id of a server in the catalog.
    pub server: Option<String>,
    /// Owned: number of servers (or `gpus`).
    pub servers: Option<i64>,
    /// Owned: number of GPUs, a multiple of the server's (or `servers`).
    pub gpus: Option<i64>,
    /// Owned: the id of a site in the catalog.
    pub site: Option<String>,
    /// Owned: share of hours an installed GPU can serve [fraction]; 0.97 by default.
    pub availability: Option<f64>,
    /// Owned: years between purchases; none keeps the first purchase.
    pub refresh_years: Option<f64>,
    /// Owned: refreshes, possibly to newer hardware (README G1), instead of `refresh_years`.
    pub refresh: Option<RefreshSpec>,
    /// Owned: how GPUs are shared among jobs that need less than one: `none` (default),
    /// `mig` or `time-slicing` (README "Shared GPUs").
    #[schemars(extend("enum" = ["none", "mig", "time-slicing"]))]
    pub sharing: Option<String>,
    /// Owned, with `sharing = "time-slicing"`: the share of a GPU's time left to the jobs'
    /// work [fraction]; 0.9 by default.
    pub time_slicing_efficiency: Option<f64>,
    /// Owned: how the servers are paid for; cash by default.
    pub financing: Option<FinancingSpec>,
    /// Owned: the order trace jobs start in: `fifo` (default), `fifo-skip`, `easy-backfill`
    /// or `sjf` (README "Trace workloads").
    #[schemars(extend("enum" = ["fifo", "fifo-skip", "easy-backfill", "sjf"]))]
    pub scheduler: Option<String>,
    /// Owned: the id of a depreciation policy; `straight-line-5y` by default.
    pub depreciation: Option<String>,
    /// Owned: the id of the depreciation policy for tax (README TX2), instead of `[tax]`'s
    /// `policy`; needs `[tax]`.
    pub tax_depreciation: Option<String>,
    /// Owned: resale value at the end of a cycle [fraction of price]; 0.10 by default.
    pub residual_value: Option<f64>,
    /// Owned: support contract after warranty [% of price per year]; the server's by default.
    pub support_pct_per_year: Option<f64>,
    /// Owned: the degree of automation (`manual`, `scripted`, `full`: an id of the staffing
    /// catalog), which sets the staff and the software of the automation unless the keys below
    /// do.
    pub automation: Option<String>,
    /// Owned: staff independent of the number of servers [FTE].
    pub staff_fte_fixed: Option<f64>,
    /// Owned: staff per server [FTE].
    pub staff_fte_per_server: Option<f64>,
    /// Owned: loaded cost of one FTE per year [scenario currency].
    pub staff_salary_per_year: Option<f64>,
    /// Owned: software subscriptions per GPU and year [scenario currency].
    pub software_per_gpu_year: Option<f64>,
    // Cloud part (cloud, hybrid burst).
    /// Cloud: the id of a cloud offer in the catalog.
    pub offer: Option<String>,
    /// Cloud: committed share of the mean cloud load [fraction] (or `committed_gpus`).
    pub committed_share: Option<f64>,
    /// Cloud: committed GPUs (or `committed_share`).
    pub committed_gpus: Option<i64>,
    /// Cloud: term of the commitment, 1 or 3 years; 1 by default.
    pub commit_term_years: Option<i64>,
    /// Cloud: share of the uncommitted GPU-hours on spot [fraction].
    pub spot_share: Option<f64>,
    /// Cloud: extra GPU-hours to redo work lost to spot interruptions [fraction]; 0.10 by
    /// default.
    pub spot_interruption_overhead: Option<f64>,
    /// Cloud: storage kept [TB].
    pub storage_tb: Option<f64>,
    /// Cloud: data leaving the cloud [TB per month].
    pub egress_tb_per_month: Option<f64>,
    /// Cloud: PUE of the provider's facility; 1.1 by default.
    pub cloud_pue: Option<f64>,
    /// Cloud: grid carbon intensity [gCO2/kWh]; 481 (world average, Ember 2023) by default.
    pub cloud_grid_co2_g_per_kwh: Option<f64>,
    /// Cloud: `fixed` (default: the offer all along) or `ride` (move to each newer generation
    /// once it is cheaper per unit of work, README G4).
    #[schemars(extend("enum" = ["fixed", "ride"]))]
    pub cloud_generations: Option<String>,
    /// Cloud: the id of a cloud offer (typically a smaller GPU) that serves the cloud work of
    /// the workloads with a `gpu_fraction`, on demand and spot as the option says (README SG3).
    pub fractional_offer: Option<String>,
}

/// How owned servers are paid for.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FinancingSpec {
    /// `cash`, `loan` or `lease`.
    #[schemars(extend("enum" = ["cash", "loan", "lease"]))]
    pub kind: String,
    /// Loan, lease: interest rate per year [fraction].
    pub annual_rate: Option<f64>,
    /// Loan, lease: term in months.
    pub term_months: Option<i64>,
    /// Loan: share of the price paid at purchase [fraction].
    pub down_payment: Option<f64>,
    /// Lease: value left to the lessor at the end of the term [fraction of price].
    pub residual: Option<f64>,
}

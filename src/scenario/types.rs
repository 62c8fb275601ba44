//! The scenario file as written (TOML), before resolution against the catalogs.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: String,
    pub description: Option<String>,
    /// Months simulated, 1..=600.
    pub horizon_months: i64,
    /// First month, `YYYY-MM`.
    pub start: String,
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Nominal discount rate per year [fraction].
    pub discount_rate: f64,
    /// Accelerator id that demand is measured in.
    pub reference_accelerator: String,
    /// `bf16` (default), `fp8` or `memory-bandwidth`.
    #[serde(default = "default_basis")]
    pub throughput_basis: String,
    /// Name of the option the others are compared with; the first option by default.
    pub baseline: Option<String>,
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
    #[serde(default, rename = "workload")]
    pub workloads: Vec<WorkloadSpec>,
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
}

/// A threshold on a reported figure, or on the verdict (README "Policies").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    pub name: String,
    /// Shown with the policy's result, broken or not.
    pub message: Option<String>,
    /// The option whose figure is bounded.
    pub option: Option<String>,
    /// A figure of the option (`pv_cost`, `unmet_share`, `irr`, ...), a Monte Carlo metric
    /// with `statistic`, or Monte Carlo odds (`p_cheapest`, ...).
    pub metric: Option<String>,
    /// `mean`, `p5`, `p10`, `p50`, `p90` or `p95` of a Monte Carlo metric.
    pub statistic: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The option the verdict must choose.
    pub winner: Option<String>,
}

/// A policy file (`--policy FILE`): `[[policy]]` tables only.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    #[serde(default)]
    pub policy: Vec<PolicySpec>,
}

/// A distribution on one numeric input, addressed by its path (README "Uncertainty").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UncertainSpec {
    /// `discount_rate`, `workload[NAME].FIELD`, `option[NAME].FIELD`, `site[ID].FIELD`, ...
    pub path: String,
    /// `fixed`, `uniform`, `triangular`, `normal`, `lognormal` or `pert`.
    pub distribution: String,
    pub value: Option<f64>,
    pub low: Option<f64>,
    pub mode: Option<f64>,
    pub high: Option<f64>,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub p10: Option<f64>,
    pub p90: Option<f64>,
}

/// A rank (Spearman) correlation between two uncertain inputs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationSpec {
    pub a: String,
    pub b: String,
    pub rank: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// `pv_cost` (default) or `p90_pv_cost`.
    #[serde(default = "default_objective")]
    pub objective: String,
    /// Monte Carlo samples at each grid point (needed by `p90_pv_cost`).
    #[serde(default)]
    pub samples: u64,
    #[serde(default, rename = "parameter")]
    pub parameters: Vec<SweepParameter>,
}

fn default_objective() -> String {
    "pv_cost".to_string()
}

/// One axis of the sweep grid: `from..=to` by `step`, or a list of `values`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepParameter {
    /// `option[NAME].FIELD`
    pub path: String,
    pub from: Option<f64>,
    pub to: Option<f64>,
    pub step: Option<f64>,
    pub values: Option<Vec<f64>>,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    pub name: String,
    /// Demand in the first month [reference-GPU-hours per month].
    pub gpu_hours_per_month: Option<f64>,
    /// Or: training compute per month [FLOPs] ...
    pub training_flops_per_month: Option<f64>,
    /// ... at this model-FLOPs utilisation [fraction].
    pub mfu: Option<f64>,
    #[serde(default)]
    pub growth_per_year: f64,
    /// `flat`, `business-hours`, `bursty`, or the path of an hourly CSV file.
    #[serde(default = "default_profile")]
    pub profile: String,
    #[serde(default)]
    pub sensitive: bool,
    /// Longest wait of its load for owned capacity [hours] (README Q1); 0 by default.
    #[serde(default)]
    pub max_wait_hours: i64,
    /// Its own value of a GPU-hour not delivered, instead of the scenario's.
    pub unserved_cost_per_gpu_hour: Option<f64>,
}

fn default_profile() -> String {
    "flat".to_string()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionSpec {
    pub name: String,
    /// `onprem`, `cloud` or `hybrid`.
    pub kind: String,
    pub description: Option<String>,
    // Owned part (onprem, hybrid).
    pub server: Option<String>,
    pub servers: Option<i64>,
    pub gpus: Option<i64>,
    pub site: Option<String>,
    pub availability: Option<f64>,
    pub refresh_years: Option<f64>,
    pub financing: Option<FinancingSpec>,
    pub depreciation: Option<String>,
    pub residual_value: Option<f64>,
    pub support_pct_per_year: Option<f64>,
    pub staff_fte_fixed: Option<f64>,
    pub staff_fte_per_server: Option<f64>,
    pub staff_salary_per_year: Option<f64>,
    pub software_per_gpu_year: Option<f64>,
    // Cloud part (cloud, hybrid burst).
    pub offer: Option<String>,
    pub committed_share: Option<f64>,
    pub committed_gpus: Option<i64>,
    pub commit_term_years: Option<i64>,
    pub spot_share: Option<f64>,
    pub spot_interruption_overhead: Option<f64>,
    pub storage_tb: Option<f64>,
    pub egress_tb_per_month: Option<f64>,
    pub cloud_pue: Option<f64>,
    pub cloud_grid_co2_g_per_kwh: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinancingSpec {
    /// `cash`, `loan` or `lease`.
    pub kind: String,
    pub annual_rate: Option<f64>,
    pub term_months: Option<i64>,
    /// Loan: share of the price paid at purchase [fraction].
    pub down_payment: Option<f64>,
    /// Lease: value left to the lessor at the end of the term [fraction of price].
    pub residual: Option<f64>,
}

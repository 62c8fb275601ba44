//! Row types of every catalog file. Field names carry their unit; money is USD unless a row
//! names its currency. `origin` (the file a row came from) and its index are filled in by the
//! loader and never read from the file.

use serde::{Deserialize, Serialize};

/// Rows that remember the file (and position in it) they were loaded from.
pub trait HasOrigin {
    fn set_origin(&mut self, file: String, index: usize);
}

macro_rules! origin {
    ($($t:ty),*) => {$(
        impl HasOrigin for $t {
            fn set_origin(&mut self, file: String, index: usize) {
                self.origin = file;
                self.index = index;
            }
        }
    )*};
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accelerator {
    pub id: String,
    pub vendor: String,
    pub name: String,
    pub memory_gb: f64,
    pub memory_bandwidth_tb_s: f64,
    /// Dense BF16 (or FP16 tensor where the chip has no BF16) [TFLOPS].
    pub bf16_dense_tflops: f64,
    /// Dense FP8 [TFLOPS], where the chip has FP8.
    pub fp8_dense_tflops: Option<f64>,
    pub tdp_w: f64,
    /// Multi-Instance GPU: the slices of the GPU's compute that its instances are made of.
    pub mig_slices: Option<u32>,
    /// Multi-Instance GPU profiles as `[slices, instances]`: an instance of `slices` of
    /// `mig_slices`, of which `instances` fit on one GPU; ascending by slices.
    #[serde(default, deserialize_with = "pairs")]
    pub mig_profiles: Option<Vec<[u32; 2]>>,
    /// Release, `YYYY-MM` or `YYYY`.
    pub release: String,
    pub street_price_usd: f64,
    #[serde(default)]
    pub price_estimate: bool,
    pub source: String,
    pub as_of: String,
    #[serde(default)]
    pub estimate: bool,
    pub note: Option<String>,
    #[serde(skip)]
    pub origin: String,
    #[serde(skip)]
    pub index: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub id: String,
    pub name: String,
    pub accelerator: String,
    pub accelerator_count: u32,
    /// Maximum system power [kW].
    pub max_power_kw: f64,
    /// Idle power as a fraction of maximum power [0..1].
    pub idle_fraction: f64,
    pub price_usd: f64,
    pub rack_units: u32,
    pub warranty_years: f64,
    /// Support contract after warranty [% of price per year].
    pub support_pct_per_year: f64,
    pub source: String,
    pub as_of: String,
    #[serde(default)]
    pub estimate: bool,
    pub note: Option<String>,
    #[serde(skip)]
    pub origin: String,
    #[serde(skip)]
    pub index: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub id: String,
    pub name: String,
    /// Discount off on-demand used to derive a missing 1-year committed price [0..1].
    pub commit_1y_discount: f64,
    /// Discount off on-demand used to derive a missing 3-year committed price [0..1].
    pub commit_3y_discount: f64,
    pub storage_usd_per_tb_month: f64,
    pub egress_usd_per_tb: f64,
    pub source: String,
    pub as_of: String,
    #[serde(default)]
    pub estimate: bool,
    pub note: Option<String>,
    #[serde(skip)]
    pub origin: String,
    #[serde(skip)]
    pub index: usize,
}

/// One row of `cloud-offers.csv`. Prices are per instance-hour (all its accelerators).
#[derive(Debug, Clone)]
pub struct CloudOffer {
    pub id: String,
    pub provider: String,
    pub instance_type: String,
    pub region: String,
    pub accelerator: String,
    pub accelerator_count: u32,
    pub on_demand_usd_per_hour: f64,
    pub spot_usd_per_hour: Option<f64>,
    pub commit_1y_usd_per_hour: Option<f64>,
    pub commit_3y_usd_per_hour: Option<f64>,
    /// The 1-year price was derived from the provider's documented discount.
    pub commit_1y_derived: bool,
    /// The 3-year price was derived from the provider's documented discount.
    pub commit_3y_derived: bool,
    pub source: String,
    pub as_of: String,
    pub estimate: bool,
    pub note: Option<String>,
    pub origin: String,
    /// Line of the row in its CSV file.
    pub line: usize,
}

impl HasOrigin for CloudOffer {
    fn set_origin(&mut self, file: String, _index: usize) {
        self.origin = file;
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub country: String,
    /// Currency of the site's prices.
    pub currency: String,
    /// [site currency per kWh]
    pub electricity_per_kwh: f64,
    /// Power usage effectiveness [>= 1].
    pub pue: f64,
    /// Space and power provisioning [site currency per kW of IT power per month].
    pub colocation_per_kw_month: f64,
    /// Grid carbon intensity [gCO2/kWh].
    pub grid_co2_g_per_kwh: f64,
    pub source: String,
    pub as_of: String,
    #[serde(default)]
    pub estimate: bool,
    pub note: Option<String>,
    #[serde(skip)]
    pub origin: String,
    #[serde(skip)]
    pub index: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub id: String,
    pub name: String,
    /// `straight-line`, `declining-balance` or `table`.
    pub method: String,
    pub life_years: Option<u32>,
    pub salvage_fraction: Option<f64>,
    pub factor: Option<f64>,
    pub switch_to_straight_line: Option<bool>,
    pub annual_rates: Option<Vec<f64>>,
    pub source: String,
    pub as_of: String,
    #[serde(default)]
    pub estimate: bool,
    pub note: Option<String>,
    #[serde(skip)]
    pub origin: String,
    #[serde(skip)]
    pub index: usize,
}

impl Policy {
    /// The finance-module form of this policy; `None` when its fields do not fit its method
    /// (validation rejects such rows before any run).
    pub fn method(&self) -> Option<crate::finance::Depreciation> {
        use crate::finance::Depreciation;
        match self.method.as_str() {
            "straight-line" => Some(Depreciation::StraightLine {
                life_years: self.life_years?,
                salvage_fraction: self.salvage_fraction.unwrap_or(0.0),
            }),
            "declining-balance" => Some(Depreciation::DecliningBalance {
                life_years: self.life_years?,
                factor: self.factor.unwrap_or(2.0),
                salvage_fraction: self.salvage_fraction.unwrap_or(0.0),
                switch_to_straight_line: self.switch_to_straight_line.unwrap_or(true),
            }),
            "table" => Some(Depreciation::Table {
                annual_rates: self.annual_rates.clone()?,
            }),
            _ => None,
        }
    }
}

/// A hyperscaler's change of the book life of its servers: reference data only.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UsefulLifeChange {
    pub company: String,
    pub asset: String,
    pub from_years: f64,
    pub to_years: f64,
    pub effective: String,
    pub source: String,
    pub as_of: String,
    pub note: Option<String>,
    #[serde(skip)]
    pub origin: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxRate {
    pub currency: String,
    /// Units of this currency for one US dollar.
    pub per_usd: f64,
    pub source: String,
    pub as_of: String,
    #[serde(default)]
    pub estimate: bool,
    pub note: Option<String>,
    #[serde(skip)]
    pub origin: String,
    #[serde(skip)]
    pub index: usize,
}

/// Staff effort of owned servers at one degree of automation (`staffing.toml`, README
/// "Automation and staff").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Automation {
    /// `manual`, `scripted` or `full` in the shipped catalog; a layer may add its own.
    pub id: String,
    pub name: String,
    /// Operations staff per 100 owned GPUs [FTE].
    pub fte_per_100_gpus: f64,
    /// Operations staff however few GPUs there are [FTE].
    pub fixed_fte: f64,
    /// Platform engineers who build and keep the automation [FTE].
    pub platform_fte: f64,
    /// Software of the automation per owned GPU and year [USD].
    pub software_per_gpu_year_usd: f64,
    pub source: String,
    pub as_of: String,
    #[serde(default)]
    pub estimate: bool,
    pub note: Option<String>,
    #[serde(skip)]
    pub origin: String,
    #[serde(skip)]
    pub index: usize,
}

origin!(
    Accelerator,
    Server,
    Provider,
    Site,
    Policy,
    FxRate,
    Automation
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcceleratorFile {
    #[serde(default)]
    pub accelerator: Vec<Accelerator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerFile {
    #[serde(default)]
    pub server: Vec<Server>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProviderFile {
    #[serde(default)]
    pub provider: Vec<Provider>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SiteFile {
    #[serde(default)]
    pub site: Vec<Site>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DepreciationFile {
    #[serde(default)]
    pub policy: Vec<Policy>,
    #[serde(default)]
    pub useful_life_change: Vec<UsefulLifeChange>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FxFile {
    #[serde(default)]
    pub rate: Vec<FxRate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StaffingFile {
    #[serde(default)]
    pub automation: Vec<Automation>,
}

/// Where a value a run used came from (README "JSON output", `catalog_rows_used`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ValueFrom {
    /// A field of the row, as the catalog file writes it.
    Catalog,
    /// Computed by tcosim from the row's fields (a price per GPU-hour, a relative throughput,
    /// a committed price from the provider's discount).
    Derived,
    /// The scenario's own setting, which replaced the row's value for one option.
    Scenario,
}

impl ValueFrom {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueFrom::Catalog => "catalog",
            ValueFrom::Derived => "derived",
            ValueFrom::Scenario => "scenario",
        }
    }
}

/// A value as JSON writes it: a number, a list of numbers (a depreciation table) or a text
/// (a depreciation method).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Figure {
    Number(f64),
    Numbers(Vec<f64>),
    Text(String),
}

/// A money value converted into the scenario currency, as the model uses it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Converted {
    pub value: f64,
    pub unit: String,
}

/// One value a run used from a catalog row, with its unit.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RowValue {
    /// The row's field name, or the name of the derived figure (`on_demand_usd_per_gpu_hour`).
    pub name: String,
    pub value: Figure,
    pub unit: String,
    pub from: ValueFrom,
    /// The row's own value, when the scenario replaced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_value: Option<f64>,
    /// The option whose setting replaced the row's value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
    /// The value in the scenario currency, for money in another currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converted: Option<Converted>,
}

impl RowValue {
    /// A number from the catalog row.
    pub fn catalog(name: &str, value: f64, unit: &str) -> RowValue {
        RowValue {
            name: name.to_string(),
            value: Figure::Number(value),
            unit: unit.to_string(),
            from: ValueFrom::Catalog,
            catalog_value: None,
            option: None,
            converted: None,
        }
    }

    /// A number tcosim computed from the row.
    pub fn derived(name: &str, value: f64, unit: &str) -> RowValue {
        RowValue {
            from: ValueFrom::Derived,
            ..RowValue::catalog(name, value, unit)
        }
    }

    /// The scenario's `value` for `option`, in place of the row's `catalog_value`.
    pub fn scenario(
        name: &str,
        value: f64,
        unit: &str,
        option: &str,
        catalog_value: f64,
    ) -> RowValue {
        RowValue {
            from: ValueFrom::Scenario,
            catalog_value: Some(catalog_value),
            option: Some(option.to_string()),
            ..RowValue::catalog(name, value, unit)
        }
    }

    /// Adds the value in the scenario currency, when `unit` differs from `converted_unit`.
    pub fn converted(mut self, value: f64, converted_unit: String) -> RowValue {
        if converted_unit != self.unit {
            self.converted = Some(Converted {
                value,
                unit: converted_unit,
            });
        }
        self
    }
}

/// A catalog row a run used, as reported in `catalog_rows_used`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RowRef {
    /// Catalog name: `accelerators`, `servers`, `cloud-offers`, `cloud-providers`, `sites`,
    /// `depreciation`, `fx`.
    pub catalog: String,
    pub id: String,
    pub source: String,
    pub as_of: String,
    pub estimate: bool,
    /// Figures in the row that tcosim derived (e.g. a committed price from a discount).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived: Option<String>,
    /// The file the row was loaded from.
    pub file: String,
    /// The values the run used from the row, in the order it used them.
    pub values: Vec<RowValue>,
}

/// `[a, b]` pairs of whole numbers, each of exactly two: a TOML reader binds the first two
/// elements of a longer array to a pair and drops the rest.
fn pairs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<[u32; 2]>>, D::Error> {
    let Some(lists) = Option::<Vec<Vec<u32>>>::deserialize(d)? else {
        return Ok(None);
    };
    lists
        .into_iter()
        .map(|l| match l[..] {
            [a, b] => Ok([a, b]),
            _ => Err(serde::de::Error::invalid_length(
                l.len(),
                &"a pair `[slices, instances]` of two whole numbers",
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

//! JSON: the documented, versioned contract of `run` (README "JSON output"). Raw numbers in the
//! scenario currency; `null` where a figure does not exist (no payback, no IRR, ...).
//!
//! The document borrows the run and builds each option's object and each monthly row only
//! when the serializer reaches it, so the memory beyond the output itself stays that of one
//! row however many options and months there are.

use crate::catalog::RowRef;
use crate::model::{Category, Group, MonthRow, OptionResult};
use crate::run::Run;
use crate::timeline::YearMonth;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// Version of the JSON contract; bumped when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Document<'a> {
    pub schema_version: u32,
    pub scenario: ScenarioJson<'a>,
    pub baseline: &'a str,
    pub options: Options<'a>,
    pub catalog_rows_used: &'a [RowRef],
    pub warnings: &'a [String],
    /// Present only when Monte Carlo samples were run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub montecarlo: Option<serde_json::Value>,
}

#[derive(Serialize)]
pub struct ScenarioJson<'a> {
    pub name: &'a str,
    pub source: &'a str,
    pub horizon_months: usize,
    pub start: String,
    pub currency: &'a str,
    pub discount_rate: f64,
}

#[derive(Serialize)]
pub struct OptionJson<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub pv_cost: f64,
    pub total_cost: f64,
    pub savings_vs_baseline: f64,
    pub cost_per_gpu_hour: Option<f64>,
    pub demand_gpu_hours: f64,
    pub served_onprem_gpu_hours: f64,
    pub served_cloud_gpu_hours: f64,
    pub unmet_gpu_hours: f64,
    pub owned_gpus: f64,
    pub owned_utilization: Option<f64>,
    pub break_even_utilization: Option<f64>,
    pub energy_kwh: f64,
    pub co2_t: f64,
    pub depreciation: f64,
    pub payback_month: Option<usize>,
    pub roi: Option<f64>,
    pub irr: Option<f64>,
    pub irr_roots: Option<usize>,
    pub breakdown: BTreeMap<&'static str, f64>,
    pub monthly: Months<'a>,
}

/// The options of a run, each turned into an [`OptionJson`] as it is serialized.
pub struct Options<'a>(pub &'a [OptionResult]);

impl Serialize for Options<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(option_json))
    }
}

/// The monthly rows of an option, each turned into a [`MonthJson`] as it is serialized.
pub struct Months<'a>(pub &'a [MonthRow]);

impl Serialize for Months<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(month_json))
    }
}

#[derive(Serialize)]
pub struct MonthJson {
    pub month: usize,
    #[serde(serialize_with = "year_month")]
    pub date: YearMonth,
    pub demand_gpu_hours: f64,
    pub served_onprem_gpu_hours: f64,
    pub served_cloud_gpu_hours: f64,
    pub unmet_gpu_hours: f64,
    pub capex: f64,
    pub opex: f64,
    pub cloud: f64,
    pub cash_out: f64,
    pub depreciation: f64,
    pub energy_kwh: f64,
    pub co2_t: f64,
}

fn option_json(o: &OptionResult) -> OptionJson<'_> {
    OptionJson {
        name: &o.name,
        kind: o.kind.as_str(),
        pv_cost: o.pv_cost,
        total_cost: o.total_cost,
        savings_vs_baseline: o.savings_vs_baseline,
        cost_per_gpu_hour: o.cost_per_gpu_hour,
        demand_gpu_hours: o.demand_gpu_hours,
        served_onprem_gpu_hours: o.served_onprem_gpu_hours,
        served_cloud_gpu_hours: o.served_cloud_gpu_hours,
        unmet_gpu_hours: o.unmet_gpu_hours,
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
        breakdown: Category::ALL
            .iter()
            .map(|c| (c.key(), o.breakdown[*c as usize]))
            .collect(),
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
        capex: r.group(Group::Capex),
        opex: r.group(Group::Opex),
        cloud: r.group(Group::Cloud),
        cash_out: r.cash_out(),
        depreciation: r.depreciation,
        energy_kwh: r.energy_kwh,
        co2_t: r.co2_t,
    }
}

/// A month as its `YYYY-MM` text, written straight into the output.
fn year_month<S: Serializer>(date: &YearMonth, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(date)
}

pub fn document(run: &Run) -> Document<'_> {
    Document {
        schema_version: SCHEMA_VERSION,
        scenario: ScenarioJson {
            name: &run.input.name,
            source: &run.source,
            horizon_months: run.input.horizon_months,
            start: run.input.start.to_string(),
            currency: &run.input.currency,
            discount_rate: run.input.discount_rate,
        },
        baseline: &run.output.options[run.output.baseline].name,
        options: Options(&run.output.options),
        catalog_rows_used: &run.rows_used,
        warnings: &run.warnings,
        montecarlo: run.montecarlo.as_ref().map(super::uncertainty::mc_json),
    }
}

pub fn render(run: &Run) -> String {
    let mut s = serde_json::to_string_pretty(&document(run))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// Writes what [`render`] returns to `out` as it is produced, without holding the text.
pub fn write(run: &Run, mut out: impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut out, &document(run))?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn write_streams_exactly_the_rendered_text() {
        let run = crate::run::load(None, &[]).expect("the built-in example loads");
        let mut out = Vec::new();
        super::write(&run, &mut out).expect("writing to memory cannot fail");
        assert_eq!(String::from_utf8(out).ok(), Some(super::render(&run)));
    }
}

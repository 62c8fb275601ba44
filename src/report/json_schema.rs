//! JSON Schemas of the scenario file and of the JSON output of `run`, derived from the Rust
//! types that read and write them (`tcosim schema`), and the output types that need a schema
//! of their own: the breakdown by category, and the Monte Carlo statistics.
//!
//! Both schemas are JSON Schema draft 7, which TOML editors (taplo, Even Better TOML) and most
//! validators read.

use crate::model::Category;
use crate::montecarlo::engine::{METRICS, MetricStats, MonteCarlo, OptionStats};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The schema of a scenario file (TOML, read as the JSON value of its tables).
pub fn scenario() -> Schema {
    SchemaSettings::draft07()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<crate::scenario::ScenarioFile>()
}

/// The schema of the document `tcosim run --format json` writes.
pub fn output() -> Schema {
    SchemaSettings::draft07()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<super::json::Document<'static>>()
}

/// The schema as text: pretty JSON and a final newline.
pub fn render(schema: &Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

/// An object with exactly the keys `keys`, each valued by the schema of `T`.
fn exact_object<T: JsonSchema>(generator: &mut SchemaGenerator, keys: &[&str]) -> Schema {
    let value = generator.subschema_for::<T>();
    let properties: serde_json::Map<String, serde_json::Value> = keys
        .iter()
        .map(|k| (k.to_string(), value.clone().to_value()))
        .collect();
    json_schema!({
        "type": "object",
        "properties": properties,
        "required": keys,
        "additionalProperties": false,
    })
}

/// An option's total cost by category (README "JSON output"), keyed by [`Category::key`].
#[derive(Serialize)]
pub struct Breakdown(pub BTreeMap<&'static str, f64>);

impl JsonSchema for Breakdown {
    fn schema_name() -> Cow<'static, str> {
        "Breakdown".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let keys: Vec<&str> = Category::ALL.iter().map(|c| c.key()).collect();
        let mut schema = exact_object::<f64>(generator, &keys);
        schema.insert(
            "description".into(),
            "Total cost by category [scenario currency]; capex = hardware + financing + \
             residual_value, opex = lease + energy + colocation + staff + support + software, \
             cloud = the cloud categories"
                .into(),
        );
        schema
    }
}

impl JsonSchema for super::json::Options<'_> {
    fn schema_name() -> Cow<'static, str> {
        "Options".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<Vec<super::json::OptionJson<'static>>>()
    }
}

impl JsonSchema for super::json::Months<'_> {
    fn schema_name() -> Cow<'static, str> {
        "Months".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<Vec<super::json::MonthJson>>()
    }
}

/// The `montecarlo` object of the JSON output (only with `--samples`). Fields are declared in
/// the order of their names, the order this object has always been written in.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct MonteCarloJson<'a> {
    /// Per option, in the scenario's order.
    pub options: Vec<McOptionJson<'a>>,
    /// Relative error bound of the streamed quantiles (0.0005: 0.05%, README U3).
    pub quantile_relative_error: f64,
    pub samples: u64,
    pub seed: u64,
}

/// The Monte Carlo odds and statistics of one option.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct McOptionJson<'a> {
    pub metrics: Metrics,
    pub name: &'a str,
    /// Share of samples in which the option's PV cost is below the baseline's.
    pub p_beats_baseline: f64,
    /// Share of samples in which the option is the cheapest (ties share the win).
    pub p_cheapest: f64,
    /// Share of samples in which the option serves all its demand.
    pub p_serves_demand: f64,
}

/// The statistics of each metric of [`METRICS`]; `null` for a metric no sample had.
#[derive(Serialize)]
pub struct Metrics(pub BTreeMap<&'static str, Option<StatsJson>>);

impl JsonSchema for Metrics {
    fn schema_name() -> Cow<'static, str> {
        "Metrics".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        exact_object::<Option<StatsJson>>(generator, &METRICS)
    }
}

/// Streamed statistics of one metric over the samples.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StatsJson {
    /// Samples that had the metric.
    pub count: u64,
    pub mean: f64,
    pub p10: f64,
    pub p5: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    /// Sample standard deviation (divisor n − 1); null when fewer than two samples had the
    /// metric.
    pub sd: Option<f64>,
}

impl StatsJson {
    fn of(s: &MetricStats) -> StatsJson {
        let [p5, p10, p50, p90, p95] = s.quantiles;
        StatsJson {
            count: s.count,
            mean: s.mean,
            p10,
            p5,
            p50,
            p90,
            p95,
            sd: s.sd,
        }
    }
}

impl<'a> McOptionJson<'a> {
    fn of(o: &'a OptionStats) -> McOptionJson<'a> {
        McOptionJson {
            metrics: Metrics(
                METRICS
                    .iter()
                    .zip(&o.metrics)
                    .map(|(k, s)| (*k, s.as_ref().map(StatsJson::of)))
                    .collect(),
            ),
            name: &o.name,
            p_beats_baseline: o.p_beats_baseline,
            p_cheapest: o.p_cheapest,
            p_serves_demand: o.p_serves_demand,
        }
    }
}

impl<'a> MonteCarloJson<'a> {
    pub fn of(mc: &'a MonteCarlo) -> MonteCarloJson<'a> {
        MonteCarloJson {
            options: mc.options.iter().map(McOptionJson::of).collect(),
            quantile_relative_error: crate::montecarlo::stats::QuantileSketch::REL_ERROR,
            samples: mc.samples,
            seed: mc.seed,
        }
    }
}

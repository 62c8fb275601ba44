//! Resolution of a scenario against the catalogs: every id looked up, every value range-checked,
//! every price converted to the scenario currency. Errors point at the key in the scenario file.

use super::{OptionSpec, ScenarioFile, Source, WorkloadSpec};
use crate::catalog::{Accelerator, Catalog, CloudOffer, Figure, RowRef, RowValue};
use crate::error::{InputError, Seg, key_path, locate_in, locate_toml};
use crate::model::{
    CloudIn, Commitment, Financing, Input, Kind, OptionIn, OwnedIn, TaxIn, WorkloadIn,
};
use crate::profile::{BUILTIN_PROFILES, Profile};
use crate::timeline::parse_year_month;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

mod generations;
mod sharing;
mod trace_workload;

/// Defaults of optional option fields (README "Scenario defaults").
pub mod defaults {
    /// Share of hours an installed GPU can serve (maintenance, failures) [estimate].
    pub const AVAILABILITY: f64 = 0.97;
    /// Resale value at the end of a cycle [fraction of price, estimate].
    pub const RESIDUAL_VALUE: f64 = 0.10;
    pub const DEPRECIATION: &str = "straight-line-5y";
    /// Extra GPU-hours to redo work lost to spot interruptions [estimate].
    pub const SPOT_OVERHEAD: f64 = 0.10;
    /// Hyperscale facility PUE: Google reports about 1.1 (Uptime/Statista, 2024).
    pub const CLOUD_PUE: f64 = 1.1;
    /// World average grid intensity, Ember 2023 [gCO2/kWh].
    pub const CLOUD_GRID_CO2: f64 = 481.0;
    /// Busy cloud-server power per GPU as a multiple of the GPU's TDP (host CPUs, memory,
    /// network, fans); a DGX H100 draws 10.2 kW at most for 8 × 700 W GPUs (1.8×) [estimate].
    pub const CLOUD_HOST_FACTOR: f64 = 1.5;
}

/// Highest price of a reference GPU-hour not delivered [scenario currency].
pub const MAX_UNSERVED_PRICE: f64 = 1e6;

/// A scenario ready to simulate, with what it used and what it warns about.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub input: Input,
    pub file: ScenarioFile,
    pub rows_used: Vec<RowRef>,
    pub warnings: Vec<String>,
    /// The catalog rows behind each option, for inputs addressed by catalog row.
    pub option_links: Vec<OptionLinks>,
    /// Training-FLOPs workloads: (FLOPs per month, MFU, reference TFLOPS), per workload.
    pub workload_flops: Vec<Option<TrainingFlops>>,
}

/// A training workload's (FLOPs per month, MFU, reference TFLOPS).
pub type TrainingFlops = (f64, f64, f64);

/// Reference-GPU-hours per month of a training workload (README equation M0b):
/// FLOPs / (peak FLOP/s of the reference × MFU × 3600 s).
pub fn training_gpu_hours(flops: f64, mfu: f64, tflops: f64) -> f64 {
    flops / (tflops * 1e12 * mfu * 3600.0)
}

/// The reference accelerator's dense peak in TFLOPS on the throughput basis: FP8 where it
/// has one and the basis asks for it, else BF16.
fn reference_tflops(reference: &Accelerator, basis: &str) -> f64 {
    if basis == "fp8" {
        reference
            .fp8_dense_tflops
            .unwrap_or(reference.bf16_dense_tflops)
    } else {
        reference.bf16_dense_tflops
    }
}

/// The catalog rows an option uses.
#[derive(Debug, Clone, Default)]
pub struct OptionLinks {
    pub server: Option<String>,
    /// Site id and the currency of its prices.
    pub site: Option<(String, String)>,
    pub offer: Option<OfferLink>,
}

#[derive(Debug, Clone)]
pub struct OfferLink {
    pub id: String,
    pub provider: String,
    pub gpus_per_instance: u32,
    /// 1 or 3.
    pub commit_term_years: i64,
    /// The discount the chosen term's committed price is derived with, when it is derived.
    pub derived_commit_discount: Option<f64>,
}

/// Error at `path` in the scenario `source`, with its line and column.
pub fn error_at(source: &Source, path: &[Seg], problem: impl Into<String>) -> InputError {
    let mut e = InputError::new(&source.display, problem);
    if !path.is_empty() {
        e = e.at_key(key_path(path));
    }
    if let Some((line, col)) = locate_toml(&source.text, path) {
        e = e.at_position(line, col);
    }
    e
}

fn links(
    file: &ScenarioFile,
    catalog: &Catalog,
    reference: &Accelerator,
    basis: &str,
) -> (Vec<OptionLinks>, Vec<Option<TrainingFlops>>) {
    let options = file
        .options
        .iter()
        .map(|o| {
            let site = o
                .site
                .as_ref()
                .and_then(|s| catalog.site(s))
                .map(|s| (s.id.clone(), s.currency.clone()));
            let offer = o
                .offer
                .as_ref()
                .and_then(|id| catalog.offer(id))
                .map(|offer| {
                    let term = o.commit_term_years.unwrap_or(1);
                    let provider = catalog.provider(&offer.provider);
                    let derived = if term == 3 {
                        offer.commit_3y_derived
                    } else {
                        offer.commit_1y_derived
                    };
                    OfferLink {
                        id: offer.id.clone(),
                        provider: offer.provider.clone(),
                        gpus_per_instance: offer.accelerator_count,
                        commit_term_years: term,
                        derived_commit_discount: provider.filter(|_| derived).map(|p| {
                            if term == 3 {
                                p.commit_3y_discount
                            } else {
                                p.commit_1y_discount
                            }
                        }),
                    }
                });
            OptionLinks {
                server: o.server.clone(),
                site,
                offer,
            }
        })
        .collect();
    let tflops = reference_tflops(reference, basis);
    let flops = file
        .workloads
        .iter()
        .map(|w| match (w.training_flops_per_month, w.mfu) {
            (Some(f), Some(m)) => Some((f, m, tflops)),
            _ => None,
        })
        .collect();
    (options, flops)
}

struct Ctx<'a> {
    source: &'a Source,
    /// The scenario's text parsed for the positions of errors, once, when the first is found.
    located: std::cell::OnceCell<Option<toml_edit::Document<&'a str>>>,
    catalog: &'a Catalog,
    /// Rows used, by (catalog, id, file); a row used once with a derived figure keeps the note.
    rows: BTreeMap<(String, String, String), RowRef>,
    warnings: Vec<String>,
    /// Values out of range in the entry being resolved, which went on with the nearest value
    /// in range so that the entry's other values are checked too; the caller takes them after
    /// each entry, and the scenario fails if any was found.
    deferred: std::cell::RefCell<Vec<InputError>>,
    /// With `[tax]`: its `policy` when the catalog holds it (README TX2).
    tax: Option<Option<String>>,
    /// The scenario's first month, when it is well formed (release months count from it).
    start: Option<crate::timeline::YearMonth>,
    /// The horizon in months (1 to 600).
    horizon: usize,
}

impl Ctx<'_> {
    /// Line and column of `path` in the scenario.
    fn locate(&self, path: &[Seg]) -> Option<(usize, usize)> {
        let text = self.source.text.as_str();
        let doc = self
            .located
            .get_or_init(|| toml_edit::Document::parse(text).ok());
        locate_in(doc.as_ref()?, text, path)
    }

    /// Whether the scenario's text sets the key at `path` (a default of the same value does
    /// not).
    fn written(&self, path: &[Seg]) -> bool {
        let text = self.source.text.as_str();
        let doc = self
            .located
            .get_or_init(|| toml_edit::Document::parse(text).ok());
        let Some(doc) = doc.as_ref() else {
            return false;
        };
        let mut item: &toml_edit::Item = doc.as_item();
        for seg in path {
            let next = match seg {
                Seg::Key(k) => item.get(*k),
                Seg::Name(k) => item.get(k.as_str()),
                Seg::Index(i) => item.get(*i),
            };
            match next {
                Some(next) => item = next,
                None => return false,
            }
        }
        true
    }

    fn err(&self, path: &[Seg], problem: impl Into<String>) -> InputError {
        let mut e = InputError::new(&self.source.display, problem);
        // A problem of the whole file (no workloads, no options) has no key to name.
        if !path.is_empty() {
            e = e.at_key(key_path(path));
        }
        if let Some((line, col)) = self.locate(path) {
            e = e.at_position(line, col);
        }
        e
    }

    fn range(
        &self,
        path: &[Seg],
        value: f64,
        min: f64,
        max: f64,
        expected: &str,
    ) -> Result<f64, InputError> {
        if value.is_finite() && value >= min && value <= max {
            Ok(value)
        } else {
            let found = crate::error::written(value);
            Err(self.out_of_range(path, expected, found, value, max))
        }
    }

    /// "`field` is out of range" at `path`, with what is `expected` and the value `found` as
    /// written; `value` and `max` tell whether the expected range names its maximum.
    fn out_of_range(
        &self,
        path: &[Seg],
        expected: &str,
        found: String,
        value: f64,
        max: f64,
    ) -> InputError {
        let field = match path.last() {
            Some(Seg::Key(k)) => (*k).to_string(),
            _ => key_path(path),
        };
        let e = self
            .err(path, format!("`{field}` is out of range"))
            .expected(expected.to_string())
            .found(found);
        crate::error::beyond_max(e, expected, value, max)
    }

    /// [`Ctx::range`] that records a value out of range in [`Ctx::deferred`] and goes on with
    /// the nearest value in range (`min` for a value that is not a number).
    fn value_in(&self, path: &[Seg], value: f64, min: f64, max: f64, expected: &str) -> f64 {
        match self.range(path, value, min, max, expected) {
            Ok(v) => v,
            Err(e) => {
                self.deferred.borrow_mut().push(e);
                if value.is_nan() {
                    min
                } else {
                    value.clamp(min, max)
                }
            }
        }
    }

    /// [`Ctx::value_in`] of a whole number, compared and echoed as the integer written (a
    /// conversion to f64 would round 9223372036854775807 to 9223372036854776000).
    fn whole_in(&self, path: &[Seg], value: i64, min: u32, max: u32, expected: &str) -> u32 {
        if let Ok(v) = u32::try_from(value)
            && (min..=max).contains(&v)
        {
            return v;
        }
        let e = self.out_of_range(
            path,
            expected,
            value.to_string(),
            value as f64,
            f64::from(max),
        );
        self.deferred.borrow_mut().push(e);
        value.clamp(i64::from(min), i64::from(max)) as u32
    }

    fn unknown(&self, path: &[Seg], kind: &str, id: &str, known: Vec<&str>) -> InputError {
        let mut e = InputError::unknown_id(&self.source.display, key_path(path), kind, id, known);
        if let Some((line, col)) = self.locate(path) {
            e = e.at_position(line, col);
        }
        e
    }

    fn use_row(
        &mut self,
        catalog: &str,
        id: &str,
        meta: (&str, &str, bool),
        derived: Option<String>,
        file: &str,
    ) {
        let (source, as_of, estimate) = meta;
        let key = (catalog.to_string(), id.to_string(), file.to_string());
        let row = self.rows.entry(key).or_insert_with(|| RowRef {
            catalog: catalog.to_string(),
            id: id.to_string(),
            source: source.to_string(),
            as_of: as_of.to_string(),
            estimate,
            derived: None,
            file: file.to_string(),
            values: Vec::new(),
        });
        if let Some(note) = derived {
            match &mut row.derived {
                Some(existing) if !existing.contains(&note) => {
                    existing.push_str("; ");
                    existing.push_str(&note);
                }
                Some(_) => {}
                None => row.derived = Some(note),
            }
        }
    }

    /// Records `values` as used from the row `(catalog, id, file)`, each equal value once;
    /// the row must have been recorded with [`Ctx::use_row`].
    fn add_values(&mut self, catalog: &str, id: &str, file: &str, values: Vec<RowValue>) {
        let key = (catalog.to_string(), id.to_string(), file.to_string());
        if let Some(row) = self.rows.get_mut(&key) {
            for v in values {
                if !row.values.contains(&v) {
                    row.values.push(v);
                }
            }
        }
    }

    /// Records the throughput figure of `a` on `basis` and its throughput relative to the
    /// reference (README equation M0).
    fn add_throughput(&mut self, a: &Accelerator, basis: &str, rel: f64) {
        let figure = match basis {
            "bf16" => RowValue::catalog("bf16_dense_tflops", a.bf16_dense_tflops, "TFLOPS"),
            "fp8" => RowValue::catalog(
                "fp8_dense_tflops",
                a.fp8_dense_tflops.unwrap_or(f64::NAN),
                "TFLOPS",
            ),
            _ => RowValue::catalog("memory_bandwidth_tb_s", a.memory_bandwidth_tb_s, "TB/s"),
        };
        let rel = RowValue::derived("relative_throughput", rel, "reference GPUs per GPU");
        self.add_values("accelerators", &a.id, &a.origin, vec![figure, rel]);
    }

    fn accelerator(&mut self, path: &[Seg], id: &str) -> Result<Accelerator, InputError> {
        let Some(a) = self.catalog.accelerator(id) else {
            return Err(self.unknown(
                path,
                "accelerator",
                id,
                self.catalog
                    .accelerators
                    .iter()
                    .map(|a| a.id.as_str())
                    .collect(),
            ));
        };
        let a = a.clone();
        self.use_row(
            "accelerators",
            &a.id,
            (&a.source, &a.as_of, a.estimate || a.price_estimate),
            None,
            &a.origin,
        );
        Ok(a)
    }

    fn convert(
        &mut self,
        path: &[Seg],
        amount: f64,
        from: &str,
        to: &str,
    ) -> Result<f64, InputError> {
        for cur in [from, to] {
            if cur != "USD"
                && let Some(r) = self.catalog.fx_rate(cur)
            {
                let r = r.clone();
                self.use_row(
                    "fx",
                    &r.currency,
                    (&r.source, &r.as_of, r.estimate),
                    None,
                    &r.origin,
                );
                let unit = format!("{} per USD", r.currency);
                self.add_values(
                    "fx",
                    &r.currency,
                    &r.origin,
                    vec![RowValue::catalog("per_usd", r.per_usd, &unit)],
                );
            }
        }
        self.catalog.convert(amount, from, to).ok_or_else(|| {
            self.err(path, format!("no exchange rate from `{from}` to `{to}`"))
                .expected("both currencies in fx.toml")
        })
    }
}

/// Throughput of `a` on the scenario's basis (README equation M0).
fn throughput(ctx: &Ctx, basis: &str, a: &Accelerator, path: &[Seg]) -> Result<f64, InputError> {
    match basis {
        "bf16" => Ok(a.bf16_dense_tflops),
        "fp8" => a.fp8_dense_tflops.ok_or_else(|| {
            ctx.err(
                path,
                format!("accelerator `{}` has no FP8 throughput", a.id),
            )
            .expected("an accelerator with `fp8_dense_tflops`, or throughput_basis = \"bf16\"")
            .found("no FP8 figure in the catalog")
        }),
        _ => Ok(a.memory_bandwidth_tb_s),
    }
}

/// A scenario that does not resolve: every problem found, in the order they were checked (the
/// first is the one `resolve` reports), and the warnings gathered on the way.
#[derive(Debug, Clone)]
pub struct Unresolved {
    pub errors: Vec<InputError>,
    pub warnings: Vec<String>,
    /// What did resolve, for the checks that depend on the scenario but not on the values in
    /// error (`tcosim validate`'s checks of `[[uncertain]]` entries and of the `[sweep]`): only
    /// the workloads and options that resolved, in their order, with the top-level values as
    /// written (it is never simulated). `None` after a problem that these checks depend on (an
    /// unknown reference accelerator, too many entries) or one found only once the rest had
    /// resolved (the bound on demand, the laying of trace jobs).
    pub partial: Option<Box<Resolved>>,
    /// The names of the workloads and of the options left out of `partial`: what refers to
    /// them cannot be checked.
    pub failed_workloads: Vec<String>,
    pub failed_options: Vec<String>,
}

/// Resolves the scenario `source` against `catalog`, stopping at its first problem.
pub fn resolve(source: &Source, catalog: &Catalog) -> Result<Resolved, InputError> {
    let file = source.parse()?;
    resolve_file(source, catalog, file).map_err(|mut u| u.errors.swap_remove(0))
}

/// Resolves the parsed scenario `file` of `source`, checking everything that can be checked
/// after a problem: every workload and every option (each to its first problem, and every
/// unknown catalog id of an option), every top-level value. A problem that later checks
/// depend on (an unknown reference accelerator) skips only them.
pub fn resolve_file(
    source: &Source,
    catalog: &Catalog,
    file: super::ScenarioFile,
) -> Result<Resolved, Unresolved> {
    let mut errors: Vec<InputError> = Vec::new();
    let mut ctx = Ctx {
        source,
        located: std::cell::OnceCell::new(),
        catalog,
        rows: BTreeMap::new(),
        warnings: Vec::new(),
        deferred: std::cell::RefCell::new(Vec::new()),
        tax: None,
        start: None,
        horizon: 1,
    };
    let k = Seg::Key;

    if file.name.trim().is_empty() {
        errors.push(
            ctx.err(&[k("name")], "`name` is empty")
                .expected("a scenario name")
                .found("\"\""),
        );
    }
    if !(1..=600).contains(&file.horizon_months) {
        errors.push(
            ctx.err(&[k("horizon_months")], "`horizon_months` is out of range")
                .expected("a whole number of months from 1 to 600")
                .found(file.horizon_months.to_string()),
        );
    }
    let horizon = file.horizon_months.clamp(1, 600) as usize;
    ctx.horizon = horizon;
    let start = parse_year_month(&file.start);
    ctx.start = start;
    if start.is_none() {
        // A well-formed month in a year the calendar does not cover says so.
        let shaped = file.start.trim().len() == 7
            && file.start.trim().split_once('-').is_some_and(|(y, m)| {
                y.len() == 4
                    && y.bytes().all(|b| b.is_ascii_digit())
                    && m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
            });
        let e = if shaped {
            ctx.err(&[k("start")], "`start` is out of range")
                .expected("a month from `1900-01` to `2200-12`")
        } else {
            ctx.err(&[k("start")], "`start` is not a month")
                .expected("`YYYY-MM`, e.g. `2027-01`")
        };
        errors.push(e.found(format!("`{}`", file.start)));
    }
    // After an unknown currency, the options are checked in US dollars.
    let mut currency = file.currency.clone();
    if catalog.fx_rate(&file.currency).is_none() {
        let known: Vec<&str> = catalog.fx.iter().map(|f| f.currency.as_str()).collect();
        errors.push(
            ctx.unknown(&[k("currency")], "currency", &file.currency, known.clone())
                .expected(format!(
                    "a currency of fx.toml: {}",
                    known
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
        );
        currency = "USD".to_string();
    }
    let mut note = |r: Result<f64, InputError>| {
        if let Err(e) = r {
            errors.push(e);
        }
    };
    note(ctx.range(
        &[k("discount_rate")],
        file.discount_rate,
        0.0,
        1.0,
        "a yearly rate between 0 and 1",
    ));
    note(ctx.range(
        &[k("electricity_escalation_per_year")],
        file.electricity_escalation_per_year,
        -0.5,
        1.0,
        "a yearly rate between -0.5 and 1",
    ));
    note(ctx.range(
        &[k("demand_scale")],
        file.demand_scale,
        0.0,
        1e6,
        "a factor of 0 or more",
    ));
    note(ctx.range(
        &[k("demand_growth_per_year")],
        file.demand_growth_per_year,
        -0.99,
        10.0,
        "a yearly growth between -0.99 and 10",
    ));
    if let Some(price) = file.unserved_cost_per_gpu_hour {
        note(ctx.range(
            &[k("unserved_cost_per_gpu_hour")],
            price,
            0.0,
            MAX_UNSERVED_PRICE,
            "a price of 0 or more per reference GPU-hour, at most 1,000,000",
        ));
    }
    ctx.whole_in(
        &[k("max_price_age_months")],
        file.max_price_age_months,
        0,
        1200,
        "0 to 1200 months",
    );
    let tax = resolve_tax(&mut ctx, &file, &mut errors);
    let mut basis = file.throughput_basis.as_str();
    if !["bf16", "fp8", "memory-bandwidth"].contains(&basis) {
        errors.push(
            ctx.err(
                &[k("throughput_basis")],
                format!("unknown throughput basis `{basis}`"),
            )
            .expected("`bf16`, `fp8` or `memory-bandwidth`")
            .found(format!("`{basis}`")),
        );
        basis = "bf16";
    }
    // Without the reference, workloads and options are checked only for unknown ids.
    let reference = ctx
        .accelerator(&[k("reference_accelerator")], &file.reference_accelerator)
        .and_then(|r| {
            let t = throughput(&ctx, basis, &r, &[k("reference_accelerator")])?;
            Ok((r, t))
        });
    let (reference, ref_throughput) = match reference {
        Ok(r) => r,
        Err(e) => {
            errors.push(e);
            for (n, o) in file.options.iter().enumerate() {
                if errors.len() >= crate::limits::MAX_ERRORS_PER_FILE {
                    break;
                }
                errors.extend(unknown_ids(&ctx, n, o));
            }
            return Err(Unresolved {
                errors,
                warnings: ctx.warnings,
                partial: None,
                failed_workloads: Vec::new(),
                failed_options: Vec::new(),
            });
        }
    };
    ctx.add_throughput(&reference, basis, 1.0);

    for (table, count, limit) in [
        (
            "workload",
            file.workloads.len(),
            crate::limits::MAX_WORKLOADS,
        ),
        ("option", file.options.len(), crate::limits::MAX_OPTIONS),
    ] {
        if count > limit {
            errors.push(
                ctx.err(
                    &[Seg::Key(table)],
                    format!("too many `[[{table}]]` entries"),
                )
                .expected(format!("at most {limit}"))
                .found(count.to_string())
                .hint(if table == "option" {
                    "compare variants of one option with a `[sweep]`"
                } else {
                    "merge workloads that share a profile and a growth rate"
                }),
            );
            return Err(Unresolved {
                errors,
                warnings: ctx.warnings,
                partial: None,
                failed_workloads: Vec::new(),
                failed_options: Vec::new(),
            });
        }
    }
    if file.workloads.is_empty() {
        errors.push(
            ctx.err(&[], "no workloads")
                .expected("at least one `[[workload]]`")
                .found("none"),
        );
    }
    let mut workloads = Vec::new();
    // The indices of the workloads and options that resolved.
    let mut kept_workloads = Vec::new();
    let mut kept_options = Vec::new();
    for (n, w) in file.workloads.iter().enumerate() {
        if errors.len() >= crate::limits::MAX_ERRORS_PER_FILE {
            break;
        }
        let mut found = Vec::new();
        match resolve_workload(&mut ctx, n, w, &reference, basis, &file) {
            Ok(w) => {
                workloads.push(w);
                kept_workloads.push(n);
            }
            Err(e) => found.push(e),
        }
        found.extend(ctx.deferred.take());
        found.sort_by_key(|e| e.position.unwrap_or((usize::MAX, usize::MAX)));
        errors.extend(found);
    }
    if file
        .workloads
        .iter()
        .any(|w| w.training_flops_per_month.is_some())
    {
        // The peak that converts training FLOPs into reference-GPU-hours (M0b).
        let name = if basis == "fp8" && reference.fp8_dense_tflops.is_some() {
            "fp8_dense_tflops"
        } else {
            "bf16_dense_tflops"
        };
        let figure = RowValue::catalog(name, reference_tflops(&reference, basis), "TFLOPS");
        ctx.add_values(
            "accelerators",
            &reference.id,
            &reference.origin,
            vec![figure],
        );
    }
    errors.extend(check_unique(
        &ctx,
        "workload",
        file.workloads.iter().map(|w| w.name.as_str()),
    ));

    if file.options.is_empty() {
        errors.push(
            ctx.err(&[], "no options")
                .expected("at least one `[[option]]`")
                .found("none"),
        );
    }
    let mut options = Vec::new();
    for (n, o) in file.options.iter().enumerate() {
        if errors.len() >= crate::limits::MAX_ERRORS_PER_FILE {
            break;
        }
        let mut found = Vec::new();
        match resolve_option(&mut ctx, n, o, basis, ref_throughput, &currency) {
            Ok(o) => {
                options.push(o);
                kept_options.push(n);
            }
            Err(e) => found.push(e),
        }
        // Every value out of range, the first other problem of each part (owned, cloud), then
        // the option's other unknown ids.
        found.extend(ctx.deferred.take());
        if !found.is_empty() {
            let more: Vec<InputError> = unknown_ids(&ctx, n, o)
                .into_iter()
                .filter(|u| found.iter().all(|e| e.key != u.key))
                .collect();
            found.extend(more);
        }
        found.sort_by_key(|e| e.position.unwrap_or((usize::MAX, usize::MAX)));
        errors.extend(found);
    }
    errors.extend(check_unique(
        &ctx,
        "option",
        file.options.iter().map(|o| o.name.as_str()),
    ));

    let baseline = match &file.baseline {
        None => 0,
        Some(name) => match file.options.iter().position(|o| &o.name == name) {
            Some(i) => i,
            None => {
                let names: Vec<&str> = file.options.iter().map(|o| o.name.as_str()).collect();
                errors.push(
                    ctx.err(&[k("baseline")], format!("unknown option `{name}`"))
                        .expected("the name of an option of this scenario")
                        .found(format!("`{name}`"))
                        .hint_nearest("the options are", name, names),
                );
                0
            }
        },
    };

    // Stale prices: rows older than max_price_age_months before the scenario starts.
    // Depreciation rules and accelerator specifications (throughput, power) are not prices and
    // do not age.
    for row in ctx
        .rows
        .values()
        .filter(|r| r.catalog != "depreciation" && r.catalog != "accelerators")
    {
        if let (Some(start), Some((as_of, _))) = (start, crate::timeline::parse_date(&row.as_of)) {
            let age = start.ordinal() - as_of.ordinal();
            if age > file.max_price_age_months {
                ctx.warnings.push(format!(
                    "catalog row `{}` in {} is {age} months older than the scenario start (as_of {}); max_price_age_months is {}",
                    row.id, row.catalog, row.as_of, file.max_price_age_months
                ));
            }
        }
    }

    // Showback (B1): on with a `[showback]` table or a workload's `team`.
    let idle = file.showback.as_ref().and_then(|s| s.idle.as_deref());
    let showback = match idle {
        None | Some("separate") => Some(crate::model::showback::Idle::Separate),
        Some("shared") => Some(crate::model::showback::Idle::Shared),
        Some(other) => {
            errors.push(
                ctx.err(
                    &[k("showback"), k("idle")],
                    format!("unknown idle rule `{other}`"),
                )
                .expected("`separate` (idle owned capacity on a line of its own) or `shared` (shared among the teams by use)")
                .found(format!("`{other}`"))
                .did_you_mean(other, ["separate", "shared"]),
            );
            None
        }
    }
    .filter(|_| file.showback.is_some() || file.workloads.iter().any(|w| w.team.is_some()));
    let trend = generations::trend(&ctx, &file);
    errors.extend(ctx.deferred.take());
    errors.extend(generations::check_traces(&ctx, &file));
    errors.extend(sharing::check(&ctx, &file));
    ctx.warnings.extend(sharing::unused_fractional_offer(&file));
    ctx.warnings.extend(keys_without_effect(&file));
    // The model input with the parts that resolved (all of them, or those a check can use).
    let input_of = |currency, start, workloads, options, baseline| Input {
        name: file.name.clone(),
        currency,
        horizon_months: horizon,
        start,
        // `+ 0.0`: a −0 typed into the input is 0 in every title and table.
        discount_rate: file.discount_rate + 0.0,
        electricity_escalation_per_year: file.electricity_escalation_per_year,
        workloads,
        options,
        baseline,
        demand_scale: file.demand_scale,
        demand_growth_per_year: file.demand_growth_per_year,
        showback,
        tax,
        generations: trend,
    };
    let Some(start) = start.filter(|_| errors.is_empty()) else {
        // What resolved; a wrong `start` has a stand-in month (nothing checked reads it).
        let partial = start.or_else(|| parse_year_month("2000-01")).map(|start| {
            let mut reduced = file.clone();
            reduced.workloads = kept_workloads
                .iter()
                .map(|&n| file.workloads[n].clone())
                .collect();
            reduced.options = kept_options
                .iter()
                .map(|&n| file.options[n].clone())
                .collect();
            let failed = |names: Vec<&String>, kept: &[usize]| -> Vec<String> {
                let kept: BTreeSet<usize> = kept.iter().copied().collect();
                names
                    .into_iter()
                    .enumerate()
                    .filter(|(n, _)| !kept.contains(n))
                    .map(|(_, name)| name.clone())
                    .collect()
            };
            let failed_workloads = failed(
                file.workloads.iter().map(|w| &w.name).collect(),
                &kept_workloads,
            );
            let failed_options = failed(
                file.options.iter().map(|o| &o.name).collect(),
                &kept_options,
            );
            let baseline = kept_options
                .iter()
                .position(|&n| n == baseline)
                .unwrap_or(0);
            let (option_links, workload_flops) = links(&reduced, catalog, &reference, basis);
            let input = input_of(currency.clone(), start, workloads, options, baseline);
            let resolved = Resolved {
                input,
                file: reduced,
                rows_used: Vec::new(),
                warnings: Vec::new(),
                option_links,
                workload_flops,
            };
            (Box::new(resolved), failed_workloads, failed_options)
        });
        let (partial, failed_workloads, failed_options) = match partial {
            Some((r, w, o)) => (Some(r), w, o),
            None => (None, Vec::new(), Vec::new()),
        };
        return Err(Unresolved {
            errors,
            warnings: ctx.warnings,
            partial,
            failed_workloads,
            failed_options,
        });
    };
    let input = input_of(currency, start, workloads, options, baseline);
    generations::use_purchased_rows(&mut ctx, &input);
    if let Err(e) = check_demand_bound(source, &input, "") {
        return Err(Unresolved {
            errors: vec![e],
            warnings: ctx.warnings,
            partial: None,
            failed_workloads: Vec::new(),
            failed_options: Vec::new(),
        });
    }
    if let Err(e) = trace_workload::check_laid_jobs(&mut ctx, &input, &file) {
        return Err(Unresolved {
            errors: vec![e],
            warnings: ctx.warnings,
            partial: None,
            failed_workloads: Vec::new(),
            failed_options: Vec::new(),
        });
    }
    if let Err(e) = check_walk_size(&ctx, &input) {
        return Err(Unresolved {
            errors: vec![e],
            warnings: ctx.warnings,
            partial: None,
            failed_workloads: Vec::new(),
            failed_options: Vec::new(),
        });
    }
    let (option_links, workload_flops) = links(&file, catalog, &reference, basis);
    Ok(Resolved {
        input,
        file,
        rows_used: ctx.rows.into_values().collect(),
        warnings: ctx.warnings,
        option_links,
        workload_flops,
    })
}

/// The scenario's `[tax]` (README TX1-TX4): its rate in range and its policy known, each
/// problem into `errors`; records in `ctx` that options are taxed.
fn resolve_tax(ctx: &mut Ctx, file: &ScenarioFile, errors: &mut Vec<InputError>) -> Option<TaxIn> {
    let t = file.tax.as_ref()?;
    let k = Seg::Key;
    if let Err(e) = ctx.range(
        &[k("tax"), k("rate")],
        t.rate,
        0.0,
        1.0,
        "a tax rate between 0 and 1",
    ) {
        errors.push(e);
    } else if t.rate == 1.0 {
        // Well defined (every cost is deducted in full) but more often a percentage typed
        // as a fraction: said, not refused.
        ctx.warnings.push(
            "`[tax] rate = 1` is an income tax of 100%, under which every deductible cost is \
             free after tax; a rate of 1% is `rate = 0.01`"
                .to_string(),
        );
    }
    let mut policy = t.policy.clone();
    if let Some(id) = &t.policy
        && ctx.catalog.policy(id).is_none()
    {
        let known = ctx.catalog.policies.iter().map(|s| s.id.as_str()).collect();
        errors.push(ctx.unknown(&[k("tax"), k("policy")], "depreciation policy", id, known));
        policy = None;
    }
    ctx.tax = Some(policy);
    Some(TaxIn {
        rate: t.rate.clamp(0.0, 1.0) + 0.0,
        losses_offset_other_income: t.losses_offset_other_income,
    })
}

/// The depreciation for tax of owned option `n` (README TX2): its `tax_depreciation`, else
/// `[tax]`'s `policy`, else `own` (its `depreciation`); `own` without `[tax]` and for a lease.
fn tax_depreciation(
    ctx: &mut Ctx,
    n: usize,
    o: &OptionSpec,
    lease: bool,
    own: &crate::finance::Depreciation,
) -> Result<crate::finance::Depreciation, InputError> {
    let p = [
        Seg::Key("option"),
        Seg::Index(n),
        Seg::Key("tax_depreciation"),
    ];
    if let Some(id) = &o.tax_depreciation {
        if ctx.tax.is_none() {
            return Err(ctx
                .err(&p, "`tax_depreciation` needs a `[tax]` table")
                .expected("`[tax]` with `rate`, or no `tax_depreciation`")
                .found(format!("`{id}` without `[tax]`")));
        }
        if lease {
            return Err(ctx
                .err(&p, "`tax_depreciation` does not apply to a lease")
                .expected("cash or loan financing: a lessee owns nothing to depreciate")
                .found(format!("`{id}`")));
        }
    }
    let Some(policy) = &ctx.tax else {
        return Ok(own.clone());
    };
    let Some(id) = o.tax_depreciation.clone().or(policy.clone()) else {
        return Ok(own.clone());
    };
    if lease {
        return Ok(own.clone());
    }
    let Some(row) = ctx.catalog.policy(&id).cloned() else {
        return Err(ctx.unknown(
            &p,
            "depreciation policy",
            &id,
            ctx.catalog.policies.iter().map(|s| s.id.as_str()).collect(),
        ));
    };
    let Some(method) = row.method() else {
        return Err(ctx.err(&p, format!("depreciation policy `{id}` is incomplete")));
    };
    ctx.use_row(
        "depreciation",
        &row.id,
        (&row.source, &row.as_of, row.estimate),
        None,
        &row.origin,
    );
    ctx.add_values(
        "depreciation",
        &row.id,
        &row.origin,
        depreciation_values(&method),
    );
    Ok(method)
}

/// Every empty and every repeated name of `table`.
fn check_unique<'a>(
    ctx: &Ctx,
    table: &'static str,
    names: impl Iterator<Item = &'a str>,
) -> Vec<InputError> {
    let mut seen = BTreeSet::new();
    let mut errors = Vec::new();
    for (i, name) in names.enumerate() {
        let path = [Seg::Key(table), Seg::Index(i), Seg::Key("name")];
        if name.trim().is_empty() {
            errors.push(
                ctx.err(&path, format!("{table} name is empty"))
                    .expected("a name")
                    .found("\"\""),
            );
        } else if !seen.insert(name) {
            errors.push(
                ctx.err(&path, format!("duplicate {table} name `{name}`"))
                    .expected(format!("each {table} name once"))
                    .found(format!("`{name}` again")),
            );
        }
    }
    errors
}

/// The catalog ids option `n` names that the catalog does not hold (server, site, cloud
/// offer, depreciation policy), each with the nearest known ids.
fn unknown_ids(ctx: &Ctx, n: usize, o: &OptionSpec) -> Vec<InputError> {
    let p = |f: &'static str| [Seg::Key("option"), Seg::Index(n), Seg::Key(f)];
    let c = ctx.catalog;
    let mut errors = Vec::new();
    if let Some(id) = &o.server
        && c.server(id).is_none()
    {
        let known = c.servers.iter().map(|s| s.id.as_str()).collect();
        errors.push(ctx.unknown(&p("server"), "server", id, known));
    }
    if let Some(id) = &o.site
        && c.site(id).is_none()
    {
        let known = c.sites.iter().map(|s| s.id.as_str()).collect();
        errors.push(ctx.unknown(&p("site"), "site", id, known));
    }
    if let Some(id) = &o.offer
        && c.offer(id).is_none()
    {
        let known = c.offers.iter().map(|s| s.id.as_str()).collect();
        errors.push(ctx.unknown(&p("offer"), "cloud offer", id, known));
    }
    if let Some(id) = &o.depreciation
        && c.policy(id).is_none()
    {
        let known = c.policies.iter().map(|s| s.id.as_str()).collect();
        errors.push(ctx.unknown(&p("depreciation"), "depreciation policy", id, known));
    }
    if let Some(id) = &o.tax_depreciation
        && c.policy(id).is_none()
    {
        let known = c.policies.iter().map(|s| s.id.as_str()).collect();
        errors.push(ctx.unknown(&p("tax_depreciation"), "depreciation policy", id, known));
    }
    if let Some(id) = &o.automation
        && c.automation_level(id).is_none()
    {
        let known = c.automation.iter().map(|s| s.id.as_str()).collect();
        errors.push(ctx.unknown(&p("automation"), "automation level", id, known));
    }
    errors
}

fn resolve_workload(
    ctx: &mut Ctx,
    n: usize,
    w: &WorkloadSpec,
    reference: &Accelerator,
    basis: &str,
    file: &ScenarioFile,
) -> Result<WorkloadIn, InputError> {
    let p = |f: &'static str| [Seg::Key("workload"), Seg::Index(n), Seg::Key(f)];
    let trace = match &w.trace {
        Some(path) => Some(Arc::new(trace_workload::resolve_trace(
            ctx, n, w, path, reference, basis,
        )?)),
        None => {
            trace_workload::check_no_trace_keys(ctx, n, w)?;
            None
        }
    };
    let hours = match (w.gpu_hours_per_month, w.training_flops_per_month) {
        _ if trace.is_some() => 0.0,
        (Some(h), None) => {
            if w.mfu.is_some() {
                return Err(ctx
                    .err(
                        &p("mfu"),
                        "`mfu` applies only with `training_flops_per_month`",
                    )
                    .expected("no `mfu` with `gpu_hours_per_month`"));
            }
            ctx.value_in(
                &p("gpu_hours_per_month"),
                h,
                0.0,
                1e12,
                "reference-GPU-hours per month, 0 or more",
            )
        }
        (None, Some(flops)) => {
            let flops = ctx.value_in(
                &p("training_flops_per_month"),
                flops,
                0.0,
                1e32,
                "FLOPs per month, 0 or more",
            );
            let Some(mfu) = w.mfu else {
                return Err(ctx
                    .err(
                        &p("training_flops_per_month"),
                        "`training_flops_per_month` needs `mfu`",
                    )
                    .expected("`mfu`, the model-FLOPs utilisation, e.g. 0.4")
                    .found("no `mfu`"));
            };
            let mfu = ctx.value_in(
                &p("mfu"),
                mfu,
                1e-3,
                1.0,
                "a fraction above 0 and at most 1",
            );
            training_gpu_hours(flops, mfu, reference_tflops(reference, basis))
        }
        (Some(_), Some(_)) => {
            return Err(ctx
                .err(
                    &p("training_flops_per_month"),
                    "both `gpu_hours_per_month` and `training_flops_per_month`",
                )
                .expected("exactly one of them")
                .found("both"));
        }
        (None, None) => {
            return Err(ctx
                .err(
                    &[Seg::Key("workload"), Seg::Index(n)],
                    format!("workload `{}` has no demand", w.name),
                )
                .expected("`gpu_hours_per_month`, or `training_flops_per_month` with `mfu`")
                .found("neither"));
        }
    };
    if hours > 0.0 && hours < MIN_GPU_HOURS {
        // Costs per GPU-hour of a demand this small would leave the range of numbers.
        let key = if w.training_flops_per_month.is_some() {
            "training_flops_per_month"
        } else {
            "gpu_hours_per_month"
        };
        return Err(ctx
            .err(&p(key), format!("`{key}` is too small"))
            .expected("0, or at least 0.000001 reference-GPU-hours a month (M0b for FLOPs)")
            .found(format!(
                "{} reference-GPU-hours a month",
                crate::error::number(hours)
            )));
    }
    let growth = ctx.value_in(
        &p("growth_per_year"),
        w.growth_per_year,
        -0.99,
        10.0,
        "a yearly growth between -0.99 and 10",
    );
    let profile = if let Some(builtin) = Profile::builtin(&w.profile) {
        builtin
    } else if w.profile.ends_with(".csv") {
        let path = ctx.source.path_of(&w.profile);
        let shown = crate::limits::printable(&path.display().to_string());
        let text = crate::limits::read_text(
            &path,
            &shown,
            "profile file",
            crate::limits::MAX_PROFILE_BYTES,
        )
        .map_err(|e| {
            // Where the scenario names the file, unless the problem is inside the file.
            if e.position.is_some() {
                return e;
            }
            let problem = e
                .problem
                .replace("profile file", &format!("profile file `{shown}`"));
            let mut at = ctx.err(&p("profile"), problem);
            at.expected = e.expected.clone();
            at.found = e.found.clone();
            match ctx.source.stdin_paths_hint() {
                Some(hint) => at.hint(hint),
                None => at,
            }
        })?;
        Profile::from_csv(&shown, &text)?
    } else {
        let e = ctx
            .err(
                &p("profile"),
                format!("unknown load profile `{}`", w.profile),
            )
            .expected(format!(
                "{} or the path of an hourly `.csv` file",
                BUILTIN_PROFILES.map(|b| format!("`{b}`")).join(", ")
            ))
            .found(format!("`{}`", w.profile));
        return Err(e.did_you_mean(&w.profile, BUILTIN_PROFILES));
    };
    // A trace's jobs wait by its own rule (T4), not in the profiles' queue.
    let max_wait = ctx.whole_in(
        &p("max_wait_hours"),
        w.max_wait_hours.filter(|_| trace.is_none()).unwrap_or(0),
        0,
        crate::model::queue::MAX_WAIT_HOURS,
        "whole hours from 0 (served in its hour) to 8760 (a year)",
    );
    let unserved = match (
        w.unserved_cost_per_gpu_hour,
        file.unserved_cost_per_gpu_hour,
    ) {
        (Some(own), _) => Some(ctx.value_in(
            &p("unserved_cost_per_gpu_hour"),
            own,
            0.0,
            MAX_UNSERVED_PRICE,
            "a price of 0 or more per reference GPU-hour, at most 1,000,000",
        )),
        (None, Some(scenario)) => Some(scenario),
        (None, None) => None,
    };
    if w.unserved_cost_per_gpu_hour.is_some() && file.unserved_cost_per_gpu_hour.is_none() {
        return Err(ctx
            .err(
                &p("unserved_cost_per_gpu_hour"),
                "a workload's price of unserved work needs the scenario's",
            )
            .expected(
                "`unserved_cost_per_gpu_hour` at the top of the scenario too, the price of every other workload's unserved work",
            )
            .found("a price for this workload only"));
    }
    Ok(WorkloadIn {
        name: w.name.clone(),
        ref_gpu_hours_per_month: hours,
        growth_per_year: growth,
        profile: Arc::new(profile),
        sensitive: w.sensitive,
        max_wait_hours: max_wait,
        unserved_cost_per_gpu_hour: unserved,
        trace,
        team: match &w.team {
            Some(t) if t.trim().is_empty() => {
                return Err(ctx
                    .err(&p("team"), "`team` is empty")
                    .expected("the name of a team, or no `team`")
                    .found("\"\""));
            }
            // The showback's own lines: a team of that name could not be told from them.
            Some(t)
                if ["idle", "idle capacity", crate::model::showback::NO_TEAM]
                    .iter()
                    .any(|r| t.trim().eq_ignore_ascii_case(r)) =>
            {
                let t = crate::limits::printable(t);
                return Err(ctx
                    .err(
                        &p("team"),
                        format!("`team` \"{t}\" names a line of the showback"),
                    )
                    .expected(format!(
                        "a team name other than `idle`, `idle capacity` and `{}`",
                        crate::model::showback::NO_TEAM
                    ))
                    .found(format!("\"{t}\"")));
            }
            t => t.clone(),
        },
        gpu_fraction: sharing::gpu_fraction(ctx, n, w)?,
    })
}

/// Cloud keys an option gives that the scenario leaves without effect: the overhead of spot
/// instances without a `spot_share`, a commitment's term without a commitment (unless an
/// `[[uncertain]]` input or a sweep sets the key they wait for).
fn keys_without_effect(file: &ScenarioFile) -> Vec<String> {
    let varied = |name: &str, field: &str| {
        let path = format!("option[{name}].{field}");
        file.uncertain.iter().any(|u| u.path == path)
            || file
                .sweep
                .as_ref()
                .is_some_and(|s| s.parameters.iter().any(|p| p.path == path))
    };
    let mut notes = Vec::new();
    for o in &file.options {
        let name = crate::limits::printable(&o.name);
        if o.spot_interruption_overhead.is_some()
            && o.spot_share.is_none()
            && !varied(&o.name, "spot_share")
        {
            notes.push(format!(
                "option `{name}` gives `spot_interruption_overhead` without `spot_share`: no spot \
                 instances, so it has no effect"
            ));
        }
        if o.commit_term_years.is_some()
            && o.committed_share.is_none()
            && o.committed_gpus.is_none()
            && !varied(&o.name, "committed_share")
            && !varied(&o.name, "committed_gpus")
        {
            notes.push(format!(
                "option `{name}` gives `commit_term_years` without `committed_share` or \
                 `committed_gpus`: nothing is committed, so it has no effect"
            ));
        }
    }
    notes
}

const OWNED_FIELDS: [&str; 19] = [
    "server",
    "servers",
    "gpus",
    "site",
    "availability",
    "refresh_years",
    "refresh",
    "sharing",
    "time_slicing_efficiency",
    "financing",
    "depreciation",
    "residual_value",
    "support_pct_per_year",
    "automation",
    "staff_fte_fixed",
    "staff_fte_per_server",
    "software_per_gpu_year",
    "tax_depreciation",
    "scheduler",
];
const CLOUD_FIELDS: [&str; 12] = [
    "offer",
    "committed_share",
    "committed_gpus",
    "commit_term_years",
    "spot_share",
    "spot_interruption_overhead",
    "storage_tb",
    "egress_tb_per_month",
    "cloud_pue",
    "cloud_grid_co2_g_per_kwh",
    "cloud_generations",
    "fractional_offer",
];

fn owned_field_set(o: &OptionSpec) -> Vec<&'static str> {
    let present = [
        o.server.is_some(),
        o.servers.is_some(),
        o.gpus.is_some(),
        o.site.is_some(),
        o.availability.is_some(),
        o.refresh_years.is_some(),
        o.refresh.is_some(),
        o.sharing.is_some(),
        o.time_slicing_efficiency.is_some(),
        o.financing.is_some(),
        o.depreciation.is_some(),
        o.residual_value.is_some(),
        o.support_pct_per_year.is_some(),
        o.automation.is_some(),
        o.staff_fte_fixed.is_some(),
        o.staff_fte_per_server.is_some(),
        o.software_per_gpu_year.is_some(),
        o.tax_depreciation.is_some(),
        o.scheduler.is_some(),
    ];
    OWNED_FIELDS
        .iter()
        .zip(present)
        .filter(|(_, p)| *p)
        .map(|(f, _)| *f)
        .collect()
}

fn cloud_field_set(o: &OptionSpec) -> Vec<&'static str> {
    let present = [
        o.offer.is_some(),
        o.committed_share.is_some(),
        o.committed_gpus.is_some(),
        o.commit_term_years.is_some(),
        o.spot_share.is_some(),
        o.spot_interruption_overhead.is_some(),
        o.storage_tb.is_some(),
        o.egress_tb_per_month.is_some(),
        o.cloud_pue.is_some(),
        o.cloud_grid_co2_g_per_kwh.is_some(),
        o.cloud_generations.is_some(),
        o.fractional_offer.is_some(),
    ];
    CLOUD_FIELDS
        .iter()
        .zip(present)
        .filter(|(_, p)| *p)
        .map(|(f, _)| *f)
        .collect()
}

fn resolve_option(
    ctx: &mut Ctx,
    n: usize,
    o: &OptionSpec,
    basis: &str,
    ref_throughput: f64,
    currency: &str,
) -> Result<OptionIn, InputError> {
    let kind = match o.kind.as_str() {
        "onprem" => Kind::OnPrem,
        "cloud" => Kind::Cloud,
        "hybrid" => Kind::Hybrid,
        other => {
            let e = ctx
                .err(
                    &[Seg::Key("option"), Seg::Index(n), Seg::Key("kind")],
                    format!("unknown option kind `{other}`"),
                )
                .expected("`onprem`, `cloud` or `hybrid`")
                .found(format!("`{other}`"));
            return Err(e.did_you_mean(other, ["onprem", "cloud", "hybrid"]));
        }
    };
    let misplaced = match kind {
        Kind::OnPrem => cloud_field_set(o).first().copied().map(|f| (f, "cloud")),
        Kind::Cloud => owned_field_set(o)
            .first()
            .copied()
            .or(o.staff_salary_per_year.map(|_| "staff_salary_per_year"))
            .map(|f| (f, "owned")),
        Kind::Hybrid => None,
    };
    if let Some((field, part)) = misplaced {
        let article = if kind == Kind::OnPrem { "an" } else { "a" };
        return Err(ctx
            .err(
                &[Seg::Key("option"), Seg::Index(n), Seg::Key(field)],
                format!("`{field}` does not apply to {article} `{}` option", o.kind),
            )
            .expected(format!(
                "no {part} fields in {article} `{}` option; use kind = \"hybrid\" to combine both",
                o.kind
            ))
            .found(format!("`{field}`")));
    }
    // Both parts of a hybrid are checked, whichever fails.
    let owned = match kind {
        Kind::OnPrem | Kind::Hybrid => {
            Some(resolve_owned(ctx, n, o, basis, ref_throughput, currency))
        }
        Kind::Cloud => None,
    }
    .transpose();
    let cloud = match kind {
        Kind::Cloud | Kind::Hybrid => Some(
            resolve_cloud(ctx, n, o, basis, ref_throughput, currency).and_then(|mut c| {
                c.fractional =
                    sharing::fractional_offer(ctx, n, o, basis, ref_throughput, currency)?
                        .map(Box::new);
                Ok(c)
            }),
        ),
        Kind::OnPrem => None,
    }
    .transpose();
    let (owned, cloud) = match (owned, cloud) {
        (Ok(owned), Ok(cloud)) => (owned, cloud),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => return Err(e),
        (Err(first), Err(second)) => {
            ctx.deferred.borrow_mut().push(first);
            return Err(second);
        }
    };
    Ok(OptionIn {
        name: o.name.clone(),
        kind,
        owned,
        cloud,
    })
}

fn resolve_owned(
    ctx: &mut Ctx,
    n: usize,
    o: &OptionSpec,
    basis: &str,
    ref_throughput: f64,
    currency: &str,
) -> Result<OwnedIn, InputError> {
    let p = |f: &'static str| [Seg::Key("option"), Seg::Index(n), Seg::Key(f)];
    let Some(server_id) = &o.server else {
        return Err(ctx
            .err(
                &[Seg::Key("option"), Seg::Index(n)],
                format!("option `{}` has no `server`", o.name),
            )
            .expected("`server = \"<server id>\"` for an onprem or hybrid option")
            .found("no `server`"));
    };
    let Some(server) = ctx.catalog.server(server_id).cloned() else {
        return Err(ctx.unknown(
            &p("server"),
            "server",
            server_id,
            ctx.catalog.servers.iter().map(|s| s.id.as_str()).collect(),
        ));
    };
    ctx.use_row(
        "servers",
        &server.id,
        (&server.source, &server.as_of, server.estimate),
        None,
        &server.origin,
    );
    let accelerator = ctx.accelerator(&p("server"), &server.accelerator)?;
    let rel = throughput(ctx, basis, &accelerator, &p("server"))? / ref_throughput;
    ctx.add_throughput(&accelerator, basis, rel);
    let per_server = server.accelerator_count;
    let servers = match (o.servers, o.gpus) {
        (Some(s), None) => ctx.whole_in(
            &p("servers"),
            s,
            0,
            100_000,
            "a whole number of servers, 0 to 100,000",
        ),
        (None, Some(g)) => {
            let g = ctx.whole_in(
                &p("gpus"),
                g,
                0,
                800_000,
                "a whole number of GPUs, 0 to 800,000",
            );
            if !g.is_multiple_of(per_server) {
                let below = g / per_server * per_server;
                return Err(ctx
                    .err(
                        &p("gpus"),
                        format!("`gpus` is not a whole number of `{}` servers", server.id),
                    )
                    .expected(format!("a multiple of {per_server} GPUs per server"))
                    .found(format!("{g}"))
                    .hint(format!(
                        "use {below} or {} GPUs, or `servers`",
                        below + per_server
                    )));
            }
            g / per_server
        }
        (Some(_), Some(_)) => {
            return Err(ctx
                .err(&p("gpus"), "both `servers` and `gpus`")
                .expected("exactly one of them")
                .found("both"));
        }
        (None, None) => {
            return Err(ctx
                .err(
                    &[Seg::Key("option"), Seg::Index(n)],
                    format!("option `{}` has no size", o.name),
                )
                .expected("`servers = N` or `gpus = N`")
                .found("neither"));
        }
    };
    let Some(site_id) = &o.site else {
        return Err(ctx
            .err(
                &[Seg::Key("option"), Seg::Index(n)],
                format!("option `{}` has no `site`", o.name),
            )
            .expected("`site = \"<site id>\"`")
            .found("no `site`"));
    };
    let Some(site) = ctx.catalog.site(site_id).cloned() else {
        return Err(ctx.unknown(
            &p("site"),
            "site",
            site_id,
            ctx.catalog.sites.iter().map(|s| s.id.as_str()).collect(),
        ));
    };
    ctx.use_row(
        "sites",
        &site.id,
        (&site.source, &site.as_of, site.estimate),
        None,
        &site.origin,
    );

    let availability = ctx.value_in(
        &p("availability"),
        o.availability.unwrap_or(defaults::AVAILABILITY),
        0.01,
        1.0,
        "a fraction above 0 and at most 1",
    );
    let (refresh_months, refresh_path) = generations::refresh_months(ctx, n, o)?;
    let fp = |f: &'static str| {
        [
            Seg::Key("option"),
            Seg::Index(n),
            Seg::Key("financing"),
            Seg::Key(f),
        ]
    };
    let (financing, cycle_months) = match &o.financing {
        None => (Financing::Cash, refresh_months),
        Some(f) => match f.kind.as_str() {
            "cash" => {
                for (field, set) in [
                    ("annual_rate", f.annual_rate.is_some()),
                    ("term_months", f.term_months.is_some()),
                    ("down_payment", f.down_payment.is_some()),
                    ("residual", f.residual.is_some()),
                ] {
                    if set {
                        return Err(ctx
                            .err(
                                &fp(field),
                                format!("`{field}` does not apply to cash financing"),
                            )
                            .expected("only `kind` for cash"));
                    }
                }
                (Financing::Cash, refresh_months)
            }
            "loan" | "lease" => {
                let rate = f.annual_rate.ok_or_else(|| {
                    ctx.err(
                        &fp("kind"),
                        format!("{} financing needs `annual_rate`", f.kind),
                    )
                    .expected("`annual_rate`, e.g. 0.07")
                    .found("none")
                })?;
                let rate = ctx.value_in(
                    &fp("annual_rate"),
                    rate,
                    0.0,
                    1.0,
                    "a yearly rate between 0 and 1",
                );
                let term = f.term_months.ok_or_else(|| {
                    ctx.err(
                        &fp("kind"),
                        format!("{} financing needs `term_months`", f.kind),
                    )
                    .expected("`term_months`, e.g. 36")
                    .found("none")
                })?;
                let term = ctx.whole_in(&fp("term_months"), term, 1, 600, "1 to 600 months");
                if f.kind == "loan" {
                    if f.residual.is_some() {
                        return Err(ctx
                            .err(&fp("residual"), "`residual` applies to leases")
                            .expected("`down_payment` for a loan"));
                    }
                    let down = ctx.value_in(
                        &fp("down_payment"),
                        f.down_payment.unwrap_or(0.0),
                        0.0,
                        1.0,
                        "a fraction between 0 and 1",
                    );
                    (
                        Financing::Loan {
                            annual_rate: rate,
                            term_months: term,
                            down_payment: down,
                        },
                        refresh_months,
                    )
                } else {
                    if f.down_payment.is_some() {
                        return Err(ctx
                            .err(&fp("down_payment"), "`down_payment` applies to loans")
                            .expected("`residual` for a lease"));
                    }
                    let residual = ctx.value_in(
                        &fp("residual"),
                        f.residual.unwrap_or(0.0),
                        0.0,
                        0.99,
                        "a fraction between 0 and 0.99",
                    );
                    if let Some(r) = refresh_months
                        && r != term
                    {
                        return Err(ctx
                            .err(&refresh_path, "a lease is renewed at the end of its term")
                            .expected(format!(
                                "refresh_years × 12 = term_months ({term}), or no refresh_years"
                            ))
                            .found(format!("{r} months")));
                    }
                    (
                        Financing::Lease {
                            annual_rate: rate,
                            term_months: term,
                            residual,
                        },
                        Some(term),
                    )
                }
            }
            other => {
                return Err(ctx
                    .err(&fp("kind"), format!("unknown financing `{other}`"))
                    .expected("`cash`, `loan` or `lease`")
                    .found(format!("`{other}`")));
            }
        },
    };
    let policy_id = o.depreciation.as_deref().unwrap_or(defaults::DEPRECIATION);
    let Some(policy) = ctx.catalog.policy(policy_id).cloned() else {
        return Err(ctx.unknown(
            &p("depreciation"),
            "depreciation policy",
            policy_id,
            ctx.catalog.policies.iter().map(|s| s.id.as_str()).collect(),
        ));
    };
    let Some(depreciation) = policy.method() else {
        return Err(ctx.err(
            &p("depreciation"),
            format!("depreciation policy `{policy_id}` is incomplete"),
        ));
    };
    if !matches!(financing, Financing::Lease { .. }) {
        ctx.use_row(
            "depreciation",
            &policy.id,
            (&policy.source, &policy.as_of, policy.estimate),
            None,
            &policy.origin,
        );
    }
    let lease = matches!(financing, Financing::Lease { .. });
    let tax_depreciation = tax_depreciation(ctx, n, o, lease, &depreciation)?;
    let residual_value = ctx.value_in(
        &p("residual_value"),
        o.residual_value.unwrap_or(defaults::RESIDUAL_VALUE),
        0.0,
        1.0,
        "a fraction of the price between 0 and 1",
    );
    let support = ctx.value_in(
        &p("support_pct_per_year"),
        o.support_pct_per_year
            .unwrap_or(server.support_pct_per_year),
        0.0,
        100.0,
        "a percentage between 0 and 100",
    );
    let nonneg = |ctx: &Ctx, f: &'static str, v: Option<f64>, max: f64| {
        ctx.value_in(&p(f), v.unwrap_or(0.0), 0.0, max, "0 or more")
    };
    let mut staff_fte_fixed = nonneg(ctx, "staff_fte_fixed", o.staff_fte_fixed, 1e5);
    let mut staff_fte_per_server = nonneg(ctx, "staff_fte_per_server", o.staff_fte_per_server, 1e3);
    let staff_salary_per_year = nonneg(ctx, "staff_salary_per_year", o.staff_salary_per_year, 1e9);
    let mut software_per_gpu_year =
        nonneg(ctx, "software_per_gpu_year", o.software_per_gpu_year, 1e9);
    if let Some(level) = &o.automation {
        // Staff and software from the degree of automation (README equation S1), where the
        // option does not set them.
        let Some(row) = ctx.catalog.automation_level(level).cloned() else {
            return Err(ctx.unknown(
                &p("automation"),
                "automation level",
                level,
                ctx.catalog
                    .automation
                    .iter()
                    .map(|a| a.id.as_str())
                    .collect(),
            ));
        };
        ctx.use_row(
            "automation",
            &row.id,
            (&row.source, &row.as_of, row.estimate),
            None,
            &row.origin,
        );
        let gpus = f64::from(server.accelerator_count);
        let mut values = Vec::new();
        if o.staff_fte_per_server.is_none() {
            staff_fte_per_server = row.fte_per_100_gpus * gpus / 100.0;
            values.push(RowValue::catalog(
                "fte_per_100_gpus",
                row.fte_per_100_gpus,
                "FTE per 100 GPUs",
            ));
        }
        if o.staff_fte_fixed.is_none() {
            staff_fte_fixed = row.fixed_fte + row.platform_fte;
            values.push(RowValue::catalog("fixed_fte", row.fixed_fte, "FTE"));
            values.push(RowValue::catalog("platform_fte", row.platform_fte, "FTE"));
        }
        if o.software_per_gpu_year.is_none() {
            software_per_gpu_year = ctx.convert(
                &p("automation"),
                row.software_per_gpu_year_usd,
                "USD",
                currency,
            )?;
            values.push(RowValue::catalog(
                "software_per_gpu_year_usd",
                row.software_per_gpu_year_usd,
                "USD per GPU-year",
            ));
        }
        ctx.add_values("automation", &row.id, &row.origin, values);
    }
    if (staff_fte_fixed > 0.0 || staff_fte_per_server > 0.0) && o.staff_salary_per_year.is_none() {
        // The key of the file that asks for staff: a staff key it sets above 0, else the
        // automation whose catalog row sets the staff.
        let asks = |v: Option<f64>| v.is_some_and(|v| v > 0.0);
        let at = if asks(o.staff_fte_fixed) {
            "staff_fte_fixed"
        } else if asks(o.staff_fte_per_server) {
            "staff_fte_per_server"
        } else if o.automation.is_some() {
            "automation"
        } else {
            "staff_fte_fixed"
        };
        return Err(ctx
            .err(&p(at), "staff without a salary")
            .expected(
                "`staff_salary_per_year`, the loaded cost of one FTE in the scenario currency",
            )
            .found("no `staff_salary_per_year`"));
    }

    let server_price = ctx.convert(&p("server"), server.price_usd, "USD", currency)?;
    let release_month = generations::release_month(ctx, &accelerator, &p("server"))?;
    if release_month > 0 {
        ctx.warnings.push(format!(
            "option `{}`: server `{}` is bought in the first month, {release_month} month{} before \
             its accelerator `{}` is released ({})",
            crate::limits::printable(&o.name),
            server.id,
            if release_month == 1 { "" } else { "s" },
            accelerator.id,
            accelerator.release
        ));
    }
    let refresh = generations::refresh(
        ctx,
        n,
        o,
        &generations::FirstServer {
            server: &server,
            accelerator: &accelerator,
            basis,
            ref_throughput,
            currency,
            support_pct_per_year: o.support_pct_per_year.map(|_| support),
        },
        cycle_months,
    )?;
    let electricity = ctx.convert(
        &p("site"),
        site.electricity_per_kwh,
        &site.currency,
        currency,
    )?;
    let colocation = ctx.convert(
        &p("site"),
        site.colocation_per_kw_month,
        &site.currency,
        currency,
    )?;
    let support_value = match o.support_pct_per_year {
        Some(_) => RowValue::scenario(
            "support_pct_per_year",
            support,
            SUPPORT_UNIT,
            &o.name,
            server.support_pct_per_year,
        ),
        None => RowValue::catalog("support_pct_per_year", support, SUPPORT_UNIT),
    };
    ctx.add_values(
        "servers",
        &server.id,
        &server.origin,
        vec![
            RowValue::catalog("price_usd", server.price_usd, "USD")
                .converted(server_price, currency.to_string()),
            RowValue::catalog("max_power_kw", server.max_power_kw, "kW"),
            RowValue::catalog(
                "idle_fraction",
                server.idle_fraction,
                "fraction of max power",
            ),
            RowValue::catalog(
                "accelerator_count",
                f64::from(server.accelerator_count),
                "GPUs",
            ),
            RowValue::catalog("warranty_years", server.warranty_years, "years"),
            support_value,
        ],
    );
    let cur = &site.currency;
    ctx.add_values(
        "sites",
        &site.id,
        &site.origin,
        vec![
            RowValue::catalog(
                "electricity_per_kwh",
                site.electricity_per_kwh,
                &format!("{cur}/kWh"),
            )
            .converted(electricity, format!("{currency}/kWh")),
            RowValue::catalog("pue", site.pue, "facility kWh per IT kWh"),
            RowValue::catalog(
                "colocation_per_kw_month",
                site.colocation_per_kw_month,
                &format!("{cur} per kW-month"),
            )
            .converted(colocation, format!("{currency} per kW-month")),
            RowValue::catalog("grid_co2_g_per_kwh", site.grid_co2_g_per_kwh, "gCO2/kWh"),
        ],
    );
    if !matches!(financing, Financing::Lease { .. }) {
        ctx.add_values(
            "depreciation",
            &policy.id,
            &policy.origin,
            depreciation_values(&depreciation),
        );
    }
    let sharing = sharing::sharing(ctx, n, o, &accelerator)?;
    sharing::warn_refresh_without_mig(ctx, &o.name, &sharing, refresh.as_deref());
    Ok(OwnedIn {
        servers,
        gpus_per_server: per_server,
        rel_throughput: rel,
        availability,
        server_price,
        max_power_kw: server.max_power_kw,
        idle_fraction: server.idle_fraction,
        warranty_months: server.warranty_years * 12.0,
        support_pct_per_year: support,
        electricity_per_kwh: electricity,
        pue: site.pue,
        colocation_per_kw_month: colocation,
        grid_co2_g_per_kwh: site.grid_co2_g_per_kwh,
        cycle_months,
        financing,
        depreciation,
        tax_depreciation,
        residual_value,
        staff_fte_fixed,
        staff_fte_per_server,
        staff_salary_per_year,
        software_per_gpu_year,
        scheduler: trace_workload::scheduler(ctx, &p("scheduler"), o.scheduler.as_deref())?,
        server_id: server.id.as_str().into(),
        release_month,
        refresh,
        sharing,
        mig: sharing::mig_profiles(&accelerator),
    })
}

fn resolve_cloud(
    ctx: &mut Ctx,
    n: usize,
    o: &OptionSpec,
    basis: &str,
    ref_throughput: f64,
    currency: &str,
) -> Result<CloudIn, InputError> {
    let p = |f: &'static str| [Seg::Key("option"), Seg::Index(n), Seg::Key(f)];
    let Some(offer_id) = &o.offer else {
        return Err(ctx
            .err(
                &[Seg::Key("option"), Seg::Index(n)],
                format!("option `{}` has no `offer`", o.name),
            )
            .expected("`offer = \"<cloud offer id>\"` for a cloud or hybrid option")
            .found("no `offer`"));
    };
    let Some(offer) = ctx.catalog.offer(offer_id).cloned() else {
        return Err(ctx.unknown(
            &p("offer"),
            "cloud offer",
            offer_id,
            ctx.catalog.offers.iter().map(|s| s.id.as_str()).collect(),
        ));
    };
    let provider = ctx.catalog.provider(&offer.provider).cloned();
    let accelerator = ctx.accelerator(&p("offer"), &offer.accelerator)?;
    let rel = throughput(ctx, basis, &accelerator, &p("offer"))? / ref_throughput;
    ctx.add_throughput(&accelerator, basis, rel);
    // Cloud energy is the GPU's TDP times the host factor (M8).
    ctx.add_values(
        "accelerators",
        &accelerator.id,
        &accelerator.origin,
        vec![RowValue::catalog("tdp_w", accelerator.tdp_w, "W")],
    );
    let per_gpu = |v: f64, offer: &CloudOffer| v / f64::from(offer.accelerator_count);

    let commitment = match (o.committed_share, o.committed_gpus) {
        (Some(s), None) => Commitment::Share(ctx.value_in(
            &p("committed_share"),
            s,
            0.0,
            1.0,
            "a share between 0 and 1",
        )),
        (None, Some(g)) => Commitment::Gpus(ctx.whole_in(
            &p("committed_gpus"),
            g,
            0,
            1_000_000,
            "a whole number of GPUs, 0 or more",
        )),
        (None, None) => Commitment::None,
        (Some(_), Some(_)) => {
            return Err(ctx
                .err(
                    &p("committed_gpus"),
                    "both `committed_share` and `committed_gpus`",
                )
                .expected("at most one of them")
                .found("both"));
        }
    };
    let term_years = o.commit_term_years.unwrap_or(1);
    if term_years != 1 && term_years != 3 {
        return Err(ctx
            .err(
                &p("commit_term_years"),
                "`commit_term_years` is not a published term",
            )
            .expected("1 or 3")
            .found(term_years.to_string()));
    }
    let (commit_price, derived) = if term_years == 1 {
        (offer.commit_1y_usd_per_hour, offer.commit_1y_derived)
    } else {
        (offer.commit_3y_usd_per_hour, offer.commit_3y_derived)
    };
    let committing = !matches!(
        commitment,
        Commitment::None | Commitment::Share(0.0) | Commitment::Gpus(0)
    );
    let spot_share = ctx.value_in(
        &p("spot_share"),
        o.spot_share.unwrap_or(0.0),
        0.0,
        1.0,
        "a share between 0 and 1",
    );
    if spot_share > 0.0 && offer.spot_usd_per_hour.is_none() {
        return Err(ctx
            .err(
                &p("spot_share"),
                format!("offer `{}` has no spot price", offer.id),
            )
            .expected("spot_share = 0, or an offer with a spot price")
            .found(format!("spot_share = {spot_share}")));
    }
    let spot_overhead = ctx.value_in(
        &p("spot_interruption_overhead"),
        o.spot_interruption_overhead
            .unwrap_or(defaults::SPOT_OVERHEAD),
        0.0,
        5.0,
        "a fraction between 0 and 5",
    );
    let storage_tb = ctx.value_in(
        &p("storage_tb"),
        o.storage_tb.unwrap_or(0.0),
        0.0,
        1e9,
        "0 or more TB",
    );
    let egress_tb = ctx.value_in(
        &p("egress_tb_per_month"),
        o.egress_tb_per_month.unwrap_or(0.0),
        0.0,
        1e9,
        "0 or more TB per month",
    );
    let cloud_pue = ctx.value_in(
        &p("cloud_pue"),
        o.cloud_pue.unwrap_or(defaults::CLOUD_PUE),
        1.0,
        5.0,
        "a PUE between 1 and 5",
    );
    let cloud_co2 = ctx.value_in(
        &p("cloud_grid_co2_g_per_kwh"),
        o.cloud_grid_co2_g_per_kwh
            .unwrap_or(defaults::CLOUD_GRID_CO2),
        0.0,
        5000.0,
        "0 to 5,000 gCO2/kWh",
    );

    if let Some(spot) = offer.spot_usd_per_hour
        && spot > offer.on_demand_usd_per_hour
    {
        ctx.warnings.push(format!(
            "offer `{}`: spot price {spot} USD/h is above the on-demand price {} USD/h",
            offer.id, offer.on_demand_usd_per_hour
        ));
    }
    let mut derived_note = None;
    if committing && derived {
        derived_note = Some(format!(
            "{term_years}-year committed price derived from the `{}` discount in cloud-providers.toml",
            offer.provider
        ));
    }
    ctx.use_row(
        "cloud-offers",
        &offer.id,
        (&offer.source, &offer.as_of, offer.estimate),
        derived_note,
        &offer.origin,
    );
    let (storage_price, egress_price) = match &provider {
        Some(pr) => {
            if storage_tb > 0.0 || egress_tb > 0.0 || (committing && derived) {
                ctx.use_row(
                    "cloud-providers",
                    &pr.id,
                    (&pr.source, &pr.as_of, pr.estimate),
                    None,
                    &pr.origin,
                );
            }
            (pr.storage_usd_per_tb_month, pr.egress_usd_per_tb)
        }
        None => (0.0, 0.0),
    };
    let od = ctx.convert(
        &p("offer"),
        per_gpu(offer.on_demand_usd_per_hour, &offer),
        "USD",
        currency,
    )?;
    let spot = ctx.convert(
        &p("offer"),
        per_gpu(offer.spot_usd_per_hour.unwrap_or(0.0), &offer),
        "USD",
        currency,
    )?;
    let commit = ctx.convert(
        &p("offer"),
        per_gpu(commit_price.unwrap_or(offer.on_demand_usd_per_hour), &offer),
        "USD",
        currency,
    )?;
    let storage = ctx.convert(&p("storage_tb"), storage_price, "USD", currency)?;
    let egress = ctx.convert(&p("egress_tb_per_month"), egress_price, "USD", currency)?;
    let instance = "USD per instance-hour";
    let gpu_hour = "USD per GPU-hour";
    let local_gpu_hour = format!("{currency} per GPU-hour");
    let mut values = vec![
        RowValue::catalog(
            "accelerator_count",
            f64::from(offer.accelerator_count),
            "GPUs per instance",
        ),
        RowValue::catalog(
            "on_demand_usd_per_hour",
            offer.on_demand_usd_per_hour,
            instance,
        ),
        RowValue::derived(
            "on_demand_usd_per_gpu_hour",
            per_gpu(offer.on_demand_usd_per_hour, &offer),
            gpu_hour,
        )
        .converted(od, local_gpu_hour.clone()),
    ];
    if let Some(price) = offer.spot_usd_per_hour {
        values.extend([
            RowValue::catalog("spot_usd_per_hour", price, instance),
            RowValue::derived("spot_usd_per_gpu_hour", per_gpu(price, &offer), gpu_hour)
                .converted(spot, local_gpu_hour.clone()),
        ]);
    }
    if committing && let Some(price) = commit_price {
        let hour = RowValue::catalog(
            &format!("commit_{term_years}y_usd_per_hour"),
            price,
            instance,
        );
        values.extend([
            if derived {
                RowValue {
                    from: crate::catalog::ValueFrom::Derived,
                    ..hour
                }
            } else {
                hour
            },
            RowValue::derived(
                &format!("commit_{term_years}y_usd_per_gpu_hour"),
                per_gpu(price, &offer),
                gpu_hour,
            )
            .converted(commit, local_gpu_hour),
        ]);
    }
    ctx.add_values("cloud-offers", &offer.id, &offer.origin, values);
    if let Some(pr) = &provider {
        let mut values = Vec::new();
        if committing && derived {
            let discount = if term_years == 3 {
                pr.commit_3y_discount
            } else {
                pr.commit_1y_discount
            };
            values.push(RowValue::catalog(
                &format!("commit_{term_years}y_discount"),
                discount,
                "fraction of on-demand",
            ));
        }
        if storage_tb > 0.0 {
            values.push(
                RowValue::catalog(
                    "storage_usd_per_tb_month",
                    storage_price,
                    "USD per TB-month",
                )
                .converted(storage, format!("{currency} per TB-month")),
            );
        }
        if egress_tb > 0.0 {
            values.push(
                RowValue::catalog("egress_usd_per_tb", egress_price, "USD per TB")
                    .converted(egress, format!("{currency} per TB")),
            );
        }
        ctx.add_values("cloud-providers", &pr.id, &pr.origin, values);
    }
    Ok(CloudIn {
        rel_throughput: rel,
        on_demand_per_gpu_hour: od,
        spot_per_gpu_hour: spot,
        commit_per_gpu_hour: commit,
        commitment,
        commit_term_months: (term_years * 12) as u32,
        spot_share,
        spot_overhead,
        storage_tb,
        storage_per_tb_month: storage,
        egress_tb_per_month: egress_tb,
        egress_per_tb: egress,
        power_kw_per_gpu: accelerator.tdp_w / 1000.0 * defaults::CLOUD_HOST_FACTOR,
        pue: cloud_pue,
        grid_co2_g_per_kwh: cloud_co2,
        ride_release_month: generations::ride(ctx, n, o, &accelerator)?,
        fractional: None,
    })
}

/// Unit of a server's support contract.
const SUPPORT_UNIT: &str = "% of price per year";

/// The parameters of a depreciation policy as the run applies them, defaults filled in.
fn depreciation_values(d: &crate::finance::Depreciation) -> Vec<RowValue> {
    use crate::finance::Depreciation;
    let text = |name: &str, value: &str| RowValue {
        value: Figure::Text(value.to_string()),
        ..RowValue::catalog(name, 0.0, "")
    };
    match d {
        Depreciation::StraightLine {
            life_years,
            salvage_fraction,
        } => vec![
            text("method", "straight-line"),
            RowValue::catalog("life_years", f64::from(*life_years), "years"),
            RowValue::catalog("salvage_fraction", *salvage_fraction, "fraction of cost"),
        ],
        Depreciation::DecliningBalance {
            life_years,
            factor,
            salvage_fraction,
            switch_to_straight_line,
        } => vec![
            text("method", "declining-balance"),
            RowValue::catalog("life_years", f64::from(*life_years), "years"),
            RowValue::catalog("factor", *factor, "times the straight-line rate"),
            RowValue::catalog("salvage_fraction", *salvage_fraction, "fraction of cost"),
            text(
                "switch_to_straight_line",
                if *switch_to_straight_line {
                    "true"
                } else {
                    "false"
                },
            ),
        ],
        Depreciation::Table { annual_rates } => vec![
            text("method", "table"),
            RowValue {
                value: Figure::Numbers(annual_rates.clone()),
                ..RowValue::catalog("annual_rates", 0.0, "fraction of cost per tax year")
            },
        ],
    }
}

/// The least monthly demand of a workload other than 0 [reference-GPU-hours]: figures per
/// GPU-hour of less would leave the range of numbers.
pub const MIN_GPU_HOURS: f64 = 1e-6;

/// A sampled monthly demand as the model takes it: one below [`MIN_GPU_HOURS`] is none (a
/// scenario's own figure there is refused).
pub fn sampled_gpu_hours(hours: f64) -> f64 {
    if hours < MIN_GPU_HOURS { 0.0 } else { hours }
}

/// Refuses a scenario that walks the hours (Q1) with more hour-by-hour work than
/// [`crate::limits::MAX_WALK`], or more waiting work held hour by hour than
/// [`crate::limits::MAX_WAITING_MONTHS`]: its memory and time grow with both.
fn check_walk_size(ctx: &Ctx, input: &Input) -> Result<(), InputError> {
    if !input.hourly() {
        return Ok(());
    }
    let months = input.horizon_months as u64;
    let waiting = input
        .workloads
        .iter()
        .filter(|w| w.max_wait_hours > 0 && w.trace.is_none())
        .count() as u64;
    let options = input.options.len() as u64;
    let group = crate::limits::group;
    let walk = months * (waiting + 1) * options;
    let held = months * waiting;
    let (problem, expected, found) = if held > crate::limits::MAX_WAITING_MONTHS {
        (
            "too much waiting work to hold hour by hour",
            format!(
                "at most {} workload-months of workloads that may wait (`max_wait_hours` > 0) \
                 (README \"Limits\")",
                group(crate::limits::MAX_WAITING_MONTHS)
            ),
            format!(
                "{} months × {waiting} workloads that may wait = {}",
                group(months),
                group(held)
            ),
        )
    } else if walk > crate::limits::MAX_WALK {
        (
            "too much work to walk hour by hour",
            format!(
                "at most {} of months × (workloads that may wait + 1) × options (README \"Limits\")",
                group(crate::limits::MAX_WALK)
            ),
            format!(
                "{} months × {} × {options} options = {}",
                group(months),
                waiting + 1,
                group(walk)
            ),
        )
    } else {
        return Ok(());
    };
    Err(ctx
        .err(&[Seg::Key("horizon_months")], problem)
        .expected(expected)
        .found(found)
        .hint("a shorter horizon, fewer options, or fewer workloads with `max_wait_hours`"))
}

/// Refuses a scenario whose demand in some month could exceed
/// [`crate::limits::MAX_MONTHLY_DEMAND`], pointing at the workload that contributes most;
/// `context` says which values were used (the scenario's own, or an uncertain input's extreme).
pub fn check_demand_bound(source: &Source, input: &Input, context: &str) -> Result<(), InputError> {
    let bounds = crate::model::monthly_demand_bounds(input);
    let total: f64 = bounds.iter().sum();
    if total <= crate::limits::MAX_MONTHLY_DEMAND {
        return Ok(());
    }
    let largest = bounds
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap_or(0);
    Err(error_at(
        source,
        &[Seg::Key("workload"), Seg::Index(largest)],
        format!("the demand could reach more GPU-hours in a month than tcosim computes with{context}"),
    )
    .expected(format!(
        "at most {} reference GPU-hours in any month (first month's hours × demand_scale × growth over the horizon × the profile's largest month)",
        crate::error::number(crate::limits::MAX_MONTHLY_DEMAND)
    ))
    .found(crate::error::number(total))
    .hint("check `gpu_hours_per_month`, `training_flops_per_month`, `demand_scale` and the growth rates"))
}

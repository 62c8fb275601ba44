//! Sweeps: a grid over option parameters (owned servers, committed share, ...), each point
//! simulated, optionally with Monte Carlo samples, and the point with the lowest objective.
//!
//! [`run_cancellable`] reports progress in units of [`Plan::work`] and stops promptly when its
//! caller's flag is set: no grid point starts after that, and a point's own Monte Carlo stops
//! within a chunk.

use super::engine::{self, Cancelled};
use super::uncertain::Uncertainty;
use crate::catalog::Catalog;
use crate::error::{InputError, Seg, number, written};
use crate::model::{self, Commitment, Input, MonthDemand};
use crate::scenario::{Resolved, Source, SweepParameter, error_at};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Most grid points a sweep may have.
pub const MAX_POINTS: usize = 100_000;

/// Most Monte Carlo samples a sweep may run over all its points together.
pub const MAX_SWEEP_SAMPLES: u64 = 100_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Servers,
    Gpus,
    CommittedShare,
    CommittedGpus,
    SpotShare,
    Availability,
    /// Years between purchases of an owned option that pays cash or by loan (M9); 0: no
    /// refresh.
    RefreshYears,
    /// The degree of automation: the values are indices into [`Axis::levels`].
    Automation,
    /// The depreciation policy for tax (README TX2): the values are indices into
    /// [`Axis::levels`].
    TaxDepreciation,
    /// How the option shares its GPUs (README SG2): the values are indices into
    /// [`Axis::levels`].
    Sharing,
}

impl Field {
    /// Whether the values of this field index [`Axis::levels`].
    pub fn has_levels(self) -> bool {
        matches!(
            self,
            Field::Automation | Field::TaxDepreciation | Field::Sharing
        )
    }
}

/// Staff and software of an owned option at one degree of automation (README S1), with the
/// option's own figures where it sets them.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    pub id: String,
    pub staff_fte_fixed: f64,
    pub staff_fte_per_server: f64,
    pub software_per_gpu_year: f64,
    /// On a tax depreciation axis, the policy of this level.
    pub tax_depreciation: Option<crate::finance::Depreciation>,
    /// On a sharing axis, the way of sharing of this level.
    pub sharing: Option<crate::model::sharing::Sharing>,
}

impl Level {
    /// A level named `id` that sets nothing yet; the staff figures are read on an automation
    /// axis only.
    fn named(id: &str) -> Level {
        Level {
            id: id.to_string(),
            staff_fte_fixed: 0.0,
            staff_fte_per_server: 0.0,
            software_per_gpu_year: 0.0,
            tax_depreciation: None,
            sharing: None,
        }
    }
}

/// One axis of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub path: String,
    pub option: usize,
    pub field: Field,
    pub values: Vec<f64>,
    /// For [`Field::Automation`], [`Field::TaxDepreciation`] and [`Field::Sharing`], the levels
    /// the values index; empty otherwise.
    pub levels: Vec<Level>,
}

impl Axis {
    /// An axis of named levels, its values the levels' indices 0, 1, ….
    fn of_levels(path: &str, option: usize, field: Field, levels: Vec<Level>) -> Axis {
        Axis {
            path: path.to_string(),
            option,
            field,
            values: (0..levels.len()).map(|k| k as f64).collect(),
            levels,
        }
    }

    /// How value `v` of this axis is shown: the level's id on an automation axis, the number
    /// otherwise (`number` formats it).
    pub fn show(&self, v: f64, number: impl Fn(f64) -> String) -> String {
        match self.level(v) {
            Some(l) => l.id.clone(),
            None => number(v),
        }
    }

    /// The level value `v` stands for on an automation axis.
    pub fn level(&self, v: f64) -> Option<&Level> {
        if self.field.has_levels() && v >= 0.0 {
            self.levels.get(v as usize)
        } else {
            None
        }
    }

    fn set(&self, input: &mut Input, v: f64) {
        self.set_on(&mut input.options[self.option], v);
    }

    /// Sets this axis's field of option `o` (the axis's own option) to `v`.
    fn set_on(&self, o: &mut model::OptionIn, v: f64) {
        match self.field {
            Field::Servers => {
                if let Some(w) = o.owned.as_mut() {
                    w.servers = v as u32;
                }
            }
            Field::Gpus => {
                if let Some(w) = o.owned.as_mut() {
                    w.servers = (v as u32) / w.gpus_per_server.max(1);
                }
            }
            Field::Availability => {
                if let Some(w) = o.owned.as_mut() {
                    w.availability = v;
                }
            }
            Field::RefreshYears => {
                if let Some(w) = o.owned.as_mut() {
                    // As the scenario's `refresh_years`: whole months, at least one.
                    w.cycle_months = (v > 0.0).then(|| (v * 12.0).round().max(1.0) as u32);
                }
            }
            Field::CommittedShare => {
                if let Some(c) = o.cloud.as_mut() {
                    c.commitment = Commitment::Share(v);
                }
            }
            Field::CommittedGpus => {
                if let Some(c) = o.cloud.as_mut() {
                    c.commitment = Commitment::Gpus(v as u32);
                }
            }
            Field::SpotShare => {
                if let Some(c) = o.cloud.as_mut() {
                    c.spot_share = v;
                }
            }
            Field::TaxDepreciation => {
                let level = self.levels.get(v as usize);
                if let (Some(w), Some(d)) = (
                    o.owned.as_mut(),
                    level.and_then(|l| l.tax_depreciation.as_ref()),
                ) {
                    w.tax_depreciation = d.clone();
                }
            }
            Field::Sharing => {
                let level = self.levels.get(v as usize);
                if let (Some(w), Some(s)) =
                    (o.owned.as_mut(), level.and_then(|l| l.sharing.as_ref()))
                {
                    w.sharing = s.clone();
                }
            }
            Field::Automation => {
                if let (Some(w), Some(l)) = (o.owned.as_mut(), self.levels.get(v as usize)) {
                    w.staff_fte_fixed = l.staff_fte_fixed;
                    w.staff_fte_per_server = l.staff_fte_per_server;
                    w.software_per_gpu_year = l.software_per_gpu_year;
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    PvCost,
    P90PvCost,
}

impl Objective {
    pub fn key(self) -> &'static str {
        match self {
            Objective::PvCost => "pv_cost",
            Objective::P90PvCost => "p90_pv_cost",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// One value per axis.
    pub values: Vec<f64>,
    pub objective: f64,
    pub pv_cost: f64,
    pub unmet_gpu_hours: f64,
    /// Serves its demand (unmet within `model::UNMET_TOLERANCE`): only such points can be the
    /// optimum, unless no point is.
    pub serves_demand: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    pub option: usize,
    pub axes: Vec<Axis>,
    pub objective: Objective,
    pub samples: u64,
    /// Grid points, the last axis varying fastest.
    pub points: Vec<Point>,
    /// Index of the lowest objective among the points that serve their demand (the first on
    /// ties); among all points when none does or when unserved work has a price.
    pub best: usize,
    /// Whether unserved work has a price, which every point's objective includes: then every
    /// point competes, and the lowest is the optimum whether or not it serves its demand.
    pub priced: bool,
}

impl Sweep {
    /// Whether the best point is an optimum: it serves its demand, or unserved work is priced
    /// into every point's objective. Otherwise no point serves its demand and the best is only
    /// the point with the lowest objective.
    pub fn optimum_serves(&self) -> bool {
        self.priced || self.points.get(self.best).is_some_and(|p| p.serves_demand)
    }

    /// `input` with the swept parameters at the best point's values: the scenario the sweep
    /// recommends, every option in it, as the policies of `tcosim sweep` are checked against.
    pub fn best_input(&self, input: &Input) -> Input {
        let mut at_best = input.clone();
        if let Some(p) = self.points.get(self.best) {
            for (axis, v) in self.axes.iter().zip(&p.values) {
                axis.set(&mut at_best, *v);
            }
        }
        at_best
    }
}

/// The sweep of a scenario's `[sweep]` table.
pub struct Plan {
    pub axes: Vec<Axis>,
    pub objective: Objective,
    pub samples: u64,
    /// Unserved work has a price: every point is ranked (README Q7).
    pub priced: bool,
}

impl Plan {
    /// The plan of the scenario's `[sweep]`. A swept field must not also be an uncertain input
    /// of `uncertainty`: the sampled value would replace the swept one at every point.
    pub fn build(
        source: &Source,
        r: &Resolved,
        catalog: &Catalog,
        uncertainty: &Uncertainty,
    ) -> Result<Plan, InputError> {
        let Some(spec) = &r.file.sweep else {
            return Err(error_at(source, &[], "the scenario has no `[sweep]`")
                .expected("a `[sweep]` table with at least one `[[sweep.parameter]]`")
                .found("none"));
        };
        let objective = match spec.objective.as_str() {
            "pv_cost" => Objective::PvCost,
            "p90_pv_cost" => Objective::P90PvCost,
            other => {
                return Err(error_at(
                    source,
                    &[Seg::Key("sweep"), Seg::Key("objective")],
                    format!("unknown objective `{other}`"),
                )
                .expected("`pv_cost` or `p90_pv_cost`")
                .found(format!("`{other}`")));
            }
        };
        if objective == Objective::P90PvCost && spec.samples == 0 {
            return Err(error_at(
                source,
                &[Seg::Key("sweep"), Seg::Key("objective")],
                "`p90_pv_cost` needs Monte Carlo samples",
            )
            .expected("`samples = N` in `[sweep]`, N > 0")
            .found(
                if source
                    .text
                    .parse::<toml::Table>()
                    .ok()
                    .and_then(|t| t.get("sweep")?.get("samples").cloned())
                    .is_some()
                {
                    "samples = 0"
                } else {
                    "no `samples`"
                },
            ));
        }
        if objective == Objective::PvCost && spec.samples > 0 {
            // The deterministic PV ranks the points: samples would run for nothing.
            return Err(error_at(
                source,
                &[Seg::Key("sweep"), Seg::Key("samples")],
                "`samples` has no use with the objective `pv_cost`",
            )
            .expected(
                "`objective = \"p90_pv_cost\"` to rank the points by Monte Carlo, or no `samples`",
            )
            .found(format!("samples = {}", spec.samples)));
        }
        if spec.samples > 10_000_000 {
            return Err(error_at(
                source,
                &[Seg::Key("sweep"), Seg::Key("samples")],
                "too many samples per point",
            )
            .expected("at most 10,000,000")
            .found(spec.samples.to_string()));
        }
        if spec.parameters.is_empty() || spec.parameters.len() > 2 {
            return Err(error_at(
                source,
                &[Seg::Key("sweep")],
                "a sweep has one or two parameters",
            )
            .expected("one or two `[[sweep.parameter]]` tables")
            .found(format!("{}", spec.parameters.len())));
        }
        let mut axes = Vec::new();
        for (i, p) in spec.parameters.iter().enumerate() {
            axes.push(axis(source, r, catalog, i, p)?);
        }
        if let [first, second] = axes.as_slice() {
            let at = [
                Seg::Key("sweep"),
                Seg::Key("parameter"),
                Seg::Index(1),
                Seg::Key("path"),
            ];
            if first.option != second.option {
                return Err(
                    error_at(source, &at, "sweep parameters of different options")
                        .expected("both parameters on the option whose cost is minimised")
                        .found(format!("`{}` and `{}`", first.path, second.path)),
                );
            }
            if first.path == second.path {
                return Err(error_at(source, &at, "the same parameter twice")
                    .expected("two different parameters")
                    .found(format!("`{}` twice", first.path)));
            }
            // Two keys that set one figure, which a scenario may not give both of: one of the
            // two would be ignored.
            let pair = [first.field, second.field];
            for (a, b, what) in [
                (Field::Servers, Field::Gpus, "the owned servers"),
                (
                    Field::CommittedShare,
                    Field::CommittedGpus,
                    "the committed cloud GPUs",
                ),
            ] {
                if pair == [a, b] || pair == [b, a] {
                    return Err(error_at(
                        source,
                        &at,
                        format!("two sweep parameters that both set {what}"),
                    )
                    .expected("one of the two, as in a scenario")
                    .found(format!("`{}` and `{}`", first.path, second.path)));
                }
            }
        }
        for (i, a) in axes.iter().enumerate() {
            if let Some(u) = uncertainty.setting(a.option, a.field) {
                let at = [
                    Seg::Key("sweep"),
                    Seg::Key("parameter"),
                    Seg::Index(i),
                    Seg::Key("path"),
                ];
                return Err(error_at(
                    source,
                    &at,
                    format!("`{}` is both swept and uncertain", a.path),
                )
                .expected(
                    "a swept parameter without an `[[uncertain]]` entry (each sample would \
                     replace the swept value)",
                )
                .found(format!("`[[uncertain]]` with path = \"{}\"", u.path)));
            }
        }
        let points: usize = axes.iter().map(|a| a.values.len()).product();
        if points > MAX_POINTS {
            return Err(
                error_at(source, &[Seg::Key("sweep")], "the grid is too large")
                    .expected(format!("at most {MAX_POINTS} points"))
                    .found(format!("{points} points")),
            );
        }
        let total = points as u64 * spec.samples;
        if total > MAX_SWEEP_SAMPLES {
            return Err(error_at(
                source,
                &[Seg::Key("sweep"), Seg::Key("samples")],
                "the sweep asks for too many Monte Carlo samples in all",
            )
            .expected(format!("grid points × samples at most {MAX_SWEEP_SAMPLES}"))
            .found(format!("{points} points × {} samples", spec.samples)));
        }
        Ok(Plan {
            axes,
            objective,
            samples: spec.samples,
            priced: r.input.unserved_priced(),
        })
    }
}

impl Plan {
    /// Grid points of the sweep.
    pub fn points(&self) -> u64 {
        self.axes.iter().map(|a| a.values.len() as u64).product()
    }

    /// Units of work of one grid point: one simulation, or with the `p90_pv_cost` objective
    /// one per Monte Carlo sample.
    pub fn work_per_point(&self) -> u64 {
        match self.objective {
            Objective::PvCost => 1,
            Objective::P90PvCost => self.samples.max(1),
        }
    }

    /// Units of work of the whole sweep, as [`run_cancellable`] counts its progress.
    pub fn work(&self) -> u64 {
        self.points().saturating_mul(self.work_per_point())
    }
}

/// The key path of field `f` of `[[sweep.parameter]]` entry `i`.
fn parameter_key(i: usize, f: &'static str) -> [Seg; 4] {
    [
        Seg::Key("sweep"),
        Seg::Key("parameter"),
        Seg::Index(i),
        Seg::Key(f),
    ]
}

fn axis(
    source: &Source,
    r: &Resolved,
    catalog: &Catalog,
    i: usize,
    p: &SweepParameter,
) -> Result<Axis, InputError> {
    let at = |f: &'static str| parameter_key(i, f);
    let bad = |f: &'static str, problem: String| error_at(source, &at(f), problem);
    let path = &p.path;
    let Some((Some(("option", name)), field)) = crate::scenario::split_path(path) else {
        return Err(bad("path", "malformed sweep path".into())
            .expected("`option[NAME].FIELD`")
            .found(format!("`{path}`")));
    };
    let Some(o) = r.file.options.iter().position(|x| x.name == name) else {
        return Err(bad("path", format!("no option named `{name}`"))
            .expected("the name of an option of this scenario")
            .found(format!("`{name}`"))
            .hint_nearest(
                "the nearest are",
                name,
                r.file.options.iter().map(|x| x.name.as_str()),
            ));
    };
    let opt = &r.input.options[o];
    if field == "automation" && opt.owned.is_some() {
        return automation_axis(source, r, catalog, i, p, o);
    }
    if field == "tax_depreciation" && opt.owned.is_some() {
        return tax_depreciation_axis(source, r, catalog, i, p, o);
    }
    if field == "sharing" && opt.owned.is_some() {
        return sharing_axis(source, r, i, p, o);
    }
    if matches!(field, "automation" | "tax_depreciation" | "sharing") {
        // What these choose (staffing, tax depreciation, the sharing of GPUs) is of owned
        // servers.
        return Err(bad("path", format!("option `{name}` owns no servers"))
            .expected(format!(
                "an option that owns servers (`onprem`, or `hybrid` with servers): `{field}` is \
                 of owned servers"
            ))
            .found(format!("`{path}` of a `{}` option", opt.kind.as_str())));
    }
    if p.levels.is_some() {
        return Err(bad(
            "levels",
            "`levels` apply only to `automation`, `tax_depreciation` and `sharing`".into(),
        )
        .expected(format!("`from`/`to`/`step` or `values` for `{path}`"))
        .found("`levels`"));
    }
    let (field, min, max, integer) = match field {
        "servers" if opt.owned.is_some() => (Field::Servers, 0.0, 100_000.0, true),
        "gpus" if opt.owned.is_some() => (Field::Gpus, 0.0, 800_000.0, true),
        "availability" if opt.owned.is_some() => (Field::Availability, 0.01, 1.0, false),
        "refresh_years" if opt.owned.is_some() => {
            let leased = opt
                .owned
                .as_ref()
                .is_some_and(|w| matches!(w.financing, model::Financing::Lease { .. }));
            if leased {
                return Err(bad("path", format!("option `{name}` leases its servers"))
                    .expected("an option that buys its servers (cash or loan): a lease is renewed at the end of its term")
                    .found(format!("`{path}`")));
            }
            (Field::RefreshYears, 0.0, 50.0, false)
        }
        "committed_share" if opt.cloud.is_some() => (Field::CommittedShare, 0.0, 1.0, false),
        "committed_gpus" if opt.cloud.is_some() => (Field::CommittedGpus, 0.0, 1e6, true),
        "spot_share" if opt.cloud.is_some() => (Field::SpotShare, 0.0, 1.0, false),
        other => {
            return Err(bad("path", format!("`{other}` cannot be swept on option `{name}`"))
                .expected("`servers`, `gpus`, `availability`, `refresh_years`, `automation`, `tax_depreciation` or `sharing` of an owning option; `committed_share`, `committed_gpus` or `spot_share` of an option with a cloud part")
                .found(format!("`{path}`")));
        }
    };
    if field == Field::SpotShare
        && opt
            .cloud
            .as_ref()
            .is_some_and(|c| c.spot_per_gpu_hour <= 0.0)
    {
        return Err(bad("path", format!("option `{name}` has no spot price"))
            .expected("an offer with a spot price")
            .found("a spot price of 0"));
    }
    let values = match (&p.values, p.from, p.to, p.step) {
        (Some(v), None, None, None) => {
            if v.is_empty() {
                return Err(bad("values", "`values` is empty".into())
                    .expected("at least one value")
                    .found("`values = []`"));
            }
            v.clone()
        }
        (None, Some(from), Some(to), Some(step)) => {
            if !(from.is_finite() && to.is_finite() && step.is_finite()) || step <= 0.0 || to < from
            {
                return Err(bad("step", "impossible range".into())
                    .expected("from <= to and step > 0")
                    .found(format!(
                        "from {}, to {}, step {}",
                        written(from),
                        written(to),
                        written(step)
                    )));
            }
            // Counted in floating point (finite or +inf, never NaN here): a tiny step gives more
            // values than a `usize` holds.
            let count = ((to - from) / step + 1e-9).floor() + 1.0;
            if count > MAX_POINTS as f64 {
                return Err(bad("step", "too many values".into())
                    .expected(format!("at most {MAX_POINTS}"))
                    .found(format!("{} values", number(count))));
            }
            let n = count as usize;
            // Rounded to 1e-9 so that 0.1 + 2 × 0.1 is 0.3, and never past `to`.
            let grid: Vec<f64> = (0..n)
                .map(|k| (((from + step * k as f64) * 1e9).round() / 1e9).min(to))
                .collect();
            // A grid that ends short of `to` would leave out the end the scenario names.
            let last = grid.last().copied().unwrap_or(from);
            if (to - last).abs() > 1e-9 * to.abs().max(1.0) {
                return Err(
                    bad("to", "`to` is not on the grid of `from` and `step`".into())
                        .expected(format!(
                            "`from` plus a whole number of steps of {}: {} or {}",
                            written(step),
                            written(last),
                            written(((last + step) * 1e9).round() / 1e9)
                        ))
                        .found(written(to)),
                );
            }
            grid
        }
        _ => {
            return Err(error_at(
                source,
                &[Seg::Key("sweep"), Seg::Key("parameter"), Seg::Index(i)],
                "a sweep parameter needs `from`, `to` and `step`, or `values`",
            )
            .expected("either `from`/`to`/`step` or `values`")
            .found(given_keys(p)));
        }
    };
    let valid = |v: f64| v.is_finite() && v >= min && v <= max && !(integer && v.fract() != 0.0);
    for v in &values {
        if !valid(*v) {
            // The key at fault: a listed value, or the end or step of the grid that leads to it.
            let key = match (p.from, p.to) {
                _ if p.values.is_some() => "values",
                (Some(from), _) if !valid(from) => "from",
                (_, Some(to)) if !valid(to) => "to",
                _ => "step",
            };
            // Shown to the last digit where the rounded figure would hide why (1.0000000001).
            let shown = match number(*v) {
                n if n.parse::<f64>() == Ok(*v) || !v.is_finite() => n,
                _ => format!("{v}"),
            };
            let problem = if v.is_finite() && *v >= min && *v <= max {
                "is not a whole number"
            } else {
                "is out of range"
            };
            return Err(bad(key, format!("sweep value {shown} {problem}"))
                .expected(format!(
                    "{} from {} to {}",
                    if integer { "whole numbers" } else { "values" },
                    number(min),
                    number(max)
                ))
                .found(shown));
        }
        // As the scenario's `refresh_years`: none (0), or from a month (1/12) up; a grid's
        // point is rounded to 1e-9 (a step of 1/12 gives 0.083333333), and within that of a
        // month is a month.
        let below = |x: f64| x > 0.0 && x < 1.0 / 12.0 - 1e-9;
        if field == Field::RefreshYears && below(*v) {
            let key = match p.from {
                _ if p.values.is_some() => "values",
                Some(from) if below(from) => "from",
                _ => "step",
            };
            return Err(bad(key, format!("sweep value {v} is out of range"))
                .expected("0 (no refresh) or 1/12 to 50 years, as `refresh_years` in an option")
                .found(format!("{v}")));
        }
        if field == Field::Gpus {
            let per = opt.owned.as_ref().map(|w| w.gpus_per_server).unwrap_or(1);
            if !(*v as u32).is_multiple_of(per) {
                return Err(
                    bad("path", format!("{v} GPUs is not a whole number of servers"))
                        .expected(format!("multiples of {per}"))
                        .found(format!("{v}")),
                );
            }
        }
    }
    // A value listed twice would be a grid point twice, one of them marked as the optimum (a
    // grid's step below its rounding to 1e-9 would repeat points too).
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    if let Some(v) = sorted.windows(2).find(|w| w[0] == w[1]).map(|w| w[0]) {
        // 0 and -0 are one value, shown as 0.
        let v = v + 0.0;
        let key = if p.values.is_some() { "values" } else { "step" };
        return Err(bad(key, format!("`{key}` gives {} twice", number(v)))
            .expected("each value once")
            .found(format!("{} more than once", number(v))));
    }
    Ok(Axis {
        path: path.clone(),
        option: o,
        field,
        values,
        levels: Vec::new(),
    })
}

/// The range keys a sweep parameter gives, as an error's `found`.
fn given_keys(p: &SweepParameter) -> String {
    let given = crate::error::given_keys(&[
        ("`from`", p.from.is_some()),
        ("`to`", p.to.is_some()),
        ("`step`", p.step.is_some()),
        ("`values`", p.values.is_some()),
    ]);
    if given.is_empty() {
        "none of them".into()
    } else {
        given.join(", ")
    }
}

/// The ids of sweep parameter `i`'s `levels`, each listed once, for an axis of catalog ids
/// (`missing`: the problem when it has numbers instead; `example`: a `levels` line; `each`:
/// what one level is).
fn level_ids<'a>(
    source: &Source,
    i: usize,
    p: &'a SweepParameter,
    missing: &str,
    example: &str,
    each: &str,
) -> Result<&'a [String], InputError> {
    let at = |f: &'static str| parameter_key(i, f);
    let Some(ids) = p
        .levels
        .as_ref()
        .filter(|_| p.values.is_none() && p.from.is_none() && p.to.is_none() && p.step.is_none())
    else {
        return Err(error_at(source, &at("path"), missing)
            .expected(format!("{example} and no `from`, `to`, `step` or `values`"))
            .found(format!("`{}`", p.path)));
    };
    if ids.is_empty() {
        return Err(error_at(source, &at("levels"), "`levels` is empty")
            .expected(format!("at least one {each}"))
            .found("`levels = []`"));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(id) = ids.iter().find(|id| !seen.insert(id.as_str())) {
        return Err(
            error_at(source, &at("levels"), format!("`{id}` listed twice"))
                .expected(format!("each {each} once"))
                .found(format!("`{id}` twice")),
        );
    }
    Ok(ids)
}

/// The error for level `id` of sweep parameter `i`, not a `kind` of the catalog (`known`).
fn unknown_level<'a>(
    source: &Source,
    i: usize,
    kind: &str,
    id: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> InputError {
    let mut e = InputError::unknown_id(
        source.display.clone(),
        format!("sweep.parameter[{i}].levels"),
        kind,
        id,
        known,
    );
    e.position = error_at(source, &parameter_key(i, "levels"), "").position;
    e
}

/// An axis over the degrees of automation of owned option `o`: `levels = ["manual", "full"]`,
/// ids of the staffing catalog, each turned into the option's staff and software (S1).
fn automation_axis(
    source: &Source,
    r: &Resolved,
    catalog: &Catalog,
    i: usize,
    p: &SweepParameter,
    o: usize,
) -> Result<Axis, InputError> {
    let at = |f: &'static str| parameter_key(i, f);
    let spec = &r.file.options[o];
    let ids = level_ids(
        source,
        i,
        p,
        "an automation sweep lists its levels",
        "`levels = [\"manual\", \"scripted\", \"full\"]` (ids of the staffing catalog)",
        "degree of automation",
    )?;
    if spec.staff_salary_per_year.is_none() {
        return Err(error_at(
            source,
            &at("path"),
            format!("option `{}` has no `staff_salary_per_year`", spec.name),
        )
        .expected("a salary, so that the staff of each degree of automation has a cost")
        .found("none"));
    }
    let gpus = r.input.options[o]
        .owned
        .as_ref()
        .map_or(0.0, |w| f64::from(w.gpus_per_server));
    let currency = r.input.currency.as_str();
    let mut levels = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(row) = catalog.automation_level(id) else {
            return Err(unknown_level(
                source,
                i,
                "automation level",
                id,
                catalog.automation.iter().map(|a| a.id.as_str()),
            ));
        };
        let software = match spec.software_per_gpu_year {
            Some(own) => own,
            None => catalog
                .convert(row.software_per_gpu_year_usd, "USD", currency)
                .ok_or_else(|| {
                    error_at(
                        source,
                        &at("levels"),
                        format!("no exchange rate for `{currency}`"),
                    )
                    .expected("the scenario currency in fx.toml")
                    .found(format!("`{currency}`, which fx.toml does not list"))
                })?,
        };
        levels.push(Level {
            id: id.clone(),
            staff_fte_fixed: spec
                .staff_fte_fixed
                .unwrap_or(row.fixed_fte + row.platform_fte),
            staff_fte_per_server: spec
                .staff_fte_per_server
                .unwrap_or(row.fte_per_100_gpus * gpus / 100.0),
            software_per_gpu_year: software,
            tax_depreciation: None,
            sharing: None,
        });
    }
    Ok(Axis::of_levels(&p.path, o, Field::Automation, levels))
}

/// An axis over the depreciation policies for tax of owned option `o` (README TX2): the
/// policy ids of `levels`, each applied to the option's purchases.
fn tax_depreciation_axis(
    source: &Source,
    r: &Resolved,
    catalog: &Catalog,
    i: usize,
    p: &SweepParameter,
    o: usize,
) -> Result<Axis, InputError> {
    let at = |f: &'static str| parameter_key(i, f);
    let ids = level_ids(
        source,
        i,
        p,
        "a tax depreciation sweep lists its policies",
        "`levels = [\"straight-line-6y\", \"macrs-5y\", \"us-bonus-100\"]` (ids of the depreciation catalog)",
        "depreciation policy",
    )?;
    let owned = r.input.options[o].owned.as_ref();
    if r.input.tax.is_none()
        || owned.is_some_and(|w| matches!(w.financing, model::Financing::Lease { .. }))
    {
        return Err(error_at(
            source,
            &at("path"),
            "a tax depreciation sweep needs `[tax]` and an option that buys",
        )
        .expected("a `[tax]` table, and cash or loan financing")
        .found(format!("`{}`", p.path)));
    }
    let mut levels = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(method) = catalog.policy(id).and_then(|row| row.method()) else {
            return Err(unknown_level(
                source,
                i,
                "depreciation policy",
                id,
                catalog.policies.iter().map(|a| a.id.as_str()),
            ));
        };
        levels.push(Level {
            tax_depreciation: Some(method),
            ..Level::named(id)
        });
    }
    Ok(Axis::of_levels(&p.path, o, Field::TaxDepreciation, levels))
}

/// Evaluates every grid point (in parallel; results in grid order).
pub fn run(input: &Input, plan: &Plan, uncertainty: &Uncertainty, seed: u64) -> Sweep {
    let never = AtomicBool::new(false);
    let months = model::demand_curves(input);
    let points = evaluate(input, &months, plan, uncertainty, seed, &|_| {}, &never);
    finish(plan, points)
}

/// [`run`], calling `progress` with the units of [`Plan::work`] done so far, and stopped with
/// [`Cancelled`] once `cancel` is set. A sweep that is not cancelled gives exactly the result of
/// [`run`].
pub fn run_cancellable(
    input: &Input,
    months: &[MonthDemand],
    plan: &Plan,
    uncertainty: &Uncertainty,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<Sweep, Cancelled> {
    let points = evaluate(input, months, plan, uncertainty, seed, progress, cancel);
    if cancel.load(Ordering::Relaxed) {
        return Err(Cancelled);
    }
    Ok(finish(plan, points))
}

/// The points of the grid in grid order; once `cancel` is set no point starts and the list is
/// incomplete.
fn evaluate(
    input: &Input,
    months: &[MonthDemand],
    plan: &Plan,
    uncertainty: &Uncertainty,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Vec<Point> {
    let option = plan.axes.first().map(|a| a.option).unwrap_or(0);
    // Every point has the scenario's demand (`months`): its curves are built once and shared.
    let sizes: Vec<usize> = plan.axes.iter().map(|a| a.values.len()).collect();
    let count: usize = sizes.iter().product();
    let done = AtomicU64::new(0);
    // The axes all belong to the swept option, and an option's figures depend on no other
    // option: a point simulates that option alone, through the evaluation core of the
    // deterministic run and of every Monte Carlo sample (the same figures to the last bit).
    let alone = single_option(input, option);
    (0..count)
        .into_par_iter()
        .map_init(
            || (model::Workspace::default(), vec![model::Totals::default()]),
            |(workspace, totals), idx| {
                if cancel.load(Ordering::Relaxed) {
                    return None;
                }
                let mut rest = idx;
                let mut values = vec![0.0; plan.axes.len()];
                for (a, axis) in plan.axes.iter().enumerate().rev() {
                    values[a] = axis.values[rest % sizes[a]];
                    rest /= sizes[a];
                }
                if plan.objective == Objective::PvCost {
                    let mut point_input = alone.clone();
                    for (axis, v) in plan.axes.iter().zip(&values) {
                        axis.set_on(&mut point_input.options[0], *v);
                    }
                    totals[0] = model::Totals::default();
                    model::evaluate_all(
                        &point_input,
                        months,
                        workspace,
                        false,
                        totals,
                        |_, _, _| {},
                    );
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                    let t = &totals[0];
                    return Some(Point {
                        values,
                        objective: t.pv_cost,
                        pv_cost: t.pv_cost,
                        unmet_gpu_hours: t.unmet_gpu_hours,
                        serves_demand: model::serves(t.unmet_gpu_hours, t.demand_gpu_hours),
                    });
                }
                let mut point_input = input.clone();
                for (axis, v) in plan.axes.iter().zip(&values) {
                    axis.set(&mut point_input, *v);
                }
                let out = model::simulate_with(&point_input, months);
                let result = &out.options[option];
                // Objective::P90PvCost: the point's own Monte Carlo over every option.
                let objective = {
                    // The engine reports the samples done in this point, possibly out of order
                    // across its threads: only the growth of their maximum is added.
                    let seen = AtomicU64::new(0);
                    let point_progress = |n: u64| {
                        let before = seen.fetch_max(n, Ordering::Relaxed);
                        if n > before {
                            progress(done.fetch_add(n - before, Ordering::Relaxed) + n - before);
                        }
                    };
                    let mc = engine::run_on(
                        &point_input,
                        months,
                        uncertainty,
                        plan.samples,
                        seed,
                        engine::FanChart::Skip,
                        &point_progress,
                        cancel,
                    )
                    .ok()?;
                    mc.options[option].metrics[0]
                        .map(|m| m.p90())
                        .unwrap_or(result.pv_cost)
                };
                Some(Point {
                    values,
                    objective,
                    pv_cost: result.pv_cost,
                    unmet_gpu_hours: result.unmet_gpu_hours,
                    serves_demand: model::serves_demand(result),
                })
            },
        )
        .flatten()
        .collect()
}

/// `input` with only its option `option` (the baseline then): the input of a point whose
/// objective is that option's own.
fn single_option(input: &Input, option: usize) -> Input {
    let mut alone = input.clone();
    alone.options = input.options.get(option).cloned().into_iter().collect();
    alone.baseline = 0;
    alone
}

/// The sweep of the evaluated `points`, with its best point.
fn finish(plan: &Plan, points: Vec<Point>) -> Sweep {
    let option = plan.axes.first().map(|a| a.option).unwrap_or(0);
    // With a price for unserved work every point is ranked, its unserved work in its cost.
    let best = model::cheapest(
        points
            .iter()
            .map(|p| (p.serves_demand || plan.priced, p.objective)),
    )
    .map(|(i, _)| i)
    .unwrap_or(0);
    Sweep {
        option,
        axes: plan.axes.clone(),
        objective: plan.objective,
        samples: plan.samples,
        points,
        best,
        priced: plan.priced,
    }
}

/// An axis over the ways owned option `o` shares its GPUs (README SG2): `levels = ["none",
/// "mig", "time-slicing"]`, MIG with its accelerator's profiles, time-slicing at the option's
/// efficiency (0.9 without one).
fn sharing_axis(
    source: &Source,
    r: &Resolved,
    i: usize,
    p: &SweepParameter,
    o: usize,
) -> Result<Axis, InputError> {
    use crate::model::sharing::Sharing;
    let ids = level_ids(
        source,
        i,
        p,
        "a sharing sweep lists its levels",
        "`levels = [\"none\", \"mig\", \"time-slicing\"]`",
        "way of sharing",
    )?;
    let mig = r.input.options[o]
        .owned
        .as_ref()
        .and_then(|w| w.mig.as_ref());
    let efficiency = r.file.options[o].time_slicing_efficiency.unwrap_or(0.9);
    let mut levels = Vec::with_capacity(ids.len());
    for id in ids {
        let sharing = match id.as_str() {
            "none" => Sharing::None,
            "time-slicing" => Sharing::TimeSlicing { efficiency },
            "mig" => match mig {
                Some(m) => Sharing::Mig {
                    slices: m.slices,
                    profiles: std::sync::Arc::clone(&m.profiles),
                },
                None => {
                    return Err(error_at(
                        source,
                        &parameter_key(i, "levels"),
                        format!(
                            "the accelerator of option `{}` has no MIG profiles",
                            r.file.options[o].name
                        ),
                    )
                    .expected("`none` or `time-slicing`, or a server whose accelerator has `mig_profiles`")
                    .found("`mig`"));
                }
            },
            other => {
                // The ways of sharing are the model's own, not catalog ids.
                let mut e = unknown_level(
                    source,
                    i,
                    "way of sharing",
                    other,
                    ["none", "mig", "time-slicing"],
                );
                e.problem = format!("unknown sharing `{other}`");
                return Err(e.expected("`none`, `mig` or `time-slicing`"));
            }
        };
        levels.push(Level {
            sharing: Some(sharing),
            ..Level::named(id)
        });
    }
    Ok(Axis::of_levels(&p.path, o, Field::Sharing, levels))
}

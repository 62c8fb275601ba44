//! Policies (README "Policies"): thresholds on the figures a run reports, deterministic or Monte
//! Carlo, and on the verdict. A command checks them after writing its outputs; any broken policy
//! makes it exit with code 1.

use crate::error::{InputError, Seg, written};
use crate::model::Output;
use crate::montecarlo::engine::{METRICS, MonteCarlo};
use crate::scenario::{PolicySpec, Source, error_at};

/// Figures of one option a policy may bound in the deterministic run.
pub const OPTION_METRICS: [&str; 15] = [
    "pv_cost",
    "total_cost",
    "savings_vs_baseline",
    "cost_per_gpu_hour",
    "unmet_gpu_hours",
    "unmet_share",
    "served_after_wait_gpu_hours",
    "mean_wait_hours",
    "p95_wait_hours",
    "owned_utilization",
    "energy_kwh",
    "co2_t",
    "payback_month",
    "roi",
    "irr",
];

/// Monte Carlo odds of one option a policy may bound (they need `--samples`).
pub const ODDS: [&str; 3] = ["p_cheapest", "p_serves_demand", "p_beats_baseline"];

/// Statistics of a Monte Carlo metric (of [`METRICS`]) a policy may bound.
pub const STATISTICS: [&str; 6] = ["mean", "p5", "p10", "p50", "p90", "p95"];

/// What a policy checks.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// The verdict's winner is this option.
    Winner(usize),
    /// A figure of an option lies within the bounds.
    Bound {
        option: usize,
        figure: Figure,
        min: Option<f64>,
        max: Option<f64>,
    },
}

/// A figure a policy bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    /// An index into [`OPTION_METRICS`], from the deterministic run.
    Deterministic(usize),
    /// A statistic (index into [`STATISTICS`]) of a Monte Carlo metric (index into
    /// [`METRICS`]).
    MonteCarlo { metric: usize, statistic: usize },
    /// An index into [`ODDS`].
    Odds(usize),
}

impl Figure {
    /// Whether the figure is a Monte Carlo statistic or odds, which need samples.
    pub fn needs_samples(self) -> bool {
        !matches!(self, Figure::Deterministic(_))
    }
}

/// A policy as checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: String,
    pub message: Option<String>,
    pub check: Check,
}

/// How a policy came out.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub name: String,
    pub message: Option<String>,
    /// What it asks, in words: `pv_cost of hybrid at most 5,000,000`.
    pub requirement: String,
    /// The figure found, as text (`4,881,730`, `hybrid`, `none`).
    pub value: String,
    /// The figure found as a number, where it is one.
    pub number: Option<f64>,
    pub holds: bool,
}

/// Reads the policies of `specs` (from `source`, under the key `policy`) for a run whose options
/// are `options`. `samples` says whether the command runs Monte Carlo samples: a policy on a
/// Monte Carlo figure without them is refused.
pub fn resolve(
    source: &Source,
    specs: &[PolicySpec],
    options: &[&str],
    samples: bool,
) -> Result<Vec<Policy>, InputError> {
    let mut policies: Vec<Policy> = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let at = |key: &'static str| vec![Seg::Key("policy"), Seg::Index(i), Seg::Key(key)];
        let here = [Seg::Key("policy"), Seg::Index(i)];
        check_name(
            source,
            i,
            &spec.name,
            policies.iter().map(|p: &Policy| p.name.as_str()),
        )?;
        let option_index = |key: &'static str, name: &str| -> Result<usize, InputError> {
            options.iter().position(|o| *o == name).ok_or_else(|| {
                error_at(source, &at(key), format!("unknown option `{name}`"))
                    .expected(format!("one of {}", quoted(options)))
                    .found(format!("`{name}`"))
                    .hint_nearest("the nearest options are", name, options.iter().copied())
            })
        };
        let check = match (&spec.winner, &spec.metric) {
            (Some(winner), None) => {
                let extra = crate::error::given_keys(&[
                    ("`option`", spec.option.is_some()),
                    ("`min`", spec.min.is_some()),
                    ("`max`", spec.max.is_some()),
                ]);
                if !extra.is_empty() {
                    return Err(error_at(
                        source,
                        &here,
                        "a `winner` policy takes no `option`, `min` or `max`",
                    )
                    .expected("`winner = \"NAME\"` alone, or `metric` with `option` and bounds")
                    .found(format!("`winner` with {}", crate::limits::listed(&extra))));
                }
                if spec.statistic.is_some() {
                    return Err(error_at(
                        source,
                        &at("statistic"),
                        "a `winner` policy takes no `statistic`",
                    )
                    .expected("`winner = \"NAME\"` alone")
                    .found("a statistic"));
                }
                Check::Winner(option_index("winner", winner)?)
            }
            (None, Some(metric)) => {
                let Some(name) = &spec.option else {
                    return Err(error_at(source, &here, "a metric policy needs an `option`")
                        .expected(format!("`option` = one of {}", quoted(options)))
                        .found("no `option`"));
                };
                let option = option_index("option", name)?;
                let figure = figure(source, &at, metric, spec.statistic.as_deref())?;
                if figure.needs_samples() && !samples {
                    return Err(error_at(
                        source,
                        &at("metric"),
                        format!("policy `{}` bounds a Monte Carlo figure", spec.name),
                    )
                    .expected("Monte Carlo samples (`--samples N`; for `sweep`, `objective = \"p90_pv_cost\"` with `samples` in `[sweep]`)")
                    .found("a run without samples"));
                }
                check_bounds(source, i, spec.min, spec.max)?;
                Check::Bound {
                    option,
                    figure,
                    // A bound typed as −0 is 0 in the outcome's text.
                    min: spec.min.map(|v| v + 0.0),
                    max: spec.max.map(|v| v + 0.0),
                }
            }
            (Some(_), Some(_)) => {
                return Err(error_at(
                    source,
                    &here,
                    "a policy checks either the `winner` or a `metric`",
                )
                .expected("one of `winner` and `metric`")
                .found("both"));
            }
            (None, None) => {
                return Err(error_at(source, &here, "a policy needs something to check")
                    .expected("`winner = \"NAME\"`, or `metric` with `option` and `max` or `min`")
                    .found("neither `winner` nor `metric`"));
            }
        };
        policies.push(Policy {
            name: spec.name.clone(),
            message: spec.message.clone(),
            check,
        });
    }
    Ok(policies)
}

/// Each of the policy `files`, read as a source with its parsed `[[policy]]` tables, in order.
pub fn read_files(
    files: &[std::path::PathBuf],
) -> Result<Vec<(Source, crate::scenario::PolicyFile)>, InputError> {
    let mut out = Vec::with_capacity(files.len());
    for path in files {
        let display = crate::limits::printable(&path.display().to_string());
        let text = crate::limits::read_text(
            path,
            &display,
            "policy file",
            crate::limits::MAX_SCENARIO_BYTES,
        )?;
        let source = Source {
            display,
            text,
            base_dir: None,
        };
        if let Some(e) = crate::scenario::policy_file_mistakes(&source)
            .into_iter()
            .next()
        {
            return Err(e);
        }
        let file = crate::error::parse_toml(&source.display, &source.text)?;
        out.push((source, file));
    }
    Ok(out)
}

/// The error of entry `i` of `[[policy]]` of `source`, named `name` like a policy already read
/// from the file `first` (another policy file or the scenario; `across` says which files).
pub fn duplicate_across(
    source: &Source,
    i: usize,
    name: &str,
    first: &str,
    across: &str,
) -> InputError {
    let at = [Seg::Key("policy"), Seg::Index(i), Seg::Key("name")];
    error_at(source, &at, format!("duplicate policy `{name}`"))
        .expected(format!(
            "a name of its own for every policy, across {across}"
        ))
        .found(format!("`{name}` already defined in `{first}`"))
}

/// Checks entry `i` of `[[policy]]` of `source` for a name, one not used by `earlier`.
pub fn check_name<'a>(
    source: &Source,
    i: usize,
    name: &str,
    mut earlier: impl Iterator<Item = &'a str>,
) -> Result<(), InputError> {
    let at = [Seg::Key("policy"), Seg::Index(i), Seg::Key("name")];
    if name.trim().is_empty() {
        return Err(error_at(source, &at, "a policy needs a name")
            .expected("a name that says what the policy protects")
            .found("an empty name"));
    }
    if earlier.any(|e| e == name) {
        return Err(error_at(source, &at, format!("duplicate policy `{name}`"))
            .expected("a name of its own for every policy")
            .found(format!("`{name}` twice")));
    }
    Ok(())
}

/// Checks the bounds of the metric policy of entry `i` of `[[policy]]`: at least one, each
/// finite, `min` not above `max`.
pub fn check_bounds(
    source: &Source,
    i: usize,
    min: Option<f64>,
    max: Option<f64>,
) -> Result<(), InputError> {
    let at = |key: &'static str| [Seg::Key("policy"), Seg::Index(i), Seg::Key(key)];
    if min.is_none() && max.is_none() {
        return Err(error_at(
            source,
            &[Seg::Key("policy"), Seg::Index(i)],
            "a metric policy needs a bound",
        )
        .expected("`max`, `min` or both")
        .found("neither"));
    }
    for (key, bound) in [("min", min), ("max", max)] {
        if let Some(b) = bound
            && !b.is_finite()
        {
            return Err(error_at(source, &at(key), "a bound must be a number")
                .expected("a finite number")
                .found(written(b)));
        }
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        return Err(error_at(source, &at("min"), "`min` is above `max`")
            .expected(format!("at most {}", written(hi)))
            .found(written(lo)));
    }
    Ok(())
}

/// `names` quoted and separated by commas, for messages.
pub(crate) fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The figure named by `metric` (and `statistic`, for a Monte Carlo metric).
fn figure(
    source: &Source,
    at: &dyn Fn(&'static str) -> Vec<Seg>,
    metric: &str,
    statistic: Option<&str>,
) -> Result<Figure, InputError> {
    let all: Vec<&str> = OPTION_METRICS.iter().chain(ODDS.iter()).copied().collect();
    if let Some(s) = statistic {
        let Some(m) = METRICS.iter().position(|x| *x == metric) else {
            return Err(error_at(
                source,
                &at("metric"),
                format!("no Monte Carlo statistics of `{metric}`"),
            )
            .expected(format!("with `statistic`, one of {}", quoted(&METRICS)))
            .found(format!("`{metric}`"))
            .hint_nearest("the nearest are", metric, METRICS.iter().copied()));
        };
        let Some(k) = STATISTICS.iter().position(|x| *x == s) else {
            return Err(
                error_at(source, &at("statistic"), format!("unknown statistic `{s}`"))
                    .expected(format!("one of {}", quoted(&STATISTICS)))
                    .found(format!("`{s}`"))
                    .hint_nearest("the nearest are", s, STATISTICS.iter().copied()),
            );
        };
        return Ok(Figure::MonteCarlo {
            metric: m,
            statistic: k,
        });
    }
    if let Some(k) = OPTION_METRICS.iter().position(|x| *x == metric) {
        return Ok(Figure::Deterministic(k));
    }
    if let Some(k) = ODDS.iter().position(|x| *x == metric) {
        return Ok(Figure::Odds(k));
    }
    Err(
        error_at(source, &at("metric"), format!("unknown metric `{metric}`"))
            .expected(format!("one of {}", quoted(&all)))
            .found(format!("`{metric}`"))
            .hint_nearest("the nearest metrics are", metric, all.iter().copied()),
    )
}

/// Checks `policies` against a run's deterministic `output` and its Monte Carlo `mc`, in order.
pub fn evaluate(policies: &[Policy], output: &Output, mc: Option<&MonteCarlo>) -> Vec<Outcome> {
    policies
        .iter()
        .map(|p| {
            let (requirement, value, number, holds) = match &p.check {
                Check::Winner(o) => {
                    let want = &output.options[*o].name;
                    // Without a price for unserved work, no option wins unless one serves its
                    // demand (README F3a).
                    let v = &output.verdict;
                    let decided = v.winner.filter(|_| v.any_serves || v.priced);
                    let winner = decided.map(|w| output.options[w].name.clone());
                    let holds = decided == Some(*o);
                    (
                        format!("the winner is `{want}`"),
                        winner.unwrap_or_else(|| "none (no option serves demand)".into()),
                        None,
                        holds,
                    )
                }
                Check::Bound {
                    option,
                    figure,
                    min,
                    max,
                } => {
                    let name = &output.options[*option].name;
                    let label = figure_label(*figure);
                    let found = value(output, mc, *option, *figure);
                    let requirement = match (min, max) {
                        (Some(lo), Some(hi)) => format!(
                            "{label} of `{name}` from {} to {}",
                            written(*lo),
                            written(*hi)
                        ),
                        (Some(lo), None) => {
                            format!("{label} of `{name}` at least {}", written(*lo))
                        }
                        (None, Some(hi)) => format!("{label} of `{name}` at most {}", written(*hi)),
                        (None, None) => format!("{label} of `{name}`"),
                    };
                    let holds = found.is_some_and(|v| {
                        min.is_none_or(|lo| v >= lo) && max.is_none_or(|hi| v <= hi)
                    });
                    let text = found.map_or_else(
                        || "none".to_string(),
                        |v| shown(v, [*min, *max].into_iter().flatten()),
                    );
                    (requirement, text, found, holds)
                }
            };
            Outcome {
                name: p.name.clone(),
                message: p.message.clone(),
                requirement,
                value,
                number,
                holds,
            }
        })
        .collect()
}

/// Whether any of `policies` bounds a Monte Carlo figure.
pub fn need_samples(policies: &[Policy]) -> bool {
    policies.iter().any(|p| match p.check {
        Check::Bound { figure, .. } => figure.needs_samples(),
        Check::Winner(_) => false,
    })
}

/// Checks `policies` against the best point of sweep `s` of `input` (README "Policies"): the
/// whole scenario run with the swept parameters at that point's values, and, when a policy
/// bounds a Monte Carlo figure, that point's own samples (the sweep's count and `seed`, so
/// that its P90 of PV cost is the point's objective). Stops with [`Cancelled`] once `cancel`
/// is set.
pub fn evaluate_at_sweep_best(
    policies: &[Policy],
    input: &crate::model::Input,
    s: &crate::montecarlo::sweep::Sweep,
    uncertainty: &crate::montecarlo::uncertain::Uncertainty,
    seed: u64,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<Vec<Outcome>, crate::montecarlo::engine::Cancelled> {
    if policies.is_empty() {
        return Ok(Vec::new());
    }
    let at_best = s.best_input(input);
    let output = crate::model::simulate(&at_best);
    let mc = if need_samples(policies) && s.samples > 0 {
        Some(crate::montecarlo::engine::run_cancellable(
            &at_best,
            uncertainty,
            s.samples,
            seed,
            crate::montecarlo::engine::FanChart::Skip,
            &|_| {},
            cancel,
        )?)
    } else {
        None
    };
    Ok(evaluate(policies, &output, mc.as_ref()))
}

/// A figure's name as policies and their results write it: `pv_cost`, `p90 of pv_cost`.
fn figure_label(f: Figure) -> String {
    match f {
        Figure::Deterministic(k) => OPTION_METRICS[k].to_string(),
        Figure::MonteCarlo { metric, statistic } => {
            format!("{} of {}", STATISTICS[statistic], METRICS[metric])
        }
        Figure::Odds(k) => ODDS[k].to_string(),
    }
}

/// A value as policy results show it: six significant digits, in exponent form when very large
/// or small, and more where six would round it onto a bound or across it (a PV of 7,132,803.5
/// against `max = 7132803` shows as 7132803.5, not 7132800), so that what is shown breaks or
/// holds its bounds as the value does.
pub fn shown(v: f64, bounds: impl Iterator<Item = f64> + Clone) -> String {
    let text = crate::error::number(v);
    let misleads = |text: &str| {
        let back: f64 = text.parse().unwrap_or(v);
        back != v
            && bounds
                .clone()
                .any(|b| back == b || (back < b) != (v < b) || (back > b) != (v > b))
    };
    if !misleads(&text) || !v.is_finite() {
        return text;
    }
    // One significant digit more at a time, up to the 17 that give `v` back exactly.
    (6..=16)
        .map(|d| {
            let rounded: f64 = format!("{v:.d$e}").parse().unwrap_or(v);
            if rounded != 0.0 && !(1e-4..1e15).contains(&rounded.abs()) {
                format!("{rounded:e}")
            } else {
                format!("{rounded}")
            }
        })
        .find(|text| !misleads(text))
        .unwrap_or_else(|| format!("{v}"))
}

/// The figure `f` of option `o`, or `None` where it does not exist (no IRR, no wait, no
/// savings between options that are not comparable).
fn value(output: &Output, mc: Option<&MonteCarlo>, o: usize, f: Figure) -> Option<f64> {
    let r = &output.options[o];
    match f {
        Figure::Deterministic(k) => match OPTION_METRICS[k] {
            "pv_cost" => Some(r.pv_cost),
            "total_cost" => Some(r.total_cost),
            "savings_vs_baseline" => r.savings_vs_baseline,
            "cost_per_gpu_hour" => r.cost_per_gpu_hour,
            "unmet_gpu_hours" => Some(r.unmet_gpu_hours),
            "unmet_share" => Some(r.unmet_share()),
            "served_after_wait_gpu_hours" => Some(r.served_after_wait_gpu_hours),
            "mean_wait_hours" => r.mean_wait_hours,
            "p95_wait_hours" => r.p95_wait_hours,
            "owned_utilization" => r.owned_utilization,
            "energy_kwh" => Some(r.energy_kwh),
            "co2_t" => Some(r.co2_t),
            "payback_month" => r.payback_month.map(|m| m as f64),
            "roi" => r.roi,
            "irr" => r.irr.map(|i| i.annual),
            _ => None,
        },
        Figure::MonteCarlo { metric, statistic } => {
            let stats = mc?.options.get(o)?.metrics[metric]?;
            Some(match statistic {
                0 => stats.mean,
                k => stats.quantiles[k - 1],
            })
        }
        Figure::Odds(k) => {
            let s = mc?.options.get(o)?;
            Some(match k {
                0 => s.p_cheapest,
                1 => s.p_serves_demand,
                _ => s.p_beats_baseline,
            })
        }
    }
    .filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn a_value_shows_on_the_side_of_its_bounds_it_is_on() {
        let none = std::iter::empty::<f64>;
        assert_eq!(shown(7_132_803.5, none()), "7132800");
        // Six digits would show 7132800, below `max = 7132803`, for a value that breaks it:
        // seven show it above.
        assert_eq!(shown(7_132_803.5, [7_132_803.0].into_iter()), "7132804");
        // Six digits would show 7132800, the bound itself, for a value above a `min` of it.
        assert_eq!(shown(7_132_800.25, [7_132_800.0].into_iter()), "7132800.2");
        // Far from the bounds, six digits.
        assert_eq!(shown(7_132_803.5, [1e9, 0.0].into_iter()), "7132800");
        // Exponent form stays for large values, with the digits that settle the bound.
        assert_eq!(
            shown(1.23456789e20, [1.23457e20].into_iter()),
            "1.234568e20"
        );
        assert_eq!(shown(0.5, [0.5].into_iter()), "0.5");
    }
}

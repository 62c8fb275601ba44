//! Policies on a replay's figures (README "Trace replay", "Policies on a replay"): the
//! `[[policy]]` tables of policy files, each bounding one figure of the replay summary with
//! `min` and/or `max`. They are read with the same file format and the same checks as the
//! policies of `run` and `report`; only the figures differ, and a replay has no options, so
//! `option`, `winner` and `statistic` are refused.

use super::stats::{PolicyResult, Summary};
use crate::error::{InputError, Seg, written};
use crate::scenario::{PolicyFile, Source, error_at};
use std::path::PathBuf;

/// Figures of a replay a policy may bound, named as in the JSON summary. Waits and completion
/// times are those of the class `all`.
pub const REPLAY_METRICS: [&str; 19] = [
    "mean_wait_s",
    "median_wait_s",
    "p90_wait_s",
    "p99_wait_s",
    "mean_completion_s",
    "median_completion_s",
    "p90_completion_s",
    "p99_completion_s",
    "utilisation",
    "mean_queue_jobs",
    "max_queue_jobs",
    "peak_busy_gpus",
    "owned_gpu_hours",
    "cloud_gpu_hours",
    "cloud_cost_usd",
    "burst_jobs",
    "unmet_jobs",
    "unmet_gpu_hours",
    "never_fit_jobs",
];

/// A replay policy as checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayPolicy {
    pub name: String,
    pub message: Option<String>,
    /// Index into [`REPLAY_METRICS`].
    pub metric: usize,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Reads the `[[policy]]` tables of `files`, in order; any that cannot be checked on a replay is
/// bad input naming its file, line and key.
pub fn read(files: &[PathBuf]) -> Result<Vec<ReplayPolicy>, InputError> {
    let mut all: Vec<ReplayPolicy> = Vec::new();
    // The file each policy was read from, to name the first of two with one name.
    let mut origins: Vec<String> = Vec::new();
    for (source, file) in crate::policy::read_files(files)? {
        for (i, p) in resolve(&source, &file)?.into_iter().enumerate() {
            if let Some(k) = all.iter().position(|q| q.name == p.name) {
                return Err(crate::policy::duplicate_across(
                    &source,
                    i,
                    &p.name,
                    &origins[k],
                    "the policy files",
                ));
            }
            all.push(p);
            origins.push(source.display.clone());
        }
    }
    Ok(all)
}

/// The policies of one file.
pub fn resolve(source: &Source, file: &PolicyFile) -> Result<Vec<ReplayPolicy>, InputError> {
    let mut out: Vec<ReplayPolicy> = Vec::with_capacity(file.policy.len());
    for (i, spec) in file.policy.iter().enumerate() {
        let at = |key: &'static str| vec![Seg::Key("policy"), Seg::Index(i), Seg::Key(key)];
        let here = [Seg::Key("policy"), Seg::Index(i)];
        crate::policy::check_name(
            source,
            i,
            &spec.name,
            out.iter().map(|p: &ReplayPolicy| p.name.as_str()),
        )?;
        for (key, given) in [
            ("option", spec.option.is_some()),
            ("winner", spec.winner.is_some()),
            ("statistic", spec.statistic.is_some()),
        ] {
            if given {
                return Err(error_at(
                    source,
                    &at(key),
                    format!("a replay policy takes no `{key}`"),
                )
                .expected("`metric` (a figure of the replay) with `max`, `min` or both")
                .found(format!("`{key}`")));
            }
        }
        let Some(metric) = &spec.metric else {
            return Err(error_at(source, &here, "a replay policy needs a `metric`")
                .expected(format!(
                    "`metric` = one of {}",
                    crate::policy::quoted(&REPLAY_METRICS)
                ))
                .found("no `metric`"));
        };
        let Some(k) = REPLAY_METRICS.iter().position(|m| m == metric) else {
            return Err(error_at(
                source,
                &at("metric"),
                format!("unknown replay metric `{metric}`"),
            )
            .expected(format!("one of {}", crate::policy::quoted(&REPLAY_METRICS)))
            .found(format!("`{metric}`"))
            .hint_nearest(
                "the nearest metrics are",
                metric,
                REPLAY_METRICS.iter().copied(),
            ));
        };
        crate::policy::check_bounds(source, i, spec.min, spec.max)?;
        out.push(ReplayPolicy {
            name: spec.name.clone(),
            message: spec.message.clone(),
            metric: k,
            min: spec.min,
            max: spec.max,
        });
    }
    Ok(out)
}

/// The figure `metric` of summary `s`, where it exists and is finite.
pub fn value(s: &Summary, metric: &str) -> Option<f64> {
    let all = |list: &[super::stats::Spread]| list.iter().find(|x| x.class == "all").cloned();
    let wait = all(&s.wait);
    let completion = all(&s.completion);
    let v = match metric {
        "mean_wait_s" => wait?.mean_s?,
        "median_wait_s" => wait?.median_s? as f64,
        "p90_wait_s" => wait?.p90_s? as f64,
        "p99_wait_s" => wait?.p99_s? as f64,
        "mean_completion_s" => completion?.mean_s?,
        "median_completion_s" => completion?.median_s? as f64,
        "p90_completion_s" => completion?.p90_s? as f64,
        "p99_completion_s" => completion?.p99_s? as f64,
        "utilisation" => s.utilisation,
        "mean_queue_jobs" => s.mean_queue_jobs,
        "max_queue_jobs" => s.max_queue_jobs as f64,
        "peak_busy_gpus" => s.peak_busy_gpus as f64,
        "owned_gpu_hours" => s.owned_gpu_hours,
        "cloud_gpu_hours" => s.cloud_gpu_hours,
        "cloud_cost_usd" => s.cloud_cost_usd?,
        "burst_jobs" => s.burst_jobs as f64,
        "unmet_jobs" => s.unmet_jobs as f64,
        "unmet_gpu_hours" => s.unmet_gpu_hours,
        "never_fit_jobs" => s.never_fit_jobs as f64,
        _ => return None,
    };
    Some(v).filter(|v| v.is_finite())
}

/// Checks `policies` against summary `s`, in order. A figure the replay does not have (a cost
/// without `--offer`, a wait or completion time when no job was counted) breaks the policy.
pub fn evaluate(policies: &[ReplayPolicy], s: &Summary) -> Vec<PolicyResult> {
    policies
        .iter()
        .map(|p| {
            let metric = REPLAY_METRICS[p.metric];
            let found = value(s, metric);
            let requirement = match (p.min, p.max) {
                (Some(lo), Some(hi)) => {
                    format!("{metric} from {} to {}", written(lo), written(hi))
                }
                (Some(lo), None) => format!("{metric} at least {}", written(lo)),
                (None, Some(hi)) => format!("{metric} at most {}", written(hi)),
                (None, None) => metric.to_string(),
            };
            let holds = found
                .is_some_and(|v| p.min.is_none_or(|lo| v >= lo) && p.max.is_none_or(|hi| v <= hi));
            PolicyResult {
                name: p.name.clone(),
                metric: metric.to_string(),
                min: p.min,
                max: p.max,
                requirement,
                value: found,
                holds,
                message: p.message.clone(),
            }
        })
        .collect()
}

/// The same results as the commands' common policy outcomes, for the messages on stderr.
pub fn outcomes(results: &[PolicyResult]) -> Vec<crate::policy::Outcome> {
    results
        .iter()
        .map(|r| crate::policy::Outcome {
            name: r.name.clone(),
            message: r.message.clone(),
            requirement: r.requirement.clone(),
            value: r.value.map_or_else(
                || "none".to_string(),
                |v| crate::policy::shown(v, [r.min, r.max].into_iter().flatten()),
            ),
            number: r.value,
            holds: r.holds,
        })
        .collect()
}

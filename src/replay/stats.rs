//! The figures of a replay, from the jobs and the simulated outcome (README "Trace replay",
//! "Outputs").

use super::sim::{Config, Fate, Outcome};
use super::{Burst, Job, Policy};
use serde::Serialize;

/// Most buckets of the utilisation and queue series; longer traces get wider buckets.
pub const MAX_BUCKETS: i64 = 10_000;

/// The cloud offer that prices burst work.
#[derive(Debug, Clone, Serialize)]
pub struct Pricing {
    pub offer: String,
    /// On-demand price of the offer per GPU-hour: its instance price over its GPUs [USD/GPU·h].
    pub usd_per_gpu_hour: f64,
}

/// Waits or job-completion times of one GPU-count class [s]. A class without jobs has no mean
/// and no percentiles: they are `None` (`null` in JSON), never 0.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    /// `all`, `1`, `2-8`, `9-64` or `>64` GPUs.
    pub class: &'static str,
    pub jobs: usize,
    pub mean_s: Option<f64>,
    pub median_s: Option<i64>,
    pub p90_s: Option<i64>,
    pub p99_s: Option<i64>,
}

/// One bucket of the series over time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// Start of the bucket, seconds after the first submit [s].
    pub from_s: i64,
    /// Owned GPUs busy over the bucket, as a share of all owned GPUs.
    pub utilisation: f64,
    /// Jobs waiting, averaged over the bucket.
    pub mean_queue_jobs: f64,
    /// Most jobs waiting at any instant of the bucket.
    pub max_queue_jobs: u64,
}

/// Warm-up and cool-down left out of the figures (README "Trace replay", "Trimming").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Trim {
    /// Seconds after the first submit before the window opens [s].
    pub start_s: i64,
    /// Seconds before the last submit at which the window closes [s]; `None` keeps the window
    /// open to the last event and counts jobs up to the last submit.
    pub end_s: Option<i64>,
}

impl Trim {
    pub fn is_off(&self) -> bool {
        self.start_s == 0 && self.end_s.is_none()
    }
}

/// A trim that leaves no time to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyWindow {
    /// From the first submit to the last submit [s].
    pub submit_span_s: i64,
    /// From the first submit to the last event [s].
    pub event_span_s: i64,
}

/// The waits of one GPU-count class, sorted, for the wait-time CDF.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassWaits {
    pub class: &'static str,
    pub sorted_s: Vec<i64>,
}

/// A policy on a replay figure, as checked (README "Trace replay", "Policies on a replay").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyResult {
    pub name: String,
    /// The replay figure bounded, as named in JSON (`p90_wait_s`, `utilisation`, ...).
    pub metric: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// What the policy asks, in words.
    pub requirement: String,
    /// The figure found; `None` where the replay has none (a cost without `--offer`, a wait or
    /// completion time when no job was counted).
    pub value: Option<f64>,
    pub holds: bool,
    pub message: Option<String>,
}

/// Everything a replay reports.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub trace: String,
    pub nodes: u32,
    pub gpus_per_node: u32,
    pub owned_gpus: u64,
    pub policy: &'static str,
    pub burst: String,
    pub as_recorded: bool,
    pub jobs: usize,
    pub owned_jobs: usize,
    pub burst_jobs: usize,
    pub unmet_jobs: usize,
    pub never_fit_jobs: usize,
    pub cpu_only_jobs_left_out: usize,
    pub bad_rows_skipped: usize,
    pub demand_gpu_hours: f64,
    pub owned_gpu_hours: f64,
    pub cloud_gpu_hours: f64,
    pub unmet_gpu_hours: f64,
    pub cloud_offer: Option<Pricing>,
    pub cloud_cost_usd: Option<f64>,
    /// Owned GPU-seconds busy, exactly [GPU·s].
    pub busy_gpu_seconds: u64,
    /// From the first submit to the last event [s].
    pub span_s: i64,
    /// Busy GPU-seconds over owned GPUs × span.
    pub utilisation: f64,
    pub peak_busy_gpus: u64,
    pub mean_queue_jobs: f64,
    pub max_queue_jobs: usize,
    pub wait: Vec<Spread>,
    pub completion: Vec<Spread>,
    pub bucket_s: i64,
    pub series: Vec<Bucket>,
    pub events: u64,
    /// `--trim-start` [s] (0 without it).
    pub trim_start_s: i64,
    /// `--trim-end` [s], if given.
    pub trim_end_s: Option<i64>,
    /// The window the figures cover, seconds after the first submit [s].
    pub window_start_s: i64,
    pub window_end_s: i64,
    /// Policies checked (`--policy-file`); empty without them.
    pub policies: Vec<PolicyResult>,
    /// The waits of the jobs counted, per GPU-count class, sorted (for the charts).
    #[serde(skip)]
    pub waits_sorted: Vec<ClassWaits>,
}

/// What the summary needs besides the jobs and their outcome.
pub struct Context<'a> {
    pub trace: &'a str,
    pub config: &'a Config,
    pub pricing: Option<Pricing>,
    pub cpu_only_jobs: usize,
    pub bad_rows: usize,
}

pub fn policy_name(p: Policy) -> &'static str {
    match p {
        Policy::Fifo => "fifo",
        Policy::FifoSkip => "fifo-skip",
        Policy::EasyBackfill => "easy-backfill",
        Policy::Sjf => "sjf",
    }
}

pub fn burst_name(b: Burst) -> String {
    match b {
        Burst::Never => "never".to_string(),
        Burst::After(0) => "immediate".to_string(),
        Burst::After(s) if s % 86_400 == 0 => format!("after={}d", s / 86_400),
        Burst::After(s) if s % 3_600 == 0 => format!("after={}h", s / 3_600),
        Burst::After(s) if s % 60 == 0 => format!("after={}m", s / 60),
        Burst::After(s) => format!("after={s}s"),
        Burst::MaxQueue(n) => format!("max-queue={n}"),
    }
}

const CLASSES: [(&str, u32, u32); 5] = [
    ("all", 1, u32::MAX),
    ("1", 1, 1),
    ("2-8", 2, 8),
    ("9-64", 9, 64),
    (">64", 65, u32::MAX),
];

/// The value at or below which `p` percent of the sorted values lie (nearest rank); `None` for
/// no values.
pub fn nearest_rank(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn spread(class: &'static str, values: &[i64]) -> Spread {
    let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
    Spread {
        class,
        jobs: values.len(),
        mean_s: (!values.is_empty()).then(|| sum as f64 / values.len() as f64),
        median_s: nearest_rank(values, 50.0),
        p90_s: nearest_rank(values, 90.0),
        p99_s: nearest_rank(values, 99.0),
    }
}

/// A job's GPU-seconds, exactly [GPU·s].
fn gpu_seconds(job: &Job) -> u128 {
    u128::from(job.gpus) * job.duration_s.max(0) as u128
}

fn hours(gpu_s: u128) -> f64 {
    gpu_s as f64 / 3_600.0
}

/// Summarises a replay of `jobs` whose outcome is `outcome`, over the whole run.
pub fn summarise(jobs: &[Job], outcome: &Outcome, cx: Context) -> Summary {
    let whole = (
        outcome.start_s,
        outcome.end_s.max(outcome.start_s),
        i64::MAX,
    );
    summarise_in(jobs, outcome, cx, Trim::default(), whole)
}

/// The window `trim` leaves, in trace times: `(from, to, last counted submit)`.
pub fn window(jobs: &[Job], outcome: &Outcome, trim: Trim) -> Result<(i64, i64, i64), EmptyWindow> {
    let first = outcome.start_s;
    let last_submit = jobs.iter().map(|j| j.submit_s).max().unwrap_or(first);
    if trim.is_off() {
        return Ok((first, outcome.end_s.max(first), i64::MAX));
    }
    let from = first.saturating_add(trim.start_s.max(0));
    let (to, last_counted) = match trim.end_s {
        Some(e) => {
            let t = last_submit.saturating_sub(e.max(0));
            (t, t)
        }
        None => (outcome.end_s, i64::MAX),
    };
    if to <= from {
        return Err(EmptyWindow {
            submit_span_s: (last_submit - first).max(0),
            event_span_s: (outcome.end_s - first).max(0),
        });
    }
    Ok((from, to, last_counted))
}

/// Summarises a replay of `jobs` whose outcome is `outcome` over the window `trim` leaves: the
/// jobs submitted in it, and the integrals over time clipped to it (README "Trimming").
pub fn summarise_within(
    jobs: &[Job],
    outcome: &Outcome,
    cx: Context,
    trim: Trim,
) -> Result<Summary, EmptyWindow> {
    let window = window(jobs, outcome, trim)?;
    Ok(summarise_in(jobs, outcome, cx, trim, window))
}

/// The summary over `(from, to, last counted submit)`, the window of `trim`.
fn summarise_in(
    jobs: &[Job],
    outcome: &Outcome,
    cx: Context,
    trim: Trim,
    (from, to, last_counted): (i64, i64, i64),
) -> Summary {
    let cluster = cx.config.cluster;
    let counted = |j: &Job| trim.is_off() || (from..=last_counted).contains(&j.submit_s);
    let mut waits: Vec<Vec<i64>> = vec![Vec::new(); CLASSES.len()];
    let mut completions: Vec<Vec<i64>> = vec![Vec::new(); CLASSES.len()];
    let (mut owned, mut cloud, mut unmet, mut never_fit, mut counted_jobs) = (0, 0, 0, 0, 0);
    let (mut owned_gpu_s, mut cloud_gpu_s, mut unmet_gpu_s, mut demand_gpu_s) =
        (0u128, 0u128, 0u128, 0u128);
    for (job, fate) in jobs.iter().zip(&outcome.fates) {
        if !counted(job) {
            continue;
        }
        counted_jobs += 1;
        if !cluster.fits(job.gpus) {
            never_fit += 1;
        }
        demand_gpu_s += gpu_seconds(job);
        let began = match *fate {
            Fate::Owned(t) => {
                owned += 1;
                owned_gpu_s += gpu_seconds(job);
                t
            }
            Fate::Cloud(t) => {
                cloud += 1;
                cloud_gpu_s += gpu_seconds(job);
                t
            }
            Fate::Unmet => {
                unmet += 1;
                unmet_gpu_s += gpu_seconds(job);
                continue;
            }
        };
        let wait = began - job.submit_s;
        for (k, &(_, lo, hi)) in CLASSES.iter().enumerate() {
            if (lo..=hi).contains(&job.gpus) {
                waits[k].push(wait);
                completions[k].push(wait.saturating_add(job.duration_s));
            }
        }
    }
    let span = (to - from).max(0);
    let capacity = u128::from(cluster.gpus()) * span as u128;
    let share = |num: u128, den: u128| {
        if den == 0 {
            0.0
        } else {
            num as f64 / den as f64
        }
    };
    let queue = queue_steps(outcome);
    let (busy_gpu_s, queued_job_s, max_queue, peak_busy) = if trim.is_off() {
        (
            outcome.busy_gpu_s,
            outcome.queued_job_s,
            outcome.max_queue as u64,
            outcome.peak_busy_gpus,
        )
    } else {
        (
            clipped_integral(&outcome.busy_series, from, to),
            clipped_integral(&queue, from, to),
            most_within(&queue, from, to),
            most_within(&outcome.busy_series, from, to),
        )
    };
    let bucket_s = 3_600 * ((span / 3_600) / MAX_BUCKETS + 1);
    let cost = cx
        .pricing
        .as_ref()
        .map(|p| hours(cloud_gpu_s) * p.usd_per_gpu_hour);
    let waits_sorted: Vec<ClassWaits> = CLASSES
        .iter()
        .zip(waits)
        .map(|(c, mut v)| {
            v.sort_unstable();
            ClassWaits {
                class: c.0,
                sorted_s: v,
            }
        })
        .collect();
    Summary {
        trace: cx.trace.to_string(),
        nodes: cluster.nodes,
        gpus_per_node: cluster.gpus_per_node,
        owned_gpus: cluster.gpus(),
        policy: policy_name(cx.config.policy),
        burst: burst_name(cx.config.burst),
        as_recorded: cx.config.as_recorded,
        jobs: counted_jobs,
        owned_jobs: owned,
        burst_jobs: cloud,
        unmet_jobs: unmet,
        never_fit_jobs: if trim.is_off() {
            outcome.never_fit
        } else if cx.config.as_recorded {
            0
        } else {
            never_fit
        },
        cpu_only_jobs_left_out: cx.cpu_only_jobs,
        bad_rows_skipped: cx.bad_rows,
        demand_gpu_hours: hours(demand_gpu_s),
        owned_gpu_hours: hours(owned_gpu_s),
        cloud_gpu_hours: hours(cloud_gpu_s),
        unmet_gpu_hours: hours(unmet_gpu_s),
        cloud_offer: cx.pricing,
        cloud_cost_usd: cost,
        busy_gpu_seconds: u64::try_from(busy_gpu_s).unwrap_or(u64::MAX),
        span_s: span,
        utilisation: share(busy_gpu_s, capacity),
        peak_busy_gpus: peak_busy,
        mean_queue_jobs: share(queued_job_s, span as u128),
        max_queue_jobs: usize::try_from(max_queue).unwrap_or(usize::MAX),
        wait: waits_sorted
            .iter()
            .map(|c| spread(c.class, &c.sorted_s))
            .collect(),
        completion: CLASSES
            .iter()
            .zip(completions)
            .map(|(c, mut v)| {
                v.sort_unstable();
                spread(c.0, &v)
            })
            .collect(),
        bucket_s,
        series: series(outcome, cluster.gpus(), from, to, bucket_s),
        events: outcome.events,
        trim_start_s: trim.start_s,
        trim_end_s: trim.end_s,
        window_start_s: from - outcome.start_s,
        window_end_s: to - outcome.start_s,
        policies: Vec::new(),
        waits_sorted,
    }
}

/// The queue length as a step function of `u64` values.
fn queue_steps(outcome: &Outcome) -> Vec<(i64, u64)> {
    outcome
        .queue_series
        .iter()
        .map(|&(t, v)| (t, u64::from(v)))
        .collect()
}

/// The exact integral of a step function (value after each change, 0 before the first) over
/// `[from, to)`.
pub fn clipped_integral(steps: &[(i64, u64)], from: i64, to: i64) -> u128 {
    let mut out = [0u128];
    let len = (to - from).max(1);
    integrate(steps, from, to, len, &mut out);
    out[0]
}

/// The largest value a step function takes at any instant of `[from, to)`: the value in force
/// at `from` and every value it changes to before `to`.
pub fn most_within(steps: &[(i64, u64)], from: i64, to: i64) -> u64 {
    let first_after = steps.partition_point(|&(t, _)| t <= from);
    let at_start = first_after.checked_sub(1).map_or(0, |k| steps[k].1);
    steps[first_after..]
        .iter()
        .take_while(|&&(t, _)| t < to)
        .map(|&(_, v)| v)
        .fold(at_start, u64::max)
}

/// Per bucket of `bucket_s` seconds from `from` to `to` (the last one shorter if it must): the
/// exact integrals of busy GPUs and waiting jobs over the bucket divided by its length (and by
/// the owned GPUs), and the most jobs waiting at any instant of it. `from_s` counts from the
/// first submit.
pub fn series(outcome: &Outcome, gpus: u64, from: i64, to: i64, bucket_s: i64) -> Vec<Bucket> {
    let span = (to - from).max(0);
    let bucket_s = bucket_s.max(1);
    let n = (span + bucket_s - 1) / bucket_s;
    let mut busy = vec![0u128; n as usize];
    let mut queued = vec![0u128; n as usize];
    let queue = queue_steps(outcome);
    integrate(&outcome.busy_series, from, to, bucket_s, &mut busy);
    integrate(&queue, from, to, bucket_s, &mut queued);
    (0..n)
        .map(|k| {
            let start = from + k * bucket_s;
            let end = to.min(start + bucket_s);
            let len = (end - start).max(1) as f64;
            Bucket {
                from_s: start - outcome.start_s,
                utilisation: if gpus == 0 {
                    0.0
                } else {
                    busy[k as usize] as f64 / (len * gpus as f64)
                },
                mean_queue_jobs: queued[k as usize] as f64 / len,
                max_queue_jobs: most_within(&queue, start, end),
            }
        })
        .collect()
}

/// Bucket widths of the charts over time [s]: a minute, 5 and 15 minutes, an hour, 6 hours, a
/// day, then whole days.
const CHART_BUCKETS: [i64; 6] = [60, 300, 900, 3_600, 21_600, 86_400];

/// Most buckets a chart over time shows.
pub const MAX_CHART_BUCKETS: i64 = 400;

/// The width of the buckets of the charts over a window of `span_s` seconds: the smallest of
/// [`CHART_BUCKETS`] that gives at most [`MAX_CHART_BUCKETS`], else the fewest whole days that do.
pub fn chart_bucket_s(span_s: i64) -> i64 {
    let span = span_s.max(0);
    CHART_BUCKETS
        .iter()
        .copied()
        .find(|b| (span + b - 1) / b <= MAX_CHART_BUCKETS)
        .unwrap_or_else(|| {
            let days = (span + 86_399) / 86_400;
            86_400 * ((days + MAX_CHART_BUCKETS - 1) / MAX_CHART_BUCKETS).max(1)
        })
}

/// Adds the integral of a step function (value after each change) to the buckets it spans.
fn integrate(series: &[(i64, u64)], t0: i64, end: i64, bucket_s: i64, out: &mut [u128]) {
    for (k, &(from, value)) in series.iter().enumerate() {
        let to = series.get(k + 1).map_or(end, |next| next.0).min(end);
        let mut t = from.max(t0);
        while t < to && value > 0 {
            let b = ((t - t0) / bucket_s) as usize;
            let bucket_end = t0 + (b as i64 + 1) * bucket_s;
            let step = to.min(bucket_end) - t;
            if let Some(slot) = out.get_mut(b) {
                *slot += u128::from(value) * step as u128;
            }
            t += step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&v, 50.0), Some(5));
        assert_eq!(nearest_rank(&v, 90.0), Some(9));
        assert_eq!(nearest_rank(&v, 99.0), Some(10));
        assert_eq!(nearest_rank(&[7], 1.0), Some(7));
        assert_eq!(nearest_rank(&[], 50.0), None);
    }

    #[test]
    fn a_spread_of_no_values_has_no_figures() {
        let empty = spread(">64", &[]);
        assert_eq!(empty.jobs, 0);
        assert_eq!(
            (empty.mean_s, empty.median_s, empty.p90_s, empty.p99_s),
            (None, None, None, None)
        );
        // 1, 2, 3, 10: mean 16 / 4; nearest ranks ⌈2⌉ = 2, ⌈3.6⌉ = 4, ⌈3.96⌉ = 4.
        let some = spread("all", &[1, 2, 3, 10]);
        assert_eq!(
            (some.mean_s, some.median_s, some.p90_s, some.p99_s),
            (Some(4.0), Some(2), Some(10), Some(10))
        );
    }

    #[test]
    fn buckets_split_steps_at_their_edges() {
        let mut out = vec![0u128; 3];
        // 2 from 0 to 5000 s, 0 after: 3600 × 2 in the first hour, 1400 × 2 in the second.
        integrate(&[(0, 2), (5_000, 0)], 0, 9_000, 3_600, &mut out);
        assert_eq!(out, [7_200, 2_800, 0]);
    }

    #[test]
    fn clipped_integrals_and_maxima_of_steps() {
        let steps = [(10, 3), (20, 1), (30, 0)];
        // 3 × (20 − 15) + 1 × (25 − 20).
        assert_eq!(clipped_integral(&steps, 15, 25), 20);
        assert_eq!(clipped_integral(&steps, 0, 100), 40);
        assert_eq!(clipped_integral(&steps, 30, 100), 0);
        // In force at 15: 3; at 20 the value changes to 1; 30 is outside [20, 30).
        assert_eq!(most_within(&steps, 15, 25), 3);
        assert_eq!(most_within(&steps, 20, 30), 1);
        assert_eq!(most_within(&steps, 0, 10), 0);
        assert_eq!(most_within(&steps, 0, 11), 3);
    }

    #[test]
    fn chart_buckets_are_the_smallest_width_with_at_most_400() {
        assert_eq!(chart_bucket_s(0), 60);
        assert_eq!(chart_bucket_s(400 * 60), 60);
        assert_eq!(chart_bucket_s(400 * 60 + 1), 300);
        assert_eq!(chart_bucket_s(400 * 3_600), 3_600);
        assert_eq!(chart_bucket_s(400 * 86_400), 86_400);
        assert_eq!(chart_bucket_s(400 * 86_400 + 1), 2 * 86_400);
    }

    /// Over the whole run, the integrals and maxima of the series are the simulator's own.
    #[test]
    fn series_over_the_whole_run_match_the_simulators_totals() {
        use crate::replay::{Burst, Cluster, Config, Policy};
        let jobs: Vec<Job> = (0..300)
            .map(|k| {
                Job::new(
                    k * 37 % 5_000 + k * 11,
                    None,
                    60 + (k * 97) % 4_000,
                    1 + (k % 9) as u32,
                )
            })
            .collect();
        for policy in [Policy::Fifo, Policy::EasyBackfill] {
            let config = Config {
                cluster: Cluster {
                    nodes: 2,
                    gpus_per_node: 8,
                },
                policy,
                burst: Burst::Never,
                as_recorded: false,
            };
            let o = crate::replay::sim::simulate(&jobs, &config);
            let q = queue_steps(&o);
            assert_eq!(
                clipped_integral(&o.busy_series, o.start_s, o.end_s),
                o.busy_gpu_s
            );
            assert_eq!(clipped_integral(&q, o.start_s, o.end_s), o.queued_job_s);
            assert_eq!(most_within(&q, o.start_s, o.end_s), o.max_queue as u64);
            assert_eq!(
                most_within(&o.busy_series, o.start_s, o.end_s),
                o.peak_busy_gpus
            );
        }
    }
}

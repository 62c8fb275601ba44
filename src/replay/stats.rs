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

/// Waits or job-completion times of one GPU-count class [s].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    /// `all`, `1`, `2-8`, `9-64` or `>64` GPUs.
    pub class: &'static str,
    pub jobs: usize,
    pub mean_s: f64,
    pub median_s: i64,
    pub p90_s: i64,
    pub p99_s: i64,
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

/// The value at or below which `p` percent of the sorted values lie (nearest rank).
pub fn nearest_rank(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn spread(class: &'static str, mut values: Vec<i64>) -> Spread {
    values.sort_unstable();
    let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
    Spread {
        class,
        jobs: values.len(),
        mean_s: if values.is_empty() {
            0.0
        } else {
            sum as f64 / values.len() as f64
        },
        median_s: nearest_rank(&values, 50.0),
        p90_s: nearest_rank(&values, 90.0),
        p99_s: nearest_rank(&values, 99.0),
    }
}

/// A job's GPU-seconds, exactly [GPU·s].
fn gpu_seconds(job: &Job) -> u128 {
    u128::from(job.gpus) * job.duration_s.max(0) as u128
}

fn hours(gpu_s: u128) -> f64 {
    gpu_s as f64 / 3_600.0
}

/// Summarises a replay of `jobs` whose outcome is `outcome`.
pub fn summarise(jobs: &[Job], outcome: &Outcome, cx: Context) -> Summary {
    let cluster = cx.config.cluster;
    let mut waits: Vec<Vec<i64>> = vec![Vec::new(); CLASSES.len()];
    let mut completions: Vec<Vec<i64>> = vec![Vec::new(); CLASSES.len()];
    let (mut owned, mut cloud, mut unmet) = (0, 0, 0);
    let (mut owned_gpu_s, mut cloud_gpu_s, mut unmet_gpu_s, mut demand_gpu_s) =
        (0u128, 0u128, 0u128, 0u128);
    for (job, fate) in jobs.iter().zip(&outcome.fates) {
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
    let span = (outcome.end_s - outcome.start_s).max(0);
    let capacity = u128::from(cluster.gpus()) * span as u128;
    let share = |num: u128, den: u128| {
        if den == 0 {
            0.0
        } else {
            num as f64 / den as f64
        }
    };
    let bucket_s = 3_600 * ((span / 3_600) / MAX_BUCKETS + 1);
    let cost = cx
        .pricing
        .as_ref()
        .map(|p| hours(cloud_gpu_s) * p.usd_per_gpu_hour);
    Summary {
        trace: cx.trace.to_string(),
        nodes: cluster.nodes,
        gpus_per_node: cluster.gpus_per_node,
        owned_gpus: cluster.gpus(),
        policy: policy_name(cx.config.policy),
        burst: burst_name(cx.config.burst),
        as_recorded: cx.config.as_recorded,
        jobs: jobs.len(),
        owned_jobs: owned,
        burst_jobs: cloud,
        unmet_jobs: unmet,
        never_fit_jobs: outcome.never_fit,
        cpu_only_jobs_left_out: cx.cpu_only_jobs,
        bad_rows_skipped: cx.bad_rows,
        demand_gpu_hours: hours(demand_gpu_s),
        owned_gpu_hours: hours(owned_gpu_s),
        cloud_gpu_hours: hours(cloud_gpu_s),
        unmet_gpu_hours: hours(unmet_gpu_s),
        cloud_offer: cx.pricing,
        cloud_cost_usd: cost,
        busy_gpu_seconds: u64::try_from(outcome.busy_gpu_s).unwrap_or(u64::MAX),
        span_s: span,
        utilisation: share(outcome.busy_gpu_s, capacity),
        peak_busy_gpus: outcome.peak_busy_gpus,
        mean_queue_jobs: share(outcome.queued_job_s, span as u128),
        max_queue_jobs: outcome.max_queue,
        wait: CLASSES
            .iter()
            .zip(waits)
            .map(|(c, v)| spread(c.0, v))
            .collect(),
        completion: CLASSES
            .iter()
            .zip(completions)
            .map(|(c, v)| spread(c.0, v))
            .collect(),
        bucket_s,
        series: buckets(outcome, cluster.gpus(), bucket_s),
        events: outcome.events,
    }
}

/// Per bucket of `bucket_s` seconds from the first submit: the exact integrals of busy GPUs
/// and waiting jobs over the bucket, divided by its length (and by the owned GPUs).
fn buckets(outcome: &Outcome, gpus: u64, bucket_s: i64) -> Vec<Bucket> {
    let t0 = outcome.start_s;
    let span = (outcome.end_s - t0).max(0);
    let n = (span + bucket_s - 1) / bucket_s;
    let mut busy = vec![0u128; n as usize];
    let mut queue = vec![0u128; n as usize];
    integrate(&outcome.busy_series, t0, outcome.end_s, bucket_s, &mut busy);
    let queue_series: Vec<(i64, u64)> = outcome
        .queue_series
        .iter()
        .map(|&(t, v)| (t, u64::from(v)))
        .collect();
    integrate(&queue_series, t0, outcome.end_s, bucket_s, &mut queue);
    (0..n)
        .map(|k| {
            let from = t0 + k * bucket_s;
            let len = (outcome.end_s.min(from + bucket_s) - from).max(1) as f64;
            Bucket {
                from_s: k * bucket_s,
                utilisation: if gpus == 0 {
                    0.0
                } else {
                    busy[k as usize] as f64 / (len * gpus as f64)
                },
                mean_queue_jobs: queue[k as usize] as f64 / len,
            }
        })
        .collect()
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
        assert_eq!(nearest_rank(&v, 50.0), 5);
        assert_eq!(nearest_rank(&v, 90.0), 9);
        assert_eq!(nearest_rank(&v, 99.0), 10);
        assert_eq!(nearest_rank(&[7], 1.0), 7);
        assert_eq!(nearest_rank(&[], 50.0), 0);
    }

    #[test]
    fn buckets_split_steps_at_their_edges() {
        let mut out = vec![0u128; 3];
        // 2 from 0 to 5000 s, 0 after: 3600 × 2 in the first hour, 1400 × 2 in the second.
        integrate(&[(0, 2), (5_000, 0)], 0, 9_000, 3_600, &mut out);
        assert_eq!(out, [7_200, 2_800, 0]);
    }
}

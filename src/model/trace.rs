//! Workloads given as GPU job traces (README "Trace workloads", T1–T6).
//!
//! A trace workload's jobs are laid over the horizon (repeated, and closer together as the
//! demand grows), replayed job by job on the owned cluster of each option by the trace-replay
//! simulator, and turned into what the monthly model needs: the owned capacity the jobs take in
//! each hour (the load profiles get the rest), the cloud GPU-hours of jobs that went to the
//! cloud, hour by hour, and the month's demand, unmet work and waits. Pure: plain numbers in,
//! plain numbers out.

use super::input::{Input, Kind, OptionIn};
use super::queue::wait_bucket;
use crate::replay::sim::{self, Cluster, Config, Fate};
use crate::replay::{Burst, Job};
use crate::timeline::HOURS_PER_MONTH;

/// Seconds in an hour of the model.
const HOUR_S: f64 = 3600.0;
/// Seconds in a year of the model (8,760 hours).
const YEAR_S: f64 = 8760.0 * HOUR_S;

/// Most jobs the trace workloads of a scenario may lay over its horizon, all copies counted
/// (README "Limits"): about 170 bytes each while an option is replayed.
pub const MAX_TRACE_JOBS: u64 = 5_000_000;

/// A workload given as a job trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceIn {
    /// The trace file as the scenario names it.
    pub source: String,
    /// The jobs in submit order, submit times counted from the first job's [s], durations as
    /// recorded on the trace's GPU.
    pub jobs: Vec<Job>,
    /// The trace repeats after this long [s] (T1).
    pub period_s: f64,
    /// Throughput of the GPU the durations were recorded on, in reference GPUs.
    pub rel_throughput: f64,
    /// Longest wait of a job for owned GPUs [s].
    pub max_wait_s: i64,
}

impl TraceIn {
    /// Reference GPU-hours of one pass of the trace (T3).
    pub fn ref_gpu_hours(&self) -> f64 {
        self.jobs.iter().map(|j| self.work(j)).sum()
    }

    /// Reference GPU-hours of one job (T3).
    fn work(&self, job: &Job) -> f64 {
        f64::from(job.gpus) * job.duration_s as f64 / HOUR_S * self.rel_throughput
    }
}

/// Time on the horizon's clock of the trace's own time (T2): arrivals at `scale` times the
/// trace's rate, growing by `growth` a year.
#[derive(Debug, Clone, Copy)]
struct Warp {
    scale: f64,
    /// ln(1 + growth) per second.
    k: f64,
    end_s: f64,
}

impl Warp {
    fn new(input: &Input, growth_per_year: f64, horizon_months: usize) -> Warp {
        Warp {
            scale: input.demand_scale,
            k: ((1.0 + growth_per_year).ln() + (1.0 + input.demand_growth_per_year).ln()) / YEAR_S,
            end_s: (horizon_months * HOURS_PER_MONTH) as f64 * HOUR_S,
        }
    }

    /// The horizon time [s] of trace time `s`, or `None` when it is past the horizon (or never
    /// comes, for a demand that shrinks).
    fn at(&self, s: f64) -> Option<f64> {
        if self.scale <= 0.0 {
            return None;
        }
        let x = s / self.scale;
        let t = if self.k == 0.0 {
            x
        } else {
            let a = x * self.k;
            if a <= -1.0 {
                return None;
            }
            a.ln_1p() / self.k
        };
        (t.is_finite() && t < self.end_s).then_some(t)
    }
}

/// One job laid on the horizon.
#[derive(Debug, Clone, Copy)]
struct Laid {
    submit_s: i64,
    /// Index of the trace workload in the scenario.
    workload: u32,
    /// Index of the job in its trace.
    job: u32,
}

/// Calls `each` with every job of the trace workloads of `input` laid over the horizon (T1,
/// T2), workload by workload, each in submit order; stops early when `each` returns false.
fn lay(input: &Input, mut each: impl FnMut(Laid) -> bool) {
    let h = input.horizon_months;
    for (w, workload) in input.workloads.iter().enumerate() {
        if let Some(trace) = workload.trace.as_deref()
            && !lay_workload(input, w, trace, h, &mut each)
        {
            return;
        }
    }
}

/// The jobs of workload `w` (given as `trace`) laid over a horizon of `h` months, as [`lay`];
/// false when `each` stopped it.
fn lay_workload(
    input: &Input,
    w: usize,
    trace: &TraceIn,
    h: usize,
    each: &mut impl FnMut(Laid) -> bool,
) -> bool {
    if trace.jobs.is_empty() || trace.period_s <= 0.0 {
        return true;
    }
    let warp = Warp::new(input, input.workloads[w].growth_per_year, h);
    for copy in 0u64.. {
        let offset = copy as f64 * trace.period_s;
        for (j, job) in trace.jobs.iter().enumerate() {
            let Some(t) = warp.at(offset + job.submit_s as f64) else {
                return true;
            };
            let laid = Laid {
                submit_s: t.floor() as i64,
                workload: w as u32,
                job: j as u32,
            };
            if !each(laid) {
                return false;
            }
        }
    }
    true
}

/// Reference GPU-hours of the jobs of each workload of `input` that arrive in the horizon's
/// first month (T3, as [`TraceMonth::demand`] of month 0), indexed as the scenario's
/// workloads: 0 for a workload without a trace.
pub fn first_month_work(input: &Input) -> Vec<f64> {
    let mut work = vec![0.0; input.workloads.len()];
    let h = input.horizon_months;
    let month_end = (HOURS_PER_MONTH * 3600) as i64;
    for (w, workload) in input.workloads.iter().enumerate() {
        if let Some(trace) = workload.trace.as_deref() {
            lay_workload(input, w, trace, h, &mut |j| {
                // A one-month horizon counts every job in its month (as the replay does).
                let first = j.submit_s < month_end || h <= 1;
                if first {
                    work[w] += trace.work(&trace.jobs[j.job as usize]);
                }
                first
            });
        }
    }
    work
}

/// How many jobs the trace workloads of `input` lay over its horizon, in all (counted up to
/// `limit`: more than `limit` reads `limit + 1`) and by workload.
pub fn laid_jobs(input: &Input, limit: u64) -> (u64, Vec<u64>) {
    let mut n = 0u64;
    let mut by = vec![0u64; input.workloads.len()];
    lay(input, |j| {
        n += 1;
        by[j.workload as usize] += 1;
        n <= limit
    });
    (n, by)
}

/// One month of an option's trace workloads (T5).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceMonth {
    /// Reference GPU-hours of the jobs that arrived in the month.
    pub demand: f64,
    /// Served on owned GPUs in the month, whenever the jobs arrived.
    pub onprem: f64,
    /// Run in the cloud in the month.
    pub cloud: f64,
    /// Of the jobs that arrived in the month, never run.
    pub unmet: f64,
    pub unserved_cost: f64,
    /// Served on-prem in the month by jobs that had waited an hour or more.
    pub after_wait: f64,
    /// Σ served on-prem in the month × the job's wait [GPU-hour-hours].
    pub wait_sum: f64,
    /// Served on-prem in the month by the job's wait, rounded up to whole hours, in the
    /// buckets of [`wait_bucket`].
    pub waits: Vec<f64>,
    /// By workload (indexed as the scenario's workloads): `[on-prem, cloud, unmet, price of
    /// unmet]` of the month, for showback; empty for workloads without a trace.
    pub by_workload: Vec<[f64; 4]>,
}

/// What an option's trace workloads do over the horizon.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceRun {
    pub months: Vec<TraceMonth>,
    /// Owned capacity taken in each hour of the horizon [reference GPU-hours] (T4); empty
    /// without owned GPUs.
    pub used: Vec<f64>,
    /// Cloud load in each hour of the horizon [reference GPU-hours].
    pub cloud: Vec<f64>,
    /// Jobs laid over the horizon.
    pub jobs: usize,
}

/// Replays the trace workloads of `input` for `option` (T3–T5).
pub fn replay(input: &Input, option: &OptionIn) -> TraceRun {
    let h = input.horizon_months;
    let hours = h * HOURS_PER_MONTH;
    let mut laid: Vec<Laid> = Vec::new();
    lay(input, |j| {
        laid.push(j);
        true
    });
    // One stream in order of arrival; ties in scenario order, then trace order.
    laid.sort_by_key(|j| j.submit_s);
    let blank = TraceMonth {
        by_workload: vec![[0.0; 4]; input.workloads.len()],
        ..TraceMonth::default()
    };
    let mut run = TraceRun {
        months: vec![blank; h],
        used: Vec::new(),
        cloud: vec![0.0; hours],
        jobs: laid.len(),
    };
    let trace_of = |j: &Laid| {
        input.workloads[j.workload as usize]
            .trace
            .as_deref()
            .expect("laid jobs come from trace workloads")
    };
    // Cloud work by hour, in total and by trace workload: each job in constant time, however
    // long it runs (a cloud runs every job at once).
    let mut cloud = Spreader::new(hours);
    let mut cloud_by: Vec<Option<Spreader>> = input
        .workloads
        .iter()
        .map(|w| w.trace.as_ref().map(|_| Spreader::new(hours)))
        .collect();
    for j in &laid {
        let trace = trace_of(j);
        let work = trace.work(&trace.jobs[j.job as usize]);
        let month = (j.submit_s.max(0) as usize / 3600 / HOURS_PER_MONTH).min(h.saturating_sub(1));
        run.months[month].demand += work;
    }
    let owned = option
        .owned
        .as_ref()
        .filter(|o| o.servers > 0 && o.gpus_per_server > 0 && o.rel_throughput > 0.0)
        .filter(|o| o.availability > 0.0);
    let may_burst = option.kind == Kind::Hybrid || option.kind == Kind::Cloud;
    let cloud_rel = option
        .cloud
        .as_ref()
        .map(|c| c.rel_throughput)
        .filter(|r| *r > 0.0);
    // A job that leaves the queue (or never had owned GPUs to wait for) runs in the cloud from
    // `at` if it may, else is work not done. One that would leave only after the horizon runs
    // in the cloud from its arrival, as work that would wait too long does in Q5: left to its
    // time, it would be neither served nor costed within the horizon.
    let end_s = hours as f64 * HOUR_S;
    let mut leave = |run: &mut TraceRun, j: &Laid, at: i64| {
        let w = &input.workloads[j.workload as usize];
        let trace = trace_of(j);
        let job = &trace.jobs[j.job as usize];
        let work = trace.work(job);
        match cloud_rel.filter(|_| may_burst && !w.sensitive) {
            Some(rel) => {
                let duration = job.duration_s as f64 * trace.rel_throughput / rel;
                let start = if at as f64 >= end_s { j.submit_s } else { at } as f64;
                cloud.add(start, start + duration, work);
                if let Some(by) = cloud_by[j.workload as usize].as_mut() {
                    by.add(start, start + duration, work);
                }
            }
            None => {
                let month =
                    (j.submit_s.max(0) as usize / 3600 / HOURS_PER_MONTH).min(h.saturating_sub(1));
                let m = &mut run.months[month];
                let price = work * w.unserved_cost_per_gpu_hour.unwrap_or(0.0);
                m.unmet += work;
                m.unserved_cost += price;
                let by = &mut m.by_workload[j.workload as usize];
                by[2] += work;
                by[3] += price;
            }
        }
    };
    let owned = owned.filter(|_| option.kind != Kind::Cloud);
    if owned.is_none() {
        for j in &laid {
            leave(&mut run, j, j.submit_s);
        }
    }
    if let Some(o) = owned {
        replay_owned(o, &laid, &trace_of, &mut run, &mut leave);
    }
    // The cloud's hours, and their sums by month.
    run.cloud = cloud.finish();
    for (m, month) in run.months.iter_mut().enumerate() {
        month.cloud = run.cloud[m * HOURS_PER_MONTH..(m + 1) * HOURS_PER_MONTH]
            .iter()
            .sum();
    }
    for (w, by) in cloud_by.into_iter().enumerate() {
        let Some(by) = by else { continue };
        let series = by.finish();
        for (m, month) in run.months.iter_mut().enumerate() {
            month.by_workload[w][1] = series[m * HOURS_PER_MONTH..(m + 1) * HOURS_PER_MONTH]
                .iter()
                .sum();
        }
    }
    run
}

/// The replay of the laid jobs on the owned servers `o` (T3, T4) into `run`; jobs that leave
/// the queue go to `leave`.
fn replay_owned<'a>(
    o: &super::input::OwnedIn,
    laid: &[Laid],
    trace_of: &impl Fn(&Laid) -> &'a TraceIn,
    run: &mut TraceRun,
    leave: &mut impl FnMut(&mut TraceRun, &Laid, i64),
) {
    let hours = run.cloud.len();
    let end_s = hours as f64 * HOUR_S;
    run.used = vec![0.0; hours];
    // On the owned GPU, a job runs for its recorded time × rel(trace) / (rel(owned) ×
    // availability), to the second (at least one).
    let speed = o.rel_throughput * o.availability;
    let jobs: Vec<Job> = laid
        .iter()
        .map(|j| {
            let trace = trace_of(j);
            let job = &trace.jobs[j.job as usize];
            let seconds = job.duration_s as f64 * trace.rel_throughput / speed;
            Job {
                line: job.line,
                submit_s: j.submit_s,
                start_s: None,
                duration_s: (seconds.round().clamp(1.0, 1e15)) as i64,
                gpus: job.gpus,
            }
        })
        .collect();
    let limits: Vec<i64> = laid.iter().map(|j| trace_of(j).max_wait_s).collect();
    let config = Config {
        cluster: Cluster {
            nodes: o.servers,
            gpus_per_node: o.gpus_per_server,
        },
        policy: o.scheduler,
        burst: Burst::Never,
        as_recorded: false,
    };
    let outcome = sim::simulate_with_limits(&jobs, &config, &limits);
    for ((j, job), fate) in laid.iter().zip(&jobs).zip(&outcome.fates) {
        match *fate {
            Fate::Owned(start) => {
                let trace = trace_of(j);
                let work = trace.work(&trace.jobs[j.job as usize]);
                let wait_s = (start - j.submit_s).max(0);
                let wait_h = wait_s as f64 / HOUR_S;
                let bucket =
                    wait_bucket(u32::try_from((wait_s as u64).div_ceil(3600)).unwrap_or(u32::MAX));
                let (used, months) = (&mut run.used, &mut run.months);
                let mut per_hour = |hour: usize, x: f64| {
                    used[hour] += x;
                    let m = &mut months[hour / HOURS_PER_MONTH];
                    m.onprem += x;
                    m.by_workload[j.workload as usize][0] += x;
                    m.wait_sum += x * wait_h;
                    if wait_s >= 3600 {
                        m.after_wait += x;
                    }
                    if m.waits.len() <= bucket {
                        m.waits.resize(bucket + 1, 0.0);
                    }
                    m.waits[bucket] += x;
                };
                let start = start as f64;
                spread(
                    start,
                    start + job.duration_s as f64,
                    work,
                    end_s,
                    &mut per_hour,
                );
            }
            Fate::Cloud(at) => leave(run, j, at),
            Fate::Unmet => leave(run, j, j.submit_s),
        }
    }
}

/// Amounts spread evenly over stretches of time, added into hours in constant time per stretch
/// (the whole hours in between through a difference array), for the hours of the horizon.
struct Spreader {
    /// Parts of first and last hours.
    point: Vec<f64>,
    /// Changes of the amount per whole hour, from each hour on.
    change: Vec<f64>,
}

impl Spreader {
    fn new(hours: usize) -> Spreader {
        Spreader {
            point: vec![0.0; hours],
            change: vec![0.0; hours + 1],
        }
    }

    /// Spreads `amount` evenly over the seconds `[from, to)`; what falls after the last hour is
    /// dropped (the final backlog, T5).
    fn add(&mut self, from: f64, to: f64, amount: f64) {
        let hours = self.point.len();
        let end_s = hours as f64 * HOUR_S;
        if amount <= 0.0 || from >= end_s || from < 0.0 {
            return;
        }
        let first = (from / HOUR_S) as usize;
        if to - from <= 0.0 {
            self.point[first] += amount;
            return;
        }
        let rate = amount / (to - from);
        let last_s = to.min(end_s);
        let last = ((last_s / HOUR_S) as usize).min(hours);
        if last == first {
            self.point[first] += rate * (last_s - from);
            return;
        }
        self.point[first] += rate * ((first + 1) as f64 * HOUR_S - from);
        if first + 1 < last {
            let full = rate * HOUR_S;
            self.change[first + 1] += full;
            self.change[last] -= full;
        }
        if last < hours {
            self.point[last] += rate * (last_s - last as f64 * HOUR_S);
        }
    }

    /// The amount in each hour.
    fn finish(self) -> Vec<f64> {
        let mut level = 0.0;
        self.point
            .iter()
            .zip(&self.change)
            .map(|(p, c)| {
                level += c;
                // Additions and subtractions of the same amounts leave rounding, never load.
                p + level.max(0.0)
            })
            .collect()
    }
}

/// The load of the trace workloads of `input` in each of the first `hours` hours of the horizon
/// if every job ran as it arrived on reference GPUs [reference GPU-hours]: the demand's own
/// shape, before any queue (README T3).
pub fn arrival_load(input: &Input, hours: usize) -> Vec<f64> {
    let mut load = Spreader::new(hours);
    let end_s = hours as f64 * HOUR_S;
    lay(input, |j| {
        let trace = input.workloads[j.workload as usize]
            .trace
            .as_deref()
            .expect("laid jobs come from trace workloads");
        let job = &trace.jobs[j.job as usize];
        let start = j.submit_s as f64;
        let seconds = job.duration_s as f64 * trace.rel_throughput;
        load.add(start, start + seconds, trace.work(job));
        start < end_s
    });
    load.finish()
}

/// Spreads `amount` evenly over the seconds `[from, to)` and hands each hour of the horizon
/// (before `end_s`) its part; what falls after `end_s` is dropped (the final backlog, T5).
fn spread(from: f64, to: f64, amount: f64, end_s: f64, each: &mut impl FnMut(usize, f64)) {
    if amount <= 0.0 || from >= end_s {
        return;
    }
    let length = to - from;
    if length <= 0.0 {
        each((from / HOUR_S) as usize, amount);
        return;
    }
    let rate = amount / length;
    let last = to.min(end_s);
    let mut hour = (from / HOUR_S).floor() as usize;
    let mut t = from;
    while t < last {
        let next = ((hour + 1) as f64 * HOUR_S).min(last);
        each(hour, rate * (next - t));
        t = next;
        hour += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_spread_over_the_hours_it_runs() {
        let mut parts = Vec::new();
        spread(1800.0, 9000.0, 2.0, 1e9, &mut |h, x| parts.push((h, x)));
        // 7,200 s: half an hour in hour 0, all of hour 1, half of hour 2.
        let expected = [(0, 0.5), (1, 1.0), (2, 0.5)];
        assert_eq!(parts.len(), 3);
        for ((h, x), (eh, ex)) in parts.iter().zip(expected) {
            assert_eq!(*h, eh);
            assert!((x - ex).abs() < 1e-12, "{x} vs {ex}");
        }
        let mut cut = 0.0;
        spread(0.0, 7200.0, 4.0, 3600.0, &mut |_, x| cut += x);
        assert!(
            (cut - 2.0).abs() < 1e-12,
            "only the hour inside the horizon: {cut}"
        );
    }

    #[test]
    fn the_spreader_puts_every_stretch_where_spreading_hour_by_hour_does() {
        // Stretches inside one hour, across several, from the last hour past the end, and
        // longer than the horizon.
        let stretches = [
            (100.0, 900.0, 1.0),
            (1800.0, 9000.0, 2.0),
            (3600.0, 7200.0, 3.0),
            (5000.0, 1e9, 4.0),
            (3.0 * 3600.0 + 5.0, 4.0 * 3600.0 + 5.0, 5.0),
            (0.0, 0.0, 6.0),
        ];
        let hours = 4;
        let mut fast = Spreader::new(hours);
        let mut slow = vec![0.0; hours];
        for (from, to, amount) in stretches {
            fast.add(from, to, amount);
            spread(from, to, amount, hours as f64 * HOUR_S, &mut |h, x| {
                slow[h] += x
            });
        }
        for (h, (a, b)) in fast.finish().iter().zip(&slow).enumerate() {
            assert!((a - b).abs() < 1e-12, "hour {h}: {a} vs {b}");
        }
    }

    #[test]
    fn the_warp_grows_the_arrival_rate_as_the_demand() {
        // Growth 21% a year, scale 2: Λ(t) = 2 ∫0^t 1.21^(x/Y) dx must give back s.
        let w = Warp {
            scale: 2.0,
            k: 1.21f64.ln() / YEAR_S,
            end_s: 1e12,
        };
        for s in [0.0, 1e5, 3e7, 2e8] {
            let t = w.at(s).expect("within the horizon");
            let back = 2.0 * YEAR_S / 1.21f64.ln() * ((1.21f64.ln() * t / YEAR_S).exp() - 1.0);
            assert!((back - s).abs() <= 1e-9 * s.max(1.0), "{back} vs {s}");
        }
        // A demand that shrinks 50% a year never reaches trace time past scale × Y / ln 2.
        let shrinking = Warp {
            scale: 1.0,
            k: 0.5f64.ln() / YEAR_S,
            end_s: 1e12,
        };
        assert!(shrinking.at(YEAR_S / 2f64.ln() * 1.01).is_none());
        assert!(shrinking.at(YEAR_S / 2f64.ln() * 0.99).is_some());
    }
}

//! The event-driven cluster simulator.
//!
//! Events are job arrivals (read in submit order from the sorted trace), finishes and burst
//! deadlines (on a binary heap), all at whole seconds. At each instant the simulator takes the
//! finishes, then the arrivals, then runs one scheduling pass, then fires the burst deadlines
//! due (a job that can start at the instant its deadline falls starts rather than bursts), and
//! schedules again if a deadline removed a job. Nothing advances in ticks: between two events
//! nothing changes, so the GPU-seconds and queue integrals are exact sums of products.

use super::Job;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

/// An owned cluster of identical nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cluster {
    pub nodes: u32,
    pub gpus_per_node: u32,
}

impl Cluster {
    /// All GPUs of the cluster.
    pub fn gpus(&self) -> u64 {
        u64::from(self.nodes) * u64::from(self.gpus_per_node)
    }

    /// Whole nodes a job of `gpus` GPUs occupies: one (shared, best fit) up to a node's GPUs,
    /// else as many whole nodes as it needs.
    fn nodes_for(&self, gpus: u32) -> u32 {
        gpus.div_ceil(self.gpus_per_node)
    }

    /// Whether a job of `gpus` GPUs can ever run on the cluster.
    pub fn fits(&self, gpus: u32) -> bool {
        u64::from(gpus) <= self.gpus()
    }
}

/// The order queued jobs start in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Policy {
    /// Strict first in, first out: a job that does not fit blocks every job behind it.
    Fifo,
    /// First in, first out, but later jobs that fit start past a blocked head.
    FifoSkip,
    /// EASY backfilling: the head gets a reservation from the recorded durations; later jobs
    /// start only if they do not delay it.
    EasyBackfill,
    /// Shortest (recorded) job first, passing jobs that do not fit: an oracle bound.
    Sjf,
}

/// When a queued job goes to the cloud instead of waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Burst {
    /// Never: every job waits for owned GPUs.
    Never,
    /// When it has waited this long [s]; 0 is "immediate": when it cannot start on arrival.
    After(i64),
    /// When more than this many jobs wait, those the policy would start last.
    MaxQueue(usize),
}

/// What to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub cluster: Cluster,
    pub policy: Policy,
    pub burst: Burst,
    /// Start every job at its recorded start (its submit time when none is recorded), without
    /// placement, queueing or burst.
    pub as_recorded: bool,
}

/// What became of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Ran on owned GPUs from this time [s].
    Owned(i64),
    /// Went to the cloud at this time [s] and ran there at once.
    Cloud(i64),
    /// Never ran: larger than the cluster and no burst rule.
    Unmet,
}

/// The simulated run.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The fate of each job, in the order of the jobs given.
    pub fates: Vec<Fate>,
    /// Jobs larger than the whole cluster (unmet, or burst at arrival under a burst rule).
    pub never_fit: usize,
    /// GPU-seconds of jobs running on owned GPUs, integrated exactly [GPU·s].
    pub busy_gpu_s: u128,
    /// Queue length integrated over time [job·s].
    pub queued_job_s: u128,
    /// From the first submit to the last finish on owned GPUs or submit [s].
    pub start_s: i64,
    pub end_s: i64,
    /// Most jobs waiting at once.
    pub max_queue: usize,
    /// Most owned GPUs busy at once (above the cluster's size only as recorded).
    pub peak_busy_gpus: u64,
    /// Queue length after each instant it changed: `(time [s], jobs)`.
    pub queue_series: Vec<(i64, u32)>,
    /// GPUs busy after each instant it changed: `(time [s], GPUs)`.
    pub busy_series: Vec<(i64, u64)>,
    /// Events handled (arrivals, finishes, deadlines), for speed figures.
    pub events: u64,
}

/// Replays `jobs` (any order; ties in submit time keep the given order) on `config`.
pub fn simulate(jobs: &[Job], config: &Config) -> Outcome {
    simulate_in_order(jobs, &submit_order(jobs), config)
}

/// Replays `jobs` on clusters of each number of nodes in `nodes` (the rest of `config` as
/// given), in parallel on all cores. The outcomes come in the order of `nodes`, each the same
/// as [`simulate`] gives for its size, whatever the number of threads.
pub fn simulate_sizes(jobs: &[Job], config: &Config, nodes: &[u32]) -> Vec<Outcome> {
    simulate_sizes_with(jobs, config, nodes, |outcome, _| outcome)
}

/// [`simulate_sizes`], handing each size's outcome with its configuration to `each` as soon as
/// it is simulated and keeping only what `each` returns, so that memory holds one outcome per
/// thread rather than one per size.
pub fn simulate_sizes_with<T: Send>(
    jobs: &[Job],
    config: &Config,
    nodes: &[u32],
    each: impl Fn(Outcome, &Config) -> T + Sync,
) -> Vec<T> {
    use rayon::prelude::*;
    let order = submit_order(jobs);
    nodes
        .par_iter()
        .map(|&n| {
            let config = Config {
                cluster: Cluster {
                    nodes: n,
                    ..config.cluster
                },
                ..*config
            };
            each(simulate_in_order(jobs, &order, &config), &config)
        })
        .collect()
}

/// Replays `jobs`, sorted by submit time, on `config` with a wait limit per job instead of
/// the burst rule: job `i` leaves the queue (fate [`Fate::Cloud`]) once it has waited
/// `max_wait_s[i]` seconds, and a job larger than the cluster leaves at once, except that a
/// job whose limit is `i64::MAX` waits as long as it takes (and is [`Fate::Unmet`] if it can
/// never fit). What leaving means (the cloud, or work not done) is the caller's to decide.
pub fn simulate_with_limits(jobs: &[Job], config: &Config, max_wait_s: &[i64]) -> Outcome {
    debug_assert!(jobs.windows(2).all(|w| w[0].submit_s <= w[1].submit_s));
    let order: Vec<usize> = (0..jobs.len()).collect();
    let mut sim = Sim::new(jobs, config);
    sim.limits = Some(max_wait_s);
    // Only the fates are read: no series of the queue and the busy GPUs over time.
    sim.busy.series = None;
    sim.queued.series = None;
    sim.run(&order);
    sim.finish()
}

/// Job indices by submit time, ties in the given order.
fn submit_order(jobs: &[Job]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| (jobs[i].submit_s, i));
    order
}

fn simulate_in_order(jobs: &[Job], order: &[usize], config: &Config) -> Outcome {
    if config.as_recorded {
        return as_recorded(jobs, order);
    }
    // The queue is ordered by job index, which must be the arrival order: a trace not sorted by
    // submit time is replayed sorted, and the fates put back in its order.
    if order.iter().enumerate().any(|(k, &i)| k != i) {
        let sorted: Vec<Job> = order.iter().map(|&i| jobs[i]).collect();
        let identity: Vec<usize> = (0..jobs.len()).collect();
        let mut outcome = simulate_in_order(&sorted, &identity, config);
        let mut fates = vec![Fate::Unmet; jobs.len()];
        for (k, &i) in order.iter().enumerate() {
            fates[i] = outcome.fates[k];
        }
        outcome.fates = fates;
        return outcome;
    }
    let mut sim = Sim::new(jobs, config);
    sim.run(order);
    sim.finish()
}

/// A series of values over time, integrated exactly as it changes.
struct Level {
    value: u64,
    since: i64,
    integral: u128,
    peak: u64,
    /// Every change, unless not wanted.
    series: Option<Vec<(i64, u64)>>,
}

impl Level {
    fn new(t: i64) -> Level {
        Level {
            value: 0,
            since: t,
            integral: 0,
            peak: 0,
            series: Some(Vec::new()),
        }
    }

    fn set(&mut self, t: i64, value: u64) {
        if value == self.value {
            return;
        }
        self.integral += u128::from(self.value) * (t - self.since).max(0) as u128;
        self.since = t;
        self.value = value;
        self.peak = self.peak.max(value);
        if let Some(series) = self.series.as_mut() {
            match series.last_mut() {
                Some(last) if last.0 == t => last.1 = value,
                _ => series.push((t, value)),
            }
        }
    }
}

/// Every job starts at its recorded start: waits are the recorded ones by construction.
fn as_recorded(jobs: &[Job], order: &[usize]) -> Outcome {
    // (time, kind, delta): finishes before starts before submits at one instant, so that a
    // job that starts as it is submitted never counts as queued.
    let mut changes: Vec<(i64, u8, i64, i64)> = Vec::with_capacity(jobs.len() * 3);
    let mut fates = vec![Fate::Unmet; jobs.len()];
    for &i in order {
        let job = &jobs[i];
        let start = job.start_s.unwrap_or(job.submit_s);
        fates[i] = Fate::Owned(start);
        changes.push((job.submit_s, 2, 0, 1));
        changes.push((start, 1, i64::from(job.gpus), -1));
        changes.push((start + job.duration_s, 0, -i64::from(job.gpus), 0));
    }
    changes.sort_unstable();
    let t0 = changes.first().map_or(0, |c| c.0);
    let mut busy = Level::new(t0);
    let mut queue = Level::new(t0);
    let (mut b, mut q) = (0i64, 0i64);
    for (k, &(t, _, db, dq)) in changes.iter().enumerate() {
        b += db;
        q += dq;
        if changes.get(k + 1).is_none_or(|next| next.0 != t) {
            busy.set(t, b.max(0) as u64);
            queue.set(t, q.max(0) as u64);
        }
    }
    let end = changes.last().map_or(0, |c| c.0);
    Outcome {
        fates,
        never_fit: 0,
        busy_gpu_s: busy.integral,
        queued_job_s: queue.integral,
        start_s: t0,
        end_s: end,
        max_queue: queue.peak as usize,
        peak_busy_gpus: busy.peak,
        queue_series: queue
            .series
            .unwrap_or_default()
            .iter()
            .map(|&(t, v)| (t, v as u32))
            .collect(),
        busy_series: busy.series.unwrap_or_default(),
        events: changes.len() as u64,
    }
}

/// GPUs taken on nodes: one node `(node, gpus)`, or whole nodes.
#[derive(Debug, Clone)]
enum Alloc {
    One(u32, u32),
    Whole(Vec<u32>),
}

/// Free GPUs per node, with the nodes grouped by their free count so that best fit (the node
/// with the fewest free GPUs that still fit) is a look at most `G` groups away.
struct Nodes {
    per_node: u32,
    free: Vec<u32>,
    by_free: Vec<Vec<u32>>,
    pos: Vec<usize>,
}

impl Nodes {
    fn new(cluster: Cluster) -> Nodes {
        let g = cluster.gpus_per_node as usize;
        let mut by_free = vec![Vec::new(); g + 1];
        by_free[g] = (0..cluster.nodes).rev().collect();
        let pos = (0..cluster.nodes as usize)
            .map(|n| cluster.nodes as usize - 1 - n)
            .collect();
        Nodes {
            per_node: cluster.gpus_per_node,
            free: vec![cluster.gpus_per_node; cluster.nodes as usize],
            by_free,
            pos,
        }
    }

    fn set_free(&mut self, node: u32, free: u32) {
        let n = node as usize;
        let old = self.free[n] as usize;
        let p = self.pos[n];
        self.by_free[old].swap_remove(p);
        if let Some(&moved) = self.by_free[old].get(p) {
            self.pos[moved as usize] = p;
        }
        self.pos[n] = self.by_free[free as usize].len();
        self.by_free[free as usize].push(node);
        self.free[n] = free;
    }

    /// Where a job of `gpus` GPUs would go now, if it fits.
    fn place(&self, gpus: u32) -> Option<Alloc> {
        if gpus <= self.per_node {
            let level =
                (gpus.max(1)..=self.per_node).find(|&f| !self.by_free[f as usize].is_empty())?;
            return self.by_free[level as usize]
                .last()
                .map(|&n| Alloc::One(n, gpus));
        }
        let k = gpus.div_ceil(self.per_node) as usize;
        let whole = &self.by_free[self.per_node as usize];
        (whole.len() >= k).then(|| Alloc::Whole(whole[whole.len() - k..].to_vec()))
    }

    fn take(&mut self, alloc: &Alloc) {
        match alloc {
            Alloc::One(n, g) => self.set_free(*n, self.free[*n as usize] - g),
            Alloc::Whole(nodes) => nodes.iter().for_each(|&n| self.set_free(n, 0)),
        }
    }

    fn give(&mut self, alloc: &Alloc) {
        match alloc {
            Alloc::One(n, g) => self.set_free(*n, self.free[*n as usize] + g),
            Alloc::Whole(nodes) => nodes.iter().for_each(|&n| self.set_free(n, self.per_node)),
        }
    }
}

/// Event kinds, in the order they are taken at one instant.
const FINISH: u8 = 0;
const DEADLINE: u8 = 2;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Queued,
    Running,
    Done,
}

struct Sim<'a> {
    jobs: &'a [Job],
    config: Config,
    nodes: Nodes,
    state: Vec<State>,
    fates: Vec<Fate>,
    /// Queued jobs by the policy's key, then index.
    queue: BTreeSet<(i64, usize)>,
    /// The same jobs by GPU count (not kept for strict FIFO, which only looks at the head).
    by_size: BTreeMap<u32, BTreeSet<(i64, usize)>>,
    /// Where each running job runs, by job.
    allocs: Vec<Option<Alloc>>,
    /// EASY only: running jobs by finish time, then index.
    running: BTreeSet<(i64, usize)>,
    /// EASY only: the queued jobs of each GPU count with their durations, for "the first job of
    /// this size that ends by the shadow time".
    classes: Option<Classes>,
    /// EASY only: the blocked head's reservation, kept while that job stays the head.
    reservation: Reservation,
    heap: BinaryHeap<Reverse<(i64, u8, usize)>>,
    busy: Level,
    queued: Level,
    busy_gpus: u64,
    never_fit: usize,
    events: u64,
    last_time: i64,
    /// Each job's longest wait [s] ([`simulate_with_limits`]), instead of `config.burst`.
    limits: Option<&'a [i64]>,
}

impl<'a> Sim<'a> {
    fn new(jobs: &'a [Job], config: &Config) -> Sim<'a> {
        let t0 = jobs.iter().map(|j| j.submit_s).min().unwrap_or(0);
        Sim {
            jobs,
            config: *config,
            nodes: Nodes::new(config.cluster),
            state: vec![State::Pending; jobs.len()],
            fates: vec![Fate::Unmet; jobs.len()],
            queue: BTreeSet::new(),
            by_size: BTreeMap::new(),
            allocs: vec![None; jobs.len()],
            running: BTreeSet::new(),
            classes: (config.policy == Policy::EasyBackfill).then(|| Classes::new(jobs)),
            reservation: Reservation::new(config.cluster),
            heap: BinaryHeap::new(),
            busy: Level::new(t0),
            queued: Level::new(t0),
            busy_gpus: 0,
            never_fit: 0,
            events: 0,
            last_time: t0,
            limits: None,
        }
    }

    fn key(&self, i: usize) -> i64 {
        match self.config.policy {
            Policy::Sjf => self.jobs[i].duration_s,
            _ => 0,
        }
    }

    fn run(&mut self, order: &[usize]) {
        let mut next = 0;
        loop {
            let arrival = order.get(next).map(|&i| self.jobs[i].submit_s);
            let event = self.heap.peek().map(|Reverse((t, _, _))| *t);
            let t = match (arrival, event) {
                (Some(a), Some(e)) => a.min(e),
                (Some(a), None) => a,
                (None, Some(e)) => e,
                (None, None) => break,
            };
            while let Some(&Reverse((et, kind, i))) = self.heap.peek() {
                if et != t || kind != FINISH {
                    break;
                }
                self.heap.pop();
                self.events += 1;
                self.finish_job(t, i);
            }
            while let Some(&i) = order.get(next) {
                if self.jobs[i].submit_s != t {
                    break;
                }
                next += 1;
                self.events += 1;
                self.arrive(t, i);
            }
            self.schedule(t);
            let mut burst_any = false;
            while let Some(&Reverse((et, kind, i))) = self.heap.peek() {
                if et != t || kind != DEADLINE {
                    break;
                }
                self.heap.pop();
                self.events += 1;
                if self.state[i] == State::Queued {
                    self.burst(t, i);
                    burst_any = true;
                }
            }
            if burst_any {
                self.schedule(t);
            }
            if let Burst::MaxQueue(limit) = self.config.burst {
                while self.queue.len() > limit {
                    if let Some(&(_, i)) = self.queue.last() {
                        self.burst(t, i);
                    }
                }
            }
            self.queued.set(t, self.queue.len() as u64);
        }
    }

    fn arrive(&mut self, t: i64, i: usize) {
        self.last_time = self.last_time.max(t);
        let job = self.jobs[i];
        if !self.config.cluster.fits(job.gpus) {
            self.never_fit += 1;
            self.state[i] = State::Done;
            let leaves = match self.limits {
                Some(limits) => limits.get(i).is_some_and(|l| *l != i64::MAX),
                None => self.config.burst != Burst::Never,
            };
            self.fates[i] = if leaves { Fate::Cloud(t) } else { Fate::Unmet };
            return;
        }
        self.state[i] = State::Queued;
        let key = (self.key(i), i);
        self.queue.insert(key);
        if self.config.policy != Policy::Fifo {
            self.by_size.entry(job.gpus).or_default().insert(key);
        }
        if let Some(classes) = self.classes.as_mut() {
            classes.set(i, job.duration_s);
        }
        let limit = match self.limits {
            Some(limits) => limits.get(i).copied().filter(|l| *l != i64::MAX),
            None => match self.config.burst {
                Burst::After(wait) => Some(wait),
                _ => None,
            },
        };
        if let Some(wait) = limit {
            self.heap
                .push(Reverse((t.saturating_add(wait), DEADLINE, i)));
        }
    }

    fn burst(&mut self, t: i64, i: usize) {
        self.last_time = self.last_time.max(t);
        self.dequeue(i);
        self.state[i] = State::Done;
        self.fates[i] = Fate::Cloud(t);
    }

    fn dequeue(&mut self, i: usize) {
        if self.reservation.active && self.reservation.head == i {
            self.reservation.clear();
        }
        if let Some(classes) = self.classes.as_mut() {
            classes.set(i, i64::MAX);
        }
        let key = (self.key(i), i);
        self.queue.remove(&key);
        let gpus = self.jobs[i].gpus;
        if let Some(waiting) = self.by_size.get_mut(&gpus) {
            waiting.remove(&key);
            if waiting.is_empty() {
                self.by_size.remove(&gpus);
            }
        }
    }

    fn start(&mut self, t: i64, i: usize, alloc: Alloc) {
        // EASY's promise: a head starts by the shadow time reserved when it became the head.
        debug_assert!(
            !self.reservation.active
                || i != self.reservation.head
                || t <= self.reservation.shadow_s
        );
        self.dequeue(i);
        if self.reservation.active {
            self.reservation.snapshot(&alloc, &self.nodes.free);
        }
        self.nodes.take(&alloc);
        let end = t.saturating_add(self.jobs[i].duration_s);
        if self.config.policy == Policy::EasyBackfill {
            self.running.insert((end, i));
        }
        self.allocs[i] = Some(alloc);
        self.heap.push(Reverse((end, FINISH, i)));
        self.state[i] = State::Running;
        self.fates[i] = Fate::Owned(t);
        self.busy_gpus += u64::from(self.jobs[i].gpus);
        self.busy.set(t, self.busy_gpus);
    }

    fn finish_job(&mut self, t: i64, i: usize) {
        self.last_time = self.last_time.max(t);
        self.running.remove(&(t, i));
        if let Some(alloc) = self.allocs[i].take() {
            if self.reservation.active {
                // Released in the projection already: the head's shadow time is not before
                // the current instant, and every job ending by it was released or started
                // after the reservation was made (and snapshotted then).
                debug_assert!(self.reservation.covers(&alloc));
                self.reservation.snapshot(&alloc, &self.nodes.free);
            }
            self.nodes.give(&alloc);
        }
        self.state[i] = State::Done;
        self.busy_gpus -= u64::from(self.jobs[i].gpus);
        self.busy.set(t, self.busy_gpus);
    }

    fn schedule(&mut self, t: i64) {
        match self.config.policy {
            Policy::Fifo => self.start_heads(t),
            Policy::FifoSkip | Policy::Sjf => self.start_any(t, false),
            Policy::EasyBackfill => {
                self.start_heads(t);
                // With every GPU taken no job can backfill, and the reservation is not needed.
                if self.nodes.by_free[1..].iter().all(Vec::is_empty) {
                    return;
                }
                if let Some(&(_, head)) = self.queue.first() {
                    if !self.reservation.active || self.reservation.head != head {
                        self.plan(head);
                    }
                    self.start_any(t, true);
                }
            }
        }
    }

    /// Starts jobs from the head of the queue until one does not fit.
    fn start_heads(&mut self, t: i64) {
        while let Some(&(_, i)) = self.queue.first() {
            match self.nodes.place(self.jobs[i].gpus) {
                Some(alloc) => self.start(t, i, alloc),
                None => break,
            }
        }
    }

    /// Starts every queued job that fits, in queue order; with `backfill`, only those that
    /// leave the head's reservation intact. A job passed over cannot start later in the same
    /// pass (starts only take GPUs away, and a reservation only loses room), so this is the
    /// same as taking, again and again, the first job in queue order that can start now; the
    /// queue is indexed by GPU count so that each round looks at the first job of each size
    /// that fits rather than at every waiting job, and under backfilling the jobs of a size
    /// sit in a tree of their durations, so that the first one that ends by the shadow time is
    /// found without a scan.
    fn start_any(&mut self, t: i64, backfill: bool) {
        loop {
            if self.nodes.by_free[1..].iter().all(Vec::is_empty) {
                break;
            }
            let mut best: Option<((i64, usize), Alloc)> = None;
            for (&size, waiting) in &self.by_size {
                let Some(alloc) = self.nodes.place(size) else {
                    continue;
                };
                let candidate = match self.classes.as_ref().filter(|_| backfill) {
                    None => waiting.first().copied(),
                    Some(classes) => {
                        let r = &self.reservation;
                        // A job that still runs at the shadow time must leave the head room;
                        // one that ends by it (by its recorded duration) always may start.
                        let max_duration_s =
                            if r.shadow_s == i64::MAX || r.admits(&alloc, &self.nodes.free) {
                                i64::MAX - 1
                            } else {
                                r.shadow_s - t
                            };
                        let (_, first) = *waiting.first().expect("sizes listed have jobs");
                        classes.first(first, r.head, max_duration_s).map(|i| (0, i))
                    }
                };
                if let Some(c) = candidate
                    && best.as_ref().is_none_or(|(b, _)| c < *b)
                {
                    best = Some((c, alloc));
                }
            }
            let Some(((_, i), alloc)) = best else { break };
            if backfill && t.saturating_add(self.jobs[i].duration_s) > self.reservation.shadow_s {
                self.reservation.take(&alloc, &self.nodes.free);
            }
            self.start(t, i, alloc);
        }
    }

    /// Makes the reservation of `head`, the blocked head of the queue: the earliest recorded
    /// finish after which it fits, and the free GPUs per node then. It stays right while
    /// `head` stays the head: finishes move GPUs from "released by the shadow time" to "free",
    /// a job backfilled to end by the shadow time gives its GPUs back by then, and one that
    /// runs past it is taken from the projection as it starts.
    fn plan(&mut self, head: usize) {
        let r = &mut self.reservation;
        r.clear();
        r.active = true;
        r.head = head;
        r.shadow_s = i64::MAX;
        r.gpus = self.jobs[head].gpus;
        r.needed = self.config.cluster.nodes_for(r.gpus) as usize;
        r.qualifying = (0..=self.nodes.per_node)
            .filter(|&f| r.qualifies(f))
            .map(|f| self.nodes.by_free[f as usize].len())
            .sum();
        // Every job finishing at the shadow time is released, as the simulator takes all
        // finishes of an instant before it schedules.
        for &(end, i) in &self.running {
            if end > r.shadow_s {
                break;
            }
            let Some(alloc) = &self.allocs[i] else {
                continue;
            };
            r.release(alloc, &self.nodes.free);
            if r.qualifying >= r.needed && r.shadow_s == i64::MAX {
                r.shadow_s = end;
            }
        }
    }

    fn finish(self) -> Outcome {
        let end = self.last_time;
        let mut busy = self.busy;
        let mut queued = self.queued;
        busy.set(end, 0);
        queued.set(end, 0);
        Outcome {
            fates: self.fates,
            never_fit: self.never_fit,
            busy_gpu_s: busy.integral,
            queued_job_s: queued.integral,
            start_s: self.jobs.iter().map(|j| j.submit_s).min().unwrap_or(0),
            end_s: end,
            max_queue: queued.peak as usize,
            peak_busy_gpus: busy.peak,
            queue_series: queued
                .series
                .unwrap_or_default()
                .iter()
                .map(|&(t, v)| (t, v as u32))
                .collect(),
            busy_series: busy.series.unwrap_or_default(),
            events: self.events,
        }
    }
}

/// EASY's reservation for the blocked head of the queue.
///
/// The projection (free GPUs per node at the shadow time) is kept sparse: a node whose
/// projected count was never written is projected as free as it is now, which stays true
/// because every change of a node's free GPUs while the reservation stands writes the node
/// first ([`Reservation::snapshot`]). Making a reservation so costs the jobs it releases, not
/// the cluster's size.
struct Reservation {
    active: bool,
    head: usize,
    /// When the head can start if no later job delays it [s].
    shadow_s: i64,
    /// Free GPUs per node at the shadow time, less what backfilled jobs still hold then; read
    /// only where `written`.
    projected: Vec<u32>,
    written: Vec<bool>,
    written_nodes: Vec<u32>,
    gpus: u32,
    per_node: u32,
    /// Nodes the head needs that qualify: 1 for a job within a node, else whole nodes.
    needed: usize,
    qualifying: usize,
}

impl Reservation {
    fn new(cluster: Cluster) -> Reservation {
        Reservation {
            active: false,
            head: 0,
            shadow_s: i64::MAX,
            projected: vec![0; cluster.nodes as usize],
            written: vec![false; cluster.nodes as usize],
            written_nodes: Vec::new(),
            gpus: 0,
            per_node: cluster.gpus_per_node,
            needed: 0,
            qualifying: 0,
        }
    }

    fn clear(&mut self) {
        for n in self.written_nodes.drain(..) {
            self.written[n as usize] = false;
        }
        self.active = false;
    }

    fn qualifies(&self, free: u32) -> bool {
        if self.gpus <= self.per_node {
            free >= self.gpus.max(1)
        } else {
            free == self.per_node
        }
    }

    fn get(&self, node: u32, free: &[u32]) -> u32 {
        let n = node as usize;
        if self.written[n] {
            self.projected[n]
        } else {
            free[n]
        }
    }

    fn write(&mut self, node: u32, value: u32) {
        let n = node as usize;
        if !self.written[n] {
            self.written[n] = true;
            self.written_nodes.push(node);
        }
        self.projected[n] = value;
    }

    /// Records the projection of the nodes of `alloc` before their free GPUs change.
    fn snapshot(&mut self, alloc: &Alloc, free: &[u32]) {
        self.for_nodes(alloc, |r, n, _| {
            if !r.written[n as usize] {
                r.write(n, free[n as usize]);
            }
        });
    }

    /// Whether every node of `alloc` has its projection written.
    fn covers(&self, alloc: &Alloc) -> bool {
        match alloc {
            Alloc::One(n, _) => self.written[*n as usize],
            Alloc::Whole(nodes) => nodes.iter().all(|&n| self.written[n as usize]),
        }
    }

    fn for_nodes(&mut self, alloc: &Alloc, mut f: impl FnMut(&mut Reservation, u32, u32)) {
        match alloc {
            Alloc::One(n, g) => f(self, *n, *g),
            Alloc::Whole(nodes) => {
                let g = self.per_node;
                nodes.iter().for_each(|&n| f(self, n, g));
            }
        }
    }

    fn adjust(&mut self, node: u32, new: u32, free: &[u32]) {
        let before = self.qualifies(self.get(node, free));
        let after = self.qualifies(new);
        self.write(node, new);
        match (before, after) {
            (false, true) => self.qualifying += 1,
            (true, false) => self.qualifying -= 1,
            _ => {}
        }
    }

    /// Gives a running job's GPUs back in the projection: it ends by the shadow time.
    fn release(&mut self, alloc: &Alloc, free: &[u32]) {
        self.for_nodes(alloc, |r, n, g| {
            let projected = r.get(n, free) + g;
            r.adjust(n, projected, free);
        });
    }

    /// Takes a job's GPUs from the projection: it still holds them at the shadow time.
    fn take(&mut self, alloc: &Alloc, free: &[u32]) {
        self.for_nodes(alloc, |r, n, g| {
            let projected = r.get(n, free).saturating_sub(g);
            r.adjust(n, projected, free);
        });
    }

    /// Whether a job that still runs at the shadow time would leave the head room.
    fn admits(&self, alloc: &Alloc, free: &[u32]) -> bool {
        let lost = |n: u32, g: u32| {
            let projected = self.get(n, free);
            usize::from(self.qualifies(projected) && !self.qualifies(projected.saturating_sub(g)))
        };
        let lost = match alloc {
            Alloc::One(n, g) => lost(*n, *g),
            Alloc::Whole(nodes) => nodes.iter().map(|&n| lost(n, self.per_node)).sum(),
        };
        self.qualifying - lost >= self.needed
    }
}

/// The jobs of each GPU count, in job order, each with its duration while it is queued (and
/// `i64::MAX` otherwise) in a tree of minima: the first queued job of a size that is not longer
/// than a bound is a walk down one tree.
struct Classes {
    /// Per job: its class and its position in the class.
    class: Vec<u32>,
    position: Vec<u32>,
    /// Per class: its jobs in job order, and the tree over their durations.
    members: Vec<Vec<u32>>,
    trees: Vec<MinTree>,
}

impl Classes {
    fn new(jobs: &[Job]) -> Classes {
        let mut ids: BTreeMap<u32, u32> = BTreeMap::new();
        let mut class = Vec::with_capacity(jobs.len());
        let mut position = Vec::with_capacity(jobs.len());
        let mut members: Vec<Vec<u32>> = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            let next = ids.len() as u32;
            let c = *ids.entry(job.gpus).or_insert(next);
            if c as usize == members.len() {
                members.push(Vec::new());
            }
            class.push(c);
            position.push(members[c as usize].len() as u32);
            members[c as usize].push(i as u32);
        }
        let trees = members.iter().map(|m| MinTree::new(m.len())).collect();
        Classes {
            class,
            position,
            members,
            trees,
        }
    }

    /// Sets job `i`'s value: its duration while queued, `i64::MAX` otherwise.
    fn set(&mut self, i: usize, value: i64) {
        self.trees[self.class[i] as usize].set(self.position[i] as usize, value);
    }

    /// The first queued job of the class of job `member`, other than `head` (the first queued
    /// job of all), that runs at most `max_duration_s`.
    fn first(&self, member: usize, head: usize, max_duration_s: i64) -> Option<usize> {
        let c = self.class[member] as usize;
        // Every other queued job comes after the head.
        let from = if self.class[head] as usize == c {
            self.position[head] as usize + 1
        } else {
            0
        };
        let p = self.trees[c].first_at_most(from, max_duration_s)?;
        Some(self.members[c][p] as usize)
    }
}

/// Minimum over ranges of a fixed-length array of `i64`, all `i64::MAX` at first.
struct MinTree {
    leaves: usize,
    min: Vec<i64>,
}

impl MinTree {
    fn new(len: usize) -> MinTree {
        let leaves = len.next_power_of_two();
        MinTree {
            leaves,
            min: vec![i64::MAX; 2 * leaves],
        }
    }

    fn set(&mut self, p: usize, value: i64) {
        let mut k = p + self.leaves;
        self.min[k] = value;
        while k > 1 {
            k /= 2;
            self.min[k] = self.min[2 * k].min(self.min[2 * k + 1]);
        }
    }

    /// The first position at or after `from` whose value is at most `bound`.
    fn first_at_most(&self, from: usize, bound: i64) -> Option<usize> {
        self.descend(1, 0, self.leaves, from, bound)
    }

    fn descend(&self, k: usize, lo: usize, hi: usize, from: usize, bound: i64) -> Option<usize> {
        if hi <= from || self.min[k] > bound {
            return None;
        }
        if hi - lo == 1 {
            return Some(lo);
        }
        let mid = (lo + hi) / 2;
        self.descend(2 * k, lo, mid, from, bound)
            .or_else(|| self.descend(2 * k + 1, mid, hi, from, bound))
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(list: &[(i64, i64, u32)]) -> Vec<Job> {
        list.iter()
            .map(|&(submit, duration, gpus)| Job::new(submit, None, duration, gpus))
            .collect()
    }

    fn config(nodes: u32, gpus_per_node: u32, policy: Policy, burst: Burst) -> Config {
        Config {
            cluster: Cluster {
                nodes,
                gpus_per_node,
            },
            policy,
            burst,
            as_recorded: false,
        }
    }

    fn waits(jobs: &[Job], outcome: &Outcome) -> Vec<i64> {
        jobs.iter()
            .zip(&outcome.fates)
            .map(|(j, f)| match f {
                Fate::Owned(t) | Fate::Cloud(t) => t - j.submit_s,
                Fate::Unmet => -1,
            })
            .collect()
    }

    /// One node of 4 GPUs. A (t=0, 10 s, 3 GPUs), B (t=1, 10 s, 4), C (t=2, 3 s, 1),
    /// D (t=3, 20 s, 1).
    fn four() -> Vec<Job> {
        jobs(&[(0, 10, 3), (1, 10, 4), (2, 3, 1), (3, 20, 1)])
    }

    #[test]
    fn strict_fifo_blocks_behind_the_head() {
        // A runs 0-10. B needs all 4 GPUs: it waits for A and runs 10-20; C and D wait behind
        // it and start at 20. Waits: 0, 9, 18, 17.
        let j = four();
        let o = simulate(&j, &config(1, 4, Policy::Fifo, Burst::Never));
        assert_eq!(waits(&j, &o), [0, 9, 18, 17]);
        // Busy GPU-seconds: 3×10 + 4×10 + 1×3 + 1×20 = 93 over 0-40 on 4 GPUs.
        assert_eq!(o.busy_gpu_s, 93);
        assert_eq!((o.start_s, o.end_s), (0, 40));
        // Queue: 1 job over 1-2, 2 over 2-3, 3 over 3-10, 2 over 10-20: 1 + 2 + 21 + 20.
        assert_eq!(o.queued_job_s, 44);
        assert_eq!(o.max_queue, 3);
    }

    #[test]
    fn fifo_skip_lets_later_jobs_pass() {
        // C fits beside A at 2 (2-5); D finds the node full at 3 and takes C's GPU at 5
        // (5-25); B needs 4 GPUs, which are free only when D ends at 25. Waits: 0, 24, 0, 2.
        let j = four();
        let o = simulate(&j, &config(1, 4, Policy::FifoSkip, Burst::Never));
        assert_eq!(waits(&j, &o), [0, 24, 0, 2]);
    }

    #[test]
    fn easy_backfill_protects_the_head() {
        // B's reservation is at 10, when A ends. C (2-5) ends before it and backfills; D would
        // hold a GPU past 10 and is kept back, so B runs 10-20 and D starts at 20.
        // Waits: 0, 9, 0, 17.
        let j = four();
        let o = simulate(&j, &config(1, 4, Policy::EasyBackfill, Burst::Never));
        assert_eq!(waits(&j, &o), [0, 9, 0, 17]);
    }

    #[test]
    fn the_queue_follows_arrivals_in_a_trace_not_sorted_by_submit() {
        // One GPU. The second line arrives first (0-10); the third (submitted at 1) then waits
        // longer than the first line (submitted at 5), so it starts first: at 10, and the first
        // line at 20, under every policy (same durations).
        let j = jobs(&[(5, 10, 1), (0, 10, 1), (1, 10, 1)]);
        for policy in [
            Policy::Fifo,
            Policy::FifoSkip,
            Policy::EasyBackfill,
            Policy::Sjf,
        ] {
            let o = simulate(&j, &config(1, 1, policy, Burst::Never));
            assert_eq!(waits(&j, &o), [15, 0, 9], "{policy:?}");
        }
    }

    #[test]
    fn sjf_starts_the_shortest_first() {
        // One GPU. X (t=0, 10 s) runs 0-10; Y (t=1, 5 s) and Z (t=2, 1 s) wait. FIFO starts Y
        // at 10 and Z at 15 (waits 0, 9, 13); SJF starts Z at 10 and Y at 11 (0, 10, 8).
        let j = jobs(&[(0, 10, 1), (1, 5, 1), (2, 1, 1)]);
        let fifo = simulate(&j, &config(1, 1, Policy::Fifo, Burst::Never));
        assert_eq!(waits(&j, &fifo), [0, 9, 13]);
        let sjf = simulate(&j, &config(1, 1, Policy::Sjf, Burst::Never));
        assert_eq!(waits(&j, &sjf), [0, 10, 8]);
    }

    #[test]
    fn burst_after_a_wait_sends_jobs_to_the_cloud() {
        // Strict FIFO, burst after 5 s. B's deadline is 6: it bursts, and C starts beside A at
        // 6 (6-9). D is blocked by nothing but a full node; its deadline at 8 sends it out.
        let j = four();
        let o = simulate(&j, &config(1, 4, Policy::Fifo, Burst::After(5)));
        assert_eq!(
            o.fates,
            [
                Fate::Owned(0),
                Fate::Cloud(6),
                Fate::Owned(6),
                Fate::Cloud(8)
            ]
        );
        // Immediate: B, C and D cannot start when they arrive (B blocks C and D).
        let o = simulate(&j, &config(1, 4, Policy::Fifo, Burst::After(0)));
        assert_eq!(
            o.fates,
            [
                Fate::Owned(0),
                Fate::Cloud(1),
                Fate::Owned(2),
                Fate::Cloud(3)
            ]
        );
    }

    #[test]
    fn a_deadline_of_a_started_job_does_not_stretch_the_run() {
        // Under fifo-skip the last job, B, runs 25-35; the deadlines a day after each submit
        // find nothing waiting and leave the run's end at 35.
        let j = four();
        let o = simulate(&j, &config(1, 4, Policy::FifoSkip, Burst::After(86_400)));
        assert_eq!(o.end_s, 35);
        assert!(o.fates.iter().all(|f| matches!(f, Fate::Owned(_))));
    }

    #[test]
    fn max_queue_bursts_the_last_in_line() {
        // At most one waiting job: at 2, B and C wait and C (last) bursts; at 3 D bursts.
        let j = four();
        let o = simulate(&j, &config(1, 4, Policy::Fifo, Burst::MaxQueue(1)));
        assert_eq!(
            o.fates,
            [
                Fate::Owned(0),
                Fate::Owned(10),
                Fate::Cloud(2),
                Fate::Cloud(3)
            ]
        );
    }

    #[test]
    fn a_job_larger_than_the_cluster_is_unmet_or_burst() {
        let j = jobs(&[(0, 10, 1), (5, 10, 9)]);
        let o = simulate(&j, &config(2, 4, Policy::Fifo, Burst::Never));
        assert_eq!(o.fates, [Fate::Owned(0), Fate::Unmet]);
        assert_eq!(o.never_fit, 1);
        let o = simulate(&j, &config(2, 4, Policy::Fifo, Burst::After(3_600)));
        assert_eq!(o.fates, [Fate::Owned(0), Fate::Cloud(5)]);
    }

    #[test]
    fn best_fit_keeps_whole_nodes_free() {
        // Two nodes of 4. a (3 GPUs) takes a node; b (1 GPU) fills that node rather than
        // opening the other, so c (4 GPUs) starts at once; d (8 GPUs) takes both nodes whole
        // when a, b and c are done.
        let j = jobs(&[(0, 10, 3), (1, 10, 1), (2, 10, 4), (3, 5, 8)]);
        let o = simulate(&j, &config(2, 4, Policy::Fifo, Burst::Never));
        assert_eq!(waits(&j, &o), [0, 0, 0, 9]);
    }

    #[test]
    fn as_recorded_reproduces_recorded_waits() {
        let j = vec![
            Job::new(0, Some(7), 10, 4),
            Job::new(1, None, 10, 4),
            Job::new(2, Some(30), 1, 64),
        ];
        let mut c = config(1, 4, Policy::Fifo, Burst::Never);
        c.as_recorded = true;
        let o = simulate(&j, &c);
        assert_eq!(waits(&j, &o), [7, 0, 28]);
        assert_eq!(o.busy_gpu_s, 4 * 10 + 4 * 10 + 64);
        assert_eq!(o.peak_busy_gpus, 64);
    }

    #[test]
    fn no_job_starts_early_and_capacity_holds() {
        // A mixed load on 3 nodes of 8, every policy: starts never precede submits and the
        // owned GPUs in use never exceed 24.
        let j: Vec<Job> = (0..300)
            .map(|k: i64| {
                Job::new(
                    k * 7 % 500,
                    None,
                    1 + k * 37 % 300,
                    [1, 2, 8, 4, 16, 3][k as usize % 6],
                )
            })
            .collect();
        for policy in [
            Policy::Fifo,
            Policy::FifoSkip,
            Policy::EasyBackfill,
            Policy::Sjf,
        ] {
            let o = simulate(&j, &config(3, 8, policy, Burst::Never));
            assert!(waits(&j, &o).iter().all(|&w| w >= 0), "{policy:?}");
            assert!(o.peak_busy_gpus <= 24, "{policy:?}");
            let demand: i64 = j.iter().map(|x| i64::from(x.gpus) * x.duration_s).sum();
            assert_eq!(o.busy_gpu_s, demand as u128, "{policy:?}");
        }
    }
}

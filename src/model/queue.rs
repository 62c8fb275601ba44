//! Work that waits: an hour-by-hour fluid queue of one option's owned capacity over the whole
//! horizon (README equations Q1–Q7).
//!
//! Load-duration curves answer "how much fits under a capacity" when every hour's load must be
//! served in that hour. Training and batch work may instead wait: what does not fit queues,
//! first in, first out by arrival hour, and is served as capacity frees up, within and across
//! month boundaries; what would wait longer than its workload allows goes to the burst cloud
//! (a hybrid, work that may leave the building) or is unmet. That depends on the order of the
//! hours, so it is simulated hour by hour. Pure: plain numbers in, plain numbers out.

use crate::timeline::HOURS_PER_MONTH;

/// The hourly arrivals of one month, before the month's demand factor (README M1): the load
/// that may not wait, sensitive and other, and each waiting workload's load
/// [reference GPU-hours in each hour].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Arrivals {
    pub interactive_sensitive: Vec<f64>,
    pub interactive_other: Vec<f64>,
    /// One series per waiting workload, in [`Waiting`] order.
    pub waiting: Vec<Vec<f64>>,
    /// Hourly mean price of unserved load of the two interactive classes (weighted by each
    /// workload's load in the hour); empty when every workload has the same price.
    pub price_sensitive: Vec<f64>,
    pub price_other: Vec<f64>,
    /// Every class's load in each hour, summed.
    pub hour_total: Vec<f64>,
    /// The month's totals of `interactive_sensitive`, `interactive_other` and each waiting
    /// series, in that order.
    pub sums: Vec<f64>,
    /// Hours sorted by `hour_total` from the highest, with their loads: the hours that can
    /// overflow a capacity are a prefix. Empty when not built ([`Arrivals::index`]); then the
    /// hours are scanned.
    pub order: Vec<u16>,
    pub sorted_total: Vec<f64>,
}

impl Arrivals {
    /// Fills `hour_total` and `sums` from the series.
    pub fn total(&mut self) {
        self.hour_total.clear();
        self.hour_total.resize(HOURS_PER_MONTH, 0.0);
        self.sums.clear();
        let series = [&self.interactive_sensitive, &self.interactive_other]
            .into_iter()
            .chain(self.waiting.iter());
        for v in series {
            let mut sum = 0.0;
            for (t, x) in self.hour_total.iter_mut().zip(v) {
                *t += x;
                sum += x;
            }
            self.sums.push(sum);
        }
    }

    /// Builds the order of hours by load, for months read many times (the scenario's own).
    pub fn index(&mut self) {
        let mut order: Vec<u16> = (0..HOURS_PER_MONTH as u16).collect();
        order.sort_by(|a, b| {
            self.hour_total[*b as usize]
                .total_cmp(&self.hour_total[*a as usize])
                .then(a.cmp(b))
        });
        self.sorted_total = order.iter().map(|h| self.hour_total[*h as usize]).collect();
        self.order = order;
    }

    /// Marks in `busy` (one bit per hour) every hour whose load, scaled by `f`, may exceed
    /// `capacity`: only those can start a queue.
    fn mark_busy(&self, capacity: f64, f: f64, busy: &mut [u64; BUSY_WORDS]) {
        *busy = [0; BUSY_WORDS];
        // A little below the threshold, so that rounding never hides an overflowing hour (an
        // hour marked in vain is simulated and found to fit).
        let threshold = if f > 0.0 {
            capacity / f * (1.0 - 1e-12)
        } else {
            f64::INFINITY
        };
        let mut mark = |h: usize| busy[h / 64] |= 1 << (h % 64);
        if self.order.is_empty() {
            for (h, x) in self.hour_total.iter().enumerate() {
                if *x > threshold {
                    mark(h);
                }
            }
        } else {
            let k = self.sorted_total.partition_point(|x| *x > threshold);
            for h in &self.order[..k] {
                mark(*h as usize);
            }
        }
    }
}

impl Arrivals {
    /// [`Arrivals::mark_busy`] when trace jobs take `used[h]` of the capacity in hour `h`
    /// first: every hour whose load, scaled by `f`, may exceed what they leave.
    fn mark_busy_beside(&self, capacity: f64, f: f64, used: &[f64], busy: &mut [u64; BUSY_WORDS]) {
        *busy = [0; BUSY_WORDS];
        for (h, x) in self.hour_total.iter().enumerate() {
            let left = (capacity - used.get(h).copied().unwrap_or(0.0)).max(0.0);
            if f * x > left * (1.0 - 1e-12) {
                busy[h / 64] |= 1 << (h % 64);
            }
        }
    }
}

/// 64-bit words of a month's bitmap of hours.
const BUSY_WORDS: usize = HOURS_PER_MONTH.div_ceil(64);

/// The first hour at or after `from` marked in `busy`, or `HOURS_PER_MONTH`.
fn next_busy(busy: &[u64; BUSY_WORDS], from: usize) -> usize {
    let mut w = from / 64;
    if w >= BUSY_WORDS {
        return HOURS_PER_MONTH;
    }
    let mut bits = busy[w] & (!0u64 << (from % 64));
    loop {
        if bits != 0 {
            return (w * 64 + bits.trailing_zeros() as usize).min(HOURS_PER_MONTH);
        }
        w += 1;
        if w >= BUSY_WORDS {
            return HOURS_PER_MONTH;
        }
        bits = busy[w];
    }
}

/// A workload that may wait, in the order the queue serves arrivals of the same hour:
/// sensitive first, then the shorter wait, then scenario order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Waiting {
    /// Index of the workload in the scenario.
    pub workload: usize,
    /// Longest wait [hours], at least 1.
    pub max_wait_hours: u32,
    pub sensitive: bool,
    /// Price of a GPU-hour of it left unserved [scenario currency], 0 when unpriced.
    pub unserved_price: f64,
}

/// Longest wait the queue can hold [hours] (README "Limits").
pub const MAX_WAIT_HOURS: u32 = 8_760;

/// Index of the histogram bucket of a wait of `hours`: one bucket per hour up to a week, then
/// one per day, so that a year-long wait limit needs 525 buckets, not 8,761.
pub fn wait_bucket(hours: u32) -> usize {
    if hours <= 168 {
        hours as usize
    } else {
        168 + ((hours - 168).div_ceil(24)) as usize
    }
}

/// The wait [hours] a bucket stands for: its longest.
pub fn bucket_hours(bucket: usize) -> u32 {
    if bucket <= 168 {
        bucket as u32
    } else {
        168 + (bucket as u32 - 168) * 24
    }
}

/// What the queue did in one month [reference GPU-hours, scenario currency].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueMonth {
    /// Served by the owned capacity in this month's hours (Q3).
    pub served_onprem: f64,
    /// The part of `served_onprem` that waited at least one hour (Q4).
    pub served_after_wait: f64,
    /// Load of this month's arrivals sent to the burst cloud (Q5).
    pub cloud: f64,
    /// Load of this month's arrivals left unserved (Q5).
    pub unmet: f64,
    /// Price of `unmet` (Q7).
    pub unserved_cost: f64,
    /// Waiting work served on-prem this month by its wait: GPU-hours per [`wait_bucket`].
    pub waits: Vec<f64>,
    /// Σ GPU-hours × wait [GPU-hour-hours] of the waiting work served on-prem this month.
    pub wait_sum: f64,
    /// GPU-hours of waiting work served on-prem this month, whatever their wait.
    pub waiting_served: f64,
    /// Cloud load of each hour of the month by arrival hour (for committed capacity, M6), as
    /// held on the cloud's GPUs (README SG3: the work itself without fractional workloads).
    pub cloud_hourly: Vec<f64>,
    /// Load held on a fractional offer's GPUs (SG3).
    pub small_held: f64,
    /// Who got what, when asked for ([`Capacity::attribute`]): per waiting workload (in
    /// [`Waiting`] order) `[on-prem, cloud, unmet]` of this month (on-prem by the hour served,
    /// cloud and unmet by arrival), and the walked hours with the share of each interactive
    /// class served on-prem in them, `(hour, sensitive, other)`; in the hours not walked all
    /// interactive load was served.
    pub by_waiting: Vec<[f64; 3]>,
    pub walked: Vec<(u16, f64, f64)>,
}

/// Reusable buffers of [`simulate`].
#[derive(Debug, Clone, Default)]
pub struct QueueScratch {
    /// `remaining[slot * k + j]`: what is left of waiting workload j's arrivals of the hour in
    /// `slot` (the arrival hour modulo the ring's length).
    remaining: Vec<f64>,
}

/// What [`simulate`] needs to know of the option.
#[derive(Debug, Clone, Copy)]
pub struct Capacity {
    /// Owned capacity [reference GPUs] (M3).
    pub gpus: f64,
    /// Whether load that may leave the building bursts to a cloud (a hybrid) instead of going
    /// unmet.
    pub burst: bool,
    /// Price of a GPU-hour left unserved of the interactive classes when they are uniform.
    pub unserved_price: f64,
    /// Whether to record who got what (`by_waiting`, `walked`), for showback.
    pub attribute: bool,
}

/// Simulates the owned capacity hour by hour over the months of `arrivals`, each scaled by its
/// month's demand factor `scale[m]`, and writes one [`QueueMonth`] per month into `out`
/// (README Q1–Q7). After the last month the queue runs on, with no new arrivals, until every
/// waiting GPU-hour has been served or has waited its longest: what is served then is the
/// backlog at the end of the horizon, and what expires counts as burst or unmet in the month it
/// arrived.
///
/// Only the hours that matter are walked: an hour whose load fits the capacity while nothing
/// waits serves all its load at once, so the walk jumps from one hour that may overflow to the
/// next and follows each queue until it is empty; the load of the hours it jumps over is
/// served in full, and counted from the month's totals (README Q3).
pub fn simulate(
    arrivals: &[&Arrivals],
    scale: &[f64],
    waiting: &[Waiting],
    capacity: Capacity,
    scratch: &mut QueueScratch,
    out: &mut Vec<QueueMonth>,
) {
    simulate_beside(
        arrivals,
        scale,
        waiting,
        capacity,
        &[],
        &[],
        &[],
        scratch,
        out,
    );
}

/// [`simulate`] on the owned capacity left in each hour t of the horizon by trace jobs that
/// took `used[t]` of it first [reference GPU-hours] (README T4); hours past the end of `used`
/// have all of it. `by_month[m]`, when given, is the owned capacity of month m instead of
/// `capacity.gpus` (a refresh to other hardware, G1); the queue left after the horizon is
/// served at the last month's. `held[m]`, when given, holds the interactive classes' loads as
/// held on the option's GPUs (README SG3): they take that much capacity for their work.
#[allow(clippy::too_many_arguments)]
pub fn simulate_beside(
    arrivals: &[&Arrivals],
    scale: &[f64],
    waiting: &[Waiting],
    capacity: Capacity,
    by_month: &[f64],
    held: &[super::sharing::HeldMonth],
    used: &[f64],
    scratch: &mut QueueScratch,
    out: &mut Vec<QueueMonth>,
) {
    let months = arrivals.len().min(scale.len());
    let k = waiting.len();
    let longest = waiting.iter().map(|w| w.max_wait_hours).max().unwrap_or(0);
    // A power of two at least one longer than the longest wait, so that a slot is a mask, not a
    // division.
    let ring = (longest as usize + 1).next_power_of_two();
    let buckets = wait_bucket(longest) + 1;
    out.resize_with(months, QueueMonth::default);
    for q in out.iter_mut() {
        q.served_onprem = 0.0;
        q.served_after_wait = 0.0;
        q.cloud = 0.0;
        q.unmet = 0.0;
        q.unserved_cost = 0.0;
        q.wait_sum = 0.0;
        q.waiting_served = 0.0;
        q.waits.clear();
        q.waits.resize(buckets, 0.0);
        q.cloud_hourly.clear();
        q.cloud_hourly.resize(HOURS_PER_MONTH, 0.0);
        q.small_held = 0.0;
        q.by_waiting.clear();
        q.walked.clear();
        if capacity.attribute {
            q.by_waiting.resize(waiting.len(), [0.0; 3]);
        }
    }
    scratch.remaining.clear();
    scratch.remaining.resize(ring * k, 0.0);
    let mut state = Queue {
        remaining: &mut scratch.remaining,
        k,
        ring,
        head: 0,
        end: months * HOURS_PER_MONTH,
    };
    let gpus = |m: usize| by_month.get(m).copied().unwrap_or(capacity.gpus).max(0.0);
    let mut c = gpus(0);
    let mut busy = [0u64; BUSY_WORDS];
    // Load walked in each class this month, to count the rest from the totals.
    let mut walked = vec![0.0; 2 + k];
    for m in 0..months {
        c = gpus(m);
        let a = arrivals[m];
        let f = scale[m];
        let used_month = used
            .get(m * HOURS_PER_MONTH..(m + 1) * HOURS_PER_MONTH)
            .unwrap_or(&[]);
        let held_month = held.get(m).map(|x| &x.interactive);
        // A held load not built (none of it) reads as 0.
        let at = |v: &[f64], h: usize| v.get(h).copied().unwrap_or(0.0);
        if let Some([hs, ho, ..]) = held_month {
            // Every hour whose held load may exceed the capacity (SG3).
            busy = [0; BUSY_WORDS];
            let interactive = a.interactive_sensitive.iter().zip(&a.interactive_other);
            for (h, (x, (s, o))) in a.hour_total.iter().zip(interactive).enumerate() {
                let load = x - s - o + at(hs, h) + at(ho, h);
                let left = (c - used_month.get(h).copied().unwrap_or(0.0)).max(0.0);
                if f * load > left * (1.0 - 1e-12) {
                    busy[h / 64] |= 1 << (h % 64);
                }
            }
        } else if used_month.is_empty() {
            a.mark_busy(c, f, &mut busy);
        } else {
            a.mark_busy_beside(c, f, used_month, &mut busy);
        }
        walked.iter_mut().for_each(|w| *w = 0.0);
        let mut h = 0;
        loop {
            // Nothing waits: jump to the next hour that may overflow.
            if state.empty(m * HOURS_PER_MONTH + h) {
                h = next_busy(&busy, h);
            }
            if h >= HOURS_PER_MONTH {
                break;
            }
            let t = m * HOURS_PER_MONTH + h;
            let mut cap = (c - used_month.get(h).copied().unwrap_or(0.0)).max(0.0);
            let q = &mut out[m];
            // Q2: the load that may not wait, in its own hour: in a hybrid the sensitive class
            // first, then the other; on-prem both classes in proportion to their loads, as
            // without a queue (M4). With shared GPUs each class takes its held load of the
            // capacity and is served in proportion to it (SG3).
            let s = f * a.interactive_sensitive.get(h).copied().unwrap_or(0.0);
            let n = f * a.interactive_other.get(h).copied().unwrap_or(0.0);
            let part = |x: f64, of: f64| if of > 0.0 { x / of } else { 0.0 };
            // What each class takes of the capacity, from its load (held load with shared GPUs).
            let takes = |cap: &mut f64, s: f64, n: f64| {
                let (took_s, took_n) = if capacity.burst {
                    let took_s = s.min(*cap);
                    (took_s, n.min(*cap - took_s))
                } else {
                    let share = part((s + n).min(*cap), s + n);
                    (s * share, n * share)
                };
                *cap = (*cap - took_s - took_n).max(0.0);
                (took_s, took_n)
            };
            let (served, served_n, over_held) = match held_month {
                Some([hs, ho, hc, hsmall]) => {
                    let (held_s, held_n) = (f * at(hs, h), f * at(ho, h));
                    let (took_s, took_n) = takes(&mut cap, held_s, held_n);
                    let left = 1.0 - part(took_n, held_n).min(1.0);
                    q.small_held += f * at(hsmall, h) * left;
                    (
                        took_s * part(s, held_s),
                        took_n * part(n, held_n),
                        Some(f * at(hc, h) * left),
                    )
                }
                None => {
                    let (served, served_n) = takes(&mut cap, s, n);
                    (served, served_n, None)
                }
            };
            let lost = (s - served).max(0.0);
            q.unmet += lost;
            q.unserved_cost += lost * price(&a.price_sensitive, h, capacity.unserved_price);
            let over = (n - served_n).max(0.0);
            if capacity.burst {
                q.cloud += over;
                q.cloud_hourly[h] += over_held.unwrap_or(over);
            } else {
                q.unmet += over;
                q.unserved_cost += over * price(&a.price_other, h, capacity.unserved_price);
            }
            q.served_onprem += served + served_n;
            if capacity.attribute {
                let share = |served: f64, load: f64| if load > 0.0 { served / load } else { 1.0 };
                q.walked
                    .push((h as u16, share(served, s), share(served_n, n)));
            }
            walked[0] += a.interactive_sensitive.get(h).copied().unwrap_or(0.0);
            walked[1] += a.interactive_other.get(h).copied().unwrap_or(0.0);
            // Q1: this hour's waiting arrivals join the queue.
            let slot = (t & (ring - 1)) * k;
            for (j, series) in a.waiting.iter().enumerate().take(k) {
                let x = series.get(h).copied().unwrap_or(0.0);
                walked[2 + j] += x;
                state.remaining[slot + j] = f * x;
            }
            state.serve(t, cap, waiting, Some(q));
            state.expire(t, waiting, capacity.burst, out);
            h += 1;
        }
        // The hours jumped over served all their load in its hour (Q3).
        let q = &mut out[m];
        let rest = |i: usize| f * (a.sums.get(i).copied().unwrap_or(0.0) - walked[i]).max(0.0);
        let waiting_rest: f64 = (0..k).map(|j| rest(2 + j)).sum();
        for (j, by) in q.by_waiting.iter_mut().enumerate() {
            by[0] += rest(2 + j);
        }
        q.served_onprem += rest(0) + rest(1) + waiting_rest;
        q.waiting_served += waiting_rest;
        if let Some(w0) = q.waits.first_mut() {
            *w0 += waiting_rest;
        }
    }
    // After the horizon: the queue runs on without arrivals until it is empty.
    let mut t = state.end;
    while !state.empty(t) {
        state.serve(t, c, waiting, None);
        state.expire(t, waiting, capacity.burst, out);
        t += 1;
    }
}

/// The waiting work: a ring of the last `ring` arrival hours (a power of two longer than the
/// longest wait), `k` workloads each.
struct Queue<'a> {
    remaining: &'a mut Vec<f64>,
    k: usize,
    ring: usize,
    /// The oldest arrival hour that may still hold work.
    head: usize,
    /// First hour after the horizon.
    end: usize,
}

impl Queue<'_> {
    /// Whether nothing waits at the start of hour `t` (moving `head` past empty hours).
    fn empty(&mut self, t: usize) -> bool {
        while self.head < t && self.head < self.end {
            let slot = (self.head & (self.ring - 1)) * self.k;
            if self.remaining[slot..slot + self.k].iter().any(|r| *r > 0.0) {
                return false;
            }
            self.head += 1;
        }
        true
    }

    /// Q3: serves `cap` of the queue in hour `t`, oldest arrival hour first, within an hour
    /// in `waiting` order; records it in `q` (none after the horizon).
    fn serve(
        &mut self,
        t: usize,
        mut cap: f64,
        waiting: &[Waiting],
        mut q: Option<&mut QueueMonth>,
    ) {
        let (k, ring) = (self.k, self.ring);
        let mut a = self.head;
        while a <= t && a < self.end && cap > 0.0 {
            let slot = (a & (ring - 1)) * k;
            let age = (t - a) as u32;
            for (j, w) in waiting.iter().enumerate() {
                let r = self.remaining[slot + j];
                if r <= 0.0 || age > w.max_wait_hours {
                    continue;
                }
                let x = r.min(cap);
                self.remaining[slot + j] = r - x;
                cap -= x;
                if let Some(q) = q.as_deref_mut() {
                    if let Some(by) = q.by_waiting.get_mut(j) {
                        by[0] += x;
                    }
                    q.served_onprem += x;
                    q.waiting_served += x;
                    q.wait_sum += x * f64::from(age);
                    q.waits[wait_bucket(age)] += x;
                    if age > 0 {
                        q.served_after_wait += x;
                    }
                }
                if cap <= 0.0 {
                    break;
                }
            }
            a += 1;
        }
    }

    /// Q5: what has waited its longest at the end of hour `t` and is still unserved leaves,
    /// counted in the month and hour it arrived.
    fn expire(&mut self, t: usize, waiting: &[Waiting], burst: bool, out: &mut [QueueMonth]) {
        for (j, w) in waiting.iter().enumerate() {
            let Some(a) = t.checked_sub(w.max_wait_hours as usize) else {
                continue;
            };
            if a >= self.end || a < self.head {
                continue;
            }
            let slot = (a & (self.ring - 1)) * self.k + j;
            let r = self.remaining[slot];
            if r > 0.0 {
                self.remaining[slot] = 0.0;
                let (am, ah) = (a / HOURS_PER_MONTH, a % HOURS_PER_MONTH);
                let q = &mut out[am];
                let to_cloud = burst && !w.sensitive;
                if to_cloud {
                    q.cloud += r;
                    q.cloud_hourly[ah] += r;
                } else {
                    q.unmet += r;
                    q.unserved_cost += r * w.unserved_price;
                }
                if let Some(by) = q.by_waiting.get_mut(j) {
                    by[if to_cloud { 1 } else { 2 }] += r;
                }
            }
        }
    }
}

/// The hourly mean price of a class, or the uniform price when there is no hourly series.
fn price(hourly: &[f64], h: usize, uniform: f64) -> f64 {
    hourly.get(h).copied().unwrap_or(uniform)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: usize = HOURS_PER_MONTH;
    /// Sums of a few thousand hourly figures: rounding only.
    const TOL: f64 = 1e-9;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= TOL * (1.0 + a.abs().max(b.abs()))
    }

    /// A month of arrivals: `interactive` per hour (not sensitive), and one waiting series per
    /// entry of `waiting`.
    fn month(interactive: &[(usize, f64)], waiting: &[Vec<(usize, f64)>]) -> Arrivals {
        let series = |points: &[(usize, f64)]| {
            let mut v = vec![0.0; H];
            for &(h, x) in points {
                v[h] += x;
            }
            v
        };
        let mut a = Arrivals {
            interactive_sensitive: vec![0.0; H],
            interactive_other: series(interactive),
            waiting: waiting.iter().map(|w| series(w)).collect(),
            ..Arrivals::default()
        };
        a.total();
        a
    }

    fn run(months: &[Arrivals], waiting: &[Waiting], gpus: f64, burst: bool) -> Vec<QueueMonth> {
        let refs: Vec<&Arrivals> = months.iter().collect();
        let scale = vec![1.0; months.len()];
        let mut out = Vec::new();
        simulate(
            &refs,
            &scale,
            waiting,
            Capacity {
                gpus,
                burst,
                unserved_price: 0.0,
                attribute: false,
            },
            &mut QueueScratch::default(),
            &mut out,
        );
        out
    }

    fn waiting(max_wait_hours: u32) -> Waiting {
        Waiting {
            workload: 0,
            max_wait_hours,
            sensitive: false,
            unserved_price: 0.0,
        }
    }

    #[test]
    fn load_below_capacity_never_waits() {
        let flat: Vec<(usize, f64)> = (0..H).map(|h| (h, 3.0)).collect();
        let out = run(&[month(&[], &[flat])], &[waiting(24)], 5.0, false);
        let q = &out[0];
        assert!(close(q.served_onprem, 3.0 * H as f64));
        assert_eq!((q.served_after_wait, q.unmet, q.cloud), (0.0, 0.0, 0.0));
        assert_eq!(q.wait_sum, 0.0);
    }

    #[test]
    fn a_single_burst_drains_at_the_capacity() {
        // 10 hours of work at once against a capacity of 1: served in hours 0..9, one GPU-hour
        // each, waits 0..9: mean 4.5 h, P95 9 h (9.5 of 10 GPU-hours within 9 hours).
        let out = run(
            &[month(&[], &[vec![(100, 10.0)]])],
            &[waiting(48)],
            1.0,
            false,
        );
        let q = &out[0];
        assert!(close(q.served_onprem, 10.0));
        assert!(close(q.served_after_wait, 9.0));
        assert!(close(q.wait_sum / q.waiting_served, 4.5));
        assert_eq!(crate::model::wait_percentile(&q.waits, 0.95), Some(9.0));
        assert_eq!(q.unmet, 0.0);
    }

    #[test]
    fn work_that_would_wait_too_long_is_unmet_or_bursts_in_its_arrival_hour() {
        // A wait of at most 4 hours: 5 GPU-hours are served (hours 100..104), 5 are not.
        let m = month(&[], &[vec![(100, 10.0)]]);
        let onprem = run(std::slice::from_ref(&m), &[waiting(4)], 1.0, false);
        assert!(close(onprem[0].served_onprem, 5.0));
        assert!(close(onprem[0].unmet, 5.0));
        let hybrid = run(&[m], &[waiting(4)], 1.0, true);
        assert!(close(hybrid[0].cloud, 5.0));
        assert!(
            close(hybrid[0].cloud_hourly[100], 5.0),
            "sent in its arrival hour"
        );
        assert_eq!(hybrid[0].unmet, 0.0);
    }

    #[test]
    fn waiting_work_crosses_month_boundaries_and_the_horizon() {
        // 10 GPU-hours arrive in the last-but-four hour of month 0 against a capacity of 1:
        // 4 are served in month 0, 6 in month 1.
        let months = [month(&[], &[vec![(H - 4, 10.0)]]), month(&[], &[vec![]])];
        let out = run(&months, &[waiting(72)], 1.0, false);
        assert!(close(out[0].served_onprem, 4.0));
        assert!(close(out[1].served_onprem, 6.0));
        // At the end of the horizon: what is served after it is neither served nor unmet.
        let out = run(&months[..1], &[waiting(72)], 1.0, false);
        assert!(close(out[0].served_onprem, 4.0));
        assert_eq!(out[0].unmet, 0.0);
        // ... unless it would wait too long even then.
        let out = run(&months[..1], &[waiting(5)], 1.0, false);
        assert!(close(out[0].served_onprem, 4.0));
        assert!(
            close(out[0].unmet, 4.0),
            "6 hours of service before the deadline, 4 within the horizon"
        );
    }

    #[test]
    fn interactive_load_goes_first_and_the_queue_is_first_in_first_out() {
        // Capacity 2. Hour 0: 4 GPU-hours of batch (wait 10). Hour 1: 2 of interactive, and
        // 1 of batch. The interactive load takes hour 1; batch of hour 0 is served in hours 0
        // and 2 (2 each), the batch of hour 1 in hour 3.
        let m = month(&[(1, 2.0)], &[vec![(0, 4.0), (1, 1.0)]]);
        let q = &run(&[m], &[waiting(10)], 2.0, false)[0];
        assert!(close(q.served_onprem, 7.0));
        // Waits: 2 GPU-hours at 0 h, 2 at 2 h (hour 0's), 1 at 2 h (hour 1's, served in hour 3).
        assert!(close(q.wait_sum, 2.0 * 2.0 + 1.0 * 2.0));
        assert!(close(q.waits[2], 3.0));
    }

    /// One waiting job of the reference simulation.
    #[derive(Clone, Debug)]
    struct Job {
        arrival: usize,
        order: usize,
        left: f64,
        max_wait: usize,
        sensitive: bool,
    }

    /// Hour-by-hour reference written from the README alone: every hour, the interactive
    /// load, then the jobs by (arrival hour, sensitive first, shorter wait, workload); a job
    /// still unserved after its last allowed hour leaves, counted at its arrival.
    fn reference(
        months: &[Arrivals],
        waiting: &[Waiting],
        c: f64,
        burst: bool,
    ) -> Vec<(f64, f64, f64, f64)> {
        let n = months.len();
        let mut res = vec![(0.0, 0.0, 0.0, 0.0); n]; // served, cloud, unmet, wait_sum
        let mut jobs: Vec<Job> = Vec::new();
        let longest = waiting
            .iter()
            .map(|w| w.max_wait_hours as usize)
            .max()
            .unwrap_or(0);
        for t in 0..n * H + longest + 1 {
            let (m, h) = (t / H, t % H);
            let mut cap = c;
            if m < n {
                let a = &months[m];
                for (load, sensitive) in [
                    (a.interactive_sensitive[h], true),
                    (a.interactive_other[h], false),
                ] {
                    let x = load.min(cap);
                    cap -= x;
                    res[m].0 += x;
                    if burst && !sensitive {
                        res[m].1 += load - x;
                    } else {
                        res[m].2 += load - x;
                    }
                }
                for (j, w) in waiting.iter().enumerate() {
                    let x = a.waiting[j][h];
                    if x > 0.0 {
                        jobs.push(Job {
                            arrival: t,
                            order: j,
                            left: x,
                            max_wait: w.max_wait_hours as usize,
                            sensitive: w.sensitive,
                        });
                    }
                }
            }
            jobs.sort_by_key(|j| (j.arrival, j.order));
            for job in jobs.iter_mut() {
                let x = job.left.min(cap);
                cap -= x;
                job.left -= x;
                if m < n {
                    res[m].0 += x;
                    res[m].3 += x * (t - job.arrival) as f64;
                }
            }
            for job in jobs
                .iter()
                .filter(|j| j.left > 0.0 && t - j.arrival == j.max_wait)
            {
                let am = job.arrival / H;
                if burst && !job.sensitive {
                    res[am].1 += job.left;
                } else {
                    res[am].2 += job.left;
                }
            }
            jobs.retain(|j| j.left > 0.0 && t - j.arrival < j.max_wait);
        }
        res
    }

    fn arb_case() -> impl Strategy<Value = (Vec<Arrivals>, Vec<Waiting>, f64, bool)> {
        let series = || {
            prop::collection::vec((0usize..H, 0.0f64..20.0), 0..300).prop_map(|points| {
                let mut v = vec![0.0; H];
                for (h, x) in points {
                    v[h] += x;
                }
                v
            })
        };
        let waits = prop::collection::vec((1u32..60, any::<bool>()), 1..4);
        (waits, 1usize..3, 1.0f64..12.0, any::<bool>()).prop_flat_map(
            move |(waits, months, c, burst)| {
                let k = waits.len();
                let month = (
                    series(),
                    series(),
                    prop::collection::vec(series(), k),
                    any::<bool>(),
                )
                    .prop_map(|(s, o, w, indexed)| {
                        let mut a = Arrivals {
                            interactive_sensitive: s,
                            interactive_other: o,
                            waiting: w,
                            ..Arrivals::default()
                        };
                        a.total();
                        if indexed {
                            a.index();
                        }
                        a
                    });
                let mut waiting: Vec<Waiting> = waits
                    .iter()
                    .enumerate()
                    .map(|(j, &(w, sensitive))| Waiting {
                        workload: j,
                        max_wait_hours: w,
                        sensitive,
                        unserved_price: 0.0,
                    })
                    .collect();
                waiting.sort_by_key(|w| (!w.sensitive, w.max_wait_hours, w.workload));
                (
                    prop::collection::vec(month, months),
                    Just(waiting),
                    Just(c),
                    Just(burst),
                )
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn the_queue_agrees_with_an_hour_by_hour_reference((months, waiting, c, burst) in arb_case()) {
            let out = run(&months, &waiting, c, burst);
            let expected = reference(&months, &waiting, c, burst);
            for (m, (q, e)) in out.iter().zip(&expected).enumerate() {
                prop_assert!(close(q.served_onprem, e.0), "month {m} served {} vs {}", q.served_onprem, e.0);
                prop_assert!(close(q.cloud, e.1), "month {m} cloud {} vs {}", q.cloud, e.1);
                prop_assert!(close(q.unmet, e.2), "month {m} unmet {} vs {}", q.unmet, e.2);
                prop_assert!(close(q.wait_sum, e.3), "month {m} wait {} vs {}", q.wait_sum, e.3);
            }
        }
    }
}

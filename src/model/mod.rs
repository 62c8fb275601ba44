//! The cost and capacity model: monthly steps, hourly load inside each month through
//! load-duration curves, owned and cloud costs, energy and carbon, and the comparison of every
//! option with the baseline. Pure: plain values in, plain values out, no I/O.
//!
//! Equation numbers (M1, M2, ...) refer to the README's "Model" section.

mod block;
pub mod generations;
mod input;
mod output;
pub mod queue;
pub mod queue_tables;
pub mod sharing;
pub mod showback;
mod tax;
pub mod trace;
mod verdict;

pub use queue_tables::QueueTables;

pub use block::{Isa, LANES as BLOCK_LANES, evaluate_block_fast, evaluate_block_on};
pub use input::*;
pub use output::*;
pub use tax::{TaxTotals, income_per_gpu_hour};
pub use verdict::{Standing, Verdict, verdict};

use crate::finance;
use crate::profile::Ldc;
use crate::timeline::HOURS_PER_MONTH;

const HOURS: f64 = HOURS_PER_MONTH as f64;

/// The demand of one month: all load, the sensitive part and the rest [reference GPUs per
/// hour], as load-duration curves ([`demand_curves`]) or hourly ones
/// ([`demand_hourly_into`]), with the hourly loads of the first two.
#[derive(Debug, Clone, Default)]
pub struct MonthDemand {
    pub total: Ldc,
    pub sensitive: Ldc,
    pub nonsensitive: Ldc,
    hourly_total: Vec<f64>,
    hourly_sensitive: Vec<f64>,
    /// The month's arrivals by class, for a scenario whose model walks the hours
    /// ([`Input::hourly`]); empty otherwise.
    pub arrivals: queue::Arrivals,
    /// Which demand this is: a number drawn anew each time demand is built, so that a queue
    /// simulated on it can be reused while the demand stays the same.
    generation: u64,
}

/// Source of [`MonthDemand::generation`] numbers.
static DEMAND_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_generation() -> u64 {
    DEMAND_GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl MonthDemand {
    /// The month's hourly load of the load profiles, in hour order, before the month's demand
    /// factor (`demand_scale` and the scenario's growth).
    pub fn hourly_total(&self) -> &[f64] {
        &self.hourly_total
    }

    fn has_sensitive(&self) -> bool {
        self.sensitive.total() > 0.0
    }
}

/// The waiting workloads of `input` in the order the queue serves arrivals of the same hour
/// (README Q3): sensitive first, then the shorter wait, then scenario order.
pub fn waiting_order(input: &Input) -> Vec<queue::Waiting> {
    let mut waiting: Vec<queue::Waiting> = input
        .workloads
        .iter()
        .enumerate()
        .filter(|(_, w)| w.max_wait_hours > 0)
        .map(|(n, w)| queue::Waiting {
            workload: n,
            max_wait_hours: w.max_wait_hours,
            sensitive: w.sensitive,
            unserved_price: w.unserved_cost_per_gpu_hour.unwrap_or(0.0),
        })
        .collect();
    waiting.sort_by_key(|w| (!w.sensitive, w.max_wait_hours, w.workload));
    waiting
}

/// Hourly demand of month `m` (equation M1) into `total` and its sensitive part into
/// `sensitive`: workload w contributes D_w × (1+g_w)^(m/12) × season_w(month) × shape_w(h).
/// For a scenario that walks the hours, also the month's arrivals by class (README Q1).
#[inline(always)]
fn month_loads(
    input: &Input,
    m: usize,
    total: &mut Vec<f64>,
    sensitive: &mut Vec<f64>,
    arrivals: &mut queue::Arrivals,
) {
    let month0 = input.start.plus(m as u32).month0();
    for v in [&mut *total, &mut *sensitive] {
        v.clear();
        v.resize(HOURS_PER_MONTH, 0.0);
    }
    let hourly = input.hourly();
    let waiting = if hourly {
        waiting_order(input)
    } else {
        Vec::new()
    };
    let priced_by_hour = hourly && input.uniform_unserved_price().is_none();
    {
        let a = &mut *arrivals;
        let classes = [
            &mut a.interactive_sensitive,
            &mut a.interactive_other,
            &mut a.price_sensitive,
            &mut a.price_other,
        ];
        for (c, v) in classes.into_iter().enumerate() {
            v.clear();
            if hourly && (c < 2 || priced_by_hour) {
                v.resize(HOURS_PER_MONTH, 0.0);
            }
        }
        a.waiting.resize_with(waiting.len(), Vec::new);
        for v in &mut a.waiting {
            v.clear();
            v.resize(HOURS_PER_MONTH, 0.0);
        }
    }
    for (n, w) in input.workloads.iter().enumerate() {
        let month_total = w.ref_gpu_hours_per_month
            * (1.0 + w.growth_per_year).powf(m as f64 / 12.0)
            * w.profile.season(month0);
        if hourly {
            let series = match waiting.iter().position(|q| q.workload == n) {
                Some(j) => &mut arrivals.waiting[j],
                None if w.sensitive => &mut arrivals.interactive_sensitive,
                None => &mut arrivals.interactive_other,
            };
            for (a, weight) in series.iter_mut().zip(w.profile.month_shape(month0)) {
                *a += month_total * weight;
            }
            if priced_by_hour && w.max_wait_hours == 0 {
                let price = w.unserved_cost_per_gpu_hour.unwrap_or(0.0);
                let values = if w.sensitive {
                    &mut arrivals.price_sensitive
                } else {
                    &mut arrivals.price_other
                };
                for (v, weight) in values.iter_mut().zip(w.profile.month_shape(month0)) {
                    *v += month_total * weight * price;
                }
            }
        }
        let shape = w.profile.month_shape(month0);
        if w.sensitive {
            for ((t, s), weight) in total.iter_mut().zip(sensitive.iter_mut()).zip(shape) {
                let load = month_total * weight;
                *t += load;
                *s += load;
            }
        } else {
            for (t, weight) in total.iter_mut().zip(shape) {
                *t += month_total * weight;
            }
        }
    }
    // Value-weighted sums of the interactive classes become mean prices per GPU-hour.
    let a = &mut *arrivals;
    for (prices, loads) in [
        (&mut a.price_sensitive, &a.interactive_sensitive),
        (&mut a.price_other, &a.interactive_other),
    ] {
        for (p, l) in prices.iter_mut().zip(loads) {
            *p = if *l > 0.0 { *p / l } else { 0.0 };
        }
    }
    a.order.clear();
    a.sorted_total.clear();
    if hourly {
        a.total();
    } else {
        a.hour_total.clear();
        a.sums.clear();
    }
}

/// Load that may go to a cloud in each hour: all load less the sensitive part.
#[inline(always)]
fn nonsensitive<'a>(total: &'a [f64], sensitive: &'a [f64]) -> impl Iterator<Item = f64> + 'a {
    total.iter().zip(sensitive).map(|(t, s)| (t - s).max(0.0))
}

/// Load-duration curves of every month's demand (equation M1), the months built in parallel
/// where there is more than one worker thread (each month's curves depend on that month alone,
/// so they are the same whatever the number of threads). With one, they are built on the
/// calling thread, which is faster than handing them to the pool's one worker.
pub fn demand_curves(input: &Input) -> Vec<MonthDemand> {
    use rayon::prelude::*;
    let generation = next_generation();
    let month = |m| {
        let (mut total, mut sensitive) = (Vec::new(), Vec::new());
        let mut arrivals = queue::Arrivals::default();
        month_loads(input, m, &mut total, &mut sensitive, &mut arrivals);
        if input.hourly() {
            // The scenario's own months are read by every sample: index them once.
            arrivals.index();
        }
        let rest: Vec<f64> = nonsensitive(&total, &sensitive).collect();
        MonthDemand {
            total: Ldc::new(&total),
            sensitive: Ldc::new(&sensitive),
            nonsensitive: Ldc::new(&rest),
            hourly_total: total,
            hourly_sensitive: sensitive,
            arrivals,
            generation,
        }
    };
    let months = 0..input.horizon_months;
    if rayon::current_num_threads() > 1 {
        months.into_par_iter().map(month).collect()
    } else {
        months.map(month).collect()
    }
}

/// Every month's demand (equation M1) as hourly curves, built into `months` with their
/// allocations reused: the same loads as [`demand_curves`] without sorting them, for a Monte
/// Carlo sample that changes demand (each of its curves is read only a few times). Answers
/// agree with the load-duration curves' to rounding, not to the last bit.
pub fn demand_hourly_into(input: &Input, months: &mut Vec<MonthDemand>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2, checked just above.
        unsafe { demand_hourly_avx2(input, months) };
        return;
    }
    demand_hourly_in(input, months);
}

/// [`demand_hourly_in`] compiled with AVX2: its loops over the hours take four hours to an
/// instruction instead of two, the same operations on the same operands (so the same bits).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn demand_hourly_avx2(input: &Input, months: &mut Vec<MonthDemand>) {
    demand_hourly_in(input, months);
}

/// The body of [`demand_hourly_into`].
#[inline(always)]
fn demand_hourly_in(input: &Input, months: &mut Vec<MonthDemand>) {
    months.resize_with(input.horizon_months, MonthDemand::default);
    let generation = next_generation();
    for (m, d) in months.iter_mut().enumerate() {
        d.generation = generation;
        month_loads(
            input,
            m,
            &mut d.hourly_total,
            &mut d.hourly_sensitive,
            &mut d.arrivals,
        );
        d.total.set_hourly(d.hourly_total.iter().copied());
        d.sensitive.set_hourly(d.hourly_sensitive.iter().copied());
        d.nonsensitive
            .set_hourly(nonsensitive(&d.hourly_total, &d.hourly_sensitive));
    }
}

/// `(1 + g)^(m/12)` for months `0..h`, from twelve `powf` calls and a running yearly power,
/// so that a Monte Carlo sample that moves `g` does not pay for a `powf` per month. Exactly 1
/// throughout when `g` is 0.
pub fn monthly_growth(g: f64, h: usize) -> impl Iterator<Item = f64> {
    let step = 1.0 + g;
    let within: [f64; 12] = std::array::from_fn(|k| {
        if g == 0.0 {
            1.0
        } else {
            step.powf(k as f64 / 12.0)
        }
    });
    let mut year = 1.0;
    (0..h).map(move |m| {
        if m > 0 && m % 12 == 0 {
            year *= step;
        }
        year * within[m % 12]
    })
}

/// An upper bound of the demand of any month of the horizon [reference GPU-hours], by
/// workload: its first month's hours × `demand_scale` × the largest growth over the horizon ×
/// its largest seasonal factor (README "Limits"). Computed in logarithms, so it is itself
/// finite or +∞ for any input.
pub fn monthly_demand_bounds(input: &Input) -> Vec<f64> {
    let years = input.horizon_months.saturating_sub(1) as f64 / 12.0;
    let overall = (1.0 + input.demand_growth_per_year).ln();
    input
        .workloads
        .iter()
        .map(|w| {
            if w.ref_gpu_hours_per_month <= 0.0 || input.demand_scale <= 0.0 {
                return 0.0;
            }
            let season = (0..12).map(|m| w.profile.season(m)).fold(1.0_f64, f64::max);
            let growth = years * ((1.0 + w.growth_per_year).ln() + overall);
            (w.ref_gpu_hours_per_month.ln()
                + input.demand_scale.ln()
                + growth.max(0.0)
                + season.ln())
            .exp()
        })
        .collect()
}

/// Runs every option of `input` and compares each with the baseline.
pub fn simulate(input: &Input) -> Output {
    let months = demand_curves(input);
    simulate_with(input, &months)
}

/// As [`simulate`], with the demand curves computed once by the caller.
pub fn simulate_with(input: &Input, months: &[MonthDemand]) -> Output {
    let mut options = simulate_options(input, months);
    let cheapest = cheapest_cloud(input);
    let baseline = input.baseline.min(options.len().saturating_sub(1));
    compare(input, &mut options, baseline);
    for (result, option) in options.iter_mut().zip(&input.options) {
        if let (Some(owned), Some(price)) = (&option.owned, cheapest) {
            result.break_even_utilization = break_even(input, owned, result, price);
        }
    }
    let verdict = verdict(input, &options);
    Output {
        options,
        baseline,
        cheapest_cloud_per_ref_gpu_hour: cheapest,
        verdict,
    }
}

/// Cheapest on-demand price per reference GPU-hour among the scenario's cloud offers.
fn cheapest_cloud(input: &Input) -> Option<f64> {
    input
        .options
        .iter()
        .filter_map(|o| o.cloud.as_ref())
        .map(|c| c.on_demand_per_gpu_hour / c.rel_throughput)
        .filter(|p| p.is_finite())
        .min_by(|a, b| a.total_cmp(b))
}

/// Monthly factors shared by every option of a scenario, recomputed only when their inputs
/// change, so that Monte Carlo samples pay for `powf` only when a sample moves the input.
#[derive(Debug, Clone, Default)]
struct Tables {
    /// The inputs each table was computed from: demand, escalation, discount.
    keys: [Option<[u64; 3]>; 3],
    /// Demand factor of each month (M1).
    scale: Vec<f64>,
    /// `1 / scale`, so that each curve search multiplies instead of dividing.
    inv_scale: Vec<f64>,
    /// Electricity escalation factor of each month.
    escalation: Vec<f64>,
    /// Discount factor at times 0..=H months (F2).
    discount: Vec<f64>,
}

impl Tables {
    fn update(&mut self, input: &Input) {
        let h = input.horizon_months;
        let bits = |a: f64, b: f64| Some([a.to_bits(), b.to_bits(), h as u64]);
        let keys = [
            bits(input.demand_scale, input.demand_growth_per_year),
            bits(input.electricity_escalation_per_year, 0.0),
            bits(input.discount_rate, 0.0),
        ];
        if self.keys[0] != keys[0] {
            self.scale.clear();
            self.scale.extend(
                monthly_growth(input.demand_growth_per_year, h).map(|g| input.demand_scale * g),
            );
            self.inv_scale.clear();
            self.inv_scale.extend(
                self.scale
                    .iter()
                    .map(|f| if *f > 0.0 { 1.0 / f } else { 0.0 }),
            );
        }
        if self.keys[1] != keys[1] {
            self.escalation.clear();
            self.escalation
                .extend(monthly_growth(input.electricity_escalation_per_year, h));
        }
        if self.keys[2] != keys[2] {
            let i = finance::monthly_rate(input.discount_rate);
            self.discount.clear();
            self.discount
                .extend((0..=h).map(|t| finance::discount_factor(i, t as f64)));
        }
        self.keys = keys;
    }
}

/// Load served on-prem, left for the cloud, and unmet, in one month (equations M2-M4, Q1-Q7).
#[derive(Debug, Clone, Copy, Default)]
struct Split {
    onprem: f64,
    cloud: f64,
    /// `cloud` as held on the cloud's GPUs (README SG3): what is billed; `cloud` without
    /// fractional workloads.
    cloud_held: f64,
    /// Load held on the fractional offer's GPUs (SG3).
    small_held: f64,
    unmet: f64,
    /// Price of `unmet` (Q7).
    unserved_cost: f64,
    /// Served on-prem after waiting at least an hour (Q4).
    after_wait: f64,
    /// Demand of trace workloads arriving in the month (T5); the rest is the curves'.
    trace_demand: f64,
    /// Work of waiting workloads served on-prem, and Σ of it × its wait (Q4).
    waiting_served: f64,
    wait_sum: f64,
}

/// Reusable buffers of one option's evaluation.
#[derive(Debug, Clone, Default)]
struct Scratch {
    costs: Vec<[f64; Category::COUNT]>,
    start: Vec<f64>,
    end: Vec<f64>,
    depreciation: Vec<f64>,
    /// Hardware, financing and lease paid at the start of each month (purchases, down
    /// payments, a loan settled at a refresh), for the ROI's investment (F3); detail only.
    invest_start: Vec<f64>,
    splits: Vec<Split>,
    committed: Vec<f64>,
    /// Reference GPU-hours of cloud load covered by committed GPUs, per month.
    covered: Vec<f64>,
    /// The queue's months, for a scenario that walks the hours.
    queue: Vec<queue::QueueMonth>,
    /// What `queue` was simulated for: the same key gives the same queue, which a Monte Carlo
    /// sample that changes no demand and no capacity reuses instead of walking the hours again.
    queue_key: Vec<u64>,
    /// What `start` and `end` were filled for without detail ([`schedule_key`]): a Monte
    /// Carlo sample that changes none of it keeps them.
    schedule_key: Option<[u64; 10]>,
    /// With tax: the deductions of owned hardware (README TX1).
    tax: tax::OwnedDeductions,
    /// The replay of the trace workloads on this option (T3-T5), and what it was replayed for.
    trace: Option<std::sync::Arc<trace::TraceRun>>,
    trace_key: Vec<u64>,
    /// The purchases of owned servers when a refresh installs other hardware (README G1);
    /// empty when every purchase installs the first one's.
    purchases: Vec<generations::Purchase>,
    /// The generation rented in each month by an option that rides its cloud's generations
    /// (G4); empty for one that rents its offer all along.
    rides: Vec<generations::Ride>,
    /// With fractional workloads (SG3): the option's held loads by month, what they were built
    /// for (the demand and the inflations), and one month's held cloud load by hour.
    held: std::sync::Arc<Vec<sharing::HeldMonth>>,
    held_key: Option<Vec<u64>>,
    cloud_hourly: Vec<f64>,
}

impl Scratch {
    /// The owned part `o` as installed in month `m`: the purchase's own when a refresh installs
    /// other hardware (G1).
    fn owned_at<'a>(&'a self, o: &'a OwnedIn, m: usize) -> &'a OwnedIn {
        match self.purchases.len() {
            0 => o,
            n => &self.purchases[self.purchases.partition_point(|p| p.end <= m).min(n - 1)].owned,
        }
    }

    /// The generation a cloud option rents in month `m` (G4).
    fn ride_at(&self, m: usize) -> generations::Ride {
        self.rides
            .get(m)
            .copied()
            .unwrap_or(generations::Ride::OFFER)
    }

    /// Throughput of one of `c`'s GPUs in month `m` [reference GPUs] (G4).
    fn cloud_rel(&self, c: &CloudIn, m: usize) -> f64 {
        match self.rides.get(m) {
            Some(r) => c.rel_throughput * r.speed,
            None => c.rel_throughput,
        }
    }
}

/// Everything [`trace::replay`] reads for `option`, bit for bit.
fn trace_key(input: &Input, option: &OptionIn) -> Vec<u64> {
    let mut key = vec![
        input.horizon_months as u64,
        input.demand_scale.to_bits(),
        input.demand_growth_per_year.to_bits(),
        option.kind as u64,
    ];
    if let Some(o) = &option.owned {
        key.extend([
            u64::from(o.servers),
            u64::from(o.gpus_per_server),
            o.rel_throughput.to_bits(),
            o.availability.to_bits(),
            o.scheduler as u64,
        ]);
    }
    if let Some(c) = &option.cloud {
        key.push(c.rel_throughput.to_bits());
    }
    for w in input.workloads.iter().filter(|w| w.trace.is_some()) {
        key.extend([
            w.trace
                .as_ref()
                .map_or(0, |t| std::sync::Arc::as_ptr(t) as u64),
            w.growth_per_year.to_bits(),
            w.unserved_cost_per_gpu_hour.map_or(u64::MAX, f64::to_bits),
            u64::from(w.sensitive),
        ]);
    }
    key
}

/// Everything [`owned_schedule`] reads without detail, bit for bit.
fn schedule_key(h: usize, o: &OwnedIn) -> [u64; 10] {
    let (financing, rate, term, share) = match o.financing {
        Financing::Cash => (0, 0.0, 0, 0.0),
        Financing::Loan {
            annual_rate,
            term_months,
            down_payment,
        } => (1, annual_rate, term_months, down_payment),
        Financing::Lease {
            annual_rate,
            term_months,
            residual,
        } => (2, annual_rate, term_months, residual),
    };
    [
        h as u64,
        u64::from(o.servers),
        o.server_price.to_bits(),
        o.cycle_months.map_or(u64::MAX, u64::from),
        o.residual_value.to_bits(),
        o.support_pct_per_year.to_bits(),
        o.warranty_months.to_bits(),
        financing | (u64::from(term) << 8),
        rate.to_bits(),
        share.to_bits(),
    ]
}

/// Reusable buffers for evaluating every option of a scenario, so that repeated evaluations
/// (Monte Carlo samples) allocate nothing after the first.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    tables: Tables,
    options: Vec<Scratch>,
    /// The price of a GPU-hour of unserved work when it is the same for every workload (0
    /// when unpriced).
    unserved_price: f64,
    /// Queue tables for samples that scale the scenario's demand, when the caller has them.
    queue_tables: Option<std::sync::Arc<QueueTables>>,
    /// Buffers of Monte Carlo's evaluation of a block of samples.
    block: block::Buffers,
    /// The queue's ring of waiting work, shared by the options (one is simulated at a time).
    queue_scratch: queue::QueueScratch,
}

impl Workspace {
    /// A workspace whose evaluations read the queues of scaled demand off `tables` (README
    /// "Work that waits in Monte Carlo") where they apply.
    pub fn with_queue_tables(tables: Option<std::sync::Arc<QueueTables>>) -> Workspace {
        Workspace {
            queue_tables: tables,
            ..Workspace::default()
        }
    }
}

/// One option in one month.
#[derive(Debug, Clone, Copy)]
pub struct MonthFlows {
    pub demand_gpu_hours: f64,
    pub served_onprem_gpu_hours: f64,
    pub served_cloud_gpu_hours: f64,
    pub unmet_gpu_hours: f64,
    pub served_after_wait_gpu_hours: f64,
    /// Work of waiting workloads served on-prem, and Σ of it × its wait [GPU-hour-hours].
    pub waiting_served_gpu_hours: f64,
    pub wait_sum: f64,
    /// Price of the month's unserved work (Q7), also in `costs` and `end_flow`.
    pub unserved_cost: f64,
    pub costs: [f64; Category::COUNT],
    pub start_flow: f64,
    pub end_flow: f64,
    pub depreciation: f64,
    /// The part of the hardware, financing and lease costs paid at the month's start (detail
    /// only).
    pub investment_at_start: f64,
    /// Income tax of the month (README TX3; negative: tax saved), also in `start_flow` and
    /// `end_flow`; 0 without tax.
    pub tax: f64,
    /// The part of `tax` at the start of the month (on a disposal at a refresh).
    pub tax_at_start: f64,
    pub energy_kwh: f64,
    pub co2_t: f64,
    pub owned_utilization: Option<f64>,
}

/// Totals of one option, accumulated month by month in month order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub pv_cost: f64,
    pub total_cost: f64,
    pub breakdown: [f64; Category::COUNT],
    pub demand_gpu_hours: f64,
    pub served_onprem_gpu_hours: f64,
    pub served_cloud_gpu_hours: f64,
    pub unmet_gpu_hours: f64,
    pub served_after_wait_gpu_hours: f64,
    pub waiting_served_gpu_hours: f64,
    pub wait_sum: f64,
    /// Price of unserved work (Q7), also inside `pv_cost` and `total_cost`.
    pub unserved_cost: f64,
    pub energy_kwh: f64,
    pub co2_t: f64,
    pub depreciation: f64,
    /// With tax: its totals (README TX1-TX4).
    pub tax: TaxTotals,
}

impl Totals {
    fn add(&mut self, m: usize, f: &MonthFlows, discount: &[f64], detail: bool) {
        // Capex at the start of its month, the rest at the end (equation F2).
        self.pv_cost += f.start_flow * discount[m] + f.end_flow * discount[m + 1];
        self.total_cost += f.start_flow + f.end_flow;
        if detail {
            for (b, c) in self.breakdown.iter_mut().zip(&f.costs) {
                *b += c;
            }
        }
        self.demand_gpu_hours += f.demand_gpu_hours;
        self.served_onprem_gpu_hours += f.served_onprem_gpu_hours;
        self.served_cloud_gpu_hours += f.served_cloud_gpu_hours;
        self.unmet_gpu_hours += f.unmet_gpu_hours;
        self.served_after_wait_gpu_hours += f.served_after_wait_gpu_hours;
        self.waiting_served_gpu_hours += f.waiting_served_gpu_hours;
        self.wait_sum += f.wait_sum;
        self.unserved_cost += f.unserved_cost;
        self.energy_kwh += f.energy_kwh;
        self.co2_t += f.co2_t;
        self.depreciation += f.depreciation;
    }

    /// Cash cost (total less the price of unserved work) per delivered reference GPU-hour;
    /// `None` when nothing was delivered.
    /// Cost per reference GPU-hour delivered (README "Cost per GPU-hour"); none when less than
    /// a millionth of a GPU-hour is delivered over the horizon, whose price per GPU-hour would
    /// be meaningless (or beyond the range of numbers).
    pub fn cost_per_gpu_hour(&self) -> Option<f64> {
        let delivered = self.served_onprem_gpu_hours + self.served_cloud_gpu_hours;
        (delivered >= 1e-6).then(|| (self.total_cost - self.unserved_cost) / delivered)
    }
}

/// Fills the monthly flows of owned hardware that do not depend on load: purchases,
/// financing, resale, support, and (when asked) accounting depreciation.
/// Without `detail`, only the cash flows are filled (no categories, no depreciation).
fn owned_schedule(input: &Input, o: &OwnedIn, s: &mut Scratch, detail: bool) {
    let h = input.horizon_months;
    let key = (!detail && o.refresh.is_none()).then(|| schedule_key(h, o));
    if key.is_some() && s.schedule_key == key {
        return;
    }
    s.schedule_key = key;
    s.costs.clear();
    s.depreciation.clear();
    s.invest_start.clear();
    if detail {
        s.costs.resize(h, [0.0; Category::COUNT]);
        s.depreciation.resize(h, 0.0);
        s.invest_start.resize(h, 0.0);
    }
    for v in [&mut s.start, &mut s.end] {
        v.clear();
        v.resize(h, 0.0);
    }
    if o.servers == 0 {
        return;
    }
    let cycle = o.cycle_months.map(|c| c.max(1) as usize).unwrap_or(h);
    let residual_life = cycle as f64;
    let purchases = std::mem::take(&mut s.purchases);
    let add = |s: &mut Scratch, m: usize, cat: Category, amount: f64, at_start: bool| {
        if let Some(c) = s.costs.get_mut(m) {
            c[cat as usize] += amount;
        }
        if at_start {
            s.start[m] += amount;
            if matches!(
                cat,
                Category::Hardware | Category::Financing | Category::Lease
            ) && let Some(v) = s.invest_start.get_mut(m)
            {
                *v += amount;
            }
        } else {
            s.end[m] += amount;
        }
    };
    for (start, end, o) in spans(o, &purchases, h) {
        let price = f64::from(o.servers) * o.server_price;
        let age = end - start;
        let refresh = end < h;
        // Disposal: at the start of the refresh month, or at the end of the last month.
        let (dispose_month, dispose_at_start) = if refresh { (end, true) } else { (h - 1, false) };
        // Resale value decays geometrically to `residual_value` over one cycle (equation M9).
        let resale = price * o.residual_value.powf(age as f64 / residual_life);
        match o.financing {
            Financing::Cash => {
                add(s, start, Category::Hardware, price, true);
                add(
                    s,
                    dispose_month,
                    Category::ResidualValue,
                    -resale,
                    dispose_at_start,
                );
            }
            Financing::Loan {
                annual_rate,
                term_months,
                down_payment,
            } => {
                let down = price * down_payment;
                let financed = price - down;
                let rate = annual_rate / 12.0;
                add(s, start, Category::Hardware, down, true);
                let pmt = finance::payment(rate, term_months, financed, 0.0).unwrap_or(0.0);
                let paid = (term_months as usize).min(age);
                for m in start..start + paid {
                    add(s, m, Category::Financing, pmt, false);
                }
                if paid < term_months as usize {
                    let balance =
                        finance::remaining_balance(rate, term_months, financed, 0.0, paid as u32)
                            .unwrap_or(0.0);
                    add(
                        s,
                        dispose_month,
                        Category::Financing,
                        balance,
                        dispose_at_start,
                    );
                }
                add(
                    s,
                    dispose_month,
                    Category::ResidualValue,
                    -resale,
                    dispose_at_start,
                );
            }
            Financing::Lease {
                annual_rate,
                term_months,
                residual,
            } => {
                let pmt =
                    finance::payment(annual_rate / 12.0, term_months, price, price * residual)
                        .unwrap_or(0.0);
                for m in start..start + (term_months as usize).min(age) {
                    add(s, m, Category::Lease, pmt, false);
                }
            }
        }
        if detail && !matches!(o.financing, Financing::Lease { .. }) {
            let schedule = finance::monthly_depreciation(&o.depreciation, price);
            for (j, d) in schedule.iter().enumerate().take(age) {
                s.depreciation[start + j] += d;
            }
        }
        let support = price * o.support_pct_per_year / 100.0 / 12.0;
        // Support from the first month of age at least the warranty: `k as f64 >= w` for a
        // whole age `k` is `k >= ceil(w)` (a warranty is a finite number of months >= 0).
        let from = start + (o.warranty_months.max(0.0).ceil() as usize).min(end - start);
        for m in from..end {
            add(s, m, Category::Support, support, false);
        }
    }
    s.purchases = purchases;
}

/// The owned capacity the fractional workloads of `input` hold on `o`'s GPUs (those of the
/// purchase installed in each month, G1), as it shares them and as whole GPUs (SG5), their
/// months' demand scaled by `scale`.
fn sharing_row(
    input: &Input,
    o: &OwnedIn,
    purchases: &[generations::Purchase],
    scale: &[f64],
) -> SharingRow {
    let mut row = SharingRow {
        mode: o.sharing.as_str(),
        fractional_gpu_hours: 0.0,
        held_gpu_hours: 0.0,
        held_without_sharing_gpu_hours: 0.0,
    };
    let installed = |m: usize| {
        purchases
            .iter()
            .find(|p| p.start <= m && m < p.end)
            .map_or(o, |p| &p.owned)
    };
    for w in input.workloads.iter().filter(|w| w.gpu_fraction.is_some()) {
        for m in 0..input.horizon_months {
            let o = installed(m);
            let shared = sharing::inflation(w.gpu_fraction, o.rel_throughput, &o.sharing);
            let whole =
                sharing::inflation(w.gpu_fraction, o.rel_throughput, &sharing::Sharing::None);
            let month0 = input.start.plus(m as u32).month0();
            let work = scale.get(m).copied().unwrap_or(1.0)
                * w.ref_gpu_hours_per_month
                * (1.0 + w.growth_per_year).powf(m as f64 / 12.0)
                * w.profile.season(month0);
            row.fractional_gpu_hours += work;
            row.held_gpu_hours += work * shared;
            row.held_without_sharing_gpu_hours += work * whole;
        }
    }
    row
}

/// Reference GPU-hours installed over `h` months, generation by generation (G1).
fn capacity_hours(o: &OwnedIn, purchases: &[generations::Purchase], h: usize) -> f64 {
    if purchases.is_empty() {
        return o.gpus() * o.rel_throughput * HOURS * h as f64;
    }
    purchases
        .iter()
        .map(|p| p.owned.gpus() * p.owned.rel_throughput * HOURS * (p.end - p.start) as f64)
        .sum()
}

/// The purchases of owned part `o` over `h` months as (first month, end month, what is
/// installed): `purchases` when a refresh installs other hardware (G1), else every cycle of `o`
/// (M9).
fn spans<'a>(
    o: &'a OwnedIn,
    purchases: &'a [generations::Purchase],
    h: usize,
) -> Vec<(usize, usize, &'a OwnedIn)> {
    if !purchases.is_empty() {
        return purchases
            .iter()
            .map(|p| (p.start, p.end, &p.owned))
            .collect();
    }
    let cycle = o.cycle_months.map(|c| c.max(1) as usize).unwrap_or(h);
    (0..h)
        .step_by(cycle.max(1))
        .map(|start| (start, (start + cycle).min(h), o))
        .collect()
}

/// Evaluates every option month by month, handing each option's months to `sink` (option
/// index, month, flows) and writing each option's totals. Without `detail`, the cost
/// categories and accounting depreciation are left at zero (Monte Carlo needs only the cash
/// flows, which are computed the same way either way). Both the deterministic run and every
/// Monte Carlo sample go through here, so they agree to the last bit for the same inputs. The
/// load-duration curves are read month by month for all options together, so each month's
/// curves are fetched from memory once.
pub fn evaluate_all(
    input: &Input,
    months: &[MonthDemand],
    ws: &mut Workspace,
    detail: bool,
    totals: &mut [Totals],
    sink: impl FnMut(usize, usize, &MonthFlows),
) {
    prepare(input, ws, detail);
    held_loads(input, months, ws);
    if input.hourly() {
        hourly_splits(input, months, ws, detail);
    } else {
        for (m, d) in months.iter().enumerate().take(input.horizon_months) {
            split_month(input, m, d, ws);
        }
    }
    finish(input, months, ws, detail, totals, sink);
}

/// [`evaluate_all`] for several inputs over the same demand curves (Monte Carlo samples that do
/// not change demand): the curves are read month by month for all inputs together, so each
/// month's curves come from memory once per block instead of once per sample. Results are
/// exactly those of [`evaluate_all`] on each input.
pub fn evaluate_block(
    inputs: &[Input],
    months: &[MonthDemand],
    workspaces: &mut [Workspace],
    detail: bool,
    totals: &mut [Vec<Totals>],
    mut sink: impl FnMut(usize, usize, usize, &MonthFlows),
) {
    if inputs.iter().any(Input::hourly) {
        // Queues walk the hours of each input on its own.
        for (j, ((input, ws), totals)) in inputs
            .iter()
            .zip(workspaces.iter_mut())
            .zip(totals.iter_mut())
            .enumerate()
        {
            evaluate_all(input, months, ws, detail, totals, |n, m, f| {
                sink(j, n, m, f)
            });
        }
        return;
    }
    for (input, ws) in inputs.iter().zip(workspaces.iter_mut()) {
        prepare(input, ws, detail);
        held_loads(input, months, ws);
    }
    let h = inputs.iter().map(|i| i.horizon_months).min().unwrap_or(0);
    for (m, d) in months.iter().enumerate().take(h) {
        for (input, ws) in inputs.iter().zip(workspaces.iter_mut()) {
            split_month(input, m, d, ws);
        }
    }
    for (j, ((input, ws), totals)) in inputs
        .iter()
        .zip(workspaces.iter())
        .zip(totals.iter_mut())
        .enumerate()
    {
        finish(input, months, ws, detail, totals, |n, m, f| {
            sink(j, n, m, f)
        });
    }
}

/// The held loads of every option of `input` that has fractional workloads (README SG3), built
/// again only when the demand or the inflations changed; cleared for the others.
fn held_loads(input: &Input, months: &[MonthDemand], ws: &mut Workspace) {
    let generation = months.first().map_or(0, |d| d.generation);
    let h = input.horizon_months;
    for (option, scratch) in input.options.iter().zip(ws.options.iter_mut()) {
        // The inflations of each span of months with the same hardware: the purchases' when a
        // refresh installs other hardware (G1), else the whole horizon's.
        let spans: Vec<(std::ops::Range<usize>, Option<sharing::Inflations>)> =
            if !input.has_fractions() {
                Vec::new()
            } else if scratch.purchases.is_empty() {
                vec![(0..h, sharing::inflations(input, option))]
            } else {
                scratch
                    .purchases
                    .iter()
                    .map(|p| {
                        let installed = OptionIn {
                            owned: Some(p.owned.clone()),
                            ..option.clone()
                        };
                        (p.start..p.end, sharing::inflations(input, &installed))
                    })
                    .collect()
            };
        if spans.iter().all(|(_, x)| x.is_none()) {
            if !scratch.held.is_empty() {
                scratch.held = Default::default();
            }
            scratch.held_key = None;
            continue;
        }
        let needs = sharing::Needs {
            sensitive: input.workloads.iter().any(|w| w.sensitive),
            cloud: option.cloud.is_some(),
            small: option
                .cloud
                .as_ref()
                .is_some_and(|c| c.fractional.is_some()),
            interactive: input.hourly(),
        };
        // What the held loads are built from: the demand, the spans' inflations, and which
        // loads are built (an option without a cloud part leaves its cloud loads empty, so it
        // must not hand them to one with the same inflations that has).
        let key: Vec<u64> = [generation, h as u64, needs.bits()]
            .into_iter()
            .chain(spans.iter().flat_map(|(r, x)| {
                [r.start as u64, r.end as u64]
                    .into_iter()
                    .chain(x.iter().flat_map(|x| x.bits()).collect::<Vec<_>>())
            }))
            .collect();
        if scratch.held_key.as_ref() != Some(&key) {
            // One copy of the held loads for every workspace that needs the same (the samples
            // of a Monte Carlo run that change neither demand nor inflations).
            scratch.held = sharing::cached(&key, || {
                let mut held = Vec::new();
                for (range, x) in &spans {
                    let ones = || sharing::Inflations::ones(input.workloads.len());
                    let x = x.clone().unwrap_or_else(ones);
                    sharing::held_months(input, &x, needs, range.clone(), &mut held);
                }
                held
            });
            scratch.held_key = Some(key);
        }
    }
}

/// Tables and owned-hardware schedules of `input`, and empty per-month buffers.
fn prepare(input: &Input, ws: &mut Workspace, detail: bool) {
    ws.tables.update(input);
    ws.unserved_price = input.uniform_unserved_price().unwrap_or(0.0);
    ws.options
        .resize_with(input.options.len(), Scratch::default);
    let h = input.horizon_months;
    for (option, scratch) in input.options.iter().zip(ws.options.iter_mut()) {
        scratch.purchases.clear();
        scratch.rides.clear();
        if let Some(o) = option.owned.as_ref().filter(|o| o.servers > 0) {
            if o.refresh.is_some() {
                scratch.purchases = generations::purchases(o, &input.generations, h);
            }
            owned_schedule(input, o, scratch, detail);
            if input.tax.is_some() {
                tax::owned_deductions(input, o, &scratch.purchases, &mut scratch.tax);
            }
        }
        if let Some(c) = option.cloud.as_ref()
            && let Some(release) = c.ride_release_month
        {
            scratch.rides = generations::ride(
                release,
                &input.generations,
                c.commitment,
                c.commit_term_months,
                h,
            );
        }
        scratch.splits.clear();
        scratch.committed.clear();
        scratch.covered.clear();
    }
}

/// Load served on-prem, left for the cloud, and covered by commitments in month `m`, for every
/// option (M2-M4, M6), from the load-duration curves: every load served in its hour or not at
/// all.
fn split_month(input: &Input, m: usize, d: &MonthDemand, ws: &mut Workspace) {
    let f = ws.tables.scale[m];
    let inv = ws.tables.inv_scale[m];
    let price = ws.unserved_price;
    for (option, scratch) in input.options.iter().zip(ws.options.iter_mut()) {
        let capacity = owned_capacity(option, scratch, m);
        if let Some(held) = scratch.held.get(m) {
            // Shared GPUs (SG3): hour by hour on the held loads.
            let mut hourly = std::mem::take(&mut scratch.cloud_hourly);
            let (onprem, cloud, unmet, small) =
                sharing::split_held(option.kind, capacity, d, held, f, &mut hourly);
            let split = Split {
                onprem,
                cloud,
                cloud_held: hourly.iter().sum(),
                small_held: small,
                unmet,
                unserved_cost: if price > 0.0 { unmet * price } else { 0.0 },
                ..Split::default()
            };
            scratch.splits.push(split);
            if let Some(c) = option.cloud.as_ref() {
                let k_ref = commit(c, m, split.cloud_held, scratch) * scratch.cloud_rel(c, m);
                let covered = if k_ref > 0.0 {
                    hourly.iter().map(|x| x.min(k_ref)).sum()
                } else {
                    0.0
                };
                scratch.covered.push(covered);
            }
            scratch.cloud_hourly = hourly;
            continue;
        }
        let split = split_option(option.kind, capacity, d, f, inv, price);
        scratch.splits.push(split);
        let Some(c) = option.cloud.as_ref() else {
            continue;
        };
        let k_ref = commit(c, m, split.cloud, scratch) * scratch.cloud_rel(c, m);
        let answers = Scaled {
            capacity: k_ref,
            f,
            inv,
        };
        let covered = covered_ref(
            option.kind,
            capacity,
            k_ref,
            split.cloud,
            d,
            f,
            inv,
            answers,
        );
        scratch.covered.push(covered);
    }
}

/// Load served on-prem, left for the cloud, and unmet in one month of one option (M2-M4, Q7),
/// from the load-duration curves `d` scaled by `f` (`inv` = 1 / `f`); `capacity` is the
/// option's owned capacity [reference GPUs] and `price` the uniform price of unserved work.
#[inline]
fn split_option(kind: Kind, capacity: f64, d: &MonthDemand, f: f64, inv: f64, price: f64) -> Split {
    split_with(kind, d, f, price, Scaled { capacity, f, inv })
}

/// How an evaluation answers `served` of a month's curve for an option's capacity: slot 0 for
/// the total curve (or a cloud option's non-sensitive one), 1 for the sensitive one.
trait Answers {
    fn served(&self, curve: &Ldc, slot: usize) -> f64;
}

/// The curves scaled by `f` searched afresh for `capacity` (`inv` = 1 / `f`).
struct Scaled {
    capacity: f64,
    f: f64,
    inv: f64,
}

impl Answers for Scaled {
    #[inline(always)]
    fn served(&self, curve: &Ldc, _: usize) -> f64 {
        curve.served_scaled(self.capacity, self.f, self.inv)
    }
}

/// [`split_option`] with the owned capacity's answers of the curves from `answers` (the block
/// evaluation searches for a row of samples first, with the same bits, and hands over the
/// answers).
#[inline(always)]
fn split_with(kind: Kind, d: &MonthDemand, f: f64, price: f64, answers: impl Answers) -> Split {
    let mut split = match kind {
        Kind::OnPrem => {
            let onprem = answers.served(&d.total, 0);
            Split {
                onprem,
                unmet: (f * d.total.total() - onprem).max(0.0),
                ..Split::default()
            }
        }
        Kind::Cloud => Split {
            cloud: f * d.nonsensitive.total(),
            unmet: f * d.sensitive.total(),
            ..Split::default()
        },
        Kind::Hybrid => {
            let onprem = answers.served(&d.total, 0);
            let sensitive_served = if d.has_sensitive() {
                answers.served(&d.sensitive, 1)
            } else {
                0.0
            };
            let unmet = (f * d.sensitive.total() - sensitive_served).max(0.0);
            let cloud = (f * d.nonsensitive.total() - (onprem - sensitive_served)).max(0.0);
            Split {
                onprem,
                cloud,
                unmet,
                ..Split::default()
            }
        }
    };
    split.cloud_held = split.cloud;
    if price > 0.0 {
        split.unserved_cost = split.unmet * price;
    }
    split
}

/// Reference GPU-hours of a month's cloud load `cloud` covered by `k_ref` committed reference
/// GPUs (M6), hour by hour through the curves `d` scaled by `f`; a cloud option's answer of the
/// non-sensitive curve for `k_ref` comes from `answers` (slot 0: [`Scaled`] searches, the
/// block evaluation hands over the answers of its searches for a row of samples, with the
/// same bits).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn covered_ref(
    kind: Kind,
    capacity: f64,
    k_ref: f64,
    cloud: f64,
    d: &MonthDemand,
    f: f64,
    inv: f64,
    answers: impl Answers,
) -> f64 {
    if k_ref <= 0.0 || cloud <= 0.0 {
        0.0
    } else {
        match kind {
            Kind::Cloud => answers.served(&d.nonsensitive, 0),
            Kind::Hybrid if !d.has_sensitive() => {
                d.total.served_scaled(capacity + k_ref, f, inv)
                    - d.total.served_scaled(capacity, f, inv)
            }
            Kind::Hybrid => d
                .hourly_total
                .iter()
                .zip(&d.hourly_sensitive)
                .map(|(l, s)| (f * l - capacity.max(f * s)).max(0.0).min(k_ref))
                .sum(),
            Kind::OnPrem => 0.0,
        }
    }
}

/// Owned capacity of an option in month `m` [reference GPUs] (M3, G1); 0 without owned servers.
fn owned_capacity(option: &OptionIn, scratch: &Scratch, m: usize) -> f64 {
    option
        .owned
        .as_ref()
        .filter(|o| o.servers > 0)
        .map(|o| {
            let o = scratch.owned_at(o, m);
            o.gpus() * o.rel_throughput * o.availability
        })
        .unwrap_or(0.0)
}

/// Committed cloud GPUs in month `m`, renewed at each term start (equation M6), recorded in
/// `scratch`; `cloud` is the month's cloud load [reference GPU-hours].
fn commit(c: &CloudIn, m: usize, cloud: f64, scratch: &mut Scratch) -> f64 {
    let k = commit_gpus(
        c,
        scratch.cloud_rel(c, m),
        m,
        cloud,
        scratch.committed.last().copied().unwrap_or(0.0),
    );
    scratch.committed.push(k);
    k
}

/// Committed cloud GPUs in month `m` (equation M6): renewed at each term start from the
/// month's cloud load `cloud` [reference GPU-hours] and the throughput `rel` of one of its GPUs
/// in the month [reference GPUs], else `previous`, the last month's.
#[inline]
fn commit_gpus(c: &CloudIn, rel: f64, m: usize, cloud: f64, previous: f64) -> f64 {
    let term = c.commit_term_months.max(1) as usize;
    if m.is_multiple_of(term) {
        match c.commitment {
            Commitment::None => 0.0,
            Commitment::Gpus(n) => f64::from(n),
            Commitment::Share(share) => {
                let mean_gpus = cloud / rel / HOURS;
                (share * mean_gpus - 1e-9).ceil().max(0.0)
            }
        }
    } else {
        previous
    }
}

/// Every option's months when the model walks the hours (README Q1-Q7): owned capacity serves
/// a queue hour by hour over the whole horizon; a cloud option serves every hour's load that
/// may leave the building in its hour (it has no capacity of its own to wait for).
fn hourly_splits(input: &Input, months: &[MonthDemand], ws: &mut Workspace, detail: bool) {
    let h = input.horizon_months.min(months.len());
    let waiting = waiting_order(input);
    let arrivals: Vec<&queue::Arrivals> = months[..h].iter().map(|d| &d.arrivals).collect();
    let scale = &ws.tables.scale[..h];
    let inv_scale = &ws.tables.inv_scale[..h];
    let price = ws.unserved_price;
    let ws_tables = ws.queue_tables.clone();
    let queue_scratch = &mut ws.queue_scratch;
    for (n, (option, scratch)) in input.options.iter().zip(ws.options.iter_mut()).enumerate() {
        // Trace jobs first (T3): replayed again only when something they depend on changed.
        let traced = if input.has_traces() {
            let key = trace_key(input, option);
            if scratch.trace.is_none() || scratch.trace_key != key {
                scratch.trace = Some(std::sync::Arc::new(trace::replay(input, option)));
                scratch.trace_key = key;
            }
            scratch.trace.take()
        } else {
            None
        };
        if option.kind == Kind::Cloud {
            for (m, d) in months[..h].iter().enumerate() {
                let f = scale[m];
                let unmet = f * d.sensitive.total();
                let unserved_cost = if price > 0.0 {
                    unmet * price
                } else {
                    // Every sensitive GPU-hour at its workload's price.
                    let a = &d.arrivals;
                    let interactive: f64 = a
                        .interactive_sensitive
                        .iter()
                        .zip(&a.price_sensitive)
                        .map(|(l, p)| l * p)
                        .sum();
                    let waiting_value: f64 = waiting
                        .iter()
                        .zip(&a.waiting)
                        .filter(|(w, _)| w.sensitive)
                        .map(|(w, series)| w.unserved_price * series.iter().sum::<f64>())
                        .sum();
                    f * (interactive + waiting_value)
                };
                let mut split = Split {
                    cloud: f * d.nonsensitive.total(),
                    unmet,
                    unserved_cost,
                    ..Split::default()
                };
                if let Some(run) = &traced {
                    add_trace(&mut split, &run.months[m]);
                }
                split.cloud_held = split.cloud;
                let held = scratch.held.get(m);
                if let Some(held) = held {
                    // Shared GPUs (SG3): the cloud's GPUs held, by offer.
                    split.cloud_held = f * held.cloud.iter().sum::<f64>();
                    split.small_held = f * held.small.iter().sum::<f64>();
                }
                scratch.splits.push(split);
                if let Some(c) = option.cloud.as_ref() {
                    let k_ref = commit(c, m, split.cloud_held, scratch) * scratch.cloud_rel(c, m);
                    let covered = if k_ref <= 0.0 || split.cloud <= 0.0 {
                        0.0
                    } else if let Some(held) = scratch.held.get(m) {
                        held.cloud.iter().map(|x| (f * x).min(k_ref)).sum()
                    } else if let Some(run) = &traced {
                        // The profiles' cloud load and the trace jobs' together, hour by hour.
                        let jobs = &run.cloud[m * HOURS_PER_MONTH..(m + 1) * HOURS_PER_MONTH];
                        nonsensitive(&d.hourly_total, &d.hourly_sensitive)
                            .zip(jobs)
                            .map(|(l, j)| (f * l + j).min(k_ref))
                            .sum()
                    } else {
                        d.nonsensitive.served_scaled(k_ref, f, inv_scale[m])
                    };
                    scratch.covered.push(covered);
                }
            }
            scratch.trace = traced;
            continue;
        }
        let capacity = queue::Capacity {
            gpus: owned_capacity(option, scratch, 0),
            burst: option.kind == Kind::Hybrid,
            unserved_price: price,
            // Who got what is read only by showback.
            attribute: detail && input.showback.is_some(),
        };
        // Capacity month by month when a refresh installs other hardware (G1).
        let by_month: Vec<f64> = if scratch.purchases.is_empty() {
            Vec::new()
        } else {
            (0..h).map(|m| owned_capacity(option, scratch, m)).collect()
        };
        // Everything the queue depends on: the demand, its monthly factors, the capacity and
        // the prices of unserved work.
        let key: Vec<u64> = [
            months.first().map(|d| d.generation).unwrap_or(0),
            h as u64,
            u64::from(capacity.burst),
            capacity.gpus.to_bits(),
            price.to_bits(),
            // A queue simulated without recording who got what cannot serve showback.
            u64::from(capacity.attribute),
        ]
        .into_iter()
        .chain(scale.iter().map(|f| f.to_bits()))
        .chain(by_month.iter().map(|c| c.to_bits()))
        .chain(scratch.held_key.iter().flatten().copied())
        .chain(waiting.iter().map(|w| w.unserved_price.to_bits()))
        .chain(
            traced
                .as_ref()
                .map(|_| scratch.trace_key.clone())
                .unwrap_or_default(),
        )
        .collect();
        // A sample that scales the scenario's demand reads its queue off the tables, unless it
        // is the very queue simulated last (the scenario's own, in particular) or committed
        // cloud capacity needs the hour-by-hour cloud load.
        let committing = option.cloud.as_ref().is_some_and(|c| match c.commitment {
            Commitment::None => false,
            Commitment::Gpus(n) => n > 0,
            Commitment::Share(share) => share > 0.0,
        });
        if scratch.queue_key != key
            && !committing
            && traced.is_none()
            && by_month.is_empty()
            && scratch.held.is_empty()
            && input.uniform_unserved_price().is_some()
            && let Some(tables) = ws_tables
                .as_ref()
                .filter(|t| months.first().is_some_and(|d| d.generation == t.generation))
            && let Some(figures) = (0..h)
                .map(|m| tables.read(n, m, capacity.gpus, capacity.burst, scale[m], inv_scale[m]))
                .collect::<Option<Vec<_>>>()
        {
            for g in figures {
                scratch.splits.push(Split {
                    onprem: g.served_onprem,
                    cloud: g.cloud,
                    cloud_held: g.cloud,
                    small_held: 0.0,
                    unmet: g.unmet,
                    unserved_cost: g.unmet * price,
                    after_wait: g.served_after_wait,
                    trace_demand: 0.0,
                    waiting_served: g.waiting_served,
                    wait_sum: g.wait_sum,
                });
            }
            if let Some(c) = option.cloud.as_ref() {
                for m in 0..h {
                    let cloud = scratch.splits[m].cloud;
                    commit(c, m, cloud, scratch);
                    scratch.covered.push(0.0);
                }
            }
            continue;
        }
        if scratch.queue_key != key {
            queue::simulate_beside(
                &arrivals,
                scale,
                &waiting,
                capacity,
                &by_month,
                &scratch.held,
                traced.as_ref().map_or(&[][..], |run| &run.used[..]),
                queue_scratch,
                &mut scratch.queue,
            );
            scratch.queue_key = key;
        }
        for m in 0..h {
            let q = &scratch.queue[m];
            let mut split = Split {
                onprem: q.served_onprem,
                cloud: q.cloud,
                cloud_held: q.cloud,
                small_held: q.small_held,
                unmet: q.unmet,
                unserved_cost: q.unserved_cost,
                after_wait: q.served_after_wait,
                trace_demand: 0.0,
                waiting_served: q.waiting_served,
                wait_sum: q.wait_sum,
            };
            if let Some(run) = &traced {
                add_trace(&mut split, &run.months[m]);
            }
            split.cloud_held = if scratch.held.is_empty() {
                split.cloud
            } else {
                // Shared GPUs (SG3): the burst as held on the cloud's GPUs.
                scratch.queue[m].cloud_hourly.iter().sum()
            };
            scratch.splits.push(split);
            if let Some(c) = option.cloud.as_ref() {
                let k_ref = commit(c, m, split.cloud_held, scratch) * scratch.cloud_rel(c, m);
                let hourly = &scratch.queue[m].cloud_hourly;
                let covered = if k_ref <= 0.0 {
                    0.0
                } else if let Some(run) = &traced {
                    let jobs = &run.cloud[m * HOURS_PER_MONTH..(m + 1) * HOURS_PER_MONTH];
                    hourly
                        .iter()
                        .zip(jobs)
                        .map(|(o, j)| (o + j).min(k_ref))
                        .sum()
                } else {
                    hourly.iter().map(|o| o.min(k_ref)).sum()
                };
                scratch.covered.push(covered);
            }
        }
        if detail {
            // A detailed run reads the hourly cloud load no further, and the waits only up to
            // their last bucket with work: their memory (730 values a month per option, and up
            // to 527 buckets) is given back, and the queue is not kept for another run.
            for q in &mut scratch.queue {
                q.cloud_hourly = Vec::new();
                let used = q.waits.iter().rposition(|w| *w != 0.0).map_or(0, |i| i + 1);
                q.waits.truncate(used);
                q.waits.shrink_to_fit();
            }
            scratch.queue_key.clear();
        }
        scratch.trace = traced;
    }
}

/// Adds a month of trace workloads (T5) to the profiles' `split`.
fn add_trace(split: &mut Split, t: &trace::TraceMonth) {
    split.onprem += t.onprem;
    split.cloud += t.cloud;
    split.unmet += t.unmet;
    split.unserved_cost += t.unserved_cost;
    split.after_wait += t.after_wait;
    split.trace_demand += t.demand;
    // Trace jobs queue: all their work served on-prem counts in the waits (Q4).
    split.waiting_served += t.onprem;
    split.wait_sum += t.wait_sum;
}

/// The monthly flows and totals of every option of `input`, after [`split_month`] ran for every
/// month.
fn finish(
    input: &Input,
    months: &[MonthDemand],
    ws: &Workspace,
    detail: bool,
    totals: &mut [Totals],
    mut sink: impl FnMut(usize, usize, &MonthFlows),
) {
    let tables = &ws.tables;
    for (n, (option, scratch)) in input.options.iter().zip(ws.options.iter()).enumerate() {
        let owned = option.owned.as_ref().filter(|o| o.servers > 0);
        let mut t = Totals::default();
        let mut taxes = input.tax.map(|t| tax::Ledger::new(t, input));
        for (m, (d, split)) in months.iter().zip(&scratch.splits).enumerate() {
            let f = tables.scale[m];
            // Deductions of the month's running costs, at its end (README TX1).
            let mut operating = 0.0;
            let mut flows = MonthFlows {
                demand_gpu_hours: f * d.total.total() + split.trace_demand,
                served_onprem_gpu_hours: split.onprem,
                served_cloud_gpu_hours: split.cloud,
                unmet_gpu_hours: split.unmet,
                served_after_wait_gpu_hours: split.after_wait,
                waiting_served_gpu_hours: split.waiting_served,
                wait_sum: split.wait_sum,
                unserved_cost: split.unserved_cost,
                costs: [0.0; Category::COUNT],
                start_flow: 0.0,
                end_flow: 0.0,
                depreciation: 0.0,
                investment_at_start: 0.0,
                tax: 0.0,
                tax_at_start: 0.0,
                energy_kwh: 0.0,
                co2_t: 0.0,
                owned_utilization: None,
            };
            if let Some(o) = owned {
                // The hardware installed this month (G1).
                let o = scratch.owned_at(o, m);
                let installed_hours = o.gpus() * o.rel_throughput * HOURS;
                if detail {
                    for (c, v) in flows.costs.iter_mut().zip(&scratch.costs[m]) {
                        *c += v;
                    }
                }
                flows.start_flow += scratch.start[m];
                flows.end_flow += scratch.end[m];
                if detail {
                    flows.depreciation += scratch.depreciation[m];
                    flows.investment_at_start += scratch.invest_start[m];
                }
                let (u, kwh, price) = owned_energy(
                    EnergyRates::of(o),
                    installed_hours,
                    split.onprem,
                    tables.escalation[m],
                );
                flows.owned_utilization = Some(u);
                flows.energy_kwh += kwh;
                flows.co2_t += kwh * o.grid_co2_g_per_kwh / 1e6;
                let [colocation, staff, software] = owned_fixed(o);
                for (cat, v) in [
                    (Category::Energy, kwh * price),
                    (Category::Colocation, colocation),
                    (Category::Staff, staff),
                    (Category::Software, software),
                ] {
                    if detail {
                        flows.costs[cat as usize] += v;
                    }
                    flows.end_flow += v;
                    operating += v;
                }
            }
            if let Some(c) = option.cloud.as_ref() {
                let month = cloud_month(
                    CloudRates::of(c).riding(scratch.ride_at(m)),
                    scratch.committed[m],
                    split.cloud_held,
                    scratch.covered[m],
                );
                add_cloud(
                    &mut flows,
                    &mut operating,
                    month,
                    c.grid_co2_g_per_kwh,
                    detail,
                );
                // The fractional offer (SG3): on demand and spot, nothing committed.
                if let Some(small) = c.fractional.as_deref().filter(|_| split.small_held > 0.0) {
                    let month = cloud_month(CloudRates::of(small), 0.0, split.small_held, 0.0);
                    let co2 = small.grid_co2_g_per_kwh;
                    add_cloud(&mut flows, &mut operating, month, co2, detail);
                }
            }
            if split.unserved_cost != 0.0 {
                // The price of unserved work is a cost of the month, at its end (Q7).
                if detail {
                    flows.costs[Category::Unserved as usize] += split.unserved_cost;
                }
                flows.end_flow += split.unserved_cost;
            }
            if let Some(ledger) = taxes.as_mut() {
                let owned = owned.map(|_| &scratch.tax);
                let delivered = split.onprem + split.cloud;
                let (start, end) = ledger.month(m, owned, operating, delivered, &tables.discount);
                flows.start_flow += start;
                flows.end_flow += end;
                flows.tax = start + end;
                flows.tax_at_start = start;
            }
            t.add(m, &flows, &tables.discount, detail);
            sink(n, m, &flows);
        }
        if let Some(ledger) = taxes {
            t.tax = ledger.totals();
        }
        if let Some(slot) = totals.get_mut(n) {
            *slot = t;
        }
    }
}

/// Adds a cloud offer's month (`cloud_month`'s costs and energy) to `flows` and its costs to
/// the month's running costs `operating` (deducted for tax), its carbon at `co2_g_per_kwh`.
fn add_cloud(
    flows: &mut MonthFlows,
    operating: &mut f64,
    (costs, kwh): ([f64; 5], f64),
    co2_g_per_kwh: f64,
    detail: bool,
) {
    for (cat, v) in CLOUD_CATEGORIES.into_iter().zip(costs) {
        if detail {
            flows.costs[cat as usize] += v;
        }
        flows.end_flow += v;
        *operating += v;
    }
    flows.energy_kwh += kwh;
    flows.co2_t += kwh * co2_g_per_kwh / 1e6;
}

/// Monthly running costs of owned servers that do not depend on load: colocation, staff and
/// software (M8).
#[inline]
fn owned_fixed(o: &OwnedIn) -> [f64; 3] {
    let servers = f64::from(o.servers);
    let colocation = servers * o.max_power_kw * o.colocation_per_kw_month;
    let staff =
        (o.staff_fte_fixed + o.staff_fte_per_server * servers) * o.staff_salary_per_year / 12.0;
    let software = o.gpus() * o.software_per_gpu_year / 12.0;
    [colocation, staff, software]
}

/// What the energy of owned servers in a month depends on besides the month: plain numbers,
/// so that Monte Carlo can hold them sample by sample side by side (M7).
#[derive(Debug, Clone, Copy, Default)]
struct EnergyRates {
    servers: f64,
    max_power_kw: f64,
    idle_fraction: f64,
    pue: f64,
    electricity_per_kwh: f64,
}

impl EnergyRates {
    fn of(o: &OwnedIn) -> EnergyRates {
        EnergyRates {
            servers: f64::from(o.servers),
            max_power_kw: o.max_power_kw,
            idle_fraction: o.idle_fraction,
            pue: o.pue,
            electricity_per_kwh: o.electricity_per_kwh,
        }
    }
}

/// Utilisation of owned servers, their energy [kWh] and its price [per kWh] in a month with
/// `onprem` reference GPU-hours served out of `installed_hours` and electricity escalated by
/// `escalation`: power rises linearly from idle to max with utilisation (equation M7).
#[inline(always)]
fn owned_energy(
    o: EnergyRates,
    installed_hours: f64,
    onprem: f64,
    escalation: f64,
) -> (f64, f64, f64) {
    let u = if installed_hours > 0.0 {
        (onprem / installed_hours).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let power_kw = o.max_power_kw * (o.idle_fraction + (1.0 - o.idle_fraction) * u);
    let kwh = o.servers * power_kw * HOURS * o.pue;
    (u, kwh, o.electricity_per_kwh * escalation)
}

/// Categories of [`cloud_month`]'s costs, in its order.
const CLOUD_CATEGORIES: [Category; 5] = [
    Category::CloudCommitted,
    Category::CloudOnDemand,
    Category::CloudSpot,
    Category::Storage,
    Category::Egress,
];

/// What a cloud offer's month costs besides its loads: plain numbers, so that Monte Carlo can
/// hold them sample by sample side by side (M5, M6).
#[derive(Debug, Clone, Copy, Default)]
struct CloudRates {
    rel_throughput: f64,
    on_demand_per_gpu_hour: f64,
    spot_per_gpu_hour: f64,
    commit_per_gpu_hour: f64,
    spot_share: f64,
    spot_overhead: f64,
    storage_tb: f64,
    storage_per_tb_month: f64,
    egress_tb_per_month: f64,
    egress_per_tb: f64,
    power_kw_per_gpu: f64,
    pue: f64,
}

impl CloudRates {
    /// The rates of a generation rented instead of the offer's (G4).
    #[inline]
    fn riding(self, r: generations::Ride) -> CloudRates {
        if r == generations::Ride::OFFER {
            return self;
        }
        CloudRates {
            rel_throughput: self.rel_throughput * r.speed,
            on_demand_per_gpu_hour: self.on_demand_per_gpu_hour * r.price,
            spot_per_gpu_hour: self.spot_per_gpu_hour * r.price,
            commit_per_gpu_hour: self.commit_per_gpu_hour * r.price,
            power_kw_per_gpu: self.power_kw_per_gpu * r.power,
            ..self
        }
    }

    fn of(c: &CloudIn) -> CloudRates {
        CloudRates {
            rel_throughput: c.rel_throughput,
            on_demand_per_gpu_hour: c.on_demand_per_gpu_hour,
            spot_per_gpu_hour: c.spot_per_gpu_hour,
            commit_per_gpu_hour: c.commit_per_gpu_hour,
            spot_share: c.spot_share,
            spot_overhead: c.spot_overhead,
            storage_tb: c.storage_tb,
            storage_per_tb_month: c.storage_per_tb_month,
            egress_tb_per_month: c.egress_tb_per_month,
            egress_per_tb: c.egress_per_tb,
            power_kw_per_gpu: c.power_kw_per_gpu,
            pue: c.pue,
        }
    }
}

/// A cloud offer's costs in one month ([`CLOUD_CATEGORIES`]) and the energy of its GPUs [kWh],
/// with `k` committed GPUs covering `covered_ref` of the month's `cloud` load [reference
/// GPU-hours] and the rest split between spot and on-demand (M5, M6).
#[inline(always)]
fn cloud_month(c: CloudRates, k: f64, cloud: f64, covered_ref: f64) -> ([f64; 5], f64) {
    let cloud_gpu_hours = cloud / c.rel_throughput;
    let covered = (covered_ref / c.rel_throughput).min(cloud_gpu_hours);
    let rest = (cloud_gpu_hours - covered).max(0.0);
    let spot_hours = rest * c.spot_share;
    let on_demand_hours = rest - spot_hours;
    let spot_consumed = spot_hours * (1.0 + c.spot_overhead);
    let costs = [
        k * HOURS * c.commit_per_gpu_hour,
        on_demand_hours * c.on_demand_per_gpu_hour,
        spot_consumed * c.spot_per_gpu_hour,
        c.storage_tb * c.storage_per_tb_month,
        c.egress_tb_per_month * c.egress_per_tb,
    ];
    let kwh = (covered + on_demand_hours + spot_consumed) * c.power_kw_per_gpu * c.pue;
    (costs, kwh)
}

fn simulate_options(input: &Input, months: &[MonthDemand]) -> Vec<OptionResult> {
    let h = input.horizon_months;
    let mut rows: Vec<Vec<MonthRow>> = input
        .options
        .iter()
        .map(|_| Vec::with_capacity(h))
        .collect();
    let mut totals = vec![Totals::default(); input.options.len()];
    let mut ws = Workspace::default();
    // Work that will be served on-prem later, carried from month to month (Q6).
    let mut backlog = vec![0.0; input.options.len()];
    let hourly = input.hourly();
    evaluate_all(input, months, &mut ws, true, &mut totals, |n, m, f| {
        if hourly {
            let carried = backlog[n] + f.demand_gpu_hours
                - f.served_onprem_gpu_hours
                - f.served_cloud_gpu_hours
                - f.unmet_gpu_hours;
            // Rounding of sums of hours: what is within 1e-9 of the month's demand is none.
            backlog[n] = if carried > 1e-9 * f.demand_gpu_hours.max(1.0) {
                carried
            } else {
                0.0
            };
        }
        rows[n].push(MonthRow {
            month: m + 1,
            date: input.start.plus(m as u32),
            demand_gpu_hours: f.demand_gpu_hours,
            served_onprem_gpu_hours: f.served_onprem_gpu_hours,
            served_cloud_gpu_hours: f.served_cloud_gpu_hours,
            unmet_gpu_hours: f.unmet_gpu_hours,
            served_after_wait_gpu_hours: f.served_after_wait_gpu_hours,
            backlog_gpu_hours: backlog[n],
            mean_wait_hours: mean_wait(f.wait_sum, f.waiting_served_gpu_hours),
            p95_wait_hours: None,
            costs: f.costs,
            start_flow: f.start_flow,
            end_flow: f.end_flow,
            depreciation: f.depreciation,
            investment_at_start: f.investment_at_start,
            tax: input.tax.map(|_| f.tax),
            tax_at_start: f.tax_at_start,
            energy_kwh: f.energy_kwh,
            co2_t: f.co2_t,
            owned_utilization: f.owned_utilization,
        });
    });
    // 95th percentiles of the wait from the queue's histograms, by month and over the horizon.
    let mut p95_total = vec![None; input.options.len()];
    if hourly {
        for (n, scratch) in ws.options.iter().enumerate() {
            let mut all: Vec<f64> = Vec::new();
            let none = Vec::new();
            for (m, row) in rows[n].iter_mut().enumerate() {
                // The profiles' queue and the trace jobs', by wait.
                let queued = scratch.queue.get(m).map_or(&none, |q| &q.waits);
                let jobs = scratch
                    .trace
                    .as_ref()
                    .and_then(|t| t.months.get(m))
                    .map_or(&none, |t| &t.waits);
                let mut month = vec![0.0; queued.len().max(jobs.len())];
                for waits in [queued, jobs] {
                    for (a, w) in month.iter_mut().zip(waits) {
                        *a += w;
                    }
                }
                row.p95_wait_hours = wait_percentile(&month, 0.95);
                all.resize(all.len().max(month.len()), 0.0);
                for (a, w) in all.iter_mut().zip(&month) {
                    *a += w;
                }
            }
            p95_total[n] = wait_percentile(&all, 0.95);
        }
    }
    // Showback (B1-B4): what each workload got, and the costs divided by it.
    let showbacks: Vec<Option<showback::Showback>> = input
        .options
        .iter()
        .enumerate()
        .map(|(n, option)| {
            let idle = input.showback?;
            let scratch = &ws.options[n];
            let capacity: Vec<f64> = (0..h).map(|m| owned_capacity(option, scratch, m)).collect();
            let got = showback::attribute(
                input,
                months,
                option,
                &capacity,
                &ws.tables.scale,
                &scratch.queue,
                scratch.trace.as_deref(),
                &scratch.held,
            );
            Some(showback::allocate(
                input,
                &rows[n],
                &got,
                &capacity,
                &ws.tables.discount,
                idle,
            ))
        })
        .collect();
    input
        .options
        .iter()
        .zip(rows)
        .zip(totals)
        .zip(showbacks)
        .enumerate()
        .map(|(n, (((option, rows), totals), showback))| {
            let owned = option.owned.as_ref().filter(|o| o.servers > 0);
            let scratch = &ws.options[n];
            // Reference GPU-hours installed over the horizon, generation by generation (G1).
            let installed_hours: f64 = owned
                .map(|o| capacity_hours(o, &scratch.purchases, h))
                .unwrap_or(0.0);
            let purchases = owned
                .map(|o| {
                    spans(o, &scratch.purchases, h)
                        .iter()
                        .zip(0..)
                        .map(|((start, _, p), k)| PurchaseRow {
                            month: start + 1,
                            date: input.start.plus(*start as u32),
                            server: scratch
                                .purchases
                                .get(k)
                                .map_or_else(|| o.server_id.to_string(), |q| q.hardware.id.clone()),
                            generation: scratch
                                .purchases
                                .get(k)
                                .map_or(0, |q| q.hardware.generation),
                            servers: p.servers,
                            gpus: p.gpus(),
                            capacity_ref_gpus: p.gpus() * p.rel_throughput * p.availability,
                            price: f64::from(p.servers) * p.server_price,
                            max_power_kw: f64::from(p.servers) * p.max_power_kw,
                        })
                        .collect()
                })
                .unwrap_or_default();
            let sharing = owned
                .filter(|_| input.has_fractions())
                .map(|o| sharing_row(input, o, &scratch.purchases, &ws.tables.scale));
            let mut cloud_generations: Vec<RideRow> = Vec::new();
            for (m, r) in scratch.rides.iter().enumerate() {
                if cloud_generations
                    .last()
                    .is_none_or(|last| last.generation != r.generation)
                {
                    cloud_generations.push(RideRow {
                        month: m + 1,
                        date: input.start.plus(m as u32),
                        generation: r.generation,
                        throughput_factor: r.speed,
                        price_factor: r.price,
                    });
                }
            }
            OptionResult {
                name: option.name.clone(),
                kind: option.kind,
                pv_cost: totals.pv_cost,
                total_cost: totals.total_cost,
                breakdown: totals.breakdown,
                demand_gpu_hours: totals.demand_gpu_hours,
                served_onprem_gpu_hours: totals.served_onprem_gpu_hours,
                served_cloud_gpu_hours: totals.served_cloud_gpu_hours,
                unmet_gpu_hours: totals.unmet_gpu_hours,
                served_after_wait_gpu_hours: totals.served_after_wait_gpu_hours,
                backlog_gpu_hours: backlog[n],
                mean_wait_hours: mean_wait(totals.wait_sum, totals.waiting_served_gpu_hours),
                p95_wait_hours: p95_total[n],
                owned_utilization: owned.map(|_| {
                    if installed_hours > 0.0 {
                        totals.served_onprem_gpu_hours / installed_hours
                    } else {
                        0.0
                    }
                }),
                energy_kwh: totals.energy_kwh,
                co2_t: totals.co2_t,
                depreciation: totals.depreciation,
                tax: input.tax.map(|_| totals.tax),
                cost_per_gpu_hour: totals.cost_per_gpu_hour(),
                owned_gpus: owned.map(OwnedIn::gpus).unwrap_or(0.0),
                owned_capacity_ref_gpus: owned
                    .map(|o| o.gpus() * o.rel_throughput * o.availability)
                    .unwrap_or(0.0),
                comparison: Comparison::Comparable,
                savings_vs_baseline: None,
                roi: None,
                payback_month: None,
                irr: None,
                break_even_utilization: None,
                is_baseline: false,
                months: rows,
                showback,
                purchases,
                cloud_generations,
                sharing,
            }
        })
        .collect()
}

/// GPU-hour-weighted mean wait [hours] (Q4); `None` without waiting work served.
/// Least investment [currency] with an ROI (F3): one unit of the scenario's currency.
pub const MIN_INVESTMENT: f64 = 1.0;

fn mean_wait(wait_sum: f64, served: f64) -> Option<f64> {
    (served > 0.0).then(|| wait_sum / served)
}

/// The smallest wait [hours] within which at least `q` of the GPU-hours of the histogram
/// `waits` were served (Q4); `None` for an empty histogram.
pub fn wait_percentile(waits: &[f64], q: f64) -> Option<f64> {
    let total: f64 = waits.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let mut cumulative = 0.0;
    for (bucket, w) in waits.iter().enumerate() {
        cumulative += w;
        if cumulative >= q * total {
            return Some(f64::from(queue::bucket_hours(bucket)));
        }
    }
    Some(f64::from(queue::bucket_hours(
        waits.len().saturating_sub(1),
    )))
}

/// Why an option's savings against the baseline mean nothing (README F3a), or `None` when they
/// do: both serve their demand, or unserved work is priced.
fn not_comparable(input: &Input, option: &OptionResult, base: &OptionResult) -> Option<String> {
    if input.unserved_priced() {
        return None;
    }
    let short = |o: &OptionResult| !serves_demand(o);
    let share = |o: &OptionResult| format!("{:.1}%", 100.0 * o.unmet_share());
    match (short(option), short(base)) {
        (false, false) => None,
        (true, false) => Some(format!("leaves {} of demand unmet", share(option))),
        (false, true) => Some(format!(
            "baseline `{}` leaves {} of demand unmet",
            base.name,
            share(base)
        )),
        (true, true) => Some(format!(
            "leaves {} of demand unmet, and baseline `{}` leaves {}",
            share(option),
            base.name,
            share(base)
        )),
    }
}

/// Savings, ROI, payback and IRR of every option against the baseline (equations F3-F6).
fn compare(input: &Input, options: &mut [OptionResult], baseline: usize) {
    let Some(base) = options.get(baseline).cloned() else {
        return;
    };
    let i = finance::monthly_rate(input.discount_rate);
    for (n, opt) in options.iter_mut().enumerate() {
        opt.is_baseline = n == baseline;
        if opt.is_baseline {
            opt.comparison = Comparison::Baseline;
            continue;
        }
        if let Some(reason) = not_comparable(input, opt, &base) {
            opt.comparison = Comparison::NotComparable(reason);
            continue;
        }
        opt.comparison = Comparison::Comparable;
        let savings = base.pv_cost - opt.pv_cost;
        opt.savings_vs_baseline = Some(savings);
        let investment: f64 = opt
            .months
            .iter()
            .enumerate()
            .map(|(m, r)| {
                // Each payment discounted from when it is paid, as in the PV (F2): a loan
                // settled at a refresh at the start of its month, instalments at the end.
                let start = r.investment_at_start;
                let end = r.costs[Category::Hardware as usize]
                    + r.costs[Category::Financing as usize]
                    + r.costs[Category::Lease as usize]
                    - start;
                start * finance::discount_factor(i, m as f64)
                    + end * finance::discount_factor(i, m as f64 + 1.0)
            })
            .sum();
        // A return on next to nothing is no figure (1e-300 invested would give 1e305).
        opt.roi = (investment >= MIN_INVESTMENT).then(|| savings / investment);
        // Savings at times t = 0..H: starts of month t and ends of month t-1 coincide.
        let h = opt.months.len();
        let mut flows = vec![0.0; h + 1];
        let mut cumulative = Vec::with_capacity(h);
        let mut cum = 0.0;
        for (m, (o, b)) in opt.months.iter().zip(&base.months).enumerate() {
            flows[m] += b.start_flow - o.start_flow;
            flows[m + 1] += b.end_flow - o.end_flow;
            cum += b.cost() - o.cost();
            cumulative.push(cum);
        }
        opt.payback_month = payback(&cumulative);
        // An IRR is a return on an investment: it exists only when the option spends more than
        // the baseline first (its first non-zero savings flow is negative). Savings first and
        // costs later is borrowing, whose "IRR" would read backwards (README F4).
        let invests_first = flows
            .iter()
            .find(|f| f.abs() > 1e-9)
            .is_some_and(|f| *f < 0.0);
        opt.irr = match finance::irr(&flows, i) {
            _ if !invests_first => None,
            finance::Irr::Rate { per_period, roots } => {
                let annual = (1.0 + per_period).powi(12) - 1.0;
                annual.is_finite().then_some(IrrResult { annual, roots })
            }
            finance::Irr::NoRoot => None,
        };
    }
}

/// First month (1-based) from which cumulative nominal savings stay at or above zero; `None`
/// when they end below zero (equation F5).
pub fn payback(cumulative: &[f64]) -> Option<usize> {
    const TOLERANCE: f64 = 1e-6; // money rounding noise on sums of many flows
    if cumulative.last().is_none_or(|last| *last < -TOLERANCE) {
        return None;
    }
    let last_negative = cumulative.iter().rposition(|c| *c < -TOLERANCE);
    Some(last_negative.map(|p| p + 2).unwrap_or(1))
}

/// Utilisation of owned GPUs at which owning costs as much as renting the cheapest cloud offer
/// (equation F7): fixed cost / (capacity hours × (cloud price − variable cost)).
fn break_even(input: &Input, o: &OwnedIn, result: &OptionResult, cloud_price: f64) -> Option<f64> {
    if o.servers == 0 {
        return None;
    }
    let h = input.horizon_months as f64;
    let owned_total: f64 = result
        .breakdown
        .iter()
        .zip(Category::ALL)
        .filter(|(_, c)| matches!(c.group(), Group::Capex | Group::Opex))
        .map(|(v, _)| v)
        .sum();
    let price_at = |m: usize| {
        o.electricity_per_kwh * (1.0 + input.electricity_escalation_per_year).powf(m as f64 / 12.0)
    };
    let utilization = result.owned_utilization.unwrap_or(0.0);
    if o.refresh.is_some() {
        // Generation by generation (G1): the energy above idle of every installed reference
        // GPU-hour, V, against the capacity hours, CH.
        let (mut v, mut ch) = (0.0, 0.0);
        for p in generations::purchases(o, &input.generations, input.horizon_months) {
            let q = &p.owned;
            let per_hour = q.gpus() * q.rel_throughput * HOURS;
            let above_idle = q.max_power_kw * (1.0 - q.idle_fraction)
                / f64::from(q.gpus_per_server)
                / q.rel_throughput
                * q.pue;
            for m in p.start..p.end {
                v += above_idle * price_at(m) * per_hour;
                ch += per_hour;
            }
        }
        let fixed = owned_total - utilization * v;
        let margin = cloud_price * ch - v;
        if margin <= 0.0 || ch <= 0.0 {
            return None;
        }
        let u = fixed / margin;
        return u.is_finite().then_some(u.max(0.0));
    }
    let mean_price: f64 = (0..input.horizon_months).map(price_at).sum::<f64>() / h;
    // Energy cost of one reference GPU-hour above idle.
    let variable =
        o.max_power_kw * (1.0 - o.idle_fraction) / f64::from(o.gpus_per_server) / o.rel_throughput
            * o.pue
            * mean_price;
    let capacity_hours = o.gpus() * o.rel_throughput * HOURS * h;
    let fixed = owned_total - variable * utilization * capacity_hours;
    let margin = cloud_price - variable;
    if margin <= 0.0 || capacity_hours <= 0.0 {
        return None;
    }
    let u = fixed / (capacity_hours * margin);
    u.is_finite().then_some(u.max(0.0))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tax_tests;

//! Seeded, parallel Monte Carlo over a scenario's uncertain inputs.
//!
//! Sample `i` draws its uniforms from its own generator, `sample_rng(seed, i)`, so its values do
//! not depend on which thread runs it. Samples are grouped in fixed chunks ([`chunk_size`], which
//! depends on the number of samples only); the floating-point sums of each chunk are formed in sample order and combined in chunk order,
//! and quantiles come from integer-count sketches whose merge is exact, so every result is the
//! same bit for bit whatever the number of threads. Memory is bounded: nothing is kept per
//! sample, only sketches per option and metric and per option and month.
//!
//! A long run can be stopped by its caller: [`run_cancellable`] checks a flag before each chunk
//! and after each wave, and gives up with [`Cancelled`] (no partial results) once it is set. The
//! library never installs signal handlers; the binary sets the flag.

use super::distributions::{open_unit, sample_rng};
use super::stats::{Moments, QuantileSketch};
use super::uncertain::Uncertainty;
use crate::model::{self, Input, MonthDemand, Output};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Most points of a fan chart: enough for a smooth band, and it bounds the per-sample work of
/// the month-by-month sketches.
pub const FAN_POINTS: usize = 40;

/// Whether a run records each sample's cumulative cost for the fan chart. Only the report's
/// chart reads it; without it a sample adds 6 values per option to the sketches instead of
/// up to 46.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanChart {
    Record,
    Skip,
}

impl FanChart {
    /// The 0-based months recorded for a horizon: [`fan_months`], or none.
    fn months(self, horizon: usize) -> Vec<usize> {
        match self {
            FanChart::Record => fan_months(horizon),
            FanChart::Skip => Vec::new(),
        }
    }
}

/// 0-based months whose cumulative cost the fan chart records.
pub fn fan_months(horizon: usize) -> Vec<usize> {
    let step = horizon.div_ceil(FAN_POINTS).max(1);
    (0..horizon)
        .filter(|m| (m + 1) % step == 0 || m + 1 == horizon)
        .collect()
}

/// Samples evaluated together month by month, so that each month's demand curves are read
/// from memory once per block rather than once per sample.
const BLOCK: usize = model::BLOCK_LANES;

/// Samples per chunk, the unit of ordered accumulation, in runs of `8 × CHUNK` samples and
/// more.
pub const CHUNK: u64 = 256;

/// Samples per chunk in a run of `samples`: [`CHUNK`], or for shorter runs an eighth of them
/// (rounded up to a multiple of 8), so that a short run still has chunks enough to share among
/// threads. It depends on the number of samples alone, never on the number of threads, so the
/// results do not either.
pub fn chunk_size(samples: u64) -> u64 {
    if samples >= 8 * CHUNK {
        CHUNK
    } else {
        let lanes = model::BLOCK_LANES as u64;
        samples.div_ceil(8).next_multiple_of(lanes).max(lanes)
    }
}

/// Chunks run in parallel before their sums are merged, bounding what is held at once to
/// about a thousand chunks' sums (262,144 samples per wave).
const WAVE: u64 = 1024;

/// Headline metrics summarised for each option.
pub const METRICS: [&str; 6] = [
    "pv_cost",
    "total_cost",
    "cost_per_gpu_hour",
    "unmet_gpu_hours",
    "energy_kwh",
    "co2_t",
];

/// Quantiles reported for each metric.
pub const QUANTILES: [f64; 5] = [0.05, 0.10, 0.50, 0.90, 0.95];

/// Summary of one metric over the samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricStats {
    /// Samples that had this metric (cost per GPU-hour is missing when nothing is delivered).
    pub count: u64,
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1); `None` for fewer than two samples.
    pub sd: Option<f64>,
    /// P5, P10, P50, P90, P95.
    pub quantiles: [f64; 5],
}

impl MetricStats {
    pub fn p10(&self) -> f64 {
        self.quantiles[1]
    }
    pub fn p50(&self) -> f64 {
        self.quantiles[2]
    }
    pub fn p90(&self) -> f64 {
        self.quantiles[3]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OptionStats {
    pub name: String,
    pub metrics: [Option<MetricStats>; 6],
    /// Share of samples in which this option serves all demand (unmet within
    /// `model::UNMET_TOLERANCE`).
    pub p_serves_demand: f64,
    /// Share of samples in which this option has the lowest PV cost among the options that
    /// serve that sample's demand (among all options when none does); ties share the win.
    pub p_cheapest: f64,
    /// Share of samples in which this option's PV cost is below the baseline's.
    pub p_beats_baseline: f64,
    /// (month, [P10, P50, P90]) of cumulative nominal cost at the end of the month (1-based):
    /// every month for horizons up to [`FAN_POINTS`] months, every k-th month and the last
    /// beyond; empty for a run with [`FanChart::Skip`].
    pub fan: Vec<(usize, [f64; 3])>,
    /// Histogram of PV cost: (lower, upper, count).
    pub pv_histogram: Vec<(f64, f64, u64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonteCarlo {
    pub samples: u64,
    pub seed: u64,
    pub options: Vec<OptionStats>,
}

/// Per-chunk sums, combined in chunk order.
#[derive(Clone)]
struct ChunkMoments {
    chunk: u64,
    moments: Vec<[Moments; 6]>,
}

/// What a worker accumulates: exact integer sketches and counts, and its chunks' moments.
struct Acc {
    metric_sketches: Vec<[QuantileSketch; 6]>,
    month_sketches: Vec<Vec<QuantileSketch>>,
    /// Wins in units of 1/TIE_UNITS, so that ties split exactly.
    cheapest: Vec<u64>,
    serves: Vec<u64>,
    beats: Vec<u64>,
    chunks: Vec<ChunkMoments>,
}

impl Acc {
    fn new(options: usize, fan_months: &[usize]) -> Acc {
        Acc {
            metric_sketches: (0..options)
                .map(|_| std::array::from_fn(|_| QuantileSketch::new()))
                .collect(),
            month_sketches: (0..options)
                .map(|_| {
                    fan_months
                        .iter()
                        .map(|_| QuantileSketch::coarse())
                        .collect()
                })
                .collect(),
            cheapest: vec![0; options],
            serves: vec![0; options],
            beats: vec![0; options],
            chunks: Vec::new(),
        }
    }

    fn merge(mut self, other: Acc) -> Acc {
        for (a, b) in self.metric_sketches.iter_mut().zip(&other.metric_sketches) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
        for (a, b) in self.month_sketches.iter_mut().zip(&other.month_sketches) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
        for (a, b) in self.cheapest.iter_mut().zip(&other.cheapest) {
            *a += b;
        }
        for (a, b) in self.serves.iter_mut().zip(&other.serves) {
            *a += b;
        }
        for (a, b) in self.beats.iter_mut().zip(&other.beats) {
            *a += b;
        }
        self.chunks.extend(other.chunks);
        self
    }
}

/// The metrics of one option in one sample, in the order of [`METRICS`].
fn metric_values_of(t: &model::Totals) -> [Option<f64>; 6] {
    [
        Some(t.pv_cost),
        Some(t.total_cost),
        t.cost_per_gpu_hour(),
        Some(t.unmet_gpu_hours),
        Some(t.energy_kwh),
        Some(t.co2_t),
    ]
}

/// Draws the input values of sample `i` (correlated through the copula, if any).
pub fn draw(
    uncertainty: &Uncertainty,
    seed: u64,
    i: u64,
    u: &mut [f64],
    scratch: &mut [f64],
    values: &mut [f64],
) {
    let mut rng = sample_rng(seed, i);
    for x in u.iter_mut() {
        *x = open_unit(&mut rng);
    }
    if let Some(c) = &uncertainty.copula {
        c.correlate(u, scratch);
    }
    for ((v, x), input) in values.iter_mut().zip(u.iter()).zip(&uncertainty.inputs) {
        *v = input.sampler.quantile(*x);
    }
}

/// Simulates `input` with `values` applied, reusing `base_months` unless demand is uncertain.
pub fn evaluate(
    uncertainty: &Uncertainty,
    scratch: &mut Input,
    base_months: &[MonthDemand],
    values: &[f64],
) -> Output {
    uncertainty.apply(values, scratch);
    if uncertainty.changes_demand() {
        let months = model::demand_curves(scratch);
        model::simulate_with(scratch, &months)
    } else {
        model::simulate_with(scratch, base_months)
    }
}

/// Whether `sample` has the demand inputs of `base` (bit for bit).
fn same_demand(sample: &Input, base: &Input) -> bool {
    sample.workloads.len() == base.workloads.len()
        && sample.workloads.iter().zip(&base.workloads).all(|(a, b)| {
            a.ref_gpu_hours_per_month.to_bits() == b.ref_gpu_hours_per_month.to_bits()
                && a.growth_per_year.to_bits() == b.growth_per_year.to_bits()
                && a.unserved_cost_per_gpu_hour.map(f64::to_bits)
                    == b.unserved_cost_per_gpu_hour.map(f64::to_bits)
        })
}

/// A win shared by k tied options counts 840/k units: exact for k up to 8 (840 = lcm 1..=8).
const TIE_UNITS: u64 = 840;

/// Work stopped because its caller's cancellation flag was set; nothing of it is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cancelled before the end")]
pub struct Cancelled;

/// Runs `samples` samples of `input` under `uncertainty` with `seed`, on the current rayon pool,
/// with the fan chart; `progress` is called with the number of samples done so far.
pub fn run(
    input: &Input,
    uncertainty: &Uncertainty,
    samples: u64,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> MonteCarlo {
    let never = AtomicBool::new(false);
    let fan = FanChart::Record;
    match run_cancellable(input, uncertainty, samples, seed, fan, progress, &never) {
        Ok(mc) => mc,
        Err(Cancelled) => unreachable!("a run that nothing can cancel is never cancelled"),
    }
}

/// [`run`], stopped promptly once `cancel` is set: no chunk starts after that, the chunks
/// already running finish (a chunk is at most [`CHUNK`] samples), and the result is
/// [`Cancelled`].
/// A run that is not cancelled gives exactly the result of [`run`] (without the fan chart
/// when `fan` is [`FanChart::Skip`]; every other statistic is the same bit for bit).
pub fn run_cancellable(
    input: &Input,
    uncertainty: &Uncertainty,
    samples: u64,
    seed: u64,
    fan: FanChart,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<MonteCarlo, Cancelled> {
    let months = model::demand_curves(input);
    run_on(
        input,
        &months,
        uncertainty,
        samples,
        seed,
        fan,
        progress,
        cancel,
    )
}

/// [`run_cancellable`] with the scenario's demand curves `months` (those of
/// [`model::demand_curves`] for `input`) built once by the caller, as a run shares them with
/// its deterministic simulation and its other analyses.
#[allow(clippy::too_many_arguments)]
pub fn run_on(
    input: &Input,
    months: &[MonthDemand],
    uncertainty: &Uncertainty,
    samples: u64,
    seed: u64,
    fan: FanChart,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<MonteCarlo, Cancelled> {
    let (acc, totals) = sample(
        input,
        months,
        uncertainty,
        samples,
        seed,
        fan,
        progress,
        cancel,
    );
    if cancel.load(Ordering::Relaxed) {
        return Err(Cancelled);
    }
    Ok(summarise(input, samples, seed, fan, &acc, &totals))
}

/// Draws and evaluates the samples wave by wave, returning the merged accumulators and the
/// per-option moments; stops early (with incomplete sums) once `cancel` is set.
#[allow(clippy::too_many_arguments)]
fn sample(
    input: &Input,
    base_months: &[MonthDemand],
    uncertainty: &Uncertainty,
    samples: u64,
    seed: u64,
    fan: FanChart,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> (Acc, Vec<[Moments; 6]>) {
    let options = input.options.len();
    let months = input.horizon_months;
    let priced = input.unserved_priced();
    // Samples that only scale demand read their queues off tables (README "Work that waits in
    // Monte Carlo").
    // Tables cost GRID_POINTS walks of the horizon: worth it only for more samples than that.
    let queue_tables = if input.hourly() && samples > 2 * model::queue_tables::GRID_POINTS as u64 {
        uncertainty
            .capacity_per_demand(input)
            .and_then(|ranges| model::QueueTables::build(input, base_months, &ranges))
            .map(std::sync::Arc::new)
    } else {
        None
    };
    // Every sample starts from the scenario's own replays of its trace workloads (README T6)
    // and its own queues of waiting work, so that a sample replays or queues only what it
    // changed, whichever chunk it falls in.
    let seeded = {
        let mut ws = model::Workspace::with_queue_tables(queue_tables.clone());
        if input.hourly() && samples > 0 {
            let mut totals = vec![model::Totals::default(); input.options.len()];
            model::evaluate_all(
                input,
                base_months,
                &mut ws,
                false,
                &mut totals,
                |_, _, _| {},
            );
        }
        ws
    };
    let recorded = fan.months(months);
    let fan_slot: Vec<bool> = {
        let mut slot = vec![false; months];
        for &m in &recorded {
            slot[m] = true;
        }
        slot
    };
    let points = recorded.len();
    // The fan point of each recorded month.
    let mut fan_point = vec![0; months];
    for (point, &m) in recorded.iter().enumerate() {
        fan_point[m] = point;
    }
    let done = AtomicU64::new(0);
    let chunk_samples = chunk_size(samples);
    let n_chunks = samples.div_ceil(chunk_samples);
    let k = uncertainty.inputs.len();
    // Chunks run in waves of WAVE; each wave's chunk moments are merged into the totals in chunk
    // order before the next wave starts, so memory does not grow with the number of samples and
    // the sums are formed in the same order as without waves.
    let mut acc = Acc::new(options, &recorded);
    let mut totals: Vec<[Moments; 6]> = (0..options)
        .map(|_| std::array::from_fn(|_| Moments::new()))
        .collect();
    let mut wave = 0;
    while wave < n_chunks && !cancel.load(Ordering::Relaxed) {
        let wave_end = (wave + WAVE).min(n_chunks);
        let mut wave_acc = (wave..wave_end)
            .into_par_iter()
            .fold(
                || Acc::new(options, &recorded),
                |mut acc, chunk| {
                    if cancel.load(Ordering::Relaxed) {
                        return acc;
                    }
                    let (mut u, mut tmp, mut values) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
                    let mut moments: Vec<[Moments; 6]> = (0..options)
                        .map(|_| std::array::from_fn(|_| Moments::new()))
                        .collect();
                    let start = chunk * chunk_samples;
                    let end = (start + chunk_samples).min(samples);
                    let block = if uncertainty.changes_demand() {
                        1
                    } else {
                        BLOCK
                    };
                    let mut inputs: Vec<Input> = (0..block).map(|_| input.clone()).collect();
                    let mut workspaces = vec![seeded.clone(); block];
                    let mut own_months = Vec::new();
                    let mut totals = vec![vec![model::Totals::default(); options]; block];
                    // Cumulative cost at each fan point of each sample of the chunk and option,
                    // and each sample's metrics, added to the sketches sketch by sketch after the
                    // chunk, so that each sketch's buckets are read into the cache once per chunk
                    // instead of once per block (sketches count exactly: the order of additions
                    // does not matter).
                    let n_samples = (end - start) as usize;
                    let mut fan_values = vec![0.0; n_samples * options * points];
                    let mut metric_values: Vec<Option<f64>> =
                        vec![None; n_samples * options * METRICS.len()];
                    // The order in which the chunk's samples are evaluated: blocks of samples
                    // with nearby demand factors, whose curve searches read nearby memory
                    // (each sample's results do not depend on its block, and every sum below
                    // takes the samples in sample order).
                    let mut order: Vec<usize> = (0..n_samples).collect();
                    let mut drawn = Vec::new();
                    if block > 1 {
                        drawn.resize(n_samples * k, 0.0);
                        for (i, d) in drawn.chunks_mut(k.max(1)).enumerate().take(n_samples) {
                            draw(uncertainty, seed, start + i as u64, &mut u, &mut tmp, d);
                        }
                        let keys: Vec<f64> = (0..n_samples)
                            .map(|i| {
                                uncertainty.demand_order_key(
                                    &drawn[i * k..(i + 1) * k],
                                    input,
                                    months,
                                )
                            })
                            .collect();
                        order.sort_by(|a, b| keys[*a].total_cmp(&keys[*b]));
                    }
                    let mut done_samples = 0;
                    while done_samples < n_samples {
                        let b = block.min(n_samples - done_samples);
                        let lanes = &order[done_samples..done_samples + b];
                        for (j, sample_input) in inputs.iter_mut().enumerate().take(b) {
                            if block > 1 {
                                values.copy_from_slice(&drawn[lanes[j] * k..(lanes[j] + 1) * k]);
                            } else {
                                draw(
                                    uncertainty,
                                    seed,
                                    start + lanes[j] as u64,
                                    &mut u,
                                    &mut tmp,
                                    &mut values,
                                );
                            }
                            uncertainty.apply(&values, sample_input);
                        }
                        let mut cum = 0.0;
                        let mut point = 0;
                        let mut fan = |j: usize, n: usize, m: usize, f: &model::MonthFlows| {
                            if m == 0 {
                                cum = 0.0;
                                point = 0;
                            }
                            cum += f.start_flow + f.end_flow;
                            if fan_slot[m] {
                                fan_values[(n * points + point) * n_samples + lanes[j]] = cum;
                                point += 1;
                            }
                        };
                        if uncertainty.changes_demand() {
                            // A sample whose demand inputs are the scenario's own reuses its
                            // load-duration curves (so fixed inputs reproduce the deterministic run
                            // exactly); any other has its own hourly curves.
                            let months = if same_demand(&inputs[0], input) {
                                base_months
                            } else {
                                model::demand_hourly_into(&inputs[0], &mut own_months);
                                &own_months
                            };
                            model::evaluate_all(
                                &inputs[0],
                                months,
                                &mut workspaces[0],
                                false,
                                &mut totals[0],
                                |n, m, f| fan(0, n, m, f),
                            );
                        } else {
                            model::evaluate_block_fast(
                                &inputs[..b],
                                base_months,
                                &mut workspaces[..b],
                                &mut totals[..b],
                                &fan_slot,
                                |j, n, m, costs| {
                                    let slot = (n * points + fan_point[m]) * n_samples;
                                    for (lane, cost) in lanes[j..].iter().zip(costs) {
                                        fan_values[slot + lane] = *cost;
                                    }
                                },
                            );
                        }
                        // Counts, which do not depend on the order of the samples.
                        for sample_totals in totals.iter().take(b) {
                            // The cheapest among the options that serve this sample's demand, as
                            // the verdict ranks them; among all when none does.
                            // With a price for unserved work every option is ranked, its
                            // unserved work in its PV (README Q7).
                            let serving = |t: &model::Totals| {
                                priced || model::serves(t.unmet_gpu_hours, t.demand_gpu_hours)
                            };
                            let (first, best) = model::cheapest(
                                sample_totals.iter().map(|t| (serving(t), t.pv_cost)),
                            )
                            .unwrap_or((0, f64::INFINITY));
                            // The winner serves demand exactly when some option does; ties
                            // among the same competitors share the win.
                            let winner_serves = sample_totals.get(first).is_some_and(serving);
                            let candidate = |t: &model::Totals| serving(t) || !winner_serves;
                            let winners = sample_totals
                                .iter()
                                .filter(|t| candidate(t) && t.pv_cost == best)
                                .count()
                                .max(1) as u64;
                            let base_pv = sample_totals[input.baseline].pv_cost;
                            for (n, t) in sample_totals.iter().enumerate() {
                                if candidate(t) && t.pv_cost == best {
                                    acc.cheapest[n] += TIE_UNITS / winners;
                                }
                                if serving(t) {
                                    acc.serves[n] += 1;
                                }
                                if n != input.baseline && t.pv_cost < base_pv {
                                    acc.beats[n] += 1;
                                }
                            }
                        }
                        // Each sample's metrics once per option, in its place in the chunk.
                        for n in 0..options {
                            for (j, sample_totals) in totals.iter().take(b).enumerate() {
                                let values = metric_values_of(&sample_totals[n]);
                                for (m, v) in values.into_iter().enumerate() {
                                    metric_values[(n * METRICS.len() + m) * n_samples + lanes[j]] =
                                        v.filter(|v| v.is_finite());
                                }
                            }
                        }
                        done_samples += b;
                    }
                    // Every metric's moments take their samples in sample order.
                    for (n, moments) in moments.iter_mut().enumerate() {
                        for (m, moments) in moments.iter_mut().enumerate() {
                            let at = (n * METRICS.len() + m) * n_samples;
                            for v in metric_values[at..at + n_samples].iter().flatten() {
                                moments.add(*v);
                            }
                        }
                    }
                    for (values, sketch) in fan_values
                        .chunks(n_samples)
                        .zip(acc.month_sketches.iter_mut().flatten())
                    {
                        sketch.add_all(values);
                    }
                    let mut present = Vec::with_capacity(n_samples);
                    for (values, sketch) in metric_values
                        .chunks(n_samples)
                        .zip(acc.metric_sketches.iter_mut().flatten())
                    {
                        present.clear();
                        present.extend(values.iter().flatten());
                        sketch.add_all(&present);
                    }
                    acc.chunks.push(ChunkMoments { chunk, moments });
                    progress(done.fetch_add(end - start, Ordering::Relaxed) + (end - start));
                    acc
                },
            )
            .reduce(|| Acc::new(options, &recorded), Acc::merge);
        let mut chunks = std::mem::take(&mut wave_acc.chunks);
        chunks.sort_by_key(|c| c.chunk);
        for c in &chunks {
            for (t, m) in totals.iter_mut().zip(&c.moments) {
                for (a, b) in t.iter_mut().zip(m) {
                    a.merge(b);
                }
            }
        }
        acc = acc.merge(wave_acc);
        wave = wave_end;
    }
    (acc, totals)
}

/// The statistics of a complete run from its accumulators.
fn summarise(
    input: &Input,
    samples: u64,
    seed: u64,
    fan: FanChart,
    acc: &Acc,
    totals: &[[Moments; 6]],
) -> MonteCarlo {
    let options = input.options.len();
    let months = input.horizon_months;
    let n = samples.max(1) as f64;
    let stats = (0..options)
        .map(|o| OptionStats {
            name: input.options[o].name.clone(),
            metrics: std::array::from_fn(|m| {
                let mo = &totals[o][m];
                let sk = &acc.metric_sketches[o][m];
                mo.mean().map(|mean| MetricStats {
                    count: mo.count(),
                    mean,
                    sd: mo.sd(),
                    quantiles: QUANTILES.map(|q| sk.quantile(q).unwrap_or(mean)),
                })
            }),
            p_serves_demand: acc.serves[o] as f64 / n,
            p_cheapest: acc.cheapest[o] as f64 / TIE_UNITS as f64 / n,
            p_beats_baseline: if o == input.baseline {
                0.0
            } else {
                acc.beats[o] as f64 / n
            },
            fan: fan
                .months(months)
                .into_iter()
                .zip(&acc.month_sketches[o])
                .map(|(m, s)| (m + 1, [0.1, 0.5, 0.9].map(|q| s.quantile(q).unwrap_or(0.0))))
                .collect(),
            pv_histogram: acc.metric_sketches[o][0].histogram(40),
        })
        .collect();
    MonteCarlo {
        samples,
        seed,
        options: stats,
    }
}

//! Monte Carlo's evaluation of a block of samples over shared demand curves: only what a
//! sample's statistics read (cash flows, served, unmet and unserved work, energy, carbon),
//! option by option over every month for the whole block.
//!
//! It runs the per-option arithmetic of the general evaluation ([`split_with`],
//! [`covered_ref`], [`commit_gpus`], [`owned_energy`], [`owned_fixed`], [`cloud_month`]) in
//! the same order, so its totals are those of [`evaluate_all`](super::evaluate_all) without
//! detail bit for bit; it skips what that evaluation builds for detail and for the sink (the
//! monthly flows, their cost categories, and sums that stay zero without queues or detail).
//!
//! The loops are ordered for the data: option, then month, then sample. The samples of one
//! option in one month do the same arithmetic on their own numbers, so their numbers are held
//! side by side, one array per quantity with a lane per sample (structure of arrays), and the
//! arithmetic runs in plain loops over the lanes that the compiler turns into instructions on
//! several samples at once: the same operations on the same operands in the same order as one
//! sample's evaluation, so the same bits (no reordered sums, no fused multiply-adds). The
//! block is compiled twice, for the target's baseline (two samples to an SSE2 instruction)
//! and for AVX2 (four), and runs the AVX2 build where the processor has it. The per-option
//! functions take their rates as plain numbers ([`EnergyRates`], [`CloudRates`]) so that both
//! evaluations call them. The samples' monthly factors are gathered once into rows for all
//! options (a table every sample shares is read once), and each option's owned-hardware cash
//! flows into rows before its months, only for the months where some sample has one; each
//! option's kind is known for the whole month loop; sums an option's kind leaves at zero are
//! not formed. A month's curve searches for all samples come first, a row at a time
//! ([`Ldc::served_scaled_avx2`] with AVX2), and their memory is asked for two months and one
//! month ahead ([`Ldc::prefetch_guide`], [`Ldc::prefetch_loads`]), so that it arrives (the
//! horizon's curves do not fit the cache) while other months compute.

use crate::profile::Ldc;

use super::{
    Answers, CloudIn, CloudRates, EnergyRates, HOURS, Input, Kind, MonthDemand, Totals, Workspace,
    cloud_month, commit_gpus, covered_ref, evaluate_block, owned_capacity, owned_energy,
    owned_fixed, prepare, split_with,
};

/// Most samples evaluated side by side; larger blocks are taken this many at a time.
pub const LANES: usize = 8;

/// Evaluates every option of each of `inputs` (samples of one scenario that share its demand
/// curves `months`) and writes their totals: exactly those of [`evaluate_all`](super::evaluate_all)
/// without detail. Calls `fan(sample, option, month, costs)` for every month `m` with
/// `record[m]`, with the cumulative nominal costs at the end of that month of the samples
/// `sample..sample + costs.len()`.
pub fn evaluate_block_fast(
    inputs: &[Input],
    months: &[MonthDemand],
    workspaces: &mut [Workspace],
    totals: &mut [Vec<Totals>],
    record: &[bool],
    fan: impl FnMut(usize, usize, usize, &[f64]),
) {
    evaluate_block_on(Isa::Detect, inputs, months, workspaces, totals, record, fan);
}

/// The instructions a block evaluation may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// AVX2 where the processor has it, else the baseline.
    Detect,
    /// The baseline of the target (SSE2 on x86-64), whatever the processor has.
    Baseline,
}

/// [`evaluate_block_fast`] with the instructions of `isa`: the results are the same bit for
/// bit with either (a test compares them).
pub fn evaluate_block_on(
    isa: Isa,
    inputs: &[Input],
    months: &[MonthDemand],
    workspaces: &mut [Workspace],
    totals: &mut [Vec<Totals>],
    record: &[bool],
    mut fan: impl FnMut(usize, usize, usize, &[f64]),
) {
    if inputs
        .iter()
        .any(|i| i.hourly() || i.tax.is_some() || i.has_generations() || i.has_fractions())
    {
        // Queues walk the hours, tax carries losses from month to month, generations change
        // capacity and rates over the horizon, and shared GPUs are split hour by hour on held
        // loads: the general evaluation, its cumulative costs from its flows.
        let options = inputs.first().map_or(0, |i| i.options.len());
        let mut cumulative = vec![0.0; inputs.len() * options];
        evaluate_block(inputs, months, workspaces, false, totals, |j, n, m, f| {
            let cum = &mut cumulative[j * options + n];
            if m == 0 {
                *cum = 0.0;
            }
            *cum += f.start_flow + f.end_flow;
            if record[m] {
                fan(j, n, m, std::slice::from_ref(cum));
            }
        });
        return;
    }
    let mut first = 0;
    while first < inputs.len() {
        let end = (first + LANES).min(inputs.len());
        side_by_side(
            isa,
            &inputs[first..end],
            months,
            &mut workspaces[first..end],
            &mut totals[first..end],
            record,
            &mut |j, n, m, costs| fan(first + j, n, m, costs),
        );
        first = end;
    }
}

/// The same number for each sample of a block, side by side.
type Row = [f64; LANES];

/// [`EnergyRates`] of each sample, side by side.
#[derive(Clone, Copy, Default)]
struct EnergyLanes {
    servers: Row,
    max_power_kw: Row,
    idle_fraction: Row,
    pue: Row,
    electricity_per_kwh: Row,
}

impl EnergyLanes {
    fn set(&mut self, j: usize, r: EnergyRates) {
        self.servers[j] = r.servers;
        self.max_power_kw[j] = r.max_power_kw;
        self.idle_fraction[j] = r.idle_fraction;
        self.pue[j] = r.pue;
        self.electricity_per_kwh[j] = r.electricity_per_kwh;
    }

    #[inline(always)]
    fn get(&self, j: usize) -> EnergyRates {
        EnergyRates {
            servers: self.servers[j],
            max_power_kw: self.max_power_kw[j],
            idle_fraction: self.idle_fraction[j],
            pue: self.pue[j],
            electricity_per_kwh: self.electricity_per_kwh[j],
        }
    }
}

/// [`CloudRates`] of each sample, side by side.
#[derive(Clone, Copy, Default)]
struct CloudLanes {
    rel_throughput: Row,
    on_demand_per_gpu_hour: Row,
    spot_per_gpu_hour: Row,
    commit_per_gpu_hour: Row,
    spot_share: Row,
    spot_overhead: Row,
    storage_tb: Row,
    storage_per_tb_month: Row,
    egress_tb_per_month: Row,
    egress_per_tb: Row,
    power_kw_per_gpu: Row,
    pue: Row,
}

impl CloudLanes {
    fn set(&mut self, j: usize, r: CloudRates) {
        self.rel_throughput[j] = r.rel_throughput;
        self.on_demand_per_gpu_hour[j] = r.on_demand_per_gpu_hour;
        self.spot_per_gpu_hour[j] = r.spot_per_gpu_hour;
        self.commit_per_gpu_hour[j] = r.commit_per_gpu_hour;
        self.spot_share[j] = r.spot_share;
        self.spot_overhead[j] = r.spot_overhead;
        self.storage_tb[j] = r.storage_tb;
        self.storage_per_tb_month[j] = r.storage_per_tb_month;
        self.egress_tb_per_month[j] = r.egress_tb_per_month;
        self.egress_per_tb[j] = r.egress_per_tb;
        self.power_kw_per_gpu[j] = r.power_kw_per_gpu;
        self.pue[j] = r.pue;
    }

    #[inline(always)]
    fn get(&self, j: usize) -> CloudRates {
        CloudRates {
            rel_throughput: self.rel_throughput[j],
            on_demand_per_gpu_hour: self.on_demand_per_gpu_hour[j],
            spot_per_gpu_hour: self.spot_per_gpu_hour[j],
            commit_per_gpu_hour: self.commit_per_gpu_hour[j],
            spot_share: self.spot_share[j],
            spot_overhead: self.spot_overhead[j],
            storage_tb: self.storage_tb[j],
            storage_per_tb_month: self.storage_per_tb_month[j],
            egress_tb_per_month: self.egress_tb_per_month[j],
            egress_per_tb: self.egress_per_tb[j],
            power_kw_per_gpu: self.power_kw_per_gpu[j],
            pue: self.pue[j],
        }
    }
}

/// The running sums of one option that Monte Carlo reads, for each sample side by side (as
/// [`Totals`], less the sums that stay zero here and the demand, which is every option's).
#[derive(Clone, Copy, Default)]
struct Sums {
    pv_cost: Row,
    total_cost: Row,
    served_onprem_gpu_hours: Row,
    served_cloud_gpu_hours: Row,
    unmet_gpu_hours: Row,
    unserved_cost: Row,
    energy_kwh: Row,
    co2_t: Row,
}

/// One option for each sample of a block: what it computes once, what it carries from month
/// to month, and its sums. Samples past the block's end repeat the first sample's numbers, so
/// that the arithmetic runs on every lane alike; their results are never read.
#[derive(Clone, Copy)]
struct OptionLanes<'a> {
    cloud: [Option<&'a CloudIn>; LANES],
    /// Whether the option owns servers (the same in every lane).
    owns: bool,
    /// Owned capacity [reference GPUs] (M3).
    capacity: Row,
    /// Owned reference GPU-hours in a month.
    installed_hours: Row,
    energy: EnergyLanes,
    owned_co2: Row,
    /// Colocation, staff and software per month, in that order.
    fixed: [Row; 3],
    rates: CloudRatesLanes,
    /// Committed cloud GPUs of the previous month.
    committed: Row,
    /// The committed GPUs in reference GPUs, as they were last renewed.
    k_ref: Row,
    /// The month of each sample's next commitment term (M6).
    renewal: [usize; LANES],
    sums: Sums,
}

/// A cloud offer's rates and its grid's carbon, side by side.
#[derive(Clone, Copy, Default)]
struct CloudRatesLanes {
    rates: CloudLanes,
    co2: Row,
}

/// One sample's factors of one month, shared by all its options, side by side.
#[derive(Debug, Clone, Copy, Default)]
struct MonthFactors {
    /// Demand factor and its inverse (M1).
    f: Row,
    inv: Row,
    /// Discount factors at the month's start and end (F2).
    at_start: Row,
    at_end: Row,
    /// Electricity escalation.
    escalation: Row,
}

/// Buffers of a block's evaluation, kept in the first sample's workspace so that blocks
/// allocate nothing after the first.
#[derive(Debug, Clone, Default)]
pub struct Buffers {
    /// The samples' factors of every month, side by side.
    factors: Vec<MonthFactors>,
    /// One option's owned-hardware cash flows at the start and at the end of the months where
    /// some sample has one, side by side.
    flows: Vec<[Row; 2]>,
    /// The index in `flows` of each month's cash flows, [`NO_FLOWS`] for a month without any.
    flow_at: Vec<u32>,
    /// Whether some sample has an owned-hardware cash flow in each month.
    events: Vec<bool>,
}

/// `Buffers::flow_at` of a month without owned-hardware cash flows.
const NO_FLOWS: u32 = u32::MAX;

/// Where [`evaluate_block_fast`] hands over cumulative costs: first sample, option, month, and
/// the costs of that sample and the next.
type Fan<'a> = dyn FnMut(usize, usize, usize, &[f64]) + 'a;

/// [`evaluate_block_fast`] of at most [`LANES`] samples without queues: compiled for the
/// processor's 256-bit vector instructions where it has them (four samples to an instruction
/// instead of two; the same operations, so the same bits).
fn side_by_side(
    isa: Isa,
    inputs: &[Input],
    months: &[MonthDemand],
    workspaces: &mut [Workspace],
    totals: &mut [Vec<Totals>],
    record: &[bool],
    fan: &mut Fan,
) {
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Detect && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2, checked just above.
        unsafe { side_by_side_avx2(inputs, months, workspaces, totals, record, fan) };
        return;
    }
    side_by_side_in::<false>(inputs, months, workspaces, totals, record, fan);
}

/// [`side_by_side_in`] compiled with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn side_by_side_avx2(
    inputs: &[Input],
    months: &[MonthDemand],
    workspaces: &mut [Workspace],
    totals: &mut [Vec<Totals>],
    record: &[bool],
    fan: &mut Fan,
) {
    side_by_side_in::<true>(inputs, months, workspaces, totals, record, fan);
}

/// The body of [`side_by_side`]; `AVX2` only where the processor has it.
#[inline(always)]
fn side_by_side_in<const AVX2: bool>(
    inputs: &[Input],
    months: &[MonthDemand],
    workspaces: &mut [Workspace],
    totals: &mut [Vec<Totals>],
    record: &[bool],
    fan: &mut Fan,
) {
    let b = inputs.len();
    debug_assert!(b <= LANES);
    if b == 0 {
        return;
    }
    let options = inputs[0].options.len();
    debug_assert!(inputs.iter().all(|i| i.options.len() == options));
    // The lanes of an option run the same arithmetic: samples that differ in which parts an
    // option has (owned servers, a cloud offer) go one by one.
    let uniform = (0..options).all(|n| {
        let parts = |i: &Input| {
            let o = &i.options[n];
            (
                o.kind,
                o.owned.as_ref().is_some_and(|o| o.servers > 0),
                o.cloud.is_some(),
            )
        };
        inputs.iter().all(|i| parts(i) == parts(&inputs[0]))
    });
    if !uniform && b > 1 {
        for j in 0..b {
            let isa = if AVX2 { Isa::Detect } else { Isa::Baseline };
            side_by_side(
                isa,
                &inputs[j..=j],
                months,
                &mut workspaces[j..=j],
                &mut totals[j..=j],
                record,
                &mut |_, n, m, costs| fan(j, n, m, costs),
            );
        }
        return;
    }
    for (input, ws) in inputs.iter().zip(workspaces.iter_mut()) {
        prepare(input, ws, false);
    }
    let mut buffers = std::mem::take(&mut workspaces[0].block);
    let shared: &[Workspace] = workspaces;
    let lane = |j: usize| if j < b { j } else { 0 };
    let h = inputs.iter().map(|i| i.horizon_months).min().unwrap_or(0);
    let months = &months[..h.min(months.len())];
    let h = months.len();
    let price: Row = std::array::from_fn(|j| shared[lane(j)].unserved_price);
    // The samples' factors of every month, side by side, gathered once for all options, month
    // by month: a table every lane shares (the discount and escalation factors, unless they
    // are sampled) is read once and its value set in every lane.
    let factors = &mut buffers.factors;
    factors.clear();
    factors.resize(h, MonthFactors::default());
    let tables: [&super::Tables; LANES] = std::array::from_fn(|j| &shared[lane(j)].tables);
    let shares = |k: usize| tables.iter().all(|t| t.keys[k] == tables[0].keys[k]);
    let (same_escalation, same_discount) = (shares(1), shares(2));
    let scale: [&[f64]; LANES] = std::array::from_fn(|j| &tables[j].scale[..h]);
    let inv: [&[f64]; LANES] = std::array::from_fn(|j| &tables[j].inv_scale[..h]);
    let discount: [&[f64]; LANES] = std::array::from_fn(|j| &tables[j].discount[..=h]);
    let escalation: [&[f64]; LANES] = std::array::from_fn(|j| &tables[j].escalation[..h]);
    for (m, x) in factors.iter_mut().enumerate() {
        x.f = std::array::from_fn(|j| scale[j][m]);
        x.inv = std::array::from_fn(|j| inv[j][m]);
        if same_discount {
            x.at_start = [discount[0][m]; LANES];
            x.at_end = [discount[0][m + 1]; LANES];
        } else {
            x.at_start = std::array::from_fn(|j| discount[j][m]);
            x.at_end = std::array::from_fn(|j| discount[j][m + 1]);
        }
        x.escalation = if same_escalation {
            [escalation[0][m]; LANES]
        } else {
            std::array::from_fn(|j| escalation[j][m])
        };
    }
    // The month's demand is the same for every option of a sample.
    let mut demand = [0.0; LANES];
    for (x, d) in factors.iter().zip(months) {
        let total_load = d.total.total();
        for (f, sum) in x.f.iter().zip(&mut demand) {
            *sum += f * total_load;
        }
    }
    let factors = &buffers.factors;
    let (flows, flow_at, events) = (
        &mut buffers.flows,
        &mut buffers.flow_at,
        &mut buffers.events,
    );
    for n in 0..options {
        let kind = inputs[0].options[n].kind;
        let mut l = OptionLanes {
            cloud: [None; LANES],
            owns: false,
            capacity: [0.0; LANES],
            installed_hours: [0.0; LANES],
            energy: EnergyLanes::default(),
            owned_co2: [0.0; LANES],
            fixed: [[0.0; LANES]; 3],
            rates: CloudRatesLanes::default(),
            committed: [0.0; LANES],
            k_ref: [0.0; LANES],
            renewal: [0; LANES],
            sums: Sums::default(),
        };
        for j in 0..LANES {
            let option = &inputs[lane(j)].options[n];
            let owned = option.owned.as_ref().filter(|o| o.servers > 0);
            let scratch = &shared[lane(j)].options[n];
            l.capacity[j] = owned_capacity(option, scratch, 0);
            if let Some(o) = owned {
                l.owns = true;
                l.installed_hours[j] = o.gpus() * o.rel_throughput * HOURS;
                l.energy.set(j, EnergyRates::of(o));
                l.owned_co2[j] = o.grid_co2_g_per_kwh;
                for (k, v) in owned_fixed(o).into_iter().enumerate() {
                    l.fixed[k][j] = v;
                }
            }
            if let Some(c) = option.cloud.as_ref() {
                l.cloud[j] = Some(c);
                l.rates.rates.set(j, CloudRates::of(c));
                l.rates.co2[j] = c.grid_co2_g_per_kwh;
            }
        }
        // The owned hardware's cash flows side by side, in the months where some sample has one
        // (purchases, disposals, loan payments): in the others each sample's are zero, and
        // adding nothing leaves its month's flows as adding zero would.
        flows.clear();
        flow_at.clear();
        if l.owns {
            events.clear();
            events.resize(h, false);
            for ws in &shared[..b] {
                let s = &ws.options[n];
                for (e, (start, end)) in events.iter_mut().zip(s.start[..h].iter().zip(&s.end[..h]))
                {
                    *e |= (*start != 0.0) | (*end != 0.0);
                }
            }
            let scratch: [&super::Scratch; LANES] =
                std::array::from_fn(|j| &shared[lane(j)].options[n]);
            for (m, event) in events.iter().enumerate() {
                if *event {
                    flow_at.push(flows.len() as u32);
                    flows.push([
                        std::array::from_fn(|j| scratch[j].start[m]),
                        std::array::from_fn(|j| scratch[j].end[m]),
                    ]);
                } else {
                    flow_at.push(NO_FLOWS);
                }
            }
        }
        let mut fan = |m, costs: &[f64]| fan(0, n, m, costs);
        // The kind is the same for every lane: each arm's calls fold to its own case.
        macro_rules! run {
            ($kind:expr) => {
                option_months::<AVX2>(
                    $kind,
                    b,
                    &mut l,
                    months,
                    factors,
                    (flows, flow_at),
                    &price,
                    record,
                    &mut fan,
                )
            };
        }
        match kind {
            Kind::OnPrem => run!(Kind::OnPrem),
            Kind::Cloud => run!(Kind::Cloud),
            Kind::Hybrid => run!(Kind::Hybrid),
        }
        let s = &l.sums;
        for (j, totals) in totals.iter_mut().enumerate().take(b) {
            totals[n] = Totals {
                pv_cost: s.pv_cost[j],
                total_cost: s.total_cost[j],
                demand_gpu_hours: demand[j],
                served_onprem_gpu_hours: s.served_onprem_gpu_hours[j],
                served_cloud_gpu_hours: s.served_cloud_gpu_hours[j],
                unmet_gpu_hours: s.unmet_gpu_hours[j],
                unserved_cost: s.unserved_cost[j],
                energy_kwh: s.energy_kwh[j],
                co2_t: s.co2_t[j],
                ..Totals::default()
            };
        }
    }
    workspaces[0].block = buffers;
}

/// The curve an option of kind `kind` searches in its `slot`-th search of month `d` (the
/// second is a hybrid's search of the sensitive curve), if it searches one.
#[inline(always)]
fn searched(kind: Kind, slot: usize, d: &MonthDemand) -> Option<&Ldc> {
    match (kind, slot) {
        (Kind::OnPrem | Kind::Hybrid, 0) => Some(&d.total),
        (Kind::Cloud, 0) => Some(&d.nonsensitive),
        (Kind::Hybrid, 1) if d.has_sensitive() => Some(&d.sensitive),
        _ => None,
    }
}

/// Answers of the curves found before the arithmetic that reads them, slot by slot.
struct Given([f64; 2]);

impl Answers for Given {
    #[inline(always)]
    fn served(&self, _: &Ldc, slot: usize) -> f64 {
        self.0[slot]
    }
}

/// `curve` scaled by each sample's demand factor answered for each sample's capacity
/// (`served_scaled`), four samples to an instruction where the processor has AVX2.
#[inline(always)]
fn served_row<const AVX2: bool>(curve: &Ldc, capacity: &Row, x: &MonthFactors) -> Row {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: `AVX2` is set only in the evaluation compiled for AVX2, which runs only
        // where the processor has it.
        return unsafe { curve.served_scaled_avx2(capacity, &x.f, &x.inv) };
    }
    std::array::from_fn(|j| curve.served_scaled(capacity[j], x.f[j], x.inv[j]))
}

/// Asks for the memory of the searches of `curve` for `capacity` a step ahead of them.
#[inline(always)]
fn prefetch_row<const AVX2: bool>(curve: &Ldc, capacity: &Row, step: Step) {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: `AVX2` is set only in the evaluation compiled for AVX2, which runs only
        // where the processor has it.
        unsafe { curve.prefetch_avx2(capacity, step == Step::Loads) };
        return;
    }
    match step {
        Step::Guide => curve.prefetch_guide(capacity),
        Step::Loads => curve.prefetch_loads(capacity),
    }
}

/// The steps taken ahead of a curve search.
#[derive(Clone, Copy, PartialEq)]
enum Step {
    Guide,
    Loads,
}

/// Every month of one option (of kind `kind`) for the `b` samples of the block: the
/// arithmetic of the general evaluation in its order, added to each sample's sums. Calls
/// `fan(m, costs)` with the cumulative nominal costs of each month `m` with `record[m]`.
/// `price` is each sample's price of a GPU-hour of unserved work (0 when unpriced).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn option_months<const AVX2: bool>(
    kind: Kind,
    b: usize,
    l: &mut OptionLanes,
    months: &[MonthDemand],
    factors: &[MonthFactors],
    (flows, flow_at): (&[[Row; 2]], &[u32]),
    price: &Row,
    record: &[bool],
    fan: &mut dyn FnMut(usize, &[f64]),
) {
    // Whether unserved work has a price in any sample: without one it costs nothing.
    let priced = price.iter().any(|p| *p > 0.0);
    let query = |l: &OptionLanes, j: usize| {
        if kind == Kind::Cloud {
            l.committed[j] * l.rates.rates.rel_throughput[j]
        } else {
            l.capacity[j]
        }
    };
    let mut sums = l.sums;
    for (m, (d, x)) in months.iter().zip(factors).enumerate() {
        // The memory of each search is asked for in two steps ahead of its answer, so that
        // it arrives while other months compute (the horizon's curves do not fit the cache):
        // the guide entry two months ahead, the first load it points to one month ahead. A
        // request for a capacity that has changed meanwhile (a cloud commitment renewed)
        // only brings in memory the answer does not read.
        for (ahead, step) in [(2, Step::Guide), (1, Step::Loads)] {
            if let (Some(later), Some(y)) = (months.get(m + ahead), factors.get(m + ahead)) {
                let q: Row = std::array::from_fn(|j| query(l, j) * y.inv[j]);
                for slot in 0..2 {
                    if let Some(c) = searched(kind, slot, later) {
                        prefetch_row::<AVX2>(c, &q, step);
                    }
                }
            }
        }
        // Each sample's answers of the month's curves for its owned capacity first, in loops
        // of their own: their searches wait on memory, and independent searches side by side
        // wait together. The arithmetic that reads them then runs on rows of samples.
        let mut given = [[0.0; LANES]; 2];
        if kind != Kind::Cloud {
            for (slot, given) in given.iter_mut().enumerate() {
                if let Some(c) = searched(kind, slot, d) {
                    *given = served_row::<AVX2>(c, &l.capacity, x);
                }
            }
        }
        // The splits (M2-M4).
        let mut onprem = [0.0; LANES];
        let mut cloud = [0.0; LANES];
        let mut unmet = [0.0; LANES];
        let mut unserved = [0.0; LANES];
        for j in 0..LANES {
            let split = split_with(kind, d, x.f[j], price[j], Given([given[0][j], given[1][j]]));
            onprem[j] = split.onprem;
            cloud[j] = split.cloud;
            unmet[j] = split.unmet;
            unserved[j] = split.unserved_cost;
        }
        // The commitments and what they cover (M6).
        let mut covered = [0.0; LANES];
        if kind != Kind::OnPrem && l.cloud[0].is_some() {
            // Between term starts, `commit_gpus` keeps the previous month's GPUs: the lanes
            // are visited only in a month that starts a term in one of them.
            if l.renewal.contains(&m) {
                for (j, cloud) in cloud.iter().enumerate() {
                    if let Some(c) = l.cloud[j] {
                        if m == l.renewal[j] {
                            l.renewal[j] += c.commit_term_months.max(1) as usize;
                            l.committed[j] =
                                commit_gpus(c, c.rel_throughput, m, *cloud, l.committed[j]);
                        }
                        l.k_ref[j] = l.committed[j] * c.rel_throughput;
                    }
                }
            }
            let k_ref = l.k_ref;
            if kind == Kind::Cloud {
                // A cloud option's one search: the non-sensitive curve for its commitment,
                // where `covered_ref` reads it.
                let searches = |j: usize| k_ref[j] > 0.0 && cloud[j] > 0.0;
                if AVX2 {
                    if (0..LANES).any(searches) {
                        given[0] = served_row::<AVX2>(&d.nonsensitive, &k_ref, x);
                    }
                } else {
                    for j in (0..LANES).filter(|j| searches(*j)) {
                        given[0][j] = d.nonsensitive.served_scaled(k_ref[j], x.f[j], x.inv[j]);
                    }
                }
            }
            for j in 0..LANES {
                let (f, inv) = (x.f[j], x.inv[j]);
                let answers = Given([given[0][j], given[1][j]]);
                covered[j] =
                    covered_ref(kind, l.capacity[j], k_ref[j], cloud[j], d, f, inv, answers);
            }
        }
        // The cash flows, lane by lane in plain loops over rows: the same operations in the
        // same order for every sample, which the compiler runs several samples to an
        // instruction.
        let mut start_flow = [0.0; LANES];
        let mut end_flow = [0.0; LANES];
        let mut energy_kwh = [0.0; LANES];
        let mut co2_t = [0.0; LANES];
        if l.owns {
            if let Some([start, end]) = flow_at.get(m).and_then(|i| flows.get(*i as usize)) {
                for j in 0..LANES {
                    start_flow[j] += start[j];
                    end_flow[j] += end[j];
                }
            }
            for j in 0..LANES {
                let (_, kwh, kwh_price) = owned_energy(
                    l.energy.get(j),
                    l.installed_hours[j],
                    onprem[j],
                    x.escalation[j],
                );
                energy_kwh[j] += kwh;
                co2_t[j] += kwh * l.owned_co2[j] / 1e6;
                end_flow[j] += kwh * kwh_price;
                end_flow[j] += l.fixed[0][j];
                end_flow[j] += l.fixed[1][j];
                end_flow[j] += l.fixed[2][j];
            }
        }
        if kind != Kind::OnPrem && l.cloud[0].is_some() {
            for j in 0..LANES {
                let (costs, kwh) =
                    cloud_month(l.rates.rates.get(j), l.committed[j], cloud[j], covered[j]);
                for v in costs {
                    end_flow[j] += v;
                }
                energy_kwh[j] += kwh;
                co2_t[j] += kwh * l.rates.co2[j] / 1e6;
            }
        }
        let s = &mut sums;
        // As `Totals::add`, less the sums that stay zero here: what an option of this kind
        // does not serve, and unserved work without a price (adding a zero leaves a sum that
        // is not −0 as it is, as does adding the price of no unserved work, which the general
        // evaluation skips).
        if priced {
            for j in 0..LANES {
                end_flow[j] += unserved[j];
                s.unserved_cost[j] += unserved[j];
            }
        }
        for j in 0..LANES {
            s.pv_cost[j] += start_flow[j] * x.at_start[j] + end_flow[j] * x.at_end[j];
            s.total_cost[j] += start_flow[j] + end_flow[j];
            s.unmet_gpu_hours[j] += unmet[j];
            s.energy_kwh[j] += energy_kwh[j];
            s.co2_t[j] += co2_t[j];
        }
        if kind != Kind::Cloud {
            for (sum, v) in s.served_onprem_gpu_hours.iter_mut().zip(&onprem) {
                *sum += v;
            }
        }
        if kind != Kind::OnPrem {
            for (sum, v) in s.served_cloud_gpu_hours.iter_mut().zip(&cloud) {
                *sum += v;
            }
        }
        if record[m] {
            // A copy: the sums' own memory is never handed out, so that the compiler knows
            // no other reference reads or writes it and keeps their loops on rows of lanes.
            let costs = s.total_cost;
            fan(m, &costs[..b]);
        }
    }
    l.sums = sums;
}

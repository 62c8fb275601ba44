//! Monte Carlo's evaluation of a block of samples over shared demand curves: only what a
//! sample's statistics read (cash flows, served, unmet and unserved work, energy, carbon),
//! month by month for the whole block, so each month's curves are read once per block.
//!
//! It runs the per-option arithmetic of the general evaluation ([`split_option`],
//! [`covered_ref`], [`commit_gpus`], [`owned_energy`], [`owned_fixed`], [`cloud_month`]) in the
//! same order, so its totals are those of [`evaluate_all`](super::evaluate_all) without detail
//! bit for bit; it skips what that evaluation builds for detail and for the sink (the monthly
//! flows, their cost categories, and sums that stay zero without queues or detail).
//!
//! The loops are ordered for the data: month, then option, then sample. The samples of one
//! option in one month do the same arithmetic on their own numbers, so their numbers are held
//! side by side, one array per quantity with a lane per sample (structure of arrays), and the
//! cash flows are plain loops over the lanes that the compiler runs two samples to an
//! instruction: the same operations on the same operands in the same order as one sample's
//! evaluation, so the same bits (no reordered sums, no fused multiply-adds). The per-option
//! functions take their rates as plain numbers ([`EnergyRates`], [`CloudRates`]) so that both
//! evaluations call them. Each sample's monthly factors and owned-hardware cash flows are
//! gathered a few months ahead into rows for all options; each option's kind is known for the
//! whole inner loop; and sums an option's kind leaves at zero are not formed.

use crate::profile::Ldc;

use super::{
    CloudIn, CloudRates, EnergyRates, HOURS, Input, Kind, MonthDemand, OwnedIn, Totals, Workspace,
    cloud_month, commit_gpus, covered_ref, evaluate_block, owned_capacity, owned_energy,
    owned_fixed, prepare, split_option,
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
    owned: [Option<&'a OwnedIn>; LANES],
    cloud: [Option<&'a CloudIn>; LANES],
    /// The owned hardware's cash flows at the start and at the end of each month.
    start: [&'a [f64]; LANES],
    end: [&'a [f64]; LANES],
    /// The same, side by side for the months gathered ahead.
    start_ahead: [Row; AHEAD],
    end_ahead: [Row; AHEAD],
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
    /// The month of each sample's next commitment term (M6).
    renewal: [usize; LANES],
    /// The guide buckets of next month's searches, on the total (or, for a cloud option, the
    /// non-sensitive) curve and on the sensitive one, asked for a month ahead.
    pending: [[Option<u32>; LANES]; 2],
    sums: Sums,
}

/// A cloud offer's rates and its grid's carbon, side by side.
#[derive(Clone, Copy, Default)]
struct CloudRatesLanes {
    rates: CloudLanes,
    co2: Row,
}

/// Months whose factors are gathered at a time.
const AHEAD: usize = 8;

/// One sample's factors of one month, shared by all its options, side by side.
#[derive(Clone, Copy, Default)]
struct MonthFactors {
    /// Demand factor and its inverse (M1).
    f: Row,
    inv: Row,
    /// Discount factors at the month's start and end (F2).
    at_start: Row,
    at_end: Row,
    /// Electricity escalation.
    escalation: Row,
    /// Price of a GPU-hour of unserved work (0 when unpriced).
    price: Row,
    /// The month's demand [reference GPU-hours]: its factor × the curve's total.
    demand: Row,
}

/// Where [`evaluate_block_fast`] hands over cumulative costs: first sample, option, month, and
/// the costs of that sample and the next.
type Fan<'a> = dyn FnMut(usize, usize, usize, &[f64]) + 'a;

/// [`evaluate_block_fast`] of at most [`LANES`] samples without queues.
fn side_by_side<'a>(
    inputs: &[Input],
    months: &'a [MonthDemand],
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
            side_by_side(
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
    let workspaces: &[Workspace] = workspaces;
    let lane = |j: usize| if j < b { j } else { 0 };
    let mut kinds = Vec::with_capacity(options);
    let mut lanes: Vec<OptionLanes> = Vec::with_capacity(options);
    for n in 0..options {
        kinds.push(inputs[0].options[n].kind);
        let mut l = OptionLanes {
            owned: [None; LANES],
            cloud: [None; LANES],
            start: [&[]; LANES],
            end: [&[]; LANES],
            start_ahead: [[0.0; LANES]; AHEAD],
            end_ahead: [[0.0; LANES]; AHEAD],
            capacity: [0.0; LANES],
            installed_hours: [0.0; LANES],
            energy: EnergyLanes::default(),
            owned_co2: [0.0; LANES],
            fixed: [[0.0; LANES]; 3],
            rates: CloudRatesLanes::default(),
            committed: [0.0; LANES],
            renewal: [0; LANES],
            pending: [[None; LANES]; 2],
            sums: Sums::default(),
        };
        for j in 0..LANES {
            let option = &inputs[lane(j)].options[n];
            let owned = option.owned.as_ref().filter(|o| o.servers > 0);
            let scratch = &workspaces[lane(j)].options[n];
            l.capacity[j] = owned_capacity(option, scratch, 0);
            if let Some(o) = owned {
                l.owned[j] = Some(o);
                l.start[j] = &scratch.start;
                l.end[j] = &scratch.end;
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
        lanes.push(l);
    }
    let h = inputs.iter().map(|i| i.horizon_months).min().unwrap_or(0);
    let months = &months[..h.min(months.len())];
    let price = std::array::from_fn(|j| workspaces[lane(j)].unserved_price);
    // The samples' monthly factors, side by side, gathered a few months ahead: each sample's
    // tables are read in runs, and the rows stay few enough to leave the cache to the curves.
    let mut ahead = [MonthFactors {
        price,
        ..MonthFactors::default()
    }; AHEAD];
    // Whether unserved work has a price in any sample: without one it costs nothing.
    let priced = price.iter().any(|p| *p > 0.0);
    let mut demand = [0.0; LANES];
    for (m, d) in months.iter().enumerate() {
        if m % AHEAD == 0 {
            let run = AHEAD.min(months.len() - m);
            for j in 0..LANES {
                let t = &workspaces[lane(j)].tables;
                let rows = t.scale[m..m + run]
                    .iter()
                    .zip(&t.inv_scale[m..m + run])
                    .zip(&t.discount[m..m + run])
                    .zip(&t.discount[m + 1..m + run + 1])
                    .zip(&t.escalation[m..m + run]);
                for (x, ((((f, inv), at_start), at_end), escalation)) in ahead.iter_mut().zip(rows)
                {
                    x.f[j] = *f;
                    x.inv[j] = *inv;
                    x.at_start[j] = *at_start;
                    x.at_end[j] = *at_end;
                    x.escalation[j] = *escalation;
                }
            }
            for (x, d) in ahead.iter_mut().zip(&months[m..m + run]) {
                let total_load = d.total.total();
                for j in 0..LANES {
                    x.demand[j] = x.f[j] * total_load;
                }
            }
            for l in lanes.iter_mut().filter(|l| l.owned[0].is_some()) {
                for j in 0..LANES {
                    let rows = l.start[j][m..m + run].iter().zip(&l.end[j][m..m + run]);
                    for ((start, end), (s, e)) in
                        l.start_ahead.iter_mut().zip(&mut l.end_ahead).zip(rows)
                    {
                        start[j] = *s;
                        end[j] = *e;
                    }
                }
            }
        }
        // The curves' memory that the searches of the next two months will read is asked
        // for now, so that it arrives while this month computes: the guide entries two months
        // ahead, the loads they point to one month ahead (their guide entries asked for a
        // month ago).
        if let (Some(next), Some(after)) = (months.get(m + 1), months.get(m + 2)) {
            let mut inv = [0.0; LANES];
            for (v, ws) in inv.iter_mut().zip(workspaces) {
                *v = ws.tables.inv_scale[m + 2];
            }
            for (&kind, l) in kinds.iter().zip(lanes.iter_mut()) {
                let curves = |d: &'a MonthDemand| -> [Option<&'a Ldc>; 2] {
                    match kind {
                        Kind::OnPrem => [Some(&d.total), None],
                        Kind::Hybrid => [Some(&d.total), Some(&d.sensitive)],
                        Kind::Cloud => [Some(&d.nonsensitive), None],
                    }
                };
                for (c, (next, after)) in curves(next).into_iter().zip(curves(after)).enumerate() {
                    let (Some(next), Some(after)) = (next, after) else {
                        continue;
                    };
                    for (j, inv) in inv.iter().enumerate().take(b) {
                        if let Some(bucket) = l.pending[c][j] {
                            next.prefetch_loads(bucket);
                        }
                        let capacity = if kind == Kind::Cloud {
                            l.committed[j] * l.rates.rates.rel_throughput[j]
                        } else {
                            l.capacity[j]
                        };
                        l.pending[c][j] = after.prefetch_guide(capacity * inv);
                    }
                }
            }
        }
        let x = &ahead[m % AHEAD];
        // The month's demand is the same for every option of a sample.
        for (sum, v) in demand.iter_mut().zip(&x.demand) {
            *sum += v;
        }
        for (n, (&kind, l)) in kinds.iter().zip(lanes.iter_mut()).enumerate() {
            // The kind is the same for every lane: each arm's calls fold to its own case.
            match kind {
                Kind::OnPrem => step(Kind::OnPrem, b, m, d, l, x, priced),
                Kind::Cloud => step(Kind::Cloud, b, m, d, l, x, priced),
                Kind::Hybrid => step(Kind::Hybrid, b, m, d, l, x, priced),
            }
            if record[m] {
                fan(0, n, m, &l.sums.total_cost[..b]);
            }
        }
    }
    for (n, l) in lanes.iter().enumerate() {
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
}

/// Month `m` of one option (of kind `kind`) for the `b` samples of the block: the arithmetic
/// of the general evaluation in its order, added to each sample's sums.
#[inline(always)]
fn step(
    kind: Kind,
    b: usize,
    m: usize,
    d: &MonthDemand,
    l: &mut OptionLanes,
    x: &MonthFactors,
    priced: bool,
) {
    // The curve searches of all samples first, in a loop of their own: they wait on memory,
    // and independent searches side by side wait together instead of one after another.
    let mut onprem = [0.0; LANES];
    let mut cloud = [0.0; LANES];
    let mut unmet = [0.0; LANES];
    let mut unserved = [0.0; LANES];
    for j in 0..b {
        let split = split_option(kind, l.capacity[j], d, x.f[j], x.inv[j], x.price[j]);
        onprem[j] = split.onprem;
        cloud[j] = split.cloud;
        unmet[j] = split.unmet;
        unserved[j] = split.unserved_cost;
    }
    let mut covered = [0.0; LANES];
    if kind != Kind::OnPrem {
        for j in 0..b {
            if let Some(c) = l.cloud[j] {
                // Between term starts, `commit_gpus` keeps the previous month's GPUs.
                if m == l.renewal[j] {
                    l.renewal[j] += c.commit_term_months.max(1) as usize;
                    l.committed[j] = commit_gpus(c, c.rel_throughput, m, cloud[j], l.committed[j]);
                }
                let k = l.committed[j];
                covered[j] = covered_ref(
                    kind,
                    l.capacity[j],
                    k * c.rel_throughput,
                    cloud[j],
                    d,
                    x.f[j],
                    x.inv[j],
                );
            }
        }
    }
    // The cash flows, lane by lane in plain loops over rows: the same operations in the same
    // order for every sample, which the compiler runs several samples to an instruction.
    let mut start_flow = [0.0; LANES];
    let mut end_flow = [0.0; LANES];
    let mut energy_kwh = [0.0; LANES];
    let mut co2_t = [0.0; LANES];
    if l.owned[0].is_some() {
        let start = &l.start_ahead[m % AHEAD];
        let end = &l.end_ahead[m % AHEAD];
        for j in 0..LANES {
            start_flow[j] += start[j];
            end_flow[j] += end[j];
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
    let s = &mut l.sums;
    // As `Totals::add`, less the sums that stay zero here: what an option of this kind does
    // not serve, and unserved work without a price (adding a zero leaves a sum that is not −0
    // as it is, as does adding the price of no unserved work, which the general evaluation
    // skips).
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
}

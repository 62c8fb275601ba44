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
//! option in one month do the same arithmetic on their own numbers, so the processor overlaps
//! their chains of dependent additions instead of waiting on one sample's; each sample's
//! monthly factors are gathered once per month for all options; and each option's kind is
//! known for the whole inner loop.

use super::{
    CloudIn, HOURS, Input, Kind, MonthDemand, OwnedIn, Split, Totals, Workspace, cloud_month,
    commit_gpus, covered_ref, evaluate_block, owned_capacity, owned_energy, owned_fixed, prepare,
    split_option,
};

/// Most samples evaluated side by side; larger blocks are taken this many at a time.
pub const LANES: usize = 8;

/// What one option of one sample keeps from month to month, and what it computes once.
#[derive(Clone, Copy)]
struct Lane<'a> {
    owned: Option<&'a OwnedIn>,
    cloud: Option<&'a CloudIn>,
    /// Owned capacity [reference GPUs] (M3).
    capacity: f64,
    /// Owned reference GPU-hours in a month.
    installed_hours: f64,
    /// Colocation, staff and software per month.
    fixed: [f64; 3],
    /// The owned hardware's cash flows at the start and at the end of each month.
    start: &'a [f64],
    end: &'a [f64],
    /// Committed cloud GPUs of the previous month.
    committed: f64,
}

/// One sample's factors of one month, shared by all its options.
#[derive(Clone, Copy, Default)]
struct MonthFactors {
    /// Demand factor and its inverse (M1).
    f: f64,
    inv: f64,
    /// Discount factors at the month's start and end (F2).
    at_start: f64,
    at_end: f64,
    /// Electricity escalation.
    escalation: f64,
    /// Price of a GPU-hour of unserved work (0 when unpriced).
    price: f64,
}

/// Evaluates every option of each of `inputs` (samples of one scenario that share its demand
/// curves `months`) and writes their totals: exactly those of [`evaluate_all`](super::evaluate_all)
/// without detail. Calls `fan(sample, option, month, cost)` for every month `m` with
/// `record[m]`, with the cumulative nominal cost at the end of that month.
pub fn evaluate_block_fast(
    inputs: &[Input],
    months: &[MonthDemand],
    workspaces: &mut [Workspace],
    totals: &mut [Vec<Totals>],
    record: &[bool],
    mut fan: impl FnMut(usize, usize, usize, f64),
) {
    if inputs.iter().any(Input::hourly) {
        // Queues walk the hours: the general evaluation, its cumulative costs from its flows.
        let options = inputs.first().map_or(0, |i| i.options.len());
        let mut cumulative = vec![0.0; inputs.len() * options];
        evaluate_block(inputs, months, workspaces, false, totals, |j, n, m, f| {
            let cum = &mut cumulative[j * options + n];
            if m == 0 {
                *cum = 0.0;
            }
            *cum += f.start_flow + f.end_flow;
            if record[m] {
                fan(j, n, m, *cum);
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
            &mut |j, n, m, cost| fan(first + j, n, m, cost),
        );
        first = end;
    }
}

/// [`evaluate_block_fast`] of at most [`LANES`] samples without queues.
fn side_by_side(
    inputs: &[Input],
    months: &[MonthDemand],
    workspaces: &mut [Workspace],
    totals: &mut [Vec<Totals>],
    record: &[bool],
    fan: &mut impl FnMut(usize, usize, usize, f64),
) {
    let b = inputs.len();
    debug_assert!(b <= LANES);
    for (input, ws) in inputs.iter().zip(workspaces.iter_mut()) {
        prepare(input, ws, false);
    }
    let workspaces: &[Workspace] = workspaces;
    let options = inputs.first().map_or(0, |i| i.options.len());
    debug_assert!(inputs.iter().all(|i| i.options.len() == options));
    // Option-major: the lanes of option n are lanes[n * b..(n + 1) * b].
    let mut kinds = Vec::with_capacity(options);
    let mut lanes: Vec<Lane> = Vec::with_capacity(options * b);
    for n in 0..options {
        kinds.push(inputs[0].options[n].kind);
        for (input, ws) in inputs.iter().zip(workspaces) {
            let option = &input.options[n];
            debug_assert!(option.kind == kinds[n]);
            let owned = option.owned.as_ref().filter(|o| o.servers > 0);
            let scratch = &ws.options[n];
            lanes.push(Lane {
                owned,
                cloud: option.cloud.as_ref(),
                capacity: owned_capacity(option),
                installed_hours: owned
                    .map(|o| o.gpus() * o.rel_throughput * HOURS)
                    .unwrap_or(0.0),
                fixed: owned.map(owned_fixed).unwrap_or([0.0; 3]),
                start: &scratch.start,
                end: &scratch.end,
                committed: 0.0,
            });
        }
    }
    for t in totals.iter_mut().flatten() {
        *t = Totals::default();
    }
    let h = inputs.iter().map(|i| i.horizon_months).min().unwrap_or(0);
    let mut factors = [MonthFactors::default(); LANES];
    for (m, d) in months.iter().enumerate().take(h) {
        let total_load = d.total.total();
        for (x, ws) in factors.iter_mut().zip(workspaces) {
            let t = &ws.tables;
            *x = MonthFactors {
                f: t.scale[m],
                inv: t.inv_scale[m],
                at_start: t.discount[m],
                at_end: t.discount[m + 1],
                escalation: t.escalation[m],
                price: ws.unserved_price,
            };
        }
        for (n, &kind) in kinds.iter().enumerate() {
            let row = &mut lanes[n * b..(n + 1) * b];
            // The kind is the same for every lane: each arm's calls fold to its own case.
            match kind {
                Kind::OnPrem => step(Kind::OnPrem, n, m, d, total_load, row, &factors, totals),
                Kind::Cloud => step(Kind::Cloud, n, m, d, total_load, row, &factors, totals),
                Kind::Hybrid => step(Kind::Hybrid, n, m, d, total_load, row, &factors, totals),
            }
            if record[m] {
                for (j, t) in totals.iter().enumerate() {
                    fan(j, n, m, t[n].total_cost);
                }
            }
        }
    }
}

/// Month `m` of option `n` (of kind `kind`) for each sample of the block: the arithmetic of the
/// general evaluation in its order, added to the sample's totals.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn step(
    kind: Kind,
    n: usize,
    m: usize,
    d: &MonthDemand,
    total_load: f64,
    row: &mut [Lane],
    factors: &[MonthFactors; LANES],
    totals: &mut [Vec<Totals>],
) {
    // The curve searches of all samples first, in a loop of their own: they wait on memory,
    // and independent searches side by side wait together instead of one after another.
    let mut splits = [Split::default(); LANES];
    for ((split, lane), x) in splits.iter_mut().zip(row.iter()).zip(factors) {
        *split = split_option(kind, lane.capacity, d, x.f, x.inv, x.price);
    }
    let mut covered = [0.0; LANES];
    if kind != Kind::OnPrem {
        for (((lane, x), split), covered) in row
            .iter_mut()
            .zip(factors)
            .zip(&splits)
            .zip(covered.iter_mut())
        {
            if let Some(c) = lane.cloud {
                let k = commit_gpus(c, m, split.cloud, lane.committed);
                lane.committed = k;
                *covered = covered_ref(
                    kind,
                    lane.capacity,
                    k * c.rel_throughput,
                    split.cloud,
                    d,
                    x.f,
                    x.inv,
                );
            }
        }
    }
    for ((((lane, x), split), covered), totals) in row
        .iter()
        .zip(factors)
        .zip(&splits)
        .zip(covered)
        .zip(totals.iter_mut())
    {
        let f = x.f;
        let mut start_flow = 0.0;
        let mut end_flow = 0.0;
        let mut energy_kwh = 0.0;
        let mut co2_t = 0.0;
        if let Some(o) = lane.owned {
            start_flow += lane.start[m];
            end_flow += lane.end[m];
            let (_, kwh, kwh_price) =
                owned_energy(o, lane.installed_hours, split.onprem, x.escalation);
            energy_kwh += kwh;
            co2_t += kwh * o.grid_co2_g_per_kwh / 1e6;
            end_flow += kwh * kwh_price;
            for v in lane.fixed {
                end_flow += v;
            }
        }
        if let Some(c) = lane.cloud {
            let (costs, kwh) = cloud_month(c, lane.committed, split.cloud, covered);
            for v in costs {
                end_flow += v;
            }
            energy_kwh += kwh;
            co2_t += kwh * c.grid_co2_g_per_kwh / 1e6;
        }
        if split.unserved_cost != 0.0 {
            end_flow += split.unserved_cost;
        }
        // As `Totals::add`, less the sums that stay zero here.
        let t = &mut totals[n];
        t.pv_cost += start_flow * x.at_start + end_flow * x.at_end;
        t.total_cost += start_flow + end_flow;
        t.demand_gpu_hours += f * total_load;
        t.served_onprem_gpu_hours += split.onprem;
        t.served_cloud_gpu_hours += split.cloud;
        t.unmet_gpu_hours += split.unmet;
        t.unserved_cost += split.unserved_cost;
        t.energy_kwh += energy_kwh;
        t.co2_t += co2_t;
    }
}

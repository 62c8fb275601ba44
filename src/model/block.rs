//! Monte Carlo's evaluation of a block of samples over shared demand curves: only what a
//! sample's statistics read (cash flows, served, unmet and unserved work, energy, carbon),
//! month by month for the whole block, so each month's curves are read once per block.
//!
//! It runs the per-option arithmetic of the general evaluation ([`split_option`],
//! [`covered_ref`], [`commit_gpus`], [`owned_energy`], [`owned_fixed`], [`cloud_month`]) in the
//! same order, so its totals are those of [`evaluate_all`](super::evaluate_all) without detail
//! bit for bit; it skips what that evaluation builds for detail and for the sink (the monthly
//! flows, their cost categories, and sums that stay zero without queues or detail).

use super::{
    CloudIn, HOURS, Input, Kind, MonthDemand, OwnedIn, Totals, Workspace, cloud_month, commit_gpus,
    covered_ref, evaluate_block, owned_capacity, owned_energy, owned_fixed, prepare, split_option,
};

/// What one option of one sample keeps from month to month, and what it computes once.
#[derive(Clone, Copy)]
struct Lane<'a> {
    kind: Kind,
    owned: Option<&'a OwnedIn>,
    cloud: Option<&'a CloudIn>,
    /// Owned capacity [reference GPUs] (M3).
    capacity: f64,
    /// Owned reference GPU-hours in a month.
    installed_hours: f64,
    /// Colocation, staff and software per month.
    fixed: [f64; 3],
    /// Committed cloud GPUs of the previous month.
    committed: f64,
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
    for (input, ws) in inputs.iter().zip(workspaces.iter_mut()) {
        prepare(input, ws, false);
    }
    let mut lanes: Vec<Vec<Lane>> = inputs
        .iter()
        .map(|input| {
            input
                .options
                .iter()
                .map(|option| {
                    let owned = option.owned.as_ref().filter(|o| o.servers > 0);
                    Lane {
                        kind: option.kind,
                        owned,
                        cloud: option.cloud.as_ref(),
                        capacity: owned_capacity(option),
                        installed_hours: owned
                            .map(|o| o.gpus() * o.rel_throughput * HOURS)
                            .unwrap_or(0.0),
                        fixed: owned.map(owned_fixed).unwrap_or([0.0; 3]),
                        committed: 0.0,
                    }
                })
                .collect()
        })
        .collect();
    for t in totals.iter_mut().flatten() {
        *t = Totals::default();
    }
    let h = inputs.iter().map(|i| i.horizon_months).min().unwrap_or(0);
    for (m, d) in months.iter().enumerate().take(h) {
        let total_load = d.total.total();
        for (j, ((ws, lanes), totals)) in workspaces
            .iter()
            .zip(lanes.iter_mut())
            .zip(totals.iter_mut())
            .enumerate()
        {
            let tables = &ws.tables;
            let f = tables.scale[m];
            let inv = tables.inv_scale[m];
            let (at_start, at_end) = (tables.discount[m], tables.discount[m + 1]);
            let price = ws.unserved_price;
            for (n, ((lane, scratch), t)) in lanes
                .iter_mut()
                .zip(&ws.options)
                .zip(totals.iter_mut())
                .enumerate()
            {
                let split = split_option(lane.kind, lane.capacity, d, f, inv, price);
                let mut start_flow = 0.0;
                let mut end_flow = 0.0;
                let mut energy_kwh = 0.0;
                let mut co2_t = 0.0;
                if let Some(o) = lane.owned {
                    start_flow += scratch.start[m];
                    end_flow += scratch.end[m];
                    let (_, kwh, kwh_price) =
                        owned_energy(o, lane.installed_hours, split.onprem, tables.escalation[m]);
                    energy_kwh += kwh;
                    co2_t += kwh * o.grid_co2_g_per_kwh / 1e6;
                    end_flow += kwh * kwh_price;
                    for v in lane.fixed {
                        end_flow += v;
                    }
                }
                if let Some(c) = lane.cloud {
                    let k = commit_gpus(c, m, split.cloud, lane.committed);
                    lane.committed = k;
                    let covered = covered_ref(
                        lane.kind,
                        lane.capacity,
                        k * c.rel_throughput,
                        split.cloud,
                        d,
                        f,
                        inv,
                    );
                    let (costs, kwh) = cloud_month(c, k, split.cloud, covered);
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
                t.pv_cost += start_flow * at_start + end_flow * at_end;
                t.total_cost += start_flow + end_flow;
                t.demand_gpu_hours += f * total_load;
                t.served_onprem_gpu_hours += split.onprem;
                t.served_cloud_gpu_hours += split.cloud;
                t.unmet_gpu_hours += split.unmet;
                t.unserved_cost += split.unserved_cost;
                t.energy_kwh += energy_kwh;
                t.co2_t += co2_t;
                if record[m] {
                    fan(j, n, m, t.total_cost);
                }
            }
        }
    }
}

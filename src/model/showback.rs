//! Showback: each option's cost shared among the teams whose workloads used it (README
//! "Teams and showback", B1–B4).
//!
//! The model works with classes of load (sensitive or not, waiting or not); this module finds
//! what each workload got in each month of an option — on-prem, cloud, unmet — by the same
//! rules, the load of a class in an hour being shared among its workloads in proportion to
//! their load in that hour (B1), and then divides the month's costs by what each team used
//! (B2, B3).

use super::input::{Input, Kind, OptionIn};
use super::output::Category;
use super::queue::QueueMonth;
use super::trace::TraceRun;
use super::{MonthDemand, MonthRow};
use crate::timeline::HOURS_PER_MONTH;

/// Where the cost of owned capacity nobody used goes (B3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// A line of its own.
    Separate,
    /// Shared among the teams in proportion to what they used.
    Shared,
}

impl Idle {
    pub fn as_str(self) -> &'static str {
        match self {
            Idle::Separate => "separate",
            Idle::Shared => "shared",
        }
    }
}

/// What a workload got in a month: `[on-prem, cloud, unmet, price of unmet]`
/// [reference GPU-hours, scenario currency].
pub type Got = [f64; 4];

/// One team's share of an option, or the idle capacity's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TeamCost {
    pub team: String,
    pub onprem_gpu_hours: f64,
    pub cloud_gpu_hours: f64,
    pub unmet_gpu_hours: f64,
    /// Nominal cost over the horizon, and its part for owned capacity, the cloud and unserved
    /// work (Q7).
    pub cost: f64,
    pub owned_cost: f64,
    pub cloud_cost: f64,
    pub unserved_cost: f64,
    /// Present value (F2).
    pub pv_cost: f64,
}

/// An option's showback: the teams in order of first appearance, then what nobody used.
#[derive(Debug, Clone, PartialEq)]
pub struct Showback {
    pub idle_mode: Idle,
    pub teams: Vec<TeamCost>,
    /// The cost of owned GPU-hours nobody used (and of cloud costs in months without cloud
    /// use), with the idle owned GPU-hours in `onprem_gpu_hours`; all zero when shared and
    /// something was used.
    pub idle: TeamCost,
}

impl Showback {
    /// What is shown back: the teams' costs and the idle line's, which is the option's total
    /// cost before tax (B4); each team's share is of this.
    pub fn total_cost(&self) -> f64 {
        self.teams.iter().map(|t| t.cost).sum::<f64>() + self.idle.cost
    }
}

/// The label of the workloads without a team.
pub const NO_TEAM: &str = "(no team)";

/// What each workload of `input` got in each month of `option` (B1): `[month][workload]`.
/// `queue` and `trace` are what the option's evaluation left (empty for a scenario that does
/// not walk the hours, or has no trace workloads), `held` its held loads (empty without
/// fractional workloads, SG3); `capacity[m]` is its owned capacity in month m and `scale` the
/// months' demand factors.
#[allow(clippy::too_many_arguments)]
pub fn attribute(
    input: &Input,
    months: &[MonthDemand],
    option: &OptionIn,
    capacity: &[f64],
    scale: &[f64],
    queue: &[QueueMonth],
    trace: Option<&TraceRun>,
    held: &[super::sharing::HeldMonth],
) -> Vec<Vec<Got>> {
    let h = input.horizon_months.min(months.len());
    let n = input.workloads.len();
    let hourly = input.hourly();
    let waiting = super::waiting_order(input);
    let mut out = vec![vec![[0.0; 4]; n]; h];
    let mut loads = vec![0.0; HOURS_PER_MONTH];
    for (m, got) in out.iter_mut().enumerate() {
        let f = scale.get(m).copied().unwrap_or(1.0);
        let month0 = input.start.plus(m as u32).month0();
        let d = &months[m];
        let capacity = capacity.get(m).copied().unwrap_or(0.0);
        // The class loads of each hour, for the rule of M4 (no queue): the loads held on the
        // option's GPUs with shared GPUs (SG3), of which each workload gets the share served.
        let (total, sensitive) = match held.get(m) {
            Some(held) => (&held.total[..], &held.sensitive[..]),
            None => (d.hourly_total(), &d.hourly_sensitive[..]),
        };
        for (w, workload) in input.workloads.iter().enumerate() {
            if workload.trace.is_some() {
                if let Some(t) = trace.and_then(|t| t.months.get(m)) {
                    let by = t.by_workload.get(w).copied().unwrap_or_default();
                    got[w] = by;
                }
                continue;
            }
            let month_total = workload.ref_gpu_hours_per_month
                * (1.0 + workload.growth_per_year).powf(m as f64 / 12.0)
                * workload.profile.season(month0);
            for (l, weight) in loads.iter_mut().zip(workload.profile.month_shape(month0)) {
                *l = f * month_total * weight;
            }
            let all: f64 = loads.iter().sum();
            let leaves =
                |kind: Kind| (kind == Kind::Cloud || kind == Kind::Hybrid) && !workload.sensitive;
            let (onprem, lost) = match option.kind {
                Kind::Cloud => (0.0, all),
                _ if hourly => {
                    if let Some(j) = waiting.iter().position(|q| q.workload == w) {
                        let by = queue
                            .get(m)
                            .and_then(|q| q.by_waiting.get(j))
                            .copied()
                            .unwrap_or_default();
                        let price = workload.unserved_cost_per_gpu_hour.unwrap_or(0.0);
                        got[w] = [by[0], by[1], by[2], by[2] * price];
                        continue;
                    }
                    // Interactive load: all of it in the hours not walked, its class's share
                    // in the walked ones.
                    let lost: f64 = queue
                        .get(m)
                        .map(|q| {
                            q.walked
                                .iter()
                                .map(|&(hour, s, o)| {
                                    let share = if workload.sensitive { s } else { o };
                                    loads[hour as usize] * (1.0 - share)
                                })
                                .sum()
                        })
                        .unwrap_or(0.0);
                    (all - lost, lost)
                }
                kind => {
                    // M4, hour by hour: the share of its class served within the capacity.
                    let mut onprem = 0.0;
                    for (hour, l) in loads.iter().enumerate() {
                        if *l <= 0.0 {
                            continue;
                        }
                        let big_l = f * total.get(hour).copied().unwrap_or(0.0);
                        let big_s = f * sensitive.get(hour).copied().unwrap_or(0.0);
                        let share = if kind == Kind::OnPrem {
                            fraction(big_l.min(capacity), big_l)
                        } else if workload.sensitive {
                            fraction(big_s.min(capacity), big_s)
                        } else {
                            fraction(
                                big_l.min(capacity) - big_s.min(capacity),
                                (big_l - big_s).max(0.0),
                            )
                        };
                        onprem += l * share;
                    }
                    (onprem, (all - onprem).max(0.0))
                }
            };
            let price = workload.unserved_cost_per_gpu_hour.unwrap_or(0.0);
            got[w] = if leaves(option.kind) {
                [onprem, lost, 0.0, 0.0]
            } else {
                [onprem, 0.0, lost, lost * price]
            };
        }
    }
    out
}

/// `part / whole`, 1 when the whole is nothing, never above 1.
fn fraction(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        (part / whole).clamp(0.0, 1.0)
    } else {
        1.0
    }
}

/// Divides the costs of `rows` (an option's months) among the teams of `input` by what their
/// workloads got (`got`, from [`attribute`]), with idle owned capacity as `idle` says (B2,
/// B3); `capacity[m]` is the option's owned capacity in month m [reference GPUs] and `discount` the
/// discount factors at times 0..=H months (F2).
pub fn allocate(
    input: &Input,
    rows: &[MonthRow],
    got: &[Vec<Got>],
    capacity: &[f64],
    discount: &[f64],
    idle_mode: Idle,
) -> Showback {
    let mut names: Vec<&str> = Vec::new();
    let team_of: Vec<usize> = input
        .workloads
        .iter()
        .map(|w| {
            let name = w.team.as_deref().unwrap_or(NO_TEAM);
            match names.iter().position(|n| *n == name) {
                Some(i) => i,
                None => {
                    names.push(name);
                    names.len() - 1
                }
            }
        })
        .collect();
    let mut teams: Vec<TeamCost> = names
        .iter()
        .map(|n| TeamCost {
            team: (*n).to_string(),
            ..TeamCost::default()
        })
        .collect();
    let mut idle = TeamCost {
        team: "idle".to_string(),
        ..TeamCost::default()
    };
    let k = teams.len();
    let (mut onprem, mut cloud, mut unmet, mut unserved) =
        (vec![0.0; k], vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    for (m, (row, got)) in rows.iter().zip(got).enumerate() {
        for v in [&mut onprem, &mut cloud, &mut unmet, &mut unserved] {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
        for (w, g) in got.iter().enumerate() {
            let t = team_of[w];
            onprem[t] += g[0];
            cloud[t] += g[1];
            unmet[t] += g[2];
            unserved[t] += g[3];
        }
        let owned_cost: f64 = OWNED.iter().map(|c| row.costs[*c as usize]).sum();
        let cloud_cost: f64 = CLOUD.iter().map(|c| row.costs[*c as usize]).sum();
        let unserved_cost = row.costs[Category::Unserved as usize];
        // Owned costs at the start of the month are the capex (F2); the rest at its end.
        let (at_start, at_end) = (discount[m], discount[m + 1]);
        // Before tax (README TX4): the start-of-month flows less their income tax.
        let owned_start = row.start_flow - row.tax_at_start;
        let owned_pv = owned_start * at_start + (owned_cost - owned_start) * at_end;
        let hours_capacity = capacity.get(m).copied().unwrap_or(0.0) * HOURS_PER_MONTH as f64;
        let used: f64 = onprem.iter().sum();
        let used_cloud: f64 = cloud.iter().sum();
        let delivered = used + used_cloud;
        let total_unserved: f64 = unserved.iter().sum();
        // B2: owned capacity by the on-prem GPU-hours used of the capacity, or of what was used.
        let owned_share = |t: usize| match idle_mode {
            Idle::Separate if hours_capacity > 0.0 => onprem[t] / hours_capacity.max(used),
            Idle::Shared if used > 0.0 => onprem[t] / used,
            _ => 0.0,
        };
        // The cloud by the cloud GPU-hours; costs of a month without cloud use (storage,
        // unused commitments) are idle, or shared by all that was delivered.
        let cloud_share = |t: usize| {
            if used_cloud > 0.0 {
                cloud[t] / used_cloud
            } else if idle_mode == Idle::Shared && delivered > 0.0 {
                (onprem[t] + cloud[t]) / delivered
            } else {
                0.0
            }
        };
        let unserved_share = |t: usize| {
            if total_unserved > 0.0 {
                unserved[t] / total_unserved
            } else {
                0.0
            }
        };
        let (mut owned_given, mut cloud_given, mut unserved_given) = (0.0, 0.0, 0.0);
        for (t, team) in teams.iter_mut().enumerate() {
            let (so, sc, su) = (owned_share(t), cloud_share(t), unserved_share(t));
            team.onprem_gpu_hours += onprem[t];
            team.cloud_gpu_hours += cloud[t];
            team.unmet_gpu_hours += unmet[t];
            add(team, so * owned_cost, sc * cloud_cost, su * unserved_cost);
            team.pv_cost += so * owned_pv + (sc * cloud_cost + su * unserved_cost) * at_end;
            owned_given += so;
            cloud_given += sc;
            unserved_given += su;
        }
        // What no team was given: idle capacity, and costs without use. Where the teams were
        // given all of a cost, nothing is left (not the rounding of 1 − the sum of their
        // shares); the idle capacity's share is worked out on its own.
        let ro = match idle_mode {
            Idle::Separate if hours_capacity > 0.0 => {
                (hours_capacity - used).max(0.0) / hours_capacity.max(used)
            }
            Idle::Shared if used > 0.0 => 0.0,
            _ => (1.0 - owned_given).max(0.0),
        };
        let rc = if used_cloud > 0.0 || (idle_mode == Idle::Shared && delivered > 0.0) {
            0.0
        } else {
            (1.0 - cloud_given).max(0.0)
        };
        let ru = if total_unserved > 0.0 {
            0.0
        } else {
            (1.0 - unserved_given).max(0.0)
        };
        idle.onprem_gpu_hours += (hours_capacity - used).max(0.0);
        add(
            &mut idle,
            ro * owned_cost,
            rc * cloud_cost,
            ru * unserved_cost,
        );
        idle.pv_cost += ro * owned_pv + (rc * cloud_cost + ru * unserved_cost) * at_end;
    }
    Showback {
        idle_mode,
        teams,
        idle,
    }
}

fn add(t: &mut TeamCost, owned: f64, cloud: f64, unserved: f64) {
    t.owned_cost += owned;
    t.cloud_cost += cloud;
    t.unserved_cost += unserved;
    t.cost += owned + cloud + unserved;
}

/// The categories of owned capacity.
const OWNED: [Category; 9] = [
    Category::Hardware,
    Category::Financing,
    Category::ResidualValue,
    Category::Lease,
    Category::Energy,
    Category::Colocation,
    Category::Staff,
    Category::Support,
    Category::Software,
];

/// The cloud categories.
const CLOUD: [Category; 5] = [
    Category::CloudCommitted,
    Category::CloudOnDemand,
    Category::CloudSpot,
    Category::Storage,
    Category::Egress,
];

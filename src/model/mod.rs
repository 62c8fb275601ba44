//! The cost and capacity model: monthly steps, hourly load inside each month through
//! load-duration curves, owned and cloud costs, energy and carbon, and the comparison of every
//! option with the baseline. Pure: plain values in, plain values out, no I/O.
//!
//! Equation numbers (M1, M2, ...) refer to the README's "Model" section.

mod input;
mod output;

pub use input::*;
pub use output::*;

use crate::finance;
use crate::profile::Ldc;
use crate::timeline::HOURS_PER_MONTH;

const HOURS: f64 = HOURS_PER_MONTH as f64;

/// The demand of one month: all load, the sensitive part and the rest, as load-duration
/// curves [reference GPUs per hour].
#[derive(Debug, Clone)]
pub struct MonthDemand {
    pub total: Ldc,
    pub sensitive: Ldc,
    pub nonsensitive: Ldc,
    hourly_total: Vec<f64>,
    hourly_sensitive: Vec<f64>,
}

impl MonthDemand {
    fn has_sensitive(&self) -> bool {
        self.sensitive.total() > 0.0
    }
}

/// Hourly demand of every month (equation M1): workload w contributes
/// D_w × (1+g_w)^(m/12) × season_w(month) × shape_w(h).
pub fn demand_curves(input: &Input) -> Vec<MonthDemand> {
    (0..input.horizon_months)
        .map(|m| {
            let month0 = input.start.plus(m as u32).month0();
            let mut total = vec![0.0; HOURS_PER_MONTH];
            let mut sensitive = vec![0.0; HOURS_PER_MONTH];
            for w in &input.workloads {
                let month_total = w.ref_gpu_hours_per_month
                    * (1.0 + w.growth_per_year).powf(m as f64 / 12.0)
                    * w.profile.season(month0);
                for (h, weight) in w.profile.month_shape(month0).enumerate() {
                    let load = month_total * weight;
                    total[h] += load;
                    if w.sensitive {
                        sensitive[h] += load;
                    }
                }
            }
            let nonsensitive: Vec<f64> = total
                .iter()
                .zip(&sensitive)
                .map(|(t, s)| (t - s).max(0.0))
                .collect();
            MonthDemand {
                total: Ldc::new(&total),
                sensitive: Ldc::new(&sensitive),
                nonsensitive: Ldc::new(&nonsensitive),
                hourly_total: total,
                hourly_sensitive: sensitive,
            }
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
    let mut options: Vec<OptionResult> = input
        .options
        .iter()
        .map(|o| simulate_option(input, o, months))
        .collect();
    let cheapest = cheapest_cloud(input);
    let baseline = input.baseline.min(options.len().saturating_sub(1));
    compare(input, &mut options, baseline);
    for (result, option) in options.iter_mut().zip(&input.options) {
        if let (Some(owned), Some(price)) = (&option.owned, cheapest) {
            result.break_even_utilization = break_even(input, owned, result, price);
        }
    }
    Output {
        options,
        baseline,
        cheapest_cloud_per_ref_gpu_hour: cheapest,
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

/// Monthly flows of owned hardware that do not depend on load: purchases, financing, resale,
/// support, and accounting depreciation.
struct OwnedSchedule {
    costs: Vec<[f64; Category::COUNT]>,
    start: Vec<f64>,
    end: Vec<f64>,
    depreciation: Vec<f64>,
}

fn owned_schedule(input: &Input, o: &OwnedIn) -> OwnedSchedule {
    let h = input.horizon_months;
    let mut s = OwnedSchedule {
        costs: vec![[0.0; Category::COUNT]; h],
        start: vec![0.0; h],
        end: vec![0.0; h],
        depreciation: vec![0.0; h],
    };
    if o.servers == 0 {
        return s;
    }
    let price = f64::from(o.servers) * o.server_price;
    let cycle = o.cycle_months.map(|c| c.max(1) as usize).unwrap_or(h);
    let residual_life = cycle as f64;
    let add = |s: &mut OwnedSchedule, m: usize, cat: Category, amount: f64, at_start: bool| {
        s.costs[m][cat as usize] += amount;
        if at_start {
            s.start[m] += amount;
        } else {
            s.end[m] += amount;
        }
    };
    let mut start = 0;
    while start < h {
        let end = (start + cycle).min(h);
        let age = end - start;
        let refresh = end < h;
        // Disposal: at the start of the refresh month, or at the end of the last month.
        let (dispose_month, dispose_at_start) = if refresh { (end, true) } else { (h - 1, false) };
        // Resale value decays geometrically to `residual_value` over one cycle (equation M9).
        let resale = price * o.residual_value.powf(age as f64 / residual_life);
        match o.financing {
            Financing::Cash => {
                add(&mut s, start, Category::Hardware, price, true);
                add(
                    &mut s,
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
                add(&mut s, start, Category::Hardware, down, true);
                let pmt = finance::payment(rate, term_months, financed, 0.0).unwrap_or(0.0);
                let paid = (term_months as usize).min(age);
                for m in start..start + paid {
                    add(&mut s, m, Category::Financing, pmt, false);
                }
                if paid < term_months as usize {
                    let balance =
                        finance::remaining_balance(rate, term_months, financed, 0.0, paid as u32)
                            .unwrap_or(0.0);
                    add(
                        &mut s,
                        dispose_month,
                        Category::Financing,
                        balance,
                        dispose_at_start,
                    );
                }
                add(
                    &mut s,
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
                    add(&mut s, m, Category::Lease, pmt, false);
                }
            }
        }
        if !matches!(o.financing, Financing::Lease { .. }) {
            let schedule = finance::monthly_depreciation(&o.depreciation, price);
            for (j, d) in schedule.iter().enumerate().take(age) {
                s.depreciation[start + j] += d;
            }
        }
        let support = price * o.support_pct_per_year / 100.0 / 12.0;
        for m in start..end {
            if (m - start) as f64 >= o.warranty_months {
                add(&mut s, m, Category::Support, support, false);
            }
        }
        start = end;
    }
    s
}

fn simulate_option(input: &Input, option: &OptionIn, months: &[MonthDemand]) -> OptionResult {
    let h = input.horizon_months;
    let owned = option.owned.as_ref().filter(|o| o.servers > 0);
    let capacity = owned
        .map(|o| o.gpus() * o.rel_throughput * o.availability)
        .unwrap_or(0.0);
    let installed_hours = owned
        .map(|o| o.gpus() * o.rel_throughput * HOURS)
        .unwrap_or(0.0);
    let schedule = owned.map(|o| owned_schedule(input, o));

    // Load served on-prem and the load left for the cloud, per month (equations M2-M4).
    struct Split {
        onprem: f64,
        cloud: f64,
        unmet: f64,
    }
    let splits: Vec<Split> = months
        .iter()
        .map(|d| match option.kind {
            Kind::OnPrem => {
                let onprem = d.total.served(capacity);
                Split {
                    onprem,
                    cloud: 0.0,
                    unmet: (d.total.total() - onprem).max(0.0),
                }
            }
            Kind::Cloud => Split {
                onprem: 0.0,
                cloud: d.nonsensitive.total(),
                unmet: d.sensitive.total(),
            },
            Kind::Hybrid => {
                let onprem = d.total.served(capacity);
                let sensitive_served = d.sensitive.served(capacity);
                let unmet = (d.sensitive.total() - sensitive_served).max(0.0);
                let cloud = (d.nonsensitive.total() - (onprem - sensitive_served)).max(0.0);
                Split {
                    onprem,
                    cloud,
                    unmet,
                }
            }
        })
        .collect();

    // Committed cloud GPUs per month, renewed at each term start (equation M6).
    let committed: Vec<f64> = match option.cloud.as_ref() {
        None => vec![0.0; h],
        Some(c) => {
            let term = c.commit_term_months.max(1) as usize;
            let mut k = 0.0;
            (0..h)
                .map(|m| {
                    if m % term == 0 {
                        k = match c.commitment {
                            Commitment::None => 0.0,
                            Commitment::Gpus(n) => f64::from(n),
                            Commitment::Share(share) => {
                                let mean_gpus = splits[m].cloud / c.rel_throughput / HOURS;
                                (share * mean_gpus - 1e-9).ceil().max(0.0)
                            }
                        };
                    }
                    k
                })
                .collect()
        }
    };

    let mut rows = Vec::with_capacity(h);
    let mut variable_energy_cost = 0.0;
    for (m, (d, split)) in months.iter().zip(&splits).enumerate() {
        let mut costs = [0.0; Category::COUNT];
        let (mut start_flow, mut end_flow, mut depreciation) = (0.0, 0.0, 0.0);
        let (mut energy_kwh, mut co2_t) = (0.0, 0.0);
        let mut utilization = None;
        if let (Some(o), Some(s)) = (owned, schedule.as_ref()) {
            for (c, v) in costs.iter_mut().zip(&s.costs[m]) {
                *c += v;
            }
            start_flow += s.start[m];
            end_flow += s.end[m];
            depreciation += s.depreciation[m];
            let u = if installed_hours > 0.0 {
                (split.onprem / installed_hours).clamp(0.0, 1.0)
            } else {
                0.0
            };
            utilization = Some(u);
            // Power rises linearly from idle to max with utilisation (equation M7).
            let servers = f64::from(o.servers);
            let power_kw = o.max_power_kw * (o.idle_fraction + (1.0 - o.idle_fraction) * u);
            let kwh = servers * power_kw * HOURS * o.pue;
            let price = o.electricity_per_kwh
                * (1.0 + input.electricity_escalation_per_year).powf(m as f64 / 12.0);
            let energy_cost = kwh * price;
            variable_energy_cost +=
                servers * o.max_power_kw * (1.0 - o.idle_fraction) * u * HOURS * o.pue * price;
            energy_kwh += kwh;
            co2_t += kwh * o.grid_co2_g_per_kwh / 1e6;
            let colocation = servers * o.max_power_kw * o.colocation_per_kw_month;
            let staff = (o.staff_fte_fixed + o.staff_fte_per_server * servers)
                * o.staff_salary_per_year
                / 12.0;
            let software = o.gpus() * o.software_per_gpu_year / 12.0;
            for (cat, v) in [
                (Category::Energy, energy_cost),
                (Category::Colocation, colocation),
                (Category::Staff, staff),
                (Category::Software, software),
            ] {
                costs[cat as usize] += v;
                end_flow += v;
            }
        }
        if let Some(c) = option.cloud.as_ref() {
            let k = committed[m];
            let k_ref = k * c.rel_throughput;
            let covered_ref = if k_ref <= 0.0 || split.cloud <= 0.0 {
                0.0
            } else {
                match option.kind {
                    Kind::Cloud => d.nonsensitive.served(k_ref),
                    Kind::Hybrid if !d.has_sensitive() => {
                        d.total.served(capacity + k_ref) - d.total.served(capacity)
                    }
                    Kind::Hybrid => d
                        .hourly_total
                        .iter()
                        .zip(&d.hourly_sensitive)
                        .map(|(l, s)| (l - capacity.max(*s)).max(0.0).min(k_ref))
                        .sum(),
                    Kind::OnPrem => 0.0,
                }
            };
            let cloud_gpu_hours = split.cloud / c.rel_throughput;
            let covered = (covered_ref / c.rel_throughput).min(cloud_gpu_hours);
            let rest = (cloud_gpu_hours - covered).max(0.0);
            let spot_hours = rest * c.spot_share;
            let on_demand_hours = rest - spot_hours;
            let spot_consumed = spot_hours * (1.0 + c.spot_overhead);
            let items = [
                (Category::CloudCommitted, k * HOURS * c.commit_per_gpu_hour),
                (
                    Category::CloudOnDemand,
                    on_demand_hours * c.on_demand_per_gpu_hour,
                ),
                (Category::CloudSpot, spot_consumed * c.spot_per_gpu_hour),
                (Category::Storage, c.storage_tb * c.storage_per_tb_month),
                (Category::Egress, c.egress_tb_per_month * c.egress_per_tb),
            ];
            for (cat, v) in items {
                costs[cat as usize] += v;
                end_flow += v;
            }
            let kwh = (covered + on_demand_hours + spot_consumed) * c.power_kw_per_gpu * c.pue;
            energy_kwh += kwh;
            co2_t += kwh * c.grid_co2_g_per_kwh / 1e6;
        }
        rows.push(MonthRow {
            month: m + 1,
            date: input.start.plus(m as u32),
            demand_gpu_hours: d.total.total(),
            served_onprem_gpu_hours: split.onprem,
            served_cloud_gpu_hours: split.cloud,
            unmet_gpu_hours: split.unmet,
            costs,
            start_flow,
            end_flow,
            depreciation,
            energy_kwh,
            co2_t,
            owned_utilization: utilization,
        });
    }

    let i = finance::monthly_rate(input.discount_rate);
    let pv_cost: f64 = rows
        .iter()
        .enumerate()
        .map(|(m, r)| {
            r.start_flow * finance::discount_factor(i, m as f64)
                + r.end_flow * finance::discount_factor(i, m as f64 + 1.0)
        })
        .sum();
    let mut breakdown = [0.0; Category::COUNT];
    for r in &rows {
        for (b, c) in breakdown.iter_mut().zip(&r.costs) {
            *b += c;
        }
    }
    let sum = |f: fn(&MonthRow) -> f64| rows.iter().map(f).sum::<f64>();
    let total_cost = sum(MonthRow::cash_out);
    let served_onprem = sum(|r| r.served_onprem_gpu_hours);
    let served_cloud = sum(|r| r.served_cloud_gpu_hours);
    let delivered = served_onprem + served_cloud;
    let _ = variable_energy_cost;
    OptionResult {
        name: option.name.clone(),
        kind: option.kind,
        pv_cost,
        total_cost,
        breakdown,
        demand_gpu_hours: sum(|r| r.demand_gpu_hours),
        served_onprem_gpu_hours: served_onprem,
        served_cloud_gpu_hours: served_cloud,
        unmet_gpu_hours: sum(|r| r.unmet_gpu_hours),
        owned_utilization: owned.map(|_| {
            if installed_hours > 0.0 {
                served_onprem / (installed_hours * h as f64)
            } else {
                0.0
            }
        }),
        energy_kwh: sum(|r| r.energy_kwh),
        co2_t: sum(|r| r.co2_t),
        depreciation: sum(|r| r.depreciation),
        cost_per_gpu_hour: (delivered > 0.0).then(|| total_cost / delivered),
        owned_gpus: owned.map(OwnedIn::gpus).unwrap_or(0.0),
        owned_capacity_ref_gpus: capacity,
        savings_vs_baseline: 0.0,
        roi: None,
        payback_month: None,
        irr: None,
        break_even_utilization: None,
        is_baseline: false,
        months: rows,
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
        opt.savings_vs_baseline = base.pv_cost - opt.pv_cost;
        let investment: f64 = opt
            .months
            .iter()
            .enumerate()
            .map(|(m, r)| {
                let start = r.costs[Category::Hardware as usize];
                let end = r.costs[Category::Financing as usize] + r.costs[Category::Lease as usize];
                start * finance::discount_factor(i, m as f64)
                    + end * finance::discount_factor(i, m as f64 + 1.0)
            })
            .sum();
        opt.roi = (investment > 0.0).then(|| opt.savings_vs_baseline / investment);
        if n == baseline {
            continue;
        }
        // Savings at times t = 0..H: starts of month t and ends of month t-1 coincide.
        let h = opt.months.len();
        let mut flows = vec![0.0; h + 1];
        let mut cumulative = Vec::with_capacity(h);
        let mut cum = 0.0;
        for (m, (o, b)) in opt.months.iter().zip(&base.months).enumerate() {
            flows[m] += b.start_flow - o.start_flow;
            flows[m + 1] += b.end_flow - o.end_flow;
            cum += b.cash_out() - o.cash_out();
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
        .filter(|(_, c)| c.group() != Group::Cloud)
        .map(|(v, _)| v)
        .sum();
    let mean_price: f64 = (0..input.horizon_months)
        .map(|m| {
            o.electricity_per_kwh
                * (1.0 + input.electricity_escalation_per_year).powf(m as f64 / 12.0)
        })
        .sum::<f64>()
        / h;
    // Energy cost of one reference GPU-hour above idle.
    let variable =
        o.max_power_kw * (1.0 - o.idle_fraction) / f64::from(o.gpus_per_server) / o.rel_throughput
            * o.pue
            * mean_price;
    let utilization = result.owned_utilization.unwrap_or(0.0);
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

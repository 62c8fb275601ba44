//! CSV: raw numbers, one row per option (or per option and month with `--monthly`); units in
//! the column names, money in the scenario currency named by the `currency` column.

use crate::model::{Category, Comparison, Group, serves_demand};
use crate::run::Run;

/// A number as CSV carries it: shortest round-trip form, blank when not finite, −0 as 0.
pub(super) fn num(v: f64) -> String {
    if v.is_finite() {
        crate::error::written(v + 0.0)
    } else {
        String::new()
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

/// CSV text of `header` and `rows`. Every row must have the header's length (the CSV writer
/// refuses others; a debug build stops on one); writing to memory cannot fail otherwise.
pub(super) fn table<H: AsRef<[u8]>>(
    header: impl IntoIterator<Item = H>,
    rows: impl IntoIterator<Item = Vec<String>>,
) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let written =
        w.write_record(header).is_ok() && rows.into_iter().all(|row| w.write_record(&row).is_ok());
    debug_assert!(written, "a CSV row differs in length from its header");
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Columns of the after-tax view, after the cost categories.
const TAX_COLUMNS: [&str; 7] = [
    "view",
    "tax_rate",
    "tax",
    "pv_tax",
    "tax_depreciation",
    "pv_depreciation_shield",
    "tax_losses_unused",
];

pub fn render(run: &Run, monthly: bool) -> String {
    let cur = run.input.currency.clone();
    if monthly {
        let header = [
            "option",
            "month",
            "date",
            "currency",
            "demand_gpu_hours",
            "served_onprem_gpu_hours",
            "served_cloud_gpu_hours",
            "unmet_gpu_hours",
            "served_after_wait_gpu_hours",
            "backlog_gpu_hours",
            "mean_wait_hours",
            "p95_wait_hours",
            "capex",
            "opex",
            "cloud",
            "cash_out",
            "unserved",
            "paid_at_start",
            "paid_at_end",
            "depreciation",
            "energy_kwh",
            "co2_t",
            "owned_utilization",
        ];
        let rows = run.output.options.iter().flat_map(|o| {
            o.months.iter().map(|r| {
                vec![
                    o.name.clone(),
                    r.month.to_string(),
                    r.date.to_string(),
                    cur.clone(),
                    num(r.demand_gpu_hours),
                    num(r.served_onprem_gpu_hours),
                    num(r.served_cloud_gpu_hours),
                    num(r.unmet_gpu_hours),
                    num(r.served_after_wait_gpu_hours),
                    num(r.backlog_gpu_hours),
                    opt(r.mean_wait_hours),
                    opt(r.p95_wait_hours),
                    num(r.group(Group::Capex)),
                    num(r.group(Group::Opex)),
                    num(r.group(Group::Cloud)),
                    num(r.cash_out()),
                    num(r.costs[Category::Unserved as usize]),
                    num(r.start_flow),
                    num(r.end_flow),
                    num(r.depreciation),
                    num(r.energy_kwh),
                    num(r.co2_t),
                    opt(r.owned_utilization),
                ]
                .into_iter()
                .chain(r.tax.map(num))
                .collect()
            })
        });
        // The after-tax view adds the month's income tax (README TX3).
        let taxed = run.input.tax.is_some().then_some("tax");
        table(header.into_iter().chain(taxed), rows)
    } else {
        let mut header: Vec<String> = [
            "option",
            "kind",
            "currency",
            "pv_cost",
            "total_cost",
            "comparison",
            "not_comparable",
            "savings_vs_baseline",
            "cost_per_gpu_hour",
            "demand_gpu_hours",
            "served_onprem_gpu_hours",
            "served_cloud_gpu_hours",
            "unmet_gpu_hours",
            "serves_demand",
            "unmet_share",
            "served_after_wait_gpu_hours",
            "backlog_gpu_hours",
            "mean_wait_hours",
            "p95_wait_hours",
            "owned_gpus",
            "owned_utilization",
            "break_even_utilization",
            "energy_kwh",
            "co2_t",
            "payback_month",
            "roi",
            "irr",
            "depreciation",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        header.extend(Category::ALL.iter().map(|c| format!("cost_{}", c.key())));
        // Showback: each team's nominal cost, then the idle capacity's (README B1-B4).
        let teams: Vec<String> = run
            .output
            .options
            .iter()
            .find_map(|o| o.showback.as_ref())
            .map(|s| s.teams.iter().map(|t| t.team.clone()).collect())
            .unwrap_or_default();
        header.extend(teams.iter().map(|t| format!("showback_team:{t}")));
        if run.output.options.iter().any(|o| o.showback.is_some()) {
            header.push("showback_idle".to_string());
        }
        // The after-tax view (README TX1-TX4): which view, and each option's tax figures.
        if run.input.tax.is_some() {
            header.extend(TAX_COLUMNS.map(String::from));
        }
        let rows = run.output.options.iter().map(|o| {
            let mut rec = vec![
                o.name.clone(),
                o.kind.as_str().to_string(),
                cur.clone(),
                num(o.pv_cost),
                num(o.total_cost),
                match o.comparison {
                    Comparison::Baseline => "baseline",
                    Comparison::Comparable => "comparable",
                    Comparison::NotComparable(_) => "not_comparable",
                }
                .to_string(),
                match &o.comparison {
                    Comparison::NotComparable(reason) => reason.clone(),
                    _ => String::new(),
                },
                opt(o.savings_vs_baseline),
                opt(o.cost_per_gpu_hour),
                num(o.demand_gpu_hours),
                num(o.served_onprem_gpu_hours),
                num(o.served_cloud_gpu_hours),
                num(o.unmet_gpu_hours),
                serves_demand(o).to_string(),
                num(o.unmet_share()),
                num(o.served_after_wait_gpu_hours),
                num(o.backlog_gpu_hours),
                opt(o.mean_wait_hours),
                opt(o.p95_wait_hours),
                num(o.owned_gpus),
                opt(o.owned_utilization),
                opt(o.break_even_utilization),
                num(o.energy_kwh),
                num(o.co2_t),
                o.payback_month.map(|m| m.to_string()).unwrap_or_default(),
                opt(o.roi),
                opt(o.irr.map(|i| i.annual)),
                num(o.depreciation),
            ];
            rec.extend(o.breakdown.iter().map(|v| num(*v)));
            if let Some(s) = &o.showback {
                rec.extend(s.teams.iter().map(|t| num(t.cost)));
                rec.push(num(s.idle.cost));
            }
            if let (Some(tax), Some(t)) = (run.input.tax, o.tax) {
                rec.extend([
                    "after-tax".to_string(),
                    num(tax.rate),
                    num(t.tax),
                    num(t.pv_tax),
                    num(t.depreciation),
                    num(t.pv_depreciation_shield),
                    num(t.losses_unused),
                ]);
            }
            rec
        });
        table(&header, rows)
    }
}

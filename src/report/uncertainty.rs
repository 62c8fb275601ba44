//! Renderers of Monte Carlo statistics, sensitivity swings and sweeps, in every format.

use super::csv::num;
use super::{Format, money, percent, policy_grid_of, policy_summary_of, price, quantity};
use crate::montecarlo::engine::{METRICS, MonteCarlo};
use crate::montecarlo::sensitivity::Sensitivity;
use crate::montecarlo::sweep::Sweep;
use crate::policy::Outcome;
use crate::run::Run;
use serde_json::json;

const METRIC_LABELS: [&str; 6] = [
    "PV cost",
    "Total cost",
    "Cost per GPU-hour",
    "Unmet [GPU-h]",
    "Energy [MWh]",
    "Carbon [tCO2]",
];

/// A metric as the tables show it: energy in MWh, as in the summary table (the metric itself,
/// and JSON and CSV, are in kWh).
fn fmt_metric(m: usize, v: f64) -> String {
    match m {
        0 | 1 => money(v),
        2 => price(v),
        4 => quantity(v / 1000.0),
        _ => quantity(v),
    }
}

fn label(m: usize, cur: &str) -> String {
    match m {
        0..=2 => format!("{} [{cur}]", METRIC_LABELS[m]),
        _ => METRIC_LABELS[m].to_string(),
    }
}

/// Rows of the Monte Carlo table: option, metric, mean, sd, P5..P95.
fn mc_rows(mc: &MonteCarlo, cur: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for o in &mc.options {
        for (m, stats) in o.metrics.iter().enumerate() {
            let Some(s) = stats else { continue };
            let mut row = vec![
                o.name.clone(),
                label(m, cur),
                fmt_metric(m, s.mean),
                s.sd.map_or_else(|| "n/a".to_string(), |sd| fmt_metric(m, sd)),
            ];
            row.extend(s.quantiles.iter().map(|q| fmt_metric(m, *q)));
            rows.push(row);
        }
    }
    rows
}

const MC_HEADER: [&str; 9] = [
    "Option", "Metric", "Mean", "SD", "P5", "P10", "P50", "P90", "P95",
];

/// Header of [`odds_rows`].
pub const ODDS_HEADER: [&str; 4] = [
    "Option",
    "P(serves demand)",
    "P(cheapest by PV)",
    "P(beats baseline)",
];

/// Per option: the probabilities that it serves demand, is the cheapest and beats the baseline.
pub fn odds_rows(mc: &MonteCarlo, baseline: &str) -> Vec<Vec<String>> {
    mc.options
        .iter()
        .map(|o| {
            vec![
                o.name.clone(),
                percent(o.p_serves_demand),
                percent(o.p_cheapest),
                if o.name == baseline {
                    "baseline".to_string()
                } else {
                    percent(o.p_beats_baseline)
                },
            ]
        })
        .collect()
}

/// The Monte Carlo section for the terminal table or Markdown.
pub fn mc_section(run: &Run, mc: &MonteCarlo, format: Format, color: bool) -> String {
    let cur = &run.input.currency;
    let baseline = &run.output.options[run.output.baseline].name;
    let title = format!(
        "Monte Carlo: {} samples, seed {}{}",
        quantity(mc.samples as f64),
        mc.seed,
        if run.input.tax.is_some() {
            ", costs after tax"
        } else {
            ""
        }
    );
    match format {
        Format::Markdown => format!(
            "\n## {title}\n\n{}\n{}",
            super::markdown::table(&ODDS_HEADER, &odds_rows(mc, baseline)),
            super::markdown::table(&MC_HEADER, &mc_rows(mc, cur))
        ),
        _ => format!(
            "\n{title}\n{}\n{}\n",
            super::table::grid(&ODDS_HEADER, &odds_rows(mc, baseline), color),
            super::table::grid(&MC_HEADER, &mc_rows(mc, cur), color)
        ),
    }
}

/// Monte Carlo statistics as CSV: one row per option and metric, raw numbers.
pub fn mc_csv(run: &Run, mc: &MonteCarlo) -> String {
    let header = [
        "option",
        "metric",
        "currency",
        "samples",
        "seed",
        "count",
        "mean",
        "sd",
        "p5",
        "p10",
        "p50",
        "p90",
        "p95",
        "p_cheapest",
        "p_beats_baseline",
        "p_serves_demand",
        "unit",
    ];
    let cur = &run.input.currency;
    let rows = mc.options.iter().flat_map(|o| {
        o.metrics.iter().enumerate().filter_map(move |(m, s)| {
            let s = s.as_ref()?;
            // The currency only where the metric is money; every row names its unit.
            let (currency, unit) = match METRICS[m] {
                "pv_cost" | "total_cost" => (cur.clone(), cur.clone()),
                "cost_per_gpu_hour" => (cur.clone(), format!("{cur} per GPU-hour")),
                "unmet_gpu_hours" => (String::new(), "GPU-hours".to_string()),
                "energy_kwh" => (String::new(), "kWh".to_string()),
                _ => (String::new(), "t CO2e".to_string()),
            };
            let mut rec = vec![
                o.name.clone(),
                METRICS[m].to_string(),
                currency,
                mc.samples.to_string(),
                mc.seed.to_string(),
                s.count.to_string(),
                num(s.mean),
                s.sd.map(num).unwrap_or_default(),
            ];
            rec.extend(s.quantiles.iter().map(|q| num(*q)));
            rec.extend([o.p_cheapest, o.p_beats_baseline, o.p_serves_demand].map(num));
            rec.push(unit);
            Some(rec)
        })
    });
    super::csv::table(header, rows)
}

/// The name of a sweep's objective in prose and on charts.
pub fn objective_name(objective: crate::montecarlo::sweep::Objective) -> &'static str {
    use crate::montecarlo::sweep::Objective;
    match objective {
        Objective::PvCost => "PV cost",
        Objective::P90PvCost => "P90 of PV cost",
    }
}

/// Header and rows of the sensitivity table (input, P10, P90, PV at each, swing), shared by
/// `tcosim sensitivity` and the report.
pub fn sensitivity_table(run: &Run, s: &Sensitivity) -> (Vec<String>, Vec<Vec<String>>) {
    let cur = &run.input.currency;
    let header = vec![
        "Input".to_string(),
        "P10".to_string(),
        "P90".to_string(),
        format!("PV at P10 [{cur}]"),
        format!("PV at P90 [{cur}]"),
        format!("Swing [{cur}]"),
    ];
    let rows = s
        .swings
        .iter()
        .map(|w| {
            vec![
                w.path.clone(),
                super::input_value(w.low_input),
                super::input_value(w.high_input),
                money(w.low_pv[s.focus]),
                money(w.high_pv[s.focus]),
                money(w.swing(s.focus)),
            ]
        })
        .collect();
    (header, rows)
}

/// `tcosim sensitivity` output.
pub fn sensitivity(run: &Run, s: &Sensitivity, format: Format, color: bool) -> String {
    let cur = &run.input.currency;
    let focus = &run.output.options[s.focus].name;
    match format {
        Format::Json => {
            let doc = json!({
                "schema_version": super::json::SCHEMA_VERSION,
                "scenario": run.input.name,
                "currency": cur,
                "option": focus,
                "base_pv_cost": s.base_pv[s.focus],
                "inputs": s.swings.iter().map(|w| json!({
                    "path": w.path,
                    "p10_input": w.low_input,
                    "p90_input": w.high_input,
                    "pv_cost_at_p10": w.low_pv[s.focus],
                    "pv_cost_at_p90": w.high_pv[s.focus],
                    "swing": w.swing(s.focus),
                    "options": run.output.options.iter().enumerate().map(|(o, opt)| json!({
                        "name": opt.name, "pv_cost_at_p10": w.low_pv[o], "pv_cost_at_p90": w.high_pv[o],
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            });
            crate::report::json::pretty(&doc).unwrap_or_default() + "\n"
        }
        Format::Csv => {
            let header = [
                "path",
                "option",
                "currency",
                "p10_input",
                "p90_input",
                "pv_cost_at_p10",
                "pv_cost_at_p90",
                "swing",
            ];
            let rows = s.swings.iter().flat_map(|sw| {
                run.output.options.iter().enumerate().map(move |(o, opt)| {
                    vec![
                        sw.path.clone(),
                        opt.name.clone(),
                        cur.clone(),
                        num(sw.low_input),
                        num(sw.high_input),
                        num(sw.low_pv[o]),
                        num(sw.high_pv[o]),
                        num(sw.swing(o)),
                    ]
                })
            });
            super::csv::table(header, rows)
        }
        Format::Table | Format::Markdown => {
            let (header, rows) = sensitivity_table(run, s);
            // With its note where it leaves work unmet, as the tornado chart names it.
            let note = super::charts::option_note(run, s.focus)
                .map_or(String::new(), |n| format!("{n}; "));
            let title = format!(
                "Sensitivity of {focus}'s PV cost ({note}{cur} {} with every input at its median), one input at a time from P10 to P90",
                money(s.base_pv[s.focus])
            );
            if format == Format::Markdown {
                format!(
                    "# {}\n\n{}.\n\n{}",
                    super::markdown::escape(&run.input.name),
                    super::markdown::escape(&title),
                    super::markdown::table(&header, &rows)
                )
            } else {
                format!("{title}\n{}\n", super::table::grid(&header, &rows, color))
            }
        }
    }
}

/// `tcosim sweep` output. `seed` is the seed of the per-point Monte Carlo samples; `policies`
/// are the results of the policies at the best point (README "Policies").
pub fn sweep(
    run: &Run,
    s: &Sweep,
    seed: u64,
    policies: &[Outcome],
    format: Format,
    color: bool,
) -> String {
    let cur = &run.input.currency;
    let option = &run.output.options[s.option].name;
    let objective = s.objective.key();
    match format {
        Format::Json => {
            let best = &s.points[s.best];
            let doc = json!({
                "schema_version": super::json::SCHEMA_VERSION,
                "scenario": run.input.name,
                "currency": cur,
                "option": option,
                "objective": objective,
                "samples": s.samples,
                "seed": seed,
                "parameters": s.axes.iter().map(|a| a.path.clone()).collect::<Vec<_>>(),
                "optimum": {
                    "values": values_json(s, &best.values), "objective": best.objective, "pv_cost": best.pv_cost,
                    "serves_demand": best.serves_demand,
                },
                "points": s.points.iter().map(|p| json!({
                    "values": values_json(s, &p.values), "objective": p.objective, "pv_cost": p.pv_cost,
                    "unmet_gpu_hours": p.unmet_gpu_hours, "serves_demand": p.serves_demand,
                })).collect::<Vec<_>>(),
                "policies": policies.iter().map(|p| json!({
                    "name": p.name, "requirement": p.requirement, "value": p.value,
                    "number": p.number, "holds": p.holds, "message": p.message,
                })).collect::<Vec<_>>(),
            });
            crate::report::json::pretty(&doc).unwrap_or_default() + "\n"
        }
        Format::Csv => {
            let mut header: Vec<String> = s.axes.iter().map(|a| a.path.clone()).collect();
            header.extend(
                [
                    "objective",
                    "pv_cost",
                    "unmet_gpu_hours",
                    "serves_demand",
                    "optimum",
                    "currency",
                ]
                .map(String::from),
            );
            let rows = s.points.iter().enumerate().map(|(i, p)| {
                let mut rec: Vec<String> = s
                    .axes
                    .iter()
                    .zip(&p.values)
                    .map(|(a, v)| a.show(*v, num))
                    .collect();
                rec.extend([
                    num(p.objective),
                    num(p.pv_cost),
                    num(p.unmet_gpu_hours),
                    p.serves_demand.to_string(),
                    (i == s.best).to_string(),
                    cur.clone(),
                ]);
                rec
            });
            super::csv::table(&header, rows)
        }
        Format::Table | Format::Markdown => {
            let mut header: Vec<String> = s.axes.iter().map(|a| a.path.clone()).collect();
            header.extend([
                format!("{objective} [{cur}]"),
                "Unmet [GPU-h]".to_string(),
                String::new(),
            ]);
            let rows: Vec<Vec<String>> = s
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let mut r: Vec<String> = s
                        .axes
                        .iter()
                        .zip(&p.values)
                        .map(|(a, v)| a.show(*v, super::exact_input_value))
                        .collect();
                    r.extend([
                        money(p.objective),
                        quantity(p.unmet_gpu_hours),
                        if i == s.best && s.optimum_serves() && !p.serves_demand {
                            "optimum, unmet demand priced".into()
                        } else if i == s.best && s.optimum_serves() {
                            "optimum".into()
                        } else if i == s.best {
                            "lowest, unmet demand".into()
                        } else if !p.serves_demand {
                            "unmet demand".into()
                        } else {
                            String::new()
                        },
                    ]);
                    r
                })
                .collect();
            let best = &s.points[s.best];
            let at: Vec<String> = s
                .axes
                .iter()
                .zip(&best.values)
                .map(|(a, v)| format!("{} = {}", a.path, a.show(*v, super::exact_input_value)))
                .collect();
            let title = if s.optimum_serves() {
                format!(
                    "Optimum for {option}: {} ({objective} {cur} {})",
                    at.join(", "),
                    money(best.objective)
                )
            } else {
                format!(
                    "No grid point of {option} serves all demand; the lowest {objective} is at {} ({cur} {})",
                    at.join(", "),
                    money(best.objective)
                )
            };
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            // The policies are checked at the best point, which the sentence names.
            let checked = policy_summary_of(policies).map(|summary| {
                let point = if s.optimum_serves() {
                    "the optimum"
                } else {
                    "the lowest point"
                };
                (format!("checked at {point}, {}", at.join(", ")), summary)
            });
            let (p_header, p_rows) = policy_grid_of(policies);
            if format == Format::Markdown {
                let mut out = format!(
                    "# {}\n\n{}.\n\n{}",
                    super::markdown::escape(&run.input.name),
                    super::markdown::escape(&title),
                    super::markdown::table(&header, &rows)
                );
                if let Some((at, summary)) = checked {
                    out.push_str(&format!(
                        "\n## Policies\n\n{}\n\n{}",
                        super::markdown::escape(&format!("Policies {at}: {summary}")),
                        super::markdown::text_table(&p_header, &p_rows)
                    ));
                }
                out
            } else {
                let mut out = format!("{}\n{title}\n", super::table::grid(&header, &rows, color));
                if let Some((at, summary)) = checked {
                    out.push_str(&format!(
                        "\nPolicies {at}: {summary}\n{}\n",
                        super::table::text_grid(&p_header, &p_rows, color)
                    ));
                }
                out
            }
        }
    }
}

/// The values of a grid point in JSON: numbers, and the level's id on an automation axis.
fn values_json(s: &Sweep, values: &[f64]) -> Vec<serde_json::Value> {
    s.axes
        .iter()
        .zip(values)
        .map(|(a, v)| match a.level(*v) {
            Some(l) => serde_json::Value::from(l.id.clone()),
            None => serde_json::Value::from(*v),
        })
        .collect()
}

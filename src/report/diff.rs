//! Renderers of `tcosim diff` (README "tcosim diff"): the terminal table, CSV, the JSON contract
//! and the Markdown pull-request comment with its Mermaid charts. They share the row builders
//! below and the grid, table and number formatters of the other renderers.

use super::markdown::{escape, table as md_table};
use super::mermaid::{Plot, XyChart};
use super::table::{grid, text_grid};
use super::{Format, money, percent, policy_grid_of, policy_summary_of};
use crate::diff::{Diff, Drivers, METRICS, Method, OptionDiff};
use crate::policy::Outcome;
use serde_json::{Map, Value, json};

/// Version of the JSON contract of `diff`.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything a diff output shows.
pub struct DiffReport<'a> {
    pub diff: &'a Diff,
    /// The old and new inputs as named on the command line.
    pub old_source: &'a str,
    pub new_source: &'a str,
    /// The policies of the new run (README "Policies").
    pub policies: &'a [Outcome],
    /// Why some part is missing (a JSON input has figures only, ...).
    pub notes: Vec<String>,
}

pub fn render(r: &DiffReport, format: Format, color: bool) -> String {
    match format {
        Format::Table => table(r, color),
        Format::Csv => csv(r),
        Format::Json => json(r),
        Format::Markdown => markdown(r),
    }
}

/// A signed amount: `+1,234` or `-1,234`.
fn signed(v: f64) -> String {
    let m = money(v);
    if v.round() > 0.0 { format!("+{m}") } else { m }
}

fn signed_percent(v: Option<f64>) -> String {
    match v {
        Some(v) if v > 0.0 => format!("+{}", percent(v)),
        Some(v) => percent(v),
        None => "n/a".into(),
    }
}

/// A figure as its own unit asks: prices with decimals, other figures whole.
fn figure(index: usize, v: Option<f64>) -> String {
    match v {
        None => "n/a".into(),
        Some(v) if METRICS[index].0 == "cost_per_gpu_hour" => super::price(v),
        Some(v) => money(v),
    }
}

fn figure_change(index: usize, v: Option<f64>) -> String {
    match v {
        None => "n/a".into(),
        Some(v) if METRICS[index].0 == "cost_per_gpu_hour" => {
            let p = super::price(v);
            if v > 0.0 { format!("+{p}") } else { p }
        }
        Some(v) => signed(v),
    }
}

/// One row per option and figure: option, figure, old, new, change, change in %.
fn change_rows(diff: &Diff) -> (Vec<String>, Vec<Vec<String>>) {
    let cur = &diff.new.currency;
    let header = ["Option", "Figure", "Old", "New", "Change", "Change [%]"]
        .map(String::from)
        .to_vec();
    let mut rows = Vec::new();
    for o in &diff.options {
        for (i, (_, label, _)) in METRICS.iter().enumerate() {
            let c = o.change(i);
            let label = if i < 3 {
                format!("{label} [{cur}]")
            } else {
                label.to_string()
            };
            let name = match o.status() {
                "changed" => o.name.clone(),
                s => format!("{} ({s})", o.name),
            };
            rows.push(vec![
                name,
                label,
                figure(i, c.old),
                figure(i, c.new),
                figure_change(i, c.absolute()),
                signed_percent(c.relative()),
            ]);
        }
    }
    (header, rows)
}

/// The compact table of the comment: one row per option with its PV and the other changes.
fn summary_rows(diff: &Diff) -> (Vec<String>, Vec<Vec<String>>) {
    let cur = &diff.new.currency;
    let header = vec![
        "Option".to_string(),
        format!("PV old [{cur}]"),
        format!("PV new [{cur}]"),
        format!("PV change [{cur}]"),
        "PV change [%]".into(),
        format!("Total change [{cur}]"),
        format!("Cost per GPU-h [{cur}]"),
        "Unmet change [GPU-h]".into(),
    ];
    let rows = diff
        .options
        .iter()
        .map(|o| {
            let pv = o.change(0);
            let gpu_h = o.change(2);
            let status = match o.status() {
                "changed" => String::new(),
                s => format!(" ({s})"),
            };
            vec![
                format!("{}{status}", o.name),
                figure(0, pv.old),
                figure(0, pv.new),
                figure_change(0, pv.absolute()),
                signed_percent(pv.relative()),
                figure_change(1, o.change(1).absolute()),
                format!("{} → {}", figure(2, gpu_h.old), figure(2, gpu_h.new)),
                figure_change(3, o.change(3).absolute()),
            ]
        })
        .collect();
    (header, rows)
}

/// The drivers as a grid: one row per player, its inputs' old and new values, and its
/// contribution to each option's PV change; a last row with what is left unexplained.
fn driver_rows(d: &Drivers, currency: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header = vec![
        match d.method {
            Method::Inputs => "Input".to_string(),
            _ => "Inputs (grouped)".to_string(),
        },
        "Old".into(),
        "New".into(),
    ];
    header.extend(d.options.iter().map(|o| format!("{o} [{currency}]")));
    let mut rows: Vec<Vec<String>> = d
        .players
        .iter()
        .map(|p| {
            let (old, new) = match (d.method, p.inputs.as_slice()) {
                (Method::Inputs, [i]) => (d.inputs[*i].old.clone(), d.inputs[*i].new.clone()),
                (_, [_]) => ("1 input".to_string(), String::new()),
                _ => (format!("{} inputs", p.inputs.len()), String::new()),
            };
            let mut row = vec![p.name.clone(), old, new];
            row.extend(p.contributions.iter().map(|c| signed(*c)));
            row
        })
        .collect();
    if d.unexplained.iter().any(|u| u.round() != 0.0) {
        let mut row = vec!["not attributed".to_string(), String::new(), String::new()];
        row.extend(d.unexplained.iter().map(|u| signed(*u)));
        rows.push(row);
    }
    (header, rows)
}

/// The inputs of a grouped attribution, one per row with its group.
fn grouped_inputs(d: &Drivers) -> (Vec<String>, Vec<Vec<String>>) {
    let header = ["Input", "Group", "Old", "New"].map(String::from).to_vec();
    let rows = d
        .players
        .iter()
        .flat_map(|p| {
            p.inputs.iter().map(|&i| {
                let input = &d.inputs[i];
                vec![
                    input.input.clone(),
                    p.name.clone(),
                    input.old.clone(),
                    input.new.clone(),
                ]
            })
        })
        .collect();
    (header, rows)
}

fn winner_line(diff: &Diff) -> String {
    let name = |w: &Option<String>| w.clone().unwrap_or_else(|| "none".into());
    if diff.winner_changed() {
        format!(
            "Winner changed: {} → {}.",
            name(&diff.old.winner),
            name(&diff.new.winner)
        )
    } else {
        format!("Winner unchanged: {}.", name(&diff.new.winner))
    }
}

fn table(r: &DiffReport, color: bool) -> String {
    let diff = r.diff;
    let mut out = format!(
        "{} → {}\n{}\n\n",
        r.old_source,
        r.new_source,
        winner_line(diff)
    );
    let (header, rows) = change_rows(diff);
    out.push_str(&grid(&header, &rows, color));
    out.push('\n');
    if let Some(d) = &diff.drivers {
        out.push_str(&format!(
            "\nDrivers of the PV changes ({}):\n",
            method_text(d)
        ));
        if d.players.is_empty() {
            out.push_str("no input changed that can be attributed\n");
        } else {
            let (header, rows) = driver_rows(d, &diff.new.currency);
            out.push_str(&grid(&header, &rows, color));
            out.push('\n');
        }
        if d.method != Method::Inputs {
            let (header, rows) = grouped_inputs(d);
            out.push_str(&grid(&header, &rows, color));
            out.push('\n');
        }
        for u in &d.unattributed {
            out.push_str(&format!("Not attributed: {u}\n"));
        }
    }
    for n in &r.notes {
        out.push_str(&format!("\nNote: {n}\n"));
    }
    if let Some(summary) = policy_summary_of(r.policies) {
        let (header, rows) = policy_grid_of(r.policies);
        out.push_str(&format!("\nPolicies of the new run: {summary}\n"));
        out.push_str(&text_grid(&header, &rows, color));
        out.push('\n');
    }
    out
}

fn method_text(d: &Drivers) -> String {
    let k = d.players.len();
    match d.method {
        Method::Inputs if k == 1 => "Shapley values over the one changed input".to_string(),
        Method::Inputs => format!("Shapley values over {k} changed inputs"),
        Method::Sections => format!(
            "Shapley values over {k} sections, as {} inputs changed",
            d.inputs.len()
        ),
        Method::Kinds => format!(
            "Shapley values over scenario, workloads and options, as {} inputs in many sections changed",
            d.inputs.len()
        ),
    }
}

fn csv(r: &DiffReport) -> String {
    let header = [
        "option",
        "status",
        "currency",
        "figure",
        "old",
        "new",
        "change",
        "change_relative",
    ];
    let num = |v: Option<f64>| v.map(super::csv::num).unwrap_or_default();
    let rows = r.diff.options.iter().flat_map(|o| {
        METRICS.iter().enumerate().map(move |(i, (key, _, _))| {
            let c = o.change(i);
            vec![
                o.name.clone(),
                o.status().to_string(),
                r.diff.new.currency.clone(),
                key.to_string(),
                num(c.old),
                num(c.new),
                num(c.absolute()),
                num(c.relative()),
            ]
        })
    });
    super::csv::table(header, rows)
}

fn per_option(names: &[String], values: &[f64]) -> Value {
    Value::Object(
        names
            .iter()
            .zip(values)
            .map(|(n, v)| (n.clone(), json!(v)))
            .collect::<Map<_, _>>(),
    )
}

fn option_json(o: &OptionDiff) -> Value {
    let mut figures = Map::new();
    for (i, (key, _, _)) in METRICS.iter().enumerate() {
        let c = o.change(i);
        figures.insert(
            key.to_string(),
            json!({"old": c.old, "new": c.new, "change": c.absolute(), "change_relative": c.relative()}),
        );
    }
    json!({"name": o.name, "status": o.status(), "figures": figures})
}

fn json(r: &DiffReport) -> String {
    let diff = r.diff;
    let side = |source: &str, f: &crate::diff::Figures| json!({"source": source, "scenario": f.scenario, "currency": f.currency});
    let (drivers, attribution) = match &diff.drivers {
        None => (Value::Null, Value::Null),
        Some(d) => {
            let grouped = d.method != Method::Inputs;
            let inputs: Vec<Value> = d
                .inputs
                .iter()
                .enumerate()
                .map(|(i, input)| {
                    let player = d.players.iter().find(|p| p.inputs.contains(&i));
                    json!({
                        "input": input.input,
                        "section": input.section,
                        "old": input.old,
                        "new": input.new,
                        "group": if grouped { player.map(|p| p.name.clone()) } else { None },
                        "contributions": match player {
                            Some(p) if !grouped => per_option(&d.options, &p.contributions),
                            _ => Value::Null,
                        },
                    })
                })
                .collect();
            let groups: Vec<Value> = if grouped {
                d.players
                    .iter()
                    .map(|p| {
                        json!({
                            "name": p.name,
                            "inputs": p.inputs.iter().map(|&i| d.inputs[i].input.clone()).collect::<Vec<_>>(),
                            "contributions": per_option(&d.options, &p.contributions),
                        })
                    })
                    .collect()
            } else {
                Vec::new()
            };
            (
                Value::Array(inputs),
                json!({
                    "method": d.method.as_str(),
                    "evaluations": d.evaluations,
                    "groups": groups,
                    "unexplained": per_option(&d.options, &d.unexplained),
                    "unattributed": d.unattributed,
                }),
            )
        }
    };
    let doc = json!({
        "schema_version": SCHEMA_VERSION,
        "old": side(r.old_source, &diff.old),
        "new": side(r.new_source, &diff.new),
        "winner": {"old": diff.old.winner, "new": diff.new.winner, "changed": diff.winner_changed()},
        "options": diff.options.iter().map(option_json).collect::<Vec<_>>(),
        "drivers": drivers,
        "attribution": attribution,
        "policies": r.policies.iter().map(|p| json!({
            "name": p.name, "requirement": p.requirement, "value": p.value,
            "number": p.number, "holds": p.holds, "message": p.message,
        })).collect::<Vec<_>>(),
        "notes": r.notes,
    });
    let mut text = crate::report::json::pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The one-sentence headline of the comment: the winner, its PV change, and the input that
/// explains most of it.
pub fn headline(diff: &Diff) -> String {
    let cur = &diff.new.currency;
    let Some(winner) = diff.new.winner.clone() else {
        return match &diff.old.winner {
            Some(old) => format!("No option is chosen any more (was {old})."),
            None => "No option is chosen, before or after.".into(),
        };
    };
    let lead = match &diff.old.winner {
        Some(old) if *old == winner => format!("{winner} stays cheapest"),
        Some(old) => format!("{winner} is now cheapest (was {old})"),
        None => format!("{winner} is now cheapest (no option was)"),
    };
    let Some(o) = diff.options.iter().find(|o| o.name == winner) else {
        return format!("{lead}.");
    };
    let pv = o.change(0);
    let Some(change) = pv.absolute() else {
        return format!("{lead}; it is new in this change.");
    };
    if change.round() == 0.0 {
        return format!("{lead}; its PV is unchanged.");
    }
    let verb = if change > 0.0 { "rose" } else { "fell" };
    let sign = if change > 0.0 { "+" } else { "-" };
    let mut s = match pv.relative() {
        Some(rel) => format!(
            "{lead}; its PV {verb} {} ({sign}{cur} {})",
            percent(rel.abs()),
            money(change.abs())
        ),
        // From 0 or a negligible PV: no percentage means anything.
        None => format!(
            "{lead}; its PV {verb} by {sign}{cur} {} from about 0",
            money(change.abs())
        ),
    };
    if let Some(d) = &diff.drivers
        && let Some(k) = d.options.iter().position(|n| *n == winner)
        && let Some(top) = d.players.iter().max_by(|a, b| {
            a.contributions[k]
                .abs()
                .total_cmp(&b.contributions[k].abs())
        })
        && top.contributions[k] != 0.0
    {
        s.push_str(&format!(
            ", {} of it from `{}`",
            percent(top.contributions[k] / change),
            top.name
        ));
    }
    s.push('.');
    s
}

/// A Mermaid `xychart-beta` block per option in both runs: cumulative nominal cost by month,
/// old (grey) and new (blue). xychart-beta draws no dashed lines and no legend, so the colours
/// say which is which.
pub fn mermaid_charts(diff: &Diff) -> String {
    let cur = &diff.new.currency;
    let mut out = String::new();
    for o in &diff.options {
        let (Some(old), Some(new)) = (&o.old, &o.new) else {
            continue;
        };
        let months = old.cumulative_cost.len().max(new.cumulative_cost.len());
        if months == 0 {
            continue;
        }
        // After its horizon a run has no more cost: its line stays flat.
        let series = |v: &[f64]| -> Vec<f64> {
            (0..months)
                .map(|m| v.get(m).or(v.last()).copied().unwrap_or(0.0) / 1000.0)
                .collect()
        };
        let chart = XyChart {
            title: format!("{} — cumulative cost, old grey, new blue", o.name),
            horizontal: false,
            x_title: "month".into(),
            categories: (1..=months).map(|m| m.to_string()).collect(),
            y_title: format!("{cur} thousand"),
            series: vec![
                (Plot::Line, "#9e9e9e".into(), series(&old.cumulative_cost)),
                (Plot::Line, "#1f6feb".into(), series(&new.cumulative_cost)),
            ],
        };
        out.push_str(&chart.render());
    }
    out
}

fn markdown(r: &DiffReport) -> String {
    let diff = r.diff;
    let mut out = format!("**{}**\n\n", escape(&headline(diff)));
    out.push_str(&format!(
        "`{}` → `{}`. {}\n\n",
        r.old_source.replace('`', "'"),
        r.new_source.replace('`', "'"),
        escape(&winner_line(diff))
    ));
    let (header, rows) = summary_rows(diff);
    out.push_str(&md_table(&header, &rows));
    if let Some(d) = &diff.drivers {
        out.push_str(&format!("\n### Drivers\n\n{}.\n\n", method_text(d)));
        if d.players.is_empty() {
            out.push_str("No input changed that can be attributed.\n");
        } else {
            let (header, rows) = driver_rows(d, &diff.new.currency);
            out.push_str(&md_table(&header, &rows));
        }
        for u in &d.unattributed {
            out.push_str(&format!("\n- Not attributed: {}", escape(u)));
        }
        if !d.unattributed.is_empty() {
            out.push('\n');
        }
    }
    for n in &r.notes {
        out.push_str(&format!("\n> {}\n", escape(n)));
    }
    if let Some(summary) = policy_summary_of(r.policies) {
        let (header, rows) = policy_grid_of(r.policies);
        out.push_str(&format!(
            "\n### Policies of the new run\n\n{}\n\n",
            escape(&summary)
        ));
        out.push_str(&super::markdown::text_table(&header, &rows));
    }
    let charts = mermaid_charts(diff);
    if !charts.is_empty() {
        out.push_str("\n### Cumulative cost\n\n");
        out.push_str(&charts);
    }
    out.push_str("<details><summary>Details: every figure of every option</summary>\n\n");
    let (header, rows) = change_rows(diff);
    out.push_str(&md_table(&header, &rows));
    if let Some(d) = &diff.drivers
        && d.method != Method::Inputs
    {
        out.push('\n');
        let (header, rows) = grouped_inputs(d);
        out.push_str(&md_table(&header, &rows));
    }
    out.push_str("\n</details>\n");
    out
}

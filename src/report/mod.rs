//! Renderers of a [`Run`]: one file per format. Tables (terminal and Markdown) share one row
//! builder and carry formatted values with units in the row labels; CSV and JSON carry raw
//! numbers. Renderers return strings; writing them is the binary's job.

pub mod catalog;
pub mod csv;
pub mod diff;
pub mod json;
pub mod json_schema;
pub mod markdown;
pub mod mermaid;
pub mod table;
pub mod uncertainty;

// The report folder of `tcosim report`.
pub mod charts;
pub mod content;
pub mod folder;
pub mod html;
pub mod report_md;

use crate::catalog::{Figure, RowRef, RowValue, ValueFrom};
use crate::model::{Category, Comparison, Group, OptionResult};
use crate::run::Run;

/// Output formats of `run`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Csv,
    Json,
    Markdown,
}

/// Renders `run` in `format`; `monthly` adds the month-by-month breakdown (JSON always has it).
/// With Monte Carlo results, tables and Markdown add a section, JSON adds `montecarlo`, and CSV
/// carries the Monte Carlo statistics instead of the deterministic summary.
pub fn render(run: &Run, format: Format, monthly: bool, color: bool) -> String {
    match (format, &run.montecarlo) {
        (Format::Table, None) => table::render(run, monthly, color) + &table::assumptions(run),
        (Format::Table, Some(mc)) => {
            table::render(run, monthly, color)
                + &uncertainty::mc_section(run, mc, format, color)
                + &table::assumptions(run)
        }
        (Format::Csv, None) => csv::render(run, monthly),
        (Format::Csv, Some(mc)) => uncertainty::mc_csv(run, mc),
        (Format::Json, _) => json::render(run),
        (Format::Markdown, None) => markdown::render(run, monthly) + &markdown::assumptions(run),
        (Format::Markdown, Some(mc)) => {
            markdown::render(run, monthly)
                + &uncertainty::mc_section(run, mc, format, color)
                + &markdown::assumptions(run)
        }
    }
}

/// The policies' results as a grid (README "Policies"): a header and one row per policy, in
/// the order they were given; empty without policies.
pub fn policy_grid(run: &Run) -> (Vec<String>, Vec<Vec<String>>) {
    policy_grid_of(&run.policies)
}

/// The showback table (README "Teams and showback"): a sentence, then a row per team and one
/// for idle capacity, with each option's nominal cost for it and its share of the option's
/// cost; `None` without showback.
pub fn showback_grid(run: &Run) -> Option<(String, Vec<String>, Vec<Vec<String>>)> {
    let options = &run.output.options;
    let first = options.iter().find_map(|o| o.showback.as_ref())?;
    let mode = first.idle_mode;
    let text = format!(
        "Each option's nominal cost over the horizon{} [{}] by team, by the GPU-hours their workloads used (owned capacity by on-prem GPU-hours, the cloud by cloud GPU-hours, unserved work by its price); idle owned capacity {} (B2, B3).",
        if run.input.tax.is_some() {
            " before tax"
        } else {
            ""
        },
        run.input.currency,
        match mode {
            crate::model::showback::Idle::Separate => "on a line of its own",
            crate::model::showback::Idle::Shared => "shared among the teams by use",
        }
    );
    let mut header = vec!["Team".to_string()];
    header.extend(options.iter().map(|o| o.name.clone()));
    let cell = |o: &crate::model::OptionResult, cost: f64| {
        let total = o.showback.as_ref().map_or(0.0, |s| s.total_cost());
        let share = if total != 0.0 { cost / total } else { 0.0 };
        format!("{} ({})", money(cost), percent(share))
    };
    let mut rows: Vec<Vec<String>> = first
        .teams
        .iter()
        .enumerate()
        .map(|(t, team)| {
            let mut row = vec![team.team.clone()];
            row.extend(options.iter().map(|o| {
                let cost = o
                    .showback
                    .as_ref()
                    .and_then(|s| s.teams.get(t))
                    .map_or(0.0, |t| t.cost);
                cell(o, cost)
            }));
            row
        })
        .collect();
    let mut idle = vec!["idle capacity".to_string()];
    idle.extend(options.iter().map(|o| {
        let cost = o.showback.as_ref().map_or(0.0, |s| s.idle.cost);
        cell(o, cost)
    }));
    rows.push(idle);
    Some((text, header, rows))
}

/// The purchases and cloud generations table (README G5): a sentence, then a row per purchase of
/// owned servers of each option that refreshes to other hardware and a row per generation a
/// riding cloud option rents; `None` when no option does either.
pub fn generations_grid(run: &Run) -> Option<(String, Vec<String>, Vec<Vec<String>>)> {
    let options = &run.output.options;
    let changes = |o: &crate::model::OptionResult| {
        o.purchases
            .windows(2)
            .any(|w| w[0].server != w[1].server || w[0].generation != w[1].generation)
            || !o.cloud_generations.is_empty()
    };
    if !options.iter().any(changes) {
        return None;
    }
    let text = format!(
        "What each option installs or rents as generations change: every purchase of owned servers with its capacity (reference GPUs after availability), price [{}] and maximum power, and each generation a riding cloud option moves to, with its throughput and price per GPU-hour relative to the offer's (G1, G2, G4). Generation j > 0 is the j-th generation projected beyond the catalog row named.",
        run.input.currency
    );
    let header = [
        "Option",
        "From",
        "Hardware",
        "Generation",
        "Servers",
        "Capacity [ref. GPUs]",
        &format!("Price [{}]", run.input.currency),
        "Max power [kW]",
    ]
    .map(String::from)
    .to_vec();
    let mut rows = Vec::new();
    for o in options.iter().filter(|o| changes(o)) {
        for p in &o.purchases {
            rows.push(vec![
                o.name.clone(),
                p.date.to_string(),
                p.server.clone(),
                p.generation.to_string(),
                p.servers.to_string(),
                quantity(p.capacity_ref_gpus),
                money(p.price),
                quantity(p.max_power_kw),
            ]);
        }
        for r in &o.cloud_generations {
            rows.push(vec![
                o.name.clone(),
                r.date.to_string(),
                format!(
                    "cloud GPUs ×{:.2} throughput, ×{:.2} price per GPU-hour",
                    r.throughput_factor, r.price_factor
                ),
                r.generation.to_string(),
                "n/a".to_string(),
                "n/a".to_string(),
                "n/a".to_string(),
                "n/a".to_string(),
            ]);
        }
    }
    Some((text, header, rows))
}

/// The shared-GPUs table (README SG5): a sentence, then a row per option with owned servers
/// and how much of the capacity whole GPUs would hold for the fractional workloads its sharing
/// saves; `None` without fractional workloads.
pub fn sharing_grid(run: &Run) -> Option<(String, Vec<String>, Vec<Vec<String>>)> {
    let options = &run.output.options;
    options.iter().find(|o| o.sharing.is_some())?;
    let text = "The owned GPU capacity the workloads with a `gpu_fraction` hold [reference GPU-hours over the horizon], as each option shares its GPUs and on whole GPUs, and the share of it sharing saves (SG2, SG5).".to_string();
    let header = [
        "Option",
        "Sharing",
        "Fractional work [GPU-h]",
        "Held [GPU-h]",
        "Held on whole GPUs [GPU-h]",
        "Saved [%]",
    ]
    .map(String::from)
    .to_vec();
    let rows = options
        .iter()
        .filter_map(|o| {
            let s = o.sharing.as_ref()?;
            Some(vec![
                o.name.clone(),
                s.mode.to_string(),
                quantity(s.fractional_gpu_hours),
                quantity(s.held_gpu_hours),
                quantity(s.held_without_sharing_gpu_hours),
                percent(json::saved_share(s)),
            ])
        })
        .collect();
    Some((text, header, rows))
}

/// [`policy_grid`] of any list of policy results.
pub fn policy_grid_of(policies: &[crate::policy::Outcome]) -> (Vec<String>, Vec<Vec<String>>) {
    let header = ["Policy", "Requirement", "Found", "Result", "Message"]
        .map(String::from)
        .to_vec();
    let rows = policies
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.requirement.clone(),
                p.value.clone(),
                if p.holds { "holds" } else { "BROKEN" }.to_string(),
                p.message.clone().unwrap_or_default(),
            ]
        })
        .collect();
    (header, rows)
}

/// One sentence on the policies: `All 3 policies hold.` or `2 of 3 policies are broken:
/// \`a\`, \`b\`.`; `None` without policies.
pub fn policy_summary(run: &Run) -> Option<String> {
    policy_summary_of(&run.policies)
}

/// [`policy_summary`] of any list of policy results.
pub fn policy_summary_of(policies: &[crate::policy::Outcome]) -> Option<String> {
    let n = policies.len();
    if n == 0 {
        return None;
    }
    let broken: Vec<String> = policies
        .iter()
        .filter(|p| !p.holds)
        .map(|p| format!("`{}`", p.name))
        .collect();
    let noun = if n == 1 { "policy" } else { "policies" };
    Some(match broken.len() {
        0 if n == 1 => "The policy holds.".to_string(),
        0 => format!("All {n} {noun} hold."),
        k => format!(
            "{k} of {n} {noun} {} broken: {}.",
            if k == 1 { "is" } else { "are" },
            broken.join(", ")
        ),
    })
}

/// A value of a catalog row as tables show it: the number in the row's unit, then, for money
/// in another currency, the amount the model used (`329,736 USD (= 283,573 EUR)`).
pub fn row_value(v: &RowValue) -> String {
    let mut s = figure(&v.value);
    if !v.unit.is_empty() {
        s.push(' ');
        s.push_str(&v.unit);
    }
    if let Some(c) = &v.converted {
        s.push_str(&format!(" (= {} {})", input_value(c.value), c.unit));
    }
    s
}

/// A number, a list of numbers or a text, as [`input_value`] writes numbers.
pub fn figure(f: &Figure) -> String {
    match f {
        Figure::Number(x) => input_value(*x),
        Figure::Numbers(xs) => xs
            .iter()
            .map(|x| input_value(*x))
            .collect::<Vec<_>>()
            .join(", "),
        Figure::Text(t) => t.clone(),
    }
}

/// Where a value came from, as tables show it: `catalog`, `derived`, or `scenario (option
/// NAME; catalog 10)` with the catalog's value beside the scenario's.
pub fn value_origin(v: &RowValue) -> String {
    match (v.from, &v.option, v.catalog_value) {
        (ValueFrom::Scenario, Some(option), Some(c)) => {
            format!("scenario (option {option}; catalog {})", input_value(c))
        }
        (from, _, _) => from.as_str().to_string(),
    }
}

/// One line of the assumptions list of the table and Markdown outputs: the row, its date and
/// estimate mark, then its values with their units.
pub fn assumption_line(r: &RowRef) -> String {
    let mark = if r.estimate { ", estimate" } else { "" };
    let values: Vec<String> = r
        .values
        .iter()
        .map(|v| {
            let mut s = format!("{} {}", v.name, row_value(v));
            if v.from != ValueFrom::Catalog {
                s.push_str(&format!(" [{}]", value_origin(v)));
            }
            s
        })
        .collect();
    let mut line = format!("{} {} (as of {}{mark})", r.catalog, r.id, r.as_of);
    if !values.is_empty() {
        line.push_str(": ");
        line.push_str(&values.join("; "));
    }
    line
}

/// One row of the side-by-side summary: a label with its unit and one cell per option.
pub struct SummaryRow {
    pub label: String,
    pub cells: Vec<String>,
}

/// The summary as a plain grid for Markdown and the report: a header of option names (after an
/// empty corner) and one row per metric, its label first.
pub fn summary_grid(run: &Run) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header = vec![String::new()];
    header.extend(run.output.options.iter().map(|o| o.name.clone()));
    let rows = summary_rows(run)
        .into_iter()
        .map(|r| {
            let mut cells = vec![r.label.trim_start().to_string()];
            cells.extend(r.cells);
            cells
        })
        .collect();
    (header, rows)
}

/// The rows shared by the terminal table and Markdown: metrics down, options across.
pub fn summary_rows(run: &Run) -> Vec<SummaryRow> {
    let cur = &run.input.currency;
    let opts = &run.output.options;
    let row = |label: String, f: &dyn Fn(&OptionResult) -> String| SummaryRow {
        label,
        cells: opts.iter().map(f).collect(),
    };
    // In the after-tax view (README TX1-TX4) the figures that include the tax say so.
    let at = after_tax(run);
    let mut rows = vec![
        row("Kind".into(), &|o| o.kind.as_str().to_string()),
        row(format!("PV cost{at} [{cur}]"), &|o| money(o.pv_cost)),
        row(format!("Total cost{at} [{cur}]"), &|o| money(o.total_cost)),
    ];
    // Total cost by category, indented under the total.
    for cat in Category::ALL {
        if opts.iter().any(|o| o.breakdown[cat as usize].abs() > 0.0) {
            let group = match cat.group() {
                Group::Capex => "capex",
                Group::Opex => "opex",
                Group::Cloud => "cloud",
                Group::Unserved => "priced",
            };
            rows.push(row(format!("  {} ({group}) [{cur}]", cat.label()), &|o| {
                money(o.breakdown[cat as usize])
            }));
        }
    }
    if run.input.tax.is_some() {
        let tax = |o: &OptionResult| o.tax.unwrap_or_default();
        rows.push(row(format!("  Income tax (saved < 0) [{cur}]"), &|o| {
            money(tax(o).tax)
        }));
        rows.push(row(format!("Depreciation tax shield, PV [{cur}]"), &|o| {
            money(tax(o).pv_depreciation_shield)
        }));
        if run.input.tax.is_some_and(|t| !t.losses_offset_other_income) {
            rows.push(row(format!("Tax losses unused at the end [{cur}]"), &|o| {
                money(tax(o).losses_unused)
            }));
        }
    }
    rows.push(row(format!("PV savings{at} vs baseline [{cur}]"), &|o| {
        against_baseline(o, o.savings_vs_baseline.map(money))
    }));
    rows.extend([
        row(format!("Cost per GPU-hour{at} [{cur}]"), &|o| {
            o.cost_per_gpu_hour.map(price).unwrap_or_else(na)
        }),
        row("Demand [GPU-h]".into(), &|o| quantity(o.demand_gpu_hours)),
        row("Served on-prem [GPU-h]".into(), &|o| {
            quantity(o.served_onprem_gpu_hours)
        }),
        row("Served by cloud [GPU-h]".into(), &|o| {
            quantity(o.served_cloud_gpu_hours)
        }),
        row("Unmet [GPU-h]".into(), &|o| quantity(o.unmet_gpu_hours)),
    ]);
    if run.input.hourly() && run.input.has_waits() {
        rows.extend([
            row("  served after waiting [GPU-h]".into(), &|o| {
                quantity(o.served_after_wait_gpu_hours)
            }),
            row("  mean wait [h]".into(), &|o| {
                o.mean_wait_hours.map(hours).unwrap_or_else(na)
            }),
            row("  P95 wait [h]".into(), &|o| {
                o.p95_wait_hours.map(hours).unwrap_or_else(na)
            }),
            row("  backlog at the end [GPU-h]".into(), &|o| {
                quantity(o.backlog_gpu_hours)
            }),
        ]);
    }
    rows.extend([
        row("Owned GPUs".into(), &|o| quantity(o.owned_gpus)),
        row("Owned utilisation [%]".into(), &|o| {
            o.owned_utilization.map(percent).unwrap_or_else(na)
        }),
        row(
            format!("Break-even utilisation{} [%]", before_tax(run)),
            &|o| o.break_even_utilization.map(percent).unwrap_or_else(na),
        ),
        row(format!("Payback{at} [month]"), &|o| {
            against_baseline(
                o,
                Some(o.payback_month.map(|m| m.to_string()).unwrap_or_else(na)),
            )
        }),
        row(format!("ROI{at} [%]"), &|o| {
            against_baseline(o, Some(o.roi.map(percent).unwrap_or_else(na)))
        }),
        row(format!("IRR{at} [%/year]"), &|o| {
            against_baseline(o, Some(o.irr.map(|i| percent(i.annual)).unwrap_or_else(na)))
        }),
        row("Energy [MWh]".into(), &|o| quantity(o.energy_kwh / 1000.0)),
        row("Carbon [tCO2]".into(), &|o| quantity(o.co2_t)),
        row(format!("Depreciation, accounting [{cur}]"), &|o| {
            money(o.depreciation)
        }),
    ]);
    if run.input.tax.is_some() {
        rows.push(row(format!("Depreciation, tax [{cur}]"), &|o| {
            money(o.tax.unwrap_or_default().depreciation)
        }));
    }
    rows
}

/// `, before tax` in the after-tax view (README TX4), for figures that stay before tax.
fn before_tax(run: &Run) -> &'static str {
    if run.input.tax.is_some() {
        ", before tax"
    } else {
        ""
    }
}

/// ` after tax` in the after-tax view (README TX1-TX4), else nothing: for labels of figures
/// that include the income tax.
pub fn after_tax(run: &Run) -> &'static str {
    if run.input.tax.is_some() {
        " after tax"
    } else {
        ""
    }
}

/// A figure against the baseline as the summary shows it: `baseline` for the baseline itself,
/// `not comparable` where the two do different amounts of work (README F3a), else the figure.
fn against_baseline(o: &OptionResult, figure: Option<String>) -> String {
    match &o.comparison {
        Comparison::Baseline => "baseline".into(),
        Comparison::NotComparable(_) => "not comparable".into(),
        Comparison::Comparable => figure.unwrap_or_else(na),
    }
}

/// Hours with one decimal.
pub fn hours(v: f64) -> String {
    if !v.is_finite() {
        return na();
    }
    format!("{:.1}", v + 0.0)
}

/// What the after-tax view assumes, for the line under a summary's title: `, after income
/// tax at 30.0% (...)`; `None` before tax.
pub fn tax_line(run: &Run) -> Option<String> {
    let tax = run.input.tax?;
    let file = run.file.tax.as_ref()?;
    let policy = match &file.policy {
        Some(id) => format!("tax depreciation `{id}`"),
        None => "each option's depreciation for tax".to_string(),
    };
    let losses = if tax.losses_offset_other_income {
        "losses offset other income"
    } else {
        "losses carried forward"
    };
    Some(format!(
        ", after income tax at {:.1}% ({policy}, {losses})",
        tax.rate * 100.0
    ))
}

/// Header of a monthly table; money columns name the currency, as the summary's rows do; a
/// tax column in the after-tax view.
pub fn monthly_header(currency: &str, taxed: bool) -> Vec<String> {
    let mut header: Vec<String> = [
        "Month",
        "Date",
        "Demand [GPU-h]",
        "On-prem [GPU-h]",
        "Cloud [GPU-h]",
        "Unmet [GPU-h]",
    ]
    .map(String::from)
    .to_vec();
    header.extend(
        ["Capex", "Opex", "Cloud", "Cash out", "Depreciation"].map(|h| format!("{h} [{currency}]")),
    );
    if taxed {
        header.push(format!("Income tax [{currency}]"));
    }
    header
}

/// Formatted monthly rows of one option.
pub fn monthly_rows(option: &OptionResult) -> Vec<Vec<String>> {
    option
        .months
        .iter()
        .map(|r| {
            vec![
                r.month.to_string(),
                r.date.to_string(),
                quantity(r.demand_gpu_hours),
                quantity(r.served_onprem_gpu_hours),
                quantity(r.served_cloud_gpu_hours),
                quantity(r.unmet_gpu_hours),
                money(r.group(Group::Capex)),
                money(r.group(Group::Opex)),
                money(r.group(Group::Cloud)),
                money(r.cash_out()),
                money(r.depreciation),
            ]
            .into_iter()
            .chain(r.tax.map(money))
            .collect()
        })
        .collect()
}

pub use crate::model::{UNMET_TOLERANCE, serves_demand};

/// Index of the option that sensitivity and the report's tornado look at by default: the one
/// the verdict names (README "Reading the output"), the cheapest by PV among those that serve
/// all demand, or of all when unserved work is priced; when none serves and unserved work has
/// no price, the option that leaves the smallest share unmet (the cheapest of those), not one
/// that is cheapest for doing the least.
pub fn default_focus(run: &Run) -> usize {
    let v = &run.output.verdict;
    if v.any_serves || v.priced {
        return v.winner.unwrap_or(0);
    }
    let options = &run.output.options;
    (0..options.len())
        .min_by(|&a, &b| {
            // Shares that read the same (to 0.1 percentage point) tie.
            let key = |i: usize| {
                (
                    (options[i].unmet_share() * 1000.0).round(),
                    options[i].pv_cost,
                )
            };
            let (ua, pa) = key(a);
            let (ub, pb) = key(b);
            ua.total_cmp(&ub).then(pa.total_cmp(&pb))
        })
        .unwrap_or(0)
}

/// The verdict in plain sentences: the option to choose, its margin, its savings against the
/// baseline where the two compare, and every option that leaves demand unmet.
pub fn verdict(run: &Run) -> Vec<String> {
    let cur = &run.input.currency;
    let opts = &run.output.options;
    let v = &run.output.verdict;
    let mut lines = Vec::new();
    let Some(best) = v.winner.and_then(|w| opts.get(w)) else {
        return lines;
    };
    let qualifier = if v.priced {
        " (unserved work priced in)"
    } else if !v.any_serves {
        " (no option serves all demand)"
    } else if v.standings.iter().any(|s| !s.in_running) {
        " among the options that serve all demand"
    } else {
        ""
    };
    let mut first = format!(
        "Cheapest by present value{}{qualifier}: {} ({} {}",
        after_tax(run),
        best.name,
        cur,
        money(best.pv_cost)
    );
    match (v.runner_up.and_then(|r| opts.get(r)), v.margin) {
        (Some(second), Some(gap)) => {
            let share = if second.pv_cost != 0.0 {
                gap / second.pv_cost
            } else {
                0.0
            };
            first.push_str(&format!(
                "), {} {} ({}) below the next, {}",
                cur,
                money(gap),
                percent(share),
                second.name
            ));
        }
        _ => first.push(')'),
    }
    first.push('.');
    lines.push(first);
    let base = &opts[run.output.baseline];
    match &best.comparison {
        Comparison::Baseline => {}
        Comparison::NotComparable(reason) => lines.push(format!(
            "Against the baseline {}: not comparable, {}.",
            base.name,
            reason.replace(&format!("baseline `{}`", base.name), "the baseline")
        )),
        Comparison::Comparable => {
            let mut s = format!(
                "Against the baseline {}: saves {} {} in present value{}",
                base.name,
                cur,
                money(best.savings_vs_baseline.unwrap_or(0.0)),
                after_tax(run)
            );
            if let Some(p) = best.payback_month {
                s.push_str(&format!(", pays back in month {p}"));
            }
            if let Some(irr) = best.irr {
                s.push_str(&format!(", IRR {} per year", percent(irr.annual)));
            }
            s.push('.');
            lines.push(s);
        }
    }
    for (o, standing) in opts.iter().zip(&v.standings) {
        if !standing.serves_demand {
            let out = if standing.in_running {
                ""
            } else {
                "; out of the running"
            };
            let compared = match o.comparison {
                Comparison::NotComparable(_) if !base_short(run) => {
                    ", so it is not compared with the baseline"
                }
                _ => "",
            };
            lines.push(format!(
                "Risk: {} leaves {} GPU-hours unmet ({} of demand){out}{compared}.",
                o.name,
                quantity(o.unmet_gpu_hours),
                percent(standing.unmet_share)
            ));
        }
    }
    if base_short(run) {
        lines.push(baseline_note(run));
    }
    lines
}

/// Whether the baseline leaves demand unmet while unserved work has no price, so that no
/// option compares with it (README F3a).
fn base_short(run: &Run) -> bool {
    let base = &run.output.options[run.output.baseline];
    !run.output.verdict.priced && !serves_demand(base)
}

/// What to do about a baseline that leaves demand unmet: one that serves demand, or a price.
pub fn baseline_note(run: &Run) -> String {
    let opts = &run.output.options;
    let base = &opts[run.output.baseline];
    let alternative = run
        .output
        .verdict
        .winner
        .filter(|w| *w != run.output.baseline)
        .and_then(|w| opts.get(w))
        .filter(|o| serves_demand(o))
        .map(|o| {
            format!(
                "a baseline that serves its demand (`baseline = \"{}\"`)",
                o.name
            )
        })
        .unwrap_or_else(|| "a baseline that serves its demand".to_string());
    format!(
        "The baseline {} leaves {} of demand unmet, so no option's savings, ROI, payback or IRR are shown against it; choose {alternative}, or set `unserved_cost_per_gpu_hour` to price the work left undone.",
        base.name,
        percent(base.unmet_share())
    )
}

fn na() -> String {
    "n/a".to_string()
}

/// A count of months: `1 month`, `24 months`.
pub fn months(n: usize) -> String {
    if n == 1 {
        "1 month".to_string()
    } else {
        format!("{} months", quantity(n as f64))
    }
}

/// Whole money units with thousands separators.
pub fn money(v: f64) -> String {
    group_thousands(v.round())
}

/// `v` as `1.25e18`: a mantissa of up to `decimals` decimals, trailing zeros dropped.
pub fn scientific(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$e}");
    match s.split_once('e') {
        Some((mantissa, exponent)) if mantissa.contains('.') => format!(
            "{}e{exponent}",
            mantissa.trim_end_matches('0').trim_end_matches('.')
        ),
        _ => s,
    }
}

/// A price with two decimals.
pub fn price(v: f64) -> String {
    if !v.is_finite() {
        return na();
    }
    let rounded = (v * 100.0).round() / 100.0;
    let whole = rounded.trunc();
    let cents = ((rounded - whole).abs() * 100.0).round() as i64;
    let sign = if rounded < 0.0 && whole == 0.0 {
        "-"
    } else {
        ""
    };
    format!("{sign}{}.{cents:02}", group_thousands(whole))
}

/// A quantity rounded to a whole number, with thousands separators.
pub fn quantity(v: f64) -> String {
    group_thousands(v.round())
}

/// A fraction as a percentage with one decimal.
pub fn percent(v: f64) -> String {
    if !v.is_finite() {
        return na();
    }
    let text = format!("{:.1}%", v * 100.0 + 0.0);
    // A small negative rounds to −0.0: no sign on a zero.
    if text == "-0.0%" {
        "0.0%".to_string()
    } else {
        text
    }
}

fn group_thousands(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let negative = v < 0.0 && v != 0.0;
    let digits = format!("{:.0}", v.abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if negative && out != "0" {
        format!("-{out}")
    } else {
        out
    }
}

/// An input value: whole numbers grouped, large ones rounded, small ones with up to four
/// decimals.
pub fn input_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 || v.abs() >= 1000.0 {
        quantity(v)
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".to_string()
        } else {
            s.to_string()
        }
    }
}

/// An input value as [`input_value`] shows it, or to the last digit where that rounding would
/// show another number: the values of a sweep's axis, each shown as itself (1e-10 as
/// 0.0000000001, not as 0 beside the 0 it differs from).
pub fn exact_input_value(v: f64) -> String {
    let shown = input_value(v);
    if shown.replace(',', "").parse::<f64>() == Ok(v) {
        shown
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_values_are_shown_as_themselves() {
        assert_eq!(exact_input_value(0.0), "0");
        assert_eq!(exact_input_value(-0.0), "0");
        assert_eq!(exact_input_value(1e-10), "0.0000000001");
        assert_eq!(exact_input_value(0.25), "0.25");
        assert_eq!(exact_input_value(0.123456), "0.123456");
        assert_eq!(exact_input_value(12_000.0), "12,000");
    }

    #[test]
    fn numbers_are_grouped_and_rounded() {
        assert_eq!(money(1_234_567.4), "1,234,567");
        assert_eq!(money(-999.6), "-1,000");
        assert_eq!(money(-0.2), "0");
        assert_eq!(months(1), "1 month");
        assert_eq!(months(36), "36 months");
        assert_eq!(percent(-1.33e-17), "0.0%");
        assert_eq!(percent(-0.0), "0.0%");
        assert_eq!(percent(-0.0006), "-0.1%");
        assert_eq!(price(2.746), "2.75");
        assert_eq!(price(1234.5), "1,234.50");
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(quantity(f64::NAN), "n/a");
        assert_eq!(percent(f64::NAN), "n/a");
        assert_eq!(price(f64::INFINITY), "n/a");
    }
}

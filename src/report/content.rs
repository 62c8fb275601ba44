//! What a decision report says, built once from a [`Run`] and its charts, so that `report.md`
//! and `index.html` carry the same content in two markups.

use super::charts::Chart;
use super::folder::Analyses;
use super::uncertainty::{ODDS_HEADER, odds_rows};
use super::{money, quantity, summary_grid, verdict};
use crate::montecarlo::engine::{MetricStats, MonteCarlo};
use crate::montecarlo::sensitivity::Sensitivity;
use crate::montecarlo::stats::QuantileSketch;
use crate::montecarlo::sweep::{Objective, Sweep};
use crate::run::Run;

/// The content of a report, as plain text; the renderers escape it for their markup.
pub struct Content {
    pub title: String,
    /// One sentence: horizon, start, currency, discount rate, scenario file.
    pub scope: String,
    pub verdict: Vec<String>,
    /// The policies: a sentence, and the table's header and rows (README "Policies"); all
    /// empty without policies.
    pub policy_summary: Option<String>,
    pub policies_header: Vec<String>,
    pub policies: Vec<Vec<String>>,
    /// The showback table (README "Teams and showback"), when the scenario asks for it.
    pub showback: Option<Section>,
    /// The purchases and cloud generations (README G5), when some option changes generation.
    pub generations: Option<Section>,
    /// What sharing GPUs saves (README SG5), with fractional workloads.
    pub sharing: Option<Section>,
    /// Header of the summary table: an empty corner cell, then the option names.
    pub summary_header: Vec<String>,
    /// Rows of the summary table: the metric with its unit, then one cell per option.
    pub summary: Vec<Vec<String>>,
    /// The uncertainty sections (Monte Carlo, sensitivity, sweep) the run has, in that order;
    /// empty for a deterministic report.
    pub uncertainty: Vec<Section>,
    pub charts: Vec<ChartRef>,
    /// With `--markdown-charts mermaid`, the Mermaid form of each chart for `report.md`.
    pub mermaid: Option<MermaidCharts>,
    /// Header and rows of the assumptions table: one line per value a catalog row gave the
    /// run, the row's id, source, date and estimate mark on its first line.
    pub rows_header: Vec<String>,
    pub rows_used: Vec<Vec<String>>,
    /// Column of `rows_used` that holds a row's source, whose URLs the renderers make links.
    pub source_column: usize,
    pub warnings: Vec<String>,
    /// Methodology: (heading, text) items naming the README equations.
    pub methodology: Vec<(String, String)>,
}

/// A titled block of the uncertainty part: a sentence and, unless `header` is empty, a table
/// whose first column names the row.
pub struct Section {
    pub heading: String,
    pub text: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A chart as the documents reference it.
pub struct ChartRef {
    /// The chart's file name without extension, e.g. `cumulative-cost`.
    pub name: &'static str,
    pub title: String,
    pub caption: String,
    pub svg_file: String,
    pub png_file: String,
}

/// The charts of `report.md` as inline Mermaid blocks (`--markdown-charts mermaid`), in the
/// order of [`Content::charts`]; `None` for a chart Mermaid cannot draw.
pub type MermaidCharts = Vec<Option<super::mermaid::ReportChart>>;

/// Switches `report.md` of `doc` to Mermaid charts.
pub fn add_mermaid(doc: &mut Content, run: &Run, analyses: &Analyses) {
    doc.mermaid = Some(
        doc.charts
            .iter()
            .map(|c| super::mermaid::report_chart(run, analyses, c.name))
            .collect(),
    );
}

/// File names of a chart in the report folder.
pub fn chart_files(chart: &Chart) -> (String, String) {
    (format!("{}.svg", chart.name), format!("{}.png", chart.name))
}

pub fn build(run: &Run, charts: &[Chart], analyses: &Analyses) -> Content {
    let input = &run.input;
    let (summary_header, summary) = summary_grid(run);
    let (rows_header, rows_used, source_column) = assumptions(run);
    Content {
        title: input.name.clone(),
        scope: format!(
            "Scenario {}: {} from {}, amounts in {}, discounted at {:.1}% per year{}; baseline {}.",
            run.source,
            super::months(input.horizon_months),
            input.start,
            input.currency,
            input.discount_rate * 100.0,
            super::tax_line(run).unwrap_or_default(),
            run.output.options[run.output.baseline].name
        ),
        verdict: verdict(run),
        policy_summary: super::policy_summary(run),
        policies_header: super::policy_grid(run).0,
        policies: super::policy_grid(run).1,
        showback: super::showback_grid(run).map(|(text, header, rows)| Section {
            heading: "Showback".to_string(),
            text,
            header,
            rows,
        }),
        sharing: super::sharing_grid(run).map(|(text, header, rows)| Section {
            heading: "Shared GPUs".to_string(),
            text,
            header,
            rows,
        }),
        generations: super::generations_grid(run).map(|(text, header, rows)| Section {
            heading: "Generations".to_string(),
            text,
            header,
            rows,
        }),
        summary_header,
        summary,
        uncertainty: uncertainty_sections(run, analyses),
        charts: charts
            .iter()
            .map(|c| {
                let (svg_file, png_file) = chart_files(c);
                ChartRef {
                    name: c.name,
                    title: c.title.clone(),
                    caption: c.caption.clone(),
                    svg_file,
                    png_file,
                }
            })
            .collect(),
        mermaid: None,
        rows_header,
        rows_used,
        source_column,
        warnings: run.warnings.clone(),
        methodology: methodology(),
    }
}

/// The assumptions table: catalog, id, value, amount, unit, the amount in the scenario currency
/// (when some value was converted), where the value came from, source, as of, estimate, file;
/// and the column of the source.
fn assumptions(run: &Run) -> (Vec<String>, Vec<Vec<String>>, usize) {
    let header = [
        "catalog".to_string(),
        "id".to_string(),
        "value".to_string(),
        "amount".to_string(),
        "unit".to_string(),
        format!("in {}", run.input.currency),
        "from".to_string(),
        "source".to_string(),
        "as of".to_string(),
        "estimate".to_string(),
        "file".to_string(),
    ];
    let mut rows = Vec::new();
    for r in &run.rows_used {
        let row_cells = [
            r.source.clone(),
            r.as_of.clone(),
            if r.estimate { "yes" } else { "no" }.to_string(),
            r.file.clone(),
        ];
        if r.values.is_empty() {
            let mut line = vec![r.catalog.clone(), r.id.clone()];
            line.extend(std::iter::repeat_n(String::new(), 5));
            line.extend(row_cells);
            rows.push(line);
            continue;
        }
        for (i, v) in r.values.iter().enumerate() {
            let first = i == 0;
            let keep = |s: &String| if first { s.clone() } else { String::new() };
            let mut line = vec![keep(&r.catalog), keep(&r.id)];
            line.extend([
                v.name.clone(),
                super::figure(&v.value),
                v.unit.clone(),
                v.converted
                    .as_ref()
                    .map(|c| format!("{} {}", super::input_value(c.value), c.unit))
                    .unwrap_or_default(),
                super::value_origin(v),
            ]);
            line.extend(row_cells.iter().map(keep));
            rows.push(line);
        }
    }
    let mut header = header.to_vec();
    // Without a conversion, the column of converted amounts is left out.
    let converted = 5;
    if rows.iter().all(|r| r[converted].is_empty()) {
        header.remove(converted);
        for r in &mut rows {
            r.remove(converted);
        }
    }
    let source = header.iter().position(|h| h == "source").unwrap_or(0);
    (header, rows, source)
}

/// Pieces of `text`: plain text, and the `http://` or `https://` URLs in it (a URL ends at
/// white space; a closing `.`, `,`, `;`, `:` or unmatched `)` stays text).
pub fn links(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = ["https://", "http://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        let tail = &rest[start..];
        let scheme = if tail.starts_with("https://") { 8 } else { 7 };
        let mut end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        while end > scheme {
            let url = &tail[..end];
            let unmatched =
                url.ends_with(')') && url.matches('(').count() < url.matches(')').count();
            if !(unmatched || url.ends_with(['.', ',', ';', ':', '!', '?', '\'', '"'])) {
                break;
            }
            end -= 1;
        }
        if end == scheme {
            // A scheme without a host stays text.
            out.push((false, &rest[..start + scheme]));
            rest = &tail[scheme..];
            continue;
        }
        if start > 0 {
            out.push((false, &rest[..start]));
        }
        out.push((true, &tail[..end]));
        rest = &tail[end..];
    }
    if !rest.is_empty() {
        out.push((false, rest));
    }
    out
}

fn uncertainty_sections(run: &Run, analyses: &Analyses) -> Vec<Section> {
    let mut out = Vec::new();
    if let Some(mc) = &run.montecarlo {
        out.push(montecarlo_section(run, mc));
    }
    if let Some(s) = &analyses.sensitivity {
        out.push(sensitivity_section(run, s));
    }
    if let Some(s) = &analyses.sweep {
        out.push(sweep_section(run, s));
    }
    out
}

fn montecarlo_section(run: &Run, mc: &MonteCarlo) -> Section {
    let cur = &run.input.currency;
    let baseline = run.output.baseline;
    let u = &run.uncertainty;
    let correlations = run.file.correlation.len();
    let mut text = format!(
        "{} samples with seed {} over {} uncertain input{}",
        quantity(mc.samples as f64),
        mc.seed,
        u.inputs.len(),
        if u.inputs.len() == 1 { "" } else { "s" }
    );
    if correlations > 0 {
        text.push_str(&format!(
            " ({correlations} rank correlation{})",
            if correlations == 1 { "" } else { "s" }
        ));
    }
    text.push_str(&format!(
        ". P(serves demand) is the share of samples in which an option leaves at most {}% of demand unmet; P(cheapest) the share in which it has the lowest PV cost among the options that serve that sample's demand (among all when none does); P(beats baseline) the share in which it costs less than the baseline {}. Quantiles are within {}% of the exact sample quantiles.",
        crate::model::UNMET_TOLERANCE * 100.0,
        run.output.options[baseline].name,
        super::input_value(QuantileSketch::REL_ERROR * 100.0)
    ));
    let mut header: Vec<String> = ODDS_HEADER.map(String::from).to_vec();
    header.extend(["P10", "P50", "P90"].map(|q| format!("PV cost {q} [{cur}]")));
    let rows = odds_rows(mc, &run.output.options[baseline].name)
        .into_iter()
        .zip(&mc.options)
        .map(|(mut row, o)| {
            let pv = o.metrics[0];
            row.extend(
                [MetricStats::p10, MetricStats::p50, MetricStats::p90]
                    .map(|q| pv.map(|m| money(q(&m))).unwrap_or_default()),
            );
            row
        })
        .collect();
    Section {
        heading: "Monte Carlo".to_string(),
        text,
        header,
        rows,
    }
}

fn sensitivity_section(run: &Run, s: &Sensitivity) -> Section {
    let cur = &run.input.currency;
    let focus = &run.output.options[s.focus].name;
    // Its note where it leaves work unmet, as the tornado chart names it.
    let note =
        super::charts::option_note(run, s.focus).map_or(String::new(), |n| format!(" It {n}."));
    let text = format!(
        "{focus}'s PV cost is {cur} {} with every uncertain input at its median.{note} Each input moves alone to its P10 and its P90 while the others stay at their medians (correlations do not apply); rows are sorted by the swing, the largest first.",
        money(s.base_pv[s.focus])
    );
    let (header, rows) = super::uncertainty::sensitivity_table(run, s);
    Section {
        heading: format!("Sensitivity of {focus}"),
        text,
        header,
        rows,
    }
}

fn sweep_section(run: &Run, s: &Sweep) -> Section {
    let cur = &run.input.currency;
    let option = &run.output.options[s.option].name;
    let best = &s.points[s.best];
    let at: Vec<String> = s
        .axes
        .iter()
        .zip(&best.values)
        .map(|(a, v)| format!("`{}` = {}", a.path, a.show(*v, super::exact_input_value)))
        .collect();
    let mut objective = super::uncertainty::objective_name(s.objective).to_string();
    if s.objective == Objective::P90PvCost {
        objective.push_str(&format!(" over {} samples", quantity(s.samples as f64)));
    }
    let unmet = s.points.iter().filter(|p| !p.serves_demand).count();
    let found = if s.optimum_serves() {
        "the optimum is"
    } else {
        "no point serves all demand; the lowest is"
    };
    let mut text = format!(
        "{} grid points of {option}, minimising its {objective}: {found} {} at {cur} {}",
        quantity(s.points.len() as f64),
        at.join(" and "),
        money(best.objective)
    );
    if unmet > 0 && s.priced {
        text.push_str(&if unmet == 1 {
            "; 1 point leaves demand unmet, the price of that work in its objective".to_string()
        } else {
            format!(
                "; {unmet} points leave demand unmet, the price of that work in their objective"
            )
        });
    } else if unmet > 0 && s.optimum_serves() {
        text.push_str(&format!(
            "; {unmet} point{} leave demand unmet and cannot be the optimum",
            if unmet == 1 { "" } else { "s" }
        ));
    }
    text.push('.');
    Section {
        heading: "Sweep".to_string(),
        text,
        header: Vec::new(),
        rows: Vec::new(),
    }
}

/// The short methodology section; the full formulas are the README's "The model" (M0–M9) and
/// "Finance" (F1–F7).
fn methodology() -> Vec<(String, String)> {
    [
        (
            "Time and demand",
            "Monthly steps of 730 hours each. Demand is in reference-GPU-hours, grown by (1+g)^(m/12) and spread over the hours of each month by the workload's load profile (M0, M0b, M1).",
        ),
        (
            "Capacity and split",
            "Owned capacity = GPUs × availability × relative throughput (M3). Each month's hourly loads are sorted into a load-duration curve; the load under the capacity is served on-prem, the rest bursts to the cloud in a hybrid or is unmet; sensitive load never leaves (M2, M4, M5).",
        ),
        (
            "Costs",
            "Owned: purchases with cash, loan or lease, power at (idle + (1 − idle) × utilisation) × max power × PUE, colocation per provisioned kW, staff, support after warranty, software, resale at refresh or horizon (M7, M9). Cloud: committed GPUs paid whether used or not, the rest on demand or spot, storage and egress (M6).",
        ),
        (
            "Energy and carbon",
            "Owned servers at the site's PUE and grid intensity; cloud GPUs at TDP × 1.5 for the host share × cloud PUE and the cloud grid intensity (M7, M8).",
        ),
        (
            "Finance",
            "Capex at the start of its month, everything else at the end, discounted monthly at (1+r)^(1/12) − 1 (F1, F2). Savings, ROI, IRR and payback are against the baseline (F3–F5); break-even utilisation against the cheapest on-demand offer (F7). Accounting depreciation is shown beside cash, never added to it.",
        ),
        (
            "Data",
            "summary.json is the `tcosim run --format json` contract; monthly.csv has one row per option and month. Formulas are numbered as in the tcosim README.",
        ),
    ]
    .iter()
    .map(|(h, t)| (h.to_string(), t.to_string()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::links;

    #[test]
    fn urls_in_a_source_are_found_without_their_closing_punctuation() {
        assert_eq!(
            links("see https://a.org/x (b, http://c.eu/y), done."),
            vec![
                (false, "see "),
                (true, "https://a.org/x"),
                (false, " (b, "),
                (true, "http://c.eu/y"),
                (false, "), done."),
            ]
        );
        assert_eq!(links("eia.gov/x"), vec![(false, "eia.gov/x")]);
        assert_eq!(
            links("https:// x"),
            vec![(false, "https://"), (false, " x")]
        );
        assert_eq!(
            links("https://en.wikipedia.org/wiki/A_(b)."),
            vec![(true, "https://en.wikipedia.org/wiki/A_(b)"), (false, ".")]
        );
    }
}

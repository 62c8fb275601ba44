//! `report.md` of a report folder: the verdict first, the summary table, the uncertainty tables
//! (when the scenario has them), the charts with their captions (by relative path, or as inline
//! Mermaid blocks with `--markdown-charts mermaid`), the assumptions and the methodology, for
//! wikis and pull requests.

use super::content::Content;
use super::markdown::{escape, table, text_table};

pub fn render(c: &Content) -> String {
    let mut out = format!(
        "# {}\n\n{}\n\n## Verdict\n\n",
        escape(&c.title),
        escape(&c.scope)
    );
    for line in &c.verdict {
        out.push_str(&format!("- {}\n", escape(line)));
    }
    if let Some(summary) = &c.policy_summary {
        out.push_str(&format!("\n## Policies\n\n{}\n\n", escape(summary)));
        out.push_str(&text_table(&c.policies_header, &c.policies));
    }
    out.push_str("\n## Summary\n\n");
    out.push_str(&table(&c.summary_header, &c.summary));
    for s in [&c.showback, &c.sharing, &c.generations]
        .into_iter()
        .flatten()
    {
        out.push_str(&format!(
            "\n## {}\n\n{}\n\n",
            escape(&s.heading),
            escape(&s.text)
        ));
        out.push_str(&table(&s.header, &s.rows));
    }
    if !c.uncertainty.is_empty() {
        out.push_str("\n## Uncertainty\n");
        for section in &c.uncertainty {
            out.push_str(&format!(
                "\n### {}\n\n{}\n",
                escape(&section.heading),
                escape(&section.text)
            ));
            if !section.header.is_empty() {
                out.push('\n');
                out.push_str(&table(&section.header, &section.rows));
            }
        }
    }
    out.push_str("\n## Charts\n");
    for (k, chart) in c.charts.iter().enumerate() {
        if let Some(mermaid) = &c.mermaid {
            match mermaid.get(k).and_then(Option::as_ref) {
                Some(m) => out.push_str(&format!(
                    "\n### {}\n\n{}{}\n",
                    escape(&m.title),
                    m.blocks,
                    escape(&m.caption)
                )),
                None => out.push_str(&format!(
                    "\n### {}\n\n{} (Not drawn in Mermaid: `{}` and `{}` in the report folder.)\n",
                    escape(&chart.title),
                    escape(&chart.caption),
                    chart.svg_file,
                    chart.png_file
                )),
            }
            continue;
        }
        out.push_str(&format!(
            "\n### {}\n\n![{}]({})\n\n{} ([PNG]({}))\n",
            escape(&chart.title),
            escape(&chart.title),
            chart.svg_file,
            escape(&chart.caption),
            chart.png_file
        ));
    }
    out.push_str("\n## Assumptions\n\nEvery value the run took from a catalog row, with its unit, where it came from (`catalog`, `derived` by tcosim from the row, or `scenario` with the catalog's value beside it), the row's source and date; `estimate` marks rows without a dated public source.\n\n");
    out.push_str(&linked_table(&c.rows_header, &c.rows_used, c.source_column));
    if !c.warnings.is_empty() {
        out.push_str("\nWarnings:\n\n");
        for w in &c.warnings {
            out.push_str(&format!("- {}\n", escape(w)));
        }
    }
    out.push_str("\n## Methodology\n\n");
    for (heading, text) in &c.methodology {
        out.push_str(&format!("- **{}.** {}\n", escape(heading), text));
    }
    out
}

/// A table of text cells whose `link_column` turns URLs into Markdown links.
fn linked_table(header: &[String], rows: &[Vec<String>], link_column: usize) -> String {
    let mut out = text_table(header, &[]);
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i == link_column {
                    linked(cell)
                } else {
                    escape(cell)
                }
            })
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// `text` escaped for a table cell, its URLs as links (`[URL](URL)`, the target with the
/// characters that would end it or the cell percent-encoded).
fn linked(text: &str) -> String {
    super::content::links(text)
        .into_iter()
        .map(|(url, piece)| {
            if url {
                let label = escape(piece).replace('[', "\\[").replace(']', "\\]");
                let mut target = String::new();
                for ch in piece.chars() {
                    match ch {
                        '(' => target.push_str("%28"),
                        ')' => target.push_str("%29"),
                        '|' => target.push_str("%7C"),
                        '<' => target.push_str("%3C"),
                        '>' => target.push_str("%3E"),
                        _ => target.push(ch),
                    }
                }
                format!("[{label}]({target})")
            } else {
                escape(piece)
            }
        })
        .collect()
}

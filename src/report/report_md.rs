//! `report.md` of a report folder: the verdict first, the summary table, the uncertainty tables
//! (when the scenario has them), the charts by relative path with their captions, the
//! assumptions and the methodology, for wikis and pull requests.

use super::content::Content;
use super::markdown::escape;

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
        out.push_str(&table(&c.policies_header, &c.policies, false));
    }
    out.push_str("\n## Summary\n\n");
    out.push_str(&table(&c.summary_header, &c.summary, true));
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
                out.push_str(&table(&section.header, &section.rows, true));
            }
        }
    }
    out.push_str("\n## Charts\n");
    for chart in &c.charts {
        out.push_str(&format!(
            "\n### {}\n\n![{}]({})\n\n{} ([PNG]({}))\n",
            escape(&chart.title),
            escape(&chart.title),
            chart.svg_file,
            escape(&chart.caption),
            chart.png_file
        ));
    }
    out.push_str("\n## Assumptions\n\nEvery catalog row the run used, with its source and date; `estimate` marks figures without a public source.\n\n");
    out.push_str(&table(&c.rows_header, &c.rows_used, false));
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

fn table(header: &[String], rows: &[Vec<String>], numeric: bool) -> String {
    let cells = |row: &[String]| {
        row.iter()
            .map(|s| escape(s))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let mut out = format!("| {} |\n|", cells(header));
    for i in 0..header.len() {
        out.push_str(if i == 0 || !numeric {
            " --- |"
        } else {
            " ---: |"
        });
    }
    out.push('\n');
    for row in rows {
        out.push_str(&format!("| {} |\n", cells(row)));
    }
    out
}

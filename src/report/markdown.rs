//! Markdown: the same content as the terminal table, for wikis and pull-request comments.

use super::{monthly_header, monthly_rows, policy_grid, policy_summary, summary_grid, verdict};
use crate::run::Run;

pub fn render(run: &Run, monthly: bool) -> String {
    let mut out = String::new();
    out.push_str(&format!("# {}\n\n", escape(&run.input.name)));
    out.push_str(&format!(
        "{} from {}, amounts in {}, discounted at {:.1}% per year.\n\n",
        super::months(run.input.horizon_months),
        run.input.start,
        run.input.currency,
        run.input.discount_rate * 100.0
    ));
    if let Some(line) = super::tax_line(run) {
        out.insert_str(out.len() - 3, &line);
    }
    for line in verdict(run) {
        out.push_str(&format!("- {}\n", escape(&line)));
    }
    out.push('\n');
    let (header, body) = summary_grid(run);
    out.push_str(&table(&header, &body));
    if let Some(summary) = policy_summary(run) {
        let (header, rows) = policy_grid(run);
        out.push_str(&format!("\n## Policies\n\n{}\n\n", escape(&summary)));
        out.push_str(&text_table(&header, &rows));
    }
    if let Some((text, header, rows)) = super::showback_grid(run) {
        out.push_str(&format!("\n## Showback\n\n{}\n\n", escape(&text)));
        out.push_str(&table(&header, &rows));
    }
    if let Some((text, header, rows)) = super::sharing_grid(run) {
        out.push_str(&format!("\n## Shared GPUs\n\n{}\n\n", escape(&text)));
        out.push_str(&table(&header, &rows));
    }
    if let Some((text, header, rows)) = super::generations_grid(run) {
        out.push_str(&format!("\n## Generations\n\n{}\n\n", escape(&text)));
        out.push_str(&table(&header, &rows));
    }
    if monthly {
        for option in &run.output.options {
            out.push_str(&format!(
                "\n## {} — monthly [{}]\n\n",
                escape(&option.name),
                run.input.currency
            ));
            let header = monthly_header(&run.input.currency, run.input.tax.is_some());
            out.push_str(&table(&header, &monthly_rows(option)));
        }
    }
    out
}

/// The closing list of the catalog rows the run used, one line each with its date, estimate
/// mark and values (sources are in JSON and the report).
pub fn assumptions(run: &Run) -> String {
    let mut out = String::from(
        "\n## Assumptions\n\nCatalog rows used, with their values; sources in `--format json`.\n\n",
    );
    for r in &run.rows_used {
        out.push_str(&format!("- {}\n", escape(&super::assumption_line(r))));
    }
    out
}

/// A Markdown table: the first column left-aligned, the others right-aligned; cells escaped.
pub(super) fn table<H: AsRef<str>>(header: &[H], rows: &[Vec<String>]) -> String {
    aligned_table(header, rows, |i| i > 0)
}

/// [`table`] of a table of words (policies): every column left-aligned.
pub(super) fn text_table<H: AsRef<str>>(header: &[H], rows: &[Vec<String>]) -> String {
    aligned_table(header, rows, |_| false)
}

/// A Markdown table whose column `i` is right-aligned where `right(i)`, left-aligned
/// otherwise; cells escaped.
pub(super) fn aligned_table<H: AsRef<str>>(
    header: &[H],
    rows: &[Vec<String>],
    right: impl Fn(usize) -> bool,
) -> String {
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let cells: Vec<String> = cells.map(escape).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let mut out = line(&mut header.iter().map(|h| h.as_ref()));
    out.push('|');
    for i in 0..header.len() {
        out.push_str(if right(i) { " ---: |" } else { " --- |" });
    }
    out.push('\n');
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// Escapes what would break a Markdown table cell or become HTML inside a line: a name from a
/// scenario (`a|b`, `<script>`) shows as written.
pub(crate) fn escape(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', " ")
}

//! The terminal table: the verdict, then metrics down and options across.

use super::{monthly_header, monthly_rows, policy_grid, policy_summary, summary_rows, verdict};
use crate::run::Run;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};

pub fn render(run: &Run, monthly: bool, color: bool) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} — {} from {}, {} at {:.1}% per year\n\n",
        run.input.name,
        super::months(run.input.horizon_months),
        run.input.start,
        run.input.currency,
        run.input.discount_rate * 100.0
    ));
    if let Some(line) = super::tax_line(run) {
        out.insert_str(out.len() - 2, &line);
    }
    let mut table = new_table(color);
    let mut header = vec![Cell::new("")];
    header.extend(run.output.options.iter().map(|o| Cell::new(&o.name)));
    table.set_header(header);
    for row in summary_rows(run) {
        let mut cells = vec![Cell::new(row.label)];
        cells.extend(
            row.cells
                .into_iter()
                .map(|c| Cell::new(c).set_alignment(CellAlignment::Right)),
        );
        table.add_row(cells);
    }
    out.push_str(&table.to_string());
    out.push('\n');
    for line in verdict(run) {
        out.push('\n');
        out.push_str(&line);
    }
    out.push('\n');
    if let Some(summary) = policy_summary(run) {
        let (header, rows) = policy_grid(run);
        out.push_str(&format!("\nPolicies: {summary}\n"));
        out.push_str(&text_grid(&header, &rows, color));
        out.push('\n');
    }
    if let Some((text, header, rows)) = super::showback_grid(run) {
        out.push_str(&format!("\nShowback: {text}\n"));
        out.push_str(&grid(&header, &rows, color));
        out.push('\n');
    }
    if let Some((text, header, rows)) = super::sharing_grid(run) {
        out.push_str(&format!("\nShared GPUs: {text}\n"));
        out.push_str(&grid(&header, &rows, color));
        out.push('\n');
    }
    if let Some((text, header, rows)) = super::generations_grid(run) {
        out.push_str(&format!("\nGenerations: {text}\n"));
        out.push_str(&grid(&header, &rows, color));
        out.push('\n');
    }
    if monthly {
        for option in &run.output.options {
            out.push_str(&format!(
                "\n{} — monthly [{}]\n",
                option.name, run.input.currency
            ));
            let mut t = new_table(color);
            t.set_header(monthly_header(&run.input.currency, run.input.tax.is_some()));
            for r in monthly_rows(option) {
                t.add_row(
                    r.into_iter()
                        .map(|c| Cell::new(c).set_alignment(CellAlignment::Right)),
                );
            }
            out.push_str(&t.to_string());
            out.push('\n');
        }
    }
    out
}

/// The closing list of the catalog rows the run used, one line each with its date, estimate
/// mark and values (sources are in JSON and the report).
pub fn assumptions(run: &Run) -> String {
    let mut out = String::from("\nAssumptions (catalog rows used; sources in --format json):\n");
    for r in &run.rows_used {
        out.push_str(&format!("- {}\n", super::assumption_line(r)));
    }
    out
}

/// A terminal table with a header, the first column left-aligned and the others right-aligned.
pub(super) fn grid<H: AsRef<str>>(header: &[H], rows: &[Vec<String>], color: bool) -> String {
    aligned_grid(header, rows, color, |i| i > 0)
}

/// [`grid`] of a table of words (policies): every column left-aligned.
pub(super) fn text_grid<H: AsRef<str>>(header: &[H], rows: &[Vec<String>], color: bool) -> String {
    aligned_grid(header, rows, color, |_| false)
}

/// A terminal table whose column `i` is right-aligned where `right(i)`, left-aligned otherwise.
pub(super) fn aligned_grid<H: AsRef<str>>(
    header: &[H],
    rows: &[Vec<String>],
    color: bool,
    right: impl Fn(usize) -> bool,
) -> String {
    let mut t = new_table(color);
    t.set_header(header.iter().map(|h| h.as_ref()).collect::<Vec<_>>());
    for r in rows {
        t.add_row(r.iter().enumerate().map(|(i, c)| {
            let cell = Cell::new(c);
            if right(i) {
                cell.set_alignment(CellAlignment::Right)
            } else {
                cell
            }
        }));
    }
    t.to_string()
}

fn new_table(color: bool) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    if !color {
        table.force_no_tty();
    }
    table
}

//! Renderers of the catalog commands: `catalog list`, `show` and `check` in every output
//! format. Tables and Markdown carry numbers rounded to four significant digits (a source cut
//! to [`TABLE_SOURCE_CHARS`] characters in the terminal table); CSV and JSON carry raw numbers
//! and the whole text.

use super::Format;
use crate::catalog::check::{Finding, Options};
use crate::catalog::fields::Row;
use crate::catalog::listing::{Cell, Listing};
use crate::catalog::{CloudOffer, OFFER_COLUMNS};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// Longest source shown in a terminal-table cell; the other formats carry it whole.
pub const TABLE_SOURCE_CHARS: usize = 40;

/// A number with four significant digits, thousands grouped from 1,000 on.
pub fn significant(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    // Beyond grouped digits, and below four decimals' reach: `1e-300`, not 300 digits.
    if v.abs() >= 1e15 || v.abs() < 1e-4 {
        return super::scientific(v, 3);
    }
    if v.abs() >= 1000.0 {
        return super::quantity(v);
    }
    let decimals = (3 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" { "0".into() } else { s.into() }
}

/// A cell as tables show it.
fn shown(cell: &Cell, cut: Option<usize>) -> String {
    match cell {
        Cell::Num(v) => significant(*v),
        Cell::Text(s) => match cut {
            Some(n) if s.chars().count() > n => {
                let short: String = s.chars().take(n.saturating_sub(1)).collect();
                format!("{short}…")
            }
            _ => s.clone(),
        },
        other => other.raw(),
    }
}

/// A row of cells as a JSON object with its keys in column order.
struct Object<'a>(&'a [&'a str], &'a [Cell]);

impl Serialize for Object<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0.iter().zip(self.1) {
            map.serialize_entry(k, &Json(v))?;
        }
        map.end()
    }
}

struct Json<'a>(&'a Cell);

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Cell::Text(t) => s.serialize_str(t),
            Cell::Num(v) => s.serialize_f64(*v),
            Cell::Bool(b) => s.serialize_bool(*b),
            Cell::Empty => s.serialize_none(),
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    let mut text = crate::report::json::pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// `catalog list`: one row per catalog row.
pub fn listing(l: &Listing, format: Format, color: bool) -> String {
    match format {
        Format::Csv => super::csv::table(&l.columns, l.rows.iter().map(|r| raw_row(r))),
        Format::Json => {
            #[derive(Serialize)]
            struct Doc<'a> {
                kind: &'a str,
                columns: &'a [&'a str],
                rows: Vec<Object<'a>>,
            }
            to_json(&Doc {
                kind: l.kind.as_str(),
                columns: &l.columns,
                rows: l.rows.iter().map(|r| Object(&l.columns, r)).collect(),
            })
        }
        Format::Table | Format::Markdown => {
            let source = l.columns.iter().position(|c| *c == "source");
            let cut = (format == Format::Table).then_some(TABLE_SOURCE_CHARS);
            let rows: Vec<Vec<String>> = l
                .rows
                .iter()
                .map(|r| {
                    r.iter()
                        .enumerate()
                        .map(|(i, c)| shown(c, if Some(i) == source { cut } else { None }))
                        .collect()
                })
                .collect();
            // Columns of numbers right-aligned, of words left-aligned.
            let right = |i: usize| l.is_numeric(i);
            if format == Format::Table {
                super::table::aligned_grid(&l.columns, &rows, color, right) + "\n"
            } else {
                super::markdown::aligned_table(&l.columns, &rows, right)
            }
        }
    }
}

fn raw_row(cells: &[Cell]) -> Vec<String> {
    cells.iter().map(Cell::raw).collect()
}

/// A row found by `catalog show`, with the layers it came through.
pub struct Shown<'a> {
    pub row: Row<'a>,
    /// `built-in` or the `--catalog DIR` whose file holds the row.
    pub layer: String,
    /// Files of earlier layers whose row with the same id this one replaced, oldest first.
    pub overrides: Vec<String>,
}

/// `catalog show`: every field of each row with its source, date and layer.
pub fn show(found: &[Shown], format: Format, color: bool) -> String {
    let provenance = |s: &Shown| -> Vec<(&'static str, Cell)> {
        vec![
            ("kind", Cell::Text(s.row.kind.as_str().to_string())),
            ("layer", Cell::Text(s.layer.clone())),
            ("file", Cell::Text(s.row.origin.to_string())),
            (
                "overrides",
                if s.overrides.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(s.overrides.join("; "))
                },
            ),
        ]
    };
    match format {
        Format::Csv => {
            let rows = found.iter().flat_map(|s| {
                provenance(s)
                    .into_iter()
                    .chain(s.row.fields.iter().cloned())
                    .map(|(k, v)| {
                        vec![
                            s.row.kind.as_str().to_string(),
                            s.row.id.to_string(),
                            k.to_string(),
                            v.raw(),
                        ]
                    })
                    .collect::<Vec<_>>()
            });
            super::csv::table(["kind", "id", "field", "value"], rows)
        }
        Format::Json => {
            struct One<'a>(&'a Shown<'a>, Vec<(&'static str, Cell)>);
            impl Serialize for One<'_> {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let mut map = s.serialize_map(None)?;
                    for (k, v) in &self.1 {
                        if *k == "overrides" {
                            map.serialize_entry(k, &self.0.overrides)?;
                        } else {
                            map.serialize_entry(k, &Json(v))?;
                        }
                    }
                    let (keys, cells): (Vec<&str>, Vec<Cell>) =
                        self.0.row.fields.iter().cloned().unzip();
                    map.serialize_entry("fields", &Object(&keys, &cells))?;
                    map.end()
                }
            }
            let rows: Vec<One> = found.iter().map(|s| One(s, provenance(s))).collect();
            to_json(&rows)
        }
        Format::Table | Format::Markdown => {
            let mut out = String::new();
            for (i, s) in found.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                let rows: Vec<Vec<String>> = provenance(s)
                    .iter()
                    .chain(&s.row.fields)
                    .map(|(k, v)| vec![k.to_string(), shown(v, None)])
                    .collect();
                let header = ["field", "value"];
                if format == Format::Table {
                    out.push_str(&left_grid(&header, &rows, color));
                    out.push('\n');
                } else {
                    out.push_str(&format!("## {}\n\n", super::markdown::escape(s.row.id)));
                    out.push_str(&super::markdown::table(&header, &rows));
                }
            }
            out
        }
    }
}

/// A terminal table with every column left-aligned (text down the rows, such as a row's
/// fields).
fn left_grid(header: &[&str], rows: &[Vec<String>], color: bool) -> String {
    use comfy_table::{ContentArrangement, Table, presets};
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    if !color {
        t.force_no_tty();
    }
    t.set_header(header.to_vec());
    for r in rows {
        t.add_row(r.clone());
    }
    t.to_string()
}

/// Offers as the text of `cloud-offers.csv` (its columns in their documented order).
pub fn offers_csv(offers: &[CloudOffer]) -> String {
    let opt = |v: Option<f64>| v.map(super::csv::num).unwrap_or_default();
    let rows = offers.iter().map(|o| {
        vec![
            o.id.clone(),
            o.provider.clone(),
            o.instance_type.clone(),
            o.region.clone(),
            o.accelerator.clone(),
            o.accelerator_count.to_string(),
            super::csv::num(o.on_demand_usd_per_hour),
            opt(o.spot_usd_per_hour),
            opt(o.commit_1y_usd_per_hour),
            opt(o.commit_3y_usd_per_hour),
            o.source.clone(),
            o.as_of.clone(),
            o.estimate.to_string(),
            o.note.clone().unwrap_or_default(),
        ]
    });
    super::csv::table(OFFER_COLUMNS, rows)
}

const FINDING_COLUMNS: [&str; 6] = ["severity", "rule", "kind", "id", "message", "file"];

/// `catalog check`: one row per finding.
pub fn findings(findings: &[Finding], options: Options, format: Format, color: bool) -> String {
    let rows = || {
        findings.iter().map(|f| {
            vec![
                f.severity.as_str().to_string(),
                f.rule.to_string(),
                f.kind.to_string(),
                f.id.clone(),
                f.message.clone(),
                f.file.clone(),
            ]
        })
    };
    match format {
        Format::Csv => super::csv::table(FINDING_COLUMNS, rows()),
        Format::Json => {
            let (errors, warnings, notes) = crate::catalog::check::counts(findings);
            #[derive(Serialize)]
            struct Counts {
                errors: usize,
                warnings: usize,
                notes: usize,
            }
            #[derive(Serialize)]
            struct Doc<'a> {
                today: String,
                max_age_months: u32,
                counts: Counts,
                findings: &'a [Finding],
            }
            let (month, day) = options.today;
            to_json(&Doc {
                today: format!("{month}-{day:02}"),
                max_age_months: options.max_age_months,
                counts: Counts {
                    errors,
                    warnings,
                    notes,
                },
                findings,
            })
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = rows().collect();
            left_grid(&FINDING_COLUMNS, &rows, color) + "\n"
        }
        Format::Markdown => {
            let rows: Vec<Vec<String>> = rows().collect();
            super::markdown::table(&FINDING_COLUMNS, &rows)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::significant;

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(significant(31_250.0), "31,250");
        assert_eq!(significant(2.74471), "2.745");
        assert_eq!(significant(0.0343071), "0.03431");
        assert_eq!(significant(0.86), "0.86");
        assert_eq!(significant(8.0), "8");
        assert_eq!(significant(-0.00001), "-1e-5");
        assert_eq!(significant(0.0), "0");
        assert_eq!(significant(1e-300), "1e-300");
        assert_eq!(significant(5e-324), "4.941e-324");
        assert_eq!(significant(-1.23456e-7), "-1.235e-7");
        assert_eq!(significant(0.0001), "0.0001");
        assert_eq!(significant(2.5e40), "2.5e40");
    }
}

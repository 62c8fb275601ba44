//! `tcosim catalog list` and `show`: every catalog row as typed cells, with the normalised
//! columns a planner compares rows on (README "Catalog commands" documents each column with
//! its unit and formula), a small filter language and sorting.
//!
//! Nothing here prints; the report module renders a [`Listing`] in each output format.

use super::{Catalog, CloudOffer};
use crate::error::InputError;

/// The catalog tables `catalog list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Accelerators,
    Servers,
    #[value(alias = "cloud-offers")]
    Offers,
    #[value(alias = "cloud-providers")]
    Providers,
    Sites,
    Depreciation,
    Fx,
    #[value(alias = "staffing")]
    Automation,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Accelerators,
        Kind::Servers,
        Kind::Offers,
        Kind::Providers,
        Kind::Sites,
        Kind::Depreciation,
        Kind::Fx,
        Kind::Automation,
    ];

    /// The name used on the command line and in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Accelerators => "accelerators",
            Kind::Servers => "servers",
            Kind::Offers => "offers",
            Kind::Providers => "providers",
            Kind::Sites => "sites",
            Kind::Depreciation => "depreciation",
            Kind::Fx => "fx",
            Kind::Automation => "automation",
        }
    }
}

/// One value of a listing: text, a raw number, a flag, or nothing (a figure that does not
/// exist, such as the spot price of an offer without one).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Num(f64),
    Bool(bool),
    Empty,
}

impl Cell {
    fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    fn opt(v: Option<f64>) -> Cell {
        match v {
            Some(v) if v.is_finite() => Cell::Num(v),
            _ => Cell::Empty,
        }
    }

    fn num(v: f64) -> Cell {
        Cell::opt(Some(v))
    }

    /// The cell as CSV carries it: numbers in shortest round-trip form (in exponent form where
    /// the digits would run long: `5e-324`), blank when empty.
    pub fn raw(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Num(v) => crate::error::written(*v + 0.0),
            Cell::Bool(b) => b.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// Rows of one catalog table as named columns.
#[derive(Debug, Clone)]
pub struct Listing {
    pub kind: Kind,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// `a / b` when both exist and `b` is not zero.
fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b != 0.0 => Some(a / b),
        _ => None,
    }
}

fn per_gpu(price: Option<f64>, o: &CloudOffer) -> Cell {
    Cell::opt(ratio(price, Some(f64::from(o.accelerator_count))))
}

/// The columns every table ends with: the row's date, estimate flag and source.
const PROVENANCE: [&str; 3] = ["as_of", "estimate", "source"];

fn provenance(as_of: &str, estimate: bool, source: &str) -> [Cell; 3] {
    [Cell::text(as_of), Cell::Bool(estimate), Cell::text(source)]
}

fn with_provenance(mut columns: Vec<&'static str>) -> Vec<&'static str> {
    columns.extend(PROVENANCE);
    columns
}

/// Every row of the `kind` table of `catalog`, in catalog order, with its normalised columns.
pub fn list(catalog: &Catalog, kind: Kind) -> Listing {
    let (columns, rows): (Vec<&'static str>, Vec<Vec<Cell>>) = match kind {
        Kind::Accelerators => (
            vec![
                "id",
                "vendor",
                "name",
                "memory_gb",
                "memory_bandwidth_tb_s",
                "bf16_dense_tflops",
                "fp8_dense_tflops",
                "tdp_w",
                "bf16_tflops_per_w",
                "price_usd_per_gpu",
                "usd_per_bf16_tflops",
                "usd_per_memory_gb",
                "release",
                "price_estimate",
            ],
            catalog
                .accelerators
                .iter()
                .map(|a| {
                    let mut r = vec![
                        Cell::text(&a.id),
                        Cell::text(&a.vendor),
                        Cell::text(&a.name),
                        Cell::num(a.memory_gb),
                        Cell::num(a.memory_bandwidth_tb_s),
                        Cell::num(a.bf16_dense_tflops),
                        Cell::opt(a.fp8_dense_tflops),
                        Cell::num(a.tdp_w),
                        Cell::opt(ratio(Some(a.bf16_dense_tflops), Some(a.tdp_w))),
                        Cell::num(a.street_price_usd),
                        Cell::opt(ratio(Some(a.street_price_usd), Some(a.bf16_dense_tflops))),
                        Cell::opt(ratio(Some(a.street_price_usd), Some(a.memory_gb))),
                        Cell::text(&a.release),
                        Cell::Bool(a.price_estimate),
                    ];
                    r.extend(provenance(&a.as_of, a.estimate, &a.source));
                    r
                })
                .collect(),
        ),
        Kind::Servers => (
            vec![
                "id",
                "name",
                "accelerator",
                "accelerator_count",
                "price_usd",
                "price_usd_per_gpu",
                "memory_gb",
                "bf16_dense_tflops",
                "max_power_kw",
                "bf16_tflops_per_w",
            ],
            catalog
                .servers
                .iter()
                .map(|s| {
                    let gpus = f64::from(s.accelerator_count);
                    let acc = catalog.accelerator(&s.accelerator);
                    let tflops = acc.map(|a| a.bf16_dense_tflops * gpus);
                    let mut r = vec![
                        Cell::text(&s.id),
                        Cell::text(&s.name),
                        Cell::text(&s.accelerator),
                        Cell::num(gpus),
                        Cell::num(s.price_usd),
                        Cell::opt(ratio(Some(s.price_usd), Some(gpus))),
                        Cell::opt(acc.map(|a| a.memory_gb * gpus)),
                        Cell::opt(tflops),
                        Cell::num(s.max_power_kw),
                        Cell::opt(ratio(tflops, Some(s.max_power_kw * 1000.0))),
                    ];
                    r.extend(provenance(&s.as_of, s.estimate, &s.source));
                    r
                })
                .collect(),
        ),
        Kind::Offers => (
            vec![
                "id",
                "provider",
                "instance_type",
                "region",
                "accelerator",
                "accelerator_count",
                "on_demand_usd_per_hour",
                "spot_usd_per_hour",
                "on_demand_usd_per_gpu_hour",
                "spot_usd_per_gpu_hour",
                "commit_1y_usd_per_gpu_hour",
                "commit_3y_usd_per_gpu_hour",
                "commit_derived",
                "usd_per_bf16_pflop_hour",
                "usd_per_memory_gb_hour",
            ],
            catalog
                .offers
                .iter()
                .map(|o| {
                    let gpus = f64::from(o.accelerator_count);
                    let acc = catalog.accelerator(&o.accelerator);
                    let pflops = acc.map(|a| a.bf16_dense_tflops / 1000.0 * gpus);
                    let memory = acc.map(|a| a.memory_gb * gpus);
                    let od = Some(o.on_demand_usd_per_hour);
                    let mut r = vec![
                        Cell::text(&o.id),
                        Cell::text(&o.provider),
                        Cell::text(&o.instance_type),
                        Cell::text(&o.region),
                        Cell::text(&o.accelerator),
                        Cell::num(gpus),
                        Cell::num(o.on_demand_usd_per_hour),
                        Cell::opt(o.spot_usd_per_hour),
                        per_gpu(od, o),
                        per_gpu(o.spot_usd_per_hour, o),
                        per_gpu(o.commit_1y_usd_per_hour, o),
                        per_gpu(o.commit_3y_usd_per_hour, o),
                        Cell::Bool(o.commit_1y_derived || o.commit_3y_derived),
                        Cell::opt(ratio(od, pflops)),
                        Cell::opt(ratio(od, memory)),
                    ];
                    r.extend(provenance(&o.as_of, o.estimate, &o.source));
                    r
                })
                .collect(),
        ),
        Kind::Providers => (
            vec![
                "id",
                "name",
                "commit_1y_discount",
                "commit_3y_discount",
                "storage_usd_per_tb_month",
                "egress_usd_per_tb",
            ],
            catalog
                .providers
                .iter()
                .map(|p| {
                    let mut r = vec![
                        Cell::text(&p.id),
                        Cell::text(&p.name),
                        Cell::num(p.commit_1y_discount),
                        Cell::num(p.commit_3y_discount),
                        Cell::num(p.storage_usd_per_tb_month),
                        Cell::num(p.egress_usd_per_tb),
                    ];
                    r.extend(provenance(&p.as_of, p.estimate, &p.source));
                    r
                })
                .collect(),
        ),
        Kind::Sites => (
            vec![
                "id",
                "name",
                "country",
                "currency",
                "electricity_per_kwh",
                "pue",
                "colocation_per_kw_month",
                "grid_co2_g_per_kwh",
                "electricity_usd_per_kwh",
                "energy_usd_per_it_kwh",
                "colocation_usd_per_kw_month",
            ],
            catalog
                .sites
                .iter()
                .map(|s| {
                    let usd = |v: f64| catalog.convert(v, &s.currency, "USD");
                    let electricity = usd(s.electricity_per_kwh);
                    let mut r = vec![
                        Cell::text(&s.id),
                        Cell::text(&s.name),
                        Cell::text(&s.country),
                        Cell::text(&s.currency),
                        Cell::num(s.electricity_per_kwh),
                        Cell::num(s.pue),
                        Cell::num(s.colocation_per_kw_month),
                        Cell::num(s.grid_co2_g_per_kwh),
                        Cell::opt(electricity),
                        Cell::opt(electricity.map(|e| e * s.pue)),
                        Cell::opt(usd(s.colocation_per_kw_month)),
                    ];
                    r.extend(provenance(&s.as_of, s.estimate, &s.source));
                    r
                })
                .collect(),
        ),
        Kind::Depreciation => (
            vec![
                "id",
                "name",
                "method",
                "life_years",
                "salvage_fraction",
                "factor",
                "schedule_years",
                "first_year_fraction",
            ],
            catalog
                .policies
                .iter()
                .map(|p| {
                    let schedule = p
                        .method()
                        .map(|m| crate::finance::annual_depreciation(&m, 1.0))
                        .unwrap_or_default();
                    let mut r = vec![
                        Cell::text(&p.id),
                        Cell::text(&p.name),
                        Cell::text(&p.method),
                        Cell::opt(p.life_years.map(f64::from)),
                        Cell::opt(p.salvage_fraction),
                        Cell::opt(p.factor),
                        Cell::num(schedule.len() as f64),
                        Cell::opt(schedule.first().copied()),
                    ];
                    r.extend(provenance(&p.as_of, p.estimate, &p.source));
                    r
                })
                .collect(),
        ),
        Kind::Fx => (
            vec!["id", "per_usd", "usd_per_unit"],
            catalog
                .fx
                .iter()
                .map(|f| {
                    let mut r = vec![
                        Cell::text(&f.currency),
                        Cell::num(f.per_usd),
                        Cell::opt(ratio(Some(1.0), Some(f.per_usd))),
                    ];
                    r.extend(provenance(&f.as_of, f.estimate, &f.source));
                    r
                })
                .collect(),
        ),
        Kind::Automation => (
            vec![
                "id",
                "name",
                "fte_per_100_gpus",
                "fixed_fte",
                "platform_fte",
                "software_per_gpu_year_usd",
                "gpus_per_fte",
            ],
            catalog
                .automation
                .iter()
                .map(|a| {
                    let mut r = vec![
                        Cell::text(&a.id),
                        Cell::text(&a.name),
                        Cell::num(a.fte_per_100_gpus),
                        Cell::num(a.fixed_fte),
                        Cell::num(a.platform_fte),
                        Cell::num(a.software_per_gpu_year_usd),
                        Cell::opt(ratio(Some(100.0), Some(a.fte_per_100_gpus))),
                    ];
                    r.extend(provenance(&a.as_of, a.estimate, &a.source));
                    r
                })
                .collect(),
        ),
    };
    Listing {
        kind,
        columns: with_provenance(columns),
        rows,
    }
}

/// How a filter clause compares a cell with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Contains,
    Lt,
    Le,
    Gt,
    Ge,
}

/// One clause of `--filter`.
#[derive(Debug, Clone)]
struct Clause {
    column: usize,
    op: Op,
    value: String,
    number: Option<f64>,
}

/// Operators in the order they are tried at the end of a column name (two-character ones
/// first, so that `<=` is not read as `<` with a value starting with `=`).
const OPS: [(&str, Op); 7] = [
    ("<=", Op::Le),
    (">=", Op::Ge),
    ("!=", Op::Ne),
    ("=", Op::Eq),
    ("~", Op::Contains),
    ("<", Op::Lt),
    (">", Op::Gt),
];

const FILTER_SYNTAX: &str = "clauses `COL=VALUE`, `COL!=VALUE`, `COL~TEXT`, `COL<NUM`, `COL<=NUM`, \
     `COL>NUM` or `COL>=NUM`, joined by commas (all must hold)";

impl Listing {
    /// Position of `name` among the columns, or an error naming the nearest columns.
    pub fn column(&self, flag: &str, name: &str) -> Result<usize, InputError> {
        self.columns.iter().position(|c| *c == name).ok_or_else(|| {
            InputError::new(
                flag,
                format!("unknown column `{name}` of `{}`", self.kind.as_str()),
            )
            .expected(format!("one of {}", self.columns.join(", ")))
            .found(format!("`{name}`"))
            .hint_nearest(
                "the nearest columns are",
                name,
                self.columns.iter().copied(),
            )
        })
    }

    /// Whether column `column` holds a number in any row.
    pub fn is_numeric(&self, column: usize) -> bool {
        self.rows
            .iter()
            .any(|r| matches!(r.get(column), Some(Cell::Num(_))))
    }

    fn parse_filter(&self, expr: &str) -> Result<Vec<Clause>, InputError> {
        let mut clauses = Vec::new();
        for text in expr.split(',') {
            let text = text.trim();
            let name_end = text
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(text.len());
            let (name, rest) = text.split_at(name_end);
            let Some((op_text, op)) = OPS.iter().find(|(s, _)| rest.starts_with(s)) else {
                return Err(InputError::new("--filter", "not a filter clause")
                    .expected(FILTER_SYNTAX)
                    .found(format!("`{text}`")));
            };
            let column = self.column("--filter", name)?;
            let value = rest[op_text.len()..].trim().to_string();
            let number = value.parse::<f64>().ok().filter(|v| v.is_finite());
            let ordered = matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge);
            let numeric = self.is_numeric(column);
            if numeric && number.is_none() && (ordered || !value.is_empty() && *op != Op::Contains)
            {
                return Err(
                    InputError::new("--filter", format!("column `{name}` holds numbers"))
                        .expected(format!("a number after `{name}{op_text}`"))
                        .found(format!("`{value}`")),
                );
            }
            clauses.push(Clause {
                column,
                op: *op,
                value,
                number: if numeric { number } else { None },
            });
        }
        Ok(clauses)
    }

    /// Keeps the rows that satisfy every clause of `expr` (see [`FILTER_SYNTAX`]).
    pub fn filter(&mut self, expr: &str) -> Result<(), InputError> {
        let clauses = self.parse_filter(expr)?;
        self.rows
            .retain(|row| clauses.iter().all(|c| matches(&row[c.column], c)));
        Ok(())
    }

    /// Sorts the rows by `spec`: a column name, ascending, or `-NAME`, descending. Numbers
    /// sort by value, text without regard to case, `false` before `true`; empty cells come last
    /// either way; ties keep catalog order.
    pub fn sort(&mut self, spec: &str) -> Result<(), InputError> {
        let (name, descending) = match spec.strip_prefix('-') {
            Some(name) => (name, true),
            None => (spec, false),
        };
        let column = self.column("--sort", name)?;
        self.rows.sort_by(|a, b| {
            use std::cmp::Ordering;
            let (a, b) = (&a[column], &b[column]);
            match (a, b) {
                (Cell::Empty, Cell::Empty) => Ordering::Equal,
                (Cell::Empty, _) => Ordering::Greater,
                (_, Cell::Empty) => Ordering::Less,
                _ => {
                    let ord = compare(a, b);
                    if descending { ord.reverse() } else { ord }
                }
            }
        });
        Ok(())
    }
}

fn compare(a: &Cell, b: &Cell) -> std::cmp::Ordering {
    match (a, b) {
        (Cell::Num(x), Cell::Num(y)) => x.total_cmp(y),
        (Cell::Bool(x), Cell::Bool(y)) => x.cmp(y),
        _ => a.raw().to_lowercase().cmp(&b.raw().to_lowercase()),
    }
}

/// Numbers compare by value (equal within a relative 1e-12, so that `0.1` finds the 0.1 a
/// file holds); text compares without regard to case, and `<`/`>` on text compare it as text,
/// which orders ISO dates (`as_of<2025-01`) in time. An empty cell equals only an empty value
/// and satisfies no `<`/`>`.
fn matches(cell: &Cell, clause: &Clause) -> bool {
    use std::cmp::Ordering;
    if clause.op == Op::Contains {
        return cell
            .raw()
            .to_lowercase()
            .contains(&clause.value.to_lowercase());
    }
    let ordering = match (cell, clause.number) {
        (Cell::Empty, _) => {
            return match clause.op {
                Op::Eq => clause.value.is_empty(),
                Op::Ne => !clause.value.is_empty(),
                _ => false,
            };
        }
        (Cell::Num(v), Some(n)) => {
            if (v - n).abs() <= 1e-12 * v.abs().max(n.abs()) {
                Ordering::Equal
            } else {
                v.total_cmp(&n)
            }
        }
        (Cell::Num(_), None) => Ordering::Greater,
        _ => cell.raw().to_lowercase().cmp(&clause.value.to_lowercase()),
    };
    match clause.op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Lt => ordering == Ordering::Less,
        Op::Le => ordering != Ordering::Greater,
        Op::Gt => ordering == Ordering::Greater,
        Op::Ge => ordering != Ordering::Less,
        Op::Contains => false,
    }
}

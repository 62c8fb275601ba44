//! Every catalog row as its kind, id, provenance and the fields of its file, in file order:
//! what `tcosim catalog show` prints and what `tcosim catalog check` inspects.

use super::Catalog;
use super::listing::{Cell, Kind};

/// One catalog row, whatever its table.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub kind: Kind,
    pub id: &'a str,
    /// Every field of the row as its file spells it, then the figures tcosim derived.
    pub fields: Vec<(&'static str, Cell)>,
    pub source: &'a str,
    pub as_of: &'a str,
    pub estimate: bool,
    pub note: Option<&'a str>,
    /// The file the row was loaded from (`<built-in>/NAME` or `DIR/NAME`).
    pub origin: &'a str,
}

fn t(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn n(v: f64) -> Cell {
    Cell::Num(v)
}

fn o(v: Option<f64>) -> Cell {
    v.map(Cell::Num).unwrap_or(Cell::Empty)
}

fn b(v: bool) -> Cell {
    Cell::Bool(v)
}

fn note(v: Option<&str>) -> Cell {
    v.map(t).unwrap_or(Cell::Empty)
}

/// Every row of every table, tables in the order of [`Kind::ALL`], rows in catalog order.
pub fn rows(c: &Catalog) -> Vec<Row<'_>> {
    let mut out = Vec::new();
    for a in &c.accelerators {
        out.push(Row {
            kind: Kind::Accelerators,
            id: &a.id,
            fields: vec![
                ("id", t(&a.id)),
                ("vendor", t(&a.vendor)),
                ("name", t(&a.name)),
                ("memory_gb", n(a.memory_gb)),
                ("memory_bandwidth_tb_s", n(a.memory_bandwidth_tb_s)),
                ("bf16_dense_tflops", n(a.bf16_dense_tflops)),
                ("fp8_dense_tflops", o(a.fp8_dense_tflops)),
                ("tdp_w", n(a.tdp_w)),
                ("release", t(&a.release)),
                ("street_price_usd", n(a.street_price_usd)),
                ("price_estimate", b(a.price_estimate)),
                ("source", t(&a.source)),
                ("as_of", t(&a.as_of)),
                ("estimate", b(a.estimate)),
                ("note", note(a.note.as_deref())),
            ],
            source: &a.source,
            as_of: &a.as_of,
            estimate: a.estimate,
            note: a.note.as_deref(),
            origin: &a.origin,
        });
    }
    for s in &c.servers {
        out.push(Row {
            kind: Kind::Servers,
            id: &s.id,
            fields: vec![
                ("id", t(&s.id)),
                ("name", t(&s.name)),
                ("accelerator", t(&s.accelerator)),
                ("accelerator_count", n(f64::from(s.accelerator_count))),
                ("max_power_kw", n(s.max_power_kw)),
                ("idle_fraction", n(s.idle_fraction)),
                ("price_usd", n(s.price_usd)),
                ("rack_units", n(f64::from(s.rack_units))),
                ("warranty_years", n(s.warranty_years)),
                ("support_pct_per_year", n(s.support_pct_per_year)),
                ("source", t(&s.source)),
                ("as_of", t(&s.as_of)),
                ("estimate", b(s.estimate)),
                ("note", note(s.note.as_deref())),
            ],
            source: &s.source,
            as_of: &s.as_of,
            estimate: s.estimate,
            note: s.note.as_deref(),
            origin: &s.origin,
        });
    }
    for r in &c.offers {
        out.push(Row {
            kind: Kind::Offers,
            id: &r.id,
            fields: vec![
                ("id", t(&r.id)),
                ("provider", t(&r.provider)),
                ("instance_type", t(&r.instance_type)),
                ("region", t(&r.region)),
                ("accelerator", t(&r.accelerator)),
                ("accelerator_count", n(f64::from(r.accelerator_count))),
                ("on_demand_usd_per_hour", n(r.on_demand_usd_per_hour)),
                ("spot_usd_per_hour", o(r.spot_usd_per_hour)),
                ("commit_1y_usd_per_hour", o(r.commit_1y_usd_per_hour)),
                ("commit_3y_usd_per_hour", o(r.commit_3y_usd_per_hour)),
                ("source", t(&r.source)),
                ("as_of", t(&r.as_of)),
                ("estimate", b(r.estimate)),
                ("note", note(r.note.as_deref())),
                ("commit_1y_derived", b(r.commit_1y_derived)),
                ("commit_3y_derived", b(r.commit_3y_derived)),
            ],
            source: &r.source,
            as_of: &r.as_of,
            estimate: r.estimate,
            note: r.note.as_deref(),
            origin: &r.origin,
        });
    }
    for p in &c.providers {
        out.push(Row {
            kind: Kind::Providers,
            id: &p.id,
            fields: vec![
                ("id", t(&p.id)),
                ("name", t(&p.name)),
                ("commit_1y_discount", n(p.commit_1y_discount)),
                ("commit_3y_discount", n(p.commit_3y_discount)),
                ("storage_usd_per_tb_month", n(p.storage_usd_per_tb_month)),
                ("egress_usd_per_tb", n(p.egress_usd_per_tb)),
                ("source", t(&p.source)),
                ("as_of", t(&p.as_of)),
                ("estimate", b(p.estimate)),
                ("note", note(p.note.as_deref())),
            ],
            source: &p.source,
            as_of: &p.as_of,
            estimate: p.estimate,
            note: p.note.as_deref(),
            origin: &p.origin,
        });
    }
    for s in &c.sites {
        out.push(Row {
            kind: Kind::Sites,
            id: &s.id,
            fields: vec![
                ("id", t(&s.id)),
                ("name", t(&s.name)),
                ("country", t(&s.country)),
                ("currency", t(&s.currency)),
                ("electricity_per_kwh", n(s.electricity_per_kwh)),
                ("pue", n(s.pue)),
                ("colocation_per_kw_month", n(s.colocation_per_kw_month)),
                ("grid_co2_g_per_kwh", n(s.grid_co2_g_per_kwh)),
                ("source", t(&s.source)),
                ("as_of", t(&s.as_of)),
                ("estimate", b(s.estimate)),
                ("note", note(s.note.as_deref())),
            ],
            source: &s.source,
            as_of: &s.as_of,
            estimate: s.estimate,
            note: s.note.as_deref(),
            origin: &s.origin,
        });
    }
    for p in &c.policies {
        let rates = p.annual_rates.as_ref().map(|r| {
            r.iter()
                .map(|v| format!("{v}"))
                .collect::<Vec<_>>()
                .join(" ")
        });
        out.push(Row {
            kind: Kind::Depreciation,
            id: &p.id,
            fields: vec![
                ("id", t(&p.id)),
                ("name", t(&p.name)),
                ("method", t(&p.method)),
                ("life_years", o(p.life_years.map(f64::from))),
                ("salvage_fraction", o(p.salvage_fraction)),
                ("factor", o(p.factor)),
                (
                    "switch_to_straight_line",
                    p.switch_to_straight_line.map(b).unwrap_or(Cell::Empty),
                ),
                ("annual_rates", rates.map(Cell::Text).unwrap_or(Cell::Empty)),
                ("source", t(&p.source)),
                ("as_of", t(&p.as_of)),
                ("estimate", b(p.estimate)),
                ("note", note(p.note.as_deref())),
            ],
            source: &p.source,
            as_of: &p.as_of,
            estimate: p.estimate,
            note: p.note.as_deref(),
            origin: &p.origin,
        });
    }
    for f in &c.fx {
        out.push(Row {
            kind: Kind::Fx,
            id: &f.currency,
            fields: vec![
                ("currency", t(&f.currency)),
                ("per_usd", n(f.per_usd)),
                ("source", t(&f.source)),
                ("as_of", t(&f.as_of)),
                ("estimate", b(f.estimate)),
                ("note", note(f.note.as_deref())),
            ],
            source: &f.source,
            as_of: &f.as_of,
            estimate: f.estimate,
            note: f.note.as_deref(),
            origin: &f.origin,
        });
    }
    out
}

/// The folder a row's file belongs to: `built-in` or the `--catalog DIR` as given.
pub fn layer_of(origin: &str) -> String {
    match origin.strip_prefix(super::BUILTIN_LABEL) {
        Some(_) => "built-in".to_string(),
        None => std::path::Path::new(origin)
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    }
}

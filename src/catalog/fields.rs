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

/// A [`Row`] of `kind` with id `id` for catalog row `r`: its own fields, then the provenance
/// every catalog row carries (`source`, `as_of`, `estimate`, `note`), then any fields tcosim
/// derived.
macro_rules! row {
    ($kind:expr, $id:expr, $r:expr, [$($field:expr),* $(,)?] $(, derived [$($d:expr),* $(,)?])?) => {{
        let r = $r;
        #[allow(unused_mut)]
        let mut fields = vec![
            $($field,)*
            ("source", t(&r.source)),
            ("as_of", t(&r.as_of)),
            ("estimate", b(r.estimate)),
            ("note", note(r.note.as_deref())),
        ];
        $(fields.extend([$($d),*]);)?
        Row {
            kind: $kind,
            id: $id,
            fields,
            source: &r.source,
            as_of: &r.as_of,
            estimate: r.estimate,
            note: r.note.as_deref(),
            origin: &r.origin,
        }
    }};
}

/// Every row of every table, tables in the order of [`Kind::ALL`], rows in catalog order.
pub fn rows(c: &Catalog) -> Vec<Row<'_>> {
    let mut out = Vec::new();
    for a in &c.accelerators {
        out.push(row!(
            Kind::Accelerators,
            &a.id,
            a,
            [
                ("id", t(&a.id)),
                ("vendor", t(&a.vendor)),
                ("name", t(&a.name)),
                ("memory_gb", n(a.memory_gb)),
                ("memory_bandwidth_tb_s", n(a.memory_bandwidth_tb_s)),
                ("bf16_dense_tflops", n(a.bf16_dense_tflops)),
                ("fp8_dense_tflops", o(a.fp8_dense_tflops)),
                ("tdp_w", n(a.tdp_w)),
                ("mig_slices", o(a.mig_slices.map(f64::from))),
                (
                    "mig_profiles",
                    a.mig_profiles.as_ref().map_or(Cell::Empty, |p| {
                        t(&p.iter()
                            .map(|[s, i]| format!("{s}g x{i}"))
                            .collect::<Vec<_>>()
                            .join(", "))
                    })
                ),
                ("release", t(&a.release)),
                ("street_price_usd", n(a.street_price_usd)),
                ("price_estimate", b(a.price_estimate)),
            ]
        ));
    }
    for s in &c.servers {
        out.push(row!(
            Kind::Servers,
            &s.id,
            s,
            [
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
            ]
        ));
    }
    for r in &c.offers {
        out.push(row!(
            Kind::Offers,
            &r.id,
            r,
            [
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
            ],
            derived [
                ("commit_1y_derived", b(r.commit_1y_derived)),
                ("commit_3y_derived", b(r.commit_3y_derived)),
            ]
        ));
    }
    for p in &c.providers {
        out.push(row!(
            Kind::Providers,
            &p.id,
            p,
            [
                ("id", t(&p.id)),
                ("name", t(&p.name)),
                ("commit_1y_discount", n(p.commit_1y_discount)),
                ("commit_3y_discount", n(p.commit_3y_discount)),
                ("storage_usd_per_tb_month", n(p.storage_usd_per_tb_month)),
                ("egress_usd_per_tb", n(p.egress_usd_per_tb)),
            ]
        ));
    }
    for s in &c.sites {
        out.push(row!(
            Kind::Sites,
            &s.id,
            s,
            [
                ("id", t(&s.id)),
                ("name", t(&s.name)),
                ("country", t(&s.country)),
                ("currency", t(&s.currency)),
                ("electricity_per_kwh", n(s.electricity_per_kwh)),
                ("pue", n(s.pue)),
                ("colocation_per_kw_month", n(s.colocation_per_kw_month)),
                ("grid_co2_g_per_kwh", n(s.grid_co2_g_per_kwh)),
            ]
        ));
    }
    for p in &c.policies {
        let rates = p.annual_rates.as_ref().map(|r| {
            r.iter()
                .map(|v| format!("{v}"))
                .collect::<Vec<_>>()
                .join(" ")
        });
        out.push(row!(
            Kind::Depreciation,
            &p.id,
            p,
            [
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
            ]
        ));
    }
    for f in &c.fx {
        out.push(row!(
            Kind::Fx,
            &f.currency,
            f,
            [("currency", t(&f.currency)), ("per_usd", n(f.per_usd)),]
        ));
    }
    for a in &c.automation {
        out.push(row!(
            Kind::Automation,
            &a.id,
            a,
            [
                ("id", t(&a.id)),
                ("name", t(&a.name)),
                ("fte_per_100_gpus", n(a.fte_per_100_gpus)),
                ("fixed_fte", n(a.fixed_fte)),
                ("platform_fte", n(a.platform_fte)),
                ("software_per_gpu_year_usd", n(a.software_per_gpu_year_usd)),
            ]
        ));
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

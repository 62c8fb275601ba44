//! GPU generations in a scenario (README G1–G5): the `[generations]` trend, an owned option's
//! `refresh` table, a cloud option's `cloud_generations`, and the catalog rows the refreshes
//! buy.

use super::{Ctx, Seg, throughput};
use crate::catalog::{Accelerator, Figure, RowValue, Server};
use crate::error::InputError;
use crate::model::Input;
use crate::model::generations::{self, Hardware, Keep, Refresh, RefreshTo, Trend, purchases};
use crate::scenario::{OptionSpec, ScenarioFile};
use std::sync::Arc;

/// The scenario's trend of generations (G2, G4): `[generations]` over the defaults.
pub(super) fn trend(ctx: &Ctx, file: &ScenarioFile) -> Trend {
    let d = Trend::default();
    let Some(g) = &file.generations else {
        return d;
    };
    let p = |f: &'static str| [Seg::Key("generations"), Seg::Key(f)];
    let months = |f: &'static str, v: Option<i64>, default: u32, min: u32| {
        v.map_or(default, |v| {
            ctx.whole_in(&p(f), v, min, 240, &format!("{min} to 240 months"))
        })
    };
    Trend {
        price_performance_growth_per_year: ctx.value_in(
            &p("price_performance_growth_per_year"),
            g.price_performance_growth_per_year
                .unwrap_or(d.price_performance_growth_per_year),
            -0.5,
            2.0,
            "a yearly growth from -0.5 to 2",
        ),
        energy_efficiency_growth_per_year: ctx.value_in(
            &p("energy_efficiency_growth_per_year"),
            g.energy_efficiency_growth_per_year
                .unwrap_or(d.energy_efficiency_growth_per_year),
            -0.5,
            2.0,
            "a yearly growth from -0.5 to 2",
        ),
        interval_months: months("interval_months", g.interval_months, d.interval_months, 1),
        new_generation_lag_months: months(
            "new_generation_lag_months",
            g.new_generation_lag_months,
            d.new_generation_lag_months,
            0,
        ),
        new_generation_premium: ctx.value_in(
            &p("new_generation_premium"),
            g.new_generation_premium.unwrap_or(d.new_generation_premium),
            0.0,
            10.0,
            "a fraction of the price from 0 to 10",
        ),
        premium_decay_per_year: ctx.value_in(
            &p("premium_decay_per_year"),
            g.premium_decay_per_year.unwrap_or(d.premium_decay_per_year),
            0.0,
            1.0,
            "a fraction from 0 to 1",
        ),
    }
}

/// Months from the scenario's start to the release of accelerator `a`; a release given as a
/// year only counts from its January (G1).
pub(super) fn release_month(ctx: &Ctx, a: &Accelerator, path: &[Seg]) -> Result<i64, InputError> {
    let start = ctx.start.map_or(0, |s| s.ordinal());
    match crate::timeline::parse_date(&a.release) {
        Some((month, _)) => Ok(month.ordinal() - start),
        None => Err(ctx
            .err(
                path,
                format!("accelerator `{}` has no release date in the catalog", a.id),
            )
            .expected("`release` as YYYY or YYYY-MM")
            .found(format!("`{}`", a.release))),
    }
}

/// What owned option `n` needs to know of its server to refresh (G1).
pub(super) struct FirstServer<'a> {
    pub server: &'a Server,
    pub accelerator: &'a Accelerator,
    pub basis: &'a str,
    pub ref_throughput: f64,
    pub currency: &'a str,
    /// The option's own `support_pct_per_year`, which every purchase then takes.
    pub support_pct_per_year: Option<f64>,
}

/// The months between purchases that `refresh_years` or `refresh.every_years` give, and the
/// path of the key that gave them.
pub(super) fn refresh_months(
    ctx: &Ctx,
    n: usize,
    o: &OptionSpec,
) -> Result<(Option<u32>, Vec<Seg>), InputError> {
    let option = |f: &'static str| vec![Seg::Key("option"), Seg::Index(n), Seg::Key(f)];
    let every = || {
        vec![
            Seg::Key("option"),
            Seg::Index(n),
            Seg::Key("refresh"),
            Seg::Key("every_years"),
        ]
    };
    let months = |path: &[Seg], y: f64| {
        let y = ctx.value_in(path, y, 1.0 / 12.0, 50.0, "1/12 to 50 years");
        Some((y * 12.0).round().max(1.0) as u32)
    };
    match (o.refresh_years, &o.refresh) {
        (Some(_), Some(_)) => Err(ctx
            .err(&option("refresh"), "both `refresh_years` and `refresh`")
            .expected("one of them: `refresh = { every_years = N, to = \"best\" }` says both")
            .found("both")),
        (Some(y), None) => Ok((months(&option("refresh_years"), y), option("refresh_years"))),
        (None, Some(r)) => match r.every_years {
            Some(y) => Ok((months(&every(), y), every())),
            None => Ok((None, every())),
        },
        (None, None) => Ok((None, option("refresh_years"))),
    }
}

/// The refreshes of owned option `n` to other hardware than its first purchase (G1); `None`
/// for `to = "same"` or no `refresh` table. `cycle` is the months between purchases.
pub(super) fn refresh(
    ctx: &mut Ctx,
    n: usize,
    o: &OptionSpec,
    first: &FirstServer,
    cycle: Option<u32>,
) -> Result<Option<Arc<Refresh>>, InputError> {
    let Some(spec) = &o.refresh else {
        return Ok(None);
    };
    let p = |f: &'static str| {
        [
            Seg::Key("option"),
            Seg::Index(n),
            Seg::Key("refresh"),
            Seg::Key(f),
        ]
    };
    if cycle.is_none() {
        return Err(ctx
            .err(&p("every_years"), "`refresh` without `every_years`")
            .expected("`every_years = N`, the years between purchases (a lease's term without it)")
            .found("no `every_years`"));
    }
    let keep = match spec.keep.as_deref() {
        None | Some("capacity") => Keep::Capacity,
        Some("servers") => Keep::Servers,
        Some(other) => {
            return Err(ctx
                .err(&p("keep"), format!("unknown `keep` rule `{other}`"))
                .expected("`capacity` (the first purchase's throughput) or `servers` (its number of servers)")
                .found(format!("`{other}`"))
                .did_you_mean(other, ["capacity", "servers"]));
        }
    };
    let to = match spec.to.as_deref() {
        None | Some("same") => return Ok(None),
        Some("best") => RefreshTo::Best,
        Some(id) => {
            let Some(server) = ctx.catalog.server(id).cloned() else {
                let mut known: Vec<&str> = vec!["same", "best"];
                known.extend(ctx.catalog.servers.iter().map(|s| s.id.as_str()));
                return Err(ctx.unknown(&p("to"), "server (or `same`, `best`)", id, known));
            };
            let Some(hw) = hardware(ctx, &server, first)? else {
                return Err(ctx
                    .err(
                        &p("to"),
                        format!("server `{id}` has no throughput on this scenario's basis"),
                    )
                    .expected(format!(
                        "a server whose accelerator has a `{}` figure",
                        first.basis
                    ))
                    .found(format!("`{id}`")));
            };
            // The first refresh within the horizon buys it: it must be on sale by then.
            if let Some(c) = cycle
                && (c as usize) < ctx.horizon
                && i64::from(c) < hw.release_month
            {
                let released = ctx
                    .catalog
                    .accelerator(&server.accelerator)
                    .map(|a| a.release.clone())
                    .unwrap_or_default();
                let when = ctx
                    .start
                    .map(|s| format!("{} (month {})", s.plus(c), c + 1))
                    .unwrap_or_else(|| format!("month {}", c + 1));
                return Err(ctx
                    .err(&p("to"), format!("server `{id}` is not released by the first refresh"))
                    .expected(format!(
                        "a server whose accelerator is released by the first refresh, {when}"
                    ))
                    .found(format!(
                        "`{id}`, whose accelerator `{}` is released {released}",
                        server.accelerator
                    ))
                    .hint("refresh later (`every_years`), or `to = \"best\"`, which buys only what is released"));
            }
            RefreshTo::Server(hw)
        }
    };
    // `best` chooses among the servers of the same vendor with as many GPUs per server.
    let mut candidates = Vec::new();
    if to == RefreshTo::Best {
        let rows: Vec<Server> = ctx
            .catalog
            .servers
            .iter()
            .filter(|s| s.accelerator_count == first.server.accelerator_count)
            .filter(|s| {
                ctx.catalog
                    .accelerator(&s.accelerator)
                    .is_some_and(|a| a.vendor == first.accelerator.vendor)
            })
            .cloned()
            .collect();
        for s in &rows {
            if let Some(hw) = hardware(ctx, s, first)? {
                candidates.push(hw);
            }
        }
    }
    if let Some(b) = generations::frontier(&candidates) {
        let released = ctx
            .catalog
            .server(&b.id)
            .and_then(|s| ctx.catalog.accelerator(&s.accelerator))
            .map(|a| a.release.clone())
            .unwrap_or_default();
        check_projection(
            ctx,
            &p("to"),
            "`to = \"best\"` projects",
            &b.id,
            &released,
            b.release_month,
        )?;
    }
    Ok(Some(Arc::new(Refresh {
        to,
        keep,
        candidates,
    })))
}

/// Refuses a projection of the trend (G2) from hardware released in month `release` (from the
/// start) that would reach more than [`generations::MAX_PROJECTION_MONTHS`] past it by the
/// horizon's last month: `what` and `id` name the projection and its row in the message.
fn check_projection(
    ctx: &Ctx,
    path: &[Seg],
    what: &str,
    id: &str,
    released: &str,
    release: i64,
) -> Result<(), InputError> {
    let last = ctx.horizon as i64 - 1;
    if last - release <= generations::MAX_PROJECTION_MONTHS {
        return Ok(());
    }
    let end = ctx
        .start
        .map(|s| s.plus(u32::try_from(last).unwrap_or(0)).to_string())
        .unwrap_or_else(|| format!("month {}", last + 1));
    Err(ctx
        .err(path, format!("{what} `{id}` too far ahead"))
        .expected(format!(
            "hardware trends projected at most {} years past the release of the row they start from (G2)",
            generations::MAX_PROJECTION_MONTHS / 12
        ))
        .found(format!(
            "`{id}`, released {released}, projected to {end}: {:.1} years",
            (last - release) as f64 / 12.0
        ))
        .hint("an earlier `start` or a shorter horizon, or a catalog row released nearer the horizon"))
}

/// A catalog server as a refresh would install it; `None` when its accelerator has no figure
/// on the scenario's throughput basis.
fn hardware(
    ctx: &mut Ctx,
    s: &Server,
    first: &FirstServer,
) -> Result<Option<Hardware>, InputError> {
    let Some(a) = ctx.catalog.accelerator(&s.accelerator).cloned() else {
        return Ok(None);
    };
    let Ok(t) = throughput(ctx, first.basis, &a, &[]) else {
        return Ok(None);
    };
    let path = [Seg::Key("server")];
    Ok(Some(Hardware {
        id: s.id.clone(),
        generation: 0,
        release_month: release_month(ctx, &a, &path)?,
        gpus_per_server: s.accelerator_count,
        rel_throughput: t / first.ref_throughput,
        server_price: ctx.convert(&path, s.price_usd, "USD", first.currency)?,
        max_power_kw: s.max_power_kw,
        idle_fraction: s.idle_fraction,
        warranty_months: s.warranty_years * 12.0,
        support_pct_per_year: first.support_pct_per_year.unwrap_or(s.support_pct_per_year),
        mig: super::sharing::mig_profiles(&a),
    }))
}

/// A cloud option's `cloud_generations` (G4): the release month of its offer's accelerator
/// when it rides its cloud's generations.
pub(super) fn ride(
    ctx: &Ctx,
    n: usize,
    o: &OptionSpec,
    accelerator: &Accelerator,
) -> Result<Option<i64>, InputError> {
    let p = [
        Seg::Key("option"),
        Seg::Index(n),
        Seg::Key("cloud_generations"),
    ];
    match o.cloud_generations.as_deref() {
        None | Some("fixed") => Ok(None),
        Some("ride") => {
            let release = release_month(ctx, accelerator, &p)?;
            check_projection(
                ctx,
                &p,
                "riding the cloud's generations projects",
                &accelerator.id,
                &accelerator.release,
                release,
            )?;
            Ok(Some(release))
        }
        Some(other) => Err(ctx
            .err(&p, format!("unknown `cloud_generations` rule `{other}`"))
            .expected("`fixed` (the offer all along) or `ride` (each newer generation once it is cheaper per unit of work)")
            .found(format!("`{other}`"))
            .did_you_mean(other, ["fixed", "ride"])),
    }
}

/// Refreshes to other hardware with trace workloads, which replay their jobs on one cluster
/// over the horizon: an error naming the first such option.
pub(super) fn check_traces(ctx: &Ctx, file: &ScenarioFile) -> Option<InputError> {
    file.workloads.iter().find(|w| w.trace.is_some())?;
    let n = file.options.iter().position(|o| {
        o.refresh
            .as_ref()
            .is_some_and(|r| r.to.as_deref().is_some_and(|t| t != "same"))
    })?;
    let path = [
        Seg::Key("option"),
        Seg::Index(n),
        Seg::Key("refresh"),
        Seg::Key("to"),
    ];
    Some(
        ctx.err(&path, "a refresh to other hardware with trace workloads")
            .expected("`to = \"same\"`: trace jobs are replayed on one cluster over the horizon")
            .found(format!(
                "`to = \"{}\"`",
                file.options[n]
                    .refresh
                    .as_ref()
                    .and_then(|r| r.to.as_deref())
                    .unwrap_or("")
            )),
    )
}

/// Records the catalog rows the refreshes of `input` buy with the scenario's refresh
/// intervals, with the figures the run takes from them (a projected generation's from the row
/// it is projected from, G2).
pub(super) fn use_purchased_rows(ctx: &mut Ctx, input: &Input) {
    for option in &input.options {
        let Some(o) = option.owned.as_ref().filter(|o| o.refresh.is_some()) else {
            continue;
        };
        for p in purchases(o, &input.generations, input.horizon_months)
            .iter()
            .skip(1)
        {
            let Some(s) = ctx.catalog.server(&p.hardware.id).cloned() else {
                continue;
            };
            let note = (p.hardware.generation > 0).then(|| {
                format!(
                    "generation {} projected beyond it bought in month {} (README G2)",
                    p.hardware.generation,
                    p.start + 1
                )
            });
            ctx.use_row(
                "servers",
                &s.id,
                (&s.source, &s.as_of, s.estimate),
                note,
                &s.origin,
            );
            ctx.add_values(
                "servers",
                &s.id,
                &s.origin,
                vec![
                    RowValue::catalog("price_usd", s.price_usd, "USD"),
                    RowValue::catalog("max_power_kw", s.max_power_kw, "kW"),
                    RowValue::catalog("idle_fraction", s.idle_fraction, "fraction of max power"),
                    RowValue::catalog("accelerator_count", f64::from(s.accelerator_count), "GPUs"),
                    RowValue::catalog("warranty_years", s.warranty_years, "years"),
                ],
            );
            if let Some(a) = ctx.catalog.accelerator(&s.accelerator).cloned() {
                ctx.use_row(
                    "accelerators",
                    &a.id,
                    (&a.source, &a.as_of, a.estimate || a.price_estimate),
                    None,
                    &a.origin,
                );
                ctx.add_values(
                    "accelerators",
                    &a.id,
                    &a.origin,
                    vec![RowValue {
                        value: Figure::Text(a.release.clone()),
                        ..RowValue::catalog("release", 0.0, "")
                    }],
                );
            }
        }
    }
}

//! Range and reference checks over the layered catalog, run once after loading.

use super::Catalog;
use crate::error::{InputError, Seg, key_path, locate_toml};
use crate::timeline::parse_date;

/// Where a row lives, to point errors at it.
enum At<'a> {
    Toml {
        file: &'a str,
        table: &'static str,
        index: usize,
    },
    Csv {
        file: &'a str,
        line: usize,
    },
}

impl At<'_> {
    fn error(&self, catalog: &Catalog, field: &'static str, problem: String) -> InputError {
        match self {
            At::Toml { file, table, index } => {
                let path = [Seg::Key(table), Seg::Index(*index), Seg::Key(field)];
                let mut err = InputError::new(*file, problem).at_key(key_path(&path));
                if let Some((line, col)) = catalog.text_of(file).and_then(|t| locate_toml(t, &path))
                {
                    err = err.at_position(line, col);
                }
                err
            }
            At::Csv { file, line } => InputError::new(*file, problem)
                .at_position(*line, 1)
                .at_key(format!("line {line}, column {field}")),
        }
    }

    /// `value` must lie in `[min, max]` and be finite; `what` describes the values accepted
    /// with `{min}` and `{max}` in place of the bounds, so that the message states them.
    fn range(
        &self,
        c: &Catalog,
        field: &'static str,
        value: f64,
        min: f64,
        max: f64,
        what: &str,
    ) -> Result<(), InputError> {
        if within(value, min, max) {
            return Ok(());
        }
        Err(self
            .error(c, field, format!("`{field}` is out of range"))
            .expected(accepted(what, min, max))
            .found(crate::error::written(value)))
    }

    /// A price that may be 0 (free, or not offered): else from [`MIN_PRICE`] to [`MONEY`], so
    /// that no figure divides by next to nothing. `unit` follows "USD" in the message.
    fn price(
        &self,
        c: &Catalog,
        field: &'static str,
        value: f64,
        unit: &str,
    ) -> Result<(), InputError> {
        if value == 0.0 {
            return Ok(());
        }
        self.range(
            c,
            field,
            value,
            MIN_PRICE,
            MONEY,
            &format!("0, or a price of {{min}} to {{max}} USD{unit}"),
        )
    }

    fn text(&self, c: &Catalog, field: &'static str, value: &str) -> Result<(), InputError> {
        if value.trim().is_empty() {
            return Err(self
                .error(c, field, format!("`{field}` is empty"))
                .expected("a non-empty text")
                .found("\"\""));
        }
        Ok(())
    }

    fn date(&self, c: &Catalog, field: &'static str, value: &str) -> Result<(), InputError> {
        if parse_date(value).is_none() {
            return Err(self
                .error(c, field, format!("`{field}` is not a date"))
                .expected(
                    "`YYYY-MM-DD`, `YYYY-MM` or `YYYY`: a day of the calendar from 1900 to 2200",
                )
                .found(format!("`{value}`")));
        }
        Ok(())
    }

    /// Multi-Instance GPU figures: both or neither; slices 1 to 64; profiles ascending by
    /// slices, each of 1 to `slices` slices with at least one instance and no more instances
    /// than fit (slices × instances ≤ `slices`).
    fn mig(
        &self,
        c: &Catalog,
        slices: Option<u32>,
        profiles: Option<&[[u32; 2]]>,
    ) -> Result<(), InputError> {
        let (slices, profiles) = match (slices, profiles) {
            (None, None) => return Ok(()),
            (Some(s), Some(p)) => (s, p),
            (Some(_), None) | (None, Some(_)) => {
                let missing = if slices.is_none() {
                    "mig_slices"
                } else {
                    "mig_profiles"
                };
                return Err(self
                    .error(c, missing, format!("`{missing}` is missing"))
                    .expected("both `mig_slices` and `mig_profiles`, or neither")
                    .found("one of them"));
            }
        };
        if !(1..=64).contains(&slices) {
            return Err(self
                .error(c, "mig_slices", "`mig_slices` is out of range".into())
                .expected("1 to 64 slices")
                .found(slices.to_string()));
        }
        let bad = |problem: &str, p: &[u32; 2]| {
            self.error(c, "mig_profiles", format!("`mig_profiles` {problem}"))
                .expected(format!(
                    "[slices, instances] pairs ascending by slices, slices 1 to {slices}, slices × instances at most {slices}"
                ))
                .found(format!("[{}, {}]", p[0], p[1]))
        };
        if profiles.is_empty() {
            return Err(self
                .error(c, "mig_profiles", "`mig_profiles` is empty".into())
                .expected("at least one [slices, instances] pair")
                .found("[]"));
        }
        let mut last = 0;
        for p in profiles {
            let [s, i] = *p;
            if s == 0 || s > slices || i == 0 || u64::from(s) * u64::from(i) > u64::from(slices) {
                return Err(bad("has a profile that does not fit", p));
            }
            if s <= last {
                return Err(bad("is not ascending by slices", p));
            }
            last = s;
        }
        Ok(())
    }

    fn sourced(&self, c: &Catalog, source: &str, as_of: &str) -> Result<(), InputError> {
        self.text(c, "source", source)?;
        self.date(c, "as_of", as_of)
    }
}

/// Largest amount of money of any catalog price [USD, per its unit].
pub(super) const MONEY: f64 = 1e12;
/// Smallest on-demand price of a cloud offer [USD per instance-hour]: a price is above 0.
pub(super) const MIN_ON_DEMAND: f64 = 1e-6;
/// Smallest price other than 0 of anything else [USD, per its unit].
pub(super) const MIN_PRICE: f64 = 1e-6;
/// Most accelerators in one server or cloud instance.
pub(super) const MAX_ACCELERATORS: u32 = 10_000;

/// Whether `value` is finite and within `[min, max]`.
pub(super) fn within(value: f64, min: f64, max: f64) -> bool {
    value.is_finite() && value >= min && value <= max
}

/// `what` with its `{min}` and `{max}` replaced by the bounds as a message shows them.
pub(super) fn accepted(what: &str, min: f64, max: f64) -> String {
    debug_assert!(
        what.contains("{min}") && what.contains("{max}"),
        "`{what}` states no range"
    );
    what.replace("{min}", &bound(min))
        .replace("{max}", &bound(max))
}

/// A bound as a message shows it: whole numbers grouped by thousands (`1,000,000`), others
/// as written (`0.000001`, `0.99`).
fn bound(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e16 {
        crate::report::quantity(v)
    } else {
        v.to_string()
    }
}

/// Every row's first problem, in the order of the tables and rows (a row's checks stop at its
/// first problem, as the ones after it may depend on it).
pub(super) fn validate_all(c: &Catalog) -> Vec<InputError> {
    let mut errors = Vec::new();
    for a in &c.accelerators {
        let row = || -> Result<(), InputError> {
            let at = At::Toml {
                file: &a.origin,
                table: "accelerator",
                index: a.index,
            };
            at.text(c, "id", &a.id)?;
            at.range(
                c,
                "memory_gb",
                a.memory_gb,
                0.1,
                1e5,
                "a memory size of {min} to {max} GB",
            )?;
            at.range(
                c,
                "memory_bandwidth_tb_s",
                a.memory_bandwidth_tb_s,
                1e-3,
                1e3,
                "a bandwidth of {min} to {max} TB/s",
            )?;
            at.range(
                c,
                "bf16_dense_tflops",
                a.bf16_dense_tflops,
                1e-3,
                1e6,
                "{min} to {max} dense TFLOPS",
            )?;
            if let Some(fp8) = a.fp8_dense_tflops {
                at.range(
                    c,
                    "fp8_dense_tflops",
                    fp8,
                    1e-3,
                    1e6,
                    "{min} to {max} dense TFLOPS",
                )?;
            }
            at.range(c, "tdp_w", a.tdp_w, 1.0, 1e5, "a power of {min} to {max} W")?;
            at.mig(c, a.mig_slices, a.mig_profiles.as_deref())?;
            at.price(c, "street_price_usd", a.street_price_usd, "")?;
            at.date(c, "release", &a.release)?;
            at.sourced(c, &a.source, &a.as_of)?;
            Ok(())
        };
        if let Err(e) = row() {
            errors.push(e);
        }
    }
    for s in &c.servers {
        let row = || -> Result<(), InputError> {
            let at = At::Toml {
                file: &s.origin,
                table: "server",
                index: s.index,
            };
            at.text(c, "id", &s.id)?;
            if c.accelerator(&s.accelerator).is_none() {
                let mut err = crate::error::InputError::unknown_id(
                    &s.origin,
                    key_path(&[
                        Seg::Key("server"),
                        Seg::Index(s.index),
                        Seg::Key("accelerator"),
                    ]),
                    "accelerator",
                    &s.accelerator,
                    c.accelerators.iter().map(|a| a.id.as_str()),
                );
                let path = [
                    Seg::Key("server"),
                    Seg::Index(s.index),
                    Seg::Key("accelerator"),
                ];
                if let Some((l, col)) = c.text_of(&s.origin).and_then(|t| locate_toml(t, &path)) {
                    err = err.at_position(l, col);
                }
                return Err(err);
            }
            at.range(
                c,
                "accelerator_count",
                f64::from(s.accelerator_count),
                1.0,
                f64::from(MAX_ACCELERATORS),
                "{min} to {max} accelerators",
            )?;
            at.range(
                c,
                "max_power_kw",
                s.max_power_kw,
                1e-3,
                1e4,
                "a power of {min} to {max} kW",
            )?;
            at.range(
                c,
                "idle_fraction",
                s.idle_fraction,
                0.0,
                1.0,
                "a fraction between {min} and {max}",
            )?;
            at.price(c, "price_usd", s.price_usd, "")?;
            at.range(
                c,
                "warranty_years",
                s.warranty_years,
                0.0,
                50.0,
                "{min} to {max} years",
            )?;
            at.range(
                c,
                "support_pct_per_year",
                s.support_pct_per_year,
                0.0,
                100.0,
                "a percentage between {min} and {max}",
            )?;
            at.sourced(c, &s.source, &s.as_of)?;
            Ok(())
        };
        if let Err(e) = row() {
            errors.push(e);
        }
    }
    for p in &c.providers {
        let row = || -> Result<(), InputError> {
            let at = At::Toml {
                file: &p.origin,
                table: "provider",
                index: p.index,
            };
            at.text(c, "id", &p.id)?;
            at.range(
                c,
                "commit_1y_discount",
                p.commit_1y_discount,
                0.0,
                0.99,
                "a fraction between {min} and {max}",
            )?;
            at.range(
                c,
                "commit_3y_discount",
                p.commit_3y_discount,
                0.0,
                0.99,
                "a fraction between {min} and {max}",
            )?;
            at.range(
                c,
                "storage_usd_per_tb_month",
                p.storage_usd_per_tb_month,
                0.0,
                MONEY,
                "a price of {min} to {max} USD per TB-month",
            )?;
            at.range(
                c,
                "egress_usd_per_tb",
                p.egress_usd_per_tb,
                0.0,
                MONEY,
                "a price of {min} to {max} USD per TB",
            )?;
            at.sourced(c, &p.source, &p.as_of)?;
            Ok(())
        };
        if let Err(e) = row() {
            errors.push(e);
        }
    }
    for o in &c.offers {
        let row = || -> Result<(), InputError> {
            let at = At::Csv {
                file: &o.origin,
                line: o.line,
            };
            at.text(c, "id", &o.id)?;
            if c.provider(&o.provider).is_none() {
                return Err(InputError::unknown_id(
                    &o.origin,
                    format!("line {}, column provider", o.line),
                    "cloud provider",
                    &o.provider,
                    c.providers.iter().map(|p| p.id.as_str()),
                )
                .at_position(o.line, 1));
            }
            if c.accelerator(&o.accelerator).is_none() {
                return Err(InputError::unknown_id(
                    &o.origin,
                    format!("line {}, column accelerator", o.line),
                    "accelerator",
                    &o.accelerator,
                    c.accelerators.iter().map(|a| a.id.as_str()),
                )
                .at_position(o.line, 1));
            }
            at.range(
                c,
                "accelerator_count",
                f64::from(o.accelerator_count),
                1.0,
                f64::from(MAX_ACCELERATORS),
                "{min} to {max} accelerators",
            )?;
            at.range(
                c,
                "on_demand_usd_per_hour",
                o.on_demand_usd_per_hour,
                MIN_ON_DEMAND,
                MONEY,
                "a price of {min} to {max} USD per hour",
            )?;
            // A commitment price derived from the on-demand one and the provider's discount
            // (not written in the row) follows the on-demand price's range.
            for (field, value, derived) in [
                ("spot_usd_per_hour", o.spot_usd_per_hour, false),
                (
                    "commit_1y_usd_per_hour",
                    o.commit_1y_usd_per_hour,
                    o.commit_1y_derived,
                ),
                (
                    "commit_3y_usd_per_hour",
                    o.commit_3y_usd_per_hour,
                    o.commit_3y_derived,
                ),
            ] {
                if let Some(v) = value.filter(|_| !derived) {
                    at.price(c, field, v, " per hour")?;
                }
            }
            at.sourced(c, &o.source, &o.as_of)?;
            Ok(())
        };
        if let Err(e) = row() {
            errors.push(e);
        }
    }
    for s in &c.sites {
        let row = || -> Result<(), InputError> {
            let at = At::Toml {
                file: &s.origin,
                table: "site",
                index: s.index,
            };
            at.text(c, "id", &s.id)?;
            if c.fx_rate(&s.currency).is_none() {
                return Err(at
                    .error(c, "currency", format!("unknown currency `{}`", s.currency))
                    .expected(format!(
                        "a currency of fx.toml: {}",
                        c.fx.iter()
                            .map(|f| f.currency.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                    .found(format!("`{}`", s.currency)));
            }
            at.range(
                c,
                "electricity_per_kwh",
                s.electricity_per_kwh,
                0.0,
                100.0,
                "a price of {min} to {max} per kWh (in the site's currency)",
            )?;
            at.range(c, "pue", s.pue, 1.0, 5.0, "a PUE between {min} and {max}")?;
            at.range(
                c,
                "colocation_per_kw_month",
                s.colocation_per_kw_month,
                0.0,
                1e6,
                "a price of {min} to {max} per kW-month (in the site's currency)",
            )?;
            at.range(
                c,
                "grid_co2_g_per_kwh",
                s.grid_co2_g_per_kwh,
                0.0,
                5000.0,
                "{min} to {max} gCO2/kWh",
            )?;
            at.sourced(c, &s.source, &s.as_of)?;
            Ok(())
        };
        if let Err(e) = row() {
            errors.push(e);
        }
    }
    for p in &c.policies {
        let row = || -> Result<(), InputError> {
            let at = At::Toml {
                file: &p.origin,
                table: "policy",
                index: p.index,
            };
            at.text(c, "id", &p.id)?;
            match p.method.as_str() {
                "straight-line" | "declining-balance" => {
                    let Some(life) = p.life_years else {
                        return Err(at
                            .error(
                                c,
                                "life_years",
                                format!("a `{}` policy needs `life_years`", p.method),
                            )
                            .expected("a whole number of years, 1 to 50")
                            .found("nothing"));
                    };
                    at.range(
                        c,
                        "life_years",
                        f64::from(life),
                        1.0,
                        50.0,
                        "a whole number of years, {min} to {max}",
                    )?;
                    at.range(
                        c,
                        "salvage_fraction",
                        p.salvage_fraction.unwrap_or(0.0),
                        0.0,
                        0.99,
                        "a fraction between {min} and {max}",
                    )?;
                    if let Some(f) = p.factor {
                        at.range(
                            c,
                            "factor",
                            f,
                            1.0,
                            4.0,
                            "a declining-balance factor between {min} and {max}",
                        )?;
                    }
                }
                "table" => {
                    let Some(rates) = &p.annual_rates else {
                        return Err(at
                            .error(
                                c,
                                "annual_rates",
                                "a `table` policy needs `annual_rates`".to_string(),
                            )
                            .expected("a list of yearly fractions summing to 1")
                            .found("nothing"));
                    };
                    let sum: f64 = rates.iter().sum();
                    if rates.is_empty()
                        || rates.iter().any(|r| !r.is_finite() || *r < 0.0)
                        || (sum - 1.0).abs() > 1e-6
                    {
                        return Err(at
                            .error(
                                c,
                                "annual_rates",
                                "`annual_rates` do not form a schedule".to_string(),
                            )
                            .expected("non-negative yearly fractions summing to 1")
                            .found(if rates.is_empty() {
                                "an empty list `[]`".to_string()
                            } else {
                                let listed: Vec<String> =
                                    rates.iter().map(|r| crate::error::written(*r)).collect();
                                format!(
                                    "[{}] (sum {})",
                                    listed.join(", "),
                                    crate::error::number(sum)
                                )
                            }));
                    }
                }
                other => {
                    return Err(at
                        .error(
                            c,
                            "method",
                            format!("unknown depreciation method `{other}`"),
                        )
                        .expected("`straight-line`, `declining-balance` or `table`")
                        .found(format!("`{other}`")));
                }
            }
            at.sourced(c, &p.source, &p.as_of)?;
            Ok(())
        };
        if let Err(e) = row() {
            errors.push(e);
        }
    }
    for f in &c.fx {
        let row = || -> Result<(), InputError> {
            let at = At::Toml {
                file: &f.origin,
                table: "rate",
                index: f.index,
            };
            at.range(
                c,
                "per_usd",
                f.per_usd,
                1e-6,
                1e6,
                "an exchange rate of {min} to {max} units per USD",
            )?;
            // Every price is in US dollars: their rate defines the unit of the others.
            if f.currency == "USD" && f.per_usd != 1.0 {
                return Err(at
                    .error(c, "per_usd", "the rate of `USD` is not 1".to_string())
                    .expected("per_usd = 1 (catalog prices are in US dollars)")
                    .found(crate::error::written(f.per_usd)));
            }
            at.sourced(c, &f.source, &f.as_of)?;
            Ok(())
        };
        if let Err(e) = row() {
            errors.push(e);
        }
    }
    for a in &c.automation {
        let row = || -> Result<(), InputError> {
            let at = At::Toml {
                file: &a.origin,
                table: "automation",
                index: a.index,
            };
            at.range(
                c,
                "fte_per_100_gpus",
                a.fte_per_100_gpus,
                0.0,
                100.0,
                "{min} to {max} FTE per 100 GPUs",
            )?;
            at.range(c, "fixed_fte", a.fixed_fte, 0.0, 1e4, "{min} to {max} FTE")?;
            at.range(
                c,
                "platform_fte",
                a.platform_fte,
                0.0,
                1e4,
                "{min} to {max} FTE",
            )?;
            at.range(
                c,
                "software_per_gpu_year_usd",
                a.software_per_gpu_year_usd,
                0.0,
                1e6,
                "{min} to {max} USD per GPU-year",
            )?;
            at.sourced(c, &a.source, &a.as_of)?;
            Ok(())
        };
        if let Err(e) = row() {
            errors.push(e);
        }
    }
    if c.fx_rate("USD").is_none() {
        errors.push(
            InputError::new("fx.toml", "no rate for `USD`")
                .expected("a `[[rate]]` with currency = \"USD\" and per_usd = 1")
                .found("none"),
        );
    }
    errors
}

/// The first problem of the catalog, if any.
pub(super) fn validate(c: &Catalog) -> Result<(), InputError> {
    match validate_all(c).into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

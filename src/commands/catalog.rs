//! `tcosim catalog list|show|check|import`: parse, load the catalogs, call the library, write.

use crate::cli::{
    CatalogCheckArgs, CatalogCommand, CatalogListArgs, CatalogShowArgs, ImportCommand,
    ImportSkypilotArgs,
};
use crate::commands::shared::{catalog_inputs, check_outputs, emit, warn};
use crate::{Failure, output};
use std::path::{Path, PathBuf};
use tcosim::catalog::Catalog;
use tcosim::catalog::check::{self, Options};
use tcosim::catalog::fields::{self, layer_of};
use tcosim::catalog::listing;
use tcosim::error::InputError;
use tcosim::report::catalog::{self as render, Shown};
use tcosim::timeline::{YearMonth, parse_date};

pub fn list(args: CatalogListArgs) -> Result<(), Failure> {
    let out = crate::output::file(args.out.output.as_deref());
    check_outputs(out, None, &catalog_inputs(&args.out.catalog))?;
    let catalog = Catalog::load(&args.out.catalog)?;
    let mut listing = listing::list(&catalog, args.kind);
    if let Some(expr) = &args.filter {
        listing.filter(expr)?;
    }
    if let Some(spec) = &args.sort {
        listing.sort(spec)?;
    }
    let text = render::listing(&listing, args.out.format, output::use_color(out));
    emit(out, &text, None)
}

pub fn show(args: CatalogShowArgs) -> Result<(), Failure> {
    let dirs = &args.out.catalog;
    let out = crate::output::file(args.out.output.as_deref());
    check_outputs(out, None, &catalog_inputs(dirs))?;
    let catalog = Catalog::load(dirs)?;
    let rows = fields::rows(&catalog);
    let found: Vec<_> = rows.iter().filter(|r| r.id == args.id).collect();
    if found.is_empty() {
        return Err(InputError::new(
            "catalog show",
            format!("unknown id `{}`", tcosim::limits::printable(&args.id)),
        )
        .expected("the id of a catalog row (`tcosim catalog list KIND` lists them)")
        .found(tcosim::limits::quoted(&args.id))
        .hint_nearest("the nearest ids are", &args.id, rows.iter().map(|r| r.id))
        .into());
    }
    // The files that held the id before: each layer's catalog, from the built-in one up.
    let mut earlier: Vec<Catalog> = Vec::new();
    for k in 0..dirs.len() {
        earlier.push(Catalog::load(&dirs[..k])?);
    }
    let shown: Vec<Shown> = found
        .into_iter()
        .map(|row| {
            let mut overrides: Vec<String> = Vec::new();
            for c in &earlier {
                if let Some(r) = fields::rows(c)
                    .into_iter()
                    .find(|r| r.kind == row.kind && r.id == row.id)
                    && r.origin != row.origin
                    && !overrides.iter().any(|o| o == r.origin)
                {
                    overrides.push(r.origin.to_string());
                }
            }
            Shown {
                row: row.clone(),
                layer: layer_of(row.origin),
                overrides,
            }
        })
        .collect();
    let text = render::show(&shown, args.out.format, output::use_color(out));
    emit(out, &text, None)
}

/// What `catalog check` found, for the exit code.
pub struct Checked {
    pub errors: usize,
}

pub fn check(args: CatalogCheckArgs, quiet: bool) -> Result<Checked, Failure> {
    let today = match &args.today {
        Some(text) => parse_day(text).ok_or_else(|| {
            InputError::new("--today", "not a date")
                .expected("`YYYY-MM-DD`: a day of the calendar from 1900 to 2200")
                .found(format!("`{text}`"))
        })?,
        None => today(),
    };
    let out = crate::output::file(args.output.as_deref());
    check_outputs(out, None, &catalog_inputs(&args.dirs))?;
    let catalog = Catalog::load(&args.dirs)?;
    let options = Options {
        today,
        max_age_months: args.max_age_months,
    };
    let dirs: Vec<PathBuf> = args.dirs.clone();
    let findings = check::check(&catalog, options, |origin| {
        if dirs.is_empty() {
            origin.starts_with(tcosim::catalog::BUILTIN_LABEL)
        } else {
            dirs.iter().any(|d| in_folder(origin, d))
        }
    });
    let (errors, warnings, notes) = check::counts(&findings);
    let text = render::findings(&findings, options, args.format, output::use_color(out));
    emit(out, &text, None)?;
    if !quiet {
        eprintln!("{errors} errors, {warnings} warnings, {notes} notes");
    }
    Ok(Checked { errors })
}

/// Whether the file `origin` (as the loader names it) lies directly in folder `dir`.
fn in_folder(origin: &str, dir: &Path) -> bool {
    let shown = tcosim::limits::printable(&dir.display().to_string());
    Path::new(origin).parent() == Some(Path::new(&shown))
}

/// A full date `YYYY-MM-DD`.
fn parse_day(text: &str) -> Option<(YearMonth, u32)> {
    (text.trim().split('-').count() == 3)
        .then(|| parse_date(text))
        .flatten()
}

/// Today's date (UTC) from the system clock: the only place the catalog commands read it.
fn today() -> (YearMonth, u32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_from_days((secs / 86_400) as i64)
}

/// The calendar date `days` days after 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (YearMonth, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (YearMonth { year, month }, day)
}

pub fn import_skypilot(args: ImportSkypilotArgs, quiet: bool) -> Result<(), Failure> {
    // The provider becomes the first part of every row id: an id's characters only.
    let p = &args.provider;
    let id_like = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_');
    if p.is_empty() || p.len() > 64 || !p.chars().all(id_like) {
        return Err(InputError::new("--provider", "not a provider id")
            .expected("1 to 64 characters: lowercase letters, digits, `-` and `_` (e.g. `aws`)")
            .found(format!("`{}`", tcosim::limits::printable(p)))
            .into());
    }
    // Rows of a provider the built-in catalog does not know validate only in a catalog folder
    // that defines it: said, with the nearest known ones, not refused.
    let builtin = Catalog::builtin()?;
    if !builtin.providers.iter().any(|known| &known.id == p) {
        let known = builtin.providers.iter().map(|known| known.id.as_str());
        let nearest = tcosim::error::nearest_ids(p, known.clone(), 3);
        let listed: Vec<String> = if nearest.is_empty() {
            known.map(|k| format!("`{k}`")).collect()
        } else {
            nearest.iter().map(|k| format!("`{k}`")).collect()
        };
        warn(
            quiet,
            &format!(
                "provider `{p}` is not in the built-in catalog ({} {}): its rows validate only in a \
                 catalog folder whose cloud-providers.toml defines it",
                if nearest.is_empty() {
                    "its providers are"
                } else {
                    "the nearest are"
                },
                listed.join(", ")
            ),
        );
    }
    let out = crate::output::file(args.output.as_deref());
    check_outputs(out, None, &[("the SkyPilot catalog", args.file.clone())])?;
    let shown = args.file.display().to_string();
    let text = tcosim::limits::read_text(
        &args.file,
        &shown,
        "SkyPilot catalog",
        tcosim::limits::MAX_CATALOG_BYTES,
    )?;
    let (as_of, dated) = match &args.as_of {
        Some(d) => {
            if parse_date(d).is_none() {
                return Err(InputError::new("--as-of", "not a date")
                    .expected("`YYYY-MM-DD`, `YYYY-MM` or `YYYY`: a day of the calendar from 1900 to 2200")
                    .found(format!("`{d}`"))
                    .into());
            }
            (d.clone(), true)
        }
        None => {
            let (month, day) = today();
            (format!("{month}-{day:02}"), false)
        }
    };
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| shown.clone());
    let imported = tcosim::catalog::skypilot::import(
        &shown,
        &text,
        &tcosim::catalog::skypilot::Settings {
            provider: &args.provider,
            file_name: &name,
            as_of: &as_of,
            dated,
        },
    )?;
    for s in imported.skipped.iter().chain(&imported.corrected) {
        warn(quiet, &format!("{shown}: {s}"));
    }
    emit(out, &render::offers_csv(&imported.offers), None)?;
    if !quiet {
        eprintln!(
            "{} offers from {shown} ({} rows left out; GPU count corrected for {} instance types)",
            imported.offers.len(),
            imported.skipped_rows,
            imported.corrected.len()
        );
    }
    Ok(())
}

/// Runs a `tcosim catalog` subcommand; a check that finds errors in the data fails with exit code 1.
pub fn catalog(command: CatalogCommand, quiet: bool) -> Result<(), Failure> {
    match command {
        CatalogCommand::List(args) => list(args),
        CatalogCommand::Show(args) => show(args),
        CatalogCommand::Check(args) => match check(args, quiet)?.errors {
            0 => Ok(()),
            n => Err(Failure::Findings(n)),
        },
        CatalogCommand::Import(ImportCommand::Skypilot(args)) => import_skypilot(args, quiet),
    }
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn days_since_1970_are_calendar_dates() {
        let d = |days| {
            let (m, d) = civil_from_days(days);
            format!("{m}-{d:02}")
        };
        assert_eq!(d(0), "1970-01-01");
        assert_eq!(d(19_782), "2024-02-29");
        assert_eq!(d(20_454), "2026-01-01");
    }
}

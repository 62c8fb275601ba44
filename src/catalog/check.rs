//! `tcosim catalog check`: data-quality findings over the layered catalog (README "Catalog
//! commands" lists every rule with its severity). The date rules take today's date as a
//! parameter, never from the clock, so that results are reproducible.

use super::fields::rows;
use super::listing::Kind;
use super::{Catalog, CloudOffer};
use crate::timeline::{YearMonth, parse_date};
use serde::Serialize;
use std::collections::HashMap;

/// How serious a finding is: errors fail the check (exit code 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One problem with one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Short name of the rule, e.g. `spot-not-below-on-demand`.
    pub rule: &'static str,
    pub kind: &'static str,
    pub id: String,
    pub message: String,
    /// The file the row was loaded from.
    pub file: String,
}

/// What the date rules compare against.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Today's date: month and day of month.
    pub today: (YearMonth, u32),
    /// A price older than this many whole months is stale.
    pub max_age_months: u32,
}

/// Default of `--max-age-months`: cloud prices move several times a year, hardware prices
/// within a generation's life.
pub const DEFAULT_MAX_AGE_MONTHS: u32 = 12;

/// A per-GPU price outside `[median / OUTLIER_FACTOR, median × OUTLIER_FACTOR]` of the
/// accelerator's offers is flagged.
pub const OUTLIER_FACTOR: f64 = 2.0;

/// Fewest offers of one accelerator for a median to compare against.
pub const OUTLIER_MIN_OFFERS: usize = 3;

/// Sources that name no source at all (compared trimmed and without regard to case).
const PLACEHOLDER_SOURCES: [&str; 14] = [
    "",
    "-",
    "--",
    "?",
    "n/a",
    "na",
    "none",
    "null",
    "tbd",
    "todo",
    "unknown",
    "source",
    "xxx",
    "placeholder",
];

/// Whole months from `from` to `to` (a month counts once its day of month is reached).
fn months_between(from: (YearMonth, u32), to: (YearMonth, u32)) -> i64 {
    let months = to.0.ordinal() - from.0.ordinal();
    if to.1 < from.1 { months - 1 } else { months }
}

/// The number of accelerators an instance type's name states: a token `8x` (`gpu_8x_h100`,
/// `hgx-h100-8x`, `n1-standard-8 + 1x V100`), at the end `8g` (Google's `a3-highgpu-8g`), or
/// Azure's 8-GPU ND sizes, whose names state their vCPUs instead (`Standard_ND96…`: ND A100 v4,
/// ND H100 v5, ND H200 v5, ND MI300X v5; `Standard_ND40rs_v2`: eight V100).
pub fn stated_gpu_count(instance_type: &str) -> Option<u32> {
    let tokens: Vec<&str> = instance_type
        .split(['-', '_', ' ', '.', '+'])
        .filter(|t| !t.is_empty())
        .collect();
    if let [first, size, ..] = tokens.as_slice()
        && first.eq_ignore_ascii_case("standard")
    {
        let size = size.to_ascii_uppercase();
        if size.starts_with("ND96") || size == "ND40RS" {
            return Some(8);
        }
    }
    let count = |t: &str, suffix: char| -> Option<u32> {
        let digits = t.strip_suffix(suffix)?;
        (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
            .then(|| digits.parse().ok())
            .flatten()
    };
    tokens
        .iter()
        .find_map(|t| count(&t.to_ascii_lowercase(), 'x'))
        .or_else(|| {
            tokens
                .last()
                .and_then(|t| count(&t.to_ascii_lowercase(), 'g'))
        })
}

/// The median of `values` (the mean of the middle two for an even count), sorting them.
pub(crate) fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// Every finding over the rows of `catalog` whose file `report` selects (by the file's
/// display name), errors first, then by table and catalog order. Comparisons between offers
/// (the per-GPU outlier rule) use every offer of the catalog.
pub fn check(catalog: &Catalog, options: Options, report: impl Fn(&str) -> bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    for row in rows(catalog).iter().filter(|r| report(r.origin)) {
        let mut add = |severity, rule, message: String| {
            findings.push(Finding {
                severity,
                rule,
                kind: row.kind.as_str(),
                id: row.id.to_string(),
                message,
                file: row.origin.to_string(),
            })
        };
        let source = row.source.trim().to_lowercase();
        if PLACEHOLDER_SOURCES.contains(&source.as_str()) || source.starts_with("todo") {
            add(
                Severity::Error,
                "no-source",
                format!("source `{}` names no source", row.source),
            );
        }
        if let Some(date) = parse_date(row.as_of) {
            let age = months_between(date, options.today);
            let priced = row.kind != Kind::Depreciation;
            if age < 0 {
                add(
                    Severity::Error,
                    "future-date",
                    format!("as_of {} is after today", row.as_of),
                );
            } else if priced && age > i64::from(options.max_age_months) {
                add(
                    Severity::Warning,
                    "stale",
                    format!(
                        "as_of {} is {age} months old (more than {})",
                        row.as_of, options.max_age_months
                    ),
                );
            }
            if row.as_of.trim().len() == 4 {
                add(
                    Severity::Note,
                    "year-only-date",
                    format!("as_of {} gives a year only", row.as_of),
                );
            }
        }
        if row.estimate {
            let reason = row
                .note
                .map(|n| format!(": {}", first_sentence(n)))
                .unwrap_or_default();
            add(
                Severity::Note,
                "estimate",
                format!("marked estimate{reason}"),
            );
        }
    }
    let medians = per_gpu_medians(catalog);
    for offer in catalog.offers.iter().filter(|o| report(&o.origin)) {
        offer_findings(
            offer,
            medians.get(offer.accelerator.as_str()),
            &mut findings,
        );
    }
    findings.sort_by_key(|f| f.severity);
    findings
}

/// The first sentence of a note, to keep a finding on one line.
fn first_sentence(note: &str) -> &str {
    let end = note.find(". ").map(|i| i + 1).unwrap_or(note.len());
    note[..end].trim()
}

/// The on-demand price per GPU-hour of an offer [USD per GPU-hour].
fn per_gpu_hour(o: &CloudOffer) -> f64 {
    o.on_demand_usd_per_hour / f64::from(o.accelerator_count)
}

/// For each accelerator with at least [`OUTLIER_MIN_OFFERS`] offers: the median of their
/// on-demand prices per GPU-hour and the number of offers.
fn per_gpu_medians(catalog: &Catalog) -> HashMap<&str, (f64, usize)> {
    let mut prices: HashMap<&str, Vec<f64>> = HashMap::new();
    for o in &catalog.offers {
        prices
            .entry(o.accelerator.as_str())
            .or_default()
            .push(per_gpu_hour(o));
    }
    prices
        .into_iter()
        .filter(|(_, v)| v.len() >= OUTLIER_MIN_OFFERS)
        .filter_map(|(a, mut v)| median(&mut v).map(|m| (a, (m, v.len()))))
        .collect()
}

fn offer_findings(o: &CloudOffer, median: Option<&(f64, usize)>, findings: &mut Vec<Finding>) {
    let mut add = |severity, rule, message: String| {
        findings.push(Finding {
            severity,
            rule,
            kind: Kind::Offers.as_str(),
            id: o.id.clone(),
            message,
            file: o.origin.clone(),
        })
    };
    let od = o.on_demand_usd_per_hour;
    if let Some(spot) = o.spot_usd_per_hour
        && spot >= od
    {
        add(
            Severity::Error,
            "spot-not-below-on-demand",
            format!("spot {spot} USD/h is at or above on-demand {od} USD/h"),
        );
    }
    for (term, price, derived) in [
        ("1-year", o.commit_1y_usd_per_hour, o.commit_1y_derived),
        ("3-year", o.commit_3y_usd_per_hour, o.commit_3y_derived),
    ] {
        if let Some(p) = price
            && p > od
        {
            let how = if derived { " (derived)" } else { "" };
            add(
                Severity::Error,
                "commitment-above-on-demand",
                format!("{term} committed {p} USD/h{how} is above on-demand {od} USD/h"),
            );
        }
    }
    if let (Some(c1), Some(c3)) = (o.commit_1y_usd_per_hour, o.commit_3y_usd_per_hour)
        && c3 > c1
    {
        add(
            Severity::Warning,
            "commitment-order",
            format!("3-year committed {c3} USD/h is above 1-year committed {c1} USD/h"),
        );
    }
    if let Some(stated) = stated_gpu_count(&o.instance_type)
        && stated != o.accelerator_count
    {
        add(
            Severity::Error,
            "gpu-count-mismatch",
            format!(
                "instance type `{}` states {stated} accelerators, the row has {}",
                o.instance_type, o.accelerator_count
            ),
        );
    }
    if let Some(&(m, peers)) = median {
        let per_gpu = per_gpu_hour(o);
        if per_gpu < m / OUTLIER_FACTOR || per_gpu > m * OUTLIER_FACTOR {
            add(
                Severity::Warning,
                "price-outlier",
                format!(
                    "on-demand {per_gpu:.4} USD per GPU-hour is outside [{:.4}, {:.4}], half to \
                     twice the median {m:.4} of the {} offers of `{}`",
                    m / OUTLIER_FACTOR,
                    m * OUTLIER_FACTOR,
                    peers,
                    o.accelerator
                ),
            );
        }
    }
}

/// Counts of findings by severity: `(errors, warnings, notes)`.
pub fn counts(findings: &[Finding]) -> (usize, usize, usize) {
    findings
        .iter()
        .fold((0, 0, 0), |(e, w, n), f| match f.severity {
            Severity::Error => (e + 1, w, n),
            Severity::Warning => (e, w + 1, n),
            Severity::Note => (e, w, n + 1),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_names_state_their_gpu_count() {
        assert_eq!(stated_gpu_count("gpu_8x_h100_sxm5"), Some(8));
        assert_eq!(stated_gpu_count("hgx-h100-8x"), Some(8));
        assert_eq!(stated_gpu_count("n1-standard-8 + 1x V100"), Some(1));
        assert_eq!(stated_gpu_count("a3-highgpu-8g"), Some(8));
        assert_eq!(stated_gpu_count("p4d.24xlarge"), None);
        assert_eq!(stated_gpu_count("g5.48xlarge"), None);
        assert_eq!(stated_gpu_count("Standard_ND96isr_H100_v5"), Some(8));
        assert_eq!(stated_gpu_count("Standard_ND96amsr_A100_v4"), Some(8));
        assert_eq!(stated_gpu_count("Standard_ND40rs_v2"), Some(8));
        assert_eq!(stated_gpu_count("Standard_NC24ads_A100_v4"), None);
        assert_eq!(stated_gpu_count("Standard_NC6s_v3"), None);
        assert_eq!(stated_gpu_count("g2-standard-96"), None);
    }

    #[test]
    fn months_count_once_the_day_is_reached() {
        let d = |y, m, day| (YearMonth { year: y, month: m }, day);
        assert_eq!(months_between(d(2025, 1, 15), d(2025, 2, 14)), 0);
        assert_eq!(months_between(d(2025, 1, 15), d(2025, 2, 15)), 1);
        assert_eq!(months_between(d(2024, 12, 1), d(2026, 1, 1)), 13);
    }
}

//! Calendar helpers: catalog dates and the scenario's monthly timeline.
//!
//! tcosim steps in months of equal length, [`HOURS_PER_MONTH`] = 8760 / 12 = 730 hours, so that
//! every month of every year has the same load-duration resolution and totals do not depend on
//! which calendar month a scenario starts in.

/// Hours in every simulated month (8760 / 12).
pub const HOURS_PER_MONTH: usize = 730;
/// Hours in a simulated year.
pub const HOURS_PER_YEAR: usize = 8760;

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct YearMonth {
    pub year: i32,
    /// 1..=12
    pub month: u32,
}

impl YearMonth {
    /// Months since year 0, for differences.
    pub fn ordinal(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    /// The month `n` months later.
    pub fn plus(self, n: u32) -> YearMonth {
        let ord = self.ordinal() + i64::from(n);
        YearMonth {
            year: ord.div_euclid(12) as i32,
            month: (ord.rem_euclid(12) + 1) as u32,
        }
    }

    /// Zero-based month of the year (January = 0).
    pub fn month0(self) -> usize {
        (self.month - 1) as usize
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Parses `YYYY-MM-DD`, `YYYY-MM` or `YYYY` (four digits for the year, two for the month and
/// the day) from 1900 to 2200; a missing month or day counts as the first. A day the month
/// does not have (`2025-02-29`, `2025-04-31`) is not a date.
pub fn parse_date(text: &str) -> Option<(YearMonth, u32)> {
    let text = text.trim();
    let mut parts = text.split('-');
    let number = |part: Option<&str>, digits: usize| -> Option<Option<u32>> {
        match part {
            None => Some(None),
            Some(p) if p.len() == digits && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().ok().map(Some)
            }
            Some(_) => None,
        }
    };
    let year = number(parts.next(), 4)??;
    let month = number(parts.next(), 2)?.unwrap_or(1);
    let day = number(parts.next(), 2)?.unwrap_or(1);
    let year = i32::try_from(year).ok()?;
    if parts.next().is_some()
        || !(1900..=2200).contains(&year)
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
    {
        return None;
    }
    Some((YearMonth { year, month }, day))
}

/// Days in `month` (1-12) of `year`, in the Gregorian calendar.
fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses a month, `YYYY-MM`, strictly.
pub fn parse_year_month(text: &str) -> Option<YearMonth> {
    let t = text.trim();
    if t.len() != 7 {
        return None;
    }
    parse_date(t).map(|(ym, _)| ym)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_and_step() {
        let (ym, day) = parse_date("2024-02-29").unwrap();
        assert_eq!((ym.year, ym.month, day), (2024, 2, 29));
        assert_eq!(
            parse_date("2025").unwrap().0,
            YearMonth {
                year: 2025,
                month: 1
            }
        );
        assert!(parse_date("2025-13").is_none());
        assert!(parse_date("soon").is_none());
        // Days the month does not have, and other widths, are not dates.
        for bad in [
            "2025-02-29",
            "2025-02-30",
            "2025-04-31",
            "1900-02-29",
            "2025-1-5",
            "2025-01-5",
            "25-01-05",
            "+2025",
            "2025-00",
            "2025-01-00",
            "9999-12",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
        for good in [
            "2024-02-29",
            "2000-02-29",
            "2025-12-31",
            "2025-04-30",
            "2200",
        ] {
            assert!(parse_date(good).is_some(), "{good}");
        }
        let start = parse_year_month("2026-11").unwrap();
        assert_eq!(start.plus(2).to_string(), "2027-01");
        assert_eq!(start.plus(14).month0(), 0);
        assert!(parse_year_month("2026-1").is_none());
    }
}

//! Times and durations of job traces, in whole seconds.
//!
//! A time is either a number of seconds (from any origin: only differences matter) or an ISO
//! date and time, `YYYY-MM-DD HH:MM[:SS[.fff]]` (a `T` may separate the two), optionally with a
//! zone: `Z`, `+08:00`, `+0800` or `+08`. A time without a zone is read on the trace's own clock,
//! as if it were UTC; since that clock's offset is unknown, the trace readers refuse a trace that
//! mixes ISO times with a zone and ISO times without one ([`time_and_zone`] tells them apart).
//! Fractions of a second are rounded to the nearest second (halves away from zero), so every
//! simulated time is an integer and waits are exact.

/// Largest magnitude of a time or duration, in seconds (about 31.7 million years): far beyond
/// any trace, and small enough that sums of many of them cannot overflow `i64`.
pub const MAX_SECONDS: i64 = 1_000_000_000_000;

/// Seconds from a number written in a trace (`30`, `61.0`, `1e3`), rounded to the nearest
/// second; `None` when it is not a finite number within [`MAX_SECONDS`].
pub fn seconds(text: &str) -> Option<i64> {
    let v: f64 = text.trim().parse().ok()?;
    if !v.is_finite() || v.abs() > MAX_SECONDS as f64 {
        return None;
    }
    Some(v.round() as i64)
}

/// A time: seconds, or an ISO date and time with an optional zone (see the module docs).
pub fn time(text: &str) -> Option<i64> {
    time_and_zone(text).map(|(t, _)| t)
}

/// A time as [`time`] reads it, and whether it names its zone: `None` for a number of seconds
/// (which has no zone to name), `Some(true)` for an ISO time with a zone (`Z`, `UTC`, `+08:00`,
/// ...), `Some(false)` for one without.
pub fn time_and_zone(text: &str) -> Option<(i64, Option<bool>)> {
    let t = text.trim();
    if let Some(s) = seconds(t) {
        return Some((s, None));
    }
    iso(t).map(|(s, zoned)| (s, Some(zoned)))
}

/// An ISO date and time in seconds since 1970-01-01 00:00:00 UTC, and whether it names its zone.
fn iso(t: &str) -> Option<(i64, bool)> {
    let b = t.as_bytes();
    if b.len() < 16 || !t.is_ascii() {
        return None;
    }
    let year = digits(&t[0..4])?;
    let month = digits(&t[5..7])?;
    let day = digits(&t[8..10])?;
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b' ' || b[10] == b'T') {
        return None;
    }
    let hour = digits(&t[11..13])?;
    if b[13] != b':' {
        return None;
    }
    let minute = digits(&t[14..16])?;
    let mut rest = &t[16..];
    let mut second = 0.0;
    if let Some(r) = rest.strip_prefix(':') {
        let end = r
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(r.len());
        if end < 2 || !r.as_bytes()[..2].iter().all(u8::is_ascii_digit) {
            return None;
        }
        second = r[..end].parse::<f64>().ok()?;
        rest = &r[end..];
    }
    let offset = zone(rest)?;
    let zoned = !rest.trim_start().is_empty();
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second >= 61.0
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let whole = days * 86_400 + hour * 3_600 + minute * 60;
    Some((whole + second.round() as i64 - offset, zoned))
}

/// The zone's offset from UTC in seconds: empty (naive), `Z`, `±HH:MM`, `±HHMM` or `±HH`.
fn zone(z: &str) -> Option<i64> {
    let z = z.trim_start();
    if z.is_empty() || z == "Z" || z == "UTC" {
        return Some(0);
    }
    let sign = match z.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let r = &z[1..];
    let (h, m) = match r.len() {
        2 => (digits(r)?, 0),
        4 => (digits(&r[..2])?, digits(&r[2..])?),
        5 if r.as_bytes()[2] == b':' => (digits(&r[..2])?, digits(&r[3..])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3_600 + m * 60))
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date: whole 400-year eras of 146,097
/// days, then the day within the era counted from 1 March so that the leap day comes last.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (m + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A duration such as `2h`, `90m`, `30s`, `1d` or `3600` (seconds), in seconds; `None` when
/// it is not a non-negative number with one of these units.
pub fn duration(text: &str) -> Option<i64> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let scale = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3_600.0,
        "d" => 86_400.0,
        _ => return None,
    };
    let v: f64 = number.trim().parse().ok()?;
    let s = v * scale;
    if !s.is_finite() || !(0.0..=MAX_SECONDS as f64).contains(&s) {
        return None;
    }
    Some(s.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_to_whole_seconds() {
        assert_eq!(seconds("30.0"), Some(30));
        assert_eq!(seconds("30.5"), Some(31));
        assert_eq!(seconds(" 7 "), Some(7));
        assert_eq!(seconds("nan"), None);
        assert_eq!(seconds("1e300"), None);
        assert_eq!(seconds("abc"), None);
    }

    #[test]
    fn iso_times_agree_with_the_unix_epoch() {
        assert_eq!(time("1970-01-01 00:00:00"), Some(0));
        // 2017-10-01 00:00:45 UTC is 1,506,816,045 s after the epoch (`date -u -d ... +%s`).
        assert_eq!(time("2017-10-01 00:00:45"), Some(1_506_816_045));
        assert_eq!(time("2017-10-01T00:00:45Z"), Some(1_506_816_045));
        assert_eq!(time("2023-03-01 00:18:22+08:00"), Some(1_677_601_102));
        assert_eq!(time("2023-03-01 00:18:22+0800"), Some(1_677_601_102));
        assert_eq!(time("2023-02-28 16:18:22"), Some(1_677_601_102));
        assert_eq!(time("2024-02-29 12:00"), Some(1_709_208_000));
        assert_eq!(time("2023-02-29 12:00:00"), None);
        assert_eq!(time("2023-13-01 00:00:00"), None);
        assert_eq!(time("2023-03-01 00:18:22+8"), None);
        assert_eq!(time("yesterday"), None);
    }

    #[test]
    fn iso_times_say_whether_they_name_their_zone() {
        assert_eq!(time_and_zone("30"), Some((30, None)));
        assert_eq!(
            time_and_zone("2023-02-28 16:18:22"),
            Some((1_677_601_102, Some(false)))
        );
        for zoned in [
            "2023-02-28T16:18:22Z",
            "2023-02-28 16:18:22 UTC",
            "2023-03-01 00:18:22+08:00",
            "2023-03-01 00:18+08",
        ] {
            assert_eq!(
                time_and_zone(zoned).map(|(_, z)| z),
                Some(Some(true)),
                "{zoned}"
            );
        }
        assert_eq!(time_and_zone("2023-02-28 16:18:22 nowhere"), None);
    }

    #[test]
    fn durations_take_units() {
        assert_eq!(duration("2h"), Some(7_200));
        assert_eq!(duration("90m"), Some(5_400));
        assert_eq!(duration("1.5d"), Some(129_600));
        assert_eq!(duration("45"), Some(45));
        assert_eq!(duration("-1h"), None);
        assert_eq!(duration("2w"), None);
    }
}

//! Hourly load profiles and load-duration curves.
//!
//! A profile is a year of hourly weights (8760 values). Each simulated month takes its 730-hour
//! slice: the month's demand is spread over the slice in proportion to the weights, and a yearly
//! profile whose months carry different totals also shifts demand between months (seasonality),
//! keeping the yearly total. The load-duration curve of a month (its hourly loads sorted from the
//! highest, with prefix sums) answers "how many GPU-hours fit under a capacity C" exactly by a
//! guided search, so any number of capacities can be evaluated without walking the hours again.

use crate::error::InputError;
use crate::timeline::{HOURS_PER_MONTH, HOURS_PER_YEAR};

/// A year of hourly load weights, non-negative, not all zero.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub hourly: Vec<f64>,
    /// Sum of the weights of each month's slice.
    pub month_sums: [f64; 12],
    /// Whether monthly totals shift demand between months: only for a year of measured hours
    /// (8760 values from a file); built-in and one-month profiles repeat the same month.
    pub seasonal: bool,
}

/// Built-in profile names.
pub const BUILTIN_PROFILES: [&str; 3] = ["flat", "business-hours", "bursty"];

/// Weights below this share of the largest are taken as 0 (README "Profiles"): no total can
/// tell them apart from 0 at double precision, and with them gone every sum of weights lies
/// between 2^-64 and 2 × 8760, so no normalisation can overflow or divide by a subnormal.
const NEGLIGIBLE_WEIGHT: f64 = 1.0 / (1u128 << 64) as f64;

/// `weights` scaled by the power of two that brings the largest into [1, 2) (an exact
/// operation: a profile's demand depends only on ratios of weights, and every ratio keeps its
/// bits), with negligible weights set to 0.
fn normalise(weights: &mut [f64]) {
    let peak = weights.iter().copied().fold(0.0_f64, f64::max);
    if !(peak > 0.0 && peak.is_finite()) {
        return;
    }
    // ⌊log2 peak⌋ from the exponent bits (subnormal peaks through a 2^64 pre-scale).
    let exponent = |v: f64| ((v.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let e = if peak >= f64::MIN_POSITIVE {
        exponent(peak)
    } else {
        exponent(peak * 2f64.powi(64)) - 64
    };
    // 2^-e in at most two exact steps, since 2^e alone may not be representable.
    let (a, b) = (-e / 2, -e - (-e / 2));
    let (fa, fb) = (2f64.powi(a), 2f64.powi(b));
    for w in weights.iter_mut() {
        let v = *w * fa * fb;
        *w = if v < NEGLIGIBLE_WEIGHT { 0.0 } else { v };
    }
}

impl Profile {
    fn from_hourly(name: String, mut hourly: Vec<f64>, seasonal: bool) -> Profile {
        normalise(&mut hourly);
        let mut month_sums = [0.0; 12];
        for (m, sum) in month_sums.iter_mut().enumerate() {
            *sum = hourly[m * HOURS_PER_MONTH..(m + 1) * HOURS_PER_MONTH]
                .iter()
                .sum();
        }
        Profile {
            name,
            hourly,
            month_sums,
            seasonal,
        }
    }

    /// A built-in profile by name.
    pub fn builtin(name: &str) -> Option<Profile> {
        let hourly: Vec<f64> = match name {
            // Every hour alike.
            "flat" => vec![1.0; HOURS_PER_YEAR],
            // Weekdays 08:00-18:00 at full weight, other hours at 0.2 (interactive and CI work
            // with some overnight batch); the year starts on a Monday at midnight.
            "business-hours" => (0..HOURS_PER_YEAR)
                .map(|h| {
                    let day = (h / 24) % 7;
                    let hour = h % 24;
                    if day < 5 && (8..18).contains(&hour) {
                        1.0
                    } else {
                        0.2
                    }
                })
                .collect(),
            // Twelve-hour blocks: a base of 0.15, and in about one block in five a burst of +1.0
            // chosen by a fixed hash, so peak / mean is about 3.3 and the shape is reproducible.
            "bursty" => (0..HOURS_PER_YEAR)
                .map(|h| {
                    let block = (h / 12) as u64;
                    let u = (splitmix64(block ^ 0x7c05_1d0e) >> 11) as f64 / (1u64 << 53) as f64;
                    if u < 0.2 { 1.15 } else { 0.15 }
                })
                .collect(),
            _ => return None,
        };
        Some(Profile::from_hourly(name.to_string(), hourly, false))
    }

    /// Parses an hourly profile file: one number per line (the last field of a CSV line),
    /// an optional header line, `#` comments; 8760 values (a year) or 730 (one month, repeated).
    pub fn from_csv(display: &str, text: &str) -> Result<Profile, InputError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut values = Vec::with_capacity(HOURS_PER_YEAR);
        let mut first_data = true;
        // Lines end in LF, CRLF or a lone CR (old Mac files); `#` starts a comment to the end
        // of its line, also after a value.
        let lines = text
            .split('\n')
            .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'));
        for (n, raw) in lines.enumerate() {
            let line = n + 1;
            let trimmed = match raw.find('#') {
                Some(hash) => raw[..hash].trim(),
                None => raw.trim(),
            };
            if trimmed.is_empty() {
                continue;
            }
            // The last field: after the last comma, else the whole (trimmed) line.
            let field = match trimmed.rfind(',') {
                Some(comma) => trimmed[comma + 1..].trim(),
                None => trimmed,
            };
            match field.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => values.push(v),
                Ok(v) => {
                    // A number too large for a float reads as infinite: it is named as written.
                    let found = if v.is_infinite() && !field.to_ascii_lowercase().contains("inf") {
                        format!("{field} (beyond the largest number, about 1.8e308)")
                    } else {
                        crate::error::written(v)
                    };
                    return Err(InputError::new(display, "invalid hourly load")
                        .at_position(line, 1)
                        .expected("a finite load of 0 or more")
                        .found(found));
                }
                Err(_) if first_data => {} // a header line
                Err(_) => {
                    return Err(InputError::new(display, "invalid hourly load")
                        .at_position(line, 1)
                        .expected("a number")
                        .found(format!("`{field}`")));
                }
            }
            first_data = false;
        }
        if values.is_empty() {
            return Err(InputError::new(display, "hourly profile is empty")
                .expected(format!(
                    "{HOURS_PER_YEAR} hourly values (a year) or {HOURS_PER_MONTH} (a month)"
                ))
                .found("no values"));
        }
        if values.iter().all(|v| *v == 0.0) {
            return Err(InputError::new(display, "hourly profile is all zero")
                .expected("at least one hour with load above 0")
                .found(format!("{} zeros", values.len())));
        }
        let seasonal = values.len() == HOURS_PER_YEAR;
        let hourly = match values.len() {
            HOURS_PER_YEAR => values,
            HOURS_PER_MONTH => values
                .iter()
                .copied()
                .cycle()
                .take(HOURS_PER_YEAR)
                .collect(),
            n => {
                return Err(
                    InputError::new(display, "hourly profile has the wrong length")
                        .expected(format!(
                            "{HOURS_PER_YEAR} values (a year) or {HOURS_PER_MONTH} (a month)"
                        ))
                        .found(format!("{n} values")),
                );
            }
        };
        Ok(Profile::from_hourly(display.to_string(), hourly, seasonal))
    }

    /// Share of a year's load falling in month `month0` (0 = January) times 12: 1 for a profile
    /// without seasonality.
    pub fn season(&self, month0: usize) -> f64 {
        if !self.seasonal {
            return 1.0;
        }
        let year: f64 = self.month_sums.iter().sum();
        if year > 0.0 {
            self.month_sums[month0] * 12.0 / year
        } else {
            0.0
        }
    }

    /// Hourly weights of month `month0`, normalised to sum to 1 (all zero if the slice is).
    pub fn month_shape(&self, month0: usize) -> impl Iterator<Item = f64> + '_ {
        let sum = self.month_sums[month0];
        let scale = if sum > 0.0 { 1.0 / sum } else { 0.0 };
        self.hourly[month0 * HOURS_PER_MONTH..(month0 + 1) * HOURS_PER_MONTH]
            .iter()
            .map(move |w| w * scale)
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// `loads` sorted from the highest in the order of `f64::total_cmp`: sorted as the integers
/// that order compares (the bits with the magnitude flipped below zero), which sort faster
/// than floats through a comparison function; values that compare equal have the same bits,
/// so the result is the same whatever the sort's stability.
fn sorted_descending(loads: &[f64]) -> Vec<f64> {
    let key = |v: &f64| {
        let bits = v.to_bits() as i64;
        bits ^ (((bits >> 63) as u64) >> 1) as i64
    };
    let mut keys: Vec<i64> = loads.iter().map(key).collect();
    keys.sort_unstable();
    keys.into_iter()
        .rev()
        .map(|k| f64::from_bits((k ^ (((k >> 63) as u64) >> 1) as i64) as u64))
        .collect()
}

/// Buckets of the guide that narrows each search of a load-duration curve: nearly three per
/// hour of a month, so that most hold no load and a search mostly reads one bucket and one
/// step (2 × 2049 bytes per curve).
const GUIDE: usize = 2048;

/// The hourly loads of a month as the model reads them: their total, their peak and the load
/// served within a capacity. A load-duration curve ([`Ldc::new`]) holds the loads sorted from
/// the highest with prefix sums and answers by a search; an hourly curve
/// ([`Ldc::set_hourly`]) holds them in hour order and answers by a walk over the hours, which
/// costs more per answer but nothing to build (for Monte Carlo samples that change the hourly
/// demand, each of whose curves is read only a few times).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ldc {
    /// The loads: from the highest when `steps` is not empty, else in hour order.
    sorted_desc: Vec<f64>,
    /// `steps[k] = [k-th highest load, sum of the k highest loads]` for `k < n`,
    /// `steps[n] = [0, total]` and `steps[n + 1] = [−∞, total]`: a search reads a load and the
    /// prefix sum it needs from the same cache line (one dependent memory access fewer than two
    /// separate arrays), and the two steps from any `k ≤ n` exist (the last is above no
    /// capacity). Empty for an hourly curve.
    steps: Vec<[f64; 2]>,
    total: f64,
    peak: f64,
    /// Lowest load of a load-duration curve (0 for an hourly curve, whose answers do not
    /// use it).
    low: f64,
    /// `guide[j]` = number of loads in buckets before `j`, where a value's bucket is
    /// [`Ldc::bucket`]: the loads of bucket `j` are `sorted_desc[guide[j]..guide[j + 1]]`, so a
    /// search for a capacity looks only among the loads of its own bucket. Empty when all loads
    /// are equal or there are too many for `u16` counts.
    guide: Vec<u16>,
    /// `GUIDE / (peak − low)`.
    guide_scale: f64,
}

impl Ldc {
    pub fn new(loads: &[f64]) -> Ldc {
        let sorted_desc = sorted_descending(loads);
        let n = sorted_desc.len();
        let mut steps = Vec::with_capacity(n + 2);
        let mut acc = 0.0;
        for v in &sorted_desc {
            steps.push([*v, acc]);
            acc += v;
        }
        steps.push([0.0, acc]);
        steps.push([f64::NEG_INFINITY, acc]);
        let peak = sorted_desc.first().copied().unwrap_or(0.0);
        let low = sorted_desc.last().copied().unwrap_or(0.0);
        let total = acc;
        let mut ldc = Ldc {
            sorted_desc,
            steps,
            total,
            peak,
            low,
            guide: Vec::new(),
            guide_scale: 0.0,
        };
        if peak > low && n < usize::from(u16::MAX) {
            ldc.guide_scale = GUIDE as f64 / (peak - low);
            let mut guide = vec![0u16; GUIDE + 1];
            for v in &ldc.sorted_desc {
                guide[ldc.bucket(*v) + 1] += 1;
            }
            for j in 0..GUIDE {
                guide[j + 1] += guide[j];
            }
            ldc.guide = guide;
        }
        ldc
    }

    /// The guide bucket of a value in `[low, peak]`: `⌊(peak − v) × GUIDE / (peak − low)⌋`,
    /// clamped to the last bucket. Subtraction and multiplication round monotonically, so a
    /// value above another never falls in a later bucket: loads in earlier buckets than a
    /// capacity's are above it, loads in later buckets are not.
    fn bucket(&self, v: f64) -> usize {
        // Clamped in floating point, then truncated: `as u32` on a value in `0..GUIDE` costs
        // fewer instructions than `as usize`'s saturation (the same bucket either way).
        ((self.peak - v) * self.guide_scale).min((GUIDE - 1) as f64) as u32 as usize
    }

    /// Number of hours with load above `capacity` (> 0, below the peak).
    #[inline]
    fn count_above(&self, capacity: f64) -> usize {
        let n = self.sorted_desc.len();
        if capacity < self.low {
            return n;
        }
        let above = |s: &[f64; 2]| s[0] > capacity;
        if self.guide.is_empty() {
            return self.steps[..n].partition_point(above);
        }
        let j = self.bucket(capacity);
        let (lo, hi) = (usize::from(self.guide[j]), usize::from(self.guide[j + 1]));
        lo + Self::above_in(&self.steps, lo, hi, capacity)
    }

    /// [`Ldc::served_scaled`] of eight capacities with their scale factors and inverses, the
    /// arithmetic four at a time in 256-bit vector instructions (AVX2): the same operations
    /// on the same operands as the scalar search, so the same bits. Four capacities all at or
    /// above the peak are answered without a search; otherwise each reads its guide bucket and
    /// compares the bucket's first two loads without a branch, and four capacities of which one
    /// has a bucket of more than two loads (about one search in a hundred on the example
    /// curves) are searched by [`Ldc::served_scaled`] one by one. An hourly curve, or a curve
    /// without a guide, is answered capacity by capacity.
    ///
    /// # Safety
    ///
    /// Callable only where the processor has AVX2 (`is_x86_feature_detected!("avx2")`).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    pub fn served_scaled_avx2(
        &self,
        capacity: &[f64; 8],
        f: &[f64; 8],
        inv: &[f64; 8],
    ) -> [f64; 8] {
        use std::arch::x86_64::*;
        let guide = <&[u16; GUIDE + 1]>::try_from(self.guide.as_slice());
        let (Ok(guide), false) = (guide, self.steps.is_empty()) else {
            return std::array::from_fn(|j| self.served_scaled(capacity[j], f[j], inv[j]));
        };
        let n = self.sorted_desc.len();
        let mut out = [0.0; 8];
        for half in 0..2 {
            let (c, scale, inverse) = (half4(capacity, half), half4(f, half), half4(inv, half));
            // As `served_scaled`: the capacity on the curve scaled by f (for f = 1, inv is 1
            // and c × inv is c), then f × served (served for f = 1), and 0 for f ≤ 0.
            let q = _mm256_mul_pd(c, inverse);
            let scaled = |served: __m256d| {
                _mm256_andnot_pd(
                    _mm256_cmp_pd::<_CMP_LE_OQ>(scale, _mm256_setzero_pd()),
                    _mm256_mul_pd(scale, served),
                )
            };
            let total = _mm256_set1_pd(self.total);
            let ge_peak = _mm256_cmp_pd::<_CMP_GE_OQ>(q, _mm256_set1_pd(self.peak));
            let result = if _mm256_movemask_pd(ge_peak) == 0b1111 && self.peak > 0.0 {
                // Every capacity at or above the peak (so above 0): the total, no search.
                scaled(total)
            } else {
                // Each capacity's loads above it, as `count_above` and `above_in`, four lanes
                // at a time without branches (guide entries and steps read lane by lane into
                // vectors: the processor's gathers were no faster here): most buckets hold
                // at most two loads (the rest are searched on their own below). The two steps
                // from the bucket's first load always exist, and a load of a later bucket is
                // never above the capacity, so the two comparisons count the bucket's loads
                // above it. Every load is above a capacity below the lowest load.
                let bucket = self.buckets4_epi32(q);
                // SAFETY: a bucket is below GUIDE, so the four bytes read from the guide's
                // entry `bucket` are the entries `bucket` and `bucket + 1` (little-endian: the
                // first in the low half), both in the guide of GUIDE + 1 entries.
                let pair = unsafe {
                    let at: *const u16 = guide.as_ptr();
                    let b = lanes(bucket);
                    let read = |k: usize| at.add(b[k] as usize).cast::<i32>().read_unaligned();
                    _mm_setr_epi32(read(0), read(1), read(2), read(3))
                };
                let lo = _mm_and_si128(pair, _mm_set1_epi32(0xffff));
                let hi = _mm_srli_epi32::<16>(pair);
                let long =
                    _mm_movemask_epi8(_mm_cmpgt_epi32(_mm_sub_epi32(hi, lo), _mm_set1_epi32(2)))
                        != 0;
                // The loads of the steps `lo` and `lo + 1`, which exist (lo ≤ n).
                let first = lanes(lo);
                let step = |k: usize, d: usize| {
                    // SAFETY: lo + d ≤ n + 1 < steps.len().
                    unsafe { self.steps.get_unchecked(first[k] as usize + d)[0] }
                };
                let l0 = _mm256_setr_pd(step(0, 0), step(1, 0), step(2, 0), step(3, 0));
                let l1 = _mm256_setr_pd(step(0, 1), step(1, 1), step(2, 1), step(3, 1));
                // Comparisons are all ones (−1) where true: lo minus both is lo + count.
                let minus = _mm256_add_epi64(
                    _mm256_castpd_si256(_mm256_cmp_pd::<_CMP_GT_OQ>(l0, q)),
                    _mm256_castpd_si256(_mm256_cmp_pd::<_CMP_GT_OQ>(l1, q)),
                );
                let below_low =
                    _mm256_castpd_si256(_mm256_cmp_pd::<_CMP_LT_OQ>(q, _mm256_set1_pd(self.low)));
                let a = _mm_blendv_epi8(
                    _mm_sub_epi32(lo, low32(minus)),
                    _mm_set1_epi32(n as i32),
                    low32(below_low),
                );
                // The prefix sums of the steps `a` (a ≤ n, so step `a` exists).
                let at = lanes(a);
                let sum = |k: usize| {
                    // SAFETY: a ≤ n < steps.len().
                    unsafe { self.steps.get_unchecked(at[k] as usize)[1] }
                };
                let prefix = _mm256_setr_pd(sum(0), sum(1), sum(2), sum(3));
                let above = _mm256_cvtepi32_pd(a);
                // As `served`: q × above + (total − the sum of the loads above); the total at
                // or above the peak, 0 at or below 0.
                let served = _mm256_add_pd(_mm256_mul_pd(q, above), _mm256_sub_pd(total, prefix));
                let served = _mm256_blendv_pd(served, total, ge_peak);
                let served =
                    _mm256_andnot_pd(_mm256_cmp_pd::<_CMP_LE_OQ>(q, _mm256_setzero_pd()), served);
                let mut result = scaled(served);
                if long {
                    // A bucket of more than two loads: each capacity searched on its own.
                    let mut r = [0.0; 4];
                    for (k, r) in r.iter_mut().enumerate() {
                        let j = 4 * half + k;
                        *r = self.served_scaled(capacity[j], f[j], inv[j]);
                    }
                    result = at4(&r);
                }
                result
            };
            // SAFETY: the four f64 written are `out[4 × half..4 × half + 4]`.
            unsafe { _mm256_storeu_pd(out[4 * half..].as_mut_ptr(), result) };
        }
        out
    }

    /// Asks the processor for the guide entries that [`Ldc::served`] will read for each of
    /// `capacities`, so that a later answer finds them in the cache: the first of the two
    /// steps taken ahead of a search. A capacity outside the guide's range asks for an entry
    /// at its end; requests change no value.
    #[inline(always)]
    pub fn prefetch_guide<const N: usize>(&self, capacities: &[f64; N]) {
        if let Some(guide) = self.guide_for(capacities) {
            for c in capacities {
                prefetch(&guide[self.bucket(*c) & (GUIDE - 1)]);
            }
        }
    }

    /// Asks the processor for the first load that [`Ldc::served`] will compare for each of
    /// `capacities`, reading their guide entries (asked for by [`Ldc::prefetch_guide`] a
    /// step before): the second step taken ahead of a search.
    #[inline(always)]
    pub fn prefetch_loads<const N: usize>(&self, capacities: &[f64; N]) {
        if let Some(guide) = self.guide_for(capacities)
            && let Some(last) = self.steps.len().checked_sub(1)
        {
            for c in capacities {
                let lo = usize::from(guide[self.bucket(*c) & (GUIDE - 1)]);
                prefetch(&self.steps[lo.min(last)]);
            }
        }
    }

    /// [`Ldc::prefetch_guide`] (`loads` false) or [`Ldc::prefetch_loads`] (`loads` true) of
    /// eight capacities, their buckets computed four at a time with AVX2.
    ///
    /// # Safety
    ///
    /// Callable only where the processor has AVX2 (`is_x86_feature_detected!("avx2")`).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    pub fn prefetch_avx2(&self, capacities: &[f64; 8], loads: bool) {
        let Some(guide) = self.guide_for(capacities) else {
            return;
        };
        let last = self.steps.len().saturating_sub(1);
        for half in 0..2 {
            let buckets = self.buckets4(half4(capacities, half));
            for j in buckets {
                if loads {
                    prefetch(&self.steps[usize::from(guide[j]).min(last)]);
                } else {
                    prefetch(&guide[j]);
                }
            }
        }
    }

    /// [`Ldc::buckets4`] as four 32-bit integers in a 128-bit vector.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn buckets4_epi32(&self, q: std::arch::x86_64::__m256d) -> std::arch::x86_64::__m128i {
        use std::arch::x86_64::*;
        let x = _mm256_mul_pd(
            _mm256_sub_pd(_mm256_set1_pd(self.peak), q),
            _mm256_set1_pd(self.guide_scale),
        );
        let x = _mm256_max_pd(
            _mm256_min_pd(x, _mm256_set1_pd((GUIDE - 1) as f64)),
            _mm256_setzero_pd(),
        );
        _mm_and_si128(_mm256_cvttpd_epi32(x), _mm_set1_epi32((GUIDE - 1) as i32))
    }

    /// The guide buckets of four capacities, as [`Ldc::bucket`], four to an instruction;
    /// clamped to the guide for any value, also one that reads no guide.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn buckets4(&self, q: std::arch::x86_64::__m256d) -> [usize; 4] {
        lanes(self.buckets4_epi32(q)).map(|j| j as usize)
    }

    /// The guide, if searches for `capacities` read it: not when every one of them is at or
    /// above the peak (answered by the total) or the curve has no guide.
    #[inline(always)]
    fn guide_for<const N: usize>(&self, capacities: &[f64; N]) -> Option<&[u16; GUIDE + 1]> {
        // Without a branch per capacity, so that the comparisons run side by side.
        let all_at_peak = capacities
            .iter()
            .fold(true, |all, c| all & (*c >= self.peak));
        if all_at_peak && self.peak > 0.0 {
            return None;
        }
        self.guide.as_slice().try_into().ok()
    }

    /// Number of the loads `steps[lo..hi]` above `capacity` (`lo <= hi < steps.len()`; the
    /// loads sorted from the highest, so those above come first).
    #[inline(always)]
    fn above_in(steps: &[[f64; 2]], lo: usize, hi: usize, capacity: f64) -> usize {
        let above = |s: &[f64; 2]| s[0] > capacity;
        let len = hi - lo;
        match steps.get(lo..lo + 4) {
            Some(four) if len <= 4 => {
                // Most buckets hold a load or none: the four loads from `lo` are compared
                // without a branch and those past the bucket left out, so that nothing waits
                // on a guess of how many are above.
                (0..4)
                    .map(|k| usize::from((k < len) & above(&four[k])))
                    .sum()
            }
            _ => steps[lo..hi].partition_point(above),
        }
    }

    /// Makes this an hourly curve of `loads` (keeping its allocations).
    #[inline(always)]
    pub fn set_hourly(&mut self, loads: impl IntoIterator<Item = f64>) {
        self.sorted_desc.clear();
        self.sorted_desc.extend(loads);
        self.steps.clear();
        self.guide.clear();
        self.guide_scale = 0.0;
        self.low = 0.0;
        // Four partial sums and maxima, so that the additions need not wait for each other.
        let chunks = self.sorted_desc.chunks_exact(4);
        let rest = chunks.remainder();
        let (mut sum, mut max) = ([0.0; 4], [0.0_f64; 4]);
        for c in chunks {
            for k in 0..4 {
                sum[k] += c[k];
                // A comparison rather than `f64::max`, whose NaN rules cost three more
                // instructions (loads are never NaN).
                max[k] = if c[k] > max[k] { c[k] } else { max[k] };
            }
        }
        self.total = (sum[0] + sum[1]) + (sum[2] + sum[3]) + rest.iter().sum::<f64>();
        self.peak = rest
            .iter()
            .fold(max[0].max(max[1]).max(max[2].max(max[3])), |a, b| a.max(*b));
    }

    /// Σ_h min(load(h), capacity) by a walk over the hours, with four partial sums so the
    /// additions need not wait for each other: four to an instruction where the processor has
    /// AVX2 (the same operations on the same operands, so the same bits), two otherwise.
    fn walk(&self, capacity: f64) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2, checked just above.
            return unsafe { self.walk_avx2(capacity) };
        }
        self.walk_in(capacity)
    }

    /// [`Ldc::walk_in`] compiled with AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn walk_avx2(&self, capacity: f64) -> f64 {
        self.walk_in(capacity)
    }

    /// The body of [`Ldc::walk`].
    #[inline(always)]
    fn walk_in(&self, capacity: f64) -> f64 {
        let chunks = self.sorted_desc.chunks_exact(4);
        // A comparison rather than `f64::min`, whose NaN rules cost three more instructions
        // (loads are never NaN).
        let min = |v: f64| if v < capacity { v } else { capacity };
        let rest: f64 = chunks.remainder().iter().map(|v| min(*v)).sum();
        let mut acc = [0.0; 4];
        for c in chunks {
            for (a, v) in acc.iter_mut().zip(c) {
                *a += min(*v);
            }
        }
        (acc[0] + acc[1]) + (acc[2] + acc[3]) + rest
    }

    /// Total load [GPU-hours].
    pub fn total(&self) -> f64 {
        self.total
    }

    /// Highest hourly load [GPUs].
    pub fn peak(&self) -> f64 {
        self.peak
    }

    /// Σ_h min(load(h), capacity): the load served within `capacity` (README equation M2).
    #[inline]
    pub fn served(&self, capacity: f64) -> f64 {
        if capacity <= 0.0 {
            return 0.0;
        }
        if capacity >= self.peak() {
            return self.total();
        }
        if self.steps.is_empty() {
            return self.walk(capacity);
        }
        let above = self.count_above(capacity);
        capacity * above as f64 + (self.total() - self.steps[above][1])
    }

    /// Σ_h min(f × load(h), capacity) = f × served(capacity / f): the curve scaled by `f`
    /// without re-sorting, given `inv_f = 1 / f` (exact for f = 1).
    #[inline]
    pub fn served_scaled(&self, capacity: f64, f: f64, inv_f: f64) -> f64 {
        if f <= 0.0 {
            0.0
        } else if f == 1.0 {
            self.served(capacity)
        } else {
            f * self.served(capacity * inv_f)
        }
    }

    /// The loads: sorted from the highest for a load-duration curve, in hour order for an
    /// hourly one.
    pub fn loads(&self) -> &[f64] {
        &self.sorted_desc
    }
}

/// The four 32-bit integers of a 128-bit vector.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn lanes(v: std::arch::x86_64::__m128i) -> [u32; 4] {
    let mut out = [0u32; 4];
    // SAFETY: 16 bytes written to the 16 bytes of `out`.
    unsafe { std::arch::x86_64::_mm_storeu_si128(out.as_mut_ptr().cast(), v) };
    out
}

/// The low 32 bits of each of four 64-bit integers, as four 32-bit integers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn low32(v: std::arch::x86_64::__m256i) -> std::arch::x86_64::__m128i {
    use std::arch::x86_64::*;
    _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(
        v,
        _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0),
    ))
}

/// Four numbers in a 256-bit vector.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn at4(v: &[f64; 4]) -> std::arch::x86_64::__m256d {
    std::arch::x86_64::_mm256_setr_pd(v[0], v[1], v[2], v[3])
}

/// The first (`half` 0) or last (`half` 1) four of eight numbers in a 256-bit vector.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn half4(v: &[f64; 8], half: usize) -> std::arch::x86_64::__m256d {
    let v = &v[4 * half..];
    std::arch::x86_64::_mm256_setr_pd(v[0], v[1], v[2], v[3])
}

/// A hint to bring the cache line of `value` into the first-level cache: it changes no value
/// and no result, only when memory is read.
#[inline(always)]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing into the program and cannot fault, whatever the
    // address; here it is a live reference's.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (value as *const T).cast(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_sort_as_total_cmp_sorts_them() {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 4.0,
            -f64::MIN_POSITIVE / 4.0,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1.0 + f64::EPSILON,
            1.0,
            2.5e-300,
            7.0,
        ];
        values.extend((0..2000).map(|h| ((h * 7919) % 1000) as f64 / 7.0 - 30.0));
        let mut want = values.clone();
        want.sort_by(|a, b| b.total_cmp(a));
        let got = sorted_descending(&values);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want));
    }

    #[test]
    fn hourly_walk_is_the_same_bit_for_bit_with_and_without_avx2() {
        // `walk` takes the AVX2 build where the processor has it; `walk_in` here is the
        // baseline build; lengths that leave 0 to 3 hours after the chunks of four.
        for n in [0, 1, 5, 730, 731, 733] {
            let mut ldc = Ldc::default();
            ldc.set_hourly((0..n).map(|h| ((h * 7919) % 1000) as f64 / 7.3 + 1e-3 * h as f64));
            for k in 0..=50 {
                let c = (ldc.peak() + 1.0) * k as f64 / 47.0;
                assert_eq!(
                    ldc.walk(c).to_bits(),
                    ldc.walk_in(c).to_bits(),
                    "{n} hours, {c}"
                );
            }
        }
    }

    #[test]
    fn guided_search_matches_a_plain_search() {
        let loads: Vec<f64> = (0..730)
            .map(|h| ((h * 7919) % 1000) as f64 / 7.0 + (h % 24) as f64)
            .collect();
        let ldc = Ldc::new(&loads);
        let peak = ldc.peak();
        for k in 0..=4000 {
            let cap = peak * k as f64 / 3000.0;
            let plain = ldc.loads().partition_point(|v| *v > cap);
            if cap > 0.0 {
                assert_eq!(ldc.count_above(cap), plain, "capacity {cap}");
            }
        }
        // Every load, every bucket edge, and the floating-point neighbours of both.
        let span = peak - ldc.low;
        let edges = (0..=GUIDE).map(|j| peak - span * (j as f64 / GUIDE as f64));
        for cap in loads.iter().copied().chain(edges).filter(|c| *c > 0.0) {
            for c in [
                cap,
                f64::from_bits(cap.to_bits() - 1),
                f64::from_bits(cap.to_bits() + 1),
            ] {
                assert_eq!(
                    ldc.count_above(c),
                    ldc.loads().partition_point(|v| *v > c),
                    "capacity {c}"
                );
            }
        }
    }

    /// The vector search answers every capacity and scale factor as the scalar one, bit for
    /// bit: capacities at every load, a float either side of it, at the bucket edges, below
    /// the lowest load, at and above the peak, 0 and −0; factors of 1, 0, below 0 and others;
    /// curves with buckets of many loads, with no guide, and hourly curves.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn vector_searches_answer_as_the_scalar_search() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let spread: Vec<f64> = (0..730)
            .map(|h| ((h * 7919) % 1000) as f64 / 7.0 + (h % 24) as f64 + 3.0)
            .collect();
        // Loads in a few tight clusters: buckets of many loads.
        let clustered: Vec<f64> = (0..730)
            .map(|h| [5.0, 40.0, 41.0][h % 3] + (h as f64) * 1e-9)
            .collect();
        let mut hourly = Ldc::default();
        hourly.set_hourly(spread.iter().copied());
        let curves = [
            Ldc::new(&spread),
            Ldc::new(&clustered),
            Ldc::new(&[2.0; 10]),
            Ldc::new(&[0.0, 7.0]),
            hourly,
        ];
        for ldc in &curves {
            let (peak, low) = (ldc.peak(), ldc.low);
            let mut capacities: Vec<f64> = (-2..=3100).map(|k| peak * k as f64 / 3000.0).collect();
            capacities.extend(ldc.loads().iter().flat_map(|v| {
                [
                    *v,
                    f64::from_bits(v.to_bits().saturating_sub(1)),
                    f64::from_bits(v.to_bits() + 1),
                ]
            }));
            if ldc.guide_scale > 0.0 {
                // The edges of the guide's buckets.
                capacities.extend((0..=GUIDE).map(|j| peak - j as f64 / ldc.guide_scale));
            }
            capacities.extend([
                low,
                f64::from_bits(low.to_bits().saturating_sub(1)),
                peak,
                2.0 * peak,
                0.0,
                -0.0,
                -1.0,
            ]);
            let factors = [1.0, 0.0, -0.5, 0.8, 1.3, 0.6180339887, 2.0];
            for (i, chunk) in capacities.chunks(8).enumerate() {
                let capacity: [f64; 8] = std::array::from_fn(|j| chunk[j % chunk.len()]);
                let f: [f64; 8] = std::array::from_fn(|j| factors[(i + j) % factors.len()]);
                let inv = f.map(|f| if f > 0.0 { 1.0 / f } else { 0.0 });
                // SAFETY: the processor has AVX2, checked above.
                let got = unsafe { ldc.served_scaled_avx2(&capacity, &f, &inv) };
                for j in 0..8 {
                    assert_eq!(
                        got[j].to_bits(),
                        ldc.served_scaled(capacity[j], f[j], inv[j]).to_bits(),
                        "capacity {} with factor {}",
                        capacity[j],
                        f[j]
                    );
                }
            }
            // Eight capacities at or above the peak: the total without a search.
            let above = [
                peak,
                2.0 * peak,
                peak + 1.0,
                1e300,
                peak,
                peak,
                3.0 * peak,
                peak,
            ];
            let ones = [1.0; 8];
            // SAFETY: the processor has AVX2, checked above.
            let got = unsafe { ldc.served_scaled_avx2(&above, &ones, &ones) };
            for j in 0..8 {
                assert_eq!(got[j].to_bits(), ldc.served(above[j]).to_bits());
            }
        }
    }

    #[test]
    fn requests_ahead_of_a_search_take_any_capacity() {
        // Requests for capacities outside the curve's range, or not numbers at all, ask for
        // memory at the guide's ends and never index past it.
        let loads: Vec<f64> = (0..730)
            .map(|h| ((h * 7919) % 1000) as f64 / 7.0 + (h % 24) as f64 + 3.0)
            .collect();
        let odd = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1.0,
            -0.0,
            0.0,
            1e300,
            f64::MIN_POSITIVE,
        ];
        for ldc in [Ldc::new(&loads), Ldc::new(&[2.0; 10]), Ldc::default()] {
            ldc.prefetch_guide(&odd);
            ldc.prefetch_loads(&odd);
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2, checked just above.
                unsafe {
                    ldc.prefetch_avx2(&odd, false);
                    ldc.prefetch_avx2(&odd, true);
                }
            }
            let around = [ldc.low, ldc.peak(), ldc.peak() / 2.0];
            ldc.prefetch_guide(&around);
            ldc.prefetch_loads(&around);
        }
        let mut hourly = Ldc::default();
        hourly.set_hourly(loads.iter().copied());
        hourly.prefetch_guide(&odd);
        hourly.prefetch_loads(&odd);
    }

    #[test]
    fn served_matches_a_walk_over_the_hours() {
        let loads = [3.0, 0.0, 7.5, 2.0, 7.5, 1.0];
        let ldc = Ldc::new(&loads);
        for cap in [0.0, 0.5, 1.0, 2.0, 2.5, 7.5, 8.0, 100.0] {
            let walked: f64 = loads.iter().map(|l| l.min(cap)).sum();
            assert!((ldc.served(cap) - walked).abs() < 1e-12, "capacity {cap}");
        }
        assert_eq!(ldc.total(), 21.0);
        assert_eq!(ldc.peak(), 7.5);
    }

    #[test]
    fn hourly_curves_answer_as_load_duration_curves() {
        let loads: Vec<f64> = (0..730)
            .map(|h| ((h * 7919) % 1000) as f64 / 7.0 + (h % 24) as f64)
            .collect();
        let ldc = Ldc::new(&loads);
        let mut hourly = Ldc::default();
        hourly.set_hourly(loads.iter().copied());
        assert_eq!(hourly.peak(), ldc.peak());
        assert!((hourly.total() - ldc.total()).abs() <= 1e-12 * ldc.total());
        let peak = ldc.peak();
        for k in -2..=3100 {
            let cap = peak * k as f64 / 3000.0;
            let (a, b) = (hourly.served(cap), ldc.served(cap));
            assert!(
                (a - b).abs() <= 1e-12 * ldc.total(),
                "capacity {cap}: {a} vs {b}"
            );
        }
        // Reuse keeps nothing of the previous loads.
        hourly.set_hourly([3.0, 0.0, 7.5, 2.0, 7.5]);
        assert_eq!((hourly.total(), hourly.peak()), (20.0, 7.5));
        assert_eq!(hourly.served(2.0), 8.0);
    }

    #[test]
    fn extreme_weights_give_finite_shapes_and_seasons() {
        let text = |first: &str, rest: &str| {
            std::iter::once(first.to_string())
                .chain(std::iter::repeat_n(rest.to_string(), HOURS_PER_YEAR - 1))
                .collect::<Vec<_>>()
                .join("\n")
        };
        for (first, rest) in [
            ("1e308", "0"),
            ("5e-324", "5e-324"),
            ("1.7976931348623157e308", "1.7976931348623157e308"),
            ("1e308", "1e-300"),
            ("1", "1e-30"),
        ] {
            let p = Profile::from_csv("p.csv", &text(first, rest)).unwrap();
            let seasons: f64 = (0..12).map(|m| p.season(m)).sum();
            assert!((seasons - 12.0).abs() < 1e-9, "{first}/{rest}: {seasons}");
            for m in 0..12 {
                let shape: Vec<f64> = p.month_shape(m).collect();
                assert!(shape.iter().all(|w| w.is_finite() && *w >= 0.0));
                let sum: f64 = shape.iter().sum();
                assert!(
                    sum == 0.0 || (sum - 1.0).abs() < 1e-12,
                    "{first}/{rest} month {m}"
                );
            }
        }
        // 1e-300 beside 1e308 is negligible: January carries the whole year.
        let p = Profile::from_csv("p.csv", &text("1e308", "1e-300")).unwrap();
        assert_eq!(p.season(0), 12.0);
    }

    #[test]
    fn scaling_by_a_power_of_two_keeps_every_bit() {
        let base: Vec<f64> = (0..HOURS_PER_YEAR)
            .map(|h| 0.3 + ((h * 7919) % 1000) as f64 / 77.0)
            .collect();
        let reference = Profile::from_hourly("a".into(), base.clone(), true);
        for k in [-1000, -40, -1, 1, 3, 900] {
            let scaled: Vec<f64> = base.iter().map(|w| w * 2f64.powi(k)).collect();
            let p = Profile::from_hourly("a".into(), scaled, true);
            for m in 0..12 {
                assert_eq!(p.season(m).to_bits(), reference.season(m).to_bits());
                assert!(
                    p.month_shape(m).eq(reference.month_shape(m)),
                    "2^{k}, month {m}"
                );
            }
        }
    }

    #[test]
    fn a_byte_order_mark_is_not_a_header() {
        let values: String = (0..HOURS_PER_YEAR)
            .map(|h| format!("{}\n", 1 + h % 3))
            .collect();
        let p = Profile::from_csv("p.csv", &format!("\u{feff}{values}")).unwrap();
        assert_eq!(p.hourly.len(), HOURS_PER_YEAR);
        assert!(p.seasonal);
    }

    #[test]
    fn any_line_ending_and_comments_after_values_are_read() {
        let value = |h: usize| 1 + h % 5;
        let lf = Profile::from_csv(
            "p.csv",
            &(0..HOURS_PER_MONTH)
                .map(|h| format!("{}\n", value(h)))
                .collect::<String>(),
        )
        .unwrap();
        for (ending, comment) in [("\r\n", ""), ("\r", ""), ("\n", " # a note"), ("\r", "#x")] {
            let text: String = std::iter::once(format!("load # the header{ending}"))
                .chain((0..HOURS_PER_MONTH).map(|h| format!("{}{comment}{ending}", value(h))))
                .collect();
            let p = Profile::from_csv("p.csv", &text).unwrap();
            assert_eq!(p.hourly, lf.hourly, "{ending:?} {comment:?}");
        }
        // A bad value on a line ending in CR is named at its own line.
        let text: String = (0..HOURS_PER_MONTH)
            .map(|h| {
                if h == 9 {
                    "x\r".to_string()
                } else {
                    format!("{}\r", value(h))
                }
            })
            .collect();
        let e = Profile::from_csv("p.csv", &text).unwrap_err();
        assert_eq!(e.position, Some((10, 1)));
    }

    #[test]
    fn builtin_profiles_have_a_year_and_the_documented_shape() {
        for name in BUILTIN_PROFILES {
            let p = Profile::builtin(name).unwrap();
            assert!(
                (0..12).all(|m| p.season(m) == 1.0),
                "{name} has no seasonality"
            );
            assert_eq!(p.hourly.len(), HOURS_PER_YEAR);
            let shape_sum: f64 = p.month_shape(3).sum();
            assert!((shape_sum - 1.0).abs() < 1e-12);
        }
        let bh = Profile::builtin("business-hours").unwrap();
        // Monday 09:00 is a business hour, Saturday 09:00 is not.
        assert_eq!(bh.hourly[9], 1.0);
        assert_eq!(bh.hourly[5 * 24 + 9], 0.2);
        let bursty = Profile::builtin("bursty").unwrap();
        let mean = bursty.hourly.iter().sum::<f64>() / HOURS_PER_YEAR as f64;
        let peak_to_mean = 1.15 / mean;
        assert!(
            (2.8..3.9).contains(&peak_to_mean),
            "peak/mean {peak_to_mean}"
        );
        assert!(Profile::builtin("spiky").is_none());
    }

    /// The built-in profiles are the README's formulas ("Built-in profiles"), with the hash
    /// checked against the published SplitMix64 sequence (seed 0: the first three outputs).
    #[test]
    fn builtin_profiles_follow_the_documented_formulas() {
        const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;
        let published = [
            0xe220_a839_7b1d_cdaf,
            0x6e78_9e6a_a1b9_65f4,
            0x06c4_5d18_8009_454f,
        ];
        for (k, expected) in published.into_iter().enumerate() {
            assert_eq!(
                splitmix64(GOLDEN.wrapping_mul(k as u64)),
                expected,
                "output {k}"
            );
        }
        let bh = Profile::builtin("business-hours").unwrap();
        let bursty = Profile::builtin("bursty").unwrap();
        for y in 0..HOURS_PER_YEAR {
            let (day, hour) = ((y / 24) % 7, y % 24);
            let office = day <= 4 && (8..=17).contains(&hour);
            assert_eq!(bh.hourly[y], if office { 1.0 } else { 0.2 }, "hour {y}");
            let u = (splitmix64((y / 12) as u64 ^ 0x7c05_1d0e) >> 11) as f64 / 2f64.powi(53);
            assert_eq!(
                bursty.hourly[y],
                if u < 0.2 { 1.15 } else { 0.15 },
                "hour {y}"
            );
        }
        // March (calendar month 2) starts at hour 1460, a Friday 20:00.
        assert_eq!(
            ((2 * HOURS_PER_MONTH / 24) % 7, 2 * HOURS_PER_MONTH % 24),
            (4, 20)
        );
    }

    #[test]
    fn csv_profiles_are_checked() {
        let month: String = (0..730).map(|h| format!("{}\n", h % 24)).collect();
        let p = Profile::from_csv("m.csv", &format!("load\n{month}")).unwrap();
        assert_eq!(p.hourly.len(), HOURS_PER_YEAR);
        assert!((p.season(0) - 1.0).abs() < 1e-12);
        let short = Profile::from_csv("s.csv", "1\n2\n3\n").unwrap_err();
        assert!(short.to_string().contains("wrong length"));
        // The count is of the values in the file, a month's or a year's.
        for n in [HOURS_PER_MONTH, HOURS_PER_YEAR] {
            let zeros = format!("load\n{}", "0\n".repeat(n));
            let err = Profile::from_csv("z.csv", &zeros).unwrap_err().to_string();
            assert!(err.contains("all zero"), "{err}");
            assert!(err.contains(&format!("found: {n} zeros")), "{err}");
        }
        let neg = Profile::from_csv("n.csv", "load\n1\n-2\n").unwrap_err();
        assert_eq!(neg.position, Some((3, 1)));
    }
}

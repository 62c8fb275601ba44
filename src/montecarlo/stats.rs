//! Streaming statistics for Monte Carlo results: bounded memory, and bit-for-bit the same
//! whatever the number of threads.
//!
//! # Why these designs
//!
//! A run may draw millions of samples on any number of threads, and the report must not
//! change when the thread count does. Floating-point sums are not associative, so "add
//! everything, in whatever order the threads finish" would make the last digits depend on
//! the scheduler. The two accumulators here avoid that in different ways:
//!
//! * [`QuantileSketch`] only ever *counts*: every value goes to a bucket chosen from the value
//!   alone, and bucket counts are integers (`u32` per bucket, `u64` in total). Merging adds integers and takes exact minima and
//!   maxima, so merging is exact, associative and commutative: any split of the samples,
//!   merged in any order, yields an identical sketch (`==`). The price is a bounded relative
//!   error ([`QuantileSketch::REL_ERROR`]) on quantiles, which is far below the uncertainty of
//!   any cost estimate; memory is a fixed number of buckets whatever the sample count.
//! * [`Moments`] (mean and standard deviation) needs real sums. It is made deterministic by
//!   fixing the *shape* of the computation instead: callers accumulate fixed-size chunks of
//!   consecutive samples sequentially with [`Moments::add`], then combine the chunk results in
//!   chunk order with [`Moments::merge`]. Both operations are plain deterministic arithmetic,
//!   so the same chunking and order gives the same bits on any thread count (threads only
//!   decide *who* computes a chunk, not what is computed).
//!
//! Non-finite values never occur in a correct simulation; both accumulators `debug_assert`
//! on them and skip them in release builds, so a stray NaN cannot poison a whole report.

/// Values with `|v|` below this go to the zero bucket. Costs are in currency units, so a
/// millionth of a unit is indistinguishable from zero for reporting.
const TINY: f64 = 1e-6;

/// Ratio between consecutive bucket edges. A value in `[e, e γ)` is represented by the
/// geometric midpoint `e √γ`, whose relative error is at most `√γ - 1 < (γ - 1) / 2 = REL_ERROR`.
const GAMMA: f64 = 1.0 + 2.0 * QuantileSketch::REL_ERROR;

/// Buckets per sign: `ceil(ln(1e300 / TINY) / ln(GAMMA))` (704,943.3 → 704,944), checked by a
/// test. Values with `|v|` above 1e300 (beyond any figure a run can write, README "Limits")
/// share the last bucket; the exact minimum and maximum are still kept. Buckets are stored as a
/// window over those used, so the range costs nothing until values spread over it.
const BUCKETS: usize = 704_944;

/// Natural logarithm of `m` in `[1, 2]` in constant evaluation: `2 atanh((m − 1) / (m + 1))`
/// by its series, whose ratio `((m − 1) / (m + 1))² <= 1/9` makes 40 terms exact to the last bit
/// or two.
const fn ln_1_to_2(m: f64) -> f64 {
    let z = (m - 1.0) / (m + 1.0);
    let z2 = z * z;
    let mut term = z;
    let mut sum = 0.0;
    let mut k = 0;
    while k < 40 {
        sum += term / (2 * k + 1) as f64;
        term *= z2;
        k += 1;
    }
    2.0 * sum
}

/// `ln(GAMMA)`: the width of a bucket in `ln`.
const LN_GAMMA: f64 = ln_1_to_2(GAMMA);

/// `1 / ln(GAMMA)`, so that the hot path multiplies instead of dividing.
const INV_LN_GAMMA: f64 = 1.0 / LN_GAMMA;

/// Entries of the table behind [`fast_ln`].
const LN_TABLE_BITS: u32 = 10;

/// `ln(1 + i / 1024)` and `1 / (1 + i / 1024)` for the top mantissa bits `i`, built at compile
/// time so the hot path reads a plain static.
static LN_TABLE: [(f64, f64); 1 << LN_TABLE_BITS] = {
    let mut table = [(0.0, 0.0); 1 << LN_TABLE_BITS];
    let mut i = 0;
    while i < table.len() {
        let m0 = 1.0 + i as f64 / (1u32 << LN_TABLE_BITS) as f64;
        table[i] = (ln_1_to_2(m0), 1.0 / m0);
        i += 1;
    }
    table
};

/// Natural logarithm of a positive normal `x` from its exponent, a table over the top ten
/// mantissa bits and a second-order correction: absolute error below 1e-9, far inside a bucket
/// (whose width in `ln` is 1e-3), at a fraction of the cost of `ln` on the hot path of Monte
/// Carlo (hundreds of sketch updates per sample). Deterministic: pure arithmetic and a table.
fn fast_ln(x: f64) -> f64 {
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64;
    if exponent == 0 || exponent == 0x7ff {
        return x.ln();
    }
    let mantissa = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let i = ((bits >> (52 - LN_TABLE_BITS)) & ((1 << LN_TABLE_BITS) - 1)) as usize;
    let (ln_m0, inv_m0) = LN_TABLE[i];
    let r = (mantissa * inv_m0) - 1.0;
    (exponent - 1023) as f64 * std::f64::consts::LN_2 + ln_m0 + r - 0.5 * r * r
}

/// Bucket of a magnitude `a >= TINY` in buckets whose width in `ln` is `1 / inv_width`,
/// clamped to `0..=last` (the highest bucket index, as a float the caller converts once).
#[inline]
fn bucket_index(a: f64, inv_width: f64, last: f64) -> usize {
    // Truncation is the floor here: negative values go to bucket 0 below.
    let idx = fast_ln(a * (1.0 / TINY)) * inv_width;
    // Clamped in floating point first (NaN to 0), so that the conversion is a plain truncation
    // of a value in `0..=last` rather than `as`'s saturating one (several instructions more on
    // the hot path); `last` is far below 2^53, so the clamp is exact.
    let clamped = if idx >= 0.0 { idx.min(last) } else { 0.0 };
    clamped as u32 as usize
}

/// Lower edge of bucket `i` (upper edge of bucket `i - 1`) for positive magnitudes.
fn bucket_edge(i: usize) -> f64 {
    TINY * (i as f64 * LN_GAMMA).exp()
}

/// Geometric midpoint of the bucket joining fine buckets `i g .. (i + 1) g`.
fn group_mid(i: usize, g: usize) -> f64 {
    if g <= 1 {
        bucket_mid(i)
    } else {
        TINY * ((i as f64 + 0.5) * g as f64 * LN_GAMMA).exp()
    }
}

/// Geometric midpoint of bucket `i`.
fn bucket_mid(i: usize) -> f64 {
    TINY * ((i as f64 + 0.5) * LN_GAMMA).exp()
}

/// A bucket position in ascending order of value.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// Bucket index and fine buckets per bucket.
    Neg(usize, usize),
    Zero,
    Pos(usize, usize),
}

impl Slot {
    fn bounds(self) -> (f64, f64) {
        match self {
            Slot::Neg(i, g) => (-bucket_edge((i + 1) * g), -bucket_edge(i * g)),
            Slot::Zero => (-TINY, TINY),
            Slot::Pos(i, g) => (bucket_edge(i * g), bucket_edge((i + 1) * g)),
        }
    }

    fn representative(self) -> f64 {
        match self {
            Slot::Neg(i, g) => -group_mid(i, g),
            Slot::Zero => 0.0,
            Slot::Pos(i, g) => group_mid(i, g),
        }
    }
}

/// Nearest-rank position (1-based) of quantile `q` among `n >= 1` values: `ceil(q n)`,
/// at least 1 and at most `n`.
fn nearest_rank(q: f64, n: u64) -> u64 {
    let r = (q.clamp(0.0, 1.0) * n as f64).ceil();
    // `as` saturates (and maps NaN to 0, excluded by the caller).
    (r as u64).clamp(1, n)
}

/// A quantile sketch: a sign-aware log-bucketed histogram with relative bucket width
/// [`REL_ERROR`](Self::REL_ERROR), plus exact count, minimum and maximum.
///
/// Buckets: values with `|v| < 1e-6` (including 0) go to a zero bucket; a positive value goes
/// to bucket `floor(ln(v / 1e-6) / ln(1 + 2 REL_ERROR))`, so that bucket edges grow by the
/// factor `1 + 2 REL_ERROR`; values above `1e300` are clamped into the last bucket (704,944
/// buckets per sign, 70,495 for a coarse sketch). Negative values are mirrored. Bucket storage
/// is a window over the buckets used, so an empty sketch allocates nothing and each bucket
/// between the lowest and the highest used takes 4 bytes (a spread of a few times takes a few
/// kB, values from 1 to 1e12 about 110 kB per sign).
///
/// Counts are integers, so merging is exact, associative and commutative: any merge order gives
/// the same sketch (compare with `==`).
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileSketch {
    count: u64,
    /// Exact minimum and maximum; meaningless (0) while `count == 0`.
    min: f64,
    max: f64,
    zero: u64,
    /// Fine buckets per bucket of this sketch (1: fine; see [`QuantileSketch::coarse`]).
    group: usize,
    /// `1 / (group ln GAMMA)`: a magnitude's bucket is `floor(ln(|v| / TINY) × inv_width)`.
    inv_width: f64,
    /// Highest bucket index.
    last: usize,
    pos: Window,
    neg: Window,
}

/// Counts of a span of buckets covering every bucket used, so a sketch holds only the span of
/// its values (a few thousand buckets for a spread of a few times, whatever the magnitude).
/// The span grows with headroom, so its ends may hold zeros; equality ignores them.
#[derive(Debug, Clone, Default)]
struct Window {
    start: usize,
    /// Per-bucket counts saturate at 2^32 − 1 (runs are capped far below), halving the
    /// memory that hundreds of month-by-month sketches touch on every sample.
    counts: Vec<u32>,
}

impl PartialEq for Window {
    fn eq(&self, other: &Window) -> bool {
        self.trimmed() == other.trimmed()
    }
}

impl Window {
    /// Counts one value in bucket `i`.
    #[inline]
    fn add_one(&mut self, i: usize) {
        match self.counts.get_mut(i.wrapping_sub(self.start)) {
            Some(c) => *c = c.saturating_add(1),
            None => self.add(i, 1),
        }
    }

    /// Counts `c` values in bucket `i`, growing the span to reach it: rare on the hot path of
    /// [`add_one`](Self::add_one), so kept out of its way.
    #[cold]
    #[inline(never)]
    fn add(&mut self, i: usize, c: u64) {
        if c == 0 {
            return;
        }
        let c = u32::try_from(c).unwrap_or(u32::MAX);
        if self.counts.is_empty() {
            self.start = i;
            self.counts.push(c);
            return;
        }
        if i < self.start {
            // Grow downwards with headroom (at least half the span), so a run of ever smaller
            // values costs amortised constant time.
            let grow = (self.start - i).max(self.counts.len() / 2).min(self.start);
            let mut grown = vec![0; grow];
            grown.extend_from_slice(&self.counts);
            self.counts = grown;
            self.start -= grow;
        }
        let j = i - self.start;
        if j >= self.counts.len() {
            self.counts.resize(j + 1, 0);
        }
        self.counts[j] = self.counts[j].saturating_add(c);
    }

    fn merge(&mut self, other: &Window) {
        if other.counts.is_empty() {
            return;
        }
        if self.counts.is_empty() {
            *self = other.clone();
            return;
        }
        let start = self.start.min(other.start);
        let end = (self.start + self.counts.len()).max(other.start + other.counts.len());
        let mut counts = vec![0u32; end - start];
        for w in [&*self, other] {
            for (k, &c) in w.counts.iter().enumerate() {
                let slot = &mut counts[w.start + k - start];
                *slot = slot.saturating_add(c);
            }
        }
        *self = Window { start, counts };
    }

    /// The start and counts without zero buckets at either end.
    fn trimmed(&self) -> (usize, &[u32]) {
        let first = self.counts.iter().position(|&c| c > 0);
        let last = self.counts.iter().rposition(|&c| c > 0);
        match (first, last) {
            (Some(a), Some(b)) => (self.start + a, &self.counts[a..=b]),
            _ => (0, &[]),
        }
    }

    /// (absolute bucket index, count) in ascending index order.
    fn iter(&self) -> impl DoubleEndedIterator<Item = (usize, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .map(move |(k, &c)| (self.start + k, u64::from(c)))
    }
}

impl Default for QuantileSketch {
    fn default() -> Self {
        Self::new()
    }
}

impl QuantileSketch {
    /// Bound on the relative error of [`quantile`](Self::quantile) for values with magnitude in
    /// `[1e-6, 1e300]`. A twentieth of a percent is far below the spread of any cost estimate,
    /// and keeps the sketch to a few thousand buckets per sign for a spread of a few times.
    pub const REL_ERROR: f64 = 0.0005;

    /// An empty sketch (no allocation).
    pub fn new() -> Self {
        Self::with_group(1)
    }

    fn with_group(group: usize) -> Self {
        QuantileSketch {
            count: 0,
            min: 0.0,
            max: 0.0,
            zero: 0,
            group,
            inv_width: INV_LN_GAMMA / group as f64,
            last: (BUCKETS - 1) / group,
            pos: Window::default(),
            neg: Window::default(),
        }
    }

    /// Relative error bound of a [`coarse`](Self::coarse) sketch: its buckets join
    /// [`COARSE_GROUP`](Self::COARSE_GROUP) fine buckets, `(1 + 2 REL_ERROR)^10 ≈ 1.01` wide.
    pub const COARSE_REL_ERROR: f64 = 0.005;
    /// Fine buckets per bucket of a coarse sketch.
    pub const COARSE_GROUP: usize = 10;

    /// An empty sketch with ten times wider buckets (relative error at most
    /// [`COARSE_REL_ERROR`](Self::COARSE_REL_ERROR)): a tenth of the memory, for the many
    /// month-by-month sketches behind fan charts.
    pub fn coarse() -> Self {
        Self::with_group(Self::COARSE_GROUP)
    }

    /// Adds one value. Values must be finite: a non-finite value is a bug upstream, so it
    /// trips a `debug_assert` and is skipped in release builds.
    #[inline]
    pub fn add(&mut self, v: f64) {
        self.add_all(std::slice::from_ref(&v));
    }

    /// Adds each of `values`, as [`add`](Self::add) one by one. The count, minimum and maximum
    /// are carried in locals through the run and stored once, so a run of values costs little
    /// more than finding and counting each one's bucket.
    pub fn add_all(&mut self, values: &[f64]) {
        let (mut count, mut min, mut max) = (self.count, self.min, self.max);
        let last = self.last as f64;
        for &v in values {
            if !v.is_finite() {
                debug_assert!(false, "QuantileSketch::add: non-finite value {v}");
                continue;
            }
            // Normalise -0.0 to 0.0 so that min/max do not depend on the order of signed zeros.
            let v = v + 0.0;
            // Values are finite and zeros unsigned here, so comparisons are exact minima and
            // maxima.
            if count == 0 {
                min = v;
                max = v;
            } else {
                if v < min {
                    min = v;
                }
                if v > max {
                    max = v;
                }
            }
            count = count.saturating_add(1);
            let a = v.abs();
            if a < TINY {
                self.zero = self.zero.saturating_add(1);
                continue;
            }
            let i = bucket_index(a, self.inv_width, last);
            if v > 0.0 {
                self.pos.add_one(i);
            } else {
                self.neg.add_one(i);
            }
        }
        (self.count, self.min, self.max) = (count, min, max);
    }

    /// Adds all values of `other` to `self`. Exact: the result does not depend on how the
    /// values were split between sketches nor on the order of merges.
    pub fn merge(&mut self, other: &QuantileSketch) {
        debug_assert_eq!(
            self.group, other.group,
            "merging sketches of different resolutions"
        );
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            self.min = other.min;
            self.max = other.max;
        } else {
            self.min = self.min.min(other.min);
            self.max = self.max.max(other.max);
        }
        self.count = self.count.saturating_add(other.count);
        self.zero = self.zero.saturating_add(other.zero);
        self.pos.merge(&other.pos);
        self.neg.merge(&other.neg);
    }

    /// Number of values added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Exact smallest value, `None` when empty.
    pub fn min(&self) -> Option<f64> {
        (self.count > 0).then_some(self.min)
    }

    /// Exact largest value, `None` when empty.
    pub fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }

    /// All bucket positions in ascending order of value, with their counts (including empty
    /// buckets between used ones).
    fn slots(&self) -> impl Iterator<Item = (Slot, u64)> + '_ {
        let g = self.group;
        let neg = self
            .neg
            .iter()
            .rev()
            .map(move |(i, c)| (Slot::Neg(i, g), c));
        let zero = std::iter::once((Slot::Zero, self.zero));
        let pos = self.pos.iter().map(move |(i, c)| (Slot::Pos(i, g), c));
        neg.chain(zero).chain(pos)
    }

    /// Nearest-rank quantile: with `n` values sorted ascending, the value of rank
    /// `r = max(1, ceil(q n))` (1-based), i.e. the smallest value whose rank is at least
    /// `q n`. `q` is clamped to `[0, 1]`; `None` when empty or `q` is NaN.
    ///
    /// Rank 1 and rank `n` return the exact minimum and maximum. Other ranks return the
    /// geometric midpoint of the bucket holding that rank, clamped to `[min, max]`: relative
    /// error at most [`REL_ERROR`](Self::REL_ERROR) for magnitudes in `[1e-6, 1e300]`, absolute
    /// error below `1e-6` in the zero bucket, and exact when all values are equal.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 || q.is_nan() {
            return None;
        }
        let r = nearest_rank(q, self.count);
        if r == 1 {
            return Some(self.min);
        }
        if r == self.count {
            return Some(self.max);
        }
        let mut seen = 0u64;
        for (slot, c) in self.slots() {
            seen = seen.saturating_add(c);
            if seen >= r {
                return Some(slot.representative().clamp(self.min, self.max));
            }
        }
        // Unreachable when the counts are consistent; the maximum is the safe answer.
        Some(self.max)
    }

    /// Histogram for a chart: `(lower, upper, count)` bins in ascending order of value,
    /// contiguous (each bin's `upper` is the next bin's `lower`), covering exactly
    /// `[min, max]`, with at most `max_bins` bins.
    ///
    /// The buckets from the lowest to the highest used one (including empty ones in between,
    /// so the bins tile the range) are grouped into runs of `ceil(buckets / max_bins)`
    /// adjacent buckets. Bin widths therefore grow geometrically away from zero, like the
    /// buckets. Empty when the sketch is empty or `max_bins == 0`.
    pub fn histogram(&self, max_bins: usize) -> Vec<(f64, f64, u64)> {
        if self.count == 0 || max_bins == 0 {
            return Vec::new();
        }
        let slots: Vec<(Slot, u64)> = self.slots().collect();
        let (Some(first), Some(last)) = (
            slots.iter().position(|&(_, c)| c > 0),
            slots.iter().rposition(|&(_, c)| c > 0),
        ) else {
            return Vec::new();
        };
        let used = &slots[first..=last];
        let group = used.len().div_ceil(max_bins);
        let mut bins = Vec::with_capacity(used.len().div_ceil(group));
        let mut lower = self.min;
        for (k, run) in used.chunks(group).enumerate() {
            let is_last = (k + 1) * group >= used.len();
            let upper = if is_last {
                self.max
            } else {
                // The next run's lower edge, kept inside [lower, max] so the bins stay
                // ordered even where rounding put a value just across a bucket edge.
                run[run.len() - 1].0.bounds().1.clamp(lower, self.max)
            };
            let count = run.iter().fold(0u64, |acc, &(_, c)| acc.saturating_add(c));
            bins.push((lower, upper, count));
            lower = upper;
        }
        bins
    }
}

/// Deviations are kept below `2^MAX_SCALED_EXP` times the current scale, so squared
/// deviations (≤ 2^896), times merge weights (≤ 2^64), summed over up to 2^64 samples stay
/// below `f64::MAX` (2^1024).
const MAX_SCALED_EXP: i32 = 448;

/// Mean and standard deviation, accumulated so that results do not depend on how samples
/// are split across threads.
///
/// Protocol: accumulate fixed-size chunks of consecutive samples sequentially with
/// [`add`](Self::add), then combine the chunk results in chunk order with
/// [`merge`](Self::merge). Both are deterministic functions of their inputs, so a given
/// chunking merged in a given order gives the same bits every time; the thread count only
/// decides who computes each chunk. (A different chunking may differ in the last bits.)
///
/// Numerics: Welford's update within a chunk and Chan et al.'s pairwise update for merges,
/// both on values shifted by the first value seen (`shift`), so `n` identical values give
/// exactly that value as mean and exactly 0 as standard deviation, and data with a large
/// offset lose no precision. Internally deviations are halved (exact) and the sum of squared
/// deviations carries a power-of-two scale that only leaves 1 for deviations beyond ~1e134,
/// so any finite input gives finite results (the standard deviation saturates at `f64::MAX`
/// in the one case where the true value exceeds it, about ±1.3e308 spreads).
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    n: u64,
    /// First value seen by this accumulator (by the first chunk, after merges).
    shift: f64,
    /// Mean of `(x - shift) / 2`.
    mean_h: f64,
    /// Sum of squared deviations of `(x - shift) / 2` from `mean_h`, divided by `scale²`.
    m2_h: f64,
    /// Power of two, 1 except for huge deviations.
    scale: f64,
    /// Exact extremes, used to keep the mean inside `[min, max]`.
    min: f64,
    max: f64,
}

impl Default for Moments {
    fn default() -> Self {
        Self::new()
    }
}

impl Moments {
    /// An empty accumulator.
    pub fn new() -> Self {
        Moments {
            n: 0,
            shift: 0.0,
            mean_h: 0.0,
            m2_h: 0.0,
            scale: 1.0,
            min: 0.0,
            max: 0.0,
        }
    }

    /// Adds one sample (Welford). Non-finite samples trip a `debug_assert` and are skipped in
    /// release builds.
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            debug_assert!(false, "Moments::add: non-finite value {x}");
            return;
        }
        let x = x + 0.0;
        if self.n == 0 {
            self.shift = x;
            self.min = x;
            self.max = x;
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        self.n = self.n.saturating_add(1);
        // Halving is exact for normal numbers and keeps the difference finite.
        let d = x * 0.5 - self.shift * 0.5;
        let delta = d - self.mean_h;
        self.mean_h += delta / self.n as f64;
        let after = d - self.mean_h;
        self.add_m2(delta, after, 1.0);
    }

    /// Adds `a * b * weight` to the scaled sum of squares, raising the scale first if `a` or
    /// `b` is huge. `a` and `b` have the same sign in every use, so the term is `>= 0`.
    fn add_m2(&mut self, a: f64, b: f64, weight: f64) {
        let m = a.abs().max(b.abs());
        if m == 0.0 {
            return;
        }
        let limit = 2f64.powi(MAX_SCALED_EXP);
        while m / self.scale > limit {
            // Exact power-of-two rescaling; a sum that underflows here is negligible next to
            // the new term anyway.
            self.scale *= 2f64.powi(64);
            self.m2_h *= 2f64.powi(-128);
        }
        self.m2_h += (a / self.scale) * (b / self.scale) * weight;
    }

    /// Appends the samples summarised by `other`, which must come *after* those of `self` in
    /// the fixed chunk order (Chan et al.). Deterministic given the order; `self` keeps its
    /// shift, `other`'s mean is re-expressed relative to it.
    pub fn merge(&mut self, other: &Moments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = other.clone();
            return;
        }
        let na = self.n as f64;
        let nb = other.n as f64;
        self.n = self.n.saturating_add(other.n);
        let n = self.n as f64;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        let mean_b = other.mean_h + (other.shift * 0.5 - self.shift * 0.5);
        let delta = mean_b - self.mean_h;
        self.mean_h += delta * (nb / n);
        let scale = self.scale.max(other.scale);
        let ra = self.scale / scale;
        let rb = other.scale / scale;
        self.m2_h = self.m2_h * ra * ra + other.m2_h * rb * rb;
        self.scale = scale;
        self.add_m2(delta, delta, na * (nb / n));
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Arithmetic mean, `None` when empty. Exactly the common value when all samples are
    /// equal; always within `[min, max]`.
    pub fn mean(&self) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        if self.mean_h == 0.0 {
            return Some(self.shift);
        }
        let mut m = self.shift + 2.0 * self.mean_h;
        if !m.is_finite() {
            m = (self.shift * 0.5 + self.mean_h) * 2.0;
        }
        Some(m.clamp(self.min, self.max))
    }

    /// Sample standard deviation (divisor `n - 1`); `None` for fewer than two samples, where
    /// it is not defined.
    pub fn sd(&self) -> Option<f64> {
        match self.n {
            0 | 1 => None,
            n => {
                if self.m2_h <= 0.0 {
                    return Some(0.0);
                }
                let sd = (self.m2_h / (n - 1) as f64).sqrt() * self.scale * 2.0;
                Some(if sd.is_finite() { sd } else { f64::MAX })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The representative is a geometric midpoint, so its error is at most √γ - 1 ≈ 0.00499;
    /// the extra 1e-12 covers rounding in ln/exp when a value sits on a bucket edge.
    const SKETCH_TOL: f64 = QuantileSketch::REL_ERROR + 1e-12;

    /// Welford and a two-pass computation both have rounding errors of order
    /// `sqrt(n) * ε` ≈ 1e-14 for the sizes used here; 1e-12 leaves a wide margin while still
    /// catching any formula error.
    const MOMENTS_REL_TOL: f64 = 1e-12;

    /// Upper end of the bucketed range that `BUCKETS` is sized for.
    const LARGE: f64 = 1e300;

    fn exact_quantile(sorted: &[f64], q: f64) -> f64 {
        let r = nearest_rank(q, sorted.len() as u64);
        sorted[(r - 1) as usize]
    }

    fn sketch_of(values: &[f64]) -> QuantileSketch {
        let mut s = QuantileSketch::new();
        for &v in values {
            s.add(v);
        }
        s
    }

    const QS: [f64; 13] = [
        0.0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0,
    ];

    /// Checks every quantile in `QS` against the exact nearest-rank value.
    fn check_quantiles(values: &[f64]) {
        let s = sketch_of(values);
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        for q in QS {
            let exact = exact_quantile(&sorted, q);
            let got = s.quantile(q).unwrap();
            let err = if exact.abs() < TINY {
                (got - exact).abs() / TINY
            } else {
                (got - exact).abs() / exact.abs()
            };
            assert!(
                err <= SKETCH_TOL,
                "q={q}: got {got}, exact {exact}, err {err}"
            );
        }
    }

    /// Deterministic pseudo-random stream in [0, 1) (splitmix64).
    fn uniforms(seed: u64, n: usize) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                (z >> 11) as f64 * 2f64.powi(-53)
            })
            .collect()
    }

    #[test]
    fn bucket_range_covers_large() {
        let fine = |a| bucket_index(a, INV_LN_GAMMA, (BUCKETS - 1) as f64);
        assert!(fine(LARGE) < BUCKETS);
        assert!(bucket_edge(BUCKETS) >= LARGE);
        assert!(bucket_edge(BUCKETS - 1) < LARGE);
        assert_eq!(fine(TINY), 0);
        assert_eq!(fine(1e300), BUCKETS - 1);
        assert_eq!(fine(f64::MAX), BUCKETS - 1);
        // The compile-time logarithms agree with the library's.
        assert!((LN_GAMMA - GAMMA.ln()).abs() < 1e-18);
        for (i, (ln_m0, inv_m0)) in LN_TABLE.iter().enumerate() {
            let m0 = 1.0 + i as f64 / 1024.0;
            assert!((ln_m0 - m0.ln()).abs() < 4e-16, "ln({m0})");
            assert_eq!(*inv_m0, 1.0 / m0);
        }
    }

    #[test]
    fn fast_ln_is_accurate() {
        /// The second-order remainder r³/3 with r < 2^-10 is below 3.2e-10; rounding adds less.
        const FAST_LN_TOL: f64 = 1e-9;
        let mut x = 1e-6;
        while x < 1e302 {
            for k in 0..50 {
                let v = x * (1.0 + f64::from(k) * 0.0173);
                assert!((fast_ln(v) - v.ln()).abs() < FAST_LN_TOL, "{v}");
            }
            x *= 3.7;
        }
    }

    #[test]
    fn quantiles_of_large_figures_keep_their_bound() {
        // Money far beyond 1e18 (a trillion GPU-hours a month at a few million an hour): the
        // quantiles are within the relative error like any other, not stuck at one bucket.
        for scale in [1e17, 3.75e18, 1e40, 1e80, 1e100, 1e250] {
            let values: Vec<f64> = (0..4_001)
                .map(|k| scale * (1.0 + 3.0 * f64::from(k) / 4_000.0))
                .collect();
            check_quantiles(&values);
            let negative: Vec<f64> = values.iter().map(|v| -v).collect();
            check_quantiles(&negative);
        }
    }

    #[test]
    fn coarse_sketch_quantiles_within_its_bound() {
        let values: Vec<f64> = (1..50_000).map(|k| 1000.0 + f64::from(k) * 0.37).collect();
        let mut coarse = QuantileSketch::coarse();
        for v in &values {
            coarse.add(*v);
        }
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.05, 0.1, 0.5, 0.9, 0.95] {
            let exact = sorted[((q * sorted.len() as f64).ceil() as usize).max(1) - 1];
            let got = coarse.quantile(q).unwrap();
            assert!(
                (got - exact).abs() <= (QuantileSketch::COARSE_REL_ERROR + 1e-12) * exact,
                "q {q}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn empty_sketch() {
        let s = QuantileSketch::new();
        assert_eq!(s.count(), 0);
        assert_eq!(s.min(), None);
        assert_eq!(s.max(), None);
        assert_eq!(s.quantile(0.5), None);
        assert!(s.histogram(10).is_empty());
        assert_eq!(s.pos.counts.capacity() + s.neg.counts.capacity(), 0);
    }

    #[test]
    fn uniform_integers_quantiles() {
        let values: Vec<f64> = (0..100_000).map(f64::from).collect();
        check_quantiles(&values);
        let s = sketch_of(&values);
        assert_eq!(s.count(), 100_000);
        assert_eq!(s.min(), Some(0.0));
        assert_eq!(s.max(), Some(99_999.0));
    }

    #[test]
    fn lognormal_like_quantiles() {
        // exp of a deterministic, roughly normal sequence (sum of 4 uniforms, centred).
        let u = uniforms(7, 400_000);
        let values: Vec<f64> = u
            .chunks(4)
            .map(|c| (10.0 + 1.5 * (c.iter().sum::<f64>() - 2.0) * 3f64.sqrt()).exp())
            .collect();
        check_quantiles(&values);
    }

    #[test]
    fn negative_and_zero_values() {
        let mut values: Vec<f64> = (-50_000..50_000).map(|i| f64::from(i) * 3.7).collect();
        values.extend(std::iter::repeat_n(0.0, 5_000));
        values.extend(std::iter::repeat_n(-0.0, 5_000));
        values.extend((0..1000).map(|i| f64::from(i) * 1e-9 - 5e-7));
        check_quantiles(&values);
        let all_neg: Vec<f64> = (1..20_000).map(|i| -f64::from(i).powf(1.7)).collect();
        check_quantiles(&all_neg);
    }

    #[test]
    fn all_equal_values_are_exact() {
        for v in [0.0, 1.0, -3.25, 123_456.789, 1e-9, -7e20, 1e300] {
            let s = sketch_of(&vec![v; 1000]);
            for q in QS {
                assert_eq!(s.quantile(q), Some(v), "value {v}, q {q}");
            }
            let h = s.histogram(20);
            assert_eq!(h, vec![(v, v, 1000)]);
        }
    }

    #[test]
    fn beyond_range_keeps_exact_extremes() {
        let s = sketch_of(&[1e20, 2e25, -3e30, 5.0]);
        assert_eq!(s.min(), Some(-3e30));
        assert_eq!(s.max(), Some(2e25));
        assert_eq!(s.quantile(0.0), Some(-3e30));
        assert_eq!(s.quantile(1.0), Some(2e25));
        for q in QS {
            assert!(s.quantile(q).unwrap().is_finite());
        }
        assert!(
            s.pos.start + s.pos.counts.len() <= BUCKETS
                && s.neg.start + s.neg.counts.len() <= BUCKETS
        );
    }

    fn mixed_data() -> Vec<f64> {
        let u = uniforms(42, 50_000);
        u.iter()
            .enumerate()
            .map(|(i, &x)| match i % 5 {
                0 => 0.0,
                1 => -(x * 20.0).exp(),
                2 => x * 1e6,
                3 => (x - 0.5) * 1e-3,
                _ => (x * 40.0).exp(),
            })
            .collect()
    }

    /// Sketches of `parts` contiguous pieces of `values`.
    fn split_sketches(values: &[f64], parts: usize) -> Vec<QuantileSketch> {
        let size = values.len().div_ceil(parts);
        values.chunks(size).map(sketch_of).collect()
    }

    #[test]
    fn merge_is_order_and_split_independent() {
        let values = mixed_data();
        let whole = sketch_of(&values);
        for parts in [1, 2, 7, 64] {
            let pieces = split_sketches(&values, parts);
            // Forward.
            let mut fwd = QuantileSketch::new();
            for p in &pieces {
                fwd.merge(p);
            }
            // Reverse.
            let mut rev = QuantileSketch::new();
            for p in pieces.iter().rev() {
                rev.merge(p);
            }
            // Pairwise tree.
            let mut level = pieces.clone();
            while level.len() > 1 {
                level = level
                    .chunks(2)
                    .map(|c| {
                        let mut m = c[0].clone();
                        if let Some(b) = c.get(1) {
                            m.merge(b);
                        }
                        m
                    })
                    .collect();
            }
            let tree = level.pop().unwrap();
            // Interleaved: odd pieces first, then even ones, starting from a non-empty one.
            let mut inter = pieces[pieces.len() - 1].clone();
            for p in pieces.iter().rev().skip(1).step_by(2) {
                inter.merge(p);
            }
            for p in pieces.iter().rev().skip(2).step_by(2) {
                inter.merge(p);
            }
            for m in [&fwd, &rev, &tree, &inter] {
                assert_eq!(m, &whole, "parts {parts}");
                for q in QS {
                    assert_eq!(
                        m.quantile(q).map(f64::to_bits),
                        whole.quantile(q).map(f64::to_bits)
                    );
                }
                assert_eq!(m.histogram(50), whole.histogram(50));
            }
        }
        // Merging an empty sketch either way changes nothing.
        let mut m = whole.clone();
        m.merge(&QuantileSketch::new());
        assert_eq!(m, whole);
        let mut e = QuantileSketch::new();
        e.merge(&whole);
        assert_eq!(e, whole);
    }

    #[test]
    fn histogram_bins_are_contiguous_and_complete() {
        let values = mixed_data();
        let s = sketch_of(&values);
        for max_bins in [1, 2, 3, 10, 100, 100_000] {
            let h = s.histogram(max_bins);
            assert!(!h.is_empty() && h.len() <= max_bins);
            assert_eq!(h[0].0, s.min().unwrap());
            assert_eq!(h[h.len() - 1].1, s.max().unwrap());
            assert_eq!(h.iter().map(|b| b.2).sum::<u64>(), s.count());
            for w in h.windows(2) {
                assert_eq!(w[0].1, w[1].0);
            }
            for b in &h {
                assert!(b.0 <= b.1 && b.0.is_finite() && b.1.is_finite());
            }
        }
        assert!(s.histogram(0).is_empty());
    }

    fn two_pass(values: &[f64]) -> (f64, f64) {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let ss: f64 = values.iter().map(|x| (x - mean) * (x - mean)).sum();
        (mean, (ss / (n - 1.0)).sqrt())
    }

    fn moments_of(values: &[f64]) -> Moments {
        let mut m = Moments::new();
        for &x in values {
            m.add(x);
        }
        m
    }

    fn chunked(values: &[f64], chunk: usize) -> Moments {
        let mut total = Moments::new();
        for c in values.chunks(chunk) {
            total.merge(&moments_of(c));
        }
        total
    }

    fn assert_rel(got: f64, want: f64, what: &str) {
        let rel = (got - want).abs() / want.abs();
        assert!(
            rel <= MOMENTS_REL_TOL,
            "{what}: got {got}, want {want}, rel {rel}"
        );
    }

    #[test]
    fn moments_match_two_pass() {
        let u = uniforms(3, 20_000);
        let datasets: Vec<Vec<f64>> = vec![
            u.iter().map(|x| 1e6 + 250.0 * x).collect(),
            u.iter().map(|x| (x * 12.0).exp()).collect(),
            u.iter().map(|x| (x - 0.3) * 1e-3).collect(),
            (0..20_000).map(f64::from).collect(),
        ];
        for values in &datasets {
            let (mean, sd) = two_pass(values);
            for m in [
                moments_of(values),
                chunked(values, 1000),
                chunked(values, 7),
            ] {
                assert_eq!(m.count(), values.len() as u64);
                assert_rel(m.mean().unwrap(), mean, "mean");
                assert_rel(m.sd().unwrap(), sd, "sd");
            }
        }
    }

    #[test]
    fn identical_values_exact() {
        for v in [
            0.0,
            1.0,
            -2.5,
            0.1,
            1e-300,
            5e-324,
            123_456_789.123,
            -1.7e308,
        ] {
            let values = vec![v; 10_007];
            for m in [moments_of(&values), chunked(&values, 1000)] {
                assert_eq!(m.mean(), Some(v));
                assert_eq!(m.sd(), Some(0.0));
            }
        }
        let mut one = Moments::new();
        one.add(4.5);
        assert_eq!((one.mean(), one.sd()), (Some(4.5), None));
        let empty = Moments::new();
        assert_eq!((empty.count(), empty.mean(), empty.sd()), (0, None, None));
    }

    #[test]
    fn chunked_merge_is_deterministic() {
        let u = uniforms(11, 30_000);
        let values: Vec<f64> = u.iter().map(|x| 1e4 * x * x - 17.0).collect();
        let a = chunked(&values, 1024);
        let b = chunked(&values, 1024);
        assert_eq!(a, b);
        assert_eq!(a.mean().unwrap().to_bits(), b.mean().unwrap().to_bits());
        assert_eq!(a.sd().unwrap().to_bits(), b.sd().unwrap().to_bits());
        // Chunk results computed "out of order" (as threads would) but merged in order.
        let mut parts: Vec<(usize, Moments)> =
            values.chunks(1024).map(moments_of).enumerate().collect();
        parts.reverse();
        parts.sort_by_key(|&(i, _)| i);
        let mut c = Moments::new();
        for (_, p) in &parts {
            c.merge(p);
        }
        assert_eq!(c, a);
    }

    #[test]
    fn extreme_values_stay_finite() {
        let values = [f64::MAX, -f64::MAX, 1.0, f64::MAX, 1e300, -1e-300];
        let m = moments_of(&values);
        let mean = m.mean().unwrap();
        let sd = m.sd().unwrap();
        assert!(mean.is_finite() && sd.is_finite() && sd > 1e307);
        let c = chunked(&values, 2);
        assert!(c.mean().unwrap().is_finite() && c.sd().unwrap().is_finite());
        // Huge but not overflowing: compare with an exactly scaled-down computation.
        let big: Vec<f64> = (0..1000).map(|i| f64::from(i) * 1e300).collect();
        let small: Vec<f64> = (0..1000).map(f64::from).collect();
        let (mb, ms) = (moments_of(&big), moments_of(&small));
        assert_rel(mb.mean().unwrap() / 1e300, ms.mean().unwrap(), "big mean");
        assert_rel(mb.sd().unwrap() / 1e300, ms.sd().unwrap(), "big sd");
    }

    proptest! {
        #[test]
        fn quantile_monotone_and_bounded(
            values in proptest::collection::vec(
                prop_oneof![-1e12..1e12f64, -1.0..1.0f64, Just(0.0), -1e-5..1e-5f64], 1..300),
            mut qs in proptest::collection::vec(0.0..=1.0f64, 1..30),
        ) {
            let s = sketch_of(&values);
            let (lo, hi) = (s.min().unwrap(), s.max().unwrap());
            qs.sort_by(f64::total_cmp);
            let mut prev = f64::NEG_INFINITY;
            for q in qs {
                let v = s.quantile(q).unwrap();
                prop_assert!(v >= lo && v <= hi, "{v} outside [{lo}, {hi}]");
                prop_assert!(v >= prev, "not monotone at q={q}: {v} < {prev}");
                prev = v;
            }
        }

        #[test]
        fn merge_any_split_equals_whole(
            values in proptest::collection::vec(-1e9..1e9f64, 0..200),
            cut in 0usize..200,
        ) {
            let cut = cut.min(values.len());
            let mut a = sketch_of(&values[..cut]);
            let b = sketch_of(&values[cut..]);
            let mut b2 = b.clone();
            b2.merge(&a);
            a.merge(&b);
            let whole = sketch_of(&values);
            prop_assert_eq!(&a, &whole);
            prop_assert_eq!(&b2, &whole);
        }
    }
}

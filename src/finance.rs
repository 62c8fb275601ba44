//! Pure time-value-of-money and depreciation arithmetic for tcosim.
//!
//! Everything here is a plain, deterministic function of its arguments: no
//! I/O, no global state, and no dependency on the rest of the crate.
//!
//! # Conventions
//!
//! * **Rates are fractions, not percentages.** `0.06` means 6 %. A rate is
//!   always "per period"; the period (month, year, ...) is whatever the
//!   caller's cash-flow vector uses. [`monthly_rate`] converts an effective
//!   annual rate to the equivalent effective monthly rate (README equation F1).
//! * **Money is unit-less.** Amounts come back in the same currency unit as
//!   they went in.
//! * **Cash-flow timing.** In [`npv`] and [`irr`], `flows[t]` occurs at time
//!   `t` periods from now: `flows[0]` is today and is not discounted,
//!   `flows[1]` is discounted by one period, and so on. Signs are the
//!   caller's: typically outflows negative, inflows positive.
//! * **Loans and leases** ([`payment`], [`remaining_balance`]) use level
//!   payments *in arrears*: the principal is advanced at time 0 and the first
//!   payment falls at the end of period 1. Between payments the balance grows
//!   by the periodic rate: `balance[k+1] = balance[k] * (1 + i) - payment`.
//!   A `balloon` (e.g. a lease residual) is what is still owed right after the
//!   last level payment; it is *not* included in the level payments.
//! * **Depreciation years** are counted from acquisition, not calendar or
//!   fiscal years. A [`Depreciation::Table`] (such as US MACRS) already bakes
//!   its first-year convention into its rates. [`monthly_depreciation`]
//!   spreads each year's amount evenly over that year's 12 months.
//! * **Multiple IRRs.** A cash-flow vector that changes sign more than once
//!   can have several internal rates of return. tcosim's documented choice is
//!   to report the root closest to a caller-supplied rate (normally the
//!   discount rate), together with the number of distinct roots found in the
//!   search range, so that the ambiguity is visible. See [`irr`].
//!
//! # Robustness contract
//!
//! No function here panics, and for finite inputs no function returns NaN or
//! an infinity:
//!
//! * functions that can fail return `Option` ([`payment`],
//!   [`remaining_balance`]), an enum ([`irr`]), or an empty vector
//!   (depreciation schedules with invalid parameters);
//! * the three functions whose signature is a bare `f64` ([`monthly_rate`],
//!   [`discount_factor`], [`npv`]) define a limit value for rates at or below
//!   -100 % per period and saturate at `±f64::MAX` when the exact result is
//!   too large to represent. They return NaN only when an input is itself NaN
//!   or infinite.

/// Smallest per-period rate (exclusive) searched by [`irr`]: a 99 % loss per period.
const IRR_RATE_MIN: f64 = -0.99;
/// Largest per-period rate (inclusive) searched by [`irr`]: a 1000 % gain per period.
const IRR_RATE_MAX: f64 = 10.0;
/// Number of grid intervals, evenly spaced in `ln(1 + r)`, scanned by [`irr`].
/// `ln(11 / 0.01) / 4096 ≈ 0.0017`, i.e. neighbouring grid rates differ by
/// about 0.17 % of `1 + r` (about 17 basis points near `r = 0`).
const IRR_GRID_INTERVALS: u32 = 4096;
/// Bisection in [`irr`] stops once the bracket width is at most this fraction
/// of both `|r|` and `1 + r` (relative precision in the rate and in the
/// growth factor, the latter mattering near -100 %).
const IRR_REL_TOL: f64 = 1e-12;
/// Hard cap on bisection steps. 200 halvings shrink any bracket (width at
/// most 11) below 1e-59, so the cap only matters for a root at exactly
/// `r = 0`, where a tolerance relative to `|r|` can never be met.
const IRR_MAX_BISECTIONS: u32 = 200;
/// Longest depreciation schedule (in years) accepted. Longer lives or tables
/// are treated as invalid parameters rather than allocating huge vectors.
pub const MAX_DEPRECIATION_YEARS: u32 = 1_000;
/// Months in a year, for monthly conversions.
const MONTHS_PER_YEAR: u32 = 12;

/// Monthly rate equivalent to an annual rate: `(1 + r)^(1/12) - 1`.
/// (README equation F1)
///
/// * `annual_rate`: effective annual rate as a fraction per year (0.12 = 12 %/yr).
/// * Returns the effective monthly rate as a fraction per month; compounding
///   it 12 times gives back `annual_rate`.
///
/// Computed as `expm1(ln_1p(r) / 12)` so small rates keep full precision.
/// Rates at or below -1 (losing everything or more within the year) have no
/// real monthly equivalent; they return the limit value `-1.0`. A NaN or
/// infinite input returns NaN.
pub fn monthly_rate(annual_rate: f64) -> f64 {
    if !annual_rate.is_finite() {
        return f64::NAN;
    }
    if annual_rate <= -1.0 {
        return -1.0;
    }
    (annual_rate.ln_1p() / f64::from(MONTHS_PER_YEAR)).exp_m1()
}

/// Discount factor `1 / (1 + i)^t` for `t` periods (`t` may be fractional or negative).
///
/// * `rate_per_period`: `i`, a fraction per period.
/// * `periods`: `t`, in periods of the same length as the rate's.
/// * Returns a dimensionless factor: the present value of 1 currency unit
///   received `t` periods from now.
///
/// For rates at or below -1 the factor is the limit as `i → -1` from above:
/// `f64::MAX` (standing in for +∞) when `t > 0`, `1` when `t == 0`, and `0`
/// when `t < 0`. Results too large for `f64` saturate at `f64::MAX`. A NaN or
/// infinite input returns NaN.
pub fn discount_factor(rate_per_period: f64, periods: f64) -> f64 {
    if !rate_per_period.is_finite() || !periods.is_finite() {
        return f64::NAN;
    }
    if periods == 0.0 {
        return 1.0;
    }
    if rate_per_period <= -1.0 {
        return if periods > 0.0 { f64::MAX } else { 0.0 };
    }
    // -t * ln(1+i) is finite or ±inf (never NaN): both factors are finite.
    let factor = (-periods * rate_per_period.ln_1p()).exp();
    factor.min(f64::MAX)
}

/// Net present value of `flows`, where `flows[t]` occurs at time `t`
/// (`t = 0` is today and is undiscounted): `Σ flows[t] / (1 + i)^t`.
///
/// * `rate_per_period`: `i`, a fraction per period (the period of the flows).
/// * `flows`: amounts in any currency unit, one per period.
/// * Returns the present value at time 0 in the same currency unit. An empty
///   slice has NPV 0.
///
/// If the exact result exceeds `f64` range it saturates at `±f64::MAX`
/// (intermediate overflow alone does not cause saturation: a rescaled sum is
/// used then). For rates at or below -1 the value is the limit as `i → -1`
/// from above: `±f64::MAX` with the sign of the last non-zero flow at
/// `t ≥ 1`, or `flows[0]` when every later flow is zero. A NaN or infinite
/// input returns NaN.
pub fn npv(rate_per_period: f64, flows: &[f64]) -> f64 {
    if !rate_per_period.is_finite() || flows.iter().any(|f| !f.is_finite()) {
        return f64::NAN;
    }
    let first = flows.first().copied().unwrap_or(0.0);
    if rate_per_period <= -1.0 {
        let last_later = flows.iter().skip(1).rev().find(|f| **f != 0.0);
        return match last_later {
            Some(f) => f.signum() * f64::MAX,
            None => first,
        };
    }
    let ln_growth = rate_per_period.ln_1p();
    npv_direct(ln_growth, flows).unwrap_or_else(|| npv_rescaled(ln_growth, flows))
}

/// Straightforward `Σ f_t · exp(-t · ln(1+i))`, or `None` if any discount
/// factor or partial sum leaves the normal `f64` range (so precision could be
/// lost to overflow or underflow).
fn npv_direct(ln_growth: f64, flows: &[f64]) -> Option<f64> {
    let mut sum = 0.0_f64;
    for (t, &flow) in flows.iter().enumerate() {
        if flow == 0.0 {
            continue;
        }
        let factor = (-(t as f64) * ln_growth).exp();
        if !factor.is_normal() {
            return None;
        }
        let term = flow * factor;
        sum += term;
        if !term.is_finite() || !sum.is_finite() {
            return None;
        }
    }
    Some(sum)
}

/// NPV evaluated in log space: every term is written as
/// `sign · exp(e_t)` with `e_t = ln|f_t| - t · ln(1+i)`, the terms are summed
/// relative to the largest `e_t`, and the scale is re-applied at the end with
/// saturation at `±f64::MAX`. Slightly less accurate than the direct sum but
/// immune to intermediate overflow and underflow.
fn npv_rescaled(ln_growth: f64, flows: &[f64]) -> f64 {
    let exponent = |t: usize, flow: f64| flow.abs().ln() - (t as f64) * ln_growth;
    let max_exponent = flows
        .iter()
        .enumerate()
        .filter(|(_, f)| **f != 0.0)
        .map(|(t, f)| exponent(t, *f))
        .fold(f64::NEG_INFINITY, f64::max);
    if max_exponent == f64::NEG_INFINITY {
        return 0.0;
    }
    let scaled_sum: f64 = flows
        .iter()
        .enumerate()
        .filter(|(_, f)| **f != 0.0)
        .map(|(t, f)| f.signum() * (exponent(t, *f) - max_exponent).exp())
        .sum();
    if scaled_sum == 0.0 {
        return 0.0;
    }
    let log_magnitude = scaled_sum.abs().ln() + max_exponent;
    let magnitude = log_magnitude.exp().min(f64::MAX);
    scaled_sum.signum() * magnitude
}

/// Present-value annuity factor `a_n = (1 - (1+i)^-n) / i` and accumulation
/// factor `s_n = ((1+i)^n - 1) / i`, both equal to `n` at `i = 0`.
/// `None` if either is not a finite positive number. Requires `i > -1`.
fn annuity_factors(rate: f64, periods: u32) -> Option<(f64, f64)> {
    let n = f64::from(periods);
    if rate == 0.0 {
        return Some((n, n));
    }
    let ln_growth = rate.ln_1p();
    let present = -(-n * ln_growth).exp_m1() / rate;
    let accumulated = (n * ln_growth).exp_m1() / rate;
    let usable = |x: f64| x.is_finite() && x > 0.0;
    (usable(present) && usable(accumulated)).then_some((present, accumulated))
}

/// `Some(x)` if `x` is finite, else `None`.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Level payment in arrears that repays `principal` over `periods` at
/// `rate_per_period`, leaving `balloon` outstanding right after the last
/// payment (a lease residual).
///
/// * `rate_per_period`: `i`, a fraction per period; must be `> -1`.
/// * `periods`: number of level payments `n`; the first is due one period
///   after the principal is advanced.
/// * `principal`, `balloon`: currency amounts at time 0 and time `n`.
/// * Returns the payment per period in the same currency unit:
///   `(P - B·(1+i)^-n) · i / (1 - (1+i)^-n)`, evaluated as `P / a_n - B / s_n`
///   with `a_n = (1 - (1+i)^-n) / i` and `s_n = ((1+i)^n - 1) / i` computed via
///   `expm1`/`ln_1p` for accuracy at small rates. At `i == 0` it is
///   exactly `(principal - balloon) / periods`.
///
/// `None` when `periods == 0`, when the rate is `≤ -1`, when any input is not
/// finite, or when the result would overflow `f64`.
pub fn payment(rate_per_period: f64, periods: u32, principal: f64, balloon: f64) -> Option<f64> {
    if periods == 0
        || !rate_per_period.is_finite()
        || rate_per_period <= -1.0
        || !principal.is_finite()
        || !balloon.is_finite()
    {
        return None;
    }
    if rate_per_period == 0.0 {
        return finite((principal - balloon) / f64::from(periods));
    }
    let (present, accumulated) = annuity_factors(rate_per_period, periods)?;
    finite(principal / present - balloon / accumulated)
}

/// Outstanding balance right after `payments_made` level payments of a loan
/// or lease with the same conventions as [`payment`].
///
/// * Returns a currency amount: the balance still owed, i.e. the present value
///   (at `rate_per_period`) of the `n - k` payments still due plus the
///   discounted balloon, `pmt · a_(n-k) + B · (1+i)^-(n-k)`. This prospective
///   form stays accurate near the end of the term, where the balance is small.
/// * `payments_made == 0` gives `principal` (up to rounding);
///   `payments_made >= periods` gives exactly `balloon`.
///
/// `None` in the same cases as [`payment`] (including `periods == 0`), or if
/// the balance would overflow `f64`.
pub fn remaining_balance(
    rate_per_period: f64,
    periods: u32,
    principal: f64,
    balloon: f64,
    payments_made: u32,
) -> Option<f64> {
    let level = payment(rate_per_period, periods, principal, balloon)?;
    if payments_made >= periods {
        return Some(balloon);
    }
    let remaining = periods - payments_made;
    if rate_per_period == 0.0 {
        return finite(level * f64::from(remaining) + balloon);
    }
    let (present, _) = annuity_factors(rate_per_period, remaining)?;
    let discounted_balloon = if balloon == 0.0 {
        0.0
    } else {
        balloon * (-f64::from(remaining) * rate_per_period.ln_1p()).exp()
    };
    finite(level * present + discounted_balloon)
}

/// Result of [`irr`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Irr {
    /// A rate per period that makes NPV zero; `roots` = how many distinct roots were found in the search range.
    Rate { per_period: f64, roots: usize },
    /// No rate makes NPV zero (e.g. all flows of one sign, or all zero).
    NoRoot,
}

/// Internal rate of return of `flows`, where `flows[t]` occurs at time `t`
/// (same timing as [`npv`]).
///
/// * `flows`: currency amounts, one per period.
/// * `prefer_near`: a rate per period (fraction) used only to choose among
///   several roots; normally the caller's discount rate.
/// * Returns [`Irr::Rate`] with a rate per period (a fraction of the flows'
///   period) in `(-0.99, 10.0]`, or [`Irr::NoRoot`].
///
/// # Method
///
/// Leading and trailing zero flows are dropped (this changes NPV at most by a
/// positive factor `(1 + r)^k`, so not its roots), the rest are scaled so the
/// largest magnitude is 1, and NPV is evaluated by Horner's rule in `1/(1+r)` for `r ≥ 0` or as
/// `(1+r)^T · NPV` in `1 + r` for `r < 0`. Both forms have the sign and roots
/// of the NPV and cannot overflow.
///
/// * If the flows change sign exactly once (the usual "invest, then earn"
///   shape), Descartes' rule of signs allows at most one root, so the whole
///   range is bracketed directly.
/// * Otherwise the NPV is scanned on a fixed grid of 4097 rates evenly spaced
///   in `ln(1 + r)` from -0.99 to 10.0; every sign change (and every grid
///   rate where the NPV is exactly zero) is a root. Stretches of the grid on
///   which the positive and the negative flows, bounded separately, prove the
///   sign of the NPV constant are not evaluated point by point (`grid_points`):
///   the roots are exactly those of the full scan, found from a few dozen
///   evaluations per root instead of 4097.
///
/// Each bracket is refined by bisection until its width is at most `1e-12`
/// times both `|r|` and `1 + r` (or `f64` resolution is exhausted); the
/// midpoint is returned. Everything is deterministic.
///
/// # Several roots
///
/// **tcosim's documented rule:** when several roots are found, the one
/// closest to `prefer_near` is returned (ties go to the smaller rate), and
/// `roots` reports how many distinct roots were found, so callers can flag
/// the result as ambiguous when `roots > 1`. A NaN `prefer_near` is treated as
/// 0; other values are clamped to the search range.
///
/// # Limits
///
/// Returns [`Irr::NoRoot`] when any flow is not finite, when the flows are
/// empty, all zero or of one sign, or when no root lies in `(-0.99, 10.0]`.
/// Two roots closer together than one grid step (about 0.17 % of `1 + r`)
/// may cancel and go unseen; such pairs are nearly a double root.
pub fn irr(flows: &[f64], prefer_near: f64) -> Irr {
    let Some(scaled) = normalised_core(flows) else {
        return Irr::NoRoot;
    };
    let roots = if sign_changes(&scaled) == 1 {
        single_root(&scaled).into_iter().collect()
    } else {
        grid_roots(&scaled)
    };
    let target = if prefer_near.is_nan() {
        0.0
    } else {
        prefer_near.clamp(IRR_RATE_MIN, IRR_RATE_MAX)
    };
    let mut best: Option<f64> = None;
    for &root in &roots {
        let closer = match best {
            None => true,
            Some(current) => (root - target).abs() < (current - target).abs(),
        };
        if closer {
            best = Some(root);
        }
    }
    match best {
        Some(per_period) => Irr::Rate {
            per_period,
            roots: roots.len(),
        },
        None => Irr::NoRoot,
    }
}

/// The flows with leading and trailing zeros removed, divided by their
/// largest magnitude. `None` if any flow is not finite or if the flows do not
/// contain both a positive and a negative value (then no root can exist).
fn normalised_core(flows: &[f64]) -> Option<Vec<f64>> {
    if flows.iter().any(|f| !f.is_finite()) {
        return None;
    }
    let has_positive = flows.iter().any(|f| *f > 0.0);
    let has_negative = flows.iter().any(|f| *f < 0.0);
    if !(has_positive && has_negative) {
        return None;
    }
    let start = flows.iter().position(|f| *f != 0.0)?;
    let end = flows.iter().rposition(|f| *f != 0.0)?;
    let core = flows.get(start..=end)?;
    let largest = core.iter().fold(0.0_f64, |m, f| m.max(f.abs()));
    Some(core.iter().map(|f| f / largest).collect())
}

/// Number of sign changes between consecutive non-zero values.
fn sign_changes(values: &[f64]) -> usize {
    let mut changes = 0;
    let mut previous_positive: Option<bool> = None;
    for &v in values.iter().filter(|v| **v != 0.0) {
        let positive = v > 0.0;
        if previous_positive.is_some_and(|p| p != positive) {
            changes += 1;
        }
        previous_positive = Some(positive);
    }
    changes
}

/// A positive multiple of the NPV of `scaled` at `rate` (which must be > -1):
/// `Σ f_t (1+r)^-t` for `r ≥ 0`, `Σ f_t (1+r)^(T-t)` for `r < 0`. With
/// `|f_t| ≤ 1` both are bounded by the number of flows.
fn scaled_npv(scaled: &[f64], rate: f64) -> f64 {
    let growth = 1.0 + rate;
    if growth >= 1.0 {
        let discount = 1.0 / growth;
        scaled.iter().rev().fold(0.0, |acc, f| acc * discount + f)
    } else {
        scaled.iter().fold(0.0, |acc, f| acc * growth + f)
    }
}

/// The rate of the `k`-th grid point: `k = 0` is -0.99 and
/// `k = IRR_GRID_INTERVALS` is 10.0, evenly spaced in `ln(1 + r)` between.
fn grid_rate(k: u32) -> f64 {
    if k == 0 {
        return IRR_RATE_MIN;
    }
    if k >= IRR_GRID_INTERVALS {
        return IRR_RATE_MAX;
    }
    let low = (1.0 + IRR_RATE_MIN).ln();
    let high = (1.0 + IRR_RATE_MAX).ln();
    let fraction = f64::from(k) / f64::from(IRR_GRID_INTERVALS);
    (low + (high - low) * fraction).exp() - 1.0
}

/// The unique root in the search range of flows with one sign change, if any.
fn single_root(scaled: &[f64]) -> Option<f64> {
    let low_value = scaled_npv(scaled, IRR_RATE_MIN);
    let high_value = scaled_npv(scaled, IRR_RATE_MAX);
    if high_value == 0.0 {
        return Some(IRR_RATE_MAX);
    }
    // A zero at the excluded lower end, or no sign change, means no root in
    // (-0.99, 10]: with a single sign change every root is simple.
    if low_value == 0.0 || (low_value > 0.0) == (high_value > 0.0) {
        return None;
    }
    Some(bisect(scaled, IRR_RATE_MIN, IRR_RATE_MAX, low_value))
}

/// The NPV of the scaled flows at grid point `k`, with the two parts it is the difference of.
#[derive(Debug, Clone, Copy)]
struct GridPoint {
    k: u32,
    rate: f64,
    /// `scaled_npv` at `rate`, bit for bit.
    value: f64,
    /// The same Horner sums over the positive flows only, and over the negated negative flows
    /// only: `value ≈ positive − negative`, both non-negative.
    positive: f64,
    negative: f64,
}

impl GridPoint {
    fn at(scaled: &[f64], k: u32) -> GridPoint {
        let rate = grid_rate(k);
        let growth = 1.0 + rate;
        let (mut value, mut positive, mut negative) = (0.0, 0.0, 0.0);
        // The same two forms, in the same order of operations, as `scaled_npv`.
        let mut step = |x: f64, f: f64| {
            value = value * x + f;
            positive = positive * x + f.max(0.0);
            negative = negative * x + (-f).max(0.0);
        };
        if growth >= 1.0 {
            let discount = 1.0 / growth;
            scaled.iter().rev().for_each(|&f| step(discount, f));
        } else {
            scaled.iter().for_each(|&f| step(growth, f));
        }
        GridPoint {
            k,
            rate,
            value,
            positive,
            negative,
        }
    }
}

/// Whether the NPV provably keeps the sign of `a.value` at every grid rate from `a` to `b`
/// (both evaluated in the same form, `a.k < b.k`), and is never zero there.
///
/// In either form the scaled NPV is `P(x) − N(x)`, where `P` and `N` are polynomials with
/// non-negative coefficients (the positive flows and the negated negative ones) in the Horner
/// variable `x` (`1/(1+r)` for `r ≥ 0`, decreasing along the grid; `1+r` below, increasing).
/// Both are increasing in `x`, so on the interval between `x_lo` and `x_hi` the NPV lies
/// between `P(x_lo) − N(x_hi)` and `P(x_hi) − N(x_lo)`. Evaluating a grid point rounds its
/// value by at most `γ (P + N) ≤ γ (P(x_hi) + N(x_hi))`, `γ ≈ 2 n ε`; when the bound clears
/// `slack` times that, every grid value in between has the sign of the ends, so scanning
/// them could find neither a sign change nor a zero.
fn sign_is_fixed(a: &GridPoint, b: &GridPoint, slack: f64) -> bool {
    // The ends in order of the Horner variable.
    let (lo, hi) = if 1.0 + a.rate >= 1.0 { (b, a) } else { (a, b) };
    let rounding = slack * (hi.positive + hi.negative);
    let positive = lo.positive - hi.negative > rounding;
    let negative = lo.negative - hi.positive > rounding;
    (positive && a.value > 0.0 && b.value > 0.0) || (negative && a.value < 0.0 && b.value < 0.0)
}

/// Appends to `out` the grid points in `(a.k, b.k]` that [`grid_roots`] needs, in order:
/// every point of the intervals whose sign is not proven fixed, and the ends of those that are.
fn refine(scaled: &[f64], a: GridPoint, b: GridPoint, slack: f64, out: &mut Vec<GridPoint>) {
    if b.k - a.k <= 1 || sign_is_fixed(&a, &b, slack) {
        out.push(b);
        return;
    }
    let mid = GridPoint::at(scaled, a.k + (b.k - a.k) / 2);
    refine(scaled, a, mid, slack, out);
    refine(scaled, mid, b, slack, out);
}

/// All roots found by scanning the grid, in increasing order.
fn grid_roots(scaled: &[f64]) -> Vec<f64> {
    roots_of_scan(scaled, &grid_points(scaled))
}

/// The grid points a scan evaluates, in increasing order.
///
/// Scanning them gives the roots of evaluating the NPV at every grid rate and bisecting every
/// sign change between neighbours (an exact zero at a grid rate is a root), bit for bit, but
/// stretches of the grid where the sign is proven fixed ([`sign_is_fixed`]) are not evaluated
/// point by point: the grid is halved recursively until each piece is proven or is a single
/// interval. Each part of the range (`r < 0` and `r ≥ 0`, evaluated in different forms) is
/// refined on its own. Away from roots a piece is proven at a width about proportional to its
/// distance from the nearest root, so a scan evaluates a few dozen points per root instead of
/// 4097 (at worst, where nothing can be proven, it evaluates them all).
fn grid_points(scaled: &[f64]) -> Vec<GridPoint> {
    // Rounding of a Horner sum of n terms is at most about 2 n ε of the sum of magnitudes;
    // a factor 32 more covers the comparison itself and a few ulps of non-monotone rounding
    // in the grid rates.
    let slack = 64.0 * (scaled.len() as f64 + 2.0) * f64::EPSILON;
    // First grid point evaluated in the `r ≥ 0` form (grid rates increase with k).
    let (mut low, mut high) = (0, IRR_GRID_INTERVALS);
    while low < high {
        let mid = low + (high - low) / 2;
        if 1.0 + grid_rate(mid) >= 1.0 {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    let split = low;
    let first = GridPoint::at(scaled, 0);
    let mut points = vec![first];
    if split > 1 {
        let end = GridPoint::at(scaled, split - 1);
        refine(scaled, first, end, slack, &mut points);
    }
    if split > 0 {
        let start = GridPoint::at(scaled, split);
        points.push(start);
        if split < IRR_GRID_INTERVALS {
            let end = GridPoint::at(scaled, IRR_GRID_INTERVALS);
            refine(scaled, start, end, slack, &mut points);
        }
    }
    points
}

/// The roots of a scan over grid points in increasing order: a root at every point whose value
/// is exactly zero (not at the excluded lower end, and once per run of zeros), and a bisected
/// root between neighbours of opposite signs with no zero between them.
fn roots_of_scan(scaled: &[f64], points: &[GridPoint]) -> Vec<f64> {
    let mut roots = Vec::new();
    // Last point with a non-zero value: (rate, value).
    let mut last_nonzero: Option<(f64, f64)> = None;
    // Whether an exact zero was recorded since `last_nonzero`.
    let mut zero_since = false;
    for p in points {
        if p.value == 0.0 {
            // The lower end of the range is excluded.
            if p.k > 0 && !zero_since {
                roots.push(p.rate);
                zero_since = true;
            }
            continue;
        }
        if let Some((previous_rate, previous_value)) = last_nonzero
            && !zero_since
            && (previous_value > 0.0) != (p.value > 0.0)
        {
            roots.push(bisect(scaled, previous_rate, p.rate, previous_value));
        }
        last_nonzero = Some((p.rate, p.value));
        zero_since = false;
    }
    roots
}

/// Bisection for a root of `scaled_npv` in `(low, high)`, given the non-zero
/// value at `low` (the value at `high` has the opposite sign).
fn bisect(scaled: &[f64], low: f64, high: f64, low_value: f64) -> f64 {
    let (mut low, mut high) = (low, high);
    let low_positive = low_value > 0.0;
    for _ in 0..IRR_MAX_BISECTIONS {
        let mid = low + (high - low) * 0.5;
        if mid <= low || mid >= high {
            break;
        }
        let value = scaled_npv(scaled, mid);
        if value == 0.0 {
            return mid;
        }
        if (value > 0.0) == low_positive {
            low = mid;
        } else {
            high = mid;
        }
        let magnitude = low.abs().max(high.abs()).min(1.0 + low);
        if high - low <= IRR_REL_TOL * magnitude {
            break;
        }
    }
    low + (high - low) * 0.5
}

/// A depreciation method. Amounts are per year from acquisition.
#[derive(Debug, Clone, PartialEq)]
pub enum Depreciation {
    /// (cost - salvage) spread evenly over life_years.
    StraightLine {
        life_years: u32,
        salvage_fraction: f64,
    },
    /// Declining balance at factor/life_years on the opening book value (factor 2 = double-declining), never below salvage; when
    /// switch_to_straight_line, switch in the first year where straight line over the remaining life on (book - salvage) gives at least as much.
    DecliningBalance {
        life_years: u32,
        factor: f64,
        salvage_fraction: f64,
        switch_to_straight_line: bool,
    },
    /// Fractions of cost per tax year (e.g. US MACRS 5-year half-year: 0.20, 0.32, 0.192, 0.1152, 0.1152, 0.0576).
    Table { annual_rates: Vec<f64> },
}

/// Depreciation amount for each year from acquisition, for an asset costing `cost`.
///
/// * `cost`: acquisition cost in any currency unit.
/// * Returns one currency amount per year; element 0 is the first year after
///   acquisition. `salvage_fraction` and table rates are fractions of `cost`.
///
/// The schedule sums to `cost · (1 - salvage_fraction)` for
/// [`Depreciation::StraightLine`] and [`Depreciation::DecliningBalance`]
/// (the schedule has `life_years` entries), and to `cost · Σ annual_rates` for
/// [`Depreciation::Table`] (one entry per rate).
///
/// Conventions:
///
/// * Declining balance never takes book value below salvage. Without the
///   switch, whatever remains above salvage at the start of the last year of
///   life is written off in that year, so the total is still the depreciable
///   amount. With the switch, once straight line is chosen it is kept.
/// * A negative `cost` gives the negated schedule of `|cost|` (every method
///   is proportional to cost).
///
/// An **empty vector** signals invalid parameters: non-finite `cost`,
/// `life_years` of 0 or above [`MAX_DEPRECIATION_YEARS`], `salvage_fraction`
/// outside `[0, 1]`, a `factor` that is not finite and positive, a table rate
/// outside `[0, 1]` or a table longer than [`MAX_DEPRECIATION_YEARS`]
/// (an empty table also yields an empty schedule).
pub fn annual_depreciation(method: &Depreciation, cost: f64) -> Vec<f64> {
    if !cost.is_finite() {
        return Vec::new();
    }
    let magnitude = cost.abs();
    let schedule = match method {
        Depreciation::StraightLine {
            life_years,
            salvage_fraction,
        } => straight_line(magnitude, *life_years, *salvage_fraction),
        Depreciation::DecliningBalance {
            life_years,
            factor,
            salvage_fraction,
            switch_to_straight_line,
        } => declining_balance(
            magnitude,
            *life_years,
            *factor,
            *salvage_fraction,
            *switch_to_straight_line,
        ),
        Depreciation::Table { annual_rates } => table(magnitude, annual_rates),
    };
    let mut schedule = schedule.unwrap_or_default();
    if cost < 0.0 {
        schedule.iter_mut().for_each(|amount| *amount = -*amount);
    }
    schedule
}

/// Monthly depreciation schedule: each year's amount from
/// [`annual_depreciation`] divided evenly over the 12 months of that year from
/// acquisition (month 0 is the first month after acquisition).
///
/// Returns `12 ×` as many currency amounts as the annual schedule, summing to
/// the same total; empty exactly when the annual schedule is empty.
pub fn monthly_depreciation(method: &Depreciation, cost: f64) -> Vec<f64> {
    let months = MONTHS_PER_YEAR as usize;
    annual_depreciation(method, cost)
        .into_iter()
        .flat_map(|year| std::iter::repeat_n(year / f64::from(MONTHS_PER_YEAR), months))
        .collect()
}

fn valid_life(life_years: u32) -> bool {
    (1..=MAX_DEPRECIATION_YEARS).contains(&life_years)
}

fn valid_fraction(fraction: f64) -> bool {
    (0.0..=1.0).contains(&fraction)
}

/// Straight line on a non-negative cost.
fn straight_line(cost: f64, life_years: u32, salvage_fraction: f64) -> Option<Vec<f64>> {
    if !valid_life(life_years) || !valid_fraction(salvage_fraction) {
        return None;
    }
    let depreciable = cost - cost * salvage_fraction;
    let each = depreciable / f64::from(life_years);
    Some(vec![each; life_years as usize])
}

/// Declining balance on a non-negative cost.
fn declining_balance(
    cost: f64,
    life_years: u32,
    factor: f64,
    salvage_fraction: f64,
    switch_to_straight_line: bool,
) -> Option<Vec<f64>> {
    if !valid_life(life_years)
        || !valid_fraction(salvage_fraction)
        || !factor.is_finite()
        || factor <= 0.0
    {
        return None;
    }
    let rate = factor / f64::from(life_years);
    let salvage = cost * salvage_fraction;
    let mut book = cost;
    let mut switched = false;
    let mut schedule = Vec::with_capacity(life_years as usize);
    for year in 0..life_years {
        let above_salvage = (book - salvage).max(0.0);
        let years_left = life_years - year;
        let amount = if years_left == 1 {
            above_salvage
        } else {
            let declining = book * rate;
            let straight = above_salvage / f64::from(years_left);
            if switch_to_straight_line && (switched || straight >= declining) {
                switched = true;
                straight
            } else {
                declining
            }
        };
        let amount = amount.min(above_salvage).max(0.0);
        book -= amount;
        schedule.push(amount);
    }
    Some(schedule)
}

/// Fixed table of fractions of a non-negative cost.
fn table(cost: f64, annual_rates: &[f64]) -> Option<Vec<f64>> {
    let too_long = annual_rates.len() > MAX_DEPRECIATION_YEARS as usize;
    if too_long || !annual_rates.iter().all(|r| valid_fraction(*r)) {
        return None;
    }
    Some(annual_rates.iter().map(|r| cost * r).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Money results of closed forms on inputs of order 1e5: rounding error is
    /// ~1e-11, so 1e-9 currency units is tight yet robust.
    const MONEY_TOL: f64 = 1e-9;
    /// Published tables (mortgage, amortisation) are rounded to the cent.
    const CENT_TOL: f64 = 0.005;
    /// Rates computed by formulas with a handful of roundings.
    const RATE_TOL: f64 = 1e-14;
    /// IRR is refined to 1e-12 relative; allow a little more for rounding.
    const IRR_TOL: f64 = 1e-11;
    /// Property tests: relative error allowed in a sum or balance after up to
    /// a few hundred roundings, each amplified by at most (1.015)^360 ≈ 212.
    const PROP_REL_TOL: f64 = 1e-8;

    fn close(actual: f64, expected: f64, tol: f64) -> bool {
        (actual - expected).abs() <= tol
    }

    fn assert_close(actual: f64, expected: f64, tol: f64) {
        assert!(
            close(actual, expected, tol),
            "expected {expected}, got {actual} (tolerance {tol})"
        );
    }

    fn assert_all_close(actual: &[f64], expected: &[f64], tol: f64) {
        assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
        for (a, e) in actual.iter().zip(expected) {
            assert_close(*a, *e, tol);
        }
    }

    fn rate_of(result: Irr) -> (f64, usize) {
        match result {
            Irr::Rate { per_period, roots } => (per_period, roots),
            Irr::NoRoot => panic!("expected a root"),
        }
    }

    // ---- rates and discounting ----

    #[test]
    fn monthly_rate_of_twelve_percent() {
        // 1.12^(1/12) = exp(ln(1.12)/12) = exp(0.1133286853/12)
        //             = exp(0.00944405711) = 1.0094887929...
        assert_close(monthly_rate(0.12), 0.009_488_792_934_582_975, RATE_TOL);
        // Compounding back gives the annual rate.
        assert_close((1.0 + monthly_rate(0.12)).powi(12) - 1.0, 0.12, RATE_TOL);
    }

    #[test]
    fn monthly_rate_edge_cases() {
        assert_eq!(monthly_rate(0.0), 0.0);
        assert_eq!(monthly_rate(-1.0), -1.0);
        assert_eq!(monthly_rate(-5.0), -1.0);
        assert!(monthly_rate(f64::MAX).is_finite());
        assert!(monthly_rate(f64::NAN).is_nan());
        // Tiny rates keep relative precision: (1+1e-12)^(1/12)-1 ≈ 1e-12/12.
        assert_close(monthly_rate(1e-12) / (1e-12 / 12.0), 1.0, 1e-9);
    }

    #[test]
    fn discount_factor_values() {
        assert_close(discount_factor(0.1, 2.0), 1.0 / 1.21, RATE_TOL);
        assert_eq!(discount_factor(0.1, 0.0), 1.0);
        // Half a period at 21 % is 1/1.1.
        assert_close(discount_factor(0.21, 0.5), 1.0 / 1.1, RATE_TOL);
        assert_close(discount_factor(0.1, -1.0), 1.1, RATE_TOL);
    }

    #[test]
    fn discount_factor_limits_are_finite() {
        assert_eq!(discount_factor(-1.0, 3.0), f64::MAX);
        assert_eq!(discount_factor(-2.0, 0.0), 1.0);
        assert_eq!(discount_factor(-1.0, -3.0), 0.0);
        assert_eq!(discount_factor(-0.999_999, 1e6), f64::MAX);
        assert_eq!(discount_factor(1.0, 1e6), 0.0);
        assert_eq!(discount_factor(f64::MAX, f64::MAX), 0.0);
        assert_eq!(discount_factor(f64::MAX, -f64::MAX), f64::MAX);
        assert!(discount_factor(f64::NAN, 1.0).is_nan());
    }

    #[test]
    fn npv_textbook_example() {
        // At 10 %: 300/1.1 + 400/1.21 + 500/1.331
        //        = (300·1.21 + 400·1.1 + 500)/1.331 = 1303/1.331 = 978.963...
        // so NPV = (1303 - 1331)/1.331 = -28/1.331 = -21.0368...
        let flows = [-1000.0, 300.0, 400.0, 500.0];
        assert_close(npv(0.10, &flows), -28.0 / 1.331, MONEY_TOL);
        // At 5 %: 285.714 + 362.812 + 431.919 - 1000 = 80.445...
        let at_five = 300.0 / 1.05 + 400.0 / 1.1025 + 500.0 / 1.157_625 - 1000.0;
        assert_close(npv(0.05, &flows), at_five, MONEY_TOL);
    }

    #[test]
    fn npv_trivial_cases() {
        assert_eq!(npv(0.1, &[]), 0.0);
        assert_eq!(npv(0.1, &[42.0]), 42.0);
        assert_close(npv(0.0, &[1.0, 2.0, 3.0]), 6.0, MONEY_TOL);
        assert!(npv(f64::NAN, &[1.0]).is_nan());
        assert!(npv(0.1, &[1.0, f64::INFINITY]).is_nan());
    }

    #[test]
    fn npv_never_overflows_for_finite_inputs() {
        // Rate at/below -1: limit value following the last later flow.
        assert_eq!(npv(-1.0, &[1.0, -2.0, 3.0]), f64::MAX);
        assert_eq!(npv(-3.0, &[1.0, 2.0, -3.0, 0.0]), -f64::MAX);
        assert_eq!(npv(-1.0, &[7.0, 0.0]), 7.0);
        // Terms overflow individually but the exact sum is representable:
        // MAX + MAX - MAX = MAX.
        let huge = [f64::MAX, f64::MAX, -f64::MAX];
        let value = npv(0.0, &huge);
        assert!(value.is_finite());
        assert_close(value / f64::MAX, 1.0, 1e-12);
        // Genuinely too large: saturates.
        assert_eq!(npv(-0.99, &[1.0; 200]), f64::MAX);
        // Underflowing discount factors: exact value is tiny but not lost.
        let far = npv(10.0, &[1.0; 400]);
        assert_close(far, 1.1, 1e-12);
        // Huge flow so far out that the direct factor underflows: 1e300·2^-1100.
        let mut flows = vec![0.0; 1101];
        if let Some(last) = flows.last_mut() {
            *last = 1e300;
        }
        let expected = 1e300 * 2.0_f64.powi(-550) * 2.0_f64.powi(-550);
        assert_close(npv(1.0, &flows) / expected, 1.0, 1e-9);
    }

    // ---- payment and balances ----

    #[test]
    fn mortgage_payment() {
        // 200,000 at 6 %/12 over 360 months: 1,199.10 in standard mortgage
        // tables. Independently: 1.005^360 = 6.022575..., so
        // 1000 / (1 - 1/6.022575) = 1,199.101...
        let pmt = payment(0.06 / 12.0, 360, 200_000.0, 0.0).unwrap_or(f64::NAN);
        assert_close(pmt, 1_199.10, CENT_TOL);
        let v_n = 1.005_f64.powi(-360);
        assert_close(pmt, 200_000.0 * 0.005 / (1.0 - v_n), MONEY_TOL);
    }

    #[test]
    fn zero_rate_payment_is_exact() {
        assert_eq!(payment(0.0, 10, 10_000.0, 0.0), Some(1_000.0));
        assert_eq!(payment(0.0, 4, 10_000.0, 2_000.0), Some(2_000.0));
        assert_eq!(remaining_balance(0.0, 10, 10_000.0, 0.0, 3), Some(7_000.0));
    }

    #[test]
    fn lease_with_balloon() {
        let (p, i, n, b) = (100_000.0, 0.005, 36, 20_000.0);
        // Closed form, computed here with powi rather than the module's
        // expm1/ln_1p: PMT = (P - B·v^n)·i / (1 - v^n), v = 1/(1+i).
        let v_n = (1.0_f64 + i).powi(-n);
        let expected = (p - b * v_n) * i / (1.0 - v_n);
        let pmt = payment(i, n as u32, p, b).unwrap_or(f64::NAN);
        assert_close(pmt, expected, MONEY_TOL);
        assert_close(pmt, 2_533.754_996_124_457, 1e-8);
        assert_eq!(remaining_balance(i, n as u32, p, b, 36), Some(b));
        // Rolling the balance forward month by month also lands on the balloon.
        let mut balance = p;
        for _ in 0..n {
            balance = balance * (1.0 + i) - pmt;
        }
        assert_close(balance, b, 1e-6);
        let before_last = remaining_balance(i, n as u32, p, b, 35).unwrap_or(f64::NAN);
        assert_close(before_last * (1.0 + i) - pmt, b, MONEY_TOL);
    }

    #[test]
    fn mortgage_balance_after_five_years() {
        // Reference: a standard amortisation schedule for 200,000 at 6 %/12,
        // 360 months, shows 186,108.71 outstanding after payment 60.
        // Our own check: retrospective form P·1.005^60 - PMT·s_60.
        let (p, i) = (200_000.0, 0.005);
        let pmt = payment(i, 360, p, 0.0).unwrap_or(f64::NAN);
        let balance = remaining_balance(i, 360, p, 0.0, 60).unwrap_or(f64::NAN);
        assert_close(balance, 186_108.71, CENT_TOL);
        let g = 1.005_f64.powi(60);
        assert_close(balance, p * g - pmt * (g - 1.0) / i, 1e-7);
        assert_close(
            remaining_balance(i, 360, p, 0.0, 0).unwrap_or(f64::NAN),
            p,
            1e-7,
        );
        assert_eq!(remaining_balance(i, 360, p, 0.0, 360), Some(0.0));
        assert_eq!(remaining_balance(i, 360, p, 0.0, 999), Some(0.0));
    }

    #[test]
    fn payment_rejects_invalid_inputs() {
        assert_eq!(payment(0.01, 0, 1_000.0, 0.0), None);
        assert_eq!(remaining_balance(0.01, 0, 1_000.0, 0.0, 0), None);
        assert_eq!(payment(-1.0, 12, 1_000.0, 0.0), None);
        assert_eq!(payment(-2.5, 12, 1_000.0, 0.0), None);
        assert_eq!(payment(f64::NAN, 12, 1_000.0, 0.0), None);
        assert_eq!(payment(0.01, 12, f64::INFINITY, 0.0), None);
        assert_eq!(payment(0.01, 12, 1_000.0, f64::NAN), None);
        // Overflow is reported, not returned as infinity.
        assert_eq!(payment(1e6, 2, f64::MAX, 0.0), None);
    }

    #[test]
    fn payment_extremes_stay_finite() {
        for &rate in &[-0.999_999, -0.5, -1e-300, 5e-324, 1e-12, 0.5, 1e6, f64::MAX] {
            for &n in &[1_u32, 2, 360, u32::MAX] {
                for &(p, b) in &[(1.0, 0.0), (1e6, 2e5), (f64::MAX, 0.0), (-5.0, 7.0)] {
                    if let Some(x) = payment(rate, n, p, b) {
                        assert!(x.is_finite());
                    }
                    for k in [0, 1, n / 2, n] {
                        if let Some(x) = remaining_balance(rate, n, p, b, k) {
                            assert!(x.is_finite());
                        }
                    }
                }
            }
        }
        // A 1-period loan at 10 % repays principal plus interest at once.
        assert_close(
            payment(0.1, 1, 100.0, 0.0).unwrap_or(f64::NAN),
            110.0,
            MONEY_TOL,
        );
    }

    // ---- IRR ----

    #[test]
    fn irr_one_period() {
        // -100 today, +110 next period: 10 % exactly.
        let (rate, roots) = rate_of(irr(&[-100.0, 110.0], 0.0));
        assert_close(rate, 0.10, IRR_TOL);
        assert_eq!(roots, 1);
    }

    #[test]
    fn irr_textbook_example() {
        // NPV at 8.89 % is +0.12 and at 8.90 % is -0.07 (by direct
        // evaluation), so the IRR is ≈ 8.896 %.
        let flows = [-1000.0, 300.0, 400.0, 500.0];
        assert!(npv(0.0889, &flows) > 0.0);
        assert!(npv(0.0890, &flows) < 0.0);
        let (rate, roots) = rate_of(irr(&flows, 0.1));
        assert_close(rate, 0.088_963_394_693_35, 1e-10);
        assert_eq!(roots, 1);
        assert!(npv(rate, &flows).abs() < 1e-8);
    }

    #[test]
    fn irr_multiple_roots() {
        // -1.6 + 10v - 10v^2 = 0  =>  v = 0.8 or 0.2  =>  r = 0.25 or 4.0.
        let flows = [-1.6, 10.0, -10.0];
        let (near_zero, roots) = rate_of(irr(&flows, 0.0));
        assert_eq!(roots, 2);
        assert_close(near_zero, 0.25, IRR_TOL);
        let (near_three, roots) = rate_of(irr(&flows, 3.0));
        assert_eq!(roots, 2);
        assert_close(near_three, 4.0, IRR_TOL * 4.0);
        // Huge preference clamps to the range and still picks the larger root.
        assert_close(rate_of(irr(&flows, 1e9)).0, 4.0, IRR_TOL * 4.0);
        // NaN preference behaves as 0.
        assert_close(rate_of(irr(&flows, f64::NAN)).0, 0.25, IRR_TOL);
    }

    #[test]
    fn irr_no_root_cases() {
        assert_eq!(irr(&[100.0, 200.0, 300.0], 0.1), Irr::NoRoot);
        assert_eq!(irr(&[-100.0, -200.0], 0.1), Irr::NoRoot);
        assert_eq!(irr(&[0.0, 0.0, 0.0], 0.1), Irr::NoRoot);
        assert_eq!(irr(&[], 0.1), Irr::NoRoot);
        assert_eq!(irr(&[-100.0, f64::NAN, 200.0], 0.1), Irr::NoRoot);
        // Root outside the search range: 2000 % per period.
        assert_eq!(irr(&[-1.0, 21.0], 0.1), Irr::NoRoot);
        // Root at -99.5 %, below the range.
        assert_eq!(irr(&[-1.0, 0.005], 0.1), Irr::NoRoot);
        // Documented limitation: NPV(r) = -(1 - v)^2 has a double root at
        // r = 0 where it touches zero without changing sign; no grid rate is
        // exactly 0, so the sign-change scan does not see it.
        assert_eq!(irr(&[-1.0, 2.0, -1.0], 0.1), Irr::NoRoot);
    }

    #[test]
    fn irr_edges_of_range() {
        // Exactly 1000 %: -1 + 11/(1+r) = 0 at r = 10.
        let (rate, _) = rate_of(irr(&[-1.0, 11.0], 0.0));
        assert_close(rate, 10.0, 1e-10);
        // Deep negative return, -98 %.
        let (rate, _) = rate_of(irr(&[-1.0, 0.02], 0.0));
        assert_close(rate, -0.98, IRR_TOL);
        // Zero return, padded with zeros on both sides (timing shift only).
        let (rate, _) = rate_of(irr(&[0.0, -5.0, 0.0, 5.0, 0.0], 0.3));
        assert!(rate.abs() < IRR_TOL);
    }

    #[test]
    fn irr_scale_invariant_and_deterministic() {
        let flows = [-1000.0, 300.0, 400.0, 500.0];
        let base = irr(&flows, 0.1);
        assert_eq!(base, irr(&flows, 0.1));
        for scale in [1e-300, 1e-3, 1e3, 1e300] {
            let scaled: Vec<f64> = flows.iter().map(|f| f * scale).collect();
            let (rate, roots) = rate_of(irr(&scaled, 0.1));
            assert_close(rate, rate_of(base).0, IRR_TOL);
            assert_eq!(roots, 1);
        }
        // Subnormal and extreme flows are handled without overflow.
        let (rate, _) = rate_of(irr(&[-f64::MAX, f64::MAX, f64::MAX], 0.0));
        assert_close(rate, 0.618_033_988_749_895, IRR_TOL);
        let (rate, _) = rate_of(irr(&[-5e-324, 1e-323], 0.0));
        assert_close(rate, 1.0, IRR_TOL);
    }

    #[test]
    fn irr_many_sign_changes_long_series() {
        // Monthly lease-like series: outlay, 60 inflows, a removal cost.
        // NPV is +3000 at r = 0 and tends to -10,000 as r grows, but as
        // r -> -1 the final -2000 dominates, so a second, negative root
        // exists. Preferring 1 %/month picks the positive one.
        let mut flows = vec![-10_000.0];
        flows.extend(std::iter::repeat_n(250.0, 60));
        flows.push(-2_000.0);
        let (rate, roots) = rate_of(irr(&flows, 0.01));
        assert_eq!(roots, 2);
        assert!(rate > 0.0);
        let scale: f64 = flows.iter().map(|f| f.abs()).sum();
        assert!(npv(rate, &flows).abs() <= 1e-9 * scale);
        let (negative, _) = rate_of(irr(&flows, -0.5));
        assert!(negative < 0.0);
        let scale: f64 = flows
            .iter()
            .enumerate()
            .map(|(t, f)| f.abs() * discount_factor(negative, t as f64))
            .sum();
        assert!(npv(negative, &flows).abs() <= 1e-9 * scale);
    }

    /// The scan that [`grid_points`] stands in for: NPV at every one of the 4097 grid rates,
    /// each sign change bisected (the implementation before the scan learned to skip). The
    /// roots of the two must agree bit for bit.
    fn grid_roots_every_point(scaled: &[f64]) -> Vec<f64> {
        let mut roots = Vec::new();
        let mut last_nonzero: Option<(f64, f64)> = None;
        let mut zero_since = false;
        for k in 0..=IRR_GRID_INTERVALS {
            let rate = grid_rate(k);
            let value = scaled_npv(scaled, rate);
            if value == 0.0 {
                if k > 0 && !zero_since {
                    roots.push(rate);
                    zero_since = true;
                }
                continue;
            }
            if let Some((previous_rate, previous_value)) = last_nonzero
                && !zero_since
                && (previous_value > 0.0) != (value > 0.0)
            {
                roots.push(bisect(scaled, previous_rate, rate, previous_value));
            }
            last_nonzero = Some((rate, value));
            zero_since = false;
        }
        roots
    }

    /// Asserts that the skipping scan finds exactly the roots of the full scan, and returns
    /// how many grid points it evaluated.
    fn assert_scan_matches_every_point(flows: &[f64]) -> usize {
        let Some(scaled) = normalised_core(flows) else {
            return 0;
        };
        let points = grid_points(&scaled);
        for p in &points {
            assert_eq!(p.value.to_bits(), scaled_npv(&scaled, p.rate).to_bits());
        }
        assert!(points.windows(2).all(|w| w[0].k < w[1].k));
        let fast: Vec<u64> = grid_roots(&scaled).iter().map(|r| r.to_bits()).collect();
        let every: Vec<u64> = grid_roots_every_point(&scaled)
            .iter()
            .map(|r| r.to_bits())
            .collect();
        assert_eq!(fast, every, "flows {flows:?}");
        points.len()
    }

    /// Monthly savings of owning against renting over `months`: the purchase at month 0 and at
    /// every refresh, savings growing 1 % a month in between, resale at the end.
    fn owning_vs_renting(months: usize, refresh: usize, price: f64, saving: f64) -> Vec<f64> {
        let mut flows = vec![0.0; months + 1];
        for (t, f) in flows.iter_mut().enumerate().skip(1) {
            *f = saving * 1.01f64.powf(t as f64 / 12.0);
        }
        for t in (0..months).step_by(refresh) {
            flows[t] -= price;
        }
        flows[months] += 0.15 * price;
        flows
    }

    #[test]
    fn irr_scan_skips_most_of_the_grid_without_changing_roots() {
        // Refresh cycles make several sign changes, so these take the grid scan; a long horizon
        // is where evaluating all 4097 grid points was slow.
        let mut worst = 0;
        for (months, refresh, price, saving) in [
            (600, 48, 1_000_000.0, 30_000.0),
            (600, 36, 1_000_000.0, 25_000.0),
            (600, 60, 2_000_000.0, 30_000.0),
            (120, 48, 1_000_000.0, 10_000.0),
            (600, 48, 1_000_000.0, 2_000.0),
        ] {
            let flows = owning_vs_renting(months, refresh, price, saving);
            assert!(sign_changes(&flows) > 1);
            worst = worst.max(assert_scan_matches_every_point(&flows));
        }
        // A deterministic count, not a timing: the point of the skipping scan.
        assert!(worst < 100, "evaluated {worst} of 4097 grid points");
    }

    #[test]
    fn irr_scan_matches_every_point_on_hard_cases() {
        // Two roots, one negative (the lease-like series above).
        let mut flows = vec![-10_000.0];
        flows.extend(std::iter::repeat_n(250.0, 60));
        flows.push(-2_000.0);
        assert_scan_matches_every_point(&flows);
        // Nearly double roots, which a grid may or may not resolve.
        for delta in [1e-3, 1e-5, 1e-8, 0.0, -1e-8, -1e-5] {
            assert_scan_matches_every_point(&[-1.0, 2.0, -1.0 + delta]);
            assert_scan_matches_every_point(&[-1.6, 10.0, -10.0 + delta]);
        }
        // Roots at both ends of the range and an alternating series with many sign changes.
        assert_scan_matches_every_point(&[-1.0, 11.0, -1e-3, 1e-3]);
        assert_scan_matches_every_point(&[1.0, -0.0201, 1e-4, -1.0]);
        let alternating: Vec<f64> = (0..601)
            .map(|t| {
                if t % 2 == 0 {
                    1.0
                } else {
                    -1.0 - 1e-3 * t as f64
                }
            })
            .collect();
        assert_scan_matches_every_point(&alternating);
        // Subnormal and huge magnitudes.
        assert_scan_matches_every_point(&[-5e-324, 1e-323, -5e-324]);
        assert_scan_matches_every_point(&[-f64::MAX, f64::MAX, -f64::MAX, f64::MAX]);
    }

    // ---- depreciation ----

    fn macrs_5() -> Depreciation {
        Depreciation::Table {
            annual_rates: vec![0.20, 0.32, 0.192, 0.1152, 0.1152, 0.0576],
        }
    }

    #[test]
    fn macrs_five_year_table() {
        // IRS Publication 946, Table A-1 (5-year, half-year convention).
        let schedule = annual_depreciation(&macrs_5(), 100_000.0);
        assert_eq!(
            schedule,
            vec![20_000.0, 32_000.0, 19_200.0, 11_520.0, 11_520.0, 5_760.0]
        );
        assert_close(schedule.iter().sum(), 100_000.0, MONEY_TOL);
    }

    #[test]
    fn double_declining_with_switch() {
        // Textbook DDB, 5 years, 40 %/yr: 4000, 2400, 1440, then in year 4
        // straight line on 2160 over 2 years (1080) beats 40 % (864).
        let method = Depreciation::DecliningBalance {
            life_years: 5,
            factor: 2.0,
            salvage_fraction: 0.0,
            switch_to_straight_line: true,
        };
        let schedule = annual_depreciation(&method, 10_000.0);
        assert_all_close(
            &schedule,
            &[4000.0, 2400.0, 1440.0, 1080.0, 1080.0],
            MONEY_TOL,
        );
    }

    #[test]
    fn double_declining_ten_years_and_without_switch() {
        // 10-year DDB is 20 % of book: 0.8^k · 20 % in year k+1. After five
        // years book is 0.8^5 = 32.768 %; straight line over the last five
        // years is 6.5536 %, equal to 20 % of book, so the switch happens in
        // year 6 and the last five years are 65,536 each on 1,000,000.
        let method = Depreciation::DecliningBalance {
            life_years: 10,
            factor: 2.0,
            salvage_fraction: 0.0,
            switch_to_straight_line: true,
        };
        let expected = [
            200_000.0, 160_000.0, 128_000.0, 102_400.0, 81_920.0, 65_536.0, 65_536.0, 65_536.0,
            65_536.0, 65_536.0,
        ];
        assert_all_close(&annual_depreciation(&method, 1_000_000.0), &expected, 1e-8);
        // Without the switch, 5-year DDB keeps taking 40 % and writes off the
        // remaining 1,296 in the final year.
        let no_switch = Depreciation::DecliningBalance {
            life_years: 5,
            factor: 2.0,
            salvage_fraction: 0.0,
            switch_to_straight_line: false,
        };
        assert_all_close(
            &annual_depreciation(&no_switch, 10_000.0),
            &[4000.0, 2400.0, 1440.0, 864.0, 1296.0],
            MONEY_TOL,
        );
    }

    #[test]
    fn double_declining_respects_salvage() {
        // 4000, 2400, 1440, 864 (book 1296), then only 296 to reach 1000.
        let method = Depreciation::DecliningBalance {
            life_years: 5,
            factor: 2.0,
            salvage_fraction: 0.1,
            switch_to_straight_line: true,
        };
        let schedule = annual_depreciation(&method, 10_000.0);
        assert_all_close(
            &schedule,
            &[4000.0, 2400.0, 1440.0, 864.0, 296.0],
            MONEY_TOL,
        );
        let mut book = 10_000.0;
        for amount in &schedule {
            book -= amount;
            assert!(book >= 1_000.0 - MONEY_TOL);
        }
        assert_close(schedule.iter().sum(), 9_000.0, MONEY_TOL);
    }

    #[test]
    fn declining_without_switch_writes_off_remainder_in_last_year() {
        // 150 % declining over 4 years: 37.5 % of book each year, then the
        // remaining book value in year 4.
        let method = Depreciation::DecliningBalance {
            life_years: 4,
            factor: 1.5,
            salvage_fraction: 0.0,
            switch_to_straight_line: false,
        };
        let schedule = annual_depreciation(&method, 1_000.0);
        let expected = [375.0, 234.375, 146.484_375, 244.140_625];
        assert_all_close(&schedule, &expected, MONEY_TOL);
        // A rate above 100 % (factor 3 over 2 years) writes off in year 1.
        let fast = Depreciation::DecliningBalance {
            life_years: 2,
            factor: 3.0,
            salvage_fraction: 0.25,
            switch_to_straight_line: false,
        };
        assert_all_close(&annual_depreciation(&fast, 100.0), &[75.0, 0.0], MONEY_TOL);
    }

    #[test]
    fn straight_line_annual_and_monthly() {
        let method = Depreciation::StraightLine {
            life_years: 5,
            salvage_fraction: 0.1,
        };
        assert_all_close(
            &annual_depreciation(&method, 10_000.0),
            &[1_800.0; 5],
            MONEY_TOL,
        );
        let monthly = monthly_depreciation(&method, 10_000.0);
        assert_all_close(&monthly, &[150.0; 60], MONEY_TOL);
    }

    #[test]
    fn monthly_spreads_each_year_evenly() {
        let monthly = monthly_depreciation(&macrs_5(), 120_000.0);
        assert_eq!(monthly.len(), 72);
        assert!(
            monthly
                .iter()
                .take(12)
                .all(|m| close(*m, 2_000.0, MONEY_TOL))
        );
        assert!(
            monthly
                .iter()
                .skip(12)
                .take(12)
                .all(|m| close(*m, 3_200.0, MONEY_TOL))
        );
        assert_close(monthly.iter().sum(), 120_000.0, MONEY_TOL);
    }

    #[test]
    fn negative_cost_mirrors_schedule() {
        let method = Depreciation::StraightLine {
            life_years: 2,
            salvage_fraction: 0.0,
        };
        assert_eq!(annual_depreciation(&method, -100.0), vec![-50.0, -50.0]);
    }

    #[test]
    fn invalid_depreciation_parameters_give_empty_schedules() {
        let invalid = [
            Depreciation::StraightLine {
                life_years: 0,
                salvage_fraction: 0.0,
            },
            Depreciation::StraightLine {
                life_years: u32::MAX,
                salvage_fraction: 0.0,
            },
            Depreciation::StraightLine {
                life_years: 5,
                salvage_fraction: 1.5,
            },
            Depreciation::StraightLine {
                life_years: 5,
                salvage_fraction: f64::NAN,
            },
            Depreciation::DecliningBalance {
                life_years: 5,
                factor: 0.0,
                salvage_fraction: 0.0,
                switch_to_straight_line: true,
            },
            Depreciation::DecliningBalance {
                life_years: 5,
                factor: f64::INFINITY,
                salvage_fraction: 0.0,
                switch_to_straight_line: true,
            },
            Depreciation::DecliningBalance {
                life_years: 5,
                factor: 2.0,
                salvage_fraction: -0.1,
                switch_to_straight_line: false,
            },
            Depreciation::Table {
                annual_rates: vec![0.5, -0.1],
            },
            Depreciation::Table {
                annual_rates: vec![0.5, f64::NAN],
            },
            Depreciation::Table {
                annual_rates: vec![0.001; MAX_DEPRECIATION_YEARS as usize + 1],
            },
        ];
        for method in &invalid {
            assert!(
                annual_depreciation(method, 1_000.0).is_empty(),
                "{method:?}"
            );
            assert!(
                monthly_depreciation(method, 1_000.0).is_empty(),
                "{method:?}"
            );
        }
        assert!(annual_depreciation(&macrs_5(), f64::NAN).is_empty());
        assert!(
            annual_depreciation(
                &Depreciation::Table {
                    annual_rates: vec![]
                },
                1.0
            )
            .is_empty()
        );
    }

    #[test]
    fn full_salvage_and_extreme_cost() {
        let method = Depreciation::DecliningBalance {
            life_years: 3,
            factor: 2.0,
            salvage_fraction: 1.0,
            switch_to_straight_line: true,
        };
        assert_eq!(annual_depreciation(&method, 500.0), vec![0.0; 3]);
        let sl = Depreciation::StraightLine {
            life_years: 1,
            salvage_fraction: 0.0,
        };
        assert_eq!(annual_depreciation(&sl, f64::MAX), vec![f64::MAX]);
        assert!(
            monthly_depreciation(&macrs_5(), f64::MAX)
                .iter()
                .all(|m| m.is_finite())
        );
    }

    // ---- properties ----

    fn depreciation_strategy() -> impl Strategy<Value = Depreciation> {
        prop_oneof![
            (1_u32..=50, 0.0..=1.0_f64).prop_map(|(life_years, salvage_fraction)| {
                Depreciation::StraightLine {
                    life_years,
                    salvage_fraction,
                }
            }),
            (1_u32..=50, 0.01..=5.0_f64, 0.0..=1.0_f64, any::<bool>()).prop_map(
                |(life_years, factor, salvage_fraction, switch_to_straight_line)| {
                    Depreciation::DecliningBalance {
                        life_years,
                        factor,
                        salvage_fraction,
                        switch_to_straight_line,
                    }
                }
            ),
            prop::collection::vec(0.0..=1.0_f64, 0..30)
                .prop_map(|annual_rates| Depreciation::Table { annual_rates }),
        ]
    }

    /// The amount the schedule should sum to, computed from the definition.
    fn depreciable(method: &Depreciation, cost: f64) -> f64 {
        match method {
            Depreciation::StraightLine {
                salvage_fraction, ..
            }
            | Depreciation::DecliningBalance {
                salvage_fraction, ..
            } => cost * (1.0 - salvage_fraction),
            Depreciation::Table { annual_rates } => cost * annual_rates.iter().sum::<f64>(),
        }
    }

    proptest! {
        #[test]
        fn prop_balance_rolls_forward_to_balloon(
            rate in 0.0..0.015_f64,
            periods in 1_u32..=360,
            principal in 0.0..1e7_f64,
            balloon_fraction in 0.0..1.0_f64,
            k in 0_u32..=360,
        ) {
            let balloon = principal * balloon_fraction;
            let pmt = payment(rate, periods, principal, balloon);
            prop_assert!(pmt.is_some());
            let pmt = pmt.unwrap_or(f64::NAN);
            prop_assert!(pmt.is_finite());
            let scale = principal.max(pmt * f64::from(periods)).max(1.0);
            // Simulate the amortisation table independently.
            let mut balance = principal;
            for paid in 0..periods {
                let reported = remaining_balance(rate, periods, principal, balloon, paid);
                prop_assert!(reported.is_some());
                let reported = reported.unwrap_or(f64::NAN);
                prop_assert!(close(reported, balance, PROP_REL_TOL * scale),
                    "after {} payments: {} vs simulated {}", paid, reported, balance);
                balance = balance * (1.0 + rate) - pmt;
            }
            prop_assert!(close(balance, balloon, PROP_REL_TOL * scale),
                "final simulated balance {} vs balloon {}", balance, balloon);
            let after = remaining_balance(rate, periods, principal, balloon, periods.max(k));
            prop_assert_eq!(after, Some(balloon));
        }

        #[test]
        fn prop_negative_rate_balances_are_consistent(
            rate in -0.05..0.0_f64,
            periods in 1_u32..=120,
            principal in -1e6..1e6_f64,
            balloon in -1e6..1e6_f64,
        ) {
            let pmt = payment(rate, periods, principal, balloon).unwrap_or(f64::NAN);
            let mut balance = principal;
            for _ in 0..periods {
                balance = balance * (1.0 + rate) - pmt;
            }
            let scale = principal.abs().max(balloon.abs()).max(pmt.abs() * f64::from(periods)).max(1.0);
            prop_assert!(close(balance, balloon, PROP_REL_TOL * scale));
        }

        #[test]
        fn prop_npv_at_zero_rate_is_sum(flows in prop::collection::vec(-1e9..1e9_f64, 0..50)) {
            let sum: f64 = flows.iter().sum();
            let scale: f64 = flows.iter().map(|f| f.abs()).sum::<f64>().max(1.0);
            prop_assert!(close(npv(0.0, &flows), sum, 1e-15 * scale));
        }

        #[test]
        fn prop_npv_is_finite(
            rate in prop_oneof![-3.0..3.0_f64, any::<f64>()],
            flows in prop::collection::vec(any::<f64>(), 0..40),
        ) {
            let all_finite = rate.is_finite() && flows.iter().all(|f| f.is_finite());
            let value = npv(rate, &flows);
            prop_assert_eq!(value.is_finite(), all_finite);
            prop_assert!(all_finite || value.is_nan());
        }

        #[test]
        fn prop_irr_zeroes_npv(
            flows in prop::collection::vec(-1000.0..1000.0_f64, 1..25),
            prefer_near in -0.5..2.0_f64,
        ) {
            let result = irr(&flows, prefer_near);
            prop_assert_eq!(result, irr(&flows, prefer_near));
            if let Irr::Rate { per_period, roots } = result {
                prop_assert!(per_period > IRR_RATE_MIN && per_period <= IRR_RATE_MAX);
                prop_assert!(roots >= 1);
                // The residual is judged relative to the sum of |flows|, each
                // expressed at the same time as the NPV (i.e. discounted):
                // for negative rates discounting magnifies later flows, and
                // so does rounding error.
                let scale: f64 = flows
                    .iter()
                    .enumerate()
                    .map(|(t, f)| f.abs() * discount_factor(per_period, t as f64))
                    .sum();
                let residual = npv(per_period, &flows);
                prop_assert!(residual.abs() <= 1e-9 * scale,
                    "npv {} at rate {} (scale {})", residual, per_period, scale);
            }
            let has_pos = flows.iter().any(|f| *f > 0.0);
            let has_neg = flows.iter().any(|f| *f < 0.0);
            if !(has_pos && has_neg) {
                prop_assert_eq!(result, Irr::NoRoot);
            }
        }

        #[test]
        fn prop_conventional_project_irr(
            outlay in 1.0..1e6_f64,
            inflows in prop::collection::vec(0.0..1e6_f64, 1..40),
        ) {
            // One sign change: at most one root. If it exists it is in the
            // range exactly when NPV changes sign across the range.
            let mut flows = vec![-outlay];
            flows.extend(inflows.iter().copied());
            let result = irr(&flows, 0.1);
            let scale: f64 = flows.iter().map(|f| f.abs()).sum();
            match result {
                Irr::Rate { per_period, roots } => {
                    prop_assert_eq!(roots, 1);
                    let residual = npv(per_period, &flows);
                    // For positive rates discounting only shrinks terms, so
                    // the plain sum of |flows| is a valid scale there.
                    if per_period >= 0.0 {
                        prop_assert!(residual.abs() <= 1e-9 * scale);
                    }
                    // NPV of a conventional project falls through zero here.
                    let step = 1e-6 * (1.0 + per_period);
                    prop_assert!(npv(per_period - step, &flows) > 0.0);
                    prop_assert!(npv(per_period + step, &flows) < 0.0);
                }
                Irr::NoRoot => {
                    let low = npv(-0.989, &flows);
                    let high = npv(IRR_RATE_MAX, &flows);
                    prop_assert!(low.signum() == high.signum());
                }
            }
        }

        #[test]
        fn prop_irr_scan_matches_every_point(
            flows in prop::collection::vec(
                prop_oneof![-1e6..1e6_f64, -10.0..10.0_f64, Just(0.0)],
                2..160,
            ),
        ) {
            assert_scan_matches_every_point(&flows);
        }

        #[test]
        fn prop_irr_scan_matches_every_point_on_savings(
            months in 12usize..300,
            purchases in prop::collection::vec((0usize..300, 1e4..1e7_f64), 1..6),
            saving in 1e2..1e5_f64,
            growth in -0.05..0.3_f64,
        ) {
            let mut flows: Vec<f64> = (0..=months)
                .map(|t| if t == 0 { 0.0 } else { saving * (1.0 + growth).powf(t as f64 / 12.0) })
                .collect();
            for (t, price) in purchases {
                flows[t % months] -= price;
            }
            assert_scan_matches_every_point(&flows);
        }

        #[test]
        fn prop_irr_never_panics_on_any_input(
            flows in prop::collection::vec(any::<f64>(), 0..12),
            prefer_near in any::<f64>(),
        ) {
            if let Irr::Rate { per_period, roots } = irr(&flows, prefer_near) {
                prop_assert!(per_period.is_finite());
                prop_assert!(roots >= 1);
            }
        }

        #[test]
        fn prop_depreciation_sums_and_is_non_negative(
            method in depreciation_strategy(),
            cost in 0.0..1e8_f64,
        ) {
            let annual = annual_depreciation(&method, cost);
            let monthly = monthly_depreciation(&method, cost);
            prop_assert_eq!(monthly.len(), annual.len() * 12);
            prop_assert!(annual.iter().chain(&monthly).all(|a| a.is_finite() && *a >= 0.0));
            let expected = depreciable(&method, cost);
            let tol = 1e-12 * cost.max(1.0) * (annual.len() as f64).max(1.0);
            prop_assert!(close(annual.iter().sum(), expected, tol),
                "annual sum {} vs {}", annual.iter().sum::<f64>(), expected);
            prop_assert!(close(monthly.iter().sum(), expected, tol));
            if let Depreciation::DecliningBalance { salvage_fraction, .. } = method {
                let salvage = cost * salvage_fraction;
                let mut book = cost;
                for amount in &annual {
                    book -= amount;
                    prop_assert!(book >= salvage - tol);
                }
            }
        }
    }
}

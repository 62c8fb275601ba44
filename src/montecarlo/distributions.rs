//! Input distributions for the Monte Carlo simulation.
//!
//! # Distributions and parameterisation
//!
//! * [`Distribution::Fixed`] – a constant.
//! * [`Distribution::Uniform`] – uniform on `[low, high]`.
//! * [`Distribution::Triangular`] – triangular with minimum `low`, mode `mode`, maximum `high`.
//! * [`Distribution::Normal`] – normal with `mean` and standard deviation `sd`, truncated to
//!   `[low, high]`; either bound may be infinite (use `f64::NEG_INFINITY` / `f64::INFINITY`
//!   for an untruncated normal).
//! * [`Distribution::LogNormal`] – lognormal given by its 10th and 90th percentiles, which
//!   is how estimates are usually elicited ("90% sure it is above `p10`, below `p90`").
//!   Internally `ln X ~ N(mu, sigma)` with `mu = (ln p10 + ln p90) / 2` and
//!   `sigma = (ln p90 - ln p10) / (2 z90)`, `z90 = Φ⁻¹(0.9)`.
//! * [`Distribution::Pert`] – PERT: a beta distribution scaled to `[low, high]` with shape
//!   parameters `α = 1 + 4 (mode - low) / (high - low)` and `β = 1 + 4 (high - mode) / (high - low)`
//!   (the usual `λ = 4`), so the mean is `(low + 4 mode + high) / 6`.
//!
//! Degenerate ranges (`low == high`) are accepted for uniform, triangular and PERT and give
//! a constant.
//!
//! # Sampling and reproducibility
//!
//! Every distribution is sampled by inversion: [`Distribution::sample`] draws `u` uniformly
//! from the open interval `(0, 1)` and returns [`Distribution::quantile`]`(u)`. Inversion keeps
//! one uniform per input per sample, which is what a Gaussian copula (built on
//! [`normal_cdf`] / [`normal_quantile`]) needs, and it makes the result a pure function of the
//! random stream.
//!
//! [`sample_rng`] gives each Monte Carlo sample its own ChaCha8 stream: the key is derived
//! from the run seed and the stream number is the sample index. Sample `i` therefore sees the
//! same random numbers whichever thread draws it and in whatever order samples are drawn,
//! so a seeded run is reproducible bit for bit independently of parallelism.

use crate::error::written;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use statrs::function::erf::erfc_inv;
use std::f64::consts::PI;
use std::fmt;

/// An input distribution. Call [`Distribution::validate`] before sampling.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// A constant value.
    Fixed(f64),
    /// Uniform on `[low, high]`.
    Uniform { low: f64, high: f64 },
    /// Triangular with minimum `low`, mode `mode` and maximum `high`.
    Triangular { low: f64, mode: f64, high: f64 },
    /// Normal truncated to [low, high] (either bound may be infinite).
    Normal {
        mean: f64,
        sd: f64,
        low: f64,
        high: f64,
    },
    /// Lognormal given its 10th and 90th percentiles (0 < p10 < p90).
    LogNormal { p10: f64, p90: f64 },
    /// PERT (beta) with the usual lambda = 4.
    Pert { low: f64, mode: f64, high: f64 },
}

/// Why a [`Distribution`] is invalid. Names are the parameter names of the variant.
#[derive(Debug, Clone, PartialEq)]
pub enum DistError {
    /// A parameter that must be finite is infinite or NaN (for truncation bounds: NaN, or
    /// an infinite bound on the wrong side).
    NonFinite { name: &'static str, value: f64 },
    /// A parameter that must be strictly positive is not.
    NotPositive { name: &'static str, value: f64 },
    /// `name` must be at most `other`.
    Above {
        name: &'static str,
        value: f64,
        other: &'static str,
        other_value: f64,
    },
    /// `name` must be strictly below `other`.
    NotBelow {
        name: &'static str,
        value: f64,
        other: &'static str,
        other_value: f64,
    },
    /// `high - low` is too large to represent as an `f64`.
    RangeOverflow { low: f64, high: f64 },
    /// The truncation interval has (numerically) zero probability under the normal.
    EmptyTruncation {
        mean: f64,
        sd: f64,
        low: f64,
        high: f64,
    },
}

impl fmt::Display for DistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = |v: &f64| written(*v);
        match self {
            DistError::NonFinite { name, value } => {
                write!(f, "{name} ({}) is not finite", w(value))
            }
            DistError::NotPositive { name, value } => {
                write!(f, "{name} ({}) is not positive", w(value))
            }
            DistError::Above {
                name,
                value,
                other,
                other_value,
            } => write!(
                f,
                "{name} ({}) is above {other} ({})",
                w(value),
                w(other_value)
            ),
            DistError::NotBelow {
                name,
                value,
                other,
                other_value,
            } => write!(
                f,
                "{name} ({}) is not below {other} ({})",
                w(value),
                w(other_value)
            ),
            DistError::RangeOverflow { low, high } => {
                write!(
                    f,
                    "range from low ({}) to high ({}) overflows",
                    w(low),
                    w(high)
                )
            }
            DistError::EmptyTruncation {
                mean,
                sd,
                low,
                high,
            } => write!(
                f,
                "truncation interval [{}, {}] has zero probability under normal(mean {}, sd {})",
                w(low),
                w(high),
                w(mean),
                w(sd)
            ),
        }
    }
}

impl std::error::Error for DistError {}

fn finite(name: &'static str, value: f64) -> Result<(), DistError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(DistError::NonFinite { name, value })
    }
}

fn positive(name: &'static str, value: f64) -> Result<(), DistError> {
    if value > 0.0 {
        Ok(())
    } else {
        Err(DistError::NotPositive { name, value })
    }
}

fn at_most(
    name: &'static str,
    value: f64,
    other: &'static str,
    other_value: f64,
) -> Result<(), DistError> {
    if value <= other_value {
        Ok(())
    } else {
        Err(DistError::Above {
            name,
            value,
            other,
            other_value,
        })
    }
}

fn below(
    name: &'static str,
    value: f64,
    other: &'static str,
    other_value: f64,
) -> Result<(), DistError> {
    if value < other_value {
        Ok(())
    } else {
        Err(DistError::NotBelow {
            name,
            value,
            other,
            other_value,
        })
    }
}

fn bounded_range(low: f64, mode: Option<f64>, high: f64) -> Result<(), DistError> {
    finite("low", low)?;
    if let Some(m) = mode {
        finite("mode", m)?;
    }
    finite("high", high)?;
    at_most("low", low, "high", high)?;
    if let Some(m) = mode {
        at_most("low", low, "mode", m)?;
        at_most("mode", m, "high", high)?;
    }
    if !(high - low).is_finite() {
        return Err(DistError::RangeOverflow { low, high });
    }
    Ok(())
}

/// Standardised, possibly reflected, truncated normal: the bounds `(a, b)` in sd units,
/// whether they were reflected (`a, b := -b, -a`) so that the lower bound lies in the
/// lower tail, where `normal_cdf` has full relative accuracy, and `(Φ(a), Φ(b) - Φ(a))`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TruncStd {
    reflect: bool,
    cdf_a: f64,
    mass: f64,
}

fn trunc_std(mean: f64, sd: f64, low: f64, high: f64) -> TruncStd {
    let alpha = (low - mean) / sd;
    let beta = (high - mean) / sd;
    let reflect = alpha > -beta;
    let (a, b) = if reflect {
        (-beta, -alpha)
    } else {
        (alpha, beta)
    };
    let cdf_a = normal_cdf(a);
    let mass = normal_cdf(b) - cdf_a;
    TruncStd {
        reflect,
        cdf_a,
        mass,
    }
}

/// The truncated normal's quantile at `u`, from its precomputed standardised bounds.
fn normal_at(mean: f64, sd: f64, low: f64, high: f64, t: &TruncStd, u: f64) -> f64 {
    let v = if t.reflect { 1.0 - u } else { u };
    let z = normal_quantile(t.cdf_a + v * t.mass);
    let z = if t.reflect { -z } else { z };
    let x = mean + sd * z;
    if x.is_nan() {
        mean.clamp(low, high)
    } else {
        x.clamp(low, high)
    }
}

/// The lognormal's quantile at `u` from `ln p10` and `ln p90`; written so that u = 0.1 and
/// u = 0.9 return p10 and p90 up to rounding.
fn lognormal_at(l10: f64, l90: f64, u: f64) -> f64 {
    let t = (normal_quantile(u) / Z90 + 1.0) / 2.0;
    (l10 + t * (l90 - l10)).exp()
}

/// A distribution with the constants of its inverse CDF computed once, for sampling in a hot
/// loop: [`Prepared::quantile`] returns exactly what [`Distribution::quantile`] returns, except
/// for PERT, whose inversions start from a table and agree within 1e-13 of the range.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    distribution: Distribution,
    trunc: Option<TruncStd>,
    logs: Option<(f64, f64)>,
    /// PERT: the beta distribution's quantiles with their starting table.
    beta: Option<SeededBeta>,
}

/// Intervals of each half-table of [`SeededBeta`], evenly spaced in `t = p^(1/a)` over
/// `[0, ½^(1/a)]`.
const BETA_TABLE: usize = 128;

/// The quantile of Beta(a, b) at `u` without a table. The lower half solves I_x(a, b) = u; the
/// upper half solves I_y(b, a) = 1 − u (exact for u ≥ ½) and returns x = 1 − y, so that neither
/// tail loses digits to `1 − I`.
fn beta_quantile(u: f64, a: f64, b: f64) -> f64 {
    if u <= 0.5 {
        inverse_beta(u, a, b, ln_beta(a, b), beta_start(a, b), (0.0, 1.0))
    } else {
        1.0 - inverse_beta(1.0 - u, b, a, ln_beta(b, a), beta_start(b, a), (0.0, 1.0))
    }
}

/// The lower half of the quantile function of Beta(a, b), tabulated for starting each
/// inversion close to its root. Near p = 0 the quantile grows like `p^(1/a)`, whose derivatives
/// are unbounded; as a function of `t = p^(1/a)` it is smooth (x ≈ t·(a·B(a, b))^(1/a) near 0),
/// so the table holds the quantiles `x_k` at `t_k = k·Δt` (k = 0..=BETA_TABLE) with their
/// slopes dx/dt, and a cubic Hermite interpolation between two nodes starts near the root.
#[derive(Debug, Clone, PartialEq)]
struct HalfBeta {
    a: f64,
    b: f64,
    ln_b: f64,
    /// `1 / a`.
    inv_a: f64,
    /// `1 / Δt`.
    per_step: f64,
    /// `x_k`.
    table: Vec<f64>,
    /// `Δt · dx/dt` at `t_k`.
    slope: Vec<f64>,
}

impl HalfBeta {
    fn new(a: f64, b: f64) -> HalfBeta {
        let ln_b = ln_beta(a, b);
        let inv_a = 1.0 / a;
        let step = 0.5f64.powf(inv_a) / BETA_TABLE as f64;
        let mut table = Vec::with_capacity(BETA_TABLE + 1);
        let mut slope = Vec::with_capacity(BETA_TABLE + 1);
        // At t = 0: x = 0 and dx/dt = (a·B(a, b))^(1/a).
        table.push(0.0);
        slope.push(step * ((a.ln() + ln_b) * inv_a).exp());
        let mut previous = 0.0;
        for k in 1..=BETA_TABLE {
            let t = step * k as f64;
            let p = if k == BETA_TABLE { 0.5 } else { t.powf(a) };
            // Each node starts from the one before (the quantile rises with p).
            let start = if previous > 0.0 {
                previous
            } else {
                beta_start(a, b)
            };
            let x = inverse_beta(p, a, b, ln_b, start, (previous, 1.0));
            // dx/dt = dx/dp · dp/dt = a·t^(a−1) / pdf(x).
            let ln_pdf = (a - 1.0) * x.ln() + (b - 1.0) * (-x).ln_1p() - ln_b;
            let dxdt = (a.ln() + (a - 1.0) * t.ln() - ln_pdf).exp();
            table.push(x);
            slope.push(if dxdt.is_finite() { step * dxdt } else { 0.0 });
            previous = x;
        }
        HalfBeta {
            a,
            b,
            ln_b,
            inv_a,
            per_step: 1.0 / step,
            table,
            slope,
        }
    }

    /// The quantile at `p` in (0, ½]: one Newton step from the interpolated start, which is
    /// enough when its size `s` leaves an error `K·s²` (K = |pdf′ / 2·pdf|, the Newton error
    /// constant) below 1e-17; otherwise Newton steps in the bracket of the two nodes go on to
    /// 1e-15 as [`inverse_beta`].
    fn quantile(&self, p: f64) -> f64 {
        let (a, b) = (self.a, self.b);
        let s = p.powf(self.inv_a) * self.per_step;
        let k = (s as usize).min(BETA_TABLE - 1);
        let w = (s - k as f64).clamp(0.0, 1.0);
        let (x0, x1) = (self.table[k], self.table[k + 1]);
        let (m0, m1) = (self.slope[k], self.slope[k + 1]);
        let v = 1.0 - w;
        let start =
            v * v * ((1.0 + 2.0 * w) * x0 + w * m0) + w * w * ((3.0 - 2.0 * w) * x1 - v * m1);
        // The nodes are accurate to about 1e-15, so the bracket is widened by a little more
        // for `p` at a node.
        let bracket = ((x0 - 1e-12).max(0.0), (x1 + 1e-12).min(1.0));
        if start > bracket.0 && start < bracket.1 && start > 0.0 && start < 1.0 {
            let (ln_x, ln_1mx) = (start.ln(), (-start).ln_1p());
            let f = inc_beta(start, a, b, ln_x, ln_1mx, self.ln_b) - p;
            let pdf = ((a - 1.0) * ln_x + (b - 1.0) * ln_1mx - self.ln_b).exp();
            let step = f / pdf;
            let next = start - step;
            let curvature = 0.5 * ((a - 1.0) / start - (b - 1.0) / (1.0 - start)).abs();
            if pdf > 0.0 && next > bracket.0 && next < bracket.1 && curvature * step * step <= 1e-17
            {
                return next;
            }
        }
        #[cfg(test)]
        prepared_tests::FURTHER_STEPS.with(|n| n.set(n.get() + 1));
        inverse_beta(p, a, b, self.ln_b, start, bracket)
    }
}

/// [`beta_quantile`] with each inversion started from a table (one per half): one evaluation of
/// the incomplete beta and one Newton step for nearly every probability, instead of about four
/// from a linear start (and about six, up to fifty with bisection fallbacks, from the mode).
#[derive(Debug, Clone, PartialEq)]
struct SeededBeta {
    lower: HalfBeta,
    /// The lower half of Beta(b, a), for the upper half of Beta(a, b).
    upper: HalfBeta,
}

impl SeededBeta {
    fn new(a: f64, b: f64) -> SeededBeta {
        SeededBeta {
            lower: HalfBeta::new(a, b),
            upper: HalfBeta::new(b, a),
        }
    }

    fn quantile(&self, u: f64) -> f64 {
        if u <= 0.0 {
            0.0
        } else if u >= 1.0 {
            1.0
        } else if u <= 0.5 {
            self.lower.quantile(u)
        } else {
            1.0 - self.upper.quantile(1.0 - u)
        }
    }
}

impl Prepared {
    pub fn new(distribution: Distribution) -> Prepared {
        let (trunc, logs) = match distribution {
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            } => (Some(trunc_std(mean, sd, low, high)), None),
            Distribution::LogNormal { p10, p90 } => (None, Some((p10.ln(), p90.ln()))),
            _ => (None, None),
        };
        let beta = match distribution {
            Distribution::Pert { low, mode, high } if high - low > 0.0 => {
                let (a, b) = pert_shape(low, mode, high);
                Some(SeededBeta::new(a, b))
            }
            _ => None,
        };
        Prepared {
            distribution,
            trunc,
            logs,
            beta,
        }
    }

    pub fn distribution(&self) -> &Distribution {
        &self.distribution
    }

    /// The value at probability `u`, as [`Distribution::quantile`].
    pub fn quantile(&self, u: f64) -> f64 {
        match (&self.distribution, &self.trunc, self.logs) {
            (
                Distribution::Normal {
                    mean,
                    sd,
                    low,
                    high,
                },
                Some(t),
                _,
            ) => {
                let u = if u.is_nan() { 0.5 } else { u.clamp(0.0, 1.0) };
                normal_at(*mean, *sd, *low, *high, t, u)
            }
            (Distribution::LogNormal { .. }, _, Some((l10, l90))) => {
                let u = if u.is_nan() { 0.5 } else { u.clamp(0.0, 1.0) };
                lognormal_at(l10, l90, u)
            }
            (Distribution::Pert { low, high, .. }, _, _) => match &self.beta {
                Some(beta) => {
                    let u = if u.is_nan() { 0.5 } else { u.clamp(0.0, 1.0) };
                    (low + (high - low) * beta.quantile(u)).clamp(*low, *high)
                }
                None => self.distribution.quantile(u),
            },
            (d, _, _) => d.quantile(u),
        }
    }
}

/// `Φ⁻¹(0.9)`.
const Z90: f64 = 1.2815515655446004;

impl Distribution {
    /// Checks the parameters: finite, low <= mode <= high, sd > 0, 0 < p10 < p90, truncation interval with positive probability, etc.
    pub fn validate(&self) -> Result<(), DistError> {
        match *self {
            Distribution::Fixed(v) => finite("value", v),
            Distribution::Uniform { low, high } => bounded_range(low, None, high),
            Distribution::Triangular { low, mode, high }
            | Distribution::Pert { low, mode, high } => bounded_range(low, Some(mode), high),
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            } => {
                finite("mean", mean)?;
                finite("sd", sd)?;
                positive("sd", sd)?;
                if low.is_nan() || low == f64::INFINITY {
                    return Err(DistError::NonFinite {
                        name: "low",
                        value: low,
                    });
                }
                if high.is_nan() || high == f64::NEG_INFINITY {
                    return Err(DistError::NonFinite {
                        name: "high",
                        value: high,
                    });
                }
                below("low", low, "high", high)?;
                let t = trunc_std(mean, sd, low, high);
                if t.mass > 0.0 && t.mass.is_finite() {
                    Ok(())
                } else {
                    Err(DistError::EmptyTruncation {
                        mean,
                        sd,
                        low,
                        high,
                    })
                }
            }
            Distribution::LogNormal { p10, p90 } => {
                finite("p10", p10)?;
                finite("p90", p90)?;
                positive("p10", p10)?;
                below("p10", p10, "p90", p90)
            }
        }
    }

    /// Inverse CDF: the value at probability `u` in `(0, 1)`.
    ///
    /// Closed forms for fixed, uniform and triangular; the truncated normal maps `u` into
    /// `[Φ(a), Φ(b)]` and applies [`normal_quantile`]; the lognormal exponentiates a normal
    /// quantile; PERT inverts the regularized incomplete beta function numerically
    /// (absolute accuracy about 1e-13 of the range). Results are clamped to the support.
    /// `u` outside `(0, 1)` is clamped to the support's ends (which may be infinite).
    pub fn quantile(&self, u: f64) -> f64 {
        let u = if u.is_nan() { 0.5 } else { u.clamp(0.0, 1.0) };
        match *self {
            Distribution::Fixed(v) => v,
            Distribution::Uniform { low, high } => (low + u * (high - low)).clamp(low, high),
            Distribution::Triangular { low, mode, high } => {
                let range = high - low;
                if range <= 0.0 {
                    return low;
                }
                let split = (mode - low) / range;
                // √(u × range × (mode − low)); for ranges near the largest float the product
                // overflows, and range × √(u × split) (the same value) is taken instead.
                let root = |share: f64, side: f64| {
                    let product = share * range * side;
                    if product.is_finite() {
                        product.sqrt()
                    } else {
                        range * (share * (side / range)).sqrt()
                    }
                };
                let x = if u <= split {
                    low + root(u, mode - low)
                } else {
                    high - root(1.0 - u, high - mode)
                };
                x.clamp(low, high)
            }
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            } => normal_at(mean, sd, low, high, &trunc_std(mean, sd, low, high), u),
            Distribution::LogNormal { p10, p90 } => lognormal_at(p10.ln(), p90.ln(), u),
            Distribution::Pert { low, mode, high } => {
                let range = high - low;
                if range <= 0.0 {
                    return low;
                }
                let (a, b) = pert_shape(low, mode, high);
                (low + range * beta_quantile(u, a, b)).clamp(low, high)
            }
        }
    }

    /// The analytic mean.
    pub fn mean(&self) -> f64 {
        match *self {
            Distribution::Fixed(v) => v,
            Distribution::Uniform { low, high } => low / 2.0 + high / 2.0,
            Distribution::Triangular { low, mode, high } => low / 3.0 + mode / 3.0 + high / 3.0,
            Distribution::Normal {
                mean,
                sd,
                low,
                high,
            } => {
                let alpha = (low - mean) / sd;
                let beta = (high - mean) / sd;
                let t = trunc_std(mean, sd, low, high);
                // E[Z] = (φ(α) - φ(β)) / (Φ(β) - Φ(α)); the mass is reflection invariant.
                let shift = (std_normal_pdf(alpha) - std_normal_pdf(beta)) / t.mass;
                if shift.is_finite() {
                    (mean + sd * shift).clamp(low, high)
                } else {
                    mean.clamp(low, high)
                }
            }
            Distribution::LogNormal { p10, p90 } => {
                let (l10, l90) = (p10.ln(), p90.ln());
                let mu = 0.5 * (l10 + l90);
                let sigma = (l90 - l10) / (2.0 * Z90);
                (mu + 0.5 * sigma * sigma).exp()
            }
            Distribution::Pert { low, mode, high } => low / 6.0 + mode * (4.0 / 6.0) + high / 6.0,
        }
    }

    /// Median and P10/P90 are quantile(0.5), quantile(0.1), quantile(0.9).
    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }

    /// The 10th percentile, `quantile(0.1)`.
    pub fn p10(&self) -> f64 {
        self.quantile(0.1)
    }

    /// The 90th percentile, `quantile(0.9)`.
    pub fn p90(&self) -> f64 {
        self.quantile(0.9)
    }

    /// One draw by inversion: `quantile(u)` with `u` uniform on the open interval `(0, 1)`.
    pub fn sample(&self, rng: &mut impl rand::Rng) -> f64 {
        self.quantile(open_unit(rng))
    }
}

/// A uniform draw from the open interval (0, 1): 52 random bits, centred in their cell, so
/// the result is `(k + 0.5) / 2^52` for `k` in `0..2^52` — never 0, never 1 (with 53 bits the
/// largest value, 1 − 2^-54, would round to 1.0).
pub fn open_unit(rng: &mut impl rand::Rng) -> f64 {
    let k = rng.next_u64() >> 12;
    (k as f64 + 0.5) * (1.0 / (1u64 << 52) as f64)
}

/// Reproducible per-sample generator: ChaCha8 seeded from (seed, sample index) so that sample i is the same whatever thread draws it.
///
/// The 256-bit key holds the seed (little endian) followed by a fixed domain tag; the
/// sample index selects the ChaCha stream, so streams for different samples never overlap.
pub fn sample_rng(seed: u64, sample: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..24].copy_from_slice(b"tcosim/montecarl");
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(sample);
    rng
}

const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// `exp(-x²/2)` with `x²` split so the rounding of the square does not spoil the tail.
fn exp_half_square(x: f64) -> f64 {
    let x = x.abs();
    let hi = (x * 16.0).trunc() / 16.0;
    let lo = x - hi;
    (-0.5 * hi * hi).exp() * (-0.5 * lo * (x + hi)).exp()
}

fn std_normal_pdf(x: f64) -> f64 {
    if x.is_infinite() {
        return 0.0;
    }
    FRAC_1_SQRT_2PI * exp_half_square(x)
}

/// Below this |x| the power series is used, above it the continued fraction.
const CDF_SERIES_LIMIT: f64 = 3.0;

/// Standard normal CDF. Absolute error ~1e-16 everywhere and relative error ~1e-14 in the
/// lower tail (use `normal_cdf(-x)` for the upper tail probability).
///
/// For `|x| < 3` it uses `Φ(x) = 1/2 + φ(x) Σ x^(2n+1) / (2n+1)!!` (all terms positive);
/// beyond, the Laplace continued fraction for Mills' ratio,
/// `1 - Φ(x) = φ(x) / (x + 1/(x + 2/(x + 3/(x + …))))`.
pub fn normal_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x.abs() < CDF_SERIES_LIMIT {
        let x2 = x * x;
        let mut term = x;
        let mut sum = x;
        let mut n = 1.0;
        while term.abs() > 1e-17 * sum.abs() {
            term *= x2 / (2.0 * n + 1.0);
            sum += term;
            n += 1.0;
        }
        return (0.5 + std_normal_pdf(x) * sum).clamp(0.0, 1.0);
    }
    let t = x.abs();
    let tail = if t.is_infinite() {
        0.0
    } else {
        std_normal_pdf(t) / mills_denominator(t)
    };
    if x < 0.0 { tail } else { 1.0 - tail }
}

/// `x + 1/(x + 2/(x + 3/(x + …)))` by the modified Lentz method, for `x >= 3`.
fn mills_denominator(x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut f = x;
    let mut c = f;
    let mut d = 0.0;
    for n in 1..500 {
        let a = n as f64;
        d = x + a * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = x + a / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    f
}

/// Standard normal inverse CDF, `Φ⁻¹(p) = −√2 erfc⁻¹(2p)`, with statrs' inverse complementary
/// error function: as accurate as the Acklam approximation with two Halley steps it replaced
/// (the two agree to 2e-16 relative from p = 1e-300 to 0.3, and near ½ this one is exact where
/// that was 1e-9 off) and about ten times faster (`benches/compare`, README "Performance"). Computed in the
/// lower tail and reflected for `p > 0.5`, so `normal_quantile(p) == -normal_quantile(1 - p)`
/// when `1 - p` is exact. Returns ±∞ at 0 and 1, NaN for NaN or `p` outside `[0, 1]`.
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p > 0.5 {
        return -normal_quantile(1.0 - p);
    }
    -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p)
}

/// A start for inverting a beta distribution without a table: its mode, kept off the ends.
fn beta_start(a: f64, b: f64) -> f64 {
    ((a - 1.0) / (a + b - 2.0)).clamp(0.05, 0.95)
}

/// PERT shape parameters (α, β) for λ = 4; requires `low < high`.
fn pert_shape(low: f64, mode: f64, high: f64) -> (f64, f64) {
    let range = high - low;
    let a = 1.0 + 4.0 * ((mode - low) / range).clamp(0.0, 1.0);
    let b = 1.0 + 4.0 * ((high - mode) / range).clamp(0.0, 1.0);
    (a, b)
}

/// `ln Γ(x)` for `x > 0`: shift up to `x >= 15`, then Stirling's series with terms to
/// `1/z^13` (truncation error below 1e-17 there).
fn ln_gamma(x: f64) -> f64 {
    let mut z = x;
    let mut shift = 0.0;
    while z < 15.0 {
        shift += z.ln();
        z += 1.0;
    }
    let z2 = 1.0 / (z * z);
    let series = (1.0 / 12.0
        + z2 * (-1.0 / 360.0
            + z2 * (1.0 / 1260.0
                + z2 * (-1.0 / 1680.0
                    + z2 * (1.0 / 1188.0 + z2 * (-691.0 / 360_360.0 + z2 / 156.0))))))
        / z;
    (z - 0.5) * z.ln() - z + 0.5 * (2.0 * PI).ln() + series - shift
}

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// Regularized incomplete beta `I_x(a, b)` for `a, b >= 1` and `0 < x < 1` via its continued
/// fraction, using `I_x(a, b) = 1 - I_{1-x}(b, a)` where the fraction converges faster; given
/// `ln x`, `ln(1 - x)` and `ln B(a, b)`.
fn inc_beta(x: f64, a: f64, b: f64, ln_x: f64, ln_1mx: f64, ln_b: f64) -> f64 {
    let ln_front = a * ln_x + b * ln_1mx - ln_b;
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(x, a, b) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(1.0 - x, b, a) / b
    }
}

/// The continued fraction `1/(1+ d1/(1+ d2/(1+ …)))` of the incomplete beta, with
/// `d(2m+1) = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1))`, `d(2m) = m(b-m)x / ((a+2m-1)(a+2m))`,
/// evaluated by the modified Lentz method.
fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    let mut f = d;
    for m in 1..300 {
        let m = m as f64;
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / guard(1.0 + even * d);
        c = guard(1.0 + even / c);
        f *= c * d;
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / guard(1.0 + odd * d);
        c = guard(1.0 + odd / c);
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    f
}

/// Inverse of `I_x(a, b)` in `x` for `a, b >= 1` (`ln_b` = `ln B(a, b)`): Newton steps from
/// `start`, safeguarded by a shrinking bisection bracket that starts as `bracket` (which must
/// hold the root), until the bracket or step is below 1e-15.
fn inverse_beta(u: f64, a: f64, b: f64, ln_b: f64, start: f64, bracket: (f64, f64)) -> f64 {
    if u <= 0.0 {
        return 0.0;
    }
    if u >= 1.0 {
        return 1.0;
    }
    let (mut lo, mut hi) = bracket;
    let mut x = start.clamp(lo, hi);
    if x <= 0.0 || x >= 1.0 {
        x = 0.5 * (lo + hi);
    }
    for _ in 0..200 {
        // The iterate stays inside (0, 1): it starts there and moves to a Newton step or a
        // midpoint strictly inside the bracket.
        let (ln_x, ln_1mx) = (x.ln(), (1.0 - x).ln());
        let f = inc_beta(x, a, b, ln_x, ln_1mx, ln_b) - u;
        if f == 0.0 {
            return x;
        }
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        if hi - lo < 1e-15 {
            break;
        }
        let pdf = ((a - 1.0) * ln_x + (b - 1.0) * ln_1mx - ln_b).exp();
        let newton = x - f / pdf;
        let next = if pdf > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - x).abs() < 1e-15 {
            x = next;
            break;
        }
        x = next;
    }
    x.clamp(0.0, 1.0)
}

#[cfg(test)]
mod prepared_tests {
    use super::*;

    #[test]
    fn prepared_quantiles_are_the_distributions_bit_for_bit() {
        let cases = [
            Distribution::Normal {
                mean: 1.0,
                sd: 0.1,
                low: 0.6,
                high: 1.4,
            },
            Distribution::Normal {
                mean: 5.0,
                sd: 2.0,
                low: f64::NEG_INFINITY,
                high: f64::INFINITY,
            },
            Distribution::Normal {
                mean: 0.0,
                sd: 1.0,
                low: 3.0,
                high: 9.0,
            },
            Distribution::LogNormal {
                p10: 85_000.0,
                p90: 125_000.0,
            },
            Distribution::Triangular {
                low: -1.0,
                mode: 0.0,
                high: 3.0,
            },
        ];
        for d in cases {
            let p = Prepared::new(d.clone());
            for k in 0..=1000 {
                let u = (f64::from(k) + 0.5) / 1001.0;
                assert_eq!(
                    p.quantile(u).to_bits(),
                    d.quantile(u).to_bits(),
                    "{d:?} at {u}"
                );
            }
        }
    }

    /// PERT shapes (low, mode, high) from α = 1 to α = 5, and the fleet's electricity price.
    const PERT_SHAPES: [(f64, f64, f64); 7] = [
        (1.0, 2.0, 5.0),
        (0.075, 0.0892, 0.13),
        (0.0, 0.0, 1.0),
        (0.0, 1.0, 1.0),
        (0.0, 0.5, 1.0),
        (0.0, 1e-3, 1.0),
        (0.0, 0.999, 1.0),
    ];

    /// A prepared PERT starts each inversion from its table instead of the mode; both converge
    /// to the quantile within the documented 1e-13 of the range (not to the same last bit).
    #[test]
    fn prepared_pert_quantiles_agree_with_the_distributions() {
        for (low, mode, high) in PERT_SHAPES {
            let d = Distribution::Pert { low, mode, high };
            let p = Prepared::new(d.clone());
            let grid = (0..=10_000).map(|k| f64::from(k) / 10_000.0);
            for u in grid.chain(tails()) {
                let (a, b) = (p.quantile(u), d.quantile(u));
                assert!(
                    (a - b).abs() <= 1e-13 * (high - low),
                    "{d:?} at {u}: {a} vs {b}"
                );
            }
        }
    }

    thread_local! {
        /// Inversions of this thread that needed more than the one Newton step.
        pub(super) static FURTHER_STEPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// The table starts each inversion close enough to its root that one Newton step ends it,
    /// over 100,000 evenly spaced probabilities of each shape.
    #[test]
    fn one_newton_step_ends_a_prepared_pert_inversion() {
        for (low, mode, high) in PERT_SHAPES {
            let p = Prepared::new(Distribution::Pert { low, mode, high });
            FURTHER_STEPS.with(|n| n.set(0));
            let n = 100_000;
            for k in 0..n {
                p.quantile((f64::from(k) + 0.5) / f64::from(n));
            }
            let further = FURTHER_STEPS.with(|n| n.get());
            assert_eq!(further, 0, "PERT({low}, {mode}, {high})");
        }
    }

    /// Probabilities deep in both tails, down to the most extreme that `open_unit` draws.
    fn tails() -> impl Iterator<Item = f64> {
        [1e-16, 1e-12, 1e-9, 1e-6, 1e-5, 1e-4, 1e-3]
            .into_iter()
            .flat_map(|t| [t, 1.0 - t])
            .chain([2f64.powi(-52), 1.0 - 2f64.powi(-52), 1.0 - 2f64.powi(-53)])
    }

    /// With the mode at an end, PERT is Beta(1, 5) or Beta(5, 1), whose quantiles have closed
    /// forms: 1 − (1 − u)^(1/5) and u^(1/5). Both tails are accurate to 1e-13 of the range,
    /// prepared or not (the upper half is inverted through its complement, so nothing is lost
    /// to `1 − I` near 1).
    #[test]
    fn pert_quantiles_match_closed_forms_in_both_tails() {
        let at_low = Distribution::Pert {
            low: 0.0,
            mode: 0.0,
            high: 1.0,
        };
        let at_high = Distribution::Pert {
            low: 0.0,
            mode: 1.0,
            high: 1.0,
        };
        let grid = (1..1000).map(|k| f64::from(k) / 1000.0);
        for u in grid.chain(tails()) {
            // 1 − (1 − u)^(1/5) without cancellation: −expm1(ln(1 − u) / 5).
            let low_form = -((-u).ln_1p() / 5.0).exp_m1();
            let high_form = u.powf(0.2);
            for (d, want) in [(&at_low, low_form), (&at_high, high_form)] {
                let prepared = Prepared::new(d.clone()).quantile(u);
                for got in [d.quantile(u), prepared] {
                    assert!((got - want).abs() <= 1e-13, "{d:?} at {u}: {got} vs {want}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Closed forms should agree to rounding error.
    const EXACT_TOL: f64 = 1e-12;
    /// Published reference values for Φ are given to full double precision; Φ is
    /// accurate to ~2e-16 absolute.
    const NORMAL_REF_TOL: f64 = 1e-15;
    /// Φ⁻¹ inherits Φ's ~2e-16 absolute error divided by φ(x) (0.06..0.4 here), i.e. a
    /// few 1e-15, plus a few ulps from the Halley step.
    const NORMAL_QUANTILE_REF_TOL: f64 = 4e-15;
    /// Summing 200,000 doubles naively loses up to ~n·ε relative.
    const SUM_ROUNDING_TOL: f64 = 1e-9;
    /// Number of samples for the statistical tests.
    const N: usize = 200_000;
    /// Sample means and empirical quantiles must lie within 4 standard errors: a false
    /// failure has probability ~6e-5 per check, and the seeds are fixed anyway.
    const SE_MULTIPLE: f64 = 4.0;
    /// PERT is inverted numerically to ~1e-13 of the range, so monotonicity is checked
    /// with this slack (relative to the range).
    const PERT_MONO_TOL: f64 = 1e-12;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    fn examples() -> Vec<Distribution> {
        vec![
            Distribution::Fixed(3.7),
            Distribution::Uniform {
                low: -2.0,
                high: 5.0,
            },
            Distribution::Triangular {
                low: 1.0,
                mode: 2.0,
                high: 10.0,
            },
            Distribution::Normal {
                mean: 100.0,
                sd: 15.0,
                low: f64::NEG_INFINITY,
                high: f64::INFINITY,
            },
            Distribution::Normal {
                mean: 10.0,
                sd: 4.0,
                low: 8.0,
                high: 20.0,
            },
            Distribution::Normal {
                mean: 0.0,
                sd: 1.0,
                low: 3.0,
                high: f64::INFINITY,
            },
            Distribution::LogNormal {
                p10: 50.0,
                p90: 400.0,
            },
            Distribution::Pert {
                low: 0.0,
                mode: 2.0,
                high: 12.0,
            },
            Distribution::Pert {
                low: 5.0,
                mode: 5.0,
                high: 6.0,
            },
        ]
    }

    #[test]
    fn examples_are_valid() {
        for d in examples() {
            assert_eq!(d.validate(), Ok(()), "{d:?}");
        }
    }

    #[test]
    fn uniform_quantile_is_exact() {
        let d = Distribution::Uniform {
            low: -2.0,
            high: 5.0,
        };
        for u in [1e-9, 0.1, 0.25, 0.5, 0.9, 0.999] {
            assert!(close(d.quantile(u), -2.0 + 7.0 * u, EXACT_TOL));
        }
        assert!(close(d.mean(), 1.5, EXACT_TOL));
    }

    #[test]
    fn triangular_quantile_is_exact() {
        let (a, c, b) = (1.0, 2.0, 10.0);
        let d = Distribution::Triangular {
            low: a,
            mode: c,
            high: b,
        };
        let fc = (c - a) / (b - a);
        for u in [0.01, 0.05, 0.1, fc, 0.3, 0.5, 0.9, 0.99] {
            let expected = if u < fc {
                a + (u * (b - a) * (c - a)).sqrt()
            } else {
                b - ((1.0 - u) * (b - a) * (b - c)).sqrt()
            };
            assert!(close(d.quantile(u), expected, EXACT_TOL), "u={u}");
        }
        assert!(close(d.mean(), 13.0 / 3.0, EXACT_TOL));
    }

    #[test]
    fn normal_reference_values() {
        assert!((normal_quantile(0.975) - 1.959963984540054).abs() < NORMAL_QUANTILE_REF_TOL);
        assert!((normal_quantile(0.1) - -1.2815515655446004).abs() < NORMAL_QUANTILE_REF_TOL);
        assert!((normal_cdf(1.96) - 0.9750021048517795).abs() < NORMAL_REF_TOL);
        assert_eq!(normal_cdf(0.0), 0.5);
        assert_eq!(normal_quantile(0.5), 0.0);
        // Φ(-5) = 2.866515718791939e-7, to full relative precision in the tail.
        assert!(close(
            normal_cdf(-5.0) / 2.866_515_718_791_939e-7,
            1.0,
            1e-13
        ));
        // Near ½, Φ⁻¹(½ + ε) = √(2π) ε (1 + π ε²/3 + …): exact to rounding for ε = 1e-9.
        for p in [0.5 + 1e-9, 0.5 - 1e-9] {
            let taylor = (2.0 * PI).sqrt() * (p - 0.5);
            assert!(close(normal_quantile(p) / taylor, 1.0, 1e-15), "p={p}");
        }
        // Round trips in both tails and the centre.
        for p in [1e-300, 1e-20, 1e-5, 0.02, 0.3, 0.5, 0.7, 0.99] {
            let x = normal_quantile(p);
            assert!(close(normal_cdf(x) / p, 1.0, 1e-12), "p={p}");
        }
    }

    #[test]
    fn lognormal_hits_its_percentiles() {
        let d = Distribution::LogNormal {
            p10: 50.0,
            p90: 400.0,
        };
        assert!(close(d.quantile(0.1), 50.0, EXACT_TOL));
        assert!(close(d.quantile(0.9), 400.0, EXACT_TOL));
        assert!(close(d.median(), (50.0f64 * 400.0).sqrt(), EXACT_TOL));
    }

    #[test]
    fn pert_symmetric_median_and_mean() {
        let d = Distribution::Pert {
            low: 2.0,
            mode: 5.0,
            high: 8.0,
        };
        assert!((d.quantile(0.5) - 5.0).abs() < 1e-10);
        let d = Distribution::Pert {
            low: 0.0,
            mode: 2.0,
            high: 12.0,
        };
        assert!(close(d.mean(), (0.0 + 4.0 * 2.0 + 12.0) / 6.0, EXACT_TOL));
        // α = 1, β = 5 (mode at low) has CDF 1 - (1-x)^5, so an exact quantile.
        let d = Distribution::Pert {
            low: 0.0,
            mode: 0.0,
            high: 1.0,
        };
        for u in [0.01f64, 0.3, 0.5, 0.8, 0.999] {
            let expected = 1.0 - (1.0 - u).powf(0.2);
            assert!((d.quantile(u) - expected).abs() < 1e-10, "u={u}");
        }
    }

    #[test]
    fn sample_statistics_match() {
        for d in examples() {
            let mut xs: Vec<f64> = (0..N as u64)
                .map(|i| d.sample(&mut sample_rng(42, i)))
                .collect();
            let n = N as f64;
            let mean = xs.iter().sum::<f64>() / n;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let se = (var / n).sqrt();
            let tol = SE_MULTIPLE * se + SUM_ROUNDING_TOL * (1.0 + d.mean().abs());
            assert!(
                (mean - d.mean()).abs() <= tol,
                "{d:?}: mean {mean} vs {}",
                d.mean()
            );
            xs.sort_by(f64::total_cmp);
            for p in [0.1, 0.5, 0.9] {
                // The empirical p-quantile is the order statistic at rank p·n, whose
                // probability level has standard error sqrt(p(1-p)/n).
                let sp = SE_MULTIPLE * (p * (1.0 - p) / n).sqrt();
                let emp = xs[(p * n) as usize];
                let (lo, hi) = (d.quantile(p - sp), d.quantile(p + sp));
                assert!(
                    lo - 1e-12 <= emp && emp <= hi + 1e-12,
                    "{d:?}: p{p} {emp} not in [{lo}, {hi}]"
                );
            }
            if let Distribution::Normal { low, high, .. } = d {
                assert!(
                    xs.iter().all(|&x| low <= x && x <= high),
                    "{d:?} left its bounds"
                );
            }
        }
    }

    #[test]
    fn sample_rng_is_order_independent() {
        let d = Distribution::Normal {
            mean: 0.0,
            sd: 1.0,
            low: -1.0,
            high: 2.0,
        };
        let forward: Vec<f64> = (0..1000).map(|i| d.sample(&mut sample_rng(7, i))).collect();
        let backward: Vec<f64> = (0..1000)
            .rev()
            .map(|i| d.sample(&mut sample_rng(7, i)))
            .collect();
        let backward: Vec<f64> = backward.into_iter().rev().collect();
        assert_eq!(forward, backward);
        let threaded: Vec<f64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4u64)
                .map(|t| {
                    let d = &d;
                    s.spawn(move || {
                        (0..250)
                            .map(|k| d.sample(&mut sample_rng(7, t * 250 + k)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        assert_eq!(forward, threaded);
        let other: Vec<f64> = (0..1000).map(|i| d.sample(&mut sample_rng(8, i))).collect();
        assert!(forward.iter().zip(&other).all(|(a, b)| a != b));
        assert_ne!(forward[0], forward[1]);
    }

    #[test]
    fn validate_rejects_bad_parameters() {
        use Distribution::*;
        let nan = f64::NAN;
        let inf = f64::INFINITY;
        let bad = [
            Fixed(nan),
            Uniform {
                low: 5.0,
                high: 3.0,
            },
            Uniform {
                low: 0.0,
                high: inf,
            },
            Uniform {
                low: -f64::MAX,
                high: f64::MAX,
            },
            Triangular {
                low: 0.0,
                mode: -1.0,
                high: 1.0,
            },
            Triangular {
                low: 0.0,
                mode: 2.0,
                high: 1.0,
            },
            Triangular {
                low: nan,
                mode: 0.0,
                high: 1.0,
            },
            Pert {
                low: 0.0,
                mode: 3.0,
                high: 1.0,
            },
            Pert {
                low: 2.0,
                mode: 1.0,
                high: 1.0,
            },
            Normal {
                mean: 0.0,
                sd: 0.0,
                low: -inf,
                high: inf,
            },
            Normal {
                mean: 0.0,
                sd: -1.0,
                low: -inf,
                high: inf,
            },
            Normal {
                mean: nan,
                sd: 1.0,
                low: -inf,
                high: inf,
            },
            Normal {
                mean: 0.0,
                sd: inf,
                low: -inf,
                high: inf,
            },
            Normal {
                mean: 0.0,
                sd: 1.0,
                low: 2.0,
                high: 1.0,
            },
            Normal {
                mean: 0.0,
                sd: 1.0,
                low: nan,
                high: 1.0,
            },
            Normal {
                mean: 0.0,
                sd: 1.0,
                low: 50.0,
                high: 60.0,
            },
            LogNormal { p10: 5.0, p90: 5.0 },
            LogNormal { p10: 6.0, p90: 5.0 },
            LogNormal { p10: 0.0, p90: 5.0 },
            LogNormal {
                p10: -1.0,
                p90: 5.0,
            },
            LogNormal { p10: 1.0, p90: inf },
        ];
        for d in bad {
            assert!(d.validate().is_err(), "{d:?} accepted");
        }
        assert_eq!(
            Uniform {
                low: 5.0,
                high: 3.0
            }
            .validate()
            .unwrap_err()
            .to_string(),
            "low (5) is above high (3)"
        );
        assert_eq!(
            Normal {
                mean: 0.0,
                sd: 0.0,
                low: -inf,
                high: inf
            }
            .validate()
            .unwrap_err()
            .to_string(),
            "sd (0) is not positive"
        );
        assert_eq!(
            LogNormal { p10: 6.0, p90: 5.0 }
                .validate()
                .unwrap_err()
                .to_string(),
            "p10 (6) is not below p90 (5)"
        );
    }

    fn valid_dist() -> impl Strategy<Value = Distribution> {
        let triple = (-1e6..1e6f64, 0.0..1.0f64, 1e-6..1e6f64)
            .prop_map(|(low, frac, width)| (low, low + frac * width, low + width));
        prop_oneof![
            (-1e6..1e6f64).prop_map(Distribution::Fixed),
            triple
                .clone()
                .prop_map(|(low, _, high)| Distribution::Uniform { low, high }),
            triple
                .clone()
                .prop_map(|(low, mode, high)| Distribution::Triangular { low, mode, high }),
            triple
                .clone()
                .prop_map(|(low, mode, high)| Distribution::Pert { low, mode, high }),
            (
                -1e3..1e3f64,
                1e-3..1e3f64,
                -6.0..6.0f64,
                1e-3..8.0f64,
                any::<bool>(),
                any::<bool>()
            )
                .prop_map(|(mean, sd, a, w, open_low, open_high)| {
                    Distribution::Normal {
                        mean,
                        sd,
                        low: if open_low {
                            f64::NEG_INFINITY
                        } else {
                            mean + a * sd
                        },
                        high: if open_high {
                            f64::INFINITY
                        } else {
                            mean + (a + w) * sd
                        },
                    }
                }),
            (1e-3..1e3f64, 1.0001..1e3f64)
                .prop_map(|(p10, r)| Distribution::LogNormal { p10, p90: p10 * r }),
        ]
    }

    fn support(d: &Distribution) -> (f64, f64) {
        match *d {
            Distribution::Fixed(v) => (v, v),
            Distribution::Uniform { low, high }
            | Distribution::Triangular { low, high, .. }
            | Distribution::Pert { low, high, .. }
            | Distribution::Normal { low, high, .. } => (low, high),
            Distribution::LogNormal { .. } => (0.0, f64::INFINITY),
        }
    }

    proptest! {
        #[test]
        fn quantile_monotone_and_bounded(d in valid_dist(), us in proptest::collection::vec(1e-12..(1.0 - 1e-12f64), 2..20)) {
            prop_assert_eq!(d.validate(), Ok(()));
            let mut us = us;
            us.sort_by(f64::total_cmp);
            let (low, high) = support(&d);
            let slack = match d {
                Distribution::Pert { low, high, .. } => PERT_MONO_TOL * (high - low),
                _ => 0.0,
            };
            let xs: Vec<f64> = us.iter().map(|&u| d.quantile(u)).collect();
            for &x in &xs {
                prop_assert!(!x.is_nan());
                prop_assert!(low <= x && x <= high, "{} outside [{}, {}]", x, low, high);
            }
            for w in xs.windows(2) {
                prop_assert!(w[0] <= w[1] + slack, "not monotone: {} > {}", w[0], w[1]);
            }
        }
    }
}

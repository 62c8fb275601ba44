//! Rank correlation between uncertain inputs through a Gaussian copula.
//!
//! # Why a Gaussian copula on ranks
//!
//! Estimators state dependence as "these two costs tend to move together", which is a
//! statement about ranks, not about the shape of either distribution. Every input is sampled
//! by inversion from one uniform (see `distributions`), so correlating the *uniforms*
//! correlates the inputs while leaving each marginal distribution exactly as specified.
//!
//! The uniforms are correlated by mapping them to standard normals (`z = Φ⁻¹(u)`), mixing
//! with the Cholesky factor `L` of a correlation matrix (`x = L z`), and mapping back
//! (`u' = Φ(x)`). Spearman's rank correlation is invariant under the monotone maps, and for a
//! bivariate normal with Pearson correlation `r` it equals `(6/π) asin(r/2)`; so to obtain a
//! requested Spearman `ρs`, the matrix uses `r = 2 sin(π ρs / 6)`
//! ([`pearson_for_spearman`]).
//!
//! An input whose row of `L` is a unit vector has `x = z`, so `u' = Φ(Φ⁻¹(u)) = u` in exact
//! arithmetic; such inputs are passed through untouched (bit for bit) rather than through a
//! lossy round trip. That covers every input in no pair (so adding correlations for some
//! inputs never perturbs the others, and a copula without pairs is a no-op) and the
//! lowest-indexed input of each correlated group.
//!
//! # Only the correlated block is factored
//!
//! The matrix is the identity outside the inputs that appear in some pair, and so is its
//! Cholesky factor; the factor's rows and columns of those inputs are the factor of their own
//! block, bit for bit when the block keeps the inputs in index order (the terms the full
//! factorisation adds are zero products). So only that block is stored and factored: building
//! costs time cubic in the number of correlated inputs and linear in the rest, and a sample
//! touches only the correlated inputs.

use crate::montecarlo::distributions::{normal_cdf, normal_quantile};
use std::collections::HashMap;
use std::fmt;

/// Smallest Cholesky pivot (the squared diagonal entry) accepted. The diagonal of a
/// correlation matrix is 1, so a pivot this small means the requested correlations are
/// (numerically) singular: rounding alone would decide whether the matrix is positive
/// definite, and the factor would amplify noise by ~1e5.
const MIN_PIVOT: f64 = 1e-10;

/// Smallest uniform fed to or returned from the transform: keeps `Φ⁻¹` finite.
const U_MIN: f64 = f64::MIN_POSITIVE;

/// Largest uniform below 1 (`1 - 2⁻⁵³`).
const U_MAX: f64 = 1.0 - f64::EPSILON / 2.0;

/// Pearson correlation of the underlying normals that gives Spearman rank correlation
/// `rho_s`: `2 sin(π rho_s / 6)`. Exact at 0 and ±1; the input is clamped to `[-1, 1]` and
/// the result lies in `[-1, 1]` (NaN stays NaN).
pub fn pearson_for_spearman(rho_s: f64) -> f64 {
    if rho_s.is_nan() {
        return rho_s;
    }
    let rho_s = rho_s.clamp(-1.0, 1.0);
    if rho_s.abs() == 1.0 {
        // 2 sin(π/6) rounds to 0.9999999999999999.
        return rho_s;
    }
    (2.0 * (std::f64::consts::PI * rho_s / 6.0).sin()).clamp(-1.0, 1.0)
}

/// Why a correlation structure was rejected. Pairs are reported as given by the caller,
/// except [`NotPositiveDefinite`](Self::NotPositiveDefinite) which reports `i < j`.
#[derive(Debug, Clone, PartialEq)]
pub enum CopulaError {
    /// An index is not below the number of inputs `n`.
    IndexOutOfBounds { i: usize, j: usize, n: usize },
    /// A pair of an input with itself.
    SelfPair { i: usize },
    /// The same unordered pair listed twice.
    DuplicatePair { i: usize, j: usize },
    /// A rank correlation that is not finite or not strictly inside (-1, 1).
    OutOfRange { i: usize, j: usize, value: f64 },
    /// The correlations are mutually inconsistent (the matrix is not positive definite);
    /// `(i, j)` is the strongest pair involving the input where the factorisation failed.
    NotPositiveDefinite { i: usize, j: usize },
}

impl fmt::Display for CopulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CopulaError::IndexOutOfBounds { i, j, n } => write!(
                f,
                "correlation pair ({i}, {j}) refers to an input beyond the {n} inputs"
            ),
            CopulaError::SelfPair { i } => {
                write!(
                    f,
                    "correlation pair ({i}, {i}) correlates an input with itself"
                )
            }
            CopulaError::DuplicatePair { i, j } => {
                write!(f, "correlation pair ({i}, {j}) is given more than once")
            }
            CopulaError::OutOfRange { i, j, value } => write!(
                f,
                "correlation {value} for pair ({i}, {j}) must be strictly between -1 and 1"
            ),
            CopulaError::NotPositiveDefinite { i, j } => write!(
                f,
                "the correlations are inconsistent (matrix not positive definite); \
                 check the correlation between inputs {i} and {j}"
            ),
        }
    }
}

impl std::error::Error for CopulaError {}

/// `Σ a_m b_m` in four interleaved partial sums, so that the additions need not wait for one
/// another (the factor of 1,000 inputs in a third of the time of one running sum); the same
/// result on every machine, since the order is fixed.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let rest: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + rest
}

/// A correlation structure over `n` inputs: the Cholesky factor of the Pearson matrix of the
/// underlying normals, kept for the block of inputs that appear in some pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Copula {
    n: usize,
    /// The inputs that appear in some pair, in increasing order: the block that is factored.
    block: Vec<usize>,
    /// Lower-triangular Cholesky factor of the block's matrix, row-major `k × k` for `k`
    /// correlated inputs, in the order of `block`.
    chol: Vec<f64>,
    /// `mixed[b]`: row `b` of the factor has an off-diagonal entry, i.e. input `block[b]` is
    /// transformed. Rows without one are passed through bit for bit.
    mixed: Vec<bool>,
}

impl Copula {
    /// Builds the structure. `pairs` lists `(i, j, spearman rho)` with `i != j`, both `< n`;
    /// unlisted pairs are uncorrelated; `(i, j)` and `(j, i)` are the same pair and may be
    /// listed once. Every `rho` must be finite with `|rho| < 1`.
    ///
    /// The Pearson matrix (`pearson_for_spearman` of each entry) is factorised by Cholesky.
    /// If pivot `j` (processing inputs in index order) is not positive, the leading `j × j`
    /// block was consistent and input `j` made it inconsistent, so the error names the pair
    /// `(i, j)`, `i < j`, with the largest `|rho|` among the listed pairs between `j` and the
    /// earlier inputs (the smallest `i` on ties): the likeliest entry to revise.
    ///
    /// Time is `O(p + k³)` and memory `O(p + k²)` for `p` pairs over `k` distinct inputs,
    /// whatever `n`.
    pub fn new(n: usize, pairs: &[(usize, usize, f64)]) -> Result<Copula, CopulaError> {
        let mut listed: HashMap<(usize, usize), f64> = HashMap::with_capacity(pairs.len());
        for &(i, j, rho) in pairs {
            if i >= n || j >= n {
                return Err(CopulaError::IndexOutOfBounds { i, j, n });
            }
            if i == j {
                return Err(CopulaError::SelfPair { i });
            }
            if !rho.is_finite() || rho.abs() >= 1.0 {
                return Err(CopulaError::OutOfRange { i, j, value: rho });
            }
            if listed.insert((i.min(j), i.max(j)), rho).is_some() {
                return Err(CopulaError::DuplicatePair { i, j });
            }
        }
        let mut block: Vec<usize> = listed.keys().flat_map(|&(i, j)| [i, j]).collect();
        block.sort_unstable();
        block.dedup();
        let k = block.len();
        // Positions in the block, which keeps the inputs' order.
        let mut spearman: Vec<Option<f64>> = vec![None; k * k];
        for (&(i, j), &rho) in &listed {
            if let (Ok(a), Ok(b)) = (block.binary_search(&i), block.binary_search(&j)) {
                spearman[a * k + b] = Some(rho);
                spearman[b * k + a] = Some(rho);
            }
        }
        let pearson = |i: usize, j: usize| -> f64 {
            if i == j {
                1.0
            } else {
                spearman[i * k + j].map_or(0.0, pearson_for_spearman)
            }
        };

        let mut chol = vec![0.0; k * k];
        for j in 0..k {
            for i in j..k {
                let dot = dot(&chol[i * k..i * k + j], &chol[j * k..j * k + j]);
                let a = pearson(i, j) - dot;
                if i == j {
                    if a.is_nan() || a <= MIN_PIVOT {
                        return Err(Self::culprit(&block, &spearman, j));
                    }
                    chol[j * k + j] = a.sqrt();
                } else {
                    chol[i * k + j] = a / chol[j * k + j];
                }
            }
        }
        let mixed = (0..k)
            .map(|i| (0..i).any(|m| chol[i * k + m] != 0.0))
            .collect();
        Ok(Copula {
            n,
            block,
            chol,
            mixed,
        })
    }

    /// The error for a failed pivot at block position `j` (see [`Copula::new`]).
    fn culprit(block: &[usize], spearman: &[Option<f64>], j: usize) -> CopulaError {
        let k = block.len();
        let mut best: Option<(usize, f64)> = None;
        for i in 0..j {
            if let Some(rho) = spearman[i * k + j]
                && best.is_none_or(|(_, b)| rho.abs() > b)
            {
                best = Some((block[i], rho.abs()));
            }
        }
        // A pivot can only fail when some earlier pair exists; fall back to (0, j) otherwise.
        let i = best.map_or(0, |(i, _)| i);
        CopulaError::NotPositiveDefinite { i, j: block[j] }
    }

    /// Number of inputs.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the structure has no inputs.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The inputs that appear in some pair, in increasing order.
    pub fn correlated(&self) -> &[usize] {
        &self.block
    }

    /// Entry `(i, j)` of the Cholesky factor, rows and columns in the order of
    /// [`Copula::correlated`]; 0 above the diagonal and outside the block.
    pub fn factor(&self, i: usize, j: usize) -> f64 {
        let k = self.block.len();
        if i < k && j <= i {
            self.chol[i * k + j]
        } else {
            0.0
        }
    }

    /// Turns `n` independent uniforms in (0, 1) into `n` correlated uniforms in (0, 1), in
    /// place: `z = Φ⁻¹(u)`, `x = L z`, `u' = Φ(x)`, with inputs and outputs clamped into the
    /// open interval. Inputs whose row of the factor is a unit vector (every input in no pair,
    /// and the lowest-indexed input of each correlated group) are left unchanged bit for bit,
    /// so with no pairs the call is a no-op. Only the correlated inputs are read.
    ///
    /// `u.len()` must equal `n` and `scratch` must hold at least `n` values (its contents are
    /// overwritten). Wrong lengths are a caller bug: they trip a `debug_assert`, and in
    /// release builds `u` is left unchanged.
    pub fn correlate(&self, u: &mut [f64], scratch: &mut [f64]) {
        let n = self.n;
        debug_assert_eq!(u.len(), n, "Copula::correlate: u has the wrong length");
        debug_assert!(scratch.len() >= n, "Copula::correlate: scratch too short");
        if u.len() != n || scratch.len() < n || !self.mixed.iter().any(|&m| m) {
            return;
        }
        let k = self.block.len();
        let z = &mut scratch[..k];
        for (zb, &i) in z.iter_mut().zip(&self.block) {
            let ui = if u[i].is_nan() { 0.5 } else { u[i] };
            *zb = normal_quantile(ui.clamp(U_MIN, U_MAX));
        }
        for (b, &i) in self.block.iter().enumerate() {
            if !self.mixed[b] {
                continue;
            }
            let row = &self.chol[b * k..b * k + b + 1];
            let x: f64 = row.iter().zip(z.iter()).map(|(l, zb)| l * zb).sum();
            u[i] = normal_cdf(x).clamp(U_MIN, U_MAX);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Samples for the statistical checks.
    const N_SAMPLES: usize = 100_000;

    /// Spearman's estimator has a standard error of about `(1 - ρ²) / sqrt(n)` ≤ 0.0032 at
    /// n = 1e5, so 0.01 is three standard errors; the stream is deterministic, so the test
    /// cannot flake once it passes.
    const SPEARMAN_TOL: f64 = 0.01;

    /// A uniform's mean has standard error 0.289 / sqrt(n) ≈ 0.0009 and its P10/P90 about
    /// 0.3 / sqrt(n) ≈ 0.001 at n = 1e5: 0.005 is about five standard errors.
    const MARGINAL_TOL: f64 = 0.005;

    /// splitmix64, mapped to the open interval (0, 1).
    struct SplitMix(u64);

    impl SplitMix {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn uniform(&mut self) -> f64 {
            ((self.next_u64() >> 11) as f64 + 0.5) * 2f64.powi(-53)
        }
    }

    /// Correlated samples: `N_SAMPLES` rows of `copula.len()` uniforms, stored column-wise.
    fn sample(copula: &Copula, seed: u64) -> Vec<Vec<f64>> {
        let n = copula.len();
        let mut rng = SplitMix(seed);
        let mut cols = vec![Vec::with_capacity(N_SAMPLES); n];
        let mut u = vec![0.0; n];
        let mut scratch = vec![0.0; n];
        for _ in 0..N_SAMPLES {
            for x in u.iter_mut() {
                *x = rng.uniform();
            }
            copula.correlate(&mut u, &mut scratch);
            for (col, &x) in cols.iter_mut().zip(&u) {
                assert!(x > 0.0 && x < 1.0);
                col.push(x);
            }
        }
        cols
    }

    /// Ranks 0..n (the values are continuous, ties are not expected).
    fn ranks(values: &[f64]) -> Vec<f64> {
        let mut idx: Vec<usize> = (0..values.len()).collect();
        idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        let mut r = vec![0.0; values.len()];
        for (rank, &i) in idx.iter().enumerate() {
            r[i] = rank as f64;
        }
        r
    }

    /// Spearman rank correlation: Pearson correlation of the ranks.
    fn spearman(a: &[f64], b: &[f64]) -> f64 {
        let (ra, rb) = (ranks(a), ranks(b));
        let n = ra.len() as f64;
        let mean = (n - 1.0) / 2.0;
        let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
        for (x, y) in ra.iter().zip(&rb) {
            sab += (x - mean) * (y - mean);
            saa += (x - mean) * (x - mean);
            sbb += (y - mean) * (y - mean);
        }
        sab / (saa * sbb).sqrt()
    }

    fn nearest_rank_quantile(values: &[f64], q: f64) -> f64 {
        let mut s = values.to_vec();
        s.sort_by(f64::total_cmp);
        let r = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
        s[r - 1]
    }

    #[test]
    fn pearson_for_spearman_values() {
        assert_eq!(pearson_for_spearman(0.0), 0.0);
        assert_eq!(pearson_for_spearman(1.0), 1.0);
        assert_eq!(pearson_for_spearman(-1.0), -1.0);
        assert!((pearson_for_spearman(0.5) - 0.517_638_090_2).abs() < 1e-10);
        assert!((pearson_for_spearman(-0.5) + 0.517_638_090_2).abs() < 1e-10);
        assert_eq!(pearson_for_spearman(3.0), 1.0);
        for k in -100..=100 {
            let r = pearson_for_spearman(f64::from(k) / 100.0);
            assert!(r.abs() <= 1.0);
        }
    }

    #[test]
    fn inconsistent_matrix_is_rejected() {
        let pairs = [(0, 1, 0.9), (1, 2, 0.9), (0, 2, -0.9)];
        let err = Copula::new(3, &pairs).unwrap_err();
        // Pivot 2 fails; (0, 2) and (1, 2) tie on |rho| = 0.9, the smaller i wins.
        assert_eq!(err, CopulaError::NotPositiveDefinite { i: 0, j: 2 });
        assert!(err.to_string().contains("inputs 0 and 2"));
        // The reported pair is the strongest one when there is no tie.
        let pairs = [(0, 1, 0.9), (2, 1, 0.95), (0, 2, -0.5)];
        assert_eq!(
            Copula::new(3, &pairs).unwrap_err(),
            CopulaError::NotPositiveDefinite { i: 1, j: 2 }
        );
    }

    #[test]
    fn invalid_pairs_are_rejected() {
        assert_eq!(
            Copula::new(2, &[(0, 2, 0.1)]),
            Err(CopulaError::IndexOutOfBounds { i: 0, j: 2, n: 2 })
        );
        assert_eq!(
            Copula::new(2, &[(1, 1, 0.1)]),
            Err(CopulaError::SelfPair { i: 1 })
        );
        assert_eq!(
            Copula::new(3, &[(0, 1, 0.1), (1, 0, 0.1)]),
            Err(CopulaError::DuplicatePair { i: 1, j: 0 })
        );
        for value in [1.0, -1.0, 1.5, f64::NAN, f64::INFINITY] {
            let err = Copula::new(2, &[(0, 1, value)]).unwrap_err();
            assert!(matches!(err, CopulaError::OutOfRange { i: 0, j: 1, .. }));
            assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn consistent_matrices_are_accepted() {
        assert!(Copula::new(3, &[(0, 1, 0.5), (0, 2, 0.3), (1, 2, 0.2)]).is_ok());
        assert!(Copula::new(3, &[(0, 1, 0.9), (1, 2, 0.9), (0, 2, 0.8)]).is_ok());
        assert!(Copula::new(2, &[(0, 1, -0.99)]).is_ok());
        // AR(1)-like structure over 6 inputs.
        let mut pairs = Vec::new();
        for i in 0..6usize {
            for j in i + 1..6 {
                pairs.push((i, j, 0.7f64.powi((j - i) as i32)));
            }
        }
        assert!(Copula::new(6, &pairs).is_ok());
        assert!(Copula::new(0, &[]).is_ok());
    }

    #[test]
    fn no_pairs_leaves_bits_unchanged() {
        let copula = Copula::new(4, &[]).unwrap();
        let original = [1e-300, 0.123_456_789_012_345_6, 0.5, 1.0 - 1e-16];
        let mut u = original;
        let mut scratch = [0.0; 4];
        copula.correlate(&mut u, &mut scratch);
        assert_eq!(u.map(f64::to_bits), original.map(f64::to_bits));
        // Inputs outside every pair are untouched too.
        let copula = Copula::new(4, &[(1, 3, 0.6)]).unwrap();
        let mut u = original;
        copula.correlate(&mut u, &mut scratch);
        assert_eq!(u[0].to_bits(), original[0].to_bits());
        assert_eq!(u[1].to_bits(), original[1].to_bits());
        assert_eq!(u[2].to_bits(), original[2].to_bits());
        assert_ne!(u[3].to_bits(), original[3].to_bits());
    }

    /// The factor of the full `n × n` matrix, computed as the copula did before it factored
    /// only the correlated block: the reference the block must match bit for bit.
    fn full_factor(n: usize, pairs: &[(usize, usize, f64)]) -> Vec<f64> {
        let mut pearson = vec![0.0; n * n];
        for i in 0..n {
            pearson[i * n + i] = 1.0;
        }
        for &(i, j, rho) in pairs {
            pearson[i * n + j] = pearson_for_spearman(rho);
            pearson[j * n + i] = pearson_for_spearman(rho);
        }
        let mut chol = vec![0.0; n * n];
        for j in 0..n {
            for i in j..n {
                let dot: f64 = (0..j).map(|m| chol[i * n + m] * chol[j * n + m]).sum();
                let a = pearson[i * n + j] - dot;
                if i == j {
                    chol[j * n + j] = a.sqrt();
                } else {
                    chol[i * n + j] = a / chol[j * n + j];
                }
            }
        }
        chol
    }

    /// Correlates `u` with the full factor, every input in turn, as the copula did before.
    fn correlate_full(chol: &[f64], n: usize, u: &mut [f64]) {
        let z: Vec<f64> = u
            .iter()
            .map(|&x| normal_quantile(x.clamp(U_MIN, U_MAX)))
            .collect();
        for i in 0..n {
            if (0..i).all(|m| chol[i * n + m] == 0.0) {
                continue;
            }
            let x: f64 = chol[i * n..i * n + i + 1]
                .iter()
                .zip(&z)
                .map(|(l, zk)| l * zk)
                .sum();
            u[i] = normal_cdf(x).clamp(U_MIN, U_MAX);
        }
    }

    #[test]
    fn block_factor_equals_the_full_factor_bit_for_bit() {
        let n = 40;
        let pairs = [
            (7, 3, 0.6),
            (19, 3, -0.4),
            (33, 7, 0.25),
            (19, 33, 0.1),
            (25, 38, -0.7),
        ];
        let copula = Copula::new(n, &pairs).unwrap();
        assert_eq!(copula.correlated(), &[3, 7, 19, 25, 33, 38]);
        let full = full_factor(n, &pairs);
        let k = copula.correlated().len();
        for i in 0..n {
            for j in 0..n {
                let expected = match (
                    copula.block.binary_search(&i),
                    copula.block.binary_search(&j),
                ) {
                    (Ok(a), Ok(b)) => copula.chol[a * k + b],
                    // The identity outside the block.
                    _ => f64::from(u8::from(i == j)),
                };
                assert_eq!(full[i * n + j].to_bits(), expected.to_bits(), "({i}, {j})");
            }
        }
        let mut rng = SplitMix(5);
        let mut scratch = vec![0.0; n];
        for _ in 0..1_000 {
            let mut u: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
            let mut expected = u.clone();
            copula.correlate(&mut u, &mut scratch);
            correlate_full(&full, n, &mut expected);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&u), bits(&expected));
        }
    }

    #[test]
    fn many_inputs_with_few_correlated_store_only_their_block() {
        // Ten million inputs, two of them correlated: the factor is 2 × 2.
        let copula = Copula::new(10_000_000, &[(9_999_999, 5, 0.5)]).unwrap();
        assert_eq!(copula.len(), 10_000_000);
        assert_eq!(copula.correlated(), &[5, 9_999_999]);
        assert_eq!(copula.chol.len(), 4);
        // A failing pivot names the inputs by their own indices.
        let pairs = [(10, 21, 0.9), (21, 32, 0.9), (10, 32, -0.9)];
        assert_eq!(
            Copula::new(50, &pairs).unwrap_err(),
            CopulaError::NotPositiveDefinite { i: 10, j: 32 }
        );
    }

    #[test]
    fn extreme_uniforms_stay_in_open_interval() {
        let copula = Copula::new(3, &[(0, 1, 0.9), (2, 1, -0.3)]).unwrap();
        let mut scratch = [0.0; 3];
        for u0 in [0.0, 1.0, 1e-300, 1.0 - 1e-16, 0.5] {
            for u1 in [0.0, 1.0, 0.5] {
                let mut u = [u0, u1, 1.0 - u0];
                copula.correlate(&mut u, &mut scratch);
                // Input 0 heads the factor (its row is a unit vector): passed through as is.
                assert_eq!(u[0].to_bits(), u0.to_bits());
                assert!(u[1..].iter().all(|&x| x > 0.0 && x < 1.0), "{u:?}");
            }
        }
    }

    #[test]
    fn achieves_target_spearman_and_keeps_uniform_marginals() {
        for (k, target) in [-0.8, -0.3, 0.3, 0.8].into_iter().enumerate() {
            let copula = Copula::new(2, &[(0, 1, target)]).unwrap();
            let cols = sample(&copula, 1000 + k as u64);
            let rho = spearman(&cols[0], &cols[1]);
            assert!(
                (rho - target).abs() <= SPEARMAN_TOL,
                "target {target}, got {rho}"
            );
            for col in &cols {
                let mean = col.iter().sum::<f64>() / col.len() as f64;
                assert!((mean - 0.5).abs() <= MARGINAL_TOL, "mean {mean}");
                let p10 = nearest_rank_quantile(col, 0.1);
                let p90 = nearest_rank_quantile(col, 0.9);
                assert!((p10 - 0.1).abs() <= MARGINAL_TOL, "p10 {p10}");
                assert!((p90 - 0.9).abs() <= MARGINAL_TOL, "p90 {p90}");
            }
        }
    }

    #[test]
    fn three_inputs_achieve_all_targets() {
        let pairs = [(0, 1, 0.6), (2, 0, -0.4), (1, 2, -0.2)];
        let copula = Copula::new(3, &pairs).unwrap();
        let cols = sample(&copula, 77);
        for (i, j, target) in pairs {
            let rho = spearman(&cols[i], &cols[j]);
            assert!(
                (rho - target).abs() <= SPEARMAN_TOL,
                "pair ({i}, {j}): target {target}, got {rho}"
            );
        }
    }
}

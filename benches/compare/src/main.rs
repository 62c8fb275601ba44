//! tcosim's hand-written numerics against the well-kept crates that could replace them, on the
//! work a Monte Carlo run gives them: quantile functions of the input distributions (statrs),
//! relative-error quantile sketches (sketches-ddsketch) and the Cholesky factor of the copula
//! (nalgebra, faer). Prints, for each, the time per operation (the fastest of five rounds), how
//! far the results lie apart, and whether the replacement is deterministic where tcosim needs
//! it (a merge of sketches in any order gives the same sketch).
//!
//! `cargo run --release --manifest-path benches/compare/Cargo.toml`

use sketches_ddsketch::{Config, DDSketch};
use statrs::distribution::{Beta, ContinuousCDF, LogNormal, Normal};
use std::hint::black_box;
use std::time::Instant;
use tcosim::montecarlo::copula::{Copula, pearson_for_spearman};
use tcosim::montecarlo::distributions::{Distribution, Prepared, normal_cdf};
use tcosim::montecarlo::stats::QuantileSketch;

/// Evaluations per timing round.
const N: usize = 1_000_000;
const ROUNDS: usize = 5;

/// The fastest of [`ROUNDS`] runs of `f` [ns per operation, for `ops` operations a run].
fn time(ops: usize, mut f: impl FnMut() -> f64) -> f64 {
    (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed().as_secs_f64() * 1e9 / ops as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Probabilities spread evenly over (0, 1), in a scrambled order (as draws arrive).
fn uniforms() -> Vec<f64> {
    (0..N)
        .map(|i| {
            let k = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) % N as u64;
            (k as f64 + 0.5) / N as f64
        })
        .collect()
}

fn quantiles() {
    println!("## Quantile functions ({N} probabilities)\n");
    println!("| distribution | tcosim [ns] | statrs [ns] | largest difference / range |");
    println!("| --- | ---: | ---: | ---: |");
    let u = uniforms();
    // The inference fleet's inputs.
    let (mean, sd, low, high) = (1.0, 0.1, 0.6, 1.4);
    let normal = Normal::new(mean, sd).expect("normal");
    let (cl, ch) = (
        normal_cdf((low - mean) / sd),
        normal_cdf((high - mean) / sd),
    );
    let ours = Prepared::new(Distribution::Normal {
        mean,
        sd,
        low,
        high,
    });
    let theirs = |p: f64| normal.inverse_cdf(cl + p * (ch - cl)).clamp(low, high);
    row(
        "truncated normal",
        &u,
        |p| ours.quantile(p),
        theirs,
        high - low,
    );

    let (p10, p90) = (85_000.0, 125_000.0);
    let z90 = 1.2815515655446004;
    let (l10, l90): (f64, f64) = (f64::ln(p10), f64::ln(p90));
    let lognormal =
        LogNormal::new((l10 + l90) / 2.0, (l90 - l10) / (2.0 * z90)).expect("lognormal");
    let ours = Prepared::new(Distribution::LogNormal { p10, p90 });
    row(
        "lognormal",
        &u,
        |p| ours.quantile(p),
        |p| lognormal.inverse_cdf(p),
        p90 - p10,
    );

    let (low, mode, high) = (0.075, 0.0892, 0.13);
    let a = 1.0 + 4.0 * (mode - low) / (high - low);
    let b = 1.0 + 4.0 * (high - mode) / (high - low);
    let beta = Beta::new(a, b).expect("beta");
    let ours = Prepared::new(Distribution::Pert { low, mode, high });
    row(
        "PERT (beta)",
        &u,
        |p| ours.quantile(p),
        |p| low + (high - low) * beta.inverse_cdf(p),
        high - low,
    );
    println!();
    tails();
}

/// The standard normal's quantile far out in the tails, where a refinement matters most.
fn tails() {
    println!("| p | tcosim Φ⁻¹(p) | statrs Φ⁻¹(p) | relative difference |");
    println!("| ---: | ---: | ---: | ---: |");
    let std = Normal::new(0.0, 1.0).expect("normal");
    for p in [
        1e-300,
        1e-100,
        1e-20,
        1e-10,
        1e-3,
        0.3,
        0.5 + 1e-9,
        1.0 - 1e-10,
        1.0 - 1e-16,
    ] {
        let ours = tcosim::montecarlo::distributions::normal_quantile(p);
        let theirs = std.inverse_cdf(p);
        println!(
            "| {p:e} | {ours:e} | {theirs:e} | {:.1e} |",
            ((ours - theirs) / theirs).abs()
        );
    }
    let u = uniforms();
    let xs: Vec<f64> = u.iter().map(|p| 8.0 * (p - 0.5)).collect();
    let t_ours = time(N, || xs.iter().map(|x| normal_cdf(*x)).sum());
    let t_theirs = time(N, || xs.iter().map(|x| std.cdf(*x)).sum());
    let diff = xs
        .iter()
        .map(|x| (normal_cdf(*x) - std.cdf(*x)).abs())
        .fold(0.0, f64::max);
    println!(
        "\nΦ on [-4, 4]: tcosim {t_ours:.1} ns, statrs {t_theirs:.1} ns, largest difference {diff:.1e}\n"
    );
    // Reference values of Φ to full double precision (mpmath at 50 digits).
    println!("| x | Φ(x) | tcosim relative error | statrs relative error |");
    println!("| ---: | ---: | ---: | ---: |");
    for (x, exact) in [
        (-5.0, 2.866_515_718_791_939e-7),
        (-3.0, 1.349_898_031_630_094_6e-3),
        (-1.0, 0.158_655_253_931_457_05),
        (1.96, 0.975_002_104_851_779_5),
    ] {
        let rel = |v: f64| ((v - exact) / exact).abs();
        println!(
            "| {x} | {exact:e} | {:.1e} | {:.1e} |",
            rel(normal_cdf(x)),
            rel(std.cdf(x))
        );
    }
    println!();
}

fn row(name: &str, u: &[f64], ours: impl Fn(f64) -> f64, theirs: impl Fn(f64) -> f64, range: f64) {
    let t_ours = time(u.len(), || u.iter().map(|p| ours(*p)).sum());
    let t_theirs = time(u.len(), || u.iter().map(|p| theirs(*p)).sum());
    let diff = u
        .iter()
        .map(|p| (ours(*p) - theirs(*p)).abs())
        .fold(0.0, f64::max)
        / range;
    println!("| {name} | {t_ours:.1} | {t_theirs:.1} | {diff:.1e} |");
}

/// A DDSketch with tcosim's relative-error bound.
fn matched() -> Config {
    Config::new(QuantileSketch::REL_ERROR, 16_384, 1e-9)
}

fn sketches() {
    println!("## Quantile sketches ({N} values, P5 to P95)\n");
    // PV costs of a Monte Carlo run: lognormal around 40 million.
    let values: Vec<f64> = uniforms()
        .iter()
        .map(|p| 4e7 * (0.15 * tcosim::montecarlo::distributions::normal_quantile(*p)).exp())
        .collect();
    let mut exact = values.clone();
    exact.sort_by(f64::total_cmp);
    let qs = [0.05, 0.10, 0.50, 0.90, 0.95];
    let nearest = |q: f64| exact[((q * N as f64).ceil() as usize).clamp(1, N) - 1];

    let t_ours = time(N, || {
        let mut s = QuantileSketch::new();
        for v in &values {
            s.add(*v);
        }
        s.quantile(0.9).unwrap_or(0.0)
    });
    let t_theirs = time(N, || {
        let mut s = DDSketch::new(matched());
        for v in &values {
            s.add(*v);
        }
        s.quantile(0.9).ok().flatten().unwrap_or(0.0)
    });
    let mut ours = QuantileSketch::new();
    let mut theirs = DDSketch::new(matched());
    for v in &values {
        ours.add(*v);
        theirs.add(*v);
    }
    let err = |f: &dyn Fn(f64) -> f64| {
        qs.iter()
            .map(|q| (f(*q) / nearest(*q) - 1.0).abs())
            .fold(0.0, f64::max)
    };
    let e_ours = err(&|q| ours.quantile(q).unwrap_or(f64::NAN));
    let e_theirs = err(&|q| theirs.quantile(q).ok().flatten().unwrap_or(f64::NAN));

    // Merging 256 chunk sketches in two orders: the same sketch either way?
    let chunks: Vec<&[f64]> = values.chunks(N / 256).collect();
    let ours_chunks: Vec<QuantileSketch> = chunks
        .iter()
        .map(|c| {
            let mut s = QuantileSketch::new();
            c.iter().for_each(|v| s.add(*v));
            s
        })
        .collect();
    let theirs_chunks: Vec<DDSketch> = chunks
        .iter()
        .map(|c| {
            let mut s = DDSketch::new(matched());
            c.iter().for_each(|v| s.add(*v));
            s
        })
        .collect();
    let mut forward = QuantileSketch::new();
    let mut backward = QuantileSketch::new();
    ours_chunks.iter().for_each(|s| forward.merge(s));
    ours_chunks.iter().rev().for_each(|s| backward.merge(s));
    let ours_same = forward == backward;
    let mut forward = DDSketch::new(matched());
    let mut backward = DDSketch::new(matched());
    theirs_chunks
        .iter()
        .for_each(|s| forward.merge(s).expect("merge"));
    theirs_chunks
        .iter()
        .rev()
        .for_each(|s| backward.merge(s).expect("merge"));
    let theirs_same = qs.iter().all(|q| {
        forward.quantile(*q).ok().flatten().map(f64::to_bits)
            == backward.quantile(*q).ok().flatten().map(f64::to_bits)
    }) && forward.sum().map(f64::to_bits) == backward.sum().map(f64::to_bits);

    println!("| sketch | add [ns] | largest relative error | merge order-independent |");
    println!("| --- | ---: | ---: | --- |");
    println!(
        "| tcosim QuantileSketch (bound {:.1e}) | {t_ours:.1} | {e_ours:.1e} | {} |",
        QuantileSketch::REL_ERROR,
        if ours_same {
            "yes (== after merging)"
        } else {
            "no"
        }
    );
    println!(
        "| sketches-ddsketch, alpha 5e-4 (as tcosim), 16,384 bins | {t_theirs:.1} | {e_theirs:.1e} | {} |",
        if theirs_same {
            "quantiles and sum equal"
        } else {
            "no (quantiles or sum differ)"
        }
    );
    println!();
}

fn cholesky() {
    println!("## Cholesky factor of the copula (banded Spearman 0.3 to three neighbours)\n");
    println!(
        "| inputs | tcosim Copula::new [µs] | nalgebra [µs] | faer [µs] | largest difference |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: |");
    for k in [6usize, 100, 1000] {
        let pairs: Vec<(usize, usize, f64)> = (0..k)
            .flat_map(|i| (i + 1..(i + 4).min(k)).map(move |j| (i, j, 0.3)))
            .collect();
        let r = pearson_for_spearman(0.3);
        let entry = |i: usize, j: usize| {
            if i == j {
                1.0
            } else if i.abs_diff(j) < 4 {
                r
            } else {
                0.0
            }
        };
        let rounds = if k >= 1000 { 1 } else { 1000 / k.max(1) };
        let t_ours = time(rounds, || {
            (0..rounds)
                .map(|_| {
                    Copula::new(k, &pairs)
                        .map(|c| c.len() as f64)
                        .unwrap_or(0.0)
                })
                .sum()
        }) / 1e3;
        let t_nalgebra = time(rounds, || {
            (0..rounds)
                .map(|_| {
                    let m = nalgebra::DMatrix::from_fn(k, k, entry);
                    m.cholesky().map(|c| c.l()[(k - 1, k - 1)]).unwrap_or(0.0)
                })
                .sum()
        }) / 1e3;
        let t_faer = time(rounds, || {
            (0..rounds)
                .map(|_| {
                    let m = faer::Mat::<f64>::from_fn(k, k, entry);
                    m.llt(faer::Side::Lower)
                        .map(|c| c.L()[(k - 1, k - 1)])
                        .unwrap_or(0.0)
                })
                .sum()
        }) / 1e3;
        let ours = Copula::new(k, &pairs).expect("positive definite");
        let theirs = nalgebra::DMatrix::from_fn(k, k, entry)
            .cholesky()
            .expect("positive definite")
            .l();
        let diff = (0..k)
            .flat_map(|i| (0..=i).map(move |j| (i, j)))
            .map(|(i, j)| (ours.factor(i, j) - theirs[(i, j)]).abs())
            .fold(0.0, f64::max);
        println!("| {k} | {t_ours:.1} | {t_nalgebra:.1} | {t_faer:.1} | {diff:.1e} |");
    }
    println!();
}

fn main() {
    quantiles();
    sketches();
    cholesky();
}

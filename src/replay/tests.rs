//! Checks of the simulator against queueing theory (Erlang C) and invariants that hold for any
//! trace, cluster, policy and burst rule (property tests).

use super::*;
use crate::replay::stats::{Context, summarise};
use proptest::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

const POLICIES: [Policy; 4] = [
    Policy::Fifo,
    Policy::FifoSkip,
    Policy::EasyBackfill,
    Policy::Sjf,
];

fn config(nodes: u32, gpus_per_node: u32, policy: Policy, burst: Burst) -> Config {
    Config {
        cluster: Cluster {
            nodes,
            gpus_per_node,
        },
        policy,
        burst,
        as_recorded: false,
    }
}

/// Start (owned or cloud) of each job, `None` if unmet.
fn starts(outcome: &Outcome) -> Vec<Option<i64>> {
    outcome
        .fates
        .iter()
        .map(|f| match f {
            Fate::Owned(t) | Fate::Cloud(t) => Some(*t),
            Fate::Unmet => None,
        })
        .collect()
}

/// The probability that an arrival waits in an M/M/c queue (Erlang C) with `c` servers and an
/// offered load of `a` = λ/μ < c erlangs: the Erlang B recurrence B(0) = 1,
/// B(k) = a·B(k−1) / (k + a·B(k−1)), then C = c·B / (c − a·(1 − B)).
fn erlang_c(c: u32, a: f64) -> f64 {
    let b = (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b));
    f64::from(c) * b / (f64::from(c) - a * (1.0 - b))
}

#[test]
fn erlang_c_matches_textbook_values() {
    // One server: C = ρ. Two servers at a = 1: B = 1/5, C = 2·0.2 / (2 − 0.8) = 1/3.
    assert!((erlang_c(1, 0.6) - 0.6).abs() < 1e-12);
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    // From the closed form Σ: c = 8, a = 6.4, computed term by term.
    let (c, a) = (8, 6.4_f64);
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / f64::from(k);
        sum += term;
    }
    let last = term * a / f64::from(c) * f64::from(c) / (f64::from(c) - a);
    assert!((erlang_c(c, a) - last / (sum + last)).abs() < 1e-12);
}

fn unit(rng: &mut ChaCha8Rng) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// Single-GPU jobs with Poisson arrivals at `rate_per_s` and exponential durations of mean
/// `mean_s`, times rounded to whole seconds (the cumulative arrival time is rounded, so the
/// rounding does not drift).
fn poisson_jobs(n: usize, rate_per_s: f64, mean_s: f64, seed: u64) -> Vec<Job> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut t = 0.0;
    (0..n)
        .map(|_| {
            t += -unit(&mut rng).ln() / rate_per_s;
            let d = -unit(&mut rng).ln() * mean_s;
            Job::new(t.round() as i64, None, d.round() as i64, 1)
        })
        .collect()
}

/// Mean wait of strict FIFO against Erlang C's W = C(c, a) / (cμ − λ), for c GPUs as one node
/// or as c nodes of one GPU (single-GPU jobs: placement does not matter).
///
/// The mean duration is an hour, so rounding times to whole seconds moves a wait by less than a
/// second against mean waits of 406 s (8 GPUs at ρ = 0.7) and 1,718 s (ρ = 0.85). Tolerance: the waits of
/// successive jobs are correlated, so the standard error comes from batch means (20 batches of
/// 9,500 jobs, after 10,000 jobs of warm-up from an empty cluster); the mean must lie within 4
/// standard errors plus a second of the formula (a 1-in-15,000 chance of failing by noise
/// alone, and the seed is fixed). The standard error itself must be under 4% of W, so that
/// the check has power.
#[test]
fn fifo_mean_wait_matches_erlang_c() {
    const JOBS: usize = 200_000;
    const WARM_UP: usize = 10_000;
    const BATCHES: usize = 20;
    const MEAN_S: f64 = 3_600.0;
    for (nodes, gpus_per_node, rho, seed) in [(1, 8, 0.7, 11), (8, 1, 0.85, 12)] {
        let c = nodes * gpus_per_node;
        let mu = 1.0 / MEAN_S;
        let lambda = rho * f64::from(c) * mu;
        let a = lambda / mu;
        let expected_s = erlang_c(c, a) / (f64::from(c) * mu - lambda);
        let jobs = poisson_jobs(JOBS, lambda, MEAN_S, seed);
        let outcome = simulate(
            &jobs,
            &config(nodes, gpus_per_node, Policy::Fifo, Burst::Never),
        );
        let waits: Vec<f64> = jobs
            .iter()
            .zip(starts(&outcome))
            .skip(WARM_UP)
            .map(|(j, s)| (s.expect("every job runs") - j.submit_s) as f64)
            .collect();
        let size = waits.len() / BATCHES;
        let means: Vec<f64> = waits
            .chunks_exact(size)
            .map(|b| b.iter().sum::<f64>() / size as f64)
            .collect();
        let mean = means.iter().sum::<f64>() / means.len() as f64;
        let var = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (means.len() - 1) as f64;
        let se = (var / means.len() as f64).sqrt();
        assert!(
            se < 0.04 * expected_s,
            "c = {c}, ρ = {rho}: standard error {se:.1} s too large against W = {expected_s:.1} s"
        );
        assert!(
            (mean - expected_s).abs() <= 4.0 * se + 1.0,
            "c = {c}, ρ = {rho}: mean wait {mean:.1} s, Erlang C {expected_s:.1} s, \
             standard error {se:.1} s"
        );
    }
}

/// Small random traces: submits in order (as a trace is read), zero durations included, GPU
/// counts from 1 to 20 so that some jobs span nodes and some are larger than the cluster.
fn trace() -> impl Strategy<Value = Vec<Job>> {
    prop::collection::vec((0i64..40, 0i64..300, 1u32..=20), 1..60).prop_map(|rows| {
        let mut t = 0;
        rows.into_iter()
            .map(|(gap, duration, gpus)| {
                t += gap;
                Job::new(t, None, duration, gpus)
            })
            .collect()
    })
}

fn burst() -> impl Strategy<Value = Burst> {
    prop_oneof![
        Just(Burst::Never),
        (0i64..200).prop_map(Burst::After),
        (0usize..5).prop_map(Burst::MaxQueue),
    ]
}

fn policy() -> impl Strategy<Value = Policy> {
    prop::sample::select(POLICIES.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn work_is_conserved_and_capacity_holds(
        jobs in trace(),
        nodes in 1u32..5,
        gpus_per_node in 1u32..9,
        policy in policy(),
        burst in burst(),
    ) {
        let c = config(nodes, gpus_per_node, policy, burst);
        let outcome = simulate(&jobs, &c);
        let summary = summarise(&jobs, &outcome, Context {
            trace: "t",
            config: &c,
            pricing: None,
            cpu_only_jobs: 0,
            bad_rows: 0,
        });
        // GPU-seconds: owned + burst + unmet = demanded, owned = the busy integral.
        let gpu_s = |f: fn(&Fate) -> bool| -> i64 {
            jobs.iter().zip(&outcome.fates).filter(|(_, x)| f(x))
                .map(|(j, _)| i64::from(j.gpus) * j.duration_s).sum()
        };
        let owned = gpu_s(|f| matches!(f, Fate::Owned(_)));
        let cloud = gpu_s(|f| matches!(f, Fate::Cloud(_)));
        let unmet = gpu_s(|f| matches!(f, Fate::Unmet));
        let demand: i64 = jobs.iter().map(|j| i64::from(j.gpus) * j.duration_s).sum();
        prop_assert_eq!(owned + cloud + unmet, demand);
        prop_assert_eq!(outcome.busy_gpu_s, owned as u128);
        let hours = summary.owned_gpu_hours + summary.cloud_gpu_hours + summary.unmet_gpu_hours;
        prop_assert!((hours - summary.demand_gpu_hours).abs() <= 1e-9 * summary.demand_gpu_hours.max(1.0));
        // Only jobs larger than the cluster go unmet, and only without a burst rule.
        let unmet_jobs = outcome.fates.iter().filter(|f| matches!(f, Fate::Unmet)).count();
        let larger = jobs.iter().filter(|j| !c.cluster.fits(j.gpus)).count();
        prop_assert_eq!(unmet_jobs, if burst == Burst::Never { larger } else { 0 });
        prop_assert_eq!(outcome.never_fit, larger);
        // No job starts before it arrives.
        for (j, s) in jobs.iter().zip(starts(&outcome)) {
            prop_assert!(s.is_none_or(|s| s >= j.submit_s));
        }
        // Owned GPUs in use never exceed the cluster: a sweep over starts and finishes, the
        // finishes of an instant first.
        let mut changes: Vec<(i64, i64)> = jobs.iter().zip(&outcome.fates)
            .filter_map(|(j, f)| match f {
                Fate::Owned(t) => Some([(*t, i64::from(j.gpus)), (t + j.duration_s, -i64::from(j.gpus))]),
                _ => None,
            })
            .flatten()
            .collect();
        changes.sort_unstable();
        let mut in_use = 0;
        for (_, delta) in changes {
            in_use += delta;
            prop_assert!(in_use <= c.cluster.gpus() as i64);
        }
        prop_assert!(outcome.peak_busy_gpus <= c.cluster.gpus());
    }

    #[test]
    fn an_ample_cluster_never_makes_a_job_wait(
        jobs in trace(),
        gpus_per_node in 1u32..9,
        policy in policy(),
        burst in burst(),
    ) {
        // Enough nodes for every job to run at once, each on its own nodes.
        let nodes: u32 = jobs.iter().map(|j| j.gpus.div_ceil(gpus_per_node)).sum();
        let outcome = simulate(&jobs, &config(nodes, gpus_per_node, policy, burst));
        for (j, f) in jobs.iter().zip(&outcome.fates) {
            prop_assert_eq!(*f, Fate::Owned(j.submit_s));
        }
        prop_assert_eq!(outcome.max_queue, 0);
    }

    #[test]
    fn strict_fifo_never_reorders_starts(
        jobs in trace(),
        nodes in 1u32..5,
        gpus_per_node in 1u32..9,
        burst in burst(),
    ) {
        // Jobs that run on owned GPUs start in submit order (ties by order in the trace),
        // whatever the burst rule takes out of the queue.
        let outcome = simulate(&jobs, &config(nodes, gpus_per_node, Policy::Fifo, burst));
        let owned: Vec<i64> = outcome.fates.iter()
            .filter_map(|f| match f { Fate::Owned(t) => Some(*t), _ => None })
            .collect();
        prop_assert!(owned.windows(2).all(|w| w[0] <= w[1]), "{:?}", owned);
    }

    #[test]
    fn easy_backfill_never_delays_the_first_blocked_job(
        jobs in trace(),
        nodes in 1u32..5,
        gpus_per_node in 1u32..9,
    ) {
        // Up to the first job strict FIFO makes wait, both policies start the same jobs at the
        // same times; that job (the first head EASY reserves for) starts no later under EASY,
        // whose backfilled jobs must leave its reservation intact. (The simulator also checks,
        // in test builds, that every head starts by the shadow time reserved when it became
        // the head.)
        let fifo = simulate(&jobs, &config(nodes, gpus_per_node, Policy::Fifo, Burst::Never));
        let easy = simulate(&jobs, &config(nodes, gpus_per_node, Policy::EasyBackfill, Burst::Never));
        let waited = jobs.iter().zip(&fifo.fates)
            .position(|(j, f)| matches!(f, Fate::Owned(t) if *t > j.submit_s));
        if let Some(h) = waited {
            prop_assert_eq!(&fifo.fates[..h], &easy.fates[..h]);
            let (Fate::Owned(f), Fate::Owned(e)) = (fifo.fates[h], easy.fates[h]) else {
                return Err(TestCaseError::fail("the first blocked job runs under both"));
            };
            prop_assert!(e <= f, "EASY starts job {} at {} after FIFO's {}", h, e, f);
        }
    }

    #[test]
    fn a_min_tree_finds_the_first_value_within_a_bound(
        values in prop::collection::vec(prop_oneof![Just(i64::MAX), 0i64..100], 1..80),
        from in 0usize..90,
        bound in 0i64..110,
    ) {
        let mut tree = MinTree::new(values.len());
        for (p, &v) in values.iter().enumerate() {
            tree.set(p, v);
        }
        let expected = values.iter().enumerate().skip(from).find(|&(_, &v)| v <= bound).map(|(p, _)| p);
        prop_assert_eq!(tree.first_at_most(from, bound), expected);
    }

    #[test]
    fn replays_over_cluster_sizes_match_single_replays(
        jobs in trace(),
        sizes in prop::collection::vec(1u32..6, 1..5),
        policy in policy(),
        burst in burst(),
    ) {
        let c = config(1, 4, policy, burst);
        let all = simulate_sizes(&jobs, &c, &sizes);
        prop_assert_eq!(all.len(), sizes.len());
        for (&n, outcome) in sizes.iter().zip(&all) {
            prop_assert_eq!(outcome, &simulate(&jobs, &config(n, 4, policy, burst)));
        }
    }
}

#[test]
fn replays_over_cluster_sizes_do_not_depend_on_threads() {
    let jobs = poisson_jobs(3_000, 4.0 / 3_600.0, 3_600.0, 5);
    let c = config(1, 1, Policy::EasyBackfill, Burst::After(7_200));
    let sizes = [1, 2, 3, 4, 5, 6, 8];
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool")
        .install(|| simulate_sizes(&jobs, &c, &sizes));
    let four = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .expect("a pool")
        .install(|| simulate_sizes(&jobs, &c, &sizes));
    assert_eq!(one, four);
    // Strict FIFO: more GPUs, no longer queue (each job's wait can only shrink with more
    // servers); a check that the sizes were applied.
    let fifo = simulate_sizes(&jobs, &config(1, 1, Policy::Fifo, Burst::Never), &sizes);
    let waited: Vec<u128> = fifo.iter().map(|o| o.queued_job_s).collect();
    assert!(waited.windows(2).all(|w| w[0] >= w[1]), "{waited:?}");
    assert!(waited[0] > waited[6]);
}

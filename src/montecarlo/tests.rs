//! Monte Carlo, sensitivity and sweep against independent references: the deterministic run,
//! rank correlation computed from the draws, thread-count independence, and the screening-curve
//! rule for the optimal owned capacity.

use super::engine::{self, MonteCarlo};
use super::sweep::{self, Axis, Field, Objective, Plan};
use super::uncertain::Uncertainty;
use crate::catalog::Catalog;
use crate::finance::Depreciation;
use crate::model::{
    self, CloudIn, Commitment, Financing, Input, Kind, OptionIn, OwnedIn, WorkloadIn,
};
use crate::profile::Profile;
use crate::scenario::{self, Source};
use crate::timeline::{HOURS_PER_MONTH, YearMonth};
use std::sync::Arc;

const STARTUP_FILE: &str = include_str!("../../scenarios/startup-finetune.toml");

/// The start-up scenario without its work that waits: every hour's load is served in its hour
/// and the load-duration curves answer (README M2), as most tests of the engine's machinery
/// need; [`STARTUP_FILE`] itself walks the hours (Q1-Q7), tested on fewer samples.
fn startup() -> String {
    STARTUP_FILE
        .lines()
        .filter(|l| !l.starts_with("max_wait_hours"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn resolve(text: &str) -> (Input, Uncertainty) {
    let catalog = Catalog::builtin().expect("built-in catalogs load");
    let source = Source {
        display: "test.toml".into(),
        text: text.to_string(),
        base_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios").into()),
    };
    let resolved = scenario::resolve(&source, &catalog).expect("scenario resolves");
    let uncertainty =
        Uncertainty::build(&source, &resolved, &catalog).expect("uncertainty resolves");
    (resolved.input, uncertainty)
}

fn run_with_threads(
    threads: usize,
    input: &Input,
    u: &Uncertainty,
    samples: u64,
    seed: u64,
) -> MonteCarlo {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    pool.install(|| engine::run(input, u, samples, seed, &|_| {}))
}

/// Uncertain inputs fixed at the scenario's own values reproduce the deterministic run to the
/// last bit: same PV, zero spread.
#[test]
fn fixed_inputs_equal_the_deterministic_run_exactly() {
    let text = format!(
        "{}\n[[uncertain]]\npath = \"discount_rate\"\ndistribution = \"fixed\"\nvalue = 0.15\n\n\
         [[uncertain]]\npath = \"offer[lambda-gpu_8x_h100_sxm5].on_demand_usd_per_hour\"\ndistribution = \"fixed\"\nvalue = 31.92\n\n\
         [[uncertain]]\npath = \"server[hgx-h100-oem].price_usd\"\ndistribution = \"fixed\"\nvalue = 296644.0\n\n\
         [[uncertain]]\npath = \"demand_scale\"\ndistribution = \"fixed\"\nvalue = 1.0\n",
        startup()
    );
    let (input, u) = resolve(&text);
    let det = model::simulate(&input);
    let mc = run_with_threads(2, &input, &u, 700, 9);
    for (o, s) in det.options.iter().zip(&mc.options) {
        let pv = s.metrics[0].expect("pv statistics");
        assert_eq!(pv.mean, o.pv_cost, "{}", o.name);
        assert_eq!(pv.sd, Some(0.0));
        assert!(pv.quantiles.iter().all(|q| *q == o.pv_cost));
        let total = s.metrics[1].expect("total statistics");
        assert_eq!(total.mean, o.total_cost);
        let energy = s.metrics[4].expect("energy statistics");
        assert_eq!(energy.mean, o.energy_kwh);
        // The fan chart's band collapses onto the deterministic cumulative cash out.
        assert!(!s.fan.is_empty());
        for (month, band) in &s.fan {
            let cumulative: f64 = o.months[..*month].iter().fold(0.0, |c, r| c + r.cash_out());
            assert_eq!(*band, [cumulative; 3], "{} month {month}", o.name);
        }
    }
}

/// Work that waits walks the hours in every sample (README Q1-Q7): with its inputs fixed at
/// the scenario's values the samples reproduce the deterministic run to the last bit, with
/// other demand they agree with the deterministic run of those values, and the results do not
/// depend on the number of threads (over two chunks).
#[test]
fn waiting_work_in_monte_carlo_matches_the_deterministic_run_and_any_thread_count() {
    assert!(STARTUP_FILE.contains("max_wait_hours"));
    let fixed = format!(
        "{STARTUP_FILE}\n[[uncertain]]\npath = \"demand_scale\"\ndistribution = \"fixed\"\nvalue = 1.0\n\n\
         [[uncertain]]\npath = \"server[hgx-h100-oem].price_usd\"\ndistribution = \"fixed\"\nvalue = 296644.0\n"
    );
    let (input, u) = resolve(&fixed);
    assert!(input.hourly());
    let det = model::simulate(&input);
    let mc = run_with_threads(2, &input, &u, 24, 9);
    for (o, s) in det.options.iter().zip(&mc.options) {
        let pv = s.metrics[0].expect("pv statistics");
        assert_eq!((pv.mean, pv.sd), (o.pv_cost, Some(0.0)), "{}", o.name);
        assert_eq!(s.metrics[3].expect("unmet").mean, o.unmet_gpu_hours);
    }
    // Another demand (the scale at 1.2): every sample builds its own arrivals.
    let scaled = fixed.replace("value = 1.0", "value = 1.2");
    let (input2, u2) = resolve(&scaled);
    let mut edited = input2.clone();
    edited.demand_scale = 1.2;
    let det = model::simulate(&edited);
    let mc = run_with_threads(2, &input2, &u2, 8, 9);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    for (o, s) in det.options.iter().zip(&mc.options) {
        let pv = s.metrics[0].expect("pv statistics");
        assert!(
            close(pv.mean, o.pv_cost),
            "{}: {} vs {}",
            o.name,
            pv.mean,
            o.pv_cost
        );
    }
    // Uncertain demand, one and three threads, over three chunks, read off queue tables.
    let varied = format!(
        "{STARTUP_FILE}\n[[uncertain]]\npath = \"demand_scale\"\ndistribution = \"uniform\"\nlow = 0.7\nhigh = 1.3\n"
    )
    .replacen("horizon_months = 36", "horizon_months = 4", 1);
    let (input, u) = resolve(&varied);
    let one = run_with_threads(1, &input, &u, 600, 5);
    assert_eq!(one, run_with_threads(3, &input, &u, 600, 5));
}

/// Thread-count independence over many chunks (33 of 256 samples), with pools of 1, 3 and 8
/// threads, on both evaluation paths: shared load-duration curves, and each sample's own
/// hourly demand (a workload's growth is uncertain; a 6-month copy keeps it quick).
#[test]
fn results_do_not_depend_on_threads_over_many_chunks() {
    let shared = format!(
        "{}\n[[uncertain]]\npath = \"demand_scale\"\ndistribution = \"uniform\"\nlow = 0.7\nhigh = 1.3\n\n\
         [[uncertain]]\npath = \"server[hgx-h100-oem].price_usd\"\ndistribution = \"pert\"\nlow = 250000\nmode = 296644\nhigh = 350000\n",
        startup()
    );
    let own = shared.replacen("horizon_months = 36", "horizon_months = 6", 1)
        + "\n[[uncertain]]\npath = \"workload[fine-tuning jobs].growth_per_year\"\ndistribution = \"uniform\"\nlow = 0.2\nhigh = 0.8\n";
    assert!(own.contains("horizon_months = 6"));
    for text in [shared, own] {
        let (input, u) = resolve(&text);
        let samples = 33 * 256 - 100;
        let one = run_with_threads(1, &input, &u, samples, 5);
        for threads in [3, 8] {
            assert_eq!(
                one,
                run_with_threads(threads, &input, &u, samples, 5),
                "{threads} threads"
            );
        }
    }
}

/// Short runs are cut into eight chunks (multiples of 8 samples), long ones into chunks of 256.
#[test]
fn chunk_sizes_follow_the_number_of_samples_only() {
    for (samples, chunk) in [
        (0, 8),
        (1, 8),
        (64, 8),
        (65, 16),
        (100, 16),
        (600, 80),
        (2047, 256),
        (2048, 256),
        (1_000_000, 256),
    ] {
        assert_eq!(engine::chunk_size(samples), chunk, "{samples} samples");
    }
}

/// A run without the fan chart (what `run`, policies and sweeps ask for) gives every other
/// statistic bit for bit, through the block evaluation and through the general one.
#[test]
fn skipping_the_fan_chart_changes_no_other_statistic() {
    let shared = format!(
        "{}\n[[uncertain]]\npath = \"demand_scale\"\ndistribution = \"uniform\"\nlow = 0.7\nhigh = 1.3\n",
        startup()
    );
    let own = format!(
        "{shared}\n[[uncertain]]\npath = \"workload[fine-tuning jobs].growth_per_year\"\ndistribution = \"uniform\"\nlow = 0.2\nhigh = 0.8\n"
    );
    for text in [shared, own] {
        let (input, u) = resolve(&text);
        let never = std::sync::atomic::AtomicBool::new(false);
        let with = engine::run(&input, &u, 600, 4, &|_| {});
        let without =
            engine::run_cancellable(&input, &u, 600, 4, engine::FanChart::Skip, &|_| {}, &never)
                .expect("not cancelled");
        assert!(with.options.iter().all(|o| !o.fan.is_empty()));
        let mut expected = with.clone();
        for o in &mut expected.options {
            o.fan.clear();
        }
        assert_eq!(without, expected);
    }
}

/// Demand inputs fixed at values other than the scenario's take the hourly-curve path (each
/// sample builds its own unsorted curves): its results agree with the deterministic run of a
/// scenario that has those values, through sorted load-duration curves, to 1e-9 relative
/// (summation order differs, nothing else).
#[test]
fn changed_demand_inputs_match_the_deterministic_run_of_those_values() {
    let text = format!(
        "{}\n[[uncertain]]\npath = \"workload[fine-tuning jobs].growth_per_year\"\ndistribution = \"fixed\"\nvalue = 0.9\n\n\
         [[uncertain]]\npath = \"workload[fine-tuning jobs].gpu_hours_per_month\"\ndistribution = \"fixed\"\nvalue = 7300.0\n",
        startup()
    );
    let (input, u) = resolve(&text);
    let mut edited = input.clone();
    let w = edited
        .workloads
        .iter_mut()
        .find(|w| w.name == "fine-tuning jobs")
        .expect("workload");
    assert_ne!(
        w.growth_per_year, 0.9,
        "the value must differ from the scenario's"
    );
    w.growth_per_year = 0.9;
    w.ref_gpu_hours_per_month *= 7300.0 / 6000.0;
    let det = model::simulate(&edited);
    let mc = run_with_threads(2, &input, &u, 50, 3);
    const TOL: f64 = 1e-9;
    let close = |a: f64, b: f64| (a - b).abs() <= TOL * a.abs().max(b.abs()).max(1.0);
    for (o, s) in det.options.iter().zip(&mc.options) {
        for (m, reference) in [
            (0, o.pv_cost),
            (1, o.total_cost),
            (3, o.unmet_gpu_hours),
            (4, o.energy_kwh),
            (5, o.co2_t),
        ] {
            let stats = s.metrics[m].expect("statistics");
            assert!(
                close(stats.mean, reference),
                "{} metric {m}: {} vs {reference}",
                o.name,
                stats.mean
            );
            assert_eq!(stats.sd, Some(0.0), "every sample is the same");
        }
    }
}

/// A sampled demand below the least a scenario may give (10⁻⁶ reference GPU-hours a month) is
/// none: the model takes 0, as for a workload of no demand, and a value above it as it is.
#[test]
fn a_sampled_demand_below_the_least_is_none() {
    let text = format!(
        "{}\n[[uncertain]]\npath = \"workload[fine-tuning jobs].gpu_hours_per_month\"\n\
         distribution = \"uniform\"\nlow = 0.0\nhigh = 7300.0\n",
        startup()
    );
    let (input, u) = resolve(&text);
    let w = input
        .workloads
        .iter()
        .position(|w| w.name == "fine-tuning jobs")
        .expect("workload");
    for (value, taken) in [(5e-7, 0.0), (1e-300, 0.0), (1e-6, 1e-6), (2.5, 2.5)] {
        let mut sampled = input.clone();
        u.apply(&[value], &mut sampled);
        assert_eq!(
            sampled.workloads[w].ref_gpu_hours_per_month, taken,
            "{value}"
        );
    }
}

/// The same seed gives the same results whatever the number of threads; another seed differs.
#[test]
fn results_do_not_depend_on_threads_and_follow_the_seed() {
    let text = format!(
        "{}\n[[uncertain]]\npath = \"demand_growth_per_year\"\ndistribution = \"triangular\"\nlow = -0.1\nmode = 0.0\nhigh = 0.3\n\n\
         [[uncertain]]\npath = \"offer[lambda-gpu_8x_h100_sxm5].on_demand_usd_per_hour\"\ndistribution = \"pert\"\nlow = 20.0\nmode = 28.0\nhigh = 33.0\n\n\
         [[uncertain]]\npath = \"workload[fine-tuning jobs].growth_per_year\"\ndistribution = \"uniform\"\nlow = 0.2\nhigh = 0.8\n\n\
         [[correlation]]\na = \"demand_growth_per_year\"\nb = \"workload[fine-tuning jobs].growth_per_year\"\nrank = 0.6\n",
        startup()
    );
    let (input, u) = resolve(&text);
    let one = run_with_threads(1, &input, &u, 400, 42);
    let two = run_with_threads(2, &input, &u, 400, 42);
    assert_eq!(one, two);
    let other = run_with_threads(2, &input, &u, 400, 43);
    assert_ne!(one.options[0].metrics[0], other.options[0].metrics[0]);
}

fn ranks(values: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|a, b| values[*a].total_cmp(&values[*b]));
    let mut r = vec![0.0; values.len()];
    for (rank, i) in idx.into_iter().enumerate() {
        r[i] = rank as f64;
    }
    r
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// The draws achieve the requested rank correlation, with marginals as specified.
#[test]
fn draws_achieve_the_rank_correlation() {
    /// Sampling error of a rank correlation near 0.6 from 20,000 pairs is about 0.005.
    const RANK_TOL: f64 = 0.02;
    let text = format!(
        "{}\n[[uncertain]]\npath = \"demand_scale\"\ndistribution = \"lognormal\"\np10 = 0.8\np90 = 1.3\n\n\
         [[uncertain]]\npath = \"offer[lambda-gpu_8x_h100_sxm5].on_demand_usd_per_hour\"\ndistribution = \"triangular\"\nlow = 20.0\nmode = 28.0\nhigh = 33.0\n\n\
         [[correlation]]\na = \"demand_scale\"\nb = \"offer[lambda-gpu_8x_h100_sxm5].on_demand_usd_per_hour\"\nrank = -0.6\n",
        startup()
    );
    let (_, u) = resolve(&text);
    let n = 20_000;
    let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut uu, mut tmp, mut values) = (vec![0.0; 2], vec![0.0; 2], vec![0.0; 2]);
    for i in 0..n as u64 {
        engine::draw(&u, 5, i, &mut uu, &mut tmp, &mut values);
        a.push(values[0]);
        b.push(values[1]);
    }
    let rho = pearson(&ranks(&a), &ranks(&b));
    assert!((rho + 0.6).abs() < RANK_TOL, "rank correlation {rho}");
    let mut sorted = a.clone();
    sorted.sort_by(f64::total_cmp);
    // The lognormal marginal keeps its P10 and P90 (4 standard errors of a quantile ≈ 0.01).
    assert!(
        (sorted[n / 10] - 0.8).abs() < 0.01,
        "P10 {}",
        sorted[n / 10]
    );
    assert!(
        (sorted[9 * n / 10] - 1.3).abs() < 0.015,
        "P90 {}",
        sorted[9 * n / 10]
    );
}

/// A hybrid with constant prices: the sweep's optimal owned capacity agrees with the screening
/// curve rule (own up to the load exceeded for more hours a year than the break-even hours
/// F / (p − v)) within one sweep step.
#[test]
fn sweep_optimum_follows_the_screening_curve() {
    // A smooth year-long profile: daily and weekly cycles.
    let hourly: String = (0..8760)
        .map(|h| {
            let x = h as f64;
            let v = 1.0
                + 0.6 * (std::f64::consts::TAU * x / 24.0).sin()
                + 0.25 * (std::f64::consts::TAU * x / 168.0).sin();
            format!("{v}\n")
        })
        .collect();
    let profile = Arc::new(Profile::from_csv("smooth.csv", &hourly).expect("profile"));
    let (price, residual, max_kw, idle, pue, elec, coloc) =
        (300_000.0, 0.1, 10.2, 0.3, 1.4, 0.09, 180.0);
    let cloud_price = 6.88;
    let owned = OwnedIn {
        servers: 0,
        gpus_per_server: 8,
        rel_throughput: 1.0,
        availability: 1.0,
        server_price: price,
        max_power_kw: max_kw,
        idle_fraction: idle,
        warranty_months: 36.0,
        support_pct_per_year: 0.0,
        electricity_per_kwh: elec,
        pue,
        colocation_per_kw_month: coloc,
        grid_co2_g_per_kwh: 0.0,
        cycle_months: None,
        financing: Financing::Cash,
        depreciation: Depreciation::StraightLine {
            life_years: 5,
            salvage_fraction: 0.0,
        },
        tax_depreciation: Depreciation::StraightLine {
            life_years: 5,
            salvage_fraction: 0.0,
        },
        residual_value: residual,
        staff_fte_fixed: 0.0,
        staff_fte_per_server: 0.0,
        staff_salary_per_year: 0.0,
        software_per_gpu_year: 0.0,
        scheduler: crate::replay::Policy::Fifo,
        server_id: "test-server".into(),
        release_month: 0,
        refresh: None,
        sharing: crate::model::sharing::Sharing::None,
        mig: None,
    };
    let cloud = CloudIn {
        rel_throughput: 1.0,
        on_demand_per_gpu_hour: cloud_price,
        spot_per_gpu_hour: 0.0,
        commit_per_gpu_hour: cloud_price,
        commitment: Commitment::None,
        commit_term_months: 12,
        spot_share: 0.0,
        spot_overhead: 0.0,
        storage_tb: 0.0,
        storage_per_tb_month: 0.0,
        egress_tb_per_month: 0.0,
        egress_per_tb: 0.0,
        power_kw_per_gpu: 1.0,
        pue: 1.1,
        grid_co2_g_per_kwh: 0.0,
        ride_release_month: None,
        fractional: None,
    };
    let input = Input {
        name: "screening".into(),
        currency: "USD".into(),
        horizon_months: 12,
        start: YearMonth {
            year: 2027,
            month: 1,
        },
        discount_rate: 0.0,
        electricity_escalation_per_year: 0.0,
        workloads: vec![WorkloadIn {
            name: "load".into(),
            ref_gpu_hours_per_month: 60.0 * HOURS_PER_MONTH as f64,
            growth_per_year: 0.0,
            profile,
            sensitive: false,
            max_wait_hours: 0,
            unserved_cost_per_gpu_hour: None,
            trace: None,
            team: None,
            gpu_fraction: None,
        }],
        options: vec![OptionIn {
            name: "hybrid".into(),
            kind: Kind::Hybrid,
            owned: Some(owned),
            cloud: Some(cloud),
        }],
        baseline: 0,
        demand_scale: 1.0,
        demand_growth_per_year: 0.0,
        showback: None,
        tax: None,
        generations: crate::model::generations::Trend::default(),
    };
    let plan = Plan {
        axes: vec![Axis {
            path: "option[hybrid].servers".into(),
            option: 0,
            field: Field::Servers,
            values: (0..=20).map(f64::from).collect(),
            levels: Vec::new(),
        }],
        objective: Objective::PvCost,
        samples: 0,
        priced: false,
    };
    let result = sweep::run(&input, &plan, &Uncertainty::default(), 1);
    let best_gpus = result.points[result.best].values[0] * 8.0;

    // Analytic: cost of one owned GPU for the year, and the energy above idle per GPU-hour.
    let per_gpu_year =
        (price * (1.0 - residual) + max_kw * coloc * 12.0 + max_kw * idle * 8760.0 * pue * elec)
            / 8.0;
    let variable = max_kw * (1.0 - idle) / 8.0 * pue * elec;
    let break_even_hours = per_gpu_year / (cloud_price - variable);
    let mut year: Vec<f64> = model::demand_curves(&input)
        .iter()
        .flat_map(|d| d.total.loads().to_vec())
        .collect();
    year.sort_by(|a, b| b.total_cmp(a));
    // The load level exceeded for exactly `break_even_hours` hours of the year.
    let optimal_gpus = year[break_even_hours.round() as usize];
    assert!(
        (best_gpus - optimal_gpus).abs() <= 8.0,
        "sweep optimum {best_gpus} GPUs, screening curve {optimal_gpus:.1} GPUs (break-even {break_even_hours:.0} h)"
    );
}

/// Queue tables (README "Work that waits in Monte Carlo") against the exact walk of the hours:
/// samples that scale demand and change availability read their queues off the grid within
/// [`TABLE_TOL`] of what walking their own hours gives.
#[test]
fn queue_tables_agree_with_walking_the_hours() {
    // The start-up scenario (its hybrid always busy, training waiting up to two days) with
    // uncertain demand and availability.
    let text = format!(
        "{STARTUP_FILE}\n[[uncertain]]\npath = \"demand_scale\"\ndistribution = \"uniform\"\nlow = 0.6\nhigh = 1.4\n\n\
         [[uncertain]]\npath = \"demand_growth_per_year\"\ndistribution = \"uniform\"\nlow = -0.2\nhigh = 0.3\n\n\
         [[uncertain]]\npath = \"option[own-1-burst-lambda].availability\"\ndistribution = \"uniform\"\nlow = 0.85\nhigh = 0.99\n"
    )
    // A year is enough to carry queues across months and keeps the 256 grid walks quick.
    .replacen("horizon_months = 36", "horizon_months = 12", 1);
    let (input, u) = resolve(&text);
    let months = model::demand_curves(&input);
    let ranges = u
        .capacity_per_demand(&input)
        .expect("only common demand factors vary");
    let tables = std::sync::Arc::new(
        model::QueueTables::build(&input, &months, &ranges).expect("tables for the owned options"),
    );
    let mut worst: f64 = 0.0;
    for (scale, growth, availability) in [
        (0.61, -0.19, 0.86),
        (0.83, 0.05, 0.9),
        (1.0, 0.0, 0.97),
        (1.17, 0.21, 0.93),
        (1.39, 0.29, 0.98),
    ] {
        let mut sample = input.clone();
        sample.demand_scale = scale;
        sample.demand_growth_per_year = growth;
        if let Some(owned) = sample.options[2].owned.as_mut() {
            owned.availability = availability;
        }
        let run = |tables: Option<std::sync::Arc<model::QueueTables>>| {
            let mut ws = model::Workspace::with_queue_tables(tables);
            let mut totals = vec![model::Totals::default(); sample.options.len()];
            model::evaluate_all(&sample, &months, &mut ws, false, &mut totals, |_, _, _| {});
            totals
        };
        let (exact, read) = (run(None), run(Some(tables.clone())));
        for (e, r) in exact.iter().zip(&read) {
            let demand = e.demand_gpu_hours;
            for (x, y, of) in [
                (e.pv_cost, r.pv_cost, e.pv_cost),
                (e.served_onprem_gpu_hours, r.served_onprem_gpu_hours, demand),
                (e.served_cloud_gpu_hours, r.served_cloud_gpu_hours, demand),
                (e.unmet_gpu_hours, r.unmet_gpu_hours, demand),
                (e.energy_kwh, r.energy_kwh, e.energy_kwh),
            ] {
                worst = worst.max((x - y).abs() / of.abs().max(1.0));
            }
        }
    }
    assert!(worst <= TABLE_TOL, "worst relative difference {worst}");
}

/// Largest difference between a queue read off the tables and the exact walk, relative to the
/// option's PV cost, demand or energy (linear interpolation between 256 capacities, and the
/// queue carried into a month taken at that month's capacity).
const TABLE_TOL: f64 = 1e-3;

/// A sweep point simulates its option alone: its PV, unmet work and whether it serves demand
/// are, to the last bit, those of the whole scenario run with the point's values, with work
/// that waits (the start-up scenario's hybrid) and without.
#[test]
fn sweep_points_are_the_deterministic_run_of_their_values() {
    for text in [STARTUP_FILE.to_string(), startup()] {
        let (input, _) = resolve(&text);
        let option = input
            .options
            .iter()
            .position(|o| o.name == "own-1-burst-lambda")
            .expect("the hybrid");
        let plan = Plan {
            axes: vec![
                Axis {
                    path: "option[own-1-burst-lambda].servers".into(),
                    option,
                    field: Field::Servers,
                    values: vec![0.0, 1.0, 2.0, 3.0],
                    levels: Vec::new(),
                },
                Axis {
                    path: "option[own-1-burst-lambda].availability".into(),
                    option,
                    field: Field::Availability,
                    values: vec![0.9, 0.97, 1.0],
                    levels: Vec::new(),
                },
            ],
            objective: Objective::PvCost,
            samples: 0,
            priced: false,
        };
        let result = sweep::run(&input, &plan, &Uncertainty::default(), 1);
        assert_eq!(result.points.len(), 12);
        for point in &result.points {
            let mut whole = input.clone();
            let owned = whole.options[option].owned.as_mut().expect("owned servers");
            owned.servers = point.values[0] as u32;
            owned.availability = point.values[1];
            let out = model::simulate(&whole);
            let expected = &out.options[option];
            assert_eq!(
                point.pv_cost.to_bits(),
                expected.pv_cost.to_bits(),
                "{point:?}"
            );
            assert_eq!(point.objective.to_bits(), expected.pv_cost.to_bits());
            assert_eq!(
                point.unmet_gpu_hours.to_bits(),
                expected.unmet_gpu_hours.to_bits(),
                "{point:?}"
            );
            assert_eq!(point.serves_demand, model::serves_demand(expected));
        }
    }
}

/// The Monte Carlo evaluation of a block of samples (`model::evaluate_block_fast`) gives every
/// sample the totals and cumulative costs of the general evaluation of that sample's inputs,
/// bit for bit, over seeded random draws of every example scenario's uncertain inputs, in
/// blocks shorter than the lanes and in blocks whose samples differ in their options' parts,
/// with the processor's vector instructions (AVX2 where it has them) and with the baseline's.
#[test]
fn block_evaluation_equals_the_general_evaluation_bit_for_bit() {
    let fleet = include_str!("../../scenarios/inference-fleet.toml");
    // Samples that differ in their discount and escalation factors (which samples otherwise
    // share) and in loan-financed cash flows in every month.
    let own_factors = format!(
        "{}\n[[uncertain]]\npath = \"discount_rate\"\ndistribution = \"uniform\"\nlow = 0.05\nhigh = 0.12\n\n\
         [[uncertain]]\npath = \"electricity_escalation_per_year\"\ndistribution = \"uniform\"\nlow = 0.0\nhigh = 0.05\n\n\
         [[uncertain]]\npath = \"option[own-l4].financing.annual_rate\"\ndistribution = \"uniform\"\nlow = 0.04\nhigh = 0.08\n",
        fleet.replace(
            "servers = 88 ",
            "servers = 88\nfinancing = { kind = \"loan\", annual_rate = 0.06, term_months = 36, down_payment = 0.2 } ",
        )
    );
    let scenarios = [
        fleet.to_string(),
        own_factors,
        include_str!("../../scenarios/enterprise-llm-frankfurt.toml").to_string(),
        startup(),
        STARTUP_FILE.to_string(),
    ];
    const SAMPLES: u64 = 24;
    const BLOCK: usize = 4;
    for (s, text) in scenarios.iter().enumerate() {
        let (input, u) = resolve(text);
        let months = model::demand_curves(&input);
        let (h, options) = (input.horizon_months, input.options.len());
        let record: Vec<bool> = (0..h).map(|m| m % 7 == 3 || m + 1 == h).collect();
        let k = u.inputs.len();
        let (mut x, mut tmp, mut values) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
        let mut inputs = vec![input.clone(); BLOCK];
        let mut workspaces = vec![model::Workspace::default(); BLOCK];
        let mut general_ws = model::Workspace::default();
        for first in (0..SAMPLES).step_by(BLOCK) {
            for (j, sample) in inputs.iter_mut().enumerate() {
                engine::draw(
                    &u,
                    11 + s as u64,
                    first + j as u64,
                    &mut x,
                    &mut tmp,
                    &mut values,
                );
                u.apply(&values, sample);
                // In the second half, one sample of each block owns no servers in any option:
                // its options differ from the other samples' in which parts they have.
                if j == 1 && first >= SAMPLES / 2 {
                    for o in sample.options.iter_mut().filter_map(|o| o.owned.as_mut()) {
                        o.servers = 0;
                    }
                }
            }
            // The evaluation with the processor's vector instructions, and with the
            // baseline's.
            for isa in [model::Isa::Detect, model::Isa::Baseline] {
                let mut totals = vec![vec![model::Totals::default(); options]; BLOCK];
                let mut fan = vec![Vec::new(); BLOCK * options];
                model::evaluate_block_on(
                    isa,
                    &inputs,
                    &months,
                    &mut workspaces,
                    &mut totals,
                    &record,
                    |j, n, m, costs| {
                        for (k, cost) in costs.iter().enumerate() {
                            fan[(j + k) * options + n].push((m, cost.to_bits()));
                        }
                    },
                );
                for (j, sample) in inputs.iter().enumerate() {
                    let mut expected = vec![model::Totals::default(); options];
                    let mut cum = vec![0.0; options];
                    let mut expected_fan = vec![Vec::new(); options];
                    model::evaluate_all(
                        sample,
                        &months,
                        &mut general_ws,
                        false,
                        &mut expected,
                        |n, m, f| {
                            cum[n] += f.start_flow + f.end_flow;
                            if record[m] {
                                expected_fan[n].push((m, cum[n].to_bits()));
                            }
                        },
                    );
                    for n in 0..options {
                        let (a, b) = (&totals[j][n], &expected[n]);
                        let bits = |t: &model::Totals| {
                            [
                                t.pv_cost,
                                t.total_cost,
                                t.demand_gpu_hours,
                                t.served_onprem_gpu_hours,
                                t.served_cloud_gpu_hours,
                                t.unmet_gpu_hours,
                                t.unserved_cost,
                                t.energy_kwh,
                                t.co2_t,
                            ]
                            .map(f64::to_bits)
                        };
                        let at = format!(
                            "scenario {s}, sample {}, option {n}, {isa:?}",
                            first + j as u64
                        );
                        assert_eq!(bits(a), bits(b), "{at}");
                        assert_eq!(fan[j * options + n], expected_fan[n], "{at}");
                    }
                }
            }
        }
    }
}

/// Blocks take a chunk's samples in the order of their demand factors, but every statistic
/// takes them in sample order: the means and standard deviations of a run equal those formed
/// from each sample's own general evaluation in sample order, chunk by chunk and chunks in
/// order, bit for bit.
#[test]
fn moments_take_the_samples_in_sample_order_whatever_the_blocks() {
    let (input, u) = resolve(include_str!("../../scenarios/inference-fleet.toml"));
    let samples = 640;
    let seed = 17;
    let run = run_with_threads(2, &input, &u, samples, seed);
    let months = model::demand_curves(&input);
    let options = input.options.len();
    let chunk = engine::chunk_size(samples);
    let k = u.inputs.len();
    let (mut x, mut tmp, mut values) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    let mut ws = model::Workspace::default();
    let mut pv: Vec<super::stats::Moments> =
        (0..options).map(|_| super::stats::Moments::new()).collect();
    let mut keys = Vec::new();
    for first in (0..samples).step_by(chunk as usize) {
        let mut chunk_pv: Vec<super::stats::Moments> =
            (0..options).map(|_| super::stats::Moments::new()).collect();
        for i in first..(first + chunk).min(samples) {
            engine::draw(&u, seed, i, &mut x, &mut tmp, &mut values);
            keys.push(u.demand_order_key(&values, &input, input.horizon_months));
            let mut sample = input.clone();
            u.apply(&values, &mut sample);
            let mut totals = vec![model::Totals::default(); options];
            model::evaluate_all(&sample, &months, &mut ws, false, &mut totals, |_, _, _| {});
            for (m, t) in chunk_pv.iter_mut().zip(&totals) {
                m.add(t.pv_cost);
            }
        }
        for (a, b) in pv.iter_mut().zip(&chunk_pv) {
            a.merge(b);
        }
    }
    // The samples' demand factors are not already in order, so the blocks reorder them.
    assert!(keys.windows(2).any(|w| w[0] > w[1]));
    for (n, (stats, expected)) in run.options.iter().zip(&pv).enumerate() {
        let got = stats.metrics[0].expect("PV statistics");
        assert_eq!(
            got.mean.to_bits(),
            expected.mean().unwrap().to_bits(),
            "option {n} mean"
        );
        assert_eq!(
            got.sd.unwrap().to_bits(),
            expected.sd().unwrap().to_bits(),
            "option {n} sd"
        );
    }
}

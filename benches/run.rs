//! Benchmarks of `tcosim run`: the whole process (parse to output) on every example scenario,
//! the in-process model alone, Monte Carlo (100,000 samples with one and two threads, and the
//! peak memory of 1,000,000 samples) and the IRR of a long savings series. Run with
//! `cargo bench --bench run`; prints one line per case with wall times and option-months per
//! second, so later changes can be compared. With `TCOSIM_COMPARE_WITH=/path/to/other/tcosim`
//! it also times the Monte Carlo case alternately with that build (side by side, same load);
//! `cargo bench --bench run -- --side-by-side` runs only that comparison.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PROCESS_RUNS: usize = 50;
const MODEL_RUNS: usize = 200;

fn stats(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[0])
}

/// Median and minimum wall time of `runs` runs of `tcosim ARGS SCENARIO`, output discarded.
fn time_runs(bin: &str, args: &[&str], scenario: &Path, runs: usize) -> (Duration, Duration) {
    let samples = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(bin)
                .args(args)
                .arg(scenario)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("tcosim runs");
            let elapsed = start.elapsed();
            assert!(status.success(), "tcosim {args:?} {scenario:?} failed");
            elapsed
        })
        .collect();
    stats(samples)
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = env!("CARGO_BIN_EXE_tcosim");
    if std::env::args().any(|a| a == "--side-by-side") {
        // Only the alternated comparison with another build.
        let Some(other) = std::env::var_os("TCOSIM_COMPARE_WITH") else {
            eprintln!("--side-by-side needs TCOSIM_COMPARE_WITH=/path/to/another/tcosim");
            std::process::exit(2);
        };
        let scenario = root.join("scenarios").join("inference-fleet.toml");
        let source = tcosim::scenario::Source::read(&scenario).expect("scenario reads");
        let catalog = tcosim::catalog::Catalog::builtin().expect("built-in catalogs load");
        let input = tcosim::scenario::resolve(&source, &catalog)
            .expect("scenario resolves")
            .input;
        let option_months = (input.options.len() * input.horizon_months) as f64;
        side_by_side(bin, Path::new(&other), &scenario, 100_000, option_months);
        return;
    }
    let scenarios = [
        "inference-fleet.toml",
        "enterprise-llm-frankfurt.toml",
        "startup-finetune.toml",
    ];
    for format in ["table", "json"] {
        for name in scenarios {
            let path = root.join("scenarios").join(name);
            let (median, min) = time_runs(
                bin,
                &["run", "--quiet", "--format", format],
                &path,
                PROCESS_RUNS,
            );
            println!(
                "process  run {name:<32} --format {format:<5}  median {:>7.2} ms  min {:>7.2} ms",
                median.as_secs_f64() * 1e3,
                min.as_secs_f64() * 1e3
            );
        }
    }
    monte_carlo(bin, &root.join("scenarios").join("inference-fleet.toml"));
    let catalog = tcosim::catalog::Catalog::builtin().expect("built-in catalogs load");
    for name in scenarios {
        let source = tcosim::scenario::Source::read(&root.join("scenarios").join(name))
            .expect("scenario reads");
        let resolved = tcosim::scenario::resolve(&source, &catalog).expect("scenario resolves");
        let input = &resolved.input;
        let mut samples = Vec::with_capacity(MODEL_RUNS);
        for _ in 0..MODEL_RUNS {
            let start = Instant::now();
            let out = tcosim::model::simulate(std::hint::black_box(input));
            std::hint::black_box(&out);
            samples.push(start.elapsed());
        }
        let (median, min) = stats(samples);
        let option_months = (input.options.len() * input.horizon_months) as f64;
        println!(
            "model    simulate {name:<29} median {:>7.3} ms  min {:>7.3} ms  {:>6.2} M option-months/s",
            median.as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3,
            option_months / median.as_secs_f64() / 1e6
        );
    }
    irr();
    sweep(bin, &root.join("scenarios").join("inference-fleet.toml"));
}

/// A 10,000-point sweep (100 server counts × 100 availabilities of the fleet's hybrid) at a
/// horizon of 600 months: every point shares the demand curves and simulates the swept option
/// alone (README "Sweep (U5)"), on one and two threads.
fn sweep(bin: &str, scenario: &Path) {
    const RUNS: usize = 3;
    let text = std::fs::read_to_string(scenario).expect("scenario reads");
    let at = text.find("[sweep]").expect("the fleet has a sweep");
    let long = format!(
        "{}[sweep]\nobjective = \"pv_cost\"\n\n[[sweep.parameter]]\npath = \"option[hybrid-l40s-coreweave].servers\"\nfrom = 0\nto = 99\nstep = 1\n\n[[sweep.parameter]]\npath = \"option[hybrid-l40s-coreweave].availability\"\nfrom = 0.9\nto = 0.999\nstep = 0.001\n",
        &text[..at].replace("horizon_months = 120", "horizon_months = 600")
    );
    let path = scenario
        .parent()
        .expect("scenario folder")
        .join(".bench-sweep.toml");
    std::fs::write(&path, long).expect("scenario copy writes");
    for threads in [1, 2] {
        let (median, min) = time_runs(
            bin,
            &[
                "sweep",
                "--quiet",
                "--format",
                "json",
                "--threads",
                &threads.to_string(),
            ],
            &path,
            RUNS,
        );
        println!(
            "sweep    10,000 points x 600 months, {threads} thread(s): median {:>7.3} s  min {:>7.3} s",
            median.as_secs_f64(),
            min.as_secs_f64()
        );
    }
    std::fs::remove_file(&path).ok();
}

/// IRR of one option against its baseline over the longest horizon: 601 monthly savings flows
/// with a purchase every 48 months, so that the flows change sign several times and the root
/// search scans the grid (README F4).
fn irr() {
    const CALLS: usize = 2_000;
    let mut flows: Vec<f64> = (0..=600)
        .map(|t| 30_000.0 * 1.01f64.powf(t as f64 / 12.0))
        .collect();
    for t in (0..600).step_by(48) {
        flows[t] -= 1_000_000.0;
    }
    let samples = (0..CALLS)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(tcosim::finance::irr(std::hint::black_box(&flows), 0.0064));
            start.elapsed()
        })
        .collect();
    let (median, min) = stats(samples);
    println!(
        "finance  irr of 601 monthly flows, several sign changes  median {:>7.1} µs  min {:>7.1} µs",
        median.as_secs_f64() * 1e6,
        min.as_secs_f64() * 1e6
    );
}

/// Monte Carlo of the largest example: whole-process wall time for 100,000 samples on one and
/// two threads, option-months per second, and peak memory (`/usr/bin/time -f %M`, where
/// present) for 100,000 and 1,000,000 samples.
/// The same Monte Carlo run by this build and by `other` (another build of tcosim, e.g. of an
/// earlier commit in a second worktree), alternating run by run so that both see the same load
/// on the machine; prints each one's median and minimum and the ratio of the medians.
fn side_by_side(bin: &str, other: &Path, scenario: &Path, samples: u64, option_months: f64) {
    const ROUNDS: usize = 5;
    let other = other.to_string_lossy().into_owned();
    for threads in [1, 2] {
        let args = [
            "run".to_string(),
            "--quiet".into(),
            "--format".into(),
            "json".into(),
            "--samples".into(),
            samples.to_string(),
            "--threads".into(),
            threads.to_string(),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (mut this_runs, mut other_runs) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            this_runs.push(time_runs(bin, &args, scenario, 1).0);
            other_runs.push(time_runs(&other, &args, scenario, 1).0);
        }
        let ((this_median, this_min), (other_median, other_min)) =
            (stats(this_runs), stats(other_runs));
        let rate = |d: Duration| samples as f64 * option_months / d.as_secs_f64() / 1e6;
        println!(
            "side by side, {threads} thread(s), {ROUNDS} alternated runs: this build median {:.3} s min {:.3} s ({:.1} M option-months/s); {other}: median {:.3} s min {:.3} s; {:.2}x",
            this_median.as_secs_f64(),
            this_min.as_secs_f64(),
            rate(this_median),
            other_median.as_secs_f64(),
            other_min.as_secs_f64(),
            other_median.as_secs_f64() / this_median.as_secs_f64()
        );
    }
}

fn monte_carlo(bin: &str, scenario: &Path) {
    const SAMPLES: u64 = 100_000;
    const RUNS: usize = 3;
    let source = tcosim::scenario::Source::read(scenario).expect("scenario reads");
    let catalog = tcosim::catalog::Catalog::builtin().expect("built-in catalogs load");
    let resolved = tcosim::scenario::resolve(&source, &catalog).expect("scenario resolves");
    let option_months = (resolved.input.options.len() * resolved.input.horizon_months) as f64;
    let mut medians = Vec::new();
    for threads in [1, 2] {
        let (median, min) = time_runs(
            bin,
            &[
                "run",
                "--quiet",
                "--format",
                "json",
                "--samples",
                &SAMPLES.to_string(),
                "--threads",
                &threads.to_string(),
            ],
            scenario,
            RUNS,
        );
        medians.push(median);
        println!(
            "montecarlo {SAMPLES} samples x {} option-months, {threads} thread(s): median {:>7.3} s  min {:>7.3} s  {:>6.1} M option-months/s",
            option_months,
            median.as_secs_f64(),
            min.as_secs_f64(),
            SAMPLES as f64 * option_months / median.as_secs_f64() / 1e6
        );
    }
    println!(
        "montecarlo speed-up from 1 to 2 threads: {:.2}x",
        medians[0].as_secs_f64() / medians[1].as_secs_f64()
    );
    if let Some(other) = std::env::var_os("TCOSIM_COMPARE_WITH") {
        side_by_side(bin, Path::new(&other), scenario, SAMPLES, option_months);
    }
    workload_demand(bin, scenario, option_months);
    waiting_work(bin, scenario, option_months);
    if Path::new("/usr/bin/time").exists() {
        for samples in [100_000u64, 1_000_000] {
            let out = Command::new("/usr/bin/time")
                .args(["-f", "%M"])
                .arg(bin)
                .args([
                    "run",
                    "--quiet",
                    "--format",
                    "json",
                    "--samples",
                    &samples.to_string(),
                ])
                .arg(scenario)
                .stdout(Stdio::null())
                .output()
                .expect("tcosim runs under /usr/bin/time");
            let kb = String::from_utf8_lossy(&out.stderr)
                .trim()
                .lines()
                .last()
                .unwrap_or("")
                .to_string();
            println!("montecarlo {samples} samples: peak memory {kb} KB");
        }
    }
}

/// Monte Carlo where a workload's own growth is uncertain: every sample builds its own hourly
/// demand (the slower path), 10,000 samples on two threads.
fn workload_demand(bin: &str, scenario: &Path, option_months: f64) {
    const SAMPLES: u64 = 10_000;
    let text = std::fs::read_to_string(scenario).expect("scenario reads");
    let extra = "path = \"demand_growth_per_year\"";
    assert!(
        text.contains(extra),
        "the example has an extra-growth input to replace"
    );
    let text = text.replace(extra, "path = \"workload[chat inference].growth_per_year\"");
    // The triangular range of the extra growth (-0.05..0.08) becomes the workload's own growth
    // around its planned 8 % a year.
    let text = text.replacen(
        "low = -0.05\nmode = 0.0\nhigh = 0.08",
        "low = 0.03\nmode = 0.08\nhigh = 0.16",
        1,
    );
    let dir = scenario.parent().expect("scenario folder");
    let copy = dir.join(".bench-workload-growth.toml");
    std::fs::write(&copy, text).expect("scenario copy writes");
    let (median, min) = time_runs(
        bin,
        &[
            "run",
            "--quiet",
            "--format",
            "json",
            "--samples",
            &SAMPLES.to_string(),
        ],
        &copy,
        3,
    );
    std::fs::remove_file(&copy).ok();
    println!(
        "montecarlo {SAMPLES} samples, uncertain workload growth (own hourly demand per sample), 2 threads: median {:>7.3} s  min {:>7.3} s  {:>6.1} M option-months/s",
        median.as_secs_f64(),
        min.as_secs_f64(),
        SAMPLES as f64 * option_months / median.as_secs_f64() / 1e6
    );
}

/// Monte Carlo with work that waits (README Q1-Q7): the inference fleet with a bursty batch
/// workload that may wait a day, against the same scenario with that workload not waiting,
/// 100,000 samples on two threads, timed alternately in the same run.
fn waiting_work(bin: &str, scenario: &Path, option_months: f64) {
    const SAMPLES: u64 = 100_000;
    let text = std::fs::read_to_string(scenario).expect("scenario reads");
    let at = text.find("[[option]]").expect("the example has options");
    let with = |wait: u32| {
        format!(
            "{}[[workload]]\nname = \"batch embedding\"\ngpu_hours_per_month = 6000\ngrowth_per_year = 0.1\nprofile = \"bursty\"\nmax_wait_hours = {wait}\n\n{}",
            &text[..at],
            &text[at..]
        )
    };
    let dir = scenario.parent().expect("scenario folder");
    let files = [
        (
            dir.join(".bench-waiting.toml"),
            with(24),
            "a batch workload waiting up to 24 h",
        ),
        (
            dir.join(".bench-not-waiting.toml"),
            with(0),
            "the same workload not waiting",
        ),
    ];
    for (path, text, _) in &files {
        std::fs::write(path, text).expect("scenario copy writes");
    }
    let args = [
        "run",
        "--quiet",
        "--format",
        "json",
        "--samples",
        &SAMPLES.to_string(),
        "--threads",
        "2",
    ];
    let mut runs: Vec<Vec<Duration>> = vec![Vec::new(); files.len()];
    for _ in 0..3 {
        for (k, (path, _, _)) in files.iter().enumerate() {
            runs[k].push(time_runs(bin, &args, path, 1).0);
        }
    }
    for (path, _, _) in &files {
        std::fs::remove_file(path).ok();
    }
    let medians: Vec<Duration> = runs.into_iter().map(|r| stats(r).0).collect();
    for ((_, _, what), median) in files.iter().zip(&medians) {
        println!(
            "montecarlo {SAMPLES} samples, {what}, 2 threads: median {:>7.3} s  {:>6.1} M option-months/s",
            median.as_secs_f64(),
            SAMPLES as f64 * option_months / median.as_secs_f64() / 1e6
        );
    }
    println!(
        "montecarlo waiting work costs {:.2}x the same scenario without it",
        medians[0].as_secs_f64() / medians[1].as_secs_f64()
    );
}

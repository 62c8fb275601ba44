//! Benchmarks of `tcosim replay`: synthetic traces, generated from a fixed seed, replayed through
//! the library's `simulate` (the simulation alone) and through the release binary as a whole
//! process on the same trace written as CSV to a temporary folder (reading, simulating,
//! summarising, writing). Run with `cargo bench --bench replay`; prints one line per case with
//! the jobs, the events, the wall time (minimum and median of the runs, alternated between
//! cases so that load from other work spreads over all of them) and events per second.
//! `cargo bench --bench replay -- --quick` runs each case once; `-- --only fifo` keeps the
//! cases whose name contains `fifo`; `-- --keep DIR` writes the traces to DIR and keeps them.
//!
//! The workload: jobs of 1, 2, 4, 8, 16, 32 or 64 GPUs (one job in three of one GPU, mean 11.7
//! GPUs), durations exponential with a mean of an hour, Poisson arrivals offering 1.1 times the
//! cluster's GPUs: arriving faster than served, so the queue grows through the run.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tcosim::replay::sim::{Outcome, simulate};
use tcosim::replay::{Burst, Cluster, Config, Job, Policy};

const SEED: u64 = 20_261_201;
/// GPU counts drawn uniformly from this list.
const GPU_MIX: [u32; 12] = [1, 1, 1, 1, 2, 2, 4, 8, 8, 16, 32, 64];
const MEAN_DURATION_S: f64 = 3_600.0;
/// Offered GPU-seconds per second over the cluster's GPUs.
const OFFERED_LOAD: f64 = 1.1;

fn unit(rng: &mut ChaCha8Rng) -> f64 {
    // (0, 1), never 0, so that its logarithm is finite.
    ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// `n` jobs offering `OFFERED_LOAD` times `gpus` GPUs, in submit order.
fn workload(n: usize, gpus: u64, seed: u64) -> Vec<Job> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mean_gpus = GPU_MIX.iter().map(|&g| f64::from(g)).sum::<f64>() / GPU_MIX.len() as f64;
    let rate_per_s = OFFERED_LOAD * gpus as f64 / (mean_gpus * MEAN_DURATION_S);
    let mut t = 0.0;
    (0..n)
        .map(|_| {
            t += -unit(&mut rng).ln() / rate_per_s;
            let duration = (-unit(&mut rng).ln() * MEAN_DURATION_S).round().max(1.0) as i64;
            let gpus = GPU_MIX[(rng.next_u64() % GPU_MIX.len() as u64) as usize];
            Job::new(t.round() as i64, None, duration, gpus)
        })
        .collect()
}

fn write_csv(path: &Path, jobs: &[Job]) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("trace file"));
    writeln!(out, "job_id,submit,start,duration,gpus").unwrap();
    for (k, j) in jobs.iter().enumerate() {
        writeln!(out, "{k},{},,{},{}", j.submit_s, j.duration_s, j.gpus).unwrap();
    }
    out.flush().unwrap();
}

struct Case {
    name: &'static str,
    jobs: usize,
    nodes: u32,
    policy: Policy,
    process: bool,
}

fn policy_flag(policy: Policy) -> &'static str {
    match policy {
        Policy::Fifo => "fifo",
        Policy::FifoSkip => "fifo-skip",
        Policy::EasyBackfill => "easy-backfill",
        Policy::Sjf => "sjf",
    }
}

fn min_median(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[0], samples[samples.len() / 2])
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let only = std::env::args()
        .skip_while(|a| a != "--only")
        .nth(1)
        .unwrap_or_default();
    let runs = if quick { 1 } else { 5 };
    let bin = env!("CARGO_BIN_EXE_tcosim");
    let dir = tempfile::tempdir().expect("temporary folder");
    let keep = std::env::args().skip_while(|a| a != "--keep").nth(1);
    let dir_path = keep.as_deref().map_or(dir.path(), Path::new);
    let cases = [
        ("1m-1250x8-fifo", 1_000_000, 1_250, Policy::Fifo, true),
        (
            "1m-1250x8-fifo-skip",
            1_000_000,
            1_250,
            Policy::FifoSkip,
            false,
        ),
        (
            "1m-1250x8-easy",
            1_000_000,
            1_250,
            Policy::EasyBackfill,
            true,
        ),
        ("1m-1250x8-sjf", 1_000_000, 1_250, Policy::Sjf, false),
        ("100k-64x8-fifo", 100_000, 64, Policy::Fifo, true),
        ("100k-64x8-easy", 100_000, 64, Policy::EasyBackfill, true),
        ("100k-125x8-fifo", 100_000, 125, Policy::Fifo, true),
        ("100k-125x8-easy", 100_000, 125, Policy::EasyBackfill, true),
    ]
    .map(|(name, jobs, nodes, policy, process)| Case {
        name,
        jobs,
        nodes,
        policy,
        process,
    });
    let cases: Vec<&Case> = cases.iter().filter(|c| c.name.contains(&only)).collect();
    // One workload per (jobs, cluster), shared by the policies.
    let mut workloads = std::collections::BTreeMap::new();
    for c in &cases {
        workloads.entry((c.jobs, c.nodes)).or_insert_with(|| {
            let jobs = workload(c.jobs, u64::from(c.nodes) * 8, SEED);
            let path = dir_path.join(format!("{}-{}.csv", c.jobs, c.nodes));
            write_csv(&path, &jobs);
            (jobs, path)
        });
    }
    let mut library: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    let mut process: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    let mut events = vec![0u64; cases.len()];
    for _ in 0..runs {
        for (k, c) in cases.iter().enumerate() {
            let (jobs, path) = &workloads[&(c.jobs, c.nodes)];
            let config = Config {
                cluster: Cluster {
                    nodes: c.nodes,
                    gpus_per_node: 8,
                },
                policy: c.policy,
                burst: Burst::Never,
                as_recorded: false,
            };
            let began = Instant::now();
            let outcome: Outcome = simulate(jobs, &config);
            library[k].push(began.elapsed());
            events[k] = outcome.events;
            if c.process {
                let began = Instant::now();
                let status = Command::new(bin)
                    .args(["replay", "--quiet", "--gpus-per-node", "8", "--nodes"])
                    .arg(c.nodes.to_string())
                    .args(["--policy", policy_flag(c.policy)])
                    .arg(path)
                    .stdout(Stdio::null())
                    .status()
                    .expect("tcosim runs");
                process[k].push(began.elapsed());
                assert!(status.success(), "tcosim replay failed on {}", c.name);
            }
        }
    }
    println!(
        "{:<22} {:>9} {:>10} {:>21} {:>12} {:>21}",
        "case", "jobs", "events", "simulate min/median", "events/s", "process min/median"
    );
    for (k, c) in cases.iter().enumerate() {
        let (lib_min, lib_median) = min_median(library[k].clone());
        let process = if process[k].is_empty() {
            String::new()
        } else {
            let (min, median) = min_median(process[k].clone());
            format!("{:.3} / {:.3} s", min.as_secs_f64(), median.as_secs_f64())
        };
        println!(
            "{:<22} {:>9} {:>10} {:>21} {:>12.3e} {:>21}",
            c.name,
            c.jobs,
            events[k],
            format!(
                "{:.3} / {:.3} s",
                lib_min.as_secs_f64(),
                lib_median.as_secs_f64()
            ),
            events[k] as f64 / lib_min.as_secs_f64(),
            process
        );
    }
}

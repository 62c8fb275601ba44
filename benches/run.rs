//! Benchmarks of `tcosim run`: the whole process (parse to output) on every example scenario,
//! and the in-process model alone. Run with `cargo bench --bench run`; prints one line per case
//! with the median and minimum wall time, and option-months per second for the model.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PROCESS_RUNS: usize = 50;
const MODEL_RUNS: usize = 200;

fn stats(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[0])
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = env!("CARGO_BIN_EXE_tcosim");
    let scenarios = [
        "inference-fleet.toml",
        "enterprise-llm-frankfurt.toml",
        "startup-finetune.toml",
    ];
    for format in ["table", "json"] {
        for name in scenarios {
            let path = root.join("scenarios").join(name);
            let mut samples = Vec::with_capacity(PROCESS_RUNS);
            for _ in 0..PROCESS_RUNS {
                let start = Instant::now();
                let status = Command::new(bin)
                    .args(["run", "--quiet", "--format", format])
                    .arg(&path)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .expect("tcosim runs");
                samples.push(start.elapsed());
                assert!(status.success(), "tcosim run {name} failed");
            }
            let (median, min) = stats(samples);
            println!(
                "process  run {name:<32} --format {format:<5}  median {:>7.2} ms  min {:>7.2} ms",
                median.as_secs_f64() * 1e3,
                min.as_secs_f64() * 1e3
            );
        }
    }
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
}

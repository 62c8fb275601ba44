//! The checks behind the fuzz targets in `fuzz/` and their stable smoke test (README
//! "Fuzzing"): one function per input parser, taking arbitrary bytes.
//!
//! Each check feeds the bytes to its parser as the binary would and carries an accepted input
//! on through everything it reaches, asserting what must hold for any input: an error's message
//! is printable (no control character but line breaks) and plain (no number spelt out to
//! hundreds of digits, no Rust type name); an accepted scenario simulates to finite figures,
//! and no rendering of it shows `NaN` or `inf`; an accepted profile has finite, non-negative
//! weights whose months and seasons add up. A broken invariant is returned as a
//! [`Violation`]; a panic inside is a defect as well, which the fuzzer reports by itself.
//!
//! Keeping the checks here, rather than in the fuzz targets, lets a test on stable Rust run the
//! same checks over the seeds and their mutations in every `cargo test`. Nothing here prints or
//! writes a file; a scenario may read the hourly profile file it names, as the binary would.

use crate::catalog::{Catalog, FILE_NAMES};
use crate::error::InputError;
use crate::model::Output;
use crate::montecarlo::engine::MonteCarlo;
use crate::montecarlo::sensitivity::Sensitivity;
use crate::montecarlo::sweep::Sweep;
use crate::profile::{Ldc, Profile};
use crate::report::{Format, folder::Analyses};
use crate::run::{Loaded, Run};
use crate::scenario::Source;
use crate::timeline::{HOURS_PER_MONTH, HOURS_PER_YEAR};
use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

/// How a check ended when every invariant held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The input was accepted and everything it reaches held.
    Accepted,
    /// The input was refused with a printable message (exit code 2 in the binary).
    Refused,
}

/// An invariant that did not hold: what was checked and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Violation {}

/// Name the fuzzed scenario is shown under in messages.
pub const SCENARIO_NAME: &str = "fuzz.toml";
/// Name the fuzzed profile is shown under in messages.
pub const PROFILE_NAME: &str = "fuzz.csv";
/// Line that starts a catalog file in the catalog target's input: `=== servers.toml`.
pub const CATALOG_SEPARATOR: &str = "=== ";

/// Largest horizon [months] whose scenarios also run Monte Carlo, sensitivity and a sweep (a
/// fuzzer must spend its time on many inputs, not on long runs of one).
const ANALYSIS_MAX_MONTHS: usize = 120;
/// Largest option-months whose scenarios also run those analyses.
const ANALYSIS_MAX_OPTION_MONTHS: usize = 1_200;
/// Monte Carlo samples of a fuzzed scenario: enough for every statistic to have a spread.
const SAMPLES: u64 = 8;
/// Most uncertain inputs a fuzzed sensitivity analysis runs (two simulations each).
const SENSITIVITY_MAX_INPUTS: usize = 16;
/// Most grid points (times samples per point, if any) a fuzzed sweep runs.
const SWEEP_MAX_RUNS: u64 = 16;

/// Tolerance of sums of normalised weights [relative]: 8,760 additions of values in [0, 1].
const SUM_TOLERANCE: f64 = 1e-9;

/// A scenario file's bytes: decoded, resolved against the built-in catalogs, simulated,
/// rendered in every format, and for small horizons run through Monte Carlo, sensitivity and
/// its sweep.
pub fn scenario(data: &[u8]) -> Result<Outcome, Violation> {
    let text = match crate::limits::decode(SCENARIO_NAME, data.to_vec()) {
        Ok(text) => text,
        Err(e) => return refused(&e, &String::from_utf8_lossy(data)),
    };
    let source = Source {
        display: SCENARIO_NAME.to_string(),
        text,
        base_dir: None,
    };
    check_source(source, builtin_catalog()?.clone(), &[])
}

/// Catalog files: the bytes split into files by lines `=== NAME` ([`CATALOG_SEPARATOR`]); text
/// before the first such line is the file that its first byte picks (modulo 7, in the order
/// of [`FILE_NAMES`]). The files are layered over the built-in catalogs; an accepted catalog
/// then runs the built-in example scenario through the checks of [`scenario`].
pub fn catalog(data: &[u8]) -> Result<Outcome, Violation> {
    let text = match crate::limits::decode("<memory>/catalog", data.to_vec()) {
        Ok(text) => text,
        Err(e) => return refused(&e, &String::from_utf8_lossy(data)),
    };
    let files = split_catalog(&text);
    let catalog = match Catalog::with_texts(&files) {
        Ok(catalog) => catalog,
        Err(e) => return refused(&e, &text),
    };
    let texts: Vec<&str> = files.iter().map(|(_, t)| *t).collect();
    check_source(Source::builtin(), catalog, &texts)
}

/// An hourly profile file: parsed, and when accepted its weights, month shapes, seasons and
/// load-duration curves checked.
pub fn profile(data: &[u8]) -> Result<Outcome, Violation> {
    let text = match crate::limits::decode(PROFILE_NAME, data.to_vec()) {
        Ok(text) => text,
        Err(e) => return refused(&e, &String::from_utf8_lossy(data)),
    };
    let profile = match Profile::from_csv(PROFILE_NAME, &text) {
        Ok(p) => p,
        Err(e) => return refused(&e, &text),
    };
    check_profile(&profile)?;
    Ok(Outcome::Accepted)
}

/// Name the fuzzed trace is shown under in messages.
pub const TRACE_NAME: &str = "fuzz-trace.csv";

/// Most jobs of a fuzzed trace that are replayed (the reader still reads every line).
const TRACE_MAX_JOBS: usize = 2_000;

/// Line that splits a fuzzed PAI trace: the task table before it, the job table after.
pub const PAI_JOB_TABLE_LINE: &str = "=== pai_job_table.csv";

/// A job trace's bytes, read as each format (tcosim CSV, Helios, Philly CSV and JSON, PAI, SWF
/// with processors as GPUs), failing on a bad row and skipping bad rows; every accepted trace is replayed on two
/// clusters under every queue policy, three burst rules and the recorded starts; each summary
/// is checked (finite figures, GPU-hours that add up to the demand, jobs that add up, no more
/// GPUs busy than owned unless started as recorded, waits and utilisation in range), and one
/// per cluster is rendered in every format.
pub fn trace(data: &[u8]) -> Result<Outcome, Violation> {
    use crate::replay::stats::{Context, Pricing, summarise};
    use crate::replay::trace::{ReadOptions, read, read_pai};
    use crate::replay::{Burst, Cluster, Config, Policy, TraceFormat};
    let shown = String::from_utf8_lossy(data);
    let mut outcome = Outcome::Refused;
    // A PAI trace is two tables: split at the marker line when there is one.
    let marker = format!("\n{PAI_JOB_TABLE_LINE}\n");
    let split = data
        .windows(marker.len())
        .position(|w| w == marker.as_bytes())
        .map(|at| (&data[..at + 1], &data[at + marker.len()..]));
    for format in [
        TraceFormat::Csv,
        TraceFormat::Helios,
        TraceFormat::Philly,
        TraceFormat::PhillyJson,
        TraceFormat::Pai,
        TraceFormat::Swf,
    ] {
        for skip_bad in [false, true] {
            let options = ReadOptions {
                format,
                skip_bad,
                processors_as_gpus: true,
            };
            let read = match (format, split) {
                (TraceFormat::Pai, Some((tasks, jobs))) => {
                    read_pai(TRACE_NAME, tasks, Some((TRACE_NAME, jobs)), options)
                }
                _ => read(TRACE_NAME, data, options),
            };
            let mut trace = match read {
                Ok(t) => t,
                Err(e) => {
                    check_message(&e, &shown)?;
                    continue;
                }
            };
            outcome = Outcome::Accepted;
            check_trace(&trace).map_err(|v| Violation(format!("{format:?}: {v}")))?;
            trace.jobs.truncate(TRACE_MAX_JOBS);
            let recorded = trace.jobs.iter().any(|j| j.start_s.is_some());
            for cluster in [
                Cluster {
                    nodes: 1,
                    gpus_per_node: 8,
                },
                Cluster {
                    nodes: 3,
                    gpus_per_node: 4,
                },
            ] {
                for policy in [
                    Policy::Fifo,
                    Policy::FifoSkip,
                    Policy::EasyBackfill,
                    Policy::Sjf,
                ] {
                    for (burst, as_recorded) in [
                        (Burst::Never, false),
                        (Burst::After(3_600), false),
                        (Burst::MaxQueue(2), false),
                        (Burst::Never, recorded),
                    ] {
                        let config = Config {
                            cluster,
                            policy,
                            burst,
                            as_recorded,
                        };
                        let result = crate::replay::sim::simulate(&trace.jobs, &config);
                        let summary = summarise(
                            &trace.jobs,
                            &result,
                            Context {
                                trace: TRACE_NAME,
                                config: &config,
                                pricing: Some(Pricing {
                                    offer: "fuzz".to_string(),
                                    usd_per_gpu_hour: 2.5,
                                }),
                                cpu_only_jobs: trace.cpu_only_jobs,
                                bad_rows: trace.skipped_rows,
                            },
                        );
                        // Every summary's figures; the renderings of one per cluster.
                        let render = policy == Policy::Fifo && burst == Burst::After(3_600);
                        check_replay(&summary, render)
                            .map_err(|v| Violation(format!("{format:?}, {config:?}: {v}")))?;
                    }
                }
            }
        }
    }
    Ok(outcome)
}

/// What a trace read must hold: jobs of 1 to `MAX_JOB_GPUS` GPUs, durations from 0 to 2 × 10^12
/// s (an end less a start, each within 10^12), recorded starts no earlier than submits; rounding that added finite, non-negative GPU-hours;
/// notes without `NaN` or `inf`.
fn check_trace(t: &crate::replay::trace::Trace) -> Result<(), Violation> {
    use crate::replay::trace::MAX_JOB_GPUS;
    for job in &t.jobs {
        let ok = (1..=MAX_JOB_GPUS).contains(&job.gpus)
            && (0..=2 * crate::replay::time::MAX_SECONDS).contains(&job.duration_s)
            && job.start_s.is_none_or(|s| s >= job.submit_s);
        if !ok {
            return Err(Violation(format!("a job out of range: {job:?}")));
        }
    }
    if !t.rounding_gpu_hours.is_finite() || t.rounding_gpu_hours < 0.0 {
        return Err(Violation(format!(
            "rounding added {} GPU-hours",
            t.rounding_gpu_hours
        )));
    }
    for note in t.notes() {
        if note
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w.eq_ignore_ascii_case("nan") || w.eq_ignore_ascii_case("inf"))
        {
            return Err(Violation(format!("a note shows NaN or inf: {note}")));
        }
    }
    Ok(())
}

/// What any replay summary must hold, and its renderings.
fn check_replay(s: &crate::replay::stats::Summary, render: bool) -> Result<(), Violation> {
    let hours = [
        s.demand_gpu_hours,
        s.owned_gpu_hours,
        s.cloud_gpu_hours,
        s.unmet_gpu_hours,
    ];
    if hours.iter().any(|h| !h.is_finite() || *h < 0.0) {
        return Err(Violation(format!(
            "GPU-hours not finite and >= 0: {hours:?}"
        )));
    }
    let sum = s.owned_gpu_hours + s.cloud_gpu_hours + s.unmet_gpu_hours;
    if (sum - s.demand_gpu_hours).abs() > SUM_TOLERANCE * s.demand_gpu_hours.max(1.0) {
        return Err(Violation(format!(
            "owned + cloud + unmet GPU-hours {sum} differ from the demand {}",
            s.demand_gpu_hours
        )));
    }
    if s.owned_jobs + s.burst_jobs + s.unmet_jobs != s.jobs {
        return Err(Violation(format!(
            "owned {} + burst {} + unmet {} jobs differ from {} jobs",
            s.owned_jobs, s.burst_jobs, s.unmet_jobs, s.jobs
        )));
    }
    // Jobs started as recorded may hold more GPUs than the cluster has (README "Trace replay").
    let most = if s.as_recorded { f64::MAX } else { 1.0 };
    if !s.as_recorded && s.peak_busy_gpus > s.owned_gpus {
        return Err(Violation(format!(
            "{} GPUs busy at once out of {} owned",
            s.peak_busy_gpus, s.owned_gpus
        )));
    }
    if !(0.0..=most).contains(&s.utilisation) || !s.mean_queue_jobs.is_finite() {
        return Err(Violation(format!(
            "utilisation {} or mean queue {} out of range",
            s.utilisation, s.mean_queue_jobs
        )));
    }
    for spread in s.wait.iter().chain(&s.completion) {
        let empty = spread.jobs == 0;
        let figures = [spread.median_s, spread.p90_s, spread.p99_s];
        if spread.mean_s.is_some() == empty
            || figures.iter().any(|f| f.is_some() == empty)
            || spread.mean_s.is_some_and(|m| !m.is_finite() || m < 0.0)
            || spread.median_s.is_some_and(|m| m < 0)
        {
            return Err(Violation(format!(
                "a spread out of range, or whose figures do not match its number of jobs: {spread:?}"
            )));
        }
    }
    if s.cloud_cost_usd.is_some_and(|c| !c.is_finite() || c < 0.0) {
        return Err(Violation(format!("cloud cost {:?}", s.cloud_cost_usd)));
    }
    if !render {
        return Ok(());
    }
    for format in [Format::Table, Format::Csv, Format::Json, Format::Markdown] {
        let text = crate::replay::render::render(s, format);
        for word in letter_runs(&text) {
            if NON_FINITE_WORDS.contains(&word.to_lowercase().as_str()) {
                return Err(Violation(format!(
                    "the {format:?} output shows `{word}`:\n{text}"
                )));
            }
        }
        if format == Format::Json {
            serde_json::from_str::<serde_json::Value>(&text)
                .map_err(|e| Violation(format!("the JSON output does not parse: {e}\n{text}")))?;
        }
    }
    Ok(())
}

/// Values that break parsers and arithmetic: the extremes of `f64` and of integers, signed zero,
/// non-numbers, and the edges of the documented ranges.
pub const INTERESTING_NUMBERS: [&str; 24] = [
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "5e-324",
    "2.2250738585072014e-308",
    "-0",
    "-0.0",
    "0",
    "nan",
    "inf",
    "-inf",
    "1e-300",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551616",
    "-1",
    "0.999999999999",
    "1.000000000001",
    "600",
    "601",
    "1e12",
    "1e15",
    "\"\"",
];

/// Replaces one number of `data` (a run of digits with its sign, point and exponent), chosen by
/// `pick`, with an interesting value or a random one of any magnitude: a mutation that keeps
/// the text's structure, so that it reaches the model instead of the parser's errors.
pub fn replace_number(data: &mut Vec<u8>, pick: u64) {
    let mut rng = SplitMix(pick);
    let starts: Vec<usize> = (0..data.len())
        .filter(|&i| data[i].is_ascii_digit() && (i == 0 || !data[i - 1].is_ascii_digit()))
        .collect();
    if starts.is_empty() {
        return;
    }
    let mut start = starts[rng.below(starts.len())];
    if start > 0 && data[start - 1] == b'-' {
        start -= 1;
    }
    let end = (start + 1..data.len())
        .find(|&i| !(data[i].is_ascii_digit() || matches!(data[i], b'.' | b'e' | b'E' | b'+')))
        .unwrap_or(data.len());
    let value = match rng.below(3) {
        0 => INTERESTING_NUMBERS[rng.below(INTERESTING_NUMBERS.len())].to_string(),
        1 => rng.below(2_000).to_string(),
        _ => {
            let sign = if rng.below(4) == 0 { "-" } else { "" };
            let mantissa = 1.0 + rng.below(1_000_000) as f64 / 1e6;
            let exponent = rng.below(640) as i64 - 330;
            format!("{sign}{mantissa}e{exponent}")
        }
    };
    data.splice(start..end, value.into_bytes());
}

/// The mutator of the fuzz targets: half the time [`replace_number`] on the input, else
/// libFuzzer's own mutation (`fallback`), whose byte-level changes mostly find the parsers'
/// errors. `data` holds the input in its first `size` bytes and room for `max_size`.
pub fn mutate(
    data: &mut [u8],
    size: usize,
    max_size: usize,
    seed: u32,
    fallback: fn(&mut [u8], usize, usize) -> usize,
) -> usize {
    if seed.is_multiple_of(2) {
        return fallback(data, size, max_size);
    }
    let mut text = data[..size.min(data.len())].to_vec();
    replace_number(&mut text, u64::from(seed));
    if text.len() > max_size.min(data.len()) {
        return fallback(data, size, max_size);
    }
    data[..text.len()].copy_from_slice(&text);
    text.len()
}

/// splitmix64 (Steele, Lea and Flood 2014): small, fast and seedable.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0; the bias of a modulus is of no concern here).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The files of the catalog target's input (see [`catalog`]).
pub fn split_catalog(text: &str) -> Vec<(&str, &str)> {
    let mut files = Vec::new();
    let mut name: Option<&str> = None;
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(CATALOG_SEPARATOR) {
            push_file(&mut files, name, &text[start..offset]);
            name = Some(rest.trim_end_matches(['\n', '\r']));
            start = offset + line.len();
        }
        offset += line.len();
    }
    push_file(&mut files, name, &text[start..]);
    files
}

fn push_file<'a>(files: &mut Vec<(&'a str, &'a str)>, name: Option<&'a str>, text: &'a str) {
    match name {
        Some(name) => files.push((name, text)),
        None if !text.is_empty() => {
            let pick = usize::from(text.as_bytes()[0]) % FILE_NAMES.len();
            files.push((FILE_NAMES[pick], text));
        }
        None => {}
    }
}

/// The built-in catalogs, loaded once.
fn builtin_catalog() -> Result<&'static Catalog, Violation> {
    static CATALOG: OnceLock<Result<Catalog, String>> = OnceLock::new();
    CATALOG
        .get_or_init(|| Catalog::builtin().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Violation(format!("the built-in catalogs do not load: {e}")))
}

/// One worker thread for the parallel engines: a fuzzer runs one input at a time, and results
/// do not depend on the number of threads.
fn pool() -> Result<&'static rayon::ThreadPool, Violation> {
    static POOL: OnceLock<Result<rayon::ThreadPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| Violation(format!("no thread pool: {e}")))
}

/// A refused input: fine, if its message is printable and plain (see [`check_message`]).
fn refused(e: &InputError, input: &str) -> Result<Outcome, Violation> {
    check_message(e, input)?;
    Ok(Outcome::Refused)
}

/// Most digits in a row a message may show, unless the input has as many: a number from the
/// input is shown as written, or in exponent form when it runs long (17 significant digits
/// and an exponent), never with every digit of its decimal expansion.
const MAX_DIGITS: usize = 24;

/// Rust's names of number types, which mean nothing to a planner.
const RUST_TYPES: [&str; 14] = [
    "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "f32",
    "f64",
];

/// Every character of a message is printable or a line break (a control character or a
/// bidirectional override from the input must reach the terminal escaped); and unless the
/// input itself holds them, the message shows no run of more than [`MAX_DIGITS`] digits and no
/// Rust type name. (`inf` may appear: the TOML parser suggests it for a value like `i`.)
fn check_message(e: &InputError, input: &str) -> Result<(), Violation> {
    let text = e.to_string();
    if let Some(c) = text.chars().find(|c| *c != '\n' && unprintable(*c)) {
        return Err(Violation(format!(
            "an error message holds the control character U+{:04X}: {text:?}",
            u32::from(c)
        )));
    }
    if e.problem.trim().is_empty() {
        return Err(Violation(format!("an error without a problem: {text:?}")));
    }
    let digits = longest_digits(&text);
    if digits > MAX_DIGITS && digits > longest_digits(input) {
        return Err(Violation(format!(
            "an error message shows a number of {digits} digits: {text:?}"
        )));
    }
    let alphanumeric = |t: &str| -> BTreeSet<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .collect()
    };
    let input_tokens = alphanumeric(input);
    for token in alphanumeric(&text) {
        if RUST_TYPES.contains(&token.as_str()) && !input_tokens.contains(&token) {
            return Err(Violation(format!(
                "an error message shows `{token}`: {text:?}"
            )));
        }
    }
    Ok(())
}

fn longest_digits(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

fn unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Resolves `source` against `catalog` and checks everything an accepted scenario reaches;
/// `texts` are the catalog texts layered in (their words may appear in outputs).
fn check_source(source: Source, catalog: Catalog, texts: &[&str]) -> Result<Outcome, Violation> {
    let mut words = words_of(&source.text);
    for text in texts {
        words.extend(words_of(text));
    }
    let input = texts
        .iter()
        .fold(source.text.clone(), |all, t| all + "\n" + t);
    // `validate`'s check: every message as clear as a run's, and no problem a run finds
    // passes it.
    let checked = Loaded::check(source.clone(), catalog.clone());
    for e in &checked.errors {
        check_message(e, &input)?;
    }
    let loaded = match Loaded::resolve(source, catalog) {
        Ok(loaded) => loaded,
        Err(e) => {
            if checked.errors.is_empty() {
                return Err(Violation(format!(
                    "validate accepts a scenario that a run refuses with: {e}"
                )));
            }
            return refused(&e, &input);
        }
    };
    if checked.loaded.is_none() && checked.errors.is_empty() {
        return Err(Violation(
            "validate neither accepts nor refuses a scenario".into(),
        ));
    }
    let plan = match loaded.resolved.file.sweep {
        Some(_) => match loaded.sweep_plan() {
            Ok(plan) => Some(plan),
            Err(e) => {
                return Err(Violation(format!(
                    "a sweep plan that resolved once fails the second time: {e}"
                )));
            }
        },
        None => None,
    };
    let uncertainty = loaded.uncertainty.clone();
    let mut run = match loaded.simulate() {
        Ok(run) => run,
        Err(e) => return refused(&e, &input),
    };
    check_output(&run.output)?;
    for format in [Format::Table, Format::Csv, Format::Json, Format::Markdown] {
        for monthly in [false, true] {
            let text = crate::report::render(&run, format, monthly, format == Format::Table);
            check_rendered(&text, &words, format)?;
        }
    }
    let horizon = run.input.horizon_months;
    let small = horizon <= ANALYSIS_MAX_MONTHS
        && horizon * run.input.options.len() <= ANALYSIS_MAX_OPTION_MONTHS;
    if !small {
        return Ok(Outcome::Accepted);
    }
    let mut analyses = Analyses::default();
    let input = run.input.clone();
    let focus = crate::report::default_focus(&run);
    let pool = pool()?;
    if !uncertainty.is_empty() {
        let mc = pool
            .install(|| crate::montecarlo::engine::run(&input, &uncertainty, SAMPLES, 1, &|_| {}));
        check_montecarlo(&mc)?;
        run.montecarlo = Some(mc);
        for format in [Format::Table, Format::Csv, Format::Json, Format::Markdown] {
            let text = crate::report::render(&run, format, false, false);
            check_rendered(&text, &words, format)?;
        }
        if uncertainty.inputs.len() <= SENSITIVITY_MAX_INPUTS {
            let s =
                pool.install(|| crate::montecarlo::sensitivity::run(&input, &uncertainty, focus));
            check_sensitivity(&s)?;
            for format in [Format::Table, Format::Csv, Format::Json, Format::Markdown] {
                let text = crate::report::uncertainty::sensitivity(&run, &s, format, false);
                check_rendered(&text, &words, format)?;
            }
            analyses.sensitivity = Some(s);
        }
    }
    if let Some(plan) = plan {
        let points: u64 = plan.axes.iter().map(|a| a.values.len() as u64).product();
        if points.saturating_mul(plan.samples.max(1)) <= SWEEP_MAX_RUNS {
            let s = pool.install(|| crate::montecarlo::sweep::run(&input, &plan, &uncertainty, 1));
            check_sweep(&s)?;
            for format in [Format::Table, Format::Csv, Format::Json, Format::Markdown] {
                let text = crate::report::uncertainty::sweep(&run, &s, 1, &[], format, false);
                check_rendered(&text, &words, format)?;
            }
            analyses.sweep = Some(s);
        }
    }
    check_report_text(&run, &analyses, &words)?;
    Ok(Outcome::Accepted)
}

/// The report's text files without its charts (which take far longer to draw than a fuzzer
/// may spend on one input).
fn check_report_text(
    run: &Run,
    analyses: &Analyses,
    words: &BTreeSet<String>,
) -> Result<(), Violation> {
    let content = crate::report::content::build(run, &[], analyses);
    check_rendered(
        &crate::report::report_md::render(&content),
        words,
        Format::Markdown,
    )?;
    check_rendered(
        &crate::report::html::render(&content, &[]),
        words,
        Format::Markdown,
    )?;
    // The Mermaid charts of `report.md` (`--markdown-charts mermaid`) need only the figures.
    for name in [
        "cumulative-cost",
        "cost-breakdown",
        "energy-carbon",
        "tornado",
        "sweep",
    ] {
        if let Some(chart) = crate::report::mermaid::report_chart(run, analyses, name) {
            check_rendered(&chart.blocks, words, Format::Markdown)?;
            check_mermaid(&chart.blocks)?;
        }
    }
    Ok(())
}

/// Every Mermaid chart of `blocks` has as many values in each series as x-axis categories, each
/// a finite number, and no text breaks out of its quotes.
fn check_mermaid(blocks: &str) -> Result<(), Violation> {
    let fail = |what: &str| Err(Violation(format!("a Mermaid chart {what}:\n{blocks}")));
    let mut categories = None;
    for line in blocks.lines() {
        if let Some(axis) = line.strip_prefix("    x-axis ") {
            if axis.matches('"').count() % 2 != 0 {
                return fail("has an unbalanced quote on its x axis");
            }
            // The list after the quoted title: commas outside quotes separate categories.
            let Some(list) = axis.split_once("\" [").map(|(_, l)| l) else {
                return fail("has no x-axis list");
            };
            let mut quoted = false;
            let mut count = usize::from(!list.starts_with(']'));
            for c in list.chars() {
                match c {
                    '"' => quoted = !quoted,
                    ',' if !quoted => count += 1,
                    _ => {}
                }
            }
            categories = Some(count);
        } else if let Some(list) = line
            .strip_prefix("    line [")
            .or_else(|| line.strip_prefix("    bar ["))
        {
            let values: Vec<&str> = list.trim_end_matches(']').split(", ").collect();
            if Some(values.len()) != categories {
                return fail("has a series of another length than its x axis");
            }
            if !values
                .iter()
                .all(|v| v.parse::<f64>().is_ok_and(f64::is_finite))
            {
                return fail("has a value that is not a finite number");
            }
        } else if line.starts_with("    title ") && line.matches('"').count() != 2 {
            return fail("has a quote inside its title");
        }
    }
    Ok(())
}

fn check_output(output: &Output) -> Result<(), Violation> {
    if let Some((option, figure)) = output.first_non_finite() {
        return Err(Violation(format!(
            "a simulated scenario has the non-finite figure {figure} of option `{option}`"
        )));
    }
    Ok(())
}

fn check_montecarlo(mc: &MonteCarlo) -> Result<(), Violation> {
    for o in &mc.options {
        for (metric, s) in crate::montecarlo::engine::METRICS.iter().zip(&o.metrics) {
            let Some(s) = s else { continue };
            let finite = s.mean.is_finite()
                && s.sd.is_none_or(f64::is_finite)
                && s.quantiles.iter().all(|q| q.is_finite());
            if !finite {
                return Err(Violation(format!(
                    "Monte Carlo {metric} of option `{}` is not finite: {s:?}",
                    o.name
                )));
            }
            if s.quantiles.windows(2).any(|w| w[0] > w[1]) {
                return Err(Violation(format!(
                    "Monte Carlo {metric} quantiles of option `{}` are out of order: {:?}",
                    o.name, s.quantiles
                )));
            }
        }
        for p in [o.p_serves_demand, o.p_cheapest, o.p_beats_baseline] {
            if !(0.0..=1.0).contains(&p) {
                return Err(Violation(format!(
                    "a Monte Carlo probability of option `{}` is {p}",
                    o.name
                )));
            }
        }
        let fan_finite = o.fan.iter().all(|(_, q)| q.iter().all(|v| v.is_finite()));
        let histogram_finite = o
            .pv_histogram
            .iter()
            .all(|(lo, hi, _)| lo.is_finite() && hi.is_finite());
        if !(fan_finite && histogram_finite) {
            return Err(Violation(format!(
                "the fan or histogram of option `{}` is not finite",
                o.name
            )));
        }
    }
    Ok(())
}

fn check_sensitivity(s: &Sensitivity) -> Result<(), Violation> {
    let finite = s.base_pv.iter().all(|v| v.is_finite())
        && s.swings.iter().all(|w| {
            w.low_input.is_finite()
                && w.high_input.is_finite()
                && w.low_pv.iter().chain(&w.high_pv).all(|v| v.is_finite())
        });
    if finite {
        Ok(())
    } else {
        Err(Violation(format!(
            "a sensitivity figure is not finite: {s:?}"
        )))
    }
}

fn check_sweep(s: &Sweep) -> Result<(), Violation> {
    let finite = s.points.iter().all(|p| {
        p.objective.is_finite()
            && p.pv_cost.is_finite()
            && p.unmet_gpu_hours.is_finite()
            && p.values.iter().all(|v| v.is_finite())
    });
    if finite {
        Ok(())
    } else {
        Err(Violation(format!("a sweep figure is not finite: {s:?}")))
    }
}

/// Letters of a non-finite number as Rust prints it.
const NON_FINITE_WORDS: [&str; 3] = ["nan", "inf", "infinity"];

/// Rendered text shows no `NaN` or `inf` (unless the input itself holds the word, in a name);
/// JSON parses and has `null` only where the contract allows it; CSV rows are all as long as
/// the header.
fn check_rendered(text: &str, words: &BTreeSet<String>, format: Format) -> Result<(), Violation> {
    for word in letter_runs(text) {
        let lower = word.to_lowercase();
        if NON_FINITE_WORDS.contains(&lower.as_str()) && !words.contains(&lower) {
            return Err(Violation(format!(
                "the {format:?} output shows `{word}`:\n{text}"
            )));
        }
    }
    match format {
        Format::Json => {
            let value: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| Violation(format!("the JSON output does not parse: {e}\n{text}")))?;
            check_nulls(&value, "")
        }
        Format::Csv => check_csv(text),
        Format::Table | Format::Markdown => Ok(()),
    }
}

/// Keys whose value may be `null`: figures that do not exist for some option (README "JSON
/// output", schema 2): no savings, ROI, payback or IRR where options are not comparable, no wait
/// without waiting work, no winner where no option serves demand, no price for unserved work
/// unless the scenario sets one; a policy's number where its figure is not one, and its absent
/// message; and a Monte Carlo metric without samples (`cost_per_gpu_hour`).
const NULLABLE: [&str; 21] = [
    "sharing",
    "showback",
    "number",
    "message",
    "unserved_cost_per_gpu_hour",
    "winner",
    "winner_pv_cost",
    "runner_up",
    "margin",
    "reason",
    "not_comparable",
    "savings_vs_baseline",
    "mean_wait_hours",
    "p95_wait_hours",
    "cost_per_gpu_hour",
    "owned_utilization",
    "break_even_utilization",
    "payback_month",
    "roi",
    "irr",
    "irr_roots",
];

fn check_nulls(value: &serde_json::Value, key: &str) -> Result<(), Violation> {
    match value {
        serde_json::Value::Null if !NULLABLE.contains(&key) => Err(Violation(format!(
            "the JSON output has `null` at `{key}`, a figure that always exists"
        ))),
        serde_json::Value::Array(items) => items.iter().try_for_each(|v| check_nulls(v, key)),
        serde_json::Value::Object(map) => map.iter().try_for_each(|(k, v)| check_nulls(v, k)),
        _ => Ok(()),
    }
}

fn check_csv(text: &str) -> Result<(), Violation> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut width = None;
    for record in reader.records() {
        let record =
            record.map_err(|e| Violation(format!("the CSV output does not parse: {e}")))?;
        match width {
            None => width = Some(record.len()),
            Some(w) if w != record.len() => {
                return Err(Violation(format!(
                    "a CSV row has {} fields, the header {w}:\n{text}",
                    record.len()
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The lowercase words (runs of letters) of an input text, raw and, where it is TOML, of every
/// key and string after unescaping: a name may legitimately be `inf`.
fn words_of(text: &str) -> BTreeSet<String> {
    let mut words: BTreeSet<String> = letter_runs(text).map(str::to_lowercase).collect();
    if let Ok(value) = text.parse::<toml::Table>() {
        collect_words(&toml::Value::Table(value), &mut words);
    }
    words
}

fn collect_words(value: &toml::Value, words: &mut BTreeSet<String>) {
    match value {
        toml::Value::String(s) => words.extend(letter_runs(s).map(str::to_lowercase)),
        toml::Value::Array(items) => items.iter().for_each(|v| collect_words(v, words)),
        toml::Value::Table(table) => {
            for (k, v) in table {
                words.extend(letter_runs(k).map(str::to_lowercase));
                collect_words(v, words);
            }
        }
        _ => {}
    }
}

fn letter_runs(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
}

/// Weights finite and non-negative, each month's shape sums to 1 (or is all 0), seasons finite
/// and non-negative summing to 12, and every month's load-duration curve answers as a walk
/// over its hours, bounded by its total and rising with capacity.
fn check_profile(p: &Profile) -> Result<(), Violation> {
    if p.hourly.len() != HOURS_PER_YEAR {
        return Err(Violation(format!(
            "an accepted profile has {} hourly weights",
            p.hourly.len()
        )));
    }
    if let Some((h, w)) = p
        .hourly
        .iter()
        .enumerate()
        .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
    {
        return Err(Violation(format!("weight {w} at hour {h}")));
    }
    let mut seasons = 0.0;
    for m in 0..12 {
        let season = p.season(m);
        if !(season.is_finite() && season >= 0.0) {
            return Err(Violation(format!("season {season} in month {m}")));
        }
        seasons += season;
        let shape: Vec<f64> = p.month_shape(m).collect();
        if shape.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(Violation(format!(
                "month {m}'s shape has a weight that is not finite or below 0"
            )));
        }
        let sum: f64 = shape.iter().sum();
        if sum != 0.0 && (sum - 1.0).abs() > SUM_TOLERANCE {
            return Err(Violation(format!("month {m}'s shape sums to {sum}")));
        }
        check_curve(&shape, m)?;
    }
    if (seasons - 12.0).abs() > 12.0 * SUM_TOLERANCE {
        return Err(Violation(format!("the seasons sum to {seasons}")));
    }
    Ok(())
}

/// The load-duration curve of a month's loads (its shape times a demand of 1,000 GPU-hours)
/// against the hourly curve of the same loads.
fn check_curve(shape: &[f64], month: usize) -> Result<(), Violation> {
    let loads: Vec<f64> = shape.iter().map(|w| w * 1_000.0).collect();
    let ldc = Ldc::new(&loads);
    let mut hourly = Ldc::default();
    hourly.set_hourly(loads.iter().copied());
    let total = ldc.total();
    let tolerance = SUM_TOLERANCE * total.max(1.0);
    if loads.len() != HOURS_PER_MONTH || (total - hourly.total()).abs() > tolerance {
        return Err(Violation(format!(
            "month {month}: curve total {total}, hourly total {}",
            hourly.total()
        )));
    }
    let peak = ldc.peak();
    let mut capacities: Vec<f64> = (0..=64).map(|k| peak * f64::from(k) / 60.0).collect();
    capacities.extend(loads.iter().step_by(37).copied());
    capacities.sort_by(f64::total_cmp);
    let mut last = 0.0;
    for c in capacities {
        let (served, walked) = (ldc.served(c), hourly.served(c));
        if !served.is_finite() || served < 0.0 || served > total + tolerance {
            return Err(Violation(format!(
                "month {month}: served({c}) = {served} with a total of {total}"
            )));
        }
        if (served - walked).abs() > tolerance || served + tolerance < last {
            return Err(Violation(format!(
                "month {month}: served({c}) = {served}, walked {walked}, below a lower capacity's {last}"
            )));
        }
        last = served;
    }
    Ok(())
}

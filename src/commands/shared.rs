//! What the commands share: messages on stderr, writing outputs, checking `--samples`,
//! `--threads`, `--output` and `--chart` (against the files a command reads), the worker pool
//! and the progress bar.

use crate::Failure;
use crate::output::{self, Input, Out};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use tcosim::catalog::FILE_NAMES;
use tcosim::error::InputError;
use tcosim::replay::trace::pai_job_table;
use tcosim::run::Loaded;

pub fn color_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

pub fn error_label() -> &'static str {
    if color_stderr() {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    }
}

pub fn report_error(err: &InputError) {
    let text = err.to_string();
    let text = if color_stderr() {
        text.replace("\nhint:", "\n\x1b[1;36mhint\x1b[0m:")
    } else {
        text
    };
    eprintln!("{}: {text}", error_label());
}

pub fn warn(quiet: bool, message: &str) {
    if !quiet {
        let label = if color_stderr() {
            "\x1b[1;33mwarning\x1b[0m"
        } else {
            "warning"
        };
        eprintln!("{label}: {message}");
    }
}

/// After every output is written: each broken policy on stderr, and exit code 1 if any.
pub fn broken_policies(policies: &[tcosim::policy::Outcome]) -> Result<(), Failure> {
    let broken: Vec<_> = policies.iter().filter(|p| !p.holds).collect();
    for p in &broken {
        let message = p
            .message
            .as_deref()
            .map(|m| format!(" ({m})"))
            .unwrap_or_default();
        eprintln!(
            "{}: policy `{}` broken: {}, found {}{message}",
            error_label(),
            p.name,
            p.requirement,
            p.value
        );
    }
    match broken.len() {
        0 => Ok(()),
        n => Err(Failure::Policies(n)),
    }
}

/// Writes `text` to `output` (or stdout) and the chart to its file; see [`output::emit`].
pub fn emit(
    output: Option<&Path>,
    text: &str,
    chart: Option<(&Path, &[u8])>,
) -> Result<(), Failure> {
    let mut files = Vec::new();
    if let Some(path) = output {
        files.push(Out {
            flag: "--output",
            path,
            bytes: text.as_bytes(),
        });
    }
    if let Some((path, bytes)) = chart {
        files.push(Out {
            flag: "--chart",
            path,
            bytes,
        });
    }
    output::emit(&files, output.is_none().then_some(text))
}

/// Checks the `--output` and `--chart` paths of a command before its work: the chart's format,
/// that each can be written, that they are not the same file, and that neither is one of the
/// files the command reads (`inputs`).
pub fn check_outputs(
    output: Option<&Path>,
    chart: Option<&Path>,
    inputs: &[Input],
) -> Result<(), InputError> {
    if let Some(chart) = chart {
        output::check_chart_format(chart)?;
    }
    let targets: Vec<(&'static str, &Path)> = [("--output", output), ("--chart", chart)]
        .into_iter()
        .filter_map(|(flag, path)| path.map(|p| (flag, p)))
        .collect();
    output::check(&targets, inputs)
}

/// The files `paths`, each a `what`, as inputs for [`check_outputs`].
pub fn inputs(what: &'static str, paths: &[PathBuf]) -> Vec<Input> {
    paths.iter().map(|p| (what, p.clone())).collect()
}

/// The catalog files the `--catalog` folders `dirs` may hold, all of which loading reads.
pub fn catalog_inputs(dirs: &[PathBuf]) -> Vec<Input> {
    dirs.iter()
        .flat_map(|dir| {
            FILE_NAMES
                .iter()
                .map(|name| ("a catalog file", dir.join(name)))
        })
        .collect()
}

/// The files a loaded scenario was read from: the scenario at `path` (none for the built-in
/// example or a git revision), its workloads' hourly profiles and traces, and the job table
/// beside a PAI trace; relative paths from the scenario's folder, as the loader reads them.
pub fn scenario_inputs(path: Option<&Path>, loaded: &Loaded) -> Vec<Input> {
    let beside = |file: &str| loaded.source.path_of(file);
    let mut found: Vec<Input> = path
        .filter(|p| p.as_os_str() != "-")
        .map(|p| ("the scenario", p.to_path_buf()))
        .into_iter()
        .collect();
    for w in &loaded.resolved.file.workloads {
        if w.profile.ends_with(".csv") {
            found.push(("a profile of the scenario", beside(&w.profile)));
        }
        if let Some(trace) = &w.trace {
            let trace = beside(trace);
            if w.trace_format.as_deref() == Some("pai") {
                found.push(("a PAI job table of the scenario", pai_job_table(&trace)));
            }
            found.push(("a trace of the scenario", trace));
        }
    }
    found
}

/// The bytes of a rendered chart, SVG or PNG after the file's extension.
pub fn chart_bytes(
    path: &Path,
    chart: Result<tcosim::report::charts::Chart, tcosim::report::charts::ChartError>,
) -> Result<Vec<u8>, InputError> {
    let chart = chart.map_err(|e| {
        InputError::new(path.display().to_string(), "cannot draw the chart").found(e.to_string())
    })?;
    Ok(
        if path.extension().and_then(|e| e.to_str()) == Some("png") {
            chart.png
        } else {
            chart.svg.into_bytes()
        },
    )
}

/// Most samples one run may ask for.
pub const MAX_SAMPLES: u64 = 100_000_000;

/// Rejects more samples than [`MAX_SAMPLES`]; 0 means no Monte Carlo in every command.
pub fn check_samples(samples: u64) -> Result<(), InputError> {
    if samples > MAX_SAMPLES {
        return Err(InputError::new("--samples", "invalid number of samples")
            .expected(format!("0 (no Monte Carlo) to {MAX_SAMPLES}"))
            .found(samples.to_string()));
    }
    Ok(())
}

/// Rejects `--threads 0` (and absurd counts) whether or not anything runs in parallel.
pub fn check_threads(threads: Option<usize>) -> Result<(), InputError> {
    match threads {
        Some(n) if n == 0 || n > 1024 => {
            Err(InputError::new("--threads", "invalid number of threads")
                .expected("1 to 1024")
                .found(n.to_string()))
        }
        _ => Ok(()),
    }
}

/// Starts the process's global worker pool with `--threads` workers (all cores without it),
/// before anything runs in parallel: the deterministic run's demand curves and
/// [`with_threads`] run on it, so that one set of workers serves a whole command. Once started,
/// the pool is kept (a second call in one process changes nothing).
pub fn size_global_pool(threads: Option<usize>) -> Result<(), InputError> {
    static STARTED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    check_threads(threads)?;
    if STARTED.get().is_some() {
        return Ok(());
    }
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    builder.build_global().map_err(|e| {
        InputError::new("--threads", "cannot start worker threads").found(e.to_string())
    })?;
    let _ = STARTED.set(());
    Ok(())
}

/// Runs `f` on the global pool of `threads` workers (all cores by default; see
/// [`size_global_pool`], which the commands call first), so that one set of workers serves a
/// whole command.
pub fn with_threads<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> Result<T, InputError> {
    size_global_pool(threads)?;
    Ok(f())
}

/// Runs `f` with a progress callback that drives a bar on stderr counting `total` `units`:
/// only on a terminal, never with `--quiet`, and only once the work has taken half a second.
pub fn with_progress<T>(
    quiet: bool,
    total: u64,
    units: &str,
    f: impl FnOnce(&(dyn Fn(u64) + Sync)) -> T,
) -> T {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let show = !quiet && std::io::stderr().is_terminal();
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    let template = format!("{{bar:40}} {{pos}}/{{len}} {units}, {{eta}} left");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    let start = std::time::Instant::now();
    let shown = std::sync::atomic::AtomicBool::new(false);
    let progress = |done: u64| {
        if show
            && !shown.load(std::sync::atomic::Ordering::Relaxed)
            && start.elapsed().as_millis() >= 500
        {
            shown.store(true, std::sync::atomic::Ordering::Relaxed);
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        bar.set_position(done);
    };
    let result = f(&progress);
    bar.finish_and_clear();
    result
}

/// Refuses a report folder that holds a file the command reads (the scenario, a profile, a
/// policy or catalog file): a report replaces its folder, deleting the files its manifest
/// lists, and a manifest could list that file.
pub fn refuse_inputs_inside(
    dest: &tcosim::report::folder::Destination,
    read: &[Input],
) -> Result<(), InputError> {
    let Ok(folder) = std::fs::canonicalize(&dest.path) else {
        // No folder yet: nothing in it to delete.
        return Ok(());
    };
    for (what, path) in read {
        if let Ok(file) = std::fs::canonicalize(path)
            && file.starts_with(&folder)
        {
            return Err(InputError::new(
                dest.flag,
                format!("the report folder holds {what} that this command reads"),
            )
            .expected("a report folder apart from the files the command reads")
            .found(format!(
                "`{}` in `{}`",
                tcosim::limits::printable(&path.display().to_string()),
                tcosim::limits::printable(&dest.path.display().to_string())
            ))
            .hint(format!(
                "choose another folder with `{}`, or move the file out of this one",
                dest.flag
            )));
        }
    }
    Ok(())
}

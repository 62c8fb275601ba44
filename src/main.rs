//! The `tcosim` binary: parses arguments, calls the library, writes outputs, maps errors to
//! exit codes (0 success, 1 broken policy, 2 bad input or usage).

mod cli;

use clap::Parser;
use cli::{Cli, Command, ReportArgs, RunArgs, SensitivityArgs, SweepArgs, ValidateArgs};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use tcosim::catalog::{Catalog, FILE_NAMES};
use tcosim::error::InputError;
use tcosim::run::Loaded;
use tcosim::scenario::Source;

/// Exit code of bad input or usage.
const EXIT_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let quiet = cli.quiet;
    let result = match cli.command {
        None => run(RunArgs::default(), quiet),
        Some(Command::Run(args)) => run(args, quiet),
        Some(Command::Validate(args)) => validate(args, quiet),
        Some(Command::Report(args)) => report(args, quiet),
        Some(Command::Sensitivity(args)) => sensitivity(args, quiet),
        Some(Command::Sweep(args)) => sweep(args, quiet),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            report_error(&err);
            ExitCode::from(EXIT_INPUT)
        }
    }
}

fn color_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn report_error(err: &InputError) {
    let label = if color_stderr() {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    };
    let text = err.to_string();
    let text = if color_stderr() {
        text.replace("\nhint:", "\n\x1b[1;36mhint\x1b[0m:")
    } else {
        text
    };
    eprintln!("{label}: {text}");
}

fn warn(quiet: bool, message: &str) {
    if !quiet {
        let label = if color_stderr() {
            "\x1b[1;33mwarning\x1b[0m"
        } else {
            "warning"
        };
        eprintln!("{label}: {message}");
    }
}

fn run(args: RunArgs, quiet: bool) -> Result<(), InputError> {
    check_threads(args.sampling.threads)?;
    if args.monthly && args.samples.is_some() && args.out.format == tcosim::report::Format::Csv {
        return Err(
            InputError::new("--monthly", "--monthly does not apply to Monte Carlo CSV")
                .expected("--monthly for the deterministic months, or --samples for the Monte Carlo statistics (one row per option and metric)")
                .found("both, with --format csv"),
        );
    }
    let loaded = Loaded::read(args.scenario.as_deref(), &args.out.catalog)?;
    let uncertainty = loaded.uncertainty.clone();
    let mut run = loaded.simulate()?;
    for w in &run.warnings {
        warn(quiet, w);
    }
    if let Some(samples) = args.samples {
        check_samples(samples)?;
        if uncertainty.is_empty() {
            warn(
                quiet,
                "the scenario has no `[[uncertain]]` inputs: every sample equals the deterministic run",
            );
        }
        let input = run.input.clone();
        let mc = with_threads(args.sampling.threads, || {
            with_progress(quiet, samples, |progress| {
                tcosim::montecarlo::engine::run(
                    &input,
                    &uncertainty,
                    samples,
                    args.sampling.seed,
                    progress,
                )
            })
        })?;
        run.montecarlo = Some(mc);
    }
    let color = use_color(&args.out.output);
    let text = tcosim::report::render(&run, args.out.format, args.monthly, color);
    emit(args.out.output.as_deref(), &text)
}

/// Most samples one run may ask for.
const MAX_SAMPLES: u64 = 100_000_000;

fn check_samples(samples: u64) -> Result<(), InputError> {
    if samples == 0 || samples > MAX_SAMPLES {
        return Err(InputError::new("--samples", "invalid number of samples")
            .expected(format!("1 to {MAX_SAMPLES}"))
            .found(samples.to_string()));
    }
    Ok(())
}

fn use_color(output: &Option<std::path::PathBuf>) -> bool {
    output.is_none() && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Writes `text` to `output` atomically, or to stdout.
fn emit(output: Option<&Path>, text: &str) -> Result<(), InputError> {
    emit_with_chart(output, text, None)
}

/// Writes `text` to stdout. A closed pipe (e.g. `| head`) is not an error of ours; any other
/// failure (a full disk) is.
fn print(text: &str) -> Result<(), InputError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(InputError::new("standard output", "cannot write output").found(e.to_string()))
        }
        _ => Ok(()),
    }
}

/// A chart path must end in `.svg` or `.png`; checked before any work is done.
/// Its folder must exist too, so that a run never fails after writing its main output.
fn check_chart_path(path: Option<&Path>) -> Result<(), InputError> {
    let Some(path) = path else { return Ok(()) };
    let shown = path.display().to_string();
    if !matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("svg" | "png")
    ) {
        return Err(InputError::new(&shown, "unknown chart format")
            .expected("a file name ending in `.svg` or `.png`")
            .found(format!("`{shown}`")));
    }
    check_target(path, "--chart")
}

/// An output file given with `flag` must not be a folder and its folder must exist, so that
/// nothing is written when any output of a run cannot be.
fn check_target(path: &Path, flag: &str) -> Result<(), InputError> {
    let shown = path.display().to_string();
    if path.is_dir() {
        return Err(
            InputError::new(&shown, format!("the {flag} path is a folder"))
                .expected(format!("a file path for {flag}")),
        );
    }
    let folder = target_folder(path);
    if !folder.is_dir() {
        return Err(
            InputError::new(&shown, format!("cannot write the {flag} file"))
                .expected("a file in an existing folder")
                .found(format!("no folder `{}`", folder.display())),
        );
    }
    Ok(())
}

fn target_folder(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The bytes of a rendered chart, SVG or PNG after the file's extension.
fn chart_bytes(
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

/// Writes the text output, then the chart (both rendered before anything is written).
/// Writes `text` to `output` (or stdout) and the chart to its file. Files are written
/// atomically and together: both are staged first, so if either cannot be written, neither
/// replaces anything.
fn emit_with_chart(
    output: Option<&Path>,
    text: &str,
    chart: Option<(&Path, Vec<u8>)>,
) -> Result<(), InputError> {
    let mut files: Vec<(&Path, &[u8], &str)> = Vec::new();
    if let Some(path) = output {
        files.push((path, text.as_bytes(), "--output"));
    }
    if let Some((path, bytes)) = &chart {
        files.push((path, bytes, "--chart"));
    }
    let staged = files
        .iter()
        .map(|(path, bytes, flag)| stage(path, bytes, flag))
        .collect::<Result<Vec<_>, _>>()?;
    for (tmp, (path, _, flag)) in staged.into_iter().zip(&files) {
        tmp.persist(path)
            .map_err(|e| write_error(path, flag, &e.error))?;
    }
    if output.is_none() {
        print(text)?;
    }
    Ok(())
}

/// Rejects `--threads 0` (and absurd counts) whether or not anything runs in parallel.
fn check_threads(threads: Option<usize>) -> Result<(), InputError> {
    match threads {
        Some(n) if n == 0 || n > 1024 => {
            Err(InputError::new("--threads", "invalid number of threads")
                .expected("1 to 1024")
                .found(n.to_string()))
        }
        _ => Ok(()),
    }
}

/// Runs `f` on a pool of `threads` workers (all cores by default).
fn with_threads<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> Result<T, InputError> {
    check_threads(threads)?;
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().map_err(|e| {
        InputError::new("--threads", "cannot start worker threads").found(e.to_string())
    })?;
    Ok(pool.install(f))
}

/// Runs `f` with a progress callback that drives a bar on stderr: only on a terminal, never
/// with `--quiet`, and only once the work has taken half a second.
fn with_progress<T>(quiet: bool, total: u64, f: impl FnOnce(&(dyn Fn(u64) + Sync)) -> T) -> T {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let show = !quiet && std::io::stderr().is_terminal();
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} samples, {eta} left") {
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

fn sensitivity(args: SensitivityArgs, quiet: bool) -> Result<(), InputError> {
    let loaded = Loaded::read(args.scenario.as_deref(), &args.out.catalog)?;
    let shown = loaded.source.display.clone();
    let uncertainty = loaded.uncertainty.clone();
    let run = loaded.simulate()?;
    for w in &run.warnings {
        warn(quiet, w);
    }
    if uncertainty.is_empty() {
        return Err(
            InputError::new(shown, "the scenario has no uncertain inputs")
                .expected("at least one `[[uncertain]]` entry")
                .found("none"),
        );
    }
    let focus = match &args.option {
        Some(name) => run
            .output
            .options
            .iter()
            .position(|o| &o.name == name)
            .ok_or_else(|| {
                let names = run.output.options.iter().map(|o| o.name.as_str());
                InputError::new("--option", format!("no option named `{name}`"))
                    .expected("the name of an option of the scenario")
                    .found(format!("`{name}`"))
                    .hint_nearest("the nearest are", name, names)
            })?,
        None => tcosim::report::cheapest_serving(&run),
    };
    check_chart_path(args.chart.as_deref())?;
    let s = tcosim::montecarlo::sensitivity::run(&run.input, &uncertainty, focus);
    let chart = match &args.chart {
        Some(path) => Some((
            path.as_path(),
            chart_bytes(path, tcosim::report::charts::tornado(&run, &s))?,
        )),
        None => None,
    };
    let text = tcosim::report::uncertainty::sensitivity(
        &run,
        &s,
        args.out.format,
        use_color(&args.out.output),
    );
    emit_with_chart(args.out.output.as_deref(), &text, chart)
}

fn sweep(args: SweepArgs, quiet: bool) -> Result<(), InputError> {
    let loaded = Loaded::read(args.scenario.as_deref(), &args.out.catalog)?;
    let plan = loaded.sweep_plan()?;
    check_chart_path(args.chart.as_deref())?;
    let uncertainty = loaded.uncertainty.clone();
    let run = loaded.simulate()?;
    for w in &run.warnings {
        warn(quiet, w);
    }
    let seed = args.sampling.seed;
    let s = with_threads(args.sampling.threads, || {
        tcosim::montecarlo::sweep::run(&run.input, &plan, &uncertainty, seed)
    })?;
    let chart = match &args.chart {
        Some(path) => Some((
            path.as_path(),
            chart_bytes(path, tcosim::report::charts::sweep(&run, &s))?,
        )),
        None => None,
    };
    let text = tcosim::report::uncertainty::sweep(
        &run,
        &s,
        seed,
        args.out.format,
        use_color(&args.out.output),
    );
    emit_with_chart(args.out.output.as_deref(), &text, chart)
}

/// Monte Carlo samples of a report when the scenario has uncertain inputs and `--samples` is
/// not given.
const REPORT_SAMPLES: u64 = 10_000;

/// Renders the report folder of a scenario and writes it atomically; prints its path on stderr.
/// With `[[uncertain]]` inputs it adds Monte Carlo and sensitivity, with a `[sweep]` the sweep;
/// a scenario with neither gives the deterministic report.
fn report(args: ReportArgs, quiet: bool) -> Result<(), InputError> {
    check_threads(args.sampling.threads)?;
    let loaded = Loaded::read(args.scenario.as_deref(), &args.catalog)?;
    let plan = match loaded.resolved.file.sweep {
        Some(_) => Some(loaded.sweep_plan()?),
        None => None,
    };
    let uncertainty = loaded.uncertainty.clone();
    let mut run = loaded.simulate()?;
    for w in &run.warnings {
        warn(quiet, w);
    }
    let samples = match args.samples {
        Some(0) => 0,
        Some(n) => {
            check_samples(n)?;
            if uncertainty.is_empty() {
                warn(
                    quiet,
                    "the scenario has no `[[uncertain]]` inputs: the report has no Monte Carlo charts",
                );
                0
            } else {
                n
            }
        }
        None if uncertainty.is_empty() => 0,
        None => REPORT_SAMPLES,
    };
    let seed = args.sampling.seed;
    let mut analyses = tcosim::report::folder::Analyses::default();
    if samples > 0 || !uncertainty.is_empty() || plan.is_some() {
        let input = run.input.clone();
        let focus = tcosim::report::cheapest_serving(&run);
        let (mc, sensitivity, sweep) = with_threads(args.sampling.threads, || {
            let mc = (samples > 0).then(|| {
                with_progress(quiet, samples, |progress| {
                    tcosim::montecarlo::engine::run(&input, &uncertainty, samples, seed, progress)
                })
            });
            let sensitivity = (!uncertainty.is_empty())
                .then(|| tcosim::montecarlo::sensitivity::run(&input, &uncertainty, focus));
            let sweep = plan
                .as_ref()
                .map(|p| tcosim::montecarlo::sweep::run(&input, p, &uncertainty, seed));
            (mc, sensitivity, sweep)
        })?;
        run.montecarlo = mc;
        analyses.sensitivity = sensitivity;
        analyses.sweep = sweep;
    }
    let out = args
        .out
        .unwrap_or_else(|| tcosim::report::folder::default_dir(&run));
    let files = tcosim::report::folder::render_with(&run, &analyses).map_err(|e| {
        InputError::new(out.display().to_string(), "cannot render the report").found(e.to_string())
    })?;
    tcosim::report::folder::write(&out, &files)?;
    if !quiet {
        eprintln!("wrote {} ({} files)", out.display(), files.len());
    }
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path` and renames it into place, so that `path`
/// is either its old content or the complete new one.
fn write_error(path: &Path, flag: &str, e: &std::io::Error) -> InputError {
    InputError::new(
        path.display().to_string(),
        format!("cannot write the {flag} file"),
    )
    .expected("a writable file in an existing folder")
    .found(e.kind().to_string())
}

/// `bytes` in a temporary file beside `path`, with the mode the file should have, ready to
/// replace it.
fn stage(path: &Path, bytes: &[u8], flag: &str) -> Result<tempfile::NamedTempFile, InputError> {
    check_target(path, flag)?;
    let fail = |e: std::io::Error| write_error(path, flag, &e);
    let mut tmp = tempfile::NamedTempFile::new_in(target_folder(path)).map_err(fail)?;
    // Temporary files are private (0600): keep the mode of the file being replaced, or give a
    // new one the usual 0644.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(fail)?;
    }
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    Ok(tmp)
}

fn validate(args: ValidateArgs, quiet: bool) -> Result<(), InputError> {
    let base = Catalog::load(&args.catalog)?;
    for path in &args.files {
        let shown = path.display().to_string();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let what = if path.is_dir() {
            let c = Catalog::load(&[args.catalog.as_slice(), std::slice::from_ref(path)].concat())?;
            format!(
                "catalog folder ({} accelerators, {} servers, {} cloud offers, {} sites)",
                c.accelerators.len(),
                c.servers.len(),
                c.offers.len(),
                c.sites.len()
            )
        } else if FILE_NAMES.contains(&name) {
            // A catalog file is checked with the catalog files beside it, which it may refer to.
            let folder = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut layer: Vec<std::path::PathBuf> = FILE_NAMES
                .iter()
                .map(|n| folder.join(n))
                .filter(|p| p.is_file() && p.file_name() != path.file_name())
                .collect();
            layer.push(path.clone());
            Catalog::load_with_files(&args.catalog, &layer)?;
            "catalog file".to_string()
        } else {
            // Uncertain inputs, correlations and the sweep grid are checked too.
            let loaded = Loaded::resolve(Source::read(path)?, base.clone())?;
            let resolved = &loaded.resolved;
            for w in &resolved.warnings {
                warn(quiet, &format!("{shown}: {w}"));
            }
            format!(
                "scenario ({} workloads, {} options, {} uncertain inputs)",
                resolved.input.workloads.len(),
                resolved.input.options.len(),
                loaded.uncertainty.inputs.len()
            )
        };
        if !quiet {
            println!("ok: {shown}: {what}");
        }
    }
    Ok(())
}

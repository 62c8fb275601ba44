//! The `tcosim` binary: parses arguments, calls the library, writes outputs, maps errors to
//! exit codes (0 success, 1 broken policy or an error found by `catalog check`, 2 bad input or
//! usage, 130 and 143 interrupted by SIGINT or SIGTERM).

mod cli;
mod commands;
mod interrupt;
mod output;

use clap::Parser;
use cli::{
    CatalogCommand, Cli, Command, ImportCommand, ReportArgs, RunArgs, SensitivityArgs, SweepArgs,
    ValidateArgs, ValidateFormat,
};
use interrupt::Interrupted;
use output::Out;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use tcosim::catalog::{Catalog, FILE_NAMES};
use tcosim::error::InputError;
use tcosim::montecarlo::engine::Cancelled;
use tcosim::report::folder::{self, Destination, Origin, WriteError};
use tcosim::run::Loaded;
use tcosim::scenario::Source;

/// Exit code of bad input or usage.
const EXIT_INPUT: u8 = 2;

/// Why a command did not complete.
pub enum Failure {
    /// Bad input or usage: exit code 2.
    Input(InputError),
    /// A signal stopped the run before it wrote anything: exit code 128 + the signal.
    Interrupted(Interrupted),
    /// `catalog check` found this many errors in the data: exit code 1.
    Findings(usize),
    /// This many policies were broken (after every output was written): exit code 1.
    Policies(usize),
    /// `validate` found this many of its files invalid (each reported): exit code 2.
    Invalid(usize, usize),
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Failure {
        Failure::Input(e)
    }
}

impl From<Interrupted> for Failure {
    fn from(i: Interrupted) -> Failure {
        Failure::Interrupted(i)
    }
}

/// Long work of the library stops with [`Cancelled`] only when a signal set its flag.
impl From<Cancelled> for Failure {
    fn from(_: Cancelled) -> Failure {
        Failure::Interrupted(interrupt::interrupted())
    }
}

impl From<WriteError> for Failure {
    fn from(e: WriteError) -> Failure {
        match e {
            WriteError::Input(e) => Failure::Input(e),
            WriteError::Cancelled => Failure::Interrupted(interrupt::interrupted()),
        }
    }
}

fn main() -> ExitCode {
    interrupt::install();
    let cli = Cli::parse();
    let quiet = cli.quiet;
    let result = match cli.command {
        None => run(RunArgs::default(), quiet),
        Some(Command::Run(args)) => run(args, quiet),
        Some(Command::Validate(args)) => validate(args, quiet),
        Some(Command::Report(args)) => report(args, quiet),
        Some(Command::Sensitivity(args)) => sensitivity(args, quiet),
        Some(Command::Sweep(args)) => sweep(args, quiet),
        Some(Command::Catalog(command)) => catalog(command, quiet),
        Some(Command::Init(args)) => commands::init::init(args),
        Some(Command::Completions(args)) => commands::help::completions(args.shell),
        Some(Command::Man) => commands::help::man(),
        Some(Command::Diff(args)) => commands::diff::diff(args, quiet),
        Some(Command::Replay(args)) => commands::replay::replay(args, quiet),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(err)) => {
            report_error(&err);
            ExitCode::from(EXIT_INPUT)
        }
        Err(Failure::Interrupted(i)) => {
            eprintln!("{}: {}", error_label(), i.message());
            ExitCode::from(i.exit_code())
        }
        Err(Failure::Invalid(n, of)) => {
            // One file's error says it all; of several, a last line counts the failures.
            if of > 1 {
                eprintln!("{}: {n} of {of} files failed validation", error_label());
            }
            ExitCode::from(EXIT_INPUT)
        }
        Err(Failure::Policies(n)) => {
            let s = if n == 1 { "y was" } else { "ies were" };
            eprintln!("{}: {n} polic{s} broken", error_label());
            ExitCode::from(EXIT_FINDINGS)
        }
        Err(Failure::Findings(n)) => {
            let s = if n == 1 { "" } else { "s" };
            eprintln!("{}: the catalog check found {n} error{s}", error_label());
            ExitCode::from(EXIT_FINDINGS)
        }
    }
}

/// Exit code of a `catalog check` that found errors in the data (the code of broken policies).
const EXIT_FINDINGS: u8 = 1;

fn catalog(command: CatalogCommand, quiet: bool) -> Result<(), Failure> {
    match command {
        CatalogCommand::List(args) => commands::catalog::list(args),
        CatalogCommand::Show(args) => commands::catalog::show(args),
        CatalogCommand::Check(args) => match commands::catalog::check(args, quiet)?.errors {
            0 => Ok(()),
            n => Err(Failure::Findings(n)),
        },
        CatalogCommand::Import(ImportCommand::Skypilot(args)) => {
            commands::catalog::import_skypilot(args, quiet)
        }
    }
}

fn color_stderr() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn error_label() -> &'static str {
    if color_stderr() {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    }
}

fn report_error(err: &InputError) {
    let text = err.to_string();
    let text = if color_stderr() {
        text.replace("\nhint:", "\n\x1b[1;36mhint\x1b[0m:")
    } else {
        text
    };
    eprintln!("{}: {text}", error_label());
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

fn run(mut args: RunArgs, quiet: bool) -> Result<(), Failure> {
    check_threads(args.sampling.threads)?;
    if let Some(samples) = args.samples {
        check_samples(samples)?;
    }
    // `--samples 0` means no Monte Carlo, as in `report`.
    args.samples = args.samples.filter(|n| *n > 0);
    if args.monthly && args.samples.is_some() && args.out.format == tcosim::report::Format::Csv {
        return Err(
            InputError::new("--monthly", "--monthly does not apply to Monte Carlo CSV")
                .expected("--monthly for the deterministic months, or --samples for the Monte Carlo statistics (one row per option and metric)")
                .found("both, with --format csv").into(),
        );
    }
    let loaded = Loaded::read(args.scenario.as_deref(), &args.out.catalog)?;
    let policies = loaded.policies(&args.policy, args.samples.is_some())?;
    let uncertainty = loaded.uncertainty.clone();
    let mut run = loaded.simulate()?;
    for w in &run.warnings {
        warn(quiet, w);
    }
    let output = args.out.output.as_deref();
    if let Some(path) = output {
        output::check(&[("--output", path)])?;
    }
    if let Some(samples) = args.samples {
        if uncertainty.is_empty() {
            warn(
                quiet,
                "the scenario has no `[[uncertain]]` inputs: every sample equals the deterministic run",
            );
        }
        let input = run.input.clone();
        let mc = with_threads(args.sampling.threads, || {
            with_progress(quiet, samples, "samples", |progress| {
                tcosim::montecarlo::engine::run_cancellable(
                    &input,
                    &uncertainty,
                    samples,
                    args.sampling.seed,
                    progress,
                    interrupt::flag(),
                )
            })
        })??;
        run.montecarlo = Some(mc);
    }
    run.policies = tcosim::policy::evaluate(&policies, &run.output, run.montecarlo.as_ref());
    let text = tcosim::report::render(
        &run,
        args.out.format,
        args.monthly,
        output::use_color(output),
    );
    emit(output, &text, None)?;
    broken_policies(&run.policies)
}

/// After every output is written: each broken policy on stderr, and exit code 1 if any.
fn broken_policies(policies: &[tcosim::policy::Outcome]) -> Result<(), Failure> {
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
fn emit(output: Option<&Path>, text: &str, chart: Option<(&Path, &[u8])>) -> Result<(), Failure> {
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
/// that each can be written, and that they are not the same file.
fn check_outputs(output: Option<&Path>, chart: Option<&Path>) -> Result<(), InputError> {
    if let Some(chart) = chart {
        output::check_chart_format(chart)?;
    }
    let targets: Vec<(&'static str, &Path)> = [("--output", output), ("--chart", chart)]
        .into_iter()
        .filter_map(|(flag, path)| path.map(|p| (flag, p)))
        .collect();
    output::check(&targets)
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

/// Most samples one run may ask for.
const MAX_SAMPLES: u64 = 100_000_000;

/// Rejects more samples than [`MAX_SAMPLES`]; 0 means no Monte Carlo in every command.
fn check_samples(samples: u64) -> Result<(), InputError> {
    if samples > MAX_SAMPLES {
        return Err(InputError::new("--samples", "invalid number of samples")
            .expected(format!("0 (no Monte Carlo) to {MAX_SAMPLES}"))
            .found(samples.to_string()));
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

/// Runs `f` with a progress callback that drives a bar on stderr counting `total` `units`:
/// only on a terminal, never with `--quiet`, and only once the work has taken half a second.
fn with_progress<T>(
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

fn sensitivity(args: SensitivityArgs, quiet: bool) -> Result<(), Failure> {
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
                .found("none")
                .into(),
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
    let output = args.out.output.as_deref();
    check_outputs(output, args.chart.as_deref())?;
    let s = tcosim::montecarlo::sensitivity::run(&run.input, &uncertainty, focus);
    interrupt::check()?;
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
        output::use_color(output),
    );
    emit(
        output,
        &text,
        chart.as_ref().map(|(p, b)| (*p, b.as_slice())),
    )
}

fn sweep(args: SweepArgs, quiet: bool) -> Result<(), Failure> {
    let loaded = Loaded::read(args.scenario.as_deref(), &args.out.catalog)?;
    let plan = loaded.sweep_plan()?;
    let samples = plan.objective == tcosim::montecarlo::sweep::Objective::P90PvCost;
    let policies = loaded.policies(&args.policy, samples)?;
    let output = args.out.output.as_deref();
    check_outputs(output, args.chart.as_deref())?;
    let uncertainty = loaded.uncertainty.clone();
    let run = loaded.simulate()?;
    for w in &run.warnings {
        warn(quiet, w);
    }
    if plan.objective == tcosim::montecarlo::sweep::Objective::P90PvCost && uncertainty.is_empty() {
        warn(
            quiet,
            "the scenario has no `[[uncertain]]` inputs: every sample equals the deterministic run, so the P90 of each point is its PV",
        );
    }
    let seed = args.sampling.seed;
    let (s, outcomes) = with_threads(args.sampling.threads, || {
        let s = run_sweep(quiet, &run.input, &plan, &uncertainty, seed)?;
        let outcomes = tcosim::policy::evaluate_at_sweep_best(
            &policies,
            &run.input,
            &s,
            &uncertainty,
            seed,
            interrupt::flag(),
        )?;
        Ok::<_, Cancelled>((s, outcomes))
    })??;
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
        &outcomes,
        args.out.format,
        output::use_color(output),
    );
    emit(
        output,
        &text,
        chart.as_ref().map(|(p, b)| (*p, b.as_slice())),
    )?;
    broken_policies(&outcomes)
}

/// Evaluates a sweep with a progress bar, stopped by a signal.
fn run_sweep(
    quiet: bool,
    input: &tcosim::model::Input,
    plan: &tcosim::montecarlo::sweep::Plan,
    uncertainty: &tcosim::montecarlo::uncertain::Uncertainty,
    seed: u64,
) -> Result<tcosim::montecarlo::sweep::Sweep, Cancelled> {
    let units = if plan.work_per_point() > 1 {
        format!("samples over {} grid points", plan.points())
    } else {
        "grid points".to_string()
    };
    with_progress(quiet, plan.work(), &units, |progress| {
        tcosim::montecarlo::sweep::run_cancellable(
            input,
            plan,
            uncertainty,
            seed,
            progress,
            interrupt::flag(),
        )
    })
}

/// Monte Carlo samples of a report when the scenario has uncertain inputs and `--samples` is
/// not given.
const REPORT_SAMPLES: u64 = 10_000;

/// Renders the report folder of a scenario and writes it atomically; prints its path on stderr.
/// With `[[uncertain]]` inputs it adds Monte Carlo and sensitivity, with a `[sweep]` the sweep;
/// a scenario with neither gives the deterministic report.
fn report(args: ReportArgs, quiet: bool) -> Result<(), Failure> {
    check_threads(args.sampling.threads)?;
    let loaded = Loaded::read(args.scenario.as_deref(), &args.catalog)?;
    let plan = match loaded.resolved.file.sweep {
        Some(_) => Some(loaded.sweep_plan()?),
        None => None,
    };
    let uncertainty = loaded.uncertainty.clone();
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
    let policies = loaded.policies(&args.policy, samples > 0)?;
    let mut run = loaded.simulate()?;
    for w in &run.warnings {
        warn(quiet, w);
    }
    let dest = match args.out {
        Some(path) => Destination::named(path),
        None => Destination::default_for(&run),
    };
    let origin = Origin::of(&run);
    // Refused before the work rather than after it; checked again when the folder is swapped.
    folder::check(&dest, &origin)?;
    let seed = args.sampling.seed;
    let mut analyses = folder::Analyses::default();
    if samples > 0 || !uncertainty.is_empty() || plan.is_some() {
        let input = run.input.clone();
        let focus = tcosim::report::cheapest_serving(&run);
        let (mc, sensitivity, sweep) = with_threads(args.sampling.threads, || {
            let mc = if samples > 0 {
                Some(with_progress(quiet, samples, "samples", |progress| {
                    tcosim::montecarlo::engine::run_cancellable(
                        &input,
                        &uncertainty,
                        samples,
                        seed,
                        progress,
                        interrupt::flag(),
                    )
                })?)
            } else {
                None
            };
            let sensitivity = (!uncertainty.is_empty())
                .then(|| tcosim::montecarlo::sensitivity::run(&input, &uncertainty, focus));
            interrupt::check()?;
            let sweep = match &plan {
                Some(p) => Some(run_sweep(quiet, &input, p, &uncertainty, seed)?),
                None => None,
            };
            Ok::<_, Failure>((mc, sensitivity, sweep))
        })??;
        run.montecarlo = mc;
        analyses.sensitivity = sensitivity;
        analyses.sweep = sweep;
    }
    interrupt::check()?;
    run.policies = tcosim::policy::evaluate(&policies, &run.output, run.montecarlo.as_ref());
    let files = folder::render_report(&run, &analyses, args.markdown_charts).map_err(|e| {
        InputError::new(dest.path.display().to_string(), "cannot render the report")
            .found(e.to_string())
    })?;
    folder::write(&dest, &files, &origin, interrupt::flag())?;
    if !quiet {
        eprintln!("wrote {} ({} files)", dest.path.display(), files.len());
    }
    broken_policies(&run.policies)
}

fn validate(args: ValidateArgs, quiet: bool) -> Result<(), Failure> {
    let base = Catalog::load(&args.catalog)?;
    let mut results = Vec::with_capacity(args.files.len());
    for path in &args.files {
        interrupt::check()?;
        let shown = path.display().to_string();
        let checked = validate_one(path, &args.catalog, &base);
        if args.format == ValidateFormat::Table {
            match &checked {
                Ok((what, warnings)) => {
                    for w in warnings {
                        warn(quiet, &format!("{shown}: {w}"));
                    }
                    if !quiet {
                        println!("ok: {shown}: {what}");
                    }
                }
                Err(e) => report_error(e),
            }
        }
        results.push((shown, checked));
    }
    let failed = results.iter().filter(|(_, r)| r.is_err()).count();
    if args.format == ValidateFormat::Json {
        let files: Vec<serde_json::Value> = results
            .iter()
            .map(|(file, r)| match r {
                Ok((what, warnings)) => serde_json::json!({
                    "file": file, "ok": true, "checked": what, "warnings": warnings, "errors": [],
                }),
                Err(e) => serde_json::json!({
                    "file": file, "ok": false, "checked": null, "warnings": [],
                    "errors": [{
                        "in": e.file,
                        "line": e.position.map(|p| p.0),
                        "column": e.position.map(|p| p.1),
                        "key": e.key,
                        "problem": e.problem,
                        "expected": e.expected,
                        "found": e.found,
                        "hint": e.hint,
                        "message": e.to_string(),
                    }],
                }),
            })
            .collect();
        let doc = serde_json::json!({ "files": files, "failed": failed });
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
        emit(None, &text, None)?;
    }
    match failed {
        0 => Ok(()),
        n => Err(Failure::Invalid(n, results.len())),
    }
}

/// Checks one scenario file, catalog file or catalog folder: what it is, and the warnings a run
/// would print.
fn validate_one(
    path: &Path,
    catalog_dirs: &[std::path::PathBuf],
    base: &Catalog,
) -> Result<(String, Vec<String>), InputError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if path.is_dir() {
        let c = Catalog::load(&[catalog_dirs, std::slice::from_ref(&path.to_path_buf())].concat())?;
        let (estimates, rows) = c.estimate_count();
        return Ok((
            format!(
                "catalog folder ({} accelerators, {} servers, {} cloud offers, {} sites; \
                 {estimates} of {rows} rows marked estimate)",
                c.accelerators.len(),
                c.servers.len(),
                c.offers.len(),
                c.sites.len()
            ),
            Vec::new(),
        ));
    }
    if FILE_NAMES.contains(&name) {
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
        layer.push(path.to_path_buf());
        Catalog::load_with_files(catalog_dirs, &layer)?;
        return Ok(("catalog file".to_string(), Vec::new()));
    }
    // Uncertain inputs, correlations and the sweep grid are checked too.
    let loaded = Loaded::resolve(Source::read(path)?, base.clone())?;
    let resolved = &loaded.resolved;
    Ok((
        format!(
            "scenario ({} workloads, {} options, {} uncertain inputs)",
            resolved.input.workloads.len(),
            resolved.input.options.len(),
            loaded.uncertainty.inputs.len()
        ),
        resolved.warnings.clone(),
    ))
}

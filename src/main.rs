//! The `tcosim` binary: parses arguments, calls the library, writes outputs, maps errors to
//! exit codes (0 success, 1 broken policy or an error found by `catalog check`, 2 bad input or
//! usage, 130 and 143 interrupted by SIGINT or SIGTERM).

mod cli;
mod commands;
mod interrupt;
mod output;

use clap::Parser;
use cli::{Cli, Command, RunArgs, ValidateArgs, ValidateFormat};
use commands::shared::{emit, error_label, report_error, warn};
use interrupt::Interrupted;
use std::path::Path;
use std::process::ExitCode;
use tcosim::catalog::{Catalog, FILE_NAMES};
use tcosim::error::InputError;
use tcosim::montecarlo::engine::Cancelled;
use tcosim::report::folder::WriteError;
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
        None => commands::run::run(RunArgs::default(), quiet),
        Some(Command::Run(args)) => commands::run::run(args, quiet),
        Some(Command::Validate(args)) => validate(args, quiet),
        Some(Command::Report(args)) => commands::report::report(args, quiet),
        Some(Command::Sensitivity(args)) => commands::sensitivity::sensitivity(args, quiet),
        Some(Command::Sweep(args)) => commands::sweep::sweep(args, quiet),
        Some(Command::Catalog(command)) => commands::catalog::catalog(command, quiet),
        Some(Command::Init(args)) => commands::init::init(args),
        Some(Command::Completions(args)) => commands::help::completions(args.shell),
        Some(Command::Man) => commands::help::man(),
        Some(Command::Diff(args)) => commands::diff::diff(args, quiet),
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

//! The `tcosim` binary: parses arguments, calls the library, writes outputs, maps errors to
//! exit codes (0 success, 1 broken policy or an error found by `catalog check`, 2 bad input or
//! usage, 130 and 143 interrupted by SIGINT or SIGTERM).

mod cli;
mod commands;
mod interrupt;
mod output;

use clap::Parser;
use cli::{Cli, Command, RunArgs};
use commands::shared::{error_label, report_error};
use interrupt::Interrupted;
use std::process::ExitCode;
use tcosim::error::InputError;
use tcosim::montecarlo::engine::Cancelled;
use tcosim::report::folder::WriteError;

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
    interrupt::install(|i| {
        eprintln!("{}: {}", error_label(), i.message());
        std::process::exit(i32::from(i.exit_code()))
    });
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => e.exit(),
        Err(e) => {
            // Help and version go to standard output, which may fail (a full device) like
            // any output: said, with exit code 2, rather than lost.
            let rendered = e.render();
            let text = if output::use_color(None) {
                rendered.ansi().to_string()
            } else {
                rendered.to_string()
            };
            if let Err(failure) = output::print(text.as_bytes()) {
                report_error(&failure);
                return ExitCode::from(EXIT_INPUT);
            }
            return ExitCode::SUCCESS;
        }
    };
    let quiet = cli.quiet;
    let result = match cli.command {
        None => commands::run::run(RunArgs::default(), quiet),
        Some(Command::Run(args)) => commands::run::run(args, quiet),
        Some(Command::Validate(args)) => commands::validate::validate(args, quiet),
        Some(Command::Report(args)) => commands::report::report(args, quiet),
        Some(Command::Sensitivity(args)) => commands::sensitivity::sensitivity(args, quiet),
        Some(Command::Sweep(args)) => commands::sweep::sweep(args, quiet),
        Some(Command::Catalog(command)) => commands::catalog::catalog(command, quiet),
        Some(Command::Init(args)) => commands::init::init(args),
        Some(Command::Completions(args)) => commands::help::completions(args.shell),
        Some(Command::Man) => commands::help::man(),
        Some(Command::Diff(args)) => commands::diff::diff(args, quiet),
        Some(Command::Schema(args)) => commands::schema::schema(args),
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

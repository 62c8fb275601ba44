//! Command-line types (clap only).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use tcosim::report::Format;

const EXAMPLES: &str = "\
Examples:
  tcosim                                        compare the options of the built-in example
  tcosim run scenarios/startup-finetune.toml    compare the options of a scenario
  tcosim run scenarios/inference-fleet.toml --format json --output result.json
  tcosim run --monthly --format csv             month-by-month figures as CSV
  tcosim run my.toml --catalog my-prices/       with your own catalog rows layered on top
  tcosim validate scenarios/*.toml catalogs/    check files without running them
  tcosim report scenarios/inference-fleet.toml  write a decision report folder with charts

Exit codes: 0 success, 1 a policy was broken, 2 bad input or usage.";

#[derive(Debug, Parser)]
#[command(
    name = "tcosim",
    version,
    about = "Total cost of ownership of AI/ML infrastructure: on-prem, cloud and hybrid GPU clusters compared month by month",
    after_help = EXAMPLES
)]
pub struct Cli {
    /// Print nothing on stderr but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and print the comparison of its options.
    #[command(after_help = EXAMPLES)]
    Run(RunArgs),
    /// Check scenario files, catalog files and catalog folders without running anything.
    #[command(
        after_help = "Examples:\n  tcosim validate scenarios/*.toml\n  tcosim validate my-catalog/ my-catalog/servers.toml"
    )]
    Validate(ValidateArgs),
    /// Write a decision report folder: HTML, Markdown, JSON, CSV and charts (SVG and PNG).
    #[command(
        after_help = "Examples:\n  tcosim report scenarios/inference-fleet.toml\n  tcosim report my.toml --out public/tco --catalog my-prices/\n\nThe folder is written to a temporary folder and moved into place when complete; an\nexisting folder is replaced only if it is empty or a previous report."
    )]
    Report(ReportArgs),
}

#[derive(Debug, Args, Default)]
pub struct RunArgs {
    /// Scenario file (TOML); the built-in example when omitted.
    pub scenario: Option<PathBuf>,

    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: Format,

    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Add the month-by-month breakdown (JSON always has it).
    #[arg(long)]
    pub monthly: bool,

    /// Layer the catalog files of DIR over the built-in catalogs (repeatable).
    #[arg(long, value_name = "DIR")]
    pub catalog: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files, catalog files (named as in catalogs/) or catalog folders.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,

    /// Layer the catalog files of DIR over the built-in catalogs (repeatable).
    #[arg(long, value_name = "DIR")]
    pub catalog: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Scenario file (TOML); the built-in example when omitted.
    pub scenario: Option<PathBuf>,

    /// Report folder [default: reports/<scenario name as a slug>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Layer the catalog files of DIR over the built-in catalogs (repeatable).
    #[arg(long, value_name = "DIR")]
    pub catalog: Vec<PathBuf>,
}

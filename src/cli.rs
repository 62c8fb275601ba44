//! Command-line types (clap only).

use clap::builder::TypedValueParser;
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
  tcosim run scenarios/inference-fleet.toml --samples 100000 --seed 7
  tcosim sensitivity scenarios/inference-fleet.toml   tornado of the uncertain inputs
  tcosim sweep scenarios/inference-fleet.toml         the owned capacity that minimises cost
  tcosim run my.toml --policy ci/policies.toml  fail (exit 1) when a policy is broken
  tcosim diff main:scenarios/x.toml scenarios/x.toml   what a change does, and which inputs why
  tcosim schema scenario --output tcosim.schema.json   JSON Schema for editors and CI

Exit codes: 0 success, 1 a policy was broken (run, report, sweep, diff) or `catalog check`
found an error, 2 bad input or usage, 130 interrupted by Ctrl-C (SIGINT), 143 stopped by
SIGTERM. An interrupted run writes nothing; a second Ctrl-C ends it at once.";

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
        after_help = "Examples:\n  tcosim validate scenarios/*.toml\n  tcosim validate my-catalog/ my-catalog/servers.toml\n  tcosim validate my.toml --format json\n\nEvery mistake of a scenario is reported, in the order of the file: keys and types first,\nthen values and catalog ids. The warnings a run would print about the catalog rows a\nscenario uses (stale prices, spot above on-demand) are printed too.\n\nExit codes: 0 every file is valid, 2 a file is not (or bad usage)."
    )]
    Validate(ValidateArgs),
    /// Write a decision report folder: HTML, Markdown, JSON, CSV and charts (SVG and PNG).
    #[command(
        after_help = "Examples:\n  tcosim report scenarios/inference-fleet.toml\n  tcosim report my.toml --out public/tco --catalog my-prices/\n  tcosim report scenarios/inference-fleet.toml --samples 100000 --seed 7\n\nWith `[[uncertain]]` inputs the report adds a Monte Carlo fan chart, PV cost histograms and\na tornado; with a `[sweep]`, the sweep chart (run with the same seed).\n\nThe folder is written to a temporary folder and moved into place when complete. Every\nreport holds `.tcosim-report.json`, listing its files; an existing folder is replaced only\nif it is empty or holds that manifest and only the files it lists. The default folder is\nreplaced only by a report of the same scenario (by name). Missing parent folders of `--out`\nare created; `..` after a folder that does not exist is refused.\n\nExit codes: 0 success, 2 bad input or usage (nothing written), 130 interrupted by Ctrl-C\n(SIGINT), 143 stopped by SIGTERM (nothing written, a previous report left as it was)."
    )]
    Report(ReportArgs),
    /// Swing every uncertain input from its P10 to its P90, one at a time (tornado).
    #[command(
        after_help = "Examples:\n  tcosim sensitivity scenarios/inference-fleet.toml\n  tcosim sensitivity my.toml --option own-dgx --format csv\n  tcosim sensitivity scenarios/inference-fleet.toml --chart tornado.svg"
    )]
    Sensitivity(SensitivityArgs),
    /// Evaluate the scenario's `[sweep]` grid and find the optimum.
    #[command(
        after_help = "Examples:\n  tcosim sweep scenarios/inference-fleet.toml\n  tcosim sweep my.toml --format json --output sweep.json\n  tcosim sweep scenarios/inference-fleet.toml --chart sweep.png\n\nPolicies (the scenario's `[[policy]]` and `--policy` files) are checked against the whole\nscenario with the swept parameters at the best grid point.\n\nA progress bar shows on a terminal while the grid is evaluated. Ctrl-C stops the sweep\n(exit code 130; SIGTERM 143) and nothing is written.\n\nExit codes: 0 success, 1 a policy is broken at the best point (after writing), 2 bad input."
    )]
    Sweep(SweepArgs),
    /// Compare two scenarios (or results, or git revisions of a scenario): per option the
    /// changes, and which changed inputs explain them.
    #[command(after_help = DIFF_HELP)]
    Diff(DiffArgs),
    /// List, show, check and import catalog rows.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Write a commented starter scenario that runs as written.
    #[command(
        after_help = "Examples:\n  tcosim init my.toml                       the enterprise preset, into my.toml\n  tcosim init --preset startup startup.toml\n  tcosim init --preset inference            on stdout\n\nExit codes: 0 written, 2 the file exists (without --force) or cannot be written."
    )]
    Init(InitArgs),
    /// Print the JSON Schema of the scenario file or of the JSON output of `run`.
    #[command(after_help = SCHEMA_HELP)]
    Schema(SchemaArgs),
    /// Replay a GPU job trace on an owned cluster: waits, utilisation, and the cost of burst.
    #[command(after_help = crate::commands::replay::HELP)]
    Replay(ReplayArgs),
    /// Print the shell completion script for SHELL.
    #[command(
        after_help = "Examples:\n  tcosim completions bash > ~/.local/share/bash-completion/completions/tcosim\n  tcosim completions zsh > ~/.zfunc/_tcosim\n  tcosim completions fish > ~/.config/fish/completions/tcosim.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) of tcosim and its commands.
    #[command(after_help = "Examples:\n  tcosim man > tcosim.1 && man ./tcosim.1")]
    Man,
}

const DIFF_HELP: &str = "\
Examples:
  tcosim diff old.toml new.toml
  tcosim diff main:scenarios/fleet.toml scenarios/fleet.toml --format markdown --output comment.md
  tcosim diff before.json after.json --format json

OLD and NEW are each a scenario file, a JSON result of `tcosim run --format json` (figures
only, no drivers), or `REV:PATH`, the file PATH at git revision REV read with `git show` (PATH
from the repository's root, or `./PATH` from the current folder; relative profile paths of
that scenario are read from the working tree's folder of PATH). The drivers are Shapley values
of the changed inputs (README \"tcosim diff\"). The policies of the new scenario and of
`--policy` files are checked against the new run.

Exit codes: 0 success, 1 a policy of the new run is broken (after writing), 2 bad input.";

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old side: a scenario file, a JSON result, or `REV:PATH` read through git.
    pub old: String,

    /// The new side: a scenario file, a JSON result, or `REV:PATH` read through git.
    pub new: String,

    #[command(flatten)]
    pub out: OutputArgs,

    /// Also check the `[[policy]]` tables of FILE against the new run (repeatable); any broken
    /// policy makes the command exit with code 1 after writing its output.
    #[arg(long, value_name = "FILE")]
    pub policy: Vec<PathBuf>,
}

const SCHEMA_HELP: &str = "\
Examples:
  tcosim schema scenario --output tcosim.schema.json
  tcosim schema output > result.schema.json
  tcosim run my.toml --format json --output result.json

The schemas are JSON Schema draft 7, generated from the types tcosim reads scenarios into and
writes results from, so they match what this version accepts and writes. The scenario schema
checks keys and types (ids, ranges and the rules between fields are checked by `tcosim
validate`); with it, TOML editors complete and check scenario files: put
`#:schema ./tcosim.schema.json` on the first line of a scenario (see the README).

Exit codes: 0 success, 2 bad usage or an output that cannot be written.";

/// Which schema `tcosim schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    /// A scenario file (TOML), as the JSON value of its tables.
    Scenario,
    /// The document of `tcosim run --format json`.
    Output,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The schema to print.
    #[arg(value_enum)]
    pub kind: SchemaKind,

    /// Write the schema to FILE instead of stdout (replaced atomically; `-` is stdout).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// File to write [default: stdout; `-` is stdout]; an existing file is refused without
    /// `--force`.
    pub file: Option<PathBuf>,

    /// The example the starter is made from.
    #[arg(long, value_enum, default_value = "enterprise")]
    pub preset: Preset,

    /// Replace FILE if it exists.
    #[arg(long)]
    pub force: bool,
}

/// What `validate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ValidateFormat {
    Table,
    Json,
}

/// The examples `tcosim init` starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// An enterprise LLM platform in Frankfurt: own, rent, or own a base and burst (EUR).
    Enterprise,
    /// A start-up fine-tuning on 16 GPUs: rent, lease two servers, or lease one and burst.
    Startup,
    /// An inference fleet on L40S and L4 over ten years, with uncertain inputs and a sweep.
    Inference,
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::Enterprise => "enterprise",
            Preset::Startup => "startup",
            Preset::Inference => "inference",
        }
    }
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// One row per catalog row, with the normalised columns rows are compared on.
    #[command(after_help = CATALOG_LIST_HELP)]
    List(CatalogListArgs),
    /// Every field of the row with id ID, with its source, date and the layer it came from.
    #[command(
        after_help = "Examples:\n  tcosim catalog show h100-sxm\n  tcosim catalog show aws-p5.48xlarge-us-east-1 --format json\n  tcosim catalog show my-offer --catalog my-prices/\n\nIds are unique within a table; an id used in two tables shows both rows.\n\nExit codes: 0 success, 2 unknown id (with the nearest ids) or bad input."
    )]
    Show(CatalogShowArgs),
    /// Data-quality findings: errors, warnings and notes per row.
    #[command(after_help = CATALOG_CHECK_HELP)]
    Check(CatalogCheckArgs),
    /// Convert another tool's price catalog into tcosim cloud-offer rows.
    #[command(subcommand)]
    Import(ImportCommand),
}

const CATALOG_LIST_HELP: &str = "\
Examples:
  tcosim catalog list offers --filter accelerator=h100-sxm --sort on_demand_usd_per_gpu_hour
  tcosim catalog list offers --filter 'provider=aws,spot_usd_per_gpu_hour<3' --format csv
  tcosim catalog list accelerators --sort -bf16_tflops_per_w
  tcosim catalog list servers --filter 'name~dgx' --format markdown
  tcosim catalog list sites --filter 'as_of<2025' --catalog my-prices/

Filter: clauses joined by commas, all of which must hold: `COL=VALUE`, `COL!=VALUE`, `COL~TEXT`
(contains, any case), `COL<NUM`, `COL<=NUM`, `COL>NUM`, `COL>=NUM`. Text compares without
regard to case; `<` and `>` on text compare it as text, so ISO dates compare in time. An
empty cell matches only `COL=`. Sort: `--sort COL` ascending, `--sort -COL` descending; empty
cells last. The README lists every column with its unit and formula.

Exit codes: 0 success, 2 bad input or usage (an unknown column names the nearest).";

const CATALOG_CHECK_HELP: &str = "\
Examples:
  tcosim catalog check                       the built-in catalogs
  tcosim catalog check catalogs/             a catalog folder, as a pull request changes it
  tcosim catalog check my-prices/ --format json --today 2026-01-31
  tcosim catalog check my-prices/ --max-age-months 6

With folders, they are layered over the built-in catalogs in order and only their rows are
reported; without, every built-in row. Rules and severities are listed in the README
(\"Catalog commands\"). A summary goes to stderr.

Exit codes: 0 no error finding, 1 at least one error finding, 2 unreadable or invalid input.";

#[derive(Debug, Args)]
pub struct CatalogListArgs {
    /// The catalog table to list.
    #[arg(value_enum)]
    pub kind: tcosim::catalog::listing::Kind,

    /// Keep the rows that match EXPR (see below).
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,

    /// Sort by COL, ascending; `-COL` descending.
    #[arg(long, value_name = "COL", allow_hyphen_values = true)]
    pub sort: Option<String>,

    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CatalogShowArgs {
    /// The id of a row (for exchange rates, the currency).
    #[arg(value_parser = tcosim::limits::parse_name)]
    pub id: String,

    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CatalogCheckArgs {
    /// Catalog folders to check, layered over the built-in catalogs in order.
    pub dirs: Vec<PathBuf>,

    /// A price older than N whole months is stale (a warning).
    #[arg(long, value_name = "N", default_value_t = tcosim::catalog::check::DEFAULT_MAX_AGE_MONTHS)]
    pub max_age_months: u32,

    /// The date ages are counted to, `YYYY-MM-DD` [default: today].
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,

    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: Format,

    /// Write the output to FILE instead of stdout (replaced atomically; `-` is stdout).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// A SkyPilot catalog CSV (`vms.csv` of any cloud) as rows of cloud-offers.csv.
    #[command(after_help = IMPORT_HELP)]
    Skypilot(ImportSkypilotArgs),
}

const IMPORT_HELP: &str = "\
Examples:
  tcosim catalog import skypilot aws-vms.csv --provider aws --as-of 2025-11-03
  tcosim catalog import skypilot gcp-vms.csv --provider gcp --output my-prices/cloud-offers.csv

Columns are read by their header names. One offer per instance type and region: on-demand is
the median over the availability zones, spot the median over the zones with a spot price below
on-demand. Google's GPU rows are added to their host machine type's row. Rows whose
accelerator has no tcosim id, or whose count is not a whole number, are reported on stderr and
left out. Without `--as-of` the rows are dated today and marked estimate.

Exit codes: 0 success, 2 unreadable input, a missing column or one named twice, or no offer at all.";

#[derive(Debug, Args)]
pub struct ImportSkypilotArgs {
    /// The SkyPilot catalog file (CSV).
    pub file: PathBuf,

    /// The tcosim provider id of the rows (`aws`, `gcp`, `azure`, ...).
    #[arg(long, value_name = "NAME", value_parser = tcosim::limits::parse_name)]
    pub provider: String,

    /// The date of the file's prices, `YYYY-MM-DD` [default: today, rows marked estimate].
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,

    /// Write the rows to FILE instead of stdout (replaced atomically; `-` is stdout).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Flags shared by the commands that print a result.
#[derive(Debug, Args, Default)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: Format,

    /// Write the output to FILE instead of stdout: a regular file is replaced atomically (a
    /// symbolic link is followed), a device or FIFO is written to directly; a read-only file is
    /// refused; `-` is stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Layer the catalog files of DIR over the built-in catalogs (repeatable).
    #[arg(long, value_name = "DIR")]
    pub catalog: Vec<PathBuf>,
}

/// Flags of the commands that sample.
#[derive(Debug, Args, Default)]
pub struct SamplingArgs {
    /// Seed of the random generators; the same seed gives the same results.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub seed: u64,

    /// Worker threads [default: all cores]; results do not depend on it.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// Scenario file (TOML) with `[[uncertain]]` inputs, `-` for standard input; the built-in
    /// example when omitted.
    pub scenario: Option<PathBuf>,

    /// Option whose PV cost ranks the inputs [default: the cheapest that serves all demand].
    #[arg(long, value_name = "NAME", value_parser = tcosim::limits::parse_name)]
    pub option: Option<String>,

    /// Also write the tornado chart to FILE (`.svg` or `.png`).
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,

    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML) with a `[sweep]` table, `-` for standard input; the built-in
    /// example when omitted.
    pub scenario: Option<PathBuf>,

    /// Also write the chart of the objective against the swept parameters to FILE (`.svg` or
    /// `.png`).
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,

    #[command(flatten)]
    pub out: OutputArgs,

    #[command(flatten)]
    pub sampling: SamplingArgs,

    /// Also check the `[[policy]]` tables of FILE (repeatable) against the best grid point;
    /// any broken policy makes the command exit with code 1 after writing its output.
    #[arg(long, value_name = "FILE")]
    pub policy: Vec<PathBuf>,
}

#[derive(Debug, Args, Default)]
pub struct RunArgs {
    /// Scenario file (TOML), `-` for standard input (its profile and trace paths are then taken
    /// from the current folder); the built-in example when omitted.
    pub scenario: Option<PathBuf>,

    #[command(flatten)]
    pub out: OutputArgs,

    /// Add the month-by-month breakdown (JSON always has it).
    #[arg(long)]
    pub monthly: bool,

    /// Monte Carlo samples over the scenario's `[[uncertain]]` inputs; 0 runs none.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub samples: Option<u64>,

    #[command(flatten)]
    pub sampling: SamplingArgs,

    /// Also check the `[[policy]]` tables of FILE (repeatable); any broken policy makes the
    /// command exit with code 1 after writing its output.
    #[arg(long, value_name = "FILE")]
    pub policy: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files, catalog files (named as in catalogs/) or catalog folders; `-` (once) for
    /// a scenario on standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,

    /// `table`: a line per file, `ok: …` on stdout and each error on stderr; `json`: one
    /// document listing every file with its errors.
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: ValidateFormat,

    /// Layer the catalog files of DIR over the built-in catalogs (repeatable).
    #[arg(long, value_name = "DIR")]
    pub catalog: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Scenario file (TOML), `-` for standard input (its profile and trace paths are then taken
    /// from the current folder); the built-in example when omitted.
    pub scenario: Option<PathBuf>,

    /// Report folder [default: reports/<scenario name as a slug>]; `--output` is the same flag,
    /// the name every other command uses (`-`, standard output, cannot be a folder).
    #[arg(long, short = 'o', value_name = "DIR", visible_alias = "output",
          value_parser = clap::builder::OsStringValueParser::new().try_map(folder))]
    pub out: Option<PathBuf>,

    /// Layer the catalog files of DIR over the built-in catalogs (repeatable).
    #[arg(long, value_name = "DIR")]
    pub catalog: Vec<PathBuf>,

    /// Monte Carlo samples over the scenario's `[[uncertain]]` inputs for the fan chart, the
    /// PV histograms and the Monte Carlo table; 0 skips them [default: 10000 when the scenario
    /// has uncertain inputs].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub samples: Option<u64>,

    #[command(flatten)]
    pub sampling: SamplingArgs,

    /// Also check the `[[policy]]` tables of FILE (repeatable); any broken policy makes the
    /// command exit with code 1 after writing the report.
    #[arg(long, value_name = "FILE")]
    pub policy: Vec<PathBuf>,

    /// How `report.md` shows its charts: `files` links the chart files by relative path,
    /// `mermaid` draws them inline as Mermaid blocks (for pull-request comments).
    #[arg(long, value_enum, value_name = "HOW", default_value = "files")]
    pub markdown_charts: tcosim::report::folder::MarkdownCharts,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The job trace (see `--trace-format`).
    pub trace: PathBuf,

    /// The trace's layout [default: `swf` for a `.swf` file, `philly-json` for `.json`, else `csv`].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub trace_format: Option<tcosim::replay::TraceFormat>,

    /// Nodes of the owned cluster (not with `--scenario`, whose option gives them); several,
    /// comma-separated (`64,96,128`), replay the trace on each size in parallel and compare them.
    #[arg(
        long,
        value_name = "N[,N...]",
        value_delimiter = ',',
        required_unless_present = "scenario",
        conflicts_with = "scenario"
    )]
    pub nodes: Vec<u32>,

    /// GPUs per node [default: 8].
    #[arg(long, value_name = "G", conflicts_with = "scenario")]
    pub gpus_per_node: Option<u32>,

    /// Replay on an option of this scenario: its servers are the nodes, and a hybrid's cloud
    /// offer and shortest `max_wait_hours` set `--offer` and `--burst` (with `--option`).
    #[arg(long, value_name = "FILE", requires = "option")]
    pub scenario: Option<PathBuf>,

    /// The option of `--scenario` to replay on (an `onprem` or `hybrid` option).
    #[arg(
        long,
        value_name = "NAME",
        requires = "scenario",
        value_parser = tcosim::limits::parse_name
    )]
    pub option: Option<String>,

    /// Queue policy [default: fifo].
    #[arg(long, value_enum)]
    pub policy: Option<tcosim::replay::Policy>,

    /// When a waiting job goes to the cloud: `never`, `immediate`, `after=DURATION` (`2h`,
    /// `30m`, `90s`, `1d`) or `max-queue=N` [default: `never`, or as `--option` says].
    #[arg(long, value_name = "RULE", value_parser = crate::commands::replay::parse_burst)]
    pub burst: Option<tcosim::replay::Burst>,

    /// The cloud offer (catalog id) whose on-demand price per GPU-hour prices burst work (not
    /// with `--scenario`, whose option gives it).
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "scenario",
        value_parser = tcosim::limits::parse_name
    )]
    pub offer: Option<String>,

    /// Start every job at its recorded start time (the submit time where none is recorded)
    /// instead of scheduling it.
    #[arg(long)]
    pub as_recorded: bool,

    /// Count and skip rows that cannot be read instead of stopping at the first.
    #[arg(long)]
    pub skip_bad: bool,

    /// SWF: read a job's processors as its GPUs (SWF traces count processors).
    #[arg(long)]
    pub swf_processors_as_gpus: bool,

    /// Leave out the warm-up: count only jobs submitted DURATION or more after the first
    /// submit, and measure time from then (`2h`, `1d`, seconds without a unit).
    #[arg(long, value_name = "DURATION", value_parser = crate::commands::replay::parse_trim)]
    pub trim_start: Option<i64>,

    /// Leave out the cool-down: count only jobs submitted DURATION or more before the last
    /// submit, and measure time up to then.
    #[arg(long, value_name = "DURATION", value_parser = crate::commands::replay::parse_trim)]
    pub trim_end: Option<i64>,

    /// Also write a report folder DIR (summary in Markdown, JSON and CSV, wait-time,
    /// utilisation and queue charts as SVG and PNG), atomically (not `-`, standard output).
    #[arg(long, value_name = "DIR",
          value_parser = clap::builder::OsStringValueParser::new().try_map(folder))]
    pub report: Option<PathBuf>,

    /// Check the `[[policy]]` tables of FILE against the replay's figures (repeatable); any
    /// broken policy makes the command exit with code 1 after writing its outputs.
    #[arg(long, value_name = "FILE")]
    pub policy_file: Vec<PathBuf>,

    #[command(flatten)]
    pub out: OutputArgs,
}

/// A report folder: any path but `-`, which names standard output where a command writes a
/// file (`--output -`) and cannot hold a folder.
fn folder(path: std::ffi::OsString) -> Result<PathBuf, String> {
    if path == "-" {
        return Err(
            "`-` is standard output, which cannot hold a report folder (`./-` names a folder called `-`)"
                .into(),
        );
    }
    Ok(PathBuf::from(path))
}

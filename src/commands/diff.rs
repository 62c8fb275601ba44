//! `tcosim diff OLD NEW`: read both sides (a scenario, a JSON result, or `REV:PATH` through
//! git), simulate the scenarios, attribute the PV changes, write, then check the new run's
//! policies.

use crate::Failure;
use crate::cli::DiffArgs;
use crate::commands::shared::{
    broken_policies, catalog_inputs, check_outputs, emit, inputs, scenario_inputs, warn,
};
use crate::output::{self, Input};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tcosim::catalog::Catalog;
use tcosim::diff::{self, Diff, Figures};
use tcosim::error::InputError;
use tcosim::report::diff::{DiffReport, render};
use tcosim::run::{Loaded, Run};
use tcosim::scenario::Source;

/// One side of a diff.
enum Side {
    Scenario(Box<Loaded>),
    /// A JSON result of `run --format json`: figures only.
    Result(Figures),
}

pub fn diff(args: DiffArgs, quiet: bool) -> Result<(), Failure> {
    let out = crate::output::file(args.out.output.as_deref());
    let catalog = Catalog::load(&args.out.catalog)?;
    if args.old == "-" && args.new == "-" {
        return Err(InputError::new(
            tcosim::scenario::STDIN_NAME,
            "standard input is read only once",
        )
        .expected("`-` for one side at most")
        .found("`-` for both")
        .into());
    }
    let old = read_side(&args.old, &catalog)?;
    let new = read_side(&args.new, &catalog)?;
    // How each side is named in messages and the report: `-` is standard input.
    let name = |arg: &str| {
        if arg == "-" {
            tcosim::scenario::STDIN_NAME.to_string()
        } else {
            arg.to_string()
        }
    };
    let (old_name, new_name) = (name(&args.old), name(&args.new));
    let read = [
        side_inputs(&args.old, &old),
        side_inputs(&args.new, &new),
        inputs("a policy file", &args.policy),
        catalog_inputs(&args.out.catalog),
    ];
    check_outputs(out, None, &read.concat())?;
    let mut notes = Vec::new();
    let policies = match &new {
        Side::Scenario(loaded) => loaded.policies(&args.policy, false)?,
        Side::Result(_) if !args.policy.is_empty() => {
            return Err(
                InputError::new(&new_name, "policies need a scenario to check")
                    .expected("a scenario file (or `REV:PATH` of one) as NEW with `--policy`")
                    .found("a JSON result")
                    .into(),
            );
        }
        Side::Result(_) => Vec::new(),
    };
    let old = simulate(old, quiet, &old_name)?;
    let new = simulate(new, quiet, &new_name)?;
    let (diff, outcomes) = match (old, new) {
        ((old_figures, Some(old_run)), (new_figures, Some(new_run))) => {
            let drivers = diff::drivers(&old_run.input, &new_run.input, &catalog);
            let outcomes = tcosim::policy::evaluate(&policies, &new_run.output, None);
            (Diff::new(old_figures, new_figures, Some(drivers)), outcomes)
        }
        ((old_figures, old_run), (new_figures, new_run)) => {
            let json: Vec<&str> = [(&old_name, &old_run), (&new_name, &new_run)]
                .into_iter()
                .filter(|(_, run)| run.is_none())
                .map(|(name, _)| name.as_str())
                .collect();
            notes.push(format!(
                "figures only: {} {} a JSON result, so no inputs are compared and no drivers are shown",
                json.iter()
                    .map(|j| format!("`{j}`"))
                    .collect::<Vec<_>>()
                    .join(" and "),
                if json.len() == 1 { "is" } else { "are" }
            ));
            let outcomes = match &new_run {
                Some(run) => tcosim::policy::evaluate(&policies, &run.output, None),
                None => Vec::new(),
            };
            (Diff::new(old_figures, new_figures, None), outcomes)
        }
    };
    if diff.old.currency != diff.new.currency && !diff.old.currency.is_empty() {
        warn(
            quiet,
            &format!(
                "the two sides are in different currencies ({} and {}): their figures are compared as numbers",
                diff.old.currency, diff.new.currency
            ),
        );
    }
    let report = DiffReport {
        diff: &diff,
        old_source: &old_name,
        new_source: &new_name,
        policies: &outcomes,
        notes,
    };
    let text = render(&report, args.out.format, output::use_color(out));
    emit(out, &text, None)?;
    broken_policies(&outcomes)
}

/// The files a side was read from: `arg` itself (a `REV:PATH` read through git names none), and
/// a scenario's profiles and traces.
fn side_inputs(arg: &str, side: &Side) -> Vec<Input> {
    let path = Path::new(arg);
    match side {
        Side::Scenario(loaded) => scenario_inputs(Some(path), loaded),
        Side::Result(_) if arg == "-" => Vec::new(),
        Side::Result(_) => vec![("a JSON result", path.to_path_buf())],
    }
}

/// The figures of a side, and its run when it is a scenario.
fn simulate(side: Side, quiet: bool, name: &str) -> Result<(Figures, Option<Run>), InputError> {
    match side {
        Side::Result(figures) => Ok((figures, None)),
        Side::Scenario(loaded) => {
            let run = loaded.simulate()?;
            for w in &run.warnings {
                warn(quiet, &format!("{name}: {w}"));
            }
            Ok((Figures::from_output(&run.input, &run.output), Some(run)))
        }
    }
}

/// Reads `arg`: a file, or `REV:PATH` through git when no file of that name exists.
fn read_side(arg: &str, catalog: &Catalog) -> Result<Side, InputError> {
    let path = Path::new(arg);
    let source = match arg.split_once(':') {
        Some((rev, file)) if !path.exists() && !rev.is_empty() && !file.is_empty() => {
            git_source(arg, rev, file)?
        }
        _ => read_file(path)?,
    };
    if json_named(path) || source.text.trim_start().starts_with('{') {
        return Ok(Side::Result(Figures::from_json(
            &source.display,
            &source.text,
        )?));
    }
    Ok(Side::Scenario(Box::new(Loaded::resolve(
        source,
        catalog.clone(),
    )?)))
}

/// Whether `path` is named as a JSON result (`.json`).
fn json_named(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Whether `start`, the first bytes of a file, open a JSON object: `{` after a byte-order mark
/// and white space. A TOML scenario cannot start so.
fn opens_object(start: &[u8]) -> bool {
    let start = start.strip_prefix("\u{feff}".as_bytes()).unwrap_or(start);
    start
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

/// Bytes read of a file to tell a JSON result from a scenario.
const SNIFFED_BYTES: u64 = 4096;

/// Reads the file `path` of a side: a JSON result (named `.json`, or a regular file above the
/// scenario limit that opens a JSON object) up to [`diff::MAX_RESULT_BYTES`], anything else as
/// a scenario file (whose limit is far lower). A result of a large run is far larger than any
/// scenario (README "Limits").
fn read_file(path: &Path) -> Result<Source, InputError> {
    if path.as_os_str() == "-" {
        return read_stdin();
    }
    let large = || {
        std::fs::metadata(path)
            .is_ok_and(|m| m.is_file() && m.len() > tcosim::limits::MAX_SCENARIO_BYTES)
    };
    // Only a regular file is opened here, so that a FIFO cannot block the look.
    let opens_json = || {
        let mut start = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(SNIFFED_BYTES).read_to_end(&mut start))
            .is_ok_and(|_| opens_object(&start))
    };
    let json = json_named(path) || (large() && opens_json());
    if !json {
        return Source::read(path);
    }
    let display = tcosim::limits::printable(&path.display().to_string());
    let text = tcosim::limits::read_text(path, &display, "JSON result", diff::MAX_RESULT_BYTES)?;
    Ok(Source {
        display,
        text,
        base_dir: path.parent().map(Path::to_path_buf),
    })
}

/// A side on standard input (`-`): a JSON result (text that opens a JSON object) up to
/// [`diff::MAX_RESULT_BYTES`], anything else a scenario up to the scenario limit, whose paths are
/// read from the current folder.
fn read_stdin() -> Result<Source, InputError> {
    let shown = tcosim::scenario::STDIN_NAME;
    let text =
        tcosim::limits::read_stdin(shown, "JSON result or scenario", diff::MAX_RESULT_BYTES)?;
    let limit = tcosim::limits::MAX_SCENARIO_BYTES;
    if !opens_object(text.as_bytes()) && text.len() as u64 > limit {
        return Err(InputError::new(shown, "the scenario file is too large")
            .expected(format!(
                "at most {} bytes, or a JSON result",
                tcosim::limits::group(limit)
            ))
            .found(format!(
                "{} bytes",
                tcosim::limits::group(text.len() as u64)
            )));
    }
    Ok(Source {
        display: shown.to_string(),
        text,
        base_dir: None,
    })
}

/// The file `file` at revision `rev`, through `git show REV:PATH` run in the current folder.
/// Relative paths in it (hourly profiles) resolve against the working tree's folder of PATH.
fn git_source(arg: &str, rev: &str, file: &str) -> Result<Source, InputError> {
    let run = |args: &[&str]| {
        Command::new("git").args(args).output().map_err(|e| {
            InputError::new(arg, "cannot run git to read a revision")
                .expected("`git` on the PATH")
                .found(tcosim::limits::io_problem(&e))
                .hint("install git, or give the old file as a path")
        })
    };
    if rev.starts_with('-') {
        // No revision starts with `-`, and git would take it for an option of its own.
        return Err(InputError::new(arg, "not a git revision")
            .expected("`REV:PATH` with a revision such as `main`, `HEAD~1` or a commit")
            .found(format!(
                "`{}`, which starts with `-`",
                tcosim::limits::printable(rev)
            ))
            .hint("give the old file as a path, or a revision that git log lists"));
    }
    let shown = git_show(arg, rev, file)?;
    let text = String::from_utf8(shown).map_err(|_| {
        InputError::new(arg, "the file is not UTF-8 text").expected("a TOML scenario or JSON")
    })?;
    let in_tree: PathBuf = if file.starts_with("./") || file.starts_with("../") {
        PathBuf::from(file)
    } else {
        let top = run(&["rev-parse", "--show-toplevel"])?;
        let top = String::from_utf8_lossy(&top.stdout).trim().to_string();
        Path::new(&top).join(file)
    };
    Ok(Source {
        display: tcosim::limits::printable(arg),
        text,
        base_dir: in_tree.parent().map(Path::to_path_buf),
    })
}

/// The bytes of `git show REV:PATH` (`rev` and `file` of `arg`), read up to the limit of what
/// they are: a JSON result (PATH named `.json`, or bytes that open a JSON object) up to
/// [`diff::MAX_RESULT_BYTES`], a scenario up to its own limit. Git is stopped as soon as the
/// limit is passed, so that a huge file in a revision is not read whole.
fn git_show(arg: &str, rev: &str, file: &str) -> Result<Vec<u8>, InputError> {
    let cannot = |e: std::io::Error| {
        InputError::new(arg, "cannot run git to read a revision")
            .expected("`git` on the PATH")
            .found(tcosim::limits::io_problem(&e))
            .hint("install git, or give the old file as a path")
    };
    let mut child = Command::new("git")
        .args(["show", &format!("{rev}:{file}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(cannot)?;
    // Git's messages are read beside its output, so that neither pipe can fill and stop it.
    let errors = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = (&mut err).take(64 << 10).read_to_end(&mut text);
            let _ = std::io::copy(&mut err, &mut std::io::sink());
            text
        })
    });
    let mut bytes = Vec::new();
    let mut limit = tcosim::limits::MAX_SCENARIO_BYTES;
    let mut what = "scenario file";
    let read = match child.stdout.take() {
        Some(mut out) => (&mut out)
            .take(SNIFFED_BYTES)
            .read_to_end(&mut bytes)
            .and_then(|_| {
                if json_named(Path::new(file)) || opens_object(&bytes) {
                    (limit, what) = (diff::MAX_RESULT_BYTES, "JSON result");
                }
                let left = (limit + 1).saturating_sub(bytes.len() as u64);
                out.take(left).read_to_end(&mut bytes)
            }),
        None => Ok(0),
    };
    if bytes.len() as u64 > limit {
        // Git started by this command, stopped by its handle.
        let _ = child.kill();
        let _ = child.wait();
        return Err(InputError::new(arg, format!("the {what} is too large"))
            .expected(format!(
                "at most {} bytes ({} MiB)",
                tcosim::limits::group(limit),
                limit >> 20
            ))
            .found(format!("more than {} bytes", tcosim::limits::group(limit))));
    }
    let status = child.wait().map_err(cannot)?;
    let message = errors.and_then(|e| e.join().ok()).unwrap_or_default();
    if !status.success() {
        let message = String::from_utf8_lossy(&message);
        return Err(
            InputError::new(arg, "cannot read the file at that git revision")
                .expected("`REV:PATH`: a revision git knows and a file in it")
                .found(
                    message
                        .lines()
                        .next()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map_or_else(|| format!("git failed ({status})"), str::to_string),
                )
                .hint("PATH is from the repository's root, or `REV:./PATH` from the current folder; `git log` lists revisions"),
        );
    }
    read.map_err(cannot)?;
    Ok(bytes)
}

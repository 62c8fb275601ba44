//! `tcosim validate`: check scenario files, catalog files and catalog folders without running
//! anything, reporting every problem of each file and the warnings a run would print.

use crate::cli::{ValidateArgs, ValidateFormat};
use crate::commands::shared::{emit, report_error, warn};
use crate::{Failure, interrupt};
use std::path::Path;
use tcosim::catalog::{Catalog, FILE_NAMES};
use tcosim::error::InputError;
use tcosim::limits::MAX_ERRORS_PER_FILE;
use tcosim::run::Loaded;
use tcosim::scenario::Source;

/// `tcosim validate FILE...`: every file checked and every problem reported; exit code 2 when
/// any file failed.
pub fn validate(args: ValidateArgs, quiet: bool) -> Result<(), Failure> {
    let base = Catalog::load(&args.catalog)?;
    let mut results = Vec::with_capacity(args.files.len());
    let mut stdin_read = false;
    for path in &args.files {
        interrupt::check()?;
        let stdin = path.as_os_str() == "-";
        let shown = if stdin {
            tcosim::scenario::STDIN_NAME.to_string()
        } else {
            path.display().to_string()
        };
        let checked = if stdin && stdin_read {
            FileCheck::from(
                InputError::new(&shown, "standard input is read only once")
                    .expected("`-` once among the files")
                    .found(format!(
                        "`-` {} times",
                        args.files.iter().filter(|p| p.as_os_str() == "-").count()
                    )),
            )
        } else {
            validate_one(path, &args.catalog, &base)
        };
        stdin_read |= stdin;
        if args.format == ValidateFormat::Table {
            for w in &checked.warnings {
                warn(quiet, &format!("{shown}: {w}"));
            }
            for e in &checked.errors {
                report_error(e);
            }
            if checked.capped() {
                eprintln!(
                    "note: {shown}: stopped after {MAX_ERRORS_PER_FILE} errors; fix these and \
                     validate again for the rest"
                );
            }
            // The verdict is the command's data: `--quiet` silences stderr only.
            if let Some(what) = checked.what.as_deref() {
                let _writing = interrupt::Writing::start();
                crate::output::print(format!("ok: {shown}: {what}\n").as_bytes())?;
            }
        }
        results.push((shown, checked));
    }
    let failed = results.iter().filter(|(_, c)| !c.errors.is_empty()).count();
    if args.format == ValidateFormat::Json {
        let files: Vec<serde_json::Value> = results
            .iter()
            .map(|(file, c)| {
                let errors: Vec<serde_json::Value> = c
                    .errors
                    .iter()
                    .map(|e| {
                        serde_json::json!({
                            "in": e.file,
                            "line": e.position.map(|p| p.0),
                            "column": e.position.map(|p| p.1),
                            "key": e.key,
                            "problem": e.problem,
                            "expected": e.expected,
                            "found": e.found,
                            "hint": e.hint,
                            "message": e.to_string(),
                        })
                    })
                    .collect();
                serde_json::json!({
                    "file": file, "ok": c.errors.is_empty(), "checked": c.what,
                    "warnings": c.warnings, "errors": errors, "truncated": c.capped(),
                })
            })
            .collect();
        let doc = serde_json::json!({ "files": files, "failed": failed });
        let text = tcosim::report::json::pretty(&doc).unwrap_or_default() + "\n";
        emit(None, &text, None)?;
    }
    match failed {
        0 => Ok(()),
        n => Err(Failure::Invalid(n, results.len())),
    }
}

/// What `validate` found in one file: what it is (when it is valid), its errors and the
/// warnings a run would print.
#[derive(Default)]
struct FileCheck {
    what: Option<String>,
    errors: Vec<InputError>,
    warnings: Vec<String>,
}

impl FileCheck {
    /// Whether checking stopped at the most errors reported per file, so that more may follow.
    fn capped(&self) -> bool {
        self.errors.len() >= MAX_ERRORS_PER_FILE
    }

    fn failed(errors: Vec<InputError>) -> FileCheck {
        FileCheck {
            errors,
            ..FileCheck::default()
        }
    }
}

impl From<InputError> for FileCheck {
    fn from(e: InputError) -> FileCheck {
        FileCheck {
            errors: vec![e],
            ..FileCheck::default()
        }
    }
}

/// Checks one scenario file (for every problem it can find), catalog file or catalog folder
/// (a file that cannot be parsed for its first error, else every row's first problem).
fn validate_one(path: &Path, catalog_dirs: &[std::path::PathBuf], base: &Catalog) -> FileCheck {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let ok = |what: String| FileCheck {
        what: Some(what),
        ..FileCheck::default()
    };
    // `-` is a scenario on standard input, even where a folder of that name exists.
    let stdin = path.as_os_str() == "-";
    if path.is_dir() && !stdin {
        let c = match Catalog::check_with_files(
            &[catalog_dirs, std::slice::from_ref(&path.to_path_buf())].concat(),
            &[] as &[&Path],
        ) {
            Ok(c) => c,
            Err(errors) => return FileCheck::failed(errors),
        };
        let (estimates, rows) = c.estimate_count();
        return ok(format!(
            "catalog folder ({} accelerators, {} servers, {} cloud offers, {} sites; \
             {estimates} of {rows} rows marked estimate)",
            c.accelerators.len(),
            c.servers.len(),
            c.offers.len(),
            c.sites.len()
        ));
    }
    if FILE_NAMES.contains(&name) && !stdin {
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
        return match Catalog::check_with_files(catalog_dirs, &layer) {
            Ok(_) => ok("catalog file".to_string()),
            Err(errors) => FileCheck::failed(errors),
        };
    }
    let source = match Source::read(path) {
        Ok(s) => s,
        Err(e) => return e.into(),
    };
    let checked = Loaded::check(source, base.clone());
    FileCheck {
        what: checked.loaded.map(|loaded| {
            let resolved = &loaded.resolved;
            let count =
                |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
            format!(
                "scenario ({}, {}, {})",
                count(resolved.input.workloads.len(), "workload"),
                count(resolved.input.options.len(), "option"),
                count(loaded.uncertainty.inputs.len(), "uncertain input")
            )
        }),
        errors: checked.errors,
        warnings: checked.warnings,
    }
}

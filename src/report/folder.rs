//! The report folder of `tcosim report`: rendering every file (pure) and writing the folder
//! atomically.
//!
//! The files are written into a fresh temporary folder beside the target, which is renamed into
//! place only when complete. An existing target is first renamed aside, then the new folder is
//! renamed in and the old one deleted; if the swap fails the old folder is renamed back. So a
//! reader sees either the old report or the whole new one, and a failed run leaves the old report
//! byte-identical. A folder is replaced only if it is empty or looks like a tcosim report, so that
//! a mistyped `--out` cannot delete someone's files.

use super::charts::{self, ChartError};
use super::content;
use crate::error::InputError;
use crate::montecarlo::sensitivity::Sensitivity;
use crate::montecarlo::sweep::Sweep;
use crate::run::Run;
use std::path::{Path, PathBuf};

/// Files every report folder has besides the charts.
pub const DATA_FILES: [&str; 4] = ["index.html", "report.md", "summary.json", "monthly.csv"];

/// One file of the report folder.
#[derive(Debug, Clone)]
pub struct ReportFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The analyses a report shows besides the deterministic run; Monte Carlo results travel in
/// [`Run::montecarlo`]. Each one adds its chart and table only when present.
#[derive(Debug, Clone, Default)]
pub struct Analyses {
    /// One-at-a-time sensitivity (tornado) of the option the verdict names.
    pub sensitivity: Option<Sensitivity>,
    /// The scenario's `[sweep]`.
    pub sweep: Option<Sweep>,
}

/// Renders every file of the report of the deterministic `run` alone (plus its Monte Carlo
/// results, if any), in a stable order.
pub fn render(run: &Run) -> Result<Vec<ReportFile>, ChartError> {
    render_with(run, &Analyses::default())
}

/// Renders every file of the report of `run` with its uncertainty `analyses`, in a stable order.
pub fn render_with(run: &Run, analyses: &Analyses) -> Result<Vec<ReportFile>, ChartError> {
    let charts = charts::render_all(run, analyses)?;
    let doc = content::build(run, &charts, analyses);
    let mut files = vec![
        file(
            "index.html",
            super::html::render(&doc, &charts).into_bytes(),
        ),
        file("report.md", super::report_md::render(&doc).into_bytes()),
        file("summary.json", super::json::render(run).into_bytes()),
        file("monthly.csv", super::csv::render(run, true).into_bytes()),
    ];
    for chart in charts {
        let (svg, png) = content::chart_files(&chart);
        files.push(file(&svg, chart.svg.into_bytes()));
        files.push(file(&png, chart.png));
    }
    Ok(files)
}

fn file(name: &str, bytes: Vec<u8>) -> ReportFile {
    ReportFile {
        name: name.to_string(),
        bytes,
    }
}

/// The default report folder: `reports/<slug of the scenario name>`.
pub fn default_dir(run: &Run) -> PathBuf {
    Path::new("reports").join(slug(&run.input.name))
}

/// Lowercase ASCII letters and digits, other runs of characters as one `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars().flat_map(char::to_lowercase) {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "report".to_string()
    } else {
        out
    }
}

/// Writes `files` as the folder `target`, atomically (see the module docs).
pub fn write(target: &Path, files: &[ReportFile]) -> Result<(), InputError> {
    let shown = target.display().to_string();
    let fail = |what: &str, e: std::io::Error| {
        InputError::new(&shown, format!("cannot write the report folder: {what}"))
            .found(e.to_string())
    };
    let target = std::path::absolute(target).map_err(|e| fail("no absolute path", e))?;
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return Err(InputError::new(&shown, "not a folder name")
            .expected("a path like `reports/my-scenario`"));
    };
    let name = name.to_string_lossy().to_string();
    if target.exists() {
        check_replaceable(&target, &shown)?;
    }
    std::fs::create_dir_all(parent).map_err(|e| fail("cannot create the parent folder", e))?;
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp-"))
        .tempdir_in(parent)
        .map_err(|e| fail("cannot create a temporary folder", e))?;
    // Temporary folders are private (0700); a report is meant to be read like any folder.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(staging.path(), std::fs::Permissions::from_mode(0o755))
            .map_err(|e| fail("cannot set the folder's permissions", e))?;
    }
    for f in files {
        std::fs::write(staging.path().join(&f.name), &f.bytes)
            .map_err(|e| fail(&format!("cannot write `{}`", f.name), e))?;
    }
    if !target.exists() {
        std::fs::rename(staging.path(), &target)
            .map_err(|e| fail("cannot move it into place", e))?;
        let _ = staging.keep();
        return Ok(());
    }
    let mut aside = staging.path().as_os_str().to_owned();
    aside.push(".old");
    let aside = PathBuf::from(aside);
    std::fs::rename(&target, &aside)
        .map_err(|e| fail("cannot move the previous report aside", e))?;
    if let Err(e) = std::fs::rename(staging.path(), &target) {
        // Put the previous report back; if even that fails it stays in `aside`, not lost.
        let _ = std::fs::rename(&aside, &target);
        return Err(fail("cannot move it into place", e));
    }
    let _ = staging.keep();
    std::fs::remove_dir_all(&aside).map_err(|e| fail("cannot delete the previous report", e))?;
    Ok(())
}

/// An existing target may be replaced if it is an empty folder or a previous report (it has
/// `summary.json` and `index.html` and no subfolder).
fn check_replaceable(target: &Path, shown: &str) -> Result<(), InputError> {
    let refuse = |problem: &str| {
        InputError::new(shown, problem.to_string())
            .expected("a new folder, an empty one or a previous tcosim report")
            .hint("choose another folder with `--out`, or remove this one")
    };
    if !target.is_dir() {
        return Err(refuse("the report path is a file, not a folder"));
    }
    let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(target)
        .map_err(|e| refuse("cannot read the existing folder").found(e.to_string()))?
        .filter_map(Result::ok)
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    let has = |n: &str| entries.iter().any(|e| e.file_name() == n);
    let subfolder = entries.iter().any(|e| e.path().is_dir());
    if has("summary.json") && has("index.html") && !subfolder {
        Ok(())
    } else {
        Err(refuse(
            "refusing to replace a folder that is not a tcosim report",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_joined_by_dashes() {
        assert_eq!(
            slug("Inference fleet on L40S and L4"),
            "inference-fleet-on-l40s-and-l4"
        );
        assert_eq!(slug("  Ünïcode / 2027  "), "n-code-2027");
        assert_eq!(slug("***"), "report");
    }
}

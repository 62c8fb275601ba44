//! The report folder of `tcosim report`: rendering every file (pure) and writing the folder
//! atomically.
//!
//! **Which folders may be replaced.** Every report folder holds a manifest, [`MANIFEST`], that
//! only tcosim writes: the scenario the report came from and every file the report wrote. An
//! existing folder is replaced only if it is empty, or holds exactly a manifest and files it
//! lists (no other file, no subfolder, no symbolic link), so that a mistyped `--out` cannot
//! delete anyone's files; a folder without a manifest (someone's, or a report of a version
//! before manifests) is refused. The default folder `reports/<slug>` is replaced only by a
//! report of the scenario that wrote it, since two scenario names can share a slug.
//!
//! **How.** The files are written into a fresh hidden folder beside the target (its name holds
//! [`STAGING_MARK`]), which is renamed into place only when complete. An existing target is
//! first renamed aside, then the new folder is renamed in and the old one deleted, file by
//! listed file; if the swap fails the old folder is renamed back. So a reader sees either the
//! old report or the whole new one, and a failed run leaves the old report byte-identical.
//!
//! **Concurrent runs.** The swap happens under an advisory lock on the parent folder (no lock
//! file is left behind), so runs writing to the same folder take turns, each replacing the
//! previous report whole. Every run also locks its own staging folder while it lives; a hidden
//! staging or aside folder that nobody locks is the leftover of a run that was killed, and is
//! deleted under the parent's lock if it holds nothing but a manifest and files it lists.
//!
//! **Stopping.** [`write`] checks the caller's cancellation flag while it waits for the lock,
//! between files and just before the swap, and then removes everything it created (the staging
//! folder and any parent folder it made) and leaves the old report as it was.

use super::charts::{self, ChartError};
use super::content;
use crate::error::InputError;
use crate::limits::io_problem;
use crate::montecarlo::sensitivity::Sensitivity;
use crate::montecarlo::sweep::Sweep;
use crate::run::Run;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use unicode_segmentation::UnicodeSegmentation;

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

/// How `report.md` shows its charts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum MarkdownCharts {
    /// Images linking the chart files of the folder by relative path.
    #[default]
    Files,
    /// Inline Mermaid `xychart-beta` blocks where a chart maps to one, for pull-request
    /// comments and wikis that show no files; the other charts are named by file.
    Mermaid,
}

/// Renders every file of the report of the deterministic `run` alone (plus its Monte Carlo
/// results, if any), in a stable order.
pub fn render(run: &Run) -> Result<Vec<ReportFile>, ChartError> {
    render_with(run, &Analyses::default())
}

/// Renders every file of the report of `run` with its uncertainty `analyses`, in a stable order.
pub fn render_with(run: &Run, analyses: &Analyses) -> Result<Vec<ReportFile>, ChartError> {
    render_report(run, analyses, MarkdownCharts::Files)
}

/// [`render_with`], with the charts of `report.md` shown as `markdown_charts` says.
pub fn render_report(
    run: &Run,
    analyses: &Analyses,
    markdown_charts: MarkdownCharts,
) -> Result<Vec<ReportFile>, ChartError> {
    let charts = charts::render_all(run, analyses)?;
    let mut doc = content::build(run, &charts, analyses);
    if markdown_charts == MarkdownCharts::Mermaid {
        content::add_mermaid(&mut doc, run, analyses);
    }
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

/// The manifest every report folder holds: written by tcosim only, it marks the folder as a
/// report and lists its files.
pub const MANIFEST: &str = ".tcosim-report.json";

/// Version of the manifest's layout.
const MANIFEST_VERSION: u32 = 1;

/// Part of the name of the hidden folders a report is staged in (and an old one set aside in),
/// beside the target: `.<name>.tcosim-tmp-XXXXXX`.
pub const STAGING_MARK: &str = ".tcosim-tmp-";

/// How long a run waits between two tries of a lock held by another run.
const LOCK_RETRY: Duration = Duration::from_millis(20);

/// Longest default folder name [bytes], well within the 255 bytes of a file name, with room
/// for the staging folder's mark.
const MAX_SLUG_BYTES: usize = 96;

/// The scenario a report comes from, as its manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The scenario's `name`.
    pub name: String,
    /// Where it was read from, as the user named it (as in `summary.json`).
    pub source: String,
}

impl Origin {
    pub fn of(run: &Run) -> Origin {
        Origin {
            name: run.input.name.clone(),
            source: run.source.clone(),
        }
    }
}

/// The content of [`MANIFEST`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    tcosim_report: u32,
    scenario: Origin,
    files: Vec<String>,
}

/// Where a report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub path: PathBuf,
    /// The default folder of the scenario, which the user did not name: it replaces only a
    /// report of the same scenario (by name). A folder named with `--out` replaces any report.
    pub is_default: bool,
    /// The flag that names the folder, which the messages' hints suggest (`--out` by default).
    pub flag: &'static str,
}

impl Destination {
    /// A folder the user named with `--out`.
    pub fn named(path: PathBuf) -> Destination {
        Destination::named_by(path, "--out")
    }

    /// A folder the user named with `flag`.
    pub fn named_by(path: PathBuf, flag: &'static str) -> Destination {
        Destination {
            path,
            is_default: false,
            flag,
        }
    }

    /// The default folder of `run`: `reports/<slug>` (see [`default_dir`]).
    pub fn default_for(run: &Run) -> Destination {
        Destination {
            path: default_dir(run),
            is_default: true,
            flag: "--out",
        }
    }
}

/// Why a report folder was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Input(#[from] InputError),
    /// The caller's cancellation flag was set; nothing was written or left behind.
    #[error("cancelled before the report was written")]
    Cancelled,
}

/// The default report folder: `reports/<slug of the scenario name>`; for a name without any
/// letter or digit, the slug of the scenario file's name (without extension), and `report` when
/// that has none either.
pub fn default_dir(run: &Run) -> PathBuf {
    let name = slug(&run.input.name)
        .or_else(|| {
            Path::new(&run.source)
                .file_stem()
                .and_then(|s| slug(&s.to_string_lossy()))
        })
        .unwrap_or_else(|| "report".to_string());
    Path::new("reports").join(name)
}

/// The letters and digits of `name` in any script (each with its accents and other marks),
/// lowercased, and every run of other characters as one `-`, cut to at most 96 bytes at a
/// character boundary; `None` when `name` has no letter or digit.
pub fn slug(name: &str) -> Option<String> {
    let mut out = String::new();
    // A user-perceived character is kept whole (a letter with its combining marks), if it
    // starts with a letter or digit and carries no punctuation, space or control character:
    // some scripts' prepended letters join the next character, even a `/`.
    let word = |g: &str| {
        g.chars().next().is_some_and(char::is_alphanumeric)
            && g.chars().all(|c| {
                c.is_alphanumeric() || !(c.is_ascii() || c.is_whitespace() || c.is_control())
            })
    };
    for g in name.graphemes(true) {
        if word(g) {
            let before = out.len();
            out.extend(g.chars().flat_map(char::to_lowercase));
            if out.len() > MAX_SLUG_BYTES {
                out.truncate(before);
                break;
            }
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    (!out.is_empty()).then(|| out.to_string())
}

/// Checks, before any work is done, that the report of `origin` could be written to `dest`:
/// the path is acceptable and the folder absent, empty or a report that may be replaced.
pub fn check(dest: &Destination, origin: &Origin) -> Result<(), InputError> {
    let target = Target::new(dest)?;
    target.replaceable(dest, origin).map(|_| ())
}

/// Writes `files` and the manifest of `origin` as the folder `dest`, atomically (see the module
/// docs); stops with [`WriteError::Cancelled`] when `cancel` is set before the swap.
pub fn write(
    dest: &Destination,
    files: &[ReportFile],
    origin: &Origin,
    cancel: &AtomicBool,
) -> Result<(), WriteError> {
    if cancel.load(Ordering::Relaxed) {
        return Err(WriteError::Cancelled);
    }
    let target = Target::new(dest)?;
    target.replaceable(dest, origin)?;
    let manifest = Manifest {
        tcosim_report: MANIFEST_VERSION,
        scenario: origin.clone(),
        files: files.iter().map(|f| f.name.clone()).collect(),
    };
    let manifest = serde_json::to_string_pretty(&manifest)
        .map_err(|e| target.fail("cannot write the manifest", e.to_string()))?
        + "\n";
    // Declared first so that it is dropped last: parent folders made for this report are
    // removed again, once empty, unless the report is in place.
    let mut made = MadeFolders::create(&target)?;
    let staging = {
        let _lock = target.lock_parent(cancel)?;
        target.stage()?
    };
    for (name, bytes) in std::iter::once((MANIFEST, manifest.as_bytes()))
        .chain(files.iter().map(|f| (f.name.as_str(), f.bytes.as_slice())))
    {
        if cancel.load(Ordering::Relaxed) {
            return Err(WriteError::Cancelled);
        }
        std::fs::write(staging.dir.path().join(name), bytes)
            .map_err(|e| target.fail(&format!("cannot write `{name}`"), io_problem(&e)))?;
    }
    let _lock = target.lock_parent(cancel)?;
    target.remove_leftovers();
    if cancel.load(Ordering::Relaxed) {
        return Err(WriteError::Cancelled);
    }
    let old = target.replaceable(dest, origin)?;
    target.swap(staging, old)?;
    made.keep();
    Ok(())
}

/// What an existing target holds.
enum Existing {
    None,
    /// An empty folder, or a report: the names of its entries, all of them the manifest or
    /// files it lists.
    Replaceable(Vec<String>),
}

/// The report folder as an absolute path, with its parent and name, and the flag that names it.
struct Target {
    shown: String,
    path: PathBuf,
    parent: PathBuf,
    name: String,
    flag: &'static str,
}

impl Target {
    fn new(dest: &Destination) -> Result<Target, InputError> {
        let path = &dest.path;
        if path.as_os_str().is_empty() {
            return Err(InputError::new(dest.flag, "an empty folder path")
                .expected("a folder path such as `reports/my-scenario`")
                .found("an empty path `''`"));
        }
        let shown = path.display().to_string();
        check_parent_steps(path, &shown)?;
        let absolute = std::path::absolute(path).map_err(|e| {
            InputError::new(&shown, "cannot write the report folder")
                .expected("a folder path")
                .found(io_problem(&e))
        })?;
        let (Some(parent), Some(name)) = (absolute.parent(), absolute.file_name()) else {
            return Err(InputError::new(&shown, "not a folder name")
                .expected("a path like `reports/my-scenario`"));
        };
        Ok(Target {
            parent: parent.to_path_buf(),
            name: name.to_string_lossy().to_string(),
            path: absolute.clone(),
            shown,
            flag: dest.flag,
        })
    }

    fn fail(&self, what: &str, found: impl Into<String>) -> InputError {
        InputError::new(
            &self.shown,
            format!("cannot write the report folder: {what}"),
        )
        .found(found)
    }

    /// What the target holds, or why it may not be replaced by the report of `origin`.
    fn replaceable(&self, dest: &Destination, origin: &Origin) -> Result<Existing, InputError> {
        let refuse = |problem: &str| refuse(&self.shown, self.flag, problem);
        let meta = match std::fs::symlink_metadata(&self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::None),
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
                return Err(self
                    .fail("a part of its path is a file", format!("`{}`", self.shown))
                    .expected("a path through folders"));
            }
            Err(e) => {
                return Err(refuse("cannot read the existing report path").found(io_problem(&e)));
            }
        };
        if meta.file_type().is_symlink() {
            let found = std::fs::read_link(&self.path).map_or_else(
                |_| "a symbolic link".to_string(),
                |to| format!("a symbolic link to `{}`", to.display()),
            );
            return Err(refuse("the report path is a symbolic link")
                .found(found)
                .hint(format!(
                    "name the folder itself with `{}` (a link is not followed, so that the \
                     folder it points to is not replaced behind it)",
                    self.flag
                )));
        }
        if !meta.is_dir() {
            return Err(refuse(&format!(
                "the report path is {}, not a folder",
                not_a_folder(&meta)
            )));
        }
        let report = inspect(&self.path, self.flag).map_err(|e| match e {
            Inspect::Unreadable(e) => {
                refuse("cannot read the existing folder").found(io_problem(&e))
            }
            Inspect::Foreign(problem, found, hint) => refuse(&problem).found(found).hint(hint),
        })?;
        if let Err(e) = deletable_from(&self.path) {
            return Err(InputError::new(
                &self.shown,
                "cannot replace the existing report: its files cannot be deleted",
            )
            .expected("a folder this user may delete files from")
            .found(io_problem(&e))
            .hint(format!(
                "make the folder writable, or choose another folder with `{}`",
                self.flag
            )));
        }
        if let Some((manifest, _)) = &report
            && dest.is_default
            && manifest.scenario.name != origin.name
        {
            return Err(InputError::new(
                &self.shown,
                "the default report folder holds the report of another scenario",
            )
            .expected(format!("a report of `{}`", origin.name))
            .found(format!(
                "the report of `{}` (from `{}`), whose name gives the same folder",
                manifest.scenario.name, manifest.scenario.source
            ))
            .hint(format!(
                "give this report its own folder with `{}`",
                self.flag
            )));
        }
        Ok(Existing::Replaceable(
            report.map(|(_, names)| names).unwrap_or_default(),
        ))
    }

    /// Creates the hidden staging folder beside the target and locks it for as long as this
    /// run lives (call with the parent locked, so that no other run takes it for a leftover).
    fn stage(&self) -> Result<Staging, InputError> {
        let short: String = self.name.chars().take(40).collect();
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{short}{STAGING_MARK}"))
            .tempdir_in(&self.parent)
            .map_err(|e| self.fail("cannot create a temporary folder", io_problem(&e)))?;
        // Temporary folders are private (0700); a report is meant to be read like any folder.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
                .map_err(|e| self.fail("cannot set the folder's permissions", io_problem(&e)))?;
        }
        // Where folders cannot be locked, no run can take the lock of this one either, so it is
        // never taken for a leftover (see `remove_leftovers`).
        let lock = try_lock(dir.path()).ok().flatten();
        Ok(Staging { dir, _lock: lock })
    }

    /// Waits for the lock on the parent folder, giving up when `cancel` is set.
    fn lock_parent(&self, cancel: &AtomicBool) -> Result<Option<File>, WriteError> {
        wait_for_lock(&self.parent, cancel).map_err(|Cancelled| WriteError::Cancelled)
    }

    /// Deletes the hidden staging and aside folders of killed runs beside the target: a folder
    /// whose name carries [`STAGING_MARK`], which no living run locks, and which holds nothing
    /// but a manifest and files it lists (or nothing). Best effort: what cannot be removed
    /// stays. Call with the parent locked.
    fn remove_leftovers(&self) {
        let Ok(entries) = std::fs::read_dir(&self.parent) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().to_string();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if !(is_dir && name.starts_with('.') && name.contains(STAGING_MARK)) {
                continue;
            }
            let path = entry.path();
            let Ok(Some(_lock)) = try_lock(&path) else {
                continue;
            };
            if let Ok(report) = inspect(&path, self.flag) {
                remove_report(&path, report.map(|(_, names)| names).unwrap_or_default());
            }
        }
    }

    /// Moves the complete `staging` folder into place, setting aside and then deleting the old
    /// report `old` (call with the parent locked).
    fn swap(&self, staging: Staging, old: Existing) -> Result<(), InputError> {
        let Existing::Replaceable(old_names) = old else {
            std::fs::rename(staging.dir.path(), &self.path)
                .map_err(|e| self.fail("cannot move it into place", io_problem(&e)))?;
            staging.keep();
            return Ok(());
        };
        let mut aside = staging.dir.path().as_os_str().to_owned();
        aside.push("-old");
        let aside = PathBuf::from(aside);
        std::fs::rename(&self.path, &aside)
            .map_err(|e| self.fail("cannot move the previous report aside", io_problem(&e)))?;
        if let Err(e) = std::fs::rename(staging.dir.path(), &self.path) {
            // Put the previous report back; if even that fails it stays in `aside`, not lost.
            let _ = std::fs::rename(&aside, &self.path);
            return Err(self.fail("cannot move it into place", io_problem(&e)));
        }
        staging.keep();
        if !remove_report(&aside, old_names) {
            return Err(self
                .fail(
                    "cannot delete the previous report",
                    format!("it is kept in `{}`", aside.display()),
                )
                .hint("the new report is in place; delete the old one by hand"));
        }
        Ok(())
    }
}

/// Whether this process may delete entries of the folder `dir` (write and search permission
/// for the effective user, as the system will judge the deletions), so that an old report is
/// never set aside only to find that its files cannot be deleted.
#[cfg(unix)]
fn deletable_from(dir: &Path) -> std::io::Result<()> {
    use rustix::fs::{Access, AtFlags, CWD, accessat};
    accessat(
        CWD,
        dir,
        Access::WRITE_OK | Access::EXEC_OK,
        AtFlags::EACCESS,
    )
    .map_err(Into::into)
}

#[cfg(not(unix))]
fn deletable_from(dir: &Path) -> std::io::Result<()> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.permissions().readonly() => {
            Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
        }
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Refuses a path in which `..` follows a folder that does not exist: the system would create
/// that folder only to step out of it again.
fn check_parent_steps(path: &Path, shown: &str) -> Result<(), InputError> {
    let mut prefix = PathBuf::new();
    for c in path.components() {
        if c == Component::ParentDir {
            let before = if prefix.as_os_str().is_empty() {
                Path::new(".")
            } else {
                prefix.as_path()
            };
            if !before.is_dir() {
                return Err(InputError::new(
                    shown,
                    "the report path steps out of a missing folder",
                )
                .expected("`..` only after folders that exist")
                .found(format!(
                    "`..` after `{}`, which does not exist",
                    before.display()
                ))
                .hint("write the folder without `..`"));
            }
        }
        prefix.push(c);
    }
    Ok(())
}

/// What a path that is not a folder is, in words: a file, or a device, a FIFO or a socket.
fn not_a_folder(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    let _ = meta;
    "a file"
}

/// A folder that may not be replaced; `flag` names the folder (in the hint).
fn refuse(shown: &str, flag: &str, problem: impl Into<String>) -> InputError {
    InputError::new(shown, problem)
        .expected(format!(
            "a new folder, an empty one, or a tcosim report (a folder holding `{MANIFEST}` and \
             only the files it lists)"
        ))
        .hint(format!(
            "choose another folder with `{flag}`, or move the files away"
        ))
}

/// Why a folder is not a report that may be replaced.
enum Inspect {
    Unreadable(std::io::Error),
    /// The problem, what was found, and a hint.
    Foreign(String, String, String),
}

/// `None` for an empty folder; for a report, its manifest and the names of all its entries
/// (the manifest and files it lists). Anything else is [`Inspect::Foreign`]: a file the
/// manifest does not list, a subfolder, a symbolic link, or no manifest at all; its hints name
/// the folder's `flag`.
fn inspect(dir: &Path, flag: &str) -> Result<Option<(Manifest, Vec<String>)>, Inspect> {
    let mut entries: Vec<(String, std::fs::FileType)> = std::fs::read_dir(dir)
        .map_err(Inspect::Unreadable)?
        .map(|e| {
            let e = e.map_err(Inspect::Unreadable)?;
            let kind = e.file_type().map_err(Inspect::Unreadable)?;
            Ok((e.file_name().to_string_lossy().to_string(), kind))
        })
        .collect::<Result<_, _>>()?;
    if entries.is_empty() {
        return Ok(None);
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let names = || {
        let shown: Vec<String> = entries
            .iter()
            .take(3)
            .map(|(n, _)| format!("`{n}`"))
            .collect();
        let more = entries.len().saturating_sub(3);
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    let Some((_, kind)) = entries.iter().find(|(n, _)| n == MANIFEST) else {
        let older = entries.iter().any(|(n, _)| n == "summary.json")
            && entries.iter().any(|(n, _)| n == "index.html");
        let problem = if older {
            format!(
                "refusing to replace a folder without `{MANIFEST}`: not a tcosim report, or one \
                 written by a version of tcosim before report manifests"
            )
        } else {
            format!("refusing to replace a folder that is not a tcosim report (no `{MANIFEST}`)")
        };
        let hint = if older {
            format!(
                "remove the old report yourself (after checking that nothing of yours is in \
                 it), or choose another folder with `{flag}`"
            )
        } else {
            format!("choose another folder with `{flag}`")
        };
        return Err(Inspect::Foreign(problem, names(), hint));
    };
    let not_ours = |why: &str| {
        Inspect::Foreign(
            format!("refusing to replace a folder that is not a tcosim report: {why}"),
            format!("`{MANIFEST}`"),
            format!("choose another folder with `{flag}`"),
        )
    };
    if !kind.is_file() {
        return Err(not_ours(&format!("`{MANIFEST}` is not a file")));
    }
    let text = std::fs::read_to_string(dir.join(MANIFEST)).map_err(Inspect::Unreadable)?;
    let manifest: Manifest = serde_json::from_str(&text)
        .ok()
        .filter(|m: &Manifest| m.tcosim_report == MANIFEST_VERSION)
        .ok_or_else(|| not_ours(&format!("`{MANIFEST}` is not a tcosim report manifest")))?;
    let listed: BTreeSet<&str> = manifest.files.iter().map(String::as_str).collect();
    for (name, kind) in &entries {
        if name == MANIFEST {
            continue;
        }
        let (what, found) = if kind.is_symlink() {
            (
                "is a symbolic link",
                format!("`{name}`, a symbolic link where tcosim writes only regular files"),
            )
        } else if kind.is_dir() {
            (
                "is a folder",
                format!("`{name}`, a folder where tcosim writes only regular files"),
            )
        } else if !kind.is_file() {
            (
                "is not a regular file",
                format!("`{name}`, neither a regular file nor a folder"),
            )
        } else if !listed.contains(name.as_str()) {
            (
                "is not a file of the report",
                format!("`{name}`, which `{MANIFEST}` does not list as written by tcosim"),
            )
        } else {
            continue;
        };
        return Err(Inspect::Foreign(
            format!("refusing to replace the report folder: `{name}` {what}"),
            found,
            format!("choose another folder with `{flag}`, or move `{name}` out of this one"),
        ));
    }
    let names = entries.into_iter().map(|(n, _)| n).collect();
    Ok(Some((manifest, names)))
}

/// Deletes the entries `names` of `dir` (a report: its manifest and listed files) one by one,
/// then the folder if it is empty; never anything else. Whether the folder is gone.
fn remove_report(dir: &Path, names: Vec<String>) -> bool {
    for name in names {
        let _ = std::fs::remove_file(dir.join(name));
    }
    std::fs::remove_dir(dir).is_ok()
}

/// A report being written: its hidden folder (deleted when dropped) and the lock that tells
/// other runs it is alive.
struct Staging {
    dir: tempfile::TempDir,
    _lock: Option<File>,
}

impl Staging {
    /// The folder has been moved into place: do not delete it.
    fn keep(self) {
        let _ = self.dir.keep();
    }
}

/// The folders created for a report's parent, removed again (once empty, deepest first) when
/// dropped, unless kept.
struct MadeFolders(Vec<PathBuf>);

impl MadeFolders {
    /// Creates the missing folders above the target, like `mkdir -p`.
    fn create(target: &Target) -> Result<MadeFolders, InputError> {
        let mut missing = Vec::new();
        let mut at = target.parent.as_path();
        loop {
            match std::fs::metadata(at) {
                Ok(m) if m.is_dir() => break,
                Ok(_) => {
                    return Err(target.fail(
                        "its parent is not a folder",
                        format!("`{}` is a file", at.display()),
                    ));
                }
                Err(_) => missing.push(at.to_path_buf()),
            }
            match at.parent() {
                Some(p) => at = p,
                None => break,
            }
        }
        let mut made = MadeFolders(Vec::new());
        for dir in missing.into_iter().rev() {
            match std::fs::create_dir(&dir) {
                Ok(()) => made.0.push(dir),
                // Made by a concurrent run in the meantime: not ours to remove.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {}
                Err(e) => {
                    return Err(target.fail("cannot create the parent folder", io_problem(&e)));
                }
            }
        }
        Ok(made)
    }

    fn keep(&mut self) {
        self.0.clear();
    }
}

impl Drop for MadeFolders {
    fn drop(&mut self) {
        for dir in self.0.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// The caller's flag was set while waiting for a lock.
struct Cancelled;

/// An exclusive advisory lock on the folder `dir`, waited for until `cancel` is set. `None`
/// where the folder cannot be locked (outside Unix, a file system without locks, a folder that
/// may not be read): runs are then not serialised, but each still writes whole.
fn wait_for_lock(dir: &Path, cancel: &AtomicBool) -> Result<Option<File>, Cancelled> {
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(Cancelled);
        }
        match try_lock(dir) {
            Ok(Some(lock)) => return Ok(Some(lock)),
            Ok(None) => std::thread::sleep(LOCK_RETRY),
            Err(_) => return Ok(None),
        }
    }
}

/// The lock on the folder `dir` if it is free now (`Ok(None)` if another run holds it).
#[cfg(unix)]
fn try_lock(dir: &Path) -> std::io::Result<Option<File>> {
    let file = File::open(dir)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

#[cfg(not(unix))]
fn try_lock(_dir: &Path) -> std::io::Result<Option<File>> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slugs_are_lowercase_words_joined_by_dashes() {
        assert_eq!(
            slug("Inference fleet on L40S and L4").as_deref(),
            Some("inference-fleet-on-l40s-and-l4")
        );
        assert_eq!(slug("  Ünïcode / 2027  ").as_deref(), Some("ünïcode-2027"));
    }

    #[test]
    fn slugs_keep_letters_and_digits_of_every_script() {
        assert_eq!(slug("Ünïcødé Plän").as_deref(), Some("ünïcødé-plän"));
        assert_eq!(slug("日本語").as_deref(), Some("日本語"));
        assert_eq!(
            slug("Планирование GPU").as_deref(),
            Some("планирование-gpu")
        );
        assert_eq!(slug("हिन्दी योजना").as_deref(), Some("हिन्दी-योजना"));
        // A letter written with a combining accent keeps it.
        assert_eq!(slug("Cafe\u{301} 2").as_deref(), Some("cafe\u{301}-2"));
    }

    #[test]
    fn a_name_without_letters_or_digits_has_no_slug() {
        // U+0D4E joins the character after it, even a `\\`, which must not come along.
        for name in ["", "***", "///", "..", ".", " - ", "🚀", "\u{d4e}\\"] {
            assert_eq!(slug(name), None, "{name:?}");
        }
    }

    #[test]
    fn long_names_are_cut_at_a_character_boundary() {
        let name = "ü".repeat(200);
        let s = slug(&name).unwrap();
        assert!(s.len() <= MAX_SLUG_BYTES, "{} bytes", s.len());
        assert_eq!(s, "ü".repeat(MAX_SLUG_BYTES / 2));
    }

    proptest! {
        #[test]
        fn a_slug_is_a_safe_folder_name(name in "\\PC{0,200}") {
            if let Some(s) = slug(&name) {
                prop_assert!(!s.is_empty() && s.len() <= MAX_SLUG_BYTES);
                prop_assert!(!s.starts_with('-') && !s.ends_with('-'));
                prop_assert!(!s.contains("--"));
                prop_assert!(!s.contains(['/', '\\', '.', '\0']), "{s:?}");
                prop_assert!(s.chars().next().is_some_and(char::is_alphanumeric));
            }
        }
    }
}

//! Writing a command's outputs: the `--output` and `--chart` files, or standard output.
//!
//! What a path names decides how it is written:
//! - a new file or an existing regular file is written to a temporary file in its folder and
//!   renamed over it, so it is either its old content or the complete new one; an existing
//!   file keeps its mode, and a read-only one (no write permission) is refused;
//! - a symbolic link is followed: the file it ends at is replaced in *its* folder, and the link
//!   stays a link;
//! - a character device (`/dev/null`, a terminal) or a FIFO is written to directly, and a
//!   failed write (a full device) is an error;
//! - the file that standard output already is (`/dev/stdout`) is written through standard
//!   output;
//! - a folder and a block device are refused, and so is a path that ends in `/` (or `/.`),
//!   which names a folder whether or not one is there.
//!
//! All files of a run are staged before any is replaced, and what cannot be staged (a device,
//! a FIFO, standard output) is written before any is: nothing is replaced unless every output
//! could be written, and a run interrupted by a signal before that point writes nothing. A
//! report folder written with the files ([`emit_with`]) is swapped in at that point too.

use crate::Failure;
use crate::interrupt;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use tcosim::error::InputError;
use tcosim::limits::io_problem;
use tcosim::report::folder::STAGING_MARK;

/// Most symbolic links followed to find the file a path names (as Linux's `ELOOP` limit).
const MAX_LINKS: usize = 40;

/// One file a command writes, named by the user with `flag`.
pub struct Out<'a> {
    pub flag: &'static str,
    pub path: &'a Path,
    pub bytes: &'a [u8],
}

/// How a target is written.
enum Kind {
    /// A regular file, new or existing, at this path (symbolic links resolved): replaced
    /// atomically by a rename in its folder.
    Replace(PathBuf),
    /// A character device, FIFO or socket: opened and written directly.
    Direct,
    /// The file standard output is: written through standard output.
    Stdout,
}

/// What makes two targets the same file.
#[derive(PartialEq, Eq)]
enum Identity {
    /// An existing file: its device and inode.
    Node(u64, u64),
    /// A file still to be created: its absolute path with its folder's links resolved.
    Path(PathBuf),
}

/// A target with how it is written and what it is.
struct Plan {
    kind: Kind,
    identity: Identity,
}

/// A file a command reads: what it is (`the scenario`) and its path.
pub type Input = (&'static str, PathBuf);

/// Checks, before any work is done, that every target can be written, that no two of them
/// are the same file, and that none is one of the `inputs` (an existing file, however either
/// path is spelled), which writing would destroy.
pub fn check(targets: &[(&'static str, &Path)], inputs: &[Input]) -> Result<(), InputError> {
    let plans = plan_all(targets)?;
    for ((flag, path), plan) in targets.iter().zip(&plans) {
        let same = inputs.iter().find(|(_, input)| {
            std::fs::metadata(input)
                .ok()
                .and_then(|m| node(&m))
                .as_ref()
                == Some(&plan.identity)
        });
        if let Some((what, input)) = same {
            return Err(InputError::new(
                path.display().to_string(),
                format!("{flag} and {what} name the same file"),
            )
            .expected(format!("a file for {flag} that this run does not read"))
            .found(format!("`{}` and `{}`", path.display(), input.display()))
            .hint(format!("choose another file for {flag}")));
        }
    }
    Ok(())
}

/// A chart path must end in `.svg` or `.png`.
pub fn check_chart_format(path: &Path) -> Result<(), InputError> {
    let shown = path.display().to_string();
    if matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("svg" | "png")
    ) {
        Ok(())
    } else {
        Err(InputError::new(&shown, "unknown chart format")
            .expected("a file name ending in `.svg` or `.png`")
            .found(format!("`{shown}`")))
    }
}

fn plan_all(targets: &[(&'static str, &Path)]) -> Result<Vec<Plan>, InputError> {
    let plans = targets
        .iter()
        .map(|(flag, path)| plan(path, flag))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, a) in plans.iter().enumerate() {
        for (j, b) in plans.iter().enumerate().skip(i + 1) {
            if a.identity == b.identity {
                let (flag_a, path_a) = targets[i];
                let (flag_b, path_b) = targets[j];
                return Err(InputError::new(
                    path_b.display().to_string(),
                    format!("{flag_a} and {flag_b} name the same file"),
                )
                .expected(format!("two different files for {flag_a} and {flag_b}"))
                .found(format!("`{}` and `{}`", path_a.display(), path_b.display()))
                .hint(format!("choose another file for {flag_b}")));
            }
        }
    }
    Ok(plans)
}

fn plan(path: &Path, flag: &str) -> Result<Plan, InputError> {
    let shown = path.display().to_string();
    let cannot = |found: String| {
        InputError::new(&shown, format!("cannot write the {flag} file"))
            .expected("a writable file in an existing folder")
            .found(found)
    };
    // `x.json/` names a folder, whatever is there: refused as such, rather than written as the
    // file `x.json` when it is new and refused in other words when it exists. An existing
    // folder is refused below as a folder.
    if let Some(ending) = folder_ending(path)
        && !path.is_dir()
    {
        let file = file_spelling(path);
        let error = InputError::new(
            &shown,
            format!("the {flag} path ends in `{ending}`, which names a folder"),
        )
        .expected(format!("a file path for {flag}, without a trailing `/`"))
        .found(format!("`{shown}`"));
        return Err(if file.is_empty() {
            error
        } else {
            error.hint(format!("to write the file, write `{file}`"))
        });
    }
    match std::fs::metadata(path) {
        Ok(meta) => {
            let kind = meta.file_type();
            if kind.is_dir() {
                return Err(
                    InputError::new(&shown, format!("the {flag} path is a folder"))
                        .expected(format!("a file path for {flag}"))
                        .found("a folder"),
                );
            }
            let identity = node(&meta).unwrap_or_else(|| Identity::Path(absolute(path)));
            if is_stdout(&meta) {
                return Ok(Plan {
                    kind: Kind::Stdout,
                    identity,
                });
            }
            if !kind.is_file() {
                if is_block_device(&kind) {
                    return Err(InputError::new(
                        &shown,
                        format!("the {flag} path is a block device"),
                    )
                    .expected(format!("a file, a FIFO or a character device for {flag}")));
                }
                return Ok(Plan {
                    kind: Kind::Direct,
                    identity,
                });
            }
            let real = std::fs::canonicalize(path).map_err(|e| cannot(io_problem(&e)))?;
            let writable = !meta.permissions().readonly()
                && std::fs::OpenOptions::new().write(true).open(&real).is_ok();
            if !writable {
                return Err(
                    InputError::new(&shown, format!("the {flag} file is read-only"))
                        .expected("a file that may be written")
                        .found(format!("`{}` without write permission", real.display()))
                        .hint(format!(
                            "make it writable (`chmod u+w`) or choose another file for {flag}"
                        )),
                );
            }
            Ok(Plan {
                kind: Kind::Replace(real),
                identity,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A new file, or a link to one: created where the last link points.
            let at = follow_links(path).map_err(|e| cannot(io_problem(&e)))?;
            let folder = folder_of(&at);
            let real_folder = match std::fs::metadata(folder) {
                Ok(m) if m.is_dir() => {
                    std::fs::canonicalize(folder).map_err(|e| cannot(io_problem(&e)))?
                }
                Ok(_) => {
                    return Err(InputError::new(
                        &shown,
                        format!(
                            "cannot write the {flag} file: `{}` is not a folder",
                            folder.display()
                        ),
                    )
                    .expected("a file in an existing folder")
                    .found(format!("`{}`, a file", folder.display())));
                }
                Err(_) => {
                    return Err(InputError::new(
                        &shown,
                        format!(
                            "cannot write the {flag} file: the folder `{}` does not exist",
                            folder.display()
                        ),
                    )
                    .expected("a file in an existing folder")
                    .found(format!("no folder `{}`", folder.display()))
                    .hint("create the folder first, or choose a file in an existing one"));
                }
            };
            let Some(name) = at.file_name() else {
                return Err(cannot(format!("`{shown}` is not a file name")));
            };
            let real = real_folder.join(name);
            Ok(Plan {
                identity: Identity::Path(real.clone()),
                kind: Kind::Replace(real),
            })
        }
        Err(e) => Err(cannot(io_problem(&e))),
    }
}

/// The file an `--output` flag names, or None for stdout: without the flag, or with `-`, which
/// names stdout as it does for most command-line tools.
pub fn file(output: Option<&Path>) -> Option<&Path> {
    output.filter(|p| p.as_os_str() != "-")
}

/// How `path` ends when, as written, it names a folder: `/` (a trailing separator) or `/.`;
/// `None` for a path that may name a file. (`Path` drops both when it splits a path into
/// components, so `x.json/` would otherwise be the file `x.json`.)
fn folder_ending(path: &Path) -> Option<&'static str> {
    let bytes = path.as_os_str().as_encoded_bytes();
    let separator = |b: &u8| std::path::is_separator(char::from(*b));
    match bytes {
        [.., last] if separator(last) => Some("/"),
        [.., before, b'.'] if separator(before) => Some("/."),
        _ => None,
    }
}

/// `path` without the trailing separators and `/.` that make it name a folder.
fn file_spelling(path: &Path) -> String {
    let mut text = path.display().to_string();
    loop {
        let trimmed = text
            .trim_end_matches(std::path::is_separator)
            .trim_end_matches("/.");
        if trimmed.len() == text.len() {
            return text;
        }
        text = trimmed.to_string();
    }
}

/// The path a chain of symbolic links starting at `path` ends at (`path` itself if it is not a
/// link); the end may not exist.
fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let to = std::fs::read_link(&at)?;
                at = folder_of(&at).join(to);
            }
            _ => return Ok(at),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(unix)]
fn node(meta: &std::fs::Metadata) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    Some(Identity::Node(meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn node(_meta: &std::fs::Metadata) -> Option<Identity> {
    None
}

#[cfg(unix)]
fn is_block_device(kind: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    kind.is_block_device()
}

#[cfg(not(unix))]
fn is_block_device(_kind: &std::fs::FileType) -> bool {
    false
}

/// Whether `meta` is the file standard output already writes to (`/dev/stdout`, or a file the
/// shell redirected it to), which is then written through standard output so that the shell's
/// `>` or `>>` applies.
#[cfg(unix)]
fn is_stdout(meta: &std::fs::Metadata) -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
        return false;
    };
    std::fs::File::from(fd)
        .metadata()
        .is_ok_and(|out| out.dev() == meta.dev() && out.ino() == meta.ino())
}

#[cfg(not(unix))]
fn is_stdout(_meta: &std::fs::Metadata) -> bool {
    false
}

/// Writes every file of `outputs` (see the module docs), and `text` to standard output if
/// given. Every regular file is staged first; nothing is replaced unless all are staged and
/// the rest (devices, standard output) written, and nothing at all is written once a signal has
/// asked the run to stop. The order is [`emit_with`]'s.
pub fn emit(outputs: &[Out], text: Option<&str>) -> Result<(), Failure> {
    emit_with(outputs, text, || Ok(()))
}

/// [`emit`] for a run that also writes an output of another kind, which `commit` writes
/// atomically (a report folder, which stages itself and is renamed into place). The order
/// keeps a failed run from writing anything new:
/// 1. every regular file of `outputs` is staged (nothing is replaced yet);
/// 2. the outputs that cannot be staged are written: devices, FIFOs, standard output (as a
///    target, and `text`);
/// 3. `commit` writes its output; if it fails, no staged file replaces its target;
/// 4. the staged files are renamed into place.
///
/// A failure before `commit` writes nothing of it; a signal before step 2 writes nothing at all.
pub fn emit_with(
    outputs: &[Out],
    text: Option<&str>,
    commit: impl FnOnce() -> Result<(), Failure>,
) -> Result<(), Failure> {
    let _writing = interrupt::Writing::start();
    let targets: Vec<(&'static str, &Path)> = outputs.iter().map(|o| (o.flag, o.path)).collect();
    let plans = plan_all(&targets)?;
    let mut staged = Vec::new();
    for (out, plan) in outputs.iter().zip(&plans) {
        if let Kind::Replace(real) = &plan.kind {
            staged.push((stage(out, real)?, real, out));
        }
    }
    interrupt::check()?;
    for (out, plan) in outputs.iter().zip(&plans) {
        match plan.kind {
            Kind::Direct => write_direct(out)?,
            Kind::Stdout => print(out.bytes)?,
            Kind::Replace(_) => {}
        }
    }
    if let Some(text) = text {
        print(text.as_bytes())?;
    }
    commit()?;
    for (tmp, real, out) in staged {
        tmp.persist(real)
            .map_err(|e| write_error(out, io_problem(&e.error)))?;
    }
    Ok(())
}

fn write_error(out: &Out, found: String) -> InputError {
    InputError::new(
        out.path.display().to_string(),
        format!("cannot write the {} file", out.flag),
    )
    .expected("a writable file in an existing folder")
    .found(found)
}

fn device_error(out: &Out, found: String) -> InputError {
    InputError::new(
        out.path.display().to_string(),
        format!("cannot write the {} file", out.flag),
    )
    .expected("a device or FIFO that takes the whole output")
    .found(found)
}

/// The bytes of `out` in a temporary file beside `real`, with the mode the file should have,
/// ready to replace it.
fn stage(out: &Out, real: &Path) -> Result<tempfile::NamedTempFile, InputError> {
    let fail = |e: std::io::Error| write_error(out, io_problem(&e));
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let short: String = name.chars().take(40).collect();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{short}{STAGING_MARK}"))
        .tempfile_in(folder_of(real))
        .map_err(fail)?;
    // Temporary files are private (0600): keep the mode of the file being replaced, or give a
    // new one the usual 0644.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(real)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(fail)?;
    }
    tmp.write_all(out.bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    Ok(tmp)
}

/// Writes `out` to a device or FIFO as it is (no temporary file, no rename).
fn write_direct(out: &Out) -> Result<(), InputError> {
    let fail = |e: std::io::Error| device_error(out, io_problem(&e));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(out.path)
        .map_err(fail)?;
    file.write_all(out.bytes).map_err(fail)?;
    file.flush().map_err(fail)
}

/// Writes `bytes` to stdout. A closed pipe (e.g. `| head`) is not an error of ours; any other
/// failure (a full disk) is.
pub fn print(bytes: &[u8]) -> Result<(), InputError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(InputError::new("standard output", "cannot write output").found(io_problem(&e)))
        }
        _ => Ok(()),
    }
}

/// Colour only for a terminal on stdout, not into a file, and never with `NO_COLOR`.
pub fn use_color(output: Option<&Path>) -> bool {
    output.is_none() && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

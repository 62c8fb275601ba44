//! The report folder rule: which existing folders `tcosim report` replaces (a report is marked by
//! its manifest, `.tcosim-report.json`), concurrent runs to one folder, leftovers of killed
//! runs, `..` in `--out`, and the default folder names of scenarios.

use crate::report::{CHARTS, contents, files_with};
use crate::support::{
    BASE, EXIT_INPUT, MANIFEST, Scratch, arg, edit, entries, leftovers, output, rejected, stderr,
    success, tcosim,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A small scenario: its reports are quick to write.
const STARTUP: &str = "scenarios/startup-finetune.toml";

/// Writes the report of `STARTUP` to `out` and returns `out`.
fn startup_report(out: &Path) -> PathBuf {
    success([
        arg("report"),
        arg(STARTUP),
        arg("--out"),
        arg(out),
        arg("-q"),
    ]);
    out.to_path_buf()
}

/// Every file under `dir` (recursively) with its bytes, and every folder, so that a comparison
/// sees any change.
fn tree(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Option<Vec<u8>>)>) {
        for entry in std::fs::read_dir(dir).expect("readable folder") {
            let path = entry.expect("entry").path();
            let name = path.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                out.push((name, None));
                walk(root, &path, out);
            } else if meta.file_type().is_symlink() {
                let to = std::fs::read_link(&path).unwrap();
                out.push((name, Some(to.display().to_string().into_bytes())));
            } else {
                out.push((name, Some(std::fs::read(&path).unwrap())));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Asserts that `report --out <out>` is refused (exit 2, the message names `needles`) and that
/// nothing under `parent` changed.
fn refused_without_change(parent: &Path, out: &Path, needles: &[&str]) -> String {
    let before = tree(parent);
    let err = rejected(
        &[arg("report"), arg(STARTUP), arg("--out"), arg(out)],
        needles,
    );
    assert!(
        tree(parent) == before,
        "a refused report changed {parent:?}"
    );
    err
}

/// An empty `--out` (a variable that was never set) is named as the flag, not as a file with
/// no name, and writes nothing.
#[test]
fn an_empty_folder_path_is_refused_naming_the_flag() {
    let scratch = Scratch::new();
    let before = tree(&scratch.path(""));
    let out = tcosim()
        .current_dir(scratch.path(""))
        .args([
            "report",
            &crate::support::repo().join(STARTUP).display().to_string(),
        ])
        .args(["--out", ""])
        .output()
        .expect("tcosim starts");
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: --out: an empty folder path\n")
            && err.contains("found: an empty path `''`"),
        "{err}"
    );
    assert!(
        tree(&scratch.path("")) == before,
        "a refused report wrote files"
    );
}

#[test]
fn a_folder_with_report_files_and_a_foreign_one_is_refused_and_kept_whole() {
    // A folder that looks like a report of an older version, plus someone's thesis.
    let scratch = Scratch::new();
    scratch.write("out/summary.json", "{}");
    scratch.write("out/index.html", "<html></html>");
    scratch.write("out/thesis.docx", "chapter one");
    let err = refused_without_change(
        scratch.dir.path(),
        &scratch.path("out"),
        &[MANIFEST, "not a tcosim report", "hint:", "--out"],
    );
    assert!(err.contains("`thesis.docx`"), "names what it found:\n{err}");
}

#[test]
fn a_report_written_before_manifests_is_refused_with_a_hint() {
    let scratch = Scratch::new();
    let out = startup_report(&scratch.path("old"));
    std::fs::remove_file(out.join(MANIFEST)).unwrap();
    let err = refused_without_change(
        scratch.dir.path(),
        &out,
        &[MANIFEST, "before report manifests", "hint:"],
    );
    assert!(err.contains("remove the old report yourself"), "{err}");
}

#[test]
fn a_report_with_a_file_it_did_not_write_is_refused_naming_the_file() {
    let scratch = Scratch::new();
    let out = startup_report(&scratch.path("report"));
    std::fs::write(out.join("thesis.docx"), "chapter one").unwrap();
    let err = refused_without_change(
        scratch.dir.path(),
        &out,
        &["`thesis.docx` is not a file of the report", "hint:"],
    );
    assert!(
        err.contains("choose another folder with `--out`, or move `thesis.docx` out of this one"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn a_report_with_a_subfolder_or_a_link_is_refused() {
    let scratch = Scratch::new();
    let out = startup_report(&scratch.path("report"));
    std::fs::create_dir(out.join("drafts")).unwrap();
    let err = refused_without_change(
        scratch.dir.path(),
        &out,
        &[
            "`drafts` is a folder",
            "found: `drafts`, a folder where tcosim writes only regular files",
        ],
    );
    assert!(!err.contains("does not list"), "{err}");
    std::fs::remove_dir(out.join("drafts")).unwrap();
    // A link named like a file of the report, which the manifest lists: the problem is the link.
    for name in ["report.md", "index.html"] {
        std::fs::remove_file(out.join(name)).unwrap();
        let elsewhere = scratch.write("mine.md", "my notes");
        std::os::unix::fs::symlink(&elsewhere, out.join(name)).unwrap();
        let manifest = std::fs::read_to_string(out.join(MANIFEST)).unwrap();
        assert!(manifest.contains(&format!("\"{name}\"")), "{manifest}");
        let problem = format!("`{name}` is a symbolic link");
        let found =
            format!("found: `{name}`, a symbolic link where tcosim writes only regular files");
        let err = refused_without_change(scratch.dir.path(), &out, &[&problem, &found]);
        assert!(!err.contains("does not list"), "{err}");
        assert_eq!(std::fs::read_to_string(elsewhere).unwrap(), "my notes");
        std::fs::remove_file(out.join(name)).unwrap();
        std::fs::write(out.join(name), "restored").unwrap();
    }
}

#[test]
fn a_manifest_that_is_not_ours_is_refused() {
    let scratch = Scratch::new();
    scratch.write(&format!("out/{MANIFEST}"), "{\"files\": [\"thesis.docx\"]}");
    scratch.write("out/thesis.docx", "chapter one");
    refused_without_change(
        scratch.dir.path(),
        &scratch.path("out"),
        &["is not a tcosim report manifest"],
    );
}

/// A report folder that holds the scenario being read is refused, also when a manifest lists
/// that file among the report's: replacing the folder would delete it.
#[test]
fn a_folder_that_holds_the_scenario_is_refused_whatever_its_manifest_lists() {
    let scratch = Scratch::new();
    let scenario = scratch.write("out/s.toml", BASE);
    scratch.write(
        &format!("out/{MANIFEST}"),
        "{\"tcosim_report\": 1, \"scenario\": {\"name\": \"test scenario\", \"source\": \"s.toml\"}, \"files\": [\"s.toml\"]}",
    );
    let out = scratch.path("out");
    let before = tree(scratch.dir.path());
    rejected(
        &[
            arg("report"),
            arg(&scenario),
            arg("--out"),
            arg(&out),
            arg("--samples"),
            arg("0"),
        ],
        &[
            "--out: the report folder holds the scenario that this command reads",
            "s.toml` in `",
            "hint: choose another folder with `--out`",
        ],
    );
    assert!(tree(scratch.dir.path()) == before, "nothing changed");
}

/// `replay --report` holds to the same rule: a folder that holds the trace it reads is refused
/// whatever its manifest lists, and nothing in it changes.
#[test]
fn a_replay_report_folder_that_holds_the_trace_is_refused() {
    let scratch = Scratch::new();
    let trace = scratch.write("out/jobs.csv", "submit,duration,gpus\n0,60,1\n");
    scratch.write(
        &format!("out/{MANIFEST}"),
        "{\"tcosim_report\": 1, \"scenario\": {\"name\": \"jobs\", \"source\": \"jobs.csv\"}, \"files\": [\"jobs.csv\"]}",
    );
    let out = scratch.path("out");
    let before = tree(scratch.dir.path());
    rejected(
        &[
            arg("replay"),
            arg(&trace),
            arg("--nodes"),
            arg("1"),
            arg("--report"),
            arg(&out),
        ],
        &[
            "--report: the report folder holds the trace that this command reads",
            "jobs.csv` in `",
            "hint: choose another folder with `--report`",
        ],
    );
    assert!(tree(scratch.dir.path()) == before, "nothing changed");
}

#[cfg(unix)]
#[test]
fn an_out_path_that_is_a_link_is_refused() {
    let scratch = Scratch::new();
    let real = startup_report(&scratch.path("real"));
    let link = scratch.path("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let err = refused_without_change(
        scratch.dir.path(),
        &link,
        &[
            "the report path is a symbolic link",
            "found: a symbolic link to `",
            "hint: name the folder itself with `--out` (a link is not followed, so that the \
             folder it points to is not replaced behind it)",
        ],
    );
    assert!(
        !err.contains("  folder"),
        "a run of spaces in the hint: {err}"
    );
}

/// A report folder whose files this user may not delete (mode 555 in a writable parent) is
/// refused before anything is written, and stays as it was. (It was once set aside, the new
/// report moved in, and the run then failed, leaving the old one in a hidden folder.) As root,
/// who may delete anything, the second run is made as the user `nobody` through `setpriv`.
#[cfg(unix)]
#[test]
fn a_report_folder_whose_files_cannot_be_deleted_is_refused_and_kept() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    let scratch = Scratch::new();
    mode(scratch.dir.path(), 0o777);
    let out = startup_report(&scratch.path("rep"));
    mode(&out, 0o555);
    let before = tree(scratch.dir.path());
    let tcosim = env!("CARGO_BIN_EXE_tcosim");
    let mut cmd = if std::fs::metadata(&out).unwrap().uid() == 0 {
        let mut as_nobody = std::process::Command::new("setpriv");
        as_nobody
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(tcosim);
        as_nobody
    } else {
        std::process::Command::new(tcosim)
    };
    cmd.current_dir(crate::support::repo()).env("NO_COLOR", "1");
    let result = cmd
        .args([arg("report"), arg(STARTUP), arg("--out"), arg(&out)])
        .output()
        .expect("tcosim starts");
    mode(&out, 0o755);
    assert_eq!(
        result.status.code(),
        Some(EXIT_INPUT),
        "{}",
        stderr(&result)
    );
    let err = stderr(&result);
    assert!(err.contains("its files cannot be deleted"), "{err}");
    assert!(err.contains("rep"), "{err}");
    assert!(tree(scratch.dir.path()) == before, "nothing changed");
}

#[test]
fn an_empty_folder_and_a_report_with_fewer_files_are_replaced() {
    let scratch = Scratch::new();
    std::fs::create_dir(scratch.path("empty")).unwrap();
    let out = startup_report(&scratch.path("empty"));
    let reference = contents(&out);
    assert_eq!(
        reference.keys().cloned().collect::<Vec<_>>(),
        files_with(&CHARTS)
    );
    // A reader deleted a chart: the folder is still a report.
    std::fs::remove_file(out.join("cost-breakdown.png")).unwrap();
    startup_report(&out);
    assert!(contents(&out) == reference, "the report is whole again");
    assert_eq!(entries(scratch.dir.path()), ["empty"]);
}

#[test]
fn the_manifest_names_the_scenario_and_lists_every_other_file() {
    let scratch = Scratch::new();
    let out = startup_report(&scratch.path("report"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(MANIFEST)).unwrap()).unwrap();
    assert_eq!(manifest["tcosim_report"], 1);
    assert_eq!(
        manifest["scenario"]["name"],
        "Start-up fine-tuning on 16 GPUs"
    );
    assert_eq!(manifest["scenario"]["source"], STARTUP);
    let mut listed: Vec<String> = manifest["files"]
        .as_array()
        .expect("a list of files")
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    listed.sort();
    let mut present = entries(&out);
    present.retain(|n| n != MANIFEST);
    assert_eq!(listed, present);
}

#[test]
fn eight_concurrent_reports_to_one_folder_leave_one_complete_report_and_no_debris() {
    let scratch = Scratch::new();
    let out = startup_report(&scratch.path("report"));
    let reference = contents(&out);
    let children: Vec<std::process::Child> = (0..8)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_tcosim"))
                .current_dir(crate::support::repo())
                .env("NO_COLOR", "1")
                .args([
                    arg("report"),
                    arg(STARTUP),
                    arg("--out"),
                    arg(&out),
                    arg("-q"),
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("tcosim starts")
        })
        .collect();
    for child in children {
        let run = child.wait_with_output().expect("tcosim ends");
        assert_eq!(
            run.status.code(),
            Some(0),
            "a concurrent report failed:\n{}",
            stderr(&run)
        );
        assert!(run.stderr.is_empty(), "{}", stderr(&run));
    }
    assert!(
        contents(&out) == reference,
        "the folder is one complete report"
    );
    assert_eq!(
        entries(scratch.dir.path()),
        ["report"],
        "no hidden leftovers"
    );
}

/// How long a report must keep waiting for a folder lock held by another: a debug build writes
/// the report of `STARTUP` in a few seconds, so one that did not wait would be done by then.
const LOCK_HELD: Duration = Duration::from_secs(10);

/// How long a report may take once the lock is free.
const FINISH_TIMEOUT: Duration = Duration::from_secs(60);

#[cfg(unix)]
#[test]
fn a_report_waits_while_another_run_holds_the_folder_lock() {
    let scratch = Scratch::new();
    let out = startup_report(&scratch.path("report"));
    let reference = contents(&out);
    // The lock every run takes on the parent folder around its swap.
    let lock = std::fs::File::open(scratch.dir.path()).unwrap();
    lock.lock().expect("lock the parent folder");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tcosim"))
        .current_dir(crate::support::repo())
        .args([
            arg("report"),
            arg(STARTUP),
            arg("--out"),
            arg(&out),
            arg("-q"),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tcosim starts");
    let start = Instant::now();
    while start.elapsed() < LOCK_HELD {
        if child.try_wait().unwrap().is_some() {
            panic!("the report did not wait for the folder lock");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        contents(&out) == reference,
        "the report changed under the lock"
    );
    drop(lock);
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < FINISH_TIMEOUT,
            "the report never finished"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let run = child.wait_with_output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(contents(&out) == reference);
    assert_eq!(
        entries(scratch.dir.path()),
        ["report"],
        "no hidden leftovers"
    );
}

#[test]
fn leftovers_of_killed_runs_are_removed_and_nothing_else() {
    let scratch = Scratch::new();
    let out = startup_report(&scratch.path("report"));
    let parent = scratch.dir.path();
    // A staging folder of a run killed while writing: a manifest and some of its files.
    let staged = parent.join(".report.tcosim-tmp-AbC123");
    std::fs::create_dir(&staged).unwrap();
    for name in [MANIFEST, "index.html", "report.md"] {
        std::fs::copy(out.join(name), staged.join(name)).unwrap();
    }
    // An empty one (killed right after it was made), and an old report set aside.
    std::fs::create_dir(parent.join(".report.tcosim-tmp-XyZ789")).unwrap();
    let aside = parent.join(".other.tcosim-tmp-QqQ000-old");
    std::fs::create_dir(&aside).unwrap();
    for (name, bytes) in contents(&out) {
        std::fs::write(aside.join(name), bytes).unwrap();
    }
    // Look-alikes that hold something else stay, as do other hidden entries.
    let foreign = parent.join(".report.tcosim-tmp-KeEp00");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    std::fs::write(parent.join(".notes"), "mine").unwrap();

    startup_report(&out);
    assert_eq!(
        entries(parent),
        [".notes", ".report.tcosim-tmp-KeEp00", "report"]
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn dot_dot_after_a_missing_folder_is_refused_and_creates_nothing() {
    let scratch = Scratch::new();
    let out = scratch.dir.path().join("ghost/../x");
    rejected(
        &[arg("report"), arg(STARTUP), arg("--out"), arg(&out)],
        &[
            "the report path steps out of a missing folder",
            "`..` after",
            "ghost",
        ],
    );
    assert!(
        entries(scratch.dir.path()).is_empty(),
        "created {:?}",
        entries(scratch.dir.path())
    );
    // After a folder that exists, `..` means what it says.
    std::fs::create_dir(scratch.path("here")).unwrap();
    startup_report(&scratch.dir.path().join("here/../x"));
    assert_eq!(entries(scratch.dir.path()), ["here", "x"]);
    assert!(entries(&scratch.path("here")).is_empty());
}

#[test]
fn missing_parent_folders_of_out_are_created() {
    let scratch = Scratch::new();
    let out = startup_report(&scratch.path("public/tco/latest"));
    assert_eq!(
        contents(&out).into_keys().collect::<Vec<_>>(),
        files_with(&CHARTS)
    );
    assert_eq!(entries(&scratch.path("public")), ["tco"]);
    assert_eq!(entries(&scratch.path("public/tco")), ["latest"]);
}

#[test]
fn a_parent_that_is_a_file_is_refused() {
    let scratch = Scratch::new();
    scratch.write("file", "not a folder");
    rejected(
        &[
            arg("report"),
            arg(STARTUP),
            arg("--out"),
            arg(&scratch.path("file/report")),
        ],
        &["cannot write the report folder: a part of its path is a file"],
    );
    assert_eq!(entries(scratch.dir.path()), ["file"]);
}

/// A report path that is not a folder is named for what it is: a file, or a device.
#[test]
fn a_report_path_that_is_not_a_folder_says_what_it_is() {
    let scratch = Scratch::new();
    let file = scratch.write("file", "mine");
    let mut cases = vec![(file.clone(), "the report path is a file, not a folder")];
    if cfg!(unix) {
        cases.push((
            PathBuf::from("/dev/null"),
            "the report path is a device, not a folder",
        ));
    }
    for (path, message) in cases {
        rejected(
            &[arg("report"), arg(STARTUP), arg("--out"), arg(&path)],
            &[message],
        );
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

/// Writes the report of a copy of `BASE` named `name` from the file `file` with the default
/// folder, in `scratch` as the working folder. Returns the run's output.
fn default_report(scratch: &Scratch, file: &str, name: &str) -> std::process::Output {
    let scenario = scratch.write(
        file,
        &edit(
            BASE,
            "name = \"test scenario\"",
            &format!("name = {name:?}"),
        ),
    );
    tcosim()
        .current_dir(scratch.dir.path())
        .args([arg("report"), arg(&scenario), arg("-q")])
        .output()
        .expect("tcosim starts")
}

/// The scenario name a report's manifest records.
fn manifest_name(dir: &Path) -> String {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(MANIFEST)).unwrap()).unwrap();
    manifest["scenario"]["name"].as_str().unwrap().to_string()
}

#[test]
fn default_folders_keep_letters_of_every_script_and_never_share_silently() {
    let scratch = Scratch::new();
    let cases = [
        ("ja.toml", "日本語", "日本語"),
        ("slashes.toml", "///", "slashes"),
        ("dots.toml", "..", "dots"),
        ("unicode.toml", "Ünïcødé Plän", "ünïcødé-plän"),
        ("plain.toml", "Test Scenario 2", "test-scenario-2"),
    ];
    for (file, name, _) in cases {
        let run = default_report(&scratch, file, name);
        assert_eq!(run.status.code(), Some(0), "{name}: {}", stderr(&run));
    }
    let reports = scratch.path("reports");
    let mut expected: Vec<&str> = cases.iter().map(|c| c.2).collect();
    expected.sort();
    assert_eq!(entries(&reports), expected);
    for (_, name, folder) in cases {
        assert_eq!(manifest_name(&reports.join(folder)), name);
    }
}

#[test]
fn a_default_folder_holding_another_scenarios_report_is_refused() {
    let scratch = Scratch::new();
    let first = default_report(&scratch, "a.toml", "Fleet A");
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let folder = scratch.path("reports/fleet-a");
    let before = contents(&folder);
    // Another scenario whose name gives the same folder.
    let other = default_report(&scratch, "b.toml", "fleet-a");
    assert_eq!(other.status.code(), Some(EXIT_INPUT), "{}", stderr(&other));
    let err = stderr(&other);
    for needle in [
        "reports/fleet-a: the default report folder holds the report of another scenario",
        "`Fleet A`",
        "hint: give this report its own folder with `--out`",
    ] {
        assert!(err.contains(needle), "`{needle}` in:\n{err}");
    }
    assert!(contents(&folder) == before, "the other report changed");
    // The same scenario again replaces its own report.
    let again = default_report(&scratch, "a.toml", "Fleet A");
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    // `--out` names the folder on purpose: any report in it may be replaced.
    let named = output([
        arg("report"),
        arg(&scratch.path("b.toml")),
        arg("--out"),
        arg(&folder),
        arg("-q"),
    ]);
    assert_eq!(named.status.code(), Some(0), "{}", stderr(&named));
    assert_eq!(manifest_name(&folder), "fleet-a");
    assert!(leftovers(&scratch.path("reports")).is_empty());
}

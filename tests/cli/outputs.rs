//! What `--output` and `--chart` write to: a regular file is replaced atomically, a symbolic
//! link is followed (the link stays), a device or FIFO is written directly (a full device is an
//! error), a read-only file is refused, the two flags may not name the same file, and neither
//! may name a file the run reads.

use crate::support::{
    BASE, EXIT_INPUT, SERVER_ROW, Scratch, arg, entries, leftovers, output, rejected, repo, stderr,
};
use std::ffi::OsStr;
use std::path::Path;

const STARTUP: &str = "scenarios/startup-finetune.toml";
const FLEET: &str = "scenarios/inference-fleet.toml";

/// `run STARTUP --format json` as printed on stdout.
fn startup_json() -> Vec<u8> {
    let out = output(["run", STARTUP, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    out.stdout
}

/// `tcosim run STARTUP --format json --output <path>`.
fn run_to(path: &Path) -> std::process::Output {
    output([
        arg("run"),
        arg(STARTUP),
        arg("--format"),
        arg("json"),
        arg("--output"),
        arg(path),
    ])
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_device_is_an_error_and_stays_a_device() {
    use std::os::unix::fs::FileTypeExt;
    let full = Path::new("/dev/full");
    if !full.exists() {
        return;
    }
    let run = run_to(full);
    assert_eq!(run.status.code(), Some(EXIT_INPUT), "{}", stderr(&run));
    let err = stderr(&run);
    for needle in [
        "/dev/full: cannot write the --output file",
        "no space left on the device",
    ] {
        assert!(err.contains(needle), "`{needle}` in:\n{err}");
    }
    let meta = std::fs::symlink_metadata(full).unwrap();
    assert!(meta.file_type().is_char_device(), "/dev/full was replaced");
}

#[cfg(target_os = "linux")]
#[test]
fn the_null_device_is_written_and_stays_a_device() {
    use std::os::unix::fs::FileTypeExt;
    let null = Path::new("/dev/null");
    let run = run_to(null);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(run.stdout.is_empty());
    let meta = std::fs::symlink_metadata(null).unwrap();
    assert!(meta.file_type().is_char_device(), "/dev/null was replaced");
}

/// `--output -` is standard output, for every command with `--output`, and writes no file
/// named `-`; `./-` is such a file.
#[test]
fn a_dash_is_standard_output() {
    let scratch = Scratch::new();
    // What a command that succeeds prints, run in the scratch folder.
    let run_in = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tcosim"))
            .current_dir(scratch.dir.path())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        out.stdout
    };
    let startup = repo().join(STARTUP);
    let startup = startup.to_str().unwrap();
    let fleet = repo().join(FLEET);
    let fleet = fleet.to_str().unwrap();
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["run", startup, "--format", "json", "--output", "-"],
            &["run", startup, "--format", "json"],
        ),
        (
            &["sensitivity", fleet, "-f", "csv", "-o", "-"],
            &["sensitivity", fleet, "-f", "csv"],
        ),
        (
            &["schema", "scenario", "--output", "-"],
            &["schema", "scenario"],
        ),
        (
            &["catalog", "list", "accelerators", "-o", "-"],
            &["catalog", "list", "accelerators"],
        ),
    ];
    for (with_dash, without) in cases {
        let (dash, plain) = (run_in(with_dash), run_in(without));
        assert!(!plain.is_empty());
        assert!(
            dash == plain,
            "{with_dash:?} printed what {without:?} prints"
        );
        assert!(
            entries(scratch.dir.path()).is_empty(),
            "{with_dash:?} wrote a file"
        );
    }
    assert!(run_in(&["run", startup, "--format", "json", "--output", "./-"]).is_empty());
    assert_eq!(entries(scratch.dir.path()), ["-"]);
    let json = run_in(&["run", startup, "--format", "json"]);
    assert!(std::fs::read(scratch.path("-")).unwrap() == json);
    // A report folder cannot be standard output (refused before any file is read).
    std::fs::remove_file(scratch.path("-")).unwrap();
    let folders: [&[&str]; 3] = [
        &["report", startup, "--out", "-"],
        &["report", startup, "--output", "-"],
        &["replay", "jobs.csv", "--nodes", "2", "--report", "-"],
    ];
    for args in folders {
        let refused = std::process::Command::new(env!("CARGO_BIN_EXE_tcosim"))
            .current_dir(scratch.dir.path())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(EXIT_INPUT), "{args:?}");
        assert!(
            stderr(&refused).contains("`-` is standard output, which cannot hold a report folder"),
            "{}",
            stderr(&refused)
        );
        assert!(
            entries(scratch.dir.path()).is_empty(),
            "{args:?} wrote nothing"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn dev_stdout_writes_to_standard_output() {
    let run = run_to(Path::new("/dev/stdout"));
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(
        run.stdout == startup_json(),
        "the output went to standard output"
    );
    // Standard output redirected to a file: that file gets the output, opened as the shell
    // opened it (here for appending), not replaced.
    let scratch = Scratch::new();
    let log = scratch.write("log.txt", "earlier line\n");
    let file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_tcosim"))
        .current_dir(crate::support::repo())
        .args([
            arg("run"),
            arg(STARTUP),
            arg("--format"),
            arg("json"),
            arg("--output"),
            arg("/dev/stdout"),
        ])
        .stdout(file)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let mut expected = b"earlier line\n".to_vec();
    expected.extend(startup_json());
    assert!(
        std::fs::read(&log).unwrap() == expected,
        "appended to log.txt"
    );
    assert_eq!(entries(scratch.dir.path()), ["log.txt"]);
}

#[cfg(unix)]
#[test]
fn a_fifo_is_written_to_and_stays_a_fifo() {
    use std::os::unix::fs::FileTypeExt;
    let scratch = Scratch::new();
    let fifo = scratch.path("pipe");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).expect("read the FIFO"))
    };
    let run = run_to(&fifo);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    // Checked before waiting for the reader, which would wait forever on a replaced FIFO.
    let meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(meta.file_type().is_fifo(), "the FIFO was replaced");
    let read = reader.join().unwrap();
    assert!(read == startup_json(), "the reader got the whole output");
    assert_eq!(entries(scratch.dir.path()), ["pipe"]);
}

#[cfg(unix)]
#[test]
fn a_link_is_followed_and_stays_a_link() {
    let scratch = Scratch::new();
    // The file lives in another folder; the link is relative.
    let real = scratch.write("data/result.json", "old");
    std::os::unix::fs::symlink("data/result.json", scratch.path("link.json")).unwrap();
    let run = run_to(&scratch.path("link.json"));
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let meta = std::fs::symlink_metadata(scratch.path("link.json")).unwrap();
    assert!(meta.file_type().is_symlink(), "the link stays a link");
    assert!(std::fs::read(&real).unwrap() == startup_json());
    // A link to a file that does not exist yet creates it where the link points.
    std::os::unix::fs::symlink("data/new.json", scratch.path("new-link.json")).unwrap();
    let run = run_to(&scratch.path("new-link.json"));
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(std::fs::read(scratch.path("data/new.json")).unwrap() == startup_json());
    assert!(
        std::fs::symlink_metadata(scratch.path("new-link.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        entries(scratch.dir.path()),
        ["data", "link.json", "new-link.json"]
    );
    assert_eq!(
        entries(&scratch.path("data")),
        ["new.json", "result.json"],
        "no temporary file left in the link's target folder"
    );
}

#[cfg(unix)]
#[test]
fn a_read_only_file_is_not_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new();
    let target = scratch.write("result.json", "keep me");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o444)).unwrap();
    let err = rejected(
        &[
            arg("run"),
            arg(STARTUP),
            arg("--format"),
            arg("json"),
            arg("--output"),
            arg(&target),
        ],
        &["the --output file is read-only", "result.json", "hint:"],
    );
    assert!(err.contains("chmod u+w"), "{err}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o444);
    assert_eq!(entries(scratch.dir.path()), ["result.json"]);
}

#[cfg(unix)]
#[test]
fn a_read_only_chart_is_not_replaced_and_nothing_else_is_written() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new();
    let chart = scratch.write("tornado.svg", "<svg/>");
    std::fs::set_permissions(&chart, std::fs::Permissions::from_mode(0o444)).unwrap();
    let table = scratch.path("table.txt");
    rejected(
        &[
            arg("sensitivity"),
            arg(FLEET),
            arg("--output"),
            arg(&table),
            arg("--chart"),
            arg(&chart),
        ],
        &["the --chart file is read-only"],
    );
    assert_eq!(std::fs::read_to_string(&chart).unwrap(), "<svg/>");
    assert_eq!(entries(scratch.dir.path()), ["tornado.svg"]);
}

#[test]
fn output_and_chart_may_not_name_the_same_file() {
    let scratch = Scratch::new();
    let earlier = "earlier table";
    let target = scratch.write("x.svg", earlier);
    for command in ["sensitivity", "sweep"] {
        // The same name, and the same file through `./`.
        let dotted = scratch.dir.path().join(".").join("x.svg");
        for chart in [target.as_path(), dotted.as_path()] {
            rejected(
                &[
                    OsStr::new(command),
                    OsStr::new(FLEET),
                    OsStr::new("--output"),
                    arg(&target),
                    OsStr::new("--chart"),
                    arg(chart),
                ],
                &[
                    "--output and --chart name the same file",
                    "hint: choose another file for --chart",
                ],
            );
        }
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), earlier);
    assert_eq!(entries(scratch.dir.path()), ["x.svg"]);
}

#[cfg(unix)]
#[test]
fn output_and_chart_may_not_name_the_same_file_through_a_link() {
    let scratch = Scratch::new();
    std::os::unix::fs::symlink("x.svg", scratch.path("y.svg")).unwrap();
    // Neither exists yet: the link still leads to the same new file.
    for command in ["sensitivity", "sweep"] {
        rejected(
            &[
                OsStr::new(command),
                OsStr::new(FLEET),
                OsStr::new("--output"),
                arg(&scratch.path("x.svg")),
                OsStr::new("--chart"),
                arg(&scratch.path("y.svg")),
            ],
            &["--output and --chart name the same file"],
        );
    }
    assert_eq!(entries(scratch.dir.path()), ["y.svg"]);
    assert!(leftovers(scratch.dir.path()).is_empty());
}

/// An `--output` that is a folder, in a folder that does not exist, or under a file, is refused
/// naming what the path really is.
#[test]
fn an_output_path_that_is_a_folder_or_in_no_folder_is_named_as_such() {
    let scratch = Scratch::new();
    let folder = scratch.path("out");
    std::fs::create_dir(&folder).unwrap();
    let err = rejected(
        &[arg("run"), arg(STARTUP), arg("--output"), arg(&folder)],
        &[
            "the --output path is a folder",
            "expected: a file path for --output",
            "found: a folder",
        ],
    );
    assert!(!err.contains("an existing file"), "{err}");
    let missing = scratch.path("nodir/x.json");
    rejected(
        &[arg("run"), arg(STARTUP), arg("--output"), arg(&missing)],
        &[
            "cannot write the --output file: the folder `",
            "nodir` does not exist",
            "found: no folder `",
            "hint: create the folder first",
        ],
    );
    let file = scratch.write("plain.txt", "text");
    let inside = file.join("x.json");
    rejected(
        &[arg("run"), arg(STARTUP), arg("--output"), arg(&inside)],
        &[
            "cannot write the --output file",
            "found: a part of the path is not a folder",
        ],
    );
    assert_eq!(entries(scratch.dir.path()), ["out", "plain.txt"]);
}

/// An `--output` that is a file the command reads (however it is spelled) is refused before
/// any work, naming both paths, and the input is left as it was: the scenario, a policy file,
/// a catalog file of `--catalog`, a profile of the scenario, a SkyPilot CSV being imported,
/// either side of a diff, and a replayed trace.
#[test]
fn an_output_may_not_replace_a_file_the_run_reads() {
    let scratch = Scratch::new();
    let scenario = scratch.write("s.toml", BASE);
    let policy = scratch.write(
        "p.toml",
        "[[policy]]\nname = \"a\"\noption = \"own\"\nmetric = \"pv_cost\"\nmax = 1e12\n",
    );
    let servers = scratch.write("cat/servers.toml", SERVER_ROW);
    let catalog = scratch.path("cat");
    let fleet_text = std::fs::read_to_string(repo().join(FLEET)).unwrap();
    let fleet = scratch.write("fleet.toml", &fleet_text);
    let profile_text =
        std::fs::read_to_string(repo().join("scenarios/profiles/inference-diurnal.csv")).unwrap();
    let profile = scratch.write("profiles/inference-diurnal.csv", &profile_text);
    let vms = scratch.write(
        "vms.csv",
        "InstanceType,AcceleratorName,AcceleratorCount,Price,SpotPrice,Region\n\
         p5.48xlarge,H100,8,98.32,40,us-east-1\n",
    );
    let trace = scratch.write("jobs.csv", "submit,duration,gpus\n0,10,1\n");
    let result = scratch.path("r.json");
    let ran = output([
        arg("run"),
        arg(&scenario),
        arg("--format"),
        arg("json"),
        arg("--output"),
        arg(&result),
    ]);
    assert_eq!(ran.status.code(), Some(0), "{}", stderr(&ran));
    let dotted = scratch.dir.path().join(".").join("s.toml");
    let s = scenario.as_os_str();
    let cases: Vec<(Vec<&OsStr>, &Path, &str)> = vec![
        (vec![arg("run"), s], &dotted, "the scenario"),
        (
            vec![arg("run"), s, arg("--policy"), arg(&policy)],
            &policy,
            "a policy file",
        ),
        (
            vec![arg("run"), s, arg("--catalog"), arg(&catalog)],
            &servers,
            "a catalog file",
        ),
        (
            vec![arg("sweep"), arg(&fleet)],
            &profile,
            "a profile of the scenario",
        ),
        (
            vec![arg("sensitivity"), arg(&fleet)],
            &fleet,
            "the scenario",
        ),
        (
            vec![
                arg("catalog"),
                arg("import"),
                arg("skypilot"),
                arg(&vms),
                arg("--provider"),
                arg("aws"),
            ],
            &vms,
            "the SkyPilot catalog",
        ),
        (vec![arg("diff"), s, arg(&result)], &result, "a JSON result"),
        (vec![arg("diff"), arg(&result), s], &dotted, "the scenario"),
        (
            vec![arg("replay"), arg(&trace), arg("--nodes"), arg("1")],
            &trace,
            "the trace",
        ),
    ];
    let before = |p: &Path| std::fs::read(p).unwrap();
    for (args, target, what) in cases {
        let kept = before(target);
        let mut full = args.clone();
        full.extend([arg("--output"), arg(target)]);
        rejected(
            &full,
            &[
                &format!("--output and {what} name the same file"),
                &format!("found: `{}` and `", target.display()),
                "hint: choose another file for --output",
            ],
        );
        assert!(before(target) == kept, "{what} was changed by {args:?}");
    }
    assert!(leftovers(scratch.dir.path()).is_empty());
}

/// A link to an input is the input.
#[cfg(unix)]
#[test]
fn an_output_through_a_link_may_not_replace_the_scenario() {
    let scratch = Scratch::new();
    let scenario = scratch.write("s.toml", BASE);
    let link = scratch.path("link.toml");
    std::os::unix::fs::symlink("s.toml", &link).unwrap();
    rejected(
        &[arg("run"), arg(&scenario), arg("--output"), arg(&link)],
        &["--output and the scenario name the same file"],
    );
    assert_eq!(std::fs::read_to_string(&scenario).unwrap(), BASE);
}

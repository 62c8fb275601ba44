//! Conventions of a modern command line: completion scripts and manual pages generated from
//! the command-line definition, and one name for the output flag in every command.

use crate::support::{Scratch, arg, entries, output, rejected, stderr, success};
use std::ffi::OsStr;

/// The subcommands `--help` lists.
const COMMANDS: [&str; 12] = [
    "run",
    "validate",
    "report",
    "sensitivity",
    "sweep",
    "diff",
    "replay",
    "schema",
    "catalog",
    "init",
    "completions",
    "man",
];

#[test]
fn completion_scripts_know_every_command_and_flag() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = success(["completions", shell]);
        for command in COMMANDS {
            assert!(script.contains(command), "{shell}: no `{command}`");
        }
        for flag in ["samples", "policy", "catalog", "format"] {
            assert!(script.contains(flag), "{shell}: no `{flag}`");
        }
    }
    let out = output(["completions", "nosh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("possible values"));
}

#[test]
fn the_manual_has_a_page_for_tcosim_and_each_command() {
    let page = success(["man"]);
    assert!(
        page.starts_with(".ie"),
        "roff expected:\n{}",
        &page[..page.len().min(200)]
    );
    assert!(page.contains(".TH tcosim 1"));
    for command in COMMANDS {
        assert!(
            page.contains(&format!(".TH tcosim-{command} 1")),
            "no page for `{command}`"
        );
    }
    assert!(page.contains("policy"));
}

/// `report --output DIR` is `report --out DIR`: the same folder, the same files.
#[test]
fn report_takes_output_like_every_other_command() {
    let dir = Scratch::new();
    for (flag, name) in [("--out", "a"), ("--output", "b"), ("-o", "c")] {
        let folder = dir.path(name);
        let out = output([
            OsStr::new("report"),
            OsStr::new(flag),
            arg(&folder),
            OsStr::new("--quiet"),
        ]);
        assert_eq!(out.status.code(), Some(0), "{flag}: {}", stderr(&out));
        assert!(folder.join("report.md").is_file(), "{flag}");
    }
    let a = std::fs::read_to_string(dir.path("a").join("summary.json")).expect("a");
    let b = std::fs::read_to_string(dir.path("b").join("summary.json")).expect("b");
    assert_eq!(a, b);
}

/// Every preset of `tcosim init` runs as written, from a folder of its own; stdout without a
/// file or with `-`; an existing file is refused unless `--force`.
#[test]
fn init_writes_starters_that_run_as_written() {
    let dir = Scratch::new();
    for preset in ["enterprise", "startup", "inference"] {
        let file = dir.path(&format!("{preset}.toml"));
        let out = output([
            OsStr::new("init"),
            OsStr::new("--preset"),
            OsStr::new(preset),
            arg(&file),
        ]);
        assert_eq!(out.status.code(), Some(0), "{preset}: {}", stderr(&out));
        let text = std::fs::read_to_string(&file).expect("written");
        assert!(text.starts_with(&format!(
            "# A starter scenario from `tcosim init --preset {preset}`"
        )));
        success([OsStr::new("run"), arg(&file), OsStr::new("--quiet")]);
        success([OsStr::new("validate"), arg(&file)]);
        // As written: no warning, and the baseline serves its demand, so savings against it
        // compare (the inference starter's built-in profile peaks higher than the example's
        // hours and is sized for it).
        let out = output([
            OsStr::new("run"),
            arg(&file),
            OsStr::new("--format"),
            OsStr::new("json"),
        ]);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(stderr(&out), "", "{preset}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let baseline = doc["options"]
            .as_array()
            .expect("options")
            .iter()
            .find(|o| o["name"] == doc["baseline"])
            .expect("the baseline");
        assert_eq!(baseline["serves_demand"], true, "{preset}");
        if preset == "inference" {
            // The comments' figures: the first month with unmet work and the unmet shares.
            let option = |name: &str| {
                doc["options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|o| o["name"] == name)
                    .expect(name)
                    .clone()
            };
            let first_unmet = |o: &serde_json::Value| {
                o["monthly"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|m| m["unmet_gpu_hours"].as_f64().unwrap() > 0.0)
                    .map(|m| m["month"].as_u64().unwrap())
            };
            let share = |o: &serde_json::Value| {
                format!("{:.2}%", o["unmet_share"].as_f64().unwrap() * 100.0)
            };
            let l40s = option("own-l40s");
            assert_eq!(first_unmet(&l40s), Some(111));
            assert!(
                text.contains(&format!("then {} unmet", share(&l40s))),
                "{}",
                share(&l40s)
            );
            let l4 = option("own-l4");
            assert!(
                text.contains(&format!("; {} unmet", share(&l4))),
                "{}",
                share(&l4)
            );
        }
    }
    let printed = success(["init"]);
    assert_eq!(
        printed,
        std::fs::read_to_string(dir.path("enterprise.toml")).expect("written")
    );
    // `-` is standard output, as for `--output`: printed, and no file named `-` written.
    let dashed = std::process::Command::new(env!("CARGO_BIN_EXE_tcosim"))
        .current_dir(dir.dir.path())
        .args(["init", "-"])
        .output()
        .unwrap();
    assert_eq!(dashed.status.code(), Some(0), "{}", stderr(&dashed));
    assert_eq!(String::from_utf8(dashed.stdout).unwrap(), printed);
    assert!(!dir.path("-").exists(), "init - wrote no file named `-`");
    // A device is written to, not refused as an existing file.
    #[cfg(unix)]
    assert!(success(["init", "/dev/null"]).is_empty());
    let existing = dir.path("startup.toml");
    let out = output([OsStr::new("init"), arg(&existing)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the file exists"));
    assert!(
        std::fs::read_to_string(&existing)
            .expect("kept")
            .contains("--preset startup"),
        "the existing file is left as it was"
    );
    let out = output([OsStr::new("init"), arg(&existing), OsStr::new("--force")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&existing)
            .expect("replaced")
            .contains("--preset enterprise")
    );
}

/// `tcosim init` names its file argument as `--help` shows it, `[FILE]`, and says what is wrong
/// with the path: a folder (with or without `--force`), a folder that does not exist, a full
/// device.
#[test]
fn init_names_what_is_wrong_with_its_file() {
    let dir = Scratch::new();
    let folder = dir.path("starters");
    std::fs::create_dir(&folder).unwrap();
    for force in [false, true] {
        let mut args = vec![OsStr::new("init"), arg(&folder)];
        if force {
            args.push(OsStr::new("--force"));
        }
        let err = rejected(
            &args,
            &[
                "the [FILE] path is a folder",
                "expected: a file path for [FILE]",
                "found: a folder",
            ],
        );
        assert!(
            !err.contains("an existing file") && !err.contains("the FILE"),
            "--force {force}: {err}"
        );
        assert!(entries(&folder).is_empty(), "nothing written in the folder");
    }
    let missing = dir.path("nodir/x.toml");
    let err = rejected(
        &[OsStr::new("init"), arg(&missing)],
        &[
            "cannot write the [FILE] file: the folder `",
            "nodir` does not exist",
            "found: no folder `",
        ],
    );
    assert!(!err.contains("the FILE file"), "{err}");
    assert!(!dir.path("nodir").exists());
    #[cfg(target_os = "linux")]
    if std::path::Path::new("/dev/full").exists() {
        let err = rejected(
            &[
                OsStr::new("init"),
                OsStr::new("--force"),
                OsStr::new("/dev/full"),
            ],
            &[
                "/dev/full: cannot write the [FILE] file",
                "no space left on the device",
            ],
        );
        assert!(!err.contains("--output"), "init has no --output: {err}");
    }
}

/// `-` as the scenario reads it from standard input: the same figures as the file, messages
/// name `<stdin>`, its paths are taken from the current folder, and standard input is read
/// only once.
#[test]
fn a_scenario_of_dash_is_read_from_standard_input() {
    use crate::support::{EXIT_INPUT, repo, tcosim};
    let fleet = std::fs::read_to_string(repo().join("scenarios/inference-fleet.toml"))
        .expect("the fleet reads");
    let scenarios = repo().join("scenarios");
    // `tcosim ARGS` run in `dir` with `input` on standard input.
    let piped = |dir: &std::path::Path, args: &[&str], input: &[u8]| {
        tcosim()
            .current_dir(dir)
            .args(args)
            .write_stdin(input.to_vec())
            .output()
            .expect("tcosim starts")
    };
    let from_file = piped(
        &scenarios,
        &["run", "--format", "csv", "-q", "inference-fleet.toml"],
        b"",
    );
    let from_stdin = piped(
        &scenarios,
        &["run", "--format", "csv", "-q", "-"],
        fleet.as_bytes(),
    );
    assert!(from_stdin.status.success(), "{}", stderr(&from_stdin));
    assert!(!from_file.stdout.is_empty());
    assert_eq!(from_stdin.stdout, from_file.stdout);

    // Its profile is taken from the current folder: from the repository root it is not there.
    let elsewhere = piped(repo(), &["validate", "-"], fleet.as_bytes());
    assert_eq!(elsewhere.status.code(), Some(EXIT_INPUT));
    let message = stderr(&elsewhere);
    assert!(message.contains("<stdin>:22:11:"), "{message}");
    assert!(
        message.contains("profiles/inference-diurnal.csv"),
        "{message}"
    );
    assert!(
        message
            .contains("hint: a scenario on standard input reads its paths from the current folder"),
        "{message}"
    );

    let checked = piped(&scenarios, &["validate", "-"], fleet.as_bytes());
    assert!(checked.status.success(), "{}", stderr(&checked));
    let verdict = String::from_utf8_lossy(&checked.stdout);
    assert!(verdict.starts_with("ok: <stdin>: scenario ("), "{verdict}");

    let twice = piped(&scenarios, &["validate", "-", "-"], fleet.as_bytes());
    assert_eq!(twice.status.code(), Some(EXIT_INPUT));
    assert!(stderr(&twice).contains("standard input is read only once"));
    let both = piped(&scenarios, &["diff", "-", "-"], fleet.as_bytes());
    assert_eq!(both.status.code(), Some(EXIT_INPUT));
    assert!(stderr(&both).contains("`-` for both"), "{}", stderr(&both));

    let compared = piped(
        &scenarios,
        &["diff", "inference-fleet.toml", "-"],
        fleet.as_bytes(),
    );
    assert!(compared.status.success(), "{}", stderr(&compared));
    assert!(String::from_utf8_lossy(&compared.stdout).contains("inference-fleet.toml → <stdin>"));

    // A JSON result on standard input is a side of a diff too.
    let result = crate::support::success([
        "run",
        "--format",
        "json",
        "-q",
        "scenarios/inference-fleet.toml",
    ]);
    let against = piped(
        &scenarios,
        &["diff", "inference-fleet.toml", "-"],
        result.as_bytes(),
    );
    assert!(against.status.success(), "{}", stderr(&against));
    let report = String::from_utf8_lossy(&against.stdout);
    assert!(
        report.contains("figures only: `<stdin>` is a JSON result"),
        "{report}"
    );

    // Bad text on standard input is refused as a file's would be.
    let bad = piped(repo(), &["run", "-"], b"\xff\xfe");
    assert_eq!(bad.status.code(), Some(EXIT_INPUT));
    assert!(stderr(&bad).contains("<stdin>:1:1: the file is not UTF-8 text"));
    assert!(bad.stdout.is_empty());
}

//! A file destination written with a trailing `/` (or `/.`) names a folder: every command
//! refuses it with the same message, whether or not a file of that name exists, and writes
//! nothing (instead of writing the file without the `/` when it is new).

use crate::support::{Scratch, arg, entries, rejected};
use std::ffi::OsStr;

const STARTUP: &str = "scenarios/startup-finetune.toml";

#[test]
fn a_file_path_ending_in_a_slash_is_refused_by_every_command() {
    let s = Scratch::new();
    let trace = s.write("t.csv", "submit,duration,gpus\n0,10,1\n");
    let existing = s.write("existing.json", "mine\n");
    let starter = s.write("existing.toml", "# mine\n");
    let slashed = |name: &str| format!("{}/", s.path(name).display());
    let (new_json, new_toml) = (slashed("new.json"), slashed("new.toml"));
    let (old_json, old_toml) = (slashed("existing.json"), slashed("existing.toml"));
    let dotted = format!("{}/.", s.path("new.json").display());
    let chart = slashed("chart.svg");
    let cases: Vec<(Vec<&OsStr>, &str, &str)> = vec![
        (
            vec![arg("run"), arg(STARTUP), arg("--output"), arg(&new_json)],
            "--output",
            "/",
        ),
        (
            vec![arg("run"), arg(STARTUP), arg("--output"), arg(&old_json)],
            "--output",
            "/",
        ),
        (
            vec![arg("run"), arg(STARTUP), arg("--output"), arg(&dotted)],
            "--output",
            "/.",
        ),
        (vec![arg("init"), arg(&new_toml)], "[FILE]", "/"),
        (
            vec![arg("init"), arg("--force"), arg(&old_toml)],
            "[FILE]",
            "/",
        ),
        (
            vec![
                arg("schema"),
                arg("scenario"),
                arg("--output"),
                arg(&new_json),
            ],
            "--output",
            "/",
        ),
        (
            vec![
                arg("sensitivity"),
                arg(STARTUP),
                arg("--chart"),
                arg(&chart),
            ],
            "--chart",
            "/",
        ),
        (
            vec![
                arg("replay"),
                arg(&trace),
                arg("--nodes"),
                arg("1"),
                arg("--output"),
                arg(&new_json),
            ],
            "--output",
            "/",
        ),
    ];
    for (args, flag, ending) in cases {
        let path = args.last().unwrap().to_string_lossy().to_string();
        let file = path.trim_end_matches('.').trim_end_matches('/');
        let needles = [
            format!("error: {path}: the {flag} path ends in `{ending}`, which names a folder"),
            format!("expected: a file path for {flag}, without a trailing `/`"),
            format!("found: `{path}`"),
            format!("hint: to write the file, write `{file}`"),
        ];
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        rejected(&args, &needles);
    }
    assert_eq!(
        entries(s.dir.path()),
        ["existing.json", "existing.toml", "t.csv"],
        "a refused path was written"
    );
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "mine\n");
    assert_eq!(std::fs::read_to_string(&starter).unwrap(), "# mine\n");
    // An existing folder is refused as a folder, with or without the slash; without a slash a
    // new file is written.
    std::fs::create_dir(s.path("folder")).unwrap();
    for folder in [s.path("folder"), s.path("folder/")] {
        rejected(
            &[arg("run"), arg(STARTUP), arg("--output"), arg(&folder)],
            &["the --output path is a folder", "found: a folder"],
        );
    }
    crate::support::success([
        arg("run"),
        arg(STARTUP),
        arg("--output"),
        arg(&s.path("new.json")),
    ]);
    assert!(s.path("new.json").is_file());
}

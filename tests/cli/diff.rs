//! `tcosim diff` (README "tcosim diff"): per-option changes that equal the difference of two
//! runs, drivers whose contributions add up to them, figures-only diffs of JSON results, git
//! revisions, the Markdown comment, and the exit codes.

use crate::support::{
    BASE, Scratch, arg, edit, output, rejected, repo, stderr, stdout, success, tcosim,
};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Contributions are sums of 2^k PV differences of a few hundred thousand: far below a cent.
const SUM_TOLERANCE: f64 = 1e-9;

/// BASE with a price (the staff salary of `own`) and a server count (of `mix`) changed.
fn changed() -> String {
    let text = edit(
        BASE,
        "servers = 2\nsite = \"us-tx-colo\"",
        "servers = 2\nsite = \"us-tx-colo\"\nstaff_fte_fixed = 0.5\nstaff_salary_per_year = 200000",
    );
    edit(&text, "servers = 1", "servers = 3")
}

fn old_text() -> String {
    edit(
        BASE,
        "servers = 2\nsite = \"us-tx-colo\"",
        "servers = 2\nsite = \"us-tx-colo\"\nstaff_fte_fixed = 0.5\nstaff_salary_per_year = 150000",
    )
}

fn json_of(args: &[&OsStr]) -> Value {
    let out = output(args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("JSON")
}

fn pv(run: &Value, name: &str) -> f64 {
    run["options"]
        .as_array()
        .expect("options")
        .iter()
        .find(|o| o["name"] == name)
        .expect(name)["pv_cost"]
        .as_f64()
        .expect("pv_cost")
}

fn option<'a>(diff: &'a Value, name: &str) -> &'a Value {
    diff["options"]
        .as_array()
        .expect("options")
        .iter()
        .find(|o| o["name"] == name)
        .expect(name)
}

#[test]
fn per_option_changes_are_the_differences_of_two_runs_and_the_drivers_add_up() {
    let dir = Scratch::new();
    let old = dir.write("old.toml", &old_text());
    let new = dir.write("new.toml", &changed());
    let d = json_of(&[
        OsStr::new("diff"),
        arg(&old),
        arg(&new),
        OsStr::new("--format"),
        OsStr::new("json"),
    ]);
    let run = |p: &Path| json_of(&[OsStr::new("run"), arg(p), OsStr::new("-f"), arg("json")]);
    let (a, b) = (run(&old), run(&new));
    assert_eq!(d["schema_version"], 1);
    assert_eq!(d["winner"]["old"], a["verdict"]["winner"]);
    assert_eq!(d["winner"]["new"], b["verdict"]["winner"]);
    let drivers = d["drivers"].as_array().expect("drivers");
    let names: Vec<&str> = drivers
        .iter()
        .map(|x| x["input"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "option[own].owned.staff_salary_per_year",
            "option[mix].owned.servers"
        ]
    );
    assert_eq!(drivers[1]["old"], "1");
    assert_eq!(drivers[1]["new"], "3");
    assert_eq!(drivers[1]["section"], "option mix");
    for name in ["own", "rent", "mix"] {
        let change = pv(&b, name) - pv(&a, name);
        let figures = &option(&d, name)["figures"]["pv_cost"];
        assert_eq!(figures["old"].as_f64(), Some(pv(&a, name)));
        assert_eq!(figures["new"].as_f64(), Some(pv(&b, name)));
        assert_eq!(figures["change"].as_f64(), Some(change));
        let sum: f64 = drivers
            .iter()
            .map(|x| x["contributions"][name].as_f64().expect("a contribution"))
            .sum();
        assert!(
            (sum - change).abs() <= SUM_TOLERANCE * change.abs().max(1.0),
            "{name}: contributions {sum} against the change {change}"
        );
    }
    // Each change moves only its own option.
    assert_eq!(drivers[0]["contributions"]["mix"], 0.0);
    assert_eq!(drivers[1]["contributions"]["own"], 0.0);
    assert_eq!(drivers[0]["contributions"]["rent"], 0.0);
    assert_eq!(d["attribution"]["method"], "shapley_over_inputs");
    // Each option runs alone over the inputs that can move it: 2 + 1 + 2.
    assert_eq!(d["attribution"]["evaluations"], 5);
}

#[test]
fn json_results_are_compared_by_their_figures_only() {
    let dir = Scratch::new();
    let old = dir.write("old.toml", &old_text());
    let new = dir.write("new.toml", &changed());
    let (a, b) = (dir.path("old.json"), dir.path("new.json"));
    for (scenario, result) in [(&old, &a), (&new, &b)] {
        let out = output([
            OsStr::new("run"),
            arg(scenario),
            OsStr::new("--format"),
            OsStr::new("json"),
            OsStr::new("--output"),
            arg(result),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let from_json = json_of(&[OsStr::new("diff"), arg(&a), arg(&b), arg("-f"), arg("json")]);
    let from_toml = json_of(&[
        OsStr::new("diff"),
        arg(&old),
        arg(&new),
        arg("-f"),
        arg("json"),
    ]);
    assert_eq!(from_json["drivers"], Value::Null);
    assert_eq!(from_json["options"], from_toml["options"]);
    assert_eq!(from_json["winner"], from_toml["winner"]);
    let notes = from_json["notes"].to_string();
    assert!(notes.contains("figures only"), "{notes}");
    let table = stdout(&output([OsStr::new("diff"), arg(&a), arg(&b)]));
    assert!(table.contains("Note: figures only"), "{table}");
    // A result of schema version 2 (before purchases, cloud generations and the after-tax
    // view) compares the same; version 1 is refused.
    let text = std::fs::read_to_string(&a).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    doc["schema_version"] = serde_json::json!(2);
    let v2 = dir.write("v2.json", &doc.to_string());
    let from_v2 = json_of(&[
        OsStr::new("diff"),
        arg(&v2),
        arg(&b),
        arg("-f"),
        arg("json"),
    ]);
    assert_eq!(from_v2["options"], from_json["options"]);
    doc["schema_version"] = serde_json::json!(1);
    let v1 = dir.write("v1.json", &doc.to_string());
    let out = output([OsStr::new("diff"), arg(&v1), arg(&b)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("schema_version 1"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_markdown_comment_has_a_headline_details_and_mermaid_charts() {
    let dir = Scratch::new();
    let old = dir.write("old.toml", &old_text());
    let new = dir.write("new.toml", &changed());
    let md = stdout(&output([
        OsStr::new("diff"),
        arg(&old),
        arg(&new),
        OsStr::new("--format"),
        OsStr::new("markdown"),
    ]));
    let first = md.lines().next().expect("a first line");
    assert!(
        first.starts_with("**") && first.contains("cheapest") && first.contains("PV"),
        "{first}"
    );
    assert!(md.contains("### Drivers"), "{md}");
    assert!(md.contains("option[mix].owned.servers"), "{md}");
    assert!(
        md.contains("<details><summary>") && md.contains("</details>"),
        "{md}"
    );
    assert!(md.contains("```mermaid\n%%{init"), "{md}");
    assert!(md.contains("\nxychart-beta\n"), "{md}");
    assert_eq!(
        md.matches("\n    line [").count(),
        6,
        "two lines per option"
    );
}

#[test]
fn a_broken_policy_of_the_new_run_exits_1_after_writing() {
    let dir = Scratch::new();
    let old = dir.write("old.toml", &old_text());
    let new = dir.write(
        "new.toml",
        &format!("{}\n[[policy]]\nname = \"tiny budget\"\noption = \"mix\"\nmetric = \"pv_cost\"\nmax = 1\n", changed()),
    );
    let out = output([
        OsStr::new("diff"),
        arg(&old),
        arg(&new),
        OsStr::new("-f"),
        OsStr::new("markdown"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("### Policies of the new run"));
    assert!(stdout(&out).contains("BROKEN"));
    assert!(
        stderr(&out).contains("policy `tiny budget` broken"),
        "{}",
        stderr(&out)
    );
    // The same policy from a file, against a new scenario without it.
    let plain = dir.write("plain.toml", &changed());
    let policy = dir.write(
        "policy.toml",
        "[[policy]]\nname = \"tiny budget\"\noption = \"mix\"\nmetric = \"pv_cost\"\nmax = 1\n",
    );
    let out = output([
        OsStr::new("diff"),
        arg(&old),
        arg(&plain),
        OsStr::new("--policy"),
        arg(&policy),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn missing_files_are_bad_input() {
    let dir = Scratch::new();
    let old = dir.write("old.toml", &old_text());
    let missing = dir.path("missing.toml");
    rejected(
        &[OsStr::new("diff"), arg(&old), arg(&missing)],
        &["missing.toml"],
    );
    rejected(
        &[OsStr::new("diff"), arg(&missing), arg(&old)],
        &["missing.toml"],
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn a_git_revision_is_read_through_git_show() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let dir = Scratch::new();
    let root = dir.dir.path();
    git(root, &["init", "-q"]);
    // A relative profile path: read from the working tree's folder of PATH.
    let hourly = (0..8760)
        .map(|h| format!("{}\n", 1 + h % 3))
        .collect::<String>();
    dir.write("scenarios/profiles/p.csv", &hourly);
    let with_profile =
        |text: String| text.replace("profile = \"flat\"", "profile = \"profiles/p.csv\"");
    dir.write("scenarios/s.toml", &with_profile(old_text()));
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "old"]);
    dir.write("scenarios/s.toml", &with_profile(changed()));
    git(root, &["commit", "-q", "-am", "new"]);

    let run = |args: &[&str]| {
        tcosim()
            .current_dir(root)
            .args(args)
            .output()
            .expect("tcosim starts")
    };
    let out = run(&[
        "diff",
        "HEAD~1:scenarios/s.toml",
        "scenarios/s.toml",
        "-f",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let d: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let inputs: Vec<&str> = d["drivers"]
        .as_array()
        .expect("drivers")
        .iter()
        .map(|x| x["input"].as_str().unwrap())
        .collect();
    assert_eq!(
        inputs,
        [
            "option[own].owned.staff_salary_per_year",
            "option[mix].owned.servers"
        ]
    );
    assert_eq!(d["old"]["source"], "HEAD~1:scenarios/s.toml");
    // From a subfolder, `REV:./PATH` is relative to it.
    let out = tcosim()
        .current_dir(root.join("scenarios"))
        .args(["diff", "HEAD~1:./s.toml", "HEAD:./s.toml"])
        .output()
        .expect("tcosim starts");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = run(&["diff", "no-such-rev:scenarios/s.toml", "scenarios/s.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot read the file at that git revision"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());

    // A "revision" that git would take for an option of its own (here one that writes a
    // file) is refused before git runs.
    let out = run(&["diff", "--", "--output=written:x", "scenarios/s.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a git revision"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("starts with `-`"), "{}", stderr(&out));
    assert!(!root.join("written").exists(), "git wrote a file");
}

#[test]
fn csv_has_one_row_per_option_and_figure_and_the_table_names_the_drivers() {
    let dir = Scratch::new();
    let old = dir.write("old.toml", &old_text());
    let new = dir.write("new.toml", &changed());
    let csv = stdout(&output([
        OsStr::new("diff"),
        arg(&old),
        arg(&new),
        OsStr::new("--format"),
        OsStr::new("csv"),
    ]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "option,status,currency,figure,old,new,change,change_relative"
    );
    assert_eq!(lines.len(), 1 + 3 * 6, "{csv}");
    assert!(lines[1].starts_with("own,changed,USD,pv_cost,"), "{csv}");
    let table = stdout(&output([OsStr::new("diff"), arg(&old), arg(&new)]));
    assert!(table.contains("Winner"), "{table}");
    assert!(
        table.contains("Drivers of the PV changes (Shapley values over 2 changed inputs)"),
        "{table}"
    );
    assert!(table.contains("option[mix].owned.servers"), "{table}");
}

#[test]
fn policies_need_a_scenario_as_new() {
    let dir = Scratch::new();
    let old = dir.write("old.toml", &old_text());
    let result = dir.path("new.json");
    let out = output([
        OsStr::new("run"),
        arg(&old),
        OsStr::new("-f"),
        OsStr::new("json"),
        OsStr::new("-o"),
        arg(&result),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let policy = dir.write(
        "policy.toml",
        "[[policy]]\nname = \"budget\"\noption = \"mix\"\nmetric = \"pv_cost\"\nmax = 1\n",
    );
    rejected(
        &[
            OsStr::new("diff"),
            arg(&old),
            arg(&result),
            OsStr::new("--policy"),
            arg(&policy),
        ],
        &["policies need a scenario to check"],
    );
}

/// The drivers of `tcosim diff OLD NEW` in `format`, run from the repository root.
fn diff_text(old: &Path, new: &Path, format: &str) -> String {
    let out = output([
        OsStr::new("diff"),
        arg(old),
        arg(new),
        OsStr::new("--format"),
        OsStr::new(format),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

/// Asserts that every output of the diff shows `old` → `new` for `input`, and no value in the
/// Rust forms of the model (`Share(0.6)`, `Lease { … }`).
fn shows_values(old: &Path, new: &Path, input: &str, old_value: &str, new_value: &str) {
    let json: Value = serde_json::from_str(&diff_text(old, new, "json")).expect("JSON");
    let drivers = json["drivers"].as_array().expect("drivers");
    let row = drivers
        .iter()
        .find(|d| d["input"] == input)
        .unwrap_or_else(|| panic!("{input} in {drivers:?}"));
    assert_eq!(row["old"], old_value);
    assert_eq!(row["new"], new_value);
    for format in ["table", "markdown", "json"] {
        let text = diff_text(old, new, format);
        if format != "json" {
            assert!(text.contains(input), "{format}: {text}");
            assert!(text.contains(old_value), "{format}: {text}");
            assert!(text.contains(new_value), "{format}: {text}");
        }
        for debug in [
            "{ ",
            "Share(",
            "Gpus(",
            "Lease",
            "Loan",
            "Table",
            "StraightLine",
        ] {
            assert!(!text.contains(debug), "{format} shows `{debug}`: {text}");
        }
    }
    for d in drivers {
        for side in ["old", "new"] {
            let v = d[side].as_str().expect("a value as text");
            assert!(!v.contains('{') && !v.contains('('), "{v}");
        }
    }
}

/// An example scenario with `from` replaced by `to`, written next to a copy of its profiles.
fn example_edited(dir: &Scratch, example: &str, name: &str, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("scenarios").join(example)).expect("example");
    let profile = "profiles/inference-diurnal.csv";
    let csv = std::fs::read_to_string(repo().join("scenarios").join(profile)).expect("profile");
    dir.write(profile, &csv);
    dir.write(name, &text.replace(from, to))
}

#[test]
fn a_changed_commitment_shows_the_keys_a_scenario_sets() {
    let dir = Scratch::new();
    let old = repo().join("scenarios/inference-fleet.toml");
    let new = example_edited(
        &dir,
        "inference-fleet.toml",
        "new.toml",
        "committed_share = 0.6",
        "committed_gpus = 40",
    );
    shows_values(
        &old,
        &new,
        "option[aws-l40s-committed].cloud.commitment",
        "committed_share = 0.6",
        "committed_gpus = 40",
    );
}

#[test]
fn a_lease_turned_loan_shows_rate_term_and_residual() {
    let dir = Scratch::new();
    let old = repo().join("scenarios/startup-finetune.toml");
    let lease =
        "financing = { kind = \"lease\", annual_rate = 0.09, term_months = 36, residual = 0.2 }";
    let new = example_edited(
        &dir,
        "startup-finetune.toml",
        "new.toml",
        lease,
        "financing = { kind = \"loan\", annual_rate = 0.08, term_months = 36 }",
    );
    shows_values(
        &old,
        &new,
        "option[own-2-hgx].owned.financing",
        "lease at 9% for 36 months, residual 0.2",
        "loan at 8% for 36 months",
    );
    let down = example_edited(
        &dir,
        "startup-finetune.toml",
        "down.toml",
        lease,
        "financing = { kind = \"cash\" }",
    );
    shows_values(
        &old,
        &down,
        "option[own-2-hgx].owned.financing",
        "lease at 9% for 36 months, residual 0.2",
        "cash",
    );
}

#[test]
fn a_changed_depreciation_shows_the_policy_ids() {
    let dir = Scratch::new();
    let old = repo().join("scenarios/inference-fleet.toml");
    let new = example_edited(
        &dir,
        "inference-fleet.toml",
        "new.toml",
        "depreciation = \"macrs-5y\"",
        "depreciation = \"straight-line-5y\"",
    );
    shows_values(
        &old,
        &new,
        "option[own-l4].owned.depreciation",
        "macrs-5y",
        "straight-line-5y",
    );
}

/// With more than ten changed inputs the drivers are grouped by section; a section of one
/// changed input says `1 input`.
#[test]
fn a_group_of_one_input_is_counted_in_the_singular() {
    let dir = Scratch::new();
    let old = repo().join("scenarios/inference-fleet.toml");
    let text = std::fs::read_to_string(&old).expect("example");
    // 6 depreciations (owned and tax, 3 options), 3 salaries, the discount rate, one growth.
    let text = text
        .replace(
            "depreciation = \"macrs-5y\"",
            "depreciation = \"straight-line-5y\"",
        )
        .replace(
            "staff_salary_per_year = 170000",
            "staff_salary_per_year = 180000",
        )
        .replace("discount_rate = 0.09", "discount_rate = 0.08")
        .replace("growth_per_year = 0.08", "growth_per_year = 0.1");
    let csv = std::fs::read_to_string(repo().join("scenarios/profiles/inference-diurnal.csv"))
        .expect("profile");
    dir.write("profiles/inference-diurnal.csv", &csv);
    let new = dir.write("new.toml", &text);
    let table = diff_text(&old, &new, "table");
    assert!(
        table.contains("Shapley values over 5 sections, as 11 inputs changed"),
        "{table}"
    );
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("│ {name} ")))
            .unwrap_or_else(|| panic!("{name}: {table}"))
            .to_string()
    };
    assert!(row("scenario").contains(" 1 input ┆"), "{table}");
    assert!(
        row("workload chat inference").contains(" 1 input ┆"),
        "{table}"
    );
    assert!(row("option own-l4").contains(" 3 inputs ┆"), "{table}");
}

#[test]
fn a_json_file_is_read_as_a_result_whatever_it_holds() {
    // A `.json` file that is not an object is not a TOML scenario either: the message says what
    // a result needs, not what TOML expected.
    let dir = Scratch::new();
    let bad = dir.write("old.json", "[1");
    rejected(
        &[
            OsStr::new("diff"),
            arg(&bad),
            OsStr::new("scenarios/inference-fleet.toml"),
        ],
        &["old.json: not a JSON result of `tcosim run --format json`"],
    );
}

/// A JSON result is held to what a run writes, as a scenario is: a name with a control
/// character (it would reach the terminal or a CSV file), an option named twice (the second
/// would be dropped) and a figure no run can reach (its change would not be a number) are
/// refused, naming the file and the key.
#[test]
fn a_json_result_is_checked_as_a_scenario_is() {
    let dir = Scratch::new();
    let scenario = dir.write("s.toml", BASE);
    let good = dir.path("good.json");
    let out = output([
        OsStr::new("run"),
        arg(&scenario),
        OsStr::new("--format"),
        OsStr::new("json"),
        OsStr::new("--output"),
        arg(&good),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&good).unwrap()).unwrap();
    let edited = |name: &str, edit: &dyn Fn(&mut Value)| {
        let mut d = doc.clone();
        edit(&mut d);
        dir.write(name, &d.to_string())
    };
    let cases = [
        (
            edited("ctrl.json", &|d| {
                d["options"][1]["name"] = "a\u{1b}]0;title\u{7}\u{1b}[31mred".into();
            }),
            vec![
                "ctrl.json: `name` holds the control character `U+001B`",
                "key: `options[1].name`",
            ],
        ),
        (
            edited("dup.json", &|d| d["options"][2]["name"] = "own".into()),
            vec![
                "dup.json: duplicate option name `own`",
                "key: `options[2].name`",
                "first at options[0].name",
            ],
        ),
        (
            edited("huge.json", &|d| {
                d["options"][0]["pv_cost"] = (-1.7e308).into()
            }),
            vec![
                "huge.json: `pv_cost` is out of range",
                "key: `options[0].pv_cost`",
                "found: -1.7e308",
            ],
        ),
    ];
    for (bad, needles) in &cases {
        for format in ["table", "csv", "json"] {
            let err = rejected(
                &[
                    OsStr::new("diff"),
                    arg(&good),
                    arg(bad),
                    OsStr::new("--format"),
                    OsStr::new(format),
                ],
                needles,
            );
            assert!(!err.contains('\u{1b}'), "{err}");
        }
    }
    success([OsStr::new("diff"), arg(&good), arg(&good)]);
}

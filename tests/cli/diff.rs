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

/// A JSON result's months are read as the run adds them, after tax in the after-tax view: the
/// Markdown charts of cumulative cost are those of the scenario itself (they once left the tax
/// out when read from JSON).
#[test]
fn an_after_tax_result_charts_the_same_cumulative_costs_as_its_scenario() {
    let dir = Scratch::new();
    let scenario = repo().join("scenarios/us-tax-depreciation.toml");
    let result = run_result(&dir, &scenario, "tax.json");
    let lines = |side: &Path| -> Vec<String> {
        let md = stdout(&output([
            OsStr::new("diff"),
            arg(side),
            arg(side),
            OsStr::new("--format"),
            OsStr::new("markdown"),
        ]));
        md.lines()
            .filter(|l| l.trim_start().starts_with("line ["))
            .map(str::to_string)
            .collect()
    };
    let from_toml = lines(&scenario);
    assert_eq!(from_toml.len(), 6, "two lines per option");
    assert_eq!(lines(&result), from_toml);
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
        &[
            "old.json:1:2: not a JSON result of `tcosim run --format json`",
            "found: invalid JSON: EOF while parsing a list",
        ],
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
            edited("winner.json", &|d| d["verdict"]["winner"] = "nope".into()),
            vec![
                "winner.json: `winner` is not as `tcosim run --format json` writes it",
                "key: `verdict.winner`",
                "found: `nope`",
            ],
        ),
        (
            edited("unnamed.json", &|d| d["options"][0]["name"] = "".into()),
            vec!["unnamed.json: `name` is empty", "key: `options[0].name`"],
        ),
        (
            edited("noscenario.json", &|d| {
                d.as_object_mut().unwrap().remove("scenario");
            }),
            vec!["key: `scenario`", "found: no `scenario`"],
        ),
        (
            edited("short.json", &|d| {
                d["options"][1]["monthly"].as_array_mut().unwrap().pop();
            }),
            vec!["key: `options[1].monthly`", "rows"],
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

/// Largest scenario file (README "Limits").
const SCENARIO_LIMIT: u64 = 8 << 20;
/// Largest JSON result `diff` reads (README "Limits").
const RESULT_LIMIT: u64 = 1 << 30;

/// `scenario` run with `--format json --output NAME` in `dir`.
fn run_result(dir: &Scratch, scenario: &Path, name: &str) -> PathBuf {
    let result = dir.path(name);
    let out = output([
        OsStr::new("run"),
        arg(scenario),
        OsStr::new("--format"),
        OsStr::new("json"),
        OsStr::new("--output"),
        arg(&result),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    result
}

/// A result that `run` writes above the 8 MiB of a scenario file (20 options over 600 months)
/// is read by `diff` as the JSON result it is: it was refused as "the scenario file is too
/// large". Its figures are those of the scenario it came from.
#[test]
fn a_large_json_result_that_run_writes_is_read_by_diff() {
    let dir = Scratch::new();
    let more: String = (0..17)
        .map(|i| {
            format!(
                "\n[[option]]\nname = \"rent{i}\"\nkind = \"cloud\"\noffer = \"aws-p5.48xlarge-us-east-1\"\n"
            )
        })
        .collect();
    let text = edit(BASE, "horizon_months = 24", "horizon_months = 600") + &more;
    let scenario = dir.write("big.toml", &text);
    let result = run_result(&dir, &scenario, "big.json");
    let size = std::fs::metadata(&result).expect("the result").len();
    assert!(
        size > SCENARIO_LIMIT,
        "the result should be larger than a scenario may be: {size} bytes"
    );
    let d = json_of(&[
        OsStr::new("diff"),
        arg(&scenario),
        arg(&result),
        OsStr::new("--format"),
        OsStr::new("json"),
    ]);
    let options = d["options"].as_array().expect("options");
    assert_eq!(options.len(), 20);
    for o in options {
        assert_eq!(o["status"], "changed");
        let figures = o["figures"].as_object().expect("figures");
        assert_eq!(figures.len(), 6);
        for (key, f) in figures {
            assert_eq!(f["old"], f["new"], "{}: {key}", o["name"]);
            if key != "cost_per_gpu_hour" {
                assert!(f["old"].is_number(), "{}: {key}", o["name"]);
            }
        }
    }
}

/// A file of exactly `len` bytes that starts with `start` and holds no data after it (a sparse
/// file: nothing is written, so that a file above a limit costs no time).
fn sparse(dir: &Scratch, name: &str, start: &str, len: u64) -> PathBuf {
    let path = dir.write(name, start);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_len(len))
        .expect("a sparse file");
    path
}

/// A JSON result has a limit of its own, far above a scenario's: whether named `.json`, opening
/// with `{` under another name, or read from a git revision. A scenario keeps its 8 MiB, and a
/// file beyond the result's limit is refused from its size, naming a JSON result.
#[test]
fn json_results_have_their_own_size_limit() {
    let dir = Scratch::new();
    let scenario = dir.write("s.toml", BASE);
    let good = run_result(&dir, &scenario, "good.json");
    let text = std::fs::read_to_string(&good).expect("the result");
    // The same result after 9 MiB of white space, which JSON allows.
    let padding = " \n".repeat((9 << 20) / 2);
    let padded = format!("{text}{padding}");
    assert!(padded.len() as u64 > SCENARIO_LIMIT);
    let named = dir.write("padded.json", &padded);
    let unnamed = dir.write("padded.result", &padded);
    let diff_json = |old: &Path| {
        json_of(&[
            OsStr::new("diff"),
            arg(old),
            arg(&good),
            OsStr::new("-f"),
            OsStr::new("json"),
        ])
    };
    let plain = diff_json(&good);
    for side in [&named, &unnamed] {
        let d = diff_json(side);
        assert_eq!(d["options"], plain["options"], "{}", side.display());
        assert_eq!(d["winner"], plain["winner"]);
    }

    // Beyond the result's limit: refused from its size (the file holds no data to read).
    let needles = |name: &str| {
        [
            format!("{name}: the JSON result is too large"),
            "expected: at most 1,073,741,824 bytes (1024 MiB)".to_string(),
            "found: 1,073,741,825 bytes".to_string(),
        ]
    };
    for (name, start) in [("huge.json", ""), ("huge.result", "{\n")] {
        let huge = sparse(&dir, name, start, RESULT_LIMIT + 1);
        let needles = needles(name);
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        rejected(&[OsStr::new("diff"), arg(&huge), arg(&good)], &needles);
    }
    // A scenario keeps its limit, as does a large file that does not open a JSON object.
    let big_toml = dir.write(
        "big.toml",
        &format!("{}{BASE}", "# padding\n".repeat(900_000)),
    );
    let nothing = sparse(&dir, "nothing.result", "", SCENARIO_LIMIT + 1);
    for big in [&big_toml, &nothing] {
        rejected(
            &[OsStr::new("diff"), arg(big), arg(&good)],
            &[
                "the scenario file is too large",
                "expected: at most 8,388,608 bytes (8 MiB)",
            ],
        );
    }

    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("skipped the git part: git is not installed");
        return;
    }
    let root = dir.dir.path();
    git(root, &["init", "-q"]);
    git(root, &["add", "padded.json", "big.toml"]);
    git(root, &["commit", "-q", "-m", "large files"]);
    let in_repo = |old: &str| {
        tcosim()
            .current_dir(root)
            .args(["diff", old, "good.json", "-f", "json"])
            .output()
            .expect("tcosim starts")
    };
    let out = in_repo("HEAD:padded.json");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let d: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(d["options"], plain["options"]);
    let out = in_repo("HEAD:big.toml");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    for needle in [
        "HEAD:big.toml: the scenario file is too large",
        "expected: at most 8,388,608 bytes (8 MiB)",
        "found: more than 8,388,608 bytes",
    ] {
        assert!(stderr(&out).contains(needle), "{needle}: {}", stderr(&out));
    }
}

/// The pv_cost row of `option` in the CSV of a diff: old, new, change, change_relative.
fn csv_pv_row(csv: &str, option: &str) -> Vec<String> {
    let prefix = format!("{option},changed,USD,pv_cost,");
    let line = csv
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{prefix} in\n{csv}"));
    line[prefix.len()..].split(',').map(String::from).collect()
}

/// The Change [%] cell of `option`'s PV row in the diff's table.
fn table_pv_percent(table: &str, option: &str) -> String {
    let row = table
        .lines()
        .find(|l| l.contains(&format!(" {option} ")) && l.contains("PV cost"))
        .unwrap_or_else(|| panic!("the PV row of {option} in\n{table}"));
    let cells: Vec<&str> = row.split(['│', '┆']).map(str::trim).collect();
    cells[cells.len() - 2].to_string()
}

/// A change from a negligible old value has no percentage, as one from 0 has none: an old value
/// below 1e-6 counts as 0, and one below a millionth of the new value gives no percentage.
/// Before, 5e-324 gave `+n/a`, 1e-300 a percentage of 308 digits (1.6e306 in JSON), and CSV
/// wrote 5e-324 out to 325 characters.
#[test]
fn a_change_from_a_negligible_value_has_no_percentage() {
    let dir = Scratch::new();
    let scenario = dir.write("s.toml", BASE);
    let good = run_result(&dir, &scenario, "good.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&good).unwrap()).unwrap();
    // The winner, `mix`, from a negligible PV: the headline gives the change without a
    // percentage, and does not call an option new that was there before.
    assert_eq!(doc["verdict"]["winner"], "mix");
    let mut d = doc.clone();
    d["options"][2]["pv_cost"] = serde_json::json!(1e-300);
    let old = dir.write("old-winner.json", &d.to_string());
    let markdown = diff_text(&old, &good, "markdown");
    assert!(markdown.contains("its PV rose by +"), "{markdown}");
    assert!(markdown.contains("from about 0"), "{markdown}");
    assert!(!markdown.contains("new in this change"), "{markdown}");
    assert_eq!(doc["options"][0]["name"], "own");
    let new_pv = pv(&doc, "own");
    assert!(new_pv > 1e5, "{new_pv}");
    // (old PV of `own`, counted as, relative change expected)
    let negligible = new_pv / 2e6;
    let small = new_pv / 5e5;
    let cases: [(f64, f64, Option<f64>); 6] = [
        (5e-324, 0.0, None),
        (1e-300, 0.0, None),
        (9e-7, 0.0, None),
        (negligible, negligible, None),
        (small, small, Some((new_pv - small) / small)),
        (-small, -small, Some((new_pv + small) / small)),
    ];
    for (k, (old_pv, counted, relative)) in cases.into_iter().enumerate() {
        let mut d = doc.clone();
        d["options"][0]["pv_cost"] = serde_json::json!(old_pv);
        let old = dir.write(&format!("old{k}.json"), &d.to_string());
        let what = format!("old PV {old_pv:e}");
        // JSON: the old value as counted, the change from it, and a percentage only from a base.
        let json: Value = serde_json::from_str(&diff_text(&old, &good, "json")).expect("JSON");
        let f = &option(&json, "own")["figures"]["pv_cost"];
        assert_eq!(f["old"].as_f64(), Some(counted), "{what}");
        assert_eq!(f["new"].as_f64(), Some(new_pv), "{what}");
        assert_eq!(f["change"].as_f64(), Some(new_pv - counted), "{what}");
        assert_eq!(f["change_relative"].as_f64(), relative, "{what}");
        // Table and Markdown: `n/a` without a sign, or the percentage to one decimal.
        let shown = match relative {
            None => "n/a".to_string(),
            Some(r) => format!("+{:.1}%", r * 100.0),
        };
        let table = diff_text(&old, &good, "table");
        assert_eq!(table_pv_percent(&table, "own"), shown, "{what}\n{table}");
        let markdown = diff_text(&old, &good, "markdown");
        // The comment's summary: Option, PV old, PV new, PV change, PV change [%], ...
        let summary = markdown
            .lines()
            .find(|l| l.starts_with("| own | "))
            .unwrap_or_else(|| panic!("the summary row of own in\n{markdown}"));
        assert_eq!(
            summary.split(" | ").nth(4),
            Some(shown.as_str()),
            "{what}: {summary}"
        );
        for text in [&table, &markdown] {
            assert!(!text.contains("+n/a"), "{what}\n{text}");
        }
        // CSV: the same numbers, none spelt out to hundreds of digits.
        let csv = diff_text(&old, &good, "csv");
        let row = csv_pv_row(&csv, "own");
        let number = |cell: &str| cell.parse::<f64>().ok();
        assert_eq!(number(&row[0]), Some(counted), "{what}: {row:?}");
        assert_eq!(number(&row[1]), Some(new_pv), "{what}: {row:?}");
        assert_eq!(number(&row[3]), relative, "{what}: {row:?}");
        for cell in csv.lines().flat_map(|l| l.split(',')) {
            assert!(
                cell.len() <= 40,
                "{what}: a cell of {} characters",
                cell.len()
            );
        }
    }
}

/// 1-based line and column of the first character after `offset` in `text` that is not a
/// space.
fn position_after(text: &str, offset: usize) -> (usize, usize) {
    let at = offset + text[offset..].len() - text[offset..].trim_start_matches(' ').len();
    let line_start = text[..at].rfind('\n').map_or(0, |p| p + 1);
    (
        text[..at].matches('\n').count() + 1,
        text[line_start..at].chars().count() + 1,
    )
}

/// A key written twice in an object of a JSON result is refused at its line and column,
/// naming its path, wherever it is (serde_json kept the later value): in a figure diff reads,
/// in a monthly row, and in a part diff does not read.
#[test]
fn a_key_written_twice_in_a_json_result_is_refused() {
    // The options of the document, not those of its verdict.
    const TOP_OPTIONS: &str = "\n  \"options\": [";
    let dir = Scratch::new();
    let scenario = dir.write("s.toml", BASE);
    let good = run_result(&dir, &scenario, "good.json");
    let text = std::fs::read_to_string(&good).unwrap();
    // `text` with `line` inserted, at the indent of the line it goes before: the first line
    // that starts with `before`, after each of `anchors` in turn. Returns the new text and
    // the offset of the inserted line.
    let insert = |anchors: &[&str], before: &str, line: &str| -> (String, usize) {
        let mut at = 0;
        for anchor in anchors {
            at += text[at..]
                .find(anchor)
                .unwrap_or_else(|| panic!("{anchor}"));
        }
        let mut pos = at + text[at..].find('\n').expect("a line break") + 1;
        while !text[pos..].trim_start_matches(' ').starts_with(before) {
            pos += text[pos..].find('\n').unwrap_or_else(|| panic!("{before}")) + 1;
        }
        let indent: String = text[pos..].chars().take_while(|c| *c == ' ').collect();
        (
            format!("{}{indent}{line}\n{}", &text[..pos], &text[pos..]),
            pos,
        )
    };
    let next_line = |t: &str, pos: usize| pos + t[pos..].find('\n').unwrap() + 1;
    // (file, text, the key, its path, the offset of the line of the second one)
    let mut cases = Vec::new();
    // A second `pv_cost` right after the first.
    let (t, pos) = insert(
        &[TOP_OPTIONS, "\"name\": \"own\""],
        "\"total_cost\"",
        "\"pv_cost\": 1.0,",
    );
    cases.push(("pv.json", t, "pv_cost", "options[0].pv_cost", pos));
    // In the first monthly row of `mix`: the row's own `co2_t` comes second.
    let (t, pos) = insert(
        &[TOP_OPTIONS, "\"name\": \"mix\"", "\"monthly\": ["],
        "\"co2_t\"",
        "\"co2_t\": 1.0,",
    );
    let second = next_line(&t, pos);
    cases.push((
        "month.json",
        t,
        "co2_t",
        "options[2].monthly[0].co2_t",
        second,
    ));
    // In the breakdown of `rent`, which diff does not read.
    let (t, pos) = insert(
        &[TOP_OPTIONS, "\"name\": \"rent\""],
        "\"breakdown\"",
        "\"breakdown\": {},",
    );
    let second = next_line(&t, pos);
    cases.push((
        "breakdown.json",
        t,
        "breakdown",
        "options[1].breakdown",
        second,
    ));
    for (name, text, key, path, offset) in &cases {
        assert!(
            text[*offset..]
                .trim_start()
                .starts_with(&format!("\"{key}\""))
        );
        let bad = dir.write(name, text);
        let (line, column) = position_after(text, *offset);
        rejected(
            &[OsStr::new("diff"), arg(&bad), arg(&good)],
            &[
                &format!("{name}:{line}:{column}: duplicate key `{key}`"),
                &format!("key: `{path}`"),
                &format!("found: a second `{key}` here"),
            ],
        );
    }
    // A key with a control character is shown escaped.
    let twice = dir.write("ctrl.json", "{\"a\\u001b\": 1, \"a\\u001b\": 2}");
    let err = rejected(
        &[OsStr::new("diff"), arg(&twice), arg(&good)],
        &["ctrl.json:1:", "duplicate key `a\\u{1b}`"],
    );
    assert!(!err.contains('\u{1b}'), "{err}");
}

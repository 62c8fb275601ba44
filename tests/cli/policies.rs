//! Policies (README "Policies"): thresholds on reported figures and on the verdict, in the
//! scenario or in `--policy FILE`; every format lists them; a broken one makes `run` and `report`
//! exit 1 after writing everything; a policy that cannot be checked is bad input (exit 2).

use crate::support::{Scratch, arg, option_named, output, rejected, repo, stderr, stdout, success};
use serde_json::Value;
use std::ffi::OsStr;

const FLEET: &str = "scenarios/inference-fleet.toml";
/// The built-in example's options.
const OWN: &str = "own-dgx-h100";
const HYBRID: &str = "hybrid-own-6-burst-aws";

fn policy<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .find(|p| p["name"] == name)
        .expect(name)
}

/// The built-in example's figures, without policies.
fn plain() -> Value {
    let out = output(["run", "--format", "json"]);
    serde_json::from_str(&stdout(&out)).expect("JSON")
}

#[test]
fn policies_that_hold_exit_zero_and_are_listed_with_their_values() {
    let base = plain();
    let pv = option_named(&base, HYBRID)["pv_cost"].as_f64().expect("pv");
    let dir = Scratch::new();
    let file = dir.write(
        "policies.toml",
        &format!(
            "[[policy]]\nname = \"budget\"\noption = \"{HYBRID}\"\nmetric = \"pv_cost\"\nmax = {}\nmessage = \"approved budget\"\n\n\
             [[policy]]\nname = \"hybrid wins\"\nwinner = \"{HYBRID}\"\n\n\
             [[policy]]\nname = \"serves\"\noption = \"{HYBRID}\"\nmetric = \"unmet_share\"\nmax = 0.01\n",
            pv * 1.01
        ),
    );
    let out = output([OsStr::new("run"), OsStr::new("--policy"), arg(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Policies: All 3 policies hold."), "{text}");
    assert!(text.contains("approved budget"), "{text}");

    let out = output([
        OsStr::new("run"),
        OsStr::new("--policy"),
        arg(&file),
        OsStr::new("--format"),
        OsStr::new("json"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let budget = policy(&doc, "budget");
    assert_eq!(budget["holds"], true);
    assert_eq!(budget["number"].as_f64(), Some(pv));
    assert_eq!(budget["message"], "approved budget");
    assert_eq!(policy(&doc, "hybrid wins")["value"], HYBRID);
    assert_eq!(
        policy(&doc, "serves")["number"].as_f64(),
        option_named(&base, HYBRID)["unmet_share"].as_f64()
    );
    // A run without policies has an empty list.
    assert_eq!(base["policies"].as_array().map(Vec::len), Some(0));

    let out = output([
        OsStr::new("run"),
        OsStr::new("--policy"),
        arg(&file),
        OsStr::new("--format"),
        OsStr::new("markdown"),
    ]);
    let text = stdout(&out);
    assert!(text.contains("## Policies"), "{text}");
    assert!(text.contains("| budget |"), "{text}");
    // The policies' columns hold words: all left-aligned.
    let policies = &text[text.find("## Policies").expect("section")..];
    assert!(
        policies.contains(
            "| Policy | Requirement | Found | Result | Message |\n| --- | --- | --- | --- | --- |\n"
        ),
        "{policies}"
    );
}

#[test]
fn a_broken_policy_exits_one_after_writing_the_whole_output() {
    let base = plain();
    let pv = option_named(&base, HYBRID)["pv_cost"].as_f64().expect("pv");
    let dir = Scratch::new();
    let file = dir.write(
        "policies.toml",
        &format!(
            "[[policy]]\nname = \"budget\"\noption = \"{HYBRID}\"\nmetric = \"pv_cost\"\nmax = {}\n\n\
             [[policy]]\nname = \"own wins\"\nwinner = \"{OWN}\"\nmessage = \"the board wants to own\"\n\n\
             [[policy]]\nname = \"owned IRR\"\noption = \"{OWN}\"\nmetric = \"irr\"\nmin = 0.08\n",
            pv * 0.99
        ),
    );
    let target = dir.path("result.json");
    let out = output([
        OsStr::new("run"),
        OsStr::new("--policy"),
        arg(&file),
        OsStr::new("--format"),
        OsStr::new("json"),
        OsStr::new("--output"),
        arg(&target),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    for needle in [
        "policy `budget` broken: pv_cost of `hybrid-own-6-burst-aws` at most",
        "policy `own wins` broken: the winner is `own-dgx-h100`, found hybrid-own-6-burst-aws (the board wants to own)",
        "policy `owned IRR` broken",
        "3 policies were broken",
    ] {
        assert!(err.contains(needle), "no `{needle}` in\n{err}");
    }
    // The output is complete: the figures and every policy's result.
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&target).expect("written")).expect("JSON");
    assert_eq!(
        option_named(&doc, HYBRID)["pv_cost"],
        option_named(&base, HYBRID)["pv_cost"]
    );
    for name in ["budget", "own wins", "owned IRR"] {
        assert_eq!(policy(&doc, name)["holds"], false, "{name}");
    }
    assert_eq!(
        policy(&doc, "owned IRR")["number"].as_f64(),
        option_named(&base, OWN)["irr"].as_f64()
    );
    // CSV holds one table; the broken policies are on stderr all the same.
    let out = output([
        OsStr::new("run"),
        OsStr::new("--policy"),
        arg(&file),
        OsStr::new("--format"),
        OsStr::new("csv"),
        OsStr::new("--quiet"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("option,"));
    assert!(stderr(&out).contains("policy `budget` broken"));
}

/// Policies on Monte Carlo figures read the statistics the run reports; without samples they
/// are refused, naming the key.
#[test]
fn monte_carlo_policies_read_the_reported_statistics() {
    let dir = Scratch::new();
    let text = std::fs::read_to_string(repo().join(FLEET)).expect("fleet");
    let scenario = dir.write(
        "fleet.toml",
        &format!(
            "{}\n[[policy]]\nname = \"p90 budget\"\noption = \"own-l40s\"\nmetric = \"pv_cost\"\nstatistic = \"p90\"\nmax = 1e12\n\n\
             [[policy]]\nname = \"l40s usually cheapest\"\noption = \"own-l40s\"\nmetric = \"p_cheapest\"\nmin = 0.99\n",
            text.replace(
                "profile = \"profiles/inference-diurnal.csv\"",
                &format!(
                    "profile = \"{}\"",
                    repo().join("scenarios/profiles/inference-diurnal.csv").display()
                )
            )
        ),
    );
    let out = output([
        OsStr::new("run"),
        arg(&scenario),
        OsStr::new("--samples"),
        OsStr::new("500"),
        OsStr::new("--format"),
        OsStr::new("json"),
    ]);
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let stats = doc["montecarlo"]["options"]
        .as_array()
        .expect("Monte Carlo options")
        .iter()
        .find(|o| o["name"] == "own-l40s")
        .expect("own-l40s");
    let p90 = policy(&doc, "p90 budget");
    assert_eq!(p90["number"], stats["metrics"]["pv_cost"]["p90"]);
    assert_eq!(p90["holds"], true);
    let odds = policy(&doc, "l40s usually cheapest");
    assert_eq!(odds["number"], stats["p_cheapest"]);
    let holds = stats["p_cheapest"].as_f64().expect("odds") >= 0.99;
    assert_eq!(odds["holds"], holds);
    assert_eq!(out.status.code(), Some(if holds { 0 } else { 1 }));

    rejected(
        &[OsStr::new("run"), arg(&scenario)],
        &[
            "policy `p90 budget` bounds a Monte Carlo figure",
            "policy[0].metric",
            "--samples N",
        ],
    );
}

#[test]
fn the_report_shows_policies_at_the_top_and_exits_one_when_one_breaks() {
    let dir = Scratch::new();
    let file = dir.write(
        "policies.toml",
        &format!("[[policy]]\nname = \"own wins\"\nwinner = \"{OWN}\"\n"),
    );
    let folder = dir.path("report");
    let out = output([
        OsStr::new("report"),
        OsStr::new("--out"),
        arg(&folder),
        OsStr::new("--policy"),
        arg(&file),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let md = std::fs::read_to_string(folder.join("report.md")).expect("report.md written");
    let policies = md.find("## Policies").expect("a policies section");
    assert!(policies < md.find("## Summary").expect("a summary"), "{md}");
    assert!(md.contains("| own wins |"), "{md}");
    let html = std::fs::read_to_string(folder.join("index.html")).expect("index.html written");
    assert!(
        html.find("<h2>Policies</h2>").expect("policies")
            < html.find("<h2>Summary</h2>").expect("summary")
    );
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(folder.join("summary.json")).expect("summary.json"),
    )
    .expect("JSON");
    assert_eq!(policy(&summary, "own wins")["holds"], false);
}

#[test]
fn policies_that_cannot_be_checked_are_bad_input() {
    let dir = Scratch::new();
    let cases: [(&str, &[&str]); 8] = [
        (
            "[[policy]]\nname = \"x\"\noption = \"hybrid-own-6-burst\"\nmetric = \"pv_cost\"\nmax = 1\n",
            &[
                "unknown option `hybrid-own-6-burst`",
                "policy[0].option",
                "hybrid-own-6-burst-aws",
            ],
        ),
        (
            "[[policy]]\nname = \"x\"\noption = \"own-dgx-h100\"\nmetric = \"pv\"\nmax = 1\n",
            &["unknown metric `pv`", "policy[0].metric", "`pv_cost`"],
        ),
        (
            "[[policy]]\nname = \"x\"\noption = \"own-dgx-h100\"\nmetric = \"pv_cost\"\n",
            &["a metric policy needs a bound", "`max`, `min` or both"],
        ),
        (
            "[[policy]]\nname = \"x\"\nwinner = \"own-dgx-h100\"\nmetric = \"pv_cost\"\n",
            &["either the `winner` or a `metric`"],
        ),
        (
            "[[policy]]\nname = \"x\"\nwinner = \"own-dgx-h100\"\noption = \"own-dgx-h100\"\nmax = 1\n",
            &[
                "a `winner` policy takes no `option`, `min` or `max`",
                "found: `winner` with `option` and `max`",
            ],
        ),
        (
            "[[policy]]\nname = \"x\"\noption = \"own-dgx-h100\"\nmetric = \"pv_cost\"\nstatistic = \"p99\"\nmax = 1\n",
            &["unknown statistic `p99`", "policy[0].statistic", "`p95`"],
        ),
        (
            "[[policy]]\nname = \"x\"\nwinner = \"own-dgx-h100\"\n\n[[policy]]\nname = \"x\"\nwinner = \"aws-h100\"\n",
            &["duplicate policy `x`", "policy[1].name"],
        ),
        (
            "[[policy]]\nname = \"x\"\nwinner = \"own-dgx-h100\"\nthreshold = 3\n",
            &["unknown field `threshold`"],
        ),
    ];
    for (k, (text, needles)) in cases.iter().enumerate() {
        let file = dir.write(&format!("p{k}.toml"), text);
        rejected(
            &[OsStr::new("run"), OsStr::new("--policy"), arg(&file)],
            needles,
        );
    }
}

/// A policy named like one of an earlier policy file is refused at its own line and key, and
/// the message names the file of the first (it once named neither).
#[test]
fn a_policy_named_in_two_files_is_refused_at_its_line() {
    let dir = Scratch::new();
    let first = dir.write(
        "a.toml",
        "[[policy]]\nname = \"x\"\nwinner = \"own-dgx-h100\"\n",
    );
    let second = dir.write(
        "b.toml",
        "[[policy]]\nname = \"y\"\nwinner = \"own-dgx-h100\"\n\n[[policy]]\nname = \"x\"\nwinner = \"aws-h100\"\n",
    );
    rejected(
        &[
            OsStr::new("run"),
            OsStr::new("--policy"),
            arg(&first),
            OsStr::new("--policy"),
            arg(&second),
        ],
        &[
            "b.toml:6:8: duplicate policy `x`",
            "key: `policy[1].name`",
            "a.toml`",
        ],
    );
}

/// A policy file that cannot be read is named as one, and nothing is written.
#[test]
fn an_unreadable_policy_file_is_named_as_one() {
    let dir = Scratch::new();
    let target = dir.path("out.json");
    rejected(
        &[
            OsStr::new("run"),
            OsStr::new("--policy"),
            arg(&dir.path("missing.toml")),
            OsStr::new("--output"),
            arg(&target),
        ],
        &["missing.toml", "cannot read the policy file"],
    );
    assert!(!target.exists());
}

/// The hybrid of the inference fleet, whose owned servers its `[sweep]` varies.
const SWEPT: &str = "hybrid-l40s-coreweave";

/// `tcosim sweep` of the inference fleet with the policy file `policies` as JSON: exit code,
/// document, stderr.
fn sweep_json(dir: &Scratch, policies: &str) -> (Option<i32>, Value, String) {
    let file = dir.write("sweep-policies.toml", policies);
    let target = dir.path("sweep.json");
    let out = output([
        OsStr::new("sweep"),
        OsStr::new(FLEET),
        OsStr::new("--policy"),
        arg(&file),
        OsStr::new("--format"),
        OsStr::new("json"),
        OsStr::new("--output"),
        arg(&target),
    ]);
    let text = std::fs::read_to_string(&target).expect("the output is written");
    let doc = serde_json::from_str(&text).expect("JSON");
    (out.status.code(), doc, stderr(&out))
}

/// A sweep checks its policies against the scenario with the swept parameters at the best point:
/// the swept option's PV there is the optimum's PV, and a policy on another option or on the
/// winner sees the whole scenario at that point.
#[test]
fn sweep_checks_policies_at_the_best_point() {
    let dir = Scratch::new();
    let (code, doc, err) = sweep_json(
        &dir,
        &format!(
            "[[policy]]\nname = \"budget\"\noption = \"{SWEPT}\"\nmetric = \"pv_cost\"\nmax = 1e12\n\n\
             [[policy]]\nname = \"serves\"\noption = \"{SWEPT}\"\nmetric = \"unmet_share\"\nmax = 0.001\n"
        ),
    );
    assert_eq!(code, Some(0), "{err}");
    let optimum = doc["optimum"]["pv_cost"].as_f64().expect("optimum");
    assert_eq!(policy(&doc, "budget")["number"].as_f64(), Some(optimum));
    assert_eq!(policy(&doc, "budget")["holds"], true);
    assert_eq!(policy(&doc, "serves")["holds"], true);
    // The scenario as written owns another number of servers than the optimum: its PV differs.
    let written = output(["run", FLEET, "--format", "json"]);
    let written: Value = serde_json::from_str(&stdout(&written)).expect("JSON");
    assert_ne!(
        option_named(&written, SWEPT)["pv_cost"].as_f64(),
        Some(optimum)
    );

    // Table and Markdown name the point the policies were checked at.
    let file = dir.path("sweep-policies.toml");
    for (format, needles) in [
        (
            "table",
            &[
                "Policies checked at the optimum, option[hybrid-l40s-coreweave].servers = ",
                ": All 2 policies hold.",
                "budget",
            ][..],
        ),
        (
            "markdown",
            &[
                "## Policies",
                "Policies checked at the optimum, option[hybrid-l40s-coreweave].servers = ",
                "| budget |",
                "| holds |",
            ][..],
        ),
    ] {
        let out = output([
            OsStr::new("sweep"),
            OsStr::new(FLEET),
            OsStr::new("--policy"),
            arg(&file),
            OsStr::new("--format"),
            OsStr::new(format),
        ]);
        assert_eq!(out.status.code(), Some(0));
        let text = stdout(&out);
        for needle in needles {
            assert!(text.contains(needle), "{format} lacks `{needle}`:\n{text}");
        }
    }
    // Without policies, the list is empty and the tables have no section.
    let out = output(["sweep", FLEET, "--format", "json"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(doc["policies"].as_array().map(Vec::len), Some(0));
    assert!(!success(["sweep", FLEET]).contains("Policies"));
}

#[test]
fn a_broken_policy_makes_sweep_exit_one_after_writing() {
    let dir = Scratch::new();
    let (code, doc, err) = sweep_json(
        &dir,
        &format!(
            "[[policy]]\nname = \"budget\"\noption = \"{SWEPT}\"\nmetric = \"pv_cost\"\nmax = 1000\nmessage = \"too tight\"\n\n\
             [[policy]]\nname = \"the hybrid wins\"\nwinner = \"{SWEPT}\"\n"
        ),
    );
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(policy(&doc, "budget")["holds"], false);
    assert_eq!(policy(&doc, "budget")["message"], "too tight");
    assert!(
        err.contains(&format!(
            "policy `budget` broken: pv_cost of `{SWEPT}` at most 1000, found "
        )),
        "{err}"
    );
    assert!(err.contains("(too tight)"), "{err}");
    // CSV carries the grid only; the broken policy is on stderr.
    let file = dir.path("sweep-policies.toml");
    let out = output([
        OsStr::new("sweep"),
        OsStr::new(FLEET),
        OsStr::new("--policy"),
        arg(&file),
        OsStr::new("--format"),
        OsStr::new("csv"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stdout(&out).contains("budget"));
    assert!(stderr(&out).contains("policy `budget` broken"));
}

#[test]
fn sweep_policies_that_cannot_be_checked_are_bad_input() {
    let dir = Scratch::new();
    let cases: [(&str, &[&str]); 3] = [
        (
            "[[policy]]\nname = \"x\"\noption = \"hybrid-l40s\"\nmetric = \"pv_cost\"\nmax = 1\n",
            &["unknown option `hybrid-l40s`", "policy[0].option", SWEPT],
        ),
        (
            "[[policy]]\nname = \"x\"\noption = \"hybrid-l40s-coreweave\"\nmetric = \"pv\"\nmax = 1\n",
            &["unknown metric `pv`", "policy[0].metric"],
        ),
        // The fleet's sweep minimises PV cost without samples: no Monte Carlo figure exists.
        (
            "[[policy]]\nname = \"x\"\noption = \"hybrid-l40s-coreweave\"\nmetric = \"pv_cost\"\nstatistic = \"p90\"\nmax = 1\n",
            &["bounds a Monte Carlo figure", "objective = \"p90_pv_cost\""],
        ),
    ];
    for (k, (text, needles)) in cases.iter().enumerate() {
        let file = dir.write(&format!("p{k}.toml"), text);
        let target = dir.path(&format!("out{k}.json"));
        rejected(
            &[
                OsStr::new("sweep"),
                OsStr::new(FLEET),
                OsStr::new("--policy"),
                arg(&file),
                OsStr::new("--output"),
                arg(&target),
            ],
            needles,
        );
        assert!(!target.exists(), "a rejected sweep wrote its output");
    }
}

//! `tcosim schema`: the JSON Schemas of the scenario file and of `run --format json` accept
//! every shipped scenario, every starter of `init` and every kind of run, and reject documents
//! with an unknown key or a value of the wrong type.

use crate::support::{BASE, Scratch, arg, edit, example_scenarios, output, rejected, success};
use serde_json::{Value, json};
use std::ffi::OsStr;

/// The schema `tcosim schema KIND` prints, ready to validate with.
fn validator(kind: &str) -> jsonschema::Validator {
    let text = success(["schema", kind]);
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    assert_eq!(
        schema["$schema"], "http://json-schema.org/draft-07/schema#",
        "{kind}"
    );
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

/// The problems `validator` finds in `doc`, one line each.
fn problems(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| {
            let line = format!("{}: {e}", e.instance_path());
            line.chars().take(300).collect()
        })
        .collect()
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    let found = problems(validator, doc);
    assert!(
        found.is_empty(),
        "{what} does not match its schema:\n{found:#?}"
    );
}

/// A TOML text as the JSON value of its tables, as editors check it against the schema.
fn toml_as_json(text: &str) -> Value {
    let doc: toml::Table = toml::from_str(text).expect("TOML");
    serde_json::to_value(doc).expect("TOML values are JSON values")
}

#[test]
fn every_example_and_starter_matches_the_scenario_schema() {
    let schema = validator("scenario");
    for s in example_scenarios() {
        let text = std::fs::read_to_string(crate::support::repo().join(&s)).unwrap();
        assert_valid(&schema, &toml_as_json(&text), &s);
    }
    for preset in ["enterprise", "startup", "inference"] {
        let text = success(["init", "--preset", preset]);
        assert_valid(&schema, &toml_as_json(&text), preset);
    }
    assert_valid(&schema, &toml_as_json(BASE), "the test scenario");
}

#[test]
fn the_scenario_schema_rejects_unknown_keys_and_wrong_types() {
    let schema = validator("scenario");
    let cases = [
        (
            "horizon_months = 24",
            "horizon_months = \"24\"",
            "/horizon_months",
        ),
        ("horizon_months = 24", "horizon_month = 24", ""),
        ("servers = 2", "servers = 2\nserver_count = 2", "/option/0"),
        ("servers = 2", "servers = 2.5", "/option/0/servers"),
        ("kind = \"hybrid\"", "kind = \"hybird\"", "/option/2/kind"),
        (
            "profile = \"flat\"",
            "profile = \"flat\"\nsensitive = \"yes\"",
            "/workload/0/sensitive",
        ),
        (
            "site = \"us-tx-colo\"\n\n[[option]]\nname = \"rent\"",
            "site = \"us-tx-colo\"\nfinancing = { kind = \"loan\", rate = 0.05 }\n\n[[option]]\nname = \"rent\"",
            "/option/0/financing",
        ),
    ];
    for (from, to, at) in cases {
        let doc = toml_as_json(&edit(BASE, from, to));
        let found = problems(&schema, &doc);
        assert!(
            found.iter().any(|p| p.starts_with(&format!("{at}: "))),
            "`{to}` should fail at `{at}`: {found:#?}"
        );
    }
    let missing = toml_as_json(&edit(BASE, "name = \"test scenario\"\n", ""));
    assert!(!problems(&schema, &missing).is_empty(), "a missing name");
}

/// `tcosim run ARGS --format json` as JSON.
fn run_json(args: &[&OsStr]) -> Value {
    let mut full = vec![OsStr::new("run")];
    full.extend_from_slice(args);
    full.extend([OsStr::new("--format"), OsStr::new("json")]);
    let out = output(&full);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "tcosim {full:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn every_kind_of_run_matches_the_output_schema() {
    let schema = validator("output");
    let scratch = Scratch::new();
    // Policies that hold and that break, deterministic and on Monte Carlo figures.
    let policies = scratch.write(
        "policies.toml",
        "[[policy]]\nname = \"budget\"\noption = \"rent\"\nmetric = \"pv_cost\"\nmax = 1\n\n\
         [[policy]]\nname = \"no wait\"\noption = \"own\"\nmetric = \"p95_wait_hours\"\nmax = 0\n\n\
         [[policy]]\nname = \"p90\"\noption = \"own\"\nmetric = \"pv_cost\"\nstatistic = \"p90\"\nmax = 1e12\n\n\
         [[policy]]\nname = \"cheapest\"\noption = \"mix\"\nmetric = \"p_cheapest\"\nmin = 0.5\n",
    );
    let waiting = scratch.write(
        "waiting.toml",
        &edit(
            BASE,
            "profile = \"flat\"",
            "profile = \"bursty\"\nmax_wait_hours = 48",
        ),
    );
    let priced = scratch.write(
        "priced.toml",
        &edit(
            BASE,
            "currency = \"USD\"",
            "currency = \"USD\"\nunserved_cost_per_gpu_hour = 20",
        ),
    );
    let uncertain = scratch.write(
        "uncertain.toml",
        &format!(
            "{BASE}\n[[uncertain]]\npath = \"demand_scale\"\ndistribution = \"triangular\"\nlow = 0.5\nmode = 1\nhigh = 2\n"
        ),
    );
    let mut runs: Vec<Vec<&OsStr>> = vec![vec![]];
    let examples = example_scenarios();
    for s in &examples {
        runs.push(vec![arg(s)]);
        runs.push(vec![arg(s), arg("--samples"), arg("200")]);
    }
    for path in [&waiting, &priced, &uncertain] {
        runs.push(vec![arg(path)]);
        runs.push(vec![
            arg(path),
            arg("--samples"),
            arg("200"),
            arg("--policy"),
            arg(&policies),
        ]);
    }
    for args in &runs {
        let doc = run_json(args);
        assert_valid(&schema, &doc, &format!("run {args:?}"));
    }
    // The runs reach what the schema allows as well as what it requires.
    let waited = run_json(&[
        arg(&waiting),
        arg("--samples"),
        arg("200"),
        arg("--policy"),
        arg(&policies),
    ]);
    assert!(waited["options"][0]["mean_wait_hours"].is_number());
    assert_eq!(waited["policies"].as_array().map(Vec::len), Some(4));
    assert!(waited["montecarlo"]["options"][0]["metrics"]["pv_cost"]["p90"].is_number());
    let priced = run_json(&[arg(&priced)]);
    assert_eq!(
        priced["verdict"]["rule"],
        "cheapest_with_unserved_work_priced"
    );
}

#[test]
fn the_output_schema_rejects_unknown_keys_and_wrong_types() {
    let schema = validator("output");
    let good = run_json(&[
        arg("scenarios/startup-finetune.toml"),
        arg("--samples"),
        arg("50"),
    ]);
    assert_valid(&schema, &good, "the run");
    let pointer_set = |path: &str, value: Value| {
        let mut doc = good.clone();
        *doc.pointer_mut(path)
            .unwrap_or_else(|| panic!("{path} in the output")) = value;
        doc
    };
    let mut extra = good.clone();
    extra["options"][0]["pv_cost_eur"] = json!(1.0);
    let mut extra_in_row = good.clone();
    extra_in_row["catalog_rows_used"][0]["price"] = json!(1.0);
    let cases = [
        (extra, "/options/0"),
        (extra_in_row, "/catalog_rows_used/0"),
        (
            pointer_set("/catalog_rows_used/0/values/0/from", json!("guess")),
            "/catalog_rows_used/0/values/0/from",
        ),
        (
            pointer_set("/options/0/pv_cost", json!("1000")),
            "/options/0/pv_cost",
        ),
        (
            pointer_set("/options/1/monthly/3/date", json!("March 2027")),
            "/options/1/monthly/3/date",
        ),
        (
            pointer_set("/options/0/breakdown/energy", json!(null)),
            "/options/0/breakdown/energy",
        ),
        (pointer_set("/schema_version", json!(4)), "/schema_version"),
        (
            pointer_set("/verdict/rule", json!("cheapest")),
            "/verdict/rule",
        ),
        (pointer_set("/montecarlo/samples", json!(-1)), "/montecarlo"),
    ];
    for (doc, at) in cases {
        let found = problems(&schema, &doc);
        assert!(
            found.iter().any(|p| p.starts_with(&format!("{at}: "))),
            "a change at `{at}` should fail: {found:#?}"
        );
    }
    let mut missing = good.clone();
    missing["options"][0].as_object_mut().unwrap().remove("irr");
    assert!(!problems(&schema, &missing).is_empty(), "a missing `irr`");
}

#[test]
fn schemas_carry_the_doc_comments_of_their_types() {
    let scenario: Value = serde_json::from_str(&success(["schema", "scenario"])).unwrap();
    assert_eq!(scenario["additionalProperties"], false);
    let horizon = scenario["properties"]["horizon_months"]["description"]
        .as_str()
        .unwrap_or("");
    assert!(horizon.contains("Months simulated"), "{horizon}");
    let required: Vec<&str> = scenario["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        required.contains(&"horizon_months") && !required.contains(&"currency"),
        "{required:?}"
    );
    let out: Value = serde_json::from_str(&success(["schema", "output"])).unwrap();
    assert!(out["title"].as_str().is_some_and(|t| t.contains("run")));
}

#[test]
fn output_writes_the_schema_to_a_file() {
    let scratch = Scratch::new();
    let target = scratch.path("tcosim.schema.json");
    let printed = success(["schema", "scenario"]);
    let quiet = success([
        arg("schema"),
        arg("scenario"),
        arg("--output"),
        arg(&target),
    ]);
    assert!(quiet.is_empty(), "{quiet}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), printed);
    rejected(&[arg("schema"), arg("inputs")], &["inputs"]);
    let folder = scratch.path("missing/x.json");
    rejected(
        &[arg("schema"), arg("output"), arg("--output"), arg(&folder)],
        &["--output"],
    );
}

/// The schemas as printed: a change to the scenario format or to the JSON contract shows in
/// review as a change of these snapshots.
#[test]
fn schemas_as_printed() {
    insta::assert_snapshot!("scenario_schema", success(["schema", "scenario"]));
    insta::assert_snapshot!("output_schema", success(["schema", "output"]));
}

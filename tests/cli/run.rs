//! `tcosim run`: every example in every format, the JSON contract, `--output`, `--quiet`, the
//! default command, `--help` and determinism.

use crate::support::{
    BASE, EXIT_INPUT, Scratch, arg, edit, example_scenarios, output, repo, stderr, stdout, success,
    tcosim,
};
use serde_json::Value;
use std::ffi::OsStr;

/// Relative tolerance of the accounting identities checked below (GPU-hours conserved, cash out
/// the sum of its groups, totals the sum of their parts): sums of a few hundred floats.
const REL_TOL: f64 = 1e-9;

const FORMATS: [&str; 4] = ["table", "csv", "json", "markdown"];

/// Every example scenario, then `None` for the built-in example.
fn all_scenarios() -> Vec<Option<String>> {
    example_scenarios()
        .into_iter()
        .map(Some)
        .chain([None])
        .collect()
}

fn run_args<'a>(scenario: &'a Option<String>, format: &'a str, monthly: bool) -> Vec<&'a str> {
    let mut args = vec!["run"];
    if let Some(s) = scenario {
        args.push(s);
    }
    args.extend(["--format", format]);
    if monthly {
        args.push("--monthly");
    }
    args
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= REL_TOL * a.abs().max(b.abs()).max(1.0)
}

fn num(v: &Value, key: &str, at: &str) -> f64 {
    v.get(key)
        .unwrap_or_else(|| panic!("{at}: no `{key}`"))
        .as_f64()
        .unwrap_or_else(|| panic!("{at}: `{key}` is not a number: {}", v[key]))
}

pub fn json_of(scenario: &Option<String>) -> Value {
    let text = success(run_args(scenario, "json", false));
    serde_json::from_str(&text).expect("run --format json prints JSON")
}

/// Keys whose value may be `null` (the figure does not exist). serde_json writes NaN and
/// infinities as `null`, so a `null` anywhere else is a non-finite number that leaked out.
const NULLABLE: [&str; 19] = [
    "sharing",
    "cost_per_gpu_hour",
    "policy",
    "owned_utilization",
    "break_even_utilization",
    "payback_month",
    "roi",
    "irr",
    "irr_roots",
    "savings_vs_baseline",
    "not_comparable",
    "mean_wait_hours",
    "p95_wait_hours",
    "unserved_cost_per_gpu_hour",
    "runner_up",
    "margin",
    "reason",
    "winner",
    "showback",
];

fn walk_finite(v: &Value, path: &str) {
    match v {
        Value::Null => {
            let key = path.rsplit('.').next().unwrap_or("");
            assert!(
                NULLABLE.contains(&key),
                "`{path}` is null: a NaN or infinity, or a missing figure"
            );
        }
        Value::Number(n) => {
            let f = n.as_f64().expect("a JSON number fits f64");
            assert!(f.is_finite(), "`{path}` is not finite: {f}");
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_finite(item, &format!("{path}[{i}]"));
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                walk_finite(item, &format!("{path}.{k}"));
            }
        }
        Value::Bool(_) | Value::String(_) => {}
    }
}

/// The documented JSON contract of `run --format json`, and the accounting identities it obeys.
pub(crate) fn check_contract(doc: &Value, what: &str) {
    walk_finite(doc, "$");

    assert_eq!(doc["schema_version"], 3, "{what}: schema_version");
    let verdict = &doc["verdict"];
    assert!(
        matches!(
            verdict["rule"].as_str(),
            Some("cheapest_serving_demand" | "cheapest_with_unserved_work_priced")
        ),
        "{what}: verdict.rule {}",
        verdict["rule"]
    );
    let sc = &doc["scenario"];
    assert!(
        sc["name"].as_str().is_some_and(|s| !s.is_empty()),
        "{what}: scenario.name"
    );
    let horizon = sc["horizon_months"]
        .as_u64()
        .unwrap_or_else(|| panic!("{what}: scenario.horizon_months")) as usize;
    assert!((1..=600).contains(&horizon), "{what}: horizon {horizon}");
    assert!(
        sc["currency"].as_str().is_some_and(|c| c.len() == 3),
        "{what}: scenario.currency {}",
        sc["currency"]
    );
    let rate = num(sc, "discount_rate", what);
    assert!((0.0..=1.0).contains(&rate), "{what}: discount_rate {rate}");

    let options = doc["options"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: options is an array"));
    assert!(!options.is_empty(), "{what}: no options");
    for o in options {
        let name = o["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: option without a name"));
        let at = format!("{what}: option `{name}`");
        assert!(
            matches!(o["kind"].as_str(), Some("onprem" | "cloud" | "hybrid")),
            "{at}: kind {}",
            o["kind"]
        );
        for key in [
            "pv_cost",
            "total_cost",
            "demand_gpu_hours",
            "served_onprem_gpu_hours",
            "served_cloud_gpu_hours",
            "unmet_gpu_hours",
            "energy_kwh",
            "co2_t",
        ] {
            num(o, key, &at);
        }
        for key in [
            "cost_per_gpu_hour",
            "owned_utilization",
            "payback_month",
            "roi",
            "irr",
            "savings_vs_baseline",
            "mean_wait_hours",
            "p95_wait_hours",
        ] {
            assert!(
                o[key].is_number() || o[key].is_null(),
                "{at}: `{key}` should be a number or null, found {}",
                o.get(key).map(Value::to_string).unwrap_or("nothing".into())
            );
        }
        let demand = num(o, "demand_gpu_hours", &at);
        let onprem = num(o, "served_onprem_gpu_hours", &at);
        let cloud = num(o, "served_cloud_gpu_hours", &at);
        let unmet = num(o, "unmet_gpu_hours", &at);
        assert!(demand >= 0.0, "{at}: demand {demand}");
        for (k, v) in [("onprem", onprem), ("cloud", cloud), ("unmet", unmet)] {
            assert!(v >= -REL_TOL * demand, "{at}: {k} GPU-hours negative: {v}");
        }
        // Work still waiting at the end of the horizon is served after it (README Q6).
        let backlog = num(o, "backlog_gpu_hours", &at);
        assert!(
            close(onprem + cloud + unmet + backlog, demand),
            "{at}: served on-prem {onprem} + cloud {cloud} + unmet {unmet} + backlog {backlog} = {} != demand {demand}",
            onprem + cloud + unmet + backlog
        );
        // Savings, ROI, payback and IRR exist only between comparable options (README F3a).
        match o["comparison"].as_str() {
            Some("comparable") => {
                num(o, "savings_vs_baseline", &at);
            }
            Some("baseline" | "not_comparable") => {
                for key in ["savings_vs_baseline", "roi", "payback_month", "irr"] {
                    assert!(
                        o[key].is_null(),
                        "{at}: `{key}` of a {} option",
                        o["comparison"]
                    );
                }
                assert_eq!(
                    o["not_comparable"].is_string(),
                    o["comparison"] == "not_comparable",
                    "{at}: a reason exactly when not comparable"
                );
            }
            other => panic!("{at}: comparison {other:?}"),
        }
        match o["kind"].as_str() {
            Some("onprem") => assert_eq!(cloud, 0.0, "{at}: an onprem option used the cloud"),
            Some("cloud") => assert_eq!(onprem, 0.0, "{at}: a cloud option served on-prem"),
            _ => {}
        }

        let breakdown = o["breakdown"]
            .as_object()
            .unwrap_or_else(|| panic!("{at}: breakdown is an object"));
        assert!(!breakdown.is_empty(), "{at}: empty breakdown");
        let parts: f64 = breakdown.values().map(|v| v.as_f64().unwrap()).sum();
        // In the after-tax view the total is the breakdown (before tax) plus the tax (TX3).
        let tax = o.get("tax").map_or(0.0, |t| num(t, "tax", &at));
        let parts = parts + tax;
        let total = num(o, "total_cost", &at);
        assert!(
            close(parts, total),
            "{at}: breakdown sums to {parts}, total_cost is {total}"
        );

        let monthly = o["monthly"]
            .as_array()
            .unwrap_or_else(|| panic!("{at}: monthly is an array"));
        assert_eq!(monthly.len(), horizon, "{at}: one monthly row per month");
        let (mut sum_demand, mut sum_cash, mut carried) = (0.0, 0.0, 0.0);
        for (i, m) in monthly.iter().enumerate() {
            let mat = format!("{at}, month {}", i + 1);
            assert_eq!(m["month"], i + 1, "{mat}: month number");
            let d = num(m, "demand_gpu_hours", &mat);
            let on = num(m, "served_onprem_gpu_hours", &mat);
            let cl = num(m, "served_cloud_gpu_hours", &mat);
            let un = num(m, "unmet_gpu_hours", &mat);
            let backlog = num(m, "backlog_gpu_hours", &mat);
            // Q6: what was waiting plus what arrived is served, sent, unmet or still waiting.
            assert!(
                close(carried + d, on + cl + un + backlog),
                "{mat}: carried {carried} + demand {d} != on-prem {on} + cloud {cl} + unmet {un} + backlog {backlog}"
            );
            carried = backlog;
            let capex = num(m, "capex", &mat);
            let opex = num(m, "opex", &mat);
            let cl_cost = num(m, "cloud", &mat);
            let cash = num(m, "cash_out", &mat);
            num(m, "depreciation", &mat);
            assert!(
                close(capex + opex + cl_cost, cash),
                "{mat}: capex {capex} + opex {opex} + cloud {cl_cost} = {} != cash_out {cash}",
                capex + opex + cl_cost
            );
            sum_demand += d;
            sum_cash += cash + num(m, "unserved", &mat);
            if let Some(t) = m.get("tax") {
                sum_cash += t
                    .as_f64()
                    .unwrap_or_else(|| panic!("{mat}: tax is a number"));
            }
        }
        assert!(
            close(sum_demand, demand),
            "{at}: monthly demand sums to {sum_demand}, total {demand}"
        );
        assert!(
            close(sum_cash, total),
            "{at}: monthly cash_out and unserved sum to {sum_cash}, total_cost {total}"
        );
    }

    let rows = doc["catalog_rows_used"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: catalog_rows_used is an array"));
    assert!(!rows.is_empty(), "{what}: no catalog rows used");
    for r in rows {
        for key in ["source", "as_of"] {
            assert!(
                r[key].as_str().is_some_and(|s| !s.trim().is_empty()),
                "{what}: catalog row {r} has no `{key}`"
            );
        }
    }
}

fn describe(scenario: &Option<String>) -> String {
    scenario
        .clone()
        .unwrap_or_else(|| "the built-in example".into())
}

#[test]
fn every_example_runs_as_a_table() {
    for s in all_scenarios() {
        let doc = json_of(&s);
        for monthly in [false, true] {
            let text = success(run_args(&s, "table", monthly));
            assert!(
                text.contains(doc["scenario"]["name"].as_str().unwrap()),
                "{}: the table names the scenario",
                describe(&s)
            );
            for o in doc["options"].as_array().unwrap() {
                assert!(text.contains(o["name"].as_str().unwrap()));
            }
            assert!(text.contains("PV cost"), "{text}");
            assert_eq!(text.contains("— monthly ["), monthly, "{text}");
        }
    }
}

#[test]
fn every_example_runs_as_markdown() {
    for s in all_scenarios() {
        for monthly in [false, true] {
            let text = success(run_args(&s, "markdown", monthly));
            assert!(text.starts_with("# "), "{}:\n{text}", describe(&s));
            assert!(text.contains("| --- |"), "{text}");
            assert_eq!(text.contains(" — monthly ["), monthly, "{text}");
            assert!(text.contains("\n## Assumptions\n"), "{text}");
            // Every table line has the same number of cells as its header.
            let mut cells = None;
            for line in text.lines() {
                if line.starts_with('|') {
                    let n = line.replace("\\|", "").matches('|').count();
                    match cells {
                        None => cells = Some(n),
                        Some(c) => assert_eq!(c, n, "ragged Markdown table at `{line}`"),
                    }
                } else {
                    cells = None;
                }
            }
        }
    }
}

#[test]
fn every_example_runs_as_csv() {
    for s in all_scenarios() {
        let doc = json_of(&s);
        let options = doc["options"].as_array().unwrap().len();
        let horizon = doc["scenario"]["horizon_months"].as_u64().unwrap() as usize;
        for monthly in [false, true] {
            let text = success(run_args(&s, "csv", monthly));
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let header = reader.headers().expect("a CSV header").clone();
            assert_eq!(header.get(0), Some("option"));
            let records: Vec<csv::StringRecord> = reader
                .records()
                .map(|r| r.expect("a well-formed CSV row"))
                .collect();
            let expected = if monthly { options * horizon } else { options };
            assert_eq!(records.len(), expected, "{}: rows", describe(&s));
            for rec in &records {
                assert_eq!(rec.len(), header.len());
                for (col, field) in header.iter().zip(rec.iter()) {
                    if col.ends_with("_gpu_hours") || col.ends_with("cost") || col == "cash_out" {
                        let v: f64 = field
                            .parse()
                            .unwrap_or_else(|_| panic!("column {col}: `{field}` not a number"));
                        assert!(v.is_finite());
                    }
                }
            }
        }
    }
}

#[test]
fn every_example_runs_as_json_and_keeps_the_contract() {
    for s in all_scenarios() {
        let plain = success(run_args(&s, "json", false));
        let monthly = success(run_args(&s, "json", true));
        assert_eq!(plain, monthly, "JSON always has the monthly rows");
        assert!(!plain.contains("NaN") && !plain.contains("Infinity"));
        let doc: Value = serde_json::from_str(&plain).expect("valid JSON");
        check_contract(&doc, &describe(&s));
        if let Some(path) = &s {
            assert_eq!(doc["scenario"]["source"], path.as_str());
        }
    }
}

#[test]
fn every_example_uses_the_builtin_catalogs() {
    for s in all_scenarios() {
        let doc = json_of(&s);
        for r in doc["catalog_rows_used"].as_array().unwrap() {
            let file = r["file"].as_str().unwrap();
            assert!(file.starts_with("<built-in>/"), "{r}");
        }
    }
}

#[test]
fn no_arguments_runs_the_builtin_example() {
    let bare = success(std::iter::empty::<&str>());
    let run = success(["run"]);
    assert_eq!(bare, run);
    // The built-in example is the Frankfurt scenario file.
    let file = success(["run", "scenarios/enterprise-llm-frankfurt.toml"]);
    assert_eq!(bare, file);
    assert!(bare.contains("Enterprise LLM platform"), "{bare}");
}

#[test]
fn help_mentions_examples() {
    for args in [
        vec!["--help"],
        vec!["help"],
        vec!["run", "--help"],
        vec!["validate", "--help"],
    ] {
        let text = success(&args);
        assert!(text.contains("Examples:"), "{args:?}:\n{text}");
        assert!(text.contains("tcosim "), "{args:?}:\n{text}");
    }
    let top = success(["--help"]);
    for word in ["run", "validate", "--quiet", "Exit codes"] {
        assert!(top.contains(word), "--help should mention `{word}`:\n{top}");
    }
    let run = success(["run", "--help"]);
    for word in ["--format", "--output", "--monthly", "--catalog"] {
        assert!(run.contains(word), "run --help should mention `{word}`");
    }
}

#[test]
fn output_file_gets_the_report_and_stdout_stays_empty() {
    let scratch = Scratch::new();
    for format in FORMATS {
        let target = scratch.path(&format!("result.{format}"));
        let out = output([
            OsStr::new("run"),
            OsStr::new("scenarios/startup-finetune.toml"),
            OsStr::new("--format"),
            OsStr::new(format),
            OsStr::new("--output"),
            arg(&target),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(out.stdout.is_empty(), "--output printed:\n{}", stdout(&out));
        let written = std::fs::read_to_string(&target).expect("the output file exists");
        let printed = success(["run", "scenarios/startup-finetune.toml", "--format", format]);
        assert_eq!(written, printed, "{format}: file and stdout differ");
    }
    // No temporary files are left beside the outputs.
    assert_eq!(
        scratch.listing(),
        [
            "result.csv",
            "result.json",
            "result.markdown",
            "result.table"
        ]
    );
}

#[test]
fn output_overwrites_an_existing_file() {
    let scratch = Scratch::new();
    let target = scratch.write("result.json", "old content that is longer than nothing\n");
    let out = output([
        OsStr::new("run"),
        OsStr::new("scenarios/startup-finetune.toml"),
        OsStr::new("--format"),
        OsStr::new("json"),
        OsStr::new("-o"),
        arg(&target),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = std::fs::read_to_string(&target).unwrap();
    let doc: Value = serde_json::from_str(&written).expect("the new report, whole");
    check_contract(&doc, "overwritten output");
}

#[test]
fn output_into_a_missing_folder_is_rejected_and_writes_nothing() {
    let scratch = Scratch::new();
    let target = scratch.path("no-such-folder/result.json");
    let out = output([
        OsStr::new("run"),
        OsStr::new("scenarios/startup-finetune.toml"),
        OsStr::new("--output"),
        arg(&target),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&target.display().to_string()),
        "the message names the output path:\n{err}"
    );
    assert!(
        scratch.listing().is_empty(),
        "wrote {:?}",
        scratch.listing()
    );
    assert!(!scratch.path("no-such-folder").exists());
}

#[test]
fn output_onto_a_folder_is_rejected() {
    let scratch = Scratch::new();
    let out = output([
        OsStr::new("run"),
        OsStr::new("scenarios/startup-finetune.toml"),
        OsStr::new("--output"),
        arg(scratch.dir.path()),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("folder"), "{}", stderr(&out));
    assert!(scratch.listing().is_empty());
}

#[test]
fn a_failed_run_leaves_an_existing_output_file_untouched() {
    let scratch = Scratch::new();
    let old = b"{\"previous\": \"report\"}\n\xff not even UTF-8\n";
    let target = scratch.path("result.json");
    std::fs::write(&target, old).unwrap();
    let bad = scratch.write("bad.toml", &edit(BASE, "servers = 2", "servers = \"two\""));
    let out = output([
        OsStr::new("run"),
        arg(&bad),
        OsStr::new("--format"),
        OsStr::new("json"),
        OsStr::new("--output"),
        arg(&target),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read(&target).unwrap(), old, "the old file changed");
    assert_eq!(scratch.listing(), ["bad.toml", "result.json"]);
}

/// A scenario that warns: every catalog price is older than 0 months.
fn warning_scenario(scratch: &Scratch) -> std::path::PathBuf {
    scratch.write(
        "stale.toml",
        &edit(
            BASE,
            "discount_rate = 0.08\n",
            "discount_rate = 0.08\nmax_price_age_months = 0\n",
        ),
    )
}

#[test]
fn warnings_go_to_stderr_and_quiet_suppresses_them() {
    let scratch = Scratch::new();
    let path = warning_scenario(&scratch);
    let loud = output([OsStr::new("run"), arg(&path)]);
    assert_eq!(loud.status.code(), Some(0), "{}", stderr(&loud));
    let err = stderr(&loud);
    assert!(err.starts_with("warning: "), "{err}");
    assert!(err.contains("max_price_age_months"), "{err}");
    assert!(
        !stdout(&loud).contains("warning"),
        "warnings stay off stdout"
    );

    for args in [
        vec![OsStr::new("--quiet"), OsStr::new("run"), arg(&path)],
        vec![OsStr::new("run"), arg(&path), OsStr::new("--quiet")],
        vec![OsStr::new("-q"), OsStr::new("run"), arg(&path)],
    ] {
        let quiet = output(&args);
        assert_eq!(quiet.status.code(), Some(0));
        assert!(
            quiet.stderr.is_empty(),
            "{args:?} printed on stderr:\n{}",
            stderr(&quiet)
        );
        assert_eq!(quiet.stdout, loud.stdout, "--quiet changes only stderr");
    }

    // The JSON report lists the warnings too.
    let json = success([
        OsStr::new("run"),
        arg(&path),
        OsStr::new("--format"),
        OsStr::new("json"),
        OsStr::new("--quiet"),
    ]);
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert!(!doc["warnings"].as_array().unwrap().is_empty(), "{json}");
}

#[test]
fn quiet_does_not_hide_errors() {
    let scratch = Scratch::new();
    let bad = scratch.write(
        "bad.toml",
        &edit(BASE, "horizon_months = 24", "horizon_months = 0"),
    );
    let out = output([OsStr::new("--quiet"), OsStr::new("run"), arg(&bad)]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    assert!(stderr(&out).contains("horizon_months"), "{}", stderr(&out));
}

#[test]
fn two_runs_give_byte_identical_json() {
    for s in all_scenarios() {
        let args = run_args(&s, "json", false);
        let first = tcosim().args(&args).output().unwrap();
        let second = tcosim().args(&args).output().unwrap();
        assert_eq!(first.status.code(), Some(0));
        assert!(
            first.stdout == second.stdout,
            "{}: two runs differ",
            describe(&s)
        );
        // Nor does the number of worker threads change a byte.
        for threads in ["1", "3"] {
            let other = tcosim()
                .args(&args)
                .env("RAYON_NUM_THREADS", threads)
                .output()
                .unwrap();
            assert!(
                first.stdout == other.stdout,
                "{}: RAYON_NUM_THREADS={threads} changes the output",
                describe(&s)
            );
        }
    }
}

#[test]
fn a_small_scenario_of_each_kind_keeps_the_contract() {
    let scratch = Scratch::new();
    let path = scratch.write("base.toml", BASE);
    let json = success([
        OsStr::new("run"),
        arg(&path),
        OsStr::new("--format"),
        OsStr::new("json"),
    ]);
    let doc: Value = serde_json::from_str(&json).unwrap();
    check_contract(&doc, "the test scenario");
    let names: Vec<&str> = doc["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["own", "rent", "mix"]);
    assert_eq!(doc["baseline"], "own", "the first option is the baseline");
    assert_eq!(doc["scenario"]["horizon_months"], 24);
}

/// JSON of `tcosim run FILE --format json` for a scenario text written to a scratch folder.
fn json_of_text(text: &str) -> Value {
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", text);
    let json = success([
        OsStr::new("run"),
        arg(&path),
        OsStr::new("--format"),
        OsStr::new("json"),
    ]);
    serde_json::from_str(&json).expect("valid JSON")
}

#[test]
fn horizons_at_the_limits_are_accepted() {
    for months in [1, 600] {
        let text = edit(
            BASE,
            "horizon_months = 24",
            &format!("horizon_months = {months}"),
        );
        let doc = json_of_text(&text);
        check_contract(&doc, &format!("a {months}-month horizon"));
        assert_eq!(doc["scenario"]["horizon_months"], months);
    }
}

#[test]
fn degenerate_but_valid_scenarios_keep_the_contract() {
    let cases = [
        (
            "no demand",
            edit(
                BASE,
                "gpu_hours_per_month = 5000",
                "gpu_hours_per_month = 0",
            ),
        ),
        ("no servers", edit(BASE, "servers = 2", "servers = 0")),
        (
            "no discounting",
            edit(BASE, "discount_rate = 0.08", "discount_rate = 0"),
        ),
        (
            "shrinking demand",
            edit(BASE, "growth_per_year = 0.1", "growth_per_year = -0.99"),
        ),
        (
            "all spot",
            edit(
                BASE,
                "kind = \"cloud\"\n",
                "kind = \"cloud\"\nspot_share = 1\n",
            ),
        ),
        (
            "all committed",
            edit(
                BASE,
                "kind = \"cloud\"\n",
                "kind = \"cloud\"\ncommitted_share = 1\n",
            ),
        ),
    ];
    for (what, text) in cases {
        let doc = json_of_text(&text);
        check_contract(&doc, what);
        // And the tables render without a NaN.
        let scratch = Scratch::new();
        let path = scratch.write("scenario.toml", &text);
        let table = success([OsStr::new("run"), arg(&path), OsStr::new("--monthly")]);
        assert!(
            !table.contains("NaN") && !table.contains("inf%"),
            "{what}:\n{table}"
        );
    }
    // Without discounting, present value and nominal total are the same.
    let doc = json_of_text(&edit(BASE, "discount_rate = 0.08", "discount_rate = 0"));
    for o in doc["options"].as_array().unwrap() {
        let (pv, total) = (
            o["pv_cost"].as_f64().unwrap(),
            o["total_cost"].as_f64().unwrap(),
        );
        assert!(
            close(pv, total),
            "{}: PV {pv} != total {total} at 0%",
            o["name"]
        );
    }
}

/// IRR and PV savings must tell the same story. At discount rate r, an option that saves money
/// in present value against the baseline must not report an IRR below r, and one that loses
/// money must not report an IRR above r; otherwise the usual reading "IRR above the hurdle rate
/// = worth it" gives the wrong answer. (When an option avoids the baseline's hardware purchase
/// its savings come first and its losses later, and the root of such flows is a borrowing
/// rate, whose reading is the reverse.)
#[test]
fn irr_agrees_with_the_pv_savings() {
    let mut docs: Vec<(String, Value)> = all_scenarios()
        .iter()
        .map(|s| (describe(s), json_of(s)))
        .collect();
    docs.push(("the test scenario".into(), json_of_text(BASE)));
    let mut contradictions = Vec::new();
    for (what, doc) in &docs {
        let r = doc["scenario"]["discount_rate"].as_f64().unwrap();
        for o in doc["options"].as_array().unwrap() {
            let (Some(irr), Some(savings)) = (o["irr"].as_f64(), o["savings_vs_baseline"].as_f64())
            else {
                continue;
            };
            let pv = o["pv_cost"].as_f64().unwrap();
            if savings.abs() <= 1e-6 * pv.abs() {
                continue;
            }
            if (savings > 0.0) != (irr > r) {
                contradictions.push(format!(
                    "{what}: `{}` has PV savings {savings:.0} but IRR {:.1}%/year against a discount rate of {:.1}%",
                    o["name"].as_str().unwrap(),
                    irr * 100.0,
                    r * 100.0
                ));
            }
        }
    }
    assert!(
        contradictions.is_empty(),
        "IRR contradicts the PV savings:\n{}",
        contradictions.join("\n")
    );
}

#[test]
fn names_with_commas_quotes_and_bars_survive_every_format() {
    let name = "own, \"big\" | rack";
    let text = edit(BASE, "name = \"own\"", "name = \"own, \\\"big\\\" | rack\"");
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let run = |format: &str| {
        success([
            OsStr::new("run"),
            arg(&path),
            OsStr::new("--format"),
            OsStr::new(format),
        ])
    };

    let doc: Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(doc["options"][0]["name"], name);
    assert_eq!(doc["baseline"], name);

    let csv_text = run("csv");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[0], name);

    let md = run("markdown");
    let header = md.lines().find(|l| l.starts_with("|  |")).unwrap();
    let cells = header.replace("\\|", "").matches('|').count();
    assert_eq!(
        cells, 5,
        "an escaped bar keeps the header at 4 cells: {header}"
    );

    assert!(run("table").contains(name));
}

#[test]
fn output_to_a_bare_file_name_writes_into_the_current_folder() {
    let scratch = Scratch::new();
    let scenario = repo().join("scenarios/startup-finetune.toml");
    let out = tcosim()
        .current_dir(scratch.dir.path())
        .args([
            OsStr::new("run"),
            arg(&scenario),
            OsStr::new("--format"),
            OsStr::new("csv"),
            OsStr::new("--output"),
            OsStr::new("result.csv"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(scratch.listing(), ["result.csv"]);
}

#[test]
fn profiles_are_read_beside_the_scenario_from_any_folder() {
    // From the scenario's own folder, with a bare file name ...
    let out = tcosim()
        .current_dir(repo().join("scenarios"))
        .args(["run", "inference-fleet.toml", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // ... and from elsewhere, with an absolute path: the same figures.
    let scratch = Scratch::new();
    let elsewhere = tcosim()
        .current_dir(scratch.dir.path())
        .args([
            OsStr::new("run"),
            arg(&repo().join("scenarios/inference-fleet.toml")),
            OsStr::new("--format"),
            OsStr::new("json"),
        ])
        .output()
        .unwrap();
    assert_eq!(elsewhere.status.code(), Some(0), "{}", stderr(&elsewhere));
    let a: Value = serde_json::from_slice(&out.stdout).unwrap();
    let b: Value = serde_json::from_slice(&elsewhere.stdout).unwrap();
    assert_eq!(a["options"], b["options"]);
}

/// One offer used by two options, one of them with a derived committed price: the offer's
/// stale-price warning must still be printed once.
#[test]
fn each_warning_is_printed_once() {
    let text = edit(
        &edit(
            BASE,
            "kind = \"cloud\"\n",
            "kind = \"cloud\"\ncommitted_share = 0.5\n",
        ),
        "discount_rate = 0.08\n",
        "discount_rate = 0.08\nmax_price_age_months = 0\n",
    );
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let out = output([OsStr::new("run"), arg(&path)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let mut lines: Vec<&str> = err.lines().collect();
    assert!(!lines.is_empty(), "max_price_age_months = 0 warns");
    let all = lines.len();
    lines.sort();
    lines.dedup();
    assert_eq!(lines.len(), all, "a warning is repeated:\n{err}");
}

/// README M1: `season` is 1 for the built-in profiles, so a workload without growth asks for the
/// same GPU-hours every month, whatever its built-in profile.
#[test]
fn builtin_profiles_have_no_seasonality() {
    let mut wrong = Vec::new();
    for profile in ["flat", "business-hours", "bursty"] {
        let text = edit(
            &edit(
                &edit(BASE, "growth_per_year = 0.1", "growth_per_year = 0"),
                "profile = \"flat\"",
                &format!("profile = \"{profile}\""),
            ),
            "gpu_hours_per_month = 5000",
            "gpu_hours_per_month = 1000",
        );
        let doc = json_of_text(&text);
        let months: Vec<f64> = doc["options"][0]["monthly"]
            .as_array()
            .unwrap()
            .iter()
            .take(12)
            .map(|m| m["demand_gpu_hours"].as_f64().unwrap())
            .collect();
        if months.iter().any(|d| !close(*d, 1000.0)) {
            let shown: Vec<String> = months.iter().map(|d| format!("{d:.0}")).collect();
            wrong.push(format!("{profile}: {}", shown.join(", ")));
        }
    }
    assert!(
        wrong.is_empty(),
        "monthly demand of 1000 GPU-hours without growth varies by month:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn a_failure_to_write_standard_output_is_an_error() {
    // A full device fails every write; a closed pipe (`| head`) is not an error, a full disk is.
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not on this system
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tcosim"))
        .args(["run", "--format", "json"])
        .stdout(full)
        .output()
        .expect("tcosim starts");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("standard output: cannot write output"),
        "{err}"
    );
}

/// F2 from the published months: `pv_cost` = Σ paid_at_start / (1 + i)^(month − 1) +
/// paid_at_end / (1 + i)^month with i = (1 + r)^(1/12) − 1, recomputed here from the JSON and
/// from `--monthly` CSV of every example, and of an owned option that buys on a loan and refreshes
/// every two years (settling the loan at the start of the refresh month) with unserved work
/// priced; and each month's two parts add up to its cash out plus unserved.
#[test]
fn present_value_is_recomputed_from_the_monthly_rows() {
    let dir = Scratch::new();
    let loan = dir.write(
        "loan.toml",
        &edit(
            &edit(
                BASE,
                "horizon_months = 24",
                "horizon_months = 60\nunserved_cost_per_gpu_hour = 4.0",
            ),
            "servers = 2\nsite = \"us-tx-colo\"",
            "servers = 2\nsite = \"us-tx-colo\"\nrefresh_years = 2\nfinancing = { kind = \"loan\", annual_rate = 0.07, term_months = 36, down_payment = 0.1 }",
        ),
    );
    let mut scenarios: Vec<std::path::PathBuf> =
        example_scenarios().iter().map(|s| repo().join(s)).collect();
    scenarios.push(loan);
    for scenario in &scenarios {
        let doc: Value = serde_json::from_str(&success([
            OsStr::new("run"),
            arg(scenario),
            OsStr::new("--format"),
            OsStr::new("json"),
        ]))
        .expect("JSON");
        let r = doc["scenario"]["discount_rate"].as_f64().expect("rate");
        let i = (1.0 + r).powf(1.0 / 12.0) - 1.0;
        let csv = success([
            OsStr::new("run"),
            arg(scenario),
            OsStr::new("--format"),
            OsStr::new("csv"),
            OsStr::new("--monthly"),
        ]);
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().expect("header").split(',').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
        let (c_option, c_month, c_start, c_end) = (
            col("option"),
            col("month"),
            col("paid_at_start"),
            col("paid_at_end"),
        );
        let rows: Vec<Vec<String>> = lines
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        for option in doc["options"].as_array().expect("options") {
            let name = option["name"].as_str().expect("name");
            let mut from_json = 0.0;
            for m in option["monthly"].as_array().expect("months") {
                let month = m["month"].as_f64().expect("month");
                let (start, end) = (
                    m["paid_at_start"].as_f64().expect("paid_at_start"),
                    m["paid_at_end"].as_f64().expect("paid_at_end"),
                );
                from_json += start / (1.0 + i).powf(month - 1.0) + end / (1.0 + i).powf(month);
                // After tax, the month's cost includes its tax (README TX3).
                let cost = m["cash_out"].as_f64().expect("cash_out")
                    + m["unserved"].as_f64().expect("unserved")
                    + m.get("tax").map_or(0.0, |t| t.as_f64().expect("tax"));
                assert!(
                    (start + end - cost).abs() <= REL_TOL * (1.0 + cost.abs()),
                    "{scenario:?} {name} month {month}: {start} + {end} != {cost}"
                );
            }
            let mut from_csv = 0.0;
            for row in rows.iter().filter(|r| r[c_option] == name) {
                let month: f64 = row[c_month].parse().expect("month");
                let start: f64 = row[c_start].parse().expect("paid_at_start");
                let end: f64 = row[c_end].parse().expect("paid_at_end");
                from_csv += start / (1.0 + i).powf(month - 1.0) + end / (1.0 + i).powf(month);
            }
            let pv = option["pv_cost"].as_f64().expect("pv_cost");
            for recomputed in [from_json, from_csv] {
                assert!(
                    (recomputed - pv).abs() <= REL_TOL * pv.abs().max(1.0),
                    "{scenario:?} {name}: PV from the months {recomputed}, pv_cost {pv}"
                );
            }
        }
    }
}

/// ROI (F3) against a computation written here from the loan's terms: two DGX H100 bought on a
/// loan (10% down, 7% over 36 months) and refreshed every two years over five years, so the
/// loan is settled at the start of months 25 and 49 and at the end of the horizon; the
/// investment is discounted from when each payment is made, as the PV is.
#[test]
fn roi_discounts_each_payment_from_when_it_is_made() {
    let dir = Scratch::new();
    let text = edit(
        &edit(
            BASE,
            "horizon_months = 24",
            "horizon_months = 60\nbaseline = \"rent\"",
        ),
        "servers = 2\nsite = \"us-tx-colo\"",
        "servers = 2\nsite = \"us-tx-colo\"\nrefresh_years = 2\nfinancing = { kind = \"loan\", annual_rate = 0.07, term_months = 36, down_payment = 0.1 }",
    );
    let scenario = dir.write("loan.toml", &text);
    let doc: Value = serde_json::from_str(&success([
        OsStr::new("run"),
        arg(&scenario),
        OsStr::new("--format"),
        OsStr::new("json"),
    ]))
    .expect("JSON");
    let servers: toml::Table = std::fs::read_to_string(repo().join("catalogs/servers.toml"))
        .expect("servers catalog")
        .parse()
        .expect("TOML");
    let unit_price = servers["server"]
        .as_array()
        .expect("server rows")
        .iter()
        .find(|s| s["id"].as_str() == Some("dgx-h100"))
        .and_then(|s| s["price_usd"].as_float())
        .expect("dgx-h100 price");
    let price = 2.0 * unit_price;
    let (rate, term, down, horizon, cycle) = (0.07 / 12.0, 36usize, 0.1, 60usize, 24usize);
    let i = 1.08f64.powf(1.0 / 12.0) - 1.0;
    let d = |t: usize| (1.0 + i).powi(-(t as i32));
    let financed = price * (1.0 - down);
    let pmt = financed * rate / (1.0 - (1.0 + rate).powi(-(term as i32)));
    let balance = |k: usize| {
        let g = (1.0 + rate).powi(k as i32);
        financed * g - pmt * (g - 1.0) / rate
    };
    let mut investment = 0.0;
    let mut start = 0;
    while start < horizon {
        let end = (start + cycle).min(horizon);
        let paid = term.min(end - start);
        investment += price * down * d(start);
        investment += (start..start + paid).map(|m| pmt * d(m + 1)).sum::<f64>();
        if paid < term {
            // Settled at the start of the refresh month, or at the end of the horizon.
            investment += balance(paid) * if end < horizon { d(end) } else { d(horizon) };
        }
        start = end;
    }
    let option = |name: &str| {
        doc["options"]
            .as_array()
            .expect("options")
            .iter()
            .find(|o| o["name"] == name)
            .expect(name)
            .clone()
    };
    let (own, rent) = (option("own"), option("rent"));
    let savings = rent["pv_cost"].as_f64().expect("pv") - own["pv_cost"].as_f64().expect("pv");
    let expected = savings / investment;
    let roi = own["roi"].as_f64().expect("own has an ROI against rent");
    assert!(
        (roi - expected).abs() <= 1e-9 * expected.abs(),
        "ROI {roi}, expected {expected}"
    );
}

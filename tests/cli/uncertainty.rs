//! Uncertainty on the command line: `run --samples N --seed S` (Monte Carlo), `sensitivity`
//! (one-at-a-time swings) and `sweep` (a grid over option parameters), in every format; their
//! determinism; the agreement of Monte Carlo with the deterministic run and with the sampled
//! distributions; and every bad `[[uncertain]]`, `[[correlation]]` and `[sweep]` input.

use crate::support::{
    BASE, Scratch, arg, line_col, output, rejected, repo, run_rejected, stderr, stdout, success,
};
use serde_json::Value;
use std::ffi::OsStr;

const FLEET: &str = "scenarios/inference-fleet.toml";
const STARTUP: &str = "scenarios/startup-finetune.toml";
const EUR_EXAMPLE: &str = "scenarios/enterprise-llm-frankfurt.toml";
/// The option names of `scenarios/inference-fleet.toml`, in file order.
const FLEET_OPTIONS: [&str; 4] = [
    "aws-l40s-committed",
    "own-l40s",
    "own-l4",
    "hybrid-l40s-coreweave",
];
/// The headline metrics of the `montecarlo` object, and the statistics of each.
const METRICS: [&str; 6] = [
    "pv_cost",
    "total_cost",
    "cost_per_gpu_hour",
    "unmet_gpu_hours",
    "energy_kwh",
    "co2_t",
];
const STATS: [&str; 8] = ["count", "mean", "sd", "p5", "p10", "p50", "p90", "p95"];
const QUANTILES: [&str; 5] = ["p5", "p10", "p50", "p90", "p95"];

// --- Helpers --------------------------------------------------------------------------------

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// `v[key]` as a number; panics on a missing key, `null` or anything else.
fn num(v: &Value, key: &str) -> f64 {
    v.get(key)
        .unwrap_or_else(|| panic!("no `{key}` in {v}"))
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is not a number in {v}"))
}

fn array<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v.get(key)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("`{key}` is not an array in {v}"))
}

fn options_by_name<'a>(doc: &'a Value, key: &str, name: &str) -> &'a Value {
    array(doc, key)
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no option `{name}` in `{key}`"))
}

/// `|a − b| <= tol`, with a message.
fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol,
        "{what}: {a} and {b} differ by {} (tolerance {tol})",
        (a - b).abs()
    );
}

/// A number printed in CSV, read with the same parser as the JSON numbers it is compared with
/// (serde_json's float parsing may differ from `str::parse` in the last bit).
fn csv_num(field: &str) -> f64 {
    serde_json::from_str::<f64>(field).unwrap_or_else(|_| panic!("not a number: `{field}`"))
}

/// Runs `tcosim args` and parses its JSON stdout.
fn json<S: AsRef<OsStr>>(args: &[S]) -> Value {
    parse(&success(args))
}

/// `[[uncertain]]` with `path`, `distribution` and `params` (`name = value` in TOML syntax).
fn uncertain(path: &str, distribution: &str, params: &[(&str, &str)]) -> String {
    let mut s = format!("\n[[uncertain]]\npath = \"{path}\"\ndistribution = \"{distribution}\"\n");
    for (k, v) in params {
        s.push_str(&format!("{k} = {v}\n"));
    }
    s
}

fn correlation(a: &str, b: &str, rank: &str) -> String {
    format!("\n[[correlation]]\na = \"{a}\"\nb = \"{b}\"\nrank = {rank}\n")
}

/// `[sweep]` with an objective, samples (when not 0) and one `[[sweep.parameter]]` whose body
/// is `parameter` (TOML lines).
fn sweep(objective: &str, samples: u64, parameter: &str) -> String {
    let mut s = format!("\n[sweep]\nobjective = \"{objective}\"\n");
    if samples > 0 {
        s.push_str(&format!("samples = {samples}\n"));
    }
    s + "\n[[sweep.parameter]]\n" + parameter
}

/// The base test scenario (options `own`, `rent`, `mix`; workload `training`) with `extra`.
fn base_with(extra: &str) -> String {
    format!("{BASE}{extra}")
}

/// Three uncertain inputs of the base scenario, all valid.
fn three_uncertain() -> String {
    uncertain(
        "discount_rate",
        "uniform",
        &[("low", "0.05"), ("high", "0.1")],
    ) + &uncertain(
        "demand_scale",
        "uniform",
        &[("low", "0.8"), ("high", "1.2")],
    ) + &uncertain(
        "site[us-tx-colo].pue",
        "uniform",
        &[("low", "1.2"), ("high", "1.6")],
    )
}

/// 1-based line and column of the `n`-th (0-based) occurrence of `needle` in `text`.
fn nth_pos(text: &str, needle: &str, n: usize) -> (usize, usize) {
    let at = text
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("`{needle}` does not occur {} times in\n{text}", n + 1))
        .0;
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map(|p| p + 1).unwrap_or(0)..]
        .chars()
        .count()
        + 1;
    if n == 0 {
        assert_eq!((line, col), line_col(text, needle));
    }
    (line, col)
}

/// Position of the value of the `n`-th occurrence of `assignment` (e.g. `path = "x"`).
fn value_pos(text: &str, assignment: &str, n: usize) -> (usize, usize) {
    let (line, col) = nth_pos(text, assignment, n);
    (
        line,
        col + assignment.find("= ").expect("an assignment") + 2,
    )
}

fn key(k: &str) -> String {
    format!("key: `{k}`")
}

/// Writes `text` as a scenario and asserts that `run` (and `sensitivity` and `sweep`, which
/// read the same sections) reject it: exit 2, nothing on stdout, no `--output` file, and a
/// message starting with `error: FILE:LINE:COL: ` that contains every one of `needles`.
fn rejects(text: &str, pos: (usize, usize), needles: &[&str]) -> String {
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", text);
    let start = format!("error: {}:{}:{}: ", path.display(), pos.0, pos.1);
    let mut all = vec![start.as_str()];
    all.extend_from_slice(needles);
    let err = run_rejected(&[arg(&path)], &all);
    assert!(
        err.starts_with(&start),
        "the message should start with `{start}`:\n{err}"
    );
    for command in ["sensitivity", "sweep"] {
        let again = rejected(&[OsStr::new(command), arg(&path)], &all);
        assert_eq!(err, again, "`{command}` reports the same error");
    }
    assert_eq!(
        scratch.listing(),
        ["scenario.toml"],
        "a rejected run wrote files"
    );
    err
}

/// The Monte Carlo JSON of the inference fleet.
fn fleet_mc(samples: &str, seed: &str) -> Value {
    json(&[
        "run",
        FLEET,
        "--samples",
        samples,
        "--seed",
        seed,
        "--format",
        "json",
    ])
}

/// Checks the `montecarlo` object of `doc`: shape, ordered quantiles, sane moments,
/// probabilities that are probabilities.
fn check_montecarlo(doc: &Value, samples: u64, seed: u64) {
    let mc = &doc["montecarlo"];
    assert!(mc.is_object(), "no `montecarlo` object");
    assert_eq!(mc["samples"].as_u64(), Some(samples), "montecarlo.samples");
    assert_eq!(mc["seed"].as_u64(), Some(seed), "montecarlo.seed");
    let rel = num(mc, "quantile_relative_error");
    assert!(rel > 0.0 && rel <= 0.01, "quantile_relative_error {rel}");

    let names: Vec<&str> = array(doc, "options")
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    let mc_names: Vec<&str> = array(mc, "options")
        .iter()
        .map(|o| o["name"].as_str().expect("montecarlo option name"))
        .collect();
    assert_eq!(mc_names, names, "montecarlo.options follow options[]");

    let baseline = doc["baseline"].as_str().unwrap();
    let mut p_cheapest_sum = 0.0;
    for o in array(mc, "options") {
        let name = o["name"].as_str().unwrap();
        let p = num(o, "p_cheapest");
        let b = num(o, "p_beats_baseline");
        let s = num(o, "p_serves_demand");
        assert!((0.0..=1.0).contains(&p), "{name}: p_cheapest {p}");
        assert!((0.0..=1.0).contains(&b), "{name}: p_beats_baseline {b}");
        assert!((0.0..=1.0).contains(&s), "{name}: p_serves_demand {s}");
        if name == baseline {
            assert_eq!(b, 0.0, "the baseline never beats itself");
        }
        p_cheapest_sum += p;
        let metrics = o["metrics"].as_object().expect("metrics object");
        let mut keys: Vec<&str> = metrics.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut want = METRICS.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want, "{name}: metric keys");
        for m in METRICS {
            let s = &metrics[m];
            let at = format!("{name}.{m}");
            let mut stat_keys: Vec<&str> = s
                .as_object()
                .unwrap_or_else(|| panic!("{at} is {s}, not an object"))
                .keys()
                .map(String::as_str)
                .collect();
            stat_keys.sort_unstable();
            let mut want = STATS.to_vec();
            want.sort_unstable();
            assert_eq!(stat_keys, want, "{at}: statistic keys");
            for k in STATS {
                let v = num(s, k);
                assert!(v.is_finite(), "{at}.{k} = {v}");
            }
            assert_eq!(s["count"].as_u64(), Some(samples), "{at}: count");
            let q: Vec<f64> = QUANTILES.iter().map(|k| num(s, k)).collect();
            assert!(
                q.windows(2).all(|w| w[0] <= w[1]),
                "{at}: p5 <= p10 <= p50 <= p90 <= p95: {q:?}"
            );
            // Every headline metric of these scenarios is non-negative.
            assert!(q[0] >= 0.0, "{at}: p5 {} is negative", q[0]);
            let (mean, sd) = (num(s, "mean"), num(s, "sd"));
            assert!(sd >= 0.0, "{at}: sd {sd}");
            // The sketch's quantiles are within `rel` of a sample value; the mean lies between
            // the 5th and 95th percentiles for these moderately skewed inputs.
            assert!(
                mean >= q[0] * (1.0 - 2.0 * rel) && mean <= q[4] * (1.0 + 2.0 * rel),
                "{at}: mean {mean} outside [p5, p95] {q:?}"
            );
        }
    }
    assert!(
        (p_cheapest_sum - 1.0).abs() <= 1e-9,
        "p_cheapest sums to {p_cheapest_sum}"
    );
}

// --- run --samples: every format -------------------------------------------------------------

#[test]
fn monte_carlo_json_adds_montecarlo_and_keeps_every_field() {
    let with = fleet_mc("1000", "7");
    check_montecarlo(&with, 1000, 7);

    let without = json(&["run", FLEET, "--format", "json"]);
    assert!(
        without.get("montecarlo").is_none(),
        "without --samples there is no `montecarlo` key"
    );
    let mut stripped = with.clone();
    stripped
        .as_object_mut()
        .unwrap()
        .remove("montecarlo")
        .expect("montecarlo");
    assert!(
        stripped == without,
        "--samples changes the deterministic fields of the JSON"
    );
    // Uncertain prices, demand and power move every option's PV cost.
    for name in FLEET_OPTIONS {
        let pv = &options_by_name(&with["montecarlo"], "options", name)["metrics"]["pv_cost"];
        assert!(num(pv, "sd") > 0.0, "{name}: PV cost does not vary");
        assert!(num(pv, "p5") < num(pv, "p95"), "{name}: {pv}");
    }
}

/// A deterministic output split before its closing assumptions list, which starts at `heading`.
fn split_assumptions<'a>(plain: &'a str, heading: &str) -> (&'a str, &'a str) {
    let at = plain
        .rfind(heading)
        .unwrap_or_else(|| panic!("an assumptions list in\n{plain}"));
    plain.split_at(at)
}

#[test]
fn monte_carlo_table_adds_a_section_after_the_deterministic_table() {
    let plain = success(["run", FLEET]);
    let text = success(["run", FLEET, "--samples", "1000", "--seed", "3"]);
    let (body, assumptions) = split_assumptions(&plain, "\nAssumptions (");
    assert!(
        text.starts_with(body),
        "the deterministic table comes first, unchanged:\n{text}"
    );
    assert!(
        text.ends_with(assumptions),
        "the assumptions list comes last"
    );
    let section = &text[body.len()..text.len() - assumptions.len()];
    for needle in [
        "Monte Carlo: 1,000 samples, seed 3",
        "P(serves demand)",
        "P(cheapest by PV)",
        "P(beats baseline)",
        "baseline",
        "Mean",
        "SD",
        "P5",
        "P95",
        "PV cost [USD]",
        "Total cost [USD]",
        "Cost per GPU-hour [USD]",
        "Unmet [GPU-h]",
        "Energy [MWh]",
        "Carbon [tCO2]",
    ] {
        assert!(section.contains(needle), "no `{needle}` in\n{section}");
    }
    for name in FLEET_OPTIONS {
        // One odds row and six metric rows per option.
        assert_eq!(
            section.matches(&format!("│ {name} ")).count(),
            7,
            "rows of {name} in\n{section}"
        );
    }
    assert!(!section.contains("NaN"), "{section}");
}

#[test]
fn monte_carlo_markdown_adds_a_section_after_the_deterministic_report() {
    let plain = success(["run", FLEET, "--format", "markdown"]);
    let text = success([
        "run",
        FLEET,
        "--format",
        "markdown",
        "--samples",
        "1000",
        "--seed",
        "3",
    ]);
    let (body, assumptions) = split_assumptions(&plain, "\n## Assumptions\n");
    assert!(
        text.starts_with(body),
        "the deterministic Markdown comes first"
    );
    assert!(
        text.ends_with(assumptions),
        "the assumptions list comes last"
    );
    let section = &text[body.len()..text.len() - assumptions.len()];
    assert!(
        section.contains("## Monte Carlo: 1,000 samples, seed 3"),
        "{section}"
    );
    assert!(
        section.contains("| Option | P(serves demand) | P(cheapest by PV) | P(beats baseline) |"),
        "{section}"
    );
    assert!(
        section.contains("| Option | Metric | Mean | SD | P5 | P10 | P50 | P90 | P95 |"),
        "{section}"
    );
    for name in FLEET_OPTIONS {
        assert_eq!(
            section.matches(&format!("| {name} |")).count(),
            7,
            "rows of {name} in\n{section}"
        );
    }
}

#[test]
fn a_single_sample_has_no_standard_deviation() {
    // The sample standard deviation divides by n − 1: with one sample it is not defined, and a
    // 0 would claim a certainty one draw cannot give.
    let doc = fleet_mc("1", "3");
    for name in FLEET_OPTIONS {
        let o = options_by_name(&doc["montecarlo"], "options", name);
        for m in METRICS {
            let s = &o["metrics"][m];
            assert!(s["sd"].is_null(), "{name}.{m}: {s}");
            assert_eq!(num(s, "count"), 1.0, "{name}.{m}");
            for q in QUANTILES {
                assert_eq!(num(s, q), num(s, "mean"), "{name}.{m}.{q}");
            }
        }
    }
    let csv = success([
        "run",
        FLEET,
        "--samples",
        "1",
        "--seed",
        "3",
        "--format",
        "csv",
    ]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let sd = header
        .iter()
        .position(|c| *c == "sd")
        .expect("an sd column");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), FLEET_OPTIONS.len() * METRICS.len(), "{csv}");
    for row in rows {
        assert_eq!(row.split(',').nth(sd), Some(""), "{row}");
    }
    let table = success(["run", FLEET, "--samples", "1", "--seed", "3"]);
    let pv_row = table
        .lines()
        .find(|l| l.contains("own-l40s") && l.contains("PV cost [USD]"))
        .expect("a PV cost row for own-l40s");
    let cells: Vec<&str> = pv_row.split('┆').map(str::trim).collect();
    assert_eq!(cells[3], "n/a", "{pv_row}");
    // Two samples have one.
    let two = fleet_mc("2", "3");
    let o = options_by_name(&two["montecarlo"], "options", "own-l40s");
    assert!(num(&o["metrics"]["pv_cost"], "sd") > 0.0);
}

#[test]
fn monte_carlo_csv_carries_the_same_numbers_as_json() {
    let doc = fleet_mc("1000", "5");
    let text = success([
        "run",
        FLEET,
        "--samples",
        "1000",
        "--seed",
        "5",
        "--format",
        "csv",
    ]);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    assert_eq!(
        header,
        [
            "option",
            "metric",
            "currency",
            "samples",
            "seed",
            "count",
            "mean",
            "sd",
            "p5",
            "p10",
            "p50",
            "p90",
            "p95",
            "p_cheapest",
            "p_beats_baseline",
            "p_serves_demand",
            "unit"
        ]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), FLEET_OPTIONS.len() * METRICS.len(), "{text}");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), header.len(), "row {i}: {row:?}");
        let (name, metric) = (row[0], row[1]);
        assert_eq!(name, FLEET_OPTIONS[i / METRICS.len()], "row order");
        assert_eq!(metric, METRICS[i % METRICS.len()], "row order");
        // The currency only for money; every row names its unit.
        let (currency, unit) = match metric {
            "pv_cost" | "total_cost" => ("USD", "USD"),
            "cost_per_gpu_hour" => ("USD", "USD per GPU-hour"),
            "unmet_gpu_hours" => ("", "GPU-hours"),
            "energy_kwh" => ("", "kWh"),
            "co2_t" => ("", "t CO2e"),
            other => panic!("unexpected metric {other}"),
        };
        assert_eq!(&row[2..5], [currency, "1000", "5"]);
        assert_eq!(row.last(), Some(&unit), "{name}.{metric}");
        let o = options_by_name(&doc["montecarlo"], "options", name);
        let s = &o["metrics"][metric];
        for (col, k) in header
            .iter()
            .zip(row)
            .skip(5)
            .filter(|(col, _)| **col != "unit")
        {
            let from_json = if col.starts_with("p_") && !col[2..].starts_with(char::is_numeric) {
                num(o, col)
            } else {
                num(s, col)
            };
            let from_csv = csv_num(k);
            assert_eq!(from_csv, from_json, "{name}.{metric}.{col}: CSV vs JSON");
        }
    }
}

// --- Determinism ---------------------------------------------------------------------------

#[test]
fn the_same_seed_gives_byte_identical_json_whatever_the_threads() {
    // 1000 samples are 4 chunks of 256, so two threads really split the work.
    let run = |threads: &str| {
        let out = output([
            "run",
            FLEET,
            "--samples",
            "1000",
            "--seed",
            "42",
            "--format",
            "json",
            "--threads",
            threads,
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        out.stdout
    };
    let two = run("2");
    assert!(two == run("2"), "two runs differ");
    assert!(two == run("1"), "--threads 1 and 2 differ");
}

#[test]
fn a_different_seed_changes_the_sampled_results_only() {
    let a = fleet_mc("1000", "1");
    let b = fleet_mc("1000", "2");
    assert_eq!(
        a["options"], b["options"],
        "the deterministic part is seedless"
    );
    for name in FLEET_OPTIONS {
        let pa = &options_by_name(&a["montecarlo"], "options", name)["metrics"]["pv_cost"];
        let pb = &options_by_name(&b["montecarlo"], "options", name)["metrics"]["pv_cost"];
        assert_ne!(num(pa, "mean"), num(pb, "mean"), "{name}: mean PV cost");
        assert_ne!(num(pa, "sd"), num(pb, "sd"), "{name}: sd of PV cost");
    }
}

// --- Monte Carlo against the deterministic run ----------------------------------------------

/// Asserts that every option's Monte Carlo statistics of every metric equal its deterministic
/// value exactly (as f64), with sd 0.
fn assert_mc_equals_deterministic(doc: &Value, samples: u64) {
    for o in array(doc, "options") {
        let name = o["name"].as_str().unwrap();
        let mc = options_by_name(&doc["montecarlo"], "options", name);
        for m in METRICS {
            let s = &mc["metrics"][m];
            let det = num(o, m);
            assert_eq!(s["count"].as_u64(), Some(samples), "{name}.{m}: count");
            assert_eq!(num(s, "sd"), 0.0, "{name}.{m}: sd");
            for k in ["mean", "p5", "p10", "p50", "p90", "p95"] {
                assert!(
                    num(s, k) == det,
                    "{name}.{m}.{k} = {:?}, deterministic {det:?}",
                    num(s, k)
                );
            }
        }
    }
}

/// `tcosim run PATH --samples N --seed 9 --format json`.
/// `tcosim run PATH --samples N --seed S --format json`, parsed.
fn mc_of(path: &std::path::Path, samples: &str, seed: &str) -> Value {
    json(&[
        arg("run"),
        arg(path),
        arg("--samples"),
        arg(samples),
        arg("--seed"),
        arg(seed),
        arg("--format"),
        arg("json"),
    ])
}

#[test]
fn inputs_fixed_at_their_values_reproduce_the_deterministic_run_exactly() {
    let text = std::fs::read_to_string(repo().join(STARTUP)).unwrap()
        + &uncertain("discount_rate", "fixed", &[("value", "0.15")])
        + &uncertain(
            "offer[lambda-gpu_8x_h100_sxm5].on_demand_usd_per_hour",
            "fixed",
            &[("value", "31.92")],
        )
        + &uncertain(
            "site[us-tx-colo].electricity_per_kwh",
            "fixed",
            &[("value", "0.0660")],
        )
        + &uncertain(
            "server[hgx-h100-oem].price_usd",
            "fixed",
            &[("value", "296644.0")],
        )
        + &uncertain(
            "option[own-2-hgx].financing.annual_rate",
            "fixed",
            &[("value", "0.09")],
        );
    let scratch = Scratch::new();
    let path = scratch.write("fixed.toml", &text);
    let doc = mc_of(&path, "1000", "9");
    check_montecarlo(&doc, 1000, 9);
    assert_mc_equals_deterministic(&doc, 1000);
    // And the deterministic figures are those of the file without `[[uncertain]]`.
    let plain = json(&["run", STARTUP, "--format", "json"]);
    assert_eq!(doc["options"], plain["options"]);
}

#[test]
fn fixed_demand_inputs_reproduce_the_deterministic_run_exactly() {
    // Workload inputs change the hourly demand, so every sample rebuilds its load-duration
    // curves (through M0b for the FLOPs workload); a 12-month copy keeps this fast in debug.
    let text = std::fs::read_to_string(repo().join(STARTUP))
        .unwrap()
        .replacen("horizon_months = 36", "horizon_months = 12", 1)
        + &uncertain(
            "workload[fine-tuning jobs].gpu_hours_per_month",
            "fixed",
            &[("value", "6000")],
        )
        + &uncertain(
            "workload[fine-tuning jobs].growth_per_year",
            "fixed",
            &[("value", "0.5")],
        )
        + &uncertain(
            "workload[nightly evaluation].training_flops_per_month",
            "fixed",
            &[("value", "2.0e21")],
        )
        + &uncertain(
            "workload[nightly evaluation].mfu",
            "fixed",
            &[("value", "0.35")],
        )
        + &uncertain("demand_growth_per_year", "fixed", &[("value", "0.0")]);
    assert!(text.contains("horizon_months = 12"));
    let scratch = Scratch::new();
    let path = scratch.write("fixed-demand.toml", &text);
    let doc = mc_of(&path, "500", "9");
    assert_mc_equals_deterministic(&doc, 500);
}

#[test]
fn inputs_fixed_at_their_values_reproduce_a_eur_run_through_currency_conversion() {
    // The enterprise example reports in EUR: USD catalog prices are converted, and a sampled
    // price must take the same path as the deterministic one, bit for bit. (Nothing here
    // changes the hourly demand shape, so samples reuse the deterministic curves: fast.)
    let text = std::fs::read_to_string(repo().join(EUR_EXAMPLE)).unwrap()
        + &uncertain(
            "site[de-fra-colo].electricity_per_kwh",
            "fixed",
            &[("value", "0.2016")],
        )
        + &uncertain(
            "server[dgx-h100].price_usd",
            "fixed",
            &[("value", "329736.0")],
        )
        + &uncertain(
            "offer[aws-p5.48xlarge-eu-west-2].on_demand_usd_per_hour",
            "fixed",
            &[("value", "71.552")],
        )
        + &uncertain(
            "offer[aws-p5.48xlarge-eu-west-2].spot_usd_per_hour",
            "fixed",
            &[("value", "15.7259")],
        )
        + &uncertain(
            "provider[aws].storage_usd_per_tb_month",
            "fixed",
            &[("value", "23.0")],
        )
        + &uncertain(
            "provider[aws].egress_usd_per_tb",
            "fixed",
            &[("value", "90.0")],
        )
        + &uncertain(
            "option[aws-h100].committed_share",
            "fixed",
            &[("value", "0.5")],
        )
        + &uncertain(
            "electricity_escalation_per_year",
            "fixed",
            &[("value", "0.02")],
        )
        + &uncertain("demand_scale", "fixed", &[("value", "1.0")]);
    let scratch = Scratch::new();
    let path = scratch.write("fixed-eur.toml", &text);
    let doc = mc_of(&path, "500", "1");
    assert_mc_equals_deterministic(&doc, 500);

    // The same through CSV, whose numbers `str::parse` reads exactly (shortest round-trip).
    let det_csv = success([arg("run"), arg(&path), arg("--format"), arg("csv")]);
    let mut det_lines = det_csv.lines();
    let det_header: Vec<&str> = det_lines.next().unwrap().split(',').collect();
    let det_rows: Vec<Vec<&str>> = det_lines.map(|l| l.split(',').collect()).collect();
    let mc_csv = success([
        arg("run"),
        arg(&path),
        arg("--samples"),
        arg("500"),
        arg("--format"),
        arg("csv"),
    ]);
    let mc_rows: Vec<Vec<&str>> = mc_csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(mc_rows.len(), det_rows.len() * METRICS.len());
    for r in &mc_rows {
        let (name, metric) = (r[0], r[1]);
        let det_row = det_rows.iter().find(|d| d[0] == name).expect("the option");
        let col = det_header
            .iter()
            .position(|h| *h == metric)
            .expect("the metric");
        let det: f64 = det_row[col].parse().unwrap();
        assert_eq!(r[7].parse::<f64>().unwrap(), 0.0, "{name}.{metric}: sd");
        for (k, v) in [
            (6, "mean"),
            (8, "p5"),
            (9, "p10"),
            (10, "p50"),
            (11, "p90"),
            (12, "p95"),
        ] {
            assert!(
                r[k].parse::<f64>().unwrap() == det,
                "{name}.{metric}.{v}: {} vs {}",
                r[k],
                det_row[col]
            );
        }
    }
}

#[test]
fn samples_without_uncertain_inputs_warn_and_equal_the_deterministic_run() {
    let out = output(["run", STARTUP, "--samples", "500", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no `[[uncertain]]` inputs"),
        "a warning on stderr: {}",
        stderr(&out)
    );
    let doc = parse(&stdout(&out));
    assert_mc_equals_deterministic(&doc, 500);
    let quiet = output([
        "--quiet",
        "run",
        STARTUP,
        "--samples",
        "500",
        "--format",
        "json",
    ]);
    assert!(quiet.stderr.is_empty(), "--quiet: {}", stderr(&quiet));
    assert!(quiet.stdout == out.stdout);
}

#[test]
fn an_option_that_leaves_demand_unmet_is_not_the_cheapest_while_another_serves() {
    // The work may not leave the building, so the cloud option serves none of it and costs
    // almost nothing: cheapest by PV in every sample. One owned server serves the work only
    // when the demand scale is low enough. P(cheapest) ranks the options that serve each
    // sample's demand, as the verdict does: the owned server wins exactly in the samples it
    // serves, the cloud option only in the others (where nothing serves).
    let text = r#"name = "unmet"
horizon_months = 12
start = "2027-01"
discount_rate = 0.08
reference_accelerator = "h100-sxm"

[[workload]]
name = "regulated training"
gpu_hours_per_month = 5000
profile = "flat"
sensitive = true

[[option]]
name = "rent"
kind = "cloud"
offer = "aws-p5.48xlarge-us-east-1"

[[option]]
name = "own-1"
kind = "onprem"
server = "hgx-h100-oem"
servers = 1
site = "us-tx-colo"
"#
    .to_string()
        + &uncertain(
            "demand_scale",
            "uniform",
            &[("low", "0.5"), ("high", "1.5")],
        );
    let scratch = Scratch::new();
    let path = scratch.write("unmet.toml", &text);
    let doc = mc_of(&path, "500", "1");
    let mc = &doc["montecarlo"];
    // The rent option delivers nothing, so it has no cost per GPU-hour.
    assert!(options_by_name(mc, "options", "rent")["metrics"]["cost_per_gpu_hour"].is_null());
    let (rent, own) = (
        options_by_name(mc, "options", "rent"),
        options_by_name(mc, "options", "own-1"),
    );
    assert_eq!(num(rent, "p_serves_demand"), 0.0);
    let serves = num(own, "p_serves_demand");
    assert!(0.0 < serves && serves < 1.0, "both cases occur: {serves}");
    assert_eq!(num(own, "p_cheapest"), serves);
    assert!((num(rent, "p_cheapest") - (1.0 - serves)).abs() < 1e-12);
    // The text table carries the same column.
    let table = success(["run", path.to_str().unwrap(), "--samples", "500"]);
    assert!(table.contains("P(serves demand)"), "{table}");
}

#[test]
fn tied_options_share_the_cheapest_probability() {
    // Two identical cloud options tie in every sample: each is cheapest half the time.
    let text = r#"name = "ties"
horizon_months = 12
start = "2027-01"
discount_rate = 0.08
reference_accelerator = "h100-sxm"

[[workload]]
name = "training"
gpu_hours_per_month = 5000
profile = "flat"

[[option]]
name = "rent-a"
kind = "cloud"
offer = "aws-p5.48xlarge-us-east-1"

[[option]]
name = "rent-b"
kind = "cloud"
offer = "aws-p5.48xlarge-us-east-1"
"#
    .to_string()
        + &uncertain(
            "offer[aws-p5.48xlarge-us-east-1].on_demand_usd_per_hour",
            "uniform",
            &[("low", "40"), ("high", "60")],
        );
    let scratch = Scratch::new();
    let path = scratch.write("ties.toml", &text);
    let doc = mc_of(&path, "500", "1");
    check_montecarlo(&doc, 500, 1);
    for name in ["rent-a", "rent-b"] {
        let o = options_by_name(&doc["montecarlo"], "options", name);
        assert_eq!(num(o, "p_cheapest"), 0.5, "{name}");
        assert_eq!(
            num(o, "p_beats_baseline"),
            0.0,
            "{name}: a tie does not beat"
        );
    }
}

#[test]
fn sampled_statistics_match_a_uniform_demand_scale() {
    // One pure on-demand cloud option without storage or egress: its PV cost is exactly linear
    // in the demand scale, PV(s) = s × PV(1), so with s ~ U(0.5, 1.5) the PV cost is uniform on
    // [0.5, 1.5] × PV(1): mean PV(1), sd PV(1)/√12, quantile q at (0.5 + q) × PV(1).
    let text = r#"name = "uniform demand"
horizon_months = 24
start = "2027-01"
discount_rate = 0.08
reference_accelerator = "h100-sxm"

[[workload]]
name = "training"
gpu_hours_per_month = 5000
growth_per_year = 0.1
profile = "flat"

[[option]]
name = "rent"
kind = "cloud"
offer = "aws-p5.48xlarge-us-east-1"
"#
    .to_string()
        + &uncertain(
            "demand_scale",
            "uniform",
            &[("low", "0.5"), ("high", "1.5")],
        );
    let scratch = Scratch::new();
    let path = scratch.write("uniform.toml", &text);
    let n = 4000u64;
    let doc = mc_of(&path, "4000", "11");
    check_montecarlo(&doc, n, 11);
    let pv1 = num(&doc["options"][0], "pv_cost");
    let s = &doc["montecarlo"]["options"][0]["metrics"]["pv_cost"];
    let rel = num(&doc["montecarlo"], "quantile_relative_error");
    let nf = n as f64;
    let sd = pv1 / 12f64.sqrt();

    // Mean: within 4 standard errors, sd/√n.
    assert_close(num(s, "mean"), pv1, 4.0 * sd / nf.sqrt(), "mean PV cost");
    // SD: the standard error of a sample sd of a uniform is sd × √((kurtosis − 1)/(4n)), with
    // kurtosis 1.8.
    assert_close(
        num(s, "sd"),
        sd,
        4.0 * sd * (0.8 / (4.0 * nf)).sqrt(),
        "sd of PV cost",
    );
    // Quantile q: the sample quantile's standard error is √(q(1−q)/n) / density, the density
    // of the scale being 1 per unit; plus the sketch's relative error.
    for (k, q) in [
        ("p5", 0.05),
        ("p10", 0.10),
        ("p50", 0.5),
        ("p90", 0.9),
        ("p95", 0.95),
    ] {
        let want = (0.5 + q) * pv1;
        let tol = 4.0 * pv1 * (q * (1.0 - q) / nf).sqrt() + rel * want;
        assert_close(num(s, k), want, tol, &format!("{k} of PV cost"));
    }

    // Sensitivity swings the scale from its P10 (0.6) to its P90 (1.4): PV is linear in it.
    let sens = json(&[arg("sensitivity"), arg(&path), arg("--format"), arg("json")]);
    let input = &array(&sens, "inputs")[0];
    assert_eq!(input["path"], "demand_scale");
    assert_close(num(input, "p10_input"), 0.6, 1e-12, "P10 of U(0.5, 1.5)");
    assert_close(num(input, "p90_input"), 1.4, 1e-12, "P90 of U(0.5, 1.5)");
    assert_close(
        num(&sens, "base_pv_cost"),
        pv1,
        1e-9 * pv1,
        "PV at the median",
    );
    assert_close(
        num(input, "pv_cost_at_p10"),
        0.6 * pv1,
        1e-9 * pv1,
        "PV at P10",
    );
    assert_close(
        num(input, "pv_cost_at_p90"),
        1.4 * pv1,
        1e-9 * pv1,
        "PV at P90",
    );
}

// --- sensitivity ---------------------------------------------------------------------------

/// The option `sensitivity` ranks by default: the cheapest by PV among those that serve all
/// demand (unmet within 0.1% of demand), from the deterministic JSON.
fn cheapest_serving(doc: &Value) -> String {
    array(doc, "options")
        .iter()
        .filter(|o| num(o, "unmet_gpu_hours") <= 0.001 * num(o, "demand_gpu_hours"))
        .min_by(|a, b| num(a, "pv_cost").total_cmp(&num(b, "pv_cost")))
        .expect("an option serves all demand")["name"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Checks a sensitivity JSON document and returns its input paths in order.
fn check_sensitivity(doc: &Value, option: &str) -> Vec<String> {
    assert_eq!(doc["option"], option);
    assert_eq!(doc["currency"], "USD");
    num(doc, "base_pv_cost");
    let inputs = array(doc, "inputs");
    assert_eq!(inputs.len(), 6, "one row per [[uncertain]] of the fleet");
    let mut last = f64::INFINITY;
    for i in inputs {
        let path = i["path"].as_str().unwrap();
        let swing = num(i, "swing");
        assert!(
            num(i, "p10_input") < num(i, "p90_input"),
            "{path}: P10 < P90"
        );
        assert_close(
            swing,
            (num(i, "pv_cost_at_p90") - num(i, "pv_cost_at_p10")).abs(),
            1e-9 * swing.max(1.0),
            &format!("{path}: swing"),
        );
        assert!(swing <= last, "rows sorted by swing, descending: {path}");
        last = swing;
        let per_option = options_by_name(i, "options", option);
        assert_eq!(num(per_option, "pv_cost_at_p10"), num(i, "pv_cost_at_p10"));
        assert_eq!(array(i, "options").len(), FLEET_OPTIONS.len());
    }
    inputs
        .iter()
        .map(|i| i["path"].as_str().unwrap().to_string())
        .collect()
}

/// When no option serves its demand and unserved work has no price, sensitivity looks by
/// default at the option that does the most of the work, not at the one that is cheapest for
/// doing none of it, and says what it leaves unmet.
#[test]
fn sensitivity_defaults_to_the_option_leaving_least_unmet_when_none_serves() {
    let scratch = crate::support::Scratch::new();
    let text = "name = \"nothing serves\"\nhorizon_months = 12\nstart = \"2027-01\"\n\
        currency = \"USD\"\ndiscount_rate = 0.08\nreference_accelerator = \"h100-sxm\"\n\n\
        [[workload]]\nname = \"training\"\ngpu_hours_per_month = 50000\nprofile = \"flat\"\n\
        sensitive = true\n\n[[option]]\nname = \"own\"\nkind = \"onprem\"\nserver = \"dgx-h100\"\n\
        servers = 1\nsite = \"us-tx-colo\"\n\n[[option]]\nname = \"rent\"\nkind = \"cloud\"\n\
        offer = \"aws-p5.48xlarge-us-east-1\"\n\n[[uncertain]]\npath = \"discount_rate\"\n\
        distribution = \"uniform\"\nlow = 0.05\nhigh = 0.1\n";
    let path = scratch.write("s.toml", text);
    let path = path.to_str().expect("UTF-8 path");
    let doc = json(&["sensitivity", path, "--format", "json"]);
    assert_eq!(doc["option"], "own");
    let det = json(&["run", path, "--format", "json"]);
    let own = det["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "own")
        .unwrap();
    let share = own["unmet_share"].as_f64().unwrap();
    assert!(share > 0.5 && share < 1.0, "{share}");
    let table = success(["sensitivity", path]);
    assert!(
        table.contains(&format!(
            "Sensitivity of own's PV cost (leaves {:.1}% unmet; USD ",
            share * 100.0
        )),
        "{table}"
    );
}

#[test]
fn sensitivity_in_every_format_sorted_by_swing() {
    let det = json(&["run", FLEET, "--format", "json"]);
    let focus = cheapest_serving(&det);
    let doc = json(&["sensitivity", FLEET, "--format", "json"]);
    let paths = check_sensitivity(&doc, &focus);
    // P10 and P90 of the distributions of the fleet: the lognormal is given by them, and
    // U(22, 30.13118) has them at 10% and 90% of its range.
    let by_path = |p: &str| {
        array(&doc, "inputs")
            .iter()
            .find(|i| i["path"] == p)
            .unwrap_or_else(|| panic!("no `{p}`"))
            .clone()
    };
    let server = by_path("server[l40s-8gpu].price_usd");
    assert_close(num(&server, "p10_input"), 85000.0, 1e-6, "lognormal P10");
    assert_close(num(&server, "p90_input"), 125000.0, 1e-6, "lognormal P90");
    let aws = by_path("offer[aws-g6e.48xlarge-us-east-2].on_demand_usd_per_hour");
    assert_close(num(&aws, "p10_input"), 22.813118, 1e-9, "uniform P10");
    assert_close(num(&aws, "p90_input"), 29.318062, 1e-9, "uniform P90");

    let table = success(["sensitivity", FLEET]);
    let markdown = success(["sensitivity", FLEET, "--format", "markdown"]);
    for (text, row) in [(&table, "│ {} "), (&markdown, "| {} |")] {
        assert!(
            text.contains(&format!("Sensitivity of {focus}'s PV cost")),
            "{text}"
        );
        let at: Vec<usize> = paths
            .iter()
            .map(|p| {
                text.find(&row.replace("{}", p))
                    .unwrap_or_else(|| panic!("no row for `{p}` in\n{text}"))
            })
            .collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "rows in the order of the swings:\n{text}"
        );
    }
    assert!(markdown.contains("| Input | P10 | P90 |"), "{markdown}");

    let csv = success(["sensitivity", FLEET, "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("path,option,currency,p10_input,p90_input,pv_cost_at_p10,pv_cost_at_p90,swing")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), paths.len() * FLEET_OPTIONS.len());
    let focus_rows: Vec<&Vec<&str>> = rows.iter().filter(|r| r[1] == focus).collect();
    let csv_paths: Vec<&str> = focus_rows.iter().map(|r| r[0]).collect();
    assert_eq!(csv_paths, paths, "CSV rows in the order of the swings");
    for (r, i) in focus_rows.iter().zip(array(&doc, "inputs")) {
        assert_eq!(csv_num(r[7]), num(i, "swing"), "{r:?}");
    }
}

#[test]
fn sensitivity_option_picks_the_ranked_option() {
    let doc = json(&[
        "sensitivity",
        FLEET,
        "--option",
        "own-l4",
        "--format",
        "json",
    ]);
    check_sensitivity(&doc, "own-l4");
}

#[test]
fn sensitivity_unknown_option_lists_the_nearest_names() {
    let err = rejected(
        &[
            OsStr::new("sensitivity"),
            OsStr::new(FLEET),
            OsStr::new("--option"),
            OsStr::new("own-l5"),
        ],
        &["--option", "`own-l5`", "hint:", "`own-l4`", "`own-l40s`"],
    );
    assert!(
        !err.contains("hybrid-l40s-coreweave"),
        "only the nearest: {err}"
    );
    // A name near none of them: the options themselves.
    rejected(
        &[
            OsStr::new("sensitivity"),
            OsStr::new(FLEET),
            OsStr::new("--option"),
            OsStr::new("nope"),
        ],
        &[
            "hint: the scenario's options are `aws-l40s-committed`, `own-l40s`, `own-l4`, \
             `hybrid-l40s-coreweave`",
        ],
    );
}

#[test]
fn sensitivity_without_uncertain_inputs_is_rejected() {
    rejected(
        &[OsStr::new("sensitivity"), OsStr::new(STARTUP)],
        &[
            &format!("error: {STARTUP}: "),
            "no uncertain inputs",
            "[[uncertain]]",
        ],
    );
}

// --- sweep ---------------------------------------------------------------------------------

#[test]
fn sweep_in_every_format_finds_the_optimum() {
    let doc = json(&["sweep", FLEET, "--format", "json"]);
    let path = "option[hybrid-l40s-coreweave].servers";
    assert_eq!(doc["option"], "hybrid-l40s-coreweave");
    assert_eq!(doc["objective"], "pv_cost");
    assert_eq!(doc["parameters"], serde_json::json!([path]));
    let points = array(&doc, "points");
    // from 0 to 40 step 2.
    let values: Vec<f64> = points
        .iter()
        .map(|p| p["values"][0].as_f64().unwrap())
        .collect();
    let want: Vec<f64> = (0..=20).map(|k| f64::from(2 * k)).collect();
    assert_eq!(values, want, "one point per grid value, in order");
    for p in points {
        assert_eq!(num(p, "objective"), num(p, "pv_cost"), "objective pv_cost");
        assert!(num(p, "unmet_gpu_hours") >= 0.0);
        if num(p, "unmet_gpu_hours") == 0.0 {
            assert_eq!(p["serves_demand"], true, "{p}");
        }
    }
    let best = points
        .iter()
        .filter(|p| p["serves_demand"] == true)
        .min_by(|a, b| num(a, "objective").total_cmp(&num(b, "objective")))
        .expect("a point serves demand");
    let optimum = &doc["optimum"];
    assert_eq!(optimum["values"], best["values"]);
    assert_eq!(num(optimum, "objective"), num(best, "objective"));
    assert_eq!(num(optimum, "pv_cost"), num(best, "pv_cost"));
    assert_eq!(optimum["serves_demand"], true);
    // The scenario's own 12 servers give the deterministic run's PV cost, exactly.
    let det = json(&["run", FLEET, "--format", "json"]);
    let at12 = &points[6];
    assert_eq!(at12["values"][0], 12.0);
    assert!(
        num(at12, "pv_cost")
            == num(
                options_by_name(&det, "options", "hybrid-l40s-coreweave"),
                "pv_cost"
            ),
        "the grid point of the scenario's value equals the deterministic run"
    );
    let best_index = points.iter().position(|p| p == best).unwrap();
    let best_servers = values[best_index];

    let table = success(["sweep", FLEET]);
    assert_eq!(table.matches("optimum").count(), 1, "{table}");
    assert!(
        table.contains(&format!(
            "Optimum for hybrid-l40s-coreweave: {path} = {best_servers}"
        )),
        "{table}"
    );
    let row = table.lines().find(|l| l.contains("optimum")).unwrap();
    assert!(row.starts_with(&format!("│ {best_servers} ")), "{row}");

    let markdown = success(["sweep", FLEET, "--format", "markdown"]);
    assert!(
        markdown.contains(&format!("| {path} | pv_cost [USD] |")),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!(
            "Optimum for hybrid-l40s-coreweave: {path} = {best_servers}"
        )),
        "{markdown}"
    );
    assert_eq!(
        markdown.lines().filter(|l| l.starts_with("| ")).count(),
        2 + points.len(),
        "a header, its rule and one row per point: {markdown}"
    );

    let csv = success(["sweep", FLEET, "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            format!("{path},objective,pv_cost,unmet_gpu_hours,serves_demand,optimum,currency")
                .as_str()
        )
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), points.len());
    for (i, (r, p)) in rows.iter().zip(points).enumerate() {
        assert_eq!(csv_num(r[0]), values[i]);
        assert_eq!(csv_num(r[1]), num(p, "objective"));
        assert_eq!(r[4], p["serves_demand"].to_string());
        assert_eq!(r[5], (i == best_index).to_string(), "optimum column");
        assert_eq!(r[6], "USD");
    }
}

#[test]
fn sweep_of_p90_pv_cost_samples_each_point_reproducibly() {
    let text = base_with(
        &(three_uncertain()
            + &sweep(
                "p90_pv_cost",
                500,
                "path = \"option[mix].servers\"\nfrom = 0\nto = 3\nstep = 1\n",
            )),
    );
    let scratch = Scratch::new();
    let path = scratch.write("p90.toml", &text);
    let sweep_json = |seed: &str, threads: &str| {
        json(&[
            arg("sweep"),
            arg(&path),
            arg("--seed"),
            arg(seed),
            arg("--threads"),
            arg(threads),
            arg("--format"),
            arg("json"),
        ])
    };
    let doc = sweep_json("4", "1");
    assert_eq!(doc["objective"], "p90_pv_cost");
    assert_eq!(doc["samples"], 500);
    assert!(doc == sweep_json("4", "2"), "--threads changes the sweep");
    let points = array(&doc, "points");
    assert_eq!(points.len(), 4);
    // The point at the scenario's own value (1 server) has the P90 that `run --samples` gives
    // for the same option, samples and seed.
    let run = mc_of(&path, "500", "4");
    let mix = options_by_name(&run["montecarlo"], "options", "mix");
    assert_eq!(points[1]["values"][0], 1.0);
    assert_eq!(
        num(&points[1], "objective"),
        num(&mix["metrics"]["pv_cost"], "p90")
    );
    let best = points
        .iter()
        .filter(|p| p["serves_demand"] == true)
        .map(|p| num(p, "objective"))
        .fold(f64::INFINITY, f64::min);
    assert_eq!(num(&doc["optimum"], "objective"), best);
    let other = sweep_json("5", "2");
    assert_ne!(
        num(&other["points"][1], "objective"),
        num(&points[1], "objective"),
        "another seed samples other values"
    );
}

/// With the `p90_pv_cost` objective, a Monte Carlo policy reads the best point's own samples:
/// its P90 of PV cost is the optimum's objective.
#[test]
fn a_p90_sweep_checks_monte_carlo_policies_on_the_best_points_samples() {
    let text = base_with(
        &(three_uncertain()
            + &sweep(
                "p90_pv_cost",
                300,
                "path = \"option[mix].servers\"\nfrom = 0\nto = 3\nstep = 1\n",
            )
            + "\n[[policy]]\nname = \"P90 budget\"\noption = \"mix\"\nmetric = \"pv_cost\"\nstatistic = \"p90\"\nmax = 1e15\n\n\
               [[policy]]\nname = \"usually serves\"\noption = \"mix\"\nmetric = \"p_serves_demand\"\nmin = 0\n"),
    );
    let scratch = Scratch::new();
    let path = scratch.write("p90-policies.toml", &text);
    let doc = json(&[
        arg("sweep"),
        arg(&path),
        arg("--seed"),
        arg("3"),
        arg("--format"),
        arg("json"),
    ]);
    let policies = array(&doc, "policies");
    assert_eq!(policies.len(), 2);
    assert_eq!(policies[0]["holds"], true);
    assert_eq!(
        num(&policies[0], "number"),
        num(&doc["optimum"], "objective")
    );
    assert_eq!(policies[1]["holds"], true);
}

#[test]
fn sweep_without_a_sweep_table_is_rejected() {
    rejected(
        &[OsStr::new("sweep"), OsStr::new(STARTUP)],
        &[&format!("error: {STARTUP}: "), "no `[sweep]`"],
    );
}

#[test]
fn sweep_without_a_sweep_table_prints_no_empty_key() {
    // The error belongs to the whole file: it has no key line at all, not an empty "key: ``".
    let err = rejected(&[OsStr::new("sweep"), OsStr::new(STARTUP)], &["[sweep]"]);
    assert!(!err.contains("key: ``"), "an empty key line:\n{err}");
}

// --- Bad [[uncertain]] ----------------------------------------------------------------------

#[test]
fn uncertain_unknown_path_kind() {
    let text = base_with(&uncertain("gpu[h100].price", "fixed", &[("value", "1.0")]));
    let pos = value_pos(&text, "path = \"gpu[h100].price\"", 0);
    rejects(
        &text,
        pos,
        &[
            "unknown path kind `gpu`",
            &key("uncertain[0].path"),
            "`gpu[h100].price`",
        ],
    );
}

#[test]
fn uncertain_malformed_path() {
    let text = base_with(&uncertain(
        "site[us-tx-colo]pue",
        "fixed",
        &[("value", "1.2")],
    ));
    let pos = value_pos(&text, "path = \"site[us-tx-colo]pue\"", 0);
    rejects(&text, pos, &["malformed path", &key("uncertain[0].path")]);
}

#[test]
fn uncertain_unknown_field_of_a_catalog_row_has_a_hint() {
    let text = base_with(
        &(uncertain("discount_rate", "fixed", &[("value", "0.08")])
            + &uncertain("site[us-tx-colo].pu", "fixed", &[("value", "1.5")])),
    );
    let pos = value_pos(&text, "path = \"site[us-tx-colo].pu\"", 0);
    rejects(
        &text,
        pos,
        &[
            "`pu` is not an uncertain-capable field of a site",
            &key("uncertain[1].path"),
            "hint: did you mean `pue`?",
        ],
    );
}

#[test]
fn uncertain_unknown_scenario_field_has_a_hint() {
    let text = base_with(&uncertain("discount_rat", "fixed", &[("value", "0.08")]));
    let pos = value_pos(&text, "path = \"discount_rat\"", 0);
    rejects(
        &text,
        pos,
        &[
            &key("uncertain[0].path"),
            "hint: did you mean `discount_rate`?",
        ],
    );
}

#[test]
fn uncertain_unknown_toml_key_has_a_hint() {
    let text = base_with(&uncertain("discount_rate", "fixed", &[("valu", "0.08")]));
    let pos = nth_pos(&text, "valu = 0.08", 0);
    rejects(
        &text,
        pos,
        &["unknown field `valu`", "hint: did you mean `value`?"],
    );
}

#[test]
fn uncertain_unknown_workload_lists_the_nearest_names() {
    let text = base_with(&uncertain(
        "workload[trainin].growth_per_year",
        "fixed",
        &[("value", "0.1")],
    ));
    let pos = value_pos(&text, "path = \"workload[trainin].growth_per_year\"", 0);
    rejects(
        &text,
        pos,
        &[
            "no workload named `trainin`",
            &key("uncertain[0].path"),
            "hint:",
            "`training`",
        ],
    );
}

#[test]
fn uncertain_unknown_option_lists_the_nearest_names() {
    let text = base_with(&uncertain(
        "option[mx].availability",
        "fixed",
        &[("value", "0.9")],
    ));
    let pos = value_pos(&text, "path = \"option[mx].availability\"", 0);
    rejects(
        &text,
        pos,
        &[
            "no option named `mx`",
            &key("uncertain[0].path"),
            "hint:",
            "`mix`",
        ],
    );
}

#[test]
fn uncertain_unknown_option_message_is_grammatical() {
    // "the name of an option", never "a option".
    let text = base_with(&uncertain(
        "option[mx].availability",
        "fixed",
        &[("value", "0.9")],
    ));
    let pos = value_pos(&text, "path = \"option[mx].availability\"", 0);
    let err = rejects(&text, pos, &["no option named `mx`"]);
    assert!(!err.contains("a option"), "article before a vowel:\n{err}");
}

#[test]
fn uncertain_server_not_used_lists_the_servers_in_use() {
    // The hint lists the rows the scenario does use, however unlike their names.
    let text = base_with(&uncertain(
        "server[hgx-h100-oem].price_usd",
        "fixed",
        &[("value", "250000")],
    ));
    let pos = value_pos(&text, "path = \"server[hgx-h100-oem].price_usd\"", 0);
    rejects(
        &text,
        pos,
        &[
            "server `hgx-h100-oem` is not used by this scenario",
            "hint: used here: `dgx-h100`",
        ],
    );
}

#[test]
fn uncertain_server_count_points_to_a_sweep() {
    let text = base_with(&uncertain(
        "option[own].servers",
        "fixed",
        &[("value", "3")],
    ));
    let pos = value_pos(&text, "path = \"option[own].servers\"", 0);
    let err = rejects(
        &text,
        pos,
        &[
            "`servers` is not an uncertain-capable field of an option",
            "hint: a count is not sampled; vary `servers` with a `[sweep]` instead",
        ],
    );
    assert!(!err.contains("did you mean"), "{err}");
}

#[test]
fn uncertain_catalog_row_not_used_by_the_scenario() {
    let text = base_with(&uncertain(
        "site[se-colo].pue",
        "fixed",
        &[("value", "1.2")],
    ));
    let pos = value_pos(&text, "path = \"site[se-colo].pue\"", 0);
    rejects(
        &text,
        pos,
        &[
            "site `se-colo` is not used by this scenario",
            &key("uncertain[0].path"),
            "`us-tx-colo`",
        ],
    );
}

#[test]
fn uncertain_unknown_distribution_has_a_hint() {
    let text = base_with(&uncertain(
        "discount_rate",
        "unifrom",
        &[("low", "0.05"), ("high", "0.1")],
    ));
    let pos = value_pos(&text, "distribution = \"unifrom\"", 0);
    rejects(
        &text,
        pos,
        &[
            "unknown distribution `unifrom`",
            &key("uncertain[0].distribution"),
            "hint: did you mean `uniform`?",
        ],
    );
}

#[test]
fn uncertain_missing_parameter() {
    let text = base_with(&uncertain(
        "discount_rate",
        "triangular",
        &[("low", "0.05"), ("high", "0.1")],
    ));
    let pos = nth_pos(&text, "[[uncertain]]", 0);
    rejects(
        &text,
        pos,
        &[
            "a `triangular` distribution needs `mode`",
            &key("uncertain[0]"),
        ],
    );
}

#[test]
fn uncertain_extra_parameter() {
    let text = base_with(&uncertain(
        "discount_rate",
        "uniform",
        &[("low", "0.05"), ("high", "0.1"), ("mode", "0.07")],
    ));
    let pos = value_pos(&text, "mode = 0.07", 0);
    rejects(
        &text,
        pos,
        &[
            "`mode` is not a parameter of a `uniform` distribution",
            &key("uncertain[0].mode"),
        ],
    );
}

#[test]
fn uncertain_low_above_high() {
    let text = base_with(&uncertain(
        "discount_rate",
        "uniform",
        &[("low", "0.1"), ("high", "0.05")],
    ));
    let pos = value_pos(&text, "distribution = \"uniform\"", 0);
    rejects(
        &text,
        pos,
        &[
            "impossible `uniform` distribution",
            &key("uncertain[0].distribution"),
            "low (0.1) is above high (0.05)",
        ],
    );
}

#[test]
fn uncertain_lognormal_p10_not_below_p90() {
    for (p10, p90) in [("300000", "300000"), ("350000", "300000")] {
        let text = base_with(&uncertain(
            "server[dgx-h100].price_usd",
            "lognormal",
            &[("p10", p10), ("p90", p90)],
        ));
        let pos = value_pos(&text, "distribution = \"lognormal\"", 0);
        rejects(
            &text,
            pos,
            &[
                "impossible `lognormal` distribution",
                &key("uncertain[0].distribution"),
                "p10",
                "p90",
            ],
        );
    }
}

#[test]
fn uncertain_normal_sd_not_positive() {
    for sd in ["0", "-0.01"] {
        let text = base_with(&uncertain(
            "discount_rate",
            "normal",
            &[
                ("mean", "0.08"),
                ("sd", sd),
                ("low", "0.0"),
                ("high", "0.2"),
            ],
        ));
        let pos = value_pos(&text, "distribution = \"normal\"", 0);
        rejects(
            &text,
            pos,
            &[
                "impossible `normal` distribution",
                &key("uncertain[0].distribution"),
                &format!("sd ({sd}) is not positive"),
            ],
        );
    }
}

#[test]
fn uncertain_untruncated_normal_leaves_the_electricity_price_range() {
    let path = "site[us-tx-colo].electricity_per_kwh";
    let text = base_with(&uncertain(
        path,
        "normal",
        &[("mean", "0.066"), ("sd", "0.01")],
    ));
    let pos = value_pos(&text, "distribution = \"normal\"", 0);
    rejects(
        &text,
        pos,
        &[
            &format!("the distribution of `{path}` leaves the field's valid range"),
            &key("uncertain[0].distribution"),
            "hint:",
        ],
    );
}

#[test]
fn uncertain_uniform_around_zero_leaves_a_price_range() {
    let path = "offer[aws-p5.48xlarge-us-east-1].on_demand_usd_per_hour";
    let text = base_with(&uncertain(
        path,
        "uniform",
        &[("low", "-0.5"), ("high", "0.5")],
    ));
    let pos = value_pos(&text, "distribution = \"uniform\"", 0);
    rejects(
        &text,
        pos,
        &[
            &format!("the distribution of `{path}` leaves the field's valid range"),
            &key("uncertain[0].distribution"),
            "found: a `uniform` distribution from -0.5 to 0.5",
        ],
    );
}

#[test]
fn uncertain_lognormal_that_overflows_is_shown_in_words() {
    // Its upper reach overflows a double: the message says so in words, never "inf", and
    // shows the field's range and the lower reach to six digits.
    let path = "server[dgx-h100].price_usd";
    let text = base_with(&uncertain(
        path,
        "lognormal",
        &[("p10", "1e-300"), ("p90", "1e300")],
    ));
    let pos = value_pos(&text, "distribution = \"lognormal\"", 0);
    let err = rejects(
        &text,
        pos,
        &[
            &format!("the distribution of `{path}` leaves the field's valid range"),
            "reaching 0 to beyond 1.8e308",
        ],
    );
    assert!(!err.contains("inf"), "{err}");
    assert!(
        err.lines().all(|l| l.len() < 200),
        "no number printed digit by digit:\n{err}"
    );
}

#[test]
fn type_and_missing_field_errors_speak_plainly() {
    // A `[[correlation]]` without `rank`: named, with what the table needs.
    let text = base_with(
        &(three_uncertain() + "\n[[correlation]]\na = \"discount_rate\"\nb = \"demand_scale\"\n"),
    );
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    rejected(
        &[OsStr::new("run"), path.as_os_str()],
        &["missing field `rank`", "expected: a `rank` entry"],
    );
    // Samples per sweep point given as a fraction: no Rust type names.
    let text = base_with(&sweep("pv_cost", 0, SERVERS_0_TO_4)).replace(
        "objective = \"pv_cost\"\n",
        "objective = \"pv_cost\"\nsamples = 1.5\n",
    );
    let path = scratch.write("sweep.toml", &text);
    let err = rejected(
        &[OsStr::new("run"), path.as_os_str()],
        &[
            "key: `sweep.samples`",
            "expected: a whole number, 0 or more",
            "found: the number `1.5`",
        ],
    );
    assert!(!err.contains("u64"), "{err}");
}

#[test]
fn uncertain_same_path_twice() {
    let text = base_with(
        &(uncertain("discount_rate", "fixed", &[("value", "0.08")])
            + &uncertain("discount_rate", "fixed", &[("value", "0.09")])),
    );
    let pos = value_pos(&text, "path = \"discount_rate\"", 1);
    rejects(
        &text,
        pos,
        &[
            "`discount_rate` is uncertain twice",
            &key("uncertain[1].path"),
            "uncertain[0]",
        ],
    );
}

// --- Bad [[correlation]] --------------------------------------------------------------------

#[test]
fn correlation_of_a_path_that_is_not_uncertain() {
    let text = base_with(
        &(three_uncertain() + &correlation("discount_rate", "demand_growth_per_year", "0.5")),
    );
    let pos = value_pos(&text, "b = \"demand_growth_per_year\"", 0);
    rejects(
        &text,
        pos,
        &[
            "`demand_growth_per_year` is not an uncertain input",
            &key("correlation[0].b"),
        ],
    );
}

#[test]
fn correlation_rank_of_one_is_rejected() {
    let text =
        base_with(&(three_uncertain() + &correlation("discount_rate", "demand_scale", "1.0")));
    let pos = value_pos(&text, "rank = 1.0", 0);
    rejects(
        &text,
        pos,
        &[
            "`rank` is out of range",
            &key("correlation[0].rank"),
            "from -0.999999 to 0.999999",
        ],
    );
}

/// A rank so close to 1 that the two inputs are numerically one is out of range, not an
/// "inconsistent" matrix of one pair.
#[test]
fn correlation_rank_next_to_one_is_out_of_range() {
    for rank in ["0.99999999999", "-0.9999991"] {
        let text =
            base_with(&(three_uncertain() + &correlation("discount_rate", "demand_scale", rank)));
        let pos = value_pos(&text, &format!("rank = {rank}"), 0);
        rejects(
            &text,
            pos,
            &[
                "`rank` is out of range",
                &key("correlation[0].rank"),
                "expected: a rank correlation from -0.999999 to 0.999999",
                &format!("found: {rank}"),
            ],
        );
    }
    // The bound itself is accepted.
    let scratch = Scratch::new();
    let path = scratch.write(
        "scenario.toml",
        &base_with(
            &(three_uncertain() + &correlation("discount_rate", "demand_scale", "0.999999")),
        ),
    );
    success([
        arg("run"),
        arg(&path),
        arg("--samples"),
        arg("100"),
        arg("-q"),
    ]);
}

#[test]
fn correlation_rank_above_one_is_rejected() {
    let text =
        base_with(&(three_uncertain() + &correlation("discount_rate", "demand_scale", "1.5")));
    let pos = value_pos(&text, "rank = 1.5", 0);
    rejects(
        &text,
        pos,
        &["`rank` is out of range", &key("correlation[0].rank"), "1.5"],
    );
}

#[test]
fn correlations_that_are_not_positive_definite_name_a_pair() {
    let pue = "site[us-tx-colo].pue";
    let pairs = [
        ("discount_rate", "demand_scale", "0.9"),
        ("demand_scale", pue, "0.9"),
        ("discount_rate", pue, "-0.9"),
    ];
    let mut extra = three_uncertain();
    for (a, b, r) in pairs {
        extra += &correlation(a, b, r);
    }
    let text = base_with(&extra);
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let err = run_rejected(
        &[arg(&path)],
        &[
            "the correlations are not consistent with each other",
            "positive definite",
            "check the pair",
        ],
    );
    // Whichever pair it blames, the key, the position and the named paths agree.
    let k = (0..pairs.len())
        .find(|k| err.contains(&key(&format!("correlation[{k}]"))))
        .unwrap_or_else(|| panic!("no `correlation[k]` key in\n{err}"));
    let (line, col) = nth_pos(&text, "[[correlation]]", k);
    assert!(
        err.starts_with(&format!("error: {}:{line}:{col}: ", path.display())),
        "{err}"
    );
    let (a, b, _) = pairs[k];
    assert!(
        err.contains(&format!("`{a}` and `{b}`")) || err.contains(&format!("`{b}` and `{a}`")),
        "the pair of correlation[{k}] is named:\n{err}"
    );
}

// --- Limits on the number of uncertain inputs and correlations ------------------------------

/// The base scenario with as many more flat workloads (`w0`, `w1`, ...) as `inputs` uncertain
/// inputs need (growth and hours of `training`, then of `w0`, `w1`, ..., at most the 1,000
/// workloads a scenario may have; then scenario-wide fields), and a chain of rank correlations
/// 0.3 between consecutive inputs over the first `correlated` of them.
fn many_inputs(inputs: usize, correlated: usize) -> String {
    const SCENARIO_FIELDS: [&str; 2] = ["discount_rate", "demand_scale"];
    let workloads = inputs.div_ceil(2).clamp(1, 1_000);
    let mut text = BASE.to_string();
    for w in 0..workloads - 1 {
        text += &format!(
            "\n[[workload]]\nname = \"w{w}\"\ngpu_hours_per_month = 10\ngrowth_per_year = 0.0\n\
             profile = \"flat\"\n"
        );
    }
    let paths: Vec<String> = (0..inputs)
        .map(|k| {
            let w = k / 2;
            if w >= workloads {
                return SCENARIO_FIELDS[k - 2 * workloads].to_string();
            }
            let field = ["growth_per_year", "gpu_hours_per_month"][k % 2];
            let name = if w == 0 {
                "training".to_string()
            } else {
                format!("w{}", w - 1)
            };
            format!("workload[{name}].{field}")
        })
        .collect();
    for (k, path) in paths.iter().enumerate() {
        let (low, high) = if !path.starts_with("workload") {
            ("0.05", "0.1")
        } else if k % 2 == 0 {
            ("-0.01", "0.01")
        } else {
            ("5", "15")
        };
        text += &uncertain(path, "uniform", &[("low", low), ("high", high)]);
    }
    for pair in paths[..correlated].windows(2) {
        text += &correlation(&pair[0], &pair[1], "0.3");
    }
    text
}

/// Asserts that `validate` and `run` reject `text` with exit code 2 and a message that starts
/// at the first `[[table]]` and contains every one of `needles`.
fn rejects_at_table(text: &str, table: &str, needles: &[&str]) {
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", text);
    let (line, col) = line_col(text, &format!("[[{table}]]"));
    let start = format!("error: {}:{line}:{col}: ", path.display());
    let mut all = vec![start.as_str()];
    all.extend_from_slice(needles);
    let err = run_rejected(&[arg(&path)], &all);
    assert!(err.starts_with(&start), "{err}");
    let again = rejected(&[OsStr::new("validate"), arg(&path)], &all);
    assert_eq!(err, again, "`validate` reports the same error");
}

#[test]
fn uncertain_inputs_and_correlated_inputs_up_to_their_limits_are_accepted() {
    // The largest scenario the limits allow: 2,000 inputs, 1,000 of them correlated.
    let text = many_inputs(2_000, 1_000);
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let out = success([OsStr::new("validate"), arg(&path)]);
    assert!(out.contains("2000 uncertain inputs"), "{out}");
}

#[test]
fn too_many_uncertain_inputs_are_rejected() {
    let text = many_inputs(2_001, 0);
    rejects_at_table(
        &text,
        "uncertain",
        &[
            "too many uncertain inputs",
            &key("uncertain"),
            "expected: at most 2000 `[[uncertain]]` entries",
            "found: 2001 entries",
        ],
    );
}

#[test]
fn too_many_correlated_inputs_are_rejected() {
    let text = many_inputs(1_001, 1_001);
    rejects_at_table(
        &text,
        "correlation",
        &[
            "too many correlated inputs",
            &key("correlation"),
            "expected: at most 1000 distinct uncertain inputs in `[[correlation]]` entries",
            "found: 1001 distinct inputs",
            "hint: correlate only the inputs that move together",
        ],
    );
}

#[test]
fn too_many_correlations_are_rejected() {
    // Counted before any entry is read: the same pair 10,001 times.
    let mut text = base_with(&three_uncertain());
    for _ in 0..10_001 {
        text += &correlation("discount_rate", "demand_scale", "0.3");
    }
    rejects_at_table(
        &text,
        "correlation",
        &[
            "too many correlations",
            &key("correlation"),
            "expected: at most 10000 `[[correlation]]` entries",
            "found: 10001 entries",
        ],
    );
}

// --- Bad [sweep] -----------------------------------------------------------------------------

/// Like [`rejects`], for `run` and `sweep` (a bad `[sweep]` makes the scenario invalid for every
/// command).
fn rejects_sweep(text: &str, pos: (usize, usize), needles: &[&str]) -> String {
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", text);
    let start = format!("error: {}:{}:{}: ", path.display(), pos.0, pos.1);
    let mut all = vec![start.as_str()];
    all.extend_from_slice(needles);
    let err = run_rejected(&[arg(&path)], &all);
    assert!(err.starts_with(&start), "{err}");
    let again = rejected(&[OsStr::new("sweep"), arg(&path)], &all);
    assert_eq!(err, again);
    err
}

const SERVERS_0_TO_4: &str = "path = \"option[mix].servers\"\nfrom = 0\nto = 4\nstep = 1\n";

#[test]
fn a_valid_sweep_of_the_base_scenario_runs() {
    let text = base_with(&sweep("pv_cost", 0, SERVERS_0_TO_4));
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let doc = json(&[arg("sweep"), arg(&path), arg("--format"), arg("json")]);
    assert_eq!(array(&doc, "points").len(), 5);
}

#[test]
fn sweep_grid_ending_at_the_upper_bound_is_accepted() {
    // Grid values are `from + step × k`, and 0.09 + 0.07 × 13 = 1.0000000000000002 in floating
    // point: without rounding the grid (to 1e-9), `to = 1.0`, the largest valid spot share,
    // would be rejected as out of range.
    let text = base_with(&sweep(
        "pv_cost",
        0,
        "path = \"option[rent].spot_share\"\nfrom = 0.09\nto = 1.0\nstep = 0.07\n",
    ));
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let doc = json(&[arg("sweep"), arg(&path), arg("--format"), arg("json")]);
    let points = array(&doc, "points");
    assert_eq!(points.len(), 14, "0.09, 0.16, ..., 1.0");
    let last = points[13]["values"][0].as_f64().unwrap();
    assert!(last <= 1.0, "the last grid value {last} overshoots `to`");
}

/// The fleet, its sweep moved to the owned L40S servers from 0 to 4: too few for its demand at
/// every point; its profile read from the repository.
fn own_l40s_to_4_servers() -> String {
    std::fs::read_to_string(repo().join(FLEET))
        .unwrap()
        .replace(
            "path = \"option[hybrid-l40s-coreweave].servers\"",
            "path = \"option[own-l40s].servers\"",
        )
        .replace("to = 40\n", "to = 4\n")
        .replace(
            "\"profiles/inference-diurnal.csv\"",
            &format!(
                "{:?}",
                repo().join("scenarios/profiles/inference-diurnal.csv")
            ),
        )
}

#[test]
fn a_sweep_in_which_no_point_serves_demand_has_no_optimum() {
    // At most 4 owned servers against demand that needs about 30: every point leaves demand
    // unmet, so the cheapest point (no servers, nothing served) is only the lowest, and every
    // output says so.
    let text = own_l40s_to_4_servers();
    let scratch = Scratch::new();
    let path = scratch.write("none-serves.toml", &text);
    let doc = json(&[arg("sweep"), arg(&path), arg("--format"), arg("json")]);
    assert!(
        array(&doc, "points")
            .iter()
            .all(|p| p["serves_demand"] == false)
    );
    assert_eq!(doc["optimum"]["serves_demand"], false);
    let table = success([arg("sweep"), arg(&path)]);
    assert!(
        table.contains("No grid point of own-l40s serves all demand; the lowest pv_cost is at"),
        "{table}"
    );
    assert!(!table.contains("Optimum"), "{table}");
    assert!(table.contains("lowest, unmet demand"), "{table}");
}

#[test]
fn a_sweep_with_priced_unserved_work_ranks_every_point() {
    // The same grid with a price on unserved work: every point's PV includes the price of
    // what it leaves unserved, so the lowest is the optimum even though it serves too little,
    // and no output says that no point serves demand.
    let text = own_l40s_to_4_servers().replace(
        "baseline = \"own-l40s\"",
        "baseline = \"own-l40s\"\nunserved_cost_per_gpu_hour = 0.5",
    );
    let scratch = Scratch::new();
    let path = scratch.write("priced.toml", &text);
    let doc = json(&[arg("sweep"), arg(&path), arg("--format"), arg("json")]);
    let points = array(&doc, "points");
    assert!(points.iter().all(|p| p["serves_demand"] == false));
    // The optimum is the point of lowest PV over the whole grid.
    let lowest = points
        .iter()
        .map(|p| p["objective"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert_eq!(doc["optimum"]["objective"].as_f64(), Some(lowest));
    assert_eq!(doc["optimum"]["serves_demand"], false);
    let table = success([arg("sweep"), arg(&path)]);
    assert!(table.contains("Optimum for own-l40s:"), "{table}");
    assert!(!table.contains("serves all demand"), "{table}");
    assert!(table.contains("optimum, unmet demand priced"), "{table}");
}

#[test]
fn sweep_with_too_many_samples_in_all() {
    // 100,000 points are allowed, and so are 10,000 samples per point, but not both at once.
    let text = base_with(
        &(three_uncertain()
            + &sweep(
                "p90_pv_cost",
                10_000,
                "path = \"option[own].servers\"\nfrom = 0\nto = 99999\nstep = 1\n",
            )),
    );
    let pos = value_pos(&text, "samples = 10000", 0);
    rejects_sweep(
        &text,
        pos,
        &[
            "too many Monte Carlo samples in all",
            &key("sweep.samples"),
            "100000 points × 10000 samples",
        ],
    );
}

#[test]
fn sweep_step_so_small_that_the_grid_cannot_be_counted() {
    // (to − from) / step overflows any integer: refused as too many values, not a crash.
    let text = base_with(&sweep(
        "pv_cost",
        0,
        "path = \"option[mix].availability\"\nfrom = 0.5\nto = 1.0\nstep = 1e-300\n",
    ));
    let pos = value_pos(&text, "step = 1e-300", 0);
    rejects_sweep(
        &text,
        pos,
        &["too many values", &key("sweep.parameter[0].step")],
    );
}

#[test]
fn sweep_grid_past_the_field_range_blames_the_key_at_fault() {
    // Availability ends above 1: the fault is `to`.
    let text = base_with(&sweep(
        "pv_cost",
        0,
        "path = \"option[mix].availability\"\nfrom = 0.5\nto = 1.5\nstep = 0.1\n",
    ));
    let pos = value_pos(&text, "to = 1.5", 0);
    rejects_sweep(&text, pos, &["out of range", &key("sweep.parameter[0].to")]);
    // Whole servers from whole ends by half steps: the fault is `step`.
    let text = base_with(&sweep(
        "pv_cost",
        0,
        "path = \"option[mix].servers\"\nfrom = 0\nto = 4\nstep = 0.5\n",
    ));
    let pos = value_pos(&text, "step = 0.5", 0);
    rejects_sweep(
        &text,
        pos,
        &[
            "sweep value 0.5 is not a whole number",
            &key("sweep.parameter[0].step"),
        ],
    );
}

#[test]
fn sweep_of_an_unknown_option() {
    let text = base_with(&sweep(
        "pv_cost",
        0,
        "path = \"option[mx].servers\"\nfrom = 0\nto = 4\nstep = 1\n",
    ));
    let pos = value_pos(&text, "path = \"option[mx].servers\"", 0);
    rejects_sweep(
        &text,
        pos,
        &["no option named `mx`", &key("sweep.parameter[0].path")],
    );
}

#[test]
fn sweep_of_an_unknown_option_lists_the_nearest_names() {
    // Like `[[uncertain]]` and `--option`, a sweep path lists the nearest option names.
    let text = base_with(&sweep(
        "pv_cost",
        0,
        "path = \"option[mx].servers\"\nfrom = 0\nto = 4\nstep = 1\n",
    ));
    let pos = value_pos(&text, "path = \"option[mx].servers\"", 0);
    rejects_sweep(&text, pos, &["no option named `mx`", "hint:", "`mix`"]);
}

#[test]
fn sweep_of_a_malformed_path() {
    let text = base_with(&sweep(
        "pv_cost",
        0,
        "path = \"servers\"\nfrom = 0\nto = 4\nstep = 1\n",
    ));
    let pos = value_pos(&text, "path = \"servers\"", 0);
    rejects_sweep(
        &text,
        pos,
        &["malformed sweep path", &key("sweep.parameter[0].path")],
    );
}

#[test]
fn sweep_of_a_field_the_option_does_not_have() {
    let text = base_with(&sweep(
        "pv_cost",
        0,
        "path = \"option[rent].servers\"\nfrom = 0\nto = 4\nstep = 1\n",
    ));
    let pos = value_pos(&text, "path = \"option[rent].servers\"", 0);
    rejects_sweep(
        &text,
        pos,
        &[
            "`servers` cannot be swept on option `rent`",
            &key("sweep.parameter[0].path"),
        ],
    );
}

#[test]
fn sweep_from_above_to() {
    let text = base_with(&sweep(
        "pv_cost",
        0,
        "path = \"option[mix].servers\"\nfrom = 4\nto = 0\nstep = 1\n",
    ));
    let pos = value_pos(&text, "step = 1", 0);
    rejects_sweep(
        &text,
        pos,
        &[
            "impossible range",
            &key("sweep.parameter[0].step"),
            "from 4, to 0, step 1",
        ],
    );
}

#[test]
fn sweep_to_off_the_grid_is_refused_with_the_ends_on_it() {
    // 0, 3, 6, 9: the grid would stop short of the `to` the scenario names.
    let text = base_with(&sweep(
        "pv_cost",
        0,
        "path = \"option[mix].servers\"\nfrom = 0\nto = 10\nstep = 3\n",
    ));
    let pos = value_pos(&text, "to = 10", 0);
    rejects_sweep(
        &text,
        pos,
        &[
            "`to` is not on the grid of `from` and `step`",
            &key("sweep.parameter[0].to"),
            "whole number of steps of 3: 9 or 12",
            "found: 10",
        ],
    );
    // A grid of tenths that meets `to` within rounding is taken.
    let tenths = base_with(&sweep(
        "pv_cost",
        0,
        "path = \"option[mix].availability\"\nfrom = 0.7\nto = 1.0\nstep = 0.1\n",
    ));
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &tenths);
    let csv = success([arg("sweep"), arg(&path), arg("--format"), arg("csv")]);
    let firsts: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(firsts, ["0.7", "0.8", "0.9", "1"]);
}

#[test]
fn sweep_errors_say_what_they_found() {
    let cases: [(&str, &str, &[&str]); 7] = [
        (
            "path = \"option[mix].servers\"\nvalues = [2, 1, 2]\n",
            "values = [2, 1, 2]",
            &["`values` gives 2 twice", "found: 2 more than once"],
        ),
        (
            "path = \"option[mix].servers\"\nvalues = [1, 2]\n\n[[sweep.parameter]]\npath = \"option[mix].gpus\"\nvalues = [8, 16]\n",
            "path = \"option[mix].gpus\"",
            &[
                "two sweep parameters that both set the owned servers",
                "found: `option[mix].servers` and `option[mix].gpus`",
            ],
        ),
        (
            "path = \"option[mix].committed_gpus\"\nvalues = [1]\n\n[[sweep.parameter]]\npath = \"option[mix].committed_share\"\nvalues = [0.5]\n",
            "path = \"option[mix].committed_share\"",
            &[
                "two sweep parameters that both set the committed cloud GPUs",
                "found: `option[mix].committed_gpus` and `option[mix].committed_share`",
            ],
        ),
        (
            "path = \"option[mix].servers\"\nfrom = 0\nto = 4\n",
            "[[sweep.parameter]]",
            &[
                "needs `from`, `to` and `step`, or `values`",
                "found: `from`, `to`",
            ],
        ),
        (
            "path = \"option[mix].servers\"\nvalues = []\n",
            "values = []",
            &["`values` is empty", "found: `values = []`"],
        ),
        (
            "path = \"option[mix].servers\"\nvalues = [1]\n\n[[sweep.parameter]]\npath = \"option[mix].servers\"\nvalues = [2]\n",
            "path = \"option[mix].servers\"\nvalues = [2]",
            &[
                "the same parameter twice",
                "found: `option[mix].servers` twice",
            ],
        ),
        (
            "path = \"option[mix].servers\"\nvalues = [1]\n\n[[sweep.parameter]]\npath = \"option[own].servers\"\nvalues = [2]\n",
            "path = \"option[own].servers\"",
            &[
                "sweep parameters of different options",
                "found: `option[mix].servers` and `option[own].servers`",
            ],
        ),
    ];
    for (parameter, at, needles) in cases {
        let text = base_with(&sweep("pv_cost", 0, parameter));
        let start = text.find(at).unwrap_or_else(|| panic!("{at}"));
        let line = text[..start].lines().count() + 1;
        let scratch = Scratch::new();
        let path = scratch.write("scenario.toml", &text);
        let mut all = vec![format!("error: {}:{line}:", path.display())];
        all.extend(needles.iter().map(|n| n.to_string()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        rejected(&[OsStr::new("sweep"), arg(&path)], &all);
    }
}

#[test]
fn sweep_step_zero() {
    let text = base_with(&sweep(
        "pv_cost",
        0,
        "path = \"option[mix].servers\"\nfrom = 0\nto = 4\nstep = 0\n",
    ));
    let pos = value_pos(&text, "step = 0", 0);
    rejects_sweep(
        &text,
        pos,
        &[
            "impossible range",
            &key("sweep.parameter[0].step"),
            "step 0",
        ],
    );
}

#[test]
fn sweep_gpus_not_a_multiple_of_the_server() {
    let text = base_with(&sweep(
        "pv_cost",
        0,
        "path = \"option[mix].gpus\"\nfrom = 0\nto = 16\nstep = 4\n",
    ));
    let pos = value_pos(&text, "path = \"option[mix].gpus\"", 0);
    rejects_sweep(
        &text,
        pos,
        &[
            "4 GPUs is not a whole number of servers",
            &key("sweep.parameter[0].path"),
            "multiples of 8",
        ],
    );
}

#[test]
fn sweep_samples_with_the_deterministic_objective_are_refused() {
    // The PV of each point's deterministic run ranks the points: samples would run for nothing.
    let text = base_with(&(three_uncertain() + &sweep("pv_cost", 200, SERVERS_0_TO_4)));
    let pos = value_pos(&text, "samples = 200", 0);
    rejects_sweep(
        &text,
        pos,
        &[
            "`samples` has no use with the objective `pv_cost`",
            &key("sweep.samples"),
            "objective = \"p90_pv_cost\"",
            "found: samples = 200",
        ],
    );
}

#[test]
fn sweep_p90_objective_without_samples() {
    let text = base_with(&(three_uncertain() + &sweep("p90_pv_cost", 0, SERVERS_0_TO_4)));
    let pos = value_pos(&text, "objective = \"p90_pv_cost\"", 0);
    rejects_sweep(
        &text,
        pos,
        &[
            "`p90_pv_cost` needs Monte Carlo samples",
            &key("sweep.objective"),
            "found: no `samples`",
        ],
    );
    // `samples = 0` written out is said as written.
    let written = text.replace(
        "objective = \"p90_pv_cost\"\n",
        "objective = \"p90_pv_cost\"\nsamples = 0\n",
    );
    rejects_sweep(&written, pos, &["found: samples = 0"]);
}

#[test]
fn a_swept_parameter_that_is_also_uncertain() {
    // Each sample would replace the swept availability, so every grid point would be the same.
    let text = base_with(
        &(uncertain(
            "option[mix].availability",
            "uniform",
            &[("low", "0.8"), ("high", "0.99")],
        ) + &sweep(
            "pv_cost",
            0,
            "path = \"option[mix].availability\"\nfrom = 0.5\nto = 0.9\nstep = 0.2\n",
        )),
    );
    let pos = value_pos(&text, "path = \"option[mix].availability\"\nfrom", 0);
    rejects_sweep(
        &text,
        pos,
        &[
            "`option[mix].availability` is both swept and uncertain",
            &key("sweep.parameter[0].path"),
            "without an `[[uncertain]]` entry",
        ],
    );
}

// --- Bad flags ------------------------------------------------------------------------------

/// `--samples 0` means no Monte Carlo in `run` as in `report`: the deterministic output, byte
/// for byte; more than the limit is refused.
#[test]
fn zero_samples_is_the_deterministic_run() {
    let plain = success(["run", FLEET, "--format", "json"]);
    let zero = success(["run", FLEET, "--format", "json", "--samples", "0"]);
    assert_eq!(plain, zero);
    run_rejected(
        &[
            OsStr::new(FLEET),
            OsStr::new("--samples"),
            OsStr::new("100000001"),
        ],
        &[
            "--samples",
            "invalid number of samples",
            "0 (no Monte Carlo) to 100000000",
        ],
    );
}

#[test]
fn zero_threads_is_rejected() {
    run_rejected(
        &[
            OsStr::new(FLEET),
            OsStr::new("--samples"),
            OsStr::new("100"),
            OsStr::new("--threads"),
            OsStr::new("0"),
        ],
        &["--threads", "invalid number of threads", "found: 0"],
    );
    rejected(
        &[
            OsStr::new("sweep"),
            OsStr::new(FLEET),
            OsStr::new("--threads"),
            OsStr::new("0"),
        ],
        &["--threads", "invalid number of threads"],
    );
}

#[test]
fn zero_threads_is_rejected_without_samples_too() {
    // Nothing runs in parallel here, yet the invalid value is refused, by `run` and by `report`
    // of a scenario without uncertain inputs alike.
    run_rejected(
        &[OsStr::new(FLEET), OsStr::new("--threads"), OsStr::new("0")],
        &["--threads", "invalid number of threads"],
    );
    let out = Scratch::new();
    let folder = out.path("report");
    rejected(
        &[
            OsStr::new("report"),
            OsStr::new(STARTUP),
            OsStr::new("--threads"),
            OsStr::new("0"),
            OsStr::new("--out"),
            folder.as_os_str(),
        ],
        &["--threads", "invalid number of threads"],
    );
    assert!(!folder.exists(), "a refused report writes nothing");
}

#[test]
fn monthly_monte_carlo_csv_is_refused() {
    // The Monte Carlo CSV has one row per option and metric; months would be silently lost.
    rejected(
        &[
            OsStr::new("run"),
            OsStr::new(FLEET),
            OsStr::new("--samples"),
            OsStr::new("100"),
            OsStr::new("--monthly"),
            OsStr::new("--format"),
            OsStr::new("csv"),
        ],
        &["--monthly does not apply to Monte Carlo CSV"],
    );
}

#[test]
fn negative_counts_are_refused_as_values() {
    // Parsed as a value (not as an unknown flag `-1`), so the message says what is wrong.
    for flag in ["--samples", "--threads", "--seed"] {
        run_rejected(
            &[OsStr::new(FLEET), OsStr::new(flag), OsStr::new("-1")],
            &[&format!("invalid value '-1' for '{flag}")],
        );
    }
}

#[test]
fn sensitivity_and_sweep_write_their_charts() {
    let dir = Scratch::new();
    let tornado = dir.path("tornado.svg");
    success(
        ["sensitivity", FLEET, "--quiet", "--chart"]
            .map(OsStr::new)
            .into_iter()
            .chain([tornado.as_os_str()]),
    );
    let svg = std::fs::read_to_string(&tornado).expect("the tornado SVG is written");
    let doc = roxmltree::Document::parse(&svg).expect("the tornado SVG is XML");
    let text: String = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(
        text.contains("demand_scale") && text.contains("server[l40s-8gpu].price_usd"),
        "{text}"
    );

    let chart = dir.path("sweep.png");
    success(
        ["sweep", FLEET, "--quiet", "--chart"]
            .map(OsStr::new)
            .into_iter()
            .chain([chart.as_os_str()]),
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&chart).expect("the sweep PNG is written"),
    ));
    let reader = decoder.read_info().expect("the sweep PNG decodes");
    let info = reader.info();
    assert_eq!((info.width, info.height), (1200, 720));
}

#[test]
fn a_chart_file_must_be_svg_or_png() {
    let dir = Scratch::new();
    let target = dir.path("sweep.gif");
    rejected(
        &[
            OsStr::new("sweep"),
            OsStr::new(FLEET),
            OsStr::new("--chart"),
            target.as_os_str(),
        ],
        &["unknown chart format", ".svg", ".png"],
    );
    assert!(!target.exists());
}

#[cfg(unix)]
#[test]
fn outputs_are_readable_like_any_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Scratch::new();
    let target = dir.path("result.json");
    success(
        ["run", STARTUP, "--format", "json", "--output"]
            .map(OsStr::new)
            .into_iter()
            .chain([target.as_os_str()]),
    );
    let mode = std::fs::metadata(&target)
        .expect("written")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o644, "a new output file gets the usual mode");
}

#[test]
fn a_failed_sweep_writes_neither_its_output_nor_its_chart() {
    let dir = Scratch::new();
    let chart = dir.path("sweep.svg");
    let output = dir.path("missing/sweep.json");
    rejected(
        &[
            OsStr::new("sweep"),
            OsStr::new(FLEET),
            OsStr::new("--chart"),
            chart.as_os_str(),
            OsStr::new("--output"),
            output.as_os_str(),
        ],
        &["cannot write the --output file", "no folder"],
    );
    assert!(
        !chart.exists(),
        "the chart was written although the output failed"
    );
    let chart_in_missing = dir.path("missing/sweep.svg");
    let output_ok = dir.path("sweep.json");
    rejected(
        &[
            OsStr::new("sweep"),
            OsStr::new(FLEET),
            OsStr::new("--chart"),
            chart_in_missing.as_os_str(),
            OsStr::new("--output"),
            output_ok.as_os_str(),
        ],
        &["cannot write the --chart file", "missing"],
    );
    assert!(
        !output_ok.exists(),
        "the output was written although the chart cannot be"
    );
    // A chart path that is a folder: the error names --chart, and an earlier output stays.
    std::fs::write(&output_ok, "earlier output").unwrap();
    let folder = dir.path("chart.svg");
    std::fs::create_dir(&folder).unwrap();
    for command in ["sweep", "sensitivity"] {
        rejected(
            &[
                OsStr::new(command),
                OsStr::new(FLEET),
                OsStr::new("--chart"),
                folder.as_os_str(),
                OsStr::new("--output"),
                output_ok.as_os_str(),
            ],
            &["the --chart path is a folder", "a file path for --chart"],
        );
        assert_eq!(
            std::fs::read_to_string(&output_ok).unwrap(),
            "earlier output",
            "{command} replaced the output although its chart cannot be written"
        );
    }
}

/// The Monte Carlo table states energy in the unit of the summary table (MWh): with no uncertain
/// input every sample is the deterministic run, so the two show the same figure.
#[test]
fn monte_carlo_energy_is_in_the_summary_tables_unit() {
    let text = success(["run", "--samples", "64"]);
    let cells = |line: &str| -> Vec<String> {
        line.split(['│', '┆'])
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect()
    };
    let summary = text
        .lines()
        .map(cells)
        .find(|c| c.first().is_some_and(|f| f == "Energy [MWh]"))
        .expect("summary energy row");
    let monte_carlo = text
        .lines()
        .map(cells)
        .find(|c| c.get(1).is_some_and(|f| f == "Energy [MWh]"))
        .expect("Monte Carlo energy row");
    // The first option's summary figure and its Monte Carlo mean.
    assert_eq!(summary[1], monte_carlo[2], "{text}");
}

/// A sweep whose objective is the P90 of PV, in a scenario without uncertain inputs, says that
/// every sample is the deterministic run, as `run --samples` does.
#[test]
fn a_p90_sweep_without_uncertain_inputs_warns() {
    let dir = Scratch::new();
    let scenario = dir.write(
        "s.toml",
        &format!(
            "{BASE}\n[sweep]\nobjective = \"p90_pv_cost\"\nsamples = 16\n\n[[sweep.parameter]]\npath = \"option[mix].servers\"\nfrom = 0\nto = 2\nstep = 1\n"
        ),
    );
    let out = output([OsStr::new("sweep"), arg(&scenario)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("no `[[uncertain]]` inputs: every sample equals the deterministic run"),
        "{}",
        stderr(&out)
    );
}

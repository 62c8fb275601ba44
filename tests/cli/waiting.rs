//! Work that waits and comparisons of equals from the command line (README Q1–Q7, F3a): every
//! format says which options compare, why not, and what waiting did.

use crate::support::{
    BASE, Scratch, arg, edit, option_named, output, run_rejected, stderr, stdout, success,
};
use serde_json::Value;

fn json(path: &std::path::Path) -> Value {
    let text = success([arg("run"), arg(path), arg("--format"), arg("json")]);
    serde_json::from_str(&text).expect("JSON")
}

/// The base scenario with its workload waiting up to `hours`, and a bursty profile.
fn waiting(hours: u32) -> String {
    edit(
        BASE,
        "profile = \"flat\"",
        &format!("profile = \"bursty\"\nmax_wait_hours = {hours}"),
    )
}

#[test]
fn waiting_work_is_reported_in_every_format() {
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &waiting(48));
    let doc = json(&path);
    let own = option_named(&doc, "own");
    let after = own["served_after_wait_gpu_hours"].as_f64().unwrap();
    let mean = own["mean_wait_hours"].as_f64().unwrap();
    let p95 = own["p95_wait_hours"].as_f64().unwrap();
    assert!(after > 0.0, "bursty load against 2 servers waits");
    assert!(
        0.0 < mean && mean <= p95 && p95 <= 48.0,
        "mean {mean}, P95 {p95}"
    );
    // A cloud option never waits.
    assert!(option_named(&doc, "rent")["mean_wait_hours"].is_null());
    let table = success([arg("run"), arg(&path)]);
    for row in [
        "served after waiting [GPU-h]",
        "mean wait [h]",
        "P95 wait [h]",
        "backlog",
    ] {
        assert!(table.contains(row), "table lacks `{row}`:\n{table}");
    }
    let csv = success([
        arg("run"),
        arg(&path),
        arg("--format"),
        arg("csv"),
        arg("--monthly"),
    ]);
    let header = csv.lines().next().unwrap_or("");
    for col in [
        "served_after_wait_gpu_hours",
        "backlog_gpu_hours",
        "mean_wait_hours",
        "unserved",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "CSV lacks `{col}`: {header}"
        );
    }
    // Without waiting nothing waits, and the table has no waiting rows.
    let flat = scratch.write("flat.toml", BASE);
    let table = success([arg("run"), arg(&flat)]);
    assert!(!table.contains("mean wait"));
}

#[test]
fn a_baseline_that_leaves_work_unmet_is_compared_with_nothing() {
    // The baseline `own` (2 servers) cannot carry 60,000 GPU-hours a month.
    let text = edit(
        BASE,
        "gpu_hours_per_month = 5000",
        "gpu_hours_per_month = 60000",
    );
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let out = output([arg("run"), arg(&path), arg("--format"), arg("json")]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(
        err.contains("warning: the baseline `own` leaves")
            && err.contains("set `unserved_cost_per_gpu_hour`"),
        "{err}"
    );
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(option_named(&doc, "own")["comparison"], "baseline");
    for name in ["rent", "mix"] {
        let o = option_named(&doc, name);
        assert_eq!(o["comparison"], "not_comparable", "{name}");
        assert!(
            o["not_comparable"]
                .as_str()
                .is_some_and(|r| r.starts_with("baseline `own` leaves")),
            "{name}: {}",
            o["not_comparable"]
        );
        for key in ["savings_vs_baseline", "roi", "payback_month", "irr"] {
            assert!(o[key].is_null(), "{name}: {key}");
        }
    }
    // The verdict: `own` is out of the running; the winner serves its demand.
    let v = &doc["verdict"];
    assert_eq!(v["rule"], "cheapest_serving_demand");
    let winner = v["winner"].as_str().unwrap_or_default();
    assert!(winner == "rent" || winner == "mix", "{v}");
    let own = &v["options"][0];
    assert_eq!(
        (own["in_running"].as_bool(), own["serves_demand"].as_bool()),
        (Some(false), Some(false))
    );
    for format in ["table", "markdown", "csv"] {
        let text = success([
            arg("run"),
            arg(&path),
            arg("--format"),
            arg(format),
            arg("-q"),
        ]);
        assert!(
            text.contains("not comparable") || text.contains("not_comparable"),
            "{format}:\n{text}"
        );
        if format != "csv" {
            // The baseline's own ROI reads "baseline", never 0.0%.
            let roi = text
                .lines()
                .find(|l| l.contains("ROI [%]"))
                .unwrap_or_default();
            assert!(
                roi.contains("baseline") && !roi.contains("0.0%"),
                "{format}: {roi}"
            );
        }
    }
    let table = success([arg("run"), arg(&path), arg("-q")]);
    assert!(table.contains("The baseline own leaves"), "{table}");
}

#[test]
fn a_price_for_unserved_work_makes_every_option_comparable() {
    let text = edit(
        &edit(
            BASE,
            "gpu_hours_per_month = 5000",
            "gpu_hours_per_month = 60000",
        ),
        "reference_accelerator = \"h100-sxm\"",
        "reference_accelerator = \"h100-sxm\"\nunserved_cost_per_gpu_hour = 12.5",
    );
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let out = output([arg("run"), arg(&path), arg("--format"), arg("json")]);
    assert!(!stderr(&out).contains("leaves"), "no warning with a price");
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(doc["verdict"]["rule"], "cheapest_with_unserved_work_priced");
    assert_eq!(doc["scenario"]["unserved_cost_per_gpu_hour"], 12.5);
    let own = option_named(&doc, "own");
    let unmet = own["unmet_gpu_hours"].as_f64().unwrap();
    let priced = own["breakdown"]["unserved"].as_f64().unwrap();
    assert!(
        (priced - 12.5 * unmet).abs() <= 1e-9 * priced,
        "{priced} vs {unmet}"
    );
    for name in ["rent", "mix"] {
        let o = option_named(&doc, name);
        assert_eq!(o["comparison"], "comparable");
        let savings = o["savings_vs_baseline"].as_f64().unwrap();
        let expected = own["pv_cost"].as_f64().unwrap() - o["pv_cost"].as_f64().unwrap();
        assert!((savings - expected).abs() <= 1e-6 * expected.abs().max(1.0));
    }
}

#[test]
fn waiting_and_price_inputs_are_checked() {
    let scratch = Scratch::new();
    let path = scratch.write("a.toml", &waiting(9000));
    run_rejected(
        &[arg(&path)],
        &[
            "`max_wait_hours` is out of range",
            "key: `workload[0].max_wait_hours`",
            "8760",
        ],
    );
    let path = scratch.write(
        "b.toml",
        &edit(
            BASE,
            "growth_per_year = 0.1",
            "growth_per_year = 0.1\nunserved_cost_per_gpu_hour = 4",
        ),
    );
    run_rejected(
        &[arg(&path)],
        &[
            "a workload's price of unserved work needs the scenario's",
            "workload[0].unserved_cost_per_gpu_hour",
        ],
    );
    let path = scratch.write(
        "c.toml",
        &format!("{BASE}\n[[uncertain]]\npath = \"unserved_cost_per_gpu_hour\"\ndistribution = \"uniform\"\nlow = 1\nhigh = 2\n"),
    );
    run_rejected(
        &[arg(&path)],
        &["unserved work has no price in this scenario"],
    );
}

#[test]
fn an_uncertain_price_of_unserved_work_is_sampled() {
    let text = edit(
        &edit(
            BASE,
            "gpu_hours_per_month = 5000",
            "gpu_hours_per_month = 30000",
        ),
        "reference_accelerator = \"h100-sxm\"",
        "reference_accelerator = \"h100-sxm\"\nunserved_cost_per_gpu_hour = 10",
    ) + "\n[[uncertain]]\npath = \"unserved_cost_per_gpu_hour\"\ndistribution = \"uniform\"\nlow = 5\nhigh = 50\n";
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let out = success([
        arg("run"),
        arg(&path),
        arg("--samples"),
        arg("500"),
        arg("--format"),
        arg("json"),
    ]);
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    let own = doc["montecarlo"]["options"][0]["metrics"]["pv_cost"].clone();
    let (p10, p90) = (own["p10"].as_f64().unwrap(), own["p90"].as_f64().unwrap());
    assert!(
        p90 > p10,
        "the price moves the PV of the option that leaves work unmet"
    );
}

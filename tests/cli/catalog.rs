//! `--catalog DIR`: rows layered over the built-in catalogs replace rows with the same id, new
//! ids are added, and the result moves the way the changed price says; a value out of range is
//! refused with the range accepted.

use crate::support::{
    BASE, EXIT_INPUT, OFFERS_HEADER, SERVER_ROW, Scratch, arg, edit, offer_row, option_named,
    output, rejected, repo, stderr, success,
};
use serde_json::Value;
use std::path::Path;

/// The `[[table]]` row with `id` from the shipped catalog `file`, as a TOML document of its own,
/// after `change` has edited it.
fn shipped_row(
    file: &str,
    table: &str,
    id: &str,
    change: impl FnOnce(&mut toml_edit::Table),
) -> String {
    let text = std::fs::read_to_string(repo().join("catalogs").join(file)).unwrap();
    let doc: toml_edit::DocumentMut = text.parse().expect("a shipped catalog parses");
    let rows = doc[table].as_array_of_tables().expect("an array of tables");
    let mut row = rows
        .iter()
        .find(|t| t.get("id").and_then(|v| v.as_str()) == Some(id))
        .unwrap_or_else(|| panic!("no `{id}` in catalogs/{file}"))
        .clone();
    change(&mut row);
    let mut out = toml_edit::DocumentMut::new();
    let mut array = toml_edit::ArrayOfTables::new();
    array.push(row);
    out.insert(table, toml_edit::Item::ArrayOfTables(array));
    out.to_string()
}

fn float(row: &toml_edit::Table, key: &str) -> f64 {
    let v = &row[key];
    v.as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .unwrap_or_else(|| panic!("`{key}` is a number"))
}

fn json(scenario: &Path, catalogs: &[&Path]) -> Value {
    let mut args = vec![arg("run"), arg(scenario), arg("--format"), arg("json")];
    for c in catalogs {
        args.push(arg("--catalog"));
        args.push(arg(*c));
    }
    serde_json::from_str(&success(&args)).expect("JSON")
}

fn pv(doc: &Value, name: &str) -> f64 {
    option_named(doc, name)["pv_cost"].as_f64().unwrap()
}

/// Figures of an option that depend on other options (the baseline, the cheapest cloud
/// price), left out when checking that a catalog change did not touch an option.
const RELATIVE: [&str; 6] = [
    "savings_vs_baseline",
    "roi",
    "payback_month",
    "irr",
    "irr_roots",
    "break_even_utilization",
];

/// Asserts that option `name` has the same own figures in both documents, naming the keys that
/// differ (without dumping every month).
fn assert_option_unchanged(before: &Value, after: &Value, name: &str, why: &str) {
    let (b, a) = (option_named(before, name), option_named(after, name));
    let keys: Vec<&String> = b.as_object().unwrap().keys().collect();
    let differ: Vec<String> = keys
        .into_iter()
        .filter(|k| !RELATIVE.contains(&k.as_str()) && b[k.as_str()] != a[k.as_str()])
        .map(|k| {
            if k == "monthly" || k == "breakdown" {
                k.to_string()
            } else {
                format!("{k}: {} -> {}", b[k.as_str()], a[k.as_str()])
            }
        })
        .collect();
    assert!(
        differ.is_empty(),
        "option `{name}` changed ({why}): {differ:?}"
    );
}

fn row_used<'a>(doc: &'a Value, catalog: &str, id: &str) -> &'a Value {
    doc["catalog_rows_used"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["catalog"] == catalog && r["id"] == id)
        .unwrap_or_else(|| {
            panic!(
                "`{id}` not in catalog_rows_used: {}",
                doc["catalog_rows_used"]
            )
        })
}

#[test]
fn doubling_a_server_price_raises_the_owned_options_only() {
    let scratch = Scratch::new();
    let scenario = scratch.write("scenario.toml", BASE);
    let row = shipped_row("servers.toml", "server", "dgx-h100", |t| {
        let price = float(t, "price_usd");
        t["price_usd"] = toml_edit::value(price * 2.0);
    });
    let dir = scratch.path("catalog");
    scratch.write("catalog/servers.toml", &row);

    let before = json(&scenario, &[]);
    let after = json(&scenario, &[&dir]);
    for owned in ["own", "mix"] {
        assert!(
            pv(&after, owned) > pv(&before, owned),
            "{owned}: PV {} with the doubled price, {} before",
            pv(&after, owned),
            pv(&before, owned)
        );
    }
    assert_option_unchanged(&before, &after, "rent", "the cloud option has no server");

    let used = row_used(&after, "servers", "dgx-h100");
    assert_eq!(
        used["file"],
        dir.join("servers.toml").display().to_string(),
        "{used}"
    );
    assert_eq!(
        row_used(&before, "servers", "dgx-h100")["file"],
        "<built-in>/servers.toml"
    );
    // Rows that were not overridden still come from the built-in catalogs.
    assert_eq!(
        row_used(&after, "sites", "us-tx-colo")["file"],
        "<built-in>/sites.toml"
    );
}

#[test]
fn an_unchanged_override_changes_only_where_the_row_came_from() {
    let scratch = Scratch::new();
    let scenario = scratch.write("scenario.toml", BASE);
    scratch.write(
        "catalog/servers.toml",
        &shipped_row("servers.toml", "server", "dgx-h100", |_| {}),
    );
    let before = json(&scenario, &[]);
    let after = json(&scenario, &[&scratch.path("catalog")]);
    assert_eq!(before["options"], after["options"]);
}

#[test]
fn cheaper_electricity_lowers_the_energy_cost() {
    let scratch = Scratch::new();
    let scenario = scratch.write("scenario.toml", BASE);
    scratch.write(
        "catalog/sites.toml",
        &shipped_row("sites.toml", "site", "us-tx-colo", |t| {
            let price = float(t, "electricity_per_kwh");
            t["electricity_per_kwh"] = toml_edit::value(price / 2.0);
        }),
    );
    let before = json(&scenario, &[]);
    let after = json(&scenario, &[&scratch.path("catalog")]);
    let energy = |d: &Value| {
        option_named(d, "own")["breakdown"]["energy"]
            .as_f64()
            .unwrap()
    };
    assert!(energy(&before) > 0.0);
    let ratio = energy(&after) / energy(&before);
    assert!(
        (ratio - 0.5).abs() < 1e-9,
        "half the electricity price, half the energy cost: ratio {ratio}"
    );
    assert!(pv(&after, "own") < pv(&before, "own"));
    assert_option_unchanged(&before, &after, "rent", "the cloud option has no site");
}

#[test]
fn a_new_server_row_can_be_used() {
    let scratch = Scratch::new();
    let dir = scratch.path("catalog");
    scratch.write("catalog/servers.toml", SERVER_ROW);
    let scenario = scratch.write(
        "scenario.toml",
        &edit(
            BASE,
            "server = \"dgx-h100\"\nservers = 2",
            "server = \"test-server\"\nservers = 2",
        ),
    );
    let doc = json(&scenario, &[&dir]);
    let used = row_used(&doc, "servers", "test-server");
    assert_eq!(used["file"], dir.join("servers.toml").display().to_string());
    assert_eq!(used["source"], "integration test");
    assert_eq!(used["as_of"], "2026-06-01");
    // The built-in rows are still there: the hybrid option keeps its DGX H100.
    row_used(&doc, "servers", "dgx-h100");
    assert_eq!(option_named(&doc, "own")["owned_gpus"], 16.0);
}

#[test]
fn a_new_cloud_offer_is_priced_per_gpu_hour() {
    let scratch = Scratch::new();
    let dir = scratch.path("catalog");
    // 8 H100 (the reference accelerator) for 50 USD per hour: 6.25 USD per GPU-hour.
    scratch.write(
        "catalog/cloud-offers.csv",
        &format!("{OFFERS_HEADER}{}", offer_row("50.0", "")),
    );
    let scenario = scratch.write(
        "scenario.toml",
        &edit(
            BASE,
            "kind = \"cloud\"\noffer = \"aws-p5.48xlarge-us-east-1\"",
            "kind = \"cloud\"\noffer = \"test-offer\"",
        ),
    );
    let doc = json(&scenario, &[&dir]);
    let rent = option_named(&doc, "rent");
    let served = rent["served_cloud_gpu_hours"].as_f64().unwrap();
    let on_demand = rent["breakdown"]["cloud_on_demand"].as_f64().unwrap();
    assert!(served > 0.0);
    assert!(
        (on_demand - served * 6.25).abs() <= 1e-9 * on_demand,
        "on-demand cost {on_demand} for {served} GPU-hours at 6.25"
    );
    let per_hour = rent["cost_per_gpu_hour"].as_f64().unwrap();
    assert!(
        (per_hour - 6.25).abs() < 1e-9,
        "cost per GPU-hour {per_hour}"
    );
    let used = row_used(&doc, "cloud-offers", "test-offer");
    assert_eq!(
        used["file"],
        dir.join("cloud-offers.csv").display().to_string()
    );
}

#[test]
fn a_dearer_offer_raises_the_cloud_options() {
    let scratch = Scratch::new();
    let scenario = scratch.write("scenario.toml", BASE);
    // Override the offer the cloud and hybrid options use with twice its on-demand price.
    let shipped = std::fs::read_to_string(repo().join("catalogs/cloud-offers.csv")).unwrap();
    let line = shipped
        .lines()
        .find(|l| l.starts_with("aws-p5.48xlarge-us-east-1,"))
        .expect("the offer is shipped");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    let mut record: Vec<String> = reader
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let od: f64 = record[6].parse().unwrap();
    record[6] = format!("{}", od * 2.0);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&record).unwrap();
    let row = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    scratch.write("catalog/cloud-offers.csv", &format!("{OFFERS_HEADER}{row}"));

    let before = json(&scenario, &[]);
    let after = json(&scenario, &[&scratch.path("catalog")]);
    assert!(pv(&after, "rent") > pv(&before, "rent"));
    assert!(pv(&after, "mix") >= pv(&before, "mix"));
    assert_option_unchanged(&before, &after, "own", "the onprem option rents nothing");
}

#[test]
fn later_catalog_folders_win() {
    let scratch = Scratch::new();
    let scenario = scratch.write("scenario.toml", BASE);
    let with_price = |factor: f64| {
        shipped_row("servers.toml", "server", "dgx-h100", |t| {
            let price = float(t, "price_usd");
            t["price_usd"] = toml_edit::value(price * factor);
        })
    };
    scratch.write("cheap/servers.toml", &with_price(0.5));
    scratch.write("dear/servers.toml", &with_price(2.0));
    let (cheap, dear) = (scratch.path("cheap"), scratch.path("dear"));
    let cheap_then_dear = json(&scenario, &[&cheap, &dear]);
    let dear_then_cheap = json(&scenario, &[&dear, &cheap]);
    let only_dear = json(&scenario, &[&dear]);
    assert_eq!(cheap_then_dear["options"], only_dear["options"]);
    assert!(pv(&dear_then_cheap, "own") < pv(&cheap_then_dear, "own"));
    assert_eq!(
        row_used(&dear_then_cheap, "servers", "dgx-h100")["file"],
        cheap.join("servers.toml").display().to_string()
    );
}

#[test]
fn the_shipped_catalogs_as_a_folder_change_nothing_but_row_origins() {
    let scratch = Scratch::new();
    let scenario = scratch.write("scenario.toml", BASE);
    let before = json(&scenario, &[]);
    let after = json(&scenario, &[&repo().join("catalogs")]);
    assert_eq!(before["options"], after["options"]);
    for r in after["catalog_rows_used"].as_array().unwrap() {
        assert!(r["file"].as_str().unwrap().contains("catalogs"), "{r}");
    }
}

/// An offer used by two options, one committing (its committed price derived from the
/// provider's discount) and one not, is one catalog row and should be listed once.
#[test]
fn catalog_rows_used_lists_each_row_once() {
    let scratch = Scratch::new();
    let scenario = scratch.write(
        "scenario.toml",
        &edit(
            BASE,
            "kind = \"cloud\"\n",
            "kind = \"cloud\"\ncommitted_share = 0.5\n",
        ),
    );
    let doc = json(&scenario, &[]);
    let mut seen = std::collections::BTreeMap::new();
    for r in doc["catalog_rows_used"].as_array().unwrap() {
        let id = format!(
            "{}/{}",
            r["catalog"].as_str().unwrap(),
            r["id"].as_str().unwrap()
        );
        *seen.entry(id).or_insert(0) += 1;
    }
    let repeated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "rows listed more than once: {repeated:?}\n{:#}",
        doc["catalog_rows_used"]
    );
    // The derived committed price is still noted.
    let derived = doc["catalog_rows_used"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["derived"].as_str().is_some_and(|d| d.contains("derived")));
    assert!(derived, "{:#}", doc["catalog_rows_used"]);
}

#[test]
fn a_dollar_rate_other_than_one_is_refused() {
    // Catalog prices are in US dollars: a USD rate of 2 would halve every figure of a scenario
    // in another currency.
    let scratch = Scratch::new();
    let scenario = scratch.write("scenario.toml", BASE);
    scratch.write(
        "fx/fx.toml",
        "[[rate]]\ncurrency = \"USD\"\nper_usd = 2.0\nsource = \"test\"\nas_of = \"2025\"\n",
    );
    let dir = scratch.path("fx");
    let err = crate::support::run_rejected(
        &[arg(&scenario), arg("--catalog"), arg(&dir)],
        &[
            "fx.toml",
            "per_usd",
            "the rate of `USD` is not 1",
            "found: 2",
        ],
    );
    assert!(err.contains("expected: per_usd = 1"), "{err}");
}

/// `tcosim validate DIR` of a folder holding only `cloud-offers.csv` with `row`.
fn validate_offer(row: &str) -> std::process::Output {
    let scratch = Scratch::new();
    scratch.write("catalog/cloud-offers.csv", &format!("{OFFERS_HEADER}{row}"));
    output([arg("validate"), arg(&scratch.path("catalog"))])
}

#[test]
fn an_offer_price_out_of_range_is_refused_with_the_range_accepted() {
    // On-demand prices are accepted from 0.000001 to 10^12 USD per instance-hour: 10^13 is
    // above 0 but beyond the largest, and the message says which bound it breaks.
    let expected = "expected: a price of 0.000001 to 1,000,000,000,000 USD per hour";
    let scratch = Scratch::new();
    let scenario = scratch.write("scenario.toml", BASE);
    scratch.write(
        "catalog/cloud-offers.csv",
        &format!("{OFFERS_HEADER}{}", offer_row("1e13", "")),
    );
    let dir = scratch.path("catalog");
    let needles = [
        "cloud-offers.csv:2:1: `on_demand_usd_per_hour` is out of range",
        "key: `line 2, column on_demand_usd_per_hour`",
        expected,
        "found: 10000000000000",
    ];
    crate::support::run_rejected(&[arg(&scenario), arg("--catalog"), arg(&dir)], &needles);
    rejected(&[arg("validate"), arg(&dir)], &needles);

    // The bounds themselves are accepted; just beyond them is not.
    for price in ["1000000000000", "0.000001"] {
        let out = validate_offer(&offer_row(price, ""));
        assert_eq!(out.status.code(), Some(0), "{price}: {}", stderr(&out));
    }
    for (price, found) in [("1000000000001", "1000000000001"), ("1e-7", "0.0000001")] {
        let out = validate_offer(&offer_row(price, ""));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(EXIT_INPUT), "{price}: {err}");
        assert!(
            err.contains(expected) && err.contains(&format!("found: {found}\n")),
            "{price}: {err}"
        );
    }

    // Spot and committed prices may be 0, or as an on-demand price.
    let out = validate_offer(&offer_row("50", "2e12"));
    let err = stderr(&out);
    assert!(
        err.contains("`spot_usd_per_hour` is out of range")
            && err
                .contains("expected: 0, or a price of 0.000001 to 1,000,000,000,000 USD per hour"),
        "{err}"
    );
    // A count too large for a whole number says how many accelerators an offer may have.
    let out = validate_offer(&offer_row("50", "").replace(",8,50", ",99999999999,50"));
    let err = stderr(&out);
    assert!(
        err.contains("expected: a whole number of accelerators, 1 to 10,000"),
        "{err}"
    );
}

#[test]
fn a_catalog_table_value_out_of_range_is_refused_with_the_range_accepted() {
    // 0.05 GB is above 0, but memory sizes start at 0.1 GB: the message gives both bounds.
    let scratch = Scratch::new();
    let row = shipped_row("accelerators.toml", "accelerator", "h100-sxm", |t| {
        t["memory_gb"] = toml_edit::value(0.05);
    });
    scratch.write("catalog/accelerators.toml", &row);
    rejected(
        &[arg("validate"), arg(&scratch.path("catalog"))],
        &[
            "`memory_gb` is out of range",
            "key: `accelerator[0].memory_gb`",
            "expected: a memory size of 0.1 to 100,000 GB",
            "found: 0.05",
        ],
    );
}

#[test]
fn a_day_the_calendar_does_not_have_is_not_a_date() {
    // A catalog row's `as_of`, `catalog check --today` and `catalog import --as-of` read real
    // days of the calendar only, written with four, two and two digits.
    let scratch = Scratch::new();
    let scenario = scratch.write("scenario.toml", BASE);
    for bad in [
        "2025-02-30",
        "2025-02-29",
        "2025-04-31",
        "2025-1-5",
        "9999-12",
    ] {
        scratch.write(
            "fx/fx.toml",
            &format!(
                "[[rate]]\ncurrency = \"EUR\"\nper_usd = 0.9\nsource = \"test\"\nas_of = \"{bad}\"\n"
            ),
        );
        crate::support::run_rejected(
            &[arg(&scenario), arg("--catalog"), arg(&scratch.path("fx"))],
            &[
                "fx.toml",
                "`as_of` is not a date",
                "a day of the calendar from 1900 to 2200",
                &format!("found: `{bad}`"),
            ],
        );
    }
    crate::support::rejected(
        &[
            arg("catalog"),
            arg("check"),
            arg("catalogs"),
            arg("--today"),
            arg("2025-02-29"),
        ],
        &["--today", "a day of the calendar", "found: `2025-02-29`"],
    );
    crate::support::success([
        arg("catalog"),
        arg("check"),
        arg("catalogs"),
        arg("--today"),
        arg("2028-02-29"),
    ]);
}

//! Every assumption visible with its value: `catalog_rows_used[].values` against the catalog
//! files read here independently, scenario overrides, currency conversion, the assumptions list
//! closing table and Markdown output, and the report's assumptions table with its links.

use crate::support::{BASE, Scratch, edit, repo, success};
use serde_json::Value;

/// Relative tolerance of a value converted into the scenario currency: one division and one
/// multiplication in binary floating point.
const CONVERSION_TOLERANCE: f64 = 1e-12;

fn catalog_toml(file: &str) -> toml::Table {
    let text = std::fs::read_to_string(repo().join("catalogs").join(file)).unwrap();
    text.parse().unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The table of `kind` (`server`, `site`, ...) in `file` whose `key` is `id`.
fn catalog_row(file: &str, kind: &str, key: &str, id: &str) -> toml::Table {
    catalog_toml(file)[kind]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_table().unwrap().clone())
        .find(|r| r[key].as_str() == Some(id))
        .unwrap_or_else(|| panic!("{id} in {file}"))
}

fn number(t: &toml::Table, field: &str) -> f64 {
    match &t[field] {
        toml::Value::Float(f) => *f,
        toml::Value::Integer(i) => *i as f64,
        other => panic!("{field} is not a number: {other}"),
    }
}

/// The row `id` of cloud-offers.csv, by column name.
fn offer_row(id: &str) -> std::collections::HashMap<String, String> {
    let mut reader = csv::Reader::from_path(repo().join("catalogs/cloud-offers.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[0] == id)
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .unwrap_or_else(|| panic!("{id} in cloud-offers.csv"))
}

fn per_usd(currency: &str) -> f64 {
    number(
        &catalog_row("fx.toml", "rate", "currency", currency),
        "per_usd",
    )
}

fn json_run(scenario: &str) -> Value {
    serde_json::from_str(&success(["run", scenario, "--format", "json"])).unwrap()
}

fn row<'a>(doc: &'a Value, catalog: &str, id: &str) -> &'a Value {
    doc["catalog_rows_used"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["catalog"] == catalog && r["id"] == id)
        .unwrap_or_else(|| panic!("{catalog} {id} in {:#}", doc["catalog_rows_used"]))
}

/// The entries of `name` among a row's values.
fn values<'a>(row: &'a Value, name: &str) -> Vec<&'a Value> {
    row["values"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["name"] == name)
        .collect()
}

/// The single entry of `name`, with its unit and origin checked.
fn value<'a>(row: &'a Value, name: &str, unit: &str, from: &str) -> &'a Value {
    let found = values(row, name);
    assert_eq!(found.len(), 1, "one `{name}` in {row:#}");
    assert_eq!(found[0]["unit"], unit, "unit of `{name}`");
    assert_eq!(found[0]["from"], from, "origin of `{name}`");
    found[0]
}

fn num(v: &Value) -> f64 {
    v["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("a number: {v}"))
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= CONVERSION_TOLERANCE * want.abs(),
        "{what}: {got} against {want}"
    );
}

#[test]
fn values_of_every_row_equal_the_catalog_files() {
    let doc = json_run("scenarios/enterprise-llm-frankfurt.toml");
    let eur = per_usd("EUR");

    let server = catalog_row("servers.toml", "server", "id", "dgx-h100");
    let s = row(&doc, "servers", "dgx-h100");
    let price = value(s, "price_usd", "USD", "catalog");
    assert_eq!(num(price), number(&server, "price_usd"));
    assert_eq!(price["converted"]["unit"], "EUR");
    assert_close(
        price["converted"]["value"].as_f64().unwrap(),
        number(&server, "price_usd") * eur,
        "server price in EUR",
    );
    for (field, unit) in [
        ("max_power_kw", "kW"),
        ("idle_fraction", "fraction of max power"),
        ("accelerator_count", "GPUs"),
        ("warranty_years", "years"),
        ("support_pct_per_year", "% of price per year"),
    ] {
        assert_eq!(
            num(value(s, field, unit, "catalog")),
            number(&server, field),
            "{field}"
        );
    }

    let site = catalog_row("sites.toml", "site", "id", "de-fra-colo");
    let s = row(&doc, "sites", "de-fra-colo");
    for (field, unit) in [
        ("electricity_per_kwh", "EUR/kWh"),
        ("pue", "facility kWh per IT kWh"),
        ("colocation_per_kw_month", "EUR per kW-month"),
        ("grid_co2_g_per_kwh", "gCO2/kWh"),
    ] {
        let v = value(s, field, unit, "catalog");
        assert_eq!(num(v), number(&site, field), "{field}");
        assert!(v.get("converted").is_none(), "EUR in a EUR scenario: {v}");
    }

    let offer = offer_row("aws-p5.48xlarge-eu-west-2");
    let o = row(&doc, "cloud-offers", "aws-p5.48xlarge-eu-west-2");
    let gpus: f64 = offer["accelerator_count"].parse().unwrap();
    assert_eq!(
        num(value(
            o,
            "accelerator_count",
            "GPUs per instance",
            "catalog"
        )),
        gpus
    );
    for kind in ["on_demand", "spot"] {
        let instance: f64 = offer[&format!("{kind}_usd_per_hour")].parse().unwrap();
        let field = format!("{kind}_usd_per_hour");
        assert_eq!(
            num(value(o, &field, "USD per instance-hour", "catalog")),
            instance
        );
        let per_gpu = value(
            o,
            &format!("{kind}_usd_per_gpu_hour"),
            "USD per GPU-hour",
            "derived",
        );
        assert_eq!(num(per_gpu), instance / gpus, "{kind} per GPU-hour");
        assert_eq!(per_gpu["converted"]["unit"], "EUR per GPU-hour");
        assert_close(
            per_gpu["converted"]["value"].as_f64().unwrap(),
            instance / gpus * eur,
            "per GPU-hour in EUR",
        );
    }
    // The 1-year committed price is derived from the provider's discount (the CSV has none).
    assert_eq!(offer["commit_1y_usd_per_hour"], "");
    let provider = catalog_row("cloud-providers.toml", "provider", "id", "aws");
    let discount = number(&provider, "commit_1y_discount");
    let commit = value(
        o,
        "commit_1y_usd_per_hour",
        "USD per instance-hour",
        "derived",
    );
    let on_demand: f64 = offer["on_demand_usd_per_hour"].parse().unwrap();
    assert_close(
        num(commit),
        on_demand * (1.0 - discount),
        "derived commitment",
    );

    let p = row(&doc, "cloud-providers", "aws");
    assert_eq!(
        num(value(
            p,
            "commit_1y_discount",
            "fraction of on-demand",
            "catalog"
        )),
        discount
    );
    for (field, unit) in [
        ("storage_usd_per_tb_month", "USD per TB-month"),
        ("egress_usd_per_tb", "USD per TB"),
    ] {
        let v = value(p, field, unit, "catalog");
        assert_eq!(num(v), number(&provider, field), "{field}");
        assert_close(
            v["converted"]["value"].as_f64().unwrap(),
            number(&provider, field) * eur,
            field,
        );
    }

    let a = row(&doc, "accelerators", "h100-sxm");
    let h100 = catalog_row("accelerators.toml", "accelerator", "id", "h100-sxm");
    assert_eq!(
        num(value(a, "bf16_dense_tflops", "TFLOPS", "catalog")),
        number(&h100, "bf16_dense_tflops")
    );
    assert_eq!(
        num(value(
            a,
            "relative_throughput",
            "reference GPUs per GPU",
            "derived"
        )),
        1.0
    );
    assert_eq!(
        num(value(a, "tdp_w", "W", "catalog")),
        number(&h100, "tdp_w")
    );

    let policy = catalog_row("depreciation.toml", "policy", "id", "de-computer-1y");
    let d = row(&doc, "depreciation", "de-computer-1y");
    assert_eq!(
        value(d, "method", "", "catalog")["value"],
        policy["method"].as_str().unwrap()
    );
    assert_eq!(
        num(value(d, "life_years", "years", "catalog")),
        number(&policy, "life_years")
    );

    let fx = row(&doc, "fx", "EUR");
    assert_eq!(num(value(fx, "per_usd", "EUR per USD", "catalog")), eur);
}

#[test]
fn relative_throughput_is_the_ratio_of_the_basis_figures() {
    let scratch = Scratch::new();
    let scenario = edit(
        &edit(
            BASE,
            "server = \"dgx-h100\"\nservers = 2",
            "server = \"dgx-a100\"\nservers = 2",
        ),
        "name = \"test scenario\"",
        "name = \"test scenario\"\nthroughput_basis = \"memory-bandwidth\"",
    );
    let path = scratch.write("s.toml", &scenario);
    let doc = json_run(path.to_str().unwrap());
    let bandwidth = |id: &str| {
        number(
            &catalog_row("accelerators.toml", "accelerator", "id", id),
            "memory_bandwidth_tb_s",
        )
    };
    let server = catalog_row("servers.toml", "server", "id", "dgx-a100");
    let chip = server["accelerator"].as_str().unwrap();
    let a = row(&doc, "accelerators", chip);
    assert_eq!(
        num(value(a, "memory_bandwidth_tb_s", "TB/s", "catalog")),
        bandwidth(chip)
    );
    assert_eq!(
        num(value(
            a,
            "relative_throughput",
            "reference GPUs per GPU",
            "derived"
        )),
        bandwidth(chip) / bandwidth("h100-sxm")
    );
}

#[test]
fn a_scenario_setting_shows_as_such_with_the_catalog_value_beside_it() {
    let scratch = Scratch::new();
    // `own` sets its own support percentage; `mix` keeps the catalog's.
    let scenario = edit(
        BASE,
        "servers = 2\nsite = \"us-tx-colo\"",
        "servers = 2\nsite = \"us-tx-colo\"\nsupport_pct_per_year = 4.5",
    );
    let path = scratch.write("s.toml", &scenario);
    let doc = json_run(path.to_str().unwrap());
    let catalog = number(
        &catalog_row("servers.toml", "server", "id", "dgx-h100"),
        "support_pct_per_year",
    );
    assert_ne!(
        catalog, 4.5,
        "the test needs a value other than the catalog's"
    );
    let s = row(&doc, "servers", "dgx-h100");
    let support = values(s, "support_pct_per_year");
    assert_eq!(support.len(), 2, "{s:#}");
    let scenario_value = support
        .iter()
        .find(|v| v["from"] == "scenario")
        .expect("the scenario's value");
    assert_eq!(num(scenario_value), 4.5);
    assert_eq!(scenario_value["catalog_value"].as_f64(), Some(catalog));
    assert_eq!(scenario_value["option"], "own");
    assert_eq!(scenario_value["unit"], "% of price per year");
    let catalog_value = support
        .iter()
        .find(|v| v["from"] == "catalog")
        .expect("the catalog's value, used by `mix`");
    assert_eq!(num(catalog_value), catalog);
    assert!(catalog_value.get("option").is_none());

    let table = success(["run", path.to_str().unwrap()]);
    assert!(
        table.contains(&format!(
            "support_pct_per_year 4.5 % of price per year [scenario (option own; catalog {catalog})]"
        )),
        "{table}"
    );
}

#[test]
fn money_in_another_currency_is_converted_with_the_fx_rates() {
    let scratch = Scratch::new();
    // A USD scenario on a site priced in EUR: the site's prices are divided by EUR's rate.
    let scenario = edit(
        BASE,
        "site = \"us-tx-colo\"\n\n",
        "site = \"de-fra-colo\"\n\n",
    );
    let path = scratch.write("s.toml", &scenario);
    let doc = json_run(path.to_str().unwrap());
    let eur = per_usd("EUR");
    let site = catalog_row("sites.toml", "site", "id", "de-fra-colo");
    let s = row(&doc, "sites", "de-fra-colo");
    let electricity = value(s, "electricity_per_kwh", "EUR/kWh", "catalog");
    assert_eq!(electricity["converted"]["unit"], "USD/kWh");
    assert_close(
        electricity["converted"]["value"].as_f64().unwrap(),
        number(&site, "electricity_per_kwh") / eur,
        "electricity in USD",
    );
    // USD values in a USD scenario carry no conversion.
    let price = value(
        row(&doc, "servers", "dgx-h100"),
        "price_usd",
        "USD",
        "catalog",
    );
    assert!(price.get("converted").is_none(), "{price}");
    assert_eq!(
        num(value(
            row(&doc, "fx", "EUR"),
            "per_usd",
            "EUR per USD",
            "catalog"
        )),
        eur
    );
}

#[test]
fn table_and_markdown_end_with_the_assumptions_list_even_when_quiet() {
    let scenario = "scenarios/startup-finetune.toml";
    let doc = json_run(scenario);
    let rows = doc["catalog_rows_used"].as_array().unwrap();
    for format in ["table", "markdown"] {
        for quiet in [false, true] {
            let mut args = vec!["run", scenario, "--format", format];
            if quiet {
                args.push("--quiet");
            }
            let out = success(&args);
            let heading = if format == "table" {
                "\nAssumptions (catalog rows used; sources in --format json):\n"
            } else {
                "\n## Assumptions\n"
            };
            let at = out
                .rfind(heading)
                .unwrap_or_else(|| panic!("{format}: an assumptions list in\n{out}"));
            let lines: Vec<&str> = out[at..].lines().filter(|l| l.starts_with("- ")).collect();
            assert_eq!(lines.len(), rows.len(), "{format}: one line per row");
            assert!(
                out.ends_with(&format!("{}\n", lines.last().unwrap())),
                "{format}: the list ends the output"
            );
            for (line, r) in lines.iter().zip(rows) {
                let mark = if r["estimate"] == true {
                    ", estimate)"
                } else {
                    ")"
                };
                assert!(
                    line.starts_with(&format!(
                        "- {} {} (as of {}{mark}",
                        r["catalog"].as_str().unwrap(),
                        r["id"].as_str().unwrap(),
                        r["as_of"].as_str().unwrap()
                    )),
                    "{format}: {line}"
                );
                for v in r["values"].as_array().unwrap() {
                    let name = v["name"].as_str().unwrap();
                    assert!(
                        line.contains(&format!("{name} ")),
                        "{format}: {name} in {line}"
                    );
                }
            }
        }
    }
    for format in ["json", "csv"] {
        assert!(
            !success(["run", scenario, "--format", format]).contains("Assumptions"),
            "{format} stays data only"
        );
    }
}

#[test]
fn the_report_shows_values_with_units_and_links_its_sources() {
    let scratch = Scratch::new();
    // A catalog layer whose site names its source by URL, with characters to escape.
    let mut site = std::fs::read_to_string(repo().join("catalogs/sites.toml")).unwrap();
    let start = site.find("[[site]]\nid = \"us-tx-colo\"").unwrap();
    let end = site[start + 1..]
        .find("[[site]]")
        .map(|e| start + 1 + e)
        .unwrap_or(site.len());
    site = site[start..end].to_string();
    let source_line = site
        .lines()
        .find(|l| l.starts_with("source = "))
        .unwrap()
        .to_string();
    let url = "https://example.org/tariffs?a=1&b=<2>";
    site = site.replace(
        &source_line,
        &format!("source = \"tariff | sheet ({url}), checked\""),
    );
    scratch.write("layer/sites.toml", &site);
    let scenario = scratch.write("s.toml", BASE);
    let out = scratch.path("report");
    success([
        "report",
        scenario.to_str().unwrap(),
        "--catalog",
        scratch.path("layer").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    let section = &md[md.find("## Assumptions").unwrap()..md.find("## Methodology").unwrap()];
    assert!(
        section.contains(
            "| catalog | id | value | amount | unit | from | source | as of | estimate | file |"
        ),
        "{section}"
    );
    let electricity = number(
        &catalog_row("sites.toml", "site", "id", "us-tx-colo"),
        "electricity_per_kwh",
    );
    assert!(
        section.contains(&format!(
            "| sites | us-tx-colo | electricity_per_kwh | {electricity} | USD/kWh | catalog | tariff \\| sheet ([https://example.org/tariffs?a=1&b=&lt;2&gt;](https://example.org/tariffs?a=1&b=%3C2%3E)), checked |"
        )),
        "{section}"
    );
    let pue = number(
        &catalog_row("sites.toml", "site", "id", "us-tx-colo"),
        "pue",
    );
    assert!(
        section.contains(&format!(
            "|  |  | pue | {pue} | facility kWh per IT kWh | catalog |"
        )),
        "{section}"
    );
    assert!(
        html.contains(
            "<td>tariff | sheet (<a href=\"https://example.org/tariffs?a=1&amp;b=&lt;2&gt;\">https://example.org/tariffs?a=1&amp;b=&lt;2&gt;</a>), checked</td>"
        ),
        "index.html links the source"
    );
    assert!(html.contains("<td>electricity_per_kwh</td>"));
    assert!(html.contains("<td>USD/kWh</td>"));
}

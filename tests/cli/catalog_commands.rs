//! `tcosim catalog list|show|check|import`: the normalised columns against figures computed
//! here from the shipped catalog files, every format, filters and sorting, the layer a row
//! came from, the data-quality findings and their exit codes, and SkyPilot CSVs of three
//! clouds' layouts.

use crate::support::{
    EXIT_INPUT, OFFERS_HEADER, Scratch, arg, offer_row, output, repo, stderr, stdout, success,
};
use serde_json::Value;
use std::collections::HashMap;

/// Derived columns are one division or product of catalog figures: they agree to rounding.
const RELATIVE: f64 = 1e-12;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= RELATIVE * a.abs().max(b.abs())
}

/// The shipped `cloud-offers.csv` as maps of column to text.
fn shipped_offers() -> Vec<HashMap<String, String>> {
    parse_csv(&std::fs::read_to_string(repo().join("catalogs/cloud-offers.csv")).unwrap())
}

fn parse_csv(text: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// `(bf16_dense_tflops, memory_gb, tdp_w)` of each shipped accelerator.
fn shipped_accelerators() -> HashMap<String, (f64, f64, f64)> {
    let text = std::fs::read_to_string(repo().join("catalogs/accelerators.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    doc["accelerator"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let f = |k: &str| {
                let v = &a[k];
                v.as_float()
                    .or_else(|| v.as_integer().map(|i| i as f64))
                    .unwrap()
            };
            (
                a["id"].as_str().unwrap().to_string(),
                (f("bf16_dense_tflops"), f("memory_gb"), f("tdp_w")),
            )
        })
        .collect()
}

fn num(row: &HashMap<String, String>, col: &str) -> Option<f64> {
    row[col].parse().ok()
}

#[test]
fn offers_list_per_gpu_per_pflop_and_per_gb_hour_prices_from_the_catalog_rows() {
    let listed = parse_csv(&success(["catalog", "list", "offers", "--format", "csv"]));
    let shipped = shipped_offers();
    let accelerators = shipped_accelerators();
    assert_eq!(listed.len(), shipped.len());
    for (l, s) in listed.iter().zip(&shipped) {
        assert_eq!(l["id"], s["id"]);
        let od = num(s, "on_demand_usd_per_hour").unwrap();
        let gpus = num(s, "accelerator_count").unwrap();
        let (tflops, memory, _) = accelerators[&s["accelerator"]];
        let got = |c| num(l, c).unwrap_or_else(|| panic!("{} {c}", l["id"]));
        assert!(
            close(got("on_demand_usd_per_gpu_hour"), od / gpus),
            "{}",
            l["id"]
        );
        assert!(close(
            got("usd_per_bf16_pflop_hour"),
            od / (gpus * tflops / 1000.0)
        ));
        assert!(close(got("usd_per_memory_gb_hour"), od / (gpus * memory)));
        match num(s, "spot_usd_per_hour") {
            Some(spot) => assert!(close(got("spot_usd_per_gpu_hour"), spot / gpus)),
            None => assert_eq!(l["spot_usd_per_gpu_hour"], ""),
        }
        assert_eq!(l["as_of"], s["as_of"]);
        assert_eq!(l["estimate"], s["estimate"]);
        assert_eq!(l["source"], s["source"]);
    }
}

#[test]
fn accelerators_list_performance_per_watt_and_price_per_gpu() {
    let listed = parse_csv(&success([
        "catalog",
        "list",
        "accelerators",
        "--format",
        "csv",
    ]));
    let shipped = shipped_accelerators();
    assert_eq!(listed.len(), shipped.len());
    for l in &listed {
        let (tflops, memory, watts) = shipped[&l["id"]];
        assert!(close(num(l, "bf16_tflops_per_w").unwrap(), tflops / watts));
        assert!(close(num(l, "memory_gb").unwrap(), memory));
        let price = num(l, "price_usd_per_gpu").unwrap();
        assert!(close(
            num(l, "usd_per_bf16_tflops").unwrap(),
            price / tflops
        ));
    }
}

#[test]
fn servers_list_price_per_gpu() {
    let text = std::fs::read_to_string(repo().join("catalogs/servers.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let servers = doc["server"].as_array().unwrap();
    let listed = parse_csv(&success(["catalog", "list", "servers", "--format", "csv"]));
    assert_eq!(listed.len(), servers.len());
    for (l, s) in listed.iter().zip(servers) {
        let price = s["price_usd"].as_float().unwrap();
        let gpus = s["accelerator_count"].as_integer().unwrap() as f64;
        assert!(
            close(num(l, "price_usd_per_gpu").unwrap(), price / gpus),
            "{}",
            l["id"]
        );
    }
}

#[test]
fn every_kind_lists_in_every_format() {
    for kind in [
        "accelerators",
        "servers",
        "offers",
        "providers",
        "sites",
        "depreciation",
        "fx",
    ] {
        let csv = parse_csv(&success(["catalog", "list", kind, "--format", "csv"]));
        assert!(!csv.is_empty(), "{kind}");
        let json: Value =
            serde_json::from_str(&success(["catalog", "list", kind, "--format", "json"])).unwrap();
        assert_eq!(json["kind"], kind);
        let rows = json["rows"].as_array().unwrap();
        assert_eq!(rows.len(), csv.len(), "{kind}");
        assert_eq!(rows[0]["id"].as_str().unwrap(), csv[0]["id"], "{kind}");
        let md = success(["catalog", "list", kind, "--format", "markdown"]);
        assert!(md.starts_with("| id |"), "{kind}: {md}");
        assert_eq!(md.lines().count(), csv.len() + 2, "{kind}");
        let table = success(["catalog", "list", kind]);
        assert!(table.contains(&csv[0]["id"]), "{kind}");
        for col in ["as_of", "estimate", "source"] {
            assert!(csv[0].contains_key(col), "{kind} lacks {col}");
        }
    }
}

/// Tiny and huge figures that the checks accept are shown short (`1e-300`, not 300 digits):
/// to four significant digits in tables and Markdown, in shortest round-trip form in CSV. The
/// columns of words are left-aligned, those of numbers right-aligned.
#[test]
fn tiny_figures_are_shown_short_and_words_are_left_aligned() {
    let scratch = Scratch::new();
    scratch.write(
        "cat/depreciation.toml",
        "[[policy]]\nid = \"x\"\nname = \"tiny first year\"\nmethod = \"table\"\n\
         annual_rates = [1e-300, 1]\nsource = \"me\"\nas_of = \"2024\"\n",
    );
    scratch.write(
        "cat/staffing.toml",
        "[[automation]]\nid = \"manual\"\nname = \"zero\"\nfte_per_100_gpus = 5e-324\n\
         fixed_fte = 0.0\nplatform_fte = 0.0\nsoftware_per_gpu_year_usd = 0.0\n\
         source = \"me\"\nas_of = \"2025\"\n",
    );
    let cat = scratch.path("cat");
    let list = |kind: &str, id: &str, format: &str| {
        success([
            arg("catalog"),
            arg("list"),
            arg(kind),
            arg("--catalog"),
            arg(&cat),
            arg("--filter"),
            arg(&format!("id={id}")),
            arg("--format"),
            arg(format),
        ])
    };
    let md = list("depreciation", "x", "markdown");
    assert!(md.contains("| 1e-300 |"), "{md}");
    assert_eq!(
        md.lines().nth(1),
        Some("| --- | --- | --- | --- | --- | --- | ---: | ---: | --- | --- | --- |"),
        "the listed numbers right-aligned, the rest left:\n{md}"
    );
    let table = list("depreciation", "x", "table");
    assert!(table.contains(" 1e-300 ") && table.len() < 2_000, "{table}");
    assert!(
        table.contains("┆ tiny first year ┆"),
        "names left-aligned:\n{table}"
    );
    let csv = list("automation", "manual", "csv");
    assert!(csv.contains(",5e-324,"), "{csv}");
    assert!(csv.len() < 300, "{csv}");
    // An empty schedule is named as such, not as a sum of -0.
    scratch.write(
        "cat/depreciation.toml",
        "[[policy]]\nid = \"x\"\nname = \"x\"\nmethod = \"table\"\n\
         annual_rates = []\nsource = \"me\"\nas_of = \"2024\"\n",
    );
    crate::support::rejected(
        &[arg("validate"), arg(&cat)],
        &[
            "`annual_rates` do not form a schedule",
            "found: an empty list `[]`",
        ],
    );
}

/// A catalog row written as a list was once read key by key in the order of the row's fields;
/// now every row must be a table, whichever command reads the layer.
#[test]
fn a_catalog_row_written_as_a_list_is_refused() {
    let scratch = Scratch::new();
    for (text, needles) in [
        (
            "server = [[\"my-box\", \"My box\", \"h100-sxm\", 8]]\n",
            &[
                "servers.toml:1:11: `server[0]` is not a table",
                "key: `server[0]`",
                "found: a list",
            ][..],
        ),
        (
            "[server]\nid = \"my-box\"\n",
            &[
                "servers.toml:1:1: `server` is not a list of rows",
                "found: one table (`[server]` instead of `[[server]]`?)",
            ][..],
        ),
    ] {
        scratch.write("layer/servers.toml", text);
        let layer = scratch.path("layer");
        for args in [
            vec![arg("validate"), arg(&layer)],
            vec![
                arg("catalog"),
                arg("list"),
                arg("servers"),
                arg("--catalog"),
                arg(&layer),
            ],
            vec![arg("run"), arg("--catalog"), arg(&layer)],
        ] {
            let err = crate::support::rejected(&args, needles);
            assert_eq!(err.matches("error: ").count(), 1, "{err}");
        }
    }
}

#[test]
fn filter_and_sort_select_and_order_rows() {
    let listed = parse_csv(&success([
        "catalog",
        "list",
        "offers",
        "--filter",
        "accelerator=h100-sxm,provider=AWS",
        "--sort",
        "-on_demand_usd_per_gpu_hour",
        "--format",
        "csv",
    ]));
    let want = shipped_offers()
        .into_iter()
        .filter(|r| r["accelerator"] == "h100-sxm" && r["provider"] == "aws")
        .count();
    assert!(want >= 3);
    assert_eq!(listed.len(), want);
    let prices: Vec<f64> = listed
        .iter()
        .map(|r| num(r, "on_demand_usd_per_gpu_hour").unwrap())
        .collect();
    assert!(prices.windows(2).all(|w| w[0] >= w[1]), "{prices:?}");

    let cheap = parse_csv(&success([
        "catalog",
        "list",
        "offers",
        "--filter",
        "spot_usd_per_gpu_hour<3,instance_type~XLARGE",
        "--sort",
        "spot_usd_per_gpu_hour",
        "--format",
        "csv",
    ]));
    let want = shipped_offers()
        .into_iter()
        .filter(|r| {
            r["instance_type"].contains("xlarge")
                && num(r, "spot_usd_per_hour")
                    .is_some_and(|s| s / num(r, "accelerator_count").unwrap() < 3.0)
        })
        .count();
    assert_eq!(cheap.len(), want);
    let spots: Vec<f64> = cheap
        .iter()
        .map(|r| num(r, "spot_usd_per_gpu_hour").unwrap())
        .collect();
    assert!(spots.windows(2).all(|w| w[0] <= w[1]));

    let old = parse_csv(&success([
        "catalog",
        "list",
        "accelerators",
        "--filter",
        "as_of<2020",
        "--format",
        "csv",
    ]));
    assert!(!old.is_empty());
    assert!(old.iter().all(|r| r["as_of"].as_str() < "2020"));
}

#[test]
fn unknown_columns_and_bad_filters_exit_2_naming_the_nearest_columns() {
    for (args, needles) in [
        (
            vec!["--filter", "acelerator=h100-sxm"],
            vec![
                "unknown column `acelerator`",
                "hint: the nearest columns are `accelerator`",
            ],
        ),
        (
            vec!["--sort", "-on_demand_usd_per_gpu_hr"],
            vec!["--sort", "`on_demand_usd_per_gpu_hour`"],
        ),
        (
            vec!["--filter", "spot_usd_per_hour<cheap"],
            vec!["holds numbers", "`cheap`"],
        ),
        (
            vec!["--filter", "provider"],
            vec!["not a filter clause", "COL=VALUE"],
        ),
    ] {
        let mut all = vec!["catalog", "list", "offers"];
        all.extend(args);
        let out = output(&all);
        assert_eq!(out.status.code(), Some(EXIT_INPUT), "{all:?}");
        assert!(stdout(&out).is_empty());
        let err = stderr(&out);
        for n in needles {
            assert!(err.contains(n), "{all:?}: {err}");
        }
    }
}

#[test]
fn show_gives_every_field_with_its_layer_and_the_row_it_replaced() {
    let json: Value = serde_json::from_str(&success([
        "catalog", "show", "h100-sxm", "--format", "json",
    ]))
    .unwrap();
    let row = &json[0];
    assert_eq!(row["kind"], "accelerators");
    assert_eq!(row["layer"], "built-in");
    assert_eq!(row["file"], "<built-in>/accelerators.toml");
    let text = std::fs::read_to_string(repo().join("catalogs/accelerators.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let shipped = doc["accelerator"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"].as_str() == Some("h100-sxm"))
        .unwrap();
    for key in ["street_price_usd", "tdp_w", "memory_gb"] {
        let want = shipped[key]
            .as_float()
            .or_else(|| shipped[key].as_integer().map(|i| i as f64));
        assert_eq!(row["fields"][key].as_f64(), want, "{key}");
    }
    for key in ["source", "as_of", "note"] {
        assert_eq!(row["fields"][key].as_str(), shipped[key].as_str(), "{key}");
    }

    // A layer replacing a shipped offer: the layer and the replaced file are named.
    let scratch = Scratch::new();
    let dir = scratch.path("prices");
    let id = "aws-p5.48xlarge-us-east-1";
    scratch.write(
        "prices/cloud-offers.csv",
        &format!("{OFFERS_HEADER}{id},aws,p5.48xlarge,us-east-1,h100-sxm,8,40,20,,,my quote,2026-06-01,false,\n"),
    );
    let csv = parse_csv(&success([
        arg("catalog"),
        arg("show"),
        arg(id),
        arg("--catalog"),
        arg(&dir),
        arg("--format"),
        arg("csv"),
    ]));
    let field = |f: &str| {
        csv.iter()
            .find(|r| r["field"] == f)
            .map(|r| r["value"].clone())
            .unwrap()
    };
    assert_eq!(field("layer"), dir.display().to_string());
    assert_eq!(field("overrides"), "<built-in>/cloud-offers.csv");
    assert_eq!(field("on_demand_usd_per_hour"), "40");
    assert_eq!(field("source"), "my quote");
    assert_eq!(field("commit_1y_derived"), "true");

    let table = success(["catalog", "show", "de-fra-colo"]);
    assert!(
        table.contains("electricity_per_kwh") && table.contains("built-in"),
        "{table}"
    );
    let md = success(["catalog", "show", "EUR", "--format", "markdown"]);
    assert!(
        md.starts_with("## EUR") && md.contains("| per_usd |"),
        "{md}"
    );
}

#[test]
fn show_of_an_unknown_id_exits_2_with_the_nearest_ids() {
    let out = output(["catalog", "show", "dgx-h10"]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("unknown id `dgx-h10`") && err.contains("`dgx-h100`"),
        "{err}"
    );
}

/// A catalog folder with one offer whose spot price is above on-demand and one whose name
/// states 8 GPUs where the row has 4.
fn bad_layer(scratch: &Scratch) -> std::path::PathBuf {
    scratch.write(
        "bad/cloud-offers.csv",
        &format!(
            "{OFFERS_HEADER}{}lambda-gpu_8x_test,lambda,gpu_8x_test,all,h100-sxm,4,12,,,,lambda.ai pricing page,2026-05-01,false,\n",
            offer_row("50", "60")
        ),
    );
    scratch.path("bad")
}

#[test]
fn check_exits_1_on_an_error_finding_and_reports_only_the_layers_rows() {
    let scratch = Scratch::new();
    let dir = bad_layer(&scratch);
    let out = output([
        arg("catalog"),
        arg("check"),
        arg(&dir),
        arg("--today"),
        arg("2026-06-15"),
        arg("--format"),
        arg("csv"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let findings = parse_csv(&stdout(&out));
    let has = |id: &str, rule: &str, severity: &str| {
        findings
            .iter()
            .any(|f| f["id"] == id && f["rule"] == rule && f["severity"] == severity)
    };
    assert!(
        has("test-offer", "spot-not-below-on-demand", "error"),
        "{findings:?}"
    );
    assert!(
        has("lambda-gpu_8x_test", "gpu-count-mismatch", "error"),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .all(|f| f["id"] == "test-offer" || f["id"] == "lambda-gpu_8x_test")
    );
    assert!(stderr(&out).contains("2 errors"), "{}", stderr(&out));

    // JSON carries the counts and the date the ages were counted to.
    let out = output([
        arg("catalog"),
        arg("check"),
        arg(&dir),
        arg("--today"),
        arg("2026-06-15"),
        arg("--format"),
        arg("json"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["counts"]["errors"], 2);
    assert_eq!(json["today"], "2026-06-15");
    for format in ["table", "markdown"] {
        let out = output([
            arg("catalog"),
            arg("check"),
            arg(&dir),
            arg("--format"),
            arg(format),
        ]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stdout(&out).contains("spot-not-below-on-demand"),
            "{format}"
        );
    }
}

#[test]
fn check_of_the_shipped_catalogs_has_no_error_and_flags_stale_prices_by_age() {
    let out = output([
        "catalog",
        "check",
        "catalogs/",
        "--today",
        "2026-12-01",
        "--format",
        "csv",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let findings = parse_csv(&stdout(&out));
    assert!(findings.iter().all(|f| f["severity"] != "error"));
    // Every row marked estimate is a note.
    let estimates = shipped_offers()
        .iter()
        .filter(|r| r["estimate"] == "true")
        .count();
    let noted = findings
        .iter()
        .filter(|f| f["kind"] == "offers" && f["rule"] == "estimate")
        .count();
    assert_eq!(noted, estimates);
    // Offers dated 2026-06-01 are 6 months old on 2026-12-01: stale with a 5-month limit only.
    let scratch = Scratch::new();
    scratch.write(
        "fresh/cloud-offers.csv",
        &format!("{OFFERS_HEADER}{}", offer_row("50", "20")),
    );
    let dir = scratch.path("fresh");
    for (max, stale) in [("6", false), ("5", true)] {
        let csv = success([
            arg("catalog"),
            arg("check"),
            arg(&dir),
            arg("--today"),
            arg("2026-12-01"),
            arg("--max-age-months"),
            arg(max),
            arg("--format"),
            arg("csv"),
        ]);
        assert_eq!(csv.contains(",stale,"), stale, "{max}: {csv}");
    }
}

#[test]
fn check_refuses_a_bad_date_and_an_unreadable_folder_with_exit_2() {
    let out = output(["catalog", "check", "--today", "2026-13-01"]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    assert!(stderr(&out).contains("--today"));
    let out = output(["catalog", "check", "no-such-folder/"]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("no-such-folder/: cannot read catalog folder")
            && err.contains("found: no such file or folder")
            && !err.contains("os error"),
        "{err}"
    );
}

/// AWS layout (v8): one row per availability zone, `GpuInfo` quoted, an `Arch` column. The
/// p4d row of `use1-az6` is a placeholder spot price equal to on-demand.
const AWS: &str = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone,Arch
a1.large,,,2.0,4.0,,0.051,0.038500,us-east-2,use2-az1,arm64
p4d.24xlarge,A100,8.0,96.0,1152.0,\"{'Gpus': [{'Name': 'A100', 'Manufacturer': 'NVIDIA', 'Count': 8, 'MemoryInfo': {'SizeInMiB': 40960}}], 'TotalGpuMemoryInMiB': 327680}\",21.957642,8.0001,us-east-1,use1-az2,x86_64
p4d.24xlarge,A100,8.0,96.0,1152.0,\"{'Gpus': [{'Name': 'A100', 'Manufacturer': 'NVIDIA', 'Count': 8, 'MemoryInfo': {'SizeInMiB': 40960}}], 'TotalGpuMemoryInMiB': 327680}\",21.957642,9.5,us-east-1,use1-az4,x86_64
p4d.24xlarge,A100,8.0,96.0,1152.0,\"{'Gpus': [{'Name': 'A100', 'Manufacturer': 'NVIDIA', 'Count': 8, 'MemoryInfo': {'SizeInMiB': 40960}}], 'TotalGpuMemoryInMiB': 327680}\",21.957642,21.957642,us-east-1,use1-az6,x86_64
p4de.24xlarge,A100,8.0,96.0,1152.0,\"{'Gpus': [{'Name': 'A100', 'Manufacturer': 'NVIDIA', 'Count': 8, 'MemoryInfo': {'SizeInMiB': 81920}}], 'TotalGpuMemoryInMiB': 655360}\",27.44705,,us-east-1,use1-az2,x86_64
g4dn.xlarge,T4,1.0,4.0,16.0,\"{'Gpus': [{'Name': 'T4', 'Manufacturer': 'NVIDIA', 'Count': 1, 'MemoryInfo': {'SizeInMiB': 16384}}], 'TotalGpuMemoryInMiB': 16384}\",0.526,0.2,us-east-1,use1-az1,x86_64
inf2.xlarge,Inferentia2,1.0,4.0,16.0,,0.7582,0.3,us-east-1,use1-az1,x86_64
";

/// GCP layout (v8): host rows without accelerators, GPU rows without an instance type.
const GCP: &str = "InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,Region,AvailabilityZone,Price,SpotPrice
a2-highgpu-8g,96.0,680.0,,,,us-central1,us-central1-a,5.91582,2.958
a2-highgpu-8g,96.0,680.0,,,,us-central1,us-central1-b,5.91582,2.958
n1-highmem-8,8.0,52.0,,,,us-central1,us-central1-a,0.47321,0.09962
,,,A100,8,{'Gpus': [{'MemoryInfo': {'SizeInMiB': 40960}}]},us-central1,us-central1-a,23.47128,11.4728
,,,A100,8,{'Gpus': [{'MemoryInfo': {'SizeInMiB': 40960}}]},us-central1,us-central1-b,23.47128,11.4728
,,,T4,1,{'Gpus': [{'MemoryInfo': {'SizeInMiB': 16384}}]},us-central1,us-central1-a,0.35,0.14
,,,tpu-v4-8,1,tpu-v4-8,us-central2,us-central2-b,12.88,3.86
";

/// Azure layout: no availability zone, a `Generation` column (quoted when it lists two),
/// fractional GPUs, machines without GPUs or prices. The H100 row is SkyPilot's own (v6 file
/// @098741e7), with its wrong count of 12 GPUs and a spot price that repeats on-demand.
const AZURE: &str = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,Generation
Standard_ND96isr_H100_v5,H100,12,96.0,1900,H100,98.32,98.32,eastus,V2
Standard_G1,,,2.0,28,,,,eastus,V1
Standard_NC6s_v3,V100,1,6.0,112,V100,,,westus,\"V1,V2\"
Standard_NV6ads_A10_v5,A10,0.167,6.0,55.0,,0.454,0.0454,eastus,V2
Standard_NC24ads_A100_v4,A100-80GB,1.0,24.0,220.0,,3.673,1.2,westus,V2
";

fn import(
    scratch: &Scratch,
    name: &str,
    text: &str,
    provider: &str,
) -> (Vec<HashMap<String, String>>, String) {
    let file = scratch.write(name, text);
    let out = output([
        arg("catalog"),
        arg("import"),
        arg("skypilot"),
        arg(&file),
        arg("--provider"),
        arg(provider),
        arg("--as-of"),
        arg("2025-11-03"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    (parse_csv(&stdout(&out)), stderr(&out))
}

/// A spot price that is written but no price (`-1`, `n/a`) is left out, counted and shown,
/// as a spot price too small for the catalog is; the row's on-demand price is kept.
#[test]
fn import_counts_spot_prices_that_are_no_price() {
    let scratch = Scratch::new();
    let text = AWS
        .replace("21.957642,8.0001,", "21.957642,-1,")
        .replace("0.526,0.2,", "0.526,n/a,");
    let (rows, err) = import(&scratch, "aws-vms.csv", &text, "aws");
    assert!(
        err.contains("left out 2 spot prices that are no price (the first on line 3: `-1`; the rows' on-demand prices are kept)"),
        "{err}"
    );
    let g4dn = rows
        .iter()
        .find(|r| r["id"] == "aws-g4dn.xlarge-us-east-1")
        .expect("g4dn");
    assert!(close(num(g4dn, "on_demand_usd_per_hour").unwrap(), 0.526));
    assert_eq!(g4dn["spot_usd_per_hour"], "");
    // The p4d's spot is the one real price left below on-demand.
    let p4d = rows
        .iter()
        .find(|r| r["id"] == "aws-p4d.24xlarge-us-east-1")
        .expect("p4d");
    assert!(close(num(p4d, "spot_usd_per_hour").unwrap(), 9.5));
}

#[test]
fn import_reads_the_aws_layout_with_medians_over_zones_without_placeholders() {
    let scratch = Scratch::new();
    let (rows, err) = import(&scratch, "aws-vms.csv", AWS, "aws");
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(
        ids,
        [
            "aws-g4dn.xlarge-us-east-1",
            "aws-p4d.24xlarge-us-east-1",
            "aws-p4de.24xlarge-us-east-1"
        ]
    );
    let p4d = &rows[1];
    assert_eq!(p4d["accelerator"], "a100-40gb-sxm");
    assert_eq!(p4d["accelerator_count"], "8");
    assert!(close(
        num(p4d, "on_demand_usd_per_hour").unwrap(),
        21.957642
    ));
    // Median of the two real spot prices; use1-az6 (= on-demand) is a placeholder.
    assert!(close(
        num(p4d, "spot_usd_per_hour").unwrap(),
        (8.0001 + 9.5) / 2.0
    ));
    assert_eq!(p4d["source"], "SkyPilot catalog aws-vms.csv (aws)");
    assert_eq!(p4d["as_of"], "2025-11-03");
    assert_eq!(p4d["estimate"], "false");
    // The 80 GB A100 is told apart by the memory in `GpuInfo`; an empty spot price stays empty.
    assert_eq!(rows[2]["accelerator"], "a100-80gb-sxm");
    assert_eq!(rows[2]["spot_usd_per_hour"], "");
    assert!(err.contains("`Inferentia2`"), "{err}");

    // The rows load as a catalog layer.
    let dir = scratch.path("layer");
    std::fs::create_dir_all(&dir).unwrap();
    let out = output([
        arg("catalog"),
        arg("import"),
        arg("skypilot"),
        arg(&scratch.path("aws-vms.csv")),
        arg("--provider"),
        arg("aws"),
        arg("--output"),
        arg(&dir.join("cloud-offers.csv")),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).is_empty());
    success([arg("validate"), arg(&dir)]);
    let undated = parse_csv(&std::fs::read_to_string(dir.join("cloud-offers.csv")).unwrap());
    assert!(undated.iter().all(|r| r["estimate"] == "true"));
}

#[test]
fn import_adds_google_gpu_rows_to_their_host_rows() {
    let scratch = Scratch::new();
    let (rows, err) = import(&scratch, "gcp-vms.csv", GCP, "gcp");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let a2 = &rows[0];
    assert_eq!(a2["id"], "gcp-a2-highgpu-8g-us-central1");
    assert_eq!(a2["accelerator"], "a100-40gb-sxm");
    assert!(close(
        num(a2, "on_demand_usd_per_hour").unwrap(),
        5.91582 + 23.47128
    ));
    assert!(close(
        num(a2, "spot_usd_per_hour").unwrap(),
        2.958 + 11.4728
    ));
    assert!(err.contains("`T4`") && err.contains("`tpu-v4-8`"), "{err}");
}

#[test]
fn import_reads_the_azure_layout_and_reports_fractional_gpus() {
    let scratch = Scratch::new();
    let (rows, err) = import(&scratch, "azure-vms.csv", AZURE, "azure");
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(
        ids,
        [
            "azure-Standard_NC24ads_A100_v4-westus",
            "azure-Standard_ND96isr_H100_v5-eastus"
        ]
    );
    assert_eq!(rows[0]["accelerator"], "a100-80gb-sxm");
    assert_eq!(rows[1]["accelerator"], "h100-sxm");
    // The instance type's 8 GPUs, not the file's 12, and no spot price where the file repeats
    // on-demand; both said.
    assert_eq!(rows[1]["accelerator_count"], "8");
    assert!(close(
        num(&rows[1], "on_demand_usd_per_hour").unwrap(),
        98.32
    ));
    assert_eq!(rows[1]["spot_usd_per_hour"], "");
    assert!(
        rows[1]["note"].contains("the file says 12"),
        "{:?}",
        rows[1]
    );
    assert!(
        err.contains("AcceleratorCount 12 contradicts the instance type's 8 GPUs"),
        "{err}"
    );
    assert!(err.contains("`0.167`"), "{err}");
    assert!(
        err.contains("left out 1 row without an on-demand price"),
        "{err}"
    );
    assert!(
        err.contains("2 rows left out; GPU count corrected for 1 instance types"),
        "{err}"
    );
}

#[test]
fn import_leaves_out_prices_a_catalog_refuses_and_writes_a_loadable_file() {
    // Azure layout, one H100 instance in two zones of a region, one priced absurdly (1e308
    // USD per hour); an A100 priced below the smallest on-demand price a catalog accepts
    // (0.000001 USD per hour); an L4 priced at exactly the largest (10^12).
    let csv = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone
Standard_ND96isr_H100_v5,H100,8,96.0,1900,H100,98.32,40.5,eastus,eastus-1
Standard_ND96isr_H100_v5,H100,8,96.0,1900,H100,1e308,,eastus,eastus-2
Standard_NC24ads_A100_v4,A100-80GB,1.0,24.0,220.0,,1e-7,,westus,westus-1
g6.xlarge,L4,1.0,4.0,16.0,,1000000000000,,westus,westus-1
";
    let scratch = Scratch::new();
    let (rows, err) = import(&scratch, "vms.csv", csv, "azure");
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(
        ids,
        [
            "azure-Standard_ND96isr_H100_v5-eastus",
            "azure-g6.xlarge-westus"
        ]
    );
    // The H100's price is its one acceptable zone's, not a median with 1e308 (5e307).
    assert_eq!(rows[0]["on_demand_usd_per_hour"], "98.32");
    assert_eq!(rows[0]["spot_usd_per_hour"], "40.5");
    assert!(
        rows[0]["note"].contains("median over 1 zone;"),
        "{:?}",
        rows[0]
    );
    assert_eq!(rows[1]["on_demand_usd_per_hour"], "1000000000000");
    says(
        &err,
        &[
            "vms.csv: left out 1 row of `Standard_ND96isr_H100_v5` with an on-demand price outside 0.000001 to 1,000,000,000,000 USD per hour, which a catalog refuses (line 3: 1e308)",
            "vms.csv: left out 1 row of `Standard_NC24ads_A100_v4` with an on-demand price outside 0.000001 to 1,000,000,000,000 USD per hour, which a catalog refuses (line 4: 0.0000001)",
            "2 offers from ",
            "vms.csv (2 rows left out;",
        ],
    );

    // What it writes loads as a catalog layer.
    let layer = scratch.path("layer");
    std::fs::create_dir_all(&layer).unwrap();
    std::fs::write(layer.join("cloud-offers.csv"), {
        let out = output([
            arg("catalog"),
            arg("import"),
            arg("skypilot"),
            arg(&scratch.path("vms.csv")),
            arg("--provider"),
            arg("azure"),
            arg("--as-of"),
            arg("2025-11-03"),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        out.stdout
    })
    .unwrap();
    success([arg("validate"), arg(&layer)]);
    // The provider starts every row id: an id's characters only, checked before the file.
    for bad in ["", "a\nb", "AWS", "a b"] {
        crate::support::rejected(
            &[
                arg("catalog"),
                arg("import"),
                arg("skypilot"),
                arg(&scratch.path("vms.csv")),
                arg("--provider"),
                arg(bad),
            ],
            &["--provider: not a provider id", "lowercase letters, digits"],
        );
    }

    // A Google GPU whose price with its host's exceeds the largest price is left out too.
    let gcp = GCP.replacen("5.91582,2.958", "999999999990,2.958", 1);
    let (rows, err) = import(&scratch, "gcp-absurd.csv", &gcp, "gcp");
    assert!(
        err.contains("left out 1 `A100` x8 GPU row whose on-demand price with their host `a2-highgpu-8g` is outside 0.000001 to 1,000,000,000,000 USD per hour"),
        "{err}"
    );
    assert!(
        rows[0]["note"].contains("median over 1 zone;"),
        "{:?}",
        rows[0]
    );
    assert!(close(
        num(&rows[0], "on_demand_usd_per_hour").unwrap(),
        5.91582 + 23.47128
    ));
}

#[test]
fn import_without_a_price_column_exits_2_naming_it() {
    let scratch = Scratch::new();
    let file = scratch.write(
        "bad.csv",
        "InstanceType,AcceleratorName,AcceleratorCount,Prices,SpotPrice,Region\n",
    );
    let out = output([
        arg("catalog"),
        arg("import"),
        arg("skypilot"),
        arg(&file),
        arg("--provider"),
        arg("aws"),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let err = stderr(&out);
    assert!(
        err.contains("no `Price` column") && err.contains("did you mean `Prices`?"),
        "{err}"
    );
}

#[test]
fn every_catalog_subcommand_has_examples_in_its_help() {
    for sub in [
        vec!["list"],
        vec!["show"],
        vec!["check"],
        vec!["import", "skypilot"],
    ] {
        let mut args = vec!["catalog"];
        args.extend(sub.iter().copied());
        args.push("--help");
        let help = success(&args);
        assert!(
            help.contains("Examples:") && help.contains("Exit codes"),
            "{args:?}"
        );
    }
}

#[test]
fn import_keeps_one_offer_of_two_that_would_share_an_id() {
    // `Standard_X` in `y-eastus` and `Standard_X-y` in `eastus` both make the id
    // `azure-Standard_X-y-eastus`: a catalog refuses the second, so it is left out and named.
    let csv = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone
Standard_X,H100,8,96.0,1900,H100,98.32,,y-eastus,y-eastus-1
Standard_X-y,H100,8,96.0,1900,H100,90.00,,eastus,eastus-1
";
    let scratch = Scratch::new();
    let (rows, err) = import(&scratch, "vms.csv", csv, "azure");
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["azure-Standard_X-y-eastus"]);
    // The groups are taken in (instance, region) order: `Standard_X` comes first.
    assert_eq!(rows[0]["region"], "y-eastus");
    assert!(
        err.contains("left out 1 row of offers whose id `azure-Standard_X-y-eastus` another instance and region already have"),
        "{err}"
    );
}

#[test]
fn import_for_a_provider_the_catalog_lacks_says_so() {
    let scratch = Scratch::new();
    let (rows, err) = import(&scratch, "aws-vms.csv", AWS, "awz");
    assert_eq!(rows.len(), 3, "the rows are still written");
    assert!(
        err.contains(
            "warning: provider `awz` is not in the built-in catalog (the nearest are `aws`"
        ),
        "{err}"
    );
    assert!(err.contains("cloud-providers.toml defines it"), "{err}");
    let (_, err) = import(&scratch, "aws-vms.csv", AWS, "aws");
    assert!(!err.contains("not in the built-in catalog"), "{err}");
}

/// AWS layout; each contradictory offer below comes with a sound one (`g5.xlarge`).
const CONTRADICTION_HEADER: &str = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone
g5.xlarge,A10G,1.0,4,16,,1.006,0.4,us-east-1,us-east-1a
";

/// Asserts that the import's messages `err` say each of `needles`.
fn says(err: &str, needles: &[&str]) {
    for needle in needles {
        assert!(err.contains(needle), "`{needle}` missing from:\n{err}");
    }
}

/// Imports `CONTRADICTION_HEADER` and `rows` (from line 3); the offer ids and stderr.
fn import_contradiction(rows: &str) -> (Vec<String>, String) {
    let scratch = Scratch::new();
    let (offers, err) = import(
        &scratch,
        "vms.csv",
        &format!("{CONTRADICTION_HEADER}{rows}"),
        "aws",
    );
    (offers.iter().map(|r| r["id"].clone()).collect(), err)
}

// One instance type and region is one offer: rows that disagree on the accelerator or the GPU
// count, or price one zone twice, are no median of anything. Such an offer is left out, all
// its rows counted, naming the two lines that disagree; the other offers stay.

#[test]
fn import_leaves_out_an_offer_whose_rows_disagree_on_the_accelerator() {
    let (ids, err) = import_contradiction(
        "p5.48xlarge,H100,8.0,192,2048,,98.32,40,us-east-1,us-east-1a
p5.48xlarge,L4,8.0,192,2048,,8.0,4,us-east-1,us-east-1b
",
    );
    assert_eq!(ids, ["aws-g5.xlarge-us-east-1"], "{err}");
    says(
        &err,
        &[
            "vms.csv: left out 2 rows of `p5.48xlarge` in `us-east-1`, which disagree on the accelerator (line 3: `H100`, tcosim `h100-sxm`; line 4: `L4`, tcosim `l4`): the offer is left out",
            "(2 rows left out;",
        ],
    );
    // The 40 GB and 80 GB A100 (told apart by `GpuInfo`) are two accelerators too.
    let (ids, err) = import_contradiction(
        "p4d.24xlarge,A100,8.0,96,1152,\"{'MemoryInfo': {'SizeInMiB': 40960}}\",21.96,8,us-east-1,us-east-1a
p4d.24xlarge,A100,8.0,96,1152,\"{'MemoryInfo': {'SizeInMiB': 81920}}\",27.45,9,us-east-1,us-east-1b
",
    );
    assert_eq!(ids, ["aws-g5.xlarge-us-east-1"], "{err}");
    assert!(
        err.contains(
            "(line 3: `A100`, tcosim `a100-40gb-sxm`; line 4: `A100`, tcosim `a100-80gb-sxm`)"
        ),
        "{err}"
    );

    // A file of nothing but such an offer has no offer to import: exit 2, saying why.
    let scratch = Scratch::new();
    let file = scratch.write(
        "mixed.csv",
        "InstanceType,AcceleratorName,AcceleratorCount,Price,SpotPrice,Region,AvailabilityZone
p5.48xlarge,H100,8.0,98.32,40,us-east-1,us-east-1a
p5.48xlarge,L4,8.0,8.0,4,us-east-1,us-east-1b
",
    );
    let out = output([
        arg("catalog"),
        arg("import"),
        arg("skypilot"),
        arg(&file),
        arg("--provider"),
        arg("aws"),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("mixed.csv: no offer to import")
            && err.contains("which disagree on the accelerator (line 2: `H100`"),
        "{err}"
    );
}

#[test]
fn import_leaves_out_an_offer_whose_rows_disagree_on_the_gpu_count() {
    let (ids, err) = import_contradiction(
        "p5.48xlarge,H100,8.0,192,2048,,10,5,us-east-1,us-east-1a
p5.48xlarge,H100,4.0,192,2048,,20,5,us-east-1,us-east-1b
p5.48xlarge,H100,8.0,192,2048,,30,5,us-east-1,us-east-1c
",
    );
    assert_eq!(ids, ["aws-g5.xlarge-us-east-1"], "{err}");
    says(
        &err,
        &[
            "vms.csv: left out 3 rows of `p5.48xlarge` in `us-east-1`, which disagree on the GPU count (line 3: 8; line 4: 4): the offer is left out",
            "(3 rows left out;",
        ],
    );
    // A count the instance type's name states is the count, whatever each row says: rows
    // that the name corrects agree.
    let (ids, err) = import_contradiction(
        "Standard_ND96isr_H100_v5,H100,12,96,1900,,98.32,,eastus,eastus-1
Standard_ND96isr_H100_v5,H100,8,96,1900,,90.00,,eastus,eastus-2
",
    );
    assert_eq!(
        ids,
        [
            "aws-Standard_ND96isr_H100_v5-eastus",
            "aws-g5.xlarge-us-east-1"
        ],
        "{err}"
    );
}

#[test]
fn import_leaves_out_an_offer_that_prices_one_zone_twice() {
    let (ids, err) = import_contradiction(
        "p5.48xlarge,H100,8.0,192,2048,,10,5,us-east-1,us-east-1a
p5.48xlarge,H100,8.0,192,2048,,20,5,us-east-1,us-east-1a
p5.48xlarge,H100,8.0,192,2048,,30,5,us-east-1,us-east-1b
",
    );
    assert_eq!(ids, ["aws-g5.xlarge-us-east-1"], "{err}");
    says(
        &err,
        &[
            "vms.csv: left out 3 rows of `p5.48xlarge` in `us-east-1`, which price zone `us-east-1a` twice (line 3: on-demand 10, spot 5; line 4: on-demand 20, spot 5): the offer is left out",
            "(3 rows left out;",
        ],
    );

    // A row repeating another's zone at the same prices is that zone once, and counted: the
    // median of 0.8 and 1.0, over 2 zones.
    let scratch = Scratch::new();
    let (rows, err) = import(
        &scratch,
        "vms.csv",
        &format!(
            "{CONTRADICTION_HEADER}g6.xlarge,L4,1.0,4,16,,0.8,0.3,us-east-1,us-east-1a
g6.xlarge,L4,1.0,4,16,,0.8,0.3,us-east-1,us-east-1a
g6.xlarge,L4,1.0,4,16,,1.0,0.5,us-east-1,us-east-1b
"
        ),
        "aws",
    );
    let g6 = &rows[1];
    assert_eq!(g6["id"], "aws-g6.xlarge-us-east-1");
    assert!(close(num(g6, "on_demand_usd_per_hour").unwrap(), 0.9));
    assert!(close(num(g6, "spot_usd_per_hour").unwrap(), 0.4));
    assert!(g6["note"].contains("median over 2 zones;"), "{g6:?}");
    assert!(
        err.contains("vms.csv: left out 1 row of `g6.xlarge` in `us-east-1` repeating an earlier row's zone and prices, counted once (line 4 repeats line 3)"),
        "{err}"
    );

    // A file without availability zones (Azure's) has one row a region: a second prices it
    // twice.
    let azure = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,Generation
Standard_NC24ads_A100_v4,A100-80GB,1.0,24.0,220.0,,3.673,1.2,westus,V2
Standard_NC24ads_A100_v4,A100-80GB,1.0,24.0,220.0,,4.0,1.2,westus,V2
Standard_NC24ads_A100_v4,A100-80GB,1.0,24.0,220.0,,3.673,1.2,eastus,V2
";
    let (rows, err) = import(&scratch, "azure.csv", azure, "azure");
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["azure-Standard_NC24ads_A100_v4-eastus"], "{err}");
    assert!(
        err.contains("which price region `westus` twice (line 2: on-demand 3.673, spot 1.2; line 3: on-demand 4, spot 1.2; a file without `AvailabilityZone` has one row a region)"),
        "{err}"
    );
}

#[test]
fn import_refuses_a_column_it_reads_named_twice() {
    let scratch = Scratch::new();
    for (header, needles) in [
        (
            "InstanceType,AcceleratorName,AcceleratorCount,Price,Price,SpotPrice,Region",
            [
                "dup.csv:1:53: column `Price` named twice",
                "found: `Price` twice, columns 4 and 5",
            ],
        ),
        (
            "InstanceType,AcceleratorName,AcceleratorCount,Price,SpotPrice,Region,region",
            [
                "dup.csv:1:70: column `Region` named twice",
                "found: `region` twice, columns 6 and 7",
            ],
        ),
        (
            "InstanceType,AcceleratorName,AcceleratorCount,Price,SpotPrice,Region,AvailabilityZone,AvailabilityZone",
            [
                "column `AvailabilityZone` named twice",
                "found: `AvailabilityZone` twice, columns 7 and 8",
            ],
        ),
    ] {
        let file = scratch.write(
            "dup.csv",
            &format!("{header}\np5.48xlarge,H100,8,98.32,1.0,40,us-east-1,us-east-1a\n"),
        );
        let out = output([
            arg("catalog"),
            arg("import"),
            arg("skypilot"),
            arg(&file),
            arg("--provider"),
            arg("aws"),
        ]);
        assert_eq!(out.status.code(), Some(EXIT_INPUT), "{header}");
        assert!(stdout(&out).is_empty());
        let err = stderr(&out);
        for needle in needles
            .iter()
            .chain(&["expected: each column the import reads named once"])
        {
            assert!(err.contains(needle), "`{needle}` missing from:\n{err}");
        }
    }
}

#[test]
fn import_says_a_google_host_row_with_an_invalid_price_is_invalid() {
    // The host row of zone a is priced -50: its GPU row is left out for that reason (not for
    // a host row that is there); zone b's host and GPU make the offer.
    let gcp = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone
a3-highgpu-8g,,,208,1872,,-50,2.2,us-central1,us-central1-a
,H100,8.0,,,,88.0,20,us-central1,us-central1-a
a3-highgpu-8g,,,208,1872,,10,2.2,us-central1,us-central1-b
,H100,8.0,,,,88.0,20,us-central1,us-central1-b
a3-highgpu-8g,,,208,1872,,,2.2,us-east1,us-east1-b
,H100,8.0,,,,88.0,20,us-east1,us-east1-b
";
    let scratch = Scratch::new();
    let (rows, err) = import(&scratch, "gcp.csv", gcp, "gcp");
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["gcp-a3-highgpu-8g-us-central1"], "{err}");
    assert!(close(
        num(&rows[0], "on_demand_usd_per_hour").unwrap(),
        98.0
    ));
    assert!(
        rows[0]["note"].contains("median over 1 zone;"),
        "{:?}",
        rows[0]
    );
    assert!(
        err.contains("left out 2 `H100` x8 GPU rows whose host row `a3-highgpu-8g` has an invalid on-demand price (line 2: `-50`, expected a number above 0)"),
        "{err}"
    );
    assert!(!err.contains("has no row in the same zone"), "{err}");

    // Two host rows of one zone at different prices: the offer is left out, naming both.
    let twice = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone
a3-highgpu-8g,,,208,1872,,10,2.2,us-central1,us-central1-a
a3-highgpu-8g,,,208,1872,,12,2.2,us-central1,us-central1-a
,H100,8.0,,,,88.0,20,us-central1,us-central1-a
a3-highgpu-8g,,,208,1872,,10,2.2,europe-west4,europe-west4-a
a3-highgpu-8g,,,208,1872,,10,2.2,europe-west4,europe-west4-a
,H100,8.0,,,,88.0,20,europe-west4,europe-west4-a
";
    let (rows, err) = import(&scratch, "twice.csv", twice, "gcp");
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    // A host row repeated at the same prices is one host row.
    assert_eq!(ids, ["gcp-a3-highgpu-8g-europe-west4"], "{err}");
    assert!(close(
        num(&rows[0], "on_demand_usd_per_hour").unwrap(),
        98.0
    ));
    assert!(
        err.contains("left out 1 row of `a3-highgpu-8g` in `us-central1`, whose host `a3-highgpu-8g` has two rows in zone `us-central1-a` (line 2: price `10`, spot `2.2`; line 3: price `12`, spot `2.2`): the offer is left out"),
        "{err}"
    );
}

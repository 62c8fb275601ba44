//! `tcosim report`: the folder it writes, the charts in it, determinism, atomic replacement,
//! the uncertainty charts and tables, and the HTML as a real browser renders it.
//!
//! Most tests read one shared report of the largest example (rendered once per test process
//! with `--samples 2000`), so that the module stays fast in debug builds.

use crate::support::{
    BASE, EXIT_INPUT, MANIFEST, Scratch, arg, output, rejected, stderr, success, tcosim,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The largest example scenario.
const FLEET: &str = "scenarios/inference-fleet.toml";

/// Monte Carlo samples of the test reports of `FLEET`: enough for every chart, fast in debug.
const SAMPLES: &str = "2000";

/// The option names of `FLEET`, in scenario order.
const FLEET_OPTIONS: [&str; 4] = [
    "aws-l40s-committed",
    "own-l40s",
    "own-l4",
    "hybrid-l40s-coreweave",
];

/// The `[[uncertain]]` input paths of `FLEET`.
const FLEET_INPUTS: [&str; 6] = [
    "demand_scale",
    "demand_growth_per_year",
    "site[us-va-colo].electricity_per_kwh",
    "server[l40s-8gpu].price_usd",
    "offer[aws-g6e.48xlarge-us-east-2].on_demand_usd_per_hour",
    "offer[coreweave-l40s-8x].on_demand_usd_per_hour",
];

/// The charts of every report.
pub const CHARTS: [&str; 5] = [
    "cumulative-cost",
    "cost-breakdown",
    "demand-capacity",
    "load-duration",
    "energy-carbon",
];

/// The charts of Monte Carlo samples (scenarios with `[[uncertain]]` inputs and samples).
const MC_CHARTS: [&str; 2] = ["cost-fan", "pv-histogram"];
/// The tornado (with `[[uncertain]]` inputs) and the sweep (with a `[sweep]`).
const TORNADO: &str = "tornado";
const SWEEP: &str = "sweep";

/// Size of every chart PNG [px].
const CHART_SIZE: (u32, u32) = (1200, 720);

/// Variance of pixel luminance (0–255 scale) above which an image is not blank. A white page with
/// a single line of text scores about 50; the charts score thousands, so this only fails on an
/// empty or near-empty image.
const MIN_LUMA_VARIANCE: f64 = 200.0;

/// Writes the report of `scenario` to `<scratch>/<name>` and returns its path; `extra` are more
/// arguments (samples, seed, threads).
fn report_with(scratch: &Scratch, scenario: &str, name: &str, extra: &[&str]) -> PathBuf {
    let out = scratch.path(name);
    let mut args = vec![arg("report"), arg(scenario), arg("--out"), arg(&out)];
    args.extend(extra.iter().map(arg));
    success(args);
    out
}

/// Writes the report of `scenario` with the default arguments to `<scratch>/<name>`.
fn report(scratch: &Scratch, scenario: &str, name: &str) -> PathBuf {
    report_with(scratch, scenario, name, &[])
}

/// The report of `FLEET` with `--samples 2000 --seed 1 --threads 2`, rendered once per test
/// process into `<target tmp>/report-fleet/fleet`, alone in its parent folder.
pub fn fleet() -> &'static Path {
    static FLEET_REPORT: OnceLock<PathBuf> = OnceLock::new();
    FLEET_REPORT.get_or_init(|| {
        let parent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-fleet");
        let _ = std::fs::remove_dir_all(&parent);
        std::fs::create_dir_all(&parent).expect("a folder for the shared report");
        let out = parent.join("fleet");
        success([
            arg("report"),
            arg(FLEET),
            arg("--out"),
            arg(&out),
            arg("--samples"),
            arg(SAMPLES),
            arg("--seed"),
            arg("1"),
            arg("--threads"),
            arg("2"),
        ]);
        out
    })
}

/// Every file of a folder by name, with its bytes.
pub fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("report folder exists")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read(&path).expect("readable file"))
        })
        .collect()
}

/// The files of a report with `charts`, with its manifest, sorted.
pub fn files_with(charts: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = [
        MANIFEST,
        "index.html",
        "report.md",
        "summary.json",
        "monthly.csv",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for c in charts {
        names.push(format!("{c}.svg"));
        names.push(format!("{c}.png"));
    }
    names.sort();
    names
}

/// The charts of a report of `FLEET` with samples: the five of every report, the Monte Carlo
/// charts, the tornado and the sweep.
fn fleet_charts() -> Vec<&'static str> {
    let mut charts = CHARTS.to_vec();
    charts.extend(MC_CHARTS);
    charts.extend([TORNADO, SWEEP]);
    charts
}

/// The files of a scenario without uncertain inputs or sweep: exactly those of before.
fn expected_files() -> Vec<String> {
    files_with(&CHARTS)
}

/// The files of the report of `FLEET` with samples.
fn fleet_files() -> Vec<String> {
    files_with(&fleet_charts())
}

/// Decodes a PNG into (width, height, luminance per pixel).
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<f64>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a known size")];
    let info = reader.next_frame(&mut buf).expect("PNG data decodes");
    let channels = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "8-bit PNG expected");
    let luma = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| {
            if channels >= 3 {
                0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2])
            } else {
                f64::from(p[0])
            }
        })
        .collect();
    (info.width, info.height, luma)
}

fn variance(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n
}

/// All text of an SVG document, joined by newlines.
fn svg_text(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "text")
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_folder_has_every_file() {
    let out = fleet();
    let names: Vec<String> = contents(out).into_keys().collect();
    assert_eq!(names, fleet_files());
    let beside: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        beside,
        vec![std::ffi::OsString::from("fleet")],
        "nothing but the report folder is left beside it"
    );
}

#[test]
fn a_scenario_without_uncertainty_or_sweep_has_only_the_deterministic_files() {
    let scratch = Scratch::new();
    let plain = "scenarios/startup-finetune.toml";
    // `--samples` on a scenario without `[[uncertain]]` inputs warns and adds nothing.
    let out = scratch.path("plain");
    let run = output([
        arg("report"),
        arg(plain),
        arg("--out"),
        arg(&out),
        arg("--samples"),
        arg("100"),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(stderr(&run).contains("no `[[uncertain]]` inputs"));
    let names: Vec<String> = contents(&out).into_keys().collect();
    assert_eq!(names, expected_files());
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(!md.contains("## Uncertainty"));
    let json = success(["run", plain, "--format", "json"]);
    assert_eq!(
        std::fs::read_to_string(out.join("summary.json")).unwrap(),
        json
    );
}

#[test]
fn uncertain_inputs_get_ten_thousand_samples_by_default() {
    let scratch = Scratch::new();
    let scenario = scratch.write(
        "uncertain.toml",
        &format!(
            "{BASE}\n[[uncertain]]\npath = \"demand_scale\"\ndistribution = \"uniform\"\nlow = 0.8\nhigh = 1.2\n"
        ),
    );
    let out = scratch.path("out");
    success([
        arg("report"),
        arg(&scenario),
        arg("--out"),
        arg(&out),
        arg("-q"),
    ]);
    let names: Vec<String> = contents(&out).into_keys().collect();
    // Uncertain inputs but no `[sweep]`: Monte Carlo charts and the tornado, no sweep chart.
    let mut charts = CHARTS.to_vec();
    charts.extend(MC_CHARTS);
    charts.push(TORNADO);
    assert_eq!(names, files_with(&charts));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["montecarlo"]["samples"], 10_000);
    assert_eq!(json["montecarlo"]["seed"], 1);
}

#[test]
fn data_files_are_the_run_outputs() {
    let out = fleet();
    // summary.json is `run --format json` with the same samples and seed.
    let json = success([
        "run",
        FLEET,
        "--format",
        "json",
        "--samples",
        SAMPLES,
        "--seed",
        "1",
    ]);
    let csv = success(["run", FLEET, "--format", "csv", "--monthly"]);
    assert_eq!(
        std::fs::read_to_string(out.join("summary.json")).unwrap(),
        json
    );
    assert_eq!(
        std::fs::read_to_string(out.join("monthly.csv")).unwrap(),
        csv
    );
}

#[test]
fn svgs_parse_and_name_their_series() {
    let out = fleet();
    let read = |c: &str| std::fs::read_to_string(out.join(format!("{c}.svg"))).unwrap();
    for chart in CHARTS {
        let text = svg_text(&read(chart));
        assert!(!text.is_empty(), "{chart}.svg has text elements");
    }
    for chart in ["cumulative-cost", "demand-capacity", "energy-carbon"] {
        let text = svg_text(&read(chart));
        for option in FLEET_OPTIONS {
            assert!(text.contains(option), "{chart}.svg names {option}:\n{text}");
        }
    }
    let cumulative = svg_text(&read("cumulative-cost"));
    for needle in [
        "Nominal",
        "Present value",
        "Cumulative cost [USD]",
        "Month from 2027-01",
    ] {
        assert!(cumulative.contains(needle), "cumulative-cost.svg: {needle}");
    }
    let breakdown = svg_text(&read("cost-breakdown"));
    for needle in [
        "Hardware",
        "Residual value",
        "Cloud on-demand",
        "Net total",
        "Cost [USD]",
    ] {
        assert!(breakdown.contains(needle), "cost-breakdown.svg: {needle}");
    }
    let demand = svg_text(&read("demand-capacity"));
    for needle in [
        "Served on-prem",
        "Served by cloud (burst)",
        "Unmet",
        "Owned capacity",
    ] {
        assert!(demand.contains(needle), "demand-capacity.svg: {needle}");
    }
    let ldc = svg_text(&read("load-duration"));
    for needle in [
        "Hourly demand",
        "own-l40s:",
        "hybrid-l40s-coreweave:",
        "Load [reference GPUs]",
    ] {
        assert!(ldc.contains(needle), "load-duration.svg: {needle}");
    }
    // The cloud option owns nothing, so it has no capacity line.
    assert!(!ldc.contains("aws-l40s-committed:"));
    let energy = svg_text(&read("energy-carbon"));
    for needle in ["Energy [MWh]", "Carbon [tCO2]"] {
        assert!(energy.contains(needle), "energy-carbon.svg: {needle}");
    }
    // Tick labels are grouped or suffixed, never long raw numbers.
    assert!(
        cumulative.contains("10M"),
        "k/M suffixes on money ticks:\n{cumulative}"
    );
    assert!(
        energy.contains("2,000"),
        "thousands separators on ticks:\n{energy}"
    );
}

#[test]
fn pngs_decode_with_the_expected_size_and_are_not_blank() {
    let out = fleet();
    for chart in fleet_charts() {
        let bytes = std::fs::read(out.join(format!("{chart}.png"))).unwrap();
        let (w, h, luma) = decode_png(&bytes);
        assert_eq!((w, h), CHART_SIZE, "{chart}.png size");
        let v = variance(&luma);
        assert!(
            v > MIN_LUMA_VARIANCE,
            "{chart}.png looks blank: luminance variance {v:.1}"
        );
        let inked = luma.iter().filter(|l| **l < 200.0).count() as f64 / luma.len() as f64;
        assert!(
            inked > 0.02,
            "{chart}.png has {:.2}% dark pixels",
            inked * 100.0
        );
    }
}

#[test]
fn reports_are_deterministic_whatever_the_number_of_threads() {
    // The shared report ran with `--seed 1 --threads 2`; this one with one thread.
    let scratch = Scratch::new();
    let a = contents(fleet());
    let b = contents(&report_with(
        &scratch,
        FLEET,
        "one-thread",
        &["--samples", SAMPLES, "--seed", "1", "--threads", "1"],
    ));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between two reports");
    }
}

#[test]
fn another_seed_changes_the_sampled_charts() {
    let scratch = Scratch::new();
    let a = fleet();
    let b = report_with(
        &scratch,
        FLEET,
        "seed-2",
        &["--samples", SAMPLES, "--seed", "2"],
    );
    let read = |dir: &Path, f: &str| std::fs::read(dir.join(f)).unwrap();
    assert!(
        read(a, "cost-fan.svg") != read(&b, "cost-fan.svg"),
        "the fan chart depends on the seed"
    );
    assert!(read(a, "pv-histogram.svg") != read(&b, "pv-histogram.svg"));
    // The deterministic charts, the tornado and a `pv_cost` sweep do not sample.
    for chart in ["cumulative-cost", TORNADO, SWEEP] {
        let f = format!("{chart}.svg");
        assert!(
            read(a, &f) == read(&b, &f),
            "{f} does not depend on the seed"
        );
    }
}

#[test]
fn uncertainty_charts_parse_and_name_options_and_inputs() {
    let out = fleet();
    let read = |c: &str| svg_text(&std::fs::read_to_string(out.join(format!("{c}.svg"))).unwrap());
    for chart in MC_CHARTS {
        let text = read(chart);
        for option in FLEET_OPTIONS {
            assert!(text.contains(option), "{chart}.svg names {option}:\n{text}");
        }
        assert!(text.contains("2,000 samples"), "{chart}.svg: sample count");
    }
    let fan = read("cost-fan");
    for needle in [
        "Cumulative nominal cost [USD]",
        "Month from 2027-01",
        "P10 to P90",
    ] {
        assert!(fan.contains(needle), "cost-fan.svg: {needle}\n{fan}");
    }
    let hist = read("pv-histogram");
    assert!(hist.contains("PV cost [USD]"), "{hist}");
    assert!(hist.contains("10M"), "k/M suffixes on the PV axis:\n{hist}");
    let tornado = read(TORNADO);
    for input in FLEET_INPUTS {
        assert!(
            tornado.contains(input),
            "tornado.svg names {input}:\n{tornado}"
        );
    }
    for needle in [
        "PV cost of hybrid-l40s-coreweave [USD]",
        "Input at its P10",
        "Input at its P90",
    ] {
        assert!(tornado.contains(needle), "tornado.svg: {needle}");
    }
    // Sorted by swing: demand growth swings the hybrid most, the AWS price not at all.
    let pos = |needle: &str| tornado.find(needle).unwrap();
    assert!(
        pos("demand_growth_per_year") < pos("offer[aws-g6e.48xlarge-us-east-2]"),
        "largest swing first"
    );
    let sweep = read(SWEEP);
    for needle in [
        "option[hybrid-l40s-coreweave].servers [servers]",
        "PV cost of hybrid-l40s-coreweave [USD]",
        "Optimum: servers = 14",
        "leaves demand unmet",
    ] {
        assert!(sweep.contains(needle), "sweep.svg: {needle}\n{sweep}");
    }
}

#[test]
fn the_documents_carry_the_uncertainty_tables_and_charts() {
    let out = fleet();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    let summary = md.find("## Summary").unwrap();
    let uncertainty = md.find("## Uncertainty").expect("an uncertainty section");
    let charts = md.find("## Charts").unwrap();
    assert!(summary < uncertainty && uncertainty < charts);
    for doc in [&md, &html] {
        for needle in [
            "P(serves demand)",
            "P(cheapest by PV)",
            "P(beats baseline)",
            "PV cost P10 [USD]",
            "PV cost P90 [USD]",
            "Swing [USD]",
            "Sensitivity of hybrid-l40s-coreweave",
            "2,000 samples with seed 1",
        ] {
            assert!(doc.contains(needle), "{needle}");
        }
        for input in FLEET_INPUTS {
            assert!(doc.contains(input), "the sensitivity table lists {input}");
        }
    }
    // One Monte Carlo row per option, with its share of wins.
    for option in FLEET_OPTIONS {
        assert!(
            md.lines()
                .any(|l| l.starts_with(&format!("| {option} |")) && l.contains('%')),
            "Monte Carlo row of {option}"
        );
    }
    for chart in fleet_charts() {
        assert!(
            md.contains(&format!("]({chart}.svg)")),
            "report.md shows {chart}"
        );
        assert!(
            html.contains(&format!("<figure id=\"{chart}\">")),
            "index.html shows {chart}"
        );
    }
}

#[test]
fn the_markdown_puts_the_verdict_first_and_lists_every_catalog_row() {
    let out = fleet();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.starts_with("# Inference fleet on L40S and L4\n"));
    let verdict = md.find("## Verdict").expect("a verdict section");
    let summary = md.find("## Summary").expect("a summary section");
    let charts = md.find("## Charts").expect("a charts section");
    let assumptions = md.find("## Assumptions").expect("an assumptions section");
    let methodology = md.find("## Methodology").expect("a methodology section");
    assert!(verdict < summary && summary < charts && charts < assumptions);
    assert!(assumptions < methodology);
    assert!(md[verdict..summary].contains("Cheapest by present value"));
    for chart in CHARTS {
        assert!(
            md.contains(&format!("]({chart}.svg)")),
            "report.md shows {chart}.svg"
        );
        assert!(
            md.contains(&format!("]({chart}.png)")),
            "report.md links {chart}.png"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let rows = json["catalog_rows_used"].as_array().expect("rows used");
    assert!(!rows.is_empty());
    let assumptions = &md[assumptions..methodology];
    for row in rows {
        let id = row["id"].as_str().unwrap();
        let as_of = row["as_of"].as_str().unwrap();
        let line = assumptions
            .lines()
            .find(|l| l.contains(&format!("| {id} |")))
            .unwrap_or_else(|| panic!("report.md lists catalog row {id}"));
        assert!(line.contains(as_of), "the row of {id} has its date");
    }
    assert!(
        md[methodology..].contains("M4"),
        "the methodology names the formulas"
    );
}

#[test]
fn the_html_is_self_contained() {
    let out = fleet();
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(
        html.matches("<svg").count(),
        fleet_charts().len(),
        "every chart inline"
    );
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains("<img"), "no external images");
    for attr in ["src=\"http", "<link", "url(", "@import"] {
        assert!(!html.contains(attr), "no network reference `{attr}`");
    }
    // Links to sources are allowed: they are followed only when clicked, never loaded.
    for (at, _) in html.match_indices("href=\"http") {
        let tag = html[..at].rfind('<').expect("inside a tag");
        assert!(html[tag..at].starts_with("<a "), "only links point outside");
    }
    let verdict = html.find("Cheapest by present value").unwrap();
    let table = html.find("<table>").unwrap();
    assert!(
        verdict < table,
        "the verdict comes before the summary table"
    );
    for option in FLEET_OPTIONS {
        assert!(html.contains(option));
    }
}

#[test]
fn the_default_folder_is_named_after_the_scenario() {
    let scratch = Scratch::new();
    let scenario = crate::support::repo().join(FLEET);
    // `--samples 0` skips Monte Carlo; the tornado and the sweep do not sample and stay.
    let out = tcosim()
        .current_dir(scratch.dir.path())
        .args([
            arg("report"),
            arg(&scenario),
            arg("--quiet"),
            arg("--samples"),
            arg("0"),
        ])
        .output()
        .expect("tcosim starts");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "stdout carries no data for a report");
    assert!(out.stderr.is_empty(), "--quiet prints nothing");
    let dir = scratch.path("reports/inference-fleet-on-l40s-and-l4");
    let names: Vec<String> = contents(&dir).into_keys().collect();
    let mut charts = CHARTS.to_vec();
    charts.extend([TORNADO, SWEEP]);
    assert_eq!(names, files_with(&charts));
}

#[test]
fn a_bad_scenario_writes_nothing() {
    let scratch = Scratch::new();
    let bad = scratch.write("bad.toml", "name = \"x\"\nhorizon_months = \"soon\"\n");
    let out = scratch.path("out");
    rejected(
        &[arg("report"), arg(&bad), arg("--out"), arg(&out)],
        &["bad.toml"],
    );
    assert_eq!(scratch.listing(), vec!["bad.toml".to_string()]);
}

#[test]
fn a_failed_report_leaves_the_previous_one_byte_identical() {
    let scratch = Scratch::new();
    let out = report(&scratch, "scenarios/startup-finetune.toml", "report");
    let before = contents(&out);
    let bad = scratch.write("bad.toml", "name = \"x\"\nhorizon_months = \"soon\"\n");
    let failed = output([arg("report"), arg(&bad), arg("--out"), arg(&out)]);
    assert_eq!(failed.status.code(), Some(EXIT_INPUT));
    assert!(contents(&out) == before, "the previous report changed");
    let left: Vec<String> = std::fs::read_dir(scratch.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    let mut left = left;
    left.sort();
    assert_eq!(
        left,
        vec!["bad.toml", "report"],
        "no temporary folder left behind"
    );
}

#[test]
fn a_new_report_replaces_the_previous_one_whole() {
    let scratch = Scratch::new();
    // The report of the fleet has a tornado and a sweep chart; the start-up's has neither.
    let out = report_with(&scratch, FLEET, "report", &["--samples", "0"]);
    assert!(out.join("tornado.svg").exists());
    report(&scratch, "scenarios/startup-finetune.toml", "report");
    let names: Vec<String> = contents(&out).into_keys().collect();
    assert_eq!(
        names,
        files_with(&CHARTS),
        "files of the old report are gone"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.starts_with("# Start-up fine-tuning on 16 GPUs\n"));
    let entries = std::fs::read_dir(scratch.dir.path()).unwrap().count();
    assert_eq!(entries, 1, "no temporary or old folder left behind");
}

#[test]
fn a_folder_that_is_not_a_report_is_not_replaced() {
    let scratch = Scratch::new();
    let notes = scratch.write("mine/notes.txt", "do not delete");
    rejected(
        &[
            arg("report"),
            arg("scenarios/startup-finetune.toml"),
            arg("--out"),
            arg(&scratch.path("mine")),
        ],
        &["not a tcosim report", "hint:"],
    );
    assert_eq!(std::fs::read_to_string(notes).unwrap(), "do not delete");
    assert_eq!(scratch.listing(), vec!["mine/notes.txt".to_string()]);
}

/// How long the browser may take to start, render and write its screenshot.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);
/// The browser window, and so the screenshot [px].
const WINDOW: (u32, u32) = (1280, 2000);

#[test]
fn the_html_renders_in_a_headless_browser() {
    renders_in_a_browser(fleet());
}

/// Opens the `index.html` of the report in `out` in headless chromium and checks that the
/// screenshot has the window's size and is not blank; skipped (with a note on stderr) where
/// `/usr/bin/chromium` is not installed.
pub fn renders_in_a_browser(out: &Path) {
    let browser = Path::new("/usr/bin/chromium");
    if !browser.exists() {
        eprintln!("skipped: no chromium (install Debian's `chromium` to run this test)");
        return;
    }
    let scratch = Scratch::new();
    let shot = scratch.path("screenshot.png");
    let profile = scratch.path("profile");
    let index = std::fs::canonicalize(out.join("index.html")).unwrap();
    let mut child = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
        .arg(format!("file://{}", index.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium starts");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait for chromium").is_some() {
            break;
        }
        if start.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium took longer than {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let bytes = std::fs::read(&shot).expect("chromium wrote a screenshot");
    let (w, h, luma) = decode_png(&bytes);
    assert_eq!((w, h), WINDOW, "screenshot size");
    let v = variance(&luma);
    assert!(
        v > MIN_LUMA_VARIANCE,
        "the page looks blank: luminance variance {v:.1}"
    );
}

// --- report.md with Mermaid charts ------------------------------------------------------------

/// The items of a Mermaid list `[a, "b, c", 3]`: quoted items unquoted, the others trimmed.
fn mermaid_items(list: &str) -> Vec<String> {
    let inner = list
        .trim()
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .unwrap_or_else(|| panic!("not a list: {list}"));
    let (mut items, mut item, mut quoted) = (Vec::new(), String::new(), false);
    for c in inner.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => items.push(std::mem::take(&mut item).trim().to_string()),
            c => item.push(c),
        }
    }
    assert!(!quoted, "an unclosed string in {list}");
    items.push(item.trim().to_string());
    items
}

/// Every ```mermaid block of `md`, checked to be a well-formed `xychart-beta`: an optional init
/// line, the chart line, a quoted title, an x axis with a title and categories, a y axis, and
/// series of finite numbers, each as long as the categories. Returns (title, categories, series).
fn xycharts(md: &str) -> Vec<(String, Vec<String>, Vec<Vec<f64>>)> {
    let mut charts = Vec::new();
    for block in md.split("```mermaid\n").skip(1) {
        let body = block.split("\n```").next().expect("a closed block");
        let mut lines: Vec<&str> = body.lines().collect();
        if lines[0].starts_with("%%{init:") {
            assert!(lines[0].ends_with("}%%"), "{}", lines[0]);
            lines.remove(0);
        }
        assert!(
            lines[0] == "xychart-beta" || lines[0] == "xychart-beta horizontal",
            "{body}"
        );
        let title = lines[1]
            .strip_prefix("    title \"")
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or_else(|| panic!("title: {body}"));
        assert!(!title.contains('"'), "{title}");
        let x = lines[2]
            .strip_prefix("    x-axis \"")
            .unwrap_or_else(|| panic!("x-axis: {body}"));
        let (x_title, list) = x.split_once("\" ").expect("an axis title and a list");
        assert!(!x_title.contains('"'));
        let categories = mermaid_items(list);
        assert!(lines[3].starts_with("    y-axis \""), "{body}");
        let mut series = Vec::new();
        for line in &lines[4..] {
            let list = line
                .strip_prefix("    line ")
                .or_else(|| line.strip_prefix("    bar "))
                .unwrap_or_else(|| panic!("a series: {line}"));
            let values: Vec<f64> = mermaid_items(list)
                .iter()
                .map(|v| v.parse::<f64>().unwrap_or_else(|_| panic!("a number: {v}")))
                .collect();
            assert!(values.iter().all(|v| v.is_finite()));
            assert_eq!(values.len(), categories.len(), "{body}");
            series.push(values);
        }
        assert!(!series.is_empty(), "{body}");
        charts.push((title.to_string(), categories, series));
    }
    charts
}

#[test]
fn mermaid_charts_are_inline_and_well_formed() {
    let scratch = Scratch::new();
    let files = report(&scratch, "scenarios/startup-finetune.toml", "files");
    let mermaid = report_with(
        &scratch,
        "scenarios/startup-finetune.toml",
        "mermaid",
        &["--markdown-charts", "mermaid"],
    );
    let md = std::fs::read_to_string(mermaid.join("report.md")).expect("report.md");
    let charts = xycharts(&md);
    let titles: Vec<&str> = charts.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Cumulative cost, nominal",
            "Cumulative cost, discounted at 15.0% per year",
            "PV cost by option",
            "Energy by option",
            "Carbon by option"
        ]
    );
    // 36 months, one line per option; bars name the options, the one that leaves work undone
    // with its share.
    let (_, months, lines) = &charts[0];
    assert_eq!(months.len(), 36);
    assert_eq!(months.last().map(String::as_str), Some("36"));
    assert_eq!(lines.len(), 3);
    assert_eq!(charts[2].1[0], "lambda-on-demand");
    assert!(
        charts[2].1[1].starts_with("own-2-hgx (leaves "),
        "{:?}",
        charts[2].1
    );
    // The last point of the nominal line is the total cost of the summary, in thousands.
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(mermaid.join("summary.json")).expect("summary.json"),
    )
    .expect("JSON");
    let total = summary["options"][0]["total_cost"].as_f64().expect("total");
    assert!((lines[0][35] - total / 1000.0).abs() <= 0.05 + 1e-9);
    // No image links (catalog sources may still be linked); the charts Mermaid cannot draw are
    // named by file.
    assert!(!md.contains("!["), "{md}");
    assert!(!md.contains(".svg)") && !md.contains(".png)"), "{md}");
    assert!(md.contains("(Not drawn in Mermaid: `demand-capacity.svg`"));
    // Only report.md differs: the same files, the same HTML.
    let names = |dir: &Path| {
        let mut n: Vec<String> = std::fs::read_dir(dir)
            .expect("folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&files), names(&mermaid));
    assert_eq!(
        std::fs::read(files.join("index.html")).expect("html"),
        std::fs::read(mermaid.join("index.html")).expect("html")
    );
}

#[test]
fn files_mode_is_the_default_and_links_the_charts() {
    let scratch = Scratch::new();
    let default = report(&scratch, "scenarios/startup-finetune.toml", "default");
    let files = report_with(
        &scratch,
        "scenarios/startup-finetune.toml",
        "files",
        &["--markdown-charts", "files"],
    );
    let md = std::fs::read_to_string(default.join("report.md")).expect("report.md");
    assert_eq!(
        md,
        std::fs::read_to_string(files.join("report.md")).expect("report.md")
    );
    assert!(!md.contains("```mermaid"));
    for chart in CHARTS {
        assert!(md.contains(&format!("]({chart}.svg)")), "{chart}");
        assert!(md.contains(&format!("([PNG]({chart}.png))")), "{chart}");
    }
}

/// Option names with quotes, hashes, commas and brackets stay inside their Mermaid strings.
#[test]
fn mermaid_labels_escape_what_would_end_them() {
    let scratch = Scratch::new();
    let text =
        std::fs::read_to_string(crate::support::repo().join("scenarios/startup-finetune.toml"))
            .expect("scenario");
    let name = r#"own "2", [hgx] #1;"#;
    let text = crate::support::edit(&text, "name = \"own-2-hgx\"", &format!("name = '{name}'"));
    let scenario = scratch.write("odd.toml", &text);
    let out = scratch.path("odd");
    success([
        arg("report"),
        arg(&scenario),
        arg("--out"),
        arg(&out),
        arg("--markdown-charts"),
        arg("mermaid"),
    ]);
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    let charts = xycharts(&md);
    let bars = &charts[2].1;
    assert_eq!(bars.len(), 3, "{bars:?}");
    assert!(
        bars[1].starts_with("own #quot;2#quot;, [hgx] #35;1; (leaves "),
        "{bars:?}"
    );
    // An unknown mode is a usage error.
    rejected(
        &[
            arg("report"),
            arg(&scenario),
            arg("--markdown-charts"),
            arg("svg"),
        ],
        &["--markdown-charts"],
    );
}

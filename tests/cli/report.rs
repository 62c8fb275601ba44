//! `tcosim report`: the folder it writes, the charts in it, determinism, atomic replacement,
//! and the HTML as a real browser renders it.

use crate::support::{EXIT_INPUT, Scratch, arg, output, rejected, stderr, success, tcosim};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The largest example scenario.
const FLEET: &str = "scenarios/inference-fleet.toml";

/// The option names of `FLEET`, in scenario order.
const FLEET_OPTIONS: [&str; 4] = [
    "aws-l40s-committed",
    "own-l40s",
    "own-l4",
    "hybrid-l40s-coreweave",
];

/// The charts of every report.
const CHARTS: [&str; 5] = [
    "cumulative-cost",
    "cost-breakdown",
    "demand-capacity",
    "load-duration",
    "energy-carbon",
];

/// Size of every chart PNG [px].
const CHART_SIZE: (u32, u32) = (1200, 720);

/// Variance of pixel luminance (0–255 scale) above which an image is not blank. A white page with
/// a single line of text scores about 50; the charts score thousands, so this only fails on an
/// empty or near-empty image.
const MIN_LUMA_VARIANCE: f64 = 200.0;

/// Writes the report of `scenario` to `<scratch>/<name>` and returns its path.
fn report(scratch: &Scratch, scenario: &str, name: &str) -> PathBuf {
    let out = scratch.path(name);
    success([arg("report"), arg(scenario), arg("--out"), arg(&out)]);
    out
}

/// Every file of a folder by name, with its bytes.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("report folder exists")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read(&path).expect("readable file"))
        })
        .collect()
}

fn expected_files() -> Vec<String> {
    let mut names: Vec<String> = ["index.html", "report.md", "summary.json", "monthly.csv"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for c in CHARTS {
        names.push(format!("{c}.svg"));
        names.push(format!("{c}.png"));
    }
    names.sort();
    names
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
    let scratch = Scratch::new();
    let out = report(&scratch, FLEET, "fleet");
    let names: Vec<String> = contents(&out).into_keys().collect();
    assert_eq!(names, expected_files());
    assert_eq!(
        scratch.listing().len(),
        expected_files().len(),
        "nothing but the report folder is left beside it: {:?}",
        scratch.listing()
    );
}

#[test]
fn data_files_are_the_run_outputs() {
    let scratch = Scratch::new();
    let out = report(&scratch, FLEET, "fleet");
    let json = success(["run", FLEET, "--format", "json"]);
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
    let scratch = Scratch::new();
    let out = report(&scratch, FLEET, "fleet");
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
    let scratch = Scratch::new();
    let out = report(&scratch, FLEET, "fleet");
    for chart in CHARTS {
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
fn reports_are_deterministic() {
    let scratch = Scratch::new();
    let a = contents(&report(&scratch, FLEET, "a"));
    let b = contents(&report(&scratch, FLEET, "b"));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between two reports");
    }
}

#[test]
fn the_markdown_puts_the_verdict_first_and_lists_every_catalog_row() {
    let scratch = Scratch::new();
    let out = report(&scratch, FLEET, "fleet");
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
    let scratch = Scratch::new();
    let out = report(&scratch, FLEET, "fleet");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(
        html.matches("<svg").count(),
        CHARTS.len(),
        "every chart inline"
    );
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains("<img"), "no external images");
    for attr in ["src=\"http", "href=\"http", "url(", "@import"] {
        assert!(!html.contains(attr), "no network reference `{attr}`");
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
    let out = tcosim()
        .current_dir(scratch.dir.path())
        .args([arg("report"), arg(&scenario), arg("--quiet")])
        .output()
        .expect("tcosim starts");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "stdout carries no data for a report");
    assert!(out.stderr.is_empty(), "--quiet prints nothing");
    let dir = scratch.path("reports/inference-fleet-on-l40s-and-l4");
    let names: Vec<String> = contents(&dir).into_keys().collect();
    assert_eq!(names, expected_files());
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
    let out = report(&scratch, "scenarios/startup-finetune.toml", "report");
    std::fs::write(out.join("old-chart.svg"), "<svg/>").unwrap();
    report(&scratch, FLEET, "report");
    let names: Vec<String> = contents(&out).into_keys().collect();
    assert_eq!(names, expected_files(), "files of the old report are gone");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.starts_with("# Inference fleet on L40S and L4\n"));
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
            arg(FLEET),
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
    let browser = Path::new("/usr/bin/chromium");
    if !browser.exists() {
        eprintln!("skipped: no chromium (install Debian's `chromium` to run this test)");
        return;
    }
    let scratch = Scratch::new();
    let out = report(&scratch, FLEET, "fleet");
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

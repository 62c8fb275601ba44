//! The charts of a crowded comparison: eight options with names of 28 to 30 characters, one of
//! which leaves demand unmet. Every chart is valid SVG, names the option that leaves demand
//! unmet with its share, has no two texts that overlap (measured with the bundled font), and
//! draws each PV histogram on its own x axis; the page renders in a real browser.

use crate::report::{CHARTS, fleet, renders_in_a_browser};
use crate::support::{Scratch, arg, edit, success};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tcosim::report::charts::{SIZE, svg_text_width};

/// Eight options, the first a cloud that may not run the sensitive assistants (9.3% of demand
/// unmet); a workload that waits; three uncertain inputs and a sweep, so every chart is drawn.
const CROWDED: &str = r#"
name = "Eight long-named options, one that leaves demand unmet"
horizon_months = 36
start = "2027-01"
currency = "USD"
discount_rate = 0.09
reference_accelerator = "l40s"
throughput_basis = "memory-bandwidth"
baseline = "own-l40s-virginia-32-servers"

[[workload]]
name = "chat inference"
gpu_hours_per_month = 45000
growth_per_year = 0.08
profile = "business-hours"

[[workload]]
name = "internal assistants"
gpu_hours_per_month = 6000
profile = "business-hours"
sensitive = true

[[workload]]
name = "batch embeddings"
gpu_hours_per_month = 8000
profile = "bursty"
max_wait_hours = 24

[[option]]
name = "aws-l40s-committed-us-east-2"
kind = "cloud"
offer = "aws-g6e.48xlarge-us-east-2"
committed_share = 0.6
commit_term_years = 3
spot_share = 0.5
storage_tb = 20
egress_tb_per_month = 30

[[option]]
name = "own-l40s-virginia-32-servers"
kind = "onprem"
server = "l40s-8gpu"
servers = 32
site = "us-va-colo"

[[option]]
name = "own-l4-virginia-88-servers-b"
kind = "onprem"
server = "l4-8gpu"
servers = 88
site = "us-va-colo"

[[option]]
name = "hybrid-l40s-12-burst-coreweave"
kind = "hybrid"
server = "l40s-8gpu"
servers = 12
site = "us-va-colo"
offer = "coreweave-l40s-8x"
storage_tb = 10
egress_tb_per_month = 15

[[option]]
name = "hybrid-l40s-16-burst-coreweave"
kind = "hybrid"
server = "l40s-8gpu"
servers = 16
site = "us-va-colo"
offer = "coreweave-l40s-8x"

[[option]]
name = "hybrid-l40s-20-burst-coreweave"
kind = "hybrid"
server = "l40s-8gpu"
servers = 20
site = "us-va-colo"
offer = "coreweave-l40s-8x"

[[option]]
name = "own-l40s-virginia-40-servers"
kind = "onprem"
server = "l40s-8gpu"
servers = 40
site = "us-va-colo"

[[option]]
name = "hybrid-l40s-24-burst-coreweave"
kind = "hybrid"
server = "l40s-8gpu"
servers = 24
site = "us-va-colo"
offer = "coreweave-l40s-8x"

[[uncertain]]
path = "demand_scale"
distribution = "normal"
mean = 1.0
sd = 0.1
low = 0.6
high = 1.4

[[uncertain]]
path = "server[l40s-8gpu].price_usd"
distribution = "lognormal"
p10 = 85000
p90 = 125000

[[uncertain]]
path = "offer[coreweave-l40s-8x].on_demand_usd_per_hour"
distribution = "triangular"
low = 12.0
mode = 16.0
high = 18.0

[sweep]
objective = "pv_cost"

[[sweep.parameter]]
path = "option[hybrid-l40s-12-burst-coreweave].servers"
from = 0
to = 24
step = 4
"#;

/// The option that leaves demand unmet, and the mark its name carries.
const UNMET_OPTION: &str = "aws-l40s-committed-us-east-2";
const UNMET_MARK: &str = "leaves 9.3% unmet";

/// Every chart of the crowded report.
const ALL_CHARTS: [&str; 9] = [
    "cumulative-cost",
    "cost-breakdown",
    "demand-capacity",
    "load-duration",
    "energy-carbon",
    "cost-fan",
    "pv-histogram",
    "tornado",
    "sweep",
];

/// The charts in which every option appears by name, and so must carry its mark.
const CHARTS_OF_EVERY_OPTION: [&str; 6] = [
    "cumulative-cost",
    "cost-breakdown",
    "demand-capacity",
    "energy-carbon",
    "cost-fan",
    "pv-histogram",
];

/// The colours of the first option (which leaves demand unmet) and the second (which serves it).
const UNMET_COLOUR: &str = "#0072B2";
const SERVING_COLOUR: &str = "#E69F00";

/// How many lines of `colour` an SVG draws.
fn polylines(svg: &str, colour: &str) -> usize {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    doc.descendants()
        .filter(|n| n.tag_name().name() == "polyline" && n.attribute("stroke") == Some(colour))
        .count()
}

/// Pixels two text boxes may share before they count as overlapping: glyph boxes are measured
/// to the advance of the last glyph, which includes a pixel or two of side bearing.
const OVERLAP_SLACK: f64 = 1.0;

/// The report of `CROWDED` with 400 samples (enough for every chart, fast in debug builds),
/// rendered once per test process.
fn crowded() -> &'static Path {
    static REPORT: OnceLock<PathBuf> = OnceLock::new();
    REPORT.get_or_init(|| {
        let parent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-crowded");
        let _ = std::fs::remove_dir_all(&parent);
        std::fs::create_dir_all(&parent).expect("a folder for the crowded report");
        let scenario = parent.join("crowded.toml");
        std::fs::write(&scenario, CROWDED).expect("write the scenario");
        let out = parent.join("report");
        success([
            arg("report"),
            arg(&scenario),
            arg("--out"),
            arg(&out),
            arg("--samples"),
            arg("400"),
            arg("--seed"),
            arg("3"),
        ]);
        out
    })
}

fn svg(out: &Path, chart: &str) -> String {
    std::fs::read_to_string(out.join(format!("{chart}.svg"))).expect("the chart's SVG")
}

/// One `<text>` of an SVG with the box it takes on the canvas [px].
#[derive(Debug)]
struct TextBox {
    text: String,
    x: (f64, f64),
    y: (f64, f64),
}

impl TextBox {
    fn overlaps(&self, other: &TextBox) -> bool {
        let apart =
            |a: (f64, f64), b: (f64, f64)| a.1 - OVERLAP_SLACK <= b.0 || b.1 - OVERLAP_SLACK <= a.0;
        !(apart(self.x, other.x) || apart(self.y, other.y))
    }
}

/// The boxes of every non-empty text of an SVG written by plotters: the width measured with the
/// bundled font as the charts measure it, one em high, placed by `text-anchor` and `dy` (plotters
/// writes `0.76em` for text hung from its top, `0.5ex` centred, `-0.5ex` standing on its
/// bottom), turned by a `rotate(90|270, x, y)` transform.
fn text_boxes(svg: &str) -> Vec<TextBox> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let num = |n: &roxmltree::Node, a: &str| -> f64 {
        n.attribute(a)
            .unwrap_or_else(|| panic!("a text without `{a}`"))
            .parse()
            .expect("a number")
    };
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "text")
        .filter_map(|n| {
            let text = n.text().map(str::trim).unwrap_or("");
            if text.is_empty() {
                return None;
            }
            let (x, y, size) = (num(&n, "x"), num(&n, "y"), num(&n, "font-size"));
            let w = svg_text_width(text, size).expect("the bundled font measures text");
            let h = size;
            let dx = match n.attribute("text-anchor") {
                Some("middle") => (-w / 2.0, w / 2.0),
                Some("end") => (-w, 0.0),
                _ => (0.0, w),
            };
            let dy = match n.attribute("dy") {
                Some("0.76em") => (0.0, h),
                Some("0.5ex") => (-h / 2.0, h / 2.0),
                _ => (-h, 0.0),
            };
            let (bx, by) = match n.attribute("transform") {
                None => (dx, dy),
                // rotate(270) about (x, y) takes (dx, dy) to (dy, -dx).
                Some(t) if t.starts_with("rotate(270") => (dy, (-dx.1, -dx.0)),
                Some(t) if t.starts_with("rotate(90") => ((-dy.1, -dy.0), dx),
                Some(t) => panic!("unexpected transform {t}"),
            };
            Some(TextBox {
                text: text.to_string(),
                x: (x + bx.0, x + bx.1),
                y: (y + by.0, y + by.1),
            })
        })
        .collect()
}

#[test]
fn every_chart_is_valid_svg_and_no_two_texts_overlap() {
    assert_texts_apart(crowded(), &ALL_CHARTS);
}

#[test]
fn no_two_texts_overlap_in_the_charts_of_the_largest_example() {
    assert_texts_apart(fleet(), &ALL_CHARTS);
}

/// Asserts that in each of `charts` of the report in `out`, every text lies on the canvas and
/// no two overlap.
fn assert_texts_apart(out: &Path, charts: &[&str]) {
    let (w, h) = (f64::from(SIZE.0), f64::from(SIZE.1));
    let mut faults = Vec::new();
    for chart in charts {
        let boxes = text_boxes(&svg(out, chart));
        assert!(boxes.len() > 10, "{chart}: only {} texts", boxes.len());
        for b in &boxes {
            let inside = b.x.0 >= -OVERLAP_SLACK
                && b.x.1 <= w + OVERLAP_SLACK
                && b.y.0 >= -OVERLAP_SLACK
                && b.y.1 <= h + OVERLAP_SLACK;
            if !inside {
                faults.push(format!("{chart}: {b:?} leaves the canvas"));
            }
        }
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                if a.overlaps(b) {
                    faults.push(format!("{chart}: {a:?} overlaps {b:?}"));
                }
            }
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

#[test]
fn the_option_that_leaves_demand_unmet_is_marked_in_every_chart_of_every_option() {
    let out = crowded();
    for chart in CHARTS_OF_EVERY_OPTION {
        let texts: Vec<String> = text_boxes(&svg(out, chart))
            .into_iter()
            .map(|b| b.text)
            .collect();
        assert!(
            texts.iter().any(|t| t.contains(UNMET_MARK)),
            "{chart} does not say `{UNMET_MARK}`: {texts:?}"
        );
        // Only the one option that leaves demand unmet is marked.
        let marks = texts.iter().filter(|t| t.contains("unmet)")).count()
            + texts.iter().filter(|t| t.starts_with("leaves ")).count();
        assert_eq!(marks, 1, "{chart}: {texts:?}");
    }
    // Its name is written whole where it is not replaced by a key letter.
    let cumulative = svg(out, "cumulative-cost");
    assert!(cumulative.contains(&format!("{UNMET_OPTION} ({UNMET_MARK})")));
    // Lines of the option that leaves demand unmet are dashed (drawn as many short pieces),
    // in both panels and the legend; the others are one line each.
    assert!(polylines(&cumulative, UNMET_COLOUR) > 30);
    assert_eq!(polylines(&cumulative, SERVING_COLOUR), 3);
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("options that leave more than 0.1% of demand unmet"),
        "captions say what the marks mean"
    );
    assert!(html.contains("hourly peaks above the capacity"));
}

#[test]
fn demand_capacity_shows_work_served_after_waiting_in_its_own_colour() {
    let svg = svg(crowded(), "demand-capacity");
    assert!(svg.contains("Served on-prem after waiting"));
    assert!(svg.contains("Served on-prem in its hour"));
    // The purple of work served after a wait fills areas of the panels.
    assert!(
        svg.contains(r##"fill="#AA4499""##),
        "no area in the waiting colour"
    );
}

/// The x tick labels of each panel of the PV histograms: the texts under each panel's axis.
fn histogram_ticks(svg: &str) -> Vec<Vec<String>> {
    let boxes = text_boxes(svg);
    let (panel_w, cols) = (f64::from(SIZE.0) / 3.0, 3usize);
    let mut panels: Vec<Vec<(f64, String)>> = vec![Vec::new(); 9];
    for b in boxes {
        let is_tick = b.text.ends_with('M') && b.x.1 - b.x.0 < 60.0 && b.y.1 - b.y.0 < 20.0;
        if !is_tick {
            continue;
        }
        let col = ((b.x.0 + b.x.1) / 2.0 / panel_w) as usize;
        let row = ((b.y.0 + b.y.1) / 2.0 / 230.0) as usize;
        if let Some(p) = panels.get_mut(row * cols + col.min(cols - 1)) {
            p.push((b.x.0, b.text));
        }
    }
    panels
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|mut p| {
            p.sort_by(|a, b| a.0.total_cmp(&b.0));
            p.into_iter().map(|(_, t)| t).collect()
        })
        .collect()
}

#[test]
fn each_pv_histogram_has_its_own_x_range() {
    let out = crowded();
    let panels = histogram_ticks(&svg(out, "pv-histogram"));
    assert_eq!(panels.len(), 8, "one panel per option: {panels:?}");
    for ticks in &panels {
        assert!(ticks.len() >= 3, "a panel with too few ticks: {ticks:?}");
    }
    // The options' spreads differ, and so do their axes (options alike in cost may share one).
    let distinct: std::collections::BTreeSet<&Vec<String>> = panels.iter().collect();
    assert!(
        distinct.len() >= 5,
        "panels on too few x ranges: {panels:?}"
    );
    // The narrowest spread (the L4 option, whose server price is certain) still shows its
    // shape: its axis is fitted to it, a small fraction of the widest panel's.
    let span = |ticks: &[String]| {
        let millions: Vec<f64> = ticks
            .iter()
            .map(|t| {
                t.trim_end_matches('M')
                    .parse::<f64>()
                    .expect("a tick in millions")
            })
            .collect();
        millions[millions.len() - 1] - millions[0]
    };
    let widest = panels.iter().map(|p| span(p)).fold(0.0, f64::max);
    assert!(
        span(&panels[2]) < widest / 5.0,
        "the L4 panel is not fitted to its spread: {:?}",
        panels[2]
    );
}

#[test]
fn a_priced_option_competes_and_says_so() {
    let scratch = Scratch::new();
    let priced = CROWDED.replace(
        "baseline = ",
        "unserved_cost_per_gpu_hour = 3.0\nbaseline = ",
    );
    let scenario = scratch.write("priced.toml", &priced);
    let out = scratch.path("report");
    success([
        arg("report"),
        arg(&scenario),
        arg("--out"),
        arg(&out),
        arg("--samples"),
        arg("0"),
    ]);
    for chart in CHARTS {
        let texts: Vec<String> = text_boxes(&svg(&out, chart))
            .into_iter()
            .map(|b| b.text)
            .collect();
        if chart == "load-duration" {
            continue; // the cloud option has no capacity line and so no legend entry
        }
        assert!(
            texts.iter().any(|t| t.contains("unserved work priced in")),
            "{chart}: {texts:?}"
        );
    }
    let cumulative = svg(&out, "cumulative-cost");
    assert_eq!(
        polylines(&cumulative, UNMET_COLOUR),
        3,
        "a priced option competes: drawn plainly"
    );
}

#[test]
fn the_crowded_report_renders_in_a_headless_browser() {
    renders_in_a_browser(crowded());
}

/// One on-prem option over `months` months with an uncertain discount rate, so that the
/// report draws the cost fan as well as the deterministic charts.
fn short_horizon(months: usize) -> String {
    format!(
        r#"
name = "short"
horizon_months = {months}
start = "2027-01"
currency = "USD"
discount_rate = 0.1
reference_accelerator = "h100-sxm"
baseline = "own"

[[workload]]
name = "w"
gpu_hours_per_month = 1000
profile = "flat"

[[option]]
name = "own"
kind = "onprem"
server = "hgx-h100-oem"
servers = 1
site = "us-tx-colo"

[[uncertain]]
path = "discount_rate"
distribution = "uniform"
low = 0.05
high = 0.15
"#
    )
}

/// Renders the report of `scenario` with 50 samples into `scratch` and returns its folder.
fn small_report(scratch: &Scratch, scenario: &str) -> PathBuf {
    let path = scratch.write("s.toml", scenario);
    let out = scratch.path("report");
    success([
        arg("report"),
        arg(&path),
        arg("--out"),
        arg(&out),
        arg("--samples"),
        arg("50"),
        arg("--seed"),
        arg("1"),
    ]);
    out
}

/// The labels of `svg`'s x ticks that are whole numbers (texts hung below an axis at the
/// tick-label size), one list per axis in left-to-right order: a row of ticks starts a new axis
/// where a label is smaller than the one before it.
fn x_tick_rows(svg: &str) -> Vec<Vec<String>> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let mut ticks: Vec<(i64, f64, String)> = doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "text")
        .filter(|n| {
            n.attribute("dy") == Some("0.76em") && n.attribute("text-anchor") == Some("middle")
        })
        .filter(|n| n.attribute("font-size").and_then(|s| s.parse::<f64>().ok()) < Some(12.0))
        .filter_map(|n| {
            let text = n.text().map(str::trim).unwrap_or("").to_string();
            let y = n.attribute("y")?.parse::<f64>().ok()?.round() as i64;
            let x = n.attribute("x")?.parse::<f64>().ok()?;
            Some((y, x, text))
        })
        .collect();
    ticks.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut last: Option<(i64, f64)> = None;
    for (y, _, text) in ticks {
        let value = text.parse::<f64>().unwrap_or(f64::NAN);
        let continues = last.is_some_and(|(ly, lv)| {
            ly == y && value.partial_cmp(&lv) != Some(std::cmp::Ordering::Less)
        });
        if !continues {
            rows.push(Vec::new());
        }
        rows.last_mut().expect("a row").push(text);
        last = Some((y, value));
    }
    rows
}

#[test]
fn month_axes_of_short_horizons_tick_each_whole_month_once() {
    for months in [1usize, 2, 3, 5] {
        let scratch = Scratch::new();
        let out = small_report(&scratch, &short_horizon(months));
        // Months 0 to the horizon, each once: a month axis has no fractional ticks.
        let expected: Vec<String> = (0..=months).map(|m| m.to_string()).collect();
        for (chart, axes) in [
            ("cumulative-cost", 2),
            ("cost-fan", 1),
            ("demand-capacity", 1),
        ] {
            let rows = x_tick_rows(&svg(&out, chart));
            assert_eq!(
                rows,
                vec![expected.clone(); axes],
                "{chart} at {months} months"
            );
        }
    }
}

/// The y tick values of `svg` (texts right-aligned and centred on their tick), as numbers:
/// `2,000` is 2000 and `10k` 10000.
fn y_tick_values(svg: &str) -> Vec<f64> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "text")
        .filter(|n| n.attribute("dy") == Some("0.5ex") && n.attribute("text-anchor") == Some("end"))
        .filter_map(|n| {
            let text = n.text()?.trim().replace(',', "");
            match text.strip_suffix('k') {
                Some(k) => k.parse::<f64>().ok().map(|v| v * 1e3),
                None => text.parse::<f64>().ok(),
            }
        })
        .collect()
}

#[test]
fn a_pv_histogram_of_samples_all_alike_is_one_bar_of_all_of_them() {
    // Every input fixed: each of the 50 samples costs the same. And no demand on two clouds:
    // every sample costs 0, whatever the discount rate.
    let fixed = edit(
        &short_horizon(12),
        "distribution = \"uniform\"\nlow = 0.05\nhigh = 0.15",
        "distribution = \"fixed\"\nvalue = 0.1",
    );
    let zero = r#"
name = "zero"
horizon_months = 12
start = "2027-01"
currency = "USD"
discount_rate = 0.0
reference_accelerator = "h100-sxm"

[[workload]]
name = "w"
gpu_hours_per_month = 0
profile = "flat"

[[option]]
name = "cloud"
kind = "cloud"
offer = "lambda-gpu_8x_h100_sxm5"

[[option]]
name = "cloud2"
kind = "cloud"
offer = "lambda-gpu_8x_h100_sxm5"

[[uncertain]]
path = "discount_rate"
distribution = "uniform"
low = 0.0
high = 0.1
"#;
    for (what, scenario, panels) in [("fixed", fixed.as_str(), 1), ("zero", zero, 2)] {
        let scratch = Scratch::new();
        let svg = svg(&small_report(&scratch, scenario), "pv-histogram");
        let values = y_tick_values(&svg);
        assert!(!values.is_empty(), "{what}: no y ticks");
        // One bar of 100% of the samples: the axis ends at its top, ticked 0 to 100.
        let top = values.iter().copied().fold(f64::MIN, f64::max);
        assert_eq!(top, 100.0, "{what}: y ticks {values:?}");
        assert_eq!(
            values.iter().filter(|v| **v == 100.0).count(),
            panels,
            "{what}: y ticks {values:?}"
        );
        assert!(!svg.contains("per USD 0"), "{what}: a density per USD 0");
        assert_eq!(
            svg.matches("% of samples (all at one value)").count(),
            panels,
            "{what}"
        );
    }
}

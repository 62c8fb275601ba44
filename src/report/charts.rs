//! The charts of `tcosim report`, drawn with plotters, each as SVG (text stays text) and PNG.
//!
//! Rendering is pure: a [`Run`] in, strings and bytes out. Text is measured and, in PNGs, drawn
//! with the bundled DejaVu Sans (`assets/fonts/`, Bitstream Vera licence) through plotters'
//! `ab_glyph` path, so charts render the same on a machine without any system font. Every chart
//! draws its legend in a band below the plot, so the legend never hides data, and every option
//! keeps one colour of the Okabe–Ito palette across all charts.

use super::folder::Analyses;
use crate::model::{self, Category, OptionResult};
use crate::report::{money, quantity, scientific};
use crate::run::Run;
use crate::timeline::HOURS_PER_MONTH;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::OnceLock;

/// Width and height of every chart [px].
pub const SIZE: (u32, u32) = (1200, 720);

/// DejaVu Sans 2.37 from Debian's `fonts-dejavu-core`.
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), yellow last because it is
/// hard to see on white; options take colours in scenario order, cycling after eight.
const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

/// Colours of cost categories and demand flows (Paul Tol's "muted" scheme, colour-blind safe),
/// kept apart from the option colours.
const TOL_MUTED: [RGBColor; 10] = [
    RGBColor(0x33, 0x22, 0x88),
    RGBColor(0x88, 0xCC, 0xEE),
    RGBColor(0x44, 0xAA, 0x99),
    RGBColor(0x11, 0x77, 0x33),
    RGBColor(0x99, 0x99, 0x33),
    RGBColor(0xDD, 0xCC, 0x77),
    RGBColor(0xCC, 0x66, 0x77),
    RGBColor(0x88, 0x22, 0x55),
    RGBColor(0xAA, 0x44, 0x99),
    RGBColor(0xDD, 0xDD, 0xDD),
];
pub(crate) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);

/// The colour of the option at `index` (scenario order), the same in every chart.
pub fn option_color(index: usize) -> RGBColor {
    OKABE_ITO[index % OKABE_ITO.len()]
}

/// The colour of the option at `index` as `#rrggbb`, for charts drawn elsewhere (Mermaid).
pub fn option_color_hex(index: usize) -> String {
    let RGBColor(r, g, b) = option_color(index);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The name of the colour of the option at `index`, for a key in words.
pub fn option_color_name(index: usize) -> &'static str {
    const NAMES: [&str; 8] = [
        "blue",
        "orange",
        "bluish green",
        "vermillion",
        "reddish purple",
        "sky blue",
        "black",
        "yellow",
    ];
    NAMES[index % NAMES.len()]
}

/// Each option's name as the charts' legends write it, with its share of unmet demand where it
/// leaves more than 0.1% unmet: `aws-h100 (leaves 60% unmet)`.
pub fn option_labels(run: &Run) -> Vec<String> {
    Mark::all(run)
        .into_iter()
        .zip(&run.output.options)
        .map(|(m, o)| m.label(&o.name))
        .collect()
}

/// What follows the name of option `n` where it leaves more than 0.1% of its demand unmet:
/// `leaves 60% unmet` (with `, unserved work priced in` where that work has a price).
pub fn option_note(run: &Run, n: usize) -> Option<String> {
    Mark::all(run).get(n).copied().and_then(Mark::note)
}

/// How an option is drawn in every chart, after the verdict (README F3a), so that an option
/// that does less of the work never looks like the plain cheapest or greenest.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mark {
    /// Serves its demand (unmet at most 0.1%): drawn plainly.
    Serves,
    /// Leaves this share of its demand unmet, and unserved work has no price: out of the
    /// running, so its name says so, its bars are faded and hatched and its lines dashed.
    Unmet(f64),
    /// Leaves this share of its demand unmet, and the price of that work is in its cost: it
    /// competes, so it is drawn plainly and its name says so.
    Priced(f64),
}

impl Mark {
    /// The marks of a run's options, in scenario order.
    fn all(run: &Run) -> Vec<Mark> {
        let priced = run.output.verdict.priced;
        run.output
            .options
            .iter()
            .map(|o| {
                if model::serves_demand(o) {
                    Mark::Serves
                } else if priced {
                    Mark::Priced(o.unmet_share())
                } else {
                    Mark::Unmet(o.unmet_share())
                }
            })
            .collect()
    }

    /// Whether the option is faded, hatched and dashed.
    fn faded(self) -> bool {
        matches!(self, Mark::Unmet(_))
    }

    /// What follows the option's name: `leaves 60% unmet`, with `, unserved work priced in`
    /// where that work has a price.
    fn note(self) -> Option<String> {
        match self {
            Mark::Serves => None,
            Mark::Unmet(share) => Some(format!("leaves {} unmet", unmet_percent(share))),
            Mark::Priced(share) => Some(format!(
                "leaves {} unmet, unserved work priced in",
                unmet_percent(share)
            )),
        }
    }

    /// The option's name with its note: `aws-h100 (leaves 60% unmet)`.
    fn label(self, name: &str) -> String {
        match self.note() {
            Some(note) => format!("{name} ({note})"),
            None => name.to_string(),
        }
    }

    /// The fill of the option's bars in `colour`: faded where it is out of the running.
    fn fill(self, colour: RGBColor) -> ShapeStyle {
        if self.faded() {
            colour.mix(FADE).filled()
        } else {
            colour.filled()
        }
    }
}

/// A share of demand as the marks write it: a percentage with at most one decimal, `60%` or
/// `24.7%`, as in the verdict's reasons.
fn unmet_percent(share: f64) -> String {
    let s = format!("{:.1}", share * 100.0 + 0.0);
    format!("{}%", s.strip_suffix(".0").unwrap_or(&s))
}

/// Opacity of the bars of an option that leaves demand unmet and is out of the running.
const FADE: f64 = 0.35;
/// Gap between the lines of the hatching of such bars [px].
const HATCH_GAP: i32 = 7;

/// One sentence for a caption saying how the chart marks options that leave demand unmet, in
/// the chart's terms (`dashed lines`, `faded, hatched bars`); empty when no option is marked.
fn marks_caption(marks: &[Mark], drawn: &str) -> String {
    if marks.iter().any(|m| m.faded()) {
        format!(
            " {drawn} are options that leave more than 0.1% of demand unmet (the share is in their label), out of the verdict's running (README F3a)."
        )
    } else if marks.iter().any(|m| matches!(m, Mark::Priced(_))) {
        " Unserved work has a price, so options that leave demand unmet carry it in their cost and compete (\"unserved work priced in\")."
            .to_string()
    } else {
        String::new()
    }
}

/// The colour of a cost category in the breakdown chart: fifteen colours, mostly from Paul Tol's
/// qualitative schemes, chosen so that any two differ by at least 20 ΔE (CIE 1976 L*a*b*) for
/// normal vision and by at least 13.5 as protanopes, deuteranopes and tritanopes see them
/// (simulated after Machado, Oliveira & Fernandes 2009); the test
/// `category_colours_stay_apart_for_every_vision` checks it. None of them is an option colour.
fn category_color(cat: Category) -> RGBColor {
    match cat {
        Category::Hardware => RGBColor(0x33, 0x22, 0x88), // indigo
        Category::Financing => RGBColor(0x88, 0x22, 0x55), // wine
        Category::ResidualValue => RGBColor(0xDD, 0xDD, 0xDD), // pale grey
        Category::Lease => RGBColor(0xBB, 0x55, 0x66),    // rose
        Category::Energy => RGBColor(0xEE, 0xDD, 0x88),   // light yellow
        Category::Colocation => RGBColor(0xAA, 0xAA, 0x00), // olive
        Category::Staff => RGBColor(0x22, 0x88, 0x33),    // green
        Category::Support => RGBColor(0x44, 0xBB, 0x99),  // mint
        Category::Software => RGBColor(0x66, 0x33, 0x33), // brown
        Category::CloudCommitted => RGBColor(0x1F, 0x4E, 0x79), // dark blue
        Category::CloudOnDemand => RGBColor(0x00, 0x77, 0xBB), // blue
        Category::CloudSpot => RGBColor(0x99, 0xDD, 0xFF), // light cyan
        Category::Storage => RGBColor(0x77, 0xAA, 0xDD),  // light blue
        Category::Egress => RGBColor(0xEE, 0x88, 0x66),   // orange
        Category::Unserved => UNMET,
    }
}

const SERVED_ONPREM: RGBColor = TOL_MUTED[0];
/// Work served on owned GPUs after waiting at least an hour (README Q4): a lighter purple beside
/// the indigo of served on-prem, since it is a part of it.
const SERVED_AFTER_WAIT: RGBColor = TOL_MUTED[8];
const SERVED_CLOUD: RGBColor = TOL_MUTED[1];
const UNMET: RGBColor = RGBColor(0xCC, 0x33, 0x11);

/// One chart, rendered.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File name without extension, e.g. `cumulative-cost`.
    pub name: &'static str,
    pub title: String,
    /// One sentence saying what the chart shows and how to read it.
    pub caption: String,
    pub svg: String,
    pub png: Vec<u8>,
}

/// Why a chart could not be drawn.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot draw chart `{chart}`: {message}")]
pub struct ChartError {
    pub chart: &'static str,
    pub message: String,
}

/// A figure read off one month of an option.
type MonthValue = fn(&model::MonthRow) -> f64;
/// A figure read off an option's totals.
type OptionValue = fn(&OptionResult) -> f64;

pub(crate) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart that can draw itself on any plotters backend.
pub(crate) trait Spec {
    fn name(&self) -> &'static str;
    fn title(&self) -> String;
    fn caption(&self) -> String;
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// Renders every chart of the report, in report order: the five deterministic charts, then,
/// where the run has them, the Monte Carlo fan and PV histograms, the tornado and the sweep.
pub fn render_all(run: &Run, analyses: &Analyses) -> Result<Vec<Chart>, ChartError> {
    register_bundled_font()?;
    let mut charts = vec![
        render(&Cumulative::new(run))?,
        render(&Breakdown::new(run))?,
        render(&DemandCapacity::new(run))?,
        render(&LoadDuration::new(run))?,
        render(&EnergyCarbon::new(run))?,
    ];
    if let Some(mc) = &run.montecarlo {
        charts.push(render(&risk::Fan::new(run, mc))?);
        charts.push(render(&risk::Histograms::new(run, mc))?);
    }
    if let Some(s) = &analyses.sensitivity {
        charts.push(render(&risk::Tornado::new(run, s))?);
    }
    if let Some(s) = &analyses.sweep {
        charts.push(render(&risk::SweepChart::new(run, s))?);
    }
    Ok(charts)
}

/// The tornado chart of a sensitivity analysis alone (for `tcosim sensitivity --chart`).
pub fn tornado(
    run: &Run,
    s: &crate::montecarlo::sensitivity::Sensitivity,
) -> Result<Chart, ChartError> {
    register_bundled_font()?;
    render(&risk::Tornado::new(run, s))
}

/// The chart of a sweep alone (for `tcosim sweep --chart`).
pub fn sweep(run: &Run, s: &crate::montecarlo::sweep::Sweep) -> Result<Chart, ChartError> {
    register_bundled_font()?;
    render(&risk::SweepChart::new(run, s))
}

/// Renders one chart of another command (the charts of `tcosim replay`) with the house
/// frame, fonts and sizes, as SVG and PNG.
pub(crate) fn render_one<S: Spec>(spec: &S) -> Result<Chart, ChartError> {
    register_bundled_font()?;
    render(spec)
}

fn register_bundled_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ChartError {
            chart: "all",
            message: "the bundled font does not parse".into(),
        })
    }
}

fn render<S: Spec>(spec: &S) -> Result<Chart, ChartError> {
    let fail = |message: String| ChartError {
        chart: spec.name(),
        message,
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        spec.draw(&root).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let mut rgb = vec![0u8; SIZE.0 as usize * SIZE.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        spec.draw(&root).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let png = encode_png(&rgb).map_err(|e| fail(e.to_string()))?;
    Ok(Chart {
        name: spec.name(),
        title: spec.title(),
        caption: spec.caption(),
        svg,
        png,
    })
}

fn encode_png(rgb: &[u8]) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, SIZE.0, SIZE.1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// A tick label: thousands separators below 10,000, then k, M, B and T suffixes, and from 10¹⁵
/// scientific notation (`2.5e20`).
pub fn tick(v: f64) -> String {
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    match tick_scale(v.abs()) {
        None => scientific(v, 2),
        Some((1.0, "", 0)) => money(v),
        Some((scale, suffix, decimals)) => {
            format!("{}{suffix}", trim(format!("{:.*}", decimals, v / scale)))
        }
    }
}

/// How [`tick`] writes a number of magnitude `a`: (scale, suffix, decimals) for thousands (k),
/// millions (M), billions (B) and trillions (T), whole numbers with separators from 10 to
/// 10,000 and two decimals below; `None` from 10¹⁵ up, which is written in scientific notation.
fn tick_scale(a: f64) -> Option<(f64, &'static str, usize)> {
    Some(if a >= 1e15 {
        return None;
    } else if a >= 1e12 {
        (1e12, "T", 2)
    } else if a >= 1e9 {
        (1e9, "B", 2)
    } else if a >= 1e6 {
        (1e6, "M", 2)
    } else if a >= 1e4 {
        (1e3, "k", 1)
    } else if a >= 10.0 || a == 0.0 {
        (1.0, "", 0)
    } else {
        (1.0, "", 2)
    })
}

/// A tick label like [`tick`], with as many more decimals as it takes for ticks a tenth of
/// `span` apart to read differently (an axis of 11.000M to 11.010M ticks 11.002M, 11.004M, ...,
/// not 11M five times); the same as [`tick`] wherever its decimals suffice.
fn fine_tick(v: f64, span: f64) -> String {
    let a = v.abs();
    let step = span / 10.0;
    if !(step.is_finite() && step > 0.0) {
        return tick(v);
    }
    let Some((scale, suffix, decimals)) = tick_scale(a) else {
        // The mantissa's unit is 10 to the exponent of `v`.
        let unit = 10f64.powi(a.log10().floor() as i32);
        let needed = (unit / step).log10().ceil().clamp(2.0, 12.0) as usize;
        return scientific(v, needed);
    };
    let needed = (scale / step).log10().ceil().clamp(0.0, 12.0) as usize;
    if needed <= decimals {
        return tick(v);
    }
    let s = format!("{:.*}", needed, v / scale);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}{suffix}")
}

pub(crate) fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&INK)
}

/// The width [px] of `text` at font size `size` in the bundled font, as plotters measures it for
/// every backend (its PNG glyphs, slightly wider than the same SVG text in DejaVu Sans).
fn text_width(text: &str, size: u32) -> u32 {
    font(size)
        .font
        .box_size(text)
        .map_or(size * text.chars().count() as u32, |(w, _)| w)
}

/// Size of the axis descriptions (see `mesh!`).
pub(crate) const DESC_SIZE: u32 = 16;

/// The first of `candidates`, longest first, that fits along an axis `room` px long in the axis
/// description's font, or the last where none does: a panel's rotated y description must not
/// run past its plot into the title above.
fn fit_desc(candidates: &[String], room: u32) -> String {
    candidates
        .iter()
        .find(|c| text_width(c, DESC_SIZE) <= room)
        .or(candidates.last())
        .cloned()
        .unwrap_or_default()
}

/// The width [px] the charts reserve for `text` drawn in an SVG `font-size` of `svg_px` (the
/// SVG backend writes a size of s / 1.24 for plotters' size s), for tests that check from an
/// SVG that no two texts overlap.
pub fn svg_text_width(text: &str, svg_px: f64) -> Result<f64, ChartError> {
    register_bundled_font()?;
    let desc = FontDesc::new(FontFamily::Name(FAMILY), svg_px * 1.24, FontStyle::Normal);
    desc.box_size(text)
        .map(|(w, _)| f64::from(w))
        .map_err(|e| ChartError {
            chart: "all",
            message: e.to_string(),
        })
}

/// Room kept free on each side of a title [px].
const TITLE_MARGIN: u32 = 20;

/// Draws the title (wrapped, never clipped) and splits off a legend band at the bottom; returns
/// the plot area.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[(String, Swatch)],
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let body = titled(root, title, font(24))?;
    let labels: Vec<String> = legend.iter().map(|(l, _)| l.clone()).collect();
    let width = body.dim_in_pixel().0 as i32 - 40;
    let (placed, rows) = layout::legend(&labels, width, SWATCH + 8 + 28, 16, &text_width);
    let band = if rows == 0 {
        0
    } else {
        rows as u32 * LEGEND_ROW + 12
    };
    let (_, h) = body.dim_in_pixel();
    let (plot, band_area) = body.split_vertically(h.saturating_sub(band));
    for (entry, (_, swatch)) in placed.iter().zip(legend) {
        let x = entry.x;
        let y = 6 + entry.row as i32 * LEGEND_ROW as i32;
        let mid = y + LEGEND_ROW as i32 / 2;
        draw_swatch(&band_area, *swatch, x, mid)?;
        for (i, line) in entry.lines.iter().enumerate() {
            band_area.draw(&Text::new(
                line.clone(),
                (x + SWATCH + 8, mid - 8 + i as i32 * LEGEND_ROW as i32),
                font(16),
            ))?;
        }
    }
    Ok(plot)
}

/// Draws `title` at the top of `area`, centred, in as many lines as it takes to fit the width
/// less [`TITLE_MARGIN`] on each side; returns the area below it.
fn titled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    style: TextStyle,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, _) = area.dim_in_pixel();
    let size = style.font.get_size() as u32;
    let room = w.saturating_sub(2 * TITLE_MARGIN).max(1);
    let mut below = area.clone();
    for line in layout::wrap(title, room, size, &text_width) {
        below = below.titled(&line, style.clone())?;
    }
    Ok(below)
}

/// One panel of a chart of several: `margin` px free on each side, then its title in `colour`
/// at size 17, wrapped to the panel's width; returns the area below the title.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    colour: RGBColor,
    margin: i32,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let inner = area.margin(margin, margin, margin, margin);
    let (w, _) = inner.dim_in_pixel();
    let style = TextStyle::from((FAMILY, 17).into_font()).color(&colour);
    let mut below = inner.clone();
    for line in layout::wrap(title, w.max(1), 17, &text_width) {
        below = below.titled(&line, style.clone())?;
    }
    Ok(below)
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    x: i32,
    mid: i32,
) -> DrawResult<DB> {
    match swatch {
        Swatch::Box(c) => area.draw(&Rectangle::new(
            [(x, mid - 7), (x + SWATCH, mid + 7)],
            c.filled(),
        )),
        Swatch::Hatched(c) => {
            area.draw(&Rectangle::new(
                [(x, mid - 7), (x + SWATCH, mid + 7)],
                c.mix(FADE).filled(),
            ))?;
            hatch_pixels(area, (x, mid - 7), (x + SWATCH, mid + 7), c)
        }
        Swatch::Striped(c) => {
            area.draw(&Rectangle::new(
                [(x, mid - 7), (x + SWATCH, mid + 7)],
                c.filled(),
            ))?;
            hatch_pixels(area, (x, mid - 7), (x + SWATCH, mid + 7), WHITE)
        }
        Swatch::Line(c) => area.draw(&PathElement::new(
            vec![(x, mid), (x + SWATCH, mid)],
            c.stroke_width(3),
        )),
        Swatch::Dashed(c) => {
            for k in 0..3 {
                let x0 = x + k * 10;
                area.draw(&PathElement::new(
                    vec![(x0, mid), (x0 + 6, mid)],
                    c.stroke_width(3),
                ))?;
            }
            Ok(())
        }
        Swatch::Dotted(c) => {
            for k in 0..5 {
                let x0 = x + k * 6;
                area.draw(&PathElement::new(
                    vec![(x0, mid), (x0 + 3, mid)],
                    c.stroke_width(2),
                ))?;
            }
            Ok(())
        }
        Swatch::Band(c) | Swatch::DashedBand(c) => {
            let dashed = matches!(swatch, Swatch::DashedBand(_));
            let alpha = if dashed { FADED_BAND_ALPHA } else { BAND_ALPHA };
            area.draw(&Rectangle::new(
                [(x, mid - 8), (x + SWATCH, mid + 8)],
                c.mix(alpha).filled(),
            ))?;
            if dashed {
                draw_swatch(area, Swatch::Dashed(c), x, mid)
            } else {
                area.draw(&PathElement::new(
                    vec![(x, mid), (x + SWATCH, mid)],
                    c.stroke_width(3),
                ))
            }
        }
        Swatch::Dot(c) => area.draw(&Circle::new((x + SWATCH / 2, mid), 6, c.filled())),
        Swatch::Ring(c) => area.draw(&Circle::new((x + SWATCH / 2, mid), 6, c.stroke_width(2))),
        Swatch::Blank => Ok(()),
    }
}

/// Hatches the rectangle between two pixels of `area` with lines of `colour` (see
/// [`layout::hatch_segments`]).
fn hatch_pixels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    a: (i32, i32),
    b: (i32, i32),
    colour: RGBColor,
) -> DrawResult<DB> {
    for [p, q] in layout::hatch_segments(a, b, HATCH_GAP) {
        area.draw(&PathElement::new(vec![p, q], colour.stroke_width(1)))?;
    }
    Ok(())
}

/// Hatches the rectangle between two points of `chart` (data coordinates), drawing on `area`,
/// the drawing area the chart was built on.
fn hatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    a: (f64, f64),
    b: (f64, f64),
    colour: RGBColor,
) -> DrawResult<DB> {
    let (bx, by) = area.get_base_pixel();
    let (ax, ay) = chart.backend_coord(&a);
    let (cx, cy) = chart.backend_coord(&b);
    hatch_pixels(area, (ax - bx, ay - by), (cx - bx, cy - by), colour)
}

const LEGEND_ROW: u32 = 26;
const SWATCH: i32 = 26;

/// Opacity of the P10–P90 bands of the fan chart (and of their legend swatches).
const BAND_ALPHA: f64 = 0.18;
/// The same for an option that leaves demand unmet and is out of the running.
const FADED_BAND_ALPHA: f64 = 0.08;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Swatch {
    Box(RGBColor),
    /// A faded, hatched box: bars of an option that leaves demand unmet.
    Hatched(RGBColor),
    /// A box with white hatching: the price of unserved work, a cost that is not cash.
    Striped(RGBColor),
    Line(RGBColor),
    Dashed(RGBColor),
    /// A dotted line: the backlog.
    Dotted(RGBColor),
    /// A translucent band with its median line (fan chart).
    Band(RGBColor),
    /// A fainter band with a dashed median: an option that leaves demand unmet.
    DashedBand(RGBColor),
    /// A filled marker.
    Dot(RGBColor),
    /// A hollow marker.
    Ring(RGBColor),
    /// No swatch: a line of text, such as a key letter and the option it stands for.
    Blank,
}

/// The legend of options drawn as lines: each name with its mark, dashed where the option leaves
/// demand unmet and is out of the running.
fn options_legend(run: &Run, marks: &[Mark]) -> Vec<(String, Swatch)> {
    run.output
        .options
        .iter()
        .zip(marks)
        .enumerate()
        .map(|(i, (o, m))| {
            let c = option_color(i);
            let swatch = if m.faded() {
                Swatch::Dashed(c)
            } else {
                Swatch::Line(c)
            };
            (m.label(&o.name), swatch)
        })
        .collect()
}

/// A line of option `k`'s colour through `points`: dashed where its mark is faded.
fn option_line<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    points: Vec<(f64, f64)>,
    colour: RGBColor,
    mark: Mark,
) -> DrawResult<DB> {
    if mark.faded() {
        chart.draw_series(DashedLineSeries::new(points, 10, 6, colour.stroke_width(3)))?;
    } else {
        chart.draw_series(LineSeries::new(points, colour.stroke_width(3)))?;
    }
    Ok(())
}

/// An axis range plotters can draw: both ends finite, widened to a relative span of at least
/// 1e-9 around its centre (a narrower one has no distinct tick values). A range that is not
/// finite is an error rather than a chart: plotters would spin on it.
pub(crate) fn axis<E: std::error::Error + Send + Sync>(
    r: std::ops::Range<f64>,
) -> Result<std::ops::Range<f64>, DrawingAreaErrorKind<E>> {
    let (lo, hi) = (r.start, r.end);
    if !(lo.is_finite() && hi.is_finite() && (hi - lo).is_finite()) {
        return Err(DrawingAreaErrorKind::LayoutError);
    }
    let magnitude = lo.abs().max(hi.abs());
    let least = (magnitude * 1e-9).max(f64::MIN_POSITIVE * 1e9);
    if hi - lo >= least {
        return Ok(r);
    }
    let mid = lo / 2.0 + hi / 2.0;
    Ok(mid - least..mid + least)
}

/// A y range that includes 0 and the data with 8% headroom.
pub(crate) fn y_range(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let lo = lo.min(0.0);
    let hi = hi.max(0.0);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let lo = if lo < 0.0 { lo - 0.08 * span } else { 0.0 };
    lo..hi + 0.08 * span
}

/// How many x ticks a month axis of `h` months asks plotters for: one per month up to ten, so
/// that a short horizon is not ticked at fractions of a month (plotters takes the finest round
/// step that gives at most this many ticks, which is then 1 month, or a whole number of months
/// from 9 months on).
fn month_ticks(h: usize) -> usize {
    (h + 1).clamp(2, 10)
}

/// The label of a tick on a month axis: the month, or nothing at a fraction of one.
fn month_tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{:.0}", v.round())
    } else {
        String::new()
    }
}

/// The mesh of every chart: light grid, house fonts.
macro_rules! mesh {
    ($chart:expr) => {
        $chart
            .configure_mesh()
            .label_style(font(14))
            .axis_desc_style(font(DESC_SIZE))
            .light_line_style(WHITE)
            .bold_line_style(GRID)
    };
}

// Text layout (wrapping, labels under bars, legend rows, hatching), in `charts/layout.rs`.
mod layout;
// The charts of the uncertainty analyses, in `charts/risk.rs`.
mod risk;

// ---------------------------------------------------------------------------------------------

/// Cumulative cost per option, nominal and present value, in two panels.
struct Cumulative<'a> {
    run: &'a Run,
    marks: Vec<Mark>,
    /// Per option: cumulative nominal and PV cost after each month (month 0 = 0).
    series: Vec<(Vec<f64>, Vec<f64>)>,
}

impl<'a> Cumulative<'a> {
    fn new(run: &'a Run) -> Self {
        let i = crate::finance::monthly_rate(run.input.discount_rate);
        let series = run
            .output
            .options
            .iter()
            .map(|o| {
                let (mut nom, mut pv) = (vec![0.0], vec![0.0]);
                for (m, r) in o.months.iter().enumerate() {
                    // The month's cost: cash, plus the price of unserved work where it has one
                    // (Q7), as in the total and PV cost of the summary.
                    let n = nom[m] + r.cost();
                    // F2: starts of month discounted m months, ends m + 1.
                    let p = pv[m]
                        + r.start_flow / (1.0 + i).powi(m as i32)
                        + r.end_flow / (1.0 + i).powi(m as i32 + 1);
                    nom.push(n);
                    pv.push(p);
                }
                (nom, pv)
            })
            .collect();
        Cumulative {
            run,
            marks: Mark::all(run),
            series,
        }
    }
}

impl Spec for Cumulative<'_> {
    fn name(&self) -> &'static str {
        "cumulative-cost"
    }
    fn title(&self) -> String {
        // After tax, the flows carry their income tax (README TX3).
        format!("Cumulative cost per option{}", super::after_tax(self.run))
    }
    fn caption(&self) -> String {
        let priced = if self.marks.iter().any(|m| matches!(m, Mark::Priced(_))) {
            " with the price of unserved work (not cash) included"
        } else {
            ""
        };
        format!(
            "Cash paid by each option month after month{priced}, nominal (left) and discounted at {:.1}% per year (right); the last points are the total and PV cost of the summary.{}",
            self.run.input.discount_rate * 100.0,
            marks_caption(&self.marks, "Dashed lines")
        )
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let plot = frame(root, &self.title(), &options_legend(self.run, &self.marks))?;
        let (w, _) = plot.dim_in_pixel();
        let (left, right) = plot.split_horizontally(w / 2);
        let lo = self
            .series
            .iter()
            .flat_map(|(n, p)| n.iter().chain(p))
            .copied()
            .fold(0.0, f64::min);
        let hi = self
            .series
            .iter()
            .flat_map(|(n, p)| n.iter().chain(p))
            .copied()
            .fold(0.0, f64::max);
        let h = self.run.input.horizon_months;
        let cur = &self.run.input.currency;
        for (panel, area, pv) in [("Nominal", &left, false), ("Present value", &right, true)] {
            let mut chart = ChartBuilder::on(area)
                .caption(panel, font(18))
                .margin(12)
                .x_label_area_size(48)
                .y_label_area_size(80)
                .build_cartesian_2d(0f64..h as f64, axis(y_range(lo, hi))?)?;
            mesh!(chart)
                .x_desc(format!("Month from {}", self.run.input.start))
                .y_desc(format!("Cumulative cost [{cur}]"))
                .x_labels(month_ticks(h))
                .x_label_formatter(&month_tick)
                .y_label_formatter(&|v| tick(*v))
                .draw()?;
            // Options that serve their demand last, so that they are drawn on top.
            let order = (0..self.series.len())
                .filter(|k| self.marks[*k].faded())
                .chain((0..self.series.len()).filter(|k| !self.marks[*k].faded()));
            for k in order {
                let (nom, pvs) = &self.series[k];
                let ys = if pv { pvs } else { nom };
                let points = ys.iter().enumerate().map(|(m, y)| (m as f64, *y)).collect();
                option_line(&mut chart, points, option_color(k), self.marks[k])?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------

/// Nominal cost per category, stacked per option; resale value stacks below zero.
struct Breakdown<'a> {
    run: &'a Run,
    marks: Vec<Mark>,
    categories: Vec<Category>,
    labels: layout::SlotLabels,
}

/// Margin and width of the y labels of the breakdown chart [px].
const BREAKDOWN_MARGIN: u32 = 16;
const BREAKDOWN_Y_LABELS: u32 = 90;
/// Height of the x label area of the bar charts when their labels take one line [px].
const BREAKDOWN_X_LABELS: u32 = 44;
const ENERGY_X_LABELS: u32 = 40;

impl<'a> Breakdown<'a> {
    fn new(run: &'a Run) -> Self {
        let categories = Category::ALL
            .into_iter()
            .filter(|c| {
                run.output
                    .options
                    .iter()
                    .any(|o| o.breakdown[*c as usize].abs() > 0.0)
            })
            .collect();
        let marks = Mark::all(run);
        let slot = slot_width(SIZE.0, BREAKDOWN_MARGIN, BREAKDOWN_Y_LABELS, marks.len());
        Breakdown {
            run,
            labels: option_slot_labels(run, &marks, slot, 16),
            marks,
            categories,
        }
    }
}

impl Spec for Breakdown<'_> {
    fn name(&self) -> &'static str {
        "cost-breakdown"
    }
    fn title(&self) -> String {
        format!(
            "Cost by category over {} months (nominal{})",
            self.run.input.horizon_months,
            if self.run.input.tax.is_some() {
                ", before tax"
            } else {
                ""
            }
        )
    }
    fn caption(&self) -> String {
        let mut s = "Where each option's money goes over the horizon, by category; resale value is negative and stacks below zero, and the black tick marks the net total.".to_string();
        if self.categories.contains(&Category::Unserved) {
            s.push_str(" Unserved work (red, hatched) is the price of the demand an option leaves unmet (README Q7): not cash, but a cost all the same.");
        }
        s.push_str(&marks_caption(&self.marks, "Faded, hatched bars"));
        s.push_str(&keyed_caption(&self.labels));
        s
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let mut legend: Vec<(String, Swatch)> = self
            .categories
            .iter()
            .map(|c| {
                if *c == Category::Unserved {
                    (
                        "Unserved work (priced, not cash)".to_string(),
                        Swatch::Striped(category_color(*c)),
                    )
                } else {
                    (c.label().to_string(), Swatch::Box(category_color(*c)))
                }
            })
            .collect();
        legend.push(("Net total".into(), Swatch::Line(BLACK)));
        if self.marks.iter().any(|m| m.faded()) {
            legend.push((
                "Faded, hatched: leaves demand unmet, out of the running".into(),
                Swatch::Hatched(MARK_GREY),
            ));
        }
        if self.labels.keyed {
            legend.extend(key_legend(self.run, &self.marks));
        }
        let plot = frame(root, &self.title(), &legend)?;
        let opts = &self.run.output.options;
        let pos: Vec<f64> = opts
            .iter()
            .map(|o| o.breakdown.iter().filter(|v| **v > 0.0).sum())
            .collect();
        let neg: Vec<f64> = opts
            .iter()
            .map(|o| o.breakdown.iter().filter(|v| **v < 0.0).sum())
            .collect();
        let lo = neg.iter().copied().fold(0.0, f64::min);
        let hi = pos.iter().copied().fold(0.0, f64::max);
        let yr = axis(y_range(lo, hi))?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(BREAKDOWN_MARGIN)
            .x_label_area_size(x_label_area(&self.labels, BREAKDOWN_X_LABELS))
            .y_label_area_size(BREAKDOWN_Y_LABELS)
            .build_cartesian_2d(slots_range(opts.len()), yr.clone())?;
        mesh!(chart)
            .disable_x_mesh()
            .x_labels(0)
            .y_desc(format!("Cost [{}]", self.run.input.currency))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        let gap = 0.3;
        for (k, o) in opts.iter().enumerate() {
            let mark = self.marks[k];
            let (mut up, mut down) = (0.0, 0.0);
            for c in &self.categories {
                let v = o.breakdown[*c as usize];
                if v == 0.0 {
                    continue;
                }
                let (y0, y1) = if v > 0.0 {
                    up += v;
                    (up - v, up)
                } else {
                    down += v;
                    (down - v, down)
                };
                let colour = category_color(*c);
                chart.draw_series(std::iter::once(bar(k, gap, y0, y1, mark.fill(colour))))?;
                if *c == Category::Unserved && !mark.faded() {
                    hatch(
                        &plot,
                        &chart,
                        bar_corner(k, gap, y0),
                        bar_corner(k, -gap, y1),
                        WHITE,
                    )?;
                }
            }
            if mark.faded() {
                hatch(
                    &plot,
                    &chart,
                    bar_corner(k, gap, down),
                    bar_corner(k, -gap, up),
                    INK,
                )?;
            }
            let net = o.total_cost;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![
                    (k as f64 - 0.5 + gap - 0.05, net),
                    (k as f64 + 0.5 - gap + 0.05, net),
                ],
                BLACK.stroke_width(3),
            )))?;
        }
        slot_labels(&plot, &chart, &self.labels, yr.start)?;
        Ok(())
    }
}

/// The grey of the legend swatch that explains the faded, hatched bars.
const MARK_GREY: RGBColor = RGBColor(0x77, 0x77, 0x77);

/// The x range of one slot per option, centred on 0, 1, ... n − 1.
fn slots_range(n: usize) -> std::ops::Range<f64> {
    -0.5..n.max(1) as f64 - 0.5
}

/// A bar centred on slot `k`, `gap` of the slot left free on each side.
fn bar(k: usize, gap: f64, y0: f64, y1: f64, style: ShapeStyle) -> Rectangle<(f64, f64)> {
    let x = k as f64;
    Rectangle::new([(x - 0.5 + gap, y0), (x + 0.5 - gap, y1)], style)
}

/// The left (`gap` > 0) or right (`gap` < 0) edge of the bar of slot `k` at height `y`.
fn bar_corner(k: usize, gap: f64, y: f64) -> (f64, f64) {
    let x = k as f64;
    if gap >= 0.0 {
        (x - 0.5 + gap, y)
    } else {
        (x + 0.5 + gap, y)
    }
}

/// The width [px] of one slot of `n` in a chart built on an area `width` px wide with `margin`
/// on each side and y labels `y_labels` wide, less a pixel for plotters' rounding.
fn slot_width(width: u32, margin: u32, y_labels: u32, n: usize) -> u32 {
    (width.saturating_sub(2 * margin + y_labels + 1) / n.max(1) as u32).saturating_sub(1)
}

/// The labels under the slots of a bar chart: each option's name, and its note on a line of its
/// own, or key letters (see [`layout::slot_labels`]).
fn option_slot_labels(run: &Run, marks: &[Mark], slot: u32, largest: u32) -> layout::SlotLabels {
    let labels: Vec<(String, Option<String>)> = run
        .output
        .options
        .iter()
        .zip(marks)
        .map(|(o, m)| (o.name.clone(), m.note()))
        .collect();
    layout::slot_labels(&labels, slot, largest, &text_width)
}

/// The key of a chart whose slots carry letters: `A: own-dgx-h100`, one legend line each.
fn key_legend(run: &Run, marks: &[Mark]) -> Vec<(String, Swatch)> {
    run.output
        .options
        .iter()
        .zip(marks)
        .enumerate()
        .map(|(k, (o, m))| {
            (
                format!("{}: {}", layout::key(k), m.label(&o.name)),
                Swatch::Blank,
            )
        })
        .collect()
}

/// The caption's sentence on key letters, where a chart uses them.
fn keyed_caption(labels: &layout::SlotLabels) -> String {
    if labels.keyed {
        " The option names do not fit under the bars, so letters A, B, … stand for them in scenario order, with the key in the legend.".into()
    } else {
        String::new()
    }
}

/// Line height of labels under slots at a font size [px].
fn slot_line(size: u32) -> i32 {
    size as i32 + 2
}

/// The height of the x label area for `labels`: `one_line` as ever for one line, more for more.
fn x_label_area(labels: &layout::SlotLabels, one_line: u32) -> u32 {
    let depth = labels.depth().max(1) as i32;
    (one_line as i32 + (depth - 1) * slot_line(labels.size)) as u32
}

/// Writes each slot's label lines under it, in pixels below the x axis.
fn slot_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    labels: &layout::SlotLabels,
    y_bottom: f64,
) -> DrawResult<DB> {
    let (bx, by) = area.get_base_pixel();
    for (k, lines) in labels.lines.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(k as f64, y_bottom));
        for (j, line) in lines.iter().enumerate() {
            area.draw(&Text::new(
                line.clone(),
                (px - bx, py - by + 8 + j as i32 * slot_line(labels.size)),
                font(labels.size).pos(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

/// Monthly demand split into served on-prem (in its hour and after waiting), served by cloud
/// and unmet, one panel per option, with the owned capacity as a dashed line and, where work
/// waits past a month's end, the backlog.
struct DemandCapacity<'a> {
    run: &'a Run,
    marks: Vec<Mark>,
    /// Whether some workload may wait for owned capacity (README Q1–Q6).
    waits: bool,
    /// Whether some month ends with work still waiting (Q6).
    backlog: bool,
}

impl<'a> DemandCapacity<'a> {
    fn new(run: &'a Run) -> Self {
        let opts = &run.output.options;
        DemandCapacity {
            run,
            marks: Mark::all(run),
            waits: run.input.has_waits()
                || opts.iter().any(|o| o.served_after_wait_gpu_hours > 0.0),
            backlog: opts
                .iter()
                .any(|o| o.months.iter().any(|r| r.backlog_gpu_hours > 0.0)),
        }
    }
}

impl Spec for DemandCapacity<'_> {
    fn name(&self) -> &'static str {
        "demand-capacity"
    }
    fn title(&self) -> String {
        "Demand against capacity per month".into()
    }
    fn caption(&self) -> String {
        let mut s = "Each month's demand in reference GPU-hours, stacked as served on owned GPUs, served by the cloud (the burst, for a hybrid) and unmet, with the owned capacity as a dashed line (stepping where a refresh installs other hardware). Demand varies from hour to hour, so hourly peaks above the capacity burst to the cloud or are unmet even in a month whose total lies below the line.".to_string();
        if self.waits {
            s.push_str(" Work that may wait is queued for owned GPUs and served in a later hour, up to its longest wait; the part of served on-prem that waited at least an hour is purple");
            if self.backlog {
                s.push_str(", and work still waiting at a month's end is carried into the next as the backlog (dotted), so a month can serve more than its own demand");
            }
            s.push('.');
        }
        if self.marks.iter().any(|m| m.note().is_some()) {
            s.push_str(" A panel's title gives the share of demand its option leaves unmet");
            if self.run.output.verdict.priced {
                s.push_str(" (priced in as unserved work).");
            } else {
                s.push_str(" (out of the verdict's running, README F3a).");
            }
        }
        s
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let mut legend = if self.waits {
            vec![
                (
                    "Served on-prem in its hour".to_string(),
                    Swatch::Box(SERVED_ONPREM),
                ),
                (
                    "Served on-prem after waiting".to_string(),
                    Swatch::Box(SERVED_AFTER_WAIT),
                ),
            ]
        } else {
            vec![("Served on-prem".to_string(), Swatch::Box(SERVED_ONPREM))]
        };
        legend.extend([
            (
                "Served by cloud (burst)".to_string(),
                Swatch::Box(SERVED_CLOUD),
            ),
            ("Unmet".to_string(), Swatch::Box(UNMET)),
            (
                "Owned capacity (GPU-h per month)".to_string(),
                Swatch::Dashed(INK),
            ),
        ]);
        if self.backlog {
            legend.push((
                "Backlog at month end (GPU-h)".to_string(),
                Swatch::Dotted(SERVED_AFTER_WAIT),
            ));
        }
        let plot = frame(root, &self.title(), &legend)?;
        let opts = &self.run.output.options;
        let cols = (opts.len() as f64).sqrt().ceil().max(1.0) as usize;
        let rows = opts.len().div_ceil(cols).max(1);
        let panels = plot.split_evenly((rows, cols));
        let hours = HOURS_PER_MONTH as f64;
        let hi = opts
            .iter()
            .flat_map(|o| {
                o.months
                    .iter()
                    .map(|r| r.demand_gpu_hours)
                    .chain(std::iter::once(o.owned_capacity_ref_gpus * hours))
                    .chain(o.purchases.iter().map(|p| p.capacity_ref_gpus * hours))
            })
            .fold(0.0, f64::max);
        // Served backlog can lift a month's stack above its demand.
        let hi = if self.waits {
            opts.iter()
                .flat_map(|o| o.months.iter().map(stack_top))
                .fold(hi, f64::max)
        } else {
            hi
        };
        let h = self.run.input.horizon_months;
        for (k, (o, area)) in opts.iter().zip(&panels).enumerate() {
            let inner = panel(area, &self.marks[k].label(&o.name), option_color(k), 10)?;
            let y_desc = fit_desc(
                &["GPU-hours per month", "GPU-h per month", "GPU-h/month"].map(String::from),
                inner.dim_in_pixel().1.saturating_sub(40),
            );
            let mut chart = ChartBuilder::on(&inner)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(0f64..h as f64, axis(y_range(0.0, hi))?)?;
            mesh!(chart)
                .x_desc("Month")
                .y_desc(y_desc)
                .x_labels(month_ticks(h))
                .x_label_formatter(&month_tick)
                .y_label_formatter(&|v| tick(*v))
                .draw()?;
            let mut layers: Vec<(RGBColor, MonthValue)> = vec![
                (UNMET, stack_top),
                (SERVED_CLOUD, |r| {
                    r.served_onprem_gpu_hours + r.served_cloud_gpu_hours
                }),
            ];
            if self.waits {
                layers.extend([
                    (
                        SERVED_AFTER_WAIT,
                        (|r| r.served_onprem_gpu_hours) as MonthValue,
                    ),
                    (SERVED_ONPREM, |r| {
                        r.served_onprem_gpu_hours - r.served_after_wait_gpu_hours
                    }),
                ]);
            } else {
                layers.push((SERVED_ONPREM, |r| r.served_onprem_gpu_hours));
            }
            for (color, top) in layers {
                chart.draw_series(AreaSeries::new(steps(&o.months, top), 0.0, color.filled()))?;
            }
            if o.owned_capacity_ref_gpus > 0.0 {
                chart.draw_series(DashedLineSeries::new(
                    capacity_steps(o, h),
                    10,
                    6,
                    INK.stroke_width(2),
                ))?;
            }
            if self.backlog && o.months.iter().any(|r| r.backlog_gpu_hours > 0.0) {
                chart.draw_series(DashedLineSeries::new(
                    steps(&o.months, |r| r.backlog_gpu_hours),
                    3,
                    3,
                    SERVED_AFTER_WAIT.stroke_width(2),
                ))?;
            }
        }
        Ok(())
    }
}

/// An option's owned capacity per month [GPU-hours] over `h` months as a step line: each
/// purchase's from its month to the next (README G1), flat without refreshes to other
/// hardware.
fn capacity_steps(o: &model::OptionResult, h: usize) -> Vec<(f64, f64)> {
    let hours = HOURS_PER_MONTH as f64;
    if o.purchases.is_empty() {
        let cap = o.owned_capacity_ref_gpus * hours;
        return vec![(0.0, cap), (h as f64, cap)];
    }
    let mut points = Vec::with_capacity(2 * o.purchases.len());
    for (k, p) in o.purchases.iter().enumerate() {
        let start = p.month.saturating_sub(1) as f64;
        let end = o
            .purchases
            .get(k + 1)
            .map_or(h as f64, |q| q.month.saturating_sub(1) as f64);
        let cap = p.capacity_ref_gpus * hours;
        points.extend([(start, cap), (end, cap)]);
    }
    points
}

/// An option's owned capacity in 0-based month `m` [reference GPUs]: the purchase installed
/// then (README G1), or the option's capacity without refreshes to other hardware.
fn capacity_in_month(o: &model::OptionResult, m: usize) -> f64 {
    o.purchases
        .iter()
        .rev()
        .find(|p| p.month <= m + 1)
        .map_or(o.owned_capacity_ref_gpus, |p| p.capacity_ref_gpus)
}

/// The top of a month's stack: served on-prem, by cloud and unmet.
fn stack_top(r: &model::MonthRow) -> f64 {
    r.served_onprem_gpu_hours + r.served_cloud_gpu_hours + r.unmet_gpu_hours
}

/// A month's value held flat over the month: points (m, v) and (m + 1, v).
fn steps(months: &[model::MonthRow], f: MonthValue) -> Vec<(f64, f64)> {
    months
        .iter()
        .enumerate()
        .flat_map(|(m, r)| {
            let v = f(r);
            [(m as f64, v), (m as f64 + 1.0, v)]
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------

/// The load-duration curve of the first year (README M2) with each option's owned capacity.
struct LoadDuration<'a> {
    run: &'a Run,
    /// Hourly loads of the first year (or the horizon, if shorter), sorted from the highest.
    sorted: Vec<f64>,
    /// Per option: the share of first-year demand served within its owned capacity.
    /// Each option's share of the hours' load within its capacity; `None` without any load.
    served_share: Vec<Option<f64>>,
    marks: Vec<Mark>,
    /// Whether some workload may wait for owned capacity (README Q1–Q6).
    waits: bool,
}

/// Points of the curve drawn: every hour would add nothing visible to a monotone curve.
const LDC_POINTS: usize = 1000;

impl<'a> LoadDuration<'a> {
    fn new(run: &'a Run) -> Self {
        let input = &run.input;
        let months: Vec<model::MonthDemand> =
            model::demand_curves(input).into_iter().take(12).collect();
        // The profiles' hours with each month's demand factor (M1), and the trace jobs' as
        // they arrive (T3).
        let jobs = model::trace::arrival_load(input, months.len() * HOURS_PER_MONTH);
        let factors = model::monthly_growth(input.demand_growth_per_year, months.len())
            .map(|g| input.demand_scale * g);
        let hourly: Vec<f64> = months
            .iter()
            .zip(factors)
            .flat_map(|(m, f)| m.hourly_total().iter().map(move |l| f * l))
            .zip(jobs.iter().chain(std::iter::repeat(&0.0)))
            .map(|(l, j)| l + j)
            .collect();
        let total: f64 = hourly.iter().sum();
        // Each hour within the capacity installed in its month (a refresh to other hardware
        // within the first year changes it, G1).
        let served_share = run
            .output
            .options
            .iter()
            .map(|o| {
                let served: f64 = hourly
                    .chunks(HOURS_PER_MONTH)
                    .enumerate()
                    .map(|(m, hours)| {
                        let c = capacity_in_month(o, m);
                        hours.iter().map(|l| l.min(c)).sum::<f64>()
                    })
                    .sum();
                (total > 0.0).then(|| served / total)
            })
            .collect();
        let mut sorted = hourly;
        sorted.sort_by(|a, b| b.total_cmp(a));
        LoadDuration {
            run,
            sorted,
            served_share,
            marks: Mark::all(run),
            waits: run.input.has_waits(),
        }
    }

    fn hours(&self) -> usize {
        self.sorted.len()
    }
}

impl Spec for LoadDuration<'_> {
    fn name(&self) -> &'static str {
        "load-duration"
    }
    fn title(&self) -> String {
        format!(
            "Load-duration curve of the first {} months",
            self.hours() / HOURS_PER_MONTH
        )
    }
    fn caption(&self) -> String {
        let cloud_only: Vec<String> = self
            .run
            .output
            .options
            .iter()
            .zip(&self.marks)
            .filter(|(o, _)| o.owned_capacity_ref_gpus <= 0.0)
            .map(|(o, m)| m.label(&o.name))
            .collect();
        let mut s = if self.waits {
            "Every hour of the first year sorted from the highest load; the load under an option's capacity line is served by its owned GPUs in its hour, the load above it waits for a free hour (work that may wait), bursts to the cloud or is unmet; the share in the legend is the load served in its hour.".to_string()
        } else {
            "Every hour of the first year sorted from the highest load; the load under an option's capacity line is served by its owned GPUs, the load above it bursts to the cloud or is unmet.".to_string()
        };
        if !cloud_only.is_empty() {
            s.push_str(&format!(" No owned capacity: {}.", cloud_only.join(", ")));
        }
        let n_months = self.hours() / HOURS_PER_MONTH;
        if self
            .run
            .output
            .options
            .iter()
            .any(|o| o.purchases.iter().skip(1).any(|p| p.month <= n_months))
        {
            s.push_str(" Where a refresh installs other hardware within these months, the line is the first purchase's capacity, the legend gives the later ones with their month, and the share counts each hour within the capacity of its month.");
        }
        s.push_str(&marks_caption(&self.marks, "Dashed capacity lines"));
        s
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let opts = &self.run.output.options;
        let n_months = self.hours() / HOURS_PER_MONTH;
        let mut legend = vec![("Hourly demand".to_string(), Swatch::Box(TOL_MUTED[9]))];
        let serves = if self.waits {
            "serves in its hour"
        } else {
            "serves"
        };
        for (k, o) in opts.iter().enumerate() {
            if o.owned_capacity_ref_gpus > 0.0 {
                let mark = self.marks[k];
                let share = match self.served_share[k] {
                    Some(share) => format!("{serves} {:.1}%", share * 100.0),
                    None => "no demand to serve".to_string(),
                };
                let mut label = format!(
                    "{}: {} ref. GPUs, {share}",
                    o.name,
                    quantity(o.owned_capacity_ref_gpus),
                );
                // Purchases of other hardware within the months drawn: the line is the
                // first's, the share counts each hour within its month's capacity.
                let later: Vec<String> = o
                    .purchases
                    .iter()
                    .skip(1)
                    .filter(|p| p.month <= n_months)
                    .map(|p| format!("{} from month {}", quantity(p.capacity_ref_gpus), p.month))
                    .collect();
                if !later.is_empty() {
                    label.push_str(&format!(" ({})", later.join(", ")));
                }
                if let Some(note) = mark.note() {
                    label.push_str(&format!(" ({note})"));
                }
                let c = option_color(k);
                let swatch = if mark.faded() {
                    Swatch::Dashed(c)
                } else {
                    Swatch::Line(c)
                };
                legend.push((label, swatch));
            }
        }
        let plot = frame(root, &self.title(), &legend)?;
        let n = self.hours();
        let peak = self.sorted.first().copied().unwrap_or(0.0);
        let hi = opts
            .iter()
            .map(|o| o.owned_capacity_ref_gpus)
            .fold(peak, f64::max);
        let mut chart = ChartBuilder::on(&plot)
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..n.max(1) as f64, axis(y_range(0.0, hi))?)?;
        mesh!(chart)
            .x_desc("Hours with at least this load [h]")
            .y_desc("Load [reference GPUs]")
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        let step = n.div_ceil(LDC_POINTS).max(1);
        let mut points: Vec<(f64, f64)> = (0..n)
            .step_by(step)
            .map(|h| (h as f64, self.sorted[h]))
            .collect();
        if let Some(last) = self.sorted.last() {
            points.push((n as f64, *last));
        }
        chart.draw_series(AreaSeries::new(points.clone(), 0.0, TOL_MUTED[9].filled()))?;
        chart.draw_series(LineSeries::new(points, INK.stroke_width(2)))?;
        for (k, o) in opts.iter().enumerate() {
            if o.owned_capacity_ref_gpus > 0.0 {
                let c = o.owned_capacity_ref_gpus;
                let line = vec![(0.0, c), (n as f64, c)];
                option_line(&mut chart, line, option_color(k), self.marks[k])?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------

/// Energy and carbon over the horizon per option, two panels of bars.
struct EnergyCarbon<'a> {
    run: &'a Run,
    marks: Vec<Mark>,
    labels: layout::SlotLabels,
    /// Font size of the values written over the bars; none where they would not fit.
    value_size: Option<u32>,
}

/// Margin and width of the y labels of each panel of the energy and carbon chart [px].
const ENERGY_MARGIN: u32 = 12;
const ENERGY_Y_LABELS: u32 = 80;

impl<'a> EnergyCarbon<'a> {
    fn new(run: &'a Run) -> Self {
        let marks = Mark::all(run);
        let opts = &run.output.options;
        let slot = slot_width(SIZE.0 / 2, ENERGY_MARGIN, ENERGY_Y_LABELS, opts.len());
        let values: Vec<String> = opts
            .iter()
            .flat_map(|o| [quantity(o.energy_kwh / 1000.0), quantity(o.co2_t)])
            .collect();
        let value_size = (10..=14).rev().find(|size| {
            values
                .iter()
                .all(|v| text_width(v, *size) + layout::SLOT_PAD <= slot)
        });
        EnergyCarbon {
            run,
            labels: option_slot_labels(run, &marks, slot, 14),
            marks,
            value_size,
        }
    }
}

impl Spec for EnergyCarbon<'_> {
    fn name(&self) -> &'static str {
        "energy-carbon"
    }
    fn title(&self) -> String {
        format!(
            "Energy and carbon over {} months",
            self.run.input.horizon_months
        )
    }
    fn caption(&self) -> String {
        let mut s = "Electricity drawn by each option (owned servers with the site's PUE, cloud GPUs with the host share and cloud PUE) and the carbon it emits at the grid's intensity.".to_string();
        s.push_str(&marks_caption(&self.marks, "Faded, hatched bars"));
        s.push_str(&keyed_caption(&self.labels));
        s
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let legend: Vec<(String, Swatch)> = self
            .run
            .output
            .options
            .iter()
            .zip(&self.marks)
            .enumerate()
            .map(|(k, (o, m))| {
                let c = option_color(k);
                let label = if self.labels.keyed {
                    format!("{}: {}", layout::key(k), m.label(&o.name))
                } else {
                    m.label(&o.name)
                };
                let swatch = if m.faded() {
                    Swatch::Hatched(c)
                } else {
                    Swatch::Box(c)
                };
                (label, swatch)
            })
            .collect();
        let plot = frame(root, &self.title(), &legend)?;
        let (w, _) = plot.dim_in_pixel();
        let (left, right) = plot.split_horizontally(w / 2);
        let opts = &self.run.output.options;
        let panels: [(&str, &str, OptionValue, &DrawingArea<DB, Shift>); 2] = [
            ("Energy", "Energy [MWh]", |o| o.energy_kwh / 1000.0, &left),
            ("Carbon", "Carbon [tCO2]", |o| o.co2_t, &right),
        ];
        for (panel, desc, value, area) in panels {
            let hi = opts.iter().map(value).fold(0.0, f64::max);
            let mut chart = ChartBuilder::on(area)
                .caption(panel, font(18))
                .margin(ENERGY_MARGIN)
                .x_label_area_size(x_label_area(&self.labels, ENERGY_X_LABELS))
                .y_label_area_size(ENERGY_Y_LABELS)
                .build_cartesian_2d(slots_range(opts.len()), axis(y_range(0.0, hi))?)?;
            mesh!(chart)
                .disable_x_mesh()
                .x_labels(0)
                .y_desc(desc)
                .y_label_formatter(&|v| tick(*v))
                .draw()?;
            for (k, o) in opts.iter().enumerate() {
                let v = value(o);
                let (mark, colour) = (self.marks[k], option_color(k));
                chart.draw_series(std::iter::once(bar(k, 0.25, 0.0, v, mark.fill(colour))))?;
                if mark.faded() {
                    hatch(
                        area,
                        &chart,
                        bar_corner(k, 0.25, 0.0),
                        bar_corner(k, -0.25, v),
                        colour,
                    )?;
                }
                if let Some(size) = self.value_size {
                    let (px, py) = chart.backend_coord(&(k as f64, v));
                    let (bx, by) = area.get_base_pixel();
                    area.draw(&Text::new(
                        quantity(v),
                        (px - bx, py - by - 4),
                        font(size).pos(Pos::new(HPos::Center, VPos::Bottom)),
                    ))?;
                }
            }
            slot_labels(area, &chart, &self.labels, 0.0)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The owned-capacity line of the demand chart steps where a refresh installs other
    /// hardware, and never lies below what the owned GPUs served in a month: checked month by
    /// month on the generations example, whose refreshes buy newer servers.
    #[test]
    fn capacity_line_steps_at_each_refresh_and_bounds_the_served_work() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/gpu-generations.toml"
        );
        let source = crate::scenario::Source::read(std::path::Path::new(path)).expect("reads");
        let catalog = crate::catalog::Catalog::builtin().expect("built-in catalogs");
        let resolved = crate::scenario::resolve(&source, &catalog).expect("resolves");
        let output = model::simulate(&resolved.input);
        let h = resolved.input.horizon_months;
        let o = output
            .options
            .iter()
            .find(|o| o.name == "own-refresh-3-years")
            .expect("the refreshing option");
        assert!(o.purchases.len() >= 2, "{:?}", o.purchases);
        let points = capacity_steps(o, h);
        // Segments of two points each, end to end over the horizon.
        assert_eq!(points.first().map(|p| p.0), Some(0.0));
        assert_eq!(points.last().map(|p| p.0), Some(h as f64));
        for pair in points.chunks(2).collect::<Vec<_>>().windows(2) {
            assert_eq!(pair[0][1].0, pair[1][0].0, "segments meet");
        }
        let at = |x: f64| {
            points
                .chunks(2)
                .find(|s| s[0].0 <= x && x < s[1].0)
                .map(|s| s[0].1)
                .expect("a segment covers every month")
        };
        // The capacity of each purchase from its month (1-based) on, never below what the
        // owned GPUs served.
        for (m, row) in o.months.iter().enumerate() {
            let installed = o
                .purchases
                .iter()
                .rev()
                .find(|p| p.month <= m + 1)
                .expect("a purchase installed");
            let line = at(m as f64 + 0.5);
            assert_eq!(
                line,
                installed.capacity_ref_gpus * HOURS_PER_MONTH as f64,
                "month {m}"
            );
            assert!(
                row.served_onprem_gpu_hours <= line * (1.0 + 1e-12),
                "month {m}: served {} above the line {line}",
                row.served_onprem_gpu_hours
            );
        }
        // The steps are needed: in some refresh month the owned GPUs serve more than the
        // hardware before could have.
        assert!(o.purchases.windows(2).any(|p| {
            o.months[p[1].month - 1].served_onprem_gpu_hours
                > p[0].capacity_ref_gpus * HOURS_PER_MONTH as f64
        }));
    }

    /// Without any demand the load-duration chart gives no share (it once showed "serves
    /// 0.0%" beside a verdict that every option serves its demand).
    #[test]
    fn load_duration_without_demand_says_so_instead_of_a_share() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/inference-fleet.toml"
        );
        let mut source = crate::scenario::Source::read(std::path::Path::new(path)).expect("reads");
        for hours in ["gpu_hours_per_month = 45000", "gpu_hours_per_month = 6000"] {
            assert!(source.text.contains(hours), "{hours}");
            source.text = source.text.replace(hours, "gpu_hours_per_month = 0");
        }
        let catalog = crate::catalog::Catalog::builtin().expect("built-in catalogs");
        let run = crate::run::simulate(&source, &catalog).expect("simulates");
        let chart = LoadDuration::new(&run);
        assert!(chart.served_share.iter().all(Option::is_none));
        register_bundled_font().expect("font");
        let svg = render(&chart).expect("renders").svg;
        assert_eq!(
            svg.matches("no demand to serve").count(),
            3,
            "the owning options"
        );
        assert!(!svg.contains('%'), "no share");
    }

    /// With a refresh to other hardware inside the first year, the load-duration chart's
    /// share counts each hour within its own month's capacity: between the shares of the first
    /// and of the larger later capacity, and different from the first alone.
    #[test]
    fn load_duration_share_follows_a_refresh_within_the_first_year() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/gpu-generations.toml"
        );
        let mut source = crate::scenario::Source::read(std::path::Path::new(path)).expect("reads");
        let every = "every_years = 3, to = \"best\"";
        assert!(source.text.contains(every));
        // Three times the demand, so that the first purchase does not serve it all.
        source.text = format!(
            "demand_scale = 3.0\n{}",
            source
                .text
                .replace(every, "every_years = 0.5, to = \"best\"")
        );
        let catalog = crate::catalog::Catalog::builtin().expect("built-in catalogs");
        let run = crate::run::simulate(&source, &catalog).expect("simulates");
        let chart = LoadDuration::new(&run);
        let k = run
            .output
            .options
            .iter()
            .position(|o| o.name == "own-refresh-3-years")
            .expect("the refreshing option");
        let o = &run.output.options[k];
        let first = o.purchases[0].capacity_ref_gpus;
        let second = o.purchases[1].capacity_ref_gpus;
        assert_eq!(o.purchases[1].month, 7);
        assert!(second > first);
        // The chart's hours are in time order before sorting; recompute from the sorted hours
        // the shares of one capacity held all year.
        let total: f64 = chart.sorted.iter().sum();
        let share = |c: f64| chart.sorted.iter().map(|l| l.min(c)).sum::<f64>() / total;
        let s = chart.served_share[k].expect("demand");
        assert!(
            share(first) < share(second),
            "{} {}",
            share(first),
            share(second)
        );
        assert!(
            s > share(first) + 1e-6 && s < share(second) - 1e-6,
            "{s} not between {} and {}",
            share(first),
            share(second)
        );
    }

    #[test]
    fn axes_are_finite_and_never_degenerate() {
        type E = std::io::Error;
        assert!(axis::<E>(f64::NAN..1.0).is_err());
        assert!(axis::<E>(0.0..f64::INFINITY).is_err());
        assert!(axis::<E>(-f64::MAX..f64::MAX).is_err());
        assert_eq!(axis::<E>(0.0..10.0).ok(), Some(0.0..10.0));
        let r = axis::<E>(1e15..1e15).ok().unwrap();
        assert!(r.start < 1e15 && r.end > 1e15 && r.end - r.start >= 1e6);
        let r = axis::<E>(0.0..0.0).ok().unwrap();
        assert!(r.end > r.start);
    }

    #[test]
    fn tick_labels_use_suffixes_and_separators() {
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(1500.0), "1,500");
        assert_eq!(tick(25_000.0), "25k");
        assert_eq!(tick(12_500.0), "12.5k");
        assert_eq!(tick(2_000_000.0), "2M");
        assert_eq!(tick(-1_250_000.0), "-1.25M");
        assert_eq!(tick(3_400_000_000.0), "3.4B");
        assert_eq!(tick(2e11), "200B");
        assert_eq!(tick(1.25e12), "1.25T");
        assert_eq!(tick(-999e12), "-999T");
        assert_eq!(tick(1e15), "1e15");
        assert_eq!(tick(2.5e20), "2.5e20");
        assert_eq!(tick(-1.234e40), "-1.23e40");
        // Ticks close together far up read apart.
        assert_eq!(fine_tick(1.0002e18, 1e15), "1.0002e18");
        assert_eq!(fine_tick(1.915870565e16, 1e15), "1.92e16");
        assert_eq!(fine_tick(1.9158e13, 1e10), "19.158T");
    }

    #[test]
    fn month_axes_tick_whole_months() {
        use plotters::coord::ranged1d::{KeyPointHint, Ranged};
        // Up to 8 months every month is ticked, from 9 on a whole number of months apart.
        let ticks = |h: usize| {
            let axis: RangedCoordf64 = (0f64..h as f64).into();
            axis.key_points(month_ticks(h).max_num_points())
        };
        for h in 1..=8 {
            let months: Vec<f64> = (0..=h).map(|m| m as f64).collect();
            assert_eq!(ticks(h), months, "{h} months");
        }
        assert_eq!(ticks(12), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]);
        for h in [9, 10, 24, 36, 60, 120, 240] {
            assert!(ticks(h).iter().all(|t| t.fract() == 0.0), "{h} months");
        }
        // A tick at a fraction of a month has no label.
        assert_eq!(month_tick(&3.0), "3");
        assert_eq!(month_tick(&0.5), "");
    }

    #[test]
    fn fine_ticks_tell_close_values_apart() {
        assert_eq!(fine_tick(11_002_000.0, 10_000.0), "11.002M");
        assert_eq!(fine_tick(11_000_000.0, 10_000.0), "11M");
        assert_eq!(fine_tick(1_500.5, 2.0), "1500.5");
        // Wide enough spans read exactly as `tick`.
        for (v, span) in [
            (12_500_000.0, 5e6),
            (25_000.0, 1e5),
            (1_500.0, 1e3),
            (2.5, 10.0),
        ] {
            assert_eq!(fine_tick(v, span), tick(v));
        }
        assert_eq!(fine_tick(3.0, 0.0), tick(3.0));
        assert_eq!(fine_tick(3.0, f64::NAN), tick(3.0));
    }

    #[test]
    fn options_keep_distinct_colours_up_to_eight() {
        let colours: std::collections::BTreeSet<(u8, u8, u8)> =
            (0..8).map(|i| option_color(i).rgb()).collect();
        assert_eq!(colours.len(), 8);
        assert_eq!(option_color(0).rgb(), option_color(8).rgb());
    }

    /// CIE 1976 L*a*b* of an sRGB colour (IEC 61966-2-1 transfer and matrix, D65 white), after the linear
    /// RGB has been passed through `cvd`, a Machado et al. (2009) matrix, clamped to [0, 1].
    fn lab(c: RGBColor, cvd: Option<&[[f64; 3]; 3]>) -> [f64; 3] {
        let lin = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        let rgb = [lin(c.0), lin(c.1), lin(c.2)];
        let rgb = match cvd {
            None => rgb,
            Some(m) => {
                m.map(|row| (row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2]).clamp(0.0, 1.0))
            }
        };
        let x = 0.4124564 * rgb[0] + 0.3575761 * rgb[1] + 0.1804375 * rgb[2];
        let y = 0.2126729 * rgb[0] + 0.7151522 * rgb[1] + 0.0721750 * rgb[2];
        let z = 0.0193339 * rgb[0] + 0.1191920 * rgb[1] + 0.9503041 * rgb[2];
        let f = |t: f64| {
            if t > 216.0 / 24389.0 {
                t.cbrt()
            } else {
                (24389.0 / 27.0 * t + 16.0) / 116.0
            }
        };
        let (fx, fy, fz) = (f(x / 0.95047), f(y), f(z / 1.08883));
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }

    /// Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
    const PROTANOPIA: [[f64; 3]; 3] = [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ];
    const DEUTERANOPIA: [[f64; 3]; 3] = [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ];
    const TRITANOPIA: [[f64; 3]; 3] = [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ];

    /// The smallest CIE76 ΔE between two of `colours` as seen with `cvd`, and the pair.
    fn closest(colours: &[(&str, RGBColor)], cvd: Option<&[[f64; 3]; 3]>) -> (f64, String) {
        let mut best = (f64::INFINITY, String::new());
        for (i, (a, ca)) in colours.iter().enumerate() {
            for (b, cb) in &colours[i + 1..] {
                let (la, lb) = (lab(*ca, cvd), lab(*cb, cvd));
                let de = la
                    .iter()
                    .zip(&lb)
                    .map(|(p, q)| (p - q).powi(2))
                    .sum::<f64>()
                    .sqrt();
                if de < best.0 {
                    best = (de, format!("{a} and {b}"));
                }
            }
        }
        best
    }

    #[test]
    fn colour_differences_match_reference_values() {
        // sRGB white and black are 100 apart in L*; pure red is L* 53.24, a* 80.09, b* 67.20
        // (Lindbloom's calculator, D65).
        let white = lab(WHITE, None);
        assert!((white[0] - 100.0).abs() < 0.01 && white[1].abs() < 0.01 && white[2].abs() < 0.01);
        let red = lab(RGBColor(255, 0, 0), None);
        for (got, want) in red.iter().zip([53.24, 80.09, 67.20]) {
            assert!((got - want).abs() < 0.05, "{red:?}");
        }
        // A protanope cannot tell a red from the olive of the same lightness nearly as well.
        let pair = [
            ("red", RGBColor(0xCC, 0x33, 0x11)),
            ("olive", RGBColor(0x77, 0x66, 0x00)),
        ];
        assert!(closest(&pair, Some(&PROTANOPIA)).0 < closest(&pair, None).0 / 2.0);
    }

    /// Least colour differences of the categories [ΔE, CIE76]: 20 is clearly distinct at a
    /// glance, and 13.5 what fifteen colours allow under the strongest colour-vision
    /// deficiencies (the closest pair for protanopes, financing and cloud committed, are 13.9).
    const MIN_DELTA_E_NORMAL: f64 = 20.0;
    const MIN_DELTA_E_CVD: f64 = 13.5;

    #[test]
    fn category_colours_stay_apart_for_every_vision() {
        let colours: Vec<(&str, RGBColor)> = Category::ALL
            .iter()
            .map(|c| (c.label(), category_color(*c)))
            .collect();
        assert_eq!(colours.len(), 15);
        let (de, pair) = closest(&colours, None);
        assert!(de >= MIN_DELTA_E_NORMAL, "{pair}: ΔE {de:.1}");
        for (name, m) in [
            ("protanopia", &PROTANOPIA),
            ("deuteranopia", &DEUTERANOPIA),
            ("tritanopia", &TRITANOPIA),
        ] {
            let (de, pair) = closest(&colours, Some(m));
            assert!(de >= MIN_DELTA_E_CVD, "{name}: {pair}: ΔE {de:.1}");
        }
        // The pairs the issue names as near-identical before.
        for (a, b) in [
            (Category::CloudSpot, Category::CloudOnDemand),
            (Category::Storage, Category::Egress),
        ] {
            let pair = [("a", category_color(a)), ("b", category_color(b))];
            for m in [
                None,
                Some(&PROTANOPIA),
                Some(&DEUTERANOPIA),
                Some(&TRITANOPIA),
            ] {
                assert!(closest(&pair, m).0 >= 30.0, "{a:?} and {b:?}");
            }
        }
        // No category takes an option's colour.
        for k in 0..8 {
            assert!(
                colours
                    .iter()
                    .all(|(_, c)| c.rgb() != option_color(k).rgb())
            );
        }
    }

    #[test]
    fn demand_flows_stay_apart_for_every_vision() {
        let flows = [
            ("served on-prem", SERVED_ONPREM),
            ("served after waiting", SERVED_AFTER_WAIT),
            ("served by cloud", SERVED_CLOUD),
            ("unmet", UNMET),
        ];
        for m in [
            None,
            Some(&PROTANOPIA),
            Some(&DEUTERANOPIA),
            Some(&TRITANOPIA),
        ] {
            let (de, pair) = closest(&flows, m);
            assert!(de >= MIN_DELTA_E_NORMAL, "{pair}: ΔE {de:.1}");
        }
    }

    fn registered() {
        register_bundled_font().expect("the bundled font registers");
    }

    #[test]
    fn long_titles_wrap_within_the_chart_in_the_bundled_font() {
        registered();
        let title = format!(
            "Sensitivity of {}'s PV cost to each uncertain input ({} leaves 60% unmet)",
            "hybrid-l40s-12-burst-coreweave-frankfurt", "hybrid-l40s-12-burst-coreweave-frankfurt"
        );
        let room = SIZE.0 - 2 * TITLE_MARGIN;
        assert!(text_width(&title, 24) > room, "the case wraps");
        let lines = layout::wrap(&title, room, 24, &text_width);
        assert!(lines.len() >= 2);
        for line in &lines {
            assert!(text_width(line, 24) <= room, "{line}");
        }
        let letters = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(letters(&lines.concat()), letters(&title), "nothing is lost");
        // A panel title of a third of the chart wraps likewise.
        let name = "aws-l40s-committed-us-east-2 (leaves 9.3% unmet, unserved work priced in)";
        let panel = SIZE.0 / 3 - 20;
        for line in layout::wrap(name, panel, 17, &text_width) {
            assert!(text_width(&line, 17) <= panel, "{line}");
        }
    }

    #[test]
    fn legend_entries_of_eight_long_names_do_not_overlap_in_the_bundled_font() {
        registered();
        let labels: Vec<String> = (0..8)
            .map(|k| format!("hybrid-l40s-{k}-burst-coreweave-frankfurt (leaves 60% unmet)"))
            .chain(["Band: P10 to P90, line: median".to_string()])
            .collect();
        let width = SIZE.0 as i32 - 40;
        let extra = SWATCH + 8 + 28;
        let (placed, rows) = layout::legend(&labels, width, extra, 16, &text_width);
        assert!(rows >= 3);
        // Each entry: its swatch and text from x to x + extra - 28 + text width, one row per line.
        let boxes: Vec<(i32, i32, usize, usize)> = placed
            .iter()
            .map(|p| {
                let widest = p.lines.iter().map(|l| text_width(l, 16)).max().unwrap_or(0);
                (
                    p.x,
                    p.x + extra - 28 + widest as i32,
                    p.row,
                    p.row + p.lines.len(),
                )
            })
            .collect();
        for (i, a) in boxes.iter().enumerate() {
            assert!(a.1 <= 20 + width, "entry {i} runs past the band: {a:?}");
            for b in &boxes[i + 1..] {
                let apart = a.1 <= b.0 || b.1 <= a.0 || a.3 <= b.2 || b.3 <= a.2;
                assert!(apart, "{a:?} and {b:?} overlap");
            }
        }
    }

    #[test]
    fn names_under_eight_bars_never_run_into_each_other_in_the_bundled_font() {
        registered();
        let names: Vec<(String, Option<String>)> = (0..8)
            .map(|k| {
                let note = (k == 0).then(|| "leaves 60% unmet".to_string());
                (format!("hybrid-l40s-{k}-burst-coreweave-fra"), note)
            })
            .collect();
        for (width, margin, y_labels, largest) in [
            (SIZE.0, BREAKDOWN_MARGIN, BREAKDOWN_Y_LABELS, 16),
            (SIZE.0 / 2, ENERGY_MARGIN, ENERGY_Y_LABELS, 14),
        ] {
            let slot = slot_width(width, margin, y_labels, names.len());
            let l = layout::slot_labels(&names, slot, largest, &text_width);
            for line in l.lines.iter().flatten() {
                assert!(
                    text_width(line, l.size) + layout::SLOT_PAD <= slot,
                    "{line}"
                );
            }
            if !l.keyed {
                for (lines, (name, _)) in l.lines.iter().zip(&names) {
                    assert!(lines.concat().starts_with(name.as_str()), "{lines:?}");
                }
            }
        }
    }
}

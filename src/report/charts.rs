//! The charts of `tcosim report`, drawn with plotters, each as SVG (text stays text) and PNG.
//!
//! Rendering is pure: a [`Run`] in, strings and bytes out. Text is measured and, in PNGs, drawn
//! with the bundled DejaVu Sans (`assets/fonts/`, Bitstream Vera licence) through plotters'
//! `ab_glyph` path, so charts render the same on a machine without any system font. Every chart
//! draws its legend in a band below the plot, so the legend never hides data, and every option
//! keeps one colour of the Okabe–Ito palette across all charts.

use super::folder::Analyses;
use crate::model::{self, Category, OptionResult};
use crate::report::{money, quantity};
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
const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);

/// The colour of the option at `index` (scenario order), the same in every chart.
pub fn option_color(index: usize) -> RGBColor {
    OKABE_ITO[index % OKABE_ITO.len()]
}

/// The colour of a cost category in the breakdown chart.
fn category_color(cat: Category) -> RGBColor {
    match cat {
        Category::Hardware => TOL_MUTED[0],
        Category::Financing => TOL_MUTED[8],
        Category::ResidualValue => TOL_MUTED[9],
        Category::Lease => TOL_MUTED[7],
        Category::Energy => TOL_MUTED[5],
        Category::Colocation => TOL_MUTED[4],
        Category::Staff => TOL_MUTED[3],
        Category::Support => TOL_MUTED[2],
        Category::Software => TOL_MUTED[6],
        Category::CloudCommitted => RGBColor(0x1F, 0x4E, 0x79),
        Category::CloudOnDemand => TOL_MUTED[1],
        Category::CloudSpot => RGBColor(0xB5, 0xE3, 0xF5),
        Category::Storage => RGBColor(0x77, 0x77, 0x77),
        Category::Egress => RGBColor(0xAA, 0xAA, 0xAA),
        Category::Unserved => UNMET,
    }
}

const SERVED_ONPREM: RGBColor = TOL_MUTED[0];
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

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart that can draw itself on any plotters backend.
trait Spec {
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

/// A tick label: thousands separators below 10,000, then k and M suffixes.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if a >= 1e9 {
        format!("{}B", trim(format!("{:.2}", v / 1e9)))
    } else if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", v / 1e6)))
    } else if a >= 1e4 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a >= 10.0 || a == 0.0 {
        money(v)
    } else {
        trim(format!("{v:.2}"))
    }
}

fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&INK)
}

/// Draws the title and splits off a legend band at the bottom; returns the plot area.
fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[(String, Swatch)],
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let body = root.titled(title, font(24))?;
    let rows = legend_rows(&body, legend)?;
    let band = if rows.is_empty() {
        0
    } else {
        rows.len() as u32 * LEGEND_ROW + 12
    };
    let (_, h) = body.dim_in_pixel();
    let (plot, band_area) = body.split_vertically(h.saturating_sub(band));
    for (r, row) in rows.iter().enumerate() {
        let y = 6 + r as i32 * LEGEND_ROW as i32;
        for (x, i) in row {
            let (label, swatch) = &legend[*i];
            let mid = y + LEGEND_ROW as i32 / 2;
            match swatch {
                Swatch::Box(c) => band_area.draw(&Rectangle::new(
                    [(*x, mid - 7), (*x + SWATCH, mid + 7)],
                    c.filled(),
                ))?,
                Swatch::Line(c) => band_area.draw(&PathElement::new(
                    vec![(*x, mid), (*x + SWATCH, mid)],
                    c.stroke_width(3),
                ))?,
                Swatch::Dashed(c) => {
                    for k in 0..3 {
                        let x0 = *x + k * 10;
                        band_area.draw(&PathElement::new(
                            vec![(x0, mid), (x0 + 6, mid)],
                            c.stroke_width(3),
                        ))?;
                    }
                }
                Swatch::Band(c) => {
                    band_area.draw(&Rectangle::new(
                        [(*x, mid - 8), (*x + SWATCH, mid + 8)],
                        c.mix(BAND_ALPHA).filled(),
                    ))?;
                    band_area.draw(&PathElement::new(
                        vec![(*x, mid), (*x + SWATCH, mid)],
                        c.stroke_width(3),
                    ))?;
                }
                Swatch::Dot(c) => {
                    band_area.draw(&Circle::new((*x + SWATCH / 2, mid), 6, c.filled()))?
                }
                Swatch::Ring(c) => {
                    band_area.draw(&Circle::new((*x + SWATCH / 2, mid), 6, c.stroke_width(2)))?
                }
            }
            band_area.draw(&Text::new(
                label.clone(),
                (*x + SWATCH + 8, mid - 8),
                font(16),
            ))?;
        }
    }
    Ok(plot)
}

const LEGEND_ROW: u32 = 26;
const SWATCH: i32 = 26;

/// Opacity of the P10–P90 bands of the fan chart (and of their legend swatches).
const BAND_ALPHA: f64 = 0.18;

#[derive(Debug, Clone, Copy)]
enum Swatch {
    Box(RGBColor),
    Line(RGBColor),
    Dashed(RGBColor),
    /// A translucent band with its median line (fan chart).
    Band(RGBColor),
    /// A filled marker.
    Dot(RGBColor),
    /// A hollow marker.
    Ring(RGBColor),
}

type LegendRows = Vec<Vec<(i32, usize)>>;

/// Flows legend entries left to right into rows that fit the width.
fn legend_rows<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    legend: &[(String, Swatch)],
) -> Result<LegendRows, DrawingAreaErrorKind<DB::ErrorType>> {
    let width = area.dim_in_pixel().0 as i32 - 40;
    let mut rows: LegendRows = Vec::new();
    let mut x = 0;
    for (i, (label, _)) in legend.iter().enumerate() {
        let (tw, _) = area.estimate_text_size(label, &font(16))?;
        let w = SWATCH + 8 + tw as i32 + 28;
        if rows.is_empty() || (x + w > width && x > 0) {
            rows.push(Vec::new());
            x = 0;
        }
        if let Some(row) = rows.last_mut() {
            row.push((20 + x, i));
        }
        x += w;
    }
    Ok(rows)
}

fn options_legend(run: &Run) -> Vec<(String, Swatch)> {
    run.output
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| (o.name.clone(), Swatch::Line(option_color(i))))
        .collect()
}

/// An axis range plotters can draw: both ends finite, widened to a relative span of at least
/// 1e-9 around its centre (a narrower one has no distinct tick values). A range that is not
/// finite is an error rather than a chart: plotters would spin on it.
fn axis<E: std::error::Error + Send + Sync>(
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
fn y_range(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let lo = lo.min(0.0);
    let hi = hi.max(0.0);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let lo = if lo < 0.0 { lo - 0.08 * span } else { 0.0 };
    lo..hi + 0.08 * span
}

/// The mesh of every chart: light grid, house fonts.
macro_rules! mesh {
    ($chart:expr) => {
        $chart
            .configure_mesh()
            .label_style(font(14))
            .axis_desc_style(font(16))
            .light_line_style(WHITE)
            .bold_line_style(GRID)
    };
}

// The charts of the uncertainty analyses, in `charts/risk.rs`.
mod risk;

// ---------------------------------------------------------------------------------------------

/// Cumulative cost per option, nominal and present value, in two panels.
struct Cumulative<'a> {
    run: &'a Run,
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
                    let n = nom[m] + r.cash_out();
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
        Cumulative { run, series }
    }
}

impl Spec for Cumulative<'_> {
    fn name(&self) -> &'static str {
        "cumulative-cost"
    }
    fn title(&self) -> String {
        "Cumulative cost per option".into()
    }
    fn caption(&self) -> String {
        format!(
            "Cash paid by each option month after month, nominal (left) and discounted at {:.1}% per year (right); the last points are the total and PV cost of the summary.",
            self.run.input.discount_rate * 100.0
        )
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let plot = frame(root, &self.title(), &options_legend(self.run))?;
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
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| tick(*v))
                .draw()?;
            for (k, (nom, pvs)) in self.series.iter().enumerate() {
                let ys = if pv { pvs } else { nom };
                chart.draw_series(LineSeries::new(
                    ys.iter().enumerate().map(|(m, y)| (m as f64, *y)),
                    option_color(k).stroke_width(3),
                ))?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------

/// Nominal cost per category, stacked per option; resale value stacks below zero.
struct Breakdown<'a> {
    run: &'a Run,
    categories: Vec<Category>,
}

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
        Breakdown { run, categories }
    }
}

impl Spec for Breakdown<'_> {
    fn name(&self) -> &'static str {
        "cost-breakdown"
    }
    fn title(&self) -> String {
        format!(
            "Cost by category over {} months (nominal)",
            self.run.input.horizon_months
        )
    }
    fn caption(&self) -> String {
        "Where each option's money goes over the horizon, by category; resale value is negative and stacks below zero, and the black tick marks the net total.".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let mut legend: Vec<(String, Swatch)> = self
            .categories
            .iter()
            .map(|c| (c.label().to_string(), Swatch::Box(category_color(*c))))
            .collect();
        legend.push(("Net total".into(), Swatch::Line(BLACK)));
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
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(90)
            .build_cartesian_2d(slots_range(opts.len()), yr.clone())?;
        mesh!(chart)
            .disable_x_mesh()
            .x_labels(0)
            .y_desc(format!("Cost [{}]", self.run.input.currency))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        let gap = 0.3;
        for (k, o) in opts.iter().enumerate() {
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
                chart.draw_series(std::iter::once(bar(k, gap, y0, y1, category_color(*c))))?;
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
        slot_labels(&plot, &chart, self.run, yr.start, 16)?;
        Ok(())
    }
}

/// The x range of one slot per option, centred on 0, 1, ... n − 1.
fn slots_range(n: usize) -> std::ops::Range<f64> {
    -0.5..n.max(1) as f64 - 0.5
}

/// A bar centred on slot `k`, `gap` of the slot left free on each side.
fn bar(k: usize, gap: f64, y0: f64, y1: f64, color: RGBColor) -> Rectangle<(f64, f64)> {
    let x = k as f64;
    Rectangle::new([(x - 0.5 + gap, y0), (x + 0.5 - gap, y1)], color.filled())
}

/// Writes each option's name under its slot, in pixels below the x axis, with the largest font
/// size up to `size` at which the names do not run into each other.
fn slot_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    run: &Run,
    y_bottom: f64,
    size: u32,
) -> DrawResult<DB> {
    let opts = &run.output.options;
    let (x0, _) = chart.backend_coord(&(0.0, y_bottom));
    let (x1, _) = chart.backend_coord(&(1.0, y_bottom));
    let slot = (x1 - x0).max(1) as u32;
    let mut size = size;
    while size > 10 {
        let widest = opts
            .iter()
            .map(|o| {
                area.estimate_text_size(&o.name, &font(size))
                    .map(|(w, _)| w)
            })
            .try_fold(0, |m, w| w.map(|w| m.max(w)))?;
        if widest + 8 <= slot {
            break;
        }
        size -= 1;
    }
    let (bx, by) = area.get_base_pixel();
    for (k, o) in opts.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(k as f64, y_bottom));
        area.draw(&Text::new(
            o.name.clone(),
            (px - bx, py - by + 8),
            font(size).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

/// Monthly demand split into served on-prem, served by cloud and unmet, one panel per option,
/// with the owned capacity as a dashed line.
struct DemandCapacity<'a> {
    run: &'a Run,
}

impl<'a> DemandCapacity<'a> {
    fn new(run: &'a Run) -> Self {
        DemandCapacity { run }
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
        "Each month's demand in reference GPU-hours, stacked as served on owned GPUs, served by the cloud (the burst, for a hybrid) and unmet, with the owned capacity as a dashed line.".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let legend = vec![
            ("Served on-prem".to_string(), Swatch::Box(SERVED_ONPREM)),
            (
                "Served by cloud (burst)".to_string(),
                Swatch::Box(SERVED_CLOUD),
            ),
            ("Unmet".to_string(), Swatch::Box(UNMET)),
            (
                "Owned capacity (GPU-h per month)".to_string(),
                Swatch::Dashed(INK),
            ),
        ];
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
            })
            .fold(0.0, f64::max);
        let h = self.run.input.horizon_months;
        for (k, (o, area)) in opts.iter().zip(&panels).enumerate() {
            let colour = option_color(k);
            let title = TextStyle::from((FAMILY, 17).into_font()).color(&colour);
            let mut chart = ChartBuilder::on(area)
                .caption(&o.name, title)
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(0f64..h as f64, axis(y_range(0.0, hi))?)?;
            mesh!(chart)
                .x_desc("Month")
                .y_desc("GPU-hours per month")
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| tick(*v))
                .draw()?;
            let layers: [(RGBColor, MonthValue); 3] = [
                (UNMET, |r| {
                    r.served_onprem_gpu_hours + r.served_cloud_gpu_hours + r.unmet_gpu_hours
                }),
                (SERVED_CLOUD, |r| {
                    r.served_onprem_gpu_hours + r.served_cloud_gpu_hours
                }),
                (SERVED_ONPREM, |r| r.served_onprem_gpu_hours),
            ];
            for (color, top) in layers {
                chart.draw_series(AreaSeries::new(steps(&o.months, top), 0.0, color.filled()))?;
            }
            if o.owned_capacity_ref_gpus > 0.0 {
                let cap = o.owned_capacity_ref_gpus * hours;
                chart.draw_series(DashedLineSeries::new(
                    [(0.0, cap), (h as f64, cap)],
                    10,
                    6,
                    INK.stroke_width(2),
                ))?;
            }
        }
        Ok(())
    }
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
    served_share: Vec<f64>,
}

/// Points of the curve drawn: every hour would add nothing visible to a monotone curve.
const LDC_POINTS: usize = 1000;

impl<'a> LoadDuration<'a> {
    fn new(run: &'a Run) -> Self {
        let months: Vec<model::MonthDemand> = model::demand_curves(&run.input)
            .into_iter()
            .take(12)
            .collect();
        let mut sorted: Vec<f64> = months
            .iter()
            .flat_map(|m| m.total.loads().iter().copied())
            .collect();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let total: f64 = months.iter().map(|m| m.total.total()).sum();
        let served_share = run
            .output
            .options
            .iter()
            .map(|o| {
                let served: f64 = months
                    .iter()
                    .map(|m| m.total.served(o.owned_capacity_ref_gpus))
                    .sum();
                if total > 0.0 { served / total } else { 0.0 }
            })
            .collect();
        LoadDuration {
            run,
            sorted,
            served_share,
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
        let cloud_only: Vec<&str> = self
            .run
            .output
            .options
            .iter()
            .filter(|o| o.owned_capacity_ref_gpus <= 0.0)
            .map(|o| o.name.as_str())
            .collect();
        let mut s = "Every hour of the first year sorted from the highest load; the load under an option's capacity line is served by its owned GPUs, the load above it bursts to the cloud or is unmet.".to_string();
        if !cloud_only.is_empty() {
            s.push_str(&format!(" No owned capacity: {}.", cloud_only.join(", ")));
        }
        s
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let opts = &self.run.output.options;
        let mut legend = vec![("Hourly demand".to_string(), Swatch::Box(TOL_MUTED[9]))];
        for (k, o) in opts.iter().enumerate() {
            if o.owned_capacity_ref_gpus > 0.0 {
                legend.push((
                    format!(
                        "{}: {} ref. GPUs, serves {:.1}%",
                        o.name,
                        quantity(o.owned_capacity_ref_gpus),
                        self.served_share[k] * 100.0
                    ),
                    Swatch::Line(option_color(k)),
                ));
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
                chart.draw_series(LineSeries::new(
                    [(0.0, c), (n as f64, c)],
                    option_color(k).stroke_width(3),
                ))?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------

/// Energy and carbon over the horizon per option, two panels of bars.
struct EnergyCarbon<'a> {
    run: &'a Run,
}

impl<'a> EnergyCarbon<'a> {
    fn new(run: &'a Run) -> Self {
        EnergyCarbon { run }
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
        "Electricity drawn by each option (owned servers with the site's PUE, cloud GPUs with the host share and cloud PUE) and the carbon it emits at the grid's intensity.".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let plot = frame(root, &self.title(), &options_legend(self.run))?;
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
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(80)
                .build_cartesian_2d(slots_range(opts.len()), axis(y_range(0.0, hi))?)?;
            mesh!(chart)
                .disable_x_mesh()
                .x_labels(0)
                .y_desc(desc)
                .y_label_formatter(&|v| tick(*v))
                .draw()?;
            for (k, o) in opts.iter().enumerate() {
                let v = value(o);
                chart.draw_series(std::iter::once(bar(k, 0.25, 0.0, v, option_color(k))))?;
                let (px, py) = chart.backend_coord(&(k as f64, v));
                let (bx, by) = area.get_base_pixel();
                area.draw(&Text::new(
                    quantity(v),
                    (px - bx, py - by - 4),
                    font(14).pos(Pos::new(HPos::Center, VPos::Bottom)),
                ))?;
            }
            slot_labels(area, &chart, self.run, 0.0, 14)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn options_keep_distinct_colours_up_to_eight() {
        let colours: std::collections::BTreeSet<(u8, u8, u8)> =
            (0..8).map(|i| option_color(i).rgb()).collect();
        assert_eq!(colours.len(), 8);
        assert_eq!(option_color(0).rgb(), option_color(8).rgb());
    }
}

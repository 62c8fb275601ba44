//! The charts of the uncertainty analyses: the fan of cumulative cost and the PV cost histograms
//! (Monte Carlo), the tornado (one-at-a-time sensitivity) and the sweep. They share the house
//! style of the deterministic charts: titles, axis labels with units, legends in the band below
//! the plot, and each option in its Okabe–Ito colour.

use super::*;
use crate::montecarlo::engine::MonteCarlo;
use crate::montecarlo::sensitivity::Sensitivity;
use crate::montecarlo::sweep::{Field, Sweep};
use crate::report::money;
use crate::report::{exact_input_value, input_value};

/// The P10 and P90 ends of the tornado's bars (Paul Tol's muted scheme, not option colours).
const AT_P10: RGBColor = TOL_MUTED[1];
const AT_P90: RGBColor = TOL_MUTED[0];

/// Most inputs the tornado shows; the rest swing less and are in the sensitivity table.
const TORNADO_ROWS: usize = 24;

/// A pixel offset from a point given in data coordinates.
fn at<DB: DrawingBackend>(x: f64, y: f64) -> EmptyElement<(f64, f64), DB> {
    EmptyElement::at((x, y))
}

// ---------------------------------------------------------------------------------------------

/// Cumulative nominal cost per option over the samples: P10–P90 band and median.
pub(super) struct Fan<'a> {
    run: &'a Run,
    mc: &'a MonteCarlo,
    marks: Vec<Mark>,
}

impl<'a> Fan<'a> {
    pub(super) fn new(run: &'a Run, mc: &'a MonteCarlo) -> Self {
        Fan {
            run,
            mc,
            marks: Mark::all(run),
        }
    }

    /// Points (month, quantile `q` of cumulative cost) of option `o`, month 0 at zero.
    fn series(&self, o: usize, q: usize) -> Vec<(f64, f64)> {
        std::iter::once((0.0, 0.0))
            .chain(
                self.mc.options[o]
                    .fan
                    .iter()
                    .map(|(m, v)| (*m as f64, v[q])),
            )
            .collect()
    }
}

impl Spec for Fan<'_> {
    fn name(&self) -> &'static str {
        "cost-fan"
    }
    fn title(&self) -> String {
        format!(
            "Cumulative nominal cost under uncertainty ({} samples)",
            quantity(self.mc.samples as f64)
        )
    }
    fn caption(&self) -> String {
        let mut s = format!(
            "Cash paid by each option month after month over {} Monte Carlo samples (seed {}): the line is the median and the shaded band runs from P10 to P90; where bands overlap the options cannot be told apart.",
            quantity(self.mc.samples as f64),
            self.mc.seed
        );
        let marks = marks_caption(&self.marks, "Dashed medians over fainter bands");
        if !marks.is_empty() {
            s.push_str(&marks);
            s.push_str(" Marks follow the deterministic run; the Monte Carlo table gives each option's P(serves demand).");
        }
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
            .map(|(i, (o, m))| {
                let c = option_color(i);
                let swatch = if m.faded() {
                    Swatch::DashedBand(c)
                } else {
                    Swatch::Band(c)
                };
                (m.label(&o.name), swatch)
            })
            .chain(std::iter::once((
                "Band: P10 to P90, line: median".to_string(),
                Swatch::Band(RGBColor(0x77, 0x77, 0x77)),
            )))
            .collect();
        let plot = frame(root, &self.title(), &legend)?;
        let hi = self
            .mc
            .options
            .iter()
            .flat_map(|o| o.fan.iter().map(|(_, v)| v[2]))
            .fold(0.0, f64::max);
        let lo = self
            .mc
            .options
            .iter()
            .flat_map(|o| o.fan.iter().map(|(_, v)| v[0]))
            .fold(0.0, f64::min);
        let h = self.run.input.horizon_months;
        let cur = &self.run.input.currency;
        let mut chart = ChartBuilder::on(&plot)
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(90)
            .build_cartesian_2d(0f64..h as f64, axis(y_range(lo, hi))?)?;
        mesh!(chart)
            .x_desc(format!("Month from {}", self.run.input.start))
            .y_desc(format!("Cumulative nominal cost [{cur}]"))
            .x_labels(month_ticks(h))
            .x_label_formatter(&month_tick)
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        let n = self.mc.options.len();
        let faded = |k: usize| self.marks.get(k).is_some_and(|m| m.faded());
        for k in 0..n {
            let mut band = self.series(k, 0);
            band.extend(self.series(k, 2).into_iter().rev());
            let alpha = if faded(k) {
                FADED_BAND_ALPHA
            } else {
                BAND_ALPHA
            };
            chart.draw_series(std::iter::once(Polygon::new(
                band,
                option_color(k).mix(alpha).filled(),
            )))?;
        }
        for k in 0..n {
            for q in [0, 2] {
                let style = option_color(k).mix(0.7).stroke_width(1);
                if faded(k) {
                    chart.draw_series(DashedLineSeries::new(self.series(k, q), 4, 4, style))?;
                } else {
                    chart.draw_series(LineSeries::new(self.series(k, q), style))?;
                }
            }
        }
        // Medians of options that leave demand unmet first, so the others are drawn on top.
        let order = (0..n)
            .filter(|k| faded(*k))
            .chain((0..n).filter(|k| !faded(*k)));
        for k in order {
            let mark = self.marks.get(k).copied().unwrap_or(Mark::Serves);
            option_line(&mut chart, self.series(k, 1), option_color(k), mark)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------

/// PV cost histograms, one panel per option, each on its own x axis.
pub(super) struct Histograms<'a> {
    run: &'a Run,
    mc: &'a MonteCarlo,
    marks: Vec<Mark>,
    /// Per option: its panel's x range and the width its densities are per, a round number of
    /// currency units (none where all its samples have one value).
    panels: Vec<HistogramAxis>,
}

/// The x axis of one histogram panel.
#[derive(Debug, Clone, Copy, PartialEq)]
struct HistogramAxis {
    range: (f64, f64),
    /// The width densities are per, or `None` where every sample has one value: a single bar
    /// then holds them all and its height is a plain share of samples.
    unit: Option<f64>,
}

impl HistogramAxis {
    /// The axis of bins `(low, high, count)`: their span with 4% room on each side, densities
    /// per 1/40 of the span. Where the bins have no span (every sample the same value, to
    /// within rounding, or within a millionth of a currency unit) the axis is 2% of the value
    /// (at least 0.02) wide around it, with no density unit.
    fn of(bins: &[(f64, f64, u64)]) -> Self {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for (a, b, _) in bins {
            lo = lo.min(*a);
            hi = hi.max(*b);
        }
        if !(lo.is_finite() && hi.is_finite()) {
            (lo, hi) = (0.0, 1.0);
        }
        if hi - lo > 1e-9 * lo.abs().max(hi.abs()) && hi - lo > 1e-6 {
            let span = hi - lo;
            HistogramAxis {
                range: (lo - 0.04 * span, hi + 0.04 * span),
                unit: Some(round_step(span / 40.0)),
            }
        } else {
            let mid = lo / 2.0 + hi / 2.0;
            let half = mid.abs().max(1.0) * 0.01;
            HistogramAxis {
                range: (mid - half, mid + half),
                unit: None,
            }
        }
    }
}

impl<'a> Histograms<'a> {
    pub(super) fn new(run: &'a Run, mc: &'a MonteCarlo) -> Self {
        Histograms {
            run,
            mc,
            marks: Mark::all(run),
            panels: mc
                .options
                .iter()
                .map(|o| HistogramAxis::of(&o.pv_histogram))
                .collect(),
        }
    }
}

/// The smallest of 1, 2 and 5 times a power of ten at or above `raw`.
fn round_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw * (1.0 - 1e-12))
        .unwrap_or(10.0 * p)
}

impl Spec for Histograms<'_> {
    fn name(&self) -> &'static str {
        "pv-histogram"
    }
    fn title(&self) -> String {
        format!(
            "Distribution of PV cost per option ({} samples)",
            quantity(self.mc.samples as f64)
        )
    }
    fn caption(&self) -> String {
        let mut s = format!(
            "How often each option's present-value cost lands in each range over {} samples (bar height is the share of samples per the {} amount on the panel's y axis); the dashed lines mark P10, P50 and P90. Each panel has its own x axis, fitted to that option's spread, so that a narrow distribution shows its shape: compare the tick values, not the positions, across panels.",
            quantity(self.mc.samples as f64),
            self.run.input.currency
        );
        if self.panels.iter().any(|p| p.unit.is_none()) {
            s.push_str(" A panel whose samples all have one PV cost shows a single bar holding all of them, its height a plain share of samples.");
        }
        s.push_str(&marks_caption(&self.marks, "Faded, hatched histograms"));
        s
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let legend = vec![(
            "P10, P50 and P90 of each option".to_string(),
            Swatch::Dashed(INK),
        )];
        let plot = frame(root, &self.title(), &legend)?;
        let opts = &self.mc.options;
        let cols = (opts.len() as f64).sqrt().ceil().max(1.0) as usize;
        let rows = opts.len().div_ceil(cols).max(1);
        let panels = plot.split_evenly((rows, cols));
        let cur = &self.run.input.currency;
        let total = self.mc.samples.max(1) as f64;
        let names = &self.run.output.options;
        for (k, ((o, area), axis_k)) in opts.iter().zip(&panels).zip(&self.panels).enumerate() {
            let colour = option_color(k);
            let mark = self.marks.get(k).copied().unwrap_or(Mark::Serves);
            let (x0, x1) = axis_k.range;
            let bars: Vec<(f64, f64, f64)> = match axis_k.unit {
                // Share of samples per `unit` of PV cost [%], so that unequal bins compare.
                Some(unit) => {
                    let min_width = (x1 - x0) / 300.0;
                    o.pv_histogram
                        .iter()
                        .map(|(a, b, c)| {
                            let w = (b - a).max(min_width);
                            let mid = 0.5 * (a + b);
                            let (a, b) = if b - a < min_width {
                                (mid - w / 2.0, mid + w / 2.0)
                            } else {
                                (*a, *b)
                            };
                            (a, b, *c as f64 / total / w * unit * 100.0)
                        })
                        .collect()
                }
                // Every sample at one value: one bar, a tenth of the axis wide, of their share.
                None => {
                    let count: u64 = o.pv_histogram.iter().map(|b| b.2).sum();
                    let (mid, w) = (x0 / 2.0 + x1 / 2.0, (x1 - x0) / 10.0);
                    vec![(mid - w / 2.0, mid + w / 2.0, count as f64 / total * 100.0)]
                }
            };
            let hi = bars.iter().map(|b| b.2).fold(0.0, f64::max);
            let name = names.get(k).map_or("", |o| o.name.as_str());
            let inner = panel(area, &mark.label(name), colour, 10)?;
            let y_desc = match axis_k.unit {
                Some(unit) => {
                    // Enough decimals that a unit below 1 never reads as 0.
                    let per = fine_tick(unit, 10.0 * unit);
                    vec![
                        format!("% of samples per {cur} {per}"),
                        format!("% per {cur} {per}"),
                    ]
                }
                None => vec![
                    "% of samples (all at one value)".to_string(),
                    "% of samples".to_string(),
                ],
            };
            let y_desc = fit_desc(&y_desc, inner.dim_in_pixel().1.saturating_sub(44));
            let mut chart = ChartBuilder::on(&inner)
                .x_label_area_size(44)
                .y_label_area_size(64)
                .build_cartesian_2d(axis(x0..x1)?, axis(y_range(0.0, hi))?)?;
            mesh!(chart)
                .x_labels(6)
                .x_desc(format!("PV cost [{cur}]"))
                .y_desc(y_desc)
                .x_label_formatter(&|v| fine_tick(*v, x1 - x0))
                .y_label_formatter(&|v| tick(*v))
                .draw()?;
            chart.draw_series(
                bars.iter()
                    .map(|(a, b, h)| Rectangle::new([(*a, 0.0), (*b, *h)], mark.fill(colour))),
            )?;
            if mark.faded() {
                for (a, b, h) in &bars {
                    hatch(&inner, &chart, (*a, 0.0), (*b, *h), colour)?;
                }
            }
            if let Some(m) = o.metrics[0] {
                let top = y_range(0.0, hi).end;
                for q in [m.p10(), m.p50(), m.p90()] {
                    chart.draw_series(DashedLineSeries::new(
                        [(q, 0.0), (q, top)],
                        8,
                        5,
                        INK.stroke_width(1),
                    ))?;
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------

/// The tornado: each input's P10-to-P90 swing of the focus option's PV cost.
pub(super) struct Tornado<'a> {
    run: &'a Run,
    s: &'a Sensitivity,
}

impl<'a> Tornado<'a> {
    pub(super) fn new(run: &'a Run, s: &'a Sensitivity) -> Self {
        Tornado { run, s }
    }

    fn focus(&self) -> &str {
        &self.run.output.options[self.s.focus].name
    }

    fn mark(&self) -> Mark {
        Mark::all(self.run)
            .get(self.s.focus)
            .copied()
            .unwrap_or(Mark::Serves)
    }

    fn shown(&self) -> usize {
        self.s.swings.len().min(TORNADO_ROWS)
    }
}

impl Spec for Tornado<'_> {
    fn name(&self) -> &'static str {
        "tornado"
    }
    fn title(&self) -> String {
        let mut title = format!(
            "Sensitivity of {}'s PV cost to each uncertain input",
            self.focus()
        );
        if let Some(note) = self.mark().note() {
            title.push_str(&format!(" ({} {note})", self.focus()));
        }
        title
    }
    fn caption(&self) -> String {
        let mut s = format!(
            "Each bar moves one input from its P10 to its P90 with the others at their medians, labelled with the input's value at each end; the vertical line is {}'s PV cost with every input at its median ({} {}), and the longest bars are the inputs that matter most.",
            self.focus(),
            self.run.input.currency,
            money(self.s.base_pv[self.s.focus])
        );
        if self.shown() < self.s.swings.len() {
            s.push_str(&format!(
                " The {} largest of {} inputs are shown.",
                self.shown(),
                self.s.swings.len()
            ));
        }
        s
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let legend = vec![
            ("Input at its P10".to_string(), Swatch::Box(AT_P10)),
            ("Input at its P90".to_string(), Swatch::Box(AT_P90)),
            ("Every input at its median".to_string(), Swatch::Line(INK)),
        ];
        let plot = frame(root, &self.title(), &legend)?;
        let f = self.s.focus;
        let base = self.s.base_pv[f];
        let swings = &self.s.swings[..self.shown()];
        let n = swings.len();
        let (lo, hi) = swings
            .iter()
            .flat_map(|w| [w.low_pv[f], w.high_pv[f]])
            .fold((base, base), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let span = if hi > lo {
            hi - lo
        } else {
            base.abs().max(1.0) * 0.02
        };
        // Room at both ends for the input values written beside the bars.
        let xr = axis(lo - 0.16 * span..hi + 0.16 * span)?;
        let label_font = font(14);
        let widest = swings
            .iter()
            .map(|w| {
                plot.estimate_text_size(&w.path, &label_font)
                    .map(|(w, _)| w)
            })
            .try_fold(0, |m, w| w.map(|w| m.max(w)))?;
        let label_width = (widest + 24).clamp(80, 560);
        let mut chart = ChartBuilder::on(&plot)
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(label_width)
            .build_cartesian_2d(xr.clone(), -0.5..n.max(1) as f64 - 0.5)?;
        mesh!(chart)
            .disable_y_mesh()
            .y_labels(0)
            .x_desc(format!(
                "PV cost of {} [{}]",
                self.focus(),
                self.run.input.currency
            ))
            .x_label_formatter(&|v| fine_tick(*v, xr.end - xr.start))
            .draw()?;
        let (bx, by) = plot.get_base_pixel();
        let half = if n > 12 { 0.4 } else { 0.32 };
        let value_font = font(13);
        for (i, w) in swings.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            let (lo_pv, hi_pv) = (w.low_pv[f], w.high_pv[f]);
            // The longer half first, so that a shorter one on the same side stays visible.
            let mut halves = [(lo_pv, AT_P10), (hi_pv, AT_P90)];
            if (hi_pv - base).abs() > (lo_pv - base).abs() {
                halves.swap(0, 1);
            }
            for (end, colour) in halves {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(base.min(end), y - half), (base.max(end), y + half)],
                    colour.filled(),
                )))?;
            }
            if w.swing(f) == 0.0 && lo_pv == base {
                chart.draw_series(std::iter::once(
                    at(base, y)
                        + Text::new(
                            "no effect".to_string(),
                            (8, 0),
                            value_font.pos(Pos::new(HPos::Left, VPos::Center)),
                        ),
                ))?;
            } else {
                for (end, input) in [(lo_pv, w.low_input), (hi_pv, w.high_input)] {
                    let right = end >= base;
                    let (dx, h) = if right {
                        (6, HPos::Left)
                    } else {
                        (-6, HPos::Right)
                    };
                    chart.draw_series(std::iter::once(
                        at(end, y)
                            + Text::new(
                                input_value(input),
                                (dx, 0),
                                value_font.pos(Pos::new(h, VPos::Center)),
                            ),
                    ))?;
                }
            }
            let (px, py) = chart.backend_coord(&(xr.start, y));
            plot.draw(&Text::new(
                w.path.clone(),
                (px - bx - 10, py - by),
                label_font.pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(base, -0.5), (base, n.max(1) as f64 - 0.5)],
            INK.stroke_width(2),
        )))?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------

/// The sweep: the objective against the first parameter, one line per value of the second.
pub(super) struct SweepChart<'a> {
    run: &'a Run,
    s: &'a Sweep,
}

impl<'a> SweepChart<'a> {
    pub(super) fn new(run: &'a Run, s: &'a Sweep) -> Self {
        SweepChart { run, s }
    }

    fn option(&self) -> &str {
        &self.run.output.options[self.s.option].name
    }

    fn mark(&self) -> Mark {
        Mark::all(self.run)
            .get(self.s.option)
            .copied()
            .unwrap_or(Mark::Serves)
    }

    fn objective(&self) -> String {
        crate::report::uncertainty::objective_name(self.s.objective).to_string()
    }

    /// "Optimum", or "Lowest" when no point serves its demand.
    fn best_word(&self) -> &'static str {
        if self.s.optimum_serves() {
            "Optimum"
        } else {
            "Lowest (no point serves all demand)"
        }
    }

    /// Where the optimum is, e.g. `servers = 14`.
    fn optimum(&self) -> String {
        self.s
            .axes
            .iter()
            .zip(&self.s.points[self.s.best].values)
            .map(|(a, v)| format!("{} = {}", short(&a.path), a.show(*v, exact_input_value)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The field of a sweep path, `option[x].servers` → `servers`.
fn short(path: &str) -> &str {
    crate::scenario::split_path(path).map_or(path, |(_, field)| field)
}

/// The unit of a swept field, for the axis label.
fn field_unit(f: Field) -> &'static str {
    match f {
        Field::Servers => "servers",
        Field::Gpus | Field::CommittedGpus => "GPUs",
        Field::CommittedShare | Field::SpotShare | Field::Availability => "fraction",
        Field::RefreshYears => "years between purchases",
        Field::Automation => "degree of automation",
        Field::TaxDepreciation => "tax depreciation policy",
        Field::Sharing => "way of sharing GPUs",
    }
}

/// Colours of the lines of a two-parameter sweep (Paul Tol's muted scheme without its pale
/// grey), kept apart from the option colours.
const LINE_COLOURS: [RGBColor; 9] = [
    TOL_MUTED[0],
    TOL_MUTED[6],
    TOL_MUTED[2],
    TOL_MUTED[4],
    TOL_MUTED[8],
    TOL_MUTED[1],
    TOL_MUTED[3],
    TOL_MUTED[7],
    TOL_MUTED[5],
];

impl Spec for SweepChart<'_> {
    fn name(&self) -> &'static str {
        "sweep"
    }
    fn title(&self) -> String {
        let note = match self.mark().note() {
            Some(note) => format!(" (as in the scenario, {note})"),
            None => String::new(),
        };
        format!(
            "Sweep of {}{note}: {} against {}",
            self.option(),
            self.objective(),
            self.s
                .axes
                .iter()
                .map(|a| short(&a.path))
                .collect::<Vec<_>>()
                .join(" and ")
        )
    }
    fn caption(&self) -> String {
        let best = &self.s.points[self.s.best];
        let lines = match self.s.axes.get(1) {
            Some(a) => format!(", one line per value of {}", short(&a.path)),
            None => String::new(),
        };
        format!(
            "{} of {} at each of the {} grid points{lines}; hollow markers leave demand unmet, and the ringed point is the {}, {} at {} {}.",
            self.objective(),
            self.option(),
            quantity(self.s.points.len() as f64),
            self.best_word().to_lowercase(),
            self.optimum(),
            self.run.input.currency,
            money(best.objective)
        )
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let s = self.s;
        let cur = &self.run.input.currency;
        // One series per value of the second parameter (a single series without one).
        let series: Vec<(Option<f64>, RGBColor)> = match s.axes.get(1) {
            Some(a) => a
                .values
                .iter()
                .enumerate()
                .map(|(j, v)| (Some(*v), LINE_COLOURS[j % LINE_COLOURS.len()]))
                .collect(),
            None => vec![(None, option_color(s.option))],
        };
        let mut legend: Vec<(String, Swatch)> = match s.axes.get(1) {
            Some(a) => series
                .iter()
                .map(|(v, c)| {
                    (
                        format!(
                            "{} = {}",
                            short(&a.path),
                            a.show(v.unwrap_or(0.0), exact_input_value)
                        ),
                        Swatch::Dot(*c),
                    )
                })
                .collect(),
            None => vec![(
                format!("{}: serves all demand", self.option()),
                Swatch::Dot(option_color(s.option)),
            )],
        };
        legend.push((
            "Hollow: leaves demand unmet".to_string(),
            Swatch::Ring(RGBColor(0x77, 0x77, 0x77)),
        ));
        legend.push((
            format!("{}: {}", self.best_word(), self.optimum()),
            Swatch::Ring(INK),
        ));
        let plot = frame(root, &self.title(), &legend)?;
        let (x_lo, x_hi) = s
            .points
            .iter()
            .map(|p| p.values[0])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        let (y_lo, y_hi) = s
            .points
            .iter()
            .map(|p| p.objective)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        let xs = if x_hi > x_lo { x_hi - x_lo } else { 1.0 };
        let ys = if y_hi > y_lo {
            y_hi - y_lo
        } else {
            y_lo.abs().max(1.0) * 0.02
        };
        let xr = axis(x_lo - 0.04 * xs..x_hi + 0.04 * xs)?;
        let yr = axis(y_lo - 0.14 * ys..y_hi + 0.08 * ys)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(90)
            .build_cartesian_2d(xr.clone(), yr.clone())?;
        let axis = &s.axes[0];
        mesh!(chart)
            .x_desc(format!("{} [{}]", axis.path, field_unit(axis.field)))
            .y_desc(format!("{} of {} [{cur}]", self.objective(), self.option()))
            .x_label_formatter(&|v| {
                // An automation axis names its levels at their whole positions, nothing between.
                if axis.field.has_levels() {
                    if v.fract() == 0.0 {
                        axis.show(*v, |_| String::new())
                    } else {
                        String::new()
                    }
                } else {
                    tick(*v)
                }
            })
            .y_label_formatter(&|v| fine_tick(*v, yr.end - yr.start))
            .draw()?;
        for (value, colour) in &series {
            let points: Vec<&crate::montecarlo::sweep::Point> = s
                .points
                .iter()
                .filter(|p| value.is_none_or(|v| p.values.get(1) == Some(&v)))
                .collect();
            chart.draw_series(LineSeries::new(
                points.iter().map(|p| (p.values[0], p.objective)),
                colour.stroke_width(2),
            ))?;
            for p in &points {
                let xy = (p.values[0], p.objective);
                if p.serves_demand {
                    chart.draw_series(std::iter::once(Circle::new(xy, 5, colour.filled())))?;
                } else {
                    chart.draw_series(std::iter::once(Circle::new(xy, 6, WHITE.filled())))?;
                    chart.draw_series(std::iter::once(Circle::new(
                        xy,
                        6,
                        colour.stroke_width(2),
                    )))?;
                }
            }
        }
        let best = &s.points[s.best];
        let xy = (best.values[0], best.objective);
        chart.draw_series(std::iter::once(Circle::new(xy, 11, INK.stroke_width(3))))?;
        // The label sits below the lowest point, leaning away from the nearer side of the plot.
        let share = (xy.0 - xr.start) / (xr.end - xr.start);
        let (h, dx) = if share > 0.7 {
            (HPos::Right, -8)
        } else if share < 0.3 {
            (HPos::Left, 8)
        } else {
            (HPos::Center, 0)
        };
        let label = format!(
            "{}: {}, {cur} {}",
            self.best_word(),
            self.optimum(),
            tick(best.objective)
        );
        chart.draw_series(std::iter::once(
            at(xy.0, xy.1) + Text::new(label, (dx, 16), font(16).pos(Pos::new(h, VPos::Top))),
        ))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_histogram_panel_is_fitted_to_its_own_spread() {
        // A wide distribution around 3M and a narrow one around 4.07M, as in the example of
        // eight options: on one shared axis the narrow one would be a spike a few pixels wide.
        let wide = [(2.0e6, 2.5e6, 10), (2.5e6, 3.0e6, 40), (3.0e6, 4.5e6, 50)];
        let narrow = [(4.06e6, 4.07e6, 30), (4.07e6, 4.08e6, 70)];
        let (a, b) = (HistogramAxis::of(&wide), HistogramAxis::of(&narrow));
        assert_eq!(a.range, (2.0e6 - 0.04 * 2.5e6, 4.5e6 + 0.04 * 2.5e6));
        let span = 0.02e6;
        assert!((b.range.0 - (4.06e6 - 0.04 * span)).abs() < 1e-6);
        assert!((b.range.1 - (4.08e6 + 0.04 * span)).abs() < 1e-6);
        // The narrow panel's density unit follows its own span, a round number.
        assert_eq!(a.unit, Some(100_000.0));
        assert_eq!(b.unit, Some(500.0));
        // A single value is widened to 2% of it, 4.95M to 5.05M, and has no density unit.
        let one = HistogramAxis::of(&[(5.0e6, 5.0e6, 100)]);
        assert!((one.range.0 - 4.95e6).abs() < 1e-6 && (one.range.1 - 5.05e6).abs() < 1e-6);
        assert_eq!(one.unit, None);
        // So is a spread of rounding only; zero is widened to -0.01 to 0.01.
        let noise = HistogramAxis::of(&[(5.0e6, 5.0e6 * (1.0 + 1e-12), 100)]);
        assert_eq!(noise.unit, None);
        let zero = HistogramAxis::of(&[(0.0, 0.0, 50)]);
        assert!((zero.range.0 + 0.01).abs() < 1e-12 && (zero.range.1 - 0.01).abs() < 1e-12);
        assert_eq!(zero.unit, None);
        // No bins give a unit axis.
        assert_eq!(HistogramAxis::of(&[]).range, (-0.04, 1.04));
    }
}

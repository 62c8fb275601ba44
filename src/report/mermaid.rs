//! Mermaid `xychart-beta` blocks, which GitHub and GitLab draw inside Markdown: the charts of
//! the `tcosim diff` comment and of `report.md` with `--markdown-charts mermaid`.
//!
//! The renderer keeps every block well formed whatever a scenario names its options: text goes
//! into double-quoted strings with `"` and `#` written as Mermaid entity codes (`#quot;`,
//! `#35;`) and control characters as spaces; every series has one value per x-axis category;
//! every value is a finite decimal.

use super::charts::{option_color_hex, option_color_name, option_labels};
use super::folder::Analyses;
use super::{exact_input_value, money};
use crate::montecarlo::sweep::Sweep;
use crate::run::Run;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plot {
    Line,
    Bar,
}

/// One `xychart-beta` chart with a categorical x axis.
#[derive(Debug, Clone, PartialEq)]
pub struct XyChart {
    pub title: String,
    /// Bars run left to right, the categories down the side.
    pub horizontal: bool,
    pub x_title: String,
    pub categories: Vec<String>,
    pub y_title: String,
    /// The series in drawing order, each with its colour (`#rrggbb`).
    pub series: Vec<(Plot, String, Vec<f64>)>,
}

impl XyChart {
    /// The fenced block, ending with a blank line. A series shorter than the categories is
    /// padded with its last value, a longer one cut, so that each has one value per category.
    pub fn render(&self) -> String {
        let palette: Vec<&str> = self.series.iter().map(|(_, c, _)| c.as_str()).collect();
        let mut out = String::from("```mermaid\n");
        if !palette.is_empty() {
            out.push_str(&format!(
                "%%{{init: {{\"themeVariables\": {{\"xyChart\": {{\"plotColorPalette\": \"{}\"}}}}}}}}%%\n",
                palette.join(", ")
            ));
        }
        out.push_str(if self.horizontal {
            "xychart-beta horizontal\n"
        } else {
            "xychart-beta\n"
        });
        out.push_str(&format!("    title \"{}\"\n", text(&self.title)));
        let categories: Vec<String> = self.categories.iter().map(|c| category(c)).collect();
        out.push_str(&format!(
            "    x-axis \"{}\" [{}]\n",
            text(&self.x_title),
            categories.join(", ")
        ));
        out.push_str(&format!("    y-axis \"{}\"\n", text(&self.y_title)));
        let n = self.categories.len();
        for (plot, _, values) in &self.series {
            let last = values.last().copied().unwrap_or(0.0);
            let shown: Vec<String> = (0..n)
                .map(|k| value(values.get(k).copied().unwrap_or(last)))
                .collect();
            let keyword = match plot {
                Plot::Line => "line",
                Plot::Bar => "bar",
            };
            out.push_str(&format!("    {keyword} [{}]\n", shown.join(", ")));
        }
        out.push_str("```\n\n");
        out
    }
}

/// `s` as the content of a double-quoted Mermaid string: `#` and `"` as entity codes (`#` first,
/// so that a name holding `#quot;` stays as written), control characters as spaces.
pub fn text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '#' => "#35;".to_string(),
            '"' => "#quot;".to_string(),
            c if c.is_control() => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// An x-axis category: a whole number as it is, anything else quoted.
fn category(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.to_string()
    } else {
        format!("\"{}\"", text(s))
    }
}

/// A value with one decimal; not a number or infinite becomes 0 (a chart never shows `NaN`).
pub fn value(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    // `+ 0.0` turns -0.0 into 0.0.
    format!("{:.1}", v + 0.0)
}

/// The divisor and unit word of an axis whose largest magnitude is `max_abs`: units below
/// 10,000, thousands below 10 million, millions above.
pub fn scale(max_abs: f64) -> (f64, &'static str) {
    if !max_abs.is_finite() || max_abs >= 1e7 {
        (1e6, "million")
    } else if max_abs >= 1e4 {
        (1e3, "thousand")
    } else {
        (1.0, "")
    }
}

/// A y-axis title: `EUR thousand`, or `EUR` unscaled.
fn unit(currency: &str, word: &str) -> String {
    if word.is_empty() {
        currency.to_string()
    } else {
        format!("{currency} {word}")
    }
}

fn max_abs<'a>(values: impl IntoIterator<Item = &'a f64>) -> f64 {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(0.0, |m, v| m.max(v.abs()))
}

/// Most points of a line over the months; a longer horizon is sampled every k-th month.
const MAX_MONTH_POINTS: usize = 60;

/// The months a line over a horizon of `months` shows (1-based, the last always included).
fn month_points(months: usize) -> Vec<usize> {
    if months == 0 {
        return Vec::new();
    }
    let step = months.div_ceil(MAX_MONTH_POINTS);
    let mut points: Vec<usize> = (step..=months).step_by(step).collect();
    if points.last() != Some(&months) {
        points.push(months);
    }
    points
}

/// A chart of `report.md` in Mermaid, with a caption of its own: the SVG's caption speaks of
/// panels, dashes and a legend that xychart-beta does not draw.
pub struct ReportChart {
    /// The heading of the chart in `report.md`.
    pub title: String,
    pub blocks: String,
    pub caption: String,
}

/// The Mermaid form of the report chart named `name` (as its files are named), or `None` for a
/// chart xychart-beta cannot draw (stacked bars, bands, histograms, two-parameter grids).
pub fn report_chart(run: &Run, analyses: &Analyses, name: &str) -> Option<ReportChart> {
    match name {
        "cumulative-cost" => Some(cumulative(run)),
        "cost-breakdown" => Some(pv_by_option(run)),
        "energy-carbon" => Some(energy_carbon(run)),
        "tornado" => analyses.sensitivity.as_ref().map(|s| tornado(run, s)),
        "sweep" => analyses.sweep.as_ref().and_then(|s| sweep(run, s)),
        _ => None,
    }
}

/// The key of the options' colours in words: `own-dgx (blue), aws-h100 (leaves 60% unmet)
/// (orange)`.
fn colour_key(run: &Run) -> String {
    option_labels(run)
        .iter()
        .enumerate()
        .map(|(k, l)| format!("{l} ({})", option_color_name(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn cumulative(run: &Run) -> ReportChart {
    let i = crate::finance::monthly_rate(run.input.discount_rate);
    let h = run.input.horizon_months;
    let points = month_points(h);
    // Per option: cumulative nominal and PV cost after each month (F2: starts of month
    // discounted m months, ends m + 1), as the SVG chart draws them.
    let series: Vec<(Vec<f64>, Vec<f64>)> = run
        .output
        .options
        .iter()
        .map(|o| {
            let (mut nom, mut pv) = (Vec::new(), Vec::new());
            let (mut n, mut p) = (0.0, 0.0);
            for (m, r) in o.months.iter().enumerate() {
                n += r.cost();
                p += r.start_flow / (1.0 + i).powi(m as i32)
                    + r.end_flow / (1.0 + i).powi(m as i32 + 1);
                nom.push(n);
                pv.push(p);
            }
            (nom, pv)
        })
        .collect();
    let cur = &run.input.currency;
    let (div, word) = scale(max_abs(series.iter().flat_map(|(n, p)| n.iter().chain(p))));
    let categories: Vec<String> = points.iter().map(|m| m.to_string()).collect();
    let chart = |pv: bool, title: &str| XyChart {
        title: title.to_string(),
        horizontal: false,
        x_title: format!("month from {}", run.input.start),
        categories: categories.clone(),
        y_title: unit(cur, word),
        series: series
            .iter()
            .enumerate()
            .map(|(k, (nom, pvs))| {
                let ys = if pv { pvs } else { nom };
                let values = points
                    .iter()
                    .map(|m| ys.get(m - 1).copied().unwrap_or(0.0) / div)
                    .collect();
                (Plot::Line, option_color_hex(k), values)
            })
            .collect(),
    };
    let sampled = if points.len() < h {
        format!(" One point every {} months.", h.div_ceil(MAX_MONTH_POINTS))
    } else {
        String::new()
    };
    ReportChart {
        title: "Cumulative cost per option".into(),
        blocks: chart(false, "Cumulative cost, nominal").render()
            + &chart(
                true,
                &format!(
                    "Cumulative cost, discounted at {:.1}% per year",
                    run.input.discount_rate * 100.0
                ),
            )
            .render(),
        caption: format!(
            "Cost paid by each option month after month (with the price of unserved work where it has one), nominal and discounted; the last points are the total and PV cost of the summary.{sampled} Lines: {}.",
            colour_key(run)
        ),
    }
}

/// One bar per option, in the first option colour, categories labelled with the options' names
/// (and their unmet share).
fn option_bars(run: &Run, title: &str, y_title: String, values: Vec<f64>) -> XyChart {
    XyChart {
        title: title.to_string(),
        horizontal: false,
        x_title: "option".into(),
        categories: option_labels(run),
        y_title,
        series: vec![(Plot::Bar, option_color_hex(0), values)],
    }
}

fn pv_by_option(run: &Run) -> ReportChart {
    let cur = &run.input.currency;
    let pv: Vec<f64> = run.output.options.iter().map(|o| o.pv_cost).collect();
    let (div, word) = scale(max_abs(&pv));
    let values = pv.iter().map(|v| v / div).collect();
    ReportChart {
        title: "PV cost by option".into(),
        blocks: option_bars(run, "PV cost by option", unit(cur, word), values).render(),
        caption: format!(
            "The present value of each option's cost at {:.1}% per year, as in the summary; its categories are stacked in `cost-breakdown.svg`.",
            run.input.discount_rate * 100.0
        ),
    }
}

fn energy_carbon(run: &Run) -> ReportChart {
    let mwh: Vec<f64> = run
        .output
        .options
        .iter()
        .map(|o| o.energy_kwh / 1000.0)
        .collect();
    let co2: Vec<f64> = run.output.options.iter().map(|o| o.co2_t).collect();
    ReportChart {
        title: format!("Energy and carbon over {} months", run.input.horizon_months),
        blocks: option_bars(run, "Energy by option", "MWh".into(), mwh).render()
            + &option_bars(run, "Carbon by option", "tCO2".into(), co2).render(),
        caption: "Electricity drawn by each option over the horizon (owned servers with the site's PUE, cloud GPUs with the host share and cloud PUE) and the carbon it emits at the grid's intensity.".into(),
    }
}

fn tornado(run: &Run, s: &crate::montecarlo::sensitivity::Sensitivity) -> ReportChart {
    let cur = &run.input.currency;
    let swings: Vec<f64> = s.swings.iter().map(|w| w.swing(s.focus)).collect();
    let (div, word) = scale(max_abs(&swings));
    let focus = &run.output.options[s.focus].name;
    // Its note where it leaves work unmet, as the tornado chart names it.
    let note = super::charts::option_note(run, s.focus)
        .map_or(String::new(), |n| format!(" {focus} {n}."));
    let chart = XyChart {
        title: format!("Swing of {focus}'s PV cost, P10 to P90"),
        horizontal: true,
        x_title: "input".into(),
        categories: s.swings.iter().map(|w| w.path.clone()).collect(),
        y_title: unit(cur, word),
        series: vec![(
            Plot::Bar,
            option_color_hex(s.focus),
            swings.iter().map(|v| v / div).collect(),
        )],
    };
    ReportChart {
        title: format!("Sensitivity of {focus}'s PV cost"),
        blocks: chart.render(),
        caption: format!(
            "How far {focus}'s PV cost moves when one uncertain input goes from its P10 to its P90, every other input at its median; largest first.{note}"
        ),
    }
}

/// A one-parameter sweep as a line of the objective over the grid; a two-parameter grid has no
/// line chart.
fn sweep(run: &Run, s: &Sweep) -> Option<ReportChart> {
    let [axis] = s.axes.as_slice() else {
        return None;
    };
    let cur = &run.input.currency;
    let objective: Vec<f64> = s.points.iter().map(|p| p.objective).collect();
    let (div, word) = scale(max_abs(&objective));
    let option = &run.output.options[s.option].name;
    let name = super::uncertainty::objective_name(s.objective);
    let chart = XyChart {
        title: format!("{name} of {option} over the sweep"),
        horizontal: false,
        x_title: axis.path.clone(),
        categories: axis
            .values
            .iter()
            .map(|v| axis.show(*v, exact_input_value))
            .collect(),
        y_title: unit(cur, word),
        series: vec![(
            Plot::Line,
            option_color_hex(s.option),
            objective.iter().map(|v| v / div).collect(),
        )],
    };
    let best = &s.points[s.best];
    let at = format!(
        "{} = {}",
        axis.path,
        axis.show(best.values[0], exact_input_value)
    );
    let what = if s.optimum_serves() {
        format!("The optimum is at {at} ({cur} {})", money(best.objective))
    } else {
        format!(
            "No point serves all demand; the lowest is at {at} ({cur} {})",
            money(best.objective)
        )
    };
    Some(ReportChart {
        title: format!("Sweep of {}", axis.path),
        blocks: chart.render(),
        caption: format!("{name} of {option} at every grid point. {what}."),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_quotes_and_hashes_and_drops_control_characters() {
        assert_eq!(text("a \"b\" #1;\nc"), "a #quot;b#quot; #35;1; c");
        assert_eq!(text("#quot;"), "#35;quot;");
    }

    #[test]
    fn categories_are_quoted_unless_whole_numbers() {
        assert_eq!(category("12"), "12");
        assert_eq!(category("1.5"), "\"1.5\"");
        assert_eq!(category("own-dgx, [a]"), "\"own-dgx, [a]\"");
        assert_eq!(category(""), "\"\"");
    }

    #[test]
    fn values_are_finite() {
        assert_eq!(value(f64::NAN), "0.0");
        assert_eq!(value(f64::INFINITY), "0.0");
        assert_eq!(value(-0.0), "0.0");
        assert_eq!(value(1234.56), "1234.6");
    }

    #[test]
    fn series_have_one_value_per_category() {
        let chart = XyChart {
            title: "t".into(),
            horizontal: false,
            x_title: "x".into(),
            categories: vec!["1".into(), "2".into(), "3".into()],
            y_title: "y".into(),
            series: vec![
                (Plot::Line, "#000000".into(), vec![1.0]),
                (Plot::Bar, "#ffffff".into(), vec![1.0, 2.0, 3.0, 4.0]),
            ],
        };
        let block = chart.render();
        assert!(block.contains("    line [1.0, 1.0, 1.0]\n"), "{block}");
        assert!(block.contains("    bar [1.0, 2.0, 3.0]\n"), "{block}");
        assert!(block.contains("\"plotColorPalette\": \"#000000, #ffffff\""));
    }

    #[test]
    fn long_horizons_are_sampled_and_keep_their_last_month() {
        assert_eq!(month_points(3), vec![1, 2, 3]);
        assert_eq!(month_points(60).len(), 60);
        let p = month_points(121);
        assert_eq!(p.first(), Some(&3));
        assert_eq!(p.last(), Some(&121));
        assert!(p.len() <= MAX_MONTH_POINTS + 1);
        assert!(month_points(0).is_empty());
    }
}

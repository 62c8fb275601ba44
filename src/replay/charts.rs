//! The report folder of a replay (`tcosim replay --report DIR`): the summary in Markdown, JSON
//! and CSV, three charts (wait-time CDF, utilisation over time, queue length over time) as SVG
//! and PNG, drawn with the house frame and fonts of `tcosim report`, and the numbers each chart
//! plots as CSV. Rendering is pure: a summary and an outcome in, bytes out.

use super::render;
use super::sim::Outcome;
use super::stats::{self, Bucket, ClassWaits, Summary};
use crate::report::Format;
use crate::report::charts::{
    Chart, ChartError, DESC_SIZE, DrawResult, GRID, Spec, Swatch, axis, font, frame, option_color,
    render_one, tick, y_range,
};
use crate::report::folder::ReportFile;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most points of one class's CDF line; a class with more distinct waits is drawn through its
/// CDF at this many waits spaced evenly on the log axis.
pub const MAX_CDF_POINTS: usize = 2_000;

/// What the charts plot: the buckets over time and the CDFs of the waits.
pub struct Plotted {
    /// Width of the buckets [s] (see [`stats::chart_bucket_s`]).
    pub bucket_s: i64,
    pub buckets: Vec<Bucket>,
    pub cdfs: Vec<Cdf>,
}

/// The numbers the charts of summary `s` plot, from the window it covers.
pub fn plotted(s: &Summary, outcome: &Outcome) -> Plotted {
    let bucket_s = stats::chart_bucket_s(s.window_end_s - s.window_start_s);
    Plotted {
        bucket_s,
        buckets: stats::series(
            outcome,
            s.owned_gpus,
            outcome.start_s + s.window_start_s,
            outcome.start_s + s.window_end_s,
            bucket_s,
        ),
        cdfs: cdfs(&s.waits_sorted),
    }
}

/// The three charts of summary `s`, in report order.
pub fn charts(s: &Summary, p: &Plotted) -> Result<Vec<Chart>, ChartError> {
    let unit = TimeUnit::for_span(s.window_end_s);
    Ok(vec![
        render_one(&WaitCdf { cdfs: &p.cdfs })?,
        render_one(&Utilisation {
            s,
            buckets: &p.buckets,
            bucket_s: p.bucket_s,
            unit,
        })?,
        render_one(&Queue {
            s,
            buckets: &p.buckets,
            bucket_s: p.bucket_s,
            unit,
        })?,
    ])
}

/// The files of the report folder, in a fixed order.
pub fn report_files(s: &Summary, outcome: &Outcome) -> Result<Vec<ReportFile>, ChartError> {
    let p = plotted(s, outcome);
    let charts = charts(s, &p)?;
    let mut md = render::render(s, Format::Markdown);
    md.push_str("\n### Charts\n");
    for c in &charts {
        md.push_str(&format!(
            "\n#### {}\n\n![{}]({}.svg)\n\n{}\n",
            c.title, c.title, c.name, c.caption
        ));
    }
    let mut files = vec![
        file("summary.md", md.into_bytes()),
        file("summary.json", render::render(s, Format::Json).into_bytes()),
        file("summary.csv", render::render(s, Format::Csv).into_bytes()),
        file(
            "series.csv",
            series_csv(&p.buckets, p.bucket_s, s.window_end_s).into_bytes(),
        ),
        file("wait-cdf.csv", cdf_csv(&p.cdfs).into_bytes()),
    ];
    for c in charts {
        files.push(file(&format!("{}.svg", c.name), c.svg.into_bytes()));
        files.push(file(&format!("{}.png", c.name), c.png));
    }
    Ok(files)
}

fn file(name: &str, bytes: Vec<u8>) -> ReportFile {
    ReportFile {
        name: name.to_string(),
        bytes,
    }
}

/// The empirical CDF of one class's waits as plotted: `(wait [s], share of the class's jobs
/// that waited at most that long)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cdf {
    pub class: &'static str,
    pub jobs: usize,
    pub points: Vec<(i64, f64)>,
}

/// The CDF of every class with jobs: at each distinct wait, or, past [`MAX_CDF_POINTS`]
/// distinct waits, at that many waits spaced evenly in log(wait) from 1 s to the longest.
pub fn cdfs(waits: &[ClassWaits]) -> Vec<Cdf> {
    waits
        .iter()
        .filter(|c| !c.sorted_s.is_empty())
        .map(|c| {
            let v = &c.sorted_s;
            let n = v.len() as f64;
            let at = |w: i64| v.partition_point(|&x| x <= w) as f64 / n;
            let mut distinct: Vec<i64> = v.clone();
            distinct.dedup();
            let xs: Vec<i64> = if distinct.len() <= MAX_CDF_POINTS {
                distinct
            } else {
                let top = (*v.last().unwrap_or(&1)).max(2) as f64;
                let mut xs: Vec<i64> = (0..MAX_CDF_POINTS)
                    .map(|k| {
                        let f = k as f64 / (MAX_CDF_POINTS - 1) as f64;
                        top.powf(f).round() as i64
                    })
                    .collect();
                xs.insert(0, 0);
                xs.dedup();
                xs
            };
            Cdf {
                class: c.class,
                jobs: v.len(),
                points: xs.into_iter().map(|w| (w, at(w))).collect(),
            }
        })
        .collect()
}

fn cdf_csv(cdfs: &[Cdf]) -> String {
    let mut out = String::from("class,wait_s,share_at_or_below\n");
    for c in cdfs {
        for (w, f) in &c.points {
            out.push_str(&format!("{},{w},{f}\n", c.class));
        }
    }
    out
}

fn series_csv(buckets: &[Bucket], bucket_s: i64, end_s: i64) -> String {
    let mut out = String::from("from_s,to_s,bucket_s,utilisation,mean_queue_jobs,max_queue_jobs\n");
    for (k, b) in buckets.iter().enumerate() {
        let to = buckets
            .get(k + 1)
            .map_or(end_s.min(b.from_s + bucket_s), |next| next.from_s);
        out.push_str(&format!(
            "{},{},{bucket_s},{},{},{}\n",
            b.from_s, to, b.utilisation, b.mean_queue_jobs, b.max_queue_jobs
        ));
    }
    out
}

/// A wait as a tick label: seconds, minutes, hours or days.
fn duration_label(s: f64) -> String {
    let (v, unit) = if s < 60.0 {
        (s, "s")
    } else if s < 3_600.0 {
        (s / 60.0, "min")
    } else if s < 86_400.0 {
        (s / 3_600.0, "h")
    } else {
        (s / 86_400.0, "d")
    };
    format!("{} {unit}", tick(v))
}

/// Ticks of the wait axis at round durations up to `top` [s].
fn wait_ticks(top: f64) -> Vec<f64> {
    const ROUND: [f64; 12] = [
        1.0,
        10.0,
        60.0,
        600.0,
        3_600.0,
        21_600.0,
        86_400.0,
        604_800.0,
        2_592_000.0,
        31_536_000.0,
        315_360_000.0,
        3_153_600_000.0,
    ];
    ROUND.iter().copied().filter(|t| *t <= top).collect()
}

fn class_label(c: &Cdf) -> String {
    let what = match c.class {
        "all" => "all jobs".to_string(),
        "1" => "1 GPU".to_string(),
        other => format!("{other} GPUs"),
    };
    format!(
        "{what} ({} job{})",
        c.jobs,
        if c.jobs == 1 { "" } else { "s" }
    )
}

struct WaitCdf<'a> {
    cdfs: &'a [Cdf],
}

impl Spec for WaitCdf<'_> {
    fn name(&self) -> &'static str {
        "wait-cdf"
    }
    fn title(&self) -> String {
        "Wait time, submit to start: share of jobs that waited at most so long".into()
    }
    fn caption(&self) -> String {
        "Empirical CDF of the waits of the jobs that ran (on owned GPUs or burst), for all jobs and per GPU-count class, on a logarithmic time axis from 1 s: the curve starts at the share of jobs that waited at most 1 s (most often not at all).".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let legend: Vec<(String, Swatch)> = self
            .cdfs
            .iter()
            .enumerate()
            .map(|(k, c)| (class_label(c), Swatch::Line(option_color(k))))
            .collect();
        let plot = frame(root, &self.title(), &legend)?;
        let longest = self
            .cdfs
            .iter()
            .filter_map(|c| c.points.last().map(|p| p.0))
            .max()
            .unwrap_or(0)
            .max(10) as f64;
        let top = longest * 1.5;
        let range = axis(1.0..top)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(16)
            .x_label_area_size(52)
            .y_label_area_size(80)
            .build_cartesian_2d(
                range
                    .clone()
                    .log_scale()
                    .with_key_points(wait_ticks(range.end)),
                0.0..105.0,
            )?;
        chart
            .configure_mesh()
            .label_style(font(14))
            .axis_desc_style(font(DESC_SIZE))
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .x_desc("Wait [log scale]")
            .y_desc("Jobs that waited at most so long [%]")
            .x_label_formatter(&|v| duration_label(*v))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        for (k, c) in self.cdfs.iter().enumerate() {
            let mut pts: Vec<(f64, f64)> = Vec::with_capacity(2 * c.points.len() + 2);
            let mut last = 0.0;
            for &(w, f) in &c.points {
                let x = (w as f64).max(1.0);
                pts.push((x, 100.0 * last));
                pts.push((x, 100.0 * f));
                last = f;
            }
            pts.push((top, 100.0 * last));
            chart.draw_series(LineSeries::new(pts, option_color(k).stroke_width(3)))?;
        }
        Ok(())
    }
}

/// The unit of a time axis: hours for a window up to four days, days beyond.
#[derive(Debug, Clone, Copy)]
struct TimeUnit {
    seconds: f64,
    name: &'static str,
}

impl TimeUnit {
    fn for_span(end_s: i64) -> TimeUnit {
        if end_s <= 4 * 86_400 {
            TimeUnit {
                seconds: 3_600.0,
                name: "h",
            }
        } else {
            TimeUnit {
                seconds: 86_400.0,
                name: "d",
            }
        }
    }
}

/// A bucket width in words: `1 h`, `15 min`, `2 d`.
fn bucket_words(bucket_s: i64) -> String {
    duration_label(bucket_s as f64)
}

/// Points of a step line through the buckets: each value held over its whole bucket.
fn steps(
    buckets: &[Bucket],
    bucket_s: i64,
    end_s: i64,
    unit: TimeUnit,
    f: impl Fn(&Bucket) -> f64,
) -> Vec<(f64, f64)> {
    let mut pts = Vec::with_capacity(2 * buckets.len());
    for (k, b) in buckets.iter().enumerate() {
        let to = buckets
            .get(k + 1)
            .map_or(end_s.min(b.from_s + bucket_s), |n| n.from_s);
        pts.push((b.from_s as f64 / unit.seconds, f(b)));
        pts.push((to as f64 / unit.seconds, f(b)));
    }
    pts
}

fn x_range(s: &Summary, unit: TimeUnit) -> std::ops::Range<f64> {
    let from = s.window_start_s as f64 / unit.seconds;
    let to = s.window_end_s as f64 / unit.seconds;
    if to > from {
        from..to
    } else {
        from..from + 1.0
    }
}

struct Utilisation<'a> {
    s: &'a Summary,
    buckets: &'a [Bucket],
    bucket_s: i64,
    unit: TimeUnit,
}

impl Spec for Utilisation<'_> {
    fn name(&self) -> &'static str {
        "utilisation"
    }
    fn title(&self) -> String {
        "Utilisation of the owned GPUs over time".into()
    }
    fn caption(&self) -> String {
        format!(
            "Busy owned GPUs over all {} owned GPUs, the exact time-weighted mean over each {} bucket from the first submit, with the mean over the whole window (dashed).",
            self.s.owned_gpus,
            bucket_words(self.bucket_s)
        )
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let line = option_color(0);
        let mean = option_color(1);
        let legend = vec![
            (
                format!("mean per {} bucket", bucket_words(self.bucket_s)),
                Swatch::Line(line),
            ),
            (
                format!("mean over the window ({:.1}%)", 100.0 * self.s.utilisation),
                Swatch::Dashed(mean),
            ),
        ];
        let plot = frame(root, &self.title(), &legend)?;
        let hi = self
            .buckets
            .iter()
            .map(|b| 100.0 * b.utilisation)
            .fold(100.0, f64::max);
        let xr = x_range(self.s, self.unit);
        let mut chart = ChartBuilder::on(&plot)
            .margin(16)
            .x_label_area_size(52)
            .y_label_area_size(80)
            .build_cartesian_2d(axis(xr.clone())?, axis(y_range(0.0, hi))?)?;
        chart
            .configure_mesh()
            .label_style(font(14))
            .axis_desc_style(font(DESC_SIZE))
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .x_desc(format!("Time after the first submit [{}]", self.unit.name))
            .y_desc("Busy owned GPUs / owned GPUs [%]")
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        let pts = steps(
            self.buckets,
            self.bucket_s,
            self.s.window_end_s,
            self.unit,
            |b| 100.0 * b.utilisation,
        );
        chart.draw_series(LineSeries::new(pts, line.stroke_width(3)))?;
        let m = 100.0 * self.s.utilisation;
        chart.draw_series(DashedLineSeries::new(
            vec![(xr.start, m), (xr.end, m)],
            10,
            6,
            mean.stroke_width(2),
        ))?;
        Ok(())
    }
}

struct Queue<'a> {
    s: &'a Summary,
    buckets: &'a [Bucket],
    bucket_s: i64,
    unit: TimeUnit,
}

impl Spec for Queue<'_> {
    fn name(&self) -> &'static str {
        "queue"
    }
    fn title(&self) -> String {
        "Jobs waiting for owned GPUs over time".into()
    }
    fn caption(&self) -> String {
        format!(
            "Queue length per {} bucket from the first submit: the exact time-weighted mean over the bucket, and the most jobs waiting at any instant of it.",
            bucket_words(self.bucket_s)
        )
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let mean = option_color(0);
        let most = option_color(2);
        let words = bucket_words(self.bucket_s);
        let legend = vec![
            (format!("mean per {words} bucket"), Swatch::Line(mean)),
            (format!("most per {words} bucket"), Swatch::Line(most)),
        ];
        let plot = frame(root, &self.title(), &legend)?;
        let hi = self
            .buckets
            .iter()
            .map(|b| b.max_queue_jobs as f64)
            .fold(1.0, f64::max);
        let mut chart = ChartBuilder::on(&plot)
            .margin(16)
            .x_label_area_size(52)
            .y_label_area_size(80)
            .build_cartesian_2d(axis(x_range(self.s, self.unit))?, axis(y_range(0.0, hi))?)?;
        chart
            .configure_mesh()
            .label_style(font(14))
            .axis_desc_style(font(DESC_SIZE))
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .x_desc(format!("Time after the first submit [{}]", self.unit.name))
            .y_desc("Jobs waiting [jobs]")
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        let end = self.s.window_end_s;
        chart.draw_series(LineSeries::new(
            steps(self.buckets, self.bucket_s, end, self.unit, |b| {
                b.max_queue_jobs as f64
            }),
            most.stroke_width(2),
        ))?;
        chart.draw_series(LineSeries::new(
            steps(self.buckets, self.bucket_s, end, self.unit, |b| {
                b.mean_queue_jobs
            }),
            mean.stroke_width(3),
        ))?;
        Ok(())
    }
}

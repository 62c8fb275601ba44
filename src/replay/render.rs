//! A replay's summary as a table, CSV, JSON or Markdown. CSV and JSON carry raw numbers (seconds,
//! GPU-hours, USD); the table and Markdown carry formatted values with units in the labels.

use super::stats::{PolicyResult, Spread, Summary};
use crate::report::Format;

pub fn render(s: &Summary, format: Format) -> String {
    match format {
        Format::Table => table(s),
        Format::Csv => csv(s),
        Format::Json => {
            let mut text = crate::report::json::pretty(s).unwrap_or_else(|_| "{}".to_string());
            text.push('\n');
            text
        }
        Format::Markdown => markdown(s),
    }
}

/// One figure: its CSV name, its label with unit, and its raw and formatted values.
struct Figure {
    name: &'static str,
    label: &'static str,
    raw: String,
    shown: String,
}

fn fig(name: &'static str, label: &'static str, raw: String, shown: String) -> Figure {
    Figure {
        name,
        label,
        raw,
        shown,
    }
}

fn num(v: f64, decimals: usize) -> String {
    let text = format!("{v:.decimals$}");
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), format!(".{f}")),
        None => (text.clone(), String::new()),
    };
    let (sign, digits) = match int.strip_prefix('-') {
        Some(d) => ("-", d.to_string()),
        None => ("", int),
    };
    let mut grouped = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}{frac}")
}

fn int(v: u64) -> String {
    num(v as f64, 0)
}

/// The scalar figures, in the order every format shows them.
fn figures(s: &Summary) -> Vec<Figure> {
    let mut f = vec![
        fig(
            "owned_gpus",
            "Owned GPUs",
            s.owned_gpus.to_string(),
            format!(
                "{} ({} node{} × {})",
                int(s.owned_gpus),
                int(u64::from(s.nodes)),
                if s.nodes == 1 { "" } else { "s" },
                s.gpus_per_node
            ),
        ),
        fig(
            "policy",
            "Policy",
            s.policy.to_string(),
            s.policy.to_string(),
        ),
        fig("burst", "Burst", s.burst.clone(), s.burst.clone()),
        fig(
            "as_recorded",
            "As recorded",
            s.as_recorded.to_string(),
            if s.as_recorded { "yes" } else { "no" }.to_string(),
        ),
        fig("jobs", "GPU jobs", s.jobs.to_string(), int(s.jobs as u64)),
        fig(
            "owned_jobs",
            "Jobs on owned GPUs",
            s.owned_jobs.to_string(),
            int(s.owned_jobs as u64),
        ),
        fig(
            "burst_jobs",
            "Jobs burst to the cloud",
            s.burst_jobs.to_string(),
            int(s.burst_jobs as u64),
        ),
        fig(
            "unmet_jobs",
            "Unmet jobs",
            s.unmet_jobs.to_string(),
            int(s.unmet_jobs as u64),
        ),
        fig(
            "never_fit_jobs",
            "Jobs larger than the cluster",
            s.never_fit_jobs.to_string(),
            int(s.never_fit_jobs as u64),
        ),
        fig(
            "demand_gpu_hours",
            "Demand [GPU-h]",
            s.demand_gpu_hours.to_string(),
            num(s.demand_gpu_hours, 1),
        ),
        fig(
            "owned_gpu_hours",
            "Served on owned GPUs [GPU-h]",
            s.owned_gpu_hours.to_string(),
            num(s.owned_gpu_hours, 1),
        ),
        fig(
            "cloud_gpu_hours",
            "Burst to the cloud [GPU-h]",
            s.cloud_gpu_hours.to_string(),
            num(s.cloud_gpu_hours, 1),
        ),
        fig(
            "unmet_gpu_hours",
            "Unmet [GPU-h]",
            s.unmet_gpu_hours.to_string(),
            num(s.unmet_gpu_hours, 1),
        ),
    ];
    if let (Some(p), Some(cost)) = (&s.cloud_offer, s.cloud_cost_usd) {
        f.push(fig(
            "cloud_offer",
            "Cloud offer",
            p.offer.clone(),
            format!("{} ({} USD/GPU-h)", p.offer, num(p.usd_per_gpu_hour, 4)),
        ));
        f.push(fig(
            "cloud_cost_usd",
            "Cloud cost [USD]",
            cost.to_string(),
            num(cost, 2),
        ));
    }
    f.extend([
        fig(
            "utilisation",
            "Utilisation of owned GPUs [%]",
            s.utilisation.to_string(),
            num(100.0 * s.utilisation, 2),
        ),
        fig(
            "busy_gpu_seconds",
            "Busy owned GPU-seconds [GPU-s]",
            s.busy_gpu_seconds.to_string(),
            int(s.busy_gpu_seconds),
        ),
        fig(
            "span_s",
            "Span measured [h]",
            s.span_s.to_string(),
            num(s.span_s as f64 / 3_600.0, 2),
        ),
        fig(
            "peak_busy_gpus",
            "Peak busy owned GPUs",
            s.peak_busy_gpus.to_string(),
            int(s.peak_busy_gpus),
        ),
        fig(
            "mean_queue_jobs",
            "Mean queue length [jobs]",
            s.mean_queue_jobs.to_string(),
            num(s.mean_queue_jobs, 2),
        ),
        fig(
            "max_queue_jobs",
            "Longest queue [jobs]",
            s.max_queue_jobs.to_string(),
            int(s.max_queue_jobs as u64),
        ),
    ]);
    if s.trim_start_s > 0 || s.trim_end_s.is_some() {
        f.extend([
            fig(
                "trim_start_s",
                "Trimmed after the first submit [h]",
                s.trim_start_s.to_string(),
                num(s.trim_start_s as f64 / 3_600.0, 2),
            ),
            fig(
                "trim_end_s",
                "Trimmed before the last submit [h]",
                s.trim_end_s.map_or_else(String::new, |t| t.to_string()),
                s.trim_end_s
                    .map_or_else(|| "none".to_string(), |t| num(t as f64 / 3_600.0, 2)),
            ),
            fig(
                "window_start_s",
                "Window from, after the first submit [h]",
                s.window_start_s.to_string(),
                num(s.window_start_s as f64 / 3_600.0, 2),
            ),
            fig(
                "window_end_s",
                "Window to, after the first submit [h]",
                s.window_end_s.to_string(),
                num(s.window_end_s as f64 / 3_600.0, 2),
            ),
        ]);
    }
    if s.cpu_only_jobs_left_out > 0 {
        f.push(fig(
            "cpu_only_jobs_left_out",
            "CPU-only jobs left out",
            s.cpu_only_jobs_left_out.to_string(),
            int(s.cpu_only_jobs_left_out as u64),
        ));
    }
    if s.bad_rows_skipped > 0 {
        f.push(fig(
            "bad_rows_skipped",
            "Bad rows skipped",
            s.bad_rows_skipped.to_string(),
            int(s.bad_rows_skipped as u64),
        ));
    }
    f
}

const SPREAD_HEADER: [&str; 6] = [
    "GPUs",
    "jobs",
    "mean [s]",
    "median [s]",
    "P90 [s]",
    "P99 [s]",
];

/// How the table and Markdown show a figure that does not exist (the mean or a percentile of a
/// class without jobs).
const ABSENT: &str = "n/a";

fn shown_or_absent<T>(v: Option<T>, show: impl Fn(T) -> String) -> String {
    v.map_or_else(|| ABSENT.to_string(), show)
}

/// The raw value of a figure for CSV; empty where it does not exist.
fn raw_or_empty<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

fn spread_row(x: &Spread) -> [String; 6] {
    let seconds = |v: i64| int(v.max(0) as u64);
    [
        x.class.to_string(),
        int(x.jobs as u64),
        shown_or_absent(x.mean_s, |v| num(v, 1)),
        shown_or_absent(x.median_s, seconds),
        shown_or_absent(x.p90_s, seconds),
        shown_or_absent(x.p99_s, seconds),
    ]
}

fn spreads(s: &Summary) -> [(&'static str, &[Spread]); 2] {
    [
        ("Wait (submit to start)", &s.wait),
        ("Job completion time (submit to finish)", &s.completion),
    ]
}

/// Left-aligned first column, right-aligned numbers, two spaces between columns.
fn aligned(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|v| v.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, v)| {
                if c == 0 {
                    format!("{v:<w$}", w = widths[c])
                } else {
                    format!("{v:>w$}", w = widths[c])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn table(s: &Summary) -> String {
    let mut out = format!("Replay of {}\n\n", crate::limits::printable(&s.trace));
    let rows: Vec<Vec<String>> = figures(s)
        .into_iter()
        .map(|f| vec![f.label.to_string(), f.shown])
        .collect();
    out.push_str(&aligned(&rows));
    for (title, list) in spreads(s) {
        out.push_str(&format!("\n{title}\n"));
        let mut rows = vec![SPREAD_HEADER.iter().map(|h| h.to_string()).collect()];
        rows.extend(list.iter().map(|x| spread_row(x).to_vec()));
        out.push_str(&aligned(&rows));
    }
    if !s.policies.is_empty() {
        out.push_str(&format!("\nPolicies: {}\n", policy_sentence(s)));
        let mut rows = vec![POLICY_HEADER.iter().map(|h| h.to_string()).collect()];
        rows.extend(s.policies.iter().map(|p| policy_row(p).to_vec()));
        out.push_str(&aligned(&rows));
    }
    out
}

const POLICY_HEADER: [&str; 5] = ["policy", "requirement", "value", "result", "message"];

fn policy_row(p: &PolicyResult) -> [String; 5] {
    [
        p.name.clone(),
        p.requirement.clone(),
        p.value
            .map_or_else(|| "none".to_string(), crate::error::number),
        if p.holds { "holds" } else { "BROKEN" }.to_string(),
        p.message.clone().unwrap_or_default(),
    ]
}

/// "All 2 policies hold." or "1 of 3 policies broken."
fn policy_sentence(s: &Summary) -> String {
    let n = s.policies.len();
    let broken = s.policies.iter().filter(|p| !p.holds).count();
    let plural = if n == 1 { "policy" } else { "policies" };
    if broken == 0 {
        format!("all {n} {plural} hold.")
    } else {
        format!("{broken} of {n} {plural} broken.")
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn markdown(s: &Summary) -> String {
    let cell = crate::report::markdown::escape;
    let mut out = format!(
        "## Replay of `{}`\n\n| figure | value |\n| --- | ---: |\n",
        crate::limits::printable(&s.trace).replace('`', "'")
    );
    for f in figures(s) {
        out.push_str(&format!("| {} | {} |\n", cell(f.label), cell(&f.shown)));
    }
    for (title, list) in spreads(s) {
        out.push_str(&format!(
            "\n### {title}\n\n| {} |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
            SPREAD_HEADER.join(" | ")
        ));
        for x in list {
            out.push_str(&format!(
                "| {} |\n",
                spread_row(x).map(|v| cell(&v)).join(" | ")
            ));
        }
    }
    if !s.policies.is_empty() {
        out.push_str(&format!(
            "\n### Policies\n\n{}\n\n| {} |\n| --- | --- | ---: | --- | --- |\n",
            capitalised(&policy_sentence(s)),
            POLICY_HEADER.join(" | ")
        ));
        for p in &s.policies {
            out.push_str(&format!(
                "| {} |\n",
                policy_row(p).map(|v| cell(&v)).join(" | ")
            ));
        }
    }
    out
}

fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// Long form: one `metric,class,value` row per figure; `class` is the GPU-count class of a
/// wait or completion figure and empty elsewhere. A figure that does not exist has an empty
/// value.
fn csv(s: &Summary) -> String {
    let mut out = String::from("metric,class,value\n");
    out.push_str(&format!("trace,,{}\n", csv_field(&s.trace)));
    for f in figures(s) {
        out.push_str(&format!("{},,{}\n", f.name, csv_field(&f.raw)));
    }
    for (prefix, list) in [("wait", &s.wait), ("completion", &s.completion)] {
        for x in list.iter() {
            for (what, v) in [
                ("jobs", x.jobs.to_string()),
                ("mean_s", raw_or_empty(x.mean_s)),
                ("median_s", raw_or_empty(x.median_s)),
                ("p90_s", raw_or_empty(x.p90_s)),
                ("p99_s", raw_or_empty(x.p99_s)),
            ] {
                out.push_str(&format!("{prefix}_{what},{},{v}\n", csv_field(x.class)));
            }
        }
    }
    for p in &s.policies {
        let bound = |b: Option<f64>| b.map_or_else(String::new, |v| v.to_string());
        for (what, v) in [
            ("metric", p.metric.clone()),
            ("min", bound(p.min)),
            ("max", bound(p.max)),
            ("value", bound(p.value)),
            ("holds", p.holds.to_string()),
        ] {
            out.push_str(&format!(
                "policy_{what},{},{}\n",
                csv_field(&p.name),
                csv_field(&v)
            ));
        }
    }
    out
}

/// The figures compared across cluster sizes (`--nodes A,B,C`): CSV name, label, and the
/// figure of the summary's own list it is (or a wait of all jobs).
const SIZE_COLUMNS: [(&str, &str); 12] = [
    ("nodes", "Nodes"),
    ("owned_gpus", "Owned GPUs"),
    ("utilisation", "Utilisation [%]"),
    ("wait_mean_s", "Mean wait [s]"),
    ("wait_p90_s", "P90 wait [s]"),
    ("wait_p99_s", "P99 wait [s]"),
    ("mean_queue_jobs", "Mean queue [jobs]"),
    ("burst_jobs", "Burst jobs"),
    ("cloud_gpu_hours", "Cloud [GPU-h]"),
    ("cloud_cost_usd", "Cloud cost [USD]"),
    ("unmet_jobs", "Unmet jobs"),
    ("policies_broken", "Policies broken"),
];

/// One row of the comparison of sizes: `(raw, shown)` per column of [`SIZE_COLUMNS`].
fn size_row(s: &Summary) -> Vec<(String, String)> {
    let all = s.wait.iter().find(|w| w.class == "all");
    let wait = |f: fn(&Spread) -> Option<f64>| {
        let v = all.and_then(f);
        (raw_or_empty(v), shown_or_absent(v, |v| num(v, 0)))
    };
    let broken = s.policies.iter().filter(|p| !p.holds).count();
    let cost = s.cloud_cost_usd;
    vec![
        (s.nodes.to_string(), int(u64::from(s.nodes))),
        (s.owned_gpus.to_string(), int(s.owned_gpus)),
        (s.utilisation.to_string(), num(s.utilisation * 100.0, 2)),
        wait(|w| w.mean_s),
        wait(|w| w.p90_s.map(|v| v as f64)),
        wait(|w| w.p99_s.map(|v| v as f64)),
        (s.mean_queue_jobs.to_string(), num(s.mean_queue_jobs, 2)),
        (s.burst_jobs.to_string(), int(s.burst_jobs as u64)),
        (s.cloud_gpu_hours.to_string(), num(s.cloud_gpu_hours, 1)),
        (
            cost.map_or_else(String::new, |c| c.to_string()),
            cost.map_or_else(|| "not priced".to_string(), |c| num(c, 2)),
        ),
        (s.unmet_jobs.to_string(), int(s.unmet_jobs as u64)),
        (
            broken.to_string(),
            if s.policies.is_empty() {
                "-".to_string()
            } else {
                format!("{broken} of {}", s.policies.len())
            },
        ),
    ]
}

/// The replays of one trace on several cluster sizes: JSON, a list of the summaries; the other
/// formats, one row per size of the figures a planner compares sizes on.
pub fn render_sizes(summaries: &[Summary], format: Format) -> String {
    let Some(first) = summaries.first() else {
        return String::new();
    };
    match format {
        Format::Json => {
            let mut text =
                crate::report::json::pretty(summaries).unwrap_or_else(|_| "[]".to_string());
            text.push('\n');
            text
        }
        Format::Csv => {
            let mut out = SIZE_COLUMNS.map(|c| c.0).join(",");
            out.push('\n');
            for s in summaries {
                let row: Vec<String> = size_row(s).into_iter().map(|c| csv_field(&c.0)).collect();
                out.push_str(&row.join(","));
                out.push('\n');
            }
            out
        }
        Format::Table => {
            let mut out = format!(
                "Replay of {} on {} cluster sizes ({} GPUs per node, {}, burst {})\n\n",
                crate::limits::printable(&first.trace),
                summaries.len(),
                first.gpus_per_node,
                first.policy,
                first.burst
            );
            let mut rows = vec![SIZE_COLUMNS.iter().map(|c| c.1.to_string()).collect()];
            rows.extend(
                summaries
                    .iter()
                    .map(|s| size_row(s).into_iter().map(|c| c.1).collect()),
            );
            out.push_str(&aligned(&rows));
            out
        }
        Format::Markdown => {
            let cell = crate::report::markdown::escape;
            let mut out = format!(
                "## Replay of `{}` on {} cluster sizes\n\n{} GPUs per node, {}, burst {}.\n\n| {} |\n|{}\n",
                crate::limits::printable(&first.trace).replace('`', "'"),
                summaries.len(),
                first.gpus_per_node,
                first.policy,
                first.burst,
                SIZE_COLUMNS.map(|c| c.1).join(" | "),
                " ---: |".repeat(SIZE_COLUMNS.len())
            );
            for s in summaries {
                let row: Vec<String> = size_row(s).into_iter().map(|c| cell(&c.1)).collect();
                out.push_str(&format!("| {} |\n", row.join(" | ")));
            }
            out
        }
    }
}

//! A workload given as a job trace (README "Trace workloads"): its keys checked and its trace
//! read, relative to the scenario's folder.

use super::{Ctx, Seg, throughput};
use crate::catalog::Accelerator;
use crate::error::{InputError, key_path};
use crate::model::Input;
use crate::model::queue::MAX_WAIT_HOURS;
use crate::model::trace::{MAX_TRACE_JOBS, TraceIn, laid_jobs};
use crate::replay::trace::{self, ReadOptions};
use crate::replay::{Policy, TraceFormat};
use crate::scenario::{ScenarioFile, WorkloadSpec};
use std::io::BufReader;

/// The layouts a scenario may name, as written.
const FORMATS: [(&str, TraceFormat); 6] = [
    ("csv", TraceFormat::Csv),
    ("helios", TraceFormat::Helios),
    ("philly", TraceFormat::Philly),
    ("philly-json", TraceFormat::PhillyJson),
    ("pai", TraceFormat::Pai),
    ("swf", TraceFormat::Swf),
];

/// Keys of a workload that describe a load profile's demand, which a trace replaces.
fn profile_keys(w: &WorkloadSpec) -> Vec<&'static str> {
    let mut keys = Vec::new();
    if w.gpu_hours_per_month.is_some() {
        keys.push("gpu_hours_per_month");
    }
    if w.training_flops_per_month.is_some() {
        keys.push("training_flops_per_month");
    }
    if w.mfu.is_some() {
        keys.push("mfu");
    }
    if w.profile != "flat" {
        keys.push("profile");
    }
    keys
}

/// Checks that a workload without `trace` sets none of the trace's keys.
pub(super) fn check_no_trace_keys(ctx: &Ctx, n: usize, w: &WorkloadSpec) -> Result<(), InputError> {
    for (key, set) in [
        ("trace_format", w.trace_format.is_some()),
        ("trace_accelerator", w.trace_accelerator.is_some()),
    ] {
        if set {
            return Err(ctx
                .err(
                    &[Seg::Key("workload"), Seg::Index(n), Seg::Key(key)],
                    format!("`{key}` applies only to a workload with `trace`"),
                )
                .expected(format!(
                    "`trace = \"PATH\"`, the job trace it describes, or no `{key}`"
                ))
                .found(format!("`{key}` without `trace`")));
        }
    }
    Ok(())
}

/// The trace of workload `n`, whose `trace` key is `path`.
pub(super) fn resolve_trace(
    ctx: &mut Ctx,
    n: usize,
    w: &WorkloadSpec,
    path: &str,
    reference: &Accelerator,
    basis: &str,
) -> Result<TraceIn, InputError> {
    let p = |f: &'static str| [Seg::Key("workload"), Seg::Index(n), Seg::Key(f)];
    let mut keys = profile_keys(w);
    // `profile = "flat"` is the default's value, but written beside `trace` it is as
    // contradictory as any other profile.
    if w.profile == "flat" && ctx.written(&p("profile")) {
        keys.push("profile");
    }
    if let Some(key) = keys.first() {
        return Err(ctx
            .err(&p(key), format!("`{key}` does not apply to a trace workload"))
            .expected(
                "either `trace` (the jobs are the demand) or a load profile's `gpu_hours_per_month` / `training_flops_per_month`, not both",
            )
            .found(format!("`trace` and `{key}`")));
    }
    let file = ctx.source.path_of(path);
    let format = match &w.trace_format {
        Some(name) => match FORMATS.iter().find(|(f, _)| f == name) {
            Some((_, format)) => *format,
            None => {
                let names: Vec<&str> = FORMATS.iter().map(|(f, _)| *f).collect();
                return Err(ctx
                    .err(&p("trace_format"), format!("unknown trace format `{name}`"))
                    .expected(format!(
                        "one of {}",
                        names
                            .iter()
                            .map(|f| format!("`{f}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                    .found(format!("`{name}`"))
                    .did_you_mean(name, names.iter().copied()));
            }
        },
        None => match file.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("swf") => TraceFormat::Swf,
            Some(ext) if ext.eq_ignore_ascii_case("json") => TraceFormat::PhillyJson,
            _ => TraceFormat::Csv,
        },
    };
    let rel = match &w.trace_accelerator {
        None => 1.0,
        Some(id) => {
            let a = ctx.accelerator(&p("trace_accelerator"), id)?;
            let own = throughput(ctx, basis, &a, &p("trace_accelerator"))?;
            let reference = throughput(ctx, basis, reference, &p("trace_accelerator"))?;
            let rel = own / reference;
            ctx.add_throughput(&a, basis, rel);
            rel
        }
    };
    if !(rel.is_finite() && rel > 0.0) {
        return Err(ctx
            .err(
                &p("trace_accelerator"),
                "the trace's accelerator has no throughput",
            )
            .expected("an accelerator with a throughput above 0 on the scenario's basis")
            .found(crate::error::written(rel)));
    }
    // Without a limit a cluster that never catches up would carry an endless backlog.
    let max_wait_s = ctx.value_in(
        &p("max_wait_hours"),
        w.max_wait_hours.unwrap_or(i64::from(MAX_WAIT_HOURS)) as f64,
        0.0,
        f64::from(MAX_WAIT_HOURS),
        "whole hours from 0 (a job that cannot start on arrival leaves) to 8760 (a year)",
    ) as i64
        * 3600;
    let shown = crate::limits::printable(&file.display().to_string());
    // Only a regular file: a FIFO or a device would block or never end. Named at the key.
    let opened = crate::limits::open_regular(&file, &shown, "trace").map_err(|e| {
        let problem = e
            .problem
            .replace("the trace", &format!("the trace `{shown}`"));
        let mut at = ctx.err(&p("trace"), problem);
        at.expected = Some("a readable job trace file, relative to the scenario's folder".into());
        at.found = e.found.clone();
        match ctx.source.stdin_paths_hint() {
            Some(hint) => at.hint(hint),
            None => at,
        }
    })?;
    let read = trace::read_beside(
        &shown,
        &file,
        BufReader::with_capacity(1 << 16, opened),
        ReadOptions {
            format,
            skip_bad: false,
            // Naming an SWF log as a GPU workload's trace reads its processors as GPUs.
            processors_as_gpus: format == TraceFormat::Swf,
        },
    )
    .map_err(|mut e| {
        // The error names the trace's file and line; say which key of the scenario reads it,
        // and that a scenario has no `--skip-bad` (the `replay` command's flag).
        let key = key_path(&p("trace"));
        let scenario = &ctx.source.display;
        e.hint = Some(match e.hint.as_deref() {
            Some(h) if h.contains("--skip-bad") => format!(
                "the trace is `{key}` of {scenario}, which reads every row: correct or delete the row (`tcosim replay {shown} --skip-bad` counts such rows)"
            ),
            Some(h) => format!("{h} (the trace is `{key}` of {scenario})"),
            None => format!("the trace is `{key}` of {scenario}"),
        });
        e
    })?;
    for note in read.notes() {
        ctx.warnings.push(format!("workload `{}`: {note}", w.name));
    }
    let mut jobs = read.jobs;
    jobs.sort_by_key(|j| j.submit_s);
    let (Some(first), Some(last)) = (jobs.first().copied(), jobs.last().copied()) else {
        return Err(ctx
            .err(&p("trace"), format!("the trace `{shown}` has no GPU jobs"))
            .expected("at least two jobs that use GPUs")
            .found("none"));
    };
    let span = (last.submit_s - first.submit_s) as f64;
    if span <= 0.0 {
        return Err(ctx
            .err(
                &p("trace"),
                format!("every job of the trace `{shown}` arrives at one instant"),
            )
            .expected("jobs that arrive over a stretch of time, which is repeated over the horizon")
            .found(format!(
                "{} job{} submitted at second {}",
                jobs.len(),
                if jobs.len() == 1 { "" } else { "s" },
                first.submit_s
            )));
    }
    for j in &mut jobs {
        j.submit_s -= first.submit_s;
        j.start_s = None;
    }
    let count = jobs.len() as f64;
    Ok(TraceIn {
        source: path.to_string(),
        period_s: span * count / (count - 1.0),
        jobs,
        rel_throughput: rel,
        max_wait_s,
    })
}

/// The schedulers an owned option may name, as written.
const SCHEDULERS: [(&str, Policy); 4] = [
    ("fifo", Policy::Fifo),
    ("fifo-skip", Policy::FifoSkip),
    ("easy-backfill", Policy::EasyBackfill),
    ("sjf", Policy::Sjf),
];

/// The order trace jobs start in on an owned option (`scheduler`, at `path`); `fifo` when
/// not given.
pub(super) fn scheduler(ctx: &Ctx, path: &[Seg], name: Option<&str>) -> Result<Policy, InputError> {
    let Some(name) = name else {
        return Ok(Policy::Fifo);
    };
    if let Some((_, policy)) = SCHEDULERS.iter().find(|(n, _)| *n == name) {
        return Ok(*policy);
    }
    let names: Vec<&str> = SCHEDULERS.iter().map(|(n, _)| *n).collect();
    Err(ctx
        .err(path, format!("unknown scheduler `{name}`"))
        .expected(format!(
            "one of {}",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .found(format!("`{name}`"))
        .did_you_mean(name, names.iter().copied()))
}

/// Checks that the trace workloads of `input` lay at most [`MAX_TRACE_JOBS`] jobs over its
/// horizon (T1, T2).
pub(super) fn check_laid_jobs(
    ctx: &mut Ctx,
    input: &Input,
    file: &ScenarioFile,
) -> Result<(), InputError> {
    if !input.has_traces() {
        return Ok(());
    }
    let (laid, by) = laid_jobs(input, MAX_TRACE_JOBS);
    if laid <= MAX_TRACE_JOBS {
        // How often each trace repeats is an assumption of the run: say it.
        for (w, n) in input.workloads.iter().zip(by) {
            let Some(t) = &w.trace else { continue };
            let jobs = t.jobs.len() as u64;
            if n > jobs {
                let passes = n as f64 / jobs as f64;
                ctx.warnings.push(format!(
                    "workload `{}`: the {} jobs of `{}` repeat every {} over the horizon: {} jobs laid, about {} passes (README T1, T2)",
                    w.name,
                    crate::limits::group(jobs),
                    t.source,
                    span(t.period_s),
                    crate::limits::group(n),
                    if passes >= 100.0 {
                        crate::limits::group(passes.round() as u64)
                    } else {
                        format!("{passes:.1}")
                    }
                ));
            }
        }
        return Ok(());
    }
    let n = file
        .workloads
        .iter()
        .position(|w| w.trace.is_some())
        .unwrap_or(0);
    Err(ctx
        .err(
            &[Seg::Key("workload"), Seg::Index(n), Seg::Key("trace")],
            "the trace workloads lay too many jobs over the horizon",
        )
        .expected(format!(
            "at most {} jobs over the horizon, every repetition of a trace counted (README \"Limits\")",
            crate::limits::group(MAX_TRACE_JOBS)
        ))
        .found(format!("more than {}", crate::limits::group(MAX_TRACE_JOBS)))
        .hint("a shorter horizon, a smaller `demand_scale`, or a trace sampled to fewer jobs"))
}

/// A stretch of time in the unit that reads best: seconds, minutes, hours or days.
fn span(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7_200.0 {
        format!("{:.1} minutes", seconds / 60.0)
    } else if seconds < 172_800.0 {
        format!("{:.1} hours", seconds / 3_600.0)
    } else {
        format!("{:.1} days", seconds / 86_400.0)
    }
}

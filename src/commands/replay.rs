//! `tcosim replay TRACE`: read a job trace, replay it on an owned cluster, price the burst,
//! write the summary.

use crate::cli::ReplayArgs;
use crate::commands::shared::{emit, warn};
use crate::{Failure, output};
use std::io::BufReader;
use std::time::Instant;
use tcosim::catalog::Catalog;
use tcosim::error::InputError;
use tcosim::replay::stats::{Context, Pricing, summarise};
use tcosim::replay::trace::{self, ReadOptions};
use tcosim::replay::{Burst, Cluster, Config, TraceFormat, render, sim, time};

pub const HELP: &str = "\
Examples:
  tcosim replay ../shared/data/traces/philly-2017-10-01-5000.csv --trace-format philly --nodes 64
  tcosim replay jobs.csv --nodes 16 --gpus-per-node 8 --policy easy-backfill
  tcosim replay log.csv --trace-format helios --nodes 64 --burst after=2h --offer aws-p5.48xlarge-us-east-1
  tcosim replay log.csv --trace-format helios --nodes 125 --as-recorded --format json
  tcosim replay cluster.swf --swf-processors-as-gpus --nodes 32 --burst max-queue=100 --skip-bad

Trace formats (columns found by their header names):
  csv     job_id,submit,start,duration,gpus (job_id and start optional; times in seconds or
          ISO with an optional zone, e.g. 2023-03-01 00:18:22+08:00; duration in seconds)
  helios  the Helios/Acme Slurm-style log (submit_time,start_time,end_time,duration,gpu_num)
          or the Helios interval sample (interval,run_time,gpu_num)
  philly  the condensed Philly CSV (timestamp,duration,num_gpus)
  philly-json  the original Philly cluster_job_log, a JSON list of jobs (the default for .json)
  pai     the Alibaba PAI 2020 task table; pai_job_table.csv beside it gives submissions
  swf     the Standard Workload Format; processors are GPUs only with --swf-processors-as-gpus

A job of at most G GPUs runs on one node (best fit); a larger one takes whole nodes; one larger
than the cluster is unmet (or burst at arrival under a burst rule). Jobs asking for 0 GPUs are
left out and counted. The README's \"Trace replay\" section defines every figure.

Exit codes: 0 success, 2 bad input or usage (a bad row names its file, line, column and field).";

/// Reads `--burst`: `never`, `immediate`, `after=DURATION` or `max-queue=N`.
pub fn parse_burst(text: &str) -> Result<Burst, String> {
    let expected = "`never`, `immediate`, `after=DURATION` (e.g. `2h`, `30m`) or `max-queue=N`";
    match text.split_once('=') {
        None if text == "never" => Ok(Burst::Never),
        None if text == "immediate" => Ok(Burst::After(0)),
        Some(("after", d)) => time::duration(d).map(Burst::After).ok_or_else(|| {
            format!(
                "expected a duration such as `2h`, `30m`, `90s` or `1d` after `after=`, found `{d}`"
            )
        }),
        Some(("max-queue", n)) => n.parse::<usize>().map(Burst::MaxQueue).map_err(|_| {
            format!("expected a whole number of jobs after `max-queue=`, found `{n}`")
        }),
        _ => Err(format!("expected {expected}, found `{text}`")),
    }
}

/// Largest cluster accepted: far beyond any real one, small enough for per-node arrays.
const MAX_NODES: u32 = 10_000_000;
const MAX_GPUS_PER_NODE: u32 = 4_096;

fn check_cluster(args: &ReplayArgs) -> Result<Cluster, InputError> {
    if args.nodes == 0 || args.nodes > MAX_NODES {
        return Err(InputError::new("--nodes", "invalid number of nodes")
            .expected(format!("1 to {MAX_NODES}"))
            .found(args.nodes.to_string()));
    }
    if args.gpus_per_node == 0 || args.gpus_per_node > MAX_GPUS_PER_NODE {
        return Err(
            InputError::new("--gpus-per-node", "invalid number of GPUs per node")
                .expected(format!("1 to {MAX_GPUS_PER_NODE}"))
                .found(args.gpus_per_node.to_string()),
        );
    }
    Ok(Cluster {
        nodes: args.nodes,
        gpus_per_node: args.gpus_per_node,
    })
}

/// The offer's on-demand price per GPU-hour.
fn pricing(catalog: &Catalog, id: &str) -> Result<Pricing, InputError> {
    let offer = catalog.offer(id).ok_or_else(|| {
        InputError::unknown_id(
            "--offer",
            "--offer",
            "cloud offer",
            id,
            catalog.offers.iter().map(|o| o.id.as_str()),
        )
    })?;
    Ok(Pricing {
        offer: offer.id.clone(),
        usd_per_gpu_hour: offer.on_demand_usd_per_hour / f64::from(offer.accelerator_count.max(1)),
    })
}

pub fn replay(args: ReplayArgs, quiet: bool) -> Result<(), Failure> {
    let cluster = check_cluster(&args)?;
    let out = args.out.output.as_deref();
    if let Some(path) = out {
        output::check(&[("--output", path)])?;
    }
    let pricing = match &args.offer {
        Some(id) => Some(pricing(&Catalog::load(&args.out.catalog)?, id)?),
        None => None,
    };
    if pricing.is_none() && args.burst != Burst::Never && !args.as_recorded {
        warn(
            quiet,
            "no `--offer`: burst work is counted in GPU-hours but not priced",
        );
    }
    let format = args.trace_format.unwrap_or_else(|| {
        match args.trace.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("swf") => TraceFormat::Swf,
            Some(ext) if ext.eq_ignore_ascii_case("json") => TraceFormat::PhillyJson,
            _ => TraceFormat::Csv,
        }
    });
    let display = args.trace.display().to_string();
    let file = std::fs::File::open(&args.trace).map_err(|e| {
        InputError::new(&display, "cannot open the trace")
            .expected("a readable trace file")
            .found(tcosim::limits::io_reason(&e))
    })?;
    let began = Instant::now();
    let trace = trace::read_beside(
        &display,
        &args.trace,
        BufReader::with_capacity(1 << 16, file),
        ReadOptions {
            format,
            skip_bad: args.skip_bad,
            processors_as_gpus: args.swf_processors_as_gpus,
        },
    )?;
    let read_s = began.elapsed().as_secs_f64();
    if trace.skipped_rows > 0 {
        let lines: Vec<String> = trace.skipped_lines.iter().map(u64::to_string).collect();
        let more = if trace.skipped_rows > lines.len() {
            ", …"
        } else {
            ""
        };
        warn(
            quiet,
            &format!(
                "{display}: skipped {} bad row{} (line{} {}{more})",
                trace.skipped_rows,
                if trace.skipped_rows == 1 { "" } else { "s" },
                if lines.len() == 1 { "" } else { "s" },
                lines.join(", ")
            ),
        );
    }
    for note in trace.notes() {
        warn(quiet, &note);
    }
    let config = Config {
        cluster,
        policy: args.policy,
        burst: args.burst,
        as_recorded: args.as_recorded,
    };
    let simulated = Instant::now();
    let outcome = sim::simulate(&trace.jobs, &config);
    let sim_s = simulated.elapsed().as_secs_f64();
    let summary = summarise(
        &trace.jobs,
        &outcome,
        Context {
            trace: &display,
            config: &config,
            pricing,
            cpu_only_jobs: trace.cpu_only_jobs,
            bad_rows: trace.skipped_rows,
        },
    );
    if summary.never_fit_jobs > 0 {
        warn(
            quiet,
            &format!(
                "{} job{} larger than the cluster's {} GPUs",
                summary.never_fit_jobs,
                if summary.never_fit_jobs == 1 {
                    " is"
                } else {
                    "s are"
                },
                cluster.gpus()
            ),
        );
    }
    if !quiet {
        eprintln!(
            "replayed {} jobs ({} events) in {:.1} ms after reading the trace in {:.1} ms",
            trace.jobs.len(),
            outcome.events,
            sim_s * 1e3,
            read_s * 1e3
        );
    }
    emit(out, &render::render(&summary, args.out.format), None)
}

//! `tcosim replay TRACE`: read a job trace, replay it on an owned cluster, price the burst,
//! write the summary.

use crate::cli::ReplayArgs;
use crate::commands::shared::{
    broken_policies, catalog_inputs, check_outputs, emit, inputs, refuse_inputs_inside,
    scenario_inputs, warn,
};
use crate::output::{self, Input, Out};
use crate::{Failure, interrupt};
use std::io::BufReader;
use std::path::{Component, Path};
use std::time::Instant;
use tcosim::catalog::Catalog;
use tcosim::error::InputError;
use tcosim::replay::stats::{Context, Pricing, Trim, summarise_within};
use tcosim::replay::trace::{self, ReadOptions};
use tcosim::replay::{Burst, Cluster, Config, TraceFormat, render, sim, time};
use tcosim::report::folder::{self, Destination, Origin};

pub const HELP: &str = "\
Examples:
  tcosim replay ../shared/data/traces/philly-2017-10-01-5000.csv --trace-format philly --nodes 64
  tcosim replay jobs.csv --nodes 16 --gpus-per-node 8 --policy easy-backfill
  tcosim replay log.csv --trace-format helios --nodes 64 --burst after=2h --offer aws-p5.48xlarge-us-east-1
  tcosim replay log.csv --trace-format helios --nodes 125 --as-recorded --format json
  tcosim replay cluster.swf --swf-processors-as-gpus --nodes 32 --burst max-queue=100 --skip-bad
  tcosim replay jobs.csv --scenario scenarios/startup-finetune.toml --option own-1-burst-lambda
  tcosim replay jobs.csv --nodes 32,48,64,96,128 --burst after=2h   compare cluster sizes
  tcosim replay jobs.csv --nodes 16 --trim-start 1d --trim-end 1d --report reports/replay
  tcosim replay jobs.csv --nodes 16 --policy-file replay-policies.toml --format json

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

Exit codes: 0 success, 1 a `--policy-file` policy is broken (after writing every output), 2 bad
input or usage (a bad row names its file, line, column and field).";

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

/// Reads `--trim-start` and `--trim-end`: a duration.
pub fn parse_trim(text: &str) -> Result<i64, String> {
    time::duration(text).ok_or_else(|| {
        format!(
            "expected a duration such as `2h`, `30m`, `90s` or `1d` (at most 10^12 s), found `{text}`"
        )
    })
}

/// Largest cluster accepted: far beyond any real one, small enough for per-node arrays.
const MAX_NODES: u32 = 10_000_000;
const MAX_GPUS_PER_NODE: u32 = 4_096;

fn check_cluster(nodes: u32, gpus_per_node: u32, from: &str) -> Result<Cluster, InputError> {
    let (nodes_key, gpus_key) = if from.is_empty() {
        ("--nodes".to_string(), "--gpus-per-node".to_string())
    } else {
        (
            format!("{from}: servers"),
            format!("{from}: GPUs per server"),
        )
    };
    if nodes == 0 || nodes > MAX_NODES {
        return Err(InputError::new(nodes_key, "invalid number of nodes")
            .expected(format!("1 to {MAX_NODES}"))
            .found(nodes.to_string()));
    }
    if gpus_per_node == 0 || gpus_per_node > MAX_GPUS_PER_NODE {
        return Err(InputError::new(gpus_key, "invalid number of GPUs per node")
            .expected(format!("1 to {MAX_GPUS_PER_NODE}"))
            .found(gpus_per_node.to_string()));
    }
    Ok(Cluster {
        nodes,
        gpus_per_node,
    })
}

/// The cluster sizes, burst rule and pricing of a replay, and the files of `--scenario` read.
type Setup = (Vec<Cluster>, Burst, Option<Pricing>, Vec<Input>);

/// The cluster, burst rule and pricing of the replay: from `--option` of `--scenario`, or from
/// `--nodes`, `--gpus-per-node`, `--burst` and `--offer`. An explicit `--burst` wins over the
/// option's.
fn setup(args: &ReplayArgs, quiet: bool) -> Result<Setup, Failure> {
    refuse_unused(args)?;
    if let (Some(path), Some(name)) = (&args.scenario, &args.option) {
        let loaded = tcosim::run::Loaded::read(Some(path), &args.out.catalog)?;
        let shown = loaded.source.display.clone();
        let o =
            tcosim::replay::scenario::from_option(&loaded.resolved, &loaded.catalog, &shown, name)?;
        let from = format!("option `{name}` of {shown}");
        let cluster = check_cluster(o.cluster.nodes, o.cluster.gpus_per_node, &from)?;
        let burst = args.burst.unwrap_or(o.burst);
        if !quiet {
            eprintln!(
                "replaying on {from}: {} node{} × {} GPUs, burst {}{}",
                cluster.nodes,
                if cluster.nodes == 1 { "" } else { "s" },
                cluster.gpus_per_node,
                tcosim::replay::stats::burst_name(burst),
                o.pricing
                    .as_ref()
                    .map(|p| format!(", priced at offer `{}`", p.offer))
                    .unwrap_or_default()
            );
        }
        let read = scenario_inputs(Some(path), &loaded);
        return Ok((vec![cluster], burst, o.pricing, read));
    }
    if args.nodes.len() > MAX_SIZES {
        return Err(InputError::new("--nodes", "too many cluster sizes")
            .expected(format!("at most {MAX_SIZES} sizes"))
            .found(args.nodes.len().to_string())
            .into());
    }
    let clusters = args
        .nodes
        .iter()
        .map(|&n| check_cluster(n, args.gpus_per_node.unwrap_or(8), ""))
        .collect::<Result<Vec<_>, _>>()?;
    // The same size twice would be the same row twice.
    if let Some(n) = args
        .nodes
        .iter()
        .enumerate()
        .find_map(|(k, n)| args.nodes[..k].contains(n).then_some(n))
    {
        return Err(InputError::new("--nodes", "a cluster size given twice")
            .expected("each number of nodes once")
            .found(format!("{n} twice"))
            .into());
    }
    if clusters.is_empty() {
        return Err(InputError::new("--nodes", "no cluster size")
            .expected("a number of nodes, or several separated by commas")
            .found("none")
            .into());
    }
    let pricing = match &args.offer {
        Some(id) => Some(pricing(&Catalog::load(&args.out.catalog)?, id)?),
        None => None,
    };
    Ok((
        clusters,
        args.burst.unwrap_or(Burst::Never),
        pricing,
        Vec::new(),
    ))
}

/// Refuses an `--output` file and a `--report` folder that overlap: the same path, the file
/// inside the folder (which is replaced as a whole), or the folder inside the file's path
/// (whose parents the report would create as folders). Checked before anything is written,
/// so that a run never writes one of them and then fails on the other.
fn refuse_overlap(output: &Path, report: &Path) -> Result<(), InputError> {
    let (file, folder) = (resolved(output), resolved(report));
    let shown = |p: &Path| tcosim::limits::printable(&p.display().to_string());
    if file == folder {
        return Err(
            InputError::new("--output", "the same path as the report folder")
                .expected("a file for `--output` and a folder for `--report`, each its own path")
                .found(format!(
                    "`{}` and `{}`, the same path",
                    shown(output),
                    shown(report)
                ))
                .hint("write the output elsewhere, or leave it out: the folder has the summary"),
        );
    }
    if file.starts_with(&folder) {
        return Err(
            InputError::new("--output", "a file inside the report folder")
                .expected("`--output` outside the `--report` folder, which is written as a whole")
                .found(format!("`{}` in `{}`", shown(output), shown(report)))
                .hint("write the output elsewhere, or leave it out: the folder has the summary"),
        );
    }
    if folder.starts_with(&file) {
        return Err(
            InputError::new("--report", "a report folder inside the --output path")
                .expected("the `--report` folder apart from the `--output` file")
                .found(format!("`{}` under `{}`", shown(report), shown(output)))
                .hint("choose another folder with `--report`, or another file for `--output`"),
        );
    }
    Ok(())
}

/// `path` as an absolute path, with the part of it that exists as it is on disk (symbolic
/// links followed, as `--output` follows them) and the rest as written.
fn resolved(path: &Path) -> std::path::PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let parts: Vec<Component> = absolute.components().collect();
    for known in (1..=parts.len()).rev() {
        let head: std::path::PathBuf = parts[..known].iter().collect();
        if let Ok(mut real) = head.canonicalize() {
            for part in &parts[known..] {
                match part {
                    Component::ParentDir => {
                        real.pop();
                    }
                    Component::Normal(name) => real.push(name),
                    _ => {}
                }
            }
            return real;
        }
    }
    absolute
}

/// Refuses flags that the other flags leave without effect, rather than ignore them.
fn refuse_unused(args: &ReplayArgs) -> Result<(), InputError> {
    if args.option.is_some() && args.scenario.is_none() {
        return Err(
            InputError::new("--option", "an option without its scenario")
                .expected("`--option NAME` with `--scenario FILE`")
                .found("no `--scenario`")
                .hint("give the scenario, or `--nodes` alone for a cluster of your own"),
        );
    }
    if args.as_recorded {
        let ignored = [
            ("--policy", args.policy.is_some()),
            ("--burst", args.burst.is_some()),
        ];
        if let Some((flag, _)) = ignored.iter().find(|(_, given)| *given) {
            return Err(InputError::new(*flag, "a queue rule for jobs that do not queue")
                .expected(format!(
                    "`--as-recorded` alone: every job starts at its recorded time, so no `{flag}` applies"
                ))
                .found(format!("`{flag}` with `--as-recorded`"))
                .hint("leave out one of the two"));
        }
    }
    if !args.out.catalog.is_empty() && args.offer.is_none() && args.scenario.is_none() {
        return Err(
            InputError::new("--catalog", "catalog layers that nothing reads")
                .expected("`--catalog` with `--offer` (to price burst work) or `--scenario`")
                .found(format!(
                    "`--catalog {}` alone",
                    tcosim::limits::printable(&args.out.catalog[0].display().to_string())
                ))
                .hint("add `--offer ID`, or leave out `--catalog`"),
        );
    }
    Ok(())
}

/// Most cluster sizes one `replay` compares: each keeps every job's outcome in memory.
const MAX_SIZES: usize = 64;

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
    let (clusters, burst, pricing, scenario_read) = setup(&args, quiet)?;
    let cluster = clusters[0];
    let out = crate::output::file(args.out.output.as_deref());
    if clusters.len() > 1 && args.report.is_some() {
        return Err(
            InputError::new("--report", "a report folder of several cluster sizes")
                .expected("one `--nodes` value with `--report` (one folder per size)")
                .found(format!("{} sizes", clusters.len()))
                .into(),
        );
    }
    let format = args.trace_format.unwrap_or_else(|| {
        match args.trace.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("swf") => TraceFormat::Swf,
            Some(ext) if ext.eq_ignore_ascii_case("json") => TraceFormat::PhillyJson,
            _ => TraceFormat::Csv,
        }
    });
    if args.swf_processors_as_gpus && format != TraceFormat::Swf {
        let name = clap::ValueEnum::to_possible_value(&format)
            .map_or_else(String::new, |v| v.get_name().to_string());
        return Err(InputError::new(
            "--swf-processors-as-gpus",
            "a rule for SWF traces on a trace of another layout",
        )
        .expected("`--swf-processors-as-gpus` with an SWF trace (`.swf`, or `--trace-format swf`)")
        .found(format!("a `{name}` trace"))
        .hint("leave out `--swf-processors-as-gpus`")
        .into());
    }
    let mut read = vec![("the trace", args.trace.clone())];
    if format == TraceFormat::Pai {
        read.push(("the PAI job table", trace::pai_job_table(&args.trace)));
    }
    read.extend(scenario_read);
    read.extend(inputs("a policy file", &args.policy_file));
    read.extend(catalog_inputs(&args.out.catalog));
    if let (Some(path), Some(dir)) = (out, &args.report) {
        refuse_overlap(path, dir)?;
    }
    check_outputs(out, None, &read)?;
    let policies = tcosim::replay::policy::read(&args.policy_file)?;
    let report = args
        .report
        .clone()
        .map(|path| Destination::named_by(path, "--report"));
    let origin = Origin {
        name: "replay".to_string(),
        source: args.trace.display().to_string(),
    };
    if let Some(dest) = &report {
        // Replacing the folder deletes what its manifest lists: never a file this command reads.
        refuse_inputs_inside(dest, &read)?;
        // Refused before the work rather than after it; checked again when the folder is swapped.
        folder::check(dest, &origin)?;
    }
    if pricing.is_none() && burst != Burst::Never && !args.as_recorded {
        let why = match &args.option {
            Some(name) => format!("option `{name}` has no cloud offer"),
            None => "no `--offer`".to_string(),
        };
        warn(
            quiet,
            &format!("{why}: burst work is counted in GPU-hours but not priced"),
        );
    }
    let display = args.trace.display().to_string();
    // A FIFO or a device would block or never end: only a regular file is read.
    let file = tcosim::limits::open_regular(&args.trace, &display, "trace")?;
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
        policy: args.policy.unwrap_or(tcosim::replay::Policy::Fifo),
        burst,
        as_recorded: args.as_recorded,
    };
    let trim = Trim {
        start_s: args.trim_start.unwrap_or(0),
        end_s: args.trim_end,
    };
    let summary_of = |outcome: &sim::Outcome, config: &Config| {
        summarise_within(
            &trace.jobs,
            outcome,
            Context {
                trace: &display,
                config,
                pricing: pricing.clone(),
                cpu_only_jobs: trace.cpu_only_jobs,
                bad_rows: trace.skipped_rows,
            },
            trim,
        )
        .map_err(|e| trim_error(&e, trim))
    };
    if clusters.len() > 1 {
        // Several sizes: replayed in parallel, compared one row per size.
        let nodes: Vec<u32> = clusters.iter().map(|c| c.nodes).collect();
        let simulated = Instant::now();
        // Each size's outcome is summarised as soon as it is simulated, then dropped.
        let results = sim::simulate_sizes_with(&trace.jobs, &config, &nodes, |outcome, config| {
            summary_of(&outcome, config).map(|mut summary| {
                // Every job's wait is kept for the charts only, which a comparison has not.
                summary.waits_sorted = Vec::new();
                summary.policies = tcosim::replay::policy::evaluate(&policies, &summary);
                (summary, outcome.events)
            })
        });
        let sim_s = simulated.elapsed().as_secs_f64();
        let mut summaries = Vec::with_capacity(results.len());
        let mut events = 0u64;
        for result in results {
            let (summary, n) = result?;
            summaries.push(summary);
            events += n;
        }
        if !quiet {
            eprintln!(
                "replayed {} jobs on {} cluster sizes ({} events) in {:.1} ms after reading the trace in {:.1} ms",
                trace.jobs.len(),
                clusters.len(),
                events,
                sim_s * 1e3,
                read_s * 1e3
            );
        }
        emit(
            out,
            &render::render_sizes(&summaries, args.out.format),
            None,
        )?;
        let all: Vec<_> = summaries
            .iter()
            .flat_map(|s| tcosim::replay::policy::outcomes(&s.policies))
            .collect();
        return broken_policies(&all);
    }
    let simulated = Instant::now();
    let outcome = sim::simulate(&trace.jobs, &config);
    let sim_s = simulated.elapsed().as_secs_f64();
    let mut summary = summary_of(&outcome, &config)?;
    summary.policies = tcosim::replay::policy::evaluate(&policies, &summary);
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
    // Everything is rendered before anything is written. Then (see `output::emit_with`) an
    // `--output` file is staged, a device or standard output written, the report folder staged
    // and swapped in, and only then the file renamed into place: a failure of one leaves the
    // other unwritten, and an earlier report or output as it was.
    let text = render::render(&summary, args.out.format);
    let report = match report {
        Some(dest) => {
            let files = tcosim::replay::charts::report_files(&summary, &outcome).map_err(|e| {
                InputError::new(dest.path.display().to_string(), "cannot render the report")
                    .found(e.to_string())
            })?;
            Some((dest, files))
        }
        None => None,
    };
    let outputs: Vec<Out> = out
        .map(|path| Out {
            flag: "--output",
            path,
            bytes: text.as_bytes(),
        })
        .into_iter()
        .collect();
    output::emit_with(&outputs, out.is_none().then_some(text.as_str()), || {
        if let Some((dest, files)) = &report {
            folder::write(dest, files, &origin, interrupt::flag())?;
            if !quiet {
                eprintln!("wrote {} ({} files)", dest.path.display(), files.len());
            }
        }
        Ok(())
    })?;
    broken_policies(&tcosim::replay::policy::outcomes(&summary.policies))
}

/// The error of trims that leave no window.
fn trim_error(e: &tcosim::replay::stats::EmptyWindow, trim: Trim) -> InputError {
    InputError::new("--trim-start/--trim-end", "the trimmed window is empty")
        .expected(format!(
            "trims that leave time between them: the submits span {} s and the run {} s",
            e.submit_span_s, e.event_span_s
        ))
        .found(format!(
            "--trim-start {} s, --trim-end {}",
            trim.start_s,
            trim.end_s
                .map_or_else(|| "none".to_string(), |t| format!("{t} s"))
        ))
}

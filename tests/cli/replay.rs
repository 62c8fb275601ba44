//! `tcosim replay`: hand-computed waits for each queue policy, exact utilisation, unmet jobs,
//! burst pricing, bad rows, determinism, and the recorded waits of the shared trace samples.

use crate::support::{EXIT_INPUT, Scratch, output, stderr, stdout, success};
use serde_json::Value;
use std::path::PathBuf;

/// The jobs replayed and the bad rows skipped by a successful `--skip-bad` replay with JSON
/// output `out`, whose stderr says `note` (`skipped 1 bad row (line 2)`).
fn skipped(out: &std::process::Output, note: &str) -> (u64, u64) {
    assert!(out.status.success(), "{}", stderr(out));
    assert!(stderr(out).contains(note), "{}", stderr(out));
    let v: Value = serde_json::from_str(&stdout(out)).expect("JSON");
    let count = |key: &str| v[key].as_u64().expect(key);
    (count("jobs"), count("bad_rows_skipped"))
}

/// The shared trace samples, beside the repository.
fn traces() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/traces");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: the trace samples folder {} is absent",
            dir.display()
        );
        None
    }
}

/// One node of 4 GPUs and four jobs: A (t=0, 10 s, 3 GPUs), B (t=1, 10 s, 4 GPUs),
/// C (t=2, 3 s, 1 GPU), D (t=3, 20 s, 1 GPU).
const FOUR: &str = "job_id,submit,start,duration,gpus\nA,0,,10,3\nB,1,,10,4\nC,2,,3,1\nD,3,,20,1\n";

fn replay_json(trace: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "replay".to_string(),
        trace.display().to_string(),
        "--format".to_string(),
        "json".to_string(),
        "--quiet".to_string(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    serde_json::from_str(&success(&args)).expect("JSON output")
}

/// `(mean, median, P90, P99)` of the waits of GPU-count class `class`.
fn waits(v: &Value, class: &str) -> (f64, i64, i64, i64) {
    let w = v["wait"]
        .as_array()
        .expect("wait array")
        .iter()
        .find(|w| w["class"] == class)
        .expect("class");
    (
        w["mean_s"].as_f64().expect("mean"),
        w["median_s"].as_i64().expect("median"),
        w["p90_s"].as_i64().expect("p90"),
        w["p99_s"].as_i64().expect("p99"),
    )
}

#[test]
fn strict_fifo_waits_behind_a_blocked_head() {
    let s = Scratch::new();
    let trace = s.write("four.csv", FOUR);
    let v = replay_json(&trace, &["--nodes", "1", "--gpus-per-node", "4"]);
    // A runs 0-10; B needs the whole node and runs 10-20; C and D wait behind B and start at 20.
    // Waits 0, 9, 18, 17: mean 11; sorted 0, 9, 17, 18, so the median (rank 2) is 9 and P90
    // and P99 (rank 4) are 18.
    assert_eq!(waits(&v, "all"), (11.0, 9, 18, 18));
}

#[test]
fn fifo_skip_lets_small_jobs_pass_the_head() {
    let s = Scratch::new();
    let trace = s.write("four.csv", FOUR);
    let v = replay_json(
        &trace,
        &[
            "--nodes",
            "1",
            "--gpus-per-node",
            "4",
            "--policy",
            "fifo-skip",
        ],
    );
    // C fits beside A at 2 (2-5); D takes C's GPU at 5 (5-25); B gets 4 free GPUs only at 25.
    // Waits 0, 24, 0, 2: mean 6.5; sorted 0, 0, 2, 24: median 0, P90 24.
    assert_eq!(waits(&v, "all"), (6.5, 0, 24, 24));
}

#[test]
fn easy_backfill_starts_only_jobs_that_keep_the_reservation() {
    let s = Scratch::new();
    let trace = s.write("four.csv", FOUR);
    let v = replay_json(
        &trace,
        &[
            "--nodes",
            "1",
            "--gpus-per-node",
            "4",
            "--policy",
            "easy-backfill",
        ],
    );
    // B is reserved the node at 10 (A's recorded end). C (2-5) ends before that and backfills;
    // D would still hold a GPU at 10, so it waits for B (10-20) and starts at 20.
    // Waits 0, 9, 0, 17: mean 6.5; sorted 0, 0, 9, 17: median 0, P90 17.
    assert_eq!(waits(&v, "all"), (6.5, 0, 17, 17));
}

#[test]
fn sjf_starts_the_shortest_waiting_job() {
    let s = Scratch::new();
    // One GPU: X (t=0, 10 s) runs 0-10; at 10, Z (1 s) goes before Y (5 s): Z 10-11, Y 11-16.
    // Waits 0, 10, 8 (FIFO would give 0, 9, 13): mean 6; sorted 0, 8, 10: median 8, P90 10.
    let trace = s.write("three.csv", "submit,duration,gpus\n0,10,1\n1,5,1\n2,1,1\n");
    let v = replay_json(
        &trace,
        &["--nodes", "1", "--gpus-per-node", "1", "--policy", "sjf"],
    );
    assert_eq!(waits(&v, "all"), (6.0, 8, 10, 10));
    let v = replay_json(&trace, &["--nodes", "1", "--gpus-per-node", "1"]);
    assert_eq!(waits(&v, "all").0, 22.0 / 3.0);
}

#[test]
fn utilisation_is_the_exact_busy_gpu_seconds_integral() {
    let s = Scratch::new();
    let trace = s.write("four.csv", FOUR);
    let v = replay_json(&trace, &["--nodes", "1", "--gpus-per-node", "4"]);
    // Busy GPU-seconds 3×10 + 4×10 + 1×3 + 1×20 = 93; strict FIFO ends D at 40, so the span is
    // 0-40 and utilisation 93 / (4 × 40).
    assert_eq!(v["busy_gpu_seconds"], 93);
    assert_eq!(v["span_s"], 40);
    assert_eq!(v["utilisation"].as_f64(), Some(93.0 / 160.0));
    // Queue: 1 job over 1-2, 2 over 2-3, 3 over 3-10, 2 over 10-20: 44 job-seconds over 40 s.
    assert_eq!(v["mean_queue_jobs"].as_f64(), Some(44.0 / 40.0));
    assert_eq!(v["max_queue_jobs"], 3);
}

#[test]
fn a_job_larger_than_the_cluster_is_unmet_not_dropped() {
    let s = Scratch::new();
    let trace = s.write("big.csv", "submit,duration,gpus\n0,3600,8\n10,7200,9\n");
    let out = output([
        "replay",
        trace.to_str().unwrap(),
        "--nodes",
        "1",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 job is larger than the cluster's 8 GPUs"),
        "{}",
        stderr(&out)
    );
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["jobs"], 2);
    assert_eq!(v["unmet_jobs"], 1);
    assert_eq!(v["never_fit_jobs"], 1);
    // 9 GPUs × 2 h.
    assert_eq!(v["unmet_gpu_hours"].as_f64(), Some(18.0));
    assert_eq!(v["owned_gpu_hours"].as_f64(), Some(8.0));
}

/// The on-demand price per GPU-hour of an offer, read from the shipped catalog file.
fn catalog_price_per_gpu_hour(id: &str) -> f64 {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("catalogs/cloud-offers.csv"),
    )
    .unwrap();
    let row = text
        .lines()
        .find(|l| l.starts_with(&format!("{id},")))
        .expect("offer row");
    let cells: Vec<&str> = row.split(',').collect();
    let count: f64 = cells[5].parse().unwrap();
    let price: f64 = cells[6].parse().unwrap();
    price / count
}

#[test]
fn burst_after_a_wait_costs_gpu_hours_times_the_offer_price() {
    let s = Scratch::new();
    // One node of 2 GPUs. The first job (2 GPUs, 2 h) takes it; the second (2 GPUs, 3 h)
    // would wait 2 h, so after 30 minutes it bursts: 6 cloud GPU-hours.
    let trace = s.write("burst.csv", "submit,duration,gpus\n0,7200,2\n0,10800,2\n");
    let offer = "aws-p5.48xlarge-us-east-1";
    let v = replay_json(
        &trace,
        &[
            "--nodes",
            "1",
            "--gpus-per-node",
            "2",
            "--burst",
            "after=30m",
            "--offer",
            offer,
        ],
    );
    assert_eq!(v["burst_jobs"], 1);
    assert_eq!(v["cloud_gpu_hours"].as_f64(), Some(6.0));
    let price = catalog_price_per_gpu_hour(offer);
    assert_eq!(v["cloud_offer"]["usd_per_gpu_hour"].as_f64(), Some(price));
    assert_eq!(v["cloud_cost_usd"].as_f64(), Some(6.0 * price));
    // The burst job waited its 30 minutes.
    assert_eq!(waits(&v, "2-8"), (900.0, 0, 1_800, 1_800));
}

#[test]
fn an_unknown_offer_names_the_nearest() {
    let s = Scratch::new();
    let trace = s.write("t.csv", "submit,duration,gpus\n0,1,1\n");
    let out = output([
        "replay",
        trace.to_str().unwrap(),
        "--nodes",
        "1",
        "--offer",
        "aws-p5.48xlarge-us-east",
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    assert!(
        stderr(&out).contains("unknown cloud offer id"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_bad_row_names_file_line_column_and_field() {
    let s = Scratch::new();
    let trace = s.write(
        "bad.csv",
        "submit,duration,gpus\n0,10,1\n5,ten,1\n6,10,x\n7,10,1\n",
    );
    let written = s.path("out.json");
    let out = output([
        "replay",
        trace.to_str().unwrap(),
        "--nodes",
        "1",
        "--output",
        written.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let err = stderr(&out);
    assert!(
        err.contains("bad.csv:3:3: cannot read the `duration` field of a job"),
        "{err}"
    );
    assert!(err.contains("found: `ten`"), "{err}");
    assert!(err.contains("--skip-bad"), "{err}");
    assert!(!written.exists());

    let out = output([
        "replay",
        trace.to_str().unwrap(),
        "--nodes",
        "1",
        "--skip-bad",
        "--format",
        "json",
    ]);
    assert_eq!(skipped(&out, "skipped 2 bad rows (lines 3, 4)"), (2, 2));
}

#[test]
fn bad_flags_exit_with_code_2() {
    let s = Scratch::new();
    let trace = s.write("t.csv", "submit,duration,gpus\n0,1,1\n");
    for bad in [
        &["--nodes", "0"][..],
        &["--nodes", "1", "--gpus-per-node", "0"],
        &["--nodes", "1", "--burst", "after=soon"],
        &["--nodes", "1", "--burst", "sometimes"],
    ] {
        let mut args = vec!["replay", trace.to_str().unwrap()];
        args.extend_from_slice(bad);
        let out = output(&args);
        assert_eq!(out.status.code(), Some(EXIT_INPUT), "{bad:?}");
        assert!(stdout(&out).is_empty());
    }
    let missing = s.path("missing.csv");
    let out = output(["replay", missing.to_str().unwrap(), "--nodes", "1"]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let err = stderr(&out);
    assert!(err.contains("cannot open the trace"), "{err}");
    assert!(err.contains("found: no such file"), "{err}");
    assert!(!err.contains("os error"), "{err}");
    // A folder is named as one, in words.
    let folder = s.path("");
    let out = output(["replay", folder.to_str().unwrap(), "--nodes", "1"]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let err = stderr(&out);
    assert!(err.contains("found: a folder"), "{err}");
}

#[test]
fn flags_left_without_effect_are_refused() {
    let s = Scratch::new();
    let trace = s.write("t.csv", "submit,duration,gpus\n0,1,1\n");
    let report = s.path("report");
    let inside = report.join("summary.md");
    let t = trace.to_str().unwrap();
    for (bad, needles) in [
        (
            vec!["--nodes", "1", "--option", "own"],
            vec![
                "--option: an option without its scenario",
                "found: no `--scenario`",
            ],
        ),
        (
            vec!["--nodes", "1", "--as-recorded", "--policy", "sjf"],
            vec!["--policy: a queue rule for jobs that do not queue"],
        ),
        (
            vec!["--nodes", "1", "--as-recorded", "--burst", "after=1h"],
            vec!["--burst: a queue rule for jobs that do not queue"],
        ),
        (
            vec!["--nodes", "1", "--swf-processors-as-gpus"],
            vec![
                "--swf-processors-as-gpus: a rule for SWF traces on a trace of another layout",
                "found: a `csv` trace",
            ],
        ),
        (
            vec!["--nodes", "1,2,1"],
            vec!["--nodes: a cluster size given twice", "found: 1 twice"],
        ),
        (
            vec!["--nodes", "1", "--catalog", "catalogs"],
            vec!["--catalog: catalog layers that nothing reads"],
        ),
    ] {
        let mut args = vec!["replay", t];
        args.extend_from_slice(&bad);
        let out = output(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(EXIT_INPUT), "{bad:?}: {err}");
        assert!(stdout(&out).is_empty());
        for needle in needles {
            assert!(err.contains(needle), "{bad:?}: {err}");
        }
    }
    // An output inside an existing report folder, which is replaced as a whole.
    let r = report.to_str().unwrap();
    success(["replay", t, "--nodes", "1", "--report", r]);
    let before = std::fs::read(report.join("summary.md")).expect("the report's summary");
    let out = output([
        "replay",
        t,
        "--nodes",
        "1",
        "--report",
        r,
        "--output",
        inside.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT), "{}", stderr(&out));
    assert!(stderr(&out).contains("--output: a file inside the report folder"));
    assert_eq!(std::fs::read(report.join("summary.md")).unwrap(), before);
    // A file as the report folder: the hint names replay's own flag.
    let out = output([
        "replay",
        t,
        "--nodes",
        "1",
        "--report",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    assert!(
        stderr(&out).contains("choose another folder with `--report`"),
        "{}",
        stderr(&out)
    );
    // So does the hint for a folder that is not a report, and for a stray file in a report.
    let foreign = s.path("foreign");
    s.write("foreign/notes.txt", "mine");
    s.write("report/notes.txt", "mine");
    for (folder, hint) in [
        (&foreign, "hint: choose another folder with `--report`\n"),
        (
            &report,
            "hint: choose another folder with `--report`, or move `notes.txt` out of this one",
        ),
    ] {
        let out = output([
            "replay",
            t,
            "--nodes",
            "1",
            "--report",
            folder.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(EXIT_INPUT));
        let err = stderr(&out);
        assert!(err.contains(hint) && !err.contains("--out"), "{err}");
    }
    assert_eq!(std::fs::read(report.join("summary.md")).unwrap(), before);
    // Each flag alone, or with what it needs, is accepted.
    success(["replay", t, "--nodes", "1", "--as-recorded"]);
    success([
        "replay",
        t,
        "--nodes",
        "1",
        "--catalog",
        "catalogs",
        "--offer",
        "lambda-gpu_8x_h100_sxm5",
    ]);
}

#[test]
fn results_are_deterministic_in_every_format() {
    let Some(dir) = traces() else { return };
    let trace = dir.join("helios-interval-5000.csv");
    for format in ["table", "csv", "json", "markdown"] {
        let args = [
            "replay",
            trace.to_str().unwrap(),
            "--trace-format",
            "helios",
            "--nodes",
            "8",
            "--policy",
            "easy-backfill",
            "--burst",
            "after=2h",
            "--offer",
            "aws-p5.48xlarge-us-east-1",
            "--format",
            format,
            "--quiet",
        ];
        let first = success(args);
        assert_eq!(first, success(args), "{format}");
        assert!(!first.is_empty());
    }
}

/// The values of a numeric column of a CSV file, by its header name.
fn column(text: &str, name: &str) -> Vec<f64> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let k = header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| l.split(',').nth(k).unwrap().parse::<f64>().unwrap())
        .collect()
}

#[test]
fn as_recorded_reproduces_the_recorded_waits_of_the_samples() {
    let Some(dir) = traces() else { return };
    // Neither sample records a start: the Philly condensed CSV keeps submit times only, and
    // the Helios interval sample's `wall_time` (its queueing) is always 0. Their recorded
    // waits are therefore 0, and every completion time is the job's own duration.
    for (file, format, duration, gpus) in [
        (
            "philly-2017-10-01-5000.csv",
            "philly",
            "duration",
            "num_gpus",
        ),
        ("helios-interval-5000.csv", "helios", "run_time", "gpu_num"),
    ] {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let durations = column(&text, duration);
        let counts = column(&text, gpus);
        let gpu_jobs: Vec<(f64, f64)> = durations
            .iter()
            .zip(&counts)
            .filter(|(_, g)| **g > 0.0)
            .map(|(d, g)| (d.round(), *g))
            .collect();
        let v = replay_json(
            &path,
            &["--trace-format", format, "--nodes", "64", "--as-recorded"],
        );
        assert_eq!(v["jobs"].as_u64(), Some(gpu_jobs.len() as u64), "{file}");
        assert_eq!(waits(&v, "all"), (0.0, 0, 0, 0), "{file}");
        let busy: f64 = gpu_jobs.iter().map(|(d, g)| d * g).sum();
        assert_eq!(v["busy_gpu_seconds"].as_f64(), Some(busy), "{file}");
        let mean = gpu_jobs.iter().map(|(d, _)| d).sum::<f64>() / gpu_jobs.len() as f64;
        let completion = v["completion"][0]["mean_s"].as_f64().unwrap();
        assert!(
            (completion - mean).abs() < 1e-9,
            "{file}: {completion} {mean}"
        );
    }
}

/// Nearest-rank percentile of sorted values.
fn rank(sorted: &[i64], p: f64) -> i64 {
    let r = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[r.clamp(1, sorted.len()) - 1]
}

#[test]
fn as_recorded_reproduces_recorded_waits_of_a_slurm_style_log() {
    let Some(dir) = traces() else { return };
    // The Helios sample's jobs written as a Slurm-style log with a recorded start for each:
    // submit at the running sum of `interval`, a wait of (7919 × row) mod 3601 s, the end
    // after `run_time`, and `duration` left empty so that it is read from start and end.
    let text = std::fs::read_to_string(dir.join("helios-interval-5000.csv")).unwrap();
    let intervals = column(&text, "interval");
    let runs = column(&text, "run_time");
    let gpus = column(&text, "gpu_num");
    let mut log = String::from(
        "job_id,user,vc,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time,duration,queue\n",
    );
    let mut submit = 0i64;
    let mut recorded = Vec::new();
    for (row, ((gap, run), g)) in intervals.iter().zip(&runs).zip(&gpus).enumerate() {
        submit += *gap as i64;
        let wait = (7_919 * row as i64) % 3_601;
        let start = submit + wait;
        let end = start + *run as i64;
        log.push_str(&format!(
            "{row},u,vc,{g},1,1,COMPLETED,{submit},{start},{end},,{wait}\n"
        ));
        if *g > 0.0 {
            recorded.push(wait);
        }
    }
    let s = Scratch::new();
    let path = s.write("helios-log.csv", &log);
    let v = replay_json(
        &path,
        &["--trace-format", "helios", "--nodes", "8", "--as-recorded"],
    );
    recorded.sort_unstable();
    let mean = recorded.iter().sum::<i64>() as f64 / recorded.len() as f64;
    let (m, median, p90, p99) = waits(&v, "all");
    assert!((m - mean).abs() < 1e-9, "{m} {mean}");
    assert_eq!(
        (median, p90, p99),
        (
            rank(&recorded, 50.0),
            rank(&recorded, 90.0),
            rank(&recorded, 99.0)
        )
    );
}

#[test]
fn help_shows_examples() {
    let text = success(["replay", "--help"]);
    assert!(text.contains("Examples:"));
    assert!(text.contains("--trace-format philly"));
    assert!(text.contains("easy-backfill"));
}

// --- The report folder, trimming and policies of a replay -------------------------------------

/// One node of 4 GPUs and three jobs under FIFO: A (t=0, 5400 s, 2 GPUs) runs 0-5400; B (t=1800,
/// 3600 s, 4 GPUs) waits for the whole node and runs 5400-9000; C (t=3600, 1800 s, 1 GPU) waits
/// behind B and runs 9000-10800.
const THREE: &str =
    "job_id,submit,start,duration,gpus\nA,0,,5400,2\nB,1800,,3600,4\nC,3600,,1800,1\n";

/// Busy owned GPUs of [`THREE`] as hand-written segments `(from, to, GPUs)`.
const THREE_BUSY: [(i64, i64, f64); 3] =
    [(0, 5_400, 2.0), (5_400, 9_000, 4.0), (9_000, 10_800, 1.0)];

/// Jobs waiting in [`THREE`]: B from 1800, C too from 3600, B leaves at 5400, C at 9000.
const THREE_QUEUE: [(i64, i64, f64); 3] = [
    (1_800, 3_600, 1.0),
    (3_600, 5_400, 2.0),
    (5_400, 9_000, 1.0),
];

/// Rounding of the shares the report writes (f64 divisions of exact integers).
const SHARE_TOL: f64 = 1e-12;

/// ∫ of the segments over `[a, b)`, and the largest value of a segment that overlaps it.
fn over(segments: &[(i64, i64, f64)], a: i64, b: i64) -> (f64, f64) {
    let mut integral = 0.0;
    let mut most: f64 = 0.0;
    for &(from, to, v) in segments {
        let overlap = (to.min(b) - from.max(a)).max(0);
        integral += overlap as f64 * v;
        if overlap > 0 {
            most = most.max(v);
        }
    }
    (integral, most)
}

fn three_cluster() -> [&'static str; 4] {
    ["--nodes", "1", "--gpus-per-node", "4"]
}

#[test]
fn the_report_folder_holds_the_summary_and_real_charts_of_the_replay() {
    let s = Scratch::new();
    let trace = s.write("three.csv", THREE);
    let dir = s.path("replay-report");
    let mut args = vec![
        "replay".to_string(),
        trace.display().to_string(),
        "--quiet".to_string(),
        "--report".to_string(),
        dir.display().to_string(),
    ];
    args.extend(three_cluster().iter().map(|a| a.to_string()));
    success(&args);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("report folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".tcosim-report.json",
            "queue.png",
            "queue.svg",
            "series.csv",
            "summary.csv",
            "summary.json",
            "summary.md",
            "utilisation.png",
            "utilisation.svg",
            "wait-cdf.csv",
            "wait-cdf.png",
            "wait-cdf.svg",
        ]
    );
    for (chart, needles) in [
        (
            "wait-cdf",
            vec!["Wait [log scale]", "Jobs that waited at most so long [%]"],
        ),
        (
            "utilisation",
            vec![
                "Time after the first submit [h]",
                "Busy owned GPUs / owned GPUs [%]",
            ],
        ),
        (
            "queue",
            vec!["Time after the first submit [h]", "Jobs waiting [jobs]"],
        ),
    ] {
        let svg = std::fs::read_to_string(dir.join(format!("{chart}.svg"))).expect("svg");
        let doc = roxmltree::Document::parse(&svg).expect("SVG parses as XML");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
        for n in needles {
            assert!(texts.iter().any(|t| t.contains(n)), "{chart}: no `{n}`");
        }
        assert!(
            doc.descendants().any(|n| n.tag_name().name() == "polyline"),
            "{chart}: no line"
        );
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{chart}");
        let png = std::fs::read(dir.join(format!("{chart}.png"))).expect("png");
        let mut reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .expect("PNG header");
        let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut pixels).expect("PNG data");
        assert_eq!((info.width, info.height), (1200, 720));
        let inked = pixels.iter().filter(|&&b| b < 200).count();
        assert!(inked > 1_000, "{chart}: a blank PNG");
    }
    // The summaries are the replay's own renderings.
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).expect("json"))
            .expect("JSON");
    assert_eq!(json["jobs"], 3);
    let md = std::fs::read_to_string(dir.join("summary.md")).expect("md");
    assert!(
        md.contains("![") && md.contains("(utilisation.svg)"),
        "{md}"
    );
    let csv = std::fs::read_to_string(dir.join("summary.csv")).expect("csv");
    assert!(csv.starts_with("metric,class,value\n") && csv.contains("\nutilisation,,0.625\n"));

    // The series the utilisation and queue charts draw, against the segments by hand: the
    // window is 10,800 s, so buckets are a minute wide (the smallest width giving at most 400).
    let series = std::fs::read_to_string(dir.join("series.csv")).expect("series");
    let mut lines = series.lines();
    assert_eq!(
        lines.next(),
        Some("from_s,to_s,bucket_s,utilisation,mean_queue_jobs,max_queue_jobs")
    );
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().expect("number")).collect())
        .collect();
    assert_eq!(rows.len(), 180);
    for (k, r) in rows.iter().enumerate() {
        let (a, b) = (60 * k as i64, 60 * (k as i64 + 1));
        assert_eq!((r[0], r[1], r[2]), (a as f64, b as f64, 60.0));
        let (busy, _) = over(&THREE_BUSY, a, b);
        let (queued, most) = over(&THREE_QUEUE, a, b);
        assert!(
            (r[3] - busy / (4.0 * 60.0)).abs() < SHARE_TOL,
            "bucket {k}: {r:?}"
        );
        assert!(
            (r[4] - queued / 60.0).abs() < SHARE_TOL,
            "bucket {k}: {r:?}"
        );
        assert_eq!(r[5], most, "bucket {k}");
    }
    // The mean of the buckets (all a minute long) is the utilisation over the run, 27,000 /
    // 43,200 GPU-s.
    let mean = rows.iter().map(|r| r[3]).sum::<f64>() / rows.len() as f64;
    assert!((mean - 0.625).abs() < 1e-9, "{mean}");

    // The wait CDF: waits 0 (A), 3600 (B), 5400 (C).
    let cdf = std::fs::read_to_string(dir.join("wait-cdf.csv")).expect("cdf");
    assert!(cdf.starts_with("class,wait_s,share_at_or_below\n"));
    let all: Vec<(i64, f64)> = cdf
        .lines()
        .skip(1)
        .filter_map(|l| l.strip_prefix("all,"))
        .map(|l| {
            let (w, f) = l.split_once(',').expect("two fields");
            (w.parse().expect("wait"), f.parse().expect("share"))
        })
        .collect();
    let third = 1.0 / 3.0;
    assert_eq!(all.len(), 3);
    for ((w, f), (ew, ef)) in all
        .iter()
        .zip([(0, third), (3_600, 2.0 * third), (5_400, 1.0)])
    {
        assert_eq!(*w, ew);
        assert!((f - ef).abs() < SHARE_TOL, "{all:?}");
    }

    // The same replay again writes byte-identical files, replacing the folder whole.
    let first: Vec<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(dir.join(n)).expect("file"))
        .collect();
    success(&args);
    for (n, bytes) in names.iter().zip(&first) {
        assert_eq!(&std::fs::read(dir.join(n)).expect("file"), bytes, "{n}");
    }
}

#[test]
fn a_report_folder_that_is_not_a_report_is_refused_before_the_replay() {
    let s = Scratch::new();
    let trace = s.write("three.csv", THREE);
    let dir = s.path("mine");
    std::fs::create_dir_all(&dir).expect("folder");
    std::fs::write(dir.join("notes.txt"), "keep me").expect("file");
    let out = output([
        "replay",
        &trace.display().to_string(),
        "--nodes",
        "1",
        "--report",
        &dir.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).expect("kept"),
        "keep me"
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn trimming_counts_jobs_submitted_in_the_window_and_clips_the_integrals_to_it() {
    let s = Scratch::new();
    let trace = s.write("three.csv", THREE);
    // --trim-start 1h: the window runs from 3600 to the last event, 10,800. Only C was submitted
    // in it (at 3600), and waited 9000 − 3600 = 5400 s. Busy GPU-seconds in the window:
    // 2 × 1800 + 4 × 3600 + 1 × 1800 = 19,800 of 4 × 7200; jobs waiting: 2 × 1800 + 1 × 3600 =
    // 7200 job-s over 7200 s, at most 2.
    let mut args = three_cluster().to_vec();
    args.extend(["--trim-start", "1h"]);
    let v = replay_json(&trace, &args);
    assert_eq!(v["jobs"], 1);
    assert_eq!(waits(&v, "all"), (5_400.0, 5_400, 5_400, 5_400));
    assert_eq!(v["busy_gpu_seconds"], 19_800);
    assert_eq!(v["span_s"], 7_200);
    assert_eq!(
        (v["window_start_s"].clone(), v["window_end_s"].clone()),
        (3_600.into(), 10_800.into())
    );
    let util = v["utilisation"].as_f64().expect("utilisation");
    assert!((util - 19_800.0 / 28_800.0).abs() < SHARE_TOL, "{util}");
    let queue = v["mean_queue_jobs"].as_f64().expect("queue");
    assert!((queue - 1.0).abs() < SHARE_TOL, "{queue}");
    assert_eq!(v["max_queue_jobs"], 2);
    assert_eq!(v["peak_busy_gpus"], 4);
    let demand = v["demand_gpu_hours"].as_f64().expect("demand");
    assert!((demand - 0.5).abs() < SHARE_TOL, "{demand}");

    // --trim-start 30m --trim-end 0s: the window is [1800, 3600], the last submit. B and C were
    // submitted in it (waits 3600 and 5400); busy 2 GPUs throughout (3600 GPU-s of 7200); B
    // waits throughout (1 job on average, at most 1: C joins at the window's end).
    let mut args = three_cluster().to_vec();
    args.extend(["--trim-start", "30m", "--trim-end", "0s"]);
    let v = replay_json(&trace, &args);
    assert_eq!(v["jobs"], 2);
    assert_eq!(waits(&v, "all"), (4_500.0, 3_600, 5_400, 5_400));
    assert_eq!(v["busy_gpu_seconds"], 3_600);
    assert_eq!(v["span_s"], 1_800);
    assert_eq!(v["utilisation"].as_f64(), Some(0.5));
    assert_eq!(v["mean_queue_jobs"].as_f64(), Some(1.0));
    assert_eq!(v["max_queue_jobs"], 1);
    assert_eq!(v["trim_end_s"], 0);

    // Without trimming, the same figures as before: every job, the whole run.
    let v = replay_json(&trace, &three_cluster());
    assert_eq!(v["jobs"], 3);
    assert_eq!(v["busy_gpu_seconds"], 27_000);
    assert_eq!(
        (v["window_start_s"].clone(), v["window_end_s"].clone()),
        (0.into(), 10_800.into())
    );
    assert_eq!(v["trim_end_s"], Value::Null);
}

#[test]
fn a_trim_that_leaves_no_window_or_is_not_a_duration_is_bad_input() {
    let s = Scratch::new();
    let trace = s.write("three.csv", THREE);
    let t = trace.display().to_string();
    for (flags, needles) in [
        (
            vec!["--trim-start", "30m", "--trim-end", "30m"],
            vec![
                "--trim-start/--trim-end",
                "the trimmed window is empty",
                "submits span 3600 s",
            ],
        ),
        (
            vec!["--trim-start", "4h"],
            vec!["the trimmed window is empty", "the run 10800 s"],
        ),
        (
            vec!["--trim-end", "soon"],
            vec!["--trim-end", "expected a duration", "`soon`"],
        ),
    ] {
        let mut args = vec!["replay", t.as_str(), "--nodes", "1", "--gpus-per-node", "4"];
        args.extend(flags.iter().copied());
        let out = output(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(EXIT_INPUT), "{flags:?}: {err}");
        for n in needles {
            assert!(err.contains(n), "{flags:?}: no `{n}` in {err}");
        }
        assert!(stdout(&out).is_empty());
    }
}

fn policy_args(trace: &std::path::Path, policy: &std::path::Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["replay", &trace.display().to_string(), "--policy-file"]
        .iter()
        .map(|a| a.to_string())
        .collect();
    args.push(policy.display().to_string());
    args.extend(three_cluster().iter().chain(extra).map(|a| a.to_string()));
    args
}

#[test]
fn replay_policies_that_hold_are_listed_in_every_format() {
    let s = Scratch::new();
    let trace = s.write("three.csv", THREE);
    // Waits 0, 3600, 5400: P90 (rank 3) is 5400, inclusive bounds; utilisation 0.625.
    let policy = s.write(
        "replay-policies.toml",
        "[[policy]]\nname = \"short waits\"\nmetric = \"p90_wait_s\"\nmax = 5400\n\n\
         [[policy]]\nname = \"busy enough\"\nmetric = \"utilisation\"\nmin = 0.6\nmax = 1\nmessage = \"the owned cluster pays off\"\n",
    );
    let v: Value = serde_json::from_str(&success(policy_args(
        &trace,
        &policy,
        &["--format", "json", "--quiet"],
    )))
    .expect("JSON");
    let list = v["policies"].as_array().expect("policies");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["name"], "short waits");
    assert_eq!(list[0]["metric"], "p90_wait_s");
    assert_eq!(list[0]["max"].as_f64(), Some(5_400.0));
    assert_eq!(list[0]["value"].as_f64(), Some(5_400.0));
    assert_eq!(list[0]["holds"], true);
    assert_eq!(list[1]["value"].as_f64(), Some(0.625));
    assert_eq!(list[1]["min"].as_f64(), Some(0.6));
    assert_eq!(list[1]["holds"], true);
    let table = success(policy_args(&trace, &policy, &["--quiet"]));
    assert!(table.contains("Policies: all 2 policies hold."), "{table}");
    assert!(
        table.contains("p90_wait_s at most 5400") && table.contains("holds"),
        "{table}"
    );
    let md = success(policy_args(
        &trace,
        &policy,
        &["--quiet", "--format", "markdown"],
    ));
    assert!(md.contains("### Policies") && md.contains("| busy enough | utilisation from 0.6 to 1 | 0.625 | holds | the owned cluster pays off |"), "{md}");
    let csv = success(policy_args(
        &trace,
        &policy,
        &["--quiet", "--format", "csv"],
    ));
    for row in [
        "policy_metric,short waits,p90_wait_s",
        "policy_max,short waits,5400",
        "policy_value,short waits,5400",
        "policy_holds,short waits,true",
        "policy_min,busy enough,0.6",
    ] {
        assert!(csv.contains(&format!("{row}\n")), "no `{row}` in {csv}");
    }
}

#[test]
fn a_broken_replay_policy_exits_one_after_writing_every_output() {
    let s = Scratch::new();
    let trace = s.write("three.csv", THREE);
    // The mean wait is (0 + 3600 + 5400) / 3 = 3000 s; nothing bursts, so no cost: "none".
    let policy = s.write(
        "p.toml",
        "[[policy]]\nname = \"mean wait\"\nmetric = \"mean_wait_s\"\nmax = 2999\n\n\
         [[policy]]\nname = \"cheap\"\nmetric = \"cloud_cost_usd\"\nmax = 10\n\n\
         [[policy]]\nname = \"nothing unmet\"\nmetric = \"unmet_jobs\"\nmax = 0\n",
    );
    let json = s.path("replay.json");
    let dir = s.path("out/report");
    let out = output(policy_args(
        &trace,
        &policy,
        &[
            "--format",
            "json",
            "--output",
            &json.display().to_string(),
            "--report",
            &dir.display().to_string(),
        ],
    ));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("policy `mean wait` broken: mean_wait_s at most 2999, found 3000"),
        "{err}"
    );
    assert!(
        err.contains("policy `cheap` broken: cloud_cost_usd at most 10, found none"),
        "{err}"
    );
    assert!(!err.contains("`nothing unmet` broken"), "{err}");
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("written")).expect("JSON");
    let holds: Vec<bool> = v["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .map(|p| p["holds"].as_bool().expect("holds"))
        .collect();
    assert_eq!(holds, [false, false, true]);
    assert_eq!(v["policies"][0]["value"].as_f64(), Some(3_000.0));
    assert_eq!(v["policies"][1]["value"], Value::Null);
    let md = std::fs::read_to_string(dir.join("summary.md")).expect("report written");
    assert!(
        md.contains("2 of 3 policies broken.") && md.contains("BROKEN"),
        "{md}"
    );
    assert!(dir.join("utilisation.png").is_file());
}

#[test]
fn a_replay_policy_that_cannot_be_checked_is_bad_input_naming_its_key() {
    let s = Scratch::new();
    let trace = s.write("three.csv", THREE);
    for (text, needles) in [
        (
            "[[policy]]\nname = \"w\"\nmetric = \"p95_wait_s\"\nmax = 1\n",
            vec![
                "unknown replay metric `p95_wait_s`",
                "policy[0].metric",
                "`p90_wait_s`",
                ":3:",
            ],
        ),
        (
            "[[policy]]\nname = \"w\"\noption = \"own\"\nmetric = \"utilisation\"\nmin = 0.5\n",
            vec!["a replay policy takes no `option`", "policy[0].option"],
        ),
        (
            "[[policy]]\nname = \"w\"\nmetric = \"utilisation\"\n",
            vec!["a metric policy needs a bound", "policy[0]"],
        ),
    ] {
        let policy = s.write("bad.toml", text);
        let dir = s.path("never");
        let out = output(policy_args(
            &trace,
            &policy,
            &["--report", &dir.display().to_string()],
        ));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(EXIT_INPUT), "{err}");
        assert!(err.contains("bad.toml"), "{err}");
        for n in needles {
            assert!(err.contains(n), "no `{n}` in {err}");
        }
        assert!(stdout(&out).is_empty());
        assert!(!dir.exists(), "nothing is written for bad input");
    }
}

/// The points of the longest polyline of `colour` in `svg`.
fn longest_line(svg: &str, colour: &str) -> Vec<(f64, f64)> {
    let doc = roxmltree::Document::parse(svg).expect("SVG");
    doc.descendants()
        .filter(|n| n.tag_name().name() == "polyline" && n.attribute("stroke") == Some(colour))
        .map(|n| {
            n.attribute("points")
                .expect("points")
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').expect("x,y");
                    (x.parse().expect("x"), y.parse().expect("y"))
                })
                .collect::<Vec<(f64, f64)>>()
        })
        .max_by_key(Vec::len)
        .unwrap_or_default()
}

#[test]
fn the_utilisation_chart_draws_the_bucket_means_by_hand() {
    let s = Scratch::new();
    let trace = s.write("three.csv", THREE);
    let dir = s.path("r");
    let mut args = vec![
        "replay".to_string(),
        trace.display().to_string(),
        "--quiet".to_string(),
        "--report".to_string(),
        dir.display().to_string(),
    ];
    args.extend(three_cluster().iter().map(|a| a.to_string()));
    success(&args);
    let svg = std::fs::read_to_string(dir.join("utilisation.svg")).expect("svg");
    // The first colour of the house palette draws the bucket means: two points per minute
    // bucket, each bucket's value held across it.
    let line = longest_line(&svg, "#0072B2");
    assert_eq!(line.len(), 2 * 180);
    let expected: Vec<f64> = (0..180)
        .map(|k| over(&THREE_BUSY, 60 * k, 60 * (k + 1)).0 / (4.0 * 60.0))
        .collect();
    // Pixel rows are a linear map of the share: fit it on two buckets of different shares
    // (bucket 0: 2 of 4 GPUs busy; bucket 100: all 4), then every point must lie within the
    // one pixel of rounding.
    let (u0, y0) = (expected[0], line[0].1);
    let (u1, y1) = (expected[100], line[200].1);
    assert!(u0 != u1 && y0 != y1);
    let slope = (y1 - y0) / (u1 - u0);
    for (k, u) in expected.iter().enumerate() {
        for p in [line[2 * k], line[2 * k + 1]] {
            let want = y0 + slope * (u - u0);
            assert!(
                (p.1 - want).abs() <= 1.0,
                "bucket {k}: y {} for {u}, want {want}",
                p.1
            );
        }
        assert!(line[2 * k].0 < line[2 * k + 1].0, "bucket {k} has width");
    }
}

/// A scenario with an owned option, a hybrid bursting to AWS and a cloud option; the hybrid's
/// workloads may wait 1 and 3 hours.
const REPLAY_SCENARIO: &str = "name = \"replay\"\nhorizon_months = 12\nstart = \"2027-01\"\ndiscount_rate = 0.05\n\
    reference_accelerator = \"h100-sxm\"\n\n\
    [[workload]]\nname = \"a\"\ngpu_hours_per_month = 1000\nprofile = \"flat\"\nmax_wait_hours = 3\n\n\
    [[workload]]\nname = \"b\"\ngpu_hours_per_month = 1000\nprofile = \"flat\"\nmax_wait_hours = 1\n\n\
    [[option]]\nname = \"own\"\nkind = \"onprem\"\nserver = \"hgx-h100-oem\"\nservers = 1\nsite = \"us-tx-colo\"\n\n\
    [[option]]\nname = \"mix\"\nkind = \"hybrid\"\nserver = \"hgx-h100-oem\"\nservers = 1\nsite = \"us-tx-colo\"\n\
    offer = \"aws-p5.48xlarge-us-east-1\"\n\n\
    [[option]]\nname = \"rent\"\nkind = \"cloud\"\noffer = \"aws-p5.48xlarge-us-east-1\"\n";

/// `--scenario FILE --option NAME`: the option's one 8-GPU server is the cluster; the hybrid
/// bursts a job that would wait longer than the shortest `max_wait_hours` (1 h) at its offer's
/// on-demand price; the owned option never bursts; an explicit `--burst` wins.
#[test]
fn a_scenario_option_is_the_cluster_burst_rule_and_price() {
    let s = Scratch::new();
    let scenario = s.write("s.toml", REPLAY_SCENARIO);
    let scenario = scenario.display().to_string();
    // Two 8-GPU jobs of 2 h at t = 0: the second waits 2 h for the node, or bursts after 1 h.
    let trace = s.write("two.csv", "submit,duration,gpus\n0,7200,8\n0,7200,8\n");
    let mix = replay_json(&trace, &["--scenario", &scenario, "--option", "mix"]);
    assert_eq!(
        (mix["nodes"].as_u64(), mix["gpus_per_node"].as_u64()),
        (Some(1), Some(8))
    );
    assert_eq!(mix["burst"], "after=1h");
    assert_eq!(mix["burst_jobs"], 1);
    assert_eq!(mix["cloud_gpu_hours"].as_f64(), Some(16.0));
    let price = catalog_price_per_gpu_hour("aws-p5.48xlarge-us-east-1");
    assert_eq!(mix["cloud_cost_usd"].as_f64(), Some(16.0 * price));
    assert_eq!(waits(&mix, "2-8").2, 3_600);
    let own = replay_json(&trace, &["--scenario", &scenario, "--option", "own"]);
    assert_eq!(own["burst"], "never");
    assert_eq!(own["burst_jobs"], 0);
    assert_eq!(waits(&own, "2-8").2, 7_200);
    let never = replay_json(
        &trace,
        &[
            "--scenario",
            &scenario,
            "--option",
            "mix",
            "--burst",
            "never",
        ],
    );
    assert_eq!(never["burst_jobs"], 0);
    assert_eq!(never["owned_gpu_hours"].as_f64(), Some(32.0));
}

#[test]
fn a_scenario_option_that_cannot_be_replayed_on_is_bad_input() {
    let s = Scratch::new();
    let scenario = s.write("s.toml", REPLAY_SCENARIO).display().to_string();
    let trace = s
        .write("one.csv", "submit,duration,gpus\n0,60,1\n")
        .display()
        .to_string();
    for (extra, needle) in [
        (vec!["--option", "rent"], "option `rent` owns no servers"),
        (vec!["--option", "mixx"], "the options are `mix`"),
        (
            vec!["--option", "own", "--nodes", "2"],
            "cannot be used with",
        ),
        (
            vec!["--option", "mix", "--offer", "x"],
            "cannot be used with",
        ),
    ] {
        let mut args = vec!["replay", trace.as_str(), "--scenario", scenario.as_str()];
        args.extend(extra);
        let out = output(&args);
        assert_eq!(out.status.code(), Some(EXIT_INPUT), "{args:?}");
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    // `--option` alone, or neither `--nodes` nor `--scenario`.
    for args in [
        vec!["replay", trace.as_str(), "--option", "own"],
        vec!["replay", trace.as_str()],
    ] {
        let out = output(&args);
        assert_eq!(out.status.code(), Some(EXIT_INPUT), "{args:?}");
    }
}

/// `YYYY-MM-DD HH:MM:SS` of a Unix time, by the civil-from-days count (days since 1970-01-01
/// shifted to 0000-03-01, so that leap days fall at the end of a year): the inverse of the
/// reader's direction, to check it against.
fn iso(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        secs / 3_600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The Helios sample's jobs as `(submit, recorded wait, run time, GPUs)`: submits at the running
/// sum of `interval` from 2017-10-01 00:00:00 UTC (1,506,816,000 s), waits of
/// (7919 × row) mod 3601 s.
fn sample_jobs(dir: &std::path::Path) -> Vec<(i64, i64, i64, u32)> {
    let text = std::fs::read_to_string(dir.join("helios-interval-5000.csv")).unwrap();
    let intervals = column(&text, "interval");
    let runs = column(&text, "run_time");
    let gpus = column(&text, "gpu_num");
    let mut submit = 1_506_816_000i64;
    let mut jobs = Vec::new();
    for (row, ((gap, run), g)) in intervals.iter().zip(&runs).zip(&gpus).enumerate() {
        submit += *gap as i64;
        let wait = (7_919 * row as i64) % 3_601;
        jobs.push((submit, wait, *run as i64, *g as u32));
    }
    jobs
}

/// The mean, median, P90 and P99 of waits, as the replay defines them.
fn wait_figures(mut waits: Vec<i64>) -> (f64, i64, i64, i64) {
    waits.sort_unstable();
    let mean = waits.iter().sum::<i64>() as f64 / waits.len() as f64;
    (
        mean,
        rank(&waits, 50.0),
        rank(&waits, 90.0),
        rank(&waits, 99.0),
    )
}

#[test]
fn as_recorded_reproduces_recorded_waits_of_a_philly_json_log() {
    let Some(dir) = traces() else { return };
    // The Helios sample written as a Philly `cluster_job_log`. Every third job is requeued
    // once: a first attempt of half its run, 10 minutes out, then the rest; every third other
    // job has a first attempt that never started; every 50th job never runs at all. GPUs are
    // spread over servers of 8.
    let mut log = String::from("[\n");
    let mut recorded = Vec::new();
    let mut busy = 0i64;
    let mut never_ran = 0;
    for (row, &(submit, wait, run, g)) in sample_jobs(&dir).iter().enumerate() {
        let detail: Vec<String> = (0..g.div_ceil(8))
            .map(|server| {
                let ids: Vec<String> = (0..(g - 8 * server).min(8))
                    .map(|i| format!("\"gpu{i}\""))
                    .collect();
                format!(r#"{{"ip": "m{server}", "gpus": [{}]}}"#, ids.join(", "))
            })
            .collect();
        let detail = detail.join(", ");
        let start = submit + wait;
        let attempt = |s: i64, e: i64| {
            format!(
                r#"{{"start_time": "{}", "end_time": "{}", "detail": [{detail}]}}"#,
                iso(s),
                iso(e)
            )
        };
        let attempts = if row % 50 == 49 {
            never_ran += 1;
            String::new()
        } else if row % 3 == 1 {
            let half = run / 2;
            format!(
                "{}, {}",
                attempt(start, start + half),
                attempt(start + half + 600, start + run + 600)
            )
        } else if row % 3 == 2 {
            format!(
                r#"{{"start_time": null, "end_time": null, "detail": []}}, {}"#,
                attempt(start, start + run)
            )
        } else {
            attempt(start, start + run)
        };
        if row > 0 {
            log.push_str(",\n");
        }
        log.push_str(&format!(
            r#"  {{"status": "Pass", "vc": "vc", "jobid": "j{row}", "user": "u", "submitted_time": "{}", "attempts": [{attempts}]}}"#,
            iso(submit)
        ));
        if g > 0 && row % 50 != 49 {
            recorded.push(wait);
            busy += i64::from(g) * run;
        }
    }
    log.push_str("\n]\n");
    let s = Scratch::new();
    let path = s.write("cluster_job_log.json", &log);
    // `.json` is read as `philly-json` without `--trace-format`.
    let v = replay_json(&path, &["--nodes", "8", "--as-recorded"]);
    assert_eq!(v["jobs"].as_u64(), Some(recorded.len() as u64));
    assert_eq!(v["busy_gpu_seconds"].as_i64(), Some(busy));
    let expected = wait_figures(recorded);
    let got = waits(&v, "all");
    assert!((got.0 - expected.0).abs() < 1e-9, "{got:?} {expected:?}");
    assert_eq!((got.1, got.2, got.3), (expected.1, expected.2, expected.3));
    let out = output([
        "replay",
        path.to_str().unwrap(),
        "--nodes",
        "8",
        "--as-recorded",
    ]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains(&format!("{never_ran} jobs never started")),
        "{}",
        stderr(&out)
    );
}

/// The number before ` GPU-hours` in `text`, thousands separators dropped.
fn gpu_hours_added(text: &str) -> f64 {
    let (head, _) = text
        .split_once(" GPU-hours")
        .expect("GPU-hours in the note");
    let number = head.rsplit(' ').next().unwrap().replace(',', "");
    number.parse().unwrap()
}

#[test]
fn as_recorded_reproduces_recorded_waits_of_a_pai_trace() {
    let Some(dir) = traces() else { return };
    // The Helios sample written as a PAI task table (no header, as released) and a job table
    // (with a header). Each job has a parameter server without GPUs that runs from its start to
    // its end, and, for a GPU job, workers starting 5 s later: on even rows g instances of
    // 100 %, on odd rows 2g − 1 instances of 50 % (g − ½ GPUs, rounded up to g). The servers
    // come first in the file, the workers after, so that a job's rows are apart.
    let jobs = sample_jobs(&dir);
    let mut servers = String::new();
    let mut workers = String::new();
    let mut table = String::from("job_name,inst_id,user,status,start_time,end_time\n");
    let mut recorded = Vec::new();
    let (mut busy, mut added_s) = (0i64, 0.0f64);
    for (row, &(submit, wait, run, g)) in jobs.iter().enumerate() {
        let start = submit + wait;
        let end = start + run;
        servers.push_str(&format!(
            "job{row},ps,1.0,Terminated,{start}.0,{end}.0,600.0,29.3,,\n"
        ));
        if g > 0 {
            let (instances, plan) = if row % 2 == 0 {
                (g, 100)
            } else {
                (2 * g - 1, 50)
            };
            let worker_start = (start + 5).min(end);
            workers.push_str(&format!(
                "job{row},worker,{instances}.0,Terminated,{worker_start}.0,{end}.0,600.0,29.3,{plan}.0,V100\n"
            ));
            recorded.push(wait);
            busy += i64::from(g) * run;
            if row % 2 == 1 {
                added_s += 0.5 * run as f64;
            }
        }
        table.push_str(&format!(
            "job{row},i{row},u,Terminated,{submit}.0,{end}.0\n"
        ));
    }
    let s = Scratch::new();
    let path = s.write("pai_task_table.csv", &(servers + &workers));
    s.write("pai_job_table.csv", &table);
    let v = replay_json(
        &path,
        &["--trace-format", "pai", "--nodes", "8", "--as-recorded"],
    );
    assert_eq!(v["jobs"].as_u64(), Some(recorded.len() as u64));
    assert_eq!(
        v["cpu_only_jobs_left_out"].as_u64(),
        Some((jobs.len() - recorded.len()) as u64)
    );
    assert_eq!(v["busy_gpu_seconds"].as_i64(), Some(busy));
    let expected = wait_figures(recorded);
    let got = waits(&v, "all");
    assert!((got.0 - expected.0).abs() < 1e-9, "{got:?} {expected:?}");
    assert_eq!((got.1, got.2, got.3), (expected.1, expected.2, expected.3));
    // The note on stderr: the GPU-hours rounding added, shown to 0.01.
    let out = output([
        "replay",
        path.to_str().unwrap(),
        "--trace-format",
        "pai",
        "--nodes",
        "8",
        "--as-recorded",
    ]);
    assert!(out.status.success());
    let err = stderr(&out);
    let rounded = jobs
        .iter()
        .enumerate()
        .filter(|(r, j)| r % 2 == 1 && j.3 > 0);
    assert!(
        err.contains(&format!("{} jobs asked for a fraction", rounded.count())),
        "{err}"
    );
    assert!(
        (gpu_hours_added(&err) - added_s / 3_600.0).abs() <= 0.005,
        "{err}"
    );
    assert!(!err.contains("taken as submitted"), "{err}");
}

#[test]
fn philly_json_and_pai_problems_exit_with_code_2() {
    let s = Scratch::new();
    // An attempt still running when the log was written: named by job, field and line.
    let log = "[\n  {\"submitted_time\": \"2017-10-03 04:00:00\", \"attempts\": []},\n  \
               {\"submitted_time\": \"2017-10-03 04:00:00\", \"attempts\": [{\"start_time\": \
               \"2017-10-03 04:01:00\", \"end_time\": null, \"detail\": [{\"ip\": \"m\", \"gpus\": [\"g\"]}]}]}\n]\n";
    let path = s.write("log.json", log);
    let out = output(["replay", path.to_str().unwrap(), "--nodes", "1"]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let err = stderr(&out);
    assert!(
        err.contains("log.json:3:3: cannot read the `end_time` field of job [1]"),
        "{err}"
    );
    assert!(err.contains("key: `[1].attempts[0].end_time`"), "{err}");
    assert!(err.contains("--skip-bad"), "{err}");
    let out = output([
        "replay",
        path.to_str().unwrap(),
        "--nodes",
        "1",
        "--skip-bad",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("skipped 1 bad row (line 3)"),
        "{}",
        stderr(&out)
    );
    // Broken JSON stops the replay even with --skip-bad.
    let path = s.write(
        "broken.json",
        &log.replace("\"attempts\": []}", "\"attempts\": [}"),
    );
    let out = output([
        "replay",
        path.to_str().unwrap(),
        "--nodes",
        "1",
        "--skip-bad",
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let err = stderr(&out);
    assert!(err.contains("broken.json:2:"), "{err}");
    assert!(err.contains("the trace is not valid JSON"), "{err}");
    assert!(err.contains("key: `[0]`"), "{err}");

    // The PAI task table at `path` replayed on one node, with `extra` flags.
    let pai = |path: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "replay",
            path.to_str().unwrap(),
            "--trace-format",
            "pai",
            "--nodes",
            "1",
        ];
        args.extend_from_slice(extra);
        output(args)
    };
    // PAI: a task whose plan_gpu is not a number; a job table that contradicts the tasks.
    let tasks = "j1,worker,1.0,Terminated,100.0,200.0,600.0,29.3,100.0,V100\n\
                 j2,worker,1.0,Terminated,100.0,200.0,600.0,29.3,lots,V100\n";
    let path = s.write("pai/pai_task_table.csv", tasks);
    let out = pai(&path, &[]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let err = stderr(&out);
    assert!(
        err.contains("pai_task_table.csv:2:49: cannot read the `plan_gpu` field of a job"),
        "{err}"
    );
    assert!(err.contains("found: `lots`"), "{err}");
    let tasks = tasks.replace("lots", "50.0");
    let path = s.write("pai/pai_task_table.csv", &tasks);
    s.write("pai/pai_job_table.csv", "j1,i,u,Terminated,150.0,200.0\n");
    let out = pai(&path, &[]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let err = stderr(&out);
    assert!(
        err.contains("pai_job_table.csv:1:19: cannot read the `start_time`"),
        "{err}"
    );
    assert!(err.contains("found: `150.0`"), "{err}");
    // Without a job table, submissions are the first task starts, and the replay says so.
    std::fs::remove_file(s.path("pai/pai_job_table.csv")).unwrap();
    let out = pai(&path, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("2 jobs taken as submitted when their first task started"),
        "{err}"
    );
    assert!(err.contains("no job table"), "{err}");
    assert!(err.contains("1 job asked for a fraction of a GPU"), "{err}");
    let out = pai(&path, &["--quiet"]);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    // A folder of the job table's name is refused, not taken for no job table.
    std::fs::create_dir(s.path("pai/pai_job_table.csv")).unwrap();
    let out = pai(&path, &[]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("pai_job_table.csv"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("found: a folder"), "{}", stderr(&out));
}

/// Replays `path` on one node with `extra` flags; the output, whatever the exit code.
fn replay_one(path: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["replay", path.to_str().unwrap(), "--nodes", "1"];
    args.extend_from_slice(extra);
    output(args)
}

/// Asserts that the replay was refused (exit code 2, nothing on stdout) with every one of
/// `texts` on stderr.
fn assert_refused(out: &std::process::Output, texts: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(EXIT_INPUT), "{err}");
    assert!(stdout(out).is_empty(), "{}", stdout(out));
    for text in texts {
        assert!(err.contains(text), "{text:?} not in:\n{err}");
    }
}

/// A Helios job that started but has neither an end nor a duration was replayed as a job of 0
/// seconds (its GPU-hours gone); a `duration` of `NaN` alike. Both are bad rows now.
#[test]
fn a_helios_job_started_without_an_end_or_a_duration_is_a_bad_row() {
    let s = Scratch::new();
    let helios = ["--trace-format", "helios", "--format", "json"];
    // Line 2 started at 5 with no end; line 3 never started (0 s, as the README says); line 4
    // ran 30 s.
    let path = s.write(
        "log.csv",
        "submit_time,start_time,end_time,duration,gpu_num\n0,5,,,8\n0,,,,8\n10,20,,30,1\n",
    );
    assert_refused(
        &replay_one(&path, &helios),
        &[
            "log.csv:2:5: cannot read the `end_time` field of a job",
            "expected: the end of a started job",
            "found: an empty cell",
            "--skip-bad",
        ],
    );
    let mut skip = helios.to_vec();
    skip.push("--skip-bad");
    let out = replay_one(&path, &skip);
    assert_eq!(skipped(&out, "skipped 1 bad row (line 2)"), (2, 1));
    // `NaN` is none only for `start_time`: as a duration it is no number of seconds.
    let path = s.write(
        "nan.csv",
        "submit_time,start_time,end_time,duration,gpu_num\n0,5,,NaN,8\n",
    );
    assert_refused(
        &replay_one(&path, &helios),
        &[
            "nan.csv:2:6: cannot read the `duration` field of a job",
            "found: `NaN`",
        ],
    );
    // An end of `NaN` is no end either; a log with neither `end_time` nor `duration` has no
    // run time for any started job and is refused by its header.
    let path = s.write(
        "nan-end.csv",
        "submit_time,start_time,end_time,duration,gpu_num\n0,5,NaN,,8\n",
    );
    assert_refused(
        &replay_one(&path, &helios),
        &[
            "nan-end.csv:2:5: cannot read the `end_time` field",
            "found: `NaN`",
        ],
    );
    let path = s.write("bare.csv", "submit_time,start_time,gpu_num\n0,5,8\n");
    let mut skip = helios.to_vec();
    skip.push("--skip-bad");
    assert_refused(
        &replay_one(&path, &skip),
        &["bare.csv:1:1:", "a column named `end_time` or `duration`"],
    );
}

/// The PAI task table at `path` replayed on one node, as JSON, with `extra` flags.
fn replay_pai(path: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["--trace-format", "pai", "--format", "json"];
    args.extend_from_slice(extra);
    replay_one(path, &args)
}

/// PAI: a `plan_gpu` of `NaN` was read as no GPU, and the job dropped as a CPU job.
#[test]
fn a_pai_plan_gpu_of_nan_is_a_bad_row() {
    let s = Scratch::new();
    let path = s.write(
        "nan/pai_task_table.csv",
        "j1,task,1,Terminated,100,3700,600,29,NaN,V100\n",
    );
    assert_refused(
        &replay_pai(&path, &[]),
        &[
            "pai_task_table.csv:1:38: cannot read the `plan_gpu` field of a job",
            "found: `NaN`",
        ],
    );
    let out = replay_pai(&path, &["--skip-bad"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (
            v["bad_rows_skipped"].as_u64(),
            v["cpu_only_jobs_left_out"].as_u64()
        ),
        (Some(1), Some(0))
    );
}

/// PAI: a header naming a column twice was read with the first of them. Refused, in the task
/// table or in the job table, even with --skip-bad.
#[test]
fn a_pai_header_naming_a_column_twice_is_refused() {
    let s = Scratch::new();
    for (header, found) in [
        (
            "job_name,inst_num,start_time,end_time,plan_gpu,plan_gpu\nj1,1,100,3700,100,800\n",
            "found: `plan_gpu` twice, columns 5 and 6",
        ),
        (
            "job_name,inst_num,start_time,end_time,plan_gpu,job_name\nj1,1,100,3700,100,j2\n",
            "found: `job_name` twice, columns 1 and 6",
        ),
    ] {
        let path = s.write("twice/pai_task_table.csv", header);
        assert_refused(
            &replay_pai(&path, &["--skip-bad"]),
            &["pai_task_table.csv:1:", found],
        );
    }
    let path = s.write(
        "twice/pai_task_table.csv",
        "j1,task,1,Terminated,100,3700,600,29,100,V100\n",
    );
    s.write(
        "twice/pai_job_table.csv",
        "job_name,start_time,start_time\nj1,10,90\n",
    );
    assert_refused(
        &replay_pai(&path, &["--skip-bad"]),
        &[
            "pai_job_table.csv:1:",
            "found: `start_time` twice, columns 2 and 3",
        ],
    );
}

/// PAI: a job with two rows in the job table was submitted by the first. Refused, naming both
/// lines; with --skip-bad the job is left out and counted by the line of its first task row.
#[test]
fn a_pai_job_listed_twice_in_the_job_table_is_a_bad_row() {
    let s = Scratch::new();
    let path = s.write(
        "jobs/pai_task_table.csv",
        "j0,task,1,Terminated,50,60,600,29,100,V100\nj1,task,1,Terminated,100,3700,600,29,100,V100\n",
    );
    s.write(
        "jobs/pai_job_table.csv",
        "j1,inst,u,Terminated,10,300\nj0,inst,u,Terminated,40,60\nj1,inst,u,Terminated,90,300\n",
    );
    assert_refused(
        &replay_pai(&path, &[]),
        &[
            "pai_job_table.csv:3:1: cannot read the `job_name` field of a job",
            "expected: one row per job in the job table: `j1` has one on line 1",
            "found: a second row of `j1`",
        ],
    );
    let out = replay_pai(&path, &["--skip-bad"]);
    assert_eq!(skipped(&out, "skipped 1 bad row (line 2)"), (1, 1));
}

/// A row with more (or fewer) fields than the header shifts its columns: it was read as if it
/// had as many. Now it is a bad row in every layout with a header.
#[test]
fn a_row_with_more_or_fewer_fields_than_the_header_is_a_bad_row() {
    let s = Scratch::new();
    // (format, trace, column of the first field too many, header fields, row fields)
    for (format, text, column, width, found) in [
        (
            "csv",
            "submit,duration,gpus\n0,100,1,999,extra\n1,10,1\n",
            9,
            3,
            5,
        ),
        (
            "helios",
            "submit_time,start_time,duration,gpu_num\n0,5,100,1,999\n1,2,10,1\n",
            11,
            4,
            5,
        ),
        (
            "philly",
            "timestamp,duration,num_gpus\n0,100,1,\n1,10,1\n",
            9,
            3,
            4,
        ),
    ] {
        let path = s.write(&format!("{format}.csv"), text);
        let flags = ["--trace-format", format, "--format", "json"];
        assert_refused(
            &replay_one(&path, &flags),
            &[
                &format!("{format}.csv:2:{column}: cannot read the `line` field of a job"),
                &format!("expected: {width} comma-separated fields, as the header names"),
                &format!("found: {found} fields"),
            ],
        );
        let mut skip = flags.to_vec();
        skip.push("--skip-bad");
        let out = replay_one(&path, &skip);
        assert_eq!(skipped(&out, "skipped 1 bad row"), (1, 1), "{format}");
    }
    // Fewer fields than the header, where the missing one is not read, alike.
    let path = s.write("short.csv", "submit,duration,gpus,note\n0,100,1\n");
    assert_refused(
        &replay_one(&path, &[]),
        &[
            "short.csv:2:8:",
            "expected: 4 comma-separated",
            "found: 3 fields",
        ],
    );
}

/// A time without a zone is on the trace's own clock, whose offset from a zoned time is
/// unknown: mixing the two made an 8-hour wait out of none. Refused, even with --skip-bad.
#[test]
fn a_trace_mixing_times_with_and_without_a_zone_is_refused() {
    let s = Scratch::new();
    let path = s.write(
        "mixed.csv",
        "submit,start,duration,gpus\n2023-03-01 00:00:00+08:00,2023-03-01 00:00:00,10,1\n",
    );
    for extra in [&["--as-recorded"][..], &["--as-recorded", "--skip-bad"]] {
        assert_refused(
            &replay_one(&path, extra),
            &[
                "mixed.csv:2:27: the trace mixes times with a zone and times without one",
                "key: `start`",
                "expected: an ISO time with a zone, as the trace's first time is (`submit` on line 2: \
                 `2023-03-01 00:00:00+08:00`)",
                "found: `2023-03-01 00:00:00`, an ISO time without a zone",
            ],
        );
    }
    // Rows apart, the first time without a zone: the later zoned one is named with the first.
    let path = s.write(
        "later.csv",
        "submit,duration,gpus\n2023-03-01 00:00:00,10,1\n2023-03-01 00:00:05Z,10,1\n",
    );
    assert_refused(
        &replay_one(&path, &[]),
        &[
            "later.csv:3:1: the trace mixes",
            "(`submit` on line 2: `2023-03-01 00:00:00`)",
            "found: `2023-03-01 00:00:05Z`, an ISO time with a zone",
        ],
    );
    // Numbers of seconds count from an origin of the trace's own: a trace that mixes them
    // with ISO times put a job in 1970. Refused, even with --skip-bad.
    let path = s.write(
        "seconds.csv",
        "submit,duration,gpus\n3600,10,1\n2023-03-01 00:00:05Z,10,1\n",
    );
    for extra in [&[][..], &["--skip-bad"]] {
        assert_refused(
            &replay_one(&path, extra),
            &[
                "seconds.csv:3:1: the trace mixes numbers of seconds and ISO times",
                "expected: a number of seconds, as the trace's first time is (`submit` on line 2: `3600`)",
                "found: `2023-03-01 00:00:05Z`, an ISO time with a zone",
            ],
        );
    }
    // Zones that differ are one kind (each says its offset).
    let path = s.write(
        "zoned.csv",
        "submit,start,duration,gpus\n2023-03-01 08:00:00+08:00,2023-03-01 00:00:30Z,10,1\n",
    );
    let v = replay_json(&path, &["--nodes", "1", "--as-recorded"]);
    assert_eq!(waits(&v, "all").0, 30.0);
}

/// `--nodes 1,2,4` replays the trace on each size (in parallel): JSON lists the same summaries
/// as three separate replays; CSV and the table compare the sizes one row each.
#[test]
fn several_cluster_sizes_compare_row_by_row() {
    let s = Scratch::new();
    let trace = s.write("four.csv", FOUR);
    let all = replay_json(&trace, &["--nodes", "1,2,4", "--gpus-per-node", "4"]);
    let all = all.as_array().expect("a list of summaries");
    assert_eq!(all.len(), 3);
    for (summary, nodes) in all.iter().zip(["1", "2", "4"]) {
        let one = replay_json(&trace, &["--nodes", nodes, "--gpus-per-node", "4"]);
        assert_eq!(summary, &one, "{nodes} nodes");
    }
    let csv = success([
        "replay",
        trace.to_str().expect("path"),
        "--nodes",
        "1,2,4",
        "--gpus-per-node",
        "4",
        "--format",
        "csv",
        "-q",
    ]);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap_or("")
            .starts_with("nodes,owned_gpus,utilisation,wait_mean_s")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3);
    for (row, summary) in rows.iter().zip(all) {
        assert_eq!(row[0], summary["nodes"].to_string());
        assert_eq!(row[1], summary["owned_gpus"].to_string());
        let wait = summary["wait"]
            .as_array()
            .expect("waits")
            .iter()
            .find(|w| w["class"] == "all")
            .expect("all jobs");
        assert_eq!(row[3].parse::<f64>().ok(), wait["mean_s"].as_f64());
    }
}

#[test]
fn several_cluster_sizes_refuse_what_needs_one() {
    let s = Scratch::new();
    let trace = s.write("four.csv", FOUR).display().to_string();
    let report = s.path("report").display().to_string();
    let many = (1..=65)
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(",");
    for (args, needle) in [
        (
            vec!["--nodes", "1,2", "--report", report.as_str()],
            "a report folder of several cluster sizes",
        ),
        (vec!["--nodes", many.as_str()], "too many cluster sizes"),
        (vec!["--nodes", "1,0"], "invalid number of nodes"),
    ] {
        let mut all = vec!["replay", trace.as_str()];
        all.extend(args);
        let out = output(&all);
        assert_eq!(out.status.code(), Some(EXIT_INPUT), "{all:?}");
        assert!(stderr(&out).contains(needle), "{all:?}: {}", stderr(&out));
    }
    assert!(!s.path("report").exists());
}

/// Two jobs 100,000 s apart: trimming 10 s at each end leaves the window [10, 99,990], in
/// which no job was submitted.
const TWO_APART: &str = "job_id,submit,start,duration,gpus\n1,0,,3600,8\n1,100000,,3600,8\n";

const EMPTY_TRIM: [&str; 6] = ["--nodes", "2", "--trim-start", "10s", "--trim-end", "10s"];

/// The figures of a spread, as JSON values, in the order mean, median, P90, P99.
fn spread_figures(v: &Value, list: &str, class: &str) -> (u64, [Value; 4]) {
    let x = v[list]
        .as_array()
        .expect("a list of spreads")
        .iter()
        .find(|x| x["class"] == class)
        .expect("class");
    (
        x["jobs"].as_u64().expect("jobs"),
        ["mean_s", "median_s", "p90_s", "p99_s"].map(|k| x[k].clone()),
    )
}

/// Every wait and completion figure of `class` is absent: 0 jobs, `null` figures.
fn assert_no_figures(v: &Value, class: &str) {
    for list in ["wait", "completion"] {
        assert_eq!(
            spread_figures(v, list, class),
            (0, [Value::Null, Value::Null, Value::Null, Value::Null]),
            "{list} of class {class}"
        );
    }
}

fn replay_text(trace: &std::path::Path, extra: &[&str], format: &str) -> String {
    let mut args = vec![
        "replay".to_string(),
        trace.display().to_string(),
        "--format".to_string(),
        format.to_string(),
        "--quiet".to_string(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    success(&args)
}

#[test]
fn a_trimmed_window_without_jobs_has_no_waits_or_completion_times() {
    let s = Scratch::new();
    let trace = s.write("tr.csv", TWO_APART);
    let v = replay_json(&trace, &EMPTY_TRIM);
    assert_eq!(v["jobs"], 0);
    assert_eq!(
        (v["window_start_s"].clone(), v["window_end_s"].clone()),
        (10.into(), 99_990.into())
    );
    for class in ["all", "1", "2-8", "9-64", ">64"] {
        assert_no_figures(&v, class);
    }
    let table = replay_text(&trace, &EMPTY_TRIM, "table");
    for line in table
        .lines()
        .filter(|l| l.starts_with("all ") || l.starts_with(">64 "))
    {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells[1..], ["0", "n/a", "n/a", "n/a", "n/a"], "{table}");
    }
    assert_eq!(
        table.lines().filter(|l| l.starts_with("all ")).count(),
        2,
        "a row of all jobs for the waits and one for the completion times:\n{table}"
    );
    let md = replay_text(&trace, &EMPTY_TRIM, "markdown");
    assert_eq!(
        md.matches("| all | 0 | n/a | n/a | n/a | n/a |").count(),
        2,
        "{md}"
    );
    let csv = replay_text(&trace, &EMPTY_TRIM, "csv");
    for row in [
        "wait_jobs,all,0",
        "wait_mean_s,all,",
        "wait_median_s,all,",
        "wait_p90_s,all,",
        "wait_p99_s,>64,",
        "completion_mean_s,all,",
        "completion_p99_s,9-64,",
    ] {
        assert!(csv.contains(&format!("\n{row}\n")), "no `{row}` in {csv}");
    }
    // Compared across sizes: the waits of all jobs are n/a in the table, empty in CSV.
    let sizes = ["--nodes", "1,2", "--trim-start", "10s", "--trim-end", "10s"];
    let csv = replay_text(&trace, &sizes, "csv");
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[3..6], ["", "", ""], "{csv}");
    }
    let table = replay_text(&trace, &sizes, "table");
    assert_eq!(table.matches("n/a").count(), 6, "{table}");
}

#[test]
fn a_header_only_trace_has_no_waits_or_completion_times() {
    let s = Scratch::new();
    let trace = s.write("header.csv", "job_id,submit,start,duration,gpus\n");
    let v = replay_json(&trace, &["--nodes", "1"]);
    assert_eq!(v["jobs"], 0);
    for class in ["all", "1", "2-8", "9-64", ">64"] {
        assert_no_figures(&v, class);
    }
    let table = replay_text(&trace, &["--nodes", "1"], "table");
    assert_eq!(table.matches("n/a").count(), 2 * 5 * 4, "{table}");
}

#[test]
fn an_empty_class_has_no_figures_beside_the_classes_with_jobs() {
    let s = Scratch::new();
    let trace = s.write("four.csv", FOUR);
    let args = ["--nodes", "1", "--gpus-per-node", "4"];
    let v = replay_json(&trace, &args);
    // Strict FIFO, as in `strict_fifo_waits_behind_a_blocked_head`: waits 0 (A, 3 GPUs),
    // 9 (B, 4 GPUs), 18 (C, 1 GPU), 17 (D, 1 GPU). No job has 9 GPUs or more.
    assert_eq!(waits(&v, "1"), (17.5, 17, 18, 18));
    assert_eq!(waits(&v, "2-8"), (4.5, 0, 9, 9));
    assert_no_figures(&v, "9-64");
    assert_no_figures(&v, ">64");
    let md = replay_text(&trace, &args, "markdown");
    assert!(md.contains("| 9-64 | 0 | n/a | n/a | n/a | n/a |"), "{md}");
    assert!(
        md.contains("| &gt;64 | 0 | n/a | n/a | n/a | n/a |"),
        "{md}"
    );
}

#[test]
fn the_classes_of_the_philly_sample_without_jobs_have_no_figures() {
    let Some(dir) = traces() else { return };
    let path = dir.join("philly-2017-10-01-5000.csv");
    let text = std::fs::read_to_string(&path).expect("the Philly sample");
    let big = column(&text, "num_gpus")
        .into_iter()
        .filter(|&g| g > 64.0)
        .count();
    let args = ["--trace-format", "philly", "--nodes", "64"];
    let v = replay_json(&path, &args);
    if big == 0 {
        assert_no_figures(&v, ">64");
        let table = replay_text(&path, &args, "table");
        let rows: Vec<&str> = table.lines().filter(|l| l.starts_with(">64 ")).collect();
        assert_eq!(rows.len(), 2, "{table}");
        for row in rows {
            let cells: Vec<&str> = row.split_whitespace().collect();
            assert_eq!(cells[1..], ["0", "n/a", "n/a", "n/a", "n/a"], "{table}");
        }
    }
    // The class of all jobs has jobs, so its figures exist.
    let (jobs, figures) = spread_figures(&v, "wait", "all");
    assert!(jobs > 0);
    assert!(figures.iter().all(Value::is_number), "{figures:?}");
}

#[test]
fn a_policy_on_a_wait_of_no_jobs_is_broken_with_no_value() {
    let s = Scratch::new();
    let trace = s.write("tr.csv", TWO_APART);
    let policy = s.write(
        "pol.toml",
        "[[policy]]\nname = \"p90\"\nmetric = \"p90_wait_s\"\nmax = 3600\n\n\
         [[policy]]\nname = \"completion\"\nmetric = \"mean_completion_s\"\nmin = 0\n\n\
         [[policy]]\nname = \"nothing unmet\"\nmetric = \"unmet_jobs\"\nmax = 0\n",
    );
    let json = s.path("replay.json");
    let mut args: Vec<String> = [
        "replay",
        trace.to_str().expect("path"),
        "--policy-file",
        policy.to_str().expect("path"),
        "--format",
        "json",
        "--output",
        json.to_str().expect("path"),
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend(EMPTY_TRIM.iter().map(|a| a.to_string()));
    let out = output(&args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("policy `p90` broken: p90_wait_s at most 3600, found none"),
        "{err}"
    );
    assert!(
        err.contains("policy `completion` broken: mean_completion_s at least 0, found none"),
        "{err}"
    );
    assert!(!err.contains("`nothing unmet` broken"), "{err}");
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("written")).expect("JSON");
    let results: Vec<(Value, bool)> = v["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .map(|p| (p["value"].clone(), p["holds"].as_bool().expect("holds")))
        .collect();
    assert_eq!(
        results,
        [
            (Value::Null, false),
            (Value::Null, false),
            (Value::from(0.0), true)
        ]
    );
    let mut table_args = args.clone();
    table_args.truncate(4);
    table_args.extend(EMPTY_TRIM.iter().map(|a| a.to_string()));
    let out = output(&table_args);
    let table = stdout(&out);
    assert!(
        table.contains("Policies: 2 of 3 policies broken."),
        "{table}"
    );
    let row = table
        .lines()
        .find(|l| l.starts_with("p90 "))
        .expect("the policy's row");
    assert!(
        row.contains("p90_wait_s at most 3600") && row.contains("none") && row.contains("BROKEN"),
        "{row}"
    );
}

/// `tcosim replay` with `args` after the trace and the cluster of [`three_cluster`], quiet.
fn replay_to(trace: &std::path::Path, args: &[&std::ffi::OsStr]) -> std::process::Output {
    let mut all = vec![
        std::ffi::OsStr::new("replay"),
        trace.as_os_str(),
        std::ffi::OsStr::new("--quiet"),
    ];
    all.extend(three_cluster().into_iter().map(std::ffi::OsStr::new));
    all.extend_from_slice(args);
    output(all)
}

/// A replay writes its `--report` folder and its `--output` (a file, a device or standard
/// output) together or not at all: an `--output` that names the report folder, or a path the
/// folder would be made under, is refused before anything is written, and an output that
/// fails to be written leaves no report behind, nor changes an earlier one.
#[test]
fn a_replay_that_fails_on_one_output_writes_no_other() {
    use crate::report::contents;
    use crate::support::{arg, entries};
    let s = Scratch::new();
    let trace = s.write("three.csv", THREE);
    let earlier = s.path("earlier");
    let out = replay_to(&trace, &[arg("--report"), arg(&earlier)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = contents(&earlier);
    // A report swapped in is a new folder: the earlier one must be the very same folder after,
    // not an identical copy.
    #[cfg(unix)]
    let inode = |p: &std::path::Path| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).expect("the earlier report").ino()
    };
    #[cfg(unix)]
    let folder_before = inode(&earlier);
    let fresh = s.path("fresh");
    let fresh_spelled = format!("{}/./", fresh.display());
    let under_fresh = s.path("fresh/report");
    let cases: Vec<(Vec<&std::ffi::OsStr>, Vec<&str>)> = vec![
        // The same path for both: a new one, spelled alike or not, and the earlier report.
        (
            vec![arg("--report"), arg(&fresh), arg("--output"), arg(&fresh)],
            vec![
                "error: --output: the same path as the report folder",
                "expected: a file for `--output` and a folder for `--report`, each its own path",
                "the same path",
            ],
        ),
        (
            vec![
                arg("--report"),
                arg(&fresh_spelled),
                arg("--output"),
                arg(&fresh),
            ],
            vec!["error: --output: the same path as the report folder"],
        ),
        (
            vec![
                arg("--report"),
                arg(&earlier),
                arg("--output"),
                arg(&earlier),
            ],
            vec!["error: --output: the same path as the report folder"],
        ),
        // The report folder under the output file's path, which it would make a folder.
        (
            vec![
                arg("--report"),
                arg(&under_fresh),
                arg("--output"),
                arg(&fresh),
            ],
            vec![
                "error: --report: a report folder inside the --output path",
                "report` under `",
            ],
        ),
    ];
    for (args, needles) in cases {
        let out = replay_to(&trace, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(EXIT_INPUT), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        for needle in needles {
            assert!(err.contains(needle), "{args:?}: `{needle}` in\n{err}");
        }
    }
    // Outputs that fail only when written: a full device, and standard output on one.
    #[cfg(target_os = "linux")]
    if std::path::Path::new("/dev/full").exists() {
        for report in [&fresh, &earlier] {
            let out = replay_to(
                &trace,
                &[
                    arg("--report"),
                    arg(report),
                    arg("--output"),
                    arg("/dev/full"),
                ],
            );
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(EXIT_INPUT), "{err}");
            assert!(
                err.contains("/dev/full: cannot write the --output file")
                    && err.contains("no space left on the device"),
                "{err}"
            );
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full opens");
            let mut all = vec![
                "replay".to_string(),
                trace.display().to_string(),
                "--quiet".to_string(),
                "--report".to_string(),
                report.display().to_string(),
            ];
            all.extend(three_cluster().iter().map(|a| a.to_string()));
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_tcosim"))
                .args(&all)
                .env("NO_COLOR", "1")
                .stdout(full)
                .output()
                .expect("tcosim starts");
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(EXIT_INPUT), "{err}");
            assert!(
                err.contains("standard output: cannot write output"),
                "{err}"
            );
        }
    }
    assert!(
        contents(&earlier) == before,
        "a failed replay changed the earlier report"
    );
    #[cfg(unix)]
    assert_eq!(
        inode(&earlier),
        folder_before,
        "a failed replay replaced the earlier report"
    );
    assert_eq!(
        entries(s.dir.path()),
        ["earlier", "three.csv"],
        "a failed replay wrote something"
    );
    // Apart, both are written.
    let json = s.path("replay.json");
    let out = replay_to(
        &trace,
        &[
            arg("--report"),
            arg(&fresh),
            arg("--output"),
            arg(&json),
            arg("--format"),
            arg("json"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read(&json).expect("the output"),
        std::fs::read(fresh.join("summary.json")).expect("the report's summary"),
        "the output is the report's JSON summary"
    );
}

/// A replay stopped while its report folder waits to be swapped in (here for the lock on its
/// parent folder, which this test holds) has staged its `--output` but not replaced it: the
/// earlier file stays as it was, and no temporary file is left.
#[cfg(unix)]
#[test]
fn a_replay_stopped_before_its_report_is_in_place_keeps_the_earlier_output() {
    use crate::support::{arg, entries, leftovers};
    use std::time::{Duration, Instant};
    let s = Scratch::new();
    let trace = s.write("three.csv", THREE);
    let json = s.write("replay.json", "earlier output\n");
    let report = s.path("report");
    let lock = std::fs::File::open(s.dir.path()).expect("open the folder");
    lock.lock().expect("lock the folder");
    let mut args = vec![
        arg("replay"),
        arg(&trace),
        arg("--quiet"),
        arg("--report"),
        arg(&report),
        arg("--output"),
        arg(&json),
    ];
    args.extend(three_cluster().into_iter().map(std::ffi::OsStr::new));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tcosim"))
        .args(&args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tcosim starts");
    // The output is staged first (a hidden temporary file beside it), then the report waits
    // for the lock; meanwhile the output is not replaced.
    let start = Instant::now();
    while leftovers(s.dir.path()).is_empty() {
        if start.elapsed() > Duration::from_secs(30) || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let out = child.wait_with_output().expect("tcosim output");
            panic!(
                "the output was not staged before the report waited: {:?}\n{}",
                entries(s.dir.path()),
                stderr(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let staged = Instant::now();
    while staged.elapsed() < Duration::from_secs(1) {
        assert_eq!(
            std::fs::read_to_string(&json).unwrap(),
            "earlier output\n",
            "the output was replaced before the report was in place"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the replay did not wait"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    // SAFETY: `kill` has no memory effects; `pid` is our own child, not yet waited for.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0, "kill failed");
    let out = child.wait_with_output().expect("tcosim output");
    drop(lock);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert_eq!(err, "error: interrupted by SIGINT, nothing was written\n");
    assert_eq!(std::fs::read_to_string(&json).unwrap(), "earlier output\n");
    assert_eq!(entries(s.dir.path()), ["replay.json", "three.csv"]);
}

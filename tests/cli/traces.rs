//! Workloads given as job traces (README "Trace workloads", T1–T6), against figures worked out
//! by hand from tiny traces, and the conservation and growth of a real one.

use crate::support::{
    Scratch, arg, assert_close, number, option_named, repo, run_json_of, run_rejected, success,
};
use serde_json::Value;

/// A one-month scenario at no discount on `options`, with `workloads` (TOML text).
fn scenario(workloads: &str, options: &str) -> String {
    format!(
        "name = \"traces\"\nhorizon_months = 1\nstart = \"2027-01\"\ndiscount_rate = 0.0\n\
         reference_accelerator = \"h100-sxm\"\n\n{workloads}\n{options}"
    )
}

/// One 8-GPU H100 server at full availability, as `kind` (with the Lambda H100 offer for a
/// hybrid), named `name`.
fn one_server(name: &str, kind: &str, extra: &str) -> String {
    let offer = if kind == "hybrid" {
        "offer = \"lambda-gpu_8x_h100_sxm5\"\n"
    } else {
        ""
    };
    format!(
        "[[option]]\nname = \"{name}\"\nkind = \"{kind}\"\nserver = \"hgx-h100-oem\"\nservers = 1\n\
         site = \"us-tx-colo\"\navailability = 1.0\n{offer}{extra}\n"
    )
}

const CLOUD: &str =
    "[[option]]\nname = \"cloud\"\nkind = \"cloud\"\noffer = \"lambda-gpu_8x_h100_sxm5\"\n";

#[test]
fn trace_jobs_take_owned_gpus_first_and_the_profiles_get_the_rest() {
    // Two 8-GPU jobs of 15 minutes, half an hour apart: the trace repeats every hour
    // (span 1,800 s × 2 jobs / 1 gap), 2 × 2 = 4 reference GPU-hours an hour, no job waits.
    let scratch = Scratch::new();
    scratch.write(
        "jobs.csv",
        "job_id,submit,duration,gpus\na,100,900,8\nb,1900,900,8\n",
    );
    let workloads = "[[workload]]\nname = \"jobs\"\ntrace = \"jobs.csv\"\n\n\
        [[workload]]\nname = \"serving\"\ngpu_hours_per_month = 3650\nprofile = \"flat\"\n";
    let options = format!(
        "{}{}{CLOUD}",
        one_server("own", "onprem", ""),
        one_server("burst", "hybrid", "")
    );
    let doc = run_json_of(&scratch, &scenario(workloads, &options));
    // 730 hours: the trace 730 × 4 = 2,920, the profile 3,650 (5 an hour).
    for name in ["own", "burst", "cloud"] {
        assert_close(
            number(option_named(&doc, name), "demand_gpu_hours"),
            6570.0,
            name,
        );
    }
    // The jobs take 4 of the 8 GPU-hours of each hour; the profile gets the other 4 of its 5.
    let own = option_named(&doc, "own");
    assert_close(
        number(own, "served_onprem_gpu_hours"),
        2920.0 + 4.0 * 730.0,
        "own on-prem",
    );
    assert_close(number(own, "unmet_gpu_hours"), 730.0, "own unmet");
    assert_close(number(own, "mean_wait_hours"), 0.0, "no job waits");
    let burst = option_named(&doc, "burst");
    assert_close(
        number(burst, "served_onprem_gpu_hours"),
        5840.0,
        "burst on-prem",
    );
    assert_close(
        number(burst, "served_cloud_gpu_hours"),
        730.0,
        "burst cloud",
    );
    assert_close(number(burst, "unmet_gpu_hours"), 0.0, "burst unmet");
    // A cloud runs every job as it arrives.
    let cloud = option_named(&doc, "cloud");
    assert_close(number(cloud, "served_cloud_gpu_hours"), 6570.0, "cloud");
    assert_close(
        number(&cloud["breakdown"], "cloud_on_demand"),
        6570.0 * 31.92 / 8.0,
        "cloud on-demand cost",
    );
}

/// Three jobs: two 8-GPU jobs of 30 minutes a minute apart, so the second waits 1,740 s, and a
/// 1-GPU minute at 3,000 s, which waits for it (600 s). The trace repeats every 4,500 s
/// (span 3,000 s × 3 / 2), 584 times in a month of 730 hours, each repetition done before the
/// next begins.
const WAITING: &str = "job_id,submit,duration,gpus\na,0,1800,8\nb,60,1800,8\nc,3000,60,1\n";
const REPEATS: f64 = 584.0;

#[test]
fn trace_jobs_wait_for_the_gpus_and_leave_after_their_longest_wait() {
    let scratch = Scratch::new();
    scratch.write("jobs.csv", WAITING);
    let per_pass = 4.0 + 4.0 + 1.0 / 60.0;
    let workload =
        |limit: &str| format!("[[workload]]\nname = \"jobs\"\ntrace = \"jobs.csv\"\n{limit}\n");
    let doc = run_json_of(
        &scratch,
        &scenario(&workload(""), &one_server("own", "onprem", "")),
    );
    let own = option_named(&doc, "own");
    assert_close(
        number(own, "demand_gpu_hours"),
        REPEATS * per_pass,
        "demand",
    );
    assert_close(
        number(own, "served_onprem_gpu_hours"),
        REPEATS * per_pass,
        "all served",
    );
    assert_close(
        number(own, "served_after_wait_gpu_hours"),
        0.0,
        "no wait of an hour",
    );
    let wait_sum = 4.0 * 1740.0 / 3600.0 + 1.0 / 60.0 * 600.0 / 3600.0;
    assert_close(
        number(own, "mean_wait_hours"),
        wait_sum / per_pass,
        "mean wait",
    );
    // 4 of the 8.02 GPU-hours start at once; 95% have started within the first hour.
    assert_close(number(own, "p95_wait_hours"), 1.0, "P95 wait");

    // Jobs that may not wait: the second leaves on arrival, so the third finds the GPUs free.
    // On-prem the second is work not done; a hybrid runs it in the cloud from then.
    let text = scenario(
        &workload("max_wait_hours = 0"),
        &format!(
            "{}{}",
            one_server("own", "onprem", ""),
            one_server("burst", "hybrid", "")
        ),
    );
    let doc = run_json_of(&scratch, &text);
    let own = option_named(&doc, "own");
    let stays = 4.0 + 1.0 / 60.0;
    assert_close(
        number(own, "served_onprem_gpu_hours"),
        REPEATS * stays,
        "own on-prem",
    );
    assert_close(number(own, "unmet_gpu_hours"), REPEATS * 4.0, "own unmet");
    assert_close(number(own, "mean_wait_hours"), 0.0, "nothing waits");
    let burst = option_named(&doc, "burst");
    assert_close(
        number(burst, "served_onprem_gpu_hours"),
        REPEATS * stays,
        "burst on-prem",
    );
    assert_close(
        number(burst, "served_cloud_gpu_hours"),
        REPEATS * 4.0,
        "burst cloud",
    );
    assert_close(
        number(&burst["breakdown"], "cloud_on_demand"),
        REPEATS * 4.0 * 31.92 / 8.0,
        "burst cost",
    );
}

/// A job that would leave the queue only after the horizon runs in the cloud from its arrival
/// (as Q5 counts work that would wait too long), instead of joining the final backlog, which is
/// neither served nor costed.
#[test]
fn a_job_that_would_leave_after_the_horizon_bursts_on_arrival() {
    let scratch = Scratch::new();
    // `a` holds the server for 1,000 hours; `b`, an hour later, would wait 800 hours and leave
    // in hour 801, after the 730 hours of the horizon; `c` arrives after the horizon, so that
    // the trace is laid once.
    scratch.write(
        "jobs.csv",
        "job_id,submit,duration,gpus\na,0,3600000,8\nb,3600,3600,8\nc,2700000,60,1\n",
    );
    let text = scenario(
        "[[workload]]\nname = \"jobs\"\ntrace = \"jobs.csv\"\nmax_wait_hours = 800\n",
        &one_server("burst", "hybrid", ""),
    );
    let doc = run_json_of(&scratch, &text);
    let burst = option_named(&doc, "burst");
    assert_close(number(burst, "demand_gpu_hours"), 8008.0, "demand");
    assert_close(
        number(burst, "served_onprem_gpu_hours"),
        8.0 * 730.0,
        "a on-prem within the month",
    );
    assert_close(
        number(burst, "served_cloud_gpu_hours"),
        8.0,
        "b in the cloud",
    );
    assert_close(
        number(&burst["breakdown"], "cloud_on_demand"),
        31.92,
        "b's cloud hour, costed",
    );
    assert_close(
        number(burst, "backlog_gpu_hours"),
        8.0 * 270.0,
        "only a's own hours after the horizon",
    );
}

#[test]
fn a_sensitive_trace_never_leaves_and_durations_follow_the_gpus() {
    let scratch = Scratch::new();
    scratch.write("jobs.csv", WAITING);
    // Recorded on A100s: each job needs rel(A100) of the reference GPU-hours, and runs that
    // much shorter on the owned H100s, so the second job waits only 1,800 × rel − 60 s.
    let text = scenario(
        "[[workload]]\nname = \"jobs\"\ntrace = \"jobs.csv\"\nsensitive = true\n\
         trace_accelerator = \"a100-80gb-sxm\"\n",
        &format!("{}{CLOUD}", one_server("own", "onprem", "")),
    );
    let doc = run_json_of(&scratch, &text);
    let rel = 312.0 / 989.0; // dense BF16 TFLOPS of the A100 and the H100 in the catalog
    let per_pass = (4.0 + 4.0 + 1.0 / 60.0) * rel;
    let own = option_named(&doc, "own");
    assert_close(
        number(own, "demand_gpu_hours"),
        REPEATS * per_pass,
        "demand",
    );
    assert_close(
        number(own, "served_onprem_gpu_hours"),
        REPEATS * per_pass,
        "served",
    );
    let cloud = option_named(&doc, "cloud");
    assert_close(
        number(cloud, "unmet_gpu_hours"),
        REPEATS * per_pass,
        "sensitive: unmet in a cloud",
    );
    assert_close(
        number(cloud, "served_cloud_gpu_hours"),
        0.0,
        "nothing leaves",
    );
    // Owned durations are whole seconds: round(1,800 × rel) for the 8-GPU jobs.
    let d = (1800.0 * rel).round();
    let wait_b = d - 60.0;
    let wait_c = (2.0 * d - 3000.0).max(0.0);
    let expected = (4.0 * rel * wait_b + rel / 60.0 * wait_c) / 3600.0 / per_pass;
    assert!(
        (number(own, "mean_wait_hours") - expected).abs() < 1e-9,
        "mean wait {} vs {expected}",
        number(own, "mean_wait_hours")
    );
}

#[test]
fn a_real_trace_grows_with_the_scenario_and_conserves_its_work() {
    let philly = repo().join("../shared/data/traces/philly-2017-10-01-5000.csv");
    let scratch = Scratch::new();
    let text = format!(
        "name = \"philly\"\nhorizon_months = 24\nstart = \"2027-01\"\ndiscount_rate = 0.05\n\
         reference_accelerator = \"h100-sxm\"\n\n\
         [[workload]]\nname = \"philly\"\ntrace = \"{}\"\ntrace_format = \"philly\"\n\
         trace_accelerator = \"v100-sxm2-32gb\"\ngrowth_per_year = 1.0\nmax_wait_hours = 12\n\n\
         {}{}{CLOUD}",
        philly.display(),
        one_server(
            "own",
            "onprem",
            "servers = 4\nscheduler = \"easy-backfill\""
        )
        .replace("servers = 1\n", ""),
        one_server("burst", "hybrid", "")
    );
    let doc = run_json_of(&scratch, &text);
    for o in doc["options"].as_array().expect("options") {
        let parts = [
            "served_onprem_gpu_hours",
            "served_cloud_gpu_hours",
            "unmet_gpu_hours",
        ]
        .iter()
        .map(|k| number(o, k))
        .sum::<f64>()
            + number(o, "backlog_gpu_hours");
        let demand = number(o, "demand_gpu_hours");
        assert!(
            (parts - demand).abs() <= 1e-9 * demand,
            "{}: served + cloud + unmet + backlog = {parts}, demand {demand}",
            o["name"]
        );
        // Continuous growth of 100% a year: the second year asks for twice the first, to the
        // graininess of whole jobs.
        let months = o["monthly"].as_array().expect("monthly");
        let year = |y: usize| -> f64 {
            months[12 * y..12 * (y + 1)]
                .iter()
                .map(|m| number(m, "demand_gpu_hours"))
                .sum()
        };
        let ratio = year(1) / year(0);
        assert!(
            (ratio - 2.0).abs() < 0.04,
            "{}: year 2 / year 1 = {ratio}",
            o["name"]
        );
    }
}

#[test]
fn trace_workloads_are_checked() {
    let scratch = Scratch::new();
    scratch.write("jobs.csv", WAITING);
    scratch.write(
        "one.csv",
        "job_id,submit,duration,gpus\na,5,60,1\nb,5,60,2\n",
    );
    let own = one_server("own", "onprem", "");
    scratch.write(
        "bad_row.csv",
        "job_id,submit,duration,gpus\na,0,60,1\nb,abc,60,2\nc,100,60,1\n",
    );
    let cases: [(&str, &str, &[&str]); 9] = [
        (
            // The default profile's value, written out, is as contradictory as another.
            "[[workload]]\nname = \"w\"\ntrace = \"jobs.csv\"\nprofile = \"flat\"\n",
            &own,
            &[
                "`profile` does not apply to a trace workload",
                "workload[0].profile",
            ],
        ),
        (
            // A scenario has no `--skip-bad`: the hint names the key and the replay command.
            "[[workload]]\nname = \"w\"\ntrace = \"bad_row.csv\"\n",
            &own,
            &[
                "bad_row.csv",
                "`workload[0].trace` of",
                "correct or delete the row",
                "bad_row.csv --skip-bad` counts such rows",
            ],
        ),
        (
            "[[workload]]\nname = \"w\"\ntrace = \"jobs.csv\"\ngpu_hours_per_month = 10\n",
            &own,
            &[
                "`gpu_hours_per_month` does not apply to a trace workload",
                "workload[0].gpu_hours_per_month",
            ],
        ),
        (
            "[[workload]]\nname = \"w\"\ntrace = \"missing.csv\"\n",
            &own,
            &["cannot open the trace", "workload[0].trace"],
        ),
        (
            "[[workload]]\nname = \"w\"\ntrace = \"jobs.csv\"\ntrace_format = \"phily\"\n",
            &own,
            &["unknown trace format `phily`", "philly"],
        ),
        (
            "[[workload]]\nname = \"w\"\ngpu_hours_per_month = 10\ntrace_format = \"csv\"\n",
            &own,
            &["`trace_format` applies only to a workload with `trace`"],
        ),
        (
            "[[workload]]\nname = \"w\"\ntrace = \"one.csv\"\n",
            &own,
            &["arrives at one instant", "2 jobs submitted at second 5"],
        ),
        (
            "[[workload]]\nname = \"w\"\ntrace = \"jobs.csv\"\n",
            &one_server("own", "onprem", "scheduler = \"easy\""),
            &[
                "unknown scheduler `easy`",
                "option[0].scheduler",
                "easy-backfill",
            ],
        ),
        (
            "[[workload]]\nname = \"w\"\ntrace = \"jobs.csv\"\ntrace_accelerator = \"h100\"\n",
            &own,
            &["workload[0].trace_accelerator", "h100-sxm"],
        ),
    ];
    for (workloads, options, needles) in cases {
        let path = scratch.write("bad.toml", &scenario(workloads, options));
        run_rejected(&[arg(&path)], needles);
    }
    // A demand scale that lays more jobs over the horizon than a run may hold.
    let text = scenario("[[workload]]\nname = \"w\"\ntrace = \"jobs.csv\"\n", &own)
        .replace("discount_rate", "demand_scale = 9000.0\ndiscount_rate");
    let path = scratch.write("many.toml", &text);
    run_rejected(&[arg(&path)], &["too many jobs", "5,000,000"]);
    // What moves the jobs is not sampled.
    let text = format!(
        "{}\n[[uncertain]]\npath = \"demand_scale\"\ndistribution = \"uniform\"\nlow = 0.5\nhigh = 1.5\n",
        scenario("[[workload]]\nname = \"w\"\ntrace = \"jobs.csv\"\n", &own)
    );
    let path = scratch.write("mc.toml", &text);
    run_rejected(
        &[arg(&path), arg("--samples"), arg("100")],
        &["`demand_scale` cannot be uncertain", "trace workload"],
    );
}

#[test]
fn a_sample_that_changes_the_cluster_replays_the_trace_again() {
    // A fixed uncertain availability of 0.5 runs every job twice as long on the owned GPUs:
    // each sample must give the figures of a plain run at availability 0.5, not the
    // scenario's replay at 1.0, whatever the number of threads.
    let scratch = Scratch::new();
    scratch.write("jobs.csv", WAITING);
    let workloads = "[[workload]]\nname = \"jobs\"\ntrace = \"jobs.csv\"\nmax_wait_hours = 1\n";
    let half = scenario(
        workloads,
        &one_server("own", "onprem", "").replace("1.0", "0.5"),
    );
    let plain = run_json_of(&scratch, &half);
    let expected = number(option_named(&plain, "own"), "pv_cost");
    let whole = scenario(workloads, &one_server("own", "onprem", ""));
    let at_one = number(
        option_named(&run_json_of(&scratch, &whole), "own"),
        "pv_cost",
    );
    assert!(
        (at_one - expected).abs() > 1.0,
        "availability must matter here: {at_one} vs {expected}"
    );
    let text = format!(
        "{whole}\n[[uncertain]]\npath = \"option[own].availability\"\ndistribution = \"fixed\"\nvalue = 0.5\n\n\
         [[uncertain]]\npath = \"site[us-tx-colo].electricity_per_kwh\"\ndistribution = \"fixed\"\nvalue = 0.066\n"
    );
    let path = scratch.write("mc.toml", &text);
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let json = success([
            arg("run"),
            arg(&path),
            arg("--samples"),
            arg("300"),
            arg("--threads"),
            arg(threads),
            arg("--format"),
            arg("json"),
        ]);
        let doc: Value = serde_json::from_str(&json).expect("JSON");
        let mc = doc["montecarlo"]["options"]
            .as_array()
            .expect("options")
            .iter()
            .find(|o| o["name"] == "own")
            .expect("own")
            .clone();
        let pv = &mc["metrics"]["pv_cost"];
        for stat in ["mean", "p5", "p95"] {
            assert_close(number(pv, stat), expected, stat);
        }
        outputs.push(json);
    }
    assert_eq!(outputs[0], outputs[1], "the same on 1 and 2 threads");
}

#[cfg(unix)]
#[test]
fn a_trace_that_is_not_a_regular_file_is_refused_without_blocking() {
    // A FIFO would block an open until a writer came; a device would never end.
    let scratch = Scratch::new();
    let fifo = scratch.path("jobs.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        return;
    }
    let text = scenario(
        "[[workload]]\nname = \"w\"\ntrace = \"jobs.csv\"\n",
        &one_server("own", "onprem", ""),
    );
    let path = scratch.write("s.toml", &text);
    run_rejected(
        &[arg(&path)],
        &["is not a regular file", "a FIFO", "workload[0].trace"],
    );
    crate::support::rejected(
        &[arg("replay"), arg(&fifo), arg("--nodes"), arg("2")],
        &["the trace is not a regular file", "a FIFO"],
    );
}

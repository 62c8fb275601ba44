//! Shared GPUs (README SG1–SG5): work of jobs that need a fraction of a GPU, held on whole
//! GPUs, MIG slices or time slices, against figures worked out by hand.

use crate::support::{
    Scratch, arg, assert_close, diff_drivers, number, option_named, run_json_of, run_json_with,
    run_rejected, success,
};
use serde_json::Value;

/// One year at no discount, reference H100, and the given workloads and options.
fn scenario(head: &str, workloads: &str, options: &str) -> String {
    format!(
        "name = \"sharing\"\nhorizon_months = 12\nstart = \"2027-01\"\ndiscount_rate = 0.0\n\
         reference_accelerator = \"h100-sxm\"\n{head}\n{workloads}\n{options}"
    )
}

/// A flat workload of `per_hour` reference GPUs of work, with extra keys.
fn workload(name: &str, per_hour: f64, extra: &str) -> String {
    format!(
        "[[workload]]\nname = \"{name}\"\ngpu_hours_per_month = {}\nprofile = \"flat\"\n{extra}\n\n",
        per_hour * 730.0
    )
}

/// An owned option of `servers` 8-GPU servers at full availability, with extra keys.
fn owned(name: &str, kind: &str, server: &str, servers: u32, extra: &str) -> String {
    format!(
        "[[option]]\nname = \"{name}\"\nkind = \"{kind}\"\nserver = \"{server}\"\nservers = {servers}\n\
         site = \"us-tx-colo\"\navailability = 1.0\n{extra}\n\n"
    )
}

fn run(text: &str) -> Value {
    run_json_of(&Scratch::new(), text)
}

/// [`run`] with 10 Monte Carlo samples.
fn run_samples(text: &str) -> Value {
    run_json_with(&Scratch::new(), text, &[arg("--samples"), arg("10")])
}

const HOURS: f64 = 730.0 * 12.0;

#[test]
fn whole_gpus_mig_and_time_slices_hold_what_the_jobs_need() {
    // 2 reference GPUs of work in jobs of a seventh of an H100, and 4 of whole-GPU work, on one
    // 8-GPU server. Whole GPUs: 14 + 4 = 18 GPUs held for 6 of work, 8 there: 8 × 6 / 18 of
    // work served each hour. MIG 1g slices: 2 + 4 = 6 held, all served. Time slices at 90%:
    // 2 / 0.9 + 4 = 6.22 held, all served.
    let workloads = format!(
        "{}{}",
        workload("small", 2.0, "gpu_fraction = 0.142857142857"),
        workload("big", 4.0, "")
    );
    let options = format!(
        "{}{}{}",
        owned("whole", "onprem", "hgx-h100-oem", 1, ""),
        owned("mig", "onprem", "hgx-h100-oem", 1, "sharing = \"mig\""),
        owned(
            "ts",
            "onprem",
            "hgx-h100-oem",
            1,
            "sharing = \"time-slicing\""
        )
    );
    let doc = run(&scenario("", &workloads, &options));
    let whole = option_named(&doc, "whole");
    assert_close(
        number(whole, "served_onprem_gpu_hours"),
        8.0 * 6.0 / 18.0 * HOURS,
        "whole GPUs",
    );
    assert_close(
        number(whole, "unmet_gpu_hours"),
        (6.0 - 8.0 * 6.0 / 18.0) * HOURS,
        "unmet on whole GPUs",
    );
    for name in ["mig", "ts"] {
        let o = option_named(&doc, name);
        assert_close(number(o, "served_onprem_gpu_hours"), 6.0 * HOURS, name);
        assert_close(number(o, "unmet_gpu_hours"), 0.0, name);
    }
    // What sharing saved: the small workload's 2 GPUs of work hold 14 on whole GPUs, 2 in 1g
    // slices and 2 / 0.9 time-sliced.
    let s = &option_named(&doc, "mig")["sharing"];
    assert_eq!(s["mode"], "mig");
    assert_close(number(s, "fractional_gpu_hours"), 2.0 * HOURS, "work");
    assert_close(number(s, "held_gpu_hours"), 2.0 * HOURS, "held in slices");
    assert_close(
        number(s, "held_without_sharing_gpu_hours"),
        14.0 * HOURS,
        "held on whole GPUs",
    );
    assert_close(number(s, "saved_share"), 1.0 - 2.0 / 14.0, "saved");
    let ts = &option_named(&doc, "ts")["sharing"];
    assert_close(
        number(ts, "held_gpu_hours"),
        2.0 / 0.9 * HOURS,
        "time-sliced",
    );
    // Owned energy follows the work served: the same in both shared options.
    assert_close(
        number(option_named(&doc, "mig"), "energy_kwh"),
        number(option_named(&doc, "ts"), "energy_kwh"),
        "energy",
    );
}

#[test]
fn a_mig_profile_is_the_smallest_that_holds_the_job() {
    // A quarter of an H100 needs the 2g profile (2/7 ≥ 1/4), three to a GPU: φ = (1/3) / (1/4).
    // On B200s (2,250 / 989 reference GPUs each) a seventh of the reference is 0.0628 of the
    // GPU: a 1g slice, φ = (1/7) / (1/7 × 989 / 2,250) = 2,250 / 989.
    let workloads = workload("q", 3.0, "gpu_fraction = 0.25");
    let options = format!(
        "{}{}",
        owned("h100", "onprem", "hgx-h100-oem", 1, "sharing = \"mig\""),
        owned("b200", "onprem", "hgx-b200-oem", 1, "sharing = \"mig\"")
    );
    let doc = run(&scenario("", &workloads, &options));
    let h100 = &option_named(&doc, "h100")["sharing"];
    assert_close(
        number(h100, "held_gpu_hours"),
        3.0 * (4.0 / 3.0) * HOURS,
        "2g slices",
    );
    let doc = run(&scenario(
        "",
        &workload("s", 3.0, "gpu_fraction = 0.142857142857"),
        &owned("b200", "onprem", "hgx-b200-oem", 1, "sharing = \"mig\""),
    ));
    let b200 = &option_named(&doc, "b200")["sharing"];
    assert_close(
        number(b200, "held_gpu_hours") / number(b200, "fractional_gpu_hours"),
        2250.0 / 989.0,
        "1g slices of a faster GPU",
    );
}

#[test]
fn a_hybrid_bursts_held_load_and_the_cloud_bills_whole_gpus() {
    // Sensitive whole-GPU work of 4 and 2 of sevenths that may leave, on one server time-sliced
    // at 90%: the sensitive 4 first, then 4 GPUs left for 2 / 0.9 = 2.22 held: all served.
    // With one server of whole GPUs the sevenths hold 14: 4 of them served, 4 × 2 / 14 of work;
    // the rest bursts, holding 14 × (1 − 4 / 14) = 10 cloud GPUs (whole GPUs there too).
    let workloads = format!(
        "{}{}",
        workload("sensitive", 4.0, "sensitive = true"),
        workload("small", 2.0, "gpu_fraction = 0.142857142857")
    );
    let cloud = "offer = \"lambda-gpu_1x_h100_sxm5\"";
    let options = format!(
        "{}{}[[option]]\nname = \"cloud\"\nkind = \"cloud\"\n{cloud}\n",
        owned(
            "ts",
            "hybrid",
            "hgx-h100-oem",
            1,
            &format!("sharing = \"time-slicing\"\n{cloud}")
        ),
        owned("whole", "hybrid", "hgx-h100-oem", 1, cloud),
    );
    let doc = run(&scenario("", &workloads, &options));
    let price = 4.29;
    let ts = option_named(&doc, "ts");
    assert_close(
        number(ts, "served_onprem_gpu_hours"),
        6.0 * HOURS,
        "all on-prem",
    );
    assert_close(number(ts, "served_cloud_gpu_hours"), 0.0, "no burst");
    let whole = option_named(&doc, "whole");
    let served = 4.0 + 4.0 * 2.0 / 14.0;
    assert_close(
        number(whole, "served_onprem_gpu_hours"),
        served * HOURS,
        "on-prem",
    );
    assert_close(
        number(whole, "served_cloud_gpu_hours"),
        (6.0 - served) * HOURS,
        "burst work",
    );
    assert_close(
        number(&whole["breakdown"], "cloud_on_demand"),
        10.0 * HOURS * price,
        "cloud GPUs held",
    );
    // A cloud option cannot serve the sensitive work, and holds 14 GPUs for the sevenths.
    let c = option_named(&doc, "cloud");
    assert_close(number(c, "unmet_gpu_hours"), 4.0 * HOURS, "sensitive unmet");
    assert_close(
        number(&c["breakdown"], "cloud_on_demand"),
        14.0 * HOURS * price,
        "cloud",
    );
    assert_eq!(c["sharing"], Value::Null);
}

#[test]
fn showback_and_monte_carlo_see_the_held_loads() {
    // Two teams on whole GPUs: the sevenths hold 14 of 18 GPUs, so both get 8/18 of their work.
    let workloads = format!(
        "{}{}",
        workload("small", 2.0, "gpu_fraction = 0.142857142857\nteam = \"a\""),
        workload("big", 4.0, "team = \"b\"")
    );
    let options = owned("whole", "onprem", "hgx-h100-oem", 1, "");
    let doc = run(&scenario("", &workloads, &options));
    let teams = doc["options"][0]["showback"]["teams"].as_array().unwrap();
    let used = |t: &Value| number(t, "onprem_gpu_hours");
    assert_close(used(&teams[0]), 2.0 * 8.0 / 18.0 * HOURS, "team a");
    assert_close(used(&teams[1]), 4.0 * 8.0 / 18.0 * HOURS, "team b");
    // A Monte Carlo sample at a fixed demand scale is the plain run at that scale.
    let plain = run(&scenario("demand_scale = 0.5", &workloads, &options));
    let mc = run_samples(&format!(
        "{}\n[[uncertain]]\npath = \"demand_scale\"\ndistribution = \"fixed\"\nvalue = 0.5\n",
        scenario("", &workloads, &options)
    ));
    assert_eq!(
        number(
            &mc["montecarlo"]["options"][0]["metrics"]["pv_cost"],
            "mean"
        ),
        number(option_named(&plain, "whole"), "pv_cost")
    );
    assert_eq!(
        number(
            &mc["montecarlo"]["options"][0]["metrics"]["unmet_gpu_hours"],
            "mean"
        ),
        number(option_named(&plain, "whole"), "unmet_gpu_hours")
    );
}

#[test]
fn sharing_mistakes_are_named() {
    let scratch = Scratch::new();
    let reject = |workloads: &str, options: &str, needles: &[&str]| {
        let path = scratch.write("bad.toml", &scenario("", workloads, options));
        run_rejected(&[arg(&path)], needles);
    };
    let own = owned("o", "onprem", "hgx-h100-oem", 1, "");
    let small = workload("s", 1.0, "gpu_fraction = 0.25");
    reject(
        &workload("s", 1.0, "gpu_fraction = 0"),
        &own,
        &["workload[0].gpu_fraction", "from 0.001 to 64"],
    );
    reject(
        &workload("s", 1.0, "gpu_fraction = 0.25\nmax_wait_hours = 24"),
        &own,
        &["`gpu_fraction` on a workload that waits"],
    );
    reject(
        &small,
        &owned("o", "onprem", "l40s-8gpu", 1, "sharing = \"mig\""),
        &[
            "option[0].sharing",
            "accelerator `l40s` has no MIG profiles",
            "h100-sxm",
        ],
    );
    reject(
        &small,
        &owned("o", "onprem", "hgx-h100-oem", 1, "sharing = \"migg\""),
        &["unknown sharing `migg`", "did you mean `mig`"],
    );
    // A misspelt `time-slicing` is named as such, not blamed on its efficiency.
    reject(
        &small,
        &owned(
            "o",
            "onprem",
            "hgx-h100-oem",
            1,
            "sharing = \"time-slice\"\ntime_slicing_efficiency = 0.8",
        ),
        &[
            "option[0].sharing",
            "unknown sharing `time-slice`",
            "did you mean `time-slicing`",
        ],
    );
    reject(
        &small,
        &owned(
            "o",
            "onprem",
            "hgx-h100-oem",
            1,
            "time_slicing_efficiency = 0.8",
        ),
        &["`time_slicing_efficiency` without time-slicing"],
    );
    reject(
        &small,
        &owned(
            "o",
            "onprem",
            "hgx-h100-oem",
            1,
            "sharing = \"time-slicing\"\ntime_slicing_efficiency = 0",
        ),
        &["option[0].time_slicing_efficiency", "0.05 to 1"],
    );
    reject(
        &small,
        "[[option]]\nname = \"c\"\nkind = \"cloud\"\noffer = \"lambda-gpu_1x_h100_sxm5\"\nsharing = \"mig\"\n",
        &["sharing"],
    );
    // Trace jobs are replayed on whole GPUs.
    scratch.write(
        "jobs.csv",
        "job_id,submit,duration,gpus\na,100,900,8\nb,1900,900,8\n",
    );
    reject(
        &format!("{small}[[workload]]\nname = \"jobs\"\ntrace = \"jobs.csv\"\n\n"),
        &own,
        &[
            "`gpu_fraction` beside a trace workload",
            "workload `jobs` is a trace",
        ],
    );
    // A catalog layer's MIG profiles that do not fit the GPU.
    let mut row =
        std::fs::read_to_string(crate::support::repo().join("catalogs/accelerators.toml")).unwrap();
    let start = row.find("[[accelerator]]\nid = \"h100-sxm\"").unwrap();
    let end = row[start + 1..].find("[[accelerator]]").unwrap() + start + 1;
    row = row[start..end].replace("[2, 3]", "[2, 4]");
    scratch.write("layer/accelerators.toml", &row);
    let path = scratch.write("s.toml", &scenario("", &small, &own));
    run_rejected(
        &[arg(&path), arg("--catalog"), arg(&scratch.path("layer"))],
        &["mig_profiles", "does not fit", "[2, 4]"],
    );
    // A profile of three numbers, or of one, is no `[slices, instances]` pair (the third
    // number was once dropped without a word).
    for (profile, found) in [
        ("[2, 3, 999]", "found: 3 values"),
        ("[2]", "found: 1 value"),
    ] {
        let bad = row.replace("[2, 4]", profile);
        scratch.write("layer/accelerators.toml", &bad);
        run_rejected(
            &[arg(&path), arg("--catalog"), arg(&scratch.path("layer"))],
            &[
                "`mig_profiles` has the wrong length",
                "key: `accelerator[0].mig_profiles`",
                "expected: a pair `[slices, instances]` of two whole numbers",
                found,
            ],
        );
    }
}

#[test]
fn a_fractional_offer_rents_smaller_gpus_for_the_fractional_work() {
    // Four reference GPUs of whole-GPU work on Lambda's 1x H100 at 4.29 USD an hour, and two of
    // sevenths of an H100 on GCP's 1x L4 (121 / 989 of an H100 by BF16 at 0.70683 USD): a
    // job needs 0.142857 / (121 / 989) = 1.17 L4s, so it holds 2, and the 14 jobs hold 28.
    let workloads = format!(
        "{}{}",
        workload("small", 2.0, "gpu_fraction = 0.142857142857"),
        workload("big", 4.0, "")
    );
    let options = "[[option]]\nname = \"split\"\nkind = \"cloud\"\noffer = \"lambda-gpu_1x_h100_sxm5\"\n\
                   fractional_offer = \"gcp-g2-standard-4-us-central1\"\n";
    let doc = run(&scenario("", &workloads, options));
    let o = option_named(&doc, "split");
    let jobs = 2.0 / 0.142857142857;
    assert_close(
        number(&o["breakdown"], "cloud_on_demand"),
        4.0 * HOURS * 4.29 + jobs * 2.0 * HOURS * 0.70683,
        "both offers",
    );
    assert_close(number(o, "served_cloud_gpu_hours"), 6.0 * HOURS, "work");
    // Unused without fractional workloads: a warning, and the offer alone.
    let scratch = Scratch::new();
    let path = scratch.write("s.toml", &scenario("", &workload("big", 4.0, ""), options));
    let out = crate::support::output([arg("run"), arg(&path)]);
    assert_eq!(out.status.code(), Some(0));
    let err = crate::support::stderr(&out);
    assert!(err.contains("no workload has a `gpu_fraction`"), "{err}");
    // An unknown offer is named with the nearest ids.
    let bad = options.replace(
        "gcp-g2-standard-4-us-central1",
        "gcp-g2-standard-4-us-centrl1",
    );
    let path = scratch.write("bad.toml", &scenario("", &workloads, &bad));
    run_rejected(
        &[arg(&path)],
        &[
            "option[0].fractional_offer",
            "gcp-g2-standard-4-us-central1",
        ],
    );
}

#[test]
fn the_fraction_and_the_time_slicing_efficiency_may_be_uncertain() {
    // Fixed at other values, every sample is the plain run at those values.
    let at = |fraction: &str, efficiency: &str| {
        scenario(
            "",
            &format!(
                "{}{}",
                workload("small", 2.0, &format!("gpu_fraction = {fraction}")),
                workload("big", 6.0, "")
            ),
            &owned(
                "ts",
                "hybrid",
                "hgx-h100-oem",
                1,
                &format!(
                    "sharing = \"time-slicing\"\ntime_slicing_efficiency = {efficiency}\n\
                     offer = \"lambda-gpu_1x_h100_sxm5\""
                ),
            ),
        )
    };
    let plain = run(&at("0.5", "0.6"));
    let text = format!(
        "{}\n[[uncertain]]\npath = \"workload[small].gpu_fraction\"\ndistribution = \"fixed\"\nvalue = 0.5\n\
         \n[[uncertain]]\npath = \"option[ts].time_slicing_efficiency\"\ndistribution = \"fixed\"\nvalue = 0.6\n",
        at("0.25", "0.9")
    );
    let mc = run_samples(&text);
    let metrics = &mc["montecarlo"]["options"][0]["metrics"];
    let o = option_named(&plain, "ts");
    assert_eq!(number(&metrics["pv_cost"], "mean"), number(o, "pv_cost"));
    assert_eq!(
        number(&metrics["unmet_gpu_hours"], "mean"),
        number(o, "unmet_gpu_hours")
    );
    // The plain runs differ, so the samples did change something.
    assert_ne!(
        number(option_named(&run(&at("0.25", "0.9")), "ts"), "pv_cost"),
        number(o, "pv_cost")
    );
    // Not on a workload without a fraction, nor an option that does not time-slice.
    let text = format!(
        "{}\n[[uncertain]]\npath = \"workload[big].gpu_fraction\"\ndistribution = \"fixed\"\nvalue = 0.5\n",
        at("0.25", "0.9")
    );
    let scratch = Scratch::new();
    let path = scratch.write("bad.toml", &text);
    run_rejected(&[arg(&path)], &["workload `big` has no `gpu_fraction`"]);
}

#[test]
fn a_sweep_compares_ways_of_sharing_against_plain_runs() {
    let workloads = format!(
        "{}{}",
        workload("small", 2.0, "gpu_fraction = 0.142857142857"),
        workload("big", 4.0, "")
    );
    let plain = |sharing: &str| {
        let doc = run(&scenario(
            "",
            &workloads,
            &owned(
                "o",
                "onprem",
                "hgx-h100-oem",
                1,
                &format!("sharing = \"{sharing}\""),
            ),
        ));
        number(option_named(&doc, "o"), "pv_cost")
    };
    let text = format!(
        "{}[sweep]\n[[sweep.parameter]]\npath = \"option[o].sharing\"\n\
         levels = [\"none\", \"mig\", \"time-slicing\"]\n",
        scenario(
            "unserved_cost_per_gpu_hour = 5.0",
            &workloads,
            &owned("o", "onprem", "hgx-h100-oem", 1, "")
        )
    );
    let scratch = Scratch::new();
    let path = scratch.write("s.toml", &text);
    let json = success([arg("sweep"), arg(&path), arg("--format"), arg("json")]);
    let doc: Value = serde_json::from_str(&json).unwrap();
    let points = doc["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    // Each point is the plain run with that sharing (and the price of unserved work).
    let priced = |sharing: &str| {
        let doc = run(&scenario(
            "unserved_cost_per_gpu_hour = 5.0",
            &workloads,
            &owned(
                "o",
                "onprem",
                "hgx-h100-oem",
                1,
                &format!("sharing = \"{sharing}\""),
            ),
        ));
        number(option_named(&doc, "o"), "pv_cost")
    };
    for (k, level) in ["none", "mig", "time-slicing"].iter().enumerate() {
        assert_eq!(points[k]["values"], serde_json::json!([level]));
        assert_close(number(&points[k], "pv_cost"), priced(level), level);
    }
    // Without a price on unserved work whole GPUs cost a little less to own (they serve less
    // work, so draw less energy); with it, the work they leave unserved makes them dearer.
    assert!(plain("none") < plain("mig"));
    assert!(number(&points[0], "pv_cost") > number(&points[1], "pv_cost"));
    // MIG on an accelerator without profiles is named.
    let text = text.replace("hgx-h100-oem", "l40s-8gpu");
    let path = scratch.write("bad.toml", &text);
    crate::support::rejected(
        &[arg("sweep"), arg(&path)],
        &["sweep.parameter[0].levels", "has no MIG profiles"],
    );
    // A level that is no way of sharing is named with the ways there are.
    let levels = text
        .find("levels = [")
        .map(|at| &text[at..at + text[at..].find(']').expect("a closing bracket") + 1])
        .expect("the sweep's levels");
    let path = scratch.write(
        "bad-level.toml",
        &text.replace(levels, "levels = [\"none\", \"slicing\"]"),
    );
    crate::support::rejected(
        &[arg("sweep"), arg(&path)],
        &[
            "sweep.parameter[0].levels",
            "unknown sharing `slicing`",
            "`none`, `mig` or `time-slicing`",
        ],
    );
    // A cloud option owns no GPUs to share: named as such, not as a misplaced `levels`.
    let cloud = text.replace(
        "[sweep]",
        "[[option]]\nname = \"c\"\nkind = \"cloud\"\noffer = \"lambda-gpu_1x_h100_sxm5\"\n\n[sweep]",
    );
    let path = scratch.write(
        "cloud.toml",
        &cloud.replace(
            "path = \"option[o].sharing\"",
            "path = \"option[c].sharing\"",
        ),
    );
    let err = crate::support::rejected(
        &[arg("sweep"), arg(&path)],
        &[
            "option `c` owns no servers",
            "key: `sweep.parameter[0].path`",
            "found: `option[c].sharing` of a `cloud` option",
        ],
    );
    assert!(!err.contains("`levels` apply only"), "{err}");
}

#[test]
fn fractional_work_takes_its_held_capacity_in_the_queue() {
    // One month: 2 GPUs of work in sevenths (served in their hour) and 4 of training that may
    // wait a day, on one server. On whole GPUs the sevenths hold 14 and take all 8 GPUs each
    // hour (8 × 2 / 14 of their work served, the rest bursting onto 14 × (1 − 8 / 14) = 6 rented
    // H100s), so training waits its day and bursts, except the last day's, served after the
    // horizon. In MIG slices the sevenths hold 2 and everything fits.
    let workloads = format!(
        "{}{}",
        workload("small", 2.0, "gpu_fraction = 0.142857142857"),
        workload("train", 4.0, "max_wait_hours = 24")
    );
    let cloud = "offer = \"lambda-gpu_1x_h100_sxm5\"";
    let options = format!(
        "{}{}",
        owned("whole", "hybrid", "hgx-h100-oem", 1, cloud),
        owned(
            "mig",
            "hybrid",
            "hgx-h100-oem",
            1,
            &format!("sharing = \"mig\"\n{cloud}")
        ),
    );
    let text =
        scenario("", &workloads, &options).replace("horizon_months = 12", "horizon_months = 1");
    let doc = run(&text);
    let whole = option_named(&doc, "whole");
    let served = 8.0 * 2.0 / 14.0;
    assert_close(
        number(whole, "served_onprem_gpu_hours"),
        served * 730.0,
        "on-prem",
    );
    let train_burst = 4.0 * (730.0 - 24.0);
    assert_close(
        number(whole, "served_cloud_gpu_hours"),
        (2.0 - served) * 730.0 + train_burst,
        "burst work",
    );
    assert_close(
        number(whole, "backlog_gpu_hours"),
        4.0 * 24.0,
        "the last day's training",
    );
    assert_close(
        number(&whole["breakdown"], "cloud_on_demand"),
        (6.0 * 730.0 + train_burst) * 4.29,
        "rented GPUs held",
    );
    let mig = option_named(&doc, "mig");
    assert_close(
        number(mig, "served_onprem_gpu_hours"),
        6.0 * 730.0,
        "all fits",
    );
    assert_close(number(mig, "served_cloud_gpu_hours"), 0.0, "no burst");
    assert_eq!(mig["mean_wait_hours"], serde_json::json!(0.0));
}

#[test]
fn diff_names_sharing_and_the_fraction_as_drivers() {
    // Whole GPUs → MIG, and the fraction from a seventh to a quarter: each input is a driver,
    // and the contributions add up to the change of PV.
    let before = scenario(
        "unserved_cost_per_gpu_hour = 5.0",
        &format!(
            "{}{}",
            workload("small", 2.0, "gpu_fraction = 0.142857142857"),
            workload("big", 4.0, "")
        ),
        &owned("o", "onprem", "hgx-h100-oem", 1, ""),
    );
    let after = before
        .replace("gpu_fraction = 0.142857142857", "gpu_fraction = 0.25")
        .replace(
            "availability = 1.0\n",
            "availability = 1.0\nsharing = \"mig\"\n",
        );
    let (names, total) = diff_drivers(&Scratch::new(), &before, &after, &[], "o");
    assert!(
        names.iter().any(|n| n == "workload[small].gpu_fraction"),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n == "option[o].owned.sharing"),
        "{names:?}"
    );
    let pv = |text: &str| number(option_named(&run(text), "o"), "pv_cost");
    assert_close(total, pv(&after) - pv(&before), "contributions");
}

/// An option's figures do not depend on the other options of the scenario: an on-prem option
/// and a hybrid with the same owned servers and sharing hold the same inflations (one A100 of
/// work per job is a whole A100 in the cloud, a fraction of an H100 at home), yet the hybrid
/// needs the held loads of its cloud part, which the on-prem option never builds. Listed after
/// the on-prem option or alone, the hybrid has the same PV and cost categories.
#[test]
fn an_option_does_not_inherit_another_options_held_loads() {
    let head = "reference_accelerator = \"a100-40gb-sxm\"";
    let workloads = workload("jobs", 40.0, "gpu_fraction = 1.0");
    let sliced = "sharing = \"time-slicing\"\ntime_slicing_efficiency = 0.9";
    let hybrid = owned(
        "hybrid",
        "hybrid",
        "hgx-h100-oem",
        1,
        &format!("{sliced}\noffer = \"aws-p4d.24xlarge-us-east-1\""),
    );
    let both = format!(
        "{}{hybrid}",
        owned("onprem", "onprem", "hgx-h100-oem", 1, sliced)
    );
    let text = |options: &str| {
        scenario("", &workloads, options).replace("reference_accelerator = \"h100-sxm\"", head)
    };
    let after = run(&text(&both));
    let alone = run(&text(&hybrid));
    let (a, b) = (
        option_named(&after, "hybrid"),
        option_named(&alone, "hybrid"),
    );
    assert!(
        number(b, "served_cloud_gpu_hours") > 0.0,
        "the hybrid bursts"
    );
    assert!(
        number(&b["breakdown"], "cloud_on_demand") > 0.0,
        "and pays for it"
    );
    assert_eq!(a["pv_cost"], b["pv_cost"]);
    assert_eq!(a["breakdown"], b["breakdown"]);
}

#[test]
fn on_prem_serves_held_load_in_proportion_whatever_the_prices() {
    // Sensitive and other fractional work that overflows a time-sliced server: on-prem, every
    // workload gets the same share of its work, min(Λ, C) / Λ (SG3), also when a price of its
    // own makes the model walk the hours (Q2): the totals served do not move with a price.
    let served = |price_b: &str| {
        let doc = run(&scenario(
            "unserved_cost_per_gpu_hour = 6.0",
            &format!(
                "{}{}",
                workload(
                    "a",
                    6.0,
                    "gpu_fraction = 0.3\nsensitive = true\nteam = \"x\""
                ),
                workload(
                    "b",
                    6.0,
                    &format!("gpu_fraction = 0.1\nteam = \"y\"\n{price_b}")
                ),
            ),
            &owned(
                "own",
                "onprem",
                "hgx-h100-oem",
                1,
                "sharing = \"time-slicing\"\ntime_slicing_efficiency = 0.8",
            ),
        ));
        let o = option_named(&doc, "own").clone();
        let share = |team: &str| {
            let t = o["showback"]["teams"]
                .as_array()
                .expect("teams")
                .iter()
                .find(|t| t["team"] == team)
                .expect("team")
                .clone();
            number(&t, "onprem_gpu_hours") / (6.0 * 730.0 * 12.0)
        };
        let (x, y) = (share("x"), share("y"));
        assert!(x < 0.99, "the server is overloaded: {x}");
        assert_close(x, y, "the same share for both classes");
        (
            number(&o, "served_onprem_gpu_hours"),
            number(&o, "unmet_gpu_hours"),
            number(&o["breakdown"], "unserved"),
        )
    };
    let (one_price, own_price) = (served(""), served("unserved_cost_per_gpu_hour = 9.0"));
    assert_close(one_price.0, own_price.0, "served on-prem");
    assert_close(one_price.1, own_price.1, "unmet");
    // Half the unmet work is b's, at 9 instead of 6.
    assert_close(
        own_price.2,
        one_price.2 + 0.5 * one_price.1 * 3.0,
        "b's unmet work at its own price",
    );
}

#[test]
fn mig_after_a_refresh_uses_the_installed_gpus_profiles() {
    // Six months on H100s, then six on L40S servers, which have no MIG: a seventh of an H100
    // holds a 1g slice (φ = 1) before the refresh and a whole L40S after it, as on the option
    // that never shares. On B200s, which have MIG, it holds a 1g slice of the faster GPU.
    let refresh =
        |to: &str| format!("refresh = {{ every_years = 0.5, to = \"{to}\", keep = \"servers\" }}");
    let workloads = workload("small", 2.0, "gpu_fraction = 0.142857142857");
    let options = format!(
        "{}{}{}",
        owned("whole", "onprem", "hgx-h100-oem", 4, &refresh("l40s-8gpu")),
        owned(
            "mig",
            "onprem",
            "hgx-h100-oem",
            4,
            &format!("sharing = \"mig\"\n{}", refresh("l40s-8gpu"))
        ),
        owned(
            "mig-b200",
            "onprem",
            "hgx-h100-oem",
            4,
            &format!("sharing = \"mig\"\n{}", refresh("hgx-b200-oem"))
        ),
    );
    let scratch = Scratch::new();
    let path = scratch.write("refresh-mig.toml", &scenario("", &workloads, &options));
    let out = crate::support::output([arg("run"), arg(&path), arg("--format"), arg("json")]);
    assert!(out.status.success(), "{}", crate::support::stderr(&out));
    let warnings = crate::support::stderr(&out);
    assert!(
        warnings.contains(
            "option `mig` shares its GPUs by MIG but refreshes to `l40s-8gpu` without MIG profiles"
        ),
        "{warnings}"
    );
    assert!(!warnings.contains("option `mig-b200`"), "{warnings}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let half = HOURS / 2.0;
    let whole = &option_named(&doc, "whole")["sharing"];
    // On whole GPUs: 14 H100s held for the 2 of work before the refresh.
    let after_on_l40s = number(whole, "held_gpu_hours") - 14.0 * half;
    assert!(after_on_l40s > 2.0 * half, "{after_on_l40s}");
    let mig = &option_named(&doc, "mig")["sharing"];
    assert_close(
        number(mig, "held_gpu_hours"),
        2.0 * half + after_on_l40s,
        "1g slices, then whole L40S GPUs",
    );
    assert_close(
        number(mig, "held_without_sharing_gpu_hours"),
        number(whole, "held_gpu_hours"),
        "whole GPUs",
    );
    let b200 = &option_named(&doc, "mig-b200")["sharing"];
    assert_close(
        number(b200, "held_gpu_hours"),
        2.0 * half + 2.0 * half * 2250.0 / 989.0,
        "1g slices, then 1g slices of B200s",
    );
}

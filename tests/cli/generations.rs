//! GPU generations (README G1–G5): refreshes to newer hardware and clouds ridden to newer
//! generations, against purchases, capacities and costs worked out by hand on a catalog layer of
//! round numbers.

use crate::support::{
    BASE, Scratch, arg, assert_close, diff_drivers, edit, number, option_named, output,
    run_json_with, run_rejected, stderr, success,
};
use serde_json::Value;
use std::path::PathBuf;

/// Accelerators of a made-up vendor with round figures: `acme-1` (1,000 TFLOPS, released a
/// year before the scenarios start) and `acme-2` (2,000, a year after), and a faster one of
/// another vendor.
const ACCELERATORS: &str = r#"
[[accelerator]]
id = "acme-1"
vendor = "Acme"
name = "Acme 1"
memory_gb = 80.0
memory_bandwidth_tb_s = 2.0
bf16_dense_tflops = 1000.0
tdp_w = 500.0
release = "2026-01"
street_price_usd = 10000.0
price_estimate = true
source = "test"
as_of = "2026-01-01"
estimate = true

[[accelerator]]
id = "acme-2"
vendor = "Acme"
name = "Acme 2"
memory_gb = 160.0
memory_bandwidth_tb_s = 4.0
bf16_dense_tflops = 2000.0
tdp_w = 800.0
release = "2028-01"
street_price_usd = 20000.0
price_estimate = true
source = "test"
as_of = "2026-01-01"
estimate = true

[[accelerator]]
id = "other-9"
vendor = "Other"
name = "Other 9"
memory_gb = 80.0
memory_bandwidth_tb_s = 2.0
bf16_dense_tflops = 9000.0
tdp_w = 500.0
release = "2020"
street_price_usd = 10000.0
price_estimate = true
source = "test"
as_of = "2026-01-01"
estimate = true
"#;

/// Servers of 8 GPUs of each (and a 4-GPU Acme 2 server, far cheaper per GPU): `best` chooses
/// among Acme's 8-GPU servers only.
const SERVERS: &str = r#"
[[server]]
id = "acme-1-8gpu"
name = "Acme 1 x8"
accelerator = "acme-1"
accelerator_count = 8
max_power_kw = 10.0
idle_fraction = 0.25
price_usd = 100000.0
rack_units = 4
warranty_years = 3.0
support_pct_per_year = 10.0
source = "test"
as_of = "2026-01-01"
estimate = true

[[server]]
id = "acme-2-8gpu"
name = "Acme 2 x8"
accelerator = "acme-2"
accelerator_count = 8
max_power_kw = 10.0
idle_fraction = 0.25
price_usd = 160000.0
rack_units = 4
warranty_years = 3.0
support_pct_per_year = 10.0
source = "test"
as_of = "2026-01-01"
estimate = true

[[server]]
id = "acme-2-4gpu"
name = "Acme 2 x4"
accelerator = "acme-2"
accelerator_count = 4
max_power_kw = 5.0
idle_fraction = 0.25
price_usd = 10000.0
rack_units = 2
warranty_years = 3.0
support_pct_per_year = 10.0
source = "test"
as_of = "2026-01-01"
estimate = true

[[server]]
id = "other-9-8gpu"
name = "Other 9 x8"
accelerator = "other-9"
accelerator_count = 8
max_power_kw = 10.0
idle_fraction = 0.25
price_usd = 100000.0
rack_units = 4
warranty_years = 3.0
support_pct_per_year = 10.0
source = "test"
as_of = "2026-01-01"
estimate = true
"#;

/// A one-GPU cloud instance of `acme-1` at 2 USD an hour.
const OFFERS: &str = "id,provider,instance_type,region,accelerator,accelerator_count,on_demand_usd_per_hour,spot_usd_per_hour,commit_1y_usd_per_hour,commit_3y_usd_per_hour,source,as_of,estimate,note\n\
acme-cloud-1x,lambda,acme-1x,all,acme-1,1,2.0,,,,test,2026-06-01,true,\n";

/// A trend that doubles throughput per dollar and per watt every year, generations 24 months
/// apart: generation j is 4^j times as fast, at the same power.
const TREND: &str = "[generations]\nprice_performance_growth_per_year = 1.0\n\
energy_efficiency_growth_per_year = 1.0\ninterval_months = 24\n\
new_generation_lag_months = 6\nnew_generation_premium = 0.5\npremium_decay_per_year = 0.5\n";

/// The catalog layer in `scratch`.
fn layer(scratch: &Scratch) -> PathBuf {
    scratch.write("layer/accelerators.toml", ACCELERATORS);
    scratch.write("layer/servers.toml", SERVERS);
    scratch.write("layer/cloud-offers.csv", OFFERS);
    scratch.path("layer")
}

/// Six years from 2027-01 at no discount, a flat demand of `per_hour` reference (Acme 1) GPUs,
/// and `options`.
fn scenario(per_hour: f64, extra: &str, options: &str) -> String {
    format!(
        "name = \"generations\"\nhorizon_months = 72\nstart = \"2027-01\"\ndiscount_rate = 0.0\n\
         reference_accelerator = \"acme-1\"\n{extra}\n\
         [[workload]]\nname = \"w\"\ngpu_hours_per_month = {}\nprofile = \"flat\"\n\n{options}",
        per_hour * 730.0
    )
}

/// An owned option of 4 Acme 1 servers in the Texas colocation, with `extra` keys.
fn owned(name: &str, extra: &str) -> String {
    format!(
        "[[option]]\nname = \"{name}\"\nkind = \"onprem\"\nserver = \"acme-1-8gpu\"\nservers = 4\n\
         site = \"us-tx-colo\"\navailability = 1.0\n{extra}\n\n"
    )
}

fn run(text: &str) -> Value {
    run_with(text, &[])
}

/// `tcosim run --format json` on `text` with the catalog layer and `extra` arguments.
fn run_with(text: &str, extra: &[&str]) -> Value {
    let scratch = Scratch::new();
    let catalog = layer(&scratch);
    let mut args = vec![arg("--catalog"), arg(&catalog)];
    args.extend(extra.iter().map(arg));
    run_json_with(&scratch, text, &args)
}

/// (month, server, generation, servers) of each purchase of an option.
fn purchases(o: &Value) -> Vec<(u64, String, u64, u64)> {
    o["purchases"]
        .as_array()
        .expect("purchases")
        .iter()
        .map(|p| {
            (
                p["month"].as_u64().unwrap(),
                p["server"].as_str().unwrap().to_string(),
                p["generation"].as_u64().unwrap(),
                p["servers"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The Texas colocation's figures the costs below are made of.
const PUE: f64 = 1.56;
const KWH_PRICE: f64 = 0.066;
const COLOCATION: f64 = 184.06;

#[test]
fn best_buys_the_newest_row_of_the_vendor_then_the_projection() {
    // Refreshes at months 24 and 48 (2029-01, 2031-01). At 24, Acme 2 (released month 12) has
    // the better price-performance (16 / 160k against 8 / 100k); the 4-GPU server and the other
    // vendor's are not candidates. At 48, the first generation projected beyond Acme 2 (its
    // release + 24 = month 36) is 4 times as fast at the same price and power.
    let doc = run(&scenario(
        100.0,
        TREND,
        &format!(
            "{}{}",
            owned("capacity", "refresh = { every_years = 2, to = \"best\" }"),
            owned(
                "servers",
                "refresh = { every_years = 2, to = \"best\", keep = \"servers\" }"
            )
        ),
    ));
    let capacity = option_named(&doc, "capacity");
    // keep = capacity: the first purchase's 32 reference GPUs need 32 / 16 = 2 Acme 2 servers,
    // then ⌈32 / 64⌉ = 1 of generation 1.
    assert_eq!(
        purchases(capacity),
        vec![
            (1, "acme-1-8gpu".into(), 0, 4),
            (25, "acme-2-8gpu".into(), 0, 2),
            (49, "acme-2-8gpu".into(), 1, 1),
        ]
    );
    let p = &capacity["purchases"].as_array().unwrap()[2];
    assert_close(number(p, "capacity_ref_gpus"), 64.0, "generation 1");
    assert_close(number(p, "price"), 160_000.0, "its price");
    assert_close(number(p, "max_power_kw"), 10.0, "its power");
    // Demand of 100 reference GPUs fills every capacity: 32, 32 and 64 for 24 months each.
    let served = 730.0 * 24.0 * (32.0 + 32.0 + 64.0);
    assert_close(
        number(capacity, "served_onprem_gpu_hours"),
        served,
        "served",
    );
    assert_close(
        number(capacity, "unmet_gpu_hours"),
        100.0 * 730.0 * 72.0 - served,
        "unmet",
    );
    assert_close(number(capacity, "owned_utilization"), 1.0, "utilisation");
    // 4, 2 and 1 servers at full power for 24 months each: 168 server-months of 10 kW.
    let kwh = 168.0 * 10.0 * 730.0 * PUE;
    assert_close(number(capacity, "energy_kwh"), kwh, "energy");
    let b = &capacity["breakdown"];
    assert_close(number(b, "energy"), kwh * KWH_PRICE, "energy cost");
    assert_close(
        number(b, "colocation"),
        168.0 * 10.0 * COLOCATION,
        "colocation",
    );
    assert_close(
        number(b, "hardware"),
        400_000.0 + 320_000.0 + 160_000.0,
        "capex",
    );
    // Each purchase is resold after its full 24-month cycle at 10% (M9).
    assert_close(number(b, "residual_value"), -88_000.0, "resale");
    // Warranties of 36 months outlast every cycle: no support.
    assert_close(number(b, "support"), 0.0, "support");
    // keep = servers: 4 servers each time, 32, 64 and 256 reference GPUs; demand caps the last.
    let servers = option_named(&doc, "servers");
    assert_eq!(
        purchases(servers).iter().map(|p| p.3).collect::<Vec<_>>(),
        vec![4, 4, 4]
    );
    assert_close(
        number(servers, "served_onprem_gpu_hours"),
        730.0 * 24.0 * (32.0 + 64.0 + 100.0),
        "served with as many servers",
    );
    assert_close(
        number(servers, "owned_utilization"),
        (32.0 + 64.0 + 100.0) / (32.0 + 64.0 + 256.0),
        "utilisation over the installed capacity",
    );
}

#[test]
fn a_named_server_and_same_refresh_as_told() {
    let doc = run(&scenario(
        10.0,
        TREND,
        &format!(
            "{}{}{}",
            owned(
                "named",
                "refresh = { every_years = 2, to = \"acme-2-8gpu\" }"
            ),
            owned("same", "refresh = { every_years = 2, to = \"same\" }"),
            owned("plain", "refresh_years = 2")
        ),
    ));
    assert_eq!(
        purchases(option_named(&doc, "named")),
        vec![
            (1, "acme-1-8gpu".into(), 0, 4),
            (25, "acme-2-8gpu".into(), 0, 2),
            (49, "acme-2-8gpu".into(), 0, 2),
        ]
    );
    // `to = "same"` is `refresh_years`, to the last bit.
    let same = option_named(&doc, "same");
    let plain = option_named(&doc, "plain");
    assert_eq!(same["pv_cost"], plain["pv_cost"]);
    assert_eq!(same["purchases"], plain["purchases"]);
    assert_eq!(purchases(same).len(), 3);
    // Neither changes generation: no Generations table.
    let scratch = Scratch::new();
    let catalog = layer(&scratch);
    let path = scratch.write(
        "s.toml",
        &scenario(10.0, "", &owned("same", "refresh_years = 2")),
    );
    let table = success([arg("run"), arg(&path), arg("--catalog"), arg(&catalog)]);
    assert!(!table.contains("Generations:"), "{table}");
}

#[test]
fn a_cloud_rider_moves_to_cheaper_generations_after_the_lag() {
    // Acme 1 was released at month -12: generation 1 is released at 12 and rented from 18,
    // generation 2 from 42, generation 3 from 66. A rider moves as soon as one is out: its
    // premium of at most 50% is far below the factor 4 of each generation.
    let rider = "[[option]]\nname = \"ride\"\nkind = \"cloud\"\noffer = \"acme-cloud-1x\"\n\
                 cloud_generations = \"ride\"\n\n\
                 [[option]]\nname = \"fixed\"\nkind = \"cloud\"\noffer = \"acme-cloud-1x\"\n";
    let per_hour = 10.0;
    let doc = run(&scenario(per_hour, TREND, rider));
    let ride = option_named(&doc, "ride");
    let gens: Vec<(u64, u64)> = ride["cloud_generations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["month"].as_u64().unwrap(),
                g["generation"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(gens, vec![(1, 0), (19, 1), (43, 2), (67, 3)]);
    // Month by month (G4): GPU-hours = load / 4^j at 2 USD × (1 + 0.5 × 0.5^(age / 12)).
    let mut cost = 0.0;
    let mut kwh = 0.0;
    for m in 0..72i64 {
        let j = [18, 42, 66].iter().filter(|a| m >= **a).count() as i32;
        let premium = if j == 0 {
            0.0
        } else {
            let from = [18, 42, 66][j as usize - 1];
            0.5 * 0.5f64.powf((m - from) as f64 / 12.0)
        };
        let gpu_hours = per_hour * 730.0 / 4f64.powi(j);
        cost += gpu_hours * 2.0 * (1.0 + premium);
        // Power per GPU × 4^j / 4^j: the same kW; 500 W × 1.5 host share × PUE 1.1.
        kwh += gpu_hours * 0.5 * 1.5 * 1.1;
    }
    assert_close(number(ride, "total_cost"), cost, "the rider's cost");
    assert_close(number(ride, "energy_kwh"), kwh, "the rider's energy");
    let fixed = option_named(&doc, "fixed");
    assert_close(
        number(fixed, "total_cost"),
        per_hour * 730.0 * 72.0 * 2.0,
        "the offer all along",
    );
    assert!(fixed["cloud_generations"].as_array().unwrap().is_empty());
}

#[test]
fn the_trend_may_be_uncertain() {
    // Fixed at another growth, every sample is the plain run at that growth.
    let options = owned("best", "refresh = { every_years = 2, to = \"best\" }");
    let at = |g: &str| {
        let trend = TREND.replace(
            "price_performance_growth_per_year = 1.0",
            &format!("price_performance_growth_per_year = {g}"),
        );
        scenario(100.0, &trend, &options)
    };
    let plain = run(&at("0.5"));
    let text = format!(
        "{}\n[[uncertain]]\npath = \"generations.price_performance_growth_per_year\"\n\
         distribution = \"fixed\"\nvalue = 0.5\n",
        at("1.0")
    );
    let doc = run_with(&text, &["--samples", "20"]);
    let mc = &doc["montecarlo"]["options"][0]["metrics"]["pv_cost"];
    assert_eq!(
        number(mc, "mean"),
        number(option_named(&plain, "best"), "pv_cost")
    );
}

#[test]
fn refresh_mistakes_are_named() {
    let scratch = Scratch::new();
    let catalog = layer(&scratch);
    let reject = |extra: &str, options: &str, needles: &[&str]| {
        let path = scratch.write("bad.toml", &scenario(10.0, extra, options));
        run_rejected(&[arg(&path), arg("--catalog"), arg(&catalog)], needles);
    };
    reject(
        "",
        &owned("o", "refresh = { every_years = 2, to = \"acme-2-8gpx\" }"),
        &["option[0].refresh.to", "acme-2-8gpu"],
    );
    reject(
        "",
        &owned(
            "o",
            "refresh = { every_years = 2, to = \"best\", keep = \"capacty\" }",
        ),
        &["option[0].refresh.keep", "capacity"],
    );
    reject(
        "",
        &owned("o", "refresh_years = 2\nrefresh = { every_years = 2 }"),
        &["both `refresh_years` and `refresh`"],
    );
    reject(
        "",
        &owned("o", "refresh = { to = \"best\" }"),
        &[
            "option[0].refresh.every_years",
            "`refresh` without `every_years`",
        ],
    );
    reject(
        "[generations]\ninterval_months = 0\n",
        &owned("o", ""),
        &["generations.interval_months", "1 to 240 months"],
    );
    reject(
        "[generations]\npremium_decay_per_year = 1.5\n",
        &owned("o", ""),
        &["generations.premium_decay_per_year"],
    );
    reject(
        "",
        "[[option]]\nname = \"c\"\nkind = \"cloud\"\noffer = \"acme-cloud-1x\"\n\
         cloud_generations = \"rides\"\n",
        &["option[0].cloud_generations", "did you mean `ride`"],
    );
    // Trace jobs are replayed on one cluster over the horizon.
    scratch.write(
        "jobs.csv",
        "job_id,submit,duration,gpus\na,100,900,8\nb,1900,900,8\n",
    );
    let traced = format!(
        "name = \"t\"\nhorizon_months = 12\nstart = \"2027-01\"\ndiscount_rate = 0.0\n\
         reference_accelerator = \"acme-1\"\n\n[[workload]]\nname = \"jobs\"\ntrace = \"jobs.csv\"\n\n{}",
        owned("o", "refresh = { every_years = 0.5, to = \"best\" }")
    );
    let path = scratch.write("bad.toml", &traced);
    run_rejected(
        &[arg(&path), arg("--catalog"), arg(&catalog)],
        &[
            "option[0].refresh.to",
            "a refresh to other hardware with trace workloads",
        ],
    );
    reject(
        "[[uncertain]]\npath = \"generations.new_generation_premium\"\n\
         distribution = \"fixed\"\nvalue = 0.2\n",
        &owned("o", ""),
        &["no option changes generation"],
    );
}

#[test]
fn diff_names_the_refresh_and_the_trend_as_drivers() {
    let before = scenario(
        100.0,
        TREND,
        &owned("o", "refresh = { every_years = 2, to = \"same\" }"),
    );
    let after = before.replace("to = \"same\"", "to = \"best\"").replace(
        "price_performance_growth_per_year = 1.0",
        "price_performance_growth_per_year = 0.5",
    );
    let scratch = Scratch::new();
    let catalog = layer(&scratch);
    let (names, total) = diff_drivers(
        &scratch,
        &before,
        &after,
        &[arg("--catalog"), arg(&catalog)],
        "o",
    );
    assert!(
        names.iter().any(|n| n == "option[o].owned.refresh"),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n == "generations"), "{names:?}");
    let pv = |text: &str| number(option_named(&run(text), "o"), "pv_cost");
    assert_close(total, pv(&after) - pv(&before), "contributions");
    assert!(total.abs() > 1.0, "the refresh changed the PV");
}

#[test]
fn fractional_jobs_hold_whole_gpus_of_each_generation() {
    // Jobs of a quarter of an Acme 1 on whole GPUs: a job holds an Acme 1 (4 times its work),
    // an Acme 2 (8 times) and a generation-1 GPU of 8 Acme 1s (32 times). Ten reference GPUs of
    // such work hold 40, 80 and 320 against capacities of 32, 32 and 64: served 32 × 10 / 40,
    // 32 × 10 / 80 and 64 × 10 / 320 reference GPUs of work an hour.
    let doc = run(&format!(
        "{}\n",
        scenario(
            10.0,
            TREND,
            &owned("o", "refresh = { every_years = 2, to = \"best\" }")
        )
        .replace(
            "profile = \"flat\"",
            "profile = \"flat\"\ngpu_fraction = 0.25"
        )
    ));
    let o = option_named(&doc, "o");
    assert_close(
        number(o, "served_onprem_gpu_hours"),
        730.0 * 24.0 * (8.0 + 4.0 + 2.0),
        "served",
    );
    let s = &o["sharing"];
    let work = 10.0 * 730.0 * 24.0;
    assert_close(
        number(s, "held_gpu_hours"),
        work * (4.0 + 8.0 + 32.0),
        "held by generation",
    );
}

#[test]
fn the_interval_and_the_lag_may_be_uncertain_in_whole_months() {
    // Sampled 11.6 and 2.7 months are the whole months 12 and 3 of the plain run.
    let options = format!(
        "{}[[option]]\nname = \"ride\"\nkind = \"cloud\"\noffer = \"acme-cloud-1x\"\n\
         cloud_generations = \"ride\"\n",
        owned("best", "refresh = { every_years = 2, to = \"best\" }")
    );
    let at = |interval: &str, lag: &str| {
        let trend = TREND
            .replace(
                "interval_months = 24",
                &format!("interval_months = {interval}"),
            )
            .replace(
                "new_generation_lag_months = 6",
                &format!("new_generation_lag_months = {lag}"),
            );
        scenario(100.0, &trend, &options)
    };
    let plain = run(&at("12", "3"));
    let text = format!(
        "{}\n[[uncertain]]\npath = \"generations.interval_months\"\ndistribution = \"fixed\"\nvalue = 11.6\n\
         \n[[uncertain]]\npath = \"generations.new_generation_lag_months\"\ndistribution = \"fixed\"\nvalue = 2.7\n",
        at("24", "6")
    );
    let doc = run_with(&text, &["--samples", "10"]);
    for (k, name) in ["best", "ride"].iter().enumerate() {
        let mc = &doc["montecarlo"]["options"][k];
        assert_eq!(mc["name"], *name);
        assert_eq!(
            number(&mc["metrics"]["pv_cost"], "mean"),
            number(option_named(&plain, name), "pv_cost"),
            "{name}"
        );
    }
}

#[test]
fn a_refresh_to_a_server_not_yet_released_is_refused() {
    // From 2023-01 with a refresh every year, the first refresh is 2024-01, a year before the
    // B200 (released 2025): no such purchase can be made. Refreshing every two years can.
    let text = |years: u32| {
        format!(
            "name = \"early\"\nhorizon_months = 36\nstart = \"2023-01\"\ndiscount_rate = 0.08\n\
             reference_accelerator = \"h100-sxm\"\n\n[[workload]]\nname = \"w\"\n\
             gpu_hours_per_month = 20000\nprofile = \"flat\"\n\n[[option]]\nname = \"own\"\n\
             kind = \"onprem\"\nserver = \"hgx-h100-oem\"\nservers = 5\nsite = \"us-tx-colo\"\n\
             refresh = {{ every_years = {years}, to = \"hgx-b200-oem\" }}\n"
        )
    };
    let scratch = Scratch::new();
    let early = scratch.write("early.toml", &text(1));
    run_rejected(
        &[arg(&early)],
        &[
            "early.toml:18:",
            "server `hgx-b200-oem` is not released by the first refresh",
            "key: `option[0].refresh.to`",
            "released by the first refresh, 2024-01 (month 13)",
            "whose accelerator `b200` is released 2025",
        ],
    );
    let later = scratch.write("later.toml", &text(2));
    success([arg("run"), arg(&later), arg("-q")]);
}

/// Buying hardware before its accelerator is released runs, with a warning that names the
/// option, the server and the release (a scenario may look back, but not buy the future).
#[test]
fn buying_before_the_release_warns() {
    let scratch = Scratch::new();
    let path = scratch.write(
        "early.toml",
        &edit(BASE, "start = \"2027-01\"", "start = \"2022-01\""),
    );
    let out = output(["run", path.to_str().unwrap()]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(
            "warning: option `own`: server `dgx-h100` is bought in the first month, 8 months \
             before its accelerator `h100-sxm` is released (2022-09)"
        ),
        "{err}"
    );
    // Not when it is released.
    let path = scratch.write("on-time.toml", BASE);
    let out = output(["run", path.to_str().unwrap()]);
    assert!(!stderr(&out).contains("before its accelerator"));
}

#[test]
fn trends_are_projected_at_most_sixty_years() {
    // Projections start from the frontier row (Acme 2, released 2028-01) of a refresh to
    // `best`, and from a rider's offer (Acme 1, 2026-01). A 72-month horizon from 2080-01 ends
    // 2085-12, 57.9 years after Acme 2; from 2090-01 it ends 2095-12, 67.9 years after.
    let scratch = Scratch::new();
    let catalog = layer(&scratch);
    let best = owned("o", "refresh = { every_years = 2, to = \"best\" }");
    let at = |start: &str, options: &str| {
        let text = edit(&scenario(10.0, "", options), "2027-01", start);
        scratch.write(&format!("{start}.toml"), &text)
    };
    let near = at("2080-01", &best);
    success([
        arg("run"),
        arg(&near),
        arg("--catalog"),
        arg(&catalog),
        arg("-q"),
    ]);
    let far = at("2090-01", &best);
    run_rejected(
        &[arg(&far), arg("--catalog"), arg(&catalog)],
        &[
            "option[0].refresh.to",
            "`to = \"best\"` projects `acme-2-8gpu` too far ahead",
            "at most 60 years",
            "released 2028-01, projected to 2095-12: 67.9 years",
        ],
    );
    let rider = "[[option]]\nname = \"c\"\nkind = \"cloud\"\noffer = \"acme-cloud-1x\"\n\
                 cloud_generations = \"ride\"\n";
    let far = at("2085-01", rider);
    run_rejected(
        &[arg(&far), arg("--catalog"), arg(&catalog)],
        &[
            "option[0].cloud_generations",
            "riding the cloud's generations projects `acme-1` too far ahead",
            "released 2026-01, projected to 2090-12: 64.9 years",
        ],
    );
}

/// An uncertain server price moves the option's own purchases, not the refresh's choice: with
/// Acme 1 servers drawn at 10 to 20 USD, `best` would keep buying Acme 1 if the candidates
/// took the drawn price, but buys at catalog prices (README "Uncertainty"), so every sample
/// refreshes to Acme 2 as the deterministic run does (the same energy in every sample) while
/// its first purchase costs next to nothing.
#[test]
fn an_uncertain_server_price_leaves_the_refresh_choice_at_catalog_prices() {
    let text = scenario(
        16.0,
        TREND,
        &owned("own", "refresh = { every_years = 2, to = \"best\" }"),
    ) + "[[uncertain]]\npath = \"server[acme-1-8gpu].price_usd\"\ndistribution = \"uniform\"\n\
         low = 10.0\nhigh = 20.0\n";
    let out = run_with(&text, &["--samples", "64"]);
    let own = option_named(&out, "own");
    assert_eq!(
        purchases(own)
            .iter()
            .map(|p| p.1.as_str())
            .collect::<Vec<_>>(),
        ["acme-1-8gpu", "acme-2-8gpu", "acme-2-8gpu"]
    );
    let sampled = out["montecarlo"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "own")
        .expect("the option's statistics");
    let energy = &sampled["metrics"]["energy_kwh"];
    assert_eq!(number(energy, "sd"), 0.0);
    assert_close(
        number(energy, "mean"),
        number(own, "energy_kwh"),
        "energy in every sample",
    );
    // The first purchase, four servers at 10 to 20 USD instead of 100,000: the samples' PV
    // is lower by nearly 400,000 less its resale at the first refresh.
    let pv = number(own, "pv_cost");
    assert!(number(&sampled["metrics"]["pv_cost"], "p95") < pv - 100_000.0);
}

//! Staff and software from an owned option's degree of automation (README equation S1),
//! against figures worked out by hand from the rows of `catalogs/staffing.toml`.

use crate::support::{Scratch, arg, output, rejected, stdout, success};

/// Ten 8-GPU servers for a year at no discount, one option per `(name, extra keys)`.
fn scenario(currency: &str, options: &[(&str, &str)]) -> String {
    let mut text = format!(
        "name = \"automation\"\nhorizon_months = 12\nstart = \"2027-01\"\ncurrency = \"{currency}\"\n\
         discount_rate = 0.0\nreference_accelerator = \"h100-sxm\"\n\n\
         [[workload]]\nname = \"w\"\ngpu_hours_per_month = 1000\ngrowth_per_year = 0.0\nprofile = \"flat\"\n"
    );
    for (name, extra) in options {
        text.push_str(&format!(
            "\n[[option]]\nname = \"{name}\"\nkind = \"onprem\"\nserver = \"hgx-h100-oem\"\n\
             servers = 10\nsite = \"us-tx-colo\"\n{extra}\n"
        ));
    }
    text
}

/// `(staff, software)` of each option of `run --format json` on `text`.
fn staff_and_software(scratch: &Scratch, text: &str) -> Vec<(f64, f64)> {
    let path = scratch.write("s.toml", text);
    let json = success([arg("run"), arg(&path), arg("--format"), arg("json")]);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    doc["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| {
            (
                o["breakdown"]["staff"].as_f64().expect("staff"),
                o["breakdown"]["software"].as_f64().expect("software"),
            )
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

const SALARY: &str = "staff_salary_per_year = 120000";

#[test]
fn staff_and_software_follow_the_degree_of_automation() {
    let scratch = Scratch::new();
    let text = scenario(
        "USD",
        &[
            ("manual", &format!("automation = \"manual\"\n{SALARY}")),
            ("scripted", &format!("automation = \"scripted\"\n{SALARY}")),
            ("full", &format!("automation = \"full\"\n{SALARY}")),
            (
                "full-own-figures",
                &format!(
                    "automation = \"full\"\n{SALARY}\nstaff_fte_fixed = 1\nsoftware_per_gpu_year = 0"
                ),
            ),
            ("none", ""),
        ],
    );
    // 80 GPUs, 10 servers, 12 months of a 120,000 salary:
    // manual:   (0.5 + 0.625 × 8/100 × 10) FTE = 1.0 FTE;
    // scripted: (0.5 + 0.5 + 0.0884 × 8/100 × 10) FTE = 1.07072 FTE;
    // full:     (0.25 + 2 + 0.0125 × 8/100 × 10) FTE = 2.26 FTE, software 35 × 80;
    // own:      (1 + 0.01) FTE, software 0; none: nothing.
    let expected = [
        (120_000.0, 0.0),
        (1.07072 * 120_000.0, 0.0),
        (2.26 * 120_000.0, 2_800.0),
        (1.01 * 120_000.0, 0.0),
        (0.0, 0.0),
    ];
    let found = staff_and_software(&scratch, &text);
    assert_eq!(found.len(), expected.len());
    for (f, e) in found.iter().zip(expected) {
        assert!(
            close(f.0, e.0) && close(f.1, e.1),
            "{found:?} against {expected:?}"
        );
    }
}

/// The software price is converted from USD to the scenario currency with fx.toml
/// (0.8887 EUR per USD in the shipped catalog).
#[test]
fn automation_software_is_converted_to_the_scenario_currency() {
    let scratch = Scratch::new();
    let text = scenario(
        "EUR",
        &[("full", &format!("automation = \"full\"\n{SALARY}"))],
    );
    let found = staff_and_software(&scratch, &text);
    assert!(close(found[0].1, 35.0 * 0.8887 * 80.0), "{found:?}");
    assert!(close(found[0].0, 2.26 * 120_000.0), "{found:?}");
}

#[test]
fn the_rows_used_are_listed_with_their_source() {
    let scratch = Scratch::new();
    let path = scratch.write(
        "s.toml",
        &scenario(
            "USD",
            &[("full", &format!("automation = \"full\"\n{SALARY}"))],
        ),
    );
    let json = success([arg("run"), arg(&path), arg("--format"), arg("json")]);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let row = doc["catalog_rows_used"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["catalog"] == "automation")
        .expect("the automation row");
    assert_eq!(row["id"], "full");
    assert_eq!(row["estimate"], true);
    assert!(row["source"].as_str().unwrap_or("").starts_with("https://"));
    let names: Vec<&str> = row["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "fte_per_100_gpus",
            "fixed_fte",
            "platform_fte",
            "software_per_gpu_year_usd"
        ]
    );
}

#[test]
fn bad_automation_is_refused() {
    let scratch = Scratch::new();
    let unknown = scratch.write(
        "unknown.toml",
        &scenario("USD", &[("o", &format!("automation = \"ful\"\n{SALARY}"))]),
    );
    rejected(
        &[arg("run"), arg(&unknown)],
        &[
            "unknown automation level id `ful`",
            "option[0].automation",
            "the nearest known ids are `full`",
        ],
    );
    let no_salary = scratch.write(
        "salary.toml",
        &scenario("USD", &[("o", "automation = \"manual\"")]),
    );
    rejected(
        &[arg("run"), arg(&no_salary)],
        &["staff without a salary", "option[0].automation"],
    );
    let cloud = scratch.write(
        "cloud.toml",
        &(scenario("USD", &[])
            + "\n[[option]]\nname = \"c\"\nkind = \"cloud\"\noffer = \"aws-p5.48xlarge-us-east-1\"\nautomation = \"full\"\n"),
    );
    rejected(
        &[arg("run"), arg(&cloud)],
        &["`automation` does not apply to a `cloud` option"],
    );
}

/// `automation[ID].fte_per_100_gpus` as an uncertain input moves the staff of the options at
/// that level that do not set their own figure, by (v − 0.0125) × 8/100 × 10 FTE × salary.
#[test]
fn automation_figures_may_be_uncertain() {
    let scratch = Scratch::new();
    let text = scenario(
        "USD",
        &[
            ("full", &format!("automation = \"full\"\n{SALARY}")),
            (
                "full-own",
                &format!("automation = \"full\"\n{SALARY}\nstaff_fte_per_server = 0.01"),
            ),
        ],
    ) + "\n[[uncertain]]\npath = \"automation[full].fte_per_100_gpus\"\ndistribution = \"fixed\"\nvalue = 0.05\n";
    let path = scratch.write("s.toml", &text);
    let out = output([
        arg("run"),
        arg(&path),
        arg("--samples"),
        arg("8"),
        arg("--format"),
        arg("json"),
    ]);
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let deterministic: Vec<f64> = doc["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o["total_cost"].as_f64().expect("total"))
        .collect();
    let sampled: Vec<f64> = doc["montecarlo"]["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o["metrics"]["total_cost"]["mean"].as_f64().expect("mean"))
        .collect();
    let shift = (0.05 - 0.0125) * 8.0 / 100.0 * 10.0 * 120_000.0;
    assert!(
        close(sampled[0] - deterministic[0], shift),
        "{sampled:?} {deterministic:?}"
    );
    assert!(
        close(sampled[1], deterministic[1]),
        "{sampled:?} {deterministic:?}"
    );
    // A level no option uses is refused, naming the levels in use.
    let unused = scratch.write(
        "unused.toml",
        &text.replace("automation[full]", "automation[manual]"),
    );
    rejected(
        &[arg("run"), arg(&unused), arg("--samples"), arg("8")],
        &[
            "automation level `manual` is not used by this scenario",
            "`full`",
        ],
    );
}

#[test]
fn catalog_list_shows_the_levels() {
    let csv = success(["catalog", "list", "automation", "--format", "csv"]);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap_or("").starts_with(
        "id,name,fte_per_100_gpus,fixed_fte,platform_fte,software_per_gpu_year_usd,gpus_per_fte"
    ));
    let ids: Vec<&str> = lines.map(|l| l.split(',').next().unwrap_or("")).collect();
    assert_eq!(ids, ["manual", "scripted", "full"]);
    assert!(csv.contains(",160,"), "100 / 0.625 GPUs per FTE: {csv}");
}

/// The break-even of the README: with the shipped rows and a 120,000 salary, full automation
/// costs more than manual operation at 296 GPUs and less at 304 (N = 1.75 S / (0.006125 S − 35)
/// = 300 GPUs).
#[test]
fn full_automation_pays_off_at_the_documented_cluster_size() {
    let scratch = Scratch::new();
    for (servers, full_cheaper) in [(37, false), (38, true)] {
        let text = scenario(
            "USD",
            &[
                ("manual", &format!("automation = \"manual\"\n{SALARY}")),
                ("full", &format!("automation = \"full\"\n{SALARY}")),
            ],
        )
        .replace("servers = 10", &format!("servers = {servers}"));
        let found = staff_and_software(&scratch, &text);
        let (manual, full) = (found[0].0 + found[0].1, found[1].0 + found[1].1);
        let n = f64::from(servers) * 8.0;
        assert!(
            close(manual, (0.5 + 0.625 * n / 100.0) * 120_000.0),
            "{manual}"
        );
        assert!(
            close(full, (2.25 + 0.0125 * n / 100.0) * 120_000.0 + 35.0 * n),
            "{full}"
        );
        assert_eq!(
            full < manual,
            full_cheaper,
            "{servers} servers: {manual} {full}"
        );
    }
}

/// A sweep over servers and degrees of automation finds the crossing of scripted and full
/// automation where S1 puts it: pv(full) − pv(scripted) = 1.25 S − 0.000759 N S + 35 N for one
/// year, positive at 2,640 GPUs and negative at 2,720.
#[test]
fn a_sweep_over_automation_levels_finds_the_crossing() {
    let scratch = Scratch::new();
    let text = scenario(
        "USD",
        &[("own", &format!("automation = \"manual\"\n{SALARY}"))],
    )
    .replace("gpu_hours_per_month = 1000", "gpu_hours_per_month = 100")
        + "\n[sweep]\nobjective = \"pv_cost\"\n[[sweep.parameter]]\npath = \"option[own].servers\"\nvalues = [330, 340]\n\
           [[sweep.parameter]]\npath = \"option[own].automation\"\nlevels = [\"scripted\", \"full\"]\n";
    let path = scratch.write("s.toml", &text);
    let json = success([arg("sweep"), arg(&path), arg("--format"), arg("json")]);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let points = doc["points"].as_array().expect("points");
    assert_eq!(points.len(), 4);
    let value = |i: usize| points[i]["values"].clone();
    assert_eq!(value(0), serde_json::json!([330.0, "scripted"]));
    assert_eq!(value(3), serde_json::json!([340.0, "full"]));
    let pv = |i: usize| points[i]["pv_cost"].as_f64().expect("pv");
    for (k, servers) in [(0, 330.0), (2, 340.0)] {
        let n: f64 = servers * 8.0;
        let expected = 1.25 * 120_000.0 - (0.0884 - 0.0125) / 100.0 * n * 120_000.0 + 35.0 * n;
        let found = pv(k + 1) - pv(k);
        assert!(
            (found - expected).abs() < 1e-6 * pv(k),
            "{servers}: {found} {expected}"
        );
    }
    assert_eq!(
        doc["optimum"]["values"],
        serde_json::json!([330.0, "scripted"])
    );
    let table = success([arg("sweep"), arg(&path)]);
    assert!(
        table.contains("option[own].automation = scripted"),
        "{table}"
    );
    let svg = scratch.path("sweep.svg");
    success([
        arg("sweep"),
        arg(&path),
        arg("--chart"),
        arg(&svg),
        arg("-q"),
    ]);
    let chart = std::fs::read_to_string(&svg).expect("chart");
    assert!(
        chart.contains("automation = full"),
        "the legend names the levels"
    );
}

#[test]
fn a_bad_automation_sweep_is_refused() {
    let scratch = Scratch::new();
    let base = scenario(
        "USD",
        &[("own", &format!("automation = \"manual\"\n{SALARY}"))],
    );
    for (sweep, needles) in [
        (
            "path = \"option[own].automation\"\nlevels = [\"manual\", \"ful\"]",
            vec!["unknown automation level id `ful`", "`full`"],
        ),
        (
            "path = \"option[own].automation\"\nvalues = [0, 1]",
            vec!["an automation sweep lists its levels"],
        ),
        (
            "path = \"option[own].servers\"\nvalues = [1]\nlevels = [\"full\"]",
            vec!["`levels` apply only to `automation`"],
        ),
        (
            "path = \"option[own].automation\"\nlevels = [\"full\", \"full\"]",
            vec!["`full` listed twice", "found: `full` twice"],
        ),
    ] {
        let text = format!("{base}\n[sweep]\n[[sweep.parameter]]\n{sweep}\n");
        let path = scratch.write("s.toml", &text);
        rejected(&[arg("sweep"), arg(&path)], &needles);
    }
    let no_salary = scenario("USD", &[("own", "")])
        + "\n[sweep]\n[[sweep.parameter]]\npath = \"option[own].automation\"\nlevels = [\"full\"]\n";
    let path = scratch.write("s.toml", &no_salary);
    rejected(
        &[arg("sweep"), arg(&path)],
        &["option `own` has no `staff_salary_per_year`"],
    );
    let uncertain = base
        + "\n[[uncertain]]\npath = \"automation[manual].fte_per_100_gpus\"\ndistribution = \"uniform\"\nlow = 0.5\nhigh = 0.7\n\
           [sweep]\n[[sweep.parameter]]\npath = \"option[own].automation\"\nlevels = [\"full\"]\n";
    let path = scratch.write("s.toml", &uncertain);
    rejected(
        &[arg("sweep"), arg(&path)],
        &["is both swept and uncertain"],
    );
}

/// A sweep over the refresh interval and the degree of automation (the two decisions of
/// running a cluster) gives at each point what a plain run with those keys gives.
#[test]
fn a_sweep_over_refresh_interval_and_automation_matches_plain_runs() {
    let scratch = Scratch::new();
    let base = scenario("USD", &[("own", SALARY)])
        .replace("horizon_months = 12", "horizon_months = 72")
        .replace("discount_rate = 0.0", "discount_rate = 0.08");
    let text = format!(
        "{base}\n[sweep]\n[[sweep.parameter]]\npath = \"option[own].refresh_years\"\nvalues = [0, 2.5, 4]\n\
         [[sweep.parameter]]\npath = \"option[own].automation\"\nlevels = [\"manual\", \"full\"]\n"
    );
    let path = scratch.write("sweep.toml", &text);
    let json = success([arg("sweep"), arg(&path), arg("--format"), arg("json")]);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let points = doc["points"].as_array().expect("points");
    assert_eq!(points.len(), 6);
    for point in points {
        let years = point["values"][0].as_f64().expect("years");
        let level = point["values"][1].as_str().expect("level");
        let refresh = if years > 0.0 {
            format!("refresh_years = {years}\n")
        } else {
            String::new()
        };
        let plain = scenario(
            "USD",
            &[(
                "own",
                &format!("{SALARY}\nautomation = \"{level}\"\n{refresh}"),
            )],
        )
        .replace("horizon_months = 12", "horizon_months = 72")
        .replace("discount_rate = 0.0", "discount_rate = 0.08");
        let p = scratch.write("plain.toml", &plain);
        let run = success([arg("run"), arg(&p), arg("--format"), arg("json")]);
        let run: serde_json::Value = serde_json::from_str(&run).expect("JSON");
        let expected = run["options"][0]["pv_cost"].as_f64().expect("pv");
        let found = point["pv_cost"].as_f64().expect("pv");
        assert!(
            (found - expected).abs() <= 1e-9 * expected,
            "refresh {years}, {level}: sweep {found}, run {expected}"
        );
    }
    // A lease is renewed at the end of its term: its refresh interval is not swept.
    let leased = base.replace(
        SALARY,
        &format!(
            "{SALARY}\nfinancing = {{ kind = \"lease\", annual_rate = 0.08, term_months = 36 }}"
        ),
    ) + "\n[sweep]\n[[sweep.parameter]]\npath = \"option[own].refresh_years\"\nvalues = [3]\n";
    let path = scratch.write("lease.toml", &leased);
    rejected(
        &[arg("sweep"), arg(&path)],
        &["option `own` leases its servers", "sweep.parameter[0].path"],
    );
}

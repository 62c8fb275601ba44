//! The after-tax view (`[tax]`, README TX1-TX4): what JSON, CSV, Markdown and the table say, how
//! the tax depreciation policy changes the verdict of the example, and the inputs it rejects.

use crate::run::check_contract;
use crate::support::{
    BASE, Scratch, arg, edit, line_col, option_named, rejected, run_rejected, success,
};
use serde_json::Value;
use std::ffi::OsStr;

const EXAMPLE: &str = "scenarios/us-tax-depreciation.toml";

/// Relative tolerance of sums of a few hundred monthly flows.
const REL: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= REL * a.abs().max(b.abs()).max(1.0)
}

fn example() -> String {
    std::fs::read_to_string(crate::support::repo().join(EXAMPLE)).expect("the example")
}

/// The example without its `[tax]` table and its options' `tax_depreciation`: before tax.
fn before_tax(text: &str) -> String {
    let without = edit(
        text,
        "[tax]\nrate = 0.25                          # US federal 21% plus a state tax, combined marginal rate\nlosses_offset_other_income = true    # the company has other profit to set the costs against\n",
        "",
    );
    edit(
        &without,
        "tax_depreciation = \"us-bonus-100\"    # tax: the whole price in the first tax year\n",
        "",
    )
}

fn run(text: &str, format: &str, extra: &[&str]) -> String {
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", text);
    let mut args = vec![OsStr::new("run"), arg(&path), OsStr::new("--format")];
    args.push(OsStr::new(format));
    args.extend(extra.iter().map(OsStr::new));
    success(args)
}

fn json(text: &str) -> Value {
    serde_json::from_str(&run(text, "json", &[])).expect("valid JSON")
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is not a number in {v}"))
}

#[test]
fn the_tax_depreciation_policy_changes_the_verdict_of_the_example() {
    let text = example();
    let taxed = json(&text);
    check_contract(&taxed, EXAMPLE);
    assert_eq!(taxed["view"], "after-tax");
    let tax = &taxed["scenario"]["tax"];
    assert_eq!(num(tax, "rate"), 0.25);
    assert!(tax["policy"].is_null());
    assert_eq!(tax["losses_offset_other_income"], true);

    let pv = |doc: &Value, name: &str| num(option_named(doc, name), "pv_cost");
    let (cloud, sl, bonus) = (
        "lambda-on-demand",
        "own-32-straight-line-6y",
        "own-32-bonus-100",
    );
    // After tax: 100% bonus beats the cloud, which beats 6-year straight line.
    assert!(pv(&taxed, bonus) < pv(&taxed, cloud));
    assert!(pv(&taxed, cloud) < pv(&taxed, sl));
    assert_eq!(taxed["verdict"]["winner"], bonus);
    assert!(num(option_named(&taxed, sl), "savings_vs_baseline") < 0.0);
    assert_eq!(
        option_named(&taxed, sl)["tax"]["policy"],
        "straight-line-6y"
    );
    assert_eq!(option_named(&taxed, bonus)["tax"]["policy"], "us-bonus-100");
    assert!(option_named(&taxed, cloud)["tax"]["policy"].is_null());

    // Before tax, owning wins either way (the two owned options are the same).
    let plain = json(&before_tax(&text));
    assert!(plain.get("view").is_none());
    assert!(plain["scenario"].get("tax").is_none());
    assert!(pv(&plain, sl) < pv(&plain, cloud));
    assert_eq!(pv(&plain, sl), pv(&plain, bonus));

    for name in [cloud, sl, bonus] {
        let o = option_named(&taxed, name);
        let t = &o["tax"];
        assert!(option_named(&plain, name).get("tax").is_none());
        // The after-tax PV is the before-tax PV of the same scenario plus the PV of the tax.
        assert!(
            close(num(t, "pv_cost_before_tax"), pv(&plain, name)),
            "{name}"
        );
        assert!(close(
            num(o, "pv_cost"),
            pv(&plain, name) + num(t, "pv_tax")
        ));
        assert!(close(
            num(o, "total_cost"),
            num(option_named(&plain, name), "total_cost") + num(t, "tax")
        ));
        // Every month's tax is in its flows, and the months give back the PV (F2).
        let i = 1.1f64.powf(1.0 / 12.0) - 1.0;
        let (mut recomputed, mut tax_sum) = (0.0, 0.0);
        for (m, row) in o["monthly"].as_array().expect("months").iter().enumerate() {
            recomputed += num(row, "paid_at_start") / (1.0 + i).powi(m as i32)
                + num(row, "paid_at_end") / (1.0 + i).powi(m as i32 + 1);
            tax_sum += num(row, "tax");
        }
        assert!(close(recomputed, num(o, "pv_cost")), "{name}: {recomputed}");
        assert!(close(tax_sum, num(t, "tax")), "{name}");
    }
    // Cloud bills are deducted as paid: the tax saved is the rate times the bill.
    let c = option_named(&taxed, cloud);
    let bill = num(&c["breakdown"], "cloud_on_demand");
    assert!(close(num(&c["tax"], "tax"), -0.25 * bill));
    // Same deductions in total, earlier with the bonus: a larger shield in present value.
    let shield = |name: &str| num(&option_named(&taxed, name)["tax"], "pv_depreciation_shield");
    assert!(shield(bonus) > shield(sl));
    assert!(close(
        num(&option_named(&taxed, bonus)["tax"], "tax"),
        num(&option_named(&taxed, sl)["tax"], "tax")
    ));
}

#[test]
fn table_markdown_and_csv_say_after_tax() {
    let text = example();
    let table = run(&text, "table", &[]);
    for needle in [
        "after income tax at 25.0%",
        "PV cost after tax [USD]",
        "Income tax (saved < 0) [USD]",
        "Depreciation tax shield, PV [USD]",
        "IRR after tax [%/year]",
        "Break-even utilisation, before tax [%]",
        "Cheapest by present value after tax: own-32-bonus-100",
    ] {
        assert!(table.contains(needle), "table lacks `{needle}`:\n{table}");
    }
    // The figures README TX4 quotes.
    for needle in ["1,308,782", "1,329,150", "1,273,886"] {
        assert!(table.contains(needle), "table lacks `{needle}`:\n{table}");
    }
    let before = run(&before_tax(&text), "table", &[]);
    for needle in ["1,745,043", "1,678,754"] {
        assert!(before.contains(needle), "table lacks `{needle}`:\n{before}");
    }
    let markdown = run(&text, "markdown", &[]);
    assert!(markdown.contains("after income tax at 25.0%"), "{markdown}");
    assert!(
        markdown.contains("| PV cost after tax [USD] |"),
        "{markdown}"
    );

    let doc = json(&text);
    let csv = run(&text, "csv", &[]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let o = option_named(&doc, cells[0]);
        assert_eq!(cells[col("view")], "after-tax");
        assert_eq!(cells[col("tax_rate")], "0.25");
        let tax: f64 = cells[col("tax")].parse().expect("a number");
        assert_eq!(tax, num(&o["tax"], "tax"));
        let shield: f64 = cells[col("pv_depreciation_shield")]
            .parse()
            .expect("a number");
        assert_eq!(shield, num(&o["tax"], "pv_depreciation_shield"));
    }
    let monthly = run(&text, "csv", &["--monthly"]);
    let mut lines = monthly.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(header.last(), Some(&"tax"));
    let sum: f64 = lines
        .filter(|l| l.starts_with("own-32-bonus-100,"))
        .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert!(close(
        sum,
        num(&option_named(&doc, "own-32-bonus-100")["tax"], "tax")
    ));

    // Before tax, none of it.
    let plain = run(&before_tax(&text), "table", &["--monthly"]);
    for needle in [
        "income tax",
        "Income tax",
        "after tax [",
        "Depreciation, tax",
    ] {
        assert!(!plain.contains(needle), "{plain}");
    }
    let plain = run(&before_tax(&text), "csv", &["--monthly"]);
    assert!(!plain.contains("tax"), "{plain}");
    let plain = run(&before_tax(&text), "json", &[]);
    assert!(!plain.contains("\"tax\"") && !plain.contains("\"view\""));
}

#[test]
fn the_report_folder_says_after_tax() {
    let scratch = Scratch::new();
    let out = scratch.path("report");
    success([
        OsStr::new("report"),
        OsStr::new(EXAMPLE),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    for needle in [
        "after income tax at 25.0%",
        "PV cost after tax",
        "Depreciation tax shield, PV",
        "### Cumulative cost per option after tax",
        "### Cost by category over 60 months (nominal, before tax)",
    ] {
        assert!(md.contains(needle), "report.md lacks `{needle}`");
    }
}

/// `[tax]` with `body` added to the test scenario.
fn with_tax(body: &str) -> String {
    format!("{BASE}\n[tax]\n{body}\n")
}

fn rejects(text: &str, at: &str, needles: &[&str]) {
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", text);
    let (line, col) = line_col(text, at);
    let offset = at.find("= ").map_or(0, |p| p + 2);
    let head = format!("error: {}:{line}:{}: ", path.display(), col + offset);
    let mut all = vec![head.as_str()];
    all.extend_from_slice(needles);
    run_rejected(&[arg(&path)], &all);
    rejected(&[OsStr::new("validate"), arg(&path)], &all);
}

#[test]
fn a_rate_out_of_range_or_not_a_number_is_rejected() {
    for (value, found) in [
        ("1.5", "found: 1.5"),
        ("-0.1", "found: -0.1"),
        ("nan", "found: nan"),
    ] {
        let text = with_tax(&format!("rate = {value}"));
        rejects(
            &text,
            &format!("rate = {value}"),
            &[
                "`rate` is out of range",
                "key: `tax.rate`",
                "expected: a tax rate between 0 and 1",
                found,
            ],
        );
    }
}

#[test]
fn a_rate_of_one_runs_with_a_warning_and_frees_every_cost() {
    // 100% tax: every cost is deducted in full when it is paid, so a cloud option that only
    // rents costs nothing after tax (TX1), and the run says the rate may be a typing slip.
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &with_tax("rate = 1"));
    let out = crate::support::output([
        OsStr::new("run"),
        arg(&path),
        OsStr::new("--format"),
        OsStr::new("json"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let err = crate::support::stderr(&out);
    assert!(
        err.contains("warning: `[tax] rate = 1` is an income tax of 100%")
            && err.contains("a rate of 1% is `rate = 0.01`"),
        "{err}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rent = option_named(&doc, "rent");
    for key in ["pv_cost", "total_cost"] {
        let v = rent[key].as_f64().expect(key);
        assert!(v.abs() <= 1e-6, "{key} = {v}");
    }
    // Just below 1 is a rate like any other: no warning.
    let path = scratch.write("below.toml", &with_tax("rate = 0.99"));
    let out = crate::support::output([OsStr::new("run"), arg(&path)]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!crate::support::stderr(&out).contains("warning"));
}

#[test]
fn an_unknown_tax_policy_names_the_nearest() {
    let text = with_tax("rate = 0.3\npolicy = \"us-bonus-10\"");
    rejects(
        &text,
        "policy = \"us-bonus-10\"",
        &[
            "unknown depreciation policy id `us-bonus-10`",
            "key: `tax.policy`",
            "found: `us-bonus-10`",
            "hint: the nearest known ids are `us-bonus-100`",
        ],
    );
    let text = edit(
        &with_tax("rate = 0.3"),
        "servers = 2\n",
        "servers = 2\ntax_depreciation = \"macrs-5\"\n",
    );
    rejects(
        &text,
        "tax_depreciation = \"macrs-5\"",
        &[
            "unknown depreciation policy id `macrs-5`",
            "key: `option[0].tax_depreciation`",
            "`macrs-5y`",
        ],
    );
}

#[test]
fn tax_depreciation_needs_tax_and_something_owned() {
    let text = edit(
        BASE,
        "servers = 2\n",
        "servers = 2\ntax_depreciation = \"macrs-5y\"\n",
    );
    rejects(
        &text,
        "tax_depreciation = \"macrs-5y\"",
        &[
            "`tax_depreciation` needs a `[tax]` table",
            "key: `option[0].tax_depreciation`",
            "expected: `[tax]` with `rate`",
        ],
    );
    let text = edit(
        &with_tax("rate = 0.3"),
        "servers = 2\n",
        "servers = 2\nfinancing = { kind = \"lease\", annual_rate = 0.08, term_months = 36 }\ntax_depreciation = \"macrs-5y\"\n",
    );
    rejects(
        &text,
        "tax_depreciation = \"macrs-5y\"",
        &["`tax_depreciation` does not apply to a lease"],
    );
    let cloud = edit(
        BASE,
        "kind = \"cloud\"\n",
        "kind = \"cloud\"\ntax_depreciation = \"macrs-5y\"\n",
    );
    let text = format!("{cloud}\n[tax]\nrate = 0.3\n");
    rejects(
        &text,
        "tax_depreciation = \"macrs-5y\"",
        &["`tax_depreciation` does not apply to a `cloud` option"],
    );
}

#[test]
fn an_unknown_key_in_tax_is_rejected_with_the_nearest() {
    let text = with_tax("rate = 0.3\nlosses_offset = false");
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let (line, col) = line_col(&text, "losses_offset = false");
    let head = format!("error: {}:{line}:{col}: ", path.display());
    run_rejected(
        &[arg(&path)],
        &[
            &head,
            "unknown field `losses_offset`",
            "key: `tax.losses_offset`",
            "`losses_offset_other_income`",
        ],
    );
}

/// The example with `entry` (an `[[uncertain]]` table) added.
fn with_uncertain(entry: &str) -> String {
    format!("{}\n[[uncertain]]\n{entry}\n", example())
}

#[test]
fn the_tax_rate_may_be_uncertain() {
    // Fixed at the scenario's rate, Monte Carlo gives the deterministic PVs exactly.
    let text = with_uncertain("path = \"tax.rate\"\ndistribution = \"fixed\"\nvalue = 0.25");
    let table = run(&text, "table", &["--samples", "50", "--seed", "7"]);
    assert!(
        table.contains("Monte Carlo: 50 samples, seed 7, costs after tax"),
        "{table}"
    );
    let doc: Value = serde_json::from_str(&run(&text, "json", &["--samples", "50", "--seed", "7"]))
        .expect("JSON");
    for o in doc["montecarlo"]["options"].as_array().expect("options") {
        let name = o["name"].as_str().expect("name");
        let pv = &o["metrics"]["pv_cost"];
        assert_eq!(
            num(pv, "mean"),
            num(option_named(&doc, name), "pv_cost"),
            "{name}"
        );
        assert_eq!(num(pv, "p5"), num(pv, "p95"), "{name}");
    }
    // With losses offset at once, the PV is linear in the rate: PV(τ) = PV(0) - τ × PV of the
    // deductions, so the PV at the mean sampled rate is the mean PV. Two fixed rates give the
    // slope, and a uniform rate on [0.15, 0.35] has mean 0.25 (to sampling error).
    let pv_at = |rate: &str| {
        let text = edit(&example(), "rate = 0.25 ", &format!("rate = {rate} "));
        num(option_named(&json(&text), "own-32-bonus-100"), "pv_cost")
    };
    let (low, high) = (pv_at("0.15"), pv_at("0.35"));
    let middle = num(
        option_named(&json(&example()), "own-32-bonus-100"),
        "pv_cost",
    );
    assert!(close(middle, (low + high) / 2.0), "{low} {middle} {high}");
    let text =
        with_uncertain("path = \"tax.rate\"\ndistribution = \"uniform\"\nlow = 0.15\nhigh = 0.35");
    let doc: Value =
        serde_json::from_str(&run(&text, "json", &["--samples", "4000", "--seed", "7"]))
            .expect("JSON");
    let mc = doc["montecarlo"]["options"]
        .as_array()
        .expect("options")
        .iter()
        .find(|o| o["name"] == "own-32-bonus-100")
        .expect("the option");
    let pv = &mc["metrics"]["pv_cost"];
    // The PV spans (high - low) over the rate's range: its P5 and P95 sit 45% of the way from
    // the middle to either end (uniform quantiles), within the sketches' 0.05%.
    let span = low - high;
    assert!((num(pv, "p5") - (middle - 0.45 * span)).abs() <= 0.01 * span);
    assert!((num(pv, "p95") - (middle + 0.45 * span)).abs() <= 0.01 * span);
    // The standard error of the mean of 4,000 uniform samples is span / sqrt(12 × 4000).
    let se = span / (12.0f64 * 4000.0).sqrt();
    assert!(
        (num(pv, "mean") - middle).abs() <= 4.0 * se,
        "{}",
        num(pv, "mean")
    );
}

#[test]
fn an_uncertain_tax_rate_needs_tax() {
    let text = format!(
        "{BASE}\n[[uncertain]]\npath = \"tax.rate\"\ndistribution = \"fixed\"\nvalue = 0.2\n"
    );
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    rejected(
        &[
            OsStr::new("run"),
            arg(&path),
            OsStr::new("--samples"),
            OsStr::new("10"),
        ],
        &[
            "the scenario has no `[tax]`",
            "key: `uncertain[0].path`",
            "found: `tax.rate`",
        ],
    );
}

#[test]
fn diff_attributes_a_changed_tax_rate() {
    let scratch = Scratch::new();
    let old = scratch.write("old.toml", &example());
    let new = scratch.write("new.toml", &edit(&example(), "rate = 0.25 ", "rate = 0.3 "));
    let out = success([OsStr::new("diff"), arg(&old), arg(&new)]);
    for needle in [
        "over the one changed input",
        "rate 0.25, losses offset other income",
        "rate 0.3, losses offset other income",
    ] {
        assert!(out.contains(needle), "diff lacks `{needle}`:\n{out}");
    }
}

/// The example with a `[sweep]` of `parameters` (TOML of `[[sweep.parameter]]` tables).
fn with_sweep(parameters: &str) -> String {
    format!("{}\n[sweep]\n{parameters}\n", example())
}

#[test]
fn a_sweep_compares_tax_depreciation_policies() {
    let text = with_sweep(
        "[[sweep.parameter]]\npath = \"option[own-32-straight-line-6y].tax_depreciation\"\n\
         levels = [\"straight-line-6y\", \"macrs-5y\", \"us-bonus-100\"]\n",
    );
    let scratch = Scratch::new();
    let path = scratch.write("sweep.toml", &text);
    let doc: Value = serde_json::from_str(&success([
        OsStr::new("sweep"),
        arg(&path),
        OsStr::new("--format"),
        OsStr::new("json"),
    ]))
    .expect("JSON");
    // Each point is the run of the option with that policy for tax.
    let run_pv = |policy: &str| {
        let text = edit(
            &example(),
            "depreciation = \"straight-line-6y\"    # the books, and tax\n",
            &format!("depreciation = \"straight-line-6y\"\ntax_depreciation = \"{policy}\"\n"),
        );
        num(
            option_named(&json(&text), "own-32-straight-line-6y"),
            "pv_cost",
        )
    };
    let points = doc["points"].as_array().expect("points");
    assert_eq!(points.len(), 3);
    for p in points {
        let policy = p["values"][0].as_str().expect("a policy id");
        assert!(close(num(p, "pv_cost"), run_pv(policy)), "{policy}");
    }
    assert_eq!(doc["optimum"]["values"][0], "us-bonus-100");
    // The other owned option already uses 100% bonus for tax: the same PV.
    assert!(close(
        num(&doc["optimum"], "pv_cost"),
        num(
            option_named(&json(&example()), "own-32-bonus-100"),
            "pv_cost"
        )
    ));
    let table = success([OsStr::new("sweep"), arg(&path)]);
    assert!(table.contains("tax_depreciation = us-bonus-100"), "{table}");

    // Without `[tax]` there is nothing to sweep; an unknown policy names the nearest.
    let plain = format!(
        "{}\n[sweep]\n[[sweep.parameter]]\npath = \"option[own-32-straight-line-6y].tax_depreciation\"\nlevels = [\"macrs-5y\"]\n",
        before_tax(&example())
    );
    let bad = scratch.write("plain.toml", &plain);
    rejected(
        &[OsStr::new("sweep"), arg(&bad)],
        &[
            "a tax depreciation sweep needs `[tax]`",
            "key: `sweep.parameter[0].path`",
        ],
    );
    let unknown = with_sweep(
        "[[sweep.parameter]]\npath = \"option[own-32-straight-line-6y].tax_depreciation\"\n\
         levels = [\"macrs-5\"]\n",
    );
    let bad = scratch.write("unknown.toml", &unknown);
    rejected(
        &[OsStr::new("sweep"), arg(&bad)],
        &["unknown depreciation policy id `macrs-5`", "`macrs-5y`"],
    );
}

#[test]
fn a_trace_workload_is_taxed_like_any_other_demand() {
    // The jobs of a real trace, replayed on a hybrid that bursts to the cloud: every running
    // cost of the breakdown is deducted, and the purchase through its tax depreciation.
    let philly = crate::support::repo().join("../shared/data/traces/philly-2017-10-01-5000.csv");
    let text = format!(
        "name = \"trace\"\nhorizon_months = 12\nstart = \"2027-01\"\ndiscount_rate = 0.1\n\
         reference_accelerator = \"h100-sxm\"\n\n[tax]\nrate = 0.25\npolicy = \"us-bonus-100\"\n\n\
         [[workload]]\nname = \"jobs\"\ntrace = \"{}\"\ntrace_format = \"philly\"\n\
         trace_accelerator = \"v100-sxm2-32gb\"\nmax_wait_hours = 24\n\n\
         [[option]]\nname = \"cloud\"\nkind = \"cloud\"\noffer = \"lambda-gpu_8x_h100_sxm5\"\n\n\
         [[option]]\nname = \"burst\"\nkind = \"hybrid\"\nserver = \"hgx-h100-oem\"\nservers = 4\n\
         site = \"us-tx-colo\"\nscheduler = \"easy-backfill\"\noffer = \"lambda-gpu_8x_h100_sxm5\"\n",
        philly.display()
    );
    let doc = json(&text);
    check_contract(&doc, "trace after tax");
    for name in ["cloud", "burst"] {
        let o = option_named(&doc, name);
        let (b, t) = (&o["breakdown"], &o["tax"]);
        let running: f64 = [
            "lease",
            "energy",
            "colocation",
            "staff",
            "support",
            "software",
            "cloud_committed",
            "cloud_on_demand",
            "cloud_spot",
            "storage",
            "egress",
        ]
        .iter()
        .map(|k| num(b, k))
        .sum();
        assert!(close(num(t, "operating_deductions"), running), "{name}");
        // 100% bonus writes the whole purchase off within the year; resale is all gain.
        assert!(close(num(t, "depreciation"), num(b, "hardware")), "{name}");
        assert!(
            close(num(t, "disposal_gain"), -num(b, "residual_value")),
            "{name}"
        );
        let deducted = running + num(b, "hardware") + num(b, "residual_value");
        assert!(close(num(t, "tax"), -0.25 * deducted), "{name}");
    }
}

#[test]
fn showback_shares_the_costs_before_tax() {
    // A refresh after two years resells at a gain, taxed at the start of month 25.
    let refreshed = edit(
        &example(),
        "tax_depreciation = \"us-bonus-100\"    # tax: the whole price in the first tax year\n",
        "tax_depreciation = \"us-bonus-100\"\nrefresh_years = 2\n",
    );
    let text = format!(
        "{}\n[showback]\nidle = \"separate\"\n",
        edit(
            &refreshed,
            "name = \"training\"\n",
            "name = \"training\"\nteam = \"research\"\n"
        )
    );
    let doc = json(&text);
    check_contract(&doc, "showback after tax");
    for o in doc["options"].as_array().expect("options") {
        let (s, t) = (&o["showback"], &o["tax"]);
        let teams = s["teams"].as_array().expect("teams");
        let cost: f64 = teams.iter().map(|x| num(x, "cost")).sum::<f64>() + num(&s["idle"], "cost");
        let pv: f64 =
            teams.iter().map(|x| num(x, "pv_cost")).sum::<f64>() + num(&s["idle"], "pv_cost");
        assert!(
            close(cost, num(t, "total_cost_before_tax")),
            "{}",
            o["name"]
        );
        assert!(close(pv, num(t, "pv_cost_before_tax")), "{}", o["name"]);
    }
    let bonus = option_named(&doc, "own-32-bonus-100");
    assert!(num(&bonus["tax"], "disposal_gain") > 0.0);
}

#[test]
fn the_income_price_weighs_each_workload_by_its_first_month_demand() {
    // Three workloads with prices of their own, the project standing alone (TX3): a trace of
    // 300 jobs of 4 reference GPUs for 2 hours every 3 hours (244 of them arrive in the first
    // month, 730 hours: submits 0, 3 h, ... 729 h), a flat workload at the scenario's price,
    // and one whose year-long profile weighs March (the first month) half: its first-month
    // demand is D × season, season = 12 × March's weight / the year's weight (M1).
    let scratch = Scratch::new();
    let jobs: String = (0..300)
        .map(|k| format!("{},7200,4\n", k * 10_800))
        .collect();
    scratch.write("jobs.csv", &format!("submit,duration,gpus\n{jobs}"));
    let march = 2 * 730..3 * 730;
    let weights: Vec<f64> = (0..8760)
        .map(|h| if march.contains(&h) { 0.5 } else { 1.0 })
        .collect();
    let profile: String = weights.iter().map(|w| format!("{w}\n")).collect();
    scratch.write("year.csv", &profile);
    let season = 12.0 * weights[march].iter().sum::<f64>() / weights.iter().sum::<f64>();
    let text = "name = \"income\"\nhorizon_months = 3\nstart = \"2027-03\"\ndiscount_rate = 0.08\n\
         reference_accelerator = \"h100-sxm\"\nunserved_cost_per_gpu_hour = 2.0\n\n\
         [tax]\nrate = 0.25\nlosses_offset_other_income = false\n\n\
         [[workload]]\nname = \"jobs\"\ntrace = \"jobs.csv\"\nunserved_cost_per_gpu_hour = 20.0\n\n\
         [[workload]]\nname = \"flat\"\ngpu_hours_per_month = 1000\nprofile = \"flat\"\n\n\
         [[workload]]\nname = \"seasonal\"\ngpu_hours_per_month = 3000\nprofile = \"year.csv\"\n\
         unserved_cost_per_gpu_hour = 6.0\n\n\
         [[option]]\nname = \"cloud\"\nkind = \"cloud\"\noffer = \"lambda-gpu_1x_h100_sxm5\"\n";
    let path = scratch.write("scenario.toml", text);
    let doc: Value = serde_json::from_str(&success([
        OsStr::new("run"),
        arg(&path),
        OsStr::new("--format"),
        OsStr::new("json"),
    ]))
    .expect("valid JSON");
    let trace = 244.0 * 4.0 * 2.0;
    let seasonal = 3000.0 * season;
    let expected = (trace * 20.0 + 1000.0 * 2.0 + seasonal * 6.0) / (trace + 1000.0 + seasonal);
    let got = num(&doc["scenario"]["tax"], "income_per_gpu_hour");
    assert!(close(got, expected), "{got} against {expected}");
    let o = option_named(&doc, "cloud");
    let delivered = num(o, "served_cloud_gpu_hours") + num(o, "served_onprem_gpu_hours");
    assert!(close(num(&o["tax"], "income"), expected * delivered));
}

//! Extreme finite values through every analysis: a scenario whose numbers are drawn from the
//! ends of what a TOML file can hold (0, the smallest subnormal, 1e-300, 1e300, the largest
//! float, negatives) is either refused as bad input (exit code 2) or gives finite figures in
//! every format, finite Monte Carlo statistics, a sensitivity, a sweep and charts that draw.
//! Runs through the library, the same calls the binary makes, so that many cases fit in a test.

use proptest::prelude::*;
use tcosim::catalog::Catalog;
use tcosim::report::Format;
use tcosim::run::Loaded;
use tcosim::scenario::Source;

/// Values at the ends of the float range and around the usual ones.
const EXTREMES: [&str; 14] = [
    "0.0",
    "5e-324",
    "1e-300",
    "1e-12",
    "0.001",
    "0.5",
    "1.0",
    "3.0",
    "1e6",
    "1e12",
    "1e300",
    "1.7976931348623157e308",
    "-1.0",
    "-1e300",
];

/// Whole numbers for counts, extreme ones included.
const COUNTS: [&str; 6] = ["0", "1", "3", "100000", "9223372036854775807", "-1"];
/// Ends of the sweep grid: a grid of 100,000 points is allowed but takes minutes in a debug
/// build, so the sweep's extremes are the ones that must be refused.
const SWEEP_ENDS: [&str; 4] = ["0", "-1", "9223372036854775807", "1e300"];

fn scenario(v: &[&str], counts: &[&str], profile: &str) -> String {
    format!(
        r#"name = "extremes"
horizon_months = 36
start = "2027-01"
currency = "EUR"
discount_rate = {discount}
reference_accelerator = "h100-sxm"
demand_scale = {scale}
demand_growth_per_year = {growth_all}
electricity_escalation_per_year = {escalation}

[[workload]]
name = "training"
gpu_hours_per_month = {hours}
growth_per_year = {growth}
profile = "{profile}"

[[workload]]
name = "private"
gpu_hours_per_month = {hours2}
sensitive = true
profile = "bursty"

[[option]]
name = "own"
kind = "onprem"
server = "dgx-h100"
servers = {servers}
site = "us-tx-colo"
availability = {availability}
residual_value = {residual}
staff_fte_fixed = {fte}
staff_salary_per_year = {salary}
software_per_gpu_year = {software}
financing = {{ kind = "loan", annual_rate = {rate}, term_months = {term}, down_payment = {down} }}

[[option]]
name = "rent"
kind = "cloud"
offer = "aws-p5.48xlarge-us-east-1"
committed_share = {committed}
spot_share = {spot}
storage_tb = {storage}
egress_tb_per_month = {egress}

[[option]]
name = "mix"
kind = "hybrid"
server = "dgx-h100"
servers = {servers2}
site = "us-tx-colo"
offer = "aws-p5.48xlarge-us-east-1"
refresh_years = {refresh}

[[uncertain]]
path = "demand_scale"
distribution = "triangular"
low = {u_low}
mode = {u_mode}
high = {u_high}

[[uncertain]]
path = "site[us-tx-colo].electricity_per_kwh"
distribution = "lognormal"
p10 = {p10}
p90 = {p90}

[sweep]
[[sweep.parameter]]
path = "option[mix].servers"
from = 0
to = {sweep_to}
step = 1
"#,
        discount = v[0],
        scale = v[1],
        growth_all = v[2],
        escalation = v[3],
        hours = v[4],
        growth = v[5],
        hours2 = v[6],
        availability = v[7],
        residual = v[8],
        fte = v[9],
        salary = v[10],
        software = v[11],
        rate = v[12],
        down = v[13],
        committed = v[14],
        spot = v[15],
        storage = v[16],
        egress = v[17],
        refresh = v[18],
        u_low = v[19],
        u_mode = v[20],
        u_high = v[21],
        p10 = v[22],
        p90 = v[23],
        servers = counts[0],
        term = counts[1],
        servers2 = counts[2],
        sweep_to = counts[3],
    )
}

/// Ordinary values of the 24 numeric fields of [`scenario`], in order.
const ORDINARY: [&str; 24] = [
    "0.08", "1.0", "0.0", "0.02", "5000", "0.1", "800", "0.97", "0.1", "0.5", "150000", "100",
    "0.07", "0.2", "0.3", "0.2", "10", "1", "4", "0.8", "1.0", "1.3", "0.07", "0.1",
];
/// Ordinary counts: owned servers, loan term, hybrid servers, sweep end.
const ORDINARY_COUNTS: [&str; 4] = ["2", "36", "1", "4"];

/// A case: each field ordinary or, one time in thirteen, an extreme value, so that many cases
/// get past the input checks with a few extremes inside.
fn case() -> impl Strategy<Value = (Vec<&'static str>, Vec<&'static str>, &'static str)> {
    let field = |ordinary: &'static str, pool: &'static [&'static str]| prop_oneof![12 => Just(ordinary), 1 => prop::sample::select(pool)];
    (
        ORDINARY
            .iter()
            .map(|o| field(o, &EXTREMES))
            .collect::<Vec<_>>(),
        ORDINARY_COUNTS
            .iter()
            .enumerate()
            .map(|(i, o)| field(o, if i == 3 { &SWEEP_ENDS } else { &COUNTS }))
            .collect::<Vec<_>>(),
        prop::sample::select(vec!["flat", "bursty", "business-hours"]),
    )
}

/// Text a renderer produced for a user: never a non-finite number.
fn assert_printable_numbers(what: &str, text: &str) {
    let word = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .find(|w| ["inf", "NaN", "infinity", "Infinity"].contains(w));
    assert!(word.is_none(), "{what} shows `{word:?}`:\n{text}");
    for bad in ["n/a.00", "NaN%"] {
        assert!(!text.contains(bad), "{what} shows `{bad}`:\n{text}");
    }
}

fn check(text: &str, catalog: &Catalog) -> Result<(), TestCaseError> {
    let source = Source {
        display: "extremes.toml".into(),
        text: text.to_string(),
        base_dir: None,
    };
    let loaded = match Loaded::resolve(source, catalog.clone()) {
        Ok(l) => l,
        // Refused as bad input: a message that names the file.
        Err(e) => {
            prop_assert!(e.to_string().starts_with("extremes.toml"));
            return Ok(());
        }
    };
    let plan = loaded.sweep_plan();
    let uncertainty = loaded.uncertainty.clone();
    let mut run = match loaded.simulate() {
        Ok(run) => run,
        Err(e) => {
            prop_assert!(e.to_string().starts_with("extremes.toml"));
            return Ok(());
        }
    };
    for format in [Format::Table, Format::Csv, Format::Json, Format::Markdown] {
        let out = tcosim::report::render(&run, format, true, false);
        assert_printable_numbers(&format!("{format:?}"), &out);
    }
    let mc = tcosim::montecarlo::engine::run(&run.input, &uncertainty, 64, 7, &|_| {});
    for o in &mc.options {
        for m in o.metrics.iter().flatten() {
            let all = [m.mean].into_iter().chain(m.sd).chain(m.quantiles);
            prop_assert!(all.into_iter().all(f64::is_finite), "{}: {m:?}", o.name);
        }
        let fan = o.fan.iter().flat_map(|(_, q)| *q);
        prop_assert!(fan.into_iter().all(f64::is_finite), "{}: fan", o.name);
    }
    run.montecarlo = Some(mc);
    let focus = tcosim::report::default_focus(&run);
    let sensitivity = tcosim::montecarlo::sensitivity::run(&run.input, &uncertainty, focus);
    let sweep = match plan {
        Ok(plan) => Some(tcosim::montecarlo::sweep::run(
            &run.input,
            &plan,
            &uncertainty,
            7,
        )),
        Err(_) => None,
    };
    let analyses = tcosim::report::folder::Analyses {
        sensitivity: Some(sensitivity),
        sweep,
    };
    let files = tcosim::report::folder::render_with(&run, &analyses);
    prop_assert!(files.is_ok(), "charts: {:?}", files.err());
    for f in files.unwrap_or_default() {
        if f.name.ends_with(".svg") || f.name.ends_with(".md") || f.name.ends_with(".csv") {
            let text = String::from_utf8_lossy(&f.bytes);
            assert_printable_numbers(&f.name, &text);
        }
    }
    Ok(())
}

proptest! {
    // Each case renders a whole report (charts as SVG and PNG) in a debug build.
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn extreme_values_give_finite_figures_or_a_refusal((values, counts, profile) in case()) {
        let catalog = Catalog::builtin().expect("built-in catalogs load");
        check(&scenario(&values, &counts, profile), &catalog)?;
    }
}

#[test]
fn the_template_itself_runs() {
    // With ordinary values every stage runs, so the property above is not vacuous.
    let text = scenario(&ORDINARY, &ORDINARY_COUNTS, "bursty");
    let catalog = Catalog::builtin().expect("built-in catalogs load");
    let source = Source {
        display: "extremes.toml".into(),
        text: text.clone(),
        base_dir: None,
    };
    let loaded = Loaded::resolve(source, catalog.clone()).expect("the ordinary case resolves");
    assert_eq!(loaded.uncertainty.inputs.len(), 2);
    check(&text, &catalog).expect("the ordinary case passes every check");
}

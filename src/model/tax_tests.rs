//! The after-tax view (README TX1-TX4) against hand-computed references: closed forms of
//! annuities and loan schedules, and the cumulative form of losses carried forward, computed
//! here independently of the model's month-by-month ledger.

use super::*;
use crate::catalog::Catalog;
use crate::scenario::{Source, resolve};

/// Relative tolerance: sums of at most a few hundred flows against closed forms.
const REL: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= REL * a.abs().max(b.abs()).max(1.0)
}

fn assert_close(what: &str, a: f64, b: f64) {
    assert!(close(a, b), "{what}: model {a}, expected {b}");
}

/// A scenario of one owned option (one `hgx-h100-oem` in `us-tx-colo`) with `option` lines
/// added to it and `top` lines added at the top, resolved against the built-in catalogs.
fn scenario(top: &str, option: &str) -> Input {
    let text = format!(
        "name = \"tax\"\nhorizon_months = 24\nstart = \"2027-01\"\ndiscount_rate = 0.1\n\
         reference_accelerator = \"h100-sxm\"\n{top}\n\
         [[workload]]\nname = \"w\"\ngpu_hours_per_month = 4000\n\n\
         [[option]]\nname = \"own\"\nkind = \"onprem\"\nserver = \"hgx-h100-oem\"\nservers = 1\n\
         site = \"us-tx-colo\"\n{option}\n"
    );
    let source = Source {
        display: "tax.toml".into(),
        text,
        base_dir: None,
    };
    let catalog = Catalog::builtin().expect("built-in catalogs load");
    resolve(&source, &catalog)
        .expect("the scenario resolves")
        .input
}

fn with_horizon(mut input: Input, months: usize) -> Input {
    input.horizon_months = months;
    input
}

fn price(input: &Input) -> f64 {
    let o = input.options[0].owned.as_ref().expect("owned");
    f64::from(o.servers) * o.server_price
}

/// v = 1/(1+i) with i the monthly rate of an annual 10% (F1).
fn v() -> f64 {
    1.0 / 1.1f64.powf(1.0 / 12.0)
}

/// Σ_{k=1..n} v^k, the present value of 1 at the end of each of n months.
fn annuity(n: i32) -> f64 {
    let v = v();
    v * (1.0 - v.powi(n)) / (1.0 - v)
}

/// Running costs deducted in month `m` of a before-tax run (TX1): every category but the
/// purchase, the loan, the resale and the price of unserved work.
fn operating(r: &MonthRow) -> f64 {
    Category::ALL
        .iter()
        .filter(|c| {
            !matches!(
                c,
                Category::Hardware
                    | Category::Financing
                    | Category::ResidualValue
                    | Category::Unserved
            )
        })
        .map(|c| r.costs[*c as usize])
        .sum()
}

#[test]
fn depreciation_shield_straight_line_and_bonus_match_their_annuities() {
    // 72 months: straight line over 6 years ends at the horizon with book value 0, and
    // without resale value nothing is disposed of at a gain or a loss.
    let top = |policy: &str| format!("[tax]\nrate = 0.3\npolicy = \"{policy}\"\n");
    let sl = with_horizon(scenario(&top("straight-line-6y"), "residual_value = 0"), 72);
    let bonus = with_horizon(scenario(&top("us-bonus-100"), "residual_value = 0"), 72);
    let p = price(&sl);
    let shield = |i: &Input| {
        simulate(i).options[0]
            .tax
            .expect("tax figures")
            .pv_depreciation_shield
    };
    // Straight line: P/72 a month for 72 months; 100% bonus: P in the first tax year, P/12 a
    // month for 12 months.
    assert_close("straight line", shield(&sl), 0.3 * p / 72.0 * annuity(72));
    assert_close("bonus", shield(&bonus), 0.3 * p / 12.0 * annuity(12));
    assert!(shield(&bonus) > shield(&sl));

    // The whole tax, with losses offset at once: -rate × (running costs + depreciation), each
    // at the end of its month, against the before-tax run's own costs.
    let mut before = sl.clone();
    before.tax = None;
    let plain = simulate(&before);
    let taxed = simulate(&sl);
    let v = v();
    let expected_pv_tax: f64 = plain.options[0]
        .months
        .iter()
        .enumerate()
        .map(|(m, r)| -0.3 * (operating(r) + p / 72.0) * v.powi(m as i32 + 1))
        .sum();
    let t = taxed.options[0].tax.expect("tax figures");
    assert_close("pv tax", t.pv_tax, expected_pv_tax);
    assert_close(
        "pv after tax",
        taxed.options[0].pv_cost,
        plain.options[0].pv_cost + expected_pv_tax,
    );
    // Fully written off and resold for nothing: no gain, up to the rounding of 72 sums.
    assert!(t.disposal_gain.abs() <= REL * p);
    assert!(plain.options[0].tax.is_none());
}

#[test]
fn loan_interest_is_deducted_and_principal_is_not() {
    // A 12-month loan at 12% a year (1% a month), settled after 6 months at the horizon.
    let input = with_horizon(
        scenario(
            "[tax]\nrate = 0.25\n",
            "financing = { kind = \"loan\", annual_rate = 0.12, term_months = 12 }\n\
             depreciation = \"straight-line-3y\"\nresidual_value = 0.5",
        ),
        6,
    );
    let p = price(&input);
    let i = 0.01;
    let pmt = p * i / (1.0 - 1.01f64.powi(-12));
    // Interest of each payment: 1% of the balance before it.
    let mut balance = p;
    let mut interest = 0.0;
    for _ in 0..6 {
        interest += balance * i;
        balance = balance * (1.0 + i) - pmt;
    }
    let t = simulate(&input).options[0].tax.expect("tax figures");
    assert_close("interest", t.interest, interest);
    // The loan's full price is depreciated over 3 years: 6/36 of it claimed by month 6.
    assert_close("depreciation", t.depreciation, p * 6.0 / 36.0);
    // Resale at the horizon: 50% of the price after the whole (6-month) cycle, against a book
    // value of 30/36 of the price.
    assert_close("gain", t.disposal_gain, 0.5 * p - p * 30.0 / 36.0);
}

#[test]
fn lease_payments_are_deducted_and_nothing_is_depreciated() {
    let input = scenario(
        "[tax]\nrate = 0.3\npolicy = \"us-bonus-100\"\n",
        "financing = { kind = \"lease\", annual_rate = 0.09, term_months = 24, residual = 0.2 }",
    );
    let p = price(&input);
    let out = simulate(&input);
    let o = &out.options[0];
    let t = o.tax.expect("tax figures");
    // PMT(i, n, P, B) = (P - B v^n) i / (1 - v^n) at i = 0.75% a month (F6).
    let i: f64 = 0.0075;
    let vn = (1.0 + i).powi(-24);
    let lease = (p - 0.2 * p * vn) * i / (1.0 - vn);
    assert_close("lease", o.breakdown[Category::Lease as usize], 24.0 * lease);
    let running: f64 = o.months.iter().map(operating).sum();
    assert_close("deductions", t.operating_deductions, running);
    assert_eq!(t.depreciation, 0.0);
    assert_close("tax", t.tax, -0.3 * running);
}

#[test]
fn resale_at_a_refresh_is_taxed_on_its_gain_at_the_start_of_the_month() {
    // 100% bonus: the book value is 0 after a year; a refresh after 12 months resells at 40%.
    let input = scenario(
        "[tax]\nrate = 0.3\npolicy = \"us-bonus-100\"\n",
        "refresh_years = 1\nresidual_value = 0.4",
    );
    let p = price(&input);
    let out = simulate(&input);
    let o = &out.options[0];
    // Start of month 13: the new purchase, less the resale, plus the tax on the gain.
    let start = o.months[12].start_flow;
    assert_close("tax on the gain", start - (p - 0.4 * p), 0.3 * 0.4 * p);
    // Both purchases resold at 40%, both fully written off.
    assert_close(
        "gains",
        o.tax.expect("tax figures").disposal_gain,
        2.0 * 0.4 * p,
    );
}

#[test]
fn losses_carried_forward_match_the_cumulative_form() {
    // Income 5 per delivered GPU-hour; 100% bonus makes the first year a loss that later
    // income absorbs. Without resale value nothing is disposed of at a gain or a loss.
    let top = "unserved_cost_per_gpu_hour = 5\n[tax]\nrate = 0.3\npolicy = \"us-bonus-100\"\n\
               losses_offset_other_income = false\n";
    let input = scenario(top, "residual_value = 0");
    let p = price(&input);
    let mut before = input.clone();
    before.tax = None;
    let plain = simulate(&before);
    let taxed = simulate(&input);
    // With losses carried forward without limit, the taxable income up to month k is the
    // running maximum max(0, max_j<=k S_j), S_k = Σ (income - deductions) up to k; the losses
    // still carried are that maximum less S_k.
    let (mut s, mut high, mut income) = (0.0f64, 0.0f64, 0.0);
    for (m, (r, t)) in plain.options[0]
        .months
        .iter()
        .zip(&taxed.options[0].months)
        .enumerate()
    {
        let delivered = r.served_onprem_gpu_hours + r.served_cloud_gpu_hours;
        let dep = if m < 12 { p / 12.0 } else { 0.0 };
        income += 5.0 * delivered;
        s += 5.0 * delivered - operating(r) - dep;
        high = high.max(s);
        let cumulative: f64 = taxed.options[0].months[..=m]
            .iter()
            .map(|r| r.tax.expect("monthly tax"))
            .sum();
        assert_close(
            &format!("month {}", m + 1),
            cumulative,
            0.3 * (high - income),
        );
        assert!(t.tax.is_some());
    }
    let t = taxed.options[0].tax.expect("tax figures");
    assert_close("income", t.income, income);
    assert_close("unused", t.losses_unused, high - s);
    // The first month is a loss: its deductions save only the tax on its own income, and
    // income later absorbs the losses carried.
    let first = &plain.options[0].months[0];
    let delivered = first.served_onprem_gpu_hours + first.served_cloud_gpu_hours;
    let month1 = taxed.options[0].months[0].tax.expect("monthly tax");
    assert_close("month 1", month1, -0.3 * 5.0 * delivered);
    assert!(high > 0.0);
}

#[test]
fn a_cost_only_project_without_income_saves_no_tax_and_carries_every_loss() {
    let top = "[tax]\nrate = 0.3\nlosses_offset_other_income = false\n";
    let input = scenario(
        top,
        "residual_value = 0\ndepreciation = \"straight-line-3y\"",
    );
    let p = price(&input);
    let out = simulate(&input);
    let o = &out.options[0];
    let t = o.tax.expect("tax figures");
    let running: f64 = o.months.iter().map(operating).sum();
    assert_eq!(t.tax, 0.0);
    assert_eq!(t.income, 0.0);
    // Two of three years written off, then the rest at disposal (book value, no resale).
    assert_close("unused", t.losses_unused, running + p);
}

#[test]
fn the_worked_example_of_the_readme() {
    // README TX4: P = 1,000,000, τ = 25%, r = 10%: the shields of 6-year straight line,
    // MACRS 5-year and 100% bonus, to the unit as printed there.
    let shield = |policy: &str| {
        let top = format!("[tax]\nrate = 0.25\npolicy = \"{policy}\"\n");
        let mut input = with_horizon(scenario(&top, "residual_value = 0"), 72);
        if let Some(o) = input.options[0].owned.as_mut() {
            o.server_price = 1_000_000.0;
        }
        simulate(&input).options[0]
            .tax
            .expect("tax figures")
            .pv_depreciation_shield
    };
    assert_eq!(shield("straight-line-6y").round(), 189_643.0);
    assert_eq!(shield("macrs-5y").round(), 202_023.0);
    assert_eq!(shield("us-bonus-100").round(), 237_510.0);
    assert_eq!(
        (shield("us-bonus-100") - shield("straight-line-6y")).round(),
        47_867.0
    );
}

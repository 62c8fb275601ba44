//! Model invariants (property tests) and hand-computed reference cases.

use super::*;
use crate::finance::Depreciation;
use crate::profile::Profile;
use crate::timeline::YearMonth;
use proptest::prelude::*;
use std::sync::Arc;

/// Relative tolerance for sums of a few thousand floating-point terms.
const REL: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= REL * (1.0 + a.abs().max(b.abs()))
}

fn owned(servers: u32) -> OwnedIn {
    OwnedIn {
        servers,
        gpus_per_server: 8,
        rel_throughput: 1.0,
        availability: 0.97,
        server_price: 300_000.0,
        max_power_kw: 10.2,
        idle_fraction: 0.3,
        warranty_months: 36.0,
        support_pct_per_year: 8.0,
        electricity_per_kwh: 0.09,
        pue: 1.4,
        colocation_per_kw_month: 180.0,
        grid_co2_g_per_kwh: 345.0,
        cycle_months: Some(48),
        financing: Financing::Cash,
        depreciation: Depreciation::StraightLine {
            life_years: 5,
            salvage_fraction: 0.0,
        },
        tax_depreciation: Depreciation::StraightLine {
            life_years: 5,
            salvage_fraction: 0.0,
        },
        residual_value: 0.1,
        staff_fte_fixed: 1.0,
        staff_fte_per_server: 0.05,
        staff_salary_per_year: 150_000.0,
        software_per_gpu_year: 4_000.0,
        scheduler: crate::replay::Policy::Fifo,
        server_id: "test-server".into(),
        release_month: 0,
        refresh: None,
        sharing: crate::model::sharing::Sharing::None,
        mig: None,
    }
}

fn cloud() -> CloudIn {
    CloudIn {
        rel_throughput: 1.0,
        on_demand_per_gpu_hour: 6.88,
        spot_per_gpu_hour: 2.5,
        commit_per_gpu_hour: 4.3,
        commitment: Commitment::None,
        commit_term_months: 12,
        spot_share: 0.0,
        spot_overhead: 0.1,
        storage_tb: 50.0,
        storage_per_tb_month: 23.0,
        egress_tb_per_month: 5.0,
        egress_per_tb: 90.0,
        power_kw_per_gpu: 1.05,
        pue: 1.1,
        grid_co2_g_per_kwh: 481.0,
        ride_release_month: None,
        fractional: None,
    }
}

fn workload(gpu_hours: f64, growth: f64, profile: &str, sensitive: bool) -> WorkloadIn {
    WorkloadIn {
        name: format!("{profile}-{sensitive}"),
        ref_gpu_hours_per_month: gpu_hours,
        growth_per_year: growth,
        profile: Arc::new(Profile::builtin(profile).unwrap()),
        sensitive,
        max_wait_hours: 0,
        unserved_cost_per_gpu_hour: None,
        trace: None,
        team: None,
        gpu_fraction: None,
    }
}

fn input(workloads: Vec<WorkloadIn>, options: Vec<OptionIn>, horizon: usize, rate: f64) -> Input {
    Input {
        name: "test".into(),
        currency: "USD".into(),
        horizon_months: horizon,
        start: YearMonth {
            year: 2027,
            month: 1,
        },
        discount_rate: rate,
        electricity_escalation_per_year: 0.02,
        workloads,
        options,
        baseline: 0,
        demand_scale: 1.0,
        demand_growth_per_year: 0.0,
        showback: None,
        tax: None,
        generations: crate::model::generations::Trend::default(),
    }
}

fn option(name: &str, kind: Kind, owned: Option<OwnedIn>, cloud: Option<CloudIn>) -> OptionIn {
    OptionIn {
        name: name.into(),
        kind,
        owned,
        cloud,
    }
}

fn arb_financing() -> impl Strategy<Value = Financing> {
    prop_oneof![
        Just(Financing::Cash),
        (0.0..0.15f64, 1u32..72, 0.0..1.0f64).prop_map(|(r, t, d)| Financing::Loan {
            annual_rate: r,
            term_months: t,
            down_payment: d
        }),
        (0.0..0.15f64, 0.0..0.5f64).prop_map(|(r, res)| Financing::Lease {
            annual_rate: r,
            term_months: 36,
            residual: res
        }),
    ]
}

prop_compose! {
    fn arb_case()(
        base in 0.0..50_000.0f64,
        growth in -0.5..1.5f64,
        second in 0.0..20_000.0f64,
        profile in prop::sample::select(vec!["flat", "business-hours", "bursty"]),
        sensitive in any::<bool>(),
        servers in 0u32..20,
        financing in arb_financing(),
        refresh in prop::option::of(12u32..72),
        commit in prop_oneof![Just(Commitment::None), (0.0..1.0f64).prop_map(Commitment::Share), (0u32..64).prop_map(Commitment::Gpus)],
        spot in 0.0..1.0f64,
        horizon in 1usize..100,
        rate in 0.0..0.3f64,
        rel in 0.2..3.0f64,
    ) -> Input {
        let mut o = owned(servers);
        o.financing = financing;
        o.cycle_months = if matches!(financing, Financing::Lease { .. }) { Some(36) } else { refresh };
        let mut c = cloud();
        c.commitment = commit;
        c.spot_share = spot;
        c.rel_throughput = rel;
        let workloads = vec![workload(base, growth, profile, sensitive), workload(second, growth / 2.0, "flat", false)];
        input(
            workloads,
            vec![
                option("cloud", Kind::Cloud, None, Some(c.clone())),
                option("onprem", Kind::OnPrem, Some(o.clone()), None),
                option("hybrid", Kind::Hybrid, Some(o), Some(c)),
            ],
            horizon,
            rate,
        )
    }
}

fn all_finite(out: &Output) -> bool {
    out.options.iter().all(|o| {
        [
            o.pv_cost,
            o.total_cost,
            o.demand_gpu_hours,
            o.energy_kwh,
            o.co2_t,
            o.depreciation,
        ]
        .iter()
        .chain(o.savings_vs_baseline.iter())
        .chain(o.breakdown.iter())
        .chain(o.roi.iter())
        .chain(o.cost_per_gpu_hour.iter())
        .chain(o.break_even_utilization.iter())
        .chain(o.irr.iter().map(|i| &i.annual))
        .all(|v| v.is_finite())
            && o.months.iter().all(|m| {
                m.costs.iter().all(|v| v.is_finite())
                    && m.start_flow.is_finite()
                    && m.end_flow.is_finite()
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Served on-prem + served by cloud + unmet = demand, every option, every month (M5).
    #[test]
    fn demand_is_conserved(case in arb_case()) {
        let out = simulate(&case);
        prop_assert!(all_finite(&out));
        for o in &out.options {
            for m in &o.months {
                let sum = m.served_onprem_gpu_hours + m.served_cloud_gpu_hours + m.unmet_gpu_hours;
                prop_assert!(close(sum, m.demand_gpu_hours), "{} month {}: {sum} vs {}", o.name, m.month, m.demand_gpu_hours);
                prop_assert!(m.served_onprem_gpu_hours >= -1e-9 && m.served_cloud_gpu_hours >= -1e-9 && m.unmet_gpu_hours >= -1e-9);
            }
            let cash: f64 = o.months.iter().map(|m| m.group(Group::Capex) + m.group(Group::Opex) + m.group(Group::Cloud)).sum();
            prop_assert!(close(cash, o.total_cost));
        }
    }

    /// Raising any price never lowers any option's PV cost or total cost.
    #[test]
    fn cost_rises_with_every_price(case in arb_case(), which in 0usize..12, factor in 1.0..3.0f64) {
        let before = simulate(&case);
        let mut raised = case.clone();
        for o in &mut raised.options {
            if let Some(w) = o.owned.as_mut() {
                match which {
                    0 => w.server_price *= factor,
                    1 => w.electricity_per_kwh *= factor,
                    2 => w.colocation_per_kw_month *= factor,
                    3 => w.staff_salary_per_year *= factor,
                    4 => w.software_per_gpu_year *= factor,
                    5 => w.support_pct_per_year *= factor,
                    _ => {}
                }
            }
            if let Some(c) = o.cloud.as_mut() {
                match which {
                    6 => c.on_demand_per_gpu_hour *= factor,
                    7 => c.spot_per_gpu_hour *= factor,
                    8 => c.commit_per_gpu_hour *= factor,
                    9 => c.storage_per_tb_month *= factor,
                    10 => c.egress_per_tb *= factor,
                    _ => {}
                }
            }
        }
        if which == 11 {
            raised.electricity_escalation_per_year += factor - 1.0;
        }
        let after = simulate(&raised);
        for (b, a) in before.options.iter().zip(&after.options) {
            prop_assert!(a.total_cost >= b.total_cost - REL * b.total_cost.abs(), "{} total {} -> {}", b.name, b.total_cost, a.total_cost);
            prop_assert!(a.pv_cost >= b.pv_cost - REL * b.pv_cost.abs(), "{} pv {} -> {}", b.name, b.pv_cost, a.pv_cost);
        }
    }

    /// A hybrid that owns nothing costs exactly what the cloud option with the same offer costs.
    #[test]
    fn hybrid_without_owned_gpus_is_the_cloud_option(mut case in arb_case()) {
        for o in &mut case.options {
            if let Some(w) = o.owned.as_mut() {
                w.servers = 0;
            }
        }
        // Sensitive load is unmet in both; the cloud option never serves it either.
        let out = simulate(&case);
        let (cloud, hybrid) = (&out.options[0], &out.options[2]);
        prop_assert!(close(cloud.pv_cost, hybrid.pv_cost), "{} vs {}", cloud.pv_cost, hybrid.pv_cost);
        prop_assert!(close(cloud.total_cost, hybrid.total_cost));
        prop_assert!(close(cloud.unmet_gpu_hours, hybrid.unmet_gpu_hours));
        prop_assert!(close(cloud.energy_kwh, hybrid.energy_kwh));
    }

    /// A hybrid whose owned part covers the peak matches the on-prem option.
    #[test]
    fn hybrid_covering_the_peak_is_the_onprem_option(mut case in arb_case()) {
        let peak = demand_curves(&case).iter().map(|d| d.total.peak()).fold(0.0, f64::max);
        for o in &mut case.options {
            if let Some(w) = o.owned.as_mut() {
                let per_server = f64::from(w.gpus_per_server) * w.rel_throughput * w.availability;
                w.servers = (peak / per_server).ceil() as u32 + 1;
            }
            if let Some(c) = o.cloud.as_mut() {
                c.storage_tb = 0.0;
                c.egress_tb_per_month = 0.0;
                c.commitment = Commitment::None;
            }
        }
        let out = simulate(&case);
        let (onprem, hybrid) = (&out.options[1], &out.options[2]);
        prop_assert!(hybrid.served_cloud_gpu_hours.abs() < 1e-6 * (1.0 + hybrid.demand_gpu_hours));
        prop_assert!(close(onprem.pv_cost, hybrid.pv_cost), "{} vs {}", onprem.pv_cost, hybrid.pv_cost);
        prop_assert!(close(onprem.unmet_gpu_hours, hybrid.unmet_gpu_hours));
        prop_assert!(close(onprem.energy_kwh, hybrid.energy_kwh));
    }

    /// Discounting at rate 0 gives the nominal total.
    #[test]
    fn zero_rate_pv_is_the_nominal_total(mut case in arb_case()) {
        case.discount_rate = 0.0;
        let out = simulate(&case);
        for o in &out.options {
            prop_assert!(close(o.pv_cost, o.total_cost), "{}: {} vs {}", o.name, o.pv_cost, o.total_cost);
        }
    }
}

/// One flat workload on one cash-bought server, checked line by line against hand arithmetic.
#[test]
fn onprem_reference_case_by_hand() {
    let mut o = owned(1);
    o.availability = 1.0;
    o.cycle_months = None;
    o.staff_fte_fixed = 0.0;
    o.staff_fte_per_server = 0.0;
    o.software_per_gpu_year = 0.0;
    o.support_pct_per_year = 0.0;
    o.residual_value = 0.0;
    // 4 GPUs busy around the clock on an 8-GPU server: utilisation 0.5.
    let mut case = input(
        vec![workload(4.0 * 730.0, 0.0, "flat", false)],
        vec![option("own", Kind::OnPrem, Some(o), None)],
        12,
        0.0,
    );
    case.electricity_escalation_per_year = 0.0;
    let out = simulate(&case);
    let r = &out.options[0];
    // Power: 10.2 kW × (0.3 + 0.7 × 0.5) = 6.63 kW; × 730 h × PUE 1.4 = 6,775.86 kWh a month.
    let kwh_month = 10.2 * (0.3 + 0.7 * 0.5) * 730.0 * 1.4;
    assert!(close(r.energy_kwh, 12.0 * kwh_month));
    assert!(close(
        r.breakdown[Category::Energy as usize],
        12.0 * kwh_month * 0.09
    ));
    // Colocation: 10.2 kW × 180 per kW-month × 12.
    assert!(close(
        r.breakdown[Category::Colocation as usize],
        10.2 * 180.0 * 12.0
    ));
    assert!(close(r.breakdown[Category::Hardware as usize], 300_000.0));
    assert!(close(r.served_onprem_gpu_hours, 12.0 * 4.0 * 730.0));
    assert!(close(r.owned_utilization.unwrap(), 0.5));
    assert!(close(r.co2_t, 12.0 * kwh_month * 345.0 / 1e6));
    // Straight-line 5 years: 60,000 a year.
    assert!(close(r.depreciation, 60_000.0));
    assert!(close(
        r.total_cost,
        300_000.0 + 12.0 * (kwh_month * 0.09 + 10.2 * 180.0)
    ));
}

/// Cloud costs: committed capacity is paid whether used or not; the rest on-demand or spot.
#[test]
fn cloud_reference_case_by_hand() {
    let mut c = cloud();
    c.commitment = Commitment::Gpus(2);
    c.spot_share = 0.5;
    c.storage_tb = 0.0;
    c.egress_tb_per_month = 0.0;
    // Flat 3 GPUs: 2 committed, 1 GPU-hour per hour left, half on spot with 10% overhead.
    let case = input(
        vec![workload(3.0 * 730.0, 0.0, "flat", false)],
        vec![option("cloud", Kind::Cloud, None, Some(c))],
        1,
        0.0,
    );
    let r = &simulate(&case).options[0];
    assert!(close(
        r.breakdown[Category::CloudCommitted as usize],
        2.0 * 730.0 * 4.3
    ));
    assert!(close(
        r.breakdown[Category::CloudOnDemand as usize],
        0.5 * 730.0 * 6.88
    ));
    assert!(close(
        r.breakdown[Category::CloudSpot as usize],
        0.5 * 730.0 * 1.1 * 2.5
    ));
    assert!(close(r.served_cloud_gpu_hours, 3.0 * 730.0));
}

/// Sensitive load never leaves: unmet in a cloud option, and in a hybrid beyond owned capacity.
#[test]
fn sensitive_load_stays_on_prem() {
    let mut o = owned(1);
    o.availability = 1.0;
    // 12 GPUs of sensitive load, flat, against 8 owned GPUs.
    let case = input(
        vec![workload(12.0 * 730.0, 0.0, "flat", true)],
        vec![
            option("cloud", Kind::Cloud, None, Some(cloud())),
            option("hybrid", Kind::Hybrid, Some(o), Some(cloud())),
        ],
        2,
        0.05,
    );
    let out = simulate(&case);
    assert!(close(out.options[0].unmet_gpu_hours, 2.0 * 12.0 * 730.0));
    assert!(close(
        out.options[1].served_onprem_gpu_hours,
        2.0 * 8.0 * 730.0
    ));
    assert!(close(out.options[1].unmet_gpu_hours, 2.0 * 4.0 * 730.0));
    assert_eq!(out.options[1].served_cloud_gpu_hours, 0.0);
}

/// Loan: payments of the annuity formula, balance settled at the horizon.
#[test]
fn loan_balance_is_settled_at_the_horizon() {
    let mut o = owned(1);
    o.financing = Financing::Loan {
        annual_rate: 0.06,
        term_months: 36,
        down_payment: 0.2,
    };
    o.cycle_months = None;
    let case = input(
        vec![workload(1000.0, 0.0, "flat", false)],
        vec![option("own", Kind::OnPrem, Some(o), None)],
        12,
        0.0,
    );
    let r = &simulate(&case).options[0];
    // 240,000 financed at 6%/12 over 36 months: 24 × the textbook 304.22 per 10,000 = 7,301.26.
    let pmt = 240_000.0 * 0.005 / (1.0 - 1.005f64.powi(-36));
    assert!((pmt - 24.0 * 304.22).abs() < 24.0 * 0.005);
    let balance = 240_000.0 * 1.005f64.powi(12) - pmt * (1.005f64.powi(12) - 1.0) / 0.005;
    assert!(close(r.breakdown[Category::Hardware as usize], 60_000.0));
    assert!(close(
        r.breakdown[Category::Financing as usize],
        12.0 * pmt + balance
    ));
}

#[test]
fn payback_is_the_month_savings_stay_positive() {
    assert_eq!(payback(&[-5.0, -2.0, 1.0, 3.0]), Some(3));
    assert_eq!(payback(&[1.0, 2.0]), Some(1));
    assert_eq!(payback(&[-1.0, 1.0, -1.0, 2.0]), Some(4));
    assert_eq!(payback(&[-5.0, -1.0]), None);
    assert_eq!(payback(&[]), None);
}

// --- Work that waits and comparisons of equals (README Q1-Q7, F3a) -------------------------

/// Options of every kind against a bursty workload: 0 on-prem (2 servers), 1 cloud, 2 hybrid.
fn three_kinds() -> Vec<OptionIn> {
    vec![
        option("own", Kind::OnPrem, Some(owned(2)), None),
        option("rent", Kind::Cloud, None, Some(cloud())),
        option("mix", Kind::Hybrid, Some(owned(1)), Some(cloud())),
    ]
}

#[test]
fn the_hourly_path_without_waiting_agrees_with_the_load_duration_curves() {
    // Different prices of unserved work by workload route the model through the hours; with
    // nothing waiting, every figure must be what the curves give (to rounding).
    let mut bursty = workload(9_000.0, 0.3, "bursty", false);
    let mut private = workload(2_000.0, 0.1, "business-hours", true);
    let curves = simulate(&input(
        vec![bursty.clone(), private.clone()],
        three_kinds(),
        24,
        0.08,
    ));
    bursty.unserved_cost_per_gpu_hour = Some(10.0);
    private.unserved_cost_per_gpu_hour = Some(50.0);
    let priced = input(vec![bursty, private], three_kinds(), 24, 0.08);
    assert!(priced.hourly());
    let hours = simulate(&priced);
    for (a, b) in curves.options.iter().zip(&hours.options) {
        for (x, y) in a.months.iter().zip(&b.months) {
            assert!(
                close(x.served_onprem_gpu_hours, y.served_onprem_gpu_hours),
                "{}",
                a.name
            );
            assert!(
                close(x.served_cloud_gpu_hours, y.served_cloud_gpu_hours),
                "{}",
                a.name
            );
            assert!(close(x.unmet_gpu_hours, y.unmet_gpu_hours), "{}", a.name);
            assert_eq!(y.backlog_gpu_hours, 0.0);
        }
        // The price is in the PV, and the cash figures are those of the curves.
        assert!(close(a.cash_total(), b.cash_total()), "{}", a.name);
        assert!(b.pv_cost >= a.pv_cost - REL * a.pv_cost.abs(), "{}", a.name);
    }
    // The cloud option leaves all private work unmet, at 50 a GPU-hour.
    let rent = &hours.options[1];
    assert!(close(
        rent.breakdown[Category::Unserved as usize],
        50.0 * rent.unmet_gpu_hours
    ));
}

#[test]
fn waiting_work_is_conserved_month_by_month_and_served_later() {
    let mut batch = workload(30_000.0, 0.2, "bursty", false);
    batch.max_wait_hours = 48;
    let inp = input(
        vec![batch, workload(3_000.0, 0.0, "flat", true)],
        three_kinds(),
        36,
        0.08,
    );
    let out = simulate(&inp);
    let no_wait = {
        let mut i = inp.clone();
        i.workloads[0].max_wait_hours = 0;
        simulate(&i)
    };
    for (o, flat) in out.options.iter().zip(&no_wait.options) {
        let mut carried = 0.0;
        for r in &o.months {
            let out = r.served_onprem_gpu_hours
                + r.served_cloud_gpu_hours
                + r.unmet_gpu_hours
                + r.backlog_gpu_hours;
            assert!(
                close(carried + r.demand_gpu_hours, out),
                "{} month {}",
                o.name,
                r.month
            );
            assert!(r.served_after_wait_gpu_hours <= r.served_onprem_gpu_hours + 1e-9);
            carried = r.backlog_gpu_hours;
        }
        // Waiting can only serve more on-prem and leave less unmet or burst.
        assert!(o.served_onprem_gpu_hours >= flat.served_onprem_gpu_hours - 1e-6);
        assert!(o.unmet_gpu_hours <= flat.unmet_gpu_hours + 1e-6);
        assert!(o.served_cloud_gpu_hours <= flat.served_cloud_gpu_hours + 1e-6);
    }
    let own = &out.options[0];
    assert!(own.served_after_wait_gpu_hours > 0.0);
    let (mean, p95) = (own.mean_wait_hours.unwrap(), own.p95_wait_hours.unwrap());
    assert!(
        mean > 0.0 && mean <= p95 && p95 <= 48.0,
        "mean {mean}, P95 {p95}"
    );
}

#[test]
fn options_that_leave_work_unmet_are_compared_only_at_a_price() {
    let mut wl = workload(60_000.0, 0.0, "flat", false);
    let mut inp = input(vec![wl.clone()], three_kinds(), 24, 0.08);
    // The baseline (own, 2 servers, about 15.5 GPUs for a load of 82) leaves most unmet.
    let out = simulate(&inp);
    assert!(!serves_demand(&out.options[0]));
    assert_eq!(out.options[0].comparison, Comparison::Baseline);
    for o in &out.options[1..] {
        assert!(
            matches!(&o.comparison, Comparison::NotComparable(r) if r.contains("baseline `own`"))
        );
        assert_eq!(
            (o.savings_vs_baseline, o.roi, o.payback_month),
            (None, None, None)
        );
    }
    // The verdict ranks only the options that serve demand.
    let winner = out.verdict.winner.unwrap();
    assert!(winner != 0 && serves_demand(&out.options[winner]));
    assert!(!out.verdict.standings[0].in_running);
    // With a price, everyone compares and the unserved work is a cost of the baseline.
    wl.unserved_cost_per_gpu_hour = Some(20.0);
    inp.workloads = vec![wl];
    let priced = simulate(&inp);
    assert!(priced.verdict.priced && priced.verdict.standings.iter().all(|s| s.in_running));
    let own = &priced.options[0];
    assert!(close(
        own.breakdown[Category::Unserved as usize],
        20.0 * own.unmet_gpu_hours
    ));
    assert!(close(
        own.total_cost,
        out.options[0].total_cost + 20.0 * own.unmet_gpu_hours
    ));
    for o in &priced.options[1..] {
        assert_eq!(o.comparison, Comparison::Comparable);
        assert!(close(
            o.savings_vs_baseline.unwrap(),
            own.pv_cost - o.pv_cost
        ));
    }
}

#[test]
fn hourly_demand_is_the_same_bit_for_bit_with_and_without_avx2() {
    // `demand_hourly_into` runs a build of its loops for AVX2 where the processor has it;
    // `demand_hourly_in` here is the target's baseline build of the same loops.
    let workloads = vec![
        workload(45_000.0, 0.117, "bursty", false),
        workload(6_000.0, 0.05, "business-hours", true),
        workload(1_234.5, -0.3, "flat", false),
    ];
    let input = input(
        workloads,
        vec![option("o", Kind::Cloud, None, Some(cloud()))],
        30,
        0.1,
    );
    let (mut fast, mut plain) = (Vec::new(), Vec::new());
    super::demand_hourly_into(&input, &mut fast);
    super::demand_hourly_in(&input, &mut plain);
    assert_eq!(fast.len(), 30);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for (m, (a, b)) in fast.iter().zip(&plain).enumerate() {
        for (x, y) in [
            (&a.total, &b.total),
            (&a.sensitive, &b.sensitive),
            (&a.nonsensitive, &b.nonsensitive),
        ] {
            assert_eq!(bits(x.loads()), bits(y.loads()), "month {m}");
            assert_eq!(x.total().to_bits(), y.total().to_bits(), "month {m}");
            assert_eq!(x.peak().to_bits(), y.peak().to_bits(), "month {m}");
            for k in 0..=40 {
                let c = x.peak() * k as f64 / 37.0;
                assert_eq!(x.served(c).to_bits(), y.served(c).to_bits(), "month {m}");
            }
        }
    }
}

/// The months' curves are built in parallel where there are several threads: the same curves,
/// in month order, as on one thread (which builds them one by one).
#[test]
fn demand_curves_do_not_depend_on_the_threads() {
    let case = input(
        vec![
            workload(5000.0, 0.3, "business-hours", false),
            workload(800.0, 0.1, "flat", true),
        ],
        three_kinds(),
        36,
        0.08,
    );
    let on = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| demand_curves(&case))
    };
    let (one, two) = (on(1), on(2));
    assert_eq!((one.len(), two.len()), (36, 36));
    for (a, b) in one.iter().zip(&two) {
        assert_eq!(a.total, b.total);
        assert_eq!(a.sensitive, b.sensitive);
        assert_eq!(a.nonsensitive, b.nonsensitive);
        assert_eq!(a.hourly_total, b.hourly_total);
        assert_eq!(a.hourly_sensitive, b.hourly_sensitive);
    }
    // Growth makes every month's demand differ, so the order is checked too.
    assert!(
        one.windows(2)
            .all(|w| w[0].total.total() < w[1].total.total())
    );
}

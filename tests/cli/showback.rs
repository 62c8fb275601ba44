//! Teams and showback (README B1–B4): each option's cost shared among teams by what their
//! workloads used, against shares worked out by hand.

use crate::support::{Scratch, arg, assert_close, number, option_named, run_json_of, run_rejected};
use serde_json::Value;

/// A one-month scenario at no discount with `workloads` and one 8-GPU H100 server at full
/// availability as `onprem`, `hybrid` (with the Lambda H100 offer) and a `cloud` option.
fn scenario(head: &str, workloads: &str) -> String {
    format!(
        "name = \"showback\"\nhorizon_months = 1\nstart = \"2027-01\"\ndiscount_rate = 0.0\n\
         reference_accelerator = \"h100-sxm\"\n{head}\n{workloads}\n\
         [[option]]\nname = \"own\"\nkind = \"onprem\"\nserver = \"hgx-h100-oem\"\nservers = 1\n\
         site = \"us-tx-colo\"\navailability = 1.0\n\n\
         [[option]]\nname = \"burst\"\nkind = \"hybrid\"\nserver = \"hgx-h100-oem\"\nservers = 1\n\
         site = \"us-tx-colo\"\navailability = 1.0\noffer = \"lambda-gpu_8x_h100_sxm5\"\n\n\
         [[option]]\nname = \"cloud\"\nkind = \"cloud\"\noffer = \"lambda-gpu_8x_h100_sxm5\"\n"
    )
}

/// A flat workload of `per_hour` reference GPUs for `team`, with extra keys.
fn workload(name: &str, team: &str, per_hour: f64, extra: &str) -> String {
    format!(
        "[[workload]]\nname = \"{name}\"\nteam = \"{team}\"\ngpu_hours_per_month = {}\n\
         profile = \"flat\"\n{extra}\n",
        per_hour * 730.0
    )
}

fn run_json(text: &str) -> Value {
    run_json_of(&Scratch::new(), text)
}

/// The team `name` of an option's showback (or `idle`).
fn team<'a>(o: &'a Value, name: &str) -> &'a Value {
    let s = &o["showback"];
    if name == "idle" {
        return &s["idle"];
    }
    s["teams"]
        .as_array()
        .expect("teams")
        .iter()
        .find(|t| t["team"] == name)
        .unwrap_or_else(|| panic!("no team {name}"))
}

/// Owned costs of an option: every category but the cloud's and unserved work.
fn owned_cost(o: &Value) -> f64 {
    let b = &o["breakdown"];
    [
        "hardware",
        "financing",
        "residual_value",
        "lease",
        "energy",
        "colocation",
        "staff",
        "support",
        "software",
    ]
    .iter()
    .map(|k| number(b, k))
    .sum()
}

#[test]
fn owned_capacity_is_shared_by_use_with_idle_separate_or_shared() {
    // 2 + 3 of 8 GPUs used all month: a quarter and three eighths, three eighths idle.
    let workloads = format!(
        "{}{}",
        workload("a", "alpha", 2.0, ""),
        workload("b", "beta", 3.0, "")
    );
    let doc = run_json(&scenario("", &workloads));
    let own = option_named(&doc, "own");
    let cost = owned_cost(own);
    assert_close(number(own, "total_cost"), cost, "all owned");
    assert_close(
        number(team(own, "alpha"), "cost"),
        cost * 2.0 / 8.0,
        "alpha",
    );
    assert_close(number(team(own, "beta"), "cost"), cost * 3.0 / 8.0, "beta");
    assert_close(number(team(own, "idle"), "cost"), cost * 3.0 / 8.0, "idle");
    assert_close(
        number(team(own, "idle"), "onprem_gpu_hours"),
        3.0 * 730.0,
        "idle GPU-hours",
    );
    assert_close(number(team(own, "alpha"), "share"), 0.25, "alpha's share");
    assert_eq!(own["showback"]["idle_mode"], "separate");
    // At no discount the present value is the nominal cost.
    assert_close(
        number(team(own, "beta"), "pv_cost"),
        cost * 3.0 / 8.0,
        "beta PV",
    );

    let doc = run_json(&scenario("[showback]\nidle = \"shared\"\n", &workloads));
    let own = option_named(&doc, "own");
    assert_close(
        number(team(own, "alpha"), "cost"),
        cost * 2.0 / 5.0,
        "alpha, idle shared",
    );
    assert_close(
        number(team(own, "beta"), "cost"),
        cost * 3.0 / 5.0,
        "beta, idle shared",
    );
    assert_close(number(team(own, "idle"), "cost"), 0.0, "nothing left idle");
}

/// With tax, what is shown back is the cost before tax (TX4): the shares are of that, and the
/// teams and idle line still add up to 100%.
#[test]
fn shares_are_of_the_cost_before_tax() {
    let workloads = format!(
        "{}{}",
        workload("a", "alpha", 2.0, ""),
        workload("b", "beta", 3.0, "")
    );
    let doc = run_json(&scenario("[tax]\nrate = 0.25\n", &workloads));
    for name in ["own", "cloud"] {
        let o = option_named(&doc, name);
        let shown: f64 = ["alpha", "beta", "idle"]
            .iter()
            .map(|t| number(team(o, t), "cost"))
            .sum();
        assert!(
            (number(o, "total_cost") - shown).abs() > 1.0,
            "{name}: tax should move the total away from the cost shown back"
        );
        let shares: f64 = ["alpha", "beta", "idle"]
            .iter()
            .map(|t| number(team(o, t), "share"))
            .sum();
        assert_close(shares, 1.0, &format!("{name}: shares add up"));
    }
    let own = option_named(&doc, "own");
    assert_close(number(team(own, "alpha"), "share"), 0.25, "alpha's share");
    assert_close(number(team(own, "idle"), "share"), 0.375, "idle share");
    let cloud = option_named(&doc, "cloud");
    assert_close(
        number(team(cloud, "beta"), "share"),
        0.6,
        "beta's cloud share",
    );
}

/// A cost the teams were given all of leaves nothing idle: not the rounding of one less the
/// sum of their shares, which added up to 2e-11 over a year of three teams in the cloud.
#[test]
fn a_cost_shared_out_whole_leaves_exactly_nothing_idle() {
    let workloads = format!(
        "{}{}{}",
        workload("a", "alpha", 1.0, ""),
        workload("b", "beta", 4.0, ""),
        workload("c", "gamma", 1.0, "")
    );
    let text = scenario("", &workloads).replace("horizon_months = 1", "horizon_months = 12");
    let doc = run_json(&text);
    let cloud = option_named(&doc, "cloud");
    assert_eq!(number(team(cloud, "idle"), "cost"), 0.0);
    assert_eq!(number(team(cloud, "idle"), "pv_cost"), 0.0);
}

#[test]
fn overflow_is_shared_in_proportion_and_sensitive_load_comes_first() {
    let price = 31.92 / 8.0;
    // 6 + 4 GPUs on 8: each gets 80% on-prem, the other 2 burst in proportion (1.2 and 0.8).
    let doc = run_json(&scenario(
        "",
        &format!(
            "{}{}",
            workload("a", "alpha", 6.0, ""),
            workload("b", "beta", 4.0, "")
        ),
    ));
    let burst = option_named(&doc, "burst");
    let owned = owned_cost(burst);
    let a = team(burst, "alpha");
    assert_close(number(a, "onprem_gpu_hours"), 4.8 * 730.0, "alpha on-prem");
    assert_close(number(a, "cloud_gpu_hours"), 1.2 * 730.0, "alpha cloud");
    assert_close(number(a, "owned_cost"), owned * 4.8 / 8.0, "alpha owned");
    assert_close(
        number(a, "cloud_cost"),
        1.2 * 730.0 * price,
        "alpha cloud cost",
    );
    assert_close(number(team(burst, "idle"), "cost"), 0.0, "no idle");
    let own = option_named(&doc, "own");
    assert_close(
        number(team(own, "beta"), "unmet_gpu_hours"),
        0.8 * 730.0,
        "beta unmet on-prem",
    );

    // Sensitive alpha is served first: all 6 on-prem; beta gets the other 2 and bursts 2. A
    // cloud leaves alpha unmet, at its price.
    let doc = run_json(&scenario(
        "unserved_cost_per_gpu_hour = 10.0\n",
        &format!(
            "{}{}",
            workload("a", "alpha", 6.0, "sensitive = true"),
            workload("b", "beta", 4.0, "")
        ),
    ));
    let burst = option_named(&doc, "burst");
    let owned = owned_cost(burst);
    assert_close(
        number(team(burst, "alpha"), "owned_cost"),
        owned * 6.0 / 8.0,
        "alpha owned",
    );
    assert_close(
        number(team(burst, "beta"), "cloud_gpu_hours"),
        2.0 * 730.0,
        "beta cloud",
    );
    assert_close(
        number(team(burst, "beta"), "cloud_cost"),
        number(burst, "total_cost") - owned,
        "beta cloud cost",
    );
    let cloud = option_named(&doc, "cloud");
    let a = team(cloud, "alpha");
    assert_close(
        number(a, "unmet_gpu_hours"),
        6.0 * 730.0,
        "alpha unmet in a cloud",
    );
    assert_close(
        number(a, "unserved_cost"),
        6.0 * 730.0 * 10.0,
        "alpha's unserved work",
    );
    assert_close(
        number(team(cloud, "beta"), "cloud_cost"),
        4.0 * 730.0 * price,
        "beta in the cloud",
    );
}

#[test]
fn on_prem_shares_the_capacity_in_proportion_whether_or_not_the_hours_are_walked() {
    // 6 sensitive + 4 other GPUs on 8, on-prem: each workload gets 80% of its load (M4, B1),
    // also when a price of its own makes the model walk the hours (Q2), so that a price changes
    // what unmet work costs, never what is served. A hybrid still serves the sensitive first.
    for price_b in ["", "unserved_cost_per_gpu_hour = 100.0"] {
        let doc = run_json(&scenario(
            "unserved_cost_per_gpu_hour = 10.0\n",
            &format!(
                "{}{}",
                workload("a", "alpha", 6.0, "sensitive = true"),
                workload("b", "beta", 4.0, price_b)
            ),
        ));
        let own = option_named(&doc, "own");
        let (a, b) = (team(own, "alpha"), team(own, "beta"));
        assert_close(number(a, "onprem_gpu_hours"), 4.8 * 730.0, "alpha on-prem");
        assert_close(number(b, "onprem_gpu_hours"), 3.2 * 730.0, "beta on-prem");
        assert_close(number(a, "unmet_gpu_hours"), 1.2 * 730.0, "alpha unmet");
        assert_close(number(b, "unmet_gpu_hours"), 0.8 * 730.0, "beta unmet");
        let beta_price = if price_b.is_empty() { 10.0 } else { 100.0 };
        assert_close(
            number(&own["breakdown"], "unserved"),
            1.2 * 730.0 * 10.0 + 0.8 * 730.0 * beta_price,
            "unserved work priced by workload",
        );
        let burst = option_named(&doc, "burst");
        assert_close(
            number(team(burst, "alpha"), "onprem_gpu_hours"),
            6.0 * 730.0,
            "the sensitive first in a hybrid",
        );
        assert_close(
            number(team(burst, "beta"), "cloud_gpu_hours"),
            2.0 * 730.0,
            "the rest bursts",
        );
    }
}

#[test]
fn waiting_work_is_shown_back_from_the_queue() {
    // Interactive beta (4) is served first in every hour; alpha (6, may wait a day) gets the
    // other 4 each hour and what waits longer is unmet.
    let doc = run_json(&scenario(
        "",
        &format!(
            "{}{}",
            workload("a", "alpha", 6.0, "max_wait_hours = 24"),
            workload("b", "beta", 4.0, "")
        ),
    ));
    let own = option_named(&doc, "own");
    assert_close(
        number(team(own, "beta"), "onprem_gpu_hours"),
        4.0 * 730.0,
        "beta on-prem",
    );
    assert_close(
        number(team(own, "alpha"), "onprem_gpu_hours"),
        4.0 * 730.0,
        "alpha on-prem",
    );
    assert_close(
        number(team(own, "alpha"), "unmet_gpu_hours"),
        number(own, "unmet_gpu_hours"),
        "all unmet is alpha's",
    );
    assert_close(
        number(team(own, "alpha"), "cost"),
        number(own, "total_cost") / 2.0,
        "half each",
    );
}

#[test]
fn showback_is_off_without_teams_and_checked() {
    let doc = run_json(&scenario(
        "",
        "[[workload]]\nname = \"w\"\ngpu_hours_per_month = 100\nprofile = \"flat\"\n",
    ));
    assert!(option_named(&doc, "own")["showback"].is_null());
    let scratch = Scratch::new();
    let text = scenario(
        "[showback]\nidle = \"share\"\n",
        &workload("a", "alpha", 1.0, ""),
    );
    let path = scratch.write("bad.toml", &text);
    run_rejected(
        &[arg(&path)],
        &["unknown idle rule `share`", "showback.idle", "shared"],
    );
    let text = scenario("", &workload("a", " ", 1.0, ""));
    let path = scratch.write("bad.toml", &text);
    run_rejected(&[arg(&path)], &["`team` is empty", "workload[0].team"]);
    // A team named as the showback's own lines could not be told from them.
    for name in ["idle capacity", "Idle", "(no team)"] {
        let text = scenario("", &workload("a", name, 1.0, ""));
        let path = scratch.write("bad.toml", &text);
        run_rejected(
            &[arg(&path)],
            &[
                &format!("`team` \"{name}\" names a line of the showback"),
                "workload[0].team",
                "a team name other than `idle`, `idle capacity` and `(no team)`",
            ],
        );
    }
}

//! The verdict: which option to choose, by how much, and why the others are out of the running
//! (README "Reading the output"). One object that every output carries, so that CI tools read
//! the decision instead of re-implementing the rule.

use super::{Input, OptionResult, serves_demand};

/// The decision of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Unserved work has a price, so every option is ranked by PV, its unserved work included
    /// (README Q7); otherwise only the options that serve their demand are.
    pub priced: bool,
    /// Whether some option serves all its demand.
    pub any_serves: bool,
    /// The cheapest option in the running; `None` only without options.
    pub winner: Option<usize>,
    /// The next cheapest in the running, if any.
    pub runner_up: Option<usize>,
    /// PV of the runner-up less PV of the winner [scenario currency].
    pub margin: Option<f64>,
    /// Every option's standing, in scenario order.
    pub standings: Vec<Standing>,
}

/// Where one option stands in the verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    pub serves_demand: bool,
    /// Unmet GPU-hours as a share of demand.
    pub unmet_share: f64,
    /// Whether it is ranked at all.
    pub in_running: bool,
    /// Why it is out of the running (`leaves 60.0% of demand unmet`), or why it is ranked
    /// although it leaves work unmet.
    pub reason: Option<String>,
}

/// The verdict of `options`: with a price for unserved work, the cheapest of all by PV; without,
/// the cheapest of those that serve their demand, or of all (said so) when none does.
pub fn verdict(input: &Input, options: &[OptionResult]) -> Verdict {
    let priced = input.unserved_priced();
    let any_serves = options.iter().any(serves_demand);
    let standings: Vec<Standing> = options
        .iter()
        .map(|o| {
            let serves = serves_demand(o);
            let share = o.unmet_share();
            let unmet = format!("leaves {:.1}% of demand unmet", 100.0 * share);
            let (in_running, reason) = if serves {
                (true, None)
            } else if priced {
                (true, Some(format!("{unmet}, priced as unserved work")))
            } else if any_serves {
                (false, Some(unmet))
            } else {
                (true, Some(format!("{unmet}; no option serves all demand")))
            };
            Standing {
                serves_demand: serves,
                unmet_share: share,
                in_running,
                reason,
            }
        })
        .collect();
    let mut ranked: Vec<usize> = (0..options.len())
        .filter(|&i| standings[i].in_running)
        .collect();
    ranked.sort_by(|&a, &b| {
        options[a]
            .pv_cost
            .total_cmp(&options[b].pv_cost)
            .then(a.cmp(&b))
    });
    let winner = ranked.first().copied();
    let runner_up = ranked.get(1).copied();
    let margin = winner
        .zip(runner_up)
        .map(|(w, r)| options[r].pv_cost - options[w].pv_cost);
    Verdict {
        priced,
        any_serves,
        winner,
        runner_up,
        margin,
        standings,
    }
}

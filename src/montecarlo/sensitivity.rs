//! One-at-a-time sensitivity: each uncertain input swung between its P10 and P90 while every
//! other input stays at its median (correlations do not apply here); the swing of an option's
//! PV cost ranks the inputs for the tornado chart.

use super::engine::evaluate;
use super::uncertain::Uncertainty;
use crate::model::{self, Input, MonthDemand};

#[derive(Debug, Clone, PartialEq)]
pub struct Swing {
    pub path: String,
    /// The input at its P10 and P90.
    pub low_input: f64,
    pub high_input: f64,
    /// PV cost of every option with the input at P10 and at P90.
    pub low_pv: Vec<f64>,
    pub high_pv: Vec<f64>,
}

impl Swing {
    /// |PV(P90) − PV(P10)| of option `o`.
    pub fn swing(&self, o: usize) -> f64 {
        (self.high_pv[o] - self.low_pv[o]).abs()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sensitivity {
    /// The option the inputs are ranked for.
    pub focus: usize,
    /// PV cost of every option with all inputs at their medians.
    pub base_pv: Vec<f64>,
    /// Sorted by the focus option's swing, largest first (ties by path).
    pub swings: Vec<Swing>,
}

pub fn run(input: &Input, uncertainty: &Uncertainty, focus: usize) -> Sensitivity {
    run_on(input, &model::demand_curves(input), uncertainty, focus)
}

/// [`run`] with the scenario's demand curves `months` ([`model::demand_curves`] of `input`)
/// built once by the caller.
pub fn run_on(
    input: &Input,
    months: &[MonthDemand],
    uncertainty: &Uncertainty,
    focus: usize,
) -> Sensitivity {
    let medians: Vec<f64> = uncertainty
        .inputs
        .iter()
        .map(|u| u.distribution.median())
        .collect();
    let mut scratch = input.clone();
    let pvs = |values: &[f64], scratch: &mut Input| -> Vec<f64> {
        evaluate(uncertainty, scratch, months, values)
            .options
            .iter()
            .map(|o| o.pv_cost)
            .collect()
    };
    let base_pv = pvs(&medians, &mut scratch);
    let mut swings: Vec<Swing> = uncertainty
        .inputs
        .iter()
        .enumerate()
        .map(|(k, u)| {
            let mut values = medians.clone();
            let (low_input, high_input) = (u.distribution.p10(), u.distribution.p90());
            values[k] = low_input;
            let low_pv = pvs(&values, &mut scratch);
            values[k] = high_input;
            let high_pv = pvs(&values, &mut scratch);
            Swing {
                path: u.path.clone(),
                low_input,
                high_input,
                low_pv,
                high_pv,
            }
        })
        .collect();
    swings.sort_by(|a, b| {
        b.swing(focus)
            .total_cmp(&a.swing(focus))
            .then_with(|| a.path.cmp(&b.path))
    });
    Sensitivity {
        focus,
        base_pv,
        swings,
    }
}

//! Robustness: any value in any numeric field of the example scenarios either resolves to a
//! model whose every output is finite, or is rejected with an error; nothing panics.

use super::*;
use crate::catalog::Catalog;
use proptest::prelude::*;

const EXAMPLES: [&str; 4] = [
    include_str!("../../scenarios/enterprise-llm-frankfurt.toml"),
    include_str!("../../scenarios/startup-finetune.toml"),
    include_str!("../../scenarios/inference-fleet.toml"),
    include_str!("../../scenarios/us-tax-depreciation.toml"),
];

fn arb_number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("1e300".to_string()),
        Just("-1e300".to_string()),
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just("\"text\"".to_string()),
        (-1e6..1e6f64).prop_map(|v| format!("{v:e}")),
        (0u32..1000).prop_map(|v| v.to_string()),
    ]
}

/// Replaces the value of the `nth` `key = number` line (wrapping around) with `value`.
fn mutate(text: &str, nth: usize, value: &str) -> String {
    let numeric: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            l.split_once('=')
                .map(|(_, v)| {
                    v.split_whitespace()
                        .next()
                        .unwrap_or("")
                        .parse::<f64>()
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .map(|(i, _)| i)
        .collect();
    let target = numeric[nth % numeric.len()];
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            if i == target {
                let (key, _) = l.split_once('=').unwrap_or((l, ""));
                format!("{key}= {value}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    #[test]
    fn any_number_in_any_field_is_finite_or_rejected(example in 0usize..EXAMPLES.len(), nth in 0usize..200, value in arb_number()) {
        let catalog = Catalog::builtin().expect("built-in catalogs load");
        let text = mutate(EXAMPLES[example], nth, &value);
        let base_dir = Some(std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios")));
        let source = Source { display: "mutated.toml".into(), text, base_dir };
        if let Ok(resolved) = resolve(&source, &catalog) {
            let out = crate::model::simulate(&resolved.input);
            for o in &out.options {
                let values = [o.pv_cost, o.total_cost, o.energy_kwh, o.co2_t, o.unmet_gpu_hours, o.depreciation];
                prop_assert!(values.iter().all(|v| v.is_finite()), "{}: {values:?}", o.name);
                prop_assert!(o.months.iter().all(|m| m.cash_out().is_finite() && m.demand_gpu_hours.is_finite()));
                prop_assert!(o.roi.is_none_or(f64::is_finite) && o.irr.is_none_or(|i| i.annual.is_finite()));
                prop_assert!(o.cost_per_gpu_hour.is_none_or(f64::is_finite));
            }
            prop_assert!(out.first_non_finite().is_none(), "{:?}", out.first_non_finite());
            // Uncertain inputs: anything accepted samples to finite statistics.
            if let Ok(u) = crate::montecarlo::uncertain::Uncertainty::build(&source, &resolved, &catalog) && !u.is_empty() {
                    let mc = crate::montecarlo::engine::run(&resolved.input, &u, 8, 3, &|_| {});
                    for o in &mc.options {
                        for s in o.metrics.iter().flatten() {
                            prop_assert!(s.mean.is_finite() && s.sd.is_none_or(f64::is_finite) && s.quantiles.iter().all(|q| q.is_finite()));
                        }
                        prop_assert!(o.fan.iter().all(|(_, q)| q.iter().all(|v| v.is_finite())));
                    }
            }
        }
    }
}

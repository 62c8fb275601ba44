//! A replay set up from an option of a scenario (`tcosim replay --scenario FILE --option
//! NAME`): its owned servers are the cluster, its cloud offer prices the burst, and a hybrid
//! bursts what would wait longer than its workloads may (README "Trace replay").

use super::stats::Pricing;
use super::{Burst, Cluster};
use crate::catalog::Catalog;
use crate::error::InputError;
use crate::model::Kind;
use crate::scenario::Resolved;

/// What an option of a scenario gives a replay.
#[derive(Debug, Clone)]
pub struct FromOption {
    pub option: String,
    pub cluster: Cluster,
    /// The option's cloud offer at its on-demand price, for a hybrid.
    pub pricing: Option<Pricing>,
    /// `never` for an `onprem` option; for a hybrid, `after=` the shortest `max_wait_hours`
    /// of the scenario's workloads (`immediate` when that is 0).
    pub burst: Burst,
}

/// The replay of option `name` of the scenario `resolved` (read from `shown`).
pub fn from_option(
    resolved: &Resolved,
    catalog: &Catalog,
    shown: &str,
    name: &str,
) -> Result<FromOption, InputError> {
    let names: Vec<&str> = resolved
        .input
        .options
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    let Some(i) = names.iter().position(|n| *n == name) else {
        return Err(
            InputError::new("--option", format!("unknown option `{name}`"))
                .expected(format!("the name of an option of {shown}"))
                .found(crate::limits::quoted(name))
                .hint_nearest("the options are", name, names.iter().copied()),
        );
    };
    let option = &resolved.input.options[i];
    let owned = option
        .owned
        .as_ref()
        .filter(|o| o.servers > 0 && o.gpus_per_server > 0);
    let Some(owned) = owned else {
        return Err(
            InputError::new("--option", format!("option `{name}` owns no servers"))
                .expected("an `onprem` or `hybrid` option with servers, the cluster to replay on")
                .found(format!("a `{}` option", kind_name(option.kind))),
        );
    };
    let cluster = Cluster {
        nodes: owned.servers,
        gpus_per_node: owned.gpus_per_server,
    };
    let (pricing, burst) = match option.kind {
        Kind::Hybrid => {
            let offer = resolved
                .option_links
                .get(i)
                .and_then(|l| l.offer.as_ref())
                .and_then(|l| catalog.offer(&l.id));
            let pricing = offer.map(|o| Pricing {
                offer: o.id.clone(),
                usd_per_gpu_hour: o.on_demand_usd_per_hour / f64::from(o.accelerator_count.max(1)),
            });
            // A trace workload's jobs wait by their own limit.
            let wait_s = resolved
                .input
                .workloads
                .iter()
                .map(|w| match &w.trace {
                    Some(t) => t.max_wait_s,
                    None => i64::from(w.max_wait_hours) * 3600,
                })
                .min()
                .unwrap_or(0);
            (pricing, Burst::After(wait_s))
        }
        _ => (None, Burst::Never),
    };
    Ok(FromOption {
        option: name.to_string(),
        cluster,
        pricing,
        burst,
    })
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::OnPrem => "onprem",
        Kind::Cloud => "cloud",
        Kind::Hybrid => "hybrid",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Source, resolve};

    fn resolved(text: &str) -> (Resolved, Catalog) {
        let catalog = Catalog::load::<&str>(&[]).expect("built-in catalogs");
        let source = Source {
            display: "s.toml".to_string(),
            text: text.to_string(),
            base_dir: None,
        };
        (
            resolve(&source, &catalog).expect("a valid scenario"),
            catalog,
        )
    }

    const TEXT: &str = "name = \"x\"\nhorizon_months = 12\nstart = \"2027-01\"\ndiscount_rate = 0.05\n\
        reference_accelerator = \"h100-sxm\"\n\n\
        [[workload]]\nname = \"a\"\ngpu_hours_per_month = 1000\nprofile = \"flat\"\nmax_wait_hours = 6\n\n\
        [[workload]]\nname = \"b\"\ngpu_hours_per_month = 1000\nprofile = \"flat\"\nmax_wait_hours = 2\n\n\
        [[option]]\nname = \"own\"\nkind = \"onprem\"\nserver = \"hgx-h100-oem\"\nservers = 12\nsite = \"us-tx-colo\"\n\n\
        [[option]]\nname = \"mix\"\nkind = \"hybrid\"\nserver = \"hgx-h100-oem\"\nservers = 4\nsite = \"us-tx-colo\"\n\
        offer = \"aws-p5.48xlarge-us-east-1\"\n\n\
        [[option]]\nname = \"rent\"\nkind = \"cloud\"\noffer = \"aws-p5.48xlarge-us-east-1\"\n";

    #[test]
    fn an_owned_option_is_the_cluster_and_never_bursts() {
        let (r, c) = resolved(TEXT);
        let got = from_option(&r, &c, "s.toml", "own").expect("an owned option");
        assert_eq!(
            got.cluster,
            Cluster {
                nodes: 12,
                gpus_per_node: 8
            }
        );
        assert_eq!(got.burst, Burst::Never);
        assert!(got.pricing.is_none());
    }

    #[test]
    fn a_hybrid_bursts_after_the_shortest_wait_at_its_offers_price() {
        let (r, c) = resolved(TEXT);
        let got = from_option(&r, &c, "s.toml", "mix").expect("a hybrid");
        assert_eq!(got.cluster.nodes, 4);
        assert_eq!(got.burst, Burst::After(2 * 3600));
        let offer = c.offer("aws-p5.48xlarge-us-east-1").expect("the offer");
        let pricing = got.pricing.expect("priced");
        assert_eq!(pricing.offer, offer.id);
        assert_eq!(
            pricing.usd_per_gpu_hour,
            offer.on_demand_usd_per_hour / f64::from(offer.accelerator_count)
        );
    }

    #[test]
    fn a_cloud_option_or_an_unknown_name_is_refused() {
        let (r, c) = resolved(TEXT);
        let e = from_option(&r, &c, "s.toml", "rent").expect_err("no servers");
        assert!(e.problem.contains("owns no servers"), "{e}");
        assert!(e.to_string().contains("a `cloud` option"), "{e}");
        let e = from_option(&r, &c, "s.toml", "mixx").expect_err("unknown");
        assert!(e.to_string().contains("`mix`"), "{e}");
    }
}

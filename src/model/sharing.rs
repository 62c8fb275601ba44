//! Shared GPUs (README SG1–SG5): how much GPU capacity the jobs of a workload that needs a
//! fraction of a GPU hold on an option's GPUs, and the hourly held loads of each option.

use super::{HOURS_PER_MONTH, Input, Kind, MonthDemand, OptionIn};
use std::sync::Arc;

/// How an owned option shares its GPUs among jobs that need less than one (SG2).
#[derive(Debug, Clone, PartialEq)]
pub enum Sharing {
    /// One job per GPU.
    None,
    /// Jobs take turns on a GPU; `efficiency` is the share of its time left to their work.
    TimeSlicing { efficiency: f64 },
    /// Multi-Instance GPU: `profiles` as `[slices, instances]` of a GPU of `slices` slices.
    Mig {
        slices: u32,
        profiles: Arc<[[u32; 2]]>,
    },
}

/// An accelerator's Multi-Instance GPU layout (catalog `mig_slices`, `mig_profiles`): the
/// slices of one GPU and its profiles as `[slices, instances]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MigProfiles {
    pub slices: u32,
    pub profiles: Arc<[[u32; 2]]>,
}

impl Sharing {
    /// The way of sharing of GPUs with MIG layout `mig` for an option that shares as `self`
    /// (SG2): MIG on that layout, or whole GPUs where the GPUs have none (after a refresh to
    /// hardware without MIG, G1); time-slicing and none as they are.
    pub fn on(&self, mig: Option<&MigProfiles>) -> Sharing {
        match (self, mig) {
            (Sharing::Mig { .. }, Some(m)) => Sharing::Mig {
                slices: m.slices,
                profiles: Arc::clone(&m.profiles),
            },
            (Sharing::Mig { .. }, None) => Sharing::None,
            (other, _) => other.clone(),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Sharing::None => "none",
            Sharing::TimeSlicing { .. } => "time-slicing",
            Sharing::Mig { .. } => "mig",
        }
    }
}

/// The smallest `gpu_fraction` (README SG1): a thousandth of a reference GPU, so that the
/// capacity a job holds per unit of its work stays within a few tens of thousands.
pub const MIN_GPU_FRACTION: f64 = 0.001;

/// A share within this relative tolerance of a slice fits it (a fraction written as a rounded
/// decimal of 1/7 still fits a 1/7 slice).
const FIT: f64 = 1e-9;

/// GPUs one job holds when it needs the share `s` of one (SG2): whole GPUs when it needs more
/// than one; else one GPU without sharing, `min(s / efficiency, 1)` time-sliced, and with MIG
/// 1 / instances of the smallest profile whose slices hold `s` (1 when none does).
pub fn held(s: f64, sharing: &Sharing) -> f64 {
    if s > 1.0 + FIT {
        return (s * (1.0 - FIT)).ceil();
    }
    match sharing {
        Sharing::None => 1.0,
        Sharing::TimeSlicing { efficiency } => (s / efficiency).min(1.0),
        Sharing::Mig { slices, profiles } => profiles
            .iter()
            .find(|[p, _]| f64::from(*p) / f64::from(*slices) >= s * (1.0 - FIT))
            .map_or(1.0, |[_, instances]| 1.0 / f64::from(*instances)),
    }
}

/// φ, the GPU capacity a workload whose jobs each need `fraction` of a reference GPU holds per
/// unit of its work on GPUs of relative throughput `rel` (SG2): held(s) / s with s =
/// fraction / rel; 1 for a workload without a fraction.
pub fn inflation(fraction: Option<f64>, rel: f64, sharing: &Sharing) -> f64 {
    match fraction {
        Some(f) if f > 0.0 && rel > 0.0 => {
            let s = f / rel;
            held(s, sharing) / s
        }
        _ => 1.0,
    }
}

/// The inflation of every workload of an option (SG2): on its owned GPUs, on its offer's GPUs,
/// and on its fractional offer's GPUs; a workload's cloud work goes to the offer whose inflation
/// is not 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Inflations {
    pub owned: Vec<f64>,
    pub cloud: Vec<f64>,
    pub small: Vec<f64>,
}

/// The inflations of every workload of `input` on option `option`, or `None` when every one
/// is 1 on its own GPUs and no fractional offer serves any.
pub fn inflations(input: &Input, option: &OptionIn) -> Option<Inflations> {
    let mut x = Inflations {
        owned: Vec::new(),
        cloud: Vec::new(),
        small: Vec::new(),
    };
    for w in &input.workloads {
        x.owned.push(option.owned.as_ref().map_or(1.0, |o| {
            inflation(w.gpu_fraction, o.rel_throughput, &o.sharing)
        }));
        let small = option
            .cloud
            .as_ref()
            .and_then(|c| c.fractional.as_deref())
            .filter(|_| w.gpu_fraction.is_some());
        match (small, option.cloud.as_ref()) {
            (Some(s), _) => {
                x.cloud.push(0.0);
                x.small
                    .push(inflation(w.gpu_fraction, s.rel_throughput, &Sharing::None));
            }
            (None, c) => {
                x.cloud.push(c.map_or(1.0, |c| {
                    inflation(w.gpu_fraction, c.rel_throughput, &Sharing::None)
                }));
                x.small.push(0.0);
            }
        }
    }
    let any =
        x.owned.iter().chain(&x.cloud).any(|v| *v != 1.0) || x.small.iter().any(|v| *v != 0.0);
    any.then_some(x)
}

impl Inflations {
    /// Every workload's work held as it is, on the owned GPUs and the offer's.
    pub fn ones(workloads: usize) -> Inflations {
        Inflations {
            owned: vec![1.0; workloads],
            cloud: vec![1.0; workloads],
            small: vec![0.0; workloads],
        }
    }

    /// Every figure, for a cache key.
    pub fn bits(&self) -> impl Iterator<Item = u64> + '_ {
        self.owned
            .iter()
            .chain(&self.cloud)
            .chain(&self.small)
            .map(|v| v.to_bits())
    }
}

/// One month of an option's held loads [reference GPUs]: on its owned GPUs, all and the
/// sensitive part, and of the part that may leave the building, on its offer's GPUs and on its
/// fractional offer's (SG3).
#[derive(Debug, Clone, Default)]
pub struct HeldMonth {
    pub total: Vec<f64>,
    pub sensitive: Vec<f64>,
    pub cloud: Vec<f64>,
    pub small: Vec<f64>,
    /// The workloads served in their hour only (no wait), for the queue (Q2): held on the
    /// owned GPUs, sensitive and other, and the other held on the offer's and on the
    /// fractional offer's GPUs.
    pub interactive: [Vec<f64>; 4],
}

/// Which held loads an option's evaluation reads; the others are left empty (and read as 0).
#[derive(Debug, Clone, Copy)]
pub struct Needs {
    /// Some workload is sensitive.
    pub sensitive: bool,
    /// The option has a cloud part.
    pub cloud: bool,
    /// It has a fractional offer.
    pub small: bool,
    /// The model walks the hours (the queue reads the interactive classes).
    pub interactive: bool,
}

impl Needs {
    /// The four flags as bits, for a cache key.
    pub fn bits(self) -> u64 {
        u64::from(self.sensitive)
            | u64::from(self.cloud) << 1
            | u64::from(self.small) << 2
            | u64::from(self.interactive) << 3
    }
}

/// Held loads built lately, shared by every evaluation that asks for the same key.
type Cache = Vec<(Vec<u64>, Arc<Vec<HeldMonth>>)>;
static CACHE: std::sync::Mutex<Cache> = std::sync::Mutex::new(Vec::new());

/// Held loads kept in [`CACHE`].
const CACHED: usize = 8;

/// The held loads for `key`, from the cache or built by `build` (and then cached): the same for
/// the same key, whoever built them first.
pub fn cached(key: &[u64], build: impl FnOnce() -> Vec<HeldMonth>) -> Arc<Vec<HeldMonth>> {
    let found = CACHE.lock().ok().and_then(|c| {
        c.iter()
            .find(|(k, _)| k.as_slice() == key)
            .map(|(_, v)| Arc::clone(v))
    });
    if let Some(held) = found {
        return held;
    }
    let held = Arc::new(build());
    if let Ok(mut c) = CACHE.lock() {
        if c.len() >= CACHED {
            c.remove(0);
        }
        c.push((key.to_vec(), Arc::clone(&held)));
    }
    held
}

/// The held loads of the months `range` of `input` with inflations `x` into `out` (one entry
/// per month of the horizon), from the same hourly loads as M1; only those `needs` asks for.
pub fn held_months(
    input: &Input,
    x: &Inflations,
    needs: Needs,
    range: std::ops::Range<usize>,
    out: &mut Vec<HeldMonth>,
) {
    out.resize_with(input.horizon_months, HeldMonth::default);
    let end = range.end.min(out.len());
    for (m, held) in out.iter_mut().enumerate().take(end).skip(range.start) {
        let month0 = input.start.plus(m as u32).month0();
        let [a, b, c, d] = &mut held.interactive;
        for (v, needed) in [
            (&mut held.total, true),
            (&mut held.sensitive, needs.sensitive),
            (&mut held.cloud, needs.cloud),
            (&mut held.small, needs.small),
            (a, needs.interactive),
            (b, needs.interactive),
            (c, needs.interactive && needs.cloud),
            (d, needs.interactive && needs.small),
        ] {
            v.clear();
            if needed {
                v.resize(HOURS_PER_MONTH, 0.0);
            }
        }
        for (n, w) in input.workloads.iter().enumerate() {
            let month_total = w.ref_gpu_hours_per_month
                * (1.0 + w.growth_per_year).powf(m as f64 / 12.0)
                * w.profile.season(month0);
            let (phi, phi_cloud, phi_small) = (x.owned[n], x.cloud[n], x.small[n]);
            let interactive = w.max_wait_hours == 0;
            // Adds `x` in hour `h` of `v`, when `v` is built.
            let add = |v: &mut Vec<f64>, h: usize, x: f64| {
                if let Some(slot) = v.get_mut(h) {
                    *slot += x;
                }
            };
            for (h, weight) in w.profile.month_shape(month0).enumerate() {
                let load = month_total * weight;
                held.total[h] += load * phi;
                if w.sensitive {
                    add(&mut held.sensitive, h, load * phi);
                    if interactive {
                        add(&mut held.interactive[0], h, load * phi);
                    }
                } else {
                    add(&mut held.cloud, h, load * phi_cloud);
                    add(&mut held.small, h, load * phi_small);
                    if interactive {
                        add(&mut held.interactive[1], h, load * phi);
                        add(&mut held.interactive[2], h, load * phi_cloud);
                        add(&mut held.interactive[3], h, load * phi_small);
                    }
                }
            }
        }
    }
}

/// One month of one option with shared GPUs (SG3), from the work `d` and the held loads
/// `held`, both scaled by `f`: owned capacity `capacity` serves held load, the sensitive part
/// first in a hybrid, and each class's work in the share of its held load served; cloud load
/// is held on the cloud's GPUs. Returns (on-prem work, cloud work, unmet work, the fractional
/// offer's held load) and writes the offer's held load of each hour into `cloud_hourly`.
pub fn split_held(
    kind: Kind,
    capacity: f64,
    d: &MonthDemand,
    held: &HeldMonth,
    f: f64,
    cloud_hourly: &mut Vec<f64>,
) -> (f64, f64, f64, f64) {
    cloud_hourly.clear();
    cloud_hourly.resize(HOURS_PER_MONTH, 0.0);
    let share = |served: f64, load: f64| if load > 0.0 { served / load } else { 0.0 };
    let (mut onprem, mut cloud, mut unmet, mut small) = (0.0, 0.0, 0.0, 0.0);
    let loads = d.hourly_total().iter().zip(&d.hourly_sensitive);
    // A held load not built (none of it, SG3 `Needs`) reads as 0.
    let at = |v: &[f64], h: usize| v.get(h).copied().unwrap_or(0.0);
    for (h, (total, sensitive)) in loads.enumerate() {
        let l = f * total;
        let s = f * sensitive;
        let n = (l - s).max(0.0);
        let lambda = f * at(&held.total, h);
        let lambda_s = f * at(&held.sensitive, h);
        let lambda_n = (lambda - lambda_s).max(0.0);
        let lambda_c = f * at(&held.cloud, h);
        let lambda_small = f * at(&held.small, h);
        match kind {
            Kind::OnPrem => {
                let w = lambda.min(capacity) * share(l, lambda);
                onprem += w;
                unmet += l - w;
            }
            Kind::Cloud => {
                cloud += n;
                unmet += s;
                cloud_hourly[h] = lambda_c;
                small += lambda_small;
            }
            Kind::Hybrid => {
                let served_s = lambda_s.min(capacity);
                let w_s = served_s * share(s, lambda_s);
                let served_n = lambda_n.min((capacity - served_s).max(0.0));
                let w_n = served_n * share(n, lambda_n);
                onprem += w_s + w_n;
                unmet += s - w_s;
                cloud += n - w_n;
                let left = 1.0 - share(served_n, lambda_n).min(1.0);
                cloud_hourly[h] = lambda_c * left;
                small += lambda_small * left;
            }
        }
    }
    (onprem, cloud, unmet.max(0.0), small)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mig() -> Sharing {
        Sharing::Mig {
            slices: 7,
            profiles: vec![[1, 7], [2, 3], [3, 2], [4, 1], [7, 1]].into(),
        }
    }

    #[test]
    fn jobs_hold_whole_gpus_slices_or_turns() {
        // A seventh of a GPU: one GPU alone, a 1g slice (7 to a GPU) with MIG.
        let s = 1.0 / 7.0;
        assert_eq!(held(s, &Sharing::None), 1.0);
        assert_eq!(held(s, &mig()), 1.0 / 7.0);
        // A quarter: the 2g profile (2/7 ≥ 1/4), 3 to a GPU.
        assert_eq!(held(0.25, &mig()), 1.0 / 3.0);
        // Half: 4g (3g is 3/7 < 1/2), one to a GPU.
        assert_eq!(held(0.5, &mig()), 1.0);
        // Time-sliced at 90%: the share over the efficiency, at most the GPU.
        let ts = Sharing::TimeSlicing { efficiency: 0.9 };
        assert!((held(0.3, &ts) - 0.3 / 0.9).abs() < 1e-15);
        assert_eq!(held(0.95, &ts), 1.0);
        // More than a GPU: whole GPUs, shared or not.
        assert_eq!(held(1.5, &mig()), 2.0);
        assert_eq!(held(2.0, &Sharing::None), 2.0);
        // A rounded seventh still fits the 1g slice.
        assert_eq!(held(0.1428571428, &mig()), 1.0 / 7.0);
    }

    #[test]
    fn inflation_is_held_over_needed() {
        // A job of a seventh of the reference on a GPU twice as fast needs 1/14 of it.
        assert!(
            (inflation(Some(1.0 / 7.0), 2.0, &mig()) - (1.0 / 7.0) / (1.0 / 14.0)).abs() < 1e-12
        );
        assert!((inflation(Some(1.0 / 7.0), 2.0, &Sharing::None) - 14.0).abs() < 1e-12);
        assert_eq!(inflation(None, 2.0, &Sharing::None), 1.0);
    }
}

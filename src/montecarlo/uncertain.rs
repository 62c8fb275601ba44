//! Uncertain inputs: `[[uncertain]]` entries resolved to the model fields they drive, and
//! `[[correlation]]` entries resolved to a Gaussian copula.
//!
//! A path names a scenario value (`discount_rate`, `workload[NAME].growth_per_year`,
//! `option[NAME].availability`, ...) or a catalog row the scenario uses (`site[ID].pue`,
//! `server[ID].price_usd`, `offer[ID].on_demand_usd_per_hour`, `provider[ID].egress_usd_per_tb`).
//! Resolution checks everything once, so that a sample only writes numbers: each sampled value
//! goes through the same unit and currency conversions as the deterministic resolution, in the
//! same order, so a distribution fixed at the scenario's value reproduces the deterministic run
//! bit for bit.

use super::copula::Copula;
use super::distributions::Distribution;
use crate::error::{InputError, Seg, number};
use crate::model::{Commitment, Financing, Input};
use crate::scenario::{Resolved, Source, TrainingFlops, UncertainSpec, error_at};
use std::collections::{HashMap, HashSet};

/// Most `[[uncertain]]` entries a scenario may have. Each costs a draw per Monte Carlo sample
/// and two simulations in `tcosim sensitivity`; real scenarios have a few dozen.
pub const MAX_UNCERTAIN_INPUTS: usize = 2_000;

/// Most `[[correlation]]` entries a scenario may have (a full matrix over 141 inputs).
pub const MAX_CORRELATIONS: usize = 10_000;

/// Most distinct inputs that appear in `[[correlation]]` entries. Their correlation matrix is
/// factored densely, in time cubic in their number (a few tenths of a second at the limit), and
/// every Monte Carlo sample mixes them in time quadratic in it; inputs in no correlation stay
/// independent and cost nothing there.
pub const MAX_CORRELATED_INPUTS: usize = 1_000;

/// Largest size of a rank correlation: closer to ±1, two inputs are numerically one and the
/// factorisation could not tell a valid matrix from an impossible one (its pivot 1 − ρ² would be
/// below 1e-10).
pub const MAX_RANK: f64 = 0.999_999;

/// One uncertain input.
#[derive(Debug, Clone)]
pub struct Uncertain {
    pub path: String,
    pub distribution: Distribution,
    /// The distribution with its sampling constants precomputed.
    pub sampler: super::distributions::Prepared,
    target: Target,
    /// Smallest and largest value a sample can take.
    pub support: (f64, f64),
}

/// How a currency amount is converted: `value / div * mul` (as `Catalog::convert` does), after
/// dividing instance prices by the GPUs of the instance.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Conv {
    per: f64,
    div: f64,
    mul: f64,
}

impl Conv {
    const ONE: Conv = Conv {
        per: 1.0,
        div: 1.0,
        mul: 1.0,
    };
    fn apply(self, v: f64) -> f64 {
        if self == Conv::ONE {
            v
        } else {
            v / self.per / self.div * self.mul
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OwnedField {
    Availability,
    ResidualValue,
    SupportPct,
    StaffFixed,
    StaffPerServer,
    Salary,
    Software,
    FinancingRate,
    ServerPrice,
    MaxPowerKw,
    IdleFraction,
    Electricity,
    Pue,
    Colocation,
    GridCo2,
    /// The time-slicing efficiency of an option that time-slices its GPUs (README SG2).
    TimeSlicingEfficiency,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CloudField {
    OnDemand,
    Spot,
    Commit,
    CommittedShare,
    SpotShare,
    SpotOverhead,
    StorageTb,
    EgressTb,
    StoragePrice,
    EgressPrice,
    Pue,
    GridCo2,
}

/// The uncertain figures of `[generations]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrendField {
    PricePerformance,
    EnergyEfficiency,
    Premium,
    PremiumDecay,
    /// Rounded to whole months, as in the scenario.
    Interval,
    Lag,
}

#[derive(Debug, Clone)]
enum Target {
    DiscountRate,
    /// `[tax]`'s rate (README TX3).
    TaxRate,
    /// A figure of `[generations]` (README G2-G4).
    Trend(TrendField),
    Escalation,
    DemandScale,
    DemandGrowth,
    WorkloadHours(usize),
    WorkloadGrowth(usize),
    /// A fractional workload's `gpu_fraction` (README SG1).
    WorkloadFraction(usize),
    WorkloadFlops(usize),
    WorkloadMfu(usize),
    /// The scenario's price of unserved work, for the workloads without their own; `hourly`:
    /// some workload has its own, so the hourly prices of the demand follow the sample.
    UnservedPrice {
        workloads: Vec<usize>,
        hourly: bool,
    },
    /// A workload's own price of unserved work.
    WorkloadUnservedPrice(usize),
    Owned {
        options: Vec<(usize, Conv)>,
        field: OwnedField,
    },
    /// `derived`: the committed price follows the on-demand price at this discount.
    Cloud {
        options: Vec<(usize, Conv, Option<f64>)>,
        field: CloudField,
    },
}

impl Target {
    fn changes_demand(&self) -> bool {
        matches!(
            self,
            Target::WorkloadHours(_)
                | Target::WorkloadGrowth(_)
                | Target::WorkloadFlops(_)
                | Target::WorkloadMfu(_)
                | Target::WorkloadUnservedPrice(_)
                | Target::UnservedPrice { hourly: true, .. }
        )
    }

    fn changes_capacity(&self) -> bool {
        matches!(
            self,
            Target::Owned {
                field: OwnedField::Availability,
                ..
            }
        )
    }
}

/// Every uncertain input of a scenario, and their correlation.
#[derive(Debug, Clone, Default)]
pub struct Uncertainty {
    pub inputs: Vec<Uncertain>,
    pub copula: Option<Copula>,
    /// Training workloads with an uncertain FLOPs or MFU input, whose GPU-hours each sample
    /// recomputes.
    training: Vec<Training>,
}

/// A training workload driven by uncertain inputs (README M0b).
#[derive(Debug, Clone)]
struct Training {
    workload: usize,
    /// The scenario's (FLOPs per month, MFU, reference TFLOPS).
    base: TrainingFlops,
    /// The uncertain inputs that set its FLOPs and its MFU, if any.
    flops: Option<usize>,
    mfu: Option<usize>,
}

impl Uncertainty {
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// Whether samples change the demand (and so each sample needs its own demand curves).
    pub fn changes_demand(&self) -> bool {
        self.inputs.iter().any(|u| u.target.changes_demand())
    }

    /// A sample's demand factor halfway through a horizon of `months` (its demand scale times
    /// its growth over half the horizon, as `values` set them on `input`): samples in this
    /// order ask the demand curves about nearby capacities. Only an order of evaluation: no
    /// result depends on it.
    pub fn demand_order_key(&self, values: &[f64], input: &Input, months: usize) -> f64 {
        let (mut scale, mut growth) = (input.demand_scale, input.demand_growth_per_year);
        for (u, &v) in self.inputs.iter().zip(values) {
            match u.target {
                Target::DemandScale => scale = v,
                Target::DemandGrowth => growth = v,
                _ => {}
            }
        }
        scale * (1.0 + growth).powf(months as f64 / 24.0)
    }

    /// The uncertain input, if any, that sets `field` of option `option` in every sample.
    pub fn setting(&self, option: usize, field: super::sweep::Field) -> Option<&Uncertain> {
        use super::sweep::Field;
        self.inputs.iter().find(|u| match (&u.target, field) {
            (
                Target::Owned {
                    options,
                    field: OwnedField::Availability,
                },
                Field::Availability,
            ) => options.iter().any(|(o, _)| *o == option),
            (
                Target::Cloud {
                    options,
                    field: CloudField::CommittedShare,
                },
                Field::CommittedShare,
            )
            | (
                Target::Cloud {
                    options,
                    field: CloudField::SpotShare,
                },
                Field::SpotShare,
            ) => options.iter().any(|(o, ..)| *o == option),
            (
                Target::Owned {
                    options,
                    field:
                        OwnedField::StaffFixed | OwnedField::StaffPerServer | OwnedField::Software,
                },
                Field::Automation,
            ) => options.iter().any(|(o, _)| *o == option),
            _ => false,
        })
    }

    /// For each option, the range of owned capacity per unit of demand factor (C / f, README
    /// "Work that waits in Monte Carlo") that samples can reach, when samples change demand
    /// only by the common factors and capacity only by availability; `None` for an option
    /// without owned capacity, and for all when samples change demand in any other way.
    pub fn capacity_per_demand(&self, input: &Input) -> Option<Vec<Option<(f64, f64)>>> {
        if self.changes_demand() {
            return None;
        }
        let range = |target: fn(&Target) -> bool, value: f64| {
            self.inputs
                .iter()
                .find(|u| target(&u.target))
                .map(|u| u.support)
                .unwrap_or((value, value))
        };
        let (s_lo, s_hi) = range(|t| matches!(t, Target::DemandScale), input.demand_scale);
        let (g_lo, g_hi) = range(
            |t| matches!(t, Target::DemandGrowth),
            input.demand_growth_per_year,
        );
        let years = input.horizon_months.saturating_sub(1) as f64 / 12.0;
        let low_growth = (1.0 + g_lo).powf(years).min(1.0);
        let high_growth = (1.0 + g_hi).powf(years).max(1.0);
        let (f_lo, f_hi) = (s_lo * low_growth, s_hi * high_growth);
        if !(f_lo > 0.0 && f_hi.is_finite()) {
            return None;
        }
        let ranges = input
            .options
            .iter()
            .enumerate()
            .map(|(o, option)| {
                let owned = option.owned.as_ref().filter(|w| w.servers > 0)?;
                let availability = self
                    .inputs
                    .iter()
                    .find_map(|u| match &u.target {
                        Target::Owned {
                            options,
                            field: OwnedField::Availability,
                        } if options.iter().any(|(i, _)| *i == o) => Some(u.support),
                        _ => None,
                    })
                    .unwrap_or((owned.availability, owned.availability));
                let gpus = owned.gpus() * owned.rel_throughput;
                Some((gpus * availability.0 / f_hi, gpus * availability.1 / f_lo))
            })
            .collect();
        Some(ranges)
    }

    /// Whether samples change owned capacity.
    pub fn changes_capacity(&self) -> bool {
        self.inputs.iter().any(|u| u.target.changes_capacity())
    }

    /// Resolves the scenario's `[[uncertain]]` and `[[correlation]]` entries, in time linear in
    /// their number (and the scenario's options and workloads) plus the factorisation of the
    /// correlated inputs' matrix, cubic in their number; see the `MAX_*` limits.
    pub fn build(
        source: &Source,
        resolved: &Resolved,
        catalog: &crate::catalog::Catalog,
    ) -> Result<Uncertainty, InputError> {
        Uncertainty::build_all(source, resolved, catalog).map_err(|mut e| e.swap_remove(0))
    }

    /// As [`Uncertainty::build`], with every problem of every `[[uncertain]]` and
    /// `[[correlation]]` entry (the first is the one `build` reports); the checks of all of
    /// them together (a consistent correlation matrix, the demand bound) only when each entry
    /// is right.
    pub fn build_all(
        source: &Source,
        resolved: &Resolved,
        catalog: &crate::catalog::Catalog,
    ) -> Result<Uncertainty, Vec<InputError>> {
        let file = &resolved.file;
        check_count(
            source,
            "uncertain",
            file.uncertain.len(),
            MAX_UNCERTAIN_INPUTS,
            "uncertain inputs",
        )
        .map_err(|e| vec![e])?;
        check_count(
            source,
            "correlation",
            file.correlation.len(),
            MAX_CORRELATIONS,
            "correlations",
        )
        .map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        // Paths of entries that failed: a correlation naming one is not reported again.
        let mut failed: Vec<&str> = Vec::new();
        let index = Index::new(resolved, catalog);
        let mut inputs = Vec::new();
        // Position of each path among the inputs.
        let mut positions: HashMap<&str, usize> = HashMap::new();
        let mut supports: Vec<(f64, f64)> = Vec::new();
        for (i, spec) in file.uncertain.iter().enumerate() {
            if errors.len() >= crate::limits::MAX_ERRORS_PER_FILE {
                break;
            }
            let at = |f: &'static str| [Seg::Key("uncertain"), Seg::Index(i), Seg::Key(f)];
            let checked = distribution(source, i, spec).and_then(|d| {
                let (target, range) = target(source, resolved, catalog, &index, i, &spec.path)?;
                Ok((d, target, range))
            });
            let (distribution, target, range) = match checked {
                Ok(c) => c,
                Err(e) => {
                    errors.push(e);
                    failed.push(spec.path.as_str());
                    continue;
                }
            };
            let (lo, hi) = support(&distribution);
            if !(lo.is_finite() && hi.is_finite()) || lo < range.0 || hi > range.1 {
                errors.push(
                    error_at(
                        source,
                        &at("distribution"),
                        format!(
                            "the distribution of `{}` leaves the field's valid range",
                            spec.path
                        ),
                    )
                    .expected(format!(
                        "values from {} to {}",
                        number(range.0),
                        number(range.1)
                    ))
                    .found(spanning(&spec.distribution, &distribution, lo, hi))
                    .hint("narrow the parameters, or truncate a normal with `low` and `high`"),
                );
                failed.push(spec.path.as_str());
                continue;
            }
            if matches!(target, Target::WorkloadHours(_))
                && hi > 0.0
                && hi < crate::scenario::MIN_GPU_HOURS
            {
                // Every value it reaches but 0 is below the least demand, which a sample takes
                // as none: a mistaken unit rather than a distribution.
                errors.push(
                    error_at(
                        source,
                        &at("distribution"),
                        format!(
                            "the distribution of `{}` lies below the least demand",
                            spec.path
                        ),
                    )
                    .expected(
                        "0, or values reaching at least 0.000001 reference-GPU-hours a month (a sample below that has no demand)",
                    )
                    .found(spanning(&spec.distribution, &distribution, lo, hi)),
                );
                failed.push(spec.path.as_str());
                continue;
            }
            if let Some(first) = positions.insert(spec.path.as_str(), i) {
                errors.push(
                    error_at(
                        source,
                        &at("path"),
                        format!("`{}` is uncertain twice", spec.path),
                    )
                    .expected("each path once")
                    .found(format!("also at uncertain[{first}]")),
                );
                continue;
            }
            supports.push((lo, hi));
            inputs.push(Uncertain {
                path: spec.path.clone(),
                sampler: super::distributions::Prepared::new(distribution.clone()),
                distribution,
                target,
                support: (lo, hi),
            });
        }
        let mut pairs = Vec::new();
        for (i, c) in file.correlation.iter().enumerate() {
            let at = |f: &'static str| [Seg::Key("correlation"), Seg::Index(i), Seg::Key(f)];
            let find = |p: &str, field: &'static str| {
                positions.get(p).copied().ok_or_else(|| {
                    let e = error_at(
                        source,
                        &at(field),
                        format!("`{p}` is not an uncertain input"),
                    )
                    .expected("the path of an `[[uncertain]]` entry")
                    .found(format!("`{p}`"));
                    e.did_you_mean(p, inputs.iter().map(|u| u.path.as_str()))
                })
            };
            if errors.len() >= crate::limits::MAX_ERRORS_PER_FILE {
                break;
            }
            if failed.contains(&c.a.as_str()) || failed.contains(&c.b.as_str()) {
                continue;
            }
            let (a, b) = match (find(&c.a, "a"), find(&c.b, "b")) {
                (Ok(a), Ok(b)) => (a, b),
                (a, b) => {
                    errors.extend(a.err());
                    errors.extend(b.err());
                    continue;
                }
            };
            if a == b {
                errors.push(
                    error_at(source, &at("b"), "an input correlated with itself")
                        .expected("two different uncertain inputs"),
                );
                continue;
            }
            if c.rank.is_nan() || c.rank.abs() > MAX_RANK {
                errors.push(
                    error_at(source, &at("rank"), "`rank` is out of range")
                        .expected("a rank correlation from -0.999999 to 0.999999")
                        .found(crate::error::written(c.rank)),
                );
                continue;
            }
            pairs.push((a, b, c.rank));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut correlated: Vec<usize> = pairs.iter().flat_map(|&(a, b, _)| [a, b]).collect();
        correlated.sort_unstable();
        correlated.dedup();
        if correlated.len() > MAX_CORRELATED_INPUTS {
            return Err(
                vec![error_at(
                source,
                &[Seg::Key("correlation")],
                "too many correlated inputs",
            )
            .expected(format!(
                "at most {MAX_CORRELATED_INPUTS} distinct uncertain inputs in `[[correlation]]` \
                 entries"
            ))
            .found(format!("{} distinct inputs", correlated.len()))
            .hint("correlate only the inputs that move together; the others stay independent")],
            );
        }
        let copula = if pairs.is_empty() {
            None
        } else {
            Some(
                Copula::new(inputs.len(), &pairs)
                    .map_err(|e| {
                        use super::copula::CopulaError;
                        let name = |k: usize| inputs.get(k).map(|u| u.path.as_str()).unwrap_or("?");
                        let index_of = |i: usize, j: usize| {
                            pairs
                                .iter()
                                .position(|&(a, b, _)| (a, b) == (i, j) || (a, b) == (j, i))
                                .unwrap_or(0)
                        };
                        match e {
                            CopulaError::NotPositiveDefinite { i, j } => error_at(
                                source,
                                &[Seg::Key("correlation"), Seg::Index(index_of(i, j))],
                                "the correlations are not consistent with each other",
                            )
                            .expected("a positive definite correlation matrix")
                            .found(format!(
                                "an impossible combination; check the pair `{}` and `{}`",
                                name(i),
                                name(j)
                            )),
                            CopulaError::DuplicatePair { i, j } => {
                                let first = index_of(i, j);
                                let second = pairs
                                    .iter()
                                    .rposition(|&(a, b, _)| (a, b) == (i, j) || (a, b) == (j, i))
                                    .unwrap_or(first);
                                error_at(
                                    source,
                                    &[Seg::Key("correlation"), Seg::Index(second)],
                                    format!(
                                        "the pair `{}` and `{}` is correlated twice",
                                        name(i),
                                        name(j)
                                    ),
                                )
                                .expected("each pair once")
                                .found(format!("also at correlation[{first}]"))
                            }
                            other => {
                                error_at(source, &[Seg::Key("correlation")], "invalid correlation")
                                    .found(other.to_string())
                            }
                        }
                    })
                    .map_err(|e| vec![e])?,
            )
        };
        let training = training(&inputs, &resolved.workload_flops);
        let uncertainty = Uncertainty {
            inputs,
            copula,
            training,
        };
        // Every sample's demand stays within the bound the deterministic run keeps: checked
        // with each input at the end of its range that raises demand most.
        let extremes: Vec<f64> = uncertainty
            .inputs
            .iter()
            .zip(&supports)
            .map(|(u, &(lo, hi))| match u.target {
                Target::WorkloadMfu(_) => lo,
                _ => hi,
            })
            .collect();
        let mut extreme = resolved.input.clone();
        uncertainty.apply(&extremes, &mut extreme);
        crate::scenario::check_demand_bound(
            source,
            &extreme,
            " at the largest values of its uncertain inputs",
        )
        .map_err(|e| vec![e])?;
        Ok(uncertainty)
    }

    /// Writes sampled `values` (one per input, in order) into `input`.
    pub fn apply(&self, values: &[f64], input: &mut Input) {
        for (u, &v) in self.inputs.iter().zip(values) {
            match &u.target {
                Target::DiscountRate => input.discount_rate = v,
                Target::TaxRate => {
                    if let Some(tax) = input.tax.as_mut() {
                        tax.rate = v;
                    }
                }
                Target::Trend(field) => {
                    let t = &mut input.generations;
                    match field {
                        TrendField::PricePerformance => t.price_performance_growth_per_year = v,
                        TrendField::EnergyEfficiency => t.energy_efficiency_growth_per_year = v,
                        TrendField::Premium => t.new_generation_premium = v,
                        TrendField::PremiumDecay => t.premium_decay_per_year = v,
                        TrendField::Interval => {
                            t.interval_months = v.round().clamp(1.0, 240.0) as u32
                        }
                        TrendField::Lag => {
                            t.new_generation_lag_months = v.round().clamp(0.0, 240.0) as u32
                        }
                    }
                }
                Target::Escalation => input.electricity_escalation_per_year = v,
                Target::DemandScale => input.demand_scale = v,
                Target::DemandGrowth => input.demand_growth_per_year = v,
                Target::WorkloadHours(w) => {
                    input.workloads[*w].ref_gpu_hours_per_month =
                        crate::scenario::sampled_gpu_hours(v)
                }
                Target::WorkloadGrowth(w) => input.workloads[*w].growth_per_year = v,
                Target::WorkloadFraction(w) => input.workloads[*w].gpu_fraction = Some(v),
                Target::WorkloadFlops(_) | Target::WorkloadMfu(_) => {}
                Target::UnservedPrice { workloads, .. } => {
                    for w in workloads {
                        input.workloads[*w].unserved_cost_per_gpu_hour = Some(v);
                    }
                }
                Target::WorkloadUnservedPrice(w) => {
                    input.workloads[*w].unserved_cost_per_gpu_hour = Some(v)
                }
                Target::Owned { options, field } => {
                    for (o, conv) in options {
                        if let Some(owned) = input.options[*o].owned.as_mut() {
                            let x = conv.apply(v);
                            match field {
                                OwnedField::Availability => owned.availability = x,
                                OwnedField::ResidualValue => owned.residual_value = x,
                                OwnedField::SupportPct => owned.support_pct_per_year = x,
                                OwnedField::StaffFixed => owned.staff_fte_fixed = x,
                                OwnedField::StaffPerServer => owned.staff_fte_per_server = x,
                                OwnedField::Salary => owned.staff_salary_per_year = x,
                                OwnedField::Software => owned.software_per_gpu_year = x,
                                OwnedField::FinancingRate => match &mut owned.financing {
                                    Financing::Loan { annual_rate, .. }
                                    | Financing::Lease { annual_rate, .. } => *annual_rate = x,
                                    Financing::Cash => {}
                                },
                                OwnedField::ServerPrice => owned.server_price = x,
                                OwnedField::TimeSlicingEfficiency => {
                                    if let crate::model::sharing::Sharing::TimeSlicing {
                                        efficiency,
                                    } = &mut owned.sharing
                                    {
                                        *efficiency = x;
                                    }
                                }
                                OwnedField::MaxPowerKw => owned.max_power_kw = x,
                                OwnedField::IdleFraction => owned.idle_fraction = x,
                                OwnedField::Electricity => owned.electricity_per_kwh = x,
                                OwnedField::Pue => owned.pue = x,
                                OwnedField::Colocation => owned.colocation_per_kw_month = x,
                                OwnedField::GridCo2 => owned.grid_co2_g_per_kwh = x,
                            }
                        }
                    }
                }
                Target::Cloud { options, field } => {
                    for (o, conv, derived) in options {
                        if let Some(cloud) = input.options[*o].cloud.as_mut() {
                            match field {
                                CloudField::OnDemand => {
                                    cloud.on_demand_per_gpu_hour = conv.apply(v);
                                    if let Some(d) = derived {
                                        cloud.commit_per_gpu_hour = conv.apply(v * (1.0 - d));
                                    }
                                }
                                CloudField::Spot => cloud.spot_per_gpu_hour = conv.apply(v),
                                CloudField::Commit => cloud.commit_per_gpu_hour = conv.apply(v),
                                CloudField::CommittedShare => {
                                    cloud.commitment = Commitment::Share(v)
                                }
                                CloudField::SpotShare => cloud.spot_share = v,
                                CloudField::SpotOverhead => cloud.spot_overhead = v,
                                CloudField::StorageTb => cloud.storage_tb = v,
                                CloudField::EgressTb => cloud.egress_tb_per_month = v,
                                CloudField::StoragePrice => {
                                    cloud.storage_per_tb_month = conv.apply(v)
                                }
                                CloudField::EgressPrice => cloud.egress_per_tb = conv.apply(v),
                                CloudField::Pue => cloud.pue = v,
                                CloudField::GridCo2 => cloud.grid_co2_g_per_kwh = v,
                            }
                        }
                    }
                }
            }
        }
        // Training workloads: GPU-hours = FLOPs / (TFLOPS × 10^12 × MFU × 3600) (README M0b).
        for t in &self.training {
            let (base_flops, base_mfu, tflops) = t.base;
            let flops = t.flops.and_then(|k| values.get(k).copied());
            let mfu = t.mfu.and_then(|k| values.get(k).copied());
            if flops.is_none() && mfu.is_none() {
                continue;
            }
            input.workloads[t.workload].ref_gpu_hours_per_month =
                crate::scenario::sampled_gpu_hours(crate::scenario::training_gpu_hours(
                    flops.unwrap_or(base_flops),
                    mfu.unwrap_or(base_mfu),
                    tflops,
                ));
        }
    }
}

/// The training workloads whose FLOPs or MFU some input sets, with those inputs.
fn training(inputs: &[Uncertain], workload_flops: &[Option<TrainingFlops>]) -> Vec<Training> {
    let mut by_workload: std::collections::BTreeMap<usize, Training> = Default::default();
    for (k, u) in inputs.iter().enumerate() {
        let (w, is_flops) = match u.target {
            Target::WorkloadFlops(w) => (w, true),
            Target::WorkloadMfu(w) => (w, false),
            _ => continue,
        };
        let Some(Some(base)) = workload_flops.get(w) else {
            continue;
        };
        let t = by_workload.entry(w).or_insert(Training {
            workload: w,
            base: *base,
            flops: None,
            mfu: None,
        });
        if is_flops {
            t.flops = Some(k);
        } else {
            t.mfu = Some(k);
        }
    }
    by_workload.into_values().collect()
}

/// An error when `count` entries of `key` exceed `limit`.
fn check_count(
    source: &Source,
    key: &'static str,
    count: usize,
    limit: usize,
    what: &str,
) -> Result<(), InputError> {
    if count <= limit {
        return Ok(());
    }
    Err(
        error_at(source, &[Seg::Key(key)], format!("too many {what}"))
            .expected(format!("at most {limit} `[[{key}]]` entries"))
            .found(format!("{count} entries")),
    )
}

/// What a distribution spans, in a message: its declared bounds where it has them (a uniform
/// from -1 to 0, not to -1.1e-16, the largest quantile the generator reaches), else the
/// smallest and largest values a sample can take.
fn spanning(name: &str, d: &Distribution, lo: f64, hi: f64) -> String {
    let declared = match *d {
        Distribution::Fixed(v) => return format!("a `fixed` value of {}", number(v)),
        Distribution::Uniform { low, high }
        | Distribution::Triangular { low, high, .. }
        | Distribution::Pert { low, high, .. } => Some((low, high)),
        Distribution::Normal { low, high, .. } if low.is_finite() && high.is_finite() => {
            Some((low, high))
        }
        _ => None,
    };
    match declared {
        Some((low, high)) => format!(
            "a `{name}` distribution from {} to {}",
            number(low),
            number(high)
        ),
        None => format!(
            "a `{name}` distribution reaching {} to {}",
            number(lo),
            number(hi)
        ),
    }
}

/// Smallest and largest value a sample can take: the quantiles of the most extreme uniforms
/// the generator draws (0.5 / 2^52 and 1 − 0.5 / 2^52, see `open_unit`).
fn support(d: &Distribution) -> (f64, f64) {
    let edge = 0.5 / (1u64 << 52) as f64;
    (d.quantile(edge), d.quantile(1.0 - edge))
}

fn distribution(source: &Source, i: usize, s: &UncertainSpec) -> Result<Distribution, InputError> {
    let at = |f: &'static str| [Seg::Key("uncertain"), Seg::Index(i), Seg::Key(f)];
    let given: [(&'static str, Option<f64>); 8] = [
        ("value", s.value),
        ("low", s.low),
        ("mode", s.mode),
        ("high", s.high),
        ("mean", s.mean),
        ("sd", s.sd),
        ("p10", s.p10),
        ("p90", s.p90),
    ];
    let (needs, optional): (&[&str], &[&str]) = match s.distribution.as_str() {
        "fixed" => (&["value"], &[]),
        "uniform" => (&["low", "high"], &[]),
        "triangular" | "pert" => (&["low", "mode", "high"], &[]),
        "normal" => (&["mean", "sd"], &["low", "high"]),
        "lognormal" => (&["p10", "p90"], &[]),
        other => {
            let kinds = [
                "fixed",
                "uniform",
                "triangular",
                "normal",
                "lognormal",
                "pert",
            ];
            let e = error_at(
                source,
                &at("distribution"),
                format!("unknown distribution `{other}`"),
            )
            .expected(kinds.map(|k| format!("`{k}`")).join(", "))
            .found(format!("`{other}`"));
            return Err(e.did_you_mean(other, kinds));
        }
    };
    for (name, value) in given {
        let needed = needs.contains(&name);
        if needed && value.is_none() {
            return Err(error_at(
                source,
                &[Seg::Key("uncertain"), Seg::Index(i)],
                format!("a `{}` distribution needs `{name}`", s.distribution),
            )
            .expected(format!(
                "the parameters {}",
                needs
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .found(format!("no `{name}`")));
        }
        if !needed && !optional.contains(&name) && value.is_some() {
            return Err(error_at(
                source,
                &[
                    Seg::Key("uncertain"),
                    Seg::Index(i),
                    Seg::Name(name.to_string()),
                ],
                format!(
                    "`{name}` is not a parameter of a `{}` distribution",
                    s.distribution
                ),
            )
            .expected(format!(
                "only {}",
                needs
                    .iter()
                    .chain(optional)
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let v = |x: Option<f64>| x.unwrap_or(0.0);
    let d = match s.distribution.as_str() {
        "fixed" => Distribution::Fixed(v(s.value)),
        "uniform" => Distribution::Uniform {
            low: v(s.low),
            high: v(s.high),
        },
        "triangular" => Distribution::Triangular {
            low: v(s.low),
            mode: v(s.mode),
            high: v(s.high),
        },
        "pert" => Distribution::Pert {
            low: v(s.low),
            mode: v(s.mode),
            high: v(s.high),
        },
        "normal" => Distribution::Normal {
            mean: v(s.mean),
            sd: v(s.sd),
            low: s.low.unwrap_or(f64::NEG_INFINITY),
            high: s.high.unwrap_or(f64::INFINITY),
        },
        _ => Distribution::LogNormal {
            p10: v(s.p10),
            p90: v(s.p90),
        },
    };
    d.validate().map_err(|e| {
        error_at(
            source,
            &at("distribution"),
            format!("impossible `{}` distribution", s.distribution),
        )
        .expected("parameters that define a distribution")
        .found(e.to_string())
    })?;
    Ok(d)
}

const MONEY: (f64, f64) = (0.0, 1e12);

/// The lookups by name that resolving a path needs, built once per scenario so that resolving
/// each `[[uncertain]]` path costs the same however many options and workloads there are.
struct Index<'a> {
    /// Position of each workload and option name (the first, should a name repeat).
    workloads: HashMap<&'a str, usize>,
    options: HashMap<&'a str, usize>,
    /// The options using each catalog row, in order; for a site also the currency of its
    /// prices (as the first option using it has it).
    sites: HashMap<&'a str, (Vec<usize>, &'a str)>,
    servers: HashMap<&'a str, Vec<usize>>,
    offers: HashMap<&'a str, Vec<usize>>,
    providers: HashMap<&'a str, Vec<usize>>,
    /// Catalog offers without a spot price.
    offers_without_spot: HashSet<&'a str>,
}

impl<'a> Index<'a> {
    fn new(r: &'a Resolved, catalog: &'a crate::catalog::Catalog) -> Index<'a> {
        let mut index = Index {
            workloads: HashMap::new(),
            options: HashMap::new(),
            sites: HashMap::new(),
            servers: HashMap::new(),
            offers: HashMap::new(),
            providers: HashMap::new(),
            offers_without_spot: HashSet::new(),
        };
        for (w, workload) in r.file.workloads.iter().enumerate() {
            index.workloads.entry(workload.name.as_str()).or_insert(w);
        }
        for (o, option) in r.file.options.iter().enumerate() {
            index.options.entry(option.name.as_str()).or_insert(o);
        }
        for (o, links) in r.option_links.iter().enumerate() {
            if let Some((site, currency)) = &links.site {
                let entry = index.sites.entry(site.as_str());
                entry
                    .or_insert_with(|| (Vec::new(), currency.as_str()))
                    .0
                    .push(o);
            }
            if let Some(server) = &links.server {
                index.servers.entry(server.as_str()).or_default().push(o);
            }
            if let Some(offer) = &links.offer {
                index.offers.entry(offer.id.as_str()).or_default().push(o);
                index
                    .providers
                    .entry(offer.provider.as_str())
                    .or_default()
                    .push(o);
            }
        }
        let mut seen = HashSet::new();
        for offer in &catalog.offers {
            // The first row of an id is the one `Catalog::offer` finds.
            if seen.insert(offer.id.as_str()) && offer.spot_usd_per_hour.is_none() {
                index.offers_without_spot.insert(offer.id.as_str());
            }
        }
        index
    }
}

fn target(
    source: &Source,
    r: &Resolved,
    catalog: &crate::catalog::Catalog,
    index: &Index,
    i: usize,
    path: &str,
) -> Result<(Target, (f64, f64)), InputError> {
    let at = [Seg::Key("uncertain"), Seg::Index(i), Seg::Key("path")];
    let bad = |problem: String, expected: &str| {
        error_at(source, &at, problem)
            .expected(expected.to_string())
            .found(format!("`{path}`"))
    };
    let Some((head, field)) = crate::scenario::split_path(path) else {
        return Err(bad(
            "malformed path".into(),
            "`FIELD` or `KIND[NAME].FIELD`, e.g. `site[de-fra-colo].electricity_per_kwh`",
        ));
    };
    let unknown_field = |kind: &str, known: &[&str]| {
        let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        let mut e = bad(
            format!("`{field}` is not an uncertain-capable field of {article} {kind}"),
            &format!(
                "one of {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        if matches!(field, "servers" | "gpus" | "committed_gpus") {
            e = e.hint(format!(
                "a count is not sampled; vary `{field}` with a `[sweep]` instead"
            ));
            e
        } else {
            e.did_you_mean(field, known.iter().copied())
        }
    };
    let cur = &r.input.currency;
    let conv = |from: &str, per: f64| -> Conv {
        if from == cur && per == 1.0 {
            return Conv::ONE;
        }
        let div = catalog.fx_rate(from).map(|f| f.per_usd).unwrap_or(1.0);
        let mul = catalog.fx_rate(cur).map(|f| f.per_usd).unwrap_or(1.0);
        if from == cur {
            Conv {
                per,
                div: 1.0,
                mul: 1.0,
            }
        } else {
            Conv { per, div, mul }
        }
    };
    // A price of unserved work is uncertain only where the scenario prices it (README Q7).
    let unserved_priced = |r: &Resolved| {
        if r.file.unserved_cost_per_gpu_hour.is_some() {
            Ok(())
        } else {
            Err(bad(
                "unserved work has no price in this scenario".into(),
                "`unserved_cost_per_gpu_hour` at the top of the scenario, which this input then varies",
            ))
        }
    };
    // The jobs of a trace are laid over the horizon once per run (README "Trace workloads"):
    // what moves them is not sampled.
    let traced = |what: String| {
        bad(
            format!("{what} cannot be uncertain: it moves the jobs of a trace workload"),
            "an uncertain input that leaves the trace's jobs where they are (prices, rates, capacity figures, a load profile's demand); compare demands of a trace with separate runs",
        )
    };
    let Some((kind, name)) = head else {
        if matches!(field, "demand_scale" | "demand_growth_per_year") && r.input.has_traces() {
            return Err(traced(format!("`{field}`")));
        }
        return match field {
            "discount_rate" => Ok((Target::DiscountRate, (0.0, 1.0))),
            "tax.rate" if r.input.tax.is_some() => Ok((Target::TaxRate, (0.0, 1.0))),
            "tax.rate" => Err(bad(
                "the scenario has no `[tax]`".into(),
                "`[tax]` with `rate`, which this input then varies (README TX1-TX4)",
            )),
            "generations.price_performance_growth_per_year"
            | "generations.energy_efficiency_growth_per_year"
            | "generations.new_generation_premium"
            | "generations.premium_decay_per_year"
            | "generations.interval_months"
            | "generations.new_generation_lag_months"
                if !r.input.has_generations() =>
            {
                Err(bad(
                    "no option changes generation in this scenario".into(),
                    "an option with `refresh = { every_years = N, to = \"best\" }` or `cloud_generations = \"ride\"`, whose hardware this input then moves (README G1-G4)",
                ))
            }
            "generations.price_performance_growth_per_year" => {
                Ok((Target::Trend(TrendField::PricePerformance), (-0.5, 2.0)))
            }
            "generations.energy_efficiency_growth_per_year" => {
                Ok((Target::Trend(TrendField::EnergyEfficiency), (-0.5, 2.0)))
            }
            "generations.new_generation_premium" => {
                Ok((Target::Trend(TrendField::Premium), (0.0, 10.0)))
            }
            "generations.premium_decay_per_year" => {
                Ok((Target::Trend(TrendField::PremiumDecay), (0.0, 1.0)))
            }
            "generations.interval_months" => {
                Ok((Target::Trend(TrendField::Interval), (1.0, 240.0)))
            }
            "generations.new_generation_lag_months" => {
                Ok((Target::Trend(TrendField::Lag), (0.0, 240.0)))
            }
            "electricity_escalation_per_year" => Ok((Target::Escalation, (-0.5, 1.0))),
            "demand_scale" => Ok((Target::DemandScale, (0.0, 1e6))),
            "demand_growth_per_year" => Ok((Target::DemandGrowth, (-0.99, 10.0))),
            "unserved_cost_per_gpu_hour" => {
                unserved_priced(r)?;
                let own =
                    |w: &crate::scenario::WorkloadSpec| w.unserved_cost_per_gpu_hour.is_some();
                Ok((
                    Target::UnservedPrice {
                        workloads: (0..r.file.workloads.len())
                            .filter(|w| !own(&r.file.workloads[*w]))
                            .collect(),
                        hourly: r.file.workloads.iter().any(own),
                    },
                    (0.0, crate::scenario::MAX_UNSERVED_PRICE),
                ))
            }
            _ => Err(unknown_field(
                "scenario",
                &[
                    "discount_rate",
                    "electricity_escalation_per_year",
                    "demand_scale",
                    "demand_growth_per_year",
                    "unserved_cost_per_gpu_hour",
                    "tax.rate",
                    "generations.price_performance_growth_per_year",
                    "generations.energy_efficiency_growth_per_year",
                    "generations.new_generation_premium",
                    "generations.premium_decay_per_year",
                    "generations.interval_months",
                    "generations.new_generation_lag_months",
                ],
            )),
        };
    };
    match kind {
        "workload" => {
            let Some(&w) = index.workloads.get(name) else {
                return Err(unknown_name(
                    source,
                    &at,
                    "workload",
                    name,
                    r.file.workloads.iter().map(|w| w.name.as_str()),
                ));
            };
            let flops = r.workload_flops[w].is_some();
            if r.input.workloads.get(w).is_some_and(|w| w.trace.is_some())
                && field != "unserved_cost_per_gpu_hour"
            {
                return Err(traced(format!("`{field}` of trace workload `{name}`")));
            }
            match field {
                "gpu_hours_per_month" if !flops => Ok((Target::WorkloadHours(w), (0.0, 1e12))),
                "growth_per_year" => Ok((Target::WorkloadGrowth(w), (-0.99, 10.0))),
                "gpu_fraction" if r.input.workloads[w].gpu_fraction.is_some() => Ok((
                    Target::WorkloadFraction(w),
                    (crate::model::sharing::MIN_GPU_FRACTION, 64.0),
                )),
                "gpu_fraction" => Err(bad(
                    format!("workload `{name}` has no `gpu_fraction`"),
                    "a workload with `gpu_fraction`, which this input then varies (README SG1)",
                )),
                "training_flops_per_month" if flops => Ok((Target::WorkloadFlops(w), (0.0, 1e32))),
                "mfu" if flops => Ok((Target::WorkloadMfu(w), (1e-3, 1.0))),
                "unserved_cost_per_gpu_hour" => {
                    unserved_priced(r)?;
                    Ok((
                        Target::WorkloadUnservedPrice(w),
                        (0.0, crate::scenario::MAX_UNSERVED_PRICE),
                    ))
                }
                _ => Err(unknown_field(
                    "workload",
                    if flops {
                        &[
                            "training_flops_per_month",
                            "mfu",
                            "growth_per_year",
                            "unserved_cost_per_gpu_hour",
                            "gpu_fraction",
                        ]
                    } else {
                        &[
                            "gpu_hours_per_month",
                            "growth_per_year",
                            "unserved_cost_per_gpu_hour",
                            "gpu_fraction",
                        ]
                    },
                )),
            }
        }
        "option" => {
            let Some(&o) = index.options.get(name) else {
                return Err(unknown_name(
                    source,
                    &at,
                    "option",
                    name,
                    r.file.options.iter().map(|o| o.name.as_str()),
                ));
            };
            let opt = &r.input.options[o];
            let owned_fields = [
                ("availability", OwnedField::Availability, (0.01, 1.0)),
                ("residual_value", OwnedField::ResidualValue, (0.0, 1.0)),
                ("support_pct_per_year", OwnedField::SupportPct, (0.0, 100.0)),
                ("staff_fte_fixed", OwnedField::StaffFixed, (0.0, 1e5)),
                (
                    "staff_fte_per_server",
                    OwnedField::StaffPerServer,
                    (0.0, 1e3),
                ),
                ("staff_salary_per_year", OwnedField::Salary, (0.0, 1e9)),
                ("software_per_gpu_year", OwnedField::Software, (0.0, 1e9)),
                (
                    "financing.annual_rate",
                    OwnedField::FinancingRate,
                    (0.0, 1.0),
                ),
                (
                    "time_slicing_efficiency",
                    OwnedField::TimeSlicingEfficiency,
                    (0.05, 1.0),
                ),
            ];
            let cloud_fields = [
                ("committed_share", CloudField::CommittedShare, (0.0, 1.0)),
                ("spot_share", CloudField::SpotShare, (0.0, 1.0)),
                (
                    "spot_interruption_overhead",
                    CloudField::SpotOverhead,
                    (0.0, 5.0),
                ),
                ("storage_tb", CloudField::StorageTb, (0.0, 1e9)),
                ("egress_tb_per_month", CloudField::EgressTb, (0.0, 1e9)),
                ("cloud_pue", CloudField::Pue, (1.0, 5.0)),
                (
                    "cloud_grid_co2_g_per_kwh",
                    CloudField::GridCo2,
                    (0.0, 5000.0),
                ),
            ];
            if let Some((_, f, range)) = owned_fields.iter().find(|(n, _, _)| *n == field) {
                let Some(owned) = opt.owned.as_ref() else {
                    return Err(bad(
                        format!("option `{name}` owns no hardware"),
                        "an owned-hardware field of an onprem or hybrid option",
                    ));
                };
                if *f == OwnedField::TimeSlicingEfficiency
                    && !matches!(
                        owned.sharing,
                        crate::model::sharing::Sharing::TimeSlicing { .. }
                    )
                {
                    return Err(bad(
                        format!("option `{name}` does not time-slice its GPUs"),
                        "an option with `sharing = \"time-slicing\"`",
                    ));
                }
                if *f == OwnedField::FinancingRate && matches!(owned.financing, Financing::Cash) {
                    return Err(bad(
                        format!("option `{name}` pays cash"),
                        "a loan or lease to make its rate uncertain",
                    ));
                }
                return Ok((
                    Target::Owned {
                        options: vec![(o, Conv::ONE)],
                        field: *f,
                    },
                    *range,
                ));
            }
            if let Some((_, f, range)) = cloud_fields.iter().find(|(n, _, _)| *n == field) {
                let Some(cloud) = opt.cloud.as_ref() else {
                    return Err(bad(
                        format!("option `{name}` has no cloud part"),
                        "a cloud field of a cloud or hybrid option",
                    ));
                };
                if *f == CloudField::CommittedShare
                    && !matches!(cloud.commitment, Commitment::Share(_))
                {
                    return Err(bad(
                        format!("option `{name}` has no `committed_share`"),
                        "an option sized by `committed_share`",
                    ));
                }
                return Ok((
                    Target::Cloud {
                        options: vec![(o, Conv::ONE, None)],
                        field: *f,
                    },
                    *range,
                ));
            }
            let known: Vec<&str> = owned_fields
                .iter()
                .map(|f| f.0)
                .chain(cloud_fields.iter().map(|f| f.0))
                .collect();
            Err(unknown_field("option", &known))
        }
        "site" => {
            let Some((users, currency)) = index.sites.get(name) else {
                return Err(unused(
                    source,
                    &at,
                    "site",
                    name,
                    r.option_links
                        .iter()
                        .filter_map(|l| l.site.as_ref().map(|(s, _)| s.as_str())),
                ));
            };
            let (f, range, money) = match field {
                "electricity_per_kwh" => (OwnedField::Electricity, (0.0, 100.0), true),
                "pue" => (OwnedField::Pue, (1.0, 5.0), false),
                "colocation_per_kw_month" => (OwnedField::Colocation, (0.0, 1e6), true),
                "grid_co2_g_per_kwh" => (OwnedField::GridCo2, (0.0, 5000.0), false),
                _ => {
                    return Err(unknown_field(
                        "site",
                        &[
                            "electricity_per_kwh",
                            "pue",
                            "colocation_per_kw_month",
                            "grid_co2_g_per_kwh",
                        ],
                    ));
                }
            };
            let c = if money {
                conv(currency, 1.0)
            } else {
                Conv::ONE
            };
            Ok((
                Target::Owned {
                    options: users.iter().map(|&o| (o, c)).collect(),
                    field: f,
                },
                range,
            ))
        }
        "server" => {
            let users = index.servers.get(name).cloned().unwrap_or_default();
            if users.is_empty() {
                return Err(unused(
                    source,
                    &at,
                    "server",
                    name,
                    r.option_links.iter().filter_map(|l| l.server.as_deref()),
                ));
            }
            let (f, range, c) = match field {
                "price_usd" => (OwnedField::ServerPrice, MONEY, conv("USD", 1.0)),
                "max_power_kw" => (OwnedField::MaxPowerKw, (1e-3, 1e4), Conv::ONE),
                "idle_fraction" => (OwnedField::IdleFraction, (0.0, 1.0), Conv::ONE),
                "support_pct_per_year" => (OwnedField::SupportPct, (0.0, 100.0), Conv::ONE),
                _ => {
                    return Err(unknown_field(
                        "server",
                        &[
                            "price_usd",
                            "max_power_kw",
                            "idle_fraction",
                            "support_pct_per_year",
                        ],
                    ));
                }
            };
            // An option's own support percentage overrides the catalog's.
            let users: Vec<usize> = users
                .into_iter()
                .filter(|o| {
                    f != OwnedField::SupportPct || r.file.options[*o].support_pct_per_year.is_none()
                })
                .collect();
            if users.is_empty() {
                return Err(bad(
                    format!(
                        "every option using server `{name}` sets its own `support_pct_per_year`"
                    ),
                    "a server whose catalog support percentage is used",
                ));
            }
            Ok((
                Target::Owned {
                    options: users.into_iter().map(|o| (o, c)).collect(),
                    field: f,
                },
                range,
            ))
        }
        "automation" => {
            // Options at this degree of automation, with their GPUs per server.
            let users: Vec<(usize, f64)> = r
                .file
                .options
                .iter()
                .enumerate()
                .filter(|(_, o)| o.automation.as_deref() == Some(name))
                .filter_map(|(o, _)| {
                    let owned = r.input.options.get(o)?.owned.as_ref()?;
                    Some((o, f64::from(owned.gpus_per_server)))
                })
                .collect();
            if users.is_empty() {
                return Err(unused(
                    source,
                    &at,
                    "automation level",
                    name,
                    r.file
                        .options
                        .iter()
                        .filter_map(|o| o.automation.as_deref()),
                ));
            }
            let (f, range, own_key) = match field {
                "fte_per_100_gpus" => (
                    OwnedField::StaffPerServer,
                    (0.0, 100.0),
                    "staff_fte_per_server",
                ),
                "software_per_gpu_year_usd" => {
                    (OwnedField::Software, (0.0, 1e6), "software_per_gpu_year")
                }
                _ => {
                    return Err(unknown_field(
                        "automation",
                        &["fte_per_100_gpus", "software_per_gpu_year_usd"],
                    ));
                }
            };
            // An option's own staff or software figure overrides the catalog's (S1).
            let options: Vec<(usize, Conv)> = users
                .into_iter()
                .filter(|(o, _)| {
                    let spec = &r.file.options[*o];
                    match f {
                        OwnedField::StaffPerServer => spec.staff_fte_per_server.is_none(),
                        _ => spec.software_per_gpu_year.is_none(),
                    }
                })
                .map(|(o, gpus)| {
                    let c = match f {
                        // Staff per server = FTE per 100 GPUs × GPUs per server / 100.
                        OwnedField::StaffPerServer => Conv {
                            per: 100.0 / gpus.max(1.0),
                            div: 1.0,
                            mul: 1.0,
                        },
                        _ => conv("USD", 1.0),
                    };
                    (o, c)
                })
                .collect();
            if options.is_empty() {
                return Err(bad(
                    format!("every option at automation `{name}` sets its own `{own_key}`"),
                    "an automation level whose catalog figure an option uses",
                ));
            }
            Ok((Target::Owned { options, field: f }, range))
        }
        "offer" | "provider" => {
            let by_row = if kind == "offer" {
                &index.offers
            } else {
                &index.providers
            };
            let users = by_row.get(name).cloned().unwrap_or_default();
            if users.is_empty() {
                let used = r.option_links.iter().filter_map(|l| {
                    l.offer.as_ref().map(|o| {
                        if kind == "offer" {
                            o.id.as_str()
                        } else {
                            o.provider.as_str()
                        }
                    })
                });
                return Err(unused(
                    source,
                    &at,
                    if kind == "offer" {
                        "cloud offer"
                    } else {
                        "cloud provider"
                    },
                    name,
                    used,
                ));
            }
            let link = |o: usize| r.option_links[o].offer.clone().expect("users have offers");
            let (f, range, term): (CloudField, (f64, f64), Option<i64>) = match (kind, field) {
                ("offer", "on_demand_usd_per_hour") => (CloudField::OnDemand, (1e-6, 1e12), None),
                ("offer", "spot_usd_per_hour") => (CloudField::Spot, MONEY, None),
                ("offer", "commit_1y_usd_per_hour") => (CloudField::Commit, MONEY, Some(1)),
                ("offer", "commit_3y_usd_per_hour") => (CloudField::Commit, MONEY, Some(3)),
                ("provider", "storage_usd_per_tb_month") => (CloudField::StoragePrice, MONEY, None),
                ("provider", "egress_usd_per_tb") => (CloudField::EgressPrice, MONEY, None),
                ("offer", _) => {
                    return Err(unknown_field(
                        "cloud offer",
                        &[
                            "on_demand_usd_per_hour",
                            "spot_usd_per_hour",
                            "commit_1y_usd_per_hour",
                            "commit_3y_usd_per_hour",
                        ],
                    ));
                }
                _ => {
                    return Err(unknown_field(
                        "cloud provider",
                        &["storage_usd_per_tb_month", "egress_usd_per_tb"],
                    ));
                }
            };
            if f == CloudField::Spot && index.offers_without_spot.contains(name) {
                return Err(bad(
                    format!("offer `{name}` has no spot price"),
                    "an offer with a spot price",
                ));
            }
            let users: Vec<usize> = users
                .into_iter()
                .filter(|o| term.is_none_or(|t| link(*o).commit_term_years == t))
                .collect();
            if users.is_empty() {
                return Err(bad(
                    format!("no option commits to offer `{name}` for that term"),
                    "the committed price of the term an option uses",
                ));
            }
            let per_gpu = matches!(
                f,
                CloudField::OnDemand | CloudField::Spot | CloudField::Commit
            );
            let options = users
                .into_iter()
                .map(|o| {
                    let l = link(o);
                    let per = if per_gpu {
                        f64::from(l.gpus_per_instance)
                    } else {
                        1.0
                    };
                    let derived = if f == CloudField::OnDemand {
                        l.derived_commit_discount
                    } else {
                        None
                    };
                    (o, conv("USD", per), derived)
                })
                .collect();
            Ok((Target::Cloud { options, field: f }, range))
        }
        _ => Err(bad(
            format!("unknown path kind `{kind}`"),
            "`workload`, `option`, `site`, `server`, `offer`, `provider` or `automation`",
        )),
    }
}

fn unknown_name<'a>(
    source: &Source,
    at: &[Seg],
    kind: &str,
    name: &str,
    known: impl Iterator<Item = &'a str>,
) -> InputError {
    let known: Vec<&str> = known.collect();
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    error_at(source, at, format!("no {kind} named `{name}`"))
        .expected(format!("the name of {article} {kind} of this scenario"))
        .found(format!("`{name}`"))
        .hint_nearest("the nearest are", name, known)
}

fn unused<'a>(
    source: &Source,
    at: &[Seg],
    kind: &str,
    id: &str,
    used: impl Iterator<Item = &'a str>,
) -> InputError {
    let mut used: Vec<&str> = used.collect();
    used.sort_unstable();
    used.dedup();
    let e = error_at(
        source,
        at,
        format!("{kind} `{id}` is not used by this scenario"),
    )
    .expected(format!("a {kind} that an option uses"))
    .found(format!("`{id}`"));
    // The scenario uses only a few rows of each kind: list them all, near or not.
    let list: Vec<String> = used.iter().map(|u| format!("`{u}`")).collect();
    if list.is_empty() {
        e
    } else {
        e.hint(format!("used here: {}", list.join(", ")))
    }
}

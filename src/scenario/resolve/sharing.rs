//! Shared GPUs in a scenario (README SG1–SG5): a workload's `gpu_fraction`, an owned option's
//! `sharing`, and the combinations the model does not serve.

use super::{Ctx, Seg};
use crate::catalog::{Accelerator, RowValue};
use crate::error::InputError;
use crate::model::generations::{Refresh, RefreshTo};
use crate::model::sharing::{MIN_GPU_FRACTION, MigProfiles, Sharing};
use crate::scenario::{OptionSpec, ScenarioFile, WorkloadSpec};

/// The time-slicing efficiency without `time_slicing_efficiency` (SG2).
pub(super) const TIME_SLICING_EFFICIENCY: f64 = 0.9;

/// Workload `n`'s `gpu_fraction` (SG1): 0.001 to 64, for a workload served in its
/// hour from a load profile.
pub(super) fn gpu_fraction(
    ctx: &Ctx,
    n: usize,
    w: &WorkloadSpec,
) -> Result<Option<f64>, InputError> {
    let Some(f) = w.gpu_fraction else {
        return Ok(None);
    };
    let p = [
        Seg::Key("workload"),
        Seg::Index(n),
        Seg::Key("gpu_fraction"),
    ];
    if !(f.is_finite() && (MIN_GPU_FRACTION..=64.0).contains(&f)) {
        return Err(ctx
            .err(&p, "`gpu_fraction` is out of range")
            .expected(
                "the share of a reference GPU one job needs, from 0.001 to 64 (1/7 for a seventh)",
            )
            .found(crate::error::written(f)));
    }
    if w.trace.is_some() {
        return Err(ctx
            .err(&p, "`gpu_fraction` on a trace workload")
            .expected("a trace's own GPU counts, or a workload with a load profile")
            .found("`gpu_fraction` with `trace`"));
    }
    if w.max_wait_hours.is_some_and(|h| h > 0) {
        return Err(ctx
            .err(&p, "`gpu_fraction` on a workload that waits")
            .expected("jobs of a fraction of a GPU served in their hour (`max_wait_hours = 0`)")
            .found(format!(
                "`max_wait_hours = {}`",
                w.max_wait_hours.unwrap_or(0)
            )));
    }
    Ok(Some(f))
}

/// Owned option `n`'s `sharing` on its accelerator (SG2), with the catalog figures it uses
/// recorded on the accelerator's row.
pub(super) fn sharing(
    ctx: &mut Ctx,
    n: usize,
    o: &OptionSpec,
    accelerator: &Accelerator,
) -> Result<Sharing, InputError> {
    let p = |f: &'static str| [Seg::Key("option"), Seg::Index(n), Seg::Key(f)];
    let mode = o.sharing.as_deref().unwrap_or("none");
    let unknown = |ctx: &Ctx| {
        ctx.err(&p("sharing"), format!("unknown sharing `{mode}`"))
            .expected("`none`, `mig` or `time-slicing`")
            .found(format!("`{mode}`"))
            .did_you_mean(mode, ["none", "mig", "time-slicing"])
    };
    if !["none", "mig", "time-slicing"].contains(&mode) {
        // Named before `time_slicing_efficiency`, which a misspelt `time-slicing` would
        // otherwise be blamed on.
        return Err(unknown(ctx));
    }
    if o.time_slicing_efficiency.is_some() && mode != "time-slicing" {
        return Err(ctx
            .err(
                &p("time_slicing_efficiency"),
                "`time_slicing_efficiency` without time-slicing",
            )
            .expected("`sharing = \"time-slicing\"`, or no `time_slicing_efficiency`")
            .found(format!("`sharing = \"{mode}\"`")));
    }
    match mode {
        "none" => Ok(Sharing::None),
        "time-slicing" => Ok(Sharing::TimeSlicing {
            efficiency: ctx.value_in(
                &p("time_slicing_efficiency"),
                o.time_slicing_efficiency.unwrap_or(TIME_SLICING_EFFICIENCY),
                0.05,
                1.0,
                "a share of the GPU's time from 0.05 to 1",
            ),
        }),
        "mig" => {
            let Some(mig) = mig_profiles(accelerator) else {
                let with: Vec<&str> = ctx
                    .catalog
                    .accelerators
                    .iter()
                    .filter(|a| a.mig_profiles.is_some())
                    .map(|a| a.id.as_str())
                    .collect();
                return Err(ctx
                    .err(
                        &p("sharing"),
                        format!("accelerator `{}` has no MIG profiles", accelerator.id),
                    )
                    .expected(format!(
                        "`time-slicing` or `none`, or a server whose accelerator has `mig_profiles` ({})",
                        with.join(", ")
                    ))
                    .found("`sharing = \"mig\"`"));
            };
            let text = mig
                .profiles
                .iter()
                .map(|[s, i]| format!("{s}g x{i}"))
                .collect::<Vec<_>>()
                .join(", ");
            ctx.add_values(
                "accelerators",
                &accelerator.id,
                &accelerator.origin,
                vec![
                    RowValue::catalog("mig_slices", f64::from(mig.slices), "slices"),
                    RowValue {
                        value: crate::catalog::Figure::Text(text),
                        ..RowValue::catalog("mig_profiles", 0.0, "")
                    },
                ],
            );
            Ok(Sharing::Mig {
                slices: mig.slices,
                profiles: mig.profiles,
            })
        }
        _ => Err(unknown(ctx)),
    }
}

/// An accelerator's MIG layout from the catalog, if it has one.
pub(super) fn mig_profiles(accelerator: &Accelerator) -> Option<MigProfiles> {
    Some(MigProfiles {
        slices: accelerator.mig_slices?,
        profiles: accelerator.mig_profiles.clone()?.into(),
    })
}

/// A warning for an option that shares its GPUs by MIG and may refresh to hardware without
/// MIG (G1), on which its fractional jobs hold whole GPUs (SG2).
pub(super) fn warn_refresh_without_mig(
    ctx: &mut Ctx,
    name: &str,
    sharing: &Sharing,
    refresh: Option<&Refresh>,
) {
    let (Sharing::Mig { .. }, Some(refresh)) = (sharing, refresh) else {
        return;
    };
    let (without, how): (Vec<&str>, &str) = match &refresh.to {
        RefreshTo::Server(hw) => (
            hw.mig
                .is_none()
                .then_some(hw.id.as_str())
                .into_iter()
                .collect(),
            "refreshes to",
        ),
        RefreshTo::Best => (
            refresh
                .candidates
                .iter()
                .filter(|hw| hw.mig.is_none())
                .map(|hw| hw.id.as_str())
                .collect(),
            "may refresh to",
        ),
    };
    if without.is_empty() {
        return;
    }
    ctx.warnings.push(format!(
        "option `{}` shares its GPUs by MIG but {how} {} without MIG profiles: there its jobs that need a fraction of a GPU hold whole GPUs",
        crate::limits::printable(name),
        without
            .iter()
            .map(|id| format!("`{id}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
}

/// Cloud option `n`'s `fractional_offer` (SG3): that offer as the option rents it for the
/// fractional workloads' cloud work, on demand and spot as the option says, without commitment,
/// storage, egress or riding generations; a warning when no workload is fractional.
pub(super) fn fractional_offer(
    ctx: &mut Ctx,
    n: usize,
    o: &OptionSpec,
    basis: &str,
    ref_throughput: f64,
    currency: &str,
) -> Result<Option<crate::model::CloudIn>, InputError> {
    let Some(id) = &o.fractional_offer else {
        return Ok(None);
    };
    let p = [
        Seg::Key("option"),
        Seg::Index(n),
        Seg::Key("fractional_offer"),
    ];
    if ctx.catalog.offer(id).is_none() {
        return Err(ctx.unknown(
            &p,
            "cloud offer",
            id,
            ctx.catalog.offers.iter().map(|s| s.id.as_str()).collect(),
        ));
    }
    let spec = OptionSpec {
        offer: Some(id.clone()),
        committed_share: None,
        committed_gpus: None,
        commit_term_years: None,
        storage_tb: None,
        egress_tb_per_month: None,
        cloud_generations: None,
        fractional_offer: None,
        ..o.clone()
    };
    let mut c = super::resolve_cloud(ctx, n, &spec, basis, ref_throughput, currency)?;
    c.commitment = crate::model::Commitment::None;
    Ok(Some(c))
}

/// A `fractional_offer` in a scenario without fractional workloads: a warning.
pub(super) fn unused_fractional_offer(file: &ScenarioFile) -> Option<String> {
    if file.workloads.iter().any(|w| w.gpu_fraction.is_some()) {
        return None;
    }
    let o = file.options.iter().find(|o| o.fractional_offer.is_some())?;
    Some(format!(
        "option `{}` names a `fractional_offer`, but no workload has a `gpu_fraction`: it serves nothing",
        o.name
    ))
}

/// Fractional workloads in a scenario the model cannot serve them in: one with trace workloads
/// (replayed on whole GPUs). The error names the first fractional workload.
pub(super) fn check(ctx: &Ctx, file: &ScenarioFile) -> Option<InputError> {
    let n = file
        .workloads
        .iter()
        .position(|w| w.gpu_fraction.is_some())?;
    let path = [
        Seg::Key("workload"),
        Seg::Index(n),
        Seg::Key("gpu_fraction"),
    ];
    if let Some(w) = file.workloads.iter().find(|w| w.trace.is_some()) {
        return Some(
            ctx.err(&path, "`gpu_fraction` beside a trace workload")
                .expected("fractional jobs in a scenario of load profiles (trace jobs are replayed on whole GPUs)")
                .found(format!("workload `{}` is a trace", w.name)),
        );
    }
    None
}

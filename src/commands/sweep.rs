//! `tcosim sweep`: the scenario's `[sweep]` grid, its optimum and chart, and the policies
//! checked at the best point.

use super::shared::{
    broken_policies, catalog_inputs, chart_bytes, check_outputs, emit, inputs, scenario_inputs,
    size_global_pool, warn, with_progress, with_threads,
};
use crate::cli::SweepArgs;
use crate::{Failure, interrupt, output};
use tcosim::montecarlo::engine::Cancelled;
use tcosim::run::Loaded;

/// `tcosim sweep`: exit code 1 when a policy is broken at the best point, after the outputs
/// are written.
pub fn sweep(args: SweepArgs, quiet: bool) -> Result<(), Failure> {
    size_global_pool(args.sampling.threads)?;
    let loaded = Loaded::read(args.scenario.as_deref(), &args.out.catalog)?;
    let plan = loaded.sweep_plan()?;
    let samples = plan.objective == tcosim::montecarlo::sweep::Objective::P90PvCost;
    let policies = loaded.policies(&args.policy, samples)?;
    let output = crate::output::file(args.out.output.as_deref());
    let read = [
        scenario_inputs(args.scenario.as_deref(), &loaded),
        inputs("a policy file", &args.policy),
        catalog_inputs(&args.out.catalog),
    ];
    check_outputs(output, args.chart.as_deref(), &read.concat())?;
    let uncertainty = loaded.uncertainty.clone();
    let run = loaded.simulate()?;
    for w in &run.warnings {
        warn(quiet, w);
    }
    if plan.objective == tcosim::montecarlo::sweep::Objective::P90PvCost && uncertainty.is_empty() {
        warn(
            quiet,
            "the scenario has no `[[uncertain]]` inputs: every sample equals the deterministic run, so the P90 of each point is its PV",
        );
    }
    let seed = args.sampling.seed;
    let (s, outcomes) = with_threads(args.sampling.threads, || {
        let s = run_sweep(quiet, &run.input, &run.months, &plan, &uncertainty, seed)?;
        let outcomes = tcosim::policy::evaluate_at_sweep_best(
            &policies,
            &run.input,
            &s,
            &uncertainty,
            seed,
            interrupt::flag(),
        )?;
        Ok::<_, Cancelled>((s, outcomes))
    })??;
    let chart = match &args.chart {
        Some(path) => Some((
            path.as_path(),
            chart_bytes(path, tcosim::report::charts::sweep(&run, &s))?,
        )),
        None => None,
    };
    let text = tcosim::report::uncertainty::sweep(
        &run,
        &s,
        seed,
        &outcomes,
        args.out.format,
        output::use_color(output),
    );
    emit(
        output,
        &text,
        chart.as_ref().map(|(p, b)| (*p, b.as_slice())),
    )?;
    broken_policies(&outcomes)
}

/// Evaluates a sweep with a progress bar, stopped by a signal.
pub fn run_sweep(
    quiet: bool,
    input: &tcosim::model::Input,
    months: &[tcosim::model::MonthDemand],
    plan: &tcosim::montecarlo::sweep::Plan,
    uncertainty: &tcosim::montecarlo::uncertain::Uncertainty,
    seed: u64,
) -> Result<tcosim::montecarlo::sweep::Sweep, Cancelled> {
    let units = if plan.work_per_point() > 1 {
        format!("samples over {} grid points", plan.points())
    } else {
        "grid points".to_string()
    };
    with_progress(quiet, plan.work(), &units, |progress| {
        tcosim::montecarlo::sweep::run_cancellable(
            input,
            months,
            plan,
            uncertainty,
            seed,
            progress,
            interrupt::flag(),
        )
    })
}

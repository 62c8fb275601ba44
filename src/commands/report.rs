//! `tcosim report`: the decision report folder of a scenario, written atomically.

use super::shared::{
    broken_policies, catalog_inputs, check_samples, inputs, refuse_inputs_inside, scenario_inputs,
    size_global_pool, warn, with_progress, with_threads,
};
use super::sweep::run_sweep;
use crate::cli::ReportArgs;
use crate::{Failure, interrupt};
use tcosim::error::InputError;
use tcosim::report::folder::{self, Destination, Origin};
use tcosim::run::Loaded;

/// Monte Carlo samples of a report when the scenario has uncertain inputs and `--samples` is
/// not given.
const REPORT_SAMPLES: u64 = 10_000;

/// Renders the report folder of a scenario and writes it atomically; prints its path on stderr.
/// With `[[uncertain]]` inputs it adds Monte Carlo and sensitivity, with a `[sweep]` the sweep;
/// a scenario with neither gives the deterministic report.
pub fn report(args: ReportArgs, quiet: bool) -> Result<(), Failure> {
    size_global_pool(args.sampling.threads)?;
    let loaded = Loaded::read(args.scenario.as_deref(), &args.catalog)?;
    let plan = match loaded.resolved.file.sweep {
        Some(_) => Some(loaded.sweep_plan()?),
        None => None,
    };
    let uncertainty = loaded.uncertainty.clone();
    let samples = match args.samples {
        Some(0) => 0,
        Some(n) => {
            check_samples(n)?;
            if uncertainty.is_empty() {
                warn(
                    quiet,
                    "the scenario has no `[[uncertain]]` inputs: the report has no Monte Carlo charts",
                );
                0
            } else {
                n
            }
        }
        None if uncertainty.is_empty() => 0,
        None => REPORT_SAMPLES,
    };
    let policies = loaded.policies(&args.policy, samples > 0)?;
    let read = [
        scenario_inputs(args.scenario.as_deref(), &loaded),
        inputs("a policy file", &args.policy),
        catalog_inputs(&args.catalog),
    ]
    .concat();
    let mut run = loaded.simulate()?;
    for w in &run.warnings {
        warn(quiet, w);
    }
    let dest = match args.out {
        Some(path) => Destination::named(path),
        None => Destination::default_for(&run),
    };
    let origin = Origin::of(&run);
    // Replacing the folder deletes what its manifest lists: never a file this command reads.
    refuse_inputs_inside(&dest, &read)?;
    // Refused before the work rather than after it; checked again when the folder is swapped.
    folder::check(&dest, &origin)?;
    let seed = args.sampling.seed;
    let mut analyses = folder::Analyses::default();
    if samples > 0 || !uncertainty.is_empty() || plan.is_some() {
        let (input, months) = (&run.input, &run.months);
        let focus = tcosim::report::default_focus(&run);
        let (mc, sensitivity, sweep) = with_threads(args.sampling.threads, || {
            let mc = if samples > 0 {
                Some(with_progress(quiet, samples, "samples", |progress| {
                    tcosim::montecarlo::engine::run_on(
                        input,
                        months,
                        &uncertainty,
                        samples,
                        seed,
                        tcosim::montecarlo::engine::FanChart::Record,
                        progress,
                        interrupt::flag(),
                    )
                })?)
            } else {
                None
            };
            let sensitivity = (!uncertainty.is_empty()).then(|| {
                tcosim::montecarlo::sensitivity::run_on(input, months, &uncertainty, focus)
            });
            interrupt::check()?;
            let sweep = match &plan {
                Some(p) => Some(run_sweep(quiet, input, months, p, &uncertainty, seed)?),
                None => None,
            };
            Ok::<_, Failure>((mc, sensitivity, sweep))
        })??;
        run.montecarlo = mc;
        analyses.sensitivity = sensitivity;
        analyses.sweep = sweep;
    }
    interrupt::check()?;
    run.policies = tcosim::policy::evaluate(&policies, &run.output, run.montecarlo.as_ref());
    let files = folder::render_report(&run, &analyses, args.markdown_charts).map_err(|e| {
        InputError::new(dest.path.display().to_string(), "cannot render the report")
            .found(e.to_string())
    })?;
    let _writing = interrupt::Writing::start();
    folder::write(&dest, &files, &origin, interrupt::flag())?;
    if !quiet {
        eprintln!("wrote {} ({} files)", dest.path.display(), files.len());
    }
    broken_policies(&run.policies)
}

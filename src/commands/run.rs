//! `tcosim run` (also the command without a subcommand): simulate a scenario, optionally with
//! Monte Carlo, render it in the asked format, then check its policies.

use super::shared::{
    broken_policies, catalog_inputs, check_outputs, check_samples, emit, inputs, scenario_inputs,
    size_global_pool, warn, with_progress, with_threads,
};
use crate::cli::RunArgs;
use crate::{Failure, interrupt, output};
use tcosim::error::InputError;
use tcosim::run::Loaded;

/// `tcosim run`: exit code 1 when a policy is broken, after the output is written.
pub fn run(mut args: RunArgs, quiet: bool) -> Result<(), Failure> {
    size_global_pool(args.sampling.threads)?;
    if let Some(samples) = args.samples {
        check_samples(samples)?;
    }
    // `--samples 0` means no Monte Carlo, as in `report`.
    args.samples = args.samples.filter(|n| *n > 0);
    if args.monthly && args.samples.is_some() && args.out.format == tcosim::report::Format::Csv {
        return Err(
            InputError::new("--monthly", "--monthly does not apply to Monte Carlo CSV")
                .expected("--monthly for the deterministic months, or --samples for the Monte Carlo statistics (one row per option and metric)")
                .found("both, with --format csv").into(),
        );
    }
    let loaded = Loaded::read(args.scenario.as_deref(), &args.out.catalog)?;
    let output = crate::output::file(args.out.output.as_deref());
    let read = [
        scenario_inputs(args.scenario.as_deref(), &loaded),
        inputs("a policy file", &args.policy),
        catalog_inputs(&args.out.catalog),
    ];
    check_outputs(output, None, &read.concat())?;
    let policies = loaded.policies(&args.policy, args.samples.is_some())?;
    let uncertainty = loaded.uncertainty.clone();
    let mut run = loaded.simulate()?;
    for w in &run.warnings {
        warn(quiet, w);
    }
    if let Some(samples) = args.samples {
        if uncertainty.is_empty() {
            warn(
                quiet,
                "the scenario has no `[[uncertain]]` inputs: every sample equals the deterministic run",
            );
        }
        let (input, months) = (&run.input, &run.months);
        let mc = with_threads(args.sampling.threads, || {
            with_progress(quiet, samples, "samples", |progress| {
                tcosim::montecarlo::engine::run_on(
                    input,
                    months,
                    &uncertainty,
                    samples,
                    args.sampling.seed,
                    tcosim::montecarlo::engine::FanChart::Skip,
                    progress,
                    interrupt::flag(),
                )
            })
        })??;
        run.montecarlo = Some(mc);
    }
    run.policies = tcosim::policy::evaluate(&policies, &run.output, run.montecarlo.as_ref());
    let text = tcosim::report::render(
        &run,
        args.out.format,
        args.monthly,
        output::use_color(output),
    );
    emit(output, &text, None)?;
    broken_policies(&run.policies)
}

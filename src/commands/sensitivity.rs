//! `tcosim sensitivity`: each uncertain input at its P10 and P90 with the others at their
//! central values, as a table and optionally a tornado chart.

use super::shared::{catalog_inputs, chart_bytes, check_outputs, emit, scenario_inputs, warn};
use crate::cli::SensitivityArgs;
use crate::{Failure, interrupt, output};
use tcosim::error::InputError;
use tcosim::run::Loaded;

/// `tcosim sensitivity`: needs at least one uncertain input.
pub fn sensitivity(args: SensitivityArgs, quiet: bool) -> Result<(), Failure> {
    let loaded = Loaded::read(args.scenario.as_deref(), &args.out.catalog)?;
    let output = crate::output::file(args.out.output.as_deref());
    let read = [
        scenario_inputs(args.scenario.as_deref(), &loaded),
        catalog_inputs(&args.out.catalog),
    ];
    check_outputs(output, args.chart.as_deref(), &read.concat())?;
    let shown = loaded.source.display.clone();
    let uncertainty = loaded.uncertainty.clone();
    let run = loaded.simulate()?;
    for w in &run.warnings {
        warn(quiet, w);
    }
    if uncertainty.is_empty() {
        return Err(
            InputError::new(shown, "the scenario has no uncertain inputs")
                .expected("at least one `[[uncertain]]` entry")
                .found("none")
                .into(),
        );
    }
    let focus = match &args.option {
        Some(name) => run
            .output
            .options
            .iter()
            .position(|o| &o.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = run.output.options.iter().map(|o| o.name.as_str()).collect();
                let e = InputError::new(
                    "--option",
                    format!("no option named `{}`", tcosim::limits::printable(name)),
                )
                .expected(format!("the name of an option of {shown}"))
                .found(tcosim::limits::quoted(name));
                if tcosim::error::nearest_ids(name, names.iter().copied(), 1).is_empty() {
                    // Nothing near: the options themselves (a scenario has at most 1,000).
                    let shown: Vec<String> =
                        names.iter().take(10).map(|n| format!("`{n}`")).collect();
                    let more = if names.len() > 10 { ", …" } else { "" };
                    e.hint(format!(
                        "the scenario's options are {}{more}",
                        shown.join(", ")
                    ))
                } else {
                    e.hint_nearest("the nearest are", name, names.iter().copied())
                }
            })?,
        None => tcosim::report::default_focus(&run),
    };
    let s = tcosim::montecarlo::sensitivity::run_on(&run.input, &run.months, &uncertainty, focus);
    interrupt::check()?;
    let chart = match &args.chart {
        Some(path) => Some((
            path.as_path(),
            chart_bytes(path, tcosim::report::charts::tornado(&run, &s))?,
        )),
        None => None,
    };
    let text = tcosim::report::uncertainty::sensitivity(
        &run,
        &s,
        args.out.format,
        output::use_color(output),
    );
    emit(
        output,
        &text,
        chart.as_ref().map(|(p, b)| (*p, b.as_slice())),
    )
}

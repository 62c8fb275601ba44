//! `tcosim init`: a commented starter scenario that runs as written, from one of the example
//! scenarios.

use crate::Failure;
use crate::cli::{InitArgs, Preset};
use crate::output::Out;
use tcosim::error::InputError;

/// The example a preset starts from, and what the starter changes so that it runs on its own.
fn text(preset: Preset) -> String {
    let (example, body) = match preset {
        Preset::Enterprise => (
            "enterprise-llm-frankfurt",
            include_str!("../../scenarios/enterprise-llm-frankfurt.toml").to_string(),
        ),
        Preset::Startup => (
            "startup-finetune",
            include_str!("../../scenarios/startup-finetune.toml").to_string(),
        ),
        Preset::Inference => (
            "inference-fleet",
            // The example's hourly CSV lives beside it; a starter must run on its own, so it
            // uses a built-in profile until the planner points it at their own hours.
            include_str!("../../scenarios/inference-fleet.toml").replace(
                "profile = \"profiles/inference-diurnal.csv\"",
                "profile = \"business-hours\"            # or the path of an hourly CSV: 8760 values, one per hour of a year",
            ),
        ),
    };
    format!(
        "# A starter scenario from `tcosim init --preset {}` (the example scenarios/{example}.toml).\n\
         # Run it with `tcosim run FILE`; `tcosim validate FILE` checks it; the README's \"Scenario\n\
         # files\" section explains every key, and `tcosim catalog list offers` shows the ids.\n\n{body}",
        preset.name()
    )
}

/// The file argument as `tcosim init --help` shows it, for messages about it.
const FILE_ARG: &str = "[FILE]";

pub fn init(args: InitArgs) -> Result<(), Failure> {
    let text = text(args.preset);
    // Without FILE, or with `-`, the starter is printed.
    let Some(path) = crate::output::file(args.file.as_deref()) else {
        return crate::output::emit(&[], Some(&text));
    };
    // A folder is refused as one by the check below, with or without `--force`; a device or a
    // FIFO (`/dev/stdout` on a terminal or a pipe) is written to as `--output` writes to it.
    if path.is_file() && !args.force {
        return Err(
            InputError::new(path.display().to_string(), "the file exists")
                .expected("a new file, or `--force` to replace it")
                .found("an existing file")
                .into(),
        );
    }
    crate::output::check(&[(FILE_ARG, path)], &[])?;
    crate::output::emit(
        &[Out {
            flag: FILE_ARG,
            path,
            bytes: text.as_bytes(),
        }],
        None,
    )
}

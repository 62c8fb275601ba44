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
            // uses a built-in profile until the planner points it at their own hours. That
            // profile's peaks are higher (every weekday's business hours at once), so the owned
            // options are sized for it, keeping the example's reading: the baseline serves every
            // peak until its last year.
            INFERENCE_EDITS.iter().fold(
                include_str!("../../scenarios/inference-fleet.toml").to_string(),
                |text, (from, to)| text.replace(from, to),
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

/// What the inference starter changes in its example: (text, replacement); a test checks that
/// each one still finds its text.
const INFERENCE_EDITS: [(&str, &str); 5] = [
    (
        "# Traffic follows a synthetic daily, weekly and seasonal pattern (profiles/inference-diurnal.csv,\n\
         # one value per hour of a year).",
        "# Traffic follows the built-in `business-hours` profile (weekdays 08:00-18:00 at five times\n\
         # the other hours; the example reads a year-long hourly CSV instead).",
    ),
    (
        "single hours peak about 1.9 x",
        "business hours run about 2.3 x",
    ),
    (
        "profile = \"profiles/inference-diurnal.csv\"",
        "profile = \"business-hours\"            # or the path of an hourly CSV: 8760 values, one per hour of a year",
    ),
    (
        "servers = 32                         # 256 GPUs: every peak until year 9, then 0.03% unmet",
        "servers = 42                         # 336 GPUs: every peak until month 111, then 0.07% unmet",
    ),
    (
        "servers = 88                         # 704 L4 = about 244 L40S by memory bandwidth",
        "servers = 122                        # 976 L4 = about 339 L40S by memory bandwidth; 0.04% unmet",
    ),
];

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_edit_of_the_inference_starter_finds_its_text() {
        let example = include_str!("../../scenarios/inference-fleet.toml");
        let starter = text(Preset::Inference);
        for (from, to) in INFERENCE_EDITS {
            assert_eq!(example.matches(from).count(), 1, "{from}");
            assert!(!starter.contains(from) && starter.contains(to), "{to}");
        }
    }
}

//! Scenario files: loading, checking and resolving against the catalogs into the model's input.

mod check;
mod resolve;
mod shape;
mod types;

pub use check::{Mistakes, structure};
pub use shape::policy_file_mistakes;

pub use resolve::defaults::DEPRECIATION as DEFAULT_DEPRECIATION;
pub use resolve::{
    MAX_UNSERVED_PRICE, MIN_GPU_HOURS, OfferLink, OptionLinks, Resolved, TrainingFlops, Unresolved,
    check_demand_bound, error_at, resolve, resolve_file, sampled_gpu_hours, training_gpu_hours,
};
pub use types::*;

use crate::error::{InputError, parse_toml};
use std::path::{Path, PathBuf};

/// Name of the built-in example scenario run when no file is given.
pub const BUILTIN_NAME: &str = "<built-in example>";
/// Name of a scenario read from standard input (the path `-`).
pub const STDIN_NAME: &str = "<stdin>";
/// The built-in example: the enterprise LLM platform in Frankfurt.
pub const BUILTIN_TEXT: &str = include_str!("../../scenarios/enterprise-llm-frankfurt.toml");

/// A scenario's text with where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// As shown in messages.
    pub display: String,
    pub text: String,
    /// Folder that relative paths in the scenario (hourly profiles) are read from.
    pub base_dir: Option<PathBuf>,
}

impl Source {
    pub fn builtin() -> Source {
        Source {
            display: BUILTIN_NAME.to_string(),
            text: BUILTIN_TEXT.to_string(),
            base_dir: None,
        }
    }

    pub fn read(path: &Path) -> Result<Source, InputError> {
        if path.as_os_str() == "-" {
            return Source::stdin();
        }
        let display = crate::limits::printable(&path.display().to_string());
        let text = crate::limits::read_text(
            path,
            &display,
            "scenario file",
            crate::limits::MAX_SCENARIO_BYTES,
        )?;
        Ok(Source {
            display,
            text,
            base_dir: path.parent().map(Path::to_path_buf),
        })
    }

    /// The scenario on standard input (the path `-`), shown as [`STDIN_NAME`]: the paths in it
    /// (profiles, traces) are taken from the current folder.
    pub fn stdin() -> Result<Source, InputError> {
        let text = crate::limits::read_stdin(
            STDIN_NAME,
            "scenario file",
            crate::limits::MAX_SCENARIO_BYTES,
        )?;
        Ok(Source {
            display: STDIN_NAME.to_string(),
            text,
            base_dir: None,
        })
    }

    /// For a scenario on standard input, the hint that its relative paths are read from the
    /// current folder (a file's are read from its folder).
    pub fn stdin_paths_hint(&self) -> Option<&'static str> {
        (self.display == STDIN_NAME)
            .then_some("a scenario on standard input reads its paths from the current folder")
    }

    /// The path a relative path in the scenario (an hourly profile, a trace) is read from:
    /// from the scenario's folder.
    pub fn path_of(&self, relative: &str) -> PathBuf {
        match &self.base_dir {
            Some(dir) => dir.join(relative),
            None => PathBuf::from(relative),
        }
    }

    /// The scenario file: its first shape mistake (a list where a table belongs, see
    /// [`shape`]), else what the reader says.
    pub fn parse(&self) -> Result<ScenarioFile, InputError> {
        if let Some(e) = shape::scenario_mistakes(self).into_iter().next() {
            return Err(e);
        }
        parse_toml(&self.display, &self.text)
    }
}

#[cfg(test)]
mod tests;

/// Splits `kind[name].field` into its parts; a path without brackets is a scenario field.
pub fn split_path(path: &str) -> Option<(Option<(&str, &str)>, &str)> {
    match path.find('[') {
        None => Some((None, path)),
        Some(open) => {
            let close = path.rfind("].")?;
            if close < open {
                return None;
            }
            let kind = &path[..open];
            let name = &path[open + 1..close];
            let field = &path[close + 2..];
            (!kind.is_empty() && !name.is_empty() && !field.is_empty())
                .then_some((Some((kind, name)), field))
        }
    }
}

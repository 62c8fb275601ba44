//! Loading a scenario with its catalogs and simulating it: the glue shared by every command.

use crate::catalog::{Catalog, RowRef};
use crate::error::InputError;
use crate::model::{self, Output};
use crate::scenario::{self, Source};
use std::path::{Path, PathBuf};

/// A simulated scenario with everything the renderers need.
#[derive(Debug, Clone)]
pub struct Run {
    pub input: model::Input,
    pub file: scenario::ScenarioFile,
    pub output: Output,
    pub rows_used: Vec<RowRef>,
    pub warnings: Vec<String>,
    /// Where the scenario came from, as shown to the user.
    pub source: String,
}

/// Reads the scenario at `path` (or the built-in example) and the catalogs (built-in plus
/// `catalog_dirs`), resolves it and simulates it.
pub fn load(path: Option<&Path>, catalog_dirs: &[PathBuf]) -> Result<Run, InputError> {
    let catalog = Catalog::load(catalog_dirs)?;
    let source = match path {
        Some(p) => Source::read(p)?,
        None => Source::builtin(),
    };
    simulate(&source, &catalog)
}

/// Resolves and simulates an already-read scenario.
pub fn simulate(source: &Source, catalog: &Catalog) -> Result<Run, InputError> {
    let resolved = scenario::resolve(source, catalog)?;
    let output = model::simulate(&resolved.input);
    Ok(Run {
        input: resolved.input,
        file: resolved.file,
        output,
        rows_used: resolved.rows_used,
        warnings: resolved.warnings,
        source: source.display.clone(),
    })
}

//! Loading a scenario with its catalogs and simulating it: the glue shared by every command.

use crate::catalog::{Catalog, RowRef};
use crate::error::InputError;
use crate::model::{self, Output};
use crate::montecarlo::engine::MonteCarlo;
use crate::montecarlo::sweep;
use crate::montecarlo::uncertain::Uncertainty;
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
    /// The scenario's uncertain inputs (empty without `[[uncertain]]`).
    pub uncertainty: Uncertainty,
    /// The scenario's demand curves of every month ([`model::demand_curves`]), built once for
    /// the deterministic run and shared by the analyses of the same scenario.
    pub months: Vec<model::MonthDemand>,
    /// Monte Carlo results, when samples were asked for.
    pub montecarlo: Option<MonteCarlo>,
    /// How the policies came out (README "Policies"); empty without policies.
    pub policies: Vec<crate::policy::Outcome>,
}

/// A scenario and the catalogs it was resolved with, before any simulation.
pub struct Loaded {
    pub source: Source,
    pub catalog: Catalog,
    pub resolved: scenario::Resolved,
    pub uncertainty: Uncertainty,
}

/// What `tcosim validate` finds in a scenario: every problem it can, and the warnings a run
/// would print about the catalog rows it uses (stale prices, spot above on-demand).
pub struct Checked {
    /// The scenario ready to run, when it has no problem.
    pub loaded: Option<Loaded>,
    pub errors: Vec<InputError>,
    pub warnings: Vec<String>,
}

/// `errors` by their line and column (stable: errors without a position keep their order,
/// after the others).
fn in_file_order(mut errors: Vec<InputError>) -> Vec<InputError> {
    errors.sort_by_key(|e| e.position.unwrap_or((usize::MAX, usize::MAX)));
    errors
}

impl Checked {
    fn failed(errors: Vec<InputError>, warnings: Vec<String>) -> Checked {
        Checked {
            loaded: None,
            errors,
            warnings,
        }
    }
}

impl Loaded {
    /// Checks the scenario `source` as far as it can: every key and type mistake; when there
    /// is none, every value and catalog id of every workload and option; when those are
    /// right, every uncertain input and correlation; then the sweep and the scenario's own
    /// policies (as a run with samples checks them).
    pub fn check(source: Source, catalog: Catalog) -> Checked {
        let file = match scenario::structure(&source) {
            Ok(file) => file,
            Err(mistakes) => return Loaded::check_rest(&source, &catalog, mistakes),
        };
        let resolved = match scenario::resolve_file(&source, &catalog, file) {
            Ok(r) => r,
            Err(u) => return Checked::failed(in_file_order(u.errors), u.warnings),
        };
        let warnings = resolved.warnings.clone();
        let uncertainty = match Uncertainty::build_all(&source, &resolved, &catalog) {
            Ok(u) => u,
            Err(errors) => return Checked::failed(in_file_order(errors), warnings),
        };
        let loaded = Loaded {
            source,
            catalog,
            resolved,
            uncertainty,
        };
        let sweep = match loaded.resolved.file.sweep {
            Some(_) => loaded.sweep_plan().err(),
            None => None,
        };
        let policies = loaded.policies(&[], true).err();
        let errors: Vec<InputError> = sweep.into_iter().chain(policies).collect();
        Checked {
            loaded: errors.is_empty().then_some(loaded),
            errors,
            warnings,
        }
    }

    /// The key and type `mistakes` of a scenario, and what the checks of its values find in
    /// the rest of it, outside the keys and entries in error.
    fn check_rest(source: &Source, catalog: &Catalog, mistakes: scenario::Mistakes) -> Checked {
        let mut errors = mistakes.errors.clone();
        let mut warnings = Vec::new();
        if let Some(rest) = mistakes.rest.clone() {
            let more = match scenario::resolve_file(source, catalog, *rest) {
                Ok(resolved) => {
                    warnings = resolved.warnings.clone();
                    Uncertainty::build_all(source, &resolved, catalog).err()
                }
                Err(u) => {
                    warnings = u.warnings;
                    Some(u.errors)
                }
            };
            errors.extend(
                more.unwrap_or_default()
                    .into_iter()
                    .filter(|e| !mistakes.covers(e.key.as_deref())),
            );
        }
        Checked::failed(in_file_order(errors), warnings)
    }

    /// Reads the scenario at `path` (or the built-in example) and the catalogs (built-in plus
    /// `catalog_dirs`), and resolves it, its uncertain inputs and correlations.
    pub fn read(path: Option<&Path>, catalog_dirs: &[PathBuf]) -> Result<Loaded, InputError> {
        let catalog = Catalog::load(catalog_dirs)?;
        let source = match path {
            Some(p) => Source::read(p)?,
            None => Source::builtin(),
        };
        Loaded::resolve(source, catalog)
    }

    pub fn resolve(source: Source, catalog: Catalog) -> Result<Loaded, InputError> {
        let resolved = scenario::resolve(&source, &catalog)?;
        let uncertainty = Uncertainty::build(&source, &resolved, &catalog)?;
        if resolved.file.sweep.is_some() {
            sweep::Plan::build(&source, &resolved, &catalog, &uncertainty)?;
        }
        Ok(Loaded {
            source,
            catalog,
            resolved,
            uncertainty,
        })
    }

    /// The deterministic simulation. A figure that is not a finite number is an error, never
    /// an output (inputs are bounded so that it cannot happen; this is the last guard).
    pub fn simulate(self) -> Result<Run, InputError> {
        let months = model::demand_curves(&self.resolved.input);
        let output = model::simulate_with(&self.resolved.input, &months);
        if let Some((option, figure)) = output.first_non_finite() {
            return Err(InputError::new(
                &self.source.display,
                "the scenario's figures leave the range of numbers tcosim can compute with",
            )
            .at_key(format!("option `{option}`, {figure}"))
            .expected("finite figures")
            .found("a figure beyond ±1.8e308 or not a number")
            .hint(
                "check the scenario's demand, growth and prices for values far beyond real ones",
            ));
        }
        let mut warnings = self.resolved.warnings;
        let base = &output.options[output.baseline];
        if !output.verdict.priced && !crate::model::serves_demand(base) {
            warnings.push(format!(
                "the baseline `{}` leaves {:.1}% of demand unmet: savings, ROI, payback and IRR are not comparable against it; choose a baseline that serves its demand, or set `unserved_cost_per_gpu_hour`",
                base.name,
                100.0 * base.unmet_share()
            ));
        }
        Ok(Run {
            input: self.resolved.input,
            file: self.resolved.file,
            output,
            rows_used: self.resolved.rows_used,
            warnings,
            source: self.source.display,
            uncertainty: self.uncertainty,
            months,
            montecarlo: None,
            policies: Vec::new(),
        })
    }

    /// The scenario's `[[policy]]` tables and those of the policy `files` (README "Policies"),
    /// checked against its options; `samples` says whether the run has Monte Carlo samples,
    /// which policies on Monte Carlo figures need.
    pub fn policies(
        &self,
        files: &[PathBuf],
        samples: bool,
    ) -> Result<Vec<crate::policy::Policy>, InputError> {
        let names: Vec<&str> = self
            .resolved
            .input
            .options
            .iter()
            .map(|o| o.name.as_str())
            .collect();
        let mut all =
            crate::policy::resolve(&self.source, &self.resolved.file.policy, &names, samples)?;
        // The file each policy was read from, to name the first of two with one name.
        let mut origins = vec![self.source.display.clone(); all.len()];
        for (source, file) in crate::policy::read_files(files)? {
            for (i, p) in crate::policy::resolve(&source, &file.policy, &names, samples)?
                .into_iter()
                .enumerate()
            {
                if let Some(k) = all.iter().position(|q| q.name == p.name) {
                    return Err(crate::policy::duplicate_across(
                        &source,
                        i,
                        &p.name,
                        &origins[k],
                        "the scenario and the policy files",
                    ));
                }
                all.push(p);
                origins.push(source.display.clone());
            }
        }
        Ok(all)
    }

    /// The sweep plan of the scenario's `[sweep]`.
    pub fn sweep_plan(&self) -> Result<sweep::Plan, InputError> {
        sweep::Plan::build(
            &self.source,
            &self.resolved,
            &self.catalog,
            &self.uncertainty,
        )
    }
}

/// Reads, resolves and simulates a scenario (deterministically).
pub fn load(path: Option<&Path>, catalog_dirs: &[PathBuf]) -> Result<Run, InputError> {
    Loaded::read(path, catalog_dirs)?.simulate()
}

/// Resolves and simulates an already-read scenario.
pub fn simulate(source: &Source, catalog: &Catalog) -> Result<Run, InputError> {
    Loaded::resolve(source.clone(), catalog.clone())?.simulate()
}

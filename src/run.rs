//! Loading a scenario with its catalogs and simulating it: the glue shared by every command.

use crate::catalog::{Catalog, RowRef};
use crate::error::{InputError, Seg};
use crate::model::{self, Output};
use crate::montecarlo::engine::MonteCarlo;
use crate::montecarlo::sweep;
use crate::montecarlo::uncertain::Uncertainty;
use crate::scenario::{self, PolicySpec, ScenarioFile, Source};
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

impl Loaded {
    /// Checks the scenario `source` as far as it can (README "Validating files"): every key
    /// and type mistake; every value and catalog id of the rest; then, whatever was wrong
    /// before them, every `[[uncertain]]` and `[[correlation]]` entry and the `[sweep]` against
    /// what resolved, and every policy against the names of the options; all in the order of
    /// the file.
    pub fn check(source: Source, catalog: Catalog) -> Checked {
        check_scenario(source, catalog)
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

/// Checks the scenario `source` as far as it can (README "Validating files"): every key and
/// type mistake; every value and catalog id of the rest; then, whatever was wrong before them,
/// every `[[uncertain]]` and `[[correlation]]` entry and the `[sweep]` against what resolved
/// (leaving out only what refers to a workload or option that did not), and every policy
/// against the names of the options; all in the order of the file.
fn check_scenario(source: Source, catalog: Catalog) -> Checked {
    let (file, mistakes) = match scenario::structure(&source) {
        Ok(file) => (Some(file), None),
        Err(mistakes) => (mistakes.rest.clone().map(|rest| *rest), Some(mistakes)),
    };
    let mut errors = mistakes
        .as_ref()
        .map(|m| m.errors.clone())
        .unwrap_or_default();
    let Some(file) = file else {
        return Checked {
            loaded: None,
            errors: in_file_order(errors),
            warnings: Vec::new(),
        };
    };
    let specs = file.policy.clone();
    let names: Vec<String> = file.options.iter().map(|o| o.name.clone()).collect();
    let mut found = Vec::new();
    // What resolved, and the names of the workloads and options that did not.
    let (resolved, complete, warnings, failed) =
        match scenario::resolve_file(&source, &catalog, file) {
            Ok(r) => {
                let warnings = r.warnings.clone();
                (Some(r), true, warnings, (Vec::new(), Vec::new()))
            }
            Err(u) => {
                found.extend(u.errors);
                let failed = (u.failed_workloads, u.failed_options);
                (u.partial.map(|p| *p), false, u.warnings, failed)
            }
        };
    let mut uncertainty = None;
    if let Some(r) = &resolved {
        match Uncertainty::build_all(&source, r, &catalog) {
            Ok(u) => uncertainty = Some(u),
            Err(more) => found.extend(
                more.into_iter()
                    .filter(|e| checkable_uncertain(e, &r.file, &failed)),
            ),
        }
        if r.file.sweep.is_some() {
            // Without the uncertain inputs, the sweep is checked but for its overlap with them.
            let none = Uncertainty::default();
            let with = uncertainty.as_ref().unwrap_or(&none);
            if let Err(e) = sweep::Plan::build(&source, r, &catalog, with)
                && checkable_sweep(&e, &r.file, &failed.1)
            {
                found.push(e);
            }
        }
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    found.extend(policy_errors(&source, &specs, &names));
    match &mistakes {
        Some(m) => errors.extend(found.into_iter().filter(|e| !m.covers(e.key.as_deref()))),
        None => errors.extend(found),
    }
    let loaded = match (resolved, uncertainty) {
        (Some(resolved), Some(uncertainty)) if complete && errors.is_empty() => Some(Loaded {
            source,
            catalog,
            resolved,
            uncertainty,
        }),
        _ => None,
    };
    let mut errors = in_file_order(errors);
    errors.truncate(crate::limits::MAX_ERRORS_PER_FILE);
    Checked {
        loaded,
        errors,
        warnings,
    }
}

/// Whether `e`, found in the `[[uncertain]]` and `[[correlation]]` entries of `file` (the part
/// of the scenario that resolved), holds whatever did not resolve: an entry whose path names a
/// workload or option in `failed` (workloads, options), or a catalog row or the trend of
/// generations that such an option may bear on, is not checked.
fn checkable_uncertain(
    e: &InputError,
    file: &ScenarioFile,
    failed: &(Vec<String>, Vec<String>),
) -> bool {
    let (workloads, options) = failed;
    let Some(i) = e
        .key
        .as_deref()
        .and_then(|k| k.strip_prefix("uncertain["))
        .and_then(|k| k.split(']').next())
        .and_then(|i| i.parse::<usize>().ok())
    else {
        return true;
    };
    let Some(spec) = file.uncertain.get(i) else {
        return true;
    };
    match crate::scenario::split_path(&spec.path) {
        Some((Some(("workload", name)), _)) => !workloads.iter().any(|w| w == name),
        Some((Some(("option", name)), _)) => !options.iter().any(|o| o == name),
        Some((Some(_), _)) => options.is_empty(),
        // The trend of generations is checked against the options that change generation.
        Some((None, field)) if field.starts_with("generations.") => options.is_empty(),
        _ => true,
    }
}

/// Whether the `[sweep]` error `e`, found in `file` (the part of the scenario that resolved),
/// holds whatever did not resolve: a parameter's error when a parameter names an option of
/// `failed` is not reported.
fn checkable_sweep(e: &InputError, file: &ScenarioFile, failed: &[String]) -> bool {
    let on_parameters = e
        .key
        .as_deref()
        .is_some_and(|k| k.starts_with("sweep.parameter"));
    let names_failed = file.sweep.as_ref().is_some_and(|s| {
        s.parameters.iter().any(|p| {
            matches!(crate::scenario::split_path(&p.path),
                Some((Some(("option", name)), _)) if failed.iter().any(|f| f == name))
        })
    });
    !(on_parameters && names_failed)
}

/// Every problem of the scenario's `[[policy]]` entries `specs` whose options are `options`,
/// as a run with samples finds them (which stops at the first): each entry's name, then its
/// other checks one after the other, each problem found standing in for a right value so that
/// the checks after it go on (a problem with the entry's shape ends its checks).
fn policy_errors(source: &Source, specs: &[PolicySpec], options: &[&str]) -> Vec<InputError> {
    use crate::policy::{OPTION_METRICS, STATISTICS, check_name, resolve};
    let mut errors = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        if let Err(e) = check_name(
            source,
            i,
            &spec.name,
            specs[..i].iter().map(|p| p.name.as_str()),
        ) {
            errors.push(e);
        }
        let mut probe = spec.clone();
        "policy".clone_into(&mut probe.name);
        // Each of `option`/`winner`, `metric`, `statistic` and the bounds reports at most once.
        for _ in 0..4 {
            let Err(e) = resolve(source, std::slice::from_ref(&probe), options, true) else {
                break;
            };
            let key = e.key.clone().unwrap_or_default();
            let field = key.strip_prefix("policy[0]").unwrap_or(&key).to_string();
            errors.push(moved(source, e, i, &field));
            let any_option = options.first().map(|o| o.to_string());
            match field.as_str() {
                ".option" if any_option.is_some() => probe.option = any_option,
                ".winner" if any_option.is_some() => probe.winner = any_option,
                ".metric" if probe.statistic.is_some() => {
                    probe.metric = Some(crate::montecarlo::engine::METRICS[0].to_string());
                }
                ".metric" => probe.metric = Some(OPTION_METRICS[0].to_string()),
                ".statistic" if probe.winner.is_some() => probe.statistic = None,
                ".statistic" => probe.statistic = Some(STATISTICS[0].to_string()),
                _ => break,
            }
        }
    }
    errors
}

/// `e`, found in entry 0 of `[[policy]]` at `field` (`.option`, or empty for the entry), moved
/// to entry `i` of the scenario `source`.
fn moved(source: &Source, mut e: InputError, i: usize, field: &str) -> InputError {
    let mut path = vec![Seg::Key("policy"), Seg::Index(i)];
    if let Some(name) = field.strip_prefix('.') {
        path.push(Seg::Name(name.to_string()));
    }
    e.key = Some(format!("policy[{i}]{field}"));
    e.position = crate::error::locate_toml(&source.text, &path);
    e
}

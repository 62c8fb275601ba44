//! Catalogs: accelerators, servers, cloud offers and providers, sites, depreciation policies and
//! exchange rates.
//!
//! The shipped catalogs (the `catalogs/` folder of the repository) are compiled into the binary so
//! that tcosim works from any folder. `--catalog DIR` adds a layer on top: a row whose id already
//! exists replaces it, a new id is appended, and the same id twice inside one folder is an error.
//! Every row carries `source` and `as_of` (or `estimate = true`), and every run reports the rows it
//! used, so that each number can be traced to where it came from.

pub mod check;
pub mod fields;
pub mod listing;
pub mod skypilot;
mod types;
mod validate;

pub use types::*;

use crate::error::{InputError, parse_toml, parse_toml_with};
use std::collections::HashMap;
use std::path::Path;

/// The catalog files a folder may hold, in load order.
pub const FILE_NAMES: [&str; 8] = [
    "accelerators.toml",
    "servers.toml",
    "cloud-providers.toml",
    "cloud-offers.csv",
    "sites.toml",
    "depreciation.toml",
    "fx.toml",
    "staffing.toml",
];

const BUILTIN: [(&str, &str); 8] = [
    (
        "accelerators.toml",
        include_str!("../../catalogs/accelerators.toml"),
    ),
    ("servers.toml", include_str!("../../catalogs/servers.toml")),
    (
        "cloud-providers.toml",
        include_str!("../../catalogs/cloud-providers.toml"),
    ),
    (
        "cloud-offers.csv",
        include_str!("../../catalogs/cloud-offers.csv"),
    ),
    ("sites.toml", include_str!("../../catalogs/sites.toml")),
    (
        "depreciation.toml",
        include_str!("../../catalogs/depreciation.toml"),
    ),
    ("fx.toml", include_str!("../../catalogs/fx.toml")),
    (
        "staffing.toml",
        include_str!("../../catalogs/staffing.toml"),
    ),
];

/// Label of the compiled-in catalog layer in messages and in `catalog_rows_used`.
pub const BUILTIN_LABEL: &str = "<built-in>";

/// All catalog rows after layering, indexed by id.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub accelerators: Vec<Accelerator>,
    pub servers: Vec<Server>,
    pub providers: Vec<Provider>,
    pub offers: Vec<CloudOffer>,
    pub sites: Vec<Site>,
    pub policies: Vec<Policy>,
    pub useful_life_changes: Vec<UsefulLifeChange>,
    pub fx: Vec<FxRate>,
    pub automation: Vec<Automation>,
    /// Text of every file loaded, by display name, to point errors at lines.
    texts: HashMap<String, String>,
    /// Position of every row by kind and id, so that a lookup costs the same in a catalog of
    /// 100,000 rows as in one of ten.
    index: HashMap<(Table, String), usize>,
}

/// The tables rows are looked up in by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Table {
    Accelerator,
    Server,
    Provider,
    Offer,
    Site,
    Policy,
    Fx,
    Automation,
}

/// The row of `rows` with id `id`: through `index` when it still points at that row, else by a
/// scan (for a catalog whose rows were changed after loading).
fn lookup<'a, T>(
    index: &HashMap<(Table, String), usize>,
    table: Table,
    rows: &'a [T],
    id: &str,
    id_of: impl Fn(&T) -> &str,
) -> Option<&'a T> {
    if let Some(&i) = index.get(&(table, id.to_string()))
        && let Some(row) = rows.get(i)
        && id_of(row) == id
    {
        return Some(row);
    }
    rows.iter().find(|r| id_of(r) == id)
}

/// One file of one layer, read but not yet parsed.
struct LayerFile {
    display: String,
    name: &'static str,
    text: String,
    /// Compiled into the binary: its keys and strings are known to pass the text checks.
    builtin: bool,
}

impl Catalog {
    /// The compiled-in catalogs alone.
    pub fn builtin() -> Result<Catalog, InputError> {
        Catalog::load(&[] as &[&Path])
    }

    /// The compiled-in catalogs with each folder of `dirs` layered on top, in order.
    pub fn load<P: AsRef<Path>>(dirs: &[P]) -> Result<Catalog, InputError> {
        Catalog::load_with_files(dirs, &[] as &[&Path])
    }

    /// As [`Catalog::load`], then one more layer made of single catalog `files` (each named as
    /// in [`FILE_NAMES`]).
    pub fn load_with_files<P: AsRef<Path>, F: AsRef<Path>>(
        dirs: &[P],
        files: &[F],
    ) -> Result<Catalog, InputError> {
        let catalog = Catalog::layers(dirs, files)?;
        validate::validate(&catalog)?;
        Ok(catalog)
    }

    /// As [`Catalog::load_with_files`], for `tcosim validate`: a file that cannot be read or
    /// parsed gives its first error, as loading does; a catalog that parses gives every row's
    /// first problem.
    pub fn check_with_files<P: AsRef<Path>, F: AsRef<Path>>(
        dirs: &[P],
        files: &[F],
    ) -> Result<Catalog, Vec<InputError>> {
        let catalog = Catalog::layers(dirs, files).map_err(|e| load_errors(dirs, files, e))?;
        let errors = validate::validate_all(&catalog);
        if errors.is_empty() {
            Ok(catalog)
        } else {
            Err(errors)
        }
    }

    /// The built-in catalogs, the folders and the files layered, not yet validated.
    fn layers<P: AsRef<Path>, F: AsRef<Path>>(
        dirs: &[P],
        files: &[F],
    ) -> Result<Catalog, InputError> {
        let mut catalog = Catalog::default();
        let builtin: Vec<LayerFile> = BUILTIN
            .iter()
            .map(|(name, text)| LayerFile {
                display: format!("{BUILTIN_LABEL}/{name}"),
                name,
                text: (*text).to_string(),
                builtin: true,
            })
            .collect();
        catalog.add_layer(builtin)?;
        for dir in dirs {
            catalog.add_layer(read_dir_layer(dir.as_ref())?)?;
        }
        if !files.is_empty() {
            let mut layer = Vec::new();
            for file in files {
                let path = file.as_ref();
                let display = crate::limits::printable(&path.display().to_string());
                let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let Some(name) = FILE_NAMES.iter().find(|n| **n == file_name) else {
                    return Err(InputError::new(&display, "not a catalog file name")
                        .expected(format!("one of {}", FILE_NAMES.join(", ")))
                        .found(format!("`{file_name}`")));
                };
                let text = crate::limits::read_text(
                    path,
                    &display,
                    "catalog file",
                    crate::limits::MAX_CATALOG_BYTES,
                )?;
                layer.push(LayerFile {
                    display,
                    name,
                    text,
                    builtin: false,
                });
            }
            catalog.add_layer(layer)?;
        }
        catalog.derive_commitments();
        catalog.reindex();
        Ok(catalog)
    }

    /// The compiled-in catalogs with one more layer made of in-memory files: `(file name as in
    /// [`FILE_NAMES`], text)` pairs, shown in messages as `<memory>/NAME`. For checks of catalog
    /// text that does not live in a folder (and for fuzzing the loaders).
    pub fn with_texts(files: &[(&str, &str)]) -> Result<Catalog, InputError> {
        let mut catalog = Catalog::load(&[] as &[&Path])?;
        let mut layer = Vec::new();
        for (file_name, text) in files {
            let Some(name) = FILE_NAMES.iter().find(|n| *n == file_name) else {
                return Err(InputError::new(*file_name, "not a catalog file name")
                    .expected(format!("one of {}", FILE_NAMES.join(", ")))
                    .found(format!("`{}`", crate::limits::printable(file_name))));
            };
            layer.push(LayerFile {
                display: format!("<memory>/{name}"),
                name,
                text: (*text).to_string(),
                builtin: false,
            });
        }
        catalog.add_layer(layer)?;
        catalog.derive_commitments();
        catalog.reindex();
        validate::validate(&catalog)?;
        Ok(catalog)
    }

    fn add_layer(&mut self, files: Vec<LayerFile>) -> Result<(), InputError> {
        for file in files {
            let display = file.display.clone();
            match file.name {
                "accelerators.toml" => {
                    let rows = parse_layer::<AcceleratorFile>(&file)?.accelerator;
                    merge(
                        &mut self.accelerators,
                        rows,
                        (&display, &file.text),
                        "accelerator",
                        |r| &r.id,
                    )?;
                }
                "servers.toml" => {
                    let rows = parse_layer::<ServerFile>(&file)?.server;
                    merge(
                        &mut self.servers,
                        rows,
                        (&display, &file.text),
                        "server",
                        |r| &r.id,
                    )?;
                }
                "cloud-providers.toml" => {
                    let rows = parse_layer::<ProviderFile>(&file)?.provider;
                    merge(
                        &mut self.providers,
                        rows,
                        (&display, &file.text),
                        "provider",
                        |r| &r.id,
                    )?;
                }
                "cloud-offers.csv" => {
                    let rows = parse_offers(&display, &file.text)?;
                    merge(&mut self.offers, rows, (&display, &file.text), "row", |r| {
                        &r.id
                    })?;
                }
                "sites.toml" => {
                    let rows = parse_layer::<SiteFile>(&file)?.site;
                    merge(&mut self.sites, rows, (&display, &file.text), "site", |r| {
                        &r.id
                    })?;
                }
                "depreciation.toml" => {
                    let parsed = parse_layer::<DepreciationFile>(&file)?;
                    merge(
                        &mut self.policies,
                        parsed.policy,
                        (&display, &file.text),
                        "policy",
                        |r| &r.id,
                    )?;
                    self.useful_life_changes
                        .extend(parsed.useful_life_change.into_iter().map(|mut r| {
                            r.origin = display.clone();
                            r
                        }));
                }
                "fx.toml" => {
                    let rows = parse_layer::<FxFile>(&file)?.rate;
                    merge(&mut self.fx, rows, (&display, &file.text), "rate", |r| {
                        &r.currency
                    })?;
                }
                "staffing.toml" => {
                    let rows = parse_layer::<StaffingFile>(&file)?.automation;
                    merge(
                        &mut self.automation,
                        rows,
                        (&display, &file.text),
                        "automation",
                        |r| &r.id,
                    )?;
                }
                _ => {}
            }
            self.texts.insert(display, file.text);
        }
        Ok(())
    }

    /// Fills missing committed prices from the provider's documented discount and marks them.
    fn derive_commitments(&mut self) {
        for offer in &mut self.offers {
            let Some(provider) = self.providers.iter().find(|p| p.id == offer.provider) else {
                continue;
            };
            if offer.commit_1y_usd_per_hour.is_none() {
                offer.commit_1y_usd_per_hour =
                    Some(offer.on_demand_usd_per_hour * (1.0 - provider.commit_1y_discount));
                offer.commit_1y_derived = true;
            }
            if offer.commit_3y_usd_per_hour.is_none() {
                offer.commit_3y_usd_per_hour =
                    Some(offer.on_demand_usd_per_hour * (1.0 - provider.commit_3y_discount));
                offer.commit_3y_derived = true;
            }
        }
    }

    /// Text of a loaded catalog file, for locating errors.
    pub fn text_of(&self, display: &str) -> Option<&str> {
        self.texts.get(display).map(String::as_str)
    }

    /// Rebuilds the index of rows by id.
    fn reindex(&mut self) {
        fn add<T>(
            index: &mut HashMap<(Table, String), usize>,
            table: Table,
            rows: &[T],
            id_of: impl Fn(&T) -> &str,
        ) {
            for (i, r) in rows.iter().enumerate() {
                index.entry((table, id_of(r).to_string())).or_insert(i);
            }
        }
        let mut index = HashMap::new();
        add(&mut index, Table::Accelerator, &self.accelerators, |r| {
            &r.id
        });
        add(&mut index, Table::Server, &self.servers, |r| &r.id);
        add(&mut index, Table::Provider, &self.providers, |r| &r.id);
        add(&mut index, Table::Offer, &self.offers, |r| &r.id);
        add(&mut index, Table::Site, &self.sites, |r| &r.id);
        add(&mut index, Table::Policy, &self.policies, |r| &r.id);
        add(&mut index, Table::Fx, &self.fx, |r| &r.currency);
        add(&mut index, Table::Automation, &self.automation, |r| &r.id);
        self.index = index;
    }

    pub fn accelerator(&self, id: &str) -> Option<&Accelerator> {
        lookup(
            &self.index,
            Table::Accelerator,
            &self.accelerators,
            id,
            |r| &r.id,
        )
    }
    pub fn server(&self, id: &str) -> Option<&Server> {
        lookup(&self.index, Table::Server, &self.servers, id, |r| &r.id)
    }
    pub fn provider(&self, id: &str) -> Option<&Provider> {
        lookup(&self.index, Table::Provider, &self.providers, id, |r| &r.id)
    }
    pub fn offer(&self, id: &str) -> Option<&CloudOffer> {
        lookup(&self.index, Table::Offer, &self.offers, id, |r| &r.id)
    }
    pub fn site(&self, id: &str) -> Option<&Site> {
        lookup(&self.index, Table::Site, &self.sites, id, |r| &r.id)
    }
    pub fn policy(&self, id: &str) -> Option<&Policy> {
        lookup(&self.index, Table::Policy, &self.policies, id, |r| &r.id)
    }
    pub fn fx_rate(&self, currency: &str) -> Option<&FxRate> {
        lookup(&self.index, Table::Fx, &self.fx, currency, |r| &r.currency)
    }
    pub fn automation_level(&self, id: &str) -> Option<&Automation> {
        lookup(&self.index, Table::Automation, &self.automation, id, |r| {
            &r.id
        })
    }

    /// Rows that carry an `estimate` flag (every table but the reference useful-life changes),
    /// as `(marked estimate, all)`, so that `validate` can say how much of the data is assumed.
    pub fn estimate_count(&self) -> (usize, usize) {
        let flags = self
            .accelerators
            .iter()
            .map(|r| r.estimate)
            .chain(self.servers.iter().map(|r| r.estimate))
            .chain(self.providers.iter().map(|r| r.estimate))
            .chain(self.offers.iter().map(|r| r.estimate))
            .chain(self.sites.iter().map(|r| r.estimate))
            .chain(self.policies.iter().map(|r| r.estimate))
            .chain(self.fx.iter().map(|r| r.estimate))
            .chain(self.automation.iter().map(|r| r.estimate));
        flags.fold((0, 0), |(est, all), e| (est + usize::from(e), all + 1))
    }

    /// Converts `amount` from currency `from` to currency `to` through USD.
    pub fn convert(&self, amount: f64, from: &str, to: &str) -> Option<f64> {
        if from == to {
            return Some(amount);
        }
        let from = self.fx_rate(from)?.per_usd;
        let to = self.fx_rate(to)?.per_usd;
        Some(amount / from * to)
    }
}

/// Layers `rows` onto `target`: same id replaces, new id appends; a repeated id inside `rows`
/// (one file of one folder) is an error.
fn merge<T: HasOrigin>(
    target: &mut Vec<T>,
    rows: Vec<T>,
    (display, text): (&str, &str),
    table: &'static str,
    id_of: impl Fn(&T) -> &String,
) -> Result<(), InputError> {
    if rows.len() > crate::limits::MAX_CATALOG_ROWS {
        return Err(InputError::new(display, "too many rows")
            .expected(format!(
                "at most {} rows in one catalog file",
                crate::limits::MAX_CATALOG_ROWS
            ))
            .found(format!("{} rows", rows.len())));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut existing: HashMap<String, usize> = target
        .iter()
        .enumerate()
        .map(|(i, r)| (id_of(r).clone(), i))
        .collect();
    for (index, mut row) in rows.into_iter().enumerate() {
        let id = id_of(&row).clone();
        if let Some(first) = seen.insert(id.clone(), index) {
            return Err(duplicate_id(display, text, table, &id, index, first));
        }
        row.set_origin(display.to_string(), index);
        match existing.get(&id) {
            Some(&pos) => target[pos] = row,
            None => {
                existing.insert(id, target.len());
                target.push(row);
            }
        }
    }
    Ok(())
}

fn read_dir_layer(dir: &Path) -> Result<Vec<LayerFile>, InputError> {
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| {
        InputError::new(&shown, "cannot read catalog folder")
            .expected("a folder holding catalog files")
            .found(crate::limits::io_problem(&e))
    })?;
    let mut names: Vec<String> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            InputError::new(&shown, "cannot read catalog folder")
                .found(crate::limits::io_problem(&e))
        })?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    for name in &names {
        let data_file = name.ends_with(".toml") || name.ends_with(".csv");
        if data_file && !FILE_NAMES.contains(&name.as_str()) {
            let err = InputError::new(dir.join(name).display().to_string(), "unknown catalog file")
                .expected(format!("one of {}", FILE_NAMES.join(", ")))
                .found(format!("`{name}`"))
                .did_you_mean(name, FILE_NAMES);
            return Err(err);
        }
    }
    let mut files = Vec::new();
    for name in FILE_NAMES {
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        let display = crate::limits::printable(&path.display().to_string());
        let text = crate::limits::read_text(
            &path,
            &display,
            "catalog file",
            crate::limits::MAX_CATALOG_BYTES,
        )?;
        files.push(LayerFile {
            display,
            name,
            text,
            builtin: false,
        });
    }
    if files.is_empty() {
        return Err(InputError::new(&shown, "no catalog files in folder")
            .expected(format!("at least one of {}", FILE_NAMES.join(", ")))
            .found("none"));
    }
    Ok(files)
}

/// Every problem found in the catalog files of `dirs` and `files` after loading them stopped
/// at `first`: each file on its own, row by row (each row's first problem, every repeated id),
/// so that one run of `validate` lists them all. `first` comes first unless a row check found
/// it too; built-in files are not checked again.
fn load_errors<P: AsRef<Path>, F: AsRef<Path>>(
    dirs: &[P],
    files: &[F],
    first: InputError,
) -> Vec<InputError> {
    let mut layer = Vec::new();
    for dir in dirs {
        match read_dir_layer(dir.as_ref()) {
            Ok(files) => layer.extend(files),
            Err(_) => return vec![first],
        }
    }
    for file in files {
        let path = file.as_ref();
        let display = crate::limits::printable(&path.display().to_string());
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Some(name) = FILE_NAMES.iter().find(|n| **n == file_name) else {
            continue;
        };
        if let Ok(text) = crate::limits::read_text(
            path,
            &display,
            "catalog file",
            crate::limits::MAX_CATALOG_BYTES,
        ) {
            layer.push(LayerFile {
                display,
                name,
                text,
                builtin: false,
            });
        }
    }
    let mut errors: Vec<InputError> = Vec::new();
    for file in &layer {
        if errors.len() >= crate::limits::MAX_ERRORS_PER_FILE {
            break;
        }
        let left = crate::limits::MAX_ERRORS_PER_FILE - errors.len();
        let (d, t) = (file.display.as_str(), file.text.as_str());
        errors.extend(match file.name {
            "accelerators.toml" => rows_of::<AcceleratorFile, _>(d, t, left, |f| {
                repeated((d, t), "accelerator", f.accelerator.iter().map(|r| &r.id))
            }),
            "servers.toml" => rows_of::<ServerFile, _>(d, t, left, |f| {
                repeated((d, t), "server", f.server.iter().map(|r| &r.id))
            }),
            "cloud-providers.toml" => rows_of::<ProviderFile, _>(d, t, left, |f| {
                repeated((d, t), "provider", f.provider.iter().map(|r| &r.id))
            }),
            "sites.toml" => rows_of::<SiteFile, _>(d, t, left, |f| {
                repeated((d, t), "site", f.site.iter().map(|r| &r.id))
            }),
            "depreciation.toml" => rows_of::<DepreciationFile, _>(d, t, left, |f| {
                repeated((d, t), "policy", f.policy.iter().map(|r| &r.id))
            }),
            "fx.toml" => rows_of::<FxFile, _>(d, t, left, |f| {
                repeated((d, t), "rate", f.rate.iter().map(|r| &r.currency))
            }),
            "staffing.toml" => rows_of::<StaffingFile, _>(d, t, left, |f| {
                repeated((d, t), "automation", f.automation.iter().map(|r| &r.id))
            }),
            "cloud-offers.csv" => match read_offers(d, t, left) {
                Ok(rows) => repeated((d, t), "row", rows.iter().map(|r| &r.id)),
                Err(errors) => errors,
            },
            _ => Vec::new(),
        });
    }
    let same = |e: &InputError| {
        e.file == first.file && e.position == first.position && e.problem == first.problem
    };
    if !errors.iter().any(same) {
        errors.insert(0, first);
    }
    errors.truncate(crate::limits::MAX_ERRORS_PER_FILE);
    errors
}

/// Every id of `ids` (rows of `table` in `display`) that repeats an earlier one.
fn repeated<'a>(
    (display, text): (&str, &str),
    table: &'static str,
    ids: impl Iterator<Item = &'a String>,
) -> Vec<InputError> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut errors = Vec::new();
    for (index, id) in ids.enumerate() {
        if let Some(first) = seen.insert(id.as_str(), index) {
            seen.insert(id.as_str(), first);
            errors.push(duplicate_id(display, text, table, id, index, first));
        }
    }
    errors
}

/// The error of row `index` of `table` in the catalog file `display` (its text `text`), whose
/// id `id` row `first` has already: at the line of the row's id (of the CSV row), naming the
/// line of the first.
fn duplicate_id(
    display: &str,
    text: &str,
    table: &'static str,
    id: &str,
    index: usize,
    first: usize,
) -> InputError {
    let line_of = |i: usize| -> Option<(usize, usize)> {
        if table == "row" {
            // A CSV file: the line where record `i` (after the header) starts.
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(text.as_bytes());
            let record = reader.records().nth(i)?.ok()?;
            let line = record.position()?.line();
            return Some((usize::try_from(line).ok()?, 1));
        }
        let key = if table == "rate" { "currency" } else { "id" };
        crate::error::locate_toml(
            text,
            &[
                crate::error::Seg::Key(table),
                crate::error::Seg::Index(i),
                crate::error::Seg::Key(key),
            ],
        )
    };
    let earlier = match line_of(first) {
        Some((line, _)) => format!("{table}[{first}], line {line}"),
        None => format!("{table}[{first}]"),
    };
    let e = InputError::new(display, format!("duplicate id `{id}`"))
        .at_key(format!("{table}[{index}]"))
        .expected("each id once per catalog folder")
        .found(format!("`{id}` also at {earlier}"));
    match line_of(index) {
        Some((line, column)) => e.at_position(line, column),
        None => e,
    }
}

/// The problems of a TOML catalog file: if it parses as a whole, `whole`'s; else each
/// `[[table]]` entry parsed on its own (its positions moved to its lines in the file), at most
/// `max_errors` of them. Each entry is parsed once, so the time is linear in the file.
fn rows_of<T: serde::de::DeserializeOwned, W: Fn(&T) -> Vec<InputError>>(
    display: &str,
    text: &str,
    max_errors: usize,
    whole: W,
) -> Vec<InputError> {
    if let Err(e) = rows_are_tables(display, text) {
        return vec![e];
    }
    let first = match parse_toml::<T>(display, text) {
        Ok(parsed) => return whole(&parsed),
        Err(e) => e,
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("[["))
        .collect();
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    starts.push(lines.len());
    let mut errors = Vec::new();
    // Entries of each table seen so far, for the index in an error's key.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for pair in starts.windows(2) {
        if errors.len() >= max_errors {
            break;
        }
        let (from, to) = (pair[0], pair[1]);
        let table = lines[from]
            .trim()
            .strip_prefix("[[")
            .and_then(|h| h.split("]]").next())
            .map(|h| h.trim().to_string());
        let index = table.as_ref().map_or(0, |t| {
            let n = seen.entry(t.clone()).or_insert(0);
            *n += 1;
            *n - 1
        });
        let chunk: String = lines[from..to].concat();
        if table.is_none() && toml::from_str::<toml::Table>(&chunk).is_ok_and(|t| t.is_empty()) {
            continue;
        }
        if let Err(mut e) = parse_toml::<T>(display, &chunk) {
            // Lines counted from the entry's first; the file's are `from` further on.
            if let Some((line, column)) = e.position {
                e.position = Some((line + from, column));
            }
            if let (Some(t), Some(key)) = (&table, e.key.as_mut()) {
                let alone = format!("{t}[0]");
                if let Some(rest) = key.strip_prefix(&alone) {
                    *key = format!("{t}[{index}]{rest}");
                }
            }
            errors.push(e);
        }
    }
    if errors.is_empty() {
        errors.push(first);
    }
    errors
}

/// Parses the cloud offers CSV, mapping columns by header name.
pub fn parse_offers(display: &str, text: &str) -> Result<Vec<CloudOffer>, InputError> {
    read_offers(display, text, 1).map_err(|mut errors| errors.swap_remove(0))
}

/// Parses the cloud offers CSV; on failure, the problems of up to `max_errors` rows (each
/// row's first), or the header's.
fn read_offers(
    display: &str,
    text: &str,
    max_errors: usize,
) -> Result<Vec<CloudOffer>, Vec<InputError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| {
            vec![InputError::new(display, "cannot read the CSV header").found(e.to_string())]
        })?
        .clone();
    for required in OFFER_COLUMNS {
        if !headers.iter().any(|h| h == required) {
            return Err(vec![
                InputError::new(display, format!("missing column `{required}`"))
                    .at_position(1, 1)
                    .expected(format!("the columns {}", OFFER_COLUMNS.join(",")))
                    .found(headers.iter().collect::<Vec<_>>().join(",")),
            ]);
        }
    }
    if let Some(extra) = headers.iter().find(|h| !OFFER_COLUMNS.contains(h)) {
        return Err(vec![
            InputError::new(display, format!("unknown column `{extra}`"))
                .at_position(1, 1)
                .expected(format!("the columns {}", OFFER_COLUMNS.join(","))),
        ]);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut read = 0usize;
    for record in reader.records() {
        if errors.len() >= max_errors {
            break;
        }
        read += 1;
        if read > crate::limits::MAX_CATALOG_ROWS {
            let line = record
                .as_ref()
                .ok()
                .and_then(|r| r.position())
                .map_or(0, |p| p.line() as usize);
            errors.push(
                InputError::new(display, "too many rows")
                    .at_position(line, 1)
                    .expected(format!(
                        "at most {} rows in one catalog file",
                        crate::limits::MAX_CATALOG_ROWS
                    ))
                    .found("more"),
            );
            break;
        }
        match record
            .map_err(|e| {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                InputError::new(display, "malformed CSV row")
                    .at_position(line, 1)
                    .found(e.to_string())
            })
            .and_then(|record| offer_row(display, &headers, &record))
        {
            Ok(row) => rows.push(row),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// One row of the cloud offers CSV.
fn offer_row(
    display: &str,
    headers: &csv::StringRecord,
    record: &csv::StringRecord,
) -> Result<CloudOffer, InputError> {
    let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
    for (col, field) in headers.iter().zip(record.iter()) {
        let free = matches!(col, "source" | "note");
        if let Err(problem) = crate::limits::check_field(field, free, col == "id") {
            return Err(InputError::new(display, format!("`{col}` holds {problem}"))
                .at_position(line, 1)
                .at_key(format!("line {line}, column {col}"))
                .expected(if free {
                    "printable text, line breaks and tabs".to_string()
                } else {
                    "printable text without line breaks, tabs or escape sequences".to_string()
                })
                .found(format!("`{}`", crate::limits::printable(field))));
        }
        if col == "id"
            && let Err(e) = crate::limits::check_composed(field)
        {
            return Err(InputError::new(
                display,
                "`id` is not written in Unicode's composed form (NFC)",
            )
            .at_position(line, 1)
            .at_key(format!("line {line}, column {col}"))
            .expected("an id in composed form (two spellings that look the same are one id)")
            .found(format!("`{}`", e.found))
            .hint(e.hint()));
        }
    }
    let get = |col: &str| -> &str {
        headers
            .iter()
            .position(|h| h == col)
            .and_then(|i| record.get(i))
            .unwrap_or("")
    };
    let number = |col: &str, required: bool| -> Result<Option<f64>, InputError> {
        let raw = get(col);
        if raw.is_empty() {
            if required {
                return Err(InputError::new(display, format!("empty `{col}`"))
                    .at_position(line, 1)
                    .at_key(format!("line {line}, column {col}"))
                    .expected("a number")
                    .found("an empty field"));
            }
            return Ok(None);
        }
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(InputError::new(display, format!("`{col}` is not a number"))
                .at_position(line, 1)
                .at_key(format!("line {line}, column {col}"))
                .expected("a finite number")
                .found(format!("`{raw}`"))),
        }
    };
    let count_raw = get("accelerator_count");
    let accelerator_count = count_raw.parse::<u32>().map_err(|_| {
        InputError::new(display, "`accelerator_count` is not a whole number")
            .at_position(line, 1)
            .at_key(format!("line {line}, column accelerator_count"))
            .expected(validate::accepted(
                "a whole number of accelerators, {min} to {max}",
                1.0,
                f64::from(validate::MAX_ACCELERATORS),
            ))
            .found(format!("`{count_raw}`"))
    })?;
    let estimate = match get("estimate") {
        "" | "false" => false,
        "true" => true,
        other => {
            return Err(InputError::new(display, "`estimate` is not a boolean")
                .at_position(line, 1)
                .at_key(format!("line {line}, column estimate"))
                .expected("`true`, `false` or empty")
                .found(format!("`{other}`")));
        }
    };
    let note = get("note");
    Ok(CloudOffer {
        id: get("id").to_string(),
        provider: get("provider").to_string(),
        instance_type: get("instance_type").to_string(),
        region: get("region").to_string(),
        accelerator: get("accelerator").to_string(),
        accelerator_count,
        on_demand_usd_per_hour: number("on_demand_usd_per_hour", true)?.unwrap_or(0.0),
        spot_usd_per_hour: number("spot_usd_per_hour", false)?,
        commit_1y_usd_per_hour: number("commit_1y_usd_per_hour", false)?,
        commit_3y_usd_per_hour: number("commit_3y_usd_per_hour", false)?,
        commit_1y_derived: false,
        commit_3y_derived: false,
        source: get("source").to_string(),
        as_of: get("as_of").to_string(),
        estimate,
        note: (!note.is_empty()).then(|| note.to_string()),
        origin: String::new(),
        line,
    })
}

/// Columns of `cloud-offers.csv`, in their documented order.
pub const OFFER_COLUMNS: [&str; 14] = [
    "id",
    "provider",
    "instance_type",
    "region",
    "accelerator",
    "accelerator_count",
    "on_demand_usd_per_hour",
    "spot_usd_per_hour",
    "commit_1y_usd_per_hour",
    "commit_3y_usd_per_hour",
    "source",
    "as_of",
    "estimate",
    "note",
];

/// A catalog file of a layer read as its rows: a file of the user's is first checked to hold
/// its rows as tables (a TOML reader binds the values of a list written as a row to the row's
/// keys by position), then read, with its keys and strings checked; a built-in file is known
/// to pass both (a test checks it).
fn parse_layer<T: serde::de::DeserializeOwned>(file: &LayerFile) -> Result<T, InputError> {
    if !file.builtin {
        rows_are_tables(&file.display, &file.text)?;
    }
    parse_toml_with::<T>(&file.display, &file.text, !file.builtin)
}

/// Checks that every key of a catalog file holds a list of rows, each a table: `[[server]]`
/// tables, or `server = [{ ... }, ...]`; the first that does not is the error, at its line.
fn rows_are_tables(display: &str, text: &str) -> Result<(), InputError> {
    let Ok(doc) = toml_edit::Document::parse(text) else {
        // Not TOML: the reader says where.
        return Ok(());
    };
    let at = |e: InputError, span: Option<std::ops::Range<usize>>| match span {
        Some(span) => {
            let (line, column) = crate::error::line_col(text, span.start);
            e.at_position(line, column)
        }
        None => e,
    };
    let kind = |v: &toml_edit::Value| match v {
        toml_edit::Value::String(_) => "a text",
        toml_edit::Value::Integer(_) | toml_edit::Value::Float(_) => "a number",
        toml_edit::Value::Boolean(_) => "a boolean",
        toml_edit::Value::Datetime(_) => "a date",
        toml_edit::Value::Array(_) => "a list",
        toml_edit::Value::InlineTable(_) => "a table",
    };
    for (key, item) in doc.as_table().iter() {
        let rows = |found: &str| {
            InputError::new(display, format!("`{key}` is not a list of rows"))
                .at_key(key.to_string())
                .expected(format!("`[[{key}]]` tables, one per row"))
                .found(found.to_string())
        };
        match item {
            toml_edit::Item::ArrayOfTables(_) | toml_edit::Item::None => {}
            toml_edit::Item::Table(t) => {
                return Err(at(
                    rows(&format!("one table (`[{key}]` instead of `[[{key}]]`?)")),
                    t.span(),
                ));
            }
            toml_edit::Item::Value(toml_edit::Value::Array(values)) => {
                for (i, v) in values.iter().enumerate() {
                    if !v.is_inline_table() {
                        let e = InputError::new(display, format!("`{key}[{i}]` is not a table"))
                            .at_key(format!("{key}[{i}]"))
                            .expected(format!(
                                "a row of keys: a `[[{key}]]` table, or `{{ key = value, ... }}`"
                            ))
                            .found(kind(v).to_string());
                        return Err(at(e, v.span()));
                    }
                }
            }
            toml_edit::Item::Value(v) => return Err(at(rows(kind(v)), v.span())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Catalog;
    use crate::finance::annual_depreciation;

    /// Rates are printed to four or five decimals in the catalog; sums of them agree to this.
    const RATE_TOLERANCE: f64 = 1e-12;

    #[test]
    fn built_in_catalogs_pass_the_text_checks_they_skip_at_run_time() {
        // Built-in catalog files are parsed without `check_toml_text` (they are compiled in):
        // this is the check they skip.
        let mut checked = 0;
        for (name, text) in super::BUILTIN {
            if name.ends_with(".toml") {
                let display = format!("{}/{name}", super::BUILTIN_LABEL);
                crate::limits::check_toml_text(&display, text)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                checked += 1;
            }
        }
        assert_eq!(checked, 7);
        // And the check does find a fault of the kind it looks for.
        let bad = "[[site]]\nid = \"a\\u0007b\"\n";
        assert!(crate::limits::check_toml_text("x.toml", bad).is_err());
    }

    /// The built-in policy `id` applied to a cost of 1.
    fn schedule(catalog: &Catalog, id: &str) -> Vec<f64> {
        let policy = catalog
            .policy(id)
            .unwrap_or_else(|| panic!("policy `{id}`"));
        annual_depreciation(&policy.method().expect("a complete policy"), 1.0)
    }

    #[test]
    fn us_bonus_depreciation_deducts_everything_in_the_first_year() {
        let catalog = Catalog::builtin().unwrap();
        assert_eq!(schedule(&catalog, "us-bonus-100"), vec![1.0]);
    }

    #[test]
    fn us_bonus_phase_down_tables_are_bonus_plus_macrs_on_the_rest() {
        let catalog = Catalog::builtin().unwrap();
        let macrs = schedule(&catalog, "macrs-5y");
        for (id, bonus) in [
            ("us-bonus-80-macrs-5y", 0.8),
            ("us-bonus-60-macrs-5y", 0.6),
            ("us-bonus-40-macrs-5y", 0.4),
        ] {
            let got = schedule(&catalog, id);
            assert_eq!(got.len(), macrs.len(), "{id}");
            for (year, (g, m)) in got.iter().zip(&macrs).enumerate() {
                let want = (1.0 - bonus) * m + if year == 0 { bonus } else { 0.0 };
                assert!(
                    (g - want).abs() < RATE_TOLERANCE,
                    "{id} year {year}: {g} vs {want}"
                );
            }
        }
    }

    #[test]
    fn germany_one_year_life_cites_the_2022_letter_and_its_scope() {
        let catalog = Catalog::builtin().unwrap();
        let policy = catalog.policy("de-computer-1y").unwrap();
        assert_eq!(policy.as_of, "2022-02-22");
        assert!(policy.source.contains("2022-02-22"), "{}", policy.source);
        let note = policy.note.as_deref().unwrap_or("");
        assert!(note.contains("8-GPU"), "{note}");
        assert_eq!(schedule(&catalog, "de-computer-1y"), vec![1.0]);
    }
}

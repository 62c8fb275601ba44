//! Every key and type mistake of a scenario file at once, for `tcosim validate`.
//!
//! A scenario is read in one piece, so the parser stops at its first mistake. When it does,
//! the file is read again as plain TOML tables and each top-level key, and each key of each
//! `[[workload]]`, `[[option]]`, `[[uncertain]]`, `[[correlation]]` and `[[policy]]` entry, is
//! checked on its own: parsed alone into the same types, so that every message says what the
//! one-piece parse would have said about it, then placed at its line in the file.

use super::{ScenarioFile, Source};
use crate::error::{InputError, Seg, locate_in, parse_toml};
use crate::limits::MAX_ERRORS_PER_FILE;

/// Positions in the scenario's text, parsed once for all its errors.
struct Places<'a> {
    text: &'a str,
    doc: Option<toml_edit::Document<&'a str>>,
}

impl Places<'_> {
    /// Where the value at `path` starts.
    fn of(&self, path: &[Seg]) -> Option<(usize, usize)> {
        locate_in(self.doc.as_ref()?, self.text, path)
    }

    /// Where the key at the end of `path` is written (a key that has no place in its table is
    /// shown where it is, as the parser shows it), else where its value starts.
    fn key_of(&self, path: &[Seg]) -> Option<(usize, usize)> {
        let key_span = || {
            let (Seg::Name(last), parents) = path.split_last()? else {
                return None;
            };
            let mut item = self.doc.as_ref()?.as_item();
            for seg in parents {
                item = match seg {
                    Seg::Key(k) => item.get(*k),
                    Seg::Name(k) => item.get(k.as_str()),
                    Seg::Index(i) => item.get(*i),
                }?;
            }
            let key = match item {
                toml_edit::Item::Table(t) => t.key(last),
                toml_edit::Item::Value(toml_edit::Value::InlineTable(t)) => t.key(last),
                _ => None,
            }?;
            key.span()
        };
        match key_span() {
            Some(span) => Some(crate::error::line_col(self.text, span.start)),
            None => self.of(path),
        }
    }
}

/// The tables of a scenario whose entries are checked one by one.
const ENTRY_TABLES: [&str; 5] = ["workload", "option", "uncertain", "correlation", "policy"];

/// The key and type mistakes of a scenario file, and what is left of it without them.
#[derive(Debug)]
pub struct Mistakes {
    /// In the order of the file.
    pub errors: Vec<InputError>,
    /// The scenario without the keys in error, when it still has every key it needs, for
    /// the checks of its values: their entries keep their places, so that key paths and
    /// lines stay those of the file.
    pub rest: Option<Box<ScenarioFile>>,
    /// The top-level keys and the entries (`option[2]`) in error: what the checks of `rest`
    /// find under them follows from the keys left out, and is not reported.
    pub in_error: Vec<String>,
}

impl Mistakes {
    /// Whether the problem at `key` (a key path) lies under a key or entry in error.
    pub fn covers(&self, key: Option<&str>) -> bool {
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            return true;
        };
        self.in_error.iter().any(|p| {
            key.strip_prefix(p.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
    }
}

/// The scenario file, or every key and type mistake in it, in the order of the file (a TOML
/// syntax error, which hides the rest of the file, is reported alone).
pub fn structure(source: &Source) -> Result<ScenarioFile, Mistakes> {
    let first = match source.parse() {
        Ok(file) => return Ok(file),
        Err(e) => e,
    };
    let mut table: toml::Table = match parse_toml(&source.display, &source.text) {
        Ok(t) => t,
        Err(syntax) => {
            return Err(Mistakes {
                errors: vec![syntax],
                rest: None,
                in_error: Vec::new(),
            });
        }
    };
    let places = Places {
        text: &source.text,
        doc: toml_edit::Document::parse(source.text.as_str()).ok(),
    };
    let mut errors = Vec::new();
    let mut failed_keys = Vec::new();
    // (table, index, fields) of the entries with keys in error.
    let mut failed_fields: Vec<(String, usize, Vec<String>)> = Vec::new();
    // Lists where tables belong: a key of the scenario, or a key of an entry, in error.
    for e in super::shape::scenario_mistakes(source) {
        match e.key.as_deref().map(entry_field) {
            Some(Some((table, i, field))) => failed_fields.push((table, i, vec![field])),
            Some(None) => {
                let key = e.key.as_deref().unwrap_or_default();
                let top = key.split(['.', '[']).next().unwrap_or(key).to_string();
                if !failed_keys.contains(&top) {
                    failed_keys.push(top);
                }
            }
            None => {}
        }
        errors.push(e);
    }
    for (key, value) in &table {
        if failed_keys.contains(key) {
            continue;
        }
        match entries(key, value) {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    if errors.len() >= MAX_ERRORS_PER_FILE {
                        break;
                    }
                    let known: Vec<String> = failed_fields
                        .iter()
                        .filter(|(t, j, _)| t == key && *j == i)
                        .flat_map(|(_, _, f)| f.clone())
                        .collect();
                    let failed = check_entry(source, &places, key, i, item, &known, &mut errors);
                    if !failed.is_empty() {
                        failed_fields.push((key.clone(), i, failed));
                    }
                }
            }
            None => {
                let mut alone = toml::Table::new();
                alone.insert(key.clone(), value.clone());
                if let Some(e) = probe(source, &places, &alone, key, None) {
                    errors.push(e);
                    failed_keys.push(key.clone());
                }
            }
        }
    }
    // Required keys of the scenario itself, without the ones already reported.
    let mut rest = table.clone();
    for key in &failed_keys {
        rest.remove(key);
    }
    for key in ENTRY_TABLES {
        if entries(key, rest.get(key).unwrap_or(&toml::Value::Boolean(false))).is_some() {
            rest.insert(key.to_string(), toml::Value::Array(Vec::new()));
        }
    }
    for e in missing(source, &rest, &failed_keys) {
        errors.push(e.at_position(1, 1));
    }
    let missed = errors.is_empty();
    if missed {
        errors.push(first);
    }
    errors.sort_by_key(|e| e.position.unwrap_or((usize::MAX, usize::MAX)));
    // What is left without the keys in error, if it is a scenario.
    let mut in_error = failed_keys.clone();
    for key in &failed_keys {
        table.remove(key);
    }
    for (key, i, fields) in &failed_fields {
        in_error.push(format!("{key}[{i}]"));
        if let Some(entry) = table
            .get_mut(key)
            .and_then(|v| v.as_array_mut())
            .and_then(|a| a.get_mut(*i))
            .and_then(|e| e.as_table_mut())
        {
            for field in fields {
                entry.remove(field);
            }
        }
    }
    // A required key that is missing (and reported above) gets a stand-in value, so that the
    // values of the rest are still checked; what the stand-in itself would fail is covered.
    stand_ins(&mut table, None, "", &mut in_error);
    for key in ENTRY_TABLES {
        if let Some(items) = table.get_mut(key).and_then(|v| v.as_array_mut()) {
            for (i, item) in items.iter_mut().enumerate() {
                if let Some(entry) = item.as_table_mut() {
                    stand_ins(
                        entry,
                        Some(definition_of(key)),
                        &format!("{key}[{i}]."),
                        &mut in_error,
                    );
                }
            }
        }
    }
    let rest = if missed || errors.len() >= MAX_ERRORS_PER_FILE {
        None
    } else {
        toml::Value::Table(table)
            .try_into::<ScenarioFile>()
            .ok()
            .map(Box::new)
    };
    Err(Mistakes {
        errors,
        rest,
        in_error,
    })
}

/// The name in the scenario's JSON Schema of the type of an entry of `[[table]]`.
fn definition_of(table: &str) -> &'static str {
    match table {
        "workload" => "WorkloadSpec",
        "option" => "OptionSpec",
        "uncertain" => "UncertainSpec",
        "correlation" => "CorrelationSpec",
        _ => "PolicySpec",
    }
}

/// Puts a stand-in (empty text, zero) for every required key of `definition` (see
/// [`required`]) that `fields` lacks, and records its key path (`prefix` + key) in `in_error`.
fn stand_ins(
    fields: &mut toml::Table,
    definition: Option<&str>,
    prefix: &str,
    in_error: &mut Vec<String>,
) {
    let value = scenario_schema();
    let node = match definition {
        None => Some(value),
        Some(name) => value.get("definitions").and_then(|d| d.get(name)),
    };
    for key in required(definition) {
        if fields.contains_key(&key) {
            continue;
        }
        let kind = node
            .and_then(|n| n.get("properties"))
            .and_then(|p| p.get(&key))
            .and_then(|p| p.get("type"))
            .and_then(|t| t.as_str());
        let stand_in = match kind {
            Some("integer") => toml::Value::Integer(0),
            Some("number") => toml::Value::Float(0.0),
            Some("boolean") => toml::Value::Boolean(false),
            Some("string") => toml::Value::String(String::new()),
            _ => continue,
        };
        fields.insert(key.clone(), stand_in);
        let path = format!("{prefix}{key}");
        if !in_error.contains(&path) {
            in_error.push(path);
        }
    }
}

/// The entries of `[[key]]` when `value` is an array of tables of one of [`ENTRY_TABLES`].
fn entries<'a>(key: &str, value: &'a toml::Value) -> Option<&'a Vec<toml::Value>> {
    match value {
        toml::Value::Array(items)
            if ENTRY_TABLES.contains(&key) && items.iter().all(toml::Value::is_table) =>
        {
            Some(items)
        }
        _ => None,
    }
}

/// Checks each key of entry `index` of `[[table]]` on its own, then what the entry lacks;
/// returns the keys in error. Every entry table of [`ENTRY_TABLES`] has its type in
/// [`missing_in_entry`].
fn check_entry(
    source: &Source,
    places: &Places,
    table: &str,
    index: usize,
    item: &toml::Value,
    known: &[String],
    errors: &mut Vec<InputError>,
) -> Vec<String> {
    let Some(fields) = item.as_table() else {
        return Vec::new();
    };
    let mut failed = Vec::new();
    for (field, value) in fields {
        if known.contains(field) {
            continue;
        }
        let mut one = toml::Table::new();
        one.insert(field.clone(), value.clone());
        if let Some(e) = probe(source, places, &in_entry(table, one), table, Some(index)) {
            errors.push(e);
            failed.push(field.clone());
        }
    }
    let mut rest = fields.clone();
    for field in failed.iter().chain(known) {
        rest.remove(field);
    }
    let reported: Vec<String> = failed.iter().chain(known).cloned().collect();
    for e in missing_in_entry(source, table, &rest, &reported) {
        let path = [Seg::Name(table.to_string()), Seg::Index(index)];
        let mut e = e.at_key(crate::error::key_path(&path));
        if let Some((line, column)) = places.of(&path) {
            e = e.at_position(line, column);
        }
        errors.push(e);
    }
    failed
}

/// The entry table, index and field of a key path `option[2].refresh` (or deeper, such as
/// `option[2].refresh.to`) of one of [`ENTRY_TABLES`]; `None` for any other key.
fn entry_field(key: &str) -> Option<(String, usize, String)> {
    let (table, rest) = key.split_once('[')?;
    let (index, rest) = rest.split_once("].")?;
    let field = rest.split(['.', '[']).next()?;
    (ENTRY_TABLES.contains(&table) && !field.is_empty())
        .then(|| Some((table.to_string(), index.parse().ok()?, field.to_string())))
        .flatten()
}

/// A document holding `fields` as the only entry of `[[table]]`.
fn in_entry(table: &str, fields: toml::Table) -> toml::Table {
    let mut doc = toml::Table::new();
    doc.insert(
        table.to_string(),
        toml::Value::Array(vec![toml::Value::Table(fields)]),
    );
    doc
}

/// The error a scenario holding only `doc` has, other than keys it lacks (which are the
/// rest of the file's), placed in the real file: `doc`'s entry is entry `index` of `[[table]]`
/// there.
fn probe(
    source: &Source,
    places: &Places,
    doc: &toml::Table,
    table: &str,
    index: Option<usize>,
) -> Option<InputError> {
    let e = parse_alone(source, doc)?;
    if e.problem.starts_with("missing field") {
        return None;
    }
    Some(placed(places, e, table, index))
}

/// The "missing field" errors of `doc`, but for those of `reported` (a key whose value was
/// wrong is not also missing): the parser's own, and one for each other required key that
/// `doc` lacks (the parser names only the first).
fn missing(source: &Source, doc: &toml::Table, reported: &[String]) -> Vec<InputError> {
    let Some(e) = parse_alone(source, doc) else {
        return Vec::new();
    };
    every_missing(source, e, doc, reported, &required(None))
}

/// The scenario's JSON Schema as a value, generated once per process: the checks below read it
/// for every entry of a file.
pub(super) fn scenario_schema() -> &'static serde_json::Value {
    static SCHEMA: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| crate::report::json_schema::scenario().as_value().clone())
}

/// The required keys of the scenario (`None`) or of an entry type named as in the scenario's
/// JSON Schema (`Some("OptionSpec")`), which is derived from the same types the parser reads.
fn required(definition: Option<&str>) -> Vec<String> {
    let value = scenario_schema();
    let node = match definition {
        None => Some(value),
        Some(name) => value.get("definitions").and_then(|d| d.get(name)),
    };
    node.and_then(|n| n.get("required"))
        .and_then(|r| r.as_array())
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// From the parser's error `e` about `fields`: its "missing field" error unless it names one of
/// `reported`, then the same error for every other key of `required` that `fields` lacks, in
/// the order of `required`.
fn every_missing(
    source: &Source,
    e: InputError,
    fields: &toml::Table,
    reported: &[String],
    required: &[String],
) -> Vec<InputError> {
    let Some(first) = e
        .problem
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
        .map(str::to_string)
    else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    if !reported.contains(&first) {
        let mut e = e;
        e.position = None;
        e.key = None;
        errors.push(e);
    }
    for field in required {
        if *field != first && !fields.contains_key(field) && !reported.contains(field) {
            errors.push(
                InputError::new(source.display.clone(), format!("missing field `{field}`"))
                    .expected(format!("a `{field}` entry in the table that starts here")),
            );
        }
    }
    errors
}

/// The error of parsing `doc`, written out as TOML, as a scenario.
fn parse_alone(source: &Source, doc: &toml::Table) -> Option<InputError> {
    parse_as::<ScenarioFile>(source, doc)
}

/// The error of parsing `doc`, written out as TOML, as a `T`.
fn parse_as<T: serde::de::DeserializeOwned>(
    source: &Source,
    doc: &toml::Table,
) -> Option<InputError> {
    let text = toml::to_string(doc).ok()?;
    parse_toml::<T>(&source.display, &text).err()
}

/// The "missing field" errors of the entry `fields` of `[[table]]`, but for those of `reported`.
fn missing_in_entry(
    source: &Source,
    table: &str,
    fields: &toml::Table,
    reported: &[String],
) -> Vec<InputError> {
    use super::{CorrelationSpec, OptionSpec, PolicySpec, UncertainSpec, WorkloadSpec};
    let (e, definition) = match table {
        "workload" => (parse_as::<WorkloadSpec>(source, fields), "WorkloadSpec"),
        "option" => (parse_as::<OptionSpec>(source, fields), "OptionSpec"),
        "uncertain" => (parse_as::<UncertainSpec>(source, fields), "UncertainSpec"),
        "correlation" => (
            parse_as::<CorrelationSpec>(source, fields),
            "CorrelationSpec",
        ),
        _ => (parse_as::<PolicySpec>(source, fields), "PolicySpec"),
    };
    match e {
        Some(e) => every_missing(source, e, fields, reported, &required(Some(definition))),
        None => Vec::new(),
    }
}

/// `e`, found in a document of one entry, with the key path and position of the real file.
fn placed(places: &Places, mut e: InputError, table: &str, index: Option<usize>) -> InputError {
    if let (Some(index), Some(key)) = (index, e.key.clone()) {
        let alone = format!("{table}[0]");
        if let Some(rest) = key.strip_prefix(&alone) {
            e.key = Some(format!("{table}[{index}]{rest}"));
        }
    }
    let path = e.key.as_deref().map(segments).unwrap_or_default();
    e.position = if e.problem.starts_with("unknown field") {
        places.key_of(&path)
    } else {
        places.of(&path)
    };
    e
}

/// The segments of a key path such as `option[1].financing.kind`.
fn segments(key: &str) -> Vec<Seg> {
    let mut path = Vec::new();
    for part in key.split('.') {
        let mut pieces = part.split('[');
        if let Some(name) = pieces.next().filter(|n| !n.is_empty()) {
            path.push(Seg::Name(name.to_string()));
        }
        for index in pieces {
            if let Ok(i) = index.trim_end_matches(']').parse() {
                path.push(Seg::Index(i));
            }
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source {
        Source {
            display: "s.toml".into(),
            text: text.into(),
            base_dir: None,
        }
    }

    const GOOD: &str = "name = \"x\"\nhorizon_months = 12\nstart = \"2027-01\"\ndiscount_rate = 0.05\nreference_accelerator = \"h100-sxm\"\n\n[[option]]\nname = \"a\"\nkind = \"cloud\"\n\n[[option]]\nname = \"b\"\nkind = \"cloud\"\n";

    #[test]
    fn a_good_file_is_parsed_once() {
        assert!(structure(&source(GOOD)).is_ok());
    }

    #[test]
    fn every_bad_key_is_reported_in_the_order_of_the_file() {
        let text = GOOD
            .replace(
                "horizon_months = 12",
                "horizon_months = \"12\"\nhorizon = 3",
            )
            .replace("name = \"a\"", "name = \"a\"\nservers = \"2\"")
            .replace("name = \"b\"", "name = \"b\"\nofer = \"x\"");
        let errors = structure(&source(&text)).expect_err("four mistakes").errors;
        let keys: Vec<Option<&str>> = errors.iter().map(|e| e.key.as_deref()).collect();
        assert_eq!(
            keys,
            [
                Some("horizon_months"),
                Some("horizon"),
                Some("option[0].servers"),
                Some("option[1].ofer"),
            ],
            "{errors:#?}"
        );
        assert_eq!(errors[3].position.map(|p| p.0), Some(15));
        assert!(errors[3].problem.contains("unknown field `ofer`"));
        assert_eq!(errors[3].hint.as_deref(), Some("did you mean `offer`?"));
    }

    #[test]
    fn missing_keys_are_reported_where_they_are_missing() {
        let text = GOOD
            .replace("name = \"x\"\n", "")
            .replace("kind = \"cloud\"\n\n[[option]]", "\n[[option]]");
        let errors = structure(&source(&text))
            .expect_err("two missing keys")
            .errors;
        let problems: Vec<&str> = errors.iter().map(|e| e.problem.as_str()).collect();
        assert_eq!(
            problems,
            ["missing field `name`", "missing field `kind`"],
            "{errors:#?}"
        );
        assert_eq!(errors[1].key.as_deref(), Some("option[0]"));
    }

    #[test]
    fn what_is_left_without_the_keys_in_error_is_checked_further() {
        let text = GOOD
            .replace("horizon_months = 12", "horizon_months = 12\nhorizon = 3")
            .replace("name = \"b\"", "name = \"b\"\nservers = \"2\"");
        let mistakes = structure(&source(&text)).expect_err("two mistakes");
        let rest = mistakes.rest.as_ref().expect("the rest is a scenario");
        assert_eq!(rest.options.len(), 2);
        assert_eq!(rest.options[1].servers, None);
        assert_eq!(mistakes.in_error, ["horizon", "option[1]"]);
        assert!(mistakes.covers(Some("option[1].site")));
        assert!(mistakes.covers(Some("option[1]")));
        assert!(!mistakes.covers(Some("option[10].site")));
        assert!(!mistakes.covers(Some("option[0].site")));
        assert!(!mistakes.covers(Some("horizon_months")));
        // A required key in error or missing gets a stand-in, covered, and the rest is checked.
        let text = GOOD
            .replace("start = \"2027-01\"", "start = 2027")
            .replace("kind = \"cloud\"", "");
        let mistakes = structure(&source(&text)).expect_err("two mistakes");
        let rest = mistakes.rest.as_ref().expect("the rest is a scenario");
        assert_eq!(rest.start, "");
        assert!(mistakes.covers(Some("start")));
        assert_eq!(
            mistakes.in_error.iter().filter(|k| *k == "start").count(),
            1
        );
        let missing_kind = rest.options.iter().position(|o| o.kind.is_empty());
        let at = missing_kind.expect("a stand-in kind");
        assert!(mistakes.covers(Some(&format!("option[{at}].kind"))));
        assert!(!mistakes.covers(Some(&format!("option[{at}].name"))));
    }

    #[test]
    fn a_syntax_error_is_reported_alone() {
        let errors = structure(&source("name = \nhorizon_months = \"x\""))
            .expect_err("bad")
            .errors;
        assert_eq!(errors.len(), 1);
    }
}

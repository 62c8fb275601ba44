//! Tables where tables belong: the reader of a scenario binds the elements of a TOML array to
//! a table's keys by position (`tax = [0.25, "us-bonus-100", false]` would read as a rate, a
//! policy and a flag), so before it reads a file every key that the scenario's JSON Schema
//! types as a table is checked to hold one, and every key typed as an array of tables
//! (`[[option]]`) to hold such an array, with errors in the words of the file.

use super::Source;
use crate::error::{InputError, Seg, locate_in};
use crate::limits::MAX_ERRORS_PER_FILE;
use serde_json::Value as Schema;

/// What the schema asks of a value, as far as its shape goes.
enum Shape<'s> {
    /// A table with these properties.
    Table(&'s serde_json::Map<String, Schema>),
    /// An array whose items are of the node `items`.
    Array(&'s Schema),
    /// A number, text or boolean (`null` aside): the words for what it expects.
    Scalar(String),
    /// Anything else (choices of several shapes): not checked here.
    Other,
}

/// The shape of schema node `node` of the document `root` (its `$ref`s and `anyOf`s with
/// `null` followed).
fn shape<'s>(root: &'s Schema, node: &'s Schema) -> Shape<'s> {
    if let Some(target) = node.get("$ref").and_then(Schema::as_str) {
        let name = target.rsplit('/').next().unwrap_or(target);
        return match root.get("definitions").and_then(|d| d.get(name)) {
            Some(def) => shape(root, def),
            None => Shape::Other,
        };
    }
    if let Some(alternatives) = node.get("anyOf").and_then(Schema::as_array) {
        let mut not_null = alternatives
            .iter()
            .filter(|a| a.get("type").and_then(Schema::as_str) != Some("null"));
        return match (not_null.next(), not_null.next()) {
            (Some(only), None) => shape(root, only),
            _ => Shape::Other,
        };
    }
    let kind = match node.get("type") {
        Some(Schema::Array(types)) => {
            let mut not_null = types
                .iter()
                .filter_map(Schema::as_str)
                .filter(|t| *t != "null");
            match (not_null.next(), not_null.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        }
        other => other.and_then(Schema::as_str),
    };
    if let Some(choices) = node.get("enum").and_then(Schema::as_array) {
        let names: Vec<String> = choices
            .iter()
            .filter_map(Schema::as_str)
            .map(|c| format!("`{c}`"))
            .collect();
        if !names.is_empty() {
            return Shape::Scalar(format!("one of {}", names.join(", ")));
        }
    }
    match kind {
        Some("string") => return Shape::Scalar("a text in quotes".to_string()),
        Some("number") => return Shape::Scalar("a number".to_string()),
        Some("integer") => return Shape::Scalar("a whole number".to_string()),
        Some("boolean") => return Shape::Scalar("`true` or `false`".to_string()),
        _ => {}
    }
    match kind {
        Some("object") => match node.get("properties").and_then(Schema::as_object) {
            Some(properties) => Shape::Table(properties),
            None => Shape::Other,
        },
        Some("array") => match node.get("items") {
            Some(items) => Shape::Array(items),
            None => Shape::Other,
        },
        _ => Shape::Other,
    }
}

/// A TOML value named in the words of the file.
fn described(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("the text \"{}\"", crate::limits::printable(s)),
        toml::Value::Integer(i) => format!("the whole number {i}"),
        toml::Value::Float(x) => format!("the number {}", crate::error::written(*x)),
        toml::Value::Boolean(b) => format!("the boolean {b}"),
        toml::Value::Datetime(d) => format!("the date or time `{d}`"),
        toml::Value::Array(items) if items.is_empty() => "an empty list `[]`".to_string(),
        toml::Value::Array(items) => format!(
            "a list of {} value{}",
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        ),
        toml::Value::Table(_) => "a table".to_string(),
    }
}

/// The shape mistakes of `table`, read against the schema node `node` of `root`, at `path`.
fn walk(
    root: &Schema,
    properties: &serde_json::Map<String, Schema>,
    table: &toml::Table,
    path: &mut Vec<Seg>,
    out: &mut Vec<(Vec<Seg>, String, String, String)>,
) {
    for (key, value) in table {
        let Some(node) = properties.get(key) else {
            continue;
        };
        path.push(Seg::Name(key.clone()));
        check(root, node, value, path, out);
        path.pop();
    }
}

/// The shape mistakes of `value` at `path` against schema node `node`: (path, problem,
/// expected, found).
fn check(
    root: &Schema,
    node: &Schema,
    value: &toml::Value,
    path: &mut Vec<Seg>,
    out: &mut Vec<(Vec<Seg>, String, String, String)>,
) {
    if out.len() >= MAX_ERRORS_PER_FILE {
        return;
    }
    let name = crate::error::key_path(path);
    // The key as a table header names it: `option.refresh` for `option[2].refresh`.
    let header: Vec<&str> = path
        .iter()
        .filter_map(|seg| match seg {
            Seg::Name(n) => Some(n.as_str()),
            _ => None,
        })
        .collect();
    let header = header.join(".");
    match (shape(root, node), value) {
        (Shape::Table(properties), toml::Value::Table(t)) => walk(root, properties, t, path, out),
        (Shape::Table(_), other) => out.push((
            path.clone(),
            format!("`{name}` is not a table"),
            match path.last() {
                Some(Seg::Name(last)) => format!(
                    "a table: keys under a `[{header}]` header, or `{last} = {{ key = value, ... }}`"
                ),
                _ => "a table of keys: `{ key = value, ... }`".to_string(),
            },
            match other {
                toml::Value::Array(items)
                    if !items.is_empty() && items.iter().all(toml::Value::is_table) =>
                {
                    format!("a list of tables, as `[[{header}]]` headers write one")
                }
                other => described(other),
            },
        )),
        (Shape::Array(items), toml::Value::Array(values)) => {
            for (i, item) in values.iter().enumerate() {
                path.push(Seg::Index(i));
                check(root, items, item, path, out);
                path.pop();
            }
        }
        (Shape::Array(items), other) => {
            let tables = matches!(shape(root, items), Shape::Table(_));
            out.push((
                path.clone(),
                format!("`{name}` is not a list"),
                if tables {
                    format!("`[[{header}]]` tables (one header per entry), or a list of tables")
                } else {
                    "a list `[...]`".to_string()
                },
                match other {
                    toml::Value::Table(_) if tables => {
                        format!("one table (`[{header}]` instead of `[[{header}]]`?)")
                    }
                    other => described(other),
                },
            ));
        }
        (Shape::Scalar(expected), other @ (toml::Value::Table(_) | toml::Value::Array(_))) => out
            .push((
                path.clone(),
                format!("`{name}` has the wrong type"),
                expected,
                described(other),
            )),
        _ => {}
    }
}

/// The shape mistakes of the TOML text of `source` read as the document whose JSON Schema is
/// `root` (its top-level `properties`), each at its key and line; none when the text is not
/// TOML (the reader says why).
pub fn mistakes(source: &Source, root: &Schema) -> Vec<InputError> {
    let Ok(table) = toml::from_str::<toml::Table>(&source.text) else {
        return Vec::new();
    };
    let Some(properties) = root.get("properties").and_then(Schema::as_object) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    walk(root, properties, &table, &mut Vec::new(), &mut found);
    if found.is_empty() {
        return Vec::new();
    }
    let doc = toml_edit::Document::parse(source.text.as_str()).ok();
    let mut errors: Vec<InputError> = found
        .into_iter()
        .map(|(path, problem, expected, what)| {
            let mut e = InputError::new(&source.display, problem)
                .at_key(crate::error::key_path(&path))
                .expected(expected)
                .found(what);
            if let Some((line, column)) =
                doc.as_ref().and_then(|d| locate_in(d, &source.text, &path))
            {
                e = e.at_position(line, column);
            }
            e
        })
        .collect();
    errors.sort_by_key(|e| e.position.unwrap_or((usize::MAX, usize::MAX)));
    errors.truncate(MAX_ERRORS_PER_FILE);
    errors
}

/// [`mistakes`] of a scenario file.
pub fn scenario_mistakes(source: &Source) -> Vec<InputError> {
    mistakes(source, super::check::scenario_schema())
}

/// [`mistakes`] of a policy file: its `[[policy]]` entries, typed as in the scenario.
pub fn policy_file_mistakes(source: &Source) -> Vec<InputError> {
    static SCHEMA: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    let root = SCHEMA.get_or_init(|| {
        let scenario = super::check::scenario_schema();
        serde_json::json!({
            "properties": { "policy": scenario["properties"]["policy"].clone() },
            "definitions": scenario["definitions"].clone(),
        })
    });
    mistakes(source, root)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of the scenario typed as a table or a list is checked: a schema construct that
    /// [`shape`] does not follow (`allOf`, `oneOf`, `$defs`) would leave it unchecked.
    #[test]
    fn every_table_and_list_of_the_scenario_is_checked() {
        let root = super::super::check::scenario_schema();
        let mut seen = 0;
        let mut stack: Vec<(String, &Schema)> = root["properties"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v))
            .collect();
        while let Some((name, node)) = stack.pop() {
            let text = node.to_string();
            let composite =
                text.contains("$ref") || text.contains("\"object\"") || text.contains("\"array\"");
            match shape(root, node) {
                Shape::Table(properties) => {
                    seen += 1;
                    if seen < 10_000 {
                        stack.extend(properties.iter().map(|(k, v)| (format!("{name}.{k}"), v)));
                    }
                }
                Shape::Array(items) => {
                    seen += 1;
                    stack.push((format!("{name}[]"), items));
                }
                Shape::Scalar(_) => assert!(!composite, "{name}: {text}"),
                Shape::Other => assert!(!composite, "{name} is not checked: {text}"),
            }
        }
        // The entry tables, their nested tables, `tax`, `sweep` and the others.
        assert!(seen >= 12, "{seen}");
    }

    #[test]
    fn many_mistakes_are_cut_at_the_limit_of_a_file() {
        let text = format!("uncertain = [{}]\n", vec!["[]"; 500].join(", "));
        let source = Source {
            display: "s.toml".into(),
            text,
            base_dir: None,
        };
        let errors = scenario_mistakes(&source);
        assert_eq!(errors.len(), MAX_ERRORS_PER_FILE);
        assert_eq!(errors[0].key.as_deref(), Some("uncertain[0]"));
    }
}

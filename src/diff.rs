//! Differences between two runs (README "tcosim diff"): per option the change in each headline
//! figure, whether the winner changed, and which changed inputs explain each option's change in
//! PV (Shapley values, D1–D3 in the README). Pure: the caller reads files and simulates.

use crate::catalog::Catalog;
use crate::error::InputError;
use crate::json_path::{Step, shortened};
use crate::model::{self, CloudIn, Input, OptionIn, OwnedIn, WorkloadIn};
use rayon::prelude::*;
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;

/// Most changed inputs attributed one by one; above it, the inputs are grouped by section (D3).
pub const MAX_SINGLE_INPUTS: usize = 10;
/// Most sections attributed one by one; above it, three coarse groups (scenario, workloads,
/// options) are.
pub const MAX_SECTIONS: usize = 12;

/// The headline figures of one option of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionFigures {
    pub name: String,
    pub kind: String,
    pub pv_cost: f64,
    pub total_cost: f64,
    pub cost_per_gpu_hour: Option<f64>,
    pub unmet_gpu_hours: f64,
    pub energy_kwh: f64,
    pub co2_t: f64,
    /// Cumulative nominal cost (cash out plus priced unserved work) at the end of each month.
    pub cumulative_cost: Vec<f64>,
}

/// The figures of one run: from a simulation or from the JSON of `run --format json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub scenario: String,
    pub currency: String,
    pub options: Vec<OptionFigures>,
    /// The verdict's choice, if any.
    pub winner: Option<String>,
}

impl Figures {
    pub fn from_output(input: &Input, output: &model::Output) -> Figures {
        let options = output
            .options
            .iter()
            .map(|o| OptionFigures {
                name: o.name.clone(),
                kind: o.kind.as_str().to_string(),
                pv_cost: o.pv_cost,
                total_cost: o.total_cost,
                cost_per_gpu_hour: o.cost_per_gpu_hour,
                unmet_gpu_hours: o.unmet_gpu_hours,
                energy_kwh: o.energy_kwh,
                co2_t: o.co2_t,
                cumulative_cost: cumulative(o.months.iter().map(|m| m.cost())),
            })
            .collect();
        Figures {
            scenario: input.name.clone(),
            currency: input.currency.clone(),
            options,
            winner: output
                .verdict
                .winner
                .and_then(|w| output.options.get(w))
                .map(|o| o.name.clone()),
        }
    }

    /// The figures of a JSON result of `tcosim run --format json` (schema version 2 or 3: 3
    /// adds what diff does not read), held to what a run writes: no object has a key twice;
    /// `scenario` has a name, a currency and a horizon of 1 to 600 months; every option has a
    /// name (once), a kind, its figures as numbers (`cost_per_gpu_hour` may be `null`; unmet
    /// GPU-hours, energy and carbon are not negative) and one monthly row per month of the
    /// horizon; the verdict's winner is `null` or one of the options; every text is a printable
    /// name (as in a scenario) and every figure is within [`MAX_JSON_FIGURE`]. Errors name the
    /// key (and the line and column of a syntax error or a repeated key).
    ///
    /// A month's cost is `paid_at_start + paid_at_end`, as the run adds it (so after tax in the
    /// after-tax view), or `cash_out + unserved` in a result of version 2 written before those
    /// two fields.
    ///
    /// The document is walked once and only what diff reads is kept (see [`Keep`]): beside the
    /// text, about 150 bytes a monthly row (a result of 1,000 options over 600 months, 466 MB,
    /// is read in 3.5–3.7 s and 630 MB on the development machine).
    pub fn from_json(display: &str, text: &str) -> Result<Figures, InputError> {
        let bad = |what: &str| {
            InputError::new(display, "not a JSON result of `tcosim run --format json`")
                .expected("`schema_version` 3 (or 2) with `scenario`, `verdict` and `options`")
                .found(what.to_string())
        };
        let doc = read_json(display, text)?;
        if !matches!(doc, Node::Object(_)) {
            return Err(bad(&format!("{}, not an object", doc.shown())));
        }
        let version = doc.get("schema_version");
        if !matches!(version.and_then(Node::as_u64), Some(2 | 3)) {
            return Err(bad(&match version {
                Some(v @ (Node::Other(_) | Node::List(_) | Node::Object(_))) => {
                    format!("`schema_version` is {}", v.shown())
                }
                Some(v) => format!("schema_version {}", v.shown()),
                None => "no `schema_version`".to_string(),
            }));
        }
        let r = ResultReader { display };
        let scenario = r.object(&doc, "scenario", "scenario")?;
        let scenario_name = r.name(scenario, "name", "scenario.name")?;
        let currency = r.name(scenario, "currency", "scenario.currency")?;
        let horizon = r.horizon(scenario)?;
        let verdict = r.object(&doc, "verdict", "verdict")?;
        let listed = r.list(&doc, "options", "options")?;
        if listed.is_empty() {
            return Err(r.wrong("options", "at least one option, as a run writes them", "[]"));
        }
        let mut options = Vec::with_capacity(listed.len());
        let mut seen = std::collections::HashMap::new();
        for (i, o) in listed.iter().enumerate() {
            let at = |key: &str| format!("options[{i}].{key}");
            if !matches!(o, Node::Object(_)) {
                return Err(r.wrong(&format!("options[{i}]"), "an object", &o.shown()));
            }
            let option = r.name(o, "name", &at("name"))?;
            if let Some(first) = seen.insert(option.clone(), i) {
                return Err(
                    InputError::new(display, format!("duplicate option name `{option}`"))
                        .at_key(at("name"))
                        .expected("each option name once")
                        .found(format!("`{option}` again, first at options[{first}].name")),
                );
            }
            let kind = r.name(o, "kind", &at("kind"))?;
            if !["onprem", "cloud", "hybrid"].contains(&kind.as_str()) {
                return Err(r.wrong(
                    &at("kind"),
                    "`onprem`, `cloud` or `hybrid`",
                    &format!("`{}`", crate::limits::printable(&kind)),
                ));
            }
            let monthly = r.list(o, "monthly", &at("monthly"))?;
            if monthly.len() != horizon {
                return Err(r.wrong(
                    &at("monthly"),
                    &format!("one row per month of `scenario.horizon_months`, {horizon}"),
                    &format!("{} rows", monthly.len()),
                ));
            }
            let mut months = Vec::with_capacity(monthly.len());
            let mut running = 0.0;
            for (m, month) in monthly.iter().enumerate() {
                let at = |key: &str| format!("options[{i}].monthly[{m}].{key}");
                if !matches!(month, Node::Object(_)) {
                    return Err(r.wrong(
                        &format!("options[{i}].monthly[{m}]"),
                        "an object",
                        &month.shown(),
                    ));
                }
                let cash = r.number(month, "cash_out", &at("cash_out"))?;
                let unserved = r.number(month, "unserved", &at("unserved"))?;
                let cost = match (month.get("paid_at_start"), month.get("paid_at_end")) {
                    (None, None) => cash + unserved,
                    _ => {
                        r.number(month, "paid_at_start", &at("paid_at_start"))?
                            + r.number(month, "paid_at_end", &at("paid_at_end"))?
                    }
                };
                months.push(cost);
                running += cost;
                if running.abs() > MAX_JSON_FIGURE {
                    return Err(r.wrong(
                        &format!("options[{i}].monthly[{m}]"),
                        &format!(
                            "months whose costs add up to a figure a run can write, from -{0} to {0}",
                            crate::error::written(MAX_JSON_FIGURE)
                        ),
                        &format!("{} by this month", crate::error::written(running)),
                    ));
                }
            }
            let cost_per_gpu_hour = match o.get("cost_per_gpu_hour") {
                Some(Node::Null) => None,
                Some(Node::Number(_)) => {
                    Some(r.number(o, "cost_per_gpu_hour", &at("cost_per_gpu_hour"))?)
                }
                _ => {
                    return Err(r.wrong(
                        &at("cost_per_gpu_hour"),
                        "a number, or `null` for an option that serves nothing",
                        &ResultReader::found(o, "cost_per_gpu_hour"),
                    ));
                }
            };
            options.push(OptionFigures {
                kind,
                pv_cost: r.number(o, "pv_cost", &at("pv_cost"))?,
                total_cost: r.number(o, "total_cost", &at("total_cost"))?,
                cost_per_gpu_hour,
                unmet_gpu_hours: r.amount(o, "unmet_gpu_hours", &at("unmet_gpu_hours"))?,
                energy_kwh: r.amount(o, "energy_kwh", &at("energy_kwh"))?,
                co2_t: r.amount(o, "co2_t", &at("co2_t"))?,
                cumulative_cost: cumulative(months.into_iter()),
                name: option,
            });
        }
        let winner = match verdict.get("winner") {
            Some(Node::Null) => None,
            _ => {
                let winner = r.name(verdict, "winner", "verdict.winner")?;
                if !seen.contains_key(&winner) {
                    let mut names: Vec<&str> = options.iter().map(|o| o.name.as_str()).collect();
                    names.truncate(5);
                    return Err(r.wrong(
                        "verdict.winner",
                        &format!("`null` or the name of an option ({})", names.join(", ")),
                        &format!("`{}`", crate::limits::printable(&winner)),
                    ));
                }
                Some(winner)
            }
        };
        Ok(Figures {
            scenario: scenario_name,
            currency,
            options,
            winner,
        })
    }

    fn option(&self, name: &str) -> Option<&OptionFigures> {
        self.options.iter().find(|o| o.name == name)
    }
}

/// Largest magnitude of a figure read from a JSON result. A run's money stays below about
/// 10^80 and its GPU-hours, energy and carbon far below that (README "Limits"), so a larger
/// figure cannot come from a run; within it, every change between two figures is a finite
/// number.
pub const MAX_JSON_FIGURE: f64 = 1e100;

/// `value`, the figure `key` of a JSON result (at the key path `at`), if its magnitude is at
/// most [`MAX_JSON_FIGURE`].
fn figure(display: &str, key: &str, value: f64, at: String) -> Result<f64, InputError> {
    if value.abs() <= MAX_JSON_FIGURE {
        return Ok(value);
    }
    Err(InputError::new(display, format!("`{key}` is out of range"))
        .at_key(at)
        .expected(format!(
            "a figure a run can write, from -{0} to {0}",
            crate::error::written(MAX_JSON_FIGURE)
        ))
        .found(crate::error::written(value)))
}

/// Reads the values of a JSON result (`display`), each error naming its key path.
struct ResultReader<'a> {
    display: &'a str,
}

impl ResultReader<'_> {
    /// The value at `at` is not what a run writes: `expected` instead of `found`.
    fn wrong(&self, at: &str, expected: &str, found: &str) -> InputError {
        InputError::new(
            self.display,
            format!(
                "`{}` is not as `tcosim run --format json` writes it",
                at.rsplit('.').next().unwrap_or(at)
            ),
        )
        .at_key(at.to_string())
        .expected(expected.to_string())
        .found(found.to_string())
    }

    /// What a message shows of the value of `key` in `node`: the value, or that it is missing.
    fn found(node: &Node, key: &str) -> String {
        node.get(key)
            .map_or_else(|| format!("no `{key}`"), Node::shown)
    }

    fn object<'n>(&self, node: &'n Node, key: &str, at: &str) -> Result<&'n Node, InputError> {
        match node.get(key) {
            Some(v @ Node::Object(_)) => Ok(v),
            _ => Err(self.wrong(at, "an object", &Self::found(node, key))),
        }
    }

    fn list<'n>(&self, node: &'n Node, key: &str, at: &str) -> Result<&'n [Node], InputError> {
        node.get(key)
            .and_then(Node::as_list)
            .ok_or_else(|| self.wrong(at, "an array", &Self::found(node, key)))
    }

    /// The number `key` of `node`, within [`MAX_JSON_FIGURE`].
    fn number(&self, node: &Node, key: &str, at: &str) -> Result<f64, InputError> {
        match node.get(key).and_then(Node::as_f64) {
            Some(x) => figure(self.display, key, x, at.to_string()),
            None => Err(self.wrong(at, "a number", &Self::found(node, key))),
        }
    }

    /// A number that a run never writes below 0 (GPU-hours, energy, carbon); −0 is 0.
    fn amount(&self, node: &Node, key: &str, at: &str) -> Result<f64, InputError> {
        let x = self.number(node, key, at)?;
        if x < 0.0 {
            return Err(self.wrong(at, "a number of at least 0", &crate::error::written(x)));
        }
        Ok(x)
    }

    /// The text `key` of `node`: a name as a scenario holds it (not empty, printable, at
    /// most 256 characters).
    fn name(&self, node: &Node, key: &str, at: &str) -> Result<String, InputError> {
        let s = match node.get(key) {
            Some(Node::Text(s)) => s,
            _ => return Err(self.wrong(at, "a text", &Self::found(node, key))),
        };
        let why = if s.trim().is_empty() {
            Err(format!("`{key}` is empty"))
        } else {
            crate::limits::check_field(s, false, true).map_err(|why| format!("`{key}` holds {why}"))
        };
        why.map_err(|why| {
            InputError::new(self.display, why)
                .at_key(at.to_string())
                .expected("a name of printable characters, as a run writes it")
                .found(format!("`{}`", crate::limits::printable(s)))
        })?;
        Ok(s.clone())
    }

    /// `scenario.horizon_months`: a whole number of months from 1 to 600.
    fn horizon(&self, scenario: &Node) -> Result<usize, InputError> {
        let at = "scenario.horizon_months";
        match scenario.get("horizon_months").and_then(Node::as_u64) {
            Some(h @ 1..=600) => Ok(h as usize),
            _ => Err(self.wrong(
                at,
                "a whole number of months from 1 to 600",
                &Self::found(scenario, "horizon_months"),
            )),
        }
    }
}

fn cumulative(costs: impl Iterator<Item = f64>) -> Vec<f64> {
    costs
        .scan(0.0, |sum, c| {
            *sum += c;
            Some(*sum)
        })
        .collect()
}

/// Largest JSON result `diff` reads [bytes]: 1 GiB. The largest result a run writes within
/// the limits (README "Limits") is that of 1,000 options over 600 months: 600,000 monthly rows
/// of 21 keys, at most about 1,070 bytes each in the pretty layout (every figure spelt out to
/// the 24 characters of `-2.2250738585072014e-308`), 640 MB, about 450 MB with the figures of a
/// real run. The options' other keys add a few KB each (more with a purchase every month or a
/// thousand teams). A larger file is refused from its size before it is read.
pub const MAX_RESULT_BYTES: u64 = 1 << 30;

/// What of a JSON result diff reads. Every other value is walked only to check that none of
/// its objects has a key twice, and is not kept.
enum Keep {
    /// A value read as it is: a number or a text.
    Leaf,
    /// An object of which the keys listed are read.
    Object(&'static [(&'static str, Keep)]),
    /// An array each of whose elements is read as given.
    Each(&'static Keep),
}

/// A monthly row: what it pays at its start and end, or (in a result of version 2 written
/// before those two) its cash and the price of its unserved work, for the cumulative cost.
const MONTH: Keep = Keep::Object(&[
    ("cash_out", Keep::Leaf),
    ("unserved", Keep::Leaf),
    ("paid_at_start", Keep::Leaf),
    ("paid_at_end", Keep::Leaf),
]);

const OPTION: Keep = Keep::Object(&[
    ("name", Keep::Leaf),
    ("kind", Keep::Leaf),
    ("pv_cost", Keep::Leaf),
    ("total_cost", Keep::Leaf),
    ("cost_per_gpu_hour", Keep::Leaf),
    ("unmet_gpu_hours", Keep::Leaf),
    ("energy_kwh", Keep::Leaf),
    ("co2_t", Keep::Leaf),
    ("monthly", Keep::Each(&MONTH)),
]);

const DOCUMENT: Keep = Keep::Object(&[
    ("schema_version", Keep::Leaf),
    (
        "scenario",
        Keep::Object(&[
            ("name", Keep::Leaf),
            ("currency", Keep::Leaf),
            ("horizon_months", Keep::Leaf),
        ]),
    ),
    ("verdict", Keep::Object(&[("winner", Keep::Leaf)])),
    ("options", Keep::Each(&OPTION)),
]);

/// A value of a JSON result as diff keeps it (see [`Keep`]).
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Text(String),
    List(Vec<Node>),
    /// The keys read, each once.
    Object(Vec<(&'static str, Node)>),
    /// An array or object where a number or a text is read, or a value not read at all.
    Other(&'static str),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Object(entries) => entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Node::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    fn as_u64(&self) -> Option<u64> {
        match self {
            Node::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    fn as_list(&self) -> Option<&[Node]> {
        match self {
            Node::List(items) => Some(items),
            _ => None,
        }
    }

    /// The value as a message shows it: a scalar as JSON writes it (a text at most 60
    /// characters), an array or object by what it is.
    fn shown(&self) -> String {
        match self {
            Node::Null => "null".to_string(),
            Node::Bool(b) => b.to_string(),
            Node::Number(n) => n.to_string(),
            Node::Text(s) => format!("\"{}\"", shortened(s)),
            Node::List(_) => "an array".to_string(),
            Node::Object(_) => "an object".to_string(),
            Node::Other(what) => what.to_string(),
        }
    }
}

/// A key written twice in one object: its path, the key, and the bytes it takes in the text
/// with its quotes when it is written without escapes.
type Twice = (String, String, Option<usize>);

/// Reads one JSON value as [`Keep`] says, and stops at the first key written twice in an
/// object, recording it in `twice` (serde_json's own reading keeps the later value).
struct Walk<'p> {
    keep: Option<&'static Keep>,
    at: Step<'p>,
    twice: &'p RefCell<Option<Twice>>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = Node;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Node, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Node::Null, Node::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(match self.keep {
            Some(_) => Node::Text(v.to_string()),
            None => Node::Other("a text"),
        })
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let each = match self.keep {
            Some(Keep::Each(each)) => Some(*each),
            _ => None,
        };
        let mut items = Vec::new();
        let mut index = 0;
        while let Some(item) = seq.next_element_seed(Walk {
            keep: each,
            at: Step::Index(&self.at, index),
            twice: self.twice,
        })? {
            if each.is_some() {
                items.push(item);
            }
            index += 1;
        }
        Ok(match each {
            Some(_) => Node::List(items),
            None => Node::Other("an array"),
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let fields = match self.keep {
            Some(Keep::Object(fields)) => Some(*fields),
            _ => None,
        };
        let mut seen: HashSet<Cow<'de, str>> = HashSet::new();
        let mut entries = Vec::new();
        while let Some(key) = map.next_key_seed(KeyText)? {
            if seen.contains(&key) {
                let path = Step::Key(&self.at, &key).path();
                let written = matches!(key, Cow::Borrowed(_)).then(|| key.len() + 2);
                *self.twice.borrow_mut() = Some((path, key.into_owned(), written));
                return Err(serde::de::Error::custom("a key written twice"));
            }
            let field = fields.and_then(|f| f.iter().find(|(name, _)| *name == key));
            let value = map.next_value_seed(Walk {
                keep: field.map(|(_, keep)| keep),
                at: Step::Key(&self.at, &key),
                twice: self.twice,
            })?;
            if let Some((name, _)) = field {
                entries.push((*name, value));
            }
            seen.insert(key);
        }
        Ok(match fields {
            Some(_) => Node::Object(entries),
            None => Node::Other("an object"),
        })
    }
}

/// A key of an object, borrowed from the text where it has no escapes.
struct KeyText;

impl<'de> DeserializeSeed<'de> for KeyText {
    type Value = Cow<'de, str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyText {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// The parts of the JSON `text` that diff reads ([`DOCUMENT`]). A syntax error, or a key
/// written twice in any object of the document (serde_json would keep the later value), is
/// an error at its line and column.
fn read_json(display: &str, text: &str) -> Result<Node, InputError> {
    let twice = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let read = Walk {
        keep: Some(&DOCUMENT),
        at: Step::Root,
        twice: &twice,
    }
    .deserialize(&mut de)
    .and_then(|doc| de.end().map(|()| doc));
    let e = match read {
        Ok(doc) => return Ok(doc),
        Err(e) => e,
    };
    let (line, column) = (e.line().max(1), e.column().max(1));
    if let Some((path, key, written)) = twice.into_inner() {
        // The parser stops on the key's closing quote: name the column the key starts at.
        let column = written.map_or(column, |w| (column + 1).saturating_sub(w).max(1));
        let key = shortened(&key);
        return Err(InputError::new(display, format!("duplicate key `{key}`"))
            .at_position(line, column)
            .at_key(path)
            .expected(format!("`{key}` once in its object, as a run writes it"))
            .found(format!("a second `{key}` here"))
            .hint("delete one of the two; JSON readers differ in which one they keep"));
    }
    let message = e.to_string();
    let message = match message.rsplit_once(" at line ") {
        Some((head, _)) => head.to_string(),
        None => message,
    };
    Err(
        InputError::new(display, "not a JSON result of `tcosim run --format json`")
            .at_position(line, column)
            .expected("`schema_version` 3 (or 2) with `scenario`, `verdict` and `options`")
            .found(format!("invalid JSON: {message}")),
    )
}

/// One option in the old run, the new run or both.
#[derive(Debug, Clone)]
pub struct OptionDiff {
    pub name: String,
    pub old: Option<OptionFigures>,
    pub new: Option<OptionFigures>,
}

impl OptionDiff {
    /// `changed`, `added` or `removed`.
    pub fn status(&self) -> &'static str {
        match (&self.old, &self.new) {
            (Some(_), Some(_)) => "changed",
            (None, _) => "added",
            (_, None) => "removed",
        }
    }

    /// New less old PV, when the option is in both (as [`OptionDiff::change`] counts them).
    pub fn pv_change(&self) -> Option<f64> {
        self.change(0).absolute()
    }
}

/// A figure's old and new value with the change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    pub old: Option<f64>,
    pub new: Option<f64>,
}

impl Change {
    pub fn absolute(&self) -> Option<f64> {
        Some(self.new? - self.old?)
    }

    /// The change as a fraction of the old value's magnitude; `None` when the old value is no
    /// base for it: 0 (or below [`NEGLIGIBLE`], which [`OptionDiff::change`] gives as 0), or
    /// less than a [`MAX_RATIO`]-th of the new value's magnitude. A change from a negligible
    /// value, like one from 0, has no meaningful percentage; every one given is within ±(1 +
    /// [`MAX_RATIO`]), ±100,000,100%.
    pub fn relative(&self) -> Option<f64> {
        let (old, new) = (self.old?, self.new?);
        let base = old.abs();
        (base >= NEGLIGIBLE && base * MAX_RATIO >= new.abs())
            .then(|| (new - old) / base)
            .filter(|r| r.is_finite())
    }
}

/// Magnitude below which a figure compared by diff counts as 0: a millionth of a currency
/// unit, a GPU-hour, a kWh or a tonne, below what any output shows, and the amount of
/// delivered GPU-hours below which a run gives no cost per GPU-hour (README "Finance"). A
/// figure read as 5e-324 would otherwise be written out to 325 digits in CSV, and divide a
/// change into a percentage of 300 digits.
pub const NEGLIGIBLE: f64 = 1e-6;

/// Largest ratio of the new value's magnitude to the old one's for which a change is given in
/// % (a factor of a million): beyond it the old value is negligible next to the new one.
pub const MAX_RATIO: f64 = 1e6;

/// `v`, or 0 when its magnitude is below [`NEGLIGIBLE`].
fn counted(v: f64) -> f64 {
    if v.abs() < NEGLIGIBLE { 0.0 } else { v }
}

/// The figures a diff compares, as (JSON key, label, getter).
pub type Metric = (
    &'static str,
    &'static str,
    fn(&OptionFigures) -> Option<f64>,
);

pub const METRICS: [Metric; 6] = [
    ("pv_cost", "PV cost", |o| Some(o.pv_cost)),
    ("total_cost", "Total cost", |o| Some(o.total_cost)),
    ("cost_per_gpu_hour", "Cost per GPU-hour", |o| {
        o.cost_per_gpu_hour
    }),
    ("unmet_gpu_hours", "Unmet [GPU-h]", |o| {
        Some(o.unmet_gpu_hours)
    }),
    ("energy_kwh", "Energy [kWh]", |o| Some(o.energy_kwh)),
    ("co2_t", "Carbon [tCO2]", |o| Some(o.co2_t)),
];

impl OptionDiff {
    /// The change of the metric at `index` of [`METRICS`], a figure below [`NEGLIGIBLE`] in
    /// magnitude as 0.
    pub fn change(&self, index: usize) -> Change {
        let get = METRICS[index].2;
        Change {
            old: self.old.as_ref().and_then(get).map(counted),
            new: self.new.as_ref().and_then(get).map(counted),
        }
    }
}

/// The comparison of two runs.
#[derive(Debug, Clone)]
pub struct Diff {
    pub old: Figures,
    pub new: Figures,
    /// The options of the old run in its order, then those only in the new run.
    pub options: Vec<OptionDiff>,
    /// Absent when either side is a JSON result (figures only).
    pub drivers: Option<Drivers>,
}

impl Diff {
    pub fn new(old: Figures, new: Figures, drivers: Option<Drivers>) -> Diff {
        let mut options: Vec<OptionDiff> = old
            .options
            .iter()
            .map(|o| OptionDiff {
                name: o.name.clone(),
                old: Some(o.clone()),
                new: new.option(&o.name).cloned(),
            })
            .collect();
        for o in &new.options {
            if old.option(&o.name).is_none() {
                options.push(OptionDiff {
                    name: o.name.clone(),
                    old: None,
                    new: Some(o.clone()),
                });
            }
        }
        Diff {
            old,
            new,
            options,
            drivers,
        }
    }

    pub fn winner_changed(&self) -> bool {
        self.old.winner != self.new.winner
    }
}

/// Where a changed input lives.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Scenario,
    Workload(String),
    /// A field of an option's owned part.
    Owned(String),
    /// A field of an option's cloud part.
    Cloud(String),
    /// The whole option: its kind or which parts it has changed.
    Option(String),
}

/// One changed input of the model.
#[derive(Debug, Clone)]
pub struct Input1 {
    /// `discount_rate`, `workload[NAME].growth_per_year`, `option[NAME].cloud.pue`, ...
    pub input: String,
    /// `scenario`, `workload NAME` or `option NAME`.
    pub section: String,
    pub old: String,
    pub new: String,
    scope: Scope,
    /// Index into the field table of its scope.
    field: usize,
}

/// A field of a model struct: its name, whether two differ, its value as text, and the copy
/// of the new value into a mixed input.
struct Field<T> {
    name: &'static str,
    differs: fn(&T, &T) -> bool,
    show: fn(&T) -> String,
    copy: fn(&mut T, &T),
}

/// Values as a diff shows them: numbers in their shortest exact form.
trait Shown {
    fn shown(&self) -> String;
}

/// Equality of inputs as the model sees them: a profile by its weights, not its name.
trait Same {
    fn same(&self, other: &Self) -> bool;
}

macro_rules! same_eq {
    ($($t:ty),*) => { $(impl Same for $t { fn same(&self, other: &Self) -> bool { self == other } })* };
}
same_eq!(
    f64,
    u32,
    usize,
    bool,
    String,
    Option<f64>,
    Option<u32>,
    crate::timeline::YearMonth,
    model::Financing,
    model::Commitment,
    crate::finance::Depreciation,
    Option<model::TaxIn>
);

same_eq!(crate::replay::Policy);
same_eq!(
    i64,
    Option<i64>,
    std::sync::Arc<str>,
    model::generations::Trend,
    model::sharing::Sharing,
    Option<std::sync::Arc<model::generations::Refresh>>
);

/// A fractional offer by every figure the model reads of it.
impl Same for Option<Box<CloudIn>> {
    fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Some(a), Some(b)) => CLOUD_FIELDS.iter().all(|f| !(f.differs)(a, b)),
            (a, b) => a.is_none() && b.is_none(),
        }
    }
}

impl Shown for Box<CloudIn> {
    fn shown(&self) -> String {
        format!(
            "{} reference GPUs per GPU at {} per GPU-hour",
            self.rel_throughput.shown(),
            self.on_demand_per_gpu_hour.shown()
        )
    }
}

impl Shown for model::generations::Trend {
    fn shown(&self) -> String {
        format!(
            "price-performance {}/year, energy efficiency {}/year, every {} months, clouds {} months later at a premium of {} decaying {}/year",
            self.price_performance_growth_per_year,
            self.energy_efficiency_growth_per_year,
            self.interval_months,
            self.new_generation_lag_months,
            self.new_generation_premium,
            self.premium_decay_per_year
        )
    }
}

impl Shown for model::sharing::Sharing {
    fn shown(&self) -> String {
        match self {
            model::sharing::Sharing::TimeSlicing { efficiency } => {
                format!("time-slicing at {efficiency}")
            }
            other => other.as_str().to_string(),
        }
    }
}

impl Shown for std::sync::Arc<model::generations::Refresh> {
    fn shown(&self) -> String {
        let to = match &self.to {
            model::generations::RefreshTo::Best => "best".to_string(),
            model::generations::RefreshTo::Server(h) => h.id.clone(),
        };
        let keep = match self.keep {
            model::generations::Keep::Capacity => "capacity",
            model::generations::Keep::Servers => "servers",
        };
        format!("to {to}, keeping {keep}")
    }
}

/// A trace by its jobs and how they are read, not its file name.
impl Same for Option<std::sync::Arc<model::trace::TraceIn>> {
    fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Some(a), Some(b)) => {
                a.jobs == b.jobs
                    && a.period_s.to_bits() == b.period_s.to_bits()
                    && a.rel_throughput.to_bits() == b.rel_throughput.to_bits()
                    && a.max_wait_s == b.max_wait_s
            }
            (a, b) => a.is_none() && b.is_none(),
        }
    }
}

impl Shown for Option<std::sync::Arc<model::trace::TraceIn>> {
    fn shown(&self) -> String {
        match self {
            Some(t) => format!("trace `{}` ({} jobs)", t.source, t.jobs.len()),
            None => "none".into(),
        }
    }
}

/// A scheduler by the name a scenario gives it: `fifo`, `easy-backfill`, ...
impl Shown for crate::replay::Policy {
    fn shown(&self) -> String {
        use clap::ValueEnum;
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }
}

impl Same for std::sync::Arc<crate::profile::Profile> {
    fn same(&self, other: &Self) -> bool {
        self.hourly == other.hourly
            && self.month_sums == other.month_sums
            && self.seasonal == other.seasonal
    }
}

macro_rules! shown_display {
    ($($t:ty),*) => { $(impl Shown for $t { fn shown(&self) -> String { self.to_string() } })* };
}
shown_display!(
    f64,
    u32,
    usize,
    i64,
    bool,
    String,
    std::sync::Arc<str>,
    crate::timeline::YearMonth
);

/// A rate as a percentage, without the noise of binary fractions: 0.09 is `9%`.
fn percentage(rate: f64) -> String {
    let p = (rate * 100.0 * 1e9).round() / 1e9;
    format!("{}%", p + 0.0)
}

/// Financing as a scenario's `financing` table says it.
impl Shown for model::Financing {
    fn shown(&self) -> String {
        match self {
            model::Financing::Cash => "cash".into(),
            model::Financing::Loan {
                annual_rate,
                term_months,
                down_payment,
            } => {
                let mut s = format!(
                    "loan at {} for {term_months} months",
                    percentage(*annual_rate)
                );
                if *down_payment != 0.0 {
                    s.push_str(&format!(", down payment {down_payment}"));
                }
                s
            }
            model::Financing::Lease {
                annual_rate,
                term_months,
                residual,
            } => format!(
                "lease at {} for {term_months} months, residual {residual}",
                percentage(*annual_rate)
            ),
        }
    }
}

/// A commitment by the key a scenario sets it with.
impl Shown for model::Commitment {
    fn shown(&self) -> String {
        match self {
            model::Commitment::None => "no commitment".into(),
            model::Commitment::Share(s) => format!("committed_share = {s}"),
            model::Commitment::Gpus(n) => format!("committed_gpus = {n}"),
        }
    }
}

/// A depreciation method described; [`depreciation_shown`] names it by its policy id where the
/// catalog has one.
impl Shown for crate::finance::Depreciation {
    fn shown(&self) -> String {
        use crate::finance::Depreciation;
        match self {
            Depreciation::StraightLine {
                life_years,
                salvage_fraction,
            } => format!("straight line over {life_years} years, salvage {salvage_fraction}"),
            Depreciation::DecliningBalance {
                life_years,
                factor,
                salvage_fraction,
                switch_to_straight_line,
            } => {
                let mut s = format!(
                    "declining balance at {factor}× over {life_years} years, salvage {salvage_fraction}"
                );
                if *switch_to_straight_line {
                    s.push_str(", then straight line");
                }
                s
            }
            Depreciation::Table { annual_rates } => format!(
                "annual rates {}",
                annual_rates
                    .iter()
                    .map(f64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A depreciation method by the id of the one catalog policy with that method, else described.
fn depreciation_shown(d: &crate::finance::Depreciation, catalog: &Catalog) -> String {
    let mut ids = catalog
        .policies
        .iter()
        .filter(|p| p.method().as_ref() == Some(d))
        .map(|p| p.id.as_str());
    match (ids.next(), ids.next()) {
        (Some(id), None) => id.to_string(),
        _ => d.shown(),
    }
}

impl Shown for model::TaxIn {
    fn shown(&self) -> String {
        let losses = if self.losses_offset_other_income {
            "offset other income"
        } else {
            "carried forward"
        };
        format!("rate {}, losses {losses}", self.rate)
    }
}

impl<T: Shown> Shown for Option<T> {
    fn shown(&self) -> String {
        self.as_ref()
            .map(Shown::shown)
            .unwrap_or_else(|| "none".into())
    }
}

impl Shown for std::sync::Arc<crate::profile::Profile> {
    fn shown(&self) -> String {
        self.name.clone()
    }
}

macro_rules! fields {
    ($t:ty; $($f:ident),* $(,)?) => {
        &[$(Field::<$t> {
            name: stringify!($f),
            differs: |a, b| !a.$f.same(&b.$f),
            show: |a| a.$f.shown(),
            copy: |m, n| m.$f = n.$f.clone(),
        }),*]
    };
}

const SCENARIO_FIELDS: &[Field<Input>] = fields!(Input;
    horizon_months, start, discount_rate, electricity_escalation_per_year, demand_scale,
    demand_growth_per_year, tax, generations);
const WORKLOAD_FIELDS: &[Field<WorkloadIn>] = fields!(WorkloadIn;
    ref_gpu_hours_per_month, growth_per_year, profile, sensitive, max_wait_hours,
    unserved_cost_per_gpu_hour, trace, gpu_fraction);
const OWNED_FIELDS: &[Field<OwnedIn>] = fields!(OwnedIn;
    servers, gpus_per_server, rel_throughput, availability, server_price, max_power_kw,
    idle_fraction, warranty_months, support_pct_per_year, electricity_per_kwh, pue,
    colocation_per_kw_month, grid_co2_g_per_kwh, cycle_months, financing, depreciation,
    tax_depreciation, residual_value, staff_fte_fixed, staff_fte_per_server,
    staff_salary_per_year, software_per_gpu_year, scheduler, server_id, release_month, refresh,
    sharing);
const CLOUD_FIELDS: &[Field<CloudIn>] = fields!(CloudIn;
    rel_throughput, on_demand_per_gpu_hour, spot_per_gpu_hour, commit_per_gpu_hour, commitment,
    commit_term_months, spot_share, spot_overhead, storage_tb, storage_per_tb_month,
    egress_tb_per_month, egress_per_tb, power_kw_per_gpu, pue, grid_co2_g_per_kwh,
    ride_release_month, fractional);

fn option_shape(o: &OptionIn) -> String {
    let parts = match (&o.owned, &o.cloud) {
        (Some(_), Some(_)) => "owned and cloud",
        (Some(_), None) => "owned",
        (None, Some(_)) => "cloud",
        (None, None) => "nothing",
    };
    format!("{} ({parts})", o.kind.as_str())
}

/// The inputs that differ between `old` and `new`, and what cannot be attributed: workloads
/// and options added or removed, and a changed currency or baseline (which move no PV).
/// Depreciation methods are named by their policy ids in `catalog`.
pub fn changed_inputs(old: &Input, new: &Input, catalog: &Catalog) -> (Vec<Input1>, Vec<String>) {
    let mut out = Vec::new();
    let mut unattributed = Vec::new();
    let push = |out: &mut Vec<Input1>, scope: Scope, field, name: String, o, n| {
        let section = match &scope {
            Scope::Scenario => "scenario".to_string(),
            Scope::Workload(w) => format!("workload {w}"),
            Scope::Owned(x) | Scope::Cloud(x) | Scope::Option(x) => format!("option {x}"),
        };
        out.push(Input1 {
            input: name,
            section,
            old: o,
            new: n,
            scope,
            field,
        });
    };
    for (i, f) in SCENARIO_FIELDS.iter().enumerate() {
        if (f.differs)(old, new) {
            let (o, n) = ((f.show)(old), (f.show)(new));
            push(&mut out, Scope::Scenario, i, f.name.to_string(), o, n);
        }
    }
    if old.currency != new.currency {
        unattributed.push(format!(
            "currency changed from {} to {}: figures are compared as numbers",
            old.currency, new.currency
        ));
    }
    let base = |i: &Input| i.options.get(i.baseline).map(|o| o.name.clone());
    if base(old) != base(new) {
        unattributed.push(format!(
            "baseline changed from {} to {} (it moves no PV)",
            base(old).unwrap_or_default(),
            base(new).unwrap_or_default()
        ));
    }
    for w in &old.workloads {
        match new.workloads.iter().find(|n| n.name == w.name) {
            None => unattributed.push(format!("workload `{}` removed", w.name)),
            Some(n) => {
                for (i, f) in WORKLOAD_FIELDS.iter().enumerate() {
                    if (f.differs)(w, n) {
                        let name = format!("workload[{}].{}", w.name, f.name);
                        let (o, s) = ((f.show)(w), (f.show)(n));
                        push(&mut out, Scope::Workload(w.name.clone()), i, name, o, s);
                    }
                }
            }
        }
    }
    for n in &new.workloads {
        if !old.workloads.iter().any(|w| w.name == n.name) {
            unattributed.push(format!("workload `{}` added", n.name));
        }
    }
    for o in &old.options {
        let Some(n) = new.options.iter().find(|n| n.name == o.name) else {
            unattributed.push(format!("option `{}` removed", o.name));
            continue;
        };
        let same_shape = o.kind == n.kind
            && o.owned.is_some() == n.owned.is_some()
            && o.cloud.is_some() == n.cloud.is_some();
        if !same_shape {
            let name = format!("option[{}]", o.name);
            let (a, b) = (option_shape(o), option_shape(n));
            push(&mut out, Scope::Option(o.name.clone()), 0, name, a, b);
            continue;
        }
        if let (Some(a), Some(b)) = (&o.owned, &n.owned) {
            for (i, f) in OWNED_FIELDS.iter().enumerate() {
                if (f.differs)(a, b) {
                    let name = format!("option[{}].owned.{}", o.name, f.name);
                    let (x, y) = match f.name {
                        "depreciation" => (
                            depreciation_shown(&a.depreciation, catalog),
                            depreciation_shown(&b.depreciation, catalog),
                        ),
                        "tax_depreciation" => (
                            depreciation_shown(&a.tax_depreciation, catalog),
                            depreciation_shown(&b.tax_depreciation, catalog),
                        ),
                        _ => ((f.show)(a), (f.show)(b)),
                    };
                    push(&mut out, Scope::Owned(o.name.clone()), i, name, x, y);
                }
            }
        }
        if let (Some(a), Some(b)) = (&o.cloud, &n.cloud) {
            for (i, f) in CLOUD_FIELDS.iter().enumerate() {
                if (f.differs)(a, b) {
                    let name = format!("option[{}].cloud.{}", o.name, f.name);
                    let (x, y) = ((f.show)(a), (f.show)(b));
                    push(&mut out, Scope::Cloud(o.name.clone()), i, name, x, y);
                }
            }
        }
    }
    for n in &new.options {
        if !old.options.iter().any(|o| o.name == n.name) {
            unattributed.push(format!("option `{}` added", n.name));
        }
    }
    (out, unattributed)
}

/// Copies the new value of `input` into `mixed` (an input shaped as the old one).
fn apply(mixed: &mut Input, new: &Input, input: &Input1) {
    match &input.scope {
        Scope::Scenario => (SCENARIO_FIELDS[input.field].copy)(mixed, new),
        Scope::Workload(w) => {
            let n = new.workloads.iter().find(|x| &x.name == w);
            let m = mixed.workloads.iter_mut().find(|x| &x.name == w);
            if let (Some(m), Some(n)) = (m, n) {
                (WORKLOAD_FIELDS[input.field].copy)(m, n);
            }
        }
        Scope::Owned(o) | Scope::Cloud(o) | Scope::Option(o) => {
            let n = new.options.iter().find(|x| &x.name == o);
            let m = mixed.options.iter_mut().find(|x| &x.name == o);
            let (Some(m), Some(n)) = (m, n) else { return };
            match &input.scope {
                Scope::Owned(_) => {
                    if let (Some(m), Some(n)) = (m.owned.as_mut(), n.owned.as_ref()) {
                        (OWNED_FIELDS[input.field].copy)(m, n);
                    }
                }
                Scope::Cloud(_) => {
                    if let (Some(m), Some(n)) = (m.cloud.as_mut(), n.cloud.as_ref()) {
                        (CLOUD_FIELDS[input.field].copy)(m, n);
                    }
                }
                _ => *m = n.clone(),
            }
        }
    }
}

/// How the contributions were counted (D3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// One player per changed input.
    Inputs,
    /// One player per section (scenario, each workload, each option).
    Sections,
    /// Three players: the scenario, the workloads, the options.
    Kinds,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Inputs => "shapley_over_inputs",
            Method::Sections => "shapley_over_sections",
            Method::Kinds => "shapley_over_kinds",
        }
    }
}

/// A player of the attribution: one changed input, or a group of them.
#[derive(Debug, Clone)]
pub struct Player {
    /// The input's name, or the group's (`scenario`, `workload NAME`, `workloads`, ...).
    pub name: String,
    /// Indices into [`Drivers::inputs`].
    pub inputs: Vec<usize>,
    /// Contribution to each option's PV change, in the order of [`Drivers::options`].
    pub contributions: Vec<f64>,
}

/// The changed inputs and how much of each option's PV change they explain.
#[derive(Debug, Clone)]
pub struct Drivers {
    pub inputs: Vec<Input1>,
    pub method: Method,
    pub players: Vec<Player>,
    /// The options in both runs, in the old run's order.
    pub options: Vec<String>,
    /// Per option, PV change less the sum of the contributions (0 to rounding when the set of
    /// workloads is the same in both runs).
    pub unexplained: Vec<f64>,
    /// Changes that are not attributed (added or removed workloads and options, ...).
    pub unattributed: Vec<String>,
    /// Runs of one option made: Σ over the options of 2^(players that can move it).
    pub evaluations: usize,
}

/// The drivers of the change from `old` to `new` (README D1–D3).
pub fn drivers(old: &Input, new: &Input, catalog: &Catalog) -> Drivers {
    let (inputs, unattributed) = changed_inputs(old, new, catalog);
    let section_of = |i: &Input1| i.section.clone();
    let kind_of = |i: &Input1| match i.scope {
        Scope::Scenario => "scenario".to_string(),
        Scope::Workload(_) => "workloads".to_string(),
        _ => "options".to_string(),
    };
    let (method, players) = if inputs.len() <= MAX_SINGLE_INPUTS {
        let players = inputs
            .iter()
            .enumerate()
            .map(|(k, i)| (i.input.clone(), vec![k]))
            .collect();
        (Method::Inputs, players)
    } else {
        let sections = group(&inputs, section_of);
        if sections.len() <= MAX_SECTIONS {
            (Method::Sections, sections)
        } else {
            (Method::Kinds, group(&inputs, kind_of))
        }
    };
    let options: Vec<String> = old
        .options
        .iter()
        .filter(|o| new.options.iter().any(|n| n.name == o.name))
        .map(|o| o.name.clone())
        .collect();
    // A player that moves nothing gets 0 and leaves the others' values as they are (the
    // null-player property), so each option is run alone over the players that can move it:
    // the scenario's and workloads' inputs and its own. An option's PV does not depend on
    // the other options.
    let moves = |members: &[usize], option: &str| {
        members.iter().any(|&m| match &inputs[m].scope {
            Scope::Owned(x) | Scope::Cloud(x) | Scope::Option(x) => x == option,
            Scope::Scenario | Scope::Workload(_) => true,
        })
    };
    let mut phi = vec![vec![0.0; options.len()]; players.len()];
    let mut evaluations = 0;
    for (o, name) in options.iter().enumerate() {
        let mine: Vec<usize> = (0..players.len())
            .filter(|&p| moves(&players[p].1, name))
            .collect();
        let mut alone = old.clone();
        alone.options.retain(|x| &x.name == name);
        alone.baseline = 0;
        let k = mine.len();
        let pv = |mask: usize| -> f64 {
            let mut mixed = alone.clone();
            for (bit, &p) in mine.iter().enumerate() {
                if mask & (1 << bit) != 0 {
                    for &m in &players[p].1 {
                        apply(&mut mixed, new, &inputs[m]);
                    }
                }
            }
            model::simulate(&mixed)
                .options
                .first()
                .map_or(0.0, |r| r.pv_cost)
        };
        let values: Vec<f64> = (0..1usize << k).into_par_iter().map(pv).collect();
        evaluations += values.len();
        for (bit, values) in shapley(k, |mask, _| values[mask], 1)
            .into_iter()
            .enumerate()
        {
            phi[mine[bit]][o] = values[0];
        }
    }
    let new_out = model::simulate(new);
    let old_out = model::simulate(old);
    let pv_of = |out: &model::Output, name: &str| {
        out.options
            .iter()
            .find(|o| o.name == name)
            .map_or(0.0, |o| o.pv_cost)
    };
    let unexplained = options
        .iter()
        .enumerate()
        .map(|(o, name)| {
            let change = pv_of(&new_out, name) - pv_of(&old_out, name);
            change - phi.iter().map(|p| p[o]).sum::<f64>()
        })
        .collect();
    Drivers {
        inputs,
        method,
        players: players
            .into_iter()
            .zip(phi)
            .map(|((name, inputs), contributions)| Player {
                name,
                inputs,
                contributions,
            })
            .collect(),
        options,
        unexplained,
        unattributed,
        evaluations,
    }
}

/// The inputs grouped by `key`, in order of first appearance.
fn group(inputs: &[Input1], key: impl Fn(&Input1) -> String) -> Vec<(String, Vec<usize>)> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (k, i) in inputs.iter().enumerate() {
        let name = key(i);
        match groups.iter_mut().find(|(g, _)| *g == name) {
            Some((_, members)) => members.push(k),
            None => groups.push((name, vec![k])),
        }
    }
    groups
}

/// Exact Shapley values (README D2) of `k` players for `outputs` values: `v(mask, o)` is value
/// `o` with the players in `mask` applied. φ_i = Σ_{S ⊆ N∖{i}} |S|! (k−|S|−1)! / k! ·
/// (v(S ∪ {i}) − v(S)); Σ_i φ_i = v(N) − v(∅).
pub fn shapley(k: usize, v: impl Fn(usize, usize) -> f64, outputs: usize) -> Vec<Vec<f64>> {
    let fact = |n: usize| (1..=n).map(|x| x as f64).product::<f64>();
    let weights: Vec<f64> = (0..k.max(1))
        .map(|s| fact(s) * fact(k.saturating_sub(s + 1)) / fact(k))
        .collect();
    (0..k)
        .map(|i| {
            (0..outputs)
                .map(|o| {
                    let mut sum = 0.0;
                    for mask in 0..1usize << k {
                        if mask & (1 << i) == 0 {
                            let s = mask.count_ones() as usize;
                            sum += weights[s] * (v(mask | (1 << i), o) - v(mask, o));
                        }
                    }
                    sum
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::Loaded;
    use crate::scenario::Source;

    /// Rounding of sums of PVs of a few million: far below a cent.
    const SUM_TOLERANCE: f64 = 1e-9;

    const SCENARIO: &str = r#"name = "diff test"
horizon_months = 24
start = "2027-01"
currency = "USD"
discount_rate = 0.08
reference_accelerator = "h100-sxm"

[[workload]]
name = "training"
gpu_hours_per_month = 5000
growth_per_year = 0.1
profile = "flat"

[[option]]
name = "rent"
kind = "cloud"
offer = "aws-p5.48xlarge-us-east-1"
storage_tb = 10

[[option]]
name = "mix"
kind = "hybrid"
server = "dgx-h100"
servers = 1
site = "us-tx-colo"
offer = "aws-p5.48xlarge-us-east-1"
"#;

    fn catalog() -> Catalog {
        Catalog::load::<&str>(&[]).expect("built-in catalogs")
    }

    fn input() -> Input {
        let source = Source {
            display: "test".into(),
            text: SCENARIO.into(),
            base_dir: None,
        };
        Loaded::resolve(source, catalog())
            .expect("valid scenario")
            .resolved
            .input
    }

    fn cloud<'a>(input: &'a mut Input, name: &str) -> &'a mut CloudIn {
        input
            .options
            .iter_mut()
            .find(|o| o.name == name)
            .and_then(|o| o.cloud.as_mut())
            .expect("a cloud option")
    }

    fn pv(input: &Input, name: &str) -> f64 {
        model::simulate(input)
            .options
            .into_iter()
            .find(|o| o.name == name)
            .expect(name)
            .pv_cost
    }

    fn contribution(d: &Drivers, player: &str, option: &str) -> f64 {
        let o = d.options.iter().position(|x| x == option).expect(option);
        d.players
            .iter()
            .find(|p| p.name == player)
            .expect(player)
            .contributions[o]
    }

    #[test]
    fn independent_price_changes_each_explain_their_own_change() {
        let old = input();
        let mut new = old.clone();
        cloud(&mut new, "rent").on_demand_per_gpu_hour *= 1.3;
        cloud(&mut new, "rent").storage_per_tb_month += 7.0;
        let d = drivers(&old, &new, &catalog());
        assert_eq!(d.method, Method::Inputs);
        assert_eq!(d.players.len(), 2);
        let mut price_only = old.clone();
        cloud(&mut price_only, "rent").on_demand_per_gpu_hour *= 1.3;
        let mut storage_only = old.clone();
        cloud(&mut storage_only, "rent").storage_per_tb_month += 7.0;
        let base = pv(&old, "rent");
        let price = contribution(&d, "option[rent].cloud.on_demand_per_gpu_hour", "rent");
        let storage = contribution(&d, "option[rent].cloud.storage_per_tb_month", "rent");
        let total = pv(&new, "rent") - base;
        assert!(((pv(&price_only, "rent") - base) - price).abs() <= SUM_TOLERANCE * total.abs());
        assert!(
            ((pv(&storage_only, "rent") - base) - storage).abs() <= SUM_TOLERANCE * total.abs()
        );
        assert!((price + storage - total).abs() <= SUM_TOLERANCE * total.abs());
        // The other option did not change: it gets nothing.
        assert_eq!(
            contribution(&d, "option[rent].cloud.storage_per_tb_month", "mix"),
            0.0
        );
    }

    #[test]
    fn an_interaction_is_split_equally() {
        let mut old = input();
        let c = cloud(&mut old, "rent");
        c.storage_tb = 0.0;
        c.egress_tb_per_month = 0.0;
        c.spot_share = 0.0;
        c.commitment = model::Commitment::None;
        // PV = price × scale × (a constant): doubling both quadruples it, and the interaction
        // (one old PV) is split half and half.
        let mut new = old.clone();
        cloud(&mut new, "rent").on_demand_per_gpu_hour *= 2.0;
        new.demand_scale *= 2.0;
        let d = drivers(&old, &new, &catalog());
        let base = pv(&old, "rent");
        let price = contribution(&d, "option[rent].cloud.on_demand_per_gpu_hour", "rent");
        let scale = contribution(&d, "demand_scale", "rent");
        assert!((pv(&new, "rent") - 4.0 * base).abs() <= SUM_TOLERANCE * base);
        assert!(
            (price - 1.5 * base).abs() <= SUM_TOLERANCE * base,
            "{price} {base}"
        );
        assert!(
            (scale - 1.5 * base).abs() <= SUM_TOLERANCE * base,
            "{scale} {base}"
        );
    }

    #[test]
    fn shapley_of_a_product_splits_the_cross_term() {
        // v = a·b with a: 1→3 and b: 2→5: v(∅)=2, v(a)=6, v(b)=5, v(ab)=15.
        let v = [2.0, 6.0, 5.0, 15.0];
        let phi = shapley(2, |mask, _| v[mask], 1);
        assert_eq!(phi[0][0], 0.5 * ((6.0 - 2.0) + (15.0 - 5.0)));
        assert_eq!(phi[1][0], 0.5 * ((5.0 - 2.0) + (15.0 - 6.0)));
        assert_eq!(phi[0][0] + phi[1][0], 13.0);
    }

    #[test]
    fn many_changes_are_grouped_by_section_and_still_add_up() {
        let old = input();
        let mut new = old.clone();
        let c = cloud(&mut new, "rent");
        c.on_demand_per_gpu_hour *= 1.1;
        c.spot_per_gpu_hour *= 1.1;
        c.storage_per_tb_month *= 1.1;
        c.egress_per_tb *= 1.1;
        c.pue *= 1.1;
        c.grid_co2_g_per_kwh *= 1.1;
        let m = cloud(&mut new, "mix");
        m.on_demand_per_gpu_hour *= 0.9;
        m.spot_share = 0.5;
        new.discount_rate = 0.1;
        new.demand_growth_per_year = 0.05;
        new.workloads[0].growth_per_year = 0.3;
        let d = drivers(&old, &new, &catalog());
        assert_eq!(d.inputs.len(), 11);
        assert_eq!(d.method, Method::Sections);
        assert_eq!(d.players.len(), 4);
        for (o, name) in d.options.iter().enumerate() {
            let change = pv(&new, name) - pv(&old, name);
            let sum: f64 = d.players.iter().map(|p| p.contributions[o]).sum();
            assert!(
                (sum - change).abs() <= SUM_TOLERANCE * change.abs(),
                "{name}"
            );
            assert!(d.unexplained[o].abs() <= SUM_TOLERANCE * change.abs());
        }
    }

    #[test]
    fn added_and_removed_options_are_not_attributed() {
        let old = input();
        let mut new = old.clone();
        new.options[1].name = "mix2".into();
        let d = drivers(&old, &new, &catalog());
        assert!(d.players.is_empty());
        assert_eq!(d.options, ["rent"]);
        assert!(d.unattributed.iter().any(|u| u == "option `mix` removed"));
        assert!(d.unattributed.iter().any(|u| u == "option `mix2` added"));
    }

    /// A minimal JSON result: what diff reads, and parts it does not read. Option `a`'s months
    /// are as version 2 wrote them before `paid_at_start` and `paid_at_end`.
    const RESULT: &str = r#"{"schema_version": 3,
"scenario": {"name": "s", "currency": "EUR", "horizon_months": 2,
 "extra": {"x": [1, 2, {"y": 1, "z": 2}]}},
"verdict": {"winner": "b", "ranking": [{"name": "b"}, {"name": "a"}]},
"options": [
 {"name": "a", "kind": "cloud", "pv_cost": 10, "total_cost": 12.5, "cost_per_gpu_hour": null,
  "unmet_gpu_hours": 0, "energy_kwh": 1e3, "co2_t": -0.0, "breakdown": {"cloud": 12.5},
  "monthly": [{"cash_out": 1, "unserved": 2, "capex": 0}, {"cash_out": 3, "unserved": 0}]},
 {"name": "b", "kind": "hybrid", "pv_cost": 9, "total_cost": 9, "cost_per_gpu_hour": 2.25,
  "unmet_gpu_hours": 1.5, "energy_kwh": 0, "co2_t": 0, "monthly": [
  {"cash_out": 5, "unserved": 0, "paid_at_start": 1.5, "paid_at_end": 2.25, "tax": -1.25},
  {"cash_out": 4, "unserved": 1, "paid_at_start": 0, "paid_at_end": 5}]}
]}"#;

    #[test]
    fn a_json_result_is_read_for_what_diff_compares() {
        let f = Figures::from_json("r.json", RESULT).expect("a result");
        assert_eq!(f.scenario, "s");
        assert_eq!(f.currency, "EUR");
        assert_eq!(f.winner.as_deref(), Some("b"));
        assert_eq!(f.options.len(), 2);
        let a = &f.options[0];
        assert_eq!((a.name.as_str(), a.kind.as_str()), ("a", "cloud"));
        assert_eq!(
            (a.pv_cost, a.total_cost, a.energy_kwh),
            (10.0, 12.5, 1000.0)
        );
        assert_eq!(a.cost_per_gpu_hour, None);
        // Cash plus priced unserved work, month by month: 1 + 2, then 3.
        assert_eq!(a.cumulative_cost, [3.0, 6.0]);
        let b = &f.options[1];
        assert_eq!(b.cost_per_gpu_hour, Some(2.25));
        assert_eq!(b.unmet_gpu_hours, 1.5);
        // What each month pays at its start and end (after tax: 5 + 0 - 1.25), then 0 + 5.
        assert_eq!(b.cumulative_cost, [3.75, 8.75]);
    }

    /// The 1-based line and column of the `n`-th (from 1) occurrence of `needle` in `text`.
    fn nth_position(text: &str, needle: &str, n: usize) -> (usize, usize) {
        let at = text.match_indices(needle).nth(n - 1).expect(needle).0;
        let line_start = text[..at].rfind('\n').map_or(0, |p| p + 1);
        (text[..at].matches('\n').count() + 1, at - line_start + 1)
    }

    #[test]
    fn a_key_written_twice_is_refused_wherever_it_is() {
        // (the key doubled, its path, which of its occurrences in the text is the second in
        // its object, the text)
        let cases = [
            (
                "\"z\"",
                "scenario.extra.x[2].z",
                2,
                RESULT.replace("\"z\": 2}", "\"z\": 2, \"z\": 3}"),
            ),
            (
                "\"unserved\"",
                "options[0].monthly[1].unserved",
                3,
                RESULT.replace("\"unserved\": 0}", "\"unserved\": 0, \"unserved\": 4}"),
            ),
            (
                "\"schema_version\"",
                "schema_version",
                2,
                RESULT.replace("\"options\": [", "\"schema_version\": 3, \"options\": ["),
            ),
            (
                // In the scenario, in the ranking's first entry, and twice in its second.
                "\"name\"",
                "verdict.ranking[1].name",
                4,
                RESULT.replace("{\"name\": \"a\"}", "{\"name\": \"a\", \"name\": \"c\"}"),
            ),
        ];
        for (key, path, n, text) in cases {
            let e = Figures::from_json("r.json", &text).expect_err(path);
            let bare = key.trim_matches('"');
            assert_eq!(e.problem, format!("duplicate key `{bare}`"), "{path}");
            assert_eq!(e.key.as_deref(), Some(path));
            assert_eq!(e.position, Some(nth_position(&text, key, n)), "{path}: {e}");
        }
    }

    #[test]
    fn what_is_not_a_result_is_named() {
        // (text, position, what the message finds)
        let cases = [
            ("[1, 2]", None, "an array, not an object"),
            ("\"x\"", None, "\"x\", not an object"),
            (
                "{\"schema_version\": {\"a\": 1}}",
                None,
                "`schema_version` is an object",
            ),
            ("{\"schema_version\": 1}", None, "schema_version 1"),
            ("{\"schema_version\": \"3\"}", None, "schema_version \"3\""),
            ("{}", None, "no `schema_version`"),
            (
                // The `x`.
                "{\"schema_version\": 3} x",
                Some((1, 23)),
                "invalid JSON: trailing characters",
            ),
            (
                // The text ends at the comma, line 2 column 4.
                "{\"a\":\n [1,",
                Some((2, 4)),
                "invalid JSON: EOF while parsing a value",
            ),
        ];
        for (text, position, found) in cases {
            let e = Figures::from_json("r.json", text).expect_err(text);
            assert_eq!(e.problem, "not a JSON result of `tcosim run --format json`");
            assert_eq!(e.position, position, "{text}");
            assert_eq!(e.found.as_deref(), Some(found), "{text}");
        }
    }

    /// Each edit of [`RESULT`] makes a document no run writes; it is refused at its key with
    /// what was found.
    #[test]
    fn a_result_is_held_to_what_a_run_writes() {
        let winner = "\"winner\": \"b\"";
        let cases = [
            (
                "\"horizon_months\": 2",
                "\"horizon_months\": 3",
                "options[0].monthly",
                "2 rows",
            ),
            (
                ", \"horizon_months\": 2",
                "",
                "scenario.horizon_months",
                "no `horizon_months`",
            ),
            (
                "\"horizon_months\": 2",
                "\"horizon_months\": 0",
                "scenario.horizon_months",
                "0",
            ),
            (
                "\"horizon_months\": 2",
                "\"horizon_months\": 2.5",
                "scenario.horizon_months",
                "2.5",
            ),
            (
                "\"currency\": \"EUR\"",
                "\"currency\": \" \"",
                "scenario.currency",
                "` `",
            ),
            ("\"name\": \"s\"", "\"name\": 5", "scenario.name", "5"),
            (winner, "\"winner\": \"c\"", "verdict.winner", "`c`"),
            (winner, "\"winner\": 1", "verdict.winner", "1"),
            (winner, "\"won\": \"b\"", "verdict.winner", "no `winner`"),
            (
                "\"name\": \"a\", \"kind\"",
                "\"name\": \"\", \"kind\"",
                "options[0].name",
                "``",
            ),
            (
                "\"kind\": \"cloud\"",
                "\"kind\": \"rent\"",
                "options[0].kind",
                "`rent`",
            ),
            ("\"kind\": \"cloud\", ", "", "options[0].kind", "no `kind`"),
            (
                "\"unmet_gpu_hours\": 1.5",
                "\"unmet_gpu_hours\": -1.5",
                "options[1].unmet_gpu_hours",
                "-1.5",
            ),
            (
                "\"energy_kwh\": 1e3",
                "\"energy_kwh\": \"1e3\"",
                "options[0].energy_kwh",
                "\"1e3\"",
            ),
            (
                "\"co2_t\": -0.0",
                "\"co2_t\": -1e-9",
                "options[0].co2_t",
                "-0.000000001",
            ),
            (
                "\"cost_per_gpu_hour\": null",
                "\"cost_per_gpu_hour\": \"n/a\"",
                "options[0].cost_per_gpu_hour",
                "\"n/a\"",
            ),
            (
                ", \"cost_per_gpu_hour\": null",
                "",
                "options[0].cost_per_gpu_hour",
                "no `cost_per_gpu_hour`",
            ),
            (
                "\"unserved\": 1,",
                "\"unserved\": null,",
                "options[1].monthly[1].unserved",
                "null",
            ),
            (
                "\"paid_at_end\": 5",
                "\"paid_at_ends\": 5",
                "options[1].monthly[1].paid_at_end",
                "no `paid_at_end`",
            ),
            ("\"options\": [", "\"options\": [7, ", "options[0]", "7"),
            (
                "\"paid_at_start\": 0, \"paid_at_end\": 5",
                "\"paid_at_start\": 6e99, \"paid_at_end\": 6e99",
                "options[1].monthly[1]",
                "1.2e100 by this month",
            ),
        ];
        for (from, to, key, found) in cases {
            assert!(RESULT.contains(from), "{from}");
            let text = RESULT.replacen(from, to, 1);
            let e = Figures::from_json("r.json", &text).expect_err(&text);
            assert_eq!(e.key.as_deref(), Some(key), "{to}: {e}");
            assert_eq!(e.found.as_deref(), Some(found), "{to}: {e}");
        }
        let none = RESULT.replace(
            &RESULT[RESULT.find("\"options\": [").unwrap()..],
            "\"options\": []}",
        );
        let e = Figures::from_json("r.json", &none).expect_err("no options");
        assert_eq!(e.key.as_deref(), Some("options"));
        let f = Figures::from_json("r.json", &RESULT.replace(winner, "\"winner\": null"));
        assert_eq!(f.expect("no winner").winner, None);
    }

    #[test]
    fn a_relative_change_needs_an_old_value_to_be_relative_to() {
        let rel = |old: f64, new: f64| {
            Change {
                old: Some(old),
                new: Some(new),
            }
            .relative()
        };
        assert_eq!(rel(2.0, 3.0), Some(0.5));
        assert_eq!(rel(-2.0, -3.0), Some(-0.5));
        assert_eq!(rel(4.0, 0.0), Some(-1.0));
        assert_eq!(rel(1e100, -1e100), Some(-2.0));
        // No base: 0, below NEGLIGIBLE, or below a MAX_RATIO-th of the new value.
        assert_eq!(rel(0.0, 5.0), None);
        assert_eq!(rel(0.0, 0.0), None);
        assert_eq!(rel(5e-324, 1.0), None);
        assert_eq!(rel(9.9e-7, 9.9e-7), None);
        assert_eq!(rel(1e-6, 2e-6), Some(1.0));
        assert_eq!(rel(1.0, 1e6), Some(999_999.0));
        assert_eq!(rel(1.0, -1e6), Some(-1_000_001.0));
        assert_eq!(rel(1.0, 1.000_001e6), None);
        assert_eq!(rel(1e-300, 1e-299), None);
        assert_eq!(
            Change {
                old: None,
                new: Some(1.0)
            }
            .relative(),
            None
        );
    }

    #[test]
    fn figures_below_negligible_are_compared_as_0() {
        let f = Figures::from_json("r.json", RESULT).expect("a result");
        let mut old = f.options[0].clone();
        old.pv_cost = 5e-324;
        old.total_cost = -9e-7;
        old.energy_kwh = 1e-6;
        let o = OptionDiff {
            name: "a".into(),
            old: Some(old),
            new: Some(f.options[0].clone()),
        };
        let pv = o.change(0);
        assert_eq!((pv.old, pv.new), (Some(0.0), Some(10.0)));
        assert_eq!(pv.absolute(), Some(10.0));
        assert_eq!(pv.relative(), None);
        assert_eq!(o.pv_change(), Some(10.0));
        assert_eq!(o.change(1).old, Some(0.0));
        let energy = METRICS.iter().position(|m| m.0 == "energy_kwh").unwrap();
        assert_eq!(o.change(energy).old, Some(1e-6));
        assert_eq!(o.change(energy).relative(), None, "1000 / 1e-6 > MAX_RATIO");
    }
}

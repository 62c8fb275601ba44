//! Error types of the library and their rendering.
//!
//! Every problem a user can cause is an [`InputError`]: it names the file, the line and column
//! (when the input is text we parsed), the key path inside the file, what was expected, what was
//! found and, for unknown ids, the nearest known ids. The binary maps every error to exit code 2
//! (see `main.rs`); exit code 1 is reserved for broken policies.

use std::fmt;

/// A problem with an input file, a command-line value or an output path (boxed, so that
/// `Result`s stay small on the happy path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InputError(Box<Details>);

/// What an [`InputError`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    /// The file the problem is in, as the user named it (or `<built-in>/...`).
    pub file: String,
    /// 1-based line and column, where known.
    pub position: Option<(usize, usize)>,
    /// Key path inside the file, e.g. `option[1].site`, or `row 7, column spot_usd_per_hour`.
    pub key: Option<String>,
    /// What is wrong, in a short lowercase phrase.
    pub problem: String,
    pub expected: Option<String>,
    pub found: Option<String>,
    pub hint: Option<String>,
}

impl InputError {
    pub fn new(file: impl Into<String>, problem: impl Into<String>) -> Self {
        InputError(Box::new(Details {
            file: file.into(),
            position: None,
            key: None,
            problem: problem.into(),
            expected: None,
            found: None,
            hint: None,
        }))
    }

    pub fn at_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    pub fn at_position(mut self, line: usize, column: usize) -> Self {
        self.position = Some((line, column));
        self
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    pub fn found(mut self, found: impl Into<String>) -> Self {
        self.found = Some(found.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds the hint "`lead` `a`, `b`, `c`" naming the known names nearest to `name`, if any is
    /// near at all.
    pub fn hint_nearest<'a>(
        self,
        lead: &str,
        name: &str,
        known: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let nearest = nearest_ids(name, known, 3);
        if nearest.is_empty() {
            return self;
        }
        let list: Vec<String> = nearest.iter().map(|n| format!("`{n}`")).collect();
        self.hint(format!("{lead} {}", list.join(", ")))
    }

    /// "did you mean `x`?" with the known name nearest to `name`, if one is near.
    pub fn did_you_mean<'a>(self, name: &str, known: impl IntoIterator<Item = &'a str>) -> Self {
        match nearest_ids(name, known, 1).first() {
            Some(near) => self.hint(format!("did you mean `{near}`?")),
            None => self,
        }
    }

    /// An unknown id, with the nearest known ids as a hint.
    pub fn unknown_id<'a>(
        file: impl Into<String>,
        key: impl Into<String>,
        kind: &str,
        id: &str,
        known: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        let e = InputError::new(file, format!("unknown {kind} id `{id}`"))
            .at_key(key)
            .expected(format!("the id of {article} {kind} in the catalog"))
            .found(format!("`{id}`"))
            .hint_nearest("the nearest known ids are", id, known);
        // Without a near id, the command that lists them.
        let table = match kind {
            "accelerator" => Some("accelerators"),
            "server" => Some("servers"),
            "cloud offer" => Some("offers"),
            "cloud provider" | "provider" => Some("providers"),
            "site" => Some("sites"),
            "depreciation policy" => Some("depreciation"),
            "currency" => Some("fx"),
            "automation level" => Some("automation"),
            _ => None,
        };
        match table {
            Some(table) if e.hint.is_none() => e.hint(format!(
                "no known id is near it; `tcosim catalog list {table}` lists them"
            )),
            _ => e,
        }
    }
}

impl std::ops::Deref for InputError {
    type Target = Details;
    fn deref(&self) -> &Details {
        &self.0
    }
}

impl std::ops::DerefMut for InputError {
    fn deref_mut(&mut self) -> &mut Details {
        &mut self.0
    }
}

/// Every part of a message is one line of printable text: a control character that came from
/// an input (a file name, a key) is shown escaped, never sent to the terminal.
impl fmt::Display for Details {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::limits::printable;
        write!(f, "{}", printable(&self.file))?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": {}", printable(&self.problem))?;
        if let Some(key) = &self.key {
            write!(f, "\n  key: `{}`", printable(key))?;
        }
        if let Some(expected) = &self.expected {
            write!(f, "\n  expected: {}", printable(expected))?;
        }
        if let Some(found) = &self.found {
            write!(f, "\n  found: {}", printable(found))?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {}", printable(hint))?;
        }
        Ok(())
    }
}

/// Longest name, in characters, compared by [`nearest_ids`]: a longer unknown name gets no
/// suggestion and a longer known name is never suggested, so that a hint costs at most a
/// fixed amount per known name however long the names are (real ids and paths are far
/// shorter).
pub const MAX_COMPARED_CHARS: usize = 128;

/// Up to `limit` known ids near `id`, nearest first; ties keep the order of `known`.
///
/// Case is ignored. A known name is near when it is at most `2 L / 5` edits away, but at least
/// one and fewer than `L` (inserting, deleting or substituting a character, or swapping two
/// neighbours; `L` the longer length in characters), or when one of the two contains the other and the shorter
/// has at least 3 characters and a third of the longer's (`h100` → `h100-sxm`,
/// `us-tx-colocation` → `us-tx-colo`, but not `gpu` → `software_per_gpu_year`). They rank by
/// similarity `1 − edits / L`, those that contain `id` first, since people type the start
/// right. Each comparison is bounded: names of different lengths are not compared character
/// by character, nor names longer than [`MAX_COMPARED_CHARS`].
pub fn nearest_ids<'a>(
    id: &str,
    known: impl IntoIterator<Item = &'a str>,
    limit: usize,
) -> Vec<String> {
    let needle = id.to_ascii_lowercase();
    let needle_chars: Vec<char> = needle.chars().collect();
    if needle_chars.is_empty() || needle_chars.len() > MAX_COMPARED_CHARS {
        return Vec::new();
    }
    let mut lower = String::new();
    let mut scored: Vec<(f64, usize, &str)> = Vec::new();
    for (i, k) in known.into_iter().enumerate() {
        // A character takes at most 4 bytes: skip long names before looking at them.
        if k.len() > 4 * MAX_COMPARED_CHARS {
            continue;
        }
        lower.clear();
        lower.extend(k.chars().map(|c| c.to_ascii_lowercase()));
        let chars: Vec<char> = lower.chars().collect();
        if chars.is_empty() || chars.len() > MAX_COMPARED_CHARS {
            continue;
        }
        let (short, long) = if chars.len() < needle_chars.len() {
            (chars.len(), needle_chars.len())
        } else {
            (needle_chars.len(), chars.len())
        };
        let contains_id = lower.contains(&needle);
        let contained = contains_id || needle.contains(lower.as_str());
        // Containment: the distance is the difference in length.
        let edits = if contained && short >= 3 && 3 * short >= long {
            Some(long - short)
        } else {
            // At least one edit, never all of them.
            bounded_edit_distance(&needle_chars, &chars, (2 * long / 5).max(1).min(long - 1))
        };
        if let Some(edits) = edits {
            let mut score = 1.0 - edits as f64 / long as f64;
            if contains_id {
                score += 1.0;
            }
            scored.push((score, i, k));
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(limit)
        .map(|(_, _, k)| k.to_string())
        .collect()
}

/// The optimal-string-alignment distance between `a` and `b` (insertions, deletions,
/// substitutions and swaps of neighbours, each counted once, no substring edited twice), or
/// `None` when it is above `max`. Stops as soon as every alignment so far is above `max`.
fn bounded_edit_distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let width = b.len() + 1;
    let mut before: Vec<usize> = vec![0; width];
    let mut previous: Vec<usize> = (0..width).collect();
    let mut current: Vec<usize> = vec![0; width];
    for i in 1..=a.len() {
        current[0] = i;
        let mut row_min = i;
        for j in 1..width {
            let substitution = previous[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut d = substitution.min(previous[j] + 1).min(current[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    let distance = previous[b.len()];
    (distance <= max).then_some(distance)
}

/// The keys of `keys` that a table gives (`(key, given)` pairs), in order, for an error's
/// `found`.
pub fn given_keys<'a>(keys: &[(&'a str, bool)]) -> Vec<&'a str> {
    keys.iter()
        .filter_map(|(key, given)| given.then_some(*key))
        .collect()
}

/// A number read from an input as a message shows it: as written when that is short, in
/// exponent form when its digits would run long (`1e300`, not three hundred digits).
pub fn written(v: f64) -> String {
    // As TOML spells them, and what they are, rather than Rust's `NaN` and `inf`.
    if v.is_nan() {
        return "nan (not a number)".to_string();
    }
    if v.is_infinite() {
        return format!("{}inf (infinite)", if v < 0.0 { "-" } else { "" });
    }
    let plain = v.to_string();
    if plain.len() > 24 {
        format!("{v:e}")
    } else {
        plain
    }
}

/// `e` for a value above `max` whose expected range, in words, says only "… or more": the
/// expected range then names the largest value accepted too, so that a message does not refuse
/// 1e300 for being below a bound it never names.
pub fn beyond_max(e: InputError, expected: &str, value: f64, max: f64) -> InputError {
    if value > max && expected.contains("or more") && !expected.contains("at most") {
        // Grouped digits up to 1e15 (`1,000,000`), past that as written (`1e32`): a float
        // that large has no more digits than that to show.
        let max = if max < 1e16 {
            crate::report::quantity(max)
        } else {
            written(max)
        };
        e.expected(format!("{expected}, at most {max}"))
    } else {
        e
    }
}

/// A computed number as a message shows it: six significant digits, in exponent form when very
/// large or small, and in words when it overflows (never "inf" or "NaN").
pub fn number(v: f64) -> String {
    if v.is_nan() {
        return "not a number".into();
    }
    if v.is_infinite() {
        return if v < 0.0 {
            "below -1.8e308"
        } else {
            "beyond 1.8e308"
        }
        .into();
    }
    let rounded: f64 = format!("{v:.5e}").parse().unwrap_or(v);
    if rounded != 0.0 && !(1e-4..1e15).contains(&rounded.abs()) {
        format!("{rounded:e}")
    } else {
        format!("{rounded}")
    }
}

/// 1-based line and column of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|p| p + 1).unwrap_or(0);
    let column = before
        .get(line_start..)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

/// One step of a key path inside a TOML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(&'static str),
    Name(String),
    Index(usize),
}

/// Renders a key path like `option[1].financing.kind`.
pub fn key_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Name(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Line and column of the value at `path` in the TOML `source`, found by re-parsing it with
/// spans kept; falls back to the deepest parent that exists.
pub fn locate_toml(source: &str, path: &[Seg]) -> Option<(usize, usize)> {
    let doc = toml_edit::Document::parse(source).ok()?;
    locate_in(&doc, source, path)
}

/// [`locate_toml`] in `doc`, the document `source` parsed once for many errors.
pub fn locate_in(
    doc: &toml_edit::Document<&str>,
    source: &str,
    path: &[Seg],
) -> Option<(usize, usize)> {
    let mut item: &toml_edit::Item = doc.as_item();
    let mut best = None;
    for seg in path {
        let next = match seg {
            Seg::Key(k) => item.get(*k),
            Seg::Name(k) => item.get(k.as_str()),
            Seg::Index(i) => item.get(*i),
        };
        let Some(next) = next else { break };
        item = next;
        if let Some(span) = span_of(item) {
            best = Some(span);
        }
    }
    best.map(|s| line_col(source, s.start))
}

fn span_of(item: &toml_edit::Item) -> Option<std::ops::Range<usize>> {
    match item {
        toml_edit::Item::Value(v) => v.span(),
        toml_edit::Item::Table(t) => t.span(),
        toml_edit::Item::ArrayOfTables(a) => a.span(),
        toml_edit::Item::None => None,
    }
}

/// Deserialises TOML into `T`, turning a syntax or type error into an [`InputError`] with the
/// line and column of the offending key or value.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    file: &str,
    source: &str,
) -> Result<T, InputError> {
    parse_toml_with(file, source, true)
}

/// [`parse_toml`], with the checks of keys and strings ([`crate::limits::check_toml_text`])
/// only when `check_text`: text compiled into the binary (the built-in catalogs) is known to
/// pass them (a test checks it), and checking it again would cost every run a second parse.
pub fn parse_toml_with<T: serde::de::DeserializeOwned>(
    file: &str,
    source: &str,
    check_text: bool,
) -> Result<T, InputError> {
    let parsed = toml::from_str(source).map_err(|err| {
        let message = toml_message(err.message());
        let offset = err.span().map(|s| s.start);
        let key = offset.and_then(|o| key_at(source, o));
        let last = key.as_deref().map(|k| {
            let tail = k.rsplit('.').next().unwrap_or(k);
            tail.split('[').next().unwrap_or(tail).to_string()
        });
        let mut e = match unknown_field(&message) {
            Some((field, expected)) => {
                let e = InputError::new(file, format!("unknown field `{field}`"))
                    .expected(format!(
                        "one of {}",
                        expected
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                    .found(format!("`{field}`"));
                e.did_you_mean(&field, expected.iter().map(String::as_str))
            }
            None => match message.strip_prefix("missing field `") {
                Some(rest) => {
                    let field = rest.split('`').next().unwrap_or(rest);
                    InputError::new(file, format!("missing field `{field}`"))
                        .expected(format!("a `{field}` entry in the table that starts here"))
                }
                None => match (message.as_str(), &last) {
                    ("duplicate key", None)
                        if let Some(header) = offset.and_then(|o| header_at(source, o)) =>
                    {
                        let name = header.trim_matches(['[', ']']).trim();
                        let at = offset.map_or(name.to_string(), |o| header_path(source, o, name));
                        let e = InputError::new(file, format!("duplicate table `{at}`"))
                            .at_key(at.clone())
                            .found(format!("`{header}` here, after `{name}` was defined"));
                        if header.starts_with("[[") {
                            e.expected(format!(
                                "every entry of `{name}` as a `{header}` table, and no other \
                                 `{name}`"
                            ))
                            .hint(format!("write the earlier `{name}` as a `{header}` table"))
                        } else {
                            // The earlier definition may be a table, a value or a list.
                            e.expected(format!("`{name}` defined once in the file"))
                                .hint(format!("keep one definition of `{name}`"))
                        }
                    }
                    ("duplicate key", Some(name)) => {
                        InputError::new(file, format!("duplicate key `{name}`"))
                            .expected(format!("`{name}` once in its table"))
                            .found(format!("a second `{name}` here"))
                            .hint("delete one of the two lines")
                    }
                    _ if let Some((n, expected)) = message
                        .strip_prefix("invalid length ")
                        .and_then(|rest| rest.split_once(", expected ")) =>
                    {
                        let what = match &last {
                            Some(name) => format!("`{name}` has the wrong length"),
                            None => "a list has the wrong length".to_string(),
                        };
                        let found = match n {
                            "1" => "1 value".to_string(),
                            n => format!("{n} values"),
                        };
                        InputError::new(file, what).expected(expected).found(found)
                    }
                    _ => match invalid_type(&message) {
                        Some((found, expected)) => {
                            // TOML dates and times reach serde as tables: say what was written.
                            let found = match offset.and_then(|o| source.get(o..)) {
                                Some(at)
                                    if found == "a table"
                                        && at.starts_with(|c: char| c.is_ascii_digit()) =>
                                {
                                    let literal: String = at
                                        .chars()
                                        .take_while(|c| {
                                            !matches!(c, ',' | '}' | ']' | '#' | '\n' | '\r')
                                        })
                                        .take(40)
                                        .collect();
                                    format!("the date or time `{}`", literal.trim_end())
                                }
                                _ => found,
                            };
                            let what = match &last {
                                Some(name) => format!("`{name}` has the wrong type"),
                                None => "a value has the wrong type".to_string(),
                            };
                            InputError::new(file, what).expected(expected).found(found)
                        }
                        None => InputError::new(file, message),
                    },
                },
            },
        };
        // A missing field points at the start of its table: a table's header names it, but at
        // the top of the file the key found there is the first entry, not the one missing.
        let top_level = e.problem.starts_with("missing field")
            && !offset
                .and_then(|o| source.get(o..))
                .is_some_and(|at| at.trim_start().starts_with('['));
        if e.key.is_none()
            && !top_level
            && let Some(key) = key
        {
            e = e.at_key(key);
        }
        if let Some(offset) = offset {
            let (line, col) = line_col(source, offset);
            e = e.at_position(line, col);
        }
        e
    })?;
    if check_text {
        crate::limits::check_toml_text(file, source)?;
    }
    Ok(parsed)
}

/// The table header (`[tax]`, `[[workload]]`) on the line of byte `offset` of `source`, if
/// that line is one.
fn header_at(source: &str, offset: usize) -> Option<String> {
    let start = source.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let line = without_comment(source[start..].lines().next()?).trim();
    (line.starts_with('[') && line.ends_with(']') && line.len() > 2).then(|| line.to_string())
}

/// `line` up to its comment: the first `#` outside a quoted key or string.
fn without_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' => return &line[..i],
            None => {}
        }
    }
    line
}

/// The key path of the table header `name` (`option.financing`) at byte `offset` of `source`,
/// with the entry that a list of tables before it opened (`option[2].financing` after three
/// `[[option]]` headers).
fn header_path(source: &str, offset: usize, name: &str) -> String {
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    for line in source.get(..offset).unwrap_or("").lines() {
        let line = without_comment(line).trim();
        if let Some(list) = line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]")) {
            *counts.entry(list.trim().to_string()).or_insert(0) += 1;
        }
    }
    // The longest dotted prefix of `name` that is a list of tables names its last entry.
    let mut cut = Some(name.len());
    while let Some(end) = cut {
        let prefix = &name[..end];
        if let Some(n) = counts.get(prefix).filter(|_| end < name.len()) {
            return format!("{prefix}[{}]{}", n - 1, &name[end..]);
        }
        cut = prefix.rfind('.');
    }
    name.to_string()
}

/// Splits serde's "invalid type: string "64", expected a whole number" into what was found
/// and what was expected.
fn invalid_type(message: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix("invalid type: ")?;
    let (found, expected) = rest.split_once(", expected ")?;
    // serde names what it found by Rust's terms: say it in the words of the file.
    let found = if let Some(v) = found.strip_prefix("floating point ") {
        // serde writes every digit of a float: 1e300 as three hundred of them.
        match v.trim_matches('`').parse::<f64>() {
            Ok(x) if v.len() > 26 => format!("the number `{}`", written(x)),
            _ => format!("the number {v}"),
        }
    } else if let Some(v) = found.strip_prefix("integer ") {
        match v.strip_suffix(" as i128") {
            Some(v) => format!("the whole number {v}, beyond the 64 bits of a TOML whole number"),
            None => format!("the whole number {v}"),
        }
    } else if let Some(v) = found.strip_prefix("string ") {
        format!("the text {v}")
    } else if let Some(v) = found.strip_prefix("boolean ") {
        format!("the boolean {v}")
    } else if found == "sequence" {
        "a list".to_string()
    } else if found == "map" {
        "a table".to_string()
    } else {
        found.to_string()
    };
    Some((found, expected.to_string()))
}

/// The key path (`option[1].gpus`) of the key or value at byte `offset` of the TOML `source`:
/// the innermost one whose span holds it when the document parses, else (a duplicate key,
/// which no parser accepts) the key written there inside the last table header before it.
pub fn key_at(source: &str, offset: usize) -> Option<String> {
    match toml_edit::Document::parse(source) {
        Ok(doc) => {
            let mut best: Option<(usize, Vec<Seg>)> = None;
            let mut path = Vec::new();
            innermost_in_table(doc.as_table(), offset, &mut path, &mut best);
            best.map(|(_, p)| key_path(&p))
        }
        Err(_) => key_by_headers(source, offset),
    }
}

type Best = Option<(usize, Vec<Seg>)>;

fn consider(span: Option<std::ops::Range<usize>>, offset: usize, path: &[Seg], best: &mut Best) {
    if let Some(span) = span
        && span.contains(&offset)
        && best.as_ref().is_none_or(|(len, _)| span.len() <= *len)
    {
        *best = Some((span.len(), path.to_vec()));
    }
}

fn innermost_in_table(
    table: &toml_edit::Table,
    offset: usize,
    path: &mut Vec<Seg>,
    best: &mut Best,
) {
    for (key, item) in table.iter() {
        path.push(Seg::Name(key.to_string()));
        consider(table.key(key).and_then(|k| k.span()), offset, path, best);
        match item {
            toml_edit::Item::Value(v) => innermost_in_value(v, offset, path, best),
            toml_edit::Item::Table(t) => {
                // A table's own span is its header: an error about the table as a whole (a key
                // it lacks) points there.
                consider(t.span(), offset, path, best);
                innermost_in_table(t, offset, path, best)
            }
            toml_edit::Item::ArrayOfTables(a) => {
                for (i, t) in a.iter().enumerate() {
                    path.push(Seg::Index(i));
                    consider(t.span(), offset, path, best);
                    innermost_in_table(t, offset, path, best);
                    path.pop();
                }
            }
            toml_edit::Item::None => {}
        }
        path.pop();
    }
}

fn innermost_in_value(
    value: &toml_edit::Value,
    offset: usize,
    path: &mut Vec<Seg>,
    best: &mut Best,
) {
    consider(value.span(), offset, path, best);
    match value {
        toml_edit::Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                innermost_in_value(v, offset, path, best);
                path.pop();
            }
        }
        toml_edit::Value::InlineTable(t) => {
            for (k, v) in t.iter() {
                path.push(Seg::Name(k.to_string()));
                consider(t.key(k).and_then(|k| k.span()), offset, path, best);
                innermost_in_value(v, offset, path, best);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The key written at `offset`, inside the table of the last header line before it
/// (`[[option]]` headers counted, so that the third one is `option[2]`) and the inline table
/// it sits in, if any. Read from the text alone, for a document that does not parse.
/// The bare key name that ends `text` (trailing spaces left out): `x = { a` gives `a`.
fn last_bare(text: &str) -> String {
    let text = text.trim_end();
    let start = text
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '-')))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    text[start..].to_string()
}

fn key_by_headers(source: &str, offset: usize) -> Option<String> {
    let before = source.get(..offset)?;
    let bare = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-');
    let line_start = before.rfind('\n').map(|p| p + 1).unwrap_or(0);
    let key: String = match before[line_start..].trim_end().strip_suffix('=') {
        // A value (a whole number beyond 64 bits, which no TOML parser holds): its key is the
        // name before the `=`.
        Some(lhs) => last_bare(lhs),
        None => {
            let line = &before[line_start..];
            let at_key = line.trim().is_empty() || line.trim_end().ends_with(['{', ',']);
            if at_key {
                // A key (a duplicate): the name that starts here.
                source
                    .get(offset..)?
                    .chars()
                    .take_while(|c| bare(*c))
                    .collect()
            } else {
                // Inside a value (a bad escape in a string): the key before its `=`, looked
                // for before the line's first quote, which no bare key holds.
                let keys = line.split(['"', '\'']).next().unwrap_or(line);
                last_bare(keys.rsplit_once('=').map_or("", |(l, _)| l))
            }
        }
    };
    if key.is_empty() {
        return None;
    }
    let mut table = String::new();
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    for line in before.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            let name = name.trim().to_string();
            let n = counts.entry(name.clone()).or_insert(0);
            table = format!("{name}[{n}]");
            *n += 1;
        } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            table = name.trim().to_string();
        }
    }
    let inline = before[line_start..]
        .split_once('{')
        .and_then(|(lhs, _)| lhs.split('=').next())
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty());
    let parts: Vec<String> = [Some(table), inline, Some(key)]
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect();
    Some(parts.join("."))
}

/// Splits serde's "unknown field `x`, expected one of `a`, `b`" into the field and the list.
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let list = rest.split_once("expected")?.1;
    let names: Vec<String> = list
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    if names.is_empty() {
        return None;
    }
    Some((field.to_string(), names))
}

/// Serde's messages spell out the expected form; keep them, but lowercase the first letter and
/// drop a trailing period to match the rest of our messages.
fn toml_message(message: &str) -> String {
    let mut trimmed = message.trim().trim_end_matches('.').to_string();
    // Rust's type names mean nothing to a planner.
    for (rust, plain) in [
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected u32", "expected a whole number, 0 or more"),
        ("expected usize", "expected a whole number, 0 or more"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
    ] {
        if trimmed.ends_with(rust) {
            trimmed = trimmed.replace(rust, plain);
        }
    }
    let mut chars = trimmed.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().collect::<String>() + chars.as_str(),
        None => "invalid TOML".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_COMPARED_CHARS, bounded_edit_distance, key_at, nearest_ids, number, written};
    use proptest::prelude::*;

    #[test]
    fn keys_are_found_at_offsets() {
        let src = "name = \"x\"\n[[option]]\nname = \"a\"\n[[option]]\nname = \"b\"\ngpus = \"64\"\nf = { kind = 3 }\n";
        let at = |needle: &str| key_at(src, src.find(needle).unwrap());
        assert_eq!(at("\"64\"").as_deref(), Some("option[1].gpus"));
        assert_eq!(at("3 }").as_deref(), Some("option[1].f.kind"));
        assert_eq!(at("\"x\"").as_deref(), Some("name"));
        let dup = "name = \"x\"\n[[option]]\nname = \"a\"\n[[option]]\ngpus = 1\ngpus = 2\n";
        assert_eq!(
            key_at(dup, dup.rfind("gpus").unwrap()).as_deref(),
            Some("option[1].gpus")
        );
        // A whole number beyond 64 bits: no parser takes the document, the key is before `=`.
        let big = "[[option]]\nname = \"a\"\n[[option]]\nf = { kind = \"x\", n = 99999999999999999999 }\n";
        assert_eq!(
            key_at(big, big.find("999").unwrap()).as_deref(),
            Some("option[1].f.n")
        );
        let inline = "[[option]]\nfinancing = { kind = \"a\", kind = \"b\" }\n";
        assert_eq!(
            key_at(inline, inline.rfind("kind").unwrap()).as_deref(),
            Some("option[0].financing.kind")
        );
    }

    /// Server ids of the shipped catalog, in catalog order.
    const SERVERS: [&str; 8] = [
        "dgx-h100",
        "dgx-a100",
        "dgx-h200",
        "hgx-h100-oem",
        "dgx-b200",
        "l40s-8gpu",
        "l4-8gpu",
        "mi300x-8gpu",
    ];

    /// Top-level keys of a scenario file.
    const SCENARIO_KEYS: [&str; 18] = [
        "name",
        "description",
        "horizon_months",
        "start",
        "currency",
        "discount_rate",
        "reference_accelerator",
        "throughput_basis",
        "baseline",
        "electricity_escalation_per_year",
        "max_price_age_months",
        "demand_scale",
        "demand_growth_per_year",
        "workload",
        "option",
        "uncertain",
        "correlation",
        "sweep",
    ];

    /// The fields of an option that may be uncertain.
    const OPTION_FIELDS: [&str; 15] = [
        "availability",
        "residual_value",
        "support_pct_per_year",
        "staff_fte_fixed",
        "staff_fte_per_server",
        "staff_salary_per_year",
        "software_per_gpu_year",
        "financing.annual_rate",
        "committed_share",
        "spot_share",
        "spot_interruption_overhead",
        "storage_tb",
        "egress_tb_per_month",
        "cloud_pue",
        "cloud_grid_co2_g_per_kwh",
    ];

    /// The keys of an `[[option]]` table.
    const OPTION_KEYS: [&str; 8] = [
        "name",
        "kind",
        "server",
        "servers",
        "gpus",
        "site",
        "software_per_gpu_year",
        "offer",
    ];

    fn nearest(id: &str, known: &[&str]) -> Vec<String> {
        nearest_ids(id, known.iter().copied(), 3)
    }

    #[test]
    fn typos_are_suggested_nearest_first() {
        assert_eq!(
            nearest("dgx-h10", &SERVERS),
            ["dgx-h100", "dgx-a100", "dgx-h200"]
        );
        assert_eq!(nearest("DGX-H100 ", &SERVERS)[0], "dgx-h100");
        assert_eq!(nearest("gpu", &OPTION_KEYS), ["gpus"]);
        assert_eq!(nearest("sever", &OPTION_KEYS)[0], "server");
        assert_eq!(nearest("rnet", &["own", "rent", "mix"]), ["rent"]);
        assert_eq!(nearest("mx", &["own", "rent", "mix"]), ["mix"]);
        assert_eq!(
            nearest("own-l5", &["aws-l40s-committed", "own-l40s", "own-l4"]),
            ["own-l4", "own-l40s"]
        );
        assert_eq!(
            nearest("unifrom", &["fixed", "uniform", "normal"]),
            ["uniform"]
        );
        assert_eq!(
            nearest("us-tx-colocation", &["us-tx-colo", "de-fra-colo"]),
            ["us-tx-colo"]
        );
        assert_eq!(
            nearest("h100", &["h100-sxm", "h200-sxm", "a100-sxm"])[0],
            "h100-sxm"
        );
        assert_eq!(nearest("horizon", &SCENARIO_KEYS), ["horizon_months"]);
        for flat in ["flat ", " flat", "Flat", "FLAT", "flatt", "flt", "falt"] {
            assert_eq!(
                nearest(flat, &["flat", "business-hours", "bursty"]),
                ["flat"],
                "{flat:?}"
            );
        }
    }

    #[test]
    fn far_off_names_are_not_suggested() {
        assert!(nearest("inflation", &SCENARIO_KEYS).is_empty());
        // `gpu` is a word of `software_per_gpu_year`, not a typo of it.
        assert!(nearest("gpu", &OPTION_FIELDS).is_empty());
        assert!(nearest("xyz", &SERVERS).is_empty());
        assert!(nearest("", &SERVERS).is_empty());
        assert!(nearest("a", &["b", "c"]).is_empty());
        assert_eq!(nearest("A", &["b", "a"]), ["a"]);
        assert!(nearest("rate", &SCENARIO_KEYS).is_empty());
    }

    #[test]
    fn long_names_are_not_compared() {
        let long = "x".repeat(100_000);
        let near_long = format!("{}y", "x".repeat(99_999));
        assert!(nearest(&long, &[&near_long, "x", "xx"]).is_empty());
        assert!(nearest("xxx", &[&long]).is_empty());
        let at_cap = "x".repeat(MAX_COMPARED_CHARS);
        let typo = format!("{}y", "x".repeat(MAX_COMPARED_CHARS - 1));
        assert_eq!(nearest(&typo, &[&at_cap]), [at_cap.as_str()]);
        let over_cap = format!("{at_cap}x");
        assert!(nearest(&over_cap, &[&at_cap]).is_empty());
    }

    /// The optimal-string-alignment distance by the textbook recurrence over the full table.
    fn osa_distance(a: &[char], b: &[char]) -> usize {
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        d[a.len()][b.len()]
    }

    proptest! {
        #[test]
        fn prop_bounded_distance_agrees_with_the_full_table(
            a in "[abc]{0,12}",
            b in "[abc]{0,12}",
            max in 0usize..8,
        ) {
            let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            let full = osa_distance(&a, &b);
            let expected = (full <= max).then_some(full);
            prop_assert_eq!(bounded_edit_distance(&a, &b, max), expected);
        }
    }

    #[test]
    fn numbers_from_inputs_are_shown_as_written_unless_long() {
        assert_eq!(written(0.5), "0.5");
        assert_eq!(written(601.0), "601");
        assert_eq!(written(-0.05), "-0.05");
        assert_eq!(written(1e20), "100000000000000000000");
        assert_eq!(written(1e300), "1e300");
        assert_eq!(written(f64::NAN), "nan (not a number)");
        assert_eq!(written(f64::NEG_INFINITY), "-inf (infinite)");
        assert_eq!(written(5e-324), "5e-324");
        assert_eq!(
            written(-1.5980349999999998e-120),
            "-1.5980349999999998e-120"
        );
    }

    #[test]
    fn numbers_in_messages_are_short_and_finite() {
        assert_eq!(number(1.1110223024625157), "1.11102");
        assert_eq!(number(0.9000000009245928), "0.9");
        assert_eq!(number(1e300), "1e300");
        assert_eq!(number(2.5e-7), "2.5e-7");
        assert_eq!(number(-3.0), "-3");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(123456789.0), "123457000");
        assert_eq!(number(f64::INFINITY), "beyond 1.8e308");
        assert_eq!(number(f64::NEG_INFINITY), "below -1.8e308");
        assert_eq!(number(f64::NAN), "not a number");
    }
}

//! What an input may be: the size of every file tcosim reads, the length and characters of every
//! text in it, and how many workloads and options a scenario holds (README "Limits").
//!
//! The limits keep the cost of a run proportional to a plausible input, so that a mistaken or
//! hostile file is refused in milliseconds with a message instead of exhausting memory or time;
//! and no control character in a name can reach a terminal, an SVG or a CSV file.

use crate::error::{InputError, Seg, key_path, line_col};
use std::io::Read;
use std::path::Path;

/// Largest scenario file [bytes].
pub const MAX_SCENARIO_BYTES: u64 = 8 << 20;
/// Largest catalog file [bytes] (an imported cloud price list of 100,000 rows fits).
pub const MAX_CATALOG_BYTES: u64 = 16 << 20;
/// Largest hourly profile file [bytes] (8,760 values with a timestamp each take about 0.3 MB).
pub const MAX_PROFILE_BYTES: u64 = 16 << 20;

/// Longest name or id [characters]: scenario, workload and option names, catalog ids.
pub const MAX_NAME_CHARS: usize = 256;
/// Longest free text [characters]: descriptions, sources and notes.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Longest other text [characters]: references to names, paths, kinds, dates.
pub const MAX_VALUE_CHARS: usize = 1_024;

/// Most `[[workload]]` entries in a scenario.
pub const MAX_WORKLOADS: usize = 1_000;
/// Most `[[option]]` entries in a scenario.
pub const MAX_OPTIONS: usize = 1_000;

/// Most hour-by-hour work of a scenario whose model walks the hours (README Q1): horizon
/// months × (workloads that may wait + 1) × options, about a second of work per 100,000 on
/// the development machine.
pub const MAX_WALK: u64 = 2_000_000;

/// Most workload-months of waiting work held hour by hour (730 values, 5.8 KB, each).
pub const MAX_WAITING_MONTHS: u64 = 100_000;
/// Most errors one file's check collects (`validate`): enough for any real file, and a bound
/// on the time a file of mistakes costs.
pub const MAX_ERRORS_PER_FILE: usize = 100;
/// Largest demand of one month of the horizon [reference GPU-hours], summed over workloads
/// and bounded from above (growth and seasons at their largest): 10^15, more than a trillion
/// GPUs busy all month, far beyond any fleet, and small enough that every cost derived from it
/// stays a finite number.
pub const MAX_MONTHLY_DEMAND: f64 = 1e15;

/// Most rows in one catalog file.
pub const MAX_CATALOG_ROWS: usize = 100_000;

/// Keys whose values are free text: they may hold line breaks and tabs, and be longer.
const FREE_TEXT_KEYS: [&str; 4] = ["description", "source", "note", "notes"];
/// Keys whose values name something (a workload's `team` names its team by writing it).
const NAME_KEYS: [&str; 3] = ["name", "id", "team"];
/// Keys whose values refer to a name or id (an option, an offer, a server, an accelerator, a
/// site, a depreciation policy; `path`, `a` and `b` hold names in brackets): held, like names,
/// to Unicode's composed form, so that a reference in another spelling of a name is refused
/// as such rather than reported unknown beside a name that looks the same.
const REFERENCE_KEYS: [&str; 16] = [
    "reference_accelerator",
    "baseline",
    "option",
    "winner",
    "path",
    "a",
    "b",
    "trace_accelerator",
    "server",
    "site",
    "depreciation",
    "tax_depreciation",
    "offer",
    "fractional_offer",
    "accelerator",
    "to",
];

/// Reads the text file at `path`, shown as `shown`, of at most `limit` bytes: only a regular file
/// (or a link to one) is read, so that a device, a FIFO or a folder is refused instead of
/// blocking or filling memory; invalid UTF-8 is reported at its line and column, and a leading
/// byte-order mark is dropped.
pub fn read_text(path: &Path, shown: &str, what: &str, limit: u64) -> Result<String, InputError> {
    let cannot = |found: String| {
        InputError::new(shown, format!("cannot read the {what}"))
            .expected(format!("a readable {what}"))
            .found(found)
    };
    let meta = regular(path, shown, what, "read")?;
    if meta.len() > limit {
        return Err(too_large(
            shown,
            what,
            limit,
            format!("{} bytes", group(meta.len())),
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| cannot(io_reason(&e)))?;
    // The file may have grown since it was measured: never read more than the limit.
    read_at_most(file, meta.len() as usize, shown, what, limit, cannot)
}

/// What standard input holds, as text (a `what` shown as `shown`): at most `limit` bytes, as
/// [`read_text`] reads a file.
pub fn read_stdin(shown: &str, what: &str, limit: u64) -> Result<String, InputError> {
    let cannot = |found: String| {
        InputError::new(shown, format!("cannot read the {what}"))
            .expected(format!("a {what} on standard input"))
            .found(found)
    };
    read_at_most(std::io::stdin().lock(), 0, shown, what, limit, cannot)
}

/// The text of `reader` (room for `expected` bytes made ahead): at most `limit` bytes, else the
/// error that the `what` shown as `shown` is too large; `cannot` says a read that failed.
fn read_at_most(
    reader: impl Read,
    expected: usize,
    shown: &str,
    what: &str,
    limit: u64,
    cannot: impl Fn(String) -> InputError,
) -> Result<String, InputError> {
    let mut bytes = Vec::with_capacity(expected);
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(io_reason(&e)))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(
            shown,
            what,
            limit,
            format!("more than {} bytes", group(limit)),
        ));
    }
    decode(shown, bytes)
}

/// Opens the file at `path` (shown as `shown`, a `what`) for streaming: only a regular file or
/// a link to one, so that a FIFO, a device or a folder is refused instead of blocking or
/// reading without end.
pub fn open_regular(path: &Path, shown: &str, what: &str) -> Result<std::fs::File, InputError> {
    regular(path, shown, what, "open")?;
    std::fs::File::open(path).map_err(|e| {
        InputError::new(shown, format!("cannot open the {what}"))
            .expected(format!("a readable {what}"))
            .found(io_reason(&e))
    })
}

/// The metadata of `path` if it is a regular file (or a link to one), else the error saying
/// what it is (`cannot {verb} the {what}` when there is none).
fn regular(
    path: &Path,
    shown: &str,
    what: &str,
    verb: &str,
) -> Result<std::fs::Metadata, InputError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        InputError::new(shown, format!("cannot {verb} the {what}"))
            .expected(format!("a readable {what}"))
            .found(io_reason(&e))
    })?;
    if !meta.is_file() {
        let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        let kind = kind_of(&meta.file_type());
        return Err(
            InputError::new(shown, format!("the {what} is not a regular file"))
                .expected("a regular file, or a link to one")
                .found(if link {
                    format!("a link to {kind}")
                } else {
                    kind.to_string()
                }),
        );
    }
    Ok(meta)
}

/// What a file system entry that is not a regular file is, in words.
fn kind_of(t: &std::fs::FileType) -> &'static str {
    if t.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

fn too_large(shown: &str, what: &str, limit: u64, found: String) -> InputError {
    InputError::new(shown, format!("the {what} is too large"))
        .expected(format!("at most {} bytes ({})", group(limit), mib(limit)))
        .found(found)
}

/// `bytes` as text without a leading byte-order mark; invalid UTF-8 is an error at the line
/// and column of the first invalid byte.
pub fn decode(shown: &str, bytes: Vec<u8>) -> Result<String, InputError> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => text,
        }),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let before = String::from_utf8_lossy(&bytes[..valid]);
            let (line, column) = line_col(&before, before.len());
            let shown_bytes: Vec<String> = bytes[valid..]
                .iter()
                .take(4)
                .map(|b| format!("0x{b:02x}"))
                .collect();
            Err(InputError::new(shown, "the file is not UTF-8 text")
                .at_position(line, column)
                .expected("text encoded as UTF-8")
                .found(format!("the bytes {}", shown_bytes.join(" "))))
        }
    }
}

/// Why a file could not be read, in words (not the operating system's code).
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "a folder, not a file".to_string(),
        _ => io_problem(e),
    }
}

/// An I/O error in words, without the OS error number.
pub fn io_problem(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        StorageFull => "no space left on the device".into(),
        PermissionDenied => "permission denied".into(),
        ReadOnlyFilesystem => "the file system is read-only".into(),
        NotFound => "no such file or folder".into(),
        AlreadyExists => "it already exists".into(),
        IsADirectory => "it is a folder".into(),
        NotADirectory => "a part of the path is not a folder".into(),
        InvalidFilename => "the name is too long or not allowed".into(),
        QuotaExceeded => "the disk quota is exceeded".into(),
        FileTooLarge => "the file is too large".into(),
        CrossesDevices => "it would move across file systems".into(),
        _ => {
            let text = e.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => e.kind().to_string(),
            }
        }
    }
}

/// `n` with thousands separators, as every figure tcosim prints.
pub fn group(n: u64) -> String {
    crate::report::quantity(n as f64)
}

fn mib(n: u64) -> String {
    format!("{} MiB", n >> 20)
}

/// Checks every key and string value of the TOML document `source` (already known to parse):
/// no control characters (free text may hold line breaks and tabs), names and ids at most
/// [`MAX_NAME_CHARS`], free text at most [`MAX_TEXT_CHARS`], anything else at most
/// [`MAX_VALUE_CHARS`]. Errors name the key, its line and column.
pub fn check_toml_text(file: &str, source: &str) -> Result<(), InputError> {
    let Ok(doc) = toml_edit::Document::parse(source) else {
        return Ok(());
    };
    let mut path = Vec::new();
    walk_table(file, source, doc.as_table(), &mut path)
}

fn walk_table(
    file: &str,
    source: &str,
    table: &toml_edit::Table,
    path: &mut Vec<Seg>,
) -> Result<(), InputError> {
    for (key, item) in table.iter() {
        check_key(
            file,
            source,
            key,
            table.key(key).and_then(|k| k.span()),
            path,
        )?;
        path.push(Seg::Name(key.to_string()));
        walk_item(file, source, key, item, path)?;
        path.pop();
    }
    Ok(())
}

fn walk_item(
    file: &str,
    source: &str,
    key: &str,
    item: &toml_edit::Item,
    path: &mut Vec<Seg>,
) -> Result<(), InputError> {
    match item {
        toml_edit::Item::Value(v) => walk_value(file, source, key, v, path),
        toml_edit::Item::Table(t) => walk_table(file, source, t, path),
        toml_edit::Item::ArrayOfTables(a) => {
            for (i, t) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                walk_table(file, source, t, path)?;
                path.pop();
            }
            Ok(())
        }
        toml_edit::Item::None => Ok(()),
    }
}

fn walk_value(
    file: &str,
    source: &str,
    key: &str,
    value: &toml_edit::Value,
    path: &mut Vec<Seg>,
) -> Result<(), InputError> {
    match value {
        toml_edit::Value::String(s) => check_string(file, source, key, s.value(), s.span(), path),
        toml_edit::Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                walk_value(file, source, key, v, path)?;
                path.pop();
            }
            Ok(())
        }
        toml_edit::Value::InlineTable(t) => {
            for (k, v) in t.iter() {
                check_key(file, source, k, t.key(k).and_then(|k| k.span()), path)?;
                path.push(Seg::Name(k.to_string()));
                walk_value(file, source, k, v, path)?;
                path.pop();
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_key(
    file: &str,
    source: &str,
    key: &str,
    span: Option<std::ops::Range<usize>>,
    path: &[Seg],
) -> Result<(), InputError> {
    let problem = if let Some(c) = key.chars().find(|c| forbidden(*c, false)) {
        format!("a key holds the control character {}", escaped(c))
    } else if key.chars().count() > MAX_VALUE_CHARS {
        "a key is too long".to_string()
    } else {
        return Ok(());
    };
    let mut e = InputError::new(file, problem)
        .expected("a key of printable characters, as the documentation lists")
        .found(format!("`{}`", printable(&shorten(key))));
    if !path.is_empty() {
        e = e.at_key(key_path(path));
    }
    if let Some(span) = span {
        let (line, col) = line_col(source, span.start);
        e = e.at_position(line, col);
    }
    Err(e)
}

fn check_string(
    file: &str,
    source: &str,
    key: &str,
    value: &str,
    span: Option<std::ops::Range<usize>>,
    path: &[Seg],
) -> Result<(), InputError> {
    let free = FREE_TEXT_KEYS.contains(&key);
    let (limit, what) = if free {
        (MAX_TEXT_CHARS, "free text")
    } else if NAME_KEYS.contains(&key) {
        (MAX_NAME_CHARS, "a name")
    } else {
        (MAX_VALUE_CHARS, "a value")
    };
    let at = |e: InputError| {
        let e = e.at_key(key_path(path));
        match &span {
            Some(span) => {
                let (line, col) = line_col(source, span.start);
                e.at_position(line, col)
            }
            None => e,
        }
    };
    if let Some(c) = value.chars().find(|c| forbidden(*c, free)) {
        let allowed = if free {
            "printable characters, line breaks and tabs"
        } else {
            "printable characters (no line breaks, tabs or escape sequences)"
        };
        return Err(at(InputError::new(
            file,
            format!("`{key}` holds the control character {}", escaped(c)),
        )
        .expected(format!("{what} of {allowed}"))
        .found(format!("`{}`", printable(&shorten(value))))));
    }
    if let Some(c) = first_invisible(value).filter(|_| !free && NAME_KEYS.contains(&key)) {
        return Err(at(InputError::new(
            file,
            format!("`{key}` holds {}", invisible_kind(c)),
        )
        .expected("a name of visible characters and plain spaces (two names that look the same are one name)")
        .found(format!("`{}`", printable(&shorten(value))))));
    }
    // (A name of spaces alone is refused as empty where it is read.)
    if NAME_KEYS.contains(&key) && !value.trim().is_empty() && value.trim() != value {
        return Err(at(InputError::new(
            file,
            format!("`{key}` starts or ends with a space"),
        )
        .expected(
            "a name without spaces at its start or end (`cloud` and `cloud ` would look the same)",
        )
        .found(format!("`{}`", printable(&shorten(value))))
        .hint(format!("write `{}`", printable(&shorten(value.trim()))))));
    }
    let chars = value.chars().count();
    if chars > limit {
        return Err(at(InputError::new(file, format!("`{key}` is too long"))
            .expected(format!(
                "{what} of at most {} characters",
                group(limit as u64)
            ))
            .found(format!("{} characters", group(chars as u64)))));
    }
    if (NAME_KEYS.contains(&key) || REFERENCE_KEYS.contains(&key))
        && let Err(e) = check_composed(value)
    {
        return Err(at(InputError::new(
            file,
            format!("`{key}` is not written in Unicode's composed form (NFC)"),
        )
        .expected(if NAME_KEYS.contains(&key) {
            "a name in composed form (two spellings that look the same are one name)"
        } else {
            "a reference in composed form, as every name and id is"
        })
        .found(format!("`{}`", e.found))
        .hint(e.hint())));
    }
    Ok(())
}

/// Checks a name or id from a file that is not TOML (a CSV field): printable, at most
/// [`MAX_NAME_CHARS`] characters for names and ids, [`MAX_TEXT_CHARS`] for free text
/// (`free`, which may also hold line breaks and tabs).
pub fn check_field(value: &str, free: bool, name: bool) -> Result<(), String> {
    if let Some(c) = value.chars().find(|c| forbidden(*c, free)) {
        return Err(format!("the control character {}", escaped(c)));
    }
    if let Some(c) = first_invisible(value).filter(|_| name) {
        return Err(invisible_kind(c));
    }
    if name && !value.trim().is_empty() && value.trim() != value {
        return Err("a space at its start or end".to_string());
    }
    let limit = if free {
        MAX_TEXT_CHARS
    } else if name {
        MAX_NAME_CHARS
    } else {
        MAX_VALUE_CHARS
    };
    let chars = value.chars().count();
    if chars > limit {
        return Err(format!(
            "{} characters, more than the {} allowed",
            group(chars as u64),
            group(limit as u64)
        ));
    }
    Ok(())
}

/// Control characters (C0, DEL, C1) and the bidirectional overrides and isolates, which
/// reorder what a terminal shows; free text may hold line breaks and tabs.
fn forbidden(c: char, free: bool) -> bool {
    if free && (c == '\n' || c == '\t' || c == '\r') {
        return false;
    }
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing (soft hyphen, combining grapheme joiner, zero-width spaces and
/// joiners, direction marks, word joiner and invisible operators, deprecated format characters,
/// Hangul fillers, Mongolian variation selectors and vowel separator, Khmer inherent vowels,
/// interlinear annotation marks, shorthand format controls, musical format characters, tags,
/// variation selectors, byte-order mark), and spaces other than the plain space (no-break,
/// ideographic, thin, line and paragraph separators, ...): in a name they would make two names
/// that look the same differ.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{34f}'
            | '\u{61c}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    ) || (c.is_whitespace() && c != ' ')
}

/// A character that shows as part of the writing beyond ASCII: not ASCII, not a space and not
/// invisible.
fn visible_beyond_ascii(c: char) -> bool {
    !c.is_ascii() && !c.is_whitespace() && !invisible(c)
}

/// A name not in Unicode's composed form (NFC): as written and composed, each with its
/// characters beyond ASCII escaped (`\u{…}`), since the two look the same.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncomposed {
    pub found: String,
    pub composed: String,
    composed_text: String,
}

impl Uncomposed {
    /// What to write instead: the composed name as it shows and escaped.
    pub fn hint(&self) -> String {
        format!(
            "write it composed: `{}` (`{}`)",
            printable(&self.composed_text),
            self.composed
        )
    }
}

/// Checks that a name is in Unicode's composed form (NFC), as keyboards type it: `é` as one
/// character rather than `e` and a combining accent, Ω as the Greek letter rather than the
/// ohm sign, Hangul as syllables rather than letters, accents in their canonical order. Two
/// spellings of one name look the same but would compare as two names, so a name is taken
/// only composed.
pub fn check_composed(value: &str) -> Result<(), Uncomposed> {
    use unicode_normalization::UnicodeNormalization;
    if unicode_normalization::is_nfc(value) {
        return Ok(());
    }
    let composed: String = value.nfc().collect();
    Err(Uncomposed {
        found: beyond_ascii_escaped(value),
        composed: beyond_ascii_escaped(&composed),
        composed_text: composed,
    })
}

/// A name or id given on the command line (`--option`, `--offer`, an id to show), as the
/// command-line parser takes it: only in Unicode's composed form, as names and ids in files are,
/// so that another spelling is refused as such instead of reported unknown beside a name that
/// looks the same.
pub fn parse_name(text: &str) -> Result<String, String> {
    check_composed(text).map_err(|e| {
        format!(
            "not written in Unicode's composed form (NFC): found `{}`; {}",
            e.found,
            e.hint()
        )
    })?;
    Ok(text.to_string())
}

/// `text` with every character beyond ASCII (and every control character) written `\u{…}`.
fn beyond_ascii_escaped(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c.to_string()
            } else {
                format!("\\u{{{:x}}}", u32::from(c))
            }
        })
        .collect()
}

/// The first character of `value` that shows nothing, if any. Three kinds are part of the
/// writing and taken: a variation selector after a visible character beyond ASCII (the emoji
/// form of ❤️), the tags after a black flag that spell a region's flag (🏴 and its tags), and a
/// zero-width joiner or non-joiner between two visible characters beyond ASCII, the first
/// possibly followed by its variation selector or tags (emoji sequences such as 👩‍💻, the
/// conjuncts of Indic scripts).
fn first_invisible(value: &str) -> Option<char> {
    let chars: Vec<char> = value.chars().collect();
    let selector = |c: char| matches!(c, '\u{fe00}'..='\u{fe0f}' | '\u{e0100}'..='\u{e01ef}');
    let tag = |c: char| matches!(c, '\u{e0020}'..='\u{e007f}');
    // Whether chars[i] is taken as part of the writing, and so ends a cluster a joiner may
    // follow.
    let mut taken = vec![false; chars.len()];
    for i in 0..chars.len() {
        let c = chars[i];
        let after = |ok: &dyn Fn(usize) -> bool| i > 0 && ok(i - 1);
        taken[i] = if !invisible(c) {
            visible_beyond_ascii(c)
        } else if selector(c) {
            after(&|j| visible_beyond_ascii(chars[j]))
        } else if tag(c) {
            after(&|j| chars[j] == '\u{1f3f4}' || (tag(chars[j]) && taken[j]))
        } else if matches!(c, '\u{200c}' | '\u{200d}') {
            after(&|j| taken[j]) && chars.get(i + 1).is_some_and(|n| visible_beyond_ascii(*n))
        } else {
            false
        };
        if invisible(c) && !taken[i] {
            return Some(c);
        }
    }
    None
}

/// What an invisible character is, for a message: a space other than the plain space, or a
/// character that shows nothing.
fn invisible_kind(c: char) -> String {
    if c.is_whitespace() {
        format!("the space character {}, not a plain space", escaped(c))
    } else {
        format!("the invisible character {}", escaped(c))
    }
}

fn escaped(c: char) -> String {
    format!("`U+{:04X}`", u32::from(c))
}

/// `text` with every control character (and bidirectional override) and every invisible
/// character written as `\u{…}`, for showing text that came from outside (a file name) on a
/// terminal.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if forbidden(c, false) || invisible(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Items in words: `a`, `a and b`, `a, b and c`.
pub fn listed(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `text` in backquotes as [`printable`] shows it, followed by its spelling with every character
/// beyond ASCII escaped when it has any, for a name that matched nothing: two spellings that
/// look the same (a combining mark, a letter of another script) then show their difference.
pub fn quoted(text: &str) -> String {
    if text.is_ascii() {
        format!("`{}`", printable(text))
    } else {
        format!("`{}` (`{}`)", printable(text), beyond_ascii_escaped(text))
    }
}

/// The first 60 characters of `text`, with `…` when there are more.
fn shorten(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(60).collect();
    if chars.next().is_some() {
        head + "…"
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn io_errors_are_said_in_words_without_the_os_code() {
        let eio = std::io::Error::from_raw_os_error(5);
        for text in [io_reason(&eio), io_problem(&eio)] {
            assert!(!text.contains("os error") && !text.is_empty(), "{text}");
            assert!(text.starts_with(|c: char| c.is_lowercase()), "{text}");
        }
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(io_reason(&missing), "no such file");
        assert_eq!(io_problem(&missing), "no such file or folder");
    }

    #[test]
    fn names_are_taken_only_composed() {
        assert_eq!(check_composed("caf\u{e9}"), Ok(()));
        let e = check_composed("cafe\u{301}").unwrap_err();
        assert_eq!(e.found, "cafe\\u{301}");
        assert_eq!(e.hint(), "write it composed: `caf\u{e9}` (`caf\\u{e9}`)");
        // Characters that NFC replaces without a combining mark: the ohm sign, a CJK
        // compatibility ideograph, Hangul letters; and accents out of canonical order.
        for (written, composed) in [
            ("\u{2126}", "\\u{3a9}"),
            ("\u{f929}", "\\u{6717}"),
            ("\u{1100}\u{1161}", "\\u{ac00}"),
            ("q\u{301}\u{323}", "q\\u{323}\\u{301}"),
        ] {
            let e = check_composed(written).unwrap_err();
            assert_eq!(e.composed, composed);
            assert_ne!(e.found, e.composed);
        }
        assert_eq!(check_composed("\u{ac00}"), Ok(()));
    }

    #[test]
    fn joiners_inside_writing_are_taken_and_elsewhere_refused() {
        // An emoji sequence and a Malayalam conjunct keep their joiners.
        assert_eq!(
            check_field("\u{1f469}\u{200d}\u{1f4bb} devs", false, true),
            Ok(())
        );
        // A joiner at the end joins nothing.
        assert!(check_field("\u{0d28}\u{0d4d}\u{200d}", false, true).is_err());
        assert_eq!(
            check_field("\u{0d15}\u{0d4d}\u{200d}\u{0d37}", false, true),
            Ok(())
        );
        // Beside ASCII, at an end, or doubled: refused.
        for name in [
            "mix\u{200d}",
            "\u{200d}mix",
            "m\u{200c}ix",
            "\u{e9}\u{200d}\u{200d}\u{e9}",
        ] {
            assert!(check_field(name, false, true).is_err(), "{name:?}");
        }
    }

    #[test]
    fn every_character_that_shows_nothing_is_refused_in_a_name() {
        // Each would make a name that looks like `mix` (or `mi x`) and is another.
        for c in [
            '\u{34f}',
            '\u{61c}',
            '\u{115f}',
            '\u{17b4}',
            '\u{180e}',
            '\u{2028}',
            '\u{2029}',
            '\u{206a}',
            '\u{3164}',
            '\u{fe0f}',
            '\u{ffa0}',
            '\u{fffa}',
            '\u{1d173}',
            '\u{e0041}',
            '\u{e0100}',
        ] {
            let e = check_field(&format!("mi{c}x"), false, true).unwrap_err();
            assert!(
                e.contains("the invisible character") || c.is_whitespace(),
                "{e}"
            );
            assert!(e.contains(&format!("U+{:04X}", u32::from(c))), "{e}");
        }
        for c in ['\u{a0}', '\u{2009}', '\u{202f}', '\u{3000}', '\u{2028}'] {
            let e = check_field(&format!("mi{c}x"), false, true).unwrap_err();
            assert!(e.contains("not a plain space"), "{e}");
        }
        // Free text and other values keep them; a plain space is a space.
        assert_eq!(check_field("mi\u{a0}x", true, false), Ok(()));
        assert_eq!(check_field("mi x", false, true), Ok(()));
        // A name or id with a space at its start or end would look like the one without.
        for spaced in ["mix ", " mix", "mix\u{20}\u{20}"] {
            assert_eq!(
                check_field(spaced, false, true),
                Err("a space at its start or end".to_string())
            );
        }
        assert_eq!(check_field(" free text ", true, false), Ok(()));
        // Variation selectors after a visible character beyond ASCII, a region's flag, and a
        // joiner after a selector are part of the writing.
        for name in [
            "\u{2764}\u{fe0f} team",
            "\u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f} ops",
            "\u{1f441}\u{fe0f}\u{200d}\u{1f5e8}\u{fe0f}",
        ] {
            assert_eq!(check_field(name, false, true), Ok(()), "{name:?}");
        }
        // Tags without a flag, a selector after ASCII: refused.
        for name in ["a\u{fe0f}", "\u{e0067}\u{e007f}", "\u{2764}\u{e0067}"] {
            assert!(check_field(name, false, true).is_err(), "{name:?}");
        }
    }

    #[test]
    fn control_characters_are_refused_with_their_key_and_line() {
        let e = check_toml_text(
            "s.toml",
            "name = \"ok\"\n[[option]]\nname = \"a\\u0001b\"\n",
        )
        .unwrap_err();
        assert_eq!(e.position, Some((3, 8)));
        assert_eq!(e.key.as_deref(), Some("option[0].name"));
        assert!(e.problem.contains("U+0001"), "{}", e.problem);
        assert!(!e.to_string().contains('\u{1}'));
        let esc = check_toml_text("s.toml", "name = \"\\u001b[31mred\"\n").unwrap_err();
        assert!(esc.problem.contains("U+001B"));
        let bidi = check_toml_text("s.toml", "name = \"a\\u202eb\"\n").unwrap_err();
        assert!(bidi.problem.contains("U+202E"));
        let key = check_toml_text("s.toml", "\"a\\u0007\" = 1\n").unwrap_err();
        assert!(key.problem.contains("key"), "{}", key.problem);
    }

    #[test]
    fn free_text_may_hold_line_breaks_names_may_not() {
        assert!(check_toml_text("s.toml", "description = \"two\\nlines\\tand a tab\"\n").is_ok());
        assert!(check_toml_text("s.toml", "name = \"two\\nlines\"\n").is_err());
        assert!(check_toml_text("s.toml", "name = \"日本語 Ünïcødé\"\n").is_ok());
    }

    #[test]
    fn lengths_are_bounded() {
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        let e =
            check_toml_text("s.toml", &format!("[[workload]]\nname = \"{long}\"\n")).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("workload[0].name"));
        assert!(e.expected.as_deref().unwrap_or("").contains("256"));
        let ok = "x".repeat(MAX_NAME_CHARS);
        assert!(check_toml_text("s.toml", &format!("name = \"{ok}\"\n")).is_ok());
        let text = "y".repeat(MAX_TEXT_CHARS);
        assert!(check_toml_text("s.toml", &format!("description = \"{text}\"\n")).is_ok());
    }

    #[test]
    fn invalid_utf8_names_its_line_and_column() {
        let e = decode("p.csv", b"1\n2\nab\xffc\n".to_vec()).unwrap_err();
        assert_eq!(e.position, Some((3, 3)));
        assert!(e.found.as_deref().unwrap_or("").contains("0xff"));
        assert_eq!(decode("p.csv", b"\xef\xbb\xbf1\n".to_vec()).unwrap(), "1\n");
    }

    #[test]
    fn printable_escapes_what_a_terminal_would_obey() {
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("日本語"), "日本語");
    }
}

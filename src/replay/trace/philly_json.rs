//! The original Philly `cluster_job_log`: one JSON list of jobs, each
//! `{status, vc, jobid, submitted_time, user, attempts: [{start_time, end_time, detail: [{ip,
//! gpus: [...]}]}]}`.
//!
//! The real log is about a gigabyte, so it is never held whole: the list is walked one element
//! at a time and only the job in hand is in memory. A counting reader under the JSON parser
//! knows the line and column of the byte last read, which is the `{` of a job when the parser
//! hands that job over, so a job that cannot be replayed is named by its index in the list
//! and its line. A JSON syntax error cannot be skipped (nothing after it can be trusted) and
//! names the line and column the parser stopped at.

use super::{JobTable, ReadOptions, SHOWN_SKIPPED_LINES, Trace, ZonedTime, check_zone, is_missing};
use crate::error::InputError;
use crate::json_path::{Step, shortened};
use crate::replay::{Job, time};
use serde::de::{DeserializeSeed, Deserializer as _, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::io::{BufRead, Read};
use std::rc::Rc;

/// The line and column (1-based, in bytes) of the last byte read.
#[derive(Debug, Clone, Copy)]
struct Position {
    line: u64,
    column: u64,
    after_newline: bool,
    /// Whether anything but whitespace has been read.
    content: bool,
}

/// A reader that keeps the [`Position`] of the last byte it handed out, and the reason of the
/// first read that failed. A byte-order mark at the very start is passed over.
struct Counted<R> {
    inner: R,
    position: Rc<Cell<Position>>,
    io_error: Rc<Cell<Option<String>>>,
    started: bool,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = match self.inner.fill_buf() {
            Ok(b) => b,
            Err(e) => {
                let first = self.io_error.take();
                self.io_error
                    .set(first.or(Some(crate::limits::io_reason(&e))));
                return Err(e);
            }
        };
        let mut skip = 0;
        if !self.started {
            self.started = true;
            if available.starts_with(&[0xef, 0xbb, 0xbf]) {
                skip = 3;
            }
        }
        let n = buf.len().min(available.len() - skip);
        buf[..n].copy_from_slice(&available[skip..skip + n]);
        let mut p = self.position.get();
        for &b in &buf[..n] {
            if p.after_newline {
                p.line += 1;
                p.column = 0;
            }
            p.column += 1;
            p.after_newline = b == b'\n';
            p.content |= !b.is_ascii_whitespace();
        }
        self.position.set(p);
        self.inner.consume(skip + n);
        Ok(n)
    }
}

/// What became of the jobs read so far; a fatal problem stops the walk and waits here.
struct Sink<'a> {
    display: &'a str,
    options: ReadOptions,
    trace: Trace,
    /// Index of the next job in the list (from 0).
    index: usize,
    fatal: Option<InputError>,
    /// The log's first ISO time: every other names its zone as it does, or the log is refused.
    first_time: Option<ZonedTime>,
}

/// Reads a Philly `cluster_job_log` (README "Trace replay", `philly-json`).
pub(super) fn read(
    display: &str,
    reader: impl BufRead,
    options: ReadOptions,
) -> Result<Trace, InputError> {
    let position = Rc::new(Cell::new(Position {
        line: 1,
        column: 0,
        after_newline: false,
        content: false,
    }));
    let io_error = Rc::new(Cell::new(None));
    let counted = Counted {
        inner: reader,
        position: Rc::clone(&position),
        io_error: Rc::clone(&io_error),
        started: false,
    };
    let mut de = serde_json::Deserializer::from_reader(counted);
    let mut sink = Sink {
        display,
        options,
        trace: Trace {
            job_table: JobTable::NotGiven,
            ..Trace::default()
        },
        index: 0,
        fatal: None,
        first_time: None,
    };
    let walked = (&mut de)
        .deserialize_any(List {
            sink: &mut sink,
            position: &position,
        })
        .and_then(|()| de.end());
    if let Some(e) = sink.fatal {
        return Err(e);
    }
    if let Some(reason) = io_error.take() {
        return Err(InputError::new(display, "cannot read the trace")
            .expected("a readable trace file")
            .found(reason));
    }
    match walked {
        Ok(()) => Ok(sink.trace),
        Err(_) if !position.get().content => Err(InputError::new(display, "the trace is empty")
            .expected("a JSON list of jobs")
            .found("no JSON value")),
        Err(e) => Err(syntax_error(display, &e, sink.index)),
    }
}

/// A JSON error, named by the parser's line and column and the job it was reading.
fn syntax_error(display: &str, e: &serde_json::Error, index: usize) -> InputError {
    let message = e.to_string();
    let message = match message.rsplit_once(" at line ") {
        Some((head, _)) => head.to_string(),
        None => message,
    };
    let (problem, key) = match e.classify() {
        serde_json::error::Category::Data => ("the trace is not a JSON list of jobs", None),
        _ if message.starts_with("trailing characters") => {
            ("the trace goes on after its list of jobs", None)
        }
        _ => ("the trace is not valid JSON", Some(format!("[{index}]"))),
    };
    let error = InputError::new(display, problem)
        .at_position(e.line().max(1), e.column().max(1))
        .expected(
            "a JSON list of Philly jobs, `[{\"submitted_time\": ..., \"attempts\": [...]}, ...]`",
        )
        .found(message);
    match key {
        Some(key) => error.at_key(key),
        None => error,
    }
}

/// The top-level list: hands each job to the sink as it is read.
struct List<'s, 'a> {
    sink: &'s mut Sink<'a>,
    position: &'s Rc<Cell<Position>>,
}

impl<'de> Visitor<'de> for List<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON list of jobs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some((at, value, twice)) = seq.next_element_seed(Element(self.position))? {
            if !self.sink.take(at, &value, twice) {
                return Err(serde::de::Error::custom("a job that cannot be replayed"));
            }
        }
        Ok(())
    }
}

/// One element of the list with the position of its first byte, and the path of the first key
/// written twice in one of its objects. The parser has read that first byte (looking for the
/// element) before it asks for the element, so the position is the element's.
struct Element<'s>(&'s Rc<Cell<Position>>);

impl<'de> DeserializeSeed<'de> for Element<'_> {
    type Value = (Position, Value, Option<Twice>);

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        let at = self.0.get();
        let twice = RefCell::new(None);
        let value = de.deserialize_any(Strict {
            at: Step::Root,
            twice: &twice,
        })?;
        Ok((at, value, twice.into_inner()))
    }
}

/// A key written twice in one object of a job: its path inside the job, and the key.
type Twice = (String, String);

/// A JSON value read as [`Value`] reads it, except that a key written twice in one object is
/// recorded (the first such key's path) instead of the later value silently replacing the
/// earlier one.
struct Strict<'p> {
    at: Step<'p>,
    twice: &'p RefCell<Option<Twice>>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let at = Step::Index(&self.at, items.len());
            let seed = Strict {
                at,
                twice: self.twice,
            };
            match seq.next_element_seed(seed)? {
                Some(v) => items.push(v),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let at = Step::Key(&self.at, &key);
            let value = map.next_value_seed(Strict {
                at,
                twice: self.twice,
            })?;
            let repeated = object.contains_key(&key);
            if repeated && self.twice.borrow().is_none() {
                *self.twice.borrow_mut() = Some((at.path(), key.clone()));
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// A problem with one job: the path of the field inside the job and what was wrong.
struct Bad {
    path: String,
    expected: String,
    found: String,
}

impl Bad {
    fn new(path: impl Into<String>, expected: impl Into<String>, value: Option<&Value>) -> Bad {
        Bad {
            path: path.into(),
            expected: expected.into(),
            found: describe(value),
        }
    }
}

/// A JSON value as a message shows it: compact, at most 60 characters.
fn describe(value: Option<&Value>) -> String {
    match value {
        Some(value) => format!("`{}`", shortened(&value.to_string())),
        None => "no such field".to_string(),
    }
}

impl Sink<'_> {
    /// Takes in one job; `false` when it cannot be replayed and the walk must stop.
    fn take(&mut self, at: Position, value: &Value, twice: Option<Twice>) -> bool {
        let index = self.index;
        self.index += 1;
        // The job's first time, while the trace has none: the trace's once the job is read.
        let mut pending = None;
        if let Err(mixed) = self.check_zones(at, index, value, &mut pending) {
            self.fatal = Some(mixed.error());
            return false;
        }
        let read = match twice {
            Some((path, key)) => Err(Bad {
                found: format!("`{}` written twice", crate::limits::printable(&key)),
                path,
                expected: "each field written once in its object".to_string(),
            }),
            None => job(value),
        };
        if read.is_ok() && self.first_time.is_none() {
            self.first_time = pending;
        }
        match read {
            Ok(Some(job)) if job.gpus == 0 => self.trace.cpu_only_jobs += 1,
            Ok(Some(mut job)) => {
                job.line = at.line;
                self.trace.jobs.push(job);
            }
            Ok(None) => self.trace.unstarted_jobs += 1,
            Err(_) if self.options.skip_bad => {
                self.trace.skipped_rows += 1;
                if self.trace.skipped_lines.len() < SHOWN_SKIPPED_LINES {
                    self.trace.skipped_lines.push(at.line);
                }
            }
            Err(bad) => {
                let field = bad.path.rsplit('.').next().unwrap_or(&bad.path);
                let field = field.split('[').next().unwrap_or(field).to_string();
                let key = if bad.path.is_empty() {
                    format!("[{index}]")
                } else {
                    format!("[{index}].{}", bad.path)
                };
                let problem = if bad.path.is_empty() {
                    format!("cannot read job [{index}]")
                } else {
                    format!("cannot read the `{field}` field of job [{index}]")
                };
                self.fatal = Some(
                    InputError::new(self.display, problem)
                        .at_position(at.line as usize, at.column.max(1) as usize)
                        .at_key(key)
                        .expected(bad.expected)
                        .found(bad.found)
                        .hint("`--skip-bad` skips such jobs, counts them and names the first few lines"),
                );
                return false;
            }
        }
        true
    }
}

impl Sink<'_> {
    /// Checks that the job's times are of the kind of the log's first (README "Trace
    /// formats"): numbers of seconds, or ISO times that name their zone, or ISO times that do
    /// not; a time that is no time is left to [`job`].
    fn check_zones<'v>(
        &mut self,
        at: Position,
        index: usize,
        value: &'v Value,
        pending: &mut Option<ZonedTime>,
    ) -> Result<(), Box<super::MixedZones>> {
        // (attempt, key, text): the attempt's index, none for the job's own key.
        let mut times: Vec<(Option<usize>, &str, Cow<str>)> = Vec::new();
        let mut push = |attempt: Option<usize>, key: &'static str, v: Option<&'v Value>| match v {
            Some(Value::String(s)) => times.push((attempt, key, Cow::Borrowed(s.as_str()))),
            Some(Value::Number(n)) => times.push((attempt, key, Cow::Owned(n.to_string()))),
            _ => {}
        };
        push(None, "submitted_time", value.get("submitted_time"));
        if let Some(Value::Array(attempts)) = value.get("attempts") {
            for (i, attempt) in attempts.iter().enumerate() {
                for key in ["start_time", "end_time"] {
                    push(Some(i), key, attempt.get(key));
                }
            }
        }
        for (attempt, key, text) in times {
            if let Some((_, zoned)) = time::time_and_zone(&text) {
                let first = if self.first_time.is_some() {
                    &mut self.first_time
                } else {
                    &mut *pending
                };
                check_zone(first, zoned, || ZonedTime {
                    file: self.display.to_string(),
                    line: at.line,
                    column: at.column.max(1) as usize,
                    field: match attempt {
                        Some(i) => format!("[{index}].attempts[{i}].{key}"),
                        None => format!("[{index}].{key}"),
                    },
                    text: text.trim().to_string(),
                    zoned,
                })?;
            }
        }
        Ok(())
    }
}

const TIME: &str =
    "a time: `YYYY-MM-DD HH:MM:SS` (on the trace's clock) or a number of seconds (at most 1e12)";

/// A time field: `None` when it is absent, `null` or empty.
fn optional_time(value: Option<&Value>, path: &str) -> Result<Option<i64>, Bad> {
    let parsed = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if is_missing(s) => return Ok(None),
        Some(Value::String(s)) => time::time(s),
        Some(Value::Number(n)) => time::seconds(&n.to_string()),
        Some(_) => None,
    };
    parsed
        .map(Some)
        .ok_or_else(|| Bad::new(path, format!("{TIME}, or null"), value))
}

/// GPUs of one attempt: the sum of the lengths of its `detail[].gpus` lists.
fn attempt_gpus(attempt: &serde_json::Map<String, Value>, path: &str) -> Result<u64, Bad> {
    let detail = match attempt.get("detail") {
        None | Some(Value::Null) => return Ok(0),
        Some(Value::Array(d)) => d,
        other => {
            return Err(Bad::new(
                format!("{path}.detail"),
                "a list of placements `{\"ip\": ..., \"gpus\": [...]}`",
                other,
            ));
        }
    };
    let mut gpus = 0u64;
    for (i, place) in detail.iter().enumerate() {
        match place.get("gpus") {
            Some(Value::Array(ids)) => gpus += ids.len() as u64,
            other => {
                return Err(Bad::new(
                    format!("{path}.detail[{i}].gpus"),
                    "a list of the GPUs the attempt held on one server",
                    other.or(Some(place)),
                ));
            }
        }
    }
    Ok(gpus)
}

/// One job: `Ok(None)` when it never started. Submit is `submitted_time`; the recorded start
/// is the earliest attempt start; the duration is the sum of the attempts' run times
/// (end − start), the GPU time it really ran; the GPUs are the most any attempt held.
fn job(value: &Value) -> Result<Option<Job>, Bad> {
    let Some(job) = value.as_object() else {
        return Err(Bad::new(
            "",
            "a job: an object with `submitted_time` and `attempts`",
            Some(value),
        ));
    };
    let submitted = job.get("submitted_time");
    let submit = optional_time(submitted, "submitted_time")?
        .ok_or_else(|| Bad::new("submitted_time", TIME, submitted))?;
    let attempts = match job.get("attempts") {
        Some(Value::Array(a)) => a,
        other => {
            return Err(Bad::new(
                "attempts",
                "a list of attempts (`[]` for a job that never ran)",
                other,
            ));
        }
    };
    let mut first: Option<(i64, usize)> = None;
    let mut run_s: i64 = 0;
    let mut gpus: u64 = 0;
    for (k, attempt) in attempts.iter().enumerate() {
        let path = format!("attempts[{k}]");
        let Some(attempt) = attempt.as_object() else {
            return Err(Bad::new(
                path,
                "an attempt: an object with `start_time`, `end_time` and `detail`",
                Some(attempt),
            ));
        };
        gpus = gpus.max(attempt_gpus(attempt, &path)?);
        let start_path = format!("{path}.start_time");
        let end_path = format!("{path}.end_time");
        let start = optional_time(attempt.get("start_time"), &start_path)?;
        let end = optional_time(attempt.get("end_time"), &end_path)?;
        match (start, end) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(Bad::new(
                    start_path,
                    "the start of an attempt that has an end",
                    attempt.get("start_time"),
                ));
            }
            (Some(_), None) => {
                return Err(Bad::new(
                    end_path,
                    "the end of a started attempt (one still running when the log was \
                     written cannot be replayed)",
                    attempt.get("end_time"),
                ));
            }
            (Some(s), Some(e)) if e < s => {
                return Err(Bad::new(
                    end_path,
                    "a time at or after the attempt's `start_time`",
                    attempt.get("end_time"),
                ));
            }
            (Some(s), Some(e)) => {
                run_s += e - s;
                if run_s > time::MAX_SECONDS {
                    return Err(Bad::new(
                        end_path,
                        "attempts whose run times add up to at most 1e12 seconds",
                        attempt.get("end_time"),
                    ));
                }
                if first.is_none_or(|(f, _)| s < f) {
                    first = Some((s, k));
                }
            }
        }
    }
    let Some((start, k)) = first else {
        return Ok(None);
    };
    if start < submit {
        return Err(Bad::new(
            format!("attempts[{k}].start_time"),
            "a start at or after the job's `submitted_time`",
            attempts[k].get("start_time"),
        ));
    }
    if gpus > u64::from(super::MAX_JOB_GPUS) {
        return Err(Bad {
            path: "attempts".to_string(),
            expected: format!("at most {} GPUs in an attempt", super::MAX_JOB_GPUS),
            found: format!("an attempt holding {gpus} GPUs"),
        });
    }
    Ok(Some(Job::new(submit, Some(start), run_s, gpus as u32)))
}

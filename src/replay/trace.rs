//! Reading GPU job traces, one line at a time.
//!
//! Each format names its columns in a header (SWF has none; its fields are by position), and
//! columns are found by name, so extra columns and any column order are accepted; a row must
//! have as many fields as the header names. A row that cannot be read is an error naming the
//! file, the line, the column and the field; with `skip_bad` it is counted and skipped instead,
//! and the first few line numbers are kept for the message. Jobs that ask for no GPU (CPU jobs
//! of mixed clusters) are counted and left out. The ISO times of one trace all name their zone
//! or none does (`Zones`); a trace that mixes them is refused even with `skip_bad`.
//!
//! Two layouts are read by their own modules: the original Philly log, one JSON list of jobs
//! read a job at a time ([`philly_json`]), and the Alibaba PAI task table, whose rows are tasks
//! gathered into jobs, with the job table beside it for submission times ([`pai`]).

use super::time;
use super::{Job, TraceFormat};
use crate::error::InputError;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

mod pai;
mod philly_json;

pub use pai::read as read_pai;

/// How many skipped line numbers a [`Trace`] keeps to show.
pub const SHOWN_SKIPPED_LINES: usize = 5;

/// Longest line of a trace, in bytes: real rows are under 200 bytes.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Most GPUs one job may ask for.
pub const MAX_JOB_GPUS: u32 = 1 << 24;

/// How to read a trace.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    pub format: TraceFormat,
    /// Count and skip rows that cannot be read instead of failing.
    pub skip_bad: bool,
    /// SWF only: read allocated processors as GPUs.
    pub processors_as_gpus: bool,
}

/// The jobs of a trace, in file order, and what was left out.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub jobs: Vec<Job>,
    /// Rows skipped with `skip_bad`.
    pub skipped_rows: usize,
    /// The first [`SHOWN_SKIPPED_LINES`] of them, by line number.
    pub skipped_lines: Vec<u64>,
    /// Jobs that asked for no GPU.
    pub cpu_only_jobs: usize,
    /// Jobs that never started (Philly JSON, PAI): no attempt or task with a start time.
    pub unstarted_jobs: usize,
    /// PAI: jobs whose fractional GPUs were rounded up to whole GPUs.
    pub rounded_jobs: usize,
    /// PAI: the GPU-hours that rounding added, Σ (whole − fractional GPUs) × duration / 3600.
    pub rounding_gpu_hours: f64,
    /// PAI: jobs taken as submitted when their first task started, for want of a submission.
    pub submit_unknown_jobs: usize,
    /// PAI: the job table the submission times came from.
    pub job_table: JobTable,
}

/// Where a PAI trace's submission times came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum JobTable {
    /// None was given (every format but PAI, or a PAI task table read on its own).
    #[default]
    NotGiven,
    /// The job table read, as named in messages.
    Read(String),
    /// The job table looked for beside the task table and not found.
    Absent(String),
}

impl Trace {
    /// What the replay should say about the jobs left out or changed beyond bad rows and CPU
    /// jobs (which the summary counts): one sentence each.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        if self.unstarted_jobs > 0 {
            notes.push(format!(
                "{} job{} never started (no attempt or task with a start time): left out",
                self.unstarted_jobs,
                plural(self.unstarted_jobs)
            ));
        }
        let instant = self.jobs.iter().filter(|j| j.duration_s == 0).count();
        if instant > 0 {
            notes.push(format!(
                "{} of {} GPU job{} ran 0 seconds: {} no GPU-hours{}",
                instant,
                self.jobs.len(),
                plural(self.jobs.len()),
                if instant == 1 {
                    "it asks for"
                } else {
                    "they ask for"
                },
                if instant == self.jobs.len() {
                    " (the trace asks for none)"
                } else {
                    ""
                }
            ));
        }
        if self.rounded_jobs > 0 {
            notes.push(format!(
                "{} job{} asked for a fraction of a GPU beyond whole GPUs: rounded up to whole GPUs, \
                 adding {} GPU-hours",
                self.rounded_jobs,
                plural(self.rounded_jobs),
                crate::report::price(self.rounding_gpu_hours)
            ));
        }
        if self.submit_unknown_jobs > 0 {
            let n = self.submit_unknown_jobs;
            let why = match &self.job_table {
                JobTable::Read(table) => format!("no submission time in {table}"),
                JobTable::Absent(table) => format!("no job table {table}"),
                JobTable::NotGiven => "no job table".to_string(),
            };
            notes.push(format!(
                "{n} job{} taken as submitted when {} first task started ({why}): {} recorded wait{} 0",
                plural(n),
                if n == 1 { "its" } else { "their" },
                if n == 1 { "its" } else { "their" },
                if n == 1 { " is" } else { "s are" },
            ));
        }
        notes
    }
}

/// A field of a row: its text and its 1-based column (in characters) on the line.
struct Field<'a> {
    text: std::borrow::Cow<'a, str>,
    column: usize,
}

/// Splits a CSV line into fields (double quotes may enclose a field, `""` is a quote inside);
/// `Err(column)` where a quoted field is not closed.
fn split_csv(line: &str) -> Result<Vec<Field<'_>>, usize> {
    let mut fields = Vec::new();
    let mut chars = line.char_indices().peekable();
    let mut column = 1;
    loop {
        let start_col = column;
        match chars.peek() {
            Some(&(_, '"')) => {
                chars.next();
                column += 1;
                let mut text = String::new();
                let mut closed = false;
                while let Some((_, c)) = chars.next() {
                    column += 1;
                    if c == '"' {
                        if let Some(&(_, '"')) = chars.peek() {
                            chars.next();
                            column += 1;
                            text.push('"');
                        } else {
                            closed = true;
                            break;
                        }
                    } else {
                        text.push(c);
                    }
                }
                if !closed {
                    return Err(start_col);
                }
                fields.push(Field {
                    text: text.into(),
                    column: start_col,
                });
                match chars.next() {
                    None => return Ok(fields),
                    Some((_, ',')) => column += 1,
                    Some(_) => return Err(column),
                }
            }
            _ => {
                let start = chars.peek().map_or(line.len(), |&(i, _)| i);
                let mut end = line.len();
                let mut more = false;
                for (i, c) in chars.by_ref() {
                    if c == ',' {
                        end = i;
                        more = true;
                        break;
                    }
                    column += 1;
                }
                column += 1;
                fields.push(Field {
                    text: line[start..end].into(),
                    column: start_col,
                });
                if !more {
                    return Ok(fields);
                }
            }
        }
    }
}

/// Where a row's values come from: the column index of each field a format reads.
struct Columns {
    names: Vec<String>,
}

impl Columns {
    fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// A problem with one row: the field (column name) and what was wrong.
#[derive(Debug)]
struct RowError {
    field: String,
    column: usize,
    expected: String,
    found: String,
}

impl Trace {
    /// Counts a skipped row and keeps its line number if it is among the first few.
    fn skip(&mut self, line: u64) {
        self.skipped_rows += 1;
        if self.skipped_lines.len() < SHOWN_SKIPPED_LINES {
            self.skipped_lines.push(line);
        }
    }
}

impl RowError {
    /// The error of this problem on line `line` of `display`.
    fn at(self, display: &str, line: u64) -> InputError {
        InputError::new(
            display,
            format!("cannot read the `{}` field of a job", self.field),
        )
        .at_position(line as usize, self.column)
        .at_key(self.field)
        .expected(self.expected)
        .found(self.found)
        .hint("`--skip-bad` skips such rows, counts them and names the first few lines")
    }

    fn new(field: &str, f: Option<&Field>, expected: &str) -> RowError {
        RowError {
            field: field.to_string(),
            column: f.map_or(1, |f| f.column),
            expected: expected.to_string(),
            found: match f {
                Some(f) if f.text.is_empty() => "an empty cell".to_string(),
                Some(f) => format!("`{}`", crate::limits::printable(&f.text)),
                None => "no such field on the line".to_string(),
            },
        }
    }
}

/// Reads a trace from `reader`; `display` names it in errors.
pub fn read(
    display: &str,
    reader: impl BufRead,
    options: ReadOptions,
) -> Result<Trace, InputError> {
    match options.format {
        TraceFormat::PhillyJson => return philly_json::read(display, reader, options),
        TraceFormat::Pai => return pai::read(display, reader, None::<(&str, &[u8])>, options),
        _ => {}
    }
    let mut trace = Trace::default();
    let mut state = State::new(options, display);
    let mut lines = Lines::new(reader);
    while let Some((number, line)) = lines.next_line(display)? {
        if line.trim().is_empty() {
            continue;
        }
        state.zones.begin(number);
        let row = state.row(&line);
        if row.is_ok() {
            state.zones.accept();
        }
        match row {
            Ok(Some(job)) if job.gpus == 0 => trace.cpu_only_jobs += 1,
            Ok(Some(mut job)) => {
                job.line = number;
                trace.jobs.push(job);
            }
            Ok(None) => {}
            Err(Problem::Header(e)) => return Err(e.with_file(display, number)),
            Err(Problem::Mixed(e)) => return Err(e.error()),
            Err(Problem::Row(_)) if options.skip_bad => trace.skip(number),
            Err(Problem::Row(e)) => return Err(e.at(display, number)),
        }
    }
    if state.header.is_none() && options.format != TraceFormat::Swf {
        return Err(InputError::new(display, "the trace is empty")
            .expected(format!("a header line ({})", header_of(options.format)))
            .found("no line"));
    }
    Ok(trace)
}

/// Reads the trace at `path`, already opened as `reader`; for PAI, also the job table beside
/// the task table ([`pai_job_table`]) when there is one.
pub fn read_beside(
    display: &str,
    path: &Path,
    reader: impl BufRead,
    options: ReadOptions,
) -> Result<Trace, InputError> {
    if options.format != TraceFormat::Pai {
        return read(display, reader, options);
    }
    let table = pai_job_table(path);
    let table_display = table.display().to_string();
    if std::fs::metadata(&table).is_err() {
        // No job table (or a link to nothing): submissions from the tasks' starts.
        let mut trace = read_pai(display, reader, None::<(&str, &[u8])>, options)?;
        trace.job_table = JobTable::Absent(table_display);
        return Ok(trace);
    }
    // A folder, a FIFO or a device of that name is refused, not taken for no table.
    let file = crate::limits::open_regular(&table, &table_display, "PAI job table")?;
    read_pai(
        display,
        reader,
        Some((
            table_display.as_str(),
            BufReader::with_capacity(1 << 16, file),
        )),
        options,
    )
}

/// The PAI job table that goes with the task table at `tasks`: in the same folder, named as
/// the task table with `job_table` for `task_table` (`pai_task_table.csv` →
/// `pai_job_table.csv`), or `pai_job_table.csv` when the name has no `task_table`.
pub fn pai_job_table(tasks: &Path) -> PathBuf {
    let name = tasks
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = if name.contains("task_table") {
        name.replacen("task_table", "job_table", 1)
    } else {
        "pai_job_table.csv".to_string()
    };
    tasks.with_file_name(name)
}

/// The header a format expects, for messages.
fn header_of(format: TraceFormat) -> &'static str {
    match format {
        TraceFormat::Csv => "`job_id,submit,start,duration,gpus`; `job_id` and `start` optional",
        TraceFormat::Helios => {
            "`job_id,gpu_num,submit_time,start_time,duration,...` (Slurm-style log) or `u_id,gpu_num,interval,run_time,...`"
        }
        TraceFormat::Philly => "`timestamp,duration,num_gpus,...`",
        TraceFormat::Swf => "no header: 18 whitespace-separated fields",
        TraceFormat::PhillyJson => "no header: a JSON list of jobs",
        TraceFormat::Pai => {
            "`job_name,task_name,inst_num,status,start_time,end_time,plan_cpu,plan_mem,plan_gpu,gpu_type`, or no header"
        }
    }
}

/// A problem with the header (always fatal), with a row (skippable), or with the trace as a
/// whole (always fatal).
enum Problem {
    Header(HeaderError),
    Row(RowError),
    /// Times of two kinds (numbers of seconds, ISO times with a zone, without one) in the
    /// same trace.
    Mixed(Box<MixedZones>),
}

impl From<RowError> for Problem {
    fn from(e: RowError) -> Problem {
        Problem::Row(e)
    }
}

/// A time of a trace: where it was read and its kind: `None` for a number of seconds, else
/// whether the ISO time names its zone.
#[derive(Debug, Clone)]
struct ZonedTime {
    file: String,
    line: u64,
    column: usize,
    /// The field (a column name, or a key path in a JSON job).
    field: String,
    text: String,
    zoned: Option<bool>,
}

/// The clock rule of a trace (README "Trace formats"): numbers of seconds count from the
/// trace's own origin and an ISO time without a zone is on the trace's own clock, neither with
/// a known offset from the other kinds, so every time of a trace is of one kind: seconds, ISO
/// with a zone, or ISO without one.
#[derive(Debug, Default)]
struct Zones {
    /// The trace's first time, of a row that was read.
    first: Option<ZonedTime>,
    /// The first time of the row being read while the trace has none: the trace's first once
    /// the row is read ([`Zones::accept`]), forgotten if the row is skipped.
    pending: Option<ZonedTime>,
    /// The file and line being read, to name a time that breaks the rule.
    file: String,
    line: u64,
}

/// A trace whose times mix kinds: its first time and the first that differs.
#[derive(Debug)]
struct MixedZones {
    first: ZonedTime,
    later: ZonedTime,
}

/// Checks a time of kind `zoned` (`None`: seconds; else whether the ISO time names its zone)
/// against the trace's first, which it becomes when there is none yet; `at` describes it.
fn check_zone(
    first: &mut Option<ZonedTime>,
    zoned: Option<bool>,
    at: impl FnOnce() -> ZonedTime,
) -> Result<(), Box<MixedZones>> {
    match first {
        Some(f) if f.zoned == zoned => Ok(()),
        Some(f) => Err(Box::new(MixedZones {
            first: f.clone(),
            later: at(),
        })),
        None => {
            *first = Some(at());
            Ok(())
        }
    }
}

impl Zones {
    fn new(file: &str) -> Zones {
        Zones {
            first: None,
            pending: None,
            file: file.to_string(),
            line: 0,
        }
    }

    /// Starts reading line `line`.
    fn begin(&mut self, line: u64) {
        self.line = line;
        self.pending = None;
    }

    /// The row being read was read: its first time, if the trace had none, is the trace's.
    fn accept(&mut self) {
        if self.first.is_none() {
            self.first = self.pending.take();
        }
    }

    /// The time in field `name` of the line being read, checked against the trace's first.
    fn time(&mut self, name: &str, f: Option<&Field>) -> Result<i64, Problem> {
        let Some((t, zoned)) = f.and_then(|f| time::time_and_zone(&f.text)) else {
            return Err(Problem::Row(RowError::new(
                name,
                f,
                "seconds (at most 1e12), or an ISO date and time such as `2023-03-01 00:18:22+08:00`",
            )));
        };
        if let Some(f) = f {
            let first = if self.first.is_some() {
                &mut self.first
            } else {
                &mut self.pending
            };
            check_zone(first, zoned, || ZonedTime {
                file: self.file.clone(),
                line: self.line,
                column: f.column,
                field: name.to_string(),
                text: f.text.trim().to_string(),
                zoned,
            })
            .map_err(Problem::Mixed)?;
        }
        Ok(t)
    }

    /// A time that may be missing (empty, `NaN` or `null`).
    fn optional_time(&mut self, name: &str, f: Option<&Field>) -> Result<Option<i64>, Problem> {
        match f {
            Some(field) if !is_missing(&field.text) => self.time(name, f).map(Some),
            _ => Ok(None),
        }
    }
}

impl MixedZones {
    /// The error: at the later time, naming the first.
    fn error(&self) -> InputError {
        let kind = |zoned: Option<bool>| match zoned {
            None => "a number of seconds",
            Some(true) => "an ISO time with a zone",
            Some(false) => "an ISO time without a zone",
        };
        let (first, later) = (&self.first, &self.later);
        let place = if first.file == later.file {
            format!("line {}", first.line)
        } else {
            format!("line {} of {}", first.line, first.file)
        };
        let (title, hint) = if first.zoned.is_some() && later.zoned.is_some() {
            (
                "the trace mixes times with a zone and times without one",
                "a time without a zone is on the trace's own clock, whose offset from the zoned \
                 times is unknown: write every time of the trace with its zone, or every one \
                 without (`--skip-bad` does not skip this)",
            )
        } else {
            (
                "the trace mixes numbers of seconds and ISO times",
                "numbers of seconds count from the trace's own origin, whose date is unknown: \
                 write every time of the trace as seconds, or every one as an ISO time \
                 (`--skip-bad` does not skip this)",
            )
        };
        InputError::new(&later.file, title)
            .at_position(later.line as usize, later.column)
            .at_key(later.field.clone())
            .expected(format!(
                "{}, as the trace's first time is (`{}` on {place}: `{}`)",
                kind(first.zoned),
                first.field,
                crate::limits::printable(&first.text)
            ))
            .found(format!(
                "`{}`, {}",
                crate::limits::printable(&later.text),
                kind(later.zoned)
            ))
            .hint(hint)
    }
}

struct HeaderError {
    expected: String,
    found: String,
    column: usize,
}

impl HeaderError {
    fn with_file(self, display: &str, line: u64) -> InputError {
        InputError::new(
            display,
            "the header does not name the columns the format needs",
        )
        .at_position(line as usize, self.column)
        .expected(self.expected)
        .found(self.found)
        .hint("`--trace-format` chooses the layout: csv, helios, philly, philly-json, pai or swf")
    }
}

/// Lines of a trace with their numbers; a line longer than [`MAX_LINE_BYTES`] or not UTF-8
/// is an error.
struct Lines<R> {
    reader: R,
    number: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R) -> Self {
        Lines {
            reader,
            number: 0,
            buf: Vec::new(),
        }
    }

    fn next_line(&mut self, display: &str) -> Result<Option<(u64, String)>, InputError> {
        self.buf.clear();
        let limit = (MAX_LINE_BYTES + 2) as u64;
        let n = std::io::Read::take(&mut self.reader, limit)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| {
                InputError::new(display, "cannot read the trace")
                    .expected("a readable trace file")
                    .found(crate::limits::io_reason(&e))
            })?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        if self.buf.len() > MAX_LINE_BYTES {
            return Err(InputError::new(display, "a line of the trace is too long")
                .at_position(self.number as usize, 1)
                .expected(format!("at most {MAX_LINE_BYTES} bytes per line"))
                .found("a longer line"));
        }
        let text = String::from_utf8(std::mem::take(&mut self.buf)).map_err(|_| {
            InputError::new(display, "the trace is not UTF-8 text")
                .at_position(self.number as usize, 1)
                .expected("a text file")
                .found("bytes that are not UTF-8")
        })?;
        let text = match (self.number, text.strip_prefix('\u{feff}')) {
            (1, Some(rest)) => rest.to_string(),
            _ => text,
        };
        Ok(Some((self.number, text)))
    }
}

/// The reader's state: the format and, once read, the header's columns.
struct State {
    options: ReadOptions,
    header: Option<Layout>,
    /// The number of fields of the header, which every row must have.
    width: usize,
    /// Helios interval layout: the submit time of the previous job.
    clock: i64,
    /// Whether the trace's ISO times name their zone.
    zones: Zones,
}

/// Column indexes of the fields a layout reads.
enum Layout {
    Csv {
        submit: usize,
        start: Option<usize>,
        duration: usize,
        gpus: usize,
    },
    HeliosLog {
        submit: usize,
        start: usize,
        end: Option<usize>,
        duration: Option<usize>,
        gpus: usize,
    },
    HeliosInterval {
        interval: usize,
        run_time: usize,
        gpus: usize,
    },
    Philly {
        timestamp: usize,
        duration: usize,
        gpus: usize,
    },
}

impl State {
    fn new(options: ReadOptions, display: &str) -> State {
        State {
            options,
            header: None,
            width: 0,
            clock: 0,
            zones: Zones::new(display),
        }
    }

    fn row(&mut self, line: &str) -> Result<Option<Job>, Problem> {
        if self.options.format == TraceFormat::Swf {
            return swf_row(line, self.options.processors_as_gpus).map_err(Problem::Row);
        }
        let fields = split_csv(line).map_err(|column| {
            Problem::Row(RowError {
                field: "line".to_string(),
                column,
                expected: "CSV fields separated by commas, quotes closed".to_string(),
                found: "an unclosed or misplaced quote".to_string(),
            })
        })?;
        let Some(layout) = &self.header else {
            self.header = Some(layout(self.options.format, &fields).map_err(Problem::Header)?);
            self.width = fields.len();
            return Ok(None);
        };
        if fields.len() != self.width {
            // A field too many or too few shifts the columns: which of them is which is a guess.
            return Err(Problem::Row(RowError {
                field: "line".to_string(),
                column: fields
                    .get(self.width)
                    .map_or(line.chars().count() + 1, |f| f.column),
                expected: format!("{} comma-separated fields, as the header names", self.width),
                found: format!(
                    "{} field{}",
                    fields.len(),
                    if fields.len() == 1 { "" } else { "s" }
                ),
            }));
        }
        let get = |i: usize| fields.get(i);
        let job = match *layout {
            Layout::Csv {
                submit,
                start,
                duration,
                gpus,
            } => {
                let submit_s = self.zones.time("submit", get(submit))?;
                let start_s = self.zones.optional_time("start", start.and_then(get))?;
                Job::new(
                    submit_s,
                    check_start("start", start_s, submit_s, start.and_then(get))?,
                    parse_duration("duration", get(duration))?,
                    parse_gpus("gpus", get(gpus))?,
                )
            }
            Layout::HeliosLog {
                submit,
                start,
                end,
                duration,
                gpus,
            } => {
                let submit_s = self.zones.time("submit_time", get(submit))?;
                let start_s = self.zones.optional_time("start_time", get(start))?;
                let start_s = check_start("start_time", start_s, submit_s, get(start))?;
                // Only an empty `duration` is none: `NaN` is no number of seconds.
                let recorded = match duration.and_then(get) {
                    Some(f) if !f.text.trim().is_empty() => {
                        Some(parse_duration("duration", Some(f)).map_err(|_| {
                            Problem::Row(RowError::new(
                                "duration",
                                Some(f),
                                "seconds, a number from 0 to 1e12, or an empty cell for \
                                 `end_time − start_time`",
                            ))
                        })?)
                    }
                    _ => None,
                };
                let run = match (recorded, start_s) {
                    (Some(d), _) => d,
                    // A job that never started ran for no time.
                    (None, None) => 0,
                    (None, Some(s)) => match end.and_then(get) {
                        Some(f) if !is_missing(&f.text) => {
                            let e = self.zones.time("end_time", Some(f))?;
                            if e < s {
                                return Err(Problem::Row(RowError::new(
                                    "end_time",
                                    Some(f),
                                    "a time at or after `start_time`",
                                )));
                            }
                            e - s
                        }
                        // Started, and neither an end nor a duration: named by `end_time`, or
                        // by the empty `duration` when the header has no `end_time`.
                        f => {
                            let (name, f) = match end {
                                Some(_) => ("end_time", f),
                                None => ("duration", duration.and_then(get)),
                            };
                            return Err(Problem::Row(RowError::new(
                                name,
                                f,
                                "the end of a started job: `end_time`, or its `duration` (a job \
                                 still running when the trace was written cannot be replayed)",
                            )));
                        }
                    },
                };
                Job::new(submit_s, start_s, run, parse_gpus("gpu_num", get(gpus))?)
            }
            Layout::HeliosInterval {
                interval,
                run_time,
                gpus,
            } => {
                let gap = parse_duration("interval", get(interval))?;
                let run = parse_duration("run_time", get(run_time))?;
                let gpus = parse_gpus("gpu_num", get(gpus))?;
                let submit = self.clock.saturating_add(gap);
                if submit > time::MAX_SECONDS {
                    return Err(Problem::Row(RowError::new(
                        "interval",
                        get(interval),
                        "intervals whose sum stays within 10^12 s",
                    )));
                }
                self.clock = submit;
                Job::new(submit, None, run, gpus)
            }
            Layout::Philly {
                timestamp,
                duration,
                gpus,
            } => Job::new(
                self.zones.time("timestamp", get(timestamp))?,
                None,
                parse_duration("duration", get(duration))?,
                parse_gpus("num_gpus", get(gpus))?,
            ),
        };
        Ok(Some(job))
    }
}

fn is_missing(text: &str) -> bool {
    let t = text.trim();
    t.is_empty() || t.eq_ignore_ascii_case("nan") || t.eq_ignore_ascii_case("null")
}

/// Finds the columns of `format` in a header line.
fn layout(format: TraceFormat, fields: &[Field]) -> Result<Layout, HeaderError> {
    let columns = Columns {
        names: fields
            .iter()
            .map(|f| f.text.trim().to_ascii_lowercase())
            .collect(),
    };
    // A column the format reads (needed or optional), named twice, would leave the reader to
    // pick one.
    let optional = |name: &str| {
        let named: Vec<usize> = (0..columns.names.len())
            .filter(|i| columns.names[*i] == name)
            .collect();
        match named[..] {
            [first, second, ..] => Err(HeaderError {
                expected: format!("each column named once ({})", header_of(format)),
                found: format!("`{name}` twice, columns {} and {}", first + 1, second + 1),
                column: fields.get(second).map_or(1, |f| f.column),
            }),
            _ => Ok(named.first().copied()),
        }
    };
    let missing = |what: &str| HeaderError {
        expected: format!("{what} ({})", header_of(format)),
        found: format!(
            "`{}`",
            crate::limits::printable(&columns.names.join(","))
                .chars()
                .take(200)
                .collect::<String>()
        ),
        column: 1,
    };
    let need =
        |name: &str| optional(name)?.ok_or_else(|| missing(&format!("a column named `{name}`")));
    Ok(match format {
        TraceFormat::Csv => Layout::Csv {
            submit: need("submit")?,
            start: optional("start")?,
            duration: need("duration")?,
            gpus: need("gpus")?,
        },
        TraceFormat::Helios if columns.find("interval").is_some() => Layout::HeliosInterval {
            interval: need("interval")?,
            run_time: need("run_time")?,
            gpus: need("gpu_num")?,
        },
        TraceFormat::Helios => {
            let submit = need("submit_time")?;
            let start = need("start_time")?;
            let (end, duration) = (optional("end_time")?, optional("duration")?);
            if end.is_none() && duration.is_none() {
                // Without either, no started job has a run time.
                return Err(missing("a column named `end_time` or `duration`, or both"));
            }
            Layout::HeliosLog {
                submit,
                start,
                end,
                duration,
                gpus: need("gpu_num")?,
            }
        }
        TraceFormat::Philly => Layout::Philly {
            timestamp: need("timestamp")?,
            duration: need("duration")?,
            gpus: need("num_gpus")?,
        },
        TraceFormat::Swf | TraceFormat::PhillyJson | TraceFormat::Pai => {
            return Err(HeaderError {
                expected: header_of(format).to_string(),
                found: "a header".to_string(),
                column: 1,
            });
        }
    })
}

fn check_start(
    name: &str,
    start: Option<i64>,
    submit: i64,
    f: Option<&Field>,
) -> Result<Option<i64>, Problem> {
    match start {
        Some(s) if s < submit => Err(Problem::Row(RowError::new(
            name,
            f,
            "a start at or after the submit time",
        ))),
        _ => Ok(start),
    }
}

fn parse_duration(name: &str, f: Option<&Field>) -> Result<i64, Problem> {
    match f.and_then(|f| time::seconds(&f.text)) {
        Some(s) if s >= 0 => Ok(s),
        _ => Err(Problem::Row(RowError::new(
            name,
            f,
            "seconds, a number from 0 to 1e12 (about 31,700 years)",
        ))),
    }
}

fn parse_gpus(name: &str, f: Option<&Field>) -> Result<u32, Problem> {
    let v = f.and_then(|f| f.text.trim().parse::<f64>().ok());
    match v {
        Some(g) if g >= 0.0 && g.fract() == 0.0 && g <= f64::from(MAX_JOB_GPUS) => Ok(g as u32),
        _ => Err(Problem::Row(RowError::new(
            name,
            f,
            &format!("a whole number of GPUs from 0 to {MAX_JOB_GPUS}"),
        ))),
    }
}

/// Names of the SWF fields read, by 0-based position.
const SWF_FIELDS: [&str; 8] = [
    "job_number",
    "submit_time",
    "wait_time",
    "run_time",
    "allocated_processors",
    "average_cpu_time",
    "used_memory",
    "requested_processors",
];

/// One line of the Standard Workload Format: `;` starts a comment, fields are separated by
/// whitespace, -1 means missing. A job's GPUs are its allocated processors (the requested ones
/// when the allocation is missing), read only when asked to.
fn swf_row(line: &str, processors_as_gpus: bool) -> Result<Option<Job>, RowError> {
    let content = line.split(';').next().unwrap_or("");
    if content.trim().is_empty() {
        return Ok(None);
    }
    let mut fields: Vec<Field> = Vec::with_capacity(18);
    let mut start: Option<(usize, usize)> = None;
    for (column, (i, c)) in content
        .char_indices()
        .chain(std::iter::once((content.len(), ' ')))
        .enumerate()
    {
        if c.is_whitespace() {
            if let Some((s, col)) = start.take() {
                fields.push(Field {
                    text: content[s..i].into(),
                    column: col,
                });
            }
        } else if start.is_none() {
            start = Some((i, column + 1));
        }
    }
    let get = |i: usize| fields.get(i);
    if fields.len() > 18 {
        return Err(RowError::new(
            "19th",
            get(18),
            "at most the 18 whitespace-separated fields of SWF",
        ));
    }
    if fields.len() < 5 {
        return Err(RowError::new(
            "run_time",
            None,
            "18 whitespace-separated fields (at least the first 5)",
        ));
    }
    let number = |i: usize| -> Result<i64, RowError> {
        get(i)
            .and_then(|f| time::seconds(&f.text))
            .ok_or_else(|| RowError::new(SWF_FIELDS[i], get(i), "a number (-1 when missing)"))
    };
    let submit = number(1)?;
    let wait = number(2)?;
    if wait < -1 {
        // -1 is SWF's "missing"; any other negative wait would start a job before its submit.
        return Err(RowError::new(
            SWF_FIELDS[2],
            get(2),
            "a wait ≥ 0 (-1 when missing)",
        ));
    }
    let run = number(3)?;
    if run < 0 {
        return Err(RowError::new(
            SWF_FIELDS[3],
            get(3),
            "a run time ≥ 0 (the job's duration)",
        ));
    }
    if !processors_as_gpus {
        return Err(RowError {
            field: SWF_FIELDS[4].to_string(),
            column: get(4).map_or(1, |f| f.column),
            expected:
                "GPUs: SWF counts processors, read as GPUs only with `--swf-processors-as-gpus`"
                    .to_string(),
            found: "processors".to_string(),
        });
    }
    // Processors are counted in whole units: `4.5` is not a count.
    let whole = |i: usize| -> Result<i64, RowError> {
        get(i)
            .and_then(|f| f.text.parse::<i64>().ok())
            .ok_or_else(|| {
                RowError::new(
                    SWF_FIELDS[i],
                    get(i),
                    "a whole number of processors (-1 when missing)",
                )
            })
    };
    let mut procs = whole(4)?;
    let mut at = 4;
    if procs < 0 && fields.len() > 7 {
        procs = whole(7)?;
        at = 7;
    }
    if procs < 0 || procs > i64::from(MAX_JOB_GPUS) {
        return Err(RowError::new(
            SWF_FIELDS[at],
            get(at),
            "a processor count from 0 (allocated, or requested when that is -1)",
        ));
    }
    let start = (wait >= 0).then(|| submit + wait);
    Ok(Some(Job::new(submit, start, run, procs as u32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str, format: TraceFormat, skip_bad: bool) -> Result<Trace, InputError> {
        read(
            "t.csv",
            text.as_bytes(),
            ReadOptions {
                format,
                skip_bad,
                processors_as_gpus: true,
            },
        )
    }

    #[test]
    fn csv_fields_keep_their_columns() {
        let f = split_csv("a,\"b,\"\"c\",d").unwrap();
        let texts: Vec<&str> = f.iter().map(|f| f.text.as_ref()).collect();
        assert_eq!(texts, ["a", "b,\"c", "d"]);
        let cols: Vec<usize> = f.iter().map(|f| f.column).collect();
        assert_eq!(cols, [1, 3, 11]);
        assert_eq!(split_csv("a,\"b").err(), Some(3));
    }

    #[test]
    fn own_csv_reads_seconds_and_iso_times() {
        let t = read_text(
            "job_id,submit,start,duration,gpus\n\
             a,0,5,10,2\n\
             b,60,,30.4,1\n\
             c,3,,4,0\n",
            TraceFormat::Csv,
            false,
        )
        .unwrap();
        assert_eq!(t.jobs.len(), 2);
        assert_eq!(t.cpu_only_jobs, 1);
        assert_eq!(
            (t.jobs[0].submit_s, t.jobs[0].start_s, t.jobs[0].duration_s),
            (0, Some(5), 10)
        );
        assert_eq!(
            (t.jobs[1].submit_s, t.jobs[1].start_s, t.jobs[1].duration_s),
            (60, None, 30)
        );
        assert_eq!(t.jobs[1].line, 3);
        // ISO times: seconds since 1970-01-01 00:00:00 UTC.
        let t = read_text(
            "submit,start,duration,gpus\n\
             1970-01-01T00:01:00Z,1970-01-01 00:01:05+00:00,30.4,1\n",
            TraceFormat::Csv,
            false,
        )
        .unwrap();
        assert_eq!(
            (t.jobs[0].submit_s, t.jobs[0].start_s, t.jobs[0].duration_s),
            (60, Some(65), 30)
        );
    }

    #[test]
    fn a_bad_field_is_named_with_its_line_and_column() {
        let e = read_text(
            "submit,duration,gpus\n0,10,1\n5,ten,1\n",
            TraceFormat::Csv,
            false,
        )
        .unwrap_err();
        assert_eq!(e.position, Some((3, 3)));
        assert_eq!(e.key.as_deref(), Some("duration"));
        assert!(
            e.to_string()
                .starts_with("t.csv:3:3: cannot read the `duration` field")
        );
        let t = read_text(
            "submit,duration,gpus\n0,10,1\n5,ten,1\nx,1,1\n7,1,1.5\n9,1,1\n",
            TraceFormat::Csv,
            true,
        )
        .unwrap();
        assert_eq!((t.jobs.len(), t.skipped_rows), (2, 3));
        assert_eq!(t.skipped_lines, [3, 4, 5]);
    }

    #[test]
    fn helios_log_takes_zoned_times_and_end_times() {
        let t = read_text(
            "job_id,user,vc,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time,duration,queue\n\
             1,u,v,8,8,1,COMPLETED,2023-03-01 00:18:22+08:00,2023-03-01 00:20:00+08:00,2023-03-01 01:20:00+08:00,3600,98\n\
             2,u,v,1,8,1,COMPLETED,2023-03-01 00:19:00+08:00,2023-03-01 00:19:30+08:00,2023-03-01 00:29:30+08:00,,30\n",
            TraceFormat::Helios,
            false,
        )
        .unwrap();
        assert_eq!(t.jobs[0].start_s.unwrap() - t.jobs[0].submit_s, 98);
        assert_eq!(t.jobs[1].duration_s, 600);
    }

    #[test]
    fn swf_needs_the_processor_flag() {
        let line = "1 0 10 100 4 -1 -1 4 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1";
        let job = swf_row(line, true).unwrap().unwrap();
        assert_eq!((job.start_s, job.duration_s, job.gpus), (Some(10), 100, 4));
        let e = swf_row(line, false).err().unwrap();
        assert_eq!(e.field, "allocated_processors");
        assert!(swf_row("; comment", false).unwrap().is_none());
        // A count of processors is whole; a wait is -1 (missing) or at least 0; SWF has 18
        // fields.
        let bad = |line: &str| swf_row(line, true).err().map(|e| e.field);
        let fractional = "1 0 10 100 4.5 -1 -1 4 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1";
        assert_eq!(bad(fractional).as_deref(), Some("allocated_processors"));
        let early = "1 0 -5 100 4 -1 -1 4 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1";
        assert_eq!(bad(early).as_deref(), Some("wait_time"));
        assert_eq!(bad(&format!("{line} 7")).as_deref(), Some("19th"));
        let missing = swf_row("1 0 -1 100 4", true).unwrap().unwrap();
        assert_eq!(missing.start_s, None);
    }

    #[test]
    fn a_column_named_twice_is_refused() {
        let e = read_text(
            "submit,duration,gpus,gpus\n0,10,1,99\n",
            TraceFormat::Csv,
            true,
        );
        let Err(e) = e else {
            panic!("refused, even with --skip-bad");
        };
        let text = e.to_string();
        assert!(text.contains("`gpus` twice, columns 3 and 4"), "{text}");
    }

    #[test]
    fn an_optional_column_named_twice_is_refused_too() {
        for (header, format, found) in [
            (
                "submit,start,duration,gpus,start\n",
                TraceFormat::Csv,
                "`start` twice, columns 2 and 5",
            ),
            (
                "submit_time,start_time,end_time,gpu_num,end_time\n",
                TraceFormat::Helios,
                "`end_time` twice, columns 3 and 5",
            ),
            (
                "submit_time,start_time,duration,gpu_num,duration\n",
                TraceFormat::Helios,
                "`duration` twice, columns 3 and 5",
            ),
        ] {
            let e = read_text(header, format, true).unwrap_err();
            assert!(e.found.as_deref() == Some(found), "{e}");
            assert_eq!(e.position.map(|p| p.0), Some(1));
        }
    }

    #[test]
    fn a_started_helios_job_needs_an_end_or_a_duration() {
        let header = "submit_time,start_time,end_time,duration,gpu_num\n";
        // Never started: no run time needed. Started: the duration, else end − start.
        let t = read_text(
            &format!("{header}0,,,,1\n0,,NaN,,1\n0,5,,7,1\n0,5,12,,1\n"),
            TraceFormat::Helios,
            false,
        )
        .unwrap();
        let runs: Vec<i64> = t.jobs.iter().map(|j| j.duration_s).collect();
        assert_eq!(runs, [0, 0, 7, 7]);
        for (row, key, column) in [
            ("0,5,,,1", "end_time", 5),
            ("0,5,NaN,,1", "end_time", 5),
            ("0,5,null,,1", "end_time", 5),
            ("0,5,,NaN,1", "duration", 6),
            ("0,5,9,null,1", "duration", 7),
            ("0,,,NaN,1", "duration", 5),
        ] {
            let e = read_text(&format!("{header}{row}\n"), TraceFormat::Helios, false).unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{row}: {e}");
            assert_eq!(e.position, Some((2, column)), "{row}: {e}");
            let t = read_text(&format!("{header}{row}\n"), TraceFormat::Helios, true).unwrap();
            assert_eq!((t.jobs.len(), t.skipped_rows), (0, 1), "{row}");
        }
        // Without `end_time`, the empty duration is named.
        let e = read_text(
            "submit_time,start_time,duration,gpu_num\n0,5,,1\n",
            TraceFormat::Helios,
            false,
        )
        .unwrap_err();
        assert_eq!(
            (e.key.as_deref(), e.position),
            (Some("duration"), Some((2, 5)))
        );
        // Without either column, the header is refused.
        let e = read_text(
            "submit_time,start_time,gpu_num\n0,,1\n",
            TraceFormat::Helios,
            true,
        )
        .unwrap_err();
        assert!(
            e.expected
                .as_deref()
                .unwrap()
                .contains("`end_time` or `duration`"),
            "{e}"
        );
    }

    #[test]
    fn a_row_must_have_as_many_fields_as_the_header() {
        for (text, format) in [
            ("submit,duration,gpus\n0,1,1,7\n", TraceFormat::Csv),
            ("submit,duration,gpus,note\n0,1,1\n", TraceFormat::Csv),
            (
                "u_id,interval,run_time,gpu_num\n1,0,10,1,x\n",
                TraceFormat::Helios,
            ),
            ("timestamp,duration,num_gpus\n0,1\n", TraceFormat::Philly),
        ] {
            let e = read_text(text, format, false).unwrap_err();
            assert_eq!(e.key.as_deref(), Some("line"), "{text:?}: {e}");
            assert_eq!(e.position.map(|p| p.0), Some(2), "{text:?}");
            let t = read_text(text, format, true).unwrap();
            assert_eq!((t.jobs.len(), t.skipped_rows), (0, 1), "{text:?}");
        }
        let e =
            read_text("submit,duration,gpus\n0,1,1,7,8\n", TraceFormat::Csv, false).unwrap_err();
        assert_eq!(e.position, Some((2, 7)));
        assert_eq!(
            e.expected.as_deref(),
            Some("3 comma-separated fields, as the header names")
        );
        assert_eq!(e.found.as_deref(), Some("5 fields"));
        // A trailing comma is a field, empty, as in the header.
        let t = read_text("submit,duration,gpus,\n0,1,1,\n", TraceFormat::Csv, false).unwrap();
        assert_eq!(t.jobs.len(), 1);
    }

    /// Jobs that ran 0 seconds are replayed and noted: they ask for no GPU-hours.
    #[test]
    fn jobs_of_no_seconds_are_noted() {
        let t = read_text(
            "submit,duration,gpus\n0,0,1\n5,0,2\n",
            TraceFormat::Csv,
            false,
        )
        .unwrap();
        assert_eq!(t.jobs.len(), 2);
        assert_eq!(
            t.notes(),
            ["2 of 2 GPU jobs ran 0 seconds: they ask for no GPU-hours (the trace asks for none)"]
        );
        let t = read_text(
            "submit,duration,gpus\n0,0,1\n5,60,2\n",
            TraceFormat::Csv,
            false,
        )
        .unwrap();
        assert_eq!(
            t.notes(),
            ["1 of 2 GPU jobs ran 0 seconds: it asks for no GPU-hours"]
        );
        let t = read_text("submit,duration,gpus\n5,60,2\n", TraceFormat::Csv, false).unwrap();
        assert!(t.notes().is_empty());
    }

    /// A row skipped for another fault does not set the trace's kind of time: the rows read
    /// after it are held to the first row that was read.
    #[test]
    fn a_skipped_row_sets_no_kind_of_time() {
        let text = "submit,duration,gpus\n\
                    0,1,many\n\
                    2023-03-01 00:00:00,1,1\n\
                    2023-03-01 00:00:05,1,2\n";
        let t = read_text(text, TraceFormat::Csv, true).unwrap();
        assert_eq!((t.jobs.len(), t.skipped_rows), (2, 1));
        // Without skipping, the first fault is the row's own.
        let e = read_text(text, TraceFormat::Csv, false).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("gpus"), "{e}");
        // A time of a later row of another kind is still refused, naming the first read row.
        let mixed = format!("{text}7,1,1\n");
        let e = read_text(&mixed, TraceFormat::Csv, true).unwrap_err();
        assert_eq!(
            e.problem,
            "the trace mixes numbers of seconds and ISO times"
        );
        assert!(e.expected.as_deref().unwrap().contains("on line 3"), "{e}");
        // The same in a Philly JSON log: a job skipped for its attempts, which are no list.
        let log = r#"[
  {"status": "Pass", "vc": "v1", "jobid": "a", "user": "u", "submitted_time": 5, "attempts": 7},
  {"status": "Pass", "vc": "v1", "jobid": "b", "user": "u", "submitted_time": "2017-10-03 04:00:00",
   "attempts": [{"start_time": "2017-10-03 04:00:30", "end_time": "2017-10-03 05:00:30",
                 "detail": [{"ip": "m1", "gpus": ["gpu0"]}]}]}
]"#;
        let t = read_text(log, TraceFormat::PhillyJson, true).unwrap();
        assert_eq!((t.jobs.len(), t.skipped_rows), (1, 1));
    }

    #[test]
    fn times_with_and_without_a_zone_do_not_mix() {
        let mixed = "submit,start,duration,gpus\n\
                     2023-03-01 00:00:00,,1,1\n\
                     2023-03-01 00:00:00,NaN,1,1\n\
                     2023-03-01 00:00:00,2023-03-01 00:00:01+00:00,1,1\n";
        for skip_bad in [false, true] {
            let e = read_text(mixed, TraceFormat::Csv, skip_bad).unwrap_err();
            assert_eq!(
                e.problem,
                "the trace mixes times with a zone and times without one"
            );
            assert_eq!(e.position, Some((4, 21)));
            assert_eq!(e.key.as_deref(), Some("start"));
            let expected = e.expected.as_deref().unwrap();
            assert!(expected.contains("an ISO time without a zone"), "{e}");
            assert!(expected.contains("`submit` on line 2"), "{e}");
        }
        // Every time with a zone, or every one without, with missing ones between: read.
        for text in [
            mixed.replace("+00:00", ""),
            mixed.replace("00:00:00,", "00:00:00Z,"),
        ] {
            read_text(&text, TraceFormat::Csv, false).unwrap();
        }
        // Numbers of seconds and ISO times, in either order, with a zone or without.
        for (text, at, first, later) in [
            (
                "submit,duration,gpus\n0,1,1\n2023-03-01 00:00:00,1,1\n",
                (3, 1),
                "a number of seconds, as the trace's first time is (`submit` on line 2: `0`)",
                "`2023-03-01 00:00:00`, an ISO time without a zone",
            ),
            (
                "submit,start,duration,gpus\n2023-03-01 00:00:00Z,7,1,1\n",
                (2, 22),
                "an ISO time with a zone, as the trace's first time is (`submit` on line 2: `2023-03-01 00:00:00Z`)",
                "`7`, a number of seconds",
            ),
        ] {
            for skip_bad in [false, true] {
                let e = read_text(text, TraceFormat::Csv, skip_bad).unwrap_err();
                assert_eq!(
                    e.problem,
                    "the trace mixes numbers of seconds and ISO times"
                );
                assert_eq!(e.position, Some(at), "{e}");
                assert_eq!(e.expected.as_deref(), Some(first));
                assert_eq!(e.found.as_deref(), Some(later));
            }
        }
        let numbers = PHILLY_JSON.replacen(
            "\"end_time\": \"2017-10-03 04:20:00\"",
            "\"end_time\": 1507004400",
            1,
        );
        assert_ne!(numbers, PHILLY_JSON);
        let e = read_text(&numbers, TraceFormat::PhillyJson, true).unwrap_err();
        assert_eq!(
            e.problem,
            "the trace mixes numbers of seconds and ISO times"
        );
        assert_eq!(
            e.found.as_deref(),
            Some("`1507004400`, a number of seconds")
        );
        // A Philly JSON log: by the job's path and line.
        let zoned = PHILLY_JSON.replacen(
            "\"end_time\": \"2017-10-03 04:20:00\"",
            "\"end_time\": \"2017-10-03 04:20:00Z\"",
            1,
        );
        assert_ne!(zoned, PHILLY_JSON);
        let e = read_text(&zoned, TraceFormat::PhillyJson, true).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("[2].attempts[1].end_time"), "{e}");
        assert_eq!(e.position.map(|p| p.0), Some(7));
        assert!(
            e.expected
                .as_deref()
                .unwrap()
                .contains("`[0].submitted_time` on line 2"),
            "{e}"
        );
        // PAI: the job table is on the task table's clock.
        let tasks = "j1,w,1,Terminated,2020-01-01 00:00:10,2020-01-01 00:01:00,6,2,100,V\n";
        let e = read_pai_text(tasks, Some("j1,i,u,T,2020-01-01 00:00:00Z,\n"), true).unwrap_err();
        assert!(e.to_string().starts_with("jobs.csv:1:"), "{e}");
        assert!(
            e.expected
                .as_deref()
                .unwrap()
                .contains("on line 1 of tasks.csv"),
            "{e}"
        );
        let t = read_pai_text(tasks, Some("j1,i,u,T,2020-01-01 00:00:00,\n"), false).unwrap();
        assert_eq!(t.jobs[0].start_s.unwrap() - t.jobs[0].submit_s, 10);
    }

    /// A Philly `cluster_job_log` in the original layout (times on the trace's own clock).
    const PHILLY_JSON: &str = r#"[
  {"status": "Pass", "vc": "v1", "jobid": "a", "user": "u", "submitted_time": "2017-10-03 04:00:00",
   "attempts": [{"start_time": "2017-10-03 04:00:30", "end_time": "2017-10-03 05:00:30",
                 "detail": [{"ip": "m1", "gpus": ["gpu0", "gpu1"]}, {"ip": "m2", "gpus": ["gpu3"]}]}]},
  {"status": "Killed", "vc": "v1", "jobid": "b", "user": "u", "submitted_time": "2017-10-03 04:01:00",
   "attempts": []},
  {"status": "Failed", "vc": "v2", "jobid": "c", "user": "u", "submitted_time": "2017-10-03 04:02:00",
   "attempts": [{"start_time": null, "end_time": null, "detail": []},
                {"start_time": "2017-10-03 04:10:00", "end_time": "2017-10-03 04:20:00",
                 "detail": [{"ip": "m3", "gpus": ["gpu0", "gpu1"]}]},
                {"start_time": "2017-10-03 04:30:00", "end_time": "2017-10-03 04:35:00",
                 "detail": [{"ip": "m3", "gpus": ["gpu0", "gpu1", "gpu2", "gpu3"]}]}]},
  {"status": "Pass", "vc": "v2", "jobid": "d", "user": "u", "submitted_time": "2017-10-03 04:03:00",
   "attempts": [{"start_time": "2017-10-03 04:03:00", "end_time": "2017-10-03 04:04:00", "detail": []}]}
]"#;

    /// A field written twice in one object is refused, naming its path in the job; JSON
    /// readers would keep the later value without a word.
    #[test]
    fn philly_json_refuses_a_field_written_twice() {
        let twice = PHILLY_JSON.replacen(
            "\"submitted_time\": \"2017-10-03 04:01:00\",",
            "\"submitted_time\": \"2017-10-03 04:01:00\", \"submitted_time\": \"2017-10-03 03:00:00\",",
            1,
        );
        assert_ne!(twice, PHILLY_JSON);
        let e = read_text(&twice, TraceFormat::PhillyJson, false).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("t.csv:5:3:"), "{text}");
        assert!(text.contains("key: `[1].submitted_time`"), "{text}");
        assert!(
            text.contains("found: `submitted_time` written twice"),
            "{text}"
        );
        // In an attempt, by its path; --skip-bad leaves the job out and counts it.
        let nested = PHILLY_JSON.replacen(
            "\"end_time\": \"2017-10-03 04:20:00\",",
            "\"end_time\": \"2017-10-03 04:20:00\", \"end_time\": \"2017-10-03 04:25:00\",",
            1,
        );
        assert_ne!(nested, PHILLY_JSON);
        let e = read_text(&nested, TraceFormat::PhillyJson, false).unwrap_err();
        assert!(
            e.to_string().contains("key: `[2].attempts[1].end_time`"),
            "{e}"
        );
        let t = read_text(&nested, TraceFormat::PhillyJson, true).unwrap();
        assert_eq!((t.jobs.len(), t.skipped_rows), (1, 1));
        // Equal keys in different objects are no repetition.
        let t = read_text(PHILLY_JSON, TraceFormat::PhillyJson, false).unwrap();
        assert_eq!(t.skipped_rows, 0);
    }

    #[test]
    fn philly_json_reads_jobs_from_their_attempts() {
        let t = read_text(PHILLY_JSON, TraceFormat::PhillyJson, false).unwrap();
        // `date -u -d "2017-10-03 04:00:00" +%s` = 1507003200.
        let submit = 1_507_003_200;
        assert_eq!(t.jobs.len(), 2);
        let a = t.jobs[0];
        // Job a: 2 + 1 GPUs on two servers, 30 s in the queue, one hour's run; its `{` is on
        // line 2.
        assert_eq!(
            (a.line, a.submit_s, a.start_s, a.duration_s, a.gpus),
            (2, submit, Some(submit + 30), 3_600, 3)
        );
        // Job c (its `{` on line 7): the attempt that never started is passed over; the first start is 04:10, 8
        // minutes after the submit at 04:02; it ran 10 + 5 minutes; its largest attempt held 4.
        let c = t.jobs[1];
        assert_eq!(
            (
                c.line,
                c.start_s.unwrap() - c.submit_s,
                c.duration_s,
                c.gpus
            ),
            (7, 480, 900, 4)
        );
        // Job b never started; job d held no GPU.
        assert_eq!(
            (t.unstarted_jobs, t.cpu_only_jobs, t.skipped_rows),
            (1, 1, 0)
        );
    }

    #[test]
    fn philly_json_names_the_job_and_its_line() {
        // An attempt still running when the log was written (no end) cannot be replayed.
        let text = PHILLY_JSON.replace(
            r#""end_time": "2017-10-03 04:35:00""#,
            r#""end_time": null"#,
        );
        let e = read_text(&text, TraceFormat::PhillyJson, false).unwrap_err();
        assert_eq!(e.position, Some((7, 3)));
        assert_eq!(e.key.as_deref(), Some("[2].attempts[2].end_time"));
        assert!(
            e.to_string()
                .starts_with("t.csv:7:3: cannot read the `end_time` field of job [2]"),
            "{e}"
        );
        assert_eq!(e.found.as_deref(), Some("`null`"));
        let t = read_text(&text, TraceFormat::PhillyJson, true).unwrap();
        assert_eq!((t.jobs.len(), t.skipped_rows), (1, 1));
        assert_eq!(t.skipped_lines, [7]);

        // A start before the submission, an end before the start, a time that is not one.
        for (from, to, key) in [
            (
                r#""start_time": "2017-10-03 04:00:30""#,
                r#""start_time": "2017-10-03 03:59:59""#,
                "[0].attempts[0].start_time",
            ),
            (
                r#""end_time": "2017-10-03 04:20:00""#,
                r#""end_time": "2017-10-03 04:09:59""#,
                "[2].attempts[1].end_time",
            ),
            (
                r#""submitted_time": "2017-10-03 04:01:00""#,
                r#""submitted_time": "yesterday""#,
                "[1].submitted_time",
            ),
            (r#""attempts": []"#, r#""attempts": 3"#, "[1].attempts"),
            (
                r#""gpus": ["gpu3"]"#,
                r#""gpus": "gpu3""#,
                "[0].attempts[0].detail[1].gpus",
            ),
        ] {
            let text = PHILLY_JSON.replace(from, to);
            assert_ne!(text, PHILLY_JSON);
            let e = read_text(&text, TraceFormat::PhillyJson, false).unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{e}");
        }

        // Broken JSON cannot be skipped: the parser's line and column, and the job it was in.
        let text = PHILLY_JSON.replacen(r#""vc": "v1","#, r#""vc": "v1",,"#, 2);
        let e = read_text(&text, TraceFormat::PhillyJson, true).unwrap_err();
        assert_eq!(e.problem, "the trace is not valid JSON");
        assert_eq!(e.key.as_deref(), Some("[0]"));
        assert_eq!(e.position.map(|p| p.0), Some(2));
    }

    #[test]
    fn philly_json_refuses_what_is_not_a_list_of_jobs() {
        for (text, problem) in [
            ("", "the trace is empty"),
            (" \n", "the trace is empty"),
            ("{}", "the trace is not a JSON list of jobs"),
            ("[] []", "the trace goes on after its list of jobs"),
            ("[1,", "the trace is not valid JSON"),
        ] {
            let e = read_text(text, TraceFormat::PhillyJson, true).unwrap_err();
            assert_eq!(e.problem, problem, "{text:?}");
        }
        let e = read_text("[1]", TraceFormat::PhillyJson, false).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("[0]"));
        // An empty list is an empty trace; a byte-order mark is passed over.
        let t = read_text("\u{feff}[]", TraceFormat::PhillyJson, false).unwrap();
        assert!(t.jobs.is_empty());
    }

    /// Reads a PAI task table and job table given as text.
    fn read_pai_text(tasks: &str, jobs: Option<&str>, skip_bad: bool) -> Result<Trace, InputError> {
        read_pai(
            "tasks.csv",
            tasks.as_bytes(),
            jobs.map(|j| ("jobs.csv", j.as_bytes())),
            ReadOptions {
                format: TraceFormat::Pai,
                skip_bad,
                processors_as_gpus: false,
            },
        )
    }

    /// PAI task rows, as released (no header): job_name, task_name, inst_num, status,
    /// start_time, end_time, plan_cpu, plan_mem, plan_gpu, gpu_type.
    const PAI_TASKS: &str = "\
j1,tensorflow,1.0,Terminated,1000.0,4600.0,600.0,29.3,50.0,MISC
j2,ps,1.0,Terminated,1100.0,1200.0,600.0,29.3,,
j1,worker,2.0,Terminated,990.0,4000.0,600.0,29.3,100.0,V100
j3,worker,1.0,Waiting,,,600.0,29.3,100.0,T4
j4,worker,8.0,Terminated,2000.0,2600.0,600.0,29.3,12.5,T4
j5,worker,10.0,Terminated,3000.0,3360.0,600.0,29.3,10.0,P100
j6,worker,3.0,Failed,5000.0,5720.0,600.0,29.3,33.0,T4
";
    const PAI_JOBS: &str = "\
j1,i1,u1,Terminated,900.0,4600.0
j2,i2,u1,Terminated,1100.0,1200.0
j4,i4,u2,Terminated,1990.0,2600.0
j5,i5,u2,Terminated,,3360.0
j6,i6,u3,Failed,4000.0,5720.0
j9,i9,u2,Terminated,,
";

    #[test]
    fn pai_gathers_tasks_into_jobs_and_rounds_gpus_up() {
        let t = read_pai_text(PAI_TASKS, Some(PAI_JOBS), false).unwrap();
        let got: Vec<(u64, i64, Option<i64>, i64, u32)> = t
            .jobs
            .iter()
            .map(|j| (j.line, j.submit_s, j.start_s, j.duration_s, j.gpus))
            .collect();
        assert_eq!(
            got,
            [
                // j1: 1 × 50 % + 2 × 100 % = 2.5 GPUs → 3; earliest start 990 (line 3),
                // latest end 4600; submitted at 900 by the job table.
                (1, 900, Some(990), 3_610, 3),
                // j4: 8 × 12.5 % = exactly 1 GPU.
                (5, 1_990, Some(2_000), 600, 1),
                // j5: 10 × 10 % = 1 GPU (not 1.0000000000000002 → 2); no submission recorded,
                // so submitted at its start.
                (6, 3_000, Some(3_000), 360, 1),
                // j6: 3 × 33 % = 0.99 GPU → 1.
                (7, 4_000, Some(5_000), 720, 1),
            ]
        );
        // j2 asked for no GPU; j3 never started.
        assert_eq!((t.cpu_only_jobs, t.unstarted_jobs), (1, 1));
        assert_eq!(t.submit_unknown_jobs, 1);
        assert_eq!(t.rounded_jobs, 2);
        // Added by rounding: 0.5 GPU × 3,610 s and 0.01 GPU × 720 s.
        let added = (0.5 * 3_610.0 + 0.01 * 720.0) / 3_600.0;
        assert!((t.rounding_gpu_hours - added).abs() < 1e-12);
        assert_eq!(t.job_table, JobTable::Read("jobs.csv".to_string()));
        let notes = t.notes().join("\n");
        assert!(notes.contains("adding 0.50 GPU-hours"), "{notes}");
        assert!(notes.contains("no submission time in jobs.csv"), "{notes}");
    }

    #[test]
    fn pai_reads_a_header_or_none_alike() {
        let plain = read_pai_text(PAI_TASKS, Some(PAI_JOBS), false).unwrap();
        // The columns named in a header, in another order; the job table with its header.
        let mut tasks = String::from(
            "plan_gpu,job_name,task_name,inst_num,status,start_time,end_time,plan_cpu,plan_mem,gpu_type\n",
        );
        for line in PAI_TASKS.lines() {
            let f: Vec<&str> = line.split(',').collect();
            tasks.push_str(&format!(
                "{},{}\n",
                f[8],
                [&f[..8], &f[9..]].concat().join(",")
            ));
        }
        let jobs = format!("job_name,inst_id,user,status,start_time,end_time\n{PAI_JOBS}");
        let named = read_pai_text(&tasks, Some(&jobs), false).unwrap();
        let key = |t: &Trace| -> Vec<(i64, Option<i64>, i64, u32)> {
            t.jobs
                .iter()
                .map(|j| (j.submit_s, j.start_s, j.duration_s, j.gpus))
                .collect()
        };
        assert_eq!(key(&plain), key(&named));
        assert_eq!(named.jobs[0].line, 2);
        // A header without a needed column is refused, even with --skip-bad.
        let e = read_pai_text("job_name,task_name,start_time,end_time\n", None, true).unwrap_err();
        assert!(e.expected.as_deref().unwrap().contains("`inst_num`"), "{e}");
        let e = read_pai_text("", None, true).unwrap_err();
        assert_eq!(e.problem, "the trace is empty");
    }

    #[test]
    fn pai_without_a_job_table_submits_at_the_first_task_start() {
        let t = read_pai_text(PAI_TASKS, None, false).unwrap();
        assert!(t.jobs.iter().all(|j| j.start_s == Some(j.submit_s)));
        assert_eq!(t.submit_unknown_jobs, t.jobs.len());
        assert_eq!(t.job_table, JobTable::NotGiven);
    }

    #[test]
    fn pai_bad_rows_are_named_or_skipped_with_their_job() {
        // j4's task still running: a start and no end.
        let tasks = PAI_TASKS.replace("2000.0,2600.0", "2000.0,");
        let e = read_pai_text(&tasks, Some(PAI_JOBS), false).unwrap_err();
        assert_eq!(e.position, Some((5, 33)));
        assert_eq!(e.key.as_deref(), Some("end_time"));
        assert!(
            e.to_string().starts_with("tasks.csv:5:33: cannot read"),
            "{e}"
        );
        let t = read_pai_text(&tasks, Some(PAI_JOBS), true).unwrap();
        assert_eq!(
            (t.jobs.len(), t.skipped_rows, t.skipped_lines.clone()),
            (3, 1, vec![5])
        );
        // A bad row of a job with other rows leaves the whole job out.
        let tasks = PAI_TASKS.replace("2.0,Terminated,990.0", "two,Terminated,990.0");
        let t = read_pai_text(&tasks, Some(PAI_JOBS), true).unwrap();
        assert_eq!(t.jobs[0].submit_s, 1_990);
        assert_eq!((t.skipped_rows, t.skipped_lines.clone()), (1, vec![3]));
        // A submission after the job's first task started, in the job table.
        let jobs = PAI_JOBS.replace("1990.0", "2001.0");
        let e = read_pai_text(PAI_TASKS, Some(&jobs), false).unwrap_err();
        assert!(e.to_string().starts_with("jobs.csv:3:"), "{e}");
        assert_eq!(e.key.as_deref(), Some("start_time"));
        let t = read_pai_text(PAI_TASKS, Some(&jobs), true).unwrap();
        // Counted with the line of the job's first task.
        assert_eq!((t.jobs.len(), t.skipped_lines.clone()), (3, vec![5]));
        // An end before the start; a negative or fractional instance count; GPUs that are not a number.
        for (from, to, field) in [
            ("1100.0,1200.0", "1100.0,1099.0", "end_time"),
            ("j4,worker,8.0", "j4,worker,-8", "inst_num"),
            ("j4,worker,8.0", "j4,worker,1.5", "inst_num"),
            ("j4,worker,8.0", "j4,\"worker,8.0", "line"),
            ("29.3,12.5,T4", "29.3,x,T4", "plan_gpu"),
            (
                "j3,worker,1.0,Waiting,,",
                "j3,worker,1.0,Waiting,,5",
                "start_time",
            ),
        ] {
            let tasks = PAI_TASKS.replace(from, to);
            assert_ne!(tasks, PAI_TASKS);
            let e = read_pai_text(&tasks, None, false).unwrap_err();
            assert_eq!(e.key.as_deref(), Some(field), "{e}");
        }
    }

    #[test]
    fn pai_refuses_nan_gpus_columns_named_twice_and_jobs_listed_twice() {
        // `NaN` is not the empty `plan_gpu` of a CPU task.
        let tasks = PAI_TASKS.replace("29.3,12.5,T4", "29.3,NaN,T4");
        let e = read_pai_text(&tasks, None, false).unwrap_err();
        assert_eq!(
            (e.key.as_deref(), e.position),
            (Some("plan_gpu"), Some((5, 51)))
        );
        let t = read_pai_text(&tasks, None, true).unwrap();
        assert_eq!((t.skipped_lines.clone(), t.cpu_only_jobs), (vec![5], 1));

        // A column read named twice, in either table; one not read may be.
        let e = read_pai_text(
            "job_name,inst_num,start_time,end_time,plan_gpu,inst_num\n",
            None,
            true,
        )
        .unwrap_err();
        assert_eq!(
            e.found.as_deref(),
            Some("`inst_num` twice, columns 2 and 6")
        );
        assert_eq!(e.position, Some((1, 48)));
        let e = read_pai_text(PAI_TASKS, Some("job_name,job_name,start_time\n"), true).unwrap_err();
        assert!(e.to_string().starts_with("jobs.csv:1:10:"), "{e}");
        let t = read_pai_text(
            "job_name,inst_num,start_time,end_time,plan_gpu,status,status\nj,1,1,2,100,a,b\n",
            Some("job_name,status,start_time,status\nj,a,0,b\n"),
            false,
        )
        .unwrap();
        assert_eq!(t.jobs[0].submit_s, 0);

        // A job with two rows in the job table, even with the same submission; rows of jobs
        // without tasks are not read.
        let jobs = format!("{PAI_JOBS}j9,i9,u2,Terminated,,\nj4,i4,u2,Terminated,1990.0,2600.0\n");
        let e = read_pai_text(PAI_TASKS, Some(&jobs), false).unwrap_err();
        assert!(e.to_string().starts_with("jobs.csv:8:1:"), "{e}");
        assert!(
            e.expected
                .as_deref()
                .unwrap()
                .contains("`j4` has one on line 3"),
            "{e}"
        );
        let t = read_pai_text(PAI_TASKS, Some(&jobs), true).unwrap();
        assert_eq!((t.jobs.len(), t.skipped_lines.clone()), (3, vec![5]));
    }

    #[test]
    fn pai_rows_have_as_many_fields_as_their_table() {
        // A field too many in the task table; one too few in the job table.
        let tasks = PAI_TASKS.replace("12.5,T4", "12.5,T4,x");
        let e = read_pai_text(&tasks, None, false).unwrap_err();
        assert_eq!(
            (e.key.as_deref(), e.position),
            (Some("line"), Some((5, 59)))
        );
        assert!(
            e.expected
                .as_deref()
                .unwrap()
                .contains("10 comma-separated fields"),
            "{e}"
        );
        let jobs = PAI_JOBS.replace("j4,i4,u2,", "j4,i4,");
        let e = read_pai_text(PAI_TASKS, Some(&jobs), false).unwrap_err();
        assert!(e.to_string().starts_with("jobs.csv:3:"), "{e}");
        assert_eq!(e.found.as_deref(), Some("5 fields"));
        let t = read_pai_text(PAI_TASKS, Some(&jobs), true).unwrap();
        assert_eq!((t.jobs.len(), t.skipped_lines.clone()), (3, vec![5]));
        // With a header, as many as it names.
        let e = read_pai_text(
            "job_name,inst_num,start_time,end_time,plan_gpu\nj,1,1,2,100,x\n",
            None,
            false,
        )
        .unwrap_err();
        assert_eq!(
            e.expected.as_deref(),
            Some("5 comma-separated fields, as the header names")
        );
    }

    #[test]
    fn the_pai_job_table_is_found_by_name() {
        assert_eq!(
            pai_job_table(Path::new("d/pai_task_table.csv")),
            Path::new("d/pai_job_table.csv")
        );
        assert_eq!(
            pai_job_table(Path::new("d/pai_task_table-sample.csv")),
            Path::new("d/pai_job_table-sample.csv")
        );
        assert_eq!(
            pai_job_table(Path::new("tasks.csv")),
            Path::new("pai_job_table.csv")
        );
    }
}

//! Reading GPU job traces, one line at a time.
//!
//! Each format names its columns in a header (SWF has none; its fields are by position), and
//! columns are found by name, so extra columns and any column order are accepted. A row that
//! cannot be read is an error naming the file, the line, the column and the field; with
//! `skip_bad` it is counted and skipped instead, and the first few line numbers are kept for
//! the message. Jobs that ask for no GPU (CPU jobs of mixed clusters) are counted and left out.

use super::time;
use super::{Job, TraceFormat};
use crate::error::InputError;
use std::io::BufRead;

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

impl RowError {
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
    let mut trace = Trace::default();
    let mut state = State::new(options);
    let mut lines = Lines::new(reader);
    while let Some((number, line)) = lines.next_line(display)? {
        if line.trim().is_empty() {
            continue;
        }
        match state.row(&line) {
            Ok(Some(job)) if job.gpus == 0 => trace.cpu_only_jobs += 1,
            Ok(Some(mut job)) => {
                job.line = number;
                trace.jobs.push(job);
            }
            Ok(None) => {}
            Err(Problem::Header(e)) => return Err(e.with_file(display, number)),
            Err(Problem::Row(_)) if options.skip_bad => {
                trace.skipped_rows += 1;
                if trace.skipped_lines.len() < SHOWN_SKIPPED_LINES {
                    trace.skipped_lines.push(number);
                }
            }
            Err(Problem::Row(e)) => {
                return Err(InputError::new(
                    display,
                    format!("cannot read the `{}` field of a job", e.field),
                )
                .at_position(number as usize, e.column)
                .at_key(e.field)
                .expected(e.expected)
                .found(e.found)
                .hint("`--skip-bad` skips such rows, counts them and names the first few lines"));
            }
        }
    }
    if state.header.is_none() && options.format != TraceFormat::Swf {
        return Err(InputError::new(display, "the trace is empty")
            .expected(format!("a header line ({})", header_of(options.format)))
            .found("no line"));
    }
    Ok(trace)
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
    }
}

/// A problem with the header (always fatal) or with a row (skippable).
enum Problem {
    Header(HeaderError),
    Row(RowError),
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
        .hint("`--trace-format` chooses the layout: csv, helios, philly or swf")
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
    /// Helios interval layout: the submit time of the previous job.
    clock: i64,
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
    fn new(options: ReadOptions) -> State {
        State {
            options,
            header: None,
            clock: 0,
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
            return Ok(None);
        };
        let get = |i: usize| fields.get(i);
        let job = match *layout {
            Layout::Csv {
                submit,
                start,
                duration,
                gpus,
            } => {
                let submit_s = parse_time("submit", get(submit))?;
                let start_s = optional_time("start", start.and_then(get))?;
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
                let submit_s = parse_time("submit_time", get(submit))?;
                let start_s = optional_time("start_time", get(start))?;
                let start_s = check_start("start_time", start_s, submit_s, get(start))?;
                let recorded = match duration.and_then(get) {
                    Some(f) if !is_missing(&f.text) => Some(parse_duration("duration", Some(f))?),
                    _ => None,
                };
                let run = match (recorded, start_s, end.and_then(get)) {
                    (Some(d), _, _) => d,
                    (None, Some(s), Some(f)) if !is_missing(&f.text) => {
                        let e = parse_time("end_time", Some(f))?;
                        if e < s {
                            return Err(Problem::Row(RowError::new(
                                "end_time",
                                Some(f),
                                "a time at or after `start_time`",
                            )));
                        }
                        e - s
                    }
                    _ => 0,
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
                parse_time("timestamp", get(timestamp))?,
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
    let need = |name: &str| {
        columns.find(name).ok_or_else(|| HeaderError {
            expected: format!("a column named `{name}` ({})", header_of(format)),
            found: format!(
                "`{}`",
                crate::limits::printable(&columns.names.join(","))
                    .chars()
                    .take(200)
                    .collect::<String>()
            ),
            column: 1,
        })
    };
    Ok(match format {
        TraceFormat::Csv => Layout::Csv {
            submit: need("submit")?,
            start: columns.find("start"),
            duration: need("duration")?,
            gpus: need("gpus")?,
        },
        TraceFormat::Helios if columns.find("interval").is_some() => Layout::HeliosInterval {
            interval: need("interval")?,
            run_time: need("run_time")?,
            gpus: need("gpu_num")?,
        },
        TraceFormat::Helios => Layout::HeliosLog {
            submit: need("submit_time")?,
            start: need("start_time")?,
            end: columns.find("end_time"),
            duration: columns.find("duration"),
            gpus: need("gpu_num")?,
        },
        TraceFormat::Philly => Layout::Philly {
            timestamp: need("timestamp")?,
            duration: need("duration")?,
            gpus: need("num_gpus")?,
        },
        TraceFormat::Swf => {
            return Err(HeaderError {
                expected: header_of(format).to_string(),
                found: "a header".to_string(),
                column: 1,
            });
        }
    })
}

fn parse_time(name: &str, f: Option<&Field>) -> Result<i64, Problem> {
    f.and_then(|f| time::time(&f.text)).ok_or_else(|| {
        Problem::Row(RowError::new(
            name,
            f,
            "seconds (at most 1e12), or an ISO date and time such as `2023-03-01 00:18:22+08:00`",
        ))
    })
}

fn optional_time(name: &str, f: Option<&Field>) -> Result<Option<i64>, Problem> {
    match f {
        Some(field) if !is_missing(&field.text) => parse_time(name, f).map(Some),
        _ => Ok(None),
    }
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
    let mut procs = number(4)?;
    let mut at = 4;
    if procs < 0 && fields.len() > 7 {
        procs = number(7)?;
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
             b,1970-01-01T00:01:00Z,,30.4,1\n\
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
    }
}

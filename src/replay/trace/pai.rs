//! The Alibaba PAI 2020 trace (alibaba/clusterdata, `cluster-trace-gpu-v2020`): a task table,
//! `job_name,task_name,inst_num,status,start_time,end_time,plan_cpu,plan_mem,plan_gpu,gpu_type`,
//! and a job table, `job_name,inst_id,user,status,start_time,end_time`, whose `start_time` is the
//! job's submission. The release has no header rows; a header naming the columns is accepted.
//!
//! A job is the rows of the task table with its `job_name`, in any order: its GPUs are
//! Σ `inst_num` × `plan_gpu` / 100 (`plan_gpu` is in percent of one GPU), rounded up to whole
//! GPUs; its recorded start is its earliest task start and its duration the latest task end less
//! that start. The task table is read first, then the job table for the submissions of the jobs
//! found (its other rows are passed over unread; a job's second row is a bad row). Times are
//! Unix seconds.

use super::{
    Field, HeaderError, JobTable, Lines, MAX_JOB_GPUS, Problem, ReadOptions, RowError, Trace,
    Zones, is_missing, split_csv,
};
use crate::error::InputError;
use crate::replay::{Job, time};
use std::collections::HashMap;
use std::io::BufRead;

/// The task table's columns, in the release's order.
const TASK_COLUMNS: [&str; 10] = [
    "job_name",
    "task_name",
    "inst_num",
    "status",
    "start_time",
    "end_time",
    "plan_cpu",
    "plan_mem",
    "plan_gpu",
    "gpu_type",
];

/// The job table's columns, in the release's order.
const JOB_COLUMNS: [&str; 6] = [
    "job_name",
    "inst_id",
    "user",
    "status",
    "start_time",
    "end_time",
];

/// A sum of GPUs this close to a whole number is that number: `plan_gpu` percentages such as 10
/// are not exact in binary, and ten tasks of 10 % must make one GPU, not two.
const WHOLE_GPU_TOLERANCE: f64 = 1e-9;

/// The tasks of one job gathered so far.
struct Gathered {
    /// Line of its first task row.
    line: u64,
    /// Σ `inst_num` × `plan_gpu` [% of one GPU].
    gpu_percent: f64,
    first_start: Option<i64>,
    last_end: i64,
    /// Its submission, from the job table.
    submit: Option<i64>,
    /// The line of its row in the job table, once read (a second row is refused).
    job_table_line: Option<u64>,
    /// A row of the job could not be read (and was skipped): the job is left out.
    bad: bool,
}

/// Column indexes: found by name in a header, or the release's positions.
struct Columns {
    names: Vec<String>,
    /// The column (in characters) of each name on the header line.
    at: Vec<usize>,
    /// Whether the names come from a header (else they are the release's).
    header: bool,
}

impl Columns {
    /// The layout of a table whose first line is `fields`: a header when a field is `job_name`
    /// (no job is named so), else `None`, the line being a row.
    fn of(fields: &[Field]) -> Option<Columns> {
        let names: Vec<String> = fields
            .iter()
            .map(|f| f.text.trim().to_ascii_lowercase())
            .collect();
        names.iter().any(|n| n == "job_name").then(|| Columns {
            names,
            at: fields.iter().map(|f| f.column).collect(),
            header: true,
        })
    }

    fn release(names: &[&str]) -> Columns {
        Columns {
            names: names.iter().map(|n| n.to_string()).collect(),
            at: vec![1; names.len()],
            header: false,
        }
    }

    /// How many fields each row of `table` must have.
    fn width(&self, table: &'static str) -> Width {
        Width {
            fields: self.names.len(),
            header: self.header,
            table,
        }
    }

    /// The index of column `name`, which the header must name once.
    fn need(&self, name: &str, header: &str) -> Result<usize, HeaderError> {
        // Named twice, the reader would have to pick one.
        let named: Vec<usize> = (0..self.names.len())
            .filter(|&i| self.names[i] == name)
            .collect();
        if let [first, second, ..] = named[..] {
            return Err(HeaderError {
                expected: format!("each column named once ({header}, or no header)"),
                found: format!("`{name}` twice, columns {} and {}", first + 1, second + 1),
                column: self.at[second],
            });
        }
        named.first().copied().ok_or_else(|| HeaderError {
            expected: format!("a column named `{name}` ({header}, or no header)"),
            found: format!(
                "`{}`",
                crate::limits::printable(&self.names.join(","))
                    .chars()
                    .take(200)
                    .collect::<String>()
            ),
            column: 1,
        })
    }
}

/// Where the task table's fields are.
struct TaskLayout {
    /// The number of fields of a row: as many as the header names, or the release's 10.
    width: Width,
    job: usize,
    instances: usize,
    start: usize,
    end: usize,
    gpu: usize,
}

impl TaskLayout {
    fn new(c: &Columns) -> Result<TaskLayout, HeaderError> {
        let header = TASK_COLUMNS.join(",");
        Ok(TaskLayout {
            width: c.width("task table"),
            job: c.need("job_name", &header)?,
            instances: c.need("inst_num", &header)?,
            start: c.need("start_time", &header)?,
            end: c.need("end_time", &header)?,
            gpu: c.need("plan_gpu", &header)?,
        })
    }
}

/// The jobs gathered from the task table, in the order of their first rows.
#[derive(Default)]
struct Jobs {
    index: HashMap<Box<str>, usize>,
    gathered: Vec<Gathered>,
    /// Whether the tables' ISO times name their zone (both tables are on one clock).
    zones: Zones,
}

/// Reads a PAI task table and, when given, its job table (README "Trace replay", `pai`).
/// Without a job table every job is taken as submitted when its first task started.
pub fn read<J: BufRead>(
    display: &str,
    tasks: impl BufRead,
    job_table: Option<(&str, J)>,
    options: ReadOptions,
) -> Result<Trace, InputError> {
    let mut trace = Trace::default();
    let mut jobs = Jobs {
        zones: Zones::new(display),
        ..Jobs::default()
    };
    let mut lines = Lines::new(tasks);
    let mut layout: Option<TaskLayout> = None;
    while let Some((number, line)) = lines.next_line(display)? {
        if line.trim().is_empty() {
            continue;
        }
        let fields = match split_csv(&line) {
            Ok(fields) => fields,
            Err(_) if options.skip_bad => {
                trace.skip(number);
                continue;
            }
            Err(column) => return Err(unclosed_quote(column).at(display, number)),
        };
        if layout.is_none() {
            let header = Columns::of(&fields);
            let release = Columns::release(&TASK_COLUMNS);
            layout = Some(
                TaskLayout::new(header.as_ref().unwrap_or(&release))
                    .map_err(|e| e.with_file(display, number))?,
            );
            if header.is_some() {
                continue;
            }
        }
        let Some(columns) = &layout else { continue };
        match jobs.task(columns, number, &fields) {
            Ok(()) => {}
            Err(Problem::Row(_)) if options.skip_bad => trace.skip(number),
            Err(Problem::Row(e)) => return Err(e.at(display, number)),
            Err(Problem::Mixed(e)) => return Err(e.error()),
            Err(Problem::Header(e)) => return Err(e.with_file(display, number)),
        }
    }
    if layout.is_none() {
        return Err(InputError::new(display, "the trace is empty")
            .expected(format!(
                "rows of the PAI task table ({})",
                TASK_COLUMNS.join(",")
            ))
            .found("no line"));
    }
    if let Some((table, reader)) = job_table {
        jobs.read_job_table(table, reader, options, &mut trace)?;
        trace.job_table = JobTable::Read(table.to_string());
    }
    jobs.finish(&mut trace);
    Ok(trace)
}

/// A line whose quote at `column` is not closed, or is followed by more than a comma.
fn unclosed_quote(column: usize) -> RowError {
    RowError {
        field: "line".to_string(),
        column,
        expected: "CSV fields separated by commas, quotes closed".to_string(),
        found: "an unclosed or misplaced quote".to_string(),
    }
}

/// The number of fields of each row of a table, as its header names or as released.
#[derive(Clone, Copy)]
struct Width {
    fields: usize,
    header: bool,
    table: &'static str,
}

/// Checks that a row has as many fields as its table: a field too many or too few shifts the
/// columns, and which of them is which would be a guess.
fn width(fields: &[Field], w: Width) -> Result<(), RowError> {
    if fields.len() == w.fields {
        return Ok(());
    }
    let last = fields
        .last()
        .map_or(1, |f| f.column + f.text.chars().count());
    Err(RowError {
        field: "line".to_string(),
        column: fields.get(w.fields).map_or(last, |f| f.column),
        expected: if w.header {
            format!("{} comma-separated fields, as the header names", w.fields)
        } else {
            format!(
                "{} comma-separated fields, as the PAI {} has (without a header)",
                w.fields, w.table
            )
        },
        found: format!(
            "{} field{}",
            fields.len(),
            if fields.len() == 1 { "" } else { "s" }
        ),
    })
}

/// A number of a row: finite, from 0 to `most`, whole if asked.
fn number(
    name: &str,
    f: Option<&Field>,
    most: f64,
    whole: bool,
    expected: &str,
) -> Result<f64, RowError> {
    match f.and_then(|f| f.text.trim().parse::<f64>().ok()) {
        Some(v) if (0.0..=most).contains(&v) && (!whole || v.fract() == 0.0) => Ok(v),
        _ => Err(RowError::new(name, f, expected)),
    }
}

impl Jobs {
    /// Takes in one task row; an error marks its job bad (left out if the row is skipped).
    fn task(&mut self, c: &TaskLayout, number: u64, fields: &[Field]) -> Result<(), Problem> {
        let get = |i: usize| fields.get(i);
        let name = match get(c.job) {
            Some(f) if !f.text.trim().is_empty() => f.text.trim(),
            f => {
                return Err(Problem::Row(RowError::new(
                    "job_name",
                    f,
                    "the name of the task's job",
                )));
            }
        };
        let at = match self.index.get(name) {
            Some(&i) => i,
            None => {
                self.index.insert(name.into(), self.gathered.len());
                self.gathered.push(Gathered {
                    line: number,
                    gpu_percent: 0.0,
                    first_start: None,
                    last_end: i64::MIN,
                    submit: None,
                    job_table_line: None,
                    bad: false,
                });
                self.gathered.len() - 1
            }
        };
        let job = &mut self.gathered[at];
        if job.bad {
            return Ok(());
        }
        self.zones.begin(number);
        let result = task_into(job, c, fields, &mut self.zones);
        job.bad = result.is_err();
        if result.is_ok() {
            self.zones.accept();
        }
        result
    }

    /// Reads the submissions of the jobs gathered from the job table.
    fn read_job_table(
        &mut self,
        display: &str,
        reader: impl BufRead,
        options: ReadOptions,
        trace: &mut Trace,
    ) -> Result<(), InputError> {
        let mut lines = Lines::new(reader);
        let mut columns: Option<(Width, usize, usize)> = None;
        self.zones.file = display.to_string();
        while let Some((number, line)) = lines.next_line(display)? {
            if line.trim().is_empty() {
                continue;
            }
            // A row that cannot be split cannot be told apart from the rows of jobs the task
            // table does not have, which are not read either.
            let Ok(fields) = split_csv(&line) else {
                continue;
            };
            if columns.is_none() {
                let header = Columns::of(&fields);
                let release = Columns::release(&JOB_COLUMNS);
                let c = header.as_ref().unwrap_or(&release);
                let names = JOB_COLUMNS.join(",");
                columns = Some((
                    c.width("job table"),
                    c.need("job_name", &names)
                        .map_err(|e| e.with_file(display, number))?,
                    c.need("start_time", &names)
                        .map_err(|e| e.with_file(display, number))?,
                ));
                if header.is_some() {
                    continue;
                }
            }
            let Some((table_width, job, submit)) = columns else {
                continue;
            };
            let Some(name_field) = fields.get(job) else {
                continue;
            };
            let name = name_field.text.trim();
            let Some(&at) = self.index.get(name) else {
                continue;
            };
            let gathered = &mut self.gathered[at];
            if gathered.bad {
                continue;
            }
            self.zones.begin(number);
            let read = match gathered.job_table_line {
                // Two rows would leave the reader to pick the job's submission.
                Some(first) => Err(Problem::Row(RowError {
                    field: "job_name".to_string(),
                    column: name_field.column,
                    expected: format!(
                        "one row per job in the job table: `{}` has one on line {first}",
                        crate::limits::printable(name)
                    ),
                    found: format!("a second row of `{}`", crate::limits::printable(name)),
                })),
                None => {
                    gathered.job_table_line = Some(number);
                    width(&fields, table_width)
                        .map_err(Problem::Row)
                        .and_then(|()| submission(gathered, fields.get(submit), &mut self.zones))
                }
            };
            match read {
                Ok(()) => self.zones.accept(),
                Err(Problem::Row(_)) if options.skip_bad => {
                    gathered.bad = true;
                    trace.skip(gathered.line);
                }
                Err(Problem::Row(e)) => return Err(e.at(display, number)),
                Err(Problem::Mixed(e)) => return Err(e.error()),
                Err(Problem::Header(e)) => return Err(e.with_file(display, number)),
            }
        }
        Ok(())
    }

    /// The jobs, in the order of their first task rows.
    fn finish(self, trace: &mut Trace) {
        for g in self.gathered.into_iter().filter(|g| !g.bad) {
            let exact = g.gpu_percent / 100.0;
            let exact = if (exact - exact.round()).abs() < WHOLE_GPU_TOLERANCE {
                exact.round()
            } else {
                exact
            };
            if exact == 0.0 {
                trace.cpu_only_jobs += 1;
                continue;
            }
            let Some(start) = g.first_start else {
                trace.unstarted_jobs += 1;
                continue;
            };
            let submit = g.submit.unwrap_or_else(|| {
                trace.submit_unknown_jobs += 1;
                start
            });
            let duration = g.last_end - start;
            // At most MAX_JOB_GPUS, checked row by row.
            let gpus = exact.ceil();
            if gpus > exact {
                trace.rounded_jobs += 1;
                trace.rounding_gpu_hours += (gpus - exact) * duration as f64 / 3_600.0;
            }
            let mut job = Job::new(submit, Some(start), duration, gpus as u32);
            job.line = g.line;
            trace.jobs.push(job);
        }
    }
}

/// Adds one task row to its job: its GPUs, and its start and end when it ran.
fn task_into(
    job: &mut Gathered,
    c: &TaskLayout,
    fields: &[Field],
    zones: &mut Zones,
) -> Result<(), Problem> {
    let get = |i: usize| fields.get(i);
    width(fields, c.width)?;
    let most = f64::from(MAX_JOB_GPUS);
    let instances = number(
        "inst_num",
        get(c.instances),
        most,
        true,
        &format!("a whole number of instances from 0 to {MAX_JOB_GPUS}"),
    )?;
    // Only an empty `plan_gpu` is none: `NaN` is no number of GPUs.
    let plan = match get(c.gpu) {
        Some(f) if f.text.trim().is_empty() => 0.0,
        f => number(
            "plan_gpu",
            f,
            most * 100.0,
            false,
            "the GPUs of one instance in percent of a GPU (50 = half, 800 = 8), empty for none",
        )?,
    };
    let percent = job.gpu_percent + instances * plan;
    if percent > most * 100.0 {
        return Err(RowError::new(
            "plan_gpu",
            get(c.gpu),
            &format!("at most {MAX_JOB_GPUS} GPUs for a whole job (Σ inst_num × plan_gpu / 100)"),
        )
        .into());
    }
    let start = zones.optional_time("start_time", get(c.start))?;
    let end = zones.optional_time("end_time", get(c.end))?;
    match (start, end) {
        (None, None) => {}
        (None, Some(_)) => {
            return Err(RowError::new(
                "start_time",
                get(c.start),
                "the start of a task that has an end",
            )
            .into());
        }
        (Some(_), None) => {
            return Err(RowError::new(
                "end_time",
                get(c.end),
                "the end of a started task (one still running when the trace was written cannot \
                 be replayed)",
            )
            .into());
        }
        (Some(s), Some(e)) if e < s => {
            return Err(RowError::new(
                "end_time",
                get(c.end),
                "a time at or after the task's `start_time`",
            )
            .into());
        }
        (Some(s), Some(e)) => {
            let first = job.first_start.map_or(s, |f| f.min(s));
            let last = job.last_end.max(e);
            if last - first > time::MAX_SECONDS {
                return Err(RowError::new(
                    "end_time",
                    get(c.end),
                    "the tasks of one job within 1e12 seconds of each other",
                )
                .into());
            }
            job.first_start = Some(first);
            job.last_end = last;
        }
    }
    job.gpu_percent = percent;
    Ok(())
}

/// The job's submission from its job-table row: no later than its first task start.
fn submission(job: &mut Gathered, f: Option<&Field>, zones: &mut Zones) -> Result<(), Problem> {
    let submit = match f {
        Some(field) if !is_missing(&field.text) => zones.time("start_time", f)?,
        _ => return Ok(()),
    };
    if let Some(first) = job.first_start
        && submit > first
    {
        return Err(Problem::Row(RowError::new(
            "start_time",
            f,
            &format!("the job's submission, at or before its earliest task start ({first} s)"),
        )));
    }
    job.submit = Some(submit);
    Ok(())
}

//! Trace replay: GPU job logs replayed against an owned cluster, with cloud burst priced.
//!
//! A trace ([`trace`]) gives each job's submit time, duration and GPU count, and sometimes the
//! time it really started. The simulator ([`sim`]) is event-driven (arrivals, finishes and burst
//! deadlines on a binary heap, times in whole seconds): it places jobs on nodes with gang
//! scheduling and best fit, orders the queue by a [`Policy`], sends jobs to the cloud by a
//! [`Burst`] rule, and measures waits, utilisation and queue length exactly. [`stats`] turns the
//! outcome into the figures the README defines, and [`render`] prints them. Nothing here
//! prints or reads the clock.

pub mod charts;
pub mod policy;
pub mod render;
pub mod scenario;
pub mod sim;
pub mod stats;
pub mod time;
pub mod trace;

pub use sim::{Burst, Cluster, Config, Policy};

/// One job of a trace. Times are in seconds on the trace's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// Line of the job in its trace file (1-based), for messages.
    pub line: u64,
    /// When the job was submitted [s].
    pub submit_s: i64,
    /// When it started in the recorded run, if the trace says [s].
    pub start_s: Option<i64>,
    /// How long it ran [s]; also the estimate EASY backfilling plans with.
    pub duration_s: i64,
    /// GPUs it runs on, all at once (gang scheduled).
    pub gpus: u32,
}

impl Job {
    pub fn new(submit_s: i64, start_s: Option<i64>, duration_s: i64, gpus: u32) -> Job {
        Job {
            line: 0,
            submit_s,
            start_s,
            duration_s,
            gpus,
        }
    }
}

/// The layouts `tcosim replay` reads (README "Trace replay" lists their columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    /// tcosim's own CSV: `job_id,submit,start,duration,gpus`.
    Csv,
    /// The Helios/Acme Slurm-style log, or the Helios interval sample.
    Helios,
    /// The Philly trace condensed to one row per job: `timestamp,duration,num_gpus,...`.
    Philly,
    /// The Standard Workload Format of the Parallel Workloads Archive.
    Swf,
    /// The original Philly `cluster_job_log`: a JSON list of jobs with their attempts.
    PhillyJson,
    /// The Alibaba PAI 2020 task table, with the job table beside it for submissions.
    Pai,
}

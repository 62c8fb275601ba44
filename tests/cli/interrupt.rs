//! Long work is visible and can be stopped: Ctrl-C (SIGINT) and SIGTERM stop a long Monte Carlo
//! run, sweep or report promptly, with exit code 130 or 143, one line on stderr, nothing
//! written and nothing temporary left; a previous report stays byte-identical. On a terminal a
//! progress bar shows, never with `--quiet`.

#![cfg(unix)]

use crate::report::contents;
use crate::support::{BASE, Scratch, arg, entries, repo};
use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FLEET: &str = "scenarios/inference-fleet.toml";

/// The most samples a run may ask for: about half an hour of work in a release build.
const ALL_SAMPLES: &str = "100000000";

/// How long the tests let a run work before they signal it.
const WORK_BEFORE_SIGNAL: Duration = Duration::from_secs(1);

/// How long a signalled run may take to stop. It stops within a chunk of samples or a grid
/// point (well under a second even in a debug build), or when the watchdog ends it a second
/// after the signal; the margin is for a loaded machine.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a process may take to start and install its signal handlers.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Exit codes of a run stopped by SIGINT and by SIGTERM (128 + the signal's number).
const EXIT_SIGINT: i32 = 130;
const EXIT_SIGTERM: i32 = 143;

/// A scenario whose sweep takes hours: 100,000 grid points with 1,000 samples each.
fn endless_sweep(scratch: &Scratch) -> std::path::PathBuf {
    scratch.write(
        "sweep.toml",
        &format!(
            "{BASE}\n[sweep]\nobjective = \"p90_pv_cost\"\nsamples = 1000\n\n[[sweep.parameter]]\n\
             path = \"option[own].servers\"\nfrom = 0\nto = 99999\nstep = 1\n"
        ),
    )
}

fn spawn<I, S>(args: I) -> Child
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_tcosim"))
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tcosim starts")
}

/// Waits until process `pid` catches SIGINT and SIGTERM (Linux: its `SigCgt` mask), so that a
/// signal sent next reaches the handlers and not the default action.
fn wait_for_handlers(pid: u32) {
    let status = format!("/proc/{pid}/status");
    if !Path::new(&status).exists() {
        std::thread::sleep(WORK_BEFORE_SIGNAL);
        return;
    }
    let wanted = (1u64 << (libc::SIGINT - 1)) | (1u64 << (libc::SIGTERM - 1));
    let start = Instant::now();
    loop {
        let caught = std::fs::read_to_string(&status)
            .ok()
            .and_then(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("SigCgt:"))
                    .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            })
            .unwrap_or(0);
        if caught & wanted == wanted {
            return;
        }
        assert!(
            start.elapsed() < START_TIMEOUT,
            "tcosim did not install its signal handlers"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Lets `child` work for a second, sends it `signal`, and returns its output once it ended.
fn signal_after_a_second(mut child: Child, signal: i32) -> std::process::Output {
    wait_for_handlers(child.id());
    std::thread::sleep(WORK_BEFORE_SIGNAL);
    assert!(
        child.try_wait().expect("poll tcosim").is_none(),
        "the run ended before it was signalled; the test needs a longer one"
    );
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    // SAFETY: `kill` has no memory effects; `pid` is our own child, not yet waited for.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill failed");
    let start = Instant::now();
    while child.try_wait().expect("poll tcosim").is_none() {
        if start.elapsed() > STOP_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tcosim did not stop within {STOP_TIMEOUT:?} of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("tcosim output")
}

/// Asserts the promise of an interrupted run: its exit code, nothing on stdout, and exactly one
/// line on stderr naming the signal.
fn assert_interrupted(out: &std::process::Output, code: i32, name: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr:\n{err}");
    assert!(out.stdout.is_empty(), "printed on stdout");
    assert_eq!(
        err,
        format!("error: interrupted by {name}, nothing was written\n"),
        "one line on stderr"
    );
}

#[test]
fn ctrl_c_stops_a_long_monte_carlo_run_and_writes_nothing() {
    let scratch = Scratch::new();
    let target = scratch.path("out.json");
    let child = spawn([
        arg("run"),
        arg(FLEET),
        arg("--samples"),
        arg(ALL_SAMPLES),
        arg("--format"),
        arg("json"),
        arg("--output"),
        arg(&target),
    ]);
    let out = signal_after_a_second(child, libc::SIGINT);
    assert_interrupted(&out, EXIT_SIGINT, "SIGINT");
    assert!(!target.exists(), "out.json was written");
    assert!(
        entries(scratch.dir.path()).is_empty(),
        "left {:?}",
        entries(scratch.dir.path())
    );
}

#[test]
fn sigterm_stops_a_long_monte_carlo_run_and_keeps_an_earlier_output() {
    let scratch = Scratch::new();
    let target = scratch.write("out.json", "earlier result");
    let child = spawn([
        arg("run"),
        arg(FLEET),
        arg("--samples"),
        arg(ALL_SAMPLES),
        arg("--output"),
        arg(&target),
    ]);
    let out = signal_after_a_second(child, libc::SIGTERM);
    assert_interrupted(&out, EXIT_SIGTERM, "SIGTERM");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "earlier result");
    assert_eq!(entries(scratch.dir.path()), ["out.json"]);
}

#[test]
fn sigterm_ends_a_long_deterministic_run_that_does_not_check_for_it() {
    // 300 hybrids queueing a year's waits over 600 months: seconds of work in one call of the
    // model, which checks no flag; the watchdog ends it a second after the signal.
    let scratch = Scratch::new();
    let mut text = String::from(
        "name = \"long\"\nhorizon_months = 600\nstart = \"2027-01\"\ndiscount_rate = 0.1\n\
         reference_accelerator = \"h100-sxm\"\n\n[[workload]]\nname = \"w\"\n\
         gpu_hours_per_month = 6000\nprofile = \"bursty\"\nmax_wait_hours = 8760\n",
    );
    for i in 0..300 {
        text.push_str(&format!(
            "\n[[option]]\nname = \"o{i}\"\nkind = \"hybrid\"\nserver = \"hgx-h100-oem\"\n\
             servers = {}\nsite = \"us-tx-colo\"\noffer = \"lambda-gpu_8x_h100_sxm5\"\n",
            i % 5
        ));
    }
    let scenario = scratch.write("long.toml", &text);
    let target = scratch.write("out.csv", "earlier result");
    let child = spawn([
        arg("run"),
        arg(&scenario),
        arg("--format"),
        arg("csv"),
        arg("--output"),
        arg(&target),
    ]);
    let out = signal_after_a_second(child, libc::SIGTERM);
    assert_interrupted(&out, EXIT_SIGTERM, "SIGTERM");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "earlier result");
    assert_eq!(entries(scratch.dir.path()), ["long.toml", "out.csv"]);
}

#[test]
fn a_signal_stops_a_long_sweep_and_writes_neither_output_nor_chart() {
    let scratch = Scratch::new();
    let scenario = endless_sweep(&scratch);
    for (signal, code, name) in [
        (libc::SIGINT, EXIT_SIGINT, "SIGINT"),
        (libc::SIGTERM, EXIT_SIGTERM, "SIGTERM"),
    ] {
        // Quiet: the scenario's P90 objective without uncertain inputs is warned about.
        let child = spawn([
            arg("sweep"),
            arg(&scenario),
            arg("--quiet"),
            arg("--output"),
            arg(&scratch.path("sweep.json")),
            arg("--chart"),
            arg(&scratch.path("sweep.svg")),
        ]);
        let out = signal_after_a_second(child, signal);
        assert_interrupted(&out, code, name);
        assert_eq!(entries(scratch.dir.path()), ["sweep.toml"]);
    }
}

#[test]
fn a_signal_stops_a_long_report_and_leaves_the_earlier_one_byte_identical() {
    let scratch = Scratch::new();
    let out = scratch.path("report");
    crate::support::success([
        arg("report"),
        arg(FLEET),
        arg("--out"),
        arg(&out),
        arg("--samples"),
        arg("0"),
        arg("-q"),
    ]);
    let before = contents(&out);
    for (signal, code, name) in [
        (libc::SIGTERM, EXIT_SIGTERM, "SIGTERM"),
        (libc::SIGINT, EXIT_SIGINT, "SIGINT"),
    ] {
        let child = spawn([
            arg("report"),
            arg(FLEET),
            arg("--out"),
            arg(&out),
            arg("--samples"),
            arg(ALL_SAMPLES),
        ]);
        let stopped = signal_after_a_second(child, signal);
        assert_interrupted(&stopped, code, name);
        assert!(contents(&out) == before, "the earlier report changed");
        assert_eq!(entries(scratch.dir.path()), ["report"], "no leftovers");
    }
    // A sweep in a report stops too, and a default folder is not created.
    let sweep = endless_sweep(&scratch);
    let child = Command::new(env!("CARGO_BIN_EXE_tcosim"))
        .current_dir(scratch.dir.path())
        .args([arg("report"), arg(&sweep)])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tcosim starts");
    let stopped = signal_after_a_second(child, libc::SIGINT);
    assert_interrupted(&stopped, EXIT_SIGINT, "SIGINT");
    assert_eq!(entries(scratch.dir.path()), ["report", "sweep.toml"]);
}

/// Output of a command run on a terminal (a pseudo-terminal made by util-linux `script`), read
/// as it comes; Ctrl-C can be typed into it.
struct Terminal {
    child: Child,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl Terminal {
    /// `None` where `script` is missing.
    fn run(command: &str) -> Option<Terminal> {
        let probe = Command::new("script").arg("--version").output();
        if !probe.is_ok_and(|o| o.status.success()) {
            eprintln!("skipped: no util-linux `script` to make a terminal");
            return None;
        }
        let mut child = Command::new("script")
            .args([
                "--quiet",
                "--flush",
                "--return",
                "--command",
                command,
                "/dev/null",
            ])
            .current_dir(repo())
            .env_remove("NO_COLOR")
            .env("TERM", "xterm")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("script starts");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut stdout = child.stdout.take().expect("piped stdout");
        let sink = Arc::clone(&seen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Some(Terminal { child, seen })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).to_string()
    }

    /// Waits until the terminal shows `needle`; panics with what it shows after `timeout`.
    fn wait_for(&self, needle: &str, timeout: Duration) {
        let start = Instant::now();
        while !self.text().contains(needle) {
            assert!(
                start.elapsed() < timeout,
                "the terminal never showed `{needle}`:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types Ctrl-C and returns the command's exit code.
    fn ctrl_c(mut self) -> (Option<i32>, String) {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().expect("piped stdin");
        stdin.write_all(b"\x03").expect("type Ctrl-C");
        stdin.flush().expect("flush");
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll script") {
                break status;
            }
            if start.elapsed() > STOP_TIMEOUT {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("Ctrl-C did not stop the command:\n{}", self.text());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // Let the reader drain what is left.
        std::thread::sleep(Duration::from_millis(200));
        (status.code(), self.text())
    }
}

fn shell_words(args: &[&Path]) -> String {
    args.iter()
        .map(|a| format!("'{}'", a.display()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn on_a_terminal_a_sweep_shows_a_progress_bar_and_ctrl_c_stops_it() {
    let scratch = Scratch::new();
    let scenario = endless_sweep(&scratch);
    let bin = Path::new(env!("CARGO_BIN_EXE_tcosim"));
    let output = scratch.path("sweep.json");
    let sweep = Path::new("sweep");
    let flag = Path::new("--output");
    let command = format!(
        "exec {}",
        shell_words(&[bin, sweep, &scenario, flag, &output])
    );
    let Some(term) = Terminal::run(&command) else {
        return;
    };
    term.wait_for("samples over 100000 grid points", START_TIMEOUT);
    let (code, text) = term.ctrl_c();
    assert_eq!(code, Some(EXIT_SIGINT), "{text}");
    assert!(
        text.contains("interrupted by SIGINT, nothing was written"),
        "{text}"
    );
    assert_eq!(entries(scratch.dir.path()), ["sweep.toml"]);
}

#[test]
fn on_a_terminal_a_report_shows_a_progress_bar_but_not_with_quiet() {
    let scratch = Scratch::new();
    let bin = Path::new(env!("CARGO_BIN_EXE_tcosim"));
    let out = scratch.path("report");
    let words = |quiet: bool| {
        let mut words: Vec<&Path> = vec![
            bin,
            Path::new("report"),
            Path::new(FLEET),
            Path::new("--out"),
            &out,
            Path::new("--samples"),
            Path::new(ALL_SAMPLES),
        ];
        if quiet {
            words.push(Path::new("--quiet"));
        }
        format!("exec {}", shell_words(&words))
    };
    let Some(term) = Terminal::run(&words(false)) else {
        return;
    };
    term.wait_for("samples", START_TIMEOUT);
    let (code, text) = term.ctrl_c();
    assert_eq!(code, Some(EXIT_SIGINT), "{text}");
    assert!(text.contains("/100000000 samples"), "{text}");

    let Some(term) = Terminal::run(&words(true)) else {
        return;
    };
    // Long enough for the bar to appear (after half a second) if it were shown.
    std::thread::sleep(Duration::from_secs(2));
    let (code, text) = term.ctrl_c();
    assert_eq!(code, Some(EXIT_SIGINT), "{text}");
    assert!(!text.contains("samples"), "a bar with --quiet:\n{text}");
    assert!(
        text.contains("interrupted by SIGINT, nothing was written"),
        "the interruption is reported even with --quiet:\n{text}"
    );
    assert!(entries(scratch.dir.path()).is_empty());
}

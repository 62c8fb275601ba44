//! Shared helpers: running the binary, writing inputs into a temporary folder, and checking the
//! promise every rejected input must keep (exit code 2, a message on stderr, nothing on stdout,
//! no `--output` file).

use assert_cmd::Command;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;
use tempfile::TempDir;

/// Exit code of bad input or usage.
pub const EXIT_INPUT: i32 = 2;

/// The repository root, where the example scenarios and catalogs live.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tcosim` run from the repository root, without colours.
pub fn tcosim() -> Command {
    let mut cmd = Command::cargo_bin("tcosim").expect("the tcosim binary is built");
    cmd.current_dir(repo()).env("NO_COLOR", "1");
    cmd
}

/// Runs `tcosim` with `args` and returns its output, whatever the exit code.
pub fn output<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    tcosim().args(args).output().expect("tcosim starts")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// Asserts a successful run and returns its stdout.
pub fn success<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<S> = args.into_iter().collect();
    let out = output(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "tcosim {:?} failed\nstderr:\n{}",
        args.iter().map(|a| a.as_ref()).collect::<Vec<_>>(),
        stderr(&out)
    );
    stdout(&out)
}

/// The example scenarios shipped in `scenarios/`, relative to the repository root, sorted.
pub fn example_scenarios() -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(repo().join("scenarios"))
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable entry").file_name())
        .filter_map(|n| n.to_str().map(str::to_string))
        .filter(|n| n.ends_with(".toml"))
        .map(|n| format!("scenarios/{n}"))
        .collect();
    found.sort();
    assert!(
        found.len() >= 3,
        "expected the example scenarios, found {found:?}"
    );
    found
}

/// A small valid scenario with one option of each kind; tests break one thing in it at a time.
/// Options: 0 `own` (onprem), 1 `rent` (cloud), 2 `mix` (hybrid).
pub const BASE: &str = r#"name = "test scenario"
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
name = "own"
kind = "onprem"
server = "dgx-h100"
servers = 2
site = "us-tx-colo"

[[option]]
name = "rent"
kind = "cloud"
offer = "aws-p5.48xlarge-us-east-1"

[[option]]
name = "mix"
kind = "hybrid"
server = "dgx-h100"
servers = 1
site = "us-tx-colo"
offer = "aws-p5.48xlarge-us-east-1"
"#;

/// `text` with the single occurrence of `from` replaced by `to` (panics if `from` is not there
/// exactly once, so that a changed template cannot make a test pass vacuously).
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` should occur exactly once in\n{text}"
    );
    text.replacen(from, to, 1)
}

/// 1-based line and column of the first occurrence of `needle` in `text`.
pub fn line_col(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in\n{text}"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map(|p| p + 1).unwrap_or(0)..]
        .chars()
        .count()
        + 1;
    (line, col)
}

/// 1-based line of the first line of `text` that contains `needle`.
pub fn line_of(text: &str, needle: &str) -> usize {
    line_col(text, needle).0
}

/// A temporary folder for one test's inputs and outputs.
pub struct Scratch {
    pub dir: TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `text` to `name` (creating parent folders) and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(&path, text).expect("write input file");
        path
    }

    /// Files in the scratch folder (recursively), relative, sorted.
    pub fn listing(&self) -> Vec<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).expect("read scratch folder") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    out.push(
                        path.strip_prefix(root)
                            .expect("inside root")
                            .display()
                            .to_string(),
                    );
                }
            }
        }
        let mut out = Vec::new();
        walk(self.dir.path(), self.dir.path(), &mut out);
        out.sort();
        out
    }
}

/// Asserts that `tcosim args` is rejected as bad input: exit code 2, nothing on stdout, and a
/// message on stderr that contains every one of `needles`. Returns stderr.
pub fn rejected(args: &[&OsStr], needles: &[&str]) -> String {
    let out = output(args);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(EXIT_INPUT),
        "tcosim {args:?} should exit with {EXIT_INPUT}\nstdout:\n{}\nstderr:\n{err}",
        stdout(&out)
    );
    assert!(
        out.stdout.is_empty(),
        "tcosim {args:?} printed on stdout:\n{}",
        stdout(&out)
    );
    assert!(
        err.starts_with("error: "),
        "the message should start with `error: `:\n{err}"
    );
    for needle in needles {
        assert!(
            err.contains(needle),
            "stderr of tcosim {args:?} should contain `{needle}`:\n{err}"
        );
    }
    err
}

/// Asserts that `tcosim run <args>` is rejected as bad input (see [`rejected`]), and that the
/// same run with `--output FILE` writes no file. Returns stderr.
pub fn run_rejected(args: &[&OsStr], needles: &[&str]) -> String {
    let mut full: Vec<&OsStr> = vec![OsStr::new("run")];
    full.extend_from_slice(args);
    let err = rejected(&full, needles);

    let out_dir = Scratch::new();
    let target = out_dir.path("result.json");
    full.extend_from_slice(&[OsStr::new("--format"), OsStr::new("json")]);
    full.extend_from_slice(&[OsStr::new("--output"), target.as_os_str()]);
    let again = rejected(&full, needles);
    assert_eq!(err, again, "the message should not depend on --output");
    assert!(
        out_dir.listing().is_empty(),
        "a rejected run wrote {:?}",
        out_dir.listing()
    );
    err
}

/// Shorthand for a path as a command-line argument.
pub fn arg<P: AsRef<Path> + ?Sized>(p: &P) -> &OsStr {
    p.as_ref().as_os_str()
}

/// A complete, valid `servers.toml` row with id `test-server` (8 H100 SXM).
pub const SERVER_ROW: &str = r#"[[server]]
id = "test-server"
name = "Test 8-GPU server"
accelerator = "h100-sxm"
accelerator_count = 8
max_power_kw = 10.0
idle_fraction = 0.25
price_usd = 300000.0
rack_units = 8
warranty_years = 3.0
support_pct_per_year = 10.0
source = "integration test"
as_of = "2026-06-01"
"#;

/// A complete, valid `sites.toml` row with id `test-site`.
pub const SITE_ROW: &str = r#"[[site]]
id = "test-site"
name = "Test colocation"
country = "US"
currency = "USD"
electricity_per_kwh = 0.10
pue = 1.4
colocation_per_kw_month = 150.0
grid_co2_g_per_kwh = 300.0
source = "integration test"
as_of = "2026-06-01"
"#;

/// The header of `cloud-offers.csv`.
pub const OFFERS_HEADER: &str = "id,provider,instance_type,region,accelerator,accelerator_count,on_demand_usd_per_hour,spot_usd_per_hour,commit_1y_usd_per_hour,commit_3y_usd_per_hour,source,as_of,estimate,note\n";

/// A `cloud-offers.csv` row with id `test-offer`: 8 H100 at `on_demand` USD/h, spot at `spot`
/// (empty for none).
pub fn offer_row(on_demand: &str, spot: &str) -> String {
    format!(
        "test-offer,aws,test.48xlarge,us-east-1,h100-sxm,8,{on_demand},{spot},,,integration test,2026-06-01,false,\n"
    )
}

/// The manifest every report folder holds.
pub const MANIFEST: &str = ".tcosim-report.json";

/// Names in `dir` that a run may leave behind when it fails to clean up: hidden staging
/// folders and temporary files (`.NAME.tcosim-tmp-XXXXXX`, tempfile's `.tmpXXXXXX`), sorted.
pub fn leftovers(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .expect("readable folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("tcosim-tmp") || n.starts_with(".tmp"))
        .collect();
    found.sort();
    found
}

/// Every entry of `dir` (not recursive), hidden ones included, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .expect("readable folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    found.sort();
    found
}

/// The option named `name` among the `options` of a JSON output.
pub fn option_named<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["options"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["name"] == name))
        .unwrap_or_else(|| panic!("no option `{name}`"))
}

/// The number at `key` of a JSON object.
#[track_caller]
pub fn number(v: &serde_json::Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is not a number: {}", v[key]))
}

/// `tcosim run FILE --format json` on `text`, written as `s.toml` in `scratch`.
pub fn run_json_of(scratch: &Scratch, text: &str) -> serde_json::Value {
    run_json_with(scratch, text, &[])
}

/// [`run_json_of`] with `extra` arguments (`--catalog DIR`, `--samples N`, ...).
pub fn run_json_with(scratch: &Scratch, text: &str, extra: &[&OsStr]) -> serde_json::Value {
    let path = scratch.write("s.toml", text);
    let mut args = vec![arg("run"), arg(&path), arg("--format"), arg("json")];
    args.extend_from_slice(extra);
    serde_json::from_str(&success(args)).expect("JSON")
}

/// The drivers `tcosim diff --format json` finds from `before` to `after` (scenario texts,
/// with `extra` arguments): each changed input's name, and the sum of their contributions to
/// the PV of option `option`.
pub fn diff_drivers(
    scratch: &Scratch,
    before: &str,
    after: &str,
    extra: &[&OsStr],
    option: &str,
) -> (Vec<String>, f64) {
    let (a, b) = (
        scratch.write("a.toml", before),
        scratch.write("b.toml", after),
    );
    let mut args = vec![arg("diff"), arg(&a), arg(&b), arg("--format"), arg("json")];
    args.extend_from_slice(extra);
    let doc: serde_json::Value = serde_json::from_str(&success(args)).expect("JSON");
    let drivers = doc["drivers"].as_array().expect("drivers");
    let names = drivers
        .iter()
        .map(|d| d["input"].as_str().expect("an input").to_string())
        .collect();
    let total = drivers
        .iter()
        .map(|d| number(&d["contributions"], option))
        .sum();
    (names, total)
}

/// Asserts that `found` is `expected` (worked out independently) to 1e-9 relative.
#[track_caller]
pub fn assert_close(found: f64, expected: f64, what: &str) {
    assert!(
        (found - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{what}: {found} vs {expected} by hand"
    );
}

//! Inputs from a hostile-input campaign that once hung, printed NaN, panicked or slipped through
//! with a wrong number: each must now either run to finite figures or be refused with exit code
//! 2 and a message that names the file, the line or key, and what was expected.

use crate::support::{
    BASE, OFFERS_HEADER, SERVER_ROW, Scratch, arg, edit, offer_row, output, rejected, run_rejected,
    stderr, stdout, success,
};
use std::ffi::OsStr;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

/// Longest a run of these small scenarios may take before it counts as a hang; generous, since
/// tests share the machine (a hang never ends).
const HANG: Duration = Duration::from_secs(60);

/// Runs `tcosim args` from the repository root and kills it if it outlives [`HANG`]; returns
/// (exit code, stdout, stderr), exit code `None` for a run that had to be killed.
fn bounded(args: &[&OsStr]) -> (Option<i32>, String, String) {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("tcosim"))
        .args(args)
        .current_dir(crate::support::repo())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tcosim starts");
    let start = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().expect("wait") {
            let out = child.wait_with_output().expect("output");
            return (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if start.elapsed() > HANG {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            return (
                None,
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A profile file of 8,760 values: `first`, then `rest` in every other hour.
fn extreme_profile(first: &str, rest: &str) -> String {
    let mut text = format!("{first}\n");
    for _ in 1..8760 {
        text.push_str(rest);
        text.push('\n');
    }
    text
}

/// The base scenario with its workload on `profile.csv`, a hybrid option, and an uncertain
/// `demand_scale`.
fn scenario_on_profile() -> String {
    let mut s = edit(BASE, "profile = \"flat\"", "profile = \"profile.csv\"");
    s.push_str(
        "\n[[uncertain]]\npath = \"demand_scale\"\ndistribution = \"uniform\"\nlow = 0.5\nhigh = 1.5\n",
    );
    s
}

/// Every number in a JSON document, by walking it.
fn numbers(v: &serde_json::Value, out: &mut Vec<f64>, nulls: &mut Vec<String>, at: &str) {
    match v {
        serde_json::Value::Number(n) => out.push(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                numbers(x, out, nulls, &format!("{at}[{i}]"));
            }
        }
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                numbers(x, out, nulls, &format!("{at}.{k}"));
            }
        }
        serde_json::Value::Null => nulls.push(at.to_string()),
        _ => {}
    }
}

/// Figures that are `null` only when they do not exist (no payback, no IRR, no owned GPUs);
/// a money, energy or GPU-hour total is never `null`.
const NEVER_NULL: [&str; 6] = [
    "pv_cost",
    "total_cost",
    "demand_gpu_hours",
    "served_onprem_gpu_hours",
    "energy_kwh",
    "co2_t",
];

fn assert_finite_json(text: &str) {
    let v: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
    let (mut nums, mut nulls) = (Vec::new(), Vec::new());
    numbers(&v, &mut nums, &mut nulls, "");
    assert!(nums.iter().all(|x| x.is_finite()));
    for null in &nulls {
        assert!(
            !NEVER_NULL.iter().any(|k| null.ends_with(&format!(".{k}"))),
            "`{null}` is null"
        );
    }
}

#[test]
fn profiles_of_extreme_values_give_finite_figures_and_reports_that_finish() {
    for (first, rest) in [("1e308", "0"), ("5e-324", "5e-324"), ("1", "1e-320")] {
        let scratch = Scratch::new();
        scratch.write("profile.csv", &extreme_profile(first, rest));
        let path = scratch.write("scenario.toml", &scenario_on_profile());
        let json = success([
            arg("run"),
            arg(&path),
            arg("--format"),
            arg("json"),
            arg("--samples"),
            arg("200"),
        ]);
        assert_finite_json(&json);
        let table = success([arg("run"), arg(&path)]);
        for bad in ["NaN", "inf", "n/a.00"] {
            assert!(!table.contains(bad), "{first}/{rest}: `{bad}` in\n{table}");
        }
        let out = scratch.path("report");
        let (code, _, err) = bounded(&[
            arg("report"),
            arg(&path),
            arg("--out"),
            arg(&out),
            arg("--samples"),
            arg("200"),
            arg("--quiet"),
        ]);
        assert_eq!(code, Some(0), "{first}/{rest}: report: {err}");
        let chart = scratch.path("tornado.svg");
        let (code, _, err) =
            bounded(&[arg("sensitivity"), arg(&path), arg("--chart"), arg(&chart)]);
        assert_eq!(code, Some(0), "{first}/{rest}: sensitivity: {err}");
        let svg = std::fs::read_to_string(&chart).expect("tornado written");
        roxmltree::Document::parse(&svg).expect("the tornado is well-formed XML");
    }
}

#[test]
fn demand_beyond_what_can_be_computed_is_refused() {
    let text = edit(
        &edit(BASE, "growth_per_year = 0.1", "growth_per_year = 10"),
        "horizon_months = 24",
        "horizon_months = 600\ndemand_scale = 1e6",
    );
    let text = edit(
        &text,
        "gpu_hours_per_month = 5000",
        "gpu_hours_per_month = 1e12",
    );
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    run_rejected(
        &[arg(&path)],
        &[
            "the demand could reach more GPU-hours in a month",
            "key: `workload[0]`",
            "at most 1e15",
        ],
    );
}

#[test]
fn a_triangular_distribution_beyond_the_range_is_refused_like_a_uniform_one() {
    for distribution in ["triangular", "uniform", "pert"] {
        let mode = if distribution == "uniform" {
            ""
        } else {
            "mode = 0.05\n"
        };
        let text = format!(
            "{BASE}\n[[uncertain]]\npath = \"discount_rate\"\ndistribution = \"{distribution}\"\nlow = -1e200\n{mode}high = 0.1\n"
        );
        let scratch = Scratch::new();
        let path = scratch.write("scenario.toml", &text);
        run_rejected(
            &[arg(&path)],
            &[
                "leaves the field's valid range",
                "values from 0 to 1",
                &format!("found: a `{distribution}` distribution from -1e200 to 0.1"),
            ],
        );
    }
}

#[test]
fn a_uniform_from_minus_one_to_zero_is_shown_as_declared() {
    let text = format!(
        "{BASE}\n[[uncertain]]\npath = \"discount_rate\"\ndistribution = \"uniform\"\nlow = -1\nhigh = 0\n"
    );
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let err = run_rejected(
        &[arg(&path)],
        &["found: a `uniform` distribution from -1 to 0"],
    );
    assert!(!err.contains("e-16"), "{err}");
}

#[test]
fn uncertain_demand_at_its_extremes_is_bounded_too() {
    let text = format!(
        "{BASE}\n[[uncertain]]\npath = \"workload[training].gpu_hours_per_month\"\ndistribution = \"uniform\"\nlow = 1e3\nhigh = 1e12\n\n\
         [[uncertain]]\npath = \"demand_scale\"\ndistribution = \"uniform\"\nlow = 1\nhigh = 1e6\n"
    );
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    run_rejected(
        &[arg(&path)],
        &[
            "the demand could reach more GPU-hours in a month than tcosim computes with at the largest values of its uncertain inputs",
            "key: `workload[0]`",
        ],
    );
}

#[test]
fn control_characters_in_names_are_refused_with_their_key() {
    for (name, shown) in [
        ("a\\u0001b", "U+0001"),
        ("\\u001b[31mred", "U+001B"),
        ("two\\nlines", "U+000A"),
        ("a\\u202eb", "U+202E"),
    ] {
        let text = edit(BASE, "name = \"rent\"", &format!("name = \"{name}\""));
        let scratch = Scratch::new();
        let path = scratch.write("scenario.toml", &text);
        let err = run_rejected(&[arg(&path)], &[shown, "key: `option[1].name`"]);
        assert!(!err.contains('\u{1b}') && !err.contains('\u{1}'));
    }
}

#[test]
fn control_characters_in_a_catalog_csv_are_refused() {
    let scratch = Scratch::new();
    let row = offer_row("98.32", "").replace("test.48xlarge", "test\u{1b}[2J");
    scratch.write("cat/cloud-offers.csv", &format!("{OFFERS_HEADER}{row}"));
    let err = rejected(
        &[
            OsStr::new("run"),
            OsStr::new("--catalog"),
            arg(&scratch.path("cat")),
        ],
        &[
            "`instance_type` holds the control character `U+001B`",
            ":2:1",
        ],
    );
    assert!(!err.contains('\u{1b}'));
}

/// A catalog id in another Unicode spelling of an id would be a second id that looks the same.
#[test]
fn a_catalog_id_not_in_composed_form_is_refused() {
    let scratch = Scratch::new();
    let row = offer_row("98.32", "").replace("test-offer", "test-offe\u{301}r");
    scratch.write("cat/cloud-offers.csv", &format!("{OFFERS_HEADER}{row}"));
    let err = rejected(
        &[
            OsStr::new("run"),
            OsStr::new("--catalog"),
            arg(&scratch.path("cat")),
        ],
        &[
            "`id` is not written in Unicode's composed form (NFC)",
            ":2:1",
            "found: `test-offe\\u{301}r`",
            "hint: write it composed: `test-off\u{e9}r` (`test-off\\u{e9}r`)",
        ],
    );
    assert!(!err.contains('\u{301}'), "{err}");
}

#[test]
fn long_names_are_refused() {
    let long = "n".repeat(300);
    let text = edit(BASE, "name = \"own\"", &format!("name = \"{long}\""));
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    run_rejected(
        &[arg(&path)],
        &["`name` is too long", "at most 256 characters", "300"],
    );
}

#[test]
fn too_many_options_are_refused() {
    let mut text = BASE.to_string();
    for i in 0..1000 {
        text.push_str(&format!(
            "\n[[option]]\nname = \"rent-{i}\"\nkind = \"cloud\"\noffer = \"aws-p5.48xlarge-us-east-1\"\n"
        ));
    }
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    run_rejected(
        &[arg(&path)],
        &["too many `[[option]]` entries", "at most 1000", "1003"],
    );
}

#[cfg(unix)]
#[test]
fn profiles_are_read_only_from_regular_files() {
    let scratch = Scratch::new();
    let text = edit(BASE, "profile = \"flat\"", "profile = \"p.csv\"");
    let path = scratch.write("scenario.toml", &text);
    // A link to an endless device, then a FIFO nobody writes to: refused at once.
    std::os::unix::fs::symlink("/dev/zero", scratch.path("p.csv")).expect("symlink");
    let (code, _, err) = bounded(&[arg("run"), arg(&path)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("a link to a character device"), "{err}");
    std::fs::remove_file(scratch.path("p.csv")).expect("remove link");
    let fifo = StdCommand::new("mkfifo")
        .arg(scratch.path("p.csv"))
        .status()
        .expect("mkfifo runs");
    assert!(fifo.success());
    let (code, _, err) = bounded(&[arg("run"), arg(&path)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("a FIFO"), "{err}");
    assert!(err.contains("key: `workload[0].profile`"), "{err}");
}

#[test]
fn oversized_profiles_are_refused_with_the_limit() {
    let scratch = Scratch::new();
    let text = edit(BASE, "profile = \"flat\"", "profile = \"p.csv\"");
    let path = scratch.write("scenario.toml", &text);
    scratch.write("p.csv", &"1\n".repeat(9 << 20));
    run_rejected(
        &[arg(&path)],
        &[
            "is too large",
            "at most 16,777,216 bytes (16 MiB)",
            "18,874,368 bytes",
        ],
    );
}

#[test]
fn a_byte_order_mark_does_not_hide_the_first_hour() {
    let scratch = Scratch::new();
    let text = edit(BASE, "profile = \"flat\"", "profile = \"p.csv\"");
    let path = scratch.write("scenario.toml", &text);
    let values: String = (0..8760).map(|h| format!("{}\n", 1 + h % 5)).collect();
    scratch.write("p.csv", &format!("\u{feff}{values}"));
    success([arg("run"), arg(&path)]);
}

#[test]
fn invalid_utf8_is_reported_at_its_line_and_column() {
    let scratch = Scratch::new();
    let path = scratch.path("scenario.toml");
    let mut bytes = BASE.as_bytes().to_vec();
    let at = BASE.find("training").expect("workload name") + 3;
    bytes[at] = 0xff;
    std::fs::write(&path, &bytes).expect("write");
    let line = BASE[..at].matches('\n').count() + 1;
    run_rejected(
        &[arg(&path)],
        &[
            &format!("{}:{line}:12: the file is not UTF-8 text", path.display()),
            "0xff",
        ],
    );
}

#[test]
fn messages_name_the_key_and_what_is_known() {
    let check = |text: &str, needles: &[&str]| {
        let scratch = Scratch::new();
        let path = scratch.write("scenario.toml", text);
        run_rejected(&[arg(&path)], needles);
    };
    check(
        &edit(BASE, "servers = 2\n", "servers = 2\nservers = 3\n"),
        &["duplicate key `servers`", "key: `option[0].servers`"],
    );
    // A table header written twice, or an array of tables after a key of its name.
    check(
        &format!("{BASE}\n[tax]\nrate = 0.2\n\n[tax]\nrate = 0.3\n"),
        &[
            "duplicate table `tax`",
            "key: `tax`",
            "expected: `tax` defined once in the file",
            "found: `[tax]` here, after `tax` was defined",
        ],
    );
    // A table of an entry of a list of tables, written twice: named with its entry; and a
    // header whose quoted name holds a `#`, which is no comment there.
    check(
        &format!(
            "{BASE}\n[option.financing]\nkind = \"cash\"\n\n[option.financing]\nkind = \"cash\"\n"
        ),
        &[
            "duplicate table `option[2].financing`",
            "key: `option[2].financing`",
            "found: `[option.financing]` here, after `option.financing` was defined",
        ],
    );
    check(
        &format!("{BASE}\n[\"a#b\"]\nx = 1\n\n[\"a#b\"] # again\ny = 2\n"),
        &[
            "duplicate table `\"a#b\"`",
            "found: `[\"a#b\"]` here, after `\"a#b\"` was defined",
        ],
    );
    check(
        &format!("workload = {{ name = \"x\" }}\n{BASE}"),
        &[
            "duplicate table `workload`",
            "key: `workload`",
            "found: `[[workload]]` here, after `workload` was defined",
        ],
    );
    check(
        &edit(BASE, "servers = 2\n", "servers = \"2\"\n"),
        &[
            "`servers` has the wrong type",
            "key: `option[0].servers`",
            "expected: a whole number",
        ],
    );
    check(
        &edit(BASE, "start = \"2027-01\"", "start = \"9999-12\""),
        &["`start` is out of range", "`1900-01` to `2200-12`"],
    );
    check(
        &edit(BASE, "start = \"2027-01\"", "start = \"next year\""),
        &["`start` is not a month", "`YYYY-MM`"],
    );
    check(
        &edit(BASE, "currency = \"USD\"", "currency = \"XYZ\""),
        &["unknown currency id `XYZ`", "`USD`, `EUR`"],
    );
}

#[test]
fn names_show_as_written_in_markdown_html_and_svg() {
    let text = edit(
        &edit(BASE, "name = \"rent\"", "name = \"rent|<b>&x\""),
        "name = \"test scenario\"",
        "name = \"<script>x</script>\"",
    );
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let md = success([arg("run"), arg(&path), arg("--format"), arg("markdown")]);
    assert!(md.contains("# &lt;script&gt;x&lt;/script&gt;"), "{md}");
    assert!(md.contains("rent\\|&lt;b&gt;&x"), "{md}");
    // Sensitivity and sweep in Markdown: headings and sentences escaped like the tables.
    let named = edit(&text, "name = \"mix\"", "name = \"<i>mix</i>\"");
    let named = format!(
        "{named}\n[[uncertain]]\npath = \"discount_rate\"\ndistribution = \"triangular\"\nlow = 0.05\nmode = 0.08\nhigh = 0.12\n\n\
         [sweep]\n[[sweep.parameter]]\npath = \"option[<i>mix</i>].servers\"\nfrom = 1\nto = 2\nstep = 1\n"
    );
    let path = scratch.write("named.toml", &named);
    for (command, sentence) in [
        ("sensitivity", "Sensitivity of "),
        ("sweep", "Optimum for "),
    ] {
        let md = success([arg(command), arg(&path), arg("--format"), arg("markdown")]);
        assert!(md.contains("# &lt;script&gt;x&lt;/script&gt;"), "{md}");
        assert!(
            !md.contains("<i>") && !md.contains("<script>"),
            "{command}:\n{md}"
        );
        assert!(md.contains(sentence), "{command}:\n{md}");
    }
    let out = scratch.path("report");
    success([
        arg("report"),
        arg(&path),
        arg("--out"),
        arg(&out),
        arg("-q"),
    ]);
    let html = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    assert!(!html.contains("<script>") && !html.contains("<b>&x"));
    for entry in std::fs::read_dir(&out).expect("report folder") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "svg") {
            let svg = std::fs::read_to_string(&p).expect("svg");
            roxmltree::Document::parse(&svg).expect("well-formed SVG");
        }
    }
}

/// Whether `text` holds a number written with a sign on a zero (`-0`, `-0.0`, `-0.0%`).
fn has_negative_zero(text: &str) -> bool {
    text.match_indices("-0").any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let digits: String = text[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        // Not part of a date (`2027-01`) or a longer number, and no digit but zeros.
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && digits.chars().all(|c| c == '0' || c == '.')
            && !text[i + 1 + digits.len()..].starts_with(|c: char| c.is_ascii_digit())
    })
}

#[test]
fn a_negative_zero_never_reaches_an_output() {
    // −0 typed into the scenario (discount rate, demand scale, a policy bound) and zeros that
    // arithmetic signs (no demand times a price) are written as 0 in every format.
    let scratch = Scratch::new();
    let text = edit(
        BASE,
        "discount_rate = 0.08",
        "discount_rate = -0.0\ndemand_scale = -0.0",
    ) + "\n[[policy]]\nname = \"p\"\noption = \"rent\"\nmetric = \"pv_cost\"\nmax = -0.0\n";
    let scenario = scratch.write("zero.toml", &text);
    for format in ["table", "csv", "json", "markdown"] {
        let out = output([
            arg("run"),
            arg(&scenario),
            arg("--format"),
            arg(format),
            arg("--monthly"),
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !text.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!has_negative_zero(&text), "{format}:\n{text}");
    }
    let table = output([arg("run"), arg(&scenario)]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("at 0.0% per year"), "{table}");
    assert!(table.contains("at most 0"), "{table}");
    assert!(has_negative_zero("x -0.0%") && has_negative_zero("[-0]"));
    assert!(!has_negative_zero("2027-01 -0.5 -10 -0.01"));
}

#[test]
fn a_zero_tax_rate_writes_no_negative_zero_tax() {
    let scratch = Scratch::new();
    // The example reads no file beside it, so a copy runs from anywhere.
    let text =
        std::fs::read_to_string(crate::support::repo().join("scenarios/us-tax-depreciation.toml"))
            .unwrap();
    let rate = text
        .lines()
        .find(|l| l.starts_with("rate = "))
        .expect("the example has a tax rate")
        .to_string();
    let scenario = scratch.write("tax.toml", &edit(&text, &rate, "rate = 0"));
    for format in ["csv", "json"] {
        let out = success([
            arg("run"),
            arg(&scenario),
            arg("--format"),
            arg(format),
            arg("--monthly"),
        ]);
        assert!(!has_negative_zero(&out), "{format}:\n{out}");
    }
}

/// A scenario over `months` whose hours are walked: `waiting` workloads that may wait and
/// `options` hybrids.
fn walked(months: u32, waiting: usize, options: usize) -> String {
    let mut text = format!(
        "name = \"walk\"\nhorizon_months = {months}\nstart = \"2027-01\"\ndiscount_rate = 0.1\n\
         reference_accelerator = \"h100-sxm\"\n"
    );
    for i in 0..waiting {
        text.push_str(&format!(
            "\n[[workload]]\nname = \"w{i}\"\ngpu_hours_per_month = 60\nprofile = \"bursty\"\n\
             max_wait_hours = {}\n",
            i + 1
        ));
    }
    for i in 0..options {
        text.push_str(&format!(
            "\n[[option]]\nname = \"o{i}\"\nkind = \"hybrid\"\nserver = \"hgx-h100-oem\"\n\
             servers = 1\nsite = \"us-tx-colo\"\noffer = \"lambda-gpu_8x_h100_sxm5\"\n"
        ));
    }
    text
}

#[test]
fn hour_by_hour_work_is_bounded_before_it_starts() {
    // Memory grows with the waiting workloads' months (730 values each), time with those and
    // the options: both are refused by their product, at `horizon_months`, in milliseconds.
    let dir = Scratch::new();
    let held = dir.write("held.toml", &walked(600, 200, 1));
    let err = run_rejected(
        &[arg(&held)],
        &[
            "held.toml:2:",
            "too much waiting work to hold hour by hour",
            "key: `horizon_months`",
            "at most 100,000 workload-months",
            "found: 600 months × 200 workloads that may wait = 120,000",
        ],
    );
    assert!(err.contains("hint: "), "{err}");
    let walk = dir.write("walk.toml", &walked(600, 3, 1000));
    run_rejected(
        &[arg(&walk)],
        &[
            "too much work to walk hour by hour",
            "at most 2,000,000 of months × (workloads that may wait + 1) × options",
            "found: 600 months × 4 × 1000 options = 2,400,000",
        ],
    );
    // Within the bounds the same shapes are accepted.
    let fits = dir.write("fits.toml", &walked(60, 10, 3));
    success([OsStr::new("validate"), arg(&fits)]);
}

#[test]
fn a_vanishing_demand_is_refused_or_has_no_cost_per_gpu_hour() {
    let dir = Scratch::new();
    // A workload's own demand below a millionth of a GPU-hour (a subnormal number here) is
    // refused at its key.
    let tiny = dir.write(
        "tiny.toml",
        &edit(
            BASE,
            "gpu_hours_per_month = 5000",
            "gpu_hours_per_month = 1e-320",
        ),
    );
    run_rejected(
        &[arg(&tiny)],
        &[
            "tiny.toml:10:",
            "`gpu_hours_per_month` is too small",
            "0, or at least 0.000001 reference-GPU-hours a month",
            "found: 1e-320 reference-GPU-hours a month",
        ],
    );
    // A demand scale that leaves almost nothing to deliver: every figure finite, and no cost
    // per GPU-hour (n/a, null) rather than a number of hundreds of digits.
    let scaled = dir.write(
        "scaled.toml",
        &edit(
            BASE,
            "discount_rate = 0.08\n",
            "discount_rate = 0.08\ndemand_scale = 1e-300\n",
        ),
    );
    let json: serde_json::Value = serde_json::from_str(&success([
        arg("run"),
        arg(&scaled),
        arg("--format"),
        arg("json"),
    ]))
    .expect("JSON");
    for o in json["options"].as_array().expect("options") {
        assert!(o["cost_per_gpu_hour"].is_null(), "{}", o["name"]);
    }
    let table = success([arg("run"), arg(&scaled)]);
    assert!(table.contains("n/a"), "{table}");
    let rows = table.lines().filter(|l| l.starts_with('│'));
    assert!(
        rows.clone().count() > 5 && rows.into_iter().all(|l| l.chars().count() < 120),
        "{table}"
    );
    // Monte Carlo samples of a demand scale in [0, 5e-324]: the report draws every chart.
    let uncertain = dir.write(
        "uncertain.toml",
        &format!(
            "{BASE}\n[[uncertain]]\npath = \"demand_scale\"\ndistribution = \"uniform\"\n\
             low = 0\nhigh = 5e-324\n"
        ),
    );
    success([
        arg("report"),
        arg(&uncertain),
        arg("--samples"),
        arg("50"),
        arg("--out"),
        arg(&dir.path("report")),
        arg("-q"),
    ]);
    assert!(dir.path("report").join("pv-histogram.svg").exists());
}

/// Numbers past what the model holds are named as written: a whole number is not rounded
/// through a float, and a profile value too large for one is not called infinite.
#[test]
fn oversized_numbers_are_echoed_as_written() {
    let dir = Scratch::new();
    for (key, from, to) in [
        ("servers", "servers = 2", "servers = 9223372036854775807"),
        ("servers", "servers = 2", "servers = -9223372036854775808"),
        (
            "max_price_age_months",
            "discount_rate = 0.08\n",
            "discount_rate = 0.08\nmax_price_age_months = 4294967297\n",
        ),
    ] {
        let path = dir.write("big.toml", &edit(BASE, from, to));
        let written = to.rsplit("= ").next().unwrap().trim();
        run_rejected(
            &[arg(&path)],
            &[
                &format!("`{key}` is out of range"),
                &format!("found: {written}\n"),
            ],
        );
    }
    // A bound past 1e15 is named as written, not in 33 digits of binary noise.
    let flops = dir.write(
        "flops.toml",
        &edit(
            BASE,
            "gpu_hours_per_month = 5000",
            "training_flops_per_month = 1e33\nmfu = 0.35",
        ),
    );
    run_rejected(
        &[arg(&flops)],
        &[
            "`training_flops_per_month` is out of range",
            "at most 1e32\n",
            "found: 1e33",
        ],
    );
    dir.write("profile.csv", &extreme_profile("1e309", "1"));
    let path = dir.write(
        "profiled.toml",
        &edit(BASE, "profile = \"flat\"", "profile = \"profile.csv\""),
    );
    run_rejected(
        &[arg(&path)],
        &[
            "profile.csv:1:1: invalid hourly load",
            "found: 1e309 (beyond the largest number, about 1.8e308)",
        ],
    );
}

/// A return on next to nothing is no figure: an option that invests less than one unit of
/// currency has no ROI (F3), where it used to print a 300-digit percentage or fail the run.
#[test]
fn an_investment_of_next_to_nothing_has_no_roi() {
    let dir = Scratch::new();
    let catalog = dir.path("catalog");
    std::fs::create_dir_all(&catalog).expect("catalog folder");
    std::fs::write(
        catalog.join("servers.toml"),
        SERVER_ROW.replace("price_usd = 300000.0", "price_usd = 0.000001"),
    )
    .expect("servers.toml");
    let scenario = dir.write(
        "cheap.toml",
        &edit(
            BASE,
            "discount_rate = 0.08\n",
            "discount_rate = 0.08\nbaseline = \"rent\"\n",
        )
        .replace("server = \"dgx-h100\"", "server = \"test-server\""),
    );
    let json: serde_json::Value = serde_json::from_str(&success([
        arg("run"),
        arg(&scenario),
        arg("--catalog"),
        arg(&catalog),
        arg("--format"),
        arg("json"),
    ]))
    .expect("JSON");
    for name in ["own", "mix"] {
        let o = json["options"]
            .as_array()
            .expect("options")
            .iter()
            .find(|o| o["name"] == name)
            .expect("option");
        assert!(o["roi"].is_null(), "{name}: {}", o["roi"]);
        assert!(o["savings_vs_baseline"].is_number(), "{name}: savings stay");
    }
}

/// Keys that the rest of the scenario leaves without effect run with a warning naming the
/// option and the missing key, unless an uncertain input or a sweep sets that key.
#[test]
fn keys_without_effect_are_named() {
    let dir = Scratch::new();
    let text = edit(
        BASE,
        "offer = \"aws-p5.48xlarge-us-east-1\"\n\n[[option]]\nname = \"mix\"",
        "offer = \"aws-p5.48xlarge-us-east-1\"\nspot_interruption_overhead = 0.2\n\
         commit_term_years = 3\n\n[[option]]\nname = \"mix\"",
    );
    let path = dir.write("idle-keys.toml", &text);
    let out = output([arg("run"), arg(&path)]);
    assert!(out.status.success());
    let err = stderr(&out);
    for needle in [
        "warning: option `rent` gives `spot_interruption_overhead` without `spot_share`",
        "warning: option `rent` gives `commit_term_years` without `committed_share` or `committed_gpus`",
    ] {
        assert!(err.contains(needle), "{err}");
    }
    // A sweep of the share the overhead waits for: no warning about it.
    let swept = format!(
        "{text}\n[sweep]\nobjective = \"pv_cost\"\n[[sweep.parameter]]\n\
         path = \"option[rent].spot_share\"\nvalues = [0, 0.5]\n"
    );
    let path = dir.write("swept.toml", &swept);
    let err = stderr(&output([arg("run"), arg(&path)]));
    assert!(!err.contains("spot_interruption_overhead"), "{err}");
    assert!(err.contains("commit_term_years"), "{err}");
}

/// A name with a character that shows nothing would look like another name: refused, and
/// shown escaped.
#[test]
fn an_invisible_character_in_a_name_is_refused() {
    let dir = Scratch::new();
    for (c, escaped) in [("\u{200b}", "\\u{200b}"), ("\u{feff}", "\\u{feff}")] {
        let path = dir.write(
            "invisible.toml",
            &edit(BASE, "name = \"mix\"", &format!("name = \"mix{c}\"")),
        );
        let err = run_rejected(
            &[arg(&path)],
            &[
                "`name` holds the invisible character",
                "option[2].name",
                &format!("found: `mix{escaped}`"),
            ],
        );
        assert!(!err.contains(c), "{err}");
    }
    // A joiner between two visible characters beyond ASCII is part of the writing: an emoji
    // sequence as a team and an option name runs.
    let path = dir.write(
        "emoji.toml",
        &edit(
            &edit(
                BASE,
                "name = \"mix\"",
                "name = \"mix \u{1f469}\u{200d}\u{1f4bb}\"",
            ),
            "profile = \"flat\"",
            "profile = \"flat\"\nteam = \"\u{1f469}\u{200d}\u{1f4bb} devs\"",
        ),
    );
    let out = output([arg("run"), arg(&path)]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A bound that the expected range already names is not named again (the unserved price read
/// "at most 1,000,000, at most 1,000,000").
#[test]
fn an_out_of_range_message_names_its_bound_once() {
    let dir = Scratch::new();
    let path = dir.write(
        "price.toml",
        &format!("unserved_cost_per_gpu_hour = 1000001\n{BASE}"),
    );
    let err = run_rejected(
        &[arg(&path)],
        &[
            "`unserved_cost_per_gpu_hour` is out of range",
            "found: 1000001",
        ],
    );
    assert_eq!(err.matches("at most 1,000,000").count(), 1, "{err}");
}

/// `cloud` and `cloud ` look the same in every table but would be two names: a name, id or
/// team that starts or ends with a space is refused, with the trimmed spelling as the hint.
#[test]
fn a_name_with_a_space_at_its_start_or_end_is_refused() {
    let dir = Scratch::new();
    let cases = [
        (
            "name = \"mix\"",
            "name = \"mix \"",
            "option[2].name",
            "`mix `",
        ),
        (
            "name = \"mix\"",
            "name = \" mix\"",
            "option[2].name",
            "` mix`",
        ),
        (
            "profile = \"flat\"",
            "profile = \"flat\"\nteam = \"research \"",
            "workload[0].team",
            "`research `",
        ),
    ];
    for (from, to, key, found) in cases {
        let path = dir.write("spaced.toml", &edit(BASE, from, to));
        run_rejected(
            &[arg(&path)],
            &[
                "starts or ends with a space",
                key,
                &format!("found: {found}"),
                &format!("hint: write `{}`", found.trim_matches('`').trim()),
            ],
        );
    }
}

/// `café` written as `e` and a combining accent looks like `café` written with `é` but would
/// be another name: a name or team not in Unicode's composed form is refused, with the
/// composed spelling as the hint; the composed spelling runs.
#[test]
fn a_name_not_in_composed_form_is_refused() {
    let dir = Scratch::new();
    let cases = [
        ("name = \"mix\"", "name = \"cafe\u{301}\"", "option[2].name"),
        (
            "profile = \"flat\"",
            "profile = \"flat\"\nteam = \"cafe\u{301}\"",
            "workload[0].team",
        ),
    ];
    for (from, to, key) in cases {
        let path = dir.write("decomposed.toml", &edit(BASE, from, to));
        let err = run_rejected(
            &[arg(&path)],
            &[
                "is not written in Unicode's composed form (NFC)",
                key,
                "found: `cafe\\u{301}`",
                "hint: write it composed: `caf\u{e9}` (`caf\\u{e9}`)",
            ],
        );
        assert!(!err.contains('\u{301}'), "{err}");
        let composed = dir.write(
            "composed.toml",
            &edit(BASE, from, &to.replace("e\u{301}", "\u{e9}")),
        );
        assert!(output([arg("run"), arg(&composed)]).status.success());
    }
    // A reference to a name in its other spelling is refused as such, not reported unknown
    // beside a name that looks the same.
    let named = edit(BASE, "name = \"mix\"", "name = \"caf\u{e9}\"");
    let path = dir.write(
        "reference.toml",
        &format!("baseline = \"cafe\u{301}\"\n{named}"),
    );
    run_rejected(
        &[arg(&path)],
        &[
            "`baseline` is not written in Unicode's composed form (NFC)",
            "expected: a reference in composed form",
            "hint: write it composed: `caf\u{e9}`",
        ],
    );
    let path = dir.write(
        "reference.toml",
        &format!("baseline = \"caf\u{e9}\"\n{named}"),
    );
    assert!(output([arg("run"), arg(&path)]).status.success());
}

/// A name or id on the command line is held to the composed form as names in files are, and
/// one that matches nothing shows its characters beyond ASCII escaped beside it.
#[test]
fn a_name_on_the_command_line_is_taken_only_composed() {
    let fleet = crate::support::repo().join("scenarios/inference-fleet.toml");
    let startup = crate::support::repo().join("scenarios/startup-finetune.toml");
    let decomposed = "cafe\u{301}";
    let needles = [
        "not written in Unicode's composed form (NFC)",
        "found `cafe\\u{301}`",
        "write it composed: `caf\u{e9}` (`caf\\u{e9}`)",
    ];
    let sensitivity = [
        arg("sensitivity"),
        arg(&fleet),
        arg("--option"),
        arg(decomposed),
    ];
    rejected(&sensitivity, &[&needles[..], &["--option <NAME>"]].concat());
    let replay = [
        arg("replay"),
        arg("jobs.csv"),
        arg("--scenario"),
        arg(&startup),
        arg("--option"),
        arg(decomposed),
    ];
    rejected(&replay, &needles);
    let offer = [
        arg("replay"),
        arg("jobs.csv"),
        arg("--offer"),
        arg(decomposed),
    ];
    rejected(&offer, &[&needles[..], &["--offer <ID>"]].concat());
    let show = [arg("catalog"), arg("show"), arg(decomposed)];
    rejected(&show, &needles);
    // Composed but unknown: the combining mark has no composed form after `0`.
    let err = rejected(
        &[arg("catalog"), arg("show"), arg("dgx-h100\u{301}")],
        &[
            "found: `dgx-h100\u{301}` (`dgx-h100\\u{301}`)",
            "the nearest ids are `dgx-h100`",
        ],
    );
    assert!(err.contains("unknown id"), "{err}");
}

/// A sweep value that is not whole is shown to the digit that makes it so, and a value listed
/// as 0 and -0 is one value, shown as 0; a demand distribution lying wholly below the least
/// demand is refused, as the figure itself would be.
#[test]
fn values_in_sweeps_and_demand_distributions_are_shown_as_they_are() {
    let dir = Scratch::new();
    let sweep = |values: &str| {
        format!(
            "{BASE}\n[sweep]\nobjective = \"pv_cost\"\n[[sweep.parameter]]\n\
             path = \"option[own].servers\"\nvalues = {values}\n"
        )
    };
    let path = dir.write("fraction.toml", &sweep("[1, 1.0000000001]"));
    rejected(
        &[arg("sweep"), arg(&path)],
        &[
            "sweep value 1.0000000001 is not a whole number",
            "found: 1.0000000001",
        ],
    );
    let path = dir.write("zeros.toml", &sweep("[0, -0.0]"));
    rejected(
        &[arg("sweep"), arg(&path)],
        &["`values` gives 0 twice", "found: 0 more than once"],
    );
    let path = dir.write(
        "tiny.toml",
        &format!(
            "{BASE}\n[[uncertain]]\npath = \"workload[training].gpu_hours_per_month\"\n\
             distribution = \"fixed\"\nvalue = 1e-300\n"
        ),
    );
    run_rejected(
        &[arg(&path), arg("--samples"), arg("5")],
        &[
            "the distribution of `workload[training].gpu_hours_per_month` lies below the least demand",
            "uncertain[0].distribution",
            "found: a `fixed` value of 1e-300",
        ],
    );
}

/// A swept `refresh_years` between 0 and a month is refused as it is in an option (it was
/// priced as a refresh every month and shown as 0), listed or on a grid; distinct values of an
/// axis are shown as themselves in the table and in Markdown, tiny ones too.
#[test]
fn sweep_values_below_a_month_are_refused_and_tiny_values_are_shown() {
    let dir = Scratch::new();
    let sweep = |field: &str, grid: &str| {
        format!(
            "{BASE}\n[sweep]\nobjective = \"pv_cost\"\n[[sweep.parameter]]\n\
             path = \"option[mix].{field}\"\n{grid}\n"
        )
    };
    let path = dir.write(
        "listed.toml",
        &sweep("refresh_years", "values = [0, 1e-9, 2]"),
    );
    rejected(
        &[arg("sweep"), arg(&path)],
        &[
            "sweep value 0.000000001 is out of range",
            "key: `sweep.parameter[0].values`",
            "expected: 0 (no refresh) or 1/12 to 50 years",
        ],
    );
    let path = dir.write(
        "grid.toml",
        &sweep("refresh_years", "from = 0\nto = 0.2\nstep = 0.05"),
    );
    rejected(
        &[arg("sweep"), arg(&path)],
        &[
            "sweep value 0.05 is out of range",
            "key: `sweep.parameter[0].step`",
        ],
    );
    // 1/12 itself, as in an option, is a refresh every month.
    let path = dir.write(
        "month.toml",
        &sweep("refresh_years", "values = [0, 0.0833333333333333333]"),
    );
    success([arg("sweep"), arg(&path), arg("-q")]);
    // A grid in steps of a month: its points are rounded to 1e-9 (0.083333333), still a month,
    // and priced as `refresh_years` of 1 and 2 months are.
    let path = dir.write(
        "monthly.toml",
        &sweep(
            "refresh_years",
            "from = 0\nto = 0.1666666666666667\nstep = 0.08333333333333333",
        ),
    );
    let out = success([arg("sweep"), arg(&path), arg("--format"), arg("json")]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let points = doc["points"].as_array().expect("points");
    assert_eq!(points.len(), 3, "{out}");
    let listed = dir.write(
        "listed-months.toml",
        &sweep(
            "refresh_years",
            "values = [0, 0.0833333333333333333, 0.1666666666666666667]",
        ),
    );
    let out = success([arg("sweep"), arg(&listed), arg("--format"), arg("json")]);
    let exact: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let pv = |d: &serde_json::Value| -> Vec<f64> {
        d["points"]
            .as_array()
            .expect("points")
            .iter()
            .map(|p| p["pv_cost"].as_f64().expect("pv_cost"))
            .collect()
    };
    assert_eq!(pv(&doc), pv(&exact));
    let path = dir.write(
        "tiny.toml",
        &sweep("committed_share", "values = [0, 1e-10, 4e-10]"),
    );
    for format in ["table", "markdown"] {
        let out = success([arg("sweep"), arg(&path), arg("--format"), arg(format)]);
        for shown in ["0.0000000001", "0.0000000004"] {
            assert!(out.contains(shown), "{format} shows {shown}:\n{out}");
        }
    }
}

/// A missing top-level field is reported at the top of the file without naming the entry that
/// happens to be there as its key.
#[test]
fn a_missing_top_level_field_names_no_other_key() {
    let dir = Scratch::new();
    let path = dir.write("bare.toml", "name = \"a\"\n");
    let err = run_rejected(
        &[arg(&path)],
        &[
            "bare.toml:1:1: missing field `horizon_months`",
            "expected: a `horizon_months` entry",
        ],
    );
    assert!(!err.contains("key: `name`"), "{err}");
    // An empty entry names itself as the key: the run says what `validate` says.
    let text = format!("{BASE}\n[[uncertain]]\n");
    let path = dir.write("empty-entry.toml", &text);
    let line = text.lines().count();
    for command in ["run", "validate"] {
        rejected(
            &[arg(command), arg(&path)],
            &[
                &format!("empty-entry.toml:{line}:1: missing field `path`"),
                "key: `uncertain[0]`",
            ],
        );
    }
}

/// Help and the version written to a full device are a failed write like any output: exit
/// code 2 and a message, not success with nothing written.
#[cfg(target_os = "linux")]
#[test]
fn help_into_a_full_device_is_an_error() {
    let full = std::path::Path::new("/dev/full");
    if !full.exists() {
        return;
    }
    for flag in ["--help", "--version"] {
        let out = StdCommand::new(env!("CARGO_BIN_EXE_tcosim"))
            .arg(flag)
            .stdout(std::fs::File::create(full).expect("/dev/full"))
            .output()
            .expect("tcosim runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert!(
            err.contains("standard output: cannot write output"),
            "{err}"
        );
    }
    let ok = output([arg("--version")]);
    assert_eq!(ok.status.code(), Some(0));
    assert!(stdout(&ok).starts_with("tcosim "));
}

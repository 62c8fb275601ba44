//! `tcosim validate`: accepts the shipped scenarios and catalogs, rejects bad files with exit
//! code 2, and never writes anything.

use crate::support::{
    BASE, EXIT_INPUT, OFFERS_HEADER, SERVER_ROW, Scratch, arg, edit, example_scenarios, line_of,
    offer_row, output, rejected, repo, stderr, stdout, success, tcosim,
};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;

/// The catalog files of `catalogs/`, relative to the repository root.
fn catalog_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(repo().join("catalogs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml") || n.ends_with(".csv"))
        .map(|n| format!("catalogs/{n}"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "the catalog files: {files:?}");
    files
}

#[test]
fn accepts_every_example_scenario() {
    for s in example_scenarios() {
        let text = success(["validate", s.as_str()]);
        assert!(
            text.starts_with(&format!("ok: {s}: scenario (")),
            "{s}:\n{text}"
        );
    }
    let all = example_scenarios();
    let mut args = vec!["validate"];
    args.extend(all.iter().map(String::as_str));
    let text = success(&args);
    assert_eq!(text.lines().count(), all.len(), "{text}");
    // Counts in words that agree with them.
    let text = success(["validate", "scenarios/us-tax-depreciation.toml"]);
    assert_eq!(
        text,
        "ok: scenarios/us-tax-depreciation.toml: scenario (1 workload, 3 options, 0 uncertain inputs)\n"
    );
}

#[test]
fn accepts_the_catalogs_folder() {
    for folder in ["catalogs", "catalogs/"] {
        let text = success(["validate", folder]);
        assert!(text.starts_with("ok: "), "{text}");
        assert!(text.contains("catalog folder"), "{text}");
    }
}

/// Rows marked `estimate = true` and all rows that carry the flag, counted from the files
/// themselves rather than through tcosim's loader.
fn estimates_in(folder: &Path) -> (usize, usize) {
    let (mut estimates, mut rows) = (0, 0);
    for (file, table) in [
        ("accelerators.toml", "accelerator"),
        ("servers.toml", "server"),
        ("cloud-providers.toml", "provider"),
        ("sites.toml", "site"),
        ("depreciation.toml", "policy"),
        ("fx.toml", "rate"),
        ("staffing.toml", "automation"),
    ] {
        let text = std::fs::read_to_string(folder.join(file)).unwrap();
        let doc: toml::Table = toml::from_str(&text).unwrap();
        for row in doc[table].as_array().unwrap() {
            rows += 1;
            if row.get("estimate").and_then(toml::Value::as_bool) == Some(true) {
                estimates += 1;
            }
        }
    }
    let mut offers = csv::Reader::from_path(folder.join("cloud-offers.csv")).unwrap();
    let column = offers
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "estimate")
        .unwrap();
    for record in offers.records() {
        rows += 1;
        if &record.unwrap()[column] == "true" {
            estimates += 1;
        }
    }
    (estimates, rows)
}

#[test]
fn reports_how_many_catalog_rows_are_estimates() {
    let (estimates, rows) = estimates_in(&repo().join("catalogs"));
    assert!(estimates > 0 && estimates < rows, "{estimates} of {rows}");
    let text = success(["validate", "catalogs/"]);
    assert!(
        text.contains(&format!("; {estimates} of {rows} rows marked estimate)")),
        "{text}"
    );
    // A layer that turns one sourced row into an estimate raises the count by one.
    let scratch = Scratch::new();
    let fx = std::fs::read_to_string(repo().join("catalogs/fx.toml")).unwrap();
    let usd = "per_usd = 1.0\nsource = \"identity\"\nas_of = \"2025\"\nestimate = false";
    assert!(fx.contains(usd), "{fx}");
    scratch.write(
        "layer/fx.toml",
        &format!(
            "[[rate]]\ncurrency = \"USD\"\n{}\n",
            usd.replace("false", "true")
        ),
    );
    let text = success([arg("validate"), arg(&scratch.path("layer"))]);
    assert!(
        text.contains(&format!(
            "; {} of {rows} rows marked estimate)",
            estimates + 1
        )),
        "{text}"
    );
}

#[test]
fn accepts_every_catalog_file() {
    let files = catalog_files();
    for f in &files {
        let text = success(["validate", f.as_str()]);
        assert_eq!(text, format!("ok: {f}: catalog file\n"));
    }
}

#[test]
fn accepts_everything_shipped_at_once() {
    let mut args: Vec<String> = vec!["validate".into()];
    args.extend(example_scenarios());
    args.push("catalogs/".into());
    args.extend(catalog_files());
    let text = success(&args);
    assert_eq!(text.lines().count(), args.len() - 1, "{text}");
    assert!(text.lines().all(|l| l.starts_with("ok: ")), "{text}");
}

#[test]
fn quiet_prints_nothing_on_stderr_and_keeps_the_verdicts() {
    let args = ["validate", "catalogs", "scenarios/startup-finetune.toml"];
    let loud = output(args);
    let out = output(std::iter::once("--quiet").chain(args));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The `ok:` lines are the command's data on stdout, as without `--quiet`.
    assert_eq!(stdout(&out), stdout(&loud));
    assert_eq!(stdout(&out).lines().count(), 2, "{}", stdout(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn rejects_a_bad_scenario() {
    let scratch = Scratch::new();
    let bad = scratch.write(
        "bad.toml",
        &edit(BASE, "horizon_months = 24", "horizon_months = 0"),
    );
    rejected(
        &[arg("validate"), arg(&bad)],
        &[&format!("error: {}:", bad.display()), "horizon_months"],
    );
}

#[test]
fn rejects_a_bad_scenario_among_good_ones() {
    let scratch = Scratch::new();
    let bad = scratch.write(
        "bad.toml",
        &edit(BASE, "kind = \"hybrid\"", "kind = \"hybird\""),
    );
    let out = output([
        arg("validate"),
        arg("scenarios/startup-finetune.toml"),
        arg(&bad),
        arg("scenarios/inference-fleet.toml"),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    assert!(stderr(&out).contains("hybird"), "{}", stderr(&out));
}

#[test]
fn rejects_a_bad_catalog_file() {
    let scratch = Scratch::new();
    // A negative price, and one next to nothing, which ratios would divide by.
    for price in ["-1", "1e-300"] {
        let bad = scratch.write(
            "servers.toml",
            &edit(
                SERVER_ROW,
                "price_usd = 300000.0",
                &format!("price_usd = {price}"),
            ),
        );
        rejected(
            &[arg("validate"), arg(&bad)],
            &[
                &format!("error: {}:", bad.display()),
                "key: `server[0].price_usd`",
                "expected: 0, or a price of 0.000001 to 1,000,000,000,000 USD",
                &format!("found: {price}"),
            ],
        );
    }
    // Free hardware is a price.
    let free = scratch.write(
        "servers.toml",
        &edit(SERVER_ROW, "price_usd = 300000.0", "price_usd = 0"),
    );
    crate::support::success([arg("validate"), arg(&free)]);
}

#[test]
fn rejects_a_bad_catalog_folder() {
    let scratch = Scratch::new();
    scratch.write(
        "catalog/servers.toml",
        &edit(SERVER_ROW, "max_power_kw = 10.0", "max_power_kw = 0.0"),
    );
    let dir = scratch.path("catalog");
    rejected(
        &[arg("validate"), arg(&dir)],
        &["servers.toml", "key: `server[0].max_power_kw`"],
    );
}

#[test]
fn rejects_a_file_that_does_not_exist() {
    let scratch = Scratch::new();
    let missing = scratch.path("missing.toml");
    rejected(
        &[arg("validate"), arg(&missing)],
        &[&missing.display().to_string()],
    );
}

#[test]
fn needs_at_least_one_file() {
    let out = output(["validate"]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("Usage"), "{}", stderr(&out));
}

#[test]
fn scenarios_are_validated_against_the_layered_catalog() {
    let scratch = Scratch::new();
    scratch.write("catalog/servers.toml", SERVER_ROW);
    let scenario = scratch.write(
        "custom.toml",
        &edit(
            BASE,
            "server = \"dgx-h100\"\nservers = 2",
            "server = \"test-server\"\nservers = 2",
        ),
    );
    // Without the folder the server is unknown ...
    rejected(
        &[arg("validate"), arg(&scenario)],
        &["unknown server id `test-server`"],
    );
    // ... with it the scenario is fine.
    let text = success([
        arg("validate"),
        arg(&scenario),
        arg("--catalog"),
        arg(&scratch.path("catalog")),
    ]);
    assert!(text.starts_with("ok: "), "{text}");
}

/// Every file under `root` with its bytes.
fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

#[test]
fn validate_writes_nothing() {
    // Copies of the shipped files in a folder of their own, validated from inside it.
    let scratch = Scratch::new();
    copy_dir(&repo().join("scenarios"), &scratch.path("scenarios"));
    copy_dir(&repo().join("catalogs"), &scratch.path("catalogs"));
    scratch.write("bad.toml", &edit(BASE, "servers = 2", "servers = -2"));
    let before = snapshot(scratch.dir.path());

    let mut good: Vec<String> = vec!["validate".into()];
    for s in example_scenarios() {
        good.push(s);
    }
    good.push("catalogs".into());
    for f in catalog_files() {
        good.push(f);
    }
    let ok = tcosim()
        .current_dir(scratch.dir.path())
        .args(&good)
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));

    let bad = tcosim()
        .current_dir(scratch.dir.path())
        .args(["validate", "bad.toml", "--catalog", "catalogs"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(EXIT_INPUT), "{}", stderr(&bad));
    assert!(bad.stdout.is_empty());

    assert!(
        before == snapshot(scratch.dir.path()),
        "validate changed or created files"
    );
}

#[test]
fn validate_has_no_output_option() {
    let scratch = Scratch::new();
    let target = scratch.path("out.txt");
    let out = output([
        OsStr::new("validate"),
        OsStr::new("catalogs"),
        OsStr::new("--output"),
        target.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    assert!(scratch.listing().is_empty());
}

/// `tcosim validate my-catalog/ my-catalog/servers.toml` (the example of `validate --help`):
/// a catalog file whose rows refer to a new row of a sibling file of its folder is as valid as
/// the folder, which `run --catalog` accepts.
#[test]
fn a_catalog_file_is_validated_with_its_folder() {
    let scratch = Scratch::new();
    let accelerators = std::fs::read_to_string(repo().join("catalogs/accelerators.toml")).unwrap();
    let doc: toml_edit::DocumentMut = accelerators.parse().unwrap();
    let mut row = doc["accelerator"]
        .as_array_of_tables()
        .unwrap()
        .iter()
        .find(|t| t["id"].as_str() == Some("h100-sxm"))
        .unwrap()
        .clone();
    row["id"] = toml_edit::value("x100");
    let mut one = toml_edit::DocumentMut::new();
    let mut array = toml_edit::ArrayOfTables::new();
    array.push(row);
    one.insert("accelerator", toml_edit::Item::ArrayOfTables(array));
    scratch.write("my-catalog/accelerators.toml", &one.to_string());
    scratch.write(
        "my-catalog/servers.toml",
        &edit(
            SERVER_ROW,
            "accelerator = \"h100-sxm\"",
            "accelerator = \"x100\"",
        ),
    );
    let dir = scratch.path("my-catalog");
    let servers = scratch.path("my-catalog/servers.toml");

    // The folder is valid, and usable by `run`.
    success([arg("validate"), arg(&dir)]);
    let scenario = scratch.write(
        "scenario.toml",
        &edit(
            BASE,
            "server = \"dgx-h100\"\nservers = 2",
            "server = \"test-server\"\nservers = 2",
        ),
    );
    success([arg("run"), arg(&scenario), arg("--catalog"), arg(&dir)]);

    // So is its servers file.
    let out = output([arg("validate"), arg(&dir), arg(&servers)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the folder validates but its servers.toml does not:\n{}",
        stderr(&out)
    );
}

/// Every file is checked, whatever failed before it: each error is reported, each good file
/// is `ok`, and a last line counts the failures (exit code 2).
#[test]
fn every_file_is_checked_and_every_failure_reported() {
    let scratch = Scratch::new();
    let bad = scratch.write(
        "bad.toml",
        &edit(BASE, "kind = \"hybrid\"", "kind = \"hybird\""),
    );
    let missing = scratch.path("missing.toml");
    let out = output([
        arg("validate"),
        arg(&bad),
        arg("scenarios/startup-finetune.toml"),
        arg(&missing),
        arg("scenarios/inference-fleet.toml"),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let text = stdout(&out);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("ok: ")).count(),
        2,
        "{text}"
    );
    let err = stderr(&out);
    assert!(err.contains("hybird"), "{err}");
    assert!(err.contains("missing.toml"), "{err}");
    assert!(
        err.ends_with("error: 2 of 4 files failed validation\n"),
        "{err}"
    );
}

/// `--format json` lists every file with its errors, where they are and what was expected.
#[test]
fn json_lists_every_file_with_its_errors() {
    let scratch = Scratch::new();
    let bad = scratch.write(
        "bad.toml",
        &edit(BASE, "horizon_months = 24", "horizon_months = 0"),
    );
    let out = output([
        arg("validate"),
        arg("--format"),
        arg("json"),
        arg("scenarios/startup-finetune.toml"),
        arg(&bad),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(doc["failed"], 1);
    let files = doc["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["ok"], true);
    assert!(
        files[0]["checked"]
            .as_str()
            .is_some_and(|c| c.starts_with("scenario ("))
    );
    assert_eq!(files[1]["ok"], false);
    let error = &files[1]["errors"][0];
    assert_eq!(error["key"], "horizon_months");
    assert_eq!(
        error["line"].as_u64(),
        Some(
            edit(BASE, "horizon_months = 24", "horizon_months = 0")
                .lines()
                .position(|l| l.starts_with("horizon_months"))
                .expect("the line") as u64
                + 1
        )
    );
    assert!(error["expected"].as_str().is_some());
}

/// The base scenario with three independent mistakes: a horizon out of range, an unknown
/// server (and an unknown site in the same option), and an unknown cloud offer.
fn three_mistakes() -> String {
    let text = edit(BASE, "horizon_months = 24", "horizon_months = 0");
    let text = edit(
        &text,
        "server = \"dgx-h100\"\nservers = 2\nsite = \"us-tx-colo\"",
        "server = \"dgx-h10\"\nservers = 2\nsite = \"us-tx-colocation\"",
    );
    edit(
        &text,
        "name = \"rent\"\nkind = \"cloud\"\noffer = \"aws-p5.48xlarge-us-east-1\"",
        "name = \"rent\"\nkind = \"cloud\"\noffer = \"aws-p5.48xlarge-us-east\"",
    )
}

/// Every mistake of a file is reported, each with its line, key, expectation and the nearest
/// known ids, in the order of the file; `run` still stops at the first.
#[test]
fn every_mistake_of_a_file_is_reported() {
    let scratch = Scratch::new();
    let text = three_mistakes();
    let bad = scratch.write("bad.toml", &text);
    let shown = bad.display().to_string();
    let err = rejected(&[arg("validate"), arg(&bad)], &[]);
    let expected = [
        (
            format!("error: {shown}:{}:", line_of(&text, "horizon_months")),
            "`horizon_months` is out of range",
        ),
        (
            format!("error: {shown}:{}:", line_of(&text, "dgx-h10\"")),
            "unknown server id `dgx-h10`",
        ),
        (
            format!("error: {shown}:{}:", line_of(&text, "us-tx-colocation")),
            "unknown site id `us-tx-colocation`",
        ),
        (
            format!("error: {shown}:{}:", line_of(&text, "us-east\"")),
            "unknown cloud offer id `aws-p5.48xlarge-us-east`",
        ),
    ];
    let mut from = 0;
    for (at, problem) in &expected {
        let found = err[from..]
            .find(at.as_str())
            .unwrap_or_else(|| panic!("`{at}` ({problem}) after byte {from} of\n{err}"));
        from += found;
        assert!(
            err[from..].lines().next().unwrap_or("").ends_with(problem),
            "{err}"
        );
    }
    for hint in [
        "hint: the nearest known ids are `dgx-h100`",
        "hint: the nearest known ids are `us-tx-colo`",
        "hint: the nearest known ids are `aws-p5.48xlarge-us-east-1`",
        "expected: a whole number of months from 1 to 600",
    ] {
        assert!(err.contains(hint), "`{hint}` in\n{err}");
    }
    assert_eq!(err.matches("error: ").count(), 4, "{err}");

    // `run` reports the first mistake only, as it always has.
    let out = output([arg("run"), arg(&bad)]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let run_err = stderr(&out);
    assert_eq!(run_err.matches("error: ").count(), 1, "{run_err}");
    assert!(
        run_err.contains("`horizon_months` is out of range"),
        "{run_err}"
    );
}

/// `--format json` lists every mistake of every file, with where it is and what was expected.
#[test]
fn json_lists_every_mistake_of_every_file() {
    let scratch = Scratch::new();
    let text = three_mistakes();
    let bad = scratch.write("bad.toml", &text);
    let out = output([
        arg("validate"),
        arg("--format"),
        arg("json"),
        arg(&bad),
        arg("scenarios/startup-finetune.toml"),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(doc["failed"], 1);
    let file = &doc["files"][0];
    assert_eq!(file["ok"], false);
    assert!(file["checked"].is_null());
    let errors = file["errors"].as_array().expect("errors");
    let keys: Vec<&str> = errors.iter().filter_map(|e| e["key"].as_str()).collect();
    assert_eq!(
        keys,
        [
            "horizon_months",
            "option[0].server",
            "option[0].site",
            "option[1].offer"
        ]
    );
    assert_eq!(
        errors[3]["line"].as_u64(),
        Some(line_of(&text, "us-east\"") as u64)
    );
    assert_eq!(errors[3]["found"], "`aws-p5.48xlarge-us-east`");
    assert!(
        errors[3]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("`aws-p5.48xlarge-us-east-1`"))
    );
    assert!(
        errors
            .iter()
            .all(|e| e["message"].is_string() && e["expected"].is_string())
    );
    assert_eq!(doc["files"][1]["ok"], true);
    assert_eq!(doc["files"][1]["errors"].as_array().map(Vec::len), Some(0));
}

/// Mistakes of keys and types are reported together too: one per key, in every table entry.
#[test]
fn every_key_and_type_mistake_is_reported() {
    let scratch = Scratch::new();
    let text = edit(
        BASE,
        "discount_rate = 0.08",
        "discount_rate = 0.08\ninflation = 0.02",
    );
    let text = edit(&text, "servers = 2", "servers = \"2\"");
    let text = edit(&text, "growth_per_year = 0.1", "growth_per_yr = 0.1");
    let text = format!(
        "{text}\n[[policy]]\nname = \"budget\"\noption = \"own\"\nmetric = \"pv_cost\"\nmaximum = 1e6\n\n\
         [[uncertain]]\npath = \"demand_scale\"\ndistribution = \"uniform\"\nlow = \"0.5\"\nhigh = 2\n"
    );
    let bad = scratch.write("bad.toml", &text);
    let out = output([arg("validate"), arg("--format"), arg("json"), arg(&bad)]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let errors = doc["files"][0]["errors"].as_array().expect("errors");
    let found: Vec<(u64, &str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap_or(0),
                e["key"].as_str().unwrap_or(""),
                e["problem"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let line = |needle: &str| line_of(&text, needle) as u64;
    assert_eq!(
        found,
        [
            (line("inflation"), "inflation", "unknown field `inflation`"),
            (
                line("growth_per_yr"),
                "workload[0].growth_per_yr",
                "unknown field `growth_per_yr`"
            ),
            (
                line("servers = \"2\""),
                "option[0].servers",
                "`servers` has the wrong type"
            ),
            (
                line("maximum"),
                "policy[0].maximum",
                "unknown field `maximum`"
            ),
            (
                line("low = "),
                "uncertain[0].low",
                "`low` has the wrong type"
            ),
        ],
        "{errors:#?}"
    );
    assert_eq!(errors[1]["hint"], "did you mean `growth_per_year`?");
    assert_eq!(errors[2]["found"], "the text \"2\"");
}

/// The warnings `run` prints about the catalog rows a scenario uses (stale prices, a spot
/// price above on-demand) are warnings of `validate` too, with errors or without.
#[test]
fn catalog_warnings_are_reported_with_and_without_errors() {
    let scratch = Scratch::new();
    scratch.write(
        "catalog/cloud-offers.csv",
        &format!("{OFFERS_HEADER}{}", offer_row("10.0", "20.0")),
    );
    let catalog = scratch.path("catalog");
    let text = edit(
        BASE,
        "currency = \"USD\"",
        "currency = \"USD\"\nmax_price_age_months = 3",
    );
    let text = edit(
        &text,
        "name = \"rent\"\nkind = \"cloud\"\noffer = \"aws-p5.48xlarge-us-east-1\"",
        "name = \"rent\"\nkind = \"cloud\"\noffer = \"test-offer\"",
    );
    let good = scratch.write("good.toml", &text);
    let bad = scratch.write("bad.toml", &edit(&text, "servers = 1", "servers = -1"));
    let stale = "months older than the scenario start";
    let spot = "offer `test-offer`: spot price 20 USD/h is above the on-demand price 10 USD/h";

    let ok = output([arg("validate"), arg(&good), arg("--catalog"), arg(&catalog)]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let err = stderr(&ok);
    assert!(
        err.contains(&format!("warning: {}: {spot}", good.display())),
        "{err}"
    );
    assert!(err.contains(stale), "{err}");
    // They are the warnings `run` prints.
    let run = output([arg("run"), arg(&good), arg("--catalog"), arg(&catalog)]);
    assert!(stderr(&run).contains(spot) && stderr(&run).contains(stale));

    let out = output([
        arg("validate"),
        arg(&bad),
        arg(&good),
        arg("--catalog"),
        arg(&catalog),
        arg("--format"),
        arg("json"),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    for file in doc["files"].as_array().expect("files") {
        let warnings: Vec<&str> = file["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .filter_map(|w| w.as_str())
            .collect();
        assert!(warnings.contains(&spot), "{file}");
        assert!(warnings.iter().any(|w| w.contains(stale)), "{file}");
    }
    assert_eq!(doc["files"][0]["ok"], false);
    assert_eq!(doc["files"][0]["errors"][0]["key"], "option[2].servers");
    assert_eq!(doc["files"][1]["ok"], true);
    // `--quiet` leaves out the warnings, not the errors.
    let quiet = output([
        arg("--quiet"),
        arg("validate"),
        arg(&bad),
        arg("--catalog"),
        arg(&catalog),
    ]);
    assert!(!stderr(&quiet).contains("warning:"), "{}", stderr(&quiet));
    assert!(
        stderr(&quiet).contains("option[2].servers"),
        "{}",
        stderr(&quiet)
    );
}

/// Each `[[uncertain]]` and `[[correlation]]` entry is checked, whatever failed before it.
#[test]
fn every_uncertain_input_is_checked() {
    let scratch = Scratch::new();
    let text = format!(
        "{BASE}\n[[uncertain]]\npath = \"demand_scal\"\ndistribution = \"uniform\"\nlow = 0.5\nhigh = 2\n\n\
         [[uncertain]]\npath = \"discount_rate\"\ndistribution = \"unifrom\"\nlow = 0.05\nhigh = 0.1\n\n\
         [[uncertain]]\npath = \"option[own].availability\"\ndistribution = \"uniform\"\nlow = 0.9\nhigh = 0.99\n\n\
         [[correlation]]\na = \"option[own].availability\"\nb = \"option[rent].spot_share\"\nrank = 0.5\n"
    );
    let bad = scratch.write("bad.toml", &text);
    let err = rejected(
        &[arg("validate"), arg(&bad)],
        &["demand_scal", "unifrom", "option[rent].spot_share"],
    );
    assert_eq!(err.matches("error: ").count(), 3, "{err}");
}

/// The `[[uncertain]]` entries, the `[sweep]` and the policies are checked after a wrong value
/// elsewhere (README "Validating files"): with what resolved, and every problem of a policy,
/// in the order of the file; what names an option that did not resolve is left out.
#[test]
fn uncertain_sweep_and_policies_are_checked_after_a_wrong_value() {
    let scratch = Scratch::new();
    let sections = "\n[[uncertain]]\npath = \"demand_scal\"\ndistribution = \"uniform\"\nlow = 0.5\nhigh = 1.5\n\n\
         [[uncertain]]\npath = \"option[own].availability\"\ndistribution = \"uniform\"\nlow = 0.9\nhigh = 0.99\n\n\
         [sweep]\nobjective = \"pv_cots\"\n\n\
         [[sweep.parameter]]\npath = \"option[rent].committed_share\"\nvalues = [0.0, 0.5]\n\n\
         [[policy]]\nname = \"p\"\noption = \"onw\"\nmetric = \"pv_cots\"\nmax = 1\n\n\
         [[policy]]\nname = \"p\"\nwinner = \"rnet\"\n";
    let checked = [
        "uncertain[0].path",
        "sweep.objective",
        "policy[0].option",
        "policy[0].metric",
        "policy[1].name",
        "policy[1].winner",
    ];
    // A wrong top-level value, and an unknown server id (the option `own` does not resolve,
    // so its uncertain availability cannot be checked and is not reported).
    for (from, to, key) in [
        (
            "discount_rate = 0.08",
            "discount_rate = 1.1",
            "discount_rate",
        ),
        (
            "server = \"dgx-h100\"\nservers = 2",
            "server = \"dgx-h10\"\nservers = 2",
            "option[0].server",
        ),
    ] {
        let text = edit(&format!("{BASE}{sections}"), from, to);
        let bad = scratch.write("bad.toml", &text);
        let keys = error_keys(&[arg("validate"), arg("--format"), arg("json"), arg(&bad)]);
        let mut expected = vec![key];
        expected.extend(checked);
        assert_eq!(keys, expected, "{text}");
        let err = rejected(
            &[arg("validate"), arg(&bad)],
            &[
                "the nearest options are `own`",
                "the nearest metrics are `pv_cost`",
                "did you mean `demand_scale`?",
                "unknown objective `pv_cots`",
                "duplicate policy `p`",
                "unknown option `rnet`",
            ],
        );
        let lines: Vec<usize> = err
            .lines()
            .filter_map(|l| l.strip_prefix("error: "))
            .map(|l| {
                l.split(':')
                    .nth(1)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            })
            .collect();
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "{err}");
    }
}

/// Mistakes of keys and types and mistakes of values are reported together; what lies under
/// an entry in error is not checked further (it would only repeat the mistake).
#[test]
fn key_mistakes_and_value_mistakes_are_reported_together() {
    let scratch = Scratch::new();
    let text = edit(
        &three_mistakes(),
        "discount_rate = 0.08",
        "discount_rate = 0.08\ninflation = 0.02",
    );
    let text = edit(&text, "servers = 1", "servers = \"1\"");
    let bad = scratch.write("bad.toml", &text);
    let out = output([arg("validate"), arg("--format"), arg("json"), arg(&bad)]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let errors = doc["files"][0]["errors"].as_array().expect("errors");
    let keys: Vec<&str> = errors.iter().filter_map(|e| e["key"].as_str()).collect();
    assert_eq!(
        keys,
        [
            "horizon_months",
            "inflation",
            "option[0].server",
            "option[0].site",
            "option[1].offer",
            "option[2].servers",
        ],
        "{errors:#?}"
    );
    let lines: Vec<u64> = errors.iter().filter_map(|e| e["line"].as_u64()).collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
}

/// A file with one mistake of a key or a type gets from `validate` the message `run` gives it.
#[test]
fn a_single_key_mistake_reads_as_in_a_run() {
    let scratch = Scratch::new();
    let site = "site = \"us-tx-colo\"\n\n[[option]]\nname = \"rent\"";
    for (from, to) in [
        (
            "discount_rate = 0.08",
            "discount_rate = 0.08\ninflation = 0.02",
        ),
        ("discount_rate = 0.08", "discount_rate = \"8%\""),
        ("servers = 2", "servers = 2\nserverz = 2"),
        ("servers = 2", "servers = 2.5"),
        ("profile = \"flat\"", "profile = \"flat\"\nsensitive = 1"),
        (
            site,
            "site = \"us-tx-colo\"\nfinancing = { kind = \"loan\", rate = 0.05 }\n\n[[option]]\nname = \"rent\"",
        ),
    ] {
        let bad = scratch.write("bad.toml", &edit(BASE, from, to));
        let run = stderr(&output([arg("run"), arg(&bad)]));
        let validate = stderr(&output([arg("validate"), arg(&bad)]));
        assert_eq!(validate, run, "`{to}`");
    }
}

/// Every required key a file lacks is named, at the top level and in each entry, not only the
/// first the parser meets (the required keys come from the same types as the JSON Schema).
#[test]
fn every_missing_key_is_reported() {
    let scratch = Scratch::new();
    let bad = scratch.write(
        "bad.toml",
        "name = \"x\"\nstart = \"2027-01\"\n\n[[option]]\nkind = \"onprem\"\n\n[[correlation]]\na = \"demand_scale\"\n",
    );
    let out = output([arg("validate"), arg("--format"), arg("json"), arg(&bad)]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let found: Vec<(u64, &str, &str)> = doc["files"][0]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap_or(0),
                e["key"].as_str().unwrap_or(""),
                e["problem"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (1, "", "missing field `horizon_months`"),
            (1, "", "missing field `discount_rate`"),
            (1, "", "missing field `reference_accelerator`"),
            (4, "option[0]", "missing field `name`"),
            (7, "correlation[0]", "missing field `b`"),
            (7, "correlation[0]", "missing field `rank`"),
        ]
    );
}

/// A catalog folder that parses reports the first problem of every bad row, in every file,
/// not only the first the loader meets.
#[test]
fn every_bad_row_of_a_catalog_folder_is_reported() {
    let scratch = Scratch::new();
    let shipped = crate::support::repo().join("catalogs");
    for name in tcosim::catalog::FILE_NAMES {
        let mut text = std::fs::read_to_string(shipped.join(name)).expect("shipped catalog");
        // Two accelerators with a negative power, one site with an impossible PUE.
        if name == "accelerators.toml" {
            let mut bad = 0;
            let lines: Vec<String> = text
                .lines()
                .map(|l| {
                    if l.starts_with("tdp_w = ") && bad < 2 {
                        bad += 1;
                        "tdp_w = -5".to_string()
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            assert_eq!(bad, 2, "two accelerators with a tdp_w line");
            text = lines.join("\n");
        }
        if name == "sites.toml" {
            let at = text.find("pue = ").expect("a pue") + "pue = ".len();
            let end = at + text[at..].find('\n').expect("end of line");
            text.replace_range(at..end, "9");
        }
        scratch.write(&format!("cat/{name}"), &text);
    }
    let out = output([
        arg("validate"),
        arg("--format"),
        arg("json"),
        arg(&scratch.path("cat")),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let keys: Vec<&str> = doc["files"][0]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["key"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        keys,
        [
            "accelerator[0].tdp_w",
            "accelerator[1].tdp_w",
            "site[0].pue"
        ]
    );
}

/// The keys of the errors of the first file of `validate --format json` on `args`, which must
/// fail with exit code 2.
fn error_keys(args: &[&OsStr]) -> Vec<String> {
    let out = output(args);
    assert_eq!(out.status.code(), Some(EXIT_INPUT), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    doc["files"][0]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["key"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Every value out of range in one workload or option is reported, not only its first, and
/// both parts of a hybrid are checked when each has a problem.
#[test]
fn every_bad_value_of_an_entry_is_reported() {
    let scratch = Scratch::new();
    let text = edit(BASE, "growth_per_year = 0.1", "growth_per_year = 50");
    let text = edit(
        &text,
        "gpu_hours_per_month = 5000",
        "gpu_hours_per_month = -5000",
    );
    let text = edit(
        &text,
        "servers = 2\nsite = \"us-tx-colo\"",
        "servers = 2\nsite = \"us-tx-colo\"\nresidual_value = 1.5\nstaff_fte_fixed = -1\nsupport_pct_per_year = 300",
    );
    let text = edit(
        &text,
        "servers = 1\nsite = \"us-tx-colo\"\noffer = \"aws-p5.48xlarge-us-east-1\"",
        "servers = 1\nsite = \"us-tx-colo\"\noffer = \"aws-p5.48xlarge-us-east-1\"\navailability = 2\nspot_share = 3",
    );
    let bad = scratch.write("bad.toml", &text);
    let keys = error_keys(&[arg("validate"), arg("--format"), arg("json"), arg(&bad)]);
    assert_eq!(
        keys,
        [
            "workload[0].gpu_hours_per_month",
            "workload[0].growth_per_year",
            "option[0].residual_value",
            "option[0].staff_fte_fixed",
            "option[0].support_pct_per_year",
            "option[2].availability",
            "option[2].spot_share",
        ]
    );
    // `run` still stops at the first.
    let out = output([arg("run"), arg(&bad)]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    assert_eq!(stderr(&out).matches("error: ").count(), 1);
}

/// A required key that is missing is reported, and the values of the rest of the file are
/// still checked.
#[test]
fn values_are_checked_beside_a_missing_key() {
    let scratch = Scratch::new();
    let text = edit(BASE, "horizon_months = 24\n", "");
    let text = edit(&text, "name = \"rent\"\n", "");
    let text = edit(&text, "growth_per_year = 0.1", "growth_per_year = 50");
    let text = edit(
        &text,
        "servers = 2\nsite = \"us-tx-colo\"",
        "servers = 2\nsite = \"us-tx-colo\"\nresidual_value = 1.5",
    );
    let bad = scratch.write("bad.toml", &text);
    let out = output([arg("validate"), arg("--format"), arg("json"), arg(&bad)]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let found: Vec<(&str, &str)> = doc["files"][0]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["key"].as_str().unwrap_or(""),
                e["problem"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("", "missing field `horizon_months`"),
            (
                "workload[0].growth_per_year",
                "`growth_per_year` is out of range"
            ),
            (
                "option[0].residual_value",
                "`residual_value` is out of range"
            ),
            ("option[1]", "missing field `name`"),
        ]
    );
}

/// An unknown id with no known id near it points at the command that lists the known ones.
#[test]
fn an_unknown_id_far_from_every_known_one_names_the_listing() {
    let scratch = Scratch::new();
    for (from, to, listing) in [
        (
            "offer = \"aws-p5.48xlarge-us-east-1\"\n\n[[option]]\nname = \"mix\"",
            "offer = \"qqqqqqqq\"\n\n[[option]]\nname = \"mix\"",
            "`tcosim catalog list offers`",
        ),
        (
            "servers = 2\nsite = \"us-tx-colo\"",
            "servers = 2\nsite = \"zzzzzzzzzzzz\"",
            "`tcosim catalog list sites`",
        ),
    ] {
        let bad = scratch.write("bad.toml", &edit(BASE, from, to));
        rejected(
            &[arg("validate"), arg(&bad)],
            &["no known id is near it", listing],
        );
        // The listing named exists and lists rows.
        let kind = listing
            .trim_matches('`')
            .rsplit(' ')
            .next()
            .expect("a table");
        assert!(
            success(["catalog", "list", kind, "--format", "csv"])
                .lines()
                .count()
                > 2
        );
    }
}

/// A catalog file that does not load (a value of the wrong type, an unknown field, bad CSV
/// fields) reports the problem of every bad row, in every file of the folder, with its line.
#[test]
fn every_row_that_does_not_load_is_reported() {
    let scratch = Scratch::new();
    let shipped = repo().join("catalogs");
    for name in [
        "accelerators.toml",
        "servers.toml",
        "cloud-providers.toml",
        "sites.toml",
        "depreciation.toml",
        "fx.toml",
    ] {
        let mut text = std::fs::read_to_string(shipped.join(name)).expect("shipped catalog");
        if name == "accelerators.toml" {
            let mut n = 0;
            text = text
                .lines()
                .map(|l| {
                    n += usize::from(l.starts_with("memory_gb = "));
                    match (l.starts_with("memory_gb = "), n) {
                        (true, 1) => "memory_gb = \"sixteen\"".to_string(),
                        (true, 3) => "memory_gb = 80\nmemory_size = 80".to_string(),
                        _ => l.to_string(),
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
        }
        scratch.write(&format!("cat/{name}"), &text);
    }
    let offers = format!(
        "{OFFERS_HEADER}{}{}{}",
        offer_row("abc", ""),
        offer_row("98", "").replace("test-offer", "test-offer-2"),
        offer_row("98", "")
            .replace("test-offer", "test-offer-3")
            .replace(",8,", ",eight,"),
    );
    scratch.write("cat/cloud-offers.csv", &offers);
    let folder = scratch.path("cat");
    let out = output([arg("validate"), arg("--format"), arg("json"), arg(&folder)]);
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let found: Vec<(String, u64, String)> = doc["files"][0]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                Path::new(e["in"].as_str().unwrap_or(""))
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                e["line"].as_u64().unwrap_or(0),
                e["key"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let accelerators = std::fs::read_to_string(folder.join("accelerators.toml")).expect("written");
    let line = |needle: &str| line_of(&accelerators, needle) as u64;
    assert_eq!(
        found,
        [
            (
                "accelerators.toml".to_string(),
                line("memory_gb = \"sixteen\""),
                "accelerator[0].memory_gb".to_string()
            ),
            (
                "accelerators.toml".to_string(),
                line("memory_size"),
                "accelerator[2].memory_size".to_string()
            ),
            (
                "cloud-offers.csv".to_string(),
                2,
                "line 2, column on_demand_usd_per_hour".to_string()
            ),
            (
                "cloud-offers.csv".to_string(),
                4,
                "line 4, column accelerator_count".to_string()
            ),
        ],
        "{found:#?}"
    );
}

/// A file with more problems than are reported says that checking stopped, in words and in
/// JSON.
#[test]
fn a_file_with_too_many_problems_says_checking_stopped() {
    let scratch = Scratch::new();
    let mut text = BASE.to_string();
    for i in 0..120 {
        text.push_str(&format!(
            "\n[[workload]]\nname = \"w{i}\"\ngpu_hours_per_month = -1\nprofile = \"flat\"\n"
        ));
    }
    let bad = scratch.write("bad.toml", &text);
    rejected(
        &[arg("validate"), arg(&bad)],
        &["stopped after 100 errors; fix these and validate again for the rest"],
    );
    let out = output([arg("validate"), arg("--format"), arg("json"), arg(&bad)]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(doc["files"][0]["truncated"], true);
    assert!(doc["files"][0]["errors"].as_array().expect("errors").len() >= 100);
    let good = success([
        "validate",
        "--format",
        "json",
        "scenarios/startup-finetune.toml",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&good).expect("JSON");
    assert_eq!(doc["files"][0]["truncated"], false);
}

/// A value that is not a number or infinite is shown as the file spells it, with what it is,
/// never as Rust prints it (`NaN`, `inf`).
#[test]
fn non_finite_values_are_named_in_words() {
    let scratch = Scratch::new();
    let text = edit(BASE, "discount_rate = 0.08", "discount_rate = nan");
    let text = edit(
        &text,
        "gpu_hours_per_month = 5000",
        "gpu_hours_per_month = -inf",
    );
    let bad = scratch.write("bad.toml", &text);
    let err = rejected(
        &[arg("validate"), arg(&bad)],
        &["found: nan (not a number)", "found: -inf (infinite)"],
    );
    assert!(!err.contains("NaN"), "{err}");
}

/// A large catalog file that fails only at its last entry is checked entry by entry, each once:
/// the error names the last entry at its line in the file.
#[test]
fn a_large_catalog_file_is_checked_entry_by_entry() {
    let scratch = Scratch::new();
    let row = |i: usize| {
        format!(
            "[[accelerator]]\nid = \"a{i}\"\nvendor = \"x\"\nname = \"x\"\nmemory_gb = 1.0\n\
             memory_bandwidth_tb_s = 1.0\nbf16_dense_tflops = 1.0\ntdp_w = 1.0\nrelease = \"2020\"\n\
             street_price_usd = 1.0\nsource = \"x\"\nas_of = \"2020\"\n"
        )
    };
    let mut text: String = (0..5_000).map(row).collect();
    text.push_str("[[accelerator]]\nid = 1\n");
    let file = scratch.write("cat/accelerators.toml", &text);
    let shown = file.display().to_string();
    let line = text.lines().count();
    let err = rejected(
        &[arg("validate"), arg(&scratch.path("cat"))],
        &[
            &format!("error: {shown}:{line}:"),
            "`id` has the wrong type",
            "key: `accelerator[5000].id`",
        ],
    );
    assert_eq!(err.matches("error: ").count(), 1, "{err}");
}

#[test]
#[cfg(target_os = "linux")]
fn a_verdict_that_cannot_be_written_is_an_error_not_a_crash() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full");
        return;
    };
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("tcosim"))
        .current_dir(crate::support::repo())
        .args(["validate", "scenarios/inference-fleet.toml"])
        .stdout(full)
        .output()
        .expect("tcosim starts");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("standard output: cannot write output"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

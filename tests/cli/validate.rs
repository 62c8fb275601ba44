//! `tcosim validate`: accepts the shipped scenarios and catalogs, rejects bad files with exit
//! code 2, and never writes anything.

use crate::support::{
    BASE, EXIT_INPUT, SERVER_ROW, Scratch, arg, edit, example_scenarios, output, rejected, repo,
    stderr, stdout, success, tcosim,
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
fn quiet_prints_nothing_on_success() {
    let out = output([
        "--quiet",
        "validate",
        "catalogs",
        "scenarios/startup-finetune.toml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
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
    let bad = scratch.write(
        "servers.toml",
        &edit(SERVER_ROW, "price_usd = 300000.0", "price_usd = -1"),
    );
    rejected(
        &[arg("validate"), arg(&bad)],
        &[
            &format!("error: {}:", bad.display()),
            "key: `server[0].price_usd`",
        ],
    );
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

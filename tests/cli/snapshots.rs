//! Snapshots of the reports of `scenarios/startup-finetune.toml` and of one error message.
//! Paths are given relative to the repository root (or the scratch folder), so the snapshots do
//! not depend on where the repository is checked out.

use crate::support::{BASE, Scratch, edit, stderr, success, tcosim};

const SCENARIO: &str = "scenarios/startup-finetune.toml";

#[test]
fn startup_finetune_table() {
    insta::assert_snapshot!(
        "startup_finetune_table",
        success(["run", SCENARIO, "--format", "table"])
    );
}

#[test]
fn startup_finetune_markdown() {
    insta::assert_snapshot!(
        "startup_finetune_markdown",
        success(["run", SCENARIO, "--format", "markdown"])
    );
}

/// Significant digits kept of the non-integer numbers of the JSON snapshot: the last bits of a
/// float may differ between platforms' maths libraries, the figures that matter do not.
const SIGNIFICANT_DIGITS: i32 = 10;

/// `json` with every number that has a fraction or exponent rounded to
/// [`SIGNIFICANT_DIGITS`], leaving strings, integers, key order and layout as printed.
fn round_numbers(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut chars = json.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '-' || c.is_ascii_digit() {
            let mut token = c.to_string();
            while let Some(&n) = chars.peek() {
                if n.is_ascii_digit() || matches!(n, '.' | 'e' | 'E' | '+' | '-') {
                    token.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            if token.contains(['.', 'e', 'E']) {
                let v: f64 = token.parse().expect("a JSON number");
                let decimals = if v == 0.0 {
                    1
                } else {
                    (SIGNIFICANT_DIGITS - 1 - v.abs().log10().floor() as i32).clamp(1, 15)
                };
                out.push_str(&format!("{v:.prec$}", prec = decimals as usize));
                // Trailing zeros carry no information.
                while out.ends_with('0') && !out.ends_with(".0") {
                    out.pop();
                }
            } else {
                out.push_str(&token);
            }
        } else {
            if c == '"' {
                in_string = true;
            }
            out.push(c);
        }
    }
    out
}

#[test]
fn rounding_keeps_the_json_valid_and_close() {
    let text =
        "{\"a\": [1, -0.5, 2110250.2588755335, 1e-7, 0.0], \"b\": \"x\\\"1.23456789012345\"}";
    let rounded = round_numbers(text);
    assert_eq!(
        rounded,
        "{\"a\": [1, -0.5, 2110250.259, 0.0000001, 0.0], \"b\": \"x\\\"1.23456789012345\"}"
    );
    let v: serde_json::Value = serde_json::from_str(&rounded).unwrap();
    assert_eq!(v["a"][2], 2110250.259);
}

#[test]
fn startup_finetune_json() {
    let json = success(["run", SCENARIO, "--format", "json"]);
    assert!(
        !json.contains(env!("CARGO_MANIFEST_DIR")),
        "the JSON holds an absolute path"
    );
    insta::assert_snapshot!("startup_finetune_json", round_numbers(&json));
}

#[test]
fn error_message_of_an_unknown_server() {
    let scratch = Scratch::new();
    scratch.write(
        "scenario.toml",
        &edit(
            BASE,
            "server = \"dgx-h100\"\nservers = 2",
            "server = \"dgx-h10\"\nservers = 2",
        ),
    );
    let out = tcosim()
        .current_dir(scratch.dir.path())
        .args(["run", "scenario.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!("error_unknown_server", stderr(&out));
}

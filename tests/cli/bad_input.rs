//! Every bad input the product promises to reject: exit code 2, a message on stderr naming the
//! file and the line:column or key (and, for unknown ids, the nearest known ids), nothing on
//! stdout and no `--output` file. Each case writes its own files into a temporary folder.

use crate::support::{
    BASE, OFFERS_HEADER, SERVER_ROW, SITE_ROW, Scratch, arg, edit, line_col, line_of, offer_row,
    output, run_rejected, stderr, stdout,
};
use std::path::Path;

/// `path:line:col: `, the start of a message that points at a position.
fn at(path: &Path, (line, col): (usize, usize)) -> String {
    format!("{}:{line}:{col}: ", path.display())
}

fn key(k: &str) -> String {
    format!("key: `{k}`")
}

/// Line and column of the value of `assignment` (e.g. `servers = 2`) in `text`.
fn value_pos(text: &str, assignment: &str) -> (usize, usize) {
    let (line, col) = line_col(text, assignment);
    let offset = assignment.find("= ").expect("an assignment") + 2;
    (line, col + offset)
}

/// Writes `text` as a scenario and asserts that `run` rejects it with a message that starts
/// with the scenario's path (followed by `pos` when given) and contains `needles`.
fn rejects_scenario(text: &str, pos: Option<(usize, usize)>, needles: &[&str]) -> String {
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", text);
    rejects_scenario_at(&scratch, &path, pos, needles)
}

fn rejects_scenario_at(
    scratch: &Scratch,
    path: &Path,
    pos: Option<(usize, usize)>,
    needles: &[&str],
) -> String {
    let mut all = vec![match pos {
        Some(p) => format!("error: {}", at(path, p)),
        None => format!("error: {}", path.display()),
    }];
    all.extend(needles.iter().map(|n| n.to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let before = scratch.listing();
    let err = run_rejected(&[arg(path)], &refs);
    assert_eq!(scratch.listing(), before, "a rejected run wrote files");
    err
}

/// The base scenario with `extra` added after the line `after` (an exact line of `BASE`).
fn with_line(after: &str, extra: &str) -> String {
    edit(BASE, &format!("{after}\n"), &format!("{after}\n{extra}\n"))
}

/// [`with_line`] for a line inside option `n` (0 own, 1 rent, 2 mix): added after its name.
fn in_option(n: usize, extra: &str) -> String {
    let name = ["own", "rent", "mix"][n];
    with_line(&format!("name = \"{name}\""), extra)
}

// --- Scenario syntax and shape -------------------------------------------------------------

#[test]
fn malformed_toml_points_at_the_line() {
    let text = edit(BASE, "horizon_months = 24", "horizon_months = = 24");
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let line = line_of(&text, "horizon_months = = 24");
    rejects_scenario_at(
        &scratch,
        &path,
        None,
        &[&format!("{}:{line}:", path.display())],
    );
}

#[test]
fn unterminated_string_points_at_the_line() {
    let text = edit(BASE, "name = \"training\"", "name = \"training");
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let line = line_of(&text, "name = \"training");
    rejects_scenario_at(
        &scratch,
        &path,
        None,
        &[&format!("{}:{line}:", path.display())],
    );
}

#[test]
fn unknown_top_level_key() {
    let text = with_line("discount_rate = 0.08", "colour = \"blue\"");
    let pos = line_col(&text, "colour =");
    rejects_scenario(&text, Some(pos), &["unknown field `colour`"]);
}

#[test]
fn unknown_key_inside_an_option() {
    let text = in_option(1, "colour = \"red\"");
    let pos = line_col(&text, "colour =");
    rejects_scenario(&text, Some(pos), &["unknown field `colour`"]);
}

#[test]
fn unknown_key_inside_a_workload() {
    let text = with_line("growth_per_year = 0.1", "growht_per_year = 0.2");
    let pos = line_col(&text, "growht_per_year =");
    rejects_scenario(&text, Some(pos), &["unknown field `growht_per_year`"]);
}

/// A list where a table belongs was once read key by key in the order of the table's fields
/// (`tax = [0.25, "us-bonus-100", false]` ran as a 25% tax): now refused at the key.
#[test]
fn a_list_where_a_table_belongs_is_refused_at_its_key() {
    let cases: [(String, &str, &[&str]); 6] = [
        (
            with_line(
                "discount_rate = 0.08",
                "tax = [0.25, \"us-bonus-100\", false]",
            ),
            "tax = [",
            &[
                "`tax` is not a table",
                "key: `tax`",
                "expected: a table: keys under a `[tax]` header, or `tax = { key = value, ... }`",
                "found: a list of 3 values",
            ],
        ),
        (
            with_line("discount_rate = 0.08", "showback = []"),
            "showback = [",
            &["`showback` is not a table", "found: an empty list `[]`"],
        ),
        (
            in_option(0, "refresh = \"x\""),
            "refresh = \"x\"",
            &[
                "`option[0].refresh` is not a table",
                "key: `option[0].refresh`",
                "expected: a table: keys under a `[option.refresh]` header, or `refresh = { key = value, ... }`",
                "found: the text \"x\"",
            ],
        ),
        (
            format!("{BASE}\n[[tax]]\nrate = 0.2\n"),
            "[[tax]]",
            &[
                "`tax` is not a table",
                "found: a list of tables, as `[[tax]]` headers write one",
            ],
        ),
        (
            format!("{BASE}\n[tax]\nrate = 0.2\n[tax.policy]\nid = \"macrs-5y\"\n"),
            "[tax.policy]",
            &[
                "`tax.policy` has the wrong type",
                "key: `tax.policy`",
                "expected: a text in quotes",
                "found: a table",
            ],
        ),
        (
            BASE.replacen("[[workload]]", "[workload]", 1),
            "[workload]",
            &[
                "`workload` is not a list",
                "key: `workload`",
                "expected: `[[workload]]` tables (one header per entry), or a list of tables",
                "found: one table (`[workload]` instead of `[[workload]]`?)",
            ],
        ),
    ];
    for (text, at_text, needles) in &cases {
        let pos = line_col(text, at_text);
        let pos = if at_text.contains(" = ") {
            value_pos(text, at_text)
        } else {
            pos
        };
        rejects_scenario(text, Some(pos), needles);
    }
    // `validate` names every one of them at once, each at its line.
    let text = with_line(
        "discount_rate = 0.08",
        "tax = [0.25, \"us-bonus-100\", false]\nshowback = [\"shared\"]",
    );
    let text = edit(
        &text,
        "servers = 2\n",
        "servers = 2\nfinancing = \"cash\"\n",
    );
    let scratch = Scratch::new();
    let path = scratch.write("scenario.toml", &text);
    let err = crate::support::rejected(
        &[std::ffi::OsStr::new("validate"), arg(&path)],
        &[
            &format!(
                "{}`tax` is not a table",
                at(&path, value_pos(&text, "tax = ["))
            ),
            &format!(
                "{}`showback` is not a table",
                at(&path, value_pos(&text, "showback = ["))
            ),
            &format!(
                "{}`option[0].financing` is not a table",
                at(&path, value_pos(&text, "financing = \"cash\""))
            ),
        ],
    );
    assert_eq!(err.matches("error: ").count(), 3, "{err}");
    // However many there are, `validate` stops at 100, as for any mistakes.
    let many = format!("uncertain = [{}]\n{BASE}", vec!["[]"; 5_000].join(", "));
    let path = scratch.write("many.toml", &many);
    let err = crate::support::rejected(
        &[std::ffi::OsStr::new("validate"), arg(&path)],
        &["`uncertain[0]` is not a table", "stopped after 100 errors"],
    );
    assert_eq!(err.matches("error: ").count(), 100, "{err}");
    // A policy file: `[[policy]]` entries are tables.
    let policies = scratch.write("policies.toml", "policy = [[]]\n");
    crate::support::rejected(
        &[
            std::ffi::OsStr::new("run"),
            std::ffi::OsStr::new("--policy"),
            arg(&policies),
        ],
        &[
            &format!("{}`policy[0]` is not a table", at(&policies, (1, 11))),
            "expected: a table of keys: `{ key = value, ... }`",
            "found: an empty list `[]`",
        ],
    );
}

#[test]
fn wrong_type_string_where_a_number_is_expected() {
    let text = edit(BASE, "servers = 2", "servers = \"two\"");
    let pos = value_pos(&text, "servers = \"two\"");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "`servers` has the wrong type",
            "key: `option[0].servers`",
            "expected: a whole number",
            "found: the text \"two\"",
        ],
    );
}

#[test]
fn wrong_type_string_for_a_rate() {
    let text = edit(BASE, "discount_rate = 0.08", "discount_rate = \"8%\"");
    let pos = value_pos(&text, "discount_rate = \"8%\"");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "`discount_rate` has the wrong type",
            "expected: a number",
            "found: the text \"8%\"",
        ],
    );
}

#[test]
fn missing_required_key() {
    let text = edit(BASE, "horizon_months = 24\n", "");
    rejects_scenario(&text, None, &["horizon_months"]);
}

#[test]
fn missing_scenario_file() {
    let scratch = Scratch::new();
    let path = scratch.path("no-such-scenario.toml");
    run_rejected(
        &[arg(&path)],
        &[
            &format!("error: {}", path.display()),
            "cannot read the scenario file",
            "found: no such file",
        ],
    );
    assert!(scratch.listing().is_empty());
}

#[test]
fn scenario_is_a_folder() {
    let scratch = Scratch::new();
    run_rejected(
        &[arg(scratch.dir.path())],
        &[&format!("error: {}", scratch.dir.path().display())],
    );
}

// --- Unknown ids, with the nearest known ids ------------------------------------------------

#[test]
fn unknown_server_id_lists_the_nearest() {
    let text = edit(
        BASE,
        "server = \"dgx-h100\"\nservers = 2",
        "server = \"dgx-h10\"\nservers = 2",
    );
    let pos = value_pos(&text, "server = \"dgx-h10\"");
    let err = rejects_scenario(
        &text,
        Some(pos),
        &[
            "unknown server id `dgx-h10`",
            &key("option[0].server"),
            "hint:",
            "`dgx-h100`",
        ],
    );
    let hint = err.lines().find(|l| l.starts_with("hint:")).unwrap();
    assert!(
        hint.find("`dgx-h100`") < hint.find("`dgx-a100`").or(Some(usize::MAX)),
        "the closest id comes first: {hint}"
    );
}

#[test]
fn unknown_site_id_lists_the_nearest() {
    let text = edit(
        BASE,
        "servers = 2\nsite = \"us-tx-colo\"",
        "servers = 2\nsite = \"us-tx-colocation\"",
    );
    let pos = value_pos(&text, "site = \"us-tx-colocation\"");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "unknown site id `us-tx-colocation`",
            &key("option[0].site"),
            "`us-tx-colo`",
        ],
    );
}

#[test]
fn unknown_offer_id_lists_the_nearest() {
    let text = edit(
        BASE,
        "kind = \"cloud\"\noffer = \"aws-p5.48xlarge-us-east-1\"",
        "kind = \"cloud\"\noffer = \"aws-p5-48xlarge-us-east-1\"",
    );
    let pos = value_pos(&text, "offer = \"aws-p5-48xlarge-us-east-1\"");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "unknown cloud offer id `aws-p5-48xlarge-us-east-1`",
            &key("option[1].offer"),
            "`aws-p5.48xlarge-us-east-1`",
        ],
    );
}

#[test]
fn unknown_reference_accelerator_lists_the_nearest() {
    let text = edit(
        BASE,
        "reference_accelerator = \"h100-sxm\"",
        "reference_accelerator = \"h100\"",
    );
    let pos = value_pos(&text, "reference_accelerator = \"h100\"");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "unknown accelerator id `h100`",
            &key("reference_accelerator"),
            "`h100-sxm`",
        ],
    );
}

#[test]
fn unknown_currency_lists_the_nearest() {
    let text = edit(BASE, "currency = \"USD\"", "currency = \"EURO\"");
    let pos = value_pos(&text, "currency = \"EURO\"");
    rejects_scenario(
        &text,
        Some(pos),
        &["`EURO`", &key("currency"), "hint:", "`EUR`"],
    );
}

#[test]
fn unknown_depreciation_policy_lists_the_nearest() {
    let text = in_option(0, "depreciation = \"macrs-6y\"");
    let pos = value_pos(&text, "depreciation = \"macrs-6y\"");
    rejects_scenario(
        &text,
        Some(pos),
        &["`macrs-6y`", &key("option[0].depreciation"), "`macrs-5y`"],
    );
}

#[test]
fn misspelled_option_kind_suggests_hybrid() {
    let text = edit(BASE, "kind = \"hybrid\"", "kind = \"hybird\"");
    let pos = value_pos(&text, "kind = \"hybird\"");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "unknown option kind `hybird`",
            &key("option[2].kind"),
            "did you mean `hybrid`?",
        ],
    );
}

#[test]
fn unknown_profile_name_suggests_the_nearest() {
    let text = edit(BASE, "profile = \"flat\"", "profile = \"burst\"");
    let pos = value_pos(&text, "profile = \"burst\"");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "unknown load profile `burst`",
            &key("workload[0].profile"),
            "`bursty`",
        ],
    );
}

#[test]
fn unknown_baseline_name_lists_the_options() {
    let text = with_line("discount_rate = 0.08", "baseline = \"rnet\"");
    let pos = value_pos(&text, "baseline = \"rnet\"");
    rejects_scenario(
        &text,
        Some(pos),
        &["unknown option `rnet`", &key("baseline"), "`rent`"],
    );
}

// --- Values out of range ---------------------------------------------------------------------

#[test]
fn horizon_of_zero_months() {
    let text = edit(BASE, "horizon_months = 24", "horizon_months = 0");
    let pos = value_pos(&text, "horizon_months = 0");
    rejects_scenario(
        &text,
        Some(pos),
        &["out of range", &key("horizon_months"), "found: 0"],
    );
}

#[test]
fn horizon_of_601_months() {
    let text = edit(BASE, "horizon_months = 24", "horizon_months = 601");
    let pos = value_pos(&text, "horizon_months = 601");
    rejects_scenario(
        &text,
        Some(pos),
        &["out of range", &key("horizon_months"), "found: 601"],
    );
}

#[test]
fn negative_discount_rate() {
    let text = edit(BASE, "discount_rate = 0.08", "discount_rate = -0.05");
    let pos = value_pos(&text, "discount_rate = -0.05");
    rejects_scenario(
        &text,
        Some(pos),
        &["out of range", &key("discount_rate"), "found: -0.05"],
    );
}

#[test]
fn availability_above_one() {
    let text = in_option(0, "availability = 1.5");
    let pos = value_pos(&text, "availability = 1.5");
    rejects_scenario(
        &text,
        Some(pos),
        &["out of range", &key("option[0].availability"), "found: 1.5"],
    );
}

#[test]
fn committed_share_below_zero() {
    let text = in_option(1, "committed_share = -0.1");
    let pos = value_pos(&text, "committed_share = -0.1");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "out of range",
            &key("option[1].committed_share"),
            "found: -0.1",
        ],
    );
}

#[test]
fn committed_share_above_one() {
    let text = in_option(1, "committed_share = 1.2");
    let pos = value_pos(&text, "committed_share = 1.2");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "out of range",
            &key("option[1].committed_share"),
            "found: 1.2",
        ],
    );
}

#[test]
fn spot_share_on_an_offer_without_a_spot_price() {
    let text = edit(
        BASE,
        "kind = \"cloud\"\noffer = \"aws-p5.48xlarge-us-east-1\"",
        "kind = \"cloud\"\noffer = \"lambda-gpu_8x_h100_sxm5\"\nspot_share = 0.3",
    );
    let pos = value_pos(&text, "spot_share = 0.3");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "`lambda-gpu_8x_h100_sxm5` has no spot price",
            &key("option[1].spot_share"),
        ],
    );
}

// --- Inconsistent options --------------------------------------------------------------------

#[test]
fn gpus_not_a_multiple_of_the_server_size() {
    let text = edit(BASE, "servers = 2", "gpus = 12");
    let pos = value_pos(&text, "gpus = 12");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "`gpus` is not a whole number of `dgx-h100` servers",
            &key("option[0].gpus"),
            "a multiple of 8",
            "use 8 or 16 GPUs",
        ],
    );
}

#[test]
fn both_servers_and_gpus() {
    let text = edit(BASE, "servers = 2", "servers = 2\ngpus = 16");
    let pos = value_pos(&text, "gpus = 16");
    rejects_scenario(
        &text,
        Some(pos),
        &["both `servers` and `gpus`", &key("option[0].gpus")],
    );
}

#[test]
fn cloud_fields_in_an_onprem_option() {
    let text = in_option(0, "spot_share = 0.5");
    let pos = value_pos(&text, "spot_share = 0.5");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "`spot_share` does not apply to an `onprem` option",
            &key("option[0].spot_share"),
            "hybrid",
        ],
    );
}

#[test]
fn owned_fields_in_a_cloud_option() {
    let text = in_option(1, "servers = 4");
    let pos = value_pos(&text, "servers = 4");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "`servers` does not apply to a `cloud` option",
            &key("option[1].servers"),
        ],
    );
}

#[test]
fn duplicate_option_names() {
    let text = edit(BASE, "name = \"mix\"", "name = \"rent\"");
    // The second `name = "rent"`, in option 2.
    let (line, col) = value_pos(&text, "kind = \"hybrid\"");
    rejects_scenario(
        &text,
        Some((line - 1, col)),
        &["duplicate option name `rent`", &key("option[2].name")],
    );
}

#[test]
fn lease_with_a_refresh_other_than_its_term() {
    let text = in_option(
        0,
        "refresh_years = 4\nfinancing = { kind = \"lease\", annual_rate = 0.09, term_months = 36 }",
    );
    let pos = value_pos(&text, "refresh_years = 4");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "a lease is renewed at the end of its term",
            &key("option[0].refresh_years"),
            "36",
            "48 months",
        ],
    );
}

// --- Hourly profile files --------------------------------------------------------------------

/// Writes a scenario whose workload reads `profile.csv` (holding `csv`) from beside it, runs it
/// and checks the message names the profile file (and `line` when given).
fn rejects_profile(csv: &str, line: Option<usize>, needles: &[&str]) -> String {
    let scratch = Scratch::new();
    let text = edit(BASE, "profile = \"flat\"", "profile = \"profile.csv\"");
    let path = scratch.write("scenario.toml", &text);
    let csv_path = scratch.write("profile.csv", csv);
    let shown = match line {
        Some(l) => format!("error: {}:{l}:", csv_path.display()),
        None => format!("error: {}", csv_path.display()),
    };
    let mut all = vec![shown.as_str()];
    all.extend_from_slice(needles);
    let before = scratch.listing();
    let err = run_rejected(&[arg(&path)], &all);
    assert_eq!(scratch.listing(), before);
    err
}

fn hourly(values: impl Iterator<Item = String>) -> String {
    let mut s = String::from("load\n");
    for v in values {
        s.push_str(&v);
        s.push('\n');
    }
    s
}

#[test]
fn a_valid_month_long_profile_is_accepted() {
    // The positive control of the profile cases below: 730 values, repeated over the year.
    let scratch = Scratch::new();
    let text = edit(BASE, "profile = \"flat\"", "profile = \"profile.csv\"");
    let path = scratch.write("scenario.toml", &text);
    scratch.write(
        "profile.csv",
        &hourly((0..730).map(|h| format!("{}", 1 + h % 24))),
    );
    let out = output([arg("run"), arg(&path)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn profile_of_the_wrong_length() {
    rejects_profile(
        &hourly((0..100).map(|h| format!("{}", 1 + h % 3))),
        None,
        &["wrong length", "8760", "100 values"],
    );
}

#[test]
fn profile_of_zeros() {
    rejects_profile(
        &hourly((0..730).map(|_| "0".to_string())),
        None,
        &["all zero"],
    );
}

#[test]
fn profile_with_a_negative_value_names_its_line() {
    // Header on line 1, a comment on line 2, values from line 3; line 9 is negative.
    let mut csv = String::from("load\n# measured\n");
    for h in 0..730 {
        csv.push_str(if h == 6 { "-0.5\n" } else { "1.0\n" });
    }
    assert_eq!(line_of(&csv, "-0.5"), 9);
    rejects_profile(&csv, Some(9), &["invalid hourly load", "-0.5"]);
}

#[test]
fn profile_with_a_word_among_the_numbers_names_its_line() {
    let mut csv = String::from("load\n");
    for h in 0..730 {
        csv.push_str(if h == 10 { "lots\n" } else { "1.0\n" });
    }
    rejects_profile(&csv, Some(12), &["`lots`"]);
}

#[test]
fn empty_profile_file() {
    rejects_profile("", None, &["8760"]);
}

#[test]
fn missing_profile_file() {
    let scratch = Scratch::new();
    let text = edit(BASE, "profile = \"flat\"", "profile = \"missing.csv\"");
    let path = scratch.write("scenario.toml", &text);
    let pos = value_pos(&text, "profile = \"missing.csv\"");
    rejects_scenario_at(
        &scratch,
        &path,
        Some(pos),
        &["missing.csv", &key("workload[0].profile")],
    );
}

// --- Catalog folders given with --catalog ----------------------------------------------------

/// Writes the catalog `files` into a folder and asserts that running the base scenario over
/// it is rejected with a message naming `file_in_dir` (at `pos` when given) and `needles`.
fn rejects_catalog(
    files: &[(&str, &str)],
    file_in_dir: &str,
    pos: Option<(usize, usize)>,
    needles: &[&str],
) -> String {
    let scratch = Scratch::new();
    let scenario = scratch.write("scenario.toml", BASE);
    for (name, text) in files {
        scratch.write(&format!("catalog/{name}"), text);
    }
    let dir = scratch.path("catalog");
    let shown = dir.join(file_in_dir);
    let first = match pos {
        Some(p) => format!("error: {}", at(&shown, p)),
        None => format!("error: {}", shown.display()),
    };
    let mut all = vec![first.as_str()];
    all.extend_from_slice(needles);
    let before = scratch.listing();
    let err = run_rejected(&[arg(&scenario), arg("--catalog"), arg(&dir)], &all);
    assert_eq!(scratch.listing(), before);
    err
}

#[test]
fn catalog_offer_with_a_price_that_is_not_a_number() {
    let csv = format!(
        "{OFFERS_HEADER}{}{}",
        offer_row("50.0", ""),
        offer_row("cheap", "").replace("test-offer", "test-offer-2")
    );
    rejects_catalog(
        &[("cloud-offers.csv", &csv)],
        "cloud-offers.csv",
        Some((3, 1)),
        &[
            "`on_demand_usd_per_hour` is not a number",
            "line 3, column on_demand_usd_per_hour",
            "`cheap`",
        ],
    );
}

#[test]
fn catalog_offer_row_with_too_few_fields() {
    let csv = format!("{OFFERS_HEADER}test-offer,aws,test.48xlarge\n");
    rejects_catalog(
        &[("cloud-offers.csv", &csv)],
        "cloud-offers.csv",
        Some((2, 1)),
        &["malformed CSV row"],
    );
}

#[test]
fn catalog_offer_with_an_unknown_column() {
    let csv = format!(
        "{},colour\n{},red\n",
        OFFERS_HEADER.trim_end(),
        offer_row("50.0", "").trim_end()
    );
    rejects_catalog(
        &[("cloud-offers.csv", &csv)],
        "cloud-offers.csv",
        Some((1, 1)),
        &["unknown column `colour`"],
    );
}

#[test]
fn catalog_server_with_a_negative_price() {
    let text = edit(SERVER_ROW, "price_usd = 300000.0", "price_usd = -1");
    let pos = value_pos(&text, "price_usd = -1");
    rejects_catalog(
        &[("servers.toml", &text)],
        "servers.toml",
        Some(pos),
        &[
            "`price_usd` is out of range",
            &key("server[0].price_usd"),
            "found: -1",
        ],
    );
}

#[test]
fn catalog_negative_price_in_the_second_row_names_its_index() {
    let second = edit(
        &edit(SERVER_ROW, "\"test-server\"", "\"test-server-2\""),
        "price_usd = 300000.0",
        "price_usd = -5.0",
    );
    let text = format!("{SERVER_ROW}\n{second}");
    let pos = value_pos(&text, "price_usd = -5.0");
    rejects_catalog(
        &[("servers.toml", &text)],
        "servers.toml",
        Some(pos),
        &[&key("server[1].price_usd")],
    );
}

#[test]
fn catalog_site_with_a_pue_below_one() {
    let text = edit(SITE_ROW, "pue = 1.4", "pue = 0.9");
    let pos = value_pos(&text, "pue = 0.9");
    rejects_catalog(
        &[("sites.toml", &text)],
        "sites.toml",
        Some(pos),
        &["`pue` is out of range", &key("site[0].pue"), "found: 0.9"],
    );
}

/// A repeated id is refused at the second row's id, naming the first row's line.
#[test]
fn catalog_duplicate_id_in_one_file() {
    let text = format!("{SERVER_ROW}\n{SERVER_ROW}");
    let id = "id = \"test-server\"";
    let first = value_pos(&text, id);
    let at = text.rfind(id).expect("a second id");
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |p| p + 1) + 1 + "id = ".len();
    rejects_catalog(
        &[("servers.toml", &text)],
        "servers.toml",
        Some((line, column)),
        &[
            "duplicate id `test-server`",
            &key("server[1]"),
            &format!("also at server[0], line {}", first.0),
        ],
    );
}

#[test]
fn catalog_duplicate_offer_id_in_one_file() {
    let csv = format!(
        "{OFFERS_HEADER}{}{}",
        offer_row("50.0", ""),
        offer_row("51.0", "")
    );
    let header_lines = OFFERS_HEADER.matches('\n').count();
    rejects_catalog(
        &[("cloud-offers.csv", &csv)],
        "cloud-offers.csv",
        Some((header_lines + 2, 1)),
        &[
            "duplicate id `test-offer`",
            &format!("also at row[0], line {}", header_lines + 1),
        ],
    );
}

#[test]
fn catalog_folder_with_an_unknown_file_name() {
    rejects_catalog(
        &[("server.toml", SERVER_ROW)],
        "server.toml",
        None,
        &["unknown catalog file", "did you mean `servers.toml`?"],
    );
}

#[test]
fn catalog_server_with_an_unknown_accelerator() {
    let text = edit(
        SERVER_ROW,
        "accelerator = \"h100-sxm\"",
        "accelerator = \"h100-sxm5\"",
    );
    let pos = value_pos(&text, "accelerator = \"h100-sxm5\"");
    rejects_catalog(
        &[("servers.toml", &text)],
        "servers.toml",
        Some(pos),
        &[
            "unknown accelerator id `h100-sxm5`",
            &key("server[0].accelerator"),
            "`h100-sxm`",
        ],
    );
}

#[test]
fn catalog_offer_with_an_unknown_provider() {
    let csv = format!(
        "{OFFERS_HEADER}{}",
        offer_row("50.0", "").replace(",aws,", ",awz,")
    );
    rejects_catalog(
        &[("cloud-offers.csv", &csv)],
        "cloud-offers.csv",
        Some((2, 1)),
        &["unknown cloud provider id `awz`", "`aws`"],
    );
}

#[test]
fn catalog_malformed_toml() {
    let text = edit(SITE_ROW, "pue = 1.4", "pue = 1.4.1");
    let line = line_of(&text, "pue = 1.4.1");
    rejects_catalog(
        &[("sites.toml", &text)],
        "sites.toml",
        None,
        &[&format!("sites.toml:{line}:")],
    );
}

#[test]
fn catalog_row_with_an_unknown_field() {
    let text = edit(SITE_ROW, "pue = 1.4", "pue = 1.4\npeu = 1.4");
    let pos = line_col(&text, "peu =");
    rejects_catalog(
        &[("sites.toml", &text)],
        "sites.toml",
        Some(pos),
        &["unknown field `peu`"],
    );
}

#[test]
fn catalog_folder_that_does_not_exist() {
    let scratch = Scratch::new();
    let scenario = scratch.write("scenario.toml", BASE);
    let dir = scratch.path("no-such-catalog");
    run_rejected(
        &[arg(&scenario), arg("--catalog"), arg(&dir)],
        &[&format!("error: {}", dir.display())],
    );
}

#[test]
fn catalog_spot_above_on_demand_is_a_warning_not_an_error() {
    let scratch = Scratch::new();
    scratch.write(
        "catalog/cloud-offers.csv",
        &format!("{OFFERS_HEADER}{}", offer_row("50.0", "60.0")),
    );
    let text = edit(
        BASE,
        "kind = \"cloud\"\noffer = \"aws-p5.48xlarge-us-east-1\"",
        "kind = \"cloud\"\noffer = \"test-offer\"\nspot_share = 0.5",
    );
    let scenario = scratch.write("scenario.toml", &text);
    let out = output([
        arg("run"),
        arg(&scenario),
        arg("--catalog"),
        arg(&scratch.path("catalog")),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!stdout(&out).is_empty());
    assert!(err.starts_with("warning: "), "{err}");
    assert!(err.contains("test-offer"), "{err}");
    assert!(err.contains("spot price"), "{err}");
    assert!(!err.contains("error"), "{err}");
}

// --- More values the resolver promises to reject ---------------------------------------------

/// The base scenario with `from` replaced by `to`, rejected with a message at the value of
/// `assignment` (a line of the edited text) that contains `needles`.
fn rejects_edit(from: &str, to: &str, assignment: &str, needles: &[&str]) {
    let text = edit(BASE, from, to);
    let pos = value_pos(&text, assignment);
    rejects_scenario(&text, Some(pos), needles);
}

#[test]
fn start_that_is_not_a_month() {
    rejects_edit(
        "start = \"2027-01\"",
        "start = \"2027-13\"",
        "start = \"2027-13\"",
        &["`start` is not a month", &key("start"), "YYYY-MM"],
    );
}

#[test]
fn unknown_throughput_basis() {
    let text = with_line("discount_rate = 0.08", "throughput_basis = \"fp16\"");
    let pos = value_pos(&text, "throughput_basis = \"fp16\"");
    rejects_scenario(
        &text,
        Some(pos),
        &["unknown throughput basis `fp16`", &key("throughput_basis")],
    );
}

#[test]
fn fp8_basis_with_a_reference_without_fp8() {
    let text = edit(
        &with_line("discount_rate = 0.08", "throughput_basis = \"fp8\""),
        "reference_accelerator = \"h100-sxm\"",
        "reference_accelerator = \"a100-40gb-sxm\"",
    );
    let pos = value_pos(&text, "reference_accelerator = \"a100-40gb-sxm\"");
    rejects_scenario(
        &text,
        Some(pos),
        &["has no FP8 throughput", &key("reference_accelerator")],
    );
}

#[test]
fn commitment_term_of_two_years() {
    let text = in_option(1, "commit_term_years = 2");
    let pos = value_pos(&text, "commit_term_years = 2");
    rejects_scenario(
        &text,
        Some(pos),
        &[&key("option[1].commit_term_years"), "1 or 3"],
    );
}

#[test]
fn both_committed_share_and_committed_gpus() {
    let text = in_option(1, "committed_share = 0.5\ncommitted_gpus = 8");
    let pos = value_pos(&text, "committed_gpus = 8");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "both `committed_share` and `committed_gpus`",
            &key("option[1].committed_gpus"),
        ],
    );
}

#[test]
fn unknown_financing_kind() {
    let text = in_option(0, "financing = { kind = \"rent\" }");
    let (line, col) = line_col(&text, "\"rent\" }");
    rejects_scenario(
        &text,
        Some((line, col)),
        &["unknown financing `rent`", &key("option[0].financing.kind")],
    );
}

#[test]
fn loan_without_a_rate() {
    let text = in_option(0, "financing = { kind = \"loan\", term_months = 36 }");
    rejects_scenario(
        &text,
        None,
        &[
            "loan financing needs `annual_rate`",
            &key("option[0].financing.kind"),
        ],
    );
}

#[test]
fn unknown_key_inside_financing() {
    let text = in_option(
        0,
        "financing = { kind = \"loan\", annual_rate = 0.05, term_months = 36, rate = 1 }",
    );
    let pos = line_col(&text, "rate = 1 }");
    rejects_scenario(&text, Some(pos), &["unknown field `rate`"]);
}

#[test]
fn staff_without_a_salary() {
    let text = in_option(0, "staff_fte_fixed = 1");
    let pos = value_pos(&text, "staff_fte_fixed = 1");
    rejects_scenario(
        &text,
        Some(pos),
        &["staff without a salary", &key("option[0].staff_fte_fixed")],
    );
    // Staff per server alone: named at its own key, not at one the file does not hold.
    let text = in_option(0, "staff_fte_per_server = 0.5");
    let pos = value_pos(&text, "staff_fte_per_server = 0.5");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "staff without a salary",
            &key("option[0].staff_fte_per_server"),
        ],
    );
}

#[test]
fn negative_number_of_servers() {
    rejects_edit(
        "servers = 2",
        "servers = -2",
        "servers = -2",
        &["out of range", &key("option[0].servers")],
    );
}

#[test]
fn workload_without_demand() {
    let text = edit(BASE, "gpu_hours_per_month = 5000\n", "");
    rejects_scenario(
        &text,
        None,
        &["workload `training` has no demand", &key("workload[0]")],
    );
}

#[test]
fn workload_with_both_kinds_of_demand() {
    let text = with_line(
        "gpu_hours_per_month = 5000",
        "training_flops_per_month = 1e21",
    );
    let pos = value_pos(&text, "training_flops_per_month = 1e21");
    rejects_scenario(
        &text,
        Some(pos),
        &[
            "both `gpu_hours_per_month` and `training_flops_per_month`",
            &key("workload[0].training_flops_per_month"),
        ],
    );
}

#[test]
fn training_flops_without_mfu() {
    rejects_edit(
        "gpu_hours_per_month = 5000",
        "training_flops_per_month = 1e21",
        "training_flops_per_month = 1e21",
        &["needs `mfu`", &key("workload[0].training_flops_per_month")],
    );
}

#[test]
fn option_without_a_site() {
    let text = edit(
        BASE,
        "servers = 2\nsite = \"us-tx-colo\"\n",
        "servers = 2\n",
    );
    rejects_scenario(
        &text,
        None,
        &["option `own` has no `site`", &key("option[0]")],
    );
}

#[test]
fn unknown_id_messages_use_the_right_article() {
    // "the id of a accelerator" should read "the id of an accelerator".
    let text = edit(
        BASE,
        "reference_accelerator = \"h100-sxm\"",
        "reference_accelerator = \"h100\"",
    );
    let err = rejects_scenario(&text, None, &["unknown accelerator id `h100`"]);
    assert!(
        !err.contains(" a accelerator"),
        "ungrammatical article in:\n{err}"
    );
}

#[test]
fn dates_and_bad_escapes_are_named_as_written() {
    let dir = Scratch::new();
    // A TOML date or time where a number belongs is said as such, not as "a table".
    for literal in ["2027-01-01", "07:32:00", "1979-05-27T07:32:00Z"] {
        let path = dir.write(
            "date.toml",
            &edit(
                BASE,
                "discount_rate = 0.08",
                &format!("discount_rate = {literal}"),
            ),
        );
        run_rejected(
            &[arg(&path)],
            &[
                "`discount_rate` has the wrong type",
                "key: `discount_rate`",
                &format!("found: the date or time `{literal}`"),
            ],
        );
    }
    // A bad escape in a string names the string's key, not the letters after the backslash.
    for name in [r#""a\ud800""#, r#""a\zb""#, r#""a=b\zb""#] {
        let path = dir.write(
            "escape.toml",
            &edit(BASE, "name = \"test scenario\"", &format!("name = {name}")),
        );
        run_rejected(&[arg(&path)], &["escape.toml:1:", "key: `name`"]);
    }
}

#[test]
fn a_file_without_options_names_no_empty_key() {
    let dir = Scratch::new();
    let text = BASE.split("[[option]]").next().expect("the workloads");
    let path = dir.write("no-options.toml", text);
    let err = run_rejected(
        &[arg(&path)],
        &[
            "no-options.toml: no options",
            "expected: at least one `[[option]]`",
        ],
    );
    assert!(!err.contains("key: ``"), "{err}");
}

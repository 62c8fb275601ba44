//! Inputs the fuzz targets and the review of their findings turned up, kept as seeds in
//! `fuzz/seeds/` (README "Fuzzing"): each is refused with exit code 2 and a message that says
//! what is wrong in the file's terms.

use crate::support::{Scratch, arg, rejected, repo, run_rejected};
use std::path::PathBuf;

/// A regression seed of `target`.
fn seed(target: &str, name: &str) -> PathBuf {
    let path = repo().join("fuzz/seeds").join(target).join(name);
    assert!(path.is_file(), "missing seed {}", path.display());
    path
}

/// A scratch folder whose `catalog/` holds the files of a catalog regression seed.
fn catalog_folder(name: &str) -> Scratch {
    let text = std::fs::read_to_string(seed("catalog", name)).expect("readable seed");
    let dir = Scratch::new();
    for (file, body) in tcosim::fuzzing::split_catalog(&text) {
        dir.write(&format!("catalog/{file}"), body);
    }
    dir
}

/// The longest run of digits in `text`: a number shown with every digit of its decimal
/// expansion (1e300 as three hundred of them) makes a long one.
fn longest_digits(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// The most digits a number in a message may show: 17 significant digits, an exponent, and
/// room for ids with numbers in them.
const MAX_DIGITS: usize = 24;

fn short_numbers(err: &str) {
    assert!(
        longest_digits(err) <= MAX_DIGITS,
        "a number in the message runs to {} digits:\n{err}",
        longest_digits(err)
    );
}

#[test]
fn a_number_out_of_range_is_shown_as_written() {
    let file = seed("scenario", "regression-out-of-range-1e300.toml");
    let err = run_rejected(
        &[arg(&file)],
        &[
            "`gpu_hours_per_month` is out of range",
            "key: `workload[0].gpu_hours_per_month`",
            "expected: reference-GPU-hours per month, 0 or more, at most 1,000,000,000,000",
            "found: 1e300",
        ],
    );
    short_numbers(&err);
}

#[test]
fn a_float_for_a_whole_number_is_shown_as_written() {
    let file = seed("scenario", "regression-float-for-whole-number-1e300.toml");
    let err = run_rejected(
        &[arg(&file)],
        &[
            "`horizon_months` has the wrong type",
            "expected: a whole number",
            "found: the number `1e300`",
        ],
    );
    short_numbers(&err);
}

#[test]
fn distribution_parameters_are_shown_as_written() {
    let file = seed("scenario", "regression-pert-mode-1e300.toml");
    let err = run_rejected(
        &[arg(&file)],
        &[
            "impossible `pert` distribution",
            "found: mode (1e300) is above high (0.5)",
        ],
    );
    short_numbers(&err);
}

#[test]
fn a_sweep_too_fine_to_count_says_so_in_words() {
    let file = seed("scenario", "regression-sweep-step-5e-324.toml");
    let err = rejected(
        &["sweep".as_ref(), arg(&file)],
        &[
            "too many values",
            "key: `sweep.parameter[0].step`",
            "found: beyond 1.8e308 values",
        ],
    );
    assert!(!err.contains("inf"), "{err}");
}

#[test]
fn a_catalog_price_out_of_range_is_shown_as_written() {
    let dir = catalog_folder("regression-price-1e300.txt");
    let err = rejected(
        &["validate".as_ref(), arg(&dir.path("catalog"))],
        &[
            "`price_usd` is out of range",
            "expected: 0, or a price of 0.000001 to 1,000,000,000,000 USD",
            "found: 1e300",
        ],
    );
    short_numbers(&err);
}

#[test]
fn a_negative_hourly_load_is_shown_as_written() {
    let profile = seed("profile", "regression-negative-1e300.csv");
    let dir = Scratch::new();
    let scenario = std::fs::read_to_string(seed("scenario", "minimal.toml"))
        .expect("readable seed")
        .replace(
            "profile = \"flat\"",
            &format!("profile = {:?}", profile.display().to_string()),
        );
    let file = dir.write("s.toml", &scenario);
    let err = run_rejected(
        &[arg(&file)],
        &["invalid hourly load", ":3:1", "found: -1e300"],
    );
    short_numbers(&err);
}

#[test]
fn a_whole_number_beyond_64_bits_names_its_key_in_words() {
    let file = seed("scenario", "regression-whole-number-beyond-64-bits.toml");
    let err = run_rejected(
        &[arg(&file)],
        &[
            ":18:64: `term_months` has the wrong type",
            "key: `option[0].financing.term_months`",
            "found: the whole number `18446744073709551616`, beyond the 64 bits of a TOML whole number",
        ],
    );
    assert!(!err.contains("i128"), "{err}");
}

#[test]
fn the_sum_of_a_depreciation_schedule_is_shown_short() {
    let dir = catalog_folder("regression-rates-sum-1e300.txt");
    let err = rejected(
        &["validate".as_ref(), arg(&dir.path("catalog"))],
        &["`annual_rates` do not form a schedule", "(sum 1e300)"],
    );
    short_numbers(&err);
}

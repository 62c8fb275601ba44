//! The fuzz targets' checks on stable Rust (README "Fuzzing"): every seed of `fuzz/seeds/` and a
//! few thousand deterministic mutations of them go through `tcosim::fuzzing`, the same checks the
//! libFuzzer targets run, so `cargo test` catches a parser that panics or an invariant that breaks
//! without nightly or cargo-fuzz. The mutations come from a seeded generator: a failure names the
//! seed file and the mutation, and reproduces run to run. Unlike the other modules, these tests
//! call the library, not the binary.

use super::support::repo;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use tcosim::fuzzing::{Outcome, Violation, replace_number};

/// Mutations per target, chosen so that the three tests together take about half a minute in
/// a debug build on one core (a scenario that resolves costs far more than one that does not).
const SCENARIO_MUTATIONS: usize = 1_200;
const CATALOG_MUTATIONS: usize = 300;
const PROFILE_MUTATIONS: usize = 1_500;
/// Mutations of the trace seeds (each accepted trace is replayed 2 × 4 × 4 times per format).
const TRACE_MUTATIONS: usize = 400;

/// Seed of the mutation generator: change it to explore other mutations.
const GENERATOR_SEED: u64 = 0x7c05_1d0e_f022_2026;

/// Text that a parser must take in its stride: control characters raw and escaped, a
/// bidirectional override, a byte-order mark, long text, deep nesting, odd line ends.
const INSERTS: [&str; 14] = [
    "\u{0}",
    "\u{1b}[2J",
    "\u{7f}",
    "\u{85}",
    "\u{202e}",
    "\u{feff}",
    "\\u001b",
    "\\u0000",
    "\t",
    "\r",
    "\r\n",
    ",,,,",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "{a={a={a={a={a={a={a={a={a={a={a={}}}}}}}}}}}",
];

/// splitmix64: a small, fast, seedable generator (Steele, Lea and Flood 2014).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0; the bias of a modulus is of no concern here).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One to four random edits of `seed` (one in half of the mutations, so that many still parse),
/// splicing from `others` (seeds of the same target); two in five edits replace a number.
fn mutate(rng: &mut Rng, seed: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seed.to_vec();
    let edits = if rng.below(2) == 0 {
        1
    } else {
        2 + rng.below(3)
    };
    for _ in 0..edits {
        let len = data.len();
        let at = rng.below(len + 1);
        match rng.below(15) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                data[i] = rng.next() as u8;
            }
            2 => {
                let end = (at + 1 + rng.below(64)).min(len);
                data.drain(at..end);
            }
            3 => {
                let end = (at + 1 + rng.below(256)).min(len);
                let copy = data[at..end].to_vec();
                let to = rng.below(len + 1);
                data.splice(to..to, copy);
            }
            4 => data.truncate(at),
            5 => {
                let other = &others[rng.below(others.len())];
                let from = rng.below(other.len() + 1);
                data.truncate(at);
                data.extend_from_slice(&other[from..]);
            }
            6 | 10..=14 => replace_number(&mut data, rng.next()),
            7 => {
                let text = INSERTS[rng.below(INSERTS.len())];
                data.splice(at..at, text.bytes());
            }
            8 => {
                let long = "x".repeat([257, 1_025, 10_001][rng.below(3)]);
                data.splice(at..at, long.bytes());
            }
            _ => duplicate_line(rng, &mut data),
        }
    }
    data
}

/// Inserts a copy of one line of the text before another (a repeated key, row or header).
fn duplicate_line(rng: &mut Rng, data: &mut Vec<u8>) {
    let starts: Vec<usize> = std::iter::once(0)
        .chain((0..data.len()).filter(|&i| data[i] == b'\n').map(|i| i + 1))
        .collect();
    let from = starts[rng.below(starts.len())];
    let end = data[from..]
        .iter()
        .position(|b| *b == b'\n')
        .map(|p| from + p + 1)
        .unwrap_or(data.len());
    let line = data[from..end].to_vec();
    let to = starts[rng.below(starts.len())];
    data.splice(to..to, line);
}

/// The seeds of one target, by file name, sorted.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = repo().join("fuzz/seeds").join(target);
    let mut found: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable entry").path())
        .map(|path| (name(&path), std::fs::read(&path).expect("readable seed")))
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no seeds in {}", dir.display());
    found
}

fn name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("?")
        .to_string()
}

/// Runs `check` over every seed and `mutations` mutations, panicking with every failure found
/// (the input shown escaped); returns how many inputs were accepted.
fn smoke(target: &str, mutations: usize, check: fn(&[u8]) -> Result<Outcome, Violation>) -> usize {
    let seeds = seeds(target);
    let bodies: Vec<Vec<u8>> = seeds.iter().map(|(_, b)| b.clone()).collect();
    let mut rng = Rng(GENERATOR_SEED ^ target.len() as u64);
    let mut inputs: Vec<(String, Vec<u8>)> = seeds.clone();
    for i in 0..mutations {
        let (seed_name, body) = &seeds[i % seeds.len()];
        inputs.push((
            format!("mutation {i} of {seed_name}"),
            mutate(&mut rng, body, &bodies),
        ));
    }
    let mut failures = Vec::new();
    let mut accepted = 0;
    for (what, data) in &inputs {
        match catch_unwind(AssertUnwindSafe(|| check(data))) {
            Ok(Ok(Outcome::Accepted)) => accepted += 1,
            Ok(Ok(Outcome::Refused)) => {}
            Ok(Err(violation)) => failures.push(format!("{what}: {violation}")),
            Err(_) => failures.push(format!("{what}: panicked (message above)")),
        }
        if let Some(last) = failures.last_mut()
            && !last.contains("\n  input: ")
        {
            let shown = String::from_utf8_lossy(data);
            let shown: String = shown.chars().take(2_000).collect();
            last.push_str(&format!("\n  input: {shown:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {target} inputs failed:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
    accepted
}

#[test]
fn scenario_seeds_and_mutations_keep_the_invariants() {
    let accepted = smoke("scenario", SCENARIO_MUTATIONS, tcosim::fuzzing::scenario);
    // Most mutations are refused; enough must resolve that the model and renderers are
    // exercised too.
    assert!(accepted >= 40, "only {accepted} scenarios were accepted");
}

#[test]
fn trace_seeds_and_mutations_keep_the_invariants() {
    let accepted = smoke("trace", TRACE_MUTATIONS, tcosim::fuzzing::trace);
    assert!(accepted >= 100, "only {accepted} traces were accepted");
}

#[test]
fn catalog_seeds_and_mutations_keep_the_invariants() {
    let accepted = smoke("catalog", CATALOG_MUTATIONS, tcosim::fuzzing::catalog);
    assert!(accepted >= 30, "only {accepted} catalogs were accepted");
}

#[test]
fn profile_seeds_and_mutations_keep_the_invariants() {
    let accepted = smoke("profile", PROFILE_MUTATIONS, tcosim::fuzzing::profile);
    assert!(accepted >= 75, "only {accepted} profiles were accepted");
}

#[test]
fn catalog_input_splits_at_separator_lines() {
    let files = tcosim::fuzzing::split_catalog("=== fx.toml\na\n=== sites.toml\r\nb\n");
    assert_eq!(files, [("fx.toml", "a\n"), ("sites.toml", "b\n")]);
    // Text before the first separator goes to the file its first byte picks: `[` is 91,
    // 91 mod 8 = 3, cloud-offers.csv; `0` is 48, 48 mod 8 = 0, accelerators.toml.
    let files = tcosim::fuzzing::split_catalog("[[x]]\n=== fx.toml\n");
    assert_eq!(files, [("cloud-offers.csv", "[[x]]\n"), ("fx.toml", "")]);
    let files = tcosim::fuzzing::split_catalog("0\n=== staffing.toml\n");
    assert_eq!(files, [("accelerators.toml", "0\n"), ("staffing.toml", "")]);
    assert!(tcosim::fuzzing::split_catalog("").is_empty());
}

//! A scenario file's bytes: resolved against the built-in catalogs, simulated, rendered in every
//! format and, for small horizons, run through Monte Carlo, sensitivity and its sweep.
//! The checks and the mutator live in `tcosim::fuzzing`, which the stable smoke test runs as
//! well.

#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = tcosim::fuzzing::scenario(data) {
        panic!("{violation}");
    }
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    tcosim::fuzzing::mutate(data, size, max_size, seed, fuzzer_mutate)
});

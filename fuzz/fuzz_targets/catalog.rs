//! Catalog files, split at lines `=== NAME`, layered over the built-in catalogs; an accepted
//! catalog then runs the built-in example scenario.
//! The checks and the mutator live in `tcosim::fuzzing`, which the stable smoke test runs as
//! well.

#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = tcosim::fuzzing::catalog(data) {
        panic!("{violation}");
    }
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    tcosim::fuzzing::mutate(data, size, max_size, seed, fuzzer_mutate)
});

//! A GPU job trace in every format `tcosim replay` reads: messages of refused traces, and the
//! summaries and renderings of every replay of an accepted one. The checks and the mutator
//! live in `tcosim::fuzzing`, which the stable smoke test runs as well.

#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = tcosim::fuzzing::trace(data) {
        panic!("{violation}");
    }
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    tcosim::fuzzing::mutate(data, size, max_size, seed, fuzzer_mutate)
});

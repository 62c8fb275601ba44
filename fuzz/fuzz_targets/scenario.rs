//! A scenario file's bytes: resolved against the built-in catalogs, simulated, rendered in every
//! format and, for small horizons, run through Monte Carlo, sensitivity and its sweep.
//! The checks live in `tcosim::fuzzing`, which the stable smoke test runs as well.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = tcosim::fuzzing::scenario(data) {
        panic!("{violation}");
    }
});

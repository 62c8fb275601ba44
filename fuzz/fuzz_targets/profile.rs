//! An hourly profile file: its weights, month shapes, seasons and load-duration curves.
//! The checks live in `tcosim::fuzzing`, which the stable smoke test runs as well.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = tcosim::fuzzing::profile(data) {
        panic!("{violation}");
    }
});

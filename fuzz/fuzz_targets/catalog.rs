//! Catalog files, split at lines `=== NAME`, layered over the built-in catalogs; an accepted
//! catalog then runs the built-in example scenario.
//! The checks live in `tcosim::fuzzing`, which the stable smoke test runs as well.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = tcosim::fuzzing::catalog(data) {
        panic!("{violation}");
    }
});

//! Command-line integration tests of `tcosim`: one test binary, one module per concern.
//!
//! Every test runs the built binary from the repository root with `NO_COLOR=1`, writes its own
//! inputs into a fresh temporary folder and never touches the repository's files. `fuzz_smoke`
//! runs the fuzz targets' checks over their seeds through the library; `extremes` renders
//! through it, and `legibility` measures chart text with its bundled font.

mod support;
mod traces;

mod assumptions;
mod automation;
mod bad_input;
mod catalog;
mod catalog_commands;
mod ci_example;
mod conventions;
mod diff;
mod extremes;
mod fuzz_findings;
mod fuzz_smoke;
mod generations;
mod hardening;
mod interrupt;
mod legibility;
mod outputs;
mod policies;
mod replay;
mod report;
mod report_folder;
mod run;
mod schema;
mod sharing;
mod showback;
mod snapshots;
mod tax;
mod trailing_slash;
mod uncertainty;
mod validate;
mod waiting;

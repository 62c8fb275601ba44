//! tcosim: total cost of ownership and return on investment of AI/ML infrastructure.
//!
//! A scenario (TOML) names workloads and options (owned servers, cloud instances, hybrids);
//! the catalogs supply accelerators, servers, cloud prices, sites, depreciation policies and
//! exchange rates; the model simulates cost, capacity, energy and carbon month by month and
//! compares each option with a baseline. The library never prints: the binary in `main.rs`
//! parses arguments, calls [`run::load`] and a [`report`] renderer, and maps errors to exit codes.

pub mod catalog;
pub mod diff;
pub mod error;
pub mod finance;
#[doc(hidden)]
pub mod fuzzing;
mod json_path;
pub mod limits;
pub mod model;
pub mod montecarlo;
pub mod policy;
pub mod profile;
pub mod replay;
pub mod report;
pub mod run;
pub mod scenario;
pub mod timeline;

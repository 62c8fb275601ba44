//! Uncertainty: input distributions, correlated sampling, seeded parallel Monte Carlo with
//! streamed statistics, one-at-a-time sensitivity, and parameter sweeps.

pub mod copula;
pub mod distributions;
pub mod engine;
pub mod sensitivity;
pub mod stats;
pub mod sweep;
pub mod uncertain;

#[cfg(test)]
mod tests;

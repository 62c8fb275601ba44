//! Monte Carlo: input distributions and reproducible per-sample random generators. Sampling
//! the scenario's uncertain inputs and aggregating results build on these.

pub mod distributions;

//! Tables of the queue for Monte Carlo samples that scale demand (README "Work that waits in
//! Monte Carlo").
//!
//! A queue of load f·L against capacity C is f times the queue of L against C / f: what it
//! serves, sends to the cloud and leaves unmet, and the GPU-hours × hours of its waits. So
//! samples that change demand only by the common factors (`demand_scale`,
//! `demand_growth_per_year`) and owned capacity only by `availability` need the queue of the
//! scenario's own load at the capacities C / f their months reach. Those are simulated once, at
//! a geometric grid of capacities spanning every value the samples can reach, and each sample
//! month reads its capacity's results off the grid by linear interpolation, instead of walking
//! the hours of the horizon again. A month's factor f changes slowly with growth, so the queue
//! carried into a month from the one before is that of the grid run at the month's own
//! capacity; the error of both approximations is bounded by a test against the exact walk.

use super::queue::{self, Arrivals, Capacity, QueueMonth, QueueScratch, Waiting};
use rayon::prelude::*;

/// Capacities in the grid of each option.
pub const GRID_POINTS: usize = 256;
/// Widest ratio of highest to lowest capacity the grid spans; beyond it samples walk the
/// hours.
pub const MAX_RANGE: f64 = 64.0;

/// The figures of one month read off a table, at unit demand factor [reference GPU-hours].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    pub served_onprem: f64,
    pub cloud: f64,
    pub unmet: f64,
    pub served_after_wait: f64,
    pub waiting_served: f64,
    pub wait_sum: f64,
}

impl Figures {
    fn of(q: &QueueMonth) -> Figures {
        Figures {
            served_onprem: q.served_onprem,
            cloud: q.cloud,
            unmet: q.unmet,
            served_after_wait: q.served_after_wait,
            waiting_served: q.waiting_served,
            wait_sum: q.wait_sum,
        }
    }

    fn lerp(a: &Figures, b: &Figures, t: f64, f: f64) -> Figures {
        let mix = |x: f64, y: f64| f * (x + (y - x) * t);
        Figures {
            served_onprem: mix(a.served_onprem, b.served_onprem),
            cloud: mix(a.cloud, b.cloud),
            unmet: mix(a.unmet, b.unmet),
            served_after_wait: mix(a.served_after_wait, b.served_after_wait),
            waiting_served: mix(a.waiting_served, b.waiting_served),
            wait_sum: mix(a.wait_sum, b.wait_sum),
        }
    }
}

/// The grid of one option.
#[derive(Debug, Clone)]
struct Grid {
    burst: bool,
    /// ln of the lowest capacity, and the step of ln capacity between points.
    ln_low: f64,
    step: f64,
    /// `figures[i * months + m]`: month m at the grid's i-th capacity, unit factor.
    figures: Vec<Figures>,
}

/// Queue tables of every option of a scenario that owns capacity, built on one demand.
#[derive(Debug, Clone)]
pub struct QueueTables {
    /// [`super::MonthDemand`] generation the tables were built on.
    pub generation: u64,
    months: usize,
    grids: Vec<Option<Grid>>,
}

impl QueueTables {
    /// Tables for the options of `input` on `months`, over the ranges of capacity per unit of
    /// demand factor (`C / f`) in `ranges` (one per option, `None` for options without a
    /// queue or without a range worth tabulating); `None` when no option gets one.
    pub fn build(
        input: &super::Input,
        months: &[super::MonthDemand],
        ranges: &[Option<(f64, f64)>],
    ) -> Option<QueueTables> {
        let h = input.horizon_months.min(months.len());
        if h == 0 || !input.hourly() || input.uniform_unserved_price().is_none() {
            return None;
        }
        let waiting: Vec<Waiting> = super::waiting_order(input);
        let arrivals: Vec<&Arrivals> = months[..h].iter().map(|d| &d.arrivals).collect();
        let unit = vec![1.0; h];
        let mut grids = Vec::with_capacity(input.options.len());
        for (option, range) in input.options.iter().zip(ranges) {
            let Some((lo, hi)) = range
                .filter(|(lo, hi)| *lo > 0.0 && hi.is_finite() && hi > lo && hi / lo <= MAX_RANGE)
            else {
                grids.push(None);
                continue;
            };
            if option.kind == super::Kind::Cloud {
                grids.push(None);
                continue;
            }
            // A little beyond both ends, so that rounding of a sample's C / f stays inside.
            let (ln_low, ln_high) = ((lo * (1.0 - 1e-6)).ln(), (hi * (1.0 + 1e-6)).ln());
            let step = (ln_high - ln_low) / (GRID_POINTS - 1) as f64;
            let burst = option.kind == super::Kind::Hybrid;
            let figures: Vec<Figures> = (0..GRID_POINTS)
                .into_par_iter()
                .flat_map_iter(|i| {
                    let capacity = Capacity {
                        gpus: (ln_low + step * i as f64).exp(),
                        burst,
                        unserved_price: 0.0,
                        attribute: false,
                    };
                    let mut out = Vec::new();
                    queue::simulate(
                        &arrivals,
                        &unit,
                        &waiting,
                        capacity,
                        &mut QueueScratch::default(),
                        &mut out,
                    );
                    out.into_iter().map(|q| Figures::of(&q)).collect::<Vec<_>>()
                })
                .collect();
            grids.push(Some(Grid {
                burst,
                ln_low,
                step,
                figures,
            }));
        }
        grids.iter().any(Option::is_some).then(|| QueueTables {
            generation: months[0].generation,
            months: h,
            grids,
        })
    }

    /// The figures of month `m` of option `o` at capacity `capacity` and demand factor `f`
    /// (inverse `inv_f`): f times the table's at `capacity / f`; `None` outside the table.
    pub fn read(
        &self,
        o: usize,
        m: usize,
        capacity: f64,
        burst: bool,
        f: f64,
        inv_f: f64,
    ) -> Option<Figures> {
        let grid = self.grids.get(o)?.as_ref()?;
        if grid.burst != burst || m >= self.months || f <= 0.0 {
            return None;
        }
        let pos = ((capacity * inv_f).ln() - grid.ln_low) / grid.step;
        if !(pos >= 0.0 && pos <= (GRID_POINTS - 1) as f64) {
            return None;
        }
        let i = (pos as usize).min(GRID_POINTS - 2);
        let t = pos - i as f64;
        let a = &grid.figures[i * self.months + m];
        let b = &grid.figures[(i + 1) * self.months + m];
        Some(Figures::lerp(a, b, t, f))
    }
}

//! GPU generations (README G1–G5): what each purchase of owned servers installs when an option
//! refreshes to newer hardware, and which generation a cloud option that rides the cloud's
//! generations rents in each month. Pure arithmetic on the hardware resolved from the catalogs
//! and the scenario's trend figures.

use super::sharing::MigProfiles;
use super::{Commitment, OwnedIn};
use std::sync::Arc;

/// The trend of hardware beyond the catalog and the cloud's lag behind it (README G2, G4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Growth of throughput per unit of price from one month to the same month a year later
    /// [fraction per year].
    pub price_performance_growth_per_year: f64,
    /// Growth of throughput per watt [fraction per year].
    pub energy_efficiency_growth_per_year: f64,
    /// Months from one generation's release to the next's.
    pub interval_months: u32,
    /// Months from a generation's release until a cloud rents it.
    pub new_generation_lag_months: u32,
    /// The price premium of a generation when a cloud starts renting it [fraction].
    pub new_generation_premium: f64,
    /// The share of the premium that goes away each year [fraction per year].
    pub premium_decay_per_year: f64,
}

impl Default for Trend {
    /// The README's defaults (G2, G4).
    fn default() -> Trend {
        Trend {
            price_performance_growth_per_year: 0.30,
            energy_efficiency_growth_per_year: 0.50,
            interval_months: 28,
            new_generation_lag_months: 6,
            new_generation_premium: 0.50,
            premium_decay_per_year: 0.50,
        }
    }
}

impl Trend {
    /// Throughput per unit of price of generation `j` relative to generation 0 (G2).
    pub fn speed(&self, j: u32) -> f64 {
        (1.0 + self.price_performance_growth_per_year).powf(self.years(j))
    }

    /// Throughput per watt of generation `j` relative to generation 0 (G2).
    pub fn efficiency(&self, j: u32) -> f64 {
        (1.0 + self.energy_efficiency_growth_per_year).powf(self.years(j))
    }

    /// Years from generation 0's release to generation `j`'s.
    fn years(&self, j: u32) -> f64 {
        f64::from(j) * f64::from(self.interval_months) / 12.0
    }
}

/// One server model an owned option may install: a catalog row, or a generation projected
/// beyond one (G2). Money in the scenario currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Hardware {
    /// The catalog id of the server (of the row projected from, for a projected generation).
    pub id: String,
    /// 0 for the catalog row itself; j ≥ 1 for the j-th generation projected beyond it.
    pub generation: u32,
    /// Months from the scenario's start to its release (negative: released before).
    pub release_month: i64,
    pub gpus_per_server: u32,
    /// Throughput of one GPU in reference GPUs.
    pub rel_throughput: f64,
    pub server_price: f64,
    pub max_power_kw: f64,
    pub idle_fraction: f64,
    pub warranty_months: f64,
    pub support_pct_per_year: f64,
    /// The MIG layout of its accelerator; `None` when it has none.
    pub mig: Option<MigProfiles>,
}

impl Hardware {
    /// Reference GPUs of throughput per unit of price: what `to = "best"` maximises (G1).
    pub fn price_performance(&self) -> f64 {
        f64::from(self.gpus_per_server) * self.rel_throughput / self.server_price
    }

    /// The `j`-th generation projected beyond this row (G2): the same price, GPUs per server,
    /// idle share, warranty and support; throughput × speed(j); maximum power × speed(j) /
    /// efficiency(j); released j intervals after it.
    pub fn projected(&self, j: u32, trend: &Trend) -> Hardware {
        Hardware {
            generation: self.generation + j,
            release_month: self.release_month + i64::from(j) * i64::from(trend.interval_months),
            rel_throughput: self.rel_throughput * trend.speed(j),
            max_power_kw: self.max_power_kw * (trend.speed(j) / trend.efficiency(j)),
            ..self.clone()
        }
    }
}

/// What the refreshes of an owned option buy (G1).
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshTo {
    /// The best price-performance available at each refresh.
    Best,
    /// This server at every refresh.
    Server(Hardware),
}

/// How many servers a refresh buys (G1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The fewest servers whose throughput is at least that of the first purchase.
    Capacity,
    /// As many servers as the first purchase.
    Servers,
}

/// The refreshes of an owned option to other hardware than its first purchase (G1).
#[derive(Debug, Clone, PartialEq)]
pub struct Refresh {
    pub to: RefreshTo,
    pub keep: Keep,
    /// The catalog rows `Best` chooses among (the vendor and GPUs per server of the option's
    /// server), in catalog order.
    pub candidates: Vec<Hardware>,
}

/// One purchase of an option's owned servers: installed from month `start` to `end`
/// (exclusive).
#[derive(Debug, Clone)]
pub struct Purchase {
    pub start: usize,
    pub end: usize,
    /// The option's owned part with the hardware and the number of servers of this purchase.
    pub owned: OwnedIn,
    /// The hardware bought.
    pub hardware: Hardware,
}

/// The hardware of `o`'s first purchase.
pub fn first_hardware(o: &OwnedIn) -> Hardware {
    Hardware {
        id: o.server_id.to_string(),
        generation: 0,
        release_month: o.release_month,
        gpus_per_server: o.gpus_per_server,
        rel_throughput: o.rel_throughput,
        server_price: o.server_price,
        max_power_kw: o.max_power_kw,
        idle_fraction: o.idle_fraction,
        warranty_months: o.warranty_months,
        support_pct_per_year: o.support_pct_per_year,
        mig: o.mig.clone(),
    }
}

/// Most months from the release of the hardware a trend is projected from (the frontier row of
/// a refresh to `best`, a rider's offer) to the horizon's last month (G2): 60 years, so that
/// projected throughput and power stay finite with the most extreme trends (README "Limits").
pub const MAX_PROJECTION_MONTHS: i64 = 720;

/// The catalog row the generations of a refresh to `best` are projected beyond (G1): the
/// candidate of highest price-performance whatever its release, the first on a tie.
pub fn frontier(candidates: &[Hardware]) -> Option<&Hardware> {
    candidates.iter().fold(None::<&Hardware>, |b, c| match b {
        Some(b) if b.price_performance() >= c.price_performance() => Some(b),
        _ => Some(c),
    })
}

/// The best price-performance available in month `t` (G1): among the candidates released by
/// then, and the generations projected beyond the best candidate of all that are released by
/// then; ties go to the catalog, then to the earlier row.
pub fn best_at(candidates: &[Hardware], t: i64, trend: &Trend) -> Option<Hardware> {
    let mut best: Option<&Hardware> = None;
    for c in candidates.iter().filter(|c| c.release_month <= t) {
        if best.is_none_or(|b| c.price_performance() > b.price_performance()) {
            best = Some(c);
        }
    }
    let projected = frontier(candidates).and_then(|f| {
        let since = t - f.release_month;
        let interval = i64::from(trend.interval_months.max(1));
        let j = since.div_euclid(interval);
        (j >= 1).then(|| f.projected(u32::try_from(j).unwrap_or(u32::MAX), trend))
    });
    match (best, projected) {
        (Some(b), Some(p)) if p.price_performance() > b.price_performance() => Some(p),
        (None, p) => p,
        (b, _) => b.cloned(),
    }
}

/// The purchases of owned option `o` over `h` months (README M9, G1): one at month 0 and one at
/// every refresh; each later one installs what `o`'s refresh buys (the first purchase's
/// hardware and servers again without one).
pub fn purchases(o: &OwnedIn, trend: &Trend, h: usize) -> Vec<Purchase> {
    let first = &first_hardware(o);
    let refresh = o.refresh.as_deref();
    let cycle = o
        .cycle_months
        .map(|c| c.max(1) as usize)
        .unwrap_or(h.max(1));
    let first_capacity =
        f64::from(o.servers) * f64::from(first.gpus_per_server) * first.rel_throughput;
    let mut out = Vec::new();
    let mut start = 0;
    while start < h {
        let end = (start + cycle).min(h);
        let hardware = match refresh {
            Some(r) if start > 0 => match &r.to {
                RefreshTo::Best => {
                    best_at(&r.candidates, start as i64, trend).unwrap_or_else(|| first.clone())
                }
                RefreshTo::Server(s) => s.clone(),
            },
            _ => first.clone(),
        };
        let servers = match refresh.map(|r| r.keep) {
            Some(Keep::Capacity) if start > 0 && hardware != *first => {
                let per_server = f64::from(hardware.gpus_per_server) * hardware.rel_throughput;
                let n = if per_server > 0.0 {
                    (first_capacity / per_server * (1.0 - 1e-12)).ceil()
                } else {
                    0.0
                };
                n.clamp(1.0, f64::from(u32::MAX)) as u32
            }
            _ => o.servers,
        };
        let mut owned = o.clone();
        owned.servers = servers;
        owned.gpus_per_server = hardware.gpus_per_server;
        owned.rel_throughput = hardware.rel_throughput;
        owned.server_price = hardware.server_price;
        owned.max_power_kw = hardware.max_power_kw;
        owned.idle_fraction = hardware.idle_fraction;
        owned.warranty_months = hardware.warranty_months;
        owned.support_pct_per_year = hardware.support_pct_per_year;
        // MIG shares a purchase's GPUs by the profiles of its own accelerator, and jobs hold
        // whole GPUs on hardware without MIG (SG2).
        owned.sharing = o.sharing.on(hardware.mig.as_ref());
        owned.mig = hardware.mig.clone();
        owned.refresh = None;
        out.push(Purchase {
            start,
            end,
            owned,
            hardware,
        });
        start = end;
    }
    out
}

/// Which generation of its cloud a riding option rents in a month, and what that changes
/// (G4): throughput per GPU × `speed`, prices per GPU-hour × `price`, power per GPU × `power`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ride {
    pub generation: u32,
    pub speed: f64,
    pub price: f64,
    pub power: f64,
}

impl Ride {
    /// The offer as it is.
    pub const OFFER: Ride = Ride {
        generation: 0,
        speed: 1.0,
        price: 1.0,
        power: 1.0,
    };
}

/// The generation a cloud option riding the cloud's generations rents in each of `h` months
/// (G4): the one with the lowest price per unit of work among those its cloud rents by then,
/// generation j ≥ 1 of the offer's accelerator (released `release_month`, months from the
/// start) being rented from j intervals and the lag after that release, at a premium that decays
/// from then on. With a commitment the generation changes only at the start of a term.
pub fn ride(
    release_month: i64,
    trend: &Trend,
    commitment: Commitment,
    term_months: u32,
    h: usize,
) -> Vec<Ride> {
    let interval = i64::from(trend.interval_months.max(1));
    let lag = i64::from(trend.new_generation_lag_months);
    // Committing to nothing (a share or a count of 0) holds no generation for a term.
    let committed = match commitment {
        Commitment::None => false,
        Commitment::Share(share) => share > 0.0,
        Commitment::Gpus(n) => n > 0,
    };
    let term = term_months.max(1) as usize;
    let mut out: Vec<Ride> = Vec::with_capacity(h);
    for m in 0..h {
        if committed && !m.is_multiple_of(term) {
            let last = out.last().copied().unwrap_or(Ride::OFFER);
            out.push(last);
            continue;
        }
        let since = m as i64 - release_month - lag;
        let newest = if since >= interval {
            since.div_euclid(interval)
        } else {
            0
        };
        let mut best = Ride::OFFER;
        for j in 1..=u32::try_from(newest).unwrap_or(u32::MAX) {
            let rented_from = release_month + i64::from(j) * interval + lag;
            let age_years = (m as i64 - rented_from) as f64 / 12.0;
            let premium =
                trend.new_generation_premium * (1.0 - trend.premium_decay_per_year).powf(age_years);
            let speed = trend.speed(j);
            let price = 1.0 + premium;
            // The lowest price per unit of work; ties to the older generation.
            if price / speed < best.price / best.speed {
                best = Ride {
                    generation: j,
                    speed,
                    price,
                    power: speed / trend.efficiency(j),
                };
            }
        }
        out.push(best);
    }
    out
}

/// Shared, immutable per-option generation data of an input.
pub type Rides = Arc<[Ride]>;

#[cfg(test)]
mod tests {
    use super::*;

    fn hw(id: &str, release: i64, gpus: u32, rel: f64, price: f64) -> Hardware {
        Hardware {
            id: id.into(),
            generation: 0,
            release_month: release,
            gpus_per_server: gpus,
            rel_throughput: rel,
            server_price: price,
            max_power_kw: 10.0,
            idle_fraction: 0.25,
            warranty_months: 36.0,
            support_pct_per_year: 10.0,
            mig: None,
        }
    }

    #[test]
    fn best_takes_the_released_rows_then_the_projection() {
        let trend = Trend::default();
        let rows = vec![
            hw("old", -60, 8, 1.0, 100.0),
            hw("new", -10, 8, 2.0, 120.0),
            hw("future", 20, 8, 4.0, 130.0),
        ];
        // Month 0: "future" is not out; "new" beats "old".
        assert_eq!(best_at(&rows, 0, &trend).unwrap().id, "new");
        // Month 20: "future" is out and best.
        let b = best_at(&rows, 20, &trend).unwrap();
        assert_eq!((b.id.as_str(), b.generation), ("future", 0));
        // Month 48 = 20 + 28: the first generation projected beyond "future".
        let p = best_at(&rows, 48, &trend).unwrap();
        assert_eq!(
            (p.id.as_str(), p.generation, p.release_month),
            ("future", 1, 48)
        );
        let speed = 1.3f64.powf(28.0 / 12.0);
        assert!((p.rel_throughput - 4.0 * speed).abs() < 1e-12);
        assert!((p.max_power_kw - 10.0 * speed / 1.5f64.powf(28.0 / 12.0)).abs() < 1e-12);
        assert_eq!(p.server_price, 130.0);
        // Without growth, the projection never beats the catalog row it comes from.
        let flat = Trend {
            price_performance_growth_per_year: 0.0,
            ..trend
        };
        assert_eq!(best_at(&rows, 100, &flat).unwrap().generation, 0);
    }

    #[test]
    fn a_rider_moves_when_the_new_generation_is_cheaper_per_unit_of_work() {
        let trend = Trend::default();
        // Released 13 months before the start: generation 1 is rented from month 28 + 6 - 13.
        let r = ride(-13, &trend, Commitment::None, 12, 60);
        assert_eq!(r[20], Ride::OFFER);
        let speed = 1.3f64.powf(28.0 / 12.0);
        // At month 21 the premium is the full 50%: 1.5 / 1.845 < 1.
        assert_eq!(r[21].generation, 1);
        assert!((r[21].price - 1.5).abs() < 1e-12);
        assert!((r[21].speed - speed).abs() < 1e-12);
        assert!((r[21].power - speed / 1.5f64.powf(28.0 / 12.0)).abs() < 1e-12);
        // A year later the premium has halved.
        assert!((r[33].price - 1.25).abs() < 1e-12);
        // Committed for 12 months: it moves at the next term start only, and keeps the
        // premium of that month for the term.
        let c = ride(-13, &trend, Commitment::Gpus(1), 12, 60);
        assert_eq!(c[23].generation, 0);
        assert_eq!(c[24].generation, 1);
        assert!((c[24].price - (1.0 + 0.5 * 0.5f64.powf(3.0 / 12.0))).abs() < 1e-12);
        assert_eq!(c[35], c[24]);
        // A commitment of nothing holds nothing: monthly, as without one.
        assert_eq!(ride(-13, &trend, Commitment::Share(0.0), 12, 60), r);
    }
}

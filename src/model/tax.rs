//! The after-tax view (README TX1-TX4): what each flow of an option deducts from taxable income,
//! and the income tax that follows month by month, with or without losses offset against the
//! company's other profit.

use super::{Financing, Input, OwnedIn, TaxIn};
use crate::finance;

/// Tax deductions of owned hardware by month (README TX1), each at the point of the month it
/// arises: running costs of the hardware (support, lease payments), loan interest and tax
/// depreciation at the end; the disposal at the start of a refresh month or at the end of the
/// last month. A disposal deducts its tax book value less its resale value (a gain deducts a
/// negative amount).
#[derive(Debug, Clone, Default)]
pub struct OwnedDeductions {
    depreciation: Vec<f64>,
    interest: Vec<f64>,
    /// Support and lease payments.
    running: Vec<f64>,
    disposal_start: Vec<f64>,
    disposal_end: Vec<f64>,
    /// What the deductions were filled for: a Monte Carlo sample that changes none of it
    /// keeps them.
    key: Option<([u64; 10], finance::Depreciation)>,
}

/// Fills `d` with the deductions of owned hardware `o` over the horizon of `input`; the
/// purchases, loans, leases and disposals are those of the cash model (README M9), with the
/// hardware of `purchases` when a refresh installs other hardware (G1).
pub fn owned_deductions(
    input: &Input,
    o: &OwnedIn,
    purchases: &[super::generations::Purchase],
    d: &mut OwnedDeductions,
) {
    let h = input.horizon_months;
    // Everything read below but the tax policy is what the cash schedule reads.
    let key = (super::schedule_key(h, o), o.tax_depreciation.clone());
    if o.refresh.is_none() && d.key.as_ref() == Some(&key) {
        return;
    }
    d.key = o.refresh.is_none().then_some(key);
    for v in [
        &mut d.depreciation,
        &mut d.interest,
        &mut d.running,
        &mut d.disposal_start,
        &mut d.disposal_end,
    ] {
        v.clear();
        v.resize(h, 0.0);
    }
    let cycle = o.cycle_months.map(|c| c.max(1) as usize).unwrap_or(h);
    let lease = matches!(o.financing, Financing::Lease { .. });
    for (start, end, o) in super::spans(o, purchases, h) {
        let price = f64::from(o.servers) * o.server_price;
        let schedule = if lease {
            Vec::new()
        } else {
            finance::monthly_depreciation(&o.tax_depreciation, price)
        };
        let support = price * o.support_pct_per_year / 100.0 / 12.0;
        let age = end - start;
        match o.financing {
            Financing::Lease {
                annual_rate,
                term_months,
                residual,
            } => {
                // Lease payments are deducted as paid (TX1); the lessee owns nothing.
                let pmt =
                    finance::payment(annual_rate / 12.0, term_months, price, price * residual)
                        .unwrap_or(0.0);
                for m in start..start + (term_months as usize).min(age) {
                    d.running[m] += pmt;
                }
            }
            Financing::Cash | Financing::Loan { .. } => {
                if let Financing::Loan {
                    annual_rate,
                    term_months,
                    down_payment,
                } = o.financing
                {
                    // Interest of payment k: the payment less the principal it repays (F6).
                    let financed = price - price * down_payment;
                    let rate = annual_rate / 12.0;
                    let pmt = finance::payment(rate, term_months, financed, 0.0).unwrap_or(0.0);
                    let balance = |k: usize| {
                        finance::remaining_balance(rate, term_months, financed, 0.0, k as u32)
                            .unwrap_or(0.0)
                    };
                    for k in 0..(term_months as usize).min(age) {
                        d.interest[start + k] += pmt - (balance(k) - balance(k + 1));
                    }
                }
                let mut claimed = 0.0;
                for (j, v) in schedule.iter().enumerate().take(age) {
                    d.depreciation[start + j] += v;
                    claimed += v;
                }
                // Disposal as in M9: at the start of a refresh month, or at the horizon's end.
                let resale = price * o.residual_value.powf(age as f64 / cycle as f64);
                let book = price - claimed;
                if end < h {
                    d.disposal_start[end] += book - resale;
                } else {
                    d.disposal_end[h - 1] += book - resale;
                }
            }
        }
        let from = start + (o.warranty_months.max(0.0).ceil() as usize).min(end - start);
        for m in from..end {
            d.running[m] += support;
        }
    }
}

/// An option's tax over the horizon (README TX1-TX4) [scenario currency].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TaxTotals {
    /// Net income tax of the option's flows, nominal (negative: tax saved).
    pub tax: f64,
    /// Its present value (F2 timing), inside the option's `pv_cost`.
    pub pv_tax: f64,
    /// Tax depreciation claimed within the horizon.
    pub depreciation: f64,
    /// Rate × the present value of the tax depreciation, as if each month's amount saved tax
    /// at its end (TX4): the depreciation tax shield.
    pub pv_depreciation_shield: f64,
    /// Running costs deducted: energy, colocation, staff, support, software, lease, cloud.
    pub operating_deductions: f64,
    /// Loan interest deducted.
    pub interest: f64,
    /// Resale value less tax book value of disposed hardware (negative: a loss).
    pub disposal_gain: f64,
    /// The project's own income the losses are set against (TX3; 0 when losses offset other
    /// income).
    pub income: f64,
    /// Losses carried forward and not used by the end of the horizon (TX3).
    pub losses_unused: f64,
}

/// One option's tax, month by month in order (README TX3).
#[derive(Debug, Clone)]
pub struct Ledger {
    tax: TaxIn,
    /// Income per delivered reference GPU-hour, when losses are carried forward (TX3).
    income_per_gpu_hour: f64,
    /// Losses carried forward.
    carried: f64,
    totals: TaxTotals,
}

impl Ledger {
    pub fn new(tax: TaxIn, input: &Input) -> Ledger {
        Ledger {
            tax,
            income_per_gpu_hour: if tax.losses_offset_other_income {
                0.0
            } else {
                income_per_gpu_hour(input)
            },
            carried: 0.0,
            totals: TaxTotals::default(),
        }
    }

    /// The tax at the start and at the end of month `m` (negative: saved), for the owned
    /// deductions `owned`, `operating` running costs of the month other than those of owned
    /// hardware's schedule (energy, colocation, staff, software, cloud) and `delivered`
    /// reference GPU-hours.
    pub fn month(
        &mut self,
        m: usize,
        owned: Option<&OwnedDeductions>,
        operating: f64,
        delivered: f64,
        discount: &[f64],
    ) -> (f64, f64) {
        let at = |v: &Vec<f64>| v.get(m).copied().unwrap_or(0.0);
        let (mut start, mut end) = (0.0, operating);
        let t = &mut self.totals;
        t.operating_deductions += operating;
        if let Some(d) = owned {
            let (dep, interest, running) = (at(&d.depreciation), at(&d.interest), at(&d.running));
            let (disp_start, disp_end) = (at(&d.disposal_start), at(&d.disposal_end));
            start += disp_start;
            end += dep + interest + running + disp_end;
            t.depreciation += dep;
            t.pv_depreciation_shield += self.tax.rate * dep * discount[m + 1];
            t.interest += interest;
            t.operating_deductions += running;
            t.disposal_gain -= disp_start + disp_end;
        }
        let income = self.income_per_gpu_hour * delivered;
        t.income += income;
        let tax_start = self.settle(start, 0.0);
        let tax_end = self.settle(end, income);
        let t = &mut self.totals;
        t.tax += tax_start + tax_end;
        t.pv_tax += tax_start * discount[m] + tax_end * discount[m + 1];
        (tax_start, tax_end)
    }

    /// The tax effect of `deduction` against `income` at one point in time (TX2, TX3): the tax
    /// on what is taxable less the tax the income would bear alone.
    fn settle(&mut self, deduction: f64, income: f64) -> f64 {
        let rate = self.tax.rate;
        if self.tax.losses_offset_other_income {
            return -rate * deduction;
        }
        let before = income - deduction;
        let taxable = if before >= 0.0 {
            let used = self.carried.min(before);
            self.carried -= used;
            before - used
        } else {
            self.carried -= before;
            0.0
        };
        rate * (taxable - income)
    }

    pub fn totals(&self) -> TaxTotals {
        TaxTotals {
            losses_unused: self.carried,
            ..self.totals
        }
    }
}

/// The project's income per delivered reference GPU-hour (TX3): the price of unserved work,
/// the value of a GPU-hour delivered; with prices by workload, their mean weighted by each
/// workload's demand in the horizon's first month (M1 times the month's demand factor; for a
/// trace workload, the work of its jobs that arrive in that month, T3), or their plain mean
/// when no workload has demand in that month; 0 when unserved work has no price.
pub fn income_per_gpu_hour(input: &Input) -> f64 {
    if !input.unserved_priced() {
        return 0.0;
    }
    if let Some(p) = input.uniform_unserved_price() {
        return p;
    }
    let month0 = input.start.month0();
    let traces = super::trace::first_month_work(input);
    let price = |w: &super::WorkloadIn| w.unserved_cost_per_gpu_hour.unwrap_or(0.0);
    let (mut value, mut hours) = (0.0, 0.0);
    for (w, trace_work) in input.workloads.iter().zip(&traces) {
        let demand = if w.trace.is_some() {
            *trace_work
        } else {
            input.demand_scale * w.ref_gpu_hours_per_month * w.profile.season(month0)
        };
        value += demand * price(w);
        hours += demand;
    }
    if hours > 0.0 {
        value / hours
    } else {
        let n = input.workloads.len() as f64;
        input.workloads.iter().map(price).sum::<f64>() / n
    }
}

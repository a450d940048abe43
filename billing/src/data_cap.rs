//! The data cap, seen coming: when the allowance runs out at this cycle's pace, which
//! thresholds of it have been reached, and what a data add-on costs.
//!
//! # The forecast
//!
//! Usage is counted in whole provider-local days; today's figures are still arriving, so
//! the pace is taken from the **complete days** of the cycle only: the bytes used on the
//! days before today divided by the number of those days. At that pace, the allowance runs
//! out on the first day by whose end the cycle's use reaches it:
//! `start + ceil(allowance × complete_days ÷ used_on_complete_days) − 1`.
//!
//! **The forecast is silent until enough of the cycle has passed**: at least
//! [`MIN_FORECAST_DAYS`] complete days *and* a tenth of the cycle's days (rounded up), so
//! one heavy first day never reads as a month's pace (a 30-day cycle speaks from its 4th
//! day, with 3 days behind it; a 31-day cycle from its 5th). Until then it says when it
//! will speak. Once the allowance is used up (today's figures included), it says so,
//! whatever the day.
//!
//! *Worked:* a cycle of Dec 1 – Dec 30 (30 days), 1,000 GB included. On Dec 5, the four
//! complete days used 200 GB: 50 GB a day, `ceil(1,000 × 4 ÷ 200) = 20`, so the allowance
//! runs out on Dec 20 (20 days × 50 GB = 1,000 GB by its end), and the cycle would end at
//! 200 × 30 ÷ 4 = 1,500 GB. With 100 GB in those four days, `ceil(1,000 × 4 ÷ 100) = 40`
//! days: after the cycle's end, so it does not run out (projected 750 GB).
//!
//! # Thresholds
//!
//! An alert at `t`% is due once the cycle's use reaches `t`% of the cycle's allowance (the
//! plan's and the add-ons', [`thresholds_reached`]); the engine records each at most once
//! per service and cycle.
//!
//! # Data add-ons
//!
//! A data add-on raises the current cycle's allowance by its gigabytes, for that cycle only.
//! Its price is the plan's overage price for those gigabytes less the operator's discount
//! ([`addon_price`]), rounded to the currency's minor units half away from zero. How the
//! bill rates usage with an add-on is written in [`crate::bill`] (rule 3).
//!
//! The subscriber chooses how to pay when buying: **on the next statement** (a one-time
//! charge, taxed there with the statement's other charges), or **now by card**: then the
//! charge and its tax, worked out on the add-on alone ([`paid_now`]), are posted to the
//! ledger the day it is bought and the card is asked for exactly their sum. Either way the
//! data is granted when it is bought; a card that is declined, or a payment never finished,
//! leaves the add-on owed with the next statement (`crate::bill`, rule 4).

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::cycle::Period;
use crate::money::Money;
use crate::tax::{apply_tax, TaxRate};

/// The fewest complete days of a cycle before the forecast speaks.
pub const MIN_FORECAST_DAYS: i64 = 3;

/// What the forecast says today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Forecast {
    /// Too little of the cycle has passed to judge its pace; it speaks from `speaks_on`.
    TooEarly {
        /// The first day the forecast will speak.
        speaks_on: NaiveDate,
    },
    /// At this pace the allowance lasts the cycle.
    Lasts {
        /// The cycle's use at this pace.
        projected_bytes: u64,
    },
    /// At this pace the allowance runs out on `on` (during that day).
    RunsOut {
        /// The day.
        on: NaiveDate,
        /// The cycle's use at this pace.
        projected_bytes: u64,
    },
    /// The allowance is already used up.
    UsedUp,
}

/// The first day the forecast speaks in `cycle`: the day after [`MIN_FORECAST_DAYS`]
/// complete days and a tenth of the cycle (rounded up), whichever is later.
pub fn forecast_speaks_on(cycle: &Period) -> NaiveDate {
    let tenth = (cycle.days() + 9) / 10;
    let days = MIN_FORECAST_DAYS.max(tenth);
    cycle
        .start
        .checked_add_days(Days::new(u64::try_from(days).unwrap_or(0)))
        .unwrap_or(cycle.end)
}

/// The forecast for `cycle` on `today`, from the bytes used on the cycle's days before
/// today (`used_complete`), all bytes so far (`used_total`, today's included) and the
/// allowance (the plan's and the add-ons', in bytes). See the module documentation.
pub fn forecast(
    cycle: &Period,
    today: NaiveDate,
    used_complete: u64,
    used_total: u64,
    allowance_bytes: u64,
) -> Forecast {
    if used_total >= allowance_bytes {
        return Forecast::UsedUp;
    }
    let speaks_on = forecast_speaks_on(cycle);
    if today < speaks_on {
        return Forecast::TooEarly { speaks_on };
    }
    let complete_days = (today.min(cycle.end) - cycle.start).num_days();
    let (Ok(days), Ok(period_days)) = (u128::try_from(complete_days), u128::try_from(cycle.days()))
    else {
        return Forecast::TooEarly { speaks_on };
    };
    let used = u128::from(used_complete);
    let projected = (used * period_days).checked_div(days).unwrap_or(used);
    let projected_bytes = u64::try_from(projected).unwrap_or(u64::MAX).max(used_total);
    if used == 0 {
        return Forecast::Lasts { projected_bytes };
    }
    // The day-count by whose end the cycle's use reaches the allowance at this pace.
    let reach_days = (u128::from(allowance_bytes) * days).div_ceil(used);
    if reach_days > period_days {
        return Forecast::Lasts { projected_bytes };
    }
    let on = u64::try_from(reach_days)
        .ok()
        .and_then(|d| cycle.start.checked_add_days(Days::new(d.saturating_sub(1))))
        .unwrap_or(cycle.end);
    Forecast::RunsOut {
        on: on.max(today),
        projected_bytes,
    }
}

/// The thresholds (percentages of the allowance) that `used` has reached, in the order
/// given: `t` is reached when `used × 100 >= t × allowance`. None for a zero allowance.
pub fn thresholds_reached(used: u64, allowance_bytes: u64, thresholds: &[u32]) -> Vec<u32> {
    if allowance_bytes == 0 {
        return Vec::new();
    }
    thresholds
        .iter()
        .copied()
        .filter(|t| u128::from(used) * 100 >= u128::from(*t) * u128::from(allowance_bytes))
        .collect()
}

/// What a data add-on of `gigabytes` costs on a plan charging `overage_per_gb`, with
/// `discount_percent` (0 to 100) off: `overage × gigabytes × (100 − discount) ÷ 100`,
/// rounded to minor units half away from zero.
///
/// *Worked:* 100 GB at $0.50/GB with 50% off: 0.50 × 100 × 50 ÷ 100 = $25.00; at
/// $0.3333/GB with 25% off: 0.3333 × 100 × 0.75 = 24.9975 → $25.00.
pub fn addon_price(overage_per_gb: Money, gigabytes: u32, discount_percent: u32) -> Money {
    let keep = Decimal::from(100u32.saturating_sub(discount_percent.min(100)));
    overage_per_gb
        .times(Decimal::from(gigabytes) * keep / Decimal::ONE_HUNDRED)
        .round_to_minor_units()
}

/// A data add-on paid now by card: what is posted to the ledger the day it is bought, and
/// what the card is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaidNow {
    /// The charge as the ledger records it: the price, or, under a tax-inclusive rate, the
    /// price less the tax it contains.
    pub charge: Money,
    /// The tax on the add-on alone (zero where no tax applies).
    pub tax: Money,
    /// What the card is charged: `charge + tax`, to the cent.
    pub total: Money,
}

/// The charge, tax and total of a data add-on of `price` paid now by card, at `tax` (the
/// rate `crate::bill` rule 4 applies to it: its service's, on the day it is bought). The
/// tax is worked out on this price alone and rounded once, half away from zero
/// ([`apply_tax`]); a statement would have pooled it with the statement's other
/// tax-exclusive charges.
///
/// *Worked:* $25.00 at 8.25% sales tax: 2.0625 → $2.06, $27.06 by card. £25.00 with 20%
/// VAT included: 25.00 × 0.20 ÷ 1.20 = 4.1667 → £4.17 of VAT, a charge of £20.83, £25.00 by
/// card. Without a tax: $25.00.
pub fn paid_now(price: Money, tax: Option<&TaxRate>) -> PaidNow {
    match tax {
        Some(rate) => {
            let split = apply_tax(price, rate);
            PaidNow {
                charge: split.net,
                tax: split.tax,
                total: split.gross,
            }
        }
        None => PaidNow {
            charge: price,
            tax: Money::zero(price.currency()),
            total: price,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::usage::BYTES_PER_GB as GB;
    use rust_decimal_macros::dec;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).expect("date")
    }

    /// Dec 1 – Dec 30: 30 days.
    fn december() -> Period {
        Period {
            start: d(12, 1),
            end: d(12, 31),
        }
    }

    #[test]
    fn the_forecast_waits_for_three_days_and_a_tenth_of_the_cycle() {
        // 30 days: a tenth is 3, so 3 complete days: it speaks on Dec 4.
        assert_eq!(forecast_speaks_on(&december()), d(12, 4));
        // 31 days (Jan 1 – Jan 31): a tenth is 3.1, rounded up to 4: Jan 5.
        let jan = Period {
            start: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(2027, 2, 1).unwrap(),
        };
        assert_eq!(
            forecast_speaks_on(&jan),
            NaiveDate::from_ymd_opt(2027, 1, 5).unwrap()
        );
        // 28 days: a tenth is 2.8 → 3, and at least 3: Feb 4.
        let feb = Period {
            start: d(2, 1),
            end: d(3, 1),
        };
        assert_eq!(forecast_speaks_on(&feb), d(2, 4));
    }

    #[test]
    fn one_heavy_first_day_does_not_make_a_forecast() {
        // Issue 14: 39.7 GB on the first day of a 1,000 GB cycle. No forecast until Dec 4.
        let used = 39_700_000_000;
        assert_eq!(
            forecast(&december(), d(12, 1), 0, used, 1_000 * GB),
            Forecast::TooEarly {
                speaks_on: d(12, 4)
            }
        );
        assert_eq!(
            forecast(&december(), d(12, 3), used, used, 1_000 * GB),
            Forecast::TooEarly {
                speaks_on: d(12, 4)
            }
        );
    }

    #[test]
    fn at_fifty_gigabytes_a_day_a_thousand_run_out_on_the_twentieth() {
        // Dec 5: 4 complete days, 200 GB: ceil(1,000 × 4 ÷ 200) = 20 → Dec 1 + 19 = Dec 20.
        // Projected: 200 × 30 ÷ 4 = 1,500 GB.
        assert_eq!(
            forecast(&december(), d(12, 5), 200 * GB, 210 * GB, 1_000 * GB),
            Forecast::RunsOut {
                on: d(12, 20),
                projected_bytes: 1_500 * GB
            }
        );
    }

    #[test]
    fn a_pace_that_lasts_the_cycle_says_so() {
        // 100 GB in 4 days: ceil(1,000 × 4 ÷ 100) = 40 days > 30. Projected 100 × 30 ÷ 4 = 750.
        assert_eq!(
            forecast(&december(), d(12, 5), 100 * GB, 100 * GB, 1_000 * GB),
            Forecast::Lasts {
                projected_bytes: 750 * GB
            }
        );
        // Nothing used at all: it lasts.
        assert_eq!(
            forecast(&december(), d(12, 10), 0, 0, 1_000 * GB),
            Forecast::Lasts { projected_bytes: 0 }
        );
    }

    #[test]
    fn an_add_on_moves_the_day_the_allowance_runs_out() {
        // The same 50 GB a day with 100 GB added (1,100 GB): ceil(1,100 × 4 ÷ 200) = 22 → Dec 22.
        assert_eq!(
            forecast(&december(), d(12, 5), 200 * GB, 210 * GB, 1_100 * GB),
            Forecast::RunsOut {
                on: d(12, 22),
                projected_bytes: 1_500 * GB
            }
        );
    }

    #[test]
    fn a_used_up_allowance_says_so_even_on_the_first_day() {
        assert_eq!(
            forecast(&december(), d(12, 1), 0, 1_000 * GB, 1_000 * GB),
            Forecast::UsedUp
        );
        assert_eq!(
            forecast(&december(), d(12, 20), 990 * GB, 1_001 * GB, 1_000 * GB),
            Forecast::UsedUp
        );
    }

    #[test]
    fn a_run_out_day_already_passed_by_the_pace_is_today() {
        // 19 complete days at 50 GB (950 GB), 990 GB so far with today: the pace says
        // Dec 20 (ceil(1,000 × 19 ÷ 950) = 20), which is today. (Since the complete days'
        // use is below the allowance, the pace never names a day before today.)
        assert_eq!(
            forecast(&december(), d(12, 20), 950 * GB, 990 * GB, 1_000 * GB),
            Forecast::RunsOut {
                on: d(12, 20),
                projected_bytes: 1_500 * GB
            }
        );
    }

    #[test]
    fn thresholds_are_reached_at_their_exact_share() {
        let t = [50, 85, 100];
        assert_eq!(
            thresholds_reached(499_999_999_999, 1_000 * GB, &t),
            Vec::<u32>::new()
        );
        assert_eq!(thresholds_reached(500 * GB, 1_000 * GB, &t), vec![50]);
        assert_eq!(thresholds_reached(850 * GB, 1_000 * GB, &t), vec![50, 85]);
        assert_eq!(
            thresholds_reached(1_200 * GB, 1_000 * GB, &t),
            vec![50, 85, 100]
        );
        // With a 100 GB add-on, 1,000 GB of 1,100 GB is 90.9%: 100% is not reached.
        assert_eq!(thresholds_reached(1_000 * GB, 1_100 * GB, &t), vec![50, 85]);
        assert!(thresholds_reached(5, 0, &t).is_empty());
    }

    #[test]
    fn an_add_on_paid_now_is_taxed_alone_and_the_card_pays_charge_and_tax() {
        let usd = |a| Money::new(a, Currency::USD);
        let sales = TaxRate::new(dec!(0.0825), false).unwrap();
        // 25.00 × 8.25% = 2.0625 → 2.06; 25.00 + 2.06 = 27.06.
        assert_eq!(
            paid_now(usd(dec!(25.00)), Some(&sales)),
            PaidNow {
                charge: usd(dec!(25.00)),
                tax: usd(dec!(2.06)),
                total: usd(dec!(27.06))
            }
        );
        // 37.50 × 8.25% = 3.09375 → 3.09; 40.59.
        assert_eq!(
            paid_now(usd(dec!(37.50)), Some(&sales)).total,
            usd(dec!(40.59))
        );
        // Half a cent rounds away from zero: 25.00 × 8.5% = 2.125 → 2.13; 27.13.
        let half = TaxRate::new(dec!(0.085), false).unwrap();
        assert_eq!(
            paid_now(usd(dec!(25.00)), Some(&half)).total,
            usd(dec!(27.13))
        );
        // VAT included in the price: 25.00 × 0.20 ÷ 1.20 = 4.1667 → 4.17; the charge is
        // 25.00 − 4.17 = 20.83 and the card pays the price, 25.00.
        let gbp = |a| Money::new(a, Currency::GBP);
        let vat = TaxRate::new(dec!(0.20), true).unwrap();
        assert_eq!(
            paid_now(gbp(dec!(25.00)), Some(&vat)),
            PaidNow {
                charge: gbp(dec!(20.83)),
                tax: gbp(dec!(4.17)),
                total: gbp(dec!(25.00))
            }
        );
        // No tax where the service is: the price alone.
        assert_eq!(
            paid_now(usd(dec!(25.00)), None),
            PaidNow {
                charge: usd(dec!(25.00)),
                tax: usd(dec!(0.00)),
                total: usd(dec!(25.00))
            }
        );
    }

    #[test]
    fn an_add_on_costs_its_gigabytes_of_overage_less_the_discount() {
        let usd = |a| Money::new(a, Currency::USD);
        assert_eq!(addon_price(usd(dec!(0.50)), 100, 50), usd(dec!(25.00)));
        assert_eq!(addon_price(usd(dec!(0.75)), 100, 50), usd(dec!(37.50)));
        // 0.3333 × 100 × 75 ÷ 100 = 24.9975 → 25.00.
        assert_eq!(addon_price(usd(dec!(0.3333)), 100, 25), usd(dec!(25.00)));
        assert_eq!(addon_price(usd(dec!(2.00)), 50, 0), usd(dec!(100.00)));
        // A discount above 100% is read as 100%: free, never negative.
        assert_eq!(addon_price(usd(dec!(2.00)), 50, 150), usd(dec!(0.00)));
    }
}

//! Charging for part of a billing period.
//!
//! **Rule:** proration is by whole days. A service used for `u` of a period's `n` days
//! (both counted half-open, see [`crate::cycle`]) is charged `full × u / n`, computed
//! unrounded and then rounded once to the currency's minor units, half away from zero.
//! The days of the period decide the daily rate, so 10 days cost more of a 28-day February
//! than of a 31-day March: each period charges exactly the full price when used throughout.
//!
//! The used span must lie inside the period; a plan change or activation that straddles
//! two periods is prorated separately in each.

use rust_decimal::Decimal;

use crate::cycle::Period;
use crate::money::{Money, MoneyError};

/// Why a proration could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProrationError {
    /// The used span starts before or ends after the billing period.
    #[error(
        "used span {used_start}..{used_end} is not within the period {period_start}..{period_end}"
    )]
    UsedOutsidePeriod {
        /// The billing period's start.
        period_start: chrono::NaiveDate,
        /// The billing period's (exclusive) end.
        period_end: chrono::NaiveDate,
        /// The used span's start.
        used_start: chrono::NaiveDate,
        /// The used span's (exclusive) end.
        used_end: chrono::NaiveDate,
    },
    /// A period (built without [`Period::new`]) ends before it starts, or the billing period
    /// has no days to divide by.
    #[error("a period must end after it starts")]
    EmptyPeriod,
    /// The arithmetic left `Decimal`'s range.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Charges `full_amount` for the days of `used` within `period`, by whole days:
/// `full × days(used ∩ period) / days(period)`, rounded to minor units half away from
/// zero. `used` must lie within `period`; an empty `used` (start = end) costs nothing.
pub fn prorate(
    full_amount: Money,
    period: &Period,
    used: &Period,
) -> Result<Money, ProrationError> {
    if period.end <= period.start || used.end < used.start {
        return Err(ProrationError::EmptyPeriod);
    }
    if !period.covers(used) {
        return Err(ProrationError::UsedOutsidePeriod {
            period_start: period.start,
            period_end: period.end,
            used_start: used.start,
            used_end: used.end,
        });
    }
    // `used` lies within `period`, so the intersection is `used` itself.
    let used_days = Decimal::from(used.days());
    let period_days = Decimal::from(period.days());
    // Multiply before dividing, so that a whole period (u = n) comes back exactly.
    let numerator = full_amount.checked_times(used_days)?;
    let share = numerator
        .amount()
        .checked_div(period_days)
        .ok_or(MoneyError::Overflow)?;
    Ok(Money::new(share, full_amount.currency()).round_to_minor_units())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    fn d(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid test date")
    }

    fn p(start: NaiveDate, end: NaiveDate) -> Period {
        Period::new(start, end).expect("valid test period")
    }

    fn usd(amount: Decimal) -> Money {
        Money::new(amount, Currency::USD)
    }

    #[test]
    fn fifteen_days_of_a_30_day_period_is_exactly_half() {
        let april = p(d(2025, 4, 1), d(2025, 5, 1));
        let second_half = p(d(2025, 4, 16), d(2025, 5, 1));
        assert_eq!(
            prorate(usd(dec!(60.00)), &april, &second_half),
            Ok(usd(dec!(30.00)))
        );
    }

    #[test]
    fn half_of_an_odd_cent_rounds_away_from_zero() {
        // 49.99 × 15 / 30 = 24.995 → 25.00.
        let april = p(d(2025, 4, 1), d(2025, 5, 1));
        let first_half = p(d(2025, 4, 1), d(2025, 4, 16));
        assert_eq!(
            prorate(usd(dec!(49.99)), &april, &first_half),
            Ok(usd(dec!(25.00)))
        );
        // A refund of the same days rounds to the same magnitude: −24.995 → −25.00.
        assert_eq!(
            prorate(usd(dec!(-49.99)), &april, &first_half),
            Ok(usd(dec!(-25.00)))
        );
    }

    #[test]
    fn ten_days_of_a_31_day_month_at_49_99_is_16_13() {
        // 49.99 × 10 / 31 = 499.9 / 31 = 16.1258… → 16.13.
        let march = p(d(2025, 3, 1), d(2025, 4, 1));
        let last_ten = p(d(2025, 3, 22), d(2025, 4, 1));
        assert_eq!(
            prorate(usd(dec!(49.99)), &march, &last_ten),
            Ok(usd(dec!(16.13)))
        );
    }

    #[test]
    fn february_of_a_leap_year_divides_by_29_days() {
        // 29.00 × 10 / 29 = 10.00 exactly; in a 28-day February it would be 10.36.
        let feb_2024 = p(d(2024, 2, 1), d(2024, 3, 1));
        assert_eq!(feb_2024.days(), 29);
        let ten_days = p(d(2024, 2, 20), d(2024, 3, 1));
        assert_eq!(
            prorate(usd(dec!(29.00)), &feb_2024, &ten_days),
            Ok(usd(dec!(10.00)))
        );
        // 29.00 × 10 / 28 = 10.357… → 10.36.
        let feb_2025 = p(d(2025, 2, 1), d(2025, 3, 1));
        let ten_days = p(d(2025, 2, 19), d(2025, 3, 1));
        assert_eq!(
            prorate(usd(dec!(29.00)), &feb_2025, &ten_days),
            Ok(usd(dec!(10.36)))
        );
    }

    #[test]
    fn the_whole_period_costs_the_full_amount() {
        let period = p(d(2025, 1, 31), d(2025, 2, 28));
        assert_eq!(
            prorate(usd(dec!(79.99)), &period, &period),
            Ok(usd(dec!(79.99)))
        );
    }

    #[test]
    fn one_day_of_a_31_day_month() {
        // 100.00 / 31 = 3.2258… → 3.23.
        let march = p(d(2025, 3, 1), d(2025, 4, 1));
        let one_day = p(d(2025, 3, 31), d(2025, 4, 1));
        assert_eq!(
            prorate(usd(dec!(100.00)), &march, &one_day),
            Ok(usd(dec!(3.23)))
        );
    }

    #[test]
    fn an_empty_used_span_costs_nothing() {
        let march = p(d(2025, 3, 1), d(2025, 4, 1));
        let nothing = Period {
            start: d(2025, 3, 10),
            end: d(2025, 3, 10),
        };
        assert_eq!(
            prorate(usd(dec!(49.99)), &march, &nothing),
            Ok(usd(dec!(0.00)))
        );
    }

    #[test]
    fn a_used_span_outside_the_period_is_rejected() {
        let march = p(d(2025, 3, 1), d(2025, 4, 1));
        let straddle = p(d(2025, 3, 25), d(2025, 4, 5));
        assert_eq!(
            prorate(usd(dec!(49.99)), &march, &straddle),
            Err(ProrationError::UsedOutsidePeriod {
                period_start: d(2025, 3, 1),
                period_end: d(2025, 4, 1),
                used_start: d(2025, 3, 25),
                used_end: d(2025, 4, 5),
            })
        );
        let before = p(d(2025, 2, 20), d(2025, 3, 2));
        assert!(matches!(
            prorate(usd(dec!(49.99)), &march, &before),
            Err(ProrationError::UsedOutsidePeriod { .. })
        ));
    }

    #[test]
    fn malformed_periods_are_errors_not_panics() {
        let backwards = Period {
            start: d(2025, 4, 1),
            end: d(2025, 3, 1),
        };
        let march = p(d(2025, 3, 1), d(2025, 4, 1));
        assert_eq!(
            prorate(usd(dec!(1)), &backwards, &march),
            Err(ProrationError::EmptyPeriod)
        );
        assert_eq!(
            prorate(usd(dec!(1)), &march, &backwards),
            Err(ProrationError::EmptyPeriod)
        );
        let empty = Period {
            start: d(2025, 3, 1),
            end: d(2025, 3, 1),
        };
        assert_eq!(
            prorate(usd(dec!(1)), &empty, &empty),
            Err(ProrationError::EmptyPeriod)
        );
    }
}

//! Rating data usage against a plan's allowance.
//!
//! Usage is counted in bytes (`u64`). Gigabytes are decimal, 1 GB = 1,000,000,000 bytes,
//! as ISPs advertise and bill them (not 2³⁰ bytes). Everything here is integer arithmetic:
//! a projection or a percentage of a byte count never goes through a float.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money};

/// Bytes in one (decimal) gigabyte: 1,000,000,000.
pub const BYTES_PER_GB: u64 = 1_000_000_000;

/// How much data a plan includes each period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Allowance {
    /// No cap: nothing is ever charged as overage.
    Unlimited,
    /// This many decimal gigabytes are included.
    Gigabytes(u32),
}

impl Allowance {
    /// The allowance in bytes, or `None` when unlimited.
    pub fn bytes(&self) -> Option<u64> {
        match self {
            Allowance::Unlimited => None,
            // u32::MAX GB is about 4.3 × 10¹⁸ bytes, which fits in a u64 (1.8 × 10¹⁹).
            Allowance::Gigabytes(gb) => Some(u64::from(*gb) * BYTES_PER_GB),
        }
    }

    /// The allowance from the plans table's nullable `allowance_gb` (null: unlimited).
    pub fn from_optional_gb(gb: Option<u32>) -> Allowance {
        gb.map_or(Allowance::Unlimited, Allowance::Gigabytes)
    }

    /// The share of the allowance for `days` of `of_days`, in bytes, rounded **up** to the
    /// byte (in the subscriber's favour); `None` when unlimited. The whole allowance when
    /// `days >= of_days` or `of_days` is not positive.
    pub fn prorated_bytes(&self, days: i64, of_days: i64) -> Option<u64> {
        let whole = self.bytes()?;
        if of_days <= 0 || days >= of_days {
            return Some(whole);
        }
        let days = u128::try_from(days.max(0)).unwrap_or(0);
        let of_days = u128::try_from(of_days).unwrap_or(1);
        let share = (u128::from(whole) * days).div_ceil(of_days);
        Some(u64::try_from(share).unwrap_or(whole))
    }
}

/// The outcome of rating one period's usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRating {
    /// The bytes used in the period.
    pub used_bytes: u64,
    /// The bytes the plan includes, or `None` when unlimited.
    pub included_bytes: Option<u64>,
    /// Whole gigabytes charged as overage (every started gigabyte beyond the allowance).
    pub overage_gb: u32,
    /// What the overage costs, rounded to minor units; zero when within the allowance or
    /// unlimited. `None` when the plan has no overage price: there is then nothing to bill,
    /// and no currency in which to state a zero.
    pub charge: Option<Money>,
}

impl UsageRating {
    /// The charge, or zero in `currency` when the plan has no overage price.
    pub fn charge_or_zero(&self, currency: Currency) -> Money {
        self.charge.unwrap_or(Money::zero(currency))
    }
}

/// Rates a period's usage against an allowance.
///
/// **Rounding rule:** overage is billed per *started* gigabyte. The bytes beyond the
/// allowance are rounded **up** to the next whole gigabyte (0.2 GB over → 1 GB charged;
/// 1.000000001 GB over → 2 GB; exactly at the allowance → 0 GB), and the charge is
/// `overage_gb × overage_price_per_gb`, rounded to the currency's minor units half away
/// from zero (the price may have four decimals, e.g. 0.3333 per GB).
///
/// An unlimited allowance never has overage. A plan with an allowance but no overage price
/// still reports `overage_gb` (so the portal can show it) with `charge: None`.
/// `overage_gb` saturates at `u32::MAX` (over four exabytes), far beyond any real period.
pub fn rate_usage(
    used_bytes: u64,
    allowance: Allowance,
    overage_price_per_gb: Option<Money>,
) -> UsageRating {
    rate_usage_within(used_bytes, allowance.bytes(), overage_price_per_gb)
}

/// [`rate_usage`] against an allowance given in bytes (`None`: unlimited), such as a share
/// of a plan's allowance for the days it was in force ([`Allowance::prorated_bytes`]). The
/// same per-started-gigabyte rule applies.
pub fn rate_usage_within(
    used_bytes: u64,
    included_bytes: Option<u64>,
    overage_price_per_gb: Option<Money>,
) -> UsageRating {
    let overage_gb = match included_bytes {
        None => 0,
        Some(included) => {
            let over_bytes = used_bytes.saturating_sub(included);
            u32::try_from(over_bytes.div_ceil(BYTES_PER_GB)).unwrap_or(u32::MAX)
        }
    };
    let charge = overage_price_per_gb.map(|price| {
        price
            .times(Decimal::from(overage_gb))
            .round_to_minor_units()
    });
    UsageRating {
        used_bytes,
        included_bytes,
        overage_gb,
        charge,
    }
}

/// Projects usage to the end of a period, assuming the rest of the period continues at
/// the average rate so far: `used_so_far × period_seconds / elapsed_seconds`, rounded down.
///
/// Returns `used_so_far` when nothing has elapsed yet (no rate to extrapolate) or when the
/// period is already over; the projection is never below what has already been used, and
/// saturates at `u64::MAX`. Computed in `u128`, so it cannot overflow or lose precision.
pub fn project_usage(used_so_far: u64, elapsed_seconds: i64, period_seconds: i64) -> u64 {
    let (Ok(elapsed), Ok(period)) = (
        u128::try_from(elapsed_seconds),
        u128::try_from(period_seconds),
    ) else {
        return used_so_far; // negative elapsed or period time: nothing sensible to project
    };
    if elapsed == 0 {
        return used_so_far;
    }
    let projected = u128::from(used_so_far) * period / elapsed;
    u64::try_from(projected)
        .unwrap_or(u64::MAX)
        .max(used_so_far)
}

/// `used` as a whole percentage of `allowance_bytes`, rounded down; may exceed 100.
///
/// Rounding down means the portal never shows 100% until the allowance is truly used up.
/// A zero allowance is 0% when nothing is used and `u32::MAX` (saturated) otherwise;
/// results beyond `u32::MAX` saturate too.
pub fn percent_of_allowance(used: u64, allowance_bytes: u64) -> u32 {
    if allowance_bytes == 0 {
        return if used == 0 { 0 } else { u32::MAX };
    }
    let percent = u128::from(used) * 100 / u128::from(allowance_bytes);
    u32::try_from(percent).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn usd(amount: Decimal) -> Money {
        Money::new(amount, Currency::USD)
    }

    const GB: u64 = BYTES_PER_GB;

    #[test]
    fn a_gigabyte_is_a_billion_bytes() {
        assert_eq!(BYTES_PER_GB, 1_000_000_000);
        assert_eq!(Allowance::Gigabytes(500).bytes(), Some(500_000_000_000));
        assert_eq!(Allowance::Unlimited.bytes(), None);
        assert_eq!(
            Allowance::Gigabytes(u32::MAX).bytes(),
            Some(4_294_967_295_000_000_000)
        );
    }

    #[test]
    fn null_allowance_in_the_plans_table_means_unlimited() {
        assert_eq!(Allowance::from_optional_gb(None), Allowance::Unlimited);
        assert_eq!(
            Allowance::from_optional_gb(Some(250)),
            Allowance::Gigabytes(250)
        );
    }

    #[test]
    fn usage_within_the_allowance_costs_nothing() {
        let rating = rate_usage(499 * GB, Allowance::Gigabytes(500), Some(usd(dec!(2.00))));
        assert_eq!(rating.overage_gb, 0);
        assert_eq!(rating.charge, Some(Money::zero(Currency::USD)));
        assert_eq!(rating.included_bytes, Some(500 * GB));
        assert_eq!(rating.used_bytes, 499 * GB);
    }

    #[test]
    fn usage_exactly_at_the_allowance_has_no_overage() {
        let rating = rate_usage(500 * GB, Allowance::Gigabytes(500), Some(usd(dec!(2.00))));
        assert_eq!(rating.overage_gb, 0);
        assert_eq!(rating.charge, Some(usd(dec!(0))));
    }

    #[test]
    fn a_fifth_of_a_gigabyte_over_is_charged_as_one_whole_gigabyte() {
        let used = 500 * GB + 200_000_000; // 0.2 GB over
        let rating = rate_usage(used, Allowance::Gigabytes(500), Some(usd(dec!(2.50))));
        assert_eq!(rating.overage_gb, 1);
        assert_eq!(rating.charge, Some(usd(dec!(2.50))));
    }

    #[test]
    fn one_byte_over_a_whole_gigabyte_starts_the_next_one() {
        let used = 100 * GB + GB + 1; // 1 GB and 1 byte over
        let rating = rate_usage(used, Allowance::Gigabytes(100), Some(usd(dec!(10))));
        assert_eq!(rating.overage_gb, 2);
        assert_eq!(rating.charge, Some(usd(dec!(20))));
    }

    #[test]
    fn overage_charge_is_rounded_to_cents_half_away_from_zero() {
        // 15 GB over at 0.3333/GB = 4.9995 → 5.00.
        let rating = rate_usage(115 * GB, Allowance::Gigabytes(100), Some(usd(dec!(0.3333))));
        assert_eq!(rating.overage_gb, 15);
        assert_eq!(rating.charge.map(|c| c.amount()), Some(dec!(5.00)));
        // 7 GB over at 0.1234/GB = 0.8638 → 0.86.
        let rating = rate_usage(107 * GB, Allowance::Gigabytes(100), Some(usd(dec!(0.1234))));
        assert_eq!(rating.charge.map(|c| c.amount()), Some(dec!(0.86)));
    }

    #[test]
    fn unlimited_plans_never_pay_overage() {
        let rating = rate_usage(9_000 * GB, Allowance::Unlimited, Some(usd(dec!(5))));
        assert_eq!(rating.overage_gb, 0);
        assert_eq!(rating.included_bytes, None);
        assert_eq!(rating.charge, Some(usd(dec!(0))));
        assert_eq!(
            rate_usage(9_000 * GB, Allowance::Unlimited, None).charge,
            None
        );
    }

    #[test]
    fn a_plan_without_overage_price_reports_overage_but_charges_nothing() {
        let rating = rate_usage(103 * GB, Allowance::Gigabytes(100), None);
        assert_eq!(rating.overage_gb, 3);
        assert_eq!(rating.charge, None);
        assert_eq!(
            rating.charge_or_zero(Currency::EUR),
            Money::zero(Currency::EUR)
        );
    }

    #[test]
    fn overage_gigabytes_saturate_rather_than_wrap() {
        let rating = rate_usage(u64::MAX, Allowance::Gigabytes(0), None);
        // u64::MAX bytes is about 1.8 × 10¹⁰ GB, more than u32::MAX.
        assert_eq!(rating.overage_gb, u32::MAX);
    }

    #[test]
    fn a_prorated_allowance_is_rounded_up_to_the_byte() {
        // 1,500 GB for 25 of 30 days: 1,250 GB exactly.
        assert_eq!(
            Allowance::Gigabytes(1500).prorated_bytes(25, 30),
            Some(1_250 * GB)
        );
        // 1,000 GB for 5 of 30 days: 166.666… GB, rounded up to 166,666,666,667 bytes.
        assert_eq!(
            Allowance::Gigabytes(1000).prorated_bytes(5, 30),
            Some(166_666_666_667)
        );
        assert_eq!(
            Allowance::Gigabytes(500).prorated_bytes(30, 30),
            Some(500 * GB)
        );
        assert_eq!(Allowance::Unlimited.prorated_bytes(5, 30), None);
        // 166.67 GB used of a 166.666… GB share: one started GB over.
        let rating = rate_usage_within(166_670_000_000, Some(166_666_666_667), Some(usd(dec!(2))));
        assert_eq!(rating.overage_gb, 1);
        assert_eq!(rating.charge, Some(usd(dec!(2))));
    }

    #[test]
    fn projection_extrapolates_the_average_rate_to_the_period_end() {
        // 100 GB in 10 of 30 days → 300 GB.
        let day = 86_400;
        assert_eq!(project_usage(100 * GB, 10 * day, 30 * day), 300 * GB);
        // 7 bytes in 3 s of 10 s → 70 / 3 = 23.33… → 23 (rounded down).
        assert_eq!(project_usage(7, 3, 10), 23);
    }

    #[test]
    fn projection_with_no_elapsed_time_is_the_usage_so_far() {
        assert_eq!(project_usage(5 * GB, 0, 2_592_000), 5 * GB);
        assert_eq!(project_usage(5 * GB, -60, 2_592_000), 5 * GB);
        assert_eq!(project_usage(0, 100, 2_592_000), 0);
    }

    #[test]
    fn projection_is_never_below_usage_so_far() {
        // Period already over (elapsed beyond the period): keep what was used.
        assert_eq!(project_usage(40 * GB, 3_000_000, 2_592_000), 40 * GB);
        assert_eq!(project_usage(40 * GB, 100, -5), 40 * GB);
    }

    #[test]
    fn projection_of_huge_usage_saturates_instead_of_overflowing() {
        assert_eq!(project_usage(u64::MAX / 2, 1, 3), u64::MAX);
    }

    #[test]
    fn percent_of_allowance_rounds_down_and_may_exceed_100() {
        assert_eq!(percent_of_allowance(0, 500 * GB), 0);
        // 499.999999999 GB of 500 GB is 99.9999…% → 99.
        assert_eq!(percent_of_allowance(500 * GB - 1, 500 * GB), 99);
        assert_eq!(percent_of_allowance(500 * GB, 500 * GB), 100);
        // 625 GB of 500 GB = 125%.
        assert_eq!(percent_of_allowance(625 * GB, 500 * GB), 125);
        // 1 GB of 3 GB = 33.3…% → 33.
        assert_eq!(percent_of_allowance(GB, 3 * GB), 33);
    }

    #[test]
    fn percent_of_a_zero_allowance_saturates() {
        assert_eq!(percent_of_allowance(0, 0), 0);
        assert_eq!(percent_of_allowance(1, 0), u32::MAX);
        assert_eq!(percent_of_allowance(u64::MAX, 1), u32::MAX);
    }
}

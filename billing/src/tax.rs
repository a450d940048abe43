//! Splitting an amount into net, tax and gross.
//!
//! Prices are either tax-exclusive (US sales tax: the tax is added on top) or
//! tax-inclusive (VAT/GST: the price already contains the tax). Either way the tax is
//! rounded once, to minor units half away from zero, and the third figure is derived by
//! exact addition or subtraction, so `net + tax == gross` always holds to the cent and a
//! statement never shows totals that fail to add up.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// Why a tax rate was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxError {
    /// A rate below 0 or above 1 (100%).
    #[error("tax rate must be between 0 and 1 (0% to 100%), got {0}")]
    InvalidRate(Decimal),
}

/// A tax rate and whether prices include it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRate {
    /// The rate as a fraction: 0.0825 for 8.25%.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// Whether amounts taxed at this rate already include the tax (VAT style).
    pub inclusive: bool,
}

impl TaxRate {
    /// A tax rate, checked to lie between 0 and 1 (0% to 100%).
    pub fn new(rate: Decimal, inclusive: bool) -> Result<TaxRate, TaxError> {
        if rate < Decimal::ZERO || rate > Decimal::ONE {
            return Err(TaxError::InvalidRate(rate));
        }
        Ok(TaxRate { rate, inclusive })
    }
}

/// An amount split into its net, tax and gross parts; `net + tax == gross` exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxSplit {
    /// The amount before tax.
    pub net: Money,
    /// The tax.
    pub tax: Money,
    /// The amount including tax.
    pub gross: Money,
}

/// Splits `amount` into net, tax and gross at `rate`.
///
/// * Exclusive rate: `amount` is the net; `tax = round(net × rate)`; `gross = net + tax`.
/// * Inclusive rate: `amount` is the gross; `tax = round(gross × rate / (1 + rate))`;
///   `net = gross − tax`.
///
/// Rounding is to the currency's minor units, half away from zero, so a negative amount
/// (a refund) splits into exactly the negatives of the matching charge. `amount` is first
/// rounded to minor units itself (a no-op for any stored amount) so all three parts are
/// whole cents. A rate of exactly −100%, which [`TaxRate::new`] rejects and which would
/// divide by zero, is treated as no tax rather than panicking.
pub fn apply_tax(amount: Money, rate: &TaxRate) -> TaxSplit {
    let amount = amount.round_to_minor_units();
    let currency = amount.currency();
    let raw_tax = if rate.inclusive {
        (amount.amount() * rate.rate)
            .checked_div(Decimal::ONE + rate.rate)
            .unwrap_or(Decimal::ZERO)
    } else {
        amount.amount() * rate.rate
    };
    let tax = Money::new(raw_tax, currency).round_to_minor_units();
    // Derive the third figure by exact subtraction/addition of same-currency amounts.
    let (net, gross) = if rate.inclusive {
        (Money::new(amount.amount() - tax.amount(), currency), amount)
    } else {
        (amount, Money::new(amount.amount() + tax.amount(), currency))
    };
    TaxSplit { net, tax, gross }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use rust_decimal_macros::dec;

    fn usd(amount: Decimal) -> Money {
        Money::new(amount, Currency::USD)
    }

    fn exclusive(rate: Decimal) -> TaxRate {
        TaxRate::new(rate, false).expect("valid rate")
    }

    fn inclusive(rate: Decimal) -> TaxRate {
        TaxRate::new(rate, true).expect("valid rate")
    }

    fn assert_adds_up(split: &TaxSplit) {
        assert_eq!(split.net.checked_add(split.tax), Ok(split.gross));
    }

    #[test]
    fn exclusive_sales_tax_is_added_on_top() {
        // 49.99 × 0.0825 = 4.124175 → 4.12; 49.99 + 4.12 = 54.11.
        let split = apply_tax(usd(dec!(49.99)), &exclusive(dec!(0.0825)));
        assert_eq!(
            split,
            TaxSplit {
                net: usd(dec!(49.99)),
                tax: usd(dec!(4.12)),
                gross: usd(dec!(54.11))
            }
        );
        assert_adds_up(&split);
    }

    #[test]
    fn exclusive_tax_on_a_half_cent_rounds_up() {
        // 0.05 × 0.10 = 0.005 → 0.01.
        let split = apply_tax(usd(dec!(0.05)), &exclusive(dec!(0.10)));
        assert_eq!(split.tax, usd(dec!(0.01)));
        assert_eq!(split.gross, usd(dec!(0.06)));
        // 70.00 × 0.0825 = 5.775 → 5.78.
        let split = apply_tax(usd(dec!(70.00)), &exclusive(dec!(0.0825)));
        assert_eq!(split.tax, usd(dec!(5.78)));
        assert_eq!(split.gross, usd(dec!(75.78)));
    }

    #[test]
    fn inclusive_vat_is_extracted_from_the_price() {
        // 60.00 × 0.20 / 1.20 = 10.00; net 50.00.
        let split = apply_tax(
            Money::new(dec!(60.00), Currency::GBP),
            &inclusive(dec!(0.20)),
        );
        assert_eq!(split.tax.amount(), dec!(10.00));
        assert_eq!(split.net.amount(), dec!(50.00));
        assert_eq!(split.gross.amount(), dec!(60.00));
        assert_adds_up(&split);
    }

    #[test]
    fn inclusive_tax_rounds_and_net_takes_the_remainder() {
        // 49.99 × 0.20 / 1.20 = 8.33166… → 8.33; net 49.99 − 8.33 = 41.66.
        let split = apply_tax(usd(dec!(49.99)), &inclusive(dec!(0.20)));
        assert_eq!(
            split,
            TaxSplit {
                net: usd(dec!(41.66)),
                tax: usd(dec!(8.33)),
                gross: usd(dec!(49.99))
            }
        );
        // 100.00 × 0.0825 / 1.0825 = 7.6212… → 7.62; net 92.38.
        let split = apply_tax(usd(dec!(100.00)), &inclusive(dec!(0.0825)));
        assert_eq!(
            split,
            TaxSplit {
                net: usd(dec!(92.38)),
                tax: usd(dec!(7.62)),
                gross: usd(dec!(100.00))
            }
        );
        // 10.00 × 0.10 / 1.10 = 0.90909… → 0.91; net 9.09.
        let split = apply_tax(usd(dec!(10.00)), &inclusive(dec!(0.10)));
        assert_eq!(
            split,
            TaxSplit {
                net: usd(dec!(9.09)),
                tax: usd(dec!(0.91)),
                gross: usd(dec!(10.00))
            }
        );
    }

    #[test]
    fn a_refund_splits_into_the_negatives_of_the_charge() {
        let split = apply_tax(usd(dec!(-49.99)), &exclusive(dec!(0.0825)));
        assert_eq!(
            split,
            TaxSplit {
                net: usd(dec!(-49.99)),
                tax: usd(dec!(-4.12)),
                gross: usd(dec!(-54.11))
            }
        );
        let split = apply_tax(usd(dec!(-70.00)), &exclusive(dec!(0.0825)));
        assert_eq!(split.tax, usd(dec!(-5.78)));
    }

    #[test]
    fn zero_rate_means_no_tax_either_way() {
        let split = apply_tax(usd(dec!(39.95)), &exclusive(dec!(0)));
        assert_eq!(
            split,
            TaxSplit {
                net: usd(dec!(39.95)),
                tax: usd(dec!(0)),
                gross: usd(dec!(39.95))
            }
        );
        let split = apply_tax(usd(dec!(39.95)), &inclusive(dec!(0)));
        assert_eq!(
            split,
            TaxSplit {
                net: usd(dec!(39.95)),
                tax: usd(dec!(0)),
                gross: usd(dec!(39.95))
            }
        );
    }

    #[test]
    fn many_amounts_always_add_up_to_the_cent() {
        // Every amount from 0.01 to 20.00 at two awkward rates, both ways.
        for cents in 1..=2000 {
            let amount = Money::from_minor_units(cents, Currency::USD);
            for rate in [
                exclusive(dec!(0.0825)),
                inclusive(dec!(0.0825)),
                inclusive(dec!(0.175)),
            ] {
                let split = apply_tax(amount, &rate);
                assert_adds_up(&split);
                assert!(
                    split.tax.to_minor_units().is_ok(),
                    "tax {} not whole cents",
                    split.tax
                );
                assert!(
                    split.net.to_minor_units().is_ok(),
                    "net {} not whole cents",
                    split.net
                );
            }
        }
    }

    #[test]
    fn a_sub_cent_amount_is_rounded_before_taxing() {
        // 10.005 rounds to 10.01 first; 10.01 × 0.10 = 1.001 → 1.00.
        let split = apply_tax(usd(dec!(10.005)), &exclusive(dec!(0.10)));
        assert_eq!(
            split,
            TaxSplit {
                net: usd(dec!(10.01)),
                tax: usd(dec!(1.00)),
                gross: usd(dec!(11.01))
            }
        );
    }

    #[test]
    fn rates_outside_0_to_100_percent_are_rejected() {
        assert_eq!(
            TaxRate::new(dec!(-0.01), false),
            Err(TaxError::InvalidRate(dec!(-0.01)))
        );
        assert_eq!(
            TaxRate::new(dec!(1.5), true),
            Err(TaxError::InvalidRate(dec!(1.5)))
        );
        assert!(TaxRate::new(dec!(1), false).is_ok());
    }

    #[test]
    fn a_rate_of_minus_100_percent_does_not_panic() {
        let nonsense = TaxRate {
            rate: dec!(-1),
            inclusive: true,
        };
        let split = apply_tax(usd(dec!(5.00)), &nonsense);
        assert_eq!(split.tax, usd(dec!(0)));
        assert_adds_up(&split);
    }
}

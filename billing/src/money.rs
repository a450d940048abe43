//! Amounts of money in a currency.
//!
//! Money is a [`Decimal`] beside a [`Currency`]; it is never a float. Arithmetic between two
//! amounts checks that the currencies agree, because adding dollars to euros is a bug that
//! should fail loudly rather than produce a plausible-looking number.
//!
//! Intermediate results (a price times a quantity, a share of a period) are kept unrounded;
//! they are rounded once, with [`Money::round_to_minor_units`], when they become a charge.
//! Conversion to the integer "minor units" that Stripe expects happens only in
//! [`Money::to_minor_units`], which refuses amounts that would lose a fraction of a cent.

use std::fmt;
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Why an operation on money failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: expected {expected}, found {found}")]
    CurrencyMismatch {
        /// The currency the operation was working in.
        expected: Currency,
        /// The currency of the amount that did not fit.
        found: Currency,
    },
    /// A currency code was not three ASCII uppercase letters.
    #[error("invalid currency code {0:?}: expected three uppercase letters such as \"USD\"")]
    InvalidCurrency(String),
    /// The amount has more decimal places than the currency's minor unit allows
    /// (for example USD 1.005, or JPY 10.5), so it cannot be expressed in whole minor units.
    #[error("{amount} {currency} cannot be charged: {currency} has {places} decimal places")]
    TooPrecise {
        /// The amount, in major units.
        amount: Decimal,
        /// Its currency.
        currency: Currency,
        /// The currency's decimal places ([`Currency::minor_units`]).
        places: u32,
    },
    /// The result does not fit in the number type.
    #[error("amount is too large")]
    Overflow,
}

/// An ISO 4217 currency code such as `USD`.
///
/// Always three ASCII uppercase letters; whether the code is one the business accepts is
/// decided by the `currencies` table, not here. Serialized as its three-letter string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// United States dollar.
    pub const USD: Currency = Currency(*b"USD");
    /// Euro.
    pub const EUR: Currency = Currency(*b"EUR");
    /// Pound sterling.
    pub const GBP: Currency = Currency(*b"GBP");
    /// Canadian dollar.
    pub const CAD: Currency = Currency(*b"CAD");
    /// Australian dollar.
    pub const AUD: Currency = Currency(*b"AUD");

    /// Parses a currency code: exactly three ASCII uppercase letters (`"USD"`).
    ///
    /// Lower case and surrounding spaces are rejected rather than fixed up, so that a code
    /// read from the database or a form is either exactly right or an error.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        match code.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Currency([a, b, c])),
            _ => Err(MoneyError::InvalidCurrency(code.to_owned())),
        }
    }

    /// The three-letter code, e.g. `"USD"`.
    pub fn as_str(&self) -> &str {
        // The constructor only admits ASCII uppercase letters, so this cannot fail; the
        // fallback keeps the function panic-free regardless.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// How many decimal places the currency's minor unit has: 0 for JPY and KRW, 3 for
    /// BHD, KWD, OMR, JOD and TND, and 2 for every other currency.
    pub fn minor_units(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" => 0,
            b"BHD" | b"KWD" | b"OMR" | b"JOD" | b"TND" => 3,
            _ => 2,
        }
    }

    /// The symbols people type before or after an amount in this currency, longest first
    /// ("US$" and "$" for dollars, "€" for euros); empty when only the code is written.
    pub fn symbols(&self) -> &'static [&'static str] {
        match &self.0 {
            b"USD" => &["US$", "$"],
            b"CAD" => &["CA$", "C$", "$"],
            b"AUD" => &["AU$", "A$", "$"],
            b"NZD" => &["NZ$", "$"],
            b"GBP" => &["£"],
            b"EUR" => &["€"],
            b"JPY" => &["¥", "円"],
            _ => &[],
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `Currency("USD")` reads better in test failures than a byte array.
        f.debug_tuple("Currency").field(&self.as_str()).finish()
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;

        impl serde::de::Visitor<'_> for CodeVisitor {
            type Value = Currency;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a three-letter uppercase currency code")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Currency, E> {
                Currency::parse(v).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(CodeVisitor)
    }
}

/// An amount of money in a currency.
///
/// The amount may carry more decimal places than the currency's minor unit while a
/// calculation is in progress; round it with [`Money::round_to_minor_units`] before it is
/// stored or charged. Serialized as `{"amount": "12.34", "currency": "USD"}`, the amount as
/// a string so that no JSON reader turns it into a float.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// An amount in a currency, taken as given (not rounded).
    pub fn new(amount: Decimal, currency: Currency) -> Money {
        Money { amount, currency }
    }

    /// Nothing, in the given currency.
    pub fn zero(currency: Currency) -> Money {
        Money::new(Decimal::ZERO, currency)
    }

    /// The amount, in major units (dollars, not cents).
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Whether the amount is exactly zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// Whether the amount is below zero (a zero amount is neither negative nor positive).
    pub fn is_negative(&self) -> bool {
        self.amount < Decimal::ZERO
    }

    /// Whether the amount is above zero (a zero amount is neither negative nor positive).
    pub fn is_positive(&self) -> bool {
        self.amount > Decimal::ZERO
    }

    /// The same amount with the opposite sign, e.g. to turn a payment received into the
    /// negative ledger amount that records it.
    #[allow(clippy::should_implement_trait)] // `std::ops::Neg` is implemented too, below.
    pub fn neg(self) -> Money {
        Money::new(-self.amount, self.currency)
    }

    /// The sum of two amounts in the same currency.
    pub fn checked_add(&self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_add(other.amount)
            .map(|amount| Money::new(amount, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// This amount minus another in the same currency.
    pub fn checked_sub(&self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_sub(other.amount)
            .map(|amount| Money::new(amount, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// The amount multiplied by a factor (a quantity, a rate, a fraction of a period),
    /// left unrounded so that several steps can be combined before a single rounding.
    ///
    /// # Panics
    ///
    /// Panics if the product exceeds `Decimal`'s range (about 7.9 × 10²⁸), which no real
    /// bill approaches; use [`Money::checked_times`] where the factor is untrusted.
    pub fn times(self, factor: Decimal) -> Money {
        Money::new(self.amount * factor, self.currency)
    }

    /// Like [`Money::times`], but reports overflow instead of panicking.
    pub fn checked_times(self, factor: Decimal) -> Result<Money, MoneyError> {
        self.amount
            .checked_mul(factor)
            .map(|amount| Money::new(amount, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// The amount rounded to the currency's minor unit (cents for USD) using
    /// **round half away from zero**: 0.125 → 0.13 and −0.125 → −0.13.
    ///
    /// This is the commercial rounding subscribers expect on a bill, not banker's rounding
    /// (half to even); it is symmetric, so a refund rounds exactly like the charge it undoes.
    pub fn round_to_minor_units(self) -> Money {
        let amount = self.amount.round_dp_with_strategy(
            self.currency.minor_units(),
            RoundingStrategy::MidpointAwayFromZero,
        );
        Money::new(amount, self.currency)
    }

    /// The amount as an integer count of minor units (USD 12.34 → 1234, JPY 500 → 500,
    /// BHD 1.234 → 1234), as Stripe's API and Stripe.js expect.
    ///
    /// This is the only place money becomes an integer, and [`Money::from_minor_units`] the
    /// only way back: every amount sent to or read from Stripe goes through the two. It never
    /// rounds: an amount with a fraction of a minor unit is [`MoneyError::TooPrecise`],
    /// because silently dropping it would charge a card a different sum from the one on the
    /// statement. An amount beyond `i64` is [`MoneyError::Overflow`].
    pub fn to_minor_units(&self) -> Result<i64, MoneyError> {
        let places = self.currency.minor_units();
        // Comparing values (not representations) means USD 12.340 is accepted as 1234.
        if self.amount.round_dp(places) != self.amount {
            return Err(MoneyError::TooPrecise {
                amount: self.amount,
                currency: self.currency,
                places,
            });
        }
        let scale = Decimal::from(10_i64.pow(places));
        self.amount
            .checked_mul(scale)
            .and_then(|minor| minor.to_i64())
            .ok_or(MoneyError::Overflow)
    }

    /// An amount from an integer count of minor units (1234, USD → USD 12.34).
    pub fn from_minor_units(minor: i64, currency: Currency) -> Money {
        Money::new(Decimal::new(minor, currency.minor_units()), currency)
    }

    /// The sum of amounts that must all be in `currency`; an empty list sums to zero in
    /// that currency, which is why the currency is a parameter.
    pub fn sum<I: IntoIterator<Item = Money>>(
        currency: Currency,
        iter: I,
    ) -> Result<Money, MoneyError> {
        iter.into_iter()
            .try_fold(Money::zero(currency), |total, item| total.checked_add(item))
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                expected: self.currency,
                found: other.currency,
            })
        }
    }
}

impl std::ops::Neg for Money {
    type Output = Money;

    fn neg(self) -> Money {
        Money::neg(self)
    }
}

/// Shows `USD 12.34`: code, space, amount with at least the currency's decimal places.
///
/// This is for logs, errors and tests; what subscribers see is formatted for their locale
/// elsewhere.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let places = self.currency.minor_units();
        let mut amount = self.amount;
        // Pad "12.3" to "12.30", but never hide extra precision an unrounded amount carries.
        if amount.scale() < places {
            amount.rescale(places);
        }
        write!(f, "{} {}", self.currency, amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde::de::IntoDeserializer;

    fn usd(amount: Decimal) -> Money {
        Money::new(amount, Currency::USD)
    }

    #[test]
    fn currency_accepts_three_uppercase_letters() {
        let chf = Currency::parse("CHF").expect("valid code");
        assert_eq!(chf.as_str(), "CHF");
        assert_eq!(chf.to_string(), "CHF");
        assert_eq!(Currency::parse("USD"), Ok(Currency::USD));
    }

    #[test]
    fn currency_rejects_lowercase_wrong_length_and_non_letters() {
        for bad in ["usd", "US", "USDX", "", "U5D", " USD", "ÜSD"] {
            assert_eq!(
                Currency::parse(bad),
                Err(MoneyError::InvalidCurrency(bad.to_owned())),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn currency_minor_units_follow_iso_4217_exceptions() {
        assert_eq!(Currency::USD.minor_units(), 2);
        assert_eq!(Currency::EUR.minor_units(), 2);
        let code = |c: &str| Currency::parse(c).expect("valid code");
        assert_eq!(code("JPY").minor_units(), 0);
        assert_eq!(code("KRW").minor_units(), 0);
        for three in ["BHD", "KWD", "OMR", "JOD", "TND"] {
            assert_eq!(code(three).minor_units(), 3, "{three}");
        }
    }

    #[test]
    fn currency_debug_shows_the_code() {
        assert_eq!(format!("{:?}", Currency::GBP), "Currency(\"GBP\")");
    }

    #[test]
    fn currency_deserializes_from_its_code_and_rejects_bad_codes() {
        let good: Result<Currency, serde::de::value::Error> =
            Currency::deserialize("CAD".into_deserializer());
        assert_eq!(good, Ok(Currency::CAD));
        let bad: Result<Currency, serde::de::value::Error> =
            Currency::deserialize("cad".into_deserializer());
        assert!(bad.is_err());
    }

    #[test]
    fn adding_and_subtracting_same_currency_is_exact() {
        let a = usd(dec!(0.10));
        let b = usd(dec!(0.20));
        assert_eq!(a.checked_add(b), Ok(usd(dec!(0.30))));
        assert_eq!(a.checked_sub(b), Ok(usd(dec!(-0.10))));
    }

    #[test]
    fn adding_different_currencies_is_a_mismatch() {
        let err = usd(dec!(1)).checked_add(Money::new(dec!(1), Currency::EUR));
        assert_eq!(
            err,
            Err(MoneyError::CurrencyMismatch {
                expected: Currency::USD,
                found: Currency::EUR
            })
        );
        let err = usd(dec!(1)).checked_sub(Money::new(dec!(1), Currency::GBP));
        assert!(matches!(err, Err(MoneyError::CurrencyMismatch { .. })));
    }

    #[test]
    fn adding_beyond_decimal_range_is_overflow() {
        let huge = usd(Decimal::MAX);
        assert_eq!(huge.checked_add(usd(dec!(1))), Err(MoneyError::Overflow));
        assert_eq!(huge.checked_times(dec!(2)), Err(MoneyError::Overflow));
    }

    #[test]
    fn sign_predicates_treat_zero_as_neither() {
        let zero = Money::zero(Currency::USD);
        assert!(zero.is_zero() && !zero.is_negative() && !zero.is_positive());
        assert!(usd(dec!(-0.01)).is_negative());
        assert!(usd(dec!(0.01)).is_positive());
        assert_eq!(usd(dec!(5.25)).neg(), usd(dec!(-5.25)));
        assert_eq!(-usd(dec!(-5.25)), usd(dec!(5.25)));
    }

    #[test]
    fn rounding_takes_half_cents_away_from_zero() {
        assert_eq!(usd(dec!(0.125)).round_to_minor_units(), usd(dec!(0.13)));
        assert_eq!(usd(dec!(-0.125)).round_to_minor_units(), usd(dec!(-0.13)));
        // Banker's rounding would give 0.12 here; we do not use it.
        assert_eq!(usd(dec!(0.115)).round_to_minor_units(), usd(dec!(0.12)));
        assert_eq!(usd(dec!(0.1249)).round_to_minor_units(), usd(dec!(0.12)));
    }

    #[test]
    fn rounding_respects_zero_and_three_decimal_currencies() {
        let jpy = Currency::parse("JPY").expect("valid code");
        assert_eq!(
            Money::new(dec!(1234.5), jpy)
                .round_to_minor_units()
                .amount(),
            dec!(1235)
        );
        let kwd = Currency::parse("KWD").expect("valid code");
        assert_eq!(
            Money::new(dec!(1.2345), kwd)
                .round_to_minor_units()
                .amount(),
            dec!(1.235)
        );
    }

    #[test]
    fn minor_units_are_cents_for_usd() {
        assert_eq!(usd(dec!(12.34)).to_minor_units(), Ok(1234));
        assert_eq!(usd(dec!(-0.05)).to_minor_units(), Ok(-5));
        assert_eq!(usd(dec!(12.340)).to_minor_units(), Ok(1234));
        assert_eq!(usd(dec!(7)).to_minor_units(), Ok(700));
    }

    #[test]
    fn minor_units_follow_the_currency_exponent() {
        let jpy = Currency::parse("JPY").expect("valid code");
        assert_eq!(Money::new(dec!(500), jpy).to_minor_units(), Ok(500));
        let bhd = Currency::parse("BHD").expect("valid code");
        assert_eq!(Money::new(dec!(1.234), bhd).to_minor_units(), Ok(1234));
    }

    #[test]
    fn fractions_of_a_cent_are_refused_not_rounded() {
        assert!(matches!(
            usd(dec!(1.005)).to_minor_units(),
            Err(MoneyError::TooPrecise { places: 2, .. })
        ));
        let jpy = Currency::parse("JPY").expect("valid code");
        let refused = Money::new(dec!(10.5), jpy).to_minor_units();
        assert_eq!(
            refused,
            Err(MoneyError::TooPrecise {
                amount: dec!(10.5),
                currency: jpy,
                places: 0
            })
        );
        assert_eq!(
            refused.unwrap_err().to_string(),
            "10.5 JPY cannot be charged: JPY has 0 decimal places"
        );
        let bhd = Currency::parse("BHD").expect("valid code");
        assert_eq!(
            Money::new(dec!(1.2345), bhd)
                .to_minor_units()
                .unwrap_err()
                .to_string(),
            "1.2345 BHD cannot be charged: BHD has 3 decimal places"
        );
    }

    #[test]
    fn stripe_amounts_go_both_ways_in_each_currencys_minor_unit() {
        // Yen have no minor unit, dinars three, dollars two: ¥500 is 500, not 50000;
        // BHD 1.234 is 1234 fils, not 123.4; $45.99 is 4599 cents.
        let jpy = Currency::parse("JPY").expect("valid code");
        let bhd = Currency::parse("BHD").expect("valid code");
        let cases = [
            (Money::new(dec!(500), jpy), 500),
            (Money::new(dec!(500.00), jpy), 500),
            (Money::new(dec!(1.234), bhd), 1234),
            (Money::new(dec!(0.5), bhd), 500),
            (usd(dec!(45.99)), 4599),
            (usd(dec!(12)), 1200),
        ];
        for (money, minor) in cases {
            assert_eq!(money.to_minor_units(), Ok(minor), "{money}");
            assert_eq!(
                Money::from_minor_units(minor, money.currency()),
                money,
                "{minor} {}",
                money.currency()
            );
        }
    }

    #[test]
    fn minor_units_beyond_i64_are_overflow() {
        // 10^17 dollars is 10^19 cents, above i64::MAX (about 9.22 × 10^18).
        assert_eq!(
            usd(dec!(100000000000000000)).to_minor_units(),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn from_minor_units_places_the_decimal_point() {
        assert_eq!(
            Money::from_minor_units(1234, Currency::USD),
            usd(dec!(12.34))
        );
        assert_eq!(Money::from_minor_units(-5, Currency::USD), usd(dec!(-0.05)));
        let omr = Currency::parse("OMR").expect("valid code");
        assert_eq!(Money::from_minor_units(1500, omr).amount(), dec!(1.5));
    }

    #[test]
    fn sum_of_nothing_is_zero_in_the_given_currency() {
        assert_eq!(
            Money::sum(Currency::EUR, []),
            Ok(Money::zero(Currency::EUR))
        );
    }

    #[test]
    fn sum_adds_every_item_and_rejects_a_foreign_one() {
        let items = [usd(dec!(49.99)), usd(dec!(4.12)), usd(dec!(-10.00))];
        assert_eq!(Money::sum(Currency::USD, items), Ok(usd(dec!(44.11))));
        let mixed = [usd(dec!(1)), Money::new(dec!(1), Currency::AUD)];
        assert!(matches!(
            Money::sum(Currency::USD, mixed),
            Err(MoneyError::CurrencyMismatch {
                found: Currency::AUD,
                ..
            })
        ));
    }

    #[test]
    fn times_keeps_full_precision_until_rounded() {
        // 3 GB at 0.3333 per GB = 0.9999, not rounded yet.
        assert_eq!(usd(dec!(0.3333)).times(dec!(3)), usd(dec!(0.9999)));
        assert_eq!(
            usd(dec!(0.3333)).times(dec!(3)).round_to_minor_units(),
            usd(dec!(1.00))
        );
    }

    #[test]
    fn display_shows_code_and_amount_with_cents() {
        assert_eq!(usd(dec!(12.34)).to_string(), "USD 12.34");
        assert_eq!(usd(dec!(12.3)).to_string(), "USD 12.30");
        assert_eq!(usd(dec!(-5)).to_string(), "USD -5.00");
        assert_eq!(usd(dec!(0.125)).to_string(), "USD 0.125");
    }
}

//! Amounts typed by a person into a form, read the way their locale writes numbers.
//!
//! Every form that takes an amount (the pay form, a questioned charge, a staff adjustment)
//! reads it with [`parse`], in the browser as on the server, so what the page shows while
//! typing is what the server records. The locale's [`Separators`] decide what `,` and `.`
//! mean: "12,50" is twelve and a half in German and refused in English, where it could be
//! read two ways; "1,250.00" is one thousand two hundred and fifty in English. Anything the
//! parser is not sure of is refused with a message the form shows beside the field, never
//! guessed at: a wrong guess would charge a card the wrong sum.
//!
//! What is accepted, in order:
//!
//! * spaces around the amount;
//! * an optional minus sign, first (callers decide whether a negative amount makes sense);
//! * the account's currency symbol or code before or after the figures ("$12.50",
//!   "12,50 €", "USD 12.50"), never another currency's;
//! * the figures: digits, grouped in threes by the locale's group separator or not grouped
//!   at all, then optionally the locale's decimal separator and at least one digit, with
//!   no more decimal places than the currency's minor unit has (trailing zeros aside:
//!   "12.500" is 12.50 in dollars, refused in yen only if the value is not whole).
//!
//! [`for_input`] writes an amount the way [`parse`] reads it back, for a form's initial value.

use rust_decimal::Decimal;

use crate::money::{Currency, Money};

/// How a locale writes numbers: the decimal separator and the group (thousands) separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Separators {
    /// `.` in English, `,` in German and French.
    pub decimal: char,
    /// `,` in English, `.` in German, a narrow no-break space in French.
    pub group: char,
}

impl Separators {
    /// English: `1,234.50`.
    pub const POINT: Separators = Separators {
        decimal: '.',
        group: ',',
    };
    /// German, Dutch, Italian, Spanish…: `1.234,50`.
    pub const COMMA: Separators = Separators {
        decimal: ',',
        group: '.',
    };

    fn is_space_group(&self) -> bool {
        is_space(self.group)
    }

    fn is_group(&self, c: char) -> bool {
        c == self.group || (self.is_space_group() && is_space(c))
    }

    /// The name of the decimal separator, for messages.
    fn decimal_name(&self) -> &'static str {
        match self.decimal {
            ',' => "comma",
            _ => "point",
        }
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

/// Why a typed amount was refused. The messages are written for the person who typed it:
/// the form shows them beside the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypedAmountError {
    /// Nothing was typed.
    #[error("Enter an amount, like {example}.")]
    Empty {
        /// An amount written the locale's way.
        example: String,
    },
    /// Letters, another currency, or characters that are not part of an amount.
    #[error("Enter the amount in figures, like {example}.")]
    NotAnAmount {
        /// An amount written the locale's way.
        example: String,
    },
    /// A separator that could mean thousands or decimals ("12,50" where `,` groups
    /// thousands): refused rather than guessed.
    #[error("“{typed}” could be read two ways. For {suggestion}, write the decimals after a {decimal_name}.")]
    Ambiguous {
        /// What was typed.
        typed: String,
        /// The likely meaning, written the locale's way.
        suggestion: String,
        /// "point" or "comma".
        decimal_name: &'static str,
    },
    /// Separators in places no amount has them ("12,5,0", "1.2.3").
    #[error("“{typed}” is not an amount we can read. Write it like {example}.")]
    Malformed {
        /// What was typed.
        typed: String,
        /// An amount written the locale's way.
        example: String,
    },
    /// More decimal places than the currency has.
    #[error("{}", too_precise(.currency))]
    TooPrecise {
        /// The currency of the amount.
        currency: Currency,
    },
    /// More figures than any bill has.
    #[error("That amount is too large.")]
    TooLarge,
}

fn too_precise(currency: &Currency) -> String {
    match currency.minor_units() {
        0 => format!("{currency} amounts are whole numbers, without decimals."),
        1 => format!("{currency} amounts have at most 1 decimal place."),
        n => format!("{currency} amounts have at most {n} decimal places."),
    }
}

/// More integer digits than a stored amount can have (`numeric(14,2)`: 12).
const MAX_WHOLE_DIGITS: usize = 12;

/// Reads an amount typed in a form, in `currency`, the way a locale with `separators`
/// writes numbers. See the module documentation for what is accepted.
pub fn parse(
    text: &str,
    currency: Currency,
    separators: Separators,
) -> Result<Money, TypedAmountError> {
    let example = || example(currency, separators);
    let typed = text.trim_matches(|c: char| c.is_whitespace() || is_space(c));
    if typed.is_empty() {
        return Err(TypedAmountError::Empty { example: example() });
    }
    let (negative, rest) = match typed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, typed),
    };
    let figures = strip_currency(rest, currency);
    // A sign after the symbol: "$-12.50".
    let (negative, figures) = match (negative, figures.strip_prefix('-')) {
        (false, Some(rest)) => (true, rest),
        _ => (negative, figures),
    };
    if figures.is_empty() {
        return Err(TypedAmountError::NotAnAmount { example: example() });
    }
    let other = if separators.decimal == '.' { ',' } else { '.' };
    if figures.chars().any(|c| {
        !(c.is_ascii_digit() || c == separators.decimal || c == other || separators.is_group(c))
    }) {
        return Err(TypedAmountError::NotAnAmount { example: example() });
    }
    let malformed = || TypedAmountError::Malformed {
        typed: typed.to_owned(),
        example: example(),
    };

    // The separator of the other convention, where the locale never groups with it
    // ("12.50" in French, whose groups are spaces).
    if !separators.is_group(other) && figures.contains(other) {
        let (whole, fraction) = figures.split_once(other).unwrap_or((figures, ""));
        let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if plain(whole) && plain(fraction) {
            return Err(ambiguous(typed, whole, fraction, separators));
        }
        return Err(malformed());
    }

    let mut parts = figures.split(separators.decimal);
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    if parts.next().is_some() {
        return Err(malformed());
    }
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
    }
    let digits = if whole.chars().any(|c| separators.is_group(c)) {
        let groups: Vec<&str> = whole.split(|c| separators.is_group(c)).collect();
        let grouped_in_threes = groups.iter().enumerate().all(|(i, g)| {
            let size_ok = if i == 0 {
                (1..=3).contains(&g.len())
            } else {
                g.len() == 3
            };
            size_ok && g.bytes().all(|b| b.is_ascii_digit())
        });
        if !grouped_in_threes {
            // One separator followed by one or two digits, and no decimals: most likely
            // decimals written the other way ("12,50" in English).
            if let ([first, last], None) = (groups.as_slice(), fraction) {
                if !first.is_empty()
                    && (1..=2).contains(&last.len())
                    && first
                        .bytes()
                        .chain(last.bytes())
                        .all(|b| b.is_ascii_digit())
                {
                    return Err(ambiguous(typed, first, last, separators));
                }
            }
            return Err(malformed());
        }
        groups.concat()
    } else {
        whole.to_owned()
    };
    if digits.is_empty() && fraction.is_none() {
        return Err(TypedAmountError::NotAnAmount { example: example() });
    }
    let whole_digits = digits.trim_start_matches('0');
    if whole_digits.len() > MAX_WHOLE_DIGITS {
        return Err(TypedAmountError::TooLarge);
    }
    let fraction = fraction.unwrap_or("");
    // Trailing zeros carry no value; past 28 places `Decimal` cannot hold the rest.
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > currency.minor_units() as usize {
        return Err(TypedAmountError::TooPrecise { currency });
    }
    let mut number = if whole_digits.is_empty() {
        "0".to_owned()
    } else {
        whole_digits.to_owned()
    };
    if !fraction.is_empty() {
        number.push('.');
        number.push_str(fraction);
    }
    let mut amount = Decimal::from_str_exact(&number).map_err(|_| TypedAmountError::TooLarge)?;
    if negative {
        amount = -amount;
    }
    Ok(Money::new(amount, currency))
}

/// `text` without the currency's symbol or code before or after the figures.
fn strip_currency(text: &str, currency: Currency) -> &str {
    let mut affixes: Vec<&str> = currency.symbols().to_vec();
    affixes.push(currency.as_str());
    // Longest first, so "US$" is taken whole rather than as "$" after "US".
    affixes.sort_by_key(|a| std::cmp::Reverse(a.len()));
    let space = |c: char| c.is_whitespace() || is_space(c);
    for affix in &affixes {
        if let Some(rest) = strip_prefix_ignore_case(text, affix) {
            return rest.trim_start_matches(space);
        }
        if let Some(rest) = strip_suffix_ignore_case(text, affix) {
            return rest.trim_end_matches(space);
        }
    }
    text
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let start = text.len().checked_sub(suffix.len())?;
    let tail = text.get(start..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &text[..start])
}

fn ambiguous(typed: &str, whole: &str, fraction: &str, separators: Separators) -> TypedAmountError {
    TypedAmountError::Ambiguous {
        typed: typed.to_owned(),
        suggestion: format!("{whole}{}{fraction}", separators.decimal),
        decimal_name: separators.decimal_name(),
    }
}

/// "1,234.50", "1.234,50", "1 234,50", "1,234" (yen), "1,234.500" (dinars).
fn example(currency: Currency, separators: Separators) -> String {
    let mut out = format!("1{}234", separators.group);
    let places = currency.minor_units() as usize;
    if places > 0 {
        out.push(separators.decimal);
        out.push_str(&format!("{:0<places$}", "5"));
    }
    out
}

/// The amount as a form's initial value: the currency's decimal places, the locale's
/// decimal separator, no grouping and no symbol ("1234.50", "1234,50", "1234"), so that
/// [`parse`] reads back exactly the amount.
pub fn for_input(money: &Money, separators: Separators) -> String {
    let places = money.currency().minor_units();
    let mut amount = money.round_to_minor_units().amount();
    amount.rescale(places);
    let text = amount.to_string();
    match text.split_once('.') {
        Some((whole, fraction)) => format!("{whole}{}{fraction}", separators.decimal),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const FRENCH: Separators = Separators {
        decimal: ',',
        group: '\u{202f}',
    };

    fn jpy() -> Currency {
        Currency::parse("JPY").unwrap()
    }

    fn bhd() -> Currency {
        Currency::parse("BHD").unwrap()
    }

    fn en(text: &str) -> Result<Decimal, TypedAmountError> {
        parse(text, Currency::USD, Separators::POINT).map(|m| m.amount())
    }

    fn de(text: &str) -> Result<Decimal, TypedAmountError> {
        parse(text, Currency::EUR, Separators::COMMA).map(|m| m.amount())
    }

    #[test]
    fn a_comma_is_the_decimal_separator_where_the_locale_says_so() {
        assert_eq!(de("12,50"), Ok(dec!(12.50)));
        assert_eq!(de("1.250,00"), Ok(dec!(1250.00)));
        assert_eq!(de("1250"), Ok(dec!(1250)));
        assert_eq!(de("12,50 €"), Ok(dec!(12.50)));
        assert_eq!(de("€12,5"), Ok(dec!(12.5)));
        assert_eq!(
            parse("1\u{202f}234,56\u{a0}€", Currency::EUR, FRENCH).map(|m| m.amount()),
            Ok(dec!(1234.56))
        );
        assert_eq!(
            parse("1 234,56", Currency::EUR, FRENCH).map(|m| m.amount()),
            Ok(dec!(1234.56))
        );
    }

    #[test]
    fn a_comma_groups_thousands_in_english() {
        assert_eq!(en("1,250.00"), Ok(dec!(1250.00)));
        assert_eq!(en("$1,250.00"), Ok(dec!(1250.00)));
        assert_eq!(en("1,250"), Ok(dec!(1250)));
        assert_eq!(en("1,234,567.89"), Ok(dec!(1234567.89)));
        assert_eq!(en(" 45.99 "), Ok(dec!(45.99)));
        assert_eq!(en("USD 45.99"), Ok(dec!(45.99)));
        assert_eq!(en("45.99usd"), Ok(dec!(45.99)));
        assert_eq!(en(".50"), Ok(dec!(0.50)));
        assert_eq!(en("0012.5"), Ok(dec!(12.5)));
        assert_eq!(
            parse("US$5", Currency::USD, Separators::POINT).map(|m| m.amount()),
            Ok(dec!(5))
        );
    }

    #[test]
    fn the_sign_is_kept_for_the_caller_to_judge() {
        assert_eq!(en("-20"), Ok(dec!(-20)));
        assert_eq!(en("-$20.00"), Ok(dec!(-20.00)));
        assert_eq!(en("$-20.00"), Ok(dec!(-20.00)));
    }

    #[test]
    fn a_separator_that_could_mean_either_is_refused_with_the_likely_meaning() {
        assert_eq!(
            en("12,50"),
            Err(TypedAmountError::Ambiguous {
                typed: "12,50".into(),
                suggestion: "12.50".into(),
                decimal_name: "point",
            })
        );
        assert_eq!(
            en("12,50").unwrap_err().to_string(),
            "“12,50” could be read two ways. For 12.50, write the decimals after a point."
        );
        assert_eq!(
            de("12.50").unwrap_err().to_string(),
            "“12.50” could be read two ways. For 12,50, write the decimals after a comma."
        );
        assert!(matches!(
            parse("12.5", Currency::EUR, FRENCH),
            Err(TypedAmountError::Ambiguous { .. })
        ));
    }

    #[test]
    fn separators_out_of_place_are_refused() {
        for bad in [
            "12,5,0", "1.2.3", "1,23,456", "1,2345", "12.", "1..2", ",5", "1.2,3",
        ] {
            assert!(
                matches!(en(bad), Err(TypedAmountError::Malformed { .. })),
                "{bad:?}: {:?}",
                en(bad)
            );
        }
        for bad in ["1.2.3", "12,5,0", "1,2,3", "12.345.6"] {
            assert!(
                matches!(de(bad), Err(TypedAmountError::Malformed { .. })),
                "{bad:?}: {:?}",
                de(bad)
            );
        }
        assert_eq!(
            en("12,5,0").unwrap_err().to_string(),
            "“12,5,0” is not an amount we can read. Write it like 1,234.50."
        );
        assert_eq!(
            de("1.2.3").unwrap_err().to_string(),
            "“1.2.3” is not an amount we can read. Write it like 1.234,50."
        );
    }

    #[test]
    fn letters_other_currencies_and_nothing_are_refused() {
        for bad in [
            "twelve", "12a", "1e3", "0x10", "€12", "12 EUR", "$", "+12", "12 34",
        ] {
            assert!(
                matches!(en(bad), Err(TypedAmountError::NotAnAmount { .. })),
                "{bad:?}: {:?}",
                en(bad)
            );
        }
        assert_eq!(
            en("twelve").unwrap_err().to_string(),
            "Enter the amount in figures, like 1,234.50."
        );
        assert_eq!(
            en("  ").unwrap_err().to_string(),
            "Enter an amount, like 1,234.50."
        );
        assert_eq!(
            de("").unwrap_err().to_string(),
            "Enter an amount, like 1.234,50."
        );
    }

    #[test]
    fn decimals_follow_the_currencys_minor_unit() {
        assert_eq!(
            en("12.345"),
            Err(TypedAmountError::TooPrecise {
                currency: Currency::USD
            })
        );
        assert_eq!(
            en("12.345").unwrap_err().to_string(),
            "USD amounts have at most 2 decimal places."
        );
        assert_eq!(en("12.340"), Ok(dec!(12.34)));
        let yen = |s: &str| parse(s, jpy(), Separators::POINT).map(|m| m.amount());
        assert_eq!(yen("1,250"), Ok(dec!(1250)));
        assert_eq!(yen("¥1,250"), Ok(dec!(1250)));
        assert_eq!(yen("1250.00"), Ok(dec!(1250)));
        assert_eq!(
            yen("12.5").unwrap_err().to_string(),
            "JPY amounts are whole numbers, without decimals."
        );
        let dinar = |s: &str| parse(s, bhd(), Separators::POINT).map(|m| m.amount());
        assert_eq!(dinar("1.250"), Ok(dec!(1.25)));
        assert_eq!(dinar("BHD 1.255"), Ok(dec!(1.255)));
        assert_eq!(
            dinar("1.2555").unwrap_err().to_string(),
            "BHD amounts have at most 3 decimal places."
        );
    }

    #[test]
    fn more_figures_than_a_bill_has_are_refused() {
        assert_eq!(en("1,000,000,000,000"), Err(TypedAmountError::TooLarge));
        assert_eq!(en("999999999999.99"), Ok(dec!(999999999999.99)));
        assert_eq!(en(&"9".repeat(40)), Err(TypedAmountError::TooLarge));
        assert_eq!(
            en(&format!("1.{}", "0".repeat(40))),
            Ok(dec!(1)),
            "trailing zeros carry no value"
        );
    }

    #[test]
    fn an_amount_written_for_a_form_reads_back_the_same() {
        let cases = [
            (
                Money::new(dec!(1234.5), Currency::USD),
                Separators::POINT,
                "1234.50",
            ),
            (
                Money::new(dec!(1234.5), Currency::EUR),
                Separators::COMMA,
                "1234,50",
            ),
            (Money::new(dec!(0.05), Currency::EUR), FRENCH, "0,05"),
            (Money::new(dec!(1250), jpy()), Separators::POINT, "1250"),
            (Money::new(dec!(1.25), bhd()), Separators::POINT, "1.250"),
        ];
        for (money, separators, written) in cases {
            assert_eq!(for_input(&money, separators), written);
            assert_eq!(parse(written, money.currency(), separators), Ok(money));
        }
    }
}

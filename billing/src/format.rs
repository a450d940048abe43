//! Money, dates and data sizes written the way the account's locale writes them.
//! No floating point: amounts are decimals, sizes are integer bytes.

use crate::cycle::Period;
use crate::typed_amount::{self, Separators, TypedAmountError};
use crate::{Currency, Money};
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_decimal::{Decimal, RoundingStrategy};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DateStyle {
    /// Nov 21, 2026
    MonthDayYear,
    /// 21 Nov 2026
    DayMonthYear,
    /// 21.11.2026
    Dotted,
    /// 21/11/2026
    Slashed,
}

/// Formatting conventions of one locale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Formats {
    region: [u8; 2],
    group: char,
    decimal: char,
    symbol_after: bool,
    dates: DateStyle,
    twelve_hour: bool,
    /// Sizes in octets, as French writes them: "Go" for GB.
    octets: bool,
}

impl Formats {
    /// Conventions for a tag like `en-US`, `en-GB` or `de-DE`; unknown tags get `en-US`'s.
    pub fn new(locale: &str) -> Formats {
        let (lang, region) = locale.split_once('-').unwrap_or((locale, ""));
        let region = match region.as_bytes() {
            [a, b] => [*a, *b],
            _ => *b"US",
        };
        let base = Formats {
            region,
            group: ',',
            decimal: '.',
            symbol_after: false,
            dates: DateStyle::DayMonthYear,
            twelve_hour: false,
            octets: false,
        };
        match lang {
            "en" if &region == b"US" => Formats {
                dates: DateStyle::MonthDayYear,
                twelve_hour: true,
                ..base
            },
            "en" if &region == b"CA" => Formats {
                dates: DateStyle::MonthDayYear,
                twelve_hour: true,
                ..base
            },
            "en" => base,
            // Spanish in the Americas' dollar and peso countries writes numbers as the US
            // does ("$1,234.56"), days first ("03/02/2026").
            "es" if matches!(
                &region,
                b"US" | b"MX" | b"PR" | b"DO" | b"GT" | b"HN" | b"NI" | b"PA" | b"SV" | b"PE"
            ) =>
            {
                Formats {
                    dates: DateStyle::Slashed,
                    ..base
                }
            }
            "es" => Formats {
                group: '.',
                decimal: ',',
                symbol_after: true,
                dates: DateStyle::Slashed,
                ..base
            },
            "de" | "nl" | "it" | "pt" | "da" => Formats {
                group: '.',
                decimal: ',',
                symbol_after: true,
                dates: DateStyle::Dotted,
                ..base
            },
            "fr" => Formats {
                octets: true,
                group: '\u{202f}',
                decimal: ',',
                symbol_after: true,
                dates: DateStyle::Slashed,
                ..base
            },
            _ => Formats::new("en-US"),
        }
    }

    /// The locale's decimal and group separators.
    pub fn separators(&self) -> Separators {
        Separators {
            decimal: self.decimal,
            group: self.group,
        }
    }

    /// Reads an amount typed in a form the locale's way: "12,50" is 12.50 in German and
    /// refused as ambiguous in English, where "1,250.00" is 1250.00. Every form that takes an
    /// amount reads it here, in the browser as on the server ([`billing::typed_amount`]).
    pub fn parse_money(&self, text: &str, currency: Currency) -> Result<Money, TypedAmountError> {
        typed_amount::parse(text, currency, self.separators())
    }

    /// An amount as a form's initial value, which [`Formats::parse_money`] reads back:
    /// `1234.50`, `1234,50`.
    pub fn amount_input(&self, money: &Money) -> String {
        typed_amount::for_input(money, self.separators())
    }

    fn symbol(&self, currency: &str) -> &'static str {
        let home = |region: &[u8; 2]| &self.region == region;
        match currency {
            "USD" if home(b"US") => "$",
            "USD" => "US$",
            "CAD" if home(b"CA") => "$",
            "CAD" => "CA$",
            "AUD" if home(b"AU") => "$",
            "AUD" => "A$",
            "GBP" => "£",
            "EUR" => "€",
            _ => "",
        }
    }

    /// `$1,234.56`, `-£3.10`, `1.234,56 €`.
    pub fn money(&self, money: &Money) -> String {
        let currency = money.currency();
        let places = currency.minor_units();
        let amount = money
            .amount()
            .round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
        let number = self.decimal_number(amount.abs(), places);
        let sign = if amount.is_sign_negative() && !amount.is_zero() {
            "-"
        } else {
            ""
        };
        let symbol = self.symbol(currency.as_str());
        match (symbol, self.symbol_after) {
            ("", _) => format!("{sign}{number} {}", currency.as_str()),
            (s, false) => format!("{sign}{s}{number}"),
            (s, true) => format!("{sign}{number}\u{a0}{s}"),
        }
    }

    /// A non-negative decimal with grouping and exactly `places` decimals.
    fn decimal_number(&self, value: Decimal, places: u32) -> String {
        let text = format!("{:.*}", places as usize, value);
        let (int_part, frac_part) = text.split_once('.').unwrap_or((&text, ""));
        let mut out = self.group_digits(int_part);
        if !frac_part.is_empty() {
            out.push(self.decimal);
            out.push_str(frac_part);
        }
        out
    }

    fn group_digits(&self, digits: &str) -> String {
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(self.group);
            }
            out.push(c);
        }
        out
    }

    /// Data sizes in decimal units, as ISPs bill them: `850 MB`, `12.3 GB`, `1,080 GB`,
    /// `12.5 TB`. Gigabytes go up to 10 TB so that usage reads in the unit of the allowance.
    pub fn bytes(&self, bytes: u64) -> String {
        const MB: u64 = 1_000_000;
        const GB: u64 = 1_000_000_000;
        const TB: u64 = 1_000_000_000_000;
        let (scaled, places, unit) = if bytes < GB {
            (Decimal::from(bytes) / Decimal::from(MB), 0, "MB")
        } else if bytes < 100 * GB {
            (Decimal::from(bytes) / Decimal::from(GB), 1, "GB")
        } else if bytes < 10 * TB {
            (Decimal::from(bytes) / Decimal::from(GB), 0, "GB")
        } else {
            (Decimal::from(bytes) / Decimal::from(TB), 2, "TB")
        };
        let rounded = scaled.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
        // Terabytes drop trailing zeros: "20 TB", "12.5 TB", "12.35 TB".
        let places = if unit == "TB" {
            rounded.normalize().scale()
        } else {
            places
        };
        format!(
            "{}\u{a0}{}",
            self.decimal_number(rounded, places),
            self.unit(unit)
        )
    }

    /// A size's unit as the locale writes it: "GB", or "Go" in French.
    fn unit(&self, unit: &'static str) -> &'static str {
        match (self.octets, unit) {
            (true, "MB") => "Mo",
            (true, "GB") => "Go",
            (true, "TB") => "To",
            _ => unit,
        }
    }

    /// A count: `1,043`, `1.043`, `1\u{202f}043`.
    pub fn count(&self, n: u64) -> String {
        self.group_digits(&n.to_string())
    }

    /// Bytes as gigabytes to a tenth, rounded up as statements count them (every started
    /// gigabyte; [`crate::text::gigabytes`]), without the unit: `1,004.4`, `1\u{202f}004,4`.
    pub fn gigabytes_to_tenth(&self, bytes: u64) -> String {
        let tenths = bytes.div_ceil(crate::usage::BYTES_PER_GB / 10);
        self.decimal_number(Decimal::new(tenths as i64, 1), 1)
    }

    /// Whole gigabytes, for allowances: `500 GB`.
    pub fn gigabytes(&self, gb: i64) -> String {
        format!(
            "{}\u{a0}{}",
            self.group_digits(&gb.to_string()),
            self.unit("GB")
        )
    }

    /// `Nov 21, 2026`, `21 Nov 2026`, `21.11.2026`.
    pub fn date(&self, date: NaiveDate) -> String {
        let (d, m, y) = (date.day(), date.month(), date.year());
        let name = MONTHS[date.month0() as usize];
        match self.dates {
            DateStyle::MonthDayYear => format!("{name} {d}, {y}"),
            DateStyle::DayMonthYear => format!("{d} {name} {y}"),
            DateStyle::Dotted => format!("{d:02}.{m:02}.{y}"),
            DateStyle::Slashed => format!("{d:02}/{m:02}/{y}"),
        }
    }

    /// A period by its first and last days: `Nov 5 – Dec 4, 2026` (`Dec 5, 2025 – Jan 4,
    /// 2026` across New Year), `5 Nov – 4 Dec 2026`, `05/11/2026 – 04/12/2026`.
    pub fn period(&self, period: &Period) -> String {
        let (first, last) = (period.start, period.last_day());
        let same_year = first.year() == last.year();
        match self.dates {
            DateStyle::MonthDayYear | DateStyle::DayMonthYear if same_year => {
                format!("{} – {}", self.short_date(first), self.date(last))
            }
            _ => format!("{} – {}", self.date(first), self.date(last)),
        }
    }

    /// A day without its year, for chart labels: `Nov 21`, `21 Nov`, `21.11.`.
    pub fn short_date(&self, date: NaiveDate) -> String {
        let (d, m) = (date.day(), date.month());
        let name = MONTHS[date.month0() as usize];
        match self.dates {
            DateStyle::MonthDayYear => format!("{name} {d}"),
            DateStyle::DayMonthYear => format!("{d} {name}"),
            DateStyle::Dotted => format!("{d:02}.{m:02}."),
            DateStyle::Slashed => format!("{d:02}/{m:02}"),
        }
    }

    /// A clock hour: `3 PM` or `15:00`.
    pub fn hour(&self, hour: u8) -> String {
        if self.twelve_hour {
            let h12 = match hour % 12 {
                0 => 12,
                h => h,
            };
            format!("{h12}\u{a0}{}", if hour < 12 { "AM" } else { "PM" })
        } else {
            format!("{hour:02}:00")
        }
    }

    /// A local date and time: `Nov 21, 2026, 3:05 PM` or `21 Nov 2026, 15:05`.
    pub fn datetime(&self, at: NaiveDateTime) -> String {
        format!("{}, {}", self.date(at.date()), self.time(at))
    }

    /// A local clock time: `3:05 PM` or `15:05`.
    pub fn time(&self, at: NaiveDateTime) -> String {
        if self.twelve_hour {
            let h = at.hour();
            let h12 = match h % 12 {
                0 => 12,
                h => h,
            };
            format!(
                "{h12}:{:02}\u{a0}{}",
                at.minute(),
                if h < 12 { "AM" } else { "PM" }
            )
        } else {
            format!("{:02}:{:02}", at.hour(), at.minute())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn us_dollars_are_grouped_with_commas_and_a_leading_symbol() {
        let f = Formats::new("en-US");
        assert_eq!(
            f.money(&Money::new(dec!(1234567.5), Currency::USD)),
            "$1,234,567.50"
        );
        assert_eq!(f.money(&Money::new(dec!(-3.1), Currency::USD)), "-$3.10");
        assert_eq!(f.money(&Money::new(dec!(0.005), Currency::USD)), "$0.01");
    }

    #[test]
    fn euros_in_german_use_dots_commas_and_a_trailing_symbol() {
        let f = Formats::new("de-DE");
        assert_eq!(
            f.money(&Money::new(dec!(1234.56), Currency::EUR)),
            "1.234,56\u{a0}€"
        );
    }

    #[test]
    fn dollars_outside_their_country_are_marked() {
        assert_eq!(
            Formats::new("en-GB").money(&Money::new(dec!(5), Currency::USD)),
            "US$5.00"
        );
        assert_eq!(
            Formats::new("en-CA").money(&Money::new(dec!(5), Currency::CAD)),
            "$5.00"
        );
    }

    #[test]
    fn sizes_use_decimal_units_with_sensible_precision() {
        let f = Formats::new("en-US");
        assert_eq!(f.bytes(850_000_000), "850\u{a0}MB");
        assert_eq!(f.bytes(12_345_000_000), "12.3\u{a0}GB");
        assert_eq!(f.bytes(412_600_000_000), "413\u{a0}GB");
        assert_eq!(f.bytes(1_000_000_000_000), "1,000\u{a0}GB");
        assert_eq!(f.bytes(1_080_400_000_000), "1,080\u{a0}GB");
        assert_eq!(f.bytes(12_345_000_000_000), "12.35\u{a0}TB");
        assert_eq!(f.bytes(20_000_000_000_000), "20\u{a0}TB");
        assert_eq!(Formats::new("de-DE").bytes(12_345_000_000), "12,3\u{a0}GB");
        assert_eq!(Formats::new("fr-CA").bytes(12_345_000_000), "12,3\u{a0}Go");
        assert_eq!(
            f.gigabytes_to_tenth(1_043_400_000_000),
            crate::text::gigabytes(1_043_400_000_000).trim_end_matches(" GB")
        );
        assert_eq!(f.gigabytes_to_tenth(1_000_000_000_001), "1,000.1");
        assert_eq!(
            Formats::new("fr-CA").gigabytes_to_tenth(1_043_400_000_000),
            "1\u{202f}043,4"
        );
        assert_eq!(
            Formats::new("fr-FR").gigabytes(1000),
            "1\u{202f}000\u{a0}Go"
        );
    }

    #[test]
    fn typed_amounts_are_read_the_locales_way() {
        let en = Formats::new("en-US");
        let de = Formats::new("de-DE");
        let fr = Formats::new("fr-FR");
        assert_eq!(
            de.parse_money("12,50", Currency::EUR).map(|m| m.amount()),
            Ok(dec!(12.50))
        );
        assert_eq!(
            en.parse_money("1,250.00", Currency::USD)
                .map(|m| m.amount()),
            Ok(dec!(1250.00))
        );
        assert_eq!(
            fr.parse_money("1\u{202f}250,00\u{a0}€", Currency::EUR)
                .map(|m| m.amount()),
            Ok(dec!(1250.00))
        );
        assert!(en.parse_money("12,50", Currency::USD).is_err());
        // What a form is filled with reads back as the same amount.
        let amount = Money::new(dec!(1234.5), Currency::EUR);
        assert_eq!(de.amount_input(&amount), "1234,50");
        assert_eq!(
            de.parse_money(&de.amount_input(&amount), Currency::EUR),
            Ok(amount)
        );
    }

    #[test]
    fn dates_follow_the_locale() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 3).unwrap();
        assert_eq!(Formats::new("en-US").date(d), "Feb 3, 2026");
        assert_eq!(Formats::new("en-GB").date(d), "3 Feb 2026");
        assert_eq!(Formats::new("de-DE").date(d), "03.02.2026");
        let at = d.and_hms_opt(0, 7, 0).unwrap();
        assert_eq!(
            Formats::new("en-US").datetime(at),
            "Feb 3, 2026, 12:07\u{a0}AM"
        );
        assert_eq!(Formats::new("en-GB").datetime(at), "3 Feb 2026, 00:07");
        assert_eq!(Formats::new("es-US").date(d), "03/02/2026");
        assert_eq!(Formats::new("fr-CA").datetime(at), "03/02/2026, 00:07");
    }

    #[test]
    fn spanish_in_the_us_writes_dollars_as_the_us_does_and_in_spain_euros_as_spain_does() {
        let amount =
            |locale, currency| Formats::new(locale).money(&Money::new(dec!(1234.5), currency));
        assert_eq!(amount("es-US", Currency::USD), "$1,234.50");
        assert_eq!(amount("es-MX", Currency::USD), "US$1,234.50");
        assert_eq!(amount("es-ES", Currency::EUR), "1.234,50\u{a0}€");
        assert_eq!(amount("fr-CA", Currency::CAD), "1\u{202f}234,50\u{a0}$");
        assert_eq!(amount("fr-FR", Currency::EUR), "1\u{202f}234,50\u{a0}€");
    }

    #[test]
    fn periods_read_as_their_first_and_last_days() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let p = Period {
            start: d(2026, 11, 5),
            end: d(2026, 12, 5),
        };
        let new_year = Period {
            start: d(2025, 12, 5),
            end: d(2026, 1, 5),
        };
        // en-US reads as the stored descriptions do (crate::text::period).
        assert_eq!(Formats::new("en-US").period(&p), crate::text::period(&p));
        assert_eq!(
            Formats::new("en-US").period(&new_year),
            crate::text::period(&new_year)
        );
        assert_eq!(Formats::new("en-GB").period(&p), "5 Nov – 4 Dec 2026");
        assert_eq!(Formats::new("es-US").period(&p), "05/11/2026 – 04/12/2026");
        assert_eq!(Formats::new("fr-CA").period(&p), "05/11/2026 – 04/12/2026");
    }
}

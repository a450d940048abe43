//! How amounts, dates and volumes read in stored descriptions and summaries.
//!
//! Stored descriptions are written once, in the account's locale (every seeded account is
//! `en-US`), as a bill run would write them: "$1,043.50", "Nov 5, 2026", "812 GB". Every
//! amount is written in its own currency ([`money`]): "£18.38" on a GBP account, never "$".

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use rust_decimal::Decimal;

use crate::cycle::Period;
use crate::money::{Currency, Money};
use crate::usage::BYTES_PER_GB;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// An amount in its own currency, as en-US writes it: "$1,043.50", "£18.38", "€9.99",
/// "CA$12.00", "¥1,200", "-£3.10"; a currency without a symbol of its own is written after
/// the number ("12.500 BHD"). At least the currency's minor-unit decimals are shown, and more
/// only when the amount carries them (a price of 0.3333 per GB stays "$0.3333").
pub fn money(m: Money) -> String {
    let currency = m.currency();
    let places = currency.minor_units();
    let mut amount = m.amount().normalize();
    if amount.scale() < places {
        amount.rescale(places);
    }
    let digits = amount.abs().to_string();
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, format!(".{f}")),
        None => (digits.as_str(), String::new()),
    };
    let sign = if amount.is_sign_negative() && !amount.is_zero() {
        "-"
    } else {
        ""
    };
    let number = format!("{}{fraction}", group_thousands(whole));
    match symbol(currency) {
        Some(symbol) => format!("{sign}{symbol}{number}"),
        None => format!("{sign}{number} {currency}"),
    }
}

/// The symbol en-US writes before an amount in `currency`, if it has one.
fn symbol(currency: Currency) -> Option<&'static str> {
    Some(match currency.as_str() {
        "USD" => "$",
        "GBP" => "£",
        "EUR" => "€",
        "JPY" => "¥",
        "CAD" => "CA$",
        "AUD" => "A$",
        "NZD" => "NZ$",
        _ => return None,
    })
}

/// "$1,043.50"; negative amounts as "-$12.00". For amounts known to be US dollars only:
/// anything on an account is written with [`money`], in the account's currency.
pub fn dollars(amount: Decimal) -> String {
    let mut cents = amount.round_dp(2);
    cents.rescale(2);
    let digits = cents.abs().to_string();
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, "00"));
    let sign = if amount.is_sign_negative() && !cents.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}${}.{fraction}", group_thousands(whole))
}

/// "1,043"
pub fn count(value: u64) -> String {
    group_thousands(&value.to_string())
}

/// A count with its noun: "1 account", "1,500 accounts", "0 accounts".
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// "1st", "2nd", "3rd", "11th", "22nd", "31st".
pub fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in gigabytes to a tenth, rounded up: "1,004.4 GB". Rounding up keeps a usage
/// line consistent with its charge, which counts every started gigabyte: usage shown as
/// exactly the allowance is never billed as over it.
pub fn gigabytes(bytes: u64) -> String {
    let tenth = BYTES_PER_GB / 10;
    let tenths = bytes.div_ceil(tenth);
    format!("{}.{} GB", count(tenths / 10), tenths % 10)
}

/// "Nov 5, 2026"
pub fn day(date: NaiveDate) -> String {
    format!(
        "{} {}, {}",
        MONTHS[date.month0() as usize],
        date.day(),
        date.year()
    )
}

/// A period by its first and last days: "Nov 5 – Dec 4, 2026", or with both years when
/// it spans New Year: "Dec 5, 2025 – Jan 4, 2026".
pub fn period(p: &Period) -> String {
    let (first, last) = (p.start, p.last_day());
    if first.year() == last.year() {
        format!(
            "{} {} – {}",
            MONTHS[first.month0() as usize],
            first.day(),
            day(last)
        )
    } else {
        format!("{} – {}", day(first), day(last))
    }
}

/// "6 PM", "12 AM"
pub fn hour(h: u32) -> String {
    let time = NaiveTime::from_hms_opt(h % 24, 0, 0).unwrap_or_default();
    let (pm, h12) = time.hour12();
    format!("{h12} {}", if pm { "PM" } else { "AM" })
}

/// A rate as a percentage: 0.0825 → "8.25%".
pub fn percent(rate: Decimal) -> String {
    format!("{}%", (rate * Decimal::ONE_HUNDRED).normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn amounts_read_as_us_dollars() {
        assert_eq!(dollars(Decimal::new(104350, 2)), "$1,043.50");
        assert_eq!(dollars(Decimal::new(5, 0)), "$5.00");
        assert_eq!(dollars(Decimal::new(-1200, 2)), "-$12.00");
        assert_eq!(dollars(Decimal::new(123456789, 2)), "$1,234,567.89");
    }

    #[test]
    fn every_amount_is_written_in_its_own_currency() {
        let m = |amount: i64, scale: u32, code: &str| {
            money(Money::new(
                Decimal::new(amount, scale),
                Currency::parse(code).expect("code"),
            ))
        };
        assert_eq!(m(1838, 2, "GBP"), "£18.38");
        assert_eq!(m(104350, 2, "USD"), "$1,043.50");
        assert_eq!(m(-310, 2, "GBP"), "-£3.10");
        assert_eq!(m(999, 2, "EUR"), "€9.99");
        assert_eq!(m(12, 0, "CAD"), "CA$12.00");
        assert_eq!(m(1200, 0, "JPY"), "¥1,200");
        assert_eq!(m(12500, 3, "BHD"), "12.500 BHD");
        assert_eq!(m(0, 0, "USD"), "$0.00");
        // A per-gigabyte price keeps the decimals it has.
        assert_eq!(m(3333, 4, "USD"), "$0.3333");
        assert_eq!(m(20000, 4, "GBP"), "£2.00");
    }

    #[test]
    fn periods_show_first_and_last_day() {
        let p = Period {
            start: d(2026, 11, 5),
            end: d(2026, 12, 5),
        };
        assert_eq!(period(&p), "Nov 5 – Dec 4, 2026");
        let p = Period {
            start: d(2025, 12, 5),
            end: d(2026, 1, 5),
        };
        assert_eq!(period(&p), "Dec 5, 2025 – Jan 4, 2026");
    }

    #[test]
    fn volumes_rates_and_hours_read_naturally() {
        assert_eq!(gigabytes(1_043_400_000_000), "1,043.4 GB");
        assert_eq!(gigabytes(1_000_000_000_001), "1,000.1 GB");
        assert_eq!(gigabytes(999_960_000_000), "1,000.0 GB");
        assert_eq!(percent(Decimal::new(825, 4)), "8.25%");
        assert_eq!(percent(Decimal::new(8875, 5)), "8.875%");
        assert_eq!(hour(18), "6 PM");
        assert_eq!(plural(1, "account", "accounts"), "1 account");
        assert_eq!(plural(1500, "account", "accounts"), "1,500 accounts");
        assert_eq!(plural(0, "account", "accounts"), "0 accounts");
        for (n, s) in [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th")] {
            assert_eq!(ordinal(n), s);
        }
        assert_eq!(ordinal(12), "12th");
        assert_eq!(ordinal(22), "22nd");
        assert_eq!(ordinal(31), "31st");
        assert_eq!(hour(0), "12 AM");
    }
}

//! Card payments started in the range (by the subscriber with a card, or taken by
//! autopay), by outcome: succeeded, failed (with the bank's or Stripe's reason), awaiting
//! the bank (3-D Secure asked for, or not yet answered) and cancelled. A payment's day is
//! the day it was started, in the provider's calendar.
//!
//! The figures are read from `payment_outcomes`, the database's roll-up of payments by
//! quarter hour (migration `20261216000001`), so that a year costs what a few days did;
//! any part of a quarter hour at either end of the range (a time zone whose midnight is
//! not on a quarter hour) is read from the payments themselves.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::Range;
use crate::EngineError;

/// The outcomes, in the order they are reported.
pub const OUTCOMES: [&str; 4] = ["succeeded", "failed", "awaiting", "cancelled"];

/// Payments of one method, outcome and failure reason.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentOutcome {
    /// `card` (the subscriber paid) or `autopay`.
    pub method: String,
    /// One of [`OUTCOMES`].
    pub outcome: String,
    /// Why a failed payment failed (Stripe's decline or error code), else empty.
    pub failure_code: String,
    pub currency: String,
    pub payments: i64,
    pub amount: Decimal,
}

/// The length of `payment_outcomes`' buckets, in seconds.
const QUARTER_SECS: i64 = 15 * 60;

/// The start of the quarter hour `at` is in (`up`: of the next one, unless `at` starts one).
fn quarter(at: DateTime<Utc>, up: bool) -> DateTime<Utc> {
    let secs = at.timestamp();
    let floor = secs - secs.rem_euclid(QUARTER_SECS);
    let bound = if up && floor < secs {
        floor + QUARTER_SECS
    } else {
        floor
    };
    DateTime::from_timestamp(bound, 0).unwrap_or(at)
}

/// Card and autopay payments started in `range`, by method, outcome (in [`OUTCOMES`]
/// order) and failure reason (the commonest first).
pub async fn report(
    pool: &PgPool,
    range: Range,
    tz: Tz,
) -> Result<Vec<PaymentOutcome>, EngineError> {
    let (start, end) = range.instants(tz);
    // The whole quarter hours inside the range come from the roll-up, the rest (nothing,
    // where midnight is on a quarter hour) from the payments.
    let (whole_from, whole_to) = (quarter(start, true), quarter(end, false));
    let (whole_from, whole_to) = if whole_from < whole_to {
        (whole_from, whole_to)
    } else {
        (start, start)
    };
    let rows = sqlx::query_as(
        "select method, outcome, failure_code, currency, sum(payments)::bigint as payments,
                sum(amount) as amount
           from (select method,
                        case status when 'succeeded' then 'succeeded' when 'failed' then 'failed'
                                    when 'cancelled' then 'cancelled' else 'awaiting' end as outcome,
                        case when status = 'failed' then coalesce(nullif(failure_code, ''), 'unknown')
                             else '' end as failure_code,
                        currency::text as currency, payments, amount
                   from (select method, status, failure_code, currency, payments, amount
                           from payment_outcomes
                          where quarter >= $3 and quarter < $4 and method in ('card', 'autopay')
                         -- The ends, each its own index range: a prepared statement's
                         -- generic plan would read the whole range for `< $3 or >= $4`.
                         union all
                         select method, status, failure_code, currency, 1, amount
                           from payments
                          where created_at >= $1 and created_at < $3 and method in ('card', 'autopay')
                         union all
                         select method, status, failure_code, currency, 1, amount
                           from payments
                          where created_at >= $4 and created_at < $2 and method in ('card', 'autopay')
                        ) counted) p
          group by method, outcome, failure_code, currency
          order by method, array_position(array['succeeded', 'failed', 'awaiting', 'cancelled'], outcome),
                   sum(payments) desc, failure_code, currency",
    )
    .persistent(false)
    .bind(start)
    .bind(end)
    .bind(whole_from)
    .bind(whole_to)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_round_to_the_whole_quarter_hours_inside() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // Kathmandu's midnight (UTC+05:45) is 18:15 UTC: on a quarter hour.
        assert_eq!(
            quarter(at("2026-12-06T18:15:00Z"), true),
            at("2026-12-06T18:15:00Z")
        );
        assert_eq!(
            quarter(at("2026-12-06T18:15:00Z"), false),
            at("2026-12-06T18:15:00Z")
        );
        // A midnight off the quarter hours (a historical local mean time).
        assert_eq!(
            quarter(at("2026-12-06T18:07:30Z"), true),
            at("2026-12-06T18:15:00Z")
        );
        assert_eq!(
            quarter(at("2026-12-06T18:07:30Z"), false),
            at("2026-12-06T18:00:00Z")
        );
    }
}

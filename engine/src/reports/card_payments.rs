//! Card payments started in the range (by the subscriber with a card, or taken by
//! autopay), by outcome: succeeded, failed (with the bank's or Stripe's reason), awaiting
//! the bank (3-D Secure asked for, or not yet answered) and cancelled. A payment's day is
//! the day it was started, in the provider's calendar.

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

/// Card and autopay payments started in `range`, by method, outcome (in [`OUTCOMES`]
/// order) and failure reason (the commonest first).
pub async fn report(
    pool: &PgPool,
    range: Range,
    tz: Tz,
) -> Result<Vec<PaymentOutcome>, EngineError> {
    let (start, end) = range.instants(tz);
    let rows = sqlx::query_as(
        "select method, outcome, failure_code, currency, count(*) as payments, sum(amount) as amount
           from (select method,
                        case status when 'succeeded' then 'succeeded' when 'failed' then 'failed'
                                    when 'cancelled' then 'cancelled' else 'awaiting' end as outcome,
                        case when status = 'failed' then coalesce(failure_code, 'unknown') else '' end
                          as failure_code,
                        currency::text as currency, amount
                   from payments
                  where created_at >= $1 and created_at < $2 and method in ('card', 'autopay')) p
          group by method, outcome, failure_code, currency
          order by method, array_position(array['succeeded', 'failed', 'awaiting', 'cancelled'], outcome),
                   count(*) desc, failure_code, currency",
    )
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

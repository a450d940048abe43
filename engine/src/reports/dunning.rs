//! Collections: what each dunning step taken in the range led to. Definitions in
//! [`billing::bill`] ("What the operators' reports count"): a step's statement counts as
//! collected when it was paid within 14 days of the step (the statement's own `paid_at`,
//! in the provider's calendar), paid later, still open, or void; the amounts are what the
//! statements asked for (`total_due`).

use chrono_tz::Tz;
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::Range;
use crate::EngineError;

/// The days after a step within which a payment counts as its outcome.
pub const COLLECTED_WITHIN_DAYS: i32 = 14;

/// One dunning step's actions in the range and their outcome.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StepOutcome {
    /// `dunning_steps.code`.
    pub step: String,
    /// `reminder`, `overdue_notice`, `late_fee` or `suspend`.
    pub action: String,
    pub days_after_due: i32,
    /// The statements' currency.
    pub currency: String,
    /// Steps taken in the range (one per statement).
    pub taken: i64,
    /// What those statements asked for.
    pub amount_due: Decimal,
    /// Paid within [`COLLECTED_WITHIN_DAYS`] days of the step.
    pub collected: i64,
    pub amount_collected: Decimal,
    /// Paid, but later.
    pub paid_later: i64,
    /// Open now.
    pub still_open: i64,
    pub amount_open: Decimal,
    /// Void now.
    pub void: i64,
}

/// Each step taken in `range`, per currency, in the order the steps come (days after the
/// due date).
pub async fn report(pool: &PgPool, range: Range, tz: Tz) -> Result<Vec<StepOutcome>, EngineError> {
    let rows = sqlx::query_as(
        "with taken as (
             select a.step_code, s.currency::text as currency, s.total_due, s.status,
                    s.status = 'paid'
                      and (s.paid_at at time zone $3)::date <= a.taken_on + $4 as collected
               from dunning_actions a join statements s on s.id = a.statement_id
              where a.taken_on between $1 and $2
         )
         select d.code as step, d.action, d.days_after_due, t.currency,
                count(*) as taken,
                coalesce(sum(t.total_due), 0)::numeric as amount_due,
                count(*) filter (where t.collected) as collected,
                coalesce(sum(t.total_due) filter (where t.collected), 0)::numeric as amount_collected,
                count(*) filter (where t.status = 'paid' and not t.collected) as paid_later,
                count(*) filter (where t.status = 'open') as still_open,
                coalesce(sum(t.total_due) filter (where t.status = 'open'), 0)::numeric as amount_open,
                count(*) filter (where t.status = 'void') as void
           from taken t join dunning_steps d on d.code = t.step_code
          group by d.code, t.currency
          order by d.days_after_due, d.code, t.currency",
    )
    .persistent(false)
    .bind(range.from)
    .bind(range.to)
    .bind(tz.name())
    .bind(COLLECTED_WITHIN_DAYS)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

//! Disputes and adjustments: the disputes subscribers opened in the range and how they
//! stand now (open, accepted with a credit, rejected), and the adjustments requested in
//! the range by who asked (a staff role, or an integration's API key), charge or credit,
//! and how they stand (posted, waiting for a second person, rejected). A day is the
//! provider's calendar day the dispute was opened or the adjustment requested.

use chrono_tz::Tz;
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::Range;
use crate::EngineError;

/// One group of disputes or of adjustments.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Group {
    /// `dispute` or `adjustment`.
    pub section: String,
    /// A dispute's `open`, `accepted` or `rejected`; an adjustment's `posted`, `pending`
    /// or `rejected`.
    pub outcome: String,
    /// Who requested an adjustment: `support_rep`, `billing`, `admin` or `integration`;
    /// empty for disputes.
    pub requested_by: String,
    /// An adjustment's `charge` or `credit`; empty for disputes.
    pub direction: String,
    /// The accounts' currency.
    pub currency: String,
    pub count: i64,
    /// The amounts disputed; the adjustments' amounts (a credit negative).
    pub amount: Decimal,
    /// The credits posted for accepted disputes (positive); zero for adjustments.
    pub credited: Decimal,
    /// Adjustments a second person approved (over the requester's limit).
    pub approved_by_second: i64,
}

/// Disputes opened and adjustments requested in `range`, disputes first.
pub async fn report(pool: &PgPool, range: Range, tz: Tz) -> Result<Vec<Group>, EngineError> {
    let (start, end) = range.instants(tz);
    let rows = sqlx::query_as(
        "select 'dispute' as section, coalesce(t.dispute_outcome, 'open') as outcome,
                '' as requested_by, '' as direction, ac.currency::text as currency, count(*) as count,
                sum(t.disputed_amount) as amount, coalesce(-sum(l.amount), 0) as credited,
                0::bigint as approved_by_second
           from tickets t join accounts ac on ac.id = t.account_id
           left join ledger_entries l on l.id = t.dispute_credit_id
          where t.category = 'dispute' and t.created_at >= $1 and t.created_at < $2
          group by 2, 5
         union all
         select 'adjustment', a.status, coalesce(u.role, 'integration'),
                case when a.amount > 0 then 'charge' else 'credit' end, ac.currency::text,
                count(*), sum(a.amount), 0,
                count(*) filter (where a.needs_approval and a.status = 'posted')
           from adjustments a join accounts ac on ac.id = a.account_id
           left join staff_users u on u.id = a.requested_by
          where a.requested_at >= $1 and a.requested_at < $2
          group by 2, 3, 4, 5
          order by 1 desc, 2, 3, 4, 5",
    )
    .persistent(false)
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

//! Closing an account: asked for by another system (the integration API's `DELETE`), done
//! by the bill run once nothing is left between the provider and the subscriber. The rule
//! is `billing::bill`'s "Closing an account".
//!
//! Asking cancels every service still in force today (each as `services::cancel_in` does,
//! inside a contract with its early termination fee, whose total the caller accepts to the
//! cent) and marks the account `close_requested_at`. The account stays open, its subscriber
//! still able to sign in and pay, until [`close_settled`] finds its final statement issued,
//! every refund of unused days made, no charge waiting for a statement, no dispute open,
//! and a balance of exactly zero (what is owed is paid; a credit is refunded by staff).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use crate::services::{self, Cancelled};
use crate::EngineError;

/// What asking to close did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseRequest {
    /// When the closing was asked for (the first time).
    pub close_requested_at: DateTime<Utc>,
    /// It had been asked for before (or the account is closed): nothing was changed.
    pub already: bool,
    /// The services it cancelled, with what each cancellation did.
    pub cancelled: Vec<(i64, Cancelled)>,
}

/// Asks for the account to be closed, in the caller's transaction: cancels its services
/// today and marks it. Asking again changes nothing. `accepted_fee` is the total of the
/// early termination fees the caller accepts, needed when a service is inside its contract.
pub async fn request_close_in(
    tx: &mut PgConnection,
    account_id: i64,
    expected: Option<&[i64]>,
    accepted_fee: Option<Decimal>,
    today: NaiveDate,
) -> Result<CloseRequest, EngineError> {
    type Row = (i64, String, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    let row: Option<Row> = sqlx::query_as(
        "select version, status, close_requested_at, closed_at from accounts where id = $1 for update",
    )
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((version, status, requested, closed)) = row else {
        return Err(EngineError::NotFound);
    };
    if let Some(expected) = expected {
        if !expected.contains(&version) {
            return Err(EngineError::Stale { current: version });
        }
    }
    if let Some(at) = requested.or(if status == "closed" { closed } else { None }) {
        return Ok(CloseRequest {
            close_requested_at: at,
            already: true,
            cancelled: Vec::new(),
        });
    }

    let in_force: Vec<i64> = sqlx::query_scalar(
        "select id from services where account_id = $1 and status <> 'cancelled' order by id",
    )
    .bind(account_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut fees = Vec::with_capacity(in_force.len());
    for &id in &in_force {
        fees.push(services::early_termination_fee_in(tx, id, today).await?);
    }
    let total: Decimal = fees.iter().flatten().sum();
    if !total.is_zero() && accepted_fee != Some(total) {
        let each = in_force
            .iter()
            .zip(&fees)
            .filter_map(|(id, fee)| fee.map(|f| format!("service {id}: {f}")))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(EngineError::InvalidField {
            field: "accepted_fee",
            message: format!(
                "closing the account cancels services inside their contracts: accept the early termination fees of {total} in all ({each}) by sending accepted_fee={total}"
            ),
        });
    }
    let mut cancelled = Vec::with_capacity(in_force.len());
    for (id, fee) in in_force.into_iter().zip(fees) {
        cancelled.push((id, services::cancel_in(tx, id, None, fee, today).await?));
    }
    let at: DateTime<Utc> = sqlx::query_scalar(
        "update accounts set close_requested_at = now() where id = $1 returning close_requested_at",
    )
    .bind(account_id)
    .fetch_one(&mut *tx)
    .await?;
    history(
        tx,
        account_id,
        "Closing asked for: the account closes once its final statement is settled",
        serde_json::json!({ "services_cancelled": cancelled.iter().map(|(id, _)| id).collect::<Vec<_>>() }),
    )
    .await?;
    Ok(CloseRequest {
        close_requested_at: at,
        already: false,
        cancelled,
    })
}

async fn history(
    tx: &mut PgConnection,
    account_id: i64,
    summary: &str,
    detail: serde_json::Value,
) -> Result<(), EngineError> {
    sqlx::query(
        "insert into service_events (account_id, kind, summary, detail) values ($1, 'account', $2, $3)",
    )
    .bind(account_id)
    .bind(summary)
    .bind(detail)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Whether the account `$1`, asked to close, has nothing left between the provider and the
/// subscriber (`billing::bill`, "Closing an account").
const SETTLED: &str = "select a.close_requested_at is not null and a.status <> 'closed'
   and not exists (select 1 from services s where s.account_id = a.id and s.status <> 'cancelled')
   -- its final statement: one for a period from the last day a service ran on
   and (not exists (select 1 from services s where s.account_id = a.id and s.activated_on < s.cancelled_on)
        or exists (select 1 from statements x where x.account_id = a.id
                    and x.period_start >= (select max(s.cancelled_on) from services s
                                            where s.account_id = a.id and s.activated_on < s.cancelled_on)))
   -- no unused days still to refund
   and not exists (select 1 from services s where s.account_id = a.id
                    and not exists (select 1 from service_charges r where r.service_id = s.id and r.kind = 'refund')
                    and s.cancelled_on < greatest((select max(c.period_end) from service_charges c
                                                    where c.service_id = s.id and c.kind = 'charge'),
                                                   s.legacy_charged_through))
   and not exists (select 1 from one_time_charges o where o.account_id = a.id
                    and o.statement_id is null and o.posted_entry_id is null)
   and not exists (select 1 from tickets t where t.account_id = a.id and t.category = 'dispute'
                    and t.dispute_outcome is null)
   and coalesce((select b.balance from account_balances b where b.account_id = a.id), 0) = 0
  from accounts a where a.id = $1";

/// Closes every account asked to close whose business is settled. Each is checked again
/// under its lock, in its own transaction, so a payment or a charge arriving at the same
/// moment is never left on a closed account. Returns the account numbers closed.
pub async fn close_settled(pool: &PgPool) -> Result<Vec<String>, EngineError> {
    let candidates: Vec<i64> = sqlx::query_scalar(
        "select id from accounts where close_requested_at is not null and status <> 'closed'
          order by id",
    )
    .fetch_all(pool)
    .await?;
    let mut closed = Vec::new();
    for id in candidates {
        let mut tx = pool.begin().await?;
        sqlx::query("select 1 from accounts where id = $1 for update")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let settled: bool = sqlx::query_scalar(SETTLED)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if settled {
            let number: String = sqlx::query_scalar(
                "update accounts set status = 'closed', closed_at = now() where id = $1
                 returning account_number",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            history(&mut tx, id, "Account closed", serde_json::json!({})).await?;
            closed.push(number);
        }
        tx.commit().await?;
    }
    Ok(closed)
}

//! Adjustments and credits posted by staff, with a reason, to the ledger.
//!
//! Each role has a limit (`EngineConfig::adjustment_limits`). Within it, the adjustment is
//! posted at once by the person asking; above it, it waits for a second staff member whose
//! own limit covers it (the schema refuses a self-approval of one that needed approval). A
//! posted adjustment is a ledger entry keyed `adjustment:<id>` (a credit when negative), so it
//! reaches the next statement through `ledger_entries_pending`, and an event on the
//! subscriber's history.

use billing::text;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use crate::config::EngineConfig;
use crate::error::EngineError;

/// The largest adjustment anyone may ask for in one go.
const CEILING: Decimal = Decimal::from_parts(10_000_000, 0, 0, false, 2); // 100,000.00

/// A staff member's request to adjust an account.
#[derive(Debug, Clone)]
pub struct AdjustmentRequest {
    pub account_id: i64,
    /// Positive: a charge; negative: a credit.
    pub amount: Decimal,
    pub reason: String,
    pub staff_id: i64,
    /// As stored in `staff_users.role` (read afresh by the caller).
    pub staff_role: String,
    /// The provider-local day it takes effect.
    pub today: NaiveDate,
}

/// What became of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Posted {
        adjustment_id: i64,
        ledger_entry_id: i64,
    },
    AwaitingApproval {
        adjustment_id: i64,
    },
}

fn invalid(field: &'static str, message: impl Into<String>) -> EngineError {
    EngineError::InvalidField {
        field,
        message: message.into(),
    }
}

/// Checks an amount and a reason as a form gives them.
pub fn validate(amount: Decimal, reason: &str) -> Result<String, EngineError> {
    if amount.is_zero() || amount.scale() > 2 {
        return Err(invalid("amount", "Enter an amount like 25.00 (not zero)."));
    }
    if amount.abs() > CEILING {
        return Err(invalid(
            "amount",
            format!("At most {} in one adjustment.", text::dollars(CEILING)),
        ));
    }
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if !(5..=500).contains(&reason.chars().count()) {
        return Err(invalid(
            "reason",
            "Give the reason the subscriber and auditors will read (5 to 500 characters).",
        ));
    }
    Ok(reason)
}

/// Records an adjustment: posted at once within the requester's limit, else left for a
/// second person.
pub async fn request(
    pool: &PgPool,
    config: &EngineConfig,
    req: &AdjustmentRequest,
) -> Result<Outcome, EngineError> {
    let reason = validate(req.amount, &req.reason)?;
    let limit = config.adjustment_limits.of(&req.staff_role);
    let needs_approval = req.amount.abs() > limit;
    let mut tx = pool.begin().await?;
    let exists: Option<i64> =
        sqlx::query_scalar("select id from accounts where id = $1 for update")
            .bind(req.account_id)
            .fetch_optional(&mut *tx)
            .await?;
    exists.ok_or(EngineError::NotFound)?;
    let id: i64 = sqlx::query_scalar(
        "insert into adjustments (account_id, amount, reason, requested_by, needs_approval)
         values ($1, $2, $3, $4, $5) returning id",
    )
    .bind(req.account_id)
    .bind(req.amount)
    .bind(&reason)
    .bind(req.staff_id)
    .bind(needs_approval)
    .fetch_one(&mut *tx)
    .await?;
    let outcome = if needs_approval {
        Outcome::AwaitingApproval { adjustment_id: id }
    } else {
        let entry = post(&mut tx, config, id, req.staff_id, req.today).await?;
        Outcome::Posted {
            adjustment_id: id,
            ledger_entry_id: entry,
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// A second staff member approves a waiting adjustment: it is posted.
pub async fn approve(
    pool: &PgPool,
    config: &EngineConfig,
    adjustment_id: i64,
    staff_id: i64,
    staff_role: &str,
    today: NaiveDate,
) -> Result<i64, EngineError> {
    let mut tx = pool.begin().await?;
    let (amount, requested_by) = pending(&mut tx, adjustment_id).await?;
    if requested_by == staff_id {
        return Err(EngineError::Conflict(
            "Another person must approve an adjustment you asked for.".into(),
        ));
    }
    if amount.abs() > config.adjustment_limits.of(staff_role) {
        return Err(EngineError::Conflict(format!(
            "{} is beyond your own limit: someone with a higher limit must approve it.",
            text::dollars(amount.abs())
        )));
    }
    let entry = post(&mut tx, config, adjustment_id, staff_id, today).await?;
    tx.commit().await?;
    Ok(entry)
}

/// A second staff member turns a waiting adjustment down, with a note.
pub async fn reject(
    pool: &PgPool,
    adjustment_id: i64,
    staff_id: i64,
    note: &str,
) -> Result<(), EngineError> {
    let note = note.trim();
    if !(5..=500).contains(&note.chars().count()) {
        return Err(invalid(
            "note",
            "Say why, for the person who asked (5 to 500 characters).",
        ));
    }
    let mut tx = pool.begin().await?;
    let (_, requested_by) = pending(&mut tx, adjustment_id).await?;
    if requested_by == staff_id {
        return Err(EngineError::Conflict(
            "Another person must decide an adjustment you asked for.".into(),
        ));
    }
    sqlx::query(
        "update adjustments set status = 'rejected', decided_by = $2, decided_at = now(), decision_note = $3
          where id = $1",
    )
    .bind(adjustment_id)
    .bind(staff_id)
    .bind(note)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn pending(
    conn: &mut PgConnection,
    adjustment_id: i64,
) -> Result<(Decimal, i64), EngineError> {
    let row: Option<(Decimal, i64, String)> = sqlx::query_as(
        "select amount, requested_by, status from adjustments where id = $1 for update",
    )
    .bind(adjustment_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (amount, requested_by, status) = row.ok_or(EngineError::NotFound)?;
    if status != "pending" {
        return Err(EngineError::Conflict(format!(
            "This adjustment was already {status}."
        )));
    }
    Ok((amount, requested_by))
}

/// Writes the ledger entry and the history event, marks the adjustment posted, and settles
/// statements a credit covers.
async fn post(
    conn: &mut PgConnection,
    config: &EngineConfig,
    adjustment_id: i64,
    staff_id: i64,
    today: NaiveDate,
) -> Result<i64, EngineError> {
    let (account_id, amount, reason, currency): (i64, Decimal, String, String) = sqlx::query_as(
        "select j.account_id, j.amount, j.reason, a.currency::text
           from adjustments j join accounts a on a.id = j.account_id where j.id = $1",
    )
    .bind(adjustment_id)
    .fetch_one(&mut *conn)
    .await?;
    let (kind, label) = if amount < Decimal::ZERO {
        ("credit", "Credit")
    } else {
        ("adjustment", "Adjustment")
    };
    let description: String = format!("{label}: {reason}").chars().take(300).collect();
    let entry: i64 = sqlx::query_scalar(
        "insert into ledger_entries (account_id, currency, kind, amount, description, effective_on,
                                     staff_user_id, idempotency_key)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
    )
    .bind(account_id)
    .bind(&currency)
    .bind(kind)
    .bind(amount)
    .bind(&description)
    .bind(today)
    .bind(staff_id)
    .bind(format!("adjustment:{adjustment_id}"))
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "update adjustments set status = 'posted', decided_by = $2, decided_at = now(), ledger_entry_id = $3
          where id = $1",
    )
    .bind(adjustment_id)
    .bind(staff_id)
    .bind(entry)
    .execute(&mut *conn)
    .await?;
    let summary: String = format!("{label} of {}: {reason}", text::dollars(amount.abs()))
        .chars()
        .take(300)
        .collect();
    sqlx::query(
        "insert into service_events (account_id, kind, summary, detail, staff_user_id)
         values ($1, 'account', $2, $3, $4)",
    )
    .bind(account_id)
    .bind(summary)
    .bind(serde_json::json!({ "adjustment_id": adjustment_id, "amount": amount }))
    .bind(staff_id)
    .execute(&mut *conn)
    .await?;
    if amount < Decimal::ZERO {
        crate::payments::settle(conn, config, account_id, today).await?;
    }
    Ok(entry)
}

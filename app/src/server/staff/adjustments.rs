//! The console's side of adjustments: the form's page, requests, and the approvals queue
//! (the rules are in `engine::adjustments`). Every decision is audited.

use billing::{Currency, Money};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::PgPool;

use super::audit::{self, Entry, RequestInfo};
use super::{Right, StaffAccess};
use crate::error::AppError;
use crate::i18n::Formats;
use crate::server::Portal;
use crate::types::staff::{AdjustOutcome, AdjustPage, AdjustmentRow};

fn currency(code: &str) -> Result<Currency, AppError> {
    Currency::parse(code.trim()).map_err(|e| AppError::internal("account currency", e))
}

fn limits(portal: &Portal, staff: &StaffAccess) -> engine::config::RoleLimits {
    portal
        .config
        .billing
        .adjustment_limits
        .of(staff.role().as_str())
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    account_id: i64,
    account_number: String,
    currency: String,
    amount: Decimal,
    reason: String,
    requested_by_id: i64,
    requested_by: String,
    requested_at: chrono::DateTime<chrono::Utc>,
    status: String,
    decided_by: Option<String>,
    decision_note: Option<String>,
    dispute_number: Option<String>,
}

const ROWS: &str =
    "select j.id, j.account_id, a.account_number, a.currency::text as currency, j.amount, j.reason,
        j.requested_by as requested_by_id, r.display_name as requested_by,
        j.requested_at, j.status, d.display_name as decided_by, j.decision_note,
        t.number as dispute_number
   from adjustments j join accounts a on a.id = j.account_id
   join staff_users r on r.id = j.requested_by
   left join staff_users d on d.id = j.decided_by
   left join tickets t on t.id = j.dispute_ticket_id";

fn to_row(portal: &Portal, staff: &StaffAccess, r: Row) -> Result<AdjustmentRow, AppError> {
    let own_waiting = r.status == "pending" && r.requested_by_id == staff.staff_id();
    let can_decide = r.status == "pending"
        && r.requested_by_id != staff.staff_id()
        && staff.role().has(Right::Adjust)
        && r.amount.abs() <= limits(portal, staff).per_adjustment;
    Ok(AdjustmentRow {
        id: r.id,
        account_id: r.account_id,
        account_number: r.account_number,
        amount: Money::new(r.amount, currency(&r.currency)?),
        reason: r.reason,
        requested_by: r.requested_by,
        requested_at: r
            .requested_at
            .with_timezone(&portal.config.billing.time_zone)
            .naive_local(),
        status: r.status,
        decided_by: r.decided_by,
        decision_note: r.decision_note,
        dispute_number: r.dispute_number,
        can_decide,
        own_waiting,
    })
}

/// The adjust form's page for one account, with its latest adjustments.
pub async fn page(
    portal: &Portal,
    staff: &StaffAccess,
    account_id: i64,
) -> Result<AdjustPage, AppError> {
    staff.require(Right::Adjust)?;
    let head: Option<(String, String, String, Decimal)> = sqlx::query_as(
        "select a.account_number, a.display_name, a.currency::text, b.balance
           from accounts a join account_balances b on b.account_id = a.id where a.id = $1",
    )
    .bind(account_id)
    .fetch_optional(&portal.pool)
    .await?;
    let (account_number, display_name, code, balance) = head.ok_or(AppError::NotFound)?;
    let currency = currency(&code)?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{ROWS} where j.account_id = $1 order by j.requested_at desc limit 20"
    ))
    .bind(account_id)
    .fetch_all(&portal.pool)
    .await?;
    let posted_today = engine::adjustments::posted_alone_today(
        &portal.pool,
        &portal.config.billing,
        staff.staff_id(),
        &code,
    )
    .await?;
    let own = limits(portal, staff);
    Ok(AdjustPage {
        account_id,
        account_number,
        display_name,
        balance: Money::new(balance, currency),
        own_limit: Money::new(own.per_adjustment, currency),
        own_daily_limit: Money::new(own.per_day, currency),
        posted_today: Money::new(posted_today, currency),
        recent: rows
            .into_iter()
            .map(|r| to_row(portal, staff, r))
            .collect::<Result<_, _>>()?,
    })
}

/// Adjustments waiting for a second person, oldest first, and the latest decided ones.
pub async fn queue(portal: &Portal, staff: &StaffAccess) -> Result<Vec<AdjustmentRow>, AppError> {
    staff.require(Right::Adjust)?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{ROWS} where j.status = 'pending' or j.decided_at > now() - interval '7 days'
          order by (j.status = 'pending') desc, j.requested_at limit 200"
    ))
    .fetch_all(&portal.pool)
    .await?;
    rows.into_iter().map(|r| to_row(portal, staff, r)).collect()
}

/// The locale the console's pages are written in (see `components/staff_layout.rs`).
const CONSOLE_LOCALE: &str = "en-US";

/// Parses the form's amount: `direction` is `credit` or `charge`, `amount` a positive figure
/// in the account's `currency`, written the console's way (`en-US`, as its pages are).
pub fn signed_amount(
    direction: &str,
    amount: &str,
    currency: Currency,
) -> Result<Decimal, AppError> {
    let invalid = |field: &str, message: String| AppError::InvalidInput {
        field: field.into(),
        message,
    };
    let value = Formats::new(CONSOLE_LOCALE)
        .parse_money(amount, currency)
        .map_err(|e| invalid("amount", e.to_string()))?
        .amount();
    if value <= Decimal::ZERO {
        return Err(invalid(
            "amount",
            "Enter a positive amount like 25.00.".into(),
        ));
    }
    match direction {
        "credit" => Ok(-value),
        "charge" => Ok(value),
        _ => Err(invalid("direction", "Choose a credit or a charge.".into())),
    }
}

/// The account an adjustment is for, and the dispute it accepts (its number), if any.
async fn account_of(pool: &PgPool, adjustment_id: i64) -> Result<(i64, Option<String>), AppError> {
    sqlx::query_as(
        "select j.account_id, t.number from adjustments j
           left join tickets t on t.id = j.dispute_ticket_id where j.id = $1",
    )
    .bind(adjustment_id)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

async fn today_of(pool: &PgPool, account_id: i64) -> Result<chrono::NaiveDate, AppError> {
    let tz: String = sqlx::query_scalar("select time_zone from accounts where id = $1")
        .bind(account_id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(crate::server::today_in(&tz))
}

/// Asks for an adjustment: posted within the caller's limits (one adjustment, and their day),
/// else waiting for approval.
pub async fn request(
    portal: &Portal,
    staff: &StaffAccess,
    account_id: i64,
    direction: &str,
    amount: &str,
    reason: &str,
) -> Result<AdjustOutcome, AppError> {
    staff.require(Right::Adjust)?;
    let code: String = sqlx::query_scalar("select currency::text from accounts where id = $1")
        .bind(account_id)
        .fetch_optional(&portal.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let amount = signed_amount(direction, amount, currency(&code)?)?;
    let today = today_of(&portal.pool, account_id).await?;
    let outcome = engine::adjustments::request(
        &portal.pool,
        &portal.config.billing,
        &engine::adjustments::AdjustmentRequest {
            account_id,
            amount,
            reason: reason.to_string(),
            staff_id: staff.staff_id(),
            staff_role: staff.role().as_str().to_string(),
            today,
        },
    )
    .await?;
    let (id, result, action) = match outcome {
        engine::adjustments::Outcome::Posted { adjustment_id, .. } => {
            (adjustment_id, AdjustOutcome::Posted, "adjustment.posted")
        }
        engine::adjustments::Outcome::AwaitingApproval { adjustment_id } => (
            adjustment_id,
            AdjustOutcome::AwaitingApproval,
            "adjustment.requested",
        ),
    };
    audit::record(
        &portal.pool,
        Entry::staff(
            staff.staff_id(),
            Some(account_id),
            action,
            json!({ "adjustment_id": id, "amount": amount }),
        ),
        &RequestInfo::current(),
    )
    .await?;
    Ok(result)
}

/// A second person approves (and so posts) a waiting adjustment.
pub async fn approve(
    portal: &Portal,
    staff: &StaffAccess,
    adjustment_id: i64,
) -> Result<(), AppError> {
    staff.require(Right::Adjust)?;
    let (account_id, dispute) = account_of(&portal.pool, adjustment_id).await?;
    let today = today_of(&portal.pool, account_id).await?;
    engine::adjustments::approve(
        &portal.pool,
        &portal.config.billing,
        adjustment_id,
        staff.staff_id(),
        staff.role().as_str(),
        today,
    )
    .await?;
    audit::record(
        &portal.pool,
        Entry::staff(
            staff.staff_id(),
            Some(account_id),
            "adjustment.approved",
            json!({ "adjustment_id": adjustment_id, "number": dispute }),
        ),
        &RequestInfo::current(),
    )
    .await
}

/// A second person turns a waiting adjustment down.
pub async fn reject(
    portal: &Portal,
    staff: &StaffAccess,
    adjustment_id: i64,
    note: &str,
) -> Result<(), AppError> {
    staff.require(Right::Adjust)?;
    let (account_id, dispute) = account_of(&portal.pool, adjustment_id).await?;
    engine::adjustments::reject(&portal.pool, adjustment_id, staff.staff_id(), note).await?;
    audit::record(
        &portal.pool,
        Entry::staff(
            staff.staff_id(),
            Some(account_id),
            "adjustment.rejected",
            json!({ "adjustment_id": adjustment_id, "number": dispute, "note": note.trim() }),
        ),
        &RequestInfo::current(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_forms_amount_becomes_a_signed_figure() {
        assert_eq!(
            signed_amount("credit", "$1,250.50", Currency::USD).unwrap(),
            dec!(-1250.50)
        );
        assert_eq!(
            signed_amount("charge", "25", Currency::USD).unwrap(),
            dec!(25)
        );
        assert_eq!(
            signed_amount("charge", "-5", Currency::USD)
                .unwrap_err()
                .field(),
            Some("amount")
        );
        assert_eq!(
            signed_amount("gift", "5", Currency::USD)
                .unwrap_err()
                .field(),
            Some("direction")
        );
        // The console writes amounts the en-US way: "12,50" could mean 12.50 or 1,250.
        match signed_amount("credit", "12,50", Currency::USD) {
            Err(AppError::InvalidInput { field, message }) => {
                assert_eq!(field, "amount");
                assert!(message.contains("could be read two ways"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}

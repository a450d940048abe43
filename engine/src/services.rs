//! One service's life, asked for by another system (the integration API): activate a
//! pending service, suspend it and resume it (reason `other`: a suspension for non-payment
//! or a prepaid balance is lifted by paying, never by a request), and cancel it. Each runs
//! in the caller's transaction, locks the account and then the service (the order the bill
//! run and every other engine path use), and writes the service's history.
//!
//! The network is told by the schema's triggers on `services` (the provisioning outbox), and
//! the integration's webhooks by theirs; the bill run charges from an activation, stops
//! charging while suspended and refunds the days after a cancellation (`billing::bill`,
//! rules 1, 2 and 8). Cancelling inside a contract costs the early termination fee, which
//! must be accepted to the cent (`billing::bill`, "Ending a contract early").

use billing::money::{Currency, Money};
use billing::plan_change::{self, PlanSide};
use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use sqlx::PgConnection;

use crate::EngineError;

/// A service as an action finds it, locked.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Locked {
    account_id: i64,
    plan_id: i64,
    account_number: String,
    account_status: String,
    currency: String,
    status: String,
    suspension_reason: Option<String>,
    plan_name: String,
    monthly_price: Decimal,
    contract_months: i16,
    early_termination_fee: Option<Decimal>,
    contract_ends_on: Option<NaiveDate>,
    version: i64,
}

/// Locks the service's account, then the service, and checks the caller's `If-Match`
/// versions (`None`: whatever is there).
async fn lock(
    conn: &mut PgConnection,
    service_id: i64,
    expected: Option<&[i64]>,
) -> Result<Locked, EngineError> {
    let account: Option<i64> = sqlx::query_scalar("select account_id from services where id = $1")
        .bind(service_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(account_id) = account else {
        return Err(EngineError::NotFound);
    };
    sqlx::query("select 1 from accounts where id = $1 for update")
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    let row: Locked = sqlx::query_as(
        "select s.account_id, s.plan_id, a.account_number, a.status as account_status,
                a.currency::text as currency, s.status, s.suspension_reason, p.name as plan_name,
                p.monthly_price, p.contract_months, p.early_termination_fee, s.contract_ends_on,
                s.version
           from services s join accounts a on a.id = s.account_id join plans p on p.id = s.plan_id
          where s.id = $1
            for update of s",
    )
    .bind(service_id)
    .fetch_one(&mut *conn)
    .await?;
    if let Some(expected) = expected {
        if !expected.contains(&row.version) {
            return Err(EngineError::Stale {
                current: row.version,
            });
        }
    }
    if row.account_status == "closed" {
        return Err(EngineError::Conflict("the account is closed".into()));
    }
    Ok(row)
}

/// The service's account and plan, with both rows locked (account first) and the caller's
/// `If-Match` versions checked: for a change made by another module (a plan change) that
/// must not overwrite a change made since the caller read the service.
pub async fn lock_in(
    conn: &mut PgConnection,
    service_id: i64,
    expected: Option<&[i64]>,
) -> Result<(i64, i64), EngineError> {
    let row = lock(conn, service_id, expected).await?;
    if row.status == "cancelled" {
        return Err(wrong_state(&row.status, "in force"));
    }
    Ok((row.account_id, row.plan_id))
}

fn wrong_state(status: &str, wanted: &str) -> EngineError {
    EngineError::Conflict(format!("the service is {status}; this needs it {wanted}"))
}

async fn history(
    conn: &mut PgConnection,
    row: &Locked,
    service_id: i64,
    kind: &str,
    summary: String,
    detail: serde_json::Value,
) -> Result<(), EngineError> {
    sqlx::query(
        "insert into service_events (account_id, service_id, kind, summary, detail)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(row.account_id)
    .bind(service_id)
    .bind(kind)
    .bind(summary)
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Activates a pending service from `on` (today, or up to 31 days back: the next statement
/// charges the days since). Its contract, if its plan has a term, starts that day.
pub async fn activate_in(
    conn: &mut PgConnection,
    service_id: i64,
    expected: Option<&[i64]>,
    on: NaiveDate,
    today: NaiveDate,
) -> Result<(), EngineError> {
    if on > today {
        return Err(EngineError::InvalidField {
            field: "activated_on",
            message: format!("{on} has not come yet (today is {today})"),
        });
    }
    if (today - on).num_days() > crate::accounts::MAX_DAYS_ACTIVE_BEFORE_CREATION {
        return Err(EngineError::InvalidField {
            field: "activated_on",
            message: format!(
                "at most {} days back: the next statement charges the days since",
                crate::accounts::MAX_DAYS_ACTIVE_BEFORE_CREATION
            ),
        });
    }
    let row = lock(conn, service_id, expected).await?;
    if row.status != "pending" {
        return Err(wrong_state(&row.status, "pending"));
    }
    let contract_ends_on = (row.contract_months > 0)
        .then(|| on.checked_add_months(Months::new(row.contract_months as u32)))
        .flatten();
    sqlx::query(
        "update services set status = 'active', activated_on = $2, contract_ends_on = $3
          where id = $1",
    )
    .bind(service_id)
    .bind(on)
    .bind(contract_ends_on)
    .execute(&mut *conn)
    .await?;
    history(
        conn,
        &row,
        service_id,
        "activation",
        format!("{} activated", row.plan_name),
        serde_json::json!({ "activated_on": on }),
    )
    .await
}

/// Suspends an active service from today (reason `other`): it is switched off at once and
/// accrues nothing until resumed.
pub async fn suspend_in(
    conn: &mut PgConnection,
    service_id: i64,
    expected: Option<&[i64]>,
    today: NaiveDate,
) -> Result<(), EngineError> {
    let row = lock(conn, service_id, expected).await?;
    if row.status != "active" {
        return Err(wrong_state(&row.status, "active"));
    }
    sqlx::query(
        "update services set status = 'suspended', suspension_reason = 'other' where id = $1",
    )
    .bind(service_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into service_suspensions (service_id, account_id, reason, suspended_on)
         values ($1, $2, 'other', $3)",
    )
    .bind(service_id)
    .bind(row.account_id)
    .bind(today)
    .execute(&mut *conn)
    .await?;
    history(
        conn,
        &row,
        service_id,
        "suspension",
        format!("{} suspended", row.plan_name),
        serde_json::json!({ "reason": "other", "suspended_on": today }),
    )
    .await
}

/// Resumes a service suspended for reason `other`, from today. One suspended for
/// non-payment or a prepaid balance is a conflict: paying restores it.
pub async fn resume_in(
    conn: &mut PgConnection,
    service_id: i64,
    expected: Option<&[i64]>,
    today: NaiveDate,
) -> Result<(), EngineError> {
    let row = lock(conn, service_id, expected).await?;
    if row.status != "suspended" {
        return Err(wrong_state(&row.status, "suspended"));
    }
    if row.suspension_reason.as_deref() != Some("other") {
        return Err(EngineError::Conflict(format!(
            "the service is suspended for {}; it comes back when the account pays",
            row.suspension_reason
                .as_deref()
                .unwrap_or("another reason")
                .replace('_', " ")
        )));
    }
    sqlx::query("update services set status = 'active', suspension_reason = null where id = $1")
        .bind(service_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "update service_suspensions set restored_on = greatest(suspended_on, $2)
          where service_id = $1 and restored_on is null",
    )
    .bind(service_id)
    .bind(today)
    .execute(&mut *conn)
    .await?;
    history(
        conn,
        &row,
        service_id,
        "restoration",
        format!("{} resumed", row.plan_name),
        serde_json::json!({ "restored_on": today }),
    )
    .await
}

/// What a cancellation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    pub cancelled_on: NaiveDate,
    /// The early termination fee charged (the contract had not ended).
    pub early_termination_fee: Option<Decimal>,
    /// A scheduled plan change it cancelled.
    pub cancelled_change: Option<i64>,
}

fn fee(row: &Locked, today: NaiveDate) -> Result<Option<Money>, EngineError> {
    let currency = Currency::parse(row.currency.trim())
        .map_err(|e| EngineError::bad_data(&row.account_number, e.to_string()))?;
    let side = PlanSide {
        monthly_price: Money::new(row.monthly_price, currency),
        contract_months: u32::try_from(row.contract_months).unwrap_or(0),
        early_termination_fee: row.early_termination_fee.map(|f| Money::new(f, currency)),
    };
    plan_change::early_termination_fee(&side, row.contract_ends_on, today)
        .map_err(|e| EngineError::bad_data(&row.account_number, e.to_string()))
}

/// The early termination fee cancelling the service today would charge (`None` outside a
/// contract), with the service locked as for a cancellation.
pub async fn early_termination_fee_in(
    conn: &mut PgConnection,
    service_id: i64,
    today: NaiveDate,
) -> Result<Option<Decimal>, EngineError> {
    let row = lock(conn, service_id, None).await?;
    Ok(fee(&row, today)?.map(|f| f.amount()))
}

/// Cancels the service today: switched off at once, its scheduled plan change cancelled,
/// the days already charged after today refunded by the next statement. Inside a contract
/// the early termination fee is charged, and must be `accepted_fee` to the cent.
pub async fn cancel_in(
    conn: &mut PgConnection,
    service_id: i64,
    expected: Option<&[i64]>,
    accepted_fee: Option<Decimal>,
    today: NaiveDate,
) -> Result<Cancelled, EngineError> {
    let row = lock(conn, service_id, expected).await?;
    if row.status == "cancelled" {
        return Err(wrong_state(&row.status, "not yet cancelled"));
    }
    let fee = fee(&row, today)?;
    if let Some(fee) = fee {
        if accepted_fee != Some(fee.amount()) {
            return Err(EngineError::InvalidField {
                field: "accepted_fee",
                message: format!(
                    "cancelling now ends the contract early (it runs to {}): accept the early termination fee of {} by sending it as accepted_fee",
                    row.contract_ends_on.map(|d| d.to_string()).unwrap_or_default(),
                    fee.amount()
                ),
            });
        }
    }
    let cancelled_change: Option<i64> = sqlx::query_scalar(
        "update plan_changes set status = 'cancelled', decided_at = now()
          where service_id = $1 and status = 'scheduled' returning id",
    )
    .bind(service_id)
    .fetch_optional(&mut *conn)
    .await?;
    // A pending service never ran: it is active and cancelled on the same day, which the
    // bill run charges nothing for (the half-open [today, today) holds no day).
    sqlx::query(
        "update services set status = 'cancelled', cancelled_on = $2,
                activated_on = coalesce(activated_on, $2), suspension_reason = null
          where id = $1",
    )
    .bind(service_id)
    .bind(today)
    .execute(&mut *conn)
    .await?;
    if let Some(fee) = fee {
        sqlx::query(
            "insert into one_time_charges (account_id, currency, service_id, description, amount,
                                           charge_on, kind)
             values ($1, $2, $3, $4, $5, $6, 'charge')",
        )
        .bind(row.account_id)
        .bind(row.currency.trim())
        .bind(service_id)
        .bind(format!(
            "Early termination fee: {} contract to {}",
            row.plan_name,
            row.contract_ends_on
                .map(|d| d.to_string())
                .unwrap_or_default()
        ))
        .bind(fee.amount())
        .bind(today)
        .execute(&mut *conn)
        .await?;
    }
    history(
        conn,
        &row,
        service_id,
        "cancellation",
        format!("{} cancelled", row.plan_name),
        serde_json::json!({
            "cancelled_on": today,
            "early_termination_fee": fee.map(|f| f.amount()),
            "cancelled_plan_change": cancelled_change,
        }),
    )
    .await?;
    Ok(Cancelled {
        cancelled_on: today,
        early_termination_fee: fee.map(|f| f.amount()),
        cancelled_change,
    })
}

//! Adjustments and credits posted by staff, with a reason, to the ledger; and what the
//! integration API posts for the provider's other systems: credits by a key
//! ([`credit_by_key_in`], at once: the key's money limit is its only approval) and one-time
//! charges ([`one_time_charge_in`], billed and taxed by the next statement, `billing::bill`
//! rule 4: what a CRM bills, an installation or equipment, is a sale, not a correction).
//!
//! Each role has two limits (`EngineConfig::adjustment_limits`): the largest single
//! adjustment, and the most one person posts alone in a provider-local day, charges and
//! credits counted by their size in the adjustment's currency
//! ([`RoleLimits::needs_approval`](crate::config::RoleLimits::needs_approval)). Within both,
//! the adjustment is posted at once by the person asking; beyond either, it waits for a
//! second staff member whose own per-adjustment limit covers it (the schema refuses a
//! self-approval of one that needed approval). Requests of one person are recorded one at a
//! time, so two at once cannot both fit in what is left of their day.
//!
//! Accepting a dispute is an adjustment too ([`crate::disputes`]): a credit of the disputed
//! amount, under the same limits; posting it decides the dispute. A posted adjustment is a
//! ledger entry keyed `adjustment:<id>` (`dispute:<ticket>` for a dispute; a credit when
//! negative), so it reaches the next statement through `ledger_entries_pending`, and an event
//! on the subscriber's history.

use billing::{text, Money};
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
pub fn validate(amount: Money, reason: &str) -> Result<String, EngineError> {
    if amount.is_zero() || amount.to_minor_units().is_err() {
        return Err(invalid("amount", "Enter an amount like 25.00 (not zero)."));
    }
    if amount.amount().abs() > CEILING {
        return Err(invalid(
            "amount",
            format!(
                "At most {} in one adjustment.",
                text::money(Money::new(CEILING, amount.currency()))
            ),
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

/// Records an adjustment: posted at once within the requester's limits, else left for a
/// second person.
pub async fn request(
    pool: &PgPool,
    config: &EngineConfig,
    req: &AdjustmentRequest,
) -> Result<Outcome, EngineError> {
    let mut tx = pool.begin().await?;
    let currency = crate::payments::currency_of(&mut tx, req.account_id).await?;
    let reason = validate(Money::new(req.amount, currency), &req.reason)?;
    let outcome = record(
        &mut tx,
        config,
        &Ask {
            account_id: req.account_id,
            amount: req.amount,
            reason: &reason,
            staff_id: req.staff_id,
            staff_role: &req.staff_role,
            dispute: None,
        },
        req.today,
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// An adjustment to record (its amount and reason already checked).
pub(crate) struct Ask<'a> {
    pub account_id: i64,
    pub amount: Decimal,
    pub reason: &'a str,
    pub staff_id: i64,
    pub staff_role: &'a str,
    /// The dispute it accepts, with the note to the subscriber.
    pub dispute: Option<(i64, Option<&'a str>)>,
}

/// Records an adjustment in the caller's transaction and posts it when the requester's
/// limits allow.
pub(crate) async fn record(
    conn: &mut PgConnection,
    config: &EngineConfig,
    ask: &Ask<'_>,
    today: NaiveDate,
) -> Result<Outcome, EngineError> {
    // One request of a person at a time: the day's total is read and added to together.
    let staff: Option<i64> =
        sqlx::query_scalar("select id from staff_users where id = $1 for no key update")
            .bind(ask.staff_id)
            .fetch_optional(&mut *conn)
            .await?;
    staff.ok_or(EngineError::NotFound)?;
    let currency: Option<String> =
        sqlx::query_scalar("select currency::text from accounts where id = $1 for update")
            .bind(ask.account_id)
            .fetch_optional(&mut *conn)
            .await?;
    let currency = currency.ok_or(EngineError::NotFound)?;
    let posted_today = posted_alone_today(&mut *conn, config, ask.staff_id, &currency).await?;
    let needs_approval = config
        .adjustment_limits
        .of(ask.staff_role)
        .needs_approval(ask.amount, posted_today);
    let (dispute_ticket_id, note) = match ask.dispute {
        Some((ticket, note)) => (Some(ticket), note),
        None => (None, None),
    };
    let id: i64 = sqlx::query_scalar(
        "insert into adjustments (account_id, amount, reason, requested_by, needs_approval,
                                  dispute_ticket_id, subscriber_note)
         values ($1, $2, $3, $4, $5, $6, $7) returning id",
    )
    .bind(ask.account_id)
    .bind(ask.amount)
    .bind(ask.reason)
    .bind(ask.staff_id)
    .bind(needs_approval)
    .bind(dispute_ticket_id)
    .bind(note)
    .fetch_one(&mut *conn)
    .await?;
    if needs_approval {
        return Ok(Outcome::AwaitingApproval { adjustment_id: id });
    }
    let entry = post(&mut *conn, config, id, Some(ask.staff_id), today).await?;
    Ok(Outcome::Posted {
        adjustment_id: id,
        ledger_entry_id: entry,
    })
}

/// What a staff member posted alone (without a second person) today, the provider's day,
/// in one currency: the sum of the sizes of those charges and credits.
pub async fn posted_alone_today<'c>(
    db: impl sqlx::PgExecutor<'c>,
    config: &EngineConfig,
    staff_id: i64,
    currency: &str,
) -> Result<Decimal, EngineError> {
    let today = crate::clock::today(config.time_zone, chrono::Utc::now());
    let (from, to) = crate::clock::day_bounds(config.time_zone, today);
    Ok(sqlx::query_scalar(
        "select coalesce(sum(abs(j.amount)), 0)
           from adjustments j join accounts a on a.id = j.account_id
          where j.requested_by = $1 and j.status = 'posted' and not j.needs_approval
            and j.decided_at >= $2 and j.decided_at < $3 and a.currency = $4::char(3)",
    )
    .bind(staff_id)
    .bind(from)
    .bind(to)
    .bind(currency)
    .fetch_one(db)
    .await?)
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
    if amount.amount().abs() > config.adjustment_limits.of(staff_role).per_adjustment {
        return Err(EngineError::Conflict(format!(
            "{} is beyond your own limit: someone with a higher limit must approve it.",
            text::money(Money::new(amount.amount().abs(), amount.currency()))
        )));
    }
    let entry = post(&mut tx, config, adjustment_id, Some(staff_id), today).await?;
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

async fn pending(conn: &mut PgConnection, adjustment_id: i64) -> Result<(Money, i64), EngineError> {
    let row: Option<(Decimal, i64, String, String)> = sqlx::query_as(
        "select j.amount, j.requested_by, j.status, a.currency::text
           from adjustments j join accounts a on a.id = j.account_id
          where j.id = $1 for update of j",
    )
    .bind(adjustment_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (amount, requested_by, status, currency) = row.ok_or(EngineError::NotFound)?;
    if status != "pending" {
        return Err(EngineError::Conflict(format!(
            "This adjustment was already {status}."
        )));
    }
    let currency = billing::Currency::parse(currency.trim())
        .map_err(|e| EngineError::bad_data(&adjustment_id.to_string(), e.to_string()))?;
    Ok((Money::new(amount, currency), requested_by))
}

/// An adjustment being posted.
#[derive(sqlx::FromRow)]
struct Posting {
    id: i64,
    account_id: i64,
    amount: Decimal,
    reason: String,
    currency: String,
    requested_by: Option<i64>,
    dispute_ticket_id: Option<i64>,
    subscriber_note: Option<String>,
}

/// Writes the ledger entry and the history event (for a dispute, decides it), marks the
/// adjustment posted, and settles statements a credit covers.
async fn post(
    conn: &mut PgConnection,
    config: &EngineConfig,
    adjustment_id: i64,
    staff_id: Option<i64>,
    today: NaiveDate,
) -> Result<i64, EngineError> {
    let adjustment: Posting = sqlx::query_as(
        "select j.id, j.account_id, j.amount, j.reason, a.currency::text as currency,
                j.requested_by, j.dispute_ticket_id, j.subscriber_note
           from adjustments j join accounts a on a.id = j.account_id where j.id = $1",
    )
    .bind(adjustment_id)
    .fetch_one(&mut *conn)
    .await?;
    let entry = match adjustment.dispute_ticket_id {
        Some(ticket_id) => {
            // Disputes are decided by staff only (the schema's dispute guard and the
            // console): both are staff members here.
            let (Some(decided_by), Some(posted_by)) = (adjustment.requested_by, staff_id) else {
                return Err(EngineError::Invalid(
                    "a dispute is decided by a staff member".into(),
                ));
            };
            crate::disputes::credit(
                &mut *conn,
                config,
                &crate::disputes::Credit {
                    ticket_id,
                    decided_by,
                    posted_by,
                    note: adjustment.subscriber_note.as_deref(),
                    today,
                },
            )
            .await?
        }
        None => post_entry(&mut *conn, &adjustment, staff_id, today).await?,
    };
    sqlx::query(
        "update adjustments set status = 'posted', decided_by = $2, decided_at = now(), ledger_entry_id = $3
          where id = $1",
    )
    .bind(adjustment_id)
    .bind(staff_id)
    .bind(entry)
    .execute(&mut *conn)
    .await?;
    if adjustment.amount < Decimal::ZERO {
        crate::payments::settle(conn, config, adjustment.account_id, today).await?;
    }
    Ok(entry)
}

/// The ledger entry and history event of an ordinary adjustment.
async fn post_entry(
    conn: &mut PgConnection,
    adjustment: &Posting,
    staff_id: Option<i64>,
    today: NaiveDate,
) -> Result<i64, EngineError> {
    let Posting {
        id,
        account_id,
        amount,
        reason,
        currency,
        ..
    } = adjustment;
    let (kind, label) = if *amount < Decimal::ZERO {
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
    .bind(currency)
    .bind(kind)
    .bind(amount)
    .bind(&description)
    .bind(today)
    .bind(staff_id)
    .bind(format!("adjustment:{id}"))
    .fetch_one(&mut *conn)
    .await?;
    let size = Money::new(
        amount.abs(),
        billing::Currency::parse(currency.trim())
            .map_err(|e| EngineError::bad_data(&account_id.to_string(), e.to_string()))?,
    );
    let summary: String = format!("{label} of {}: {reason}", text::money(size))
        .chars()
        .take(300)
        .collect();
    sqlx::query(
        "insert into service_events (account_id, kind, summary, detail, staff_user_id)
         values ($1, 'account', $2, $3, $4)",
    )
    .bind(account_id)
    .bind(summary)
    .bind(serde_json::json!({ "adjustment_id": id, "amount": amount }))
    .bind(staff_id)
    .execute(&mut *conn)
    .await?;
    Ok(entry)
}

/// A credit an integration's key posts (the integration API): at once, with its reason, as
/// a ledger credit that settles what it covers, exactly as a staff member's credit posted
/// alone. The key's money limit is checked by the caller before it gets here.
#[derive(Debug, Clone)]
pub struct KeyCredit {
    pub account_id: i64,
    /// The credit's size (positive).
    pub amount: Decimal,
    pub reason: String,
    pub api_key_id: i64,
    pub today: NaiveDate,
}

/// Posts a key's credit in the caller's transaction; returns the adjustment and its ledger
/// entry.
pub async fn credit_by_key_in(
    conn: &mut PgConnection,
    config: &EngineConfig,
    credit: &KeyCredit,
) -> Result<(i64, i64), EngineError> {
    if credit.amount <= Decimal::ZERO {
        return Err(invalid("amount", "a credit is a positive amount"));
    }
    let currency = crate::payments::currency_of(&mut *conn, credit.account_id).await?;
    let reason = validate(Money::new(-credit.amount, currency), &credit.reason)?;
    sqlx::query("select 1 from accounts where id = $1 for update")
        .bind(credit.account_id)
        .execute(&mut *conn)
        .await?;
    let id: i64 = sqlx::query_scalar(
        "insert into adjustments (account_id, amount, reason, requested_by_api_key, needs_approval)
         values ($1, $2, $3, $4, false) returning id",
    )
    .bind(credit.account_id)
    .bind(-credit.amount)
    .bind(&reason)
    .bind(credit.api_key_id)
    .fetch_one(&mut *conn)
    .await?;
    let entry = post(&mut *conn, config, id, None, credit.today).await?;
    Ok((id, entry))
}

/// A one-time charge another system bills (the integration API): on the next statement,
/// taxed at its service's rate (`billing::bill` rule 4).
#[derive(Debug, Clone)]
pub struct NewCharge {
    pub account_id: i64,
    /// The service it belongs to (its tax rate); `None`: the account's first taxed one.
    pub service_id: Option<i64>,
    /// What the statement line says (1 to 300 characters).
    pub description: String,
    /// Positive, in the account's currency.
    pub amount: Decimal,
    /// The day it is charged (statements issued from then bill it).
    pub on: NaiveDate,
}

/// Records a one-time charge in the caller's transaction; returns its id.
pub async fn one_time_charge_in(
    conn: &mut PgConnection,
    charge: &NewCharge,
) -> Result<i64, EngineError> {
    let currency = crate::payments::currency_of(&mut *conn, charge.account_id).await?;
    let amount = Money::new(charge.amount, currency);
    if charge.amount <= Decimal::ZERO || amount.to_minor_units().is_err() {
        return Err(invalid(
            "amount",
            "a charge is a positive amount in whole cents, such as 99.00",
        ));
    }
    if charge.amount > CEILING {
        return Err(invalid(
            "amount",
            format!(
                "at most {} in one charge",
                text::money(Money::new(CEILING, currency))
            ),
        ));
    }
    let description = charge
        .description
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !(1..=300).contains(&description.chars().count())
        || description.chars().any(char::is_control)
    {
        return Err(invalid(
            "description",
            "what the statement line says, 1 to 300 characters",
        ));
    }
    sqlx::query("select 1 from accounts where id = $1 for update")
        .bind(charge.account_id)
        .execute(&mut *conn)
        .await?;
    if let Some(service_id) = charge.service_id {
        let ours: bool = sqlx::query_scalar(
            "select exists (select 1 from services where id = $1 and account_id = $2)",
        )
        .bind(service_id)
        .bind(charge.account_id)
        .fetch_one(&mut *conn)
        .await?;
        if !ours {
            return Err(invalid("service_id", "not a service of this account"));
        }
    }
    Ok(sqlx::query_scalar(
        "insert into one_time_charges (account_id, currency, service_id, description, amount,
                                       charge_on, kind)
         values ($1, $2, $3, $4, $5, $6, 'charge') returning id",
    )
    .bind(charge.account_id)
    .bind(currency.as_str())
    .bind(charge.service_id)
    .bind(&description)
    .bind(charge.amount)
    .bind(charge.on)
    .fetch_one(&mut *conn)
    .await?)
}

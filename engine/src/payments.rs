//! Where payments are recorded, and what follows them.
//!
//! Every payment reaches the ledger through [`post`]: one `payment` entry per payment (key
//! `payment:<payment id>`, and the schema allows one), a history event, then [`settle`].
//! [`record`] writes a payment the provider took itself (cash, cheque, bank transfer, a
//! prepaid top-up) and posts it; card payments post through the same function once Stripe
//! confirms them ([`crate::cards::payments::apply_intent`]).
//!
//! [`settle`] marks the statements now covered as paid and restores services suspended for
//! non-payment once nothing is overdue, and those suspended for a prepaid balance that ran
//! out once it pays a whole period of their plan. Which statements are covered is the
//! allocation rule of [`billing::ledger::allocate`] (payments pay the oldest charges first),
//! applied through [`crate::owed`].

use billing::{text, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use billing::bill::{Bill, SuspensionReason};

use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::facts::Account;
use crate::mail::{self, Notice};

/// A payment to record.
#[derive(Debug, Clone)]
pub struct NewPayment {
    /// The account, by number.
    pub account_number: String,
    /// The amount received (positive).
    pub amount: Decimal,
    /// `cash`, `cheque` or `bank_transfer` (card payments come through Stripe).
    pub method: String,
    /// The provider's reference for it: recording the same reference twice records one
    /// payment.
    pub reference: String,
    /// The day it was received (provider-local).
    pub received_on: NaiveDate,
}

/// What [`record`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// `payments.id`.
    pub payment_id: i64,
    /// False when the reference had been recorded before (nothing new was written).
    pub new: bool,
    /// The account's balance afterwards (negative: in credit).
    pub balance: Decimal,
    /// The account's currency.
    pub currency: billing::Currency,
    /// Statements marked paid by it.
    pub statements_paid: u64,
    /// Services restored by it.
    pub services_restored: u64,
}

/// Records a payment received by the provider, in one transaction with everything it
/// settles. The same `reference` twice records one payment.
pub async fn record(
    pool: &PgPool,
    config: &EngineConfig,
    payment: &NewPayment,
) -> Result<Recorded, EngineError> {
    let mut tx = pool.begin().await?;
    let recorded = record_in(&mut tx, config, payment).await?;
    tx.commit().await?;
    Ok(recorded)
}

/// [`record`] in the caller's transaction (the integration API commits it with its
/// idempotency record and audit entry).
pub async fn record_in(
    tx: &mut PgConnection,
    config: &EngineConfig,
    payment: &NewPayment,
) -> Result<Recorded, EngineError> {
    if payment.amount <= Decimal::ZERO {
        return Err(EngineError::InvalidField {
            field: "amount",
            message: format!(
                "a payment must be a positive amount, not {}",
                payment.amount
            ),
        });
    }
    let reference = outside_the_portal(&payment.method, &payment.reference)?;
    let account: Option<(i64, String)> = sqlx::query_as(
        "select id, currency::text from accounts where account_number = $1 for update",
    )
    .bind(&payment.account_number)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((account_id, currency)) = account else {
        return Err(EngineError::NoSuchAccount(payment.account_number.clone()));
    };
    let currency = billing::Currency::parse(currency.trim())
        .map_err(|e| EngineError::bad_data(&payment.account_number, e.to_string()))?;
    let amount = Money::new(payment.amount, currency);
    // A fraction of the currency's minor unit (a tenth of a cent, a part of a yen) cannot
    // have been received.
    if let Err(e) = amount.to_minor_units() {
        return Err(EngineError::InvalidField {
            field: "amount",
            message: format!("a payment of {e}"),
        });
    }
    let key = format!("manual:{reference}");
    // A reference is the provider's own (a bank transfer's): recorded once, for one account.
    let existing: Option<(i64, i64)> =
        sqlx::query_as("select id, account_id from payments where idempotency_key = $1")
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
    let reference_taken = || {
        EngineError::Conflict(format!(
            "the reference {reference:?} was recorded for another account's payment"
        ))
    };
    if matches!(existing, Some((_, other)) if other != account_id) {
        return Err(reference_taken());
    }
    if let Some((payment_id, _)) = existing {
        let balance = balance(tx, account_id).await?;
        return Ok(Recorded {
            payment_id,
            new: false,
            balance,
            currency,
            statements_paid: 0,
            services_restored: 0,
        });
    }
    let payment_id: i64 = sqlx::query_scalar(
        "insert into payments (account_id, currency, amount, method, status, idempotency_key, succeeded_at)
         values ($1, $2, $3, $4, 'succeeded', $5, now()) returning id",
    )
    .bind(account_id)
    .bind(currency.as_str())
    .bind(payment.amount)
    .bind(&payment.method)
    .bind(&key)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match &e {
        // Another account's payment took the reference meanwhile (this account's are
        // serialised by its row lock above).
        sqlx::Error::Database(d) if d.constraint() == Some("payments_idempotency_key_key") => {
            reference_taken()
        }
        _ => EngineError::Database(e),
    })?;
    let how = how_moved(&payment.method);
    let posted = post(
        &mut *tx,
        config,
        &Received {
            payment_id,
            account_id,
            amount,
            description: format!("Payment received {how}, thank you"),
            summary: format!("Payment of {} received {how}", text::money(amount)),
            received_on: payment.received_on,
        },
    )
    .await?
    .unwrap_or_default();
    let balance = balance(tx, account_id).await?;
    Ok(Recorded {
        payment_id,
        new: true,
        balance,
        currency,
        statements_paid: posted.statements_paid,
        services_restored: posted.services_restored,
    })
}

/// The method and reference of money moved outside the portal: cash, cheque or a bank
/// transfer, with the provider's own reference (1 to 80 characters), returned trimmed.
fn outside_the_portal<'a>(method: &str, reference: &'a str) -> Result<&'a str, EngineError> {
    if !matches!(method, "cash" | "cheque" | "bank_transfer") {
        return Err(EngineError::InvalidField {
            field: "method",
            message: format!("method must be cash, cheque or bank_transfer, not {method:?}"),
        });
    }
    let reference = reference.trim();
    if reference.chars().any(char::is_control) {
        return Err(EngineError::InvalidField {
            field: "reference",
            message: "a reference has no control characters".into(),
        });
    }
    if !(1..=80).contains(&reference.len()) {
        return Err(EngineError::InvalidField {
            field: "reference",
            message: "a reference of 1 to 80 characters is required".into(),
        });
    }
    Ok(reference)
}

/// How money moved outside the portal, as the ledger and the history say it ("in cash").
fn how_moved(method: &str) -> &'static str {
    match method {
        "cash" => "in cash",
        "cheque" => "by cheque",
        _ => "by bank transfer",
    }
}

/// A credit paid back to the subscriber outside the portal (a bank transfer, a cheque,
/// cash): what an account in credit is owed before it can close (`billing::bill`, "Closing
/// an account").
#[derive(Debug, Clone)]
pub struct NewRefund {
    pub account_id: i64,
    /// What was paid back (positive): at most what the account is in credit by.
    pub amount: Decimal,
    /// `cash`, `cheque` or `bank_transfer`.
    pub method: String,
    /// The provider's reference for it: recording the same reference twice records one.
    pub reference: String,
    /// The day it was paid (provider-local).
    pub paid_on: NaiveDate,
}

/// What [`refund_credit_in`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refunded {
    /// The ledger entry (kind `refund`).
    pub ledger_entry_id: i64,
    /// False when the reference had been recorded before (nothing new was written).
    pub new: bool,
    /// The account's balance afterwards (negative: still in credit).
    pub balance: Decimal,
    pub currency: billing::Currency,
}

/// Records a credit paid back, in the caller's transaction: one `refund` entry in the
/// ledger (key `refund:<reference>`) and a history event. It pays back credit only: an
/// account that is not in credit by at least the amount is refused, so a refund never
/// makes a subscriber owe.
pub async fn refund_credit_in(
    tx: &mut PgConnection,
    refund: &NewRefund,
) -> Result<Refunded, EngineError> {
    if refund.amount <= Decimal::ZERO {
        return Err(EngineError::InvalidField {
            field: "amount",
            message: format!("a refund is a positive amount, not {}", refund.amount),
        });
    }
    let reference = outside_the_portal(&refund.method, &refund.reference)?;
    let account: Option<(String, String)> = sqlx::query_as(
        "select account_number, currency::text from accounts where id = $1 for update",
    )
    .bind(refund.account_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((number, currency)) = account else {
        return Err(EngineError::NotFound);
    };
    let currency = billing::Currency::parse(currency.trim())
        .map_err(|e| EngineError::bad_data(&number, e.to_string()))?;
    let amount = Money::new(refund.amount, currency);
    if let Err(e) = amount.to_minor_units() {
        return Err(EngineError::InvalidField {
            field: "amount",
            message: format!("a refund of {e}"),
        });
    }
    let key = format!("refund:{reference}");
    let existing: Option<(i64, i64)> =
        sqlx::query_as("select id, account_id from ledger_entries where idempotency_key = $1")
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
    match existing {
        Some((_, other)) if other != refund.account_id => {
            return Err(EngineError::Conflict(format!(
                "the reference {reference:?} was recorded for another account's refund"
            )));
        }
        Some((id, _)) => {
            let mut now = balance(tx, refund.account_id).await?;
            now.rescale(currency.minor_units());
            return Ok(Refunded {
                ledger_entry_id: id,
                new: false,
                balance: now,
                currency,
            });
        }
        None => {}
    }
    let credit = -balance(tx, refund.account_id).await?;
    if refund.amount > credit {
        return Err(EngineError::InvalidField {
            field: "amount",
            message: if credit > Decimal::ZERO {
                format!(
                    "the account is in credit by {}; a refund pays back at most that",
                    text::money(Money::new(credit, currency))
                )
            } else {
                "the account is not in credit: there is nothing to pay back".into()
            },
        });
    }
    let how = how_moved(&refund.method);
    let id: i64 = sqlx::query_scalar(
        "insert into ledger_entries (account_id, currency, kind, amount, description, effective_on,
                                     idempotency_key)
         values ($1, $2, 'refund', $3, $4, $5, $6) returning id",
    )
    .bind(refund.account_id)
    .bind(currency.as_str())
    .bind(refund.amount)
    .bind(format!("Credit paid back {how}"))
    .bind(refund.paid_on)
    .bind(&key)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "insert into service_events (account_id, kind, summary, detail) values ($1, 'payment', $2, $3)",
    )
    .bind(refund.account_id)
    .bind(format!("Credit of {} paid back {how}", text::money(amount)))
    .bind(serde_json::json!({ "ledger_entry_id": id, "reference": reference }))
    .execute(&mut *tx)
    .await?;
    let mut after = balance(tx, refund.account_id).await?;
    after.rescale(currency.minor_units());
    Ok(Refunded {
        ledger_entry_id: id,
        new: true,
        balance: after,
        currency,
    })
}

/// A payment received, as [`post`] writes it to the ledger.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    /// `payments.id`: the ledger holds one payment entry per payment.
    pub payment_id: i64,
    pub account_id: i64,
    /// What was received (positive), in the account's currency.
    pub amount: Money,
    /// The ledger entry's description, as the statement will show it.
    pub description: String,
    /// The service-history event's summary.
    pub summary: String,
    /// The day it counts from (provider-local).
    pub received_on: NaiveDate,
}

/// What [`post`] and [`settle`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settled {
    /// Statements marked paid.
    pub statements_paid: u64,
    /// Services restored.
    pub services_restored: u64,
}

/// Posts a received payment: its ledger entry, its history event, and what it settles.
/// The one path by which a payment reaches the ledger. Call it in the transaction that
/// records the payment; it locks the account. `None` when the payment was already posted
/// (a second webhook, a retried request): nothing is written twice.
pub(crate) async fn post(
    conn: &mut PgConnection,
    config: &EngineConfig,
    received: &Received,
) -> Result<Option<Settled>, EngineError> {
    if !received.amount.is_positive() {
        return Err(EngineError::Invalid(format!(
            "a payment must be a positive amount, not {}",
            received.amount
        )));
    }
    sqlx::query("select 1 from accounts where id = $1 for update")
        .bind(received.account_id)
        .execute(&mut *conn)
        .await?;
    let written = sqlx::query(
        "insert into ledger_entries (account_id, currency, kind, amount, description, effective_on,
                                     payment_id, idempotency_key)
         values ($1, $2, 'payment', $3, $4, $5, $6, $7)
         on conflict do nothing",
    )
    .bind(received.account_id)
    .bind(received.amount.currency().as_str())
    .bind(-received.amount.amount())
    .bind(&received.description)
    .bind(received.received_on)
    .bind(received.payment_id)
    .bind(format!("payment:{}", received.payment_id))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if written == 0 {
        return Ok(None);
    }
    sqlx::query(
        "insert into service_events (account_id, kind, summary, detail)
         values ($1, 'payment', $2, $3)",
    )
    .bind(received.account_id)
    .bind(&received.summary)
    .bind(serde_json::json!({ "payment_id": received.payment_id }))
    .execute(&mut *conn)
    .await?;
    Ok(Some(
        settle(conn, config, received.account_id, received.received_on).await?,
    ))
}

/// The account's balance: the `account_balances` view (negative: in credit).
pub async fn balance(conn: &mut PgConnection, account_id: i64) -> Result<Decimal, EngineError> {
    Ok(
        sqlx::query_scalar("select balance from account_balances where account_id = $1")
            .bind(account_id)
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or_default(),
    )
}

/// Marks the statements now covered as paid ([`crate::owed`]) and restores services
/// suspended for non-payment (once nothing owed is overdue) or for a prepaid balance (once
/// it pays a whole period of their plan: [`crate::suspensions::plan_to_cover`]). Call it in the transaction that changed the balance, with the
/// account row locked.
pub async fn settle(
    conn: &mut PgConnection,
    config: &EngineConfig,
    account_id: i64,
    today: NaiveDate,
) -> Result<Settled, EngineError> {
    let owed = crate::owed::of_account(conn, account_id).await?;
    let paid = sqlx::query(
        "update statements set status = 'paid', paid_at = now()
          where id = any($1) and account_id = $2 and status = 'open'",
    )
    .bind(owed.covered())
    .bind(account_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let balance = owed.balance.amount();
    let mut reasons = Vec::new();
    if !owed.overdue(today) {
        reasons.push(SuspensionReason::NonPayment);
    }
    // Off for its balance: back once the balance pays a whole period of the plan.
    if balance + crate::suspensions::plan_to_cover(conn, account_id, today).await? <= Decimal::ZERO
    {
        reasons.push(SuspensionReason::PrepaidBalance);
    }
    let restored = crate::suspensions::restore(conn, account_id, &reasons, today).await?;
    if !restored.is_empty() {
        restored_event(conn, config, account_id, &restored, balance).await?;
    }
    Ok(Settled {
        statements_paid: paid,
        services_restored: restored.len() as u64,
    })
}

/// The account's currency.
pub(crate) async fn currency_of(
    conn: &mut PgConnection,
    account_id: i64,
) -> Result<billing::Currency, EngineError> {
    let code: Option<String> =
        sqlx::query_scalar("select currency::text from accounts where id = $1")
            .bind(account_id)
            .fetch_optional(&mut *conn)
            .await?;
    let code = code.ok_or(EngineError::NotFound)?;
    billing::Currency::parse(code.trim())
        .map_err(|e| EngineError::bad_data(&account_id.to_string(), e.to_string()))
}

async fn restored_event(
    conn: &mut PgConnection,
    config: &EngineConfig,
    account_id: i64,
    services: &[i64],
    balance: Decimal,
) -> Result<(), EngineError> {
    sqlx::query(
        "insert into service_events (account_id, service_id, kind, summary, detail)
         select $1, id, 'restoration', 'Service restored: thank you for your payment', '{}'
           from unnest($2::bigint[]) as id",
    )
    .bind(account_id)
    .bind(services)
    .execute(&mut *conn)
    .await?;
    if let Some(to) = mail::recipient(conn, account_id).await? {
        let (w, f) = (to.words(), to.formats());
        let credit = Money::new(-balance, currency_of(conn, account_id).await?);
        let email = Notice {
            kind: "service_restored",
            account_id,
            to: &to.email,
            first_name: &to.first_name,
            words: w,
            subject: (w.restored_subject)(&config.provider_name),
            paragraphs: vec![
                w.restored.into(),
                (w.balance_now)(&mail::balance_in(w, &f, credit)),
            ],
            link: Some((w.see_account, config.public_url.clone())),
        }
        .render(config)?;
        mail::enqueue_all(conn, &[email]).await?;
    }
    Ok(())
}

/// A prepaid or hybrid account whose balance does not cover the plan: its active services
/// are suspended, with an event and an email. Returns whether anything was suspended.
pub(crate) async fn suspend_for_balance(
    conn: &mut PgConnection,
    config: &EngineConfig,
    account: &Account,
    bill: &Bill,
    owed: Decimal,
) -> Result<bool, EngineError> {
    let suspended = crate::suspensions::suspend(
        conn,
        account.id,
        SuspensionReason::PrepaidBalance,
        bill.period.start,
    )
    .await?;
    if suspended.is_empty() {
        return Ok(false);
    }
    let owed_text = text::money(billing::Money::new(owed, account.currency));
    sqlx::query(
        "insert into service_events (account_id, service_id, kind, summary, detail)
         select $1, id, 'suspension', $2, $3 from unnest($4::bigint[]) as id",
    )
    .bind(account.id)
    .bind(format!(
        "Service suspended: the prepaid balance is {owed_text} short of this period's plan"
    ))
    .bind(serde_json::json!({ "reason": "prepaid_balance", "short_by": owed.to_string() }))
    .bind(&suspended)
    .execute(&mut *conn)
    .await?;
    let first = first_notice(conn, account.id, "exhausted", bill.period.start).await?;
    if let (true, Some(to)) = (first, &account.email) {
        let (w, f) = (to.words(), to.formats());
        let short = f.money(&billing::Money::new(owed, account.currency));
        let email = Notice {
            kind: "prepaid_exhausted",
            account_id: account.id,
            to: &to.email,
            first_name: &to.first_name,
            words: w,
            subject: (w.exhausted_subject)(&config.provider_name),
            paragraphs: vec![
                (w.exhausted)(&f.period(&bill.period), &short),
                (w.exhausted_top_up)(&short),
            ],
            link: Some((w.top_up, format!("{}/", config.public_url))),
        }
        .render(config)?;
        mail::enqueue_all(conn, &[email]).await?;
    }
    Ok(true)
}

/// At a bill run, services suspended for a prepaid balance come back on `on`, the period's
/// first day, once it covers the plan again (a top-up arrived before the run could restore
/// them).
pub(crate) async fn restore_if_covered(
    conn: &mut PgConnection,
    config: &EngineConfig,
    account_id: i64,
    on: NaiveDate,
) -> Result<(), EngineError> {
    let restored =
        crate::suspensions::restore(conn, account_id, &[SuspensionReason::PrepaidBalance], on)
            .await?;
    if !restored.is_empty() {
        let balance = balance(conn, account_id).await?;
        restored_event(conn, config, account_id, &restored, balance).await?;
    }
    Ok(())
}

/// After a prepaid or hybrid account's plan is paid from its balance: if what is left will
/// not pay the next period's plan, one low-balance email per period.
pub(crate) async fn low_balance_notice(
    conn: &mut PgConnection,
    config: &EngineConfig,
    account: &Account,
    bill: &Bill,
    credit_left: Decimal,
) -> Result<(), EngineError> {
    let next_plan: Decimal = bill
        .lines
        .iter()
        .filter(|l| {
            l.kind == billing::LineKind::Recurring
                && l.period.is_some_and(|p| p.start >= bill.period.start)
        })
        .filter_map(|l| l.unit_price)
        .sum();
    if credit_left >= next_plan {
        return Ok(());
    }
    let first = first_notice(conn, account.id, "low_balance", bill.period.start).await?;
    if let (true, Some(to)) = (first, &account.email) {
        let (w, f) = (to.words(), to.formats());
        let money = |amount| f.money(&billing::Money::new(amount, account.currency));
        let email = Notice {
            kind: "prepaid_low_balance",
            account_id: account.id,
            to: &to.email,
            first_name: &to.first_name,
            words: w,
            subject: (w.low_subject)(&config.provider_name),
            paragraphs: vec![
                (w.low)(
                    &money(credit_left),
                    &money(next_plan),
                    &f.date(bill.period.end),
                ),
                w.low_top_up.into(),
            ],
            link: Some((w.top_up, format!("{}/", config.public_url))),
        }
        .render(config)?;
        mail::enqueue_all(conn, &[email]).await?;
    }
    Ok(())
}

/// Records a balance notice of `kind` for the period; false when one was already sent.
async fn first_notice(
    conn: &mut PgConnection,
    account_id: i64,
    kind: &str,
    period_start: NaiveDate,
) -> Result<bool, EngineError> {
    let inserted = sqlx::query(
        "insert into balance_notices (account_id, kind, period_start) values ($1, $2, $3)
         on conflict do nothing",
    )
    .bind(account_id)
    .bind(kind)
    .bind(period_start)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

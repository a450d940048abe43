//! Dunning: what happens to a statement that is not paid.
//!
//! The steps are rows of `dunning_steps`, relative to the due date, which the provider
//! edits: by default a reminder 3 days before (not sent to autopay accounts), an overdue
//! notice the day after, a late fee after 7 days and suspension after 14. Each applies to
//! every statement while it is open (not yet covered, see [`crate::payments`]) and
//! something is still owed on the account, is taken at most once per statement (the primary
//! key of `dunning_actions`), and is a service-history event and an email. Steps whose day
//! passed while dunning did not run are taken late, except reminders, which are pointless
//! after the due date. Paying restores suspended service ([`crate::payments::settle`]).
//! Prepaid accounts have no due dates; their balance is handled at the bill run. What is
//! pursued is what [`crate::owed`] says is owed on the statement: an amount under dispute
//! ([`crate::disputes`]) is held, and dunning pursues only the rest.
//!
//! A late fee is charged on a statement only when it newly charged something other than
//! late fees (its charges, tax and credits, less the late fees on it, are positive): a
//! statement that only carries an earlier balance forward, as those of a switched-off
//! service do (`billing::bill`, rule 8), gets none, so late fees never pile up month after
//! month on the same debt, nor on each other.

use billing::bill::SuspensionReason;
use billing::format::Formats;
use billing::{text, Currency, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;

use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::mail::{self, Notice};

/// What a dunning run did, by step.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Reminders sent.
    pub reminders: u64,
    /// Overdue notices sent.
    pub overdue_notices: u64,
    /// Late fees charged.
    pub late_fees: u64,
    /// Accounts suspended.
    pub suspensions: u64,
}

#[derive(sqlx::FromRow)]
struct Due {
    statement_id: i64,
    account_id: i64,
    statement_number: String,
    currency: String,
    due_on: NaiveDate,
    code: String,
    action: String,
    fee: Option<Decimal>,
}

/// Takes every dunning step due on `today` (provider-local).
pub async fn run(
    pool: &PgPool,
    config: &EngineConfig,
    today: NaiveDate,
) -> Result<Summary, EngineError> {
    let due: Vec<Due> = sqlx::query_as(
        "select s.id as statement_id, s.account_id, s.statement_number, s.currency::text as currency,
                s.due_on, st.code, st.action, st.fee
           from statements s
           join accounts a on a.id = s.account_id
           join dunning_steps st on st.enabled
                                and s.due_on + st.days_after_due <= $1
                                and (st.action <> 'reminder' or ($1 <= s.due_on and not a.autopay))
          where s.status = 'open' and s.total_due > 0
            and a.billing_mode <> 'prepaid' and a.status <> 'closed'
            and (st.action <> 'late_fee'
                 or s.total_charges + s.total_tax + s.total_credits
                    > coalesce((select sum(o.amount) from one_time_charges o
                                 where o.statement_id = s.id and o.kind = 'late_fee'), 0))
            and not exists (select 1 from dunning_actions d
                             where d.statement_id = s.id and d.step_code = st.code)
          order by s.account_id, st.days_after_due",
    )
    .bind(today)
    .fetch_all(pool)
    .await?;

    let mut summary = Summary::default();
    for step in due {
        let mut tx = pool.begin().await?;
        // Lock the account, then see what is owed on the statement now: an amount under
        // dispute is held, and only the rest is pursued.
        sqlx::query("select 1 from accounts where id = $1 for update")
            .bind(step.account_id)
            .execute(&mut *tx)
            .await?;
        let outstanding = crate::owed::of_account(&mut tx, step.account_id)
            .await?
            .on_statement(step.statement_id)
            .amount();
        if outstanding <= Decimal::ZERO {
            tx.rollback().await?;
            continue;
        }
        let taken = sqlx::query(
            "insert into dunning_actions (statement_id, account_id, step_code, taken_on)
             values ($1, $2, $3, $4) on conflict do nothing",
        )
        .bind(step.statement_id)
        .bind(step.account_id)
        .bind(&step.code)
        .bind(today)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken == 0 {
            // Another instance took it first.
            tx.rollback().await?;
            continue;
        }
        let currency = Currency::parse(&step.currency).map_err(|e| {
            EngineError::Invalid(format!("statement {}: {e}", step.statement_number))
        })?;
        let money = |amount: Decimal| text::money(Money::new(amount, currency));
        let amount = money(outstanding);
        let due_day = text::day(step.due_on);
        let number = &step.statement_number;
        let link = format!("{}/statements/{}", config.public_url, step.statement_id);
        // The history event is stored in English; the email is written the recipient's way.
        let to = mail::recipient(&mut tx, step.account_id).await?;
        let (w, f) = match &to {
            Some(to) => (to.words(), to.formats()),
            None => (&mail::words::EN, Formats::new("en-US")),
        };
        let their_money = |amount: Decimal| f.money(&Money::new(amount, currency));
        let (their_amount, their_due) = (their_money(outstanding), f.date(step.due_on));
        let (summary_text, subject, paragraphs, kind) = match step.action.as_str() {
            "reminder" => {
                summary.reminders += 1;
                (
                    format!(
                        "Payment reminder sent: {amount} on statement {number} is due {due_day}"
                    ),
                    (w.reminder_subject)(&their_amount, &their_due),
                    vec![
                        (w.reminder)(&their_amount, number, &their_due),
                        w.reminder_if_paid.to_string(),
                    ],
                    "dunning_reminder",
                )
            }
            "overdue_notice" => {
                summary.overdue_notices += 1;
                (
                    format!(
                        "Overdue notice sent: {amount} on statement {number} was due {due_day}"
                    ),
                    (w.overdue_subject)(&their_amount),
                    vec![
                        (w.overdue)(&their_amount, &their_due, number),
                        w.overdue_pay.to_string(),
                    ],
                    "dunning_overdue",
                )
            }
            "late_fee" => {
                summary.late_fees += 1;
                let fee = step.fee.unwrap_or_default();
                sqlx::query(
                    "insert into one_time_charges (account_id, currency, description, amount, charge_on, kind)
                     values ($1, $2, $3, $4, $5, 'late_fee')",
                )
                .bind(step.account_id)
                .bind(&step.currency)
                .bind(format!("Late payment fee (statement {number})"))
                .bind(fee)
                .bind(today)
                .execute(&mut *tx)
                .await?;
                let their_fee = their_money(fee);
                let fee = money(fee);
                (
                    format!("Late fee of {fee} charged: {amount} on statement {number} was due {due_day}"),
                    (w.late_fee_subject)(&their_fee),
                    vec![
                        (w.late_fee)(&their_amount, &their_due, number, &their_fee),
                        w.late_fee_pay.to_string(),
                    ],
                    "dunning_late_fee",
                )
            }
            _ => {
                let suspended = crate::suspensions::suspend(
                    &mut tx,
                    step.account_id,
                    SuspensionReason::NonPayment,
                    today,
                )
                .await?;
                if suspended.is_empty() {
                    tx.commit().await?;
                    continue;
                }
                summary.suspensions += 1;
                sqlx::query(
                    "insert into service_events (account_id, service_id, kind, summary, detail)
                     select $1, id, 'suspension', $2, $3 from unnest($4::bigint[]) as id",
                )
                .bind(step.account_id)
                .bind(format!("Service suspended: {amount} overdue since {due_day}"))
                .bind(serde_json::json!({ "reason": "non_payment", "statement_id": step.statement_id }))
                .bind(&suspended)
                .execute(&mut *tx)
                .await?;
                (
                    String::new(),
                    w.suspended_subject.to_string(),
                    vec![
                        (w.suspended)(&their_amount, number, &their_due),
                        w.suspended_pay.to_string(),
                    ],
                    "dunning_suspension",
                )
            }
        };
        if !summary_text.is_empty() {
            sqlx::query(
                "insert into service_events (account_id, kind, summary, detail)
                 values ($1, 'dunning', $2, $3)",
            )
            .bind(step.account_id)
            .bind(&summary_text)
            .bind(serde_json::json!({ "statement_id": step.statement_id, "step": step.code }))
            .execute(&mut *tx)
            .await?;
        }
        if let Some(to) = &to {
            let email = Notice {
                kind,
                account_id: step.account_id,
                to: &to.email,
                first_name: &to.first_name,
                words: w,
                subject,
                paragraphs,
                link: Some((w.pay_now, link)),
            }
            .render(config)?;
            mail::enqueue_all(&mut tx, &[email]).await?;
        }
        tx.commit().await?;
    }
    Ok(summary)
}

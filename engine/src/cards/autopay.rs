//! Autopay: after a bill run, what is owed on each new statement of an account that opted
//! in ([`crate::owed`]: never an amount under dispute) is charged off-session to its
//! default card.
//!
//! Each statement is charged at most once: the payment's key is `autopay:<statement id>`,
//! written before Stripe is called. A card the bank wants authenticated leaves the
//! payment `requires_action`: the subscriber is emailed and the portal shows a notice with
//! a link to finish it. A declined card is emailed too, and the statement stays open for
//! dunning as any other.
//!
//! A stop (the instance shutting down, Ctrl-C) is heeded between statements, never in the
//! middle of one: the charge under way is recorded, no other starts, and the run ends with
//! [`EngineError::Stopped`]. The statements left are charged by the next run (the bill run
//! job is handed back and run again; its bill run then finds every account billed).

use billing::Money;
use chrono::NaiveDate;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::payments::{charge, ensure_customer};
use super::{PaymentState, Stripe};
use crate::config::EngineConfig;
use crate::error::EngineError;

/// What an autopay run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub charged: u64,
    pub succeeded: u64,
    pub needs_action: u64,
    pub failed: u64,
    /// Stripe unreachable: left for the next run.
    pub deferred: u64,
    /// What was taken, one sum per currency (amounts in two currencies do not add up).
    pub totals: Vec<Money>,
}

impl Summary {
    fn taken(&mut self, amount: Money) {
        match self
            .totals
            .iter_mut()
            .find(|t| t.currency() == amount.currency())
        {
            Some(total) => *total = Money::new(total.amount() + amount.amount(), amount.currency()),
            None => self.totals.push(amount),
        }
    }

    /// "$64.95", "$64.95 + £12.00", or "nothing".
    pub fn totals_text(&self) -> String {
        if self.totals.is_empty() {
            return "nothing".into();
        }
        self.totals
            .iter()
            .map(|t| billing::text::money(*t))
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// Statements issued on `date` or up to a week before (a run that missed a day catches up)
/// that are open, on autopay accounts with a default card, and not yet charged. What is
/// owed on each is decided by [`crate::owed`].
const DUE: &str = "
    select s.id, s.account_id, m.stripe_payment_method_id
      from statements s
      join accounts a on a.id = s.account_id and a.autopay
      join payment_methods m on m.account_id = a.id and m.is_default and m.removed_at is null
     where s.status = 'open' and s.total_due > 0
       and s.issued_on between $1::date - 7 and $1::date
       and not exists (select 1 from payments p where p.idempotency_key = 'autopay:' || s.id
                          and (p.status <> 'pending' or p.stripe_payment_intent_id is not null))
       and ($2::text is null or a.account_number = $2)
     order by s.id";

/// Charges the autopay statements due on `date` (of one account, when a number is given),
/// until `stop` is cancelled.
pub async fn run(
    pool: &PgPool,
    stripe: &Stripe,
    config: &EngineConfig,
    date: NaiveDate,
    account_number: Option<&str>,
    stop: &CancellationToken,
) -> Result<Summary, EngineError> {
    let due: Vec<(i64, i64, String)> = sqlx::query_as(DUE)
        .bind(date)
        .bind(account_number)
        .fetch_all(pool)
        .await?;
    let mut summary = Summary::default();
    for (statement_id, account_id, method) in due {
        if stop.is_cancelled() {
            return Err(EngineError::Stopped);
        }
        let mut conn = pool.acquire().await?;
        let owed = crate::owed::of_account(&mut conn, account_id)
            .await?
            .on_statement(statement_id);
        drop(conn);
        if !owed.is_positive() {
            continue;
        }
        let amount = owed.amount();
        let inserted: Option<i64> = sqlx::query_scalar(
            "insert into payments (account_id, currency, amount, method, status, statement_id,
                                   payment_method_id, idempotency_key, source, card_brand, card_last4)
             select a.id, a.currency, $3, 'autopay', 'pending', $2, m.id, 'autopay:' || $2, 'autopay',
                    m.brand, m.last4
               from accounts a join payment_methods m on m.account_id = a.id and m.is_default
              where a.id = $1
             on conflict (idempotency_key) do nothing
             returning id",
        )
        .bind(account_id)
        .bind(statement_id)
        .bind(amount)
        .fetch_optional(pool)
        .await?;
        let payment_id = match inserted {
            Some(id) => id,
            None => {
                // Written by an earlier run that could not reach Stripe: try it again.
                // Not one Stripe left unanswered more than 20 hours ago: Stripe keeps an
                // idempotency key for 24, and after that the same request could charge
                // again. Those wait for Stripe's webhook or an operator.
                let waiting: Option<i64> = sqlx::query_scalar(
                    "select id from payments where idempotency_key = 'autopay:' || $1
                        and status = 'pending' and stripe_payment_intent_id is null
                        and (stripe_unanswered_at is null
                             or stripe_unanswered_at > now() - interval '20 hours')",
                )
                .bind(statement_id)
                .fetch_optional(pool)
                .await?;
                match waiting {
                    Some(id) => id,
                    None => continue, // another run took it
                }
            }
        };
        summary.charged += 1;
        let customer = match ensure_customer(pool, stripe, account_id).await {
            Ok(c) => c,
            Err(EngineError::Stripe(e)) => {
                tracing::warn!(statement_id, error = %e, "autopay: Stripe unreachable");
                summary.deferred += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        match charge(
            pool, stripe, config, account_id, payment_id, &method, &customer, true,
        )
        .await
        {
            Ok(result) => match result.state {
                PaymentState::Succeeded => {
                    summary.succeeded += 1;
                    summary.taken(owed);
                }
                PaymentState::RequiresAction => summary.needs_action += 1,
                PaymentState::Failed | PaymentState::Cancelled => summary.failed += 1,
                PaymentState::Pending => summary.deferred += 1,
            },
            Err(EngineError::Stripe(e)) => {
                // The payment row stays pending with its key: the next attempt reuses the
                // idempotency key, so Stripe never charges twice.
                tracing::warn!(statement_id, error = %e, "autopay: Stripe unreachable");
                summary.deferred += 1;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(summary)
}

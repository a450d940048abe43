//! Bill runs: every account whose cycle day is the run date gets its statement, exactly
//! once.
//!
//! # Exactly once
//!
//! * The accounts due on a date are those whose period starts that day and that have no
//!   statement for it yet. They are billed in batches, each in one transaction that
//!   locks its accounts (in id order) and checks again that each is still unbilled.
//! * A second run for the same date, at once or later, waits on those locks and then finds
//!   the accounts billed; a run killed part-way leaves whole batches or nothing, and the
//!   next run bills what is left.
//! * Behind the code, the schema refuses a second statement for an account and period, a
//!   day of service charged twice, and a ledger entry posted twice (its idempotency key is
//!   the statement number and line).
//!
//! Each statement's lines are posted to the ledger in the same transaction; entries already
//! in the ledger (payments, credits) are linked to the statement that shows them.
//!
//! # What a run says
//!
//! Accounts not billed are counted by [`SkipReason`]; an account that cannot be billed
//! (its data makes no valid statement) does not stop the others and is reported by its
//! account number, and the run is then recorded as `partial` rather than `done`. Statements
//! are issued in date order: a date before an account's latest statement, or before any of
//! its services was active, bills nothing for it.
//!
//! Prepaid and hybrid accounts pay the plan from their balance at the start of the
//! period; when the balance does not cover it, the services are switched off from the
//! period's first day and the period is not charged (`billing::bill`, rule 8).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use billing::bill::{compose, Bill, BillFacts, Source, Suspension, SuspensionReason};
use billing::{period_containing, text, Currency, LineKind, Money};
use chrono::NaiveDate;
use futures::{stream, StreamExt, TryStreamExt};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::facts::{self, Account};
use crate::mail;

/// Accounts whose period starts on the date `$1`: their cycle day is that day of the month,
/// or later than the month's last day when the date is the last day (day 31 bills on
/// 30 April and on 28 or 29 February). Written as one range of cycle days, so that it is
/// read from `accounts_billing_cycle_day_idx` rather than by reading every account.
const DUE_ON_DATE: &str = "(a.billing_cycle_day between extract(day from $1::date)::smallint
      and (case when extract(day from $1::date + 1) = 1 then 31
                else extract(day from $1::date) end)::smallint)";

/// An account gets a statement when a service runs or ended within the last month (its last
/// usage is still to bill), a cancelled service's unused days are still to refund, or a
/// charge or a payment dated on or before the issue date waits to be shown. Long-closed
/// services with nothing new do not produce empty statements month after month, and a date
/// before a service was active bills nothing.
const HAS_SOMETHING_TO_BILL: &str = "(exists (select 1 from services s where s.account_id = a.id
                        and s.status <> 'pending' and s.activated_on <= $1::date
                        and (s.cancelled_on is null or s.cancelled_on > $1::date - 31))
      or exists (select 1 from services s where s.account_id = a.id and s.cancelled_on is not null
                  and not exists (select 1 from service_charges r where r.service_id = s.id and r.kind = 'refund')
                  and s.cancelled_on < greatest((select max(c.period_end) from service_charges c
                                                  where c.service_id = s.id and c.kind = 'charge'),
                                                 s.legacy_charged_through))
      or exists (select 1 from ledger_entries_pending p join ledger_entries l on l.id = p.ledger_entry_id
                  where p.account_id = a.id and l.effective_on <= $1::date)
      or exists (select 1 from one_time_charges o where o.account_id = a.id and o.statement_id is null
                  and o.posted_entry_id is null and o.charge_on <= $1::date))";

/// An account with a statement for a period after the date `$1`: statements are issued in
/// date order, so none can come before it.
const LATER_STATEMENT: &str = "(exists (select 1 from statements x where x.account_id = a.id
                                     and x.period_start > $1::date))";

/// An account whose services all start after the date `$1` (and that has no statement
/// yet): the date is before its history.
const NOT_YET_ACTIVE: &str = "(not exists (select 1 from statements x where x.account_id = a.id)
      and exists (select 1 from services s where s.account_id = a.id and s.activated_on > $1::date))";

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The provider-local date statements are issued on.
    pub date: NaiveDate,
    /// Compute and report everything, write nothing.
    pub dry_run: bool,
    /// Only this account (by account number).
    pub account: Option<String>,
    /// Who started it ("scheduler", "cli"), as recorded in `bill_runs`.
    pub started_by: String,
    /// Cancelled when the instance stops (or Ctrl-C): no batch starts after it, the batches
    /// in hand run to their commit, and the run ends as failed with [`EngineError::Stopped`].
    pub stop: CancellationToken,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// The run date.
    pub date: Option<NaiveDate>,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Statements written (or, in a dry run, that would be).
    pub billed: u64,
    /// Accounts not billed, by reason.
    pub skipped: Vec<Skipped>,
    /// Sums over the statements, per currency: charges, tax, total due.
    pub totals: Vec<CurrencyTotals>,
    /// Prepaid and hybrid accounts suspended because their balance did not cover the plan.
    pub suspended: u64,
    /// Accounts that could not be billed, with why (everything else was billed).
    pub failed: Vec<Failure>,
    /// How long it took, in milliseconds.
    pub elapsed_ms: u64,
    /// The statements, when one account was asked for (for printing).
    pub statements: Vec<Bill>,
}

/// Why accounts due on the date were not billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The statement for this period exists.
    AlreadyBilled,
    /// A statement for a later period exists: statements are issued in date order.
    LaterStatement,
    /// No service of the account was active yet on the date, and it has no statement.
    NotYetActive,
    /// No service, charge or payment to bill.
    NothingToBill,
    /// The account is closed.
    Closed,
}

impl SkipReason {
    /// The reason in words, as the summary prints it.
    pub fn text(&self) -> &'static str {
        match self {
            SkipReason::AlreadyBilled => "already billed for this date",
            SkipReason::LaterStatement => {
                "already billed for a later date (statements are issued in date order)"
            }
            SkipReason::NotYetActive => "no service active yet on this date",
            SkipReason::NothingToBill => "nothing to bill (no service, charge or payment)",
            SkipReason::Closed => "account closed",
        }
    }
}

/// How many accounts were not billed for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Why.
    pub reason: SkipReason,
    /// How many accounts.
    pub accounts: u64,
}

/// An account that could not be billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Its account number.
    pub account_number: String,
    /// Why, as the engine reported it.
    pub error: String,
}

/// Sums in one currency.
#[derive(Debug, Clone, Serialize)]
pub struct CurrencyTotals {
    /// The currency.
    pub currency: Currency,
    /// Charges (after discounts).
    pub charges: Money,
    /// Tax.
    pub tax: Money,
    /// Total due over the statements.
    pub total_due: Money,
}

/// Reports progress: called with (accounts done, accounts due) after each batch.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Runs a bill run. See the module documentation for what "exactly once" means here.
pub async fn run(
    pool: &PgPool,
    config: &EngineConfig,
    options: &RunOptions,
    progress: Option<Progress>,
) -> Result<Summary, EngineError> {
    let started = Instant::now();
    if options.stop.is_cancelled() {
        return Err(EngineError::Stopped);
    }
    let date = options.date;
    let mut skipped: Vec<Skipped> = Vec::new();

    // (id, account number) of the accounts to bill.
    let due: Vec<(i64, String)> = match &options.account {
        Some(number) => {
            let row: Option<(i64, i16, String, bool)> = sqlx::query_as(&format!(
                "select a.id, a.billing_cycle_day, a.status,
                        not {HAS_SOMETHING_TO_BILL} and {NOT_YET_ACTIVE}
                   from accounts a where a.account_number = $2"
            ))
            .bind(date)
            .bind(number)
            .fetch_optional(pool)
            .await?;
            let Some((id, day, status, not_yet_active)) = row else {
                return Err(EngineError::NoSuchAccount(number.clone()));
            };
            let cycle = u8::try_from(day)
                .ok()
                .and_then(|d| billing::CycleDay::new(d).ok())
                .ok_or_else(|| EngineError::bad_data(number, "billing cycle day out of range"))?;
            let period = period_containing(date, cycle);
            if period.start != date {
                return Err(not_its_cycle_day(pool, id, number, cycle, date).await?);
            }
            if status == "closed" {
                skipped.push(Skipped {
                    reason: SkipReason::Closed,
                    accounts: 1,
                });
                vec![]
            } else if not_yet_active {
                skipped.push(Skipped {
                    reason: SkipReason::NotYetActive,
                    accounts: 1,
                });
                vec![]
            } else {
                vec![(id, number.clone())]
            }
        }
        None => {
            let (closed, later, not_yet_active, none_active): (i64, i64, i64, i64) =
                sqlx::query_as(&format!(
                    "select count(*) filter (where a.status = 'closed'),
                        count(*) filter (where a.status <> 'closed' and not ({HAS_SOMETHING_TO_BILL})
                                           and {LATER_STATEMENT}),
                        count(*) filter (where a.status <> 'closed' and not ({HAS_SOMETHING_TO_BILL})
                                           and {NOT_YET_ACTIVE}),
                        count(*) filter (where a.status <> 'closed' and not ({HAS_SOMETHING_TO_BILL})
                                           and not {LATER_STATEMENT} and not {NOT_YET_ACTIVE})
                   from accounts a
                  where {DUE_ON_DATE}"
                ))
                .bind(date)
                .fetch_one(pool)
                .await?;
            for (reason, n) in [
                (SkipReason::Closed, closed),
                (SkipReason::LaterStatement, later),
                (SkipReason::NotYetActive, not_yet_active),
                (SkipReason::NothingToBill, none_active),
            ] {
                if n > 0 {
                    skipped.push(Skipped {
                        reason,
                        accounts: n as u64,
                    });
                }
            }
            sqlx::query_as(&format!(
                "select a.id, a.account_number from accounts a
                  where {DUE_ON_DATE} and a.status <> 'closed' and {HAS_SOMETHING_TO_BILL}
                  order by a.id"
            ))
            .bind(date)
            .fetch_all(pool)
            .await?
        }
    };
    let numbers: HashMap<i64, String> = due.iter().cloned().collect();
    let ids: Vec<i64> = due.into_iter().map(|(id, _)| id).collect();
    let failure = |id: i64, error: &EngineError| Failure {
        account_number: numbers.get(&id).cloned().unwrap_or_else(|| id.to_string()),
        error: match error {
            // The account is named already; say only what is wrong.
            EngineError::Bill { source, .. } => source.to_string(),
            EngineError::BadData { what, .. } => what.clone(),
            other => other.to_string(),
        },
    };

    let run_id: Option<i64> = if options.dry_run {
        None
    } else {
        Some(
            sqlx::query_scalar(
                "insert into bill_runs (run_date, started_by) values ($1, $2) returning id",
            )
            .bind(date)
            .bind(&options.started_by)
            .fetch_one(pool)
            .await?,
        )
    };

    let due = ids.len() as u64;
    let done = Arc::new(AtomicU64::new(0));
    let keep_bills = options.account.is_some();
    let chunks: Vec<Vec<i64>> = ids
        .chunks(config.batch_size.max(1))
        .map(|c| c.to_vec())
        .collect();
    let batches = chunks.len();
    let results: Result<Vec<BatchOutcome>, EngineError> = stream::iter(chunks)
        // Asked to stop: no batch starts after it, and those in hand run to their commit
        // (failing one here would drop the others mid-transaction).
        .take_while(|_| futures::future::ready(!options.stop.is_cancelled()))
        .map(|chunk| {
            let done = done.clone();
            let progress = progress.clone();
            async move {
                let n = chunk.len() as u64;
                let outcome = match bill_batch(
                    pool,
                    config,
                    &chunk,
                    date,
                    run_id,
                    options.dry_run,
                    keep_bills,
                )
                .await
                {
                    Ok(outcome) => outcome,
                    // One account's bad data must not hold up the others: bill the batch again
                    // one account at a time and report the ones that fail. A database that
                    // cannot be reached fails the run instead.
                    Err(EngineError::Database(e)) if !is_data_error(&e) => {
                        return Err(EngineError::Database(e))
                    }
                    Err(_) if chunk.len() > 1 => {
                        let mut merged = BatchOutcome::default();
                        for id in &chunk {
                            match bill_batch(
                                pool,
                                config,
                                &[*id],
                                date,
                                run_id,
                                options.dry_run,
                                keep_bills,
                            )
                            .await
                            {
                                Ok(one) => merged.absorb(one),
                                Err(EngineError::Database(e)) if !is_data_error(&e) => {
                                    return Err(EngineError::Database(e))
                                }
                                Err(e) => merged.failed.push(failure(*id, &e)),
                            }
                        }
                        merged
                    }
                    Err(e) => BatchOutcome {
                        failed: vec![failure(chunk[0], &e)],
                        ..BatchOutcome::default()
                    },
                };
                let so_far = done.fetch_add(n, Ordering::Relaxed) + n;
                if let Some(p) = &progress {
                    p(so_far, due);
                }
                if !config.pause_between_batches.is_zero() {
                    tokio::time::sleep(config.pause_between_batches).await;
                }
                Ok::<_, EngineError>(outcome)
            }
        })
        .buffer_unordered(config.workers.max(1))
        .try_collect()
        .await;
    // Stopped part-way: what the batches committed stays, and the run says it did not finish.
    let results = results.and_then(|outcomes: Vec<BatchOutcome>| {
        if outcomes.len() < batches {
            Err(EngineError::Stopped)
        } else {
            Ok(outcomes)
        }
    });

    let outcomes = match results {
        Ok(o) => o,
        Err(e) => {
            if let Some(id) = run_id {
                // Best effort: the run's own record of why it stopped.
                let _ = sqlx::query(
                    "update bill_runs set status = 'failed', finished_at = now(), last_error = $2 where id = $1",
                )
                .bind(id)
                .bind(e.to_string())
                .execute(pool)
                .await;
            }
            return Err(e);
        }
    };

    let mut summary = Summary {
        date: Some(date),
        dry_run: options.dry_run,
        ..Summary::default()
    };
    let mut totals: HashMap<Currency, (Decimal, Decimal, Decimal)> = HashMap::new();
    let (mut already, mut later) = (0, 0);
    for outcome in outcomes {
        summary.billed += outcome.billed;
        summary.suspended += outcome.suspended;
        already += outcome.already_billed;
        later += outcome.later_statement;
        summary.failed.extend(outcome.failed);
        for (c, charges, tax, due) in outcome.totals {
            let t = totals.entry(c).or_default();
            t.0 += charges;
            t.1 += tax;
            t.2 += due;
        }
        summary.statements.extend(outcome.bills);
    }
    for (reason, accounts) in [
        (SkipReason::LaterStatement, later),
        (SkipReason::AlreadyBilled, already),
    ] {
        if accounts == 0 {
            continue;
        }
        match skipped.iter_mut().find(|s| s.reason == reason) {
            Some(s) => s.accounts += accounts,
            None => skipped.push(Skipped { reason, accounts }),
        }
    }
    skipped.sort_by_key(|s| s.reason);
    summary
        .failed
        .sort_by(|a, b| a.account_number.cmp(&b.account_number));
    summary.skipped = skipped;
    let mut totals: Vec<_> = totals.into_iter().collect();
    totals.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    summary.totals = totals
        .into_iter()
        .map(|(currency, (charges, tax, total_due))| CurrencyTotals {
            currency,
            charges: Money::new(charges, currency),
            tax: Money::new(tax, currency),
            total_due: Money::new(total_due, currency),
        })
        .collect();
    summary.elapsed_ms = started.elapsed().as_millis() as u64;

    if let Some(id) = run_id {
        let skipped_count: u64 = summary.skipped.iter().map(|s| s.accounts).sum();
        let total_due: Decimal = summary.totals.iter().map(|t| t.total_due.amount()).sum();
        sqlx::query(
            "update bill_runs set status = $2, finished_at = now(), accounts_billed = $3,
                    accounts_skipped = $4, accounts_failed = $5, total_due = $6, last_error = $7
              where id = $1",
        )
        .bind(id)
        .bind(if summary.failed.is_empty() {
            "done"
        } else {
            "partial"
        })
        .bind(i32::try_from(summary.billed).unwrap_or(i32::MAX))
        .bind(i32::try_from(skipped_count).unwrap_or(i32::MAX))
        .bind(i32::try_from(summary.failed.len()).unwrap_or(i32::MAX))
        .bind(total_due)
        .bind((!summary.failed.is_empty()).then(|| failures_text(&summary.failed)))
        .execute(pool)
        .await?;
    }
    Ok(summary)
}

/// "2 accounts could not be billed: 30000007 (an amount in EUR on an account billed in
/// USD); 30000011 (...)", the first 20 named.
pub fn failures_text(failed: &[Failure]) -> String {
    let named: Vec<String> = failed
        .iter()
        .take(20)
        .map(|f| format!("{} ({})", f.account_number, f.error))
        .collect();
    let more = failed.len().saturating_sub(named.len());
    format!(
        "{} could not be billed: {}{}",
        text::plural(failed.len() as u64, "account", "accounts"),
        named.join("; "),
        if more > 0 {
            format!("; and {more} more")
        } else {
            String::new()
        }
    )
}

/// The refusal of `--account` on a day that is not the account's cycle day: which day is,
/// and whether this period's statement is still to issue (then that is the one to run).
async fn not_its_cycle_day(
    pool: &PgPool,
    account_id: i64,
    number: &str,
    cycle: billing::CycleDay,
    date: NaiveDate,
) -> Result<EngineError, EngineError> {
    let period = period_containing(date, cycle);
    let issued: bool = sqlx::query_scalar(
        "select exists (select 1 from statements where account_id = $1 and period_start = $2)",
    )
    .bind(account_id)
    .bind(period.start)
    .fetch_one(pool)
    .await?;
    let day = cycle.get();
    let cycle_text = if day >= 29 {
        format!(
            "the {} (or the month's last day)",
            text::ordinal(day.into())
        )
    } else {
        format!("the {}", text::ordinal(day.into()))
    };
    let next = if issued {
        format!(
            "its statement for this period was issued on {}; the next is due on {}",
            period.start, period.end
        )
    } else {
        format!(
            "its statement for this period was due on {} and has not been issued: bill it with --date {}",
            period.start, period.start
        )
    };
    Ok(EngineError::Invalid(format!(
        "{date} is not a billing day of account {number}, which is billed on {cycle_text} of each month: {next}"
    )))
}

#[derive(Default)]
struct BatchOutcome {
    billed: u64,
    /// Per currency: charges, tax, total due.
    totals: Vec<(Currency, Decimal, Decimal, Decimal)>,
    /// The statements themselves, only when asked for.
    bills: Vec<Bill>,
    already_billed: u64,
    later_statement: u64,
    suspended: u64,
    /// Accounts that could not be billed.
    failed: Vec<Failure>,
}

impl BatchOutcome {
    fn absorb(&mut self, other: BatchOutcome) {
        self.billed += other.billed;
        for (c, charges, tax, due) in other.totals {
            match self.totals.iter_mut().find(|t| t.0 == c) {
                Some(t) => {
                    t.1 += charges;
                    t.2 += tax;
                    t.3 += due;
                }
                None => self.totals.push((c, charges, tax, due)),
            }
        }
        self.bills.extend(other.bills);
        self.already_billed += other.already_billed;
        self.later_statement += other.later_statement;
        self.suspended += other.suspended;
        self.failed.extend(other.failed);
    }
}

/// Whether a database error is about the data (a constraint, a bad value) rather than the
/// database being unreachable.
fn is_data_error(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::Database(_) | sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_)
    )
}

/// Bills one batch in one transaction (rolled back in a dry run).
async fn bill_batch(
    pool: &PgPool,
    config: &EngineConfig,
    ids: &[i64],
    date: NaiveDate,
    run_id: Option<i64>,
    dry_run: bool,
    keep_bills: bool,
) -> Result<BatchOutcome, EngineError> {
    let mut tx = pool.begin().await?;
    // Scheduled plan changes due by today first, so the statement bills the new plans.
    crate::plan_changes::apply_due(&mut tx, ids, date).await?;
    let batch = facts::load(&mut tx, ids, date, config.payment_terms_days, true).await?;
    let mut composed = Vec::with_capacity(batch.accounts.len());
    let mut balances = Vec::with_capacity(batch.accounts.len());
    let (mut already_billed, mut later_statement) = (0, 0);
    for (account, mut facts) in batch.accounts {
        if account.later_statement.is_some() {
            later_statement += 1;
            continue;
        }
        if account.billed_for_period || facts.period.start != date {
            already_billed += 1;
            continue;
        }
        let bill_error = |source| EngineError::Bill {
            account_number: account.number.clone(),
            source,
        };
        let balance = if account.mode.plan_from_balance() {
            Some(pay_plan_from_balance(&mut facts).map_err(bill_error)?)
        } else {
            None
        };
        let bill = compose(&facts).map_err(bill_error)?;
        composed.push((account, bill));
        balances.push(balance);
    }
    let suspended = write(&mut tx, config, &composed, &balances, run_id).await?;
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    let mut totals: Vec<(Currency, Decimal, Decimal, Decimal)> = Vec::new();
    for (_, b) in &composed {
        let c = b.totals.total_due.currency();
        let i = match totals.iter().position(|t| t.0 == c) {
            Some(i) => i,
            None => {
                totals.push((c, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO));
                totals.len() - 1
            }
        };
        totals[i].1 += b.totals.charges.amount();
        totals[i].2 += b.totals.tax.amount();
        totals[i].3 += b.totals.total_due.amount();
    }
    Ok(BatchOutcome {
        billed: composed.len() as u64,
        totals,
        bills: if keep_bills {
            composed.into_iter().map(|(_, b)| b).collect()
        } else {
            vec![]
        },
        already_billed,
        later_statement,
        suspended,
        failed: vec![],
    })
}

/// Whether a prepaid or hybrid balance pays the period's plan.
enum Balance {
    /// It does, leaving this much in credit.
    Covers(Decimal),
    /// It is this much short: the services are switched off from the period's first day.
    Short(Decimal),
}

/// What the balance had before the plan: the previous total due and what the ledger
/// received since (negative: in credit).
fn before_plan(bill: &Bill) -> Decimal {
    bill.totals.previous_balance.amount()
        + bill
            .lines
            .iter()
            .filter(|l| matches!(l.source, Source::Received(_)))
            .map(|l| l.amount.amount())
            .sum::<Decimal>()
}

/// Decides whether the balance pays the plan for `facts.period` (a service off for its
/// balance counts as back on the period's first day), and leaves `facts` as the period will
/// be billed: when it does not, every service that would run is switched off from the
/// period's first day, so the period is not charged (`billing::bill`, rule 8).
fn pay_plan_from_balance(facts: &mut BillFacts) -> Result<Balance, billing::bill::BillError> {
    let day = facts.period.start;
    let off_for_balance =
        |s: &Suspension| s.reason == SuspensionReason::PrepaidBalance && s.until.is_none();
    let mut on_again = facts.clone();
    for service in &mut on_again.services {
        for s in service
            .suspensions
            .iter_mut()
            .filter(|s| off_for_balance(s))
        {
            s.until = Some(day);
        }
    }
    let bill = compose(&on_again)?;
    let after_plan = before_plan(&bill) + bill.from_balance.amount();
    if after_plan <= Decimal::ZERO {
        *facts = on_again;
        return Ok(Balance::Covers(-after_plan));
    }
    for service in &mut facts.services {
        let runs = service.activated_on.is_some_and(|a| a <= day)
            && service.cancelled_on.is_none_or(|c| c > day)
            && !service.suspensions.iter().any(|s| s.until.is_none());
        if runs {
            service.suspensions.push(Suspension {
                reason: SuspensionReason::PrepaidBalance,
                from: day,
                until: None,
            });
        }
    }
    Ok(Balance::Short(after_plan))
}

/// Writes the statements of a batch: headers, lines, ledger entries, links, charged days,
/// billed one-time charges, history events, emails, and prepaid consequences. Returns how
/// many accounts were suspended for a prepaid balance that ran out.
async fn write(
    conn: &mut PgConnection,
    config: &EngineConfig,
    bills: &[(Account, Bill)],
    balances: &[Option<Balance>],
    run_id: Option<i64>,
) -> Result<u64, EngineError> {
    if bills.is_empty() {
        return Ok(0);
    }
    // Headers.
    let mut h_account = Vec::with_capacity(bills.len());
    let mut h_currency = Vec::new();
    let mut h_number = Vec::new();
    let mut h_start = Vec::new();
    let mut h_end = Vec::new();
    let mut h_due = Vec::new();
    let mut h_prev = Vec::new();
    let mut h_charges = Vec::new();
    let mut h_tax = Vec::new();
    let mut h_payments = Vec::new();
    let mut h_credits = Vec::new();
    let mut h_total = Vec::new();
    for (a, b) in bills {
        h_account.push(a.id);
        h_currency.push(a.currency.as_str().to_string());
        h_number.push(statement_number(&a.number, b.issued_on));
        h_start.push(b.period.start);
        h_end.push(b.period.end);
        h_due.push(b.due_on);
        h_prev.push(b.totals.previous_balance.amount());
        h_charges.push(b.totals.charges.amount());
        h_tax.push(b.totals.tax.amount());
        h_payments.push(b.totals.payments.amount());
        h_credits.push(b.totals.credits.amount());
        h_total.push(b.totals.total_due.amount());
    }
    let ids: Vec<(i64, i64)> = sqlx::query_as(
        "insert into statements (account_id, currency, statement_number, period_start, period_end,
                                 issued_on, due_on, previous_balance, total_charges, total_tax,
                                 total_payments, total_credits, total_due, status, paid_at, bill_run_id)
         select account_id, currency, number, p_start, p_end, p_start, due, prev, charges, tax,
                payments, credits, total,
                case when total <= 0 then 'paid' else 'open' end,
                case when total <= 0 then now() end,
                $13
           from unnest($1::bigint[], $2::text[], $3::text[], $4::date[], $5::date[], $6::date[],
                       $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[],
                       $12::numeric[])
                as t(account_id, currency, number, p_start, p_end, due, prev, charges, tax,
                     payments, credits, total)
         returning account_id, id",
    )
    .bind(&h_account)
    .bind(&h_currency)
    .bind(&h_number)
    .bind(&h_start)
    .bind(&h_end)
    .bind(&h_due)
    .bind(&h_prev)
    .bind(&h_charges)
    .bind(&h_tax)
    .bind(&h_payments)
    .bind(&h_credits)
    .bind(&h_total)
    .bind(run_id)
    .fetch_all(&mut *conn)
    .await?;
    let statement_of: HashMap<i64, i64> = ids.into_iter().collect();

    // Lines, ledger entries, links, charged days, billed one-time charges.
    let mut l = LineColumns::default();
    let mut e = EntryColumns::default();
    let mut links: (Vec<i64>, Vec<i64>) = (vec![], vec![]);
    let mut charged = ChargeColumns::default();
    let mut one_time: (Vec<i64>, Vec<i64>) = (vec![], vec![]);
    let mut events = EventColumns::default();
    for ((a, b), number) in bills.iter().zip(&h_number) {
        let sid = statement_of[&a.id];
        for (i, line) in b.lines.iter().enumerate() {
            let line_no = i as i16 + 1;
            l.statement.push(sid);
            l.line_no.push(line_no);
            l.kind.push(line.kind.as_str().to_string());
            l.description.push(line.description.clone());
            l.service.push(line.service_id);
            l.start.push(line.period.map(|p| p.start));
            l.end.push(line.period.map(|p| p.end));
            l.quantity.push(line.quantity);
            l.unit_price.push(line.unit_price);
            l.amount.push(line.amount.amount());
            l.working.push(line.working.clone());
            if let Some(kind) = line.posts {
                e.account.push(a.id);
                e.currency.push(a.currency.as_str().to_string());
                e.kind.push(kind.as_str().to_string());
                e.amount.push(line.amount.amount());
                e.description.push(line.description.clone());
                e.effective.push(b.issued_on);
                e.statement.push(sid);
                e.key.push(format!("statement:{number}:{line_no}"));
            }
            match &line.source {
                Source::Received(entry) => {
                    links.0.push(*entry);
                    links.1.push(sid);
                }
                Source::ServiceDays { service_id, days } | Source::Refund { service_id, days } => {
                    charged.service.push(*service_id);
                    charged.account.push(a.id);
                    charged.statement.push(sid);
                    charged.kind.push(
                        if line.kind == LineKind::Credit {
                            "refund"
                        } else {
                            "charge"
                        }
                        .to_string(),
                    );
                    charged.start.push(days.start);
                    charged.end.push(days.end);
                }
                Source::OneTime(id) => {
                    one_time.0.push(*id);
                    one_time.1.push(sid);
                }
                Source::Usage { .. }
                | Source::Discount { .. }
                | Source::Tax
                | Source::OutageCredit { .. } => {}
            }
        }
        let due_text = if b.totals.total_due.is_positive() {
            format!(
                "{} due by {}",
                text::money(b.totals.total_due),
                text::day(b.due_on)
            )
        } else {
            "nothing to pay".to_string()
        };
        events.account.push(a.id);
        events.kind.push("statement".into());
        events
            .summary
            .push(format!("Statement {number} issued: {due_text}"));
        events
            .detail
            .push(serde_json::json!({ "statement_id": sid }).to_string());
    }

    sqlx::query(
        "insert into statement_lines (statement_id, line_no, kind, description, service_id,
                                      period_start, period_end, quantity, unit_price, amount,
                                      working)
         select * from unnest($1::bigint[], $2::smallint[], $3::text[], $4::text[], $5::bigint[],
                              $6::date[], $7::date[], $8::numeric[], $9::numeric[], $10::numeric[],
                              $11::text[])",
    )
    .bind(&l.statement)
    .bind(&l.line_no)
    .bind(&l.kind)
    .bind(&l.description)
    .bind(&l.service)
    .bind(&l.start)
    .bind(&l.end)
    .bind(&l.quantity)
    .bind(&l.unit_price)
    .bind(&l.amount)
    .bind(&l.working)
    .execute(&mut *conn)
    .await?;

    sqlx::query(
        "insert into ledger_entries (account_id, currency, kind, amount, description, effective_on,
                                     statement_id, idempotency_key)
         select * from unnest($1::bigint[], $2::text[], $3::text[], $4::numeric[], $5::text[],
                              $6::date[], $7::bigint[], $8::text[])",
    )
    .bind(&e.account)
    .bind(&e.currency)
    .bind(&e.kind)
    .bind(&e.amount)
    .bind(&e.description)
    .bind(&e.effective)
    .bind(&e.statement)
    .bind(&e.key)
    .execute(&mut *conn)
    .await?;

    if !links.0.is_empty() {
        sqlx::query(
            "with linked as (
                 insert into statement_ledger_entries (ledger_entry_id, statement_id)
                 select * from unnest($1::bigint[], $2::bigint[])
                 returning ledger_entry_id)
             delete from ledger_entries_pending where ledger_entry_id in (select ledger_entry_id from linked)",
        )
        .bind(&links.0)
        .bind(&links.1)
        .execute(&mut *conn)
        .await?;
    }

    sqlx::query(
        "insert into service_charges (service_id, account_id, statement_id, kind, period_start, period_end)
         select * from unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::date[], $6::date[])",
    )
    .bind(&charged.service)
    .bind(&charged.account)
    .bind(&charged.statement)
    .bind(&charged.kind)
    .bind(&charged.start)
    .bind(&charged.end)
    .execute(&mut *conn)
    .await?;

    if !one_time.0.is_empty() {
        sqlx::query(
            "update one_time_charges o set statement_id = t.statement_id
               from unnest($1::bigint[], $2::bigint[]) as t(id, statement_id)
              where o.id = t.id and o.statement_id is null",
        )
        .bind(&one_time.0)
        .bind(&one_time.1)
        .execute(&mut *conn)
        .await?;
    }

    // Ended outages: settled by this statement, credited or not (billing::bill, rule 9).
    let mut settled: (Vec<i64>, Vec<i64>, Vec<i64>) = (vec![], vec![], vec![]);
    for (a, b) in bills {
        for (outage, service) in &b.outages_settled {
            settled.0.push(*outage);
            settled.1.push(*service);
            settled.2.push(statement_of[&a.id]);
        }
    }
    if !settled.0.is_empty() {
        sqlx::query(
            "update outage_services o set settled_statement_id = t.statement_id
               from unnest($1::bigint[], $2::bigint[], $3::bigint[])
                    as t(outage_id, service_id, statement_id)
              where o.outage_id = t.outage_id and o.service_id = t.service_id
                and o.settled_statement_id is null",
        )
        .bind(&settled.0)
        .bind(&settled.1)
        .bind(&settled.2)
        .execute(&mut *conn)
        .await?;
    }

    // Prepaid and hybrid: the plan is paid from the balance, or the service stops (and
    // this period was not charged).
    let mut suspended = 0;
    for ((a, b), balance) in bills.iter().zip(balances) {
        let switched_off = match balance {
            Some(Balance::Short(owed)) => {
                crate::payments::suspend_for_balance(conn, config, a, b, *owed).await?
            }
            Some(Balance::Covers(credit_left)) => {
                crate::payments::restore_if_covered(conn, config, a.id, b.period.start).await?;
                crate::payments::low_balance_notice(conn, config, a, b, *credit_left).await?;
                false
            }
            None => false,
        };
        if switched_off {
            suspended += 1;
        }
    }

    // History and emails.
    sqlx::query(
        "insert into service_events (account_id, kind, summary, detail)
         select account_id, kind, summary, detail::jsonb
           from unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) as t(account_id, kind, summary, detail)",
    )
    .bind(&events.account)
    .bind(&events.kind)
    .bind(&events.summary)
    .bind(&events.detail)
    .execute(&mut *conn)
    .await?;

    let mut emails = Vec::with_capacity(bills.len());
    for ((a, b), number) in bills.iter().zip(&h_number) {
        if let Some(to) = &a.email {
            emails.push(mail::statement_ready(
                config,
                a,
                to,
                number,
                statement_of[&a.id],
                b,
            )?);
        }
    }
    mail::enqueue_all(conn, &emails).await?;
    Ok(suspended)
}

/// "S-10000001-202611": one statement per account and month (a cycle day has exactly one
/// anchor in each month).
pub fn statement_number(account_number: &str, issued_on: NaiveDate) -> String {
    format!("S-{account_number}-{}", issued_on.format("%Y%m"))
}

/// The account's next statement as it stands today: the same facts and the same
/// composition as the bill run, with usage and payments so far. Nothing is written.
pub async fn preview(
    conn: &mut PgConnection,
    config: &EngineConfig,
    account_id: i64,
    today: NaiveDate,
) -> Result<Option<Bill>, EngineError> {
    let cycle: Option<i16> =
        sqlx::query_scalar("select billing_cycle_day from accounts where id = $1")
            .bind(account_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(cycle) = cycle
        .and_then(|d| u8::try_from(d).ok())
        .and_then(|d| billing::CycleDay::new(d).ok())
    else {
        return Ok(None);
    };
    preview_in_cycle(conn, config, account_id, cycle, today).await
}

/// [`preview`], for a caller that has read the account's cycle day with its own facts (the
/// overview's "your next bill, so far").
///
/// It is composed afresh on every call, from one read of the facts, and never cached: this is
/// what the subscriber will be billed, and a figure kept from before a payment, a usage day
/// or a plan change would be wrong in a way they notice. Keeping it cheap instead keeps it
/// right: the facts are one statement on one snapshot (`facts::load`), composing them is
/// arithmetic, and nothing is locked or written. Only when a plan change scheduled for the
/// next period is due does it take the bill run's own way (the change applied first, in a
/// transaction rolled back at once).
pub async fn preview_in_cycle(
    conn: &mut PgConnection,
    config: &EngineConfig,
    account_id: i64,
    cycle: billing::CycleDay,
    today: NaiveDate,
) -> Result<Option<Bill>, EngineError> {
    let next = period_containing(today, cycle).end;
    let terms = config.payment_terms_days;
    let batch = facts::load(&mut *conn, &[account_id], next, terms, false).await?;
    let mut found = batch.accounts.into_iter().next();
    if found
        .as_ref()
        .is_some_and(|(account, _)| account.change_due)
    {
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        crate::plan_changes::apply_due(&mut tx, &[account_id], next).await?;
        found = facts::load(&mut tx, &[account_id], next, terms, false)
            .await?
            .accounts
            .into_iter()
            .next();
        tx.rollback().await?;
    }
    let Some((account, facts)) = found else {
        return Ok(None);
    };
    if account.already_billed() || facts.services.is_empty() {
        return Ok(None);
    }
    let bill = compose(&facts).map_err(|source| EngineError::Bill {
        account_number: account.number.clone(),
        source,
    })?;
    Ok(Some(bill))
}

#[derive(Default)]
struct LineColumns {
    statement: Vec<i64>,
    line_no: Vec<i16>,
    kind: Vec<String>,
    description: Vec<String>,
    service: Vec<Option<i64>>,
    start: Vec<Option<NaiveDate>>,
    end: Vec<Option<NaiveDate>>,
    quantity: Vec<Option<Decimal>>,
    unit_price: Vec<Option<Decimal>>,
    amount: Vec<Decimal>,
    working: Vec<Option<String>>,
}

#[derive(Default)]
struct EntryColumns {
    account: Vec<i64>,
    currency: Vec<String>,
    kind: Vec<String>,
    amount: Vec<Decimal>,
    description: Vec<String>,
    effective: Vec<NaiveDate>,
    statement: Vec<i64>,
    key: Vec<String>,
}

#[derive(Default)]
struct ChargeColumns {
    service: Vec<i64>,
    account: Vec<i64>,
    statement: Vec<i64>,
    kind: Vec<String>,
    start: Vec<NaiveDate>,
    end: Vec<NaiveDate>,
}

#[derive(Default)]
struct EventColumns {
    account: Vec<i64>,
    kind: Vec<String>,
    summary: Vec<String>,
    detail: Vec<String>,
}

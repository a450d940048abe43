//! Receivables ageing on a day (the range's last): what is owed on the statements open
//! that evening, by how long past its due date. Definitions in [`billing::bill`] ("What
//! the operators' reports count"): each open statement's share of the balance is
//! [`billing::ledger::unpaid_charges`] (payments pay the oldest charges first, as dunning
//! and the pay page allocate them); up to its disputed amount is under dispute, the rest
//! is aged by its due date. Charges no statement has shown yet are not receivables.
//!
//! On a past day the facts are those of that evening: the ledger entries effective by
//! then, the statements issued by then and not yet paid, the disputes opened and not yet
//! decided.

use std::collections::HashMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sqlx::PgPool;

use billing::ledger::{unpaid_charges, Issued};
use billing::{Currency, Money};

use super::Range;
use crate::EngineError;

/// The buckets, in the order they are reported.
pub const BUCKETS: [Bucket; 6] = [
    Bucket::NotYetDue,
    Bucket::Days1To30,
    Bucket::Days31To60,
    Bucket::Days61To90,
    Bucket::Over90,
    Bucket::Disputed,
];

/// How long past its due date an amount is, or that it is under dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Due on the day or later ("current").
    NotYetDue,
    /// 1 to 30 days past due.
    Days1To30,
    /// 31 to 60 days past due.
    Days31To60,
    /// 61 to 90 days past due.
    Days61To90,
    /// More than 90 days past due.
    Over90,
    /// Under an open dispute, whatever its age: dunning does not pursue it.
    Disputed,
}

impl Bucket {
    /// The bucket of an amount due on `due_on`, seen on `day`.
    pub fn of(due_on: NaiveDate, day: NaiveDate) -> Bucket {
        match (day - due_on).num_days() {
            ..=0 => Bucket::NotYetDue,
            1..=30 => Bucket::Days1To30,
            31..=60 => Bucket::Days31To60,
            61..=90 => Bucket::Days61To90,
            _ => Bucket::Over90,
        }
    }

    /// Its name in CSV files and URLs.
    pub fn code(self) -> &'static str {
        match self {
            Bucket::NotYetDue => "current",
            Bucket::Days1To30 => "1-30",
            Bucket::Days31To60 => "31-60",
            Bucket::Days61To90 => "61-90",
            Bucket::Over90 => "over-90",
            Bucket::Disputed => "disputed",
        }
    }
}

/// One bucket of one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeingRow {
    pub currency: String,
    pub bucket: Bucket,
    /// Statements with an amount in the bucket.
    pub statements: i64,
    /// Accounts with an amount in the bucket.
    pub accounts: i64,
    pub amount: Decimal,
}

/// What one bucket holds so far.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    statements: i64,
    accounts: i64,
    amount: Decimal,
}

/// A row of the report's statement: a statement open that evening, or (with `unshown`
/// set and nothing else) one ledger entry effective by then that no statement issued by
/// then showed.
#[derive(sqlx::FromRow)]
struct Fact {
    account_id: i64,
    unshown: Option<Decimal>,
    currency: Option<String>,
    period_start: Option<NaiveDate>,
    new_charges: Option<Decimal>,
    total_due: Option<Decimal>,
    disputed: Option<Decimal>,
    due_on: Option<NaiveDate>,
}

/// A statement open that evening.
struct Open {
    account_id: i64,
    currency: String,
    period_start: NaiveDate,
    new_charges: Decimal,
    total_due: Decimal,
    disputed: Decimal,
    due_on: NaiveDate,
}

/// An account's entries effective that evening that no statement issued by then showed:
/// all of them, and the positive ones (charges not yet billed).
#[derive(Debug, Clone, Copy, Default)]
struct Unshown {
    all: Decimal,
    unbilled: Decimal,
}

/// Every bucket of every currency with receivables on the range's last day (all six
/// buckets, zeros included, per currency), in [`BUCKETS`] order.
///
/// The balance then is the newest open statement's total due plus what no statement
/// issued by then shows (the ledger and the statements agree so: the latest statement's
/// total due is the ledger less what waits for a statement, `engine/tests/invariants.rs`).
/// Statements open that evening are a run of an account's newest ones (paying one pays
/// every earlier one), so they are all that [`unpaid_charges`] needs; a void statement is
/// never receivable.
pub async fn report(pool: &PgPool, range: Range, tz: Tz) -> Result<Vec<AgeingRow>, EngineError> {
    let day = range.to;
    let evening = crate::clock::day_bounds(tz, day).1;
    // One statement of three index ranges, no join to speak of and nothing grouped: the
    // statements open that evening (open now, or paid since) with their disputes then;
    // the entries waiting for a statement; and those a statement issued since shows
    // (`shown_on`). Summing the entries by account here, rather than in the database,
    // keeps the query from hashing some 57,000 groups (at 100,000 accounts) in a few
    // megabytes of `work_mem`.
    let facts: Vec<Fact> = sqlx::query_as(
        "with disputed as (
             select l.statement_id, sum(t.disputed_amount) as amount
               from tickets t join statement_lines l on l.id = t.statement_line_id
              where t.category = 'dispute' and t.created_at < $2
                and (t.decided_at is null or t.decided_at >= $2)
              group by l.statement_id
         ),
         open_then as (
             select id, account_id, currency, period_start,
                    total_charges + total_tax as new_charges, total_due, due_on
               from statements where status = 'open' and issued_on <= $1
             union all
             select id, account_id, currency, period_start, total_charges + total_tax,
                    total_due, due_on
               from statements where status = 'paid' and paid_at >= $2 and issued_on <= $1
         )
         select o.account_id, null::numeric as unshown, o.currency::text as currency,
                o.period_start, o.new_charges, o.total_due, coalesce(d.amount, 0) as disputed,
                o.due_on
           from open_then o left join disputed d on d.statement_id = o.id
         union all
         select account_id, amount, null, null, null, null, null, null
           from ledger_entries_pending where effective_on <= $1
         union all
         select account_id, amount, null, null, null, null, null, null
           from statement_ledger_entries where shown_on > $1 and effective_on <= $1",
    )
    .persistent(false)
    .bind(day)
    .bind(evening)
    .fetch_all(pool)
    .await?;

    let mut unshown: HashMap<i64, Unshown> = HashMap::new();
    let mut open: Vec<Open> = Vec::new();
    for fact in facts {
        match fact {
            Fact {
                account_id,
                unshown: Some(amount),
                ..
            } => {
                let sums = unshown.entry(account_id).or_default();
                sums.all += amount;
                if amount > Decimal::ZERO {
                    sums.unbilled += amount;
                }
            }
            Fact {
                account_id,
                unshown: None,
                currency: Some(currency),
                period_start: Some(period_start),
                new_charges: Some(new_charges),
                total_due: Some(total_due),
                disputed: Some(disputed),
                due_on: Some(due_on),
            } => open.push(Open {
                account_id,
                currency,
                period_start,
                new_charges,
                total_due,
                disputed,
                due_on,
            }),
            Fact { account_id, .. } => {
                return Err(EngineError::bad_data(
                    &format!("id {account_id}"),
                    "an open statement without its totals".to_string(),
                ))
            }
        }
    }
    open.sort_unstable_by_key(|s| (s.account_id, s.period_start));

    // Per currency, the buckets in BUCKETS order.
    let mut totals: Vec<(String, [Tally; 6])> = Vec::new();
    for account in open.chunk_by(|a, b| a.account_id == b.account_id) {
        let first = &account[0];
        let unshown = unshown.get(&first.account_id).copied().unwrap_or_default();
        let currency = Currency::parse(first.currency.trim()).map_err(|_| {
            EngineError::bad_data(
                &format!("id {}", first.account_id),
                format!("unknown currency {:?}", first.currency),
            )
        })?;
        let money = |amount: Decimal| Money::new(amount, currency);
        let issued: Vec<Issued> = account
            .iter()
            .map(|f| Issued {
                id: 0,
                new_charges: money(f.new_charges),
                total_due: money(f.total_due),
                open: true,
                disputed: money(f.disputed),
            })
            .collect();
        let newest = &account[account.len() - 1];
        let balance = money(newest.total_due + unshown.all);
        let shares = unpaid_charges(balance, money(unshown.unbilled), &issued).map_err(|e| {
            EngineError::bad_data(&format!("id {}", first.account_id), e.to_string())
        })?;
        let index = match totals.iter().position(|(c, _)| *c == first.currency) {
            Some(i) => i,
            None => {
                totals.push((first.currency.clone(), Default::default()));
                totals.len() - 1
            }
        };
        let buckets = &mut totals[index].1;
        let mut touched = [false; 6];
        for (fact, share) in account.iter().zip(shares) {
            if !share.is_positive() {
                continue;
            }
            let held = share.amount().min(fact.disputed);
            let aged = share.amount() - held;
            for (bucket, amount) in [
                (Bucket::of(fact.due_on, day), aged),
                (Bucket::Disputed, held),
            ] {
                if amount > Decimal::ZERO {
                    let i = BUCKETS.iter().position(|b| *b == bucket).unwrap_or(0);
                    buckets[i].statements += 1;
                    buckets[i].amount += amount;
                    if !touched[i] {
                        touched[i] = true;
                        buckets[i].accounts += 1;
                    }
                }
            }
        }
    }
    totals.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(totals
        .into_iter()
        .flat_map(|(currency, buckets)| {
            BUCKETS
                .into_iter()
                .zip(buckets)
                .map(move |(bucket, tally)| AgeingRow {
                    currency: currency.clone(),
                    bucket,
                    statements: tally.statements,
                    accounts: tally.accounts,
                    amount: tally.amount,
                })
        })
        .collect())
}

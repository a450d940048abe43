//! What an account owes: one answer for dunning, autopay, pay links, the pay page and the
//! marking of statements as paid.
//!
//! [`of_account`] reads the facts (the balance from the `account_balances` view, the charges
//! no statement has shown yet, the statements from the oldest open one, and the amounts
//! under an open dispute on each) and [`billing::ledger::allocate`] decides: payments pay
//! the oldest charges first, and an amount under dispute is held, neither pursued by
//! dunning, nor taken by autopay, nor asked for by a pay link or the pay page. The policy
//! is written in [`billing::bill`] ("What is paid and what is owed").

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;

use billing::ledger::{allocate, Allocation, Issued};
use billing::{Currency, Money};

use crate::error::EngineError;

/// An account's balance allocated to its open statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owed {
    /// The account's currency.
    pub currency: Currency,
    /// The sum of its ledger (negative: in credit).
    pub balance: Money,
    /// Where each statement from the oldest open one stands, oldest first.
    pub allocation: Allocation,
    /// The due dates of those statements, in the same order.
    due_on: Vec<NaiveDate>,
}

impl Owed {
    /// What the account owes that may be asked for or taken (nothing held by a dispute).
    pub fn on_account(&self) -> Money {
        self.allocation.owed
    }

    /// What may be asked for or taken for one statement: zero when it is paid, void, not
    /// the account's, or all that is left of it is under dispute.
    pub fn on_statement(&self, statement_id: i64) -> Money {
        self.allocation
            .statement(statement_id)
            .map(|s| s.owed)
            .unwrap_or_else(|| Money::zero(self.currency))
    }

    /// Open statements with nothing left to pay: they are to be marked paid.
    pub fn covered(&self) -> Vec<i64> {
        self.allocation
            .statements
            .iter()
            .filter(|s| s.covered())
            .map(|s| s.id)
            .collect()
    }

    /// Whether something owed (not held) was due before `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.allocation
            .statements
            .iter()
            .zip(&self.due_on)
            .any(|(s, due_on)| *due_on < today && s.owed.is_positive())
    }
}

#[derive(sqlx::FromRow)]
struct Head {
    currency: String,
    account_number: String,
    balance: Decimal,
    unbilled: Decimal,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    new_charges: Decimal,
    total_due: Decimal,
    open: bool,
    disputed: Decimal,
    due_on: NaiveDate,
}

/// What the account owes, from the database as the connection sees it. Call it in the
/// transaction that acts on the answer, with the account row locked when it writes.
pub async fn of_account(conn: &mut PgConnection, account_id: i64) -> Result<Owed, EngineError> {
    let head: Head = sqlx::query_as(
        "select a.currency::text as currency, a.account_number, b.balance,
                coalesce((select sum(l.amount) from ledger_entries_pending p
                            join ledger_entries l on l.id = p.ledger_entry_id
                           where p.account_id = a.id and l.amount > 0), 0) as unbilled
           from accounts a join account_balances b on b.account_id = a.id
          where a.id = $1",
    )
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(EngineError::NotFound)?;
    // Statements before the oldest open one are covered whatever the balance: leave them out.
    let rows: Vec<Row> = sqlx::query_as(
        "with disputed as (
             select l.statement_id, sum(t.disputed_amount) as amount
               from tickets t join statement_lines l on l.id = t.statement_line_id
              where t.account_id = $1 and t.category = 'dispute' and t.dispute_outcome is null
              group by l.statement_id)
         select s.id, s.total_charges + s.total_tax as new_charges, s.total_due,
                s.status = 'open' as open, coalesce(d.amount, 0) as disputed, s.due_on
           from statements s left join disputed d on d.statement_id = s.id
          where s.account_id = $1
            and s.period_start >= (select min(period_start) from statements
                                    where account_id = $1 and status = 'open')
          order by s.period_start",
    )
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?;
    let currency = Currency::parse(head.currency.trim()).map_err(|_| {
        EngineError::bad_data(
            &head.account_number,
            format!("unknown currency {:?}", head.currency),
        )
    })?;
    let money = |amount: Decimal| Money::new(amount, currency);
    let issued: Vec<Issued> = rows
        .iter()
        .map(|r| Issued {
            id: r.id,
            new_charges: money(r.new_charges),
            total_due: money(r.total_due),
            open: r.open,
            disputed: money(r.disputed),
        })
        .collect();
    let allocation = allocate(money(head.balance), money(head.unbilled), &issued)
        .map_err(|e| EngineError::bad_data(&head.account_number, e.to_string()))?;
    Ok(Owed {
        currency,
        balance: money(head.balance),
        allocation,
        due_on: rows.iter().map(|r| r.due_on).collect(),
    })
}

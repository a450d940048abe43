//! Statement queries: the list and one statement with its lines grouped for reading.

use billing::statement::{group_lines, Line, LineKind};
use billing::Currency;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::access::AccountAccess;
use super::accounts::{basics, money};
use crate::error::AppError;
use crate::types::{
    DisputeLine, LineQuestion, StatementDetail, StatementGroup, StatementLine, StatementSummary,
};

#[derive(sqlx::FromRow)]
pub struct SummaryRow {
    id: i64,
    statement_number: String,
    period_start: NaiveDate,
    period_end: NaiveDate,
    issued_on: NaiveDate,
    due_on: NaiveDate,
    total_due: Decimal,
    status: String,
}

pub fn summary_from_row(
    r: SummaryRow,
    currency: Currency,
    today: NaiveDate,
) -> Result<StatementSummary, AppError> {
    let state = billing::statement::status(&r.status, r.due_on, today)
        .map_err(|e| AppError::internal("statement status", e))?;
    Ok(StatementSummary {
        id: r.id,
        number: r.statement_number,
        period_start: r.period_start,
        period_end: r.period_end,
        issued_on: r.issued_on,
        due_on: r.due_on,
        total_due: money(r.total_due, currency),
        state: state.into(),
    })
}

pub async fn list(
    pool: &PgPool,
    access: &AccountAccess,
) -> Result<Vec<StatementSummary>, AppError> {
    let account = basics(pool, access).await?;
    let (currency, today) = (account.currency()?, account.today());
    let rows = sqlx::query_as::<_, SummaryRow>(
        "select id, statement_number, period_start, period_end, issued_on, due_on, total_due, status
           from statements where account_id = $1 order by period_start desc limit 120",
    )
    .bind(access.account_id())
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| summary_from_row(r, currency, today))
        .collect()
}

#[derive(sqlx::FromRow)]
struct HeaderRow {
    #[sqlx(flatten)]
    summary: SummaryRow,
    previous_balance: Decimal,
    total_charges: Decimal,
    total_tax: Decimal,
    total_payments: Decimal,
    total_credits: Decimal,
}

/// A statement line with the period it bills, grouped like a plain line.
struct PeriodLine {
    line: Line,
    period_start: Option<NaiveDate>,
    period_end: Option<NaiveDate>,
    working: Option<String>,
    question: LineQuestion,
}

impl std::borrow::Borrow<Line> for PeriodLine {
    fn borrow(&self) -> &Line {
        &self.line
    }
}

#[derive(sqlx::FromRow)]
struct LineRow {
    id: i64,
    disputable: bool,
    ticket: Option<String>,
    kind: String,
    description: String,
    period_start: Option<NaiveDate>,
    period_end: Option<NaiveDate>,
    amount: Decimal,
    working: Option<String>,
}

/// One statement of the caller's account; another account's id is simply not found.
pub async fn detail(
    pool: &PgPool,
    access: &AccountAccess,
    statement_id: i64,
) -> Result<StatementDetail, AppError> {
    let account = basics(pool, access).await?;
    let (currency, today) = (account.currency()?, account.today());
    let header = sqlx::query_as::<_, HeaderRow>(
        "select id, statement_number, period_start, period_end, issued_on, due_on, total_due, status,
                previous_balance, total_charges, total_tax, total_payments, total_credits
           from statements where id = $1 and account_id = $2",
    )
    .bind(statement_id)
    .bind(access.account_id())
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;

    let rows = sqlx::query_as::<_, LineRow>(
        "select l.id, l.kind, l.description, l.period_start, l.period_end, l.amount, l.working,
                l.kind in ('recurring', 'usage', 'one_time', 'tax') and l.amount > 0 as disputable,
                (select t.number from tickets t where t.statement_line_id = l.id
                  order by t.id desc limit 1) as ticket
           from statement_lines l where l.statement_id = $1 order by l.line_no",
    )
    .bind(statement_id)
    .fetch_all(pool)
    .await?;

    let (bill_to, address): (String, Vec<String>) = {
        let row: Option<(String, String, Option<String>, String, String, String)> = sqlx::query_as(
            "select a.display_name, ad.line1, ad.line2, ad.city, ad.region, ad.postal_code
               from accounts a
               left join lateral (select * from addresses where account_id = a.id order by id limit 1) ad on true
              where a.id = $1",
        )
        .bind(access.account_id())
        .fetch_optional(pool)
        .await?;
        match row {
            Some((name, line1, line2, city, region, postal)) => {
                let mut lines = vec![line1];
                lines.extend(line2.filter(|l| !l.is_empty()));
                lines.push(
                    format!("{city} {region} {postal}")
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" "),
                );
                (name, lines)
            }
            None => (account.display_name.clone(), vec![]),
        }
    };

    let void = header.summary.status == "void";
    let lines = rows
        .into_iter()
        .map(|r| {
            let kind = LineKind::parse(&r.kind)
                .map_err(|e| AppError::internal("statement line kind", e))?;
            Ok(PeriodLine {
                line: Line {
                    kind,
                    description: r.description,
                    amount: money(r.amount, currency),
                },
                period_start: r.period_start,
                period_end: r.period_end,
                working: r.working,
                question: LineQuestion {
                    line_id: r.id,
                    disputable: r.disputable && !void,
                    ticket: r.ticket,
                },
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let groups = group_lines(&lines)
        .into_iter()
        .map(|(group, members, subtotal)| StatementGroup {
            group,
            lines: members
                .into_iter()
                .map(|m| StatementLine {
                    description: m.line.description.clone(),
                    period_start: m.period_start,
                    period_end: m.period_end,
                    amount: m.line.amount,
                    working: m.working.clone(),
                    question: Some(m.question.clone()),
                })
                .collect(),
            subtotal,
        })
        .collect();

    Ok(StatementDetail {
        summary: summary_from_row(header.summary, currency, today)?,
        account_number: account.account_number,
        bill_to,
        address,
        previous_balance: money(header.previous_balance, currency),
        total_charges: money(header.total_charges, currency),
        total_tax: money(header.total_tax, currency),
        total_payments: money(header.total_payments, currency),
        total_credits: money(header.total_credits, currency),
        groups,
    })
}

/// One line of one of the account's statements, for the dispute page.
pub async fn dispute_line(
    pool: &PgPool,
    access: &AccountAccess,
    statement_id: i64,
    line_id: i64,
) -> Result<DisputeLine, AppError> {
    let currency = basics(pool, access).await?.currency()?;
    let row: Option<(String, String, Decimal, bool, Option<String>)> = sqlx::query_as(
        "select s.statement_number, l.description, l.amount,
                l.kind in ('recurring', 'usage', 'one_time', 'tax') and l.amount > 0 and s.status <> 'void',
                (select t.number from tickets t where t.statement_line_id = l.id
                    and t.category = 'dispute' and t.dispute_outcome is null)
           from statement_lines l join statements s on s.id = l.statement_id
          where l.id = $1 and s.id = $2 and s.account_id = $3",
    )
    .bind(line_id)
    .bind(statement_id)
    .bind(access.account_id())
    .fetch_optional(pool)
    .await?;
    let (statement_number, description, amount, disputable, open_ticket) =
        row.ok_or(AppError::NotFound)?;
    Ok(DisputeLine {
        statement_id,
        statement_number,
        line_id,
        description,
        amount: money(amount, currency),
        disputable,
        open_ticket,
    })
}

/// Opens a dispute of one line (see `engine::disputes`); returns the ticket number.
pub async fn open_dispute(
    portal: &super::Portal,
    access: &AccountAccess,
    statement_id: i64,
    line_id: i64,
    amount: &str,
    message: &str,
) -> Result<String, AppError> {
    let account = basics(&portal.pool, access).await?;
    // Read the way the dispute form wrote it, in the subscriber's language.
    let locale = super::language::of_caller(portal, access).await?;
    let amount = crate::i18n::Formats::new(&locale)
        .parse_money(amount, account.currency()?)
        .map_err(|e| AppError::InvalidInput {
            field: "amount".into(),
            message: e.to_string(),
        })?
        .amount();
    let opened = engine::disputes::open(
        &portal.pool,
        &portal.config.billing,
        &engine::disputes::DisputeRequest {
            account_id: access.account_id(),
            statement_id,
            line_id,
            amount,
            message: message.to_string(),
            login_id: access.login_id(),
        },
    )
    .await?;
    Ok(opened.number)
}

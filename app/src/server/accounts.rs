//! Account queries: the page frame's "who am I" and the overview.

use billing::{Currency, Money};
use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::access::AccountAccess;
use super::statements::{summary_from_row, SummaryRow};
use crate::error::AppError;
use crate::types::{CycleUsage, Me, Overview, PaymentSummary, PlanSummary, TicketSummary};

/// What the server keeps of an account for formatting and periods.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountBasics {
    pub account_number: String,
    pub display_name: String,
    pub currency: String,
    pub time_zone: String,
    pub locale: String,
    pub billing_cycle_day: i16,
}

impl AccountBasics {
    pub fn currency(&self) -> Result<Currency, AppError> {
        Currency::parse(self.currency.trim()).map_err(|e| AppError::internal("account currency", e))
    }

    pub fn cycle_day(&self) -> Result<billing::cycle::CycleDay, AppError> {
        billing::cycle::CycleDay::new(self.billing_cycle_day as u8)
            .map_err(|e| AppError::internal("cycle day", e))
    }

    pub fn today(&self) -> NaiveDate {
        super::today_in(&self.time_zone)
    }
}

pub async fn basics(pool: &PgPool, access: &AccountAccess) -> Result<AccountBasics, AppError> {
    sqlx::query_as::<_, AccountBasics>(
        "select account_number, display_name, currency::text as currency, time_zone, locale, billing_cycle_day
           from accounts where id = $1",
    )
    .bind(access.account_id())
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

pub async fn me(pool: &PgPool, access: &AccountAccess) -> Result<Me, AppError> {
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "select a.account_number, a.display_name, p.first_name, a.locale
           from portal_logins l join accounts a on a.id = l.account_id join people p on p.id = l.person_id
          where l.id = $1 and l.account_id = $2",
    )
    .bind(access.login_id())
    .bind(access.account_id())
    .fetch_optional(pool)
    .await?;
    let (account_number, display_name, first_name, locale) = row.ok_or(AppError::NotFound)?;
    Ok(Me {
        account_number,
        display_name,
        first_name,
        locale,
    })
}

/// Money from a database amount in the account's currency.
pub fn money(amount: Decimal, currency: Currency) -> Money {
    Money::new(amount, currency)
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    name: String,
    technology: String,
    download_mbps: i32,
    upload_mbps: i32,
    allowance_gb: Option<i32>,
    monthly_price: Decimal,
}

pub async fn overview(pool: &PgPool, access: &AccountAccess) -> Result<Overview, AppError> {
    let account = basics(pool, access).await?;
    let currency = account.currency()?;
    let today = account.today();
    let id = access.account_id();
    let mut conn = pool.acquire().await?;

    let balance: Decimal = sqlx::query_scalar(
        "select coalesce(sum(amount), 0) from ledger_entries where account_id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;

    let plan = sqlx::query_as::<_, PlanRow>(
        "select p.name, p.technology, p.download_mbps, p.upload_mbps, p.allowance_gb, p.monthly_price
           from services s join plans p on p.id = s.plan_id
          where s.account_id = $1 and s.status in ('active', 'suspended')
          order by s.activated_on, s.id limit 1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;

    let usage = match &plan {
        Some(plan) => {
            let period = billing::cycle::period_containing(today, account.cycle_day()?);
            let used: i64 = sqlx::query_scalar(
                "select coalesce(sum(u.download_bytes + u.upload_bytes), 0)::bigint
                   from usage_daily u join services s on s.id = u.service_id
                  where s.account_id = $1 and u.day >= $2 and u.day < $3",
            )
            .bind(id)
            .bind(period.start)
            .bind(period.end)
            .fetch_one(&mut *conn)
            .await?;
            let used = u64::try_from(used).unwrap_or(0);
            // Usage is complete up to the end of yesterday: project from the days elapsed.
            let elapsed_days = (today - period.start).num_days();
            let projected =
                billing::usage::project_usage(used, elapsed_days * 86_400, period.days() * 86_400);
            Some(CycleUsage {
                period_start: period.start,
                period_end: period.end,
                used_bytes: used,
                projected_bytes: projected,
                allowance_bytes: plan
                    .allowance_gb
                    .map(|gb| gb as u64 * billing::usage::BYTES_PER_GB),
            })
        }
        None => None,
    };

    let oldest_open = sqlx::query_as::<_, SummaryRow>(
        "select id, statement_number, period_start, period_end, issued_on, due_on, total_due, status
           from statements where account_id = $1 and status = 'open' order by due_on, id limit 1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let latest = sqlx::query_as::<_, SummaryRow>(
        "select id, statement_number, period_start, period_end, issued_on, due_on, total_due, status
           from statements where account_id = $1 order by period_start desc limit 1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let due = oldest_open
        .map(|r| summary_from_row(r, currency, today))
        .transpose()?;
    let latest_statement = latest
        .map(|r| summary_from_row(r, currency, today))
        .transpose()?;

    let last_payment: Option<(Decimal, chrono::DateTime<Utc>, String)> = sqlx::query_as(
        "select amount, succeeded_at, method from payments
          where account_id = $1 and status = 'succeeded' order by succeeded_at desc limit 1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let tz = super::tz(&account.time_zone);
    let last_payment = last_payment.map(|(amount, at, method)| PaymentSummary {
        amount: money(amount, currency),
        paid_on: at.with_timezone(&tz).date_naive(),
        method,
    });

    let tickets: Vec<(String, String, String, chrono::DateTime<Utc>)> = sqlx::query_as(
        "select number, subject, status, updated_at from tickets
          where account_id = $1 and status in ('open', 'pending') order by updated_at desc limit 5",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let open_tickets = tickets
        .into_iter()
        .map(|(number, subject, status, at)| TicketSummary {
            number,
            subject,
            status,
            updated_at: at.with_timezone(&tz).naive_local(),
        })
        .collect();

    Ok(Overview {
        balance: money(balance, currency),
        due,
        plan: plan.map(|p| PlanSummary {
            name: p.name,
            technology: p.technology,
            download_mbps: p.download_mbps,
            upload_mbps: p.upload_mbps,
            allowance_gb: p.allowance_gb,
            monthly_price: money(p.monthly_price, currency),
        }),
        usage,
        latest_statement,
        last_payment,
        open_tickets,
    })
}

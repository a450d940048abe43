//! Account queries: the overview.

use billing::{Currency, Money};
use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::access::AccountAccess;
use super::statements::{summary_from_row, SummaryRow};
use crate::error::AppError;
use crate::types::{
    CycleUsage, OutageNotice, Overview, PaymentSummary, PlanSummary, TicketSummary,
};

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

/// Money from a database amount in the account's currency.
pub fn money(amount: Decimal, currency: Currency) -> Money {
    Money::new(amount, currency)
}

/// Everything on the overview but the usage, in one row (one round trip).
#[derive(sqlx::FromRow)]
struct OverviewRow {
    #[sqlx(flatten)]
    basics: AccountBasics,
    balance: Decimal,
    plan_name: Option<String>,
    plan_technology: Option<String>,
    plan_download_mbps: Option<i32>,
    plan_upload_mbps: Option<i32>,
    plan_allowance_gb: Option<i32>,
    plan_monthly_price: Option<Decimal>,
    due_id: Option<i64>,
    latest_id: Option<i64>,
    payment_amount: Option<Decimal>,
    payment_at: Option<chrono::DateTime<Utc>>,
    payment_method: Option<String>,
    tickets: sqlx::types::Json<Vec<TicketRow>>,
    outages: sqlx::types::Json<Vec<OutageRow>>,
}

#[derive(serde::Deserialize)]
struct OutageRow {
    title: String,
    message: String,
    starts_at: chrono::DateTime<Utc>,
}

#[derive(serde::Deserialize)]
struct TicketRow {
    number: String,
    subject: String,
    status: String,
    updated_at: chrono::DateTime<Utc>,
}

pub async fn overview(
    pool: &PgPool,
    billing_config: &engine::EngineConfig,
    access: &AccountAccess,
) -> Result<Overview, AppError> {
    let id = access.account_id();
    let row = sqlx::query_as::<_, OverviewRow>(
        "select a.account_number, a.display_name, a.currency::text as currency, a.time_zone, a.locale,
                a.billing_cycle_day,
                (select balance from account_balances where account_id = a.id) as balance,
                p.name as plan_name, p.technology as plan_technology, p.download_mbps as plan_download_mbps,
                p.upload_mbps as plan_upload_mbps, p.allowance_gb as plan_allowance_gb,
                p.monthly_price as plan_monthly_price,
                (select id from statements where account_id = a.id and status = 'open'
                  order by due_on, id limit 1) as due_id,
                (select id from statements where account_id = a.id order by period_start desc limit 1) as latest_id,
                pay.amount as payment_amount, pay.succeeded_at as payment_at, pay.method as payment_method,
                coalesce((select json_agg(t order by t.updated_at desc)
                            from (select number, subject, status, updated_at from tickets
                                   where account_id = a.id and status in ('open', 'pending')
                                   order by updated_at desc limit 5) t), '[]') as tickets,
                coalesce((select json_agg(o order by o.starts_at desc)
                            from (select o.title, o.message, o.starts_at from outages o
                                   where o.ends_at is null
                                     and exists (select 1 from outage_services os
                                                  where os.outage_id = o.id
                                                    and os.account_id = a.id)) o), '[]') as outages
           from accounts a
           left join lateral (select p.* from services s join plans p on p.id = s.plan_id
                               where s.account_id = a.id and s.status in ('active', 'suspended')
                               order by s.activated_on, s.id limit 1) p on true
           left join lateral (select amount, succeeded_at, method from payments
                               where account_id = a.id and status = 'succeeded'
                               order by succeeded_at desc limit 1) pay on true
          where a.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;

    let account = &row.basics;
    let currency = account.currency()?;
    let today = account.today();
    let tz = super::tz(&account.time_zone);

    let plan = match (
        row.plan_name,
        row.plan_technology,
        row.plan_download_mbps,
        row.plan_upload_mbps,
        row.plan_monthly_price,
    ) {
        (Some(name), Some(technology), Some(download_mbps), Some(upload_mbps), Some(price)) => {
            Some(PlanSummary {
                name,
                technology,
                download_mbps,
                upload_mbps,
                allowance_gb: row.plan_allowance_gb,
                monthly_price: money(price, currency),
            })
        }
        _ => None,
    };

    // This cycle's usage and data cap, in one statement (`data_cap::load`).
    let cap_facts = super::data_cap::load(pool, billing_config, access, account).await?;
    let usage = match &plan {
        Some(plan) => {
            let period = billing::cycle::period_containing(today, account.cycle_day()?);
            let used = cap_facts.account_used;
            // Usage is complete up to the end of yesterday: project from the days elapsed,
            // once enough of them have passed to know the cycle's pace (the data cap's rule,
            // `billing::data_cap::forecast_speaks_on`: one heavy first day is no forecast).
            let elapsed_days = (today - period.start).num_days();
            let speaks_on = billing::data_cap::forecast_speaks_on(&period);
            let projected = (today >= speaks_on).then(|| {
                billing::usage::project_usage(used, elapsed_days * 86_400, period.days() * 86_400)
            });
            Some(CycleUsage {
                period_start: period.start,
                period_end: period.end,
                used_bytes: used,
                projected_bytes: projected,
                projection_from: speaks_on,
                allowance_bytes: cap_facts.cap.as_ref().map_or_else(
                    || {
                        plan.allowance_gb
                            .map(|gb| gb as u64 * billing::usage::BYTES_PER_GB)
                    },
                    |c| Some(c.allowance_bytes),
                ),
            })
        }
        None => None,
    };

    // The two statements the overview names (often the same one), in one query.
    let ids: Vec<i64> = row.due_id.into_iter().chain(row.latest_id).collect();
    let statements = if ids.is_empty() {
        vec![]
    } else {
        sqlx::query_as::<_, SummaryRow>(
            "select id, statement_number, period_start, period_end, issued_on, due_on, total_due, status
               from statements where account_id = $1 and id = any($2)",
        )
        .bind(id)
        .bind(&ids)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| summary_from_row(r, currency, today))
        .collect::<Result<Vec<_>, _>>()?
    };
    let find =
        |wanted: Option<i64>| wanted.and_then(|w| statements.iter().find(|s| s.id == w).cloned());

    let last_payment = match (row.payment_amount, row.payment_at, row.payment_method) {
        (Some(amount), Some(at), Some(method)) => Some(PaymentSummary {
            amount: money(amount, currency),
            paid_on: at.with_timezone(&tz).date_naive(),
            method,
        }),
        _ => None,
    };

    let next_bill = next_bill(pool, billing_config, access, account.cycle_day()?, today).await?;
    // What a "Pay" button asks for: the pay page's own answer (`engine::owed`).
    let owed = {
        let mut conn = pool.acquire().await?;
        engine::owed::of_account(&mut conn, id).await?.on_account()
    };
    let needing_action = super::payments::action_needed(pool, access).await?;

    Ok(Overview {
        balance: money(row.balance, currency),
        owed,
        due: find(row.due_id),
        plan,
        usage,
        latest_statement: find(row.latest_id),
        next_bill,
        last_payment,
        open_tickets: row
            .tickets
            .0
            .into_iter()
            .map(|t| TicketSummary {
                number: t.number,
                subject: t.subject,
                status: t.status,
                updated_at: t.updated_at.with_timezone(&tz).naive_local(),
            })
            .collect(),
        needing_action,
        cap: cap_facts.cap,
        outages: row
            .outages
            .0
            .into_iter()
            .map(|o| OutageNotice {
                title: o.title,
                message: o.message,
                since: o.starts_at.with_timezone(&tz).naive_local(),
            })
            .collect(),
    })
}

/// The next statement as the bill run would compose it today: the same facts and the same
/// `billing::bill::compose`, written nowhere (and composed afresh each time: see
/// `engine::bill_run::preview_in_cycle` for why it is not cached).
async fn next_bill(
    pool: &PgPool,
    billing_config: &engine::EngineConfig,
    access: &AccountAccess,
    cycle: billing::cycle::CycleDay,
    today: NaiveDate,
) -> Result<Option<crate::types::NextBill>, AppError> {
    let mut conn = pool.acquire().await?;
    let bill = engine::bill_run::preview_in_cycle(
        &mut conn,
        billing_config,
        access.account_id(),
        cycle,
        today,
    )
    .await
    .map_err(|e| AppError::internal("previewing the next statement", e))?;
    let Some(bill) = bill else {
        return Ok(None);
    };
    let new_lines: Vec<_> = bill
        .lines
        .iter()
        .filter(|l| !matches!(l.source, billing::bill::Source::Received(_)))
        .collect();
    let currency = bill.totals.total_due.currency();
    let new_charges = Money::new(new_lines.iter().map(|l| l.amount.amount()).sum(), currency);
    Ok(Some(crate::types::NextBill {
        issued_on: bill.issued_on,
        lines: new_lines
            .into_iter()
            .map(|l| crate::types::StatementLine {
                description: l.description.clone(),
                period_start: l.period.map(|p| p.start),
                period_end: l.period.map(|p| p.end),
                amount: l.amount,
                working: l.working.clone(),
                question: None,
            })
            .collect(),
        new_charges,
        total_due: bill.totals.total_due,
    }))
}

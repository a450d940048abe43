//! Plans: what each service is on and may change to, a change's preview, the change and
//! its cancellation. The rules and the arithmetic are the billing engine's
//! (`engine::plan_changes`); this module finds the caller's ids within their account and
//! turns the engine's answers into wire types.

use billing::bill::{Bill, Source};
use billing::{Currency, Money};
use engine::plan_changes::{self, ChangeRequest, ChangeStatus, PlanDetails};
use rust_decimal::Decimal;

use super::access::AccountAccess;
use super::accounts::basics;
use super::Portal;
use crate::error::AppError;
use crate::types::network::Connection;
use crate::types::plans::{PendingChange, PlanChangePreview, PlanOption, PlansPage, ServicePlans};
use crate::types::{NextBill, StatementLine};

fn option(p: &PlanDetails, currency: Currency) -> PlanOption {
    PlanOption {
        id: p.id,
        name: p.name.clone(),
        technology: p.technology.clone(),
        download_mbps: p.download_mbps,
        upload_mbps: p.upload_mbps,
        allowance_gb: p.allowance_gb,
        monthly_price: Money::new(p.monthly_price, currency),
        contract_months: p.contract_months,
        early_termination_fee: p.early_termination_fee.map(|f| Money::new(f, currency)),
    }
}

#[derive(sqlx::FromRow)]
struct ServiceRow {
    id: i64,
    plan_id: i64,
    contract_ends_on: Option<chrono::NaiveDate>,
    line1: String,
    city: String,
    postal_code: String,
    pending_id: Option<i64>,
    pending_plan: Option<String>,
    pending_on: Option<chrono::NaiveDate>,
    pending_fee: Option<Decimal>,
    net_kind: Option<String>,
    net_username: Option<String>,
}

/// Each active service of the account: its plan, a change waiting, the plans it may take.
pub async fn page(portal: &Portal, access: &AccountAccess) -> Result<PlansPage, AppError> {
    let account = basics(&portal.pool, access).await?;
    let currency = account.currency()?;
    let rows: Vec<ServiceRow> = sqlx::query_as(
        "select s.id, s.plan_id, s.contract_ends_on, ad.line1, ad.city, ad.postal_code,
                c.id as pending_id, p.name as pending_plan, c.effective_on as pending_on,
                c.early_termination_fee as pending_fee,
                nc.kind as net_kind, nc.username as net_username
           from services s
           join addresses ad on ad.id = s.address_id
           left join network_credentials nc on nc.service_id = s.id and nc.account_id = s.account_id
           left join plan_changes c on c.service_id = s.id and c.status = 'scheduled'
           left join plans p on p.id = c.to_plan_id
          where s.account_id = $1 and s.status = 'active'
          order by s.id",
    )
    .bind(access.account_id())
    .fetch_all(&portal.pool)
    .await?;
    let mut conn = portal.pool.acquire().await?;
    let mut services = Vec::with_capacity(rows.len());
    for row in rows {
        let current: PlanDetails = sqlx::query_as(
            "select p.id, p.code, p.name, p.technology, p.download_mbps, p.upload_mbps,
                    p.allowance_gb, p.monthly_price, p.currency::text as currency,
                    p.price_includes_tax, p.overage_per_gb, p.billing_mode, p.contract_months,
                    p.early_termination_fee
               from plans p where p.id = $1",
        )
        .bind(row.plan_id)
        .fetch_one(&mut *conn)
        .await?;
        let available = plan_changes::offers(&mut conn, access.account_id(), row.id).await?;
        services.push(ServicePlans {
            service_id: row.id,
            address: format!("{}, {} {}", row.line1, row.city, row.postal_code),
            current: option(&current, currency),
            contract_ends_on: row.contract_ends_on,
            pending: match (row.pending_id, row.pending_plan, row.pending_on) {
                (Some(id), Some(to_plan), Some(effective_on)) => Some(PendingChange {
                    id,
                    to_plan,
                    effective_on,
                    early_termination_fee: row.pending_fee.map(|f| Money::new(f, currency)),
                }),
                _ => None,
            },
            available: available.iter().map(|p| option(p, currency)).collect(),
            // The username only; the password is shown by `network::reveal`, when asked for.
            connection: row
                .net_kind
                .zip(row.net_username)
                .map(|(kind, username)| Connection {
                    service_id: row.id,
                    kind,
                    username,
                }),
        });
    }
    Ok(PlansPage { services })
}

/// What changing `service_id` to `plan_id` would do (the engine's preview).
pub async fn preview(
    portal: &Portal,
    access: &AccountAccess,
    service_id: i64,
    plan_id: i64,
) -> Result<PlanChangePreview, AppError> {
    let account = basics(&portal.pool, access).await?;
    let currency = account.currency()?;
    let p = plan_changes::preview(
        &portal.pool,
        &portal.config.billing,
        access.account_id(),
        service_id,
        plan_id,
        account.today(),
    )
    .await?;
    let q = &p.quote;
    let over_allowance = usual_use_over(
        &portal.pool,
        service_id,
        &p.to,
        currency,
        account.cycle_day()?,
        account.today(),
    )
    .await?;
    Ok(PlanChangePreview {
        service_id,
        from: option(&p.from, currency),
        to: option(&p.to, currency),
        upgrade: q.direction == billing::plan_change::Direction::Upgrade,
        immediate: q.timing == billing::plan_change::Timing::Immediately,
        effective_on: q.effective_on,
        adjustment: q.adjustment,
        adjusted_days: q.adjusted_days.map(|d| (d.start, d.last_day())),
        early_termination_fee: q.early_termination_fee,
        contract_months_left: q.contract_months_left,
        contract_ends_on: p.contract_ends_on,
        contract_ends_after: q.contract_ends_on,
        next_statement: p.next_statement.as_ref().map(next_bill),
        monthly_after: p
            .following_statement
            .as_ref()
            .and_then(|b| b.totals.charges.checked_add(b.totals.tax).ok()),
        over_allowance,
    })
}

/// How many complete cycles "usual use" looks back over.
const USUAL_CYCLES: usize = 3;

/// The service's usual use per cycle (the average of its last three complete cycles with any
/// use), when it is more than `to` includes, with the overage the billing code would charge
/// for it (`billing::usage::rate_usage_within`). One query.
async fn usual_use_over(
    pool: &sqlx::PgPool,
    service_id: i64,
    to: &PlanDetails,
    currency: Currency,
    cycle: billing::cycle::CycleDay,
    today: chrono::NaiveDate,
) -> Result<Option<crate::types::plans::UsualUse>, AppError> {
    let Some(included_gb) = to.allowance_gb else {
        return Ok(None);
    };
    let included = u64::try_from(included_gb).unwrap_or(0) * billing::usage::BYTES_PER_GB;
    let mut starts = Vec::with_capacity(USUAL_CYCLES);
    let mut ends = Vec::with_capacity(USUAL_CYCLES);
    let mut end = billing::cycle::period_containing(today, cycle).start;
    for _ in 0..USUAL_CYCLES {
        let Some(last_day) = end.pred_opt() else {
            break;
        };
        let period = billing::cycle::period_containing(last_day, cycle);
        starts.push(period.start);
        ends.push(period.end);
        end = period.start;
    }
    let used: Vec<i64> = sqlx::query_scalar(
        "select sum(u.download_bytes + u.upload_bytes)::bigint
           from unnest($2::date[], $3::date[]) as p(start_on, end_on)
           join usage_daily u on u.service_id = $1 and u.day >= p.start_on and u.day < p.end_on
          group by p.start_on",
    )
    .bind(service_id)
    .bind(&starts)
    .bind(&ends)
    .fetch_all(pool)
    .await?;
    let used: Vec<u64> = used
        .into_iter()
        .filter_map(|b| u64::try_from(b).ok())
        .filter(|b| *b > 0)
        .collect();
    if used.is_empty() {
        return Ok(None);
    }
    let cycles = used.len() as u64;
    let usual = used.iter().sum::<u64>() / cycles;
    if usual <= included {
        return Ok(None);
    }
    let rating = billing::usage::rate_usage_within(
        usual,
        Some(included),
        to.overage_per_gb.map(|p| Money::new(p, currency)),
    );
    Ok(Some(crate::types::plans::UsualUse {
        bytes: usual,
        cycles: cycles as u32,
        included_bytes: included,
        over_gb: rating.overage_gb,
        overage: rating.charge,
    }))
}

/// The next statement's new lines and totals, as the overview shows "your next bill".
fn next_bill(bill: &Bill) -> NextBill {
    let new_lines: Vec<_> = bill
        .lines
        .iter()
        .filter(|l| !matches!(l.source, Source::Received(_)))
        .collect();
    let currency = bill.totals.total_due.currency();
    NextBill {
        issued_on: bill.issued_on,
        new_charges: Money::new(new_lines.iter().map(|l| l.amount.amount()).sum(), currency),
        lines: new_lines
            .into_iter()
            .map(|l| StatementLine {
                description: l.description.clone(),
                period_start: l.period.map(|p| p.start),
                period_end: l.period.map(|p| p.end),
                amount: l.amount,
                working: l.working.clone(),
                question: None,
            })
            .collect(),
        total_due: bill.totals.total_due,
    }
}

/// Makes the change; `accepted_fee` is the fee the subscriber ticked to accept, as sent.
/// Returns whether it took effect at once.
pub async fn change(
    portal: &Portal,
    access: &AccountAccess,
    service_id: i64,
    plan_id: i64,
    seen_plan_id: i64,
    accepted_fee: Option<&str>,
) -> Result<bool, AppError> {
    let accepted_fee = match accepted_fee.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => Some(
            text.parse::<Decimal>()
                .map_err(|_| AppError::InvalidInput {
                    field: "accepted_fee".into(),
                    message: "Not an amount.".into(),
                })?,
        ),
        None => None,
    };
    let account = basics(&portal.pool, access).await?;
    let outcome = plan_changes::request(
        &portal.pool,
        &portal.config.billing,
        &ChangeRequest {
            account_id: access.account_id(),
            service_id,
            to_plan_id: plan_id,
            seen_plan_id,
            accepted_fee,
            login_id: access.assisted().is_none().then_some(access.login_id()),
            staff_id: access.assisted().map(|a| a.staff_id),
            api_key_id: None,
            timing: None,
            today: account.today(),
        },
    )
    .await?;
    if let Some(assist) = access.assisted() {
        crate::server::staff::audit::assisted_action(
            &portal.pool,
            &assist,
            access.account_id(),
            "support.assisted_plan_change",
            serde_json::json!({ "service_id": service_id, "to_plan_id": plan_id, "plan_change_id": outcome.plan_change_id }),
        )
        .await?;
    }
    Ok(outcome.status == ChangeStatus::Applied)
}

/// Cancels a change of the account that waits for its day.
pub async fn cancel(
    portal: &Portal,
    access: &AccountAccess,
    change_id: i64,
) -> Result<(), AppError> {
    plan_changes::cancel(
        &portal.pool,
        access.account_id(),
        change_id,
        access.assisted().is_none().then_some(access.login_id()),
    )
    .await?;
    if let Some(assist) = access.assisted() {
        crate::server::staff::audit::assisted_action(
            &portal.pool,
            &assist,
            access.account_id(),
            "support.assisted_plan_change_cancelled",
            serde_json::json!({ "plan_change_id": change_id }),
        )
        .await?;
    }
    Ok(())
}

//! Switching services off and on again, with the days off recorded.
//!
//! A suspended service accrues nothing while it is off (`billing::bill`, rule 8), so the
//! bill run needs to know which days it was off: each suspension is a row of
//! `service_suspensions`, from the day it began to the day service came back. The schema
//! checks at commit that a `suspended` service has a suspension still open and an active
//! one has none, so no path can switch a service off (or on) without the days being known.

use billing::bill::SuspensionReason;
use chrono::NaiveDate;
use sqlx::PgConnection;

use crate::error::EngineError;

/// Suspends the account's active services from `on`, for `reason`. Returns their ids.
pub(crate) async fn suspend(
    conn: &mut PgConnection,
    account_id: i64,
    reason: SuspensionReason,
    on: NaiveDate,
) -> Result<Vec<i64>, EngineError> {
    Ok(sqlx::query_scalar(
        "with off as (
             update services set status = 'suspended', suspension_reason = $2
              where account_id = $1 and status = 'active'
             returning id, account_id)
         insert into service_suspensions (service_id, account_id, reason, suspended_on)
         select id, account_id, $2, $3 from off
         returning service_id",
    )
    .bind(account_id)
    .bind(reason.as_str())
    .bind(on)
    .fetch_all(&mut *conn)
    .await?)
}

/// Restores the account's services suspended for one of `reasons`, from `on` (or the day
/// they were suspended, if that is later). Returns their ids.
pub(crate) async fn restore(
    conn: &mut PgConnection,
    account_id: i64,
    reasons: &[SuspensionReason],
    on: NaiveDate,
) -> Result<Vec<i64>, EngineError> {
    let reasons: Vec<&str> = reasons.iter().map(SuspensionReason::as_str).collect();
    Ok(sqlx::query_scalar(
        "with back as (
             update services set status = 'active', suspension_reason = null
              where account_id = $1 and status = 'suspended' and suspension_reason = any($2)
             returning id)
         update service_suspensions x set restored_on = greatest(x.suspended_on, $3)
           from back
          where x.service_id = back.id and x.restored_on is null
         returning x.service_id",
    )
    .bind(account_id)
    .bind(&reasons)
    .bind(on)
    .fetch_all(&mut *conn)
    .await?)
}

/// What one whole period of the plans of the account's services switched off for their
/// balance costs, with the tax added to prices that exclude it: a top-up restores them
/// once the balance covers this (a service off for its balance is not charged while off,
/// so a balance merely out of debt would not pay for the days it comes back for).
pub(crate) async fn plan_to_cover(
    conn: &mut PgConnection,
    account_id: i64,
    on: NaiveDate,
) -> Result<rust_decimal::Decimal, EngineError> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(round(p.monthly_price
                                   * (1 + case when p.price_includes_tax then 0
                                               else coalesce(t.rate, 0) end), 2)), 0)
           from services s
           join plans p on p.id = s.plan_id
           join addresses ad on ad.id = s.address_id
           left join lateral (select r.rate from tax_rates r
                               where r.jurisdiction_id = ad.jurisdiction_id and r.valid_from <= $2
                                 and (r.valid_to is null or r.valid_to > $2)
                               order by r.valid_from desc, r.name limit 1) t on true
          where s.account_id = $1 and s.status = 'suspended'
            and s.suspension_reason = 'prepaid_balance'",
    )
    .bind(account_id)
    .bind(on)
    .fetch_one(&mut *conn)
    .await?)
}

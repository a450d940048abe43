//! Usage by plan against its allowance, calendar month by calendar month: for each month
//! the range touches and each plan, the services that used data, what they used (download
//! and upload, as the allowance counts it), and how many of them reached half, four
//! fifths and all of the plan's monthly allowance. It reads `usage_plan_monthly`, the
//! roll-up by plan and month that the database keeps from `usage_monthly`, itself the
//! roll-up of `usage_daily` (migrations `20261215000001` and `20261216000001`): a year is
//! a few hundred rows.
//!
//! A calendar month stands in for each subscriber's own cycle (which starts on their cycle
//! day): the report is about how plans are sized, not what anyone was billed, which their
//! statements say. A service's month counts under the plan it was on when that month's
//! first usage was recorded, against that plan's allowance then, so a service that moved
//! up because it ran out is seen running out on the plan it left. Data add-ons are not part
//! of the allowance here.

use chrono::{Datelike, NaiveDate};
use sqlx::PgPool;

use super::Range;
use crate::EngineError;

/// One plan's usage in one calendar month.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlanMonth {
    /// The month's first day.
    pub month: NaiveDate,
    /// `plans.code`.
    pub code: String,
    pub name: String,
    /// The monthly allowance in GB (10⁹ bytes); `None`: unlimited.
    pub allowance_gb: Option<i32>,
    /// Services with any usage in the month.
    pub services: i64,
    /// Bytes used, download and upload.
    pub bytes: i64,
    /// Services that used at least half of the allowance (zero when unlimited)...
    pub over_half: i64,
    /// ...at least four fifths...
    pub over_four_fifths: i64,
    /// ...and all of it, or more.
    pub over_allowance: i64,
}

/// The first day of the month `day` is in.
fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Every plan with usage in a month the range touches, month by month, plans in
/// catalogue order.
pub async fn report(pool: &PgPool, range: Range) -> Result<Vec<PlanMonth>, EngineError> {
    let rows = sqlx::query_as(
        "select r.month, p.code, p.name, p.allowance_gb,
                sum(r.services)::bigint as services, sum(r.bytes)::bigint as bytes,
                sum(r.at_half)::bigint as over_half,
                sum(r.at_four_fifths)::bigint as over_four_fifths,
                sum(r.at_allowance)::bigint as over_allowance
           from usage_plan_monthly r
           join plans p on p.id = r.plan_id
          where r.month between $1 and $2
          group by r.month, p.id
         having sum(r.services) > 0
          order by r.month, p.currency, p.monthly_price, p.code",
    )
    .persistent(false)
    .bind(month_of(range.from))
    .bind(month_of(range.to))
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

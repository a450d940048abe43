//! Usage by plan against its allowance, calendar month by calendar month: for each month
//! the range touches and each plan, the services that used data, what they used (download
//! and upload, as the allowance counts it), and how many of them reached half, four
//! fifths and all of the plan's monthly allowance. It reads `usage_monthly`, the roll-up
//! of `usage_daily` the database keeps (migration `20261215000001`).
//!
//! A calendar month stands in for each subscriber's own cycle (which starts on their cycle
//! day): the report is about how plans are sized, not what anyone was billed, which their
//! statements say. A service counts under its plan now, and data add-ons are not part of
//! the allowance here.

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
        "select m.month, p.code, p.name, p.allowance_gb,
                count(*) as services,
                sum(m.download_bytes + m.upload_bytes)::bigint as bytes,
                count(*) filter (where p.allowance_gb is not null
                                   and (m.download_bytes + m.upload_bytes) * 2 >= p.allowance_gb * 1000000000::bigint)
                  as over_half,
                count(*) filter (where p.allowance_gb is not null
                                   and (m.download_bytes + m.upload_bytes) * 5 >= p.allowance_gb * 4000000000::bigint)
                  as over_four_fifths,
                count(*) filter (where p.allowance_gb is not null
                                   and m.download_bytes + m.upload_bytes >= p.allowance_gb * 1000000000::bigint)
                  as over_allowance
           from usage_monthly m
           join services s on s.id = m.service_id
           join plans p on p.id = s.plan_id
          where m.month between $1 and $2 and m.download_bytes + m.upload_bytes > 0
          group by m.month, p.id
          order by m.month, p.currency, p.monthly_price, p.code",
    )
    .bind(month_of(range.from))
    .bind(month_of(range.to))
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

//! Usage queries: a billing period by day, one day by hour, the last 12 periods, and CSV.

use billing::cycle::{last_n_periods, period_containing, Period};
use chrono::NaiveDate;
use sqlx::PgPool;

use super::access::AccountAccess;
use super::accounts::{basics, AccountBasics};
use crate::error::AppError;
use crate::types::{DayUsage, HourUsage, PeriodTotal, UsageDayDetail, UsagePeriod, UsageReport};

/// How many past periods the usage page offers.
pub const HISTORY_PERIODS: usize = 12;

async fn allowance_bytes(pool: &PgPool, access: &AccountAccess) -> Result<Option<u64>, AppError> {
    let gb: Option<Option<i32>> = sqlx::query_scalar(
        "select p.allowance_gb from services s join plans p on p.id = s.plan_id
          where s.account_id = $1 and s.status in ('active', 'suspended')
          order by s.activated_on, s.id limit 1",
    )
    .bind(access.account_id())
    .fetch_optional(pool)
    .await?;
    Ok(gb
        .flatten()
        .map(|gb| gb as u64 * billing::usage::BYTES_PER_GB))
}

/// The period `offset` periods before the current one (0: current).
fn period_at(account: &AccountBasics, offset: u32) -> Result<Period, AppError> {
    let day = account.cycle_day()?;
    let mut period = period_containing(account.today(), day);
    for _ in 0..offset.min(HISTORY_PERIODS as u32 - 1) {
        period = period.previous(day);
    }
    Ok(period)
}

async fn days(
    pool: &PgPool,
    access: &AccountAccess,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayUsage>, AppError> {
    // With each day, whether its hours are kept (only recent days have hourly detail).
    let rows: Vec<(NaiveDate, i64, i64, bool)> = sqlx::query_as(
        "select u.day, sum(u.download_bytes)::bigint, sum(u.upload_bytes)::bigint,
                bool_or(h.service_id is not null)
           from usage_daily u join services s on s.id = u.service_id
           left join usage_hourly h on h.service_id = u.service_id and h.day = u.day
          where s.account_id = $1 and u.day >= $2 and u.day < $3
          group by u.day order by u.day",
    )
    .bind(access.account_id())
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(day, down, up, has_hours)| DayUsage {
            has_hours,
            day,
            download_bytes: down.max(0) as u64,
            upload_bytes: up.max(0) as u64,
        })
        .collect())
}

/// One period by day.
pub async fn period(
    pool: &PgPool,
    access: &AccountAccess,
    offset: u32,
) -> Result<UsagePeriod, AppError> {
    let account = basics(pool, access).await?;
    let period = period_at(&account, offset)?;
    Ok(UsagePeriod {
        period_start: period.start,
        period_end: period.end,
        allowance_bytes: allowance_bytes(pool, access).await?,
        days: days(pool, access, period.start, period.end).await?,
    })
}

/// One day by hour (only recent days keep hourly detail; older ones are `None`).
pub async fn day(
    pool: &PgPool,
    access: &AccountAccess,
    day: NaiveDate,
) -> Result<Option<UsageDayDetail>, AppError> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "select h.ord, sum(h.down)::bigint, sum(h.up)::bigint
           from usage_hourly u
           join services s on s.id = u.service_id
           cross join lateral unnest(u.download_bytes, u.upload_bytes) with ordinality as h(down, up, ord)
          where s.account_id = $1 and u.day = $2
          group by h.ord order by h.ord",
    )
    .bind(access.account_id())
    .bind(day)
    .fetch_all(pool)
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let hours = rows
        .into_iter()
        .map(|(ord, down, up)| HourUsage {
            hour: u8::try_from((ord - 1).clamp(0, 24)).unwrap_or(0),
            download_bytes: down.max(0) as u64,
            upload_bytes: up.max(0) as u64,
        })
        .collect();
    Ok(Some(UsageDayDetail { day, hours }))
}

/// The usage page in one call: the chosen period by day, one day of it by hour, the totals
/// of the last 12 periods and the current cycle's data cap (`data_cap::load`, which also
/// gives the plan's allowance), in four queries.
pub async fn report(
    pool: &PgPool,
    config: &engine::EngineConfig,
    access: &AccountAccess,
    offset: u32,
    chosen_day: Option<NaiveDate>,
) -> Result<UsageReport, AppError> {
    let account = basics(pool, access).await?;
    let cap_facts = super::data_cap::load(pool, config, access, &account).await?;
    let allowance = cap_facts.plan_allowance_bytes;
    let periods = last_n_periods(account.today(), account.cycle_day()?, HISTORY_PERIODS);
    let (Some(oldest), Some(newest)) = (periods.last(), periods.first()) else {
        return Err(AppError::internal("usage periods", "none"));
    };
    let all_days = days(pool, access, oldest.start, newest.end).await?;
    let chosen = periods[(offset as usize).min(HISTORY_PERIODS - 1)];
    let current = offset == 0;
    let period = UsagePeriod {
        period_start: chosen.start,
        period_end: chosen.end,
        // This cycle's allowance counts its data add-ons.
        allowance_bytes: match &cap_facts.cap {
            Some(cap) if current => Some(cap.allowance_bytes),
            _ => allowance,
        },
        days: all_days
            .iter()
            .filter(|d| chosen.contains(d.day))
            .cloned()
            .collect(),
    };
    let history = periods
        .iter()
        .map(|p| PeriodTotal {
            period_start: p.start,
            period_end: p.end,
            total_bytes: all_days
                .iter()
                .filter(|d| p.contains(d.day))
                .map(|d| d.download_bytes + d.upload_bytes)
                .sum(),
            allowance_bytes: allowance,
        })
        .collect();
    let day_to_show = chosen_day
        .filter(|d| chosen.contains(*d))
        .or_else(|| period.days.last().map(|d| d.day));
    let day = match day_to_show {
        Some(d) => day(pool, access, d).await?,
        None => None,
    };
    Ok(UsageReport {
        period,
        day,
        history,
        cap: cap_facts.cap.filter(|_| current),
        updated_at: cap_facts.updated_at,
        today: account.today(),
    })
}

/// A period's usage as CSV: one row per day, bytes as integers (for spreadsheets).
pub fn csv(period: &UsagePeriod) -> String {
    let mut out = String::from("date,download_bytes,upload_bytes,total_bytes\n");
    for d in &period.days {
        out.push_str(&format!(
            "{},{},{},{}\n",
            d.day,
            d.download_bytes,
            d.upload_bytes,
            d.download_bytes + d.upload_bytes
        ));
    }
    out
}

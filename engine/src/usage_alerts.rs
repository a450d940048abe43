//! Usage alerts: a subscriber hears when their use in a cycle reaches the operator's
//! thresholds of its allowance (by default 50%, 85% and 100%), each once per cycle.
//!
//! [`check_thresholds`] is run by the `usage_alerts` job (every hour, see [`crate::jobs`])
//! and may be called right after usage is ingested, for the services just written. One
//! statement finds every active capped service whose cycle use reached a threshold and
//! records it in `usage_alerts`, whose unique key (service, cycle start, threshold) makes
//! each alert happen once however often, and from however many instances, it runs. In the
//! same transaction, each service that newly reached a threshold gets one email, for the
//! highest one reached (a service that jumps from 40% to 101% hears about 100%, not three
//! times). The overview shows the cycle's highest alert as a notice.
//!
//! The cycle is the one containing the provider-local day of `now`; the allowance is the
//! plan's plus the cycle's data add-ons ([`crate::data_addons`]).

use std::collections::BTreeMap;

use billing::cycle::{period_containing, CycleDay, Period};
use billing::{Currency, Money};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;

use crate::clock;
use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::mail::{self, Notice, Recipient};

/// What one check did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AlertSummary {
    /// Alerts newly recorded (service, threshold).
    pub recorded: u64,
    /// Emails queued (at most one per service).
    pub emailed: u64,
}

#[derive(sqlx::FromRow)]
struct Reached {
    id: i64,
    account_id: i64,
    service_id: i64,
    threshold: i16,
    used_bytes: i64,
    allowance_bytes: i64,
    cycle_start: NaiveDate,
    cycle_end: NaiveDate,
    currency: String,
    overage_per_gb: Option<Decimal>,
}

/// Records the thresholds reached in the current cycle of every active capped service
/// (or only of `services`, after an ingestion) and emails each service's highest new one.
pub async fn check_thresholds(
    pool: &PgPool,
    config: &EngineConfig,
    now: DateTime<Utc>,
    services: Option<&[i64]>,
) -> Result<AlertSummary, EngineError> {
    let thresholds: Vec<i32> = config
        .data_cap
        .thresholds
        .iter()
        .filter_map(|t| i32::try_from(*t).ok())
        .filter(|t| (1..=1000).contains(t))
        .collect();
    if thresholds.is_empty() {
        return Ok(AlertSummary::default());
    }
    let today = clock::today(config.time_zone, now);
    let mut cycle_days = Vec::with_capacity(31);
    let mut from = Vec::with_capacity(31);
    let mut to = Vec::with_capacity(31);
    for cycle in (1..=31).filter_map(|d| CycleDay::new(d).ok()) {
        let p = period_containing(today, cycle);
        cycle_days.push(i16::from(cycle.get()));
        from.push(p.start);
        to.push(p.end);
    }
    let mut tx = pool.begin().await?;
    let reached: Vec<Reached> = sqlx::query_as(
        "with win as (
             select * from unnest($1::smallint[], $2::date[], $3::date[]) as w(cycle_day, from_day, to_day)
         ), svc as (
             select s.id as service_id, s.account_id, win.from_day, win.to_day,
                    a.currency::text as currency, p.overage_per_gb,
                    (p.allowance_gb::bigint
                      + coalesce((select sum(x.gigabytes) from data_addons x
                                   where x.service_id = s.id and x.cycle_start = win.from_day), 0)::bigint)
                      * 1000000000 as allowance_bytes,
                    coalesce((select sum(u.download_bytes + u.upload_bytes) from usage_daily u
                               where u.service_id = s.id and u.day >= win.from_day
                                 and u.day < win.to_day), 0)::bigint as used_bytes
               from services s
               join accounts a on a.id = s.account_id
               join plans p on p.id = s.plan_id
               join win on win.cycle_day = a.billing_cycle_day
              where s.status = 'active' and p.allowance_gb is not null
                and ($4::bigint[] is null or s.id = any($4))
         ), hit as (
             select svc.*, t.threshold
               from svc cross join unnest($5::int[]) as t(threshold)
              where svc.used_bytes::numeric * 100 >= t.threshold::numeric * svc.allowance_bytes
         ), added as (
             insert into usage_alerts (account_id, service_id, cycle_start, cycle_end, threshold,
                                       used_bytes, allowance_bytes, emailed)
             select account_id, service_id, from_day, to_day, threshold, used_bytes,
                    allowance_bytes, false
               from hit
             on conflict (service_id, cycle_start, threshold) do nothing
             returning id, service_id, threshold
         )
         select added.id, hit.account_id, added.service_id, added.threshold::smallint as threshold,
                hit.used_bytes, hit.allowance_bytes, hit.from_day as cycle_start,
                hit.to_day as cycle_end, hit.currency, hit.overage_per_gb
           from added join hit on hit.service_id = added.service_id and hit.threshold = added.threshold
          order by added.service_id, added.threshold",
    )
    .bind(&cycle_days)
    .bind(&from)
    .bind(&to)
    .bind(services)
    .bind(&thresholds)
    .fetch_all(&mut *tx)
    .await?;

    // The highest newly reached threshold of each service.
    let mut highest: BTreeMap<i64, &Reached> = BTreeMap::new();
    for r in &reached {
        let slot = highest.entry(r.service_id).or_insert(r);
        if r.threshold > slot.threshold {
            *slot = r;
        }
    }
    let mut emails = Vec::with_capacity(highest.len());
    let mut emailed_ids = Vec::with_capacity(highest.len());
    for r in highest.values() {
        let Some(to) = mail::recipient(&mut tx, r.account_id).await? else {
            continue;
        };
        emails.push(alert_email(config, r, &to)?);
        emailed_ids.push(r.id);
    }
    mail::enqueue_all(&mut tx, &emails).await?;
    if !emailed_ids.is_empty() {
        sqlx::query("update usage_alerts set emailed = true where id = any($1)")
            .bind(&emailed_ids)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(AlertSummary {
        recorded: reached.len() as u64,
        emailed: emails.len() as u64,
    })
}

/// "You have used 85% of your data for Dec 1 – Dec 30, 2026", with the ways out, in the
/// recipient's language.
fn alert_email(
    config: &EngineConfig,
    r: &Reached,
    to: &Recipient,
) -> Result<mail::Email, EngineError> {
    let (w, f) = (to.words(), to.formats());
    let cycle = Period {
        start: r.cycle_start,
        end: r.cycle_end,
    };
    let used = u64::try_from(r.used_bytes).unwrap_or(0);
    let allowance = u64::try_from(r.allowance_bytes).unwrap_or(0);
    let period = f.period(&cycle);
    let subject = if r.threshold >= 100 {
        (w.usage_subject_all)(&period)
    } else {
        (w.usage_subject)(r.threshold, &period)
    };
    let currency = Currency::parse(r.currency.trim()).ok();
    let overage = r
        .overage_per_gb
        .zip(currency)
        .map(|(o, c)| Money::new(o, c));
    let mut paragraphs = vec![(w.usage_used)(
        &f.gigabytes_to_tenth(used),
        &f.gigabytes_to_tenth(allowance),
        &period,
    )];
    if let Some(price) = overage {
        paragraphs.push((w.usage_overage)(&f.money(&price)));
    }
    if let Some(offer) = crate::data_addons::offer(config, overage) {
        paragraphs.push((w.usage_offer)(
            &f.count(offer.gigabytes.into()),
            &f.money(&offer.price),
        ));
    }
    Notice {
        kind: "usage_alert",
        account_id: r.account_id,
        to: &to.email,
        first_name: &to.first_name,
        words: w,
        subject,
        paragraphs,
        link: Some((w.see_usage, format!("{}/usage", config.public_url))),
    }
    .render(config)
}

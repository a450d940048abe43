//! The data cap as the overview and the usage page show it: the current cycle's use against
//! the allowance (plan and add-ons), the forecast (`billing::data_cap`), the highest alert
//! reached, how fresh the figures are, and the two ways out (a data add-on, an upgrade).
//! Read in one statement, so neither page pays a round trip more for it: with the tax an
//! add-on paid now would carry and the card it would be charged to, so both are shown
//! before the subscriber confirms.

use billing::cycle::period_containing;
use billing::data_cap::{forecast, paid_now};
use billing::{Money, TaxRate, BYTES_PER_GB};
use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::access::AccountAccess;
use super::accounts::AccountBasics;
use crate::error::AppError;
use crate::types::{AddOnOffer, DataCap, PayNowOffer};

#[derive(sqlx::FromRow)]
struct CapRow {
    service_id: Option<i64>,
    status: Option<String>,
    account_used: i64,
    allowance_gb: Option<i32>,
    overage_per_gb: Option<Decimal>,
    addon_gb: Option<i64>,
    addons: Option<i32>,
    used_total: Option<i64>,
    used_complete: Option<i64>,
    alert: Option<i32>,
    upgrade_plan_id: Option<i64>,
    fresh: Option<DateTime<Utc>>,
    tax_rate: Option<Decimal>,
    tax_inclusive: Option<bool>,
    card_brand: Option<String>,
    card_last4: Option<String>,
}

/// What [`load`] finds.
pub struct CapFacts {
    /// The current cycle's data cap of the account's first service (`None` when it is not
    /// active or its plan is unlimited).
    pub cap: Option<DataCap>,
    /// When the newest usage figure was taken (the account's local time).
    pub updated_at: Option<NaiveDateTime>,
    /// The first service's plan allowance (`None`: unlimited, or no service).
    pub plan_allowance_bytes: Option<u64>,
    /// Whether the account has an active or suspended service.
    pub has_service: bool,
    /// The whole account's use in the current cycle.
    pub account_used: u64,
}

/// The data cap, in one statement (see [`CapFacts`]).
pub async fn load(
    pool: &PgPool,
    config: &engine::EngineConfig,
    access: &AccountAccess,
    account: &AccountBasics,
) -> Result<CapFacts, AppError> {
    let today = account.today();
    let cycle = period_containing(today, account.cycle_day()?);
    let row: CapRow = sqlx::query_as(&format!(
        "select c.*,
                (select coalesce(sum(u.download_bytes + u.upload_bytes), 0)
                   from usage_daily u join services s on s.id = u.service_id
                  where s.account_id = $1 and u.day >= $2 and u.day < $3)::bigint as account_used,
                (select max(u.through) from usage_daily u join services s on s.id = u.service_id
                  where s.account_id = $1 and u.day >= $2 and u.day < $3) as fresh
           from (select 1) one
           left join lateral (
             select s.id as service_id, s.status, p.allowance_gb, p.overage_per_gb,
                    (select coalesce(sum(x.gigabytes), 0) from data_addons x
                      where x.service_id = s.id and x.cycle_start = $2)::bigint as addon_gb,
                    (select count(*) from data_addons x
                      where x.service_id = s.id and x.cycle_start = $2)::int as addons,
                    (select coalesce(sum(u.download_bytes + u.upload_bytes), 0) from usage_daily u
                      where u.service_id = s.id and u.day >= $2 and u.day < $3)::bigint as used_total,
                    (select coalesce(sum(u.download_bytes + u.upload_bytes), 0) from usage_daily u
                      where u.service_id = s.id and u.day >= $2 and u.day < least($3, $4))::bigint
                      as used_complete,
                    (select max(t.threshold) from usage_alerts t
                      where t.service_id = s.id and t.cycle_start = $2)::int as alert,
                    (select p.id from plans cp, plans p
                      where cp.id = s.plan_id and {eligible}
                        and (p.allowance_gb is null or p.allowance_gb > cp.allowance_gb)
                      order by p.allowance_gb nulls last, p.monthly_price, p.id limit 1)
                      as upgrade_plan_id,
                    tx.rate as tax_rate, tx.inclusive as tax_inclusive,
                    card.brand as card_brand, card.last4 as card_last4
               from services s
               join accounts a on a.id = s.account_id
               join addresses ad on ad.id = s.address_id
               join plans p on p.id = s.plan_id
               left join lateral ({tax}) tx on true
               left join lateral (select m.brand, m.last4::text as last4 from payment_methods m
                                   where {card}) card on true
              where s.account_id = $1 and s.status in ('active', 'suspended')
              order by s.activated_on, s.id limit 1) c on true",
        eligible = engine::plan_changes::ELIGIBLE,
        tax = engine::data_addons::tax_sql("s.id", "s.account_id", "$4::date"),
        card = engine::cards::saved::one_tap_condition("s.account_id", "$4::date"),
    ))
    .bind(access.account_id())
    .bind(cycle.start)
    .bind(cycle.end)
    .bind(today)
    .fetch_one(pool)
    .await?;

    let tz = super::tz(&account.time_zone);
    let mut facts = CapFacts {
        cap: None,
        updated_at: row.fresh.map(|t| t.with_timezone(&tz).naive_local()),
        plan_allowance_bytes: row
            .allowance_gb
            .map(|gb| u64::try_from(gb).unwrap_or(0) * BYTES_PER_GB),
        has_service: row.service_id.is_some(),
        account_used: u64::try_from(row.account_used).unwrap_or(0),
    };
    let (Some(service_id), Some(allowance_gb), Some("active")) =
        (row.service_id, row.allowance_gb, row.status.as_deref())
    else {
        return Ok(facts);
    };
    let currency = account.currency()?;
    let bytes = |v: Option<i64>| u64::try_from(v.unwrap_or(0)).unwrap_or(0);
    let addon_bytes = bytes(row.addon_gb) * BYTES_PER_GB;
    let allowance_bytes = u64::try_from(allowance_gb).unwrap_or(0) * BYTES_PER_GB + addon_bytes;
    let used_bytes = bytes(row.used_total);
    let overage_per_gb = row.overage_per_gb.map(|o| Money::new(o, currency));
    let seq = i16::try_from(row.addons.unwrap_or(0) + 1).unwrap_or(i16::MAX);
    let may_buy = access
        .assisted()
        .is_none_or(|a| a.role.has(super::staff::Right::AssistedChanges));
    // Paid now, the add-on carries the tax on it alone (billing::bill, rule 4); the card
    // named is the one charged at once, the subscriber's own default card (staff take a
    // card on the pay page, never a saved one).
    let tax = row
        .tax_rate
        .zip(row.tax_inclusive)
        .and_then(|(rate, inclusive)| TaxRate::new(rate, inclusive).ok());
    let one_tap_card = match (&row.card_brand, &row.card_last4, access.assisted()) {
        (Some(brand), Some(last4), None) => Some(super::payments::card_words(brand, last4)),
        _ => None,
    };
    let pay_now = |price: Money| {
        config.stripe.is_some().then(|| {
            let due = paid_now(price, tax.as_ref());
            PayNowOffer {
                tax: due.tax,
                total: due.total,
                card: one_tap_card.clone(),
            }
        })
    };
    facts.cap = Some(DataCap {
        service_id,
        period_start: cycle.start,
        period_end: cycle.end,
        allowance_bytes,
        addon_bytes,
        used_bytes,
        forecast: forecast(
            &cycle,
            today,
            bytes(row.used_complete),
            used_bytes,
            allowance_bytes,
        ),
        alert: row.alert.and_then(|a| u32::try_from(a).ok()),
        overage_per_gb,
        offer: engine::data_addons::offer(config, overage_per_gb).map(|o| AddOnOffer {
            gigabytes: o.gigabytes,
            price: o.price,
            seq,
            pay_now: pay_now(o.price),
        }),
        upgrade_href: row
            .upgrade_plan_id
            .map(|plan| format!("/plans/{service_id}/{plan}")),
        may_buy,
    });
    Ok(facts)
}

/// Buys a data add-on for the service's current cycle, to be paid as the subscriber chose
/// (`engine::data_addons`), and says where the browser goes next:
///
/// * on the next statement: back to the usage page, with a notice;
/// * now by card, by the subscriber with a usable default card: that card is charged at
///   once for what was posted (the add-on's own attempt key, so a repeated post is the same
///   payment), and the receipt shows how it went (paid, the bank's check to finish, or
///   declined with the add-on still theirs);
/// * now by card otherwise (no such card, staff acting for the subscriber, Stripe not
///   answering): the pay page, asking for exactly that amount.
///
/// Staff acting for the subscriber are recorded as the buyer and audited.
pub async fn buy(
    portal: &super::Portal,
    access: &AccountAccess,
    service_id: i64,
    seq: i16,
    pay: engine::data_addons::PayBy,
) -> Result<String, AppError> {
    use engine::data_addons::PayBy;
    if pay == PayBy::Card && portal.stripe.is_none() {
        return Err(AppError::Unavailable);
    }
    let account = super::accounts::basics(&portal.pool, access).await?;
    let bought = engine::data_addons::buy(
        &portal.pool,
        &portal.config.billing,
        &engine::data_addons::Purchase {
            account_id: access.account_id(),
            service_id,
            seq,
            login_id: access.assisted().is_none().then_some(access.login_id()),
            staff_id: access.assisted().map(|a| a.staff_id),
            today: account.today(),
            pay,
        },
    )
    .await?;
    if let (Some(assist), true) = (access.assisted(), bought.new) {
        super::staff::audit::assisted_action(
            &portal.pool,
            &assist,
            access.account_id(),
            "support.assisted_data_addon",
            serde_json::json!({
                "service_id": service_id,
                "data_addon_id": bought.id,
                "paid_now": bought.paid_now.map(|p| p.total.amount()),
            }),
        )
        .await?;
    }
    // A repeated post keeps the first post's choice: one on the next statement stays there.
    if bought.paid_now.is_none() {
        return Ok("/usage?addon=bought".into());
    }
    let pay_page = format!("/pay?addon={}", bought.id);
    let (Some(stripe), None) = (portal.stripe.as_ref(), access.assisted()) else {
        return Ok(pay_page);
    };
    match engine::data_addons::pay_one_tap(
        &portal.pool,
        stripe,
        &portal.config.billing,
        access.account_id(),
        bought.id,
        access.login_id(),
        account.today(),
    )
    .await
    {
        Ok(Some(payment)) => Ok(format!("/payments/{}", payment.payment_id)),
        Ok(None) => Ok(pay_page),
        // Bought and posted; the card could not be asked now: the pay page can.
        Err(engine::EngineError::Stripe(error)) => {
            tracing::warn!(data_addon = bought.id, %error, "data add-on: Stripe unreachable");
            Ok(pay_page)
        }
        // Paid already by another payment (a second tab): its page says so.
        Err(engine::EngineError::Conflict(_)) => Ok(pay_page),
        Err(other) => Err(other.into()),
    }
}

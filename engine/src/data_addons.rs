//! Data add-ons: "+100 GB this cycle", bought from the portal and added to the next
//! statement as a one-time charge of kind `data_addon` (taxed like other charges).
//!
//! The rules are `billing`'s: the price is [`billing::data_cap::addon_price`] from the plan's
//! overage price and the operator's [`DataCapPolicy`](crate::config::DataCapPolicy); how
//! the bill rates a cycle's usage with its add-ons is `billing::bill`'s rule 3. Here: the
//! purchase, in one transaction, exactly once per form post (each add-on of a cycle has a
//! sequence number the page sends; a repeated post finds the add-on already bought).

use billing::cycle::{period_containing, CycleDay, Period};
use billing::{text, Currency, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::config::EngineConfig;
use crate::error::EngineError;

/// What one add-on for a service's plan would be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    /// Gigabytes added to the cycle's allowance.
    pub gigabytes: u32,
    /// The price (before tax where tax is added).
    pub price: Money,
}

/// The add-on a plan with this overage price offers, if any: none for a plan without an
/// overage price (unlimited, or never charged over), nor when the operator's discount
/// makes it free (a one-time charge is never zero).
pub fn offer(config: &EngineConfig, overage_per_gb: Option<Money>) -> Option<Offer> {
    let overage = overage_per_gb?;
    let policy = &config.data_cap;
    let price = billing::data_cap::addon_price(
        overage,
        policy.addon_gigabytes,
        policy.addon_discount_percent,
    );
    (policy.addon_gigabytes > 0 && price.is_positive()).then_some(Offer {
        gigabytes: policy.addon_gigabytes,
        price,
    })
}

/// A request to buy an add-on.
#[derive(Debug, Clone)]
pub struct Purchase {
    /// The account (the caller's, from its access).
    pub account_id: i64,
    /// The service, looked up within that account.
    pub service_id: i64,
    /// The number of this add-on within the cycle, as the page showed it (1 for the first).
    pub seq: i16,
    /// The subscriber's login, when they buy it.
    pub login_id: Option<i64>,
    /// The staff member, when staff buy it for the subscriber.
    pub staff_id: Option<i64>,
    /// Today in the provider's calendar.
    pub today: NaiveDate,
}

/// An add-on bought (or found already bought by the same post).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bought {
    /// `data_addons.id`.
    pub id: i64,
    /// The one-time charge that bills it.
    pub one_time_charge_id: i64,
    /// Gigabytes added.
    pub gigabytes: u32,
    /// What it costs.
    pub price: Money,
    /// The cycle whose allowance it raises.
    pub cycle: Period,
    /// False when this post had already bought it.
    pub new: bool,
}

#[derive(sqlx::FromRow)]
struct ServiceRow {
    status: String,
    billing_cycle_day: i16,
    currency: String,
    allowance_gb: Option<i32>,
    overage_per_gb: Option<Decimal>,
}

/// Buys an add-on for the service's current cycle. Refused (nothing written) for another
/// account's service, a service that is not active, a plan without an allowance to add to,
/// or a sequence number that is not the next one (the page was out of date).
pub async fn buy(
    pool: &PgPool,
    config: &EngineConfig,
    purchase: &Purchase,
) -> Result<Bought, EngineError> {
    if purchase.login_id.is_some() == purchase.staff_id.is_some() {
        return Err(EngineError::Invalid(
            "an add-on is bought by the subscriber or by staff".into(),
        ));
    }
    let mut tx = pool.begin().await?;
    let service: ServiceRow = sqlx::query_as(
        "select s.status, a.billing_cycle_day, a.currency::text as currency, p.allowance_gb,
                p.overage_per_gb
           from services s join accounts a on a.id = s.account_id join plans p on p.id = s.plan_id
          where s.id = $1 and s.account_id = $2
          for update of s",
    )
    .bind(purchase.service_id)
    .bind(purchase.account_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(EngineError::NotFound)?;
    if service.status != "active" {
        return Err(EngineError::Invalid(
            "Data can be added only to an active service.".into(),
        ));
    }
    let currency = Currency::parse(service.currency.trim())
        .map_err(|e| EngineError::Invalid(e.to_string()))?;
    let Some(offer) = service.allowance_gb.and_then(|_| {
        offer(
            config,
            service.overage_per_gb.map(|o| Money::new(o, currency)),
        )
    }) else {
        return Err(EngineError::Invalid(
            "This plan has no data allowance to add to.".into(),
        ));
    };
    let cycle_day = CycleDay::new(u8::try_from(service.billing_cycle_day).unwrap_or(0))
        .map_err(|e| EngineError::Invalid(e.to_string()))?;
    let cycle = period_containing(purchase.today, cycle_day);

    let existing: Vec<(i64, i16, i64, i32, Decimal)> = sqlx::query_as(
        "select x.id, x.seq, x.one_time_charge_id, x.gigabytes, o.amount
           from data_addons x join one_time_charges o on o.id = x.one_time_charge_id
          where x.service_id = $1 and x.cycle_start = $2
          order by x.seq",
    )
    .bind(purchase.service_id)
    .bind(cycle.start)
    .fetch_all(&mut *tx)
    .await?;
    if let Some((id, _, charge, gb, amount)) =
        existing.iter().find(|(_, seq, ..)| *seq == purchase.seq)
    {
        return Ok(Bought {
            id: *id,
            one_time_charge_id: *charge,
            gigabytes: u32::try_from(*gb).unwrap_or(0),
            price: Money::new(*amount, currency),
            cycle,
            new: false,
        });
    }
    let next = i16::try_from(existing.len() + 1).unwrap_or(i16::MAX);
    if purchase.seq != next {
        return Err(EngineError::Conflict(
            "The page was out of date; please look at your data add-ons again.".into(),
        ));
    }

    let description = format!(
        "Data add-on: {} GB for {}",
        text::count(offer.gigabytes.into()),
        text::period(&cycle)
    );
    let charge: i64 = sqlx::query_scalar(
        "insert into one_time_charges (account_id, currency, service_id, description, amount,
                                       charge_on, kind)
         values ($1, $2, $3, $4, $5, $6, 'data_addon') returning id",
    )
    .bind(purchase.account_id)
    .bind(currency.as_str())
    .bind(purchase.service_id)
    .bind(&description)
    .bind(offer.price.amount())
    .bind(purchase.today)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = sqlx::query_scalar(
        "insert into data_addons (account_id, service_id, cycle_start, cycle_end, seq, gigabytes,
                                  bought_on, one_time_charge_id, bought_by_login, bought_by_staff)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
    )
    .bind(purchase.account_id)
    .bind(purchase.service_id)
    .bind(cycle.start)
    .bind(cycle.end)
    .bind(purchase.seq)
    .bind(i32::try_from(offer.gigabytes).unwrap_or(i32::MAX))
    .bind(purchase.today)
    .bind(charge)
    .bind(purchase.login_id)
    .bind(purchase.staff_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Bought {
        id,
        one_time_charge_id: charge,
        gigabytes: offer.gigabytes,
        price: offer.price,
        cycle,
        new: true,
    })
}

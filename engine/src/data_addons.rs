//! Data add-ons: "+100 GB this cycle", bought from the portal and paid one of two ways the
//! subscriber chooses when buying ([`PayBy`]; the rule is `billing::bill`'s rule 4):
//!
//! * **On the next statement**: a one-time charge of kind `data_addon`, billed and taxed by
//!   the bill run with the statement's other charges.
//! * **Now by card**: the same one-time charge, posted to the ledger when it is bought
//!   together with the tax on it alone ([`billing::data_cap::paid_now`], at the rate the
//!   statement would apply: its service's), so the balance shows it at once; then [`pay`]
//!   (or [`pay_one_tap`], with the saved default card) asks the card for exactly their sum
//!   through the card payment machinery ([`crate::cards::payments::start`]: the payment
//!   row first, then Stripe, and the ledger only once Stripe says it succeeded). The
//!   statement shows the posted entries and never charges the add-on again.
//!
//! **The data is granted when the add-on is bought, paid or not.** A declined card, a bank
//! check never finished or a subscriber who leaves the pay page leaves the add-on in place
//! and what was posted owed with the next statement, like any charge no statement has
//! shown yet; it can be paid on the pay page until then. A card payment for an add-on is a
//! payment like any other (it pays the oldest charges first).
//!
//! The rules are `billing`'s: the price is [`billing::data_cap::addon_price`] from the
//! plan's overage price and the operator's [`DataCapPolicy`](crate::config::DataCapPolicy);
//! how the bill rates a cycle's usage with its add-ons is `billing::bill`'s rule 3. Here:
//! the purchase, in one transaction (the add-on, its charge and, paid now, its ledger
//! entries), exactly once per form post (each add-on of a cycle has a sequence number the
//! page sends; a repeated post finds the add-on already bought, with the way it was to be
//! paid). The one-tap payment's key is made from the add-on ([`one_tap_attempt`]), so a
//! double tap or a retried post finds the same payment and never charges twice. Stripe is
//! called only after that transaction has committed, never while it holds locks.

use billing::bill::TaxTerms;
use billing::cycle::{period_containing, CycleDay, Period};
use billing::data_cap::{paid_now, PaidNow};
use billing::{text, Currency, Money, TaxRate};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use crate::cards::{CardPayment, PayRequest, Source, Stripe};
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

/// The tax an add-on of a service is charged at on a day (`billing::bill`, rule 4): the
/// rate in force at the service's address, or, where that address has none, at the
/// account's first taxed service's (services by id, pending ones left out, as the bill
/// run reads them). `service`, `account` and `day` are SQL expressions (a parameter or a
/// column), so the portal's cap query shows the same tax in its own single statement.
/// Selects `name`, `rate` and `inclusive`, one row at most.
pub fn tax_sql(service: &str, account: &str, day: &str) -> String {
    format!(
        "select r.name, r.rate, r.inclusive
           from services tx_s
           join addresses tx_a on tx_a.id = tx_s.address_id
           join lateral (select t.name, t.rate, t.inclusive from tax_rates t
                          where t.jurisdiction_id = tx_a.jurisdiction_id and t.valid_from <= {day}
                            and (t.valid_to is null or t.valid_to > {day})
                          order by t.valid_from desc, t.name limit 1) r on true
          where tx_s.account_id = {account} and tx_s.status <> 'pending'
          order by tx_s.id = {service} desc, tx_s.id
          limit 1"
    )
}

/// The tax for an add-on of `service_id` bought on `day` ([`tax_sql`]).
async fn tax_of(
    conn: &mut PgConnection,
    account_id: i64,
    service_id: i64,
    day: NaiveDate,
) -> Result<Option<TaxTerms>, EngineError> {
    let row: Option<(String, Decimal, bool)> = sqlx::query_as(&tax_sql("$1", "$2", "$3::date"))
        .bind(service_id)
        .bind(account_id)
        .bind(day)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|(name, rate, inclusive)| {
        Ok(TaxTerms {
            name,
            rate: TaxRate::new(rate, inclusive)
                .map_err(|e| EngineError::bad_data(&account_id.to_string(), e.to_string()))?,
        })
    })
    .transpose()
}

/// How the subscriber chose to pay for an add-on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayBy {
    /// A one-time charge on the next statement.
    NextStatement,
    /// Now by card: posted to the ledger with its tax when bought, then [`pay`].
    Card,
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
    /// How it is to be paid.
    pub pay: PayBy,
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
    /// What it costs (before tax where tax is added).
    pub price: Money,
    /// The cycle whose allowance it raises.
    pub cycle: Period,
    /// False when this post had already bought it.
    pub new: bool,
    /// Paid now by card: what was posted to the ledger and is to be asked of the card.
    /// `None`: it is on the next statement (a repeated post keeps the first choice).
    pub paid_now: Option<PaidNow>,
}

#[derive(sqlx::FromRow)]
struct ServiceRow {
    status: String,
    billing_cycle_day: i16,
    currency: String,
    allowance_gb: Option<i32>,
    overage_per_gb: Option<Decimal>,
}

#[derive(sqlx::FromRow)]
struct ExistingRow {
    id: i64,
    seq: i16,
    one_time_charge_id: i64,
    gigabytes: i32,
    amount: Decimal,
    posted_charge: Option<Decimal>,
    posted_tax: Option<Decimal>,
}

/// The ledger keys of a one-time charge posted when bought: its charge and its tax.
fn posted_keys(one_time_charge_id: i64) -> (String, String) {
    (
        format!("one-time:{one_time_charge_id}"),
        format!("one-time:{one_time_charge_id}:tax"),
    )
}

/// What was posted for a charge (`None` when it waits for the statement).
fn posted(charge: Option<Decimal>, tax: Option<Decimal>, currency: Currency) -> Option<PaidNow> {
    let charge = Money::new(charge?, currency);
    let tax = Money::new(tax.unwrap_or_default(), currency);
    Some(PaidNow {
        charge,
        tax,
        total: Money::new(charge.amount() + tax.amount(), currency),
    })
}

/// Buys an add-on for the service's current cycle. Refused (nothing written) for another
/// account's service, a service that is not active, a plan without an allowance to add to,
/// or a sequence number that is not the next one (the page was out of date). Paid now by
/// card, the charge and its tax are posted to the ledger in the same transaction; the card
/// is asked afterwards ([`pay`], [`pay_one_tap`]).
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
    // The account first, as every write to its ledger locks it (crate::payments::post).
    sqlx::query("select 1 from accounts where id = $1 for update")
        .bind(purchase.account_id)
        .execute(&mut *tx)
        .await?;
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

    let existing: Vec<ExistingRow> = sqlx::query_as(
        "select x.id, x.seq, x.one_time_charge_id, x.gigabytes, o.amount,
                (select l.amount from ledger_entries l where l.id = o.posted_entry_id)
                  as posted_charge,
                (select l.amount from ledger_entries l
                  where l.idempotency_key = 'one-time:' || o.id || ':tax') as posted_tax
           from data_addons x join one_time_charges o on o.id = x.one_time_charge_id
          where x.service_id = $1 and x.cycle_start = $2
          order by x.seq",
    )
    .bind(purchase.service_id)
    .bind(cycle.start)
    .fetch_all(&mut *tx)
    .await?;
    if let Some(found) = existing.iter().find(|x| x.seq == purchase.seq) {
        return Ok(Bought {
            id: found.id,
            one_time_charge_id: found.one_time_charge_id,
            gigabytes: u32::try_from(found.gigabytes).unwrap_or(0),
            price: Money::new(found.amount, currency),
            cycle,
            new: false,
            paid_now: posted(found.posted_charge, found.posted_tax, currency),
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
    let paid_now = match purchase.pay {
        PayBy::NextStatement => None,
        PayBy::Card => {
            let posted = post_now(&mut tx, purchase, charge, offer.price, &description).await?;
            Some(posted)
        }
    };
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
        paid_now,
    })
}

/// Posts an add-on paid now: its charge and the tax on it alone, dated the day it was
/// bought, in the purchase's transaction (`billing::bill`, rule 4). The statement will show
/// both entries (rule 7) and leave the one-time charge out (it is marked posted).
async fn post_now(
    conn: &mut PgConnection,
    purchase: &Purchase,
    one_time_charge_id: i64,
    price: Money,
    description: &str,
) -> Result<PaidNow, EngineError> {
    let tax = tax_of(
        conn,
        purchase.account_id,
        purchase.service_id,
        purchase.today,
    )
    .await?;
    let due = paid_now(price, tax.as_ref().map(|t| &t.rate));
    let (charge_key, tax_key) = posted_keys(one_time_charge_id);
    // A price that includes its tax shows the net, as a statement line does.
    let charge_text = match &tax {
        Some(t) if t.rate.inclusive && due.tax.is_positive() => format!(
            "{description} (price {} incl. {})",
            text::money(price),
            t.name
        ),
        _ => description.to_string(),
    };
    let entry: i64 = sqlx::query_scalar(
        "insert into ledger_entries (account_id, currency, kind, amount, description, effective_on,
                                     idempotency_key)
         values ($1, $2, 'charge', $3, $4, $5, $6) returning id",
    )
    .bind(purchase.account_id)
    .bind(price.currency().as_str())
    .bind(due.charge.amount())
    .bind(&charge_text)
    .bind(purchase.today)
    .bind(&charge_key)
    .fetch_one(&mut *conn)
    .await?;
    if let (Some(t), true) = (&tax, due.tax.is_positive()) {
        sqlx::query(
            "insert into ledger_entries (account_id, currency, kind, amount, description,
                                         effective_on, idempotency_key)
             values ($1, $2, 'tax', $3, $4, $5, $6)",
        )
        .bind(purchase.account_id)
        .bind(price.currency().as_str())
        .bind(due.tax.amount())
        .bind(format!(
            "{} {} on the data add-on",
            t.name,
            text::percent(t.rate.rate)
        ))
        .bind(purchase.today)
        .bind(&tax_key)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("update one_time_charges set posted_entry_id = $2 where id = $1")
        .bind(one_time_charge_id)
        .bind(entry)
        .execute(&mut *conn)
        .await?;
    Ok(due)
}

/// An add-on as the pay page and a payment for it see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// `data_addons.id`.
    pub id: i64,
    /// "Data add-on: 100 GB for Nov 5 – Dec 4, 2026".
    pub description: String,
    /// What was posted when it was bought; `None`: it is on the next statement instead.
    pub paid_now: Option<PaidNow>,
    /// Whether a card payment for it has succeeded.
    pub paid: bool,
}

/// The add-on `data_addon_id` of the account: what was posted for it and whether a card
/// payment for it has succeeded. Another account's add-on is not found.
pub async fn due(
    conn: &mut PgConnection,
    account_id: i64,
    data_addon_id: i64,
) -> Result<Due, EngineError> {
    let row: Option<DueRow> = sqlx::query_as(
        "select o.description, o.currency::text as currency,
                (select l.amount from ledger_entries l where l.id = o.posted_entry_id)
                  as posted_charge,
                (select l.amount from ledger_entries l
                  where l.idempotency_key = 'one-time:' || o.id || ':tax') as posted_tax,
                exists (select 1 from payments p
                         where p.data_addon_id = x.id and p.status = 'succeeded') as paid
           from data_addons x join one_time_charges o on o.id = x.one_time_charge_id
          where x.id = $1 and x.account_id = $2",
    )
    .bind(data_addon_id)
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or(EngineError::NotFound)?;
    let currency = Currency::parse(row.currency.trim())
        .map_err(|e| EngineError::bad_data(&account_id.to_string(), e.to_string()))?;
    Ok(Due {
        id: data_addon_id,
        description: row.description,
        paid_now: posted(row.posted_charge, row.posted_tax, currency),
        paid: row.paid,
    })
}

#[derive(sqlx::FromRow)]
struct DueRow {
    description: String,
    currency: String,
    posted_charge: Option<Decimal>,
    posted_tax: Option<Decimal>,
    paid: bool,
}

/// A card payment for an add-on bought to be paid now.
#[derive(Debug, Clone)]
pub struct AddOnPayment {
    /// The account (the caller's, from its access).
    pub account_id: i64,
    /// `data_addons.id`, looked up within that account.
    pub data_addon_id: i64,
    /// The amount the page showed, when the page sends it back: refused unless it is what
    /// was posted for the add-on.
    pub shown: Option<Money>,
    /// A saved card (`payment_methods.id`); `None` for a new card.
    pub saved_card: Option<i64>,
    /// A new card: keep it once the payment succeeds.
    pub save_card: bool,
    /// The attempt key (the browser's, or [`one_tap_attempt`]).
    pub attempt: String,
    /// The subscriber's login, when they pay.
    pub login_id: Option<i64>,
    /// Taken by a staff member for the subscriber: (staff user, support session).
    pub assisted: Option<(i64, i64)>,
}

/// The attempt key of the one-tap payment of an add-on: the same add-on, however often it
/// is posted, is the same payment.
pub fn one_tap_attempt(data_addon_id: i64) -> String {
    format!("data-addon-{data_addon_id:010}")
}

/// Starts (or, with the same attempt, finds again) the card payment for an add-on bought
/// to be paid now: exactly what was posted for it, through
/// [`crate::cards::payments::start`]. Refused for an add-on on the next statement, one
/// already paid by another payment, or a shown amount that is not the add-on's.
pub async fn pay(
    pool: &PgPool,
    stripe: &Stripe,
    config: &EngineConfig,
    payment: &AddOnPayment,
) -> Result<CardPayment, EngineError> {
    let mut conn = pool.acquire().await?;
    let due = due(&mut conn, payment.account_id, payment.data_addon_id).await?;
    let Some(posted) = due.paid_now else {
        return Err(EngineError::Invalid(
            "This data add-on is on your next statement.".into(),
        ));
    };
    // Paid by another payment: nothing more to take. (The same attempt again finds its own
    // payment in `start`, whatever state it reached.)
    let paid_by_another: bool = sqlx::query_scalar(
        "select exists (select 1 from payments where data_addon_id = $1 and account_id = $2
                          and status = 'succeeded' and idempotency_key <> $3)",
    )
    .bind(payment.data_addon_id)
    .bind(payment.account_id)
    .bind(format!("card:{}", payment.attempt))
    .fetch_one(&mut *conn)
    .await?;
    drop(conn);
    if paid_by_another {
        return Err(EngineError::Conflict(
            "This data add-on is already paid.".into(),
        ));
    }
    if payment.shown.is_some_and(|shown| shown != posted.total) {
        return Err(EngineError::Conflict(format!(
            "This data add-on costs {}. Please reload the page.",
            text::money(posted.total)
        )));
    }
    crate::cards::payments::start(
        pool,
        stripe,
        config,
        &PayRequest {
            account_id: payment.account_id,
            amount: posted.total,
            statement_id: None,
            data_addon_id: Some(payment.data_addon_id),
            source: Source::Portal,
            login_id: payment.login_id,
            attempt: payment.attempt.clone(),
            saved_card: payment.saved_card,
            save_card: payment.save_card,
            assisted: payment.assisted,
        },
    )
    .await
}

/// Pays an add-on bought to be paid now with the account's one-tap card (its default card,
/// while it has not expired: [`crate::cards::saved::one_tap_card`]), under the add-on's own
/// attempt key. `None` when there is no such card: the subscriber pays on the pay page.
/// The subscriber's own choice only: staff never charge a saved card.
pub async fn pay_one_tap(
    pool: &PgPool,
    stripe: &Stripe,
    config: &EngineConfig,
    account_id: i64,
    data_addon_id: i64,
    login_id: i64,
    today: NaiveDate,
) -> Result<Option<CardPayment>, EngineError> {
    let mut conn = pool.acquire().await?;
    let card = crate::cards::saved::one_tap_card(&mut conn, account_id, today).await?;
    drop(conn);
    let Some(card) = card else {
        return Ok(None);
    };
    pay(
        pool,
        stripe,
        config,
        &AddOnPayment {
            account_id,
            data_addon_id,
            shown: None,
            saved_card: Some(card),
            save_card: false,
            attempt: one_tap_attempt(data_addon_id),
            login_id: Some(login_id),
            assisted: None,
        },
    )
    .await
    .map(Some)
}

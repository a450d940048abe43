//! Saved cards: added through a SetupIntent (the number goes from the browser to Stripe),
//! one default per account (the one autopay charges), removed at Stripe and here. Autopay
//! is switched on per account and needs a default card.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use super::payments::ensure_customer;
use super::stripe::{PaymentMethod, Stripe};
use crate::error::EngineError;

/// Starts adding a card: the SetupIntent secret for `confirmCardSetup`.
pub async fn start_setup(
    pool: &PgPool,
    stripe: &Stripe,
    account_id: i64,
) -> Result<String, EngineError> {
    let customer = ensure_customer(pool, stripe, account_id).await?;
    let setup = stripe.create_setup_intent(&customer).await?;
    setup
        .client_secret
        .ok_or_else(|| EngineError::Stripe(format!("SetupIntent {} has no secret", setup.id)))
}

/// Saves the card a confirmed SetupIntent made; returns `payment_methods.id`.
pub async fn finish_setup(
    pool: &PgPool,
    stripe: &Stripe,
    account_id: i64,
    setup_intent_id: &str,
) -> Result<i64, EngineError> {
    let customer = ensure_customer(pool, stripe, account_id).await?;
    let method = card_from_setup(stripe, &customer, setup_intent_id).await?;
    store(pool, account_id, &method).await
}

/// The card a SetupIntent of this customer made, attached to the customer. A SetupIntent
/// of another customer, or one not confirmed, is refused.
async fn card_from_setup(
    stripe: &Stripe,
    customer: &str,
    setup_intent_id: &str,
) -> Result<PaymentMethod, EngineError> {
    if !setup_intent_id.starts_with("seti_") {
        return Err(EngineError::NotFound);
    }
    let setup = stripe.retrieve_setup_intent(setup_intent_id).await?;
    if setup.customer.as_deref() != Some(customer) {
        return Err(EngineError::NotFound);
    }
    let Some(method) = setup.payment_method.as_deref() else {
        return Err(EngineError::Invalid(
            "The card was not confirmed. Please enter it again.".into(),
        ));
    };
    if setup.status != "succeeded" {
        return Err(EngineError::Invalid(
            "The card was not confirmed. Please enter it again.".into(),
        ));
    }
    let method = stripe.attach_payment_method(method, customer).await?;
    if method.card.is_none() {
        return Err(EngineError::Invalid("Only cards can be saved.".into()));
    }
    Ok(method)
}

/// Saves a card (once per Stripe id); the account's first card becomes its default.
pub(crate) async fn store(
    pool: &PgPool,
    account_id: i64,
    method: &PaymentMethod,
) -> Result<i64, EngineError> {
    let mut tx = pool.begin().await?;
    let id = store_in(&mut tx, account_id, method).await?;
    tx.commit().await?;
    Ok(id)
}

/// [`store`] in the caller's transaction (a card kept as the payment it paid succeeds).
pub(crate) async fn store_in(
    conn: &mut PgConnection,
    account_id: i64,
    method: &PaymentMethod,
) -> Result<i64, EngineError> {
    let card = method
        .card
        .as_ref()
        .ok_or_else(|| EngineError::Invalid("Only cards can be saved.".into()))?;
    sqlx::query("select 1 from accounts where id = $1 for update")
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    let existing: Option<(i64, i64)> = sqlx::query_as(
        "select id, account_id from payment_methods where stripe_payment_method_id = $1",
    )
    .bind(&method.id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((id, owner)) = existing {
        if owner != account_id {
            return Err(EngineError::NotFound);
        }
        sqlx::query("update payment_methods set removed_at = null where id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        return Ok(id);
    }
    let id: i64 = sqlx::query_scalar(
        "insert into payment_methods (account_id, stripe_payment_method_id, brand, last4, exp_month,
                                      exp_year, is_default)
         values ($1, $2, $3, $4, $5, $6,
                 not exists (select 1 from payment_methods where account_id = $1 and is_default))
         returning id",
    )
    .bind(account_id)
    .bind(&method.id)
    .bind(&card.brand)
    .bind(&card.last4)
    .bind(i16::try_from(card.exp_month).unwrap_or(1))
    .bind(i16::try_from(card.exp_year).unwrap_or(2000))
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// The card a one-tap purchase (a data add-on paid now) charges: the account's default
/// card, not removed, and not past its expiry month on `day` (provider-local). As a
/// condition on `payment_methods m`; `account` and `day` are SQL expressions, so the
/// portal's pages name the same card in their own queries.
pub fn one_tap_condition(account: &str, day: &str) -> String {
    format!(
        "m.account_id = {account} and m.is_default and m.removed_at is null
         and m.exp_year * 12 + m.exp_month
             >= extract(year from {day})::int * 12 + extract(month from {day})::int"
    )
}

/// The account's one-tap card ([`one_tap_condition`]), if it has one.
pub async fn one_tap_card(
    conn: &mut PgConnection,
    account_id: i64,
    today: NaiveDate,
) -> Result<Option<i64>, EngineError> {
    Ok(sqlx::query_scalar(&format!(
        "select m.id from payment_methods m where {}",
        one_tap_condition("$1", "$2::date")
    ))
    .bind(account_id)
    .bind(today)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Makes a saved card the account's default.
pub async fn make_default(pool: &PgPool, account_id: i64, card_id: i64) -> Result<(), EngineError> {
    let mut tx = pool.begin().await?;
    let found: Option<i64> = sqlx::query_scalar(
        "select id from payment_methods where id = $1 and account_id = $2 and removed_at is null for update",
    )
    .bind(card_id)
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?;
    found.ok_or(EngineError::NotFound)?;
    sqlx::query("update payment_methods set is_default = false where account_id = $1 and is_default and id <> $2")
        .bind(account_id)
        .bind(card_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("update payment_methods set is_default = true where id = $1")
        .bind(card_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a saved card at Stripe and here. Removing the default card makes the most
/// recent other card the default; with none left, autopay is switched off.
pub async fn remove(
    pool: &PgPool,
    stripe: &Stripe,
    account_id: i64,
    card_id: i64,
) -> Result<(), EngineError> {
    let found: Option<String> = sqlx::query_scalar(
        "select stripe_payment_method_id from payment_methods
          where id = $1 and account_id = $2 and removed_at is null",
    )
    .bind(card_id)
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    let method = found.ok_or(EngineError::NotFound)?;
    if let Err(e) = stripe.detach_payment_method(&method).await {
        // A card Stripe no longer knows is gone already; anything else is retried later.
        if !matches!(&e, super::stripe::StripeFailure::Api { status: 404, .. }) {
            return Err(e.into());
        }
    }
    let mut tx = pool.begin().await?;
    sqlx::query("select 1 from accounts where id = $1 for update")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "update payment_methods set is_default = false, removed_at = now()
          where id = $1 and account_id = $2 and removed_at is null",
    )
    .bind(card_id)
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "update payment_methods set is_default = true
          where id = (select id from payment_methods where account_id = $1 and removed_at is null
                       order by created_at desc, id desc limit 1)
            and not exists (select 1 from payment_methods where account_id = $1 and is_default)",
    )
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "update accounts set autopay = false, updated_at = now()
          where id = $1 and autopay
            and not exists (select 1 from payment_methods where account_id = $1 and is_default)",
    )
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Switches autopay on (a default card is needed) or off.
pub async fn set_autopay(pool: &PgPool, account_id: i64, on: bool) -> Result<(), EngineError> {
    let mut tx = pool.begin().await?;
    let has_default: Option<bool> = sqlx::query_scalar(
        "select exists (select 1 from payment_methods where account_id = a.id and is_default)
           from accounts a where a.id = $1 for update",
    )
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?;
    let has_default = has_default.ok_or(EngineError::NotFound)?;
    if on && !has_default {
        return Err(EngineError::Invalid(
            "Save a card first: autopay charges your default card.".into(),
        ));
    }
    sqlx::query("update accounts set autopay = $2, updated_at = now() where id = $1")
        .bind(account_id)
        .bind(on)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into service_events (account_id, kind, summary) values ($1, 'account', $2)",
    )
    .bind(account_id)
    .bind(if on {
        "Autopay switched on"
    } else {
        "Autopay switched off"
    })
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

//! A subscriber paying by card, and the one function that records what Stripe says about a
//! payment ([`apply_intent`]).
//!
//! 1. [`start`] writes the `payments` row first (key `card:<attempt>`), then either charges a
//!    saved card, or, for a new card, opens the payment's PaymentIntent unconfirmed and
//!    returns its secret.
//! 2. For a new card the browser confirms that PaymentIntent with the card typed into
//!    Stripe.js (`confirmCardPayment`), which asks the bank for 3-D Secure when the bank
//!    wants it: one check per payment, whether the card is kept or not. A card to keep is
//!    sent with `setup_future_usage`, so that one check also sets it up for autopay.
//! 3. The browser then calls [`refresh`] (as it does after 3-D Secure on a saved card).
//!    Webhooks reach the same [`apply_intent`], which records the card's brand and last
//!    four and keeps the card when the payment succeeded, whichever arrives first.
//!
//! A PaymentIntent is created while its payment row is locked, with the idempotency key
//! `lastmile-payment-<payment id>`: two requests for one payment make one intent, and a
//! create retried after a crash gets Stripe's first answer back.

use billing::{text, Currency, Money, TypedAmountError};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use super::stripe::{Intent, NewIntent, PaymentMethod, Stripe, StripeFailure};
use super::{CardPayment, Decline, PayRequest, PaymentState, Source};
use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::mail::{self, Notice};

/// A payment row, as the card code reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PaymentRow {
    pub id: i64,
    pub account_id: i64,
    pub account_number: String,
    pub currency: String,
    pub amount: Decimal,
    pub status: String,
    pub source: Option<String>,
    pub stripe_payment_intent_id: Option<String>,
    pub stripe_status_at: Option<DateTime<Utc>>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub stripe_payment_method_id: Option<String>,
    /// The data add-on it pays for, if any.
    pub data_addon_id: Option<i64>,
    /// The portal login that paid (none for autopay and pay links).
    pub requested_by_login: Option<i64>,
    /// A new card the subscriber asked to keep, once the payment succeeds.
    pub save_card: bool,
    /// The saved card charged, or the new card kept (`payment_methods.id`).
    pub payment_method_id: Option<i64>,
}

impl PaymentRow {
    /// The payment's amount in its currency.
    pub(crate) fn money(&self) -> Result<Money, EngineError> {
        let currency = Currency::parse(self.currency.trim())
            .map_err(|e| EngineError::bad_data(&self.account_number, e.to_string()))?;
        Ok(Money::new(self.amount, currency))
    }
}

pub(crate) const PAYMENT_COLUMNS: &str =
    "p.id, p.account_id, a.account_number, p.currency::text as currency, p.amount,
    p.status, p.source, p.stripe_payment_intent_id, p.stripe_status_at,
    p.failure_code, p.failure_message, p.card_brand, p.card_last4::text as card_last4,
    m.stripe_payment_method_id, p.data_addon_id, p.requested_by_login, p.save_card,
    p.payment_method_id";

pub(crate) async fn load(
    conn: &mut PgConnection,
    account_id: i64,
    payment_id: i64,
    lock: bool,
) -> Result<PaymentRow, EngineError> {
    let sql = format!(
        "select {PAYMENT_COLUMNS}
           from payments p join accounts a on a.id = p.account_id
           left join payment_methods m on m.id = p.payment_method_id
          where p.id = $1 and p.account_id = $2 and p.method in ('card', 'autopay')
          {}",
        if lock { "for update of p" } else { "" }
    );
    sqlx::query_as(&sql)
        .bind(payment_id)
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(EngineError::NotFound)
}

fn valid_attempt(attempt: &str) -> bool {
    (16..=64).contains(&attempt.len())
        && attempt
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks an amount against the limits and the currency's minor unit (a card cannot be
/// charged a fraction of a cent, or of a yen).
pub fn check_amount(config: &EngineConfig, amount: Money) -> Result<(), EngineError> {
    let limits = config.card_limits;
    if amount.to_minor_units().is_err() {
        return Err(EngineError::Invalid(
            TypedAmountError::TooPrecise {
                currency: amount.currency(),
            }
            .to_string(),
        ));
    }
    if amount.amount() < limits.min || amount.amount() > limits.max {
        return Err(EngineError::Invalid(format!(
            "Enter an amount between {} and {}.",
            text::money(Money::new(limits.min, amount.currency())),
            text::money(Money::new(limits.max, amount.currency()))
        )));
    }
    Ok(())
}

/// Starts (or, with the same attempt key, finds again) a card payment.
pub async fn start(
    pool: &PgPool,
    stripe: &Stripe,
    config: &EngineConfig,
    request: &PayRequest,
) -> Result<CardPayment, EngineError> {
    if !valid_attempt(&request.attempt) {
        return Err(EngineError::Invalid(
            "The payment form is out of date. Please reload the page.".into(),
        ));
    }
    check_amount(config, request.amount)?;
    let mut tx = pool.begin().await?;
    let currency: Option<String> =
        sqlx::query_scalar("select currency::text from accounts where id = $1")
            .bind(request.account_id)
            .fetch_optional(&mut *tx)
            .await?;
    let currency = currency.ok_or(EngineError::NotFound)?;
    if currency.trim() != request.amount.currency().as_str() {
        return Err(EngineError::Invalid(format!(
            "This account pays in {}, not {}.",
            currency.trim(),
            request.amount.currency()
        )));
    }
    let saved: Option<(i64, String)> = match request.saved_card {
        Some(card) => Some(
            sqlx::query_as(
                "select id, stripe_payment_method_id from payment_methods
                  where id = $1 and account_id = $2 and removed_at is null",
            )
            .bind(card)
            .bind(request.account_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(EngineError::NotFound)?,
        ),
        None => None,
    };
    if let Some(statement) = request.statement_id {
        let found: Option<i64> =
            sqlx::query_scalar("select id from statements where id = $1 and account_id = $2")
                .bind(statement)
                .bind(request.account_id)
                .fetch_optional(&mut *tx)
                .await?;
        found.ok_or(EngineError::NotFound)?;
    }
    let key = format!("card:{}", request.attempt);
    let inserted: Option<i64> = sqlx::query_scalar(
        "insert into payments (account_id, currency, amount, method, status, statement_id,
                               payment_method_id, idempotency_key, source, requested_by_login,
                               card_brand, card_last4, assisted_by_staff, support_session_id,
                               data_addon_id, save_card)
         select a.id, a.currency, $2, 'card', 'pending', $3, $4, $5, $6, $7, m.brand, m.last4, $8, $9,
                $10, $11
           from accounts a left join payment_methods m on m.id = $4 and m.account_id = a.id
          where a.id = $1
         on conflict (idempotency_key) do nothing
         returning id",
    )
    .bind(request.account_id)
    .bind(request.amount.amount())
    .bind(request.statement_id)
    .bind(saved.as_ref().map(|s| s.0))
    .bind(&key)
    .bind(request.source.as_str())
    .bind(request.login_id)
    .bind(request.assisted.map(|a| a.0))
    .bind(request.assisted.map(|a| a.1))
    .bind(request.data_addon_id)
    .bind(request.save_card && saved.is_none())
    .fetch_optional(&mut *tx)
    .await?;
    let payment_id = match inserted {
        Some(id) => id,
        None => {
            // The same attempt again (a double click, a retried request).
            let existing: Option<(i64, i64, Decimal)> = sqlx::query_as(
                "select id, account_id, amount from payments where idempotency_key = $1",
            )
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id, account, amount)) = existing else {
                return Err(EngineError::NotFound);
            };
            if account != request.account_id {
                return Err(EngineError::NotFound);
            }
            if amount != request.amount.amount() {
                return Err(EngineError::Conflict(format!(
                    "This payment was already started for {}. Please reload the page to pay a different amount.",
                    text::money(Money::new(amount, request.amount.currency()))
                )));
            }
            id
        }
    };
    tx.commit().await?;

    match saved {
        Some((_, method)) => {
            let customer = ensure_customer(pool, stripe, request.account_id).await?;
            charge(
                pool,
                stripe,
                config,
                request.account_id,
                payment_id,
                &method,
                &customer,
                false,
            )
            .await
        }
        None => open_for_card(pool, stripe, config, request.account_id, payment_id).await,
    }
}

/// Opens the payment's PaymentIntent, unconfirmed, for the browser to confirm with a new
/// card (once: a second call finds it open, or finished).
async fn open_for_card(
    pool: &PgPool,
    stripe: &Stripe,
    config: &EngineConfig,
    account_id: i64,
    payment_id: i64,
) -> Result<CardPayment, EngineError> {
    let customer = ensure_customer(pool, stripe, account_id).await?;
    let mut tx = pool.begin().await?;
    let payment = load(&mut tx, account_id, payment_id, true).await?;
    if payment.stripe_payment_intent_id.is_some() || payment.status != "pending" {
        tx.commit().await?;
        return refresh(pool, stripe, config, account_id, payment_id).await;
    }
    let intent = stripe
        .create_intent(&NewIntent {
            amount: payment.money()?,
            customer: Some(&customer),
            payment_method: None,
            off_session: false,
            confirm: false,
            save_for_later: payment.save_card,
            payment_id,
            account_number: &payment.account_number,
        })
        .await?;
    sqlx::query(
        "update payments set stripe_payment_intent_id = $2, stripe_status = $3,
                stripe_status_at = now()
          where id = $1",
    )
    .bind(payment_id)
    .bind(&intent.id)
    .bind(&intent.status)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(card_payment(
        &payment,
        PaymentState::Pending,
        Some(&intent),
        "",
    ))
}

/// Creates and confirms the payment's PaymentIntent on a card, once.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn charge(
    pool: &PgPool,
    stripe: &Stripe,
    config: &EngineConfig,
    account_id: i64,
    payment_id: i64,
    payment_method: &str,
    customer: &str,
    off_session: bool,
) -> Result<CardPayment, EngineError> {
    let mut tx = pool.begin().await?;
    let payment = load(&mut tx, account_id, payment_id, true).await?;
    if payment.stripe_payment_intent_id.is_some() || payment.status != "pending" {
        tx.commit().await?;
        return refresh(pool, stripe, config, account_id, payment_id).await;
    }
    let created = stripe
        .create_intent(&NewIntent {
            amount: payment.money()?,
            customer: Some(customer),
            payment_method: Some(payment_method),
            off_session,
            confirm: true,
            save_for_later: false,
            payment_id,
            account_number: &payment.account_number,
        })
        .await;
    let outcome = match created {
        Ok(intent) => {
            let state = apply_locked(&mut tx, config, &payment, &intent, None, None).await?;
            tx.commit().await?;
            return Ok(card_payment(&payment, state, Some(&intent), payment_method));
        }
        Err(failure) => failure,
    };
    match &outcome {
        StripeFailure::Api {
            status,
            code,
            decline_code,
            message,
            intent,
            ..
        } if *status < 500 => {
            let code_text = decline_code
                .clone()
                .or_else(|| code.clone())
                .unwrap_or_else(|| "card_declined".into());
            // Stripe asks for the cardholder off-session with an error; it is not a decline.
            let state = if code.as_deref() == Some("authentication_required") {
                PaymentState::RequiresAction
            } else {
                PaymentState::Failed
            };
            sqlx::query(
                "update payments set status = $2, failure_code = $3, failure_message = $4,
                        stripe_payment_intent_id = coalesce(stripe_payment_intent_id, $5),
                        stripe_status_at = now(), stripe_unanswered_at = null
                  where id = $1",
            )
            .bind(payment_id)
            .bind(state.as_str())
            .bind(&code_text)
            .bind(message.as_deref())
            .bind(intent.as_deref())
            .execute(&mut *tx)
            .await?;
            let mut updated = payment.clone();
            updated.status = state.as_str().into();
            notify(&mut tx, config, &updated, state).await?;
            tx.commit().await?;
            tracing::info!(payment_id, code = %code_text, "card payment refused");
            Ok(CardPayment {
                payment_id,
                state,
                amount: payment.amount,
                client_secret: None,
                payment_method: Some(payment_method.to_string()),
                decline: (state == PaymentState::Failed).then(|| Decline {
                    code: code_text,
                    message: message.clone().unwrap_or_default(),
                }),
            })
        }
        // Sent, and no answer in time: Stripe may have charged the card. Nothing is
        // recorded as paid or refused; the payment stays pending with its key. Stripe's
        // webhook (it names our payment) settles it, or the same attempt again: the same
        // key, and Stripe answers with what it did the first time. The subscriber is told
        // it is not finished, never that nothing was charged.
        StripeFailure::NoAnswer => {
            // The first time only: Stripe's 24 hours run from the first request.
            sqlx::query(
                "update payments set stripe_unanswered_at = coalesce(stripe_unanswered_at, now())
                  where id = $1",
            )
            .bind(payment_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            tracing::warn!(
                payment_id,
                "card payment: Stripe did not answer in time; left pending"
            );
            Ok(card_payment(
                &payment,
                PaymentState::Pending,
                None,
                payment_method,
            ))
        }
        // Stripe unreachable or failing: nothing is recorded; the same attempt can be
        // retried and will reuse the idempotency key.
        _ => Err(outcome.into()),
    }
}

/// Asks Stripe again about a saved card's charge whose answer did not come
/// (`payments.stripe_unanswered_at`), with the same request under the same idempotency key:
/// Stripe answers with what it did the first time (or, if the first never reached it, does
/// it now), and the answer is recorded as any other. `None` when the payment is not such a
/// payment of `account_id` (any more).
pub async fn ask_again(
    pool: &PgPool,
    stripe: &Stripe,
    config: &EngineConfig,
    account_id: i64,
    payment_id: i64,
) -> Result<Option<CardPayment>, EngineError> {
    // The same request as the first: autopay's charge is off-session, the portal's is not.
    let unanswered: Option<(String, bool)> = sqlx::query_as(
        "select m.stripe_payment_method_id, p.source = 'autopay'
           from payments p join payment_methods m on m.id = p.payment_method_id
          where p.id = $1 and p.account_id = $2 and p.status = 'pending'
            and p.stripe_payment_intent_id is null
            -- Stripe keeps an idempotency key for 24 hours: after that, the same request
            -- could charge again
            and p.stripe_unanswered_at > now() - interval '20 hours'",
    )
    .bind(payment_id)
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    let Some((method, off_session)) = unanswered else {
        return Ok(None);
    };
    let customer = ensure_customer(pool, stripe, account_id).await?;
    charge(
        pool,
        stripe,
        config,
        account_id,
        payment_id,
        &method,
        &customer,
        off_session,
    )
    .await
    .map(Some)
}

/// Fetches the payment's PaymentIntent from Stripe and records what it says. The browser
/// calls it after 3-D Secure; it is also how a page shows a payment's current state.
pub async fn refresh(
    pool: &PgPool,
    stripe: &Stripe,
    config: &EngineConfig,
    account_id: i64,
    payment_id: i64,
) -> Result<CardPayment, EngineError> {
    let mut conn = pool.acquire().await?;
    let payment = load(&mut conn, account_id, payment_id, false).await?;
    drop(conn);
    let Some(intent_id) = payment.stripe_payment_intent_id.clone() else {
        let state = PaymentState::parse(&payment.status).unwrap_or(PaymentState::Pending);
        return Ok(card_payment(&payment, state, None, ""));
    };
    let intent = stripe.retrieve_intent(&intent_id).await?;
    let card = card_to_record(stripe, &payment, &intent).await;
    let mut tx = pool.begin().await?;
    let payment = load(&mut tx, account_id, payment_id, true).await?;
    let state = apply_locked(&mut tx, config, &payment, &intent, None, card.as_ref()).await?;
    tx.commit().await?;
    let method = intent.payment_method.clone().unwrap_or_default();
    Ok(card_payment(&payment, state, Some(&intent), &method))
}

fn card_payment(
    payment: &PaymentRow,
    state: PaymentState,
    intent: Option<&Intent>,
    payment_method: &str,
) -> CardPayment {
    let decline = match state {
        PaymentState::Failed => Some(match intent.and_then(|i| i.last_payment_error.as_ref()) {
            Some(e) => Decline {
                code: e
                    .decline_code
                    .clone()
                    .or_else(|| e.code.clone())
                    .unwrap_or_else(|| "card_declined".into()),
                message: e.message.clone().unwrap_or_default(),
            },
            None => Decline {
                code: payment
                    .failure_code
                    .clone()
                    .unwrap_or_else(|| "card_declined".into()),
                message: payment.failure_message.clone().unwrap_or_default(),
            },
        }),
        _ => None,
    };
    let method = if payment_method.is_empty() {
        payment.stripe_payment_method_id.clone()
    } else {
        Some(payment_method.to_string())
    };
    // The browser needs the secret to confirm: with the new card, or with the bank.
    let awaits_browser = match state {
        PaymentState::RequiresAction => true,
        PaymentState::Pending => intent.is_some_and(|i| i.status == "requires_payment_method"),
        _ => false,
    };
    CardPayment {
        payment_id: payment.id,
        state,
        amount: payment.amount,
        client_secret: awaits_browser
            .then(|| intent.and_then(|i| i.client_secret.clone()))
            .flatten(),
        payment_method: method,
        decline,
    }
}

/// What applying an intent did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// No payment of ours has this intent.
    Unknown,
    /// The payment's state afterwards (unchanged when the news was old).
    State(PaymentState),
}

/// Records a PaymentIntent's state on the payment it belongs to (found by intent id, or by
/// the payment id in its metadata), in the caller's transaction. `at` is Stripe's time for
/// the news (a webhook's `created`): news older than what was applied changes nothing, and
/// a succeeded or cancelled payment never changes again. `card` is the intent's
/// PaymentMethod when the caller fetched it ([`card_to_record`]).
pub async fn apply_intent(
    conn: &mut PgConnection,
    config: &EngineConfig,
    intent: &Intent,
    metadata_payment_id: Option<i64>,
    at: Option<DateTime<Utc>>,
    card: Option<&PaymentMethod>,
) -> Result<Applied, EngineError> {
    let sql = format!(
        "select {PAYMENT_COLUMNS}
           from payments p join accounts a on a.id = p.account_id
           left join payment_methods m on m.id = p.payment_method_id
          where (p.stripe_payment_intent_id = $1
                 or (p.id = $2 and (p.stripe_payment_intent_id is null or p.stripe_payment_intent_id = $1)))
            and p.method in ('card', 'autopay')
          order by (p.stripe_payment_intent_id = $1) desc nulls last
          limit 1
          for update of p"
    );
    let payment: Option<PaymentRow> = sqlx::query_as(&sql)
        .bind(&intent.id)
        .bind(metadata_payment_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(payment) = payment else {
        return Ok(Applied::Unknown);
    };
    Ok(Applied::State(
        apply_locked(conn, config, &payment, intent, at, card).await?,
    ))
}

/// The PaymentMethod of a payment's intent, when the payment still has something to learn
/// from it: the brand and last four of a new card, or the card to keep. Fetched before the
/// payment is locked; a failure to fetch leaves the card unrecorded until the next news
/// (the payment itself is still recorded).
pub(crate) async fn card_to_record(
    stripe: &Stripe,
    payment: &PaymentRow,
    intent: &Intent,
) -> Option<PaymentMethod> {
    let wanted =
        payment.card_brand.is_none() || (payment.save_card && payment.payment_method_id.is_none());
    let method = intent.payment_method.as_deref().filter(|_| wanted)?;
    match stripe.retrieve_payment_method(method).await {
        Ok(found) => Some(found),
        Err(e) => {
            tracing::warn!(payment_id = payment.id, error = %e, "the paying card could not be read");
            None
        }
    }
}

/// Records what the intent's card tells about the payment (locked): its brand and last
/// four, and, once the payment has succeeded, the card kept when the subscriber asked.
async fn record_card(
    conn: &mut PgConnection,
    payment: &mut PaymentRow,
    intent: &Intent,
    card: Option<&PaymentMethod>,
    succeeded: bool,
) -> Result<(), EngineError> {
    let Some(method) = card.filter(|m| intent.payment_method.as_deref() == Some(m.id.as_str()))
    else {
        return Ok(());
    };
    let Some(details) = method.card.as_ref() else {
        return Ok(());
    };
    if payment.card_brand.is_none() {
        sqlx::query("update payments set card_brand = $2, card_last4 = $3 where id = $1")
            .bind(payment.id)
            .bind(&details.brand)
            .bind(&details.last4)
            .execute(&mut *conn)
            .await?;
        payment.card_brand = Some(details.brand.clone());
        payment.card_last4 = Some(details.last4.clone());
    }
    // Stripe attaches a card set up for later to the customer as the payment succeeds; one
    // not attached could not be charged again, so it is not offered.
    if succeeded && payment.save_card && payment.payment_method_id.is_none() {
        if method.customer.is_none() {
            tracing::warn!(
                payment_id = payment.id,
                "the card to keep was not attached by Stripe"
            );
            return Ok(());
        }
        let kept = super::saved::store_in(conn, payment.account_id, method).await?;
        sqlx::query("update payments set payment_method_id = $2 where id = $1")
            .bind(payment.id)
            .bind(kept)
            .execute(&mut *conn)
            .await?;
        payment.payment_method_id = Some(kept);
        payment.stripe_payment_method_id = Some(method.id.clone());
    }
    Ok(())
}

/// [`apply_intent`] for a payment row already locked.
async fn apply_locked(
    conn: &mut PgConnection,
    config: &EngineConfig,
    payment: &PaymentRow,
    intent: &Intent,
    at: Option<DateTime<Utc>>,
    card: Option<&PaymentMethod>,
) -> Result<PaymentState, EngineError> {
    let current = PaymentState::parse(&payment.status).unwrap_or(PaymentState::Pending);
    let money = payment.money()?;
    if money.to_minor_units().ok() != Some(intent.amount)
        || !money
            .currency()
            .as_str()
            .eq_ignore_ascii_case(&intent.currency)
    {
        return Err(EngineError::Invalid(format!(
            "PaymentIntent {} is for {} {}, payment {} for {} {}",
            intent.id, intent.amount, intent.currency, payment.id, payment.amount, payment.currency
        )));
    }
    let new = PaymentState::of_intent(intent);
    let mut payment = payment.clone();
    let succeeded = current == PaymentState::Succeeded || new == PaymentState::Succeeded;
    record_card(conn, &mut payment, intent, card, succeeded).await?;
    let payment = &payment;
    if matches!(current, PaymentState::Succeeded | PaymentState::Cancelled) {
        return Ok(current);
    }
    if let (Some(at), Some(applied)) = (at, payment.stripe_status_at) {
        if at < applied && new != PaymentState::Succeeded {
            return Ok(current);
        }
    }
    if new == current && payment.stripe_payment_intent_id.as_deref() == Some(&intent.id) {
        return Ok(current);
    }
    let error = intent.last_payment_error.as_ref();
    sqlx::query(
        "update payments
            set status = $2, stripe_status = $3, stripe_status_at = coalesce($4, now()),
                stripe_payment_intent_id = coalesce(stripe_payment_intent_id, $5),
                failure_code = case when $2 = 'failed' then $6 else failure_code end,
                failure_message = case when $2 = 'failed' then $7 else failure_message end,
                succeeded_at = case when $2 = 'succeeded' then now() end,
                stripe_unanswered_at = null
          where id = $1",
    )
    .bind(payment.id)
    .bind(new.as_str())
    .bind(&intent.status)
    .bind(at)
    .bind(&intent.id)
    .bind(error.and_then(|e| e.decline_code.clone().or_else(|| e.code.clone())))
    .bind(error.and_then(|e| e.message.clone()))
    .execute(&mut *conn)
    .await?;
    if new == PaymentState::Succeeded {
        record_succeeded(conn, config, payment).await?;
    }
    if new != current {
        notify(conn, config, payment, new).await?;
    }
    Ok(new)
}

/// Posts a confirmed card payment through [`crate::payments::post`], the one path to the
/// ledger (once: a second confirmation finds it posted).
async fn record_succeeded(
    conn: &mut PgConnection,
    config: &EngineConfig,
    payment: &PaymentRow,
) -> Result<(), EngineError> {
    let card = card_words(payment);
    let description = if payment.source.as_deref() == Some("autopay") {
        format!("Autopay from {card}, thank you")
    } else if payment.data_addon_id.is_some() {
        format!("Card payment for the data add-on from {card}, thank you")
    } else {
        format!("Card payment from {card}, thank you")
    };
    crate::payments::post(
        conn,
        config,
        &crate::payments::Received {
            payment_id: payment.id,
            account_id: payment.account_id,
            amount: payment.money()?,
            description,
            summary: format!("Payment of {} by {card}", text::money(payment.money()?)),
            received_on: crate::clock::today(config.time_zone, Utc::now()),
        },
    )
    .await?;
    Ok(())
}

fn card_words(payment: &PaymentRow) -> String {
    match (&payment.card_brand, &payment.card_last4) {
        (Some(brand), Some(last4)) => format!("{} ending {last4}", brand_name(brand)),
        _ => "card".into(),
    }
}

/// A card brand as people write it.
pub fn brand_name(brand: &str) -> String {
    match brand {
        "visa" => "Visa".into(),
        "mastercard" => "Mastercard".into(),
        "amex" => "American Express".into(),
        "discover" => "Discover".into(),
        "diners" => "Diners Club".into(),
        "jcb" => "JCB".into(),
        "unionpay" => "UnionPay".into(),
        other => other.to_string(),
    }
}

/// The emails a payment's new state calls for: a receipt when it succeeded; for autopay,
/// a request to authenticate or news of a failure.
async fn notify(
    conn: &mut PgConnection,
    config: &EngineConfig,
    payment: &PaymentRow,
    state: PaymentState,
) -> Result<(), EngineError> {
    let autopay = payment.source.as_deref() == Some(Source::Autopay.as_str());
    let wanted = match state {
        PaymentState::Succeeded => "payment_receipt",
        PaymentState::RequiresAction if autopay => "payment_action_required",
        PaymentState::Failed if autopay => "autopay_failed",
        _ => return Ok(()),
    };
    // A receipt goes to the person who paid, at the address they sign in with; autopay's
    // and a pay link's (nobody signed in) to the account's billing contact.
    let payer = match (wanted, payment.requested_by_login) {
        ("payment_receipt", Some(login)) => {
            sqlx::query_as::<_, mail::Recipient>(&format!(
                "select l.email::text as email, p.first_name, {} as locale
                   from portal_logins l
                   join people p on p.id = l.person_id and p.account_id = l.account_id
                   join accounts a on a.id = l.account_id
                  where l.id = $1 and l.account_id = $2",
                mail::LOCALE_SQL
            ))
            .bind(login)
            .bind(payment.account_id)
            .fetch_optional(&mut *conn)
            .await?
        }
        _ => None,
    };
    let recipient = match payer {
        Some(payer) => Some(payer),
        None => mail::recipient(conn, payment.account_id).await?,
    };
    let Some(to) = recipient else {
        return Ok(());
    };
    let (w, f) = (to.words(), to.formats());
    let link = format!("{}/payments/{}", config.public_url, payment.id);
    let amount = f.money(&payment.money()?);
    let card = match (&payment.card_brand, &payment.card_last4) {
        (Some(brand), Some(last4)) => (w.card_ending)(&brand_name(brand), last4),
        _ => w.a_card.to_string(),
    };
    let (kind, subject, paragraphs, label) = match wanted {
        "payment_receipt" => (
            "payment_receipt",
            (w.receipt_subject)(&amount),
            vec![
                (w.receipt)(&amount, &card),
                (w.receipt_reference)(&format!("P-{}", payment.id)),
            ],
            w.see_receipt,
        ),
        "payment_action_required" => (
            "payment_action_required",
            w.confirm_subject.to_string(),
            vec![(w.confirm)(&amount), w.confirm_nothing_yet.into()],
            w.confirm_payment,
        ),
        _ => (
            "autopay_failed",
            (w.autopay_failed_subject)(&amount),
            vec![
                (w.autopay_failed)(&amount, &card),
                w.autopay_failed_nothing.into(),
            ],
            w.pay_now,
        ),
    };
    let link = if kind == "autopay_failed" {
        format!("{}/pay", config.public_url)
    } else {
        link
    };
    let email = Notice {
        kind,
        account_id: payment.account_id,
        to: &to.email,
        first_name: &to.first_name,
        words: w,
        subject,
        paragraphs,
        link: Some((label, link)),
    }
    .render(config)?;
    mail::enqueue_all(conn, &[email]).await
}

/// The account's Stripe customer, made on first need. The account row is locked while it
/// is made, so two requests make one.
pub async fn ensure_customer(
    pool: &PgPool,
    stripe: &Stripe,
    account_id: i64,
) -> Result<String, EngineError> {
    let mut tx = pool.begin().await?;
    let (number, name, existing): (String, String, Option<String>) = sqlx::query_as(
        "select account_number, display_name, stripe_customer_id from accounts where id = $1 for update",
    )
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(EngineError::NotFound)?;
    if let Some(customer) = existing {
        return Ok(customer);
    }
    let email = mail::recipient(&mut tx, account_id).await?.map(|r| r.email);
    let customer = stripe
        .create_customer(email.as_deref(), &name, &number)
        .await?;
    sqlx::query("update accounts set stripe_customer_id = $2 where id = $1")
        .bind(account_id)
        .bind(&customer)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(customer)
}

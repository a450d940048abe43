//! Card payments for the portal: thin adapters over `engine::cards` (which owns every write
//! and every Stripe call) and the read queries of the pay, receipt and cards pages.
//!
//! Every function takes an [`AccountAccess`] or an account id the caller has just proved
//! (a verified pay link), and looks every id up within that account.

use std::sync::Arc;

use billing::{Currency, Money};
use chrono::{Datelike, Utc};
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::access::AccountAccess;
use super::accounts::money;
use super::Portal;
use crate::error::AppError;
use crate::i18n::{Formats, Texts};
use crate::types::payments::{
    ActionNeeded, AddOnDue, CardsPage, Declined, LinkProblem, OpenStatement, PayLinkPage, PayPage,
    PayProgress, PayState, Receipt, SavedCard, StripeJs,
};
use engine::cards::{CardPayment, PayRequest, PaymentState, Source, Stripe};

/// The configured Stripe client, or "card payments are not available".
pub fn stripe(portal: &Portal) -> Result<Arc<Stripe>, AppError> {
    portal.stripe.clone().ok_or(AppError::Unavailable)
}

fn stripe_js(portal: &Portal) -> Option<StripeJs> {
    portal.stripe.as_ref().map(|s| StripeJs {
        publishable_key: s.publishable_key().to_string(),
        js_url: s.js_url().to_string(),
    })
}

/// The words for a card the subscriber sees: "Visa •••• 4242".
pub(crate) fn card_words(brand: &str, last4: &str) -> String {
    (Texts::for_locale("en").pay().card_line)(&engine::cards::payments::brand_name(brand), last4)
}

/// The amount typed in the pay form, read the account's locale's way
/// ([`billing::typed_amount`]) and checked against the card limits; errors are about the
/// `amount` field.
pub fn parse_amount(
    portal: &Portal,
    text: &str,
    currency: Currency,
    locale: &str,
) -> Result<Money, AppError> {
    let invalid = |message: String| AppError::InvalidInput {
        field: "amount".into(),
        message,
    };
    let amount = Formats::new(locale)
        .parse_money(text, currency)
        .map_err(|e| invalid(e.to_string()))?;
    engine::cards::payments::check_amount(&portal.config.billing, amount).map_err(|e| match e {
        engine::EngineError::Invalid(message) => invalid(message),
        other => other.into(),
    })?;
    Ok(amount)
}

/// What the browser gets for a card payment: what to do next, or the refusal in words.
pub fn progress(payment: CardPayment) -> Result<PayProgress, AppError> {
    let state = match payment.state {
        PaymentState::Pending => PayState::Pending,
        PaymentState::RequiresAction => PayState::RequiresAction,
        PaymentState::Succeeded => PayState::Succeeded,
        PaymentState::Failed => PayState::Failed,
        PaymentState::Cancelled => PayState::Cancelled,
    };
    if state == PayState::Failed {
        let code = payment
            .decline
            .map(|d| d.code)
            .unwrap_or_else(|| "card_declined".into());
        let message = (Texts::for_locale("en").pay().decline)(&code).to_string();
        return Err(AppError::PaymentFailed {
            reason: code,
            message,
        });
    }
    Ok(PayProgress {
        payment_id: payment.payment_id,
        state,
        client_secret: payment.client_secret,
    })
}

fn pay_state(status: &str) -> PayState {
    match status {
        "requires_action" => PayState::RequiresAction,
        "succeeded" => PayState::Succeeded,
        "failed" => PayState::Failed,
        "cancelled" => PayState::Cancelled,
        _ => PayState::Pending,
    }
}

/// The region of a locale (`en-GB` → `GB`), for Stripe's payment request.
fn country_of(locale: &str) -> String {
    locale
        .split_once('-')
        .map(|(_, region)| region.to_string())
        .filter(|r| r.len() == 2)
        .unwrap_or_else(|| "US".into())
}

#[derive(sqlx::FromRow)]
struct CardRow {
    id: i64,
    brand: String,
    last4: String,
    exp_month: i16,
    exp_year: i16,
    is_default: bool,
}

/// The account's saved cards. Staff viewing as the subscriber see brand and last four only:
/// the expiry is left out (`exp_month` and `exp_year` 0).
async fn saved_cards(
    pool: &PgPool,
    access: &AccountAccess,
    today: chrono::NaiveDate,
) -> Result<Vec<SavedCard>, AppError> {
    let account_id = access.account_id();
    let staff_view = access.assisted().is_some();
    let rows = sqlx::query_as::<_, CardRow>(
        "select id, brand, last4::text as last4, exp_month, exp_year, is_default
           from payment_methods where account_id = $1 and removed_at is null
          order by is_default desc, created_at desc, id desc",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    let this_month = today.year() * 12 + today.month() as i32;
    Ok(rows
        .into_iter()
        .map(|r| SavedCard {
            id: r.id,
            brand: engine::cards::payments::brand_name(&r.brand),
            last4: r.last4,
            exp_month: if staff_view {
                0
            } else {
                u8::try_from(r.exp_month).unwrap_or(1)
            },
            exp_year: if staff_view {
                0
            } else {
                u16::try_from(r.exp_year).unwrap_or(2000)
            },
            is_default: r.is_default,
            expired: !staff_view
                && i32::from(r.exp_year) * 12 + i32::from(r.exp_month) < this_month,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct PayPageRow {
    currency: String,
    time_zone: String,
    locale: String,
    balance: Decimal,
    statement_id: Option<i64>,
    statement_number: Option<String>,
    statement_total: Option<Decimal>,
    statement_due_on: Option<chrono::NaiveDate>,
}

/// The pay page: balance, the latest open statement, limits and saved cards; with
/// `addon`, the data add-on of the account bought to be paid now (another account's is not
/// found), whose amount it asks for while it is unpaid.
pub async fn pay_page(
    portal: &Portal,
    access: &AccountAccess,
    addon: Option<i64>,
) -> Result<PayPage, AppError> {
    let row = sqlx::query_as::<_, PayPageRow>(
        "select a.currency::text as currency, a.time_zone, a.locale, b.balance,
                s.id as statement_id, s.statement_number, s.total_due as statement_total,
                s.due_on as statement_due_on
           from accounts a
           join account_balances b on b.account_id = a.id
           left join lateral (select id, statement_number, total_due, due_on from statements
                               where account_id = a.id and status = 'open'
                               order by period_start desc limit 1) s on true
          where a.id = $1",
    )
    .bind(access.account_id())
    .fetch_optional(&portal.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let currency = Currency::parse(row.currency.trim())
        .map_err(|e| AppError::internal("account currency", e))?;
    let today = super::today_in(&row.time_zone);
    let limits = portal.config.billing.card_limits;
    // What is owed, never an amount under dispute (`engine::owed`).
    let owed = {
        let mut conn = portal.pool.acquire().await?;
        engine::owed::of_account(&mut conn, access.account_id())
            .await?
            .on_account()
    };
    let addon = match addon {
        Some(id) => {
            let mut conn = portal.pool.acquire().await?;
            let due = engine::data_addons::due(&mut conn, access.account_id(), id).await?;
            // An add-on on the next statement has nothing to pay now: the ordinary page.
            due.paid_now.map(|posted| AddOnDue {
                id,
                description: due.description,
                charge: posted.charge,
                tax: posted.tax,
                total: posted.total,
                paid: due.paid,
            })
        }
        None => None,
    };
    let suggested = match &addon {
        Some(a) if !a.paid => Some(a.total),
        _ => owed
            .is_positive()
            .then(|| money(owed.amount().clamp(limits.min, limits.max), currency)),
    };
    let statement = match (
        row.statement_id,
        row.statement_number,
        row.statement_total,
        row.statement_due_on,
    ) {
        (Some(id), Some(number), Some(total), Some(due_on)) => Some(OpenStatement {
            id,
            number,
            total_due: money(total, currency),
            due_on,
            overdue: due_on < today,
        }),
        _ => None,
    };
    Ok(PayPage {
        balance: money(row.balance, currency),
        statement,
        suggested,
        min: money(limits.min, currency),
        max: money(limits.max, currency),
        cards: saved_cards(&portal.pool, access, today).await?,
        stripe: stripe_js(portal),
        country: country_of(&row.locale),
        currency: row.currency.trim().to_lowercase(),
        addon,
    })
}

/// The card a portal payment is made with.
#[derive(Debug, Clone, Copy)]
pub struct CardChoice {
    /// A saved card (`payment_methods.id`); `None` for a new card.
    pub saved_card: Option<i64>,
    /// A new card: keep it once the payment succeeds.
    pub save: bool,
}

/// Starts a card payment from the portal (or finds it again with the same attempt key):
/// towards the balance, or, with `data_addon`, for that add-on of the account bought to be
/// paid now (`engine::data_addons::pay`: exactly what was posted for it, which `amount`,
/// as the page showed it, must be).
pub async fn start(
    portal: &Portal,
    access: &AccountAccess,
    amount: &str,
    attempt: &str,
    card: CardChoice,
    data_addon: Option<i64>,
) -> Result<PayProgress, AppError> {
    let saved_card = card.saved_card;
    // Staff viewing as the subscriber may take a payment with a card the subscriber gives
    // them, never charge a saved card.
    if access.assisted().is_some() && saved_card.is_some() {
        return Err(AppError::ReadOnly);
    }
    let stripe = stripe(portal)?;
    let (code, statement_id): (String, Option<i64>) = sqlx::query_as(
        "select a.currency::text,
                (select id from statements where account_id = a.id and status = 'open'
                  order by period_start desc limit 1)
           from accounts a where a.id = $1",
    )
    .bind(access.account_id())
    .fetch_optional(&portal.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let currency =
        Currency::parse(code.trim()).map_err(|e| AppError::internal("account currency", e))?;
    // Read the way the pay form wrote it: in the subscriber's language, not only the account's.
    let locale = super::language::of_caller(portal, access).await?;
    let amount = parse_amount(portal, amount, currency, &locale)?;
    let login_id = access.assisted().is_none().then_some(access.login_id());
    let assisted = access
        .assisted()
        .map(|a| (a.staff_id, a.support_session_id));
    let payment = match data_addon {
        Some(data_addon_id) => {
            engine::data_addons::pay(
                &portal.pool,
                &stripe,
                &portal.config.billing,
                &engine::data_addons::AddOnPayment {
                    account_id: access.account_id(),
                    data_addon_id,
                    shown: Some(amount),
                    saved_card,
                    save_card: card.save,
                    attempt: attempt.to_string(),
                    login_id,
                    assisted,
                },
            )
            .await?
        }
        None => {
            engine::cards::payments::start(
                &portal.pool,
                &stripe,
                &portal.config.billing,
                &PayRequest {
                    account_id: access.account_id(),
                    amount,
                    statement_id,
                    data_addon_id: None,
                    source: Source::Portal,
                    login_id,
                    attempt: attempt.to_string(),
                    saved_card,
                    save_card: card.save,
                    assisted,
                },
            )
            .await?
        }
    };
    if let Some(assist) = access.assisted() {
        crate::server::staff::audit::assisted_action(
            &portal.pool,
            &assist,
            access.account_id(),
            "support.assisted_payment",
            serde_json::json!({ "payment_id": payment.payment_id, "amount": amount.amount() }),
        )
        .await?;
    }
    progress(payment)
}

/// Asks Stripe how the payment stands and records it (after 3-D Secure, say).
pub async fn refresh(
    portal: &Portal,
    account_id: i64,
    payment_id: i64,
) -> Result<PayProgress, AppError> {
    let stripe = stripe(portal)?;
    let payment = engine::cards::payments::refresh(
        &portal.pool,
        &stripe,
        &portal.config.billing,
        account_id,
        payment_id,
    )
    .await?;
    progress(payment)
}

#[derive(sqlx::FromRow)]
struct ReceiptRow {
    id: i64,
    amount: Decimal,
    currency: String,
    status: String,
    source: Option<String>,
    created_at: chrono::DateTime<Utc>,
    succeeded_at: Option<chrono::DateTime<Utc>>,
    card_brand: Option<String>,
    card_last4: Option<String>,
    statement_id: Option<i64>,
    statement_number: Option<String>,
    failure_code: Option<String>,
    failure_message: Option<String>,
    time_zone: String,
    data_addon_id: Option<i64>,
    data_addon: Option<String>,
    awaiting_stripe: bool,
}

/// A card payment's receipt, for its own account only. A payment whose charge Stripe did not
/// answer is asked about again first (under its idempotency key: Stripe answers with what it
/// did), so the receipt settles as soon as Stripe answers.
pub async fn receipt(
    portal: &Portal,
    access: &AccountAccess,
    payment_id: i64,
) -> Result<Receipt, AppError> {
    let mut row = receipt_row(portal, access, payment_id).await?;
    if let (true, Some(stripe)) = (row.awaiting_stripe, portal.config.billing.stripe.as_ref()) {
        let asked = engine::cards::payments::ask_again(
            &portal.pool,
            stripe,
            &portal.config.billing,
            access.account_id(),
            payment_id,
        )
        .await;
        if let Err(e) = asked {
            // Still no answer: the receipt says the payment is not finished.
            tracing::warn!(payment_id, error = %e, "receipt: Stripe asked again, no answer");
        }
        row = receipt_row(portal, access, payment_id).await?;
    }
    let currency = Currency::parse(row.currency.trim())
        .map_err(|e| AppError::internal("payment currency", e))?;
    let state = pay_state(&row.status);
    let at = row
        .succeeded_at
        .unwrap_or(row.created_at)
        .with_timezone(&super::tz(&row.time_zone))
        .naive_local();
    Ok(Receipt {
        id: row.id,
        amount: money(row.amount, currency),
        state,
        at,
        card: row
            .card_brand
            .as_deref()
            .zip(row.card_last4.as_deref())
            .map(|(b, l)| card_words(b, l)),
        statement: row.statement_id.zip(row.statement_number),
        source: row.source.unwrap_or_else(|| "portal".into()),
        failure: (state == PayState::Failed).then(|| Declined {
            code: row.failure_code.unwrap_or_else(|| "card_declined".into()),
            message: row.failure_message.unwrap_or_default(),
        }),
        awaiting_stripe: row.awaiting_stripe,
        stripe: (state == PayState::RequiresAction)
            .then(|| stripe_js(portal))
            .flatten(),
        data_addon: row.data_addon_id.zip(row.data_addon),
    })
}

async fn receipt_row(
    portal: &Portal,
    access: &AccountAccess,
    payment_id: i64,
) -> Result<ReceiptRow, AppError> {
    sqlx::query_as::<_, ReceiptRow>(
        "select p.id, p.amount, p.currency::text as currency, p.status, p.source, p.created_at,
                p.succeeded_at, p.card_brand, p.card_last4::text as card_last4, p.statement_id,
                s.statement_number, p.failure_code, p.failure_message, a.time_zone,
                p.data_addon_id, o.description as data_addon,
                -- sent to Stripe, and its answer has not come: the card may be charged
                (p.status = 'pending' and p.stripe_unanswered_at is not null) as awaiting_stripe
           from payments p join accounts a on a.id = p.account_id
           left join statements s on s.id = p.statement_id and s.account_id = p.account_id
           left join data_addons x on x.id = p.data_addon_id and x.account_id = p.account_id
           left join one_time_charges o on o.id = x.one_time_charge_id
          where p.id = $1 and p.account_id = $2 and p.method in ('card', 'autopay')",
    )
    .bind(payment_id)
    .bind(access.account_id())
    .fetch_optional(&portal.pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// The saved-cards page.
pub async fn cards_page(portal: &Portal, access: &AccountAccess) -> Result<CardsPage, AppError> {
    let (autopay, time_zone): (bool, String) =
        sqlx::query_as("select autopay, time_zone from accounts where id = $1")
            .bind(access.account_id())
            .fetch_optional(&portal.pool)
            .await?
            .ok_or(AppError::NotFound)?;
    Ok(CardsPage {
        cards: saved_cards(&portal.pool, access, super::today_in(&time_zone)).await?,
        autopay,
        stripe: stripe_js(portal),
    })
}

/// Autopay payments waiting for the subscriber's bank (newest first).
pub async fn action_needed(
    pool: &PgPool,
    access: &AccountAccess,
) -> Result<Vec<ActionNeeded>, AppError> {
    let rows: Vec<(i64, Decimal, String)> = sqlx::query_as(
        "select id, amount, currency::text from payments
          where account_id = $1 and status = 'requires_action' and source = 'autopay'
          order by created_at desc, id desc limit 3",
    )
    .bind(access.account_id())
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(id, amount, currency)| {
            let currency = Currency::parse(currency.trim())
                .map_err(|e| AppError::internal("payment currency", e))?;
            Ok(ActionNeeded {
                payment_id: id,
                amount: money(amount, currency),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Pay by link: no session; the token is the only proof, checked on every call.
// ---------------------------------------------------------------------------------------

/// The statement a pay link opens, and its account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkStatement {
    pub statement_id: i64,
    pub account_id: i64,
    statement_number: String,
    due_on: chrono::NaiveDate,
    currency: String,
    locale: String,
    /// What is owed on the statement (`engine::owed`: nothing once it is paid, never an
    /// amount under dispute).
    #[sqlx(skip)]
    owed: Decimal,
    /// What of the statement is held by a dispute.
    #[sqlx(skip)]
    held: Decimal,
}

/// Verifies a pay-link token; `Err(Ok(problem))` for a link that does not open,
/// `Err(Err(_))` for a failure on our side.
pub async fn open_link(
    portal: &Portal,
    token: &str,
) -> Result<Result<LinkStatement, LinkProblem>, AppError> {
    let Some(links) = portal.config.billing.pay_links.as_ref() else {
        return Ok(Err(LinkProblem::Invalid));
    };
    let statement_id = match engine::cards::pay_link::verify(&links.secret, token, Utc::now()) {
        Ok(id) => id,
        Err(engine::cards::pay_link::LinkError::Expired) => return Ok(Err(LinkProblem::Expired)),
        Err(_) => return Ok(Err(LinkProblem::Invalid)),
    };
    let found = sqlx::query_as::<_, LinkStatement>(
        "select s.id as statement_id, s.account_id, s.statement_number, s.due_on,
                a.currency::text as currency, a.locale
           from statements s join accounts a on a.id = s.account_id
          where s.id = $1 and s.status <> 'void'",
    )
    .bind(statement_id)
    .fetch_optional(&portal.pool)
    .await?;
    let Some(mut link) = found else {
        return Ok(Err(LinkProblem::Invalid));
    };
    let mut conn = portal.pool.acquire().await?;
    let owed = engine::owed::of_account(&mut conn, link.account_id).await?;
    if let Some(standing) = owed.allocation.statement(link.statement_id) {
        link.owed = standing.owed.amount();
        link.held = standing.held.amount();
    }
    Ok(Ok(link))
}

/// The pay-by-link page: the provider, the statement's number, what is due and when.
pub fn link_page(portal: &Portal, link: &LinkStatement) -> Result<PayLinkPage, AppError> {
    let currency = Currency::parse(link.currency.trim())
        .map_err(|e| AppError::internal("account currency", e))?;
    let due = link.owed;
    Ok(PayLinkPage {
        provider_name: portal.config.provider_name.clone(),
        statement_number: link.statement_number.clone(),
        amount_due: money(due, currency),
        due_on: link.due_on,
        paid: due.is_zero() && link.held.is_zero(),
        on_hold: due.is_zero() && !link.held.is_zero(),
        stripe: stripe_js(portal),
        country: country_of(&link.locale),
        currency: link.currency.trim().to_lowercase(),
    })
}

/// Starts paying a linked statement's amount due with a new card.
pub async fn link_start(
    portal: &Portal,
    link: &LinkStatement,
    attempt: &str,
) -> Result<PayProgress, AppError> {
    let stripe = stripe(portal)?;
    let due = link.owed;
    if due.is_zero() {
        let p = Texts::for_locale(&link.locale).pay();
        return Err(AppError::Conflict {
            message: if link.held.is_zero() {
                p.link_paid
            } else {
                p.link_on_hold
            }
            .to_string(),
        });
    }
    let limits = portal.config.billing.card_limits;
    let payment = engine::cards::payments::start(
        &portal.pool,
        &stripe,
        &portal.config.billing,
        &PayRequest {
            account_id: link.account_id,
            amount: Money::new(
                due.clamp(limits.min, limits.max),
                Currency::parse(link.currency.trim())
                    .map_err(|e| AppError::internal("account currency", e))?,
            ),
            statement_id: Some(link.statement_id),
            data_addon_id: None,
            source: Source::PayLink,
            login_id: None,
            attempt: attempt.to_string(),
            saved_card: None,
            save_card: false,
            assisted: None,
        },
    )
    .await?;
    progress(payment)
}

/// A payment made through this link (by this statement's link, from its account); any
/// other id is not found.
pub async fn link_payment(
    portal: &Portal,
    link: &LinkStatement,
    payment_id: i64,
) -> Result<(), AppError> {
    let found: Option<i64> = sqlx::query_scalar(
        "select id from payments
          where id = $1 and account_id = $2 and statement_id = $3 and source = 'pay_link'",
    )
    .bind(payment_id)
    .bind(link.account_id)
    .bind(link.statement_id)
    .fetch_optional(&portal.pool)
    .await?;
    found.map(|_| ()).ok_or(AppError::NotFound)
}

//! Card payments, saved cards, autopay and pay by link.
//!
//! Every function first establishes who is calling: a signed-in subscriber
//! (`require_subscriber`), or, for the `pay_link_*` functions, a pay-link token verified on
//! each call (they show and change nothing but that one statement's payment).

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{
    access::{require_acting, require_subscriber, require_viewer},
    payments, portal,
};
use crate::types::payments::{
    ActionNeeded, CardsPage, LinkProblem, PayLinkPage, PayPage, PayProgress, Receipt,
};

/// The pay page: balance, open statement, limits, saved cards, Stripe.js; with `addon`, the
/// account's data add-on bought to be paid now, whose amount it asks for.
#[server(prefix = "/api", endpoint = "pay-page")]
pub async fn load_pay_page(addon: Option<i64>) -> Result<PayPage, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            payments::pay_page(&portal, &access, addon).await
        }
        .await,
    )
}

/// Starts paying `amount` (as typed) with a saved card, or with a new card (`saved_card`
/// absent: the answer carries the PaymentIntent's secret, for the browser to confirm with the
/// card typed into Stripe.js, and `save` keeps that card once the payment succeeds).
/// `attempt` is made once per pay form by the browser: the same key again is the same
/// payment. With `data_addon`, the payment is for that add-on bought to be paid now: its
/// amount, which `amount` must be.
#[server(prefix = "/api", endpoint = "start-card-payment")]
pub async fn start_card_payment(
    amount: String,
    attempt: String,
    saved_card: Option<i64>,
    data_addon: Option<i64>,
    #[server(default)] save: bool,
) -> Result<PayProgress, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_acting().await?;
            // A card given to staff over the phone is charged, not kept.
            if save && access.assisted().is_some() {
                return Err(AppError::ReadOnly);
            }
            let card = payments::CardChoice { saved_card, save };
            payments::start(&portal, &access, &amount, &attempt, card, data_addon).await
        }
        .await,
    )
}

/// How the payment stands at Stripe, recorded (after 3-D Secure; also before confirming an
/// autopay payment with the bank, for its secret).
#[server(prefix = "/api", endpoint = "finish-card-payment")]
pub async fn finish_card_payment(payment_id: i64) -> Result<PayProgress, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_acting().await?;
            payments::refresh(&portal, access.account_id(), payment_id).await
        }
        .await,
    )
}

/// A payment's receipt.
#[server(prefix = "/api", endpoint = "payment-receipt")]
pub async fn payment_receipt(id: i64) -> Result<Receipt, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            payments::receipt(&portal, &access, id).await
        }
        .await,
    )
}

/// Autopay payments waiting for the subscriber's bank.
#[server(prefix = "/api", endpoint = "payments-needing-action")]
pub async fn payments_needing_action() -> Result<Vec<ActionNeeded>, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            payments::action_needed(&portal.pool, &access).await
        }
        .await,
    )
}

/// Saved cards and autopay.
#[server(prefix = "/api", endpoint = "cards-page")]
pub async fn load_cards_page() -> Result<CardsPage, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_viewer().await?;
            payments::cards_page(&portal, &access).await
        }
        .await,
    )
}

/// Starts adding a card: the SetupIntent secret for `stripe.confirmCardSetup`.
#[server(prefix = "/api", endpoint = "start-card-setup")]
pub async fn start_card_setup() -> Result<String, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_subscriber().await?;
            let stripe = payments::stripe(&portal)?;
            Ok(
                engine::cards::saved::start_setup(&portal.pool, &stripe, access.account_id())
                    .await?,
            )
        }
        .await,
    )
}

/// Saves the card the browser confirmed with the SetupIntent; its id.
#[server(prefix = "/api", endpoint = "finish-card-setup")]
pub async fn finish_card_setup(setup_intent: String) -> Result<i64, AppError> {
    super::respond(
        async move {
            let (portal, access) = require_subscriber().await?;
            let stripe = payments::stripe(&portal)?;
            Ok(engine::cards::saved::finish_setup(
                &portal.pool,
                &stripe,
                access.account_id(),
                &setup_intent,
            )
            .await?)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "make-default-card")]
pub async fn make_default_card(card_id: i64) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, access) = require_subscriber().await?;
            Ok(
                engine::cards::saved::make_default(&portal.pool, access.account_id(), card_id)
                    .await?,
            )
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "remove-card")]
pub async fn remove_card(card_id: i64) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, access) = require_subscriber().await?;
            let stripe = payments::stripe(&portal)?;
            Ok(
                engine::cards::saved::remove(&portal.pool, &stripe, access.account_id(), card_id)
                    .await?,
            )
        }
        .await,
    )
}

/// Switches autopay on (a default card is needed) or off.
#[server(prefix = "/api", endpoint = "set-autopay")]
pub async fn set_autopay(on: bool) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, access) = require_subscriber().await?;
            Ok(engine::cards::saved::set_autopay(&portal.pool, access.account_id(), on).await?)
        }
        .await,
    )
}

// ---------------------------------------------------------------------------------------
// Pay by link
// ---------------------------------------------------------------------------------------

/// Verifies the token and returns its statement; a link that does not open (forged,
/// expired, another statement's) is simply not found.
#[cfg(feature = "ssr")]
async fn verified(
    token: &str,
) -> Result<(crate::server::Portal, payments::LinkStatement), AppError> {
    let portal = portal()?;
    match payments::open_link(&portal, token).await? {
        Ok(link) => Ok((portal, link)),
        Err(_) => Err(AppError::NotFound),
    }
}

#[cfg(feature = "ssr")]
fn set_link_status(problem: LinkProblem) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(match problem {
            LinkProblem::Expired => http::StatusCode::GONE,
            LinkProblem::Invalid => http::StatusCode::NOT_FOUND,
        });
    }
}

/// The pay-by-link page, or why the link does not open (the answer's status is then 410 or
/// 404 too).
#[server(prefix = "/api", endpoint = "pay-link")]
pub async fn load_pay_link(token: String) -> Result<Result<PayLinkPage, LinkProblem>, AppError> {
    super::respond(
        async move {
            let portal = portal()?;
            match payments::open_link(&portal, &token).await? {
                Ok(link) => Ok(Ok(payments::link_page(&portal, &link)?)),
                Err(problem) => {
                    set_link_status(problem);
                    Ok(Err(problem))
                }
            }
        }
        .await,
    )
}

/// Starts paying the linked statement's amount due with a new card (never kept): the
/// PaymentIntent's secret for the browser to confirm.
#[server(prefix = "/api", endpoint = "pay-link-start")]
pub async fn pay_link_start(token: String, attempt: String) -> Result<PayProgress, AppError> {
    super::respond(
        async move {
            let (portal, link) = verified(&token).await?;
            payments::link_start(&portal, &link, &attempt).await
        }
        .await,
    )
}

/// How a pay-link payment stands, once the browser has confirmed it with the card (and the
/// bank).
#[server(prefix = "/api", endpoint = "pay-link-finish")]
pub async fn pay_link_finish(token: String, payment_id: i64) -> Result<PayProgress, AppError> {
    super::respond(
        async move {
            let (portal, link) = verified(&token).await?;
            payments::link_payment(&portal, &link, payment_id).await?;
            payments::refresh(&portal, link.account_id, payment_id).await
        }
        .await,
    )
}

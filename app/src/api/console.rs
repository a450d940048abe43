//! The staff console's 360-degree view of an account, and writing notes and interactions on
//! it. Staff only (`Right::Support`); a subscriber's session is not enough.
//!
//! The two writes are form posts that work without the page's code: on success they send the
//! browser back to the account with `?saved=note` or `?saved=interaction`.

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{access::require_staff, staff::console, staff::Right};
use crate::types::console::Account360;

/// Everything the console shows of one account. Opening it is audited.
#[server(name = LoadAccount360, prefix = "/api", endpoint = "account-360")]
pub async fn account_360(account_id: i64) -> Result<Account360, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Support)?;
            console::account_view(&portal.pool, &staff, account_id).await
        }
        .await,
    )
}

/// Adds a note to the account. Answers the note's id.
#[server(prefix = "/api", endpoint = "add-note")]
pub async fn add_note(account_id: i64, body: String) -> Result<i64, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Support)?;
            let id = console::add_note(&portal.pool, &staff, account_id, &body).await?;
            leptos_axum::redirect(&format!("/staff/accounts/{account_id}?saved=note#notes"));
            Ok(id)
        }
        .await,
    )
}

/// Logs a call, email, visit or chat with the account. `person_id` is one of the account's
/// people, or empty for none. Answers the interaction's id.
#[server(prefix = "/api", endpoint = "log-interaction")]
pub async fn log_interaction(
    account_id: i64,
    channel: String,
    direction: String,
    summary: String,
    person_id: Option<String>,
) -> Result<i64, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Support)?;
            // The form's "nobody" is an empty value.
            let person_id = match person_id.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(text) => Some(text.parse::<i64>().map_err(|_| AppError::InvalidInput {
                    field: "person_id".into(),
                    message: "Choose one of this account's people, or nobody.".into(),
                })?),
            };
            let id = console::log_interaction(
                &portal.pool,
                &staff,
                account_id,
                person_id,
                &channel,
                &direction,
                &summary,
            )
            .await?;
            leptos_axum::redirect(&format!(
                "/staff/accounts/{account_id}?saved=interaction#interactions"
            ));
            Ok(id)
        }
        .await,
    )
}

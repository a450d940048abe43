//! A service's connection (network) credentials: the subscriber reveals or changes their
//! PPPoE password (after their portal password); staff with the `Network` right reveal or
//! reset it, or change an IPoE identifier, from the console. Every one of them is audited;
//! who may do what is decided in `server::network`.
//!
//! These answer with the password itself, which only the page's code can show: a plain form
//! post (no code running) that would reveal or reset one is refused before anything is read
//! or changed, since the answer would be lost in the redirect back.

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{
    access::{require_staff, require_subscriber},
    network,
    staff::Right,
};
use crate::types::network::ConnectionPassword;

/// Refuses a plain form post (the browser ran no code): its answer could not be shown.
#[cfg(feature = "ssr")]
fn needs_page_code() -> Result<(), AppError> {
    let plain_form_post = use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false);
    if plain_form_post {
        Err(AppError::BadRequest)
    } else {
        Ok(())
    }
}

/// The subscriber's connection password for one of their services, after they type their
/// portal password again.
#[server(prefix = "/api", endpoint = "reveal-connection-password")]
pub async fn reveal_connection_password(
    service_id: i64,
    current_password: String,
) -> Result<ConnectionPassword, AppError> {
    super::respond(
        async move {
            needs_page_code()?;
            let (portal, access) = require_subscriber().await?;
            network::reveal(&portal, &access, service_id, &current_password).await
        }
        .await,
    )
}

/// Sets the connection password the subscriber chose (typed twice), after their portal
/// password. Answers it, to show back once.
#[server(prefix = "/api", endpoint = "change-connection-password")]
pub async fn change_connection_password(
    service_id: i64,
    current_password: String,
    new_password: String,
    confirm: String,
) -> Result<ConnectionPassword, AppError> {
    super::respond(
        async move {
            needs_page_code()?;
            let (portal, access) = require_subscriber().await?;
            network::change(
                &portal,
                &access,
                service_id,
                &current_password,
                &new_password,
                &confirm,
            )
            .await
        }
        .await,
    )
}

/// Staff: a service's connection password, to read out. Audited.
#[server(prefix = "/api", endpoint = "staff-reveal-connection-password")]
pub async fn staff_reveal_connection_password(
    account_id: i64,
    service_id: i64,
) -> Result<ConnectionPassword, AppError> {
    super::respond(
        async move {
            needs_page_code()?;
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Network)?;
            network::reveal_for_staff(&portal.pool, &staff, account_id, service_id).await
        }
        .await,
    )
}

/// Staff: a new random connection password for the service, answered once. Audited.
#[server(prefix = "/api", endpoint = "staff-reset-connection-password")]
pub async fn staff_reset_connection_password(
    account_id: i64,
    service_id: i64,
) -> Result<ConnectionPassword, AppError> {
    super::respond(
        async move {
            needs_page_code()?;
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Network)?;
            network::reset_for_staff(&portal.pool, &staff, account_id, service_id).await
        }
        .await,
    )
}

/// Staff: an IPoE service's new identifier (circuit id or MAC). Audited with the old and
/// new values. Works as a plain form post too (back to the account, `?saved=identifier`).
#[server(prefix = "/api", endpoint = "staff-set-ipoe-identifier")]
pub async fn staff_set_ipoe_identifier(
    account_id: i64,
    service_id: i64,
    identifier: String,
) -> Result<String, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Network)?;
            let stored = network::set_identifier_for_staff(
                &portal.pool,
                &staff,
                account_id,
                service_id,
                &identifier,
            )
            .await?;
            leptos_axum::redirect(&format!(
                "/staff/accounts/{account_id}?saved=identifier#services"
            ));
            Ok(stored)
        }
        .await,
    )
}

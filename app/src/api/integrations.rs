//! The integration API's keys, from the console (administrators). A token is answered only
//! by the calls that make or rotate it, so only the page's code can show it, once.

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{access::require_staff, staff::integrations};
use crate::types::integrations::{ApiKeyRow, IssuedApiKey, IssuedWebhookSecret, WebhookRow};

/// Every key (never a token).
#[server(prefix = "/api", endpoint = "api-keys")]
pub async fn api_keys() -> Result<Vec<ApiKeyRow>, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            integrations::list(&portal, &staff).await
        }
        .await,
    )
}

/// Makes a key; answers its token. Each scope is a checkbox (present when ticked).
#[server(prefix = "/api", endpoint = "create-api-key")]
pub async fn create_api_key(
    integration: String,
    name: String,
    scope_read: Option<String>,
    scope_write_accounts: Option<String>,
    scope_write_money: Option<String>,
    money_limit: String,
    rate_per_minute: String,
) -> Result<IssuedApiKey, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            let scopes: Vec<String> = [
                (scope_read, "read"),
                (scope_write_accounts, "write:accounts"),
                (scope_write_money, "write:money"),
            ]
            .into_iter()
            .filter(|(ticked, _)| ticked.is_some())
            .map(|(_, scope)| scope.to_string())
            .collect();
            integrations::create(
                &portal,
                &staff,
                &integration,
                &name,
                &scopes,
                &money_limit,
                &rate_per_minute,
            )
            .await
        }
        .await,
    )
}

/// A new token for a key (the old one works 24 hours more); answers it.
#[server(prefix = "/api", endpoint = "rotate-api-key")]
pub async fn rotate_api_key(id: i64) -> Result<IssuedApiKey, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            integrations::rotate(&portal, &staff, id).await
        }
        .await,
    )
}

/// Ends every token of a key at once.
#[server(prefix = "/api", endpoint = "revoke-api-key")]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            integrations::revoke(&portal, &staff, id).await
        }
        .await,
    )
}

/// Every webhook subscription with its latest deliveries (never a secret).
#[server(prefix = "/api", endpoint = "webhooks")]
pub async fn webhook_subscriptions() -> Result<Vec<WebhookRow>, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            integrations::webhooks_list(&portal, &staff).await
        }
        .await,
    )
}

/// Subscribes an address to event types (comma-separated, or `all`); answers the signing
/// secret.
#[server(prefix = "/api", endpoint = "create-webhook")]
pub async fn create_webhook(
    integration: String,
    url: String,
    events: String,
) -> Result<IssuedWebhookSecret, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            integrations::create_webhook(&portal, &staff, &integration, &url, &events).await
        }
        .await,
    )
}

/// A new signing secret for a subscription; answers it.
#[server(prefix = "/api", endpoint = "rotate-webhook-secret")]
pub async fn rotate_webhook_secret(id: i64) -> Result<IssuedWebhookSecret, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            integrations::rotate_webhook_secret(&portal, &staff, id).await
        }
        .await,
    )
}

/// Stops a subscription.
#[server(prefix = "/api", endpoint = "disable-webhook")]
pub async fn disable_webhook(id: i64) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            integrations::disable_webhook(&portal, &staff, id).await
        }
        .await,
    )
}

/// Sends a finished delivery again; answers the new delivery's id.
#[server(prefix = "/api", endpoint = "replay-webhook-delivery")]
pub async fn replay_webhook_delivery(id: i64) -> Result<i64, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            integrations::replay_delivery(&portal, &staff, id).await
        }
        .await,
    )
}

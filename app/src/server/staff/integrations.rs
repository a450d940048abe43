//! The integration API's keys and webhook subscriptions in the console: administrators
//! ([`Right::Integrations`]) list them, make one (its token or signing secret shown once),
//! rotate one (the old token works, the old secret signs, 24 hours more), revoke or disable
//! one, read a subscription's delivery log and send a delivery again. The keys and
//! subscriptions themselves are the engine's (`engine::integrations`, `engine::webhooks`);
//! each change here is on the record, never with a token or secret in it.

use serde_json::json;

use super::audit::{self, Actor, Entry, RequestInfo};
use super::{Right, StaffAccess};
use crate::error::AppError;
use crate::server::Portal;
use crate::types::integrations::{
    ApiKeyRow, DeliveryRow, IssuedApiKey, IssuedWebhookSecret, WebhookRow,
};
use engine::integrations::{self, NewKey, Scope};
use engine::webhooks::{self, NewSubscription, Sealed};

use super::totp_keys::TotpKeys;

/// What a subscription's signing secret is bound to when sealed: the subscription itself,
/// so a sealed secret copied onto another row does not open.
pub fn webhook_secret_context(subscription_id: i64) -> String {
    format!("lastmile webhook secret v1|{subscription_id}")
}

/// Seals a subscription's new signing secret with the server's key ring (the TOTP keys).
pub fn webhook_sealer(keys: &TotpKeys) -> impl Fn(i64, &[u8]) -> Sealed + Sync + '_ {
    move |id, secret| {
        let sealed = keys.seal_for(&webhook_secret_context(id), secret);
        (sealed.key_id, sealed.bytes)
    }
}

/// Whether subscriptions may use `http://` (`LASTMILE_WEBHOOK_ALLOW_HTTP=1`: tests and
/// demos only; events carry subscribers' data).
pub fn webhooks_allow_http() -> bool {
    matches!(
        std::env::var("LASTMILE_WEBHOOK_ALLOW_HTTP").as_deref(),
        Ok("1" | "true" | "yes")
    )
}

/// How many deliveries the console shows per subscription.
pub const DELIVERIES_SHOWN: i64 = 20;

/// Every subscription, newest first, with its latest deliveries.
pub async fn webhooks_list(
    portal: &Portal,
    staff: &StaffAccess,
) -> Result<Vec<WebhookRow>, AppError> {
    staff.require(Right::Integrations)?;
    let tz = portal.config.billing.time_zone;
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).naive_local();
    let mut rows = Vec::new();
    for s in webhooks::subscriptions(&portal.pool).await? {
        let deliveries = webhooks::log(&portal.pool, s.id, DELIVERIES_SHOWN)
            .await?
            .into_iter()
            .map(|l| DeliveryRow {
                id: l.delivery_id,
                event_type: l.event_type,
                webhook_id: l.webhook_id,
                account_id: l.account_id,
                seq: l.seq,
                state: l.state,
                attempts: l.attempts,
                created_at: local(l.created_at),
                next_attempt_at: l.next_attempt_at.map(local),
                last_status: l.last_status,
                last_error: l.last_error,
                last_duration_ms: l.last_duration_ms,
                last_excerpt: l.last_excerpt,
                replay_of: l.replay_of,
            })
            .collect();
        rows.push(WebhookRow {
            id: s.id,
            integration: s.integration,
            url: s.url,
            event_types: s.event_types,
            created_at: local(s.created_at),
            disabled_at: s.disabled_at.map(local),
            disabled_reason: s.disabled_reason,
            previous_valid_until: s.previous_valid_until.map(local),
            pending: s.pending,
            delivered: s.delivered,
            failed: s.failed,
            deliveries,
        });
    }
    Ok(rows)
}

/// Subscribes an integration's address to event types (comma-separated, or `all`);
/// answers the signing secret, to show once.
pub async fn create_webhook(
    portal: &Portal,
    staff: &StaffAccess,
    integration: &str,
    url: &str,
    events: &str,
) -> Result<IssuedWebhookSecret, AppError> {
    staff.require(Right::Integrations)?;
    let event_types: Vec<String> = if events.trim().is_empty() || events.trim() == "all" {
        webhooks::EVENT_TYPES
            .iter()
            .map(|t| t.to_string())
            .collect()
    } else {
        events
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut tx = portal.pool.begin().await?;
    let made = webhooks::create_subscription(
        &mut tx,
        &NewSubscription {
            integration: integration.to_string(),
            url: url.to_string(),
            event_types: event_types.clone(),
            created_by_staff: Some(staff.staff_id()),
            allow_http: webhooks_allow_http(),
        },
        &webhook_sealer(&portal.config.totp_keys),
    )
    .await
    .map_err(|e| match e {
        // The form calls the list of types "events".
        engine::EngineError::InvalidField {
            field: "event_types",
            message,
        } => AppError::InvalidInput {
            field: "events".into(),
            message,
        },
        other => other.into(),
    })?;
    record(
        &mut tx,
        staff,
        "integrations.webhook_created",
        json!({ "subscription_id": made.id, "integration": integration.trim(),
                "url": url.trim(), "event_types": event_types }),
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedWebhookSecret {
        id: made.id,
        secret: made.secret,
    })
}

/// A new signing secret for a subscription (the old one signs beside it 24 hours more).
pub async fn rotate_webhook_secret(
    portal: &Portal,
    staff: &StaffAccess,
    id: i64,
) -> Result<IssuedWebhookSecret, AppError> {
    staff.require(Right::Integrations)?;
    let mut tx = portal.pool.begin().await?;
    let secret =
        webhooks::rotate_secret(&mut tx, id, &webhook_sealer(&portal.config.totp_keys)).await?;
    record(
        &mut tx,
        staff,
        "integrations.webhook_secret_rotated",
        json!({ "subscription_id": id }),
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedWebhookSecret { id, secret })
}

/// Stops a subscription; what waits for it is cancelled.
pub async fn disable_webhook(
    portal: &Portal,
    staff: &StaffAccess,
    id: i64,
) -> Result<(), AppError> {
    staff.require(Right::Integrations)?;
    let mut tx = portal.pool.begin().await?;
    webhooks::disable(&mut tx, id, "disabled in the console").await?;
    record(
        &mut tx,
        staff,
        "integrations.webhook_disabled",
        json!({ "subscription_id": id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends a finished delivery's event again (the same `webhook-id`); answers the new
/// delivery's id.
pub async fn replay_delivery(
    portal: &Portal,
    staff: &StaffAccess,
    delivery_id: i64,
) -> Result<i64, AppError> {
    staff.require(Right::Integrations)?;
    let mut tx = portal.pool.begin().await?;
    let replay = webhooks::replay(&mut tx, delivery_id, staff.staff_id()).await?;
    record(
        &mut tx,
        staff,
        "integrations.webhook_replayed",
        json!({ "delivery_id": delivery_id, "replay_id": replay }),
    )
    .await?;
    tx.commit().await?;
    Ok(replay)
}

/// Every key, newest first.
pub async fn list(portal: &Portal, staff: &StaffAccess) -> Result<Vec<ApiKeyRow>, AppError> {
    staff.require(Right::Integrations)?;
    let tz = portal.config.billing.time_zone;
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).naive_local();
    Ok(integrations::list_keys(&portal.pool)
        .await?
        .into_iter()
        .map(|k| ApiKeyRow {
            id: k.id,
            integration: k.integration,
            name: k.name,
            scopes: k.scopes,
            money_limit: k.money_limit.map(|m| m.to_string()),
            rate_per_minute: k.rate_per_minute,
            created_at: local(k.created_at),
            last_used_at: k.last_used_at.map(local),
            revoked_at: k.revoked_at.map(local),
            prefixes: k.prefixes,
        })
        .collect())
}

/// Makes a key from the form's fields; answers its token, to show once.
pub async fn create(
    portal: &Portal,
    staff: &StaffAccess,
    integration: &str,
    name: &str,
    scopes: &[String],
    money_limit: &str,
    rate_per_minute: &str,
) -> Result<IssuedApiKey, AppError> {
    staff.require(Right::Integrations)?;
    let invalid = |field: &str, message: &str| AppError::InvalidInput {
        field: field.into(),
        message: message.into(),
    };
    let scopes: Vec<Scope> = scopes.iter().filter_map(|s| Scope::parse(s)).collect();
    if scopes.is_empty() {
        return Err(invalid(
            "scopes",
            "Choose at least one thing the key may do.",
        ));
    }
    let money_limit = match money_limit.trim() {
        "" => None,
        typed => Some(typed.parse::<rust_decimal::Decimal>().map_err(|_| {
            invalid(
                "money_limit",
                "An amount such as 250.00, or nothing for no cap.",
            )
        })?),
    };
    let rate_per_minute = match rate_per_minute.trim() {
        "" => integrations::DEFAULT_RATE_PER_MINUTE,
        typed => typed
            .parse::<i32>()
            .map_err(|_| invalid("rate_per_minute", "A whole number of requests a minute."))?,
    };
    let mut tx = portal.pool.begin().await?;
    let issued = integrations::create_key(
        &mut tx,
        &NewKey {
            integration: integration.to_string(),
            name: name.to_string(),
            scopes: scopes.clone(),
            money_limit,
            rate_per_minute,
            created_by_staff: Some(staff.staff_id()),
        },
    )
    .await?;
    record(
        &mut tx,
        staff,
        "integrations.api_key_created",
        json!({
            "api_key_id": issued.id,
            "integration": integration.trim(),
            "name": name.trim(),
            "scopes": scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "prefix": issued.display_prefix,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedApiKey {
        id: issued.id,
        token: issued.token,
    })
}

/// A new token for a key; answers it, to show once.
pub async fn rotate(
    portal: &Portal,
    staff: &StaffAccess,
    key_id: i64,
) -> Result<IssuedApiKey, AppError> {
    staff.require(Right::Integrations)?;
    let mut tx = portal.pool.begin().await?;
    let issued = integrations::rotate_key(&mut tx, key_id).await?;
    record(
        &mut tx,
        staff,
        "integrations.api_key_rotated",
        json!({ "api_key_id": key_id, "prefix": issued.display_prefix }),
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedApiKey {
        id: issued.id,
        token: issued.token,
    })
}

/// Ends every token of a key.
pub async fn revoke(portal: &Portal, staff: &StaffAccess, key_id: i64) -> Result<(), AppError> {
    staff.require(Right::Integrations)?;
    let mut tx = portal.pool.begin().await?;
    integrations::revoke_key(&mut tx, key_id, Some(staff.staff_id())).await?;
    record(
        &mut tx,
        staff,
        "integrations.api_key_revoked",
        json!({ "api_key_id": key_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The audit entry, in the change's own transaction.
async fn record(
    conn: &mut sqlx::PgConnection,
    staff: &StaffAccess,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(
        &mut *conn,
        Entry {
            actor: Actor::Staff {
                staff_id: staff.staff_id(),
            },
            subject_account_id: None,
            action,
            detail,
            support_session_id: None,
        },
        &RequestInfo::current(),
    )
    .await
}

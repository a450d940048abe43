//! The integration API's keys in the console: administrators ([`Right::Integrations`]) list
//! them, make one (its token shown once), rotate one (the old token works 24 hours more)
//! and revoke one. The keys themselves are the engine's (`engine::integrations`); each
//! change here is on the record, never with a token in it.

use serde_json::json;

use super::audit::{self, Actor, Entry, RequestInfo};
use super::{Right, StaffAccess};
use crate::error::AppError;
use crate::server::Portal;
use crate::types::integrations::{ApiKeyRow, IssuedApiKey};
use engine::integrations::{self, NewKey, Scope};

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

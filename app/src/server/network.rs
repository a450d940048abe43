//! A service's network credentials, for the subscriber and for staff: who may see the
//! connection password, who may change it, and the audit entry each of those writes.
//! The rules a chosen password must meet, and the changes themselves, are the engine's
//! (`engine::network::credential_changes`).
//!
//! Decided here:
//! - Every page shows a connection's kind and username (an IPoE line's identifier); none
//!   shows its password. The password is read only by a call that asks for it.
//! - In the portal the password is the subscriber's own, like their portal password: only
//!   the subscriber sees or changes it ([`require_subscriber`]), and only after typing their
//!   portal password again (a check counted by sign-in's throttle, so it is no way round
//!   it). Staff viewing as the subscriber are refused (`read_only`) whatever their role:
//!   staff use the console.
//! - In the console, staff whose role has [`Right::Network`] (support reps and
//!   administrators) reveal the password, reset it to a new random one (shown to them once)
//!   and change an IPoE identifier. Each is written to the audit log in the transaction
//!   that reads or changes the credentials, so nothing is revealed or changed unrecorded.
//! - A subscriber revealing or changing their own password is audited too (actor: their
//!   login), so support can tell when it last changed and who saw it.
//! - The audit entries never hold a password.
//!
//! [`require_subscriber`]: super::access::require_subscriber

use serde_json::json;
use sqlx::PgPool;

use super::access::AccountAccess;
use super::auth;
use super::staff::audit::{self, Actor, Entry, RequestInfo};
use super::staff::{Right, StaffAccess};
use super::Portal;
use crate::error::AppError;
use crate::types::network::ConnectionPassword;
use engine::network::credential_changes;

fn invalid(field: &str, message: &str) -> AppError {
    AppError::InvalidInput {
        field: field.into(),
        message: message.into(),
    }
}

/// Checks the subscriber's portal password again before their connection password is shown
/// or changed. A wrong one is answered beside the field; each try counts against sign-in's
/// limits for the login and the address, so this is no way round them.
async fn confirm_portal_password(
    portal: &Portal,
    access: &AccountAccess,
    current_password: &str,
) -> Result<(), AppError> {
    if access.assisted().is_some() {
        return Err(AppError::ReadOnly);
    }
    if current_password.is_empty() {
        return Err(invalid(
            "current_password",
            "Enter the password you sign in to this portal with.",
        ));
    }
    let hash: Option<String> = sqlx::query_scalar::<_, Option<String>>(
        "select password_hash from portal_logins
          where id = $1 and account_id = $2 and disabled_at is null",
    )
    .bind(access.login_id())
    .bind(access.account_id())
    .fetch_optional(&portal.pool)
    .await?
    .flatten();
    let request = RequestInfo::current();
    let address = request.ip.unwrap_or_else(|| "unknown".into());
    let attempt = auth::begin_attempt(
        &portal.pool,
        &portal.config.throttle,
        &format!("portal:{}", access.login_id()),
        &address,
    )
    .await?;
    if !auth::verify_password(current_password.to_string(), hash).await? {
        tracing::info!(outcome = "refused", "portal password confirmation");
        return Err(invalid(
            "current_password",
            "That is not your portal password.",
        ));
    }
    attempt.succeeded(&portal.pool).await?;
    Ok(())
}

/// The subscriber's connection password for one of their services, after their portal
/// password. Another account's service is not found.
pub async fn reveal(
    portal: &Portal,
    access: &AccountAccess,
    service_id: i64,
    current_password: &str,
) -> Result<ConnectionPassword, AppError> {
    confirm_portal_password(portal, access, current_password).await?;
    let mut tx = portal.pool.begin().await?;
    let found = read_password(&mut tx, access.account_id(), service_id).await?;
    audit::record(
        &mut *tx,
        subscriber_entry(access, "network.password_revealed", service_id),
        &RequestInfo::current(),
    )
    .await?;
    tx.commit().await?;
    Ok(found)
}

/// Sets the connection password the subscriber chose (typed twice) for one of their
/// services, after their portal password; the rules are the engine's. Answers the new
/// password, to show back once.
pub async fn change(
    portal: &Portal,
    access: &AccountAccess,
    service_id: i64,
    current_password: &str,
    new_password: &str,
    confirm: &str,
) -> Result<ConnectionPassword, AppError> {
    if access.assisted().is_some() {
        return Err(AppError::ReadOnly);
    }
    if new_password.is_empty() {
        return Err(invalid("new_password", "Choose the new password."));
    }
    if new_password != confirm {
        return Err(invalid("confirm", "The two passwords don't match."));
    }
    confirm_portal_password(portal, access, current_password).await?;
    let mut tx = portal.pool.begin().await?;
    let username =
        credential_changes::set_password(&mut tx, access.account_id(), service_id, new_password)
            .await?;
    audit::record(
        &mut *tx,
        subscriber_entry(access, "network.password_changed", service_id),
        &RequestInfo::current(),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        account_id = access.account_id(),
        service_id,
        "connection password changed by the subscriber"
    );
    Ok(ConnectionPassword {
        service_id,
        username,
        password: new_password.to_string(),
    })
}

fn subscriber_entry<'a>(access: &AccountAccess, action: &'a str, service_id: i64) -> Entry<'a> {
    Entry {
        actor: Actor::Subscriber {
            login_id: access.login_id(),
        },
        subject_account_id: Some(access.account_id()),
        action,
        detail: json!({ "service_id": service_id }),
        support_session_id: None,
    }
}

/// A PPPoE service's username and password, within the account.
async fn read_password(
    tx: &mut sqlx::PgConnection,
    account_id: i64,
    service_id: i64,
) -> Result<ConnectionPassword, AppError> {
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "select username, password from network_credentials
          where service_id = $1 and account_id = $2",
    )
    .bind(service_id)
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?;
    match row {
        None => Err(AppError::NotFound),
        Some((_, None)) => Err(invalid(
            "",
            "This connection is recognised by its line (IPoE): it has no password.",
        )),
        Some((username, Some(password))) => Ok(ConnectionPassword {
            service_id,
            username,
            password,
        }),
    }
}

/// Staff read a service's connection password out (to a subscriber setting up a router).
/// Written to the audit log in the same transaction as the read.
pub async fn reveal_for_staff(
    pool: &PgPool,
    staff: &StaffAccess,
    account_id: i64,
    service_id: i64,
) -> Result<ConnectionPassword, AppError> {
    staff.require(Right::Network)?;
    let mut tx = pool.begin().await?;
    let found = read_password(&mut tx, account_id, service_id).await?;
    audit::record(
        &mut *tx,
        Entry::staff(
            staff.staff_id(),
            Some(account_id),
            "network.password_revealed",
            json!({ "service_id": service_id }),
        ),
        &RequestInfo::current(),
    )
    .await?;
    tx.commit().await?;
    Ok(found)
}

/// Staff give a service a new random connection password; it is answered once, for them to
/// read out, and audited (without the password).
pub async fn reset_for_staff(
    pool: &PgPool,
    staff: &StaffAccess,
    account_id: i64,
    service_id: i64,
) -> Result<ConnectionPassword, AppError> {
    staff.require(Right::Network)?;
    let mut tx = pool.begin().await?;
    let password = credential_changes::reset_password(&mut tx, account_id, service_id).await?;
    let username: String =
        sqlx::query_scalar("select username from network_credentials where service_id = $1")
            .bind(service_id)
            .fetch_one(&mut *tx)
            .await?;
    audit::record(
        &mut *tx,
        Entry::staff(
            staff.staff_id(),
            Some(account_id),
            "network.password_reset",
            json!({ "service_id": service_id }),
        ),
        &RequestInfo::current(),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(account_id, service_id, "connection password reset by staff");
    Ok(ConnectionPassword {
        service_id,
        username,
        password,
    })
}

/// Staff change an IPoE service's identifier (the circuit id or MAC the network sends);
/// the old and new identifiers are in the audit entry. Answers the identifier stored.
pub async fn set_identifier_for_staff(
    pool: &PgPool,
    staff: &StaffAccess,
    account_id: i64,
    service_id: i64,
    identifier: &str,
) -> Result<String, AppError> {
    staff.require(Right::Network)?;
    let mut tx = pool.begin().await?;
    let change =
        credential_changes::set_identifier(&mut tx, account_id, service_id, identifier).await?;
    audit::record(
        &mut *tx,
        Entry::staff(
            staff.staff_id(),
            Some(account_id),
            "network.identifier_changed",
            json!({ "service_id": service_id, "from": change.from, "to": change.to }),
        ),
        &RequestInfo::current(),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(account_id, service_id, "IPoE identifier changed by staff");
    Ok(change.to)
}

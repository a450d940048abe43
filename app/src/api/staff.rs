//! The staff console's sign-in, search, and "view as subscriber".

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{
    access::{authorize_staff_page, require_staff},
    auth, portal,
    session::{PortalSession, StaffSignedIn},
    staff::{audit, auth as staff_auth, impersonation, search, Right},
};
use crate::types::search::AccountHit;
use crate::types::staff::{StaffMe, StaffStep};

#[cfg(feature = "ssr")]
fn client_address() -> String {
    crate::server::staff::audit::RequestInfo::current()
        .ip
        .unwrap_or_else(|| "unknown".into())
}

/// Only console paths are followed after a staff sign-in (see [`auth::local_path`]); the
/// console's home otherwise.
#[cfg(feature = "ssr")]
fn safe_staff_next(next: Option<&str>) -> String {
    next.and_then(auth::local_path)
        .filter(|path| {
            (path == "/staff" || path.starts_with("/staff/") || path.starts_with("/staff?"))
                && !path.starts_with("/staff/sign-in")
        })
        .unwrap_or_else(|| "/staff".to_string())
}

/// Step one: the staff member's email and password. The answer asks for the second factor;
/// a wrong email and a wrong password are answered alike.
#[server(prefix = "/api", endpoint = "staff-sign-in")]
pub async fn staff_sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<StaffStep, AppError> {
    super::respond(
        async move {
            let portal = portal()?;
            let email = email.trim().to_lowercase();
            if email.is_empty() {
                return Err(AppError::InvalidInput {
                    field: "email".into(),
                    message: "Enter your work email.".into(),
                });
            }
            if password.is_empty() {
                return Err(AppError::InvalidInput {
                    field: "password".into(),
                    message: "Enter your password.".into(),
                });
            }
            let staff = staff_auth::find(&portal.pool, &email).await?;
            let key = staff_auth::password_key(staff.as_ref(), &email);
            let address = client_address();
            let attempt =
                auth::begin_attempt(&portal.pool, &portal.config.throttle, &key, &address).await?;
            let hash = staff.as_ref().map(|s| s.password_hash.clone());
            let matches = auth::verify_password(password, hash).await?;
            let Some(staff) = staff.filter(|s| matches && !s.disabled && s.enrolled) else {
                tracing::info!(outcome = "refused", "staff sign-in");
                return Err(AppError::InvalidCredentials);
            };
            attempt.succeeded(&portal.pool).await?;
            PortalSession::current()
                .await?
                .staff_password_ok(staff.id)
                .await?;
            let mut target = "/staff/sign-in?step=code".to_string();
            if let Some(next) = next.filter(|n| !n.is_empty()) {
                target.push_str("&next=");
                target.push_str(&crate::server::encode_component(&safe_staff_next(Some(
                    &next,
                ))));
            }
            leptos_axum::redirect(&target);
            Ok(StaffStep::SecondFactor)
        }
        .await,
    )
}

/// Step two: a code from the authenticator app, or a recovery code.
#[server(prefix = "/api", endpoint = "staff-second-factor")]
pub async fn staff_second_factor(
    code: String,
    next: Option<String>,
) -> Result<StaffStep, AppError> {
    super::respond(
        async move {
            let portal = portal()?;
            let session = PortalSession::current().await?;
            let Some(pending) = session.staff_pending().await? else {
                return Err(AppError::Unauthenticated);
            };
            let code = code.trim().to_string();
            if code.is_empty() {
                return Err(AppError::InvalidInput {
                    field: "code".into(),
                    message: "Enter the six-digit code from your authenticator app.".into(),
                });
            }
            let key = staff_auth::second_factor_key(pending.staff_id);
            let address = client_address();
            let attempt =
                auth::begin_attempt(&portal.pool, &portal.config.throttle, &key, &address).await?;
            let ok = staff_auth::second_factor(
                &portal.pool,
                &portal.config.totp_keys,
                pending.staff_id,
                &code,
            )
            .await?;
            if !ok {
                return Err(AppError::InvalidInput {
                    field: "code".into(),
                    message: "That code is not right, or was already used. Enter the current code."
                        .into(),
                });
            }
            attempt.succeeded(&portal.pool).await?;
            let now = chrono::Utc::now().timestamp_millis();
            session
                .staff_sign_in(StaffSignedIn {
                    staff_id: pending.staff_id,
                    signed_in_at_ms: now,
                    last_seen_ms: now,
                })
                .await?;
            audit::record(
                &portal.pool,
                audit::Entry {
                    actor: audit::Actor::Staff {
                        staff_id: pending.staff_id,
                    },
                    subject_account_id: None,
                    action: "staff.sign_in",
                    detail: serde_json::json!({}),
                    support_session_id: None,
                },
                &audit::RequestInfo::current(),
            )
            .await?;
            tracing::info!(
                staff_id = pending.staff_id,
                outcome = "signed_in",
                "staff sign-in"
            );
            leptos_axum::redirect(&safe_staff_next(next.as_deref()));
            Ok(StaffStep::Done)
        }
        .await,
    )
}

/// Signs a staff member out, ending any view as a subscriber first.
#[server(prefix = "/api", endpoint = "staff-sign-out")]
pub async fn staff_sign_out() -> Result<(), AppError> {
    super::respond(
        async move {
            let portal = portal()?;
            let session = PortalSession::current().await?;
            if let Ok((_, staff)) = require_staff().await {
                impersonation::end(
                    &portal.pool,
                    &session,
                    staff.staff_id(),
                    impersonation::EndReason::SignedOut,
                )
                .await?;
            }
            session.sign_out().await?;
            leptos_axum::redirect("/staff/sign-in?signed_out=1");
            Ok(())
        }
        .await,
    )
}

/// The signed-in staff member: name, email, role, and the account they view as its
/// subscriber (what the console's frame shows; pages get it from the sign-in check).
#[server(prefix = "/api", endpoint = "staff-me")]
pub async fn current_staff() -> Result<StaffMe, AppError> {
    super::respond(
        async move {
            let portal = portal()?;
            let session = PortalSession::current().await?;
            let (_, me) = authorize_staff_page(&portal, &session.0).await?;
            Ok(me)
        }
        .await,
    )
}

/// Finds accounts by number, name, email, phone or address.
#[server(prefix = "/api", endpoint = "search-accounts")]
pub async fn search_accounts(q: String) -> Result<Vec<AccountHit>, AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Support)?;
            search::search(&portal.pool, &staff, &q, 25).await
        }
        .await,
    )
}

/// Opens the portal as the account's subscriber sees it, for the configured time.
#[server(prefix = "/api", endpoint = "start-viewing")]
pub async fn start_viewing(
    account_id: i64,
    reason: String,
    ticket_ref: Option<String>,
) -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            staff.require(Right::Support)?;
            let session = PortalSession::current().await?;
            impersonation::start(
                &portal,
                &session,
                &staff,
                account_id,
                &reason,
                ticket_ref.as_deref().unwrap_or(""),
            )
            .await?;
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// Ends the view as subscriber and goes back to the account in the console.
#[server(prefix = "/api", endpoint = "stop-viewing")]
pub async fn stop_viewing() -> Result<(), AppError> {
    super::respond(
        async move {
            let (portal, staff) = require_staff().await?;
            let session = PortalSession::current().await?;
            let ended = impersonation::end(
                &portal.pool,
                &session,
                staff.staff_id(),
                impersonation::EndReason::Ended,
            )
            .await?;
            leptos_axum::redirect(&match ended {
                Some(account_id) => format!("/staff/accounts/{account_id}?ended=1"),
                None => "/staff".to_string(),
            });
            Ok(())
        }
        .await,
    )
}

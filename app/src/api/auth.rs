//! Signing in and out, and resetting a forgotten password.

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{
    auth, mail, portal, second_factor,
    session::{PortalSession, SignedIn},
    staff::audit,
};

/// The caller's network address, for throttling (behind the operator's proxies, the
/// address they were called from: `server::client`).
#[cfg(feature = "ssr")]
async fn client_address() -> String {
    match crate::server::client::ClientAddress::current() {
        Some(ip) => ip.to_string(),
        None => "unknown".into(),
    }
}

/// Signs a subscriber in with an email or account number and a password, then goes to the
/// overview (or to `next`, when it is a page of the portal). A subscriber who set up an
/// authenticator app is sent on to its code: the same function with `step` `code` and the
/// `code` (one server function for both steps, so the browser carries one).
#[server(prefix = "/api", endpoint = "sign-in")]
pub async fn sign_in(
    #[server(default)] identifier: String,
    #[server(default)] password: String,
    next: Option<String>,
    #[server(default)] step: String,
    #[server(default)] code: String,
) -> Result<(), AppError> {
    super::respond(
        async move {
            if step == "code" {
                return sign_in_code(code, next).await;
            }
            let portal = portal()?;
            let identifier = identifier.trim().to_lowercase();
            if identifier.is_empty() {
                return Err(AppError::InvalidInput {
                    field: "identifier".into(),
                    message: "Enter your email or account number.".into(),
                });
            }
            if password.is_empty() {
                return Err(AppError::InvalidInput {
                    field: "password".into(),
                    message: "Enter your password.".into(),
                });
            }
            // The login first: its count is one however it was named (email or account number).
            let login = auth::find_login(&portal.pool, &identifier).await?;
            let login_key = auth::login_key(login.as_ref(), &identifier);
            let address = client_address().await;
            let attempt =
                auth::begin_attempt(&portal.pool, &portal.config.throttle, &login_key, &address)
                    .await?;

            let hash = login.as_ref().and_then(|l| l.password_hash.clone());
            let matches = auth::verify_password(password, hash).await?;
            let Some(login) = login.filter(|_| matches) else {
                tracing::info!(outcome = "refused", "sign-in");
                return Err(AppError::InvalidCredentials);
            };
            attempt.succeeded(&portal.pool).await?;

            let session = PortalSession::current().await?;
            // With an authenticator set up, its code comes next.
            if second_factor::required(&portal.pool, login.id).await? {
                session
                    .login_password_ok(login.id, login.account_id)
                    .await?;
                let next = safe_next(next.as_deref());
                leptos_axum::redirect(&format!(
                    "/sign-in?step=code&next={}",
                    crate::server::encode_component(&next)
                ));
                return Ok(());
            }
            finish_sign_in(&session, login.id, login.account_id, "password").await?;
            leptos_axum::redirect(&safe_next(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

/// Signs the subscriber in (a new session id) and records it.
#[cfg(feature = "ssr")]
async fn finish_sign_in(
    session: &PortalSession,
    login_id: i64,
    account_id: i64,
    with: &str,
) -> Result<(), AppError> {
    let portal = portal()?;
    let now = chrono::Utc::now().timestamp_millis();
    session
        .sign_in(SignedIn {
            login_id,
            account_id,
            signed_in_at_ms: now,
            last_seen_ms: now,
        })
        .await?;
    audit::record(
        &portal.pool,
        audit::Entry {
            actor: audit::Actor::Subscriber { login_id },
            subject_account_id: Some(account_id),
            action: "sign_in",
            detail: serde_json::json!({ "with": with }),
            support_session_id: None,
        },
        &audit::RequestInfo::current(),
    )
    .await?;
    tracing::info!(account_id, outcome = "signed_in", "sign-in");
    Ok(())
}

/// The second step of signing in, for a subscriber who set up an authenticator app: its
/// current code, or one of their recovery codes (used up).
#[cfg(feature = "ssr")]
async fn sign_in_code(code: String, next: Option<String>) -> Result<(), AppError> {
    {
        let portal = portal()?;
        let session = PortalSession::current().await?;
        let Some(pending) = session.login_pending().await? else {
            return Err(AppError::Unauthenticated);
        };
        let code = code.trim().to_string();
        if code.is_empty() {
            return Err(AppError::InvalidInput {
                field: "code".into(),
                message:
                    "Enter the six-digit code from your authenticator app, or a recovery code."
                        .into(),
            });
        }
        let key = format!("login-2fa:{}", pending.login_id);
        let address = client_address().await;
        let attempt =
            auth::begin_attempt(&portal.pool, &portal.config.throttle, &key, &address).await?;
        let recovery = crate::server::staff::totp::looks_like_recovery_code(&code);
        if !second_factor::check(
            &portal.pool,
            &portal.config.totp_keys,
            pending.login_id,
            &code,
        )
        .await?
        {
            tracing::info!(outcome = "refused", "sign-in code");
            return Err(AppError::InvalidInput {
                field: "code".into(),
                message: "That code is not right, or was already used. Enter the current code."
                    .into(),
            });
        }
        attempt.succeeded(&portal.pool).await?;
        let with = if recovery {
            "recovery_code"
        } else {
            "authenticator"
        };
        finish_sign_in(&session, pending.login_id, pending.account_id, with).await?;
        leptos_axum::redirect(&safe_next(next.as_deref()));
        Ok(())
    }
}

/// Where to go after sign-in: `next` when it is a page of this site (see
/// [`auth::local_path`]) other than the sign-in page itself; the overview otherwise.
#[cfg(feature = "ssr")]
fn safe_next(next: Option<&str>) -> String {
    next.and_then(auth::local_path)
        .filter(|path| !path.starts_with("/sign-in"))
        .unwrap_or_else(|| "/".to_string())
}

/// Ends the session (in the store and in the browser).
#[server(prefix = "/api", endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    super::respond(
        async move {
            let session = PortalSession::current().await?;
            // Staff viewing as the subscriber: the view ends properly (and is audited) first.
            if let Ok((portal, staff)) = crate::server::access::require_staff().await {
                crate::server::staff::impersonation::end(
                    &portal.pool,
                    &session,
                    staff.staff_id(),
                    crate::server::staff::impersonation::EndReason::SignedOut,
                )
                .await?;
                session.sign_out().await?;
                leptos_axum::redirect("/staff/sign-in?signed_out=1");
                return Ok(());
            }
            session.sign_out().await?;
            leptos_axum::redirect("/sign-in?signed_out=1");
            Ok(())
        }
        .await,
    )
}

/// Emails a single-use reset link when the identifier matches a login. The answer is the same
/// whether or not it does, so nobody can learn who has an account.
#[server(prefix = "/api", endpoint = "request-password-reset")]
pub async fn request_password_reset(identifier: String) -> Result<(), AppError> {
    super::respond(async move {
        let portal = portal()?;
        let identifier = identifier.trim().to_lowercase();
        if identifier.is_empty() {
            return Err(AppError::InvalidInput { field: "identifier".into(), message: "Enter your email or account number.".into() });
        }
        // The same throttle as sign-in keeps this from being used to flood a mailbox.
        // Every request counts as a failure: it is never "cleared".
        let login_key = auth::fingerprint(&format!("reset:{identifier}"));
        let address = client_address().await;
        let _counted = auth::begin_attempt(&portal.pool, &portal.config.throttle, &login_key, &address).await?;

        if let Some(login) = auth::find_login(&portal.pool, &identifier).await? {
            let (token, hash) = auth::new_reset_token();
            let ttl = portal.config.reset_link_ttl;
            let link = format!("{}/reset-password?token={token}", portal.config.public_url);
            // The login's language, else this browser's, in the account's region.
            let locale = match login.language.as_deref().and_then(crate::i18n::Lang::from_tag).or_else(crate::server::language::of_page) {
                Some(lang) => lang.in_locale(&login.account_locale),
                None => login.account_locale.clone(),
            };
            let email = mail::password_reset(&login.email, &login.first_name, &link, ttl.as_secs() / 60, &portal.config.provider_name, &locale, login.account_id)?;
            let mut tx = portal.pool.begin().await?;
            sqlx::query("insert into password_reset_tokens (token_hash, login_id, expires_at) values ($1, $2, now() + make_interval(secs => $3::float8))")
                .bind(hash)
                .bind(login.id)
                .bind(ttl.as_secs() as i64)
                .execute(&mut *tx)
                .await?;
            mail::enqueue(&mut tx, &email).await?;
            sqlx::query("insert into audit_log (actor_kind, actor_id, subject_account_id, action) values ('subscriber', $1, $2, 'password_reset_requested')")
                .bind(login.id)
                .bind(login.account_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(account_id = login.account_id, "password reset link queued");
        }
        Ok(())
    }
    .await)
}

/// Sets a new password from an emailed link. The link works once; every session of the
/// login ends.
#[server(prefix = "/api", endpoint = "reset-password")]
pub async fn reset_password(
    token: String,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    super::respond(async move {
        let portal = portal()?;
        auth::check_new_password(&password, &confirm)?;
        let hash = auth::reset_token_hash(&token);
        let new_hash = auth::hash_password(password).await?;

        let mut tx = portal.pool.begin().await?;
        let found: Option<(i64, i64)> = sqlx::query_as(
            "select t.login_id, l.account_id from password_reset_tokens t join portal_logins l on l.id = t.login_id
              where t.token_hash = $1 and t.used_at is null and t.expires_at > now() and l.disabled_at is null
              for update of t",
        )
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((login_id, account_id)) = found else {
            return Err(AppError::ResetLinkInvalid);
        };
        // Every session that began before this moment ends (see access::authorize).
        sqlx::query("update portal_logins set password_hash = $2, password_changed_at = clock_timestamp() where id = $1")
            .bind(login_id)
            .bind(&new_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("update password_reset_tokens set used_at = now() where login_id = $1 and used_at is null")
            .bind(login_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("insert into audit_log (actor_kind, actor_id, subject_account_id, action) values ('subscriber', $1, $2, 'password_reset')")
            .bind(login_id)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if let Ok(session) = PortalSession::current().await {
            session.sign_out().await?;
        }
        tracing::info!(account_id, "password reset");
        leptos_axum::redirect("/sign-in?reset=1");
        Ok(())
    }
    .await)
}

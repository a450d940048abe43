//! Who may see what. Every query that reads an account's data takes an [`AccountAccess`],
//! and the only way to get one is to prove, from the session, that the caller is signed in
//! as a subscriber of that account. Ids sent by the browser are then always looked up
//! *within* that account, so another account's id finds nothing.

use tower_sessions::Session;

use super::session::PortalSession;
use super::Portal;
use crate::error::AppError;

/// Proof that the caller may read one account's data as its subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountAccess {
    account_id: i64,
    login_id: i64,
}

impl AccountAccess {
    pub fn account_id(&self) -> i64 {
        self.account_id
    }

    pub fn login_id(&self) -> i64 {
        self.login_id
    }
}

/// Establishes the caller of a server function: the portal state and their account access.
///
/// While a page is rendered, the check the sign-in middleware made for that same request is
/// reused (it leaves its `AccountAccess` in the request's extensions); a server function
/// called from the browser always checks the session itself.
pub async fn require_subscriber() -> Result<(Portal, AccountAccess), AppError> {
    let portal = super::portal()?;
    let checked = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<AccountAccess>().copied());
    if let Some(access) = checked {
        return Ok((portal, access));
    }
    let session = PortalSession::current().await?;
    let access = authorize(&portal, &session.0).await?;
    Ok((portal, access))
}

/// The same check for plain axum handlers (downloads), given the request's session.
pub async fn authorize(portal: &Portal, session: &Session) -> Result<AccountAccess, AppError> {
    let session = PortalSession(session.clone());
    let Some(who) = session
        .signed_in(portal.config.session_absolute, portal.config.session_idle)
        .await?
    else {
        return Err(AppError::Unauthenticated);
    };
    // The login must still exist, be enabled, belong to the account, and not have changed
    // its password since this session began (a reset ends every other session).
    let still_valid: Option<bool> = sqlx::query_scalar(
        "select disabled_at is null and floor(extract(epoch from password_changed_at) * 1000)::bigint <= $3
           from portal_logins where id = $1 and account_id = $2",
    )
    .bind(who.login_id)
    .bind(who.account_id)
    .bind(who.signed_in_at_ms)
    .fetch_optional(&portal.pool)
    .await?;
    if still_valid != Some(true) {
        session.sign_out().await?;
        return Err(AppError::Unauthenticated);
    }
    tracing::Span::current().record("account_id", who.account_id);
    Ok(AccountAccess {
        account_id: who.account_id,
        login_id: who.login_id,
    })
}

#[cfg(test)]
impl AccountAccess {
    /// For database tests of the queries alone.
    pub fn for_tests(account_id: i64, login_id: i64) -> Self {
        AccountAccess {
            account_id,
            login_id,
        }
    }
}

//! Who may see what. Every query that reads an account's data takes an [`AccountAccess`],
//! every console query a [`StaffAccess`], and the only way to get either is from the session:
//!
//! - a subscriber signed in to their own account reads and changes it;
//! - a staff member viewing the account as its subscriber (see `staff::impersonation`) gets an
//!   [`AccountAccess`] marked [`Assist`]: read-only, except for the changes their role allows;
//! - a staff member signed in with both factors gets a [`StaffAccess`] with their role.
//!
//! Server functions say which they need: [`require_viewer`] (read), [`require_subscriber`]
//! (the subscriber themselves), [`require_acting`] (the subscriber, or a stronger staff role
//! acting for them) and [`require_staff`]. Ids sent by the browser are then always looked up
//! *within* the account the access names, so another account's id finds nothing.

use tower_sessions::Session;

use super::session::PortalSession;
use super::staff::{audit, Right, StaffAccess};
use super::Portal;
use crate::error::AppError;
use crate::types::staff::Role;

/// Proof that the caller may read one account's data: its subscriber, or staff viewing as them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountAccess {
    account_id: i64,
    login_id: i64,
    assisted: Option<Assist>,
}

/// A staff member viewing the account as its subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assist {
    pub staff_id: i64,
    pub support_session_id: i64,
    pub role: Role,
}

impl AccountAccess {
    pub fn account_id(&self) -> i64 {
        self.account_id
    }

    /// The subscriber's login (while staff view the account: its primary login).
    pub fn login_id(&self) -> i64 {
        self.login_id
    }

    /// Who is viewing on the subscriber's behalf, if it is not the subscriber.
    pub fn assisted(&self) -> Option<Assist> {
        self.assisted
    }
}

/// Establishes a caller who may read an account: the portal state and their access.
///
/// While a page is rendered, the check the sign-in middleware made for that same request is
/// reused (it leaves its `AccountAccess` in the request's extensions, and audits the page
/// view); a server function called from the browser checks the session itself, and its call
/// is audited when staff make it.
pub async fn require_viewer() -> Result<(Portal, AccountAccess), AppError> {
    let portal = super::portal()?;
    let checked = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<AccountAccess>().copied());
    if let Some(access) = checked {
        return Ok((portal, access));
    }
    let session = PortalSession::current().await?;
    let access = authorize(&portal, &session.0).await?;
    if let Some(assist) = access.assisted {
        let request = audit::RequestInfo::current();
        audit::staff_viewed(
            &portal.pool,
            &assist,
            access.account_id,
            &request.path,
            &request,
        )
        .await?;
    }
    Ok((portal, access))
}

/// The subscriber themselves: refused ([`AppError::ReadOnly`]) while staff view the account.
/// Changing the password or email, card details, and paying with a saved card need this.
pub async fn require_subscriber() -> Result<(Portal, AccountAccess), AppError> {
    let (portal, access) = require_viewer().await?;
    if access.assisted.is_some() {
        return Err(AppError::ReadOnly);
    }
    Ok((portal, access))
}

/// The subscriber, or a staff member viewing as them whose role may make changes for them
/// (plan changes, payments with a card the subscriber gives them). What is done is then
/// marked as assisted by the caller.
pub async fn require_acting() -> Result<(Portal, AccountAccess), AppError> {
    let (portal, access) = require_viewer().await?;
    if let Some(assist) = access.assisted {
        if !assist.role.has(Right::AssistedChanges) {
            return Err(AppError::ReadOnly);
        }
    }
    Ok((portal, access))
}

/// The same check for plain axum handlers (downloads, the page middleware), given the
/// request's session: a subscriber, or staff viewing as one.
pub async fn authorize(portal: &Portal, session: &Session) -> Result<AccountAccess, AppError> {
    let session = PortalSession(session.clone());
    if let Some(who) = session
        .signed_in(portal.config.session_absolute, portal.config.session_idle)
        .await?
    {
        // The login must still exist, be enabled, belong to the account, and not have
        // changed its password since this session began (a reset ends every other session).
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
        return Ok(AccountAccess {
            account_id: who.account_id,
            login_id: who.login_id,
            assisted: None,
        });
    }
    let Some(viewing) = session.viewing().await? else {
        return Err(AppError::Unauthenticated);
    };
    let staff = authorize_staff(portal, &session.0).await?;
    let assist = super::staff::impersonation::check(portal, &session, &staff, &viewing).await?;
    tracing::Span::current().record("account_id", viewing.account_id);
    Ok(AccountAccess {
        account_id: viewing.account_id,
        login_id: viewing.login_id,
        assisted: Some(assist),
    })
}

/// Establishes a staff caller with both factors given, and their role.
pub async fn require_staff() -> Result<(Portal, StaffAccess), AppError> {
    let portal = super::portal()?;
    let checked = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<StaffAccess>().cloned());
    if let Some(staff) = checked {
        return Ok((portal, staff));
    }
    let session = PortalSession::current().await?;
    let staff = authorize_staff(&portal, &session.0).await?;
    Ok((portal, staff))
}

/// The staff check for plain handlers and the middleware. The staff member must still be
/// enabled and must not have changed their password since signing in; their role is read
/// afresh, so a demotion takes effect at once.
pub async fn authorize_staff(portal: &Portal, session: &Session) -> Result<StaffAccess, AppError> {
    let session = PortalSession(session.clone());
    let Some(who) = session
        .staff(portal.config.session_absolute, portal.config.session_idle)
        .await?
    else {
        return Err(AppError::Unauthenticated);
    };
    let row: Option<(String, String)> = sqlx::query_as(
        "select role, display_name from staff_users
          where id = $1 and disabled_at is null
            and (totp_sealed is not null or totp_secret is not null)
            and floor(extract(epoch from password_changed_at) * 1000)::bigint <= $2",
    )
    .bind(who.staff_id)
    .bind(who.signed_in_at_ms)
    .fetch_optional(&portal.pool)
    .await?;
    let Some((role, name)) = row else {
        session.sign_out().await?;
        return Err(AppError::Unauthenticated);
    };
    let role = Role::parse(&role).ok_or_else(|| AppError::internal("staff role", role))?;
    tracing::Span::current().record("staff_id", who.staff_id);
    Ok(StaffAccess::new(who.staff_id, role, name))
}

impl AccountAccess {
    /// Staff reading one account's documents from the console (a statement's PDF), without
    /// viewing as the subscriber. Only for reads: every write asks for `require_subscriber`
    /// or `require_acting`, which this never comes from.
    pub fn for_console(staff: &StaffAccess, account_id: i64) -> Result<AccountAccess, AppError> {
        staff.require(Right::Support)?;
        Ok(AccountAccess {
            account_id,
            login_id: 0,
            assisted: None,
        })
    }
}

#[cfg(test)]
impl AccountAccess {
    /// For database tests of the queries alone.
    pub fn for_tests(account_id: i64, login_id: i64) -> Self {
        AccountAccess {
            account_id,
            login_id,
            assisted: None,
        }
    }
}

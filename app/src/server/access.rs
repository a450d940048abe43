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
use crate::i18n::Lang;
use crate::types::staff::{Role, StaffMe, ViewedBy};
use crate::types::Me;

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
    if let Some(access) = from_request::<AccountAccess>() {
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

/// The same check for plain axum handlers (downloads), given the request's session: a
/// subscriber, or staff viewing as one.
pub async fn authorize(portal: &Portal, session: &Session) -> Result<AccountAccess, AppError> {
    Ok(authorize_page(portal, session, None).await?.0)
}

/// The check the sign-in middleware makes for every portal page, with the facts the page's
/// frame shows (who, which account, the locale, the banner while staff view as the
/// subscriber). A subscriber's check and frame are one query; the frame then has nothing to
/// wait for, so the page below it is rendered, and its data loaded, once.
///
/// `browser` is the language the browser asks for ([`super::language::of_request`]); the
/// subscriber's own choice, if they made one, comes first (see [`crate::i18n`]).
pub async fn authorize_page(
    portal: &Portal,
    session: &Session,
    browser: Option<Lang>,
) -> Result<(AccountAccess, Me), AppError> {
    let session = PortalSession(session.clone());
    if let Some(who) = session
        .signed_in(portal.config.session_absolute, portal.config.session_idle)
        .await?
    {
        // The login must still exist, be enabled, belong to the account, and not have
        // changed its password since this session began (a reset ends every other session).
        let row = frame_row(portal, who.login_id, who.account_id, None).await?;
        let valid = row.as_ref().is_some_and(|r| {
            r.enabled
                && r.password_changed_at_ms
                    .is_some_and(|changed| changed <= who.signed_in_at_ms)
        });
        let (true, Some(row)) = (valid, row) else {
            session.sign_out().await?;
            return Err(AppError::Unauthenticated);
        };
        tracing::Span::current().record("account_id", who.account_id);
        let access = AccountAccess {
            account_id: who.account_id,
            login_id: who.login_id,
            assisted: None,
        };
        return Ok((access, row.into_me(None, browser)));
    }
    let Some(viewing) = session.viewing().await? else {
        return Err(AppError::Unauthenticated);
    };
    let staff = authorize_staff(portal, &session.0).await?;
    let assist = super::staff::impersonation::check(portal, &session, &staff, &viewing).await?;
    tracing::Span::current().record("account_id", viewing.account_id);
    let row = frame_row(
        portal,
        viewing.login_id,
        viewing.account_id,
        Some(assist.support_session_id),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let access = AccountAccess {
        account_id: viewing.account_id,
        login_id: viewing.login_id,
        assisted: Some(assist),
    };
    // Staff see the pages in the subscriber's language, not their own browser's.
    Ok((access, row.into_me(Some(&assist), None)))
}

/// What the page frame shows for a caller already checked.
pub async fn frame(portal: &Portal, access: &AccountAccess) -> Result<Me, AppError> {
    let assist = access.assisted;
    frame_row(
        portal,
        access.login_id,
        access.account_id,
        assist.map(|a| a.support_session_id),
    )
    .await?
    .map(|row| {
        let browser = assist.is_none().then(super::language::of_page).flatten();
        row.into_me(assist.as_ref(), browser)
    })
    .ok_or(AppError::NotFound)
}

/// A login, its account and person, and the support session being viewed through (if any):
/// what the access check needs and what the page frame shows.
#[derive(sqlx::FromRow)]
struct FrameRow {
    enabled: bool,
    password_changed_at_ms: Option<i64>,
    account_number: String,
    display_name: String,
    first_name: String,
    locale: String,
    /// The login's chosen language, if any.
    language: Option<String>,
    staff_name: Option<String>,
    reason: Option<String>,
    ticket_ref: Option<String>,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl FrameRow {
    fn into_me(self, assist: Option<&Assist>, browser: Option<Lang>) -> Me {
        let viewed_by = match (assist, self.staff_name, self.reason, self.expires_at) {
            (Some(assist), Some(staff_name), Some(reason), Some(expires_at)) => Some(ViewedBy {
                staff_name,
                reason,
                ticket_ref: self.ticket_ref,
                expires_at_ms: expires_at.timestamp_millis(),
                may_act: assist.role.has(Right::AssistedChanges),
            }),
            _ => None,
        };
        Me {
            account_number: self.account_number,
            display_name: self.display_name,
            first_name: self.first_name,
            locale: super::language::locale_for(&self.locale, self.language.as_deref(), browser),
            viewed_by,
        }
    }
}

async fn frame_row(
    portal: &Portal,
    login_id: i64,
    account_id: i64,
    support_session_id: Option<i64>,
) -> Result<Option<FrameRow>, AppError> {
    Ok(sqlx::query_as::<_, FrameRow>(
        "select l.disabled_at is null as enabled,
                floor(extract(epoch from l.password_changed_at) * 1000)::bigint as password_changed_at_ms,
                a.account_number, a.display_name, p.first_name, a.locale, l.language,
                u.display_name as staff_name, s.reason, s.ticket_ref, s.expires_at
           from portal_logins l
           join accounts a on a.id = l.account_id
           join people p on p.id = l.person_id
           left join support_sessions s on s.id = $3
           left join staff_users u on u.id = s.staff_user_id
          where l.id = $1 and l.account_id = $2",
    )
    .bind(login_id)
    .bind(account_id)
    .bind(support_session_id)
    .fetch_optional(&portal.pool)
    .await?)
}

/// Establishes a staff caller with both factors given, and their role.
pub async fn require_staff() -> Result<(Portal, StaffAccess), AppError> {
    let portal = super::portal()?;
    if let Some(staff) = from_request::<StaffAccess>() {
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
    Ok(authorize_staff_page(portal, session).await?.0)
}

/// The staff check the middleware makes for every console page, with what the console's
/// frame shows (name, role, the account being viewed as its subscriber), in one query.
pub async fn authorize_staff_page(
    portal: &Portal,
    session: &Session,
) -> Result<(StaffAccess, StaffMe), AppError> {
    let session = PortalSession(session.clone());
    let Some(who) = session
        .staff(portal.config.session_absolute, portal.config.session_idle)
        .await?
    else {
        return Err(AppError::Unauthenticated);
    };
    let viewing = session.viewing().await?.map(|v| v.account_id);
    let row: Option<(String, String, String, Option<String>)> = sqlx::query_as(
        "select u.role, u.display_name, u.email::text, a.account_number
           from staff_users u left join accounts a on a.id = $3
          where u.id = $1 and u.disabled_at is null
            and (u.totp_sealed is not null or u.totp_secret is not null)
            and floor(extract(epoch from u.password_changed_at) * 1000)::bigint <= $2",
    )
    .bind(who.staff_id)
    .bind(who.signed_in_at_ms)
    .bind(viewing)
    .fetch_optional(&portal.pool)
    .await?;
    let Some((role, name, email, viewing_number)) = row else {
        session.sign_out().await?;
        return Err(AppError::Unauthenticated);
    };
    let role = Role::parse(&role).ok_or_else(|| AppError::internal("staff role", role))?;
    tracing::Span::current().record("staff_id", who.staff_id);
    let me = StaffMe {
        name: name.clone(),
        email,
        role,
        viewing: viewing.zip(viewing_number),
    };
    Ok((StaffAccess::new(who.staff_id, role, name), me))
}

/// What the request being served carries in its extensions: for a page, what the sign-in
/// middleware established (the caller's access, the facts its frame shows). `None` outside a
/// request, or when nothing of that type was left there.
pub fn from_request<T: Clone + Send + Sync + 'static>() -> Option<T> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<T>().cloned())
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

impl AccountAccess {
    /// An integration's key reading one account's documents (`GET /api/v1/statements/{id}/pdf`):
    /// the API has checked the key's `read` scope and found the account. Only for reads, as
    /// [`AccountAccess::for_console`].
    pub fn for_api(account_id: i64) -> AccountAccess {
        AccountAccess {
            account_id,
            login_id: 0,
            assisted: None,
        }
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

//! The typed session: who signed in and when. The session id changes at sign-in and the
//! whole session is deleted at sign-out. Both limits are checked here on every read: the
//! absolute one from the sign-in time, the idle one from the last time the session was seen.
//! "Last seen" (and with it the store's expiry) is written at most once a minute, not on
//! every request: sessions are read far more often than they need to be written.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::error::AppError;

const SIGNED_IN: &str = "signed_in";
const STAFF: &str = "staff";
const STAFF_PENDING: &str = "staff_pending";
const LOGIN_PENDING: &str = "login_pending";
const VIEWING: &str = "viewing_as";

/// What the session remembers of a signed-in subscriber.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignedIn {
    pub login_id: i64,
    pub account_id: i64,
    /// Unix milliseconds (compared with the time the password last changed).
    pub signed_in_at_ms: i64,
    /// Unix milliseconds, to within a minute.
    pub last_seen_ms: i64,
}

/// A staff member signed in with both factors.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StaffSignedIn {
    pub staff_id: i64,
    /// Unix milliseconds (compared with the time the password last changed).
    pub signed_in_at_ms: i64,
    /// Unix milliseconds, to within a minute.
    pub last_seen_ms: i64,
}

/// A staff member whose password was right, until they give their second factor.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StaffPending {
    pub staff_id: i64,
    pub password_ok_at_ms: i64,
}

/// A subscriber whose password was right and who set up an authenticator app, until they
/// give its code (or a recovery code).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LoginPending {
    pub login_id: i64,
    pub account_id: i64,
    pub password_ok_at_ms: i64,
}

/// How long a staff member has to give their second factor after their password.
pub const SECOND_FACTOR_WINDOW_MS: i64 = 5 * 60 * 1000;

/// A staff member viewing an account as its subscriber (see `staff::impersonation`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ViewingAs {
    pub support_session_id: i64,
    pub account_id: i64,
    /// The account's primary login, whose view is shown.
    pub login_id: i64,
    pub expires_at_ms: i64,
}

/// A session that could not be read or written. Its store is the database, so a failure of
/// the store's backend is the database being unreachable (503, try again); anything else
/// (a value that does not decode) is a bug (500).
fn store_failed(context: &str, error: tower_sessions::session::Error) -> AppError {
    use tower_sessions::session::Error;
    use tower_sessions::session_store::Error as Store;
    match error {
        Error::Store(Store::Backend(cause)) => {
            tracing::warn!(error = %cause, "{context}: the session store (the database) failed");
            AppError::DatabaseDown
        }
        other => AppError::internal(context, other),
    }
}

/// A session of the portal.
#[derive(Clone, Debug)]
pub struct PortalSession(pub Session);

impl PortalSession {
    /// The session of the request being served.
    pub async fn current() -> Result<Self, AppError> {
        leptos_axum::extract::<Session>()
            .await
            .map(PortalSession)
            .map_err(|e| AppError::internal("session layer missing", e))
    }

    /// The signed-in subscriber, unless the session has passed its absolute or its idle limit
    /// (then it is ended here).
    pub async fn signed_in(
        &self,
        absolute_limit: Duration,
        idle_limit: Duration,
    ) -> Result<Option<SignedIn>, AppError> {
        let found: Option<SignedIn> = self
            .0
            .get(SIGNED_IN)
            .await
            .map_err(|e| store_failed("reading session", e))?;
        let Some(mut who) = found else {
            return Ok(None);
        };
        let now = chrono::Utc::now().timestamp_millis();
        let absolute = absolute_limit.as_millis() as i64;
        let idle = idle_limit.as_millis() as i64;
        if now - who.signed_in_at_ms > absolute || now - who.last_seen_ms > idle {
            self.sign_out().await?;
            return Ok(None);
        }
        // Saving the session also pushes back the store's own expiry.
        if now - who.last_seen_ms > (idle / 2).min(60_000) {
            who.last_seen_ms = now;
            self.0
                .insert(SIGNED_IN, who.clone())
                .await
                .map_err(|e| store_failed("writing session", e))?;
        }
        Ok(Some(who))
    }

    /// Starts a signed-in session under a new id (so a planted id is worth nothing).
    pub async fn sign_in(&self, who: SignedIn) -> Result<(), AppError> {
        // Whatever the browser was before (a staff member, say), it is now this subscriber only.
        self.0.clear().await;
        self.0
            .cycle_id()
            .await
            .map_err(|e| store_failed("cycling session id", e))?;
        self.0
            .insert(SIGNED_IN, who)
            .await
            .map_err(|e| store_failed("writing session", e))
    }

    /// The signed-in staff member, unless a limit has passed (then the session is ended).
    /// Staff sessions have the subscribers' limits.
    pub async fn staff(
        &self,
        absolute_limit: Duration,
        idle_limit: Duration,
    ) -> Result<Option<StaffSignedIn>, AppError> {
        let Some(mut who) = self.get::<StaffSignedIn>(STAFF).await? else {
            return Ok(None);
        };
        let now = chrono::Utc::now().timestamp_millis();
        let idle = idle_limit.as_millis() as i64;
        if now - who.signed_in_at_ms > absolute_limit.as_millis() as i64
            || now - who.last_seen_ms > idle
        {
            self.sign_out().await?;
            return Ok(None);
        }
        if now - who.last_seen_ms > (idle / 2).min(60_000) {
            who.last_seen_ms = now;
            self.put(STAFF, &who).await?;
        }
        Ok(Some(who))
    }

    /// A staff member half-way through signing in, if the window has not passed.
    pub async fn staff_pending(&self) -> Result<Option<StaffPending>, AppError> {
        let pending = self.get::<StaffPending>(STAFF_PENDING).await?;
        let now = chrono::Utc::now().timestamp_millis();
        Ok(pending.filter(|p| now - p.password_ok_at_ms <= SECOND_FACTOR_WINDOW_MS))
    }

    /// A subscriber half-way through signing in, if the window has not passed.
    pub async fn login_pending(&self) -> Result<Option<LoginPending>, AppError> {
        let pending = self.get::<LoginPending>(LOGIN_PENDING).await?;
        let now = chrono::Utc::now().timestamp_millis();
        Ok(pending.filter(|p| now - p.password_ok_at_ms <= SECOND_FACTOR_WINDOW_MS))
    }

    /// A subscriber's password was right and they use an authenticator: the session (under
    /// a new id, with nobody signed in) waits for its code.
    pub async fn login_password_ok(&self, login_id: i64, account_id: i64) -> Result<(), AppError> {
        self.0.clear().await;
        self.cycle().await?;
        let now = chrono::Utc::now().timestamp_millis();
        self.put(
            LOGIN_PENDING,
            &LoginPending {
                login_id,
                account_id,
                password_ok_at_ms: now,
            },
        )
        .await
    }

    /// The password was right: the session (under a new id, with nobody signed in) waits
    /// for the second factor.
    pub async fn staff_password_ok(&self, staff_id: i64) -> Result<(), AppError> {
        self.0.clear().await;
        self.cycle().await?;
        let now = chrono::Utc::now().timestamp_millis();
        self.put(
            STAFF_PENDING,
            &StaffPending {
                staff_id,
                password_ok_at_ms: now,
            },
        )
        .await
    }

    /// Both factors given: a staff session under a new id.
    pub async fn staff_sign_in(&self, who: StaffSignedIn) -> Result<(), AppError> {
        self.0.clear().await;
        self.cycle().await?;
        self.put(STAFF, &who).await
    }

    /// The account the staff member is viewing as its subscriber, if any.
    pub async fn viewing(&self) -> Result<Option<ViewingAs>, AppError> {
        self.get(VIEWING).await
    }

    /// Starts or ends viewing as a subscriber; either way the session id changes.
    pub async fn set_viewing(&self, viewing: Option<&ViewingAs>) -> Result<(), AppError> {
        self.cycle().await?;
        match viewing {
            Some(v) => self.put(VIEWING, v).await,
            None => {
                self.0
                    .remove_value(VIEWING)
                    .await
                    .map_err(|e| store_failed("writing session", e))?;
                Ok(())
            }
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, AppError> {
        self.0
            .get(key)
            .await
            .map_err(|e| store_failed("reading session", e))
    }

    async fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<(), AppError> {
        self.0
            .insert(key, value)
            .await
            .map_err(|e| store_failed("writing session", e))
    }

    async fn cycle(&self) -> Result<(), AppError> {
        self.0
            .cycle_id()
            .await
            .map_err(|e| store_failed("cycling session id", e))
    }

    /// Deletes the session, in the store and in the browser.
    pub async fn sign_out(&self) -> Result<(), AppError> {
        self.0
            .flush()
            .await
            .map_err(|e| store_failed("ending session", e))
    }
}

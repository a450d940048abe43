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
            .map_err(|e| AppError::internal("reading session", e))?;
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
                .map_err(|e| AppError::internal("writing session", e))?;
        }
        Ok(Some(who))
    }

    /// Starts a signed-in session under a new id (so a planted id is worth nothing).
    pub async fn sign_in(&self, who: SignedIn) -> Result<(), AppError> {
        self.0
            .cycle_id()
            .await
            .map_err(|e| AppError::internal("cycling session id", e))?;
        self.0
            .insert(SIGNED_IN, who)
            .await
            .map_err(|e| AppError::internal("writing session", e))
    }

    /// Deletes the session, in the store and in the browser.
    pub async fn sign_out(&self) -> Result<(), AppError> {
        self.0
            .flush()
            .await
            .map_err(|e| AppError::internal("ending session", e))
    }
}

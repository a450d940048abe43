//! The typed session: who signed in and when. The session id changes at sign-in and the
//! whole session is deleted at sign-out; idle expiry is the store's, the absolute limit is
//! checked here on every read.

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

    /// The signed-in subscriber, unless the session has passed its absolute limit (then it is
    /// ended here).
    pub async fn signed_in(
        &self,
        absolute_limit: std::time::Duration,
    ) -> Result<Option<SignedIn>, AppError> {
        let found: Option<SignedIn> = self
            .0
            .get(SIGNED_IN)
            .await
            .map_err(|e| AppError::internal("reading session", e))?;
        match found {
            Some(s)
                if chrono::Utc::now().timestamp_millis() - s.signed_in_at_ms
                    <= absolute_limit.as_millis() as i64 =>
            {
                Ok(Some(s))
            }
            Some(_) => {
                self.sign_out().await?;
                Ok(None)
            }
            None => Ok(None),
        }
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

//! Telling the NAS that holds a subscriber's session about a change (RFC 5176): a
//! CoA-Request with the new rate attributes, or a Disconnect-Request.
//!
//! The provisioning worker calls [`queue`] in the transaction that applies an outbox row.
//! This version records nothing yet: the sender (requests per open session found in
//! `radius.radacct` and `radius.nas`, sent after commit with retries) replaces it.

use sqlx::PgConnection;

use crate::error::EngineError;

/// A change to send to whatever session `username` has open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// The outbox row whose application caused it.
    pub outbox_id: i64,
    pub service_id: i64,
    /// The username the session was opened with.
    pub username: String,
    pub change: Change,
}

/// What the NAS is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A CoA-Request with these reply attributes (name, value), as in `radgroupreply`.
    Rate(Vec<(String, String)>),
    /// A Disconnect-Request: the subscriber reconnects and is authorised afresh.
    Disconnect,
}

/// Queues `req` in the caller's transaction (nothing yet; see the module documentation).
pub async fn queue(tx: &mut PgConnection, req: Queued) -> Result<(), EngineError> {
    let _ = (tx, req);
    Ok(())
}

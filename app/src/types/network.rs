//! What the browser receives of a service's network credentials: the connection's kind and
//! username (or IPoE identifier) on the pages; a password only from the calls that reveal,
//! reset or change it, each checked and audited.

use serde::{Deserialize, Serialize};

/// How a service's line signs in to the network, as the pages show it. Never the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub service_id: i64,
    /// `pppoe` (a username and password in the router) or `ipoe` (recognised by its line).
    pub kind: String,
    /// The PPPoE username, or the IPoE circuit id or MAC the network sends.
    pub username: String,
}

impl Connection {
    pub fn has_password(&self) -> bool {
        self.kind == "pppoe"
    }
}

/// A connection's password, shown once: revealed on request, just reset, or just chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionPassword {
    pub service_id: i64,
    pub username: String,
    pub password: String,
}

//! The console's view of the integration API's keys: never a token, except the one just
//! made or rotated, shown once.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// A key as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRow {
    pub id: i64,
    pub integration: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// The most one charge, credit or payment may be, as typed ("250.00"); none: no cap.
    pub money_limit: Option<String>,
    pub rate_per_minute: i32,
    /// In the provider's time zone.
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    /// The first characters of each token that works ("lmk_Xk3f9a2B").
    pub prefixes: Vec<String>,
}

/// A token just made or rotated, to show once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedApiKey {
    pub id: i64,
    pub token: String,
}

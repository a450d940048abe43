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

/// A webhook subscription as the console lists it, with its latest deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRow {
    pub id: i64,
    pub integration: String,
    pub url: String,
    pub event_types: Vec<String>,
    /// In the provider's time zone.
    pub created_at: NaiveDateTime,
    pub disabled_at: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
    /// Until when the previous secret still signs, after a rotation.
    pub previous_valid_until: Option<NaiveDateTime>,
    pub pending: i64,
    pub delivered: i64,
    pub failed: i64,
    /// The latest deliveries, newest first.
    pub deliveries: Vec<DeliveryRow>,
}

/// One delivery of an event to a subscription, with its last attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub event_type: String,
    /// The `webhook-id` the receiver deduplicates on.
    pub webhook_id: String,
    pub account_id: i64,
    pub seq: i64,
    /// `pending`, `delivered`, `failed` or `cancelled`.
    pub state: String,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_status: Option<i16>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i32>,
    pub last_excerpt: Option<String>,
    /// The delivery this one sends again.
    pub replay_of: Option<i64>,
}

/// A subscription's signing secret just made or rotated, to show once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedWebhookSecret {
    pub id: i64,
    pub secret: String,
}

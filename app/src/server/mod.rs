//! Server-only code behind the server functions. Nothing here is compiled into the browser.
//!
//! - [`access`]: who is calling and which account they may see (the capability every query needs);
//! - [`session`]: the typed session; [`auth`]: passwords, throttling, password reset;
//! - [`mail`]: emails, written to an outbox in the same transaction as what caused them;
//! - [`accounts`], [`usage`], [`statements`], [`history`]: the queries, one module per aggregate;
//! - [`network`]: a service's connection credentials: who may see and change them, audited.

pub mod access;
pub mod accounts;
pub mod auth;
pub mod client;
pub mod data_cap;
pub mod history;
pub mod language;
pub mod mail;
pub mod network;
pub mod payments;
pub mod plans;
pub mod second_factor;
pub mod session;
pub mod staff;
pub mod statements;
pub mod tickets;
pub mod usage;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;
use sqlx::PgPool;

use crate::error::AppError;

/// What the portal's server code needs, shared by every request.
#[derive(Clone, Debug)]
pub struct Portal {
    pub pool: PgPool,
    pub config: Arc<PortalConfig>,
    /// Card payments (`None` when Stripe is not configured).
    pub stripe: Option<Arc<engine::cards::Stripe>>,
}

/// Settings that shape the portal's behaviour (loaded by the server from its environment).
#[derive(Clone, Debug)]
pub struct PortalConfig {
    /// Where subscribers reach the portal, for links in emails (`https://portal.example.net`).
    pub public_url: String,
    /// A session unused for this long ends.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, however busy.
    pub session_absolute: Duration,
    /// How long an emailed password-reset link works.
    pub reset_link_ttl: Duration,
    pub throttle: auth::ThrottlePolicy,
    /// The provider's name, for emails and printed statements.
    pub provider_name: String,
    /// How long a staff member may view an account as its subscriber before it ends.
    pub support_view_ttl: Duration,
    /// The billing engine's settings (for "your next bill, so far").
    pub billing: engine::EngineConfig,
    /// The keys that seal staff TOTP secrets.
    pub totp_keys: Arc<staff::totp_keys::TotpKeys>,
}

impl PortalConfig {
    /// Defaults for tests and the demo.
    pub fn for_tests(public_url: &str) -> Self {
        PortalConfig {
            public_url: public_url.trim_end_matches('/').to_string(),
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            reset_link_ttl: Duration::from_secs(3600),
            throttle: auth::ThrottlePolicy::default(),
            provider_name: "Lastmile Broadband".into(),
            support_view_ttl: Duration::from_secs(30 * 60),
            billing: engine::EngineConfig::default(),
            totp_keys: Arc::new(staff::totp_keys::TotpKeys::for_tests()),
        }
    }
}

/// Counts the server functions run while one request is served, when the request carries
/// one in its extensions (the tests of what a page costs put it there). A page loads its data
/// once: a count above the page's own loaders means something renders it twice.
#[derive(Clone, Debug, Default)]
pub struct ServerCalls(Arc<AtomicU32>);

impl ServerCalls {
    pub fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The portal's shared state, from the Leptos context of a request.
pub fn portal() -> Result<Portal, AppError> {
    use_context::<Portal>()
        .ok_or_else(|| AppError::internal("portal state", "missing from context"))
}

/// Today's date in a time zone named by the account (UTC when the name is unknown).
pub fn today_in(time_zone: &str) -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&tz(time_zone))
        .date_naive()
}

/// The account's time zone.
pub fn tz(time_zone: &str) -> chrono_tz::Tz {
    time_zone.parse().unwrap_or(chrono_tz::UTC)
}

/// Percent-encodes text for a query string (paths keep their slashes).
pub fn encode_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

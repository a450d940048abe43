//! What the engine needs to know about the provider and how to pace itself.

use std::time::Duration;

use chrono_tz::Tz;

/// The engine's settings (the server fills them from its environment).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The provider's name, as emails sign off.
    pub provider_name: String,
    /// Where subscribers reach the portal, for links in emails (no trailing slash).
    pub public_url: String,
    /// The provider's time zone: bill runs and dunning happen on its calendar days.
    pub time_zone: Tz,
    /// Days from a postpaid statement's issue to its due date.
    pub payment_terms_days: u32,
    /// Accounts billed per transaction.
    pub batch_size: usize,
    /// Transactions running at once.
    pub workers: usize,
    /// A pause after each batch (zero in production; tests use it to stop a run part-way).
    pub pause_between_batches: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            provider_name: "Lastmile Broadband".to_string(),
            public_url: "http://127.0.0.1:3000".to_string(),
            time_zone: chrono_tz::America::Chicago,
            payment_terms_days: 21,
            batch_size: 500,
            workers: 2,
            pause_between_batches: Duration::ZERO,
        }
    }
}

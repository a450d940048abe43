//! Sends the integration API's webhooks from this server instance: every second it claims
//! the deliveries that are due (`engine::webhooks::claim`), posts each event signed per
//! Standard Webhooks with no transaction open, and records the attempt and what comes next
//! (`engine::webhooks::record`). Every instance may run it: claims are leased with SKIP
//! LOCKED, and a lease that outlives a crashed instance is taken over after a minute (the
//! event is then sent again: delivery is at least once, and receivers deduplicate on
//! `webhook-id`).
//!
//! Settings: `LASTMILE_WEBHOOKS=off` stops it; `LASTMILE_WEBHOOK_CONCURRENCY` (8) posts at
//! once; `LASTMILE_WEBHOOK_RETRY_SCHEDULE` replaces the default waits (`0,5s,5m,...`);
//! `LASTMILE_WEBHOOK_ALLOW_HTTP=1` lets administrators subscribe `http://` addresses
//! (tests, demos).

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::server::staff::totp_keys::TotpKeys;
use engine::webhooks::{self, Attempt, Claimed, Fate, Schedule};
use futures::StreamExt;
use sqlx::PgPool;

/// How often the instance looks for due deliveries.
pub const TICK: Duration = Duration::from_secs(1);
/// How long a receiver has to answer (and to accept the connection).
pub const TIMEOUT: Duration = Duration::from_secs(15);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

use app::server::staff::integrations::webhook_secret_context as context;
pub use app::server::staff::integrations::{
    webhook_sealer as sealer, webhooks_allow_http as allow_http,
};

/// The sender's settings.
#[derive(Debug, Clone)]
pub struct SenderSettings {
    pub concurrency: usize,
    pub schedule: Schedule,
}

impl SenderSettings {
    /// From `LASTMILE_WEBHOOK_*`.
    pub fn from_env() -> anyhow::Result<SenderSettings> {
        let concurrency = match std::env::var("LASTMILE_WEBHOOK_CONCURRENCY") {
            Ok(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=256).contains(n))
                .ok_or_else(|| {
                    anyhow::anyhow!("LASTMILE_WEBHOOK_CONCURRENCY must be 1 to 256, not {v:?}")
                })?,
            Err(_) => 8,
        };
        let schedule = match std::env::var("LASTMILE_WEBHOOK_RETRY_SCHEDULE") {
            Ok(v) => Schedule::parse(&v)
                .map_err(|e| anyhow::anyhow!("LASTMILE_WEBHOOK_RETRY_SCHEDULE: {e}"))?,
            Err(_) => Schedule::default(),
        };
        Ok(SenderSettings {
            concurrency,
            schedule,
        })
    }
}

/// Posts due deliveries.
pub struct Sender {
    pool: PgPool,
    keys: Arc<TotpKeys>,
    settings: SenderSettings,
    client: reqwest::Client,
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl Sender {
    pub fn new(
        pool: PgPool,
        keys: Arc<TotpKeys>,
        settings: SenderSettings,
    ) -> anyhow::Result<Sender> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // A redirect is an answer like any other (a failure): following it could send
            // subscribers' data somewhere nobody subscribed.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Lastmile-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Sender {
            pool,
            keys,
            settings,
            client,
        })
    }

    /// Claims what is due and sends it, `concurrency` at a time; records the round's
    /// attempts in one transaction; returns what became of them.
    pub async fn round(&self) -> Result<Round, engine::EngineError> {
        let claimed = webhooks::claim(&self.pool, (self.settings.concurrency * 16) as i64).await?;
        if claimed.is_empty() {
            return Ok(Round::default());
        }
        let done: Vec<(Claimed, Attempt)> = futures::stream::iter(claimed)
            .map(|c| async move {
                let attempt = self.send(&c).await;
                (c, attempt)
            })
            .buffer_unordered(self.settings.concurrency)
            .collect()
            .await;
        let fates = webhooks::record_all(&self.pool, &done, &self.settings.schedule).await?;
        let mut round = Round::default();
        for fate in fates {
            match fate {
                Fate::Delivered => round.delivered += 1,
                Fate::Retry => round.retrying += 1,
                Fate::Failed | Fate::Gone => round.failed += 1,
            }
        }
        Ok(round)
    }

    /// Posts one event; never fails: what went wrong is the attempt's record.
    async fn send(&self, c: &Claimed) -> Attempt {
        let started_at = chrono::Utc::now();
        let clock = Instant::now();
        let failed = |error: String| Attempt {
            started_at,
            duration: clock.elapsed(),
            status: None,
            error: Some(error),
            excerpt: None,
            retry_after: None,
        };
        let mut secrets = Vec::with_capacity(2);
        match self.keys.open_for(
            &context(c.subscription_id),
            &c.secret_key_id,
            &c.secret_sealed,
        ) {
            Ok(secret) => secrets.push(secret),
            Err(e) => {
                tracing::error!(subscription = c.subscription_id, error = %e, "a webhook secret cannot be opened");
                return failed(format!("the signing secret cannot be opened: {e}"));
            }
        }
        if let (Some(key_id), Some(sealed)) = (&c.previous_key_id, &c.previous_secret_sealed) {
            if let Ok(previous) = self
                .keys
                .open_for(&context(c.subscription_id), key_id, sealed)
            {
                secrets.push(previous);
            }
        }
        let id = c.webhook_id.clone();
        let timestamp = started_at.timestamp();
        let signature = webhooks::signature_header(&secrets, &id, timestamp, &c.body);
        let sent = self
            .client
            .post(&c.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(c.body.clone())
            .send()
            .await;
        let mut response = match sent {
            Ok(r) => r,
            Err(e) => {
                let why = if e.is_timeout() {
                    format!("no answer within {} s", TIMEOUT.as_secs())
                } else if e.is_connect() {
                    "the connection was refused or could not be made".to_string()
                } else {
                    format!("the request failed: {e}")
                };
                return failed(why);
            }
        };
        let status = response.status().as_u16();
        let retry_after = matches!(status, 429 | 502 | 503 | 504)
            .then(|| {
                response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs)
            })
            .flatten();
        // Only the start of the answer is kept; the rest is not read.
        let mut excerpt = Vec::new();
        while excerpt.len() < webhooks::EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                _ => break,
            }
        }
        excerpt.truncate(webhooks::EXCERPT_BYTES);
        let excerpt = String::from_utf8_lossy(&excerpt).into_owned();
        Attempt {
            started_at,
            duration: clock.elapsed(),
            status: Some(status),
            error: None,
            excerpt: (!excerpt.is_empty()).then_some(excerpt),
            retry_after,
        }
    }
}

/// Sends what is due every [`TICK`] until `shutdown` is cancelled.
pub async fn run(sender: Sender, shutdown: tokio_util::sync::CancellationToken) {
    loop {
        match sender.round().await {
            Ok(round) if round != Round::default() => {
                tracing::info!(?round, "webhooks sent");
                // More may be waiting behind what was just delivered: go on at once.
                if round.delivered > 0 {
                    continue;
                }
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "webhooks could not reach their outbox"),
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

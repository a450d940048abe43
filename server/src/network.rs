//! The network's background work in `lastmile serve`: every two seconds, the changes the
//! provisioning worker queued for subscribers already online are sent to their NAS
//! (`engine::network::coa`: CoA-Request or Disconnect-Request, retried, each outcome
//! recorded in `network_coa_requests`).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use engine::network::coa::{self, CoaSettings, Dictionary};
use sqlx::PgPool;

/// The sender's settings from the environment:
///
/// - `LASTMILE_COA_ATTEMPTS` (default 3, 1 to 10): packets per request before `timeout`;
/// - `LASTMILE_COA_TIMEOUT_MS` (default 1000, 50 to 30000): the first wait for an answer,
///   doubled for each retransmission;
/// - `LASTMILE_COA_BIND`: the local address requests leave from (the address the NASes
///   accept CoA from; default: the system's choice);
/// - `LASTMILE_RADIUS_DICTIONARIES`: FreeRADIUS dictionary files, separated by commas, for
///   vendor attributes beyond the built-in table (for example
///   `/usr/share/freeradius/dictionary.cisco`).
pub fn settings_from_env() -> anyhow::Result<CoaSettings> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let attempts = match var("LASTMILE_COA_ATTEMPTS") {
        None => 3,
        Some(v) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=10).contains(n))
            .ok_or_else(|| anyhow!("LASTMILE_COA_ATTEMPTS must be 1 to 10, got {v:?}"))?,
    };
    let timeout_ms = match var("LASTMILE_COA_TIMEOUT_MS") {
        None => 1000,
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (50..=30_000).contains(n))
            .ok_or_else(|| {
                anyhow!("LASTMILE_COA_TIMEOUT_MS must be 50 to 30000 milliseconds, got {v:?}")
            })?,
    };
    let bind = match var("LASTMILE_COA_BIND") {
        None => None,
        Some(v) => Some(
            v.trim()
                .parse::<IpAddr>()
                .with_context(|| format!("LASTMILE_COA_BIND must be an IP address, got {v:?}"))?,
        ),
    };
    let dictionary = match var("LASTMILE_RADIUS_DICTIONARIES") {
        None => Dictionary::built_in(),
        Some(v) => {
            let files: Vec<&str> = v
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .collect();
            Dictionary::with_files(&files)
                .map_err(|e| anyhow!("LASTMILE_RADIUS_DICTIONARIES: {e}"))?
        }
    };
    Ok(CoaSettings {
        attempts,
        timeout: Duration::from_millis(timeout_ms),
        bind,
        dictionary: Arc::new(dictionary),
        ..CoaSettings::default()
    })
}

/// Runs until `stop` is cancelled: sends pending changes every two seconds.
pub async fn run_background(
    pool: PgPool,
    settings: CoaSettings,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        match coa::run_once(&pool, &settings).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "network changes sent to online sessions"),
            Err(e) => tracing::warn!(error = %e, "sending network changes (CoA)"),
        }
    }
}

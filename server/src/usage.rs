//! The accounting loop: RADIUS accounting (the journal FreeRADIUS's writes to radacct
//! append to) read into usage every few seconds while the server runs, and the usage alerts
//! checked at once for the services whose usage grew. Several instances may run it; they
//! take turns (see engine::network::accounting). Once an hour it forgets the state of
//! sessions whose radacct rows the operator has deleted.

use std::time::Duration;

use engine::EngineConfig;
use sqlx::PgPool;

/// Runs until `stop` is cancelled: ingests accounting every `every`.
pub async fn run_background(
    pool: PgPool,
    config: EngineConfig,
    every: Duration,
    stop: tokio_util::sync::CancellationToken,
) {
    let tz = config.time_zone;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Sessions whose radacct rows the operator deleted are forgotten once an hour.
    let mut last_prune: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        if last_prune.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
            last_prune = Some(tokio::time::Instant::now());
            match engine::network::accounting::prune_sessions(&pool).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "accounting sessions forgotten"),
                Err(e) => tracing::warn!(error = %e, "forgetting accounting sessions"),
            }
        }
        match engine::network::accounting::ingest(&pool, tz).await {
            Ok(s) if s.snapshots > 0 || s.attributed_later > 0 => {
                tracing::info!(
                    snapshots = s.snapshots,
                    download_bytes = s.download_bytes,
                    upload_bytes = s.upload_bytes,
                    late = s.late,
                    backwards = s.backwards,
                    unknown_user = s.unknown_user,
                    attributed_later = s.attributed_later,
                    "accounting read into usage"
                );
                // A threshold crossed now is told now, not at the next hourly check.
                if !s.services.is_empty() {
                    if let Err(e) = engine::usage_alerts::check_thresholds(
                        &pool,
                        &config,
                        chrono::Utc::now(),
                        Some(&s.services),
                    )
                    .await
                    {
                        tracing::warn!(error = %e, "usage alerts after accounting");
                    }
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "accounting"),
        }
    }
}

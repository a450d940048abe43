//! The accounting loop: RADIUS accounting (the journal FreeRADIUS's writes to radacct
//! append to) read into usage every few seconds while the server runs. Several instances
//! may run it; they take turns (see engine::network::accounting).

use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;
use sqlx::PgPool;

/// Runs until `stop` is notified: ingests accounting every `every`.
pub async fn run_background(pool: PgPool, tz: Tz, every: Duration, stop: Arc<tokio::sync::Notify>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.notified() => return,
            _ = tick.tick() => {}
        }
        match engine::network::accounting::ingest(&pool, tz).await {
            Ok(s) if s.snapshots > 0 || s.attributed_later > 0 => tracing::info!(
                snapshots = s.snapshots,
                download_bytes = s.download_bytes,
                upload_bytes = s.upload_bytes,
                late = s.late,
                backwards = s.backwards,
                unknown_user = s.unknown_user,
                attributed_later = s.attributed_later,
                "accounting read into usage"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "accounting"),
        }
    }
}

//! Applies the provisioning outbox to FreeRADIUS's tables from this server instance
//! (`engine::network::provision`), every two seconds.
//!
//! Every instance may run it: rows are claimed with SKIP LOCKED and applied once. At
//! start-up it writes the plans' RADIUS groups from the network configuration
//! (`lastmile network sync-groups` does the same). Turned off with
//! `LASTMILE_PROVISIONING=off`.

use std::time::Duration;

use engine::network::{config, provision, NetworkConfig};
use sqlx::PgPool;

/// How often the instance looks for waiting rows.
pub const TICK: Duration = Duration::from_secs(2);

/// Syncs the groups, then applies what waits every [`TICK`] until `shutdown` is cancelled.
pub async fn run(
    pool: PgPool,
    network: NetworkConfig,
    shutdown: tokio_util::sync::CancellationToken,
) {
    match config::sync_groups(&pool, &network).await {
        Ok(report) if !report.written.is_empty() => {
            tracing::info!(groups = ?report.written, "RADIUS groups written")
        }
        Ok(_) => {}
        Err(error) => tracing::error!(%error, "could not write the RADIUS groups"),
    }
    loop {
        match provision::run(&pool, &network).await {
            Ok(report) => {
                if !report.applied.is_empty() {
                    tracing::info!(applied = report.applied.len(), "provisioned");
                }
                for failure in &report.failed {
                    tracing::warn!(outbox_id = failure.outbox_id, service_id = failure.service_id,
                                   error = %failure.error, "provisioning failed; will retry");
                }
            }
            Err(error) => tracing::error!(%error, "provisioning could not reach the outbox"),
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

//! Runs the engine's scheduled jobs (bill runs, dunning) from this server instance.
//!
//! Every instance runs this loop; the job table decides which instance does each job (see
//! `engine::jobs`). Turned off with `LASTMILE_SCHEDULER=off`, e.g. for instances that only
//! serve pages.

use std::time::Duration;

use engine::EngineConfig;
use sqlx::PgPool;

/// How often the instance looks for due jobs.
const TICK: Duration = Duration::from_secs(60);

/// Looks for due jobs every minute until `shutdown` is cancelled.
pub async fn run(
    pool: PgPool,
    config: EngineConfig,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        match engine::jobs::run_due(&pool, &config, chrono::Utc::now(), &shutdown).await {
            Ok(ran) => {
                for (job, outcome) in ran {
                    if outcome.as_ref().err() == Some(&engine::EngineError::Stopped.to_string()) {
                        tracing::info!(job = job.id, kind = %job.kind, date = %job.dedupe_key, "job handed back: this instance is stopping");
                        continue;
                    }
                    crate::metrics::job_finished(&job.kind, outcome.is_ok());
                    match outcome {
                        Ok(outcome) => {
                            tracing::info!(job = job.id, kind = %job.kind, date = %job.dedupe_key, ?outcome, "job done")
                        }
                        Err(error) => {
                            tracing::error!(job = job.id, kind = %job.kind, date = %job.dedupe_key, attempt = job.attempts, %error, "job failed")
                        }
                    }
                }
            }
            Err(error) => tracing::error!(%error, "scheduler could not reach the job table"),
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

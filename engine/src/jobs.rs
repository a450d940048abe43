//! Scheduled work in a PostgreSQL table, shared by every server instance.
//!
//! Each provider-local day gets one `bill_run` job (at 02:00) and one `dunning` job (at
//! 06:00, after the bill run); the `(kind, dedupe_key)` unique key makes scheduling
//! idempotent, so every instance may schedule. An instance claims a due job with
//! `FOR UPDATE SKIP LOCKED` and holds it under a lease (`locked_until`); a job whose
//! instance died is claimed again when the lease runs out. Running a job twice is harmless
//! by design: bill runs and dunning steps are each exactly-once in the database.
//! Days missed while no instance ran (up to a week) are scheduled too, oldest first.

use chrono::{DateTime, Days, DurationRound, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::bill_run::{self, RunOptions};
use crate::clock;
use crate::config::EngineConfig;
use crate::dunning;
use crate::error::EngineError;
use crate::usage_alerts;

/// How long a claimed job is an instance's before another may take it over. While the job
/// runs its instance renews the lease every [`RENEW_EVERY`], so only an instance that died
/// (or lost the database for that long) loses its job, however long the job runs.
const LEASE_MINUTES: i32 = 30;
/// How often a running job's lease is renewed: a third of the lease.
pub const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);
/// A job that failed this many times stops being retried (and is left for an operator).
const MAX_ATTEMPTS: i32 = 5;
/// How far back missed days are scheduled.
const CATCH_UP_DAYS: u64 = 7;

/// The kinds of job, with the provider-local time each runs at.
pub const DAILY: [(&str, u32); 2] = [("bill_run", 2), ("dunning", 6)];

/// Schedules the daily jobs from a week before `now`'s provider-local day up to that day.
/// Returns how many jobs were newly scheduled.
pub async fn schedule(
    pool: &PgPool,
    config: &EngineConfig,
    now: DateTime<Utc>,
) -> Result<u64, EngineError> {
    let today = clock::today(config.time_zone, now);
    let mut kinds = Vec::new();
    let mut keys = Vec::new();
    let mut payloads = Vec::new();
    let mut run_ats = Vec::new();
    for back in (0..=CATCH_UP_DAYS).rev() {
        let day = today - Days::new(back);
        for (kind, hour) in DAILY {
            kinds.push(kind.to_string());
            keys.push(day.to_string());
            payloads.push(serde_json::json!({ "date": day }));
            let time = NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default();
            run_ats.push(clock::at_local(config.time_zone, day, time));
        }
    }
    // Missed days are caught up only back to the first day this database was scheduled
    // at all (a new installation does not bill the week before it existed).
    let added = sqlx::query(
        "insert into jobs (kind, dedupe_key, payload, run_at)
         select kind, key, payload, run_at
           from unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[]) as t(kind, key, payload, run_at)
          where t.key::date = $5::date
             or t.key::date > (select min(dedupe_key)::date from jobs j where j.kind = t.kind)
         on conflict (kind, dedupe_key) do nothing",
    )
    .bind(&kinds)
    .bind(&keys)
    .bind(&payloads)
    .bind(&run_ats)
    .bind(today)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(added)
}

/// The job run every hour: usage alerts (`crate::usage_alerts`). Only the current hour is
/// scheduled (an hour missed is covered by the next one, which checks the same cycle).
pub const HOURLY: &str = "usage_alerts";

/// Schedules this hour's usage-alert check (keyed by the UTC hour, so once per hour
/// whatever the number of instances). Returns how many jobs were newly scheduled.
pub async fn schedule_hourly(pool: &PgPool, now: DateTime<Utc>) -> Result<u64, EngineError> {
    let hour = now
        .duration_trunc(chrono::TimeDelta::hours(1))
        .unwrap_or(now);
    Ok(sqlx::query(
        "insert into jobs (kind, dedupe_key, payload, run_at) values ($1, $2, '{}', $3)
         on conflict (kind, dedupe_key) do nothing",
    )
    .bind(HOURLY)
    .bind(hour.format("%Y-%m-%dT%H").to_string())
    .bind(hour)
    .execute(pool)
    .await?
    .rows_affected())
}

/// A claimed job.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    /// `jobs.id`.
    pub id: i64,
    /// `bill_run` or `dunning`.
    pub kind: String,
    /// The provider-local date it is for.
    pub dedupe_key: String,
    /// How many times it has been claimed, this time included.
    pub attempts: i32,
}

/// What running a job did.
#[derive(Debug, Clone, Serialize)]
pub enum Outcome {
    /// A bill run's summary.
    BillRun(bill_run::Summary),
    /// A dunning run's summary.
    Dunning(dunning::Summary),
    /// What a usage-alert check recorded and emailed.
    UsageAlerts(usage_alerts::AlertSummary),
}

/// Claims the oldest due job, if any, for this instance.
pub async fn claim(pool: &PgPool, now: DateTime<Utc>) -> Result<Option<Job>, EngineError> {
    Ok(sqlx::query_as(
        "update jobs set status = 'running', attempts = attempts + 1,
                         locked_until = $1 + make_interval(mins => $2)
          where id = (select id from jobs
                       where run_at <= $1
                         and (status = 'queued' or (status = 'running' and locked_until < $1))
                         and attempts < $3
                       order by run_at, id
                       for update skip locked
                       limit 1)
          returning id, kind, dedupe_key, attempts",
    )
    .bind(now)
    .bind(LEASE_MINUTES)
    .bind(MAX_ATTEMPTS)
    .fetch_optional(pool)
    .await?)
}

/// Runs one claimed job and records how it ended: done, or back in the queue (after a
/// pause that grows with each attempt) until it has failed `MAX_ATTEMPTS` times. A job
/// cut short by `stop` goes back in the queue at once, without counting the attempt, for
/// whichever instance looks next.
pub async fn execute(
    pool: &PgPool,
    config: &EngineConfig,
    job: &Job,
    stop: &CancellationToken,
) -> Result<Outcome, EngineError> {
    let result = holding_lease(pool, job.id, RENEW_EVERY, run_job(pool, config, job, stop)).await;
    match &result {
        Err(EngineError::Stopped) => {
            sqlx::query(
                "update jobs set status = 'queued', attempts = attempts - 1, run_at = now(),
                                 locked_until = null, last_error = $2
                  where id = $1 and status = 'running'",
            )
            .bind(job.id)
            .bind(EngineError::Stopped.to_string())
            .execute(pool)
            .await?;
        }
        Ok(_) => {
            sqlx::query(
                "update jobs set status = 'done', finished_at = now(), locked_until = null, last_error = null
                  where id = $1",
            )
            .bind(job.id)
            .execute(pool)
            .await?;
        }
        Err(e) => {
            sqlx::query(
                "update jobs set status = case when attempts >= $3 then 'failed' else 'queued' end,
                                 finished_at = case when attempts >= $3 then now() end,
                                 run_at = now() + make_interval(mins => 5 * attempts),
                                 locked_until = null, last_error = $2
                  where id = $1",
            )
            .bind(job.id)
            .bind(e.to_string())
            .bind(MAX_ATTEMPTS)
            .execute(pool)
            .await?;
        }
    }
    result
}

/// Runs `work` while renewing job `job_id`'s lease every `every` (to a full lease from the
/// database's clock), so that no other instance takes the job over while it is worked on.
/// A renewal that fails is logged and tried again at the next beat.
pub async fn holding_lease<T>(
    pool: &PgPool,
    job_id: i64,
    every: std::time::Duration,
    work: impl std::future::Future<Output = T>,
) -> T {
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tokio::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = beat.tick() => {
                let renewed = sqlx::query(
                    "update jobs set locked_until = greatest(locked_until, now() + make_interval(mins => $2))
                      where id = $1 and status = 'running'",
                )
                .bind(job_id)
                .bind(LEASE_MINUTES)
                .execute(pool)
                .await;
                if let Err(error) = renewed {
                    tracing::warn!(job = job_id, %error, "could not renew the job's lease");
                }
            }
        }
    }
}

async fn run_job(
    pool: &PgPool,
    config: &EngineConfig,
    job: &Job,
    stop: &CancellationToken,
) -> Result<Outcome, EngineError> {
    if job.kind == HOURLY {
        return Ok(Outcome::UsageAlerts(
            usage_alerts::check_thresholds(pool, config, Utc::now(), None).await?,
        ));
    }
    let date: NaiveDate = job
        .dedupe_key
        .parse()
        .map_err(|_| EngineError::Invalid(format!("job {} has no date", job.id)))?;
    match job.kind.as_str() {
        "bill_run" => {
            let summary = bill_run::run(
                pool,
                config,
                &RunOptions {
                    date,
                    dry_run: false,
                    account: None,
                    started_by: format!("scheduler (job {})", job.id),
                    stop: stop.clone(),
                },
                None,
            )
            .await?;
            // Autopay follows the bill run. It charges each statement once, so a retried
            // job charges only what is still due; statements it could not reach Stripe
            // for are tried again by the next day's run.
            if let Some(stripe) = &config.stripe {
                let charged =
                    crate::cards::autopay::run(pool, stripe, config, date, None, stop).await?;
                tracing::info!(?charged, %date, "autopay after the bill run");
            }
            // Then the accounts asked to close whose business is settled (the final
            // statement issued, and paid, perhaps by that autopay).
            let closed = crate::accounts::close_settled(pool).await?;
            if !closed.is_empty() {
                tracing::info!(?closed, %date, "accounts closed after the bill run");
            }
            // Accounts that failed keep the job failing (and retried, then left 'failed'
            // for an operator) while everyone else is billed.
            if summary.failed.is_empty() {
                Ok(Outcome::BillRun(summary))
            } else {
                Err(EngineError::Invalid(bill_run::failures_text(
                    &summary.failed,
                )))
            }
        }
        "dunning" => Ok(Outcome::Dunning(dunning::run(pool, config, date).await?)),
        other => Err(EngineError::Invalid(format!("unknown job kind {other:?}"))),
    }
}

/// Schedules, then runs every job that is due, one after another, until `stop` is
/// cancelled. Returns what ran.
pub async fn run_due(
    pool: &PgPool,
    config: &EngineConfig,
    now: DateTime<Utc>,
    stop: &CancellationToken,
) -> Result<Vec<(Job, Result<Outcome, String>)>, EngineError> {
    schedule(pool, config, now).await?;
    schedule_hourly(pool, now).await?;
    let mut ran = Vec::new();
    while !stop.is_cancelled() {
        let Some(job) = claim(pool, now).await? else {
            break;
        };
        let outcome = execute(pool, config, &job, stop)
            .await
            .map_err(|e| e.to_string());
        ran.push((job, outcome));
    }
    Ok(ran)
}

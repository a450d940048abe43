//! Reconciliation in the console (billing staff and administrators, [`Right::Reconcile`]):
//! the runs `lastmile reconcile` kept (engine/src/reconcile.rs), one run's mismatches with
//! their evidence, each resolved with a note (audited in the same transaction), and a run
//! as CSV.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::audit::{self, Entry, RequestInfo};
use super::{Right, StaffAccess};
use crate::error::AppError;
use crate::server::Portal;
use crate::types::reconciliation::{MismatchRow, ReconciliationPage, RunRow};

#[derive(sqlx::FromRow)]
struct Run {
    id: i64,
    period_start: NaiveDate,
    period_end: NaiveDate,
    upstream_file: Option<String>,
    started_at: DateTime<Utc>,
    mismatches: i64,
    open: i64,
}

#[derive(sqlx::FromRow)]
struct Mismatch {
    id: i64,
    kind: String,
    account_id: Option<i64>,
    account_number: Option<String>,
    service_id: Option<i64>,
    upstream_ref: Option<String>,
    evidence: String,
    resolution_note: Option<String>,
    resolved_by: Option<String>,
    resolved_at: Option<DateTime<Utc>>,
}

const RUNS: &str = "select r.id, r.period_start, r.period_end, r.upstream_file, r.started_at,
            count(m.id) as mismatches, count(m.id) filter (where m.resolved_at is null) as open
       from reconciliation_runs r left join reconciliation_mismatches m on m.run_id = r.id";

const MISMATCHES: &str = "select m.id, m.kind, m.account_id, a.account_number, m.service_id,
            m.upstream_ref, m.evidence, m.resolution_note, u.display_name as resolved_by, m.resolved_at
       from reconciliation_mismatches m
       left join accounts a on a.id = m.account_id
       left join staff_users u on u.id = m.resolved_by
      where m.run_id = $1
      order by m.id";

/// The latest 24 runs, and the mismatches of `run` (else the latest).
pub async fn page(
    portal: &Portal,
    staff: &StaffAccess,
    run: Option<i64>,
) -> Result<ReconciliationPage, AppError> {
    staff.require(Right::Reconcile)?;
    let tz = portal.config.billing.time_zone;
    let runs: Vec<Run> =
        sqlx::query_as(&format!("{RUNS} group by r.id order by r.id desc limit 24"))
            .fetch_all(&portal.pool)
            .await?;
    let row = |r: &Run| RunRow {
        id: r.id,
        period_start: r.period_start,
        period_last: r.period_end.pred_opt().unwrap_or(r.period_end),
        upstream_file: r.upstream_file.clone(),
        started_at: r.started_at.with_timezone(&tz).naive_local(),
        mismatches: r.mismatches,
        open: r.open,
    };
    let chosen = match run {
        None => runs.first().map(row),
        Some(id) => match runs.iter().find(|r| r.id == id) {
            Some(r) => Some(row(r)),
            None => sqlx::query_as::<_, Run>(&format!("{RUNS} where r.id = $1 group by r.id"))
                .bind(id)
                .fetch_optional(&portal.pool)
                .await?
                .map(|r| row(&r)),
        },
    };
    if run.is_some() && chosen.is_none() {
        return Err(AppError::NotFound);
    }
    let mismatches = match &chosen {
        None => Vec::new(),
        Some(r) => sqlx::query_as::<_, Mismatch>(MISMATCHES)
            .bind(r.id)
            .fetch_all(&portal.pool)
            .await?
            .into_iter()
            .map(|m| MismatchRow {
                id: m.id,
                kind: m.kind,
                account_id: m.account_id,
                account_number: m.account_number,
                service_id: m.service_id,
                upstream_ref: m.upstream_ref,
                evidence: m.evidence,
                resolved: match (m.resolution_note, m.resolved_by, m.resolved_at) {
                    (Some(note), Some(by), Some(at)) => {
                        Some((note, by, at.with_timezone(&tz).naive_local()))
                    }
                    _ => None,
                },
            })
            .collect(),
    };
    Ok(ReconciliationPage {
        runs: runs.iter().map(row).collect(),
        run: chosen,
        mismatches,
    })
}

/// Marks a mismatch resolved with a note, once; returns its run (to go back to).
pub async fn resolve(
    portal: &Portal,
    staff: &StaffAccess,
    mismatch_id: i64,
    note: &str,
) -> Result<i64, AppError> {
    staff.require(Right::Reconcile)?;
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 2000 {
        return Err(AppError::InvalidInput {
            field: "note".into(),
            message: "Say what was found and done, in at most 2,000 characters.".into(),
        });
    }
    let mut tx = portal.pool.begin().await?;
    let found: Option<(i64, Option<i64>, bool)> = sqlx::query_as(
        "select run_id, account_id, resolved_at is not null from reconciliation_mismatches
          where id = $1 for update",
    )
    .bind(mismatch_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((run_id, account_id, resolved)) = found else {
        return Err(AppError::NotFound);
    };
    if resolved {
        return Err(AppError::InvalidInput {
            field: "note".into(),
            message: "This mismatch was resolved already.".into(),
        });
    }
    sqlx::query(
        "update reconciliation_mismatches
            set resolved_at = now(), resolved_by = $2, resolution_note = $3
          where id = $1",
    )
    .bind(mismatch_id)
    .bind(staff.staff_id())
    .bind(note)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Entry::staff(
            staff.staff_id(),
            account_id,
            "reconciliation.resolved",
            json!({ "mismatch_id": mismatch_id, "run_id": run_id, "note": note }),
        ),
        &RequestInfo::current(),
    )
    .await?;
    tx.commit().await?;
    Ok(run_id)
}

/// A run's mismatches as CSV (RFC 4180: every field quoted, quotes doubled).
pub async fn csv(
    pool: &sqlx::PgPool,
    staff: &StaffAccess,
    run_id: i64,
) -> Result<(String, String), AppError> {
    staff.require(Right::Reconcile)?;
    let run: Option<(NaiveDate, NaiveDate)> =
        sqlx::query_as("select period_start, period_end from reconciliation_runs where id = $1")
            .bind(run_id)
            .fetch_optional(pool)
            .await?;
    let Some((start, _)) = run else {
        return Err(AppError::NotFound);
    };
    let rows: Vec<Mismatch> = sqlx::query_as(MISMATCHES)
        .bind(run_id)
        .fetch_all(pool)
        .await?;
    let field = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
    let mut out = String::from(
        "mismatch,kind,account_number,service_id,circuit,evidence,resolved_at,resolved_by,note\r\n",
    );
    for m in rows {
        let cells = [
            m.id.to_string(),
            m.kind,
            m.account_number.unwrap_or_default(),
            m.service_id.map(|s| s.to_string()).unwrap_or_default(),
            m.upstream_ref.unwrap_or_default(),
            m.evidence,
            m.resolved_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            m.resolved_by.unwrap_or_default(),
            m.resolution_note.unwrap_or_default(),
        ];
        out += &cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
        out += "\r\n";
    }
    Ok((
        format!("reconciliation-{run_id}-{}.csv", start.format("%Y-%m")),
        out,
    ))
}

//! The subscriber's timeline of service events, newest first, in pages.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::access::AccountAccess;
use super::accounts::basics;
use crate::error::AppError;
use crate::types::{HistoryEvent, HistoryPage, EVENT_KINDS};

const PAGE_SIZE: i64 = 50;

/// A page of events, optionally of one kind, older than the event `before`.
pub async fn page(
    pool: &PgPool,
    access: &AccountAccess,
    kind: Option<&str>,
    before: Option<i64>,
) -> Result<HistoryPage, AppError> {
    if let Some(kind) = kind {
        if !EVENT_KINDS.contains(&kind) {
            return Err(AppError::InvalidInput {
                field: "kind".into(),
                message: "Unknown kind of event.".into(),
            });
        }
    }
    let account = basics(pool, access).await?;
    let tz = super::tz(&account.time_zone);
    let rows: Vec<(i64, String, String, DateTime<Utc>)> = sqlx::query_as(
        "select e.id, e.kind, e.summary, e.occurred_at
           from service_events e
          where e.account_id = $1
            and ($2::text is null or e.kind = $2)
            and ($3::bigint is null or (e.occurred_at, e.id) <
                 (select occurred_at, id from service_events where id = $3 and account_id = $1))
          order by e.occurred_at desc, e.id desc
          limit $4",
    )
    .bind(access.account_id())
    .bind(kind)
    .bind(before)
    .bind(PAGE_SIZE + 1)
    .fetch_all(pool)
    .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    let events: Vec<HistoryEvent> = rows
        .into_iter()
        .take(PAGE_SIZE as usize)
        .map(|(id, kind, summary, at)| HistoryEvent {
            id,
            kind,
            summary,
            occurred_at: at.with_timezone(&tz).naive_local(),
        })
        .collect();
    let next_before = if more {
        events.last().map(|e| e.id)
    } else {
        None
    };
    Ok(HistoryPage {
        events,
        next_before,
    })
}

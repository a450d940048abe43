//! The audit log: who did what to which account, in which support session. The table is
//! append-only in the database itself (triggers refuse updates, deletes and truncation), so
//! no code path, ours or another system's, can rewrite what happened.

use serde_json::{json, Value};
use sqlx::{PgExecutor, PgPool};

use crate::error::AppError;
use crate::server::access::Assist;

/// Where a request came from, for the log.
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub path: String,
}

impl RequestInfo {
    /// Of the request being served (empty outside one).
    pub fn current() -> RequestInfo {
        leptos::prelude::use_context::<http::request::Parts>()
            .map(|parts| RequestInfo::of(&parts.headers, &parts.extensions, parts.uri.path()))
            .unwrap_or_default()
    }

    /// From a request's headers and extensions (the middleware has no Leptos context).
    pub fn of(headers: &http::HeaderMap, extensions: &http::Extensions, path: &str) -> RequestInfo {
        let ip = extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip().to_string());
        let request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        RequestInfo {
            ip,
            request_id,
            path: path.to_string(),
        }
    }
}

/// Who acted.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    Subscriber { login_id: i64 },
    Staff { staff_id: i64 },
}

/// One entry.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub actor: Actor,
    pub subject_account_id: Option<i64>,
    pub action: &'a str,
    pub detail: Value,
    pub support_session_id: Option<i64>,
}

/// Appends an entry (inside the caller's transaction when given one).
pub async fn record<'c>(
    db: impl PgExecutor<'c>,
    entry: Entry<'_>,
    request: &RequestInfo,
) -> Result<(), AppError> {
    let (kind, actor_id) = match entry.actor {
        Actor::Subscriber { login_id } => ("subscriber", login_id),
        Actor::Staff { staff_id } => ("staff", staff_id),
    };
    sqlx::query(
        "insert into audit_log (actor_kind, actor_id, subject_account_id, action, detail,
                                support_session_id, ip, request_id)
         values ($1, $2, $3, $4, $5, $6, $7::inet, $8)",
    )
    .bind(kind)
    .bind(actor_id)
    .bind(entry.subject_account_id)
    .bind(entry.action)
    .bind(entry.detail)
    .bind(entry.support_session_id)
    .bind(request.ip.as_deref())
    .bind(request.request_id.as_deref())
    .execute(db)
    .await?;
    Ok(())
}

/// Staff opened something of an account in the console (`action`, e.g.
/// `console.account_viewed`, `console.ticket_viewed`): written once per request.
///
/// Rendering a page may call its server functions more than once (Leptos walks a suspended
/// view again to find every resource, and each walk of the console's frame makes the page
/// anew), sometimes at the same moment. Those calls share the request's id: the first takes a
/// lock on it for its transaction, the others wait, see its entry and add none.
pub async fn staff_opened(
    pool: &PgPool,
    staff_id: i64,
    account_id: i64,
    action: &str,
    detail: Value,
    request: &RequestInfo,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    if let Some(request_id) = &request.request_id {
        sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(request_id)
            .execute(&mut *tx)
            .await?;
        let recorded: bool = sqlx::query_scalar(
            "select exists (select 1 from audit_log
                             where subject_account_id = $1 and occurred_at > now() - interval '1 hour'
                               and request_id = $2 and action = $3)",
        )
        .bind(account_id)
        .bind(request_id)
        .bind(action)
        .fetch_one(&mut *tx)
        .await?;
        if recorded {
            return Ok(());
        }
    }
    record(
        &mut *tx,
        Entry {
            actor: Actor::Staff { staff_id },
            subject_account_id: Some(account_id),
            action,
            detail,
            support_session_id: None,
        },
        request,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A page or a piece of data viewed by staff while viewing as the subscriber.
pub async fn staff_viewed<'c>(
    db: impl PgExecutor<'c>,
    assist: &Assist,
    account_id: i64,
    what: &str,
    request: &RequestInfo,
) -> Result<(), AppError> {
    record(
        db,
        Entry {
            actor: Actor::Staff {
                staff_id: assist.staff_id,
            },
            subject_account_id: Some(account_id),
            action: "support.viewed",
            detail: json!({ "path": what }),
            support_session_id: Some(assist.support_session_id),
        },
        request,
    )
    .await
}

/// An action taken for the subscriber by staff viewing as them.
pub async fn assisted_action<'c>(
    db: impl PgExecutor<'c>,
    assist: &Assist,
    account_id: i64,
    action: &str,
    detail: Value,
) -> Result<(), AppError> {
    record(
        db,
        Entry {
            actor: Actor::Staff {
                staff_id: assist.staff_id,
            },
            subject_account_id: Some(account_id),
            action,
            detail,
            support_session_id: Some(assist.support_session_id),
        },
        &RequestInfo::current(),
    )
    .await
}

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
    /// The server's id of the request (`x-request-id`, generated for every request).
    pub request_id: Option<String>,
    /// The `X-Request-Id` the client sent, if any: kept apart, since the client chose it.
    pub client_request_id: Option<String>,
    pub path: String,
}

/// The `X-Request-Id` a client sent, taken off the request before the server sets its own
/// (`server/src/http.rs`), so that ids in the log are never chosen by a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequestId(String);

impl ClientRequestId {
    /// At most 100 characters of what was sent (a header value is printable ASCII already).
    pub fn new(sent: &str) -> Option<ClientRequestId> {
        let kept: String = sent.trim().chars().take(100).collect();
        (!kept.is_empty()).then_some(ClientRequestId(kept))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
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
        let ip = crate::server::client::ClientAddress::of(extensions).map(|ip| ip.to_string());
        let request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let client_request_id = extensions
            .get::<ClientRequestId>()
            .map(|id| id.as_str().to_string());
        RequestInfo {
            ip,
            request_id,
            client_request_id,
            path: path.to_string(),
        }
    }
}

/// Who acted.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    Subscriber {
        login_id: i64,
    },
    Staff {
        staff_id: i64,
    },
    /// A call of the integration API, made with this key (`api_keys.id`).
    ApiKey {
        key_id: i64,
    },
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

impl<'a> Entry<'a> {
    /// What a staff member did in the console (not while viewing as a subscriber), about
    /// an account or about none.
    pub fn staff(
        staff_id: i64,
        subject_account_id: Option<i64>,
        action: &'a str,
        detail: Value,
    ) -> Entry<'a> {
        Entry {
            actor: Actor::Staff { staff_id },
            subject_account_id,
            action,
            detail,
            support_session_id: None,
        }
    }
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
        Actor::ApiKey { key_id } => ("api_key", key_id),
    };
    sqlx::query(
        "insert into audit_log (actor_kind, actor_id, subject_account_id, action, detail,
                                support_session_id, ip, request_id, client_request_id)
         values ($1, $2, $3, $4, $5, $6, $7::inet, $8, $9)",
    )
    .bind(kind)
    .bind(actor_id)
    .bind(entry.subject_account_id)
    .bind(entry.action)
    .bind(entry.detail)
    .bind(entry.support_session_id)
    .bind(request.ip.as_deref())
    .bind(request.request_id.as_deref())
    .bind(request.client_request_id.as_deref())
    .execute(db)
    .await?;
    Ok(())
}

/// Staff opened something of an account in the console (`action`, e.g.
/// `console.account_viewed`, `console.ticket_viewed`). A console page loads its data once, so
/// a page view writes one entry.
pub async fn staff_opened(
    pool: &PgPool,
    staff_id: i64,
    account_id: i64,
    action: &str,
    detail: Value,
    request: &RequestInfo,
) -> Result<(), AppError> {
    record(
        pool,
        Entry {
            actor: Actor::Staff { staff_id },
            subject_account_id: Some(account_id),
            action,
            detail,
            support_session_id: None,
        },
        request,
    )
    .await
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

//! The integration API, `/api/v1`: what the provider's other systems (its CRM, its old
//! billing system) call to read and change accounts, and how they hear back (issue 13; the
//! design is `docs/design/integration-api.md`).
//!
//! The API is an adapter: each handler proves the caller ([`auth`]), checks the key's
//! scope, and calls the same engine functions as the portal and console; no billing rule is
//! written here. Errors are RFC 9457 problems ([`problem`]). The OpenAPI 3.1 document is
//! generated from the handlers themselves (utoipa), served at `/api/v1/openapi.json`,
//! rendered for people at `/api/v1/docs` ([`docs`]), and committed as
//! `docs/api/openapi.json` (a test fails when the two differ; `lastmile api openapi`
//! writes it).
//!
//! The API sits outside the portal's session, sign-in and same-site layers: a key is its
//! only credential, and a session cookie counts for nothing here.

pub mod accounts;
pub mod addresses;
pub mod adjustments;
pub mod auth;
pub mod balances;
pub mod docs;
pub mod extract;
pub mod idempotency;
pub mod pagination;
pub mod payments;
pub mod people;
pub mod plans;
pub mod problem;
pub mod services;
pub mod statements;
pub mod tickets;
pub mod usage;

use std::sync::LazyLock;

use axum::extract::OriginalUri;
use axum::http::header;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::AppState;
use app::server::Portal;
use problem::{Code, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Lastmile integration API",
        version = "1",
        description = "How a provider's other systems read and change Lastmile's accounts, services and money. \
Authenticate with an API key (`Authorization: Bearer lmk_…`); each key has scopes (`read`, `write:accounts`, \
`write:money`) and a budget of requests per minute, reported in the `RateLimit` headers. Errors are \
`application/problem+json` (RFC 9457) with a stable `code`.",
        license(name = "Proprietary", identifier = "LicenseRef-Proprietary")
    ),
    servers((url = "/api/v1")),
    modifiers(&ApiKeyScheme),
    tags(
        (name = "accounts", description = "Accounts, their people and service addresses"),
        (name = "money", description = "Payments, charges and credits"),
        (name = "plans", description = "The plan catalogue"),
        (name = "services", description = "Services: one connection each, on a plan"),
        (name = "statements", description = "Statements as issued, with their lines and PDF"),
        (name = "tickets", description = "Support tickets"),
        (name = "usage", description = "Usage from systems other than RADIUS accounting"),
    ),
    components(schemas(problem::Problem))
)]
struct ApiDoc;

/// The bearer scheme every keyed operation names.
struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("lmk_ followed by 40 letters and digits")
                    .description(Some(
                        "An API key, made by an administrator in the console or with `lastmile api-key create`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every keyed operation, with its documentation: one list, so nothing is served
/// undocumented.
fn operations() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(plans::list))
        .routes(routes!(accounts::list, accounts::create))
        .routes(routes!(accounts::get, accounts::update, accounts::delete))
        .routes(routes!(people::add))
        .routes(routes!(people::update, people::remove))
        .routes(routes!(addresses::add))
        .routes(routes!(addresses::update))
        .routes(routes!(balances::get))
        .routes(routes!(statements::list))
        .routes(routes!(statements::get))
        .routes(routes!(statements::pdf))
        .routes(routes!(tickets::list, tickets::open))
        .routes(routes!(tickets::get))
        .routes(routes!(services::list))
        .routes(routes!(services::get))
        .routes(routes!(services::activate))
        .routes(routes!(services::suspend))
        .routes(routes!(services::resume))
        .routes(routes!(services::cancel))
        .routes(routes!(services::change_plan))
        .routes(routes!(payments::record))
        .routes(routes!(payments::refund))
        .routes(routes!(adjustments::charge))
        .routes(routes!(adjustments::credit))
        .routes(routes!(usage::add))
}

/// The OpenAPI document (built once).
pub fn document() -> &'static Document {
    static DOCUMENT: LazyLock<Document> = LazyLock::new(|| operations().split_for_parts().1);
    &DOCUMENT
}

/// The document as served and committed: pretty JSON with a final new line.
pub fn document_json() -> &'static str {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        let mut text = serde_json::to_string_pretty(document()).unwrap_or_default();
        text.push('\n');
        text
    });
    &JSON
}

/// The API's router, to be nested at `/api/v1`.
pub fn router(portal: Portal) -> Router<AppState> {
    let (keyed, _) = operations().split_for_parts();
    keyed
        .route_layer(middleware::from_fn_with_state(portal, auth::authenticate))
        .layer(axum::extract::DefaultBodyLimit::max(
            extract::MAX_BODY_BYTES,
        ))
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs::page))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn openapi_json() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        document_json(),
    )
        .into_response()
}

async fn not_found(OriginalUri(uri): OriginalUri) -> Problem {
    Problem::new(
        Code::NotFound,
        format!("There is no operation at {}; see /api/v1/docs.", uri.path()),
    )
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        Code::MethodNotAllowed,
        "This path does not take that method; see /api/v1/docs.",
    )
}

/// A connection from the pool, for a read of several statements.
pub async fn connection(
    pool: &sqlx::PgPool,
) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, Problem> {
    pool.acquire().await.map_err(|e| Problem::from_database(&e))
}

/// 404 unless an account has this id (a list of its things is empty for an account, and
/// not found for none).
pub async fn account_exists(pool: &sqlx::PgPool, account_id: i64) -> Result<(), Problem> {
    let exists: bool = sqlx::query_scalar("select exists (select 1 from accounts where id = $1)")
        .bind(account_id)
        .fetch_one(pool)
        .await
        .map_err(|e| Problem::from_database(&e))?;
    if exists {
        Ok(())
    } else {
        Err(Problem::new(
            Code::NotFound,
            format!("No account has the id {account_id}."),
        ))
    }
}

/// An engine's `NotFound` for a change to an account or to one of its parts (a person, an
/// address) named as what is missing; any other error as itself.
pub async fn missing(
    portal: &app::server::Portal,
    account_id: i64,
    part: Option<(&str, i64)>,
    error: engine::EngineError,
) -> Problem {
    match (error, part) {
        (engine::EngineError::NotFound, Some((what, part_id))) => {
            match account_exists(&portal.pool, account_id).await {
                Ok(()) => Problem::new(
                    Code::NotFound,
                    format!("The account {account_id} has no {what} with the id {part_id}."),
                ),
                Err(problem) => problem,
            }
        }
        (engine::EngineError::NotFound, None) => Problem::new(
            Code::NotFound,
            format!("No account has the id {account_id}."),
        ),
        (other, _) => Problem::from(other),
    }
}

/// What an `If-Match` header allows (RFC 9110 section 13.1.1): any current version (`*`),
/// or one of the listed ones. Weak tags never match (the comparison is strong).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    Any,
    Versions(Vec<i64>),
}

impl IfMatch {
    /// Reads the header; `required` answers 428 when it is missing.
    pub fn of(headers: &axum::http::HeaderMap, required: bool) -> Result<Option<IfMatch>, Problem> {
        let Some(value) = headers.get(header::IF_MATCH) else {
            return if required {
                Err(Problem::new(
                    Code::PreconditionRequired,
                    "Send If-Match with the ETag you read (or * for whatever is there), so that another system's change is not overwritten unseen.",
                )
                .at_parameter("If-Match"))
            } else {
                Ok(None)
            };
        };
        let bad = || {
            Problem::new(
                Code::InvalidParameter,
                "If-Match is * or a list of ETags such as \"3\".",
            )
            .at_parameter("If-Match")
        };
        let text = value.to_str().map_err(|_| bad())?.trim();
        if text == "*" {
            return Ok(Some(IfMatch::Any));
        }
        let mut versions = Vec::new();
        for tag in text.split(',').map(str::trim) {
            if tag.starts_with("W/") {
                continue; // a weak tag never matches strongly
            }
            let inner = tag
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .ok_or_else(bad)?;
            // An opaque tag that is not one of ours matches nothing.
            if let Ok(v) = inner.parse::<i64>() {
                versions.push(v);
            }
        }
        Ok(Some(IfMatch::Versions(versions)))
    }

    /// The versions a change may find (`None`: any, or no `If-Match` sent).
    pub fn expected(if_match: &Option<IfMatch>) -> Option<&[i64]> {
        match if_match {
            Some(IfMatch::Versions(v)) => Some(v.as_slice()),
            _ => None,
        }
    }

    /// Whether the stored `version` satisfies it.
    pub fn allows(&self, version: i64) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::Versions(v) => v.contains(&version),
        }
    }
}

/// The `ETag` of a row's version (strong: the version changes with every change shown).
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A row as JSON, with its version as the `ETag`.
pub fn json_with_etag<T: serde::Serialize>(row: T, version: i64) -> Response {
    let mut response = axum::Json(row).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&etag(version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// Puts a change on the record, under the key, in the change's own transaction.
pub async fn audit_write(
    tx: &mut sqlx::PgConnection,
    caller: &auth::Caller,
    account_id: Option<i64>,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), Problem> {
    audit(&mut *tx, caller, account_id, action, detail).await
}

/// Puts a read of account data on the record, under the key (one entry per call).
pub async fn audit_read(
    pool: &sqlx::PgPool,
    caller: &auth::Caller,
    account_id: Option<i64>,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), Problem> {
    audit(pool, caller, account_id, action, detail).await
}

async fn audit<'c>(
    db: impl sqlx::PgExecutor<'c>,
    caller: &auth::Caller,
    account_id: Option<i64>,
    action: &str,
    mut detail: serde_json::Value,
) -> Result<(), Problem> {
    use app::server::staff::audit::{self, Actor, Entry};
    if let Some(map) = detail.as_object_mut() {
        map.insert("key".into(), caller.key_name.clone().into());
        map.insert("integration".into(), caller.integration.clone().into());
    }
    audit::record(
        db,
        Entry {
            actor: Actor::ApiKey {
                key_id: caller.key_id,
            },
            subject_account_id: account_id,
            action,
            detail,
            support_session_id: None,
        },
        &caller.request,
    )
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "integration API: writing the audit log");
        Problem::new(Code::Internal, "The server failed; nothing was changed.")
    })
}

/// The API's hourly housekeeping while the server runs: answers to idempotency keys older
/// than a day are forgotten, old webhook deliveries too, and subscriptions failing for days
/// are disabled. Several instances may run it; the delete is the same for all.
pub async fn run_housekeeping(pool: sqlx::PgPool, stop: tokio_util::sync::CancellationToken) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        match engine::integrations::forget_old_answers(&pool).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                answers = n,
                "integration API: idempotency answers forgotten"
            ),
            Err(e) => tracing::warn!(error = %e, "integration API: forgetting idempotency answers"),
        }
        match engine::webhooks::forget_old(&pool).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "webhooks: old events and deliveries forgotten"),
            Err(e) => tracing::warn!(error = %e, "webhooks: forgetting old events"),
        }
        match engine::webhooks::disable_failing(&pool).await {
            Ok(ids) if ids.is_empty() => {}
            Ok(ids) => tracing::warn!(
                subscriptions = ?ids,
                "webhooks: subscriptions disabled after failing for days"
            ),
            Err(e) => tracing::warn!(error = %e, "webhooks: disabling failing subscriptions"),
        }
    }
}

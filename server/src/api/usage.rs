//! `POST /usage-records`: usage from a system other than RADIUS accounting, the bulk usage
//! import over HTTP. The records go through `engine::network::usage_import::import_in`, the
//! same checks and the same once-only counting as `lastmile usage import` (each record is
//! one JSON line of the import: `records[N]` is the import's line N + 1): every record is
//! checked first and nothing is counted if any is wrong; a record counted before, by this
//! call or by a file, is not counted again.

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use engine::integrations::Scope;
use engine::network::usage_import::{self, ImportError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::extract::ApiBody;
use super::idempotency::{self, json_response, parse_json};
use super::problem::{Code, FieldProblem, KeyedProblems, Problem};
use app::server::Portal;

/// The most records one call may carry.
pub const MAX_RECORDS: usize = 50_000;

/// A batch of usage records.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageBatch {
    /// 1 to 50,000 records.
    #[schema(value_type = Vec<UsageRecord>, min_items = 1, max_items = 50000)]
    pub records: Vec<serde_json::Value>,
}

/// Bytes a service used over an interval. The service is named by `service_id` or by its
/// network `username`, one of the two.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UsageRecord {
    pub service_id: Option<i64>,
    /// The service's PPPoE username or IPoE identifier.
    pub username: Option<String>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub start: String,
    /// RFC 3339; after `start`, not in the future, at most 31 days after `start`.
    #[schema(format = DateTime)]
    pub end: String,
    #[schema(minimum = 0)]
    pub download_bytes: i64,
    #[schema(minimum = 0)]
    pub upload_bytes: i64,
}

/// What a batch added.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageImported {
    pub records: usize,
    /// Records counted now.
    pub new_records: usize,
    /// Records counted before (by an earlier call or file): not counted again.
    pub already_imported: usize,
    pub download_bytes: i64,
    pub upload_bytes: i64,
    /// Service-days whose usage grew.
    pub service_days: usize,
}

/// Add usage records.
///
/// Spreads each record's bytes over the local hours and days it covers. All or nothing:
/// when any record is wrong, the answer lists every wrong field (`errors`, JSON Pointers
/// into the body) and nothing is counted.
#[utoipa::path(
    post,
    path = "/usage-records",
    operation_id = "addUsageRecords",
    tag = "usage",
    params(("Idempotency-Key" = String, Header, description = "Unique per request (a UUID); the same on a retry")),
    request_body(content = UsageBatch, content_type = "application/json"),
    responses(
        (status = 201, description = "Counted", body = UsageImported),
        (status = 400, description = "No Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Records are wrong (each named in `errors`); nothing was counted", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:accounts"]))
)]
pub async fn add(
    caller: Caller,
    State(portal): State<Portal>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    caller.require(Scope::WriteAccounts)?;
    let request = idempotency::key_of(&headers, &Method::POST, uri.path(), &body)?;
    let batch: UsageBatch = parse_json(&headers, &body)?;
    if batch.records.is_empty() || batch.records.len() > MAX_RECORDS {
        return Err(Problem::new(
            Code::InvalidField,
            format!("Send 1 to {MAX_RECORDS} records in one call."),
        )
        .at_pointer("/records"));
    }
    // One JSON line per record: the import's line N is records[N - 1].
    let mut lines = String::with_capacity(body.len());
    let mut not_objects = Vec::new();
    for (i, record) in batch.records.iter().enumerate() {
        if !record.is_object() {
            not_objects.push(FieldProblem {
                pointer: format!("/records/{i}"),
                detail: "a record is an object".into(),
            });
        }
        lines.push_str(&record.to_string());
        lines.push('\n');
    }
    if !not_objects.is_empty() {
        return Err(rejected(not_objects));
    }

    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    if let Some(replayed) = idempotency::replay(&mut tx, &caller, &request).await? {
        return Ok(replayed);
    }
    let name = format!("api: {} / {}", caller.integration, caller.key_name);
    let report = match usage_import::import_in(
        &mut tx,
        portal.config.billing.time_zone,
        &name,
        lines.as_bytes(),
        chrono::Utc::now(),
    )
    .await
    {
        Ok(report) => report,
        Err(ImportError::Rejected(errors)) => {
            return Err(rejected(
                errors
                    .into_iter()
                    .map(|e| FieldProblem {
                        pointer: if e.column.is_empty() {
                            format!("/records/{}", e.line - 1)
                        } else {
                            format!("/records/{}/{}", e.line - 1, e.column)
                        },
                        detail: e.reason,
                    })
                    .collect(),
            ))
        }
        Err(ImportError::Engine(e)) => return Err(e.into()),
    };
    let answer = UsageImported {
        records: report.records,
        new_records: report.new_records,
        already_imported: report.already_imported,
        download_bytes: report.download_bytes,
        upload_bytes: report.upload_bytes,
        service_days: report.service_days,
    };
    let body = serde_json::to_vec(&answer).unwrap_or_default();
    super::audit_write(
        &mut tx,
        &caller,
        None,
        "api.usage.imported",
        serde_json::json!({
            "records": report.records,
            "new_records": report.new_records,
            "sha256": report.sha256,
        }),
    )
    .await?;
    idempotency::store(&mut tx, &caller, &request, StatusCode::CREATED, &[], &body).await?;
    tx.commit().await.map_err(db)?;
    Ok(json_response(StatusCode::CREATED, &[], &body))
}

fn rejected(errors: Vec<FieldProblem>) -> Problem {
    let first = errors.first().map(|e| e.pointer.clone());
    let mut problem = Problem::new(
        Code::InvalidField,
        format!(
            "{} record field(s) are wrong; nothing was counted.",
            errors.len()
        ),
    )
    .with_errors(errors);
    if let Some(first) = first {
        problem = problem.at_pointer(first);
    }
    problem
}

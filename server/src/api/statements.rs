//! Statements as the integration API shows them: `GET /accounts/{id}/statements` (newest
//! first, a page at a time), `GET /statements/{id}` with its lines as stored, and
//! `GET /statements/{id}/pdf`, the same document the subscriber downloads. Reads are on the
//! record, under the key.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::NaiveDate;
use engine::integrations::Scope;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

use super::audit_read;
use super::auth::Caller;
use super::extract::{ApiPath, ApiQuery};
use super::pagination::{DEFAULT_LIMIT, MAX_LIMIT};
use super::problem::{Code, KeyedProblems, Problem};
use app::server::Portal;

/// A statement's totals (its lines: `GET /statements/{id}`).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Statement {
    pub id: i64,
    pub account_id: i64,
    #[schema(example = "S-10000001-2026-12")]
    pub number: String,
    /// ISO 4217.
    pub currency: String,
    /// The period billed in advance, `[period_start, period_end)`.
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    /// `open`, `paid` or `void`.
    pub status: String,
    #[schema(value_type = String)]
    pub previous_balance: Decimal,
    #[schema(value_type = String)]
    pub total_charges: Decimal,
    #[schema(value_type = String)]
    pub total_tax: Decimal,
    /// Negative.
    #[schema(value_type = String)]
    pub total_payments: Decimal,
    /// Negative.
    #[schema(value_type = String)]
    pub total_credits: Decimal,
    /// What the statement asks for: the previous balance plus every line.
    #[schema(value_type = String)]
    pub total_due: Decimal,
    #[sqlx(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<StatementLine>>,
}

/// A line of a statement, as stored.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct StatementLine {
    pub line_no: i16,
    /// `recurring`, `usage`, `one_time`, `discount`, `tax`, `payment`, `credit` or
    /// `adjustment`.
    pub kind: String,
    pub description: String,
    pub service_id: Option<i64>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    /// Positive: owed; negative: paid or credited.
    #[schema(value_type = String)]
    pub amount: Decimal,
}

/// A page of an account's statements, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementPage {
    pub data: Vec<Statement>,
    /// The next (older) page; none at the end.
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

/// The query of a plain list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Rows per page, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
}

const COLUMNS: &str =
    "s.id, s.account_id, s.statement_number as number, s.currency::text as currency,
     s.period_start, s.period_end, s.issued_on, s.due_on, s.status, s.previous_balance,
     s.total_charges, s.total_tax, s.total_payments, s.total_credits, s.total_due";

fn cursor_for(account_id: i64, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:statements:{account_id}:{id}"))
}

fn read_cursor(account_id: i64, cursor: &str) -> Result<i64, Problem> {
    let bad = || {
        Problem::new(
            Code::InvalidParameter,
            "This cursor is not one this list handed out (it may belong to another account).",
        )
        .at_parameter("cursor")
    };
    let text =
        String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?).map_err(|_| bad())?;
    let mut parts = text.split(':');
    if parts.next() != Some("v1")
        || parts.next() != Some("statements")
        || parts.next() != Some(account_id.to_string().as_str())
    {
        return Err(bad());
    }
    let id = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(id)
}

/// An account's statements.
///
/// Newest first, a page at a time (follow `next_cursor`). A closed account's statements
/// stay readable.
#[utoipa::path(
    get,
    path = "/accounts/{id}/statements",
    operation_id = "listStatements",
    tag = "statements",
    params(("id" = i64, Path, description = "The account's id"), PageQuery),
    responses(
        (status = 200, description = "A page", body = StatementPage),
        (status = 400, description = "A parameter is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No account has this id", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["read"]))
)]
pub async fn list(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(account_id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<StatementPage>, Problem> {
    caller.require(Scope::Read)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Problem::new(
            Code::InvalidParameter,
            format!("limit is 1 to {MAX_LIMIT}."),
        )
        .at_parameter("limit"));
    }
    let before = match &query.cursor {
        Some(c) => Some(read_cursor(account_id, c)?),
        None => None,
    };
    let db = |e: sqlx::Error| Problem::from_database(&e);
    super::account_exists(&portal.pool, account_id).await?;
    let mut data: Vec<Statement> = sqlx::query_as(&format!(
        "select {COLUMNS} from statements s
          where s.account_id = $1 and ($2::bigint is null or s.id < $2)
          order by s.id desc limit $3"
    ))
    .bind(account_id)
    .bind(before)
    .bind(limit + 1)
    .fetch_all(&portal.pool)
    .await
    .map_err(db)?;
    let has_more = data.len() as i64 > limit;
    data.truncate(limit as usize);
    let next_cursor = has_more
        .then(|| data.last().map(|s| cursor_for(account_id, s.id)))
        .flatten();
    audit_read(
        &portal.pool,
        &caller,
        Some(account_id),
        "api.statements.listed",
        serde_json::json!({ "rows": data.len() }),
    )
    .await?;
    Ok(Json(StatementPage {
        data,
        next_cursor,
        has_more,
    }))
}

async fn one(portal: &Portal, id: i64) -> Result<Statement, Problem> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from statements s where s.id = $1"
    ))
    .bind(id)
    .fetch_optional(&portal.pool)
    .await
    .map_err(|e| Problem::from_database(&e))?
    .ok_or_else(|| Problem::new(Code::NotFound, format!("No statement has the id {id}.")))
}

/// One statement with its lines.
#[utoipa::path(
    get,
    path = "/statements/{id}",
    operation_id = "getStatement",
    tag = "statements",
    params(("id" = i64, Path, description = "The statement's id")),
    responses(
        (status = 200, description = "The statement and its lines, in order", body = Statement),
        (status = 400, description = "The id is not a whole number", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No statement has this id", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["read"]))
)]
pub async fn get(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Statement>, Problem> {
    caller.require(Scope::Read)?;
    let mut statement = one(&portal, id).await?;
    let lines: Vec<StatementLine> = sqlx::query_as(
        "select line_no, kind, description, service_id, period_start, period_end, amount
           from statement_lines where statement_id = $1 order by line_no",
    )
    .bind(id)
    .fetch_all(&portal.pool)
    .await
    .map_err(|e| Problem::from_database(&e))?;
    statement.lines = Some(lines);
    audit_read(
        &portal.pool,
        &caller,
        Some(statement.account_id),
        "api.statement.read",
        serde_json::json!({ "statement_id": id }),
    )
    .await?;
    Ok(Json(statement))
}

/// A statement as a PDF.
///
/// The document the subscriber downloads from the portal, under the provider's letterhead.
#[utoipa::path(
    get,
    path = "/statements/{id}/pdf",
    operation_id = "getStatementPdf",
    tag = "statements",
    params(("id" = i64, Path, description = "The statement's id")),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, description = "The id is not a whole number", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No statement has this id", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["read"]))
)]
pub async fn pdf(
    caller: Caller,
    State(portal): State<Portal>,
    State(provider): State<Arc<crate::documents::Provider>>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, Problem> {
    caller.require(Scope::Read)?;
    let statement = one(&portal, id).await?;
    let access = app::server::access::AccountAccess::for_api(statement.account_id);
    let response = crate::http::pdf_response(&portal, provider, &access, id, None).await;
    if !response.status().is_success() {
        tracing::error!(statement = id, status = %response.status(), "integration API: drawing a statement PDF");
        return Ok(
            Problem::new(Code::Internal, "The server failed to draw the statement.")
                .into_response(),
        );
    }
    audit_read(
        &portal.pool,
        &caller,
        Some(statement.account_id),
        "api.statement.pdf",
        serde_json::json!({ "statement_id": id }),
    )
    .await?;
    Ok(response)
}

//! Support tickets through the integration API: `GET /accounts/{id}/tickets`,
//! `GET /tickets/{number}` with its messages, and `POST /accounts/{id}/tickets`, which
//! opens one with the portal's rules (`app::server::tickets::open_by_key_in`: the same
//! categories and limits, the same history event and email to the support inbox), its
//! first message the key's.

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use engine::integrations::Scope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::audit_read;
use super::auth::Caller;
use super::extract::{ApiBody, ApiPath};
use super::idempotency::{self, json_response, parse_json};
use super::problem::{Code, KeyedProblems, Problem};
use app::server::Portal;

/// A ticket.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Ticket {
    #[schema(example = "T-000123")]
    pub number: String,
    pub account_id: i64,
    pub subject: String,
    /// `billing`, `technical`, `dispute` or `general`.
    pub category: String,
    /// `open`, `pending`, `resolved` or `closed`.
    pub status: String,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Its messages, oldest first (only on `GET /tickets/{number}`).
    #[sqlx(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<TicketMessage>>,
}

/// A message of a ticket.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct TicketMessage {
    /// `subscriber`, `staff` or `integration`.
    pub author_kind: String,
    /// The person, staff member or integration.
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// An account's tickets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketList {
    /// The latest updated first (at most 100).
    pub data: Vec<Ticket>,
}

/// A ticket to open.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// `billing`, `technical` or `general` (a dispute is opened on a statement line, in the
    /// portal).
    #[schema(example = "technical")]
    pub category: String,
    #[schema(
        example = "Technician visit booked for 9 December",
        min_length = 1,
        max_length = 200
    )]
    pub subject: String,
    #[schema(
        example = "The installer comes between 8 and 12.",
        min_length = 1,
        max_length = 10000
    )]
    pub message: String,
}

const COLUMNS: &str = "t.number, t.account_id, t.subject, t.category, t.status, t.priority,
     t.created_at, t.updated_at, t.closed_at";

/// An account's tickets.
#[utoipa::path(
    get,
    path = "/accounts/{id}/tickets",
    operation_id = "listTickets",
    tag = "tickets",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The latest updated first", body = TicketList),
        (status = 400, description = "The id is not a whole number", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No account has this id", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["read"]))
)]
pub async fn list(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(account_id): ApiPath<i64>,
) -> Result<Json<TicketList>, Problem> {
    caller.require(Scope::Read)?;
    let db = |e: sqlx::Error| Problem::from_database(&e);
    super::account_exists(&portal.pool, account_id).await?;
    let data: Vec<Ticket> = sqlx::query_as(&format!(
        "select {COLUMNS} from tickets t where t.account_id = $1
          order by t.updated_at desc, t.id desc limit 100"
    ))
    .bind(account_id)
    .fetch_all(&portal.pool)
    .await
    .map_err(db)?;
    audit_read(
        &portal.pool,
        &caller,
        Some(account_id),
        "api.tickets.listed",
        serde_json::json!({ "rows": data.len() }),
    )
    .await?;
    Ok(Json(TicketList { data }))
}

async fn load(conn: &mut sqlx::PgConnection, number: &str) -> Result<Option<Ticket>, Problem> {
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let Some(mut ticket): Option<Ticket> = sqlx::query_as(&format!(
        "select {COLUMNS} from tickets t where t.number = $1"
    ))
    .bind(number)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    else {
        return Ok(None);
    };
    let messages: Vec<TicketMessage> = sqlx::query_as(
        "select case when m.author_login_id is not null then 'subscriber'
                     when m.author_staff_id is not null then 'staff' else 'integration' end
                    as author_kind,
                coalesce(su.display_name, p.first_name || ' ' || p.last_name, i.name, '') as author,
                m.body, m.created_at
           from ticket_messages m
           join tickets t on t.id = m.ticket_id
           left join staff_users su on su.id = m.author_staff_id
           left join portal_logins pl on pl.id = m.author_login_id
           left join people p on p.id = pl.person_id
           left join api_keys k on k.id = m.author_api_key_id
           left join integrations i on i.id = k.integration_id
          where t.number = $1
          order by m.created_at, m.id",
    )
    .bind(number)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    ticket.messages = Some(messages);
    Ok(Some(ticket))
}

/// One ticket with its messages.
#[utoipa::path(
    get,
    path = "/tickets/{number}",
    operation_id = "getTicket",
    tag = "tickets",
    params(("number" = String, Path, description = "The ticket's number (T-000123)")),
    responses(
        (status = 200, description = "The ticket", body = Ticket),
        (status = 404, description = "No ticket has this number", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["read"]))
)]
pub async fn get(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<Ticket>, Problem> {
    caller.require(Scope::Read)?;
    let ticket = load(&mut *super::connection(&portal.pool).await?, number.trim())
        .await?
        .ok_or_else(|| {
            Problem::new(
                Code::NotFound,
                format!("No ticket has the number {number:?}."),
            )
        })?;
    audit_read(
        &portal.pool,
        &caller,
        Some(ticket.account_id),
        "api.ticket.read",
        serde_json::json!({ "ticket": ticket.number }),
    )
    .await?;
    Ok(Json(ticket))
}

/// Open a ticket for an account.
///
/// With the portal's rules: a category of `billing`, `technical` or `general`, a subject of
/// at most 200 characters, a message of at most 10,000. The support team is emailed, as
/// for a subscriber's ticket; the first message is shown as the integration's.
#[utoipa::path(
    post,
    path = "/accounts/{id}/tickets",
    operation_id = "openTicket",
    tag = "tickets",
    params(
        ("id" = i64, Path, description = "The account's id"),
        ("Idempotency-Key" = String, Header, description = "Unique per request (a UUID); the same on a retry"),
    ),
    request_body(content = NewTicket, content_type = "application/json"),
    responses(
        (status = 201, description = "Opened", body = Ticket, headers(("Location" = String, description = "The ticket"))),
        (status = 400, description = "No Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No account has this id", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong (named by `pointer`), or the Idempotency-Key was used for another request", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:accounts"]))
)]
pub async fn open(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(account_id): ApiPath<i64>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    caller.require(Scope::WriteAccounts)?;
    let request = idempotency::key_of(&headers, &Method::POST, uri.path(), &body)?;
    let asked: NewTicket = parse_json(&headers, &body)?;
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    if let Some(replayed) = idempotency::replay(&mut tx, &caller, &request).await? {
        return Ok(replayed);
    }
    let (_, number) = app::server::tickets::open_by_key_in(
        &mut tx,
        &portal.config,
        account_id,
        caller.key_id,
        &caller.integration,
        (&asked.category, &asked.subject, &asked.message),
    )
    .await
    .map_err(|e| match e {
        app::error::AppError::NotFound => Problem::new(
            Code::NotFound,
            format!("No account has the id {account_id}."),
        ),
        other => Problem::from_app(other),
    })?;
    let ticket = load(&mut tx, &number)
        .await?
        .ok_or_else(|| Problem::new(Code::Internal, "The server failed; nothing was changed."))?;
    super::audit_write(
        &mut tx,
        &caller,
        Some(account_id),
        "api.ticket.opened",
        serde_json::json!({ "ticket": number, "category": asked.category }),
    )
    .await?;
    let answer_headers = [(header::LOCATION, format!("/api/v1/tickets/{number}"))];
    let body = serde_json::to_vec(&ticket).map_err(|e| {
        tracing::error!(error = %e, "integration API: encoding a ticket");
        Problem::new(Code::Internal, "The server failed; nothing was changed.")
    })?;
    idempotency::store(
        &mut tx,
        &caller,
        &request,
        StatusCode::CREATED,
        &answer_headers,
        &body,
    )
    .await?;
    tx.commit().await.map_err(db)?;
    Ok(json_response(StatusCode::CREATED, &answer_headers, &body))
}

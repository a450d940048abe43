//! Services as the integration API shows them: `GET /services` (the sync list) and
//! `GET /services/{id}`, each with its plan and its scheduled plan change.

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use engine::integrations::Scope;
use engine::EngineError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::extract::{ApiBody, ApiPath, ApiQuery};
use super::idempotency::{self, json_response, parse_json};
use super::pagination::{in_order, sync_page, SyncQuery};
use super::problem::{Code, KeyedProblems, Problem};
use super::{audit_read, json_with_etag, IfMatch};
use app::server::Portal;

/// A service: one connection at one of the account's addresses, on one plan.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Service {
    pub id: i64,
    pub account_id: i64,
    pub address_id: i64,
    pub plan_id: i64,
    /// The plan's code.
    pub plan_code: String,
    /// `pending`, `active`, `suspended` or `cancelled`.
    pub status: String,
    /// When suspended: `non_payment`, `customer_request`, `fraud` or `other`.
    pub suspension_reason: Option<String>,
    pub activated_on: Option<NaiveDate>,
    pub cancelled_on: Option<NaiveDate>,
    /// The end of the minimum term, when there is one.
    pub contract_ends_on: Option<NaiveDate>,
    #[sqlx(flatten)]
    #[serde(skip)]
    change: ChangeRow,
    /// A plan change waiting for its day.
    #[sqlx(skip)]
    pub scheduled_change: Option<ScheduledChange>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Counts changes; the `ETag` of the service.
    pub version: i64,
}

#[derive(Debug, Clone, Default, sqlx::FromRow)]
struct ChangeRow {
    change_to_plan_id: Option<i64>,
    change_effective_on: Option<NaiveDate>,
}

/// A plan change waiting for its day (a downgrade waits for the next cycle).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduledChange {
    pub to_plan_id: i64,
    pub effective_on: NaiveDate,
}

/// A page of the services sync list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServicePage {
    pub data: Vec<Service>,
    /// Where to go on from: always given; keep it and ask again later for what changed.
    pub next_cursor: String,
    /// Whether more rows wait now (ask again at once with `next_cursor`).
    pub has_more: bool,
}

/// Services in the order they last changed.
///
/// The sync list, as for accounts: keep `next_cursor` and ask again later to see every
/// change. Cancelled services stay in the list.
#[utoipa::path(
    get,
    path = "/services",
    operation_id = "listServices",
    tag = "services",
    params(SyncQuery),
    responses(
        (status = 200, description = "A page", body = ServicePage),
        (status = 400, description = "A parameter is wrong", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["read"]))
)]
pub async fn list(
    caller: Caller,
    State(portal): State<Portal>,
    ApiQuery(query): ApiQuery<SyncQuery>,
) -> Result<Json<ServicePage>, Problem> {
    caller.require(Scope::Read)?;
    let page = sync_page(&portal.pool, "services", &query).await?;
    let data = in_order(&page.ids, load(&portal.pool, &page.ids).await?, |s| s.id);
    audit_read(
        &portal.pool,
        &caller,
        None,
        "api.services.listed",
        serde_json::json!({ "rows": data.len() }),
    )
    .await?;
    Ok(Json(ServicePage {
        data,
        next_cursor: page.next_cursor,
        has_more: page.has_more,
    }))
}

/// One service.
#[utoipa::path(
    get,
    path = "/services/{id}",
    operation_id = "getService",
    tag = "services",
    params(("id" = i64, Path, description = "The service's id")),
    responses(
        (status = 200, description = "The service", body = Service,
         headers(("ETag" = String, description = "The service's version, for If-Match"))),
        (status = 400, description = "The id is not a whole number", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No service has this id", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["read"]))
)]
pub async fn get(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, Problem> {
    caller.require(Scope::Read)?;
    let service = load(&portal.pool, &[id])
        .await?
        .pop()
        .ok_or_else(|| Problem::new(Code::NotFound, format!("No service has the id {id}.")))?;
    audit_read(
        &portal.pool,
        &caller,
        Some(service.account_id),
        "api.service.read",
        serde_json::json!({ "service_id": id }),
    )
    .await?;
    let version = service.version;
    Ok(json_with_etag(service, version))
}

pub(super) async fn load<'c>(
    db: impl sqlx::PgExecutor<'c>,
    ids: &[i64],
) -> Result<Vec<Service>, Problem> {
    let mut services: Vec<Service> = sqlx::query_as(
        "select s.id, s.account_id, s.address_id, s.plan_id, p.code as plan_code, s.status,
                s.suspension_reason, s.activated_on, s.cancelled_on, s.contract_ends_on,
                c.to_plan_id as change_to_plan_id, c.effective_on as change_effective_on,
                s.created_at, s.updated_at, s.version
           from unnest($1::bigint[]) as k(id)
           join services s on s.id = k.id
           join plans p on p.id = s.plan_id
           left join plan_changes c on c.service_id = s.id and c.status = 'scheduled'",
    )
    .bind(ids)
    .fetch_all(db)
    .await
    .map_err(|e| Problem::from_database(&e))?;
    for s in &mut services {
        if let (Some(to_plan_id), Some(effective_on)) =
            (s.change.change_to_plan_id, s.change.change_effective_on)
        {
            s.scheduled_change = Some(ScheduledChange {
                to_plan_id,
                effective_on,
            });
        }
    }
    Ok(services)
}

/// What a service action does, once its body is read.
enum Action {
    Activate(NaiveDate),
    Suspend,
    Resume,
    Cancel(Option<Decimal>),
}

impl Action {
    fn audit_name(&self) -> &'static str {
        match self {
            Action::Activate(_) => "api.service.activated",
            Action::Suspend => "api.service.suspended",
            Action::Resume => "api.service.resumed",
            Action::Cancel(_) => "api.service.cancelled",
        }
    }
}

/// The common path of the service actions: key and scope, idempotency, `If-Match`, the
/// engine call, the service as it is now, the audit entry, the stored answer, one commit.
async fn act(
    caller: &Caller,
    portal: &Portal,
    service_id: i64,
    request: &idempotency::Idempotent,
    if_match: Option<IfMatch>,
    action: Action,
) -> Result<Response, Problem> {
    let today = engine::clock::today(portal.config.billing.time_zone, chrono::Utc::now());
    let expected = match &if_match {
        Some(IfMatch::Versions(v)) => Some(v.as_slice()),
        _ => None,
    };
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    if let Some(replayed) = idempotency::replay(&mut tx, caller, request).await? {
        return Ok(replayed);
    }
    let not_found = |e: EngineError| match e {
        EngineError::NotFound => Problem::new(
            Code::NotFound,
            format!("No service has the id {service_id}."),
        ),
        other => Problem::from(other),
    };
    let mut detail = serde_json::json!({ "service_id": service_id });
    match &action {
        Action::Activate(on) => {
            engine::services::activate_in(&mut tx, service_id, expected, *on, today)
                .await
                .map_err(not_found)?;
            detail["activated_on"] = serde_json::json!(on);
        }
        Action::Suspend => engine::services::suspend_in(&mut tx, service_id, expected, today)
            .await
            .map_err(not_found)?,
        Action::Resume => engine::services::resume_in(&mut tx, service_id, expected, today)
            .await
            .map_err(not_found)?,
        Action::Cancel(fee) => {
            let done = engine::services::cancel_in(&mut tx, service_id, expected, *fee, today)
                .await
                .map_err(not_found)?;
            detail["early_termination_fee"] =
                serde_json::json!(done.early_termination_fee.map(|f| f.to_string()));
        }
    }
    let service = load(&mut *tx, &[service_id])
        .await?
        .pop()
        .ok_or_else(|| Problem::new(Code::Internal, "The server failed; nothing was changed."))?;
    super::audit_write(
        &mut tx,
        caller,
        Some(service.account_id),
        action.audit_name(),
        detail,
    )
    .await?;
    let headers = [(header::ETAG, super::etag(service.version))];
    let body = serde_json::to_vec(&service).map_err(|e| {
        tracing::error!(error = %e, "integration API: encoding a service");
        Problem::new(Code::Internal, "The server failed; nothing was changed.")
    })?;
    idempotency::store(&mut tx, caller, request, StatusCode::OK, &headers, &body).await?;
    tx.commit().await.map_err(db)?;
    Ok(json_response(StatusCode::OK, &headers, &body))
}

/// Reads an action's key, `If-Match` and body.
fn begin<T: serde::de::DeserializeOwned>(
    caller: &Caller,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(idempotency::Idempotent, Option<IfMatch>, T), Problem> {
    caller.require(Scope::WriteAccounts)?;
    let request = idempotency::key_of(headers, &Method::POST, uri.path(), body)?;
    let if_match = IfMatch::of(headers, false)?;
    // An empty body is an empty object: the actions without fields need none.
    let asked: T = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::from_str("{}")
            .map_err(|_| Problem::new(Code::MalformedJson, "This operation needs a JSON body."))?
    } else {
        parse_json(headers, body)?
    };
    Ok((request, if_match, asked))
}

/// An activation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Activation {
    /// The first day of service (default: today; at most 31 days back: the next statement
    /// charges the days since).
    pub activated_on: Option<NaiveDate>,
}

/// No fields.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}

/// A cancellation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancellation {
    /// Inside a contract: the early termination fee the account agreed to, exactly as the
    /// 422 answer without it names it ("116.67").
    #[schema(value_type = Option<String>, example = "116.67")]
    #[serde(default, deserialize_with = "super::extract::optional_decimal_string")]
    pub accepted_fee: Option<Decimal>,
}

/// Activate a pending service.
///
/// The service goes into force from `activated_on` (today by default): the network is told
/// at once (its credentials reach RADIUS), and the next statement charges it from that day.
#[utoipa::path(
    post,
    path = "/services/{id}/activate",
    operation_id = "activateService",
    tag = "services",
    params(
        ("id" = i64, Path, description = "The service's id"),
        ("Idempotency-Key" = String, Header, description = "Unique per request (a UUID); the same on a retry"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; when given, a service changed since is 412"),
    ),
    request_body(content = Activation, content_type = "application/json"),
    responses(
        (status = 200, description = "Active", body = Service, headers(("ETag" = String, description = "The service's new version"))),
        (status = 400, description = "No Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No service has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The service is not pending, or its account is closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong (named by `pointer`)", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:accounts"]))
)]
pub async fn activate(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(id): ApiPath<i64>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    let (request, if_match, asked): (_, _, Activation) = begin(&caller, &uri, &headers, &body)?;
    let today = engine::clock::today(portal.config.billing.time_zone, chrono::Utc::now());
    let on = asked.activated_on.unwrap_or(today);
    act(
        &caller,
        &portal,
        id,
        &request,
        if_match,
        Action::Activate(on),
    )
    .await
}

/// Suspend a service.
///
/// Switched off at once (reason `other`): the network is told, and the service accrues
/// nothing until it is resumed.
#[utoipa::path(
    post,
    path = "/services/{id}/suspend",
    operation_id = "suspendService",
    tag = "services",
    params(
        ("id" = i64, Path, description = "The service's id"),
        ("Idempotency-Key" = String, Header, description = "Unique per request (a UUID); the same on a retry"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; when given, a service changed since is 412"),
    ),
    request_body(content = NoFields, content_type = "application/json"),
    responses(
        (status = 200, description = "Suspended", body = Service, headers(("ETag" = String, description = "The service's new version"))),
        (status = 400, description = "No Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No service has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The service is not active, or its account is closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:accounts"]))
)]
pub async fn suspend(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(id): ApiPath<i64>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    let (request, if_match, _): (_, _, NoFields) = begin(&caller, &uri, &headers, &body)?;
    act(&caller, &portal, id, &request, if_match, Action::Suspend).await
}

/// Resume a suspended service.
///
/// Only a service suspended with reason `other` (by a request): one suspended for
/// non-payment or a prepaid balance comes back when the account pays (409).
#[utoipa::path(
    post,
    path = "/services/{id}/resume",
    operation_id = "resumeService",
    tag = "services",
    params(
        ("id" = i64, Path, description = "The service's id"),
        ("Idempotency-Key" = String, Header, description = "Unique per request (a UUID); the same on a retry"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; when given, a service changed since is 412"),
    ),
    request_body(content = NoFields, content_type = "application/json"),
    responses(
        (status = 200, description = "Active again", body = Service, headers(("ETag" = String, description = "The service's new version"))),
        (status = 400, description = "No Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No service has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not suspended, suspended until the account pays, or the account is closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:accounts"]))
)]
pub async fn resume(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(id): ApiPath<i64>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    let (request, if_match, _): (_, _, NoFields) = begin(&caller, &uri, &headers, &body)?;
    act(&caller, &portal, id, &request, if_match, Action::Resume).await
}

/// Cancel a service.
///
/// Cancelled today: switched off at once, a scheduled plan change cancelled, and the days
/// already charged after today refunded on the next statement. Inside a contract the early
/// termination fee is charged; the request must accept it to the cent (`accepted_fee`),
/// else 422 names the fee.
#[utoipa::path(
    post,
    path = "/services/{id}/cancel",
    operation_id = "cancelService",
    tag = "services",
    params(
        ("id" = i64, Path, description = "The service's id"),
        ("Idempotency-Key" = String, Header, description = "Unique per request (a UUID); the same on a retry"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; when given, a service changed since is 412"),
    ),
    request_body(content = Cancellation, content_type = "application/json"),
    responses(
        (status = 200, description = "Cancelled", body = Service, headers(("ETag" = String, description = "The service's new version"))),
        (status = 400, description = "No Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No service has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already cancelled, or the account is closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The early termination fee was not accepted, or a field is wrong", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:accounts"]))
)]
pub async fn cancel(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(id): ApiPath<i64>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    let (request, if_match, asked): (_, _, Cancellation) = begin(&caller, &uri, &headers, &body)?;
    act(
        &caller,
        &portal,
        id,
        &request,
        if_match,
        Action::Cancel(asked.accepted_fee),
    )
    .await
}

/// When a plan change takes effect.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ChangeTiming {
    /// Today, with a prorated charge or credit for the rest of the period.
    Immediately,
    /// On the first day of the next billing period.
    NextCycle,
}

/// A plan change asked for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanChangeRequest {
    /// The plan to change to (one of the service's offers).
    pub plan_id: i64,
    /// Left out: the provider's policy (upgrades at once, downgrades at the next cycle,
    /// unless configured otherwise). The proration is the same as the portal's.
    pub timing: Option<ChangeTiming>,
    /// A downgrade inside a contract: the early termination fee agreed to, to the cent.
    #[schema(value_type = Option<String>, example = "116.67")]
    #[serde(default, deserialize_with = "super::extract::optional_decimal_string")]
    pub accepted_fee: Option<Decimal>,
}

/// What a plan change did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanChangeMade {
    pub plan_change_id: i64,
    /// `applied` (in force now) or `scheduled` (waits for `effective_on`).
    pub status: String,
    pub effective_on: NaiveDate,
    /// The prorated charge (positive) or credit (negative) for days already charged, a
    /// decimal string.
    #[schema(value_type = String)]
    pub adjustment: Decimal,
    /// Charged for leaving a contract early.
    #[schema(value_type = Option<String>)]
    pub early_termination_fee: Option<Decimal>,
    pub contract_ends_on: Option<NaiveDate>,
    /// The service as it is now.
    pub service: Service,
}

/// Change a service's plan.
///
/// Through the same rules as the portal's plan page: the plan must be one of the service's
/// offers, the prorated charge or credit is the portal's, and a downgrade inside a contract
/// costs the early termination fee, which must be accepted (`accepted_fee`). A change that
/// takes effect today is applied and the network told; a later one is scheduled and shown
/// as the service's `scheduled_change`.
#[utoipa::path(
    post,
    path = "/services/{id}/plan-changes",
    operation_id = "changeServicePlan",
    tag = "services",
    params(
        ("id" = i64, Path, description = "The service's id"),
        ("Idempotency-Key" = String, Header, description = "Unique per request (a UUID); the same on a retry"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read; when given, a service changed since is 412"),
    ),
    request_body(content = PlanChangeRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Applied or scheduled", body = PlanChangeMade, headers(("ETag" = String, description = "The service's new version"))),
        (status = 400, description = "No Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No service has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Cancelled, a change already scheduled, or the account is closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an offer, the fee not accepted, or a field is wrong", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:accounts"]))
)]
pub async fn change_plan(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(id): ApiPath<i64>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    let (request, if_match, asked): (_, _, PlanChangeRequest) =
        begin(&caller, &uri, &headers, &body)?;
    let config = &portal.config.billing;
    let today = engine::clock::today(config.time_zone, chrono::Utc::now());
    let expected = match &if_match {
        Some(IfMatch::Versions(v)) => Some(v.as_slice()),
        _ => None,
    };
    let not_found = |e: EngineError| match e {
        EngineError::NotFound => {
            Problem::new(Code::NotFound, format!("No service has the id {id}."))
        }
        other => Problem::from(other),
    };
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    if let Some(replayed) = idempotency::replay(&mut tx, &caller, &request).await? {
        return Ok(replayed);
    }
    let (account_id, plan_id) = engine::services::lock_in(&mut tx, id, expected)
        .await
        .map_err(not_found)?;
    let outcome = engine::plan_changes::request_in(
        &mut tx,
        config,
        &engine::plan_changes::ChangeRequest {
            account_id,
            service_id: id,
            to_plan_id: asked.plan_id,
            seen_plan_id: plan_id,
            accepted_fee: asked.accepted_fee,
            login_id: None,
            staff_id: None,
            api_key_id: Some(caller.key_id),
            timing: asked.timing.map(|t| match t {
                ChangeTiming::Immediately => engine::config::Timing::Immediately,
                ChangeTiming::NextCycle => engine::config::Timing::NextCycle,
            }),
            today,
        },
    )
    .await
    .map_err(|e| match e {
        // The fee's refusal names no field in the engine (the portal shows it above the
        // form); here it is the request's `accepted_fee`.
        EngineError::Invalid(message) if message.contains("early termination fee") => {
            Problem::new(Code::InvalidField, message).at_pointer("/accepted_fee")
        }
        EngineError::Invalid(message)
            if message.contains("is not offered") || message.contains("already on") =>
        {
            Problem::new(Code::InvalidField, message).at_pointer("/plan_id")
        }
        EngineError::Invalid(message) if message.starts_with("Only an active service") => {
            Problem::new(Code::Conflict, message)
        }
        // The service exists (it is locked): what was not found is the plan.
        EngineError::NotFound => Problem::new(
            Code::InvalidField,
            format!("No plan has the id {}.", asked.plan_id),
        )
        .at_pointer("/plan_id"),
        other => Problem::from(other),
    })?;
    let service = load(&mut *tx, &[id])
        .await?
        .pop()
        .ok_or_else(|| Problem::new(Code::Internal, "The server failed; nothing was changed."))?;
    let status = match outcome.status {
        engine::plan_changes::ChangeStatus::Applied => "applied",
        engine::plan_changes::ChangeStatus::Scheduled => "scheduled",
    };
    super::audit_write(
        &mut tx,
        &caller,
        Some(account_id),
        "api.service.plan_change_requested",
        serde_json::json!({
            "service_id": id, "plan_change_id": outcome.plan_change_id,
            "from_plan_id": plan_id, "to_plan_id": asked.plan_id, "status": status,
        }),
    )
    .await?;
    let answer = PlanChangeMade {
        plan_change_id: outcome.plan_change_id,
        status: status.to_string(),
        effective_on: outcome.quote.effective_on,
        adjustment: outcome.quote.adjustment.amount(),
        early_termination_fee: outcome.quote.early_termination_fee.map(|f| f.amount()),
        contract_ends_on: outcome.quote.contract_ends_on,
        service,
    };
    let answer_headers = [(header::ETAG, super::etag(answer.service.version))];
    let body = serde_json::to_vec(&answer).map_err(|e| {
        tracing::error!(error = %e, "integration API: encoding a plan change");
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

//! Services as the integration API shows them: `GET /services` (the sync list) and
//! `GET /services/{id}`, each with its plan and its scheduled plan change.

use axum::extract::State;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use engine::integrations::Scope;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::extract::{ApiPath, ApiQuery};
use super::pagination::{in_order, sync_page, SyncQuery};
use super::problem::{Code, KeyedProblems, Problem};
use super::{audit_read, json_with_etag};
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

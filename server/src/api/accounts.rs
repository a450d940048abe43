//! Accounts as the integration API shows them: `GET /accounts` (the sync list) and
//! `GET /accounts/{id}`, each with the account's people and service addresses. Reads are
//! on the record (one audit entry per call, under the key).

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use engine::integrations::Scope;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

use super::auth::Caller;
use super::extract::{ApiPath, ApiQuery};
use super::pagination::{in_order, sync_page, SyncQuery};
use super::problem::{Code, KeyedProblems, Problem};
use super::{audit_read, json_with_etag};
use app::server::Portal;

/// An account.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Account {
    pub id: i64,
    /// The number subscribers and statements show.
    #[schema(example = "10000001")]
    pub number: String,
    /// `pending`, `active`, `suspended` or `closed`.
    pub status: String,
    /// `residential` or `business`.
    pub kind: String,
    pub display_name: String,
    /// `postpaid`, `prepaid` or `hybrid`.
    pub billing_mode: String,
    /// The day of the month statements are issued (1-31; a short month uses its last day).
    pub billing_cycle_day: i16,
    /// ISO 4217.
    pub currency: String,
    /// IANA time zone.
    pub time_zone: String,
    /// BCP 47 language tag of the account's emails and documents.
    pub locale: String,
    pub autopay: bool,
    pub created_at: DateTime<Utc>,
    /// When something shown here last changed (its people and addresses included).
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Deletion asked for: the services are cancelled and the account closes after its
    /// final statement.
    pub close_requested_at: Option<DateTime<Utc>>,
    /// Counts changes; the `ETag` of the account.
    pub version: i64,
    #[sqlx(skip)]
    pub people: Vec<Person>,
    #[sqlx(skip)]
    pub addresses: Vec<Address>,
}

/// A person of an account.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    #[serde(skip)]
    pub account_id: i64,
    /// `owner`, `billing`, `technical` or `authorised`.
    pub role: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A service address of an account (an address in use by a service is never edited).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Address {
    pub id: i64,
    #[serde(skip)]
    pub account_id: i64,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// The access technologies the network offers there.
    pub technologies: Vec<String>,
}

/// A page of the accounts sync list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountPage {
    pub data: Vec<Account>,
    /// Where to go on from: always given; keep it and ask again later for what changed.
    pub next_cursor: String,
    /// Whether more rows wait now (ask again at once with `next_cursor`).
    pub has_more: bool,
}

const COLUMNS: &str = "a.id, a.account_number as number, a.status, a.kind, a.display_name,
     a.billing_mode, a.billing_cycle_day, a.currency::text as currency, a.time_zone, a.locale,
     a.autopay, a.created_at, a.updated_at, a.closed_at, a.close_requested_at, a.version";

/// Accounts in the order they last changed.
///
/// The sync list: rows come in the order they were last changed, and only once every
/// transaction that began before their change has ended, so a caller that keeps
/// `next_cursor` and asks again later sees every change (a row may come twice; none is
/// missed). Closed accounts stay in the list.
#[utoipa::path(
    get,
    path = "/accounts",
    operation_id = "listAccounts",
    tag = "accounts",
    params(SyncQuery),
    responses(
        (status = 200, description = "A page", body = AccountPage),
        (status = 400, description = "A parameter is wrong", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["read"]))
)]
pub async fn list(
    caller: Caller,
    State(portal): State<Portal>,
    ApiQuery(query): ApiQuery<SyncQuery>,
) -> Result<Json<AccountPage>, Problem> {
    caller.require(Scope::Read)?;
    let page = sync_page(&portal.pool, "accounts", &query).await?;
    // An account changed since the page was read comes in its newer form now, and again
    // later.
    let data = in_order(&page.ids, load(&portal.pool, &page.ids).await?, |a| a.id);
    audit_read(
        &portal.pool,
        &caller,
        None,
        "api.accounts.listed",
        serde_json::json!({ "rows": data.len() }),
    )
    .await?;
    Ok(Json(AccountPage {
        data,
        next_cursor: page.next_cursor,
        has_more: page.has_more,
    }))
}

/// One account.
#[utoipa::path(
    get,
    path = "/accounts/{id}",
    operation_id = "getAccount",
    tag = "accounts",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account", body = Account,
         headers(("ETag" = String, description = "The account's version, for If-Match"))),
        (status = 400, description = "The id is not a whole number", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No account has this id", body = Problem, content_type = "application/problem+json"),
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
    let account = load(&portal.pool, &[id])
        .await?
        .pop()
        .ok_or_else(|| Problem::new(Code::NotFound, format!("No account has the id {id}.")))?;
    audit_read(
        &portal.pool,
        &caller,
        Some(id),
        "api.account.read",
        serde_json::json!({}),
    )
    .await?;
    let version = account.version;
    Ok(json_with_etag(account, version))
}

/// Accounts with their people and addresses, in no particular order.
async fn load(pool: &PgPool, ids: &[i64]) -> Result<Vec<Account>, Problem> {
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut accounts: Vec<Account> = sqlx::query_as(&format!(
        "select {COLUMNS} from unnest($1::bigint[]) as k(id) join accounts a on a.id = k.id"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let people: Vec<Person> = sqlx::query_as(
        "select p.id, p.account_id, p.role, p.first_name, p.last_name, p.email::text as email, p.phone
           from unnest($1::bigint[]) as k(id) join people p on p.account_id = k.id
          order by p.id",
    )
    .bind(ids)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let addresses: Vec<Address> = sqlx::query_as(
        "select ad.id, ad.account_id, ad.line1, ad.line2, ad.city, ad.region, ad.postal_code,
                ad.country::text as country, ad.technologies
           from unnest($1::bigint[]) as k(id) join addresses ad on ad.account_id = k.id
          order by ad.id",
    )
    .bind(ids)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let index: HashMap<i64, usize> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id, i))
        .collect();
    for p in people {
        if let Some(&i) = index.get(&p.account_id) {
            accounts[i].people.push(p);
        }
    }
    for ad in addresses {
        if let Some(&i) = index.get(&ad.account_id) {
            accounts[i].addresses.push(ad);
        }
    }
    Ok(accounts)
}

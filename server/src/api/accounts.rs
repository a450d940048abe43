//! Accounts as the integration API shows them: `GET /accounts` (the sync list) and
//! `GET /accounts/{id}`, each with the account's people and service addresses. Reads are
//! on the record (one audit entry per call, under the key).

use std::collections::HashMap;

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use engine::integrations::Scope;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::auth::Caller;
use super::extract::{ApiBody, ApiPath, ApiQuery};
use super::idempotency::{self, json_response, parse_json};
use super::pagination::{in_order, sync_page, SyncQuery};
use super::problem::{Code, KeyedProblems, Problem};
use super::{audit_read, connection, json_with_etag, IfMatch};
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

/// A service address of an account.
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
    let data = in_order(
        &page.ids,
        load(&mut *connection(&portal.pool).await?, &page.ids).await?,
        |a| a.id,
    );
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
    let account = load(&mut *connection(&portal.pool).await?, &[id])
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
pub(super) async fn load(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<Account>, Problem> {
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut accounts: Vec<Account> = sqlx::query_as(&format!(
        "select {COLUMNS} from unnest($1::bigint[]) as k(id) join accounts a on a.id = k.id"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let people: Vec<Person> = sqlx::query_as(
        "select p.id, p.account_id, p.role, p.first_name, p.last_name, p.email::text as email, p.phone
           from unnest($1::bigint[]) as k(id) join people p on p.account_id = k.id
          order by p.id",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let addresses: Vec<Address> = sqlx::query_as(
        "select ad.id, ad.account_id, ad.line1, ad.line2, ad.city, ad.region, ad.postal_code,
                ad.country::text as country, ad.technologies
           from unnest($1::bigint[]) as k(id) join addresses ad on ad.account_id = k.id
          order by ad.id",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
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

/// An account to make, with its people, service addresses and first services.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// The provider's own number for it (6 to 12 digits); left out: the next free one.
    #[schema(example = "20000042", pattern = "^[0-9]{6,12}$")]
    pub number: Option<String>,
    /// `residential` or `business`.
    #[schema(example = "residential")]
    pub kind: String,
    #[schema(example = "Ada Lovelace", min_length = 1, max_length = 200)]
    pub display_name: String,
    /// `postpaid` (the default), `prepaid` or `hybrid`.
    pub billing_mode: Option<String>,
    /// 1-31; left out: the day the first service was activated, or today's.
    #[schema(minimum = 1, maximum = 31)]
    pub billing_cycle_day: Option<u32>,
    /// ISO 4217; the plans of its services must be priced in it.
    #[schema(example = "USD")]
    pub currency: String,
    /// IANA time zone; left out: the provider's.
    #[schema(example = "America/Chicago")]
    pub time_zone: Option<String>,
    /// Language of emails and documents (`en-US`, the default).
    pub locale: Option<String>,
    /// Exactly one with the role `owner`, who needs an email address.
    pub people: Vec<NewPerson>,
    #[serde(default)]
    pub addresses: Vec<NewAddress>,
    #[serde(default)]
    pub services: Vec<NewService>,
}

/// A person of a new account.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    /// `owner`, `billing`, `technical` or `authorised`.
    #[schema(example = "owner")]
    pub role: String,
    #[schema(example = "Ada", min_length = 1, max_length = 100)]
    pub first_name: String,
    #[schema(example = "Lovelace", min_length = 1, max_length = 100)]
    pub last_name: String,
    #[schema(example = "ada@example.net")]
    pub email: Option<String>,
    #[schema(example = "+1 512 555 0100")]
    pub phone: Option<String>,
}

/// A service address of a new account.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAddress {
    #[schema(example = "1 Congress Ave", min_length = 1, max_length = 200)]
    pub line1: String,
    pub line2: Option<String>,
    #[schema(example = "Austin", min_length = 1, max_length = 100)]
    pub city: String,
    #[serde(default)]
    #[schema(example = "TX")]
    pub region: String,
    #[schema(example = "78701", min_length = 1, max_length = 20)]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "US")]
    pub country: String,
    /// The code of the taxing jurisdiction the address is in.
    #[schema(example = "US-TX")]
    pub jurisdiction: String,
    /// What the network offers there: `fibre`, `cable`, `dsl`, `fixed_wireless`.
    #[serde(default)]
    #[schema(example = json!(["fibre"]))]
    pub technologies: Vec<String>,
}

/// A first service of a new account.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewService {
    /// Which of the request's addresses, from 0.
    #[schema(minimum = 0)]
    pub address: usize,
    pub plan_id: i64,
    /// Active (and provisioned) from this day, at most 31 days back; left out: pending.
    pub activated_on: Option<chrono::NaiveDate>,
}

/// A new account and its services.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedAccount {
    pub account: Account,
    pub services: Vec<super::services::Service>,
}

/// Create an account.
///
/// Makes the account with its people, service addresses and first services in one
/// transaction. A service given `activated_on` is active and provisioned at once (its
/// credentials are made and the network is told); its days are charged from then by the
/// next bill run.
#[utoipa::path(
    post,
    path = "/accounts",
    operation_id = "createAccount",
    tag = "accounts",
    params(
        ("Idempotency-Key" = String, Header, description = "Unique per request (a UUID); the same on a retry"),
    ),
    request_body(content = NewAccount, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = CreatedAccount,
         headers(("ETag" = String, description = "The account's version"), ("Location" = String, description = "The account"))),
        (status = 400, description = "No Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The account number is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong (named by `pointer`), or the Idempotency-Key was used for another request", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:accounts"]))
)]
pub async fn create(
    caller: Caller,
    State(portal): State<Portal>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    caller.require(Scope::WriteAccounts)?;
    let request = idempotency::key_of(&headers, &Method::POST, uri.path(), &body)?;
    let asked: NewAccount = parse_json(&headers, &body)?;
    let config = &portal.config.billing;
    let today = engine::clock::today(config.time_zone, chrono::Utc::now());
    let new = engine::accounts::NewAccount {
        number: asked.number,
        kind: asked.kind,
        display_name: asked.display_name,
        billing_mode: asked.billing_mode,
        billing_cycle_day: asked.billing_cycle_day,
        currency: asked.currency,
        time_zone: asked.time_zone,
        locale: asked.locale,
        people: asked
            .people
            .into_iter()
            .map(|p| engine::accounts::NewPerson {
                role: p.role,
                first_name: p.first_name,
                last_name: p.last_name,
                email: p.email,
                phone: p.phone,
            })
            .collect(),
        addresses: asked
            .addresses
            .into_iter()
            .map(|a| engine::accounts::NewAddress {
                line1: a.line1,
                line2: a.line2,
                city: a.city,
                region: a.region,
                postal_code: a.postal_code,
                country: a.country,
                jurisdiction: a.jurisdiction,
                technologies: a.technologies,
            })
            .collect(),
        services: asked
            .services
            .into_iter()
            .map(|s| engine::accounts::NewService {
                address: s.address,
                plan_id: s.plan_id,
                activated_on: s.activated_on,
            })
            .collect(),
    };

    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    if let Some(replayed) = idempotency::replay(&mut tx, &caller, &request).await? {
        return Ok(replayed);
    }
    let created = engine::accounts::create_in(&mut tx, &new, today, config.time_zone).await?;
    let account = load(&mut tx, &[created.account_id])
        .await?
        .pop()
        .ok_or_else(|| Problem::new(Code::Internal, "The server failed; nothing was changed."))?;
    let services = in_order(
        &created.service_ids,
        super::services::load(&mut *tx, &created.service_ids).await?,
        |s| s.id,
    );
    super::audit_write(
        &mut tx,
        &caller,
        Some(created.account_id),
        "api.account.created",
        serde_json::json!({ "number": created.number, "services": created.service_ids }),
    )
    .await?;
    let answer_headers = [
        (header::ETAG, super::etag(account.version)),
        (
            header::LOCATION,
            format!("/api/v1/accounts/{}", created.account_id),
        ),
    ];
    let body = encode(&CreatedAccount { account, services })?;
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

/// What an update may change; fields left out stay as they are.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountChange {
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    /// `residential` or `business`.
    pub kind: Option<String>,
    /// `en-US` style.
    pub locale: Option<String>,
}

/// Update an account.
///
/// Needs `If-Match` with the `ETag` last read: when another system (or a person in the
/// portal or console) changed the account since, nothing is written and the answer is 412
/// with the current `ETag`; read it again and decide.
#[utoipa::path(
    patch,
    path = "/accounts/{id}",
    operation_id = "updateAccount",
    tag = "accounts",
    params(
        ("id" = i64, Path, description = "The account's id"),
        ("If-Match" = String, Header, description = "The ETag last read (or *)"),
    ),
    request_body(content = AccountChange, content_type = "application/json"),
    responses(
        (status = 200, description = "Updated", body = Account,
         headers(("ETag" = String, description = "The account's new version"))),
        (status = 400, description = "A body that is not JSON, or an If-Match that is not a list of ETags", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No account has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The account is closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since it was read: the current ETag is in the answer", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong (named by `pointer`)", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:accounts"]))
)]
pub async fn update(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    caller.require(Scope::WriteAccounts)?;
    let if_match = IfMatch::of(&headers, true)?;
    let asked: AccountChange = parse_json(&headers, &body)?;
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    let change = engine::accounts::AccountChange {
        display_name: asked.display_name.clone(),
        kind: asked.kind.clone(),
        locale: asked.locale.clone(),
    };
    if let Err(e) =
        engine::accounts::update_in(&mut tx, id, IfMatch::expected(&if_match), &change).await
    {
        return Err(super::missing(&portal, id, None, e).await);
    }
    let account = changed_account(
        &mut tx,
        &caller,
        id,
        "api.account.updated",
        serde_json::json!({
            "display_name": asked.display_name,
            "kind": asked.kind,
            "locale": asked.locale,
        }),
    )
    .await?;
    tx.commit().await.map_err(db)?;
    let version = account.version;
    Ok(json_with_etag(account, version))
}

/// After a change to an account or its people or addresses, in the change's transaction:
/// the account as it is now, with the change on the record under the key (its new
/// version in the entry).
pub(super) async fn changed_account(
    tx: &mut PgConnection,
    caller: &Caller,
    id: i64,
    action: &str,
    mut detail: serde_json::Value,
) -> Result<Account, Problem> {
    let account = load(tx, &[id])
        .await?
        .pop()
        .ok_or_else(|| Problem::new(Code::Internal, "The server failed; nothing was changed."))?;
    if let Some(map) = detail.as_object_mut() {
        map.insert("version".into(), account.version.into());
    }
    super::audit_write(tx, caller, Some(id), action, detail).await?;
    Ok(account)
}

/// How a closing is asked for.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Closing {
    /// The total of the early termination fees of the services inside a contract, to the
    /// cent (the 422 without it names the amount).
    #[param(value_type = Option<String>, example = "116.67")]
    #[serde(default, deserialize_with = "super::extract::optional_decimal_string")]
    pub accepted_fee: Option<rust_decimal::Decimal>,
}

/// Delete (close) an account.
///
/// Cancels every service still in force today (the network is told; inside a contract the
/// early termination fees, accepted in total as `accepted_fee`, are charged) and marks the
/// account `close_requested_at`; an `account.deleted` event is sent. The account stays
/// open, its subscriber able to pay, until the bill run has issued its final statement and
/// its balance is settled; then it is `closed`. Asking again changes nothing: 202 while it
/// waits, 200 once it is closed.
#[utoipa::path(
    delete,
    path = "/accounts/{id}",
    operation_id = "deleteAccount",
    tag = "accounts",
    params(
        ("id" = i64, Path, description = "The account's id"),
        Closing,
        ("If-Match" = Option<String>, Header, description = "The ETag last read; when given, an account changed since is 412"),
    ),
    responses(
        (status = 202, description = "Closing: the services are cancelled and the account closes after its final statement", body = Account,
         headers(("ETag" = String, description = "The account's version"))),
        (status = 200, description = "Closed already", body = Account,
         headers(("ETag" = String, description = "The account's version"))),
        (status = 400, description = "A parameter is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No account has this id", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The early termination fees were not accepted (the amount is named)", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:accounts"]))
)]
pub async fn delete(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(asked): ApiQuery<Closing>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    caller.require(Scope::WriteAccounts)?;
    let if_match = IfMatch::of(&headers, false)?;
    let config = &portal.config.billing;
    let today = engine::clock::today(config.time_zone, chrono::Utc::now());
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    let request = match engine::accounts::request_close_in(
        &mut tx,
        id,
        IfMatch::expected(&if_match),
        asked.accepted_fee,
        today,
    )
    .await
    {
        Ok(request) => request,
        Err(engine::EngineError::InvalidField { field, message }) => {
            return Err(Problem::new(Code::InvalidField, message).at_parameter(field));
        }
        Err(e) => return Err(super::missing(&portal, id, None, e).await),
    };
    let account = if request.already {
        // Asked again: nothing changes, and the call is on the record as one.
        changed_account(
            &mut tx,
            &caller,
            id,
            "api.account.delete_repeated",
            serde_json::json!({ "close_requested_at": request.close_requested_at }),
        )
        .await?
    } else {
        changed_account(
            &mut tx,
            &caller,
            id,
            "api.account.deleted",
            serde_json::json!({
                "services_cancelled": request.cancelled.iter().map(|(s, _)| s).collect::<Vec<_>>(),
                "early_termination_fees": request.cancelled.iter()
                    .filter_map(|(_, c)| c.early_termination_fee)
                    .sum::<rust_decimal::Decimal>(),
            }),
        )
        .await?
    };
    tx.commit().await.map_err(db)?;
    let status = if account.status == "closed" {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let version = account.version;
    let mut response = json_with_etag(account, version);
    *response.status_mut() = status;
    Ok(response)
}

pub(super) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Problem> {
    serde_json::to_vec(value).map_err(|e| {
        tracing::error!(error = %e, "integration API: encoding an answer");
        Problem::new(Code::Internal, "The server failed; nothing was changed.")
    })
}

//! The people of an account through the integration API: `POST /accounts/{id}/people`,
//! `PATCH` and `DELETE /accounts/{id}/people/{person_id}`, through `engine::accounts`'
//! rules (one owner, handed over by giving another person the role; a person with a login
//! or a history stays on record). Each change moves the account's version, its `ETag`:
//! an `If-Match` from the account as last read protects it.

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use engine::integrations::Scope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::accounts::{changed_account, Account, NewPerson};
use super::auth::Caller;
use super::extract::{present, ApiBody, ApiPath};
use super::idempotency::{self, json_response, parse_json};
use super::problem::{KeyedProblems, Problem};
use super::{json_with_etag, IfMatch};
use app::server::Portal;

/// What a change to a person sets; fields left out stay as they are, and `email` or
/// `phone` sent as null is cleared.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonChange {
    /// `owner` (the previous owner becomes `authorised`), `billing`, `technical` or
    /// `authorised`.
    pub role: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    pub first_name: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
}

/// A person added, and the account as it is now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonAdded {
    pub person_id: i64,
    pub account: Account,
}

/// Add a person to an account.
///
/// A person with the role `owner` becomes the owner, and the previous owner `authorised`.
#[utoipa::path(
    post,
    path = "/accounts/{id}/people",
    operation_id = "addPerson",
    tag = "accounts",
    params(
        ("id" = i64, Path, description = "The account's id"),
        ("Idempotency-Key" = String, Header, description = "Unique per request (a UUID); the same on a retry"),
        ("If-Match" = Option<String>, Header, description = "The account's ETag last read; when given, an account changed since is 412"),
    ),
    request_body(content = NewPerson, content_type = "application/json"),
    responses(
        (status = 201, description = "Added", body = PersonAdded,
         headers(("ETag" = String, description = "The account's new version"))),
        (status = 400, description = "No Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No account has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The account is closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong (named by `pointer`), or the Idempotency-Key was used for another request", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:accounts"]))
)]
pub async fn add(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(id): ApiPath<i64>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    caller.require(Scope::WriteAccounts)?;
    let request = idempotency::key_of(&headers, &Method::POST, uri.path(), &body)?;
    let if_match = IfMatch::of(&headers, false)?;
    let asked: NewPerson = parse_json(&headers, &body)?;
    let person = engine::accounts::NewPerson {
        role: asked.role,
        first_name: asked.first_name,
        last_name: asked.last_name,
        email: asked.email,
        phone: asked.phone,
    };
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    if let Some(replayed) = idempotency::replay(&mut tx, &caller, &request).await? {
        return Ok(replayed);
    }
    let (person_id, _) =
        match engine::accounts::add_person_in(&mut tx, id, IfMatch::expected(&if_match), &person)
            .await
        {
            Ok(made) => made,
            Err(e) => return Err(super::missing(&portal, id, None, e).await),
        };
    let account = changed_account(
        &mut tx,
        &caller,
        id,
        "api.person.added",
        serde_json::json!({ "person_id": person_id, "role": person.role }),
    )
    .await?;
    let answer_headers = [(header::ETAG, super::etag(account.version))];
    let body = super::accounts::encode(&PersonAdded { person_id, account })?;
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

/// Change a person of an account.
///
/// Needs `If-Match` with the account's `ETag` last read. Giving the person the role
/// `owner` hands the account over (the previous owner becomes `authorised`); the owner's
/// own role is changed only that way.
#[utoipa::path(
    patch,
    path = "/accounts/{id}/people/{person_id}",
    operation_id = "updatePerson",
    tag = "accounts",
    params(
        ("id" = i64, Path, description = "The account's id"),
        ("person_id" = i64, Path, description = "The person's id"),
        ("If-Match" = String, Header, description = "The account's ETag last read (or *)"),
    ),
    request_body(content = PersonChange, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = Account,
         headers(("ETag" = String, description = "The account's new version"))),
        (status = 400, description = "A body that is not JSON, or an If-Match that is not a list of ETags", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account, or no such person on it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The account is closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since it was read", body = Problem, content_type = "application/problem+json"),
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
    ApiPath((id, person_id)): ApiPath<(i64, i64)>,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    caller.require(Scope::WriteAccounts)?;
    let if_match = IfMatch::of(&headers, true)?;
    let asked: PersonChange = parse_json(&headers, &body)?;
    let change = engine::accounts::PersonChange {
        role: asked.role.clone(),
        first_name: asked.first_name,
        last_name: asked.last_name,
        email: asked.email,
        phone: asked.phone,
    };
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    if let Err(e) = engine::accounts::change_person_in(
        &mut tx,
        id,
        person_id,
        IfMatch::expected(&if_match),
        &change,
    )
    .await
    {
        return Err(super::missing(&portal, id, Some(("person", person_id)), e).await);
    }
    let account = changed_account(
        &mut tx,
        &caller,
        id,
        "api.person.updated",
        serde_json::json!({ "person_id": person_id, "role": asked.role }),
    )
    .await?;
    tx.commit().await.map_err(db)?;
    let version = account.version;
    Ok(json_with_etag(account, version))
}

/// Remove a person from an account.
///
/// The owner is never removed (hand the account over first), nor a person who signs in to
/// the portal or is named in the account's history: change their role or details instead.
#[utoipa::path(
    delete,
    path = "/accounts/{id}/people/{person_id}",
    operation_id = "removePerson",
    tag = "accounts",
    params(
        ("id" = i64, Path, description = "The account's id"),
        ("person_id" = i64, Path, description = "The person's id"),
        ("If-Match" = Option<String>, Header, description = "The account's ETag last read; when given, an account changed since is 412"),
    ),
    responses(
        (status = 200, description = "Removed; the account as it is now", body = Account,
         headers(("ETag" = String, description = "The account's new version"))),
        (status = 400, description = "An If-Match that is not a list of ETags", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account, or no such person on it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The owner, a person with a login or a history, or the account is closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since it was read", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:accounts"]))
)]
pub async fn remove(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath((id, person_id)): ApiPath<(i64, i64)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    caller.require(Scope::WriteAccounts)?;
    let if_match = IfMatch::of(&headers, false)?;
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    if let Err(e) =
        engine::accounts::remove_person_in(&mut tx, id, person_id, IfMatch::expected(&if_match))
            .await
    {
        return Err(super::missing(&portal, id, Some(("person", person_id)), e).await);
    }
    let account = changed_account(
        &mut tx,
        &caller,
        id,
        "api.person.removed",
        serde_json::json!({ "person_id": person_id }),
    )
    .await?;
    tx.commit().await.map_err(db)?;
    let version = account.version;
    Ok(json_with_etag(account, version))
}

//! The service addresses of an account through the integration API:
//! `POST /accounts/{id}/addresses` and `PATCH /accounts/{id}/addresses/{address_id}`,
//! through `engine::accounts`' rules (a jurisdiction the provider taxes; an address keeps
//! offering the technology of a service in force there). Addresses are never removed. Each
//! change moves the account's version, its `ETag`.

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use engine::integrations::Scope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::accounts::{changed_account, Account, NewAddress};
use super::auth::Caller;
use super::extract::{present, ApiBody, ApiPath};
use super::idempotency::{self, json_response, parse_json};
use super::problem::{KeyedProblems, Problem};
use super::{json_with_etag, IfMatch};
use app::server::Portal;

/// A correction of an address; fields left out stay as they are (`line2` sent as null is
/// cleared).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressChange {
    #[schema(min_length = 1, max_length = 200)]
    pub line1: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub line2: Option<Option<String>>,
    #[schema(min_length = 1, max_length = 100)]
    pub city: Option<String>,
    pub region: Option<String>,
    #[schema(min_length = 1, max_length = 20)]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// The taxing jurisdiction's code: its services are taxed at its rate from the next
    /// statement on.
    pub jurisdiction: Option<String>,
    /// What the network offers there; it must keep the technology of every service in
    /// force at the address.
    pub technologies: Option<Vec<String>>,
}

/// An address added, and the account as it is now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddressAdded {
    pub address_id: i64,
    pub account: Account,
}

/// Add a service address to an account.
#[utoipa::path(
    post,
    path = "/accounts/{id}/addresses",
    operation_id = "addAddress",
    tag = "accounts",
    params(
        ("id" = i64, Path, description = "The account's id"),
        ("Idempotency-Key" = String, Header, description = "Unique per request (a UUID); the same on a retry"),
        ("If-Match" = Option<String>, Header, description = "The account's ETag last read; when given, an account changed since is 412"),
    ),
    request_body(content = NewAddress, content_type = "application/json"),
    responses(
        (status = 201, description = "Added", body = AddressAdded,
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
    let asked: NewAddress = parse_json(&headers, &body)?;
    let address = engine::accounts::NewAddress {
        line1: asked.line1,
        line2: asked.line2,
        city: asked.city,
        region: asked.region,
        postal_code: asked.postal_code,
        country: asked.country,
        jurisdiction: asked.jurisdiction,
        technologies: asked.technologies,
    };
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    if let Some(replayed) = idempotency::replay(&mut tx, &caller, &request).await? {
        return Ok(replayed);
    }
    let (address_id, _) =
        match engine::accounts::add_address_in(&mut tx, id, IfMatch::expected(&if_match), &address)
            .await
        {
            Ok(made) => made,
            Err(e) => return Err(super::missing(&portal, id, None, e).await),
        };
    let account = changed_account(
        &mut tx,
        &caller,
        id,
        "api.address.added",
        serde_json::json!({ "address_id": address_id }),
    )
    .await?;
    let answer_headers = [(header::ETAG, super::etag(account.version))];
    let body = super::accounts::encode(&AddressAdded {
        address_id,
        account,
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

/// Correct a service address.
///
/// Needs `If-Match` with the account's `ETag` last read. A corrected jurisdiction taxes the
/// address's services at its rate from the next statement on (issued statements stay as
/// they are); the technologies must keep those of the services in force there.
#[utoipa::path(
    patch,
    path = "/accounts/{id}/addresses/{address_id}",
    operation_id = "updateAddress",
    tag = "accounts",
    params(
        ("id" = i64, Path, description = "The account's id"),
        ("address_id" = i64, Path, description = "The address's id"),
        ("If-Match" = String, Header, description = "The account's ETag last read (or *)"),
    ),
    request_body(content = AddressChange, content_type = "application/json"),
    responses(
        (status = 200, description = "Corrected", body = Account,
         headers(("ETag" = String, description = "The account's new version"))),
        (status = 400, description = "A body that is not JSON, or an If-Match that is not a list of ETags", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account, or no such address on it", body = Problem, content_type = "application/problem+json"),
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
    ApiPath((id, address_id)): ApiPath<(i64, i64)>,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    caller.require(Scope::WriteAccounts)?;
    let if_match = IfMatch::of(&headers, true)?;
    let asked: AddressChange = parse_json(&headers, &body)?;
    let change = engine::accounts::AddressChange {
        line1: asked.line1,
        line2: asked.line2,
        city: asked.city,
        region: asked.region,
        postal_code: asked.postal_code,
        country: asked.country,
        jurisdiction: asked.jurisdiction.clone(),
        technologies: asked.technologies.clone(),
    };
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    if let Err(e) = engine::accounts::change_address_in(
        &mut tx,
        id,
        address_id,
        IfMatch::expected(&if_match),
        &change,
    )
    .await
    {
        return Err(super::missing(&portal, id, Some(("address", address_id)), e).await);
    }
    let account = changed_account(
        &mut tx,
        &caller,
        id,
        "api.address.updated",
        serde_json::json!({
            "address_id": address_id,
            "jurisdiction": asked.jurisdiction,
            "technologies": asked.technologies,
        }),
    )
    .await?;
    tx.commit().await.map_err(db)?;
    let version = account.version;
    Ok(json_with_etag(account, version))
}

//! `POST /accounts/{id}/charges` and `/credits`: money another system posts to an account.
//! A charge is a one-time charge on the next statement, taxed at its service's rate
//! (`engine::adjustments::one_time_charge_in`, `billing::bill` rule 4); a credit is a ledger
//! credit posted at once, settling what it covers (`engine::adjustments::credit_by_key_in`,
//! the path of a staff member's credit). Both need `write:money` and stay within the key's
//! money limit, in one transaction with the idempotency record and the audit entry.

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use engine::adjustments::{self, KeyCredit, NewCharge};
use engine::integrations::Scope;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::extract::{ApiBody, ApiPath};
use super::idempotency::{self, json_response, parse_json};
use super::problem::{Code, KeyedProblems, Problem};
use app::server::Portal;

/// A one-time charge.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargeRequest {
    /// A decimal string in the account's currency ("99.00").
    #[schema(value_type = String, example = "99.00", pattern = r"^[0-9]+(\.[0-9]{1,2})?$")]
    #[serde(deserialize_with = "super::extract::decimal_string")]
    pub amount: Decimal,
    /// What the statement line says.
    #[schema(example = "Installation", min_length = 1, max_length = 300)]
    pub description: String,
    /// The service it belongs to (its tax rate); left out: the account's first taxed one.
    pub service_id: Option<i64>,
}

/// A charge recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChargeMade {
    pub charge_id: i64,
    pub account_id: i64,
    #[schema(value_type = String)]
    pub amount: Decimal,
    pub description: String,
    pub service_id: Option<i64>,
    /// Statements issued from this day bill it, with its tax.
    pub charge_on: NaiveDate,
}

/// A credit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditRequest {
    /// The credit's size, a positive decimal string ("15.00").
    #[schema(value_type = String, example = "15.00", pattern = r"^[0-9]+(\.[0-9]{1,2})?$")]
    #[serde(deserialize_with = "super::extract::decimal_string")]
    pub amount: Decimal,
    /// Why, for the subscriber and the auditors (5 to 500 characters).
    #[schema(
        example = "Goodwill: outage of 3 December",
        min_length = 5,
        max_length = 500
    )]
    pub reason: String,
}

/// A credit posted.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreditPosted {
    pub adjustment_id: i64,
    pub account_id: i64,
    #[schema(value_type = String)]
    pub amount: Decimal,
    pub reason: String,
    /// The account's balance afterwards (negative: in credit), a decimal string.
    #[schema(value_type = String)]
    pub balance: Decimal,
}

fn account_missing(account_id: i64) -> impl Fn(engine::EngineError) -> Problem {
    move |e| match e {
        engine::EngineError::NotFound => Problem::new(
            Code::NotFound,
            format!("No account has the id {account_id}."),
        ),
        other => Problem::from(other),
    }
}

/// Charge an account once.
///
/// A one-time charge on the account's next statement, taxed at its service's rate. The
/// same `Idempotency-Key` twice makes one charge.
#[utoipa::path(
    post,
    path = "/accounts/{id}/charges",
    operation_id = "chargeAccount",
    tag = "money",
    params(
        ("id" = i64, Path, description = "The account's id"),
        ("Idempotency-Key" = String, Header, description = "Unique per request (a UUID); the same on a retry"),
    ),
    request_body(content = ChargeRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded, to be billed", body = ChargeMade),
        (status = 400, description = "No Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No account has this id", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong (named by `pointer`), or the Idempotency-Key was used for another request", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:money"]))
)]
pub async fn charge(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(account_id): ApiPath<i64>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    caller.require(Scope::WriteMoney)?;
    let request = idempotency::key_of(&headers, &Method::POST, uri.path(), &body)?;
    let asked: ChargeRequest = parse_json(&headers, &body)?;
    caller.within_money_limit(asked.amount)?;
    let today = engine::clock::today(portal.config.billing.time_zone, chrono::Utc::now());
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    if let Some(replayed) = idempotency::replay(&mut tx, &caller, &request).await? {
        return Ok(replayed);
    }
    let charge = NewCharge {
        account_id,
        service_id: asked.service_id,
        description: asked.description.clone(),
        amount: asked.amount,
        on: today,
    };
    let id = adjustments::one_time_charge_in(&mut tx, &charge)
        .await
        .map_err(account_missing(account_id))?;
    super::audit_write(
        &mut tx,
        &caller,
        Some(account_id),
        "api.charge.recorded",
        serde_json::json!({ "charge_id": id, "amount": asked.amount.to_string(),
                            "description": asked.description, "service_id": asked.service_id }),
    )
    .await?;
    let answer = ChargeMade {
        charge_id: id,
        account_id,
        amount: asked.amount,
        description: charge
            .description
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        service_id: asked.service_id,
        charge_on: today,
    };
    respond(tx, &caller, &request, &answer).await
}

/// Credit an account.
///
/// Posted at once to the ledger with its reason, paying what is owed oldest first (and
/// restoring services suspended for non-payment once nothing is overdue). The same
/// `Idempotency-Key` twice posts one credit.
#[utoipa::path(
    post,
    path = "/accounts/{id}/credits",
    operation_id = "creditAccount",
    tag = "money",
    params(
        ("id" = i64, Path, description = "The account's id"),
        ("Idempotency-Key" = String, Header, description = "Unique per request (a UUID); the same on a retry"),
    ),
    request_body(content = CreditRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Posted", body = CreditPosted),
        (status = 400, description = "No Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No account has this id", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong (named by `pointer`), or the Idempotency-Key was used for another request", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:money"]))
)]
pub async fn credit(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(account_id): ApiPath<i64>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    caller.require(Scope::WriteMoney)?;
    let request = idempotency::key_of(&headers, &Method::POST, uri.path(), &body)?;
    let asked: CreditRequest = parse_json(&headers, &body)?;
    caller.within_money_limit(asked.amount)?;
    let config = &portal.config.billing;
    let today = engine::clock::today(config.time_zone, chrono::Utc::now());
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    if let Some(replayed) = idempotency::replay(&mut tx, &caller, &request).await? {
        return Ok(replayed);
    }
    let (adjustment_id, _) = adjustments::credit_by_key_in(
        &mut tx,
        config,
        &KeyCredit {
            account_id,
            amount: asked.amount,
            reason: asked.reason.clone(),
            api_key_id: caller.key_id,
            today,
        },
    )
    .await
    .map_err(account_missing(account_id))?;
    let balance: Decimal =
        sqlx::query_scalar("select balance from account_balances where account_id = $1")
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .unwrap_or_default();
    super::audit_write(
        &mut tx,
        &caller,
        Some(account_id),
        "api.credit.posted",
        serde_json::json!({ "adjustment_id": adjustment_id, "amount": asked.amount.to_string(),
                            "reason": asked.reason }),
    )
    .await?;
    let answer = CreditPosted {
        adjustment_id,
        account_id,
        amount: asked.amount,
        reason: asked
            .reason
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        balance,
    };
    respond(tx, &caller, &request, &answer).await
}

/// 201 with the answer, stored under the idempotency key, and the transaction committed.
async fn respond<T: Serialize>(
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    caller: &Caller,
    request: &idempotency::Idempotent,
    answer: &T,
) -> Result<Response, Problem> {
    let body = serde_json::to_vec(answer).map_err(|e| {
        tracing::error!(error = %e, "integration API: encoding an answer");
        Problem::new(Code::Internal, "The server failed; nothing was changed.")
    })?;
    idempotency::store(&mut tx, caller, request, StatusCode::CREATED, &[], &body).await?;
    tx.commit().await.map_err(|e| Problem::from_database(&e))?;
    Ok(json_response(StatusCode::CREATED, &[], &body))
}

//! `GET /accounts/{id}/balance`: what an account owes, as dunning, autopay and the pay page
//! see it (`engine::owed`, the one answer): the ledger's sum, what may be asked for (an
//! amount under dispute held back), whether any of it is overdue, and where each open
//! statement stands.

use axum::extract::State;
use axum::Json;
use engine::integrations::Scope;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::audit_read;
use super::auth::Caller;
use super::extract::ApiPath;
use super::problem::{Code, KeyedProblems, Problem};
use app::server::Portal;

/// An account's balance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Balance {
    pub account_id: i64,
    /// ISO 4217.
    pub currency: String,
    /// The sum of the account's ledger: positive, the subscriber owes; negative, in credit.
    #[schema(value_type = String, example = "54.10")]
    pub balance: Decimal,
    /// What may be asked for or taken now: the balance less what a dispute holds, never
    /// below zero.
    #[schema(value_type = String)]
    pub owed: Decimal,
    /// Under dispute: held from dunning and payments until staff decide.
    #[schema(value_type = String)]
    pub held: Decimal,
    /// Whether something owed (not held) was due before today, in the provider's time zone.
    pub overdue: bool,
    /// The open statements, oldest first, with what is owed on each.
    pub open_statements: Vec<StatementOwed>,
}

/// Where one open statement stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementOwed {
    pub statement_id: i64,
    /// What may be asked for on it now.
    #[schema(value_type = String)]
    pub owed: Decimal,
    /// Of what is still to pay up to it, what a dispute holds.
    #[schema(value_type = String)]
    pub held: Decimal,
}

/// An account's balance.
///
/// The same answer dunning, autopay and the portal's pay page act on.
#[utoipa::path(
    get,
    path = "/accounts/{id}/balance",
    operation_id = "getBalance",
    tag = "money",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The balance", body = Balance),
        (status = 400, description = "The id is not a whole number", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No account has this id", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["read"]))
)]
pub async fn get(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(account_id): ApiPath<i64>,
) -> Result<Json<Balance>, Problem> {
    caller.require(Scope::Read)?;
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut conn = portal.pool.acquire().await.map_err(db)?;
    let owed = match engine::owed::of_account(&mut conn, account_id).await {
        Ok(owed) => owed,
        Err(engine::EngineError::NotFound) => {
            return Err(Problem::new(
                Code::NotFound,
                format!("No account has the id {account_id}."),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    drop(conn);
    let today = engine::clock::today(portal.config.billing.time_zone, chrono::Utc::now());
    audit_read(
        &portal.pool,
        &caller,
        Some(account_id),
        "api.balance.read",
        serde_json::json!({}),
    )
    .await?;
    Ok(Json(Balance {
        account_id,
        currency: owed.currency.as_str().to_string(),
        balance: owed.balance.amount(),
        owed: owed.on_account().amount(),
        held: owed.allocation.held.amount(),
        overdue: owed.overdue(today),
        open_statements: owed
            .allocation
            .statements
            .iter()
            .filter(|s| s.owed.is_positive() || s.held.is_positive())
            .map(|s| StatementOwed {
                statement_id: s.id,
                owed: s.owed.amount(),
                held: s.held.amount(),
            })
            .collect(),
    }))
}

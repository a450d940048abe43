//! `POST /accounts/{id}/payments`: a payment the provider received outside the portal
//! (cash, cheque, bank transfer), recorded by `engine::payments::record_in`, the same path
//! as `lastmile payment` and the ledger's only way in for such payments: statements it
//! pays are settled and services suspended for non-payment restored, in one transaction
//! with the idempotency record and the audit entry. `POST /accounts/{id}/refunds`: a credit
//! paid back the same ways, by `engine::payments::refund_credit_in`.

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use engine::integrations::Scope;
use engine::payments::{self, NewPayment};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::extract::{ApiBody, ApiPath};
use super::idempotency::{self, json_response, parse_json};
use super::problem::{Code, KeyedProblems, Problem};
use app::server::Portal;

/// A payment received outside the portal.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// What was received, a decimal string in the account's currency ("54.10").
    #[schema(value_type = String, example = "54.10", pattern = r"^[0-9]+(\.[0-9]{1,2})?$")]
    #[serde(deserialize_with = "super::extract::decimal_string")]
    pub amount: Decimal,
    pub method: PaymentMethod,
    /// The provider's reference for it (a bank transfer's, a receipt number): 1 to 80
    /// characters. A reference recorded before records nothing new.
    #[schema(
        example = "BT-2026-0042",
        min_length = 1,
        max_length = 80,
        pattern = r"\S"
    )]
    pub reference: String,
    /// The day it was received, in the provider's time zone (default: today); not in the
    /// future.
    pub received_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    Cheque,
    BankTransfer,
}

impl PaymentMethod {
    fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Cheque => "cheque",
            PaymentMethod::BankTransfer => "bank_transfer",
        }
    }
}

/// What recording did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordedPayment {
    pub payment_id: i64,
    pub account_id: i64,
    #[schema(value_type = String)]
    pub amount: Decimal,
    pub currency: String,
    pub method: PaymentMethod,
    pub reference: String,
    pub received_on: NaiveDate,
    /// False when this reference had been recorded before: nothing new was written.
    pub new: bool,
    /// The account's balance afterwards (negative: in credit), a decimal string.
    #[schema(value_type = String)]
    pub balance: Decimal,
    /// Statements this payment paid.
    pub statements_paid: u64,
    /// Services it restored (suspended for non-payment).
    pub services_restored: u64,
}

/// Record a payment received outside the portal.
///
/// Posts the payment to the account's ledger, pays its statements oldest first and
/// restores services suspended for non-payment once nothing is overdue. The same
/// `reference` twice records one payment (`new: false`); the same `Idempotency-Key` twice
/// answers the first answer again.
#[utoipa::path(
    post,
    path = "/accounts/{id}/payments",
    operation_id = "recordPayment",
    tag = "money",
    params(
        ("id" = i64, Path, description = "The account's id"),
        ("Idempotency-Key" = String, Header, description = "Unique per request (a UUID); the same on a retry"),
    ),
    request_body(content = PaymentRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded", body = RecordedPayment),
        (status = 200, description = "This reference was recorded before; nothing new", body = RecordedPayment),
        (status = 400, description = "No Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No account has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The reference was recorded for another account's payment", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong (named by `pointer`), or the Idempotency-Key was used for another request", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:money"]))
)]
pub async fn record(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(account_id): ApiPath<i64>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    caller.require(Scope::WriteMoney)?;
    let request = idempotency::key_of(&headers, &Method::POST, uri.path(), &body)?;
    let asked: PaymentRequest = parse_json(&headers, &body)?;
    caller.within_money_limit(asked.amount)?;
    let config = &portal.config.billing;
    let today = engine::clock::today(config.time_zone, chrono::Utc::now());
    let received_on = asked.received_on.unwrap_or(today);
    if received_on > today {
        return Err(Problem::new(
            Code::InvalidField,
            format!(
                "{received_on} has not come yet in the provider's time zone (today is {today})."
            ),
        )
        .at_pointer("/received_on"));
    }

    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    if let Some(replayed) = idempotency::replay(&mut tx, &caller, &request).await? {
        return Ok(replayed);
    }
    let number: Option<String> =
        sqlx::query_scalar("select account_number from accounts where id = $1")
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
    let Some(account_number) = number else {
        return Err(Problem::new(
            Code::NotFound,
            format!("No account has the id {account_id}."),
        ));
    };
    let recorded = payments::record_in(
        &mut tx,
        config,
        &NewPayment {
            account_number,
            amount: asked.amount,
            method: asked.method.as_str().to_string(),
            reference: asked.reference.clone(),
            received_on,
        },
    )
    .await?;
    let answer = RecordedPayment {
        payment_id: recorded.payment_id,
        account_id,
        amount: asked.amount,
        currency: recorded.currency.as_str().to_string(),
        method: asked.method,
        reference: asked.reference.trim().to_string(),
        received_on,
        new: recorded.new,
        balance: recorded.balance,
        statements_paid: recorded.statements_paid,
        services_restored: recorded.services_restored,
    };
    let status = if recorded.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = serde_json::to_vec(&answer).map_err(|e| {
        tracing::error!(error = %e, "integration API: encoding a payment");
        Problem::new(Code::Internal, "The server failed; nothing was changed.")
    })?;
    super::audit_write(
        &mut tx,
        &caller,
        Some(account_id),
        "api.payment.recorded",
        serde_json::json!({
            "payment_id": recorded.payment_id,
            "amount": asked.amount.to_string(),
            "method": asked.method.as_str(),
            "reference": answer.reference,
            "new": recorded.new,
        }),
    )
    .await?;
    idempotency::store(&mut tx, &caller, &request, status, &[], &body).await?;
    tx.commit().await.map_err(db)?;
    Ok(json_response(status, &[], &body))
}

/// A credit paid back to the subscriber outside the portal.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// What was paid back, a decimal string in the account's currency: at most what the
    /// account is in credit by.
    #[schema(value_type = String, example = "37.26", pattern = r"^[0-9]+(\.[0-9]{1,2})?$")]
    #[serde(deserialize_with = "super::extract::decimal_string")]
    pub amount: Decimal,
    pub method: PaymentMethod,
    /// The provider's reference for it: 1 to 80 characters. A reference recorded before
    /// records nothing new.
    #[schema(
        example = "RF-2026-0007",
        min_length = 1,
        max_length = 80,
        pattern = r"\S"
    )]
    pub reference: String,
    /// The day it was paid, in the provider's time zone (default: today); not in the future.
    pub paid_on: Option<NaiveDate>,
}

/// What recording a refund did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordedRefund {
    /// The ledger entry (kind `refund`).
    pub ledger_entry_id: i64,
    pub account_id: i64,
    #[schema(value_type = String)]
    pub amount: Decimal,
    pub currency: String,
    pub method: PaymentMethod,
    pub reference: String,
    pub paid_on: NaiveDate,
    /// False when this reference had been recorded before: nothing new was written.
    pub new: bool,
    /// The account's balance afterwards (negative: still in credit), a decimal string.
    #[schema(value_type = String)]
    pub balance: Decimal,
}

/// Record a credit paid back.
///
/// An account in credit (it paid more than it was charged, or its final statement refunded
/// unused days) is paid back outside the portal; this records it in the ledger. It pays
/// back credit only: more than the account is in credit by is 422. An account asked to
/// close waits for its credit to be paid back before it closes.
#[utoipa::path(
    post,
    path = "/accounts/{id}/refunds",
    operation_id = "recordRefund",
    tag = "money",
    params(
        ("id" = i64, Path, description = "The account's id"),
        ("Idempotency-Key" = String, Header, description = "Unique per request (a UUID); the same on a retry"),
    ),
    request_body(content = RefundRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded", body = RecordedRefund),
        (status = 200, description = "This reference was recorded before; nothing new", body = RecordedRefund),
        (status = 400, description = "No Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No account has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The reference was recorded for another account's refund", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is wrong (named by `pointer`): more than the credit, say", body = Problem, content_type = "application/problem+json"),
        KeyedProblems,
    ),
    security(("api_key" = ["write:money"]))
)]
pub async fn refund(
    caller: Caller,
    State(portal): State<Portal>,
    ApiPath(account_id): ApiPath<i64>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ApiBody(body): ApiBody,
) -> Result<Response, Problem> {
    caller.require(Scope::WriteMoney)?;
    let request = idempotency::key_of(&headers, &Method::POST, uri.path(), &body)?;
    let asked: RefundRequest = parse_json(&headers, &body)?;
    caller.within_money_limit(asked.amount)?;
    let config = &portal.config.billing;
    let today = engine::clock::today(config.time_zone, chrono::Utc::now());
    let paid_on = asked.paid_on.unwrap_or(today);
    if paid_on > today {
        return Err(Problem::new(
            Code::InvalidField,
            format!("{paid_on} has not come yet in the provider's time zone (today is {today})."),
        )
        .at_pointer("/paid_on"));
    }
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let mut tx = portal.pool.begin().await.map_err(db)?;
    if let Some(replayed) = idempotency::replay(&mut tx, &caller, &request).await? {
        return Ok(replayed);
    }
    let refunded = match payments::refund_credit_in(
        &mut tx,
        &payments::NewRefund {
            account_id,
            amount: asked.amount,
            method: asked.method.as_str().to_string(),
            reference: asked.reference.clone(),
            paid_on,
        },
    )
    .await
    {
        Ok(refunded) => refunded,
        Err(e) => return Err(super::missing(&portal, account_id, None, e).await),
    };
    let answer = RecordedRefund {
        ledger_entry_id: refunded.ledger_entry_id,
        account_id,
        amount: asked.amount,
        currency: refunded.currency.as_str().to_string(),
        method: asked.method,
        reference: asked.reference.trim().to_string(),
        paid_on,
        new: refunded.new,
        balance: refunded.balance,
    };
    let status = if refunded.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = super::accounts::encode(&answer)?;
    super::audit_write(
        &mut tx,
        &caller,
        Some(account_id),
        "api.refund.recorded",
        serde_json::json!({
            "ledger_entry_id": refunded.ledger_entry_id,
            "amount": asked.amount.to_string(),
            "method": asked.method.as_str(),
            "reference": answer.reference,
            "new": refunded.new,
        }),
    )
    .await?;
    idempotency::store(&mut tx, &caller, &request, status, &[], &body).await?;
    tx.commit().await.map_err(db)?;
    Ok(json_response(status, &[], &body))
}

//! Errors as `application/problem+json` (RFC 9457): every 4xx and 5xx the API answers is a
//! [`Problem`] with a stable `code` from [`Code`], and, when one field or parameter is at
//! fault, its name (`pointer`, a JSON Pointer into the request body, or `parameter`).

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The problems the API answers with. A code, once published, keeps its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// No `Authorization: Bearer` header.
    Unauthenticated,
    /// A key that does not exist, was revoked, or was rotated out more than 24 hours ago.
    InvalidKey,
    /// The key lacks the scope the operation needs.
    InsufficientScope,
    /// An amount above the key's money limit.
    OverMoneyLimit,
    /// The key's requests per minute are spent.
    RateLimited,
    /// No such resource (or not one this key may see).
    NotFound,
    /// The path exists, the method does not.
    MethodNotAllowed,
    /// The body is not JSON, or not an object of the documented shape.
    MalformedJson,
    /// A body that is not `application/json`.
    UnsupportedMediaType,
    /// A body larger than the API takes.
    PayloadTooLarge,
    /// A POST without an `Idempotency-Key` header.
    IdempotencyKeyMissing,
    /// The `Idempotency-Key` was used before with another request.
    IdempotencyKeyReused,
    /// A query or path parameter is wrong.
    InvalidParameter,
    /// A field of the body is wrong.
    InvalidField,
    /// The request conflicts with what is stored.
    Conflict,
    /// `If-Match` names a version that is no longer the current one.
    PreconditionFailed,
    /// A change that needs `If-Match` came without it.
    PreconditionRequired,
    /// The server failed; nothing was changed.
    Internal,
    /// A part the server needs (the database) is not answering; try again.
    Unavailable,
}

impl Code {
    /// Every code, in the order the reference lists them.
    pub const ALL: [Code; 19] = [
        Code::Unauthenticated,
        Code::InvalidKey,
        Code::InsufficientScope,
        Code::OverMoneyLimit,
        Code::RateLimited,
        Code::NotFound,
        Code::MethodNotAllowed,
        Code::MalformedJson,
        Code::UnsupportedMediaType,
        Code::PayloadTooLarge,
        Code::IdempotencyKeyMissing,
        Code::IdempotencyKeyReused,
        Code::InvalidParameter,
        Code::InvalidField,
        Code::Conflict,
        Code::PreconditionFailed,
        Code::PreconditionRequired,
        Code::Internal,
        Code::Unavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::Unauthenticated => "unauthenticated",
            Code::InvalidKey => "invalid_key",
            Code::InsufficientScope => "insufficient_scope",
            Code::OverMoneyLimit => "over_money_limit",
            Code::RateLimited => "rate_limited",
            Code::NotFound => "not_found",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::MalformedJson => "malformed_json",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::PayloadTooLarge => "payload_too_large",
            Code::IdempotencyKeyMissing => "idempotency_key_missing",
            Code::IdempotencyKeyReused => "idempotency_key_reused",
            Code::InvalidParameter => "invalid_parameter",
            Code::InvalidField => "invalid_field",
            Code::Conflict => "conflict",
            Code::PreconditionFailed => "precondition_failed",
            Code::PreconditionRequired => "precondition_required",
            Code::Internal => "internal",
            Code::Unavailable => "unavailable",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Code::Unauthenticated | Code::InvalidKey => StatusCode::UNAUTHORIZED,
            Code::InsufficientScope | Code::OverMoneyLimit => StatusCode::FORBIDDEN,
            Code::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Code::MalformedJson | Code::InvalidParameter | Code::IdempotencyKeyMissing => {
                StatusCode::BAD_REQUEST
            }
            Code::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::InvalidField | Code::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Code::Conflict => StatusCode::CONFLICT,
            Code::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Code::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The short, unchanging summary (`title`).
    pub fn title(self) -> &'static str {
        match self {
            Code::Unauthenticated => "An API key is needed",
            Code::InvalidKey => "The API key is not valid",
            Code::InsufficientScope => "The API key may not do this",
            Code::OverMoneyLimit => "The amount is above the API key's limit",
            Code::RateLimited => "Too many requests",
            Code::NotFound => "Not found",
            Code::MethodNotAllowed => "Method not allowed",
            Code::MalformedJson => "The body is not valid JSON of the expected shape",
            Code::UnsupportedMediaType => "The body must be application/json",
            Code::PayloadTooLarge => "The body is too large",
            Code::IdempotencyKeyMissing => "An Idempotency-Key header is needed",
            Code::IdempotencyKeyReused => "The Idempotency-Key was used for another request",
            Code::InvalidParameter => "A parameter is not valid",
            Code::InvalidField => "A field is not valid",
            Code::Conflict => "The request conflicts with the current state",
            Code::PreconditionFailed => "Changed since it was read",
            Code::PreconditionRequired => "An If-Match header is needed",
            Code::Internal => "The server failed",
            Code::Unavailable => "Temporarily unavailable",
        }
    }
}

/// A problem (RFC 9457).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Problem {
    /// Where the kind of problem is explained: the reference page's anchor for `code`.
    #[serde(rename = "type")]
    #[schema(example = "/api/v1/docs#problem-invalid_field")]
    pub kind: String,
    /// The kind of problem, the same for every occurrence.
    pub title: String,
    /// The HTTP status, repeated.
    pub status: u16,
    /// What went wrong this time, in words for the integrator.
    pub detail: String,
    /// The stable code: one of those listed on the reference page.
    #[schema(example = "invalid_field")]
    pub code: String,
    /// The body field at fault, as a JSON Pointer (RFC 6901).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "/amount")]
    pub pointer: Option<String>,
    /// The query or path parameter at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// When several fields are wrong (the records of a usage batch): each of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    #[serde(skip)]
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// One of several fields at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldProblem {
    /// A JSON Pointer into the request body.
    #[schema(example = "/records/3/end")]
    pub pointer: String,
    pub detail: String,
}

impl Problem {
    pub fn new(code: Code, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("/api/v1/docs#problem-{}", code.as_str()),
            title: code.title().to_string(),
            status: code.status().as_u16(),
            detail: detail.into(),
            code: code.as_str().to_string(),
            pointer: None,
            parameter: None,
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// The body field at fault, as a JSON Pointer (`/amount`, `/people/0/email`).
    pub fn at_pointer(mut self, pointer: impl Into<String>) -> Problem {
        self.pointer = Some(pointer.into());
        self
    }

    /// The query or path parameter at fault.
    pub fn at_parameter(mut self, parameter: impl Into<String>) -> Problem {
        self.parameter = Some(parameter.into());
        self
    }

    /// Every field at fault, when there are several.
    pub fn with_errors(mut self, errors: Vec<FieldProblem>) -> Problem {
        self.errors = errors;
        self
    }

    /// A header to send with the problem.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Problem {
        self.headers.push((name, value));
        self
    }

    /// 503: the database is down or restarting; nothing was changed.
    pub fn database_down() -> Problem {
        Problem::new(
            Code::Unavailable,
            "The database is not answering; nothing was changed. Try again shortly.",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("5"))
    }

    /// The database failed: 503 when it could not be reached; 422 when it refused a value
    /// (out of range, a character it cannot store, a check), 409 when a unique key did;
    /// 500 otherwise (logged).
    pub fn from_database(error: &sqlx::Error) -> Problem {
        if let sqlx::Error::Database(e) = error {
            let code = e.code().unwrap_or_default();
            if code.starts_with("22") || code == "23514" {
                return Problem::new(
                    Code::InvalidField,
                    format!("A value cannot be stored: {}", e.message()),
                );
            }
            if code == "23505" {
                return Problem::new(
                    Code::Conflict,
                    "This conflicts with something already recorded.",
                );
            }
        }
        if engine::database::is_unreachable(error) {
            tracing::warn!(%error, "integration API: the database is unavailable");
            Problem::database_down()
        } else {
            tracing::error!(%error, "integration API: database error");
            Problem::new(Code::Internal, "The server failed; nothing was changed.")
        }
    }
}

impl Problem {
    /// An error of the app's queries (shared with the portal): a field named, a conflict,
    /// or a failure (logged, never sent).
    pub fn from_app(error: app::error::AppError) -> Problem {
        use app::error::AppError as A;
        match error {
            A::InvalidInput { field, message } if field.is_empty() => {
                Problem::new(Code::InvalidField, message)
            }
            A::InvalidInput { field, message } => {
                Problem::new(Code::InvalidField, message).at_pointer(format!("/{field}"))
            }
            A::NotFound => Problem::new(Code::NotFound, "No such resource."),
            A::Conflict { message } => Problem::new(Code::Conflict, message),
            A::DatabaseDown => Problem::database_down(),
            A::Unavailable => Problem::new(
                Code::Unavailable,
                "A part the server needs is not answering; try again shortly.",
            ),
            other => {
                tracing::error!(error = %other, "integration API: app error");
                Problem::new(Code::Internal, "The server failed; nothing was changed.")
            }
        }
    }
}

impl From<engine::EngineError> for Problem {
    fn from(error: engine::EngineError) -> Problem {
        use engine::EngineError as E;
        match error {
            E::Database(e) => Problem::from_database(&e),
            E::NotFound | E::NoSuchAccount(_) => Problem::new(Code::NotFound, "No such resource."),
            E::InvalidField { field, message } => {
                Problem::new(Code::InvalidField, message).at_pointer(format!("/{field}"))
            }
            E::InvalidItem {
                list,
                index,
                field,
                message,
            } => Problem::new(Code::InvalidField, message)
                .at_pointer(format!("/{list}/{index}/{field}")),
            E::Stale { current } => Problem::new(
                Code::PreconditionFailed,
                format!(
                    "It was changed since you read it; it is now at version {current}. Read it again and decide."
                ),
            )
            .with_header(
                header::ETAG,
                HeaderValue::from_str(&super::etag(current)).unwrap_or(HeaderValue::from_static("\"0\"")),
            ),
            E::Invalid(message) => Problem::new(Code::InvalidField, message),
            E::Conflict(message) => Problem::new(Code::Conflict, message),
            other => {
                tracing::error!(error = %other, "integration API: engine error");
                Problem::new(Code::Internal, "The server failed; nothing was changed.")
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (
            status,
            [
                (header::CONTENT_TYPE, "application/problem+json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response();
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_errors_are_errors() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            assert!(code.status().as_u16() >= 400, "{}", code.as_str());
        }
    }

    #[test]
    fn a_field_problem_names_the_field_and_its_anchor() {
        let p = Problem::from(engine::EngineError::InvalidField {
            field: "amount",
            message: "at most two decimals".into(),
        });
        let json = serde_json::to_value(&p).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "type": "/api/v1/docs#problem-invalid_field",
                "title": "A field is not valid",
                "status": 422,
                "detail": "at most two decimals",
                "code": "invalid_field",
                "pointer": "/amount",
            })
        );
    }
}

/// The answers every keyed operation may give before it runs, documented once (each
/// operation's own `responses` adds its success and its other problems).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // a documentation type: the problems themselves are made by `Problem`
pub enum KeyedProblems {
    /// No key, or not a valid one (mistyped, revoked, or rotated out over 24 hours ago).
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// The key lacks the scope the operation needs (or an amount is above its money limit).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// The key's budget is spent: see `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json")]
    RateLimited(Problem),
}

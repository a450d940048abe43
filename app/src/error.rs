//! The one error type that crosses from the server to the browser.
//!
//! It carries a stable code (for programs and tests) and nothing internal: database errors
//! and other unexpected failures are logged once, where they happen, and reach the browser
//! only as [`AppError::Internal`]. The words a person reads come from [`crate::i18n`].

use leptos::prelude::FromServerFnError;
use leptos::server_fn::{codec::JsonEncoding, error::ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A failure a caller can be told about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    /// Nobody is signed in, or the session has ended.
    #[error("unauthenticated")]
    Unauthenticated,
    /// The caller is known but their role does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// Refused while a staff member views the account as its subscriber: the view is
    /// read-only, and this action needs the subscriber themselves (or a stronger role).
    #[error("read_only")]
    ReadOnly,
    /// The thing does not exist, or the caller may not know that it does.
    #[error("not_found")]
    NotFound,
    /// The sign-in details do not match an account.
    #[error("invalid_credentials")]
    InvalidCredentials,
    /// Too many failed sign-ins; try again after the given number of seconds.
    #[error("throttled")]
    Throttled { retry_after_secs: u32 },
    /// One field of a form is wrong; `message` is already in the caller's language.
    #[error("invalid_input")]
    InvalidInput { field: String, message: String },
    /// A password-reset link that is unknown, used or expired.
    #[error("reset_link_invalid")]
    ResetLinkInvalid,
    /// The request was refused before it was read (cross-site, malformed).
    #[error("bad_request")]
    BadRequest,
    /// The request no longer matches what is stored (another tab or person changed it
    /// first); `message` says what, in the caller's language.
    #[error("conflict")]
    Conflict { message: String },
    /// The card was declined or could not be charged; `message` says why in plain words.
    #[error("payment_failed")]
    PaymentFailed { reason: String, message: String },
    /// A service we depend on (the card processor) did not answer; nothing was changed.
    #[error("unavailable")]
    Unavailable,
    /// The database is down or restarting (see `engine::database`); nothing was changed, and
    /// the same request will work again shortly.
    #[error("database_down")]
    DatabaseDown,
    /// Something failed on our side; the cause is in the server's log.
    #[error("internal")]
    Internal,
}

impl AppError {
    /// The stable code, as sent on the wire.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::ReadOnly => "read_only",
            AppError::NotFound => "not_found",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Throttled { .. } => "throttled",
            AppError::InvalidInput { .. } => "invalid_input",
            AppError::ResetLinkInvalid => "reset_link_invalid",
            AppError::BadRequest => "bad_request",
            AppError::Conflict { .. } => "conflict",
            AppError::PaymentFailed { .. } => "payment_failed",
            AppError::Unavailable => "unavailable",
            AppError::DatabaseDown => "database_down",
            AppError::Internal => "internal",
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden | AppError::ReadOnly => 403,
            AppError::NotFound => 404,
            AppError::InvalidCredentials => 401,
            AppError::Throttled { .. } => 429,
            AppError::InvalidInput { .. } | AppError::ResetLinkInvalid => 422,
            AppError::BadRequest => 400,
            AppError::Conflict { .. } => 409,
            AppError::PaymentFailed { .. } => 402,
            AppError::Unavailable | AppError::DatabaseDown => 503,
            AppError::Internal => 500,
        }
    }

    /// The field a form should show this error beside, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::InvalidInput { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Logs an unexpected failure once and turns it into [`AppError::Internal`].
    #[cfg(feature = "ssr")]
    pub fn internal(context: &str, cause: impl std::fmt::Display) -> AppError {
        tracing::error!(error = %cause, "{context}");
        AppError::Internal
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if engine::database::is_unreachable(&e) {
            tracing::warn!(error = %e, "the database is unreachable");
            return AppError::DatabaseDown;
        }
        if is_unstorable_input(&e) {
            tracing::warn!(error = %e, "refused a value the database cannot take");
            return AppError::BadRequest;
        }
        AppError::internal("database error", e)
    }
}

/// Whether the database refused a value a caller sent rather than failed: a character it
/// cannot store (a NUL byte), text too long for its column, a number or date out of range,
/// text that is not the number it should be. Such a request is answered 400, not 500.
#[cfg(feature = "ssr")]
fn is_unstorable_input(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(e) = error else {
        return false;
    };
    matches!(
        e.code().as_deref(),
        Some("22021" | "22P05" | "22001" | "22003" | "22007" | "22008" | "22P02")
    )
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => AppError::BadRequest,
            _ => AppError::Internal,
        };
        // A request the server could not read is answered 400, not 500.
        #[cfg(feature = "ssr")]
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(
                http::StatusCode::from_u16(error.status())
                    .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
        error
    }
}

#[cfg(feature = "ssr")]
impl From<engine::EngineError> for AppError {
    fn from(e: engine::EngineError) -> Self {
        use engine::EngineError as E;
        match e {
            E::NotFound | E::NoSuchAccount(_) => AppError::NotFound,
            E::Conflict(message) => AppError::Conflict { message },
            E::InvalidField { field, message } => AppError::InvalidInput {
                field: field.to_string(),
                message,
            },
            E::InvalidItem {
                list,
                index,
                field,
                message,
            } => AppError::InvalidInput {
                field: format!("{list}.{index}.{field}"),
                message,
            },
            E::Stale { .. } => AppError::Conflict {
                message: "This was changed meanwhile; reload and try again.".into(),
            },
            E::Invalid(message) => AppError::InvalidInput {
                field: String::new(),
                message,
            },
            E::Database(e) => e.into(),
            E::Stripe(cause) => {
                tracing::warn!(error = %cause, "stripe request failed");
                AppError::Unavailable
            }
            other => AppError::internal("billing engine", other),
        }
    }
}

//! Path and query extractors whose rejections are problems naming the parameter, instead of
//! axum's plain-text 400.

use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, MatchedPath, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::problem::{Code, Problem};

/// `Path<T>`, refused as an `invalid_parameter` problem.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => {
                let text = rejection.body_text();
                // The name of the parameter at fault: given with several parameters; with
                // one, the route's only `{name}`.
                let name = match &rejection {
                    PathRejection::FailedToDeserializePathParams(e) => match e.kind() {
                        ErrorKind::ParseErrorAtKey { key, .. } => Some(key.clone()),
                        _ => None,
                    },
                    _ => None,
                }
                .or_else(|| {
                    let route = parts.extensions.get::<MatchedPath>()?.as_str();
                    let mut names = route
                        .split('/')
                        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'));
                    let first = names.next()?;
                    names.next().is_none().then(|| first.to_string())
                });
                let detail = text
                    .strip_prefix("Invalid URL: ")
                    .unwrap_or(&text)
                    .to_string();
                let mut problem = Problem::new(Code::InvalidParameter, detail);
                if let Some(name) = name {
                    problem = problem.at_parameter(name);
                }
                Err(problem)
            }
        }
    }
}

/// `Query<T>`, refused as an `invalid_parameter` problem.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => {
                let text = rejection.body_text();
                // serde_urlencoded names the field first: "Failed to deserialize query
                // string: limit: invalid digit found in string".
                let detail = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text)
                    .to_string();
                let name = detail
                    .split_once(": ")
                    .map(|(name, _)| name.to_string())
                    .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
                let mut problem = Problem::new(Code::InvalidParameter, detail);
                if let Some(name) = name {
                    problem = problem.at_parameter(name);
                }
                Err(problem)
            }
        }
    }
}

/// The raw body (kept whole: its bytes are the idempotency fingerprint), with the size
/// refused as a problem. The API's bodies may be up to [`MAX_BODY_BYTES`].
pub struct ApiBody(pub axum::body::Bytes);

/// The largest body the API takes (a batch of 50,000 usage records fits).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

impl<S: Send + Sync> axum::extract::FromRequest<S> for ApiBody {
    type Rejection = Problem;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Problem> {
        match axum::body::Bytes::from_request(request, state).await {
            Ok(bytes) => Ok(ApiBody(bytes)),
            Err(rejection) if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(Problem::new(
                    Code::PayloadTooLarge,
                    format!(
                        "A body may be at most {} MiB.",
                        MAX_BODY_BYTES / (1024 * 1024)
                    ),
                ))
            }
            Err(rejection) => Err(Problem::new(Code::MalformedJson, rejection.body_text())),
        }
    }
}

/// A money amount in a body: a decimal string ("54.10") only. A JSON number is refused,
/// since a client's float may already have lost a cent.
pub fn decimal_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<rust_decimal::Decimal, D::Error> {
    use serde::de::{Error, Unexpected};
    let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)
        .map_err(|_| D::Error::custom("an amount is a decimal string, such as \"54.10\""))?;
    text.trim().parse::<rust_decimal::Decimal>().map_err(|_| {
        D::Error::invalid_value(
            Unexpected::Str(&text),
            &"a decimal string, such as \"54.10\"",
        )
    })
}

/// [`decimal_string`] for a field that may be left out or null.
pub fn optional_decimal_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<rust_decimal::Decimal>, D::Error> {
    #[derive(serde::Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "decimal_string")] rust_decimal::Decimal);
    Ok(<Option<Wrapped> as serde::Deserialize>::deserialize(deserializer)?.map(|w| w.0))
}

/// A field that may be left out (`None`), sent as null (`Some(None)`: clear it) or sent
/// with a value; use with `#[serde(default, deserialize_with = "present")]`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

//! Who is calling: every operation but the document and its reference page needs an API
//! key (`Authorization: Bearer lmk_…`). [`authenticate`] finds the key and takes the
//! request from its rate budget in one statement ([`engine::integrations::authenticate`]),
//! refuses with 401 or 429, and puts the [`Caller`] in the request; each handler then says
//! which [`Scope`] it needs ([`Caller::require`]) before it reads anything.
//!
//! Every answer to a known key carries its budget, as the IETF draft
//! (draft-ietf-httpapi-ratelimit-headers) writes it:
//! `RateLimit-Policy: "key";q=600;w=60` and `RateLimit: "key";r=598;t=1`.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use engine::integrations::{self, RateDecision, Scope, RATE_WINDOW_SECONDS};
use rust_decimal::Decimal;

use super::problem::{Code, Problem};
use app::server::staff::audit::RequestInfo;
use app::server::Portal;

/// The key a request was made with, proved by [`authenticate`].
#[derive(Debug, Clone)]
pub struct Caller {
    pub key_id: i64,
    pub key_name: String,
    pub integration: String,
    scopes: Vec<Scope>,
    /// The most one charge, credit or payment may be.
    pub money_limit: Option<Decimal>,
    /// Where the request came from, for the audit log.
    pub request: RequestInfo,
}

impl Caller {
    /// Refuses (403) unless the key has `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), Problem> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(Problem::new(
                Code::InsufficientScope,
                format!(
                    "This operation needs the scope {:?}; the key {:?} has {}.",
                    scope.as_str(),
                    self.key_name,
                    self.scopes
                        .iter()
                        .map(|s| format!("{:?}", s.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
    }

    /// Refuses (403, at the body's `/amount`) an amount above the key's money limit.
    pub fn within_money_limit(&self, amount: Decimal) -> Result<(), Problem> {
        match self.money_limit {
            Some(limit) if amount > limit => Err(Problem::new(
                Code::OverMoneyLimit,
                format!(
                    "The key {:?} may post at most {limit} at once.",
                    self.key_name
                ),
            )
            .at_pointer("/amount")),
            _ => Ok(()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            tracing::error!("an API handler was reached without the key check");
            Problem::new(Code::Internal, "The server failed; nothing was changed.")
        })
    }
}

/// The middleware in front of every keyed operation.
pub async fn authenticate(
    State(portal): State<Portal>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = match bearer(request.headers()) {
        Some(token) => token,
        None => {
            return Problem::new(
                Code::Unauthenticated,
                "Send the API key in the header `Authorization: Bearer <key>`.",
            )
            .with_header(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"lastmile\""),
            )
            .into_response()
        }
    };
    let key = match integrations::authenticate(&portal.pool, &token).await {
        Ok(Some(key)) => key,
        Ok(None) => {
            return Problem::new(
                Code::InvalidKey,
                "No key has this token: it is mistyped, revoked, or was rotated out more than 24 hours ago.",
            )
            .with_header(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"lastmile\", error=\"invalid_token\""),
            )
            .into_response()
        }
        Err(engine::EngineError::Database(e)) => return Problem::from_database(&e).into_response(),
        Err(e) => return Problem::from(e).into_response(),
    };
    let budget = rate_headers(&key.rate);
    if !key.rate.allowed {
        let mut problem = Problem::new(
            Code::RateLimited,
            format!(
                "The key {:?} may make {} requests a minute; try again in {} s.",
                key.key_name, key.rate.quota, key.rate.retry_after_seconds
            ),
        )
        .with_header(
            header::RETRY_AFTER,
            HeaderValue::from(key.rate.retry_after_seconds),
        );
        for (name, value) in budget {
            problem = problem.with_header(name, value);
        }
        return problem.into_response();
    }
    let info = RequestInfo::of(
        request.headers(),
        request.extensions(),
        request.uri().path(),
    );
    request.extensions_mut().insert(Caller {
        request: info,
        key_id: key.key_id,
        key_name: key.key_name,
        integration: key.integration,
        scopes: key.scopes,
        money_limit: key.money_limit,
    });
    let mut response = next.run(request).await;
    for (name, value) in budget {
        response.headers_mut().insert(name, value);
    }
    response
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case, RFC 9110 §11.1).
fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

/// The `RateLimit-Policy` and `RateLimit` headers of a decision.
pub fn rate_headers(rate: &RateDecision) -> Vec<(HeaderName, HeaderValue)> {
    let policy = format!("\"key\";q={};w={RATE_WINDOW_SECONDS}", rate.quota);
    let now = format!("\"key\";r={};t={}", rate.remaining, rate.reset_seconds);
    [("ratelimit-policy", policy), ("ratelimit", now)]
        .into_iter()
        .filter_map(|(name, value)| {
            Some((
                HeaderName::from_static(name),
                HeaderValue::from_str(&value).ok()?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_token_is_read_in_any_case_of_the_scheme() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  lmk_abc "),
        );
        assert_eq!(bearer(&h).as_deref(), Some("lmk_abc"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic dXNlcjpwYXNz"),
        );
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn budget_headers_follow_the_draft() {
        let headers = rate_headers(&RateDecision {
            allowed: true,
            quota: 600,
            remaining: 598,
            reset_seconds: 1,
            retry_after_seconds: 0,
        });
        let text: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().expect("ascii").to_string()))
            .collect();
        assert_eq!(
            text,
            vec![
                ("ratelimit-policy".into(), "\"key\";q=600;w=60".into()),
                ("ratelimit".into(), "\"key\";r=598;t=1".into()),
            ]
        );
    }
}

//! Server functions: the browser's only way in. Each one first establishes who is calling
//! (`server::access`), then calls the server code and returns wire types.

pub mod account;
pub mod adjustments;
pub mod auth;
pub mod console;
pub mod integrations;
pub mod network;
pub mod outages;
pub mod payments;
pub mod plans;
pub mod reconciliation;
pub mod reports;
pub mod security;
pub mod staff;
pub mod statements;
pub mod tickets;
pub mod usage;

/// Answers a failed server function with the error's own HTTP status (401, 404, 422, 429…)
/// instead of a blanket 500. Plain form posts (no JavaScript) keep Leptos' redirect back.
/// Every server function ends here, so this is also where a request's [`ServerCalls`] are
/// counted.
///
/// [`ServerCalls`]: crate::server::ServerCalls
#[cfg(feature = "ssr")]
pub(crate) fn respond<T>(
    result: Result<T, crate::error::AppError>,
) -> Result<T, crate::error::AppError> {
    use leptos::prelude::use_context;
    if let Some(calls) = crate::server::access::from_request::<crate::server::ServerCalls>() {
        calls.add();
    }
    if let Err(error) = &result {
        let plain_form_post = use_context::<http::request::Parts>()
            .and_then(|p| {
                p.headers
                    .get(http::header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.contains("text/html"))
            })
            .unwrap_or(false);
        if let (false, Some(response)) = (
            plain_form_post,
            use_context::<leptos_axum::ResponseOptions>(),
        ) {
            response.set_status(
                http::StatusCode::from_u16(error.status())
                    .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
    }
    result
}

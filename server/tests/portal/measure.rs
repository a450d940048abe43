//! What serving one request costs: the server functions it ran and the SQL statements it
//! sent, counted for every request the test server answers and reported in two response
//! headers that only the tests' server adds (`x-test-server-calls`, `x-test-queries`).
//!
//! - Server functions are counted by the app itself: every one ends in `api::respond`, which
//!   adds to the request's `ServerCalls` when the request carries one (put there below).
//! - Statements are counted from sqlx's own `sqlx::query` event, one per statement executed.
//!   An event is the request's when it happens inside the request's span (middleware, the
//!   session store) or inside the Leptos render of that request (server functions called
//!   while rendering run in tasks of their own, but with the request in their context).

use std::sync::{Arc, Mutex, Once};

use app::server::ServerCalls;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// What one request cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Server functions run (a page's data loaders, or the one called).
    pub server_calls: u32,
    /// SQL statements sent to PostgreSQL, `begin` and `commit` included.
    pub queries: u32,
}

impl Cost {
    pub fn of(response: &reqwest::Response) -> Cost {
        let header =
            |name: &str| -> u32 { response.headers()[name].to_str().unwrap().parse().unwrap() };
        Cost {
            server_calls: header("x-test-server-calls"),
            queries: header("x-test-queries"),
        }
    }
}

/// The statements of one request (their first words, for `PORTAL_TEST_QUERIES=1`).
#[derive(Clone, Debug, Default)]
struct Queries(Arc<Mutex<Vec<String>>>);

const TARGET: &str = "portal_tests::measure";

/// Counts each request's server functions and statements (a middleware the tests' server
/// puts in front of the real router).
pub async fn measure(mut request: Request, next: Next) -> Response {
    let calls = ServerCalls::default();
    let queries = Queries::default();
    request.extensions_mut().insert(calls.clone());
    request.extensions_mut().insert(queries.clone());
    let span = tracing::info_span!(target: TARGET, "measured request");
    span.with_subscriber(|(id, dispatch)| {
        if let Some(registry) = dispatch.downcast_ref::<tracing_subscriber::Registry>() {
            if let Some(span) = registry.span(id) {
                span.extensions_mut().insert(queries.clone());
            }
        }
    });
    let path = request.uri().path().to_string();
    let mut response = next.run(request).instrument(span).await;
    let statements = queries.0.lock().unwrap().clone();
    if std::env::var_os("PORTAL_TEST_QUERIES").is_some() {
        eprintln!(
            "{path}: {} server calls\n  {}",
            calls.count(),
            statements.join("\n  ")
        );
    }
    let headers = response.headers_mut();
    headers.insert("x-test-server-calls", calls.count().into());
    headers.insert("x-test-queries", (statements.len() as u32).into());
    response
}

/// Adds each `sqlx::query` event to the request it belongs to.
struct QueryCounter;

impl<S> Layer<S> for QueryCounter
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let in_render = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Queries>().cloned());
        let in_span = || {
            ctx.event_scope(event)?
                .find_map(|span| span.extensions().get::<Queries>().cloned())
        };
        if let Some(queries) = in_render.or_else(in_span) {
            let mut summary = Summary(String::new());
            event.record(&mut summary);
            queries.0.lock().unwrap().push(summary.0);
        }
    }
}

/// The statement's summary, as sqlx writes it (its first words).
struct Summary(String);

impl tracing::field::Visit for Summary {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "summary" {
            self.0 = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.0 = format!("{value:?}");
        }
    }
}

/// The test binary's subscriber: nothing but the statement counter, which needs sqlx's
/// statement events (debug level) and the measuring span.
pub fn install_query_counter() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let wanted = Targets::new()
            .with_target("sqlx::query", tracing::Level::TRACE)
            .with_target(TARGET, tracing::Level::TRACE);
        let _ = tracing_subscriber::registry()
            .with(QueryCounter.with_filter(wanted))
            .try_init();
    });
}

//! The HTTP side: the router, the middleware every response passes through, health checks
//! and downloads (usage as CSV, statements as PDF).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::i18n::I18n;
use app::server::access::AccountAccess;
use app::server::client::{ClientAddress, TrustedProxies};
use app::server::staff::audit;
use app::server::{access, accounts, statements, usage, Portal};
use app::{shell, App};
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes, ResponseOptions};
use tokio_util::sync::CancellationToken;
use tower_http::compression::predicate::{NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, DefaultPredicate};
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use crate::documents::Provider;

/// The router's state: Leptos' options and the portal.
#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub portal: Portal,
    pub web: Arc<WebPolicy>,
    pub assets: crate::assets::Assets,
    /// The letterhead of printed statements.
    pub provider: Arc<Provider>,
    /// Cancelled when the instance is asked to stop: `/readyz` then answers 503 so the load
    /// balancer sends no more, while requests in flight finish (see [`serve`]).
    pub shutdown: CancellationToken,
}

/// What the middleware needs to know about how the portal is served.
pub struct WebPolicy {
    pub https: bool,
    pub session_idle: Duration,
    /// The script origin of Stripe.js, the one foreign script the pages may load.
    pub stripe_origin: String,
    /// The operator's proxies, whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
}

impl WebPolicy {
    /// The Content-Security-Policy of pages, allowing our own scripts (with the page's nonce),
    /// WebAssembly, and Stripe's script and frames; nothing else foreign.
    fn page_csp(&self, nonce: &str) -> String {
        let stripe = &self.stripe_origin;
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval' {stripe}; \
             style-src 'self'; img-src 'self' data:; connect-src 'self' {stripe} https://api.stripe.com; \
             frame-src {stripe}; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
        )
    }
}

/// The scheme and host of a URL (`https://js.stripe.com/v3/` → `https://js.stripe.com`).
pub fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}")
}

/// The session cookie's name. Behind https it carries the `__Host-` prefix, with which
/// browsers take the cookie only when it is Secure, for `Path=/` and without a `Domain`, so
/// nothing on another subdomain, nor a plain-http page, can set or shadow it.
pub fn session_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-lastmile_session"
    } else {
        "lastmile_session"
    }
}

/// Builds the whole application.
pub fn router(state: AppState, store: PostgresStore) -> Router {
    let routes = generate_route_list(App);
    let portal = state.portal.clone();
    let web = state.web.clone();
    let options = state.leptos_options.clone();

    let sessions = SessionManagerLayer::new(store)
        .with_name(session_cookie_name(web.https))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(web.https)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
            web.session_idle.as_secs() as i64,
        )));

    let request_id = HeaderName::from_static("x-request-id");
    let context = {
        let portal = portal.clone();
        let web = web.clone();
        move || {
            provide_context(portal.clone());
            // Pages are rendered with a fresh nonce for Leptos' own inline scripts; the
            // policy that names it travels with the response.
            if let (Some(nonce), Some(response)) =
                (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
            {
                if let Ok(value) = HeaderValue::from_str(&web.page_csp(&nonce)) {
                    response.insert_header(header::CONTENT_SECURITY_POLICY, value);
                }
            }
        }
    };

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/usage.csv", get(usage_csv))
        .route("/statements/{id}/pdf", get(statement_pdf))
        .route(
            "/staff/accounts/{account}/statements/{id}/pdf",
            get(staff_statement_pdf),
        )
        .route(
            "/staff/reconciliation/{run}/csv",
            get(staff_reconciliation_csv),
        )
        .route("/staff/reports/{report}/csv", get(staff_report_csv))
        .route("/webhooks/stripe", axum::routing::post(stripe_webhook))
        .route("/pkg/{*file}", get(crate::assets::serve))
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(middleware::from_fn_with_state(state.clone(), require_sign_in))
        .layer(sessions)
        .layer(middleware::from_fn(refuse_cross_site))
        // The integration API: outside the session, sign-in and same-site layers above (a key
        // is its only credential), inside the headers, compression, request id and trace
        // below.
        .nest("/api/v1", crate::api::router(portal.clone()))
        .layer(middleware::from_fn_with_state(web, security_headers))
        // Pages are small and different every time: a fast level. (Assets come compressed,
        // and so do a PDF's contents.)
        .layer(
            CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Precise(4))
                .compress_when(
                    DefaultPredicate::new()
                        .and(NotForContentType::const_new("application/pdf")),
                ),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok()).unwrap_or("-");
            // Only the path, its secrets left out: query strings can carry reset tokens.
            tracing::info_span!("request", method = %req.method(), path = %path_for_log(req.uri().path()), request_id = %id, account_id = tracing::field::Empty, staff_id = tracing::field::Empty)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(middleware::from_fn(set_client_request_id_aside))
        .layer(middleware::from_fn_with_state(state.web.clone(), set_client_address))
        .layer(middleware::from_fn(crate::metrics::record_request))
        .with_state(state)
}

/// Works out the client's address once, for the throttle and the audit log: the
/// connection's peer, or behind the operator's proxies the address they were called from
/// (`app::server::client`).
async fn set_client_address(
    State(web): State<Arc<WebPolicy>>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .copied()
    {
        let forwarded: Vec<&str> = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        let client = web.trusted_proxies.client(peer.ip(), &forwarded);
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

/// Takes a client's `X-Request-Id` off the request (keeping it aside for the audit log), so
/// that the id `SetRequestIdLayer` gives every request is always the server's own.
async fn set_client_request_id_aside(mut request: Request, next: Next) -> Response {
    if let Some(sent) = request.headers_mut().remove("x-request-id") {
        if let Some(id) = sent.to_str().ok().and_then(audit::ClientRequestId::new) {
            request.extensions_mut().insert(id);
        }
    }
    next.run(request).await
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the instance is not stopping and the database answers within two seconds.
async fn readyz(
    State(portal): State<Portal>,
    State(shutdown): State<CancellationToken>,
) -> Response {
    if shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "stopping").into_response();
    }
    let check = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query_scalar::<_, i32>("select 1").fetch_one(&portal.pool),
    )
    .await;
    match check {
        Ok(Ok(1)) => (StatusCode::OK, "ready").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database error");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

/// An error for a plain route: the status of the error, and its code and message as JSON.
pub fn error_response(error: app::error::AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = (app::i18n::EN.error)(&error);
    let body = serde_json::json!({ "code": error.code(), "message": message });
    let mut response = (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}

#[derive(serde::Deserialize)]
struct CsvQuery {
    cycle: Option<u32>,
}

/// A billing period's usage as CSV, for the signed-in subscriber only.
async fn usage_csv(
    State(portal): State<Portal>,
    session: Session,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Query(q): Query<CsvQuery>,
) -> Response {
    let access = match access::authorize(&portal, &session).await {
        Ok(a) => a,
        Err(e) => return error_response(e),
    };
    if let Some(assist) = access.assisted() {
        let info = audit::RequestInfo::of(&headers, &extensions, "/usage.csv");
        if let Err(e) = audit::staff_viewed(
            &portal.pool,
            &assist,
            access.account_id(),
            "/usage.csv",
            &info,
        )
        .await
        {
            return error_response(e);
        }
    }
    match usage::period(&portal.pool, &access, q.cycle.unwrap_or(0)).await {
        Ok(period) => {
            let filename = format!(
                "usage-{}-to-{}.csv",
                period.period_start,
                period.period_end.pred_opt().unwrap_or(period.period_end)
            );
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{filename}\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_string()),
                ],
                usage::csv(&period),
            )
                .into_response()
        }
        Err(e) => error_response(e),
    }
}

/// One statement as a PDF file, for the signed-in subscriber whose statement it is. A
/// signed-out browser was sent to sign in by [`require_sign_in`]; another account's statement,
/// or an id that is not a number, is not found, as on the statement page.
async fn statement_pdf(
    State(portal): State<Portal>,
    State(provider): State<Arc<Provider>>,
    session: Session,
    checked: Option<Extension<AccountAccess>>,
    frame: Option<Extension<app::types::Me>>,
    Path(id): Path<String>,
) -> Response {
    let access = match checked {
        Some(Extension(access)) => access,
        // Not a GET (a HEAD): the middleware left no check to reuse.
        None => match access::authorize(&portal, &session).await {
            Ok(access) => access,
            Err(e) => return error_response(e),
        },
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_response(app::error::AppError::NotFound);
    };
    // In the subscriber's language, as their statement page is.
    let locale = frame.map(|Extension(me)| me.locale);
    pdf_response(&portal, provider, &access, id, locale).await
}

/// A statement of an account as a PDF, for staff in the console (the 360-degree view links
/// here). The middleware has established the staff member; the read is audited.
async fn staff_statement_pdf(
    State(portal): State<Portal>,
    State(provider): State<Arc<Provider>>,
    staff: Option<Extension<app::server::staff::StaffAccess>>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Path((account, id)): Path<(String, String)>,
) -> Response {
    let Some(Extension(staff)) = staff else {
        return error_response(app::error::AppError::Unauthenticated);
    };
    let (Ok(account_id), Ok(id)) = (account.parse::<i64>(), id.parse::<i64>()) else {
        return error_response(app::error::AppError::NotFound);
    };
    let access = match AccountAccess::for_console(&staff, account_id) {
        Ok(access) => access,
        Err(e) => return error_response(e),
    };
    let path = format!("/staff/accounts/{account_id}/statements/{id}/pdf");
    let entry = audit::Entry {
        actor: audit::Actor::Staff {
            staff_id: staff.staff_id(),
        },
        subject_account_id: Some(account_id),
        action: "console.statement_pdf",
        detail: serde_json::json!({ "statement_id": id }),
        support_session_id: None,
    };
    let response = pdf_response(&portal, provider, &access, id, None).await;
    if response.status().is_success() {
        let info = audit::RequestInfo::of(&headers, &extensions, &path);
        if let Err(e) = audit::record(&portal.pool, entry, &info).await {
            return error_response(e);
        }
    }
    response
}

/// A reconciliation run's mismatches as CSV, for billing staff and administrators.
async fn staff_reconciliation_csv(
    State(portal): State<Portal>,
    staff: Option<Extension<app::server::staff::StaffAccess>>,
    Path(run): Path<String>,
) -> Response {
    let Some(Extension(staff)) = staff else {
        return error_response(app::error::AppError::Unauthenticated);
    };
    let Ok(run) = run.parse::<i64>() else {
        return error_response(app::error::AppError::NotFound);
    };
    match app::server::staff::reconciliation::csv(&portal.pool, &staff, run).await {
        Ok((filename, body)) => csv_download(&filename, body),
        Err(e) => error_response(e),
    }
}

#[derive(serde::Deserialize)]
struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

/// One of the operators' reports as CSV, for billing staff and administrators: the table
/// the console shows, for the days asked for.
async fn staff_report_csv(
    State(portal): State<Portal>,
    staff: Option<Extension<app::server::staff::StaffAccess>>,
    Path(report): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Response {
    let Some(Extension(staff)) = staff else {
        return error_response(app::error::AppError::Unauthenticated);
    };
    let found = app::server::staff::reports::csv(
        &portal,
        &staff,
        &report,
        q.from.as_deref(),
        q.to.as_deref(),
    )
    .await;
    match found {
        Ok((filename, body)) => csv_download(&filename, body),
        Err(e) => error_response(e),
    }
}

/// A CSV file to save, never cached (it holds account data).
fn csv_download(filename: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// Draws one statement of the access's account (another account's is not found), in
/// `locale`, else the account's.
pub(crate) async fn pdf_response(
    portal: &Portal,
    provider: Arc<Provider>,
    access: &AccountAccess,
    id: i64,
    locale: Option<String>,
) -> Response {
    let found = tokio::try_join!(
        statements::detail(&portal.pool, access, id),
        accounts::basics(&portal.pool, access),
    );
    let (detail, account) = match found {
        Ok(found) => found,
        Err(e) => return error_response(e),
    };
    let filename = format!("statement-{}.pdf", safe_filename(&detail.summary.number));
    // Drawing and compressing is CPU work: off the threads that serve requests.
    let drawn = tokio::task::spawn_blocking(move || {
        let locale = locale.unwrap_or(account.locale);
        crate::documents::render_statement_pdf(&detail, &provider, I18n::new(&locale))
    })
    .await;
    match drawn {
        Ok(pdf) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
            ],
            pdf,
        )
            .into_response(),
        Err(e) => error_response(app::error::AppError::internal("drawing a statement PDF", e)),
    }
}

/// A statement number as a file name: letters, digits, `-`, `_` and `.`; anything else `-`.
fn safe_filename(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A path as the logs show it: whatever follows a `pay` or `reset-password` segment (a pay
/// link's signed token, which opens a statement for payment without signing in) is
/// replaced by `[redacted]`. Reset tokens travel in the query, which is never logged.
pub fn path_for_log(path: &str) -> std::borrow::Cow<'_, str> {
    let mut offset = 0;
    for segment in path.split('/') {
        offset += segment.len() + 1;
        if ["pay", "reset-password"]
            .iter()
            .any(|s| segment.eq_ignore_ascii_case(s))
            && offset < path.len()
        {
            return format!("{}[redacted]", &path[..offset]).into();
        }
    }
    path.into()
}

/// Pages open without signing in; everything else sends a signed-out visitor to sign in.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/sign-in"
            | "/staff/sign-in"
            | "/forgot-password"
            | "/reset-password"
            | "/healthz"
            | "/readyz"
            | "/favicon.ico"
    ) || path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path == "/usage.csv"
        // pay by link: the signed token is the permission
        || path.starts_with("/pay/")
}

/// Stripe's webhook: the signature is checked against the configured secrets, then the
/// event is applied once (see `engine::cards::webhook`). A refused signature is answered
/// 400; a failure on our side 500, so that Stripe delivers the event again.
async fn stripe_webhook(
    State(portal): State<Portal>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    use engine::cards::webhook;
    let Some(stripe) = portal.stripe.as_ref() else {
        return (StatusCode::NOT_FOUND, "card payments are not configured").into_response();
    };
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    if let Err(e) = webhook::verify(
        signature,
        &body,
        stripe.webhook_secrets(),
        chrono::Utc::now(),
    ) {
        tracing::warn!(error = %e, "refused a Stripe webhook");
        let body = serde_json::json!({ "code": "bad_signature", "message": e.to_string() });
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    match webhook::handle(&portal.pool, &portal.config.billing, &body).await {
        Ok(handled) => {
            let outcome = match handled {
                webhook::Handled::Applied(outcome) => outcome,
                webhook::Handled::Repeat => "already applied".to_string(),
            };
            tracing::info!(%outcome, "Stripe webhook");
            axum::Json(serde_json::json!({ "received": true, "outcome": outcome })).into_response()
        }
        Err(engine::EngineError::Invalid(message)) => {
            tracing::warn!(%message, "a Stripe webhook could not be read");
            let body = serde_json::json!({ "code": "bad_event", "message": message });
            (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "a Stripe webhook could not be applied");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "could not apply the event",
            )
                .into_response()
        }
    }
}

/// Sends a signed-out browser asking for a portal page to the sign-in page (server functions
/// and downloads answer 401 themselves). Console pages (`/staff…`) need a staff sign-in.
/// A page viewed by staff viewing as the subscriber is written to the audit log here. The
/// check also gives what the page's frame shows, left in the request for the render.
async fn require_sign_in(
    State(portal): State<Portal>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let page_read = matches!(*request.method(), Method::GET | Method::HEAD);
    if !page_read || is_public(&path) {
        return next.run(request).await;
    }
    let wanted = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    if path == "/staff" || path.starts_with("/staff/") {
        return match access::authorize_staff_page(&portal, &session).await {
            Ok((staff, frame)) => {
                // The page's server functions reuse this check; the console's frame shows `frame`.
                request.extensions_mut().insert(staff);
                request.extensions_mut().insert(frame);
                next.run(request).await
            }
            Err(app::error::AppError::Unauthenticated) => Redirect::to(&format!(
                "/staff/sign-in?next={}",
                app::server::encode_component(&wanted)
            ))
            .into_response(),
            Err(e) => error_response(e),
        };
    }
    let browser = app::server::language::of_request(request.headers());
    match access::authorize_page(&portal, &session, browser).await {
        Ok((access, frame)) => {
            if let Some(assist) = access.assisted() {
                let info = audit::RequestInfo::of(request.headers(), request.extensions(), &wanted);
                if let Err(e) =
                    audit::staff_viewed(&portal.pool, &assist, access.account_id(), &wanted, &info)
                        .await
                {
                    // Nothing is shown that could not be audited.
                    return error_response(e);
                }
            }
            // The page's server functions reuse this check instead of repeating it; the
            // page's frame shows `frame`.
            request.extensions_mut().insert(access);
            request.extensions_mut().insert(frame);
            next.run(request).await
        }
        Err(app::error::AppError::Unauthenticated) => {
            // Staff whose view as the subscriber ended go back to the console.
            if access::authorize_staff(&portal, &session).await.is_ok() {
                return Redirect::to("/staff?view_ended=1").into_response();
            }
            let target = if wanted == "/" {
                "/sign-in".to_string()
            } else {
                format!("/sign-in?next={}", app::server::encode_component(&wanted))
            };
            Redirect::to(&target).into_response()
        }
        Err(e) => error_response(e),
    }
}

/// Refuses requests that change state when they come from another site. Leptos' server
/// functions bring no CSRF protection of their own, so this stands in front of all of them:
/// a browser says where a request comes from in `Sec-Fetch-Site` (modern) or `Origin`.
async fn refuse_cross_site(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    if is_cross_site(request.headers()) {
        tracing::warn!(path = %path_for_log(request.uri().path()), "refused a cross-site request");
        let body = serde_json::json!({ "code": "cross_site", "message": "This request came from another site and was refused." });
        return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    }
    next.run(request).await
}

fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return true;
        }
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("null"))
    {
        None => false,
        Some(origin) => {
            let origin_host = origin
                .split_once("://")
                .map(|(_, h)| h.trim_end_matches('/'));
            origin_host.is_none() || origin_host != host
        }
    }
}

/// Headers on every response: a restrictive policy for anything that is not a page, no
/// framing, no sniffing, no referrer beyond our origin, HSTS behind https, and no caching of
/// anything but the built assets.
async fn security_headers(
    State(web): State<Arc<WebPolicy>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
        ));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(
            "camera=(), microphone=(), geolocation=(), payment=(self \"https://js.stripe.com\")",
        ),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if web.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    // Nothing is cached unless its handler says so (only the built assets do).
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Serves until `shutdown` is cancelled (see [`stop_on_signal`]). Then `/readyz` answers 503
/// at once, and for `drain` the instance goes on serving, so that a load balancer checking
/// `/readyz` stops sending it requests before it stops listening; then it stops taking
/// connections, and returns when the requests in flight have finished.
pub async fn serve(
    app: Router,
    listen: SocketAddr,
    shutdown: CancellationToken,
    drain: Duration,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        anyhow::anyhow!("cannot listen on {listen}: {e} (set LASTMILE_LISTEN to another address)")
    })?;
    tracing::info!(%listen, "serving");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.cancelled().await;
        if !drain.is_zero() {
            tracing::info!(
                seconds = drain.as_secs_f32(),
                "stopping: not ready, still serving while the load balancer notices"
            );
            tokio::time::sleep(drain).await;
        }
        tracing::info!("stopping: no new connections; finishing requests in flight");
    })
    .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Cancels `shutdown` on Ctrl-C or SIGTERM.
pub async fn stop_on_signal(shutdown: CancellationToken) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("asked to stop");
    shutdown.cancel();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn same_origin_requests_pass_and_other_sites_are_refused() {
        assert!(!is_cross_site(&headers(&[
            ("host", "portal.example.net"),
            ("origin", "https://portal.example.net")
        ])));
        assert!(!is_cross_site(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(is_cross_site(&headers(&[
            ("host", "portal.example.net"),
            ("origin", "https://evil.example")
        ])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(is_cross_site(&headers(&[
            ("host", "portal.example.net"),
            ("origin", "null")
        ])));
    }

    #[test]
    fn a_statement_number_makes_a_safe_file_name() {
        assert_eq!(safe_filename("S-10000001-202611"), "S-10000001-202611");
        assert_eq!(safe_filename("S/1 \"x\"é"), "S-1--x--");
    }

    #[test]
    fn the_stripe_origin_is_taken_from_its_script_url() {
        assert_eq!(
            origin_of("https://js.stripe.com/v3/"),
            "https://js.stripe.com"
        );
        assert_eq!(
            origin_of("http://localhost:8420/js.stripe.com/v3/"),
            "http://localhost:8420"
        );
    }

    #[test]
    fn a_pay_links_token_is_left_out_of_the_logged_path() {
        assert_eq!(
            path_for_log("/pay/42.1795000000.c2lnbmF0dXJl"),
            "/pay/[redacted]"
        );
        assert_eq!(
            path_for_log("/PAY/42.1795000000.c2ln/extra"),
            "/PAY/[redacted]"
        );
        assert_eq!(path_for_log("//pay/secret"), "//pay/[redacted]");
        assert_eq!(
            path_for_log("/reset-password/secret"),
            "/reset-password/[redacted]"
        );
        // Nothing secret: the path as it is.
        assert_eq!(path_for_log("/pay"), "/pay");
        assert_eq!(path_for_log("/pay/"), "/pay/");
        assert_eq!(path_for_log("/reset-password"), "/reset-password");
        assert_eq!(path_for_log("/payments/7"), "/payments/7");
        assert_eq!(path_for_log("/statements/3/pdf"), "/statements/3/pdf");
    }
}

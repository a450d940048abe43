//! Prometheus metrics, on a listener of their own (`LASTMILE_METRICS_LISTEN`, e.g. an
//! address on the operator's private network), never on the public one.
//!
//! Two kinds of figure:
//! - this instance's, recorded as they happen: request latency per route, method and status
//!   (a histogram), jobs finished, and the database pools' use (read at each scrape);
//! - the deployment's, read from the shared database at each scrape, so any instance gives
//!   the same answer: what waits in each outbox and for how long, the jobs by state, the
//!   last bill run, and card payments of the last 15 minutes by outcome. Each is a few rows
//!   from a partial or covering index.
//!
//! The README's "Seeing it run" says what to alert on.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// Latency buckets, in seconds: the pages' 25 ms target is one of the edges.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static INSTALLING: Mutex<()> = Mutex::new(());

/// The recorder, installed for the process on first use (later calls get the same one).
/// Until it is installed, nothing is recorded and [`record_request`] costs nothing.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
        .context("metrics buckets")?
        .install_recorder()
        .context("installing the metrics recorder")?;
    Ok(HANDLE.get_or_init(|| handle).clone())
}

fn installed() -> bool {
    HANDLE.get().is_some()
}

/// Records each request's time under its route (ids and tokens in the path replaced, so
/// the routes are few), method and status.
pub async fn record_request(request: Request, next: Next) -> Response {
    if !installed() {
        return next.run(request).await;
    }
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    let route = if status == axum::http::StatusCode::NOT_FOUND {
        // Anyone can ask for any path: unknown ones share one series.
        "(not found)".to_string()
    } else {
        route_of(&path)
    };
    histogram!(
        "lastmile_http_request_duration_seconds",
        "route" => route,
        "method" => method,
        "status" => status.as_str().to_owned(),
    )
    .record(started.elapsed());
    response
}

/// A path as a route: a segment with a digit in it (but a version, `v1`) or longer than 40
/// characters is an id or a token (`/statements/{id}`), and what follows `/pay/`,
/// `/reset-password/` or `/pkg/` is one too.
pub fn route_of(path: &str) -> String {
    let mut route = String::new();
    let mut rest_is_id = false;
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        route.push('/');
        if rest_is_id {
            route.push_str("{id}");
            break;
        }
        let version = segment.len() > 1
            && segment.starts_with('v')
            && segment[1..].bytes().all(|b| b.is_ascii_digit());
        if segment.len() > 40 || (segment.bytes().any(|b| b.is_ascii_digit()) && !version) {
            route.push_str("{id}");
        } else {
            route.push_str(segment);
        }
        rest_is_id = matches!(segment, "pay" | "reset-password" | "pkg");
    }
    if route.is_empty() {
        route.push('/');
    }
    route
}

/// A job this instance's scheduler ran, by kind and outcome (`done` or `failed`).
pub fn job_finished(kind: &str, ok: bool) {
    let outcome = if ok { "done" } else { "failed" };
    counter!("lastmile_jobs_finished_total", "kind" => kind.to_owned(), "outcome" => outcome)
        .increment(1);
}

/// What the metrics listener reads at each scrape.
#[derive(Clone)]
pub struct Scrape {
    pub handle: PrometheusHandle,
    pub pool: PgPool,
    pub session_pool: PgPool,
}

/// The metrics listener's router: `GET /metrics` only.
pub fn router(scrape: Scrape) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(Arc::new(scrape))
}

/// The metrics listener, bound at start-up so that a wrong address stops the server.
pub async fn bind(listen: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        anyhow::anyhow!("cannot listen on {listen} for metrics: {e} (set LASTMILE_METRICS_LISTEN to another address)")
    })
}

/// Serves the metrics until `shutdown` is cancelled, keeping the histograms' memory in
/// check meanwhile.
pub async fn serve(
    scrape: Scrape,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    tracing::info!(listen = ?listener.local_addr().ok(), "serving metrics");
    let handle = scrape.handle.clone();
    let upkeep = shutdown.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tokio::select! {
                _ = upkeep.cancelled() => return,
                _ = tick.tick() => handle.run_upkeep(),
            }
        }
    });
    axum::serve(listener, router(scrape))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

async fn metrics(State(scrape): State<Arc<Scrape>>) -> Response {
    for (name, pool) in [("main", &scrape.pool), ("sessions", &scrape.session_pool)] {
        let size = pool.size();
        let idle = u32::try_from(pool.num_idle()).unwrap_or(size);
        gauge!("lastmile_db_pool_connections", "pool" => name, "state" => "idle").set(idle);
        gauge!("lastmile_db_pool_connections", "pool" => name, "state" => "in_use")
            .set(size.saturating_sub(idle));
        gauge!("lastmile_db_pool_max_connections", "pool" => name)
            .set(pool.options().get_max_connections());
    }
    let read = tokio::time::timeout(Duration::from_secs(5), deployment(&scrape.pool)).await;
    let up = match read {
        Ok(Ok(())) => 1,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "metrics: reading the database");
            0
        }
        Err(_) => 0,
    };
    // 0: the figures read from the database are stale (it did not answer).
    gauge!("lastmile_database_up").set(up);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        scrape.handle.render(),
    )
        .into_response()
}

/// The deployment's figures, from the shared database.
async fn deployment(pool: &PgPool) -> Result<(), sqlx::Error> {
    // Each outbox: how many wait, and how long the oldest has waited.
    let outboxes: Vec<(String, i64, Option<f64>)> = sqlx::query_as(
        "select 'email', count(*), extract(epoch from now() - min(created_at))::float8
           from outbound_emails where sent_at is null and given_up_at is null
         union all
         select 'provisioning', count(*), extract(epoch from now() - min(created_at))::float8
           from provisioning_outbox where published_at is null
         union all
         select 'webhooks', count(*), extract(epoch from now() - min(created_at))::float8
           from webhook_deliveries where state = 'pending'
         union all
         select 'coa', count(*), extract(epoch from now() - min(created_at))::float8
           from network_coa_requests where status = 'pending'",
    )
    .fetch_all(pool)
    .await?;
    for (outbox, waiting, oldest) in outboxes {
        gauge!("lastmile_outbox_waiting", "outbox" => outbox.clone()).set(waiting as f64);
        gauge!("lastmile_outbox_oldest_seconds", "outbox" => outbox).set(oldest.unwrap_or(0.0));
    }

    // Emails given up on in the last day: each is someone who did not get a statement,
    // a reset link or a receipt.
    let given_up: i64 = sqlx::query_scalar(
        "select count(*) from outbound_emails where given_up_at > now() - interval '1 day'",
    )
    .fetch_one(pool)
    .await?;
    gauge!("lastmile_emails_given_up_last_day").set(given_up as f64);

    // Jobs not done, by kind and state (a state with none is 0, not missing).
    let jobs: Vec<(String, String, i64)> = sqlx::query_as(
        "select k.kind, s.status, count(j.id)
           from (values ('bill_run'), ('dunning'), ('usage_alerts')) as k(kind)
          cross join (values ('queued'), ('running'), ('failed')) as s(status)
           left join jobs j on j.kind = k.kind and j.status = s.status
                           and (j.status <> 'queued' or j.run_at <= now())
          group by 1, 2",
    )
    .fetch_all(pool)
    .await?;
    for (kind, status, count) in jobs {
        gauge!("lastmile_jobs", "kind" => kind, "status" => status).set(count as f64);
    }

    // The last bill run: how far it has got, whether it is running or failed, when it ended.
    let last: Option<(String, i32, i32, Option<f64>)> = sqlx::query_as(
        "select status, accounts_billed, accounts_skipped, extract(epoch from finished_at)::float8
           from bill_runs order by id desc limit 1",
    )
    .fetch_optional(pool)
    .await?;
    if let Some((status, billed, skipped, finished)) = last {
        gauge!("lastmile_bill_run_accounts", "state" => "billed").set(billed);
        gauge!("lastmile_bill_run_accounts", "state" => "skipped").set(skipped);
        for state in ["running", "done", "failed"] {
            gauge!("lastmile_bill_run_last_status", "status" => state)
                .set(u8::from(status == state));
        }
        if let Some(finished) = finished {
            gauge!("lastmile_bill_run_last_finished_timestamp_seconds").set(finished);
        }
    }

    // Card payments begun in the last 15 minutes, by what became of them.
    let payments: Vec<(String, i64)> = sqlx::query_as(
        "select s.status, count(p.id)
           from (values ('pending'), ('requires_action'), ('succeeded'), ('failed'), ('cancelled')) as s(status)
           left join payments p on p.status = s.status and p.method in ('card', 'autopay')
                               and p.created_at > now() - interval '15 minutes'
          group by 1",
    )
    .fetch_all(pool)
    .await?;
    for (status, count) in payments {
        gauge!("lastmile_card_payments_last_15_minutes", "status" => status).set(count as f64);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::route_of;

    #[test]
    fn ids_and_tokens_in_a_path_become_one_route() {
        assert_eq!(route_of("/"), "/");
        assert_eq!(route_of("/usage"), "/usage");
        assert_eq!(route_of("/statements/1234/pdf"), "/statements/{id}/pdf");
        assert_eq!(route_of("/api/sign-in"), "/api/sign-in");
        assert_eq!(
            route_of("/api/v1/accounts/10000001"),
            "/api/v1/accounts/{id}"
        );
        assert_eq!(route_of("/pay/abc.def"), "/pay/{id}");
        assert_eq!(route_of("/pkg/lastmile.wasm"), "/pkg/{id}");
        assert_eq!(route_of("/staff/tickets/T-88"), "/staff/tickets/{id}");
        let token = "x".repeat(41);
        assert_eq!(route_of(&format!("/s/{token}")), "/s/{id}");
    }
}

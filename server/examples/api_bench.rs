//! `api_bench`: the integration API's latency per operation and the webhook sender's
//! throughput, against a running server on a seeded database (`bench/api`; see
//! `bench/README.md`).
//!
//! Reads go one at a time over one connection, after a warm-up, so each latency is the
//! server's and the database's alone: `GET /plans` first (the cheapest keyed call, the
//! baseline every p99 is compared with), then one account and one service by random id,
//! then the whole incremental sync of `GET /accounts?limit=100` from the start (every
//! page, as a CRM's first sync would read it).
//!
//! Webhooks: a receiver in this process is subscribed to `account.updated`; one statement
//! changes `--events` accounts, and the time until the server's sender has delivered every
//! event is taken, beside the time this process takes to post the same bodies, signed, to
//! the same receiver with the same concurrency (what the receiver and the machine allow).
//! The receiver checks each signature, counts duplicates and checks the order per account.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/lastmile_bench LASTMILE_TOTP_KEY=... \
//!   cargo run --release -p lastmile --example api_bench -- --base-url http://127.0.0.1:3300 \
//!   --token lmk_... --reads 2000 --events 5000 --out api.json
//! ```

// Timings and rates, never money.
#![allow(clippy::float_arithmetic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use clap::Parser;
use futures::StreamExt;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;

#[derive(Parser, Debug)]
#[command(
    name = "api_bench",
    about = "Integration API latency and webhook throughput"
)]
struct Args {
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// The running server (`lastmile serve`).
    #[arg(long)]
    base_url: String,
    /// An API key with `read` and `write:accounts`.
    #[arg(long)]
    token: String,
    /// Requests measured per read operation.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(10..=1_000_000))]
    reads: u64,
    /// Webhook events generated and delivered.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    events: u64,
    /// Posts at once for the baseline (the server's LASTMILE_WEBHOOK_CONCURRENCY).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    out: std::path::PathBuf,
}

/// Latencies in microseconds, nearest rank.
fn summary(name: &str, mut us: Vec<u64>) -> Value {
    us.sort_unstable();
    let at = |q: f64| us[((q * us.len() as f64).ceil() as usize).clamp(1, us.len()) - 1];
    json!({
        "name": name, "requests": us.len(), "p50_us": at(0.50), "p95_us": at(0.95),
        "p99_us": at(0.99), "max_us": us[us.len() - 1],
    })
}

async fn timed_get(client: &reqwest::Client, url: &str, token: &str) -> Result<(u64, Value)> {
    let start = Instant::now();
    let response = client.get(url).bearer_auth(token).send().await?;
    let status = response.status();
    let body: Value = response.json().await?;
    let us = start.elapsed().as_micros() as u64;
    if !status.is_success() {
        bail!("GET {url} answered {status}: {body}");
    }
    Ok((us, body))
}

#[derive(Default)]
struct Received {
    count: u64,
    duplicates: u64,
    bad_signatures: u64,
    out_of_order: u64,
    seen: std::collections::HashSet<String>,
    last_seq: HashMap<i64, i64>,
    done_at: Option<Instant>,
    expected: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let api = format!("{}/api/v1", args.base_url.trim_end_matches('/'));
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&args.database_url)
        .await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()?;
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let account_ids: Vec<i64> = sqlx::query_scalar("select id from accounts order by id")
        .fetch_all(&pool)
        .await?;
    let service_ids: Vec<i64> = sqlx::query_scalar("select id from services order by id")
        .fetch_all(&pool)
        .await?;
    if account_ids.is_empty() || service_ids.is_empty() {
        bail!("the database has no accounts or services: seed it first");
    }

    // --- reads ---------------------------------------------------------------------------
    let mut operations = Vec::new();
    let warmup = (args.reads / 10).max(10);
    for (name, path) in [
        ("GET /plans (baseline)", "plans"),
        ("GET /accounts/{id}", "accounts"),
        ("GET /services/{id}", "services"),
    ] {
        let mut us = Vec::with_capacity(args.reads as usize);
        for i in 0..warmup + args.reads {
            let url = match path {
                "plans" => format!("{api}/plans"),
                "accounts" => format!(
                    "{api}/accounts/{}",
                    account_ids[rng.gen_range(0..account_ids.len())]
                ),
                _ => format!(
                    "{api}/services/{}",
                    service_ids[rng.gen_range(0..service_ids.len())]
                ),
            };
            let (t, _) = timed_get(&client, &url, &args.token).await?;
            if i >= warmup {
                us.push(t);
            }
        }
        eprintln!("{name}: {} requests", us.len());
        operations.push(summary(name, us));
    }
    // The whole first sync, 100 accounts a page.
    let mut us = Vec::new();
    let mut cursor: Option<String> = None;
    let mut rows = 0usize;
    loop {
        let url = match &cursor {
            None => format!("{api}/accounts?limit=100"),
            Some(c) => format!("{api}/accounts?limit=100&cursor={c}"),
        };
        let (t, page) = timed_get(&client, &url, &args.token).await?;
        us.push(t);
        rows += page["data"].as_array().map_or(0, Vec::len);
        cursor = page["next_cursor"].as_str().map(str::to_string);
        if page["has_more"] != true {
            break;
        }
    }
    eprintln!("sync: {} pages, {rows} accounts", us.len());
    if rows < account_ids.len() {
        bail!(
            "the sync handed out {rows} accounts of {}",
            account_ids.len()
        );
    }
    operations.push(summary(
        "GET /accounts?limit=100 (the whole sync, per page)",
        us,
    ));

    // --- webhooks ------------------------------------------------------------------------
    let keys = app::server::staff::totp_keys::TotpKeys::parse(
        &std::env::var("LASTMILE_TOTP_KEY").context("LASTMILE_TOTP_KEY (the server's)")?,
        None,
    )
    .map_err(|(_, e)| anyhow::anyhow!("LASTMILE_TOTP_KEY: {e}"))?;
    let received = Arc::new(Mutex::new(Received::default()));
    let secret: Arc<Mutex<Vec<u8>>> = Arc::new(Mutex::new(Vec::new()));
    let app = {
        let received = received.clone();
        let secret = secret.clone();
        axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let received = received.clone();
                let secret = secret.clone();
                async move {
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    let body = String::from_utf8_lossy(&body).into_owned();
                    let valid = engine::webhooks::verify(
                        &secret.lock().expect("lock"),
                        &h("webhook-id"),
                        h("webhook-timestamp").parse().unwrap_or_default(),
                        &body,
                        &h("webhook-signature"),
                    );
                    let event: Value = serde_json::from_str(&body).unwrap_or_default();
                    let mut r = received.lock().expect("lock");
                    if !valid {
                        r.bad_signatures += 1;
                    }
                    if !r.seen.insert(h("webhook-id")) {
                        r.duplicates += 1;
                    } else {
                        r.count += 1;
                        let account = event["account_id"].as_i64().unwrap_or_default();
                        let seq = event["sequence"].as_i64().unwrap_or_default();
                        let last = r.last_seq.insert(account, seq).unwrap_or(0);
                        if seq <= last {
                            r.out_of_order += 1;
                        }
                    }
                    if r.count == r.expected && r.done_at.is_none() {
                        r.done_at = Some(Instant::now());
                    }
                    StatusCode::OK
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook_url = format!("http://{}/hooks", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    // The baseline first: the same number of signed posts from here.
    let bodies: Vec<String> = (0..args.events)
        .map(|i| json!({ "id": format!("evt_baseline{i}"), "type": "account.updated", "account_id": -1, "sequence": i + 1, "data": {} }).to_string())
        .collect();
    let (_, baseline_secret) = engine::webhooks::new_secret();
    *secret.lock().expect("lock") = baseline_secret.clone();
    received.lock().expect("lock").expected = args.events;
    let post_client = reqwest::Client::new();
    let start = Instant::now();
    // Ordered per "account" like the sender: here one stream, so posts go in turn per
    // chunk of `concurrency` distinct sequence numbers; the receiver only needs each once.
    futures::stream::iter(bodies.iter().enumerate())
        .map(|(i, body)| {
            let id = format!("evt_baseline{i}");
            let ts = chrono::Utc::now().timestamp();
            let sig = engine::webhooks::sign(&baseline_secret, &id, ts, body);
            post_client
                .post(&hook_url)
                .header("content-type", "application/json")
                .header("webhook-id", id)
                .header("webhook-timestamp", ts.to_string())
                .header("webhook-signature", sig)
                .body(body.clone())
                .send()
        })
        .buffer_unordered(args.concurrency)
        .for_each(|_| async {})
        .await;
    let raw_seconds = start.elapsed().as_secs_f64();

    // Now through the server: subscribe, then one statement changes `events` accounts.
    *received.lock().expect("lock") = Received {
        expected: args.events,
        ..Received::default()
    };
    let mut conn = pool.acquire().await?;
    let made = engine::webhooks::create_subscription(
        &mut conn,
        &engine::webhooks::NewSubscription {
            integration: "Benchmark".into(),
            url: hook_url.clone(),
            event_types: vec!["account.updated".into()],
            created_by_staff: None,
            allow_http: true,
        },
        &app::server::staff::integrations::webhook_sealer(&keys),
    )
    .await?;
    *secret.lock().expect("lock") =
        engine::webhooks::parse_secret(&made.secret).context("the secret")?;
    let start = Instant::now();
    sqlx::query(
        "update accounts set display_name = left(display_name, 190) || ' ·'
          where id in (select id from accounts order by id limit $1)",
    )
    .bind(args.events as i64)
    .execute(&mut *conn)
    .await?;
    let enqueued = start.elapsed().as_secs_f64();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if received.lock().expect("lock").done_at.is_some() {
            break;
        }
        if Instant::now() > deadline {
            bail!("not every event arrived within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (done_at, duplicates, out_of_order, bad_signatures) = {
        let r = received.lock().expect("lock");
        (r.done_at, r.duplicates, r.out_of_order, r.bad_signatures)
    };
    let sender_seconds = done_at.expect("done").duration_since(start).as_secs_f64();
    engine::webhooks::disable(&mut conn, made.id, "benchmark finished").await?;
    let result = json!({
        "accounts": account_ids.len(),
        "services": service_ids.len(),
        "operations": operations,
        "webhooks": {
            "events": args.events,
            "concurrency": args.concurrency,
            "enqueue_seconds": enqueued,
            "sender_seconds": sender_seconds,
            "sender_per_second": args.events as f64 / sender_seconds,
            "raw_seconds": raw_seconds,
            "raw_per_second": args.events as f64 / raw_seconds,
            "duplicates": duplicates,
            "in_order": out_of_order == 0,
            "signatures_valid": bad_signatures == 0,
        },
    });
    std::fs::write(&args.out, serde_json::to_string_pretty(&result)?)?;
    eprintln!("{}", serde_json::to_string_pretty(&result["webhooks"])?);
    Ok(())
}

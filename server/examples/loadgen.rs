//! `loadgen`: an open-loop, constant-rate HTTP load generator for the page-load benchmark
//! (`bench/run`; see `bench/README.md`).
//!
//! Request `i` is scheduled at `start + i / rate`, whatever happened to the requests before
//! it, and its latency is measured from that scheduled time, not from when it was actually
//! sent: when the server (or the generator) falls behind, the wait shows in the figures
//! instead of silently lowering the offered load ("coordinated omission").
//!
//! ```text
//! cargo run --release -p lastmile --example loadgen -- \
//!     --base-url http://127.0.0.1:3200 --rate 1000 --duration 30 --warmup 5 \
//!     --sessions sessions.tsv --paths paths.tsv --out result.json
//! ```
//!
//! - `--sessions`: one session per line, `cookie-value[<TAB>statement-id[<TAB>account-id
//!   [<TAB>query]]]`;
//! - `--paths`: one page per line, `label<TAB>/path`, where `{statement}`, `{account}` and
//!   `{query}` in a path become the session's values (a query percent-encoded already).
//!
//! Request `i` asks for path `i mod P` with session `(i div P) mod S`, so each session walks
//! through every page in turn. Only a loopback base URL is accepted, redirects are not
//! followed (a 303 means the session was not valid: it is an error), and the run is bounded
//! in count (`rate × (warmup + duration)`) and in time (the schedule plus two request
//! timeouts, after which whatever is still unsent or unfinished is counted as an error).

#![allow(clippy::float_arithmetic)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use reqwest::header::{HeaderValue, ACCEPT, ACCEPT_ENCODING, COOKIE};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Semaphore};

#[derive(Parser, Debug)]
#[command(
    name = "loadgen",
    about = "Open-loop, constant-rate HTTP load generator (loopback targets only)"
)]
struct Args {
    /// The server, e.g. http://127.0.0.1:3200 (must be a loopback address).
    #[arg(long)]
    base_url: String,
    /// Requests per second, spread evenly over time.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    rate: u64,
    /// Seconds measured (after the warmup).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    duration: u64,
    /// Seconds of load at the same rate before measuring (not recorded).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=600))]
    warmup: u64,
    /// Sessions file: `cookie-value[<TAB>statement-id[<TAB>account-id[<TAB>query]]]` per line.
    #[arg(long)]
    sessions: PathBuf,
    /// Paths file: `label<TAB>/path` per line (`{statement}`, `{account}`, `{query}` are
    /// replaced).
    #[arg(long)]
    paths: PathBuf,
    /// Most requests in flight at once; a request waiting for a slot is late, and that wait
    /// counts in its latency.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=20_000))]
    concurrency_limit: u64,
    /// Seconds before a request is abandoned (counted as a timeout error).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120))]
    timeout: u64,
    /// The session cookie's name (a sessions line holding `name=value` is sent as is).
    #[arg(long, default_value = "lastmile_session")]
    cookie_name: String,
    /// Accept-Encoding sent with each request, like a browser's; bodies are counted as
    /// received (compressed) and not decoded. Empty: no compression.
    #[arg(long, default_value = "gzip, deflate, br, zstd")]
    accept_encoding: String,
    /// Where to write the results as JSON.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// What happened to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Ok,
    Status(u16),
    Timeout,
    Connect,
    Transport,
    /// Still waiting for a slot when the run's time was up.
    NotSent,
    /// Sent, but no answer when the run's time was up.
    Unfinished,
}

impl Outcome {
    fn label(self) -> String {
        match self {
            Outcome::Ok => "ok".into(),
            Outcome::Status(s) => format!("status_{s}"),
            Outcome::Timeout => "timeout".into(),
            Outcome::Connect => "connect".into(),
            Outcome::Transport => "transport".into(),
            Outcome::NotSent => "not_sent".into(),
            Outcome::Unfinished => "unfinished".into(),
        }
    }
}

struct Sample {
    index: u64,
    path: usize,
    /// Microseconds from the scheduled start to the end of the body.
    latency_us: u64,
    /// Microseconds from the actual send to the end of the body (what a closed-loop tool
    /// would report).
    service_us: u64,
    /// Microseconds the request started after its scheduled time (generator or slot lag).
    lag_us: u64,
    /// Microseconds from the start of measuring to the end of this request.
    done_after_us: u64,
    bytes: u64,
    outcome: Outcome,
}

struct Session {
    cookie: HeaderValue,
    /// The values after the cookie, by the placeholder each fills.
    values: Vec<(&'static str, String)>,
}

/// The placeholders a path may use, filled from a session's columns after its cookie, in
/// this order (`{statement}` from the second column, `{account}` the third, `{query}` the
/// fourth).
const PLACEHOLDERS: [&str; 3] = ["{statement}", "{account}", "{query}"];

fn read_lines(path: &Path) -> Result<Vec<(usize, Vec<String>)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(n, l)| (n + 1, l.split('\t').map(|c| c.trim().to_string()).collect()))
        .collect())
}

fn read_sessions(path: &Path, cookie_name: &str) -> Result<Vec<Session>> {
    let mut sessions = Vec::new();
    for (n, cols) in read_lines(path)? {
        let value = &cols[0];
        let pair = if value.contains('=') {
            value.clone()
        } else {
            format!("{cookie_name}={value}")
        };
        let cookie = HeaderValue::from_str(&pair)
            .with_context(|| format!("{}:{n}: not a cookie value", path.display()))?;
        let mut values = Vec::new();
        for (placeholder, value) in PLACEHOLDERS.iter().zip(cols.iter().skip(1)) {
            if value.is_empty() {
                continue;
            }
            // Already a piece of a URL: a query is percent-encoded by whoever wrote the file.
            if !value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.%+".contains(c))
            {
                bail!(
                    "{}:{n}: the value {value:?} for {placeholder} is not a plain id or a percent-encoded query",
                    path.display()
                );
            }
            values.push((*placeholder, value.clone()));
        }
        sessions.push(Session { cookie, values });
    }
    if sessions.is_empty() {
        bail!("{} holds no sessions", path.display());
    }
    Ok(sessions)
}

fn read_paths(path: &Path) -> Result<Vec<(String, String)>> {
    let mut paths = Vec::new();
    for (n, cols) in read_lines(path)? {
        let [label, page] = cols.as_slice() else {
            bail!("{}:{n}: expected `label<TAB>/path`", path.display());
        };
        if !page.starts_with('/') || page.starts_with("//") || page.contains(['\\', ' ']) {
            bail!(
                "{}:{n}: {page:?} is not a path on the server (it must start with one `/`)",
                path.display()
            );
        }
        paths.push((label.clone(), page.clone()));
    }
    if paths.is_empty() {
        bail!("{} holds no paths", path.display());
    }
    Ok(paths)
}

/// Refuses anything but a loopback address: this tool is for benchmarking our own server on
/// this machine, never for loading somebody else's.
async fn check_loopback(base: &reqwest::Url) -> Result<()> {
    if !matches!(base.scheme(), "http" | "https") {
        bail!("--base-url must be http:// or https://");
    }
    if !base.username().is_empty()
        || base.password().is_some()
        || base.query().is_some()
        || base.fragment().is_some()
    {
        bail!("--base-url must be a plain scheme://host:port");
    }
    let host = base.host_str().context("--base-url has no host")?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        if !ip.is_loopback() {
            bail!("refusing {ip}: loadgen only targets loopback addresses (127.0.0.0/8, ::1)");
        }
        return Ok(());
    }
    if !bare.eq_ignore_ascii_case("localhost") {
        bail!("refusing {host:?}: loadgen only targets loopback addresses (127.0.0.1, ::1, localhost)");
    }
    let port = base.port_or_known_default().unwrap_or(80);
    let addrs: Vec<_> = tokio::net::lookup_host((bare, port))
        .await
        .context("resolving localhost")?
        .collect();
    if addrs.is_empty() || addrs.iter().any(|a| !a.ip().is_loopback()) {
        bail!("refusing localhost: it resolves to {addrs:?}, not only loopback addresses");
    }
    Ok(())
}

fn classify(e: &reqwest::Error) -> Outcome {
    if e.is_timeout() {
        Outcome::Timeout
    } else if e.is_connect() {
        Outcome::Connect
    } else {
        Outcome::Transport
    }
}

fn us(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// The nearest-rank percentile of sorted values, in milliseconds.
fn pct_ms(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    let idx = rank.clamp(1, sorted.len()) - 1;
    round3(sorted[idx] as f64 / 1000.0)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[derive(Default)]
struct Bucket {
    count: u64,
    ok: u64,
    responses: u64,
    latency: Vec<u64>,
    service: Vec<u64>,
    lag: Vec<u64>,
    bytes: u64,
    errors: BTreeMap<String, u64>,
    last_done_us: u64,
}

impl Bucket {
    fn add(&mut self, s: &Sample) {
        self.count += 1;
        self.lag.push(s.lag_us);
        if matches!(s.outcome, Outcome::Ok | Outcome::Status(_)) {
            self.responses += 1;
            self.last_done_us = self.last_done_us.max(s.done_after_us);
        }
        if s.outcome == Outcome::Ok {
            self.ok += 1;
            self.latency.push(s.latency_us);
            self.service.push(s.service_us);
            self.bytes += s.bytes;
        } else {
            *self.errors.entry(s.outcome.label()).or_default() += 1;
        }
    }

    fn summary(&mut self, duration: Duration) -> Value {
        self.latency.sort_unstable();
        self.service.sort_unstable();
        self.lag.sort_unstable();
        // Completions are counted over the measured window, or longer when the last answers
        // came after it (a server that falls behind does not get credit for the backlog).
        let window = (self.last_done_us as f64 / 1e6).max(duration.as_secs_f64());
        let errors = self.count - self.ok;
        let mean = if self.latency.is_empty() {
            0.0
        } else {
            self.latency.iter().sum::<u64>() as f64 / self.latency.len() as f64 / 1000.0
        };
        json!({
            "count": self.count,
            "ok": self.ok,
            "errors": errors,
            "errors_by_kind": self.errors,
            "p50_ms": pct_ms(&self.latency, 50.0),
            "p90_ms": pct_ms(&self.latency, 90.0),
            "p99_ms": pct_ms(&self.latency, 99.0),
            "p999_ms": pct_ms(&self.latency, 99.9),
            "max_ms": pct_ms(&self.latency, 100.0),
            "mean_ms": round3(mean),
            "throughput_rps": round3(self.ok as f64 / window),
            "completed_rps": round3(self.responses as f64 / window),
            "service_p50_ms": pct_ms(&self.service, 50.0),
            "service_p99_ms": pct_ms(&self.service, 99.0),
            "send_lag_p50_ms": pct_ms(&self.lag, 50.0),
            "send_lag_p99_ms": pct_ms(&self.lag, 99.0),
            "send_lag_max_ms": pct_ms(&self.lag, 100.0),
            "mean_response_bytes": self.bytes.checked_div(self.ok).unwrap_or(0),
        })
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(run(args)));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    let base = reqwest::Url::parse(&args.base_url).context("--base-url is not a URL")?;
    check_loopback(&base).await?;
    let base_text = args.base_url.trim_end_matches('/').to_string();
    let sessions = read_sessions(&args.sessions, &args.cookie_name)?;
    let paths = read_paths(&args.paths)?;
    let mut urls: Vec<Vec<String>> = Vec::with_capacity(sessions.len());
    for (n, s) in sessions.iter().enumerate() {
        let mut row = Vec::with_capacity(paths.len());
        for (label, p) in &paths {
            let mut p = p.clone();
            for placeholder in PLACEHOLDERS {
                if !p.contains(placeholder) {
                    continue;
                }
                let (_, value) = s
                    .values
                    .iter()
                    .find(|(ph, _)| *ph == placeholder)
                    .with_context(|| {
                        format!(
                            "session {} has no value for {placeholder}, which the path of {label} uses",
                            n + 1
                        )
                    })?;
                p = p.replace(placeholder, value);
            }
            row.push(format!("{base_text}{p}"));
        }
        urls.push(row);
    }
    let urls = Arc::new(urls);
    let cookies: Arc<Vec<HeaderValue>> = Arc::new(sessions.into_iter().map(|s| s.cookie).collect());
    let accept_encoding = if args.accept_encoding.trim().is_empty() {
        None
    } else {
        Some(HeaderValue::from_str(&args.accept_encoding)?)
    };

    let limit = usize::try_from(args.concurrency_limit)?;
    let timeout = Duration::from_secs(args.timeout);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(limit)
        .pool_idle_timeout(Duration::from_secs(120))
        .connect_timeout(Duration::from_secs(5))
        .timeout(timeout)
        .user_agent("lastmile-loadgen/1")
        .build()?;

    let rate = args.rate;
    let warmup = Duration::from_secs(args.warmup);
    let duration = Duration::from_secs(args.duration);
    let total = rate * (args.warmup + args.duration);
    let npaths = paths.len() as u64;
    let nsessions = cookies.len() as u64;
    let scheduled_at = move |i: u64| Duration::from_nanos(i * 1_000_000_000 / rate);

    eprintln!(
        "loadgen: {rate} req/s for {}s after {}s of warmup ({total} requests) against {base_text}, {nsessions} sessions, {npaths} pages, at most {limit} in flight",
        args.duration, args.warmup
    );

    let started_at = chrono::Utc::now();
    let start = Instant::now() + Duration::from_millis(50);
    let measure_from = start + warmup;
    let schedule_end = start + warmup + duration;
    // The run stops here whatever is still waiting or in flight.
    let hard_stop = schedule_end + timeout * 2;
    let semaphore = Arc::new(Semaphore::new(limit));
    let (tx, mut rx) = mpsc::unbounded_channel::<Sample>();
    let in_flight = Arc::new(std::sync::Mutex::new(BTreeMap::<
        u64,
        (usize, Instant, Instant),
    >::new()));

    let dispatcher = {
        let tx = tx.clone();
        let client = client.clone();
        let in_flight = in_flight.clone();
        // The schedule is kept by a plain thread: an OS sleep wakes within tens of
        // microseconds of its deadline, where Tokio's timer rounds up to the next millisecond
        // (which would add up to a millisecond to every measured latency).
        let (tick_tx, mut ticks) = mpsc::unbounded_channel::<u64>();
        std::thread::Builder::new()
            .name("loadgen-clock".into())
            .spawn(move || {
                for i in 0..total {
                    let at = start + scheduled_at(i);
                    let now = Instant::now();
                    if at > now {
                        std::thread::sleep(at - now);
                    }
                    if Instant::now() >= hard_stop || tick_tx.send(i).is_err() {
                        break;
                    }
                }
            })?;
        tokio::spawn(async move {
            let mut sent = 0u64;
            while let Some(i) = ticks.recv().await {
                let scheduled = start + scheduled_at(i);
                let permit = match tokio::time::timeout_at(
                    hard_stop.into(),
                    semaphore.clone().acquire_owned(),
                )
                .await
                {
                    Ok(Ok(p)) => p,
                    _ => break,
                };
                if Instant::now() >= hard_stop {
                    break;
                }
                let path = (i % npaths) as usize;
                let session = ((i / npaths) % nsessions) as usize;
                let url = urls[session][path].clone();
                let mut request = client
                    .get(url)
                    .header(COOKIE, cookies[session].clone())
                    .header(ACCEPT, "text/html");
                if let Some(ae) = &accept_encoding {
                    request = request.header(ACCEPT_ENCODING, ae.clone());
                }
                let tx = tx.clone();
                let in_flight = in_flight.clone();
                tokio::spawn(async move {
                    let sent_at = Instant::now();
                    in_flight
                        .lock()
                        .unwrap()
                        .insert(i, (path, scheduled, sent_at));
                    let (outcome, bytes) = match request.send().await {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            match response.bytes().await {
                                Ok(body) if status == 200 => (Outcome::Ok, body.len() as u64),
                                Ok(body) => (Outcome::Status(status), body.len() as u64),
                                Err(e) => (classify(&e), 0),
                            }
                        }
                        Err(e) => (classify(&e), 0),
                    };
                    let done = Instant::now();
                    drop(permit);
                    let _ = tx.send(Sample {
                        index: i,
                        path,
                        latency_us: us(done - scheduled),
                        service_us: us(done - sent_at),
                        lag_us: us(sent_at - scheduled),
                        done_after_us: us(done.saturating_duration_since(measure_from)),
                        bytes,
                        outcome,
                    });
                    in_flight.lock().unwrap().remove(&i);
                });
                sent += 1;
            }
            sent
        })
    };
    drop(tx);

    let mut samples: Vec<Sample> = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    while let Ok(Some(s)) = tokio::time::timeout_at(hard_stop.into(), rx.recv()).await {
        samples.push(s);
    }
    while let Ok(s) = rx.try_recv() {
        samples.push(s);
    }
    let sent = if dispatcher.is_finished() {
        dispatcher.await.unwrap_or(0)
    } else {
        dispatcher.abort();
        samples.len() as u64 + in_flight.lock().unwrap().len() as u64
    };
    let wall = start.elapsed();

    // Whatever was still in flight or never sent when time ran out counts as an error.
    let finished_at = Instant::now();
    let mut seen: std::collections::HashSet<u64> = samples.iter().map(|s| s.index).collect();
    for (&i, &(path, scheduled, sent_at)) in in_flight.lock().unwrap().iter() {
        if !seen.insert(i) {
            continue;
        }
        samples.push(Sample {
            index: i,
            path,
            latency_us: us(finished_at - scheduled),
            service_us: us(finished_at - sent_at),
            lag_us: us(sent_at - scheduled),
            done_after_us: 0,
            bytes: 0,
            outcome: Outcome::Unfinished,
        });
    }
    for i in 0..total {
        if !seen.contains(&i) {
            let scheduled = start + scheduled_at(i);
            samples.push(Sample {
                index: i,
                path: (i % npaths) as usize,
                latency_us: us(finished_at.saturating_duration_since(scheduled)),
                service_us: 0,
                lag_us: us(finished_at.saturating_duration_since(scheduled)),
                done_after_us: 0,
                bytes: 0,
                outcome: Outcome::NotSent,
            });
        }
    }

    let warmup_count = rate * args.warmup;
    let mut overall = Bucket::default();
    let mut per_page: Vec<Bucket> = paths.iter().map(|_| Bucket::default()).collect();
    for s in samples.iter().filter(|s| s.index >= warmup_count) {
        overall.add(s);
        per_page[s.path].add(s);
    }

    let mut pages = serde_json::Map::new();
    let mut rows = Vec::new();
    for ((label, path), bucket) in paths.iter().zip(per_page.iter_mut()) {
        let mut v = bucket.summary(duration);
        v["path"] = json!(path);
        rows.push((label.clone(), v.clone()));
        pages.insert(label.clone(), v);
    }
    let overall = overall.summary(duration);
    rows.push(("overall".into(), overall.clone()));

    println!();
    println!(
        "{:<12} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "page",
        "count",
        "errors",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "req/s",
        "KB"
    );
    for (label, v) in &rows {
        println!(
            "{:<12} {:>8} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.1} {:>8.1}",
            label,
            v["count"].as_u64().unwrap_or(0),
            v["errors"].as_u64().unwrap_or(0),
            v["p50_ms"].as_f64().unwrap_or(0.0),
            v["p90_ms"].as_f64().unwrap_or(0.0),
            v["p99_ms"].as_f64().unwrap_or(0.0),
            v["p999_ms"].as_f64().unwrap_or(0.0),
            v["max_ms"].as_f64().unwrap_or(0.0),
            v["throughput_rps"].as_f64().unwrap_or(0.0),
            v["mean_response_bytes"].as_f64().unwrap_or(0.0) / 1024.0,
        );
    }
    println!(
        "offered {rate} req/s; send lag p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; service time (from actual send) p50 {:.2} ms, p99 {:.2} ms",
        overall["send_lag_p50_ms"].as_f64().unwrap_or(0.0),
        overall["send_lag_p99_ms"].as_f64().unwrap_or(0.0),
        overall["send_lag_max_ms"].as_f64().unwrap_or(0.0),
        overall["service_p50_ms"].as_f64().unwrap_or(0.0),
        overall["service_p99_ms"].as_f64().unwrap_or(0.0),
    );
    if let Some(kinds) = overall["errors_by_kind"]
        .as_object()
        .filter(|k| !k.is_empty())
    {
        println!(
            "errors: {}",
            kinds
                .iter()
                .map(|(k, v)| format!("{k} × {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    let result = json!({
        "tool": "lastmile loadgen (open loop; latency from the scheduled start)",
        "started_at": started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "base_url": base_text,
        "rate": rate,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "concurrency_limit": args.concurrency_limit,
        "timeout_s": args.timeout,
        "accept_encoding": args.accept_encoding,
        "sessions": nsessions,
        "requests_scheduled": total,
        "requests_sent": sent,
        "wall_s": round3(wall.as_secs_f64()),
        "page_order": paths.iter().map(|(label, _)| label.clone()).collect::<Vec<_>>(),
        "pages": pages,
        "overall": overall,
    });
    if let Some(out) = &args.out {
        std::fs::write(out, serde_json::to_string_pretty(&result)? + "\n")
            .with_context(|| format!("writing {}", out.display()))?;
        eprintln!("loadgen: results written to {}", out.display());
    }
    Ok(())
}

//! The database pool and migrations.

use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

/// Connects, failing within seconds with a message that says which part is wrong.
pub async fn connect(url: &SecretString, max_connections: u32) -> anyhow::Result<PgPool> {
    connect_with(url, max_connections, false).await
}

/// A pool for the session store. Sessions are written on every request (to push back their
/// idle expiry) and losing the last moment of those writes in a crash only signs people out,
/// so these connections do not wait for the disk (`synchronous_commit = off`); billing data
/// never goes through them.
pub async fn connect_for_sessions(
    url: &SecretString,
    max_connections: u32,
) -> anyhow::Result<PgPool> {
    connect_with(url, max_connections, true).await
}

async fn connect_with(
    url: &SecretString,
    max_connections: u32,
    relaxed_commit: bool,
) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = url
        .expose_secret()
        .parse()
        .context("DATABASE_URL is not a valid PostgreSQL URL")?;
    // No JIT compilation: PostgreSQL compiles a query to machine code when its estimated
    // cost passes `jit_above_cost`, and the bill run's queries (whose estimates count every
    // correlated subquery for every account) paid 30-40 ms of compiling on every execution
    // for a query that then ran in 15. With it off (and the index on people by account), a
    // month of bill runs took half the time on 10,000 accounts and two thirds on 100,000
    // (bench/RESULTS.md, 2026-12-07). Nothing Lastmile runs is the long analytical scan
    // that JIT is for. Set here, for Lastmile's own connections only: the database is
    // shared, and other systems keep their setting.
    let options = options
        .application_name("lastmile")
        .options([("jit", "off")]);
    let options = if relaxed_commit {
        options.options([("synchronous_commit", "off")])
    } else {
        options
    };
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        // Pinging each connection before every use doubles the round trips of a page; a
        // broken connection is found by the query itself and replaced. After an outage
        // (PostgreSQL restarted or failed over), every connection opened before it is broken:
        // each is closed when next taken rather than failing one more request.
        .test_before_acquire(false)
        .before_acquire(|_connection, meta| {
            Box::pin(async move { Ok(!engine::database::opened_before_outage(meta.age)) })
        })
        .connect_with(options.clone())
        .await
        .with_context(|| {
            format!(
                "cannot reach the database at {}:{} (database {:?}); is PostgreSQL running and DATABASE_URL right?",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or("(default)")
            )
        })
}

/// Applies the migrations in `migrations/` that have not run yet.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::migrate!("../migrations")
        .run(pool)
        .await
        .context("applying migrations")?;
    Ok(())
}

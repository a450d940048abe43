//! Demo data: a whole broadband ISP, generated into an empty database.
//!
//! # The world
//!
//! Lastmile Broadband sells ten plans (fibre, cable, DSL, fixed wireless; one prepaid; one
//! for businesses; some with a data allowance and overage per started gigabyte, some with a
//! 12- or 24-month contract) in four states, each with its own sales tax and time zone:
//! Texas (8.25%, Central), New York (8.875%, Eastern), Colorado (2.9%, Mountain) and Oregon
//! (no sales tax, Pacific). See [`catalogue`].
//!
//! Each account (numbers from 10000001) has an owner and sometimes a second person for
//! billing, one address with the technologies the network reaches there, one service
//! activated 13 to 60 months ago on a plan the address can get, and a portal login for the
//! owner. About 10% are businesses, 30% pay by autopay and 60% keep a card on file; about
//! 8% are behind with their latest one or two statements, and a quarter of those have had
//! their service suspended. About 3% have a support ticket. See [`profile`].
//!
//! Usage covers the 365 days before `today` (yesterday included): one daily row per
//! service and day, and for the last 14 days the hour-by-hour figures the daily totals are
//! summed from. Light users move 50 GB a month and heavy ones 900 GB; on plans with an
//! allowance about one subscriber in eight goes over it. See [`usage`].
//!
//! Every account has twelve statements, one per billing period, issued on the period's
//! first day and due three weeks later (prepaid ones are topped up the day before and due
//! on issue): the plan's price for the period ahead, any promotion on it (one account in
//! twenty has one for a few months), the overage for the period just ended, any one-off
//! charge (a replacement router, a late fee), sales tax, and the payments received since
//! the previous statement. The seed generates those facts and the billing engine's own
//! composition ([`billing::bill::compose`]) makes the statements, which are written with
//! the engine's bookkeeping (days charged, entries posted and shown, dunning steps taken),
//! so a bill run carries on from the seeded history as from its own. Payments and the
//! ledger agree with the statements to the cent. See [`account`].
//!
//! The two demo subscribers, both with the password [`DEMO_PASSWORD`]:
//! - account 10000001, Alex Morgan, `alex.morgan@example.net`: Cable 300 with 1,000 GB
//!   included, used heavily; cycle day 5; earlier statements paid, the latest unpaid (not
//!   yet due on the days after the 5th, overdue once the 26th has passed); an open ticket;
//!   an evening outage six days ago;
//! - account 10000002, Sam Taylor, `sam.taylor@example.net`: unlimited Fibre 1000 in
//!   Portland, autopay, cycle day 18, moderate use; for checking that one subscriber never
//!   sees another's data.
//!
//! # Properties
//!
//! - **Only into an empty database**, and all in one transaction: a failure leaves nothing.
//! - **Deterministic**: the same seed, account count and `today` give the same rows (only
//!   the password hash differs, its salt being random). No clock is read: `today` is given.
//!   Each account draws from its own ChaCha stream, (seed, account index), so its data
//!   does not depend on how the work is chunked.
//! - **Fast** (100,000 accounts, 36.5 M usage rows, in about three minutes on two cores):
//!   rows are generated in chunks of 2,000 accounts on a blocking thread while the previous
//!   chunk streams into PostgreSQL with `COPY`, so generation and loading overlap. As
//!   `pg_restore` does, the foreign keys of the tables being filled are dropped for the
//!   load and added back at the end, which checks every row against them in one pass per
//!   key instead of one lookup per row; the deferred checks that each statement's lines
//!   add up to its totals run after every chunk. Nothing is skipped: every constraint and
//!   trigger of the schema has passed when the transaction commits. (Dropping a foreign key
//!   needs the tables' owner, as migrations do.)
//! - **Demo only**: argon2 hashing takes tens of milliseconds on purpose, which would be
//!   hours for 100,000 logins, so the demo password is hashed once and that one hash is
//!   stored for every login. Anyone who knows the demo password can sign in as any seeded
//!   subscriber: never seed a database real people use.
//! - Local days always have 24 hours here: the 23- and 25-hour days when clocks change are
//!   not modelled (the schema and the portal allow them).

mod account;
mod catalogue;
mod copy;
mod names;
mod profile;
mod rows;
mod usage;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use anyhow::{bail, Context};
use chrono::{Days, NaiveDate};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use tokio::sync::mpsc;

use self::copy::CopyData;
use self::profile::{World, FIRST_ACCOUNT_NUMBER};
use self::rows::{Ids, Rows, TABLES_WITH_IDS};

/// The password of every seeded portal login.
pub const DEMO_PASSWORD: &str = "lastmile-demo";

/// Accounts generated and sent together: enough that each `COPY` is worth its round trip,
/// few enough to keep a chunk's rows (~35 MB, mostly usage) small in memory.
const CHUNK_ACCOUNTS: u32 = 2_000;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// How many subscriber accounts (at least one: the demo subscriber).
    pub accounts: u32,
    /// The same seed gives the same data.
    pub seed: u64,
    /// The day the data ends: usage runs to the day before, the latest statement is the
    /// one for the period containing it.
    pub today: NaiveDate,
    /// Draw a progress bar on standard error.
    pub show_progress: bool,
    /// The keys the demo staff's authenticator secret is sealed with (the server's
    /// `LASTMILE_TOTP_KEY`, so that the server that serves the data can read it).
    pub totp_keys: std::sync::Arc<app::server::staff::totp_keys::TotpKeys>,
}

/// What was generated, and how to sign in to it.
#[derive(Debug, Clone)]
pub struct SeedSummary {
    pub accounts: u32,
    pub statements: u64,
    pub usage_days: u64,
    pub demo_email: String,
    pub demo_account_number: String,
    pub demo_password: &'static str,
}

/// Fills an empty database with the demo ISP described in the module documentation.
///
/// Fails, writing nothing, if the database already has accounts (or a catalogue).
pub async fn seed_demo(pool: &PgPool, opts: &SeedOptions) -> anyhow::Result<SeedSummary> {
    if opts.accounts == 0 {
        bail!("seed at least one account (the demo subscriber)");
    }
    if opts.accounts > 89_999_999 {
        bail!("at most 89,999,999 accounts fit the 8-digit account numbers");
    }
    // A connection of its own, outside the pool: the seed's bulk statements take seconds
    // by design, and the pool's slow-statement warnings about them would only be noise.
    let connect = pool
        .connect_options()
        .as_ref()
        .clone()
        .disable_statement_logging();
    let mut conn = connect
        .connect()
        .await
        .context("connecting to the database")?;
    let mut tx = conn
        .begin()
        .await
        .context("starting the seed transaction")?;
    ensure_empty(&mut tx).await?;

    let password_hash =
        tokio::task::spawn_blocking(|| app::server::auth::hash_password_blocking(DEMO_PASSWORD))
            .await
            .context("hashing the demo password")??;
    let world_password_hash = password_hash.clone();
    let world = Arc::new(World::new(opts.seed, opts.today, password_hash));

    let since = (opts.today - Days::new(2_000))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    for table in catalogue::rows(since) {
        table
            .into_copy()
            .send(&mut tx)
            .await
            .context("loading the catalogue")?;
    }

    let progress = progress_bar(opts);
    let foreign_keys = ForeignKeys::suspend(&mut tx).await?;
    let (statements, usage_days) = load_accounts(&mut tx, world, opts.accounts, &progress).await?;
    // The trigger on `ledger_entries` queued every payment for a statement to show; the
    // ones a seeded statement showed are not waiting any more. What stays: the payments
    // made since each account's latest statement, for the next bill run.
    sqlx::query(
        "delete from ledger_entries_pending p using statement_ledger_entries s
          where s.ledger_entry_id = p.ledger_entry_id",
    )
    .execute(&mut *tx)
    .await
    .context("clearing the payments seeded statements show")?;
    progress.set_message("checking foreign keys");
    foreign_keys.restore(&mut tx).await?;

    progress.set_message("resetting id sequences");
    for table in TABLES_WITH_IDS {
        sqlx::query(&format!(
            "select setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1), max(id) is not null) from {table}"
        ))
        .execute(&mut *tx)
        .await
        .with_context(|| format!("resetting the id sequence of {table}"))?;
    }
    progress.set_message("committing");
    tx.commit().await.context("committing the seed")?;
    progress.finish_with_message("done");
    // Closing politely only spares the server a log line; the data is committed already.
    let _ = conn.close().await;
    seed_staff(pool, &opts.totp_keys, &world_password_hash).await?;

    Ok(SeedSummary {
        accounts: opts.accounts,
        statements,
        usage_days,
        demo_email: "alex.morgan@example.net".into(),
        demo_account_number: FIRST_ACCOUNT_NUMBER.to_string(),
        demo_password: DEMO_PASSWORD,
    })
}

/// The demo's staff: one of each role, with the demo password and [`DEMO_TOTP_SECRET`].
pub const DEMO_STAFF: [(&str, &str, &str); 3] = [
    ("riley.support@example.net", "Riley Chen", "support_rep"),
    ("bailey.billing@example.net", "Bailey Okafor", "billing"),
    ("avery.admin@example.net", "Avery Brooks", "admin"),
];

/// The demo staff's authenticator secret (base32 `NRQXG5DNNFWGKLLEMVWW6LLUN52HAIJB`). Published
/// on purpose: it is for the demo's generated staff only.
pub const DEMO_TOTP_SECRET: &[u8] = b"lastmile-demo-totp!!";

async fn seed_staff(
    pool: &PgPool,
    totp_keys: &app::server::staff::totp_keys::TotpKeys,
    password_hash: &str,
) -> anyhow::Result<()> {
    for (email, name, role) in DEMO_STAFF {
        let id: Option<i64> = sqlx::query_scalar(
            "insert into staff_users (email, display_name, role, password_hash) values ($1, $2, $3, $4)
             on conflict (email) do nothing returning id",
        )
        .bind(email)
        .bind(name)
        .bind(role)
        .bind(password_hash)
        .fetch_optional(pool)
        .await
        .context("adding the demo staff")?;
        if let Some(id) = id {
            app::server::staff::auth::enrol_with(pool, totp_keys, id, DEMO_TOTP_SECRET.to_vec())
                .await
                .map_err(|e| anyhow::anyhow!("enrolling the demo staff: {e}"))?;
        }
    }
    Ok(())
}

/// Refuses a database that already has accounts, or catalogue rows the seed's fixed ids
/// would collide with.
async fn ensure_empty(conn: &mut PgConnection) -> anyhow::Result<()> {
    // A second seed started meanwhile waits here, then finds the accounts and refuses.
    sqlx::query("lock table accounts in share row exclusive mode")
        .execute(&mut *conn)
        .await
        .context("locking the accounts table")?;
    let has_accounts: bool = sqlx::query_scalar("select exists (select 1 from accounts)")
        .fetch_one(&mut *conn)
        .await
        .context("checking that the database is empty")?;
    if has_accounts {
        bail!("the database already has accounts; seed only an empty database");
    }
    let has_catalogue: bool = sqlx::query_scalar(
        "select exists (select 1 from plans) or exists (select 1 from jurisdictions)
             or exists (select 1 from charge_types) or exists (select 1 from tax_rates)",
    )
    .fetch_one(&mut *conn)
    .await
    .context("checking that the database is empty")?;
    if has_catalogue {
        bail!("the database already has plans, jurisdictions or charge types; seed only an empty database");
    }
    Ok(())
}

/// The foreign keys of the tables filled per account, taken off while the rows stream in
/// and put back (which checks every row against them, one pass per key) before commit:
/// what `pg_restore` does, because checking a key once per row costs more than loading
/// the row. Being in the seed's transaction, a failure restores them untouched.
struct ForeignKeys {
    /// `alter table ... add constraint ...` statements, from the database's own definitions.
    restore: Vec<String>,
}

impl ForeignKeys {
    async fn suspend(conn: &mut PgConnection) -> anyhow::Result<ForeignKeys> {
        let tables: Vec<String> = rows::PER_ACCOUNT_TABLES
            .iter()
            .map(|t| t.to_string())
            .collect();
        let keys: Vec<(String, String)> = sqlx::query_as(
            "select format('alter table %s drop constraint %I', c.conrelid::regclass, c.conname),
                    format('alter table %s add constraint %I %s', c.conrelid::regclass, c.conname,
                           pg_get_constraintdef(c.oid))
               from pg_constraint c
              where c.contype = 'f' and c.conrelid = any (select t::regclass from unnest($1::text[]) t)
              order by c.conrelid::regclass::text, c.conname",
        )
        .bind(&tables)
        .fetch_all(&mut *conn)
        .await
        .context("reading the foreign keys")?;
        let mut restore = Vec::with_capacity(keys.len());
        for (drop, add) in keys {
            sqlx::query(&drop)
                .execute(&mut *conn)
                .await
                .with_context(|| drop.clone())?;
            restore.push(add);
        }
        Ok(ForeignKeys { restore })
    }

    async fn restore(self, conn: &mut PgConnection) -> anyhow::Result<()> {
        for add in self.restore {
            sqlx::query(&add)
                .execute(&mut *conn)
                .await
                .with_context(|| format!("checking the seeded rows: {add}"))?;
        }
        Ok(())
    }
}

/// A generated chunk of accounts, ready to send.
struct Chunk {
    accounts: u32,
    copies: Vec<CopyData>,
    statements: u64,
    usage_days: u64,
}

/// Generates the accounts on a blocking thread and streams each chunk into the database
/// while the next is being generated. Returns the number of statements and usage days.
async fn load_accounts(
    conn: &mut PgConnection,
    world: Arc<World>,
    accounts: u32,
    progress: &ProgressBar,
) -> anyhow::Result<(u64, u64)> {
    // One chunk in flight and one waiting: enough to keep both sides busy.
    let (sender, mut receiver) = mpsc::channel::<anyhow::Result<Chunk>>(1);
    let generator = tokio::task::spawn_blocking(move || {
        let mut ids = Ids::default();
        let mut start = 0;
        while start < accounts {
            let end = start.saturating_add(CHUNK_ACCOUNTS).min(accounts);
            let chunk = generate_chunk(&world, start..end, &mut ids);
            let failed = chunk.is_err();
            // A closed channel means loading failed; its error is the one reported.
            if sender.blocking_send(chunk).is_err() || failed {
                return;
            }
            start = end;
        }
    });

    let (mut statements, mut usage_days) = (0, 0);
    while let Some(chunk) = receiver.recv().await {
        let chunk = chunk?;
        for copy in chunk.copies {
            copy.send(&mut *conn)
                .await
                .context("loading generated rows")?;
        }
        check_deferred_constraints(&mut *conn).await?;
        statements += chunk.statements;
        usage_days += chunk.usage_days;
        progress.inc(chunk.accounts.into());
    }
    generator.await.context("the generator thread failed")?;
    Ok((statements, usage_days))
}

/// Runs the checks queued until commit, now that the chunk's statements and their lines
/// are all in, then defers them again for the next chunk. In this schema the deferred
/// checks are the ones that each statement's lines add up to its totals (initially
/// deferred because a statement and its lines go in separately); running them chunk by
/// chunk keeps their queue small, and leaves none pending when the foreign keys go back.
async fn check_deferred_constraints(conn: &mut PgConnection) -> anyhow::Result<()> {
    sqlx::query("set constraints all immediate")
        .execute(&mut *conn)
        .await
        .context("checking that the generated statements add up")?;
    sqlx::query("set constraints all deferred")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn generate_chunk(
    world: &World,
    indices: std::ops::Range<u32>,
    ids: &mut Ids,
) -> anyhow::Result<Chunk> {
    let mut rows = Rows::new(indices.len());
    let (mut statements, mut usage_days) = (0, 0);
    for index in indices.clone() {
        let written = account::write(world, index, ids, &mut rows)?;
        statements += written.statements;
        usage_days += written.usage_days;
    }
    Ok(Chunk {
        accounts: indices.end - indices.start,
        copies: rows.into_copies(),
        statements,
        usage_days,
    })
}

fn progress_bar(opts: &SeedOptions) -> ProgressBar {
    if !opts.show_progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(opts.accounts.into());
    let style = ProgressStyle::with_template(
        "{elapsed_precise} [{wide_bar}] {pos}/{len} accounts, {eta} left {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar
}

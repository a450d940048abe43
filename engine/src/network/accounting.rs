//! RADIUS accounting into usage: `radius.radacct` -> `usage_daily` / `usage_hourly`.
//!
//! ## Where the snapshots come from
//!
//! FreeRADIUS's stock PostgreSQL queries keep one `radacct` row per session (Start inserts
//! it; Interim-Update and Stop overwrite its cumulative counters, already combined as
//! `Gigawords << 32 + Octets`; Accounting-On/Off stamps a stop time on every open session
//! of that NAS). Reading `radacct` now and then would lose what the counters were between
//! two reads, so a trigger on it (migration `20261207000300`) appends every change of a
//! session's counters or times to `radius.radacct_journal` in FreeRADIUS's own
//! transaction. [`ingest`] consumes the journal in id order, in batches, and deletes each
//! batch in the transaction that adds its bytes: a crash or a second run cannot count a
//! snapshot twice or skip one. Two instances take turns through a transaction-level
//! advisory lock. For one session, journal ids follow commit order (FreeRADIUS's updates
//! of one row wait for each other, and each trigger runs after the row lock is taken).
//!
//! ## Direction
//!
//! Counters are the NAS's: `acctinputoctets` is what the NAS **received from** the
//! subscriber (their upload), `acctoutputoctets` what it **sent to** them (their
//! download). So input -> `upload_bytes`, output -> `download_bytes`.
//!
//! ## From snapshots to bytes (per session, `usage_sessions` keeps the state)
//!
//! * The bytes between two snapshots are the counter increase, spread over the interval
//!   between them in proportion to time, split at every local hour and midnight of the
//!   provider's time zone (23- and 25-hour days included; see [`spread`]). The first
//!   snapshot of a session counts from zero, spread from the session's start.
//! * The same counters again add nothing (they only move the session's "last read" time).
//! * Counters lower than already counted add nothing and are recorded in `usage_rejects`:
//!   `late` when the snapshot is not newer than the last one (an out-of-order interim),
//!   `counters_backwards` when it is. Only bytes above the highest counters ever seen are
//!   counted, so a late packet followed by the next interim never counts a byte twice.
//!   (A NAS that resets its counters without starting a new session therefore loses
//!   bytes until they pass the old figure: billing errs towards counting less.)
//! * A session that restarts is a new session: a new Acct-Unique-Session-Id is a new
//!   `radacct` row; a Start again under the same id (FreeRADIUS moves its start time) marks
//!   the session, and the next lower counters are counted from zero.
//! * A Stop, or an Accounting-On/Off closing the NAS's sessions, closes the session
//!   (bytes in the Stop are counted like an interim's).
//! * A username no service has: the bytes are kept in `usage_unattributed` with their
//!   interval and an `unknown_user` reject is recorded; once credentials with that
//!   username exist, the next ingestion adds them to that service (and marks the rejects
//!   resolved).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::{Connection, PgConnection, PgPool};

use crate::clock;
use crate::EngineError;

/// Journal rows consumed per transaction.
pub const BATCH: i64 = 100_000;

/// The advisory lock two ingesting instances take turns on.
const INGEST_LOCK: i64 = 0x4c4d_5553_4147_4531; // "LMUSAGE1"

/// The advisory lock every writer of usage rows takes before writing them ([`Usage::write`]).
pub const USAGE_WRITE_LOCK: i64 = 0x4c4d_5553_4147_4557; // "LMUSAGEW"

/// What one [`ingest`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestSummary {
    /// Journal rows (snapshots) consumed.
    pub snapshots: u64,
    /// Bytes added to services' usage (this run, including bytes attributed late).
    pub download_bytes: i64,
    /// Bytes added to services' usage.
    pub upload_bytes: i64,
    /// Snapshots whose counters were lower than already counted and not newer.
    pub late: u64,
    /// Snapshots whose counters went backwards though newer.
    pub backwards: u64,
    /// Snapshots of usernames no service has (their bytes are kept for later).
    pub unknown_user: u64,
    /// Earlier bytes of unknown usernames added now that credentials exist.
    pub attributed_later: u64,
    /// Sessions closed (Stop or a NAS reboot).
    pub sessions_closed: u64,
    /// Transactions committed.
    pub batches: u64,
    /// The services whose usage grew (for the usage alerts to look at).
    pub services: Vec<i64>,
}

/// Consumes the whole accounting journal into usage, in batches of [`BATCH`], then adds
/// earlier bytes of usernames that now have credentials. Local days and hours are `tz`'s
/// (the provider's time zone).
pub async fn ingest(pool: &PgPool, tz: Tz) -> Result<IngestSummary, EngineError> {
    ingest_in_batches(pool, tz, BATCH).await
}

/// [`ingest`] with another batch size (tests use small ones to cross batch boundaries).
pub async fn ingest_in_batches(
    pool: &PgPool,
    tz: Tz,
    batch: i64,
) -> Result<IngestSummary, EngineError> {
    let mut summary = IngestSummary::default();
    loop {
        let consumed = ingest_batch(pool, tz, batch.max(1), &mut summary).await?;
        if consumed < batch.max(1) {
            break;
        }
    }
    attribute_unknown(pool, tz, &mut summary).await?;
    summary.services.sort_unstable();
    summary.services.dedup();
    Ok(summary)
}

#[derive(sqlx::FromRow)]
struct JournalRow {
    id: i64,
    radacctid: i64,
    username: Option<String>,
    started_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
    input_octets: i64,
    output_octets: i64,
    stopped: bool,
    restarted: bool,
}

#[derive(sqlx::FromRow, Clone)]
struct Session {
    radacctid: i64,
    username: String,
    started_at: Option<DateTime<Utc>>,
    last_at: DateTime<Utc>,
    input_octets: i64,
    output_octets: i64,
    restarted: bool,
    stopped: bool,
}

/// Bytes a session used over an interval.
struct Delta {
    username: String,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    download: i64,
    upload: i64,
}

struct Reject {
    radacctid: i64,
    username: String,
    at: DateTime<Utc>,
    reason: &'static str,
    detail: String,
}

/// Applies one snapshot to a session's state: the bytes it adds, or why it adds none.
fn apply(state: Option<Session>, row: &JournalRow) -> (Session, Option<Delta>, Option<Reject>) {
    let username = row.username.clone().unwrap_or_default();
    let Some(mut s) = state else {
        // First sight of the session: everything so far, since it started.
        let from = row.started_at.filter(|t| *t <= row.at).unwrap_or(row.at);
        let s = Session {
            radacctid: row.radacctid,
            username: username.clone(),
            started_at: row.started_at,
            last_at: row.at,
            input_octets: row.input_octets,
            output_octets: row.output_octets,
            restarted: false,
            stopped: row.stopped,
        };
        let delta = (row.input_octets > 0 || row.output_octets > 0).then_some(Delta {
            username,
            from,
            to: row.at,
            download: row.output_octets,
            upload: row.input_octets,
        });
        return (s, delta, None);
    };
    if row.restarted {
        s.restarted = true;
        s.started_at = row.started_at;
    }
    s.stopped |= row.stopped;
    let (input, output) = (row.input_octets, row.output_octets);
    if input >= s.input_octets && output >= s.output_octets {
        let grew = input > s.input_octets || output > s.output_octets;
        // Larger counters read earlier than the last snapshot cannot happen with a sane
        // clock: count them at the last snapshot's time rather than before it.
        let to = row.at.max(s.last_at);
        let delta = grew.then(|| Delta {
            username: username.clone(),
            from: s.last_at,
            to,
            download: output - s.output_octets,
            upload: input - s.input_octets,
        });
        if grew {
            s.restarted = false;
        }
        s.input_octets = input;
        s.output_octets = output;
        s.last_at = to;
        return (s, delta, None);
    }
    if s.restarted && row.at > s.last_at {
        // The session began again under the same id: these counters are the new one's.
        let from = s
            .started_at
            .filter(|t| *t >= s.last_at && *t <= row.at)
            .unwrap_or(s.last_at);
        let delta = Delta {
            username,
            from,
            to: row.at,
            download: output,
            upload: input,
        };
        s.restarted = false;
        s.input_octets = input;
        s.output_octets = output;
        s.last_at = row.at;
        return (s, Some(delta), None);
    }
    let late = row.at <= s.last_at;
    let reject = Reject {
        radacctid: row.radacctid,
        username,
        at: row.at,
        reason: if late { "late" } else { "counters_backwards" },
        detail: format!(
            "{}: input {} -> {}, output {} -> {} octets (read {} after {}); nothing counted",
            if late {
                "an earlier reading arrived late"
            } else {
                "counters went backwards"
            },
            s.input_octets,
            input,
            s.output_octets,
            output,
            row.at.format("%Y-%m-%dT%H:%M:%SZ"),
            s.last_at.format("%Y-%m-%dT%H:%M:%SZ"),
        ),
    };
    (s, None, Some(reject))
}

/// One transaction: a batch of journal rows consumed into usage. Returns how many rows.
async fn ingest_batch(
    pool: &PgPool,
    tz: Tz,
    batch: i64,
    summary: &mut IngestSummary,
) -> Result<i64, EngineError> {
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(INGEST_LOCK)
        .execute(&mut *tx)
        .await?;
    let mut rows: Vec<JournalRow> = sqlx::query_as(
        "delete from radius.radacct_journal
          where id in (select id from radius.radacct_journal order by id limit $1)
          returning id, radacctid, username, started_at, at, input_octets, output_octets,
                    stopped, restarted",
    )
    .bind(batch)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }
    rows.sort_unstable_by_key(|r| r.id);
    let consumed = i64::try_from(rows.len()).unwrap_or(i64::MAX);

    let mut ids: Vec<i64> = rows.iter().map(|r| r.radacctid).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut sessions: HashMap<i64, Session> = sqlx::query_as::<_, Session>(
        // A join with the ids, not `= any($1)`: a table the planner last saw empty is
        // then still read by its index, never scanned with each row tested against every
        // id (which took 30 s for 100,000 sessions).
        "select s.radacctid, s.username, s.started_at, s.last_at, s.input_octets,
                s.output_octets, s.restarted, s.stopped
           from unnest($1::bigint[]) as k(id) join usage_sessions s on s.radacctid = k.id",
    )
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|s| (s.radacctid, s))
    .collect();
    let known: HashSet<i64> = sessions.keys().copied().collect();

    let mut usernames: Vec<String> = rows.iter().filter_map(|r| r.username.clone()).collect();
    usernames.sort_unstable();
    usernames.dedup();
    let services = services_of(&mut tx, &usernames).await?;

    let mut usage = Usage::default();
    let mut rejects = Vec::new();
    let mut unattributed = Vec::new();
    for row in &rows {
        let before = sessions.remove(&row.radacctid);
        let was_stopped = before.as_ref().is_some_and(|s| s.stopped);
        let (after, delta, reject) = apply(before, row);
        if after.stopped && !was_stopped {
            summary.sessions_closed += 1;
        }
        if let Some(r) = reject {
            if r.reason == "late" {
                summary.late += 1;
            } else {
                summary.backwards += 1;
            }
            rejects.push(r);
        }
        if let Some(d) = delta {
            match services.get(&d.username) {
                Some(&service) => {
                    summary.download_bytes += d.download;
                    summary.upload_bytes += d.upload;
                    usage.add(tz, service, d.from, d.to, d.download, d.upload);
                }
                None => {
                    summary.unknown_user += 1;
                    rejects.push(Reject {
                        radacctid: row.radacctid,
                        username: d.username.clone(),
                        at: row.at,
                        reason: "unknown_user",
                        detail: format!(
                            "no service has the network username {:?}: {} octets down, {} up kept until one does",
                            d.username, d.download, d.upload
                        ),
                    });
                    unattributed.push(d);
                }
            }
        }
        sessions.insert(row.radacctid, after);
    }

    save_sessions(&mut tx, sessions.into_values().collect(), &known).await?;
    save_rejects(&mut tx, &rejects).await?;
    save_unattributed(&mut tx, &unattributed).await?;
    usage.write(&mut tx).await?;
    tx.commit().await?;
    summary.services.extend(usage.services());
    summary.snapshots += u64::try_from(consumed).unwrap_or(0);
    summary.batches += 1;
    Ok(consumed)
}

/// The service of each network username that has one.
async fn services_of(
    conn: &mut PgConnection,
    usernames: &[String],
) -> Result<HashMap<String, i64>, EngineError> {
    Ok(sqlx::query_as::<_, (String, i64)>(
        "select c.username, c.service_id
           from unnest($1::text[]) as k(username) join network_credentials c using (username)",
    )
    .bind(usernames)
    .fetch_all(conn)
    .await?
    .into_iter()
    .collect())
}

/// Saves the sessions' state: an update of those already known (`known`, read in this
/// transaction under the ingestion lock, so no other ingestion changes them meanwhile) and
/// a `COPY` of the new ones (an insert when something else wrote one meanwhile, which then
/// fails the batch: the table is Lastmile's own bookkeeping).
async fn save_sessions(
    conn: &mut PgConnection,
    mut all: Vec<Session>,
    known: &HashSet<i64>,
) -> Result<(), EngineError> {
    all.sort_unstable_by_key(|s| s.radacctid);
    let (old, mut new): (Vec<Session>, Vec<Session>) =
        all.into_iter().partition(|s| known.contains(&s.radacctid));
    if !new.is_empty() {
        let mut copy = String::with_capacity(new.len() * 120);
        let at = |t: DateTime<Utc>| CopyTime(t).to_string();
        for s in &new {
            let _ = writeln!(
                copy,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                s.radacctid,
                copy_text(&s.username),
                s.started_at.map_or("\\N".to_string(), at),
                at(s.last_at),
                s.input_octets,
                s.output_octets,
                s.restarted,
                s.stopped
            );
        }
        let copied = copy_new(
            &mut *conn,
            "copy usage_sessions (radacctid, username, started_at, last_at, input_octets,
                                  output_octets, restarted, stopped) from stdin",
            copy,
        )
        .await?;
        if copied {
            new.clear();
        }
    }
    for (sessions, statement) in [
        (
            old,
            "update usage_sessions u
                set username = t.username, started_at = t.started_at, last_at = t.last_at,
                    input_octets = t.input_octets, output_octets = t.output_octets,
                    restarted = t.restarted, stopped = t.stopped, updated_at = now()
               from unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[],
                           $5::bigint[], $6::bigint[], $7::bool[], $8::bool[])
                    as t(radacctid, username, started_at, last_at, input_octets, output_octets,
                         restarted, stopped)
              where u.radacctid = t.radacctid",
        ),
        (
            new,
            "insert into usage_sessions (radacctid, username, started_at, last_at, input_octets,
                                         output_octets, restarted, stopped)
             select * from unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[],
                                  $5::bigint[], $6::bigint[], $7::bool[], $8::bool[])",
        ),
    ] {
        if sessions.is_empty() {
            continue;
        }
        let n = sessions.len();
        let mut id = Vec::with_capacity(n);
        let mut username = Vec::with_capacity(n);
        let mut started = Vec::with_capacity(n);
        let mut last = Vec::with_capacity(n);
        let mut input = Vec::with_capacity(n);
        let mut output = Vec::with_capacity(n);
        let mut restarted = Vec::with_capacity(n);
        let mut stopped = Vec::with_capacity(n);
        for s in sessions {
            id.push(s.radacctid);
            username.push(s.username);
            started.push(s.started_at);
            last.push(s.last_at);
            input.push(s.input_octets);
            output.push(s.output_octets);
            restarted.push(s.restarted);
            stopped.push(s.stopped);
        }
        sqlx::query(statement)
            .bind(id)
            .bind(username)
            .bind(started)
            .bind(last)
            .bind(input)
            .bind(output)
            .bind(restarted)
            .bind(stopped)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn save_rejects(conn: &mut PgConnection, rejects: &[Reject]) -> Result<(), EngineError> {
    if rejects.is_empty() {
        return Ok(());
    }
    let detail: Vec<String> = rejects
        .iter()
        .map(|r| r.detail.chars().take(500).collect())
        .collect();
    sqlx::query(
        "insert into usage_rejects (radacctid, username, at, reason, detail)
         select * from unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[])",
    )
    .bind(rejects.iter().map(|r| r.radacctid).collect::<Vec<_>>())
    .bind(
        rejects
            .iter()
            .map(|r| r.username.clone())
            .collect::<Vec<_>>(),
    )
    .bind(rejects.iter().map(|r| r.at).collect::<Vec<_>>())
    .bind(
        rejects
            .iter()
            .map(|r| r.reason.to_string())
            .collect::<Vec<_>>(),
    )
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

async fn save_unattributed(conn: &mut PgConnection, deltas: &[Delta]) -> Result<(), EngineError> {
    if deltas.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into usage_unattributed (username, started_at, ended_at, download_bytes, upload_bytes)
         select * from unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::bigint[], $5::bigint[])",
    )
    .bind(deltas.iter().map(|d| d.username.clone()).collect::<Vec<_>>())
    .bind(deltas.iter().map(|d| d.from).collect::<Vec<_>>())
    .bind(deltas.iter().map(|d| d.to).collect::<Vec<_>>())
    .bind(deltas.iter().map(|d| d.download).collect::<Vec<_>>())
    .bind(deltas.iter().map(|d| d.upload).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Bytes of usernames that were unknown and now have a service: added to its usage.
async fn attribute_unknown(
    pool: &PgPool,
    tz: Tz,
    summary: &mut IngestSummary,
) -> Result<(), EngineError> {
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(INGEST_LOCK)
        .execute(&mut *tx)
        .await?;
    // (service, from, to, download, upload)
    type Kept = (i64, DateTime<Utc>, DateTime<Utc>, i64, i64);
    let rows: Vec<Kept> = sqlx::query_as(
        "delete from usage_unattributed u using network_credentials c
          where c.username = u.username
          returning c.service_id, u.started_at, u.ended_at, u.download_bytes, u.upload_bytes",
    )
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        tx.commit().await?;
        return Ok(());
    }
    let mut usage = Usage::default();
    for (service, from, to, down, up) in &rows {
        usage.add(tz, *service, *from, *to, *down, *up);
        summary.download_bytes += down;
        summary.upload_bytes += up;
    }
    summary.attributed_later += u64::try_from(rows.len()).unwrap_or(0);
    sqlx::query(
        "update usage_rejects r set resolved_at = now()
           from network_credentials c
          where r.reason = 'unknown_user' and r.resolved_at is null and c.username = r.username",
    )
    .execute(&mut *tx)
    .await?;
    usage.write(&mut tx).await?;
    tx.commit().await?;
    summary.services.extend(usage.services());
    Ok(())
}

/// Forgets the state of sessions FreeRADIUS no longer has: `usage_sessions` rows whose
/// `radacct` row the operator has deleted (FreeRADIUS never prunes radacct; operators keep
/// it for as long as they need) and for which no journal row waits. Such a session can
/// never change again (a session that starts again under the same id while its radacct
/// row exists keeps its state; a new radacct row is a new session), so nothing can be
/// counted twice. `usage_sessions` then stays as large as radacct's open and retained
/// sessions. Returns how many were forgotten.
pub async fn prune_sessions(pool: &PgPool) -> Result<u64, EngineError> {
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(INGEST_LOCK)
        .execute(&mut *tx)
        .await?;
    let gone = sqlx::query(
        "delete from usage_sessions s
          where not exists (select from radius.radacct r where r.radacctid = s.radacctid)
            and not exists (select from radius.radacct_journal j where j.radacctid = s.radacctid)",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(gone)
}

/// One service's usage on one local day, by hour (index = hours since local midnight).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayUsage {
    /// Bytes downloaded in each hour of the day (23, 24 or 25 of them).
    pub download: Vec<i64>,
    /// Bytes uploaded in each hour.
    pub upload: Vec<i64>,
    /// The newest instant of the usage added to this day (how fresh its figures are).
    pub through: DateTime<Utc>,
}

impl DayUsage {
    /// The hours that carry bytes, as `first..end` (an interim update usually touches one
    /// or two): only those are sent to the database and added there.
    fn used_hours(&self) -> std::ops::Range<usize> {
        let used = |i: &usize| self.download[*i] != 0 || self.upload[*i] != 0;
        let n = self.download.len();
        let first = (0..n).find(used).unwrap_or(0);
        let end = (0..n).rev().find(used).map_or(first, |i| i + 1);
        first..end.max(first + 1).min(n)
    }
}

/// Usage gathered in memory before it is added to `usage_daily` / `usage_hourly` in one
/// statement each (shared by accounting and file imports).
#[derive(Debug, Default)]
pub struct Usage {
    days: HashMap<(i64, NaiveDate), DayUsage>,
    bounds: DayCache,
}

impl Usage {
    /// Adds `download` / `upload` bytes used by `service` from `from` to `to`, spread over
    /// the interval (see [`spread`]).
    pub fn add(
        &mut self,
        tz: Tz,
        service: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        download: i64,
        upload: i64,
    ) {
        let Usage { days, bounds } = self;
        spread(
            tz,
            bounds,
            from,
            to,
            download,
            upload,
            |day, hours, hour, d, u| {
                let e = days.entry((service, day)).or_insert_with(|| DayUsage {
                    download: vec![0; hours],
                    upload: vec![0; hours],
                    through: to,
                });
                e.download[hour] += d;
                e.upload[hour] += u;
                e.through = e.through.max(to);
            },
        );
    }

    /// The services with figures gathered.
    pub fn services(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.days.keys().map(|k| k.0).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The gathered figures, by service and local day.
    pub fn days(&self) -> &HashMap<(i64, NaiveDate), DayUsage> {
        &self.days
    }

    /// Adds everything gathered to `usage_daily` and `usage_hourly`, in the caller's
    /// transaction: for each table, one statement adds to the rows that exist (a HOT
    /// update, see migration `20261208000001`) and says which, and, only when some did not
    /// exist, a `COPY` inserts those (see [`copy_new`]). Lastmile's writers of usage
    /// (accounting, imports) take turns on [`USAGE_WRITE_LOCK`] until their transactions
    /// end, so they never wait for each other's rows; when another system inserted the same
    /// day row meanwhile, the rows are inserted again with `on conflict` and added to it, so
    /// nothing is lost or refused.
    pub async fn write(&self, conn: &mut PgConnection) -> Result<(), EngineError> {
        if self.days.is_empty() {
            return Ok(());
        }
        sqlx::query("select pg_advisory_xact_lock($1)")
            .bind(USAGE_WRITE_LOCK)
            .execute(&mut *conn)
            .await?;
        // Rows in key order, so concurrent writers lock them in the same order.
        let mut keys: Vec<&(i64, NaiveDate)> = self.days.keys().collect();
        keys.sort_unstable();
        let n = keys.len();
        let mut service = Vec::with_capacity(n);
        let mut day = Vec::with_capacity(n);
        let mut down = Vec::with_capacity(n);
        let mut up = Vec::with_capacity(n);
        let mut through = Vec::with_capacity(n);
        // Hourly figures: one hour touched (most interim updates) is added element by
        // element; a wider range through usage_add_hours.
        let mut one = HourRows::default();
        let mut more = HourRows::default();
        for k in keys {
            let u = &self.days[k];
            service.push(k.0);
            day.push(k.1);
            down.push(u.download.iter().sum::<i64>());
            up.push(u.upload.iter().sum::<i64>());
            through.push(u.through);
            let used = u.used_hours();
            let rows = if used.len() == 1 { &mut one } else { &mut more };
            rows.usage.push(u);
            rows.service.push(k.0);
            rows.day.push(k.1);
            rows.hours
                .push(i32::try_from(u.download.len()).unwrap_or(24));
            rows.first.push(i32::try_from(used.start).unwrap_or(0));
            rows.down.push(array_literal(&u.download[used.clone()]));
            rows.up.push(array_literal(&u.upload[used]));
        }
        // Day rows: add to those that exist (the statement returns which), then insert
        // the others; a row another system inserted meanwhile is met by `on conflict` and
        // added to.
        let existed: HashSet<(i64, NaiveDate)> = sqlx::query_as(
            "update usage_daily u
                set download_bytes = u.download_bytes + t.down,
                    upload_bytes = u.upload_bytes + t.up,
                    through = greatest(u.through, t.through)
               from unnest($1::bigint[], $2::date[], $3::bigint[], $4::bigint[],
                           $5::timestamptz[]) as t(service_id, day, down, up, through)
              where u.service_id = t.service_id and u.day = t.day
             returning u.service_id, u.day",
        )
        .bind(&service)
        .bind(&day)
        .bind(&down)
        .bind(&up)
        .bind(&through)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
        if existed.len() < n {
            let new: Vec<usize> = (0..n)
                .filter(|&i| !existed.contains(&(service[i], day[i])))
                .collect();
            let mut copy = String::with_capacity(new.len() * 64);
            for &i in &new {
                let _ = writeln!(
                    copy,
                    "{}\t{}\t{}\t{}\t{}",
                    service[i],
                    day[i],
                    down[i],
                    up[i],
                    CopyTime(through[i])
                );
            }
            let copied = copy_new(
                &mut *conn,
                "copy usage_daily (service_id, day, download_bytes, upload_bytes, through)
                 from stdin",
                copy,
            )
            .await?;
            if !copied {
                sqlx::query(
                "insert into usage_daily (service_id, day, download_bytes, upload_bytes, through)
                 select * from unnest($1::bigint[], $2::date[], $3::bigint[], $4::bigint[],
                                      $5::timestamptz[])
                 on conflict (service_id, day) do update
                    set download_bytes = usage_daily.download_bytes + excluded.download_bytes,
                        upload_bytes = usage_daily.upload_bytes + excluded.upload_bytes,
                        through = greatest(usage_daily.through, excluded.through)",
            )
                .bind(pick(&service, &new))
                .bind(pick(&day, &new))
                .bind(pick(&down, &new))
                .bind(pick(&up, &new))
                .bind(pick(&through, &new))
                .execute(&mut *conn)
                .await?;
            }
        }
        // Hourly rows, the same way.
        for (rows, add_existing) in [
            (
                one,
                "set download_bytes[t.first + 1] = u.download_bytes[t.first + 1] + t.down[1],
                     upload_bytes[t.first + 1] = u.upload_bytes[t.first + 1] + t.up[1]",
            ),
            (
                more,
                "set download_bytes = usage_add_hours(u.download_bytes, t.first, t.down),
                     upload_bytes = usage_add_hours(u.upload_bytes, t.first, t.up)",
            ),
        ] {
            if rows.service.is_empty() {
                continue;
            }
            const ROWS: &str = "(select service_id, day, hours, first, down::bigint[], up::bigint[]
                                   from unnest($1::bigint[], $2::date[], $3::int[], $4::int[],
                                               $5::text[], $6::text[])
                                        as t(service_id, day, hours, first, down, up)) as t";
            let existed: HashSet<(i64, NaiveDate)> = sqlx::query_as(&format!(
                "update usage_hourly u {add_existing}
                   from {ROWS}
                  where u.service_id = t.service_id and u.day = t.day
                 returning u.service_id, u.day"
            ))
            .bind(&rows.service)
            .bind(&rows.day)
            .bind(&rows.hours)
            .bind(&rows.first)
            .bind(&rows.down)
            .bind(&rows.up)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
            if existed.len() == rows.service.len() {
                continue;
            }
            let new: Vec<usize> = (0..rows.service.len())
                .filter(|&i| !existed.contains(&(rows.service[i], rows.day[i])))
                .collect();
            let mut copy = String::with_capacity(new.len() * 128);
            for &i in &new {
                let u = rows.usage[i];
                let _ = writeln!(
                    copy,
                    "{}\t{}\t{}\t{}",
                    rows.service[i],
                    rows.day[i],
                    array_literal(&u.download),
                    array_literal(&u.upload)
                );
            }
            let copied = copy_new(
                &mut *conn,
                "copy usage_hourly (service_id, day, download_bytes, upload_bytes) from stdin",
                copy,
            )
            .await?;
            if copied {
                continue;
            }
            sqlx::query(&format!(
                "insert into usage_hourly (service_id, day, download_bytes, upload_bytes)
                 select t.service_id, t.day,
                        array_fill(0::bigint, array[t.first]) || t.down
                          || array_fill(0::bigint, array[t.hours - t.first - cardinality(t.down)]),
                        array_fill(0::bigint, array[t.first]) || t.up
                          || array_fill(0::bigint, array[t.hours - t.first - cardinality(t.up)])
                   from {ROWS}
                 on conflict (service_id, day) do update
                    set download_bytes = usage_add_hours(usage_hourly.download_bytes, 0,
                                                         excluded.download_bytes),
                        upload_bytes = usage_add_hours(usage_hourly.upload_bytes, 0,
                                                       excluded.upload_bytes)"
            ))
            .bind(pick(&rows.service, &new))
            .bind(pick(&rows.day, &new))
            .bind(pick(&rows.hours, &new))
            .bind(pick(&rows.first, &new))
            .bind(pick(&rows.down, &new))
            .bind(pick(&rows.up, &new))
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// Inserts rows that were not there a moment ago with one `COPY` (the fast way in), inside a
/// savepoint. Returns false, with nothing written, when another system inserted one of them
/// meanwhile (the unique key refuses the `COPY`): the caller then inserts them with
/// `on conflict` instead, adding to what the other system wrote.
pub(crate) async fn copy_new(
    conn: &mut PgConnection,
    statement: &str,
    rows: String,
) -> Result<bool, EngineError> {
    let mut savepoint = conn.begin().await?;
    let mut copy = savepoint.copy_in_raw(statement).await?;
    copy.send(rows.into_bytes()).await?;
    match copy.finish().await {
        Ok(_) => {
            savepoint.commit().await?;
            Ok(true)
        }
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => {
            savepoint.rollback().await?;
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// An instant as `COPY` reads a `timestamptz` (UTC, to the microsecond), written with plain
/// integer formatting: chrono's `format` reads its pattern again on every call, which cost
/// more than the rest of a record's work.
struct CopyTime(DateTime<Utc>);

impl std::fmt::Display for CopyTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use chrono::{Datelike, Timelike};
        let t = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.timestamp_subsec_micros()
        )
    }
}

/// A text value as `COPY`'s text format writes it (backslash, tab and line breaks escaped).
fn copy_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// The elements of `all` at the positions `at`.
fn pick<T: Clone>(all: &[T], at: &[usize]) -> Vec<T> {
    at.iter().map(|&i| all[i].clone()).collect()
}

/// Hourly rows to add, as the statement's parameters: the hours used of each, from
/// `first`, as array literals.
#[derive(Default)]
struct HourRows<'a> {
    /// Each row's whole day, for writing it in full when it is new.
    usage: Vec<&'a DayUsage>,
    service: Vec<i64>,
    day: Vec<NaiveDate>,
    hours: Vec<i32>,
    first: Vec<i32>,
    down: Vec<String>,
    up: Vec<String>,
}

fn array_literal(values: &[i64]) -> String {
    let mut s = String::with_capacity(values.len() * 8 + 2);
    s.push('{');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{v}");
    }
    s.push('}');
    s
}

/// Each local day's start, end and number of hours, computed once per day.
pub type DayCache = HashMap<NaiveDate, (DateTime<Utc>, DateTime<Utc>, usize)>;

/// A local day's start, end and number of hours (23, 24 or 25; a day with a half-hour
/// shift gets the hour it partly has).
fn day_shape(
    tz: Tz,
    cache: &mut DayCache,
    day: NaiveDate,
) -> (DateTime<Utc>, DateTime<Utc>, usize) {
    *cache.entry(day).or_insert_with(|| {
        let (start, end) = clock::day_bounds(tz, day);
        let secs = (end - start).num_seconds().max(3600);
        (
            start,
            end,
            usize::try_from((secs + 3599) / 3600).unwrap_or(24),
        )
    })
}

/// Spreads `download` / `upload` bytes used from `from` to `to` over the local hours of
/// `tz` they cover, in proportion to time: `emit(day, hours_in_day, hour, down, up)` for
/// each piece, where `hour` counts from local midnight (so on the day clocks go back it
/// runs to 24, and on the day they go forward to 22). Each piece is the difference of
/// `bytes × elapsed / length` rounded down at its two ends, so the pieces add up to the
/// bytes exactly. An interval of no length puts everything in the hour of `to`.
pub fn spread(
    tz: Tz,
    cache: &mut DayCache,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    download: i64,
    upload: i64,
    mut emit: impl FnMut(NaiveDate, usize, usize, i64, i64),
) {
    let hour_of = |cache: &mut DayCache, t: DateTime<Utc>| {
        let day = clock::today(tz, t);
        let (start, _, hours) = day_shape(tz, cache, day);
        let h = usize::try_from((t - start).num_seconds() / 3600).unwrap_or(0);
        (day, hours, h.min(hours - 1))
    };
    if to <= from {
        let (day, hours, h) = hour_of(cache, to);
        emit(day, hours, h, download, upload);
        return;
    }
    let length = i128::from((to - from).num_microseconds().unwrap_or(i64::MAX));
    let share = |bytes: i64, t: DateTime<Utc>| -> i64 {
        let elapsed = i128::from((t - from).num_microseconds().unwrap_or(i64::MAX));
        i64::try_from(i128::from(bytes) * elapsed / length).unwrap_or(bytes)
    };
    let mut cursor = from;
    let (mut done_down, mut done_up) = (0_i64, 0_i64);
    while cursor < to {
        let (day, hours, h) = hour_of(cache, cursor);
        let (start, end, _) = day_shape(tz, cache, day);
        let hour_end = (start + Duration::hours(i64::try_from(h).unwrap_or(0) + 1)).min(end);
        // A cursor at or past the day's last boundary (cannot happen; guards the loop).
        let next = if hour_end > cursor {
            hour_end.min(to)
        } else {
            to
        };
        let (down_to, up_to) = if next == to {
            (download, upload)
        } else {
            (share(download, next), share(upload, next))
        };
        emit(day, hours, h, down_to - done_down, up_to - done_up);
        done_down = down_to;
        done_up = up_to;
        cursor = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const NY: Tz = chrono_tz::America::New_York;

    #[test]
    fn copy_time_is_what_postgres_reads_back() {
        let t = Utc
            .with_ymd_and_hms(2026, 3, 8, 7, 5, 9)
            .single()
            .expect("instant")
            + Duration::microseconds(42);
        assert_eq!(CopyTime(t).to_string(), "2026-03-08 07:05:09.000042+00");
    }

    #[test]
    fn copy_text_escapes_what_copy_would_read_as_syntax() {
        assert_eq!(copy_text("corp\\user\tx\ny\rz"), "corp\\\\user\\tx\\ny\\rz");
        assert_eq!(copy_text("plain-1"), "plain-1");
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("instant")
    }

    fn gather(
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        down: i64,
    ) -> Vec<(NaiveDate, usize, usize, i64)> {
        let mut out = Vec::new();
        spread(
            NY,
            &mut HashMap::new(),
            from,
            to,
            down,
            0,
            |d, n, h, b, _| out.push((d, n, h, b)),
        );
        out
    }

    #[test]
    fn bytes_split_at_local_midnight_in_proportion_to_time() {
        // 23:30 to 00:30 New York time on 15 Jan (EST, UTC-5): 04:30 to 05:30 UTC.
        // 3,600 bytes over 60 minutes: 1,800 in hour 23 of the 15th, 1,800 in hour 0 of the 16th.
        let pieces = gather(utc(2026, 1, 16, 4, 30), utc(2026, 1, 16, 5, 30), 3_600);
        let d15 = NaiveDate::from_ymd_opt(2026, 1, 15).expect("date");
        let d16 = NaiveDate::from_ymd_opt(2026, 1, 16).expect("date");
        assert_eq!(pieces, vec![(d15, 24, 23, 1_800), (d16, 24, 0, 1_800)]);
    }

    #[test]
    fn the_day_clocks_go_back_has_25_hours() {
        // 1 Nov 2026 in New York: 04:00 UTC (midnight EDT) to 05:00 UTC on the 2nd
        // (midnight EST) is 25 hours. 25 bytes over the whole day: one per hour, the last
        // in hour 24.
        let pieces = gather(utc(2026, 11, 1, 4, 0), utc(2026, 11, 2, 5, 0), 25);
        assert_eq!(pieces.len(), 25);
        assert!(pieces.iter().all(|p| p.1 == 25 && p.3 == 1));
        assert_eq!(pieces.last().map(|p| p.2), Some(24));
    }

    #[test]
    fn the_day_clocks_go_forward_has_23_hours() {
        // 8 Mar 2026: 05:00 UTC (midnight EST) to 04:00 UTC on the 9th (midnight EDT).
        let pieces = gather(utc(2026, 3, 8, 5, 0), utc(2026, 3, 9, 4, 0), 2_300);
        assert_eq!(pieces.len(), 23);
        assert!(pieces.iter().all(|p| p.1 == 23 && p.3 == 100));
    }

    #[test]
    fn uneven_splits_still_add_up() {
        // 10 bytes over 3 hours from 10:20 local: floor(10*40/180)=2, floor(10*100/180)=5,
        // then the rest: pieces 2, 3, 3, 2.
        let pieces = gather(utc(2026, 1, 15, 15, 20), utc(2026, 1, 15, 18, 20), 10);
        let bytes: Vec<i64> = pieces.iter().map(|p| p.3).collect();
        assert_eq!(bytes, vec![2, 3, 3, 2]);
    }
}

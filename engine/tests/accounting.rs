//! RADIUS accounting into usage, against a real PostgreSQL: rows written to radius.radacct
//! exactly as FreeRADIUS 3.2's stock queries write them (tests/common/radius.rs), read by
//! `engine::network::accounting::ingest`. The provider is in New York.

mod common;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use common::radius::{self, Packet};
use common::usage_rollup_disagreements;
use engine::network::accounting::{ingest, ingest_in_batches, Usage};
use rand::{Rng, SeedableRng};
use rust_decimal_macros::dec;
use sqlx::PgPool;

const NY: Tz = chrono_tz::America::New_York;
const NAS_A: &str = "192.0.2.1";
const NAS_B: &str = "192.0.2.2";
const GIB4: u64 = 1 << 32;

/// Epoch seconds of a UTC instant.
fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("instant")
        .timestamp()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// Services with IPoE credentials `users[i]`; returns their ids.
async fn services(pool: &PgPool, users: &[&str]) -> Vec<i64> {
    let j = common::jurisdiction(pool, "US-IL", "Sales tax", dec!(0.0), false).await;
    let plan = common::plan(pool, "cable-300", dec!(50.00), Some(1000), None).await;
    let mut ids = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let (account, service) = common::account(
            pool,
            &format!("{:06}", 100_000 + i),
            "postpaid",
            1,
            j,
            plan,
            day(2026, 1, 1),
        )
        .await;
        credentials(pool, account, service, user).await;
        ids.push(service);
    }
    ids
}

async fn credentials(pool: &PgPool, account: i64, service: i64, user: &str) {
    sqlx::query(
        // Every service is given PPPoE credentials when created; these tests name the
        // service by an IPoE identifier of their own instead.
        "insert into network_credentials (service_id, account_id, kind, username)
         values ($1, $2, 'ipoe', $3)
         on conflict (service_id) do update set kind = 'ipoe', username = excluded.username, password = null",
    )
    .bind(service)
    .bind(account)
    .bind(user)
    .execute(pool)
    .await
    .expect("credentials");
}

/// (day -> (download, upload)) of one service.
async fn daily(pool: &PgPool, service: i64) -> BTreeMap<NaiveDate, (i64, i64)> {
    sqlx::query_as::<_, (NaiveDate, i64, i64)>(
        "select day, download_bytes, upload_bytes from usage_daily where service_id = $1",
    )
    .bind(service)
    .fetch_all(pool)
    .await
    .expect("usage_daily")
    .into_iter()
    .map(|(d, down, up)| (d, (down, up)))
    .collect()
}

async fn hourly(pool: &PgPool, service: i64, d: NaiveDate) -> (Vec<i64>, Vec<i64>) {
    sqlx::query_as(
        "select download_bytes, upload_bytes from usage_hourly where service_id = $1 and day = $2",
    )
    .bind(service)
    .bind(d)
    .fetch_one(pool)
    .await
    .expect("usage_hourly")
}

async fn rejects(pool: &PgPool) -> Vec<(String, Option<String>)> {
    sqlx::query_as("select reason, username from usage_rejects order by id")
        .fetch_all(pool)
        .await
        .expect("rejects")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_over_midnight_with_a_gigawords_wrap_lands_in_both_days(pool: PgPool) {
    let s = services(&pool, &["cpe-0001"]).await[0];
    // New York in January is UTC-5. The session starts at 23:00 on the 15th (04:00 UTC).
    let p = Packet::new("sess-1", "cpe-0001", NAS_A, at(2026, 1, 16, 4, 0));
    radius::start(&pool, &p).await;
    // 23:30: 1,000 octets up; down 2^32 + 500, which the NAS sends as Gigawords 1, Octets 500.
    radius::interim(
        &pool,
        &p.counters(at(2026, 1, 16, 4, 30), 1_000, GIB4 + 500),
    )
    .await;
    // 00:30 on the 16th: Stop with 3,600 more up and 7,200 more down.
    radius::stop(
        &pool,
        &p.counters(at(2026, 1, 16, 5, 30), 4_600, GIB4 + 7_700),
    )
    .await;

    let summary = ingest(&pool, NY).await.expect("ingest");
    assert_eq!(summary.snapshots, 3);
    assert_eq!(summary.sessions_closed, 1);
    // 23:00-23:30: everything so far, in hour 23 of the 15th: down 4,294,967,796, up 1,000.
    // 23:30-00:30: 7,200 down / 3,600 up over an hour, half before midnight and half after:
    //   15th: down 4,294,967,796 + 3,600 = 4,294,971,396; up 1,000 + 1,800 = 2,800.
    //   16th: down 3,600; up 1,800.
    let got = daily(&pool, s).await;
    assert_eq!(
        got,
        BTreeMap::from([
            (day(2026, 1, 15), (4_294_971_396, 2_800)),
            (day(2026, 1, 16), (3_600, 1_800)),
        ])
    );
    let (down15, up15) = hourly(&pool, s, day(2026, 1, 15)).await;
    assert_eq!(down15.len(), 24);
    assert_eq!(down15[23], 4_294_971_396);
    assert_eq!(up15[23], 2_800);
    let (down16, up16) = hourly(&pool, s, day(2026, 1, 16)).await;
    assert_eq!((down16[0], up16[0]), (3_600, 1_800));

    // How fresh each day's figures are: the newest reading added to it (the Stop at 00:30
    // on the 16th reached both days).
    let through: Vec<(NaiveDate, Option<DateTime<Utc>>)> =
        sqlx::query_as("select day, through from usage_daily where service_id = $1 order by day")
            .bind(s)
            .fetch_all(&pool)
            .await
            .expect("through");
    let stop = Utc.timestamp_opt(at(2026, 1, 16, 5, 30), 0).single();
    assert_eq!(
        through,
        vec![(day(2026, 1, 15), stop), (day(2026, 1, 16), stop)]
    );

    // Nothing new: running again adds nothing.
    let again = ingest(&pool, NY).await.expect("ingest again");
    assert_eq!(again.snapshots, 0);
    assert_eq!(daily(&pool, s).await, got);
}

#[sqlx::test(migrations = "../migrations")]
async fn sessions_are_forgotten_only_once_radacct_no_longer_has_them(pool: PgPool) {
    let ids = services(&pool, &["cpe-p1", "cpe-p2", "cpe-p3"]).await;
    let t0 = at(2026, 1, 15, 15, 0);
    let mut packets = Vec::new();
    for (unique, user) in [("p1", "cpe-p1"), ("p2", "cpe-p2"), ("p3", "cpe-p3")] {
        let p = Packet::new(unique, user, NAS_A, t0);
        radius::start(&pool, &p).await;
        radius::interim(&pool, &p.counters(t0 + 300, 100, 1_000)).await;
        packets.push(p);
    }
    // p1 stops; p2 stops; p3 stays online.
    radius::stop(&pool, &packets[0].counters(t0 + 600, 200, 2_000)).await;
    radius::stop(&pool, &packets[1].counters(t0 + 600, 200, 2_000)).await;
    ingest(&pool, NY).await.expect("ingest");
    // The operator's retention deletes p1's and p2's radacct rows, but p2's deletion comes
    // after a snapshot not yet read (a last write the trigger journaled).
    sqlx::query(
        "update radius.radacct set acctupdatetime = acctupdatetime + interval '1 second'
          where acctuniqueid = 'p2'",
    )
    .execute(&pool)
    .await
    .expect("late write");
    sqlx::query("delete from radius.radacct where acctuniqueid in ('p1', 'p2')")
        .execute(&pool)
        .await
        .expect("retention");
    let forgotten = engine::network::accounting::prune_sessions(&pool)
        .await
        .expect("prune");
    assert_eq!(
        forgotten, 1,
        "only p1: p2 has a journal row waiting, p3 is open"
    );
    let left: Vec<String> =
        sqlx::query_scalar("select username from usage_sessions order by username")
            .fetch_all(&pool)
            .await
            .expect("sessions");
    assert_eq!(left, vec!["cpe-p2", "cpe-p3"]);
    // Once read, p2 goes too; nothing was counted twice.
    ingest(&pool, NY).await.expect("ingest");
    assert_eq!(
        engine::network::accounting::prune_sessions(&pool)
            .await
            .expect("prune"),
        1
    );
    for s in &ids[..2] {
        assert_eq!(
            daily(&pool, *s).await,
            BTreeMap::from([(day(2026, 1, 15), (2_000, 200))])
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn repeated_late_and_backwards_counters_add_nothing_and_are_recorded(pool: PgPool) {
    let s = services(&pool, &["cpe-0002"]).await[0];
    let t0 = at(2026, 1, 15, 15, 0); // 10:00 in New York
    let p = Packet::new("sess-2", "cpe-0002", NAS_A, t0);
    radius::start(&pool, &p).await;
    radius::interim(&pool, &p.counters(t0 + 600, 1_000, 10_000)).await;
    // The same interim again (a retransmission): an exact repeat.
    radius::interim(&pool, &p.counters(t0 + 600, 1_000, 10_000)).await;
    radius::interim(&pool, &p.counters(t0 + 1_200, 2_000, 20_000)).await;
    // A late one: an earlier reading (Event-Timestamp 10:10) arrives after the 10:20 one.
    radius::interim(&pool, &p.counters(t0 + 600, 1_000, 10_000)).await;
    let first = ingest(&pool, NY).await.expect("ingest");
    assert_eq!(first.late, 1);
    radius::interim(&pool, &p.counters(t0 + 1_800, 3_000, 30_000)).await;
    // Counters lower than counted though newer (a confused NAS): nothing counted.
    radius::interim(&pool, &p.counters(t0 + 2_400, 500, 5_000)).await;
    // The next reading is counted only above the highest so far (3,000 / 30,000).
    radius::stop(&pool, &p.counters(t0 + 3_000, 3_500, 35_000)).await;
    let second = ingest(&pool, NY).await.expect("ingest");
    assert_eq!(second.backwards, 1);

    // Every byte once: down 35,000, up 3,500, all on the 15th, all in hour 10.
    assert_eq!(
        daily(&pool, s).await,
        BTreeMap::from([(day(2026, 1, 15), (35_000, 3_500))])
    );
    assert_eq!(hourly(&pool, s, day(2026, 1, 15)).await.0[10], 35_000);
    let reasons: Vec<String> = rejects(&pool).await.into_iter().map(|r| r.0).collect();
    assert_eq!(reasons, vec!["late", "counters_backwards"]);
    let detail: String =
        sqlx::query_scalar("select detail from usage_rejects where reason = 'counters_backwards'")
            .fetch_one(&pool)
            .await
            .expect("detail");
    assert!(detail.contains("input 3000 -> 500"), "{detail}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_nas_reboot_closes_its_sessions_only(pool: PgPool) {
    let ids = services(&pool, &["cpe-a1", "cpe-a2", "cpe-b1"]).await;
    let t0 = at(2026, 1, 15, 15, 0);
    for (unique, user, nas) in [
        ("a1", "cpe-a1", NAS_A),
        ("a2", "cpe-a2", NAS_A),
        ("b1", "cpe-b1", NAS_B),
    ] {
        let p = Packet::new(unique, user, nas, t0);
        radius::start(&pool, &p).await;
        radius::interim(&pool, &p.counters(t0 + 300, 100, 1_000)).await;
    }
    radius::accounting_on(&pool, NAS_A, t0 + 900).await;
    let summary = ingest(&pool, NY).await.expect("ingest");
    assert_eq!(summary.sessions_closed, 2);
    let open: Vec<String> = sqlx::query_scalar(
        "select username from usage_sessions where not stopped order by username",
    )
    .fetch_all(&pool)
    .await
    .expect("open sessions");
    assert_eq!(open, vec!["cpe-b1"]);
    // The bytes before the reboot stay counted, once.
    for s in ids {
        assert_eq!(
            daily(&pool, s).await,
            BTreeMap::from([(day(2026, 1, 15), (1_000, 100))])
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_that_restarts_is_a_new_session(pool: PgPool) {
    let s = services(&pool, &["cpe-0003"]).await[0];
    let t0 = at(2026, 1, 15, 15, 0);
    let p = Packet::new("sess-3", "cpe-0003", NAS_A, t0);
    radius::start(&pool, &p).await;
    radius::interim(&pool, &p.counters(t0 + 600, 400, 5_000)).await;
    ingest(&pool, NY).await.expect("ingest");
    // The NAS starts the session again under the same Acct-Unique-Session-Id: FreeRADIUS's
    // Start moves the start time; the counters begin again from zero.
    radius::start(&pool, &Packet::new("sess-3", "cpe-0003", NAS_A, t0 + 900)).await;
    radius::interim(&pool, &p.counters(t0 + 1_200, 30, 300)).await;
    // And a new session id after a reconnect is a new radacct row.
    let q = Packet::new("sess-4", "cpe-0003", NAS_A, t0 + 1_500);
    radius::start(&pool, &q).await;
    radius::stop(&pool, &q.counters(t0 + 1_800, 7, 70)).await;
    ingest(&pool, NY).await.expect("ingest");
    // 5,000 + 300 + 70 down, 400 + 30 + 7 up.
    assert_eq!(
        daily(&pool, s).await,
        BTreeMap::from([(day(2026, 1, 15), (5_370, 437))])
    );
}

/// Session state is written in bulk as text: a username with a backslash (a Windows-style
/// `DOMAIN\\user`) comes back as it was, and its next reading adds only the new bytes.
#[sqlx::test(migrations = "../migrations")]
async fn a_username_with_a_backslash_keeps_its_session(pool: PgPool) {
    let user = "corp\\cpe-0009";
    let s = services(&pool, &[user]).await[0];
    let t0 = at(2026, 1, 15, 15, 0);
    let p = Packet::new("sess-bs", user, NAS_A, t0);
    radius::start(&pool, &p).await;
    radius::interim(&pool, &p.counters(t0 + 600, 100, 1_000)).await;
    ingest(&pool, NY).await.expect("ingest");
    let kept: String =
        sqlx::query_scalar("select username from usage_sessions where username like 'corp%'")
            .fetch_one(&pool)
            .await
            .expect("the session");
    assert_eq!(kept, user);
    radius::interim(&pool, &p.counters(t0 + 1_200, 150, 1_600)).await;
    ingest(&pool, NY).await.expect("ingest");
    assert_eq!(
        daily(&pool, s).await,
        BTreeMap::from([(day(2026, 1, 15), (1_600, 150))])
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn unknown_usernames_are_recorded_and_counted_once_credentials_exist(pool: PgPool) {
    let known = services(&pool, &["cpe-0004"]).await[0];
    let t0 = at(2026, 1, 15, 15, 0);
    let p = Packet::new("ghost-1", "ghost-01", NAS_A, t0);
    radius::start(&pool, &p).await;
    radius::interim(&pool, &p.counters(t0 + 600, 10, 100)).await;
    let first = ingest(&pool, NY).await.expect("ingest");
    assert_eq!(first.unknown_user, 1);
    assert_eq!(first.download_bytes, 0);
    assert_eq!(
        rejects(&pool).await,
        vec![("unknown_user".to_string(), Some("ghost-01".to_string()))]
    );
    assert!(daily(&pool, known).await.is_empty());

    // Staff give a new service that username; the next ingestion adds the kept bytes.
    let (account, service): (i64, i64) = sqlx::query_as(
        "insert into services (account_id, address_id, plan_id, status, activated_on)
         select account_id, address_id, plan_id, 'active', '2026-01-01' from services where id = $1
         returning account_id, id",
    )
    .bind(known)
    .fetch_one(&pool)
    .await
    .expect("second service");
    credentials(&pool, account, service, "ghost-01").await;
    radius::interim(&pool, &p.counters(t0 + 1_200, 15, 150)).await;
    let second = ingest(&pool, NY).await.expect("ingest");
    assert_eq!(second.attributed_later, 1);
    assert_eq!(
        daily(&pool, service).await,
        BTreeMap::from([(day(2026, 1, 15), (150, 15))])
    );
    let unresolved: i64 =
        sqlx::query_scalar("select count(*) from usage_rejects where resolved_at is null")
            .fetch_one(&pool)
            .await
            .expect("count");
    assert_eq!(unresolved, 0);
    // Nothing left over to add twice.
    let third = ingest(&pool, NY).await.expect("ingest");
    assert_eq!(third.attributed_later, 0);
    assert_eq!(daily(&pool, service).await[&day(2026, 1, 15)], (150, 15));
}

#[sqlx::test(migrations = "../migrations")]
async fn two_instances_at_once_count_every_byte_once(pool: PgPool) {
    let users: Vec<String> = (0..20).map(|i| format!("cpe-{i:04}")).collect();
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let ids = services(&pool, &refs).await;
    let t0 = at(2026, 1, 15, 15, 0);
    for (i, user) in users.iter().enumerate() {
        let unique = format!("par-{i}");
        let p = Packet::new(&unique, user, NAS_A, t0);
        radius::start(&pool, &p).await;
        for k in 1..=5_u64 {
            radius::interim(
                &pool,
                &p.counters(t0 + i64::try_from(k).expect("k") * 60, k * 10, k * 100),
            )
            .await;
        }
    }
    // Two ingesters at once, in small batches so that they interleave.
    let (a, b) = tokio::join!(
        ingest_in_batches(&pool, NY, 7),
        ingest_in_batches(&pool, NY, 5)
    );
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(a.snapshots + b.snapshots, 20 * 6);
    assert_eq!(a.download_bytes + b.download_bytes, 20 * 500);
    for s in ids {
        assert_eq!(
            daily(&pool, s).await,
            BTreeMap::from([(day(2026, 1, 15), (500, 50))])
        );
    }
}

/// Another system (not Lastmile, so not on its usage lock) inserts today's rows while an
/// ingestion is writing the same service's day: the ingestion's fast insert is refused by
/// the unique key, rolled back to its savepoint, and done again adding to the other
/// system's figures, so neither side's bytes are lost.
#[sqlx::test(migrations = "../migrations")]
async fn a_day_row_another_system_inserts_meanwhile_is_added_to(pool: PgPool) {
    let service = services(&pool, &["cpe-other"]).await[0];
    let d = day(2026, 3, 10);
    let mut other = pool.begin().await.expect("other system");
    let mut other_hours = vec![0_i64; 24];
    other_hours[0] = 1_000;
    sqlx::query(
        "insert into usage_daily (service_id, day, download_bytes, upload_bytes, through)
         values ($1, $2, 1000, 100, $3)",
    )
    .bind(service)
    .bind(d)
    .bind(
        Utc.timestamp_opt(at(2026, 3, 10, 5, 0), 0)
            .single()
            .expect("instant"),
    )
    .execute(&mut *other)
    .await
    .expect("the other system's day row");
    sqlx::query(
        "insert into usage_hourly (service_id, day, download_bytes, upload_bytes)
         values ($1, $2, $3, $4)",
    )
    .bind(service)
    .bind(d)
    .bind(&other_hours)
    .bind(other_hours.iter().map(|b| b / 10).collect::<Vec<i64>>())
    .execute(&mut *other)
    .await
    .expect("the other system's hourly row");

    // 11:00-11:30 New York time (daylight time began on March 8).
    let writer = tokio::spawn({
        let pool = pool.clone();
        async move {
            let mut usage = Usage::default();
            let from = Utc
                .timestamp_opt(at(2026, 3, 10, 15, 0), 0)
                .single()
                .expect("instant");
            usage.add(
                NY,
                service,
                from,
                from + chrono::Duration::minutes(30),
                3_600,
                360,
            );
            let mut tx = pool.begin().await.expect("begin");
            usage.write(&mut tx).await.expect("write");
            tx.commit().await.expect("commit");
        }
    });
    // The writer's insert waits for the other system's uncommitted row.
    let mut waiting = false;
    for _ in 0..600 {
        let blocked: i64 = sqlx::query_scalar("select count(*) from pg_locks where not granted")
            .fetch_one(&pool)
            .await
            .expect("pg_locks");
        if blocked > 0 {
            waiting = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(waiting, "the writer never met the other system's row");
    other.commit().await.expect("the other system commits");
    writer.await.expect("the writer");

    assert_eq!(
        daily(&pool, service).await,
        BTreeMap::from([(d, (4_600, 460))])
    );
    let (down, up) = hourly(&pool, service, d).await;
    let mut expected = vec![0_i64; 24];
    expected[0] = 1_000;
    expected[11] = 3_600;
    assert_eq!(down, expected);
    assert_eq!(up, expected.iter().map(|b| b / 10).collect::<Vec<i64>>());
}

/// The property: whatever the order and repetition of the packets, and wherever the
/// intervals fall (midnights, the 23- and 25-hour days), the daily totals equal the bytes
/// actually used. Traffic is generated as a constant rate per interval between readings
/// (whole seconds), so the true bytes of each local day are exact integers.
#[sqlx::test(migrations = "../migrations")]
async fn daily_totals_equal_the_true_bytes_for_generated_sessions(pool: PgPool) {
    let users: Vec<String> = (0..4).map(|i| format!("gen-{i:04}")).collect();
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let ids = services(&pool, &refs).await;
    // Around the 25-hour day (1 Nov 2026), the 23-hour day (8 Mar 2026) and an ordinary
    // midnight (15/16 Jan 2026), New York.
    let anchors = [
        at(2026, 11, 1, 3, 0),
        at(2026, 11, 2, 3, 0),
        at(2026, 3, 8, 4, 0),
        at(2026, 3, 9, 2, 0),
        at(2026, 1, 16, 3, 0),
    ];
    for case in 0..16_u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(case);
        sqlx::query(
            "truncate usage_daily, usage_monthly, usage_plan_monthly, usage_hourly, usage_sessions, usage_rejects,
                      usage_unattributed, radius.radacct, radius.radacct_journal",
        )
        .execute(&pool)
        .await
        .expect("truncate");
        let mut truth: HashMap<(i64, NaiveDate), (i64, i64)> = HashMap::new();
        let sessions = rng.gen_range(1..=5);
        for n in 0..sessions {
            let who = rng.gen_range(0..users.len());
            let unique = format!("c{case}-s{n}");
            let nas = if rng.gen_bool(0.5) { NAS_A } else { NAS_B };
            let mut t = anchors[rng.gen_range(0..anchors.len())] + rng.gen_range(-7_200..7_200);
            let p = Packet::new(&unique, &users[who], nas, t);
            radius::start(&pool, &p).await;
            let (mut down, mut up) = (0_u64, 0_u64);
            let mut readings: Vec<(i64, u64, u64)> = vec![(t, 0, 0)];
            for _ in 0..rng.gen_range(1..=8) {
                let length = rng.gen_range(1..=6 * 3_600_i64);
                // Rates up to ~400 kB/s: counters pass 2^32 within a few hours.
                let (rd, ru) = match rng.gen_range(0..4) {
                    0 => (0, 0),
                    1 => (rng.gen_range(0..50), rng.gen_range(0..10)),
                    _ => (rng.gen_range(0..400_000), rng.gen_range(0..100_000)),
                };
                add_truth(&mut truth, ids[who], t, t + length, rd, ru);
                t += length;
                down += u64::try_from(rd * length).expect("bytes");
                up += u64::try_from(ru * length).expect("bytes");
                readings.push((t, down, up));
                radius::interim(&pool, &p.counters(t, up, down)).await;
                if rng.gen_bool(0.2) {
                    // a retransmission of the same reading
                    radius::interim(&pool, &p.counters(t, up, down)).await;
                }
                if rng.gen_bool(0.2) && readings.len() > 2 {
                    // an earlier reading arriving late
                    let (lt, ld, lu) = readings[rng.gen_range(1..readings.len() - 1)];
                    radius::interim(&pool, &p.counters(lt, lu, ld)).await;
                }
                if rng.gen_bool(0.2) {
                    let batch = rng.gen_range(1..6);
                    ingest_in_batches(&pool, NY, batch).await.expect("ingest");
                }
            }
            match rng.gen_range(0..3) {
                // Stop, with the same final counters (an idle last stretch of no length)
                0 => radius::stop(&pool, &p.counters(t, up, down)).await,
                // the NAS reboots later
                1 => radius::accounting_on(&pool, nas, t + rng.gen_range(0..600)).await,
                // still open
                _ => {}
            }
        }
        ingest_in_batches(&pool, NY, rng.gen_range(1..50))
            .await
            .expect("ingest");
        for &s in &ids {
            let expected: BTreeMap<NaiveDate, (i64, i64)> = truth
                .iter()
                .filter(|((svc, _), v)| *svc == s && (v.0 > 0 || v.1 > 0))
                .map(|((_, d), v)| (*d, *v))
                .collect();
            let got: BTreeMap<NaiveDate, (i64, i64)> = daily(&pool, s)
                .await
                .into_iter()
                .filter(|(_, v)| v.0 > 0 || v.1 > 0)
                .collect();
            assert_eq!(got, expected, "case {case}, service {s}");
            // Hourly figures add up to the day's, with the day's number of hours.
            for (d, (down, up)) in &got {
                let (hd, hu) = hourly(&pool, s, *d).await;
                let (start, end) = engine::clock::day_bounds(NY, *d);
                assert_eq!(
                    hd.len() as i64,
                    (end - start).num_hours(),
                    "case {case} {d}"
                );
                assert_eq!(
                    (hd.iter().sum::<i64>(), hu.iter().sum::<i64>()),
                    (*down, *up)
                );
            }
        }
        // The monthly roll-up the usage report reads agrees with the days, whatever mix of
        // inserts and updates the batches made.
        assert_eq!(
            usage_rollup_disagreements(&pool).await,
            0,
            "case {case}: usage_monthly"
        );
    }
}

/// The true bytes of a constant rate from `from` to `to` (epoch seconds), by local day.
fn add_truth(
    truth: &mut HashMap<(i64, NaiveDate), (i64, i64)>,
    service: i64,
    from: i64,
    to: i64,
    down_rate: i64,
    up_rate: i64,
) {
    let utc = |s: i64| DateTime::<Utc>::from_timestamp(s, 0).expect("instant");
    let mut d = engine::clock::today(NY, utc(from));
    loop {
        let (start, end) = engine::clock::day_bounds(NY, d);
        let lo = from.max(start.timestamp());
        let hi = to.min(end.timestamp());
        if hi > lo {
            let e = truth.entry((service, d)).or_insert((0, 0));
            e.0 += down_rate * (hi - lo);
            e.1 += up_rate * (hi - lo);
        }
        if end.timestamp() >= to {
            break;
        }
        d = d.succ_opt().expect("next day");
    }
}

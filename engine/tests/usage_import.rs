//! `lastmile usage import` against a real PostgreSQL: a good file, bad rows (nothing
//! loaded, every one reported), the same file again and overlapping files (each record
//! once), and an import interrupted part-way (nothing left behind). Provider in New York.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use engine::network::usage_import::{import, ImportError};
use rust_decimal_macros::dec;
use sqlx::PgPool;

const NY: Tz = chrono_tz::America::New_York;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
        .single()
        .expect("now")
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// Two services: "fibre-0001" (by username) and the second (by id). Returns their ids.
async fn two_services(pool: &PgPool) -> (i64, i64) {
    let j = common::jurisdiction(pool, "US-IL", "Sales tax", dec!(0.0), false).await;
    let plan = common::plan(pool, "cable-300", dec!(50.00), Some(1000), None).await;
    let (a1, s1) = common::account(pool, "200001", "postpaid", 1, j, plan, day(2026, 1, 1)).await;
    let (_, s2) = common::account(pool, "200002", "postpaid", 1, j, plan, day(2026, 1, 1)).await;
    sqlx::query(
        "insert into network_credentials (service_id, account_id, kind, username, password)
         values ($1, $2, 'pppoe', 'fibre-0001', 'correct-horse')
         on conflict (service_id) do update set username = excluded.username, password = excluded.password",
    )
    .bind(s1)
    .bind(a1)
    .execute(pool)
    .await
    .expect("credentials");
    (s1, s2)
}

async fn daily(pool: &PgPool) -> BTreeMap<(i64, NaiveDate), (i64, i64)> {
    sqlx::query_as::<_, (i64, NaiveDate, i64, i64)>(
        "select service_id, day, download_bytes, upload_bytes from usage_daily",
    )
    .fetch_all(pool)
    .await
    .expect("usage_daily")
    .into_iter()
    .map(|(s, d, down, up)| ((s, d), (down, up)))
    .collect()
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(pool)
        .await
        .expect("count")
}

fn good_csv(s2: i64) -> String {
    format!(
        "username,service_id,start,end,download_bytes,upload_bytes\n\
         fibre-0001,,2026-11-20T23:00:00-05:00,2026-11-21T01:00:00-05:00,7200,720\n\
         ,{s2},2026-11-20T15:00:00Z,2026-11-20T15:30:00Z,1000,100\n\
         \"fibre-0001\",,2026-11-01T00:00:00-04:00,2026-11-02T00:00:00-05:00,2500,0\n"
    )
}

#[sqlx::test(migrations = "../migrations")]
async fn a_good_file_lands_in_the_right_local_days_and_hours(pool: PgPool) {
    let (s1, s2) = two_services(&pool).await;
    let report = import(&pool, NY, "usage.csv", good_csv(s2).as_bytes(), now())
        .await
        .expect("import");
    assert_eq!((report.records, report.new_records), (3, 3));
    // Line 2: 23:00-01:00 New York, 7,200 down / 720 up: half on the 20th (hour 23), half
    // on the 21st (hour 0). Line 3: 10:00-10:30 New York (15:00Z, EST), all on the 20th.
    // Line 4: the whole 25-hour day of 1 Nov: 100 bytes down an hour, 2,500 in all.
    assert_eq!(
        daily(&pool).await,
        BTreeMap::from([
            ((s1, day(2026, 11, 1)), (2_500, 0)),
            ((s1, day(2026, 11, 20)), (3_600, 360)),
            ((s1, day(2026, 11, 21)), (3_600, 360)),
            ((s2, day(2026, 11, 20)), (1_000, 100)),
        ])
    );
    let hours: Vec<i64> = sqlx::query_scalar(
        "select download_bytes from usage_hourly where service_id = $1 and day = '2026-11-01'",
    )
    .bind(s1)
    .fetch_one(&pool)
    .await
    .expect("hourly");
    assert_eq!(hours, vec![100; 25]);
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_rows_are_all_reported_and_nothing_is_loaded(pool: PgPool) {
    let (_, s2) = two_services(&pool).await;
    let file = format!(
        "{}nobody-99,,2026-11-20T10:00:00Z,2026-11-20T11:00:00Z,1,1\n\
         ,{s2},2026-11-20T10:00:00Z,2026-11-20T11:00:00,1,1\n\
         ,999999,2026-11-20T10:00:00Z,2026-11-20T11:00:00Z,1,1\n\
         fibre-0001,,2026-11-20T10:00:00Z,2026-11-20T11:00:00Z,12x,1\n",
        good_csv(s2)
    );
    let Err(ImportError::Rejected(rows)) =
        import(&pool, NY, "usage.csv", file.as_bytes(), now()).await
    else {
        panic!("bad rows must be rejected");
    };
    let got: Vec<(usize, &str)> = rows.iter().map(|r| (r.line, r.column.as_str())).collect();
    // Line 6 (the timestamp without its offset) and line 8 (bytes) fail while reading, so
    // lines 5 and 7 (unknown service) are checked against the database only once the rest
    // reads well: fix the first two and they are reported.
    assert_eq!(got, vec![(6, "end"), (8, "download_bytes")]);
    assert!(rows[0].reason.contains("offset"), "{}", rows[0].reason);
    assert_eq!(count(&pool, "usage_daily").await, 0);

    let file = format!(
        "{}nobody-99,,2026-11-20T10:00:00Z,2026-11-20T11:00:00Z,1,1\n\
         ,999999,2026-11-20T10:00:00Z,2026-11-20T11:00:00Z,1,1\n\
         fibre-0001,,2026-11-20T23:00:00-05:00,2026-11-21T01:00:00-05:00,7200,720\n",
        good_csv(s2)
    );
    let Err(ImportError::Rejected(rows)) =
        import(&pool, NY, "usage.csv", file.as_bytes(), now()).await
    else {
        panic!("unknown services must be rejected");
    };
    let got: Vec<(usize, &str)> = rows.iter().map(|r| (r.line, r.column.as_str())).collect();
    assert_eq!(got, vec![(5, "username"), (6, "service_id"), (7, "")]);
    assert!(rows[2].reason.contains("line 2"), "{}", rows[2].reason);
    for table in [
        "usage_daily",
        "usage_hourly",
        "usage_import_files",
        "usage_import_records",
    ] {
        assert_eq!(count(&pool, table).await, 0, "{table}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_file_imported_again_or_overlapping_counts_each_record_once(pool: PgPool) {
    let (s1, s2) = two_services(&pool).await;
    let first = import(&pool, NY, "a.csv", good_csv(s2).as_bytes(), now())
        .await
        .expect("import");
    let before = daily(&pool).await;
    let again = import(&pool, NY, "a-copy.csv", good_csv(s2).as_bytes(), now())
        .await
        .expect("again");
    assert!(again.file_imported_at.is_some());
    assert_eq!(again.new_records, 0);
    assert_eq!(daily(&pool).await, before);
    assert_eq!(first.sha256, again.sha256);

    // Another file (JSON lines) repeating line 3's record for service 2 and adding one:
    // only the new one counts.
    let file = format!(
        "{{\"service_id\": {s2}, \"start\": \"2026-11-20T15:00:00Z\", \"end\": \"2026-11-20T15:30:00Z\", \"download_bytes\": 1000, \"upload_bytes\": 100}}\n\
         {{\"username\": \"fibre-0001\", \"start\": \"2026-11-25T12:00:00Z\", \"end\": \"2026-11-25T13:00:00Z\", \"download_bytes\": 42, \"upload_bytes\": 4}}\n"
    );
    let second = import(&pool, NY, "b.jsonl", file.as_bytes(), now())
        .await
        .expect("overlapping");
    assert_eq!((second.new_records, second.already_imported), (1, 1));
    let mut expected = before;
    expected.insert((s1, day(2026, 11, 25)), (42, 4));
    assert_eq!(daily(&pool).await, expected);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_interrupted_import_leaves_nothing_and_can_be_run_again(pool: PgPool) {
    let (s1, s2) = two_services(&pool).await;
    // Hold usage_daily so the import stops part-way through its transaction (after its
    // file and record keys are written), then abandon it, as a killed process would.
    let mut blocker = pool.begin().await.expect("blocker");
    sqlx::query("lock table usage_daily in exclusive mode")
        .execute(&mut *blocker)
        .await
        .expect("lock");
    let file = good_csv(s2);
    let interrupted = tokio::time::timeout(
        std::time::Duration::from_millis(1_500),
        import(&pool, NY, "usage.csv", file.as_bytes(), now()),
    )
    .await;
    assert!(interrupted.is_err(), "the import should have been waiting");
    blocker.rollback().await.expect("unlock");
    // The abandoned connection's transaction is rolled back.
    for table in ["usage_daily", "usage_import_files", "usage_import_records"] {
        assert_eq!(count(&pool, table).await, 0, "{table}");
    }
    let report = import(&pool, NY, "usage.csv", file.as_bytes(), now())
        .await
        .expect("import after the interruption");
    assert_eq!(report.new_records, 3);
    assert_eq!(daily(&pool).await[&(s1, day(2026, 11, 1))], (2_500, 0));
}

//! The usage-ingestion benchmark (bench/usage-ingest runs it; see bench/README.md).
//!
//! In a fresh database (dropped and made again; its name must contain "bench"): N services
//! with network credentials, then, in one run, records per second of
//!
//! 1. **raw COPY** (the baseline): the rows the paths store for N records, copied into
//!    the tables they store them in: N day rows into an empty `usage_daily` and N rows of
//!    24 hourly figures into an empty `usage_hourly`, by `COPY` (the cheapest way those rows
//!    get into those tables, foreign keys and checks included). The COPY into
//!    `usage_daily` alone is timed too and reported beside it;
//! 2. **RADIUS accounting**: N Interim-Updates (one per service's open session, written to
//!    radius.radacct as FreeRADIUS's query does, in one statement), then
//!    `accounting::ingest` timed: from the journal into `usage_daily` and `usage_hourly`
//!    (a first round creates the day's rows, a second adds to them);
//! 3. **file import**: a CSV of N records (one hour of one service each), `usage_import::
//!    import` timed from the file's bytes to the commit (parsing, checks, record keys,
//!    `usage_daily` and `usage_hourly`).
//!
//! Each measurement runs `--rounds` times (tables emptied between), the median is kept.
//! Prints a JSON object on standard output.
//!
//! `cargo run --release -p engine --example usage_ingest_bench -- --services 100000`

#![allow(clippy::float_arithmetic)] // rates and ratios of measured times

use std::time::Instant;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use engine::network::{accounting, usage_import};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};

const TZ: chrono_tz::Tz = chrono_tz::America::Chicago;

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    xs[xs.len() / 2]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/lastmile_usagebench".into());
    let n: i64 = arg("--services", "100000").parse()?;
    let rounds: usize = arg("--rounds", "3").parse()?;
    let (admin, db) = url
        .rsplit_once('/')
        .ok_or("DATABASE_URL has no database name")?;
    if !db.contains("bench") {
        return Err(format!(
            "the database {db} is dropped and made again: its name must contain 'bench'"
        )
        .into());
    }
    let mut conn = PgConnection::connect(&format!("{admin}/postgres")).await?;
    sqlx::query(&format!("drop database if exists \"{db}\" with (force)"))
        .execute(&mut conn)
        .await?;
    sqlx::query(&format!("create database \"{db}\""))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await?;
    sqlx::migrate!("../migrations").run(&pool).await?;
    let setup = Instant::now();
    services(&pool, n).await?;
    sqlx::query("vacuum analyze").execute(&pool).await?;
    eprintln!("{n} services in {:.1?}", setup.elapsed());

    let day = NaiveDate::from_ymd_opt(2026, 11, 20).ok_or("date")?;
    // 10:00-10:59 in Chicago on that day (CST, UTC-6).
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 20, 16, 0, 0)
        .single()
        .ok_or("instant")?;

    let mut copy_s = Vec::new();
    let mut copy_daily_s = Vec::new();
    let mut radius_insert_s = Vec::new();
    let mut radius_update_s = Vec::new();
    let mut radacct_write_s = Vec::new();
    let mut radacct_write_untriggered_s = Vec::new();
    let mut import_s = Vec::new();
    for round in 0..rounds {
        empty(&pool).await?;
        // 1. raw COPY of the same rows into usage_daily and usage_hourly
        let service_ids: Vec<i64> = sqlx::query_scalar("select id from services order by id")
            .fetch_all(&pool)
            .await?;
        let through = (t0 + Duration::minutes(20)).to_rfc3339();
        let mut daily = String::with_capacity(service_ids.len() * 64);
        let mut hourly = String::with_capacity(service_ids.len() * 128);
        for id in &service_ids {
            daily.push_str(&format!(
                "{id}\t{day}\t{}\t{}\t{through}\n",
                1_000_000 + id,
                100_000 + id
            ));
            // Hour 10 carries the bytes, the others are zero.
            let hours = |bytes: i64| {
                let mut v = vec!["0".to_string(); 24];
                v[10] = bytes.to_string();
                format!("{{{}}}", v.join(","))
            };
            hourly.push_str(&format!(
                "{id}\t{day}\t{}\t{}\n",
                hours(1_000_000 + id),
                hours(100_000 + id)
            ));
        }
        let mut c = pool.acquire().await?;
        let started = Instant::now();
        let mut copy = c
            .copy_in_raw(
                "copy usage_daily (service_id, day, download_bytes, upload_bytes, through)
                 from stdin",
            )
            .await?;
        copy.send(daily.as_bytes()).await?;
        copy.finish().await?;
        let daily_done = started.elapsed().as_secs_f64();
        let mut copy = c
            .copy_in_raw(
                "copy usage_hourly (service_id, day, download_bytes, upload_bytes) from stdin",
            )
            .await?;
        copy.send(hourly.as_bytes()).await?;
        copy.finish().await?;
        copy_s.push(started.elapsed().as_secs_f64());
        copy_daily_s.push(daily_done);
        drop(c);
        empty(&pool).await?;

        // 2. RADIUS accounting: sessions started (ingested, not timed), then two rounds of
        // interim updates, each ingested and timed.
        sqlx::query(
            "insert into radius.radacct (acctsessionid, acctuniqueid, username, nasipaddress,
                 nasporttype, acctstarttime, acctupdatetime, acctsessiontime, acctauthentic,
                 connectinfo_start, acctinputoctets, acctoutputoctets, calledstationid,
                 callingstationid, servicetype, framedprotocol)
             select 's' || service_id, $2 || '-' || service_id, username, '192.0.2.1', 'Ethernet',
                    $1, $1, 0, 'RADIUS', '', 0, 0, '', '', 'Framed-User', 'PPP'
               from network_credentials",
        )
        .bind(t0)
        .bind(format!("r{round}"))
        .execute(&pool)
        .await?;
        accounting::ingest(&pool, TZ).await?;
        for (k, into) in [(1_i64, &mut radius_insert_s), (2, &mut radius_update_s)] {
            // FreeRADIUS's Interim-Update, for every session at once.
            let written = Instant::now();
            sqlx::query(
                "update radius.radacct set acctupdatetime = $1, acctsessiontime = $2,
                        acctinputoctets = ((0::bigint << 32) + $3 * radacctid),
                        acctoutputoctets = ((1::bigint << 32) + $4 * radacctid)
                  where acctstoptime is null",
            )
            .bind(t0 + Duration::minutes(20 * k))
            .bind(1200 * k)
            .bind(10 * k)
            .bind(100 * k)
            .execute(&pool)
            .await?;
            if k == 1 {
                radacct_write_s.push(written.elapsed().as_secs_f64());
            }
            let started = Instant::now();
            let summary = accounting::ingest(&pool, TZ).await?;
            into.push(started.elapsed().as_secs_f64());
            if summary.snapshots != u64::try_from(n)? {
                return Err(format!("ingested {} snapshots, not {n}", summary.snapshots).into());
            }
        }
        // The trigger's cost to FreeRADIUS: the same update without it.
        sqlx::query("alter table radius.radacct disable trigger radacct_journal")
            .execute(&pool)
            .await?;
        let written = Instant::now();
        sqlx::query(
            "update radius.radacct set acctupdatetime = acctupdatetime + interval '1 minute',
                    acctinputoctets = acctinputoctets + 1, acctoutputoctets = acctoutputoctets + 1
              where acctstoptime is null",
        )
        .execute(&pool)
        .await?;
        radacct_write_untriggered_s.push(written.elapsed().as_secs_f64());
        sqlx::query("alter table radius.radacct enable trigger radacct_journal")
            .execute(&pool)
            .await?;
        sqlx::query(
            "update radius.radacct set acctstoptime = acctupdatetime where acctstoptime is null",
        )
        .execute(&pool)
        .await?;
        accounting::ingest(&pool, TZ).await?;
        let (down, hours): (i64, i64) = sqlx::query_as(
            "select coalesce(sum(download_bytes), 0)::bigint,
                    (select count(*) from usage_hourly) from usage_daily",
        )
        .fetch_one(&pool)
        .await?;
        if hours != n || down <= 0 {
            return Err(format!("accounting wrote {hours} hourly rows for {n} services").into());
        }
        empty(&pool).await?;

        // 3. the file import
        let users: Vec<String> =
            sqlx::query_scalar("select username from network_credentials order by service_id")
                .fetch_all(&pool)
                .await?;
        let mut csv = String::from("username,start,end,download_bytes,upload_bytes\n");
        let start = (t0 + Duration::minutes(i64::try_from(round)?)).to_rfc3339();
        let end = (t0 + Duration::minutes(i64::try_from(round)? + 59)).to_rfc3339();
        for (i, u) in users.iter().enumerate() {
            csv.push_str(&format!(
                "{u},{start},{end},{},{}\n",
                5_000_000 + i,
                500_000 + i
            ));
        }
        let started = Instant::now();
        let report =
            usage_import::import(&pool, TZ, "bench.csv", csv.as_bytes(), Utc::now()).await?;
        import_s.push(started.elapsed().as_secs_f64());
        if report.new_records != users.len() {
            return Err(
                format!("imported {} of {} records", report.new_records, users.len()).into(),
            );
        }
    }

    let rate = |secs: f64| (n as f64 / secs).round();
    let copy = median(copy_s.clone());
    let copy_daily = median(copy_daily_s.clone());
    let first = median(radius_insert_s.clone());
    let second = median(radius_update_s.clone());
    let import = median(import_s.clone());
    let written = median(radacct_write_s.clone());
    let written_bare = median(radacct_write_untriggered_s.clone());
    let json = serde_json::json!({
        "services": n,
        "rounds": rounds,
        "raw_copy": {"seconds": copy, "records_per_s": rate(copy), "all_seconds": copy_s},
        "raw_copy_daily_only": {"seconds": copy_daily, "records_per_s": rate(copy_daily),
                                "all_seconds": copy_daily_s},
        "radius_first_interim": {"seconds": first, "records_per_s": rate(first),
                                 "ratio_to_copy": (copy / first * 1000.0).round() / 1000.0,
                                 "all_seconds": radius_insert_s},
        "radius_next_interim": {"seconds": second, "records_per_s": rate(second),
                                "ratio_to_copy": (copy / second * 1000.0).round() / 1000.0,
                                "all_seconds": radius_update_s},
        "import": {"seconds": import, "records_per_s": rate(import),
                   "ratio_to_copy": (copy / import * 1000.0).round() / 1000.0,
                   "all_seconds": import_s},
        "radacct_update_with_trigger_s": written,
        "radacct_update_without_trigger_s": written_bare,
    });
    println!("{}", serde_json::to_string_pretty(&json)?);
    pool.close().await;
    Ok(())
}

/// N services, each with an account, an address and IPoE credentials.
async fn services(pool: &PgPool, n: i64) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("insert into jurisdictions (code, name) values ('US-IL', 'Illinois')")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into plans (code, name, technology, download_mbps, upload_mbps, allowance_gb,
                            monthly_price, currency)
         values ('cable-300', 'Cable 300', 'cable', 300, 20, 1000, 50, 'USD')",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into accounts (id, account_number, kind, display_name, billing_cycle_day,
                               currency, time_zone)
         select i, lpad(i::text, 8, '0'), 'residential', 'Bench ' || i, 1 + i % 28, 'USD',
                'America/Chicago'
           from generate_series(1, $1) i",
    )
    .bind(n)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into addresses (id, account_id, line1, city, postal_code, country, jurisdiction_id)
         select i, i, i || ' Bench Street', 'Springfield', '62701', 'US',
                (select id from jurisdictions)
           from generate_series(1, $1) i",
    )
    .bind(n)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into services (id, account_id, address_id, plan_id, status, activated_on)
         select i, i, i, (select id from plans), 'active', '2026-01-01'
           from generate_series(1, $1) i",
    )
    .bind(n)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        // Every service is given PPPoE credentials when created; the benchmark names each
        // by an IPoE identifier instead.
        "insert into network_credentials (service_id, account_id, kind, username)
         select i, i, 'ipoe', 'cpe-' || lpad(i::text, 7, '0') from generate_series(1, $1) i
         on conflict (service_id) do update
            set kind = 'ipoe', username = excluded.username, password = null",
    )
    .bind(n)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

async fn empty(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query(
        "truncate usage_daily, usage_monthly, usage_plan_monthly, usage_hourly, usage_sessions, usage_rejects, usage_unattributed,
                  usage_import_records, usage_import_files, radius.radacct, radius.radacct_journal",
    )
    .execute(pool)
    .await?;
    sqlx::query("vacuum analyze usage_daily, usage_hourly, usage_sessions")
        .execute(pool)
        .await?;
    Ok(())
}

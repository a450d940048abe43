//! `reports_bench`: how long each operators' report takes on a seeded database
//! (`bench/reports`; see `bench/README.md`).
//!
//! Each report is asked for over four ranges a billing clerk uses, ending on the newest day
//! the data holds: this month so far, the last whole month, the last three whole months and
//! the last twelve months. A call is what the console does for a page: the report's one
//! query and its table (`app::server::staff::reports::page`), one at a time on one
//! connection, reports and ranges taking turns so that anything else happening on the
//! machine falls on all of them alike. Beside them, in the same run, the round trip of
//! `select 1` on the same connection: the baseline a ratio is taken against, since a ratio
//! travels from one machine to the next and an absolute time does not. A warm-up pass comes
//! first and is not recorded.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/lastmile_reportsbench \
//!   cargo run --release -p lastmile --example reports_bench -- --rounds 50 --out reports.json
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use app::server::staff::reports::page;
use app::server::staff::StaffAccess;
use app::server::{Portal, PortalConfig};
use app::types::reports::Report;
use app::types::staff::Role;
use chrono::{Datelike, Months, NaiveDate};
use clap::Parser;
use serde_json::json;
use sqlx::postgres::PgPoolOptions;

#[derive(Parser, Debug)]
#[command(name = "reports_bench", about = "Latency of each operators' report")]
struct Args {
    /// The database (seeded with `lastmile seed --demo`).
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Calls measured per report and range.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(5..=10_000))]
    rounds: u64,
    /// Calls of each report and range first, not recorded.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(0..=1_000))]
    warmup: u64,
    /// Where to write the figures (JSON).
    #[arg(long)]
    out: PathBuf,
}

/// The nearest-rank `p`th percentile of sorted durations, in microseconds.
fn percentile(sorted: &[Duration], p: usize) -> u128 {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1].as_micros()
}

/// Microseconds as milliseconds with one decimal, for the terminal.
fn ms(micros: u128) -> String {
    format!("{}.{}", micros / 1000, micros % 1000 / 100)
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&args.database_url)
        .await
        .context("connecting to the database")?;
    // The newest day the data holds: the seed's "today" (its usage runs to yesterday).
    let newest: Option<NaiveDate> = sqlx::query_scalar("select max(issued_on) from statements")
        .fetch_one(&pool)
        .await?;
    let Some(newest) = newest else {
        bail!("the database holds no statements: seed it first (bench/reports does)");
    };
    let accounts: i64 = sqlx::query_scalar("select count(*) from accounts")
        .fetch_one(&pool)
        .await?;
    let this_month = first_of_month(newest);
    let last_month = this_month - Months::new(1);
    let ranges: Vec<(&str, NaiveDate, NaiveDate)> = vec![
        ("month so far", this_month, newest),
        (
            "last month",
            last_month,
            this_month.pred_opt().unwrap_or(this_month),
        ),
        (
            "last 3 months",
            this_month - Months::new(3),
            this_month.pred_opt().unwrap_or(this_month),
        ),
        ("last 12 months", newest - Months::new(12), newest),
    ];
    let portal = Portal {
        pool: pool.clone(),
        config: Arc::new(PortalConfig::for_tests("http://127.0.0.1")),
        stripe: None,
    };
    let staff = StaffAccess::for_tests(1, Role::Billing);

    let cases: Vec<(Report, usize)> = Report::ALL
        .into_iter()
        .flat_map(|r| (0..ranges.len()).map(move |i| (r, i)))
        .collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    let mut rows = vec![0usize; cases.len()];
    let mut baseline = Vec::new();
    for round in 0..args.warmup + args.rounds {
        let recorded = round >= args.warmup;
        for (i, (report, r)) in cases.iter().enumerate() {
            let (_, from, to) = ranges[*r];
            let (from, to) = (from.to_string(), to.to_string());
            let started = Instant::now();
            let answer = page(&portal, &staff, report.slug(), Some(&from), Some(&to))
                .await
                .map_err(|e| anyhow::anyhow!("{} {from}..{to}: {e:?}", report.slug()))?;
            let took = started.elapsed();
            let started = Instant::now();
            sqlx::query("select 1").execute(&pool).await?;
            let round_trip = started.elapsed();
            if recorded {
                times[i].push(took);
                rows[i] = answer.table.rows.len();
                baseline.push(round_trip);
            }
        }
    }
    baseline.sort();
    let baseline_p50 = percentile(&baseline, 50).max(1);
    let mut results = Vec::new();
    for (i, (report, r)) in cases.iter().enumerate() {
        let mut t = times[i].clone();
        t.sort();
        let p99 = percentile(&t, 99);
        results.push(json!({
            "report": report.slug(),
            "range": ranges[*r].0,
            "from": ranges[*r].1.to_string(),
            "to": ranges[*r].2.to_string(),
            "calls": t.len(),
            "rows": rows[i],
            "p50_us": percentile(&t, 50),
            "p95_us": percentile(&t, 95),
            "p99_us": p99,
            "max_us": percentile(&t, 100),
            "p99_over_baseline_p50": p99 / baseline_p50,
        }));
        println!(
            "{:<14} {:<15} p50 {:>9} ms  p99 {:>9} ms  ({} rows)",
            report.slug(),
            ranges[*r].0,
            ms(percentile(&t, 50)),
            ms(p99),
            rows[i]
        );
    }
    println!(
        "baseline (select 1): p50 {} µs, p99 {} µs",
        baseline_p50,
        percentile(&baseline, 99)
    );
    let out = json!({
        "accounts": accounts,
        "newest_day": newest.to_string(),
        "rounds": args.rounds,
        "warmup_rounds": args.warmup,
        "baseline": { "query": "select 1", "p50_us": baseline_p50, "p99_us": percentile(&baseline, 99) },
        "reports": results,
    });
    std::fs::write(&args.out, serde_json::to_string_pretty(&out)?)
        .with_context(|| format!("writing {}", args.out.display()))?;
    Ok(())
}

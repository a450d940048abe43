//! `lastmile bill-run` as an operator (or the scheduler on two instances) runs it: again for
//! the same date, in two processes at once, and killed part-way and started again. Each way
//! ends with exactly the statements and ledger entries of one clean run.
//!
//! The fixture is 1,500 postpaid accounts, all due on 5 November 2026, each with one cable
//! service (60.00 a month, 1,000 GB included, 2.00 per GB over) activated that same day at
//! an address taxed at 8.25 % (exclusive). Worked out by hand, every account's statement
//! for 5 November is:
//!
//! | line | what | amount |
//! |---|---|---:|
//! | 1 | recurring: 5 Nov – 4 Dec, in advance | 60.00 |
//! | 2 | tax: 8.25 % of 60.00 = 4.95 (exactly) | 4.95 |
//!
//! and nothing else: there is no usage line because the service has no usage period before
//! its activation, no previous statement (previous balance 0.00), no payments. Total due
//! 64.95; the ledger gets a charge of 60.00 and a tax entry of 4.95 per account, so the
//! whole ledger sums to 1,500 × 64.95 = 97,425.00.

mod common;
use common::url_of;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::PgPool;

/// Accounts in the fixture.
const N: i64 = 1500;
/// The run date: in the past, so the command allows it.
const DATE: &str = "2026-11-05";

/// The fixture described at the top, written set-based.
async fn fixture(pool: &PgPool) {
    sqlx::raw_sql(&format!(
        "insert into jurisdictions (code, name) values ('US-TX', 'Texas');
         insert into tax_rates (jurisdiction_id, name, rate, inclusive, valid_from)
              select id, 'Sales tax', 0.0825, false, '2020-01-01' from jurisdictions;
         insert into plans (code, name, technology, download_mbps, upload_mbps, allowance_gb,
                            monthly_price, currency, overage_per_gb)
              values ('cable-300', 'Cable 300', 'cable', 300, 20, 1000, 60.00, 'USD', 2.00);
         insert into accounts (account_number, kind, display_name, billing_mode,
                               billing_cycle_day, currency, time_zone)
              select (30000000 + g)::text, 'residential', 'Subscriber ' || g, 'postpaid', 5,
                     'USD', 'America/Chicago'
                from generate_series(1, {N}) g;
         insert into people (account_id, role, first_name, last_name, email)
              select id, 'owner', 'Robin', 'Test', 'robin.' || account_number || '@example.net'
                from accounts;
         insert into addresses (account_id, line1, city, postal_code, country, jurisdiction_id)
              select a.id, '1 Test Street', 'Austin', '78701', 'US', j.id
                from accounts a cross join jurisdictions j;
         insert into services (account_id, address_id, plan_id, status, activated_on)
              select ad.account_id, ad.id, p.id, 'active', '2026-11-05'
                from addresses ad cross join plans p;"
    ))
    .execute(pool)
    .await
    .expect("fixture");
}

/// `lastmile bill-run` with these arguments and settings, not yet waited for.
fn spawn(url: &str, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lastmile"));
    command
        .arg("bill-run")
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "off")
        .env("LASTMILE_TIME_ZONE", "America/Chicago")
        .env_remove("LASTMILE_BILL_RUN_BATCH")
        .env_remove("LASTMILE_BILL_RUN_WORKERS")
        .env_remove("LASTMILE_BILL_RUN_PAUSE_MS")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.spawn().expect("the lastmile binary runs")
}

fn run(url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    spawn(url, args, env).wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// Runs to completion and returns the `--json` summary; fails the test on a non-zero exit.
fn run_json(url: &str, args: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = run(url, &all, env);
    summary_of(&out)
}

fn summary_of(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "bill-run failed ({:?}):\n{}",
        out.status,
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)))
}

fn billed(summary: &serde_json::Value) -> i64 {
    summary["billed"].as_i64().expect("billed")
}

/// How many accounts the summary skipped for `reason` (0 when it does not list it).
fn skipped(summary: &serde_json::Value, reason: &str) -> i64 {
    summary["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .filter(|r| r["reason"].as_str() == Some(reason))
        .map(|r| r["accounts"].as_i64().unwrap())
        .sum()
}

/// The one currency's total due in a summary (zero when the run billed nothing, as one of
/// two runs at once may: it waits on the other's locks and finds every account billed).
fn total_due(summary: &serde_json::Value) -> Decimal {
    let totals = summary["totals"].as_array().expect("totals");
    if totals.is_empty() && billed(summary) == 0 {
        return Decimal::ZERO;
    }
    assert_eq!(totals.len(), 1, "{summary}");
    assert_eq!(totals[0]["currency"], "USD");
    totals[0]["total_due"]["amount"]
        .as_str()
        .expect("amount")
        .parse()
        .unwrap()
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Exactly what one clean run for 5 November writes, and nothing more.
async fn assert_one_clean_run(pool: &PgPool) {
    let n_dec = Decimal::from(N);

    // N statements, one per account, each for 5 Nov – 4 Dec, due 21 days later, 64.95.
    let statements: (i64, i64, i64, Decimal) = sqlx::query_as(
        "select count(*), count(distinct account_id),
                count(*) filter (where period_start = '2026-11-05' and period_end = '2026-12-05'
                                   and issued_on = '2026-11-05' and due_on = '2026-11-26'
                                   and previous_balance = 0 and total_charges = 60.00
                                   and total_tax = 4.95 and total_payments = 0
                                   and total_credits = 0 and total_due = 64.95
                                   and status = 'open' and bill_run_id is not null),
                coalesce(sum(total_due), 0)
           from statements",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(statements, (N, N, N, n_dec * dec!(64.95)), "statements");

    // Each statement has exactly two lines: 60.00 recurring, 4.95 tax.
    let lines: Vec<(i16, String, Decimal, i64)> = sqlx::query_as(
        "select line_no, kind, amount, count(*) from statement_lines
          group by line_no, kind, amount order by line_no, kind, amount",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        lines,
        vec![
            (1, "recurring".to_string(), dec!(60.00), N),
            (2, "tax".to_string(), dec!(4.95), N),
        ],
        "statement lines"
    );
    let lines_per_statement: (i64, i64) = sqlx::query_as(
        "select count(*) filter (where n = 2), count(*)
           from (select s.id, count(l.id) as n from statements s
                 left join statement_lines l on l.statement_id = s.id group by s.id) t",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(lines_per_statement, (N, N), "two lines on every statement");

    // The ledger: a charge and a tax entry per account, each posted once, linked to the
    // account's own statement; nothing else.
    let entries: Vec<(String, Decimal, i64, i64)> = sqlx::query_as(
        "select kind, amount, count(*), count(distinct account_id) from ledger_entries
          group by kind, amount order by kind, amount",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        entries,
        vec![
            ("charge".to_string(), dec!(60.00), N, N),
            ("tax".to_string(), dec!(4.95), N, N),
        ],
        "ledger entries"
    );
    let keys: (i64, i64, i64, Decimal) = sqlx::query_as(
        "select count(*), count(distinct idempotency_key),
                count(*) filter (where exists (select 1 from statements s
                                                where s.id = l.statement_id
                                                  and s.account_id = l.account_id)),
                sum(amount)
           from ledger_entries l",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        keys,
        (2 * N, 2 * N, 2 * N, n_dec * dec!(64.95)),
        "ledger keys"
    );
    let balances: i64 = sqlx::query_scalar(
        "select count(*) from account_balances where balance = 64.95 and currency = 'USD'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(balances, N, "every account owes 64.95");

    // The charged days: 5 Nov – 4 Dec of each service, once.
    let charges: (i64, i64) = sqlx::query_as(
        "select count(*), count(*) filter (where kind = 'charge' and period_start = '2026-11-05'
                                             and period_end = '2026-12-05')
           from service_charges",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(charges, (N, N), "service charges");

    // One "statement ready" email per account, and no other email.
    let emails: (i64, i64, i64) = sqlx::query_as(
        "select count(*), count(*) filter (where kind = 'statement_ready'),
                count(distinct account_id) filter (where kind = 'statement_ready')
           from outbound_emails",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(emails, (N, N, N), "emails");

    // One history event per statement.
    let events: (i64, i64) = sqlx::query_as(
        "select count(*), count(distinct account_id) from service_events where kind = 'statement'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(events, (N, N), "history events");
}

/// The bill runs recorded: (status, accounts billed, statements carrying the run's id), in
/// the order they started.
async fn bill_runs(pool: &PgPool) -> Vec<(String, i32, i64)> {
    sqlx::query_as(
        "select r.status, r.accounts_billed,
                (select count(*) from statements s where s.bill_run_id = r.id)
           from bill_runs r order by r.id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Waits until no other session is connected to the test's database (the commands'
/// connections have closed, and their statistics have been flushed).
async fn wait_for_other_sessions_to_end(pool: &PgPool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let others: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity
              where datname = current_database() and pid <> pg_backend_pid()
                and state is not null and state <> 'idle'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if others == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "other sessions are still busy after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Transactions rolled back in the test's database so far (by sessions that have ended).
async fn rollbacks(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "select xact_rollback from pg_stat_database where datname = current_database()",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A run of 150 batches of 10, two at a time, each followed by a 200 ms pause (it cannot
/// take less than 75 × 0.2 = 15 s), once it has committed its first statements: to be
/// stopped part-way.
async fn slow_run_past_its_first_commit(pool: &PgPool, url: &str) -> Child {
    let mut child = spawn(
        url,
        &["--date", DATE],
        &[
            ("LASTMILE_BILL_RUN_BATCH", "10"),
            ("LASTMILE_BILL_RUN_PAUSE_MS", "200"),
        ],
    );
    until_the_first_commit(pool, &mut child).await;
    child
}

/// Waits until the run `child` has committed its first statements; fails the test if it
/// ends first or writes nothing within 60 s.
async fn until_the_first_commit(pool: &PgPool, child: &mut Child) {
    until_more_statements_than(pool, child, 0).await
}

/// Waits until more than `n` statements are committed; fails the test if the run `child`
/// ends first or that takes more than 60 s.
async fn until_more_statements_than(pool: &PgPool, child: &mut Child, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(pool, "statements").await <= n {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
            }
            panic!("the run ended ({status}) before it was stopped:\n{stderr}");
        }
        assert!(
            Instant::now() < deadline,
            "no statement was written within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_run_interrupted_with_ctrl_c_finishes_its_batches_in_hand_and_says_so(pool: PgPool) {
    fixture(&pool).await;
    let url = url_of(&pool).await;
    let rolled_back_before = rollbacks(&pool).await;
    let child = slow_run_past_its_first_commit(&pool, &url).await;
    interrupted(child);

    // Whole batches, none rolled back (the batches in hand were committed, not dropped),
    // and the run recorded as failed, not left "running" as a killed one is.
    wait_for_other_sessions_to_end(&pool).await;
    assert_eq!(rollbacks(&pool).await - rolled_back_before, 0);
    let part = count(&pool, "statements").await;
    assert!(part > 0 && part < N, "{part} of {N} statements");
    assert_eq!(part % 10, 0, "only whole batches of 10 were committed");
    assert_eq!(count(&pool, "ledger_entries").await, 2 * part);
    let (status, error): (String, Option<String>) =
        sqlx::query_as("select status, last_error from bill_runs")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(error.is_some_and(|e| e.contains("as asked")));

    let summary = run_json(&url, &["--date", DATE], &[]);
    assert_eq!(billed(&summary), N - part, "{summary}");
    assert_one_clean_run(&pool).await;
}

/// Sends the run `child` a Ctrl-C and waits for it: it must exit non-zero and say it
/// stopped as asked. What it printed.
fn interrupted(child: Child) -> Output {
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "an interrupted run exits non-zero");
    assert!(
        text(&out.stderr).contains("stopped before the end, as asked"),
        "{}",
        text(&out.stderr)
    );
    out
}

#[sqlx::test(migrations = "../migrations")]
async fn a_range_interrupted_part_way_reports_the_days_it_billed_and_why_it_stopped(pool: PgPool) {
    fixture(&pool).await;
    // Ten of the accounts are due on the 4th instead, their service begun that day.
    sqlx::raw_sql(
        "update accounts set billing_cycle_day = 4 where account_number::bigint <= 30000010;
         update services set activated_on = '2026-11-04'
          where account_id in (select id from accounts where billing_cycle_day = 4);",
    )
    .execute(&pool)
    .await
    .unwrap();
    let url = url_of(&pool).await;
    let mut child = spawn(
        &url,
        &["--json", "--from", "2026-11-04", "--to", DATE],
        &[
            ("LASTMILE_BILL_RUN_BATCH", "10"),
            ("LASTMILE_BILL_RUN_PAUSE_MS", "200"),
        ],
    );
    // The 4th is billed (10 statements) and the 5th under way.
    until_more_statements_than(&pool, &mut child, 10).await;
    let out = interrupted(child);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)));
    let days: Vec<(&str, i64)> = summary["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| (r["date"].as_str().unwrap(), r["billed"].as_i64().unwrap()))
        .collect();
    assert_eq!(days, vec![("2026-11-04", 10)], "{summary}");
    assert_eq!(billed(&summary), 10);
    assert_eq!(summary["to"], "2026-11-04");
    assert!(
        summary["error"]
            .as_str()
            .is_some_and(|e| e.contains("stopped before the end, as asked")),
        "{summary}"
    );

    // Started again, the range bills the rest of the 5th and nothing twice.
    let part = count(&pool, "statements").await;
    let again = run_json(&url, &["--from", "2026-11-04", "--to", DATE], &[]);
    assert_eq!(billed(&again), N - part, "{again}");
    assert!(again.get("error").is_none(), "{again}");
    assert_eq!(count(&pool, "statements").await, N);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_run_killed_part_way_and_started_again_bills_each_account_once(pool: PgPool) {
    fixture(&pool).await;
    let url = url_of(&pool).await;
    let mut child = slow_run_past_its_first_commit(&pool, &url).await;
    child.kill().expect("SIGKILL");
    let status = child.wait().unwrap();
    assert!(!status.success(), "the run was killed, not finished");

    // What the killed run committed: whole batches, part of the accounts. (A COMMIT sent
    // just before the kill may still land, so this is read once PostgreSQL has let go of
    // the killed run's connections.)
    wait_for_other_sessions_to_end(&pool).await;
    let part = count(&pool, "statements").await;
    assert!(
        part > 0 && part < N,
        "the kill landed part-way: {part} of {N} statements"
    );
    assert_eq!(part % 10, 0, "only whole batches of 10 were committed");
    assert_eq!(count(&pool, "ledger_entries").await, 2 * part);
    assert_eq!(count(&pool, "outbound_emails").await, part);

    // Started again, it bills what is left and finds the rest billed.
    let summary = run_json(&url, &["--date", DATE], &[]);
    assert_eq!(billed(&summary), N - part, "{summary}");
    assert_eq!(skipped(&summary, "already_billed"), part, "{summary}");
    assert_eq!(total_due(&summary), Decimal::from(N - part) * dec!(64.95));

    assert_one_clean_run(&pool).await;
    // The killed run never finished: it is still "running"; the second is done.
    assert_eq!(
        bill_runs(&pool).await,
        vec![
            ("running".to_string(), 0, part),
            ("done".to_string(), (N - part) as i32, N - part),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn two_runs_at_once_share_the_accounts_and_bill_each_once(pool: PgPool) {
    fixture(&pool).await;
    let url = url_of(&pool).await;

    let env = [("LASTMILE_BILL_RUN_BATCH", "10")];
    let rolled_back_before = rollbacks(&pool).await;
    let a = spawn(&url, &["--date", DATE, "--json"], &env);
    let b = spawn(&url, &["--date", DATE, "--json"], &env);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let (a, b) = (summary_of(&a), summary_of(&b));

    // Between them they billed every account once; each found the other's as billed.
    assert_eq!(billed(&a) + billed(&b), N, "{a}\n{b}");
    for s in [&a, &b] {
        assert_eq!(billed(s) + skipped(s, "already_billed"), N, "{s}");
    }
    assert_eq!(
        total_due(&a) + total_due(&b),
        Decimal::from(N) * dec!(64.95)
    );

    assert_one_clean_run(&pool).await;
    let runs = bill_runs(&pool).await;
    assert_eq!(runs.len(), 2, "{runs:?}");
    for s in [&a, &b] {
        assert_eq!(s["failed"].as_array().map(Vec::len), Some(0), "{s}");
    }
    // Neither run tried to bill an account the other had billed: a run that waits for the
    // other's lock on a batch must then see that batch as billed, not write a duplicate
    // statement, have it refused by the schema, roll the batch back and bill it again
    // account by account.
    wait_for_other_sessions_to_end(&pool).await;
    assert_eq!(
        rollbacks(&pool).await - rolled_back_before,
        0,
        "a run rolled back a batch: it found accounts the other run had just billed \
         still unbilled (see the PostgreSQL log for the duplicate statement)"
    );
    assert!(runs.iter().all(|r| r.0 == "done" && r.1 as i64 == r.2));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_second_run_for_the_same_date_bills_nothing(pool: PgPool) {
    fixture(&pool).await;
    let url = url_of(&pool).await;

    let first = run_json(&url, &["--date", DATE], &[]);
    assert_eq!(billed(&first), N, "{first}");
    assert_eq!(total_due(&first), Decimal::from(N) * dec!(64.95));
    assert_one_clean_run(&pool).await;

    let again = run_json(&url, &["--date", DATE], &[]);
    assert_eq!(billed(&again), 0, "{again}");
    assert_eq!(skipped(&again, "already_billed"), N, "{again}");
    assert_eq!(again["totals"].as_array().map(Vec::len), Some(0), "{again}");
    assert_one_clean_run(&pool).await;
    // Runs one after the other roll nothing back (what the test of two runs at once relies
    // on).
    wait_for_other_sessions_to_end(&pool).await;
    assert_eq!(rollbacks(&pool).await, 0);
    assert_eq!(
        bill_runs(&pool).await,
        vec![
            ("done".to_string(), N as i32, N),
            ("done".to_string(), 0, 0),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_date_that_has_not_come_yet_is_refused_and_nothing_is_written(pool: PgPool) {
    fixture(&pool).await;
    let url = url_of(&pool).await;
    let tz: chrono_tz::Tz = "America/Chicago".parse().unwrap();
    let future = chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Days::new(3);

    let out = run(&url, &["--date", &future.to_string()], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("{future} has not come yet")),
        "the refusal names the date: {err}"
    );
    for table in [
        "statements",
        "statement_lines",
        "ledger_entries",
        "service_charges",
        "outbound_emails",
        "bill_runs",
    ] {
        assert_eq!(count(&pool, table).await, 0, "{table}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_dry_run_reports_what_the_run_will_do_and_writes_nothing(pool: PgPool) {
    fixture(&pool).await;
    let url = url_of(&pool).await;

    let dry = run_json(&url, &["--date", DATE, "--dry-run"], &[]);
    assert_eq!(dry["dry_run"], true);
    for table in [
        "statements",
        "statement_lines",
        "ledger_entries",
        "service_charges",
        "service_events",
        "outbound_emails",
        "bill_runs",
    ] {
        assert_eq!(count(&pool, table).await, 0, "{table} after a dry run");
    }

    let real = run_json(&url, &["--date", DATE], &[]);
    assert_eq!(real["dry_run"], false);
    assert_eq!(billed(&dry), N, "{dry}");
    assert_eq!(billed(&dry), billed(&real));
    assert_eq!(dry["skipped"], real["skipped"]);
    assert_eq!(dry["totals"], real["totals"]);
    assert_eq!(total_due(&dry), Decimal::from(N) * dec!(64.95));
    assert_one_clean_run(&pool).await;
}

// ---------------------------------------------------------------------------------------
// What an operator reads
// ---------------------------------------------------------------------------------------

/// A few accounts with one untaxed cable service each (55.00 a month, 1,000 GB included,
/// 2.00 per GB over), activated on Nov 5 2026: (account number, cycle day, plan currency).
async fn few(pool: &PgPool, accounts: &[(&str, i16, &str)]) {
    sqlx::raw_sql(
        "insert into jurisdictions (code, name) values ('US-NH', 'New Hampshire');
         insert into plans (code, name, technology, download_mbps, upload_mbps, allowance_gb,
                            monthly_price, currency, overage_per_gb)
              values ('cable-55', 'Cable 55', 'cable', 300, 20, 1000, 55.00, 'USD', 2.00),
                     ('euro-55', 'Euro 55', 'cable', 300, 20, 1000, 55.00, 'EUR', 2.00);",
    )
    .execute(pool)
    .await
    .expect("plans");
    for (number, day, currency) in accounts {
        sqlx::query(
            "with a as (
                 insert into accounts (account_number, kind, display_name, billing_mode,
                                       billing_cycle_day, currency, time_zone)
                 values ($1, 'residential', 'Subscriber', 'postpaid', $2, 'USD', 'America/Chicago')
                 returning id),
             ad as (
                 insert into addresses (account_id, line1, city, postal_code, country, jurisdiction_id)
                 select a.id, '1 Test Street', 'Concord', '03301', 'US', j.id
                   from a cross join jurisdictions j
                 returning id, account_id)
             insert into services (account_id, address_id, plan_id, status, activated_on)
             select ad.account_id, ad.id, p.id, 'active', '2026-11-05'
               from ad join plans p on p.currency = $3",
        )
        .bind(number)
        .bind(day)
        .bind(currency)
        .execute(pool)
        .await
        .expect("account");
    }
}

fn stdout(out: &Output) -> String {
    text(&out.stdout)
}

#[test]
fn a_date_that_does_not_exist_says_why_and_how_to_write_one() {
    let out = run(
        "postgres://nobody@127.0.0.1:1/none",
        &["--date", "2026-02-30"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("'2026-02-30' is not a date: February 2026 has 28 days"),
        "{err}"
    );
    assert!(!err.contains("input is out of range"), "{err}");

    let out = run(
        "postgres://nobody@127.0.0.1:1/none",
        &["--date", "5/11/2026"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("'5/11/2026' is not a date: write it as YYYY-MM-DD, for example 2026-11-05"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        "postgres://nobody@127.0.0.1:1/none",
        &["--date", "2026-13-01"],
        &[],
    );
    assert!(
        text(&out.stderr).contains("there is no month 13"),
        "{}",
        text(&out.stderr)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_date_before_an_accounts_history_bills_nothing_and_says_why(pool: PgPool) {
    few(&pool, &[("30000001", 5, "USD"), ("30000002", 5, "USD")]).await;
    let url = url_of(&pool).await;

    // Before the services started: nothing to bill yet (no empty statements written).
    let before = run_json(&url, &["--date", "2026-10-05"], &[]);
    assert_eq!(billed(&before), 0, "{before}");
    assert_eq!(skipped(&before, "not_yet_active"), 2, "{before}");
    assert_eq!(count(&pool, "statements").await, 0);

    run_json(&url, &["--date", "2026-11-05"], &[]);
    // Between two statements' dates, or before the first: a later statement exists, which
    // is not "already billed for this date".
    let out = run(&url, &["--date", "2026-10-05"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout(&out).contains(
            "skipped:   2 accounts already billed for a later date (statements are issued in date order)"
        ),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("for this date"), "{}", stdout(&out));
    assert_eq!(count(&pool, "statements").await, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn one_account_on_a_day_that_is_not_its_billing_day_points_to_the_statement_to_issue(
    pool: PgPool,
) {
    few(&pool, &[("30000001", 5, "USD")]).await;
    let url = url_of(&pool).await;

    let out = run(
        &url,
        &["--date", "2026-11-20", "--account", "30000001"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "2026-11-20 is not a billing day of account 30000001, which is billed on the 5th of \
             each month: its statement for this period was due on 2026-11-05 and has not been \
             issued: bill it with --date 2026-11-05"
        ),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(count(&pool, "statements").await, 0);

    let out = run(
        &url,
        &["--date", "2026-11-05", "--account", "30000001"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout(&out).contains("billed:    1 account\n"),
        "{}",
        stdout(&out)
    );
    let out = run(
        &url,
        &["--date", "2026-11-20", "--account", "30000001"],
        &[],
    );
    assert!(
        text(&out.stderr).contains(
            "its statement for this period was issued on 2026-11-05; the next is due on 2026-12-05"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_run_where_an_account_failed_is_partial_names_its_number_and_exits_non_zero(
    pool: PgPool,
) {
    few(
        &pool,
        &[
            ("30000001", 5, "USD"),
            ("30000002", 5, "EUR"),
            ("30000003", 5, "USD"),
        ],
    )
    .await;
    let url = url_of(&pool).await;

    let out = run(&url, &["--date", "2026-11-05"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let printed = stdout(&out);
    assert!(printed.contains("billed:    2 accounts"), "{printed}");
    assert!(
        printed
            .contains("FAILED:    account 30000002: an amount in EUR on an account billed in USD"),
        "{printed}"
    );
    assert!(
        printed.contains("run again with --date 2026-11-05 --account <number>"),
        "{printed}"
    );
    assert!(
        text(&out.stderr).contains(
            "1 account could not be billed: 30000002 (an amount in EUR on an account billed in \
             USD); every other account was billed"
        ),
        "{}",
        text(&out.stderr)
    );
    let run_row: (String, i32, i32, String) = sqlx::query_as(
        "select status, accounts_billed, accounts_failed, last_error from bill_runs",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        run_row,
        (
            "partial".to_string(),
            2,
            1,
            "1 account could not be billed: 30000002 (an amount in EUR on an account billed in USD)"
                .to_string()
        )
    );
    // The JSON names it the same way.
    let out = run(&url, &["--date", "2026-11-05", "--json"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["failed"],
        serde_json::json!([{
            "account_number": "30000002",
            "error": "an amount in EUR on an account billed in USD"
        }])
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn json_piped_into_a_reader_that_stops_early_ends_without_a_panic(pool: PgPool) {
    few(&pool, &[("30000001", 5, "USD")]).await;
    let url = url_of(&pool).await;
    let mut child = spawn(&url, &["--date", "2026-11-05", "--json"], &[]);
    // `| head -0`: the reader is gone before anything is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
    // The run itself was done and recorded.
    assert_eq!(count(&pool, "statements").await, 1);
    assert_eq!(bill_runs(&pool).await, vec![("done".to_string(), 1, 1)]);
}

/// Every `"amount"` in a JSON value, wherever it is.
fn amounts(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("amount", serde_json::Value::Object(_)) => amounts(v, out),
                    ("amount", v) => {
                        out.push(v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    }
                    _ => amounts(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| amounts(v, out)),
        _ => {}
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn json_amounts_have_the_currencys_decimals_and_skips_are_labelled(pool: PgPool) {
    few(&pool, &[("30000001", 5, "USD")]).await;
    let url = url_of(&pool).await;

    // One untaxed account: no tax, no previous balance, no payments (all zero).
    let summary = run_json(
        &url,
        &["--date", "2026-11-05", "--account", "30000001"],
        &[],
    );
    let mut found = Vec::new();
    amounts(&summary, &mut found);
    assert!(found.len() > 8, "{summary}");
    for amount in &found {
        let (_, cents) = amount.split_once('.').unwrap_or((amount, ""));
        assert_eq!(cents.len(), 2, "{amount} in {summary}");
    }
    assert_eq!(summary["totals"][0]["tax"]["amount"], "0.00", "{summary}");
    assert_eq!(
        summary["totals"][0]["charges"]["amount"], "55.00",
        "{summary}"
    );
    let statement = &summary["statements"][0];
    assert_eq!(statement["previous_balance"]["amount"], "0.00");
    assert_eq!(statement["payments"]["amount"], "0.00");
    assert_eq!(statement["total_due"]["amount"], "55.00");

    let again = run_json(&url, &["--date", "2026-11-05"], &[]);
    assert_eq!(
        again["skipped"],
        serde_json::json!([{
            "reason": "already_billed",
            "text": "already billed for this date",
            "accounts": 1
        }])
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_range_of_days_bills_each_day_in_order_and_again_bills_nothing(pool: PgPool) {
    few(
        &pool,
        &[
            ("30000001", 5, "USD"),
            ("30000002", 6, "USD"),
            ("30000003", 8, "USD"),
        ],
    )
    .await;
    let url = url_of(&pool).await;

    let out = run(&url, &["--from", "2026-11-08", "--to", "2026-11-05"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--from 2026-11-08 is after --to 2026-11-05"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&url, &["--date", "2026-11-05", "--from", "2026-11-05"], &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--date and --from together are refused"
    );

    // Nov 5 – Nov 7 catches up the accounts due on the 5th and the 6th, not the 8th.
    let first = run_json(&url, &["--from", "2026-11-05", "--to", "2026-11-07"], &[]);
    assert_eq!(first["billed"], 2, "{first}");
    let runs = first["runs"].as_array().expect("runs");
    let days: Vec<(&str, i64)> = runs
        .iter()
        .map(|r| (r["date"].as_str().unwrap(), r["billed"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        days,
        vec![("2026-11-05", 1), ("2026-11-06", 1), ("2026-11-07", 0)]
    );
    let billed_in_order: Vec<(String, chrono::NaiveDate)> = sqlx::query_as(
        "select a.account_number, s.issued_on from statements s
           join accounts a on a.id = s.account_id order by s.id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        billed_in_order,
        vec![
            (
                "30000001".to_string(),
                chrono::NaiveDate::from_ymd_opt(2026, 11, 5).unwrap()
            ),
            (
                "30000002".to_string(),
                chrono::NaiveDate::from_ymd_opt(2026, 11, 6).unwrap()
            ),
        ]
    );

    // Again, and over a wider range: only the 8th is new.
    let out = run(&url, &["--from", "2026-11-04", "--to", "2026-11-08"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout(&out).contains("5 days from 2026-11-04 to 2026-11-08: 1 account billed"),
        "{}",
        stdout(&out)
    );
    assert_eq!(count(&pool, "statements").await, 3);
}

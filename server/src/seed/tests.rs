//! Database tests of the seed: determinism, money that adds up, the demo subscribers, and
//! refusing a database that is not empty.

use super::*;
use rust_decimal::Decimal;
use sqlx::postgres::PgPoolOptions;

/// The day the tests' data ends; the demo's latest statement (issued Nov 5) is due Nov 26.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).expect("valid date")
}

fn options(accounts: u32) -> SeedOptions {
    SeedOptions {
        accounts,
        seed: 42,
        today: today(),
        show_progress: false,
        totp_keys: std::sync::Arc::new(app::server::staff::totp_keys::TotpKeys::for_tests()),
    }
}

/// Every seeded table with the order that makes its rows comparable.
const SEEDED_TABLES: &[(&str, &str)] = &[
    ("jurisdictions", "id"),
    ("tax_rates", "id"),
    ("plans", "id"),
    ("charge_types", "id"),
    ("accounts", "id"),
    ("people", "id"),
    ("addresses", "id"),
    ("payment_methods", "id"),
    ("portal_logins", "id"),
    ("services", "id"),
    ("service_suspensions", "id"),
    ("plan_changes", "id"),
    ("statements", "id"),
    ("statement_lines", "id"),
    ("one_time_charges", "id"),
    ("payments", "id"),
    ("ledger_entries", "id"),
    ("ledger_entries_pending", "ledger_entry_id"),
    ("statement_ledger_entries", "ledger_entry_id"),
    ("service_charges", "id"),
    ("discounts", "id"),
    ("dunning_actions", "statement_id, step_code"),
    ("usage_daily", "service_id, day"),
    ("usage_hourly", "service_id, day"),
    ("service_events", "id"),
    ("tickets", "id"),
    ("ticket_messages", "id"),
];

/// An md5 of each seeded table's rows in order. The password hash is left out: its salt
/// is random by design.
async fn digests(pool: &PgPool) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (table, order) in SEEDED_TABLES {
        // Change tracking is left out: `sync_xid` is the writing transaction's id and
        // `updated_at` the time of the last change (both set by the schema's triggers).
        let digest: Option<String> = sqlx::query_scalar(&format!(
            "select md5(string_agg((to_jsonb(t) - 'password_hash' - 'sync_xid' - 'updated_at')::text,
                                   ',' order by {order}))
               from {table} t"
        ))
        .fetch_one(pool)
        .await
        .expect("digest query");
        out.push((*table, digest.unwrap_or_else(|| "(empty)".into())));
    }
    out
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[sqlx::test(migrations = "../migrations")]
async fn the_same_seed_gives_identical_rows_in_another_database(pool: PgPool) {
    let summary = seed_demo(&pool, &options(50)).await.expect("first seed");
    assert_eq!(summary.accounts, 50);
    let first = digests(&pool).await;

    // A second, fresh database beside the one sqlx::test made. Its name is that one's with
    // another prefix: unique per test, and within PostgreSQL's 63 characters (as is
    // sqlx's own name, exactly).
    let here: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&pool)
        .await
        .expect("name");
    let twin = here.replacen("_sqlx_test_", "_seed_twin_", 1);
    assert_ne!(twin, here);
    sqlx::query(&format!(r#"drop database if exists "{twin}""#))
        .execute(&pool)
        .await
        .expect("drop old twin");
    sqlx::query(&format!(r#"create database "{twin}""#))
        .execute(&pool)
        .await
        .expect("create twin");
    let twin_options = pool.connect_options().as_ref().clone().database(&twin);
    let twin_pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(twin_options)
        .await
        .expect("connect twin");
    sqlx::migrate!("../migrations")
        .run(&twin_pool)
        .await
        .expect("migrate twin");
    let again = seed_demo(&twin_pool, &options(50)).await;
    let second = digests(&twin_pool).await;
    twin_pool.close().await;
    sqlx::query(&format!(r#"drop database "{twin}" with (force)"#))
        .execute(&pool)
        .await
        .expect("drop twin");

    let again = again.expect("second seed");
    assert_eq!(
        (again.statements, again.usage_days),
        (summary.statements, summary.usage_days)
    );
    for ((table, a), (_, b)) in first.iter().zip(&second) {
        assert_ne!(a, "(empty)", "{table} was not seeded");
        assert_eq!(
            a, b,
            "{table} differs between two seeds with the same options"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn seeded_money_adds_up_and_the_demo_subscribers_are_as_described(pool: PgPool) {
    let summary = seed_demo(&pool, &options(120)).await.expect("seed");
    assert_eq!(summary.accounts, 120);
    assert_eq!(summary.statements, 120 * 12);
    assert_eq!(summary.usage_days, 120 * 365);
    assert_eq!(summary.demo_email, "alex.morgan@example.net");
    assert_eq!(summary.demo_account_number, "10000001");
    assert_eq!(summary.demo_password, "lastmile-demo");

    // The volumes are what was promised.
    assert_eq!(count(&pool, "select count(*) from accounts").await, 120);
    assert_eq!(
        count(&pool, "select count(*) from statements").await,
        120 * 12
    );
    assert_eq!(
        count(&pool, "select count(*) from usage_daily").await,
        120 * 365
    );
    assert_eq!(
        count(&pool, "select count(*) from usage_hourly").await,
        120 * 14
    );
    assert_eq!(
        count(&pool, "select count(*) from portal_logins where is_primary").await,
        120
    );
    assert_eq!(
        count(&pool, "select count(*) from usage_daily where day >= date '2026-11-21' or day < date '2025-11-21'").await,
        0,
        "usage runs from a year ago to yesterday"
    );

    // Every statement: its lines add up to its total (the trigger checks the buckets at
    // commit; this checks the whole), and it starts from the previous one's total.
    assert_eq!(
        count(
            &pool,
            "select count(*) from statements s
              where s.total_due <> s.previous_balance + (select sum(amount) from statement_lines l where l.statement_id = s.id)"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from (
                select previous_balance, lag(total_due, 1, 0.00) over (partition by account_id order by period_start) as before
                  from statements) s
              where previous_balance <> before"
        )
        .await,
        0
    );
    // Postpaid statements are due three weeks after issue; prepaid ones, paid from the
    // balance topped up the day before, on issue (and are settled then).
    assert_eq!(
        count(
            &pool,
            "select count(*) from statements s join accounts a on a.id = s.account_id
              where s.due_on <> s.issued_on + case a.billing_mode when 'prepaid' then 0 else 21 end
                 or (a.billing_mode = 'prepaid' and s.status <> 'paid')"
        )
        .await,
        0
    );
    assert!(
        count(
            &pool,
            "select count(*) from accounts where billing_mode = 'prepaid'"
        )
        .await
            > 0,
        "some subscribers are prepaid"
    );

    // Every account's balance (the sum of its ledger) is its latest statement's total due
    // plus the entries no statement has shown yet (payments since); those are exactly the
    // ones dated after the latest statement, and every earlier one is shown by exactly the
    // statement whose period it was received before.
    assert_eq!(
        count(
            &pool,
            "select count(*) from accounts a
               join lateral (select total_due, issued_on from statements where account_id = a.id
                              order by period_start desc limit 1) s on true
              where (select coalesce(sum(amount), 0) from ledger_entries where account_id = a.id)
                 <> s.total_due + (select coalesce(sum(l.amount), 0) from ledger_entries_pending p
                                     join ledger_entries l on l.id = p.ledger_entry_id
                                    where p.account_id = a.id)"
        )
        .await,
        0
    );
    assert!(
        count(&pool, "select count(*) from ledger_entries_pending").await > 0,
        "some payments came after the latest statement"
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from ledger_entries l
               join lateral (select max(issued_on) as latest from statements where account_id = l.account_id) s on true
              where l.statement_id is null
                and (exists (select 1 from ledger_entries_pending p where p.ledger_entry_id = l.id)
                     = exists (select 1 from statement_ledger_entries x where x.ledger_entry_id = l.id)
                     or exists (select 1 from ledger_entries_pending p where p.ledger_entry_id = l.id)
                        <> (l.effective_on > s.latest))"
        )
        .await,
        0,
        "an entry outside statements is either pending (after the latest statement) or shown"
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from statement_ledger_entries x
               join ledger_entries l on l.id = x.ledger_entry_id
               join statements s on s.id = x.statement_id
              where l.statement_id is not null or l.account_id <> s.account_id
                 or l.effective_on > s.issued_on
                 or l.effective_on <= coalesce((select max(p.issued_on) from statements p
                                                 where p.account_id = s.account_id
                                                   and p.issued_on < s.issued_on), '-infinity')
                 or not exists (select 1 from statement_lines sl where sl.statement_id = s.id
                                   and sl.kind = 'payment' and sl.amount = l.amount
                                   and sl.description = l.description)"
        )
        .await,
        0,
        "each shown entry is on the first statement issued after it, as a line"
    );

    // Every line that changes a balance is posted to the ledger once, keyed as a bill run
    // keys it; payment lines post nothing (their entries exist already).
    assert_eq!(
        count(
            &pool,
            "select count(*) from statement_lines sl join statements s on s.id = sl.statement_id
              where (sl.kind <> 'payment' and sl.amount <> 0)
                 <> exists (select 1 from ledger_entries l
                             where l.idempotency_key = 'statement:' || s.statement_number || ':' || sl.line_no
                               and l.statement_id = s.id and l.amount = sl.amount)"
        )
        .await,
        0
    );

    // The days charged: one span per statement and service, exactly the recurring lines,
    // without gap or overlap (the schema refuses overlaps) from the first to the latest.
    assert_eq!(
        count(
            &pool,
            "select count(*) from statement_lines sl
              where sl.kind = 'recurring' and not exists (select 1 from service_charges c
                     where c.statement_id = sl.statement_id and c.service_id = sl.service_id
                       and c.kind = 'charge' and c.period_start = sl.period_start
                       and c.period_end = sl.period_end)"
        )
        .await,
        0
    );
    assert_eq!(
        count(&pool, "select count(*) from service_charges").await,
        count(
            &pool,
            "select count(*) from statement_lines where kind = 'recurring'"
        )
        .await
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from (
                select period_start, lag(period_end) over (partition by service_id order by period_start) as before
                  from service_charges where kind = 'charge') c
              where before is not null and before <> period_start"
        )
        .await,
        0,
        "no gap between charged spans"
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from services v
              where (select max(period_end) from service_charges c where c.service_id = v.id)
                    <> (select max(period_end) from statements s where s.account_id = v.account_id)
                 or (select min(period_start) from service_charges c where c.service_id = v.id)
                    <> (select min(period_start) from statements s where s.account_id = v.account_id)"
        )
        .await,
        0,
        "charged from the first seeded period to the end of the latest"
    );

    // Promotions show as discount lines; late fees are late-fee charges; every one-time
    // charge is billed; the dunning steps the story took are recorded.
    assert!(count(&pool, "select count(*) from discounts").await > 0);
    assert!(
        count(
            &pool,
            "select count(*) from statement_lines where kind = 'discount'"
        )
        .await
            > 0
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from one_time_charges o join charge_types c on c.id = o.charge_type_id
              where (o.kind = 'late_fee') <> (c.code = 'late-fee')
                 or (o.statement_id is null and o.kind <> 'late_fee')"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from ledger_entries l
              where l.kind = 'late_fee' and not exists (select 1 from dunning_actions d
                     join statements s on s.id = d.statement_id
                    where d.step_code = 'late_fee' and s.account_id = l.account_id)"
        )
        .await,
        0
    );
    assert!(
        count(
            &pool,
            "select count(*) from dunning_actions where step_code = 'overdue_notice'"
        )
        .await
            > 0
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from services s
              where (s.status = 'suspended') <> exists (select 1 from dunning_actions d
                     where d.account_id = s.account_id and d.step_code = 'suspension')"
        )
        .await,
        0
    );
    // A statement is paid exactly when a payment settled it; every payment is in the ledger.
    assert_eq!(
        count(
            &pool,
            "select count(*) from statements s
              where (s.status = 'paid') <> exists (select 1 from payments p where p.statement_id = s.id and p.status = 'succeeded')"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from payments p
              where not exists (select 1 from ledger_entries l where l.payment_id = p.id and l.amount = -p.amount)"
        )
        .await,
        0
    );
    // Some subscribers are behind: overdue statements exist.
    assert!(
        count(
            &pool,
            "select count(*) from statements where status = 'open' and due_on < date '2026-11-21'"
        )
        .await
            > 0
    );

    // Hourly figures sum to the day's total.
    assert_eq!(
        count(
            &pool,
            "select count(*) from usage_hourly h join usage_daily d using (service_id, day)
              where d.download_bytes <> (select sum(x) from unnest(h.download_bytes) x)
                 or d.upload_bytes <> (select sum(x) from unnest(h.upload_bytes) x)"
        )
        .await,
        0
    );

    // The demo subscriber.
    let (account_id, cycle_day, status, name): (i64, i16, String, String) = sqlx::query_as(
        "select id, billing_cycle_day, status, display_name from accounts where account_number = '10000001'",
    )
    .fetch_one(&pool)
    .await
    .expect("demo account");
    assert_eq!(
        (cycle_day, status.as_str(), name.as_str()),
        (5, "active", "Alex Morgan")
    );
    let (email, first, last, is_primary, hash): (String, String, String, bool, String) =
        sqlx::query_as(
            "select l.email::text, p.first_name, p.last_name, l.is_primary, l.password_hash
           from portal_logins l join people p on p.id = l.person_id where l.account_id = $1",
        )
        .bind(account_id)
        .fetch_one(&pool)
        .await
        .expect("demo login");
    assert_eq!(
        (email.as_str(), first.as_str(), last.as_str(), is_primary),
        ("alex.morgan@example.net", "Alex", "Morgan", true)
    );
    assert!(
        app::server::auth::verify_password(DEMO_PASSWORD.into(), Some(hash.clone()))
            .await
            .expect("verify")
    );
    assert!(
        !app::server::auth::verify_password("wrong password".into(), Some(hash))
            .await
            .expect("verify")
    );

    let (plan, allowance): (String, Option<i32>) = sqlx::query_as(
        "select p.code, p.allowance_gb from services s join plans p on p.id = s.plan_id where s.account_id = $1",
    )
    .bind(account_id)
    .fetch_one(&pool)
    .await
    .expect("demo plan");
    assert_eq!((plan.as_str(), allowance), ("cable-300", Some(1000)));

    let latest: Vec<(String, NaiveDate, NaiveDate, String, Decimal)> = sqlx::query_as(
        "select statement_number, period_start, due_on, status, total_due from statements
          where account_id = $1 order by period_start desc",
    )
    .bind(account_id)
    .fetch_all(&pool)
    .await
    .expect("demo statements");
    assert_eq!(latest.len(), 12);
    let (number, start, due, status, total) = &latest[0];
    assert_eq!(number, "S-10000001-202611");
    assert_eq!(*start, NaiveDate::from_ymd_opt(2026, 11, 5).expect("date"));
    assert_eq!(status, "open");
    assert!(*due > today(), "the latest statement is not yet due");
    assert!(*total > Decimal::ZERO);
    assert!(
        latest[1..].iter().all(|s| s.3 == "paid"),
        "earlier statements are paid"
    );
    let balance: Decimal =
        sqlx::query_scalar("select sum(amount) from ledger_entries where account_id = $1")
            .bind(account_id)
            .fetch_one(&pool)
            .await
            .expect("balance");
    assert_eq!(balance, *total, "the demo owes exactly its open statement");

    let open_tickets = sqlx::query_scalar::<_, i64>(
        "select count(*) from tickets where account_id = $1 and status = 'open'",
    )
    .bind(account_id)
    .fetch_one(&pool)
    .await
    .expect("tickets");
    assert_eq!(open_tickets, 1);
    let event_kinds: Vec<String> = sqlx::query_scalar(
        "select distinct kind from service_events where account_id = $1 order by kind",
    )
    .bind(account_id)
    .fetch_all(&pool)
    .await
    .expect("events");
    assert_eq!(
        event_kinds,
        ["activation", "outage", "payment", "statement", "ticket"]
    );

    // The second subscriber differs in plan, cycle and usage.
    let (sam_id, sam_cycle, sam_plan): (i64, i16, String) = sqlx::query_as(
        "select a.id, a.billing_cycle_day, p.code from accounts a
           join services s on s.account_id = a.id join plans p on p.id = s.plan_id
           join portal_logins l on l.account_id = a.id
          where l.email = 'sam.taylor@example.net' and a.account_number = '10000002'",
    )
    .fetch_one(&pool)
    .await
    .expect("second demo subscriber");
    assert_eq!((sam_cycle, sam_plan.as_str()), (18, "fibre-1000"));
    let used = |id: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, Decimal>(
                "select sum(download_bytes + upload_bytes) from usage_daily u join services s on s.id = u.service_id
                  where s.account_id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .expect("usage")
        }
    };
    assert_ne!(used(account_id).await, used(sam_id).await);
}

#[sqlx::test(migrations = "../migrations")]
async fn seeding_a_database_that_has_accounts_fails_and_writes_nothing(pool: PgPool) {
    seed_demo(&pool, &options(3)).await.expect("first seed");
    let before = digests(&pool).await;

    let error = seed_demo(&pool, &options(3))
        .await
        .expect_err("a second seed must be refused");
    assert!(
        error
            .to_string()
            .contains("the database already has accounts; seed only an empty database"),
        "unexpected error: {error:#}"
    );
    assert_eq!(
        digests(&pool).await,
        before,
        "nothing was written by the refused seed"
    );
}

/// Times a 2,000-account seed: `cargo test -p lastmile seed_timing -- --ignored --nocapture`.
#[sqlx::test(migrations = "../migrations")]
#[ignore = "a timing run, not a check"]
async fn seed_timing(pool: PgPool) {
    let accounts = std::env::var("SEED_TIMING_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let started = std::time::Instant::now();
    let summary = seed_demo(&pool, &options(accounts)).await.expect("seed");
    println!(
        "seeded {} accounts ({} statements, {} usage days) in {:.1?}",
        summary.accounts,
        summary.statements,
        summary.usage_days,
        started.elapsed()
    );
}

/// The seed's history is what a bill run would have written: the engine's next bill run
/// for each seeded account starts exactly where the seeded statements stop. It carries the
/// latest total due forward, charges from the day the seeded charges end (no day twice,
/// none missed), and shows exactly the payments made since the latest seeded statement.
#[sqlx::test(migrations = "../migrations")]
async fn a_bill_run_carries_on_from_the_seeded_history(pool: PgPool) {
    seed_demo(&pool, &options(40)).await.expect("seed");
    let config = engine::EngineConfig::default();

    #[derive(sqlx::FromRow)]
    struct Latest {
        account_id: i64,
        account_number: String,
        billing_mode: String,
        period_end: NaiveDate,
        total_due: Decimal,
        charged_through: NaiveDate,
        pending: Vec<i64>,
        suspended_on: Option<NaiveDate>,
    }
    let accounts: Vec<Latest> = sqlx::query_as(
        "select a.id as account_id, a.account_number, a.billing_mode, s.period_end, s.total_due,
                (select max(c.period_end) from service_charges c where c.account_id = a.id
                   and c.kind = 'charge') as charged_through,
                array(select p.ledger_entry_id from ledger_entries_pending p
                       where p.account_id = a.id order by 1) as pending,
                (select x.suspended_on from service_suspensions x
                  where x.account_id = a.id and x.restored_on is null) as suspended_on
           from accounts a
           join lateral (select period_end, total_due from statements where account_id = a.id
                          order by period_start desc limit 1) s on true
          order by a.id",
    )
    .fetch_all(&pool)
    .await
    .expect("latest statements");
    assert_eq!(accounts.len(), 40);
    assert!(
        accounts.iter().any(|a| !a.pending.is_empty()),
        "some accounts paid after their latest statement"
    );

    for a in &accounts {
        let number = &a.account_number;
        assert_eq!(
            a.charged_through, a.period_end,
            "{number}: charged to the period's end"
        );
        let summary = engine::bill_run::run(
            &pool,
            &config,
            &engine::bill_run::RunOptions {
                date: a.period_end,
                dry_run: false,
                account: Some(number.clone()),
                started_by: "seed test".into(),
                stop: Default::default(),
            },
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{number}: bill run failed: {e}"));
        assert_eq!(summary.billed, 1, "{number}: {:?}", summary.skipped);

        let (statement_id, previous, period_start, period_end, total_due): (
            i64,
            Decimal,
            NaiveDate,
            NaiveDate,
            Decimal,
        ) = sqlx::query_as(
            "select id, previous_balance, period_start, period_end, total_due from statements
              where account_id = $1 and period_start = $2",
        )
        .bind(a.account_id)
        .bind(a.period_end)
        .fetch_one(&pool)
        .await
        .expect("the new statement");
        assert_eq!(
            previous, a.total_due,
            "{number}: the balance carried forward"
        );

        let recurring: Vec<(NaiveDate, NaiveDate)> = sqlx::query_as(
            "select period_start, period_end from statement_lines
              where statement_id = $1 and kind = 'recurring' order by line_no",
        )
        .bind(statement_id)
        .fetch_all(&pool)
        .await
        .expect("recurring lines");
        match a.suspended_on {
            // Switched off: nothing charged, and the days off already charged come back.
            Some(off) => {
                assert_eq!(recurring, [], "{number}: nothing charged while off");
                let refunded: Vec<(NaiveDate, NaiveDate)> = sqlx::query_as(
                    "select period_start, period_end from statement_lines
                      where statement_id = $1 and kind = 'credit' order by line_no",
                )
                .bind(statement_id)
                .fetch_all(&pool)
                .await
                .expect("refunds");
                let expected: Vec<(NaiveDate, NaiveDate)> = (off < a.charged_through)
                    .then_some((off, a.charged_through))
                    .into_iter()
                    .collect();
                assert_eq!(refunded, expected, "{number}: the days off refunded");
            }
            // A prepaid balance that does not pay the period: off from its first day, and
            // the period not charged.
            None if summary.suspended == 1 => {
                assert_eq!(a.billing_mode, "prepaid", "{number}");
                assert_eq!(recurring, [], "{number}: nothing charged while off");
            }
            None => assert_eq!(
                recurring,
                [(period_start, period_end)],
                "{number}: exactly the next period charged, from where the seed stopped"
            ),
        }
        assert_eq!(period_start, a.charged_through);

        let shown: Vec<i64> = sqlx::query_scalar(
            "select ledger_entry_id from statement_ledger_entries where statement_id = $1 order by 1",
        )
        .bind(statement_id)
        .fetch_all(&pool)
        .await
        .expect("shown entries");
        assert_eq!(
            shown, a.pending,
            "{number}: shows exactly the payments made since the latest seeded statement"
        );
        let payment_lines = count(
            &pool,
            &format!("select count(*) from statement_lines where statement_id = {statement_id} and kind = 'payment'"),
        )
        .await;
        assert_eq!(payment_lines as usize, a.pending.len(), "{number}");

        // Nothing else is waiting, so the ledger now says what the new statement says.
        let balance: Decimal = sqlx::query_scalar(
            "select coalesce(sum(amount), 0) from ledger_entries where account_id = $1",
        )
        .bind(a.account_id)
        .fetch_one(&pool)
        .await
        .expect("balance");
        assert_eq!(balance, total_due, "{number} ({})", a.billing_mode);
    }

    // One new statement per account, and nothing else billed.
    let statements = count(&pool, "select count(*) from statements").await;
    assert_eq!(statements, 40 * 13);
}

/// The seeded dunning story follows the engine's default steps, so a real dunning run for
/// any day before the seed's "today" finds nothing left to do: it will not suddenly remind,
/// fine or suspend the demo's subscribers for their seeded past.
#[sqlx::test(migrations = "../migrations")]
async fn dunning_after_seeding_takes_no_step_from_the_seeded_past(pool: PgPool) {
    let opts = options(300);
    seed_demo(&pool, &opts).await.expect("seed");
    let overdue = count(
        &pool,
        "select count(*) from statements where status = 'open' and due_on < now() - interval '1 day'",
    )
    .await;
    assert!(overdue > 0, "the seed has overdue statements to dun");
    let yesterday = opts.today.pred_opt().expect("a day before");
    let summary = engine::dunning::run(&pool, &engine::EngineConfig::default(), yesterday)
        .await
        .expect("dunning");
    assert_eq!(summary, engine::dunning::Summary::default());
}

//! The job table against a real PostgreSQL: scheduling on the provider's clock (New York
//! here), claiming under a lease by several instances, and what running a job records.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use engine::jobs::{self, Outcome};
use engine::EngineConfig;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

fn config() -> EngineConfig {
    EngineConfig {
        time_zone: chrono_tz::America::New_York,
        ..EngineConfig::default()
    }
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("instant")
}

/// Every job: (kind, dedupe_key, run_at), in date and kind order.
async fn scheduled(pool: &PgPool) -> Vec<(String, String, DateTime<Utc>)> {
    sqlx::query_as("select kind, dedupe_key, run_at from jobs order by dedupe_key, kind")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// A queued job inserted by hand; returns its id.
async fn queued(pool: &PgPool, kind: &str, key: &str, run_at: DateTime<Utc>) -> i64 {
    sqlx::query_scalar(
        "insert into jobs (kind, dedupe_key, payload, run_at) values ($1, $2, '{}', $3) returning id",
    )
    .bind(kind)
    .bind(key)
    .bind(run_at)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// (status, attempts, run_at, locked_until, last_error, finished_at) of a job.
type JobState = (
    String,
    i32,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<String>,
    Option<DateTime<Utc>>,
);

async fn state(pool: &PgPool, id: i64) -> JobState {
    sqlx::query_as(
        "select status, attempts, run_at, locked_until, last_error, finished_at from jobs where id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// One postpaid account with cycle day 5 and a 60.00 plan activated on 5 November 2026,
/// untaxed: due for its first statement on 5 November. Returns the account id.
async fn one_account_due_on_the_5th(pool: &PgPool) -> i64 {
    accounts_due_on_the_5th(pool, 1).await;
    sqlx::query_scalar("select id from accounts")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// `n` accounts like [`one_account_due_on_the_5th`]'s, numbered from 40000001.
async fn accounts_due_on_the_5th(pool: &PgPool, n: i32) {
    sqlx::raw_sql(&format!(
        "insert into jurisdictions (code, name) values ('US-NY', 'New York');
         insert into plans (code, name, technology, download_mbps, upload_mbps, allowance_gb,
                            monthly_price, currency, overage_per_gb)
              values ('fibre-500', 'Fibre 500', 'fibre', 500, 500, null, 60.00, 'USD', null);
         insert into accounts (account_number, kind, display_name, billing_mode,
                               billing_cycle_day, currency, time_zone)
              select (40000000 + i)::text, 'residential', 'Jobs Test ' || i, 'postpaid', 5,
                     'USD', 'America/New_York'
                from generate_series(1, {n}) i;
         insert into people (account_id, role, first_name, last_name, email)
              select id, 'owner', 'Sam', 'Jobs', 'sam.jobs.' || id || '@example.net' from accounts;
         insert into addresses (account_id, line1, city, postal_code, country, jurisdiction_id)
              select a.id, '5 Test Avenue', 'Albany', '12207', 'US', j.id
                from accounts a cross join jurisdictions j;
         insert into services (account_id, address_id, plan_id, status, activated_on)
              select ad.account_id, ad.id, p.id, 'active', '2026-11-05'
                from addresses ad cross join plans p;"
    ))
    .execute(pool)
    .await
    .expect("fixture");
}

#[sqlx::test(migrations = "../migrations")]
async fn scheduling_is_idempotent_and_catches_up_only_days_after_the_first(pool: PgPool) {
    let config = config();
    // 10:00 EST on Sunday 22 November 2026.
    let now = utc(2026, 11, 22, 15, 0);

    // An empty table: today's two jobs only, not the week before the installation.
    assert_eq!(jobs::schedule(&pool, &config, now).await.unwrap(), 2);
    assert_eq!(
        scheduled(&pool).await,
        vec![
            (
                "bill_run".into(),
                "2026-11-22".into(),
                utc(2026, 11, 22, 7, 0)
            ),
            (
                "dunning".into(),
                "2026-11-22".into(),
                utc(2026, 11, 22, 11, 0)
            ),
        ]
    );
    // Again, and again later that day (03:30 UTC on the 23rd is still the 22nd in New York):
    // nothing new.
    assert_eq!(jobs::schedule(&pool, &config, now).await.unwrap(), 0);
    assert_eq!(
        jobs::schedule(&pool, &config, utc(2026, 11, 23, 3, 30))
            .await
            .unwrap(),
        0
    );
    assert_eq!(scheduled(&pool).await.len(), 2);

    // Three days with no instance running: the missed 23rd and 24th and today, the 25th,
    // two jobs each; the 22nd is already there.
    let later = now + Duration::days(3);
    assert_eq!(jobs::schedule(&pool, &config, later).await.unwrap(), 6);
    let all = scheduled(&pool).await;
    let keys: Vec<&str> = all.iter().map(|j| j.1.as_str()).collect();
    assert_eq!(
        keys,
        [
            "2026-11-22",
            "2026-11-22",
            "2026-11-23",
            "2026-11-23",
            "2026-11-24",
            "2026-11-24",
            "2026-11-25",
            "2026-11-25",
        ]
    );
    assert!(all.iter().any(|j| j
        == &(
            "bill_run".to_string(),
            "2026-11-24".to_string(),
            utc(2026, 11, 24, 7, 0)
        )));
    assert_eq!(jobs::schedule(&pool, &config, later).await.unwrap(), 0);
    let statuses: Vec<String> = sqlx::query_scalar("select distinct status from jobs")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(statuses, ["queued"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn jobs_run_at_the_providers_local_time_across_daylight_saving_changes(pool: PgPool) {
    let config = config();
    let run_at = |rows: &[(String, String, DateTime<Utc>)], kind: &str, day: &str| {
        rows.iter()
            .find(|r| r.0 == kind && r.1 == day)
            .unwrap_or_else(|| panic!("no {kind} job for {day}: {rows:?}"))
            .2
    };

    // Sunday 8 March 2026, clocks spring forward at 02:00: 02:00 never happens, so the bill
    // run is at the first instant after the gap, 03:00 EDT = 07:00 UTC; dunning at 06:00 EDT
    // = 10:00 UTC. (Scheduled at 09:00 EDT that day.)
    jobs::schedule(&pool, &config, utc(2026, 3, 8, 13, 0))
        .await
        .unwrap();
    let rows = scheduled(&pool).await;
    assert_eq!(
        run_at(&rows, "bill_run", "2026-03-08"),
        utc(2026, 3, 8, 7, 0)
    );
    assert_eq!(
        run_at(&rows, "dunning", "2026-03-08"),
        utc(2026, 3, 8, 10, 0)
    );

    // Sunday 1 November 2026, clocks fall back at 02:00 EDT to 01:00 EST: 02:00 happens
    // once, in EST = 07:00 UTC; dunning 06:00 EST = 11:00 UTC. The day before is still
    // summer time: 02:00 EDT = 06:00 UTC. (Scheduled at 07:00 EST; the week before is
    // caught up, since the table was scheduled long before.)
    jobs::schedule(&pool, &config, utc(2026, 11, 1, 12, 0))
        .await
        .unwrap();
    let rows = scheduled(&pool).await;
    assert_eq!(
        run_at(&rows, "bill_run", "2026-11-01"),
        utc(2026, 11, 1, 7, 0)
    );
    assert_eq!(
        run_at(&rows, "dunning", "2026-11-01"),
        utc(2026, 11, 1, 11, 0)
    );
    assert_eq!(
        run_at(&rows, "bill_run", "2026-10-31"),
        utc(2026, 10, 31, 6, 0)
    );
    assert_eq!(
        run_at(&rows, "dunning", "2026-10-31"),
        utc(2026, 10, 31, 10, 0)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn two_instances_claiming_at_once_never_get_the_same_job(pool: PgPool) {
    let now = Utc::now();
    let start = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    let mut ids = Vec::new();
    for i in 0..20u64 {
        let day = (start + chrono::Days::new(i)).to_string();
        ids.push(queued(&pool, "bill_run", &day, now - Duration::hours(1)).await);
    }

    let mut claimed: Vec<i64> = Vec::new();
    loop {
        let (a, b) = tokio::join!(jobs::claim(&pool, now), jobs::claim(&pool, now));
        let (a, b) = (a.unwrap(), b.unwrap());
        if let (Some(a), Some(b)) = (&a, &b) {
            assert_ne!(a.id, b.id, "two claimers got the same job");
        }
        if a.is_none() && b.is_none() {
            break;
        }
        for job in [a, b].into_iter().flatten() {
            assert_eq!(job.attempts, 1);
            claimed.push(job.id);
        }
        assert!(claimed.len() <= 20, "claimed more jobs than exist");
    }
    claimed.sort_unstable();
    ids.sort_unstable();
    assert_eq!(claimed, ids, "each job claimed exactly once");
    let running: i64 = sqlx::query_scalar(
        "select count(*) from jobs where status = 'running' and attempts = 1 and locked_until > $1",
    )
    .bind(now)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(running, 20);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_job_whose_lease_ran_out_is_claimed_again_and_one_not_due_is_not(pool: PgPool) {
    let now = Utc::now();
    let id = queued(&pool, "dunning", "2026-11-20", now - Duration::minutes(1)).await;
    let later = queued(&pool, "dunning", "2026-11-21", now + Duration::hours(1)).await;

    let job = jobs::claim(&pool, now).await.unwrap().expect("a due job");
    assert_eq!((job.id, job.attempts), (id, 1));
    // Its instance holds it under a lease; the other job is not due: nothing to claim.
    assert!(jobs::claim(&pool, now).await.unwrap().is_none());
    assert!(jobs::claim(&pool, now + Duration::minutes(29))
        .await
        .unwrap()
        .is_none());

    // The instance died: the lease runs out and another instance takes the job over.
    sqlx::query("update jobs set locked_until = $2 where id = $1")
        .bind(id)
        .bind(now - Duration::seconds(1))
        .execute(&pool)
        .await
        .unwrap();
    let again = jobs::claim(&pool, now).await.unwrap().expect("taken over");
    assert_eq!((again.id, again.attempts), (id, 2));
    assert_eq!(state(&pool, id).await.0, "running");
    assert!(jobs::claim(&pool, now).await.unwrap().is_none());

    // The later job once its time comes (the first one finished by then).
    sqlx::query(
        "update jobs set status = 'done', finished_at = now(), locked_until = null where id = $1",
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    let due = jobs::claim(&pool, now + Duration::hours(1))
        .await
        .unwrap()
        .expect("due by then");
    assert_eq!((due.id, due.attempts), (later, 1));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_bill_run_job_bills_the_accounts_due_that_day_and_is_marked_done(pool: PgPool) {
    let account = one_account_due_on_the_5th(&pool).await;
    let config = config();
    let id = queued(&pool, "bill_run", "2026-11-05", utc(2026, 11, 5, 7, 0)).await;

    let job = jobs::claim(&pool, Utc::now()).await.unwrap().expect("due");
    assert_eq!(job.id, id);
    let outcome = jobs::execute(&pool, &config, &job, &CancellationToken::new())
        .await
        .expect("runs");
    let Outcome::BillRun(summary) = outcome else {
        panic!("a bill run job ran something else: {outcome:?}");
    };
    assert_eq!(summary.billed, 1);

    let (status, attempts, _, locked, error, finished) = state(&pool, id).await;
    assert_eq!((status.as_str(), attempts), ("done", 1));
    assert!(locked.is_none() && error.is_none() && finished.is_some());
    let (total, started_by): (rust_decimal::Decimal, String) = sqlx::query_as(
        "select s.total_due, r.started_by from statements s join bill_runs r on r.id = s.bill_run_id
          where s.account_id = $1 and s.period_start = '2026-11-05'",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .expect("the statement exists");
    // 60.00 in advance for 5 Nov – 4 Dec, untaxed.
    assert_eq!(total, rust_decimal::Decimal::new(6000, 2));
    assert_eq!(started_by, format!("scheduler (job {id})"));
    assert!(jobs::claim(&pool, Utc::now()).await.unwrap().is_none());
}

#[sqlx::test(migrations = "../migrations")]
async fn run_due_schedules_and_runs_the_days_jobs(pool: PgPool) {
    one_account_due_on_the_5th(&pool).await;
    // 07:00 EST on 5 November 2026: the bill run (02:00) and dunning (06:00) are both due.
    let run_at_seven = || async {
        jobs::run_due(
            &pool,
            &config(),
            utc(2026, 11, 5, 12, 0),
            &CancellationToken::new(),
        )
        .await
        .unwrap()
    };
    let ran = run_at_seven().await;
    let kinds: Vec<(&str, bool)> = ran
        .iter()
        .map(|(job, outcome)| (job.kind.as_str(), outcome.is_ok()))
        .collect();
    // And the hour's usage-alert check (12:00 UTC), after them.
    assert_eq!(
        kinds,
        [
            ("bill_run", true),
            ("dunning", true),
            ("usage_alerts", true)
        ],
        "{ran:?}"
    );
    assert_eq!(
        sqlx::query_scalar::<_, i64>("select count(*) from statements")
            .fetch_one(&pool)
            .await
            .unwrap(),
        1
    );
    // Nothing left to do at that time, and nothing scheduled twice.
    let again = run_at_seven().await;
    assert!(again.is_empty(), "{again:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failing_job_is_retried_later_and_given_up_after_five_attempts(pool: PgPool) {
    let config = config();
    let id = queued(
        &pool,
        "bill_run",
        "not-a-date",
        Utc::now() - Duration::minutes(1),
    )
    .await;

    let mut previous_run_at = state(&pool, id).await.2;
    for attempt in 1..=5 {
        // Retries wait 5 minutes per attempt so far: claim as an instance would an hour on.
        let now = if attempt == 1 {
            Utc::now()
        } else {
            Utc::now() + Duration::hours(1)
        };
        let job = jobs::claim(&pool, now)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("attempt {attempt} claims the job"));
        assert_eq!((job.id, job.attempts), (id, attempt));
        let err = jobs::execute(&pool, &config, &job, &CancellationToken::new())
            .await
            .expect_err("a job with no date fails");
        assert!(err.to_string().contains("has no date"), "{err}");

        let (status, attempts, run_at, locked, error, finished) = state(&pool, id).await;
        assert_eq!(attempts, attempt);
        assert!(locked.is_none());
        assert!(
            error.as_deref().is_some_and(|e| e.contains("has no date")),
            "{error:?}"
        );
        assert!(run_at > previous_run_at, "attempt {attempt}: retried later");
        previous_run_at = run_at;
        if attempt < 5 {
            assert_eq!(status, "queued", "attempt {attempt}");
            assert!(finished.is_none());
            // Not before its new time.
            assert!(jobs::claim(&pool, Utc::now()).await.unwrap().is_none());
        } else {
            assert_eq!(status, "failed");
            assert!(finished.is_some());
        }
    }
    // Given up: not claimed again, however late.
    assert!(jobs::claim(&pool, Utc::now() + Duration::days(1))
        .await
        .unwrap()
        .is_none());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_job_that_runs_long_keeps_its_lease_and_is_not_taken_over(pool: PgPool) {
    let now = Utc::now();
    let id = queued(&pool, "dunning", "2026-11-20", now - Duration::hours(1)).await;
    let claimed = jobs::claim(&pool, now).await.unwrap().expect("due");
    assert_eq!(claimed.id, id);
    // As if the lease were nearly over: a second from now.
    sqlx::query("update jobs set locked_until = now() + interval '1 second' where id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();

    // Two seconds of work, the lease renewed every 200 ms; another instance looks meanwhile.
    let other = async {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        jobs::claim(&pool, Utc::now()).await.unwrap()
    };
    let work = tokio::time::sleep(std::time::Duration::from_secs(2));
    let (_, taken_over) = tokio::join!(
        jobs::holding_lease(&pool, id, std::time::Duration::from_millis(200), work),
        other
    );
    assert!(taken_over.is_none(), "still this instance's job");
    let (status, attempts, _, locked_until, _, _) = state(&pool, id).await;
    assert_eq!((status.as_str(), attempts), ("running", 1));
    let left = locked_until.expect("leased") - Utc::now();
    assert!(
        left > Duration::minutes(29),
        "renewed to a full lease: {left}"
    );
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stopping_instance_hands_its_bill_run_back_at_once_without_counting_the_attempt(
    pool: PgPool,
) {
    one_account_due_on_the_5th(&pool).await;
    let config = config();
    let id = queued(&pool, "bill_run", "2026-11-05", utc(2026, 11, 5, 7, 0)).await;

    // The instance is stopping as the job starts: no batch begins.
    let stopping = CancellationToken::new();
    stopping.cancel();
    let job = jobs::claim(&pool, Utc::now()).await.unwrap().expect("due");
    let err = jobs::execute(&pool, &config, &job, &stopping)
        .await
        .expect_err("stopped");
    assert!(matches!(err, engine::EngineError::Stopped), "{err}");
    let (status, attempts, run_at, locked, error, finished) = state(&pool, id).await;
    assert_eq!((status.as_str(), attempts), ("queued", 0));
    assert!(locked.is_none() && finished.is_none() && run_at <= Utc::now());
    assert!(error.is_some_and(|e| e.contains("as asked")));
    // Nothing was started: no statement, no bill run recorded.
    assert_eq!(count(&pool, "select count(*) from statements").await, 0);
    assert_eq!(count(&pool, "select count(*) from bill_runs").await, 0);

    // Another instance takes it at once and bills the account, in its first attempt.
    let job = jobs::claim(&pool, Utc::now())
        .await
        .unwrap()
        .expect("queued again");
    assert_eq!((job.id, job.attempts), (id, 1));
    jobs::execute(&pool, &config, &job, &CancellationToken::new())
        .await
        .expect("runs");
    assert_eq!(state(&pool, id).await.0, "done");
    assert_eq!(count(&pool, "select count(*) from statements").await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_bill_run_stopped_between_batches_keeps_what_it_billed_and_the_next_run_bills_the_rest(
    pool: PgPool,
) {
    accounts_due_on_the_5th(&pool, 3).await;
    let config = EngineConfig {
        batch_size: 1,
        workers: 1,
        ..config()
    };
    let stop = CancellationToken::new();
    let options = engine::bill_run::RunOptions {
        date: NaiveDate::from_ymd_opt(2026, 11, 5).unwrap(),
        dry_run: false,
        account: None,
        started_by: "test".into(),
        stop: stop.clone(),
    };
    // The stop comes as the first batch finishes.
    let progress: engine::bill_run::Progress = std::sync::Arc::new(move |_, _| stop.cancel());
    let err = engine::bill_run::run(&pool, &config, &options, Some(progress))
        .await
        .expect_err("stopped");
    assert!(matches!(err, engine::EngineError::Stopped), "{err}");
    assert_eq!(count(&pool, "select count(*) from statements").await, 1);
    let (run_status, run_error): (String, Option<String>) =
        sqlx::query_as("select status, last_error from bill_runs")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(run_status, "failed");
    assert!(run_error.is_some_and(|e| e.contains("as asked")));
    // Whole statements only: the one billed has its lines and ledger entries.
    assert_eq!(
        count(
            &pool,
            "select count(*) from ledger_entries l join statements s on s.id = l.statement_id"
        )
        .await,
        1
    );

    let summary = engine::bill_run::run(
        &pool,
        &config,
        &engine::bill_run::RunOptions {
            stop: CancellationToken::new(),
            ..options
        },
        None,
    )
    .await
    .expect("the next run");
    assert_eq!(summary.billed, 2);
    assert_eq!(count(&pool, "select count(*) from statements").await, 3);
    assert_eq!(
        count(&pool, "select count(distinct account_id) from statements").await,
        3
    );
}

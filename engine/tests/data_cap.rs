//! The data cap against a real PostgreSQL: usage alerts once per service, cycle and
//! threshold (however often and from however many instances the check runs), and a data
//! add-on that raises one cycle's allowance and is billed once, with its tax, on the same
//! statement as the usage it covers. Amounts are worked out by hand in the comments.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::*;
use engine::data_addons::{self, Purchase};
use engine::usage_alerts::{check_thresholds, AlertSummary};
use engine::EngineError;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::PgPool;

const GB: i64 = 1_000_000_000;

fn utc(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, 0, 0)
        .single()
        .expect("instant")
}

/// Cable 300: $60.00 a month, 1,000 GB, $0.50 per GB over, 8.25% sales tax; an account on
/// cycle day 5 activated on Nov 5, 2026. Returns (account, service, the owner's login).
async fn capped_account(pool: &PgPool, number: &str) -> (i64, i64, i64) {
    let j = jurisdiction(
        pool,
        &format!("TX-{}", &number[number.len() - 3..]),
        "Sales tax",
        dec!(0.0825),
        false,
    )
    .await;
    let p = plan(
        pool,
        &format!("cable-{number}"),
        dec!(60.00),
        Some(1000),
        Some(dec!(0.50)),
    )
    .await;
    let (account, service) = account(pool, number, "postpaid", 5, j, p, d(2026, 11, 5)).await;
    let login: i64 = sqlx::query_scalar(
        "insert into portal_logins (account_id, person_id, email, password_hash)
         select account_id, id, email, '$argon2id$test' from people where account_id = $1
         returning id",
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .expect("login");
    (account, service, login)
}

fn purchase(account: i64, service: i64, login: i64, seq: i16) -> Purchase {
    Purchase {
        account_id: account,
        service_id: service,
        seq,
        login_id: Some(login),
        staff_id: None,
        today: d(2026, 11, 20),
    }
}

/// Adds `gb` gigabytes of downloads to the service's usage on `day`.
async fn add_usage(pool: &PgPool, service: i64, day: chrono::NaiveDate, gb: i64) {
    sqlx::query(
        "insert into usage_daily (service_id, day, download_bytes, upload_bytes) values ($1, $2, $3, 0)
         on conflict (service_id, day) do update
            set download_bytes = usage_daily.download_bytes + excluded.download_bytes",
    )
    .bind(service)
    .bind(day)
    .bind(gb * GB)
    .execute(pool)
    .await
    .expect("usage");
}

async fn alerts(pool: &PgPool, service: i64) -> Vec<(chrono::NaiveDate, i16, bool)> {
    sqlx::query_as(
        "select cycle_start, threshold, emailed from usage_alerts where service_id = $1
          order by cycle_start, threshold",
    )
    .bind(service)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn alert_emails(pool: &PgPool) -> Vec<(String, String)> {
    sqlx::query_as(
        "select subject, text_body from outbound_emails where kind = 'usage_alert' order by id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn each_threshold_is_announced_once_per_cycle_and_the_highest_new_one_is_emailed(
    pool: PgPool,
) {
    let config = config(); // America/Chicago
    let (account, service, login) = capped_account(&pool, "30000001").await;
    // Noon on Nov 20 in Chicago: the cycle is Nov 5 – Dec 4. 860 GB used: 86% of 1,000 GB,
    // so 50% and 85% are reached; one email, for 85%.
    add_usage(&pool, service, d(2026, 11, 10), 500).await;
    add_usage(&pool, service, d(2026, 11, 19), 360).await;
    let now = utc(2026, 11, 20, 18);
    assert_eq!(
        check_thresholds(&pool, &config, now, None).await.unwrap(),
        AlertSummary {
            recorded: 2,
            emailed: 1
        }
    );
    let cycle = d(2026, 11, 5);
    assert_eq!(
        alerts(&pool, service).await,
        vec![(cycle, 50, false), (cycle, 85, true)]
    );
    let emails = alert_emails(&pool).await;
    assert_eq!(emails.len(), 1);
    assert_eq!(
        emails[0].0,
        "You have used 85% of your data for Nov 5 – Dec 4, 2026"
    );
    assert!(
        emails[0]
            .1
            .contains("You have used 860.0 GB of the 1,000.0 GB included"),
        "{}",
        emails[0].1
    );
    // 100 GB × $0.50 with the default 50% off = $25.00.
    assert!(emails[0].1.contains("add 100 GB"), "{}", emails[0].1);
    assert!(emails[0].1.contains("for $25.00"), "{}", emails[0].1);
    assert!(emails[0].1.contains("https://portal.example.net/usage"));

    // Run again, twice at once as two instances would: nothing new.
    let (a, b) = tokio::join!(
        check_thresholds(&pool, &config, now, None),
        check_thresholds(&pool, &config, now, None)
    );
    assert_eq!(a.unwrap(), AlertSummary::default());
    assert_eq!(b.unwrap(), AlertSummary::default());
    assert_eq!(alert_emails(&pool).await.len(), 1);

    // A 100 GB add-on makes the cycle's allowance 1,100 GB: 1,060 GB is 96.4%, 100% is
    // not reached; at 1,110 GB it is, once.
    data_addons::buy(&pool, &config, &purchase(account, service, login, 1))
        .await
        .unwrap();
    add_usage(&pool, service, d(2026, 11, 20), 200).await;
    assert_eq!(
        check_thresholds(&pool, &config, now, Some(&[service]))
            .await
            .unwrap(),
        AlertSummary::default()
    );
    add_usage(&pool, service, d(2026, 11, 20), 50).await;
    assert_eq!(
        check_thresholds(&pool, &config, now, Some(&[service]))
            .await
            .unwrap(),
        AlertSummary {
            recorded: 1,
            emailed: 1
        }
    );
    let emails = alert_emails(&pool).await;
    assert_eq!(
        emails[1].0,
        "You have used all the data included for Nov 5 – Dec 4, 2026"
    );
    assert!(
        emails[1].1.contains("1,110.0 GB of the 1,100.0 GB"),
        "{}",
        emails[1].1
    );

    // The next cycle (Dec 5 – Jan 4) starts afresh: 600 GB by Dec 10 reaches 50% again,
    // against the plan's 1,000 GB (the add-on was for November's cycle only).
    add_usage(&pool, service, d(2026, 12, 6), 600).await;
    assert_eq!(
        check_thresholds(&pool, &config, utc(2026, 12, 10, 18), None)
            .await
            .unwrap(),
        AlertSummary {
            recorded: 1,
            emailed: 1
        }
    );
    assert_eq!(
        alerts(&pool, service).await,
        vec![
            (cycle, 50, false),
            (cycle, 85, true),
            (cycle, 100, true),
            (d(2026, 12, 5), 50, true)
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_operators_thresholds_are_the_ones_checked_and_unlimited_plans_have_none(pool: PgPool) {
    let mut config = config();
    config.data_cap.thresholds = vec![90];
    let (_, service, _) = capped_account(&pool, "30000002").await;
    add_usage(&pool, service, d(2026, 11, 10), 899).await;
    let now = utc(2026, 11, 20, 18);
    assert_eq!(
        check_thresholds(&pool, &config, now, None).await.unwrap(),
        AlertSummary::default(),
        "89.9% is not 90%, and 50% is not one of this operator's thresholds"
    );
    add_usage(&pool, service, d(2026, 11, 10), 1).await;
    assert_eq!(
        check_thresholds(&pool, &config, now, None)
            .await
            .unwrap()
            .recorded,
        1
    );

    // An unlimited plan: 5 TB used, no alert.
    let j = jurisdiction(&pool, "NV", "Sales tax", dec!(0.05), false).await;
    let p = plan(&pool, "fibre-unlimited", dec!(80.00), None, None).await;
    let (_, unlimited) = account(&pool, "30000003", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    add_usage(&pool, unlimited, d(2026, 11, 10), 5_000).await;
    check_thresholds(&pool, &config, now, None).await.unwrap();
    assert!(alerts(&pool, unlimited).await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn an_add_on_raises_its_cycles_allowance_and_is_billed_once_with_its_tax(pool: PgPool) {
    let config = config();
    let (account, service, login) = capped_account(&pool, "30000004").await;
    // 1,150 GB used in the cycle Nov 5 – Dec 4.
    usage(&pool, service, d(2026, 11, 5), d(2026, 12, 5), 1_150 * GB).await;

    let bought = data_addons::buy(&pool, &config, &purchase(account, service, login, 1))
        .await
        .unwrap();
    assert!(bought.new);
    assert_eq!(bought.gigabytes, 100);
    // 100 GB × $0.50 × (100 − 50)% = $25.00.
    assert_eq!(bought.price.amount(), dec!(25.00));
    assert_eq!(bought.cycle.start, d(2026, 11, 5));
    assert_eq!(bought.cycle.end, d(2026, 12, 5));

    // The same form posted again (a double tap) buys nothing more; a stale page's number
    // is refused; so is another account's service.
    let again = data_addons::buy(&pool, &config, &purchase(account, service, login, 1))
        .await
        .unwrap();
    assert_eq!((again.id, again.new), (bought.id, false));
    assert!(matches!(
        data_addons::buy(&pool, &config, &purchase(account, service, login, 3)).await,
        Err(EngineError::Conflict(_))
    ));
    let (other, _, _) = capped_account(&pool, "30000005").await;
    assert!(matches!(
        data_addons::buy(&pool, &config, &purchase(other, service, login, 1)).await,
        Err(EngineError::NotFound)
    ));
    assert_eq!(
        count(
            &pool,
            "select count(*) from one_time_charges where kind = 'data_addon'"
        )
        .await,
        1
    );
    let (description, amount): (String, Decimal) =
        sqlx::query_as("select description, amount from one_time_charges where id = $1")
            .bind(bought.one_time_charge_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (description.as_str(), amount),
        ("Data add-on: 100 GB for Nov 5 – Dec 4, 2026", dec!(25.00))
    );

    // The statement of Dec 5: Nov 5 – Dec 4 and Dec 5 – Jan 4 at $60.00 each; usage against
    // 1,000 + 100 GB: 50 GB over × $0.50 = $25.00; the add-on $25.00; tax 8.25% × 170.00
    // = 14.025 → $14.03 (half away from zero). Total $184.03. (Without the add-on: 150 GB
    // over = $75.00, tax 8.25% × 195.00 = 16.0875 → $16.09, $211.09.)
    assert_eq!(bill(&pool, d(2026, 12, 5)).await.billed, 2);
    assert_eq!(
        lines(&pool, account, d(2026, 12, 5)).await,
        vec![
            ("recurring".to_string(), dec!(60.00)),
            ("recurring".to_string(), dec!(60.00)),
            ("usage".to_string(), dec!(25.00)),
            ("one_time".to_string(), dec!(25.00)),
            ("tax".to_string(), dec!(14.03)),
        ]
    );
    assert_eq!(balance(&pool, account).await, dec!(184.03));
    let usage_line: String = sqlx::query_scalar(
        "select l.description from statement_lines l join statements s on s.id = l.statement_id
          where s.account_id = $1 and l.kind = 'usage'",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        usage_line,
        "Data usage Nov 5 – Dec 4, 2026: 1,150.0 GB of 1,000 GB included + 100.0 GB of data \
         add-ons; 50 started GB over at $0.50/GB"
    );

    // The next statement (Jan 5) rates December's 1,050 GB against 1,000 GB alone: 50 GB
    // over, $25.00, and charges no add-on again.
    usage(&pool, service, d(2026, 12, 5), d(2027, 1, 5), 1_050 * GB).await;
    bill(&pool, d(2027, 1, 5)).await;
    assert_eq!(
        lines(&pool, account, d(2027, 1, 5))
            .await
            .into_iter()
            .filter(|(kind, _)| kind != "payment")
            .collect::<Vec<_>>(),
        vec![
            ("recurring".to_string(), dec!(60.00)),
            ("usage".to_string(), dec!(25.00)),
            // 8.25% × 85.00 = 7.0125 → 7.01.
            ("tax".to_string(), dec!(7.01)),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_add_on_is_refused_for_an_unlimited_plan_and_for_a_suspended_service(pool: PgPool) {
    let config = config();
    let j = jurisdiction(&pool, "OR", "None", dec!(0), false).await;
    let p = plan(&pool, "fibre-unlimited", dec!(80.00), None, None).await;
    let (account, service) = account(&pool, "30000006", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    let staff: i64 = sqlx::query_scalar(
        "insert into staff_users (email, display_name, role, password_hash)
         values ('billing@example.net', 'Billing', 'billing', '$argon2id$test') returning id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let by_staff = Purchase {
        account_id: account,
        service_id: service,
        seq: 1,
        login_id: None,
        staff_id: Some(staff),
        today: d(2026, 11, 20),
    };
    assert!(matches!(
        data_addons::buy(&pool, &config, &by_staff).await,
        Err(EngineError::Invalid(_))
    ));

    let (account, service, _) = capped_account(&pool, "30000007").await;
    // Switched off by staff (the service and its suspension, together).
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "update services set status = 'suspended', suspension_reason = 'other' where id = $1",
    )
    .bind(service)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "insert into service_suspensions (service_id, account_id, reason, suspended_on)
         values ($1, $2, 'other', '2026-11-15')",
    )
    .bind(service)
    .bind(account)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let by_staff = Purchase {
        account_id: account,
        service_id: service,
        ..by_staff
    };
    assert!(matches!(
        data_addons::buy(&pool, &config, &by_staff).await,
        Err(EngineError::Invalid(_))
    ));
    assert_eq!(count(&pool, "select count(*) from data_addons").await, 0);
}

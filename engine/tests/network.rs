//! Provisioning billing -> network against a real PostgreSQL and a real FreeRADIUS (one per
//! test, on the test's own database and ports), asked by a real `radclient`: what the
//! billing side decides (a new service, an upgrade, a suspension for non-payment, a
//! payment, a cancellation, new credentials) is what RADIUS answers once the worker has run.
//! Also: every outbox row applied exactly once by two workers at once, in order per
//! service, a failure recorded without holding up other services, and the role FreeRADIUS
//! connects as kept out of the billing data.

mod common;

use common::freeradius::{allow_radius_login, FreeRadius};
use common::*;
use engine::network::config::{self, NetworkConfig};
use engine::network::{credential_changes, credentials, provision};
use engine::plan_changes::{self, ChangeRequest, ChangeStatus};
use rust_decimal_macros::dec;
use sqlx::{Connection, PgPool};

/// A plan with these speeds; returns its id.
async fn plan_with(
    pool: &PgPool,
    code: &str,
    down: i32,
    up: i32,
    price: rust_decimal::Decimal,
) -> i64 {
    sqlx::query_scalar(
        "insert into plans (code, name, technology, download_mbps, upload_mbps, monthly_price, currency)
         values ($1, $1, 'cable', $2, $3, $4, 'USD') returning id",
    )
    .bind(code)
    .bind(down)
    .bind(up)
    .bind(price)
    .fetch_one(pool)
    .await
    .expect("plan")
}

struct Sub {
    account: i64,
    service: i64,
    username: String,
    password: String,
}

/// An account numbered `number` on `plan`, active since Oct 1 2026, cycle day 1.
async fn subscriber(pool: &PgPool, number: &str, plan: i64) -> Sub {
    let j: i64 = match sqlx::query_scalar("select id from jurisdictions where code = 'US-NT'")
        .fetch_optional(pool)
        .await
        .unwrap()
    {
        Some(id) => id,
        None => jurisdiction(pool, "US-NT", "No tax", dec!(0), false).await,
    };
    let (account, service) = account(pool, number, "postpaid", 1, j, plan, d(2026, 10, 1)).await;
    let (username, password): (String, Option<String>) =
        sqlx::query_as("select username, password from network_credentials where service_id = $1")
            .bind(service)
            .fetch_one(pool)
            .await
            .expect("every service gets credentials");
    Sub {
        account,
        service,
        username,
        password: password.expect("a PPPoE password"),
    }
}

async fn provision_all(pool: &PgPool, config: &NetworkConfig) -> provision::Report {
    let report = provision::run(pool, config).await.expect("worker");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    report
}

async fn waiting(pool: &PgPool) -> i64 {
    count(
        pool,
        "select count(*) from provisioning_outbox where published_at is null",
    )
    .await
}

#[sqlx::test(migrations = "../migrations")]
async fn a_new_account_is_accepted_with_its_plans_rate(pool: PgPool) {
    let cable = plan_with(&pool, "cable-300", 300, 20, dec!(50)).await;
    let sub = subscriber(&pool, "40000001", cable).await;
    // The credentials: the account number and the service's position, a random password.
    assert_eq!(sub.username, "40000001-1");
    assert_eq!(sub.password.len(), 16);
    assert!(sub
        .password
        .bytes()
        .all(|c| credentials::PASSWORD_ALPHABET.contains(&c)));

    let radius = FreeRadius::start(&pool).await;
    // Created in the database, not yet applied: RADIUS does not know the subscriber.
    assert!(radius.pap(&sub.username, &sub.password).await.rejected());

    let report = provision_all(&pool, &NetworkConfig::default()).await;
    assert_eq!(report.applied.len(), 1);
    assert_eq!(waiting(&pool).await, 0);

    let reply = radius.pap(&sub.username, &sub.password).await;
    assert!(reply.accepted(), "{reply:?}\n{}", radius.log());
    // Mikrotik: upload/download as the router sees it; WISPr: bits per second.
    assert_eq!(reply.get("Mikrotik-Rate-Limit"), Some("20M/300M"));
    assert_eq!(reply.get("WISPr-Bandwidth-Max-Down"), Some("300000000"));
    assert_eq!(reply.get("WISPr-Bandwidth-Max-Up"), Some("20000000"));
    // PPPoE's CHAP works from the same stored password.
    assert!(radius.chap(&sub.username, &sub.password).await.accepted());
    // A wrong password, or an unknown user, is refused.
    assert!(radius
        .pap(&sub.username, "not-the-password")
        .await
        .rejected());
    assert!(radius.pap("40000001-2", &sub.password).await.rejected());

    // FreeRADIUS wrote its own records as the role it connects as.
    assert_eq!(
        count(
            &pool,
            "select count(*) from radius.radpostauth where username = '40000001-1' and reply = 'Access-Accept'"
        )
        .await,
        2
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_upgrade_reaches_radius_with_the_new_rate(pool: PgPool) {
    let slow = plan_with(&pool, "cable-300", 300, 20, dec!(50)).await;
    let fast = plan_with(&pool, "fibre-1000", 1000, 500, dec!(90)).await;
    let sub = subscriber(&pool, "40000002", slow).await;
    sqlx::query("update addresses set technologies = '{cable,fibre}' where account_id = $1")
        .bind(sub.account)
        .execute(&pool)
        .await
        .unwrap();
    bill(&pool, d(2026, 11, 1)).await;
    let config = NetworkConfig::default();
    provision_all(&pool, &config).await;
    let radius = FreeRadius::start(&pool).await;
    assert_eq!(
        radius
            .pap(&sub.username, &sub.password)
            .await
            .get("Mikrotik-Rate-Limit"),
        Some("20M/300M")
    );

    // The subscriber upgrades in the portal (at once, by default).
    let outcome = plan_changes::request(
        &pool,
        &common::config(),
        &ChangeRequest {
            account_id: sub.account,
            service_id: sub.service,
            to_plan_id: fast,
            seen_plan_id: slow,
            accepted_fee: None,
            login_id: None,
            staff_id: None,
            api_key_id: None,
            timing: None,
            today: d(2026, 11, 12),
        },
    )
    .await
    .expect("upgrade");
    assert_eq!(outcome.status, ChangeStatus::Applied);
    // Until the worker runs, RADIUS still answers with the old rate.
    assert_eq!(
        radius
            .pap(&sub.username, &sub.password)
            .await
            .get("Mikrotik-Rate-Limit"),
        Some("20M/300M")
    );
    let report = provision_all(&pool, &config).await;
    assert_eq!(report.applied.len(), 1);
    let reply = radius.pap(&sub.username, &sub.password).await;
    assert!(reply.accepted());
    assert_eq!(reply.get("Mikrotik-Rate-Limit"), Some("500M/1000M"));
    assert_eq!(reply.get("WISPr-Bandwidth-Max-Down"), Some("1000000000"));
    // The row the worker applied is the plan change's.
    let linked: Option<i64> =
        sqlx::query_scalar("select plan_change_id from provisioning_outbox where id = $1")
            .bind(report.applied[0])
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(linked, Some(outcome.plan_change_id));
}

/// Bills Nov 1 (due Nov 22), suspends on Dec 6 (14 days overdue), for `number`.
async fn suspended_for_non_payment(pool: &PgPool, number: &str) -> Sub {
    let plan = plan_with(pool, &format!("cable-{number}"), 300, 20, dec!(50)).await;
    let sub = subscriber(pool, number, plan).await;
    bill(pool, d(2026, 11, 1)).await;
    let dunning = engine::dunning::run(pool, &common::config(), d(2026, 12, 6))
        .await
        .expect("dunning");
    assert_eq!(dunning.suspensions, 1);
    sub
}

#[sqlx::test(migrations = "../migrations")]
async fn suspension_for_non_payment_gives_the_walled_garden_and_paying_brings_service_back(
    pool: PgPool,
) {
    let config = NetworkConfig::default();
    let sub = suspended_for_non_payment(&pool, "40000003").await;
    let radius = FreeRadius::start(&pool).await;
    provision_all(&pool, &config).await;

    // Accepted into the walled garden: the NAS sends it to the pay page, at no plan's rate.
    let reply = radius.pap(&sub.username, &sub.password).await;
    assert!(reply.accepted(), "{reply:?}");
    assert_eq!(reply.get("Mikrotik-Address-List"), Some("walled-garden"));
    assert_eq!(reply.get("Mikrotik-Rate-Limit"), None);

    // Paying what is owed restores the service, and RADIUS follows.
    let owed = balance(&pool, sub.account).await;
    let paid = pay(&pool, "40000003", owed, "BT-1", d(2026, 12, 7)).await;
    assert_eq!(paid.services_restored, 1);
    provision_all(&pool, &config).await;
    let reply = radius.pap(&sub.username, &sub.password).await;
    assert!(reply.accepted());
    assert_eq!(reply.get("Mikrotik-Address-List"), None);
    assert_eq!(reply.get("Mikrotik-Rate-Limit"), Some("20M/300M"));

    let actions: Vec<String> = sqlx::query_scalar(
        "select action from provisioning_outbox where service_id = $1 order by id",
    )
    .bind(sub.service)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(actions, vec!["activate", "suspend", "restore"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn with_the_reject_policy_a_suspended_subscriber_is_refused(pool: PgPool) {
    let config = NetworkConfig::from_toml("[suspension]\npolicy = \"reject\"").unwrap();
    let sub = suspended_for_non_payment(&pool, "40000004").await;
    let radius = FreeRadius::start(&pool).await;
    provision_all(&pool, &config).await;
    let reply = radius.pap(&sub.username, &sub.password).await;
    assert!(reply.rejected(), "{reply:?}");
    assert_eq!(
        count(
            &pool,
            "select count(*) from radius.radcheck where username = '40000004-1' and attribute = 'Auth-Type' and value = 'Reject'"
        )
        .await,
        1
    );
    // Paid: accepted again, the reject gone.
    let owed = balance(&pool, sub.account).await;
    pay(&pool, "40000004", owed, "BT-1", d(2026, 12, 7)).await;
    provision_all(&pool, &config).await;
    assert!(radius.pap(&sub.username, &sub.password).await.accepted());
    assert_eq!(
        count(
            &pool,
            "select count(*) from radius.radcheck where attribute = 'Auth-Type'"
        )
        .await,
        0
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_cancelled_service_is_refused_and_its_rows_removed(pool: PgPool) {
    let config = NetworkConfig::default();
    let plan = plan_with(&pool, "cable-300", 300, 20, dec!(50)).await;
    let sub = subscriber(&pool, "40000005", plan).await;
    provision_all(&pool, &config).await;
    let radius = FreeRadius::start(&pool).await;
    assert!(radius.pap(&sub.username, &sub.password).await.accepted());

    // Cancelled by whatever shares the database: the trigger queues it all the same.
    sqlx::query(
        "update services set status = 'cancelled', cancelled_on = '2026-12-01' where id = $1",
    )
    .bind(sub.service)
    .execute(&pool)
    .await
    .unwrap();
    provision_all(&pool, &config).await;
    assert!(radius.pap(&sub.username, &sub.password).await.rejected());
    for table in ["radius.radcheck", "radius.radusergroup"] {
        assert_eq!(
            count(
                &pool,
                &format!("select count(*) from {table} where username = '40000005-1'")
            )
            .await,
            0,
            "{table}"
        );
    }
    assert_eq!(
        count(&pool, "select count(*) from network_provisioned").await,
        0
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn new_credentials_replace_the_old_ones_in_radius(pool: PgPool) {
    let config = NetworkConfig::default();
    let plan = plan_with(&pool, "cable-300", 300, 20, dec!(50)).await;
    let sub = subscriber(&pool, "40000006", plan).await;
    provision_all(&pool, &config).await;
    let radius = FreeRadius::start(&pool).await;

    let mut conn = pool.acquire().await.unwrap();
    credentials::set_username(&mut conn, sub.account, sub.service, "robin@example-isp")
        .await
        .unwrap();
    let password = credential_changes::reset_password(&mut conn, sub.account, sub.service)
        .await
        .unwrap();
    // Another account's service is not found; a taken username or a short password is refused.
    let other = subscriber(&pool, "40000007", plan).await;
    assert!(matches!(
        credential_changes::set_password(&mut conn, other.account, sub.service, "long-enough-pw")
            .await,
        Err(engine::EngineError::NotFound)
    ));
    assert!(matches!(
        credentials::set_username(&mut conn, other.account, other.service, "robin@example-isp")
            .await,
        Err(engine::EngineError::InvalidField {
            field: "username",
            ..
        })
    ));
    assert!(matches!(
        credential_changes::set_password(&mut conn, sub.account, sub.service, "short").await,
        Err(engine::EngineError::InvalidField {
            field: "new_password",
            ..
        })
    ));
    drop(conn);

    provision_all(&pool, &config).await;
    assert!(radius.pap("40000006-1", &sub.password).await.rejected());
    assert!(radius
        .pap("robin@example-isp", &sub.password)
        .await
        .rejected());
    let reply = radius.pap("robin@example-isp", &password).await;
    assert!(reply.accepted(), "{reply:?}");
    assert_eq!(reply.get("Mikrotik-Rate-Limit"), Some("20M/300M"));
    assert_eq!(
        count(
            &pool,
            "select count(*) from radius.radcheck where username = '40000006-1'"
        )
        .await,
        0
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_ipoe_service_is_accepted_by_its_circuit_id(pool: PgPool) {
    let config = NetworkConfig::default();
    let plan = plan_with(&pool, "cable-300", 300, 20, dec!(50)).await;
    let sub = subscriber(&pool, "40000008", plan).await;
    sqlx::query(
        "update network_credentials set kind = 'ipoe', username = '00:11:22:33:44:55', password = null
          where service_id = $1",
    )
    .bind(sub.service)
    .execute(&pool)
    .await
    .unwrap();
    provision_all(&pool, &config).await;
    let radius = FreeRadius::start(&pool).await;
    let reply = radius.pap("00:11:22:33:44:55", "anything").await;
    assert!(reply.accepted(), "{reply:?}");
    assert_eq!(reply.get("Mikrotik-Rate-Limit"), Some("20M/300M"));
    assert!(radius.pap(&sub.username, &sub.password).await.rejected());
}

/// `services` updates that move each of `services` through several plans and states.
async fn churn(pool: &PgPool, services: &[i64], plans: &[i64]) {
    for (round, plan) in plans.iter().enumerate() {
        for service in services {
            sqlx::query("update services set plan_id = $2 where id = $1")
                .bind(service)
                .bind(plan)
                .execute(pool)
                .await
                .unwrap();
            if round == 1 {
                let mut tx = pool.begin().await.unwrap();
                sqlx::query("update services set status = 'suspended', suspension_reason = 'non_payment' where id = $1")
                    .bind(service)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                sqlx::query("insert into service_suspensions (service_id, account_id, reason, suspended_on)
                             select id, account_id, 'non_payment', '2026-11-20' from services where id = $1")
                    .bind(service)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn two_workers_at_once_apply_every_row_exactly_once_in_order_per_service(pool: PgPool) {
    let plans = [
        plan_with(&pool, "p-100", 100, 10, dec!(30)).await,
        plan_with(&pool, "p-200", 200, 20, dec!(40)).await,
        plan_with(&pool, "p-300", 300, 30, dec!(50)).await,
        plan_with(&pool, "p-400", 400, 40, dec!(60)).await,
    ];
    let mut services = Vec::new();
    for i in 0..30 {
        services.push(
            subscriber(&pool, &format!("4100{i:04}"), plans[0])
                .await
                .service,
        );
    }
    // Each service: activate, change to p-200, p-300 (then suspended), p-400: 5 rows each.
    churn(&pool, &services, &plans[1..]).await;
    let all: Vec<i64> = sqlx::query_scalar("select id from provisioning_outbox order by id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(all.len(), 30 * 5);

    // Two workers, small batches, at once.
    let config = NetworkConfig::default();
    let worker = |pool: PgPool, config: NetworkConfig| async move {
        let mut applied = Vec::new();
        loop {
            let report = provision::run_batch(&pool, &config, 7)
                .await
                .expect("batch");
            assert!(report.failed.is_empty(), "{:?}", report.failed);
            if report.applied.is_empty() {
                return applied;
            }
            applied.extend(report.applied);
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(worker(pool.clone(), config.clone())),
        tokio::spawn(worker(pool.clone(), config.clone()))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut both: Vec<i64> = a.iter().chain(b.iter()).copied().collect();
    both.sort();
    assert_eq!(
        both,
        all,
        "every row once: {} by one worker, {} by the other",
        a.len(),
        b.len()
    );
    assert_eq!(waiting(&pool).await, 0);

    // In order per service: each row was marked after the one before it of its service.
    let out_of_order = count(
        &pool,
        "select count(*) from (
             select published_at < lag(published_at) over (partition by service_id order by id) as early
               from provisioning_outbox) t
          where early",
    )
    .await;
    assert_eq!(out_of_order, 0);
    // And the end state is the last row's: suspended for non-payment, in the walled garden.
    assert_eq!(
        count(
            &pool,
            "select count(*) from network_provisioned where groupname = 'walled-garden'"
        )
        .await,
        30
    );
    assert_eq!(
        count(&pool, "select count(*) from radius.radusergroup").await,
        30
    );
    assert_eq!(
        count(&pool, "select count(*) from radius.radcheck").await,
        30
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn one_row_per_service_is_claimed_the_oldest_first(pool: PgPool) {
    let plans = [
        plan_with(&pool, "p-100", 100, 10, dec!(30)).await,
        plan_with(&pool, "p-200", 200, 20, dec!(40)).await,
        plan_with(&pool, "p-300", 300, 30, dec!(50)).await,
    ];
    let one = subscriber(&pool, "42000001", plans[0]).await.service;
    let two = subscriber(&pool, "42000002", plans[0]).await.service;
    churn(&pool, &[one, two], &plans[1..]).await;
    let rows = |service: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "select id from provisioning_outbox where service_id = $1 order by id",
            )
            .bind(service)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let (rows_one, rows_two) = (rows(one).await, rows(two).await);
    assert_eq!(rows_one.len(), 4); // activate, p-200, p-300, suspended
    let config = NetworkConfig::default();
    // However many a batch may take, each takes only the oldest waiting row of a service.
    for step in 0..rows_one.len() {
        let report = provision::run_batch(&pool, &config, 100).await.unwrap();
        assert_eq!(report.applied, vec![rows_one[step], rows_two[step]]);
    }
    assert!(provision::run_batch(&pool, &config, 100)
        .await
        .unwrap()
        .applied
        .is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failure_is_recorded_and_holds_up_only_its_own_service(pool: PgPool) {
    let plans = [
        plan_with(&pool, "p-100", 100, 10, dec!(30)).await,
        plan_with(&pool, "p-200", 200, 20, dec!(40)).await,
    ];
    let broken = subscriber(&pool, "43000001", plans[0]).await;
    let fine = subscriber(&pool, "43000002", plans[0]).await;
    let config = NetworkConfig::default();
    provision_all(&pool, &config).await;
    // Someone removes the broken service's credentials, then both change plan.
    sqlx::query("delete from network_credentials where service_id = $1")
        .bind(broken.service)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update services set plan_id = $1")
        .bind(plans[1])
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update services set plan_id = $1 where id = $2")
        .bind(plans[0])
        .bind(broken.service)
        .execute(&pool)
        .await
        .unwrap();

    let report = provision::run(&pool, &config).await.unwrap();
    assert_eq!(report.applied.len(), 1, "the other service carried on");
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].service_id, broken.service);
    let (attempts, error, waiting_rows): (i32, Option<String>, i64) = sqlx::query_as(
        "select attempts, last_error,
                (select count(*) from provisioning_outbox w where w.service_id = o.service_id and w.published_at is null)
           from provisioning_outbox o where id = $1",
    )
    .bind(report.failed[0].outbox_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(error.unwrap().contains("has no network credentials"));
    assert_eq!(waiting_rows, 2, "its later row waits behind it");
    let fine_group: String =
        sqlx::query_scalar("select groupname from radius.radusergroup where username = $1")
            .bind(&fine.username)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        fine_group, "plan:p-200",
        "the other service's change was applied"
    );

    // Credentials back: the next attempt (not before its back-off) applies both, in order.
    sqlx::query(
        "insert into network_credentials (service_id, account_id, kind, username, password)
         values ($1, $2, 'pppoe', '43000001-1', 'restored-password')",
    )
    .bind(broken.service)
    .bind(broken.account)
    .execute(&pool)
    .await
    .unwrap();
    assert!(provision::run(&pool, &config)
        .await
        .unwrap()
        .applied
        .is_empty());
    sqlx::query(
        "update provisioning_outbox set next_attempt_at = now() where published_at is null",
    )
    .execute(&pool)
    .await
    .unwrap();
    let report = provision_all(&pool, &config).await;
    assert_eq!(report.applied.len(), 2);
    let group: Option<String> =
        sqlx::query_scalar("select groupname from network_provisioned where service_id = $1")
            .bind(broken.service)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(group.as_deref(), Some("plan:p-100"));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_groups_are_written_once_from_the_configuration(pool: PgPool) {
    plan_with(&pool, "p-100", 100, 10, dec!(30)).await;
    plan_with(&pool, "p-200", 200, 20, dec!(40)).await;
    let config = NetworkConfig::default();
    let first = config::sync_groups(&pool, &config).await.unwrap();
    assert_eq!(
        first.written,
        vec!["plan:p-100", "plan:p-200", "walled-garden"]
    );
    let again = config::sync_groups(&pool, &config).await.unwrap();
    assert!(again.written.is_empty());
    assert_eq!(again.unchanged, 3);
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "select groupname, attribute, op, value from radius.radgroupreply order by groupname, attribute",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 3 + 3 + 1);
    assert_eq!(
        rows[0],
        (
            "plan:p-100".into(),
            "Mikrotik-Rate-Limit".into(),
            "=".into(),
            "10M/100M".into()
        )
    );
    // Another vendor set: the plan groups are rewritten, nothing is left of the old one.
    let cisco = NetworkConfig::from_toml(
        "nas_vendors = [\"cisco\"]\n[vendors.cisco]\nCisco-AVPair = \"subscriber:rate={down_kbps}\"",
    )
    .unwrap();
    let changed = config::sync_groups(&pool, &cisco).await.unwrap();
    assert_eq!(changed.written, vec!["plan:p-100", "plan:p-200"]);
    assert_eq!(
        count(
            &pool,
            "select count(*) from radius.radgroupreply where groupname like 'plan:%'"
        )
        .await,
        2
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_radius_role_reads_its_tables_and_nothing_of_the_billing_data(pool: PgPool) {
    let plan = plan_with(&pool, "cable-300", 300, 20, dec!(50)).await;
    subscriber(&pool, "44000001", plan).await;
    provision_all(&pool, &NetworkConfig::default()).await;
    allow_radius_login(&pool).await;
    let options = (*pool.connect_options())
        .clone()
        .username("lastmile_radius");
    let mut radius = sqlx::ConnectOptions::connect(&options)
        .await
        .expect("connect as lastmile_radius");

    // Its own tables, by their plain names (search_path radius).
    let users: i64 = sqlx::query_scalar("select count(*) from radcheck")
        .fetch_one(&mut radius)
        .await
        .unwrap();
    assert_eq!(users, 1);
    sqlx::query(
        "insert into radacct (acctsessionid, acctuniqueid, username, nasipaddress, acctstarttime)
         values ('s1', 'u1', '44000001-1', '127.0.0.1', now())",
    )
    .execute(&mut radius)
    .await
    .expect("FreeRADIUS writes accounting");

    let refused = |result: Result<sqlx::postgres::PgQueryResult, sqlx::Error>| match result {
        Err(sqlx::Error::Database(e)) => e.code().as_deref() == Some("42501"),
        _ => false,
    };
    for sql in [
        "select * from public.accounts",
        "select * from public.network_credentials",
        "select * from public.payments",
        "insert into radcheck (username, attribute, op, value) values ('x', 'Auth-Type', ':=', 'Accept')",
        "update radusergroup set groupname = 'plan:free'",
        "delete from radgroupreply",
        "update radius.radpostauth set reply = 'x'",
    ] {
        let result = sqlx::query(sql).execute(&mut radius).await;
        assert!(refused(result), "{sql} should be refused");
    }
    radius.close().await.unwrap();
}

/// One accounting packet through radclient, as a NAS sends it; `at` is the Event-Timestamp.
async fn acct(radius: &FreeRadius, user: &str, status: &str, at: i64, counters: [u64; 2]) {
    let [down, up] = counters;
    let reply = radius
        .send(
            "acct",
            &format!(
                "Acct-Status-Type = {status}, User-Name = \"{user}\", Acct-Session-Id = \"e2e-1\", \
                 NAS-IP-Address = 10.9.0.1, NAS-Port = 7, Event-Timestamp = {at}, \
                 Acct-Output-Octets = {}, Acct-Output-Gigawords = {}, \
                 Acct-Input-Octets = {}, Acct-Input-Gigawords = {}",
                down & 0xffff_ffff,
                down >> 32,
                up & 0xffff_ffff,
                up >> 32
            ),
        )
        .await;
    assert_eq!(
        reply.code,
        "Accounting-Response",
        "{status}: {}",
        radius.log()
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn accounting_sent_by_radclient_becomes_the_subscribers_usage_to_the_byte(pool: PgPool) {
    let cable = plan_with(&pool, "cable-300", 300, 20, dec!(50)).await;
    let sub = subscriber(&pool, "40000091", cable).await;
    provision_all(&pool, &NetworkConfig::default()).await;
    let radius = FreeRadius::start(&pool).await;

    // A session from Nov 10 22:00 UTC to Nov 11 02:00 UTC. Output octets (what the NAS sent
    // out) are the subscriber's download, input octets the upload. The download passes 2³²
    // bytes, so the NAS sends it as Gigawords + Octets (5,000,000,000 = 1 × 2³² + 705,032,704).
    let start = 1_794_348_000; // 2026-11-10 22:00:00 UTC
    let hour = 3_600;
    acct(&radius, &sub.username, "Start", start, [0, 0]).await;
    acct(
        &radius,
        &sub.username,
        "Interim-Update",
        start + hour,
        [4_000_000_000, 1_000],
    )
    .await;
    acct(
        &radius,
        &sub.username,
        "Interim-Update",
        start + 3 * hour,
        [5_000_000_000, 3_000],
    )
    .await;
    // The same interim again (a NAS retrying) changes nothing.
    acct(
        &radius,
        &sub.username,
        "Interim-Update",
        start + 3 * hour,
        [5_000_000_000, 3_000],
    )
    .await;
    acct(
        &radius,
        &sub.username,
        "Stop",
        start + 4 * hour,
        [6_000_000_000, 5_000],
    )
    .await;
    let stored: (i64, i64) = sqlx::query_as(
        "select acctoutputoctets, acctinputoctets from radius.radacct where username = $1",
    )
    .bind(&sub.username)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        stored,
        (6_000_000_000, 5_000),
        "FreeRADIUS joined the Gigawords"
    );

    engine::network::accounting::ingest(&pool, chrono_tz::UTC)
        .await
        .expect("ingest");
    // Twice, or again later: nothing more.
    engine::network::accounting::ingest(&pool, chrono_tz::UTC)
        .await
        .expect("ingest again");

    // 22:00 – 23:00: 4,000,000,000 down, 1,000 up, on Nov 10. 23:00 – 01:00: 1,000,000,000
    // down and 2,000 up spread evenly over the two hours, half on each day. 01:00 – 02:00:
    // 1,000,000,000 down, 2,000 up, on Nov 11.
    // Nov 10: 4,500,000,000 down, 2,000 up. Nov 11: 1,500,000,000 down, 3,000 up.
    let days: Vec<(chrono::NaiveDate, i64, i64)> = sqlx::query_as(
        "select day, download_bytes, upload_bytes from usage_daily where service_id = $1 order by day",
    )
    .bind(sub.service)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        days,
        vec![
            (d(2026, 11, 10), 4_500_000_000, 2_000),
            (d(2026, 11, 11), 1_500_000_000, 3_000),
        ]
    );
    let hours: Vec<(chrono::NaiveDate, Vec<i64>)> = sqlx::query_as(
        "select day, download_bytes from usage_hourly where service_id = $1 order by day",
    )
    .bind(sub.service)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(hours[0].1[22], 4_000_000_000);
    assert_eq!(hours[0].1[23], 500_000_000);
    assert_eq!(hours[1].1[0], 500_000_000);
    assert_eq!(hours[1].1[1], 1_000_000_000);
    assert_eq!(hours[1].1.iter().sum::<i64>(), 1_500_000_000);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_worker_queues_the_new_rate_for_an_online_session_and_a_disconnect_on_suspension(
    pool: PgPool,
) {
    let config = NetworkConfig::default();
    let cable = plan_with(&pool, "cable-300", 300, 20, dec!(50)).await;
    let fibre = plan_with(&pool, "fibre-900", 900, 100, dec!(80)).await;
    let sub = subscriber(&pool, "40000095", cable).await;
    provision_all(&pool, &config).await;
    // Online: an open session on a known NAS (as FreeRADIUS's Start writes it).
    sqlx::query(
        "insert into radius.radacct (acctsessionid, acctuniqueid, username, nasipaddress, acctstarttime)
         values ('s-1', 'u-1', $1, '10.9.0.1', now())",
    )
    .bind(&sub.username)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("insert into radius.nas (nasname, shortname, secret) values ('10.9.0.1', 'bng-1', 'coa-secret')")
        .execute(&pool)
        .await
        .unwrap();

    sqlx::query("update services set plan_id = $1 where id = $2")
        .bind(fibre)
        .bind(sub.service)
        .execute(&pool)
        .await
        .unwrap();
    provision_all(&pool, &config).await;
    let queued: Vec<(String, serde_json::Value, String)> = sqlx::query_as(
        "select kind, attributes, acct_session_id from network_coa_requests where service_id = $1",
    )
    .bind(sub.service)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].0, "coa");
    assert_eq!(queued[0].2, "s-1");
    assert!(
        queued[0]
            .1
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(["Mikrotik-Rate-Limit", "100M/900M"])),
        "{:?}",
        queued[0].1
    );

    // Switched off for non-payment: the session is told to end.
    sqlx::query(
        "with off as (update services set status = 'suspended', suspension_reason = 'non_payment'
                       where id = $1 returning id, account_id)
         insert into service_suspensions (service_id, account_id, reason, suspended_on)
         select id, account_id, 'non_payment', current_date from off",
    )
    .bind(sub.service)
    .execute(&pool)
    .await
    .unwrap();
    provision_all(&pool, &config).await;
    let kinds: Vec<String> = sqlx::query_scalar(
        "select kind from network_coa_requests where service_id = $1 order by id",
    )
    .bind(sub.service)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(kinds, vec!["coa", "disconnect"]);
}

//! Plan changes against a real PostgreSQL: previews, upgrades at once, downgrades at the
//! next cycle, cancelling, contract fees, two tabs at once and another account's ids, with
//! every amount worked out by hand in the comments.
//!
//! The fixture: cycle day 1, 10% sales tax on top, a fibre address, a service activated on
//! Oct 1 2026 and billed on Nov 1 (Oct and Nov in advance), so it is charged through Dec 1.

mod common;

use common::*;
use engine::plan_changes::{self, ChangeRequest, ChangeStatus};
use engine::EngineError;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::PgPool;

fn l(kind: &str, amount: Decimal) -> (String, Decimal) {
    (kind.to_string(), amount)
}

/// A fibre plan; returns its id.
async fn fibre(
    pool: &PgPool,
    code: &str,
    name: &str,
    mbps: i32,
    price: Decimal,
    contract: Option<(i16, Decimal)>,
) -> i64 {
    sqlx::query_scalar(
        "insert into plans (code, name, technology, download_mbps, upload_mbps, monthly_price,
                            currency, contract_months, early_termination_fee)
         values ($1, $2, 'fibre', $3, $3 / 2, $4, 'USD', $5, $6) returning id",
    )
    .bind(code)
    .bind(name)
    .bind(mbps)
    .bind(price)
    .bind(contract.map_or(0, |c| c.0))
    .bind(contract.map(|c| c.1))
    .fetch_one(pool)
    .await
    .expect("plan")
}

struct World {
    account: i64,
    service: i64,
    /// $60, 300 Mbps.
    p60: i64,
    /// $90, 1000 Mbps.
    p90: i64,
    /// $120, 2000 Mbps.
    p120: i64,
}

/// An account on `start` (one of the world's plans, chosen by price), billed on Nov 1.
async fn world(pool: &PgPool, number: &str, start_price: Decimal) -> World {
    let j = jurisdiction(
        pool,
        &format!("US-{}", &number[6..]),
        "Sales tax",
        dec!(0.10),
        false,
    )
    .await;
    let p60 = fibre(
        pool,
        &format!("f300-{number}"),
        "Fibre 300",
        300,
        dec!(60),
        None,
    )
    .await;
    let p90 = fibre(
        pool,
        &format!("f1000-{number}"),
        "Fibre 1000",
        1000,
        dec!(90),
        None,
    )
    .await;
    let p120 = fibre(
        pool,
        &format!("f2000-{number}"),
        "Fibre 2000",
        2000,
        dec!(120),
        None,
    )
    .await;
    let start = if start_price == dec!(60) {
        p60
    } else if start_price == dec!(90) {
        p90
    } else {
        p120
    };
    let (account, service) = account(pool, number, "postpaid", 1, j, start, d(2026, 10, 1)).await;
    sqlx::query("update addresses set technologies = '{fibre,dsl}' where account_id = $1")
        .bind(account)
        .execute(pool)
        .await
        .unwrap();
    bill(pool, d(2026, 11, 1)).await;
    World {
        account,
        service,
        p60,
        p90,
        p120,
    }
}

fn change(w: &World, to: i64, seen: i64, today: chrono::NaiveDate) -> ChangeRequest {
    ChangeRequest {
        account_id: w.account,
        service_id: w.service,
        to_plan_id: to,
        seen_plan_id: seen,
        accepted_fee: None,
        login_id: None,
        staff_id: None,
        api_key_id: None,
        timing: None,
        today,
    }
}

async fn plan_of(pool: &PgPool, service: i64) -> i64 {
    sqlx::query_scalar("select plan_id from services where id = $1")
        .bind(service)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn next_bill(pool: &PgPool, account: i64, today: chrono::NaiveDate) -> billing::bill::Bill {
    let mut conn = pool.acquire().await.unwrap();
    engine::bill_run::preview(&mut conn, &config(), account, today)
        .await
        .unwrap()
        .expect("a next statement")
}

fn kinds(bill: &billing::bill::Bill) -> Vec<(String, Decimal)> {
    bill.lines
        .iter()
        .map(|x| (x.kind.as_str().to_string(), x.amount.amount()))
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_upgrade_takes_effect_at_once_with_a_prorated_charge_on_the_next_statement(
    pool: PgPool,
) {
    let w = world(&pool, "30000001", dec!(60)).await;
    let today = d(2026, 11, 12);

    // The preview: Nov 12 – Nov 30 is 19 of November's 30 days, already charged at 60.00:
    // 90 × 19 / 30 = 57.00 less 60 × 19 / 30 = 38.00 = 19.00 now.
    let preview = plan_changes::preview(&pool, &config(), w.account, w.service, w.p90, today)
        .await
        .unwrap();
    assert_eq!(preview.quote.adjustment.amount(), dec!(19.00));
    assert_eq!(preview.quote.effective_on, today);
    assert_eq!(preview.quote.early_termination_fee, None);
    // The next statement (Dec 1): December at 90.00, the 19.00, tax 10% of 109.00 = 10.90.
    let next = preview.next_statement.expect("next statement");
    assert_eq!(
        kinds(&next),
        vec![
            l("recurring", dec!(90.00)),
            l("one_time", dec!(19.00)),
            l("tax", dec!(10.90)),
        ]
    );
    // The one after: 90.00 and 9.00 tax.
    let following = preview.following_statement.expect("following statement");
    assert_eq!(following.totals.charges.amount(), dec!(90.00));
    assert_eq!(following.totals.tax.amount(), dec!(9.00));
    // The preview wrote nothing.
    assert_eq!(plan_of(&pool, w.service).await, w.p60);
    assert_eq!(count(&pool, "select count(*) from plan_changes").await, 0);
    assert_eq!(
        count(&pool, "select count(*) from one_time_charges").await,
        0
    );

    let outcome = plan_changes::request(&pool, &config(), &change(&w, w.p90, w.p60, today))
        .await
        .unwrap();
    assert_eq!(outcome.status, ChangeStatus::Applied);
    assert_eq!(plan_of(&pool, w.service).await, w.p90);

    let charge: (Decimal, String, chrono::NaiveDate, Option<i64>) = sqlx::query_as(
        "select amount, description, charge_on, service_id from one_time_charges where account_id = $1",
    )
    .bind(w.account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        charge,
        (
            dec!(19.00),
            "Upgrade to Fibre 1000, Nov 12 – Nov 30, 2026 (prorated)".to_string(),
            today,
            Some(w.service)
        )
    );
    let change_row: (String, String, Option<Decimal>, i64, i64) = sqlx::query_as(
        "select status, kind, adjustment, from_plan_id, to_plan_id from plan_changes",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        change_row,
        (
            "applied".into(),
            "upgrade".into(),
            Some(dec!(19.00)),
            w.p60,
            w.p90
        )
    );
    // The network is told, in the same transaction.
    let outbox: (i64, String, i32, i32, Option<i32>, chrono::NaiveDate, i64) = sqlx::query_as(
        "select plan_id, plan_code, download_mbps, upload_mbps, allowance_gb, effective_on, plan_change_id
           from provisioning_outbox where service_id = $1 and action = 'change_plan'",
    )
    .bind(w.service)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        outbox,
        (
            w.p90,
            "f1000-30000001".into(),
            1000,
            500,
            None,
            today,
            outcome.plan_change_id
        )
    );
    let event: String = sqlx::query_scalar(
        "select summary from service_events where kind = 'plan_change' and service_id = $1",
    )
    .bind(w.service)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        event,
        "Plan changed from Fibre 300 to Fibre 1000; $19.00 prorated charge"
    );

    // The Dec 1 bill run: exactly what the preview showed.
    bill(&pool, d(2026, 12, 1)).await;
    assert_eq!(
        lines(&pool, w.account, d(2026, 12, 1)).await,
        vec![
            l("recurring", dec!(90.00)),
            l("one_time", dec!(19.00)),
            l("tax", dec!(10.90)),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_downgrade_is_scheduled_shown_on_the_next_statement_and_cancelled(pool: PgPool) {
    let w = world(&pool, "30000002", dec!(90)).await;
    let today = d(2026, 11, 12);

    let preview = plan_changes::preview(&pool, &config(), w.account, w.service, w.p60, today)
        .await
        .unwrap();
    assert_eq!(preview.quote.effective_on, d(2026, 12, 1));
    assert_eq!(preview.quote.adjustment.amount(), dec!(0));
    // Dec 1: December at the new 60.00, tax 6.00.
    assert_eq!(
        kinds(preview.next_statement.as_ref().unwrap()),
        vec![l("recurring", dec!(60.00)), l("tax", dec!(6.00))]
    );

    let outcome = plan_changes::request(&pool, &config(), &change(&w, w.p60, w.p90, today))
        .await
        .unwrap();
    assert_eq!(outcome.status, ChangeStatus::Scheduled);
    // Still on the old plan until Dec 1; nothing charged, nothing provisioned yet (the one
    // row is the service's activation when the fixture created it).
    assert_eq!(plan_of(&pool, w.service).await, w.p90);
    assert_eq!(
        count(
            &pool,
            "select count(*) from provisioning_outbox where action <> 'activate'"
        )
        .await,
        0
    );
    // "Your next bill, so far" shows the new price.
    assert_eq!(
        kinds(&next_bill(&pool, w.account, d(2026, 11, 20)).await),
        vec![l("recurring", dec!(60.00)), l("tax", dec!(6.00))]
    );
    // A second change while one waits is a conflict.
    let again = plan_changes::request(&pool, &config(), &change(&w, w.p120, w.p90, today)).await;
    assert!(matches!(again, Err(EngineError::Conflict(_))), "{again:?}");

    plan_changes::cancel(&pool, w.account, outcome.plan_change_id, None)
        .await
        .unwrap();
    let status: String = sqlx::query_scalar("select status from plan_changes")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "cancelled");
    // Cancelling twice finds nothing to cancel.
    assert!(matches!(
        plan_changes::cancel(&pool, w.account, outcome.plan_change_id, None).await,
        Err(EngineError::NotFound)
    ));
    assert_eq!(
        kinds(&next_bill(&pool, w.account, d(2026, 11, 20)).await),
        vec![l("recurring", dec!(90.00)), l("tax", dec!(9.00))]
    );
    let summaries: Vec<String> = sqlx::query_scalar(
        "select summary from service_events where kind = 'plan_change' order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        summaries,
        vec![
            "Plan change from Fibre 1000 to Fibre 300 scheduled for Dec 1, 2026".to_string(),
            "Plan change to Fibre 300 on Dec 1, 2026 cancelled".to_string(),
        ]
    );

    bill(&pool, d(2026, 12, 1)).await;
    assert_eq!(plan_of(&pool, w.service).await, w.p90);
    assert_eq!(
        lines(&pool, w.account, d(2026, 12, 1)).await,
        vec![l("recurring", dec!(90.00)), l("tax", dec!(9.00))]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_scheduled_downgrade_is_applied_by_the_bill_run_that_bills_the_new_plan(pool: PgPool) {
    let w = world(&pool, "30000003", dec!(90)).await;
    let outcome =
        plan_changes::request(&pool, &config(), &change(&w, w.p60, w.p90, d(2026, 11, 12)))
            .await
            .unwrap();

    // A dry run applies nothing.
    let mut dry = run_options(d(2026, 12, 1));
    dry.dry_run = true;
    engine::bill_run::run(&pool, &config(), &dry, None)
        .await
        .unwrap();
    assert_eq!(plan_of(&pool, w.service).await, w.p90);

    bill(&pool, d(2026, 12, 1)).await;
    assert_eq!(plan_of(&pool, w.service).await, w.p60);
    assert_eq!(
        lines(&pool, w.account, d(2026, 12, 1)).await,
        vec![l("recurring", dec!(60.00)), l("tax", dec!(6.00))]
    );
    let (status, adjustment): (String, Option<Decimal>) =
        sqlx::query_as("select status, adjustment from plan_changes where id = $1")
            .bind(outcome.plan_change_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), adjustment), ("applied", None));
    let outbox: (i32, chrono::NaiveDate) = sqlx::query_as(
        "select download_mbps, effective_on from provisioning_outbox where plan_change_id = $1",
    )
    .bind(outcome.plan_change_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(outbox, (300, d(2026, 12, 1)));
    assert_eq!(
        count(
            &pool,
            "select count(*) from service_events where summary = 'Plan changed from Fibre 1000 to Fibre 300'"
        )
        .await,
        1
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn leaving_a_contract_early_costs_the_fee_for_the_months_left_once_accepted(pool: PgPool) {
    let w = world(&pool, "30000004", dec!(60)).await;
    // The service moves to a 12-month plan with a 200.00 fee, its contract ending Jun 10.
    let contract = fibre(
        &pool,
        "f1000-contract",
        "Fibre 1000 Plus",
        1000,
        dec!(90),
        Some((12, dec!(200))),
    )
    .await;
    sqlx::query("update services set plan_id = $2, contract_ends_on = '2027-06-10' where id = $1")
        .bind(w.service)
        .bind(contract)
        .execute(&pool)
        .await
        .unwrap();
    let today = d(2026, 11, 12);

    // Effective Dec 1; Dec 1 + 6 months = Jun 1 is before Jun 10, so 7 months are left:
    // 200 × 7 / 12 = 116.666… → 116.67.
    let preview = plan_changes::preview(&pool, &config(), w.account, w.service, w.p60, today)
        .await
        .unwrap();
    assert_eq!(preview.quote.contract_months_left, 7);
    assert_eq!(
        preview.quote.early_termination_fee.map(|f| f.amount()),
        Some(dec!(116.67))
    );
    assert_eq!(preview.contract_ends_on, Some(d(2027, 6, 10)));
    assert_eq!(preview.quote.contract_ends_on, None);

    // Refused without the fee accepted, or with another amount.
    let mut req = change(&w, w.p60, contract, today);
    let refused = plan_changes::request(&pool, &config(), &req).await;
    assert!(
        matches!(&refused, Err(EngineError::Invalid(m)) if m.contains("$116.67")),
        "{refused:?}"
    );
    req.accepted_fee = Some(dec!(116.66));
    assert!(matches!(
        plan_changes::request(&pool, &config(), &req).await,
        Err(EngineError::Invalid(_))
    ));
    assert_eq!(count(&pool, "select count(*) from plan_changes").await, 0);

    req.accepted_fee = Some(dec!(116.67));
    let outcome = plan_changes::request(&pool, &config(), &req).await.unwrap();
    assert_eq!(outcome.status, ChangeStatus::Scheduled);

    // Dec 1: December at 60.00, the fee 116.67, tax 10% of 176.67 = 17.667 → 17.67.
    bill(&pool, d(2026, 12, 1)).await;
    assert_eq!(
        lines(&pool, w.account, d(2026, 12, 1)).await,
        vec![
            l("recurring", dec!(60.00)),
            l("one_time", dec!(116.67)),
            l("tax", dec!(17.67)),
        ]
    );
    let contract_end: Option<chrono::NaiveDate> =
        sqlx::query_scalar("select contract_ends_on from services where id = $1")
            .bind(w.service)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(contract_end, None);
    let fee: Option<Decimal> =
        sqlx::query_scalar("select early_termination_fee from plan_changes where id = $1")
            .bind(outcome.plan_change_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(fee, Some(dec!(116.67)));
}

#[sqlx::test(migrations = "../migrations")]
async fn an_immediate_downgrade_credits_the_difference_with_its_tax(pool: PgPool) {
    let w = world(&pool, "30000005", dec!(90)).await;
    let mut config = config();
    config.plan_changes.downgrades = engine::config::Timing::Immediately;
    let outcome = plan_changes::request(&pool, &config, &change(&w, w.p60, w.p90, d(2026, 11, 12)))
        .await
        .unwrap();
    assert_eq!(outcome.status, ChangeStatus::Applied);
    // 60 × 19 / 30 − 90 × 19 / 30 = −19.00, and the 10% tax charged on it: −20.90.
    let credit: (String, Decimal) = sqlx::query_as(
        "select kind, amount from ledger_entries where account_id = $1 and statement_id is null",
    )
    .bind(w.account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(credit, ("credit".to_string(), dec!(-20.90)));
    bill(&pool, d(2026, 12, 1)).await;
    assert_eq!(
        lines(&pool, w.account, d(2026, 12, 1)).await,
        vec![
            l("recurring", dec!(60.00)),
            l("tax", dec!(6.00)),
            l("credit", dec!(-20.90)),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn two_tabs_changing_the_plan_at_once_end_in_one_change(pool: PgPool) {
    let w = world(&pool, "30000006", dec!(60)).await;
    let today = d(2026, 11, 12);
    let to_90 = change(&w, w.p90, w.p60, today);
    let to_120 = change(&w, w.p120, w.p60, today);
    let config = config();
    let (a, b) = tokio::join!(
        plan_changes::request(&pool, &config, &to_90),
        plan_changes::request(&pool, &config, &to_120),
    );
    let (winner, loser) = match (a, b) {
        (Ok(o), Err(e)) => ((o, w.p90), e),
        (Err(e), Ok(o)) => ((o, w.p120), e),
        other => panic!("exactly one should succeed: {other:?}"),
    };
    assert!(matches!(loser, EngineError::Conflict(_)), "{loser:?}");
    assert_eq!(plan_of(&pool, w.service).await, winner.1);
    assert_eq!(count(&pool, "select count(*) from plan_changes").await, 1);
    assert_eq!(
        count(&pool, "select count(*) from one_time_charges").await,
        1
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from provisioning_outbox where action = 'change_plan'"
        )
        .await,
        1
    );
    // 19.00 to Fibre 1000, or 120 × 19 / 30 − 38.00 = 76.00 − 38.00 = 38.00 to Fibre 2000.
    let amount: Decimal = sqlx::query_scalar("select amount from one_time_charges")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        amount,
        if winner.1 == w.p90 {
            dec!(19.00)
        } else {
            dec!(38.00)
        }
    );

    // The same stale request again (a double click, a retry): a conflict, nothing new.
    let again = plan_changes::request(&pool, &config, &to_90).await;
    assert!(matches!(again, Err(EngineError::Conflict(_))), "{again:?}");
    assert_eq!(count(&pool, "select count(*) from plan_changes").await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn another_accounts_service_and_plan_change_are_not_found(pool: PgPool) {
    let mine = world(&pool, "30000007", dec!(90)).await;
    let theirs = world(&pool, "30000008", dec!(90)).await;
    let today = d(2026, 11, 12);
    let scheduled = plan_changes::request(
        &pool,
        &config(),
        &change(&theirs, theirs.p60, theirs.p90, today),
    )
    .await
    .unwrap();

    // My account, their service.
    let mut req = change(&mine, mine.p60, mine.p90, today);
    req.service_id = theirs.service;
    assert!(matches!(
        plan_changes::request(&pool, &config(), &req).await,
        Err(EngineError::NotFound)
    ));
    assert!(matches!(
        plan_changes::preview(
            &pool,
            &config(),
            mine.account,
            theirs.service,
            mine.p60,
            today
        )
        .await,
        Err(EngineError::NotFound)
    ));
    assert!(plan_changes::offers(
        &mut pool.acquire().await.unwrap(),
        mine.account,
        theirs.service
    )
    .await
    .unwrap()
    .is_empty());
    // Their scheduled change cannot be cancelled from my account.
    assert!(matches!(
        plan_changes::cancel(&pool, mine.account, scheduled.plan_change_id, None).await,
        Err(EngineError::NotFound)
    ));
    let status: String = sqlx::query_scalar("select status from plan_changes where id = $1")
        .bind(scheduled.plan_change_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "scheduled");
    // A plan not offered at my address (another technology) is refused as invalid.
    let cable = plan(&pool, "cable-x", dec!(70), None, None).await;
    let refused =
        plan_changes::preview(&pool, &config(), mine.account, mine.service, cable, today).await;
    assert!(
        matches!(refused, Err(EngineError::Invalid(_))),
        "{refused:?}"
    );
}

/// A plan on cable with a data allowance (`None`: unlimited) at $1.00 per GB over.
async fn cable_plan(pool: &PgPool, code: &str, name: &str, price: Decimal, gb: Option<i32>) -> i64 {
    sqlx::query_scalar(
        "insert into plans (code, name, technology, download_mbps, upload_mbps, allowance_gb,
                            monthly_price, currency, overage_per_gb)
         values ($1, $2, 'cable', 300, 30, $3, $4, 'USD', case when $3 is null then null else 1.00 end)
         returning id",
    )
    .bind(code)
    .bind(name)
    .bind(gb)
    .bind(price)
    .fetch_one(pool)
    .await
    .expect("plan")
}

/// An account on `plan` (cycle day 1, 10% sales tax on top) activated on Oct 1 2026 and
/// billed on Nov 1, so it is charged through Dec 1. Returns (account, service).
async fn cable_account(pool: &PgPool, number: &str, plan: i64) -> (i64, i64) {
    let j = jurisdiction(
        pool,
        &format!("US-{}", &number[6..]),
        "Sales tax",
        dec!(0.10),
        false,
    )
    .await;
    let (account, service) = account(pool, number, "postpaid", 1, j, plan, d(2026, 10, 1)).await;
    sqlx::query("update addresses set technologies = '{cable}' where account_id = $1")
        .bind(account)
        .execute(pool)
        .await
        .unwrap();
    bill(pool, d(2026, 11, 1)).await;
    (account, service)
}

#[sqlx::test(migrations = "../migrations")]
async fn usage_before_a_scheduled_downgrade_is_rated_against_the_plan_it_was_used_on(pool: PgPool) {
    let p750 = cable_plan(&pool, "cable-750", "Cable 750", dec!(60), Some(750)).await;
    let p500 = cable_plan(&pool, "cable-500", "Cable 500", dec!(45), Some(500)).await;
    let (account, service) = cable_account(&pool, "30000011", p750).await;
    let w = World {
        account,
        service,
        p60: p750,
        p90: p750,
        p120: p750,
    };
    let outcome = plan_changes::request(&pool, &config(), &change(&w, p500, p750, d(2026, 11, 12)))
        .await
        .unwrap();
    assert_eq!(outcome.status, ChangeStatus::Scheduled);
    // All of November on Cable 750: 905 GB.
    usage(
        &pool,
        service,
        d(2026, 11, 1),
        d(2026, 12, 1),
        905_000_000_000,
    )
    .await;

    // Dec 1: December on Cable 500 (45.00); November's 905 GB against Cable 750's 750 GB:
    // 155 started GB × 1.00 = 155.00 (against the new 500 GB it would be 405.00); 10% tax
    // on 200.00 = 20.00.
    bill(&pool, d(2026, 12, 1)).await;
    assert_eq!(plan_of(&pool, service).await, p500);
    assert_eq!(
        lines(&pool, account, d(2026, 12, 1)).await,
        vec![
            l("recurring", dec!(45.00)),
            l("usage", dec!(155.00)),
            l("tax", dec!(20.00))
        ]
    );
    let usage_line: String = sqlx::query_scalar(
        "select description from statement_lines where kind = 'usage' and amount = 155.00",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        usage_line,
        "Data usage Nov 1 – Nov 30, 2026 on Cable 750: 905.0 GB of 750 GB included; \
         155 started GB over at $1.00/GB"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn usage_around_an_upgrade_to_unlimited_is_rated_against_each_plan_in_force(pool: PgPool) {
    let p750 = cable_plan(&pool, "cable-750", "Cable 750", dec!(60), Some(750)).await;
    let unlimited = cable_plan(&pool, "cable-max", "Cable Unlimited", dec!(90), None).await;
    let (account, service) = cable_account(&pool, "30000012", p750).await;
    let w = World {
        account,
        service,
        p60: p750,
        p90: unlimited,
        p120: unlimited,
    };
    // 800 GB in the 20 days Nov 1 – 20 on Cable 750, then 500 GB unlimited.
    usage(
        &pool,
        service,
        d(2026, 11, 1),
        d(2026, 11, 21),
        800_000_000_000,
    )
    .await;
    usage(
        &pool,
        service,
        d(2026, 11, 21),
        d(2026, 12, 1),
        500_000_000_000,
    )
    .await;
    let outcome = plan_changes::request(
        &pool,
        &config(),
        &change(&w, unlimited, p750, d(2026, 11, 21)),
    )
    .await
    .unwrap();
    assert_eq!(outcome.status, ChangeStatus::Applied);
    // The upgrade's prorated difference for Nov 21 – 30: (90 − 60) × 10 / 30 = 10.00.
    assert_eq!(outcome.quote.adjustment.amount(), dec!(10.00));

    // Dec 1: December unlimited (90.00). Cable 750 was in force 20 of November's 30 days:
    // 750 × 20 / 30 = 500 GB, so 300 started GB over × 1.00 = 300.00; nothing for the
    // unlimited days (rated against the plan now alone, there was no usage charge at
    // all). The upgrade's 10.00. 10% tax on 400.00 = 40.00.
    bill(&pool, d(2026, 12, 1)).await;
    assert_eq!(
        lines(&pool, account, d(2026, 12, 1)).await,
        vec![
            l("recurring", dec!(90.00)),
            l("usage", dec!(300.00)),
            l("one_time", dec!(10.00)),
            l("tax", dec!(40.00))
        ]
    );
    let usage_line: String = sqlx::query_scalar(
        "select description from statement_lines where kind = 'usage' and amount = 300.00",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        usage_line,
        "Data usage Nov 1 – Nov 20, 2026 on Cable 750: 800.0 GB of 500.0 GB included (20 of \
         30 days of 750 GB); 300 started GB over at $1.00/GB"
    );
}

//! Closing an account (`DELETE /accounts/{id}`, `billing::bill`'s "Closing an account"):
//! the services are cancelled at once, the final statement refunds the unused days, and the
//! bill run closes the account only once nothing is owed either way. The figures are the
//! policy's worked example, by hand:
//!
//! | | account A (December unpaid) | account B (December paid) |
//! |---|---:|---:|
//! | Dec 1 statement: $55.00 plan, Dec 1 - Jan 1, untaxed (Oregon) | 55.00 | 55.00 |
//! | paid before closing | 0.00 | 55.00 |
//! | closed Dec 11: Jan 1 statement refunds 21 of 31 days, 55.00 × 21 ÷ 31 | -37.26 | -37.26 |
//! | balance after the final statement | 17.74 owed | 37.26 in credit |
//! | settled by | a payment of 17.74 | a refund of 37.26 |

use chrono::NaiveDate;
use engine::integrations::Scope;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};

use crate::api::{key, problem};
use crate::helpers::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

/// An Oregon account (no sales tax) on Cable 300 ($55.00), cycle day 1, active from
/// Dec 1 2026. Returns its id and number.
async fn cable_account(portal: &TestPortal, number: &str, email: &str) -> (i64, String) {
    let plan: i64 = sqlx::query_scalar("select id from plans where code = 'cable-300'")
        .fetch_one(&portal.pool)
        .await
        .expect("a plan");
    let mut tx = portal.pool.begin().await.expect("tx");
    let made = engine::accounts::create_in(
        &mut tx,
        &engine::accounts::NewAccount {
            number: Some(number.into()),
            kind: "residential".into(),
            display_name: "Closing Test".into(),
            billing_cycle_day: Some(1),
            currency: "USD".into(),
            people: vec![engine::accounts::NewPerson {
                role: "owner".into(),
                first_name: "Clo".into(),
                last_name: "Sing".into(),
                email: Some(email.into()),
                phone: None,
            }],
            addresses: vec![engine::accounts::NewAddress {
                line1: "12 Alder St".into(),
                city: "Portland".into(),
                region: "OR".into(),
                postal_code: "97205".into(),
                country: "US".into(),
                jurisdiction: "US-OR".into(),
                technologies: vec!["cable".into()],
                ..Default::default()
            }],
            services: vec![engine::accounts::NewService {
                address: 0,
                plan_id: plan,
                activated_on: Some(day(2026, 12, 1)),
            }],
            ..Default::default()
        },
        day(2026, 12, 1),
        chrono_tz::America::Chicago,
    )
    .await
    .expect("an account");
    tx.commit().await.expect("commit");
    (made.account_id, made.number)
}

async fn bill(
    portal: &TestPortal,
    config: &engine::config::EngineConfig,
    number: &str,
    on: NaiveDate,
) {
    let summary = engine::bill_run::run(
        &portal.pool,
        config,
        &engine::bill_run::RunOptions {
            date: on,
            dry_run: false,
            account: Some(number.into()),
            started_by: "test".into(),
            stop: Default::default(),
        },
        None,
    )
    .await
    .expect("a bill run");
    assert_eq!(
        (summary.billed, summary.failed.len()),
        (1, 0),
        "{number} on {on}"
    );
}

async fn balance(portal: &TestPortal, id: i64) -> Decimal {
    sqlx::query_scalar("select balance from account_balances where account_id = $1")
        .bind(id)
        .fetch_one(&portal.pool)
        .await
        .expect("a balance")
}

async fn status(portal: &TestPortal, id: i64) -> (String, bool, bool) {
    sqlx::query_as(
        "select status, close_requested_at is not null, closed_at is not null from accounts where id = $1",
    )
    .bind(id)
    .fetch_one(&portal.pool)
    .await
    .expect("an account")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_closed_account_pays_its_used_days_and_closes_only_when_nothing_is_owed_either_way(
    pool: sqlx::PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let config = app::server::PortalConfig::for_tests(&portal.url("")).billing;
    let (a, a_number) = cable_account(&portal, "77000001", "a.closing@example.net").await;
    let (b, b_number) = cable_account(&portal, "77000002", "b.closing@example.net").await;
    for number in [&a_number, &b_number] {
        bill(&portal, &config, number, day(2026, 12, 1)).await;
    }
    assert_eq!(balance(&portal, a).await, dec!(55.00));
    // B pays December before closing.
    let mut tx = portal.pool.begin().await.expect("tx");
    engine::payments::record_in(
        &mut tx,
        &config,
        &engine::payments::NewPayment {
            account_number: b_number.clone(),
            amount: dec!(55.00),
            method: "bank_transfer".into(),
            reference: "BT-DEC-B".into(),
            received_on: day(2026, 12, 3),
        },
    )
    .await
    .expect("a payment");
    tx.commit().await.expect("commit");

    // Both ask to close on Dec 11: the service is cancelled that day and the network told.
    for id in [a, b] {
        let mut tx = portal.pool.begin().await.expect("tx");
        let asked = engine::accounts::request_close_in(&mut tx, id, None, None, day(2026, 12, 11))
            .await
            .expect("closing asked for");
        tx.commit().await.expect("commit");
        assert!(!asked.already);
        assert_eq!(asked.cancelled.len(), 1);
        assert_eq!(asked.cancelled[0].1.cancelled_on, day(2026, 12, 11));
        assert_eq!(asked.cancelled[0].1.early_termination_fee, None);
        let (cancelled_on, told): (Option<NaiveDate>, i64) = sqlx::query_as(
            "select s.cancelled_on, (select count(*) from provisioning_outbox o where o.service_id = s.id
                                        and o.action = 'cancel')
               from services s where s.account_id = $1",
        )
        .bind(id)
        .fetch_one(&portal.pool)
        .await
        .expect("the service");
        assert_eq!((cancelled_on, told), (Some(day(2026, 12, 11)), 1));
        assert_eq!(status(&portal, id).await, ("active".into(), true, false));
    }
    // Asking again changes nothing.
    let mut tx = portal.pool.begin().await.expect("tx");
    let again = engine::accounts::request_close_in(&mut tx, a, None, None, day(2026, 12, 12))
        .await
        .expect("asked again");
    tx.commit().await.expect("commit");
    assert!(again.already && again.cancelled.is_empty());

    // Before the final statement nothing closes.
    assert!(engine::accounts::close_settled(&portal.pool)
        .await
        .expect("close")
        .is_empty());

    // The final statement, Jan 1 2027: the 21 unused days come back.
    for number in [&a_number, &b_number] {
        bill(&portal, &config, number, day(2027, 1, 1)).await;
    }
    let (refund, total_due): (Decimal, Decimal) = sqlx::query_as(
        "select (select sum(l.amount) from statement_lines l where l.statement_id = s.id),
                s.total_due
           from statements s where s.account_id = $1 and s.period_start = '2027-01-01'",
    )
    .bind(a)
    .fetch_one(&portal.pool)
    .await
    .expect("the final statement");
    assert_eq!((refund, total_due), (dec!(-37.26), dec!(17.74)));
    assert_eq!(balance(&portal, a).await, dec!(17.74));
    assert_eq!(balance(&portal, b).await, dec!(-37.26));
    // A owes, B is owed: neither closes.
    assert!(engine::accounts::close_settled(&portal.pool)
        .await
        .expect("close")
        .is_empty());

    // A pays the 10 days it used and closes.
    let mut tx = portal.pool.begin().await.expect("tx");
    engine::payments::record_in(
        &mut tx,
        &config,
        &engine::payments::NewPayment {
            account_number: a_number.clone(),
            amount: dec!(17.74),
            method: "cash".into(),
            reference: "CASH-JAN-A".into(),
            received_on: day(2027, 1, 4),
        },
    )
    .await
    .expect("a payment");
    tx.commit().await.expect("commit");
    assert_eq!(
        engine::accounts::close_settled(&portal.pool)
            .await
            .expect("close"),
        vec![a_number.clone()]
    );
    assert_eq!(status(&portal, a).await, ("closed".into(), true, true));
    assert_eq!(status(&portal, b).await, ("active".into(), true, false));

    // B's credit is paid back through the API: no more than the credit, once.
    let http = portal.browser();
    let (_, money) = key(&portal, "money", &[Scope::Read, Scope::WriteMoney], 600).await;
    let refund = |amount: &str, idempotency: &str, reference: &str| {
        http.post(portal.url(&format!("/api/v1/accounts/{b}/refunds")))
            .bearer_auth(&money)
            .header("idempotency-key", idempotency.to_string())
            .json(&json!({ "amount": amount, "method": "bank_transfer", "reference": reference }))
            .send()
    };
    let (code, body) = problem(refund("40.00", "r-1", "RF-B-1").await.expect("answer")).await;
    assert_eq!((code, body["pointer"].as_str()), (422, Some("/amount")));
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("$37.26"),
        "{body}"
    );
    let paid_back = refund("37.26", "r-2", "RF-B-1").await.expect("answer");
    assert_eq!(paid_back.status(), 201);
    let paid_back: Value = paid_back.json().await.expect("json");
    assert_eq!(paid_back["balance"].as_str(), Some("0.00"));
    let replay = refund("37.26", "r-2", "RF-B-1").await.expect("answer");
    assert_eq!(
        replay
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let (code, body) = problem(refund("1.00", "r-3", "RF-B-2").await.expect("answer")).await;
    assert_eq!(
        (code, body["pointer"].as_str()),
        (422, Some("/amount")),
        "{body}"
    );
    assert_eq!(balance(&portal, b).await, dec!(0.00));
    assert_eq!(
        engine::accounts::close_settled(&portal.pool)
            .await
            .expect("close"),
        vec![b_number.clone()]
    );

    // The closed accounts: their subscriber cannot sign in, no change is taken, and asking
    // to delete one again answers 200 with it.
    let (_, writer) = key(&portal, "crm", &[Scope::Read, Scope::WriteAccounts], 600).await;
    let deleted = http
        .delete(portal.url(&format!("/api/v1/accounts/{a}")))
        .bearer_auth(&writer)
        .send()
        .await
        .expect("answer");
    assert_eq!(deleted.status(), 200);
    let deleted: Value = deleted.json().await.expect("json");
    assert_eq!(deleted["status"].as_str(), Some("closed"));
    let changed = http
        .patch(portal.url(&format!("/api/v1/accounts/{a}")))
        .bearer_auth(&writer)
        .header("if-match", "*")
        .json(&json!({ "display_name": "Too Late" }))
        .send()
        .await
        .expect("answer");
    assert_eq!(problem(changed).await.0, 409);
    let history: Vec<String> = sqlx::query_scalar(
        "select summary from service_events where account_id = $1 and kind = 'account' order by id",
    )
    .bind(a)
    .fetch_all(&portal.pool)
    .await
    .expect("history");
    assert_eq!(
        history,
        [
            "Closing asked for: the account closes once its final statement is settled",
            "Account closed"
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn deleting_an_account_through_the_api_cancels_its_services_with_the_fees_accepted(
    pool: sqlx::PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let (_, token) = key(&portal, "crm", &[Scope::Read, Scope::WriteAccounts], 600).await;
    let (_, reader) = key(&portal, "reader", &[Scope::Read], 600).await;
    // Someone listens: the closing is announced.
    let keys = app::server::staff::totp_keys::TotpKeys::for_tests();
    crate::api_webhooks::subscribe(&portal, &keys, "http://127.0.0.1:9/hook").await;
    let plan: i64 = sqlx::query_scalar("select id from plans where code = 'fibre-500'")
        .fetch_one(&portal.pool)
        .await
        .expect("a plan");
    let today = engine::clock::today(chrono_tz::America::Chicago, chrono::Utc::now());
    // A 12-month fibre contract ($150.00 to leave) from today, and a pending service.
    let made: Value = http
        .post(portal.url("/api/v1/accounts"))
        .bearer_auth(&token)
        .header("idempotency-key", "make-closing")
        .json(&json!({
            "kind": "residential", "display_name": "Ida Closing", "currency": "USD",
            "people": [{ "role": "owner", "first_name": "Ida", "last_name": "Closing",
                         "email": "ida.closing@example.net" }],
            "addresses": [{ "line1": "3 Oak St", "city": "Austin", "postal_code": "78701",
                            "country": "US", "jurisdiction": "US-TX",
                            "technologies": ["fibre"] }],
            "services": [{ "address": 0, "plan_id": plan, "activated_on": today },
                         { "address": 0, "plan_id": plan }]
        }))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    let id = made["account"]["id"].as_i64().expect("an account");
    let delete = |query: &str| {
        http.delete(portal.url(&format!("/api/v1/accounts/{id}{query}")))
            .bearer_auth(&token)
            .send()
    };

    // A reader may not; the fee not accepted (or a wrong amount) is 422 naming it, and
    // nothing is written.
    let refused = http
        .delete(portal.url(&format!("/api/v1/accounts/{id}")))
        .bearer_auth(&reader)
        .send()
        .await
        .expect("answer");
    assert_eq!(problem(refused).await.0, 403);
    for query in ["", "?accepted_fee=149.99"] {
        let (code, body) = problem(delete(query).await.expect("answer")).await;
        assert_eq!(
            (code, body["parameter"].as_str()),
            (422, Some("accepted_fee"))
        );
        assert!(
            body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("150.00"),
            "{body}"
        );
    }
    let (_, body) = problem(delete("?accepted_fee=lots").await.expect("answer")).await;
    assert_eq!(body["parameter"].as_str(), Some("accepted_fee"), "{body}");
    let untouched: i64 = sqlx::query_scalar(
        "select count(*) from services where account_id = $1 and status <> 'cancelled'",
    )
    .bind(id)
    .fetch_one(&portal.pool)
    .await
    .expect("count");
    assert_eq!(untouched, 2);
    // Another account's ETag is 412; one that does not exist is 404.
    let stale = http
        .delete(portal.url(&format!("/api/v1/accounts/{id}?accepted_fee=150.00")))
        .bearer_auth(&token)
        .header("if-match", "\"999\"")
        .send()
        .await
        .expect("answer");
    assert_eq!(problem(stale).await.0, 412);
    let missing = http
        .delete(portal.url("/api/v1/accounts/987654321"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answer");
    assert_eq!(problem(missing).await.0, 404);

    // Accepted: 202, both services cancelled today, the fee charged once, the closing shown.
    let accepted = delete("?accepted_fee=150.00").await.expect("answer");
    assert_eq!(accepted.status(), 202);
    let account: Value = accepted.json().await.expect("json");
    assert!(account["close_requested_at"].is_string(), "{account}");
    assert_eq!(account["status"].as_str(), Some("active"));
    let (cancelled, fees): (i64, Decimal) = sqlx::query_as(
        "select (select count(*) from services where account_id = $1 and status = 'cancelled'
                   and cancelled_on = $2),
                (select coalesce(sum(amount), 0) from one_time_charges where account_id = $1)",
    )
    .bind(id)
    .bind(today)
    .fetch_one(&portal.pool)
    .await
    .expect("counts");
    assert_eq!((cancelled, fees), (2, dec!(150.00)));
    let events: Vec<String> = sqlx::query_scalar(
        "select type from webhook_events where account_id = $1 and type <> 'account.created'
          order by seq",
    )
    .bind(id)
    .fetch_all(&portal.pool)
    .await
    .expect("events");
    assert_eq!(
        events.iter().filter(|t| *t == "service.cancelled").count(),
        2,
        "{events:?}"
    );
    assert_eq!(
        events.last().map(String::as_str),
        Some("account.deleted"),
        "{events:?}"
    );
    // Again: 202, nothing more written or put on the record.
    assert_eq!(delete("").await.expect("answer").status(), 202);
    let (fees, recorded, repeated): (Decimal, i64, i64) = sqlx::query_as(
        "select (select sum(amount) from one_time_charges where account_id = $1),
                (select count(*) from audit_log where subject_account_id = $1
                   and action = 'api.account.deleted'),
                (select count(*) from audit_log where subject_account_id = $1
                   and action = 'api.account.delete_repeated')",
    )
    .bind(id)
    .fetch_one(&portal.pool)
    .await
    .expect("counts");
    assert_eq!((fees, recorded, repeated), (dec!(150.00), 1, 1));
    // The account still takes its contacts' changes while it waits to close.
    let renamed = http
        .patch(portal.url(&format!("/api/v1/accounts/{id}")))
        .bearer_auth(&token)
        .header("if-match", "*")
        .json(&json!({ "display_name": "Ida Closing (leaving)" }))
        .send()
        .await
        .expect("answer");
    assert_eq!(renamed.status(), 200);
}

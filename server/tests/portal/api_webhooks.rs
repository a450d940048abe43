//! Webhooks out: a receiver written here checks every signature, answers 500 to the first
//! try of an event and sees it again, gets each event once after deduplication and each
//! account's events in order; a rotated secret signs beside the old one; a replay resends
//! the same event; a receiver that answers 410 is unsubscribed.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use engine::integrations::Scope;
use engine::webhooks::{self, NewSubscription, Schedule};
use lastmile::webhooks::{sealer, Sender, SenderSettings};
use serde_json::{json, Value};

use crate::api::key;
use crate::helpers::*;

#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: i64,
    signature: String,
    body: String,
}

#[derive(Default)]
struct Receiver {
    got: Vec<Received>,
    /// Event types whose first try is answered 500.
    fail_first: HashSet<String>,
    failed_once: HashSet<String>,
    /// Answer everything with this status instead.
    always: Option<u16>,
}

/// A receiver on a free port; returns its URL.
async fn receiver(state: Arc<Mutex<Receiver>>) -> String {
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                let header = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                let got = Received {
                    id: header("webhook-id"),
                    timestamp: header("webhook-timestamp").parse().unwrap_or_default(),
                    signature: header("webhook-signature"),
                    body: String::from_utf8_lossy(&body).into_owned(),
                };
                let event: Value = serde_json::from_str(&got.body).unwrap_or_default();
                let kind = event["type"].as_str().unwrap_or_default().to_string();
                let mut s = state.lock().expect("lock");
                s.got.push(got.clone());
                if let Some(status) = s.always {
                    return (
                        StatusCode::from_u16(status).expect("a status"),
                        "gone".to_string(),
                    );
                }
                if s.fail_first.contains(&kind) && s.failed_once.insert(got.id.clone()) {
                    return (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "receiver busy, try later".to_string(),
                    );
                }
                (StatusCode::OK, "thanks".to_string())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hooks")
}

fn sender(portal: &TestPortal, keys: Arc<app::server::staff::totp_keys::TotpKeys>) -> Sender {
    Sender::new(
        portal.pool.clone(),
        keys,
        SenderSettings {
            concurrency: 4,
            // No waits: the test drives the rounds itself.
            schedule: Schedule::parse("0,0,0").expect("a schedule"),
        },
    )
    .expect("a sender")
}

/// Sends rounds until nothing is due.
async fn drain(sender: &Sender) {
    for _ in 0..50 {
        let round = sender.round().await.expect("a round");
        if round == lastmile::webhooks::Round::default() {
            return;
        }
    }
    panic!("deliveries still due after 50 rounds");
}

pub(crate) async fn subscribe(
    portal: &TestPortal,
    keys: &app::server::staff::totp_keys::TotpKeys,
    url: &str,
) -> (i64, Vec<u8>) {
    let mut conn = portal.pool.acquire().await.expect("conn");
    let made = webhooks::create_subscription(
        &mut conn,
        &NewSubscription {
            integration: "CRM".into(),
            url: url.into(),
            event_types: webhooks::EVENT_TYPES
                .iter()
                .map(|t| t.to_string())
                .collect(),
            created_by_staff: None,
            allow_http: true,
        },
        &sealer(keys),
    )
    .await
    .expect("a subscription");
    (
        made.id,
        webhooks::parse_secret(&made.secret).expect("a secret"),
    )
}

#[sqlx::test(migrations = "../migrations")]
async fn a_receiver_gets_each_change_signed_in_order_once_after_retries(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let keys = Arc::new(app::server::staff::totp_keys::TotpKeys::for_tests());
    let state = Arc::new(Mutex::new(Receiver {
        fail_first: ["account.created", "payment.succeeded"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ..Receiver::default()
    }));
    let url = receiver(state.clone()).await;
    let (_, token) = key(&portal, "crm", &Scope::ALL, 100_000).await;
    let (subscription, secret) = subscribe(&portal, &keys, &url).await;

    // Changes through the API: an account with an active service, an update, a payment.
    let fibre: i64 = sqlx::query_scalar("select id from plans where code = 'fibre-300'")
        .fetch_one(&portal.pool)
        .await
        .expect("a plan");
    let today = engine::clock::today(chrono_tz::America::Chicago, chrono::Utc::now());
    let made: Value = http
        .post(portal.url("/api/v1/accounts"))
        .bearer_auth(&token)
        .header("idempotency-key", "hooks-1")
        .json(&json!({
            "kind": "residential", "display_name": "Katherine Johnson", "currency": "USD",
            "people": [{ "role": "owner", "first_name": "Katherine", "last_name": "Johnson",
                         "email": "kj@example.net" }],
            "addresses": [{ "line1": "1 Orbit Way", "city": "Austin", "postal_code": "78701",
                            "country": "US", "jurisdiction": "US-TX", "technologies": ["fibre"] }],
            "services": [{ "address": 0, "plan_id": fibre, "activated_on": today }]
        }))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    let account = made["account"]["id"].as_i64().expect("an id");
    let patched = http
        .patch(portal.url(&format!("/api/v1/accounts/{account}")))
        .bearer_auth(&token)
        .header("if-match", "*")
        .json(&json!({ "display_name": "Katherine G. Johnson" }))
        .send()
        .await
        .expect("answer");
    assert_eq!(patched.status(), 200);
    let paid = http
        .post(portal.url(&format!("/api/v1/accounts/{account}/payments")))
        .bearer_auth(&token)
        .header("idempotency-key", "hooks-2")
        .json(&json!({ "amount": "20.00", "method": "bank_transfer", "reference": "BT-HOOKS-1" }))
        .send()
        .await
        .expect("answer");
    assert_eq!(paid.status(), 201);
    // A change that rolls back announces nothing.
    {
        let mut tx = portal.pool.begin().await.expect("tx");
        sqlx::query("update accounts set display_name = 'Never Seen' where id = $1")
            .bind(account)
            .execute(&mut *tx)
            .await
            .expect("update");
        tx.rollback().await.expect("rollback");
    }

    let sender = sender(&portal, keys.clone());
    drain(&sender).await;

    let got = state.lock().expect("lock").got.clone();
    // Every request is signed with the subscription's secret, over its exact bytes.
    for r in &got {
        assert!(
            webhooks::verify(&secret, &r.id, r.timestamp, &r.body, &r.signature),
            "a bad signature on {r:?}"
        );
        assert!(r.id.starts_with("evt_") && r.id.len() == 36, "{}", r.id);
    }
    // The receiver answered 500 twice and saw those two events again.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for r in &got {
        *seen.entry(r.id.clone()).or_default() += 1;
    }
    assert_eq!(seen.values().filter(|n| **n == 2).count(), 2, "{seen:?}");
    assert!(seen.values().all(|n| *n <= 2));

    // After deduplication: each change once, in the account's order.
    let mut firsts = HashSet::new();
    let events: Vec<Value> = got
        .iter()
        .filter(|r| firsts.insert(r.id.clone()))
        .map(|r| serde_json::from_str(&r.body).expect("json"))
        .filter(|e: &Value| e["account_id"] == account)
        .collect();
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        types,
        [
            "account.created",
            "service.activated",
            "account.updated",
            "payment.succeeded"
        ],
        "{events:?}"
    );
    let sequences: Vec<i64> = events
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap_or_default())
        .collect();
    assert_eq!(sequences, [1, 2, 3, 4]);
    assert_eq!(events[3]["data"]["amount"], "20.00");
    assert_eq!(events[1]["data"]["plan_id"], fibre);
    // The retry came after the failure, with the same id and body.
    let created_tries: Vec<&Received> = got.iter().filter(|r| r.id == events[0]["id"]).collect();
    assert_eq!(created_tries.len(), 2);
    assert_eq!(created_tries[0].body, created_tries[1].body);

    // The delivery log has both attempts of the first event: 500 with the answer, then 200.
    let attempts: Vec<(i32, Option<i16>, Option<String>)> = sqlx::query_as(
        "select a.attempt, a.status_code, a.response_excerpt
           from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id
           join webhook_events e on e.id = d.event_id
          where e.account_id = $1 and e.seq = 1 order by a.attempt",
    )
    .bind(account)
    .fetch_all(&portal.pool)
    .await
    .expect("attempts");
    assert_eq!(
        attempts,
        vec![
            (1, Some(500), Some("receiver busy, try later".into())),
            (2, Some(200), Some("thanks".into()))
        ]
    );
    let log = webhooks::log(&portal.pool, subscription, 100)
        .await
        .expect("log");
    assert!(log.iter().all(|l| l.state == "delivered"), "{log:?}");

    // Rotation: two signatures, the new one first; the old secret still verifies.
    let new_secret = {
        let mut conn = portal.pool.acquire().await.expect("conn");
        webhooks::rotate_secret(&mut conn, subscription, &sealer(&keys))
            .await
            .expect("rotated")
    };
    let new_secret = webhooks::parse_secret(&new_secret).expect("a secret");
    // Replay the account.created delivery: the same event, the same webhook-id.
    let first_delivery = log
        .iter()
        .find(|l| l.event_type == "account.created" && l.account_id == account)
        .expect("a delivery");
    let replayed = {
        let mut conn = portal.pool.acquire().await.expect("conn");
        let admin: i64 =
            sqlx::query_scalar("select id from staff_users where role = 'admin' limit 1")
                .fetch_one(&mut *conn)
                .await
                .expect("an admin");
        webhooks::replay(&mut conn, first_delivery.delivery_id, admin)
            .await
            .expect("replayed")
    };
    let before = state.lock().expect("lock").got.len();
    drain(&sender).await;
    let again = state.lock().expect("lock").got[before..].to_vec();
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0].id, first_delivery.webhook_id);
    let parts: Vec<&str> = again[0].signature.split(' ').collect();
    assert_eq!(parts.len(), 2, "{}", again[0].signature);
    assert!(webhooks::verify(
        &new_secret,
        &again[0].id,
        again[0].timestamp,
        &again[0].body,
        parts[0]
    ));
    assert!(webhooks::verify(
        &secret,
        &again[0].id,
        again[0].timestamp,
        &again[0].body,
        parts[1]
    ));
    let state_of: String = sqlx::query_scalar("select state from webhook_deliveries where id = $1")
        .bind(replayed)
        .fetch_one(&portal.pool)
        .await
        .expect("state");
    assert_eq!(state_of, "delivered");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_receiver_that_keeps_failing_is_given_up_on_and_one_that_is_gone_unsubscribed(
    pool: sqlx::PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let keys = Arc::new(app::server::staff::totp_keys::TotpKeys::for_tests());
    let state = Arc::new(Mutex::new(Receiver {
        always: Some(503),
        ..Receiver::default()
    }));
    let url = receiver(state.clone()).await;
    let _ = key(&portal, "crm", &[Scope::Read], 600).await;
    let (subscription, _) = subscribe(&portal, &keys, &url).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    sqlx::query("update accounts set display_name = 'Alex Renamed' where id = $1")
        .bind(alex)
        .execute(&portal.pool)
        .await
        .expect("update");
    sqlx::query("update accounts set display_name = 'Alex Renamed Again' where id = $1")
        .bind(alex)
        .execute(&portal.pool)
        .await
        .expect("update");

    let sender = sender(&portal, keys.clone());
    drain(&sender).await;
    // Three attempts at the first event (the schedule's length), then it failed; the second
    // event waited behind it, then had its own three.
    let got = state.lock().expect("lock").got.clone();
    assert_eq!(got.len(), 6, "{got:?}");
    let ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    assert_ne!(ids[2], ids[3]);
    let states: Vec<(String, i32)> = sqlx::query_as(
        "select state, attempts from webhook_deliveries where subscription_id = $1 order by seq",
    )
    .bind(subscription)
    .fetch_all(&portal.pool)
    .await
    .expect("deliveries");
    assert_eq!(
        states,
        vec![("failed".to_string(), 3), ("failed".to_string(), 3)]
    );

    // 410 Gone: the subscription is disabled and nothing more is queued for it.
    state.lock().expect("lock").always = Some(410);
    sqlx::query("update accounts set display_name = 'Alex Gone' where id = $1")
        .bind(alex)
        .execute(&portal.pool)
        .await
        .expect("update");
    drain(&sender).await;
    let (disabled, reason): (bool, Option<String>) = sqlx::query_as(
        "select disabled_at is not null, disabled_reason from webhook_subscriptions where id = $1",
    )
    .bind(subscription)
    .fetch_one(&portal.pool)
    .await
    .expect("subscription");
    assert!(disabled);
    assert_eq!(reason.as_deref(), Some("the receiver answered 410 Gone"));
    sqlx::query("update accounts set display_name = 'Alex Unheard' where id = $1")
        .bind(alex)
        .execute(&portal.pool)
        .await
        .expect("update");
    let queued: i64 = sqlx::query_scalar(
        "select count(*) from webhook_deliveries where subscription_id = $1 and state = 'pending'",
    )
    .bind(subscription)
    .fetch_one(&portal.pool)
    .await
    .expect("count");
    assert_eq!(queued, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_subscription_failing_for_five_days_is_disabled_and_one_that_recovered_is_not(
    pool: sqlx::PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let keys = Arc::new(app::server::staff::totp_keys::TotpKeys::for_tests());
    let state = Arc::new(Mutex::new(Receiver {
        always: Some(503),
        ..Receiver::default()
    }));
    let url = receiver(state.clone()).await;
    let _ = key(&portal, "crm", &[Scope::Read], 600).await;
    // Three subscriptions to one failing receiver.
    let mut subscriptions = Vec::new();
    for _ in 0..3 {
        subscriptions.push(subscribe(&portal, &keys, &url).await.0);
    }
    let (dead, young, recovered) = (subscriptions[0], subscriptions[1], subscriptions[2]);
    let alex = portal.account_id(ALEX_NUMBER).await;
    sqlx::query("update accounts set display_name = 'Alex Unreachable' where id = $1")
        .bind(alex)
        .execute(&portal.pool)
        .await
        .expect("update");
    drain(&sender(&portal, keys.clone())).await;
    // Their history, moved back in time: the first has failed for six days, the second for
    // four, the third failed six days ago and then succeeded yesterday.
    let age = |subscription: i64, days: i32| {
        sqlx::query(
            "update webhook_attempts a set started_at = started_at - make_interval(days => $2)
               from webhook_deliveries d where d.id = a.delivery_id and d.subscription_id = $1",
        )
        .bind(subscription)
        .bind(days)
        .execute(&portal.pool)
    };
    age(dead, 6).await.expect("aged");
    age(young, 4).await.expect("aged");
    age(recovered, 6).await.expect("aged");
    sqlx::query(
        "insert into webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code)
         select id, 4, now() - interval '1 day', 12, 204 from webhook_deliveries
          where subscription_id = $1",
    )
    .bind(recovered)
    .execute(&portal.pool)
    .await
    .expect("a success");
    // A change waits for each of them.
    sqlx::query("update accounts set display_name = 'Alex Waiting' where id = $1")
        .bind(alex)
        .execute(&portal.pool)
        .await
        .expect("update");

    let disabled = webhooks::disable_failing(&portal.pool)
        .await
        .expect("housekeeping");
    assert_eq!(disabled, vec![dead]);
    let rows: Vec<(i64, bool, Option<String>, i64)> = sqlx::query_as(
        "select s.id, s.disabled_at is not null, s.disabled_reason,
                (select count(*) from webhook_deliveries d where d.subscription_id = s.id
                   and d.state = 'pending')
           from webhook_subscriptions s order by s.id",
    )
    .fetch_all(&portal.pool)
    .await
    .expect("subscriptions");
    assert_eq!(rows.len(), 3);
    assert!(rows[0].1 && rows[0].2.as_deref().unwrap_or_default().contains("5 days"));
    assert_eq!(rows[0].3, 0, "what waited for it is cancelled");
    assert_eq!((rows[1].1, rows[1].3), (false, 1));
    assert_eq!((rows[2].1, rows[2].3), (false, 1));
    // A second pass finds nothing more.
    assert!(webhooks::disable_failing(&portal.pool)
        .await
        .expect("housekeeping")
        .is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn deliveries_older_than_a_month_are_forgotten_with_their_events(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let keys = Arc::new(app::server::staff::totp_keys::TotpKeys::for_tests());
    let state = Arc::new(Mutex::new(Receiver::default()));
    let url = receiver(state.clone()).await;
    let _ = key(&portal, "crm", &[Scope::Read], 600).await;
    let _ = subscribe(&portal, &keys, &url).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    for name in ["Alex One", "Alex Two"] {
        sqlx::query("update accounts set display_name = $2 where id = $1")
            .bind(alex)
            .bind(name)
            .execute(&portal.pool)
            .await
            .expect("update");
    }
    drain(&sender(&portal, keys.clone())).await;
    // The first is 31 days old, the second from today.
    for aging in [
        "update webhook_deliveries set finished_at = now() - interval '31 days',
                created_at = now() - interval '31 days' where seq = 1",
        "update webhook_events set occurred_at = now() - interval '31 days' where seq = 1",
    ] {
        sqlx::query(aging)
            .execute(&portal.pool)
            .await
            .expect("aged");
    }
    let forgotten = webhooks::forget_old(&portal.pool).await.expect("forgotten");
    assert_eq!(forgotten, 1);
    let left: Vec<i64> = sqlx::query_scalar("select seq from webhook_events order by seq")
        .fetch_all(&portal.pool)
        .await
        .expect("events");
    assert_eq!(left, vec![2]);
    let attempts: i64 = sqlx::query_scalar("select count(*) from webhook_attempts")
        .fetch_one(&portal.pool)
        .await
        .expect("attempts");
    assert_eq!(attempts, 1);
}

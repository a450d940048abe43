//! Faults of a real deployment: the instance asked to stop, PostgreSQL restarting under it,
//! the mail server down, Stripe unreachable or slow. Each against the real thing: the `lastmile` binary and a signal,
//! a PostgreSQL cluster of the test's own that it stops and starts, a real SMTP server
//! (aiosmtpd) that is not there and then is.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::integrations::Scope;
use secrecy::SecretString;
use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrations = "../migrations")]
async fn sigterm_lets_requests_in_flight_finish_and_takes_no_new_ones(pool: PgPool) {
    seed(&pool).await;
    let site = scratch("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_lastmile"))
        .arg("serve")
        .env("DATABASE_URL", url_of(&pool).await)
        .env("LASTMILE_LISTEN", format!("127.0.0.1:{port}"))
        .env("LASTMILE_SITE_ROOT", &site)
        .env("LASTMILE_MAIL_DIR", scratch("mail"))
        .env("LASTMILE_SCHEDULER", "off")
        .env("LASTMILE_DRAIN_SECONDS", "2")
        .env("LASTMILE_TOTP_KEY", app::server::staff::totp_keys::TEST_KEY)
        .env("RUST_LOG", "info")
        .env_remove("LASTMILE_LOG_FORMAT")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the lastmile binary runs");
    let base = format!("http://127.0.0.1:{port}");
    // A client per request: a new connection each time, as a load balancer's check makes.
    let fresh = || {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    };
    let readiness = |base: String| async move {
        match fresh().get(format!("{base}/readyz")).send().await {
            Ok(response) => Some((
                response.status().as_u16(),
                response.text().await.unwrap_or_default(),
            )),
            Err(_) => None,
        }
    };
    let up = wait_for(Duration::from_secs(20), || {
        let base = base.clone();
        async move { readiness(base).await == Some((200, "ready".into())) }
    })
    .await;
    assert!(up, "the server did not become ready");

    // A sign-in held in flight: the table it reads first is locked by the test.
    let mut blocker = pool.begin().await.unwrap();
    sqlx::query("lock table login_attempts in access exclusive mode")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let in_flight = tokio::spawn({
        let base = base.clone();
        async move {
            fresh()
                .post(format!("{base}/api/sign-in"))
                .header("origin", &base)
                .header("accept", "application/json")
                .form(&[("identifier", ALEX_EMAIL), ("password", PASSWORD)])
                .send()
                .await
        }
    });
    let waiting = wait_for(Duration::from_secs(20), || {
        let pool = pool.clone();
        async move {
            let waiting: i64 = sqlx::query_scalar(
                "select count(*) from pg_stat_activity
                  where application_name = 'lastmile' and wait_event_type = 'Lock'",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            waiting > 0
        }
    })
    .await;
    assert!(waiting, "the sign-in is waiting on the lock");

    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());

    // Draining: still serving, but no longer ready, so the load balancer sends no more.
    let draining = wait_for(Duration::from_secs(2), || {
        let base = base.clone();
        async move { readiness(base).await == Some((503, "stopping".into())) }
    })
    .await;
    assert!(draining, "/readyz answers 503 while the instance drains");
    // Then no new connections at all...
    let closed = wait_for(Duration::from_secs(10), || {
        let base = base.clone();
        async move { readiness(base).await.is_none() }
    })
    .await;
    assert!(closed, "the listener closes after the drain");
    // ...while the sign-in in flight still waits, and the process with it.
    assert!(!in_flight.is_finished());
    assert!(server.try_wait().unwrap().is_none(), "still running");

    blocker.rollback().await.unwrap();
    let answered = tokio::time::timeout(Duration::from_secs(20), in_flight)
        .await
        .expect("the request in flight is answered")
        .unwrap()
        .expect("its connection stays open until the answer");
    assert_eq!(answered.status().as_u16(), 200, "signed in");
    let recorded: i64 = sqlx::query_scalar(
        "select count(*) from login_attempts where succeeded and scope = 'login'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(recorded, 1, "what it did was committed");

    let exited = wait_for(Duration::from_secs(20), || {
        let done = server.try_wait().unwrap();
        async move { done.is_some() }
    })
    .await;
    assert!(
        exited,
        "the process exits once the request in flight is answered"
    );
    assert!(server.wait().unwrap().success());
}

#[tokio::test]
async fn a_postgresql_restart_answers_503_and_the_pool_recovers_without_a_restart() {
    let cluster = Cluster::start();
    let url = SecretString::from(cluster.url());
    let pool = lastmile::db::connect(&url, 8).await.unwrap();
    lastmile::db::migrate(&pool).await.unwrap();
    let portal = TestPortal::start(pool.clone()).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let (_, token) = crate::api::key(&portal, "faults", &[Scope::Read], 1000).await;
    let api = |path: &'static str| {
        let portal = &portal;
        let token = token.clone();
        async move {
            let response = reqwest::Client::new()
                .get(portal.url(path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    // Every connection of the pool in use once, so that all of them see the restart.
    let pages = futures::future::join_all((0..8).map(|_| portal.page(&alex, "/"))).await;
    assert!(pages.iter().all(|(status, _)| *status == 200));
    assert_eq!(api("/api/v1/plans").await.0, 200);

    cluster.stop();
    let started = Instant::now();
    let ready = reqwest::get(portal.url("/readyz")).await.unwrap();
    assert_eq!(ready.status().as_u16(), 503);
    let (status, body) = portal.page(&alex, "/").await;
    assert_eq!(status, 503, "a page while the database is down: {body}");
    assert!(body.contains("database_down"), "{body}");
    let call = portal.call(&alex, "overview", &[]).await;
    assert_eq!(call.status().as_u16(), 503);
    assert!(call.text().await.unwrap().contains("database_down"));
    let (status, body) = api("/api/v1/plans").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("unavailable"), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "each answer came within the pool's wait, not hung: {:?}",
        started.elapsed()
    );

    // Back (pg_ctl waits until it takes connections). Every connection opened before the
    // restart is dropped rather than failing a request: the same session (kept in the
    // database) works at once, for every request.
    cluster.start_again();
    let pages = futures::future::join_all((0..16).map(|_| portal.page(&alex, "/"))).await;
    let statuses: Vec<u16> = pages.iter().map(|(status, _)| *status).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let ready = reqwest::get(portal.url("/readyz")).await.unwrap();
    assert_eq!(
        ready.status().as_u16(),
        200,
        "ready again without a restart"
    );
    assert_eq!(api("/api/v1/plans").await.0, 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn emails_wait_out_a_mail_server_that_is_down_and_go_once_each_when_it_is_back(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    portal
        .call(
            &portal.browser(),
            "request-password-reset",
            &[("identifier", ALEX_EMAIL)],
        )
        .await;
    let link = crate::auth::reset_link(&portal.pool, ALEX_EMAIL).await;
    let reset_id: i64 =
        sqlx::query_scalar("select max(id) from outbound_emails where kind = 'password_reset'")
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    // Only this email waits (the demo's own emails are set aside).
    sqlx::query("delete from outbound_emails where id <> $1")
        .bind(reset_id)
        .execute(&portal.pool)
        .await
        .unwrap();

    let port = free_port();
    let delivery = lastmile::mail::Delivery::smtp(
        &format!("smtp://127.0.0.1:{port}"),
        "Lastmile <no-reply@example.net>",
    )
    .unwrap();
    let state = || async {
        sqlx::query_as::<_, (i32, bool, bool, bool, bool)>(
            "select attempts, text_body <> '', sent_at is not null, given_up_at is not null,
                    next_attempt_at > now()
               from outbound_emails where id = $1",
        )
        .bind(reset_id)
        .fetch_one(&portal.pool)
        .await
        .unwrap()
    };
    let due_now = || async {
        sqlx::query("update outbound_emails set next_attempt_at = now() where sent_at is null")
            .execute(&portal.pool)
            .await
            .unwrap();
    };

    // Nothing listens: the email waits, its link kept, tried again later.
    let sent = lastmile::mail::deliver_pending(&portal.pool, &delivery)
        .await
        .unwrap();
    assert_eq!(sent, 0);
    assert_eq!(state().await, (1, true, false, false, true));
    // A long outage: more failures than refusals would be allowed, a day old.
    for _ in 0..lastmile::mail::MAX_ATTEMPTS + 2 {
        due_now().await;
        lastmile::mail::deliver_pending(&portal.pool, &delivery)
            .await
            .unwrap();
    }
    sqlx::query("update outbound_emails set created_at = created_at - interval '1 day'")
        .execute(&portal.pool)
        .await
        .unwrap();
    due_now().await;
    lastmile::mail::deliver_pending(&portal.pool, &delivery)
        .await
        .unwrap();
    let (attempts, body_kept, sent, given_up, _) = state().await;
    assert_eq!(attempts, lastmile::mail::MAX_ATTEMPTS + 4);
    assert!(
        body_kept && !sent && !given_up,
        "still waiting, link and all"
    );

    // The mail server is back; twenty more emails come, and two instances share the outbox.
    // aiosmtpd makes the Maildir itself (it must not exist yet).
    let maildir = scratch("mail").join("maildir");
    let _smtp = SmtpServer::start(port, &maildir);
    for n in 0..20 {
        sqlx::query(
            "insert into outbound_emails (kind, to_address, subject, text_body, html_body)
             values ('test', $1, $2, 'text', '<p>html</p>')",
        )
        .bind(format!("subscriber{n}@example.net"))
        .bind(format!("Email {n}"))
        .execute(&portal.pool)
        .await
        .unwrap();
    }
    due_now().await;
    let other = lastmile::mail::Delivery::smtp(
        &format!("smtp://127.0.0.1:{port}"),
        "Lastmile <no-reply@example.net>",
    )
    .unwrap();
    let (a, b) = tokio::join!(
        lastmile::mail::deliver_pending(&portal.pool, &delivery),
        lastmile::mail::deliver_pending(&portal.pool, &other)
    );
    let errors: Vec<Option<String>> =
        sqlx::query_scalar("select last_error from outbound_emails where sent_at is null")
            .fetch_all(&portal.pool)
            .await
            .unwrap();
    assert_eq!(a.unwrap() + b.unwrap(), 21, "{errors:?}");
    let (_, body_kept, sent, given_up, _) = state().await;
    assert!(sent && !body_kept && !given_up);

    let received = SmtpServer::received(&maildir);
    assert_eq!(received.len(), 21, "each email once");
    let reset: Vec<&String> = received
        .iter()
        .filter(|m| m.contains("To: alex.morgan@example.net"))
        .collect();
    assert_eq!(reset.len(), 1);
    assert!(
        unquoted(reset[0]).contains(&link),
        "the reset link arrived as it was written: {}",
        reset[0]
    );
    // Each names its outbox row, so a receiver could tell a resent one.
    let ids: std::collections::BTreeSet<&str> = received
        .iter()
        .filter_map(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("Message-ID: <outbound-"))
        })
        .collect();
    assert_eq!(ids.len(), 21);
    assert!(ids.iter().any(|id| id.starts_with(&format!("{reset_id}."))));
    let mut subjects: Vec<&str> = received
        .iter()
        .filter_map(|m| m.lines().find_map(|l| l.strip_prefix("Subject: Email ")))
        .collect();
    subjects.sort_by_key(|n| n.parse::<u32>().unwrap());
    let expected: Vec<String> = (0..20).map(|n| n.to_string()).collect();
    assert_eq!(subjects, expected);
}

/// A portal whose Stripe (`stripe`) answers, Alex's account id, and a card saved for it at
/// Stripe.
async fn alex_with_a_saved_card(
    pool: &PgPool,
    stripe: Arc<engine::cards::Stripe>,
) -> (TestPortal, i64, String) {
    let portal = TestPortal::start_with(pool.clone(), |t| {
        t.config.billing.stripe = Some(stripe);
    })
    .await;
    let alex_id = portal.account_id(ALEX_NUMBER).await;
    let card = crate::payments::saved_card(&portal, alex_id, "4242424242424242")
        .await
        .to_string();
    (portal, alex_id, card)
}

/// The pay form's fields for 31.20 on the saved `card`, as attempt `attempt`.
fn pay_form<'a>(attempt: &'a str, card: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("amount", "31.20"),
        ("attempt", attempt),
        ("saved_card", card),
    ]
}

#[sqlx::test(migrations = "../migrations")]
async fn with_stripe_unreachable_a_payment_is_refused_plainly_and_the_next_attempt_pays_once(
    pool: PgPool,
) {
    let (portal, alex_id, card) = alex_with_a_saved_card(&pool, stripe()).await;
    // A second instance whose way to Stripe is cut: nothing listens where it calls.
    let cut_off = TestPortal::serve_with(pool, |t| {
        t.config.billing.stripe = Some(stripe_at(&format!("http://127.0.0.1:{}", free_port())));
    })
    .await;
    let ledger = |portal: &TestPortal| {
        let pool = portal.pool.clone();
        async move {
            sqlx::query_as::<_, (i64, rust_decimal::Decimal)>(
                "select count(*), coalesce(sum(amount), 0) from ledger_entries where account_id = $1",
            )
            .bind(alex_id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (entries_before, balance_before) = ledger(&portal).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let form = pay_form("stripe-is-down-attempt-01", &card);

    let refused = cut_off.call(&alex, "start-card-payment", &form).await;
    assert_eq!(refused.status().as_u16(), 503);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "unavailable", "{body}");
    assert_eq!(
        ledger(&portal).await,
        (entries_before, balance_before),
        "nothing charged, nothing recorded"
    );
    // Its receipt says nothing of waiting for Stripe, which never had it, and offers to pay.
    let unreached: i64 = sqlx::query_scalar("select id from payments where idempotency_key = $1")
        .bind("card:stripe-is-down-attempt-01")
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    let (_, html) = portal.page(&alex, &format!("/payments/{unreached}")).await;
    assert_eq!(testid_text(&html, "receipt-not-finished"), None);
    assert!(testid_text(&html, "receipt-pay-again").is_some());
    // The card form shows the answer through the same words function, in each language.
    let error: app::error::AppError = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(
        (app::i18n::Texts::for_locale("en-US").error)(&error),
        "We couldn't reach our card processor. Nothing was charged; please try again in a moment."
    );
    for locale in ["es-US", "fr-CA"] {
        let words = (app::i18n::Texts::for_locale(locale).error)(&error);
        let english = (app::i18n::Texts::for_locale("en-US").error)(&error);
        assert!(!words.is_empty() && words != english, "{locale}: {words}");
    }

    // The next attempt, once Stripe answers (here through the other instance), pays once.
    let paid: serde_json::Value = portal
        .call(&alex, "start-card-payment", &form)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paid["state"], "succeeded", "{paid}");
    let again: serde_json::Value = portal
        .call(&alex, "start-card-payment", &form)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["payment_id"], paid["payment_id"]);
    let payments: i64 =
        sqlx::query_scalar("select count(*) from payments where idempotency_key = $1")
            .bind("card:stripe-is-down-attempt-01")
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(payments, 1, "one payment for the attempt");
    assert_eq!(
        ledger(&portal).await,
        (
            entries_before + 1,
            balance_before - rust_decimal::Decimal::new(3120, 2)
        ),
        "recorded once"
    );
}

/// A way to `upstream` (host:port) that takes `delay` to bring each answer back: requests
/// go through at once, so Stripe acts on them, and the answers are held. Its address.
async fn slow_way_to(upstream: String, delay: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                let (mut from_client, mut to_client) = client.into_split();
                let (mut from_server, mut to_server) = server.into_split();
                let requests = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut from_client, &mut to_server).await;
                });
                let mut buffer = vec![0u8; 16 * 1024];
                while let Ok(n @ 1..) = from_server.read(&mut buffer).await {
                    tokio::time::sleep(delay).await;
                    if to_client.write_all(&buffer[..n]).await.is_err() {
                        break;
                    }
                }
                requests.abort();
            });
        }
    });
    format!("http://{address}")
}

#[sqlx::test(migrations = "../migrations")]
async fn with_stripe_slow_a_charge_is_left_pending_never_refused_and_is_recorded_once_when_stripe_answers(
    pool: PgPool,
) {
    // An API key of the test's own, for which localstripe remembers idempotency keys as
    // Stripe does (scripts/localstripe/serve.py).
    let key = format!("sk_test_idem_{}", chrono::Utc::now().timestamp_micros());
    let (portal, alex_id, card) = alex_with_a_saved_card(
        &pool,
        stripe_answering_within(&stripe_url(), engine::cards::ANSWER_WITHIN, &key),
    )
    .await;
    // A second instance whose Stripe answers in 3 s, and which waits 1 s for an answer.
    let upstream = stripe_url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let slow = slow_way_to(upstream, Duration::from_secs(3)).await;
    let waiting = TestPortal::serve_with(pool, |t| {
        t.config.billing.stripe =
            Some(stripe_answering_within(&slow, Duration::from_secs(1), &key));
    })
    .await;
    let payments_recorded = || {
        let pool = portal.pool.clone();
        async move {
            sqlx::query_scalar::<_, rust_decimal::Decimal>(
                "select l.amount from ledger_entries l join payments p on p.id = l.payment_id
                  where l.account_id = $1 and p.idempotency_key = 'card:stripe-is-slow-attempt-01'",
            )
            .bind(alex_id)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let charges_at_stripe = || {
        let pool = portal.pool.clone();
        async move {
            let customer: String =
                sqlx::query_scalar("select stripe_customer_id from accounts where id = $1")
                    .bind(alex_id)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            let charges = at_stripe("/v1/charges", &[("customer", customer.as_str())]).await;
            charges["data"].as_array().expect("charges").clone()
        }
    };
    assert!(payments_recorded().await.is_empty());
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let form = pay_form("stripe-is-slow-attempt-01", &card);

    // Stripe took the charge, its answer did not come in time: not refused (the card may
    // have been charged), not recorded as paid; the payment is left pending.
    let answer = waiting.call(&alex, "start-card-payment", &form).await;
    assert_eq!(answer.status().as_u16(), 200);
    let progress: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(progress["state"], "pending", "{progress}");
    assert!(progress["client_secret"].is_null(), "{progress}");
    let payment_id = progress["payment_id"].as_i64().unwrap();
    let state = || {
        let pool = portal.pool.clone();
        async move {
            sqlx::query_as::<_, (String, Option<String>, bool)>(
                "select status, stripe_payment_intent_id, stripe_unanswered_at is not null
                   from payments where id = $1",
            )
            .bind(payment_id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(state().await, ("pending".to_string(), None, true));
    assert!(payments_recorded().await.is_empty());

    // The receipt the pay form goes to asks Stripe again, still gets no answer in time, and
    // asks not to pay again, offering no second payment.
    let (code, html) = waiting
        .page(&alex, &format!("/payments/{payment_id}"))
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        testid_text(&html, "receipt-not-finished").map(|t| t.replace("&#x27;", "'")),
        Some(
            app::i18n::Texts::for_locale("en-US")
                .pay()
                .not_finished
                .to_string()
        )
    );
    assert_eq!(
        testid_text(&html, "receipt-pay-again"),
        None,
        "no second payment is offered"
    );
    assert!(payments_recorded().await.is_empty());

    // At Stripe, one charge, for our payment: asking again under the same key made none.
    let made = charges_at_stripe().await;
    assert_eq!(made.len(), 1, "{made:?}");
    let intent_id = made[0]["payment_intent"].as_str().unwrap().to_string();
    let intent = at_stripe(&format!("/v1/payment_intents/{intent_id}"), &[]).await;
    assert_eq!(intent["status"], "succeeded", "{intent}");
    assert_eq!(intent["metadata"]["payment_id"], payment_id.to_string());

    // Stripe keeps an idempotency key for 24 hours: after 20, the receipt no longer asks
    // (the same request could then charge again), and the payment waits as it was.
    let unanswered_since = |interval: &'static str| {
        let pool = portal.pool.clone();
        async move {
            sqlx::query(&format!(
                "update payments set stripe_unanswered_at = now() - interval '{interval}'
                  where id = $1"
            ))
            .bind(payment_id)
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    unanswered_since("21 hours").await;
    let (_, html) = portal.page(&alex, &format!("/payments/{payment_id}")).await;
    assert!(testid_text(&html, "receipt-not-finished").is_some());
    assert!(payments_recorded().await.is_empty());
    assert_eq!(state().await.0, "pending");
    unanswered_since("1 minute").await;

    // Once Stripe answers in time, the receipt's question gets Stripe's first answer:
    // paid, recorded once, and no second charge.
    let (_, html) = portal.page(&alex, &format!("/payments/{payment_id}")).await;
    assert_eq!(testid_text(&html, "receipt-state").as_deref(), Some("Paid"));
    assert_eq!(testid_text(&html, "receipt-not-finished"), None);
    assert!(testid_text(&html, "receipt-pay-again").is_some());
    assert_eq!(
        payments_recorded().await,
        [rust_decimal::Decimal::new(-3120, 2)]
    );
    assert_eq!(
        state().await,
        ("succeeded".to_string(), Some(intent_id.clone()), false)
    );
    assert_eq!(charges_at_stripe().await.len(), 1);

    // Stripe's webhook for it, twice (Stripe delivers at least once): nothing more.
    let now = chrono::Utc::now().timestamp();
    let event = serde_json::to_vec(&serde_json::json!({
        "id": "evt_slow_1", "object": "event", "type": "payment_intent.succeeded",
        "created": now, "data": { "object": intent }
    }))
    .unwrap();
    for _ in 0..2 {
        let delivered = reqwest::Client::new()
            .post(portal.url("/webhooks/stripe"))
            .header("content-type", "application/json")
            .header(
                "stripe-signature",
                engine::cards::webhook::sign(&event, "whsec_payments", now),
            )
            .body(event.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(delivered.status().as_u16(), 200);
    }
    assert_eq!(
        payments_recorded().await,
        [rust_decimal::Decimal::new(-3120, 2)]
    );
}

/// A message's quoted-printable parts read back: soft line breaks joined, `=XX` decoded.
fn unquoted(message: &str) -> String {
    let joined = message.replace("=\r\n", "").replace("=\n", "");
    let mut bytes = Vec::new();
    let mut rest = joined.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        let hex = tail
            .get(..2)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (first, hex) {
            (b'=', Some(byte)) => {
                bytes.push(byte);
                rest = &tail[2..];
            }
            _ => {
                bytes.push(first);
                rest = tail;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A port nothing listens on (bound and let go).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `check` every 100 ms until it holds or `limit` passes.
async fn wait_for<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A PostgreSQL cluster of the test's own, on a port of its own, from the machine's
/// PostgreSQL binaries (run as the `postgres` user when the tests run as root, which
/// PostgreSQL refuses to be).
struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    fn start() -> Cluster {
        let bin = postgres_bin_dir();
        let dir = std::env::temp_dir().join(format!(
            "lastmile-pg-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            run(Command::new("chown").arg("postgres:postgres").arg(&dir));
        }
        let cluster = Cluster {
            bin,
            dir,
            port: free_port(),
        };
        run(cluster
            .as_postgres("initdb")
            .args(["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
            .args(["--locale", "C.UTF-8", "-D"])
            .arg(cluster.dir.join("data")));
        cluster.start_again();
        cluster
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn as_postgres(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        run(self
            .as_postgres("pg_ctl")
            .args(["-w", "-t", "30", "-o", &options, "-l"])
            .arg(self.dir.join("log"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("start"));
    }

    /// Stops it the way an operator's restart does: sessions are ended (`-m fast`).
    fn stop(&self) {
        run(self
            .as_postgres("pg_ctl")
            .args(["-w", "-m", "fast", "-D"])
            .arg(self.dir.join("data"))
            .arg("stop"));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .as_postgres("pg_ctl")
            .args(["-m", "immediate", "-D"])
            .arg(self.dir.join("data"))
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The newest PostgreSQL's programs (Debian keeps them under /usr/lib/postgresql/N/bin).
fn postgres_bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect(
            "PostgreSQL's server programs under /usr/lib/postgresql (scripts/test installs them)",
        )
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let version = path.file_name()?.to_str()?.parse().ok()?;
            path.join("bin/initdb")
                .exists()
                .then(|| (version, path.join("bin")))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("initdb under /usr/lib/postgresql/*/bin")
        .1
}

fn run(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// aiosmtpd (a real SMTP server, from PyPI; `scripts/test` installs it and names it in
/// `LASTMILE_TEST_AIOSMTPD`), keeping what it receives in a Maildir.
struct SmtpServer(std::process::Child);

impl SmtpServer {
    fn start(port: u16, maildir: &Path) -> SmtpServer {
        let program = std::env::var("LASTMILE_TEST_AIOSMTPD").expect(
            "LASTMILE_TEST_AIOSMTPD names aiosmtpd's program (scripts/test installs it: run the tests with scripts/test)",
        );
        let child = Command::new(program)
            .args(["-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        SmtpServer(child)
    }

    /// The messages received, as text.
    fn received(maildir: &Path) -> Vec<String> {
        std::fs::read_dir(maildir.join("new"))
            .map(|entries| {
                entries
                    .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

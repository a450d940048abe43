//! Card payments against a real PostgreSQL and localstripe (Stripe's API stand-in, at
//! `LASTMILE_TEST_STRIPE_URL`, default http://127.0.0.1:8420; `scripts/test` starts it).
//! What Stripe.js would do in the browser (confirm a PaymentIntent or a SetupIntent with a
//! typed card, answer 3-D Secure) is done here with localstripe's own routes for it.

mod common;

use billing::{Currency, Money};
use chrono::Utc;
use common::*;
use engine::cards::{self, payments, CardPayment, PayRequest, PaymentState, Source, Stripe};
use engine::EngineConfig;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::PgPool;

use common::stripe::{
    browser_authenticates, browser_confirms_payment, browser_confirms_setup, card_config,
    intent_json, payment_method_json,
};

fn attempt(n: u32) -> String {
    format!("test-attempt-{n:08}-{}", std::process::id())
}

/// An account owing its first statement: $60.00 + 8.25% tax = $64.95.
async fn owing(pool: &PgPool, number: &str) -> (i64, i64) {
    let j = jurisdiction(pool, "US-IL", "Sales tax", dec!(0.0825), false).await;
    let p = plan(pool, "cable-300", dec!(60.00), None, None).await;
    let (account, _) = account(pool, number, "postpaid", 5, j, p, d(2026, 11, 5)).await;
    bill(pool, d(2026, 11, 5)).await;
    let statement: i64 = sqlx::query_scalar("select id from statements where account_id = $1")
        .bind(account)
        .fetch_one(pool)
        .await
        .unwrap();
    (account, statement)
}

fn request(account: i64, statement: Option<i64>, amount: Decimal, n: u32) -> PayRequest {
    PayRequest {
        account_id: account,
        amount: Money::new(amount, Currency::USD),
        statement_id: statement,
        data_addon_id: None,
        source: Source::Portal,
        login_id: None,
        attempt: attempt(n),
        saved_card: None,
        save_card: false,
        assisted: None,
    }
}

/// Pays with a new card the way the browser does; returns the result.
async fn pay_new_card(
    pool: &PgPool,
    config: &EngineConfig,
    request: &PayRequest,
    number: &str,
) -> CardPayment {
    let stripe = config.stripe.clone().unwrap();
    let started = payments::start(pool, &stripe, config, request)
        .await
        .unwrap();
    assert_eq!(started.state, PaymentState::Pending);
    let secret = started
        .client_secret
        .expect("a new card starts with its PaymentIntent's secret");
    // A declined card is refused by the confirm itself; the server learns it from Stripe.
    let _ = browser_confirms_payment(&secret, number).await;
    payments::refresh(
        pool,
        &stripe,
        config,
        request.account_id,
        started.payment_id,
    )
    .await
    .expect("the payment as Stripe has it")
}

async fn payment_entries(pool: &PgPool, account: i64) -> Vec<Decimal> {
    sqlx::query_scalar(
        "select amount from ledger_entries where account_id = $1 and kind = 'payment' order by id",
    )
    .bind(account)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// A stop that is never asked for.
fn go() -> tokio_util::sync::CancellationToken {
    tokio_util::sync::CancellationToken::new()
}

async fn emails(pool: &PgPool, kind: &str) -> i64 {
    count(
        pool,
        &format!("select count(*) from outbound_emails where kind = '{kind}'"),
    )
    .await
}

#[sqlx::test(migrations = "../migrations")]
async fn a_new_card_pays_the_statement_once_with_a_receipt(pool: PgPool) {
    let config = card_config();
    let (account, statement) = owing(&pool, "30000001").await;
    assert_eq!(balance(&pool, account).await, dec!(64.95));

    let paid = pay_new_card(
        &pool,
        &config,
        &request(account, Some(statement), dec!(64.95), 1),
        "4242424242424242",
    )
    .await;
    assert_eq!(paid.state, PaymentState::Succeeded, "{paid:?}");
    assert_eq!(payment_entries(&pool, account).await, [dec!(-64.95)]);
    assert_eq!(balance(&pool, account).await, dec!(0.00));
    let (status, brand, last4): (String, Option<String>, Option<String>) = sqlx::query_as(
        "select s.status, p.card_brand, p.card_last4::text from statements s, payments p
          where s.id = $1 and p.id = $2",
    )
    .bind(statement)
    .bind(paid.payment_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), brand.as_deref(), last4.as_deref()),
        ("paid", Some("visa"), Some("4242"))
    );
    assert_eq!(emails(&pool, "payment_receipt").await, 1);

    // The browser's return arriving again (a reload of the receipt) changes nothing.
    let stripe = config.stripe.clone().unwrap();
    let again = payments::refresh(&pool, &stripe, &config, account, paid.payment_id)
        .await
        .unwrap();
    assert_eq!(again.state, PaymentState::Succeeded);
    assert_eq!(payment_entries(&pool, account).await, [dec!(-64.95)]);
    assert_eq!(emails(&pool, "payment_receipt").await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_double_click_makes_one_payment_and_one_payment_intent(pool: PgPool) {
    let config = card_config();
    let stripe = config.stripe.clone().unwrap();
    let (account, statement) = owing(&pool, "30000002").await;
    // Save a card, then pay with it twice at once with the same attempt key.
    let secret = cards::saved::start_setup(&pool, &stripe, account)
        .await
        .unwrap();
    let setup = browser_confirms_setup(&secret, "4242424242424242")
        .await
        .unwrap();
    let card = cards::saved::finish_setup(&pool, &stripe, account, &setup)
        .await
        .unwrap();
    let click = PayRequest {
        saved_card: Some(card),
        ..request(account, Some(statement), dec!(64.95), 2)
    };
    let (a, b) = tokio::join!(
        payments::start(&pool, &stripe, &config, &click),
        payments::start(&pool, &stripe, &config, &click)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.payment_id, b.payment_id);
    assert_eq!(
        (a.state, b.state),
        (PaymentState::Succeeded, PaymentState::Succeeded)
    );
    let intents = count(
        &pool,
        "select count(distinct stripe_payment_intent_id) from payments where stripe_payment_intent_id is not null",
    )
    .await;
    assert_eq!(intents, 1);
    assert_eq!(count(&pool, "select count(*) from payments").await, 1);
    assert_eq!(payment_entries(&pool, account).await, [dec!(-64.95)]);

    // The same attempt with another amount is refused, not charged.
    let changed = PayRequest {
        amount: Money::new(dec!(10.00), Currency::USD),
        ..click.clone()
    };
    let refused = payments::start(&pool, &stripe, &config, &changed).await;
    assert!(
        matches!(refused, Err(engine::EngineError::Conflict(_))),
        "{refused:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn three_d_secure_completed_pays_and_failed_does_not(pool: PgPool) {
    let config = card_config();
    let stripe = config.stripe.clone().unwrap();
    let (account, statement) = owing(&pool, "30000003").await;

    let asked = pay_new_card(
        &pool,
        &config,
        &request(account, Some(statement), dec!(20.00), 3),
        "4000002500003155",
    )
    .await;
    assert_eq!(asked.state, PaymentState::RequiresAction);
    let secret = asked
        .client_secret
        .clone()
        .expect("a secret for 3-D Secure");
    assert!(payment_entries(&pool, account).await.is_empty());
    browser_authenticates(&secret, false).await;
    let failed = payments::refresh(&pool, &stripe, &config, account, asked.payment_id)
        .await
        .unwrap();
    assert_eq!(failed.state, PaymentState::Failed);
    assert_eq!(
        failed.decline.unwrap().code,
        "payment_intent_authentication_failure"
    );
    assert!(payment_entries(&pool, account).await.is_empty());

    // A new attempt (a new payment) with the same card, completed this time.
    let asked = pay_new_card(
        &pool,
        &config,
        &request(account, Some(statement), dec!(20.00), 4),
        "4000002500003155",
    )
    .await;
    assert_eq!(asked.state, PaymentState::RequiresAction);
    browser_authenticates(&asked.client_secret.unwrap(), true).await;
    let paid = payments::refresh(&pool, &stripe, &config, account, asked.payment_id)
        .await
        .unwrap();
    assert_eq!(paid.state, PaymentState::Succeeded);
    assert_eq!(payment_entries(&pool, account).await, [dec!(-20.00)]);
    assert_eq!(balance(&pool, account).await, dec!(44.95));
}

/// The payment's kept card: (id, brand, last four, default, Stripe id), and its customer.
async fn kept_card(pool: &PgPool, payment_id: i64) -> (i64, String, String, bool, String, String) {
    sqlx::query_as(
        "select m.id, m.brand, m.last4::text, m.is_default, m.stripe_payment_method_id,
                a.stripe_customer_id
           from payments p join payment_methods m on m.id = p.payment_method_id
           join accounts a on a.id = p.account_id
          where p.id = $1",
    )
    .bind(payment_id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_new_card_kept_for_later_is_checked_by_the_bank_once(pool: PgPool) {
    let config = card_config();
    let stripe = config.stripe.clone().unwrap();
    let (account, statement) = owing(&pool, "30000011").await;
    let keep = PayRequest {
        save_card: true,
        ..request(account, Some(statement), dec!(64.95), 21)
    };
    let started = payments::start(&pool, &stripe, &config, &keep)
        .await
        .unwrap();
    assert_eq!(started.state, PaymentState::Pending);
    let secret = started.client_secret.clone().unwrap();
    let intent_id = secret.split("_secret_").next().unwrap().to_string();
    // Stripe is asked to set the card up for later as it is charged: no SetupIntent.
    assert_eq!(
        intent_json(&intent_id).await["setup_future_usage"],
        "off_session"
    );
    // The bank asks as the payment is confirmed, and the one answer pays.
    assert_eq!(
        browser_confirms_payment(&secret, "4000002500003155").await,
        Ok("requires_action".to_string())
    );
    browser_authenticates(&secret, true).await;
    let paid = payments::refresh(&pool, &stripe, &config, account, started.payment_id)
        .await
        .unwrap();
    assert_eq!(paid.state, PaymentState::Succeeded, "{paid:?}");
    assert_eq!(payment_entries(&pool, account).await, [dec!(-64.95)]);
    // The card is kept: the account's default, attached to its Stripe customer.
    let (_, brand, last4, default, method, customer) = kept_card(&pool, paid.payment_id).await;
    assert_eq!(
        (brand.as_str(), last4.as_str(), default),
        ("visa", "3155", true)
    );
    assert_eq!(
        payment_method_json(&method).await["customer"],
        customer.as_str()
    );
    let setups: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/setup_intents", common::stripe::url()))
        .basic_auth(common::stripe::SK, Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !setups["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["customer"] == customer.as_str()),
        "no SetupIntent was made for this customer: {setups}"
    );
    // Reading the payment again keeps nothing twice.
    payments::refresh(&pool, &stripe, &config, account, paid.payment_id)
        .await
        .unwrap();
    assert_eq!(
        count(
            &pool,
            &format!("select count(*) from payment_methods where account_id = {account}")
        )
        .await,
        1
    );

    // Without the wish, the card is charged and not kept.
    let once = pay_new_card(
        &pool,
        &config,
        &request(account, None, dec!(10.00), 22),
        "4242424242424242",
    )
    .await;
    assert_eq!(once.state, PaymentState::Succeeded);
    let kept: Option<i64> =
        sqlx::query_scalar("select payment_method_id from payments where id = $1")
            .bind(once.payment_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(kept, None);
    let intent = intent_json(&intent_of(&pool, once.payment_id).await).await;
    assert_eq!(intent["setup_future_usage"], serde_json::Value::Null);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_card_to_keep_is_kept_when_stripes_webhook_arrives_before_the_browser(pool: PgPool) {
    let config = card_config();
    let stripe = config.stripe.clone().unwrap();
    let (account, statement) = owing(&pool, "30000012").await;
    let keep = PayRequest {
        save_card: true,
        ..request(account, Some(statement), dec!(64.95), 23)
    };
    let started = payments::start(&pool, &stripe, &config, &keep)
        .await
        .unwrap();
    let secret = started.client_secret.clone().unwrap();
    assert_eq!(
        browser_confirms_payment(&secret, "4242424242424242").await,
        Ok("succeeded".to_string())
    );
    // The browser's tab is closed; Stripe's webhook tells the news.
    let intent_id = intent_of(&pool, started.payment_id).await;
    let body = event(
        "evt_kept_1",
        "payment_intent.succeeded",
        Utc::now().timestamp(),
        &intent_json(&intent_id).await,
    );
    use engine::cards::webhook::{handle, Handled};
    assert_eq!(
        handle(&pool, &config, &body).await.unwrap(),
        Handled::Applied("payment succeeded".into())
    );
    let (card, brand, last4, _, _, _) = kept_card(&pool, started.payment_id).await;
    assert_eq!((brand.as_str(), last4.as_str()), ("visa", "4242"));
    // The receipt names the card.
    let receipt: String =
        sqlx::query_scalar("select text_body from outbound_emails where kind = 'payment_receipt'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(receipt.contains("Visa ending 4242"), "{receipt}");
    // The browser comes back later: the same card, kept once.
    let seen = payments::refresh(&pool, &stripe, &config, account, started.payment_id)
        .await
        .unwrap();
    assert_eq!(seen.state, PaymentState::Succeeded);
    assert_eq!(kept_card(&pool, started.payment_id).await.0, card);
    assert_eq!(
        count(
            &pool,
            &format!("select count(*) from payment_methods where account_id = {account}")
        )
        .await,
        1
    );
    assert_eq!(payment_entries(&pool, account).await, [dec!(-64.95)]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_declined_card_records_nothing_and_says_why(pool: PgPool) {
    let config = card_config();
    let (account, statement) = owing(&pool, "30000004").await;
    let declined = pay_new_card(
        &pool,
        &config,
        &request(account, Some(statement), dec!(64.95), 5),
        "4000000000000341",
    )
    .await;
    assert_eq!(declined.state, PaymentState::Failed);
    assert_eq!(declined.decline.unwrap().code, "card_declined");
    assert!(payment_entries(&pool, account).await.is_empty());
    let (status, code): (String, Option<String>) =
        sqlx::query_as("select status, failure_code from payments where id = $1")
            .bind(declined.payment_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), code.as_deref()),
        ("failed", Some("card_declined"))
    );
    // A card refused as the browser confirms: Stripe.js is told, and so is the server.
    let stripe = config.stripe.clone().unwrap();
    let started = payments::start(
        &pool,
        &stripe,
        &config,
        &request(account, Some(statement), dec!(64.95), 6),
    )
    .await
    .unwrap();
    let refused =
        browser_confirms_payment(&started.client_secret.unwrap(), "4000000000000002").await;
    assert_eq!(refused, Err("card_declined".to_string()));
    let seen = payments::refresh(&pool, &stripe, &config, account, started.payment_id)
        .await
        .unwrap();
    assert_eq!(seen.state, PaymentState::Failed);
    assert_eq!(seen.client_secret, None, "a refused payment is over");
    assert!(payment_entries(&pool, account).await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn amounts_outside_the_limits_and_other_accounts_ids_are_refused(pool: PgPool) {
    let config = card_config();
    let stripe = config.stripe.clone().unwrap();
    let (account, _) = owing(&pool, "30000005").await;
    let (other, other_statement) = {
        let (a, _) = common::account(
            &pool,
            "30000006",
            "postpaid",
            5,
            jurisdiction(&pool, "US-WI", "Sales tax", dec!(0.05), false).await,
            plan(&pool, "dsl-50", dec!(40.00), None, None).await,
            d(2026, 10, 5),
        )
        .await;
        bill(&pool, d(2026, 11, 5)).await;
        let s: i64 = sqlx::query_scalar("select id from statements where account_id = $1")
            .bind(a)
            .fetch_one(&pool)
            .await
            .unwrap();
        (a, s)
    };
    for amount in [dec!(0.50), dec!(5000.01), dec!(10.001)] {
        let refused =
            payments::start(&pool, &stripe, &config, &request(account, None, amount, 7)).await;
        assert!(
            matches!(refused, Err(engine::EngineError::Invalid(_))),
            "{amount}: {refused:?}"
        );
    }
    // Another account's statement.
    let refused = payments::start(
        &pool,
        &stripe,
        &config,
        &request(account, Some(other_statement), dec!(10.00), 8),
    )
    .await;
    assert!(
        matches!(refused, Err(engine::EngineError::NotFound)),
        "{refused:?}"
    );
    // Another account's payment.
    let theirs = payments::start(
        &pool,
        &stripe,
        &config,
        &request(other, Some(other_statement), dec!(10.00), 9),
    )
    .await
    .unwrap();
    let refused = payments::refresh(&pool, &stripe, &config, account, theirs.payment_id).await;
    assert!(
        matches!(refused, Err(engine::EngineError::NotFound)),
        "{refused:?}"
    );
    // Another account's payment, started again under this account's name.
    let refused = payments::start(
        &pool,
        &stripe,
        &config,
        &request(account, None, dec!(10.00), 9),
    )
    .await;
    assert!(
        matches!(refused, Err(engine::EngineError::NotFound)),
        "{refused:?}"
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from ledger_entries where kind = 'payment'"
        )
        .await,
        0
    );
}

/// A signed webhook body for a PaymentIntent as Stripe would send it.
fn event(id: &str, kind: &str, created: i64, intent: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id, "object": "event", "type": kind, "created": created,
        "data": { "object": intent }
    }))
    .unwrap()
}

/// The PaymentIntent a payment was made with.
async fn intent_of(pool: &PgPool, payment_id: i64) -> String {
    sqlx::query_scalar("select stripe_payment_intent_id from payments where id = $1")
        .bind(payment_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn webhooks_apply_once_in_any_order_and_across_a_restart(pool: PgPool) {
    let config = card_config();
    let (account, statement) = owing(&pool, "30000007").await;
    // A 3-D Secure payment is created; then the server "restarts" (a new client, new pool
    // connections) before the browser comes back.
    let asked = pay_new_card(
        &pool,
        &config,
        &request(account, Some(statement), dec!(64.95), 10),
        "4000002500003155",
    )
    .await;
    assert_eq!(asked.state, PaymentState::RequiresAction);
    let restarted = card_config();
    let again = payments::start(
        &pool,
        restarted.stripe.as_ref().unwrap(),
        &restarted,
        &request(account, Some(statement), dec!(64.95), 10),
    )
    .await
    .unwrap();
    assert_eq!(again.payment_id, asked.payment_id);
    assert_eq!(again.state, PaymentState::RequiresAction);
    assert_eq!(again.client_secret, asked.client_secret);
    browser_authenticates(&asked.client_secret.clone().unwrap(), true).await;

    let intent_id = intent_of(&pool, asked.payment_id).await;
    let succeeded = intent_json(&intent_id).await;
    assert_eq!(succeeded["status"], "succeeded");
    let mut failed = succeeded.clone();
    failed["status"] = "requires_payment_method".into();
    failed["last_payment_error"] =
        serde_json::json!({"code": "card_declined", "message": "Your card was declined."});
    let t = Utc::now().timestamp();

    // Succeeded arrives; then it arrives again; then an older failure arrives late.
    let ok = event("evt_ok_1", "payment_intent.succeeded", t, &succeeded);
    let late = event(
        "evt_late_1",
        "payment_intent.payment_failed",
        t - 30,
        &failed,
    );
    use engine::cards::webhook::{handle, Handled};
    assert_eq!(
        handle(&pool, &restarted, &ok).await.unwrap(),
        Handled::Applied("payment succeeded".into())
    );
    assert_eq!(
        handle(&pool, &restarted, &ok).await.unwrap(),
        Handled::Repeat
    );
    assert_eq!(
        handle(&pool, &restarted, &late).await.unwrap(),
        Handled::Applied("payment succeeded".into())
    );
    // The browser's own return after all that.
    let seen = payments::refresh(
        &pool,
        restarted.stripe.as_ref().unwrap(),
        &restarted,
        account,
        asked.payment_id,
    )
    .await
    .unwrap();
    assert_eq!(seen.state, PaymentState::Succeeded);
    assert_eq!(payment_entries(&pool, account).await, [dec!(-64.95)]);
    assert_eq!(emails(&pool, "payment_receipt").await, 1);
    assert_eq!(
        count(
            &pool,
            "select count(*) from stripe_events where processed_at is not null"
        )
        .await,
        2
    );

    // The database itself refuses to turn a succeeded payment back.
    let refused = sqlx::query("update payments set status = 'failed' where id = $1")
        .bind(asked.payment_id)
        .execute(&pool)
        .await;
    assert!(refused.is_err());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failure_then_a_late_success_for_the_same_intent_records_the_success(pool: PgPool) {
    // Out of order the other way: the failure is newer than nothing we know, then a success
    // older than it arrives. A success is final and always applied.
    let config = card_config();
    let (account, statement) = owing(&pool, "30000008").await;
    let asked = pay_new_card(
        &pool,
        &config,
        &request(account, Some(statement), dec!(30.00), 11),
        "4000002500003155",
    )
    .await;
    browser_authenticates(&asked.client_secret.clone().unwrap(), true).await;
    let intent_id = intent_of(&pool, asked.payment_id).await;
    let succeeded = intent_json(&intent_id).await;
    let mut failed = succeeded.clone();
    failed["status"] = "requires_payment_method".into();
    failed["last_payment_error"] = serde_json::json!({"code": "card_declined"});
    let t = Utc::now().timestamp();
    use engine::cards::webhook::handle;
    handle(
        &pool,
        &config,
        &event("evt_f_2", "payment_intent.payment_failed", t, &failed),
    )
    .await
    .unwrap();
    assert!(payment_entries(&pool, account).await.is_empty());
    handle(
        &pool,
        &config,
        &event("evt_s_2", "payment_intent.succeeded", t - 60, &succeeded),
    )
    .await
    .unwrap();
    assert_eq!(payment_entries(&pool, account).await, [dec!(-30.00)]);
    // An intent that is not ours is recorded and ignored.
    let mut stranger = succeeded.clone();
    stranger["id"] = "pi_not_ours".into();
    stranger["metadata"] = serde_json::json!({});
    let outcome = handle(
        &pool,
        &config,
        &event("evt_x_2", "payment_intent.succeeded", t, &stranger),
    )
    .await
    .unwrap();
    assert_eq!(
        outcome,
        engine::cards::webhook::Handled::Applied("ignored: not one of our payments".into())
    );
    assert_eq!(payment_entries(&pool, account).await, [dec!(-30.00)]);
}

#[sqlx::test(migrations = "../migrations")]
async fn autopay_charges_the_new_statement_once_and_asks_for_authentication_when_needed(
    pool: PgPool,
) {
    let config = card_config();
    let stripe = config.stripe.clone().unwrap();
    let j = jurisdiction(&pool, "US-IL", "Sales tax", dec!(0.0825), false).await;
    let p = plan(&pool, "cable-300", dec!(60.00), None, None).await;
    let (plain, _) = account(&pool, "30000009", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    let (strict, _) = account(&pool, "30000010", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    let (off, _) = account(&pool, "30000011", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    for (account, number) in [
        (plain, "4242424242424242"),
        (strict, "4000002500003155"),
        (off, "4242424242424242"),
    ] {
        let secret = cards::saved::start_setup(&pool, &stripe, account)
            .await
            .unwrap();
        let setup = match browser_confirms_setup(&secret, number).await {
            Ok(setup) => setup,
            Err(code) => panic!("{number}: {code}"),
        };
        cards::saved::finish_setup(&pool, &stripe, account, &setup)
            .await
            .unwrap();
    }
    // Setting up a 3-D Secure card asks for authentication too; the test stands in for
    // the cardholder answering yes.
    cards::saved::set_autopay(&pool, plain, true).await.unwrap();
    cards::saved::set_autopay(&pool, strict, true)
        .await
        .unwrap();
    let no_card = cards::saved::set_autopay(&pool, 999_999, true).await;
    assert!(matches!(no_card, Err(engine::EngineError::NotFound)));

    bill(&pool, d(2026, 11, 5)).await;
    // Asked to stop (the instance is shutting down) before it starts: nothing is charged
    // or written, and the run says it stopped.
    let stopped = tokio_util::sync::CancellationToken::new();
    stopped.cancel();
    let refused =
        cards::autopay::run(&pool, &stripe, &config, d(2026, 11, 5), None, &stopped).await;
    assert!(
        matches!(refused, Err(engine::EngineError::Stopped)),
        "{refused:?}"
    );
    let written: i64 = sqlx::query_scalar("select count(*) from payments")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(written, 0);

    let first = cards::autopay::run(&pool, &stripe, &config, d(2026, 11, 5), None, &go())
        .await
        .unwrap();
    assert_eq!(
        (
            first.charged,
            first.succeeded,
            first.needs_action,
            first.totals_text()
        ),
        (2, 1, 1, "$64.95".to_string()),
        "{first:?}"
    );
    assert_eq!(payment_entries(&pool, plain).await, [dec!(-64.95)]);
    assert!(payment_entries(&pool, strict).await.is_empty());
    assert!(payment_entries(&pool, off).await.is_empty());
    assert_eq!(emails(&pool, "payment_action_required").await, 1);
    let status: String = sqlx::query_scalar("select status from statements where account_id = $1")
        .bind(plain)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "paid");

    // Running again (a retried job) charges nothing more.
    let second = cards::autopay::run(&pool, &stripe, &config, d(2026, 11, 5), None, &go())
        .await
        .unwrap();
    assert_eq!(second.charged, 0);

    // The subscriber follows the email's link and confirms with the bank.
    let waiting: i64 = sqlx::query_scalar(
        "select id from payments where account_id = $1 and status = 'requires_action'",
    )
    .bind(strict)
    .fetch_one(&pool)
    .await
    .unwrap();
    let shown = payments::refresh(&pool, &stripe, &config, strict, waiting)
        .await
        .unwrap();
    assert_eq!(shown.state, PaymentState::RequiresAction);
    assert!(shown.payment_method.as_deref().unwrap().starts_with("pm_"));
    browser_authenticates(&shown.client_secret.unwrap(), true).await;
    let done = payments::refresh(&pool, &stripe, &config, strict, waiting)
        .await
        .unwrap();
    assert_eq!(done.state, PaymentState::Succeeded);
    assert_eq!(payment_entries(&pool, strict).await, [dec!(-64.95)]);
}

#[sqlx::test(migrations = "../migrations")]
async fn saved_cards_are_added_made_default_and_removed(pool: PgPool) {
    let config = card_config();
    let stripe = config.stripe.clone().unwrap();
    let (account, _) = owing(&pool, "30000012").await;
    let mut ids = Vec::new();
    for number in ["4242424242424242", "5555555555554444"] {
        let secret = cards::saved::start_setup(&pool, &stripe, account)
            .await
            .unwrap();
        let setup = browser_confirms_setup(&secret, number).await.unwrap();
        ids.push(
            cards::saved::finish_setup(&pool, &stripe, account, &setup)
                .await
                .unwrap(),
        );
    }
    let defaults = || async {
        sqlx::query_scalar::<_, i64>(
            "select id from payment_methods where account_id = $1 and is_default",
        )
        .bind(account)
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    assert_eq!(defaults().await, [ids[0]], "the first card is the default");
    cards::saved::make_default(&pool, account, ids[1])
        .await
        .unwrap();
    assert_eq!(defaults().await, [ids[1]]);
    cards::saved::set_autopay(&pool, account, true)
        .await
        .unwrap();
    cards::saved::remove(&pool, &stripe, account, ids[1])
        .await
        .unwrap();
    assert_eq!(
        defaults().await,
        [ids[0]],
        "the remaining card becomes the default"
    );
    cards::saved::remove(&pool, &stripe, account, ids[0])
        .await
        .unwrap();
    assert!(defaults().await.is_empty());
    let autopay: bool = sqlx::query_scalar("select autopay from accounts where id = $1")
        .bind(account)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!autopay, "no card left: autopay is off");
    let gone = cards::saved::remove(&pool, &stripe, account, ids[0]).await;
    assert!(matches!(gone, Err(engine::EngineError::NotFound)));
}

/// Saves a card for the account and turns autopay on.
async fn on_autopay(pool: &PgPool, stripe: &Stripe, account: i64) {
    let secret = cards::saved::start_setup(pool, stripe, account)
        .await
        .unwrap();
    let setup = browser_confirms_setup(&secret, "4242424242424242")
        .await
        .unwrap();
    cards::saved::finish_setup(pool, stripe, account, &setup)
        .await
        .unwrap();
    cards::saved::set_autopay(pool, account, true)
        .await
        .unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn autopay_takes_what_is_owed_never_an_amount_under_dispute(pool: PgPool) {
    let config = card_config();
    let stripe = config.stripe.clone().unwrap();
    let j = jurisdiction(&pool, "US-IL", "Sales tax", dec!(0.0825), false).await;
    let p = plan(&pool, "cable-300", dec!(60.00), None, None).await;
    let (account, _) = account(&pool, "30000021", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    on_autopay(&pool, &stripe, account).await;
    // Nov 5: 60.00 + 4.95 tax = 64.95. Before autopay runs, the subscriber questions the
    // 60.00 plan charge.
    bill(&pool, d(2026, 11, 5)).await;
    let (statement, line): (i64, i64) = sqlx::query_as(
        "select s.id, l.id from statements s join statement_lines l on l.statement_id = s.id
          where s.account_id = $1 and l.kind = 'recurring'",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    let login: i64 = sqlx::query_scalar(
        "insert into portal_logins (account_id, person_id, email, password_hash)
         select account_id, id, email, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'
           from people where account_id = $1 returning id",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    engine::disputes::open(
        &pool,
        &config,
        &engine::disputes::DisputeRequest {
            account_id: account,
            statement_id: statement,
            line_id: line,
            amount: dec!(60.00),
            message: "I was charged for a plan I cancelled.".into(),
            login_id: login,
        },
    )
    .await
    .unwrap();

    // Autopay takes the 4.95 not questioned, not the 60.00.
    let run = cards::autopay::run(&pool, &stripe, &config, d(2026, 11, 5), None, &go())
        .await
        .unwrap();
    assert_eq!(
        (run.charged, run.succeeded, run.totals_text()),
        (1, 1, "$4.95".to_string())
    );
    assert_eq!(payment_entries(&pool, account).await, [dec!(-4.95)]);
    assert_eq!(balance(&pool, account).await, dec!(60.00));
    let status: String = sqlx::query_scalar("select status from statements where id = $1")
        .bind(statement)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        status, "open",
        "the questioned 60.00 is still to be decided"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_card_payment_settles_statements_by_the_same_rule_as_any_payment(pool: PgPool) {
    let config = card_config();
    let (account, statement) = owing(&pool, "30000022").await;
    // A staff charge of 20.00 after the 64.95 statement; the card pays the statement.
    sqlx::query(
        "insert into ledger_entries (account_id, currency, kind, amount, description, effective_on)
         values ($1, 'USD', 'adjustment', 20.00, 'Adjustment: replacement router', '2026-11-08')",
    )
    .bind(account)
    .execute(&pool)
    .await
    .unwrap();
    let paid = pay_new_card(
        &pool,
        &config,
        &request(account, Some(statement), dec!(64.95), 22),
        "4242424242424242",
    )
    .await;
    assert_eq!(paid.state, PaymentState::Succeeded, "{paid:?}");
    // Payments pay the oldest charges first: the statement is paid, the 20.00 is left.
    let status: String = sqlx::query_scalar("select status from statements where id = $1")
        .bind(statement)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "paid");
    assert_eq!(balance(&pool, account).await, dec!(20.00));
    // Posted once, as a manual payment is: one entry, keyed by the payment, one event.
    let (entries, key): (i64, String) = sqlx::query_as(
        "select count(*), min(idempotency_key) from ledger_entries where payment_id = $1",
    )
    .bind(paid.payment_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((entries, key), (1, format!("payment:{}", paid.payment_id)));
    assert_eq!(
        count(
            &pool,
            &format!(
                "select count(*) from service_events where kind = 'payment' and account_id = {account}"
            )
        )
        .await,
        1
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_yen_account_is_charged_in_yen_not_hundredths_of_a_yen(pool: PgPool) {
    let config = card_config();
    // The schema admits only two-decimal currencies for now (amounts are numeric(14,2));
    // the card path itself follows each currency's minor unit, which this test shows with
    // a yen account in its own database.
    sqlx::query("alter table currencies drop constraint currencies_minor_units_check")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("insert into currencies (code, minor_units) values ('JPY', 0)")
        .execute(&pool)
        .await
        .unwrap();
    let account: i64 = sqlx::query_scalar(
        "insert into accounts (account_number, kind, display_name, billing_mode, billing_cycle_day,
                               currency, time_zone)
         values ('30000023', 'residential', 'Yui Tanaka', 'postpaid', 5, 'JPY', 'Asia/Tokyo') returning id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into people (account_id, role, first_name, last_name, email)
         values ($1, 'owner', 'Yui', 'Tanaka', 'yui@example.net')",
    )
    .bind(account)
    .execute(&pool)
    .await
    .unwrap();
    let yen = Currency::parse("JPY").unwrap();
    let paid = pay_new_card(
        &pool,
        &config,
        &PayRequest {
            amount: Money::new(dec!(4500), yen),
            ..request(account, None, dec!(4500), 23)
        },
        "4242424242424242",
    )
    .await;
    assert_eq!(paid.state, PaymentState::Succeeded, "{paid:?}");
    // Stripe was asked for 4500 yen (JPY has no minor unit), not 450000.
    let intent = intent_json(&intent_of(&pool, paid.payment_id).await).await;
    assert_eq!(
        (intent["amount"].as_i64(), intent["currency"].as_str()),
        (Some(4500), Some("jpy"))
    );
    assert_eq!(payment_entries(&pool, account).await, [dec!(-4500)]);

    // A fraction of a yen cannot be charged; a dollar amount on a yen account neither.
    let refused = payments::start(
        &pool,
        config.stripe.as_ref().unwrap(),
        &config,
        &PayRequest {
            amount: Money::new(dec!(4500.5), yen),
            ..request(account, None, dec!(0), 24)
        },
    )
    .await;
    match refused {
        Err(engine::EngineError::Invalid(message)) => {
            assert_eq!(message, "JPY amounts are whole numbers, without decimals.")
        }
        other => panic!("{other:?}"),
    }
    let refused = payments::start(
        &pool,
        config.stripe.as_ref().unwrap(),
        &config,
        &request(account, None, dec!(45.00), 25),
    )
    .await;
    assert!(
        matches!(refused, Err(engine::EngineError::Invalid(_))),
        "{refused:?}"
    );
}

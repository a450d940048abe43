//! Stripe's webhook over HTTP: signatures (good, bad, stale, a rotated secret), replays.

use std::sync::Arc;

use engine::cards::webhook::sign;
use engine::cards::{Stripe, StripeSettings};
use rust_decimal_macros::dec;
use sqlx::PgPool;

use crate::helpers::*;

const OLD: &str = "whsec_old_secret";
const NEW: &str = "whsec_new_secret";

async fn portal(pool: PgPool) -> TestPortal {
    TestPortal::start_with(pool, |t| {
        t.config.billing.stripe = Some(Arc::new(
            Stripe::new(StripeSettings {
                secret_key: "sk_test_webhooks".into(),
                publishable_key: "pk_test_webhooks".into(),
                api_url: stripe_url(),
                js_url: format!("{}/js.stripe.com/v3/", stripe_url()),
                // Mid-rotation: both secrets are accepted.
                webhook_secrets: vec![OLD.into(), NEW.into()],
                answer_within: engine::cards::ANSWER_WITHIN,
            })
            .unwrap(),
        ));
    })
    .await
}

/// A pending card payment of Alex's, as if started from the portal with a PaymentIntent.
async fn pending_payment(portal: &TestPortal) -> (i64, i64) {
    let account = portal.account_id(ALEX_NUMBER).await;
    let id: i64 = sqlx::query_scalar(
        "insert into payments (account_id, currency, amount, method, status, idempotency_key,
                               source, stripe_payment_intent_id)
         select id, currency, 25.00, 'card', 'pending', 'card:webhook-test-0001', 'portal', 'pi_webhook_1'
           from accounts where id = $1 returning id",
    )
    .bind(account)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    (account, id)
}

fn succeeded(event: &str, payment: i64, created: i64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": event, "object": "event", "type": "payment_intent.succeeded", "created": created,
        "data": { "object": {
            "id": "pi_webhook_1", "object": "payment_intent", "amount": 2500, "currency": "usd",
            "status": "succeeded", "client_secret": "pi_webhook_1_secret_x", "created": created,
            "customer": null, "payment_method": "pm_1", "last_payment_error": null,
            "metadata": { "payment_id": payment.to_string() }
        }}
    }))
    .unwrap()
}

async fn post(portal: &TestPortal, body: &[u8], signature: Option<String>) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(portal.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn payment_entries(portal: &TestPortal, account: i64) -> Vec<rust_decimal::Decimal> {
    sqlx::query_scalar(
        "select amount from ledger_entries where account_id = $1 and kind = 'payment'
            and payment_id in (select id from payments where idempotency_key like 'card:%')",
    )
    .bind(account)
    .fetch_all(&portal.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn webhook_signatures_decide_and_events_apply_once(pool: PgPool) {
    let portal = portal(pool).await;
    let (account, payment) = pending_payment(&portal).await;
    let now = chrono::Utc::now().timestamp();
    let body = succeeded("evt_http_1", payment, now);

    // No signature, a wrong one, a stale one: refused, nothing recorded.
    let (status, text) = post(&portal, &body, None).await;
    assert_eq!(status, 400, "{text}");
    let (status, text) = post(&portal, &body, Some(sign(&body, "whsec_someone_else", now))).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("bad_signature"), "{text}");
    let (status, text) = post(&portal, &body, Some(sign(&body, NEW, now - 301))).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("more than 300"), "{text}");
    let tampered = succeeded("evt_http_1", payment + 1, now);
    let (status, _) = post(&portal, &tampered, Some(sign(&body, NEW, now))).await;
    assert_eq!(status, 400);
    assert!(payment_entries(&portal, account).await.is_empty());

    // Signed with the old secret still in rotation: applied.
    let (status, text) = post(&portal, &body, Some(sign(&body, OLD, now))).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("payment succeeded"), "{text}");
    assert_eq!(payment_entries(&portal, account).await, [dec!(-25.00)]);

    // Delivered again, signed with the new secret: nothing more.
    let (status, text) = post(&portal, &body, Some(sign(&body, NEW, now))).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("already applied"), "{text}");
    assert_eq!(payment_entries(&portal, account).await, [dec!(-25.00)]);
    // A header with several v1 signatures, one of them ours (Stripe rolling its secret).
    let other = sign(&body, "whsec_rolled", now);
    let ours = sign(&body, NEW, now);
    let both = format!(
        "t={now},v1={},v1={}",
        other.split_once(",v1=").unwrap().1,
        ours.split_once(",v1=").unwrap().1
    );
    let second = succeeded("evt_http_2", payment, now);
    let (status, text) = post(
        &portal,
        &second,
        Some(both.replace(
            ours.split_once(",v1=").unwrap().1,
            sign(&second, NEW, now).split_once(",v1=").unwrap().1,
        )),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(payment_entries(&portal, account).await, [dec!(-25.00)]);
    let events: i64 =
        sqlx::query_scalar("select count(*) from stripe_events where processed_at is not null")
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(events, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn webhooks_are_refused_when_cards_are_off(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let body = br#"{"id":"evt_1"}"#;
    let (status, _) = post(
        &portal,
        body,
        Some(sign(body, NEW, chrono::Utc::now().timestamp())),
    )
    .await;
    assert_eq!(status, 404);
}

//! Card payments against localstripe (Stripe's API stand-in, at `LASTMILE_TEST_STRIPE_URL`,
//! default http://127.0.0.1:8420; `scripts/test` starts it), and what Stripe.js would do in
//! the browser (confirm a PaymentIntent or a SetupIntent with a typed card, answer 3-D
//! Secure), done with
//! localstripe's own routes for it.

use std::sync::Arc;

use engine::cards::{self, Stripe};
use engine::EngineConfig;

pub const SK: &str = "sk_test_lastmile";
pub const PK: &str = "pk_test_lastmile";
pub const WHSEC: &str = "whsec_lastmile_tests";

pub fn url() -> String {
    std::env::var("LASTMILE_TEST_STRIPE_URL").unwrap_or_else(|_| "http://127.0.0.1:8420".into())
}

pub fn client() -> Arc<Stripe> {
    Arc::new(
        Stripe::new(cards::StripeSettings {
            secret_key: SK.into(),
            publishable_key: PK.into(),
            api_url: url(),
            js_url: format!("{}/js.stripe.com/v3/", url()),
            webhook_secrets: vec![WHSEC.into()],
            answer_within: cards::ANSWER_WITHIN,
        })
        .expect("stripe client"),
    )
}

/// The tests' engine configuration with card payments on.
pub fn card_config() -> EngineConfig {
    EngineConfig {
        stripe: Some(client()),
        ..super::config()
    }
}

/// What the browser does with Stripe.js: confirms the SetupIntent with a typed card number
/// (and, for a 3-D Secure card, completes the check asked at setup). Returns the
/// SetupIntent id, or Stripe's error code when the card is refused.
pub async fn browser_confirms_setup(setup_secret: &str, number: &str) -> Result<String, String> {
    let id = setup_secret.split("_secret_").next().unwrap().to_string();
    let response = reqwest::Client::new()
        .post(format!("{}/v1/setup_intents/{id}/confirm", url()))
        .basic_auth(SK, Some(""))
        .form(&[
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][number]", number),
            ("payment_method_data[card][exp_month]", "12"),
            ("payment_method_data[card][exp_year]", "2030"),
            ("payment_method_data[card][cvc]", "123"),
        ])
        .send()
        .await
        .expect("localstripe answers");
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    if status.is_success() && body["status"] == "requires_action" {
        let done = reqwest::Client::new()
            .post(format!("{}/v1/setup_intents/{id}/confirm", url()))
            .form(&[("key", PK), ("client_secret", setup_secret)])
            .send()
            .await
            .expect("localstripe answers");
        assert!(done.status().is_success(), "{}", done.text().await.unwrap());
        return Ok(id);
    }
    if status.is_success() {
        Ok(id)
    } else {
        Err(body["error"]["code"].as_str().unwrap_or("?").to_string())
    }
}

/// What the browser does with Stripe.js to pay with a new card: `confirmCardPayment` on
/// the payment's PaymentIntent with the typed card, with the publishable key and the
/// intent's secret as Stripe.js sends them. Returns the intent's status afterwards
/// (`requires_action` when the bank wants 3-D Secure, which the caller answers), or
/// Stripe's error code when the card is refused.
pub async fn browser_confirms_payment(client_secret: &str, number: &str) -> Result<String, String> {
    let id = client_secret.split("_secret_").next().unwrap().to_string();
    let response = reqwest::Client::new()
        .post(format!("{}/v1/payment_intents/{id}/confirm", url()))
        .form(&[
            ("key", PK),
            ("client_secret", client_secret),
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][number]", number),
            ("payment_method_data[card][exp_month]", "12"),
            ("payment_method_data[card][exp_year]", "2030"),
            ("payment_method_data[card][cvc]", "123"),
        ])
        .send()
        .await
        .expect("localstripe answers");
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    if status.is_success() {
        Ok(body["status"].as_str().unwrap_or("?").to_string())
    } else {
        Err(body["error"]["code"].as_str().unwrap_or("?").to_string())
    }
}

/// What Stripe.js's 3-D Secure prompt does when the cardholder completes or fails it.
pub async fn browser_authenticates(client_secret: &str, success: bool) {
    let id = client_secret.split("_secret_").next().unwrap();
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v1/payment_intents/{id}/_authenticate?success={success}",
            url()
        ))
        .form(&[("key", PK), ("client_secret", client_secret)])
        .send()
        .await
        .expect("localstripe answers");
    assert!(
        response.status().is_success() || response.status().as_u16() == 402,
        "{}",
        response.text().await.unwrap()
    );
}

/// A PaymentMethod as localstripe holds it.
pub async fn payment_method_json(id: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("{}/v1/payment_methods/{id}", url()))
        .basic_auth(SK, Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A PaymentIntent as localstripe holds it.
pub async fn intent_json(id: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("{}/v1/payment_intents/{id}", url()))
        .basic_auth(SK, Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

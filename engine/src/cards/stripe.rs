//! The few Stripe API calls Lastmile makes, over async-stripe's HTTP client.
//!
//! Responses are parsed into small types of our own holding only the fields we use:
//! async-stripe's generated types are strict, and a field Stripe (or localstripe, its
//! stand-in in tests) leaves out would make a whole response unreadable. The tests at the
//! bottom parse Stripe's documented objects into these same types.

use billing::Money;
use miniserde::Deserialize;
use serde::Serialize;
use stripe_client_core::{IdempotencyKey, RequestBuilder, RequestStrategy, StripeMethod};

use crate::error::EngineError;

/// Where Stripe is and the keys to it (from the server's environment).
#[derive(Clone)]
pub struct StripeSettings {
    /// `sk_…`: stays on the server.
    pub secret_key: String,
    /// `pk_…`: sent to browsers for Stripe.js.
    pub publishable_key: String,
    /// The API's base URL (Stripe's, or localstripe's in tests).
    pub api_url: String,
    /// Where browsers load Stripe.js from.
    pub js_url: String,
    /// Webhook signing secrets (`whsec_…`); several while one is being rotated.
    pub webhook_secrets: Vec<String>,
    /// How long a call waits for Stripe's answer. A call that waits longer may still have
    /// been carried out by Stripe ([`StripeFailure::NoAnswer`]).
    pub answer_within: std::time::Duration,
}

/// How long a call waits for Stripe's answer unless set otherwise: Stripe answers a
/// confirmed PaymentIntent in a few seconds, the bank's own wait included.
pub const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(20);

impl std::fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeSettings")
            .field("publishable_key", &self.publishable_key)
            .field("api_url", &self.api_url)
            .field("js_url", &self.js_url)
            .field("webhook_secrets", &self.webhook_secrets.len())
            .field("answer_within", &self.answer_within)
            .finish_non_exhaustive()
    }
}

/// A configured Stripe client.
#[derive(Clone)]
pub struct Stripe {
    client: stripe::Client,
    settings: StripeSettings,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe")
            .field("settings", &self.settings)
            .finish()
    }
}

/// A PaymentIntent, as far as we read it.
#[derive(Debug, Clone, Deserialize)]
pub struct Intent {
    pub id: String,
    pub status: String,
    /// In the currency's minor unit ([`billing::Money::to_minor_units`]).
    pub amount: i64,
    pub currency: String,
    pub client_secret: Option<String>,
    pub customer: Option<String>,
    pub payment_method: Option<String>,
    pub last_payment_error: Option<ApiError>,
    pub created: i64,
}

/// A SetupIntent, as far as we read it.
#[derive(Debug, Clone, Deserialize)]
pub struct SetupIntent {
    pub id: String,
    pub status: String,
    pub client_secret: Option<String>,
    pub customer: Option<String>,
    pub payment_method: Option<String>,
}

/// A PaymentMethod, as far as we read it.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
    pub customer: Option<String>,
    pub card: Option<Card>,
}

/// A card's public details.
#[derive(Debug, Clone, Deserialize)]
pub struct Card {
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

#[derive(Debug, Clone, Deserialize)]
struct Created {
    id: String,
}

/// Stripe's error object (a decline's codes, for instance).
#[derive(Debug, Clone, Deserialize)]
pub struct ApiError {
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub message: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// What a PaymentIntent is to be created with.
#[derive(Debug, Clone)]
pub struct NewIntent<'a> {
    /// What to charge: sent in the currency's minor unit.
    pub amount: Money,
    pub customer: Option<&'a str>,
    pub payment_method: Option<&'a str>,
    /// Confirm at once, the subscriber not present (autopay).
    pub off_session: bool,
    /// Confirm at once (a saved card). Unconfirmed, the browser confirms it with the card
    /// typed into Stripe.js (`confirmCardPayment`), which asks the bank at most once.
    pub confirm: bool,
    /// Keep the card for later payments without the subscriber (`off_session`): Stripe
    /// attaches it to the customer when the payment succeeds.
    pub save_for_later: bool,
    /// Our payment's id: sent as metadata and as the basis of the idempotency key, so a
    /// retried create finds the intent made before.
    pub payment_id: i64,
    pub account_number: &'a str,
}

#[derive(Serialize)]
struct IntentForm<'a> {
    amount: i64,
    currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_method: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    off_session: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confirm: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    setup_future_usage: Option<&'static str>,
    payment_method_types: [&'static str; 1],
    metadata: Metadata<'a>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    payment_id: String,
    account_number: &'a str,
}

/// What Stripe is sent for an amount: the count of the currency's minor units (¥500 is 500,
/// $45.99 is 4599, BHD 1.234 is 1234), through [`Money::to_minor_units`], the one
/// conversion. A fraction of a minor unit, or nothing to charge, is refused.
pub fn stripe_amount(amount: Money) -> Result<i64, EngineError> {
    if !amount.is_positive() {
        return Err(EngineError::Invalid(format!(
            "{amount} is not an amount to charge"
        )));
    }
    amount
        .to_minor_units()
        .map_err(|e| EngineError::Invalid(e.to_string()))
}

impl Stripe {
    pub fn new(settings: StripeSettings) -> Result<Stripe, EngineError> {
        let client = stripe::ClientBuilder::new(settings.secret_key.clone())
            .url(settings.api_url.clone())
            .timeout(settings.answer_within)
            .build()
            .map_err(|e| EngineError::Stripe(format!("configuring the client: {e}")))?;
        Ok(Stripe { client, settings })
    }

    pub fn publishable_key(&self) -> &str {
        &self.settings.publishable_key
    }

    pub fn js_url(&self) -> &str {
        &self.settings.js_url
    }

    pub fn webhook_secrets(&self) -> &[String] {
        &self.settings.webhook_secrets
    }

    async fn send<T: Deserialize>(
        &self,
        request: RequestBuilder,
        key: Option<String>,
    ) -> Result<T, StripeFailure> {
        let mut request = request.customize::<T>();
        if let Some(key) = key {
            let key = IdempotencyKey::new(key)
                .map_err(|e| StripeFailure::Transport(format!("idempotency key: {e:?}")))?;
            request = request.request_strategy(RequestStrategy::Idempotent(key));
        }
        request
            .send(&self.client)
            .await
            .map_err(StripeFailure::from)
    }

    pub async fn create_customer(
        &self,
        email: Option<&str>,
        name: &str,
        account_number: &str,
    ) -> Result<String, StripeFailure> {
        #[derive(Serialize)]
        struct Form<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            email: Option<&'a str>,
            name: &'a str,
            metadata: CustomerMetadata<'a>,
        }
        #[derive(Serialize)]
        struct CustomerMetadata<'a> {
            account_number: &'a str,
        }
        let created: Created = self
            .send(
                RequestBuilder::new(StripeMethod::Post, "/customers").form(&Form {
                    email,
                    name,
                    metadata: CustomerMetadata { account_number },
                }),
                Some(format!("lastmile-customer-{account_number}")),
            )
            .await?;
        Ok(created.id)
    }

    pub async fn create_intent(&self, new: &NewIntent<'_>) -> Result<Intent, StripeFailure> {
        let amount =
            stripe_amount(new.amount).map_err(|e| StripeFailure::Transport(e.to_string()))?;
        let form = IntentForm {
            amount,
            currency: new.amount.currency().as_str().to_ascii_lowercase(),
            customer: new.customer,
            payment_method: new.payment_method,
            off_session: new.off_session.then_some(true),
            confirm: new.confirm.then_some(true),
            setup_future_usage: new.save_for_later.then_some("off_session"),
            payment_method_types: ["card"],
            metadata: Metadata {
                payment_id: new.payment_id.to_string(),
                account_number: new.account_number,
            },
        };
        self.send(
            RequestBuilder::new(StripeMethod::Post, "/payment_intents").form(&form),
            Some(format!("lastmile-payment-{}", new.payment_id)),
        )
        .await
    }

    pub async fn retrieve_intent(&self, id: &str) -> Result<Intent, StripeFailure> {
        check_id(id, "pi_")?;
        self.send(
            RequestBuilder::new(StripeMethod::Get, format!("/payment_intents/{id}")),
            None,
        )
        .await
    }

    pub async fn create_setup_intent(&self, customer: &str) -> Result<SetupIntent, StripeFailure> {
        #[derive(Serialize)]
        struct Form<'a> {
            customer: &'a str,
            usage: &'static str,
            payment_method_types: [&'static str; 1],
        }
        self.send(
            RequestBuilder::new(StripeMethod::Post, "/setup_intents").form(&Form {
                customer,
                usage: "off_session",
                payment_method_types: ["card"],
            }),
            None,
        )
        .await
    }

    pub async fn retrieve_setup_intent(&self, id: &str) -> Result<SetupIntent, StripeFailure> {
        check_id(id, "seti_")?;
        self.send(
            RequestBuilder::new(StripeMethod::Get, format!("/setup_intents/{id}")),
            None,
        )
        .await
    }

    pub async fn retrieve_payment_method(&self, id: &str) -> Result<PaymentMethod, StripeFailure> {
        check_id(id, "pm_").or_else(|_| check_id(id, "card_"))?;
        self.send(
            RequestBuilder::new(StripeMethod::Get, format!("/payment_methods/{id}")),
            None,
        )
        .await
    }

    /// Attaches a card to a customer (a confirmed SetupIntent does so at Stripe already;
    /// attaching again to the same customer changes nothing).
    pub async fn attach_payment_method(
        &self,
        id: &str,
        customer: &str,
    ) -> Result<PaymentMethod, StripeFailure> {
        check_id(id, "pm_").or_else(|_| check_id(id, "card_"))?;
        #[derive(Serialize)]
        struct Form<'a> {
            customer: &'a str,
        }
        self.send(
            RequestBuilder::new(StripeMethod::Post, format!("/payment_methods/{id}/attach"))
                .form(&Form { customer }),
            None,
        )
        .await
    }

    /// Cancels a PaymentIntent that will not be confirmed again (after a decline), so
    /// nothing can charge it later.
    pub async fn cancel_intent(&self, id: &str) -> Result<Intent, StripeFailure> {
        check_id(id, "pi_")?;
        self.send(
            RequestBuilder::new(StripeMethod::Post, format!("/payment_intents/{id}/cancel")),
            None,
        )
        .await
    }

    pub async fn detach_payment_method(&self, id: &str) -> Result<(), StripeFailure> {
        check_id(id, "pm_").or_else(|_| check_id(id, "card_"))?;
        let _: PaymentMethod = self
            .send(
                RequestBuilder::new(StripeMethod::Post, format!("/payment_methods/{id}/detach")),
                None,
            )
            .await?;
        Ok(())
    }
}

/// An id we put in a URL path must look like Stripe's.
fn check_id(id: &str, prefix: &str) -> Result<(), StripeFailure> {
    let ok = id.starts_with(prefix)
        && id.len() <= 255
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StripeFailure::Transport(format!(
            "{id:?} is not a {prefix} id"
        )))
    }
}

/// Why a Stripe call failed.
#[derive(Debug, Clone)]
pub enum StripeFailure {
    /// Stripe answered with an error: a card error (declined, authentication required)
    /// or a refused request.
    Api {
        status: u16,
        code: Option<String>,
        decline_code: Option<String>,
        message: Option<String>,
        kind: String,
        /// The PaymentIntent the error is about, when Stripe names it.
        intent: Option<String>,
    },
    /// Stripe could not be reached, or answered something we could not read.
    Transport(String),
    /// The request was sent and no answer came in time: Stripe may have carried it out
    /// (a charge may have been made). Only a retry with the same idempotency key, or
    /// Stripe's webhook, tells.
    NoAnswer,
}

impl StripeFailure {
    /// Whether the card itself was refused (as opposed to our request or the network).
    ///
    /// Stripe says `card_error`; localstripe says `invalid_request_error` with a card code
    /// and a 402, so the status and code decide.
    pub fn is_card_error(&self) -> bool {
        match self {
            StripeFailure::Api {
                status, kind, code, ..
            } => {
                kind == "card_error"
                    || *status == 402
                    || code.as_deref().is_some_and(|c| {
                        matches!(
                            c,
                            "card_declined"
                                | "expired_card"
                                | "incorrect_cvc"
                                | "incorrect_number"
                                | "processing_error"
                                | "authentication_required"
                        )
                    })
            }
            StripeFailure::Transport(_) | StripeFailure::NoAnswer => false,
        }
    }
}

impl std::fmt::Display for StripeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StripeFailure::Api {
                status,
                code,
                message,
                ..
            } => write!(
                f,
                "{status} {}: {}",
                code.as_deref().unwrap_or("error"),
                message.as_deref().unwrap_or("")
            ),
            StripeFailure::Transport(e) => f.write_str(e),
            StripeFailure::NoAnswer => f.write_str("Stripe did not answer in time"),
        }
    }
}

impl From<stripe::StripeError> for StripeFailure {
    fn from(e: stripe::StripeError) -> Self {
        match e {
            stripe::StripeError::Stripe(error, status) => StripeFailure::Api {
                status,
                code: error.code.map(|c| c.to_string()),
                decline_code: error.decline_code,
                message: error.message,
                kind: error.type_.to_string(),
                intent: error.payment_intent.map(|i| i.id.to_string()),
            },
            stripe::StripeError::Timeout => StripeFailure::NoAnswer,
            other => StripeFailure::Transport(other.to_string()),
        }
    }
}

impl From<StripeFailure> for EngineError {
    fn from(e: StripeFailure) -> Self {
        EngineError::Stripe(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use billing::Currency;

    /// Stripe's documented PaymentIntent (API version 2024-06-20), abridged only where
    /// arrays were long; every field we do not read is still there.
    const PAYMENT_INTENT: &str = r#"{
      "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "object": "payment_intent", "amount": 2000,
      "amount_capturable": 0, "amount_details": {"tip": {}}, "amount_received": 0,
      "application": null, "application_fee_amount": null,
      "automatic_payment_methods": {"enabled": true}, "canceled_at": null,
      "cancellation_reason": null, "capture_method": "automatic",
      "client_secret": "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH",
      "confirmation_method": "automatic", "created": 1680800504, "currency": "usd",
      "customer": null, "description": null, "invoice": null, "last_payment_error": null,
      "latest_charge": null, "livemode": false, "metadata": {}, "next_action": null,
      "on_behalf_of": null, "payment_method": null,
      "payment_method_options": {"card": {"installments": null, "mandate_options": null,
        "network": null, "request_three_d_secure": "automatic"}},
      "payment_method_types": ["card", "link"], "processing": null, "receipt_email": null,
      "review": null, "setup_future_usage": null, "shipping": null, "source": null,
      "statement_descriptor": null, "statement_descriptor_suffix": null,
      "status": "requires_payment_method", "transfer_data": null, "transfer_group": null
    }"#;

    const DECLINED_INTENT: &str = r#"{
      "id": "pi_1", "object": "payment_intent", "amount": 4599, "currency": "usd",
      "client_secret": "pi_1_secret_x", "created": 1680800504, "customer": "cus_1",
      "payment_method": null, "status": "requires_payment_method",
      "last_payment_error": {"charge": "ch_1", "code": "card_declined",
        "decline_code": "insufficient_funds", "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        "message": "Your card has insufficient funds.", "type": "card_error",
        "payment_method": {"id": "pm_1", "object": "payment_method"}}
    }"#;

    const SETUP_INTENT: &str = r#"{
      "id": "seti_1Mm8s8LkdIwHu7ix0OXBfTRG", "object": "setup_intent", "application": null,
      "automatic_payment_methods": null, "cancellation_reason": null,
      "client_secret": "seti_1Mm8s8LkdIwHu7ix0OXBfTRG_secret_NXDICkPqPeiBTAFqWmkbff09lRmSVXe",
      "created": 1678942624, "customer": "cus_NXDI", "description": null, "flow_directions": null,
      "last_setup_error": null, "latest_attempt": null, "livemode": false, "mandate": null,
      "metadata": {}, "next_action": null, "on_behalf_of": null, "payment_method": "pm_1Mm8s8",
      "payment_method_options": {"card": {"mandate_options": null, "network": null,
        "request_three_d_secure": "automatic"}},
      "payment_method_types": ["card"], "single_use_mandate": null, "status": "succeeded",
      "usage": "off_session"
    }"#;

    const PAYMENT_METHOD: &str = r#"{
      "id": "pm_1MqLiJLkdIwHu7ixUEgbFdYF", "object": "payment_method",
      "billing_details": {"address": {"city": null, "country": null, "line1": null,
        "line2": null, "postal_code": null, "state": null}, "email": null, "name": null,
        "phone": null},
      "card": {"brand": "visa", "checks": {"address_line1_check": null,
        "address_postal_code_check": null, "cvc_check": "unchecked"}, "country": "US",
        "exp_month": 8, "exp_year": 2026, "fingerprint": "mToisGZ01V71BCos", "funding": "credit",
        "generated_from": null, "last4": "4242", "networks": {"available": ["visa"],
        "preferred": null}, "three_d_secure_usage": {"supported": true}, "wallet": null},
      "created": 1679945299, "customer": "cus_1", "livemode": false, "metadata": {},
      "type": "card"
    }"#;

    #[test]
    fn reads_stripes_documented_objects() {
        let intent: Intent = miniserde::json::from_str(PAYMENT_INTENT).unwrap();
        assert_eq!(intent.id, "pi_3MtwBwLkdIwHu7ix28a3tqPa");
        assert_eq!(intent.status, "requires_payment_method");
        assert_eq!(intent.amount, 2000);
        assert_eq!(intent.currency, "usd");
        assert!(intent.client_secret.unwrap().contains("_secret_"));
        assert_eq!(intent.customer, None);
        assert!(intent.last_payment_error.is_none());

        let declined: Intent = miniserde::json::from_str(DECLINED_INTENT).unwrap();
        let error = declined.last_payment_error.unwrap();
        assert_eq!(error.code.as_deref(), Some("card_declined"));
        assert_eq!(error.decline_code.as_deref(), Some("insufficient_funds"));
        assert_eq!(error.kind.as_deref(), Some("card_error"));

        let setup: SetupIntent = miniserde::json::from_str(SETUP_INTENT).unwrap();
        assert_eq!(setup.status, "succeeded");
        assert_eq!(setup.payment_method.as_deref(), Some("pm_1Mm8s8"));
        assert_eq!(setup.customer.as_deref(), Some("cus_NXDI"));

        let method: PaymentMethod = miniserde::json::from_str(PAYMENT_METHOD).unwrap();
        let card = method.card.unwrap();
        assert_eq!(
            (
                card.brand.as_str(),
                card.last4.as_str(),
                card.exp_month,
                card.exp_year
            ),
            ("visa", "4242", 8, 2026)
        );
    }

    #[test]
    fn amounts_go_to_stripe_in_the_currencys_minor_unit() {
        use rust_decimal_macros::dec;
        let jpy = Currency::parse("JPY").unwrap();
        let bhd = Currency::parse("BHD").unwrap();
        assert_eq!(stripe_amount(Money::new(dec!(500), jpy)).unwrap(), 500);
        assert_eq!(stripe_amount(Money::new(dec!(1.234), bhd)).unwrap(), 1234);
        assert_eq!(
            stripe_amount(Money::new(dec!(45.99), Currency::USD)).unwrap(),
            4599
        );
        assert_eq!(
            stripe_amount(Money::new(dec!(10.000), Currency::USD)).unwrap(),
            1000
        );
        let refused = stripe_amount(Money::new(dec!(10.5), jpy)).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "10.5 JPY cannot be charged: JPY has 0 decimal places"
        );
        assert!(stripe_amount(Money::new(dec!(10.001), Currency::USD)).is_err());
        assert!(stripe_amount(Money::zero(Currency::USD)).is_err());
        assert!(stripe_amount(Money::new(dec!(-5), Currency::USD)).is_err());
    }

    #[test]
    fn ids_in_paths_are_checked() {
        assert!(check_id("pi_123abc", "pi_").is_ok());
        assert!(check_id("pi_../customers", "pi_").is_err());
        assert!(check_id("cus_1", "pi_").is_err());
    }

    #[test]
    fn intent_form_is_stripes_encoding() {
        let form = IntentForm {
            amount: 4599,
            currency: "usd".into(),
            customer: Some("cus_1"),
            payment_method: None,
            off_session: None,
            confirm: None,
            setup_future_usage: Some("off_session"),
            payment_method_types: ["card"],
            metadata: Metadata {
                payment_id: "7".into(),
                account_number: "10000001",
            },
        };
        let encoded = serde_qs::to_string(&form).unwrap();
        assert_eq!(
            encoded,
            "amount=4599&currency=usd&customer=cus_1&setup_future_usage=off_session\
             &payment_method_types[0]=card&metadata[payment_id]=7&metadata[account_number]=10000001"
        );
    }
}

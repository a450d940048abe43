//! Card payments through Stripe: the only place a card payment reaches the ledger.
//!
//! * [`stripe`]: the Stripe API calls (PaymentIntents, SetupIntents, PaymentMethods).
//! * [`payments`]: a subscriber paying by card. Each attempt is a `payments` row made
//!   *before* Stripe is called, keyed by the browser's attempt key, and the PaymentIntent
//!   is created with an idempotency key derived from that row: a double click, a retried
//!   request or a restart in between finds the same payment and the same intent. The
//!   ledger records the payment only when Stripe reports the intent `succeeded`
//!   ([`payments::apply_intent`], reached from the browser's return, from webhooks and
//!   from autopay alike, and idempotent).
//! * [`saved`]: saved cards (SetupIntents), the default card, autopay opt-in.
//! * [`autopay`]: after a bill run, the amount due is charged off-session to the default
//!   card; when the bank asks for authentication the subscriber is emailed and told in the
//!   portal.
//! * [`webhook`]: Stripe's events, signature checked, each applied once, in any order.
//! * [`pay_link`]: signed, expiring links to pay one statement without signing in.
//!
//! Card numbers never reach our server: the browser gives them to Stripe.js, which turns
//! them into a PaymentMethod through a SetupIntent ([`payments::start`] returns its secret
//! for a new card), and the server then charges that PaymentMethod. The browser finishes
//! 3-D Secure with `confirmCardPayment(client_secret)` and calls [`payments::refresh`].

pub mod autopay;
pub mod pay_link;
pub mod payments;
pub mod saved;
pub mod stripe;
pub mod webhook;

use rust_decimal::Decimal;

pub use self::stripe::{Stripe, StripeSettings, ANSWER_WITHIN};

/// Where a card payment stands, as the subscriber sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentState {
    /// Waiting for the card (a new card being entered, or Stripe still processing).
    Pending,
    /// The bank asks the cardholder to authenticate (3-D Secure).
    RequiresAction,
    Succeeded,
    /// Declined or failed authentication; a new attempt is a new payment.
    Failed,
    Cancelled,
}

impl PaymentState {
    /// The `payments.status` value.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Pending => "pending",
            PaymentState::RequiresAction => "requires_action",
            PaymentState::Succeeded => "succeeded",
            PaymentState::Failed => "failed",
            PaymentState::Cancelled => "cancelled",
        }
    }

    pub fn parse(status: &str) -> Option<PaymentState> {
        Some(match status {
            "pending" => PaymentState::Pending,
            "requires_action" => PaymentState::RequiresAction,
            "succeeded" => PaymentState::Succeeded,
            "failed" => PaymentState::Failed,
            "cancelled" => PaymentState::Cancelled,
            _ => return None,
        })
    }

    /// Our state for a PaymentIntent's status.
    pub fn of_intent(intent: &stripe::Intent) -> PaymentState {
        match intent.status.as_str() {
            "succeeded" => PaymentState::Succeeded,
            "requires_action" => PaymentState::RequiresAction,
            "canceled" => PaymentState::Cancelled,
            "requires_payment_method" if intent.last_payment_error.is_some() => {
                PaymentState::Failed
            }
            _ => PaymentState::Pending,
        }
    }
}

/// Why a card was refused: Stripe's codes (for the page to explain in plain words) and
/// its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decline {
    /// Stripe's `decline_code` when it gives one, else its `code` (`card_declined`,
    /// `insufficient_funds`, `payment_intent_authentication_failure`…).
    pub code: String,
    pub message: String,
}

/// A card payment as the browser needs it.
#[derive(Debug, Clone)]
pub struct CardPayment {
    pub payment_id: i64,
    pub state: PaymentState,
    pub amount: Decimal,
    /// The PaymentIntent's secret, when the browser has its part to play with
    /// `confirmCardPayment`: confirming with the new card (state pending), or 3-D Secure
    /// (state requires action); then [`payments::refresh`].
    pub client_secret: Option<String>,
    /// The card being charged (`pm_…`), for `confirmCardPayment(secret, {payment_method})`.
    pub payment_method: Option<String>,
    pub decline: Option<Decline>,
}

/// Where a card payment was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Portal,
    PayLink,
    Autopay,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Portal => "portal",
            Source::PayLink => "pay_link",
            Source::Autopay => "autopay",
        }
    }
}

/// A subscriber's request to pay.
#[derive(Debug, Clone)]
pub struct PayRequest {
    pub account_id: i64,
    /// In the account's currency.
    pub amount: billing::Money,
    /// The statement being paid (pay by link always names one).
    pub statement_id: Option<i64>,
    /// The data add-on being paid now (`crate::data_addons::pay`, which decides the
    /// amount); `None` for a payment towards the balance.
    pub data_addon_id: Option<i64>,
    pub source: Source,
    pub login_id: Option<i64>,
    /// Made by the browser once per payment form shown: the same key twice is the same
    /// payment. 16 to 64 letters, digits, `-` or `_`.
    pub attempt: String,
    /// A saved card (`payment_methods.id`); `None` for a new card.
    pub saved_card: Option<i64>,
    /// A new card: keep it for later payments once this one succeeds (refused by the
    /// schema for a pay link or a payment staff take on the phone).
    pub save_card: bool,
    /// Taken by a staff member for the subscriber: (staff user, support session).
    pub assisted: Option<(i64, i64)>,
}

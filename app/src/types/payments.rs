//! What the card-payment pages send and receive: the pay page, progress of one payment,
//! receipts, saved cards and the pay-by-link page. Never a card number: the browser gives
//! those to Stripe.js, and only brand and last four digits come back here.

use billing::Money;
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// Where the page loads Stripe.js from, and the key it gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StripeJs {
    pub publishable_key: String,
    pub js_url: String,
}

/// A saved card, as it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedCard {
    /// `payment_methods.id`.
    pub id: i64,
    /// As people write it: "Visa", "Mastercard".
    pub brand: String,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub is_default: bool,
    /// Past its expiry month (in the account's time zone).
    pub expired: bool,
}

/// The statement still to be paid (the latest open one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenStatement {
    pub id: i64,
    pub number: String,
    pub total_due: Money,
    pub due_on: NaiveDate,
    pub overdue: bool,
}

/// Everything on the pay page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayPage {
    /// The account's balance (negative: in credit).
    pub balance: Money,
    pub statement: Option<OpenStatement>,
    /// What the amount field starts with: the balance when something is owed.
    pub suggested: Option<Money>,
    pub min: Money,
    pub max: Money,
    pub cards: Vec<SavedCard>,
    /// `None`: card payments are not offered.
    pub stripe: Option<StripeJs>,
    /// For Stripe's payment request (Apple Pay / Google Pay): two-letter country, and
    /// the currency in lower case.
    pub country: String,
    pub currency: String,
    /// The data add-on this visit pays for (`/pay?addon=<id>`), when it was bought to be
    /// paid now.
    pub addon: Option<AddOnDue>,
}

/// A data add-on bought to be paid now by card, as the pay page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddOnDue {
    /// `data_addons.id`.
    pub id: i64,
    /// "Data add-on: 100 GB for Nov 5 – Dec 4, 2026".
    pub description: String,
    /// The charge posted for it (the price, less its tax where the price includes it).
    pub charge: Money,
    /// The tax posted on it.
    pub tax: Money,
    /// What the card is asked for: `charge + tax`.
    pub total: Money,
    /// A card payment for it has gone through.
    pub paid: bool,
}

/// Where a card payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayState {
    Pending,
    RequiresAction,
    Succeeded,
    Failed,
    Cancelled,
}

/// A refusal: Stripe's code (for the words from `i18n`) and its own message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declined {
    pub code: String,
    pub message: String,
}

/// One card payment in progress, and what the browser must do next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayProgress {
    pub payment_id: i64,
    pub state: PayState,
    /// The PaymentIntent's secret for `stripe.confirmCardPayment`, when the browser has its
    /// part to play: confirming with the new card (pending), or 3-D Secure on a card already
    /// given (requires action).
    pub client_secret: Option<String>,
}

/// A payment's receipt page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// Also the reference the subscriber quotes.
    pub id: i64,
    pub amount: Money,
    pub state: PayState,
    /// When it was paid (or, not paid yet, started), in the account's time zone.
    pub at: NaiveDateTime,
    /// "Visa •••• 4242", when known.
    pub card: Option<String>,
    pub statement: Option<(i64, String)>,
    /// `portal`, `pay_link` or `autopay`.
    pub source: String,
    pub failure: Option<Declined>,
    /// A saved card's charge sent to Stripe whose answer has not come (it may have been
    /// made): the receipt says so and offers no second payment.
    pub awaiting_stripe: bool,
    /// Confirming with the bank needs Stripe.js.
    pub stripe: Option<StripeJs>,
    /// The data add-on it pays for: its id and description.
    pub data_addon: Option<(i64, String)>,
}

/// The saved-cards page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardsPage {
    pub cards: Vec<SavedCard>,
    pub autopay: bool,
    pub stripe: Option<StripeJs>,
}

/// An autopay payment waiting for the subscriber's bank, for the overview's notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionNeeded {
    pub payment_id: i64,
    pub amount: Money,
}

/// The pay-by-link page: only what paying that one statement needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayLinkPage {
    pub provider_name: String,
    pub statement_number: String,
    /// What is still owed on the statement (zero once paid, and never an amount under
    /// dispute).
    pub amount_due: Money,
    pub due_on: NaiveDate,
    pub paid: bool,
    /// Nothing is owed only because what is left is under dispute.
    pub on_hold: bool,
    pub stripe: Option<StripeJs>,
    pub country: String,
    pub currency: String,
}

/// Why a pay link does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkProblem {
    Expired,
    Invalid,
}

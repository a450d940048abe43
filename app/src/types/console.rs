//! The 360-degree view of an account, as the staff console shows it, and the limits of the
//! two things staff write there (notes and interactions), shared by the form and the server.

use billing::Money;
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::StatementSummary;

/// The longest note, in characters (the `notes.body` check).
pub const NOTE_MAX_CHARS: usize = 10_000;
/// The longest interaction summary, in characters (the `interactions.summary` check).
pub const SUMMARY_MAX_CHARS: usize = 2_000;
/// How staff may have been in touch (`portal` is kept for what the portal itself records).
pub const CHANNELS: [&str; 4] = ["call", "email", "visit", "chat"];
/// Who started the contact.
pub const DIRECTIONS: [&str; 2] = ["inbound", "outbound"];

/// Everything the console shows of one account on one page. Times are local to the account's
/// time zone; each list is newest first and as long as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account360 {
    pub account: AccountFacts,
    pub people: Vec<Person>,
    pub addresses: Vec<Address>,
    pub services: Vec<Service>,
    /// From `account_balances`: positive, the subscriber owes; negative, in credit.
    pub balance: Money,
    /// The latest ledger entries (20).
    pub ledger: Vec<LedgerEntry>,
    /// The latest statements (12).
    pub statements: Vec<StatementSummary>,
    /// The latest payments (10), whatever their status.
    pub payments: Vec<Payment>,
    pub usage: CycleTotals,
    /// The latest service events (20).
    pub history: Vec<ServiceEvent>,
    /// The latest tickets (10).
    pub tickets: Vec<Ticket>,
    /// The latest CRM interactions (50).
    pub interactions: Vec<Interaction>,
    /// The latest notes (50).
    pub notes: Vec<Note>,
    /// Whether the staff member looking may post adjustments to the account (their role's
    /// `Adjust` right), for the link to that form.
    pub may_adjust: bool,
    /// Whether the staff member may reveal and reset connection passwords and change IPoE
    /// identifiers (their role's `Network` right).
    pub may_manage_network: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFacts {
    pub id: i64,
    pub account_number: String,
    pub display_name: String,
    /// `pending`, `active`, `suspended` or `closed`.
    pub status: String,
    /// `residential` or `business`.
    pub kind: String,
    /// `postpaid`, `prepaid` or `hybrid`.
    pub billing_mode: String,
    pub billing_cycle_day: i16,
    pub time_zone: String,
    pub locale: String,
    pub autopay: bool,
    pub customer_since: NaiveDate,
    /// Whether the account has a portal login that staff could view it as.
    pub has_portal_login: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    /// `owner`, `billing`, `technical` or `authorised`.
    pub role: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub has_portal_login: bool,
    /// Their login, when it asks for an authenticator app's code at sign-in (staff may turn
    /// it off for them).
    pub authenticator_login: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub id: i64,
    /// The address as printed, one line each (street, unit, city with region and postal code,
    /// country).
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub id: i64,
    /// `pending`, `active`, `suspended` or `cancelled`.
    pub status: String,
    pub suspension_reason: Option<String>,
    pub plan_name: String,
    pub technology: String,
    pub download_mbps: i32,
    pub upload_mbps: i32,
    /// `None`: unlimited.
    pub allowance_gb: Option<i32>,
    pub monthly_price: Money,
    pub activated_on: Option<NaiveDate>,
    pub cancelled_on: Option<NaiveDate>,
    pub contract_ends_on: Option<NaiveDate>,
    /// The street line and city of the service address.
    pub address: String,
    /// How its line signs in to the network (none recorded yet: `None`).
    pub connection: Option<super::network::Connection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub id: i64,
    /// `charge`, `tax`, `payment`, `credit`, `adjustment`, `late_fee` or `refund`.
    pub kind: String,
    pub description: String,
    /// Signed: positive adds to what the subscriber owes.
    pub amount: Money,
    pub effective_on: NaiveDate,
}

/// A payment: never more of a card than its brand and last four digits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub id: i64,
    /// When it succeeded, or else when it was started.
    pub at: NaiveDateTime,
    /// `card`, `autopay`, `bank_transfer`, `cash` or `cheque`.
    pub method: String,
    pub amount: Money,
    /// `pending`, `requires_action`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
}

/// This billing cycle's traffic so far, over all of the account's services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleTotals {
    pub period_start: NaiveDate,
    /// Exclusive.
    pub period_end: NaiveDate,
    pub download_bytes: u64,
    pub upload_bytes: u64,
    /// The allowance of the account's first active plan; `None`: unlimited or no plan.
    pub allowance_bytes: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceEvent {
    pub id: i64,
    pub kind: String,
    pub summary: String,
    pub occurred_at: NaiveDateTime,
    /// The staff member who caused it, if one did.
    pub staff_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: i64,
    pub number: String,
    pub subject: String,
    /// `open`, `pending`, `resolved` or `closed`.
    pub status: String,
    /// `billing`, `technical`, `dispute` or `general`.
    pub category: String,
    pub priority: String,
    pub opened_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    pub id: i64,
    pub channel: String,
    pub direction: String,
    pub summary: String,
    pub occurred_at: NaiveDateTime,
    pub staff_name: Option<String>,
    /// The person of the account it was with, when one was named.
    pub person_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: i64,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub staff_name: String,
}

//! What the staff console sends to the browser.

use serde::{Deserialize, Serialize};

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SupportRep,
    Billing,
    Admin,
}

impl Role {
    /// As stored in `staff_users.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SupportRep => "support_rep",
            Role::Billing => "billing",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "support_rep" => Some(Role::SupportRep),
            "billing" => Some(Role::Billing),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Shown on every portal page while a staff member views the account as its subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewedBy {
    pub staff_name: String,
    pub reason: String,
    pub ticket_ref: Option<String>,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
    /// Whether the staff member's role may change the plan or take a payment for the subscriber.
    pub may_act: bool,
}

/// The signed-in staff member, for the console's frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMe {
    pub name: String,
    pub email: String,
    pub role: Role,
    /// The account they are viewing as its subscriber, if any (id and number).
    pub viewing: Option<(i64, String)>,
}

/// What signing in as staff asks for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffStep {
    /// The password was right: now a code from the authenticator app (or a recovery code).
    SecondFactor,
    /// Signed in.
    Done,
}

/// The page for adjusting one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdjustPage {
    pub account_id: i64,
    pub account_number: String,
    pub display_name: String,
    pub balance: billing::Money,
    /// The largest adjustment the caller may post without a second person.
    pub own_limit: billing::Money,
    /// The most the caller may post alone in a day (the provider's), and what they posted
    /// alone today, in this account's currency.
    pub own_daily_limit: billing::Money,
    pub posted_today: billing::Money,
    pub recent: Vec<AdjustmentRow>,
}

/// One adjustment, as the console lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdjustmentRow {
    pub id: i64,
    pub account_id: i64,
    pub account_number: String,
    /// Positive: a charge; negative: a credit.
    pub amount: billing::Money,
    pub reason: String,
    pub requested_by: String,
    /// In the provider's time zone, as every console time.
    pub requested_at: chrono::NaiveDateTime,
    /// pending, posted or rejected.
    pub status: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    /// The dispute ticket (its number) this adjustment accepts, if it is one.
    pub dispute_number: Option<String>,
    /// Whether the caller may approve or reject it (pending, not theirs, within their limit).
    pub can_decide: bool,
    /// The caller's own request, waiting for someone else's decision.
    pub own_waiting: bool,
}

/// What an adjustment request became.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustOutcome {
    Posted,
    AwaitingApproval,
}

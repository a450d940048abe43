//! Support tickets as the portal and the console show them, and the limits of what people
//! write in them (shared by the forms, which say them, and the server, which checks them).

use billing::Money;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// The longest subject, in characters (the `tickets.subject` check).
pub const SUBJECT_MAX_CHARS: usize = 200;
/// The longest message, in characters (the `ticket_messages.body` check).
pub const MESSAGE_MAX_CHARS: usize = 10_000;
/// The longest note staff may add when they accept a dispute.
pub const NOTE_MAX_CHARS: usize = 2_000;
/// The shortest and longest explanation of a rejected dispute (the `tickets` check).
pub const EXPLANATION_CHARS: std::ops::RangeInclusive<usize> = 5..=2_000;
/// What a subscriber may open a request about (disputes are opened from a statement line).
pub const NEW_CATEGORIES: [&str; 3] = ["billing", "technical", "general"];
/// Every status: `pending` waits for the subscriber; `resolved` and `closed` are done.
pub const STATUSES: [&str; 4] = ["open", "pending", "resolved", "closed"];
/// The statuses a staff reply may leave a ticket in (the first is the default).
pub const REPLY_STATUSES: [&str; 3] = ["pending", "resolved", "closed"];
/// The queue's views: those still being worked on (the default), one status, or all.
pub const QUEUE_VIEWS: [&str; 6] = ["active", "open", "pending", "resolved", "closed", "all"];
/// The most tickets the queue shows at once (the most recently updated).
pub const QUEUE_LIMIT: usize = 100;

/// One ticket in a list. Times are local to the account (the queue: to the provider).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketItem {
    pub number: String,
    pub subject: String,
    pub category: String,
    pub status: String,
    pub updated_at: NaiveDateTime,
}

/// The subscriber's support page: their tickets, newest update first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportPage {
    pub tickets: Vec<TicketItem>,
    /// False while staff view the account as its subscriber: they may read, not write.
    pub can_write: bool,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    /// Written by staff (else by one of the account's portal logins).
    pub by_staff: bool,
    /// The staff member's display name, or the subscriber's name.
    pub author: String,
    pub body: String,
    pub at: NaiveDateTime,
}

/// How a dispute ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DisputeOutcome {
    /// The charge was wrong: this much was credited.
    Accepted {
        credited: Money,
        decided_at: NaiveDateTime,
    },
    /// The charge stands, for the reason given.
    Rejected {
        explanation: String,
        decided_at: NaiveDateTime,
    },
}

/// What a dispute ticket is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    pub amount: Money,
    pub line_description: String,
    pub statement_id: i64,
    pub statement_number: String,
    /// `None` while it waits for a decision.
    pub outcome: Option<DisputeOutcome>,
}

/// One ticket and its conversation, oldest message first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketDetail {
    pub number: String,
    pub subject: String,
    pub category: String,
    pub status: String,
    pub priority: String,
    pub opened_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub messages: Vec<Message>,
    pub dispute: Option<Dispute>,
}

/// A ticket as its subscriber reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportTicket {
    pub ticket: TicketDetail,
    /// False while staff view the account as its subscriber, and on a closed ticket.
    pub can_reply: bool,
    /// False only while staff view the account as its subscriber.
    pub can_write: bool,
}

/// One row of the console's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    pub number: String,
    pub account_id: i64,
    pub account_number: String,
    pub account_name: String,
    pub subject: String,
    pub category: String,
    pub status: String,
    pub priority: String,
    /// The assigned staff member's display name.
    pub assignee: Option<String>,
    /// In the provider's time zone.
    pub updated_at: NaiveDateTime,
}

/// The console's queue, as filtered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    /// One of [`QUEUE_VIEWS`].
    pub view: String,
    /// Only tickets assigned to the caller.
    pub mine: bool,
    pub items: Vec<QueueItem>,
    /// More tickets match than [`QUEUE_LIMIT`]: the oldest updated are not shown.
    pub more: bool,
}

/// A ticket as staff see it in the console. Times are local to the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffTicket {
    pub ticket: TicketDetail,
    pub account_id: i64,
    pub account_number: String,
    pub account_name: String,
    pub time_zone: String,
    pub assignee: Option<String>,
    pub assigned_to_me: bool,
    /// An acceptance of the dispute beyond its asker's limits, waiting for a second person.
    pub acceptance_waiting: Option<AcceptanceWaiting>,
    /// Whether the caller may approve adjustments (and so see the approvals queue).
    pub may_approve: bool,
}

/// Who accepted a dispute beyond their limits, and when (local to the account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptanceWaiting {
    pub asked_by: String,
    pub asked_at: NaiveDateTime,
}

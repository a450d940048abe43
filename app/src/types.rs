//! What the server sends to the browser: plain data, already limited to what the caller may
//! see. Money is [`billing::Money`]; dates and times are already in the account's time zone.

pub mod console;
pub mod integrations;
pub mod network;
pub mod outages;
pub mod payments;
pub mod plans;
pub mod reconciliation;
pub mod reports;
pub mod search;
pub mod security;
pub mod staff;
pub mod tickets;

use billing::Money;
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// The signed-in subscriber, for the page frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub account_number: String,
    pub display_name: String,
    pub first_name: String,
    pub locale: String,
    /// Set while a staff member views the account as its subscriber (the banner).
    pub viewed_by: Option<staff::ViewedBy>,
}

/// A statement's state as the subscriber sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementState {
    Open,
    Paid,
    Overdue,
    Void,
}

impl From<billing::statement::StatementStatus> for StatementState {
    fn from(s: billing::statement::StatementStatus) -> Self {
        use billing::statement::StatementStatus as S;
        match s {
            S::Open => StatementState::Open,
            S::Paid => StatementState::Paid,
            S::Overdue => StatementState::Overdue,
            S::Void => StatementState::Void,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub name: String,
    pub technology: String,
    pub download_mbps: i32,
    pub upload_mbps: i32,
    /// `None`: unlimited.
    pub allowance_gb: Option<i32>,
    pub monthly_price: Money,
}

/// Usage so far in the current billing period, with a linear projection to its end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CycleUsage {
    pub period_start: NaiveDate,
    /// Exclusive: the first day of the next period.
    pub period_end: NaiveDate,
    pub used_bytes: u64,
    /// The cycle's use at this pace; `None` until enough of the cycle has passed to know it.
    pub projected_bytes: Option<u64>,
    /// The first day a projection is made.
    pub projection_from: NaiveDate,
    pub allowance_bytes: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementSummary {
    pub id: i64,
    pub number: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub total_due: Money,
    pub state: StatementState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentSummary {
    pub amount: Money,
    pub paid_on: NaiveDate,
    pub method: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketSummary {
    pub number: String,
    pub subject: String,
    pub status: String,
    pub updated_at: NaiveDateTime,
}

/// Everything on the overview page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub balance: Money,
    /// What the pay page asks for: the balance owed, less any amount held by a dispute.
    pub owed: Money,
    /// The oldest statement still to be paid.
    pub due: Option<StatementSummary>,
    pub plan: Option<PlanSummary>,
    pub usage: Option<CycleUsage>,
    pub latest_statement: Option<StatementSummary>,
    /// The next statement as it stands today (the bill run's own dry run).
    pub next_bill: Option<NextBill>,
    pub last_payment: Option<PaymentSummary>,
    pub open_tickets: Vec<TicketSummary>,
    /// Autopay payments waiting for the subscriber's bank.
    pub needing_action: Vec<payments::ActionNeeded>,
    /// The current cycle's data cap, for a capped plan.
    pub cap: Option<DataCap>,
    /// Outages the provider declared that affect the account's service and are still on.
    pub outages: Vec<OutageNotice>,
}

/// An outage affecting the subscriber, as the overview announces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutageNotice {
    pub title: String,
    /// The provider's words to subscribers.
    pub message: String,
    /// When it began, in the account's time zone.
    pub since: NaiveDateTime,
}

/// "Your next bill, so far": the statement the next bill run would issue, computed now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextBill {
    pub issued_on: NaiveDate,
    /// Its new lines (charges, discounts, tax), without payments already shown elsewhere.
    pub lines: Vec<StatementLine>,
    /// What those lines add up to.
    pub new_charges: Money,
    /// What would be due, counting the balance carried and payments so far.
    pub total_due: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayUsage {
    pub day: NaiveDate,
    pub download_bytes: u64,
    pub upload_bytes: u64,
    /// Whether the day's hours are kept (only recent days have hourly detail).
    pub has_hours: bool,
}

/// One billing period of usage, day by day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsagePeriod {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub allowance_bytes: Option<u64>,
    pub days: Vec<DayUsage>,
}

impl UsagePeriod {
    pub fn total_bytes(&self) -> u64 {
        self.days
            .iter()
            .map(|d| d.download_bytes + d.upload_bytes)
            .sum()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HourUsage {
    /// Local clock hour, 0–23 (a day when clocks change has 23 or 25 entries).
    pub hour: u8,
    pub download_bytes: u64,
    pub upload_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageDayDetail {
    pub day: NaiveDate,
    pub hours: Vec<HourUsage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodTotal {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub total_bytes: u64,
    pub allowance_bytes: Option<u64>,
}

/// The usage page: the chosen period by day, one day by hour, and the last 12 periods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageReport {
    pub period: UsagePeriod,
    pub day: Option<UsageDayDetail>,
    pub history: Vec<PeriodTotal>,
    /// The current cycle's data cap (forecast, add-ons, alerts), for a capped plan.
    pub cap: Option<DataCap>,
    /// When the newest usage figure was taken (the account's local time), if known.
    pub updated_at: Option<NaiveDateTime>,
    /// The account's today (an update today is shown by its time alone).
    pub today: NaiveDate,
}

/// The data cap of the account's service in the current cycle: what is used, the
/// forecast (`billing::data_cap`), the highest alert reached, and the two ways out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataCap {
    pub service_id: i64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// The plan's allowance plus `addon_bytes`.
    pub allowance_bytes: u64,
    /// Data add-ons bought for this cycle.
    pub addon_bytes: u64,
    pub used_bytes: u64,
    pub forecast: billing::data_cap::Forecast,
    /// The highest alert threshold (percent) reached this cycle.
    pub alert: Option<u32>,
    /// The price of each started GB over, when overage is charged.
    pub overage_per_gb: Option<Money>,
    /// A data add-on the subscriber may buy now.
    pub offer: Option<AddOnOffer>,
    /// The preview of a plan with more data (`/plans/{service}/{plan}`), if there is one.
    pub upgrade_href: Option<String>,
    /// Whether the caller may buy (false for staff viewing read-only).
    pub may_buy: bool,
}

/// "+100 GB this cycle for $25.00".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddOnOffer {
    pub gigabytes: u32,
    /// Before tax where tax is added (as the next statement charges it).
    pub price: Money,
    /// The number this add-on would have in the cycle (sent back when buying).
    pub seq: i16,
    /// Paying now by card, when card payments are on (`billing::data_cap::paid_now`).
    pub pay_now: Option<PayNowOffer>,
}

/// What paying a data add-on now by card comes to, shown before the subscriber confirms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayNowOffer {
    /// The tax on the add-on alone.
    pub tax: Money,
    /// What the card is asked for.
    pub total: Money,
    /// The saved card charged at once ("Visa •••• 4242"); `None`: the pay page asks for a
    /// card (no usable default card, or staff taking the payment).
    pub card: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementLine {
    pub description: String,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub amount: Money,
    /// How the amount was worked out, by the billing code (`None`: nothing to add to the
    /// description, or a line issued before workings were kept).
    pub working: Option<String>,
    /// For a line of an issued statement: what the subscriber may do about it (`None` for
    /// lines of a preview or of the bill so far).
    pub question: Option<LineQuestion>,
}

/// A statement line the subscriber may question, or has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineQuestion {
    pub line_id: i64,
    /// A charge of an issued statement (not a payment or a credit).
    pub disputable: bool,
    /// The dispute ticket about it, if there is one (the latest).
    pub ticket: Option<String>,
}

/// The dispute page: one line of one of the account's statements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisputeLine {
    pub statement_id: i64,
    pub statement_number: String,
    pub line_id: i64,
    pub description: String,
    pub amount: Money,
    pub disputable: bool,
    /// An open dispute of this line (its ticket number): another is not opened.
    pub open_ticket: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementGroup {
    pub group: billing::statement::LineGroup,
    pub lines: Vec<StatementLine>,
    pub subtotal: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementDetail {
    pub summary: StatementSummary,
    pub account_number: String,
    pub bill_to: String,
    pub address: Vec<String>,
    pub previous_balance: Money,
    pub total_charges: Money,
    pub total_tax: Money,
    pub total_payments: Money,
    pub total_credits: Money,
    pub groups: Vec<StatementGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEvent {
    pub id: i64,
    pub kind: String,
    pub summary: String,
    pub occurred_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub events: Vec<HistoryEvent>,
    /// Pass as `before` to get the next (older) page.
    pub next_before: Option<i64>,
}

/// The kinds of event the history page can filter on.
pub const EVENT_KINDS: [&str; 10] = [
    "activation",
    "plan_change",
    "suspension",
    "restoration",
    "cancellation",
    "outage",
    "payment",
    "statement",
    "ticket",
    "support_access",
];

//! English: the words every other language translates.

mod cap;
mod disputes;
mod network;
mod payments;
mod plans;
mod security;
mod tickets;

pub use cap::CAP_EN;
pub use disputes::DISPUTES_EN;
pub use network::NETWORK_EN;
pub use payments::PAY_EN;
pub use plans::PLANS_EN;
pub use security::SECURITY_EN;
pub use tickets::TICKETS_EN;

use super::{Lang, Texts};
use crate::error::AppError;

fn error(e: &AppError) -> String {
    match e {
        AppError::Unauthenticated => "Your session has ended. Please sign in again.".into(),
        AppError::NotFound => "We couldn't find that.".into(),
        AppError::Forbidden => "Your role does not allow this.".into(),
        AppError::ReadOnly => {
            "Not while viewing as the subscriber: this needs the subscriber themselves.".into()
        }
        AppError::InvalidCredentials => {
            "That email or account number and password don't match our records.".into()
        }
        AppError::Throttled { retry_after_secs } => {
            let minutes = retry_after_secs.div_ceil(60).max(1);
            format!(
                "Too many attempts. For your security, please wait {minutes} minute{} before trying again.",
                if minutes == 1 { "" } else { "s" }
            )
        }
        AppError::InvalidInput { message, .. } => message.clone(),
        AppError::ResetLinkInvalid => {
            "This reset link has expired or was already used. Please ask for a new one.".into()
        }
        AppError::BadRequest => {
            "The request could not be read. Please reload the page and try again.".into()
        }
        AppError::Conflict { message } => message.clone(),
        // In this language, from the decline's code (the server's message is English).
        AppError::PaymentFailed { reason, .. } => (PAY_EN.decline)(reason).into(),
        AppError::Unavailable => {
            "We couldn't reach our card processor. Nothing was charged; please try again in a moment."
                .into()
        }
        AppError::DatabaseDown => "We can't reach your account's records just now. Nothing was changed; please try again in a minute.".into(),
        AppError::Internal => {
            "Something went wrong on our side. Please try again in a moment.".into()
        }
    }
}

fn event_kind(kind: &str) -> &'static str {
    match kind {
        "activation" => "Activation",
        "plan_change" => "Plan change",
        "suspension" => "Suspension",
        "restoration" => "Restoration",
        "cancellation" => "Cancellation",
        "outage" => "Outage",
        "payment" => "Payment",
        "statement" => "Statement",
        "ticket" => "Support ticket",
        "support_access" => "Support access",
        "dunning" => "Reminder",
        _ => "Account",
    }
}

pub static EN: Texts = Texts {
    lang: Lang::En,
    app_name: "Lastmile",
    colon: ": ",
    nav_overview: "Overview",
    nav_usage: "Usage",
    nav_statements: "Statements",
    nav_history: "History",
    nav_sign_out: "Sign out",
    nav_menu: "Main menu",
    skip_to_content: "Skip to content",
    loading: "Loading…",
    account_label: "Account",

    sign_in_title: "Sign in",
    sign_in_identifier: "Email or account number",
    sign_in_identifier_hint: "Your account number is at the top of every statement.",
    sign_in_password: "Password",
    sign_in_submit: "Sign in",
    sign_in_forgot: "Forgot your password?",
    sign_in_session_ended: "Your session has ended. Please sign in again.",
    signed_out: "You have signed out.",

    forgot_title: "Reset your password",
    forgot_intro: "Enter your email or account number and we'll email you a link to choose a new password.",
    forgot_submit: "Email me a link",
    forgot_sent: "If that matches an account, we've sent a link to its email address. The link works once, for one hour.",
    reset_title: "Choose a new password",
    reset_new_password: "New password",
    reset_confirm_password: "Confirm new password",
    reset_submit: "Save password",
    reset_done: "Your password has been changed. You can now sign in.",
    back_to_sign_in: "Back to sign in",

    overview_title: "Overview",
    balance: "Balance",
    balance_credit: "You're in credit",
    nothing_due: "Nothing to pay right now.",
    due_on: |d| format!("Due {d}"),
    overdue_since: |d| format!("Overdue since {d}"),
    your_plan: "Your plan",
    no_active_plan: "No active service.",
    unlimited_data: "Unlimited data",
    allowance: |a| format!("{a} a month"),
    speed: |down, up| format!("{down} Mbps down · {up} Mbps up"),
    per_month: |p| format!("{p} a month"),
    usage_this_cycle: "Usage this cycle",
    usage_of_allowance: |used, allowance| format!("{used} of {allowance}"),
    usage_used: |used| format!("{used} used"),
    usage_projection: |p| format!("At this rate you'll use about {p} by the end of the cycle."),
    usage_projection_over: |p| {
        format!("At this rate you'll use about {p} by the end of the cycle, more than your allowance.")
    },
    usage_no_hours_since: |day, from| {
        format!("Hour-by-hour figures are kept for recent days only: {day} has its total, and days from {from} have their hours.")
    },
    usage_no_hours: |day| format!("Hour-by-hour figures are kept for recent days only: {day} has its total."),
    usage_projection_too_early: |date| {
        format!("It's too early in the cycle to forecast your use: we'll show a forecast from {date}.")
    },

    cycle_dates: |from, to| format!("{from} – {to}"),
    latest_statement: "Latest statement",
    next_bill: "Your next bill, so far",
    next_bill_on: |date| format!("Statement of {date}"),
    next_bill_new_charges: "New charges",
    next_bill_total: "Total if nothing else changes",
    next_bill_note: "Usage and payments up to today; the final figures come with the statement.",
    no_statements: "No statements yet.",
    last_payment: "Last payment",
    no_payments: "No payments yet.",
    paid_on: |amount, date| format!("{amount} on {date}"),
    open_tickets: "Open support tickets",
    no_open_tickets: "No open tickets.",
    outage_heading: |title| format!("Service disruption: {title}"),
    outage_since: |since| format!("Since {since}. We are working to fix it."),
    outage_credit: "If it lasts more than 48 hours, your next bill is credited a day's price for each further full day.",
    view_statement: "View statement",
    view_usage: "View usage",

    usage_title: "Usage",
    usage_by_day: "By day",
    usage_by_hour: |d| format!("By hour on {d}"),
    usage_last_cycles: "Last 12 cycles",
    usage_download_csv: "Download CSV",
    usage_previous_cycle: "Previous cycle",
    usage_next_cycle: "Next cycle",
    usage_no_data: "No usage recorded in this period.",
    usage_table_caption: "Data used per day",
    col_day: "Day",
    col_hour: "Hour",
    col_download: "Download",
    col_upload: "Upload",
    col_total: "Total",
    col_period: "Period",
    col_allowance: "Allowance",
    show_table: "Show the figures as a table",
    allowance_line: "Daily share of allowance",
    choose_day: "Choose a day to see it by hour.",

    statements_title: "Statements",
    col_statement: "Statement",
    col_issued: "Issued",
    col_due: "Due",
    col_amount: "Amount",
    col_status: "Status",
    status_open: "Open",
    status_paid: "Paid",
    status_overdue: "Overdue",
    status_void: "Void",
    statement_title: |n| format!("Statement {n}"),
    statement_period: "Period",
    statement_issued: "Issued",
    statement_due: "Due",
    statement_account: "Account",
    previous_balance: "Previous balance",
    new_charges: "New charges",
    taxes: "Taxes",
    payments: "Payments",
    credits: "Credits and adjustments",
    total_due: "Total due",
    subtotal: "Subtotal",
    group_recurring: "Plan and services",
    group_usage: "Usage",
    group_one_time: "One-time charges",
    group_taxes: "Taxes",
    group_payments_credits: "Payments and credits",
    print: "Print",
    download_pdf: "Download PDF",
    back_to_statements: "All statements",
    line_working: "How this was worked out",
    continued: |heading| format!("{heading} (continued)"),
    page_of: |page, pages| format!("Page {page} of {pages}"),

    history_title: "Service history",
    history_all: "All events",
    history_filter: "Show",
    history_empty: "Nothing here yet.",
    history_older: "Older events",
    event_kind,

    not_found_title: "Page not found",
    not_found_body: "The page you asked for isn't here.",
    error,
    error_heading: |error| match error {
        AppError::NotFound => "Not found",
        AppError::Forbidden | AppError::ReadOnly => "Not allowed",
        AppError::Unauthenticated => "Please sign in again",
        _ => "Something went wrong",
    },
    try_again: "Try again",
};

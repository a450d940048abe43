//! The localisation layer: every word a subscriber reads, and every money amount, date and
//! data size, is produced here. A page asks for [`use_i18n`] and never formats by itself.
//!
//! Adding a language means adding one file with a [`Texts`] value and naming it in
//! [`Texts::for_locale`]; the pages do not change. Number and date conventions follow the
//! account's locale (`en-US`, `en-GB`, `de-DE`, ...), the currency symbol the amount's currency.

mod cap;
mod console;
mod disputes;
mod en;
mod format;
mod integrations;
mod network;
mod payments;
mod plans;
mod staff;
mod tickets;

pub use cap::{CapTexts, CAP_EN};
pub use console::{ConsoleTexts, CONSOLE_EN};
pub use disputes::{DisputeTexts, DISPUTES_EN};
pub use format::Formats;
pub use integrations::{IntegrationTexts, INTEGRATIONS_EN};
pub use network::{NetworkTexts, NETWORK_EN};
pub use payments::{PayTexts, PAY_EN};
pub use plans::{PlanTexts, PLANS_EN};
pub use staff::{StaffTexts, STAFF_EN};
pub use tickets::{TicketTexts, TICKETS_EN};

use billing::statement::LineGroup;
use leptos::prelude::*;

use crate::types::StatementState;

pub use en::EN;

/// The strings of one language. Fields that take values are functions.
pub struct Texts {
    pub app_name: &'static str,
    pub nav_overview: &'static str,
    pub nav_usage: &'static str,
    pub nav_statements: &'static str,
    pub nav_history: &'static str,
    pub nav_sign_out: &'static str,
    pub nav_menu: &'static str,
    pub skip_to_content: &'static str,
    pub loading: &'static str,
    pub account_label: &'static str,

    pub sign_in_title: &'static str,
    pub sign_in_identifier: &'static str,
    pub sign_in_identifier_hint: &'static str,
    pub sign_in_password: &'static str,
    pub sign_in_submit: &'static str,
    pub sign_in_forgot: &'static str,
    pub sign_in_session_ended: &'static str,
    pub signed_out: &'static str,

    pub forgot_title: &'static str,
    pub forgot_intro: &'static str,
    pub forgot_submit: &'static str,
    pub forgot_sent: &'static str,
    pub reset_title: &'static str,
    pub reset_new_password: &'static str,
    pub reset_confirm_password: &'static str,
    pub reset_submit: &'static str,
    pub reset_done: &'static str,
    pub back_to_sign_in: &'static str,

    pub overview_title: &'static str,
    pub balance: &'static str,
    pub balance_credit: &'static str,
    pub nothing_due: &'static str,
    pub due_on: fn(&str) -> String,
    pub overdue_since: fn(&str) -> String,
    pub your_plan: &'static str,
    pub no_active_plan: &'static str,
    pub unlimited_data: &'static str,
    pub allowance: fn(&str) -> String,
    pub speed: fn(i32, i32) -> String,
    pub per_month: fn(&str) -> String,
    pub usage_this_cycle: &'static str,
    pub usage_of_allowance: fn(&str, &str) -> String,
    pub usage_used: fn(&str) -> String,
    pub usage_projection: fn(&str) -> String,
    pub usage_projection_over: fn(&str) -> String,
    /// A day asked for whose hours are not kept, and the first day whose hours are.
    pub usage_no_hours_since: fn(&str, &str) -> String,
    pub usage_no_hours: fn(&str) -> String,
    /// No projection yet: the date one is first made.
    pub usage_projection_too_early: fn(&str) -> String,
    pub cycle_dates: fn(&str, &str) -> String,
    pub latest_statement: &'static str,
    pub next_bill: &'static str,
    pub next_bill_on: fn(&str) -> String,
    pub next_bill_new_charges: &'static str,
    pub next_bill_total: &'static str,
    pub next_bill_note: &'static str,
    pub no_statements: &'static str,
    pub last_payment: &'static str,
    pub no_payments: &'static str,
    pub paid_on: fn(&str, &str) -> String,
    pub open_tickets: &'static str,
    pub no_open_tickets: &'static str,
    pub view_statement: &'static str,
    pub view_usage: &'static str,

    pub usage_title: &'static str,
    pub usage_by_day: &'static str,
    pub usage_by_hour: fn(&str) -> String,
    pub usage_last_cycles: &'static str,
    pub usage_download_csv: &'static str,
    pub usage_previous_cycle: &'static str,
    pub usage_next_cycle: &'static str,
    pub usage_no_data: &'static str,
    pub usage_table_caption: &'static str,
    pub col_day: &'static str,
    pub col_hour: &'static str,
    pub col_download: &'static str,
    pub col_upload: &'static str,
    pub col_total: &'static str,
    pub col_period: &'static str,
    pub col_allowance: &'static str,
    pub show_table: &'static str,
    pub allowance_line: &'static str,
    pub choose_day: &'static str,

    pub statements_title: &'static str,
    pub col_statement: &'static str,
    pub col_issued: &'static str,
    pub col_due: &'static str,
    pub col_amount: &'static str,
    pub col_status: &'static str,
    pub status_open: &'static str,
    pub status_paid: &'static str,
    pub status_overdue: &'static str,
    pub status_void: &'static str,
    pub statement_title: fn(&str) -> String,
    pub statement_period: &'static str,
    pub statement_issued: &'static str,
    pub statement_due: &'static str,
    pub statement_account: &'static str,
    pub previous_balance: &'static str,
    pub new_charges: &'static str,
    pub taxes: &'static str,
    pub payments: &'static str,
    pub credits: &'static str,
    pub total_due: &'static str,
    pub subtotal: &'static str,
    pub group_recurring: &'static str,
    pub group_usage: &'static str,
    pub group_one_time: &'static str,
    pub group_taxes: &'static str,
    pub group_payments_credits: &'static str,
    pub print: &'static str,
    pub download_pdf: &'static str,
    pub back_to_statements: &'static str,
    /// Opens a statement line's working.
    pub line_working: &'static str,
    /// A group of statement lines carried over to the next printed page.
    pub continued: fn(&str) -> String,
    /// The footer of a printed page: page 1 of 2.
    pub page_of: fn(usize, usize) -> String,

    pub history_title: &'static str,
    pub history_all: &'static str,
    pub history_filter: &'static str,
    pub history_empty: &'static str,
    pub history_older: &'static str,
    pub event_kind: fn(&str) -> &'static str,

    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub error: fn(&crate::error::AppError) -> String,
    /// The title and heading of a page that cannot be shown.
    pub error_heading: fn(&crate::error::AppError) -> &'static str,
    pub try_again: &'static str,
}

impl Texts {
    /// The heading of a group of statement lines, on the page and in the PDF alike.
    pub fn line_group(&self, group: LineGroup) -> &'static str {
        match group {
            LineGroup::Recurring => self.group_recurring,
            LineGroup::Usage => self.group_usage,
            LineGroup::OneTime => self.group_one_time,
            LineGroup::Taxes => self.group_taxes,
            LineGroup::PaymentsAndCredits => self.group_payments_credits,
        }
    }

    /// The word for a statement's state.
    pub fn statement_state(&self, state: StatementState) -> &'static str {
        match state {
            StatementState::Open => self.status_open,
            StatementState::Paid => self.status_paid,
            StatementState::Overdue => self.status_overdue,
            StatementState::Void => self.status_void,
        }
    }

    /// The texts for a locale tag such as `en-US`; English when the language is not offered.
    pub fn for_locale(_locale: &str) -> &'static Texts {
        &EN
    }
}

/// Texts and formats for one locale, shared by every page through the context.
#[derive(Clone, Copy)]
pub struct I18n {
    pub t: &'static Texts,
    pub f: Formats,
}

impl I18n {
    pub fn new(locale: &str) -> Self {
        I18n {
            t: Texts::for_locale(locale),
            f: Formats::new(locale),
        }
    }
}

/// Provides the locale for the pages below (called by the page frame once the account is known).
pub fn provide_i18n(locale: &str) -> I18n {
    let i18n = I18n::new(locale);
    provide_context(i18n);
    i18n
}

/// The signed-in account's texts and formats, or US English before anyone has signed in.
pub fn use_i18n() -> I18n {
    use_context::<I18n>().unwrap_or_else(|| I18n::new("en-US"))
}

//! The localisation layer: every word a subscriber reads, and every money amount, date and
//! data size, is produced here. A page asks for [`use_i18n`] and never formats by itself.
//!
//! Each language is a folder (`en/`, `es/`, `fr/`) with one value of [`Texts`] and of each
//! part of it ([`PayTexts`], [`CapTexts`], ...); the struct files here say what each string
//! is for. Adding a language means adding a folder and a [`Lang`]; the pages do not change.
//! The staff console is in English only ([`ConsoleTexts`], [`StaffTexts`], ...).
//!
//! A subscriber's locale joins their language with their account's region: `es-US` is
//! Spanish words with the region's dollars. The language is the one the login chose
//! (remembered in `portal_logins.language`), else the browser's first offered one, else the
//! account's. Number and date conventions follow the whole locale ([`Formats`]), the currency
//! symbol the amount's currency.

mod cap;
mod console;
mod disputes;
mod en;
mod es;
mod fr;
mod integrations;
mod network;
mod outages;
mod payments;
mod plans;
mod reconciliation;
mod reports;
mod security;
mod staff;
mod tickets;

pub use billing::format::Formats;
pub use cap::CapTexts;
pub use console::{ConsoleTexts, CONSOLE_EN};
pub use disputes::DisputeTexts;
pub use integrations::{IntegrationTexts, INTEGRATIONS_EN};
pub use network::NetworkTexts;
pub use payments::PayTexts;
pub use plans::PlanTexts;
pub use security::SecurityTexts;
pub use staff::{StaffTexts, STAFF_EN};
pub use tickets::TicketTexts;

use billing::statement::LineGroup;
use leptos::prelude::*;

use crate::types::StatementState;

pub use en::{CAP_EN, DISPUTES_EN, EN, NETWORK_EN, PAY_EN, PLANS_EN, TICKETS_EN};
pub use es::ES;
pub use fr::FR;

/// A language the subscriber's pages are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Es,
    Fr,
}

impl Lang {
    /// Every language offered, in the order the switcher lists them.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Es, Lang::Fr];

    /// The language's code, as in `portal_logins.language` and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Fr => "fr",
        }
    }

    /// The language's name in itself, as the switcher shows it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
            Lang::Fr => "Français",
        }
    }

    /// The word "language" in this language, for the switcher's name.
    pub fn language_word(self) -> &'static str {
        match self {
            Lang::En => "Language",
            Lang::Es => "Idioma",
            Lang::Fr => "Langue",
        }
    }

    /// The language of a code or a locale tag (`es`, `es-MX`, `FR-ca`), if offered.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let lang = tag.trim().split(['-', '_']).next().unwrap_or("");
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(lang))
    }

    /// The offered language a browser prefers most, from its `Accept-Language` header
    /// (`fr-CA,fr;q=0.9,en;q=0.5`): the highest weight wins, the earlier on a tie; a weight
    /// of zero refuses a language; `*` says nothing.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(Lang, u16)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), parse_weight);
            match weight {
                Some(w) if w > 0 && best.is_none_or(|(_, b)| w > b) => best = Some((lang, w)),
                _ => {}
            }
        }
        best.map(|(lang, _)| lang)
    }

    /// The locale this language makes in an account's locale: its region kept (`en-US` read
    /// in Spanish is `es-US`).
    pub fn in_locale(self, account_locale: &str) -> String {
        match account_locale.split_once('-') {
            Some((_, region)) => format!("{}-{region}", self.code()),
            None => self.code().to_string(),
        }
    }
}

/// A quality value (`0.8`, `1`, `0.125`) in thousandths; `None` when it is not one.
fn parse_weight(q: &str) -> Option<u16> {
    let q = q.trim();
    let (int, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac: u16 = format!("{frac:0<3}").parse().ok()?;
    match int {
        "0" => Some(frac),
        "1" if frac == 0 => Some(1000),
        _ => None,
    }
}

/// The strings of one language. Fields that take values are functions.
pub struct Texts {
    /// The language these are written in; its parts ([`Texts::pay`], ...) follow it.
    pub lang: Lang,
    pub app_name: &'static str,
    /// Between a label and its value: ": ", or "\u{a0}: " in French.
    pub colon: &'static str,
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
    /// An outage on the overview: "Service disruption: {title}".
    pub outage_heading: fn(&str) -> String,
    /// "Since Nov 10, 2026, 8:00 AM"
    pub outage_since: fn(&str) -> String,
    /// What a long outage earns.
    pub outage_credit: &'static str,
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

    /// The texts for a locale tag such as `en-US` or `fr-CA`; English when the language is
    /// not offered.
    pub fn for_locale(locale: &str) -> &'static Texts {
        // The console's bundle is in English only: leaving the other languages out of its
        // islands keeps their words out of the code staff download.
        #[cfg(all(feature = "console", not(feature = "ssr")))]
        {
            let _ = locale;
            &EN
        }
        #[cfg(not(all(feature = "console", not(feature = "ssr"))))]
        match Lang::from_tag(locale) {
            Some(Lang::Es) => &ES,
            Some(Lang::Fr) => &FR,
            Some(Lang::En) | None => &EN,
        }
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

/// The signed-in account's texts and formats. Before anyone has signed in: the browser's
/// language on the server ([`crate::server::language`]); in an island in the browser, the
/// page's (the server writes the locale in `<html lang>`, see [`page_locale`]).
pub fn use_i18n() -> I18n {
    use_context::<I18n>().unwrap_or_else(|| I18n::new(&page_locale()))
}

/// The locale the page being rendered is written in: the signed-in subscriber's (the sign-in
/// check leaves it with the request), else the browser's language, else US English. The
/// shell writes it in `<html lang>`; islands in the browser read it back from there.
pub fn page_locale() -> String {
    #[cfg(feature = "ssr")]
    {
        if let Some(me) = crate::server::access::from_request::<crate::types::Me>() {
            return me.locale;
        }
        crate::server::language::of_page().map_or("en-US".into(), |lang| lang.code().to_string())
    }
    #[cfg(not(feature = "ssr"))]
    {
        leptos::prelude::document()
            .document_element()
            .and_then(|html| html.get_attribute("lang"))
            .unwrap_or_else(|| "en-US".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browsers_most_wanted_offered_language_wins() {
        let best = Lang::from_accept_language;
        assert_eq!(best("fr-CA,fr;q=0.9,en;q=0.8"), Some(Lang::Fr));
        assert_eq!(best("de-DE,de;q=0.9,es;q=0.5,en;q=0.4"), Some(Lang::Es));
        // Weights, not order, decide; a tie keeps the earlier.
        assert_eq!(best("en;q=0.5, es;q=0.7"), Some(Lang::Es));
        assert_eq!(best("es;q=0.7, fr;q=0.7"), Some(Lang::Es));
        // Refused (q=0), malformed weights and `*` say nothing.
        assert_eq!(best("fr;q=0, es;q=1.5, *"), None);
        assert_eq!(best("ES-mx"), Some(Lang::Es));
        assert_eq!(best(""), None);
    }

    #[test]
    fn a_language_keeps_the_accounts_region() {
        assert_eq!(Lang::Es.in_locale("en-US"), "es-US");
        assert_eq!(Lang::Fr.in_locale("en-CA"), "fr-CA");
        assert_eq!(Lang::En.in_locale("en"), "en");
        assert_eq!(Texts::for_locale("fr-CA").lang, Lang::Fr);
        assert_eq!(Texts::for_locale("de-DE").lang, Lang::En);
        // Each language's parts are its own.
        assert_eq!(ES.pay().nav_pay, super::es::PAY_ES.nav_pay);
        assert_ne!(ES.pay().nav_pay, EN.pay().nav_pay);
        assert_ne!(FR.plans().nav_plans, EN.plans().nav_plans);
    }
}

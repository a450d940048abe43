//! The words of the subscriber's emails, in each language the portal speaks (`en`, `es`,
//! `fr`, as `app::i18n::Lang`). Amounts and dates come in already written the recipient's
//! way ([`billing::format::Formats`]); these say what is around them. Emails to the
//! provider's own support inbox stay in English and do not use these.
//!
//! A sentence with a value is a function; a sentence whose value the HTML shows in bold
//! returns the words before and after it.

mod en;
mod es;
mod fr;

pub use en::EN;
pub use es::ES;
pub use fr::FR;

/// The words around a value shown in bold: before it, after it.
pub type Around = (String, String);

/// Every fixed word of the subscriber's emails in one language.
pub struct MailWords {
    /// The language's code, for `<html lang>`.
    pub lang: &'static str,
    /// "Hello Ada,"
    pub hello: fn(first_name: &str) -> String,
    /// Between a label and its value: ": ", or "\u{a0}: " in French.
    pub colon: &'static str,

    // An outage declared, and over.
    /// "Service disruption: Fibre cut on Main Street"
    pub outage_subject: fn(title: &str) -> String,
    /// "Since 8:00 AM on Nov 10, your service is affected by an outage we are working on."
    pub outage_began: fn(since: &str) -> String,
    /// What a long outage earns, said once.
    pub outage_credit_rule: &'static str,
    /// "Resolved: Fibre cut on Main Street"
    pub outage_over_subject: fn(title: &str) -> String,
    /// "The outage is over since 2:30 PM on Nov 13, and your service works as before."
    pub outage_over: fn(until: &str) -> String,

    // Staff turned off a subscriber's authenticator app.
    pub second_factor_reset_subject: fn(provider: &str) -> String,
    pub second_factor_reset: &'static str,
    pub second_factor_reset_not_you: &'static str,

    // An imported subscriber invited to the portal (`lastmile import invite`).
    pub invitation_subject: fn(provider: &str) -> String,
    /// "Your account has moved to our new portal ..."
    pub invitation: fn(provider: &str, account_number: &str) -> String,
    /// "The link works once, for 14 days."
    pub invitation_within: fn(days: u32) -> String,
    /// The button.
    pub invitation_button: &'static str,

    // The statement email.
    pub statement_subject_due: fn(provider: &str, amount: &str, due: &str) -> String,
    pub statement_subject_ready: fn(provider: &str, number: &str) -> String,
    /// The HTML's title.
    pub statement_title: fn(provider: &str, number: &str) -> String,
    /// "Your X statement **S-1** for Nov 5 – Dec 4, 2026 is ready.", around the number.
    pub statement_ready: fn(provider: &str, period: &str) -> Around,
    /// "$12.00 was taken from your prepaid balance. Your balance is now **...**."
    pub statement_prepaid: fn(charged: &str) -> Around,
    /// "There is nothing to pay: your balance is **...**."
    pub statement_nothing_to_pay: fn() -> Around,
    pub amount_due: &'static str,
    pub due_by: &'static str,
    /// The pay link's button: "Pay $12.00 now".
    pub pay_amount_now: fn(amount: &str) -> String,
    /// Before the pay link in the plain text.
    pub pay_by_card_now: &'static str,
    /// Before the statement's link in the plain text.
    pub see_statement_online: &'static str,
    pub view_statement: &'static str,
    pub paste_address: &'static str,

    // Balances.
    /// "$12.00 in credit"
    pub in_credit: fn(amount: &str) -> String,
    /// "$12.00 owed"
    pub owed: fn(amount: &str) -> String,

    // Prepaid balance notices.
    pub restored_subject: fn(provider: &str) -> String,
    pub restored: &'static str,
    pub balance_now: fn(balance: &str) -> String,
    pub see_account: &'static str,
    pub exhausted_subject: fn(provider: &str) -> String,
    pub exhausted: fn(period: &str, short: &str) -> String,
    pub exhausted_top_up: fn(short: &str) -> String,
    pub low_subject: fn(provider: &str) -> String,
    pub low: fn(balance: &str, plan: &str, next_period: &str) -> String,
    pub low_top_up: &'static str,
    pub top_up: &'static str,

    // Usage alerts.
    pub usage_subject_all: fn(period: &str) -> String,
    pub usage_subject: fn(percent: i16, period: &str) -> String,
    /// Gigabytes as numbers ("860.0"): the words carry the unit ("GB", "Go").
    pub usage_used: fn(used: &str, allowance: &str, period: &str) -> String,
    pub usage_overage: fn(price: &str) -> String,
    pub usage_offer: fn(gigabytes: &str, price: &str) -> String,
    pub see_usage: &'static str,

    // Dunning.
    pub reminder_subject: fn(amount: &str, due: &str) -> String,
    pub reminder: fn(amount: &str, number: &str, due: &str) -> String,
    pub reminder_if_paid: &'static str,
    pub overdue_subject: fn(amount: &str) -> String,
    pub overdue: fn(amount: &str, due: &str, number: &str) -> String,
    pub overdue_pay: &'static str,
    pub late_fee_subject: fn(fee: &str) -> String,
    pub late_fee: fn(amount: &str, due: &str, number: &str, fee: &str) -> String,
    pub late_fee_pay: &'static str,
    pub suspended_subject: &'static str,
    pub suspended: fn(amount: &str, number: &str, due: &str) -> String,
    pub suspended_pay: &'static str,
    pub pay_now: &'static str,

    // Card payments.
    /// "Visa ending 4242"
    pub card_ending: fn(brand: &str, last4: &str) -> String,
    /// A card whose brand and digits are not known.
    pub a_card: &'static str,
    pub receipt_subject: fn(amount: &str) -> String,
    pub receipt: fn(amount: &str, card: &str) -> String,
    pub receipt_reference: fn(reference: &str) -> String,
    pub see_receipt: &'static str,
    pub confirm_subject: &'static str,
    pub confirm: fn(amount: &str) -> String,
    pub confirm_nothing_yet: &'static str,
    pub confirm_payment: &'static str,
    pub autopay_failed_subject: fn(amount: &str) -> String,
    pub autopay_failed: fn(amount: &str, card: &str) -> String,
    pub autopay_failed_nothing: &'static str,

    // Support requests and disputes.
    pub ticket_answered_subject: fn(number: &str) -> String,
    pub ticket_answered: fn(staff: &str, subject: &str, number: &str) -> String,
    pub ticket_resolved: &'static str,
    pub ticket_closed: &'static str,
    pub ticket_waiting: &'static str,
    pub see_conversation: &'static str,
    pub dispute_credited_subject: fn(amount: &str, number: &str) -> String,
    pub dispute_credited: fn(amount: &str) -> String,
    pub dispute_rejected_subject: fn(number: &str) -> String,

    // Password reset.
    pub reset_subject: fn(provider: &str) -> String,
    pub reset_asked: fn(provider: &str) -> String,
    /// Before the link in the plain text.
    pub reset_open_within: fn(minutes: u64) -> String,
    /// Before the button in the HTML.
    pub reset_use_within: fn(minutes: u64) -> String,
    pub reset_button: &'static str,
    pub reset_not_you: &'static str,
}

/// The words for a locale (`es-US`, `fr`, `en-GB`): English unless its language is Spanish
/// or French.
pub fn words(locale: &str) -> &'static MailWords {
    let lang = locale.split(['-', '_']).next().unwrap_or("");
    match lang.to_ascii_lowercase().as_str() {
        "es" => &ES,
        "fr" => &FR,
        _ => &EN,
    }
}

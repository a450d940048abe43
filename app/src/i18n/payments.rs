//! The words of the card-payment pages (paying, receipts, saved cards, autopay, pay by
//! link), and declines explained in plain words. Reached through [`Texts::pay`], so that a
//! language adds one more value here.

use super::{Lang, Texts};

/// The strings of the card-payment pages in one language.
pub struct PayTexts {
    pub nav_pay: &'static str,
    pub nav_cards: &'static str,

    pub pay_title: &'static str,
    pub balance_now: &'static str,
    pub statement_due: fn(&str, &str) -> String,
    pub statement_overdue: fn(&str, &str) -> String,
    pub nothing_owed: &'static str,
    pub amount_label: &'static str,
    pub amount_hint: fn(&str, &str) -> String,
    pub pay_with: &'static str,
    pub new_card: &'static str,
    pub card_details: &'static str,
    pub save_card: &'static str,
    pub pay_button: fn(&str) -> String,
    pub pay_button_plain: &'static str,
    pub paying: &'static str,
    pub wallet_or: &'static str,
    pub wallet_label: &'static str,
    pub secure_note: &'static str,
    pub cards_unavailable: &'static str,
    pub stripe_not_loaded: &'static str,
    pub manage_cards: &'static str,

    pub card_line: fn(&str, &str) -> String,
    pub card_expires: fn(u8, u16) -> String,
    pub card_expired: &'static str,
    pub default_badge: &'static str,

    pub receipt_title: &'static str,
    pub receipt_thanks: &'static str,
    pub receipt_amount: &'static str,
    pub receipt_date: &'static str,
    pub receipt_card: &'static str,
    pub receipt_statement: &'static str,
    pub receipt_status: &'static str,
    pub receipt_reference: &'static str,
    pub receipt_how: &'static str,
    pub source_portal: &'static str,
    pub source_pay_link: &'static str,
    pub source_autopay: &'static str,
    pub state_pending: &'static str,
    pub state_requires_action: &'static str,
    pub state_succeeded: &'static str,
    pub state_failed: &'static str,
    pub state_cancelled: &'static str,
    pub action_needed: &'static str,
    /// A card payment Stripe has not yet answered for: not to be paid again.
    pub not_finished: &'static str,
    pub confirm_with_bank: &'static str,
    pub confirming: &'static str,
    pub back_to_overview: &'static str,
    pub pay_again: &'static str,

    pub cards_title: &'static str,
    pub no_cards: &'static str,
    pub add_card: &'static str,
    pub save_new_card: &'static str,
    pub saving: &'static str,
    pub card_saved: &'static str,
    pub make_default: &'static str,
    pub remove: &'static str,
    pub remove_confirm: fn(&str) -> String,
    pub remove_yes: &'static str,
    pub cancel: &'static str,
    pub autopay_title: &'static str,
    pub autopay_explain: &'static str,
    pub autopay_on: &'static str,
    pub autopay_off: &'static str,
    pub autopay_turn_on: &'static str,
    pub autopay_turn_off: &'static str,
    pub autopay_needs_card: &'static str,

    pub notice_action: fn(&str) -> String,
    pub notice_action_link: &'static str,

    pub link_title: &'static str,
    pub link_statement: &'static str,
    pub link_amount: &'static str,
    pub link_due: &'static str,
    pub link_paid: &'static str,
    pub link_on_hold: &'static str,
    pub link_done: fn(&str, i64) -> String,
    pub link_expired: &'static str,
    pub link_invalid: &'static str,
    pub link_sign_in: &'static str,

    /// A card refused, in plain words, from Stripe's code.
    pub decline: fn(&str) -> &'static str,
}

impl Texts {
    /// These words in this language.
    pub fn pay(&self) -> &'static PayTexts {
        match self.lang {
            Lang::En => &super::en::PAY_EN,
            Lang::Es => &super::es::PAY_ES,
            Lang::Fr => &super::fr::PAY_FR,
        }
    }
}

//! [`PayTexts`] in English.

use crate::i18n::PayTexts;

fn decline(code: &str) -> &'static str {
    match code {
        "insufficient_funds" => {
            "Your card was declined for insufficient funds. Try another card, or pay a smaller amount."
        }
        "expired_card" => "This card has expired. Check the expiry date or use another card.",
        "incorrect_cvc" | "invalid_cvc" => {
            "The security code (CVC) doesn't match. Check the 3 digits on the back of your card."
        }
        "incorrect_number" | "invalid_number" => {
            "The card number isn't right. Please check it and try again."
        }
        "invalid_expiry_month" | "invalid_expiry_year" => {
            "The expiry date isn't right. Please check it and try again."
        }
        "incorrect_zip" => "The postal code doesn't match your card. Please check it.",
        "processing_error" => {
            "Something went wrong while processing your card. Nothing was charged; please try again."
        }
        "payment_intent_authentication_failure"
        | "setup_intent_authentication_failure"
        | "authentication_required" => {
            "Your bank couldn't confirm this payment. Nothing was charged. Try again, or use another card."
        }
        "lost_card" | "stolen_card" | "pickup_card" | "restricted_card" | "fraudulent" => {
            "Your bank declined this card. Please use another card, or call your bank."
        }
        "card_velocity_exceeded" | "withdrawal_count_limit_exceeded" => {
            "Your card has reached its limit. Try another card, or call your bank."
        }
        "currency_not_supported" | "card_not_supported" => {
            "This card can't be used for this payment. Please use another card."
        }
        "do_not_honor" | "generic_decline" | "card_declined" | "call_issuer" => {
            "Your card was declined. Nothing was charged. Try another card, or call your bank."
        }
        _ => "Your card wasn't accepted. Nothing was charged. Try another card.",
    }
}

pub static PAY_EN: PayTexts = PayTexts {
    nav_pay: "Pay",
    nav_cards: "Cards",

    pay_title: "Make a payment",
    balance_now: "Balance now",
    statement_due: |number, date| format!("Statement {number}, due {date}"),
    statement_overdue: |number, date| format!("Statement {number} was due {date}"),
    nothing_owed: "You have nothing to pay right now. You can still pay ahead.",
    amount_label: "Amount to pay",
    amount_hint: |min, max| format!("Between {min} and {max}."),
    pay_with: "Pay with",
    new_card: "A new card",
    card_details: "Card details",
    save_card: "Save this card for next time",
    pay_button: |amount| format!("Pay {amount}"),
    pay_button_plain: "Pay",
    paying: "Paying…",
    wallet_or: "Or enter your card below",
    wallet_label: "Pay with Apple Pay or Google Pay",
    secure_note: "Your card details go straight to our card processor, Stripe. We never see or store your card number.",
    cards_unavailable: "Card payments are not available right now. Please try again later.",
    stripe_not_loaded: "The card form couldn't load. Check your connection and reload the page.",
    manage_cards: "Saved cards and autopay",

    card_line: |brand, last4| format!("{brand} •••• {last4}"),
    card_expires: |month, year| format!("Expires {month:02}/{}", year % 100),
    card_expired: "Expired",
    default_badge: "Default",

    receipt_title: "Payment receipt",
    receipt_thanks: "Thank you. Your payment went through.",
    receipt_amount: "Amount",
    receipt_date: "Date",
    receipt_card: "Card",
    receipt_statement: "Statement",
    receipt_status: "Status",
    receipt_reference: "Reference",
    receipt_how: "Made from",
    source_portal: "This portal",
    source_pay_link: "A pay link",
    source_autopay: "Autopay",
    state_pending: "Not finished",
    state_requires_action: "Waiting for your bank",
    state_succeeded: "Paid",
    state_failed: "Declined",
    state_cancelled: "Cancelled",
    action_needed: "Your bank asks you to confirm this payment. Nothing has been charged yet.",
    not_finished: "Our card processor has not confirmed this payment yet. Please don't pay again: if your card was charged, this page will show it within a few minutes.",
    confirm_with_bank: "Confirm with your bank",
    confirming: "Confirming…",
    back_to_overview: "Back to your account",
    pay_again: "Make another payment",

    cards_title: "Saved cards",
    no_cards: "You have no saved cards.",
    add_card: "Add a card",
    save_new_card: "Save card",
    saving: "Saving…",
    card_saved: "Your card is saved.",
    make_default: "Make default",
    remove: "Remove",
    remove_confirm: |card| format!("Remove {card}?"),
    remove_yes: "Yes, remove it",
    cancel: "Cancel",
    autopay_title: "Autopay",
    autopay_explain: "On your statement date we charge the amount due to your default card. You can turn it off at any time.",
    autopay_on: "Autopay is on.",
    autopay_off: "Autopay is off.",
    autopay_turn_on: "Turn on autopay",
    autopay_turn_off: "Turn off autopay",
    autopay_needs_card: "Save a card first: autopay charges your default card.",

    notice_action: |amount| format!("Your bank needs you to confirm your autopay payment of {amount}."),
    notice_action_link: "Confirm the payment",

    link_title: "Pay your statement",
    link_statement: "Statement",
    link_amount: "Amount due",
    link_due: "Due",
    link_paid: "This statement is paid. Thank you.",
    link_on_hold: "Nothing is due on this statement while the charge you questioned is being looked into.",
    link_done: |amount, reference| format!("Thank you. We received your payment of {amount}. Your reference is P-{reference}."),
    link_expired: "This pay link has expired. Sign in to pay, or use the link in your latest statement email.",
    link_invalid: "This pay link isn't valid. Sign in to pay, or use the link in your latest statement email.",
    link_sign_in: "Sign in to pay",

    decline,
};

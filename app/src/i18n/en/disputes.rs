//! [`DisputeTexts`] in English.

use crate::i18n::DisputeTexts;

pub static DISPUTES_EN: DisputeTexts = DisputeTexts {
    question_charge: "Question this charge",
    questioned: |n| format!("Questioned ({n})"),
    title: "Question a charge",
    intro: |line, statement| format!("You are questioning “{line}” on statement {statement}."),
    charge: "Charge",
    statement: "Statement",
    amount_label: "Amount you are questioning",
    amount_hint: |max| format!("Up to {max}."),
    message_label: "What is wrong with this charge?",
    message_hint: "For example: I was billed for a month after I cancelled.",
    submit: "Send to our billing team",
    what_happens: "While we look into it, we will not chase you for the amount you question: no reminders, late fees or suspension for it. You still owe the rest of the statement. We will answer you on the request and by email.",
    already_open: |n| format!("You already questioned this charge: see {n}."),
    not_disputable: "Only a charge can be questioned (not a payment or a credit).",
    back: "Back to the statement",
};

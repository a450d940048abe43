//! The emails in English: the wording they had before they spoke other languages.

use super::MailWords;

pub static EN: MailWords = MailWords {
    lang: "en",
    hello: |name| format!("Hello {name},"),
    colon: ": ",
    outage_subject: |title| format!("Service disruption: {title}"),
    outage_began: |since| format!("Since {since}, your service is affected by an outage we are working to fix."),
    outage_credit_rule: "If it lasts more than 48 hours, your next bill is credited a day's price for each further full day. There is nothing you need to do.",
    outage_over_subject: |title| format!("Resolved: {title}"),
    outage_over: |until| format!("The outage was over at {until}, and your service works as before. Thank you for your patience."),
    invitation_subject: |provider| format!("Your {provider} account is ready: choose your password"),
    invitation: |provider, number| format!("Your {provider} account {number} has moved to our new online account. Your service, plan and balance are as they were. Choose a password to sign in, see your statements and usage, and pay online."),
    invitation_within: |days| format!("The link works once, for {days} days. After that, use “Forgot your password?” on the sign-in page."),
    invitation_button: "Choose your password",
    second_factor_reset_subject: |provider| format!("The authenticator code for your {provider} sign-in is off"),
    second_factor_reset: "As you asked our support team, the code from an authenticator app is no longer asked when you sign in: your password alone signs you in. You can set up an authenticator app again under Sign-in security.",
    second_factor_reset_not_you: "If you did not ask for this, contact us at once and change your password.",

    statement_subject_due: |provider, amount, due| {
        format!("Your {provider} statement: {amount} due by {due}")
    },
    statement_subject_ready: |provider, number| format!("Your {provider} statement {number} is ready"),
    statement_title: |provider, number| format!("Your {provider} statement {number}"),
    statement_ready: |provider, period| {
        (format!("Your {provider} statement "), format!(" for {period} is ready."))
    },
    statement_prepaid: |charged| {
        (
            format!("{charged} was taken from your prepaid balance. Your balance is now "),
            ".".into(),
        )
    },
    statement_nothing_to_pay: || ("There is nothing to pay: your balance is ".into(), ".".into()),
    amount_due: "Amount due",
    due_by: "Due by",
    pay_amount_now: |amount| format!("Pay {amount} now"),
    pay_by_card_now: "Pay it by card now, without signing in:",
    see_statement_online: "See the statement, download it as a PDF or pay online:",
    view_statement: "View your statement",
    paste_address: "Or paste this address into your browser:",

    in_credit: |amount| format!("{amount} in credit"),
    owed: |amount| format!("{amount} owed"),

    restored_subject: |provider| format!("Your {provider} service is back on"),
    restored: "Thank you for your payment. Your service has been restored and works as before.",
    balance_now: |balance| format!("Your balance is now {balance}."),
    see_account: "See your account",
    exhausted_subject: |provider| format!("Your {provider} balance has run out"),
    exhausted: |period, short| {
        format!("Your prepaid balance did not cover your plan for {period}: it is {short} short, so your service is paused.")
    },
    exhausted_top_up: |short| {
        format!("Nothing is charged while it is paused. Top up {short} or more and your service comes back on straight away.")
    },
    low_subject: |provider| format!("Your {provider} balance is running low"),
    low: |balance, plan, next| {
        format!("Your prepaid balance is {balance} and your plan costs {plan} a month: it will not cover your next period, which starts {next}.")
    },
    low_top_up: "Top up before then to keep your service running.",
    top_up: "Top up",

    usage_subject_all: |period| format!("You have used all the data included for {period}"),
    usage_subject: |percent, period| format!("You have used {percent}% of your data for {period}"),
    usage_used: |used, allowance, period| {
        format!("You have used {used} GB of the {allowance} GB included in your plan for {period}.")
    },
    usage_overage: |price| format!("Data beyond it is charged at {price} for each started gigabyte."),
    usage_offer: |gigabytes, price| {
        format!("You can add {gigabytes} GB for the rest of this cycle for {price}, added to your next statement, or move to a plan with more data. Both are on your usage page.")
    },
    see_usage: "See your usage",

    reminder_subject: |amount, due| format!("Reminder: {amount} due {due}"),
    reminder: |amount, number, due| {
        format!("A friendly reminder that {amount} on your statement {number} is due on {due}.")
    },
    reminder_if_paid: "If you have already paid, thank you, and please ignore this email.",
    overdue_subject: |amount| format!("Your payment of {amount} is overdue"),
    overdue: |amount, due, number| {
        format!("We have not received the {amount} due on {due} for statement {number}.")
    },
    overdue_pay: "Please pay as soon as you can to avoid a late fee and an interruption of your service.",
    late_fee_subject: |fee| format!("A late fee of {fee} has been added"),
    late_fee: |amount, due, number, fee| {
        format!("The {amount} due on {due} for statement {number} is still unpaid, so a late fee of {fee} will appear on your next statement.")
    },
    late_fee_pay: "Please pay now to keep your service running.",
    suspended_subject: "Your service has been suspended",
    suspended: |amount, number, due| {
        format!("Your service is suspended because {amount} on statement {number} has been overdue since {due}.")
    },
    suspended_pay: "Pay the amount owed and your service comes back on straight away.",
    pay_now: "Pay now",

    card_ending: |brand, last4| format!("{brand} ending {last4}"),
    a_card: "card",
    receipt_subject: |amount| format!("Receipt for your payment of {amount}"),
    receipt: |amount, card| format!("Thank you. We received your payment of {amount} by {card}."),
    receipt_reference: |reference| format!("Your reference is {reference}."),
    see_receipt: "See your receipt",
    confirm_subject: "Your bank needs you to confirm your autopay payment",
    confirm: |amount| {
        format!("We tried to take your autopay payment of {amount}, and your bank asked you to confirm it first.")
    },
    confirm_nothing_yet: "Nothing has been charged yet. Please confirm the payment with your bank using the link below.",
    confirm_payment: "Confirm the payment",
    autopay_failed_subject: |amount| format!("Your autopay payment of {amount} did not go through"),
    autopay_failed: |amount, card| format!("We tried to charge {amount} to {card}, and it was declined."),
    autopay_failed_nothing: "Nothing was charged. Please pay your statement another way or update your card.",

    ticket_answered_subject: |number| format!("We answered your request {number}"),
    ticket_answered: |staff, subject, number| {
        format!("{staff} from our support team answered your request “{subject}” ({number}):")
    },
    ticket_resolved: "We think this is now sorted. If it is not, just reply.",
    ticket_closed: "This request is now closed. If you need more help, open a new request.",
    ticket_waiting: "Please reply when you can: we are waiting for your answer.",
    see_conversation: "See the conversation",
    dispute_credited_subject: |amount, number| format!("We credited {amount} ({number})"),
    dispute_credited: |amount| {
        format!("You were right: we have credited {amount} to your account. The credit appears on your next statement.")
    },
    dispute_rejected_subject: |number| format!("About the charge you questioned ({number})"),

    reset_subject: |provider| format!("Reset your {provider} password"),
    reset_asked: |provider| {
        format!("Someone (we hope you) asked to reset the password of your {provider} account.")
    },
    reset_open_within: |minutes| {
        format!("To choose a new password, open this link within {minutes} minutes:")
    },
    reset_use_within: |minutes| {
        format!("To choose a new password, use this link within {minutes} minutes:")
    },
    reset_button: "Choose a new password",
    reset_not_you: "The link works once. If you didn't ask for this, ignore this email: your password stays as it is.",
};

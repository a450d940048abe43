//! The words of the staff console and of the banner shown while staff view an account as its
//! subscriber. Reached through [`Texts::staff`].

use super::Texts;

/// The console's strings in one language.
pub struct StaffTexts {
    pub console_name: &'static str,
    pub nav_search: &'static str,
    pub sign_out: &'static str,
    pub role: fn(crate::types::staff::Role) -> &'static str,

    pub sign_in_title: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub continue_: &'static str,
    pub code_title: &'static str,
    pub code_label: &'static str,
    pub code_hint: &'static str,
    pub code_submit: &'static str,
    pub start_again: &'static str,
    pub signed_out: &'static str,

    pub search_title: &'static str,
    pub search_label: &'static str,
    pub search_hint: &'static str,
    pub search_submit: &'static str,
    pub no_results: fn(&str) -> String,
    pub results_for: fn(usize, &str) -> String,
    pub matched_on: fn(&str) -> &'static str,
    pub view_ended: &'static str,
    pub viewing_now: fn(&str) -> String,
    pub return_to_view: &'static str,

    pub banner_viewing: fn(&str) -> String,
    pub banner_read_only: &'static str,
    pub banner_may_act: &'static str,
    pub banner_reason: fn(&str) -> String,
    pub banner_ends_in: fn(i64) -> String,
    pub banner_end: &'static str,

    pub nav_approvals: &'static str,
    pub adjust_title: fn(&str) -> String,
    pub adjust_balance: &'static str,
    /// The caller's limit for one adjustment, for a day, and what they posted alone today.
    pub adjust_limit: fn(&str, &str, &str) -> String,
    /// An adjustment that accepts a dispute: the ticket's number.
    pub adjust_for_dispute: fn(&str) -> String,
    pub adjust_direction: &'static str,
    pub adjust_credit: &'static str,
    pub adjust_charge: &'static str,
    pub adjust_amount: &'static str,
    pub adjust_reason: &'static str,
    pub adjust_reason_hint: &'static str,
    pub adjust_submit: &'static str,
    pub adjust_posted: &'static str,
    pub adjust_waiting: &'static str,
    pub adjust_recent: &'static str,
    pub adjust_none: &'static str,
    pub back_to_account: &'static str,
    pub approvals_title: &'static str,
    pub approvals_none: &'static str,
    pub approvals_decided: &'static str,
    pub adjust_own_waiting: &'static str,
    pub approve: &'static str,
    pub reject: &'static str,
    pub reject_note: &'static str,
    pub decided_approved: &'static str,
    pub decided_rejected: &'static str,
    pub adjustment_status: fn(&str) -> &'static str,
    pub asked_by: fn(&str) -> String,
    pub decided_by: fn(&str) -> String,
}

pub static STAFF_EN: StaffTexts = StaffTexts {
    console_name: "Lastmile Support",
    nav_search: "Find an account",
    sign_out: "Sign out",
    role: |role| match role {
        crate::types::staff::Role::SupportRep => "Support rep",
        crate::types::staff::Role::Billing => "Billing",
        crate::types::staff::Role::Admin => "Administrator",
    },

    sign_in_title: "Staff sign-in",
    email: "Work email",
    password: "Password",
    continue_: "Continue",
    code_title: "Enter your code",
    code_label: "Code from your authenticator app",
    code_hint: "Six digits, or one of your recovery codes.",
    code_submit: "Sign in",
    start_again: "Start again",
    signed_out: "You have signed out.",

    search_title: "Find an account",
    search_label: "Account number, name, email, phone or address",
    search_hint: "Typos are forgiven; part of a number, name or street is enough.",
    search_submit: "Search",
    no_results: |q| format!("No account matches “{q}”."),
    results_for: |n, q| format!("{n} account{} for “{q}”", if n == 1 { "" } else { "s" }),
    matched_on: |field| match field {
        "account_number" => "account number",
        "name" => "name",
        "email" => "email",
        "phone" => "phone",
        "address" => "address",
        _ => "match",
    },
    view_ended: "Your view as the subscriber has ended.",
    viewing_now: |n| format!("You are viewing account {n} as its subscriber."),
    return_to_view: "Return to it",

    banner_viewing: |name| format!("{name} is viewing this account as the subscriber"),
    banner_read_only: "Read-only",
    banner_may_act: "May change the plan or take a card payment for the subscriber",
    banner_reason: |r| format!("Reason: {r}"),
    banner_ends_in: |m| format!("Ends in {m} min"),
    banner_end: "End view",

    nav_approvals: "Approvals",
    adjust_title: |n| format!("Adjust account {n}"),
    adjust_balance: "Balance",
    adjust_limit: |one, day, today| {
        format!("You may post up to {one} at a time and {day} a day yourself (today so far: {today}, credits and charges alike); beyond either, a second person approves.")
    },
    adjust_for_dispute: |n| format!("Accepts dispute {n}"),
    adjust_direction: "Kind",
    adjust_credit: "Credit (the subscriber owes less)",
    adjust_charge: "Charge (the subscriber owes more)",
    adjust_amount: "Amount",
    adjust_reason: "Reason",
    adjust_reason_hint: "The subscriber reads it on their history and next statement.",
    adjust_submit: "Post adjustment",
    adjust_posted: "Posted: it is on the ledger and will show on the next statement.",
    adjust_waiting: "Beyond your limit (for one adjustment or for your day): it waits for a second person's approval.",
    adjust_recent: "Recent adjustments",
    adjust_none: "No adjustments yet.",
    back_to_account: "Back to the account",
    approvals_title: "Adjustments awaiting approval",
    approvals_none: "Nothing waits for approval.",
    approvals_decided: "Decided in the last 7 days",
    adjust_own_waiting: "You asked for this, so someone else approves or rejects it: it waits for a colleague whose limit covers it.",
    approve: "Approve and post",
    reject: "Reject",
    reject_note: "Why not (the requester reads it)",
    decided_approved: "Approved and posted.",
    decided_rejected: "Rejected.",
    adjustment_status: |s| match s {
        "pending" => "Awaiting approval",
        "posted" => "Posted",
        "rejected" => "Rejected",
        _ => "Unknown",
    },
    asked_by: |n| format!("asked by {n}"),
    decided_by: |n| format!("decided by {n}"),
};

impl Texts {
    /// The console's texts in this language.
    pub fn staff(&self) -> &'static StaffTexts {
        &STAFF_EN
    }
}

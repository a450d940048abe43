//! The words of the console's reconciliation page (English, as the console is). Reached
//! through [`Texts::reconciliation`].

use super::Texts;

pub struct ReconciliationTexts {
    pub nav: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub none: &'static str,
    pub runs_title: &'static str,
    pub run_label: fn(i64, &str, &str) -> String,
    pub against: fn(&str) -> String,
    pub no_upstream: &'static str,
    pub counts: fn(i64, i64) -> String,
    pub download: &'static str,
    pub all_agree: &'static str,
    pub kind: fn(&str) -> &'static str,
    pub account: fn(&str) -> String,
    pub service: fn(i64) -> String,
    pub circuit: fn(&str) -> String,
    pub resolved: fn(&str, &str) -> String,
    pub note_label: &'static str,
    pub resolve_submit: &'static str,
}

impl Texts {
    /// The reconciliation page's texts.
    pub fn reconciliation(&self) -> &'static ReconciliationTexts {
        &RECONCILIATION_EN
    }
}

pub static RECONCILIATION_EN: ReconciliationTexts = ReconciliationTexts {
    nav: "Reconciliation",
    title: "Reconciliation",
    intro: "What was billed, set against what the network provisioned and saw and what the wholesale supplier invoiced. Runs come from `lastmile reconcile --period YYYY-MM --upstream FILE`; resolve each mismatch with a note once it is dealt with.",
    none: "No reconciliation has been run yet.",
    runs_title: "Runs",
    run_label: |id, from, to| format!("Run {id}: {from} to {to}"),
    against: |file| format!("against {file}"),
    no_upstream: "without a supplier's invoice",
    counts: |all, open| format!("{all} mismatches, {open} open"),
    download: "Download as CSV",
    all_agree: "Everything agreed in this run.",
    kind: |kind| match kind {
        "used_while_off" => "Used while switched off or cancelled",
        "billed_never_online" => "Billed but never online",
        "invoiced_but_cancelled" => "Invoiced upstream, cancelled here",
        "invoiced_unknown" => "Invoiced upstream, unknown here",
        "active_not_invoiced" => "In service here, not invoiced upstream",
        "speed_differs" => "Plan speed differs",
        _ => "Other",
    },
    account: |number| format!("Account {number}"),
    service: |id| format!("service {id}"),
    circuit: |c| format!("circuit {c}"),
    resolved: |by, at| format!("Resolved by {by} on {at}"),
    note_label: "What was found and done",
    resolve_submit: "Mark resolved",
};

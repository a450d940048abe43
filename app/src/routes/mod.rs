//! One page per file.

pub mod cards;
pub mod dispute;
pub mod history;
pub mod not_found;
pub mod overview;
pub mod password_reset;
pub mod pay;
pub mod pay_link;
pub mod plans;
pub mod receipt;
pub mod security;
pub mod sign_in;
pub mod staff;
pub mod statement;
pub mod statements;
pub mod support;
pub mod usage;

use leptos::prelude::*;

use crate::i18n::Texts;
use crate::types::StatementState;

/// The word and style class for a statement's state.
pub(crate) fn state_label(
    t: &'static Texts,
    state: StatementState,
) -> (&'static str, &'static str) {
    let class = match state {
        StatementState::Open => "badge badge-open",
        StatementState::Paid => "badge badge-paid",
        StatementState::Overdue => "badge badge-overdue",
        StatementState::Void => "badge badge-void",
    };
    (t.statement_state(state), class)
}

/// A statement line's working, behind "How this was worked out" (plain HTML: no code in the
/// browser). Nothing for a line without one.
pub(crate) fn line_working(t: &'static Texts, working: Option<String>) -> impl IntoView {
    working.map(|w| {
        view! {
            <details class="line-working">
                <summary>{t.line_working}</summary>
                <p data-testid="line-working">{w}</p>
            </details>
        }
    })
}

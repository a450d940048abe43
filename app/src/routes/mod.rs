//! One page per file.

pub mod history;
pub mod not_found;
pub mod overview;
pub mod password_reset;
pub mod sign_in;
pub mod statement;
pub mod statements;
pub mod usage;

use crate::i18n::Texts;
use crate::types::StatementState;

/// The word and style class for a statement's state.
pub(crate) fn state_label(
    t: &'static Texts,
    state: StatementState,
) -> (&'static str, &'static str) {
    match state {
        StatementState::Open => (t.status_open, "badge badge-open"),
        StatementState::Paid => (t.status_paid, "badge badge-paid"),
        StatementState::Overdue => (t.status_overdue, "badge badge-overdue"),
        StatementState::Void => (t.status_void, "badge badge-void"),
    }
}

//! The engine's errors.

use chrono::NaiveDate;

/// Why an engine operation failed. Each leaves the database as it was: the transaction it
/// ran in is rolled back.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The database refused or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// An account's facts do not make a valid statement.
    #[error("account {account_number}: {source}")]
    Bill {
        /// The account.
        account_number: String,
        /// Why.
        source: billing::bill::BillError,
    },
    /// A stored value the engine cannot read (an unknown currency, mode or cycle day).
    #[error("account {account_number}: {what}")]
    BadData {
        /// The account.
        account_number: String,
        /// What is wrong.
        what: String,
    },
    /// An email template failed to render.
    #[error("rendering an email: {0}")]
    Template(#[from] askama::Error),
    /// No account with that number.
    #[error("no account numbered {0}")]
    NoSuchAccount(String),
    /// A request the engine refuses (an amount out of range, a date out of order...).
    #[error("{0}")]
    Invalid(String),
    /// One field of a request is wrong: its name (as the form calls it) and why.
    #[error("{field}: {message}")]
    InvalidField {
        /// The form field.
        field: &'static str,
        /// Why, in words for the person who filled it in.
        message: String,
    },
    /// One field of one item of a list in a request is wrong (the second person's email):
    /// the list, the item's position from 0, the field, and why.
    #[error("{list}[{index}].{field}: {message}")]
    InvalidItem {
        /// The list (`people`).
        list: &'static str,
        /// The item's position, from 0.
        index: usize,
        /// The field of the item.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// The thing was changed since the caller read it (its version is no longer the one
    /// the caller names): nothing was written.
    #[error("changed since it was read (now version {current})")]
    Stale {
        /// The version now stored.
        current: i64,
    },
    /// The thing asked for does not exist within the account (or belongs to another).
    #[error("not found")]
    NotFound,
    /// The request no longer matches what is stored (another tab or person changed it).
    #[error("{0}")]
    Conflict(String),
    /// Stripe refused a request or could not be reached; nothing of ours was changed.
    #[error("stripe: {0}")]
    Stripe(String),
    /// Card payments are not configured on this server.
    #[error("card payments are not configured")]
    CardsNotConfigured,
    /// A bill run was asked for a date that has not come yet in the provider's time zone.
    #[error("{0} has not come yet in the provider's time zone")]
    FutureDate(NaiveDate),
    /// Asked to stop (the instance is shutting down, or Ctrl-C): the work was left between
    /// batches, what was committed stays, and the next run does the rest.
    #[error(
        "stopped before the end, as asked: what was done stays, and the next run does the rest"
    )]
    Stopped,
}

impl EngineError {
    /// Whether the database could not be reached (see [`crate::database::is_unreachable`]):
    /// the caller should try again shortly, and nothing was changed.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, EngineError::Database(e) if crate::database::is_unreachable(e))
    }

    pub(crate) fn bad_data(account_number: &str, what: impl Into<String>) -> EngineError {
        EngineError::BadData {
            account_number: account_number.to_string(),
            what: what.into(),
        }
    }
}

//! Lastmile's billing rules as plain Rust.
//!
//! This crate knows nothing about web frameworks, databases or clocks: every function takes
//! the facts it needs (amounts, dates, byte counts) and returns a result, so the same rules
//! run on the server, in the browser (wasm32) and in unit tests. "Today" is always a
//! parameter, never read from the system.
//!
//! * [`money`]: amounts in a currency, rounding, Stripe's integer minor units.
//! * [`cycle`]: billing periods anchored on an account's cycle day.
//! * [`usage`]: rating data usage against a plan's allowance.
//! * [`proration`]: charging part of a period by whole days.
//! * [`tax`]: splitting amounts into net, tax and gross.
//! * [`statement`]: statement lines, their grouping, totals and status.
//! * [`ledger`]: ledger entry kinds, balances, and allocating a balance to statements
//!   (what is paid, what is owed, what is held by a dispute).
//! * [`data_cap`]: the forecast of when the allowance runs out, thresholds, add-on prices.
//! * [`bill`]: composing a statement from an account's facts (the bill run's arithmetic).
//! * [`plan_change`]: what changing a plan costs now, when it takes effect, contract fees.
//! * [`text`]: how amounts, dates and volumes read in stored descriptions.
//! * [`format`]: how amounts, dates and sizes read in a locale (pages and emails).
//! * [`typed_amount`]: reading an amount a person typed, the way their locale writes it.
#![warn(missing_docs)]

pub mod bill;
pub mod carried_over;
pub mod cycle;
pub mod data_cap;
pub mod format;
pub mod ledger;
pub mod money;
pub mod plan_change;
pub mod proration;
pub mod statement;
pub mod tax;
pub mod text;
pub mod typed_amount;
pub mod usage;

pub use cycle::{last_n_periods, period_containing, CycleDay, CycleError, Period};
pub use ledger::{
    allocate, balance, sign_is_valid, Allocation, EntryKind, Issued, LedgerError, Standing,
};
pub use money::{Currency, Money, MoneyError};
pub use proration::{prorate, ProrationError};
pub use statement::{
    group_lines, status, Line, LineGroup, LineKind, StatementError, StatementStatus, Totals,
};
pub use tax::{apply_tax, TaxError, TaxRate, TaxSplit};
pub use typed_amount::{Separators, TypedAmountError};
pub use usage::{
    percent_of_allowance, project_usage, rate_usage, rate_usage_within, Allowance, UsageRating,
    BYTES_PER_GB,
};

//! Lastmile's billing engine: the part of the server that moves money.
//!
//! The arithmetic lives in the `billing` crate ([`billing::bill::compose`] builds a
//! statement from an account's facts); this crate is everything around it that touches
//! the database, always in one transaction per change:
//!
//! * [`bill_run`]: which accounts are due on a date, their facts gathered in batches,
//!   statements, lines and ledger entries written exactly once, prepaid balances charged.
//! * [`payments`]: where payments (and prepaid top-ups) are recorded in the ledger, card
//!   payments included, and what follows them: statements settled, suspended services
//!   restored.
//! * [`owed`]: what an account owes, on the account and per statement, an amount under
//!   dispute held: the one answer for dunning, autopay, pay links and the pay page.
//! * [`dunning`]: reminders, overdue notices, late fees and suspension for unpaid
//!   statements, each step once.
//! * `suspensions`: switching services off and on, with the days off recorded (a
//!   suspended service accrues nothing while off).
//! * [`jobs`]: the PostgreSQL job table that runs bill runs and dunning on schedule,
//!   shared safely by several server instances; [`clock`]: the provider's calendar.
//! * [`cards`]: card payments through Stripe: payments started from the portal or a pay
//!   link, saved cards, autopay, webhooks; the ledger records a card payment only once
//!   Stripe confirms it.
//! * [`plan_changes`]: changing a service's plan: the preview (composed by the bill run's
//!   own code), upgrades at once with a prorated charge, downgrades at the next cycle,
//!   contract fees, cancelling, the provisioning outbox.
//! * [`adjustments`]: charges and credits posted by staff with a reason, within their
//!   role's limit or approved by a second person.
//! * [`disputes`]: a subscriber questions a statement line: dunning holds that amount
//!   until staff accept (a credit is posted) or reject it (with an explanation).
//! * [`mail`]: the billing emails (askama, text and HTML), queued in the outbox.
//! * [`network`]: the network side (RADIUS): network credentials, the provisioning outbox
//!   applied to FreeRADIUS's tables (NAS attribute templates, suspension policy), changes
//!   sent to subscribers' online sessions (RFC 5176), accounting into usage.
//! * [`usage_alerts`]: alerts at the operator's thresholds of a cycle's allowance, once
//!   per cycle (by email, and as a notice on the overview); [`data_addons`]: "+100 GB
//!   this cycle", added to the next statement.
//! * [`integrations`]: the provider's other systems and their API keys (scopes, money
//!   limit, rate budget shared by every instance) for the integration API.
//! * [`reports`]: the operators' reports (recurring revenue, receivables ageing,
//!   collections, card payments, disputes and adjustments, usage against allowance), one
//!   query each over a date range.

pub mod accounts;
pub mod adjustments;
pub mod bill_run;
pub mod cards;
pub mod clock;
pub mod config;
pub mod data_addons;
pub mod database;
pub mod disputes;
pub mod dunning;
pub mod error;
mod facts;
pub mod import;
pub mod integrations;
pub mod jobs;
pub mod mail;
pub mod network;
pub mod outages;
pub mod owed;
pub mod payments;
pub mod plan_changes;
pub mod reconcile;
pub mod reports;
pub mod services;
mod suspensions;
pub mod usage_alerts;
pub mod webhooks;

pub use config::EngineConfig;
pub use error::EngineError;

//! Lastmile's server, as a library so that tests can start the real thing.
//!
//! - [`settings`]: configuration from the environment; [`db`]: pool and migrations;
//! - [`http`]: router and middleware (sessions, security headers, cross-site refusal), health;
//! - [`api`]: the integration API (`/api/v1`) for the provider's other systems: API keys,
//!   problems (RFC 9457), the OpenAPI document generated from the handlers;
//! - [`assets`]: the built browser assets, compressed once and served from memory;
//! - [`documents`]: printable documents (the statement PDF) and the provider's letterhead;
//! - [`scheduler`]: runs the billing engine's jobs (bill runs, dunning) on schedule;
//! - [`provisioning`]: applies the provisioning outbox to FreeRADIUS's tables;
//! - [`report`]: what the operator commands print;
//! - [`network`]: sends queued changes to subscribers' online sessions (CoA);
//! - [`usage`]: reads RADIUS accounting into usage in the background;
//! - [`mail`]: delivers the email outbox; [`staff`]: staff accounts; [`seed`]: demo data.

#![recursion_limit = "256"]

// A problem document is made at most once per request, on the way out; its size on the
// error path costs nothing worth boxing it for.
#[allow(clippy::result_large_err)]
pub mod api;
pub mod assets;
pub mod db;
pub mod documents;
pub mod http;
pub mod import;
pub mod mail;
pub mod metrics;
pub mod network;
pub mod provisioning;
pub mod reconcile;
pub mod report;
pub mod scheduler;
pub mod seed;
pub mod settings;
pub mod staff;
pub mod usage;
pub mod webhooks;

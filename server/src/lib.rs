//! Lastmile's server, as a library so that tests can start the real thing.
//!
//! - [`settings`]: configuration from the environment; [`db`]: pool and migrations;
//! - [`http`]: router and middleware (sessions, security headers, cross-site refusal), health;
//! - [`assets`]: the built browser assets, compressed once and served from memory;
//! - [`documents`]: printable documents (the statement PDF) and the provider's letterhead;
//! - [`scheduler`]: runs the billing engine's jobs (bill runs, dunning) on schedule;
//! - [`provisioning`]: applies the provisioning outbox to FreeRADIUS's tables;
//! - [`report`]: what the operator commands print;
//! - [`network`]: sends queued changes to subscribers' online sessions (CoA);
//! - [`usage`]: reads RADIUS accounting into usage in the background;
//! - [`mail`]: delivers the email outbox; [`staff`]: staff accounts; [`seed`]: demo data.

#![recursion_limit = "256"]

pub mod assets;
pub mod db;
pub mod documents;
pub mod http;
pub mod mail;
pub mod network;
pub mod provisioning;
pub mod report;
pub mod scheduler;
pub mod seed;
pub mod settings;
pub mod staff;
pub mod usage;

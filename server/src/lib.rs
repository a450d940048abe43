//! Lastmile's server, as a library so that tests can start the real thing.
//!
//! - [`settings`]: configuration from the environment; [`db`]: pool and migrations;
//! - [`http`]: router and middleware (sessions, security headers, cross-site refusal), health;
//! - [`mail`]: delivers the email outbox; [`staff`]: staff accounts; [`seed`]: demo data.

#![recursion_limit = "256"]

pub mod db;
pub mod http;
pub mod mail;
pub mod seed;
pub mod settings;
pub mod staff;

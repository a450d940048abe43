//! HTTP tests: the real server, on a port of its own, against a fresh PostgreSQL database per
//! test (seeded with the demo generator), driven like a browser would (form posts, cookies).

#![recursion_limit = "256"]

mod access;
mod api;
mod api_accounts;
mod api_closing;
mod api_money;
mod api_services;
mod api_webhooks;
mod auth;
mod bad_input;
#[path = "../common/mod.rs"]
mod common;
mod console;
mod cost;
mod data_cap;
mod documents;
mod faults;
mod helpers;
mod languages;
mod matrix;
mod measure;
mod metrics;
mod network;
mod outages;
mod pages;
mod payments;
mod plans;
mod reconciliation;
mod reports;
mod second_factor;
mod security;
mod support;
mod tickets;
mod webhooks;

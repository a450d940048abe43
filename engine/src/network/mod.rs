//! The network: RADIUS provisioning, changes sent to online sessions, accounting.

pub mod coa;

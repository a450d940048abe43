//! The network side of a service: what RADIUS knows of it.
//!
//! - [`credential_changes`]: changing a service's network credentials after it was created
//!   (a PPPoE password the subscriber chooses or staff reset, an IPoE identifier staff
//!   correct), and the rules a chosen password must meet.

pub mod credential_changes;

//! The network: what billing tells RADIUS, and what RADIUS tells billing.
//!
//! * [`coa`]: a change reaches a subscriber already online (CoA-Request with the new rate,
//!   Disconnect-Request for a suspension), sent to the NAS holding the session, with
//!   retries and a record of each answer.
//! * [`accounting`]: RADIUS accounting (FreeRADIUS's `radius.radacct`, through a journal
//!   its trigger appends to) becomes `usage_daily` / `usage_hourly`, each byte once.
//! * [`usage_import`]: `lastmile usage import FILE` for networks without RADIUS accounting.
//! * [`credential_changes`]: changing a service's network credentials after it was created
//!   (a PPPoE password the subscriber chooses or staff reset, an IPoE identifier staff
//!   correct), and the rules a chosen password must meet.

pub mod accounting;
pub mod coa;
pub mod credential_changes;
pub mod usage_import;

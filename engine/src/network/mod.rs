//! The network: what RADIUS and other network sources tell billing.
//!
//! * [`accounting`]: RADIUS accounting (FreeRADIUS's `radius.radacct`, through a journal
//!   its trigger appends to) becomes `usage_daily` / `usage_hourly`, each byte once.
//! * [`usage_import`]: `lastmile usage import FILE` for networks without RADIUS accounting.

pub mod accounting;
pub mod usage_import;

//! The console's outages page.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// One declared outage, as the console lists it (times in the provider's time zone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutageRow {
    pub id: i64,
    pub title: String,
    pub message: String,
    /// `area`, `plan` or `device`.
    pub scope_kind: String,
    pub scope_value: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: Option<NaiveDateTime>,
    pub declared_by: String,
    /// Services and accounts affected.
    pub services: i64,
    pub accounts: i64,
    /// Services a statement has credited (or found the outage too short for).
    pub settled: i64,
}

/// The page: outages on, then those ended in the last 90 days; whether the caller may
/// declare and end them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutagesPage {
    pub rows: Vec<OutageRow>,
    pub may_declare: bool,
}

/// What declaring did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeclaredOutage {
    pub id: i64,
    pub services: i64,
    pub accounts: i64,
}

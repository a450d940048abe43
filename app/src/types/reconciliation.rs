//! The console's reconciliation page.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// One reconciliation run, as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    pub id: i64,
    pub period_start: NaiveDate,
    /// The last day of the period.
    pub period_last: NaiveDate,
    pub upstream_file: Option<String>,
    /// The provider's time.
    pub started_at: NaiveDateTime,
    pub mismatches: i64,
    pub open: i64,
}

/// One mismatch with its evidence, and how it was resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MismatchRow {
    pub id: i64,
    pub kind: String,
    pub account_id: Option<i64>,
    pub account_number: Option<String>,
    pub service_id: Option<i64>,
    pub upstream_ref: Option<String>,
    pub evidence: String,
    /// The note, who wrote it and when (the provider's time).
    pub resolved: Option<(String, String, NaiveDateTime)>,
}

/// The page: the latest runs, and one run's mismatches (the one asked for, else the latest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconciliationPage {
    pub runs: Vec<RunRow>,
    pub run: Option<RunRow>,
    pub mismatches: Vec<MismatchRow>,
}

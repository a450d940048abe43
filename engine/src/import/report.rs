//! What an import (or its dry run) tells the operator: counts, every rejected row with its
//! file, line, column and reason, and warnings.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::files::At;

/// Something wrong (or worth a look) at a place in the export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    pub file: &'static str,
    /// 1-based, counting the header as line 1; `None`: the whole file.
    pub line: Option<u64>,
    pub column: Option<&'static str>,
    pub reason: String,
}

impl Fault {
    pub(crate) fn at(at: At, column: Option<&'static str>, reason: impl Into<String>) -> Fault {
        Fault {
            file: at.file,
            line: Some(at.line),
            column,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(column) = self.column {
            write!(f, ":{column}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// How many of each kind of record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub accounts: u64,
    pub people: u64,
    pub portal_logins: u64,
    pub addresses: u64,
    pub services: u64,
    pub open_invoices: u64,
    pub payment_methods: u64,
    pub notes: u64,
    pub usage_days: u64,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} accounts, {} people ({} portal logins), {} addresses, {} services, {} open invoices, {} payment methods, {} notes, {} usage days",
            self.accounts,
            self.people,
            self.portal_logins,
            self.addresses,
            self.services,
            self.open_invoices,
            self.payment_methods,
            self.notes,
            self.usage_days
        )
    }
}

/// What a real run changed: added, updated (something differed) and already there as
/// given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Written {
    pub added: Counts,
    pub updated: Counts,
    pub unchanged: Counts,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The rows read from each file that was there.
    pub rows: BTreeMap<&'static str, u64>,
    /// What passed every check (a dry run: what would be written).
    pub ready: Counts,
    /// The legacy ids of accounts held back because a row of theirs was rejected.
    pub held_back: Vec<String>,
    /// Accounts the mapping says to leave in the legacy system.
    pub left_in_legacy: u64,
    pub rejected: Vec<Fault>,
    pub warnings: Vec<Fault>,
    /// Filled by a real run.
    pub written: Option<Written>,
}

impl Report {
    /// How many rows (not faults: a row may have several) were rejected.
    pub fn rejected_rows(&self) -> usize {
        let mut rows: Vec<(&str, Option<u64>)> =
            self.rejected.iter().map(|f| (f.file, f.line)).collect();
        rows.sort();
        rows.dedup();
        rows.len()
    }

    /// Whether everything given can be (or was) imported.
    pub fn clean(&self) -> bool {
        self.rejected.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<String> = self
            .rows
            .iter()
            .map(|(file, n)| format!("{file} {n}"))
            .collect();
        writeln!(f, "rows read: {}", rows.join(", "))?;
        match &self.written {
            None => writeln!(f, "ready to import: {}", self.ready)?,
            Some(w) => {
                writeln!(f, "added: {}", w.added)?;
                writeln!(f, "updated: {}", w.updated)?;
                writeln!(f, "already there: {}", w.unchanged)?;
            }
        }
        if self.left_in_legacy > 0 {
            writeln!(
                f,
                "left in the legacy system (by the mapping's account_status): {} accounts",
                self.left_in_legacy
            )?;
        }
        if !self.rejected.is_empty() {
            writeln!(f, "rejected ({}):", self.rejected.len())?;
            for fault in &self.rejected {
                writeln!(f, "  {fault}")?;
            }
            writeln!(
                f,
                "held back, with every row of theirs, until those rows are fixed ({}): {}",
                self.held_back.len(),
                self.held_back.join(", ")
            )?;
        }
        if !self.warnings.is_empty() {
            writeln!(f, "warnings ({}):", self.warnings.len())?;
            for fault in &self.warnings {
                writeln!(f, "  {fault}")?;
            }
        }
        Ok(())
    }
}

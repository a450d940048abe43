//! Reading the legacy export: each CSV file into typed rows, every fault kept with its
//! file, line and column. Nothing here needs the database.

use std::collections::HashMap;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use super::report::Fault;

/// One file's columns: the name, whether a row must fill it, and what it holds (for the
/// README and the error when a column is missing).
pub(crate) struct Columns {
    pub file: &'static str,
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
}

pub(crate) const ACCOUNTS: Columns = Columns {
    file: "accounts.csv",
    required: &[
        "legacy_id",
        "kind",
        "name",
        "status",
        "cycle_day",
        "currency",
        "opening_balance",
    ],
    optional: &[
        "account_number",
        "locale",
        "billing_mode",
        "stripe_customer_id",
    ],
};
pub(crate) const PEOPLE: Columns = Columns {
    file: "people.csv",
    required: &["legacy_id", "account", "role", "first_name", "last_name"],
    optional: &["email", "phone", "portal_login"],
};
pub(crate) const ADDRESSES: Columns = Columns {
    file: "addresses.csv",
    required: &[
        "legacy_id",
        "account",
        "line1",
        "city",
        "postal_code",
        "country",
        "tax_code",
    ],
    optional: &["line2", "region", "technologies"],
};
pub(crate) const SERVICES: Columns = Columns {
    file: "services.csv",
    required: &["legacy_id", "account", "address", "plan", "status"],
    optional: &[
        "activated_on",
        "paid_through",
        "cancelled_on",
        "suspended_on",
        "circuit",
    ],
};
pub(crate) const INVOICES: Columns = Columns {
    file: "invoices.csv",
    required: &[
        "legacy_id",
        "account",
        "issued_on",
        "due_on",
        "total",
        "open_amount",
    ],
    optional: &[],
};
pub(crate) const CARDS: Columns = Columns {
    file: "payment_methods.csv",
    required: &["account", "stripe_payment_method_id"],
    optional: &["default"],
};
pub(crate) const NOTES: Columns = Columns {
    file: "notes.csv",
    required: &["legacy_id", "account", "written_at", "body"],
    optional: &["author"],
};
pub(crate) const USAGE: Columns = Columns {
    file: "usage.csv",
    required: &["service", "day", "download_bytes", "upload_bytes"],
    optional: &[],
};

/// Every file, in the order they are read; only `accounts.csv` must be there.
pub(crate) const FILES: [&Columns; 8] = [
    &ACCOUNTS, &PEOPLE, &ADDRESSES, &SERVICES, &INVOICES, &CARDS, &NOTES, &USAGE,
];

/// A row's place in the export, for every message about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct At {
    pub file: &'static str,
    pub line: u64,
}

/// One row being read: its fields by column, and the faults found so far.
pub(crate) struct Row<'a> {
    pub at: At,
    fields: &'a HashMap<&'static str, usize>,
    record: &'a csv::StringRecord,
    pub faults: Vec<Fault>,
}

impl Row<'_> {
    fn fault(&mut self, column: &'static str, reason: impl Into<String>) {
        self.faults.push(Fault::at(self.at, Some(column), reason));
    }

    /// The trimmed text of a column; `None` when empty or the file has no such column.
    pub fn get(&self, column: &'static str) -> Option<&str> {
        self.fields
            .get(column)
            .and_then(|i| self.record.get(*i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// A column the row must fill.
    pub fn required(&mut self, column: &'static str) -> String {
        match self.get(column) {
            Some(v) => v.to_string(),
            None => {
                self.fault(column, "is empty");
                String::new()
            }
        }
    }

    pub fn optional(&self, column: &'static str) -> Option<String> {
        self.get(column).map(str::to_string)
    }

    /// A legacy id: 1 to 64 printable characters.
    pub fn id(&mut self, column: &'static str) -> String {
        let v = self.required(column);
        if v.chars().count() > 64 || v.chars().any(char::is_control) {
            self.fault(column, "an id is 1 to 64 printable characters");
        }
        v
    }

    /// A day written YYYY-MM-DD.
    pub fn date(&mut self, column: &'static str) -> Option<NaiveDate> {
        let v = self.get(column)?.to_string();
        match NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.fault(column, format!("{v:?} is not a date (YYYY-MM-DD)"));
                None
            }
        }
    }

    /// A day, or a day and time (YYYY-MM-DD HH:MM[:SS], the provider's time).
    pub fn date_time(&mut self, column: &'static str) -> Option<NaiveDateTime> {
        let v = self.get(column)?.to_string();
        for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(&v, format) {
                return Some(t);
            }
        }
        if let Ok(d) = NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
            return Some(d.and_time(chrono::NaiveTime::MIN));
        }
        self.fault(
            column,
            format!("{v:?} is not a date (YYYY-MM-DD, or YYYY-MM-DD HH:MM)"),
        );
        None
    }

    /// An amount with a dot and at most two decimals (`-12.50`), whatever the locale.
    pub fn amount(&mut self, column: &'static str) -> Option<Decimal> {
        let v = self.get(column)?.to_string();
        let well_formed = {
            let digits = v.strip_prefix('-').unwrap_or(&v);
            let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
            !whole.is_empty()
                && whole.len() <= 12
                && whole.bytes().all(|b| b.is_ascii_digit())
                && fraction.len() <= 2
                && fraction.bytes().all(|b| b.is_ascii_digit())
                && !(digits.contains('.') && fraction.is_empty())
        };
        match v.parse::<Decimal>() {
            Ok(d) if well_formed => Some(d),
            _ => {
                self.fault(
                    column,
                    format!(
                        "{v:?} is not an amount (digits, a dot and at most two decimals: -12.50)"
                    ),
                );
                None
            }
        }
    }

    /// A whole number from `min` to `max`.
    pub fn number(&mut self, column: &'static str, min: i64, max: i64) -> Option<i64> {
        let v = self.get(column)?.to_string();
        match v.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.fault(
                    column,
                    format!("{v:?} is not a whole number from {min} to {max}"),
                );
                None
            }
        }
    }

    /// `yes` or `no` (also `true`/`false`, `1`/`0`); empty is `no`.
    pub fn flag(&mut self, column: &'static str) -> bool {
        match self.get(column).map(str::to_ascii_lowercase).as_deref() {
            None | Some("no" | "false" | "0" | "n") => false,
            Some("yes" | "true" | "1" | "y") => true,
            Some(other) => {
                let other = other.to_string();
                self.fault(column, format!("{other:?} is not yes or no"));
                false
            }
        }
    }

    /// `value` read from a column the row must fill: "is empty" when there was nothing.
    pub fn must<T>(&mut self, column: &'static str, value: Option<T>) -> Option<T> {
        if value.is_none() && self.get(column).is_none() {
            self.fault(column, "is empty");
        }
        value
    }

    /// Adds a fault found by a check after reading.
    pub fn reject(&mut self, column: &'static str, reason: impl Into<String>) {
        self.fault(column, reason);
    }
}

/// Each row read: where it was, what `each` made of it, and its faults.
pub(crate) type FileRows<T> = Vec<(At, T, Vec<Fault>)>;

/// A file's rows, read one at a time by `each`; a file that is missing is `None` (only
/// `accounts.csv` is required, by the caller). A missing required column or a row that is
/// not CSV is a fault of the whole file.
pub(crate) fn read_file<T>(
    dir: &Path,
    columns: &Columns,
    mut each: impl FnMut(&mut Row<'_>) -> T,
) -> Result<Option<FileRows<T>>, Fault> {
    let path = dir.join(columns.file);
    let file_fault = |reason: String| Fault {
        file: columns.file,
        line: None,
        column: None,
        reason,
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(file_fault(format!("cannot be read: {e}"))),
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::None)
        .flexible(false)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let headers = reader
        .headers()
        .map_err(|e| file_fault(format!("its header cannot be read: {e}")))?
        .clone();
    let mut fields: HashMap<&'static str, usize> = HashMap::new();
    for (i, name) in headers.iter().enumerate() {
        let name = name.trim().trim_start_matches('\u{feff}');
        match columns
            .required
            .iter()
            .chain(columns.optional)
            .find(|c| **c == name)
        {
            Some(known) => {
                fields.insert(known, i);
            }
            None => {
                return Err(file_fault(format!(
                    "has a column {name:?} that is not one of {}",
                    columns
                        .required
                        .iter()
                        .chain(columns.optional)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
        }
    }
    if let Some(missing) = columns.required.iter().find(|c| !fields.contains_key(**c)) {
        return Err(file_fault(format!("has no column {missing:?}")));
    }
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(Fault {
                    file: columns.file,
                    line: Some(e.position().map_or(line, |p| p.line())),
                    column: None,
                    reason: format!("is not CSV there: {e}"),
                })
            }
        }
        let mut row = Row {
            at: At {
                file: columns.file,
                line: record.position().map_or(line, |p| p.line()),
            },
            fields: &fields,
            record: &record,
            faults: Vec::new(),
        };
        let value = each(&mut row);
        out.push((row.at, value, row.faults));
    }
    Ok(Some(out))
}

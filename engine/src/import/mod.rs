//! IMPORTING SUBSCRIBERS FROM A LEGACY BILLING SYSTEM (`lastmile import`).
//!
//! The export is a folder of CSV files (the README's "Importing from a legacy system" lists
//! their columns; `docs/import-example/` is a small complete set) and a mapping file (TOML)
//! from the legacy plan, tax and status codes to Lastmile's. An import goes in three steps:
//! 1. [`read`]: every file into typed rows ([`files`]), each fault kept with its file, line
//!    and column; nothing needs the database.
//! 2. [`check`]: the rules a new account must meet (those of [`crate::accounts`]), the
//!    mapping, the catalogue and what is already in the database, and Stripe for the saved
//!    cards. An account with any rejected row is **held back whole**, never imported in
//!    part. The result is a [`Ready`] plan and the [`Report`]; a dry run stops here and
//!    writes nothing.
//! 3. [`write`]: the plan in batches of accounts, each batch one transaction, every row
//!    keyed by its legacy id: a re-run adds what is missing, updates what changed and never
//!    duplicates, and a killed run loses at most the batch in flight, which the re-run
//!    completes.
//!
//! What is carried over and how it is billed from then on is `billing::bill`'s policy
//! ("Accounts imported from a legacy system"): charging starts at each service's
//! paid-through date, the opening balance is one ledger entry and the open invoices stay
//! payable on one opening statement. Portal logins are made without a password; `lastmile
//! import invite` emails each a set-your-password link at cut-over ([`invite`]). Before
//! cut-over, [`shadow`] composes each account's next statement with the bill run's own code
//! and compares it with the legacy system's next invoice.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

mod check;
pub mod files;
pub mod invite;
pub mod mapping;
pub mod report;
pub mod shadow;
mod write;

pub use check::{check, Ready};
pub use mapping::Mapping;
pub use report::{Counts, Fault, Report, Written};
pub use write::{write, Progress, WriteOptions};

use files::At;

/// The export as read: each file's rows with the faults found in them.
#[derive(Default)]
pub struct Legacy {
    pub(crate) accounts: Vec<Read<AccountIn>>,
    pub(crate) people: Vec<Read<PersonIn>>,
    pub(crate) addresses: Vec<Read<AddressIn>>,
    pub(crate) services: Vec<Read<ServiceIn>>,
    pub(crate) invoices: Vec<Read<InvoiceIn>>,
    pub(crate) cards: Vec<Read<CardIn>>,
    pub(crate) notes: Vec<Read<NoteIn>>,
    pub(crate) usage: Vec<Read<UsageIn>>,
    /// Rows read per file that was there.
    pub(crate) rows: BTreeMap<&'static str, u64>,
}

/// A row, where it was, and what is wrong with it so far.
pub(crate) struct Read<T> {
    pub at: At,
    pub row: T,
    pub faults: Vec<Fault>,
}

pub(crate) struct AccountIn {
    pub legacy_id: String,
    pub number: Option<String>,
    pub kind: String,
    pub name: String,
    pub status: String,
    pub cycle_day: Option<i64>,
    pub currency: String,
    pub locale: Option<String>,
    pub billing_mode: Option<String>,
    pub balance: Option<Decimal>,
    pub customer: Option<String>,
}

pub(crate) struct PersonIn {
    pub legacy_id: String,
    pub account: String,
    pub role: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub login: bool,
}

pub(crate) struct AddressIn {
    pub legacy_id: String,
    pub account: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
    pub tax_code: String,
    pub technologies: Option<Vec<String>>,
}

pub(crate) struct ServiceIn {
    pub legacy_id: String,
    pub account: String,
    pub address: String,
    pub plan: String,
    pub status: String,
    pub activated_on: Option<NaiveDate>,
    pub paid_through: Option<NaiveDate>,
    pub cancelled_on: Option<NaiveDate>,
    pub suspended_on: Option<NaiveDate>,
    /// The wholesale supplier's circuit id (`services.upstream_ref`, for reconciliation).
    pub circuit: Option<String>,
}

pub(crate) struct InvoiceIn {
    pub legacy_id: String,
    pub account: String,
    pub issued_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub total: Option<Decimal>,
    pub open: Option<Decimal>,
}

pub(crate) struct CardIn {
    pub account: String,
    pub payment_method: String,
    pub default: bool,
}

pub(crate) struct NoteIn {
    pub legacy_id: String,
    pub account: String,
    pub written_at: Option<NaiveDateTime>,
    pub author: Option<String>,
    pub body: String,
}

pub(crate) struct UsageIn {
    pub service: String,
    pub day: Option<NaiveDate>,
    pub download: Option<i64>,
    pub upload: Option<i64>,
}

/// An export that cannot be read at all (a file missing or malformed as a whole).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub Fault);

fn collect<T>(
    legacy_rows: &mut BTreeMap<&'static str, u64>,
    file: &'static str,
    read: Option<files::FileRows<T>>,
) -> Vec<Read<T>> {
    let rows: Vec<Read<T>> = read
        .unwrap_or_default()
        .into_iter()
        .map(|(at, row, faults)| Read { at, row, faults })
        .collect();
    if !rows.is_empty() || legacy_rows.contains_key(file) {
        legacy_rows.insert(file, rows.len() as u64);
    }
    rows
}

/// Reads every file of the export in `dir`.
pub fn read(dir: &Path) -> Result<Legacy, Unreadable> {
    use files::*;
    let mut legacy = Legacy::default();
    let mut rows = BTreeMap::new();
    const MAX_BYTES: i64 = 1 << 50;
    let accounts = read_file(dir, &ACCOUNTS, |r| AccountIn {
        legacy_id: r.id("legacy_id"),
        number: r.optional("account_number"),
        kind: r.required("kind"),
        name: r.required("name"),
        status: r.required("status"),
        cycle_day: {
            let v = r.number("cycle_day", 1, 31);
            r.must("cycle_day", v)
        },
        currency: r.required("currency"),
        locale: r.optional("locale"),
        billing_mode: r.optional("billing_mode"),
        balance: {
            let v = r.amount("opening_balance");
            r.must("opening_balance", v)
        },
        customer: r.optional("stripe_customer_id"),
    })
    .map_err(Unreadable)?
    .ok_or_else(|| {
        Unreadable(Fault {
            file: ACCOUNTS.file,
            line: None,
            column: None,
            reason: format!("is missing from {}", dir.display()),
        })
    })?;
    rows.insert(ACCOUNTS.file, 0);
    legacy.accounts = collect(&mut rows, ACCOUNTS.file, Some(accounts));
    legacy.people = collect(
        &mut rows,
        PEOPLE.file,
        read_file(dir, &PEOPLE, |r| PersonIn {
            legacy_id: r.id("legacy_id"),
            account: r.id("account"),
            role: r.required("role"),
            first_name: r.required("first_name"),
            last_name: r.required("last_name"),
            email: r.optional("email"),
            phone: r.optional("phone"),
            login: r.flag("portal_login"),
        })
        .map_err(Unreadable)?,
    );
    legacy.addresses = collect(
        &mut rows,
        ADDRESSES.file,
        read_file(dir, &ADDRESSES, |r| AddressIn {
            legacy_id: r.id("legacy_id"),
            account: r.id("account"),
            line1: r.required("line1"),
            line2: r.optional("line2"),
            city: r.required("city"),
            region: r.optional("region"),
            postal_code: r.required("postal_code"),
            country: r.required("country"),
            tax_code: r.required("tax_code"),
            technologies: r.optional("technologies").map(|t| {
                t.split(['|', ' ', ';'])
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect()
            }),
        })
        .map_err(Unreadable)?,
    );
    legacy.services = collect(
        &mut rows,
        SERVICES.file,
        read_file(dir, &SERVICES, |r| ServiceIn {
            legacy_id: r.id("legacy_id"),
            account: r.id("account"),
            address: r.id("address"),
            plan: r.required("plan"),
            status: r.required("status"),
            activated_on: r.date("activated_on"),
            paid_through: r.date("paid_through"),
            cancelled_on: r.date("cancelled_on"),
            suspended_on: r.date("suspended_on"),
            circuit: r.optional("circuit"),
        })
        .map_err(Unreadable)?,
    );
    legacy.invoices = collect(
        &mut rows,
        INVOICES.file,
        read_file(dir, &INVOICES, |r| {
            let row = InvoiceIn {
                legacy_id: r.id("legacy_id"),
                account: r.id("account"),
                issued_on: r.date("issued_on"),
                due_on: r.date("due_on"),
                total: r.amount("total"),
                open: r.amount("open_amount"),
            };
            r.must("issued_on", row.issued_on);
            r.must("due_on", row.due_on);
            for (column, value) in [("total", row.total), ("open_amount", row.open)] {
                match r.must(column, value) {
                    Some(v) if v.is_sign_negative() || v.is_zero() => {
                        r.reject(column, format!("{v} is not more than zero"))
                    }
                    _ => {}
                }
            }
            if let (Some(total), Some(open)) = (row.total, row.open) {
                if open > total {
                    r.reject(
                        "open_amount",
                        format!("{open} is more than the invoice's total {total}"),
                    );
                }
            }
            if let (Some(issued), Some(due)) = (row.issued_on, row.due_on) {
                if due < issued {
                    r.reject(
                        "due_on",
                        format!("{due} is before the invoice was issued ({issued})"),
                    );
                }
            }
            row
        })
        .map_err(Unreadable)?,
    );
    legacy.cards = collect(
        &mut rows,
        CARDS.file,
        read_file(dir, &CARDS, |r| CardIn {
            account: r.id("account"),
            payment_method: r.required("stripe_payment_method_id"),
            default: r.flag("default"),
        })
        .map_err(Unreadable)?,
    );
    legacy.notes = collect(
        &mut rows,
        NOTES.file,
        read_file(dir, &NOTES, |r| NoteIn {
            legacy_id: r.id("legacy_id"),
            account: r.id("account"),
            written_at: {
                let v = r.date_time("written_at");
                r.must("written_at", v)
            },
            author: r.optional("author"),
            body: r.required("body"),
        })
        .map_err(Unreadable)?,
    );
    legacy.usage = collect(
        &mut rows,
        USAGE.file,
        read_file(dir, &USAGE, |r| UsageIn {
            service: r.id("service"),
            day: {
                let v = r.date("day");
                r.must("day", v)
            },
            download: {
                let v = r.number("download_bytes", 0, MAX_BYTES);
                r.must("download_bytes", v)
            },
            upload: {
                let v = r.number("upload_bytes", 0, MAX_BYTES);
                r.must("upload_bytes", v)
            },
        })
        .map_err(Unreadable)?,
    );
    legacy.rows = rows;
    Ok(legacy)
}

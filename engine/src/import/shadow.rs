//! The shadow bill (`lastmile import shadow-bill --legacy-invoices FILE`): each imported
//! account's next statement composed by the bill run's own code (its facts read as the bill
//! run reads them, a due plan change applied in a transaction that is rolled back), set
//! beside the legacy system's next invoice for the same day, line kind by line kind and
//! service by service. Every difference over a cent is listed with the lines that make it.
//! This is how an operator proves a migration before cut-over; nothing is written.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;

use billing::bill::{compose, Source};
use billing::cycle::period_containing;
use billing::CycleDay;

use super::files::{read_file, Columns};
use super::report::Fault;
use crate::config::EngineConfig;
use crate::EngineError;

pub(crate) const LEGACY_INVOICES: Columns = Columns {
    file: "legacy invoices",
    required: &["account", "invoice", "issued_on", "kind", "amount"],
    optional: &["service", "description"],
};

/// The line kinds compared (a statement's charges, discounts, tax and credits; payments and
/// the previous balance are the ledger's, the same on both sides by construction).
const KINDS: [&str; 6] = [
    "recurring",
    "usage",
    "one_time",
    "discount",
    "tax",
    "credit",
];

/// The largest difference that is not one: a cent either way, for the two systems' rounding.
const TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

/// One line of either side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShadowLine {
    pub description: String,
    pub amount: Decimal,
}

/// A kind of line (for one service) on which the two differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub kind: String,
    /// The service's legacy id (none for tax and account-wide lines).
    pub service: Option<String>,
    pub legacy: Decimal,
    pub lastmile: Decimal,
    pub legacy_lines: Vec<ShadowLine>,
    pub lastmile_lines: Vec<ShadowLine>,
}

/// One account compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compared {
    pub legacy_id: String,
    pub account_number: String,
    pub invoice: String,
    /// The day both are for: the legacy invoice's date, or Lastmile's statement day after it
    /// when the two calendars disagree (said in `note`).
    pub on: NaiveDate,
    pub legacy_total: Decimal,
    pub lastmile_total: Decimal,
    pub differences: Vec<Difference>,
    pub note: Option<String>,
}

impl Compared {
    pub fn same(&self) -> bool {
        self.differences.is_empty()
            && (self.legacy_total - self.lastmile_total).abs() <= TOLERANCE
            && self.note.is_none()
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ShadowReport {
    pub compared: Vec<Compared>,
    /// Invoices of accounts that were not imported (or not by that legacy id).
    pub not_imported: Vec<String>,
}

impl ShadowReport {
    pub fn all_same(&self) -> bool {
        self.not_imported.is_empty() && self.compared.iter().all(Compared::same)
    }
}

/// A file that cannot be compared: every fault in it.
#[derive(Debug, thiserror::Error)]
pub enum ShadowError {
    #[error("{} rows of the legacy invoices are wrong", .0.len())]
    Rejected(Vec<Fault>),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

struct LegacyLine {
    account: String,
    invoice: String,
    issued_on: Option<NaiveDate>,
    kind: String,
    service: Option<String>,
    description: String,
    amount: Option<Decimal>,
}

/// Compares every account in `file` (CSV: account, invoice, issued_on, kind, service,
/// description, amount; one row per invoice line).
pub async fn shadow_bill(
    pool: &PgPool,
    config: &EngineConfig,
    file: &Path,
) -> Result<ShadowReport, ShadowError> {
    let (dir, name) = (
        file.parent().unwrap_or(Path::new(".")),
        file.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default(),
    );
    let columns = Columns {
        file: Box::leak(name.to_string().into_boxed_str()),
        ..LEGACY_INVOICES
    };
    let read = read_file(dir, &columns, |r| {
        let line = LegacyLine {
            account: r.id("account"),
            invoice: r.id("invoice"),
            issued_on: {
                let v = r.date("issued_on");
                r.must("issued_on", v)
            },
            kind: r.required("kind"),
            service: r.optional("service"),
            description: r.optional("description").unwrap_or_default(),
            amount: {
                let v = r.amount("amount");
                r.must("amount", v)
            },
        };
        if !line.kind.is_empty() && !KINDS.contains(&line.kind.as_str()) {
            r.reject(
                "kind",
                format!("{:?} is not one of {}", line.kind, KINDS.join(", ")),
            );
        }
        line
    })
    .map_err(|f| ShadowError::Rejected(vec![f]))?
    .ok_or_else(|| {
        ShadowError::Rejected(vec![Fault {
            file: columns.file,
            line: None,
            column: None,
            reason: format!("is not there ({})", file.display()),
        }])
    })?;
    let faults: Vec<Fault> = read.iter().flat_map(|(_, _, f)| f.clone()).collect();
    if !faults.is_empty() {
        return Err(ShadowError::Rejected(faults));
    }

    // The legacy invoices by account, in the file's order.
    let mut order: Vec<String> = Vec::new();
    let mut by_account: HashMap<String, Vec<LegacyLine>> = HashMap::new();
    for (_, line, _) in read {
        if !by_account.contains_key(&line.account) {
            order.push(line.account.clone());
        }
        by_account
            .entry(line.account.clone())
            .or_default()
            .push(line);
    }
    let accounts: Vec<(String, i64, String, i16)> = sqlx::query_as(
        "select legacy_id, id, account_number, billing_cycle_day from accounts where legacy_id = any($1)",
    )
    .bind(&order)
    .fetch_all(pool)
    .await
    .map_err(EngineError::from)?;
    let found: HashMap<&str, (i64, &str, i16)> = accounts
        .iter()
        .map(|(l, id, n, c)| (l.as_str(), (*id, n.as_str(), *c)))
        .collect();
    let service_legacy: HashMap<i64, String> = sqlx::query_as::<_, (i64, String)>(
        "select s.id, s.legacy_id from services s join accounts a on a.id = s.account_id
          where a.legacy_id = any($1) and s.legacy_id is not null",
    )
    .bind(&order)
    .fetch_all(pool)
    .await
    .map_err(EngineError::from)?
    .into_iter()
    .collect();

    let mut report = ShadowReport::default();
    let mut tx = pool.begin().await.map_err(EngineError::from)?;
    for legacy_id in &order {
        let lines = &by_account[legacy_id];
        let Some((account_id, number, cycle)) = found.get(legacy_id.as_str()).copied() else {
            report.not_imported.push(legacy_id.clone());
            continue;
        };
        let invoice = lines[0].invoice.clone();
        let issued_on = lines[0].issued_on.unwrap_or_default();
        let cycle = u8::try_from(cycle)
            .ok()
            .and_then(|d| CycleDay::new(d).ok())
            .ok_or_else(|| EngineError::bad_data(number, "cycle day out of range"))?;
        let period = period_containing(issued_on, cycle);
        let (on, mut note) = if period.start == issued_on {
            (issued_on, None)
        } else {
            (
                period.end,
                Some(format!(
                    "the legacy invoice is dated {issued_on}, which is not the account's cycle day; Lastmile's next statement is on {}",
                    period.end
                )),
            )
        };
        let mut legacy_groups: BTreeMap<(String, Option<String>), Vec<ShadowLine>> =
            BTreeMap::new();
        for l in lines {
            legacy_groups
                .entry((l.kind.clone(), l.service.clone()))
                .or_default()
                .push(ShadowLine {
                    description: l.description.clone(),
                    amount: l.amount.unwrap_or_default(),
                });
        }

        // The bill run's own facts and composition; a plan change due by then is applied
        // first, as the bill run would, and rolled back with everything else.
        let mut lastmile_groups: BTreeMap<(String, Option<String>), Vec<ShadowLine>> =
            BTreeMap::new();
        let mut batch =
            crate::facts::load(&mut tx, &[account_id], on, config.payment_terms_days, false)
                .await?;
        if batch.accounts.first().is_some_and(|(a, _)| a.change_due) {
            crate::plan_changes::apply_due(&mut tx, &[account_id], on).await?;
            batch =
                crate::facts::load(&mut tx, &[account_id], on, config.payment_terms_days, false)
                    .await?;
        }
        match batch.accounts.into_iter().next() {
            Some((account, _)) if account.already_billed() => {
                note = Some(format!("Lastmile has already issued the statement of {on}"));
            }
            Some((account, facts)) => {
                let bill = compose(&facts).map_err(|source| EngineError::Bill {
                    account_number: account.number.clone(),
                    source,
                })?;
                for line in bill
                    .lines
                    .iter()
                    .filter(|l| !matches!(l.source, Source::Received(_)))
                {
                    let kind = match line.kind.as_str() {
                        "adjustment" if line.amount.is_negative() => "credit",
                        "adjustment" => "one_time",
                        other => other,
                    };
                    let service = line
                        .service_id
                        .and_then(|id| service_legacy.get(&id).cloned());
                    lastmile_groups
                        .entry((kind.to_string(), if kind == "tax" { None } else { service }))
                        .or_default()
                        .push(ShadowLine {
                            description: line.description.clone(),
                            amount: line.amount.amount(),
                        });
                }
            }
            None => note = Some("Lastmile finds nothing to bill on that day".into()),
        }

        let sum = |lines: &[ShadowLine]| lines.iter().map(|l| l.amount).sum::<Decimal>();
        let mut keys: Vec<&(String, Option<String>)> =
            legacy_groups.keys().chain(lastmile_groups.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut differences = Vec::new();
        for key in keys {
            let legacy_lines = legacy_groups.get(key).cloned().unwrap_or_default();
            let lastmile_lines = lastmile_groups.get(key).cloned().unwrap_or_default();
            let (legacy, lastmile) = (sum(&legacy_lines), sum(&lastmile_lines));
            if (legacy - lastmile).abs() > TOLERANCE {
                differences.push(Difference {
                    kind: key.0.clone(),
                    service: key.1.clone(),
                    legacy,
                    lastmile,
                    legacy_lines,
                    lastmile_lines,
                });
            }
        }
        report.compared.push(Compared {
            legacy_id: legacy_id.clone(),
            account_number: number.to_string(),
            invoice,
            on,
            legacy_total: legacy_groups.values().map(|l| sum(l)).sum(),
            lastmile_total: lastmile_groups.values().map(|l| sum(l)).sum(),
            differences,
            note,
        });
    }
    tx.rollback().await.map_err(EngineError::from)?;
    Ok(report)
}

impl std::fmt::Display for ShadowReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in &self.compared {
            let verdict = if c.same() {
                "the same".to_string()
            } else {
                format!("differs by {}", c.lastmile_total - c.legacy_total)
            };
            writeln!(
                f,
                "{} ({}) {} on {}: legacy {}, Lastmile {}: {verdict}",
                c.legacy_id, c.account_number, c.invoice, c.on, c.legacy_total, c.lastmile_total
            )?;
            if let Some(note) = &c.note {
                writeln!(f, "  {note}")?;
            }
            for d in &c.differences {
                let service = d
                    .service
                    .as_deref()
                    .map(|s| format!(", service {s}"))
                    .unwrap_or_default();
                writeln!(
                    f,
                    "  {}{service}: legacy {}, Lastmile {}",
                    d.kind, d.legacy, d.lastmile
                )?;
                for l in &d.legacy_lines {
                    writeln!(f, "    legacy:   {:>10}  {}", l.amount, l.description)?;
                }
                for l in &d.lastmile_lines {
                    writeln!(f, "    Lastmile: {:>10}  {}", l.amount, l.description)?;
                }
            }
        }
        for id in &self.not_imported {
            writeln!(f, "{id}: no imported account has this legacy id")?;
        }
        let same = self.compared.iter().filter(|c| c.same()).count();
        writeln!(
            f,
            "shadow bill: {} accounts compared, {same} the same, {} different (over a cent){}",
            self.compared.len(),
            self.compared.len() - same,
            if self.not_imported.is_empty() {
                String::new()
            } else {
                format!(", {} not imported", self.not_imported.len())
            }
        )
    }
}

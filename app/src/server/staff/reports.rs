//! The operators' reports in the console (billing staff and administrators,
//! [`Right::Reports`]): one report over a range of days, computed by `engine::reports`
//! (one query each), laid out once as a [`Table`] and a [`Chart`]; the page draws both,
//! and the CSV download writes the same table.

use std::collections::BTreeMap;

use billing::{Currency, Money};
use chrono::{Datelike, NaiveDate};
use engine::reports::{self, Range};
use rust_decimal::Decimal;

use super::{Right, StaffAccess};
use crate::error::AppError;
use crate::server::Portal;
use crate::types::reports::{Cell, Chart, Report, ReportPage, Table, Unit};

/// The range asked for: `from` and `to` as `YYYY-MM-DD`, each defaulting to the first of
/// this month and today in the provider's calendar.
fn range(portal: &Portal, from: Option<&str>, to: Option<&str>) -> Result<Range, AppError> {
    let today = engine::clock::today(portal.config.billing.time_zone, chrono::Utc::now());
    let day = |field: &str, text: Option<&str>, default: NaiveDate| match text.map(str::trim) {
        None | Some("") => Ok(default),
        Some(text) => {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| AppError::InvalidInput {
                field: field.into(),
                message: "Give a date as YYYY-MM-DD.".into(),
            })
        }
    };
    let to = day("to", to, today)?;
    let from = day("from", from, to.with_day(1).unwrap_or(to))?;
    Ok(Range::new(from, to)?)
}

/// One report over the range asked for.
pub async fn page(
    portal: &Portal,
    staff: &StaffAccess,
    report: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<ReportPage, AppError> {
    staff.require(Right::Reports)?;
    let report = Report::from_slug(report).ok_or(AppError::NotFound)?;
    let range = range(portal, from, to)?;
    let (table, chart) = compute(portal, report, range).await?;
    Ok(ReportPage {
        report,
        from: range.from,
        to: range.to,
        table,
        chart,
    })
}

/// One report as CSV (RFC 4180: a header of the column keys, every field quoted, quotes
/// doubled, CRLF): its file name and body.
pub async fn csv(
    portal: &Portal,
    staff: &StaffAccess,
    report: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(String, String), AppError> {
    let page = page(portal, staff, report, from, to).await?;
    let field = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
    let line = |cells: Vec<String>| cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
    let mut out = line(page.table.columns.clone());
    out += "\r\n";
    for row in page.table.rows.iter().chain(page.table.total.as_ref()) {
        out += &line(row.iter().map(csv_value).collect());
        out += "\r\n";
    }
    Ok((
        format!("{}-{}-to-{}.csv", page.report.slug(), page.from, page.to),
        out,
    ))
}

/// A figure as the CSV writes it: plain, unformatted (money with its decimals, data in
/// bytes, a share as a percentage with one decimal).
fn csv_value(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) | Cell::Code(s) => s.clone(),
        Cell::Count(n) | Cell::Bytes(n) => n.to_string(),
        Cell::Money(m) => format!("{:.*}", m.currency().minor_units() as usize, m.amount()),
        Cell::Permille(Some(p)) => format!("{}.{}", p / 10, p % 10),
        Cell::Permille(None) => String::new(),
        Cell::Date(d) => d.to_string(),
    }
}

fn currency(code: &str) -> Result<Currency, AppError> {
    Currency::parse(code.trim()).map_err(|e| AppError::internal("report: a stored currency", e))
}

/// `part / whole` in tenths of a percent, rounded half up; `None` when `whole` is zero.
fn permille(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (part * 2000 + whole) / (2 * whole))
}

fn cents(money: &Money) -> i64 {
    money.to_minor_units().unwrap_or(0)
}

/// Adds up the money of each column of `rows` where every row has money of one currency
/// there, counts where it has counts; other columns are left blank. `None` when the rows
/// are of more than one currency.
fn total_row(rows: &[Vec<Cell>], label_columns: usize) -> Option<Vec<Cell>> {
    let first = rows.first()?;
    let mut total: Vec<Cell> = (0..first.len())
        .map(|i| {
            if i == 0 {
                Cell::Code("total".into())
            } else if i < label_columns {
                Cell::Text(String::new())
            } else {
                first[i].clone()
            }
        })
        .collect();
    for row in &rows[1..] {
        for (i, cell) in row.iter().enumerate().skip(label_columns) {
            total[i] = match (&total[i], cell) {
                (Cell::Money(a), Cell::Money(b)) => Cell::Money(a.checked_add(*b).ok()?),
                (Cell::Count(a), Cell::Count(b)) => Cell::Count(a + b),
                (Cell::Bytes(a), Cell::Bytes(b)) => Cell::Bytes(a + b),
                _ => Cell::Text(String::new()),
            };
        }
    }
    for cell in total.iter_mut().skip(label_columns) {
        if matches!(cell, Cell::Permille(_) | Cell::Date(_)) {
            *cell = Cell::Text(String::new());
        }
    }
    Some(total)
}

async fn compute(
    portal: &Portal,
    report: Report,
    range: Range,
) -> Result<(Table, Option<Chart>), AppError> {
    let pool = &portal.pool;
    let tz = portal.config.billing.time_zone;
    let columns = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    Ok(match report {
        Report::Revenue => {
            let plans = reports::mrr::report(pool, range).await?;
            let mut rows = Vec::new();
            let mut bars = Vec::new();
            let mut unit = None;
            for p in &plans {
                let c = currency(&p.currency)?;
                let m = |amount: Decimal| Cell::Money(Money::new(amount, c));
                rows.push(vec![
                    Cell::Text(p.name.clone()),
                    Cell::Text(p.code.clone()),
                    Cell::Count(p.opening_services),
                    m(p.opening),
                    m(p.new),
                    m(p.upgrades),
                    m(p.downgrades),
                    m(p.churn),
                    m(p.closing),
                    Cell::Count(p.closing_services),
                ]);
                if *unit.get_or_insert(c) == c && (p.closing_services > 0 || p.opening_services > 0)
                {
                    bars.push((p.name.clone(), cents(&Money::new(p.closing, c))));
                }
            }
            let total = single_currency(&rows)
                .then(|| total_row(&rows, 2))
                .flatten();
            (
                Table {
                    columns: columns(&[
                        "plan",
                        "code",
                        "opening_services",
                        "opening_mrr",
                        "new",
                        "upgrades",
                        "downgrades",
                        "churn",
                        "closing_mrr",
                        "closing_services",
                    ]),
                    rows,
                    total,
                },
                unit.map(|c| Chart {
                    caption: format!("Monthly recurring revenue by plan on {}", range.to),
                    unit: Unit::Money(c),
                    bars,
                }),
            )
        }
        Report::Receivables => {
            let buckets = reports::ageing::report(pool, range, tz).await?;
            let mut rows = Vec::new();
            let mut bars = Vec::new();
            let mut unit = None;
            for b in &buckets {
                let c = currency(&b.currency)?;
                let amount = Money::new(b.amount, c);
                rows.push(vec![
                    Cell::Code(b.bucket.code().into()),
                    Cell::Count(b.statements),
                    Cell::Count(b.accounts),
                    Cell::Money(amount),
                ]);
                if *unit.get_or_insert(c) == c {
                    bars.push((b.bucket.code().to_string(), cents(&amount)));
                }
            }
            // An account may be in several buckets: the accounts are not added up.
            let total = single_currency(&rows)
                .then(|| total_row(&rows, 1))
                .flatten()
                .map(|mut t| {
                    t[2] = Cell::Text(String::new());
                    t
                });
            (
                Table {
                    columns: columns(&["bucket", "statements", "accounts", "amount"]),
                    rows,
                    total,
                },
                unit.map(|c| Chart {
                    caption: format!("Receivables on {} by days past due", range.to),
                    unit: Unit::Money(c),
                    bars,
                }),
            )
        }
        Report::Collections => {
            let steps = reports::dunning::report(pool, range, tz).await?;
            let mut rows = Vec::new();
            let mut bars = Vec::new();
            for s in &steps {
                let c = currency(&s.currency)?;
                let m = |amount: Decimal| Cell::Money(Money::new(amount, c));
                let share = permille(s.collected, s.taken);
                rows.push(vec![
                    Cell::Code(s.action.clone()),
                    Cell::Text(s.step.clone()),
                    Cell::Count(s.days_after_due.into()),
                    Cell::Count(s.taken),
                    m(s.amount_due),
                    Cell::Count(s.collected),
                    m(s.amount_collected),
                    Cell::Permille(share),
                    Cell::Count(s.paid_later),
                    Cell::Count(s.still_open),
                    m(s.amount_open),
                    Cell::Count(s.void),
                ]);
                bars.push((s.step.clone(), share.unwrap_or(0)));
            }
            let total = single_currency(&rows)
                .then(|| total_row(&rows, 3))
                .flatten();
            (
                Table {
                    columns: columns(&[
                        "action",
                        "step",
                        "days_after_due",
                        "taken",
                        "amount_due",
                        "collected_within_14_days",
                        "amount_collected",
                        "collected_share_percent",
                        "paid_later",
                        "still_open",
                        "amount_open",
                        "void",
                    ]),
                    rows,
                    total,
                },
                (!bars.is_empty()).then(|| Chart {
                    caption: "Share of statements paid within 14 days of each step".into(),
                    unit: Unit::Permille,
                    bars,
                }),
            )
        }
        Report::CardPayments => {
            let outcomes = reports::card_payments::report(pool, range, tz).await?;
            let mut rows = Vec::new();
            let mut by_outcome: BTreeMap<usize, i64> = BTreeMap::new();
            for p in &outcomes {
                let c = currency(&p.currency)?;
                rows.push(vec![
                    Cell::Code(p.method.clone()),
                    Cell::Code(p.outcome.clone()),
                    Cell::Code(p.failure_code.clone()),
                    Cell::Count(p.payments),
                    Cell::Money(Money::new(p.amount, c)),
                ]);
                let i = reports::card_payments::OUTCOMES
                    .iter()
                    .position(|o| *o == p.outcome)
                    .unwrap_or(0);
                *by_outcome.entry(i).or_default() += p.payments;
            }
            let total = single_currency(&rows)
                .then(|| total_row(&rows, 3))
                .flatten();
            let bars = reports::card_payments::OUTCOMES
                .iter()
                .enumerate()
                .map(|(i, o)| (o.to_string(), by_outcome.get(&i).copied().unwrap_or(0)))
                .collect();
            (
                Table {
                    columns: columns(&["method", "outcome", "failure_code", "payments", "amount"]),
                    rows,
                    total,
                },
                Some(Chart {
                    caption: "Card payments by outcome".into(),
                    unit: Unit::Count,
                    bars,
                }),
            )
        }
        Report::Disputes => {
            let groups = reports::disputes::report(pool, range, tz).await?;
            let mut rows = Vec::new();
            let mut bars: Vec<(String, i64)> = Vec::new();
            for g in &groups {
                let c = currency(&g.currency)?;
                rows.push(vec![
                    Cell::Code(g.section.clone()),
                    Cell::Code(g.outcome.clone()),
                    Cell::Code(g.requested_by.clone()),
                    Cell::Code(g.direction.clone()),
                    Cell::Count(g.count),
                    Cell::Money(Money::new(g.amount, c)),
                    Cell::Money(Money::new(g.credited, c)),
                    Cell::Count(g.approved_by_second),
                ]);
                let label = format!("{}-{}", g.section, g.outcome);
                match bars.iter_mut().find(|(l, _)| *l == label) {
                    Some((_, n)) => *n += g.count,
                    None => bars.push((label, g.count)),
                }
            }
            (
                Table {
                    columns: columns(&[
                        "section",
                        "outcome",
                        "requested_by",
                        "direction",
                        "count",
                        "amount",
                        "credited",
                        "approved_by_second_person",
                    ]),
                    rows,
                    // Disputed amounts and adjustments do not add up to anything.
                    total: None,
                },
                (!bars.is_empty()).then(|| Chart {
                    caption: "Disputes and adjustments by outcome".into(),
                    unit: Unit::Count,
                    bars,
                }),
            )
        }
        Report::Usage => {
            let months = reports::usage::report(pool, range).await?;
            let mut rows = Vec::new();
            for m in &months {
                rows.push(vec![
                    Cell::Date(m.month),
                    Cell::Text(m.name.clone()),
                    Cell::Text(m.code.clone()),
                    m.allowance_gb
                        .map_or(Cell::Code("unlimited".into()), |gb| Cell::Count(gb.into())),
                    Cell::Count(m.services),
                    Cell::Bytes(m.bytes),
                    Cell::Bytes(if m.services > 0 {
                        m.bytes / m.services
                    } else {
                        0
                    }),
                    Cell::Permille(
                        m.allowance_gb
                            .and_then(|_| permille(m.over_half, m.services)),
                    ),
                    Cell::Permille(
                        m.allowance_gb
                            .and_then(|_| permille(m.over_four_fifths, m.services)),
                    ),
                    Cell::Permille(
                        m.allowance_gb
                            .and_then(|_| permille(m.over_allowance, m.services)),
                    ),
                ]);
            }
            // The chart: the last month's average use per service, by plan.
            let last = months.last().map(|m| m.month);
            let bars: Vec<(String, i64)> = months
                .iter()
                .filter(|m| Some(m.month) == last && m.services > 0)
                .map(|m| (m.name.clone(), m.bytes / m.services))
                .collect();
            (
                Table {
                    columns: columns(&[
                        "month",
                        "plan",
                        "code",
                        "allowance_gb",
                        "services",
                        "bytes",
                        "bytes_per_service",
                        "at_half_percent",
                        "at_four_fifths_percent",
                        "at_allowance_percent",
                    ]),
                    rows,
                    total: None,
                },
                last.map(|month| Chart {
                    caption: format!("Average use per service by plan, {}", month.format("%B %Y")),
                    unit: Unit::Bytes,
                    bars,
                }),
            )
        }
    })
}

/// Whether every money figure of the rows is in one currency.
fn single_currency(rows: &[Vec<Cell>]) -> bool {
    let mut seen = None;
    rows.iter().flatten().all(|cell| match cell {
        Cell::Money(m) => *seen.get_or_insert(m.currency()) == m.currency(),
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_in_tenths_of_a_percent_rounded_half_up() {
        assert_eq!(permille(1, 2), Some(500));
        assert_eq!(permille(2, 3), Some(667));
        assert_eq!(permille(1, 3), Some(333));
        assert_eq!(permille(1, 8), Some(125));
        assert_eq!(permille(0, 0), None);
    }

    #[test]
    fn csv_values_are_plain() {
        let usd = |a: Decimal| Cell::Money(Money::new(a, Currency::USD));
        assert_eq!(csv_value(&usd(Decimal::new(-17000, 2))), "-170.00");
        assert_eq!(csv_value(&usd(Decimal::new(5, 0))), "5.00");
        assert_eq!(csv_value(&Cell::Permille(Some(625))), "62.5");
        assert_eq!(csv_value(&Cell::Bytes(306_000_000_000)), "306000000000");
    }
}

//! What the operator commands print.

use std::fmt::Write;

use billing::bill::Bill;
use billing::{text, Money};
use engine::bill_run::Summary;
use serde_json::{json, Value};

/// A bill run's summary for a person at a terminal. Every amount is written in its own
/// currency.
pub fn bill_run(s: &Summary) -> String {
    let mut out = String::new();
    let date = s.date.map(|d| d.to_string()).unwrap_or_default();
    let _ = writeln!(
        out,
        "Bill run for {date}{}",
        if s.dry_run {
            " (dry run: nothing was written)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "  billed:    {}",
        text::plural(s.billed, "account", "accounts")
    );
    for (i, skipped) in s.skipped.iter().enumerate() {
        let label = if i == 0 {
            "  skipped:  "
        } else {
            "            "
        };
        let _ = writeln!(
            out,
            "{label} {} {}",
            text::plural(skipped.accounts, "account", "accounts"),
            skipped.reason.text()
        );
    }
    for t in &s.totals {
        let _ = writeln!(
            out,
            "  {}:       charges {}, tax {}, total due {}",
            t.currency.as_str(),
            text::money(t.charges),
            text::money(t.tax),
            text::money(t.total_due)
        );
    }
    if s.suspended > 0 {
        let _ = writeln!(
            out,
            "  suspended: {} whose balance did not cover the plan (off until topped up)",
            text::plural(
                s.suspended,
                "prepaid or hybrid account",
                "prepaid or hybrid accounts"
            )
        );
    }
    for f in &s.failed {
        let _ = writeln!(
            out,
            "  FAILED:    account {}: {}",
            f.account_number, f.error
        );
    }
    if let (Some(first), Some(date)) = (s.failed.first(), s.date) {
        let _ = writeln!(
            out,
            "             nothing was written for {}; correct {} and run again with \
             --date {date} --account <number> (the others are billed and are skipped)",
            if s.failed.len() == 1 {
                "that account"
            } else {
                "those accounts"
            },
            if s.failed.len() == 1 {
                format!("account {}'s data", first.account_number)
            } else {
                "their data".to_string()
            }
        );
    }
    let per = (s.elapsed_ms * 1000)
        .checked_div(s.billed)
        .map(|us| format!(" ({} µs per account)", text::count(us)))
        .unwrap_or_default();
    let _ = writeln!(out, "  took {} ms{per}", text::count(s.elapsed_ms));
    for bill in &s.statements {
        let _ = writeln!(
            out,
            "\n  Statement for {} (issued {}, due {})",
            text::period(&bill.period),
            text::day(bill.issued_on),
            text::day(bill.due_on)
        );
        let _ = writeln!(
            out,
            "    {:<70} {:>12}",
            "Previous balance",
            text::money(bill.totals.previous_balance)
        );
        for line in &bill.lines {
            let _ = writeln!(
                out,
                "    {:<70} {:>12}",
                line.description,
                text::money(line.amount)
            );
        }
        let _ = writeln!(
            out,
            "    {:<70} {:>12}",
            "Total due",
            text::money(bill.totals.total_due)
        );
    }
    out
}

/// A bill run's summary as JSON. Every amount is `{"amount": "12.30", "currency": "USD"}`,
/// the amount a string with exactly the currency's minor-unit decimals ("0.00", never "0";
/// "1200" in yen); skipped accounts are `{"reason", "text", "accounts"}` objects.
pub fn bill_run_json(s: &Summary) -> Value {
    json!({
        "date": s.date,
        "dry_run": s.dry_run,
        "billed": s.billed,
        "skipped": s.skipped.iter().map(|k| json!({
            "reason": k.reason,
            "text": k.reason.text(),
            "accounts": k.accounts,
        })).collect::<Vec<_>>(),
        "totals": s.totals.iter().map(|t| json!({
            "currency": t.currency,
            "charges": money(t.charges),
            "tax": money(t.tax),
            "total_due": money(t.total_due),
        })).collect::<Vec<_>>(),
        "suspended": s.suspended,
        "failed": s.failed,
        "elapsed_ms": s.elapsed_ms,
        "statements": s.statements.iter().map(statement).collect::<Vec<_>>(),
    })
}

fn statement(bill: &Bill) -> Value {
    json!({
        "period": bill.period,
        "issued_on": bill.issued_on,
        "due_on": bill.due_on,
        "previous_balance": money(bill.totals.previous_balance),
        "lines": bill.lines.iter().map(|l| json!({
            "kind": l.kind.as_str(),
            "description": l.description,
            "service_id": l.service_id,
            "period": l.period,
            "quantity": l.quantity.map(|q| q.normalize().to_string()),
            "unit_price": l.unit_price.map(|p| unit_price(p, l.amount.currency().minor_units())),
            "amount": money(l.amount),
        })).collect::<Vec<_>>(),
        "charges": money(bill.totals.charges),
        "tax": money(bill.totals.tax),
        "payments": money(bill.totals.payments),
        "credits": money(bill.totals.credits),
        "total_due": money(bill.totals.total_due),
    })
}

/// A price per unit: at least the currency's minor-unit decimals, more when it has them
/// (0.3333 per GB).
fn unit_price(price: rust_decimal::Decimal, places: u32) -> String {
    let mut price = price.normalize();
    if price.scale() < places {
        price.rescale(places);
    }
    price.to_string()
}

/// An amount at its currency's minor-unit scale (rounded half away from zero only if it
/// carries more decimals, which a total never does).
fn money(m: Money) -> Value {
    let places = m.currency().minor_units();
    let mut amount = m
        .amount()
        .round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    amount.rescale(places);
    json!({ "amount": amount.to_string(), "currency": m.currency() })
}

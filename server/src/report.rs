//! What the operator commands print.

use std::fmt::Write;

use billing::text;
use engine::bill_run::Summary;

/// A bill run's summary for a person at a terminal.
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
    let _ = writeln!(out, "  billed:    {} accounts", text::count(s.billed));
    for (i, (reason, n)) in s.skipped.iter().enumerate() {
        let label = if i == 0 {
            "  skipped:  "
        } else {
            "            "
        };
        let _ = writeln!(out, "{label} {} {reason}", text::count(*n));
    }
    for t in &s.totals {
        let _ = writeln!(
            out,
            "  {}:       charges {}, tax {}, total due {}",
            t.currency.as_str(),
            text::dollars(t.charges.amount()),
            text::dollars(t.tax.amount()),
            text::dollars(t.total_due.amount())
        );
    }
    if s.suspended > 0 {
        let _ = writeln!(
            out,
            "  suspended: {} prepaid accounts whose balance ran out",
            text::count(s.suspended)
        );
    }
    for (account, why) in &s.failed {
        let _ = writeln!(out, "  FAILED:    account id {account}: {why}");
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
            text::dollars(bill.totals.previous_balance.amount())
        );
        for line in &bill.lines {
            let _ = writeln!(
                out,
                "    {:<70} {:>12}",
                line.description,
                text::dollars(line.amount.amount())
            );
        }
        let _ = writeln!(
            out,
            "    {:<70} {:>12}",
            "Total due",
            text::dollars(bill.totals.total_due.amount())
        );
    }
    out
}

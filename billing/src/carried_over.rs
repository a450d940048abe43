//! What an account imported from a legacy system brings with it: its opening balance and
//! open invoices, as one opening statement. The policy is [`crate::bill`]'s "Accounts
//! imported from a legacy system"; this is its arithmetic.

use chrono::{Days, NaiveDate};

use crate::ledger::EntryKind;
use crate::money::{Money, MoneyError};
use crate::statement::{Line, LineKind, StatementError, Totals};

/// An invoice the legacy system issued and was not paid in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvoice {
    /// The legacy system's invoice number.
    pub number: String,
    /// The day it was issued.
    pub issued_on: NaiveDate,
    /// The day it was due.
    pub due_on: NaiveDate,
    /// What is still open of it (positive).
    pub open: Money,
}

/// The opening statement of an imported account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    /// One line per open invoice, in the order given, then the difference if any.
    pub lines: Vec<Line>,
    /// What the lines add up to (no previous balance: it is the account's first).
    pub totals: Totals,
    /// The period it covers: from the oldest open invoice's issue day to the import day.
    pub period_start: NaiveDate,
    /// The import day.
    pub period_end: NaiveDate,
    /// The import day.
    pub issued_on: NaiveDate,
    /// See the policy: the oldest open invoice's due date, never before the import day.
    pub due_on: NaiveDate,
    /// The one ledger entry, "Balance carried over" (`None` for a zero balance).
    pub entry: Option<(EntryKind, Money)>,
    /// The balance less the open invoices (zero when they agree).
    pub difference: Money,
}

/// What an imported account's balance and open invoices become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarriedOver {
    /// Nothing owed and nothing in credit.
    Nothing,
    /// In credit with no open invoice: one credit entry, shown by the next statement.
    Credit(Money),
    /// An opening statement and its entry.
    Statement(Opening),
}

/// What cannot be carried over.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CarryError {
    /// An invoice with nothing open on it is not an open invoice.
    #[error("invoice {0}: what is open of it must be more than zero")]
    NotOpen(String),
    /// An invoice due before it was issued.
    #[error("invoice {0}: due before it was issued")]
    DueBeforeIssued(String),
    /// Amounts in more than one currency, or too large.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// Lines the statement rules refuse.
    #[error(transparent)]
    Statement(#[from] StatementError),
}

/// The description of the ledger entry and of a balance line with no invoice.
pub const BALANCE_CARRIED_OVER: &str = "Balance carried over";
/// The description of the line that makes up the difference.
pub const OTHER_BALANCE: &str = "Other balance carried over";

/// Carries `balance` (positive: owed) and the `invoices` still open over on `import_day`.
/// `payment_terms_days` dates a statement with no open invoice.
pub fn carry_over(
    balance: Money,
    invoices: &[OpenInvoice],
    import_day: NaiveDate,
    payment_terms_days: u32,
) -> Result<CarriedOver, CarryError> {
    let currency = balance.currency();
    let zero = Money::zero(currency);
    for invoice in invoices {
        if !invoice.open.is_positive() {
            return Err(CarryError::NotOpen(invoice.number.clone()));
        }
        if invoice.due_on < invoice.issued_on {
            return Err(CarryError::DueBeforeIssued(invoice.number.clone()));
        }
    }
    if invoices.is_empty() {
        if balance.is_zero() {
            return Ok(CarriedOver::Nothing);
        }
        if balance.is_negative() {
            return Ok(CarriedOver::Credit(balance));
        }
    }
    let mut lines: Vec<Line> = invoices
        .iter()
        .map(|i| Line {
            kind: LineKind::OneTime,
            description: format!(
                "Invoice {} of {}, due {}: carried over",
                i.number, i.issued_on, i.due_on
            ),
            amount: i.open,
        })
        .collect();
    let invoiced = invoices
        .iter()
        .try_fold(zero, |sum, i| sum.checked_add(i.open))?;
    let difference = balance.checked_sub(invoiced)?;
    if !difference.is_zero() {
        lines.push(Line {
            kind: if difference.is_positive() {
                LineKind::OneTime
            } else {
                LineKind::Credit
            },
            description: if invoices.is_empty() {
                BALANCE_CARRIED_OVER.to_string()
            } else {
                OTHER_BALANCE.to_string()
            },
            amount: difference,
        });
    }
    let totals = Totals::compute(zero, &lines)?;
    let period_start = invoices
        .iter()
        .map(|i| i.issued_on)
        .min()
        .unwrap_or(import_day)
        .min(import_day - Days::new(1));
    let due_on = match invoices.iter().map(|i| i.due_on).min() {
        Some(oldest) => oldest.max(import_day),
        None => import_day + Days::new(u64::from(payment_terms_days)),
    };
    let entry = if balance.is_positive() {
        Some((EntryKind::Charge, balance))
    } else if balance.is_negative() {
        Some((EntryKind::Credit, balance))
    } else {
        None
    };
    Ok(CarriedOver::Statement(Opening {
        lines,
        totals,
        period_start,
        period_end: import_day,
        issued_on: import_day,
        due_on,
        entry,
        difference,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use rust_decimal_macros::dec;

    fn usd(amount: rust_decimal::Decimal) -> Money {
        Money::new(amount, Currency::parse("USD").expect("usd"))
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn invoice(number: &str, issued: NaiveDate, due: NaiveDate, open: Money) -> OpenInvoice {
        OpenInvoice {
            number: number.into(),
            issued_on: issued,
            due_on: due,
            open,
        }
    }

    #[test]
    fn the_worked_example_of_the_policy() {
        let invoices = [
            invoice("INV-1", d(2026, 10, 25), d(2026, 11, 25), usd(dec!(64.95))),
            invoice("INV-2", d(2026, 11, 25), d(2026, 12, 25), usd(dec!(30.00))),
        ];
        let CarriedOver::Statement(o) =
            carry_over(usd(dec!(89.95)), &invoices, d(2026, 12, 7), 21).expect("carried")
        else {
            panic!("a statement")
        };
        let amounts: Vec<_> = o.lines.iter().map(|l| (l.kind, l.amount)).collect();
        assert_eq!(
            amounts,
            [
                (LineKind::OneTime, usd(dec!(64.95))),
                (LineKind::OneTime, usd(dec!(30.00))),
                (LineKind::Credit, usd(dec!(-5.00))),
            ]
        );
        assert_eq!(
            o.lines[0].description,
            "Invoice INV-1 of 2026-10-25, due 2026-11-25: carried over"
        );
        assert_eq!(o.lines[2].description, OTHER_BALANCE);
        assert_eq!(o.totals.charges, usd(dec!(94.95)));
        assert_eq!(o.totals.credits, usd(dec!(-5.00)));
        assert_eq!(o.totals.total_due, usd(dec!(89.95)));
        assert_eq!(o.difference, usd(dec!(-5.00)));
        assert_eq!(
            o.due_on,
            d(2026, 12, 7),
            "Nov 25 has passed: due the import day"
        );
        assert_eq!(
            (o.period_start, o.period_end),
            (d(2026, 10, 25), d(2026, 12, 7))
        );
        assert_eq!(o.entry, Some((EntryKind::Charge, usd(dec!(89.95)))));
    }

    #[test]
    fn an_invoice_not_yet_due_keeps_its_due_date() {
        let invoices = [invoice(
            "A7",
            d(2026, 12, 1),
            d(2026, 12, 21),
            usd(dec!(55.00)),
        )];
        let CarriedOver::Statement(o) =
            carry_over(usd(dec!(55.00)), &invoices, d(2026, 12, 7), 21).expect("carried")
        else {
            panic!("a statement")
        };
        assert_eq!(o.lines.len(), 1, "no difference line when they agree");
        assert_eq!(o.due_on, d(2026, 12, 21));
        assert!(o.difference.is_zero());
    }

    #[test]
    fn a_balance_with_no_invoice() {
        assert_eq!(
            carry_over(usd(dec!(0)), &[], d(2026, 12, 7), 21),
            Ok(CarriedOver::Nothing)
        );
        assert_eq!(
            carry_over(usd(dec!(-12.50)), &[], d(2026, 12, 7), 21),
            Ok(CarriedOver::Credit(usd(dec!(-12.50))))
        );
        let CarriedOver::Statement(o) =
            carry_over(usd(dec!(20.00)), &[], d(2026, 12, 7), 21).expect("carried")
        else {
            panic!("a statement")
        };
        assert_eq!(o.lines[0].description, BALANCE_CARRIED_OVER);
        assert_eq!(o.totals.total_due, usd(dec!(20.00)));
        assert_eq!(o.due_on, d(2026, 12, 28), "the usual 21 days");
        assert_eq!(
            (o.period_start, o.period_end),
            (d(2026, 12, 6), d(2026, 12, 7))
        );
    }

    #[test]
    fn invoices_paid_ahead_leave_the_statement_in_credit() {
        // $40.00 open, but $50.00 paid on account since: $10.00 in credit.
        let invoices = [invoice(
            "Z1",
            d(2026, 11, 1),
            d(2026, 11, 21),
            usd(dec!(40.00)),
        )];
        let CarriedOver::Statement(o) =
            carry_over(usd(dec!(-10.00)), &invoices, d(2026, 12, 7), 21).expect("carried")
        else {
            panic!("a statement")
        };
        assert_eq!(o.totals.credits, usd(dec!(-50.00)));
        assert_eq!(o.totals.total_due, usd(dec!(-10.00)));
        assert_eq!(o.entry, Some((EntryKind::Credit, usd(dec!(-10.00)))));
    }

    #[test]
    fn a_closed_or_misdated_invoice_is_refused() {
        let zero = [invoice("Q", d(2026, 11, 1), d(2026, 11, 21), usd(dec!(0)))];
        assert_eq!(
            carry_over(usd(dec!(0)), &zero, d(2026, 12, 7), 21),
            Err(CarryError::NotOpen("Q".into()))
        );
        let backwards = [invoice("R", d(2026, 11, 21), d(2026, 11, 1), usd(dec!(5)))];
        assert_eq!(
            carry_over(usd(dec!(5)), &backwards, d(2026, 12, 7), 21),
            Err(CarryError::DueBeforeIssued("R".into()))
        );
    }
}

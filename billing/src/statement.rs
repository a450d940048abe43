//! Statement lines, their display groups, the statement totals and its status.
//!
//! # Sign convention
//!
//! This is the one rule for signs on statements (and in the ledger, see [`crate::ledger`]):
//! **a positive amount increases what the subscriber owes** (charges, tax) and **a negative
//! amount reduces it** (payments, credits, discounts). So a payment of 54.11 appears as a
//! line of −54.11, and a statement's total due is simply the previous balance plus the sum
//! of its lines. Adjustments are the one kind that may go either way.
//!
//! The rules here mirror the `statement_lines` and `statements` check constraints and the
//! `statement_lines_add_up` trigger in the database, so a statement that passes
//! [`Totals::compute`] is one the database will accept.

use std::borrow::Borrow;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money, MoneyError};

/// Why statement lines or a stored value were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// A `statement_lines.kind` string that is not one of the known kinds.
    #[error("unknown statement line kind {0:?}")]
    UnknownLineKind(String),
    /// A `statements.status` string that is not `open`, `paid` or `void`.
    #[error("unknown statement status {0:?}")]
    UnknownStatus(String),
    /// A line whose amount has the wrong sign for its kind (see the module docs).
    #[error("line {line_no}: a {kind} line must be {}, got {amount}", kind.sign_rule())]
    WrongSign {
        /// The line's 1-based position, as in `statement_lines.line_no`.
        line_no: usize,
        /// The line's kind.
        kind: LineKind,
        /// The offending amount.
        amount: Money,
    },
    /// A line in a different currency from the statement's.
    #[error("line {line_no} is in {found} but the statement is in {expected}")]
    LineCurrency {
        /// The line's 1-based position.
        line_no: usize,
        /// The statement's currency (that of the previous balance).
        expected: Currency,
        /// The line's currency.
        found: Currency,
    },
    /// The charges add up to less than zero because discounts exceed the charges they
    /// reduce, which the `statements.total_charges >= 0` check forbids.
    #[error("charges total {0}: discounts cannot exceed the charges on a statement")]
    NegativeCharges(Money),
    /// Arithmetic on the amounts failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// What a statement line is for; stored as `statement_lines.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// The plan's monthly price (possibly prorated). Zero or positive.
    Recurring,
    /// Usage beyond the allowance. Zero or positive.
    Usage,
    /// A one-off charge such as installation or a router. Zero or positive.
    OneTime,
    /// A reduction of the charges, such as a promotion. Negative.
    Discount,
    /// Tax on the charges. Zero or positive.
    Tax,
    /// A payment received since the last statement. Negative.
    Payment,
    /// A credit, such as outage compensation. Negative.
    Credit,
    /// A correction by staff. Non-zero, either sign.
    Adjustment,
}

impl LineKind {
    /// Every kind, in declaration order.
    pub const ALL: [LineKind; 8] = [
        LineKind::Recurring,
        LineKind::Usage,
        LineKind::OneTime,
        LineKind::Discount,
        LineKind::Tax,
        LineKind::Payment,
        LineKind::Credit,
        LineKind::Adjustment,
    ];

    /// The database string: `"recurring"`, `"usage"`, `"one_time"`, `"discount"`, `"tax"`,
    /// `"payment"`, `"credit"` or `"adjustment"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            LineKind::Recurring => "recurring",
            LineKind::Usage => "usage",
            LineKind::OneTime => "one_time",
            LineKind::Discount => "discount",
            LineKind::Tax => "tax",
            LineKind::Payment => "payment",
            LineKind::Credit => "credit",
            LineKind::Adjustment => "adjustment",
        }
    }

    /// Parses a database string (exact, lower case), the inverse of [`LineKind::as_str`].
    pub fn parse(s: &str) -> Result<LineKind, StatementError> {
        LineKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| StatementError::UnknownLineKind(s.to_owned()))
    }

    /// The display group the line is listed under. Discounts sit with the recurring
    /// charges they reduce; adjustments, credits and payments share the last group.
    pub fn group(&self) -> LineGroup {
        match self {
            LineKind::Recurring | LineKind::Discount => LineGroup::Recurring,
            LineKind::Usage => LineGroup::Usage,
            LineKind::OneTime => LineGroup::OneTime,
            LineKind::Tax => LineGroup::Taxes,
            LineKind::Payment | LineKind::Credit | LineKind::Adjustment => {
                LineGroup::PaymentsAndCredits
            }
        }
    }

    /// Whether `amount` has the sign this kind requires: payments, credits and discounts
    /// below zero; recurring, usage, one-time and tax zero or above; adjustments non-zero.
    pub fn sign_is_valid(&self, amount: Money) -> bool {
        match self {
            LineKind::Payment | LineKind::Credit | LineKind::Discount => amount.is_negative(),
            LineKind::Recurring | LineKind::Usage | LineKind::OneTime | LineKind::Tax => {
                !amount.is_negative()
            }
            LineKind::Adjustment => !amount.is_zero(),
        }
    }

    /// The sign rule in words, for error messages.
    fn sign_rule(&self) -> &'static str {
        match self {
            LineKind::Payment | LineKind::Credit | LineKind::Discount => "negative",
            LineKind::Recurring | LineKind::Usage | LineKind::OneTime | LineKind::Tax => {
                "zero or positive"
            }
            LineKind::Adjustment => "non-zero",
        }
    }
}

impl fmt::Display for LineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A heading lines are grouped under on a statement, in a fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineGroup {
    /// Plan charges and their discounts.
    Recurring,
    /// Usage charges.
    Usage,
    /// One-off charges.
    OneTime,
    /// Taxes.
    Taxes,
    /// Payments, credits and adjustments.
    PaymentsAndCredits,
}

impl LineGroup {
    /// Every group, in the order statements display them.
    pub const ALL: [LineGroup; 5] = [
        LineGroup::Recurring,
        LineGroup::Usage,
        LineGroup::OneTime,
        LineGroup::Taxes,
        LineGroup::PaymentsAndCredits,
    ];

    /// A stable key (`"recurring"`, `"usage"`, `"one_time"`, `"taxes"`,
    /// `"payments_and_credits"`), e.g. for looking up the translated heading.
    pub fn as_str(&self) -> &'static str {
        match self {
            LineGroup::Recurring => "recurring",
            LineGroup::Usage => "usage",
            LineGroup::OneTime => "one_time",
            LineGroup::Taxes => "taxes",
            LineGroup::PaymentsAndCredits => "payments_and_credits",
        }
    }
}

/// One line on a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// What the line is for; decides the sign its amount must have.
    pub kind: LineKind,
    /// The text shown to the subscriber.
    pub description: String,
    /// The amount, signed per the module's sign convention.
    pub amount: Money,
}

/// A statement's header figures, as stored in the `statements` table.
///
/// `total_due = previous_balance + charges + tax + payments + credits`, which also equals
/// the previous balance plus the sum of every line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// What was owed before this statement (negative: in credit).
    pub previous_balance: Money,
    /// Recurring, usage, one-time and discount lines plus positive adjustments; never
    /// negative.
    pub charges: Money,
    /// Tax lines; never negative.
    pub tax: Money,
    /// Payment lines; negative or zero.
    pub payments: Money,
    /// Credit lines plus negative adjustments; negative or zero.
    pub credits: Money,
    /// What the subscriber owes after this statement (negative: in credit).
    pub total_due: Money,
}

impl Totals {
    /// Validates `lines` and adds them up.
    ///
    /// Every line must be in the previous balance's currency
    /// ([`StatementError::LineCurrency`]) and have the sign its kind requires
    /// ([`StatementError::WrongSign`]); discounts may not push the charges below zero
    /// ([`StatementError::NegativeCharges`]). Line numbers in errors are 1-based.
    pub fn compute(previous_balance: Money, lines: &[Line]) -> Result<Totals, StatementError> {
        let currency = previous_balance.currency();
        let zero = Money::zero(currency);
        let (mut charges, mut tax, mut payments, mut credits) = (zero, zero, zero, zero);
        for (index, line) in lines.iter().enumerate() {
            let line_no = index + 1;
            if line.amount.currency() != currency {
                return Err(StatementError::LineCurrency {
                    line_no,
                    expected: currency,
                    found: line.amount.currency(),
                });
            }
            if !line.kind.sign_is_valid(line.amount) {
                return Err(StatementError::WrongSign {
                    line_no,
                    kind: line.kind,
                    amount: line.amount,
                });
            }
            let bucket = match line.kind {
                LineKind::Recurring | LineKind::Usage | LineKind::OneTime | LineKind::Discount => {
                    &mut charges
                }
                LineKind::Adjustment if line.amount.is_positive() => &mut charges,
                LineKind::Tax => &mut tax,
                LineKind::Payment => &mut payments,
                LineKind::Credit | LineKind::Adjustment => &mut credits,
            };
            *bucket = bucket.checked_add(line.amount)?;
        }
        if charges.is_negative() {
            return Err(StatementError::NegativeCharges(charges));
        }
        let total_due = Money::sum(
            currency,
            [previous_balance, charges, tax, payments, credits],
        )?;
        Ok(Totals {
            previous_balance,
            charges,
            tax,
            payments,
            credits,
            total_due,
        })
    }
}

/// Where a statement stands, as shown to the subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementStatus {
    /// Issued and not yet due (or due today).
    Open,
    /// Paid in full.
    Paid,
    /// Open and past its due date.
    Overdue,
    /// Cancelled; nothing is owed on it.
    Void,
}

impl StatementStatus {
    /// A stable key: `"open"`, `"paid"`, `"overdue"` or `"void"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            StatementStatus::Open => "open",
            StatementStatus::Paid => "paid",
            StatementStatus::Overdue => "overdue",
            StatementStatus::Void => "void",
        }
    }
}

/// The status to show for a statement whose stored `statements.status` is `stored`
/// (`"open"`, `"paid"` or `"void"`), due on `due_on`, as of `today`.
///
/// An open statement becomes [`StatementStatus::Overdue`] the day after its due date; on
/// the due date itself it is still open. "Overdue" is derived rather than stored so that
/// it never needs a job to flip it. Any other stored string is
/// [`StatementError::UnknownStatus`].
pub fn status(
    stored: &str,
    due_on: NaiveDate,
    today: NaiveDate,
) -> Result<StatementStatus, StatementError> {
    match stored {
        "open" if today > due_on => Ok(StatementStatus::Overdue),
        "open" => Ok(StatementStatus::Open),
        "paid" => Ok(StatementStatus::Paid),
        "void" => Ok(StatementStatus::Void),
        other => Err(StatementError::UnknownStatus(other.to_owned())),
    }
}

/// The lines grouped for display: each non-empty group in [`LineGroup::ALL`] order with
/// its lines (in their original order) and their subtotal.
///
/// Meant for lines [`Totals::compute`] has accepted, which share one currency: the
/// subtotal is in the currency of the group's first line. Items may carry more than the
/// line (a billed period, say): anything that borrows as a [`Line`] can be grouped.
pub fn group_lines<T: Borrow<Line>>(items: &[T]) -> Vec<(LineGroup, Vec<&T>, Money)> {
    LineGroup::ALL
        .into_iter()
        .filter_map(|group| {
            let members: Vec<&T> = items
                .iter()
                .filter(|item| Borrow::<Line>::borrow(*item).kind.group() == group)
                .collect();
            let first: &Line = (*members.first()?).borrow();
            // Saturating rather than checked: stored amounts are numeric(14,2), so a
            // statement's subtotal is nowhere near Decimal's range, and display code should
            // not have to handle an error that cannot happen.
            let subtotal = members.iter().fold(Decimal::ZERO, |sum, item| {
                sum.saturating_add(Borrow::<Line>::borrow(*item).amount.amount())
            });
            Some((
                group,
                members.clone(),
                Money::new(subtotal, first.amount.currency()),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn usd(amount: Decimal) -> Money {
        Money::new(amount, Currency::USD)
    }

    fn line(kind: LineKind, description: &str, amount: Decimal) -> Line {
        Line {
            kind,
            description: description.to_owned(),
            amount: usd(amount),
        }
    }

    fn d(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid test date")
    }

    /// A statement with one line of every kind.
    fn full_statement() -> Vec<Line> {
        vec![
            line(LineKind::Recurring, "Fibre 500, 1–31 March", dec!(49.99)),
            line(LineKind::Usage, "3 GB over allowance", dec!(6.00)),
            line(LineKind::OneTime, "Wi-Fi router", dec!(99.00)),
            line(LineKind::Discount, "Loyalty discount", dec!(-5.00)),
            line(LineKind::Tax, "Sales tax 8.25%", dec!(12.37)),
            line(LineKind::Payment, "Payment, thank you", dec!(-54.11)),
            line(LineKind::Credit, "Outage credit", dec!(-3.00)),
            line(LineKind::Adjustment, "Correction: missed fee", dec!(1.50)),
            line(LineKind::Adjustment, "Goodwill", dec!(-2.00)),
        ]
    }

    #[test]
    fn line_kinds_round_trip_through_their_database_strings() {
        let strings = [
            "recurring",
            "usage",
            "one_time",
            "discount",
            "tax",
            "payment",
            "credit",
            "adjustment",
        ];
        for (kind, s) in LineKind::ALL.into_iter().zip(strings) {
            assert_eq!(kind.as_str(), s);
            assert_eq!(LineKind::parse(s), Ok(kind));
        }
        assert_eq!(
            LineKind::parse("Tax"),
            Err(StatementError::UnknownLineKind("Tax".to_owned()))
        );
        assert!(LineKind::parse("onetime").is_err());
    }

    #[test]
    fn discounts_group_with_recurring_and_adjustments_with_payments() {
        assert_eq!(LineKind::Discount.group(), LineGroup::Recurring);
        assert_eq!(LineKind::Recurring.group(), LineGroup::Recurring);
        assert_eq!(LineKind::Usage.group(), LineGroup::Usage);
        assert_eq!(LineKind::OneTime.group(), LineGroup::OneTime);
        assert_eq!(LineKind::Tax.group(), LineGroup::Taxes);
        assert_eq!(LineKind::Payment.group(), LineGroup::PaymentsAndCredits);
        assert_eq!(LineKind::Credit.group(), LineGroup::PaymentsAndCredits);
        assert_eq!(LineKind::Adjustment.group(), LineGroup::PaymentsAndCredits);
    }

    #[test]
    fn totals_split_lines_into_charges_tax_payments_and_credits() {
        let totals = Totals::compute(usd(dec!(54.11)), &full_statement()).expect("valid statement");
        // charges: 49.99 + 6.00 + 99.00 − 5.00 + 1.50 (positive adjustment) = 151.49
        assert_eq!(totals.charges, usd(dec!(151.49)));
        assert_eq!(totals.tax, usd(dec!(12.37)));
        assert_eq!(totals.payments, usd(dec!(-54.11)));
        // credits: −3.00 − 2.00 (negative adjustment) = −5.00
        assert_eq!(totals.credits, usd(dec!(-5.00)));
        // 54.11 + 151.49 + 12.37 − 54.11 − 5.00 = 158.86
        assert_eq!(totals.total_due, usd(dec!(158.86)));
        assert_eq!(totals.previous_balance, usd(dec!(54.11)));
    }

    #[test]
    fn total_due_equals_previous_balance_plus_every_line() {
        let lines = full_statement();
        let totals = Totals::compute(usd(dec!(54.11)), &lines).expect("valid statement");
        // Sum of lines by hand: 49.99 + 6 + 99 − 5 + 12.37 − 54.11 − 3 + 1.50 − 2 = 104.75.
        assert_eq!(
            usd(dec!(54.11)).checked_add(usd(dec!(104.75))),
            Ok(totals.total_due)
        );
        let by_lines = Money::sum(Currency::USD, lines.iter().map(|l| l.amount))
            .and_then(|sum| sum.checked_add(totals.previous_balance));
        let by_totals = Money::sum(
            Currency::USD,
            [
                totals.previous_balance,
                totals.charges,
                totals.tax,
                totals.payments,
                totals.credits,
            ],
        );
        assert_eq!(by_lines, Ok(totals.total_due));
        assert_eq!(by_totals, Ok(totals.total_due));
    }

    #[test]
    fn a_statement_with_no_lines_carries_the_previous_balance() {
        let totals = Totals::compute(usd(dec!(-12.00)), &[]).expect("valid statement");
        assert_eq!(totals.total_due, usd(dec!(-12.00)));
        assert_eq!(totals.charges, Money::zero(Currency::USD));
        assert_eq!(totals.credits, Money::zero(Currency::USD));
    }

    #[test]
    fn a_positive_payment_line_is_rejected_with_its_line_number() {
        let lines = vec![
            line(LineKind::Recurring, "Plan", dec!(49.99)),
            line(LineKind::Payment, "Payment", dec!(49.99)),
        ];
        let err = Totals::compute(usd(dec!(0)), &lines);
        assert_eq!(
            err,
            Err(StatementError::WrongSign {
                line_no: 2,
                kind: LineKind::Payment,
                amount: usd(dec!(49.99))
            })
        );
        let message = err.map(|_| ()).unwrap_err().to_string();
        assert_eq!(
            message,
            "line 2: a payment line must be negative, got USD 49.99"
        );
    }

    #[test]
    fn each_kind_enforces_its_sign() {
        let zero = usd(dec!(0));
        let plus = usd(dec!(1));
        let minus = usd(dec!(-1));
        for kind in [LineKind::Payment, LineKind::Credit, LineKind::Discount] {
            assert!(
                kind.sign_is_valid(minus) && !kind.sign_is_valid(zero) && !kind.sign_is_valid(plus),
                "{kind}"
            );
        }
        for kind in [
            LineKind::Recurring,
            LineKind::Usage,
            LineKind::OneTime,
            LineKind::Tax,
        ] {
            assert!(
                kind.sign_is_valid(zero) && kind.sign_is_valid(plus) && !kind.sign_is_valid(minus),
                "{kind}"
            );
        }
        let adj = LineKind::Adjustment;
        assert!(adj.sign_is_valid(plus) && adj.sign_is_valid(minus) && !adj.sign_is_valid(zero));
    }

    #[test]
    fn a_zero_adjustment_and_a_zero_credit_are_rejected() {
        let zero_adjustment = vec![line(LineKind::Adjustment, "Nothing", dec!(0))];
        assert!(matches!(
            Totals::compute(usd(dec!(0)), &zero_adjustment),
            Err(StatementError::WrongSign {
                line_no: 1,
                kind: LineKind::Adjustment,
                ..
            })
        ));
        let zero_credit = vec![line(LineKind::Credit, "Nothing", dec!(0))];
        assert!(matches!(
            Totals::compute(usd(dec!(0)), &zero_credit),
            Err(StatementError::WrongSign {
                kind: LineKind::Credit,
                ..
            })
        ));
    }

    #[test]
    fn a_free_recurring_line_is_allowed() {
        let lines = vec![line(LineKind::Recurring, "Staff plan", dec!(0.00))];
        let totals = Totals::compute(usd(dec!(0)), &lines).expect("valid statement");
        assert_eq!(totals.total_due, usd(dec!(0)));
    }

    #[test]
    fn a_line_in_another_currency_is_rejected() {
        let lines = vec![
            line(LineKind::Recurring, "Plan", dec!(49.99)),
            Line {
                kind: LineKind::Tax,
                description: "VAT".to_owned(),
                amount: Money::new(dec!(10), Currency::EUR),
            },
        ];
        assert_eq!(
            Totals::compute(usd(dec!(0)), &lines),
            Err(StatementError::LineCurrency {
                line_no: 2,
                expected: Currency::USD,
                found: Currency::EUR
            })
        );
    }

    #[test]
    fn discounts_larger_than_the_charges_are_rejected() {
        // 10.00 − 15.00 = −5.00 of charges, which the statements table forbids.
        let lines = vec![
            line(LineKind::Recurring, "Plan", dec!(10.00)),
            line(LineKind::Discount, "Promo", dec!(-15.00)),
        ];
        assert_eq!(
            Totals::compute(usd(dec!(0)), &lines),
            Err(StatementError::NegativeCharges(usd(dec!(-5.00))))
        );
    }

    #[test]
    fn an_open_statement_is_overdue_only_after_its_due_date() {
        let due = d(2025, 3, 21);
        assert_eq!(
            status("open", due, d(2025, 3, 20)),
            Ok(StatementStatus::Open)
        );
        assert_eq!(
            status("open", due, d(2025, 3, 21)),
            Ok(StatementStatus::Open)
        );
        assert_eq!(
            status("open", due, d(2025, 3, 22)),
            Ok(StatementStatus::Overdue)
        );
    }

    #[test]
    fn paid_and_void_statements_are_never_overdue() {
        let due = d(2025, 3, 21);
        assert_eq!(
            status("paid", due, d(2025, 6, 1)),
            Ok(StatementStatus::Paid)
        );
        assert_eq!(
            status("void", due, d(2025, 6, 1)),
            Ok(StatementStatus::Void)
        );
    }

    #[test]
    fn an_unknown_stored_status_is_an_error() {
        let due = d(2025, 3, 21);
        assert_eq!(
            status("overdue", due, due),
            Err(StatementError::UnknownStatus("overdue".to_owned()))
        );
        assert!(status("Open", due, due).is_err());
    }

    #[test]
    fn status_keys_are_stable() {
        assert_eq!(StatementStatus::Overdue.as_str(), "overdue");
        assert_eq!(StatementStatus::Open.as_str(), "open");
    }

    #[test]
    fn lines_are_grouped_in_display_order_with_subtotals() {
        let lines = full_statement();
        let groups = group_lines(&lines);
        let summary: Vec<(LineGroup, usize, Money)> = groups
            .iter()
            .map(|(group, members, subtotal)| (*group, members.len(), *subtotal))
            .collect();
        assert_eq!(
            summary,
            vec![
                // 49.99 − 5.00
                (LineGroup::Recurring, 2, usd(dec!(44.99))),
                (LineGroup::Usage, 1, usd(dec!(6.00))),
                (LineGroup::OneTime, 1, usd(dec!(99.00))),
                (LineGroup::Taxes, 1, usd(dec!(12.37))),
                // −54.11 − 3.00 + 1.50 − 2.00
                (LineGroup::PaymentsAndCredits, 4, usd(dec!(-57.61))),
            ]
        );
        // Lines keep their original order within a group.
        assert_eq!(groups[0].1[0].description, "Fibre 500, 1–31 March");
        assert_eq!(groups[0].1[1].description, "Loyalty discount");
    }

    #[test]
    fn empty_groups_are_skipped() {
        let lines = vec![
            line(LineKind::Tax, "Tax", dec!(0.83)),
            line(LineKind::Recurring, "Plan", dec!(10.00)),
        ];
        let groups: Vec<LineGroup> = group_lines(&lines).into_iter().map(|(g, _, _)| g).collect();
        assert_eq!(groups, vec![LineGroup::Recurring, LineGroup::Taxes]);
        assert!(group_lines::<Line>(&[]).is_empty());
    }

    #[test]
    fn line_group_order_is_fixed() {
        assert_eq!(
            LineGroup::ALL.map(|g| g.as_str()),
            [
                "recurring",
                "usage",
                "one_time",
                "taxes",
                "payments_and_credits"
            ]
        );
    }
}

//! The account ledger: entry kinds, balances and allocating payments to statements.
//!
//! Ledger amounts follow the same sign convention as statements (see
//! [`crate::statement`]): positive increases what the subscriber owes, negative reduces it,
//! and the balance is simply the sum of the entries (positive: the subscriber owes money;
//! negative: they are in credit). A refund is positive because it pays money back out,
//! undoing part of an earlier payment. These rules mirror the `ledger_entries` check
//! constraint in the database.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money, MoneyError};

/// Why a ledger value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// A `ledger_entries.kind` string that is not one of the known kinds.
    #[error("unknown ledger entry kind {0:?}")]
    UnknownEntryKind(String),
}

/// What a ledger entry records; stored as `ledger_entries.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A statement's charges. Positive.
    Charge,
    /// A statement's tax. Positive.
    Tax,
    /// A payment received. Negative.
    Payment,
    /// A credit granted. Negative.
    Credit,
    /// A correction by staff. Non-zero, either sign.
    Adjustment,
    /// A fee for paying late. Positive.
    LateFee,
    /// Money paid back to the subscriber. Positive (it undoes part of a payment).
    Refund,
}

impl EntryKind {
    /// Every kind, in declaration order.
    pub const ALL: [EntryKind; 7] = [
        EntryKind::Charge,
        EntryKind::Tax,
        EntryKind::Payment,
        EntryKind::Credit,
        EntryKind::Adjustment,
        EntryKind::LateFee,
        EntryKind::Refund,
    ];

    /// The database string: `"charge"`, `"tax"`, `"payment"`, `"credit"`, `"adjustment"`,
    /// `"late_fee"` or `"refund"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            EntryKind::Charge => "charge",
            EntryKind::Tax => "tax",
            EntryKind::Payment => "payment",
            EntryKind::Credit => "credit",
            EntryKind::Adjustment => "adjustment",
            EntryKind::LateFee => "late_fee",
            EntryKind::Refund => "refund",
        }
    }

    /// Parses a database string (exact, lower case), the inverse of [`EntryKind::as_str`].
    pub fn parse(s: &str) -> Result<EntryKind, LedgerError> {
        EntryKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| LedgerError::UnknownEntryKind(s.to_owned()))
    }

    /// Whether `amount` has the sign this kind requires; see [`sign_is_valid`].
    pub fn sign_is_valid(&self, amount: Money) -> bool {
        sign_is_valid(*self, amount)
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `amount` has the sign `kind` requires: charges, tax, late fees and refunds above
/// zero; payments and credits below zero; adjustments non-zero. No entry is ever zero,
/// because an entry that changes nothing should not be written.
pub fn sign_is_valid(kind: EntryKind, amount: Money) -> bool {
    match kind {
        EntryKind::Charge | EntryKind::Tax | EntryKind::LateFee | EntryKind::Refund => {
            amount.is_positive()
        }
        EntryKind::Payment | EntryKind::Credit => amount.is_negative(),
        EntryKind::Adjustment => !amount.is_zero(),
    }
}

/// An account's balance: the sum of its ledger entry amounts, all in `currency`
/// (positive: the subscriber owes; negative: in credit; no entries: zero).
pub fn balance<I: IntoIterator<Item = Money>>(
    currency: Currency,
    entries: I,
) -> Result<Money, MoneyError> {
    Money::sum(currency, entries)
}

/// Splits a payment across open statements, oldest first.
///
/// `payment` is the positive sum received. `open_items` are `(statement id, amount due)`
/// pairs **in the order to pay them** (oldest first, as the statements query returns
/// them). Each item gets the lesser of what it is due and what remains of the payment,
/// so no statement is ever allocated more than it is due. Items with nothing due, or in
/// a currency other than the payment's, are skipped; items that receive nothing are left
/// out of the result. Returns the allocations and the unallocated remainder (which stays
/// on the account as credit). A zero or negative payment allocates nothing.
pub fn allocate_payment(payment: Money, open_items: &[(u64, Money)]) -> (Vec<(u64, Money)>, Money) {
    let mut remaining = payment;
    let mut allocations = Vec::new();
    for &(statement_id, due) in open_items {
        if !remaining.is_positive() {
            break;
        }
        if due.currency() != payment.currency() || !due.is_positive() {
            continue;
        }
        let share = if due.amount() < remaining.amount() {
            due
        } else {
            remaining
        };
        // Same currency and `share <= remaining`, so this cannot fail; keep it panic-free.
        let Ok(rest) = remaining.checked_sub(share) else {
            break;
        };
        remaining = rest;
        allocations.push((statement_id, share));
    }
    (allocations, remaining)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn usd(amount: Decimal) -> Money {
        Money::new(amount, Currency::USD)
    }

    #[test]
    fn entry_kinds_round_trip_through_their_database_strings() {
        let strings = [
            "charge",
            "tax",
            "payment",
            "credit",
            "adjustment",
            "late_fee",
            "refund",
        ];
        for (kind, s) in EntryKind::ALL.into_iter().zip(strings) {
            assert_eq!(kind.as_str(), s);
            assert_eq!(EntryKind::parse(s), Ok(kind));
            assert_eq!(kind.to_string(), s);
        }
        assert_eq!(
            EntryKind::parse("late-fee"),
            Err(LedgerError::UnknownEntryKind("late-fee".to_owned()))
        );
    }

    #[test]
    fn charges_tax_late_fees_and_refunds_must_be_positive() {
        for kind in [
            EntryKind::Charge,
            EntryKind::Tax,
            EntryKind::LateFee,
            EntryKind::Refund,
        ] {
            assert!(sign_is_valid(kind, usd(dec!(0.01))), "{kind}");
            assert!(!sign_is_valid(kind, usd(dec!(0))), "{kind}");
            assert!(!sign_is_valid(kind, usd(dec!(-0.01))), "{kind}");
        }
    }

    #[test]
    fn payments_and_credits_must_be_negative() {
        for kind in [EntryKind::Payment, EntryKind::Credit] {
            assert!(kind.sign_is_valid(usd(dec!(-54.11))), "{kind}");
            assert!(!kind.sign_is_valid(usd(dec!(0))), "{kind}");
            assert!(!kind.sign_is_valid(usd(dec!(54.11))), "{kind}");
        }
    }

    #[test]
    fn adjustments_may_go_either_way_but_not_be_zero() {
        assert!(sign_is_valid(EntryKind::Adjustment, usd(dec!(2.50))));
        assert!(sign_is_valid(EntryKind::Adjustment, usd(dec!(-2.50))));
        assert!(!sign_is_valid(EntryKind::Adjustment, usd(dec!(0))));
    }

    #[test]
    fn balance_is_the_sum_of_entries() {
        // charge 49.99 + tax 4.12 + payment −54.11 + late fee 5.00 = 5.00 owed.
        let entries = [
            usd(dec!(49.99)),
            usd(dec!(4.12)),
            usd(dec!(-54.11)),
            usd(dec!(5.00)),
        ];
        assert_eq!(balance(Currency::USD, entries), Ok(usd(dec!(5.00))));
        // A credit of 10.00 on top leaves the account 5.00 in credit.
        let entries = [usd(dec!(5.00)), usd(dec!(-10.00))];
        assert_eq!(balance(Currency::USD, entries), Ok(usd(dec!(-5.00))));
        assert_eq!(balance(Currency::USD, []), Ok(Money::zero(Currency::USD)));
    }

    #[test]
    fn balance_rejects_an_entry_in_another_currency() {
        let entries = [usd(dec!(1)), Money::new(dec!(1), Currency::CAD)];
        assert!(matches!(
            balance(Currency::USD, entries),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn payment_pays_oldest_statements_first() {
        // 100.00 against 30.00, 50.00, 40.00: the third gets the last 20.00.
        let items = [
            (1, usd(dec!(30.00))),
            (2, usd(dec!(50.00))),
            (3, usd(dec!(40.00))),
        ];
        let (allocations, remainder) = allocate_payment(usd(dec!(100.00)), &items);
        assert_eq!(
            allocations,
            vec![
                (1, usd(dec!(30.00))),
                (2, usd(dec!(50.00))),
                (3, usd(dec!(20.00)))
            ]
        );
        assert_eq!(remainder, usd(dec!(0.00)));
    }

    #[test]
    fn overpayment_leaves_a_remainder_and_never_overpays_a_statement() {
        // 100.00 against 30.00 and 20.00 leaves 50.00 unallocated.
        let items = [(7, usd(dec!(30.00))), (8, usd(dec!(20.00)))];
        let (allocations, remainder) = allocate_payment(usd(dec!(100.00)), &items);
        assert_eq!(
            allocations,
            vec![(7, usd(dec!(30.00))), (8, usd(dec!(20.00)))]
        );
        assert_eq!(remainder, usd(dec!(50.00)));
    }

    #[test]
    fn partial_payment_goes_to_the_oldest_statement_only() {
        let items = [(1, usd(dec!(54.11))), (2, usd(dec!(49.99)))];
        let (allocations, remainder) = allocate_payment(usd(dec!(25.00)), &items);
        assert_eq!(allocations, vec![(1, usd(dec!(25.00)))]);
        assert_eq!(remainder, usd(dec!(0)));
    }

    #[test]
    fn statements_with_nothing_due_or_a_foreign_currency_are_skipped() {
        let items = [
            (1, usd(dec!(0))),
            (2, usd(dec!(-5.00))),
            (3, Money::new(dec!(10.00), Currency::EUR)),
            (4, usd(dec!(12.00))),
        ];
        let (allocations, remainder) = allocate_payment(usd(dec!(15.00)), &items);
        assert_eq!(allocations, vec![(4, usd(dec!(12.00)))]);
        assert_eq!(remainder, usd(dec!(3.00)));
    }

    #[test]
    fn a_zero_or_negative_payment_allocates_nothing() {
        let items = [(1, usd(dec!(30.00)))];
        assert_eq!(
            allocate_payment(usd(dec!(0)), &items),
            (vec![], usd(dec!(0)))
        );
        assert_eq!(
            allocate_payment(usd(dec!(-5)), &items),
            (vec![], usd(dec!(-5)))
        );
    }

    #[test]
    fn no_open_statements_leaves_the_whole_payment_unallocated() {
        assert_eq!(
            allocate_payment(usd(dec!(40.00)), &[]),
            (vec![], usd(dec!(40.00)))
        );
    }
}

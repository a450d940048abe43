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

/// One statement of an account, as [`allocate`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issued {
    /// `statements.id`.
    pub id: i64,
    /// Its own charges and tax (`total_charges + total_tax`), never negative.
    pub new_charges: Money,
    /// What it asked for: the balance carried from before it, plus its new charges, less
    /// the payments and credits it showed.
    pub total_due: Money,
    /// Still open: neither paid nor void. Only an open statement is owed or held.
    pub open: bool,
    /// The amounts of its lines under an open dispute.
    pub disputed: Money,
}

/// Where one statement stands once the balance is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// `statements.id`.
    pub id: i64,
    /// What is still to pay of everything up to and including this statement (its own
    /// charges and anything it carried); zero once it is covered.
    pub unpaid: Money,
    /// Of `unpaid`, what is under dispute, on this statement or an earlier open one.
    pub held: Money,
    /// What may be asked for or taken for this statement: `unpaid - held` while it is
    /// open, else zero.
    pub owed: Money,
}

impl Standing {
    /// Nothing of it or before it is left to pay: an open statement becomes paid.
    pub fn covered(&self) -> bool {
        !self.unpaid.is_positive()
    }
}

/// An account's balance allocated to its statements; see [`allocate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// One per statement given, in the same order.
    pub statements: Vec<Standing>,
    /// What is under dispute and held on the account.
    pub held: Money,
    /// What the account owes that may be asked for or taken: the balance less what is
    /// held, never below zero.
    pub owed: Money,
}

impl Allocation {
    /// The standing of one statement, if it was given.
    pub fn statement(&self, id: i64) -> Option<&Standing> {
        self.statements.iter().find(|s| s.id == id)
    }
}

/// Allocates an account's balance to its statements: **payments and credits pay the oldest
/// charges first**, so what remains of a positive balance is owed on the newest charges.
///
/// `statements` are the account's statements **oldest first** (those before its oldest
/// open statement may be left out: they are covered whatever the balance).
/// `unbilled_charges` is the sum of the positive ledger entries no statement has shown yet
/// (a staff charge, a refund): they are the newest charges of all, so a balance made only
/// of them leaves every statement covered.
///
/// Walking back from the newest, a statement's `unpaid` is the balance less the unbilled
/// charges and the new charges of every later statement, no less than zero and no more
/// than its total due. An amount under dispute is held while the statement is open, up to
/// what is unpaid of the statement's own charges; a hold counts against that statement and
/// the later ones that carry it, never against an earlier one. See the policy in
/// [`crate::bill`] ("What is owed").
pub fn allocate(
    balance: Money,
    unbilled_charges: Money,
    statements: &[Issued],
) -> Result<Allocation, MoneyError> {
    let currency = balance.currency();
    let zero = Money::zero(currency);
    let clamp = |value: Money, high: Money| -> Money {
        if !value.is_positive() {
            zero
        } else if value.amount() > high.amount() {
            if high.is_positive() {
                high
            } else {
                zero
            }
        } else {
            value
        }
    };
    let attributable = balance.checked_sub(unbilled_charges)?;
    // Newest first: what is unpaid, and the hold each statement's own charges allow.
    let mut later = zero;
    let mut unpaid = vec![zero; statements.len()];
    let mut own_hold = vec![zero; statements.len()];
    for (i, s) in statements.iter().enumerate().rev() {
        let left = attributable.checked_sub(later)?;
        unpaid[i] = clamp(left, s.total_due);
        if s.open {
            let own_unpaid = clamp(left, s.new_charges);
            own_hold[i] = clamp(s.disputed, own_unpaid);
        }
        later = later.checked_add(s.new_charges)?;
    }
    // Oldest first: a hold is carried by every later statement.
    let mut held_so_far = zero;
    let mut standings = Vec::with_capacity(statements.len());
    for (i, s) in statements.iter().enumerate() {
        held_so_far = held_so_far.checked_add(own_hold[i])?;
        let held = clamp(held_so_far, unpaid[i]);
        let owed = if s.open {
            unpaid[i].checked_sub(held)?
        } else {
            zero
        };
        standings.push(Standing {
            id: s.id,
            unpaid: unpaid[i],
            held,
            owed,
        });
    }
    let owed = balance.checked_sub(held_so_far)?;
    Ok(Allocation {
        statements: standings,
        held: held_so_far,
        owed: if owed.is_positive() { owed } else { zero },
    })
}

/// How much of each statement's own charges (`new_charges`) is still unpaid, by the rule
/// [`allocate`] follows: payments and credits pay the oldest charges first. Walking back
/// from the newest, each statement takes what is left of the balance less the unbilled
/// charges, up to its own charges; what is left after the oldest given is a balance it
/// carried from before, and is the oldest's too. `statements` are oldest first, as for
/// [`allocate`]. The shares, one per statement in the same order, add up to the balance
/// less the unbilled charges (nothing when that is not positive).
///
/// This is how the receivables report ages a balance (policy in [`crate::bill`], "What
/// the operators' reports count"): an open statement's share is owed since its due date,
/// and of it, up to the statement's disputed amount is under dispute.
pub fn unpaid_charges(
    balance: Money,
    unbilled_charges: Money,
    statements: &[Issued],
) -> Result<Vec<Money>, MoneyError> {
    let zero = Money::zero(balance.currency());
    let mut left = balance.checked_sub(unbilled_charges)?;
    let mut shares = vec![zero; statements.len()];
    for (i, s) in statements.iter().enumerate().rev() {
        if !left.is_positive() {
            break;
        }
        let share = if i == 0 || left.amount() <= s.new_charges.amount() {
            left
        } else {
            s.new_charges
        };
        shares[i] = share;
        left = left.checked_sub(share)?;
    }
    Ok(shares)
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

    fn issued(id: i64, new_charges: Decimal, total_due: Decimal, disputed: Decimal) -> Issued {
        Issued {
            id,
            new_charges: usd(new_charges),
            total_due: usd(total_due),
            open: true,
            disputed: usd(disputed),
        }
    }

    fn owed(allocation: &Allocation) -> Vec<(i64, Decimal, Decimal)> {
        allocation
            .statements
            .iter()
            .map(|s| (s.id, s.unpaid.amount(), s.owed.amount()))
            .collect()
    }

    #[test]
    fn payments_pay_the_oldest_statement_first() {
        // Nov 30.00, Dec 50.00 (total due 80.00), Jan 40.00 (total due 120.00); 100.00 paid
        // leaves 20.00: Nov and Dec are covered, Jan has 20.00 of its 40.00 to pay.
        let statements = [
            issued(1, dec!(30.00), dec!(30.00), dec!(0)),
            issued(2, dec!(50.00), dec!(80.00), dec!(0)),
            issued(3, dec!(40.00), dec!(120.00), dec!(0)),
        ];
        let a = allocate(usd(dec!(20.00)), usd(dec!(0)), &statements).unwrap();
        assert_eq!(
            owed(&a),
            [
                (1, dec!(0), dec!(0)),
                (2, dec!(0), dec!(0)),
                (3, dec!(20.00), dec!(20.00))
            ]
        );
        assert!(a.statements[0].covered() && a.statements[1].covered());
        assert!(!a.statements[2].covered());
        assert_eq!(a.owed, usd(dec!(20.00)));
    }

    #[test]
    fn a_partial_payment_leaves_the_oldest_statement_partly_unpaid() {
        // 54.11 then 49.99 (total due 104.10); 25.00 paid leaves 79.10: Nov has
        // 79.10 - 49.99 = 29.11 to pay, Dec everything up to it, 79.10.
        let statements = [
            issued(1, dec!(54.11), dec!(54.11), dec!(0)),
            issued(2, dec!(49.99), dec!(104.10), dec!(0)),
        ];
        let a = allocate(usd(dec!(79.10)), usd(dec!(0)), &statements).unwrap();
        assert_eq!(
            owed(&a),
            [(1, dec!(29.11), dec!(29.11)), (2, dec!(79.10), dec!(79.10))]
        );
    }

    #[test]
    fn an_overpayment_covers_everything_and_owes_nothing() {
        let statements = [issued(7, dec!(30.00), dec!(30.00), dec!(0))];
        let a = allocate(usd(dec!(-50.00)), usd(dec!(0)), &statements).unwrap();
        assert_eq!(owed(&a), [(7, dec!(0), dec!(0))]);
        assert!(a.statements[0].covered());
        assert_eq!(a.owed, usd(dec!(0)));
    }

    #[test]
    fn charges_no_statement_has_shown_are_the_newest_and_paid_last() {
        // Dec asked for 64.95; a staff charge of 20.00 came after it; 64.95 was paid. The
        // 20.00 left is the staff charge's: Dec is covered, the account still owes 20.00.
        let statements = [issued(1, dec!(64.95), dec!(64.95), dec!(0))];
        let a = allocate(usd(dec!(20.00)), usd(dec!(20.00)), &statements).unwrap();
        assert_eq!(owed(&a), [(1, dec!(0), dec!(0))]);
        assert!(a.statements[0].covered());
        assert_eq!(a.owed, usd(dec!(20.00)));
    }

    #[test]
    fn an_amount_under_dispute_is_not_owed() {
        // 60.00 + 4.95 tax = 64.95, the 60.00 questioned: 4.95 may be asked for.
        let statements = [issued(1, dec!(64.95), dec!(64.95), dec!(60.00))];
        let a = allocate(usd(dec!(64.95)), usd(dec!(0)), &statements).unwrap();
        assert_eq!(a.statements[0].held, usd(dec!(60.00)));
        assert_eq!(owed(&a), [(1, dec!(64.95), dec!(4.95))]);
        assert_eq!(a.held, usd(dec!(60.00)));
        assert_eq!(a.owed, usd(dec!(4.95)));
    }

    #[test]
    fn a_hold_on_an_earlier_statement_is_carried_by_the_later_ones() {
        // Nov 50.00 with 20.00 questioned, unpaid; Dec 50.00 more (total due 100.00).
        // Nov: 100.00 - 50.00 = 50.00 unpaid, 20.00 held, 30.00 owed. Dec carries Nov's
        // hold: 100.00 unpaid, 20.00 held, 80.00 owed; so does the account.
        let statements = [
            issued(1, dec!(50.00), dec!(50.00), dec!(20.00)),
            issued(2, dec!(50.00), dec!(100.00), dec!(0)),
        ];
        let a = allocate(usd(dec!(100.00)), usd(dec!(0)), &statements).unwrap();
        assert_eq!(
            owed(&a),
            [
                (1, dec!(50.00), dec!(30.00)),
                (2, dec!(100.00), dec!(80.00))
            ]
        );
        assert_eq!(a.owed, usd(dec!(80.00)));
    }

    #[test]
    fn a_hold_is_no_more_than_what_is_left_to_pay_of_the_statement() {
        // Nov 50.00 with 20.00 questioned, of which 40.00 was paid: 10.00 of Nov is left,
        // all of it questioned, so only 10.00 is held. Dec 50.00 (total due 60.00): the
        // balance 60.00 less the 10.00 held, 50.00, is owed.
        let statements = [
            issued(1, dec!(50.00), dec!(50.00), dec!(20.00)),
            issued(2, dec!(50.00), dec!(60.00), dec!(0)),
        ];
        let a = allocate(usd(dec!(60.00)), usd(dec!(0)), &statements).unwrap();
        assert_eq!(
            owed(&a),
            [(1, dec!(10.00), dec!(0)), (2, dec!(60.00), dec!(50.00))]
        );
        assert_eq!(a.held, usd(dec!(10.00)));
        assert_eq!(a.owed, usd(dec!(50.00)));
    }

    #[test]
    fn a_paid_statement_holds_nothing_and_owes_nothing() {
        // Disputed after it was paid: the money is in; an accepted dispute credits it.
        let mut paid = issued(1, dec!(64.95), dec!(64.95), dec!(60.00));
        paid.open = false;
        let a = allocate(usd(dec!(0)), usd(dec!(0)), &[paid]).unwrap();
        assert_eq!(owed(&a), [(1, dec!(0), dec!(0))]);
        assert_eq!(a.held, usd(dec!(0)));
    }

    #[test]
    fn no_statements_leaves_the_balance_owed() {
        let a = allocate(usd(dec!(40.00)), usd(dec!(0)), &[]).unwrap();
        assert!(a.statements.is_empty());
        assert_eq!(a.owed, usd(dec!(40.00)));
    }

    #[test]
    fn allocation_refuses_amounts_in_another_currency() {
        let statements = [Issued {
            new_charges: Money::new(dec!(10), Currency::EUR),
            ..issued(1, dec!(10), dec!(10), dec!(0))
        }];
        assert!(matches!(
            allocate(usd(dec!(10)), usd(dec!(0)), &statements),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn unpaid_charges_are_the_newest_statements_own() {
        // Nov 30.00, Dec 50.00, Jan 40.00 (as above); 100.00 of 120.00 paid leaves 20.00:
        // all of it Jan's own. With 75.00 paid, 45.00 is left: Jan's 40.00 and 5.00 of
        // Dec's. A staff charge of 10.00 not yet billed is paid last: it takes 10.00 of the
        // balance first.
        let statements = [
            issued(1, dec!(30.00), dec!(30.00), dec!(0)),
            issued(2, dec!(50.00), dec!(80.00), dec!(0)),
            issued(3, dec!(40.00), dec!(120.00), dec!(0)),
        ];
        let shares = |balance, unbilled| {
            unpaid_charges(usd(balance), usd(unbilled), &statements)
                .unwrap()
                .iter()
                .map(|m| m.amount())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            shares(dec!(20.00), dec!(0)),
            [dec!(0), dec!(0), dec!(20.00)]
        );
        assert_eq!(
            shares(dec!(45.00), dec!(0)),
            [dec!(0), dec!(5.00), dec!(40.00)]
        );
        assert_eq!(
            shares(dec!(55.00), dec!(10.00)),
            [dec!(0), dec!(5.00), dec!(40.00)]
        );
        // A balance larger than the charges given: the rest was carried into the oldest.
        assert_eq!(
            shares(dec!(130.00), dec!(0)),
            [dec!(40.00), dec!(50.00), dec!(40.00)]
        );
        // In credit, or only unbilled charges: no statement has anything unpaid.
        assert_eq!(shares(dec!(-5.00), dec!(0)), [dec!(0), dec!(0), dec!(0)]);
        assert_eq!(
            shares(dec!(10.00), dec!(10.00)),
            [dec!(0), dec!(0), dec!(0)]
        );
    }
}

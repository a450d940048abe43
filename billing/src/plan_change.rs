//! Changing a service's plan: what it costs now, when it takes effect, and what happens to
//! a contract.
//!
//! [`quote`] is the whole of it; the engine gathers the facts, calls it for the preview and
//! again (under a lock) when the change is confirmed, so the subscriber is charged exactly
//! what the preview showed.
//!
//! # The rules
//!
//! * **Direction.** A plan with a higher monthly price is an upgrade; a lower one a
//!   downgrade. An equal price counts as an upgrade (nothing to lose by taking it at once).
//! * **When.** Each direction takes effect either today or on the first day of the next
//!   billing period, as the provider configures ([`Timing`]).
//! * **The prorated adjustment.** Recurring charges are billed in advance, so the days from
//!   the effective day up to the day the service is charged through were already charged at
//!   the old price. The adjustment is, for each of those days' pieces (split at cycle
//!   boundaries, exactly as a statement splits them), the new plan's proration less the old
//!   plan's, each computed by [`crate::proration::prorate`] as a statement line would be:
//!   a positive amount is charged, a negative one credited. A change on the first day of a
//!   period that has not been billed yet adjusts nothing: the statement bills the new plan.
//!   (Days of a new service not yet charged at all are billed by its next statement at the
//!   plan it is on then.)
//! * **Contracts.** An upgrade keeps the contract: it ends on the later of the current end
//!   and the new plan's term from the effective day. A downgrade that takes effect before
//!   the contract ends leaves it early and pays the current plan's early termination fee
//!   in proportion to the whole months left, rounded up:
//!   `fee × min(months left, contract months) / contract months`, rounded to cents half away
//!   from zero. The downgraded plan's own term (if any) then starts on the effective day.

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::bill::split_at_cycle;
use crate::cycle::{period_containing, CycleDay, Period};
use crate::money::{Money, MoneyError};
use crate::proration::{prorate, ProrationError};

/// Why a change could not be quoted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    /// The two plans are priced in different currencies.
    #[error("the plans are priced in different currencies ({0} and {1})")]
    Currency(crate::money::Currency, crate::money::Currency),
    /// A proration failed.
    #[error(transparent)]
    Proration(#[from] ProrationError),
    /// Arithmetic left `Decimal`'s range.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Whether the new plan costs more or less each month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A higher (or equal) monthly price.
    Upgrade,
    /// A lower monthly price.
    Downgrade,
}

impl Direction {
    /// The direction from `from` to `to` by monthly price (equal counts as an upgrade).
    pub fn of(from: Money, to: Money) -> Direction {
        if to.amount() < from.amount() {
            Direction::Downgrade
        } else {
            Direction::Upgrade
        }
    }

    /// The `plan_changes.kind` value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Direction::Upgrade => "upgrade",
            Direction::Downgrade => "downgrade",
        }
    }
}

/// When a change in one direction takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    /// Today, with a prorated adjustment for the days already charged.
    Immediately,
    /// On the first day of the next billing period.
    NextCycle,
}

/// What the quote needs to know about one plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSide {
    /// The plan's monthly price.
    pub monthly_price: Money,
    /// Its minimum term in months (0: none).
    pub contract_months: u32,
    /// What leaving its whole term costs (`None`: nothing).
    pub early_termination_fee: Option<Money>,
}

/// The facts of one requested change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeFacts {
    /// The plan the service is on.
    pub from: PlanSide,
    /// The plan asked for.
    pub to: PlanSide,
    /// The day the subscriber asks (provider-local).
    pub today: NaiveDate,
    /// The account's cycle day.
    pub cycle_day: CycleDay,
    /// The day up to which recurring charges have been billed (exclusive), if ever.
    pub charged_through: Option<NaiveDate>,
    /// When upgrades take effect.
    pub upgrades: Timing,
    /// When downgrades take effect.
    pub downgrades: Timing,
    /// The day the service's current contract ends, if it has one.
    pub contract_ends_on: Option<NaiveDate>,
}

/// What a change does, worked out before it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Upgrade or downgrade.
    pub direction: Direction,
    /// When it takes effect, per the policy for its direction.
    pub timing: Timing,
    /// The first day on the new plan.
    pub effective_on: NaiveDate,
    /// The charge (positive) or credit (negative) for days already charged at the old
    /// price; zero when there are none.
    pub adjustment: Money,
    /// The days the adjustment covers (from the effective day to the charged-through day).
    pub adjusted_days: Option<Period>,
    /// The fee for leaving the current contract early (a downgrade only).
    pub early_termination_fee: Option<Money>,
    /// Whole months of the current contract left on the effective day (rounded up).
    pub contract_months_left: u32,
    /// When the contract ends after the change (`None`: no contract).
    pub contract_ends_on: Option<NaiveDate>,
}

/// Works out a plan change. See the module documentation for the rules.
pub fn quote(facts: &ChangeFacts) -> Result<Quote, QuoteError> {
    let from_price = facts.from.monthly_price;
    let to_price = facts.to.monthly_price;
    if from_price.currency() != to_price.currency() {
        return Err(QuoteError::Currency(
            from_price.currency(),
            to_price.currency(),
        ));
    }
    let direction = Direction::of(from_price, to_price);
    let timing = match direction {
        Direction::Upgrade => facts.upgrades,
        Direction::Downgrade => facts.downgrades,
    };
    let effective_on = match timing {
        Timing::Immediately => facts.today,
        Timing::NextCycle => period_containing(facts.today, facts.cycle_day).end,
    };
    let (adjustment, adjusted_days) = adjustment(
        from_price,
        to_price,
        effective_on,
        facts.charged_through,
        facts.cycle_day,
    )?;

    // The contract.
    let current_end = facts.contract_ends_on.filter(|end| *end > effective_on);
    let months_left = current_end.map_or(0, |end| whole_months_between(effective_on, end));
    let new_term = (facts.to.contract_months > 0)
        .then(|| effective_on.checked_add_months(Months::new(facts.to.contract_months)))
        .flatten();
    let (early_termination_fee, contract_ends_on) = match direction {
        Direction::Upgrade => (None, current_end.max(new_term)),
        Direction::Downgrade => (
            early_termination_fee(&facts.from, facts.contract_ends_on, effective_on)?,
            new_term,
        ),
    };
    Ok(Quote {
        direction,
        timing,
        effective_on,
        adjustment,
        adjusted_days,
        early_termination_fee,
        contract_months_left: months_left,
        contract_ends_on,
    })
}

/// What leaving `plan`'s contract (ending `contract_ends_on`) on `on` costs: the plan's early
/// termination fee in proportion to the whole months left, a started month counting,
/// `fee × min(months left, contract months) / contract months`, rounded to cents half away
/// from zero. Nothing when the contract has ended by `on`, or the plan has no term or fee.
/// The one rule for a downgrade inside a contract and for a cancellation inside one
/// (`billing::bill`, "Ending a contract early").
pub fn early_termination_fee(
    plan: &PlanSide,
    contract_ends_on: Option<NaiveDate>,
    on: NaiveDate,
) -> Result<Option<Money>, MoneyError> {
    let (Some(fee), Some(end)) = (plan.early_termination_fee, contract_ends_on) else {
        return Ok(None);
    };
    if end <= on || !fee.is_positive() || plan.contract_months == 0 {
        return Ok(None);
    }
    let months = whole_months_between(on, end).min(plan.contract_months);
    let share = fee
        .checked_times(Decimal::from(months))?
        .amount()
        .checked_div(Decimal::from(plan.contract_months))
        .ok_or(MoneyError::Overflow)?;
    Ok(Some(Money::new(share, fee.currency()).round_to_minor_units()).filter(|f| f.is_positive()))
}

/// The prorated difference for the days `[from_day, charged_through)` already charged at
/// `old` and now to be on `new`: per piece (split at cycle boundaries), the new plan's
/// proration less the old one's. Zero, with no days, when nothing beyond `from_day` was
/// charged.
pub fn adjustment(
    old: Money,
    new: Money,
    from_day: NaiveDate,
    charged_through: Option<NaiveDate>,
    cycle_day: CycleDay,
) -> Result<(Money, Option<Period>), QuoteError> {
    let zero = Money::zero(new.currency());
    let Some(through) = charged_through.filter(|t| *t > from_day) else {
        return Ok((zero, None));
    };
    let mut total = zero;
    for days in split_at_cycle(from_day, through, cycle_day) {
        let within = period_containing(days.start, cycle_day);
        let charged_new = prorate(new, &within, &days)?;
        let charged_old = prorate(old, &within, &days)?;
        total = total.checked_add(charged_new.checked_sub(charged_old)?)?;
    }
    Ok((
        total,
        Some(Period {
            start: from_day,
            end: through,
        }),
    ))
}

/// Whole months from `from` until `to`, a started month counting as whole: the least `m`
/// with `from + m months >= to` (0 when `to <= from`).
pub fn whole_months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut months = 0;
    while from
        .checked_add_months(Months::new(months))
        .is_some_and(|d| d < to)
    {
        months += 1;
    }
    months
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use rust_decimal_macros::dec;

    fn d(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid test date")
    }

    fn usd(amount: Decimal) -> Money {
        Money::new(amount, Currency::USD)
    }

    fn plan(price: Decimal) -> PlanSide {
        PlanSide {
            monthly_price: usd(price),
            contract_months: 0,
            early_termination_fee: None,
        }
    }

    /// Cycle day 1, charged through the end of November (billed in advance on Nov 1).
    fn facts(from: PlanSide, to: PlanSide, today: NaiveDate) -> ChangeFacts {
        ChangeFacts {
            from,
            to,
            today,
            cycle_day: CycleDay::new(1).unwrap(),
            charged_through: Some(d(2026, 12, 1)),
            upgrades: Timing::Immediately,
            downgrades: Timing::NextCycle,
            contract_ends_on: None,
        }
    }

    #[test]
    fn an_upgrade_on_day_12_of_30_charges_the_difference_for_the_19_days_left() {
        // November has 30 days; Nov 12 – Nov 30 is 19 of them:
        // 90 × 19 / 30 = 57.00, 60 × 19 / 30 = 38.00, difference 19.00.
        let q = quote(&facts(plan(dec!(60)), plan(dec!(90)), d(2026, 11, 12))).unwrap();
        assert_eq!(q.direction, Direction::Upgrade);
        assert_eq!(q.timing, Timing::Immediately);
        assert_eq!(q.effective_on, d(2026, 11, 12));
        assert_eq!(q.adjustment, usd(dec!(19.00)));
        assert_eq!(
            q.adjusted_days,
            Some(Period {
                start: d(2026, 11, 12),
                end: d(2026, 12, 1)
            })
        );
        assert_eq!(q.early_termination_fee, None);
        assert_eq!(q.contract_ends_on, None);
    }

    #[test]
    fn each_side_is_rounded_as_its_statement_line_would_be() {
        // March (31 days) from Mar 22: 10 days. 79.99 × 10 / 31 = 25.803… → 25.80;
        // 49.99 × 10 / 31 = 16.125… → 16.13. Difference of the two rounded lines: 9.67.
        let mut f = facts(plan(dec!(49.99)), plan(dec!(79.99)), d(2027, 3, 22));
        f.charged_through = Some(d(2027, 4, 1));
        let q = quote(&f).unwrap();
        assert_eq!(q.adjustment, usd(dec!(9.67)));
    }

    #[test]
    fn a_downgrade_waits_for_the_next_cycle_and_adjusts_nothing() {
        let q = quote(&facts(plan(dec!(90)), plan(dec!(60)), d(2026, 11, 12))).unwrap();
        assert_eq!(q.direction, Direction::Downgrade);
        assert_eq!(q.timing, Timing::NextCycle);
        assert_eq!(q.effective_on, d(2026, 12, 1));
        assert_eq!(q.adjustment, usd(dec!(0)));
        assert_eq!(q.adjusted_days, None);
    }

    #[test]
    fn an_immediate_downgrade_credits_the_difference() {
        // 60 × 19 / 30 = 38.00 less 90 × 19 / 30 = 57.00: a credit of 19.00.
        let mut f = facts(plan(dec!(90)), plan(dec!(60)), d(2026, 11, 12));
        f.downgrades = Timing::Immediately;
        let q = quote(&f).unwrap();
        assert_eq!(q.effective_on, d(2026, 11, 12));
        assert_eq!(q.adjustment, usd(dec!(-19.00)));
    }

    #[test]
    fn an_upgrade_configured_for_the_next_cycle_adjusts_nothing() {
        let mut f = facts(plan(dec!(60)), plan(dec!(90)), d(2026, 11, 12));
        f.upgrades = Timing::NextCycle;
        let q = quote(&f).unwrap();
        assert_eq!(q.effective_on, d(2026, 12, 1));
        assert_eq!(q.adjustment, usd(dec!(0)));
    }

    #[test]
    fn an_equal_price_counts_as_an_upgrade() {
        let q = quote(&facts(plan(dec!(60)), plan(dec!(60)), d(2026, 11, 12))).unwrap();
        assert_eq!(q.direction, Direction::Upgrade);
        assert_eq!(q.adjustment, usd(dec!(0)));
    }

    #[test]
    fn nothing_is_adjusted_when_the_days_were_never_charged() {
        let mut f = facts(plan(dec!(60)), plan(dec!(90)), d(2026, 11, 12));
        f.charged_through = None;
        assert_eq!(quote(&f).unwrap().adjustment, usd(dec!(0)));
        // Charged only up to today: nothing beyond it either.
        f.charged_through = Some(d(2026, 11, 12));
        assert_eq!(quote(&f).unwrap().adjustment, usd(dec!(0)));
    }

    #[test]
    fn charged_days_past_a_cycle_boundary_are_prorated_per_period() {
        // Cycle day 15, today Feb 20 2027, charged through Apr 15 (two periods):
        // Feb 20 – Mar 14 is 23 of 28 days: 90 × 23 / 28 = 73.928… → 73.93,
        // 60 × 23 / 28 = 49.285… → 49.29, difference 24.64; Mar 15 – Apr 14 a whole
        // 31-day period: 90 − 60 = 30.00. Total 54.64.
        let mut f = facts(plan(dec!(60)), plan(dec!(90)), d(2027, 2, 20));
        f.cycle_day = CycleDay::new(15).unwrap();
        f.charged_through = Some(d(2027, 4, 15));
        assert_eq!(quote(&f).unwrap().adjustment, usd(dec!(54.64)));
    }

    fn contract(price: Decimal, months: u32, fee: Option<Decimal>) -> PlanSide {
        PlanSide {
            monthly_price: usd(price),
            contract_months: months,
            early_termination_fee: fee.map(usd),
        }
    }

    #[test]
    fn a_downgrade_inside_a_contract_pays_the_fee_for_the_months_left() {
        // 12-month contract ending Jun 10 2027, fee 200.00. The downgrade takes effect
        // Dec 1 2026: Dec 1 + 6 months = Jun 1 < Jun 10, + 7 months = Jul 1 ⇒ 7 months
        // (a started month counts). 200 × 7 / 12 = 116.666… → 116.67.
        let mut f = facts(
            contract(dec!(90), 12, Some(dec!(200))),
            plan(dec!(60)),
            d(2026, 11, 12),
        );
        f.contract_ends_on = Some(d(2027, 6, 10));
        let q = quote(&f).unwrap();
        assert_eq!(q.effective_on, d(2026, 12, 1));
        assert_eq!(q.contract_months_left, 7);
        assert_eq!(q.early_termination_fee, Some(usd(dec!(116.67))));
        // The new plan has no term: no contract after the change.
        assert_eq!(q.contract_ends_on, None);
    }

    #[test]
    fn leaving_a_contract_by_cancelling_pays_the_same_share_as_a_downgrade() {
        // 12-month contract ending Jun 15 2027, fee 200.00, cancelled Dec 6 2026:
        // Dec 6 + 6 months = Jun 6 < Jun 15, + 7 = Jul 6 ⇒ 7 months (a started month
        // counts). 200 × 7 / 12 = 116.666… → 116.67.
        let plan = contract(dec!(90), 12, Some(dec!(200)));
        let fee = early_termination_fee(&plan, Some(d(2027, 6, 15)), d(2026, 12, 6)).unwrap();
        assert_eq!(fee, Some(usd(dec!(116.67))));
        // A month before the end: 200 × 1 / 12 = 16.666… → 16.67.
        let fee = early_termination_fee(&plan, Some(d(2027, 6, 15)), d(2027, 5, 20)).unwrap();
        assert_eq!(fee, Some(usd(dec!(16.67))));
        // On the day it ends, or after, or with no fee: nothing.
        assert_eq!(
            early_termination_fee(&plan, Some(d(2027, 6, 15)), d(2027, 6, 15)).unwrap(),
            None
        );
        assert_eq!(
            early_termination_fee(&plan, None, d(2027, 1, 1)).unwrap(),
            None
        );
        let free = contract(dec!(90), 12, None);
        assert_eq!(
            early_termination_fee(&free, Some(d(2027, 6, 15)), d(2027, 1, 1)).unwrap(),
            None
        );
    }

    #[test]
    fn a_downgrade_after_the_contract_ends_pays_nothing() {
        let mut f = facts(
            contract(dec!(90), 12, Some(dec!(200))),
            plan(dec!(60)),
            d(2026, 11, 12),
        );
        // Ends on the day the downgrade would take effect: nothing is left.
        f.contract_ends_on = Some(d(2026, 12, 1));
        let q = quote(&f).unwrap();
        assert_eq!(q.early_termination_fee, None);
        assert_eq!(q.contract_months_left, 0);
    }

    #[test]
    fn the_fee_never_exceeds_the_whole_fee() {
        // A contract extended beyond the plan's own term (by an earlier upgrade): 30 months
        // left of a 24-month plan are charged as 24: the whole 150.00.
        let mut f = facts(
            contract(dec!(90), 24, Some(dec!(150))),
            contract(dec!(60), 12, None),
            d(2026, 11, 12),
        );
        f.contract_ends_on = Some(d(2029, 5, 20));
        let q = quote(&f).unwrap();
        assert_eq!(q.contract_months_left, 30);
        assert_eq!(q.early_termination_fee, Some(usd(dec!(150.00))));
        // The downgraded plan's 12 months start on the effective day.
        assert_eq!(q.contract_ends_on, Some(d(2027, 12, 1)));
    }

    #[test]
    fn an_upgrade_keeps_the_contract_and_takes_the_later_end() {
        let mut f = facts(
            contract(dec!(60), 12, Some(dec!(200))),
            contract(dec!(90), 12, Some(dec!(300))),
            d(2026, 11, 12),
        );
        f.contract_ends_on = Some(d(2027, 3, 1));
        let q = quote(&f).unwrap();
        assert_eq!(q.early_termination_fee, None);
        // Nov 12 2026 + 12 months = Nov 12 2027, later than Mar 1 2027.
        assert_eq!(q.contract_ends_on, Some(d(2027, 11, 12)));
        // To a plan without a term: the current contract still runs to Mar 1.
        f.to = plan(dec!(95));
        assert_eq!(quote(&f).unwrap().contract_ends_on, Some(d(2027, 3, 1)));
    }

    #[test]
    fn whole_months_round_up() {
        assert_eq!(whole_months_between(d(2026, 12, 1), d(2026, 12, 1)), 0);
        assert_eq!(whole_months_between(d(2026, 12, 1), d(2026, 12, 2)), 1);
        assert_eq!(whole_months_between(d(2026, 12, 1), d(2027, 1, 1)), 1);
        assert_eq!(whole_months_between(d(2026, 12, 1), d(2027, 1, 2)), 2);
        // Jan 31 + 1 month is Feb 28 (chrono clamps): Feb 28 itself is a whole month away.
        assert_eq!(whole_months_between(d(2027, 1, 31), d(2027, 2, 28)), 1);
    }

    #[test]
    fn plans_in_different_currencies_are_refused() {
        let mut f = facts(plan(dec!(60)), plan(dec!(90)), d(2026, 11, 12));
        f.to.monthly_price = Money::new(dec!(90), Currency::EUR);
        assert!(matches!(quote(&f), Err(QuoteError::Currency(..))));
    }
}

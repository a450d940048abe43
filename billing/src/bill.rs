//! Composing one statement from the facts of an account: the bill run's arithmetic.
//!
//! [`compose`] is the whole of it. The engine (the `engine` crate) gathers the facts from
//! the database, calls `compose`, and writes what comes back; the demo seed calls the same
//! function with generated facts, and the portal's "your next bill, so far" calls it for a
//! dry run. Nothing here reads a clock or a database, so every rule below is tested with
//! amounts worked out by hand.
//!
//! # What a statement holds
//!
//! A statement is issued on the first day of its period `P = [start, end)` (an account's
//! cycle day, see [`crate::cycle`]) and holds, in this order:
//!
//! 1. **Recurring charges, in advance.** Each service is charged for the days of
//!    `[charged_through, min(P.end, cancelled_on))` that it has not been charged for yet,
//!    starting no earlier than its activation. That span is split at cycle boundaries and
//!    each piece is prorated by day against the period it falls in
//!    ([`crate::proration`]): a service activated mid-period is charged for its first
//!    partial period on the next statement, together with the next full period in advance.
//! 2. **Refunds for cancellation.** A service cancelled before the end of what it was
//!    already charged for gets the unused days back: for each charged piece, what the piece
//!    cost less what its served days cost, so the days served end up charged exactly as
//!    their proration. The refund includes the tax rate on it (rounded on the refund), as
//!    one credit line per piece, so no negative tax line is ever needed.
//! 3. **Usage** of the period that just closed (`usage_period`), rated against the plan's
//!    allowance per started gigabyte ([`crate::usage::rate_usage`]). The allowance is not
//!    prorated for a partial period: a subscriber never pays overage for joining late.
//! 4. **One-time charges** dated on or before the issue date and not yet billed.
//! 5. **Discounts**, each reducing the recurring charges of the service(s) it covers for
//!    pieces that start within its validity: a percentage of the charge (rounded half away
//!    from zero), or a fixed amount capped at the charge, so a discount never makes the
//!    charges negative.
//! 6. **Tax**, one line per tax name. Tax-exclusive lines (US sales tax) are summed per
//!    tax and the tax is rounded once on that sum. Tax-inclusive lines (VAT/GST) have the
//!    tax taken out of each line's price ([`crate::tax::apply_tax`]), the line shows the
//!    net and the tax line the sum of the parts, so net + tax is exactly the price.
//!    A plan's lines include tax when the plan's price does; other lines when the rate is
//!    inclusive.
//! 7. **Payments, credits and adjustments** recorded in the ledger since the last
//!    statement, as they were recorded (they are already in the ledger; the statement
//!    only shows them).
//!
//! The total due is the previous statement's total due plus every line; the due date is
//! `payment_terms_days` after the issue date (the issue date itself for prepaid accounts,
//! which pay from their balance).
//!
//! # What is paid and what is owed
//!
//! Payments and credits pay the **oldest charges first**; so what remains of a positive
//! balance is owed on the newest charges: first those no statement has shown yet (a staff
//! charge), then the newest statement's, and so on back ([`crate::ledger::allocate`]). A
//! statement is **paid** once nothing of it, or of what it carried, is left. An amount a
//! subscriber **disputes** on an open statement is **held** (up to what is left to pay of
//! that statement's own charges) until staff decide it: it is left out of what is **owed**
//! on that statement and on every later one that carries it, and out of what the account
//! owes. Dunning pursues, autopay takes, a pay link asks for and the pay page suggests what
//! is owed, never a held amount. For example, with 60.00 + 4.95 tax = 64.95 due and the
//! 60.00 questioned, 4.95 is owed; if the next statement adds 64.95 (129.90 due), 69.90 is.
//!
//! # Who may post an adjustment alone
//!
//! The adjustments and credits of item 7 are posted by staff (`engine::adjustments`), and
//! accepting a subscriber's dispute is one of them: a credit of the disputed amount. Each
//! role has a limit for one adjustment and one for a day; the day is the provider's. Beyond
//! either, the adjustment waits for a second person whose own per-adjustment limit covers it,
//! and a dispute stays open (its amount held from dunning) until then. The day's total is
//! what the person posted alone that day, in the adjustment's currency, **charges and
//! credits both counted by their size**: a 90.00 charge and a 90.00 credit use 180.00 of the
//! day, never nothing, so a charge cannot make room for more credit. What a second person
//! approved does not count (they checked it). With the defaults (billing: 100.00 each, 500.00
//! a day), after 90 + 90 + 90 + 90 + 100 = 460.00 posted, 40.00 more (500.00) is posted and
//! then any amount waits (`engine::config::RoleLimits::needs_approval`).

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::cycle::{period_containing, CycleDay, Period};
use crate::ledger::EntryKind;
use crate::money::{Currency, Money, MoneyError};
use crate::proration::{prorate, ProrationError};
use crate::statement::{Line, LineKind, StatementError, Totals};
use crate::tax::{apply_tax, TaxRate};
use crate::text;
use crate::usage::{rate_usage, Allowance};

/// Why a statement could not be composed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillError {
    /// An amount in another currency than the account's.
    #[error("an amount in {found} on an account billed in {expected}")]
    Currency {
        /// The account's currency.
        expected: Currency,
        /// The offending amount's currency.
        found: Currency,
    },
    /// The lines do not make a valid statement (see [`Totals::compute`]).
    #[error(transparent)]
    Statement(#[from] StatementError),
    /// A proration failed (a service's dates are inconsistent).
    #[error(transparent)]
    Proration(#[from] ProrationError),
    /// Arithmetic left `Decimal`'s range.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// How an account pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingMode {
    /// Billed after the fact, due `payment_terms_days` after the statement.
    Postpaid,
    /// Everything is taken from a balance paid in advance (top-ups).
    Prepaid,
    /// The plan is taken from the balance at the start of each period; usage and one-time
    /// charges are billed afterwards like postpaid.
    Hybrid,
}

impl BillingMode {
    /// The `accounts.billing_mode` value.
    pub fn as_str(&self) -> &'static str {
        match self {
            BillingMode::Postpaid => "postpaid",
            BillingMode::Prepaid => "prepaid",
            BillingMode::Hybrid => "hybrid",
        }
    }

    /// Parses an `accounts.billing_mode` value.
    pub fn parse(s: &str) -> Option<BillingMode> {
        match s {
            "postpaid" => Some(BillingMode::Postpaid),
            "prepaid" => Some(BillingMode::Prepaid),
            "hybrid" => Some(BillingMode::Hybrid),
            _ => None,
        }
    }

    /// Whether the plan is paid from the balance at the start of each period.
    pub fn plan_from_balance(&self) -> bool {
        !matches!(self, BillingMode::Postpaid)
    }
}

/// The terms of the plan a service is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanTerms {
    /// Shown on the lines: "Fibre 500".
    pub name: String,
    /// The price of one whole period.
    pub monthly_price: Money,
    /// Whether `monthly_price` and `overage_per_gb` include tax.
    pub price_includes_tax: bool,
    /// The data included each period.
    pub allowance: Allowance,
    /// The price of each started gigabyte over the allowance (`None`: no overage billed).
    pub overage_per_gb: Option<Money>,
}

/// A tax that applies at a service's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxTerms {
    /// Shown on the tax line: "Sales tax 8.25%".
    pub name: String,
    /// The rate and whether prices in that jurisdiction include it.
    pub rate: TaxRate,
}

/// One service on the account, as the bill run finds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceFacts {
    /// `services.id`.
    pub id: i64,
    /// The plan now.
    pub plan: PlanTerms,
    /// The first day of service (`None`: not active yet, nothing to charge).
    pub activated_on: Option<NaiveDate>,
    /// The first day without service, when cancelled.
    pub cancelled_on: Option<NaiveDate>,
    /// The day up to which recurring charges have been billed (exclusive); `None` when the
    /// service was never charged.
    pub charged_through: Option<NaiveDate>,
    /// The day from which a cancellation refund has already been given, if one has.
    pub refunded_from: Option<NaiveDate>,
    /// Bytes used in the usage period, or `None` when the service had no usage period
    /// (it was not active then).
    pub usage_bytes: Option<u64>,
    /// The tax at the service's address (`None`: not taxed).
    pub tax: Option<TaxTerms>,
}

/// A one-time charge waiting to be billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeFacts {
    /// `one_time_charges.id`.
    pub id: i64,
    /// The service it belongs to, if any.
    pub service_id: Option<i64>,
    /// Shown on the line.
    pub description: String,
    /// The amount (positive).
    pub amount: Money,
    /// The day it was incurred.
    pub charge_on: NaiveDate,
    /// Whether tax applies (at the account's first service's rate).
    pub taxable: bool,
    /// Posted to the ledger as a late fee rather than a charge.
    pub late_fee: bool,
}

/// How a discount reduces a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountValue {
    /// This percentage of the charge (10 for 10%).
    Percent(Decimal),
    /// This amount off each period's charge, capped at the charge.
    Fixed(Money),
}

/// A discount or promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountFacts {
    /// `discounts.id`.
    pub id: i64,
    /// Shown on the line: "Welcome offer".
    pub description: String,
    /// The service it applies to; `None` for every service on the account.
    pub service_id: Option<i64>,
    /// How much it takes off.
    pub value: DiscountValue,
    /// The first day a charged piece may start on to be discounted.
    pub valid_from: NaiveDate,
    /// The day from which it no longer applies (exclusive), if it ends.
    pub valid_to: Option<NaiveDate>,
}

/// A ledger entry recorded since the last statement (a payment, credit, adjustment...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedFacts {
    /// `ledger_entries.id`.
    pub ledger_entry_id: i64,
    /// Its kind.
    pub kind: EntryKind,
    /// As recorded.
    pub description: String,
    /// Signed as in the ledger.
    pub amount: Money,
    /// The day it took effect.
    pub effective_on: NaiveDate,
}

/// Everything [`compose`] needs to know about one account for one statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillFacts {
    /// The account's currency.
    pub currency: Currency,
    /// The account's cycle day.
    pub cycle_day: CycleDay,
    /// How the account pays.
    pub mode: BillingMode,
    /// The period the statement is for; it is issued on `period.start`.
    pub period: Period,
    /// Days from issue to due date for postpaid amounts.
    pub payment_terms_days: u32,
    /// The previous statement's total due (zero for the first statement).
    pub previous_balance: Money,
    /// The account's services.
    pub services: Vec<ServiceFacts>,
    /// One-time charges not yet billed.
    pub one_time: Vec<OneTimeFacts>,
    /// Discounts on the account.
    pub discounts: Vec<DiscountFacts>,
    /// Ledger entries since the last statement.
    pub received: Vec<ReceivedFacts>,
}

impl BillFacts {
    /// The period whose usage this statement bills: the one before `period`.
    pub fn usage_period(&self) -> Period {
        self.period.previous(self.cycle_day)
    }
}

/// Where a line came from, so the engine can record what it billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// A recurring charge for these days of a service.
    ServiceDays {
        /// The service.
        service_id: i64,
        /// The days charged.
        days: Period,
    },
    /// A refund of these already-charged days of a cancelled service.
    Refund {
        /// The service.
        service_id: i64,
        /// The days refunded.
        days: Period,
    },
    /// Usage of a service.
    Usage {
        /// The service.
        service_id: i64,
    },
    /// A one-time charge (`one_time_charges.id`).
    OneTime(i64),
    /// A discount (`discounts.id`) on a service's charge.
    Discount {
        /// The discount.
        discount_id: i64,
        /// The service whose charge it reduces.
        service_id: i64,
    },
    /// The tax line.
    Tax,
    /// A ledger entry already recorded (`ledger_entries.id`): shown, not posted again.
    Received(i64),
}

/// One composed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillLine {
    /// Its kind and sign.
    pub kind: LineKind,
    /// The text the subscriber reads.
    pub description: String,
    /// The service it concerns.
    pub service_id: Option<i64>,
    /// The days it covers.
    pub period: Option<Period>,
    /// Units (gigabytes over, or 1 for a period).
    pub quantity: Option<Decimal>,
    /// The price per unit.
    pub unit_price: Option<Decimal>,
    /// The amount, signed per [`crate::statement`]'s convention.
    pub amount: Money,
    /// The ledger entry to post with the statement; `None` when there is nothing to post
    /// (a zero line, or an entry that is already in the ledger).
    pub posts: Option<EntryKind>,
    /// Where it came from.
    pub source: Source,
}

impl BillLine {
    /// The line as the statement module sees it.
    pub fn as_line(&self) -> Line {
        Line {
            kind: self.kind,
            description: self.description.clone(),
            amount: self.amount,
        }
    }
}

/// A composed statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bill {
    /// The period billed.
    pub period: Period,
    /// The issue date (the period's first day).
    pub issued_on: NaiveDate,
    /// When payment is due.
    pub due_on: NaiveDate,
    /// The lines, in statement order.
    pub lines: Vec<BillLine>,
    /// The header figures.
    pub totals: Totals,
    /// Of the charges, what is paid from the balance at the start of the period (the plan,
    /// for prepaid and hybrid accounts; everything, for prepaid ones).
    pub from_balance: Money,
}

impl Bill {
    /// Whether nothing is owed once the statement is issued.
    pub fn settled_on_issue(&self) -> bool {
        !self.totals.total_due.is_positive()
    }
}

/// Composes the statement for `facts.period`. See the module documentation for the rules.
pub fn compose(facts: &BillFacts) -> Result<Bill, BillError> {
    let currency = facts.currency;
    let check = |m: Money| -> Result<Money, BillError> {
        if m.currency() == currency {
            Ok(m)
        } else {
            Err(BillError::Currency {
                expected: currency,
                found: m.currency(),
            })
        }
    };
    check(facts.previous_balance)?;

    // Each line that can carry tax, with how: (line index, tax, inclusive).
    let mut lines: Vec<BillLine> = Vec::new();
    let mut taxed: Vec<(usize, TaxTerms, bool)> = Vec::new();

    for service in &facts.services {
        check(service.plan.monthly_price)?;
        let Some(activated_on) = service.activated_on else {
            continue;
        };
        let plan = &service.plan;
        let inclusive = plan.price_includes_tax;
        let first_uncharged = service
            .charged_through
            .unwrap_or(activated_on)
            .max(activated_on);
        let service_end = service
            .cancelled_on
            .map_or(facts.period.end, |c| c.min(facts.period.end));

        // 1. Recurring, in advance, piece by piece.
        for days in split_at_cycle(first_uncharged, service_end, facts.cycle_day) {
            let within = period_containing(days.start, facts.cycle_day);
            let amount = prorate(plan.monthly_price, &within, &days)?;
            let whole = days == within;
            let description = if whole {
                format!("{}, {}", plan.name, text::period(&days))
            } else {
                format!(
                    "{}, {} ({} of {} days)",
                    plan.name,
                    text::period(&days),
                    days.days(),
                    within.days()
                )
            };
            let index = lines.len();
            lines.push(BillLine {
                kind: LineKind::Recurring,
                description,
                service_id: Some(service.id),
                period: Some(days),
                quantity: Some(if whole {
                    Decimal::ONE
                } else {
                    Decimal::from(days.days()) / Decimal::from(within.days())
                })
                .map(|q| q.round_dp(4)),
                unit_price: Some(plan.monthly_price.amount()),
                amount,
                posts: posting(EntryKind::Charge, amount),
                source: Source::ServiceDays {
                    service_id: service.id,
                    days,
                },
            });
            if let Some(tax) = &service.tax {
                taxed.push((index, tax.clone(), inclusive));
            }
            // 5. Discounts on this piece.
            for discount in facts.discounts.iter().filter(|d| {
                d.service_id.is_none_or(|s| s == service.id)
                    && d.valid_from <= days.start
                    && d.valid_to.is_none_or(|to| days.start < to)
            }) {
                let off = match discount.value {
                    DiscountValue::Percent(pct) => amount
                        .checked_times(pct / Decimal::ONE_HUNDRED)?
                        .round_to_minor_units(),
                    DiscountValue::Fixed(fixed) => {
                        let fixed = check(fixed)?;
                        if fixed.amount() > amount.amount() {
                            amount
                        } else {
                            fixed
                        }
                    }
                };
                if off.is_positive() {
                    let index = lines.len();
                    lines.push(BillLine {
                        kind: LineKind::Discount,
                        description: format!("{}, {}", discount.description, text::period(&days)),
                        service_id: Some(service.id),
                        period: Some(days),
                        quantity: None,
                        unit_price: None,
                        amount: off.neg(),
                        posts: Some(EntryKind::Credit),
                        source: Source::Discount {
                            discount_id: discount.id,
                            service_id: service.id,
                        },
                    });
                    if let Some(tax) = &service.tax {
                        taxed.push((index, tax.clone(), inclusive));
                    }
                }
            }
        }

        // 2. Refund of days charged beyond a cancellation.
        if let (Some(cancelled_on), Some(charged_through)) =
            (service.cancelled_on, service.charged_through)
        {
            let refund_to = service
                .refunded_from
                .unwrap_or(charged_through)
                .min(charged_through);
            let refund_from = cancelled_on.max(activated_on);
            for days in split_at_cycle(refund_from, refund_to, facts.cycle_day) {
                // What the piece cost less what its served days cost, so the days served
                // end up charged exactly as a proration of them would be.
                let within = period_containing(days.start, facts.cycle_day);
                let piece_start = within.start.max(activated_on);
                let up_to_end = prorate(
                    plan.monthly_price,
                    &within,
                    &Period {
                        start: piece_start,
                        end: days.end,
                    },
                )?;
                let up_to_start = prorate(
                    plan.monthly_price,
                    &within,
                    &Period {
                        start: piece_start,
                        end: days.start,
                    },
                )?;
                let price = up_to_end.checked_sub(up_to_start)?;
                let paid = match &service.tax {
                    Some(tax) if !inclusive => {
                        apply_tax(
                            price,
                            &TaxRate {
                                inclusive: false,
                                ..tax.rate
                            },
                        )
                        .gross
                    }
                    _ => price,
                };
                if paid.is_positive() {
                    lines.push(BillLine {
                        kind: LineKind::Credit,
                        description: format!(
                            "{}: refund for {} after cancellation",
                            plan.name,
                            text::period(&days)
                        ),
                        service_id: Some(service.id),
                        period: Some(days),
                        quantity: None,
                        unit_price: None,
                        amount: paid.neg(),
                        posts: Some(EntryKind::Credit),
                        source: Source::Refund {
                            service_id: service.id,
                            days,
                        },
                    });
                }
            }
        }
    }

    // Up to here, only plan charges (and their discounts and refunds): for prepaid and
    // hybrid accounts, that is what the balance pays at the start of the period.
    let mut from_balance = if facts.mode.plan_from_balance() {
        Money::sum(currency, lines.iter().map(|l| l.amount))?
    } else {
        Money::zero(currency)
    };

    // 3. Usage of the period that just closed.
    let usage_period = facts.usage_period();
    for service in &facts.services {
        let (Some(used), Some(activated_on)) = (service.usage_bytes, service.activated_on) else {
            continue;
        };
        let plan = &service.plan;
        let (Allowance::Gigabytes(gb), Some(price)) = (plan.allowance, plan.overage_per_gb) else {
            continue;
        };
        let price = check(price)?;
        let Some(days) = usage_period.intersection(&Period {
            start: activated_on,
            end: service
                .cancelled_on
                .unwrap_or(usage_period.end)
                .max(activated_on),
        }) else {
            continue;
        };
        let rating = rate_usage(used, plan.allowance, Some(price));
        let included = format!("{} GB included", text::count(gb.into()));
        let description = if rating.overage_gb > 0 {
            format!(
                "Data usage {}: {} of {included}; {} started GB over at {}/GB",
                text::period(&days),
                text::gigabytes(used),
                text::count(rating.overage_gb.into()),
                text::dollars(price.amount())
            )
        } else {
            format!(
                "Data usage {}: {} of {included}",
                text::period(&days),
                text::gigabytes(used)
            )
        };
        let amount = rating.charge_or_zero(currency);
        let index = lines.len();
        lines.push(BillLine {
            kind: LineKind::Usage,
            description,
            service_id: Some(service.id),
            period: Some(days),
            quantity: Some(Decimal::from(rating.overage_gb)),
            unit_price: Some(price.amount()),
            amount,
            posts: posting(EntryKind::Charge, amount),
            source: Source::Usage {
                service_id: service.id,
            },
        });
        if let Some(tax) = &service.tax {
            taxed.push((index, tax.clone(), plan.price_includes_tax));
        }
    }

    // 4. One-time charges, taxed at the rate of the service they belong to (or the first
    // taxed service's).
    let default_tax = facts.services.iter().find_map(|s| s.tax.clone());
    for charge in facts
        .one_time
        .iter()
        .filter(|c| c.charge_on <= facts.period.start)
    {
        let amount = check(charge.amount)?;
        let index = lines.len();
        lines.push(BillLine {
            kind: LineKind::OneTime,
            description: charge.description.clone(),
            service_id: charge.service_id,
            period: None,
            quantity: Some(Decimal::ONE),
            unit_price: Some(amount.amount()),
            amount,
            posts: posting(
                if charge.late_fee {
                    EntryKind::LateFee
                } else {
                    EntryKind::Charge
                },
                amount,
            ),
            source: Source::OneTime(charge.id),
        });
        let tax = charge
            .service_id
            .and_then(|id| facts.services.iter().find(|s| s.id == id))
            .and_then(|s| s.tax.clone())
            .or_else(|| default_tax.clone());
        if let (true, Some(tax)) = (charge.taxable, tax) {
            let inclusive = tax.rate.inclusive;
            taxed.push((index, tax, inclusive));
        }
    }

    // 6. Tax: inclusive lines give up their tax one by one; exclusive ones are summed per
    // tax and taxed once.
    let mut taxes: Vec<(String, Money, Money)> = Vec::new(); // (name, exclusive base, tax so far)
    for (index, tax, inclusive) in &taxed {
        let slot = match taxes.iter().position(|(name, _, _)| *name == tax.name) {
            Some(i) => i,
            None => {
                taxes.push((
                    tax.name.clone(),
                    Money::zero(currency),
                    Money::zero(currency),
                ));
                taxes.len() - 1
            }
        };
        let line = &mut lines[*index];
        if *inclusive {
            let split = apply_tax(
                line.amount,
                &TaxRate {
                    inclusive: true,
                    ..tax.rate
                },
            );
            line.amount = split.net;
            if split.tax != Money::zero(currency) {
                line.description = format!(
                    "{} (price {} incl. {})",
                    line.description,
                    text::dollars(split.gross.amount()),
                    tax.name
                );
            }
            if split.net.is_zero() {
                line.posts = None;
            }
            taxes[slot].2 = taxes[slot].2.checked_add(split.tax)?;
        } else {
            taxes[slot].1 = taxes[slot].1.checked_add(line.amount)?;
        }
    }
    for (name, base, included) in taxes {
        let rate = taxed
            .iter()
            .find(|(_, t, _)| t.name == name)
            .map(|(_, t, _)| t.rate)
            .expect("a tax slot exists only for a taxed line");
        let on_top = apply_tax(
            base,
            &TaxRate {
                inclusive: false,
                ..rate
            },
        )
        .tax;
        let amount = on_top.checked_add(included)?;
        if amount.is_positive() {
            lines.push(BillLine {
                kind: LineKind::Tax,
                description: format!("{name} {}", text::percent(rate.rate)),
                service_id: None,
                period: None,
                quantity: None,
                unit_price: None,
                amount,
                posts: Some(EntryKind::Tax),
                source: Source::Tax,
            });
        }
    }
    if facts.mode == BillingMode::Prepaid {
        // A prepaid balance pays for everything, tax included. (A hybrid one pays the plan
        // before tax; the tax is billed with the postpaid part.)
        from_balance = Money::sum(currency, lines.iter().map(|l| l.amount))?;
    }

    // 7. What the ledger received since the last statement.
    for entry in &facts.received {
        let amount = check(entry.amount)?;
        if amount.is_zero() {
            continue;
        }
        let kind = match entry.kind {
            EntryKind::Payment => LineKind::Payment,
            EntryKind::Credit => LineKind::Credit,
            _ => LineKind::Adjustment,
        };
        lines.push(BillLine {
            kind,
            description: entry.description.clone(),
            service_id: None,
            period: None,
            quantity: None,
            unit_price: None,
            amount,
            posts: None,
            source: Source::Received(entry.ledger_entry_id),
        });
    }

    let plain: Vec<Line> = lines.iter().map(BillLine::as_line).collect();
    let totals = Totals::compute(facts.previous_balance, &plain)?;
    let issued_on = facts.period.start;
    let due_on = if facts.mode == BillingMode::Prepaid {
        issued_on
    } else {
        issued_on + Days::new(u64::from(facts.payment_terms_days))
    };
    Ok(Bill {
        period: facts.period,
        issued_on,
        due_on,
        lines,
        totals,
        from_balance,
    })
}

/// The ledger entry a line posts: none for a zero amount (the ledger holds only entries
/// that change a balance).
fn posting(kind: EntryKind, amount: Money) -> Option<EntryKind> {
    (!amount.is_zero()).then_some(kind)
}

/// `[from, to)` split at the cycle's boundaries; empty when `to <= from`.
pub fn split_at_cycle(from: NaiveDate, to: NaiveDate, day: CycleDay) -> Vec<Period> {
    let mut pieces = Vec::new();
    let mut start = from;
    while start < to {
        let within = period_containing(start, day);
        let end = within.end.min(to);
        pieces.push(Period { start, end });
        start = end;
    }
    pieces
}

#[cfg(test)]
mod tests;

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
//! cycle day, see [`crate::cycle`]) and holds, in this order (each line with its
//! **working**, [`BillLine::working`]: the figures that gave its amount, written where the
//! amount is computed, which the statement's "How this was worked out" shows):
//!
//! 1. **Recurring charges, in advance.** Each service is charged for the days of
//!    `[charged_through, min(P.end, cancelled_on))` that it has not been charged for yet,
//!    starting no earlier than its activation and leaving out the days it is suspended
//!    (rule 8). That span is split at cycle boundaries (and around suspensions) and each
//!    piece is prorated by day against the period it falls in ([`crate::proration`]): a
//!    service activated (or restored) mid-period is charged for its first partial period
//!    on the next statement, together with the next full period in advance.
//! 2. **Refunds.** Days already charged on which there was no service (after a
//!    cancellation, or while suspended: rule 8) are given back once, as what was paid for
//!    them. For each charged piece: what the piece cost less what its served days cost, so
//!    the days served end up charged exactly as their proration; when a discount (rule 5)
//!    reduced the piece, the same share of what was actually paid for it (the days' cost
//!    × paid ÷ cost, each end rounded). The refund includes the tax rate on it (rounded on
//!    the refund), as one credit line per piece, so no negative tax line is ever needed.
//!    *Worked:* $60.00 for Nov 5 – Dec 4 (30 days) with 10% off was paid $54.00; cancelled
//!    on Nov 20, the 15 unused days cost $30.00 and were paid $54.00 × 30 ÷ 60 = $27.00,
//!    so $27.00 comes back (plus 8.25% sales tax: $2.23), not $30.00.
//!    Each day is priced at the plan in force on it, not the plan now: a plan change
//!    within a charged period settled the difference for the days after it (the prorated
//!    charge or credit of `engine::plan_changes`), so the days before it were paid at the
//!    old plan's price and the days after at the new one's.
//!    *Worked:* Fibre 300 at $90.00 charged for Nov 5 – Dec 4; suspended Nov 10 – 15 and
//!    restored; a downgrade to Fibre 100 at $60.00 takes effect on Dec 5. The Dec 5
//!    statement refunds the 5 days off as $90.00 × 5 ÷ 30 = $15.00, what was paid for
//!    them, not $60.00 × 5 ÷ 30 = $10.00 at the plan now.
//! 3. **Usage** of the period that just closed (`usage_period`), rated against the plan
//!    in force while the data was used, never against one that was not in force then.
//!    The engine gives each service's usage in segments, one per plan in force during the
//!    usage period (a plan change splits it on its effective day), with the bytes used on
//!    those days. Overage is charged per started gigabyte ([`crate::usage::rate_usage`]).
//!    * One plan all period: its whole allowance. It is not prorated for a partial period
//!      (a subscriber never pays overage for joining late).
//!    * Several plans: each plan's allowance is prorated by the days it was in force out
//!      of the days of service in the period (rounded up to the byte), and the data used
//!      on those days is rated against that share at that plan's overage price: one usage
//!      line per plan. Days on an unlimited plan (or one without an overage price) are
//!      never charged overage.
//!
//!    *Worked:* a 30-day period, Fibre 1500 (1,500 GB, $2.00/GB over) for 25 days with
//!    1,092 GB used, then Fibre 1000 (1,000 GB, $2.00/GB) for 5 days with 40 GB: the
//!    shares are 1,500 × 25 ÷ 30 = 1,250 GB and 1,000 × 5 ÷ 30 = 166.7 GB; neither is
//!    exceeded, so no overage (rated against the new plan alone, 1,132 GB would have been
//!    133 GB over). A downgrade scheduled for the next cycle changes nothing in the
//!    period that closes: 905 GB on a 750 GB plan at $1.00/GB is 155 GB, $155.00, whatever
//!    the plan from the issue date (500 GB would have made it $405.00). Upgrading to an
//!    unlimited plan on day 21 of 30 after 800 GB on a 750 GB plan: that plan's share is
//!    750 × 20 ÷ 30 = 500 GB, so 300 GB over; the unlimited days cost nothing. Moving from
//!    unlimited to a capped plan at the cycle: the closed period was all unlimited, no
//!    overage.
//!    * **Data add-ons** ([`crate::data_cap`]) raise the allowance of the cycle they were
//!      bought in, for that cycle only: their gigabytes are added in full (never prorated)
//!      to the share of the plan in force on the day each was bought, and nothing is
//!      carried to the next cycle. The add-on's price is a one-time charge (rule 4, taxed
//!      like any other) dated the day it was bought, so it is billed on the same statement
//!      as the usage it covers; or, when the subscriber chose to pay it by card, it was
//!      posted to the ledger that day with its own tax and the statement shows it (rule 4).
//!
//!    *Worked (add-on):* a 1,000 GB plan at $0.50/GB over, 8.25% sales tax, 1,150 GB used
//!    and one 100 GB add-on bought for $25.00: 1,100 GB included, 50 GB over = $25.00,
//!    plus the add-on's $25.00; tax on $50.00 is $4.125 → $4.13; $54.13 in all. Without
//!    the add-on: 150 GB over = $75.00, tax $6.1875 → $6.19, $81.19.
//! 4. **One-time charges** dated on or before the issue date and not yet billed, taxed at
//!    the rate of the service they belong to (or, where its address has none, the
//!    account's first taxed service's).
//!    * **Paid now by card** (a data add-on, [`crate::data_cap::paid_now`]): the subscriber
//!      who chooses "Pay now" is shown the price with its tax before confirming, and that
//!      is what is posted and charged. The charge and its tax are posted to the ledger the
//!      day it is bought, the tax worked out on the add-on alone at the rate above as in
//!      force that day (rounded once, half away from zero), so the balance shows it at
//!      once and the card is charged exactly their sum. The statement never charges it
//!      again: it shows the two entries as posted (rule 7), and the card payment with the
//!      other payments received in its period.
//!    * **The add-on is granted when it is bought, paid or not.** If the card is declined,
//!      the bank's check is not finished, or the subscriber leaves the pay page, what was
//!      posted stays owed like any charge no statement has shown yet: the next statement
//!      shows it, it is due with that statement, and it may be paid on the pay page at any
//!      time before. (Holding the data back until the card pays would leave a subscriber
//!      who chose to pay at once worse off than one who chose the statement.) A card
//!      payment for an add-on is a payment like any other: it pays the oldest charges
//!      first ("What is paid and what is owed").
//!
//!    *Worked (paid now):* a $25.00 add-on on Nov 20 at 8.25% sales tax: tax 2.0625 →
//!    $2.06, so $27.06 is posted (25.00 + 2.06) and charged to the card, and the balance
//!    is back where it was once the card pays. The Dec 5 statement shows "Data add-on …
//!    $25.00", "Sales tax 8.25% on the data add-on $2.06" and the payment −$27.06; its own
//!    tax is worked out without the add-on: with $145.00 of plan and usage, 8.25% × 145.00
//!    = $11.96 (billed there instead, the add-on would have made it 8.25% × 170.00 =
//!    $14.03, a cent more than 11.96 + 2.06). Declined, the $27.06 stays on the balance
//!    and is due with the Dec 5 statement.
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
//!    only shows them). A charge and its tax posted outside a bill run (an add-on paid
//!    now, rule 4) are shown the same way, as a one-time line and a tax line, so the
//!    statement's charges and tax include them.
//! 8. **A suspended service accrues nothing while it is switched off**, whatever the
//!    reason: a prepaid or hybrid balance that did not cover the plan, non-payment of a
//!    postpaid or hybrid account, or staff. Its recurring charge stops on the day it is
//!    suspended and starts again, prorated by day, on the day it comes back; days already
//!    charged in advance are refunded as in rule 2. A provider that switches a service off
//!    has stopped providing it, and a charge for it would only grow a debt the subscriber
//!    cannot use the service to work off. What follows from this elsewhere:
//!    * At a bill run, a prepaid or hybrid account whose balance does not cover the
//!      period's plan is suspended from the period's first day, and that period is not
//!      charged (the statement still bills the usage and one-time charges before it). A
//!      top-up restores it; the days from then are charged on the next statement.
//!    * Dunning (`engine::dunning`) charges a late fee on a statement only when what that
//!      statement newly charged, less any late fee on it, is still unpaid: never on a
//!      statement that only carries an earlier balance forward, so late fees do not pile up
//!      month after month on a switched-off service, nor on each other.
//!
//!    *Worked:* a prepaid $40.00 plan with 8.25% tax ($43.30) on a balance that ran out
//!    owes nothing more for four periods switched off (not $173.20).
//!
//! 9. **Outage credits.** A service the provider declared out (an outage,
//!    `engine::outages`) is owed, once the outage has ended, **one day's price for each
//!    full 24 hours it was out beyond the first [`OUTAGE_GRACE_HOURS`] (48)**:
//!    `⌊(hours out − 48) ÷ 24⌋` days at the plan in force on the day it began, the day
//!    priced as that day's period prorates it (`monthly price × days ÷ days in the
//!    period`, rounded once to cents, half away from zero). Where prices exclude tax, the
//!    tax on it is given back with it, as with a refund (rule 2); it is one credit line per
//!    outage and service. A shorter outage is not credited (a day or two of disruption is
//!    what the price of a consumer service allows for); one still going on at a bill run
//!    is credited on the first statement after it ends; each is credited once, whatever
//!    its length (several periods out are credited at the first period's day price).
//!
//!    *Worked:* Cable 300 at $55.00, a 30-day period, 8.25% sales tax. Out from Nov 10
//!    08:00 to Nov 13 14:30, 78 h 30 min: 30 h 30 min beyond 48, 1 full day, $55.00 × 1 ÷
//!    30 = $1.83, tax $0.15, a $1.98 credit. Out 122 hours: 74 beyond 48, 3 days, $5.50,
//!    tax $0.45375 → $0.45, $5.95. Out 71 hours: 23 beyond 48, nothing.
//!
//! The total due is the previous statement's total due plus every line; the due date is
//! `payment_terms_days` after the issue date (the issue date itself for prepaid accounts,
//! which pay from their balance). Every amount in a description is written in the
//! account's currency ([`crate::text::money`]: "price £18.38 incl. VAT").
//!
//! # Ending a contract early
//!
//! A service on a plan with a minimum term (`contract_months`) that leaves it before it
//! ends, by a downgrade that takes effect inside it or by a **cancellation** dated inside
//! it, pays the plan's early termination fee in proportion to the whole months left, a
//! started month counting: `fee × min(months left, contract months) / contract months`,
//! rounded to cents half away from zero ([`crate::plan_change::early_termination_fee`],
//! the one place it is computed). The fee must be accepted, to the cent, by whoever asks
//! (the subscriber in the portal, a system through the API); it is a one-time charge on
//! the cancellation day (rule 4, taxed at its service's rate), and the days already charged after
//! the cancellation are refunded as in rule 2. An upgrade never pays it.
//! *Worked:* a 12-month contract ending Jun 15 2027 with a $200.00 fee, cancelled on
//! Dec 6 2026: 7 months are left (Dec 6 + 6 months is Jun 6, before Jun 15), so
//! $200.00 × 7 ÷ 12 = $116.67.
//!
//! # Closing an account
//!
//! An account asked to close (another system's `DELETE`) has every service still in force
//! **cancelled that day**, each as above: the early termination fees of those inside a
//! contract, accepted in total to the cent, are one-time charges, and the days already
//! charged after that day are refunded by the next statement (rule 2). Nothing else is
//! forgiven or hastened: the **final statement** is the next one on the account's cycle day,
//! with the last usage, the refunds and the fees. The account stays open (its subscriber can
//! sign in and pay, dunning and autopay go on) and is **closed** by the bill run once every
//! service is cancelled, a statement for a period from the last day a service ran has been
//! issued, every refund is made, no charge waits for a statement, no dispute is open, and
//! the balance is **exactly zero**: what is owed is paid, and a credit is refunded by staff
//! first (a closed account cannot be paid or refunded through the portal).
//! *Worked:* a $55.00 plan (untaxed), cycle day 1, charged $55.00 for December on Dec 1
//! 2026 and not yet paid, closed on Dec 11: the Jan 1 2027 statement, the final one,
//! refunds Dec 11 - Jan 1, 21 of 31 days, $37.26, and is due $55.00 - $37.26 = $17.74
//! (the 10 days used); once that is paid the balance is zero and the next bill run closes
//! the account. Had December been paid, the account would be $37.26 in credit and would
//! wait, open, for that credit to be paid back.
//!
//! # Accounts imported from a legacy system
//!
//! An ISP moving its subscribers from another billing system (`lastmile import`) must never
//! bill them again for what that system billed, nor forgive what it was owed:
//! * **Charging starts at the paid-through date.** Each service carries the day after the
//!   last day the legacy system charged (`services.legacy_charged_through`, exclusive); rule
//!   1 charges from there, exactly as if Lastmile's own statement had charged the days
//!   before. The days the legacy system charged count as charged for refunds (rule 2): a
//!   service cancelled before its paid-through date gets back the days it paid for and did
//!   not use, at the plan's price.
//! * **The opening balance is one ledger entry**, "Balance carried over" (a charge when the
//!   subscriber owed, a credit when they were in credit), dated the import day.
//! * **Open invoices stay payable** on one **opening statement** (`O-<account number>`),
//!   issued the import day: one line per open invoice, for what is still open of it, named
//!   by its number and dates. When the balance is not the sum of the open invoices (a
//!   payment on account, a charge not invoiced yet), one more line carries the difference,
//!   "Other balance carried over" (a charge, or a credit), so the statement's total due is
//!   the balance, to the cent, and the import reports the difference as a warning. A
//!   balance in credit with no open invoice needs no statement: the credit is shown by the
//!   next statement like any other (rule 7).
//! * **Its due date** is the oldest open invoice's, but **never before the import day**: the
//!   legacy system's lateness is not acted on at once (dunning counts from the import day,
//!   so no subscriber is suspended on cut-over day for a step the old system had not taken).
//!   With no open invoice, the statement is due after the usual payment terms.
//!
//! *Worked:* invoices INV-1 ($64.95 open, due Nov 25) and INV-2 ($30.00 of $64.95 open, due
//! Dec 25), a balance of $89.95, imported Dec 7: the lines are $64.95 and $30.00, the
//! difference $89.95 − $94.95 = −$5.00 is a credit line, $89.95 is due on Dec 7 (Nov 25
//! has passed), and the ledger gets one $89.95 charge.
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
//! # What the operators' reports count
//!
//! The console's reports (`engine::reports`) read the ledger, the statements and the
//! services; where they touch money, this is what they count:
//! * **Monthly recurring revenue** on an evening is the monthly price, as sold, of every
//!   service in service that day: from its activation day to the day before its
//!   cancellation, **suspended or not** (a suspension for non-payment is pursued by
//!   dunning, not lost: it becomes churn only when the service is cancelled). Discounts,
//!   usage and one-time charges are not recurring revenue; the price is the plan's now.
//! * **Its movement** over a range compares the evening before the first day with the
//!   evening of the last, service by service: **new** (in service only on the last),
//!   **churn** (only on the first), and for a service whose plan changed, an **upgrade**
//!   (to a dearer plan) or a **downgrade** (to a cheaper, or equally priced, one). A plan's
//!   row loses the old price and the new plan's gains the new one, so opening + new +
//!   upgrades + downgrades + churn = closing, on every row and in total. A service both
//!   started and cancelled inside the range moves nothing.
//! * **Receivables** on a day are what is owed on the statements open that evening,
//!   allocated as above (the oldest charges paid first, [`crate::ledger::unpaid_charges`]):
//!   an open statement's share is **aged by its due date**: not yet due, 1-30, 31-60,
//!   61-90 and over 90 days past due, except what is **under dispute** (up to the
//!   statement's disputed amount), which is a bucket of its own whatever its age. Charges
//!   no statement has shown yet are not receivables until billed.
//! * **Collections**: a dunning step's statement counts as **collected** when it was paid
//!   within **14 days** of the step, at the amount the statement asked for.
//! * **Card payments** count on the provider's day each was **started**, by their outcome
//!   now: one finished after 3-D Secure days later counts as succeeded on the day it began.
//! * **Usage against allowance** (not money, decided here with the rest): a service's
//!   calendar month counts under the plan it was on **when that month's first usage was
//!   recorded**, against that plan's allowance then, so a subscriber who moved up because
//!   they ran out is seen running out on the plan they left.
//!
//! *Worked* (as `engine/tests/reports.rs` checks): Nov 30.00 (due Nov 21), Dec 50.00 (due
//! Dec 21) and Jan 40.00 (due Jan 21), 45.00 owed on Jan 10, of which 10.00 of Dec's
//! charges disputed: Jan's 40.00 is not yet due, Dec's 5.00 is under dispute (no more than
//! its unpaid share), Nov's is paid.
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
use crate::usage::{rate_usage_within, Allowance};

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
    /// The plan now: the days still to charge are charged at its price.
    pub plan: PlanTerms,
    /// The first day of service (`None`: not active yet, nothing to charge).
    pub activated_on: Option<NaiveDate>,
    /// The first day without service, when cancelled.
    pub cancelled_on: Option<NaiveDate>,
    /// The day up to which recurring charges have been billed (exclusive); `None` when the
    /// service was never charged.
    pub charged_through: Option<NaiveDate>,
    /// The pieces charged so far, as the statements charged them, for refunds (rule 2).
    /// When empty, every day from activation to `charged_through` counts as charged,
    /// period by period (what a service never suspended was charged).
    pub charged: Vec<Period>,
    /// The days already refunded.
    pub refunded: Vec<Period>,
    /// The plans in force before `plan`, oldest first, each up to (not including) the day
    /// the next one took effect: what refunded days are priced at (rule 2). Empty when the
    /// plan never changed (or no refund can be due).
    #[serde(default)]
    pub earlier_plans: Vec<EarlierPlan>,
    /// When the service was switched off (rule 8).
    pub suspensions: Vec<Suspension>,
    /// The usage period's data, one segment per plan in force (rule 3); empty when there
    /// is none to bill.
    pub usage: Vec<UsageSegment>,
    /// The tax at the service's address (`None`: not taxed).
    pub tax: Option<TaxTerms>,
    /// Outages it was in that have ended and are not yet credited (rule 9).
    #[serde(default)]
    pub outages: Vec<OutageFacts>,
}

/// The hours of an outage that are not credited (rule 9).
pub const OUTAGE_GRACE_HOURS: i64 = 48;

/// A declared outage a service was in, ended and not yet credited (rule 9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageFacts {
    /// `outages.id`.
    pub outage_id: i64,
    /// What the provider called it: "Fibre cut on Main Street".
    pub title: String,
    /// The provider's day it began on: its plan and its period price the day.
    pub began_on: NaiveDate,
    /// How long it lasted, in whole minutes.
    pub minutes_out: i64,
}

impl OutageFacts {
    /// The days credited: each full 24 hours beyond the first [`OUTAGE_GRACE_HOURS`].
    pub fn days_credited(&self) -> i64 {
        (self.minutes_out - OUTAGE_GRACE_HOURS * 60).max(0) / (24 * 60)
    }
}

/// Why a service was switched off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspensionReason {
    /// A postpaid or hybrid statement was not paid (dunning).
    NonPayment,
    /// A prepaid or hybrid balance did not cover the plan.
    PrepaidBalance,
    /// Staff, for another reason.
    Other,
}

impl SuspensionReason {
    /// The `service_suspensions.reason` value.
    pub fn as_str(&self) -> &'static str {
        match self {
            SuspensionReason::NonPayment => "non_payment",
            SuspensionReason::PrepaidBalance => "prepaid_balance",
            SuspensionReason::Other => "other",
        }
    }

    /// Parses a `service_suspensions.reason` value.
    pub fn parse(s: &str) -> Option<SuspensionReason> {
        match s {
            "non_payment" => Some(SuspensionReason::NonPayment),
            "prepaid_balance" => Some(SuspensionReason::PrepaidBalance),
            "other" => Some(SuspensionReason::Other),
            _ => None,
        }
    }
}

/// A time a service was switched off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    /// Why.
    pub reason: SuspensionReason,
    /// The first day without service.
    pub from: NaiveDate,
    /// The first day with service again; `None` while still off.
    pub until: Option<NaiveDate>,
}

impl Suspension {
    /// The days off (up to the last representable day while still off); `None` when it
    /// ended the day it began.
    pub fn days(&self) -> Option<Period> {
        let end = self.until.unwrap_or(NaiveDate::MAX);
        (end > self.from).then_some(Period {
            start: self.from,
            end,
        })
    }
}

/// A plan a service was on before a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlierPlan {
    /// The day the next plan took effect (this one's last day is the day before).
    pub until: NaiveDate,
    /// The plan.
    pub plan: PlanTerms,
}

impl ServiceFacts {
    /// The plan in force on `day`.
    pub fn plan_on(&self, day: NaiveDate) -> &PlanTerms {
        self.earlier_plans
            .iter()
            .find(|e| day < e.until)
            .map_or(&self.plan, |e| &e.plan)
    }

    /// `days` cut where the plan in force changes, so each part has one price.
    fn split_at_plan_changes(&self, days: Period) -> Vec<Period> {
        let mut cuts: Vec<NaiveDate> = self
            .earlier_plans
            .iter()
            .map(|e| e.until)
            .filter(|c| days.start < *c && *c < days.end)
            .collect();
        cuts.sort();
        let mut parts = Vec::with_capacity(cuts.len() + 1);
        let mut start = days.start;
        for cut in cuts {
            parts.push(Period { start, end: cut });
            start = cut;
        }
        parts.push(Period {
            start,
            end: days.end,
        });
        parts
    }
}

/// The data a service used on the days one plan was in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageSegment {
    /// The days (within the usage period).
    pub days: Period,
    /// The plan in force on those days.
    pub plan: PlanTerms,
    /// Bytes used on those days.
    pub bytes: u64,
    /// Bytes of data add-ons bought on those days for the usage period (rule 3): added to
    /// this segment's allowance in full.
    #[serde(default)]
    pub addon_bytes: u64,
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
    /// The credit for a service's time in an outage (rule 9): once per outage and service.
    OutageCredit {
        /// `outages.id`.
        outage_id: i64,
        /// The service.
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
    /// How the amount was worked out, in figures ("$55.00 × 17 ÷ 30 days = $31.17"): what
    /// the statement's "explain this line" shows. `None` where the description says it all
    /// (a one-time charge, a payment).
    #[serde(default)]
    pub working: Option<String>,
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
    /// The (outage, service) pairs this statement settles (rule 9): credited, or found too
    /// short to be owed anything. Either way, never considered again.
    #[serde(default)]
    pub outages_settled: Vec<(i64, i64)>,
}

impl Bill {
    /// Whether nothing is owed once the statement is issued.
    pub fn settled_on_issue(&self) -> bool {
        !self.totals.total_due.is_positive()
    }
}

/// The credit for a service's time in an outage (rule 9), if it lasted long enough.
fn outage_credit(
    facts: &BillFacts,
    service: &ServiceFacts,
    outage: &OutageFacts,
) -> Result<Option<BillLine>, BillError> {
    let days = outage.days_credited();
    if days == 0 {
        return Ok(None);
    }
    let plan = service.plan_on(outage.began_on);
    let within = period_containing(outage.began_on, facts.cycle_day);
    let price = plan.monthly_price.checked_times(Decimal::from(days))?;
    let price = Money::new(
        price
            .amount()
            .checked_div(Decimal::from(within.days()))
            .ok_or(MoneyError::Overflow)?,
        price.currency(),
    )
    .round_to_minor_units();
    let taxed = match &service.tax {
        Some(tax) if !plan.price_includes_tax => Some(
            apply_tax(
                price,
                &TaxRate {
                    inclusive: false,
                    ..tax.rate
                },
            )
            .gross,
        ),
        _ => None,
    };
    let credit = taxed.unwrap_or(price);
    if !credit.is_positive() {
        return Ok(None);
    }
    let (hours, minutes) = (outage.minutes_out / 60, outage.minutes_out % 60);
    let day_word = |n: i64| if n == 1 { "day" } else { "days" };
    Ok(Some(BillLine {
        kind: LineKind::Credit,
        description: format!(
            "{}: credit for the outage \u{201c}{}\u{201d}, {} {}",
            plan.name,
            outage.title,
            days,
            day_word(days)
        ),
        service_id: Some(service.id),
        period: None,
        quantity: Some(Decimal::from(days)),
        unit_price: None,
        amount: credit.neg(),
        posts: Some(EntryKind::Credit),
        source: Source::OutageCredit {
            outage_id: outage.outage_id,
            service_id: service.id,
        },
        working: Some(format!(
            "Out {hours} h {minutes:02} min: {days} full {} after the first {OUTAGE_GRACE_HOURS} hours \u{d7} {} \u{f7} {} days = {}{}",
            day_word(days),
            text::money(plan.monthly_price),
            within.days(),
            text::money(price),
            match taxed {
                Some(gross) => format!(", with its tax: {}", text::money(gross)),
                None => String::new(),
            }
        )),
    }))
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
        let off: Vec<Period> = merged(
            service
                .suspensions
                .iter()
                .filter_map(Suspension::days)
                .collect(),
        );

        // 1. Recurring, in advance, piece by piece, leaving out the days switched off.
        let to_charge = without(
            Period {
                start: first_uncharged,
                end: service_end,
            },
            &off,
        );
        for days in to_charge
            .iter()
            .flat_map(|span| split_at_cycle(span.start, span.end, facts.cycle_day))
        {
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
                working: Some(if whole {
                    format!(
                        "A whole period of {} at {} a month = {}",
                        plan.name,
                        text::money(plan.monthly_price),
                        text::money(amount)
                    )
                } else {
                    format!(
                        "{} of {} days of {} at {} a month: {} × {} ÷ {} = {}",
                        days.days(),
                        within.days(),
                        plan.name,
                        text::money(plan.monthly_price),
                        text::money(plan.monthly_price),
                        days.days(),
                        within.days(),
                        text::money(amount)
                    )
                }),
            });
            if let Some(tax) = &service.tax {
                taxed.push((index, tax.clone(), inclusive));
            }
            // 5. Discounts on this piece.
            for discount in discounts_for(facts, service.id, days.start) {
                let off = discount_off(discount, amount, currency)?;
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
                        working: Some(match discount.value {
                            DiscountValue::Percent(pct) => format!(
                                "{} of {} = {}",
                                text::percent(pct / Decimal::ONE_HUNDRED),
                                text::money(amount),
                                text::money(off)
                            ),
                            DiscountValue::Fixed(_) => format!(
                                "{} off the {} charged",
                                text::money(off),
                                text::money(amount)
                            ),
                        }),
                    });
                    if let Some(tax) = &service.tax {
                        taxed.push((index, tax.clone(), inclusive));
                    }
                }
            }
        }

        // 2. Refund of days charged without service: after a cancellation, or while
        // switched off.
        let Some(charged_through) = service.charged_through else {
            continue;
        };
        let charged: Vec<Period> = if service.charged.is_empty() {
            split_at_cycle(activated_on, charged_through, facts.cycle_day)
        } else {
            service
                .charged
                .iter()
                .flat_map(|p| split_at_cycle(p.start, p.end, facts.cycle_day))
                .collect()
        };
        let mut not_served = off.clone();
        if let Some(cancelled_on) = service.cancelled_on {
            not_served.push(Period {
                start: cancelled_on.max(activated_on),
                end: NaiveDate::MAX,
            });
        }
        let not_served = merged(not_served);
        let refunded = merged(service.refunded.clone());
        for piece in charged {
            // Split at the cancellation, so each credit says why it is given.
            let cancelled = service.cancelled_on.map(|c| Period {
                start: c,
                end: NaiveDate::MAX,
            });
            let owed = not_served
                .iter()
                .filter_map(|n| piece.intersection(n))
                .flat_map(|r| without(r, &refunded))
                .flat_map(|r| match cancelled {
                    Some(c) => {
                        let mut parts = without(r, &[c]);
                        parts.extend(r.intersection(&c));
                        parts
                    }
                    None => vec![r],
                })
                .flat_map(|r| service.split_at_plan_changes(r));
            for days in owed {
                let paid = paid_for(facts, service, &piece, &days, currency)?;
                let paid = match &service.tax {
                    Some(tax) if !inclusive => {
                        apply_tax(
                            paid,
                            &TaxRate {
                                inclusive: false,
                                ..tax.rate
                            },
                        )
                        .gross
                    }
                    _ => paid,
                };
                if !paid.is_positive() {
                    continue;
                }
                let why = if service.cancelled_on.is_some_and(|c| c <= days.start) {
                    "after cancellation"
                } else {
                    "while suspended"
                };
                lines.push(BillLine {
                    kind: LineKind::Credit,
                    description: format!(
                        "{}: refund for {} {why}",
                        service.plan_on(days.start).name,
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
                    working: Some(format!(
                        "{} {} already charged for, given back as what was paid for them{}: {}",
                        days.days(),
                        if days.days() == 1 { "day" } else { "days" },
                        if service.tax.is_some() && !inclusive {
                            ", with its tax"
                        } else {
                            ""
                        },
                        text::money(paid)
                    )),
                });
            }
        }
    }

    // 9. Outage credits, once each outage has ended. (After the refunds, which a service
    // without charged days skips.)
    for service in &facts.services {
        for outage in &service.outages {
            if let Some(line) = outage_credit(facts, service, outage)? {
                lines.push(line);
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

    // 3. Usage of the period that just closed, against the plan(s) in force then.
    let usage_period = facts.usage_period();
    for service in &facts.services {
        let Some(activated_on) = service.activated_on else {
            continue;
        };
        let served = Period {
            start: activated_on,
            end: service
                .cancelled_on
                .unwrap_or(NaiveDate::MAX)
                .max(activated_on),
        };
        let segments: Vec<(Period, &UsageSegment)> = service
            .usage
            .iter()
            .filter_map(|seg| {
                let days = seg
                    .days
                    .intersection(&usage_period)?
                    .intersection(&served)?;
                Some((days, seg))
            })
            .collect();
        let served_days: i64 = segments.iter().map(|(days, _)| days.days()).sum();
        let several = segments.len() > 1;
        for (days, segment) in segments {
            let plan = &segment.plan;
            let (Allowance::Gigabytes(gb), Some(price)) = (plan.allowance, plan.overage_per_gb)
            else {
                continue;
            };
            let price = check(price)?;
            let share = plan.allowance.prorated_bytes(days.days(), served_days);
            let included = share.map(|share| share.saturating_add(segment.addon_bytes));
            let included_bytes = included.unwrap_or_default();
            // Whole gigabytes as the plan states them ("1,000 GB"), else to a tenth.
            let included_text = if included_bytes % crate::usage::BYTES_PER_GB == 0 {
                format!(
                    "{} GB",
                    text::count(included_bytes / crate::usage::BYTES_PER_GB)
                )
            } else {
                text::gigabytes(included_bytes)
            };
            let used = segment.bytes;
            let rating = rate_usage_within(used, included, Some(price));
            let on_plan = if several || plan.name != service.plan.name {
                format!(" on {}", plan.name)
            } else {
                String::new()
            };
            let included = if several {
                format!(
                    "{} included ({} of {} days of {} GB)",
                    text::gigabytes(share.unwrap_or_default()),
                    days.days(),
                    served_days,
                    text::count(gb.into())
                )
            } else {
                format!("{} GB included", text::count(gb.into()))
            };
            let included = if segment.addon_bytes > 0 {
                format!(
                    "{included} + {} of data add-ons",
                    text::gigabytes(segment.addon_bytes)
                )
            } else {
                included
            };
            let description = if rating.overage_gb > 0 {
                format!(
                    "Data usage {}{on_plan}: {} of {included}; {} started GB over at {}/GB",
                    text::period(&days),
                    text::gigabytes(used),
                    text::count(rating.overage_gb.into()),
                    text::money(price)
                )
            } else {
                format!(
                    "Data usage {}{on_plan}: {} of {included}",
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
                working: Some(if rating.overage_gb > 0 {
                    format!(
                        "{} used − {} included: {} started GB over × {} = {}",
                        text::gigabytes(used),
                        included_text,
                        text::count(rating.overage_gb.into()),
                        text::money(price),
                        text::money(amount)
                    )
                } else {
                    format!(
                        "{} used, within the {} included: nothing to pay",
                        text::gigabytes(used),
                        included_text
                    )
                }),
            });
            if let Some(tax) = &service.tax {
                taxed.push((index, tax.clone(), plan.price_includes_tax));
            }
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
            working: None,
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
                    text::money(split.gross),
                    tax.name
                );
                let included = format!(
                    "the price {} includes {} {} of {}, shown on its own line, so this line is {}",
                    text::money(split.gross),
                    tax.name,
                    text::percent(tax.rate.rate),
                    text::money(split.tax),
                    text::money(split.net)
                );
                line.working = Some(match line.working.take() {
                    Some(w) => format!("{w}; {included}"),
                    None => included,
                });
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
            let mut parts = Vec::new();
            if !base.is_zero() {
                parts.push(format!(
                    "{} of {} taxed = {}",
                    text::percent(rate.rate),
                    text::money(base),
                    text::money(on_top)
                ));
            }
            if !included.is_zero() {
                parts.push(format!(
                    "{} included in prices shown above",
                    text::money(included)
                ));
            }
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
                working: Some(parts.join("; ")),
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
            // Posted when bought and paid by card (rule 4): shown, never charged again.
            EntryKind::Charge => LineKind::OneTime,
            EntryKind::Tax => LineKind::Tax,
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
            working: None,
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
        outages_settled: facts
            .services
            .iter()
            .flat_map(|s| s.outages.iter().map(|o| (o.outage_id, s.id)))
            .collect(),
    })
}

/// The ledger entry a line posts: none for a zero amount (the ledger holds only entries
/// that change a balance).
fn posting(kind: EntryKind, amount: Money) -> Option<EntryKind> {
    (!amount.is_zero()).then_some(kind)
}

/// The discounts that apply to a piece of `service_id` starting on `start` (rule 5).
fn discounts_for(
    facts: &BillFacts,
    service_id: i64,
    start: NaiveDate,
) -> impl Iterator<Item = &DiscountFacts> {
    facts.discounts.iter().filter(move |d| {
        d.service_id.is_none_or(|s| s == service_id)
            && d.valid_from <= start
            && d.valid_to.is_none_or(|to| start < to)
    })
}

/// What `discount` takes off a piece charged `amount` (rule 5).
fn discount_off(
    discount: &DiscountFacts,
    amount: Money,
    currency: Currency,
) -> Result<Money, BillError> {
    Ok(match discount.value {
        DiscountValue::Percent(pct) => amount
            .checked_times(pct / Decimal::ONE_HUNDRED)?
            .round_to_minor_units(),
        DiscountValue::Fixed(fixed) => {
            if fixed.currency() != currency {
                return Err(BillError::Currency {
                    expected: currency,
                    found: fixed.currency(),
                });
            }
            if fixed.amount() > amount.amount() {
                amount
            } else {
                fixed
            }
        }
    })
}

/// What was paid, before tax, for `days` of the charged `piece` (rule 2): the days' share
/// of the piece's price, reckoned from the piece's first day so that the days kept are
/// charged exactly their proration, and scaled to what the discounts left of it.
fn paid_for(
    facts: &BillFacts,
    service: &ServiceFacts,
    piece: &Period,
    days: &Period,
    currency: Currency,
) -> Result<Money, BillError> {
    // The piece was charged at the price of the plan in force on its first day; the days
    // are worth the price of the plan in force on them (the same, unless a change within
    // the piece settled the difference).
    let charged_at = service.plan_on(piece.start).monthly_price;
    let days_at = service.plan_on(days.start).monthly_price;
    let within = period_containing(piece.start, facts.cycle_day);
    let cost_to = |price: Money, end: NaiveDate| {
        prorate(
            price,
            &within,
            &Period {
                start: piece.start,
                end,
            },
        )
    };
    let whole = cost_to(charged_at, piece.end)?;
    let to_end = cost_to(days_at, days.end)?;
    let to_start = cost_to(days_at, days.start)?;
    let mut paid = whole;
    for discount in discounts_for(facts, service.id, piece.start) {
        paid = paid.checked_sub(discount_off(discount, whole, currency)?)?;
    }
    if paid == whole {
        return Ok(to_end.checked_sub(to_start)?);
    }
    if !whole.is_positive() || !paid.is_positive() {
        return Ok(Money::zero(currency));
    }
    let share = |part: Money| -> Result<Money, BillError> {
        let scaled = paid.checked_times(part.amount())?;
        let amount = scaled
            .amount()
            .checked_div(whole.amount())
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, currency).round_to_minor_units())
    };
    Ok(share(to_end)?.checked_sub(share(to_start)?)?)
}

/// The periods merged where they overlap or touch, in order.
fn merged(mut periods: Vec<Period>) -> Vec<Period> {
    periods.sort_by_key(|p| p.start);
    let mut out: Vec<Period> = Vec::with_capacity(periods.len());
    for p in periods {
        match out.last_mut() {
            Some(last) if p.start <= last.end => last.end = last.end.max(p.end),
            _ => out.push(p),
        }
    }
    out
}

/// The days of `span` outside every one of `holes`, in order; empty when `span` is.
fn without(span: Period, holes: &[Period]) -> Vec<Period> {
    let mut out = vec![span];
    for hole in holes {
        out = out
            .into_iter()
            .flat_map(|p| {
                [
                    Period {
                        start: p.start,
                        end: p.end.min(hole.start),
                    },
                    Period {
                        start: p.start.max(hole.end),
                        end: p.end,
                    },
                ]
            })
            .collect();
        out.retain(|p| p.end > p.start);
    }
    out.retain(|p| p.end > p.start);
    out
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

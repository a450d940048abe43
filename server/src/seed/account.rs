//! One subscriber account and everything that hangs off it, written as rows: the people,
//! the address, the saved card, the login, the service and its usage, a year of statements
//! with their payments and ledger entries, and the service history.
//!
//! The seed makes up the *facts* of each billing period (the plan, the usage, the payments
//! received, a replacement router now and then, a late fee when the previous statement
//! went unpaid, a promotion) and the statement itself is composed from them by
//! [`billing::bill::compose`], the bill run's own arithmetic, so seeded statements and the
//! ones a bill run issues later agree to the cent. The rows are what the engine
//! (`engine::bill_run`) writes for a statement: its lines, the ledger entries its lines
//! post (keyed `statement:{number}:{line}`), the days of service it charged
//! (`service_charges`) and the ledger entries it showed (`statement_ledger_entries`), so a
//! bill run carries on from the seeded history without charging a day twice or showing a
//! payment again. Payments are ledger entries of their own, waiting
//! (`ledger_entries_pending`) until the next statement shows them: an account's balance
//! (the sum of its ledger) is its latest statement's total due plus whatever was paid
//! after that statement.

use anyhow::Context;
use billing::bill::{
    compose, Bill, BillFacts, BillingMode, DiscountFacts, DiscountValue, OneTimeFacts, PlanTerms,
    ReceivedFacts, ServiceFacts, Source, Suspension, SuspensionReason, TaxTerms, UsageSegment,
};
use billing::{
    last_n_periods, text, Allowance, Currency, CycleDay, EntryKind, Money, Period, TaxRate,
};
use chrono::{Days, Duration, Months, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use engine::bill_run::statement_number;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use super::catalogue::{charge_type, ChargeType, Plan};
use super::profile::{self, Habit, ManualMethod, Profile, World, STATEMENTS_PER_ACCOUNT};
use super::rows::{next, Ids, Rows};
use super::usage::{self, ServiceUsage};

/// Statements are due three weeks after they are issued.
const PAYMENT_TERMS_DAYS: u64 = 21;
/// Autopay charges the card this many days before the due date.
const AUTOPAY_LEAD_DAYS: u64 = 3;
// The dunning story follows the engine's default `dunning_steps` (see the billing-engine
// migration), so a real dunning run after seeding takes only steps that fall due from then on:
/// a reminder this many days before the due date (to subscribers not on autopay)...
const REMINDER_BEFORE_DAYS: u64 = 3;
/// ...an overdue notice this many days after it...
const OVERDUE_NOTICE_AFTER_DAYS: u64 = 1;
/// ...a late fee this many days after it...
const LATE_FEE_AFTER_DAYS: u64 = 7;
/// ...and suspension this many days after it.
const SUSPEND_AFTER_DAYS: u64 = 14;

const USD: Currency = Currency::USD;

/// What one account added, for the summary.
pub struct Written {
    pub statements: u64,
    pub usage_days: u64,
}

/// Generates account `index` and appends its rows to `rows`, taking ids from `ids`.
pub fn write(world: &World, index: u32, ids: &mut Ids, rows: &mut Rows) -> anyhow::Result<Written> {
    let mut rng = world.account_rng(index);
    let profile = profile::draw(world, index, &mut rng);
    let writer = AccountWriter {
        world,
        tz: profile.address.jurisdiction.time_zone,
        account_id: profile.account_id(),
        p: &profile,
        rng,
        ids,
        rows,
        service_id: 0,
        owner_id: 0,
        login_id: 0,
        card_id: None,
    };
    writer
        .write()
        .with_context(|| format!("generating account {}", profile.number))
}

struct AccountWriter<'a> {
    world: &'a World,
    p: &'a Profile,
    tz: Tz,
    account_id: i64,
    rng: ChaCha8Rng,
    ids: &'a mut Ids,
    rows: &'a mut Rows,
    service_id: i64,
    owner_id: i64,
    login_id: i64,
    card_id: Option<i64>,
}

/// A statement already written, as the next one needs it.
struct Issued {
    statement_id: i64,
    due_on: NaiveDate,
    paid: bool,
}

impl AccountWriter<'_> {
    fn write(mut self) -> anyhow::Result<Written> {
        let cycle = CycleDay::new(self.p.cycle_day)?;
        let mut periods = last_n_periods(self.world.today, cycle, STATEMENTS_PER_ACCOUNT);
        periods.reverse(); // oldest first, the order they were issued in
        let suspended_on = self.suspension_day(&periods);

        let created = self.write_account(suspended_on);
        self.write_people(created);
        let address_id = self.write_address(created);
        self.write_card();
        self.write_login();
        self.write_service(address_id, created, &periods, suspended_on);

        let gaps: Vec<usage::Gap> = self
            .p
            .outages
            .iter()
            .map(|&i| self.world.outages[i].gap)
            .collect();
        let usage = usage::generate(
            &mut self.rng,
            self.p.intensity,
            self.world.window,
            &gaps,
            suspended_on,
        );
        let usage_days = self.write_usage(&usage);

        self.write_statements(&periods, cycle, &usage, suspended_on)?;
        self.write_plan_change(&periods);
        self.write_outage_events();
        self.write_ticket();
        Ok(Written {
            statements: periods.len() as u64,
            usage_days,
        })
    }

    /// A local wall-clock time on `day` in the account's zone, as UTC. A time that the
    /// clocks skip (spring forward) is taken an hour later.
    fn at(&self, day: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
        let local = day
            .and_hms_opt(hour.min(23), minute.min(59), 0)
            .unwrap_or_default();
        self.tz
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                self.tz
                    .from_local_datetime(&(local + Duration::hours(1)))
                    .earliest()
            })
            .map_or(local, |t| t.naive_utc())
    }

    /// A random minute within `hours` (inclusive) of the local day.
    fn some_time(&mut self, day: NaiveDate, hours: std::ops::RangeInclusive<u32>) -> NaiveDateTime {
        let hour = self.rng.gen_range(hours);
        let minute = self.rng.gen_range(0..60);
        self.at(day, hour, minute)
    }

    /// When service was suspended for non-payment: a week after the first missed due
    /// date of a subscriber behind by two statements. Always on or before the latest
    /// statement's issue date (periods are at least 28 days).
    fn suspension_day(&self, periods: &[Period]) -> Option<NaiveDate> {
        let first_unpaid = periods.get(periods.len().checked_sub(2)?)?;
        self.p
            .suspended
            .then(|| first_unpaid.start + Days::new(PAYMENT_TERMS_DAYS + SUSPEND_AFTER_DAYS))
    }

    fn write_account(&mut self, suspended_on: Option<NaiveDate>) -> NaiveDateTime {
        let p = self.p;
        let signed_up = p.activated_on - Days::new(self.rng.gen_range(3..=20));
        let created = self.some_time(signed_up, 9..=18);
        let updated = suspended_on.map_or(created, |day| self.at(day, 9, 0));
        self.rows
            .accounts
            .row()
            .int(self.account_id)
            .text(&p.number)
            .text(if p.suspended { "suspended" } else { "active" })
            .text(match p.kind {
                profile::Kind::Residential => "residential",
                profile::Kind::Business => "business",
            })
            .text(&p.display_name)
            .text(if p.plan.prepaid {
                "prepaid"
            } else {
                "postpaid"
            })
            .int(p.cycle_day.into())
            .text(USD.as_str())
            .text(self.tz.name())
            .text("en-US")
            .bool(p.autopay())
            // No Stripe customer: the seeded cards exist only here, not at Stripe.
            .null()
            .utc(created)
            .utc(updated)
            .end();
        created
    }

    fn write_people(&mut self, created: NaiveDateTime) {
        self.owner_id = next(&mut self.ids.person);
        let people = [
            (self.owner_id, "owner", Some(&self.p.owner)),
            (0, "billing", self.p.second.as_ref()),
        ];
        for (id, role, person) in people {
            let Some(person) = person else { continue };
            let id = if id == 0 {
                next(&mut self.ids.person)
            } else {
                id
            };
            self.rows
                .people
                .row()
                .int(id)
                .int(self.account_id)
                .text(role)
                .text(person.first)
                .text(person.last)
                .text(&person.email)
                .text(&person.phone)
                .utc(created)
                .end();
        }
    }

    fn write_address(&mut self, created: NaiveDateTime) -> i64 {
        let a = &self.p.address;
        let id = next(&mut self.ids.address);
        let technologies: Vec<&str> = a.technologies.iter().map(|t| t.as_str()).collect();
        self.rows
            .addresses
            .row()
            .int(id)
            .int(self.account_id)
            .text(&a.line1)
            .opt_text(a.line2.as_deref())
            .text(a.city.name)
            .text(a.jurisdiction.region)
            .text(&a.postal_code)
            .text("US")
            .int(a.jurisdiction.id())
            .text(&format!("{{{}}}", technologies.join(",")))
            .utc(created)
            .end();
        id
    }

    fn write_card(&mut self) {
        let Some(card) = &self.p.card else { return };
        let id = next(&mut self.ids.payment_method);
        self.card_id = Some(id);
        let saved_on = self.p.activated_on + Days::new(self.rng.gen_range(0..=30));
        let saved = self.some_time(saved_on, 8..=22);
        self.rows
            .payment_methods
            .row()
            .int(id)
            .int(self.account_id)
            .text(&format!("pm_seed_{id}"))
            .text(card.brand)
            .text(&card.last4)
            .int(card.exp_month.into())
            .int(card.exp_year.into())
            .bool(true)
            .utc(saved)
            .end();
    }

    /// The owner's portal login. Every seeded login shares one password hash: see the
    /// module documentation of `seed`.
    fn write_login(&mut self) {
        self.login_id = next(&mut self.ids.login);
        let first_visit = self.p.activated_on + Days::new(self.rng.gen_range(0..=30));
        let created = self.some_time(first_visit, 7..=22);
        self.rows
            .portal_logins
            .row()
            .int(self.login_id)
            .int(self.account_id)
            .int(self.owner_id)
            .text(&self.p.owner.email)
            .text(&self.world.password_hash)
            .bool(true)
            .utc(created)
            .utc(created)
            .end();
    }

    fn write_service(
        &mut self,
        address_id: i64,
        created: NaiveDateTime,
        periods: &[Period],
        suspended_on: Option<NaiveDate>,
    ) {
        let p = self.p;
        self.service_id = next(&mut self.ids.service);
        // A contract runs from activation, or from the change to the current plan.
        let contract_start = match &p.plan_change {
            Some(change) => periods
                .get(change.from_statement)
                .map_or(p.activated_on, |x| x.start),
            None => p.activated_on,
        };
        let contract_ends_on = (p.plan.contract_months > 0)
            .then(|| contract_start.checked_add_months(Months::new(p.plan.contract_months)))
            .flatten();
        self.rows
            .services
            .row()
            .int(self.service_id)
            .int(self.account_id)
            .int(address_id)
            .int(p.plan.id())
            .text(if p.suspended { "suspended" } else { "active" })
            .date(p.activated_on)
            .opt_date(contract_ends_on)
            .utc(created)
            .opt_text(p.suspended.then_some("non_payment"))
            .end();
        // The days it has been off (it accrues nothing for them: billing::bill, rule 8).
        if let Some(day) = suspended_on {
            let id = next(&mut self.ids.suspension);
            let at = self.at(day, 9, 0);
            self.rows
                .service_suspensions
                .row()
                .int(id)
                .int(self.service_id)
                .int(self.account_id)
                .text("non_payment")
                .date(day)
                .utc(at)
                .end();
        }
        let original = p.plan_for_statement(0);
        let activated = self.at(p.activated_on, 10, 30);
        let summary = format!("{} service activated at {}", original.name, p.address.line1);
        let detail = format!(r#"{{"plan": "{}"}}"#, original.code);
        self.event("activation", activated, &summary, &detail);
    }

    /// A row in the subscriber's timeline, about the account's service.
    fn event(&mut self, kind: &str, at: NaiveDateTime, summary: &str, detail: &str) {
        let id = next(&mut self.ids.event);
        self.rows
            .service_events
            .row()
            .int(id)
            .int(self.account_id)
            .int(self.service_id)
            .text(kind)
            .text(summary)
            .text(detail)
            .utc(at)
            .end();
    }

    fn write_usage(&mut self, usage: &ServiceUsage) -> u64 {
        let bigint = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        for day in &usage.days {
            self.rows
                .usage_daily
                .row()
                .bigint(self.service_id)
                .date(day.day)
                .bigint(bigint(day.download))
                .bigint(bigint(day.upload))
                .end();
            if let Some(hours) = &day.hourly {
                self.rows
                    .usage_hourly
                    .row()
                    .bigint(self.service_id)
                    .date(day.day)
                    .bigint_array(&hours.download.map(bigint))
                    .bigint_array(&hours.upload.map(bigint))
                    .end();
            }
        }
        usage.days.len() as u64
    }

    /// A year of statements, oldest first, each composed by [`billing::bill::compose`] from
    /// the facts of its period, as a bill run would (see the module documentation), with
    /// the engine's bookkeeping: the days each statement charged, the ledger entries it
    /// posted and the ones it showed, and the payment that settled it (if any yet).
    fn write_statements(
        &mut self,
        periods: &[Period],
        cycle: CycleDay,
        usage: &ServiceUsage,
        suspended_on: Option<NaiveDate>,
    ) -> anyhow::Result<()> {
        let jurisdiction = self.p.address.jurisdiction;
        let tax = TaxTerms {
            name: jurisdiction.tax_name.to_string(),
            rate: TaxRate::new(jurisdiction.tax_rate, false)?,
        };
        let mode = if self.p.plan.prepaid {
            BillingMode::Prepaid
        } else {
            BillingMode::Postpaid
        };
        let discounts: Vec<DiscountFacts> = self.write_discount(periods).into_iter().collect();
        let mut previous_due = Money::zero(USD);
        let mut previous: Option<Issued> = None;
        // The seeded history starts with the oldest period, as if the service had been
        // charged up to it: its first statement is an ordinary monthly one.
        let mut charged_through = periods.first().map(|p| p.start);
        // Ledger entries recorded outside a statement (payments) that none has shown yet.
        let mut pending: Vec<ReceivedFacts> = Vec::new();

        for (k, period) in periods.iter().enumerate() {
            let statement_id = next(&mut self.ids.statement);
            let issued_on = period.start;
            let number = statement_number(&self.p.number, issued_on);
            let issued_at = self.at(issued_on, 3, 0);

            let mut one_time = Vec::new();
            if let Some(prev) = &previous {
                let day = prev.due_on + Days::new(LATE_FEE_AFTER_DAYS);
                if !prev.paid && day <= issued_on {
                    one_time.push(self.one_time(charge_type("late-fee"), day, Some(statement_id)));
                    self.dunning_action(prev.statement_id, "late_fee", day);
                }
            }
            // Now and then a router dies and is replaced.
            if k > 0 && self.rng.gen_ratio(1, 80) {
                let shipped = issued_on - Days::new(self.rng.gen_range(1..=20));
                one_time.push(self.one_time(charge_type("router"), shipped, Some(statement_id)));
            }
            let (received, later): (Vec<_>, Vec<_>) = pending
                .into_iter()
                .partition(|r| r.effective_on <= issued_on);
            pending = later;
            let usage_period = period.previous(cycle);
            let mut facts = BillFacts {
                currency: USD,
                cycle_day: cycle,
                mode,
                period: *period,
                payment_terms_days: PAYMENT_TERMS_DAYS as u32,
                previous_balance: previous_due,
                services: vec![ServiceFacts {
                    id: self.service_id,
                    plan: plan_terms(self.p.plan_for_statement(k)),
                    activated_on: Some(self.p.activated_on),
                    cancelled_on: None,
                    charged_through,
                    charged: vec![],
                    refunded: vec![],
                    earlier_plans: vec![],
                    // Off from its suspension day, once that has come.
                    suspensions: suspended_on
                        .filter(|day| *day <= issued_on)
                        .map(|from| Suspension {
                            reason: SuspensionReason::NonPayment,
                            from,
                            until: None,
                        })
                        .into_iter()
                        .collect(),
                    // Rated against the plan of the period it was used in (the plan changes
                    // at a period's start); none before the seeded usage begins: the period
                    // would be incomplete.
                    usage: usage
                        .total_between(usage_period.start, usage_period.end)
                        .map(|bytes| UsageSegment {
                            days: usage_period,
                            plan: plan_terms(self.p.plan_for_statement(k.saturating_sub(1))),
                            bytes,
                            addon_bytes: 0,
                        })
                        .into_iter()
                        .collect(),
                    tax: Some(tax.clone()),
                    outages: vec![],
                }],
                one_time,
                discounts: discounts.clone(),
                received,
            };
            let mut bill =
                compose(&facts).with_context(|| format!("composing statement {number}"))?;
            if mode == BillingMode::Prepaid && bill.totals.total_due.is_positive() {
                // A prepaid subscriber tops up the period's price the day before it starts,
                // so the balance pays for the period when it is billed.
                let day = issued_on - Days::new(1);
                let at = self.some_time(day, 7..=21);
                let amount = bill.totals.total_due.amount();
                let entry = self.write_payment(statement_id, day, at, Habit::Prepaid, amount);
                facts.received.push(entry);
                bill = compose(&facts).with_context(|| format!("composing statement {number}"))?;
            }
            let totals = bill.totals;
            let due_on = bill.due_on;

            let payment = match mode {
                BillingMode::Postpaid => {
                    self.payment_for(k, periods.len(), issued_on, due_on, totals.total_due)
                }
                _ => None,
            };
            let paid_at = match &payment {
                Some((_, at, _)) => Some(*at),
                // Nothing owed: settled as soon as it was issued.
                None if !totals.total_due.is_positive() => Some(issued_at),
                None => None,
            };
            self.rows
                .statements
                .row()
                .int(statement_id)
                .int(self.account_id)
                .text(USD.as_str())
                .text(&number)
                .date(period.start)
                .date(period.end)
                .date(issued_on)
                .date(due_on)
                .dec(totals.previous_balance.amount())
                .dec(totals.charges.amount())
                .dec(totals.tax.amount())
                .dec(totals.payments.amount())
                .dec(totals.credits.amount())
                .dec(totals.total_due.amount())
                .text(if paid_at.is_some() { "paid" } else { "open" })
                .opt_utc(paid_at)
                .utc(issued_at)
                .end();
            for end in self.write_lines(statement_id, &number, issued_at, &bill) {
                charged_through = charged_through.max(Some(end));
            }

            let due_text = if totals.total_due.is_positive() {
                format!(
                    "{} due by {}",
                    text::money(totals.total_due),
                    text::day(due_on)
                )
            } else {
                "nothing to pay".to_string()
            };
            let summary = format!("Statement {number} issued: {due_text}");
            self.event(
                "statement",
                issued_at,
                &summary,
                &format!(r#"{{"statement_id": {statement_id}}}"#),
            );

            match payment {
                Some((day, at, habit)) => {
                    let amount = totals.total_due.amount();
                    let entry = self.write_payment(statement_id, day, at, habit, amount);
                    pending.push(entry);
                }
                None if paid_at.is_none() => self.write_dunning(
                    statement_id,
                    &number,
                    due_on,
                    totals.total_due.amount(),
                    suspended_on,
                    periods.len() - k,
                ),
                None => {}
            }
            previous = Some(Issued {
                statement_id,
                due_on,
                paid: paid_at.is_some(),
            });
            previous_due = totals.total_due;
        }
        Ok(())
    }

    /// One account in twenty (never the demo subscribers) has a promotion on its service
    /// for a few months of the seeded year: a percentage or a fixed amount off the plan.
    fn write_discount(&mut self, periods: &[Period]) -> Option<DiscountFacts> {
        if self.p.index < 2 || !self.rng.gen_ratio(1, 20) || periods.is_empty() {
            return None;
        }
        let valid_from = periods[self.rng.gen_range(0..periods.len())].start;
        let months = [3, 6, 12][self.rng.gen_range(0..3)];
        let valid_to = valid_from.checked_add_months(Months::new(months));
        let (description, value) = if self.rng.gen_bool(0.5) {
            let percent = [10, 15, 20, 25][self.rng.gen_range(0..4)];
            (
                format!("Loyalty offer, {percent}% off"),
                DiscountValue::Percent(Decimal::from(percent)),
            )
        } else {
            let dollars = [5, 10, 15][self.rng.gen_range(0..3)];
            (
                format!("Promotion, ${dollars} off"),
                DiscountValue::Fixed(Money::new(Decimal::from(dollars), USD)),
            )
        };
        let id = next(&mut self.ids.discount);
        let offered_on = valid_from - Days::new(self.rng.gen_range(1..=14));
        let created = self.some_time(offered_on, 9..=17);
        let (percent, amount) = match value {
            DiscountValue::Percent(p) => (Some(p), None),
            DiscountValue::Fixed(m) => (None, Some(m.amount())),
        };
        self.rows
            .discounts
            .row()
            .int(id)
            .int(self.account_id)
            .text(USD.as_str())
            .int(self.service_id)
            .text(&description)
            .opt_dec(percent)
            .opt_dec(amount)
            .date(valid_from)
            .opt_date(valid_to)
            .utc(created)
            .end();
        Some(DiscountFacts {
            id,
            description,
            service_id: Some(self.service_id),
            value,
            valid_from,
            valid_to,
        })
    }

    /// A one-off charge incurred on `on`, billed on statement `statement_id` (the next one
    /// issued): its row, and its facts for the composition.
    fn one_time(
        &mut self,
        charge: &'static ChargeType,
        on: NaiveDate,
        statement_id: Option<i64>,
    ) -> OneTimeFacts {
        let id = next(&mut self.ids.one_time_charge);
        let late_fee = charge.code == "late-fee";
        let description = format!("{} ({})", charge.name, text::day(on));
        let recorded = self.at(on, 12, 0);
        self.rows
            .one_time_charges
            .row()
            .int(id)
            .int(self.account_id)
            .text(USD.as_str())
            .int(self.service_id)
            .int(charge.id())
            .text(&description)
            .dec(charge.amount())
            .date(on)
            .opt_int(statement_id)
            .utc(recorded)
            .text(if late_fee { "late_fee" } else { "charge" })
            .end();
        OneTimeFacts {
            id,
            service_id: Some(self.service_id),
            description,
            amount: Money::new(charge.amount(), USD),
            charge_on: on,
            taxable: charge.taxable,
            late_fee,
        }
    }

    /// Pays statement `k` of `count` unless the subscriber is behind, it is the demo's
    /// latest statement, or the day it would be paid has not come yet. Returns the day,
    /// the time (UTC) and how it was paid. (Prepaid subscribers pay ahead instead.)
    fn payment_for(
        &mut self,
        k: usize,
        count: usize,
        issued_on: NaiveDate,
        due_on: NaiveDate,
        total_due: Money,
    ) -> Option<(NaiveDate, NaiveDateTime, Habit)> {
        let habit = self.p.habit;
        let (day, at) = match habit {
            Habit::Autopay => {
                let day = due_on - Days::new(AUTOPAY_LEAD_DAYS);
                (day, self.some_time(day, 5..=5))
            }
            Habit::Prepaid => return None,
            Habit::Manual { delay_days, .. } => {
                let day = issued_on + Days::new(delay_days);
                (day, self.some_time(day, 8..=22))
            }
        };
        let behind = k + self.p.unpaid_statements >= count;
        let held_back = self.p.latest_unpaid && k + 1 == count;
        let paid = total_due.is_positive() && !behind && !held_back && day < self.world.today;
        paid.then_some((day, at, habit))
    }

    /// The statement's lines as rows, with what each implies: the ledger entry it posts
    /// (keyed as the bill run keys it), the days of service it charged, the ledger entry
    /// it shows. Returns the end of each span of days charged.
    fn write_lines(
        &mut self,
        statement_id: i64,
        number: &str,
        issued_at: NaiveDateTime,
        bill: &Bill,
    ) -> Vec<NaiveDate> {
        let mut charged = Vec::new();
        for (i, line) in bill.lines.iter().enumerate() {
            let line_no = i + 1;
            let id = next(&mut self.ids.line);
            self.rows
                .statement_lines
                .row()
                .int(id)
                .int(statement_id)
                .int(line_no as i64)
                .text(line.kind.as_str())
                .text(&line.description)
                .opt_int(line.service_id)
                .opt_date(line.period.map(|p| p.start))
                .opt_date(line.period.map(|p| p.end))
                .opt_dec(line.quantity)
                .opt_dec(line.unit_price)
                .dec(line.amount.amount())
                .end();
            if let Some(kind) = line.posts {
                let key = format!("statement:{number}:{line_no}");
                self.ledger(
                    kind,
                    line.amount.amount(),
                    &line.description,
                    bill.issued_on,
                    issued_at,
                    Some(statement_id),
                    None,
                    Some(&key),
                );
            }
            match &line.source {
                Source::ServiceDays { service_id, days } => {
                    self.service_charge(*service_id, statement_id, "charge", days);
                    charged.push(days.end);
                }
                Source::Refund { service_id, days } => {
                    self.service_charge(*service_id, statement_id, "refund", days);
                }
                Source::Received(entry) => {
                    self.rows
                        .statement_ledger_entries
                        .row()
                        .int(*entry)
                        .int(statement_id)
                        .end();
                }
                // The demo declares no outages.
                Source::Usage { .. }
                | Source::OneTime(_)
                | Source::Discount { .. }
                | Source::Tax
                | Source::OutageCredit { .. } => {}
            }
        }
        charged
    }

    fn service_charge(&mut self, service_id: i64, statement_id: i64, kind: &str, days: &Period) {
        let id = next(&mut self.ids.service_charge);
        self.rows
            .service_charges
            .row()
            .int(id)
            .int(service_id)
            .int(self.account_id)
            .int(statement_id)
            .text(kind)
            .date(days.start)
            .date(days.end)
            .end();
    }

    /// A ledger entry; returns its id.
    #[allow(clippy::too_many_arguments)] // one ledger row's columns
    fn ledger(
        &mut self,
        kind: EntryKind,
        amount: Decimal,
        description: &str,
        effective_on: NaiveDate,
        posted_at: NaiveDateTime,
        statement_id: Option<i64>,
        payment_id: Option<i64>,
        idempotency_key: Option<&str>,
    ) -> i64 {
        let id = next(&mut self.ids.ledger);
        self.rows
            .ledger_entries
            .row()
            .int(id)
            .int(self.account_id)
            .text(USD.as_str())
            .text(kind.as_str())
            .dec(amount)
            .text(description)
            .date(effective_on)
            .utc(posted_at)
            .opt_int(statement_id)
            .opt_int(payment_id)
            .opt_text(idempotency_key)
            .end();
        id
    }

    /// A payment of statement `statement_id` and its ledger entry, which (as any entry
    /// recorded outside a statement) waits for the next statement to show it. Returns the
    /// entry as that statement's facts see it.
    fn write_payment(
        &mut self,
        statement_id: i64,
        day: NaiveDate,
        at: NaiveDateTime,
        habit: Habit,
        amount: Decimal,
    ) -> ReceivedFacts {
        let id = next(&mut self.ids.payment);
        let (method, card_id) = match habit {
            Habit::Autopay => ("autopay", self.card_id),
            Habit::Prepaid
            | Habit::Manual {
                method: ManualMethod::Card,
                ..
            } => ("card", self.card_id),
            Habit::Manual {
                method: ManualMethod::BankTransfer,
                ..
            } => ("bank_transfer", None),
            Habit::Manual {
                method: ManualMethod::Cheque,
                ..
            } => ("cheque", None),
        };
        self.rows
            .payments
            .row()
            .int(id)
            .int(self.account_id)
            .text(USD.as_str())
            .dec(amount)
            .text(method)
            .text("succeeded")
            .int(statement_id)
            .opt_int(card_id)
            .text(&format!("seed-payment-{id}"))
            .utc(at - Duration::seconds(2))
            .utc(at)
            .end();
        let how = match (method, &self.p.card) {
            ("autopay", Some(card)) => format!("by autopay ({})", card.label()),
            ("card", Some(card)) if card_id.is_some() => format!("by card ({})", card.label()),
            ("card", _) => "by card".to_string(),
            ("bank_transfer", _) => "by bank transfer".to_string(),
            _ => "by cheque".to_string(),
        };
        // What the statement that shows it will say.
        let what = match (habit, &self.p.card) {
            (Habit::Autopay, Some(card)) => format!("Autopay, {}", card.label()),
            (Habit::Prepaid, _) => "Top-up by card".to_string(),
            (_, _) if method == "bank_transfer" => "Bank transfer".to_string(),
            (_, _) if method == "cheque" => "Cheque".to_string(),
            _ => "Card payment".to_string(),
        };
        let description = format!("{what} received {}, thank you", text::day(day));
        let entry_id = self.ledger(
            EntryKind::Payment,
            -amount,
            &description,
            day,
            at,
            None,
            Some(id),
            None,
        );
        let summary = format!("Payment of {} received {how}", text::dollars(amount));
        self.event(
            "payment",
            at,
            &summary,
            &format!(r#"{{"payment_id": {id}, "statement_id": {statement_id}}}"#),
        );
        ReceivedFacts {
            ledger_entry_id: entry_id,
            kind: EntryKind::Payment,
            description,
            amount: Money::new(-amount, USD),
            effective_on: day,
        }
    }

    /// A dunning step the seed's story took for a statement, recorded as the engine's
    /// dunning records it so that a real dunning run does not take it again.
    fn dunning_action(&mut self, statement_id: i64, step: &str, day: NaiveDate) {
        let at = self.at(day, 9, 0);
        self.rows
            .dunning_actions
            .row()
            .int(statement_id)
            .int(self.account_id)
            .text(step)
            .date(day)
            .utc(at)
            .end();
    }

    /// An overdue notice for an unpaid statement once it is overdue, and the suspension that
    /// followed the first of two missed statements.
    fn write_dunning(
        &mut self,
        statement_id: i64,
        number: &str,
        due_on: NaiveDate,
        amount: Decimal,
        suspended_on: Option<NaiveDate>,
        // 1 for the latest statement, 2 for the one before...
        from_latest: usize,
    ) {
        let (latest, first_of_two) = (from_latest == 1, from_latest == 2);
        let before = due_on - Days::new(REMINDER_BEFORE_DAYS);
        if before < self.world.today && !matches!(self.p.habit, Habit::Autopay) {
            self.dunning_action(statement_id, "reminder", before);
        }
        let reminder_day = due_on + Days::new(OVERDUE_NOTICE_AFTER_DAYS);
        if reminder_day < self.world.today {
            let at = self.at(reminder_day, 9, 0);
            let summary = format!(
                "Payment reminder sent: statement {number} ({}) was due {}",
                text::dollars(amount),
                text::day(due_on)
            );
            self.event("dunning", at, &summary, "{}");
            self.dunning_action(statement_id, "overdue_notice", reminder_day);
        }
        // The latest statement's late fee waits for the next statement (earlier ones are
        // charged as their next statement is composed).
        let fee_day = due_on + Days::new(LATE_FEE_AFTER_DAYS);
        if latest && fee_day < self.world.today {
            self.one_time(charge_type("late-fee"), fee_day, None);
            self.dunning_action(statement_id, "late_fee", fee_day);
        }
        if let Some(day) = suspended_on.filter(|_| first_of_two) {
            let at = self.at(day, 9, 0);
            let summary = format!(
                "Service suspended: {} overdue since {}",
                text::dollars(amount),
                text::day(due_on)
            );
            self.event("suspension", at, &summary, "{}");
            self.dunning_action(statement_id, "suspension", day);
        }
    }

    fn write_plan_change(&mut self, periods: &[Period]) {
        let Some(change) = &self.p.plan_change else {
            return;
        };
        let Some(effective) = periods.get(change.from_statement) else {
            return;
        };
        let id = next(&mut self.ids.plan_change);
        let asked_on = effective.start - Days::new(self.rng.gen_range(3..=20));
        let requested = self.some_time(asked_on, 8..=22);
        let decided = self.at(effective.start, 0, 5);
        self.rows
            .plan_changes
            .row()
            .int(id)
            .int(self.service_id)
            .int(change.from.id())
            .int(self.p.plan.id())
            .date(effective.start)
            .text("applied")
            .utc(requested)
            .int(self.login_id)
            .utc(decided)
            .end();
        let summary = format!(
            "Plan changed from {} to {}",
            change.from.name, self.p.plan.name
        );
        self.event(
            "plan_change",
            decided,
            &summary,
            &format!(r#"{{"plan_change_id": {id}}}"#),
        );
    }

    fn write_outage_events(&mut self) {
        for &i in &self.p.outages {
            let outage = &self.world.outages[i];
            let gap = outage.gap;
            let start = u32::from(gap.start_hour);
            let summary = format!(
                "Outage in the {} area on {}, {} to {}, caused by {}. Service was restored.",
                outage.city.name,
                text::day(gap.day),
                text::hour(start),
                text::hour(start + u32::from(gap.hours)),
                outage.cause
            );
            let at = self.at(gap.day, start, 0);
            self.event(
                "outage",
                at,
                &summary,
                &format!(r#"{{"hours": {}}}"#, gap.hours),
            );
        }
    }

    fn write_ticket(&mut self) {
        let Some(t) = &self.p.ticket else { return };
        let today = self.world.today;
        let id = next(&mut self.ids.ticket);
        let number = format!("T-{id:06}");
        let opened_on = today - Days::new(t.opened_days_ago);
        let opened = self.some_time(opened_on, 8..=21);
        // Anything due to close today or later is still being worked on.
        let closed_on = t
            .resolved_after_days
            .map(|d| opened_on + Days::new(d))
            .filter(|d| *d < today);
        let closed = closed_on.map(|day| self.some_time(day, 9..=17));
        let status = match (closed, t.closed, t.pending) {
            (Some(_), true, _) => "closed",
            (Some(_), false, _) => "resolved",
            (None, _, true) => "pending",
            (None, _, false) => "open",
        };
        self.rows
            .tickets
            .row()
            .int(id)
            .int(self.account_id)
            .text(&number)
            .text(t.subject)
            .text(t.category)
            .text(status)
            .text(t.priority)
            .int(self.owner_id)
            .utc(opened)
            .utc(closed.unwrap_or(opened))
            .opt_utc(closed)
            .end();
        let message_id = next(&mut self.ids.ticket_message);
        self.rows
            .ticket_messages
            .row()
            .int(message_id)
            .int(id)
            .int(self.login_id)
            .text(t.body)
            .utc(opened)
            .end();
        let detail = format!(r#"{{"ticket_id": {id}}}"#);
        self.event(
            "ticket",
            opened,
            &format!("Ticket {number} opened: {}", t.subject),
            &detail,
        );
        if let Some(at) = closed {
            self.event(
                "ticket",
                at,
                &format!("Ticket {number} resolved: {}", t.subject),
                &detail,
            );
        }
    }
}

/// A plan as [`compose`] needs it. The seed's prices exclude tax (US style).
fn plan_terms(plan: &Plan) -> PlanTerms {
    PlanTerms {
        name: plan.name.to_string(),
        monthly_price: Money::new(plan.monthly_price(), USD),
        price_includes_tax: false,
        allowance: Allowance::from_optional_gb(plan.allowance_gb),
        overage_per_gb: plan.overage_per_gb().map(|p| Money::new(p, USD)),
    }
}

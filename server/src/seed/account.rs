//! One subscriber account and everything that hangs off it, written as rows: the people,
//! the address, the saved card, the login, the service and its usage, a year of statements
//! with their payments and ledger entries, and the service history.
//!
//! The money follows the billing crate's rules exactly as a bill run would apply them, so
//! the seeded figures are ones the portal can recompute: a statement's lines come from
//! [`billing::rate_usage`] and [`billing::apply_tax`] and its totals from
//! [`billing::Totals::compute`]; every charge, tax and payment is also a ledger entry, so an
//! account's balance (the sum of its ledger) is its latest statement's total due minus
//! whatever was paid after that statement.

use anyhow::Context;
use billing::{
    apply_tax, last_n_periods, rate_usage, Allowance, Currency, CycleDay, EntryKind, Line,
    LineKind, Money, Period, TaxRate, Totals,
};
use chrono::{Days, Duration, Months, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use super::catalogue::{charge_type, ChargeType};
use super::profile::{self, Habit, ManualMethod, Profile, World, STATEMENTS_PER_ACCOUNT};
use super::rows::{next, Ids, Rows};
use billing::text;
use super::usage::{self, ServiceUsage};

/// Statements are due three weeks after they are issued.
const PAYMENT_TERMS_DAYS: u64 = 21;
/// Autopay charges the card this many days before the due date.
const AUTOPAY_LEAD_DAYS: u64 = 3;
/// A reminder goes out this many days after a missed due date...
const REMINDER_AFTER_DAYS: u64 = 3;
/// ...and service is suspended this many days after it.
const SUSPEND_AFTER_DAYS: u64 = 7;

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

/// A statement line before it has an id, with what else it implies.
struct Draft {
    kind: LineKind,
    description: String,
    period: Option<Period>,
    quantity: Option<Decimal>,
    unit_price: Option<Decimal>,
    amount: Decimal,
    taxable: bool,
    /// The ledger entry that records the line, if it adds to the balance.
    ledger: Option<EntryKind>,
    /// A one-off charge the line bills, and the day it arose.
    one_time: Option<(&'static ChargeType, NaiveDate)>,
}

/// A statement already written, as the next one needs it.
struct Issued {
    issued_on: NaiveDate,
    due_on: NaiveDate,
    paid: bool,
}

/// A payment received.
struct Received {
    day: NaiveDate,
    amount: Decimal,
    habit: Habit,
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
        self.write_service(address_id, created, &periods);

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

    fn write_service(&mut self, address_id: i64, created: NaiveDateTime, periods: &[Period]) {
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
            .end();
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

    /// A year of statements, oldest first, each with its ledger entries and the payment
    /// that settled it (if any yet).
    fn write_statements(
        &mut self,
        periods: &[Period],
        cycle: CycleDay,
        usage: &ServiceUsage,
        suspended_on: Option<NaiveDate>,
    ) -> anyhow::Result<()> {
        let jurisdiction = self.p.address.jurisdiction;
        let tax_rate = TaxRate::new(jurisdiction.tax_rate, false)?;
        let mut previous_due = Money::zero(USD);
        let mut previous: Option<Issued> = None;
        let mut received: Vec<Received> = Vec::new();

        for (k, period) in periods.iter().enumerate() {
            let statement_id = next(&mut self.ids.statement);
            let issued_on = period.start;
            let due_on = issued_on + Days::new(PAYMENT_TERMS_DAYS);
            let number = format!("S-{}-{}", self.p.number, issued_on.format("%Y%m"));
            let issued_at = self.at(issued_on, 3, 0);

            let mut drafts = vec![self.recurring_line(k, period)];
            drafts.extend(self.usage_line(k, period.previous(cycle), usage));
            if let Some(prev) = &previous {
                if !prev.paid && prev.due_on < issued_on {
                    drafts.push(one_time_line(
                        charge_type("late-fee"),
                        prev.due_on + Days::new(1),
                    ));
                }
            }
            // Now and then a router dies and is replaced.
            if k > 0 && self.rng.gen_ratio(1, 80) {
                let shipped = issued_on - Days::new(self.rng.gen_range(1..=20));
                drafts.push(one_time_line(charge_type("router"), shipped));
            }
            drafts.extend(tax_line(&drafts, jurisdiction.tax_name, &tax_rate));
            if let Some(prev) = &previous {
                for payment in received
                    .iter()
                    .filter(|r| prev.issued_on <= r.day && r.day < issued_on)
                {
                    drafts.push(payment_line(payment, self.p.card.as_ref()));
                }
            }

            let lines: Vec<Line> = drafts
                .iter()
                .map(|d| Line {
                    kind: d.kind,
                    description: d.description.clone(),
                    amount: Money::new(d.amount, USD),
                })
                .collect();
            let totals = Totals::compute(previous_due, &lines)
                .with_context(|| format!("statement {number} does not add up"))?;

            let payment = self.payment_for(k, periods.len(), issued_on, due_on, totals.total_due);
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
            self.write_lines(statement_id, issued_on, issued_at, &drafts);

            let due_text = if totals.total_due.is_positive() {
                format!(
                    "{} due by {}",
                    text::dollars(totals.total_due.amount()),
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
                    self.write_payment(statement_id, day, at, habit, amount);
                    received.push(Received { day, amount, habit });
                }
                None if paid_at.is_none() => self.write_dunning(
                    &number,
                    due_on,
                    totals.total_due.amount(),
                    suspended_on,
                    k + 2 == periods.len(),
                ),
                None => {}
            }
            previous = Some(Issued {
                issued_on,
                due_on,
                paid: paid_at.is_some(),
            });
            previous_due = totals.total_due;
        }
        Ok(())
    }

    fn recurring_line(&self, k: usize, period: &Period) -> Draft {
        let plan = self.p.plan_for_statement(k);
        Draft {
            kind: LineKind::Recurring,
            description: format!("{}, {}", plan.name, text::period(period)),
            period: Some(*period),
            quantity: Some(Decimal::ONE),
            unit_price: Some(plan.monthly_price()),
            amount: plan.monthly_price(),
            taxable: true,
            ledger: Some(EntryKind::Charge),
            one_time: None,
        }
    }

    /// Overage for the period before statement `k`, on plans that charge for it. Left off
    /// when that period starts before the seeded usage does (the oldest statement, mostly):
    /// its usage would be incomplete.
    fn usage_line(&self, k: usize, used_in: Period, usage: &ServiceUsage) -> Option<Draft> {
        let plan = self.p.plan_for_statement(k.saturating_sub(1));
        let (gb, price) = (plan.allowance_gb?, plan.overage_per_gb()?);
        let used = usage.total_between(used_in.start, used_in.end)?;
        let rating = rate_usage(used, Allowance::Gigabytes(gb), Some(Money::new(price, USD)));
        let included = format!("{} GB included", text::count(gb.into()));
        let description = if rating.overage_gb > 0 {
            format!(
                "Data usage {}: {} of {included}; {} started GB over at {}/GB",
                text::period(&used_in),
                text::gigabytes(used),
                text::count(rating.overage_gb.into()),
                text::dollars(price)
            )
        } else {
            format!(
                "Data usage {}: {} of {included}",
                text::period(&used_in),
                text::gigabytes(used)
            )
        };
        Some(Draft {
            kind: LineKind::Usage,
            description,
            period: Some(used_in),
            quantity: Some(Decimal::from(rating.overage_gb)),
            unit_price: Some(price),
            amount: rating.charge_or_zero(USD).amount(),
            taxable: true,
            ledger: Some(EntryKind::Charge),
            one_time: None,
        })
    }

    /// Pays statement `k` of `count` unless the subscriber is behind, it is the demo's
    /// latest statement, or the day it would be paid has not come yet. Returns the day,
    /// the time (UTC) and how it was paid.
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
            Habit::Prepaid => (issued_on, self.some_time(issued_on, 7..=21)),
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

    fn write_lines(
        &mut self,
        statement_id: i64,
        issued_on: NaiveDate,
        issued_at: NaiveDateTime,
        drafts: &[Draft],
    ) {
        for (i, d) in drafts.iter().enumerate() {
            let id = next(&mut self.ids.line);
            self.rows
                .statement_lines
                .row()
                .int(id)
                .int(statement_id)
                .int(i as i64 + 1)
                .text(d.kind.as_str())
                .text(&d.description)
                .opt_int(
                    matches!(
                        d.kind,
                        LineKind::Recurring | LineKind::Usage | LineKind::OneTime
                    )
                    .then_some(self.service_id),
                )
                .opt_date(d.period.map(|p| p.start))
                .opt_date(d.period.map(|p| p.end))
                .opt_dec(d.quantity)
                .opt_dec(d.unit_price)
                .dec(d.amount)
                .end();
            if let Some((charge, on)) = d.one_time {
                let charge_id = next(&mut self.ids.one_time_charge);
                let recorded = self.at(on, 12, 0);
                self.rows
                    .one_time_charges
                    .row()
                    .int(charge_id)
                    .int(self.account_id)
                    .text(USD.as_str())
                    .int(self.service_id)
                    .int(charge.id())
                    .text(&d.description)
                    .dec(d.amount)
                    .date(on)
                    .int(statement_id)
                    .utc(recorded)
                    .end();
            }
            // The ledger accepts only positive charges; a zero line (usage within the
            // allowance) changes no balance and has no entry.
            if let Some(kind) = d.ledger.filter(|_| d.amount > Decimal::ZERO) {
                self.ledger(
                    kind,
                    d.amount,
                    &d.description,
                    issued_on,
                    issued_at,
                    Some(statement_id),
                    None,
                );
            }
        }
    }

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
    ) {
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
            .end();
    }

    fn write_payment(
        &mut self,
        statement_id: i64,
        day: NaiveDate,
        at: NaiveDateTime,
        habit: Habit,
        amount: Decimal,
    ) {
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
        let entry = if method == "autopay" {
            "Autopay payment, thank you"
        } else {
            "Payment received, thank you"
        };
        self.ledger(
            EntryKind::Payment,
            -amount,
            entry,
            day,
            at,
            Some(statement_id),
            Some(id),
        );
        let summary = format!("Payment of {} received {how}", text::dollars(amount));
        self.event(
            "payment",
            at,
            &summary,
            &format!(r#"{{"payment_id": {id}, "statement_id": {statement_id}}}"#),
        );
    }

    /// A reminder for an unpaid statement once it is overdue, and the suspension that
    /// followed the first of two missed statements.
    fn write_dunning(
        &mut self,
        number: &str,
        due_on: NaiveDate,
        amount: Decimal,
        suspended_on: Option<NaiveDate>,
        first_of_two: bool,
    ) {
        let reminder_day = due_on + Days::new(REMINDER_AFTER_DAYS);
        if reminder_day < self.world.today {
            let at = self.at(reminder_day, 9, 0);
            let summary = format!(
                "Payment reminder sent: statement {number} ({}) was due {}",
                text::dollars(amount),
                text::day(due_on)
            );
            self.event("dunning", at, &summary, "{}");
        }
        if let Some(day) = suspended_on.filter(|_| first_of_two) {
            let at = self.at(day, 9, 0);
            let summary = format!(
                "Service suspended: {} overdue since {}",
                text::dollars(amount),
                text::day(due_on)
            );
            self.event("suspension", at, &summary, "{}");
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

fn one_time_line(charge: &'static ChargeType, on: NaiveDate) -> Draft {
    Draft {
        kind: LineKind::OneTime,
        description: format!("{} ({})", charge.name, text::day(on)),
        period: None,
        quantity: Some(Decimal::ONE),
        unit_price: Some(charge.amount()),
        amount: charge.amount(),
        taxable: charge.taxable,
        ledger: Some(if charge.code == "late-fee" {
            EntryKind::LateFee
        } else {
            EntryKind::Charge
        }),
        one_time: Some((charge, on)),
    }
}

/// Sales tax on the taxable lines, as one line; none where the rate is zero.
fn tax_line(drafts: &[Draft], tax_name: &str, rate: &TaxRate) -> Option<Draft> {
    let base: Decimal = drafts.iter().filter(|d| d.taxable).map(|d| d.amount).sum();
    let split = apply_tax(Money::new(base, USD), rate);
    split.tax.is_positive().then(|| Draft {
        kind: LineKind::Tax,
        description: format!(
            "{tax_name} {} on {}",
            text::percent(rate.rate),
            text::dollars(base)
        ),
        period: None,
        quantity: None,
        unit_price: None,
        amount: split.tax.amount(),
        taxable: false,
        ledger: Some(EntryKind::Tax),
        one_time: None,
    })
}

/// A payment received since the previous statement, as a (negative) line. Its ledger entry
/// was written when it was received.
fn payment_line(payment: &Received, card: Option<&profile::Card>) -> Draft {
    let how = match (payment.habit, card) {
        (Habit::Autopay, Some(card)) => format!("Autopay, {}", card.label()),
        (
            Habit::Manual {
                method: ManualMethod::BankTransfer,
                ..
            },
            _,
        ) => "Bank transfer".to_string(),
        (
            Habit::Manual {
                method: ManualMethod::Cheque,
                ..
            },
            _,
        ) => "Cheque".to_string(),
        _ => "Card payment".to_string(),
    };
    Draft {
        kind: LineKind::Payment,
        description: format!("{how} received {}, thank you", text::day(payment.day)),
        period: None,
        quantity: None,
        unit_price: None,
        amount: -payment.amount,
        taxable: false,
        ledger: None,
        one_time: None,
    }
}

//! Statements composed from hand-made facts. Every expected amount is worked out in the
//! comment beside it, not by calling the code under test.

use super::*;
use rust_decimal_macros::dec;

const USD: Currency = Currency::USD;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn usd(amount: Decimal) -> Money {
    Money::new(amount, USD)
}

fn cycle(day: u8) -> CycleDay {
    CycleDay::new(day).expect("valid cycle day")
}

fn plan(price: Decimal) -> PlanTerms {
    PlanTerms {
        name: "Cable 300".into(),
        monthly_price: usd(price),
        price_includes_tax: false,
        allowance: Allowance::Gigabytes(1000),
        overage_per_gb: Some(usd(dec!(2.00))),
    }
}

fn sales_tax() -> Option<TaxTerms> {
    Some(TaxTerms {
        name: "Sales tax".into(),
        rate: TaxRate::new(dec!(0.0825), false).expect("rate"),
    })
}

fn service(price: Decimal) -> ServiceFacts {
    ServiceFacts {
        id: 7,
        plan: plan(price),
        activated_on: Some(d(2025, 1, 5)),
        cancelled_on: None,
        charged_through: Some(d(2026, 11, 5)),
        charged: vec![],
        refunded: vec![],
        earlier_plans: vec![],
        suspensions: vec![],
        usage: whole_period(&plan(price), 0),
        tax: None,
        outages: vec![],
    }
}

/// Usage on one plan over any usage period (`compose` keeps the usage period's days).
fn whole_period(plan: &PlanTerms, bytes: u64) -> Vec<UsageSegment> {
    vec![UsageSegment {
        days: Period {
            start: d(2000, 1, 1),
            end: d(2100, 1, 1),
        },
        plan: plan.clone(),
        bytes,
        addon_bytes: 0,
    }]
}

fn facts(day: u8, period_start: NaiveDate, services: Vec<ServiceFacts>) -> BillFacts {
    let day = cycle(day);
    BillFacts {
        currency: USD,
        cycle_day: day,
        mode: BillingMode::Postpaid,
        period: period_containing(period_start, day),
        payment_terms_days: 21,
        previous_balance: Money::zero(USD),
        services,
        one_time: vec![],
        discounts: vec![],
        received: vec![],
    }
}

fn amounts(bill: &Bill) -> Vec<(LineKind, Decimal)> {
    bill.lines
        .iter()
        .map(|l| (l.kind, l.amount.amount()))
        .collect()
}

#[test]
fn a_regular_month_charges_in_advance_rates_usage_taxes_and_shows_payments() {
    let mut s = service(dec!(60.00));
    s.tax = sales_tax();
    // 1,004.4 GB against 1,000 GB: 4.4 GB over, 5 started gigabytes at $2.00 = $10.00.
    s.usage = whole_period(&s.plan, 1_004_400_000_000);
    let mut f = facts(5, d(2026, 11, 5), vec![s]);
    f.previous_balance = usd(dec!(65.00));
    f.received.push(ReceivedFacts {
        ledger_entry_id: 9,
        kind: EntryKind::Payment,
        description: "Payment, thank you".into(),
        amount: usd(dec!(-65.00)),
        effective_on: d(2026, 10, 20),
    });
    let bill = compose(&f).expect("composes");

    // Tax on the sum: (60.00 + 10.00) × 8.25% = 5.775, rounded half away from zero: 5.78.
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(60.00)),
            (LineKind::Usage, dec!(10.00)),
            (LineKind::Tax, dec!(5.78)),
            (LineKind::Payment, dec!(-65.00)),
        ]
    );
    // 65.00 + 60.00 + 10.00 + 5.78 − 65.00
    assert_eq!(bill.totals.total_due.amount(), dec!(75.78));
    assert_eq!(bill.totals.charges.amount(), dec!(70.00));
    assert_eq!(bill.issued_on, d(2026, 11, 5));
    assert_eq!(bill.due_on, d(2026, 11, 26)); // 21 days later
    assert_eq!(bill.lines[0].description, "Cable 300, Nov 5 – Dec 4, 2026");
    assert_eq!(
        bill.lines[1].description,
        "Data usage Oct 5 – Nov 4, 2026: 1,004.4 GB of 1,000 GB included; 5 started GB over at $2.00/GB"
    );
    assert_eq!(bill.lines[2].description, "Sales tax 8.25%");
    // Each line's working, in figures (what "How this was worked out" shows).
    let working = |i: usize| bill.lines[i].working.as_deref();
    assert_eq!(
        working(0),
        Some("A whole period of Cable 300 at $60.00 a month = $60.00")
    );
    assert_eq!(
        working(1),
        Some("1,004.4 GB used − 1,000 GB included: 5 started GB over × $2.00 = $10.00")
    );
    assert_eq!(working(2), Some("8.25% of $70.00 taxed = $5.78"));
    assert_eq!(working(3), None, "a payment says what it is");
    assert_eq!(bill.lines[0].posts, Some(EntryKind::Charge));
    assert_eq!(bill.lines[2].posts, Some(EntryKind::Tax));
    assert_eq!(
        bill.lines[3].posts, None,
        "a payment is already in the ledger"
    );
    assert_eq!(bill.lines[3].source, Source::Received(9));
}

#[test]
fn activation_mid_period_is_prorated_by_day_and_billed_with_the_next_period() {
    let mut s = service(dec!(60.00));
    s.activated_on = Some(d(2026, 10, 20));
    s.charged_through = None;
    s.usage = whole_period(&s.plan, 500_000_000_000);
    let bill = compose(&facts(5, d(2026, 11, 5), vec![s])).expect("composes");
    // Oct 20 – Nov 4 is 16 of the 31 days of Oct 5 – Nov 4: 60 × 16 / 31 = 30.9677… → 30.97.
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(30.97)),
            (LineKind::Recurring, dec!(60.00)),
            (LineKind::Usage, dec!(0.00)),
        ]
    );
    assert_eq!(
        bill.lines[0].description,
        "Cable 300, Oct 20 – Nov 4, 2026 (16 of 31 days)"
    );
    assert_eq!(
        bill.lines[0].working.as_deref(),
        Some("16 of 31 days of Cable 300 at $60.00 a month: $60.00 × 16 ÷ 31 = $30.97")
    );
    // 500 GB of 1,000 GB: nothing over.
    assert_eq!(
        bill.lines[2].working.as_deref(),
        Some("500.0 GB used, within the 1,000 GB included: nothing to pay")
    );
    // Usage counts from activation; within the allowance it costs nothing and posts nothing.
    assert_eq!(
        bill.lines[2].period,
        Some(Period {
            start: d(2026, 10, 20),
            end: d(2026, 11, 5)
        })
    );
    assert_eq!(bill.lines[2].posts, None);
    assert_eq!(bill.totals.total_due.amount(), dec!(90.97));
}

#[test]
fn cycle_day_31_in_february_and_cycle_day_30_on_29_february() {
    // Cycle day 31 in 2027: the February anchor is the 28th; Jan 31 – Feb 27 has 28 days.
    let mut s = service(dec!(60.00));
    s.activated_on = Some(d(2027, 2, 10));
    s.charged_through = None;
    s.usage = vec![];
    let bill = compose(&facts(31, d(2027, 2, 28), vec![s.clone()])).expect("composes");
    assert_eq!(
        bill.period,
        Period {
            start: d(2027, 2, 28),
            end: d(2027, 3, 31)
        }
    );
    // Feb 10 – Feb 27: 18 of 28 days: 60 × 18 / 28 = 38.5714… → 38.57; then Feb 28 – Mar 30
    // in full.
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(38.57)),
            (LineKind::Recurring, dec!(60.00))
        ]
    );

    // Cycle day 30 in leap 2028: the anchor is Feb 29; Jan 30 – Feb 28 has 30 days.
    s.activated_on = Some(d(2028, 2, 15));
    let bill = compose(&facts(30, d(2028, 2, 29), vec![s])).expect("composes");
    assert_eq!(
        bill.period,
        Period {
            start: d(2028, 2, 29),
            end: d(2028, 3, 30)
        }
    );
    // Feb 15 – Feb 28: 14 of 30 days: 60 × 14 / 30 = 28.00.
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(28.00)),
            (LineKind::Recurring, dec!(60.00))
        ]
    );
    assert_eq!(bill.lines[1].period.map(|p| p.days()), Some(30)); // Feb 29 – Mar 29
}

#[test]
fn cancellation_mid_period_refunds_the_unused_days_with_their_tax() {
    let mut s = service(dec!(60.00));
    s.tax = sales_tax();
    s.charged_through = Some(d(2026, 12, 5));
    s.cancelled_on = Some(d(2026, 11, 20));
    s.usage = whole_period(&s.plan, 0);
    let bill = compose(&facts(5, d(2026, 12, 5), vec![s])).expect("composes");
    // Nothing more to charge. Nov 20 – Dec 4 is 15 of 30 days: 60 × 15 / 30 = 30.00, plus
    // the 8.25% paid on it (2.475 → 2.48): a credit of 32.48. Usage covers Nov 5 – 19.
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Credit, dec!(-32.48)),
            (LineKind::Usage, dec!(0.00))
        ]
    );
    assert_eq!(
        bill.lines[1].period,
        Some(Period {
            start: d(2026, 11, 5),
            end: d(2026, 11, 20)
        })
    );
    assert_eq!(bill.totals.total_due.amount(), dec!(-32.48));
    assert_eq!(
        bill.lines[0].working.as_deref(),
        Some("15 days already charged for, given back as what was paid for them, with its tax: $32.48")
    );
    assert!(bill.settled_on_issue());
}

/// A plan with a data allowance and an overage price.
fn capped(name: &str, gb: Option<u32>, price: Decimal, per_gb: Decimal) -> PlanTerms {
    PlanTerms {
        name: name.into(),
        monthly_price: usd(price),
        price_includes_tax: false,
        allowance: Allowance::from_optional_gb(gb),
        overage_per_gb: gb.map(|_| usd(per_gb)),
    }
}

fn segment(plan: &PlanTerms, from: NaiveDate, to: NaiveDate, gb: u64) -> UsageSegment {
    UsageSegment {
        days: Period {
            start: from,
            end: to,
        },
        plan: plan.clone(),
        bytes: gb * crate::usage::BYTES_PER_GB,
        addon_bytes: 0,
    }
}

const GB: u64 = crate::usage::BYTES_PER_GB;

#[test]
fn usage_on_two_plans_is_rated_against_each_plan_with_its_allowance_prorated_by_days() {
    // Fibre 1500 until Nov 29, Fibre 1000 from Nov 30 (an immediate change); the usage
    // period is Nov 5 – Dec 4, 30 days: 25 on the old plan, 5 on the new.
    let old = capped("Fibre 1500", Some(1500), dec!(90.00), dec!(2.00));
    let new = capped("Fibre 1000", Some(1000), dec!(70.00), dec!(2.00));
    let mut s = service(dec!(70.00));
    s.plan = new.clone();
    s.charged_through = Some(d(2026, 12, 5));
    s.usage = vec![
        segment(&old, d(2026, 11, 5), d(2026, 11, 30), 1_092),
        segment(&new, d(2026, 11, 30), d(2026, 12, 5), 40),
    ];
    let mut f = facts(5, d(2026, 12, 5), vec![s]);
    let bill = compose(&f).expect("composes");
    // Shares: 1,500 × 25 / 30 = 1,250 GB and 1,000 × 5 / 30 = 166.67 GB. 1,092 GB and
    // 40 GB are within them: no overage. (Against the new plan alone, 1,132 GB would be
    // 133 started GB over, $266.00.)
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(70.00)),
            (LineKind::Usage, dec!(0.00)),
            (LineKind::Usage, dec!(0.00)),
        ]
    );
    assert_eq!(
        bill.lines[1].description,
        "Data usage Nov 5 – Nov 29, 2026 on Fibre 1500: 1,092.0 GB of 1,250.0 GB included \
         (25 of 30 days of 1,500 GB)"
    );
    assert_eq!(
        bill.lines[2].description,
        "Data usage Nov 30 – Dec 4, 2026 on Fibre 1000: 40.0 GB of 166.7 GB included \
         (5 of 30 days of 1,000 GB)"
    );

    // 200 GB in the last 5 days: 200 − 166.67 = 33.33 GB over, 34 started GB × $2.00.
    f.services[0].usage[1] = segment(&new, d(2026, 11, 30), d(2026, 12, 5), 200);
    let bill = compose(&f).expect("composes");
    assert_eq!(bill.lines[2].amount.amount(), dec!(68.00));
    assert_eq!(bill.lines[2].quantity, Some(dec!(34)));
    assert_eq!(bill.lines[1].amount.amount(), dec!(0.00));
}

#[test]
fn a_data_addon_raises_its_cycles_allowance_and_is_charged_once_with_tax() {
    // A 1,000 GB plan at $70.00 and $0.50 per GB over, 8.25% sales tax; the usage period
    // Nov 5 – Dec 4 used 1,150 GB, and a 100 GB add-on was bought on Nov 20 for $25.00.
    let fibre = capped("Fibre 1000", Some(1000), dec!(70.00), dec!(0.50));
    let mut s = service(dec!(70.00));
    s.plan = fibre.clone();
    s.tax = sales_tax();
    s.charged_through = Some(d(2026, 12, 5));
    s.usage = vec![segment(&fibre, d(2026, 11, 5), d(2026, 12, 5), 1_150)];
    let without = facts(5, d(2026, 12, 5), vec![s.clone()]);
    s.usage[0].addon_bytes = 100 * GB;
    let mut with = facts(5, d(2026, 12, 5), vec![s]);
    with.one_time.push(OneTimeFacts {
        id: 31,
        service_id: Some(7),
        description: "Data add-on: 100 GB for Nov 5 – Dec 4, 2026".into(),
        amount: usd(dec!(25.00)),
        charge_on: d(2026, 11, 20),
        taxable: true,
        late_fee: false,
    });

    // Without it: 150 started GB over × $0.50 = $75.00; tax 8.25% × (70.00 + 75.00) =
    // 11.9625 → $11.96; $156.96 in all.
    let bill = compose(&without).expect("composes");
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(70.00)),
            (LineKind::Usage, dec!(75.00)),
            (LineKind::Tax, dec!(11.96)),
        ]
    );
    assert_eq!(bill.totals.total_due.amount(), dec!(156.96));

    // With it: 1,100 GB included, 50 GB over × $0.50 = $25.00, the add-on $25.00; tax
    // 8.25% × (70.00 + 25.00 + 25.00) = 8.25% × 120.00 = $9.90; $129.90 in all.
    let bill = compose(&with).expect("composes");
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(70.00)),
            (LineKind::Usage, dec!(25.00)),
            (LineKind::OneTime, dec!(25.00)),
            (LineKind::Tax, dec!(9.90)),
        ]
    );
    assert_eq!(bill.totals.total_due.amount(), dec!(129.90));
    assert_eq!(
        bill.lines[1].description,
        "Data usage Nov 5 – Dec 4, 2026: 1,150.0 GB of 1,000 GB included + 100.0 GB of data \
         add-ons; 50 started GB over at $0.50/GB"
    );
    assert_eq!(bill.lines[2].source, Source::OneTime(31));

    // An add-on is for its own cycle only: the next statement rates the next period's
    // 1,050 GB against 1,000 GB (50 GB over, $25.00) and has no add-on to charge.
    let mut next = with.clone();
    next.period = Period {
        start: d(2027, 1, 5),
        end: d(2027, 2, 5),
    };
    next.one_time.clear();
    next.services[0].charged_through = Some(d(2027, 1, 5));
    next.services[0].usage = vec![segment(&fibre, d(2026, 12, 5), d(2027, 1, 5), 1_050)];
    let bill = compose(&next).expect("composes");
    assert_eq!(bill.lines[1].amount.amount(), dec!(25.00));
}

#[test]
fn an_add_on_paid_now_is_shown_as_posted_and_not_charged_again() {
    // The same cycle as above, the add-on paid by card on Nov 20: its $25.00 and the tax
    // on it alone, 8.25% × 25.00 = 2.0625 → $2.06, were posted that day, and the card paid
    // $27.06. The one-time charge is not among the facts (it is posted, not billed).
    let fibre = capped("Fibre 1000", Some(1000), dec!(70.00), dec!(0.50));
    let mut s = service(dec!(70.00));
    s.plan = fibre.clone();
    s.tax = sales_tax();
    s.charged_through = Some(d(2026, 12, 5));
    s.usage = vec![segment(&fibre, d(2026, 11, 5), d(2026, 12, 5), 1_150)];
    s.usage[0].addon_bytes = 100 * GB;
    let mut f = facts(5, d(2026, 12, 5), vec![s]);
    let posted = [
        (
            41,
            EntryKind::Charge,
            "Data add-on: 100 GB for Nov 5 – Dec 4, 2026",
            dec!(25.00),
        ),
        (
            42,
            EntryKind::Tax,
            "Sales tax 8.25% on the data add-on",
            dec!(2.06),
        ),
        (
            43,
            EntryKind::Payment,
            "Card payment from Visa ending 4242, thank you",
            dec!(-27.06),
        ),
    ];
    for (id, kind, description, amount) in posted {
        f.received.push(ReceivedFacts {
            ledger_entry_id: id,
            kind,
            description: description.into(),
            amount: usd(amount),
            effective_on: d(2026, 11, 20),
        });
    }
    let bill = compose(&f).expect("composes");
    // 50 GB over × $0.50 = $25.00; the statement's tax is on 70.00 + 25.00 = 95.00 only:
    // 7.8375 → $7.84. Then the add-on and its tax as posted, and the payment.
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(70.00)),
            (LineKind::Usage, dec!(25.00)),
            (LineKind::Tax, dec!(7.84)),
            (LineKind::OneTime, dec!(25.00)),
            (LineKind::Tax, dec!(2.06)),
            (LineKind::Payment, dec!(-27.06)),
        ]
    );
    // Charges 70.00 + 25.00 + 25.00 = 120.00; tax 7.84 + 2.06 = 9.90; the card's 27.06
    // leaves 70.00 + 25.00 + 7.84 = $102.84 due.
    assert_eq!(bill.totals.charges.amount(), dec!(120.00));
    assert_eq!(bill.totals.tax.amount(), dec!(9.90));
    assert_eq!(bill.totals.total_due.amount(), dec!(102.84));
    for line in &bill.lines[3..] {
        assert_eq!(
            line.posts, None,
            "already in the ledger: {}",
            line.description
        );
    }
    assert_eq!(bill.lines[3].source, Source::Received(41));
    assert_eq!(bill.lines[4].source, Source::Received(42));

    // Declined: no payment; the $27.06 posted is due with this statement, $129.90 in all.
    f.received.pop();
    let bill = compose(&f).expect("composes");
    assert_eq!(bill.totals.total_due.amount(), dec!(129.90));
}

#[test]
fn usage_before_a_change_at_the_cycle_is_rated_against_the_plan_it_was_used_on() {
    // A downgrade from 750 GB to 500 GB (both $1.00 per GB over) took effect on the issue
    // date: the whole usage period was on the 750 GB plan.
    let old = capped("Cable 750", Some(750), dec!(60.00), dec!(1.00));
    let new = capped("Cable 500", Some(500), dec!(45.00), dec!(1.00));
    let mut s = service(dec!(45.00));
    s.plan = new;
    s.usage = vec![segment(&old, d(2026, 10, 5), d(2026, 11, 5), 905)];
    let bill = compose(&facts(5, d(2026, 11, 5), vec![s])).expect("composes");
    // 905 − 750 = 155 started GB × $1.00 = $155.00 (against 500 GB it would be $405.00).
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(45.00)),
            (LineKind::Usage, dec!(155.00)),
        ]
    );
    assert_eq!(
        bill.lines[1].description,
        "Data usage Oct 5 – Nov 4, 2026 on Cable 750: 905.0 GB of 750 GB included; \
         155 started GB over at $1.00/GB"
    );

    // 1,092 GB on a 1,500 GB plan, then moved to 1,000 GB at the cycle: no overage.
    let old = capped("Fibre 1500", Some(1500), dec!(90.00), dec!(2.00));
    let mut s = service(dec!(70.00));
    s.plan = capped("Fibre 1000", Some(1000), dec!(70.00), dec!(2.00));
    s.usage = vec![segment(&old, d(2026, 10, 5), d(2026, 11, 5), 1_092)];
    let bill = compose(&facts(5, d(2026, 11, 5), vec![s])).expect("composes");
    assert_eq!(bill.lines[1].amount.amount(), dec!(0.00));
}

#[test]
fn days_on_an_unlimited_plan_are_never_charged_overage_before_or_after_a_change() {
    let capped_plan = capped("Cable 750", Some(750), dec!(60.00), dec!(1.00));
    let unlimited = capped("Fibre Unlimited", None, dec!(95.00), dec!(0));
    // Upgraded to unlimited on Nov 25: 20 of the 30 days (Nov 5 – 24) on 750 GB with
    // 800 GB used, 10 days unlimited with 500 GB.
    let mut s = service(dec!(95.00));
    s.plan = unlimited.clone();
    s.charged_through = Some(d(2026, 12, 5));
    s.usage = vec![
        segment(&capped_plan, d(2026, 11, 5), d(2026, 11, 25), 800),
        segment(&unlimited, d(2026, 11, 25), d(2026, 12, 5), 500),
    ];
    let bill = compose(&facts(5, d(2026, 12, 5), vec![s])).expect("composes");
    // 750 × 20 / 30 = 500 GB share: 300 started GB over × $1.00. Nothing for the
    // unlimited days (the new plan alone would have charged nothing at all).
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(95.00)),
            (LineKind::Usage, dec!(300.00)),
        ]
    );
    assert_eq!(
        bill.lines[1].period,
        Some(Period {
            start: d(2026, 11, 5),
            end: d(2026, 11, 25)
        })
    );

    // From unlimited to 750 GB at the cycle: the period that closed was all unlimited.
    let mut s = service(dec!(60.00));
    s.plan = capped_plan;
    s.usage = vec![segment(&unlimited, d(2026, 10, 5), d(2026, 11, 5), 2_000)];
    let bill = compose(&facts(5, d(2026, 11, 5), vec![s])).expect("composes");
    assert_eq!(amounts(&bill), vec![(LineKind::Recurring, dec!(60.00))]);
}

#[test]
fn a_refund_during_a_discount_gives_back_what_was_paid_with_its_tax() {
    let mut s = service(dec!(60.00));
    s.tax = sales_tax();
    s.charged_through = Some(d(2026, 12, 5));
    s.cancelled_on = Some(d(2026, 11, 20));
    s.usage = vec![];
    let mut f = facts(5, d(2026, 12, 5), vec![s]);
    f.discounts.push(DiscountFacts {
        id: 1,
        description: "Loyalty 10%".into(),
        service_id: None,
        value: DiscountValue::Percent(dec!(10)),
        valid_from: d(2026, 1, 1),
        valid_to: None,
    });
    let bill = compose(&f).expect("composes");
    // Nov 5 – Dec 4 cost 60.00 less 6.00 off: 54.00 paid. The 15 unused days of 30 cost
    // 30.00 and were paid 54.00 × 30 / 60 = 27.00; with 8.25% tax (2.2275 → 2.23): 29.23.
    assert_eq!(amounts(&bill), vec![(LineKind::Credit, dec!(-29.23))]);
    assert_eq!(
        bill.lines[0].description,
        "Cable 300: refund for Nov 20 – Dec 4, 2026 after cancellation"
    );

    // A fixed 5.00 off each period: 55.00 paid, half of it back: 27.50 + 2.26875 → 29.77.
    f.discounts[0].value = DiscountValue::Fixed(usd(dec!(5.00)));
    let bill = compose(&f).expect("composes");
    assert_eq!(amounts(&bill), vec![(LineKind::Credit, dec!(-29.77))]);
}

#[test]
fn a_suspended_service_is_not_charged_while_off_and_is_refunded_what_was_charged_ahead() {
    // Charged Dec 5 – Jan 4 in advance (31 days), switched off for non-payment on Dec 10
    // and still off on Jan 5.
    let mut s = service(dec!(60.00));
    s.charged_through = Some(d(2027, 1, 5));
    s.usage = vec![];
    s.suspensions = vec![Suspension {
        reason: SuspensionReason::NonPayment,
        from: d(2026, 12, 10),
        until: None,
    }];
    let bill = compose(&facts(5, d(2027, 1, 5), vec![s.clone()])).expect("composes");
    // Nothing for Jan 5 – Feb 4. Back: 60.00 less Dec 5 – 9 (60 × 5 / 31 = 9.677… → 9.68):
    // 50.32.
    assert_eq!(amounts(&bill), vec![(LineKind::Credit, dec!(-50.32))]);
    assert_eq!(
        bill.lines[0].description,
        "Cable 300: refund for Dec 10, 2026 – Jan 4, 2027 while suspended"
    );

    // Restored on Jan 15 (after paying): the Feb 5 statement charges Jan 15 – Feb 4, 21 of
    // 31 days (60 × 21 / 31 = 40.645… → 40.65), and Feb 5 – Mar 4 in advance; the refund
    // is not given twice.
    s.charged = vec![Period {
        start: d(2026, 12, 5),
        end: d(2027, 1, 5),
    }];
    s.refunded = vec![Period {
        start: d(2026, 12, 10),
        end: d(2027, 1, 5),
    }];
    s.suspensions[0].until = Some(d(2027, 1, 15));
    let bill = compose(&facts(5, d(2027, 2, 5), vec![s])).expect("composes");
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(40.65)),
            (LineKind::Recurring, dec!(60.00)),
        ]
    );
    assert_eq!(
        bill.lines[0].description,
        "Cable 300, Jan 15 – Feb 4, 2027 (21 of 31 days)"
    );
}

fn named(name: &str, price: Decimal) -> PlanTerms {
    PlanTerms {
        name: name.into(),
        ..plan(price)
    }
}

#[test]
fn days_off_are_refunded_at_the_plan_they_were_paid_at_not_the_plan_now() {
    // Fibre 300 at $90.00 charged Nov 5 – Dec 4 (30 days); off Nov 10 – 14 (back on Nov 15);
    // a downgrade to Fibre 100 at $60.00 took effect on Dec 5, before this statement.
    let mut s = service(dec!(60.00));
    s.plan = named("Fibre 100", dec!(60.00));
    s.earlier_plans = vec![EarlierPlan {
        until: d(2026, 12, 5),
        plan: named("Fibre 300", dec!(90.00)),
    }];
    s.charged_through = Some(d(2026, 12, 5));
    s.usage = vec![];
    s.suspensions = vec![Suspension {
        reason: SuspensionReason::NonPayment,
        from: d(2026, 11, 10),
        until: Some(d(2026, 11, 15)),
    }];
    let bill = compose(&facts(5, d(2026, 12, 5), vec![s])).expect("composes");
    // Dec 5 – Jan 4 at the plan now, $60.00; back for the 5 days off what they were paid:
    // 90 × 10 / 30 − 90 × 5 / 30 = 30.00 − 15.00 = $15.00 (at the plan now it would be $10.00).
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(60.00)),
            (LineKind::Credit, dec!(-15.00))
        ]
    );
    assert!(
        bill.lines[1]
            .description
            .starts_with("Fibre 300: refund for Nov 10"),
        "{}",
        bill.lines[1].description
    );
}

#[test]
fn after_a_mid_period_upgrade_a_cancellation_refunds_the_days_at_the_new_price() {
    // Cable 300 at $60.00 charged Nov 5 – Dec 4; upgraded on Nov 20 to Fibre 300 at $90.00
    // (the upgrade charged the difference for Nov 20 – Dec 4: 30 × 15 / 30 = $15.00);
    // cancelled from Nov 25. The 10 days Nov 25 – Dec 4 were paid 60 × 10 / 30 = $20.00
    // with the period and 30 × 10 / 30 = $10.00 with the upgrade: $30.00 back, which is
    // the new price's 90 × 30 / 30 − 90 × 20 / 30 = 90.00 − 60.00.
    let mut s = service(dec!(90.00));
    s.plan = named("Fibre 300", dec!(90.00));
    s.earlier_plans = vec![EarlierPlan {
        until: d(2026, 11, 20),
        plan: named("Cable 300", dec!(60.00)),
    }];
    s.charged_through = Some(d(2026, 12, 5));
    s.cancelled_on = Some(d(2026, 11, 25));
    s.usage = vec![];
    let bill = compose(&facts(5, d(2026, 12, 5), vec![s])).expect("composes");
    assert_eq!(amounts(&bill), vec![(LineKind::Credit, dec!(-30.00))]);
    assert!(bill.lines[0]
        .description
        .starts_with("Fibre 300: refund for Nov 25"));
}

#[test]
fn a_prepaid_service_switched_off_from_the_period_start_accrues_nothing() {
    // $40.00 plus 8.25% tax is $43.30 a period. Switched off on Nov 5 when the balance
    // did not cover it: four periods later nothing more is owed (not 4 × 43.30 = 173.20).
    let mut s = service(dec!(40.00));
    s.tax = sales_tax();
    s.usage = vec![];
    s.suspensions = vec![Suspension {
        reason: SuspensionReason::PrepaidBalance,
        from: d(2026, 11, 5),
        until: None,
    }];
    let mut total = Decimal::ZERO;
    for start in [d(2026, 11, 5), d(2026, 12, 5), d(2027, 1, 5), d(2027, 2, 5)] {
        let mut f = facts(5, start, vec![s.clone()]);
        f.mode = BillingMode::Prepaid;
        let bill = compose(&f).expect("composes");
        assert!(bill.lines.is_empty(), "{start}: {:?}", amounts(&bill));
        total += bill.totals.total_due.amount();
    }
    assert_eq!(total, dec!(0));
}

#[test]
fn descriptions_write_amounts_in_the_accounts_currency() {
    let gbp = |amount: Decimal| Money::new(amount, Currency::GBP);
    let mut s = service(dec!(0));
    s.plan = PlanTerms {
        name: "Fibre 150".into(),
        monthly_price: gbp(dec!(22.06)),
        price_includes_tax: true,
        allowance: Allowance::Gigabytes(100),
        overage_per_gb: Some(gbp(dec!(1.50))),
    };
    s.tax = Some(TaxTerms {
        name: "VAT".into(),
        rate: TaxRate::new(dec!(0.20), true).expect("rate"),
    });
    s.usage = whole_period(&s.plan, 110 * GB);
    let mut f = facts(5, d(2026, 11, 5), vec![s]);
    f.currency = Currency::GBP;
    f.previous_balance = Money::zero(Currency::GBP);
    let bill = compose(&f).expect("composes");
    // 22.06 incl. 20% VAT: 3.676… → 3.68 tax, 18.38 net. 10 GB over × £1.50 = £15.00.
    assert_eq!(
        bill.lines[0].description,
        "Fibre 150, Nov 5 – Dec 4, 2026 (price £22.06 incl. VAT)"
    );
    assert_eq!(
        bill.lines[1].description,
        "Data usage Oct 5 – Nov 4, 2026: 110.0 GB of 100 GB included; 10 started GB over at \
         £1.50/GB (price £15.00 incl. VAT)"
    );
    assert!(bill.lines.iter().all(|l| !l.description.contains('$')));
}

#[test]
fn a_refund_already_given_is_not_given_again() {
    let mut s = service(dec!(60.00));
    s.charged_through = Some(d(2026, 12, 5));
    s.cancelled_on = Some(d(2026, 11, 20));
    s.refunded = vec![Period {
        start: d(2026, 11, 20),
        end: d(2026, 12, 5),
    }];
    s.usage = vec![];
    let bill = compose(&facts(5, d(2027, 1, 5), vec![s])).expect("composes");
    assert!(bill.lines.is_empty());
}

#[test]
fn tax_inclusive_prices_show_the_net_and_the_tax_adds_back_to_the_price() {
    let vat = TaxTerms {
        name: "VAT".into(),
        rate: TaxRate::new(dec!(0.20), true).expect("rate"),
    };
    let mut s = service(dec!(51.00));
    s.plan.price_includes_tax = true;
    s.plan.overage_per_gb = None;
    s.tax = Some(vat);
    s.usage = vec![];
    let mut f = facts(5, d(2026, 11, 5), vec![s]);
    f.one_time.push(OneTimeFacts {
        id: 3,
        service_id: Some(7),
        description: "Replacement router".into(),
        amount: usd(dec!(120.00)),
        charge_on: d(2026, 10, 28),
        taxable: true,
        late_fee: false,
    });
    let bill = compose(&f).expect("composes");
    // 51.00 × 0.20 / 1.20 = 8.50 → net 42.50; 120.00 × 0.20 / 1.20 = 20.00 → net 100.00.
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(42.50)),
            (LineKind::OneTime, dec!(100.00)),
            (LineKind::Tax, dec!(28.50)),
        ]
    );
    assert_eq!(bill.totals.total_due.amount(), dec!(171.00)); // 51 + 120
    assert!(bill.lines[0]
        .description
        .ends_with("(price $51.00 incl. VAT)"));
    assert_eq!(
        bill.lines[0].working.as_deref(),
        Some("A whole period of Cable 300 at $51.00 a month = $51.00; the price $51.00 includes VAT 20% of $8.50, shown on its own line, so this line is $42.50")
    );
    // 8.50 + 20.00 included in the prices.
    assert_eq!(
        bill.lines[2].working.as_deref(),
        Some("$28.50 included in prices shown above")
    );
}

#[test]
fn exclusive_tax_is_rounded_once_on_the_sum_not_per_line() {
    let mut a = service(dec!(10.01));
    a.tax = sales_tax();
    a.usage = vec![];
    let mut b = a.clone();
    b.id = 8;
    let bill = compose(&facts(5, d(2026, 11, 5), vec![a, b])).expect("composes");
    // 20.02 × 8.25% = 1.65165 → 1.65 (per line it would be 0.83 + 0.83 = 1.66).
    assert_eq!(bill.lines[2].amount.amount(), dec!(1.65));
}

#[test]
fn discounts_take_a_percentage_or_a_capped_amount_while_valid() {
    let mut s = service(dec!(59.99));
    s.tax = sales_tax();
    s.usage = vec![];
    let mut f = facts(5, d(2026, 11, 5), vec![s]);
    f.discounts.push(DiscountFacts {
        id: 1,
        description: "Welcome offer 25%".into(),
        service_id: None,
        value: DiscountValue::Percent(dec!(25)),
        valid_from: d(2026, 11, 1),
        valid_to: Some(d(2027, 1, 1)),
    });
    // Expired the day the period starts: not applied.
    f.discounts.push(DiscountFacts {
        id: 2,
        description: "Old promotion".into(),
        service_id: Some(7),
        value: DiscountValue::Fixed(usd(dec!(5.00))),
        valid_from: d(2026, 1, 1),
        valid_to: Some(d(2026, 11, 5)),
    });
    let bill = compose(&f).expect("composes");
    // 59.99 × 25% = 14.9975 → 15.00; tax on 44.99: 3.711675 → 3.71.
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(59.99)),
            (LineKind::Discount, dec!(-15.00)),
            (LineKind::Tax, dec!(3.71)),
        ]
    );
    assert_eq!(bill.totals.charges.amount(), dec!(44.99));
    assert_eq!(bill.totals.total_due.amount(), dec!(48.70));

    // A fixed discount larger than the charge is capped at it: nothing to tax.
    f.discounts = vec![DiscountFacts {
        id: 3,
        description: "Free month".into(),
        service_id: Some(7),
        value: DiscountValue::Fixed(usd(dec!(80.00))),
        valid_from: d(2026, 11, 5),
        valid_to: None,
    }];
    let bill = compose(&f).expect("composes");
    assert_eq!(
        amounts(&bill),
        vec![
            (LineKind::Recurring, dec!(59.99)),
            (LineKind::Discount, dec!(-59.99))
        ]
    );
    assert_eq!(bill.totals.total_due.amount(), dec!(0.00));
}

#[test]
fn one_time_charges_wait_for_their_day_and_late_fees_post_as_late_fees() {
    let mut s = service(dec!(60.00));
    s.usage = vec![];
    let mut f = facts(5, d(2026, 11, 5), vec![s]);
    for (id, on, late) in [(1, d(2026, 11, 5), true), (2, d(2026, 11, 6), false)] {
        f.one_time.push(OneTimeFacts {
            id,
            service_id: None,
            description: format!("charge {id}"),
            amount: usd(dec!(15.00)),
            charge_on: on,
            taxable: false,
            late_fee: late,
        });
    }
    let bill = compose(&f).expect("composes");
    assert_eq!(
        bill.lines.len(),
        2,
        "the charge dated after the issue date waits"
    );
    assert_eq!(bill.lines[1].source, Source::OneTime(1));
    assert_eq!(bill.lines[1].posts, Some(EntryKind::LateFee));
}

#[test]
fn prepaid_statements_are_due_on_issue_and_paid_from_the_balance() {
    let mut s = service(dec!(30.00));
    s.tax = sales_tax();
    s.usage = vec![];
    let mut f = facts(5, d(2026, 11, 5), vec![s]);
    f.mode = BillingMode::Prepaid;
    f.previous_balance = usd(dec!(-50.00));
    let bill = compose(&f).expect("composes");
    // 30.00 + 2.475 → 2.48 tax = 32.48 taken from a 50.00 credit.
    assert_eq!(bill.from_balance.amount(), dec!(32.48));
    assert_eq!(bill.totals.total_due.amount(), dec!(-17.52));
    assert_eq!(bill.due_on, bill.issued_on);
    assert!(bill.settled_on_issue());

    f.mode = BillingMode::Hybrid;
    let bill = compose(&f).expect("composes");
    assert_eq!(
        bill.from_balance.amount(),
        dec!(30.00),
        "hybrid: the plan, before tax"
    );
    assert_eq!(bill.due_on, d(2026, 11, 26));
}

#[test]
fn an_amount_in_another_currency_is_refused() {
    let mut s = service(dec!(60.00));
    s.plan.monthly_price = Money::new(dec!(60.00), Currency::EUR);
    let err = compose(&facts(5, d(2026, 11, 5), vec![s])).expect_err("refused");
    assert!(matches!(err, BillError::Currency { .. }));
}

#[test]
fn a_pending_service_is_not_charged() {
    let mut s = service(dec!(60.00));
    s.activated_on = None;
    s.charged_through = None;
    let bill = compose(&facts(5, d(2026, 11, 5), vec![s])).expect("composes");
    assert!(bill.lines.is_empty());
}

/// A small deterministic generator, so the billing crate needs no random-number crate.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Generated lives of a service (cycle day, activation, maybe a cancellation), billed
/// month after month as the engine would, feeding back what each statement charged: no day
/// is ever charged twice, none between activation and cancellation is left uncharged, and
/// the money charged less refunded equals the price of the days served.
#[test]
fn generated_service_lives_are_charged_for_each_day_exactly_once() {
    let mut rng = XorShift(0x5eed_1234_abcd_0001);
    for case in 0..400 {
        let day = cycle(1 + rng.below(31) as u8);
        let activated = d(2027, 1, 1) + Days::new(rng.below(400));
        let cancelled = (rng.below(3) == 0).then(|| activated + Days::new(1 + rng.below(300)));
        let mut s = service(dec!(47.31));
        s.activated_on = Some(activated);
        s.cancelled_on = None;
        s.charged_through = None;
        s.usage = vec![];

        let mut charged: Vec<Period> = Vec::new();
        let mut refunded: Vec<Period> = Vec::new();
        let mut net = Decimal::ZERO;
        let mut period = period_containing(activated, day).next(day);
        for _ in 0..20 {
            // The cancellation becomes known on its day.
            s.cancelled_on = cancelled.filter(|c| *c <= period.start);
            let bill = compose(&facts(day.get(), period.start, vec![s.clone()]))
                .unwrap_or_else(|e| panic!("case {case}: {e}"));
            for line in &bill.lines {
                net += line.amount.amount();
                match line.source {
                    Source::ServiceDays { days, .. } => charged.push(days),
                    Source::Refund { days, .. } => refunded.push(days),
                    _ => {}
                }
            }
            s.charged_through = charged.iter().map(|p| p.end).max();
            s.charged = charged.clone();
            s.refunded = refunded.clone();
            period = period.next(day);
        }

        // Charged pieces are contiguous from activation, never overlapping.
        let mut expect_start = activated;
        for p in &charged {
            assert_eq!(
                p.start, expect_start,
                "case {case}: gap or overlap at {p:?}"
            );
            expect_start = p.end;
        }
        // What stays charged (charged minus refunded) is exactly activation → cancellation.
        let served_to = match cancelled {
            Some(c) => c,
            None => expect_start,
        };
        let refunded_from = refunded.first().map_or(expect_start, |p| p.start);
        assert_eq!(
            refunded_from.min(expect_start),
            served_to.min(expect_start),
            "case {case}"
        );
        // And the money matches a day-by-day proration of the same days.
        let mut expected = Decimal::ZERO;
        for p in split_at_cycle(activated, served_to, day) {
            let within = period_containing(p.start, day);
            expected += (dec!(47.31) * Decimal::from(p.days()) / Decimal::from(within.days()))
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        }
        assert_eq!(net, expected, "case {case}");
    }
}

// ---------------------------------------------------------------------------------------
// Rule 9: outage credits.
// ---------------------------------------------------------------------------------------

fn outage(outage_id: i64, began_on: NaiveDate, minutes_out: i64) -> OutageFacts {
    OutageFacts {
        outage_id,
        title: format!("Fibre cut {outage_id}"),
        began_on,
        minutes_out,
    }
}

/// The Dec 5 statement of a service charged through Dec 5, so its only charge is the
/// period Dec 5 – Jan 4; the outages began in Nov 5 – Dec 4 (30 days).
fn december(mut s: ServiceFacts) -> Bill {
    s.charged_through = Some(d(2026, 12, 5));
    compose(&facts(5, d(2026, 12, 5), vec![s])).expect("composes")
}

fn credits(bill: &Bill) -> Vec<(Decimal, String, Option<String>)> {
    bill.lines
        .iter()
        .filter(|l| matches!(l.source, Source::OutageCredit { .. }))
        .map(|l| (l.amount.amount(), l.description.clone(), l.working.clone()))
        .collect()
}

#[test]
fn an_outage_is_credited_a_days_price_for_each_full_day_beyond_48_hours_with_its_tax() {
    let mut s = service(dec!(55.00));
    s.tax = sales_tax();
    s.outages = vec![
        // Nov 10 08:00 – Nov 13 14:30: 78 h 30 min, 30 h 30 min beyond 48: 1 day.
        outage(1, d(2026, 11, 10), 78 * 60 + 30),
        // 122 hours: 74 beyond 48: 3 days.
        outage(2, d(2026, 11, 20), 122 * 60),
        // 71 hours: 23 beyond 48: nothing.
        outage(3, d(2026, 11, 25), 71 * 60),
    ];
    let bill = december(s);
    assert_eq!(
        credits(&bill),
        [
            (
                // $55.00 × 1 ÷ 30 = 1.8333 → $1.83; tax 0.150975 → $0.15; $1.98.
                dec!(-1.98),
                "Cable 300: credit for the outage \u{201c}Fibre cut 1\u{201d}, 1 day".to_string(),
                Some(
                    "Out 78 h 30 min: 1 full day after the first 48 hours \u{d7} $55.00 \u{f7} 30 days = $1.83, with its tax: $1.98"
                        .to_string()
                )
            ),
            (
                // $55.00 × 3 ÷ 30 = $5.50; tax 0.45375 → $0.45; $5.95.
                dec!(-5.95),
                "Cable 300: credit for the outage \u{201c}Fibre cut 2\u{201d}, 3 days".to_string(),
                Some(
                    "Out 122 h 00 min: 3 full days after the first 48 hours \u{d7} $55.00 \u{f7} 30 days = $5.50, with its tax: $5.95"
                        .to_string()
                )
            ),
        ]
    );
    // Credits carry their own tax: the statement's tax is on the $55.00 charge alone,
    // 55.00 × 8.25% = 4.5375 → $4.54; due 55.00 + 4.54 − 1.98 − 5.95 = $51.61.
    let tax: Vec<Decimal> = bill
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Tax)
        .map(|l| l.amount.amount())
        .collect();
    assert_eq!(tax, [dec!(4.54)]);
    assert_eq!(bill.totals.total_due.amount(), dec!(51.61));
    assert!(bill
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Credit)
        .all(|l| l.posts == Some(EntryKind::Credit)));
}

#[test]
fn an_outage_credit_has_no_tax_added_where_prices_include_it_and_uses_the_plan_it_began_under() {
    // Prices with tax in them: 100 hours out, 52 beyond 48, 2 days: $60.00 × 2 ÷ 30 = $4.00.
    let mut s = service(dec!(60.00));
    s.plan.price_includes_tax = true;
    s.tax = Some(TaxTerms {
        name: "VAT".into(),
        rate: TaxRate::new(dec!(0.20), true).expect("rate"),
    });
    s.outages = vec![outage(4, d(2026, 11, 10), 100 * 60)];
    assert_eq!(credits(&december(s))[0].0, dec!(-4.00));

    // Out on Nov 10 under Fibre 900 at $90.00, which gave way to the $55.00 plan on Nov 20:
    // 2 days at $90.00 ÷ 30 = $6.00, tax 0.495 → $0.50, $6.50.
    let mut s = service(dec!(55.00));
    s.tax = sales_tax();
    s.earlier_plans = vec![EarlierPlan {
        until: d(2026, 11, 20),
        plan: PlanTerms {
            name: "Fibre 900".into(),
            ..plan(dec!(90.00))
        },
    }];
    s.outages = vec![outage(5, d(2026, 11, 10), 100 * 60)];
    let credited = credits(&december(s));
    assert_eq!(credited[0].0, dec!(-6.50));
    assert!(
        credited[0].1.starts_with("Fibre 900: "),
        "{}",
        credited[0].1
    );
}

#[test]
fn the_days_credited_count_only_full_days_beyond_the_grace() {
    let days = |minutes: i64| outage(1, d(2026, 11, 10), minutes).days_credited();
    assert_eq!(days(0), 0);
    assert_eq!(days(72 * 60 - 1), 0);
    assert_eq!(days(72 * 60), 1);
    assert_eq!(days(96 * 60 - 1), 1);
    assert_eq!(days(96 * 60), 2);
    assert_eq!(days(48 * 60 + 30 * 24 * 60), 30);
}

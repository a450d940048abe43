//! The operators' reports against a real PostgreSQL: a small data set per report, built
//! row by row so that every figure can be worked out by hand (in the comments), and
//! every figure checked. The definitions are in `billing::bill` ("What the operators'
//! reports count").

mod common;

use chrono::{DateTime, NaiveDate, Utc};
use common::*;
use engine::reports::ageing::{AgeingRow, Bucket};
use engine::reports::card_payments::PaymentOutcome;
use engine::reports::disputes::Group;
use engine::reports::dunning::StepOutcome;
use engine::reports::mrr::PlanMrr;
use engine::reports::usage::PlanMonth;
use engine::reports::{self, Range};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::PgPool;

const CHICAGO: chrono_tz::Tz = chrono_tz::America::Chicago;

fn range(from: NaiveDate, to: NaiveDate) -> Range {
    Range::new(from, to).expect("range")
}

/// An instant given in Chicago's time ("2026-12-16 23:30").
fn chicago(local: &str) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").expect("time");
    naive
        .and_local_timezone(CHICAGO)
        .single()
        .expect("one instant")
        .with_timezone(&Utc)
}

/// `n` accounts with one service each on `plan`, activated Sep 1 2026, numbered from
/// `first`; returns (account, service) pairs.
async fn accounts(pool: &PgPool, first: u32, n: u32, plan: i64) -> Vec<(i64, i64)> {
    let j = match sqlx::query_scalar::<_, i64>("select id from jurisdictions where code = 'US-OR'")
        .fetch_optional(pool)
        .await
        .unwrap()
    {
        Some(j) => j,
        None => jurisdiction(pool, "US-OR", "No sales tax", dec!(0), false).await,
    };
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            account(
                pool,
                &(first + i).to_string(),
                "postpaid",
                1,
                j,
                plan,
                d(2026, 9, 1),
            )
            .await,
        );
    }
    out
}

async fn exec(pool: &PgPool, sql: &str) {
    sqlx::query(sql).execute(pool).await.expect(sql);
}

// ---------------------------------------------------------------------------------------
// Monthly recurring revenue
// ---------------------------------------------------------------------------------------

#[sqlx::test(migrations = "../migrations")]
async fn recurring_revenue_and_its_movement_add_up_by_plan(pool: PgPool) {
    let basic = plan(&pool, "basic-40", dec!(40.00), None, None).await;
    let fast = plan(&pool, "fast-60", dec!(60.00), None, None).await;
    let gold = plan(&pool, "gold-100", dec!(100.00), None, None).await;
    let s = accounts(&pool, 30000001, 8, basic).await;
    let service = |i: usize| s[i - 1].1;
    let set_plan = |i: usize, p: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query("update services set plan_id = $2 where id = $1")
                .bind(service(i))
                .bind(p)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    // S1 basic throughout. S2 basic, upgraded to fast on Nov 10. S3 fast, cancelled Nov
    // 20. S4 fast, activated Nov 15. S5 fast, downgraded to basic on Nov 5. S6 basic,
    // activated Nov 3 and cancelled Nov 25 (moves nothing). S7 basic, suspended since Oct
    // 20 (still counted). S8 fast in November, moved to gold on Dec 5 (after the range).
    for (i, p) in [
        (3, fast),
        (4, fast),
        (6, basic),
        (2, fast),
        (5, basic),
        (8, gold),
    ] {
        set_plan(i, p).await;
    }
    for (i, from, to, on) in [
        (2, basic, fast, "2026-11-10"),
        (5, fast, basic, "2026-11-05"),
        (8, fast, gold, "2026-12-05"),
    ] {
        sqlx::query(
            "insert into plan_changes (service_id, from_plan_id, to_plan_id, effective_on, status, decided_at)
             values ($1, $2, $3, $4::date, 'applied', now())",
        )
        .bind(service(i))
        .bind(from)
        .bind(to)
        .bind(on)
        .execute(&pool)
        .await
        .unwrap();
    }
    for (i, activated, cancelled) in [
        (3, "2026-09-01", Some("2026-11-20")),
        (4, "2026-11-15", None),
        (6, "2026-11-03", Some("2026-11-25")),
    ] {
        sqlx::query(
            "update services set activated_on = $2::date, cancelled_on = $3::date,
                    status = case when $3 is null then 'active' else 'cancelled' end
              where id = $1",
        )
        .bind(service(i))
        .bind(activated)
        .bind(cancelled)
        .execute(&pool)
        .await
        .unwrap();
    }
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "update services set status = 'suspended', suspension_reason = 'non_payment' where id = $1",
    )
    .bind(service(7))
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "insert into service_suspensions (service_id, account_id, reason, suspended_on)
         select id, account_id, 'non_payment', '2026-10-20' from services where id = $1",
    )
    .bind(service(7))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let rows = reports::mrr::report(&pool, range(d(2026, 11, 1), d(2026, 11, 30)))
        .await
        .unwrap();
    let row = |code: &str,
               opening_services: i64,
               [opening, new, upgrades, downgrades, churn, closing]: [Decimal; 6],
               closing_services: i64| PlanMrr {
        code: code.into(),
        name: "Cable 300".into(),
        currency: "USD".into(),
        opening_services,
        opening,
        new,
        upgrades,
        downgrades,
        churn,
        closing,
        closing_services,
    };
    // Evening of Oct 31: basic S1 S2 S7 = 3 × 40 = 120.00; fast S3 S5 S8 = 3 × 60 = 180.00.
    // Evening of Nov 30: basic S1 S5 S7 = 120.00; fast S2 S4 S8 = 180.00.
    // basic: S2 leaves on an upgrade (−40), S5 arrives on a downgrade (+40):
    //   120 − 40 + 40 = 120.
    // fast: S4 new (+60), S2 arrives on an upgrade (+60), S5 leaves on a downgrade (−60),
    //   S3 churns (−60): 180 + 60 + 60 − 60 − 60 = 180.
    // gold: S8's move is after the range: nothing.
    assert_eq!(
        rows,
        [
            row(
                "basic-40",
                3,
                [
                    dec!(120.00),
                    dec!(0),
                    dec!(-40.00),
                    dec!(40.00),
                    dec!(0),
                    dec!(120.00)
                ],
                3
            ),
            row(
                "fast-60",
                3,
                [
                    dec!(180.00),
                    dec!(60.00),
                    dec!(60.00),
                    dec!(-60.00),
                    dec!(-60.00),
                    dec!(180.00)
                ],
                3
            ),
            row("gold-100", 0, [dec!(0); 6], 0),
        ]
    );
    // In total: 300 + 60 new + (60 − 40) upgrades + (40 − 60) downgrades − 60 churn = 300.
    for r in &rows {
        assert_eq!(
            r.opening + r.new + r.upgrades + r.downgrades + r.churn,
            r.closing,
            "{}",
            r.code
        );
    }

    // December 1-10: S8 moves to gold on Dec 5 (a downgrade? no: 60 → 100 is an upgrade).
    let december = reports::mrr::report(&pool, range(d(2026, 12, 1), d(2026, 12, 10)))
        .await
        .unwrap();
    let gold_row = december.iter().find(|r| r.code == "gold-100").unwrap();
    assert_eq!(
        (
            gold_row.upgrades,
            gold_row.closing,
            gold_row.closing_services
        ),
        (dec!(100.00), dec!(100.00), 1)
    );
    let fast_row = december.iter().find(|r| r.code == "fast-60").unwrap();
    assert_eq!(
        (fast_row.opening, fast_row.upgrades, fast_row.closing),
        (dec!(180.00), dec!(-60.00), dec!(120.00))
    );
}

// ---------------------------------------------------------------------------------------
// Receivables ageing
// ---------------------------------------------------------------------------------------

/// A statement with one recurring line of `charges`, carrying `previous` and showing
/// `payments` (negative): returns (statement, line). Its charge is posted to the ledger
/// on the issue day.
#[allow(clippy::too_many_arguments)]
async fn statement(
    pool: &PgPool,
    account: i64,
    number: &str,
    period_start: &str,
    due_on: &str,
    charges: Decimal,
    previous: Decimal,
    payments: Decimal,
    paid_at: Option<DateTime<Utc>>,
) -> (i64, i64) {
    let mut tx = pool.begin().await.unwrap();
    let total = previous + charges + payments;
    let id: i64 = sqlx::query_scalar(
        "insert into statements (account_id, currency, statement_number, period_start, period_end,
                                 issued_on, due_on, previous_balance, total_charges, total_tax,
                                 total_payments, total_credits, total_due, status, paid_at)
         values ($1, 'USD', $2, $3::date, ($3::date + interval '1 month')::date, $3::date, $4::date,
                 $5, $6, 0, $7, 0, $8, case when $9::timestamptz is null then 'open' else 'paid' end, $9)
         returning id",
    )
    .bind(account)
    .bind(number)
    .bind(period_start)
    .bind(due_on)
    .bind(previous)
    .bind(charges)
    .bind(payments)
    .bind(total)
    .bind(paid_at)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let mut line_no = 1;
    let line: i64 = sqlx::query_scalar(
        "insert into statement_lines (statement_id, line_no, kind, description, amount)
         values ($1, 1, 'recurring', 'Service', $2) returning id",
    )
    .bind(id)
    .bind(charges)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    if payments < Decimal::ZERO {
        // The payments it shows leave the entries waiting for a statement, as a bill run
        // moves them.
        sqlx::query(
            "with shown as (delete from ledger_entries_pending where account_id = $1 returning ledger_entry_id)
             insert into statement_ledger_entries (ledger_entry_id, statement_id)
             select ledger_entry_id, $2 from shown",
        )
        .bind(account)
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
        line_no += 1;
        sqlx::query(
            "insert into statement_lines (statement_id, line_no, kind, description, amount)
             values ($1, $2, 'payment', 'Payment, thank you', $3)",
        )
        .bind(id)
        .bind(line_no)
        .bind(payments)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    sqlx::query(
        "insert into ledger_entries (account_id, currency, kind, amount, description, effective_on, statement_id)
         values ($1, 'USD', 'charge', $2, 'Service', $3::date, $4)",
    )
    .bind(account)
    .bind(charges)
    .bind(period_start)
    .bind(id)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (id, line)
}

/// A payment received on `on` (a bank transfer), in the ledger.
async fn paid(pool: &PgPool, account: i64, amount: Decimal, on: &str) {
    sqlx::query(
        "with p as (
             insert into payments (account_id, currency, amount, method, status, idempotency_key, succeeded_at)
             values ($1, 'USD', $2, 'bank_transfer', 'succeeded', 'test-' || gen_random_uuid(), $3::date)
             returning id)
         insert into ledger_entries (account_id, currency, kind, amount, description, effective_on, payment_id)
         select $1, 'USD', 'payment', -$2, 'Payment', $3::date, id from p",
    )
    .bind(account)
    .bind(amount)
    .bind(on)
    .execute(pool)
    .await
    .unwrap();
}

fn aged(bucket: Bucket, statements: i64, amount: Decimal) -> AgeingRow {
    AgeingRow {
        currency: "USD".into(),
        bucket,
        statements,
        accounts: statements.min(1),
        amount,
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn receivables_are_aged_by_due_date_with_disputes_apart(pool: PgPool) {
    let p = plan(&pool, "basic-40", dec!(40.00), None, None).await;
    let a = accounts(&pool, 30000101, 5, p).await;
    let [(a_id, _), (b_id, _), (c_id, _), (d_id, _), (e_id, _)] = a[..] else {
        unreachable!()
    };
    // A (billing::bill's worked example): Nov 30.00 (due Nov 21), Dec 50.00 (due Dec 21),
    // Jan 40.00 (due Jan 21); 75.00 paid Dec 10 leaves 45.00: Jan's 40.00 and 5.00 of
    // Dec's. 10.00 of Dec's line is disputed, so Dec's 5.00 is under dispute.
    statement(
        &pool,
        a_id,
        "S-A-NOV",
        "2026-11-01",
        "2026-11-21",
        dec!(30.00),
        dec!(0),
        dec!(0),
        Some(chicago("2026-12-10 09:00")),
    )
    .await;
    let (dec_a, dec_line) = statement(
        &pool,
        a_id,
        "S-A-DEC",
        "2026-12-01",
        "2026-12-21",
        dec!(50.00),
        dec!(30.00),
        dec!(0),
        None,
    )
    .await;
    paid(&pool, a_id, dec!(75.00), "2026-12-10").await;
    statement(
        &pool,
        a_id,
        "S-A-JAN",
        "2027-01-01",
        "2027-01-21",
        dec!(40.00),
        dec!(80.00),
        dec!(-75.00),
        None,
    )
    .await;
    sqlx::query(
        "insert into tickets (account_id, subject, category, statement_line_id, disputed_amount, created_at)
         values ($1, 'Outage in December', 'dispute', $2, 10.00, '2026-12-15')",
    )
    .bind(a_id)
    .bind(dec_line)
    .execute(&pool)
    .await
    .unwrap();
    let _ = dec_a;
    // B: Sep 20.00 (due Sep 21) and Oct 25.00 (due Oct 21), nothing paid: on Jan 10 they
    // are 111 days (over 90) and 81 days (61-90) past due.
    statement(
        &pool,
        b_id,
        "S-B-SEP",
        "2026-09-01",
        "2026-09-21",
        dec!(20.00),
        dec!(0),
        dec!(0),
        None,
    )
    .await;
    statement(
        &pool,
        b_id,
        "S-B-OCT",
        "2026-10-01",
        "2026-10-21",
        dec!(25.00),
        dec!(20.00),
        dec!(0),
        None,
    )
    .await;
    // C: Dec 64.95 (due Dec 26, 15 days past on Jan 10), and a 20.00 charge on Jan 5 that
    // no statement shows yet: a balance of 84.95, of which the statement's 64.95 is aged.
    statement(
        &pool,
        c_id,
        "S-C-DEC",
        "2026-12-05",
        "2026-12-26",
        dec!(64.95),
        dec!(0),
        dec!(0),
        None,
    )
    .await;
    sqlx::query(
        "insert into ledger_entries (account_id, currency, kind, amount, description, effective_on)
         values ($1, 'USD', 'charge', 20.00, 'Replacement router', '2027-01-05')",
    )
    .bind(c_id)
    .execute(&pool)
    .await
    .unwrap();
    // D: Nov 15 100.00 (due Dec 6), paid on Jan 12: on the evening of Jan 10 it was owed,
    // 35 days past due.
    statement(
        &pool,
        d_id,
        "S-D-NOV",
        "2026-11-15",
        "2026-12-06",
        dec!(100.00),
        dec!(0),
        dec!(0),
        Some(chicago("2027-01-12 10:00")),
    )
    .await;
    paid(&pool, d_id, dec!(100.00), "2027-01-12").await;
    // E: paid up and 10.00 in credit: nothing to age.
    statement(
        &pool,
        e_id,
        "S-E-DEC",
        "2026-12-01",
        "2026-12-21",
        dec!(40.00),
        dec!(0),
        dec!(0),
        Some(chicago("2026-12-03 09:00")),
    )
    .await;
    paid(&pool, e_id, dec!(50.00), "2026-12-03").await;

    let on = |day: NaiveDate| {
        let pool = pool.clone();
        async move {
            reports::ageing::report(&pool, range(day, day), CHICAGO)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        on(d(2027, 1, 10)).await,
        [
            aged(Bucket::NotYetDue, 1, dec!(40.00)),
            aged(Bucket::Days1To30, 1, dec!(64.95)),
            aged(Bucket::Days31To60, 1, dec!(100.00)),
            aged(Bucket::Days61To90, 1, dec!(25.00)),
            aged(Bucket::Over90, 1, dec!(20.00)),
            aged(Bucket::Disputed, 1, dec!(5.00)),
        ]
    );
    // On Jan 15, D has paid; C's statement is 20 days past due; B's Oct is 86 days.
    let later = on(d(2027, 1, 15)).await;
    let amounts: Vec<Decimal> = later.iter().map(|r| r.amount).collect();
    assert_eq!(
        amounts,
        [
            dec!(40.00),
            dec!(64.95),
            dec!(0),
            dec!(25.00),
            dec!(20.00),
            dec!(5.00)
        ]
    );
    // On the evening of Dec 31, A had paid 75.00 (Dec 10) that only January's statement
    // (issued Jan 1) shows: Dec's 80.00 due less it leaves 5.00, all of it under the 10.00
    // dispute. B's Sep is 101 days past due and its Oct 71; C's Dec 5 days, and D's Nov,
    // paid only on Jan 12, 25 days (1-30: 64.95 + 100.00 = 164.95 on two accounts).
    assert_eq!(
        on(d(2026, 12, 31)).await,
        [
            aged(Bucket::NotYetDue, 0, dec!(0)),
            AgeingRow {
                accounts: 2,
                ..aged(Bucket::Days1To30, 2, dec!(164.95))
            },
            aged(Bucket::Days31To60, 0, dec!(0)),
            aged(Bucket::Days61To90, 1, dec!(25.00)),
            aged(Bucket::Over90, 1, dec!(20.00)),
            aged(Bucket::Disputed, 1, dec!(5.00)),
        ]
    );
    // The same allocation as dunning: what A owes that may be asked for is the 40.00 not
    // under dispute.
    let mut conn = pool.acquire().await.unwrap();
    let owed = engine::owed::of_account(&mut conn, a_id).await.unwrap();
    assert_eq!(owed.on_account().amount(), dec!(40.00));
    // Before anything was issued there is nothing to age, and no row at all.
    assert!(on(d(2026, 8, 31)).await.is_empty());
}

// ---------------------------------------------------------------------------------------
// Collections and dunning outcomes
// ---------------------------------------------------------------------------------------

#[sqlx::test(migrations = "../migrations")]
async fn each_dunning_step_is_followed_to_its_outcome(pool: PgPool) {
    let p = plan(&pool, "basic-40", dec!(40.00), None, None).await;
    let a = accounts(&pool, 30000201, 5, p).await;
    // 1: 64.95 due Dec 1, notice Dec 2, paid Dec 16 at 23:30 in Chicago (Dec 17 in UTC):
    //    14 days after the notice, collected.
    // 2: 100.00 due Dec 1, notice Dec 2 and late fee Dec 8, paid Dec 30: later than 14
    //    days after either.
    // 3: 45.00 due Nov 25, suspension Dec 9, still open.
    // 4: 30.00 due Dec 31, reminder Dec 28, then voided.
    // 5: 20.00 due Nov 29, notice Nov 30: before the range.
    let facts = [
        (
            a[0].0,
            dec!(64.95),
            "2026-12-01",
            Some(chicago("2026-12-16 23:30")),
            vec![("overdue_notice", "2026-12-02")],
        ),
        (
            a[1].0,
            dec!(100.00),
            "2026-12-01",
            Some(chicago("2026-12-30 12:00")),
            vec![("overdue_notice", "2026-12-02"), ("late_fee", "2026-12-08")],
        ),
        (
            a[2].0,
            dec!(45.00),
            "2026-11-25",
            None,
            vec![("suspension", "2026-12-09")],
        ),
        (
            a[3].0,
            dec!(30.00),
            "2026-12-31",
            None,
            vec![("reminder", "2026-12-28")],
        ),
        (
            a[4].0,
            dec!(20.00),
            "2026-11-29",
            None,
            vec![("overdue_notice", "2026-11-30")],
        ),
    ];
    for (n, (account, amount, due, paid_at, steps)) in facts.into_iter().enumerate() {
        let (id, _) = statement(
            &pool,
            account,
            &format!("S-DUN-{n}"),
            "2026-11-10",
            due,
            amount,
            dec!(0),
            dec!(0),
            paid_at,
        )
        .await;
        for (step, on) in steps {
            sqlx::query(
                "insert into dunning_actions (statement_id, account_id, step_code, taken_on)
                 values ($1, $2, $3, $4::date)",
            )
            .bind(id)
            .bind(account)
            .bind(step)
            .bind(on)
            .execute(&pool)
            .await
            .unwrap();
        }
    }
    exec(
        &pool,
        "update statements set status = 'void' where statement_number = 'S-DUN-3'",
    )
    .await;

    let rows = reports::dunning::report(&pool, range(d(2026, 12, 1), d(2026, 12, 31)), CHICAGO)
        .await
        .unwrap();
    let step = |step: &str,
                action: &str,
                days: i32,
                taken: i64,
                due: Decimal,
                collected: (i64, Decimal),
                later: i64,
                open: (i64, Decimal),
                void: i64| StepOutcome {
        step: step.into(),
        action: action.into(),
        days_after_due: days,
        currency: "USD".into(),
        taken,
        amount_due: due,
        collected: collected.0,
        amount_collected: collected.1,
        paid_later: later,
        still_open: open.0,
        amount_open: open.1,
        void,
    };
    assert_eq!(
        rows,
        [
            step(
                "reminder",
                "reminder",
                -3,
                1,
                dec!(30.00),
                (0, dec!(0)),
                0,
                (0, dec!(0)),
                1
            ),
            // 64.95 + 100.00 = 164.95 asked for; 64.95 collected.
            step(
                "overdue_notice",
                "overdue_notice",
                1,
                2,
                dec!(164.95),
                (1, dec!(64.95)),
                1,
                (0, dec!(0)),
                0
            ),
            step(
                "late_fee",
                "late_fee",
                7,
                1,
                dec!(100.00),
                (0, dec!(0)),
                1,
                (0, dec!(0)),
                0
            ),
            step(
                "suspension",
                "suspend",
                14,
                1,
                dec!(45.00),
                (0, dec!(0)),
                0,
                (1, dec!(45.00)),
                0
            ),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Card payments
// ---------------------------------------------------------------------------------------

#[sqlx::test(migrations = "../migrations")]
async fn card_payments_are_counted_by_outcome_and_reason(pool: PgPool) {
    let p = plan(&pool, "basic-40", dec!(40.00), None, None).await;
    let a = accounts(&pool, 30000301, 1, p).await;
    let account = a[0].0;
    // (method, status, failure, amount, started in Chicago)
    let payments = [
        ("card", "succeeded", None, dec!(64.95), "2026-12-03 10:00"),
        ("card", "succeeded", None, dec!(35.05), "2026-12-04 10:00"),
        (
            "card",
            "failed",
            Some("card_declined"),
            dec!(50.00),
            "2026-12-05 10:00",
        ),
        (
            "card",
            "failed",
            Some("card_declined"),
            dec!(50.00),
            "2026-12-06 10:00",
        ),
        (
            "card",
            "failed",
            Some("expired_card"),
            dec!(20.00),
            "2026-12-06 11:00",
        ),
        (
            "card",
            "requires_action",
            None,
            dec!(40.00),
            "2026-12-07 10:00",
        ),
        ("card", "pending", None, dec!(10.00), "2026-12-07 11:00"),
        ("card", "cancelled", None, dec!(5.00), "2026-12-08 10:00"),
        // Dec 31 at 23:30 in Chicago is Jan 1 in UTC: in the range.
        (
            "autopay",
            "succeeded",
            None,
            dec!(55.00),
            "2026-12-31 23:30",
        ),
        // Nov 30 at 23:30 in Chicago is Dec 1 in UTC: before the range.
        (
            "autopay",
            "failed",
            Some("insufficient_funds"),
            dec!(55.00),
            "2026-11-30 23:30",
        ),
        // Not a card.
        (
            "bank_transfer",
            "succeeded",
            None,
            dec!(80.00),
            "2026-12-10 10:00",
        ),
    ];
    for (method, status, failure, amount, at) in payments {
        sqlx::query(
            "insert into payments (account_id, currency, amount, method, status, idempotency_key,
                                   failure_code, created_at, succeeded_at)
             values ($1, 'USD', $2, $3, $4, 'test-' || gen_random_uuid(), $5, $6,
                     case when $4 = 'succeeded' then $6 end)",
        )
        .bind(account)
        .bind(amount)
        .bind(method)
        .bind(status)
        .bind(failure)
        .bind(chicago(at))
        .execute(&pool)
        .await
        .unwrap();
    }
    // Payments change after they are counted: a 3-D Secure payment of $25.00 is finished
    // (awaiting, then succeeded), and a failed one of $7.00 is removed.
    let change = |sql: &'static str, amount: Decimal| {
        let pool = pool.clone();
        async move {
            sqlx::query(sql)
                .bind(account)
                .bind(amount)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    change(
        "insert into payments (account_id, currency, amount, method, status, idempotency_key, created_at)
         values ($1, 'USD', $2, 'card', 'requires_action', 'test-3ds-finished', '2026-12-09 16:00Z')",
        dec!(25.00),
    )
    .await;
    change(
        "update payments set status = 'succeeded', succeeded_at = now()
          where account_id = $1 and amount = $2 and status = 'requires_action'",
        dec!(25.00),
    )
    .await;
    change(
        "insert into payments (account_id, currency, amount, method, status, failure_code, idempotency_key, created_at)
         values ($1, 'USD', $2, 'card', 'failed', 'card_declined', 'test-removed', '2026-12-09 17:00Z')",
        dec!(7.00),
    )
    .await;
    change(
        "delete from payments where account_id = $1 and amount = $2",
        dec!(7.00),
    )
    .await;
    assert_eq!(payment_rollup_disagreements(&pool).await, 0);
    // Nothing is kept of a group nothing is in any more.
    assert_eq!(
        count(
            &pool,
            "select count(*) from payment_outcomes where payments = 0"
        )
        .await,
        0
    );

    let rows =
        reports::card_payments::report(&pool, range(d(2026, 12, 1), d(2026, 12, 31)), CHICAGO)
            .await
            .unwrap();
    let row = |method: &str, outcome: &str, failure: &str, payments: i64, amount: Decimal| {
        PaymentOutcome {
            method: method.into(),
            outcome: outcome.into(),
            failure_code: failure.into(),
            currency: "USD".into(),
            payments,
            amount,
        }
    };
    assert_eq!(
        rows,
        [
            row("autopay", "succeeded", "", 1, dec!(55.00)),
            // 64.95 + 35.05 + 25.00 (finished) = 125.00
            row("card", "succeeded", "", 3, dec!(125.00)),
            row("card", "failed", "card_declined", 2, dec!(100.00)),
            row("card", "failed", "expired_card", 1, dec!(20.00)),
            row("card", "awaiting", "", 2, dec!(50.00)),
            row("card", "cancelled", "", 1, dec!(5.00)),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Disputes and adjustments
// ---------------------------------------------------------------------------------------

#[sqlx::test(migrations = "../migrations")]
async fn disputes_and_adjustments_are_counted_by_outcome(pool: PgPool) {
    let p = plan(&pool, "basic-40", dec!(40.00), None, None).await;
    let a = accounts(&pool, 30000401, 1, p).await;
    let account = a[0].0;
    let (_, line) = statement(
        &pool,
        account,
        "S-DIS-1",
        "2026-11-01",
        "2026-11-21",
        dec!(40.00),
        dec!(0),
        dec!(0),
        None,
    )
    .await;
    let mut staff = Vec::new();
    for role in ["billing", "support_rep", "admin"] {
        let id: i64 = sqlx::query_scalar(
            "insert into staff_users (email, display_name, role, password_hash)
             values ($1 || '@example.net', $1, $1, '$argon2id$test') returning id",
        )
        .bind(role)
        .fetch_one(&pool)
        .await
        .unwrap();
        staff.push(id);
    }
    let [billing, rep, admin] = staff[..] else {
        unreachable!()
    };
    let credit = |amount: Decimal| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "insert into ledger_entries (account_id, currency, kind, amount, description, effective_on)
                 values ($1, 'USD', 'credit', $2, 'Credit', '2026-12-10') returning id",
            )
            .bind(account)
            .bind(amount)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    // Disputes of the one line, each decided before the next was opened (one open per
    // line): 25.00 accepted with a 25.00 credit (Dec 4), 5.00 rejected (Dec 5), 10.00 open
    // (Dec 6); one from Nov 28 is before the range.
    let credit_id = credit(dec!(-25.00)).await;
    for (amount, opened, outcome) in [
        (dec!(7.00), "2026-11-28 10:00", Some("rejected")),
        (dec!(25.00), "2026-12-04 10:00", Some("accepted")),
        (dec!(5.00), "2026-12-05 10:00", Some("rejected")),
        (dec!(10.00), "2026-12-06 10:00", None),
    ] {
        sqlx::query(
            "insert into tickets (account_id, subject, category, statement_line_id, disputed_amount,
                                  created_at, dispute_outcome, dispute_explanation, dispute_credit_id,
                                  decided_by_staff, decided_at, status)
             values ($1, 'Disputed', 'dispute', $2, $3, $4, $5,
                     case $5 when 'rejected' then 'The service was up all month.' end,
                     case $5 when 'accepted' then $6 end,
                     case when $5 is not null then $7 end, case when $5 is not null then $4 end,
                     case when $5 is null then 'open' else 'resolved' end)",
        )
        .bind(account)
        .bind(line)
        .bind(amount)
        .bind(chicago(opened))
        .bind(outcome)
        .bind(credit_id)
        .bind(billing)
        .execute(&pool)
        .await
        .unwrap();
    }
    // Adjustments: billing credits 20.00 alone and 150.00 approved by an administrator
    // (both posted); a rep's 15.00 charge waits; a rep's 30.00 credit was rejected; one
    // from November is before the range.
    let posted_20 = credit(dec!(-20.00)).await;
    let posted_150 = credit(dec!(-150.00)).await;
    let posted_nov = credit(dec!(-12.00)).await;
    for (amount, by, at, needs, status, decided, entry) in [
        (
            dec!(-20.00),
            billing,
            "2026-12-02 10:00",
            false,
            "posted",
            Some(billing),
            Some(posted_20),
        ),
        (
            dec!(-150.00),
            billing,
            "2026-12-03 10:00",
            true,
            "posted",
            Some(admin),
            Some(posted_150),
        ),
        (
            dec!(15.00),
            rep,
            "2026-12-04 10:00",
            false,
            "pending",
            None,
            None,
        ),
        (
            dec!(-30.00),
            rep,
            "2026-12-05 10:00",
            true,
            "rejected",
            Some(billing),
            None,
        ),
        (
            dec!(-12.00),
            billing,
            "2026-11-20 10:00",
            false,
            "posted",
            Some(billing),
            Some(posted_nov),
        ),
    ] {
        sqlx::query(
            "insert into adjustments (account_id, amount, reason, requested_by, requested_at,
                                      needs_approval, status, decided_by, decided_at, ledger_entry_id)
             values ($1, $2, 'Goodwill for the outage', $3, $4, $5, $6, $7,
                     case when $7 is not null then $4 end, $8)",
        )
        .bind(account)
        .bind(amount)
        .bind(by)
        .bind(chicago(at))
        .bind(needs)
        .bind(status)
        .bind(decided)
        .bind(entry)
        .execute(&pool)
        .await
        .unwrap();
    }
    let rows = reports::disputes::report(&pool, range(d(2026, 12, 1), d(2026, 12, 31)), CHICAGO)
        .await
        .unwrap();
    let group = |section: &str,
                 outcome: &str,
                 by: &str,
                 direction: &str,
                 count: i64,
                 amount: Decimal,
                 credited: Decimal,
                 second: i64| Group {
        section: section.into(),
        outcome: outcome.into(),
        requested_by: by.into(),
        direction: direction.into(),
        currency: "USD".into(),
        count,
        amount,
        credited,
        approved_by_second: second,
    };
    assert_eq!(
        rows,
        [
            group(
                "dispute",
                "accepted",
                "",
                "",
                1,
                dec!(25.00),
                dec!(25.00),
                0
            ),
            group("dispute", "open", "", "", 1, dec!(10.00), dec!(0), 0),
            group("dispute", "rejected", "", "", 1, dec!(5.00), dec!(0), 0),
            group(
                "adjustment",
                "pending",
                "support_rep",
                "charge",
                1,
                dec!(15.00),
                dec!(0),
                0
            ),
            // −20.00 − 150.00 = −170.00, the 150.00 approved by a second person.
            group(
                "adjustment",
                "posted",
                "billing",
                "credit",
                2,
                dec!(-170.00),
                dec!(0),
                1
            ),
            group(
                "adjustment",
                "rejected",
                "support_rep",
                "credit",
                1,
                dec!(-30.00),
                dec!(0),
                0
            ),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Usage against allowance
// ---------------------------------------------------------------------------------------

const GB: i64 = 1_000_000_000;

#[sqlx::test(migrations = "../migrations")]
async fn usage_is_set_against_each_plans_allowance_month_by_month(pool: PgPool) {
    let capped = plan(
        &pool,
        "capped-100",
        dec!(50.00),
        Some(100),
        Some(dec!(1.00)),
    )
    .await;
    let unlimited = plan(&pool, "unlimited", dec!(70.00), None, None).await;
    let a = accounts(&pool, 30000501, 6, capped).await;
    let u = |i: usize| a[i - 1].1;
    sqlx::query("update services set plan_id = $2 where id = $1")
        .bind(u(5))
        .bind(unlimited)
        .execute(&pool)
        .await
        .unwrap();
    let nov = (d(2026, 11, 1), d(2026, 12, 1));
    // November: U1 120 GB, U2 85 GB, U3 50 GB, U4 49 GB (then 2 GB more on Nov 30: 51 GB),
    // U5 (unlimited) 500 GB, U6 nothing. December: U1 10 GB, U5 10 GB less its Dec 10 (1
    // GB) = 9 GB. October: U1 300 GB, outside the months asked for.
    for (i, gb) in [(1, 120), (2, 85), (3, 50), (4, 49), (5, 500)] {
        usage(&pool, u(i), nov.0, nov.1, gb * GB).await;
    }
    usage(&pool, u(1), d(2026, 12, 1), d(2026, 12, 11), 10 * GB).await;
    usage(&pool, u(5), d(2026, 12, 1), d(2026, 12, 11), 10 * GB).await;
    usage(&pool, u(1), d(2026, 10, 1), d(2026, 11, 1), 300 * GB).await;
    sqlx::query(
        "update usage_daily set upload_bytes = upload_bytes + $2 where service_id = $1 and day = '2026-11-30'",
    )
    .bind(u(4))
    .bind(2 * GB)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("delete from usage_daily where service_id = $1 and day = '2026-12-10'")
        .bind(u(5))
        .execute(&pool)
        .await
        .unwrap();
    // U3 moves to the unlimited plan after November began: a late 1 GB more on Nov 30
    // still counts under the capped plan (51 GB), December's 5 GB under the unlimited one.
    sqlx::query("update services set plan_id = $2 where id = $1")
        .bind(u(3))
        .bind(unlimited)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "update usage_daily set download_bytes = download_bytes + $2 where service_id = $1 and day = '2026-11-30'",
    )
    .bind(u(3))
    .bind(GB)
    .execute(&pool)
    .await
    .unwrap();
    usage(&pool, u(3), d(2026, 12, 1), d(2026, 12, 6), 5 * GB).await;
    // The roll-up agrees with the days, service by service and month by month.
    assert_eq!(usage_rollup_disagreements(&pool).await, 0);

    let rows = reports::usage::report(&pool, range(d(2026, 11, 10), d(2026, 12, 5)))
        .await
        .unwrap();
    let month = |month: NaiveDate,
                 code: &str,
                 allowance: Option<i32>,
                 services: i64,
                 gb: i64,
                 [half, four_fifths, all]: [i64; 3]| PlanMonth {
        month,
        code: code.into(),
        name: "Cable 300".into(),
        allowance_gb: allowance,
        services,
        bytes: gb * GB,
        over_half: half,
        over_four_fifths: four_fifths,
        over_allowance: all,
    };
    assert_eq!(
        rows,
        [
            // 120 + 85 + 51 + 51 = 307 GB; at least 50 GB: all four; at least 80 GB: U1
            // and U2; 100 GB or more: U1.
            month(d(2026, 11, 1), "capped-100", Some(100), 4, 307, [4, 2, 1]),
            month(d(2026, 11, 1), "unlimited", None, 1, 500, [0, 0, 0]),
            month(d(2026, 12, 1), "capped-100", Some(100), 1, 10, [0, 0, 0]),
            // U5 9 GB + U3 5 GB.
            month(d(2026, 12, 1), "unlimited", None, 2, 14, [0, 0, 0]),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------------------

#[test]
fn a_range_runs_forward_and_covers_at_most_three_years() {
    assert!(Range::new(d(2026, 12, 2), d(2026, 12, 1)).is_err());
    assert!(Range::new(d(2024, 1, 1), d(2026, 12, 31)).is_ok());
    assert!(Range::new(d(2023, 1, 1), d(2026, 12, 31)).is_err());
    assert_eq!(range(d(2026, 12, 1), d(2026, 12, 31)).days(), 31);
}

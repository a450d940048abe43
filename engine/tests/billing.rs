//! The engine against a real PostgreSQL: statements, the ledger, payments, dunning and
//! prepaid balances, with every expected amount worked out by hand in the comments.

mod common;

use common::*;
use engine::bill_run::{Failure, SkipReason, Skipped};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::PgPool;

fn l(kind: &str, amount: Decimal) -> (String, Decimal) {
    (kind.to_string(), amount)
}

async fn cable(pool: &PgPool) -> (i64, i64) {
    let j = jurisdiction(pool, "US-IL", "Sales tax", dec!(0.0825), false).await;
    let p = plan(pool, "cable-300", dec!(60.00), Some(1000), Some(dec!(2.00))).await;
    (j, p)
}

#[sqlx::test(migrations = "../migrations")]
async fn a_first_statement_prorates_rates_usage_taxes_and_posts_to_the_ledger(pool: PgPool) {
    let (j, p) = cable(&pool).await;
    let (account, service) = account(&pool, "20000001", "postpaid", 5, j, p, d(2026, 10, 20)).await;
    // 1,004.4 GB from activation to the cycle day.
    usage(
        &pool,
        service,
        d(2026, 10, 20),
        d(2026, 11, 5),
        1_004_400_000_000,
    )
    .await;
    sqlx::query(
        "insert into one_time_charges (account_id, currency, description, amount, charge_on)
         values ($1, 'USD', 'Replacement router', 120.00, '2026-11-01')",
    )
    .bind(account)
    .execute(&pool)
    .await
    .unwrap();

    let summary = bill(&pool, d(2026, 11, 5)).await;
    assert_eq!(summary.billed, 1);

    // Oct 20 – Nov 4: 16 of 31 days × 60.00 = 30.967… → 30.97; Nov 5 – Dec 4 in advance:
    // 60.00; 4.4 GB over → 5 started GB × 2.00 = 10.00; the router 120.00; tax on
    // 220.97 × 8.25% = 18.230025 → 18.23. Total 239.20.
    assert_eq!(
        lines(&pool, account, d(2026, 11, 5)).await,
        vec![
            l("recurring", dec!(30.97)),
            l("recurring", dec!(60.00)),
            l("usage", dec!(10.00)),
            l("one_time", dec!(120.00)),
            l("tax", dec!(18.23)),
        ]
    );
    let (id, total, due, status): (i64, Decimal, chrono::NaiveDate, String) = sqlx::query_as(
        "select id, total_due, due_on, status from statements where account_id = $1",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (total, due, status.as_str()),
        (dec!(239.20), d(2026, 11, 26), "open")
    );
    // Every charge is in the ledger, once.
    assert_eq!(balance(&pool, account).await, dec!(239.20));
    assert_eq!(
        count(
            &pool,
            "select count(*) from ledger_entries where statement_id is not null"
        )
        .await,
        5
    );
    // The charged days, and the one-time charge marked billed.
    let charged: Vec<(chrono::NaiveDate, chrono::NaiveDate)> = sqlx::query_as(
        "select period_start, period_end from service_charges where service_id = $1 order by period_start",
    )
    .bind(service)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        charged,
        vec![
            (d(2026, 10, 20), d(2026, 11, 5)),
            (d(2026, 11, 5), d(2026, 12, 5))
        ]
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from one_time_charges where statement_id is null"
        )
        .await,
        0
    );
    // The email and the history event.
    let (subject, text): (String, String) = sqlx::query_as(
        "select subject, text_body from outbound_emails where kind = 'statement_ready'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        subject,
        "Your Lastmile Broadband statement: $239.20 due by Nov 26, 2026"
    );
    assert!(text.contains("Amount due: $239.20"), "{text}");
    assert!(
        text.contains(&format!("https://portal.example.net/statements/{id}")),
        "{text}"
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from service_events where kind = 'statement'"
        )
        .await,
        1
    );

    // Running the same date again bills nothing more.
    let again = bill(&pool, d(2026, 11, 5)).await;
    assert_eq!(again.billed, 0);
    assert_eq!(
        again.skipped,
        vec![Skipped {
            reason: SkipReason::AlreadyBilled,
            accounts: 1
        }]
    );
    assert_eq!(count(&pool, "select count(*) from statements").await, 1);
    assert_eq!(count(&pool, "select count(*) from ledger_entries").await, 5);

    // Paid in full: the statement is settled.
    let paid = pay(&pool, "20000001", dec!(239.20), "BT-1", d(2026, 11, 20)).await;
    assert_eq!((paid.statements_paid, paid.balance), (1, dec!(0.00)));
    // The same reference again records nothing.
    let again = pay(&pool, "20000001", dec!(239.20), "BT-1", d(2026, 11, 20)).await;
    assert!(!again.new);
    assert_eq!(balance(&pool, account).await, dec!(0.00));

    // December: the payment shows; no usage rows means 0 GB. 60.00 + tax 4.95.
    bill(&pool, d(2026, 12, 5)).await;
    assert_eq!(
        lines(&pool, account, d(2026, 12, 5)).await,
        vec![
            l("recurring", dec!(60.00)),
            l("usage", dec!(0.00)),
            l("tax", dec!(4.95)),
            l("payment", dec!(-239.20)),
        ]
    );
    // 239.20 + 60.00 + 4.95 − 239.20
    assert_eq!(balance(&pool, account).await, dec!(64.95));

    // Cancelled on Dec 20: Dec 20 – Jan 4 was paid for. The piece Dec 5 – Jan 4 cost 60.00;
    // its 15 served days cost 60 × 15/31 = 29.03; refund 30.97 plus its 8.25% tax
    // (2.555025 → 2.56) = 33.53. Usage is for Dec 5 – 19 only.
    sqlx::query(
        "update services set status = 'cancelled', cancelled_on = '2026-12-20' where id = $1",
    )
    .bind(service)
    .execute(&pool)
    .await
    .unwrap();
    bill(&pool, d(2027, 1, 5)).await;
    assert_eq!(
        lines(&pool, account, d(2027, 1, 5)).await,
        vec![l("credit", dec!(-33.53)), l("usage", dec!(0.00))]
    );
    // 64.95 unpaid − 33.53
    assert_eq!(balance(&pool, account).await, dec!(31.42));
    let refunds = count(
        &pool,
        "select count(*) from service_charges where kind = 'refund'",
    )
    .await;
    assert_eq!(refunds, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_dry_run_reports_the_statement_and_writes_nothing(pool: PgPool) {
    let (j, p) = cable(&pool).await;
    account(&pool, "20000002", "postpaid", 31, j, p, d(2027, 2, 10)).await;
    let summary = engine::bill_run::run(
        &pool,
        &config(),
        &engine::bill_run::RunOptions {
            dry_run: true,
            account: Some("20000002".into()),
            ..run_options(d(2027, 2, 28))
        },
        None,
    )
    .await
    .unwrap();
    // Cycle day 31 in February bills on the 28th: Feb 10 – 27 is 18 of the 28 days of
    // Jan 31 – Feb 27: 60 × 18/28 = 38.571… → 38.57; Feb 28 – Mar 30: 60.00; no usage
    // recorded since Feb 10: 0.00; tax on 98.57 = 8.132025 → 8.13. Total 106.70.
    assert_eq!(summary.billed, 1);
    let bill = &summary.statements[0];
    let amounts: Vec<Decimal> = bill.lines.iter().map(|l| l.amount.amount()).collect();
    assert_eq!(
        amounts,
        vec![dec!(38.57), dec!(60.00), dec!(0.00), dec!(8.13)]
    );
    assert_eq!(bill.totals.total_due.amount(), dec!(106.70));
    for table in [
        "statements",
        "ledger_entries",
        "outbound_emails",
        "bill_runs",
        "service_charges",
    ] {
        assert_eq!(
            count(&pool, &format!("select count(*) from {table}")).await,
            0,
            "{table}"
        );
    }
    // Another day is not this account's cycle day: refused, pointing to the statement of
    // the period that day falls in, which was never issued (not to a later one).
    let other = engine::bill_run::run(
        &pool,
        &config(),
        &engine::bill_run::RunOptions {
            dry_run: true,
            account: Some("20000002".into()),
            ..run_options(d(2027, 3, 2))
        },
        None,
    )
    .await
    .expect_err("not a billing day");
    assert_eq!(
        other.to_string(),
        "2027-03-02 is not a billing day of account 20000002, which is billed on the 31st (or \
         the month's last day) of each month: its statement for this period was due on \
         2027-02-28 and has not been issued: bill it with --date 2027-02-28"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_next_bill_so_far_is_previewed_through_the_same_composition(pool: PgPool) {
    let (j, p) = cable(&pool).await;
    let (account, service) = account(&pool, "20000003", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    bill(&pool, d(2026, 11, 5)).await;
    // Halfway through the period, 1,001 GB used: 1 GB over so far.
    usage(
        &pool,
        service,
        d(2026, 11, 5),
        d(2026, 11, 20),
        1_001_000_000_000,
    )
    .await;
    let mut conn = pool.acquire().await.unwrap();
    let preview = engine::bill_run::preview(&mut conn, &config(), account, d(2026, 11, 20))
        .await
        .unwrap()
        .expect("a next statement");
    // Dec 5: 60.00 in advance, 1 GB × 2.00, tax on 62.00 = 5.115 → 5.12; plus the unpaid
    // 64.95 (60.00 + 4.95) of November: 132.07.
    let amounts: Vec<Decimal> = preview.lines.iter().map(|l| l.amount.amount()).collect();
    assert_eq!(amounts, vec![dec!(60.00), dec!(2.00), dec!(5.12)]);
    assert_eq!(preview.totals.total_due.amount(), dec!(132.07));
    assert_eq!(
        count(&pool, "select count(*) from statements").await,
        1,
        "nothing written"
    );
}

/// "Your next bill, so far" is never kept from an earlier look: a payment and another day of
/// usage show at once, and the figures are those of the bill run's own composition.
#[sqlx::test(migrations = "../migrations")]
async fn the_next_bill_so_far_follows_a_payment_and_more_usage_at_once(pool: PgPool) {
    let (j, p) = cable(&pool).await;
    let (account, service) = account(&pool, "20000013", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    bill(&pool, d(2026, 11, 5)).await;
    usage(
        &pool,
        service,
        d(2026, 11, 5),
        d(2026, 11, 20),
        1_001_000_000_000,
    )
    .await;
    let preview = |pool: PgPool| async move {
        let mut conn = pool.acquire().await.unwrap();
        let cycle = billing::CycleDay::new(5).unwrap();
        engine::bill_run::preview_in_cycle(&mut conn, &config(), account, cycle, d(2026, 11, 20))
            .await
            .unwrap()
            .expect("a next statement")
    };
    assert_eq!(
        preview(pool.clone()).await.totals.total_due.amount(),
        dec!(132.07)
    );

    // November's 64.95 is paid; one more GB is used (2 GB over: 4.00, tax on 64.00 = 5.28).
    engine::payments::record(
        &pool,
        &config(),
        &engine::payments::NewPayment {
            account_number: "20000013".into(),
            amount: dec!(64.95),
            method: "bank_transfer".into(),
            reference: "R-13".into(),
            received_on: d(2026, 11, 20),
        },
    )
    .await
    .unwrap();
    usage(
        &pool,
        service,
        d(2026, 11, 20),
        d(2026, 11, 21),
        1_000_000_000,
    )
    .await;
    let after = preview(pool.clone()).await;
    let amounts: Vec<Decimal> = after
        .lines
        .iter()
        .filter(|l| !matches!(l.source, billing::bill::Source::Received(_)))
        .map(|l| l.amount.amount())
        .collect();
    assert_eq!(amounts, vec![dec!(60.00), dec!(4.00), dec!(5.28)]);
    // 64.95 carried − 64.95 paid + 69.28 new.
    assert_eq!(after.totals.total_due.amount(), dec!(69.28));
}

#[sqlx::test(migrations = "../migrations")]
async fn dunning_steps_are_taken_once_each_and_payment_restores_service(pool: PgPool) {
    let (j, p) = cable(&pool).await;
    let (account, service) = account(&pool, "20000004", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    // Nov 5: 60.00 + 4.95 tax = 64.95, due Nov 26.
    bill(&pool, d(2026, 11, 5)).await;
    let cfg = config();
    let dun = |day| {
        let pool = pool.clone();
        let cfg = cfg.clone();
        async move { engine::dunning::run(&pool, &cfg, day).await.unwrap() }
    };
    assert_eq!(
        dun(d(2026, 11, 22)).await,
        Default::default(),
        "too early for a reminder"
    );
    assert_eq!(dun(d(2026, 11, 23)).await.reminders, 1); // due − 3 days
    assert_eq!(
        dun(d(2026, 11, 23)).await,
        Default::default(),
        "never twice"
    );
    assert_eq!(dun(d(2026, 11, 27)).await.overdue_notices, 1); // due + 1
    assert_eq!(dun(d(2026, 12, 3)).await.late_fees, 1); // due + 7
    assert_eq!(dun(d(2026, 12, 4)).await, Default::default());

    // Dec 5: the late fee is billed (not taxed, posted as a late fee): 64.95 carried,
    // 60.00 + 0.00 usage + 15.00 + 4.95 tax = 144.90.
    bill(&pool, d(2026, 12, 5)).await;
    assert_eq!(
        lines(&pool, account, d(2026, 12, 5)).await,
        vec![
            l("recurring", dec!(60.00)),
            l("usage", dec!(0.00)),
            l("one_time", dec!(15.00)),
            l("tax", dec!(4.95)),
        ]
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from ledger_entries where kind = 'late_fee' and amount = 15.00"
        )
        .await,
        1
    );
    assert_eq!(balance(&pool, account).await, dec!(144.90));

    // Dec 10: the November statement is 14 days overdue: suspended.
    assert_eq!(dun(d(2026, 12, 10)).await.suspensions, 1);
    let status: (String, Option<String>) =
        sqlx::query_as("select status, suspension_reason from services where id = $1")
            .bind(service)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, ("suspended".into(), Some("non_payment".into())));

    // Paying everything settles both statements and restores the service.
    let paid = pay(&pool, "20000004", dec!(144.90), "BT-2", d(2026, 12, 11)).await;
    assert_eq!((paid.statements_paid, paid.services_restored), (2, 1));
    let status: String = sqlx::query_scalar("select status from services where id = $1")
        .bind(service)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "active");
    assert_eq!(
        dun(d(2026, 12, 23)).await,
        Default::default(),
        "nothing owed, no reminder"
    );

    let kinds: Vec<String> = sqlx::query_scalar(
        "select kind from outbound_emails where kind <> 'statement_ready' order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        kinds,
        vec![
            "dunning_reminder",
            "dunning_overdue",
            "dunning_late_fee",
            "dunning_suspension",
            "service_restored"
        ]
    );
    let events: Vec<String> = sqlx::query_scalar(
        "select kind from service_events where kind in ('dunning', 'suspension', 'restoration') order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        vec!["dunning", "dunning", "dunning", "suspension", "restoration"]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn prepaid_plans_are_paid_from_the_balance_and_suspended_when_it_runs_out(pool: PgPool) {
    let j = jurisdiction(&pool, "US-TX", "Sales tax", dec!(0.0825), false).await;
    let p = plan(&pool, "prepaid-50", dec!(30.00), None, None).await;
    let (account, service) = account(&pool, "20000005", "prepaid", 5, j, p, d(2026, 11, 5)).await;
    // A 50.00 top-up before the service starts.
    pay(&pool, "20000005", dec!(50.00), "TOPUP-1", d(2026, 11, 1)).await;

    // Nov 5: 30.00 + 2.475 → 2.48 tax taken from 50.00: 17.52 left, less than next month's
    // 30.00, so a low-balance notice. Nothing is due; the statement is settled.
    bill(&pool, d(2026, 11, 5)).await;
    assert_eq!(
        lines(&pool, account, d(2026, 11, 5)).await,
        vec![
            l("recurring", dec!(30.00)),
            l("tax", dec!(2.48)),
            l("payment", dec!(-50.00))
        ]
    );
    assert_eq!(balance(&pool, account).await, dec!(-17.52));
    let (status, due): (String, chrono::NaiveDate) =
        sqlx::query_as("select status, due_on from statements where account_id = $1")
            .bind(account)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), due), ("paid", d(2026, 11, 5)));
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbound_emails where kind = 'prepaid_low_balance'"
        )
        .await,
        1
    );

    // Dec 5: 32.48 is more than the 17.52 left, so the service is switched off from Dec 5
    // and the period is not charged (billing::bill, rule 8): still 17.52 in credit.
    let summary = bill(&pool, d(2026, 12, 5)).await;
    assert_eq!(summary.suspended, 1);
    assert_eq!(lines(&pool, account, d(2026, 12, 5)).await, vec![]);
    assert_eq!(balance(&pool, account).await, dec!(-17.52));
    let reason: Option<String> =
        sqlx::query_scalar("select suspension_reason from services where id = $1")
            .bind(service)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(reason.as_deref(), Some("prepaid_balance"));
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbound_emails where kind = 'prepaid_exhausted'"
        )
        .await,
        1
    );

    // A 20.00 top-up: 37.52 pays a whole period (30.00 + 8.25% = 32.48), so the service
    // comes back from Dec 6.
    let topped = pay(&pool, "20000005", dec!(20.00), "TOPUP-2", d(2026, 12, 6)).await;
    assert_eq!(topped.balance, dec!(-37.52));
    assert_eq!((topped.statements_paid, topped.services_restored), (0, 1));
    let status: String = sqlx::query_scalar("select status from services where id = $1")
        .bind(service)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "active");
    let days: Vec<(chrono::NaiveDate, Option<chrono::NaiveDate>)> = sqlx::query_as(
        "select suspended_on, restored_on from service_suspensions where service_id = $1",
    )
    .bind(service)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(days, vec![(d(2026, 12, 5), Some(d(2026, 12, 6)))]);
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_payments_are_refused_and_change_nothing(pool: PgPool) {
    let (j, p) = cable(&pool).await;
    account(&pool, "20000006", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    let cfg = config();
    for (number, amount, method) in [
        ("20000006", dec!(0), "cash"),
        ("20000006", dec!(-5), "cash"),
        ("20000006", dec!(1.001), "cash"),
        ("20000006", dec!(10), "card"),
        ("99999999", dec!(10), "cash"),
    ] {
        let result = engine::payments::record(
            &pool,
            &cfg,
            &engine::payments::NewPayment {
                account_number: number.into(),
                amount,
                method: method.into(),
                reference: "R-1".into(),
                received_on: d(2026, 11, 6),
            },
        )
        .await;
        assert!(result.is_err(), "{number} {amount} {method} accepted");
    }
    assert_eq!(count(&pool, "select count(*) from payments").await, 0);
    assert_eq!(count(&pool, "select count(*) from ledger_entries").await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_account_that_cannot_be_billed_does_not_stop_the_others(pool: PgPool) {
    let (j, p) = cable(&pool).await;
    // A plan priced in euros on a dollar account: its statement cannot be composed.
    let euro: i64 = sqlx::query_scalar(
        "insert into plans (code, name, technology, download_mbps, upload_mbps, monthly_price, currency)
         values ('euro-plan', 'Euro plan', 'fibre', 100, 100, 30.00, 'EUR') returning id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    account(&pool, "20000007", "postpaid", 5, j, euro, d(2026, 11, 5)).await;
    for n in 0..3 {
        account(
            &pool,
            &format!("2000001{n}"),
            "postpaid",
            5,
            j,
            p,
            d(2026, 11, 5),
        )
        .await;
    }
    let summary = engine::bill_run::run(
        &pool,
        &engine::EngineConfig {
            batch_size: 10,
            ..config()
        },
        &run_options(d(2026, 11, 5)),
        None,
    )
    .await
    .unwrap();
    assert_eq!(summary.billed, 3);
    // Named by its account number, with what is wrong.
    assert_eq!(
        summary.failed,
        vec![Failure {
            account_number: "20000007".into(),
            error: "an amount in EUR on an account billed in USD".into(),
        }]
    );
    assert_eq!(count(&pool, "select count(*) from statements").await, 3);
    // The run is recorded as partial, not done, and says which account.
    let run: (String, i32, i32, Option<String>) = sqlx::query_as(
        "select status, accounts_billed, accounts_failed, last_error from bill_runs",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        run,
        (
            "partial".to_string(),
            3,
            1,
            Some(
                "1 account could not be billed: 20000007 (an amount in EUR on an account \
                 billed in USD)"
                    .to_string()
            )
        )
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn services_cancelled_long_ago_get_no_more_empty_statements(pool: PgPool) {
    let (j, p) = cable(&pool).await;
    let (account, service) = account(&pool, "20000008", "postpaid", 5, j, p, d(2026, 7, 5)).await;
    bill(&pool, d(2026, 7, 5)).await;
    sqlx::query(
        "update services set status = 'cancelled', cancelled_on = '2026-08-01' where id = $1",
    )
    .bind(service)
    .execute(&pool)
    .await
    .unwrap();
    // Aug 5: Aug 1 – 4 refunded (60 − 60 × 27/31 = 60 − 52.26 = 7.74, plus 8.25% tax 0.64:
    // 8.38) and July's usage.
    bill(&pool, d(2026, 8, 5)).await;
    assert_eq!(
        lines(&pool, account, d(2026, 8, 5)).await,
        vec![l("credit", dec!(-8.38)), l("usage", dec!(0.00))]
    );
    // Sep 5: nothing left to bill, so no empty statement.
    let summary = bill(&pool, d(2026, 9, 5)).await;
    assert_eq!(summary.billed, 0);
    assert_eq!(
        summary.skipped,
        vec![Skipped {
            reason: SkipReason::NothingToBill,
            accounts: 1
        }]
    );
    // A payment arriving later is shown on a statement again.
    pay(&pool, "20000008", dec!(10.00), "LATE-1", d(2026, 9, 10)).await;
    bill(&pool, d(2026, 10, 5)).await;
    assert_eq!(
        lines(&pool, account, d(2026, 10, 5)).await,
        vec![l("payment", dec!(-10.00))]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_database_refuses_lines_that_do_not_add_up_whoever_writes_them(pool: PgPool) {
    let (j, p) = cable(&pool).await;
    let (account, _) = account(&pool, "20000009", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    bill(&pool, d(2026, 11, 5)).await;
    let statement: i64 = sqlx::query_scalar("select id from statements where account_id = $1")
        .bind(account)
        .fetch_one(&pool)
        .await
        .unwrap();
    let add_line = "insert into statement_lines (statement_id, line_no, kind, description, amount)
                    values ($1, 99, 'one_time', 'Added later', 5.00)";

    // Another system adds a line to an issued statement without changing its totals.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(add_line)
        .bind(statement)
        .execute(&mut *tx)
        .await
        .unwrap();
    let err = tx.commit().await.expect_err("refused at commit");
    assert!(err.to_string().contains("do not add up"), "{err}");

    // The same line with the header brought along is accepted.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(add_line)
        .bind(statement)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "update statements set total_charges = total_charges + 5, total_due = total_due + 5 where id = $1",
    )
    .bind(statement)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.expect("consistent");

    // A new statement whose lines fall short of its header, in one transaction.
    let mut tx = pool.begin().await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "insert into statements (account_id, currency, statement_number, period_start, period_end,
                                 issued_on, due_on, previous_balance, total_charges, total_tax,
                                 total_payments, total_credits, total_due)
         values ($1, 'USD', 'S-20000009-202612', '2026-12-05', '2027-01-05', '2026-12-05',
                 '2026-12-26', 0, 60.00, 0, 0, 0, 60.00) returning id",
    )
    .bind(account)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "insert into statement_lines (statement_id, line_no, kind, description, amount)
         values ($1, 1, 'recurring', 'Cable 300', 59.00)",
    )
    .bind(id)
    .execute(&mut *tx)
    .await
    .unwrap();
    let err = tx.commit().await.expect_err("refused at commit");
    assert!(err.to_string().contains("do not add up"), "{err}");
}

/// Days from `from` to `to` (inclusive), dunning run on each as the scheduler would.
async fn dun_each_day(pool: &PgPool, from: chrono::NaiveDate, to: chrono::NaiveDate) {
    for day in from.iter_days().take_while(|d| *d <= to) {
        engine::dunning::run(pool, &config(), day).await.unwrap();
    }
}

async fn late_fees(pool: &PgPool, account: i64) -> Vec<chrono::NaiveDate> {
    sqlx::query_scalar(
        "select charge_on from one_time_charges where account_id = $1 and kind = 'late_fee'
          order by charge_on",
    )
    .bind(account)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_prepaid_service_switched_off_for_its_balance_accrues_nothing_until_topped_up(
    pool: PgPool,
) {
    // $40.00 plus 8.25% sales tax: 43.30 a period, taken from the balance.
    let j = jurisdiction(&pool, "US-TX", "Sales tax", dec!(0.0825), false).await;
    let p = plan(&pool, "prepaid-40", dec!(40.00), None, None).await;
    let (account, service) = account(&pool, "20000021", "prepaid", 5, j, p, d(2026, 11, 5)).await;
    pay(&pool, "20000021", dec!(50.00), "TOPUP-1", d(2026, 11, 1)).await;

    // Nov 5: 43.30 from 50.00, 6.70 left.
    bill(&pool, d(2026, 11, 5)).await;
    assert_eq!(balance(&pool, account).await, dec!(-6.70));
    // Dec 5: 6.70 does not pay 43.30: off from Dec 5, not charged. Four periods off cost
    // nothing (they used to cost 4 × 43.30 = 173.20).
    for (y, m) in [(2026, 12), (2027, 1), (2027, 2), (2027, 3)] {
        bill(&pool, d(y, m, 5)).await;
        assert_eq!(lines(&pool, account, d(y, m, 5)).await, vec![], "{y}-{m}");
    }
    assert_eq!(balance(&pool, account).await, dec!(-6.70));
    assert_eq!(
        count(
            &pool,
            "select count(*) from ledger_entries where kind in ('charge', 'tax')"
        )
        .await,
        2,
        "only November's plan and tax"
    );

    // Mar 20: a 40.00 top-up makes 46.70, which pays a whole period (43.30): back on.
    let topped = pay(&pool, "20000021", dec!(40.00), "TOPUP-2", d(2027, 3, 20)).await;
    assert_eq!(topped.services_restored, 1);
    // Apr 5: Mar 20 – Apr 4 is 16 of 31 days (40 × 16 / 31 = 20.645… → 20.65), and with
    // Apr 5 – May 4 (40.00) and their tax (60.65 × 8.25% = 5.00) it would be 65.65, more
    // than 46.70: off again from Apr 5, and only the days it ran are charged: 20.65 + 1.70
    // tax (1.703625) = 22.35, leaving 24.35.
    bill(&pool, d(2027, 4, 5)).await;
    assert_eq!(
        lines(&pool, account, d(2027, 4, 5)).await,
        vec![
            l("recurring", dec!(20.65)),
            l("tax", dec!(1.70)),
            l("payment", dec!(-40.00))
        ]
    );
    assert_eq!(balance(&pool, account).await, dec!(-24.35));
    let days: Vec<(chrono::NaiveDate, Option<chrono::NaiveDate>)> = sqlx::query_as(
        "select suspended_on, restored_on from service_suspensions where service_id = $1
          order by suspended_on",
    )
    .bind(service)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        days,
        vec![
            (d(2026, 12, 5), Some(d(2027, 3, 20))),
            (d(2027, 4, 5), None)
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_hybrid_service_switched_off_for_its_balance_gets_neither_charges_nor_late_fees(
    pool: PgPool,
) {
    let j = jurisdiction(&pool, "US-TX", "Sales tax", dec!(0.0825), false).await;
    let p = plan(&pool, "hybrid-40", dec!(40.00), None, None).await;
    let (account, _) = account(&pool, "20000022", "hybrid", 5, j, p, d(2026, 11, 5)).await;
    // Nothing in the balance on Nov 5: off from the start, and no period is charged, so
    // nothing falls due and dunning has nothing to pursue.
    for (y, m) in [(2026, 11), (2026, 12), (2027, 1), (2027, 2)] {
        bill(&pool, d(y, m, 5)).await;
        assert_eq!(lines(&pool, account, d(y, m, 5)).await, vec![], "{y}-{m}");
    }
    dun_each_day(&pool, d(2026, 11, 5), d(2027, 3, 4)).await;
    assert_eq!(late_fees(&pool, account).await, vec![]);
    assert_eq!(balance(&pool, account).await, dec!(0));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_service_suspended_for_non_payment_accrues_nothing_and_late_fees_do_not_pile_up(
    pool: PgPool,
) {
    let (j, p) = cable(&pool).await;
    let (account, service) = account(&pool, "20000023", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    // Nov 5: 60.00 + 4.95 tax = 64.95, due Nov 26; unpaid: a late fee on Dec 3.
    bill(&pool, d(2026, 11, 5)).await;
    dun_each_day(&pool, d(2026, 11, 5), d(2026, 12, 4)).await;
    // Dec 5: 60.00, usage 0.00, the 15.00 late fee, 4.95 tax; due Dec 26.
    bill(&pool, d(2026, 12, 5)).await;
    assert_eq!(balance(&pool, account).await, dec!(144.90));
    // Dec 10: November is 14 days overdue: switched off. Jan 2: December's own charges
    // (79.95) are unpaid a week after its due date: its late fee.
    dun_each_day(&pool, d(2026, 12, 5), d(2027, 1, 4)).await;
    assert_eq!(
        late_fees(&pool, account).await,
        vec![d(2026, 12, 3), d(2027, 1, 2)]
    );

    // Jan 5: nothing for Jan 5 – Feb 4; Dec 10 – Jan 4 was charged ahead and is refunded:
    // 60.00 less Dec 5 – 9 (60 × 5 / 31 = 9.68) = 50.32, plus its 8.25% tax (4.1514 →
    // 4.15): 54.47. December's usage (0.00) and the late fee are billed.
    bill(&pool, d(2027, 1, 5)).await;
    assert_eq!(
        lines(&pool, account, d(2027, 1, 5)).await,
        vec![
            l("credit", dec!(-54.47)),
            l("usage", dec!(0.00)),
            l("one_time", dec!(15.00)),
        ]
    );
    // 144.90 + 15.00 − 54.47
    assert_eq!(balance(&pool, account).await, dec!(105.43));
    // January's statement charged nothing new but a late fee: no late fee on it, nor on
    // February's, which carries the balance forward and nothing else (each used to add
    // 60.00 + tax, and a 15.00 fee on top).
    dun_each_day(&pool, d(2027, 1, 5), d(2027, 2, 4)).await;
    bill(&pool, d(2027, 2, 5)).await;
    assert_eq!(
        lines(&pool, account, d(2027, 2, 5)).await,
        vec![l("usage", dec!(0.00))]
    );
    dun_each_day(&pool, d(2027, 2, 5), d(2027, 3, 4)).await;
    assert_eq!(
        late_fees(&pool, account).await,
        vec![d(2026, 12, 3), d(2027, 1, 2)]
    );
    assert_eq!(balance(&pool, account).await, dec!(105.43));

    // Paid on Feb 20: back on from that day. Mar 5: Feb 20 – Mar 4 is 13 of 28 days
    // (60 × 13 / 28 = 27.857… → 27.86), then Mar 5 – Apr 4 in advance; tax on 87.86 =
    // 7.24845 → 7.25.
    let paid = pay(&pool, "20000023", dec!(105.43), "BT-1", d(2027, 2, 20)).await;
    assert_eq!(paid.services_restored, 1);
    bill(&pool, d(2027, 3, 5)).await;
    assert_eq!(
        lines(&pool, account, d(2027, 3, 5)).await,
        vec![
            l("recurring", dec!(27.86)),
            l("recurring", dec!(60.00)),
            l("usage", dec!(0.00)),
            l("tax", dec!(7.25)),
            l("payment", dec!(-105.43)),
        ]
    );
    let days: Vec<(chrono::NaiveDate, Option<chrono::NaiveDate>)> = sqlx::query_as(
        "select suspended_on, restored_on from service_suspensions where service_id = $1",
    )
    .bind(service)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(days, vec![(d(2026, 12, 10), Some(d(2027, 2, 20)))]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_service_cannot_be_switched_off_without_the_days_being_recorded(pool: PgPool) {
    let (j, p) = cable(&pool).await;
    let (_, service) = account(&pool, "20000024", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    let err = sqlx::query(
        "update services set status = 'suspended', suspension_reason = 'other' where id = $1",
    )
    .bind(service)
    .execute(&pool)
    .await
    .expect_err("refused at commit");
    assert!(err.to_string().contains("service_suspensions"), "{err}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_pound_account_reads_pounds_in_its_stored_lines_and_history(pool: PgPool) {
    let j = jurisdiction(&pool, "GB", "VAT", dec!(0.20), true).await;
    let p: i64 = sqlx::query_scalar(
        "insert into plans (code, name, technology, download_mbps, upload_mbps, allowance_gb,
                            monthly_price, currency, price_includes_tax, overage_per_gb)
         values ('fibre-150-gb', 'Fibre 150', 'fibre', 150, 30, 100, 22.06, 'GBP', true, 1.50)
         returning id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let (account, service) = account(&pool, "20000025", "postpaid", 5, j, p, d(2026, 10, 5)).await;
    sqlx::query("update accounts set currency = 'GBP', locale = 'en-GB' where id = $1")
        .bind(account)
        .execute(&pool)
        .await
        .unwrap();
    usage(
        &pool,
        service,
        d(2026, 10, 5),
        d(2026, 11, 5),
        110_000_000_000,
    )
    .await;
    bill(&pool, d(2026, 11, 5)).await;
    let descriptions: Vec<String> =
        sqlx::query_scalar("select description from statement_lines order by line_no")
            .fetch_all(&pool)
            .await
            .unwrap();
    // 22.06 incl. 20% VAT is 18.38 net; 10 GB over at £1.50 is £15.00 incl. VAT.
    assert_eq!(
        descriptions,
        vec![
            "Fibre 150, Oct 5 – Nov 4, 2026 (price £22.06 incl. VAT)",
            "Fibre 150, Nov 5 – Dec 4, 2026 (price £22.06 incl. VAT)",
            "Data usage Oct 5 – Nov 4, 2026: 110.0 GB of 100 GB included; 10 started GB over \
             at £1.50/GB (price £15.00 incl. VAT)",
            "VAT 20%",
        ]
    );
    let history: String =
        sqlx::query_scalar("select summary from service_events where kind = 'statement'")
            .fetch_one(&pool)
            .await
            .unwrap();
    // 22.06 + 22.06 + 15.00
    assert_eq!(
        history,
        "Statement S-20000025-202611 issued: £59.12 due by Nov 26, 2026"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn days_off_are_refunded_at_the_price_they_were_paid_after_a_downgrade(pool: PgPool) {
    let (j, p) = cable(&pool).await;
    let cheaper = plan(&pool, "cable-100", dec!(30.00), Some(500), Some(dec!(2.00))).await;
    let (account, service) = account(&pool, "20000031", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    // Nov 5: Nov 5 – Dec 4 charged at $60.00 in advance.
    bill(&pool, d(2026, 11, 5)).await;
    // Off Nov 10 – 14 (back on Nov 15), then a downgrade to the $30.00 plan from Dec 5.
    sqlx::query(
        "insert into service_suspensions (service_id, account_id, reason, suspended_on, restored_on)
         values ($1, $2, 'other', date '2026-11-10', date '2026-11-15')",
    )
    .bind(service)
    .bind(account)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "with c as (
             insert into plan_changes (service_id, from_plan_id, to_plan_id, effective_on, status,
                                       decided_at, kind)
             values ($1, $2, $3, date '2026-12-05', 'applied', now(), 'downgrade'))
         update services set plan_id = $3 where id = $1",
    )
    .bind(service)
    .bind(p)
    .bind(cheaper)
    .execute(&pool)
    .await
    .unwrap();

    // Dec 5: Dec 5 – Jan 4 at $30.00; the 5 days off were paid at $60.00:
    // 60 × 10 / 30 − 60 × 5 / 30 = 20.00 − 10.00 = 10.00, with its 8.25% tax (0.825 →
    // 0.83): 10.83 back (at the plan now it would be 5.00 + 0.41). Tax on 30.00: 2.475 → 2.48.
    bill(&pool, d(2026, 12, 5)).await;
    let mut got = lines(&pool, account, d(2026, 12, 5)).await;
    got.sort();
    let mut want = vec![
        l("recurring", dec!(30.00)),
        l("credit", dec!(-10.83)),
        l("usage", dec!(0.00)),
        l("tax", dec!(2.48)),
    ];
    want.sort();
    assert_eq!(got, want);
}

//! Disputes against a real PostgreSQL: a questioned charge is held from dunning (the rest is
//! still pursued), an accepted dispute's credit reaches the next statement, a rejected one
//! releases the hold, and each is decided once.

mod common;

use common::*;
use engine::disputes::{self, Decision, DisputeRequest};
use engine::EngineError;
use rust_decimal_macros::dec;
use sqlx::PgPool;

/// A postpaid cable account billed on Nov 5 (60.00 + 4.95 tax = 64.95, due Nov 26), with a
/// portal login; returns (account, login, statement, recurring line, tax line).
async fn billed(pool: &PgPool, number: &str) -> (i64, i64, i64, i64, i64) {
    let j = jurisdiction(pool, "US-IL", "Sales tax", dec!(0.0825), false).await;
    let p = plan(pool, "cable-300", dec!(60.00), Some(1000), Some(dec!(2.00))).await;
    let (account, _) = account(pool, number, "postpaid", 5, j, p, d(2026, 11, 5)).await;
    bill(pool, d(2026, 11, 5)).await;
    let login: i64 = sqlx::query_scalar(
        "insert into portal_logins (account_id, person_id, email, password_hash)
         select account_id, id, email, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA' from people where account_id = $1
         returning id",
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .unwrap();
    let (statement, recurring): (i64, i64) = sqlx::query_as(
        "select s.id, l.id from statements s join statement_lines l on l.statement_id = s.id
          where s.account_id = $1 and l.kind = 'recurring'",
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .unwrap();
    let tax: i64 = sqlx::query_scalar(
        "select l.id from statement_lines l where l.statement_id = $1 and l.kind = 'tax'",
    )
    .bind(statement)
    .fetch_one(pool)
    .await
    .unwrap();
    (account, login, statement, recurring, tax)
}

fn request(
    account: i64,
    login: i64,
    statement: i64,
    line: i64,
    amount: rust_decimal::Decimal,
) -> DisputeRequest {
    DisputeRequest {
        account_id: account,
        statement_id: statement,
        line_id: line,
        amount,
        message: "I was billed for a month I did not have service.".into(),
        login_id: login,
    }
}

async fn staff(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "insert into staff_users (email, display_name, role, password_hash)
         values ('billing@example.net', 'Bea Billing', 'billing', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA') returning id",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_disputed_charge_is_held_from_dunning_and_only_the_rest_is_pursued(pool: PgPool) {
    let (account, login, statement, recurring, tax) = billed(&pool, "20000101").await;
    let cfg = config();

    // Questioning more than the line, or a line of another statement, is refused.
    let too_much = disputes::open(
        &pool,
        &cfg,
        &request(account, login, statement, recurring, dec!(60.01)),
    )
    .await;
    assert!(
        matches!(
            too_much,
            Err(EngineError::InvalidField {
                field: "amount",
                ..
            })
        ),
        "{too_much:?}"
    );
    let wrong_statement = disputes::open(
        &pool,
        &cfg,
        &request(account, login, statement + 1000, recurring, dec!(1)),
    )
    .await;
    assert!(matches!(wrong_statement, Err(EngineError::NotFound)));

    // The whole 64.95 disputed: nothing is chased.
    let first = disputes::open(
        &pool,
        &cfg,
        &request(account, login, statement, recurring, dec!(60.00)),
    )
    .await
    .unwrap();
    disputes::open(
        &pool,
        &cfg,
        &request(account, login, statement, tax, dec!(4.95)),
    )
    .await
    .unwrap();
    let again = disputes::open(
        &pool,
        &cfg,
        &request(account, login, statement, recurring, dec!(5)),
    )
    .await;
    assert!(
        matches!(again, Err(EngineError::Conflict(_))),
        "one open dispute per line"
    );
    assert!(first.number.starts_with("T-"));
    let inbox = count(&pool, "select count(*) from outbound_emails where kind = 'dispute_opened' and to_address = 'support@example.net'").await;
    assert_eq!(inbox, 2);
    for day in [
        d(2026, 11, 23),
        d(2026, 11, 27),
        d(2026, 12, 3),
        d(2026, 12, 10),
    ] {
        assert_eq!(
            engine::dunning::run(&pool, &cfg, day).await.unwrap(),
            Default::default(),
            "{day}"
        );
    }

    // The tax line's dispute is rejected: its 4.95 is pursued again (late, as steps are).
    let staff = staff(&pool).await;
    let tax_ticket: i64 = sqlx::query_scalar("select id from tickets where statement_line_id = $1")
        .bind(tax)
        .fetch_one(&pool)
        .await
        .unwrap();
    let short = disputes::decide(
        &pool,
        &cfg,
        staff,
        account,
        tax_ticket,
        &Decision::Reject {
            explanation: "no".into(),
        },
        d(2026, 12, 10),
    )
    .await;
    assert!(matches!(
        short,
        Err(EngineError::InvalidField {
            field: "explanation",
            ..
        })
    ));
    disputes::decide(
        &pool,
        &cfg,
        staff,
        account,
        tax_ticket,
        &Decision::Reject {
            explanation: "Sales tax applies to every month of service.".into(),
        },
        d(2026, 12, 10),
    )
    .await
    .unwrap();
    let summary = engine::dunning::run(&pool, &cfg, d(2026, 12, 10))
        .await
        .unwrap();
    assert_eq!(
        (
            summary.overdue_notices,
            summary.late_fees,
            summary.suspensions
        ),
        (1, 1, 1)
    );
    let notice: String =
        sqlx::query_scalar("select subject from outbound_emails where kind = 'dunning_overdue'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        notice.contains("$4.95"),
        "only the undisputed amount is chased: {notice}"
    );
    let explained: String =
        sqlx::query_scalar("select dispute_explanation from tickets where id = $1")
            .bind(tax_ticket)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(explained, "Sales tax applies to every month of service.");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_accepted_dispute_credits_the_amount_on_the_next_statement_once(pool: PgPool) {
    let (account, login, statement, recurring, _) = billed(&pool, "20000102").await;
    let cfg = config();
    let opened = disputes::open(
        &pool,
        &cfg,
        &request(account, login, statement, recurring, dec!(20.00)),
    )
    .await
    .unwrap();
    let staff = staff(&pool).await;
    let accept = Decision::Accept {
        note: Some("Sorry about that.".into()),
    };
    disputes::decide(
        &pool,
        &cfg,
        staff,
        account,
        opened.ticket_id,
        &accept,
        d(2026, 11, 20),
    )
    .await
    .unwrap();
    let twice = disputes::decide(
        &pool,
        &cfg,
        staff,
        account,
        opened.ticket_id,
        &accept,
        d(2026, 11, 20),
    )
    .await;
    assert!(
        matches!(twice, Err(EngineError::Conflict(_))),
        "decided once"
    );
    // Another account's id finds nothing.
    let other = disputes::decide(
        &pool,
        &cfg,
        staff,
        account + 1000,
        opened.ticket_id,
        &accept,
        d(2026, 11, 20),
    )
    .await;
    assert!(matches!(other, Err(EngineError::NotFound)));

    assert_eq!(balance(&pool, account).await, dec!(44.95));
    let (status, outcome): (String, String) =
        sqlx::query_as("select status, dispute_outcome from tickets where id = $1")
            .bind(opened.ticket_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), outcome.as_str()),
        ("resolved", "accepted")
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbound_emails where kind = 'dispute_decided'"
        )
        .await,
        1
    );

    // Dec 5: the credit is carried onto the next statement: 64.95 − 20.00 + 64.95 = 109.90.
    bill(&pool, d(2026, 12, 5)).await;
    let (total_credits, total_due): (rust_decimal::Decimal, rust_decimal::Decimal) = sqlx::query_as(
        "select total_credits, total_due from statements where account_id = $1 and period_start = $2",
    )
    .bind(account)
    .bind(d(2026, 12, 5))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((total_credits, total_due), (dec!(-20.00), dec!(109.90)));
}

//! Disputes against a real PostgreSQL: a questioned charge is held from dunning (the rest is
//! still pursued), an accepted dispute's credit reaches the next statement, a rejected one
//! releases the hold, and each is decided once.

mod common;

use common::*;
use engine::disputes::{self, Decided, Decider, Decision, DisputeRequest};
use engine::EngineError;
use rust_decimal_macros::dec;
use sqlx::PgPool;

/// A postpaid cable account billed on Nov 5 (60.00 + 4.95 tax = 64.95, due Nov 26), with a
/// portal login; returns (account, login, statement, recurring line, tax line).
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

fn as_billing(staff_id: i64) -> Decider<'static> {
    Decider {
        staff_id,
        role: "billing",
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_disputed_charge_is_held_from_dunning_and_only_the_rest_is_pursued(pool: PgPool) {
    let (account, login, statement, recurring, tax) =
        billed(&pool, "20000101", Some((1000, dec!(2.00)))).await;
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
        as_billing(staff),
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
        as_billing(staff),
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
    let (account, login, statement, recurring, _) =
        billed(&pool, "20000102", Some((1000, dec!(2.00)))).await;
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
        as_billing(staff),
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
        as_billing(staff),
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
        as_billing(staff),
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

async fn staff_as(pool: &PgPool, email: &str, role: &str) -> i64 {
    sqlx::query_scalar(
        "insert into staff_users (email, display_name, role, password_hash)
         values ($1, $1, $2, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA') returning id",
    )
    .bind(email)
    .bind(role)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The amount of the statement's open disputes (what dunning holds back).
async fn held(pool: &PgPool, statement: i64) -> rust_decimal::Decimal {
    sqlx::query_scalar(
        "select coalesce(sum(t.disputed_amount), 0)
           from tickets t join statement_lines l on l.id = t.statement_line_id
          where l.statement_id = $1 and t.category = 'dispute' and t.dispute_outcome is null",
    )
    .bind(statement)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// (outcome, status) of a dispute ticket.
async fn ticket_state(pool: &PgPool, ticket: i64) -> (Option<String>, String) {
    sqlx::query_as("select dispute_outcome, status from tickets where id = $1")
        .bind(ticket)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rep_accepting_a_dispute_sends_the_credit_for_approval_and_the_amount_stays_held(
    pool: PgPool,
) {
    let (account, login, statement, recurring, tax) =
        billed(&pool, "20000103", Some((1000, dec!(2.00)))).await;
    let cfg = config(); // a rep's limits are 0; billing's 100.00 each, 500.00 a day
    let rep = staff_as(&pool, "rep@example.net", "support_rep").await;
    let billing = staff(&pool).await;
    let admin = staff_as(&pool, "admin@example.net", "admin").await;
    let opened = disputes::open(
        &pool,
        &cfg,
        &request(account, login, statement, recurring, dec!(20.00)),
    )
    .await
    .unwrap();
    let as_rep = Decider {
        staff_id: rep,
        role: "support_rep",
    };
    let accept = Decision::Accept {
        note: Some("Sorry about that.".into()),
    };

    // The rep accepts: beyond their limit (zero), so nothing is credited yet.
    let decided = disputes::decide(
        &pool,
        &cfg,
        as_rep,
        account,
        opened.ticket_id,
        &accept,
        d(2026, 11, 20),
    )
    .await
    .unwrap();
    let Decided::AwaitingApproval { adjustment_id } = decided else {
        panic!("a rep's acceptance waits for approval: {decided:?}");
    };
    assert_eq!(
        balance(&pool, account).await,
        dec!(64.95),
        "nothing credited"
    );
    assert_eq!(
        ticket_state(&pool, opened.ticket_id).await,
        (None, "open".to_string())
    );
    let (amount, status, needs_approval, for_ticket): (rust_decimal::Decimal, String, bool, i64) =
        sqlx::query_as(
            "select amount, status, needs_approval, dispute_ticket_id from adjustments where id = $1",
        )
        .bind(adjustment_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        (amount, status.as_str(), needs_approval, for_ticket),
        (dec!(-20.00), "pending", true, opened.ticket_id)
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbound_emails where kind = 'dispute_decided'"
        )
        .await,
        0,
        "the subscriber is told once it is decided"
    );
    // Dunning still leaves the 20.00 alone: on Dec 10 it chases 64.95 − 20.00 = 44.95.
    assert_eq!(held(&pool, statement).await, dec!(20.00));
    engine::dunning::run(&pool, &cfg, d(2026, 12, 10))
        .await
        .unwrap();
    let notice: String =
        sqlx::query_scalar("select subject from outbound_emails where kind = 'dunning_overdue'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(notice.contains("$44.95"), "{notice}");

    // While it waits, the dispute is neither accepted again nor rejected.
    for decision in [
        accept.clone(),
        Decision::Reject {
            explanation: "The charge is right after all.".into(),
        },
    ] {
        let again = disputes::decide(
            &pool,
            &cfg,
            as_billing(billing),
            account,
            opened.ticket_id,
            &decision,
            d(2026, 11, 20),
        )
        .await;
        assert!(matches!(again, Err(EngineError::Conflict(_))), "{again:?}");
    }

    // Billing approves: the credit is posted and the dispute accepted, by the rep.
    let entry = engine::adjustments::approve(
        &pool,
        &cfg,
        adjustment_id,
        billing,
        "billing",
        d(2026, 12, 11),
    )
    .await
    .unwrap();
    let (credit, key, posted_by): (rust_decimal::Decimal, String, i64) = sqlx::query_as(
        "select amount, idempotency_key, staff_user_id from ledger_entries where id = $1",
    )
    .bind(entry)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (credit, key, posted_by),
        (
            dec!(-20.00),
            format!("dispute:{}", opened.ticket_id),
            billing
        )
    );
    let (outcome, credit_id, decided_by, status): (String, i64, i64, String) = sqlx::query_as(
        "select dispute_outcome, dispute_credit_id, decided_by_staff, status from tickets where id = $1",
    )
    .bind(opened.ticket_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (outcome.as_str(), credit_id, decided_by, status.as_str()),
        ("accepted", entry, rep, "resolved")
    );
    assert_eq!(held(&pool, statement).await, dec!(0));
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbound_emails where kind = 'dispute_decided'"
        )
        .await,
        1
    );
    let reply: String = sqlx::query_scalar(
        "select body from ticket_messages where ticket_id = $1 and author_staff_id = $2",
    )
    .bind(opened.ticket_id)
    .bind(rep)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(reply.contains("Sorry about that."), "{reply}");

    // The tax line's dispute: the rep accepts, the administrator turns the credit down; the
    // dispute is open and held again, and billing (within its limits) then accepts it alone.
    let tax_dispute = disputes::open(
        &pool,
        &cfg,
        &request(account, login, statement, tax, dec!(4.95)),
    )
    .await
    .unwrap();
    let Decided::AwaitingApproval {
        adjustment_id: waiting,
    } = disputes::decide(
        &pool,
        &cfg,
        as_rep,
        account,
        tax_dispute.ticket_id,
        &Decision::Accept { note: None },
        d(2026, 12, 11),
    )
    .await
    .unwrap()
    else {
        panic!("a rep's acceptance waits for approval");
    };
    engine::adjustments::reject(&pool, waiting, admin, "Tax was charged correctly.")
        .await
        .unwrap();
    assert_eq!(
        ticket_state(&pool, tax_dispute.ticket_id).await.0,
        None,
        "still open"
    );
    assert_eq!(held(&pool, statement).await, dec!(4.95));
    let decided = disputes::decide(
        &pool,
        &cfg,
        as_billing(billing),
        account,
        tax_dispute.ticket_id,
        &Decision::Accept { note: None },
        d(2026, 12, 11),
    )
    .await
    .unwrap();
    assert!(matches!(decided, Decided::Accepted { .. }), "{decided:?}");
    assert_eq!(held(&pool, statement).await, dec!(0));
    assert_eq!(
        count(
            &pool,
            "select count(*) from adjustments where status = 'posted' and dispute_ticket_id is not null"
        )
        .await,
        2
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_accepted_dispute_counts_toward_the_persons_daily_limit(pool: PgPool) {
    let (account, login, statement, recurring, _) =
        billed(&pool, "20000104", Some((1000, dec!(2.00)))).await;
    let cfg = config(); // billing: 100.00 each, 500.00 a day
    let billing = staff(&pool).await;
    // 4 × 100.00 of credits posted alone today: 400.00.
    for _ in 0..4 {
        let posted = engine::adjustments::request(
            &pool,
            &cfg,
            &engine::adjustments::AdjustmentRequest {
                account_id: account,
                amount: dec!(-100.00),
                reason: "Goodwill for the long outage".into(),
                staff_id: billing,
                staff_role: "billing".into(),
                today: d(2026, 11, 20),
            },
        )
        .await
        .unwrap();
        assert!(matches!(
            posted,
            engine::adjustments::Outcome::Posted { .. }
        ));
    }
    // Accepting 60.00 brings the day to 460.00: posted alone.
    let opened = disputes::open(
        &pool,
        &cfg,
        &request(account, login, statement, recurring, dec!(60.00)),
    )
    .await
    .unwrap();
    let decided = disputes::decide(
        &pool,
        &cfg,
        as_billing(billing),
        account,
        opened.ticket_id,
        &Decision::Accept { note: None },
        d(2026, 11, 20),
    )
    .await
    .unwrap();
    assert!(matches!(decided, Decided::Accepted { .. }), "{decided:?}");
    // 40.01 more would make 500.01: it waits.
    let more = engine::adjustments::request(
        &pool,
        &cfg,
        &engine::adjustments::AdjustmentRequest {
            account_id: account,
            amount: dec!(-40.01),
            reason: "Goodwill for the long outage".into(),
            staff_id: billing,
            staff_role: "billing".into(),
            today: d(2026, 11, 20),
        },
    )
    .await
    .unwrap();
    assert!(
        matches!(more, engine::adjustments::Outcome::AwaitingApproval { .. }),
        "the accepted dispute counts: 460.00 + 40.01 > 500.00"
    );
}

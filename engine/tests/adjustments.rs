//! Staff adjustments against a real PostgreSQL: within the role's limit they post at once;
//! above it a second person with a high enough limit approves (never the requester, which
//! the schema also refuses); a credit reaches the next statement; each is decided once.

mod common;

use common::*;
use engine::adjustments::{self, AdjustmentRequest, Outcome};
use engine::EngineError;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::PgPool;

async fn staff(pool: &PgPool, email: &str, role: &str) -> i64 {
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

fn request(account: i64, amount: Decimal, staff_id: i64, role: &str) -> AdjustmentRequest {
    AdjustmentRequest {
        account_id: account,
        amount,
        reason: "Goodwill credit for the outage on Nov 12".into(),
        staff_id,
        staff_role: role.into(),
        today: d(2026, 11, 20),
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn within_the_limit_it_posts_above_it_a_second_person_approves(pool: PgPool) {
    let j = jurisdiction(&pool, "US-IL", "Sales tax", dec!(0.0825), false).await;
    let p = plan(
        &pool,
        "cable-300",
        dec!(60.00),
        Some(1000),
        Some(dec!(2.00)),
    )
    .await;
    let (account, _) = account(&pool, "20000201", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    bill(&pool, d(2026, 11, 5)).await; // 64.95 owed
    let cfg = config(); // limits: rep 0, billing 100.00, admin 1,000.00
    let billing = staff(&pool, "billing@example.net", "billing").await;
    let other_billing = staff(&pool, "billing2@example.net", "billing").await;
    let admin = staff(&pool, "admin@example.net", "admin").await;

    let bad = adjustments::request(
        &pool,
        &cfg,
        &AdjustmentRequest {
            reason: "x".into(),
            ..request(account, dec!(-5), billing, "billing")
        },
    )
    .await;
    assert!(matches!(
        bad,
        Err(EngineError::InvalidField {
            field: "reason",
            ..
        })
    ));
    let zero =
        adjustments::request(&pool, &cfg, &request(account, dec!(0), billing, "billing")).await;
    assert!(matches!(
        zero,
        Err(EngineError::InvalidField {
            field: "amount",
            ..
        })
    ));

    // 10.00 credit: within billing's limit, posted at once.
    let small = adjustments::request(
        &pool,
        &cfg,
        &request(account, dec!(-10.00), billing, "billing"),
    )
    .await
    .unwrap();
    assert!(matches!(small, Outcome::Posted { .. }));
    assert_eq!(balance(&pool, account).await, dec!(54.95));

    // 150.00 credit: above it; the requester cannot approve, another billing person's limit
    // is too low, the administrator approves.
    let Outcome::AwaitingApproval { adjustment_id } = adjustments::request(
        &pool,
        &cfg,
        &request(account, dec!(-150.00), billing, "billing"),
    )
    .await
    .unwrap() else {
        panic!("150.00 is above billing's limit");
    };
    assert_eq!(
        balance(&pool, account).await,
        dec!(54.95),
        "nothing posted while waiting"
    );
    let own = adjustments::approve(
        &pool,
        &cfg,
        adjustment_id,
        billing,
        "billing",
        d(2026, 11, 20),
    )
    .await;
    assert!(matches!(own, Err(EngineError::Conflict(_))), "{own:?}");
    let low = adjustments::approve(
        &pool,
        &cfg,
        adjustment_id,
        other_billing,
        "billing",
        d(2026, 11, 20),
    )
    .await;
    assert!(matches!(low, Err(EngineError::Conflict(_))), "{low:?}");
    adjustments::approve(&pool, &cfg, adjustment_id, admin, "admin", d(2026, 11, 20))
        .await
        .unwrap();
    let again =
        adjustments::approve(&pool, &cfg, adjustment_id, admin, "admin", d(2026, 11, 20)).await;
    assert!(
        matches!(again, Err(EngineError::Conflict(_))),
        "decided once"
    );
    assert_eq!(balance(&pool, account).await, dec!(-95.05));
    let statement_paid: String =
        sqlx::query_scalar("select status from statements where account_id = $1")
            .bind(account)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        statement_paid, "paid",
        "a credit that covers the statement settles it"
    );

    // The schema itself refuses a self-approval of one that needed approval.
    let Outcome::AwaitingApproval {
        adjustment_id: waiting,
    } = adjustments::request(
        &pool,
        &cfg,
        &request(account, dec!(500.00), billing, "billing"),
    )
    .await
    .unwrap()
    else {
        panic!("500.00 is above billing's limit");
    };
    let forged = sqlx::query("update adjustments set status = 'rejected', decided_by = requested_by, decided_at = now() where id = $1")
        .bind(waiting)
        .execute(&pool)
        .await;
    assert!(forged.is_err());
    adjustments::reject(&pool, waiting, admin, "Too large for a goodwill gesture.")
        .await
        .unwrap();
    assert!(sqlx::query("delete from adjustments")
        .execute(&pool)
        .await
        .is_err());

    // Dec 5: both credits are on the next statement: 64.95 − 160.00 + 64.95 = −30.10.
    bill(&pool, d(2026, 12, 5)).await;
    let (credits, due): (Decimal, Decimal) = sqlx::query_as(
        "select total_credits, total_due from statements where account_id = $1 and period_start = $2",
    )
    .bind(account)
    .bind(d(2026, 12, 5))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((credits, due), (dec!(-160.00), dec!(-30.10)));
}

#[sqlx::test(migrations = "../migrations")]
async fn beyond_a_persons_daily_total_an_adjustment_waits_for_approval(pool: PgPool) {
    let j = jurisdiction(&pool, "US-IL", "Sales tax", dec!(0.0825), false).await;
    let p = plan(
        &pool,
        "cable-300",
        dec!(60.00),
        Some(1000),
        Some(dec!(2.00)),
    )
    .await;
    let (account, _) = account(&pool, "20000202", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    bill(&pool, d(2026, 11, 5)).await;
    let cfg = config(); // billing: 100.00 each, 500.00 a day
    let billing = staff(&pool, "billing@example.net", "billing").await;
    let colleague = staff(&pool, "billing2@example.net", "billing").await;
    let posted = |outcome: Outcome| matches!(outcome, Outcome::Posted { .. });

    // Credits and charges count by their size: 90 + 90 + 90 + 90 = 360.00, then 100.00 more
    // is 460.00, all posted alone.
    for amount in [dec!(-90), dec!(90), dec!(-90), dec!(90), dec!(-100)] {
        let outcome =
            adjustments::request(&pool, &cfg, &request(account, amount, billing, "billing"))
                .await
                .unwrap();
        assert!(posted(outcome), "{amount}");
    }
    // Two requests of 40.00 at once: together 540.00. One is posted (exactly 500.00), the
    // other waits, whichever comes first.
    let forty = request(account, dec!(-40), billing, "billing");
    let (a, b) = tokio::join!(
        adjustments::request(&pool, &cfg, &forty),
        adjustments::request(&pool, &cfg, &forty),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        [posted(a), posted(b)].iter().filter(|p| **p).count(),
        1,
        "{a:?} {b:?}"
    );
    // At 500.00, even a cent waits; the colleague's day is their own.
    let cent = adjustments::request(
        &pool,
        &cfg,
        &request(account, dec!(0.01), billing, "billing"),
    )
    .await
    .unwrap();
    assert!(matches!(cent, Outcome::AwaitingApproval { .. }));
    let theirs = adjustments::request(
        &pool,
        &cfg,
        &request(account, dec!(-100), colleague, "billing"),
    )
    .await
    .unwrap();
    assert!(posted(theirs));
    // What a second person approved is not the requester's own: approving the waiting 40.00
    // leaves their day at 500.00, and the colleague's at 100.00 (approving is not posting alone).
    let waiting = [a, b]
        .into_iter()
        .find_map(|o| match o {
            Outcome::AwaitingApproval { adjustment_id } => Some(adjustment_id),
            Outcome::Posted { .. } => None,
        })
        .unwrap();
    adjustments::approve(&pool, &cfg, waiting, colleague, "billing", d(2026, 11, 20))
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(
        adjustments::posted_alone_today(&mut *conn, &cfg, billing, "USD")
            .await
            .unwrap(),
        dec!(500.00)
    );
    assert_eq!(
        adjustments::posted_alone_today(&mut *conn, &cfg, colleague, "USD")
            .await
            .unwrap(),
        dec!(100.00)
    );

    // Yesterday's adjustments are yesterday's: 480.00 posted alone 26 hours ago leaves a
    // whole day for today.
    let yesterday = staff(&pool, "billing3@example.net", "billing").await;
    sqlx::query(
        "with entry as (
             insert into ledger_entries (account_id, currency, kind, amount, description, effective_on,
                                         staff_user_id, idempotency_key)
             values ($1, 'USD', 'credit', -480.00, 'Credit: yesterday', '2026-11-19', $2, 'test:yesterday')
             returning id)
         insert into adjustments (account_id, amount, reason, requested_by, requested_at, needs_approval,
                                  status, decided_by, decided_at, ledger_entry_id)
         select $1, -480.00, 'Yesterday''s credit', $2, now() - interval '26 hours', false,
                'posted', $2, now() - interval '26 hours', id from entry",
    )
    .bind(account)
    .bind(yesterday)
    .execute(&pool)
    .await
    .unwrap();
    let today = adjustments::request(
        &pool,
        &cfg,
        &request(account, dec!(-100), yesterday, "billing"),
    )
    .await
    .unwrap();
    assert!(posted(today), "{today:?}");
}

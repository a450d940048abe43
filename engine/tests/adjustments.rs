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

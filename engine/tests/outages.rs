//! Outages against a real PostgreSQL: who a declaration reaches (by area, plan and network
//! device), what it writes, what it refuses, and the bill run's credit (billing::bill,
//! rule 9) with amounts worked out by hand.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::America::Chicago;
use common::*;
use engine::outages::{self, Declaration, Scope};
use engine::EngineError;
use rust_decimal_macros::dec;
use sqlx::PgPool;

fn chicago(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
    Chicago
        .with_ymd_and_hms(y, m, day, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn network_staff(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "insert into staff_users (email, display_name, role, password_hash)
         values ('noc@example.net', 'Network operations', 'support_rep',
                 '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA') returning id",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

fn declaration(scope: Scope, staff_id: i64) -> Declaration {
    Declaration {
        title: "Fibre cut on Main Street".into(),
        message: "A contractor cut our fibre; crews are splicing it.".into(),
        scope,
        starts_at: chicago(2026, 11, 10, 8, 0),
        staff_id,
    }
}

async fn affected(pool: &PgPool, outage: i64) -> Vec<i64> {
    sqlx::query_scalar(
        "select service_id from outage_services where outage_id = $1 order by service_id",
    )
    .bind(outage)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_declared_outage_reaches_its_area_plan_or_device_and_is_credited_once_after_it_ends(
    pool: PgPool,
) {
    let config = config();
    let noc = network_staff(&pool).await;
    let j = jurisdiction(&pool, "US-IL", "Sales tax", dec!(0.0825), false).await;
    let cable = plan(&pool, "cable-300", dec!(55.00), None, None).await;
    let fibre = plan(&pool, "fibre-900", dec!(90.00), None, None).await;
    // Ann: 62701, cable. Ben: 97477, fibre, on access server 10.0.0.1. Cy: 62701 too, on
    // cable, but cancelled (not served, so not affected).
    let (ann, ann_service) =
        account(&pool, "40000001", "postpaid", 5, j, cable, d(2026, 10, 5)).await;
    let (ben, ben_service) =
        account(&pool, "40000002", "postpaid", 5, j, fibre, d(2026, 10, 5)).await;
    let (_, cy_service) = account(&pool, "40000003", "postpaid", 5, j, cable, d(2026, 10, 5)).await;
    sqlx::query("update addresses set postal_code = '97477' where account_id = $1")
        .bind(ben)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "update services set status = 'cancelled', cancelled_on = '2026-11-01' where id = $1",
    )
    .bind(cy_service)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into radius.nas (nasname, shortname, secret) values ('10.0.0.1', 'olt-1', 'x')",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Ben's router's username, given when the service was made; its latest session is on
    // 10.0.0.1 (an older one on 10.0.0.2).
    let username: String =
        sqlx::query_scalar("select username from network_credentials where service_id = $1")
            .bind(ben_service)
            .fetch_one(&pool)
            .await
            .unwrap();
    sqlx::query(
        "insert into radius.radacct (acctsessionid, acctuniqueid, username, nasipaddress, acctstarttime)
         values ('s1', 'u1', $1, '10.0.0.2', '2026-11-01T00:00:00Z'),
                ('s2', 'u2', $1, '10.0.0.1', '2026-11-08T00:00:00Z')",
    )
    .bind(&username)
    .execute(&pool)
    .await
    .unwrap();
    bill(&pool, d(2026, 11, 5)).await;
    let now = chicago(2026, 11, 10, 9, 0);

    // Refused, with the field to fix, and nothing written.
    for (scope, field) in [
        (Scope::Plan("dsl-5".into()), "scope_value"),
        (Scope::Device("10.9.9.9".into()), "scope_value"),
        (Scope::Area("99".into()), "scope_value"),
    ] {
        match outages::declare(&pool, &config, &declaration(scope.clone(), noc), now).await {
            Err(EngineError::InvalidField { field: f, .. }) => assert_eq!(f, field, "{scope:?}"),
            other => panic!("{scope:?}: {other:?}"),
        }
    }
    let mut later = declaration(Scope::Area("627".into()), noc);
    later.starts_at = chicago(2026, 11, 11, 8, 0);
    assert!(matches!(
        outages::declare(&pool, &config, &later, now).await,
        Err(EngineError::InvalidField {
            field: "starts_at",
            ..
        })
    ));
    let mut untitled = declaration(Scope::Area("627".into()), noc);
    untitled.title = "  ".into();
    assert!(matches!(
        outages::declare(&pool, &config, &untitled, now).await,
        Err(EngineError::InvalidField { field: "title", .. })
    ));
    assert_eq!(count(&pool, "select count(*) from outages").await, 0);
    assert_eq!(
        count(
            &pool,
            "select count(*) from service_events where kind = 'outage'"
        )
        .await,
        0
    );

    // By area (Cy's cancelled service is left out), by plan, by device (Ben's latest session).
    let area = outages::declare(
        &pool,
        &config,
        &declaration(Scope::Area("627".into()), noc),
        now,
    )
    .await
    .unwrap();
    assert_eq!(affected(&pool, area.outage_id).await, [ann_service]);
    let by_plan = outages::declare(
        &pool,
        &config,
        &declaration(Scope::Plan("fibre-900".into()), noc),
        now,
    )
    .await
    .unwrap();
    assert_eq!(affected(&pool, by_plan.outage_id).await, [ben_service]);
    let device = outages::declare(
        &pool,
        &config,
        &declaration(Scope::Device("10.0.0.1".into()), noc),
        now,
    )
    .await
    .unwrap();
    assert_eq!(affected(&pool, device.outage_id).await, [ben_service]);
    // Each affected account's history says so, and its billing contact got one email per
    // outage, in its language.
    let events: Vec<(i64, String)> = sqlx::query_as(
        "select account_id, summary from service_events where kind = 'outage' order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        [
            (ann, "Outage: Fibre cut on Main Street".to_string()),
            (ben, "Outage: Fibre cut on Main Street".to_string()),
            (ben, "Outage: Fibre cut on Main Street".to_string()),
        ]
    );
    let (to, subject, text): (String, String, String) = sqlx::query_as(
        "select to_address::text, subject, text_body from outbound_emails
          where kind = 'outage_declared' order by id limit 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(to, "robin.40000001@example.net");
    assert_eq!(subject, "Service disruption: Fibre cut on Main Street");
    assert!(
        text.contains("Since Nov 10, 2026, 8:00\u{a0}AM, your service is affected"),
        "{text}"
    );
    assert!(text.contains("A contractor cut our fibre"), "{text}");
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbound_emails where kind = 'outage_declared'"
        )
        .await,
        3
    );

    // Ann's outage ends after 78 h 30 min; ending it twice is refused. The plan outage
    // lasts 71 hours (not credited); the device outage is still on at the bill run.
    outages::end(
        &pool,
        &config,
        area.outage_id,
        chicago(2026, 11, 13, 14, 30),
        noc,
        chicago(2026, 11, 14, 0, 0),
    )
    .await
    .unwrap();
    assert!(matches!(
        outages::end(
            &pool,
            &config,
            area.outage_id,
            chicago(2026, 11, 13, 15, 0),
            noc,
            chicago(2026, 11, 14, 0, 0)
        )
        .await,
        Err(EngineError::Conflict(_))
    ));
    assert!(matches!(
        outages::end(
            &pool,
            &config,
            by_plan.outage_id,
            chicago(2026, 11, 10, 7, 0),
            noc,
            chicago(2026, 11, 14, 0, 0)
        )
        .await,
        Err(EngineError::InvalidField {
            field: "ends_at",
            ..
        })
    ));
    outages::end(
        &pool,
        &config,
        by_plan.outage_id,
        chicago(2026, 11, 13, 7, 0),
        noc,
        chicago(2026, 11, 14, 0, 0),
    )
    .await
    .unwrap();
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbound_emails where kind = 'outage_over'"
        )
        .await,
        2
    );

    // Dec 5: Ann is credited 1 day: $55.00 × 1 ÷ 30 = $1.83, with 8.25% tax $0.15, $1.98.
    bill(&pool, d(2026, 12, 5)).await;
    let credit = |account: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (String, rust_decimal::Decimal)>(
                "select l.description, l.amount from statement_lines l
                   join statements s on s.id = l.statement_id
                  where s.account_id = $1 and l.description like '%outage%' order by s.period_start",
            )
            .bind(account)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(
        credit(ann).await,
        [(
            "Cable 300: credit for the outage \u{201c}Fibre cut on Main Street\u{201d}, 1 day"
                .to_string(),
            dec!(-1.98)
        )]
    );
    assert!(
        credit(ben).await.is_empty(),
        "71 hours, and one still on: nothing yet"
    );
    // Settled: Ann's and Ben's ended outages (credited or too short); the device outage waits.
    assert_eq!(
        count(
            &pool,
            "select count(*) from outage_services where settled_statement_id is not null"
        )
        .await,
        2
    );
    // It ends Dec 20 at 08:00: 40 days, 960 hours, 912 beyond 48, 38 full days at the day
    // price of Nov 5 - Dec 4 (30 days) on Fibre 900: $90.00 × 38 ÷ 30 = $114.00, tax
    // 9.405 → $9.41, $123.41. It is credited on the Jan 5 statement, once; Ann gets nothing
    // more.
    outages::end(
        &pool,
        &config,
        device.outage_id,
        chicago(2026, 12, 20, 8, 0),
        noc,
        chicago(2026, 12, 21, 0, 0),
    )
    .await
    .unwrap();
    bill(&pool, d(2027, 1, 5)).await;
    assert_eq!(credit(ben).await.len(), 1);
    assert_eq!(credit(ben).await[0].1, dec!(-123.41));
    assert_eq!(credit(ann).await.len(), 1);
    bill(&pool, d(2027, 2, 5)).await;
    assert_eq!(credit(ben).await.len(), 1);
}

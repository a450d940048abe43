//! Changing plans over HTTP: the pages with the seeded figures, the change made once (a stale
//! repeat is a conflict), another account's ids refused, and nobody served without a session.
//!
//! Alex (the demo's first account) is on Cable 300 (55.00 a month, no contract, cycle day 5)
//! at an address offering cable and DSL.

use billing::{period_containing, prorate, Currency, CycleDay, Money};
use rust_decimal_macros::dec;
use sqlx::PgPool;

use crate::helpers::*;

async fn plan_id(portal: &TestPortal, code: &str) -> i64 {
    sqlx::query_scalar("select id from plans where code = $1")
        .bind(code)
        .fetch_one(&portal.pool)
        .await
        .unwrap()
}

async fn service_of(portal: &TestPortal, account: i64) -> i64 {
    sqlx::query_scalar("select min(id) from services where account_id = $1 and status = 'active'")
        .bind(account)
        .fetch_one(&portal.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_plans_page_compares_the_plans_offered_at_the_address(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let (status, html) = portal.page(&alex, "/plans").await;
    assert_eq!(status, 200);
    assert_eq!(
        testid_text(&html, "current-plan-name").as_deref(),
        Some("Cable 300")
    );
    // Cable and DSL are offered at Alex's address; fibre is not.
    for offered in ["Cable 600", "Cable 1200", "DSL 50"] {
        assert!(
            html.contains(&format!("data-plan=\"{offered}\"")),
            "{offered}"
        );
    }
    assert!(
        !html.contains("Fibre"),
        "fibre is not offered at Alex's address"
    );
    // Prices and contracts from the catalogue.
    assert!(html.contains(&format!("{} a month", dollars(dec!(70.00)))));
    assert!(html.contains(&format!("up to {} to leave early", dollars(dec!(120.00)))));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_preview_shows_the_prorated_charge_and_a_confirmed_change_lands_once(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let account = portal.account_id(ALEX_NUMBER).await;
    let service = service_of(&portal, account).await;
    let (cable300, cable600) = (
        plan_id(&portal, "cable-300").await,
        plan_id(&portal, "cable-600").await,
    );
    let alex = portal.signed_in(ALEX_EMAIL).await;

    // The upgrade takes effect today; the days left in the period were charged at 55.00:
    // each side prorated over the period as a statement line would be.
    let today: chrono::NaiveDate = sqlx::query_scalar(
        "select (now() at time zone time_zone)::date from accounts where id = $1",
    )
    .bind(account)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let period = period_containing(today, CycleDay::new(5).unwrap());
    let left = billing::Period {
        start: today,
        end: period.end,
    };
    let usd = |a| Money::new(a, Currency::USD);
    let expected = prorate(usd(dec!(70.00)), &period, &left)
        .unwrap()
        .checked_sub(prorate(usd(dec!(55.00)), &period, &left).unwrap())
        .unwrap()
        .amount();
    let (status, html) = portal
        .page(&alex, &format!("/plans/{service}/{cable600}"))
        .await;
    assert_eq!(status, 200);
    let now = testid_text(&html, "preview-now").unwrap_or_default();
    if expected > dec!(0) {
        assert!(now.starts_with(&dollars(expected)), "{now} / {expected}");
    }
    // Each month after: 70.00 plus Texas sales tax 8.25% = 5.775 → 5.78: 75.78.
    assert_eq!(
        testid_text(&html, "preview-monthly").as_deref(),
        Some(dollars(dec!(75.78)).as_str())
    );

    let form = [
        ("service_id", service.to_string()),
        ("plan_id", cable600.to_string()),
        ("seen_plan_id", cable300.to_string()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = portal.call(&alex, "change-plan", &form).await;
    assert_eq!(response.status().as_u16(), 200);
    let plan: i64 = sqlx::query_scalar("select plan_id from services where id = $1")
        .bind(service)
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert_eq!(plan, cable600);
    if expected > dec!(0) {
        let charged: rust_decimal::Decimal = sqlx::query_scalar(
            "select amount from one_time_charges where service_id = $1 and description like 'Upgrade to Cable 600%'",
        )
        .bind(service)
        .fetch_one(&portal.pool)
        .await
        .unwrap();
        assert_eq!(charged, expected);
    }

    // The same request again (the other tab, a double click): a conflict, nothing new.
    let again = portal.call(&alex, "change-plan", &form).await;
    assert_eq!(error_code(again).await, (409, "conflict".to_string()));
    let changes: i64 = sqlx::query_scalar(
        "select count(*) from plan_changes where service_id = $1 and kind is not null",
    )
    .bind(service)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(changes, 1);

    // The outcome on the plans page and in the history.
    let (_, html) = portal.page(&alex, "/plans?changed=applied").await;
    assert_eq!(
        testid_text(&html, "current-plan-name").as_deref(),
        Some("Cable 600")
    );
    assert!(html.contains("data-testid=\"plan-notice\""));
    let (_, html) = portal.page(&alex, "/history").await;
    assert!(html.contains("Plan changed from Cable 300 to Cable 600"));
}

#[sqlx::test(migrations = "../migrations")]
async fn another_accounts_service_and_plan_change_are_not_found(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let sam_account = portal.account_id(SAM_NUMBER).await;
    let sam_service = service_of(&portal, sam_account).await;
    let (fibre300, fibre1000) = (
        plan_id(&portal, "fibre-300").await,
        plan_id(&portal, "fibre-1000").await,
    );
    // A change waiting on Sam's service (written as the engine would).
    let sam_change: i64 = sqlx::query_scalar(
        "insert into plan_changes (service_id, from_plan_id, to_plan_id, effective_on, kind)
         values ($1, $2, $3, current_date + 20, 'downgrade') returning id",
    )
    .bind(sam_service)
    .bind(fibre1000)
    .bind(fibre300)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let alex = portal.signed_in(ALEX_EMAIL).await;

    let (_, html) = portal
        .page(&alex, &format!("/plans/{sam_service}/{fibre300}"))
        .await;
    assert!(html.contains("data-code=\"not_found\""), "{html}");
    assert!(!html.contains("Fibre 1000"));

    let response = portal
        .call(
            &alex,
            "plan-change-preview",
            &[
                ("service_id", &sam_service.to_string()),
                ("plan_id", &fibre300.to_string()),
            ],
        )
        .await;
    assert_eq!(error_code(response).await, (404, "not_found".to_string()));
    let response = portal
        .call(
            &alex,
            "change-plan",
            &[
                ("service_id", &sam_service.to_string()),
                ("plan_id", &fibre300.to_string()),
                ("seen_plan_id", &fibre1000.to_string()),
            ],
        )
        .await;
    assert_eq!(error_code(response).await, (404, "not_found".to_string()));
    let response = portal
        .call(
            &alex,
            "cancel-plan-change",
            &[("change_id", &sam_change.to_string())],
        )
        .await;
    assert_eq!(error_code(response).await, (404, "not_found".to_string()));
    let status: String = sqlx::query_scalar("select status from plan_changes where id = $1")
        .bind(sam_change)
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert_eq!(status, "scheduled");
}

#[sqlx::test(migrations = "../migrations")]
async fn without_a_session_the_plans_are_not_shown(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let stranger = portal.browser();
    let page = stranger.get(portal.url("/plans")).send().await.unwrap();
    assert!(page.status().is_redirection());
    assert_eq!(page.headers()["location"], "/sign-in?next=/plans");
    for endpoint in ["plans-page", "change-plan", "cancel-plan-change"] {
        let response = portal
            .call(
                &stranger,
                endpoint,
                &[
                    ("service_id", "1"),
                    ("plan_id", "2"),
                    ("seen_plan_id", "1"),
                    ("change_id", "1"),
                ],
            )
            .await;
        assert_eq!(error_code(response).await.0, 401, "{endpoint}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_downgrade_below_the_usual_use_says_what_going_over_would_cost(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let account = portal.account_id(ALEX_NUMBER).await;
    let service = service_of(&portal, account).await;
    // Alex is on Cable 1200 (unlimited) for this test, and used 1,150, 1,250 and 1,200 GB
    // in the last three complete cycles (cycle day 5): 1,200 GB usually.
    sqlx::query("update services set plan_id = $2 where id = $1")
        .bind(service)
        .bind(plan_id(&portal, "cable-1200").await)
        .execute(&portal.pool)
        .await
        .unwrap();
    sqlx::query("delete from usage_daily where service_id = $1")
        .bind(service)
        .execute(&portal.pool)
        .await
        .unwrap();
    let today: chrono::NaiveDate = sqlx::query_scalar(
        "select (now() at time zone time_zone)::date from accounts where id = $1",
    )
    .bind(account)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let cycle = CycleDay::new(5).unwrap();
    let mut start = period_containing(today, cycle).start;
    for gb in [1_150_i64, 1_250, 1_200] {
        start = period_containing(start.pred_opt().unwrap(), cycle).start;
        sqlx::query(
            "insert into usage_daily (service_id, day, download_bytes, upload_bytes)
             values ($1, $2, $3, $4)",
        )
        .bind(service)
        .bind(start)
        .bind(gb * 900_000_000)
        .bind(gb * 100_000_000)
        .execute(&portal.pool)
        .await
        .unwrap();
    }
    let alex = portal.signed_in(ALEX_EMAIL).await;

    // Cable 300 includes 1,000 GB at $0.50 per started GB over: 200 GB, $100.00 a cycle.
    let (_, html) = portal
        .page(
            &alex,
            &format!("/plans/{service}/{}", plan_id(&portal, "cable-300").await),
        )
        .await;
    // Sizes are written with a no-break space before the unit.
    let said = testid_text(&html, "usual-over")
        .expect("a warning")
        .replace('\u{a0}', " ");
    assert!(said.contains("1,200 GB a cycle"), "{said}");
    assert!(said.contains("last 3 cycles"), "{said}");
    assert!(said.contains("1,000 GB"), "{said}");
    assert!(said.contains("200 GB over"), "{said}");
    assert!(said.contains(&dollars(dec!(100.00))), "{said}");
    // DSL 50 includes 500 GB at $0.75: 700 GB over, $525.00.
    let (_, html) = portal
        .page(
            &alex,
            &format!("/plans/{service}/{}", plan_id(&portal, "dsl-50").await),
        )
        .await;
    // Sizes are written with a no-break space before the unit.
    let said = testid_text(&html, "usual-over")
        .expect("a warning")
        .replace('\u{a0}', " ");
    assert!(said.contains("700 GB over"), "{said}");
    assert!(said.contains(&dollars(dec!(525.00))), "{said}");
    // Cable 600 includes 1,500 GB: nothing to warn of.
    let (_, html) = portal
        .page(
            &alex,
            &format!("/plans/{service}/{}", plan_id(&portal, "cable-600").await),
        )
        .await;
    assert!(!html.contains("data-testid=\"usual-over\""));
}

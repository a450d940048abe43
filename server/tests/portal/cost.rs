//! What one page costs: each page loads its data once (one server function), in a known
//! number of SQL statements. A frame that renders its page twice, or a page that grows a
//! second loader or a query per row, changes these numbers and fails here.
//!
//! The statements counted are every one the request sent: the session's, the sign-in check
//! with the frame's facts, and the page's own.

use lastmile::seed::DEMO_STAFF;
use sqlx::PgPool;

use crate::helpers::*;

/// Alex's newest statement.
async fn latest_statement(portal: &TestPortal, account: i64) -> i64 {
    sqlx::query_scalar("select max(id) from statements where account_id = $1")
        .bind(account)
        .fetch_one(&portal.pool)
        .await
        .unwrap()
}

/// Asserts each page's cost, and that it was found and rendered whole.
async fn assert_costs(
    portal: &TestPortal,
    browser: &reqwest::Client,
    expected: &[(&str, &str, Cost)],
) {
    let mut wrong = Vec::new();
    for (path, marker, want) in expected {
        let (status, html, cost) = portal.page_cost(browser, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains(marker), "{path} shows {marker}");
        if cost != *want {
            wrong.push(format!("{path}: {cost:?}, expected {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

const fn cost(server_calls: u32, queries: u32) -> Cost {
    Cost {
        server_calls,
        queries,
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn each_subscriber_page_loads_its_data_once_in_a_known_number_of_queries(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let account = portal.account_id(ALEX_NUMBER).await;
    let statement = format!("/statements/{}", latest_statement(&portal, account).await);
    // Every page: the session (1) and the sign-in check with the frame's facts (1), then
    // the page's one server function and its statements.
    assert_costs(
        &portal,
        &alex,
        &[
            // The overview's row, this cycle's usage, the statements it names, the whole
            // next bill's facts (one statement), the payments waiting for the bank, and what
            // is owed (the balance and the open statements: the "Pay" button's amount).
            ("/", "data-testid=\"next-bill\"", cost(1, 2 + 7)),
            // The account's basics, the statements.
            ("/statements", "data-testid=\"statements\"", cost(1, 2 + 2)),
            // Basics, the statement, its lines, the letterhead's address.
            (&statement, "data-testid=\"pdf-link\"", cost(1, 2 + 4)),
            // Basics, the allowance, the period by day, the last 12 periods.
            ("/usage", "data-testid=\"usage-days\"", cost(1, 2 + 4)),
            // Basics, the services, then each one's plan and the plans it may take (Alex
            // has one service).
            ("/plans", "data-testid=\"plan-service\"", cost(1, 2 + 4)),
        ],
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_console_view_of_an_account_loads_once_and_is_audited_once(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let account = portal.account_id(ALEX_NUMBER).await;
    let rep = portal.staff_signed_in(DEMO_STAFF[0].0).await;
    let path = format!("/staff/accounts/{account}");
    assert_costs(
        &portal,
        &rep,
        // The session, the staff check with the frame's facts; the view (one statement),
        // this cycle's usage and the audit entry.
        &[(&path, "data-testid=\"ledger\"", cost(1, 2 + 3))],
    )
    .await;
    let viewed: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'console.account_viewed' and subject_account_id = $1",
    )
    .bind(account)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(viewed, 1, "one page view, one audit entry");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_page_viewed_by_staff_as_the_subscriber_loads_once_and_is_audited_once(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let account = portal.account_id(ALEX_NUMBER).await;
    let rep = portal.staff_signed_in(DEMO_STAFF[0].0).await;
    let response = portal
        .call(
            &rep,
            "start-viewing",
            &[
                ("account_id", &account.to_string()),
                ("reason", "Caller asks about the last bill"),
                ("ticket_ref", ""),
            ],
        )
        .await;
    assert!(response.status().is_success() || response.status().is_redirection());
    assert_costs(
        &portal,
        &rep,
        // The session, the staff check, the view's, the frame's facts, the audit entry for
        // the page; then the overview's seven.
        &[("/", "data-testid=\"support-banner\"", cost(1, 5 + 7))],
    )
    .await;
    let viewed: Vec<String> = sqlx::query_scalar(
        "select detail->>'path' from audit_log where action = 'support.viewed' and subject_account_id = $1",
    )
    .bind(account)
    .fetch_all(&portal.pool)
    .await
    .unwrap();
    assert_eq!(viewed, vec!["/".to_string()]);
}

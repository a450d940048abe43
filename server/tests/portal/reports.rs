//! The console's reports: billing staff and administrators see each report as a chart and
//! a table and download it as CSV, over the days they choose; a wrong range is said beside
//! its field; a support rep may not see them. Every report is one query (the figures
//! themselves are worked by hand in engine/tests/reports.rs).

use sqlx::PgPool;

use crate::helpers::*;

const REPORTS: [&str; 6] = [
    "revenue",
    "receivables",
    "collections",
    "card-payments",
    "disputes",
    "usage",
];

#[sqlx::test(migrations = "../migrations")]
async fn billing_staff_see_each_report_as_a_chart_a_table_and_csv(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let account = portal.account_id(ALEX_NUMBER).await;
    // January 2030 holds only these two card payments: $64.95 paid, $50.00 declined.
    sqlx::query(
        "insert into payments (account_id, currency, amount, method, status, idempotency_key,
                               failure_code, created_at, succeeded_at)
         values ($1, 'USD', 64.95, 'card', 'succeeded', 'report-test-1', null,
                 '2030-01-10 18:00Z', '2030-01-10 18:00Z'),
                ($1, 'USD', 50.00, 'card', 'failed', 'report-test-2', 'card_declined',
                 '2030-01-11 18:00Z', null)",
    )
    .bind(account)
    .execute(&portal.pool)
    .await
    .unwrap();

    let rep = portal.staff_signed_in(REP_EMAIL).await;
    let (status, _) = portal.page(&rep, "/staff/reports").await;
    assert_eq!(
        status, 403,
        "a support rep does not see the business's figures"
    );
    let refused = rep
        .get(portal.url("/staff/reports/revenue/csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);

    let billing = portal.staff_signed_in(BILLING_EMAIL).await;
    let range = "from=2030-01-01&to=2030-01-31";
    let (status, html) = portal
        .page(
            &billing,
            &format!("/staff/reports?report=card-payments&{range}"),
        )
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("data-report=\"card-payments\""), "{html}");
    assert!(
        html.contains("aria-label=\"Card payments by outcome\""),
        "a chart: {html}"
    );
    assert!(
        html.contains("Succeeded: 1") && html.contains("Failed: 1"),
        "each bar names its figure: {html}"
    );
    for figure in ["Card declined", "$64.95", "$50.00", "$114.95"] {
        assert!(html.contains(figure), "{figure}: {html}");
    }
    assert!(
        html.contains(&format!(
            "href=\"/staff/reports/card-payments/csv?{}\"",
            range.replace('&', "&amp;")
        )),
        "{html}"
    );

    let csv = billing
        .get(portal.url(&format!("/staff/reports/card-payments/csv?{range}")))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert_eq!(
        csv.headers()["content-disposition"],
        "attachment; filename=\"card-payments-2030-01-01-to-2030-01-31.csv\""
    );
    assert_eq!(
        csv.text().await.unwrap(),
        "\"method\",\"outcome\",\"failure_code\",\"payments\",\"amount\"\r\n\
         \"card\",\"succeeded\",\"\",\"1\",\"64.95\"\r\n\
         \"card\",\"failed\",\"card_declined\",\"1\",\"50.00\"\r\n\
         \"total\",\"\",\"\",\"2\",\"114.95\"\r\n"
    );

    // Every report answers, on the demo ISP's November, with its table and its CSV.
    for report in REPORTS {
        let (status, html) = portal
            .page(
                &billing,
                &format!("/staff/reports?report={report}&from=2026-11-01&to=2026-11-30"),
            )
            .await;
        assert_eq!(status, 200, "{report}");
        assert!(
            html.contains(&format!("data-report=\"{report}\"")),
            "{report}: {html}"
        );
        let csv = billing
            .get(portal.url(&format!(
                "/staff/reports/{report}/csv?from=2026-11-01&to=2026-11-30"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), 200, "{report}");
        let body = csv.text().await.unwrap();
        assert!(
            body.starts_with('"') && body.ends_with("\r\n"),
            "{report}: {body}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_wrong_range_is_said_beside_its_field(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let billing = portal.staff_signed_in(BILLING_EMAIL).await;
    let (status, html) = portal
        .page(
            &billing,
            "/staff/reports?report=usage&from=2030-02-01&to=2030-01-01",
        )
        .await;
    assert_eq!(
        status, 422,
        "the page says what is wrong, with the form to mend it"
    );
    assert!(
        html.contains("id=\"from-error\"") && html.contains("The first day is after the last."),
        "{html}"
    );
    assert!(html.contains("aria-describedby=\"from-error\""), "{html}");
    assert!(
        !html.contains("data-testid=\"report\""),
        "no report: {html}"
    );
    let (_, html) = portal
        .page(
            &billing,
            "/staff/reports?report=usage&from=2030-01-01&to=2030-13-01",
        )
        .await;
    assert!(
        html.contains("id=\"to-error\"") && html.contains("Give a date as YYYY-MM-DD."),
        "{html}"
    );
    let (_, html) = portal
        .page(
            &billing,
            "/staff/reports?report=usage&from=2020-01-01&to=2030-01-01",
        )
        .await;
    assert!(
        html.contains("A report covers at most three years."),
        "{html}"
    );

    let csv = billing
        .get(portal.url("/staff/reports/usage/csv?from=2030-02-01&to=2030-01-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(csv).await, (422, "invalid_input".to_string()));
    let unknown = billing
        .get(portal.url("/staff/reports/profit/csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let (status, _) = portal.page(&billing, "/staff/reports?report=profit").await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = "../migrations")]
async fn each_report_is_one_query(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let billing = portal.staff_signed_in(BILLING_EMAIL).await;
    for report in REPORTS {
        let (status, html, cost) = portal
            .page_cost(
                &billing,
                &format!("/staff/reports?report={report}&from=2026-11-01&to=2026-11-30"),
            )
            .await;
        assert_eq!(status, 200, "{report}");
        assert!(html.contains("data-testid=\"report\""), "{report}");
        // The session, the staff check with the frame's facts, and the report's one query.
        assert_eq!((cost.server_calls, cost.queries), (1, 2 + 1), "{report}");
    }
}

//! A subscriber can never read another account's data, whatever ids they send.

use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrations = "../migrations")]
async fn another_accounts_statement_is_not_found_and_nothing_of_it_is_shown(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let sam = portal.account_id(SAM_NUMBER).await;
    let (statement_id, number): (i64, String) =
        sqlx::query_as("select id, statement_number from statements where account_id = $1 limit 1")
            .bind(sam)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    let alex = portal.signed_in(ALEX_EMAIL).await;

    let response = portal
        .call(&alex, "statement", &[("id", &statement_id.to_string())])
        .await;
    assert_eq!(response.status().as_u16(), 404);
    let body = response.text().await.unwrap();
    assert!(
        !body.contains(&number) && !body.contains(SAM_NUMBER),
        "{body}"
    );

    let (_, html) = portal
        .page(&alex, &format!("/statements/{statement_id}"))
        .await;
    assert!(html.contains("data-code=\"not_found\""));
    assert!(!html.contains(&number) && !html.contains(SAM_NUMBER) && !html.contains("Sam"));
}

#[sqlx::test(migrations = "../migrations")]
async fn another_accounts_history_and_usage_cannot_be_reached_by_id(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let sam = portal.account_id(SAM_NUMBER).await;
    let sam_event: i64 =
        sqlx::query_scalar("select max(id) from service_events where account_id = $1")
            .bind(sam)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    let sam_summaries: Vec<String> =
        sqlx::query_scalar("select summary from service_events where account_id = $1")
            .bind(sam)
            .fetch_all(&portal.pool)
            .await
            .unwrap();
    let alex = portal.signed_in(ALEX_EMAIL).await;

    // Paging from another account's event finds nothing, rather than that account's events.
    let response = portal
        .call(&alex, "history", &[("before", &sam_event.to_string())])
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let page: serde_json::Value = response.json().await.unwrap();
    assert_eq!(page["events"].as_array().unwrap().len(), 0);

    // Extra ids in the query are ignored: the usage is always the caller's.
    let csv_alex = alex
        .get(portal.url("/usage.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csv_probe = alex
        .get(portal.url(&format!("/usage.csv?account_id={sam}&account={SAM_NUMBER}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv_alex, csv_probe);

    let (_, html) = portal.page(&alex, "/history").await;
    for summary in sam_summaries
        .iter()
        .filter(|s| s.contains(SAM_NUMBER) || s.contains("Sam"))
    {
        assert!(!html.contains(summary.as_str()), "{summary}");
    }
    assert!(!html.contains(SAM_NUMBER));
}

#[sqlx::test(migrations = "../migrations")]
async fn without_a_session_nothing_is_answered(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let stranger = portal.browser();
    for endpoint in ["me", "overview", "statements", "usage", "history"] {
        let response = portal.call(&stranger, endpoint, &[("offset", "0")]).await;
        assert_eq!(
            error_code(response).await,
            (401, "unauthenticated".to_string()),
            "{endpoint}"
        );
    }
    let response = portal.call(&stranger, "statement", &[("id", "1")]).await;
    assert_eq!(error_code(response).await.0, 401);
    let csv = stranger.get(portal.url("/usage.csv")).send().await.unwrap();
    assert_eq!(csv.status().as_u16(), 401);
    let page = stranger.get(portal.url("/usage")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 303);
    assert_eq!(page.headers()["location"], "/sign-in?next=/usage");
}

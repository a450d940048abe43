//! Prometheus metrics: on their own listener, with the routes' times, the pools, and the
//! outboxes, jobs and payments as the database has them.

use sqlx::PgPool;

use crate::helpers::*;

/// The value of one series in Prometheus' text format, e.g. `name{a="b"}`.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

#[sqlx::test(migrations = "../migrations")]
async fn metrics_are_served_apart_with_routes_pools_outboxes_and_jobs(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let handle = lastmile::metrics::install().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_url = format!("http://{}/metrics", listener.local_addr().unwrap());
    let scrape = lastmile::metrics::Scrape {
        handle,
        pool: portal.pool.clone(),
        session_pool: portal.pool.clone(),
    };
    tokio::spawn(async move {
        axum::serve(listener, lastmile::metrics::router(scrape))
            .await
            .unwrap()
    });

    let alex = portal.signed_in(ALEX_EMAIL).await;
    for _ in 0..3 {
        assert_eq!(portal.page(&alex, "/").await.0, 200);
    }
    let statement: i64 = sqlx::query_scalar(
        "select s.id from statements s join accounts a on a.id = s.account_id
          where a.account_number = $1 order by s.id limit 1",
    )
    .bind(ALEX_NUMBER)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(
        portal
            .page(&alex, &format!("/statements/{statement}"))
            .await
            .0,
        200
    );
    assert_eq!(portal.page(&alex, "/no-such-page/x1").await.0, 404);
    // Not on the public listener.
    let (_, public) = portal.page(&alex, "/metrics").await;
    assert!(!public.contains("lastmile_http_request_duration_seconds"));

    // An email waiting ten minutes, and a failed bill-run job.
    sqlx::query(
        "insert into outbound_emails (kind, to_address, subject, text_body, html_body, created_at)
         values ('test', 'someone@example.net', 'Waiting', 'text', 'html', now() - interval '10 minutes')",
    )
    .execute(&portal.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into jobs (kind, dedupe_key, status, attempts, finished_at, last_error)
         values ('bill_run', '2020-01-01', 'failed', 5, now(), 'test')",
    )
    .execute(&portal.pool)
    .await
    .unwrap();
    // Two emails given up on: one an hour ago, one two days ago (not in the last day).
    sqlx::query(
        "insert into outbound_emails (kind, to_address, subject, text_body, html_body, created_at,
                                      attempts, given_up_at, last_error)
         values ('test', 'gone@example.net', 'Refused', '', '', now() - interval '2 hours', 10,
                 now() - interval '1 hour', '550 no such mailbox'),
                ('test', 'old@example.net', 'Too old', '', '', now() - interval '5 days', 40,
                 now() - interval '2 days', 'connection refused')",
    )
    .execute(&portal.pool)
    .await
    .unwrap();
    let waiting: i64 = sqlx::query_scalar(
        "select count(*) from outbound_emails where sent_at is null and given_up_at is null",
    )
    .fetch_one(&portal.pool)
    .await
    .unwrap();

    let response = reqwest::get(&metrics_url).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.unwrap();
    let count = |series: &str| value(&text, series).unwrap_or_else(|| panic!("{series}:\n{text}"));

    assert!(
        count(
            r#"lastmile_http_request_duration_seconds_count{route="/",method="GET",status="200"}"#
        ) >= 3.0
    );
    assert!(
        count(
            r#"lastmile_http_request_duration_seconds_count{route="/statements/{id}",method="GET",status="200"}"#
        ) >= 1.0
    );
    assert!(
        count(
            r#"lastmile_http_request_duration_seconds_count{route="(not found)",method="GET",status="404"}"#
        ) >= 1.0
    );
    assert!(
        !text.contains(&format!("/statements/{statement}")),
        "no ids in routes"
    );
    assert_eq!(count("lastmile_database_up"), 1.0);
    assert_eq!(
        count(r#"lastmile_outbox_waiting{outbox="email"}"#),
        waiting as f64
    );
    assert!(count(r#"lastmile_outbox_oldest_seconds{outbox="email"}"#) >= 600.0);
    assert_eq!(count(r#"lastmile_outbox_waiting{outbox="coa"}"#), 0.0);
    assert_eq!(count("lastmile_emails_given_up_last_day"), 1.0);
    assert_eq!(
        count(r#"lastmile_jobs{kind="bill_run",status="failed"}"#),
        1.0
    );
    assert_eq!(
        count(r#"lastmile_jobs{kind="dunning",status="failed"}"#),
        0.0
    );
    assert!(count(r#"lastmile_db_pool_max_connections{pool="main"}"#) >= 1.0);
    assert!(text.contains(r#"lastmile_card_payments_last_15_minutes{status="succeeded"}"#));
}

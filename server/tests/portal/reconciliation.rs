//! The console's reconciliation page: billing staff see a run's mismatches with their
//! evidence, resolve one with a note (audited, once), and download the run as CSV; a
//! support rep may not.

use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrations = "../migrations")]
async fn billing_staff_resolve_a_mismatch_once_and_export_the_run(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    // A run as `lastmile reconcile` leaves it: one mismatch on Alex's service.
    let account = portal.account_id(ALEX_NUMBER).await;
    let run: i64 = sqlx::query_scalar(
        "insert into reconciliation_runs (period_start, period_end, upstream_file, summary)
         values ('2026-11-01', '2026-12-01', 'supplier-2026-11.csv', '{\"billed_never_online\": 1}') returning id",
    )
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let mismatch: i64 = sqlx::query_scalar(
        "insert into reconciliation_mismatches (run_id, kind, service_id, account_id, evidence)
         select $1, 'billed_never_online', s.id, s.account_id, 'charged for 30 days of the period; no usage recorded in it'
           from services s where s.account_id = $2 order by s.id limit 1 returning id",
    )
    .bind(run)
    .bind(account)
    .fetch_one(&portal.pool)
    .await
    .unwrap();

    let rep = portal.staff_signed_in(REP_EMAIL).await;
    let (status, _) = portal.page(&rep, "/staff/reconciliation").await;
    assert_eq!(status, 403, "a support rep does not reconcile billing");

    let billing = portal.staff_signed_in(BILLING_EMAIL).await;
    let (status, html) = portal.page(&billing, "/staff/reconciliation").await;
    assert_eq!(status, 200);
    assert!(html.contains("Billed but never online"), "{html}");
    assert!(html.contains("charged for 30 days of the period; no usage recorded in it"));
    assert!(html.contains(&format!("Account {ALEX_NUMBER}")));

    let empty = portal
        .call(
            &billing,
            "resolve-mismatch",
            &[("id", &mismatch.to_string()), ("note", "  ")],
        )
        .await;
    assert_eq!(error_code(empty).await, (422, "invalid_input".to_string()));
    let done = portal
        .call(
            &billing,
            "resolve-mismatch",
            &[
                ("id", &mismatch.to_string()),
                ("note", "Router was unplugged; subscriber told"),
            ],
        )
        .await;
    assert!(
        done.status().is_success() || done.status().is_redirection(),
        "{}",
        done.status()
    );
    let twice = portal
        .call(
            &billing,
            "resolve-mismatch",
            &[("id", &mismatch.to_string()), ("note", "again")],
        )
        .await;
    assert_eq!(
        error_code(twice).await,
        (422, "invalid_input".to_string()),
        "resolved once"
    );
    let audited: (String, i64) = sqlx::query_as(
        "select action, subject_account_id from audit_log where action = 'reconciliation.resolved'",
    )
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(audited, ("reconciliation.resolved".to_string(), account));
    let (_, html) = portal
        .page(&billing, &format!("/staff/reconciliation?run={run}"))
        .await;
    assert!(
        html.contains("Router was unplugged; subscriber told"),
        "{html}"
    );

    let csv = billing
        .get(portal.url(&format!("/staff/reconciliation/{run}/csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert_eq!(
        csv.headers()["content-disposition"],
        format!("attachment; filename=\"reconciliation-{run}-2026-11.csv\"").as_str()
    );
    let body = csv.text().await.unwrap();
    let lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "mismatch,kind,account_number,service_id,circuit,evidence,resolved_at,resolved_by,note"
    );
    assert!(
        lines[1].starts_with(&format!(
            "\"{mismatch}\",\"billed_never_online\",\"{ALEX_NUMBER}\","
        )),
        "{body}"
    );
    let name: String = sqlx::query_scalar("select display_name from staff_users where email = $1")
        .bind(BILLING_EMAIL)
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert!(
        lines[1].ends_with(&format!(
            ",\"{name}\",\"Router was unplugged; subscriber told\""
        )),
        "{body}"
    );
    assert_eq!(lines.len(), 3, "one mismatch, and the last line's end");
}

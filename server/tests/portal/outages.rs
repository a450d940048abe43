//! Outages through the HTTP API: a support rep declares one for an area and ends it; only
//! the affected subscriber's overview announces it; billing staff may look but not declare;
//! bad input is refused with its field and writes nothing; each change is audited.

use sqlx::PgPool;

use crate::helpers::*;

async fn outages(portal: &TestPortal) -> i64 {
    sqlx::query_scalar("select count(*) from outages")
        .fetch_one(&portal.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_outage_is_announced_to_the_area_it_covers_until_it_ends(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    // Alex alone lives where the postal codes start ZZ9.
    sqlx::query("update addresses set postal_code = 'ZZ999' where account_id = $1")
        .bind(alex)
        .execute(&portal.pool)
        .await
        .unwrap();
    let rep = portal.staff_signed_in(REP_EMAIL).await;
    let billing = portal.staff_signed_in(BILLING_EMAIL).await;
    let form = |title: &'static str, value: &'static str| {
        vec![
            ("title", title),
            (
                "message",
                "A cable was cut on Elm Street; crews expect it back by 6 PM.",
            ),
            ("scope_kind", "area"),
            ("scope_value", value),
        ]
    };

    // Refused: billing staff (no network right), an empty area, an area with nobody in it.
    let refused = portal
        .call(&billing, "declare-outage", &form("Cable cut on Elm", "zz9"))
        .await;
    assert_eq!(error_code(refused).await, (403, "forbidden".into()));
    for value in ["", "QQ1"] {
        let response = portal
            .call(&rep, "declare-outage", &form("Cable cut on Elm", value))
            .await;
        assert_eq!(response.status().as_u16(), 422, "{value:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["field"], "scope_value", "{body}");
    }
    assert_eq!(outages(&portal).await, 0);

    let declared: serde_json::Value = portal
        .call(&rep, "declare-outage", &form("Cable cut on Elm", "zz9"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (declared["services"].as_i64(), declared["accounts"].as_i64()),
        (Some(1), Some(1)),
        "{declared}"
    );
    let id = declared["id"].as_i64().unwrap();

    // Alex's overview announces it; Sam's does not.
    let alex_browser = portal.signed_in(ALEX_EMAIL).await;
    let (_, page) = portal.page(&alex_browser, "/").await;
    assert!(
        page.contains(r#"data-testid="outage""#),
        "the overview announces it"
    );
    assert!(page.contains("Service disruption: Cable cut on Elm"));
    assert!(page.contains("crews expect it back by 6 PM"));
    let sam = portal.signed_in(SAM_EMAIL).await;
    let (_, page) = portal.page(&sam, "/").await;
    assert!(!page.contains(r#"data-testid="outage""#));

    // Billing staff see it listed, but may not end it.
    let listed: serde_json::Value = portal
        .call(&billing, "staff-outages", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["may_declare"], false);
    assert_eq!(listed["rows"][0]["title"], "Cable cut on Elm");
    let id_text = id.to_string();
    let refused = portal
        .call(&billing, "end-outage", &[("id", id_text.as_str())])
        .await;
    assert_eq!(error_code(refused).await, (403, "forbidden".into()));

    // Ended by the rep: the overview is quiet again; ending twice is a conflict.
    let ended = portal
        .call(&rep, "end-outage", &[("id", id_text.as_str())])
        .await;
    assert_eq!(ended.status().as_u16(), 200);
    let (_, page) = portal.page(&alex_browser, "/").await;
    assert!(!page.contains(r#"data-testid="outage""#));
    let again = portal
        .call(&rep, "end-outage", &[("id", id_text.as_str())])
        .await;
    assert_eq!(error_code(again).await.0, 409);

    // Audited: who declared and ended it; Alex's history has both (beside the demo's own
    // past outage, which has no outage id).
    let audited: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where action like 'outage.%' and actor_kind = 'staff'
          order by id",
    )
    .fetch_all(&portal.pool)
    .await
    .unwrap();
    assert_eq!(audited, ["outage.declared", "outage.ended"]);
    let history: Vec<String> = sqlx::query_scalar(
        "select summary from service_events where account_id = $1 and kind = 'outage'
            and detail ? 'outage_id' order by id",
    )
    .bind(alex)
    .fetch_all(&portal.pool)
    .await
    .unwrap();
    assert_eq!(
        history,
        ["Outage: Cable cut on Elm", "Outage over: Cable cut on Elm"]
    );
}

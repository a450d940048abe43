//! The integration API changes one service: activation, suspension and resumption,
//! a plan change with the portal's rules, and cancellation with the early termination fee
//! accepted to the cent; each one tells the network, and none overwrites a change made
//! since the caller read the service.

use engine::integrations::Scope;
use reqwest::Client;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::api::{key, problem};
use crate::helpers::*;

fn provider_today() -> chrono::NaiveDate {
    engine::clock::today(chrono_tz::America::Chicago, chrono::Utc::now())
}

async fn post(
    portal: &TestPortal,
    http: &Client,
    token: &str,
    path: &str,
    idempotency: &str,
    if_match: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut request = http
        .post(portal.url(&format!("/api/v1{path}")))
        .bearer_auth(token)
        .header("idempotency-key", idempotency)
        .json(&body);
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    request.send().await.expect("an answer")
}

/// The latest provisioning action queued for a service.
async fn last_action(portal: &TestPortal, service: i64) -> String {
    sqlx::query_scalar(
        "select action from provisioning_outbox where service_id = $1 order by id desc limit 1",
    )
    .bind(service)
    .fetch_one(&portal.pool)
    .await
    .expect("a provisioning event")
}

/// A new account with one pending fibre service, made through the API.
async fn pending_service(
    portal: &TestPortal,
    http: &Client,
    token: &str,
    plan: &str,
) -> (i64, i64) {
    let plan: i64 = sqlx::query_scalar("select id from plans where code = $1")
        .bind(plan)
        .fetch_one(&portal.pool)
        .await
        .expect("a plan");
    let made: Value = post(
        portal,
        http,
        token,
        "/accounts",
        &format!("make-{plan}"),
        None,
        json!({
            "kind": "residential", "display_name": "Hedy Lamarr", "currency": "USD",
            "people": [{ "role": "owner", "first_name": "Hedy", "last_name": "Lamarr",
                         "email": "hedy@example.net" }],
            "addresses": [{ "line1": "9 Spread St", "city": "Austin", "postal_code": "78701",
                            "country": "US", "jurisdiction": "US-TX",
                            "technologies": ["fibre", "cable", "dsl", "fixed_wireless"] }],
            "services": [{ "address": 0, "plan_id": plan }]
        }),
    )
    .await
    .json()
    .await
    .expect("json");
    (
        made["account"]["id"].as_i64().expect("an account"),
        made["services"][0]["id"].as_i64().expect("a service"),
    )
}

#[sqlx::test(migrations = "../migrations")]
async fn a_service_is_activated_suspended_resumed_and_changed_with_the_network_told(
    pool: sqlx::PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let (_, token) = key(
        &portal,
        "crm",
        &[Scope::Read, Scope::WriteAccounts],
        100_000,
    )
    .await;
    let (_, service) = pending_service(&portal, &http, &token, "fibre-300").await;
    let path = |action: &str| format!("/services/{service}/{action}");
    let provisioned: i64 =
        sqlx::query_scalar("select count(*) from provisioning_outbox where service_id = $1")
            .bind(service)
            .fetch_one(&portal.pool)
            .await
            .expect("count");
    assert_eq!(provisioned, 0, "a pending service is not on the network");

    // Suspending a pending service: 409, nothing written.
    let (status, body) = problem(
        post(
            &portal,
            &http,
            &token,
            &path("suspend"),
            "s-0",
            None,
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );

    // Activated: in force from today, on the network.
    let active = post(
        &portal,
        &http,
        &token,
        &path("activate"),
        "a-1",
        None,
        json!({}),
    )
    .await;
    assert_eq!(active.status(), 200);
    let tag = active
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("ETag")
        .to_string();
    let active: Value = active.json().await.expect("json");
    assert_eq!(active["status"], "active");
    assert_eq!(active["activated_on"], provider_today().to_string());
    assert_eq!(last_action(&portal, service).await, "activate");

    // Suspended with a stale tag: 412; with the current one (an empty body is fine): off.
    let (status, _) = problem(
        post(
            &portal,
            &http,
            &token,
            &path("suspend"),
            "s-1",
            Some("\"1\""),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 412);
    let off = http
        .post(portal.url(&format!("/api/v1{}", path("suspend"))))
        .bearer_auth(&token)
        .header("idempotency-key", "s-2")
        .header("if-match", &tag)
        .send()
        .await
        .expect("answer");
    assert_eq!(off.status(), 200);
    let off: Value = off.json().await.expect("json");
    assert_eq!(
        (off["status"].as_str(), off["suspension_reason"].as_str()),
        (Some("suspended"), Some("other"))
    );
    assert_eq!(last_action(&portal, service).await, "suspend");
    let open: (String, Option<chrono::NaiveDate>) =
        sqlx::query_as("select reason, restored_on from service_suspensions where service_id = $1")
            .bind(service)
            .fetch_one(&portal.pool)
            .await
            .expect("the days off are recorded");
    assert_eq!(open, ("other".to_string(), None));

    // Resumed: back on, the suspension closed today.
    let back: Value = post(
        &portal,
        &http,
        &token,
        &path("resume"),
        "r-1",
        None,
        json!({}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(back["status"], "active");
    assert_eq!(last_action(&portal, service).await, "restore");
    let restored: Option<chrono::NaiveDate> =
        sqlx::query_scalar("select restored_on from service_suspensions where service_id = $1")
            .bind(service)
            .fetch_one(&portal.pool)
            .await
            .expect("row");
    assert_eq!(restored, Some(provider_today()));

    // A service off for non-payment is not resumed by a request: paying restores it.
    let mut tx = portal.pool.begin().await.expect("tx");
    sqlx::query(
        "update services set status = 'suspended', suspension_reason = 'non_payment' where id = $1",
    )
    .bind(service)
    .execute(&mut *tx)
    .await
    .expect("off");
    sqlx::query(
        "insert into service_suspensions (service_id, account_id, reason, suspended_on)
         select id, account_id, 'non_payment', $2 from services where id = $1",
    )
    .bind(service)
    .bind(provider_today().succ_opt().expect("tomorrow"))
    .execute(&mut *tx)
    .await
    .expect("recorded");
    tx.commit().await.expect("committed");
    let (status, body) = problem(
        post(
            &portal,
            &http,
            &token,
            &path("resume"),
            "r-2",
            None,
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("non payment"),
        "{body}"
    );
    let mut tx = portal.pool.begin().await.expect("tx");
    sqlx::query("update services set status = 'active', suspension_reason = null where id = $1")
        .bind(service)
        .execute(&mut *tx)
        .await
        .expect("on");
    sqlx::query("delete from service_suspensions where service_id = $1 and reason = 'non_payment'")
        .bind(service)
        .execute(&mut *tx)
        .await
        .expect("on");
    tx.commit().await.expect("committed");

    // A plan that is not one: 422 at /plan_id. An upgrade now: applied, on the network.
    let (status, body) = problem(
        post(
            &portal,
            &http,
            &token,
            &path("plan-changes"),
            "p-0",
            None,
            json!({ "plan_id": 987654 }),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["pointer"].as_str()),
        (422, Some("/plan_id")),
        "{body}"
    );
    let bigger: i64 = sqlx::query_scalar(
        "select id from plans where technology = 'fibre' and available and currency = 'USD'
            and monthly_price > (select monthly_price from plans where code = 'fibre-300')
          order by monthly_price limit 1",
    )
    .fetch_one(&portal.pool)
    .await
    .expect("a bigger fibre plan");
    let changed = post(
        &portal,
        &http,
        &token,
        &path("plan-changes"),
        "p-1",
        None,
        json!({ "plan_id": bigger, "timing": "immediately" }),
    )
    .await;
    assert_eq!(changed.status(), 201);
    let changed: Value = changed.json().await.expect("json");
    assert_eq!(changed["status"], "applied", "{changed}");
    assert_eq!(changed["service"]["plan_id"], bigger);
    assert_eq!(last_action(&portal, service).await, "change_plan");
    let requester: Option<i64> =
        sqlx::query_scalar("select requested_by_api_key from plan_changes where id = $1")
            .bind(changed["plan_change_id"].as_i64().expect("an id"))
            .fetch_one(&portal.pool)
            .await
            .expect("row");
    assert!(requester.is_some());

    // Back down at the next cycle: scheduled, shown on the service; the plan is unchanged.
    let fibre300: i64 = sqlx::query_scalar("select id from plans where code = 'fibre-300'")
        .fetch_one(&portal.pool)
        .await
        .expect("plan");
    // The upgrade's plan has a contract, so going back down inside it costs the early
    // termination fee: refused until accepted, with the fee named.
    let fee = if changed["contract_ends_on"].is_null() {
        None
    } else {
        let (status, body) = problem(
            post(
                &portal,
                &http,
                &token,
                &path("plan-changes"),
                "p-2",
                None,
                json!({ "plan_id": fibre300, "timing": "next_cycle" }),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, body["pointer"].as_str()),
            (422, Some("/accepted_fee")),
            "{body}"
        );
        let detail = body["detail"].as_str().unwrap_or_default();
        let named: String = detail
            .split('$')
            .nth(1)
            .unwrap_or_default()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
            .filter(|c| *c != ',')
            .collect();
        Some(named.trim_end_matches('.').to_string())
    };
    let later: Value = post(
        &portal,
        &http,
        &token,
        &path("plan-changes"),
        "p-3",
        None,
        json!({ "plan_id": fibre300, "timing": "next_cycle", "accepted_fee": fee }),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(later["status"], "scheduled", "{later}");
    assert_eq!(later["service"]["plan_id"], bigger);
    assert_eq!(later["service"]["scheduled_change"]["to_plan_id"], fibre300);

    // Cancelled: inside the upgrade's new contract (all of it left), the whole fee is
    // named and must be accepted; the scheduled change goes with it; the network is told.
    let whole_fee: Option<Decimal> =
        sqlx::query_scalar("select early_termination_fee from plans where id = $1")
            .bind(bigger)
            .fetch_one(&portal.pool)
            .await
            .expect("the fee");
    let mut cancel = json!({});
    if let Some(whole_fee) = whole_fee.filter(|_| !changed["contract_ends_on"].is_null()) {
        let (status, body) = problem(
            post(
                &portal,
                &http,
                &token,
                &path("cancel"),
                "c-0",
                None,
                json!({}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, body["pointer"].as_str()),
            (422, Some("/accepted_fee"))
        );
        assert!(
            body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(&format!("fee of {whole_fee}")),
            "{body}"
        );
        cancel = json!({ "accepted_fee": whole_fee.to_string() });
    }
    let gone: Value = post(
        &portal,
        &http,
        &token,
        &path("cancel"),
        "c-1",
        None,
        cancel.clone(),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(gone["status"], "cancelled", "{gone}");
    assert_eq!(gone["cancelled_on"], provider_today().to_string());
    assert_eq!(gone["scheduled_change"], Value::Null);
    assert_eq!(last_action(&portal, service).await, "cancel");
    let (status, _) = problem(
        post(
            &portal,
            &http,
            &token,
            &path("cancel"),
            "c-2",
            None,
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 409);
    // The same request again replays the first answer.
    let again = post(&portal, &http, &token, &path("cancel"), "c-1", None, cancel).await;
    assert_eq!(again.status(), 200);
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn cancelling_inside_a_contract_needs_the_fee_accepted_to_the_cent(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let (_, token) = key(
        &portal,
        "crm",
        &[Scope::Read, Scope::WriteAccounts],
        100_000,
    )
    .await;
    // A 12-month plan with a 200.00 fee, as the operator might sell one.
    let plan: i64 = sqlx::query_scalar(
        "insert into plans (code, name, technology, download_mbps, upload_mbps, monthly_price,
                            currency, contract_months, early_termination_fee)
         values ('fibre-contract', 'Fibre 300 (12 months)', 'fibre', 300, 300, 55.00, 'USD', 12, 200.00)
         returning id",
    )
    .fetch_one(&portal.pool)
    .await
    .expect("a plan");
    let (account, service) = pending_service(&portal, &http, &token, "fibre-contract").await;
    let activated = post(
        &portal,
        &http,
        &token,
        &format!("/services/{service}/activate"),
        "a",
        None,
        json!({}),
    )
    .await;
    let activated: Value = activated.json().await.expect("json");
    assert_eq!(activated["plan_id"], plan);
    // Activated today on a 12-month term: 12 months are left, the whole fee.
    let ends = provider_today()
        .checked_add_months(chrono::Months::new(12))
        .expect("a date");
    assert_eq!(activated["contract_ends_on"], ends.to_string());

    let path = format!("/services/{service}/cancel");
    let (status, body) =
        problem(post(&portal, &http, &token, &path, "c-1", None, json!({})).await).await;
    assert_eq!(
        (status, body["pointer"].as_str()),
        (422, Some("/accepted_fee")),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("200.00"),
        "{body}"
    );
    let (status, _) = problem(
        post(
            &portal,
            &http,
            &token,
            &path,
            "c-2",
            None,
            json!({ "accepted_fee": "199.99" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    let status: String = sqlx::query_scalar("select status from services where id = $1")
        .bind(service)
        .fetch_one(&portal.pool)
        .await
        .expect("status");
    assert_eq!(status, "active", "nothing written");

    let done = post(
        &portal,
        &http,
        &token,
        &path,
        "c-3",
        None,
        json!({ "accepted_fee": "200.00" }),
    )
    .await;
    assert_eq!(done.status(), 200);
    let fee: (Decimal, chrono::NaiveDate, String) = sqlx::query_as(
        "select amount, charge_on, description from one_time_charges where account_id = $1",
    )
    .bind(account)
    .fetch_one(&portal.pool)
    .await
    .expect("the fee, to be billed");
    assert_eq!(fee.0, Decimal::new(20000, 2));
    assert_eq!(fee.1, provider_today());
    assert!(fee.2.starts_with("Early termination fee"), "{}", fee.2);
}

//! The integration API (`/api/v1`): keys decide who may call what, every error is a
//! problem document, the rate budget is shared and announced, and the OpenAPI document
//! served is the one committed.

use std::collections::BTreeSet;

use engine::integrations::{self, NewKey, Scope};
use reqwest::{Client, Response};
use serde_json::Value;

use crate::helpers::*;

pub(crate) async fn key(
    portal: &TestPortal,
    name: &str,
    scopes: &[Scope],
    rate: i32,
) -> (i64, String) {
    let mut conn = portal.pool.acquire().await.expect("a connection");
    let k = integrations::create_key(
        &mut conn,
        &NewKey {
            integration: "CRM".into(),
            name: name.into(),
            scopes: scopes.to_vec(),
            money_limit: None,
            rate_per_minute: rate,
            created_by_staff: None,
        },
    )
    .await
    .expect("a key");
    (k.id, k.token)
}

pub(crate) async fn get(
    portal: &TestPortal,
    client: &Client,
    path: &str,
    token: Option<&str>,
) -> Response {
    let mut request = client.get(portal.url(&format!("/api/v1{path}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("an answer")
}

/// Status and problem document, checking that it is one.
pub(crate) async fn problem(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "status {status}"
    );
    let body: Value = response.json().await.expect("a problem document");
    assert_eq!(body["status"].as_u64(), Some(u64::from(status)), "{body}");
    let code = body["code"].as_str().expect("a code").to_string();
    assert_eq!(
        body["type"].as_str(),
        Some(format!("/api/v1/docs#problem-{code}").as_str())
    );
    assert!(
        !body["detail"].as_str().unwrap_or_default().is_empty(),
        "{body}"
    );
    (status, body)
}

#[sqlx::test(migrations = "../migrations")]
async fn keys_decide_who_may_read_the_plans_and_a_session_counts_for_nothing(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let (read_id, read) = key(&portal, "reader", &[Scope::Read], 600).await;
    let (_, writer) = key(&portal, "writer", &[Scope::WriteAccounts], 600).await;
    let (revoked_id, revoked) = key(&portal, "old", &[Scope::Read], 600).await;
    integrations::revoke_key(
        &mut portal.pool.acquire().await.expect("conn"),
        revoked_id,
        None,
    )
    .await
    .expect("revoked");

    // No key, a made-up key, a revoked key.
    let (status, body) = problem(get(&portal, &http, "/plans", None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let made_up = format!("lmk_{}", "A".repeat(40));
    for token in [made_up.as_str(), "not-a-key", revoked.as_str()] {
        let response = get(&portal, &http, "/plans", Some(token)).await;
        assert!(response.headers().get("www-authenticate").is_some());
        let (status, body) = problem(response).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("invalid_key")),
            "{token}"
        );
    }
    // A key without the scope.
    let (status, body) = problem(get(&portal, &http, "/plans", Some(&writer)).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("insufficient_scope"))
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("\"read\""),
        "{body}"
    );
    // A subscriber's session is not a key.
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let (status, _) = problem(get(&portal, &alex, "/plans", None).await).await;
    assert_eq!(status, 401);

    // The reader sees every plan, as stored.
    let response = get(&portal, &http, "/plans", Some(&read)).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("ratelimit").is_some());
    let body: Value = response.json().await.expect("json");
    let plans = body["data"].as_array().expect("data");
    let stored: Vec<(String, String, bool)> =
        sqlx::query_as("select code, monthly_price::text, available from plans order by code")
            .fetch_all(&portal.pool)
            .await
            .expect("plans");
    assert!(!stored.is_empty());
    assert_eq!(
        plans
            .iter()
            .map(|p| (
                p["code"].as_str().unwrap_or_default().to_string(),
                p["monthly_price"].as_str().unwrap_or_default().to_string(),
                p["available"].as_bool().unwrap_or_default()
            ))
            .collect::<Vec<_>>(),
        stored
    );
    let used: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select last_used_at from api_keys where id = $1")
            .bind(read_id)
            .fetch_one(&portal.pool)
            .await
            .expect("last use");
    assert!(used.is_some());

    // Rotation: both tokens work for 24 hours, then only the new one.
    let rotated =
        integrations::rotate_key(&mut portal.pool.acquire().await.expect("conn"), read_id)
            .await
            .expect("rotated");
    assert_eq!(
        get(&portal, &http, "/plans", Some(&read)).await.status(),
        200
    );
    assert_eq!(
        get(&portal, &http, "/plans", Some(&rotated.token))
            .await
            .status(),
        200
    );
    sqlx::query(
        "update api_key_secrets set created_at = now() - interval '25 hours',
                expires_at = now() - interval '1 hour'
          where api_key_id = $1 and expires_at is not null",
    )
    .bind(read_id)
    .execute(&portal.pool)
    .await
    .expect("a day later");
    assert_eq!(
        get(&portal, &http, "/plans", Some(&read)).await.status(),
        401
    );
    assert_eq!(
        get(&portal, &http, "/plans", Some(&rotated.token))
            .await
            .status(),
        200
    );

    // Unknown operations and methods are problems too.
    let (status, body) =
        problem(get(&portal, &http, "/nothing-here", Some(&rotated.token)).await).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let response = http
        .delete(portal.url("/api/v1/plans"))
        .bearer_auth(&rotated.token)
        .send()
        .await
        .expect("an answer");
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_keys_budget_counts_down_then_refuses_with_when_to_come_back(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let (_, token) = key(&portal, "slow", &[Scope::Read], 5).await;
    for left in (0..5).rev() {
        let response = get(&portal, &http, "/plans", Some(&token)).await;
        assert_eq!(response.status(), 200);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(header("ratelimit-policy"), "\"key\";q=5;w=60");
        assert!(
            header("ratelimit").starts_with(&format!("\"key\";r={left};t=")),
            "{}",
            header("ratelimit")
        );
    }
    let response = get(&portal, &http, "/plans", Some(&token)).await;
    let retry: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=12).contains(&retry), "{retry}");
    let (status, body) = problem(response).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")));

    // The budget is in the database: another server instance finds it spent as well.
    let other = integrations::authenticate(&portal.pool, &token)
        .await
        .expect("the database answers")
        .expect("the key");
    assert!(!other.rate.allowed);
    assert_eq!(other.rate.remaining, 0);
}

/// Who may call each operation of the document. Callers, in order: nobody, a made-up key, a
/// revoked key, a key with `read`, one with `write:accounts`, one with `write:money`, a
/// subscriber's session. A row per operation, and an operation per row.
#[sqlx::test(migrations = "../migrations")]
async fn every_operation_answers_each_kind_of_caller_as_decided(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let account = portal.account_id(ALEX_NUMBER).await;
    let service: i64 = sqlx::query_scalar("select min(id) from services where account_id = $1")
        .bind(account)
        .fetch_one(&portal.pool)
        .await
        .expect("a service");
    let statement: i64 = sqlx::query_scalar("select max(id) from statements where account_id = $1")
        .bind(account)
        .fetch_one(&portal.pool)
        .await
        .expect("a statement");
    let ticket: String = sqlx::query_scalar(
        "insert into tickets (account_id, subject, category) values ($1, 'Matrix', 'general')
         returning number",
    )
    .bind(account)
    .fetch_one(&portal.pool)
    .await
    .expect("a ticket");
    // A person who may be removed, an address, and another account to delete.
    let person: i64 = sqlx::query_scalar(
        "insert into people (account_id, role, first_name, last_name)
         values ($1, 'technical', 'Matrix', 'Person') returning id",
    )
    .bind(account)
    .fetch_one(&portal.pool)
    .await
    .expect("a person");
    let address: i64 = sqlx::query_scalar("select min(id) from addresses where account_id = $1")
        .bind(account)
        .fetch_one(&portal.pool)
        .await
        .expect("an address");
    let other = portal.account_id(SAM_NUMBER).await;
    let (a, s, st) = (
        account.to_string(),
        service.to_string(),
        statement.to_string(),
    );
    // (method, documented path, the path called, expected per caller)
    let rows: &[(&str, &str, String, &str)] = &[
        (
            "get",
            "/plans",
            "/plans".into(),
            "401 401 401 200 403 403 401",
        ),
        (
            "get",
            "/accounts",
            "/accounts".into(),
            "401 401 401 200 403 403 401",
        ),
        (
            "post",
            "/accounts",
            "/accounts".into(),
            "401 401 401 403 201 403 401",
        ),
        (
            "get",
            "/accounts/{id}",
            format!("/accounts/{a}"),
            "401 401 401 200 403 403 401",
        ),
        (
            "patch",
            "/accounts/{id}",
            format!("/accounts/{a}"),
            "401 401 401 403 200 403 401",
        ),
        (
            "delete",
            "/accounts/{id}",
            format!("/accounts/{other}"),
            "401 401 401 403 in 403 401",
        ),
        (
            "post",
            "/accounts/{id}/people",
            format!("/accounts/{a}/people"),
            "401 401 401 403 201 403 401",
        ),
        (
            "patch",
            "/accounts/{id}/people/{person_id}",
            format!("/accounts/{a}/people/{person}"),
            "401 401 401 403 200 403 401",
        ),
        (
            "delete",
            "/accounts/{id}/people/{person_id}",
            format!("/accounts/{a}/people/{person}"),
            "401 401 401 403 200 403 401",
        ),
        (
            "post",
            "/accounts/{id}/addresses",
            format!("/accounts/{a}/addresses"),
            "401 401 401 403 201 403 401",
        ),
        (
            "patch",
            "/accounts/{id}/addresses/{address_id}",
            format!("/accounts/{a}/addresses/{address}"),
            "401 401 401 403 200 403 401",
        ),
        (
            "get",
            "/services",
            "/services".into(),
            "401 401 401 200 403 403 401",
        ),
        (
            "get",
            "/services/{id}",
            format!("/services/{s}"),
            "401 401 401 200 403 403 401",
        ),
        (
            "post",
            "/services/{id}/activate",
            format!("/services/{s}/activate"),
            "401 401 401 403 in 403 401",
        ),
        (
            "post",
            "/services/{id}/suspend",
            format!("/services/{s}/suspend"),
            "401 401 401 403 in 403 401",
        ),
        (
            "post",
            "/services/{id}/resume",
            format!("/services/{s}/resume"),
            "401 401 401 403 in 403 401",
        ),
        (
            "post",
            "/services/{id}/plan-changes",
            format!("/services/{s}/plan-changes"),
            "401 401 401 403 in 403 401",
        ),
        (
            "post",
            "/services/{id}/cancel",
            format!("/services/{s}/cancel"),
            "401 401 401 403 in 403 401",
        ),
        (
            "get",
            "/accounts/{id}/balance",
            format!("/accounts/{a}/balance"),
            "401 401 401 200 403 403 401",
        ),
        (
            "post",
            "/accounts/{id}/payments",
            format!("/accounts/{a}/payments"),
            "401 401 401 403 403 201 401",
        ),
        (
            "post",
            "/accounts/{id}/refunds",
            format!("/accounts/{a}/refunds"),
            "401 401 401 403 403 in 401",
        ),
        (
            "get",
            "/accounts/{id}/statements",
            format!("/accounts/{a}/statements"),
            "401 401 401 200 403 403 401",
        ),
        (
            "get",
            "/statements/{id}",
            format!("/statements/{st}"),
            "401 401 401 200 403 403 401",
        ),
        (
            "get",
            "/statements/{id}/pdf",
            format!("/statements/{st}/pdf"),
            "401 401 401 200 403 403 401",
        ),
        (
            "get",
            "/accounts/{id}/tickets",
            format!("/accounts/{a}/tickets"),
            "401 401 401 200 403 403 401",
        ),
        (
            "post",
            "/accounts/{id}/tickets",
            format!("/accounts/{a}/tickets"),
            "401 401 401 403 201 403 401",
        ),
        (
            "get",
            "/tickets/{number}",
            format!("/tickets/{ticket}"),
            "401 401 401 200 403 403 401",
        ),
        (
            "post",
            "/accounts/{id}/charges",
            format!("/accounts/{a}/charges"),
            "401 401 401 403 403 201 401",
        ),
        (
            "post",
            "/accounts/{id}/credits",
            format!("/accounts/{a}/credits"),
            "401 401 401 403 403 201 401",
        ),
        (
            "post",
            "/usage-records",
            "/usage-records".into(),
            "401 401 401 403 201 403 401",
        ),
    ];
    // The body each write is sent with (a fresh Idempotency-Key per call).
    let hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:00:00Z")
        .to_string();
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:00Z").to_string();
    let body_of = |path: &str| -> Option<Value> {
        if path.ends_with("/tickets") {
            Some(
                serde_json::json!({ "category": "general", "subject": "Matrix", "message": "Who may open this?" }),
            )
        } else if path.ends_with("/charges") {
            Some(serde_json::json!({ "amount": "5.00", "description": "Matrix charge" }))
        } else if path.ends_with("/credits") {
            Some(serde_json::json!({ "amount": "5.00", "reason": "Matrix credit" }))
        } else if path.ends_with("/payments") {
            Some(
                serde_json::json!({ "amount": "10.00", "method": "cash", "reference": "matrix-1" }),
            )
        } else if path == "/accounts" {
            Some(
                serde_json::json!({ "kind": "business", "display_name": "Matrix Ltd", "currency": "USD",
                "people": [{ "role": "owner", "first_name": "Neo", "last_name": "Anderson",
                             "email": "neo@example.net" }] }),
            )
        } else if path.ends_with("/people") {
            Some(
                serde_json::json!({ "role": "technical", "first_name": "Trin", "last_name": "Ity" }),
            )
        } else if path.contains("/people/") {
            Some(serde_json::json!({ "phone": "+1 512 555 0100" }))
        } else if path.ends_with("/addresses") {
            Some(
                serde_json::json!({ "line1": "1 Matrix Way", "city": "Austin", "postal_code": "78701",
                "country": "US", "jurisdiction": "US-TX" }),
            )
        } else if path.contains("/addresses/") {
            Some(serde_json::json!({ "line2": "Unit 2" }))
        } else if path.ends_with("/refunds") {
            Some(serde_json::json!({ "amount": "1.00", "method": "cash", "reference": "matrix-r" }))
        } else if path.starts_with("/accounts/") && !path.ends_with("/balance") {
            Some(serde_json::json!({ "display_name": "Alex Matrix" }))
        } else if path.ends_with("/plan-changes") {
            Some(serde_json::json!({ "plan_id": 1 }))
        } else if path.starts_with("/services/") {
            Some(serde_json::json!({}))
        } else if path == "/usage-records" {
            Some(
                serde_json::json!({ "records": [{ "service_id": service, "start": hour_ago,
                "end": now, "download_bytes": 1, "upload_bytes": 1 }] }),
            )
        } else {
            None
        }
    };

    let document = lastmile::api::document_json();
    let document: Value = serde_json::from_str(document).expect("the document");
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("an operation")
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    let listed: BTreeSet<(String, String)> = rows
        .iter()
        .map(|(m, p, _, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, listed, "decide who may call each operation");

    let (_, read) = key(&portal, "read", &[Scope::Read], 600).await;
    let (_, accounts) = key(&portal, "accounts", &[Scope::WriteAccounts], 600).await;
    let (_, money) = key(&portal, "money", &[Scope::WriteMoney], 600).await;
    let (revoked_id, revoked) = key(&portal, "revoked", &Scope::ALL, 600).await;
    integrations::revoke_key(
        &mut portal.pool.acquire().await.expect("conn"),
        revoked_id,
        None,
    )
    .await
    .expect("revoked");
    let made_up = format!("lmk_{}", "z".repeat(40));
    let tokens = [
        None,
        Some(made_up.as_str()),
        Some(revoked.as_str()),
        Some(read.as_str()),
        Some(accounts.as_str()),
        Some(money.as_str()),
        None,
    ];
    let anonymous = portal.browser();
    let subscriber = portal.signed_in(ALEX_EMAIL).await;
    let mut wrong = Vec::new();
    for (method, _, path, expected) in rows {
        let expected: Vec<&str> = expected.split_whitespace().collect();
        assert_eq!(expected.len(), tokens.len(), "{method} {path}");
        for (i, token) in tokens.iter().enumerate() {
            let client = if i == 6 { &subscriber } else { &anonymous };
            let mut request = client.request(
                method.to_uppercase().parse().expect("a method"),
                portal.url(&format!("/api/v1{path}")),
            );
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body_of(path).filter(|_| *method != "get") {
                request = request
                    .json(&body)
                    .header("idempotency-key", format!("matrix-{i}-{path}"))
                    .header("if-match", "*");
            }
            let status = request.send().await.expect("an answer").status().as_u16();
            // "in": let in (the operation's own checks answer), neither 401 nor 403.
            let as_expected = match expected[i] {
                "in" => !matches!(status, 401 | 403) && status < 500,
                code => code == status.to_string(),
            };
            if !as_expected {
                wrong.push(format!(
                    "{method} {path} as caller {i}: {status}, expected {}",
                    expected[i]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_served_document_is_the_committed_one_and_its_reference_page_lists_it(
    pool: sqlx::PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let served = get(&portal, &http, "/openapi.json", None)
        .await
        .text()
        .await
        .expect("the document");
    let committed = include_str!("../../../docs/api/openapi.json");
    assert!(
        served == committed,
        "docs/api/openapi.json is not what the server serves: run \
         `cargo run -p lastmile -- api openapi > docs/api/openapi.json` and commit it"
    );

    let doc: Value = serde_json::from_str(&served).expect("JSON");
    assert_eq!(doc["openapi"].as_str(), Some("3.1.0"));
    // Every operation: an id, a key scope, and the answers every keyed operation can give.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            assert!(op["operationId"].is_string(), "{method} {path}");
            assert!(op["security"][0]["api_key"].is_array(), "{method} {path}");
            for status in ["401", "403", "429"] {
                assert!(
                    op["responses"][status]["content"]["application/problem+json"].is_object(),
                    "{method} {path} documents no {status} problem"
                );
            }
        }
    }

    let (status, page) = portal.page(&http, "/api/v1/docs").await;
    assert_eq!(status, 200);
    assert!(page.contains("<code>GET /plans</code>"), "{page}");
    assert!(page.contains("id=\"op-listPlans\""));
    assert!(page.contains("id=\"problem-rate_limited\""));
    assert!(page.contains("id=\"schema-Plan\""));
}

/// Reads a sync list from `cursor` until `expected` ids have all come (other tests' open
/// transactions on the same PostgreSQL may hold changes back a moment), and returns every
/// id that came, and the cursor to go on from.
async fn sync_until(
    portal: &TestPortal,
    http: &Client,
    token: &str,
    list: &str,
    mut cursor: String,
    expected: &BTreeSet<i64>,
) -> (Vec<i64>, String) {
    let mut seen = Vec::new();
    for _ in 0..300 {
        let response = get(
            portal,
            http,
            &format!("/{list}?limit=2&cursor={cursor}"),
            Some(token),
        )
        .await;
        assert_eq!(response.status(), 200);
        let page: Value = response.json().await.expect("a page");
        seen.extend(
            page["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|r| r["id"].as_i64().expect("id")),
        );
        cursor = page["next_cursor"].as_str().expect("a cursor").to_string();
        let all: BTreeSet<i64> = seen.iter().copied().collect();
        if page["has_more"] == false && expected.is_subset(&all) {
            return (seen, cursor);
        }
        if page["has_more"] == false {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    panic!("{list}: {expected:?} never all came; saw {seen:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_sync_list_hands_out_every_change_once_the_transactions_before_it_have_ended(
    pool: sqlx::PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let (_, token) = key(&portal, "sync", &[Scope::Read], 100_000).await;
    let all: BTreeSet<i64> = sqlx::query_scalar::<_, i64>("select id from accounts")
        .fetch_all(&portal.pool)
        .await
        .expect("accounts")
        .into_iter()
        .collect();
    assert!(all.len() >= 5);

    // The first sync, two at a time: every account, once.
    // The seeded rows come once every transaction older than them has ended anywhere on
    // this PostgreSQL (other tests' included).
    let mut first = Value::Null;
    for _ in 0..100 {
        let start = get(&portal, &http, "/accounts?limit=2", Some(&token)).await;
        first = start.json().await.expect("a page");
        if first["data"].as_array().map(Vec::len) == Some(2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(first["data"].as_array().expect("data").len(), 2);
    assert_eq!(first["has_more"], true);
    let mut seen: Vec<i64> = first["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    let (rest, cursor) = sync_until(
        &portal,
        &http,
        &token,
        "accounts",
        first["next_cursor"].as_str().expect("cursor").to_string(),
        &BTreeSet::new(),
    )
    .await;
    seen.extend(rest);
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "an account came twice: {seen:?}");
    assert_eq!(sorted.into_iter().collect::<BTreeSet<_>>(), all);

    // Two renamed, a person added to a third; a fourth changes only what the API does not
    // show (its Stripe customer).
    let ids: Vec<i64> = all.iter().copied().collect();
    sqlx::query("update accounts set display_name = display_name || ' Jr' where id = any($1)")
        .bind(&ids[..2])
        .execute(&portal.pool)
        .await
        .expect("renamed");
    sqlx::query(
        "insert into people (account_id, role, first_name, last_name) values ($1, 'technical', 'Kim', 'Lee')",
    )
    .bind(ids[2])
    .execute(&portal.pool)
    .await
    .expect("a person");
    let before: i64 = sqlx::query_scalar("select version from accounts where id = $1")
        .bind(ids[3])
        .fetch_one(&portal.pool)
        .await
        .expect("version");
    sqlx::query("update accounts set stripe_customer_id = 'cus_SYNCTEST' where id = $1")
        .bind(ids[3])
        .execute(&portal.pool)
        .await
        .expect("a bookkeeping change");
    let changed: BTreeSet<i64> = ids[..3].iter().copied().collect();
    let (came, cursor) = sync_until(&portal, &http, &token, "accounts", cursor, &changed).await;
    assert_eq!(came.into_iter().collect::<BTreeSet<_>>(), changed);
    let after: i64 = sqlx::query_scalar("select version from accounts where id = $1")
        .bind(ids[3])
        .fetch_one(&portal.pool)
        .await
        .expect("version");
    assert_eq!(
        after, before,
        "a change the API does not show is no new version"
    );

    // A transaction left open hides the changes committed after it began, until it ends;
    // then both come (none is missed).
    let mut open = portal.pool.begin().await.expect("a long transaction");
    sqlx::query("update accounts set display_name = 'Slow Writer' where id = $1")
        .bind(ids[3])
        .execute(&mut *open)
        .await
        .expect("the slow change");
    sqlx::query("update accounts set locale = 'fr-CA' where id = $1")
        .bind(ids[4])
        .execute(&portal.pool)
        .await
        .expect("the quick change");
    let page: Value = get(
        &portal,
        &http,
        &format!("/accounts?cursor={cursor}"),
        Some(&token),
    )
    .await
    .json()
    .await
    .expect("a page");
    assert_eq!(
        page["data"],
        serde_json::json!([]),
        "nothing passes the open transaction"
    );
    let held = page["next_cursor"].as_str().expect("cursor").to_string();
    open.commit().await.expect("the slow change commits");
    let both: BTreeSet<i64> = [ids[3], ids[4]].into_iter().collect();
    let (came, _) = sync_until(&portal, &http, &token, "accounts", held, &both).await;
    assert_eq!(came.into_iter().collect::<BTreeSet<_>>(), both);

    // Every page read is on the record under the key.
    let listed: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where actor_kind = 'api_key' and action = 'api.accounts.listed'
            and detail->>'key' = 'sync' and detail->>'integration' = 'CRM'",
    )
    .fetch_one(&portal.pool)
    .await
    .expect("audit");
    assert!(listed >= 4, "{listed}");

    // Wrong parameters are named.
    for (query, parameter) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=many", "limit"),
        ("cursor=bm9wZQ", "cursor"),
        ("updated_since=yesterday", "updated_since"),
    ] {
        let (status, body) =
            problem(get(&portal, &http, &format!("/accounts?{query}"), Some(&token)).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_parameter")),
            "{query}"
        );
        assert_eq!(
            body["parameter"].as_str(),
            Some(parameter),
            "{query}: {body}"
        );
    }
    // A services cursor is not an accounts cursor.
    let services: Value = get(&portal, &http, "/services?limit=1", Some(&token))
        .await
        .json()
        .await
        .expect("page");
    let other = services["next_cursor"].as_str().expect("cursor");
    let (status, _) = problem(
        get(
            &portal,
            &http,
            &format!("/accounts?cursor={other}"),
            Some(&token),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_account_and_a_service_read_as_stored_with_their_versions(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let (key_id, token) = key(&portal, "reader", &[Scope::Read], 100_000).await;
    let alex = portal.account_id(ALEX_NUMBER).await;

    let version: i64 = sqlx::query_scalar("select version from accounts where id = $1")
        .bind(alex)
        .fetch_one(&portal.pool)
        .await
        .expect("version");
    let response = get(&portal, &http, &format!("/accounts/{alex}"), Some(&token)).await;
    assert_eq!(response.status(), 200);
    let first_tag = format!("\"{version}\"");
    assert_eq!(
        response.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some(first_tag.as_str())
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["number"], ALEX_NUMBER);
    assert_eq!(body["version"], version);
    assert!(
        body["people"]
            .as_array()
            .expect("people")
            .iter()
            .any(|p| p["email"] == ALEX_EMAIL),
        "{body}"
    );
    let addresses: i64 = sqlx::query_scalar("select count(*) from addresses where account_id = $1")
        .bind(alex)
        .fetch_one(&portal.pool)
        .await
        .expect("addresses");
    assert_eq!(
        body["addresses"].as_array().expect("addresses").len() as i64,
        addresses
    );
    let audited: (String, i64, Option<i64>, String) = sqlx::query_as(
        "select actor_kind, actor_id, subject_account_id, action from audit_log
          where actor_kind = 'api_key' order by id desc limit 1",
    )
    .fetch_one(&portal.pool)
    .await
    .expect("an audit entry");
    assert_eq!(
        audited,
        (
            "api_key".into(),
            key_id,
            Some(alex),
            "api.account.read".into()
        )
    );

    // A shown change is a new version and ETag; an edit of a person counts for the account.
    sqlx::query(
        "update people set phone = '+1 555 0100'
          where id = (select min(id) from people where account_id = $1)",
    )
    .bind(alex)
    .execute(&portal.pool)
    .await
    .expect("a new phone");
    let response = get(&portal, &http, &format!("/accounts/{alex}"), Some(&token)).await;
    let tag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body: Value = response.json().await.expect("json");
    assert_eq!(tag, format!("\"{}\"", version + 1));
    assert_eq!(body["version"], version + 1);

    // A service, its plan, and a scheduled change that moves its version.
    let (service, plan_code, status): (i64, String, String) = sqlx::query_as(
        "select s.id, p.code, s.status from services s join plans p on p.id = s.plan_id
          where s.account_id = $1 order by s.id limit 1",
    )
    .bind(alex)
    .fetch_one(&portal.pool)
    .await
    .expect("a service");
    let body: Value = get(
        &portal,
        &http,
        &format!("/services/{service}"),
        Some(&token),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(
        (body["plan_code"].as_str(), body["status"].as_str()),
        (Some(plan_code.as_str()), Some(status.as_str()))
    );
    assert_eq!(body["account_id"], alex);
    assert!(body["scheduled_change"].is_null());
    let version = body["version"].as_i64().expect("version");
    let other_plan: i64 = sqlx::query_scalar(
        "select p.id from plans p, services s where s.id = $1 and p.id <> s.plan_id order by p.id limit 1",
    )
    .bind(service)
    .fetch_one(&portal.pool)
    .await
    .expect("another plan");
    sqlx::query(
        "insert into plan_changes (service_id, from_plan_id, to_plan_id, effective_on, kind)
         select id, plan_id, $2, current_date + 10, 'downgrade' from services where id = $1",
    )
    .bind(service)
    .bind(other_plan)
    .execute(&portal.pool)
    .await
    .expect("a scheduled change");
    let body: Value = get(
        &portal,
        &http,
        &format!("/services/{service}"),
        Some(&token),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(body["scheduled_change"]["to_plan_id"], other_plan);
    assert_eq!(body["version"].as_i64(), Some(version + 1));

    // Ids that do not exist, and ids that are not numbers.
    for path in ["/accounts/999999999", "/services/999999999"] {
        let (status, body) = problem(get(&portal, &http, path, Some(&token)).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
    let (status, body) = problem(get(&portal, &http, "/accounts/alex", Some(&token)).await).await;
    assert_eq!(
        (status, body["parameter"].as_str()),
        (400, Some("id")),
        "{body}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_administrator_makes_rotates_and_revokes_a_key_in_the_console_on_the_record(
    pool: sqlx::PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let admin = portal.staff_signed_in(ADMIN_EMAIL).await;

    // Wrong fields are named, and nothing is made.
    let create = |fields: Vec<(&'static str, &'static str)>| {
        let admin = &admin;
        let portal = &portal;
        async move { portal.call(admin, "create-api-key", &fields).await }
    };
    for (fields, field) in [
        (
            vec![
                ("integration", "CRM"),
                ("name", "prod"),
                ("money_limit", ""),
                ("rate_per_minute", ""),
            ],
            "scopes",
        ),
        (
            vec![
                ("integration", " "),
                ("name", "prod"),
                ("scope_read", "on"),
                ("money_limit", ""),
                ("rate_per_minute", ""),
            ],
            "integration",
        ),
        (
            vec![
                ("integration", "CRM"),
                ("name", "prod"),
                ("scope_read", "on"),
                ("money_limit", "lots"),
                ("rate_per_minute", ""),
            ],
            "money_limit",
        ),
        (
            vec![
                ("integration", "CRM"),
                ("name", "prod"),
                ("scope_read", "on"),
                ("money_limit", "1.005"),
                ("rate_per_minute", ""),
            ],
            "money_limit",
        ),
        (
            vec![
                ("integration", "CRM"),
                ("name", "prod"),
                ("scope_read", "on"),
                ("money_limit", ""),
                ("rate_per_minute", "0"),
            ],
            "rate_per_minute",
        ),
    ] {
        let response = create(fields).await;
        assert_eq!(response.status(), 422, "{field}");
        let body: Value = response.json().await.expect("json");
        assert!(body.to_string().contains(field), "{field}: {body}");
    }
    let keys: i64 = sqlx::query_scalar("select count(*) from api_keys")
        .fetch_one(&portal.pool)
        .await
        .expect("count");
    assert_eq!(keys, 0);

    // Made: the token works once shown; the list shows its prefix only.
    let response = create(vec![
        ("integration", "CRM"),
        ("name", "production"),
        ("scope_read", "on"),
        ("scope_write_money", "on"),
        ("money_limit", "250.00"),
        ("rate_per_minute", "120"),
    ])
    .await;
    assert_eq!(response.status(), 200);
    let made: Value = response.json().await.expect("json");
    let token = made["token"].as_str().expect("the token").to_string();
    assert_eq!(
        get(&portal, &http, "/plans", Some(&token)).await.status(),
        200
    );
    let (status, page) = portal.page(&admin, "/staff/integrations").await;
    assert_eq!(status, 200);
    assert!(page.contains("CRM · production"), "{page}");
    assert!(page.contains(&token[..12]));
    assert!(!page.contains(&token));
    assert!(page.contains("at most 250.00 per charge, credit or payment"));

    // A new token; both work meanwhile. Revoked: neither does.
    let id = made["id"].as_i64().expect("id").to_string();
    let rotated: Value = portal
        .call(&admin, "rotate-api-key", &[("id", &id)])
        .await
        .json()
        .await
        .expect("json");
    let new_token = rotated["token"].as_str().expect("token").to_string();
    for t in [&token, &new_token] {
        assert_eq!(get(&portal, &http, "/plans", Some(t)).await.status(), 200);
    }
    assert_eq!(
        portal
            .call(&admin, "revoke-api-key", &[("id", &id)])
            .await
            .status(),
        200
    );
    for t in [&token, &new_token] {
        assert_eq!(get(&portal, &http, "/plans", Some(t)).await.status(), 401);
    }
    let (_, page) = portal.page(&admin, "/staff/integrations").await;
    assert!(page.contains("data-testid=\"key-revoked\""), "{page}");
    // Rotating a revoked key is refused; another's id is not found.
    assert_eq!(
        portal
            .call(&admin, "rotate-api-key", &[("id", &id)])
            .await
            .status(),
        409
    );
    assert_eq!(
        portal
            .call(&admin, "rotate-api-key", &[("id", "999999")])
            .await
            .status(),
        404
    );

    // On the record, under the administrator, never with a token.
    let entries: Vec<(String, String)> = sqlx::query_as(
        "select a.action, a.detail::text from audit_log a join staff_users s on s.id = a.actor_id
          where a.actor_kind = 'staff' and s.email = $1 and a.action like 'integrations.%'
          order by a.id",
    )
    .bind(ADMIN_EMAIL)
    .fetch_all(&portal.pool)
    .await
    .expect("audit");
    assert_eq!(
        entries.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(),
        [
            "integrations.api_key_created",
            "integrations.api_key_rotated",
            "integrations.api_key_revoked"
        ]
    );
    for (_, detail) in &entries {
        assert!(
            !detail.contains(&token[4..]) && !detail.contains(&new_token[4..]),
            "{detail}"
        );
    }
}

async fn balance(portal: &TestPortal, account: i64) -> rust_decimal::Decimal {
    sqlx::query_scalar("select balance from account_balances where account_id = $1")
        .bind(account)
        .fetch_one(&portal.pool)
        .await
        .expect("a balance")
}

async fn post_payment(
    portal: &TestPortal,
    http: &Client,
    token: &str,
    account: i64,
    key: Option<&str>,
    body: &str,
) -> Response {
    let mut request = http
        .post(portal.url(&format!("/api/v1/accounts/{account}/payments")))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.expect("an answer")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_payment_posted_twenty_times_at_once_with_one_key_is_recorded_once(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let mut conn = portal.pool.acquire().await.expect("conn");
    let money = integrations::create_key(
        &mut conn,
        &NewKey {
            integration: "Bank".into(),
            name: "reconciler".into(),
            scopes: vec![Scope::WriteMoney],
            money_limit: Some(rust_decimal_macros::dec!(500.00)),
            rate_per_minute: 100_000,
            created_by_staff: None,
        },
    )
    .await
    .expect("a key")
    .token;
    drop(conn);
    let alex = portal.account_id(ALEX_NUMBER).await;
    let before = balance(&portal, alex).await;
    let payments_count = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from payments")
            .fetch_one(&portal.pool)
            .await
            .expect("count")
    };
    let payments_before = payments_count().await;

    let body = r#"{"amount": "54.10", "method": "bank_transfer", "reference": "BT-2026-0042"}"#;
    let answers = futures::future::join_all((0..20).map(|_| {
        let (portal, http, money) = (&portal, &http, &money);
        async move {
            let r = post_payment(portal, http, money, alex, Some("pay-once-1"), body).await;
            let replayed = r.headers().contains_key("idempotent-replayed");
            let status = r.status().as_u16();
            let json: Value = r.json().await.expect("json");
            (status, replayed, json)
        }
    }))
    .await;
    assert!(
        answers.iter().all(|(status, _, _)| *status == 201),
        "{answers:?}"
    );
    assert_eq!(
        answers.iter().filter(|(_, replayed, _)| !replayed).count(),
        1
    );
    let ids: BTreeSet<i64> = answers
        .iter()
        .map(|(_, _, j)| j["payment_id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids.len(), 1, "one payment for every answer");
    assert_eq!(payments_count().await, payments_before + 1);
    let after = before - rust_decimal_macros::dec!(54.10);
    assert_eq!(balance(&portal, alex).await, after);
    assert_eq!(
        answers[0].2["balance"].as_str(),
        Some(after.to_string().as_str())
    );

    // The same key with another body; the same reference under a new key (nothing new).
    let other = r#"{"amount": "54.11", "method": "bank_transfer", "reference": "BT-2026-0042"}"#;
    let response = post_payment(&portal, &http, &money, alex, Some("pay-once-1"), other).await;
    let (status, json) = problem(response).await;
    assert_eq!(
        (status, json["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    // A day later the key's answer is forgotten (hourly housekeeping), the newer one kept.
    sqlx::query(
        "update api_idempotency set created_at = now() - interval '25 hours' where key = 'pay-once-1'",
    )
    .execute(&portal.pool)
    .await
    .expect("a day later");
    assert_eq!(
        integrations::forget_old_answers(&portal.pool)
            .await
            .expect("forgotten"),
        1
    );
    let again = post_payment(&portal, &http, &money, alex, Some("pay-once-2"), body).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["new"], false);
    assert_eq!(payments_count().await, payments_before + 1);

    // Refused, each naming what is wrong, and nothing written.
    let later = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive();
    let future = format!(
        r#"{{"amount": "5.00", "method": "cash", "reference": "F-1", "received_on": "{later}"}}"#
    );
    // (Idempotency-Key, body, status, code, pointer)
    type Case<'a> = (Option<&'a str>, &'a str, u16, &'a str, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (None, body, 400, "idempotency_key_missing", None),
        (
            Some("k-limit"),
            r#"{"amount": "500.01", "method": "cash", "reference": "L-1"}"#,
            403,
            "over_money_limit",
            Some("/amount"),
        ),
        (
            Some("k-number"),
            r#"{"amount": 12, "method": "cash", "reference": "N-1"}"#,
            422,
            "invalid_field",
            Some("/amount"),
        ),
        (
            Some("k-cents"),
            r#"{"amount": "1.005", "method": "cash", "reference": "C-1"}"#,
            422,
            "invalid_field",
            Some("/amount"),
        ),
        (
            Some("k-zero"),
            r#"{"amount": "0.00", "method": "cash", "reference": "Z-1"}"#,
            422,
            "invalid_field",
            Some("/amount"),
        ),
        (
            Some("k-method"),
            r#"{"amount": "5.00", "method": "bitcoin", "reference": "M-1"}"#,
            422,
            "invalid_field",
            Some("/method"),
        ),
        (
            Some("k-extra"),
            r#"{"amount": "5.00", "method": "cash", "reference": "E-1", "note": "x"}"#,
            422,
            "invalid_field",
            None,
        ),
        (
            Some("k-ref"),
            r#"{"amount": "5.00", "method": "cash", "reference": "  "}"#,
            422,
            "invalid_field",
            Some("/reference"),
        ),
        (
            Some("k-nul"),
            r#"{"amount": "5.00", "method": "cash", "reference": "\u0000x"}"#,
            422,
            "invalid_field",
            Some("/reference"),
        ),
        (
            Some("k-future"),
            future.as_str(),
            422,
            "invalid_field",
            Some("/received_on"),
        ),
        (
            Some("k-cut"),
            r#"{"amount": "5.00", "meth"#,
            400,
            "malformed_json",
            None,
        ),
    ];
    for (key, sent, status, code, pointer) in cases {
        let response = post_payment(&portal, &http, &money, alex, key, sent).await;
        let (got, json) = problem(response).await;
        assert_eq!(
            (got, json["code"].as_str()),
            (status, Some(code)),
            "{sent}: {json}"
        );
        if let Some(pointer) = pointer {
            assert_eq!(json["pointer"].as_str(), Some(pointer), "{sent}: {json}");
        }
    }
    let response = http
        .post(portal.url(&format!("/api/v1/accounts/{alex}/payments")))
        .bearer_auth(&money)
        .header("idempotency-key", "k-text")
        .body(body)
        .send()
        .await
        .expect("an answer");
    assert_eq!(problem(response).await.0, 415);
    let response = post_payment(&portal, &http, &money, 999_999_999, Some("k-404"), body).await;
    assert_eq!(problem(response).await.0, 404);
    // The bank's reference belongs to Alex's payment: Sam's account cannot take it too.
    let sam = portal.account_id(SAM_NUMBER).await;
    let response = post_payment(&portal, &http, &money, sam, Some("k-409"), body).await;
    let (status, json) = problem(response).await;
    assert_eq!(
        (status, json["code"].as_str()),
        (409, Some("conflict")),
        "{json}"
    );
    assert_eq!(payments_count().await, payments_before + 1);

    // On the record under the key, once per answer that was not a replay.
    let recorded: Vec<(Option<i64>, Option<String>)> = sqlx::query_as(
        "select subject_account_id, detail->>'reference' from audit_log
          where actor_kind = 'api_key' and action = 'api.payment.recorded' order by id",
    )
    .fetch_all(&portal.pool)
    .await
    .expect("audit");
    let reference = Some("BT-2026-0042".to_string());
    assert_eq!(
        recorded,
        vec![(Some(alex), reference.clone()), (Some(alex), reference)]
    );
}

async fn post_usage(
    portal: &TestPortal,
    http: &Client,
    token: &str,
    key: &str,
    body: &Value,
) -> Response {
    http.post(portal.url("/api/v1/usage-records"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("an answer")
}

#[sqlx::test(migrations = "../migrations")]
async fn usage_records_are_counted_once_and_a_bad_batch_names_each_wrong_field(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let (_, token) = key(&portal, "meter", &[Scope::WriteAccounts], 100_000).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let (service, username): (i64, String) = sqlx::query_as(
        "select s.id, c.username from services s join network_credentials c on c.service_id = s.id
          where s.account_id = $1 order by s.id limit 1",
    )
    .bind(alex)
    .fetch_one(&portal.pool)
    .await
    .expect("a service with credentials");
    let used = || async {
        sqlx::query_scalar::<_, i64>(
            "select coalesce(sum(download_bytes), 0)::bigint from usage_daily where service_id = $1",
        )
        .bind(service)
        .fetch_one(&portal.pool)
        .await
        .expect("usage")
    };
    let before = used().await;
    let start = (chrono::Utc::now() - chrono::Duration::hours(3))
        .format("%Y-%m-%dT%H:00:00Z")
        .to_string();
    let end = (chrono::Utc::now() - chrono::Duration::hours(2))
        .format("%Y-%m-%dT%H:00:00Z")
        .to_string();
    let batch = serde_json::json!({ "records": [
        { "service_id": service, "start": start, "end": end, "download_bytes": 1_000_000, "upload_bytes": 10 },
        { "username": username, "start": start, "end": end, "download_bytes": 2_000_000, "upload_bytes": 20 },
    ]});

    let response = post_usage(&portal, &http, &token, "usage-1", &batch).await;
    assert_eq!(response.status(), 201);
    let first: Value = response.json().await.expect("json");
    assert_eq!(
        (
            first["new_records"].as_u64(),
            first["download_bytes"].as_i64()
        ),
        (Some(2), Some(3_000_000))
    );
    assert_eq!(used().await, before + 3_000_000);
    // A retry replays; the same records under a new key count nothing.
    let retry = post_usage(&portal, &http, &token, "usage-1", &batch).await;
    assert!(retry.headers().contains_key("idempotent-replayed"));
    assert_eq!(
        retry
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(retry.json::<Value>().await.expect("json"), first);
    let again: Value = post_usage(&portal, &http, &token, "usage-2", &batch)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            again["new_records"].as_u64(),
            again["already_imported"].as_u64()
        ),
        (Some(0), Some(2))
    );
    assert_eq!(used().await, before + 3_000_000);

    // Wrong records: every one named, nothing counted.
    let bad = serde_json::json!({ "records": [
        { "service_id": service, "start": start, "end": end, "download_bytes": 5, "upload_bytes": 5 },
        { "service_id": 999_999_999, "start": start, "end": end, "download_bytes": 5, "upload_bytes": 5 },
        { "service_id": service, "start": end, "end": start, "download_bytes": 5, "upload_bytes": 5 },
    ]});
    let (status, json) = problem(post_usage(&portal, &http, &token, "usage-3", &bad).await).await;
    assert_eq!(
        (status, json["code"].as_str()),
        (422, Some("invalid_field")),
        "{json}"
    );
    let pointers: Vec<&str> = json["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    // Every record's own fields first (the end before the start), then who it is for.
    assert_eq!(pointers, ["/records/2/end"], "{json}");
    let unknown = serde_json::json!({ "records": [
        { "service_id": service, "start": start, "end": end, "download_bytes": 5, "upload_bytes": 5 },
        { "service_id": 999_999_999, "start": start, "end": end, "download_bytes": 5, "upload_bytes": 5 },
    ]});
    let (status, json) =
        problem(post_usage(&portal, &http, &token, "usage-3b", &unknown).await).await;
    assert_eq!(
        (status, json["pointer"].as_str()),
        (422, Some("/records/1/service_id")),
        "{json}"
    );
    let (status, json) = problem(
        post_usage(
            &portal,
            &http,
            &token,
            "usage-4",
            &serde_json::json!({ "records": [1] }),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, json["pointer"].as_str()),
        (422, Some("/records/0"))
    );
    let (status, json) = problem(
        post_usage(
            &portal,
            &http,
            &token,
            "usage-5",
            &serde_json::json!({ "records": [] }),
        )
        .await,
    )
    .await;
    assert_eq!((status, json["pointer"].as_str()), (422, Some("/records")));
    // A character the database cannot store is refused, not a server error.
    let nul = serde_json::json!({ "records": [
        { "username": "cpe\u{0}x", "start": start, "end": end, "download_bytes": 5, "upload_bytes": 5 },
    ]});
    let (status, _) = problem(post_usage(&portal, &http, &token, "usage-6", &nul).await).await;
    assert_eq!(status, 422);
    assert_eq!(used().await, before + 3_000_000);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_balance_is_the_one_dunning_and_the_pay_page_act_on(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let (_, token) = key(&portal, "reader", &[Scope::Read], 100_000).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let mut conn = portal.pool.acquire().await.expect("conn");
    let owed = engine::owed::of_account(&mut conn, alex)
        .await
        .expect("owed");
    drop(conn);

    let body: Value = get(
        &portal,
        &http,
        &format!("/accounts/{alex}/balance"),
        Some(&token),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(
        body["balance"].as_str(),
        Some(balance(&portal, alex).await.to_string().as_str())
    );
    assert_eq!(
        body["owed"].as_str(),
        Some(owed.on_account().amount().to_string().as_str())
    );
    assert_eq!(body["currency"], "USD");
    let listed: Vec<i64> = body["open_statements"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|s| s["statement_id"].as_i64().expect("id"))
        .collect();
    let expected: Vec<i64> = owed
        .allocation
        .statements
        .iter()
        .filter(|s| s.owed.is_positive() || s.held.is_positive())
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, expected);

    let (status, _) =
        problem(get(&portal, &http, "/accounts/999999999/balance", Some(&token)).await).await;
    assert_eq!(status, 404);
}

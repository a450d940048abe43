//! Charges and credits another system posts: within the key's money limit, once however
//! many times a request is retried at once, each wrong field named, and the money where the
//! billing code finds it (a one-time charge for the next statement, a credit in the ledger).

use engine::integrations::{self, NewKey, Scope};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};

use crate::api::problem;
use crate::helpers::*;

async fn money_key(portal: &TestPortal, limit: Option<Decimal>) -> String {
    let mut conn = portal.pool.acquire().await.expect("conn");
    integrations::create_key(
        &mut conn,
        &NewKey {
            integration: "Billing".into(),
            name: "charges".into(),
            scopes: vec![Scope::WriteMoney],
            money_limit: limit,
            rate_per_minute: 100_000,
            created_by_staff: None,
        },
    )
    .await
    .expect("a key")
    .token
}

async fn post(
    portal: &TestPortal,
    token: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    portal
        .browser()
        .post(portal.url(&format!("/api/v1{path}")))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("an answer")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_charge_sent_twenty_times_at_once_is_one_charge_for_the_next_statement(
    pool: sqlx::PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let token = money_key(&portal, Some(dec!(250.00))).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let service: i64 = sqlx::query_scalar("select min(id) from services where account_id = $1")
        .bind(alex)
        .fetch_one(&portal.pool)
        .await
        .expect("a service");
    let path = format!("/accounts/{alex}/charges");
    let body =
        json!({ "amount": "99.00", "description": "Installation  visit", "service_id": service });
    let answers = futures::future::join_all(
        (0..20).map(|_| post(&portal, &token, &path, "install-1", &body)),
    )
    .await;
    let mut bodies = Vec::new();
    for answer in answers {
        assert_eq!(answer.status(), 201);
        bodies.push(answer.json::<Value>().await.expect("json"));
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every retry answers the first answer"
    );
    assert_eq!(bodies[0]["description"], "Installation visit");
    let charges: Vec<(Decimal, Option<i64>, String, Option<i64>)> = sqlx::query_as(
        "select amount, service_id, kind, statement_id from one_time_charges
          where account_id = $1 and description = 'Installation visit'",
    )
    .bind(alex)
    .fetch_all(&portal.pool)
    .await
    .expect("charges");
    assert_eq!(
        charges,
        vec![(dec!(99.00), Some(service), "charge".to_string(), None)]
    );

    // Over the key's limit: 403 at /amount, nothing written.
    let (status, problem_body) = problem(
        post(
            &portal,
            &token,
            &path,
            "install-2",
            &json!({ "amount": "250.01", "description": "Big" }),
        )
        .await,
    )
    .await;
    assert_eq!(
        (
            status,
            problem_body["code"].as_str(),
            problem_body["pointer"].as_str()
        ),
        (403, Some("over_money_limit"), Some("/amount"))
    );

    // Wrong fields, each named; a service of another account is not this account's.
    let other_service: i64 =
        sqlx::query_scalar("select min(id) from services where account_id <> $1")
            .bind(alex)
            .fetch_one(&portal.pool)
            .await
            .expect("another service");
    for (i, (body, pointer)) in [
        (json!({ "amount": "1.005", "description": "x" }), "/amount"),
        (json!({ "amount": "-5.00", "description": "x" }), "/amount"),
        (json!({ "amount": 5, "description": "x" }), "/amount"),
        (
            json!({ "amount": "5.00", "description": "  " }),
            "/description",
        ),
        (
            json!({ "amount": "5.00", "description": "x", "service_id": other_service }),
            "/service_id",
        ),
        (
            json!({ "amount": "5.00", "description": "x", "tax": "none" }),
            "",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, p) =
            problem(post(&portal, &token, &path, &format!("bad-{i}"), &body).await).await;
        assert_eq!(status, 422, "{body}: {p}");
        assert!(p.to_string().contains(pointer), "{body}: {p}");
    }
    let (status, _) = problem(
        post(
            &portal,
            &token,
            "/accounts/987654321/charges",
            "nobody",
            &body,
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    let count: i64 = sqlx::query_scalar(
        "select count(*) from one_time_charges where account_id = $1 and statement_id is null",
    )
    .bind(alex)
    .fetch_one(&portal.pool)
    .await
    .expect("count");
    assert_eq!(count, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_credit_is_posted_once_under_the_key_and_lowers_the_balance(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let token = money_key(&portal, Some(dec!(50.00))).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let before: Decimal =
        sqlx::query_scalar("select balance from account_balances where account_id = $1")
            .bind(alex)
            .fetch_one(&portal.pool)
            .await
            .expect("balance");
    let path = format!("/accounts/{alex}/credits");
    let body = json!({ "amount": "15.00", "reason": "Goodwill: outage of 3 December" });
    let answers = futures::future::join_all(
        (0..10).map(|_| post(&portal, &token, &path, "goodwill-1", &body)),
    )
    .await;
    for answer in answers {
        assert_eq!(answer.status(), 201);
    }
    let after: Decimal =
        sqlx::query_scalar("select balance from account_balances where account_id = $1")
            .bind(alex)
            .fetch_one(&portal.pool)
            .await
            .expect("balance");
    assert_eq!(after, before - dec!(15.00));
    type Posted = (Decimal, Option<i64>, Option<i64>, String, bool);
    let posted: Vec<Posted> = sqlx::query_as(
        "select j.amount, j.requested_by, j.decided_by, j.status, j.requested_by_api_key is not null
           from adjustments j where j.account_id = $1",
    )
    .bind(alex)
    .fetch_all(&portal.pool)
    .await
    .expect("adjustments");
    assert_eq!(
        posted,
        vec![(dec!(-15.00), None, None, "posted".to_string(), true)]
    );
    let entry: (String, Decimal) = sqlx::query_as(
        "select e.kind, e.amount from ledger_entries e join adjustments j on j.ledger_entry_id = e.id
          where j.account_id = $1",
    )
    .bind(alex)
    .fetch_one(&portal.pool)
    .await
    .expect("a ledger entry");
    assert_eq!(entry, ("credit".to_string(), dec!(-15.00)));

    // Over the limit, a short reason: refused, nothing posted.
    let (status, p) = problem(
        post(
            &portal,
            &token,
            &path,
            "goodwill-2",
            &json!({ "amount": "50.01", "reason": "Too generous" }),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (403, Some("over_money_limit"))
    );
    let (status, p) = problem(
        post(
            &portal,
            &token,
            &path,
            "goodwill-3",
            &json!({ "amount": "5.00", "reason": "ok" }),
        )
        .await,
    )
    .await;
    assert_eq!((status, p["pointer"].as_str()), (422, Some("/reason")));
    let count: i64 = sqlx::query_scalar("select count(*) from adjustments where account_id = $1")
        .bind(alex)
        .fetch_one(&portal.pool)
        .await
        .expect("count");
    assert_eq!(count, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn statements_read_as_issued_a_page_at_a_time_with_their_pdf(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let (_, token) = crate::api::key(&portal, "reader", &[Scope::Read], 100_000).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let stored: Vec<i64> =
        sqlx::query_scalar("select id from statements where account_id = $1 order by id desc")
            .bind(alex)
            .fetch_all(&portal.pool)
            .await
            .expect("statements");
    assert!(
        stored.len() >= 3,
        "the seed gives Alex a year of statements"
    );

    // Two at a time, newest first, every one once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => format!("/accounts/{alex}/statements?limit=2"),
            Some(c) => format!("/accounts/{alex}/statements?limit=2&cursor={c}"),
        };
        let page: Value = crate::api::get(&portal, &http, &path, Some(&token))
            .await
            .json()
            .await
            .expect("a page");
        for s in page["data"].as_array().expect("data") {
            assert_eq!(s["account_id"], alex);
            assert!(s.get("lines").is_none(), "a list has no lines");
            seen.push(s["id"].as_i64().expect("an id"));
        }
        if page["has_more"] != true {
            assert_eq!(page["next_cursor"], Value::Null);
            break;
        }
        cursor = page["next_cursor"].as_str().map(str::to_string);
    }
    assert_eq!(seen, stored);

    // A cursor of Alex's list is refused on another account's.
    let other: i64 = sqlx::query_scalar("select min(id) from accounts where id <> $1")
        .bind(alex)
        .fetch_one(&portal.pool)
        .await
        .expect("another account");
    let first: Value = crate::api::get(
        &portal,
        &http,
        &format!("/accounts/{alex}/statements?limit=1"),
        Some(&token),
    )
    .await
    .json()
    .await
    .expect("a page");
    let alex_cursor = first["next_cursor"].as_str().expect("a cursor").to_string();
    let (status, p) = problem(
        crate::api::get(
            &portal,
            &http,
            &format!("/accounts/{other}/statements?cursor={alex_cursor}"),
            Some(&token),
        )
        .await,
    )
    .await;
    assert_eq!((status, p["parameter"].as_str()), (400, Some("cursor")));
    let (status, _) = problem(
        crate::api::get(
            &portal,
            &http,
            "/accounts/987654321/statements",
            Some(&token),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);

    // One statement: its lines add up to what it asks for beyond the previous balance.
    let newest = stored[0];
    let statement: Value = crate::api::get(
        &portal,
        &http,
        &format!("/statements/{newest}"),
        Some(&token),
    )
    .await
    .json()
    .await
    .expect("a statement");
    let lines = statement["lines"].as_array().expect("lines");
    assert!(!lines.is_empty());
    let decimal = |v: &Value| {
        v.as_str()
            .expect("a decimal string")
            .parse::<Decimal>()
            .expect("a decimal")
    };
    let sum: Decimal = lines.iter().map(|l| decimal(&l["amount"])).sum();
    assert_eq!(
        sum,
        decimal(&statement["total_due"]) - decimal(&statement["previous_balance"]),
        "{statement}"
    );
    let numbers: Vec<i64> = lines
        .iter()
        .map(|l| l["line_no"].as_i64().expect("a number"))
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]));

    // Its PDF, the subscriber's document.
    let pdf = crate::api::get(
        &portal,
        &http,
        &format!("/statements/{newest}/pdf"),
        Some(&token),
    )
    .await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(
        pdf.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    let bytes = pdf.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"%PDF-"));
    let (status, _) =
        problem(crate::api::get(&portal, &http, "/statements/987654321/pdf", Some(&token)).await)
            .await;
    assert_eq!(status, 404);
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where actor_kind = 'api_key' and subject_account_id = $1
            and action in ('api.statements.listed', 'api.statement.read', 'api.statement.pdf')",
    )
    .bind(alex)
    .fetch_one(&portal.pool)
    .await
    .expect("count");
    assert!(audited >= 3);
}

//! The integration API makes and changes accounts: one request makes an account with its
//! people, addresses and a service that the network is told of at once; a wrong field is
//! named where it is and nothing is written; two systems updating one account cannot
//! overwrite each other unseen.

use engine::integrations::Scope;
use reqwest::Client;
use serde_json::{json, Value};

use crate::api::{get, key, problem};
use crate::helpers::*;

/// Today where the tests' provider is (America/Chicago, `PortalConfig::for_tests`).
fn provider_today() -> chrono::NaiveDate {
    engine::clock::today(chrono_tz::America::Chicago, chrono::Utc::now())
}

async fn plan(portal: &TestPortal, code: &str) -> i64 {
    sqlx::query_scalar("select id from plans where code = $1")
        .bind(code)
        .fetch_one(&portal.pool)
        .await
        .expect("a plan")
}

fn new_account(plan_id: i64, activated_on: &str) -> Value {
    json!({
        "kind": "residential",
        "display_name": "Grace Hopper",
        "currency": "USD",
        "people": [
            { "role": "owner", "first_name": "Grace", "last_name": "Hopper",
              "email": "grace.hopper@example.net", "phone": "+1 512 555 0199" },
            { "role": "technical", "first_name": "Alan", "last_name": "Turing" }
        ],
        "addresses": [
            { "line1": "500 Elm St", "city": "Austin", "region": "TX", "postal_code": "78701",
              "country": "US", "jurisdiction": "US-TX", "technologies": ["fibre"] }
        ],
        "services": [ { "address": 0, "plan_id": plan_id, "activated_on": activated_on } ]
    })
}

async fn post(
    portal: &TestPortal,
    http: &Client,
    token: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    http.post(portal.url("/api/v1/accounts"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("an answer")
}

async fn count(portal: &TestPortal, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&portal.pool)
        .await
        .expect("a count")
}

#[sqlx::test(migrations = "../migrations")]
async fn an_account_made_by_api_is_provisioned_and_a_retry_makes_no_second(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let (key_id, token) = key(
        &portal,
        "crm",
        &[Scope::Read, Scope::WriteAccounts],
        100_000,
    )
    .await;
    let fibre = plan(&portal, "fibre-300").await;
    let today = provider_today();
    let body = new_account(fibre, &today.to_string());
    let accounts_before = count(&portal, "select count(*) from accounts").await;

    let response = post(&portal, &http, &token, "make-grace", &body).await;
    assert_eq!(response.status(), 201);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let made: Value = response.json().await.expect("json");
    let id = made["account"]["id"].as_i64().expect("an id");
    assert_eq!(location, format!("/api/v1/accounts/{id}"));
    assert_eq!(etag, format!("\"{}\"", made["account"]["version"]));
    assert_eq!(made["account"]["display_name"], "Grace Hopper");
    assert_eq!(made["account"]["status"], "active");
    assert_eq!(
        made["account"]["billing_cycle_day"].as_i64(),
        Some(i64::from(chrono::Datelike::day(&today)))
    );
    assert_eq!(made["account"]["time_zone"], "America/Chicago");
    assert_eq!(made["account"]["people"].as_array().map(Vec::len), Some(2));
    assert_eq!(made["account"]["people"][1]["email"], Value::Null);
    let number = made["account"]["number"]
        .as_str()
        .expect("a number")
        .to_string();
    assert!(
        number.len() >= 8 && number.bytes().all(|b| b.is_ascii_digit()),
        "{number}"
    );
    let service = &made["services"][0];
    assert_eq!(service["status"], "active");
    assert_eq!(service["plan_id"], fibre);
    assert_eq!(service["activated_on"], today.to_string());
    let service_id = service["id"].as_i64().expect("a service id");

    // The network is told, and the service has credentials under the new number.
    let (action, username): (String, String) = sqlx::query_as(
        "select o.action, c.username from provisioning_outbox o
           join network_credentials c on c.service_id = o.service_id
          where o.service_id = $1",
    )
    .bind(service_id)
    .fetch_one(&portal.pool)
    .await
    .expect("a provisioning event");
    assert_eq!(
        (action.as_str(), username),
        ("activate", format!("{number}-1"))
    );
    let audited: (i64, String) = sqlx::query_as(
        "select actor_id, action from audit_log where subject_account_id = $1 and actor_kind = 'api_key'",
    )
    .bind(id)
    .fetch_one(&portal.pool)
    .await
    .expect("on the record");
    assert_eq!(audited, (key_id, "api.account.created".to_string()));

    // The same request again (a retry after a lost answer) answers the same and makes nothing.
    let again = post(&portal, &http, &token, "make-grace", &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let replayed: Value = again.json().await.expect("json");
    assert_eq!(replayed["account"]["id"], id);
    assert_eq!(
        count(&portal, "select count(*) from accounts").await,
        accounts_before + 1
    );

    // Read back as made.
    let read = get(&portal, &http, &format!("/accounts/{id}"), Some(&token)).await;
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.expect("json");
    assert_eq!(read["addresses"][0]["technologies"], json!(["fibre"]));

    // The number given is kept; the same number again is a conflict.
    let mut numbered = new_account(fibre, &today.to_string());
    numbered["number"] = json!("77000001");
    assert_eq!(
        post(&portal, &http, &token, "numbered-1", &numbered)
            .await
            .status(),
        201
    );
    let (status, body) = problem(post(&portal, &http, &token, "numbered-2", &numbered).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_wrong_field_is_named_where_it_is_and_nothing_is_written(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let (_, token) = key(&portal, "crm", &[Scope::WriteAccounts], 100_000).await;
    let fibre = plan(&portal, "fibre-300").await;
    let cable: Option<i64> =
        sqlx::query_scalar("select id from plans where technology = 'cable' and available limit 1")
            .fetch_optional(&portal.pool)
            .await
            .expect("plans");
    let today = provider_today();
    let tomorrow = today.succ_opt().expect("tomorrow").to_string();
    let before = count(&portal, "select count(*) from accounts").await;
    let people_before = count(&portal, "select count(*) from people").await;

    let mut cases: Vec<(Value, &str)> = Vec::new();
    let base = new_account(fibre, &today.to_string());
    let with = |pointer: &str, value: Value| {
        let mut body = base.clone();
        let (parent, field) = pointer.rsplit_once('/').expect("a pointer");
        body.pointer_mut(parent).expect("a parent")[field] = value;
        body
    };
    cases.push((
        with("/people/0/email", json!("grace@localhost")),
        "/people/0/email",
    ));
    cases.push((with("/people/1/phone", json!("call me")), "/people/1/phone"));
    cases.push((with("/people/0/role", json!("billing")), "/people"));
    cases.push((
        with("/addresses/0/jurisdiction", json!("XX-ZZ")),
        "/addresses/0/jurisdiction",
    ));
    cases.push((
        with("/addresses/0/country", json!("usa")),
        "/addresses/0/country",
    ));
    cases.push((
        with("/services/0/activated_on", json!(tomorrow)),
        "/services/0/activated_on",
    ));
    cases.push((with("/services/0/address", json!(3)), "/services/0/address"));
    cases.push((
        with("/services/0/plan_id", json!(999_999)),
        "/services/0/plan_id",
    ));
    cases.push((
        with("/services/0/plan_id", json!("fibre-300")),
        "/services/0/plan_id",
    ));
    cases.push((with("/kind", json!("corporate")), "/kind"));
    cases.push((with("/currency", json!("XYZ")), "/currency"));
    cases.push((with("/billing_cycle_day", json!(32)), "/billing_cycle_day"));
    cases.push((with("/display_name", json!("")), "/display_name"));
    if let Some(cable) = cable {
        // A cable plan at an address where the network offers only fibre.
        cases.push((
            with("/services/0/plan_id", json!(cable)),
            "/services/0/plan_id",
        ));
    }
    let mut unknown = base.clone();
    unknown["people"][0]["nickname"] = json!("Amazing Grace");
    cases.push((unknown, "/people/0"));

    for (i, (body, pointer)) in cases.iter().enumerate() {
        let response = post(&portal, &http, &token, &format!("bad-{i}"), body).await;
        let (status, problem) = problem(response).await;
        assert_eq!(status, 422, "{pointer}: {problem}");
        let at = problem["pointer"].as_str().unwrap_or_default();
        assert!(at.starts_with(pointer), "{pointer}: {problem}");
    }
    assert_eq!(
        count(&portal, "select count(*) from accounts").await,
        before
    );
    assert_eq!(
        count(&portal, "select count(*) from people").await,
        people_before
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn two_systems_updating_one_account_cannot_overwrite_each_other_unseen(pool: sqlx::PgPool) {
    let portal = TestPortal::start(pool).await;
    let http = portal.browser();
    let (_, token) = key(
        &portal,
        "crm",
        &[Scope::Read, Scope::WriteAccounts],
        100_000,
    )
    .await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let read = get(&portal, &http, &format!("/accounts/{alex}"), Some(&token)).await;
    let tag = read
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("an ETag")
        .to_string();
    let patch = |if_match: Option<String>, body: Value| {
        let mut request = http
            .patch(portal.url(&format!("/api/v1/accounts/{alex}")))
            .bearer_auth(&token)
            .json(&body);
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        request.send()
    };

    // Without If-Match: 428, nothing written.
    let (status, body) = problem(
        patch(None, json!({ "display_name": "Nobody" }))
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (428, Some("precondition_required"))
    );

    // The first system's update, with the tag it read, goes in.
    let first = patch(
        Some(tag.clone()),
        json!({ "display_name": "Alex Q. Example", "locale": "es-US" }),
    )
    .await
    .expect("answer");
    assert_eq!(first.status(), 200);
    let new_tag = first
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("ETag")
        .to_string();
    assert_ne!(new_tag, tag);
    let updated: Value = first.json().await.expect("json");
    assert_eq!(
        (updated["display_name"].as_str(), updated["locale"].as_str()),
        (Some("Alex Q. Example"), Some("es-US"))
    );

    // The second, with the tag both read before: 412, with the current tag, nothing written.
    let second = patch(Some(tag.clone()), json!({ "display_name": "Overwritten" }))
        .await
        .expect("answer");
    let current = second
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (status, body) = problem(second).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (412, Some("precondition_failed")),
        "{body}"
    );
    assert_eq!(current.as_deref(), Some(new_tag.as_str()));
    let name: String = sqlx::query_scalar("select display_name from accounts where id = $1")
        .bind(alex)
        .fetch_one(&portal.pool)
        .await
        .expect("name");
    assert_eq!(name, "Alex Q. Example");

    // A person's change in the portal is a change of the account: the tag moves.
    sqlx::query(
        "update people set phone = '+1 512 555 0142' where account_id = $1 and role = 'owner'",
    )
    .bind(alex)
    .execute(&portal.pool)
    .await
    .expect("edit");
    let stale = patch(Some(new_tag), json!({ "kind": "business" }))
        .await
        .expect("answer");
    assert_eq!(stale.status(), 412);

    // A wrong field is named; an unknown account is 404; `*` matches whatever is there.
    let (status, body) = problem(
        patch(Some("*".into()), json!({ "kind": "corporate" }))
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!((status, body["pointer"].as_str()), (422, Some("/kind")));
    let missing = http
        .patch(portal.url("/api/v1/accounts/987654321"))
        .bearer_auth(&token)
        .header("if-match", "*")
        .json(&json!({ "kind": "business" }))
        .send()
        .await
        .expect("answer");
    assert_eq!(problem(missing).await.0, 404);
    let any = patch(Some("*".into()), json!({ "kind": "business" }))
        .await
        .expect("answer");
    assert_eq!(any.status(), 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_ticket_opened_by_api_follows_the_portal_rules_and_reaches_the_support_inbox(
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
    let alex = portal.account_id(ALEX_NUMBER).await;
    let open = |key: &'static str, body: Value| {
        http.post(portal.url(&format!("/api/v1/accounts/{alex}/tickets")))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let emails_before = count(
        &portal,
        "select count(*) from outbound_emails where kind = 'ticket_opened'",
    )
    .await;

    // Wrong fields, named; nothing opened.
    for (i, (body, pointer)) in [
        (
            json!({ "category": "dispute", "subject": "x", "message": "y" }),
            "/category",
        ),
        (
            json!({ "category": "technical", "subject": "  ", "message": "y" }),
            "/subject",
        ),
        (
            json!({ "category": "technical", "subject": "x".repeat(201), "message": "y" }),
            "/subject",
        ),
        (
            json!({ "category": "technical", "subject": "x", "message": "" }),
            "/message",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let key: &'static str = ["t-0", "t-1", "t-2", "t-3"][i];
        let (status, p) = problem(open(key, body).await.expect("answer")).await;
        assert_eq!((status, p["pointer"].as_str()), (422, Some(pointer)), "{p}");
    }

    let made = open(
        "t-ok",
        json!({ "category": "technical", "subject": "Technician visit booked",
                "message": "The installer comes on 9 December between 8 and 12." }),
    )
    .await
    .expect("answer");
    assert_eq!(made.status(), 201);
    let location = made
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let made: Value = made.json().await.expect("json");
    let number = made["number"].as_str().expect("a number").to_string();
    assert_eq!(location, format!("/api/v1/tickets/{number}"));
    assert_eq!(made["status"], "open");
    assert_eq!(made["messages"][0]["author_kind"], "integration");
    assert_eq!(made["messages"][0]["author"], "CRM");
    assert_eq!(
        count(
            &portal,
            "select count(*) from outbound_emails where kind = 'ticket_opened'"
        )
        .await,
        emails_before + 1,
        "the support inbox hears of it"
    );

    // Read back, in the list and alone; the subscriber sees it on the support page.
    let list: Value = get(
        &portal,
        &http,
        &format!("/accounts/{alex}/tickets"),
        Some(&token),
    )
    .await
    .json()
    .await
    .expect("json");
    assert!(list["data"]
        .as_array()
        .expect("data")
        .iter()
        .any(|t| t["number"] == number.as_str()));
    let one: Value = get(&portal, &http, &format!("/tickets/{number}"), Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(one["subject"], "Technician visit booked");
    let (status, _) = problem(get(&portal, &http, "/tickets/T-99999999", Some(&token)).await).await;
    assert_eq!(status, 404);
    let subscriber = portal.signed_in(ALEX_EMAIL).await;
    let page = subscriber
        .get(portal.url(&format!("/support/{number}")))
        .send()
        .await
        .expect("answer")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains("The installer comes on 9 December"),
        "the subscriber reads it"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_crm_keeps_the_people_and_addresses_in_step_and_the_owner_is_never_lost(
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
    let (_, reader) = key(&portal, "reader", &[Scope::Read], 600).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let sam = portal.account_id(SAM_NUMBER).await;
    let owner_of = |account: i64| {
        let pool = portal.pool.clone();
        async move {
            let owners: Vec<(i64, String)> = sqlx::query_as(
                "select id, first_name from people where account_id = $1 and role = 'owner'",
            )
            .bind(account)
            .fetch_all(&pool)
            .await
            .expect("owners");
            assert_eq!(owners.len(), 1, "exactly one owner");
            owners[0].clone()
        }
    };
    let (alex_owner, _) = owner_of(alex).await;
    let (sam_owner, _) = owner_of(sam).await;
    let send = |method: reqwest::Method, path: String, body: Value, token: &str| {
        http.request(method, portal.url(&format!("/api/v1{path}")))
            .bearer_auth(token)
            .header("idempotency-key", format!("k-{path}-{body}"))
            .header("if-match", "*")
            .json(&body)
            .send()
    };
    use reqwest::Method;

    // Adding a person: 201 with the new id and the account, whose ETag moved.
    let before = get(&portal, &http, &format!("/accounts/{alex}"), Some(&token)).await;
    let before_tag = before.headers().get("etag").cloned().expect("an ETag");
    let ada = json!({ "role": "billing", "first_name": "Ada", "last_name": "Byron",
                      "email": "ada.byron@example.net" });
    let added = send(
        Method::POST,
        format!("/accounts/{alex}/people"),
        ada.clone(),
        &token,
    )
    .await
    .expect("answer");
    assert_eq!(added.status(), 201);
    assert_ne!(added.headers().get("etag"), Some(&before_tag));
    let added: Value = added.json().await.expect("json");
    let ada_id = added["person_id"].as_i64().expect("an id");
    assert!(added["account"]["people"]
        .as_array()
        .expect("people")
        .iter()
        .any(|p| p["id"].as_i64() == Some(ada_id) && p["role"] == "billing"));
    // A reader may not; a wrong field is named; nothing is written.
    let refused = send(
        Method::POST,
        format!("/accounts/{alex}/people"),
        ada.clone(),
        &reader,
    )
    .await
    .expect("answer");
    assert_eq!(problem(refused).await.0, 403);
    let (code, body) = problem(
        send(
            Method::POST,
            format!("/accounts/{alex}/people"),
            json!({ "role": "billing", "first_name": "No", "last_name": "Mail",
                    "email": "not-an-email" }),
            &token,
        )
        .await
        .expect("answer"),
    )
    .await;
    assert_eq!((code, body["pointer"].as_str()), (422, Some("/email")));
    assert_eq!(
        count(
            &portal,
            &format!("select count(*) from people where account_id = {alex}")
        )
        .await,
        added["account"]["people"]
            .as_array()
            .map_or(0, |p| p.len() as i64)
    );

    // Changing: the phone set, the email cleared; the owner's role is not taken away.
    let patch = |person: i64, body: Value| {
        send(
            Method::PATCH,
            format!("/accounts/{alex}/people/{person}"),
            body,
            &token,
        )
    };
    let changed = patch(ada_id, json!({ "phone": "+1 503 555 0101", "email": null }))
        .await
        .expect("answer");
    assert_eq!(changed.status(), 200);
    let (phone, email): (Option<String>, Option<String>) =
        sqlx::query_as("select phone, email::text from people where id = $1")
            .bind(ada_id)
            .fetch_one(&portal.pool)
            .await
            .expect("Ada");
    assert_eq!((phone.as_deref(), email), (Some("+1 503 555 0101"), None));
    let (code, body) = problem(
        patch(alex_owner, json!({ "role": "technical" }))
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!((code, body["pointer"].as_str()), (422, Some("/role")));
    // An owner needs an email: Ada (with none now) cannot take over yet.
    let (code, body) = problem(
        patch(ada_id, json!({ "role": "owner" }))
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!((code, body["pointer"].as_str()), (422, Some("/email")));
    // With one, she does; the previous owner becomes authorised.
    let handed = patch(
        ada_id,
        json!({ "role": "owner", "email": "ada.byron@example.net" }),
    )
    .await
    .expect("answer");
    assert_eq!(handed.status(), 200);
    assert_eq!(owner_of(alex).await.0, ada_id);
    let was_owner: String = sqlx::query_scalar("select role from people where id = $1")
        .bind(alex_owner)
        .fetch_one(&portal.pool)
        .await
        .expect("role");
    assert_eq!(was_owner, "authorised");

    // Removing: the owner never, one with a portal login never, someone new at once.
    let remove = |person: i64| {
        http.delete(portal.url(&format!("/api/v1/accounts/{alex}/people/{person}")))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(problem(remove(ada_id).await.expect("answer")).await.0, 409);
    let (code, body) = problem(remove(alex_owner).await.expect("answer")).await;
    assert_eq!(code, 409);
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("login"),
        "{body}"
    );
    let temp: Value = send(
        Method::POST,
        format!("/accounts/{alex}/people"),
        json!({ "role": "technical", "first_name": "Tem", "last_name": "Porary" }),
        &token,
    )
    .await
    .expect("answer")
    .json()
    .await
    .expect("json");
    let temp = temp["person_id"].as_i64().expect("an id");
    assert_eq!(remove(temp).await.expect("answer").status(), 200);
    assert_eq!(
        count(
            &portal,
            &format!("select count(*) from people where id = {temp}")
        )
        .await,
        0
    );

    // Another account's person through this account's path is not found, and untouched.
    let (code, body) = problem(
        patch(sam_owner, json!({ "first_name": "Hijacked" }))
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!(code, 404);
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("no person"),
        "{body}"
    );
    assert_eq!(
        problem(remove(sam_owner).await.expect("answer")).await.0,
        404
    );
    assert_ne!(owner_of(sam).await.1, "Hijacked");

    // Addresses: added in a jurisdiction the provider taxes, corrected, never stranding a
    // service's technology.
    let address = json!({ "line1": "77 Second St", "city": "Austin", "postal_code": "78702",
                          "country": "US", "jurisdiction": "US-TX", "technologies": ["cable"] });
    let (code, body) = problem(
        send(
            Method::POST,
            format!("/accounts/{alex}/addresses"),
            json!({ "line1": "1 Nowhere", "city": "X", "postal_code": "1", "country": "US",
                    "jurisdiction": "ZZ-ZZ" }),
            &token,
        )
        .await
        .expect("answer"),
    )
    .await;
    assert_eq!(
        (code, body["pointer"].as_str()),
        (422, Some("/jurisdiction"))
    );
    let added = send(
        Method::POST,
        format!("/accounts/{alex}/addresses"),
        address,
        &token,
    )
    .await
    .expect("answer");
    assert_eq!(added.status(), 201);
    let added: Value = added.json().await.expect("json");
    let new_address = added["address_id"].as_i64().expect("an id");
    let corrected = send(
        Method::PATCH,
        format!("/accounts/{alex}/addresses/{new_address}"),
        json!({ "line1": "77 Second Street", "line2": "Unit 4" }),
        &token,
    )
    .await
    .expect("answer");
    assert_eq!(corrected.status(), 200);
    let (line1, line2): (String, Option<String>) =
        sqlx::query_as("select line1, line2 from addresses where id = $1")
            .bind(new_address)
            .fetch_one(&portal.pool)
            .await
            .expect("address");
    assert_eq!(
        (line1.as_str(), line2.as_deref()),
        ("77 Second Street", Some("Unit 4"))
    );
    let (in_use, technology): (i64, String) = sqlx::query_as(
        "select s.address_id, p.technology from services s join plans p on p.id = s.plan_id
          where s.account_id = $1 and s.status <> 'cancelled' order by s.id limit 1",
    )
    .bind(alex)
    .fetch_one(&portal.pool)
    .await
    .expect("a service");
    let other = ["fibre", "cable", "dsl", "fixed_wireless"]
        .into_iter()
        .find(|t| *t != technology)
        .expect("another technology");
    let (code, body) = problem(
        send(
            Method::PATCH,
            format!("/accounts/{alex}/addresses/{in_use}"),
            json!({ "technologies": [other] }),
            &token,
        )
        .await
        .expect("answer"),
    )
    .await;
    assert_eq!(
        (code, body["pointer"].as_str()),
        (422, Some("/technologies")),
        "{body}"
    );
    let sam_address: i64 =
        sqlx::query_scalar("select min(id) from addresses where account_id = $1")
            .bind(sam)
            .fetch_one(&portal.pool)
            .await
            .expect("Sam's address");
    let (code, _) = problem(
        send(
            Method::PATCH,
            format!("/accounts/{alex}/addresses/{sam_address}"),
            json!({ "line1": "Hijacked" }),
            &token,
        )
        .await
        .expect("answer"),
    )
    .await;
    assert_eq!(code, 404);
    // Each change is on the record under the key.
    assert_eq!(
        count(
            &portal,
            &format!(
                "select count(*) from audit_log where subject_account_id = {alex}
                  and action in ('api.person.added', 'api.person.updated', 'api.person.removed',
                                 'api.address.added', 'api.address.updated')"
            )
        )
        .await,
        7
    );
}

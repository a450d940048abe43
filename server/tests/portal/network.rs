//! A service's connection credentials: the subscriber sees the username and, after their
//! portal password, reveals or changes the PPPoE password; staff with the right reveal and
//! reset it, or change an IPoE identifier, from the console. Checked: what each page shows
//! (never a password), what each call writes (the row, and the audit entry without the
//! password), and that another account's ids find nothing, reveal nothing and change nothing.

use lastmile::seed::DEMO_STAFF;
use sqlx::PgPool;

use crate::helpers::*;

/// The password the tests give Alex's connection before each one.
const START_PASSWORD: &str = "Start-Pass-42";

/// Gives the account's first active service PPPoE credentials (the demo data may not have
/// any): its id and username.
async fn give_pppoe(pool: &PgPool, account_number: &str) -> (i64, String) {
    sqlx::query_as(
        "insert into network_credentials (service_id, account_id, kind, username, password)
         select s.id, s.account_id, 'pppoe', 'test-' || s.id || '@net.example', $2
           from services s join accounts a on a.id = s.account_id
          where a.account_number = $1 and s.status = 'active'
          order by s.id limit 1
         on conflict (service_id) do update
            set kind = 'pppoe', username = excluded.username, password = excluded.password
         returning service_id, username",
    )
    .bind(account_number)
    .bind(START_PASSWORD)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Makes a service's credentials an IPoE line with this identifier.
async fn make_ipoe(pool: &PgPool, service_id: i64, identifier: &str) {
    sqlx::query(
        "update network_credentials set kind = 'ipoe', username = $2, password = null
          where service_id = $1",
    )
    .bind(service_id)
    .bind(identifier)
    .execute(pool)
    .await
    .unwrap();
}

async fn stored(pool: &PgPool, service_id: i64) -> (String, Option<String>) {
    sqlx::query_as("select username, password from network_credentials where service_id = $1")
        .bind(service_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The network audit entries about an account: (action, actor kind, detail as text).
async fn network_audit(pool: &PgPool, account_id: i64) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "select action, actor_kind, detail::text from audit_log
          where subject_account_id = $1 and action like 'network.%' order by id",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Status, code and field of an answer.
async fn answer(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (
        status,
        body["code"].as_str().unwrap_or_default().to_string(),
        body["field"].as_str().unwrap_or_default().to_string(),
    )
}

#[sqlx::test(migrations = "../migrations")]
async fn the_plans_page_shows_the_connection_username_and_never_its_password(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let (service, username) = give_pppoe(&portal.pool, ALEX_NUMBER).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let (status, html) = portal.page(&alex, "/plans").await;
    assert_eq!(status, 200);
    assert_eq!(
        testid_text(&html, "connection-username").as_deref(),
        Some(username.as_str())
    );
    assert!(!html.contains(START_PASSWORD));
    // The two forms, for this service, each asking for the portal password.
    assert!(html.contains("action=\"/api/reveal-connection-password\""));
    assert!(html.contains("action=\"/api/change-connection-password\""));
    assert!(html.contains(&format!("name=\"service_id\" value=\"{service}\"")));
    assert_eq!(html.matches("name=\"current_password\"").count(), 2);
    // The page's data (the plans-page call) holds the username, not the password.
    let body = portal
        .call(&alex, "plans-page", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains(&username) && !body.contains(START_PASSWORD));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_subscriber_reveals_their_connection_password_after_their_portal_password(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let (service, username) = give_pppoe(&portal.pool, ALEX_NUMBER).await;
    let account = portal.account_id(ALEX_NUMBER).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let service = service.to_string();

    let response = portal
        .call(
            &alex,
            "reveal-connection-password",
            &[
                ("service_id", &service),
                ("current_password", "not-my-password"),
            ],
        )
        .await;
    assert_eq!(
        answer(response).await,
        (422, "invalid_input".into(), "current_password".into())
    );
    let response = portal
        .call(
            &alex,
            "reveal-connection-password",
            &[("service_id", &service), ("current_password", "")],
        )
        .await;
    assert_eq!(answer(response).await.2, "current_password");
    assert!(network_audit(&portal.pool, account).await.is_empty());

    let response = portal
        .call(
            &alex,
            "reveal-connection-password",
            &[("service_id", &service), ("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let shown: serde_json::Value = response.json().await.unwrap();
    assert_eq!(shown["password"], START_PASSWORD);
    assert_eq!(shown["username"], username.as_str());
    let audit = network_audit(&portal.pool, account).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].0.as_str(), audit[0].1.as_str()),
        ("network.password_revealed", "subscriber")
    );
    assert!(audit[0].2.contains(&service) && !audit[0].2.contains(START_PASSWORD));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_subscriber_changes_their_connection_password_only_to_one_that_meets_the_rules(
    pool: PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let (service_id, username) = give_pppoe(&portal.pool, ALEX_NUMBER).await;
    let account = portal.account_id(ALEX_NUMBER).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let service = service_id.to_string();
    let before: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("select changed_at from network_credentials where service_id = $1")
            .bind(service_id)
            .fetch_one(&portal.pool)
            .await
            .unwrap();

    // Each refusal: its field, and nothing stored or audited.
    for (current, new, confirm, field) in [
        (PASSWORD, "Maple-Grove-7", "Maple-Grove-8", "confirm"),
        (PASSWORD, "", "", "new_password"),
        (
            "wrong-password",
            "Maple-Grove-7",
            "Maple-Grove-7",
            "current_password",
        ),
        (PASSWORD, "12345678", "12345678", "new_password"),
        (PASSWORD, "short7!", "short7!", "new_password"),
        (PASSWORD, "maplegrove", "maplegrove", "new_password"),
        (PASSWORD, "Password1!", "Password1!", "new_password"),
        (PASSWORD, "with space 9", "with space 9", "new_password"),
        (
            PASSWORD,
            &format!("{username}X"),
            &format!("{username}X"),
            "new_password",
        ),
    ] {
        let response = portal
            .call(
                &alex,
                "change-connection-password",
                &[
                    ("service_id", service.as_str()),
                    ("current_password", current),
                    ("new_password", new),
                    ("confirm", confirm),
                ],
            )
            .await;
        assert_eq!(
            answer(response).await,
            (422, "invalid_input".into(), field.into()),
            "{new:?}"
        );
    }
    assert_eq!(
        stored(&portal.pool, service_id).await,
        (username.clone(), Some(START_PASSWORD.into()))
    );
    assert!(network_audit(&portal.pool, account).await.is_empty());

    let response = portal
        .call(
            &alex,
            "change-connection-password",
            &[
                ("service_id", service.as_str()),
                ("current_password", PASSWORD),
                ("new_password", "Maple-Grove-7"),
                ("confirm", "Maple-Grove-7"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let saved: serde_json::Value = response.json().await.unwrap();
    assert_eq!(saved["password"], "Maple-Grove-7");
    assert_eq!(
        stored(&portal.pool, service_id).await,
        (username, Some("Maple-Grove-7".into()))
    );
    let after: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("select changed_at from network_credentials where service_id = $1")
            .bind(service_id)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert!(after > before);
    let audit = network_audit(&portal.pool, account).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].0.as_str(), audit[0].1.as_str()),
        ("network.password_changed", "subscriber")
    );
    assert!(!audit[0].2.contains("Maple-Grove-7"));
}

#[sqlx::test(migrations = "../migrations")]
async fn another_subscriber_sending_a_service_id_finds_nothing_and_changes_nothing(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let (service_id, username) = give_pppoe(&portal.pool, ALEX_NUMBER).await;
    give_pppoe(&portal.pool, SAM_NUMBER).await;
    let alex_account = portal.account_id(ALEX_NUMBER).await;
    let sam_account = portal.account_id(SAM_NUMBER).await;
    // Sam, with Sam's own right portal password, sends Alex's service.
    let sam = portal.signed_in(SAM_EMAIL).await;
    let service = service_id.to_string();
    let response = portal
        .call(
            &sam,
            "reveal-connection-password",
            &[("service_id", &service), ("current_password", PASSWORD)],
        )
        .await;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    assert_eq!(status, 404);
    assert!(!body.contains(START_PASSWORD) && !body.contains(&username));
    let response = portal
        .call(
            &sam,
            "change-connection-password",
            &[
                ("service_id", service.as_str()),
                ("current_password", PASSWORD),
                ("new_password", "Sams-Choice-9"),
                ("confirm", "Sams-Choice-9"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(
        stored(&portal.pool, service_id).await,
        (username, Some(START_PASSWORD.into()))
    );
    assert!(network_audit(&portal.pool, alex_account).await.is_empty());
    assert!(network_audit(&portal.pool, sam_account).await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_viewing_as_the_subscriber_see_the_username_but_neither_see_nor_change_the_password(
    pool: PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let (service_id, username) = give_pppoe(&portal.pool, ALEX_NUMBER).await;
    let account = portal.account_id(ALEX_NUMBER).await;
    // A support rep and an administrator (who may act for the subscriber elsewhere).
    for email in [DEMO_STAFF[0].0, DEMO_STAFF[2].0] {
        let staff = portal.staff_signed_in(email).await;
        let started = portal
            .call(
                &staff,
                "start-viewing",
                &[
                    ("account_id", &account.to_string()),
                    ("reason", "Caller cannot connect"),
                ],
            )
            .await;
        assert!(started.status().is_success(), "{}", started.status());
        let (status, html) = portal.page(&staff, "/plans").await;
        assert_eq!(status, 200);
        assert_eq!(
            testid_text(&html, "connection-username").as_deref(),
            Some(username.as_str())
        );
        assert!(!html.contains(START_PASSWORD));
        assert!(!html.contains("action=\"/api/reveal-connection-password\""));
        assert!(!html.contains("action=\"/api/change-connection-password\""));
        for (endpoint, form) in [
            (
                "reveal-connection-password",
                vec![("current_password", PASSWORD)],
            ),
            (
                "change-connection-password",
                vec![
                    ("current_password", PASSWORD),
                    ("new_password", "Staff-Choice-9"),
                    ("confirm", "Staff-Choice-9"),
                ],
            ),
        ] {
            let mut form = form;
            let service = service_id.to_string();
            form.push(("service_id", service.as_str()));
            let response = portal.call(&staff, endpoint, &form).await;
            let (status, code, _) = answer(response).await;
            assert_eq!(
                (status, code.as_str()),
                (403, "read_only"),
                "{email} {endpoint}"
            );
        }
    }
    assert_eq!(
        stored(&portal.pool, service_id).await.1.as_deref(),
        Some(START_PASSWORD)
    );
    assert!(network_audit(&portal.pool, account).await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_support_rep_reveals_and_resets_a_connection_password_and_both_are_audited(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let (service_id, username) = give_pppoe(&portal.pool, ALEX_NUMBER).await;
    let account = portal.account_id(ALEX_NUMBER).await;
    let rep = portal.staff_signed_in(DEMO_STAFF[0].0).await;
    let rep_id: i64 = sqlx::query_scalar("select id from staff_users where email = $1")
        .bind(DEMO_STAFF[0].0)
        .fetch_one(&portal.pool)
        .await
        .unwrap();

    // The 360-degree view: kind and username, the password hidden, the two buttons.
    let (status, html) = portal
        .page(&rep, &format!("/staff/accounts/{account}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        testid_text(&html, "connection-kind").as_deref(),
        Some("PPPoE")
    );
    assert_eq!(
        testid_text(&html, "connection-username").as_deref(),
        Some(username.as_str())
    );
    assert!(!html.contains(START_PASSWORD));
    assert!(html.contains("action=\"/api/staff-reveal-connection-password\""));
    assert!(html.contains("action=\"/api/staff-reset-connection-password\""));
    assert!(network_audit(&portal.pool, account).await.is_empty());

    let form = [
        ("account_id", account.to_string()),
        ("service_id", service_id.to_string()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = portal
        .call(&rep, "staff-reveal-connection-password", &form)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let shown: serde_json::Value = response.json().await.unwrap();
    assert_eq!(shown["password"], START_PASSWORD);

    let response = portal
        .call(&rep, "staff-reset-connection-password", &form)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let reset: serde_json::Value = response.json().await.unwrap();
    let new_password = reset["password"].as_str().unwrap().to_string();
    assert_eq!(new_password.len(), 16);
    assert_ne!(new_password, START_PASSWORD);
    assert_eq!(
        stored(&portal.pool, service_id).await,
        (username, Some(new_password.clone()))
    );

    let audit: Vec<(String, String, i64, Option<i64>, String)> = sqlx::query_as(
        "select action, actor_kind, actor_id, support_session_id, detail::text from audit_log
          where subject_account_id = $1 and action like 'network.%' order by id",
    )
    .bind(account)
    .fetch_all(&portal.pool)
    .await
    .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        actions,
        vec!["network.password_revealed", "network.password_reset"]
    );
    for (_, kind, actor, session, detail) in &audit {
        assert_eq!((kind.as_str(), *actor, *session), ("staff", rep_id, None));
        assert!(detail.contains(&service_id.to_string()));
        assert!(!detail.contains(START_PASSWORD) && !detail.contains(&new_password));
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn billing_staff_see_the_username_but_may_not_reveal_reset_or_change_identifiers(
    pool: PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let (service_id, username) = give_pppoe(&portal.pool, ALEX_NUMBER).await;
    let account = portal.account_id(ALEX_NUMBER).await;
    let billing = portal.staff_signed_in(BILLING_EMAIL).await;
    let (status, html) = portal
        .page(&billing, &format!("/staff/accounts/{account}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        testid_text(&html, "connection-username").as_deref(),
        Some(username.as_str())
    );
    assert!(!html.contains("action=\"/api/staff-reveal-connection-password\""));
    assert!(!html.contains("action=\"/api/staff-reset-connection-password\""));
    let account = account.to_string();
    let service = service_id.to_string();
    for (endpoint, form) in [
        (
            "staff-reveal-connection-password",
            vec![
                ("account_id", account.as_str()),
                ("service_id", service.as_str()),
            ],
        ),
        (
            "staff-reset-connection-password",
            vec![
                ("account_id", account.as_str()),
                ("service_id", service.as_str()),
            ],
        ),
        (
            "staff-set-ipoe-identifier",
            vec![
                ("account_id", account.as_str()),
                ("service_id", service.as_str()),
                ("identifier", "olt-9/9/9:1"),
            ],
        ),
    ] {
        let response = portal.call(&billing, endpoint, &form).await;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, 403, "{endpoint}");
        assert!(!body.contains(START_PASSWORD));
    }
    assert_eq!(
        stored(&portal.pool, service_id).await.1.as_deref(),
        Some(START_PASSWORD)
    );
    assert!(network_audit(&portal.pool, account.parse().unwrap())
        .await
        .is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_change_an_ipoe_identifier_and_the_old_and_new_are_audited(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let (service_id, _) = give_pppoe(&portal.pool, ALEX_NUMBER).await;
    let (sam_service, _) = give_pppoe(&portal.pool, SAM_NUMBER).await;
    make_ipoe(&portal.pool, service_id, "olt-1/1/1:100").await;
    make_ipoe(&portal.pool, sam_service, "olt-1/1/1:200").await;
    let account = portal.account_id(ALEX_NUMBER).await;
    let sam_account = portal.account_id(SAM_NUMBER).await;
    let admin = portal.staff_signed_in(ADMIN_EMAIL).await;

    let (status, html) = portal
        .page(&admin, &format!("/staff/accounts/{account}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        testid_text(&html, "connection-kind").as_deref(),
        Some("IPoE")
    );
    assert!(html.contains("action=\"/api/staff-set-ipoe-identifier\""));
    assert!(html.contains("value=\"olt-1/1/1:100\""));
    // No password to reveal on a line recognised by its identifier.
    assert!(!html.contains("action=\"/api/staff-reveal-connection-password\""));

    let set = |account_id: i64, identifier: &'static str| {
        let portal = &portal;
        let admin = &admin;
        async move {
            portal
                .call(
                    admin,
                    "staff-set-ipoe-identifier",
                    &[
                        ("account_id", &account_id.to_string()),
                        ("service_id", &service_id.to_string()),
                        ("identifier", identifier),
                    ],
                )
                .await
        }
    };
    // Refused beside the field: taken by Sam's line, a space inside, empty.
    for bad in ["olt-1/1/1:200", "olt 1/1/1:300", "  "] {
        assert_eq!(
            answer(set(account, bad).await).await,
            (422, "invalid_input".into(), "identifier".into()),
            "{bad:?}"
        );
    }
    // Sam's account with Alex's service: not found.
    assert_eq!(answer(set(sam_account, "olt-1/1/1:300").await).await.0, 404);
    assert_eq!(stored(&portal.pool, service_id).await.0, "olt-1/1/1:100");
    assert!(network_audit(&portal.pool, account).await.is_empty());
    assert!(network_audit(&portal.pool, sam_account).await.is_empty());

    let response = set(account, " olt-1/1/1:300 ").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        stored(&portal.pool, service_id).await,
        ("olt-1/1/1:300".into(), None)
    );
    let audit = network_audit(&portal.pool, account).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].0, "network.identifier_changed");
    let detail: serde_json::Value = serde_json::from_str(&audit[0].2).unwrap();
    assert_eq!(detail["from"], "olt-1/1/1:100");
    assert_eq!(detail["to"], "olt-1/1/1:300");
    assert_eq!(detail["service_id"], service_id);

    // A PPPoE password cannot be revealed for a line without one; a PPPoE line's username
    // is not changed as an identifier.
    let response = portal
        .call(
            &admin,
            "staff-reveal-connection-password",
            &[
                ("account_id", &account.to_string()),
                ("service_id", &service_id.to_string()),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_sending_another_accounts_id_with_a_service_find_nothing_and_nothing_is_audited(
    pool: PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let (service_id, _) = give_pppoe(&portal.pool, ALEX_NUMBER).await;
    let alex_account = portal.account_id(ALEX_NUMBER).await;
    let sam_account = portal.account_id(SAM_NUMBER).await;
    let rep = portal.staff_signed_in(DEMO_STAFF[0].0).await;
    for endpoint in [
        "staff-reveal-connection-password",
        "staff-reset-connection-password",
    ] {
        let response = portal
            .call(
                &rep,
                endpoint,
                &[
                    ("account_id", &sam_account.to_string()),
                    ("service_id", &service_id.to_string()),
                ],
            )
            .await;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, 404, "{endpoint}");
        assert!(!body.contains(START_PASSWORD));
    }
    assert_eq!(
        stored(&portal.pool, service_id).await.1.as_deref(),
        Some(START_PASSWORD)
    );
    assert!(network_audit(&portal.pool, alex_account).await.is_empty());
    assert!(network_audit(&portal.pool, sam_account).await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn the_plans_and_console_pages_cost_the_same_with_connections_shown(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    give_pppoe(&portal.pool, ALEX_NUMBER).await;
    let account = portal.account_id(ALEX_NUMBER).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    // As in cost.rs: the session, the sign-in check, then the plans page's four.
    let (status, html, cost) = portal.page_cost(&alex, "/plans").await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"connection-username\""));
    assert_eq!(
        cost,
        Cost {
            server_calls: 1,
            queries: 2 + 4
        }
    );
    let rep = portal.staff_signed_in(DEMO_STAFF[0].0).await;
    let (status, html, cost) = portal
        .page_cost(&rep, &format!("/staff/accounts/{account}"))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"connection-username\""));
    assert_eq!(
        cost,
        Cost {
            server_calls: 1,
            queries: 2 + 3
        }
    );
}

//! Signing in and out, throttling, password reset, session expiry.

use std::time::Duration;

use sqlx::PgPool;

use crate::helpers::*;

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lastmile_session="))
        .map(|v| v.to_string())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_subscriber_signs_in_with_email_or_account_number_and_reaches_the_overview(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    for identifier in [ALEX_EMAIL, ALEX_NUMBER, "  Alex.Morgan@Example.NET "] {
        let browser = portal.browser();
        let response = portal.sign_in(&browser, identifier, PASSWORD).await;
        assert!(
            response.status().is_success(),
            "{identifier}: {}",
            response.status()
        );
        let cookie = session_cookie(&response).expect("a session cookie");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(
            !cookie.contains("Secure"),
            "plain http must not mark the cookie Secure: {cookie}"
        );
        let (status, html) = portal.page(&browser, "/").await;
        assert_eq!(status, 200);
        assert!(html.contains(ALEX_NUMBER), "the overview names the account");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_session_id_changes_at_sign_in(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let browser = portal.browser();
    let first = session_cookie(&portal.sign_in(&browser, ALEX_EMAIL, PASSWORD).await).unwrap();
    let second = session_cookie(&portal.sign_in(&browser, ALEX_EMAIL, PASSWORD).await).unwrap();
    let id = |c: &str| c.split(';').next().unwrap().to_string();
    assert_ne!(
        id(&first),
        id(&second),
        "signing in again must issue a new session id"
    );
    let sessions: i64 = sqlx::query_scalar("select count(*) from tower_sessions.session")
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 1, "the old session is gone from the store");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_wrong_password_and_an_unknown_account_get_the_same_answer(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let wrong = portal
        .sign_in(&portal.browser(), ALEX_EMAIL, "not-the-password")
        .await;
    assert!(
        session_cookie(&wrong).is_none(),
        "no session for a failed sign-in"
    );
    let wrong = error_code(wrong).await;
    let unknown = error_code(
        portal
            .sign_in(&portal.browser(), "nobody@example.net", "not-the-password")
            .await,
    )
    .await;
    let unknown_number = error_code(
        portal
            .sign_in(&portal.browser(), "99999999", "whatever")
            .await,
    )
    .await;
    assert_eq!(wrong, (401, "invalid_credentials".to_string()));
    assert_eq!(unknown, wrong);
    assert_eq!(unknown_number, wrong);
    let failures: i64 = sqlx::query_scalar(
        "select count(*) from login_attempts where not succeeded and scope = 'login'",
    )
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(failures, 3);
    let leaked: i64 =
        sqlx::query_scalar("select count(*) from login_attempts where key like '%@%'")
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(leaked, 0, "identifiers are kept only as fingerprints");
}

#[sqlx::test(migrations = "../migrations")]
async fn empty_fields_are_named_in_the_error(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let response = portal.sign_in(&portal.browser(), "", "x").await;
    assert_eq!(response.status().as_u16(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["field"], "identifier");
}

#[sqlx::test(migrations = "../migrations")]
async fn five_failures_lock_the_account_for_a_while_even_against_the_right_password(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    for _ in 0..5 {
        let (status, _) =
            error_code(portal.sign_in(&portal.browser(), ALEX_EMAIL, "guess").await).await;
        assert_eq!(status, 401);
    }
    let response = portal
        .sign_in(&portal.browser(), ALEX_EMAIL, PASSWORD)
        .await;
    assert_eq!(response.status().as_u16(), 429);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "throttled");
    let wait = body["retry_after_secs"].as_u64().unwrap();
    assert!(
        wait > 800 && wait <= 900,
        "the lock lasts at most the 15-minute window: {wait}"
    );
    // Another subscriber from the same address is not locked out.
    assert!(portal
        .sign_in(&portal.browser(), SAM_EMAIL, PASSWORD)
        .await
        .status()
        .is_success());
    // Once the failures are older than the window, the subscriber gets in again.
    sqlx::query("update login_attempts set attempted_at = attempted_at - interval '16 minutes'")
        .execute(&portal.pool)
        .await
        .unwrap();
    assert!(portal
        .sign_in(&portal.browser(), ALEX_EMAIL, PASSWORD)
        .await
        .status()
        .is_success());
}

#[sqlx::test(migrations = "../migrations")]
async fn signing_out_deletes_the_session(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let browser = portal.signed_in(ALEX_EMAIL).await;
    assert_eq!(portal.page(&browser, "/").await.0, 200);
    let response = portal.call(&browser, "sign-out", &[]).await;
    assert!(response.status().is_success() || response.status().is_redirection());
    let sessions: i64 = sqlx::query_scalar("select count(*) from tower_sessions.session")
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    let response = browser.get(portal.url("/statements")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/sign-in?next=/statements");
    assert_eq!(
        error_code(portal.call(&browser, "overview", &[]).await).await,
        (401, "unauthenticated".to_string())
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_idle_session_ends(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let browser = portal.signed_in(ALEX_EMAIL).await;
    assert_eq!(portal.page(&browser, "/").await.0, 200);
    // As if the idle time had passed: the store's expiry is in the past.
    sqlx::query("update tower_sessions.session set expiry_date = now() - interval '1 second'")
        .execute(&portal.pool)
        .await
        .unwrap();
    assert_eq!(portal.page(&browser, "/").await.0, 303);
    assert_eq!(
        error_code(portal.call(&browser, "overview", &[]).await)
            .await
            .1,
        "unauthenticated"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_in_use_stays_open_past_its_idle_limit_and_ends_when_left_alone(pool: PgPool) {
    let portal =
        TestPortal::start_with(pool, |t| t.config.session_idle = Duration::from_secs(2)).await;
    let browser = portal.signed_in(ALEX_EMAIL).await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert_eq!(
            portal.page(&browser, "/").await.0,
            200,
            "each visit keeps the session alive"
        );
    }
    tokio::time::sleep(Duration::from_millis(2600)).await;
    assert_eq!(
        portal.page(&browser, "/").await.0,
        303,
        "left alone longer than the idle limit"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_busy_session_still_ends_at_its_absolute_limit(pool: PgPool) {
    let portal =
        TestPortal::start_with(pool, |t| t.config.session_absolute = Duration::from_secs(1)).await;
    let browser = portal.signed_in(ALEX_EMAIL).await;
    assert_eq!(portal.page(&browser, "/").await.0, 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(portal.page(&browser, "/").await.0, 303);
    let sessions: i64 = sqlx::query_scalar("select count(*) from tower_sessions.session")
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert_eq!(
        sessions, 0,
        "the expired session is deleted, not just refused"
    );
}

/// The link in the newest password-reset email to `to`.
pub(crate) async fn reset_link(pool: &PgPool, to: &str) -> String {
    let (text, html): (String, String) = sqlx::query_as(
        "select text_body, html_body from outbound_emails where kind = 'password_reset' and to_address = $1 order by id desc limit 1",
    )
    .bind(to)
    .fetch_one(pool)
    .await
    .expect("a password reset email");
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/reset-password?token="))
        .expect("a link in the text")
        .to_string();
    assert!(html.contains(&link), "the HTML part carries the same link");
    link
}

#[sqlx::test(migrations = "../migrations")]
async fn a_password_is_reset_through_the_emailed_link_once(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let other_browser = portal.signed_in(ALEX_EMAIL).await;

    let response = portal
        .call(
            &portal.browser(),
            "request-password-reset",
            &[("identifier", ALEX_NUMBER)],
        )
        .await;
    assert!(response.status().is_success());
    let link = reset_link(&portal.pool, ALEX_EMAIL).await;
    assert!(link.starts_with(&portal.base));
    let token = link.split("token=").nth(1).unwrap();

    // The page the link opens.
    let (status, html) = portal
        .page(&portal.browser(), &link[portal.base.len()..])
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("Choose a new password"));

    let browser = portal.browser();
    let mismatch = portal
        .call(
            &browser,
            "reset-password",
            &[
                ("token", token),
                ("password", "a brand new secret"),
                ("confirm", "a brand new secreT"),
            ],
        )
        .await;
    let body: serde_json::Value = mismatch.json().await.unwrap();
    assert_eq!(body["field"], "confirm");

    let done = portal
        .call(
            &browser,
            "reset-password",
            &[
                ("token", token),
                ("password", "a brand new secret"),
                ("confirm", "a brand new secret"),
            ],
        )
        .await;
    assert!(done.status().is_success(), "{}", done.status());

    assert_eq!(
        error_code(
            portal
                .sign_in(&portal.browser(), ALEX_EMAIL, PASSWORD)
                .await
        )
        .await
        .1,
        "invalid_credentials"
    );
    assert!(portal
        .sign_in(&portal.browser(), ALEX_EMAIL, "a brand new secret")
        .await
        .status()
        .is_success());
    // The link works once.
    let again = portal
        .call(
            &browser,
            "reset-password",
            &[
                ("token", token),
                ("password", "another new secret"),
                ("confirm", "another new secret"),
            ],
        )
        .await;
    assert_eq!(
        error_code(again).await,
        (422, "reset_link_invalid".to_string())
    );
    // Sessions signed in before the reset are over.
    assert_eq!(portal.page(&other_browser, "/").await.0, 303);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_expired_reset_link_is_refused_and_unknown_identifiers_get_the_same_answer(
    pool: PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let unknown = portal
        .call(
            &portal.browser(),
            "request-password-reset",
            &[("identifier", "nobody@example.net")],
        )
        .await;
    assert!(
        unknown.status().is_success(),
        "no hint whether the account exists"
    );
    let emails: i64 = sqlx::query_scalar("select count(*) from outbound_emails")
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert_eq!(emails, 0);

    portal
        .call(
            &portal.browser(),
            "request-password-reset",
            &[("identifier", SAM_EMAIL)],
        )
        .await;
    let link = reset_link(&portal.pool, SAM_EMAIL).await;
    let token = link.split("token=").nth(1).unwrap();
    sqlx::query("update password_reset_tokens set created_at = created_at - interval '2 hours', expires_at = expires_at - interval '2 hours'")
        .execute(&portal.pool)
        .await
        .unwrap();
    let response = portal
        .call(
            &portal.browser(),
            "reset-password",
            &[
                ("token", token),
                ("password", "a brand new secret"),
                ("confirm", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(
        error_code(response).await,
        (422, "reset_link_invalid".to_string())
    );
    assert!(
        portal
            .sign_in(&portal.browser(), SAM_EMAIL, PASSWORD)
            .await
            .status()
            .is_success(),
        "the old password still works"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn one_address_failing_against_many_accounts_is_throttled_too(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    for i in 0..30 {
        let (status, _) = error_code(
            portal
                .sign_in(&portal.browser(), &format!("guess{i}@example.net"), "guess")
                .await,
        )
        .await;
        assert_eq!(status, 401, "attempt {i}");
    }
    let response = portal.sign_in(&portal.browser(), SAM_EMAIL, PASSWORD).await;
    assert_eq!(error_code(response).await, (429, "throttled".to_string()));
}

/// A sign-in sent with an `X-Forwarded-For` header, as HAProxy sends it on.
async fn sign_in_forwarded_for(
    portal: &TestPortal,
    client: &str,
    identifier: &str,
    password: &str,
) -> reqwest::Response {
    portal
        .browser()
        .post(portal.url("/api/sign-in"))
        .header("origin", &portal.base)
        .header("accept", "application/json")
        .header("x-forwarded-for", client)
        .form(&[("identifier", identifier), ("password", password)])
        .send()
        .await
        .unwrap()
}

async fn addresses_counted(pool: &PgPool) -> Vec<(String, i64)> {
    sqlx::query_as(
        "select key, count(*) from login_attempts where scope = 'address' group by key order by key",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn behind_a_trusted_proxy_each_client_address_is_throttled_on_its_own(pool: PgPool) {
    let portal = TestPortal::start_with(pool, |t| {
        t.trusted_proxies = app::server::client::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    for i in 0..30 {
        // The first address is the caller's own invention; HAProxy appended the second.
        let response = sign_in_forwarded_for(
            &portal,
            "192.0.2.1, 203.0.113.7",
            &format!("guess{i}@example.net"),
            "guess",
        )
        .await;
        assert_eq!(response.status(), 401, "attempt {i}");
    }
    // Refused, and (being refused) not counted.
    let throttled = sign_in_forwarded_for(&portal, "203.0.113.7", SAM_EMAIL, PASSWORD).await;
    assert_eq!(error_code(throttled).await, (429, "throttled".to_string()));
    // Another subscriber behind the same proxy is not held back by that address.
    let other = sign_in_forwarded_for(&portal, "203.0.113.8", SAM_EMAIL, PASSWORD).await;
    assert!(other.status().is_success(), "{}", other.status());
    assert_eq!(
        addresses_counted(&portal.pool).await,
        [
            ("203.0.113.7".to_string(), 30),
            ("203.0.113.8".to_string(), 1)
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_forwarded_address_from_anyone_but_a_trusted_proxy_is_ignored(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    for client in ["203.0.113.7", "203.0.113.8"] {
        let response = sign_in_forwarded_for(&portal, client, "guess@example.net", "guess").await;
        assert_eq!(response.status(), 401);
    }
    assert_eq!(
        addresses_counted(&portal.pool).await,
        [("127.0.0.1".to_string(), 2)]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn after_sign_in_only_portal_paths_are_followed(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    for (next, expected) in [
        ("/statements", "/statements"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil", "/"),
    ] {
        let response = portal
            .call(
                &portal.browser(),
                "sign-in",
                &[
                    ("identifier", ALEX_EMAIL),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert!(response.status().is_success());
        assert_eq!(response.headers()["location"], expected, "next = {next}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_next_that_a_browser_would_read_as_another_site_goes_to_the_overview(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    for next in [
        // Browsers drop tabs and new lines from a URL: `/\t/evil.example` is `//evil.example`.
        "/\t/evil.example",
        "/\n/evil.example",
        "/ok\r\nSet-Cookie: stolen=1",
        " //evil.example",
        "/%5C/evil.example\\",
        "/statements#x",
    ] {
        let response = portal
            .call(
                &portal.browser(),
                "sign-in",
                &[
                    ("identifier", ALEX_EMAIL),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 200, "next = {next:?}");
        assert_eq!(response.headers()["location"], "/", "next = {next:?}");
    }
    // A page with its query string still comes back after sign-in.
    let response = portal
        .call(
            &portal.browser(),
            "sign-in",
            &[
                ("identifier", ALEX_EMAIL),
                ("password", PASSWORD),
                ("next", "/usage?cycle=1"),
            ],
        )
        .await;
    assert_eq!(response.headers()["location"], "/usage?cycle=1");
}

#[sqlx::test(migrations = "../migrations")]
async fn wrong_passwords_sent_at_once_are_checked_at_most_five_times(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let browser = portal.browser();
    let statuses = at_once(12, || {
        browser
            .post(portal.url("/api/sign-in"))
            .header("origin", &portal.base)
            .header("accept", "application/json")
            .form(&[("identifier", ALEX_EMAIL), ("password", "a guess")])
    })
    .await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 7), "{statuses:?}");
    let counted: i64 = sqlx::query_scalar(
        "select count(*) from login_attempts where scope = 'login' and not succeeded",
    )
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(counted, 5);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_success_from_an_address_does_not_clear_its_failures_against_other_logins(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    for round in 0..3 {
        for i in 0..10 {
            let guess = format!("guess{round}-{i}@example.net");
            let (status, _) =
                error_code(portal.sign_in(&portal.browser(), &guess, "guess").await).await;
            assert_eq!(status, 401, "round {round}, attempt {i}");
        }
        // The attacker's own account signs in between rounds.
        if round < 2 {
            let response = portal
                .sign_in(&portal.browser(), ALEX_EMAIL, PASSWORD)
                .await;
            assert_eq!(response.status().as_u16(), 200, "round {round}");
        }
    }
    // Thirty failures from this address within the window: the address is locked, whoever
    // signs in from it.
    let response = portal.sign_in(&portal.browser(), SAM_EMAIL, PASSWORD).await;
    assert_eq!(error_code(response).await, (429, "throttled".to_string()));

    // A success still clears its own login's count: four failures, a success, four more,
    // and the login is not locked (the failures above are first moved out of the window).
    sqlx::query("update login_attempts set attempted_at = attempted_at - interval '16 minutes'")
        .execute(&portal.pool)
        .await
        .unwrap();
    for _ in 0..4 {
        let (status, _) =
            error_code(portal.sign_in(&portal.browser(), SAM_EMAIL, "guess").await).await;
        assert_eq!(status, 401);
    }
    assert!(portal
        .sign_in(&portal.browser(), SAM_EMAIL, PASSWORD)
        .await
        .status()
        .is_success());
    for _ in 0..4 {
        let (status, _) =
            error_code(portal.sign_in(&portal.browser(), SAM_EMAIL, "guess").await).await;
        assert_eq!(status, 401);
    }
    assert!(portal
        .sign_in(&portal.browser(), SAM_EMAIL, PASSWORD)
        .await
        .status()
        .is_success());
}

#[sqlx::test(migrations = "../migrations")]
async fn an_email_and_its_account_number_are_one_count(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    for _ in 0..3 {
        let (status, _) =
            error_code(portal.sign_in(&portal.browser(), ALEX_EMAIL, "guess").await).await;
        assert_eq!(status, 401);
    }
    for _ in 0..2 {
        let (status, _) = error_code(
            portal
                .sign_in(&portal.browser(), ALEX_NUMBER, "guess")
                .await,
        )
        .await;
        assert_eq!(status, 401);
    }
    // Five failures for the login, whichever way it was named: locked both ways, even
    // against the right password.
    for identifier in [ALEX_NUMBER, ALEX_EMAIL, "ALEX.MORGAN@example.net"] {
        let response = portal
            .sign_in(&portal.browser(), identifier, PASSWORD)
            .await;
        assert_eq!(
            error_code(response).await,
            (429, "throttled".to_string()),
            "{identifier}"
        );
    }
}

/// An imported login (no password, `lastmile import`) cannot sign in until its subscriber
/// chooses a password from the invitation, which works once.
#[sqlx::test(migrations = "../migrations")]
async fn an_imported_login_signs_in_only_after_choosing_a_password_from_its_invitation(
    pool: PgPool,
) {
    let portal = TestPortal::start(pool).await;
    sqlx::query("update portal_logins set password_hash = null where email = $1")
        .bind(SAM_EMAIL)
        .execute(&portal.pool)
        .await
        .unwrap();
    let (status, code) =
        error_code(portal.sign_in(&portal.browser(), SAM_EMAIL, PASSWORD).await).await;
    assert_eq!(
        (status, code.as_str()),
        (401, "invalid_credentials"),
        "no password, no sign-in"
    );

    let config = engine::EngineConfig {
        public_url: portal.url(""),
        ..engine::EngineConfig::default()
    };
    let invited = engine::import::invite::invite(&portal.pool, &config, None)
        .await
        .unwrap();
    assert_eq!(
        (invited.sent, invited.waiting),
        (1, 0),
        "only the login without a password"
    );
    let text: String = sqlx::query_scalar(
        "select text_body from outbound_emails where kind = 'invitation' and to_address = $1",
    )
    .bind(SAM_EMAIL)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/reset-password?token="))
        .expect("a set-your-password link");
    let token = link.split("token=").nth(1).unwrap();
    let chosen = [
        ("token", token),
        ("password", "my own new secret"),
        ("confirm", "my own new secret"),
    ];
    let response = portal
        .call(&portal.browser(), "reset-password", &chosen)
        .await;
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
    assert!(portal
        .sign_in(&portal.browser(), SAM_EMAIL, "my own new secret")
        .await
        .status()
        .is_success());
    let again = portal
        .call(&portal.browser(), "reset-password", &chosen)
        .await;
    assert_eq!(
        error_code(again).await,
        (422, "reset_link_invalid".to_string()),
        "once"
    );
    let second = engine::import::invite::invite(&portal.pool, &config, None)
        .await
        .unwrap();
    assert_eq!(second.sent, 0, "invited once");
}

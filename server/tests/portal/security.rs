//! What every response carries, and what is refused before it is read.

use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrations = "../migrations")]
async fn a_state_changing_request_from_another_site_is_refused(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let browser = portal.browser();
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("origin", "null"),
    ] {
        let response = browser
            .post(portal.url("/api/sign-in"))
            .header(name, value)
            .form(&[("identifier", ALEX_EMAIL), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403, "{name}: {value}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "cross_site");
    }
    let attempts: i64 = sqlx::query_scalar("select count(*) from login_attempts")
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert_eq!(attempts, 0, "refused before the server function ran");
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_carry_a_strict_content_security_policy_with_a_fresh_nonce(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let browser = portal.browser();
    let first = browser.get(portal.url("/sign-in")).send().await.unwrap();
    assert_eq!(first.status().as_u16(), 200);
    let csp = first.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self' 'nonce-"), "{csp}");
    assert!(csp.contains("https://js.stripe.com"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(first.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        first.headers()["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
    assert_eq!(first.headers()["cache-control"], "no-store");
    assert!(
        first.headers().get("strict-transport-security").is_none(),
        "no HSTS on plain http"
    );
    assert!(first.headers().get("x-request-id").is_some());
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    let html = first.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "inline scripts carry the nonce"
    );
    let second = browser.get(portal.url("/sign-in")).send().await.unwrap();
    assert!(
        !second.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains(&nonce),
        "a new nonce per page"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn errors_reach_the_browser_as_a_code_and_plain_words_only(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let response = portal
        .call(&alex, "statement", &[("id", "not-a-number")])
        .await;
    let (status, code) = error_code(response).await;
    assert_eq!((status, code.as_str()), (400, "bad_request"));
    let api = alex
        .get(portal.url("/usage.csv?cycle=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 400);
}

#[sqlx::test(migrations = "../migrations")]
async fn health_and_readiness_answer(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let browser = portal.browser();
    let health = browser.get(portal.url("/healthz")).send().await.unwrap();
    assert_eq!(
        (health.status().as_u16(), health.text().await.unwrap()),
        (200, "ok".to_string())
    );
    let ready = browser.get(portal.url("/readyz")).send().await.unwrap();
    assert_eq!(
        (ready.status().as_u16(), ready.text().await.unwrap()),
        (200, "ready".to_string())
    );
    portal.pool.close().await;
    let ready = browser.get(portal.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 503);
}

/// The session cookie a response sets, whatever its name.
fn session_set_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("lastmile_session="))
        .expect("a session cookie")
        .to_string()
}

#[sqlx::test(migrations = "../migrations")]
async fn behind_https_the_session_cookie_is_host_prefixed_and_secure(pool: PgPool) {
    let portal = TestPortal::start_with(pool, |t| t.https = true).await;
    let cookie = session_set_cookie(
        &portal
            .sign_in(&portal.browser(), ALEX_EMAIL, PASSWORD)
            .await,
    );
    // `__Host-`: browsers keep it only when Secure, for Path=/ and with no Domain.
    assert!(cookie.starts_with("__Host-lastmile_session="), "{cookie}");
    let attributes: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    for wanted in ["secure", "httponly", "path=/", "samesite=lax"] {
        assert!(attributes.iter().any(|a| a == wanted), "{wanted}: {cookie}");
    }
    assert!(
        !attributes.iter().any(|a| a.starts_with("domain")),
        "{cookie}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn over_plain_http_the_session_cookie_has_its_plain_name(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let cookie = session_set_cookie(
        &portal
            .sign_in(&portal.browser(), ALEX_EMAIL, PASSWORD)
            .await,
    );
    // A `__Host-` cookie must be Secure, which a browser does not keep over plain http.
    assert!(cookie.starts_with("lastmile_session="), "{cookie}");
    assert!(!cookie.to_ascii_lowercase().contains("secure"), "{cookie}");
}

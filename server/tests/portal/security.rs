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

#[sqlx::test(migrations = "../migrations")]
async fn a_pay_links_token_never_reaches_the_request_log(pool: PgPool) {
    // The real binary, with its own logging, on a free port; the request log is at debug
    // (tower_http), the rest at info.
    let site = scratch("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let secret = "pay-link-secret-for-the-log-test-0123456789";
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_lastmile"))
        .arg("serve")
        .env("DATABASE_URL", url_of(&pool).await)
        .env("LASTMILE_LISTEN", format!("127.0.0.1:{port}"))
        .env("LASTMILE_SITE_ROOT", &site)
        .env("LASTMILE_MAIL_DIR", scratch("mail"))
        .env("LASTMILE_SCHEDULER", "off")
        .env("LASTMILE_PAY_LINK_SECRET", secret)
        .env("LASTMILE_TOTP_KEY", app::server::staff::totp_keys::TEST_KEY)
        .env("RUST_LOG", "info,tower_http=debug")
        .env_remove("LASTMILE_LOG_FORMAT")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the lastmile binary runs");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let token = engine::cards::pay_link::sign(
        secret.as_bytes(),
        1,
        chrono::Utc::now() + chrono::Duration::hours(1),
    );
    if up {
        // Opening the link, and a refused cross-site post to it (logged as a warning).
        http.get(format!("{base}/pay/{token}"))
            .send()
            .await
            .unwrap();
        http.post(format!("{base}/pay/{token}"))
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
    }
    server.kill().unwrap();
    let output = server.wait_with_output().unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(up, "the server did not start: {log}");
    let (_, signature) = token.rsplit_once('.').unwrap();
    assert!(
        log.contains("/pay/[redacted]"),
        "the requests are logged, redacted: {log}"
    );
    assert!(log.contains("refused a cross-site request"), "{log}");
    assert!(
        !log.contains(&token) && !log.contains(signature),
        "the token is not in the log: {log}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_delivered_email_keeps_who_what_and_when_but_not_its_links(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let response = portal
        .call(
            &portal.browser(),
            "request-password-reset",
            &[("identifier", ALEX_EMAIL)],
        )
        .await;
    assert!(response.status().is_success());
    let (reset_id, text): (i64, String) = sqlx::query_as(
        "select id, text_body from outbound_emails where kind = 'password_reset' order by id desc limit 1",
    )
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/reset-password?token="))
        .expect("the reset link is in the body until it is sent")
        .to_string();
    let token = link.rsplit_once('=').unwrap().1.to_string();

    // Delivered (into files, as the demo does): every waiting email is sent.
    let waiting: i64 =
        sqlx::query_scalar("select count(*) from outbound_emails where sent_at is null")
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    let dir = scratch("outbox");
    let delivery = lastmile::mail::Delivery::Directory(dir.clone());
    let sent = lastmile::mail::deliver_pending(&portal.pool, &delivery)
        .await
        .unwrap();
    assert_eq!(sent as i64, waiting);
    let file =
        std::fs::read_to_string(dir.join(format!("{reset_id:06}-password_reset.txt"))).unwrap();
    assert!(file.contains(&link), "the subscriber got the link");

    // What stays: kind, recipient, subject, when; what goes: the bodies, of every sent email.
    let (kind, to, subject, sent_at, text, html): (
        String,
        String,
        String,
        Option<chrono::DateTime<chrono::Utc>>,
        String,
        String,
    ) = sqlx::query_as(
        "select kind, to_address::text, subject, sent_at, text_body, html_body from outbound_emails where id = $1",
    )
    .bind(reset_id)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!((kind.as_str(), to.as_str()), ("password_reset", ALEX_EMAIL));
    assert!(!subject.is_empty() && sent_at.is_some());
    assert_eq!((text.as_str(), html.as_str()), ("", ""));
    let readable: i64 = sqlx::query_scalar(
        "select count(*) from outbound_emails
          where text_body like '%' || $1 || '%' or html_body like '%' || $1 || '%'
             or (sent_at is not null and (text_body <> '' or html_body <> ''))",
    )
    .bind(&token)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(readable, 0);
    // The schema keeps it so.
    let refilled = sqlx::query("update outbound_emails set text_body = $2 where id = $1")
        .bind(reset_id)
        .bind(&link)
        .execute(&portal.pool)
        .await;
    assert!(refilled.is_err(), "a sent email has no body");

    // An email that cannot be delivered keeps its body for the next attempt, until it is
    // given up on: here, a mail directory that is not there, for three days.
    portal
        .call(
            &portal.browser(),
            "request-password-reset",
            &[("identifier", ALEX_EMAIL)],
        )
        .await;
    let nowhere = lastmile::mail::Delivery::Directory(dir.join("missing"));
    let attempt = || async {
        lastmile::mail::deliver_pending(&portal.pool, &nowhere)
            .await
            .unwrap();
        sqlx::query_as::<_, (i32, bool, bool)>(
            "select attempts, text_body <> '', given_up_at is not null from outbound_emails
              where kind = 'password_reset' and sent_at is null",
        )
        .fetch_one(&portal.pool)
        .await
        .unwrap()
    };
    assert_eq!(attempt().await, (1, true, false));
    assert_eq!(attempt().await, (1, true, false), "not due again for 10 s");
    sqlx::query(
        "update outbound_emails set created_at = created_at - interval '3 days', next_attempt_at = now()
          where sent_at is null and given_up_at is null",
    )
    .execute(&portal.pool)
    .await
    .unwrap();
    assert_eq!(
        attempt().await,
        (2, false, true),
        "given up on: its link goes too"
    );
}

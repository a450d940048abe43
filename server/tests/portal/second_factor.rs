//! A subscriber's authenticator app through the HTTP API: set up with a code, asked after
//! the password, a recovery code used once, refused while on, turned off by staff (audited,
//! emailed) and by the subscriber with a recovery code.

use app::server::staff::totp::code_at;
use sqlx::PgPool;

use crate::helpers::*;

/// The key as authenticator apps take it (RFC 4648 base32, no padding), as bytes.
fn base32(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut out) = (0u32, 0u32, Vec::new());
    for c in text.trim_end_matches('=').bytes() {
        let index = ALPHABET.iter().position(|a| *a == c).expect("base32") as u32;
        value = (value << 5) | index;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
            value &= (1 << bits) - 1;
        }
    }
    out
}

async fn json(response: reqwest::Response) -> serde_json::Value {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    serde_json::from_str(&body).unwrap_or(serde_json::Value::Null)
}

/// A browser past the password step only.
async fn password_only(portal: &TestPortal) -> reqwest::Client {
    let browser = portal.browser();
    let response = portal.sign_in(&browser, ALEX_EMAIL, PASSWORD).await;
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "{}",
        response.status()
    );
    browser
}

#[sqlx::test(migrations = "../migrations")]
async fn an_authenticator_is_asked_after_the_password_until_it_is_turned_off(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let page = json(portal.call(&alex, "security-page", &[]).await).await;
    assert_eq!(page["authenticator"], false);

    // Set up: the key, a wrong code refused beside its field, the right one accepted.
    let setup = json(
        portal
            .call(&alex, "authenticator", &[("op", "start")])
            .await,
    )
    .await;
    assert!(
        setup["setup"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/"),
        "{setup}"
    );
    let secret = base32(setup["setup"]["secret"].as_str().unwrap());
    assert_eq!(secret.len(), 20);
    let now = chrono::Utc::now().timestamp();
    let wrong = if code_at(&secret, now) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let refused = portal
        .call(
            &alex,
            "authenticator",
            &[("op", "confirm"), ("code", wrong)],
        )
        .await;
    assert_eq!(error_code(refused).await, (422, "invalid_input".into()));
    let codes = json(
        portal
            .call(
                &alex,
                "authenticator",
                &[("op", "confirm"), ("code", &code_at(&secret, now))],
            )
            .await,
    )
    .await;
    let codes: Vec<String> = serde_json::from_value(codes["recovery_codes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);
    let page = json(portal.call(&alex, "security-page", &[]).await).await;
    assert_eq!(
        (
            page["authenticator"].as_bool(),
            page["recovery_left"].as_i64()
        ),
        (Some(true), Some(10))
    );
    // Setting up again while on is refused: turn it off first.
    let again = portal
        .call(&alex, "authenticator", &[("op", "start")])
        .await;
    assert_eq!(error_code(again).await.0, 409);

    // The password alone no longer opens the account.
    let half = password_only(&portal).await;
    assert_eq!(
        portal
            .call(&half, "security-page", &[])
            .await
            .status()
            .as_u16(),
        401
    );
    let refused = portal
        .call(&half, "sign-in", &[("step", "code"), ("code", wrong)])
        .await;
    assert_eq!(error_code(refused).await, (422, "invalid_input".into()));
    // The code of the next step (the one just used for setting up is spent).
    let next_code = code_at(&secret, now + 30);
    let answered = portal
        .call(&half, "sign-in", &[("step", "code"), ("code", &next_code)])
        .await;
    assert!(answered.status().is_success() || answered.status().is_redirection());
    assert_eq!(
        portal
            .call(&half, "security-page", &[])
            .await
            .status()
            .as_u16(),
        200
    );
    // The same code again, in another browser: used.
    let other = password_only(&portal).await;
    let reused = portal
        .call(&other, "sign-in", &[("step", "code"), ("code", &next_code)])
        .await;
    assert_eq!(reused.status().as_u16(), 422);

    // A recovery code works once.
    let lost = password_only(&portal).await;
    let answered = portal
        .call(&lost, "sign-in", &[("step", "code"), ("code", &codes[0])])
        .await;
    assert!(answered.status().is_success() || answered.status().is_redirection());
    let again = password_only(&portal).await;
    let reused = portal
        .call(&again, "sign-in", &[("step", "code"), ("code", &codes[0])])
        .await;
    assert_eq!(reused.status().as_u16(), 422);
    let page = json(portal.call(&lost, "security-page", &[]).await).await;
    assert_eq!(page["recovery_left"], 9);
    let withs: Vec<String> = sqlx::query_scalar(
        "select detail->>'with' from audit_log where action = 'sign_in' and detail ? 'with'
          order by id",
    )
    .fetch_all(&portal.pool)
    .await
    .unwrap();
    assert_eq!(withs.last().map(String::as_str), Some("recovery_code"));

    // Staff turn it off for a subscriber who lost it: another account's id finds nothing;
    // then audited and emailed, and the password alone signs in again.
    let (alex_account, login): (i64, i64) =
        sqlx::query_as("select account_id, id from portal_logins where email = $1")
            .bind(ALEX_EMAIL)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    let sam_account = portal.account_id(SAM_NUMBER).await;
    let rep = portal.staff_signed_in(REP_EMAIL).await;
    let (account_text, login_text) = (alex_account.to_string(), login.to_string());
    let wrong_account = sam_account.to_string();
    let refused = portal
        .call(
            &rep,
            "staff-reset-authenticator",
            &[
                ("account_id", wrong_account.as_str()),
                ("login_id", login_text.as_str()),
            ],
        )
        .await;
    assert_eq!(error_code(refused).await.0, 404);
    let reset = portal
        .call(
            &rep,
            "staff-reset-authenticator",
            &[
                ("account_id", account_text.as_str()),
                ("login_id", login_text.as_str()),
            ],
        )
        .await;
    assert!(
        reset.status().is_success() || reset.status().is_redirection(),
        "{}",
        reset.status()
    );
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'second_factor.reset_by_staff'
          and actor_kind = 'staff' and subject_account_id = $1",
    )
    .bind(alex_account)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    let (to, subject): (String, String) = sqlx::query_as(
        "select to_address::text, subject from outbound_emails where kind = 'second_factor_reset'",
    )
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(to, ALEX_EMAIL);
    assert!(subject.contains("authenticator code"), "{subject}");
    let signed = portal.signed_in(ALEX_EMAIL).await;
    assert_eq!(
        portal
            .call(&signed, "security-page", &[])
            .await
            .status()
            .as_u16(),
        200
    );
    let unused: i64 = sqlx::query_scalar(
        "select count(*) from portal_recovery_codes where login_id = $1 and used_at is null",
    )
    .bind(login)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(unused, 0, "the old recovery codes stop working");
    let twice = portal
        .call(
            &rep,
            "staff-reset-authenticator",
            &[
                ("account_id", account_text.as_str()),
                ("login_id", login_text.as_str()),
            ],
        )
        .await;
    assert_eq!(error_code(twice).await.0, 409);

    // Set up again, then turned off by the subscriber with a recovery code.
    let setup = json(
        portal
            .call(&signed, "authenticator", &[("op", "start")])
            .await,
    )
    .await;
    let secret = base32(setup["setup"]["secret"].as_str().unwrap());
    let codes = json(
        portal
            .call(
                &signed,
                "authenticator",
                &[
                    ("op", "confirm"),
                    ("code", &code_at(&secret, chrono::Utc::now().timestamp())),
                ],
            )
            .await,
    )
    .await;
    let codes: Vec<String> = serde_json::from_value(codes["recovery_codes"].clone()).unwrap();
    let off = portal
        .call(
            &signed,
            "authenticator",
            &[("op", "off"), ("code", &codes[3])],
        )
        .await;
    assert!(off.status().is_success(), "{}", off.status());
    let page = json(portal.call(&signed, "security-page", &[]).await).await;
    assert_eq!(page["authenticator"], false);
    // The secret is stored sealed, never in clear.
    let sealed: Option<Vec<u8>> =
        sqlx::query_scalar("select totp_sealed from portal_logins where id = $1")
            .bind(login)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(sealed, None);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_new_key_reseals_subscribers_authenticator_secrets_which_open_for_their_login_only(
    pool: PgPool,
) {
    use app::server::second_factor::context;
    use app::server::staff::totp_keys::{reseal_all, TotpKeys};
    let portal = TestPortal::start(pool).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let setup = json(
        portal
            .call(&alex, "authenticator", &[("op", "start")])
            .await,
    )
    .await;
    let secret = base32(setup["setup"]["secret"].as_str().unwrap());
    let (login, sealed, key_id): (i64, Vec<u8>, String) =
        sqlx::query_as("select id, totp_sealed, totp_key_id from portal_logins where email = $1")
            .bind(ALEX_EMAIL)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(key_id, "test");
    assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_slice()));
    let old = TotpKeys::for_tests();
    assert_eq!(
        old.open_for(&context(login), "test", &sealed).unwrap(),
        secret
    );
    // Bound to the login: it does not open as another login's.
    assert!(old.open_for(&context(login + 1), "test", &sealed).is_err());

    // A new current key, the test key kept as old: start-up moves the secret under it.
    let rotated = TotpKeys::parse(
        "next:bmV4dC1rZXktZm9yLXRoZS10ZXN0cy1vbmx5LTMyISE=",
        Some(app::server::staff::totp_keys::TEST_KEY),
    )
    .unwrap();
    let done = reseal_all(&portal.pool, &rotated).await.unwrap();
    assert_eq!(done.login_secrets, 1);
    assert!(done.unreadable.is_empty());
    let (sealed, key_id): (Vec<u8>, String) =
        sqlx::query_as("select totp_sealed, totp_key_id from portal_logins where id = $1")
            .bind(login)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(key_id, "next");
    assert_eq!(
        rotated.open_for(&context(login), "next", &sealed).unwrap(),
        secret
    );
    assert_eq!(
        reseal_all(&portal.pool, &rotated)
            .await
            .unwrap()
            .login_secrets,
        0
    );
}

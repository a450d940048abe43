//! The support desk's own rules: staff sign in with two factors; viewing an account as its
//! subscriber needs a reason, changes the session id at both ends, is read-only for a rep,
//! is audited page by page, shows on the subscriber's history, and ends on time; the audit
//! log and support sessions cannot be rewritten, by us or by any other system.

use lastmile::seed::DEMO_TOTP_SECRET;
use sqlx::PgPool;

use crate::helpers::*;

fn code_now() -> String {
    app::server::staff::totp::code_at(DEMO_TOTP_SECRET, chrono::Utc::now().timestamp())
}

async fn count(pool: &PgPool, sql: &str, id: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_need_their_password_and_then_a_code_that_works_once(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let browser = portal.browser();

    let wrong = portal
        .call(
            &browser,
            "staff-sign-in",
            &[("email", REP_EMAIL), ("password", "not the password")],
        )
        .await;
    assert_eq!(error_code(wrong).await, (401, "invalid_credentials".into()));
    // A subscriber's password and email are not a staff sign-in.
    let subscriber = portal
        .call(
            &browser,
            "staff-sign-in",
            &[("email", ALEX_EMAIL), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(error_code(subscriber).await.0, 401);

    let ok = portal
        .call(
            &browser,
            "staff-sign-in",
            &[("email", REP_EMAIL), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(ok.status().as_u16(), 200);
    // The password alone opens nothing.
    let me = portal.call(&browser, "staff-me", &[]).await;
    assert_eq!(error_code(me).await.0, 401);
    let search = portal
        .call(&browser, "search-accounts", &[("q", "Morgan")])
        .await;
    assert_eq!(error_code(search).await.0, 401);

    let bad_code = portal
        .call(&browser, "staff-second-factor", &[("code", "000000")])
        .await;
    let bad_code = if code_now() == "000000" {
        portal
            .call(&browser, "staff-second-factor", &[("code", "111111")])
            .await
    } else {
        bad_code
    };
    let body: serde_json::Value = bad_code.json().await.unwrap();
    assert_eq!(
        (body["code"].as_str(), body["field"].as_str()),
        (Some("invalid_input"), Some("code"))
    );

    let code = code_now();
    let signed_in = portal
        .call(&browser, "staff-second-factor", &[("code", &code)])
        .await;
    assert_eq!(signed_in.status().as_u16(), 200);
    let me: serde_json::Value = portal
        .call(&browser, "staff-me", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "Riley Chen");
    assert_eq!(me["role"], "support_rep");

    // The same code again, from another browser: refused (it was used).
    let other = portal.browser();
    portal
        .call(
            &other,
            "staff-sign-in",
            &[("email", REP_EMAIL), ("password", PASSWORD)],
        )
        .await;
    let replay = portal
        .call(&other, "staff-second-factor", &[("code", &code)])
        .await;
    assert_eq!(error_code(replay).await, (422, "invalid_input".into()));

    // A staff session is not a subscriber's.
    let overview = portal.call(&browser, "overview", &[]).await;
    assert_eq!(error_code(overview).await.0, 401);
    let audit: i64 = sqlx::query_scalar(
        "select count(*) from audit_log a join staff_users s on s.id = a.actor_id
          where a.actor_kind = 'staff' and s.email = $1 and a.action = 'staff.sign_in'",
    )
    .bind(REP_EMAIL)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(audit, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_recovery_code_signs_in_once_and_a_staff_member_without_a_second_factor_cannot(
    pool: PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let admin_id: i64 = sqlx::query_scalar("select id from staff_users where email = $1")
        .bind(ADMIN_EMAIL)
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    let keys = app::server::staff::totp_keys::TotpKeys::for_tests();
    let enrolment = app::server::staff::auth::enrol(&portal.pool, &keys, admin_id)
        .await
        .unwrap();
    let recovery = enrolment.recovery_codes[3].to_uppercase();

    for (attempt, expected) in [(1, 200), (2, 422)] {
        let browser = portal.browser();
        portal
            .call(
                &browser,
                "staff-sign-in",
                &[("email", ADMIN_EMAIL), ("password", PASSWORD)],
            )
            .await;
        let response = portal
            .call(&browser, "staff-second-factor", &[("code", &recovery)])
            .await;
        assert_eq!(response.status().as_u16(), expected, "attempt {attempt}");
    }
    let unused: i64 = count(
        &portal.pool,
        "select count(*) from staff_recovery_codes where staff_user_id = $1 and used_at is null",
        admin_id,
    )
    .await;
    assert_eq!(unused, 9);
    // The old secret stopped working at the new enrolment.
    let browser = portal.browser();
    portal
        .call(
            &browser,
            "staff-sign-in",
            &[("email", ADMIN_EMAIL), ("password", PASSWORD)],
        )
        .await;
    let old = portal
        .call(&browser, "staff-second-factor", &[("code", &code_now())])
        .await;
    assert_eq!(old.status().as_u16(), 422);

    sqlx::query("insert into staff_users (email, display_name, role, password_hash) select 'new.rep@example.net', 'New Rep', 'support_rep', password_hash from staff_users where id = $1")
        .bind(admin_id)
        .execute(&portal.pool)
        .await
        .unwrap();
    let not_enrolled = portal
        .call(
            &portal.browser(),
            "staff-sign-in",
            &[("email", "new.rep@example.net"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(error_code(not_enrolled).await.0, 401);
}

/// The session cookie's value, read from the `set-cookie` of a response.
fn set_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lastmile_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rep_views_an_account_read_only_and_everything_is_on_the_record(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let rep = portal.staff_signed_in(REP_EMAIL).await;

    let no_reason = portal
        .call(
            &rep,
            "start-viewing",
            &[("account_id", &alex.to_string()), ("reason", "hi")],
        )
        .await;
    let body: serde_json::Value = no_reason.json().await.unwrap();
    assert_eq!(body["field"], "reason");

    let started = portal
        .call(
            &rep,
            "start-viewing",
            &[
                ("account_id", &alex.to_string()),
                ("reason", "Caller asks about the last bill"),
                ("ticket_ref", "T-0042"),
            ],
        )
        .await;
    assert!(started.status().is_success() || started.status().is_redirection());
    assert!(
        set_cookie(&started).is_some(),
        "the session id changes when the view starts"
    );

    // The portal, as Alex sees it, with the banner.
    let (status, html) = portal.page(&rep, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"support-banner\""));
    assert!(html.contains("Riley Chen is viewing this account as the subscriber"));
    assert!(html.contains("Caller asks about the last bill"));
    assert!(html.contains(ALEX_NUMBER));
    assert!(
        !html.contains("/api/sign-out\""),
        "no subscriber sign-out while viewing"
    );
    let (_, statements) = portal.page(&rep, "/statements").await;
    assert!(statements.contains("data-testid=\"support-banner\""));

    // Read-only: a plan change, a card, autopay are refused, and nothing changes.
    let service: (i64, i64) =
        sqlx::query_as("select id, plan_id from services where account_id = $1 limit 1")
            .bind(alex)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    let change = portal
        .call(
            &rep,
            "change-plan",
            &[
                ("service_id", &service.0.to_string()),
                ("plan_id", &service.1.to_string()),
                ("seen_plan_id", &service.1.to_string()),
            ],
        )
        .await;
    assert_eq!(error_code(change).await, (403, "read_only".into()));
    for (endpoint, form) in [
        ("set-autopay", vec![("on", "true")]),
        ("start-card-setup", vec![]),
    ] {
        let refused = portal.call(&rep, endpoint, &form).await;
        assert_eq!(
            error_code(refused).await,
            (403, "read_only".into()),
            "{endpoint}"
        );
    }
    let autopay: bool = sqlx::query_scalar("select autopay from accounts where id = $1")
        .bind(alex)
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert!(!autopay);

    // On the record: start, every page, the refusal did not act.
    let actions: Vec<(String, Option<String>)> = sqlx::query_as(
        "select action, detail->>'path' from audit_log where subject_account_id = $1 and actor_kind = 'staff' order by id",
    )
    .bind(alex)
    .fetch_all(&portal.pool)
    .await
    .unwrap();
    assert_eq!(actions[0].0, "support.view_started");
    assert!(
        actions.contains(&("support.viewed".into(), Some("/".into()))),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("support.viewed".into(), Some("/statements".into()))),
        "{actions:?}"
    );
    assert!(!actions
        .iter()
        .any(|(a, _)| a.starts_with("support.assisted")));

    // Ending it: a new session id, back to the console, the row closed once.
    let ended = portal.call(&rep, "stop-viewing", &[]).await;
    assert!(
        set_cookie(&ended).is_some(),
        "the session id changes when the view ends"
    );
    let (end_reason, ticket): (Option<String>, Option<String>) =
        sqlx::query_as("select end_reason, ticket_ref from support_sessions where account_id = $1")
            .bind(alex)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(
        (end_reason.as_deref(), ticket.as_deref()),
        (Some("ended"), Some("T-0042"))
    );
    let after = rep.get(portal.url("/")).send().await.unwrap();
    assert_eq!(after.status().as_u16(), 303);
    assert_eq!(after.headers()["location"], "/staff?view_ended=1");
    let overview = portal.call(&rep, "overview", &[]).await;
    assert_eq!(error_code(overview).await.0, 401);

    // Alex's own history says support viewed the account, when and why.
    let alex_browser = portal.signed_in(ALEX_EMAIL).await;
    let (_, history) = portal.page(&alex_browser, "/history").await;
    assert!(
        history.contains("Support viewed your account: Caller asks about the last bill"),
        "history"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn billing_staff_may_act_for_the_subscriber_but_never_with_a_saved_card(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let card: i64 = sqlx::query_scalar(
        "insert into payment_methods (account_id, stripe_payment_method_id, brand, last4, exp_month, exp_year, is_default)
         values ($1, 'pm_support_view', 'visa', '4242', 11, 2031, false) returning id",
    )
    .bind(alex)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let billing = portal.staff_signed_in(BILLING_EMAIL).await;
    portal
        .call(
            &billing,
            "start-viewing",
            &[
                ("account_id", &alex.to_string()),
                ("reason", "Subscriber asked to downgrade"),
            ],
        )
        .await;
    let (_, html) = portal.page(&billing, "/").await;
    assert!(html.contains("May change the plan or take a card payment"));
    // Brand and last four, nothing more of any card.
    let cards: serde_json::Value = portal
        .call(&billing, "cards-page", &[])
        .await
        .json()
        .await
        .unwrap();
    let cards = cards["cards"].as_array().unwrap();
    let ours = cards
        .iter()
        .find(|c| c["id"] == card)
        .expect("the card is listed");
    assert_eq!(ours["last4"], "4242");
    for c in cards {
        assert_eq!(
            (c["exp_month"].as_i64(), c["exp_year"].as_i64()),
            (Some(0), Some(0)),
            "{c}"
        );
    }
    let (_, page) = portal.page(&billing, "/cards").await;
    assert!(
        page.contains("4242") && !page.contains("2031"),
        "no expiry shown to staff"
    );
    // Acting is let through access (the change itself is then checked: no such change here).
    let cancel = portal
        .call(&billing, "cancel-plan-change", &[("change_id", "999999")])
        .await;
    assert_eq!(error_code(cancel).await.0, 404);
    // Paying with the subscriber's saved card, or keeping a card, is never for staff.
    let saved = portal
        .call(
            &billing,
            "start-card-payment",
            &[
                ("amount", "10.00"),
                ("attempt", "assisted-attempt-0001"),
                ("saved_card", &card.to_string()),
            ],
        )
        .await;
    assert_eq!(error_code(saved).await, (403, "read_only".into()));
    let keep = portal
        .call(
            &billing,
            "start-card-payment",
            &[
                ("amount", "10.00"),
                ("attempt", "assisted-attempt-0002"),
                ("save", "true"),
            ],
        )
        .await;
    assert_eq!(error_code(keep).await, (403, "read_only".into()));
    let remove = portal
        .call(&billing, "remove-card", &[("card_id", &card.to_string())])
        .await;
    assert_eq!(error_code(remove).await, (403, "read_only".into()));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_view_ends_by_itself_when_its_time_is_up(pool: PgPool) {
    let portal = TestPortal::start_with(pool, |t| {
        t.config.support_view_ttl = std::time::Duration::from_secs(1);
    })
    .await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let rep = portal.staff_signed_in(REP_EMAIL).await;
    portal
        .call(
            &rep,
            "start-viewing",
            &[
                ("account_id", &alex.to_string()),
                ("reason", "Checking a usage question"),
            ],
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let page = rep.get(portal.url("/usage")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 303);
    assert_eq!(page.headers()["location"], "/staff?view_ended=1");
    let end_reason: Option<String> =
        sqlx::query_scalar("select end_reason from support_sessions where account_id = $1")
            .bind(alex)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(end_reason.as_deref(), Some("expired"));
    let viewed: i64 = count(
        &portal.pool,
        "select count(*) from audit_log where subject_account_id = $1 and action = 'support.viewed'",
        alex,
    )
    .await;
    assert_eq!(viewed, 0, "nothing was shown after the time was up");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_audit_log_and_support_sessions_cannot_be_rewritten(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let rep = portal.staff_signed_in(REP_EMAIL).await;
    portal
        .call(
            &rep,
            "start-viewing",
            &[
                ("account_id", &alex.to_string()),
                ("reason", "Audit immutability check"),
            ],
        )
        .await;
    for sql in [
        "update audit_log set action = 'nothing' where subject_account_id = $1",
        "delete from audit_log where subject_account_id = $1",
        "update support_sessions set reason = 'something else' where account_id = $1",
        "update support_sessions set expires_at = expires_at + interval '1 hour' where account_id = $1",
        "delete from support_sessions where account_id = $1",
    ] {
        let refused = sqlx::query(sql).bind(alex).execute(&portal.pool).await;
        assert!(refused.is_err(), "{sql} was allowed");
    }
    let truncate = sqlx::query("truncate audit_log cascade")
        .execute(&portal.pool)
        .await;
    assert!(truncate.is_err());
    // Ending is allowed once; a second end is refused.
    portal.call(&rep, "stop-viewing", &[]).await;
    let again =
        sqlx::query("update support_sessions set end_reason = 'expired' where account_id = $1")
            .bind(alex)
            .execute(&portal.pool)
            .await;
    assert!(again.is_err());
}

/// A six-digit code that is not the demo secret's for any step the server accepts now.
fn wrong_code() -> String {
    let now = chrono::Utc::now().timestamp();
    let near: Vec<String> = (-2..=2)
        .map(|step| app::server::staff::totp::code_at(DEMO_TOTP_SECRET, now + 30 * step))
        .collect();
    (0..10)
        .map(|d| d.to_string().repeat(6))
        .find(|code| !near.contains(code))
        .unwrap()
}

/// Counts how many of `statuses` are `status`.
fn how_many(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_passwords_and_codes_sent_at_once_are_checked_at_most_five_times(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let post = |browser: &reqwest::Client, endpoint: &str, form: Vec<(&'static str, String)>| {
        browser
            .post(portal.url(&format!("/api/{endpoint}")))
            .header("origin", &portal.base)
            .header("accept", "application/json")
            .form(&form)
    };

    // Twelve wrong passwords for one staff member at once.
    let browser = portal.browser();
    let statuses = at_once(12, || {
        post(
            &browser,
            "staff-sign-in",
            vec![("email", REP_EMAIL.into()), ("password", "a guess".into())],
        )
    })
    .await;
    assert_eq!(
        (how_many(&statuses, 401), how_many(&statuses, 429)),
        (5, 7),
        "{statuses:?}"
    );

    // Twelve wrong codes at once after the right password.
    let browser = portal.browser();
    let ok = portal
        .call(
            &browser,
            "staff-sign-in",
            &[("email", BILLING_EMAIL), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(ok.status().as_u16(), 200);
    let code = wrong_code();
    let statuses = at_once(12, || {
        post(
            &browser,
            "staff-second-factor",
            vec![("code", code.clone())],
        )
    })
    .await;
    assert_eq!(
        (how_many(&statuses, 422), how_many(&statuses, 429)),
        (5, 7),
        "{statuses:?}"
    );
    // Locked: even the right code is not checked now.
    let right = portal
        .call(&browser, "staff-second-factor", &[("code", &code_now())])
        .await;
    assert_eq!(error_code(right).await, (429, "throttled".into()));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_staff_next_that_is_not_a_plain_console_path_goes_to_the_console_home(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let now = chrono::Utc::now().timestamp();
    for (step, (next, expected)) in [
        ("/staff/\n/evil.example", "/staff"),
        ("/staff/tickets?status=open", "/staff/tickets?status=open"),
    ]
    .into_iter()
    .enumerate()
    {
        let browser = portal.browser();
        portal
            .call(
                &browser,
                "staff-sign-in",
                &[("email", REP_EMAIL), ("password", PASSWORD)],
            )
            .await;
        // Each sign-in takes the next step's code (a code is accepted once).
        let code = app::server::staff::totp::code_at(DEMO_TOTP_SECRET, now + 30 * step as i64);
        let response = portal
            .call(
                &browser,
                "staff-second-factor",
                &[("code", &code), ("next", next)],
            )
            .await;
        assert_eq!(response.status().as_u16(), 200, "next = {next:?}");
        assert_eq!(response.headers()["location"], expected, "next = {next:?}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_audit_log_keeps_the_servers_request_id_and_the_clients_apart(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let rep = portal.staff_signed_in(REP_EMAIL).await;
    let statement: i64 = sqlx::query_scalar("select min(id) from statements where account_id = $1")
        .bind(alex)
        .fetch_one(&portal.pool)
        .await
        .unwrap();

    let pdf = rep
        .get(portal.url(&format!(
            "/staff/accounts/{alex}/statements/{statement}/pdf"
        )))
        .header("x-request-id", "attacker-chosen")
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status().as_u16(), 200);
    let answered = pdf.headers()["x-request-id"].to_str().unwrap().to_string();
    let (request_id, client_request_id): (Option<String>, Option<String>) = sqlx::query_as(
        "select request_id, client_request_id from audit_log where action = 'console.statement_pdf'",
    )
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let request_id = request_id.expect("a request id");
    assert_ne!(request_id, "attacker-chosen");
    assert!(uuid::Uuid::parse_str(&request_id).is_ok(), "{request_id}");
    assert_eq!(
        request_id, answered,
        "the id in the answer is the one logged"
    );
    assert_eq!(client_request_id.as_deref(), Some("attacker-chosen"));

    // Two views of the account sent with the same id are two entries, each with its own id.
    for _ in 0..2 {
        let response = rep
            .get(portal.url(&format!("/staff/accounts/{alex}")))
            .header("x-request-id", "attacker-chosen")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }
    let views: Vec<(String, Option<String>)> = sqlx::query_as(
        "select request_id, client_request_id from audit_log
          where action = 'console.account_viewed' and subject_account_id = $1 order by id",
    )
    .bind(alex)
    .fetch_all(&portal.pool)
    .await
    .unwrap();
    assert_eq!(views.len(), 2, "{views:?}");
    assert_ne!(views[0].0, views[1].0);
    assert!(views.iter().all(
        |(id, client)| id != "attacker-chosen" && client.as_deref() == Some("attacker-chosen")
    ));
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_secrets_are_stored_encrypted_and_one_kept_in_clear_from_before_still_works_until_sealed(
    pool: PgPool,
) {
    use app::server::staff::totp_keys::{reseal_all, TotpKeys};
    let portal = TestPortal::start(pool).await;
    let stored = |pool: PgPool| async move {
        sqlx::query_as::<_, (i64, Option<Vec<u8>>, Option<Vec<u8>>, Option<String>)>(
            "select id, totp_secret, totp_sealed, totp_key_id from staff_users where email = $1",
        )
        .bind(REP_EMAIL)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let (rep, clear, sealed, key_id) = stored(portal.pool.clone()).await;
    assert_eq!(clear, None, "the seed writes no secret in clear");
    assert_eq!(key_id.as_deref(), Some("test"));
    let sealed = sealed.unwrap();
    assert!(!sealed
        .windows(DEMO_TOTP_SECRET.len())
        .any(|w| w == DEMO_TOTP_SECRET));
    let keys = TotpKeys::for_tests();
    assert_eq!(keys.open(rep, "test", &sealed).unwrap(), DEMO_TOTP_SECRET);

    // As a row written before secrets were encrypted: readable, so the rep still signs in.
    sqlx::query("update staff_users set totp_secret = $2, totp_sealed = null, totp_key_id = null where id = $1")
        .bind(rep)
        .bind(DEMO_TOTP_SECRET)
        .execute(&portal.pool)
        .await
        .unwrap();
    portal.staff_signed_in(REP_EMAIL).await;
    // What start-up does: every secret is sealed under the current key, the clear one gone.
    let done = reseal_all(&portal.pool, &keys).await.unwrap();
    assert_eq!((done.from_clear, done.from_old_keys), (1, 0));
    assert!(done.unreadable.is_empty());
    let (_, clear, sealed, key_id) = stored(portal.pool.clone()).await;
    assert_eq!((clear, key_id.as_deref()), (None, Some("test")));
    assert_eq!(
        keys.open(rep, "test", &sealed.unwrap()).unwrap(),
        DEMO_TOTP_SECRET
    );
    portal.staff_signed_in(REP_EMAIL).await;
    let again = reseal_all(&portal.pool, &keys).await.unwrap();
    assert_eq!((again.from_clear, again.from_old_keys), (0, 0));
}

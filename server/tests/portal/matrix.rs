//! Who may call what: every server function and every page, called as each kind of caller,
//! with the answer each must get. A server function or page added without a row here fails
//! the test, so nobody can add one without deciding who may use it.
//!
//! Callers: nobody; subscriber A (Alex); subscriber B (Sam, sending A's ids); a support rep;
//! the rep viewing A as the subscriber; billing staff; an administrator.
//!
//! Expected answers, per caller: a status (`401`, `403`, `404`), `ok` (let through and
//! found: anything but 401, 403 and 404) or `in` (let through: anything but 401 and 403; the
//! ids sent may then find nothing).

use std::collections::BTreeSet;

use reqwest::Client;
use sqlx::PgPool;

use crate::helpers::*;

const CALLERS: [&str; 7] = ["nobody", "A", "B", "rep", "rep as A", "billing", "admin"];

/// What a subscriber's data reads get: the subscriber and staff viewing as them.
const READ: &str = "401 ok ok 401 ok 401 401";
/// A read of one of A's things by id: B finds nothing.
const READ_A: &str = "401 ok 404 401 ok 401 401";
/// Staff only.
const STAFF: &str = "401 401 401 ok ok ok ok";
/// Billing staff and administrators only.
const ADJUST: &str = "401 401 401 403 403 ok ok";
/// Administrators only (the `Integrations` right).
const ADMIN: &str = "401 401 401 403 403 403 ok";
/// Support reps and administrators (the `Network` right), in the console or while viewing.
const NETWORK: &str = "401 401 401 ok ok 403 ok";
/// The network right, with ids or fields that then find nothing or are refused.
const NETWORK_IN: &str = "401 401 401 in in 403 in";
/// Open to anyone (a form's own checks answer).
const OPEN: &str = "in in in in in in in";
/// Anyone's own choice, never staff's for the subscriber they view as.
const OWN_CHOICE: &str = "in in in in 403 in in";

pub(crate) struct Ids {
    account: i64,
    statement: i64,
    /// A charge on that statement.
    line: i64,
    payment: i64,
    service: i64,
    plan: i64,
    other_plan: i64,
    /// A key of the integration API.
    api_key: i64,
    /// A webhook subscription, and a delivery of it that has finished.
    webhook: i64,
    delivery: i64,
}

/// One row: a server function's endpoint, the form sent, the answer expected per caller.
pub(crate) type Row = (&'static str, Vec<(&'static str, String)>, &'static str);

/// Server functions. Rows that change who the caller is (starting and ending views, signing
/// out) come last, in that order.
pub(crate) fn server_functions(ids: &Ids) -> Vec<Row> {
    let id = |v: i64| v.to_string();
    let s = |v: &str| v.to_string();
    vec![
        // The subscriber's portal.
        ("me", vec![], READ),
        ("overview", vec![], READ),
        ("history", vec![], READ),
        ("statements", vec![], READ),
        ("statement", vec![("id", id(ids.statement))], READ_A),
        (
            "dispute-line",
            vec![
                ("statement_id", id(ids.statement)),
                ("line_id", id(ids.line)),
            ],
            READ_A,
        ),
        ("usage", vec![("offset", s("0"))], READ),
        ("plans-page", vec![], READ),
        (
            "plan-change-preview",
            vec![
                ("service_id", id(ids.service)),
                ("plan_id", id(ids.other_plan)),
            ],
            READ_A,
        ),
        ("pay-page", vec![], READ),
        ("payment-receipt", vec![("id", id(ids.payment))], READ_A),
        ("payments-needing-action", vec![], READ),
        ("cards-page", vec![], READ),
        ("support-tickets", vec![], READ),
        // A's seeded ticket (the demo's first).
        ("support-ticket", vec![("number", s("T-000001"))], READ_A),
        // Changes: the subscriber; a rep viewing as them is refused (read-only).
        (
            "change-plan",
            vec![
                ("service_id", id(ids.service)),
                ("plan_id", id(ids.other_plan)),
                ("seen_plan_id", id(ids.plan + 100_000)),
            ],
            "401 in 404 401 403 401 401",
        ),
        // A data add-on: the sequence number is not the next one, so the subscriber gets
        // 409 (or 422 on an unlimited plan) and nothing is bought; B finds no such service.
        (
            "buy-data-addon",
            vec![("service_id", id(ids.service)), ("seq", s("20"))],
            "401 in 404 401 403 401 401",
        ),
        (
            "cancel-plan-change",
            vec![("change_id", s("999999"))],
            "401 404 404 401 403 401 401",
        ),
        // Questioning a charge speaks for the subscriber: never staff (the amount is more
        // than the line here, so the subscriber gets 422 and nothing is opened).
        (
            "open-dispute",
            vec![
                ("statement_id", id(ids.statement)),
                ("line_id", id(ids.line)),
                ("amount", s("99999.00")),
                ("message", s("More than the line, so nothing is opened")),
            ],
            "401 in 404 401 403 401 401",
        ),
        (
            "start-card-payment",
            vec![
                ("amount", s("0.01")),
                ("attempt", s("matrix-attempt-000001")),
            ],
            "401 in in 401 403 401 401",
        ),
        (
            "finish-card-payment",
            vec![("payment_id", id(ids.payment))],
            "401 in 404 401 403 401 401",
        ),
        // The subscriber's own card details: never anyone else.
        ("start-card-setup", vec![], "401 in in 401 403 401 401"),
        (
            "finish-card-setup",
            vec![("setup_intent", s("seti_matrix"))],
            "401 in in 401 403 401 401",
        ),
        (
            "make-default-card",
            vec![("card_id", s("999999"))],
            "401 404 404 401 403 401 401",
        ),
        (
            "remove-card",
            vec![("card_id", s("999999"))],
            "401 404 404 401 403 401 401",
        ),
        (
            "set-autopay",
            vec![("on", s("false"))],
            "401 in in 401 403 401 401",
        ),
        // The connection's password: the subscriber alone, after their portal password
        // (staff use the console). B sending A's service finds nothing.
        (
            "reveal-connection-password",
            vec![
                ("service_id", id(ids.service)),
                ("current_password", s(PASSWORD)),
            ],
            "401 ok 404 401 403 401 401",
        ),
        (
            "change-connection-password",
            vec![
                ("service_id", id(ids.service)),
                ("current_password", s(PASSWORD)),
                ("new_password", s("Matrix-Pass-42")),
                ("confirm", s("Matrix-Pass-42")),
            ],
            "401 ok 404 401 403 401 401",
        ),
        // Support requests: the subscriber themselves writes them.
        (
            "open-ticket",
            vec![
                ("category", s("general")),
                ("subject", s("Matrix test")),
                ("message", s("Matrix test of access")),
            ],
            "401 ok ok 401 403 401 401",
        ),
        (
            "reply-ticket",
            vec![
                ("number", s("T-000001")),
                ("message", s("Matrix test reply")),
            ],
            "401 ok 404 401 403 401 401",
        ),
        // Pay by link: the signed token is the permission, whoever holds it.
        ("pay-link", vec![("token", s("forged"))], OPEN),
        (
            "pay-link-start",
            vec![
                ("token", s("forged")),
                ("attempt", s("matrix-attempt-000002")),
            ],
            OPEN,
        ),
        (
            "pay-link-finish",
            vec![("token", s("forged")), ("payment_id", s("1"))],
            OPEN,
        ),
        // Signing in and resetting a password.
        (
            "sign-in",
            vec![("identifier", s("")), ("password", s(""))],
            OPEN,
        ),
        (
            "request-password-reset",
            vec![("identifier", s("nobody@example.invalid"))],
            OPEN,
        ),
        // Sign-in security: the subscriber's own, never staff's for them; staff turn it off
        // for a subscriber who lost it (a login that does not exist here: not found). The
        // second step of signing in is `sign-in` with `step=code` (above: open).
        ("security-page", vec![], READ),
        (
            "authenticator",
            vec![("op", s("confirm")), ("code", s("123456"))],
            "401 in in 401 403 401 401",
        ),
        (
            "staff-reset-authenticator",
            vec![("account_id", id(ids.account)), ("login_id", s("999999"))],
            "401 401 401 in in in in",
        ),
        (
            "reset-password",
            vec![
                ("token", s("forged")),
                ("password", s("short")),
                ("confirm", s("short")),
            ],
            OPEN,
        ),
        (
            "staff-sign-in",
            vec![("email", s("")), ("password", s(""))],
            OPEN,
        ),
        // Only after a right staff password, in the same session.
        (
            "staff-second-factor",
            vec![("code", s("000000"))],
            "401 401 401 401 401 401 401",
        ),
        // The console.
        ("staff-me", vec![], STAFF),
        ("search-accounts", vec![("q", s("Morgan"))], STAFF),
        ("account-360", vec![("account_id", id(ids.account))], STAFF),
        (
            "add-note",
            vec![
                ("account_id", id(ids.account)),
                ("body", s("Matrix test note")),
            ],
            STAFF,
        ),
        (
            "log-interaction",
            vec![
                ("account_id", id(ids.account)),
                ("channel", s("call")),
                ("direction", s("inbound")),
                ("summary", s("Matrix test call")),
            ],
            STAFF,
        ),
        ("ticket-queue", vec![], STAFF),
        ("staff-ticket", vec![("number", s("T-000001"))], STAFF),
        (
            "staff-reply-ticket",
            vec![
                ("number", s("T-000001")),
                ("message", s("Matrix test answer")),
                ("status", s("pending")),
            ],
            STAFF,
        ),
        (
            "assign-ticket",
            vec![("number", s("T-000001")), ("to", s("me"))],
            STAFF,
        ),
        (
            "set-ticket-status",
            vec![("number", s("T-000001")), ("status", s("open"))],
            STAFF,
        ),
        // Any staff member decides a dispute (T-000001 is not one: found by nobody).
        (
            "accept-dispute",
            vec![("number", s("T-000001"))],
            "401 401 401 404 404 404 404",
        ),
        (
            "reject-dispute",
            vec![
                ("number", s("T-000001")),
                ("explanation", s("Matrix test explanation")),
            ],
            "401 401 401 404 404 404 404",
        ),
        // Adjustments: billing staff and administrators (a rep's role may not).
        ("adjust-page", vec![("account_id", id(ids.account))], ADJUST),
        (
            "request-adjustment",
            vec![
                ("account_id", id(ids.account)),
                ("direction", s("credit")),
                ("amount", s("1.00")),
                ("reason", s("x")),
            ],
            "401 401 401 403 403 in in",
        ),
        ("adjustments-queue", vec![], ADJUST),
        (
            "approve-adjustment",
            vec![("id", s("999999"))],
            "401 401 401 403 403 404 404",
        ),
        (
            "reject-adjustment",
            vec![("id", s("999999")), ("note", s("Matrix test"))],
            "401 401 401 403 403 404 404",
        ),
        // Connections in the console: support reps and administrators, not billing staff.
        (
            "staff-reveal-connection-password",
            vec![
                ("account_id", id(ids.account)),
                ("service_id", id(ids.service)),
            ],
            NETWORK,
        ),
        (
            "staff-reset-connection-password",
            vec![
                ("account_id", id(ids.account)),
                ("service_id", id(ids.service)),
            ],
            NETWORK,
        ),
        // A's service is a PPPoE one: let through, then refused beside the field.
        (
            "staff-set-ipoe-identifier",
            vec![
                ("account_id", id(ids.account)),
                ("service_id", id(ids.service)),
                ("identifier", s("matrix-olt-1/1/1")),
            ],
            "401 401 401 in in 403 in",
        ),
        // The integration API's keys: administrators only (a new token, then revoked).
        ("api-keys", vec![], ADMIN),
        // Outages: every staff member sees them; the network right declares and ends them
        // (a title too short, an outage that does not exist: refused after access).
        ("staff-outages", vec![], STAFF),
        (
            "declare-outage",
            vec![
                ("title", s("x")),
                ("message", s("Matrix outage")),
                ("scope_kind", s("area")),
                ("scope_value", s("974")),
            ],
            NETWORK_IN,
        ),
        ("end-outage", vec![("id", s("999999"))], NETWORK_IN),
        // Reconciliation: billing staff and administrators (a mismatch that does not exist:
        // refused after access).
        ("staff-reconciliation", vec![], ADJUST),
        // Reports: billing staff and administrators.
        ("staff-report", vec![("report", s("receivables"))], ADJUST),
        (
            "resolve-mismatch",
            vec![("id", s("999999")), ("note", s("Matrix"))],
            "401 401 401 403 403 in in",
        ),
        (
            "create-api-key",
            vec![
                ("integration", s("Matrix")),
                ("name", s("matrix")),
                ("scope_read", s("on")),
                ("money_limit", s("")),
                ("rate_per_minute", s("")),
            ],
            ADMIN,
        ),
        ("rotate-api-key", vec![("id", id(ids.api_key))], ADMIN),
        ("revoke-api-key", vec![("id", id(ids.api_key))], ADMIN),
        // Webhook subscriptions: administrators only (a secret shown once, then disabled).
        ("webhooks", vec![], ADMIN),
        (
            "create-webhook",
            vec![
                ("integration", s("CRM")),
                ("url", s("https://hooks.example.net/matrix")),
                ("events", s("all")),
            ],
            ADMIN,
        ),
        (
            "rotate-webhook-secret",
            vec![("id", id(ids.webhook))],
            ADMIN,
        ),
        (
            "replay-webhook-delivery",
            vec![("id", id(ids.delivery))],
            ADMIN,
        ),
        ("disable-webhook", vec![("id", id(ids.webhook))], ADMIN),
        // The language of the pages: the browser's for anyone, the login's for a subscriber.
        (
            "language",
            vec![("language", s("en")), ("next", s("/"))],
            OWN_CHOICE,
        ),
        // Changing who the caller is: last.
        (
            "start-viewing",
            vec![
                ("account_id", id(ids.account)),
                ("reason", s("Matrix test of access")),
            ],
            STAFF,
        ),
        ("stop-viewing", vec![], STAFF),
        ("sign-out", vec![], OPEN),
        ("staff-sign-out", vec![], OPEN),
    ]
}

/// Pages: (path pattern as routed, path requested, expected per caller). Subscriber pages
/// send strangers to sign in (303), console pages send non-staff to the staff sign-in.
pub(crate) fn pages(ids: &Ids) -> Vec<(&'static str, String, &'static str)> {
    const PORTAL: &str = "303 200 200 303 200 303 303";
    const CONSOLE: &str = "303 303 303 200 200 200 200";
    const PUBLIC: &str = "200 200 200 200 200 200 200";
    vec![
        ("/sign-in", "/sign-in".into(), PUBLIC),
        ("/forgot-password", "/forgot-password".into(), PUBLIC),
        (
            "/reset-password",
            "/reset-password?token=forged".into(),
            PUBLIC,
        ),
        // A forged pay link is not found, whoever asks.
        (
            "/pay/*",
            "/pay/forged".into(),
            "404 404 404 404 404 404 404",
        ),
        ("/staff/sign-in", "/staff/sign-in".into(), PUBLIC),
        ("/staff", "/staff?q=Morgan".into(), CONSOLE),
        (
            "/staff/accounts/*",
            format!("/staff/accounts/{}", ids.account),
            CONSOLE,
        ),
        ("/staff/tickets", "/staff/tickets".into(), CONSOLE),
        (
            "/staff/tickets/*",
            "/staff/tickets/T-000001".into(),
            CONSOLE,
        ),
        (
            "/staff/accounts/*/adjust",
            format!("/staff/accounts/{}/adjust", ids.account),
            "303 303 303 403 403 200 200",
        ),
        (
            "/staff/adjustments",
            "/staff/adjustments".into(),
            "303 303 303 403 403 200 200",
        ),
        (
            "/staff/integrations",
            "/staff/integrations".into(),
            "303 303 303 403 403 403 200",
        ),
        ("/staff/outages", "/staff/outages".into(), CONSOLE),
        (
            "/staff/reconciliation",
            "/staff/reconciliation".into(),
            "303 303 303 403 403 200 200",
        ),
        (
            "/staff/reports",
            "/staff/reports?report=collections".into(),
            "303 303 303 403 403 200 200",
        ),
        ("/security", "/security".into(), PORTAL),
        ("/", "/".into(), PORTAL),
        ("/usage", "/usage".into(), PORTAL),
        ("/statements", "/statements".into(), PORTAL),
        // B asking for A's statement gets the portal's "not found" page.
        (
            "/statements/*",
            format!("/statements/{}", ids.statement),
            "303 200 404 303 200 303 303",
        ),
        (
            "/statements/*/lines/*/dispute",
            format!("/statements/{}/lines/{}/dispute", ids.statement, ids.line),
            "303 200 404 303 200 303 303",
        ),
        ("/history", "/history".into(), PORTAL),
        ("/support", "/support".into(), PORTAL),
        // B asking for A's ticket: not found.
        (
            "/support/*",
            "/support/T-000001".into(),
            "303 200 404 303 200 303 303",
        ),
        ("/plans", "/plans".into(), PORTAL),
        (
            "/plans/*/*",
            format!("/plans/{}/{}", ids.service, ids.other_plan),
            "303 200 404 303 200 303 303",
        ),
        ("/pay", "/pay".into(), PORTAL),
        ("/cards", "/cards".into(), PORTAL),
        (
            "/payments/*",
            format!("/payments/{}", ids.payment),
            "303 200 404 303 200 303 303",
        ),
        // Downloads and hooks outside the page router.
        (
            "/usage.csv",
            "/usage.csv".into(),
            "401 200 200 401 200 401 401",
        ),
        (
            "/statements/*/pdf",
            format!("/statements/{}/pdf", ids.statement),
            "303 200 404 303 200 303 303",
        ),
        (
            "/staff/accounts/*/statements/*/pdf",
            format!(
                "/staff/accounts/{}/statements/{}/pdf",
                ids.account, ids.statement
            ),
            "303 303 303 200 200 200 200",
        ),
        (
            "/staff/reconciliation/*/csv",
            "/staff/reconciliation/999999/csv".into(),
            "303 303 303 403 403 404 404",
        ),
        (
            "/staff/reports/*/csv",
            "/staff/reports/card-payments/csv".into(),
            "303 303 303 403 403 200 200",
        ),
        ("/healthz", "/healthz".into(), PUBLIC),
        ("/readyz", "/readyz".into(), PUBLIC),
    ]
}

fn matches(expected: &str, status: u16) -> bool {
    match expected {
        "ok" => !matches!(status, 401 | 403 | 404),
        "in" => !matches!(status, 401 | 403),
        code => code.parse::<u16>().ok() == Some(status),
    }
}

pub(crate) async fn ids(portal: &TestPortal) -> Ids {
    let account = portal.account_id(ALEX_NUMBER).await;
    let one = |sql: &'static str| {
        let pool = portal.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(account)
                .fetch_one(&pool)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        }
    };
    let statement = one("select max(id) from statements where account_id = $1").await;
    let payment = one("select max(id) from payments where account_id = $1").await;
    let line: i64 = sqlx::query_scalar(
        "select max(id) from statement_lines where statement_id = $1 and amount > 0",
    )
    .bind(statement)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let (service, plan): (i64, i64) =
        sqlx::query_as("select id, plan_id from services where account_id = $1 and status = 'active' order by id limit 1")
            .bind(account)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    // A's service gets connection credentials (whether or not the demo data made some).
    sqlx::query(
        "insert into network_credentials (service_id, account_id, kind, username, password)
         values ($1, $2, 'pppoe', 'matrix-' || $1, 'Matrix-Start-1')
         on conflict (service_id) do update set kind = 'pppoe', password = 'Matrix-Start-1'",
    )
    .bind(service)
    .bind(account)
    .execute(&portal.pool)
    .await
    .unwrap();
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let offers: serde_json::Value = portal
        .call(&alex, "plans-page", &[])
        .await
        .json()
        .await
        .unwrap();
    let other_plan = offers["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service_id"] == service)
        .and_then(|s| s["available"][0]["id"].as_i64())
        .expect("A's service has another plan on offer");
    let api_key = engine::integrations::create_key(
        &mut portal.pool.acquire().await.unwrap(),
        &engine::integrations::NewKey {
            integration: "CRM".into(),
            name: "matrix-rotated".into(),
            scopes: vec![engine::integrations::Scope::Read],
            money_limit: None,
            rate_per_minute: 600,
            created_by_staff: None,
        },
    )
    .await
    .unwrap()
    .id;
    let keys = app::server::staff::totp_keys::TotpKeys::for_tests();
    let webhook = engine::webhooks::create_subscription(
        &mut portal.pool.acquire().await.unwrap(),
        &engine::webhooks::NewSubscription {
            integration: "CRM".into(),
            url: "https://hooks.example.net/matrix-existing".into(),
            event_types: vec!["account.updated".into()],
            created_by_staff: None,
            allow_http: false,
        },
        &app::server::staff::integrations::webhook_sealer(&keys),
    )
    .await
    .unwrap()
    .id;
    sqlx::query("update accounts set display_name = display_name || ' (matrix)' where id = $1")
        .bind(account)
        .execute(&portal.pool)
        .await
        .unwrap();
    let delivery: i64 = sqlx::query_scalar(
        "update webhook_deliveries set state = 'delivered', finished_at = now()
          where subscription_id = $1 returning id",
    )
    .bind(webhook)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    Ids {
        account,
        statement,
        line,
        payment,
        service,
        plan,
        other_plan,
        api_key,
        webhook,
        delivery,
    }
}

/// A browser for each kind of caller, in the order of [`CALLERS`].
async fn callers(portal: &TestPortal, account: i64) -> Vec<Client> {
    let rep_as_a = portal.staff_signed_in(REP_EMAIL).await;
    let started = portal
        .call(
            &rep_as_a,
            "start-viewing",
            &[
                ("account_id", &account.to_string()),
                ("reason", "Matrix test of access"),
            ],
        )
        .await;
    assert!(started.status().is_success(), "{}", started.status());
    vec![
        portal.browser(),
        portal.signed_in(ALEX_EMAIL).await,
        portal.signed_in(SAM_EMAIL).await,
        portal.staff_signed_in(REP_EMAIL).await,
        rep_as_a,
        portal.staff_signed_in(BILLING_EMAIL).await,
        portal.staff_signed_in(ADMIN_EMAIL).await,
    ]
}

#[sqlx::test(migrations = "../migrations")]
async fn every_server_function_answers_each_kind_of_caller_as_decided(pool: PgPool) {
    let portal = TestPortal::start_with(pool, |t| t.config.billing.stripe = Some(stripe())).await;
    let ids = ids(&portal).await;
    let rows = server_functions(&ids);

    // Every registered server function has a row, and every row a server function.
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_string())
        .collect();
    let listed: BTreeSet<String> = rows.iter().map(|(e, _, _)| e.to_string()).collect();
    assert_eq!(
        registered.difference(&listed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "server functions without a row in the access matrix: decide who may call them"
    );
    assert_eq!(
        listed.difference(&registered).collect::<Vec<_>>(),
        Vec::<&String>::new()
    );

    let browsers = callers(&portal, ids.account).await;
    let mut wrong = Vec::new();
    for (endpoint, form, expected) in &rows {
        let expected: Vec<&str> = expected.split_whitespace().collect();
        assert_eq!(expected.len(), CALLERS.len(), "{endpoint}");
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for (i, browser) in browsers.iter().enumerate() {
            let status = portal
                .call(browser, endpoint, &form)
                .await
                .status()
                .as_u16();
            if !matches(expected[i], status) {
                wrong.push(format!(
                    "{endpoint} as {}: {status}, expected {}",
                    CALLERS[i], expected[i]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[sqlx::test(migrations = "../migrations")]
async fn every_page_answers_each_kind_of_caller_as_decided(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let ids = ids(&portal).await;
    let rows = pages(&ids);

    // Every page the router knows has a row.
    let routed: BTreeSet<String> = leptos_axum::generate_route_list(app::App)
        .iter()
        .map(|route| {
            route
                .path()
                .split('/')
                .map(|seg| {
                    if seg.starts_with(':') || seg.starts_with('{') {
                        "*"
                    } else {
                        seg
                    }
                })
                .collect::<Vec<_>>()
                .join("/")
        })
        .map(|p| if p.is_empty() { "/".to_string() } else { p })
        .collect();
    let listed: BTreeSet<String> = rows.iter().map(|(p, _, _)| p.to_string()).collect();
    assert_eq!(
        routed.difference(&listed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "pages without a row in the access matrix"
    );

    let browsers = callers(&portal, ids.account).await;
    let mut wrong = Vec::new();
    for (_, path, expected) in &rows {
        let expected: Vec<&str> = expected.split_whitespace().collect();
        for (i, browser) in browsers.iter().enumerate() {
            let status = browser
                .get(portal.url(path))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            if !matches(expected[i], status) {
                wrong.push(format!(
                    "{path} as {}: {status}, expected {}",
                    CALLERS[i], expected[i]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

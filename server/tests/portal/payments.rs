//! Card payments over HTTP, against localstripe: who may pay and see what, amounts within
//! the limits, one payment for one attempt however often it is sent, pay links that refuse
//! to open when forged or expired.

use std::time::Duration;

use engine::cards::pay_link::PayLinks;
use sqlx::PgPool;

use crate::helpers::*;

const LINK_SECRET: &[u8] = b"pay-link-secret-for-tests-0123456789";

async fn portal(pool: PgPool) -> TestPortal {
    TestPortal::start_with(pool, |t| {
        t.config.billing.stripe = Some(stripe());
        t.config.billing.pay_links = Some(PayLinks {
            secret: LINK_SECRET.to_vec(),
            ttl: Duration::from_secs(3600),
        });
    })
    .await
}

/// A card saved for the account, made and attached at localstripe as Stripe.js and the
/// SetupIntent would.
pub(crate) async fn saved_card(portal: &TestPortal, account_id: i64, number: &str) -> i64 {
    let customer = engine::cards::payments::ensure_customer(&portal.pool, &stripe(), account_id)
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let method: serde_json::Value = http
        .post(format!("{}/v1/payment_methods", stripe_url()))
        .basic_auth("sk_test_payments", Some(""))
        .form(&[
            ("type", "card"),
            ("card[number]", number),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2030"),
            ("card[cvc]", "123"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pm = method["id"].as_str().unwrap().to_string();
    let attached = http
        .post(format!("{}/v1/payment_methods/{pm}/attach", stripe_url()))
        .basic_auth("sk_test_payments", Some(""))
        .form(&[("customer", customer.as_str())])
        .send()
        .await
        .unwrap();
    assert!(
        attached.status().is_success(),
        "attach: {}",
        attached.status()
    );
    sqlx::query_scalar(
        "insert into payment_methods (account_id, stripe_payment_method_id, brand, last4, exp_month,
                                      exp_year, is_default)
         values ($1, $2, 'visa', $3, 12, 2030, false) returning id",
    )
    .bind(account_id)
    .bind(&pm)
    .bind(&number[12..])
    .fetch_one(&portal.pool)
    .await
    .unwrap()
}

async fn balance(portal: &TestPortal, account_id: i64) -> rust_decimal::Decimal {
    sqlx::query_scalar("select coalesce(sum(amount), 0) from ledger_entries where account_id = $1")
        .bind(account_id)
        .fetch_one(&portal.pool)
        .await
        .unwrap()
}

/// Makes the statement open and owing (40.00 on the account) if the seed, which follows
/// today's date, left it paid: a charge posted as though the statement had shown it.
async fn owing(portal: &TestPortal, account_id: i64, statement_id: i64, status: &str) {
    let owed = balance(portal, account_id).await;
    if status == "open" && owed > rust_decimal::Decimal::ONE {
        return;
    }
    let top_up = rust_decimal::Decimal::new(4000, 2) - owed;
    if top_up > rust_decimal::Decimal::ZERO {
        sqlx::query(
            "insert into ledger_entries (account_id, currency, kind, amount, description, effective_on, statement_id)
             select id, currency, 'adjustment', $2, 'Test adjustment', current_date, $3
               from accounts where id = $1",
        )
        .bind(account_id)
        .bind(top_up)
        .bind(statement_id)
        .execute(&portal.pool)
        .await
        .unwrap();
    }
    sqlx::query("update statements set status = 'open', paid_at = null where id = $1")
        .bind(statement_id)
        .execute(&portal.pool)
        .await
        .unwrap();
}

/// An amount as the server sends it (`{"amount": "12.34", "currency": "USD"}`).
fn amount_of(money: &serde_json::Value) -> rust_decimal::Decimal {
    money["amount"].as_str().unwrap().parse().unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn paying_needs_a_signed_in_subscriber(pool: PgPool) {
    let portal = portal(pool).await;
    let stranger = portal.browser();

    let response = portal
        .call(
            &stranger,
            "start-card-payment",
            &[("amount", "10.00"), ("attempt", "attempt-signed-out-0001")],
        )
        .await;
    assert_eq!(error_code(response).await, (401, "unauthenticated".into()));
    let response = portal.call(&stranger, "pay-page", &[]).await;
    assert_eq!(response.status().as_u16(), 401);

    for page in ["/pay", "/cards", "/payments/1"] {
        let response = stranger.get(portal.url(page)).send().await.unwrap();
        assert!(
            response.status().is_redirection(),
            "{page}: {}",
            response.status()
        );
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with("/sign-in?next="), "{page}: {location}");
    }
    let count: i64 = sqlx::query_scalar("select count(*) from payments where source is not null")
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn another_accounts_payments_and_cards_are_not_found(pool: PgPool) {
    let portal = portal(pool).await;
    let sam = portal.account_id(SAM_NUMBER).await;
    let sam_card: i64 = sqlx::query_scalar(
        "insert into payment_methods (account_id, stripe_payment_method_id, brand, last4, exp_month,
                                      exp_year, is_default)
         values ($1, 'pm_sams_card_0001', 'visa', '4444', 11, 2031, false) returning id",
    )
    .bind(sam)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let sam_payment: i64 = sqlx::query_scalar(
        "insert into payments (account_id, currency, amount, method, status, idempotency_key, source,
                               card_brand, card_last4)
         select id, currency, 61.23, 'card', 'requires_action', 'card:sams-payment-0000001', 'autopay',
                'visa', '4444'
           from accounts where id = $1 returning id",
    )
    .bind(sam)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let payment = sam_payment.to_string();
    let card = sam_card.to_string();

    for (endpoint, form) in [
        ("payment-receipt", vec![("id", payment.as_str())]),
        (
            "finish-card-payment",
            vec![("payment_id", payment.as_str())],
        ),
        ("make-default-card", vec![("card_id", card.as_str())]),
        ("remove-card", vec![("card_id", card.as_str())]),
        (
            "start-card-payment",
            vec![
                ("amount", "10.00"),
                ("attempt", "attempt-with-sams-card-01"),
                ("saved_card", card.as_str()),
            ],
        ),
    ] {
        let response = portal.call(&alex, endpoint, &form).await;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, 404, "{endpoint}: {body}");
        assert!(
            !body.contains("4444") && !body.contains("61.23") && !body.contains(SAM_NUMBER),
            "{endpoint}: {body}"
        );
    }
    let (status, html) = portal
        .page(&alex, &format!("/payments/{sam_payment}"))
        .await;
    assert_eq!(status, 404);
    assert!(html.contains("data-code=\"not_found\""));
    assert!(!html.contains("4444") && !html.contains("61.23"));

    // Sam's card is untouched and no payment of Alex's was started with it.
    let (removed, default): (Option<chrono::DateTime<chrono::Utc>>, bool) =
        sqlx::query_as("select removed_at, is_default from payment_methods where id = $1")
            .bind(sam_card)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert!(
        removed.is_none() && !default,
        "not removed, not made default"
    );
    let alex_id = portal.account_id(ALEX_NUMBER).await;
    let started: i64 = sqlx::query_scalar(
        "select count(*) from payments where account_id = $1 and source is not null",
    )
    .bind(alex_id)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(started, 0);
    // And the overview notice shows only the caller's own payments waiting for the bank.
    let response = portal.call(&alex, "payments-needing-action", &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    let waiting: serde_json::Value = response.json().await.unwrap();
    assert_eq!(waiting.as_array().unwrap().len(), 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_amount_outside_the_limits_is_refused_beside_the_amount_field(pool: PgPool) {
    let portal = portal(pool).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    for (amount, words) in [
        ("0.50", "between $1.00 and $5,000.00"),
        ("5000.01", "between $1.00 and $5,000.00"),
        ("-20", "between $1.00 and $5,000.00"),
        ("12.345", "USD amounts have at most 2 decimal places."),
        ("twelve", "Enter the amount in figures, like 1,234.50."),
        ("", "Enter an amount, like 1,234.50."),
    ] {
        let response = portal
            .call(
                &alex,
                "start-card-payment",
                &[("amount", amount), ("attempt", "attempt-out-of-limits-01")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422, "{amount:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "invalid_input", "{amount:?}");
        assert_eq!(body["field"], "amount", "{amount:?}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(words), "{amount:?}: {message}");
    }
    let count: i64 = sqlx::query_scalar("select count(*) from payments where source is not null")
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing is started for a refused amount");
}

#[sqlx::test(migrations = "../migrations")]
async fn two_requests_with_one_attempt_key_at_once_make_one_payment_and_one_charge(pool: PgPool) {
    let portal = portal(pool).await;
    let alex_id = portal.account_id(ALEX_NUMBER).await;
    let card = saved_card(&portal, alex_id, "4242424242424242").await;
    // The account's statements go to a billing contact; the receipt goes to whoever paid.
    sqlx::query(
        "insert into people (account_id, role, first_name, last_name, email)
         values ($1, 'billing', 'Bill', 'Ing', 'accounts@alex-household.example.net')",
    )
    .bind(alex_id)
    .execute(&portal.pool)
    .await
    .unwrap();
    let before = balance(&portal, alex_id).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let card = card.to_string();
    let form = [
        ("amount", "23.45"),
        ("attempt", "double-click-attempt-0001"),
        ("saved_card", card.as_str()),
    ];

    let (first, second) = tokio::join!(
        portal.call(&alex, "start-card-payment", &form),
        portal.call(&alex, "start-card-payment", &form)
    );
    let mut answers = Vec::new();
    for response in [first, second] {
        assert_eq!(response.status().as_u16(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        answers.push(body);
    }
    assert_eq!(answers[0]["payment_id"], answers[1]["payment_id"]);
    // A third try (a retried request after both) finds the same payment too.
    let third: serde_json::Value = portal
        .call(&alex, "start-card-payment", &form)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(third["payment_id"], answers[0]["payment_id"]);
    assert_eq!(third["state"], "succeeded");

    let rows: Vec<(i64, Option<String>, String)> = sqlx::query_as(
        "select id, stripe_payment_intent_id, status from payments where idempotency_key = $1",
    )
    .bind("card:double-click-attempt-0001")
    .fetch_all(&portal.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "one payment row");
    assert!(
        rows[0].1.as_deref().unwrap_or("").starts_with("pi_"),
        "one PaymentIntent"
    );
    assert_eq!(rows[0].2, "succeeded");
    let intents: i64 = sqlx::query_scalar(
        "select count(distinct stripe_payment_intent_id) from payments where account_id = $1",
    )
    .bind(alex_id)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(intents, 1);
    let entries: i64 =
        sqlx::query_scalar("select count(*) from ledger_entries where payment_id = $1")
            .bind(rows[0].0)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(entries, 1, "the ledger records the payment once");
    assert_eq!(
        balance(&portal, alex_id).await,
        before - rust_decimal::Decimal::new(2345, 2)
    );

    // The receipt email went once, to Alex, who paid.
    let receipts: Vec<String> = sqlx::query_scalar(
        "select to_address::text from outbound_emails where account_id = $1 and kind = 'payment_receipt'",
    )
    .bind(alex_id)
    .fetch_all(&portal.pool)
    .await
    .unwrap();
    assert_eq!(receipts, vec![ALEX_EMAIL.to_string()]);

    // The receipt is Alex's, in words.
    let (status, html) = portal
        .page(&alex, &format!("/payments/{}", rows[0].0))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        testid_text(&html, "receipt-amount").as_deref(),
        Some("$23.45")
    );
    assert_eq!(testid_text(&html, "receipt-state").as_deref(), Some("Paid"));
    assert_eq!(
        testid_text(&html, "receipt-reference"),
        Some(format!("P-{}", rows[0].0))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_forged_or_expired_pay_link_is_refused_and_reveals_nothing(pool: PgPool) {
    let portal = portal(pool).await;
    let sam = portal.account_id(SAM_NUMBER).await;
    let (statement_id, number): (i64, String) = sqlx::query_as(
        "select id, statement_number from statements where account_id = $1
          order by period_start desc limit 1",
    )
    .bind(sam)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let display_name: String =
        sqlx::query_scalar("select display_name from accounts where id = $1")
            .bind(sam)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    let now = chrono::Utc::now();
    let stranger = portal.browser();

    let expired =
        engine::cards::pay_link::sign(LINK_SECRET, statement_id, now - chrono::Duration::hours(1));
    let forged = engine::cards::pay_link::sign(
        b"not-the-servers-secret-0123456789abcdef",
        statement_id,
        now + chrono::Duration::hours(1),
    );
    let valid =
        engine::cards::pay_link::sign(LINK_SECRET, statement_id, now + chrono::Duration::hours(1));
    // The valid link's signature on another statement.
    let (_, rest) = valid.split_once('.').unwrap();
    let moved = format!("{}.{rest}", statement_id + 1);

    for (token, status, code) in [
        (expired.as_str(), 410, "expired"),
        (forged.as_str(), 404, "invalid"),
        (moved.as_str(), 404, "invalid"),
        ("not-a-token", 404, "invalid"),
    ] {
        let (got, html) = portal.page(&stranger, &format!("/pay/{token}")).await;
        assert_eq!(got, status, "{token}");
        assert!(html.contains(&format!("data-code=\"{code}\"")), "{token}");
        assert!(html.contains("href=\"/sign-in"), "offers sign-in");
        for secret in [
            number.as_str(),
            SAM_NUMBER,
            display_name.as_str(),
            SAM_EMAIL,
        ] {
            assert!(!html.contains(secret), "{token} shows {secret}");
        }
        for endpoint in ["pay-link-start", "pay-link-finish"] {
            let response = portal
                .call(
                    &stranger,
                    endpoint,
                    &[
                        ("token", token),
                        ("attempt", "pay-link-attempt-000001"),
                        ("payment_id", "1"),
                    ],
                )
                .await;
            let got = response.status().as_u16();
            let body = response.text().await.unwrap();
            assert_eq!(got, 404, "{endpoint} {token}: {body}");
            assert!(
                !body.contains(&number) && !body.contains(SAM_NUMBER),
                "{body}"
            );
        }
    }
    let started: i64 =
        sqlx::query_scalar("select count(*) from payments where source = 'pay_link'")
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(started, 0);

    // The real link opens without signing in and shows the statement, not the account.
    let (got, html) = portal.page(&stranger, &format!("/pay/{valid}")).await;
    assert_eq!(got, 200);
    assert_eq!(
        testid_text(&html, "link-statement").as_deref(),
        Some(number.as_str())
    );
    assert_eq!(
        testid_text(&html, "provider-name").as_deref(),
        Some("Lastmile Broadband")
    );
    // (The statement number itself carries the account number; nothing else does.)
    let without_number = html.replace(&number, "");
    assert!(!without_number.contains(SAM_NUMBER), "account number shown");
    assert!(
        !html.contains(&display_name) && !html.contains(SAM_EMAIL),
        "name or email shown"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_pay_link_pays_its_statement_with_a_new_card_once(pool: PgPool) {
    let portal = portal(pool).await;
    let sam = portal.account_id(SAM_NUMBER).await;
    // An open statement of Sam's owing 40.00.
    let statement_id: i64 = sqlx::query_scalar(
        "select id from statements where account_id = $1 order by period_start desc limit 1",
    )
    .bind(sam)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let status: String = sqlx::query_scalar("select status from statements where id = $1")
        .bind(statement_id)
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    owing(&portal, sam, statement_id, &status).await;
    let token = engine::cards::pay_link::sign(
        LINK_SECRET,
        statement_id,
        chrono::Utc::now() + chrono::Duration::hours(1),
    );
    let stranger = portal.browser();
    let cards_before: i64 =
        sqlx::query_scalar("select count(*) from payment_methods where account_id = $1")
            .bind(sam)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    let started: serde_json::Value = portal
        .call(
            &stranger,
            "pay-link-start",
            &[("token", &token), ("attempt", "pay-link-attempt-000001")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(started["state"], "pending", "{started}");
    let secret = started["client_secret"].as_str().unwrap();
    let intent = secret.split("_secret_").next().unwrap();
    // What Stripe.js does with the typed card: confirms the payment's PaymentIntent.
    let confirmed = reqwest::Client::new()
        .post(format!(
            "{}/v1/payment_intents/{intent}/confirm",
            stripe_url()
        ))
        .form(&[
            ("key", "pk_test_payments"),
            ("client_secret", secret),
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][number]", "4242424242424242"),
            ("payment_method_data[card][exp_month]", "12"),
            ("payment_method_data[card][exp_year]", "2030"),
            ("payment_method_data[card][cvc]", "123"),
        ])
        .send()
        .await
        .unwrap();
    assert!(confirmed.status().is_success(), "{}", confirmed.status());
    let payment_id = started["payment_id"].as_i64().unwrap().to_string();
    let paid: serde_json::Value = portal
        .call(
            &stranger,
            "pay-link-finish",
            &[("token", &token), ("payment_id", &payment_id)],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paid["state"], "succeeded", "{paid}");
    let (source, login, statement): (String, Option<i64>, Option<i64>) = sqlx::query_as(
        "select source, requested_by_login, statement_id from payments where id = $1",
    )
    .bind(payment_id.parse::<i64>().unwrap())
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(
        (source.as_str(), login, statement),
        ("pay_link", None, Some(statement_id))
    );
    let entries: i64 = sqlx::query_scalar(
        "select count(*) from ledger_entries where payment_id = $1 and kind = 'payment'",
    )
    .bind(payment_id.parse::<i64>().unwrap())
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(entries, 1, "the ledger records the payment once");
    // The card was not saved, and the same link now says the statement is paid.
    let saved: i64 =
        sqlx::query_scalar("select count(*) from payment_methods where account_id = $1")
            .bind(sam)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(saved, cards_before);
    let again = portal
        .call(
            &stranger,
            "pay-link-start",
            &[("token", &token), ("attempt", "pay-link-attempt-000002")],
        )
        .await;
    assert_eq!(again.status().as_u16(), 409);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_pay_page_and_a_pay_link_never_ask_for_an_amount_under_dispute(pool: PgPool) {
    let portal = portal(pool).await;
    let sam = portal.account_id(SAM_NUMBER).await;
    let (statement_id, status): (i64, String) = sqlx::query_as(
        "select id, status from statements where account_id = $1 order by period_start desc limit 1",
    )
    .bind(sam)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    owing(&portal, sam, statement_id, &status).await;
    let subscriber = portal.signed_in(SAM_EMAIL).await;
    let token = engine::cards::pay_link::sign(
        LINK_SECRET,
        statement_id,
        chrono::Utc::now() + chrono::Duration::hours(1),
    );
    let stranger = portal.browser();
    let asked = || async {
        let page: serde_json::Value = portal
            .call(&subscriber, "pay-page", &[])
            .await
            .json()
            .await
            .unwrap();
        let link: serde_json::Value = portal
            .call(&stranger, "pay-link", &[("token", &token)])
            .await
            .json()
            .await
            .unwrap();
        (
            amount_of(&page["suggested"]),
            amount_of(&link["Ok"]["amount_due"]),
        )
    };
    let (page_before, link_before) = asked().await;
    assert!(link_before > rust_decimal::Decimal::ONE, "{link_before}");

    // Sam questions 1.00 of the statement's largest charge.
    let (line, login): (i64, i64) = sqlx::query_as(
        "select l.id, (select id from portal_logins where account_id = $2 and is_primary)
           from statement_lines l
          where l.statement_id = $1 and l.amount >= 1
            and l.kind in ('recurring', 'usage', 'one_time', 'tax')
          order by l.amount desc, l.id limit 1",
    )
    .bind(statement_id)
    .bind(sam)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    engine::disputes::open(
        &portal.pool,
        &engine::EngineConfig::default(),
        &engine::disputes::DisputeRequest {
            account_id: sam,
            statement_id,
            line_id: line,
            amount: rust_decimal::Decimal::ONE,
            message: "This charge looks higher than my plan.".into(),
            login_id: login,
        },
    )
    .await
    .unwrap();

    // Neither the pay page's suggestion nor the link asks for it any more.
    let (page_after, link_after) = asked().await;
    assert_eq!(page_after, page_before - rust_decimal::Decimal::ONE);
    assert_eq!(link_after, link_before - rust_decimal::Decimal::ONE);
    // And paying by the link takes only what is owed.
    let started: serde_json::Value = portal
        .call(
            &stranger,
            "pay-link-start",
            &[("token", &token), ("attempt", "pay-link-dispute-000001")],
        )
        .await
        .json()
        .await
        .unwrap();
    let payment_id = started["payment_id"].as_i64().unwrap();
    let amount: rust_decimal::Decimal =
        sqlx::query_scalar("select amount from payments where id = $1")
            .bind(payment_id)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(amount, link_after);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_typed_amount_is_read_the_way_the_accounts_locale_writes_it(pool: PgPool) {
    let portal = portal(pool).await;
    let alex_id = portal.account_id(ALEX_NUMBER).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let set_locale = |locale: &'static str| {
        let pool = portal.pool.clone();
        async move {
            sqlx::query("update accounts set locale = $2 where id = $1")
                .bind(alex_id)
                .bind(locale)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    // Starts a payment of the typed amount; the amount the payment was started for, or
    // the refusal shown beside the field.
    let pay = |amount: &'static str, attempt: &'static str| {
        let alex = &alex;
        let portal = &portal;
        async move {
            let response = portal
                .call(
                    alex,
                    "start-card-payment",
                    &[("amount", amount), ("attempt", attempt)],
                )
                .await;
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap();
            if status == 200 {
                let id = body["payment_id"].as_i64().unwrap();
                let amount: rust_decimal::Decimal =
                    sqlx::query_scalar("select amount from payments where id = $1")
                        .bind(id)
                        .fetch_one(&portal.pool)
                        .await
                        .unwrap();
                Ok(amount)
            } else {
                assert_eq!(
                    (status, &body["field"]),
                    (422, &serde_json::json!("amount"))
                );
                Err(body["message"].as_str().unwrap().to_string())
            }
        }
    };

    set_locale("en-US").await;
    assert_eq!(
        pay("1,250.00", "attempt-locale-en-000001").await,
        Ok(rust_decimal::Decimal::new(125000, 2))
    );
    assert_eq!(
        pay("$45.99", "attempt-locale-en-000002").await,
        Ok(rust_decimal::Decimal::new(4599, 2))
    );
    assert_eq!(
        pay("12,50", "attempt-locale-en-000003").await,
        Err("“12,50” could be read two ways. For 12.50, write the decimals after a point.".into())
    );
    assert_eq!(
        pay("12,5,0", "attempt-locale-en-000004").await,
        Err("“12,5,0” is not an amount we can read. Write it like 1,234.50.".into())
    );
    assert_eq!(
        pay("1.2.3", "attempt-locale-en-000005").await,
        Err("“1.2.3” is not an amount we can read. Write it like 1,234.50.".into())
    );

    // In German a comma is the decimal separator: "12,50" is 12.50, never 1,250.
    set_locale("de-DE").await;
    assert_eq!(
        pay("12,50", "attempt-locale-de-000001").await,
        Ok(rust_decimal::Decimal::new(1250, 2))
    );
    assert_eq!(
        pay("1.250,00", "attempt-locale-de-000002").await,
        Ok(rust_decimal::Decimal::new(125000, 2))
    );
    assert_eq!(
        pay("12.50", "attempt-locale-de-000003").await,
        Err("“12.50” could be read two ways. For 12,50, write the decimals after a comma.".into())
    );

    // The same reading on the form that questions a charge: "1,00" is one euro-style
    // hundredths figure, 1.00, not 100.
    let (statement_id, line_id): (i64, i64) = sqlx::query_as(
        "select s.id, l.id from statement_lines l join statements s on s.id = l.statement_id
          where s.account_id = $1 and s.status <> 'void' and l.amount >= 1
            and l.kind in ('recurring', 'usage', 'one_time', 'tax')
            and not exists (select 1 from tickets t where t.statement_line_id = l.id
                             and t.dispute_outcome is null)
          order by s.period_start desc, l.amount desc limit 1",
    )
    .bind(alex_id)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let response = portal
        .call(
            &alex,
            "open-dispute",
            &[
                ("statement_id", &statement_id.to_string()),
                ("line_id", &line_id.to_string()),
                ("amount", "1,00"),
                ("message", "I do not recognise this charge."),
            ],
        )
        .await;
    assert!(response.status().as_u16() < 400, "{}", response.status());
    let disputed: rust_decimal::Decimal = sqlx::query_scalar(
        "select disputed_amount from tickets where statement_line_id = $1 and dispute_outcome is null",
    )
    .bind(line_id)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(disputed, rust_decimal::Decimal::ONE);
}

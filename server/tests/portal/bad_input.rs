//! Bad input at scale: every argument of every server function (the access matrix's rows),
//! replaced in turn by generated values (empty, huge, numbers at and past their limits,
//! other types, control characters, markup, dates that do not exist) or left out, sent by a
//! subscriber and by an administrator. Each answer is a refusal that says what it is (4xx,
//! a JSON object) or a success; never a 5xx, never a dropped connection. The same values go
//! into every query parameter a page reads, on every page of the access matrix.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use sqlx::PgPool;

use crate::helpers::*;

/// Rows not sent here: signing in and out and starting a view change who the caller is
/// (and the throttle counts sign-ins); they have tests of their own.
const SKIPPED: [&str; 7] = [
    "sign-in",
    "staff-sign-in",
    "staff-second-factor",
    "start-viewing",
    "stop-viewing",
    "sign-out",
    "staff-sign-out",
];

/// Values a field should never be surprised by.
fn odd_values() -> Vec<String> {
    let mut values: Vec<String> = [
        "",
        " ",
        "0",
        "-1",
        "-0.01",
        "2147483648",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "1e309",
        "NaN",
        "0.001",
        "99999999999999999999.99",
        "1,000.00",
        "true",
        "null",
        "[1,2]",
        "{\"a\":1}",
        "2026-02-30",
        "0000-01-01",
        "../../etc/passwd",
        "'; drop table accounts; --",
        "<script>alert(1)</script>",
        "nul\u{0}byte",
        "\u{202e}right-to-left",
        "ünïcødé 🚀",
        "%00%ff",
        "\r\n\r\n",
    ]
    .map(String::from)
    .to_vec();
    values.push("x".repeat(10_000));
    values.push("9".repeat(400));
    values
}

#[sqlx::test(migrations = "../migrations")]
async fn no_server_function_answers_odd_arguments_with_a_5xx(pool: PgPool) {
    let portal = TestPortal::start_with(pool, |t| t.config.billing.stripe = Some(stripe())).await;
    let ids = crate::matrix::ids(&portal).await;
    let rows = crate::matrix::server_functions(&ids);
    let callers = [
        ("subscriber", portal.signed_in(ALEX_EMAIL).await),
        ("administrator", portal.staff_signed_in(ADMIN_EMAIL).await),
    ];
    let values = odd_values();
    // The same cases every run: a failure can be replayed.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
    let mut wrong = Vec::new();
    let mut sent = 0;
    for (endpoint, form, _) in rows.iter().filter(|(e, _, _)| !SKIPPED.contains(e)) {
        for field in 0..form.len() {
            // Each field: left out, and six odd values (the empty string always).
            let mut cases: Vec<Option<&String>> = vec![None, Some(&values[0])];
            cases.extend(values[1..].choose_multiple(&mut rng, 5).map(Some));
            for case in cases {
                let mut sending: Vec<(&str, &str)> = Vec::new();
                for (i, (name, value)) in form.iter().enumerate() {
                    match (i == field, case) {
                        (false, _) => sending.push((name, value)),
                        (true, Some(odd)) => sending.push((name, odd)),
                        (true, None) => {}
                    }
                }
                for (who, browser) in &callers {
                    sent += 1;
                    let shown = case.map_or("(left out)".to_string(), |v| {
                        format!("{:?}", v.chars().take(40).collect::<String>())
                    });
                    let response = match browser
                        .post(portal.url(&format!("/api/{endpoint}")))
                        .header("origin", &portal.base)
                        .header("accept", "application/json")
                        .form(&sending)
                        .send()
                        .await
                    {
                        Ok(response) => response,
                        Err(e) => {
                            wrong.push(format!(
                                "{endpoint} {} = {shown} as {who}: {e}",
                                form[field].0
                            ));
                            continue;
                        }
                    };
                    let status = response.status().as_u16();
                    let body = response.text().await.unwrap_or_default();
                    // A refusal says what it is: a JSON object (an error's code, or a page's
                    // own answer, such as a pay link's `{"Err": "invalid"}`).
                    let coded = serde_json::from_str::<serde_json::Value>(&body)
                        .is_ok_and(|v| v.is_object());
                    if status >= 500 || ((400..500).contains(&status) && !coded) {
                        wrong.push(format!(
                            "{endpoint} {} = {shown} as {who}: {status} {}",
                            form[field].0,
                            body.chars().take(200).collect::<String>()
                        ));
                    }
                }
            }
        }
    }
    assert!(sent > 1000, "only {sent} calls");
    assert!(
        wrong.is_empty(),
        "{} of {sent}:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Every query parameter a page or download reads, by name.
const QUERY_PARAMETERS: [&str; 32] = [
    "id",
    "saved",
    "token",
    "step",
    "status",
    "signed_out",
    "q",
    "number",
    "next",
    "mine",
    "error",
    "day",
    "addon",
    "view_ended",
    "to",
    "service",
    "sent",
    "run",
    "reset",
    "report",
    "plan",
    "line",
    "kind",
    "from",
    "expired",
    "ended",
    "decided",
    "cycle",
    "changed",
    "cancelled",
    "before",
    "authenticator_reset",
];

/// The full chain of a request error: reqwest's own message ("error sending request")
/// hides whether the connection was refused, reset or closed early.
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[sqlx::test(migrations = "../migrations")]
async fn no_page_answers_odd_query_parameters_with_a_5xx(pool: PgPool) {
    let portal = TestPortal::start_with(pool, |t| t.config.billing.stripe = Some(stripe())).await;
    let ids = crate::matrix::ids(&portal).await;
    let pages = crate::matrix::pages(&ids);
    let callers = [
        ("subscriber", portal.signed_in(ALEX_EMAIL).await),
        ("administrator", portal.staff_signed_in(ADMIN_EMAIL).await),
    ];
    let values = odd_values();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
    let (mut wrong, mut sent, mut resent) = (Vec::new(), 0, 0);
    for (_, path, _) in &pages {
        for name in QUERY_PARAMETERS {
            for value in values.choose_multiple(&mut rng, 2) {
                let mut url = reqwest::Url::parse(&portal.url(path)).unwrap();
                url.query_pairs_mut().append_pair(name, value);
                let shown = format!(
                    "{path} {name}={:?}",
                    value.chars().take(40).collect::<String>()
                );
                for (who, browser) in &callers {
                    sent += 1;
                    // A GET on a kept-alive connection that the server closed as it was
                    // reused fails before any answer; a browser sends it again, once, and so
                    // does this test. A second failure is the server's.
                    let response = match browser.get(url.clone()).send().await {
                        Ok(r) => Ok(r),
                        Err(first) => {
                            resent += 1;
                            eprintln!("{shown} as {who}: {}; sent again", chain(&first));
                            browser.get(url.clone()).send().await
                        }
                    };
                    let response = match response {
                        Ok(r) => r,
                        Err(e) => {
                            wrong.push(format!("{shown} as {who}: {}", chain(&e)));
                            continue;
                        }
                    };
                    let status = response.status().as_u16();
                    if status >= 500 {
                        let body = response.text().await.unwrap_or_default();
                        wrong.push(format!(
                            "{shown} as {who}: {status} {}",
                            body.chars().take(200).collect::<String>()
                        ));
                    }
                }
            }
        }
    }
    assert!(sent > 4000, "only {sent} requests");
    assert!(
        resent <= 3,
        "{resent} of {sent} requests failed to send at first"
    );
    assert!(
        wrong.is_empty(),
        "{} of {sent}:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

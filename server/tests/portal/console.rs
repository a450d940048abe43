//! The staff console's 360-degree view of an account, its notes and interactions: what it
//! shows (checked against the rows), what it writes (and audits), and who may use it.

use lastmile::seed::DEMO_STAFF;
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::helpers::*;

/// The demo's support rep and billing staff member.
const RILEY: &str = DEMO_STAFF[0].0;
const BAILEY: &str = DEMO_STAFF[1].0;

async fn staff_id(pool: &PgPool, email: &str) -> i64 {
    sqlx::query_scalar("select id from staff_users where email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Status, code and field of an error answer.
async fn refusal(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (
        status,
        body["code"].as_str().unwrap_or_default().to_string(),
        body["field"].as_str().unwrap_or_default().to_string(),
    )
}

async fn count(pool: &PgPool, sql: &str, account_id: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(account_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_360_view_of_an_account_shows_its_people_money_statements_and_usage(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let riley = portal.staff_signed_in(RILEY).await;

    let balance: Decimal =
        sqlx::query_scalar("select balance from account_balances where account_id = $1")
            .bind(alex)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    let latest_statement: String = sqlx::query_scalar(
        "select statement_number from statements where account_id = $1 order by period_start desc limit 1",
    )
    .bind(alex)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let owner: (String, String) = sqlx::query_as(
        "select first_name || ' ' || last_name, email::text from people where account_id = $1 and role = 'owner'",
    )
    .bind(alex)
    .fetch_one(&portal.pool)
    .await
    .unwrap();

    let (status, html) = portal
        .page(&riley, &format!("/staff/accounts/{alex}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        testid_text(&html, "account-number").as_deref(),
        Some(format!("Account {ALEX_NUMBER}").as_str())
    );
    assert_eq!(
        testid_text(&html, "account-name").as_deref(),
        Some("Alex Morgan")
    );
    assert_eq!(
        testid_text(&html, "balance-figure"),
        Some(dollars(balance)),
        "the balance is account_balances'"
    );
    assert!(
        html.contains(&format!("data-statement=\"{latest_statement}\"")),
        "{html}"
    );
    assert!(html.contains(&owner.0) && html.contains(&owner.1));
    // Tickets open in the console; a support rep is not offered adjustments.
    let tickets: Vec<String> =
        sqlx::query_scalar("select number from tickets where account_id = $1")
            .bind(alex)
            .fetch_all(&portal.pool)
            .await
            .unwrap();
    for number in tickets {
        assert!(html.contains(&format!("href=\"/staff/tickets/{number}\"")));
    }
    assert!(!html.contains("data-testid=\"adjust-link\""));
    for section in [
        "people",
        "addresses",
        "services",
        "balance",
        "ledger",
        "statements",
        "payments",
        "usage",
        "history",
        "tickets",
        "interactions",
        "notes",
        "view-as-form",
        "note-form",
        "interaction-form",
    ] {
        assert!(
            html.contains(&format!("data-testid=\"{section}\"")),
            "section {section} is on the page"
        );
    }
    // The three forms post to their server functions, for the account on the page.
    for endpoint in ["add-note", "log-interaction", "start-viewing"] {
        assert!(
            html.contains(&format!("action=\"/api/{endpoint}\"")),
            "{endpoint}"
        );
    }
    assert!(html.contains(&format!("name=\"account_id\" value=\"{alex}\"")));

    // Opening the view is audited: this staff member, this account.
    let riley_id = staff_id(&portal.pool, RILEY).await;
    let viewed: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'console.account_viewed'
            and actor_kind = 'staff' and actor_id = $1 and subject_account_id = $2",
    )
    .bind(riley_id)
    .bind(alex)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(viewed, 1);

    // The same view as data: lists cut to their lengths, figures as stored.
    let response = portal
        .call(&riley, "account-360", &[("account_id", &alex.to_string())])
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.unwrap();
    let view: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(view["account"]["account_number"], ALEX_NUMBER);
    assert_eq!(view["balance"]["amount"], balance.to_string());
    let statements = count(
        &portal.pool,
        "select count(*) from statements where account_id = $1",
        alex,
    )
    .await;
    assert_eq!(
        view["statements"].as_array().unwrap().len() as i64,
        statements.min(12)
    );
    assert_eq!(view["statements"][0]["number"], latest_statement.as_str());
    let entries = count(
        &portal.pool,
        "select count(*) from ledger_entries where account_id = $1",
        alex,
    )
    .await;
    assert_eq!(
        view["ledger"].as_array().unwrap().len() as i64,
        entries.min(20)
    );
    let payments = count(
        &portal.pool,
        "select count(*) from payments where account_id = $1",
        alex,
    )
    .await;
    assert_eq!(
        view["payments"].as_array().unwrap().len() as i64,
        payments.min(10)
    );
    let events = count(
        &portal.pool,
        "select count(*) from service_events where account_id = $1",
        alex,
    )
    .await;
    assert_eq!(
        view["history"].as_array().unwrap().len() as i64,
        events.min(20)
    );
    // Of a card, only its brand and last four digits ever leave the server.
    assert!(!body.contains("pm_") && !body.contains("exp_") && !body.contains("stripe"));

    // This cycle's usage is the sum of the account's daily rows over the period shown.
    let start = view["usage"]["period_start"].as_str().unwrap();
    let end = view["usage"]["period_end"].as_str().unwrap();
    let (download, upload): (i64, i64) = sqlx::query_as(
        "select coalesce(sum(download_bytes), 0)::bigint, coalesce(sum(upload_bytes), 0)::bigint
           from usage_daily u join services s on s.id = u.service_id
          where s.account_id = $1 and u.day >= $2::date and u.day < $3::date",
    )
    .bind(alex)
    .bind(start)
    .bind(end)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(view["usage"]["download_bytes"], download);
    assert_eq!(view["usage"]["upload_bytes"], upload);
    let today = chrono::Utc::now().date_naive();
    let (start, end) = (
        start.parse::<chrono::NaiveDate>().unwrap(),
        end.parse::<chrono::NaiveDate>().unwrap(),
    );
    assert!(start <= today + chrono::Days::new(1) && today < end + chrono::Days::new(1));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_note_added_is_shown_on_the_page_stored_with_its_author_and_audited(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let riley = portal.staff_signed_in(RILEY).await;
    let riley_id = staff_id(&portal.pool, RILEY).await;
    let body =
        "Asked why the November bill went up: explained the price change.\nFollow up Friday.";

    let response = portal
        .call(
            &riley,
            "add-note",
            &[
                ("account_id", &alex.to_string()),
                ("body", &format!("  {body}  ")),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["location"],
        format!("/staff/accounts/{alex}?saved=note#notes").as_str()
    );
    let note_id: i64 = response.json().await.unwrap();

    let (stored, author, account): (String, i64, i64) =
        sqlx::query_as("select body, staff_user_id, account_id from notes where id = $1")
            .bind(note_id)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(
        (stored.as_str(), author, account),
        (body, riley_id, alex),
        "stored trimmed"
    );
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'crm.note_added' and actor_kind = 'staff'
            and actor_id = $1 and subject_account_id = $2 and (detail->>'note_id')::bigint = $3",
    )
    .bind(riley_id)
    .bind(alex)
    .bind(note_id)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    let (_, html) = portal
        .page(&riley, &format!("/staff/accounts/{alex}?saved=note"))
        .await;
    assert_eq!(testid_text(&html, "saved").as_deref(), Some("Note added."));
    let notes = html.split("data-testid=\"notes\"").nth(1).unwrap();
    assert!(notes.contains(&format!("data-note=\"{note_id}\"")));
    assert!(notes.contains("Asked why the November bill went up"));
    assert!(notes.contains("Riley Chen"), "signed by its author");

    // Without the page's code, the form is a plain post that comes back to the account.
    let response = riley
        .post(portal.url("/api/add-note"))
        .header("origin", &portal.base)
        .header("accept", "text/html")
        .form(&[
            ("account_id", alex.to_string()),
            ("body", "Second note, no JavaScript.".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 302);
    assert_eq!(
        response.headers()["location"],
        format!("/staff/accounts/{alex}?saved=note#notes").as_str()
    );
    assert_eq!(
        count(
            &portal.pool,
            "select count(*) from notes where account_id = $1",
            alex
        )
        .await,
        2
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_interaction_with_one_of_the_accounts_people_is_logged_but_not_with_another_accounts(
    pool: PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let sam = portal.account_id(SAM_NUMBER).await;
    let bailey = portal.staff_signed_in(BAILEY).await;
    let bailey_id = staff_id(&portal.pool, BAILEY).await;
    let person_of = |account: i64| {
        let pool = portal.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "select id from people where account_id = $1 and role = 'owner'",
            )
            .bind(account)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (alex_owner, sam_owner) = (person_of(alex).await, person_of(sam).await);

    // Sam's owner is not a person of Alex's account: refused, nothing written.
    let response = portal
        .call(
            &bailey,
            "log-interaction",
            &[
                ("account_id", &alex.to_string()),
                ("channel", "call"),
                ("direction", "inbound"),
                ("summary", "Called about a late fee."),
                ("person_id", &sam_owner.to_string()),
            ],
        )
        .await;
    assert_eq!(
        refusal(response).await,
        (422, "invalid_input".into(), "person_id".into())
    );
    assert_eq!(
        count(
            &portal.pool,
            "select count(*) from interactions where account_id = $1",
            alex
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &portal.pool,
            "select count(*) from audit_log where subject_account_id = $1 and action = 'crm.interaction_logged'",
            alex
        )
        .await,
        0
    );

    let response = portal
        .call(
            &bailey,
            "log-interaction",
            &[
                ("account_id", &alex.to_string()),
                ("channel", "call"),
                ("direction", "inbound"),
                ("summary", "Called about a late fee; waived it."),
                ("person_id", &alex_owner.to_string()),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let id: i64 = response.json().await.unwrap();
    let row: (i64, Option<i64>, Option<i64>, String, String, String) = sqlx::query_as(
        "select account_id, person_id, staff_user_id, channel, direction, summary from interactions where id = $1",
    )
    .bind(id)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            alex,
            Some(alex_owner),
            Some(bailey_id),
            "call".into(),
            "inbound".into(),
            "Called about a late fee; waived it.".into()
        )
    );
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'crm.interaction_logged' and actor_id = $1
            and subject_account_id = $2 and (detail->>'interaction_id')::bigint = $3",
    )
    .bind(bailey_id)
    .bind(alex)
    .bind(id)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // "Nobody in particular" is an empty choice.
    let response = portal
        .call(
            &bailey,
            "log-interaction",
            &[
                ("account_id", &alex.to_string()),
                ("channel", "email"),
                ("direction", "outbound"),
                ("summary", "Sent the payment plan."),
                ("person_id", ""),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);

    let (_, html) = portal
        .page(
            &bailey,
            &format!("/staff/accounts/{alex}?saved=interaction"),
        )
        .await;
    assert_eq!(
        testid_text(&html, "saved").as_deref(),
        Some("Interaction logged.")
    );
    let interactions = html.split("data-testid=\"interactions\"").nth(1).unwrap();
    let newest = interactions.find("Sent the payment plan.").unwrap();
    let older = interactions
        .find("Called about a late fee; waived it.")
        .unwrap();
    assert!(newest < older, "newest first");
    assert!(interactions.contains("with Alex Morgan") && interactions.contains("by Bailey Okafor"));
    // Billing staff may adjust the balance: the page links to that form.
    assert!(html.contains(&format!(
        "href=\"/staff/accounts/{alex}/adjust\" data-testid=\"adjust-link\""
    )));
}

#[sqlx::test(migrations = "../migrations")]
async fn an_empty_note_or_an_unknown_channel_is_refused_naming_the_field(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let riley = portal.staff_signed_in(RILEY).await;
    let account = alex.to_string();

    let too_long = "x".repeat(10_001);
    // (endpoint, fields besides the account, the field refused)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 5] = [
        ("add-note", &[("body", "   ")], "body"),
        ("add-note", &[("body", &too_long)], "body"),
        (
            "log-interaction",
            &[
                ("channel", "fax"),
                ("direction", "inbound"),
                ("summary", "Sent a fax."),
            ],
            "channel",
        ),
        (
            "log-interaction",
            &[
                ("channel", "call"),
                ("direction", "upward"),
                ("summary", "Called."),
            ],
            "direction",
        ),
        (
            "log-interaction",
            &[
                ("channel", "chat"),
                ("direction", "inbound"),
                ("summary", ""),
            ],
            "summary",
        ),
    ];
    for (endpoint, fields, field) in cases {
        let mut form: Vec<(&str, &str)> = vec![("account_id", &account)];
        form.extend_from_slice(fields);
        let response = portal.call(&riley, endpoint, &form).await;
        assert_eq!(
            refusal(response).await,
            (422, "invalid_input".into(), field.into()),
            "{endpoint} {field}"
        );
    }
    for table in ["notes", "interactions"] {
        assert_eq!(
            count(
                &portal.pool,
                &format!("select count(*) from {table} where account_id = $1"),
                alex
            )
            .await,
            0,
            "{table}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn subscribers_and_signed_out_callers_cannot_open_the_view_or_write_notes(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.account_id(ALEX_NUMBER).await;
    let account = alex.to_string();
    let stranger = portal.browser();
    let subscriber = portal.signed_in(ALEX_EMAIL).await;

    for browser in [&stranger, &subscriber] {
        let response = portal
            .call(browser, "account-360", &[("account_id", &account)])
            .await;
        assert_eq!(error_code(response).await, (401, "unauthenticated".into()));
        let response = portal
            .call(
                browser,
                "add-note",
                &[("account_id", &account), ("body", "I should not be here.")],
            )
            .await;
        assert_eq!(error_code(response).await, (401, "unauthenticated".into()));
        let response = portal
            .call(
                browser,
                "log-interaction",
                &[
                    ("account_id", &account),
                    ("channel", "call"),
                    ("direction", "inbound"),
                    ("summary", "Nor here."),
                ],
            )
            .await;
        assert_eq!(error_code(response).await, (401, "unauthenticated".into()));
        // The page itself sends them to the staff sign-in.
        let response = browser
            .get(portal.url(&format!("/staff/accounts/{alex}")))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_redirection());
        assert!(response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/staff/sign-in"));
    }
    assert_eq!(
        count(&portal.pool, "select count(*) from notes where account_id = $1", alex).await
            + count(&portal.pool, "select count(*) from interactions where account_id = $1", alex)
                .await
            + count(
                &portal.pool,
                "select count(*) from audit_log where subject_account_id = $1 and action in ('console.account_viewed', 'crm.note_added', 'crm.interaction_logged')",
                alex
            )
            .await,
        0
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_account_that_does_not_exist_is_not_found(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let riley = portal.staff_signed_in(RILEY).await;
    let missing: i64 = sqlx::query_scalar("select coalesce(max(id), 0) + 1000 from accounts")
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    let missing = missing.to_string();

    let response = portal
        .call(&riley, "account-360", &[("account_id", &missing)])
        .await;
    assert_eq!(error_code(response).await, (404, "not_found".into()));
    let response = portal
        .call(
            &riley,
            "add-note",
            &[("account_id", &missing), ("body", "Hello?")],
        )
        .await;
    assert_eq!(error_code(response).await, (404, "not_found".into()));
    let response = portal
        .call(
            &riley,
            "log-interaction",
            &[
                ("account_id", &missing),
                ("channel", "call"),
                ("direction", "outbound"),
                ("summary", "Nobody there."),
            ],
        )
        .await;
    assert_eq!(error_code(response).await, (404, "not_found".into()));

    let (_, html) = portal
        .page(&riley, &format!("/staff/accounts/{missing}"))
        .await;
    assert!(html.contains("data-code=\"not_found\""), "{html}");
    let (_, html) = portal.page(&riley, "/staff/accounts/not-a-number").await;
    assert!(html.contains("data-code=\"not_found\""));
    let written: i64 = sqlx::query_scalar(
        "select (select count(*) from notes) + (select count(*) from interactions)
              + (select count(*) from audit_log
                  where action in ('console.account_viewed', 'crm.note_added', 'crm.interaction_logged'))",
    )
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(written, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_approvals_page_keeps_what_waits_apart_and_says_why_ones_own_request_waits(
    pool: PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.account_id(ALEX_NUMBER).await.to_string();
    let billing = portal.staff_signed_in(BILLING_EMAIL).await;
    let admin = portal.staff_signed_in(ADMIN_EMAIL).await;
    // Billing asks for two credits beyond its own limit (100.00): both wait.
    for reason in ["Goodwill for the long outage", "Duplicate charge in March"] {
        let response = portal
            .call(
                &billing,
                "request-adjustment",
                &[
                    ("account_id", alex.as_str()),
                    ("direction", "credit"),
                    ("amount", "150.00"),
                    ("reason", reason),
                ],
            )
            .await;
        assert!(response.status().is_success(), "{}", response.status());
    }
    let (rejected, requested_at): (i64, chrono::DateTime<chrono::Utc>) = sqlx::query_as(
        "select id, requested_at from adjustments where reason = 'Duplicate charge in March'",
    )
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let response = portal
        .call(
            &admin,
            "reject-adjustment",
            &[("id", &rejected.to_string()), ("note", "Not a duplicate")],
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());

    let (_, html) = portal.page(&billing, "/staff/adjustments").await;
    let decided_at = html
        .find("data-testid=\"approvals-decided\"")
        .expect("the decided ones, apart");
    let waiting = &html[..decided_at];
    let decided = &html[decided_at..];
    assert!(waiting.contains("Goodwill for the long outage"));
    assert!(
        !waiting.contains("Duplicate charge in March"),
        "a rejected one is not waiting"
    );
    assert!(decided.contains("Duplicate charge in March"));
    // Billing's own request says why billing cannot decide it.
    assert!(waiting.contains("data-testid=\"own-request\""));
    assert!(!waiting.contains("data-testid=\"approve-adjustment\""));
    // Times are the provider's (America/Chicago in the tests), as everywhere in the console.
    let local = requested_at
        .with_timezone(&chrono_tz::America::Chicago)
        .naive_local();
    let shown = app::i18n::Formats::new("en-US").datetime(local);
    assert!(decided.contains(&shown), "{shown} in {decided}");

    // The administrator, whose limit covers it, may decide the one left.
    let (_, html) = portal.page(&admin, "/staff/adjustments").await;
    assert!(html.contains("data-testid=\"approve-adjustment\""));
    assert!(!html.contains("data-testid=\"own-request\""));
}

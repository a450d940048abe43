//! Support tickets: a subscriber opens a request from the portal and staff answer it from
//! the console, with email both ways; nobody reads or answers another account's ticket; a
//! rep viewing as the subscriber reads but does not write; disputes are decided from the
//! console (rejected: the subscriber reads why; accepted: the amount is credited).

use reqwest::{Client, Response};
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::helpers::*;

/// Where the tests' portal announces tickets (`EngineConfig::default`).
const SUPPORT_INBOX: &str = "support@example.net";

/// Alex's ticket in the demo seed.
const ALEX_TICKET: &str = "T-000001";

/// Calls a server function and insists it worked.
async fn ok(
    portal: &TestPortal,
    browser: &Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> Response {
    let response = portal.call(browser, endpoint, form).await;
    assert!(
        response.status().is_success(),
        "{endpoint}: {}",
        response.status()
    );
    response
}

/// Status, code and field of an error answer.
async fn refusal(response: Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (
        status,
        body["code"].as_str().unwrap_or_default().to_string(),
        body["field"].as_str().unwrap_or_default().to_string(),
    )
}

/// One value of a one-parameter query (the parameter is sent as text: cast it in the SQL).
async fn scalar<T>(pool: &PgPool, sql: &str, bind: impl ToString) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    sqlx::query_scalar(sql)
        .bind(bind.to_string())
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn status_of(pool: &PgPool, number: &str) -> String {
    scalar(pool, "select status from tickets where number = $1", number).await
}

async fn messages_of(pool: &PgPool, number: &str) -> i64 {
    scalar(
        pool,
        "select count(*) from ticket_messages m join tickets t on t.id = m.ticket_id where t.number = $1",
        number,
    )
    .await
}

/// The newest email about a ticket: (kind, to).
async fn last_email(pool: &PgPool, number: &str) -> (String, String) {
    sqlx::query_as(
        "select kind, to_address::text from outbound_emails
          where subject like '%' || $1 || '%' order by id desc limit 1",
    )
    .bind(number)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn audits(pool: &PgPool, action: &str, number: &str) -> i64 {
    sqlx::query_scalar(
        "select count(*) from audit_log where action = $1 and detail->>'number' = $2",
    )
    .bind(action)
    .bind(number)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_subscriber_opens_a_request_and_staff_answer_it_with_email_both_ways(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex_id = portal.account_id(ALEX_NUMBER).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;

    let opened = ok(
        &portal,
        &alex,
        "open-ticket",
        &[
            ("category", "billing"),
            ("subject", "Charged twice in March"),
            (
                "message",
                "My card was charged twice.\n\nCould you look into it?",
            ),
        ],
    )
    .await;
    let number: String = opened.json().await.unwrap();
    assert!(number.starts_with("T-"), "{number}");

    // The ticket, its first message, the history event and the email: all written.
    let (account_id, category, status, subject, by_person, by_login): (i64, String, String, String, i64, i64) =
        sqlx::query_as(
            "select t.account_id, t.category, t.status, t.subject, t.opened_by_person, m.author_login_id
               from tickets t join ticket_messages m on m.ticket_id = t.id where t.number = $1",
        )
        .bind(&number)
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert_eq!(account_id, alex_id);
    assert_eq!(
        (category.as_str(), status.as_str(), subject.as_str()),
        ("billing", "open", "Charged twice in March")
    );
    let (alex_person, alex_login): (i64, i64) =
        sqlx::query_as("select l.person_id, l.id from portal_logins l where l.email = $1")
            .bind(ALEX_EMAIL)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!((by_person, by_login), (alex_person, alex_login));
    let events: i64 = sqlx::query_scalar(
        "select count(*) from service_events e join tickets t on (e.detail->>'ticket_id')::bigint = t.id
          where t.number = $1 and e.kind = 'ticket' and e.account_id = t.account_id",
    )
    .bind(&number)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(events, 1);
    let (kind, to) = last_email(&portal.pool, &number).await;
    assert_eq!(
        (kind.as_str(), to.as_str()),
        ("ticket_opened", SUPPORT_INBOX)
    );
    let body: String = scalar(
        &portal.pool,
        "select text_body from outbound_emails where kind = 'ticket_opened' and subject like $1 || '%'",
        &number,
    )
    .await;
    assert!(body.contains("Could you look into it?"), "{body}");
    assert!(body.contains(&format!("/staff/tickets/{number}")), "{body}");

    // The subscriber sees it in their list and opens it.
    let (code, html) = portal.page(&alex, "/support").await;
    assert_eq!(code, 200);
    let list = html
        .split("data-testid=\"ticket-list\"")
        .nth(1)
        .expect("a list");
    assert!(
        list.contains(&format!("data-ticket=\"{number}\"")),
        "{html}"
    );
    assert!(list.contains("Charged twice in March"));
    assert!(html.contains("data-testid=\"new-ticket-form\""));
    let (code, html) = portal.page(&alex, &format!("/support/{number}")).await;
    assert_eq!(code, 200);
    assert_eq!(testid_text(&html, "ticket-status").as_deref(), Some("Open"));
    assert!(html.contains("My card was charged twice."));
    assert!(html.contains("data-testid=\"reply-form\""));

    // A rep finds it in the queue, with the account.
    let rep = portal.staff_signed_in(REP_EMAIL).await;
    let rep_id: i64 = scalar(
        &portal.pool,
        "select id from staff_users where email = $1",
        REP_EMAIL,
    )
    .await;
    let (code, html) = portal.page(&rep, "/staff/tickets").await;
    assert_eq!(code, 200);
    let queue = html
        .split("data-testid=\"ticket-list\"")
        .nth(1)
        .expect("the queue");
    let row = queue
        .split(&format!("data-ticket=\"{number}\""))
        .nth(1)
        .expect("the new ticket in the queue")
        .split("</tr>")
        .next()
        .unwrap();
    assert!(row.contains(&format!("/staff/accounts/{alex_id}")), "{row}");
    assert!(
        row.contains(ALEX_NUMBER) && row.contains("Charged twice in March"),
        "{row}"
    );
    // Newest updated first: the new ticket comes before the seeded one.
    let at = |n: &str| queue.find(&format!("data-ticket=\"{n}\"")).unwrap();
    assert!(at(&number) < at(ALEX_TICKET));
    let (code, html) = portal.page(&rep, &format!("/staff/tickets/{number}")).await;
    assert_eq!(code, 200);
    assert!(html.contains("data-testid=\"reply-form\""));
    assert!(
        !html.contains("data-testid=\"decide-accept\""),
        "not a dispute"
    );

    // The rep answers and waits for the subscriber: an email goes to the account's contact.
    ok(
        &portal,
        &rep,
        "staff-reply-ticket",
        &[
            ("number", &number),
            ("message", "We see two charges. Which card ends in 4242?"),
            ("status", "pending"),
        ],
    )
    .await;
    assert_eq!(status_of(&portal.pool, &number).await, "pending");
    let contact: String = sqlx::query_scalar(
        "select email::text from people where account_id = $1 and email is not null
          order by (role = 'billing') desc, (role = 'owner') desc, id limit 1",
    )
    .bind(alex_id)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let (kind, to) = last_email(&portal.pool, &number).await;
    assert_eq!(
        (kind.as_str(), to.as_str()),
        ("ticket_answered", contact.as_str())
    );
    assert_eq!(audits(&portal.pool, "ticket.replied", &number).await, 1);
    let (code, html) = portal.page(&alex, &format!("/support/{number}")).await;
    assert_eq!(code, 200);
    assert_eq!(
        testid_text(&html, "ticket-status").as_deref(),
        Some("Waiting for you")
    );
    let staff_message = html
        .split("data-author=\"staff\"")
        .nth(1)
        .expect("the rep's message");
    assert!(
        staff_message.contains("Riley Chen") && staff_message.contains("Which card ends in 4242?")
    );
    // Oldest first: the subscriber's message, then the rep's.
    assert!(html.find("My card was charged twice.") < html.find("Which card ends in 4242?"));

    // The subscriber answers: open again, and the support inbox hears of it (nobody assigned).
    ok(
        &portal,
        &alex,
        "reply-ticket",
        &[
            ("number", &number),
            ("message", "It is the card ending 4242."),
        ],
    )
    .await;
    assert_eq!(status_of(&portal.pool, &number).await, "open");
    let (kind, to) = last_email(&portal.pool, &number).await;
    assert_eq!(
        (kind.as_str(), to.as_str()),
        ("ticket_reply", SUPPORT_INBOX)
    );

    // Once assigned, the assignee hears of the next answer.
    ok(
        &portal,
        &rep,
        "assign-ticket",
        &[("number", &number), ("to", "me")],
    )
    .await;
    let assigned: Option<i64> = scalar(
        &portal.pool,
        "select assigned_staff_id from tickets where number = $1",
        &number,
    )
    .await;
    assert_eq!(assigned, Some(rep_id));
    assert_eq!(audits(&portal.pool, "ticket.assigned", &number).await, 1);
    let (_, html) = portal.page(&rep, "/staff/tickets?status=open&mine=1").await;
    assert!(html.contains(&format!("data-ticket=\"{number}\"")));
    assert!(
        !html.contains(&format!("data-ticket=\"{ALEX_TICKET}\"")),
        "not the rep's"
    );
    ok(
        &portal,
        &alex,
        "reply-ticket",
        &[("number", &number), ("message", "Any news?")],
    )
    .await;
    let (kind, to) = last_email(&portal.pool, &number).await;
    assert_eq!((kind.as_str(), to.as_str()), ("ticket_reply", REP_EMAIL));
    assert_eq!(messages_of(&portal.pool, &number).await, 4);

    // Closed by staff: the subscriber can no longer answer, and is told so.
    ok(
        &portal,
        &rep,
        "set-ticket-status",
        &[("number", &number), ("status", "closed")],
    )
    .await;
    let closed: bool = scalar(
        &portal.pool,
        "select status = 'closed' and closed_at is not null from tickets where number = $1",
        &number,
    )
    .await;
    assert!(closed);
    assert_eq!(
        audits(&portal.pool, "ticket.status_changed", &number).await,
        1
    );
    let (_, html) = portal.page(&alex, &format!("/support/{number}")).await;
    assert!(!html.contains("data-testid=\"reply-form\""));
    assert!(html.contains("data-testid=\"ticket-closed\""));
    let refused = portal
        .call(
            &alex,
            "reply-ticket",
            &[("number", &number), ("message", "Hello?")],
        )
        .await;
    assert_eq!(refusal(refused).await.0, 409);
    assert_eq!(messages_of(&portal.pool, &number).await, 4);
    // The closed ticket leaves the default queue.
    let (_, html) = portal.page(&rep, "/staff/tickets").await;
    assert!(!html.contains(&format!("data-ticket=\"{number}\"")));
    let (_, html) = portal.page(&rep, "/staff/tickets?status=closed").await;
    assert!(html.contains(&format!("data-ticket=\"{number}\"")));
}

#[sqlx::test(migrations = "../migrations")]
async fn another_account_can_neither_read_nor_answer_a_ticket(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let subject: String = scalar(
        &portal.pool,
        "select subject from tickets where number = $1",
        ALEX_TICKET,
    )
    .await;
    let alex_id = portal.account_id(ALEX_NUMBER).await;
    let owner: i64 = scalar(
        &portal.pool,
        "select account_id from tickets where number = $1",
        ALEX_TICKET,
    )
    .await;
    assert_eq!(owner, alex_id, "the demo's first ticket is Alex's");
    let (code, html) = portal.page(&alex, &format!("/support/{ALEX_TICKET}")).await;
    assert_eq!(code, 200);
    assert!(html.contains(&subject));

    let sam = portal.signed_in(SAM_EMAIL).await;
    let (code, html) = portal.page(&sam, &format!("/support/{ALEX_TICKET}")).await;
    assert_eq!(code, 404);
    assert!(!html.contains(&subject), "nothing of it is shown");
    let (_, html) = portal.page(&sam, "/support").await;
    assert!(!html.contains(ALEX_TICKET));
    let read = portal
        .call(&sam, "support-ticket", &[("number", ALEX_TICKET)])
        .await;
    assert_eq!(refusal(read).await.0, 404);
    let before = messages_of(&portal.pool, ALEX_TICKET).await;
    let reply = portal
        .call(
            &sam,
            "reply-ticket",
            &[("number", ALEX_TICKET), ("message", "Let me in")],
        )
        .await;
    assert_eq!(refusal(reply).await.0, 404);
    assert_eq!(messages_of(&portal.pool, ALEX_TICKET).await, before);
    // A number that exists nowhere is just as unknown.
    let (code, _) = portal.page(&alex, "/support/T-999999").await;
    assert_eq!(code, 404);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rep_viewing_as_the_subscriber_reads_tickets_but_cannot_write_as_them(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex_id = portal.account_id(ALEX_NUMBER).await;
    let rep = portal.staff_signed_in(REP_EMAIL).await;
    ok(
        &portal,
        &rep,
        "start-viewing",
        &[
            ("account_id", &alex_id.to_string()),
            ("reason", "Caller asks about their ticket"),
        ],
    )
    .await;
    let tickets_before: i64 = scalar(
        &portal.pool,
        "select count(*) from tickets where account_id = $1::bigint",
        alex_id,
    )
    .await;
    let messages_before = messages_of(&portal.pool, ALEX_TICKET).await;

    let (code, html) = portal.page(&rep, "/support").await;
    assert_eq!(code, 200);
    assert!(html.contains(&format!("data-ticket=\"{ALEX_TICKET}\"")));
    assert!(html.contains("data-testid=\"read-only\""));
    assert!(!html.contains("data-testid=\"new-ticket-form\""));
    let (code, html) = portal.page(&rep, &format!("/support/{ALEX_TICKET}")).await;
    assert_eq!(code, 200);
    assert!(!html.contains("data-testid=\"reply-form\""));

    let open = portal
        .call(
            &rep,
            "open-ticket",
            &[
                ("category", "general"),
                ("subject", "Written by the rep"),
                ("message", "This must not be sent as the subscriber."),
            ],
        )
        .await;
    assert_eq!(
        refusal(open).await,
        (403, "read_only".into(), String::new())
    );
    let reply = portal
        .call(
            &rep,
            "reply-ticket",
            &[("number", ALEX_TICKET), ("message", "Written by the rep")],
        )
        .await;
    assert_eq!(
        refusal(reply).await,
        (403, "read_only".into(), String::new())
    );
    let tickets_after: i64 = scalar(
        &portal.pool,
        "select count(*) from tickets where account_id = $1::bigint",
        alex_id,
    )
    .await;
    assert_eq!(tickets_after, tickets_before);
    assert_eq!(
        messages_of(&portal.pool, ALEX_TICKET).await,
        messages_before
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn wrong_fields_are_refused_by_name_and_nothing_is_written(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let rep = portal.staff_signed_in(REP_EMAIL).await;
    let count = || async {
        let tickets: i64 = sqlx::query_scalar("select count(*) from tickets")
            .fetch_one(&portal.pool)
            .await
            .unwrap();
        let messages: i64 = sqlx::query_scalar("select count(*) from ticket_messages")
            .fetch_one(&portal.pool)
            .await
            .unwrap();
        let emails: i64 = sqlx::query_scalar("select count(*) from outbound_emails")
            .fetch_one(&portal.pool)
            .await
            .unwrap();
        (tickets, messages, emails)
    };
    let before = count().await;
    let long_subject = "s".repeat(201);
    let long_message = "m".repeat(10_001);
    for (form, field) in [
        (
            [
                ("category", "dispute"),
                ("subject", "A charge"),
                ("message", "Please look."),
            ],
            "category",
        ),
        (
            [
                ("category", "billing"),
                ("subject", "   "),
                ("message", "Please look."),
            ],
            "subject",
        ),
        (
            [
                ("category", "billing"),
                ("subject", long_subject.as_str()),
                ("message", "Please look."),
            ],
            "subject",
        ),
        (
            [
                ("category", "technical"),
                ("subject", "Slow"),
                ("message", " \n "),
            ],
            "message",
        ),
        (
            [
                ("category", "technical"),
                ("subject", "Slow"),
                ("message", long_message.as_str()),
            ],
            "message",
        ),
    ] {
        let refused = portal.call(&alex, "open-ticket", &form).await;
        assert_eq!(
            refusal(refused).await,
            (422, "invalid_input".into(), field.into()),
            "{form:?}"
        );
    }
    let refused = portal
        .call(
            &alex,
            "reply-ticket",
            &[("number", ALEX_TICKET), ("message", "")],
        )
        .await;
    assert_eq!(
        refusal(refused).await,
        (422, "invalid_input".into(), "message".into())
    );
    let refused = portal
        .call(
            &rep,
            "staff-reply-ticket",
            &[
                ("number", ALEX_TICKET),
                ("message", "Hello"),
                ("status", "open"),
            ],
        )
        .await;
    assert_eq!(
        refusal(refused).await,
        (422, "invalid_input".into(), "status".into())
    );
    let refused = portal
        .call(
            &rep,
            "staff-reply-ticket",
            &[
                ("number", ALEX_TICKET),
                ("message", " "),
                ("status", "pending"),
            ],
        )
        .await;
    assert_eq!(
        refusal(refused).await,
        (422, "invalid_input".into(), "message".into())
    );
    let refused = portal
        .call(
            &rep,
            "set-ticket-status",
            &[("number", ALEX_TICKET), ("status", "forgotten")],
        )
        .await;
    assert_eq!(
        refusal(refused).await,
        (422, "invalid_input".into(), "status".into())
    );
    let refused = portal
        .call(&rep, "ticket-queue", &[("status", "everything")])
        .await;
    assert_eq!(
        refusal(refused).await,
        (422, "invalid_input".into(), "status".into())
    );
    let refused = portal
        .call(&rep, "staff-ticket", &[("number", "T-999999")])
        .await;
    assert_eq!(refusal(refused).await.0, 404);
    assert_eq!(count().await, before);
    assert_eq!(status_of(&portal.pool, ALEX_TICKET).await, "open");
}

/// Two charges of Alex's latest statement that may be questioned: (statement, line, amount).
async fn disputable_lines(pool: &PgPool, account_id: i64) -> Vec<(i64, i64, Decimal, String)> {
    sqlx::query_as(
        "select s.id, l.id, l.amount, l.description
           from statement_lines l join statements s on s.id = l.statement_id
          where s.account_id = $1 and s.status <> 'void' and l.amount > 0
            and l.kind in ('recurring', 'usage', 'one_time', 'tax')
            and s.period_start = (select max(period_start) from statements where account_id = $1)
          order by l.amount desc, l.id
          limit 2",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn open_dispute(
    portal: &TestPortal,
    account_id: i64,
    (statement_id, line_id, amount): (i64, i64, Decimal),
) -> (i64, String) {
    let login_id: i64 =
        sqlx::query_scalar("select id from portal_logins where account_id = $1 and is_primary")
            .bind(account_id)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    let opened = engine::disputes::open(
        &portal.pool,
        &engine::EngineConfig::default(),
        &engine::disputes::DisputeRequest {
            account_id,
            statement_id,
            line_id,
            amount,
            message: "I did not expect this charge on my statement.".into(),
            login_id,
        },
    )
    .await
    .expect("opening a dispute");
    (opened.ticket_id, opened.number)
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_decide_disputes_rejected_with_a_reason_or_accepted_with_a_credit_a_second_person_approves(
    pool: PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let alex_id = portal.account_id(ALEX_NUMBER).await;
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let rep = portal.staff_signed_in(REP_EMAIL).await;
    let lines = disputable_lines(&portal.pool, alex_id).await;
    assert_eq!(lines.len(), 2, "Alex's latest statement has two charges");
    let statement_number: String = scalar(
        &portal.pool,
        "select statement_number from statements where id = $1::bigint",
        lines[0].0,
    )
    .await;

    // Rejected: the subscriber reads why, on the ticket.
    let part = lines[0].2.min(Decimal::new(1_00, 2));
    let (_, rejected) = open_dispute(&portal, alex_id, (lines[0].0, lines[0].1, part)).await;
    let (code, html) = portal.page(&alex, &format!("/support/{rejected}")).await;
    assert_eq!(code, 200);
    assert_eq!(testid_text(&html, "dispute-amount"), Some(dollars(part)));
    assert_eq!(
        testid_text(&html, "dispute-line").as_deref(),
        Some(lines[0].3.as_str())
    );
    assert_eq!(
        testid_text(&html, "dispute-statement").as_deref(),
        Some(statement_number.as_str())
    );
    assert!(html.contains(&format!("href=\"/statements/{}\"", lines[0].0)));
    assert!(html.contains("data-testid=\"dispute-waiting\""));
    assert!(!html.contains("data-testid=\"dispute-outcome\""));

    let (code, html) = portal
        .page(&rep, &format!("/staff/tickets/{rejected}"))
        .await;
    assert_eq!(code, 200);
    assert!(html.contains("data-testid=\"decide-accept\""));
    assert!(html.contains("data-testid=\"decide-reject\""));
    // An undecided dispute is not resolved or closed: dunning holds its amount until decided.
    let refused = portal
        .call(
            &rep,
            "set-ticket-status",
            &[("number", &rejected), ("status", "resolved")],
        )
        .await;
    assert_eq!(
        refusal(refused).await,
        (422, "invalid_input".into(), "status".into())
    );
    let refused = portal
        .call(
            &rep,
            "reject-dispute",
            &[("number", &rejected), ("explanation", " no ")],
        )
        .await;
    assert_eq!(
        refusal(refused).await,
        (422, "invalid_input".into(), "explanation".into())
    );
    let explanation = "Your plan's price rose in March, as our letter of 1 February said.";
    ok(
        &portal,
        &rep,
        "reject-dispute",
        &[("number", &rejected), ("explanation", explanation)],
    )
    .await;
    let (outcome, stored): (Option<String>, Option<String>) = sqlx::query_as(
        "select dispute_outcome, dispute_explanation from tickets where number = $1",
    )
    .bind(&rejected)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(outcome.as_deref(), Some("rejected"));
    assert_eq!(stored.as_deref(), Some(explanation));
    assert_eq!(audits(&portal.pool, "dispute.rejected", &rejected).await, 1);
    let (_, html) = portal.page(&alex, &format!("/support/{rejected}")).await;
    let outcome = html
        .split("data-testid=\"dispute-outcome\"")
        .nth(1)
        .expect("the outcome is shown");
    assert!(outcome.contains("Rejected"), "{outcome}");
    assert_eq!(
        testid_text(&html, "dispute-explanation").as_deref(),
        Some(explanation)
    );
    let (_, html) = portal
        .page(&rep, &format!("/staff/tickets/{rejected}"))
        .await;
    assert!(
        !html.contains("data-testid=\"decide-reject\""),
        "decided once"
    );
    let again = portal
        .call(&rep, "accept-dispute", &[("number", &rejected)])
        .await;
    assert_eq!(refusal(again).await.0, 409);

    // Accepted by the rep: a credit beyond a rep's limit (zero), so it waits for a second
    // person and nothing is credited; the dispute stays open, its amount held.
    let amount = lines[1].2;
    let (ticket_id, accepted) =
        open_dispute(&portal, alex_id, (lines[1].0, lines[1].1, amount)).await;
    let balance_before: Decimal = scalar(
        &portal.pool,
        "select coalesce(sum(amount), 0) from ledger_entries where account_id = $1::bigint",
        alex_id,
    )
    .await;
    ok(
        &portal,
        &rep,
        "accept-dispute",
        &[("number", &accepted), ("note", "Sorry for the trouble.")],
    )
    .await;
    let (outcome, credit): (Option<String>, Option<i64>) =
        sqlx::query_as("select dispute_outcome, dispute_credit_id from tickets where number = $1")
            .bind(&accepted)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!((outcome, credit), (None, None), "not accepted yet");
    let balance_waiting: Decimal = scalar(
        &portal.pool,
        "select coalesce(sum(amount), 0) from ledger_entries where account_id = $1::bigint",
        alex_id,
    )
    .await;
    assert_eq!(balance_waiting, balance_before, "nothing credited");
    let held: Decimal = scalar(
        &portal.pool,
        "select coalesce(sum(disputed_amount), 0) from tickets
          where account_id = $1::bigint and category = 'dispute' and dispute_outcome is null",
        alex_id,
    )
    .await;
    assert_eq!(held, amount, "dunning still holds the amount");
    assert_eq!(
        audits(&portal.pool, "dispute.acceptance_requested", &accepted).await,
        1
    );
    assert_eq!(audits(&portal.pool, "dispute.accepted", &accepted).await, 0);
    let (_, html) = portal
        .page(&rep, &format!("/staff/tickets/{accepted}"))
        .await;
    assert!(html.contains("data-testid=\"acceptance-waiting\""));
    assert!(
        !html.contains("data-testid=\"decide-accept\""),
        "it is not accepted twice while it waits"
    );
    let twice = portal
        .call(&rep, "accept-dispute", &[("number", &accepted)])
        .await;
    assert_eq!(refusal(twice).await.0, 409);
    // The rep cannot approve it; billing (whose limit covers it) does, and the credit posts.
    let adjustment_id: i64 = scalar(
        &portal.pool,
        "select j.id from adjustments j join tickets t on t.id = j.dispute_ticket_id
          where t.number = $1 and j.status = 'pending'",
        &accepted,
    )
    .await;
    let refused = portal
        .call(
            &rep,
            "approve-adjustment",
            &[("id", &adjustment_id.to_string())],
        )
        .await;
    assert_eq!(refusal(refused).await.0, 403);
    let billing = portal.staff_signed_in(BILLING_EMAIL).await;
    let (_, queue) = portal.page(&billing, "/staff/adjustments").await;
    assert!(
        queue.contains(&format!("href=\"/staff/tickets/{accepted}\"")),
        "the approvals queue links the dispute"
    );
    ok(
        &portal,
        &billing,
        "approve-adjustment",
        &[("id", &adjustment_id.to_string())],
    )
    .await;
    let (credit, kind, key): (Decimal, String, String) = sqlx::query_as(
        "select l.amount, l.kind, l.idempotency_key from tickets t
           join ledger_entries l on l.id = t.dispute_credit_id where t.number = $1",
    )
    .bind(&accepted)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!((credit, kind.as_str()), (-amount, "credit"));
    assert_eq!(key, format!("dispute:{ticket_id}"));
    let balance_after: Decimal = scalar(
        &portal.pool,
        "select coalesce(sum(amount), 0) from ledger_entries where account_id = $1::bigint",
        alex_id,
    )
    .await;
    assert_eq!(balance_after, balance_before - amount);
    assert_eq!(
        audits(&portal.pool, "adjustment.approved", &accepted).await,
        1
    );
    let (_, html) = portal.page(&alex, &format!("/support/{accepted}")).await;
    let outcome = html
        .split("data-testid=\"dispute-outcome\"")
        .nth(1)
        .expect("the outcome is shown");
    assert!(
        outcome.contains(&format!("Accepted: credited {}", dollars(amount))),
        "{outcome}"
    );
    assert!(
        html.contains("Sorry for the trouble."),
        "the note reaches the conversation"
    );
    let again = portal
        .call(&rep, "accept-dispute", &[("number", &accepted)])
        .await;
    assert_eq!(refusal(again).await.0, 409);
    let credits: i64 = scalar(
        &portal.pool,
        "select count(*) from ledger_entries where idempotency_key = $1",
        format!("dispute:{ticket_id}"),
    )
    .await;
    assert_eq!(credits, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rep_opening_a_ticket_is_audited_once_naming_the_ticket_and_the_account(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex_id = portal.account_id(ALEX_NUMBER).await;
    let rep = portal.staff_signed_in(REP_EMAIL).await;
    let rep_id: i64 = scalar(
        &portal.pool,
        "select id from staff_users where email = $1",
        REP_EMAIL,
    )
    .await;
    let (code, _) = portal
        .page(&rep, &format!("/staff/tickets/{ALEX_TICKET}"))
        .await;
    assert_eq!(code, 200);
    let rows: Vec<(String, i64, Option<i64>, serde_json::Value)> = sqlx::query_as(
        "select actor_kind, actor_id, subject_account_id, detail from audit_log
          where action = 'console.ticket_viewed'",
    )
    .fetch_all(&portal.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (kind, actor, account, detail) = &rows[0];
    assert_eq!(
        (kind.as_str(), *actor, *account),
        ("staff", rep_id, Some(alex_id))
    );
    assert_eq!(detail["number"], ALEX_TICKET);
    assert_eq!(detail["path"], format!("/staff/tickets/{ALEX_TICKET}"));
    let ticket_id: i64 = scalar(
        &portal.pool,
        "select id from tickets where number = $1",
        ALEX_TICKET,
    )
    .await;
    assert_eq!(detail["ticket_id"], ticket_id);
}

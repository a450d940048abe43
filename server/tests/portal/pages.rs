//! Each page shows the signed-in account's own figures, checked against the database.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::helpers::*;

#[sqlx::test(migrations = "../migrations")]
async fn the_overview_shows_the_balance_plan_latest_statement_and_last_payment(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let id = portal.account_id(ALEX_NUMBER).await;
    let balance: Decimal =
        sqlx::query_scalar("select sum(amount) from ledger_entries where account_id = $1")
            .bind(id)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    let plan: String = sqlx::query_scalar(
        "select p.name from services s join plans p on p.id = s.plan_id where s.account_id = $1",
    )
    .bind(id)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let latest: Decimal = sqlx::query_scalar(
        "select total_due from statements where account_id = $1 order by period_start desc limit 1",
    )
    .bind(id)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let paid: Decimal = sqlx::query_scalar("select amount from payments where account_id = $1 and status = 'succeeded' order by succeeded_at desc limit 1")
        .bind(id)
        .fetch_one(&portal.pool)
        .await
        .unwrap();

    let browser = portal.signed_in(ALEX_EMAIL).await;
    let (status, html) = portal.page(&browser, "/").await;
    assert_eq!(status, 200);
    assert_eq!(testid_text(&html, "balance"), Some(dollars(balance)));
    assert_eq!(
        testid_text(&html, "plan-name").as_deref(),
        Some(plan.as_str())
    );
    assert_eq!(
        testid_text(&html, "latest-statement-total"),
        Some(dollars(latest))
    );
    assert!(
        html.contains(&dollars(paid)),
        "last payment {}",
        dollars(paid)
    );
    assert!(html.contains("role=\"meter\""), "the usage meter is drawn");
    assert!(html.contains("T-"), "the open ticket is listed");

    // "Your next bill, so far": its new charges on top of today's balance (the balance
    // already counts payments since the latest statement).
    let amount = |testid: &str| -> Decimal {
        let text = testid_text(&html, testid).unwrap_or_else(|| panic!("{testid} shown"));
        text.replace(['$', ','], "").parse().expect("an amount")
    };
    let new_charges = amount("next-bill-new");
    assert!(
        new_charges > Decimal::ZERO,
        "the plan is charged in advance"
    );
    assert_eq!(amount("next-bill-total"), balance + new_charges);
    assert!(
        html.contains(&format!("{plan}, ")),
        "the plan's line is listed"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_statements_page_lists_every_statement_and_a_statement_adds_up(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let id = portal.account_id(ALEX_NUMBER).await;
    let numbers: Vec<(i64, String, Decimal)> =
        sqlx::query_as("select id, statement_number, total_due from statements where account_id = $1 order by period_start desc")
            .bind(id)
            .fetch_all(&portal.pool)
            .await
            .unwrap();
    assert_eq!(numbers.len(), 12);

    let browser = portal.signed_in(ALEX_EMAIL).await;
    let (status, html) = portal.page(&browser, "/statements").await;
    assert_eq!(status, 200);
    for (_, number, total) in &numbers {
        assert!(
            html.contains(&format!(r#"data-statement="{number}""#)),
            "{number} listed"
        );
        assert!(html.contains(&dollars(*total)));
    }
    assert_eq!(html.matches("data-statement=").count(), 12);

    let (statement_id, number, total) = &numbers[0];
    let lines: Vec<(String, Decimal)> =
        sqlx::query_as("select description, amount from statement_lines where statement_id = $1")
            .bind(statement_id)
            .fetch_all(&portal.pool)
            .await
            .unwrap();
    let (status, html) = portal
        .page(&browser, &format!("/statements/{statement_id}"))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains(number.as_str()));
    assert_eq!(testid_text(&html, "total-due"), Some(dollars(*total)));
    for (description, amount) in &lines {
        assert!(html.contains(description.as_str()), "line {description}");
        assert!(html.contains(&dollars(*amount)), "amount {amount}");
    }
}

async fn current_period(portal: &TestPortal, account_id: i64) -> (NaiveDate, NaiveDate) {
    let (day, tz): (i16, String) =
        sqlx::query_as("select billing_cycle_day, time_zone from accounts where id = $1")
            .bind(account_id)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    let today = chrono::Utc::now()
        .with_timezone(&tz.parse::<chrono_tz::Tz>().unwrap())
        .date_naive();
    let period =
        billing::cycle::period_containing(today, billing::cycle::CycleDay::new(day as u8).unwrap());
    (period.start, period.end)
}

#[sqlx::test(migrations = "../migrations")]
async fn the_usage_page_and_its_csv_show_the_periods_daily_figures(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let id = portal.account_id(ALEX_NUMBER).await;
    let (start, end) = current_period(&portal, id).await;
    let days: Vec<(NaiveDate, i64, i64)> = sqlx::query_as(
        "select u.day, u.download_bytes, u.upload_bytes from usage_daily u join services s on s.id = u.service_id
          where s.account_id = $1 and u.day >= $2 and u.day < $3 order by u.day",
    )
    .bind(id)
    .bind(start)
    .bind(end)
    .fetch_all(&portal.pool)
    .await
    .unwrap();

    let browser = portal.signed_in(ALEX_EMAIL).await;
    let (status, html) = portal.page(&browser, "/usage").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("data-day=").count(), days.len());
    for (day, _, _) in &days {
        assert!(html.contains(&format!(r#"data-day="{day}""#)));
    }
    assert!(
        html.contains("class=\"chart\""),
        "the chart is drawn on the server"
    );
    assert!(html.contains("data-testid=\"usage-history\""));

    let response = browser.get(portal.url("/usage.csv")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"usage-"));
    let csv = response.text().await.unwrap();
    let mut expected = String::from("date,download_bytes,upload_bytes,total_bytes\n");
    for (day, down, up) in &days {
        expected.push_str(&format!("{day},{down},{up},{}\n", down + up));
    }
    assert_eq!(csv, expected);
}

#[sqlx::test(migrations = "../migrations")]
async fn one_day_is_shown_by_hour(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let id = portal.account_id(ALEX_NUMBER).await;
    let (day, hours): (NaiveDate, Vec<i64>) = sqlx::query_as(
        "select u.day, u.download_bytes from usage_hourly u join services s on s.id = u.service_id
          where s.account_id = $1 order by u.day desc limit 1",
    )
    .bind(id)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let (start, _) = current_period(&portal, id).await;
    let offset = if day >= start { 0 } else { 1 };
    let browser = portal.signed_in(ALEX_EMAIL).await;
    let (status, html) = portal
        .page(&browser, &format!("/usage?cycle={offset}&day={day}"))
        .await;
    assert_eq!(status, 200);
    let table = html
        .split("data-testid=\"usage-hours\"")
        .nth(1)
        .expect("the hourly table");
    assert_eq!(
        table
            .split("</table>")
            .next()
            .unwrap()
            .matches("<tr>")
            .count(),
        hours.len() + 1,
        "a header row and one row per hour"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_history_page_shows_the_timeline_and_filters_by_kind(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let id = portal.account_id(ALEX_NUMBER).await;
    let total: i64 =
        sqlx::query_scalar("select count(*) from service_events where account_id = $1")
            .bind(id)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    let statements: i64 = sqlx::query_scalar(
        "select count(*) from service_events where account_id = $1 and kind = 'statement'",
    )
    .bind(id)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert!(statements > 0 && total > statements);

    let browser = portal.signed_in(ALEX_EMAIL).await;
    let (_, html) = portal.page(&browser, "/history").await;
    assert_eq!(html.matches("data-kind=").count() as i64, total.min(50));
    let (_, html) = portal.page(&browser, "/history?kind=statement").await;
    assert_eq!(
        html.matches("data-kind=\"statement\"").count() as i64,
        statements.min(50)
    );
    assert_eq!(
        html.matches("data-kind=").count() as i64,
        statements.min(50)
    );
    let bad = portal.call(&browser, "history", &[("kind", "bogus")]).await;
    assert_eq!(error_code(bad).await, (422, "invalid_input".to_string()));
}

#[sqlx::test(migrations = "../migrations")]
async fn paying_is_one_tap_from_the_overview_the_statements_and_an_open_statement(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let id = portal.account_id(ALEX_NUMBER).await;
    let owed = {
        let mut conn = portal.pool.acquire().await.unwrap();
        engine::owed::of_account(&mut conn, id)
            .await
            .unwrap()
            .on_account()
            .amount()
    };
    assert!(owed > Decimal::ZERO, "the demo account owes something");
    let browser = portal.signed_in(ALEX_EMAIL).await;

    // The balance card: "Pay $X", X what the pay page asks for.
    let (_, html) = portal.page(&browser, "/").await;
    let button = element(&html, "data-testid=\"pay-balance\"");
    assert!(button.contains("href=\"/pay\""), "{button}");
    assert!(
        button.ends_with(&format!(">Pay {}</a>", dollars(owed))),
        "{button}"
    );

    // Each open statement in the list, and an open statement itself, has a way to pay;
    // a paid one has none.
    let statements: Vec<(i64, String, String)> = sqlx::query_as(
        "select id, statement_number, status from statements where account_id = $1
          order by period_start desc",
    )
    .bind(id)
    .fetch_all(&portal.pool)
    .await
    .unwrap();
    let (_, list) = portal.page(&browser, "/statements").await;
    for (_, number, status) in &statements {
        let row_start = list
            .find(&format!("data-statement=\"{number}\""))
            .expect("a row per statement");
        let row = &list[row_start..row_start + list[row_start..].find("</tr>").unwrap()];
        assert_eq!(
            row.contains("data-testid=\"pay-statement\""),
            status == "open",
            "{number} ({status}): {row}"
        );
    }
    let (open, _, _) = statements
        .iter()
        .find(|(_, _, s)| s == "open")
        .expect("an open statement");
    let (_, page) = portal.page(&browser, &format!("/statements/{open}")).await;
    assert!(element(&page, "data-testid=\"pay-statement\"").contains("href=\"/pay\""));
    if let Some((paid, _, _)) = statements.iter().find(|(_, _, s)| s == "paid") {
        let (_, page) = portal.page(&browser, &format!("/statements/{paid}")).await;
        assert!(!page.contains("data-testid=\"pay-statement\""));
    }

    // Once everything is paid, the overview asks for nothing.
    let mut tx = portal.pool.begin().await.unwrap();
    engine::payments::record_in(
        &mut tx,
        &app::server::PortalConfig::for_tests(&portal.url("")).billing,
        &engine::payments::NewPayment {
            account_number: ALEX_NUMBER.into(),
            amount: owed,
            method: "cash".into(),
            reference: "PAGES-PAY-ALL".into(),
            received_on: chrono::Utc::now().date_naive(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (_, html) = portal.page(&browser, "/").await;
    assert!(!html.contains("data-testid=\"pay-balance\""), "{html}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_page_that_cannot_be_shown_says_so_in_its_title_and_heading_and_keeps_the_menu(
    pool: PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let sam = portal.account_id(SAM_NUMBER).await;
    let sams: i64 = sqlx::query_scalar("select max(id) from statements where account_id = $1")
        .bind(sam)
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    let alex = portal.signed_in(ALEX_EMAIL).await;
    let (status, html) = portal.page(&alex, &format!("/statements/{sams}")).await;
    assert_eq!(status, 404);
    assert!(
        html.contains("<title>Not found · Lastmile</title>"),
        "{html}"
    );
    assert!(html.contains("<h1>Not found</h1>"), "{html}");
    assert!(html.contains("href=\"/statements\""));
    // An address that is no page: 404, with the header and menu still there.
    let (status, html) = portal.page(&alex, "/no-such-page").await;
    assert_eq!(status, 404);
    assert!(html.contains("aria-label=\"Main menu\""), "{html}");
    assert!(html.contains("data-testid=\"display-name\""));
    assert!(html.contains("<h1>Page not found</h1>"));
}

/// The element (from its `<a` or other opening tag to its first closing tag) that carries
/// `marker` among its attributes.
fn element<'h>(html: &'h str, marker: &str) -> &'h str {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"));
    let start = html[..at].rfind('<').expect("an opening tag");
    let end = at + html[at..].find("</").expect("a closing tag");
    let close = end + html[end..].find('>').expect("the closing tag's end") + 1;
    &html[start..close]
}

#[sqlx::test(migrations = "../migrations")]
async fn the_overview_forecasts_the_cycle_only_once_its_pace_is_known(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let id = portal.account_id(ALEX_NUMBER).await;
    let today: NaiveDate = sqlx::query_scalar(
        "select (now() at time zone time_zone)::date from accounts where id = $1",
    )
    .bind(id)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    // An unlimited plan (a plan with an allowance has the data cap's forecast, which waits
    // the same way: `data_cap` tests).
    sqlx::query(
        "update services set plan_id = (select id from plans where code = 'fibre-300')
          where account_id = $1",
    )
    .bind(id)
    .execute(&portal.pool)
    .await
    .unwrap();
    let browser = portal.signed_in(ALEX_EMAIL).await;
    let projection = |html: &str| {
        let at = html
            .find("data-testid=\"usage-projection\"")
            .expect("the projection's line");
        let start = at + html[at..].find('>').unwrap() + 1;
        html[start..start + html[start..].find("</p>").unwrap()].to_string()
    };
    let cycle_from = |first: NaiveDate| {
        let pool = portal.pool.clone();
        async move {
            sqlx::query("update accounts set billing_cycle_day = $2 where id = $1")
                .bind(id)
                .bind(i16::try_from(chrono::Datelike::day(&first)).unwrap())
                .execute(&pool)
                .await
                .unwrap();
        }
    };

    // Today is the cycle's first day: one day's use says nothing of the month yet.
    cycle_from(today).await;
    let (_, html) = portal.page(&browser, "/").await;
    let said = projection(&html);
    assert!(said.contains("too early"), "{said}");
    assert!(!said.contains("At this rate"), "{said}");

    // Ten days in, the pace is known.
    cycle_from(today - chrono::Days::new(10)).await;
    let (_, html) = portal.page(&browser, "/").await;
    let said = projection(&html);
    assert!(said.contains("At this rate"), "{said}");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_usage_chart_links_only_days_whose_hours_are_kept_and_says_why_for_others(
    pool: PgPool,
) {
    let portal = TestPortal::start(pool).await;
    let id = portal.account_id(ALEX_NUMBER).await;
    // The last cycle: its oldest days have no hours kept, its newest ones do (the demo keeps
    // 14 days of hourly detail).
    let (start, _) = current_period(&portal, id).await;
    let days: Vec<(NaiveDate, bool)> = sqlx::query_as(
        "select d.day, exists (select 1 from usage_hourly h where h.service_id = d.service_id
                                and h.day = d.day)
           from usage_daily d join services s on s.id = d.service_id
          where s.account_id = $1 and d.day < $2 and d.day >= ($2 - interval '1 month')::date
          order by d.day desc",
    )
    .bind(id)
    .bind(start)
    .fetch_all(&portal.pool)
    .await
    .unwrap();
    let old = days
        .iter()
        .rev()
        .find(|(_, h)| !h)
        .expect("a day without hours")
        .0;
    let browser = portal.signed_in(ALEX_EMAIL).await;
    let (status, html) = portal
        .page(&browser, &format!("/usage?cycle=1&day={old}"))
        .await;
    assert_eq!(status, 200);
    // Asking for it says why nothing more is shown, and the chart does not offer it.
    assert!(html.contains("data-testid=\"no-hours\""), "{html}");
    assert!(!html.contains(&format!("href=\"/usage?cycle=1&amp;day={old}\"")));
    assert!(!html.contains(&format!("href=\"/usage?cycle=1&day={old}\"")));
    if let Some((recent, _)) = days.iter().find(|(_, h)| *h) {
        let link = format!("day={recent}\"");
        assert!(html.contains(&link), "a day whose hours are kept is a link");
    }
    // The chart is a group of named links (no picture holding links), with a scale.
    let at = html.find("class=\"chart\"").expect("a chart");
    let chart = &html[html[..at].rfind("<svg").expect("its svg")..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    assert!(chart.contains("role=\"group\""), "{chart}");
    assert!(chart.contains("class=\"grid\""));
    assert!(chart.contains("aria-label=\""));
}

#[sqlx::test(migrations = "../migrations")]
async fn every_line_of_a_statement_explains_how_it_was_worked_out(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let id = portal.account_id(ALEX_NUMBER).await;
    let browser = portal.signed_in(ALEX_EMAIL).await;
    // The next bill, so far, explains its lines already (composed by the billing code).
    let (_, html) = portal.page(&browser, "/").await;
    assert!(
        html.contains("data-testid=\"line-working\""),
        "the next bill's lines open their working"
    );

    // The bill run issues the next statement; its page explains each charge.
    let (_, next) = current_period(&portal, id).await;
    let config = app::server::PortalConfig::for_tests(&portal.url("")).billing;
    let summary = engine::bill_run::run(
        &portal.pool,
        &config,
        &engine::bill_run::RunOptions {
            date: next,
            dry_run: false,
            account: Some(ALEX_NUMBER.into()),
            started_by: "test".into(),
            stop: Default::default(),
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(summary.billed, 1);
    let (statement, price): (i64, Decimal) = sqlx::query_as(
        "select s.id, p.monthly_price from statements s
           join services v on v.account_id = s.account_id join plans p on p.id = v.plan_id
          where s.account_id = $1 and s.period_start = $2",
    )
    .bind(id)
    .bind(next)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let workings: Vec<(String, Option<String>)> = sqlx::query_as(
        "select kind, working from statement_lines where statement_id = $1 order by line_no",
    )
    .bind(statement)
    .fetch_all(&portal.pool)
    .await
    .unwrap();
    let recurring = workings
        .iter()
        .find(|(kind, _)| kind == "recurring")
        .and_then(|(_, w)| w.clone())
        .expect("the plan's line has its working");
    assert!(recurring.contains(&dollars(price)), "{recurring}");
    let (_, page) = portal
        .page(&browser, &format!("/statements/{statement}"))
        .await;
    let shown = page.matches("data-testid=\"line-working\"").count();
    assert_eq!(
        shown,
        workings.iter().filter(|(_, w)| w.is_some()).count(),
        "each line with a working shows it"
    );
    assert!(page.contains(&recurring), "{recurring}");
}

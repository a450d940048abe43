//! The data cap over HTTP: how fresh the usage page's figures are, the forecast with the two
//! ways out, a data add-on bought once from a plain form post (never by another account,
//! never by staff viewing read-only), and the overview's notice once an alert is recorded.
//!
//! Alex (the demo's first account) is on Cable 300: 1,000 GB, $0.50 per GB over, cycle day
//! 5, at an address offering cable (Cable 600 has 1,500 GB) and DSL. Alex's usage in the
//! current cycle is replaced by 40 GB on each day before today.

use billing::{period_containing, CycleDay, Period};
use chrono::{Datelike, Days, NaiveDate};
use rust_decimal_macros::dec;
use sqlx::PgPool;

use crate::helpers::*;

const GB: i64 = 1_000_000_000;
const NBSP: char = '\u{a0}';

fn us_date(d: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!("{} {}, {}", MONTHS[d.month0() as usize], d.day(), d.year())
}

struct Alex {
    account: i64,
    service: i64,
    today: NaiveDate,
    cycle: Period,
}

/// Alex's ids, today (Alex's time zone) and cycle, with 40 GB on each day of the cycle
/// before today and nothing today.
async fn alex_at_40_gb_a_day(portal: &TestPortal) -> Alex {
    let account = portal.account_id(ALEX_NUMBER).await;
    let (service, today): (i64, NaiveDate) = sqlx::query_as(
        "select s.id, (now() at time zone a.time_zone)::date
           from services s join accounts a on a.id = s.account_id
          where s.account_id = $1 and s.status = 'active' order by s.activated_on, s.id limit 1",
    )
    .bind(account)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    let cycle = period_containing(today, CycleDay::new(5).unwrap());
    sqlx::query("delete from usage_daily where service_id = $1 and day >= $2")
        .bind(service)
        .bind(cycle.start)
        .execute(&portal.pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into usage_daily (service_id, day, download_bytes, upload_bytes)
         select $1, day::date, $4, 0 from generate_series($2::date, $3::date - 1, interval '1 day') day",
    )
    .bind(service)
    .bind(cycle.start)
    .bind(today)
    .bind(40 * GB)
    .execute(&portal.pool)
    .await
    .unwrap();
    Alex {
        account,
        service,
        today,
        cycle,
    }
}

/// The forecast sentence for 40 GB a day on a 1,000 GB allowance, worked out by hand:
/// silent before max(3, a tenth of the cycle's days, rounded up) complete days; then the
/// allowance runs out on day 25 (ceil(1,000 ÷ 40) = 25, i.e. start + 24); from day 26 on,
/// 25 × 40 = 1,000 GB are used up.
fn expected_forecast(alex: &Alex, allowance_gb: u64) -> String {
    let days = alex.cycle.days();
    let complete = (alex.today - alex.cycle.start).num_days();
    let wait = 3.max((days + 9) / 10);
    if complete * 40 >= allowance_gb as i64 {
        return "You have used all the data included this cycle.".into();
    }
    if complete < wait {
        let on = alex.cycle.start + Days::new(wait as u64);
        return format!("A forecast appears on {}", us_date(on));
    }
    let reach = (allowance_gb as i64 + 39) / 40;
    if reach > days {
        return "At this pace you'll use about".into();
    }
    let on = alex.cycle.start + Days::new(reach as u64 - 1);
    format!("runs out on {}", us_date(on))
}

async fn addons(portal: &TestPortal, service: i64) -> Vec<(i16, i32)> {
    sqlx::query_as("select seq, gigabytes from data_addons where service_id = $1 order by seq")
        .bind(service)
        .fetch_all(&portal.pool)
        .await
        .unwrap()
}

/// A plain form post (no JavaScript): Accept text/html, as a browser sends a form.
async fn form_post(
    portal: &TestPortal,
    browser: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    browser
        .post(portal.url(&format!("/api/{endpoint}")))
        .header("origin", &portal.base)
        .header("accept", "text/html")
        .form(form)
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_usage_page_says_how_fresh_it_is_forecasts_and_offers_the_two_ways_out(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = alex_at_40_gb_a_day(&portal).await;
    let browser = portal.signed_in(ALEX_EMAIL).await;

    // Ingestion recorded figures up to 10:40 today, Alex's time.
    sqlx::query(
        "insert into usage_daily (service_id, day, download_bytes, upload_bytes, through)
         select $1, (now() at time zone a.time_zone)::date, 0, 0,
                ((now() at time zone a.time_zone)::date + time '10:40') at time zone a.time_zone
           from accounts a where a.id = $2",
    )
    .bind(alex.service)
    .bind(alex.account)
    .execute(&portal.pool)
    .await
    .unwrap();
    let (status, html) = portal.page(&browser, "/usage").await;
    assert_eq!(status, 200);
    assert_eq!(
        testid_text(&html, "usage-updated").as_deref(),
        Some(format!("Updated 10:40{NBSP}AM").as_str())
    );
    let forecast = testid_text(&html, "cap-forecast").expect("a forecast");
    assert!(
        forecast.contains(&expected_forecast(&alex, 1_000)),
        "{forecast}"
    );
    // The add-on: 100 GB × $0.50 with 50% off = $25.00, the first of the cycle.
    assert!(
        html.contains(&format!("Add 100{NBSP}GB for {}", dollars(dec!(25.00)))),
        "the add-on button"
    );
    assert!(html.contains(&format!("name=\"service_id\" value=\"{}\"", alex.service)));
    assert!(html.contains("name=\"seq\" value=\"1\""));
    // The upgrade: the preview of Cable 600 (1,500 GB), the next plan with more data.
    let cable600: i64 = sqlx::query_scalar("select id from plans where code = 'cable-600'")
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert!(html.contains(&format!("href=\"/plans/{}/{cable600}\"", alex.service)));

    // A previous cycle has no forecast.
    let (_, html) = portal.page(&browser, "/usage?cycle=1").await;
    assert!(!html.contains("data-testid=\"cap-forecast\""));
}

#[sqlx::test(migrations = "../migrations")]
async fn an_add_on_is_bought_once_from_a_form_and_raises_the_cycles_allowance(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = alex_at_40_gb_a_day(&portal).await;
    let browser = portal.signed_in(ALEX_EMAIL).await;
    let service = alex.service.to_string();
    let form = [("service_id", service.as_str()), ("seq", "1")];

    // Sam sends Alex's service: not found, nothing bought.
    let sam = portal.signed_in(SAM_EMAIL).await;
    let response = portal.call(&sam, "buy-data-addon", &form).await;
    assert_eq!(error_code(response).await, (404, "not_found".to_string()));
    assert!(addons(&portal, alex.service).await.is_empty());

    // Alex posts the form: back to the usage page with a notice.
    let response = form_post(&portal, &browser, "buy-data-addon", &form).await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/usage?addon=bought");
    // The same post again (a double tap): nothing more.
    let again = form_post(&portal, &browser, "buy-data-addon", &form).await;
    assert!(again.status().is_redirection());
    assert_eq!(addons(&portal, alex.service).await, vec![(1, 100)]);
    let (kind, amount, charge_on): (String, rust_decimal::Decimal, NaiveDate) = sqlx::query_as(
        "select o.kind, o.amount, o.charge_on from data_addons x
           join one_time_charges o on o.id = x.one_time_charge_id where x.service_id = $1",
    )
    .bind(alex.service)
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(
        (kind.as_str(), amount, charge_on),
        ("data_addon", dec!(25.00), alex.today)
    );

    // The page now counts 1,100 GB for this cycle and offers a second add-on.
    let (_, html) = portal.page(&browser, "/usage?addon=bought").await;
    assert!(html.contains("data-testid=\"cap-notice\""));
    assert_eq!(
        testid_text(&html, "cap-addons").as_deref(),
        Some(format!("Includes 100{NBSP}GB of data add-ons for this cycle.").as_str())
    );
    let forecast = testid_text(&html, "cap-forecast").expect("a forecast");
    assert!(
        forecast.contains(&expected_forecast(&alex, 1_100)),
        "{forecast}"
    );
    assert!(html.contains("name=\"seq\" value=\"2\""));
    // A page out of date (its number already used by another tab's second add-on) is a
    // conflict: the seq 3 form is refused, nothing bought.
    let stale = portal
        .call(
            &browser,
            "buy-data-addon",
            &[("service_id", service.as_str()), ("seq", "3")],
        )
        .await;
    assert_eq!(error_code(stale).await, (409, "conflict".to_string()));
    assert_eq!(addons(&portal, alex.service).await.len(), 1);

    // The next bill so far on the overview shows the add-on's charge.
    let (_, html) = portal.page(&browser, "/").await;
    assert!(html.contains("Data add-on: 100 GB for"));
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_viewing_read_only_see_the_offer_disabled_and_cannot_buy(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = alex_at_40_gb_a_day(&portal).await;
    let rep = portal.staff_signed_in(REP_EMAIL).await;
    let started = portal
        .call(
            &rep,
            "start-viewing",
            &[
                ("account_id", alex.account.to_string().as_str()),
                ("reason", "Caller asks about data add-ons"),
            ],
        )
        .await;
    assert!(started.status().is_success() || started.status().is_redirection());
    let (status, html) = portal.page(&rep, "/usage").await;
    assert_eq!(status, 200);
    let (before, after) = html
        .split_once("data-testid=\"buy-addon\"")
        .expect("the add-on button");
    let button = format!(
        "{}{}",
        before.rsplit("<button").next().unwrap_or_default(),
        after.split('>').next().unwrap_or_default()
    );
    assert!(button.contains("disabled"), "{button}");
    let response = portal
        .call(
            &rep,
            "buy-data-addon",
            &[
                ("service_id", alex.service.to_string().as_str()),
                ("seq", "1"),
            ],
        )
        .await;
    assert_eq!(error_code(response).await, (403, "read_only".to_string()));
    assert!(addons(&portal, alex.service).await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn the_overview_shows_the_alert_reached_with_the_ways_out(pool: PgPool) {
    let portal = TestPortal::start(pool).await;
    let alex = alex_at_40_gb_a_day(&portal).await;
    let browser = portal.signed_in(ALEX_EMAIL).await;
    // Today: 900 GB more (so at least 90% of 1,000 GB whatever the day of the cycle).
    sqlx::query(
        "insert into usage_daily (service_id, day, download_bytes, upload_bytes) values ($1, $2, $3, 0)",
    )
    .bind(alex.service)
    .bind(alex.today)
    .bind(900 * GB)
    .execute(&portal.pool)
    .await
    .unwrap();
    let (_, html) = portal.page(&browser, "/").await;
    assert!(
        !html.contains("data-testid=\"cap-alert\""),
        "no alert recorded yet"
    );

    let config = engine::EngineConfig {
        time_zone: chrono_tz::America::Chicago,
        ..engine::EngineConfig::default()
    };
    let summary =
        engine::usage_alerts::check_thresholds(&portal.pool, &config, chrono::Utc::now(), None)
            .await
            .unwrap();
    assert!(summary.emailed >= 1, "{summary:?}");
    let used = 900 + 40 * (alex.today - alex.cycle.start).num_days();
    let (_, html) = portal.page(&browser, "/").await;
    let expected = if used >= 1_000 {
        "You have used all of this cycle&#x27;s data.".to_string()
    } else {
        "You have used 85% of this cycle".to_string()
    };
    assert!(html.contains("data-testid=\"cap-alert\""));
    assert!(
        html.contains(&expected) || html.contains(&expected.replace("&#x27;", "'")),
        "{expected}"
    );
    assert!(html.contains("data-testid=\"buy-addon\""));
    assert!(html.contains("data-testid=\"cap-upgrade\""));
}

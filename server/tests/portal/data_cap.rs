//! The data cap over HTTP: how fresh the usage page's figures are, the forecast with the two
//! ways out, a data add-on bought once from a plain form post (never by another account,
//! never by staff viewing read-only), paid on the next bill or now by card (against
//! localstripe: the saved card charged once for the price with its tax, a declined card
//! leaving the add-on owed, the pay page asking for exactly its amount), and the
//! overview's notice once an alert is recorded.
//!
//! Alex (the demo's first account) is on Cable 300: 1,000 GB, $0.50 per GB over, cycle day
//! 5, in Texas (8.25% sales tax, added on top), at an address offering cable (Cable 600 has
//! 1,500 GB) and DSL. Alex's usage in the current cycle is replaced by 40 GB on each day
//! before today.

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
    // The add-on: 100 GB × $0.50 with 50% off = $25.00, the first of the cycle; without
    // card payments configured, on the next bill only.
    assert!(html.contains(&format!("Add 100{NBSP}GB for this cycle")));
    assert_eq!(
        testid_text(&html, "buy-addon").as_deref().map(str::trim),
        Some(format!("Add to my next bill: {}", dollars(dec!(25.00))).as_str()),
        "the add-on button"
    );
    assert!(!html.contains("data-testid=\"buy-addon-card\""));
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
    // Paying now is refused the same way.
    let response = portal
        .call(
            &rep,
            "buy-data-addon",
            &[
                ("service_id", alex.service.to_string().as_str()),
                ("seq", "1"),
                ("pay", "card"),
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

// ---------------------------------------------------------------------------------------
// Paid now by card (billing::bill, rule 4), against localstripe.
// ---------------------------------------------------------------------------------------

async fn card_portal(pool: PgPool) -> TestPortal {
    TestPortal::start_with(pool, |t| t.config.billing.stripe = Some(stripe())).await
}

/// Saves `number` at localstripe as Alex's card and makes it the default (the seeded card
/// is not one localstripe knows).
async fn default_card(portal: &TestPortal, account: i64, number: &str) -> i64 {
    let card = crate::payments::saved_card(portal, account, number).await;
    sqlx::query("update payment_methods set is_default = false where account_id = $1")
        .bind(account)
        .execute(&portal.pool)
        .await
        .unwrap();
    sqlx::query("update payment_methods set is_default = true where id = $1")
        .bind(card)
        .execute(&portal.pool)
        .await
        .unwrap();
    card
}

async fn ledger_balance(portal: &TestPortal, account: i64) -> rust_decimal::Decimal {
    sqlx::query_scalar("select balance from account_balances where account_id = $1")
        .bind(account)
        .fetch_one(&portal.pool)
        .await
        .unwrap()
}

/// The account's entries posted since `after` (an entry id): (kind, amount, description).
async fn entries_after(
    portal: &TestPortal,
    account: i64,
    after: i64,
) -> Vec<(String, rust_decimal::Decimal, String)> {
    sqlx::query_as(
        "select kind, amount, description from ledger_entries
          where account_id = $1 and id > $2 order by id",
    )
    .bind(account)
    .bind(after)
    .fetch_all(&portal.pool)
    .await
    .unwrap()
}

async fn last_entry(portal: &TestPortal) -> i64 {
    sqlx::query_scalar("select coalesce(max(id), 0) from ledger_entries")
        .fetch_one(&portal.pool)
        .await
        .unwrap()
}

/// The payments made for an add-on: (id, amount, status).
async fn addon_payments(
    portal: &TestPortal,
    service: i64,
) -> Vec<(i64, rust_decimal::Decimal, String)> {
    sqlx::query_as(
        "select p.id, p.amount, p.status from payments p join data_addons x on x.id = p.data_addon_id
          where x.service_id = $1 order by p.id",
    )
    .bind(service)
    .fetch_all(&portal.pool)
    .await
    .unwrap()
}

/// Where a redirect goes.
fn location(response: &reqwest::Response) -> String {
    assert!(response.status().is_redirection(), "{}", response.status());
    response.headers()["location"].to_str().unwrap().to_string()
}

#[sqlx::test(migrations = "../migrations")]
async fn paying_an_add_on_now_charges_the_saved_card_once_for_the_price_with_its_tax(pool: PgPool) {
    let portal = card_portal(pool).await;
    let alex = alex_at_40_gb_a_day(&portal).await;
    let browser = portal.signed_in(ALEX_EMAIL).await;
    default_card(&portal, alex.account, "4242424242424242").await;

    // Both ways, with their amounts, before the tap: $25.00 on the next bill (tax added
    // there), or now: 8.25% × 25.00 = 2.0625 → $2.06, $27.06 to the Visa ending 4242.
    let (_, html) = portal.page(&browser, "/usage").await;
    assert_eq!(
        testid_text(&html, "buy-addon-card")
            .as_deref()
            .map(str::trim),
        Some("Pay $27.06 now with Visa •••• 4242")
    );
    assert_eq!(
        testid_text(&html, "buy-addon").as_deref().map(str::trim),
        Some("Add to my next bill: $25.00")
    );
    assert!(
        testid_text(&html, "addon-note")
            .unwrap_or_default()
            .starts_with("Now by card: $25.00 + $2.06 tax = $27.06."),
        "{html}"
    );

    let service = alex.service.to_string();
    let form = [
        ("service_id", service.as_str()),
        ("seq", "1"),
        ("pay", "card"),
    ];
    // Sam sends Alex's service: not found; nothing bought, posted or charged.
    let sam = portal.signed_in(SAM_EMAIL).await;
    let response = portal.call(&sam, "buy-data-addon", &form).await;
    assert_eq!(error_code(response).await, (404, "not_found".to_string()));
    assert!(addons(&portal, alex.service).await.is_empty());

    let before = ledger_balance(&portal, alex.account).await;
    let mark = last_entry(&portal).await;
    let response = form_post(&portal, &browser, "buy-data-addon", &form).await;
    let receipt = location(&response);
    let payments = addon_payments(&portal, alex.service).await;
    assert_eq!(payments.len(), 1);
    let (payment, amount, status) = payments[0].clone();
    assert_eq!(receipt, format!("/payments/{payment}"));
    assert_eq!((amount, status.as_str()), (dec!(27.06), "succeeded"));
    assert_eq!(
        entries_after(&portal, alex.account, mark).await,
        vec![
            (
                "charge".to_string(),
                dec!(25.00),
                format!(
                    "Data add-on: 100 GB for {}",
                    billing::text::period(&alex.cycle)
                )
            ),
            (
                "tax".to_string(),
                dec!(2.06),
                "Texas sales tax 8.25% on the data add-on".to_string()
            ),
            (
                "payment".to_string(),
                dec!(-27.06),
                "Card payment for the data add-on from Visa ending 4242, thank you".to_string()
            ),
        ]
    );
    assert_eq!(ledger_balance(&portal, alex.account).await, before);
    // Stripe was asked for 2,706 cents, once.
    let intent: String =
        sqlx::query_scalar("select stripe_payment_intent_id from payments where id = $1")
            .bind(payment)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    let at_stripe = at_stripe(&format!("/v1/payment_intents/{intent}"), &[]).await;
    assert_eq!(
        (at_stripe["amount"].as_i64(), at_stripe["currency"].as_str()),
        (Some(2706), Some("usd"))
    );

    // A double tap: the same post twice at once goes to the same receipt; nothing more is
    // bought, posted or charged.
    let (a, b) = tokio::join!(
        form_post(&portal, &browser, "buy-data-addon", &form),
        form_post(&portal, &browser, "buy-data-addon", &form)
    );
    assert_eq!(
        (location(&a), location(&b)),
        (receipt.clone(), receipt.clone())
    );
    assert_eq!(addons(&portal, alex.service).await, vec![(1, 100)]);
    assert_eq!(addon_payments(&portal, alex.service).await.len(), 1);
    assert_eq!(entries_after(&portal, alex.account, mark).await.len(), 3);

    // The receipt says what it paid for.
    let (status, html) = portal.page(&browser, &receipt).await;
    assert_eq!(status, 200);
    assert_eq!(
        testid_text(&html, "receipt-amount").as_deref(),
        Some("$27.06")
    );
    assert!(testid_text(&html, "receipt-for")
        .unwrap_or_default()
        .starts_with("Data add-on: 100 GB for"));
    // Sam cannot open it.
    let (status, _) = portal.page(&sam, &receipt).await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_declined_card_leaves_the_add_on_owed_and_the_pay_page_asks_for_exactly_its_amount(
    pool: PgPool,
) {
    let portal = card_portal(pool).await;
    let alex = alex_at_40_gb_a_day(&portal).await;
    let browser = portal.signed_in(ALEX_EMAIL).await;
    default_card(&portal, alex.account, "4000000000000341").await;
    let before = ledger_balance(&portal, alex.account).await;
    let service = alex.service.to_string();
    let form = [
        ("service_id", service.as_str()),
        ("seq", "1"),
        ("pay", "card"),
    ];
    let response = form_post(&portal, &browser, "buy-data-addon", &form).await;
    let receipt = location(&response);
    let payments = addon_payments(&portal, alex.service).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(receipt, format!("/payments/{}", payments[0].0));
    assert_eq!(payments[0].2, "failed");
    // The add-on is Alex's all the same (1,100 GB this cycle), its $27.06 owed.
    assert_eq!(addons(&portal, alex.service).await, vec![(1, 100)]);
    assert_eq!(
        ledger_balance(&portal, alex.account).await,
        before + dec!(27.06)
    );
    let (_, html) = portal.page(&browser, &receipt).await;
    assert!(html.contains("data-testid=\"receipt-failure\""));
    assert!(
        testid_text(&html, "receipt-addon-unpaid")
            .unwrap_or_default()
            .contains("$27.06 stays on your balance"),
        "{html}"
    );
    let addon: i64 = sqlx::query_scalar("select id from data_addons where service_id = $1")
        .bind(alex.service)
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert!(html.contains(&format!("href=\"/pay?addon={addon}\"")));

    // The pay page for it: the price, its tax and exactly that amount.
    let (status, html) = portal.page(&browser, &format!("/pay?addon={addon}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        testid_text(&html, "pay-addon-amount").as_deref(),
        Some("Now by card: $25.00 + $2.06 tax = $27.06.")
    );
    let page: serde_json::Value = portal
        .call(&browser, "pay-page", &[("addon", &addon.to_string())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["suggested"]["amount"], "27.06", "{page}");
    assert_eq!(page["addon"]["paid"], false);

    // Sam can neither see it nor pay it.
    let sam = portal.signed_in(SAM_EMAIL).await;
    let response = portal
        .call(&sam, "pay-page", &[("addon", &addon.to_string())])
        .await;
    assert_eq!(response.status().as_u16(), 404);
    let response = portal
        .call(
            &sam,
            "start-card-payment",
            &[
                ("amount", "27.06"),
                ("attempt", "sam-pays-alex-addon-0001"),
                ("data_addon", &addon.to_string()),
            ],
        )
        .await;
    assert_eq!(error_code(response).await, (404, "not_found".to_string()));

    // Alex pays it with a new card, kept for later: an amount other than the add-on's is
    // refused, then $27.06 goes through, the balance is back where it was and the card is
    // Alex's to use again.
    let cards_before: i64 =
        sqlx::query_scalar("select count(*) from payment_methods where account_id = $1")
            .bind(alex.account)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    let response = portal
        .call(
            &browser,
            "start-card-payment",
            &[
                ("amount", "25.00"),
                ("attempt", "alex-pays-addon-00000001"),
                ("data_addon", &addon.to_string()),
            ],
        )
        .await;
    assert_eq!(error_code(response).await, (409, "conflict".to_string()));
    let started: serde_json::Value = portal
        .call(
            &browser,
            "start-card-payment",
            &[
                ("amount", "27.06"),
                ("attempt", "alex-pays-addon-00000002"),
                ("data_addon", &addon.to_string()),
                ("save", "true"),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    let secret = started["client_secret"]
        .as_str()
        .expect("a new card")
        .to_string();
    let intent = secret.split("_secret_").next().unwrap().to_string();
    // What Stripe.js does with the typed card: confirms the payment's PaymentIntent.
    let confirmed = reqwest::Client::new()
        .post(format!(
            "{}/v1/payment_intents/{intent}/confirm",
            stripe_url()
        ))
        .form(&[
            ("key", "pk_test_payments"),
            ("client_secret", secret.as_str()),
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
            &browser,
            "finish-card-payment",
            &[("payment_id", payment_id.as_str())],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paid["state"], "succeeded", "{paid}");
    assert_eq!(ledger_balance(&portal, alex.account).await, before);
    let kept: Vec<(String, bool)> = sqlx::query_as(
        "select m.last4::text, p.save_card from payments p
           join payment_methods m on m.id = p.payment_method_id where p.id = $1",
    )
    .bind(payment_id.parse::<i64>().unwrap())
    .fetch_all(&portal.pool)
    .await
    .unwrap();
    assert_eq!(kept, [("4242".to_string(), true)]);
    let cards_after: i64 =
        sqlx::query_scalar("select count(*) from payment_methods where account_id = $1")
            .bind(alex.account)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(cards_after, cards_before + 1);
    let statuses: Vec<String> = addon_payments(&portal, alex.service)
        .await
        .into_iter()
        .map(|(_, amount, status)| format!("{amount} {status}"))
        .collect();
    assert_eq!(statuses, ["27.06 failed", "27.06 succeeded"]);
    // Paid: the pay page no longer asks for it.
    let page: serde_json::Value = portal
        .call(&browser, "pay-page", &[("addon", &addon.to_string())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["addon"]["paid"], true);
}

#[sqlx::test(migrations = "../migrations")]
async fn without_a_saved_card_paying_now_goes_to_the_pay_page_and_staff_never_charge_one(
    pool: PgPool,
) {
    let portal = card_portal(pool).await;
    let alex = alex_at_40_gb_a_day(&portal).await;
    let browser = portal.signed_in(ALEX_EMAIL).await;
    // No usable card: the seeded one is removed.
    sqlx::query(
        "update payment_methods set is_default = false, removed_at = now() where account_id = $1",
    )
    .bind(alex.account)
    .execute(&portal.pool)
    .await
    .unwrap();
    let (_, html) = portal.page(&browser, "/usage").await;
    assert_eq!(
        testid_text(&html, "buy-addon-card")
            .as_deref()
            .map(str::trim),
        Some("Pay $27.06 now by card")
    );
    let service = alex.service.to_string();
    let response = form_post(
        &portal,
        &browser,
        "buy-data-addon",
        &[
            ("service_id", service.as_str()),
            ("seq", "1"),
            ("pay", "card"),
        ],
    )
    .await;
    let addon: i64 = sqlx::query_scalar("select id from data_addons where service_id = $1")
        .bind(alex.service)
        .fetch_one(&portal.pool)
        .await
        .unwrap();
    assert_eq!(location(&response), format!("/pay?addon={addon}"));
    assert!(addon_payments(&portal, alex.service).await.is_empty());

    // Billing staff acting for Alex, with a card on file again: the pay page too, never a
    // one-tap charge of the subscriber's saved card.
    default_card(&portal, alex.account, "4242424242424242").await;
    let staff = portal.staff_signed_in(BILLING_EMAIL).await;
    let started = portal
        .call(
            &staff,
            "start-viewing",
            &[
                ("account_id", alex.account.to_string().as_str()),
                ("reason", "Caller wants more data and to pay now"),
            ],
        )
        .await;
    assert!(started.status().is_success() || started.status().is_redirection());
    let (_, html) = portal.page(&staff, "/usage").await;
    assert_eq!(
        testid_text(&html, "buy-addon-card")
            .as_deref()
            .map(str::trim),
        Some("Pay $27.06 now by card")
    );
    let response = form_post(
        &portal,
        &staff,
        "buy-data-addon",
        &[
            ("service_id", service.as_str()),
            ("seq", "2"),
            ("pay", "card"),
        ],
    )
    .await;
    let second: i64 =
        sqlx::query_scalar("select id from data_addons where service_id = $1 and seq = 2")
            .bind(alex.service)
            .fetch_one(&portal.pool)
            .await
            .unwrap();
    assert_eq!(location(&response), format!("/pay?addon={second}"));
    assert!(addon_payments(&portal, alex.service).await.is_empty());
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'support.assisted_data_addon'",
    )
    .fetch_one(&portal.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

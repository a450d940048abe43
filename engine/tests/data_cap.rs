//! The data cap against a real PostgreSQL: usage alerts once per service, cycle and
//! threshold (however often and from however many instances the check runs), and a data
//! add-on that raises one cycle's allowance and is billed once, with its tax, on the same
//! statement as the usage it covers, or is paid now by card (against localstripe, at
//! `LASTMILE_TEST_STRIPE_URL`): posted with its own tax when bought, the card charged
//! exactly that once however often it is asked, and still the subscriber's, owed with the
//! next statement, when the card is declined. Amounts are worked out by hand in the
//! comments.

mod common;

use billing::data_cap::PaidNow;
use billing::{Currency, Money};
use chrono::{DateTime, TimeZone, Utc};
use common::*;
use engine::cards::{self, PaymentState};
use engine::data_addons::{self, AddOnPayment, PayBy, Purchase};
use engine::usage_alerts::{check_thresholds, AlertSummary};
use engine::{EngineConfig, EngineError};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::PgPool;

const GB: i64 = 1_000_000_000;

fn utc(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, 0, 0)
        .single()
        .expect("instant")
}

/// Cable 300: $60.00 a month, 1,000 GB, $0.50 per GB over, 8.25% sales tax; an account on
/// cycle day 5 activated on Nov 5, 2026. Returns (account, service, the owner's login).
async fn capped_account(pool: &PgPool, number: &str) -> (i64, i64, i64) {
    let j = jurisdiction(
        pool,
        &format!("TX-{}", &number[number.len() - 3..]),
        "Sales tax",
        dec!(0.0825),
        false,
    )
    .await;
    let p = plan(
        pool,
        &format!("cable-{number}"),
        dec!(60.00),
        Some(1000),
        Some(dec!(0.50)),
    )
    .await;
    let (account, service) = account(pool, number, "postpaid", 5, j, p, d(2026, 11, 5)).await;
    let login: i64 = sqlx::query_scalar(
        "insert into portal_logins (account_id, person_id, email, password_hash)
         select account_id, id, email, '$argon2id$test' from people where account_id = $1
         returning id",
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .expect("login");
    (account, service, login)
}

fn purchase(account: i64, service: i64, login: i64, seq: i16) -> Purchase {
    Purchase {
        account_id: account,
        service_id: service,
        seq,
        login_id: Some(login),
        staff_id: None,
        today: d(2026, 11, 20),
        pay: PayBy::NextStatement,
    }
}

/// Adds `gb` gigabytes of downloads to the service's usage on `day`.
async fn add_usage(pool: &PgPool, service: i64, day: chrono::NaiveDate, gb: i64) {
    sqlx::query(
        "insert into usage_daily (service_id, day, download_bytes, upload_bytes) values ($1, $2, $3, 0)
         on conflict (service_id, day) do update
            set download_bytes = usage_daily.download_bytes + excluded.download_bytes",
    )
    .bind(service)
    .bind(day)
    .bind(gb * GB)
    .execute(pool)
    .await
    .expect("usage");
}

async fn alerts(pool: &PgPool, service: i64) -> Vec<(chrono::NaiveDate, i16, bool)> {
    sqlx::query_as(
        "select cycle_start, threshold, emailed from usage_alerts where service_id = $1
          order by cycle_start, threshold",
    )
    .bind(service)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn alert_emails(pool: &PgPool) -> Vec<(String, String)> {
    sqlx::query_as(
        "select subject, text_body from outbound_emails where kind = 'usage_alert' order by id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn each_threshold_is_announced_once_per_cycle_and_the_highest_new_one_is_emailed(
    pool: PgPool,
) {
    let config = config(); // America/Chicago
    let (account, service, login) = capped_account(&pool, "30000001").await;
    // Noon on Nov 20 in Chicago: the cycle is Nov 5 – Dec 4. 860 GB used: 86% of 1,000 GB,
    // so 50% and 85% are reached; one email, for 85%.
    add_usage(&pool, service, d(2026, 11, 10), 500).await;
    add_usage(&pool, service, d(2026, 11, 19), 360).await;
    let now = utc(2026, 11, 20, 18);
    assert_eq!(
        check_thresholds(&pool, &config, now, None).await.unwrap(),
        AlertSummary {
            recorded: 2,
            emailed: 1
        }
    );
    let cycle = d(2026, 11, 5);
    assert_eq!(
        alerts(&pool, service).await,
        vec![(cycle, 50, false), (cycle, 85, true)]
    );
    let emails = alert_emails(&pool).await;
    assert_eq!(emails.len(), 1);
    assert_eq!(
        emails[0].0,
        "You have used 85% of your data for Nov 5 – Dec 4, 2026"
    );
    assert!(
        emails[0]
            .1
            .contains("You have used 860.0 GB of the 1,000.0 GB included"),
        "{}",
        emails[0].1
    );
    // 100 GB × $0.50 with the default 50% off = $25.00.
    assert!(emails[0].1.contains("add 100 GB"), "{}", emails[0].1);
    assert!(emails[0].1.contains("for $25.00"), "{}", emails[0].1);
    assert!(emails[0].1.contains("https://portal.example.net/usage"));

    // Run again, twice at once as two instances would: nothing new.
    let (a, b) = tokio::join!(
        check_thresholds(&pool, &config, now, None),
        check_thresholds(&pool, &config, now, None)
    );
    assert_eq!(a.unwrap(), AlertSummary::default());
    assert_eq!(b.unwrap(), AlertSummary::default());
    assert_eq!(alert_emails(&pool).await.len(), 1);

    // A 100 GB add-on makes the cycle's allowance 1,100 GB: 1,060 GB is 96.4%, 100% is
    // not reached; at 1,110 GB it is, once.
    data_addons::buy(&pool, &config, &purchase(account, service, login, 1))
        .await
        .unwrap();
    add_usage(&pool, service, d(2026, 11, 20), 200).await;
    assert_eq!(
        check_thresholds(&pool, &config, now, Some(&[service]))
            .await
            .unwrap(),
        AlertSummary::default()
    );
    add_usage(&pool, service, d(2026, 11, 20), 50).await;
    assert_eq!(
        check_thresholds(&pool, &config, now, Some(&[service]))
            .await
            .unwrap(),
        AlertSummary {
            recorded: 1,
            emailed: 1
        }
    );
    let emails = alert_emails(&pool).await;
    assert_eq!(
        emails[1].0,
        "You have used all the data included for Nov 5 – Dec 4, 2026"
    );
    assert!(
        emails[1].1.contains("1,110.0 GB of the 1,100.0 GB"),
        "{}",
        emails[1].1
    );

    // The next cycle (Dec 5 – Jan 4) starts afresh: 600 GB by Dec 10 reaches 50% again,
    // against the plan's 1,000 GB (the add-on was for November's cycle only).
    add_usage(&pool, service, d(2026, 12, 6), 600).await;
    assert_eq!(
        check_thresholds(&pool, &config, utc(2026, 12, 10, 18), None)
            .await
            .unwrap(),
        AlertSummary {
            recorded: 1,
            emailed: 1
        }
    );
    assert_eq!(
        alerts(&pool, service).await,
        vec![
            (cycle, 50, false),
            (cycle, 85, true),
            (cycle, 100, true),
            (d(2026, 12, 5), 50, true)
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_operators_thresholds_are_the_ones_checked_and_unlimited_plans_have_none(pool: PgPool) {
    let mut config = config();
    config.data_cap.thresholds = vec![90];
    let (_, service, _) = capped_account(&pool, "30000002").await;
    add_usage(&pool, service, d(2026, 11, 10), 899).await;
    let now = utc(2026, 11, 20, 18);
    assert_eq!(
        check_thresholds(&pool, &config, now, None).await.unwrap(),
        AlertSummary::default(),
        "89.9% is not 90%, and 50% is not one of this operator's thresholds"
    );
    add_usage(&pool, service, d(2026, 11, 10), 1).await;
    assert_eq!(
        check_thresholds(&pool, &config, now, None)
            .await
            .unwrap()
            .recorded,
        1
    );

    // An unlimited plan: 5 TB used, no alert.
    let j = jurisdiction(&pool, "NV", "Sales tax", dec!(0.05), false).await;
    let p = plan(&pool, "fibre-unlimited", dec!(80.00), None, None).await;
    let (_, unlimited) = account(&pool, "30000003", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    add_usage(&pool, unlimited, d(2026, 11, 10), 5_000).await;
    check_thresholds(&pool, &config, now, None).await.unwrap();
    assert!(alerts(&pool, unlimited).await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn an_add_on_raises_its_cycles_allowance_and_is_billed_once_with_its_tax(pool: PgPool) {
    let config = config();
    let (account, service, login) = capped_account(&pool, "30000004").await;
    // 1,150 GB used in the cycle Nov 5 – Dec 4.
    usage(&pool, service, d(2026, 11, 5), d(2026, 12, 5), 1_150 * GB).await;

    let bought = data_addons::buy(&pool, &config, &purchase(account, service, login, 1))
        .await
        .unwrap();
    assert!(bought.new);
    assert_eq!(bought.gigabytes, 100);
    // 100 GB × $0.50 × (100 − 50)% = $25.00.
    assert_eq!(bought.price.amount(), dec!(25.00));
    assert_eq!(bought.cycle.start, d(2026, 11, 5));
    assert_eq!(bought.cycle.end, d(2026, 12, 5));

    // The same form posted again (a double tap) buys nothing more; a stale page's number
    // is refused; so is another account's service.
    let again = data_addons::buy(&pool, &config, &purchase(account, service, login, 1))
        .await
        .unwrap();
    assert_eq!((again.id, again.new), (bought.id, false));
    assert!(matches!(
        data_addons::buy(&pool, &config, &purchase(account, service, login, 3)).await,
        Err(EngineError::Conflict(_))
    ));
    let (other, _, _) = capped_account(&pool, "30000005").await;
    assert!(matches!(
        data_addons::buy(&pool, &config, &purchase(other, service, login, 1)).await,
        Err(EngineError::NotFound)
    ));
    assert_eq!(
        count(
            &pool,
            "select count(*) from one_time_charges where kind = 'data_addon'"
        )
        .await,
        1
    );
    let (description, amount): (String, Decimal) =
        sqlx::query_as("select description, amount from one_time_charges where id = $1")
            .bind(bought.one_time_charge_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (description.as_str(), amount),
        ("Data add-on: 100 GB for Nov 5 – Dec 4, 2026", dec!(25.00))
    );

    // The statement of Dec 5: Nov 5 – Dec 4 and Dec 5 – Jan 4 at $60.00 each; usage against
    // 1,000 + 100 GB: 50 GB over × $0.50 = $25.00; the add-on $25.00; tax 8.25% × 170.00
    // = 14.025 → $14.03 (half away from zero). Total $184.03. (Without the add-on: 150 GB
    // over = $75.00, tax 8.25% × 195.00 = 16.0875 → $16.09, $211.09.)
    assert_eq!(bill(&pool, d(2026, 12, 5)).await.billed, 2);
    assert_eq!(
        lines(&pool, account, d(2026, 12, 5)).await,
        vec![
            ("recurring".to_string(), dec!(60.00)),
            ("recurring".to_string(), dec!(60.00)),
            ("usage".to_string(), dec!(25.00)),
            ("one_time".to_string(), dec!(25.00)),
            ("tax".to_string(), dec!(14.03)),
        ]
    );
    assert_eq!(balance(&pool, account).await, dec!(184.03));
    let usage_line: String = sqlx::query_scalar(
        "select l.description from statement_lines l join statements s on s.id = l.statement_id
          where s.account_id = $1 and l.kind = 'usage'",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        usage_line,
        "Data usage Nov 5 – Dec 4, 2026: 1,150.0 GB of 1,000 GB included + 100.0 GB of data \
         add-ons; 50 started GB over at $0.50/GB"
    );

    // The next statement (Jan 5) rates December's 1,050 GB against 1,000 GB alone: 50 GB
    // over, $25.00, and charges no add-on again.
    usage(&pool, service, d(2026, 12, 5), d(2027, 1, 5), 1_050 * GB).await;
    bill(&pool, d(2027, 1, 5)).await;
    assert_eq!(
        lines(&pool, account, d(2027, 1, 5))
            .await
            .into_iter()
            .filter(|(kind, _)| kind != "payment")
            .collect::<Vec<_>>(),
        vec![
            ("recurring".to_string(), dec!(60.00)),
            ("usage".to_string(), dec!(25.00)),
            // 8.25% × 85.00 = 7.0125 → 7.01.
            ("tax".to_string(), dec!(7.01)),
        ]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_add_on_is_refused_for_an_unlimited_plan_and_for_a_suspended_service(pool: PgPool) {
    let config = config();
    let j = jurisdiction(&pool, "OR", "None", dec!(0), false).await;
    let p = plan(&pool, "fibre-unlimited", dec!(80.00), None, None).await;
    let (account, service) = account(&pool, "30000006", "postpaid", 5, j, p, d(2026, 11, 5)).await;
    let staff: i64 = sqlx::query_scalar(
        "insert into staff_users (email, display_name, role, password_hash)
         values ('billing@example.net', 'Billing', 'billing', '$argon2id$test') returning id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let by_staff = Purchase {
        account_id: account,
        service_id: service,
        seq: 1,
        login_id: None,
        staff_id: Some(staff),
        today: d(2026, 11, 20),
        pay: PayBy::NextStatement,
    };
    assert!(matches!(
        data_addons::buy(&pool, &config, &by_staff).await,
        Err(EngineError::Invalid(_))
    ));

    let (account, service, _) = capped_account(&pool, "30000007").await;
    // Switched off by staff (the service and its suspension, together).
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "update services set status = 'suspended', suspension_reason = 'other' where id = $1",
    )
    .bind(service)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "insert into service_suspensions (service_id, account_id, reason, suspended_on)
         values ($1, $2, 'other', '2026-11-15')",
    )
    .bind(service)
    .bind(account)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let by_staff = Purchase {
        account_id: account,
        service_id: service,
        ..by_staff
    };
    assert!(matches!(
        data_addons::buy(&pool, &config, &by_staff).await,
        Err(EngineError::Invalid(_))
    ));
    assert_eq!(count(&pool, "select count(*) from data_addons").await, 0);
}

// ---------------------------------------------------------------------------------------
// Paid now by card (billing::bill, rule 4).
// ---------------------------------------------------------------------------------------

use common::stripe::{
    browser_confirms_payment, browser_confirms_setup, card_config, intent_json, PK,
};

/// Confirms a SetupIntent with a typed card (the browser's part); the card is accepted.
async fn confirm_setup(secret: &str, number: &str) -> String {
    browser_confirms_setup(secret, number)
        .await
        .expect("the card is accepted")
}

/// Saves `number` as the account's default card (through a SetupIntent, as the cards page
/// does).
async fn default_card(pool: &PgPool, config: &EngineConfig, account: i64, number: &str) -> i64 {
    let stripe = config.stripe.clone().unwrap();
    let secret = cards::saved::start_setup(pool, &stripe, account)
        .await
        .unwrap();
    let setup = confirm_setup(&secret, number).await;
    let card = cards::saved::finish_setup(pool, &stripe, account, &setup)
        .await
        .unwrap();
    cards::saved::make_default(pool, account, card)
        .await
        .unwrap();
    card
}

fn by_card(account: i64, service: i64, login: i64, seq: i16) -> Purchase {
    Purchase {
        pay: PayBy::Card,
        ..purchase(account, service, login, seq)
    }
}

/// The account's ledger: (kind, amount, description), oldest first.
async fn ledger(pool: &PgPool, account: i64) -> Vec<(String, Decimal, String)> {
    sqlx::query_as(
        "select kind, amount, description from ledger_entries where account_id = $1 order by id",
    )
    .bind(account)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The PaymentIntent of a payment, as localstripe holds it: (amount in cents, currency,
/// status).
async fn intent_at_stripe(pool: &PgPool, payment: i64) -> (i64, String, String) {
    let id: String =
        sqlx::query_scalar("select stripe_payment_intent_id from payments where id = $1")
            .bind(payment)
            .fetch_one(pool)
            .await
            .unwrap();
    let intent = intent_json(&id).await;
    (
        intent["amount"].as_i64().unwrap(),
        intent["currency"].as_str().unwrap().to_string(),
        intent["status"].as_str().unwrap().to_string(),
    )
}

fn usd(amount: Decimal) -> Money {
    Money::new(amount, Currency::USD)
}

#[sqlx::test(migrations = "../migrations")]
async fn an_add_on_paid_now_is_posted_with_its_own_tax_and_the_saved_card_pays_exactly_that_once(
    pool: PgPool,
) {
    let config = card_config();
    let stripe = config.stripe.clone().unwrap();
    let (account, service, login) = capped_account(&pool, "30000010").await;
    default_card(&pool, &config, account, "4242424242424242").await;
    // 1,150 GB used in the cycle Nov 5 – Dec 4.
    usage(&pool, service, d(2026, 11, 5), d(2026, 12, 5), 1_150 * GB).await;

    // Bought on Nov 20 to pay now: $25.00 and the tax on it alone, 8.25% × 25.00 = 2.0625
    // → $2.06, posted at once: the balance shows $27.06.
    let bought = data_addons::buy(&pool, &config, &by_card(account, service, login, 1))
        .await
        .unwrap();
    let due = PaidNow {
        charge: usd(dec!(25.00)),
        tax: usd(dec!(2.06)),
        total: usd(dec!(27.06)),
    };
    assert_eq!(bought.paid_now, Some(due));
    assert_eq!(
        ledger(&pool, account).await,
        vec![
            (
                "charge".to_string(),
                dec!(25.00),
                "Data add-on: 100 GB for Nov 5 – Dec 4, 2026".to_string()
            ),
            (
                "tax".to_string(),
                dec!(2.06),
                "Sales tax 8.25% on the data add-on".to_string()
            ),
        ]
    );
    assert_eq!(balance(&pool, account).await, dec!(27.06));

    // The card on file pays exactly that: one PaymentIntent of 2,706 cents at Stripe, one
    // payment entry, and the balance is back to zero.
    let paid = data_addons::pay_one_tap(
        &pool,
        &stripe,
        &config,
        account,
        bought.id,
        login,
        d(2026, 11, 20),
    )
    .await
    .unwrap()
    .expect("a default card");
    assert_eq!(paid.state, PaymentState::Succeeded, "{paid:?}");
    let (amount, addon, status): (Decimal, Option<i64>, String) =
        sqlx::query_as("select amount, data_addon_id, status from payments where id = $1")
            .bind(paid.payment_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (amount, addon, status.as_str()),
        (dec!(27.06), Some(bought.id), "succeeded")
    );
    assert_eq!(
        intent_at_stripe(&pool, paid.payment_id).await,
        (2706, "usd".to_string(), "succeeded".to_string())
    );
    assert_eq!(
        ledger(&pool, account).await[2],
        (
            "payment".to_string(),
            dec!(-27.06),
            "Card payment for the data add-on from Visa ending 4242, thank you".to_string()
        )
    );
    assert_eq!(balance(&pool, account).await, dec!(0.00));

    // The same post again (a double tap, a retry after a lost answer), twice at once: the
    // add-on already bought, its payment found again, nothing charged twice.
    let again = data_addons::buy(&pool, &config, &by_card(account, service, login, 1))
        .await
        .unwrap();
    assert_eq!(
        (again.id, again.new, again.paid_now),
        (bought.id, false, Some(due))
    );
    let (a, b) = tokio::join!(
        data_addons::pay_one_tap(
            &pool,
            &stripe,
            &config,
            account,
            bought.id,
            login,
            d(2026, 11, 20)
        ),
        data_addons::pay_one_tap(
            &pool,
            &stripe,
            &config,
            account,
            bought.id,
            login,
            d(2026, 11, 20)
        ),
    );
    let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
    assert_eq!(
        (a.payment_id, b.payment_id),
        (paid.payment_id, paid.payment_id)
    );
    assert_eq!(
        (a.state, b.state),
        (PaymentState::Succeeded, PaymentState::Succeeded)
    );
    assert_eq!(count(&pool, "select count(*) from payments").await, 1);
    assert_eq!(count(&pool, "select count(*) from data_addons").await, 1);
    assert_eq!(ledger(&pool, account).await.len(), 3);
    // Another payment for it, from the pay page, is refused: it is paid.
    let refused = data_addons::pay(
        &pool,
        &stripe,
        &config,
        &AddOnPayment {
            account_id: account,
            data_addon_id: bought.id,
            shown: Some(usd(dec!(27.06))),
            saved_card: None,
            save_card: false,
            attempt: "pay-page-attempt-0001".into(),
            login_id: Some(login),
            assisted: None,
        },
    )
    .await;
    assert!(
        matches!(refused, Err(EngineError::Conflict(_))),
        "{refused:?}"
    );

    // The statement of Dec 5 (Nov 5 – Dec 4 and Dec 5 – Jan 4 at $60.00 each; usage
    // against 1,000 + 100 GB: 50 GB over × $0.50 = $25.00) does not charge the add-on
    // again: its own tax is 8.25% × 145.00 = 11.9625 → $11.96, then the add-on and its tax
    // as posted on Nov 20: 60 + 60 + 25 + 11.96 + 25 + 2.06 = $184.02. (Billed on the
    // statement instead, the add-on's tax would have been pooled: $14.03 in all, a cent
    // more than 11.96 + 2.06.) The card payment was received today, after Dec 5: it waits
    // for the next statement, and the balance is 184.02 − 27.06 = $156.96.
    bill(&pool, d(2026, 12, 5)).await;
    assert_eq!(
        lines(&pool, account, d(2026, 12, 5)).await,
        vec![
            ("recurring".to_string(), dec!(60.00)),
            ("recurring".to_string(), dec!(60.00)),
            ("usage".to_string(), dec!(25.00)),
            ("tax".to_string(), dec!(11.96)),
            ("one_time".to_string(), dec!(25.00)),
            ("tax".to_string(), dec!(2.06)),
        ]
    );
    assert_eq!(balance(&pool, account).await, dec!(156.96));
    let (total_due, charged_once): (Decimal, i64) = sqlx::query_as(
        "select s.total_due,
                (select count(*) from ledger_entries l where l.account_id = s.account_id
                  and l.description like 'Data add-on%')
           from statements s where s.account_id = $1",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((total_due, charged_once), (dec!(184.02), 1));
    assert_eq!(
        count(
            &pool,
            "select count(*) from one_time_charges where statement_id is not null"
        )
        .await,
        0,
        "the posted charge is not billed"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_declined_card_leaves_the_add_on_bought_and_owed_with_the_next_statement(pool: PgPool) {
    let config = card_config();
    let stripe = config.stripe.clone().unwrap();
    let (account, service, login) = capped_account(&pool, "30000011").await;
    default_card(&pool, &config, account, "4000000000000341").await;
    usage(&pool, service, d(2026, 11, 5), d(2026, 12, 5), 1_150 * GB).await;

    let bought = data_addons::buy(&pool, &config, &by_card(account, service, login, 1))
        .await
        .unwrap();
    let declined = data_addons::pay_one_tap(
        &pool,
        &stripe,
        &config,
        account,
        bought.id,
        login,
        d(2026, 11, 20),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(declined.state, PaymentState::Failed);
    assert_eq!(declined.decline.unwrap().code, "card_declined");
    // Nothing paid; the add-on is still bought (1,100 GB this cycle) and its $27.06 owed.
    assert_eq!(
        count(
            &pool,
            "select count(*) from ledger_entries where kind = 'payment'"
        )
        .await,
        0
    );
    assert_eq!(count(&pool, "select count(*) from data_addons").await, 1);
    assert_eq!(balance(&pool, account).await, dec!(27.06));

    // The pay page's amount must be the add-on's: $25.00 (the price before tax) is refused.
    let pay_page = |attempt: &str, shown: Decimal| AddOnPayment {
        account_id: account,
        data_addon_id: bought.id,
        shown: Some(usd(shown)),
        saved_card: None,
        save_card: false,
        attempt: attempt.into(),
        login_id: Some(login),
        assisted: None,
    };
    let refused = data_addons::pay(
        &pool,
        &stripe,
        &config,
        &pay_page("pay-page-attempt-0001", dec!(25.00)),
    )
    .await;
    assert!(
        matches!(refused, Err(EngineError::Conflict(_))),
        "{refused:?}"
    );

    // The Dec 5 statement shows the add-on and its tax as posted and no payment: due
    // 60 + 60 + 25 + 11.96 (as in the test above) + 25.00 + 2.06 = $184.02.
    bill(&pool, d(2026, 12, 5)).await;
    let total_due: Decimal =
        sqlx::query_scalar("select total_due from statements where account_id = $1")
            .bind(account)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(total_due, dec!(184.02));
    assert_eq!(balance(&pool, account).await, dec!(184.02));

    // Paid afterwards on the pay page with another card: exactly $27.06, the rest of the
    // statement still owed.
    let started = data_addons::pay(
        &pool,
        &stripe,
        &config,
        &pay_page("pay-page-attempt-0002", dec!(27.06)),
    )
    .await
    .unwrap();
    let confirmed =
        browser_confirms_payment(&started.client_secret.unwrap(), "4242424242424242").await;
    assert_eq!(confirmed, Ok("succeeded".to_string()));
    let paid = cards::payments::refresh(&pool, &stripe, &config, account, started.payment_id)
        .await
        .unwrap();
    assert_eq!(paid.state, PaymentState::Succeeded, "{paid:?}");
    assert_eq!(
        intent_at_stripe(&pool, paid.payment_id).await,
        (2706, "usd".to_string(), "succeeded".to_string())
    );
    assert_eq!(balance(&pool, account).await, dec!(156.96));
    let due = {
        let mut conn = pool.acquire().await.unwrap();
        data_addons::due(&mut conn, account, bought.id)
            .await
            .unwrap()
    };
    assert!(due.paid);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_card_the_bank_must_confirm_pays_once_the_check_is_done(pool: PgPool) {
    let config = card_config();
    let stripe = config.stripe.clone().unwrap();
    let (account, service, login) = capped_account(&pool, "30000012").await;
    default_card(&pool, &config, account, "4000002500003155").await;
    let bought = data_addons::buy(&pool, &config, &by_card(account, service, login, 1))
        .await
        .unwrap();
    let asked = data_addons::pay_one_tap(
        &pool,
        &stripe,
        &config,
        account,
        bought.id,
        login,
        d(2026, 11, 20),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(asked.state, PaymentState::RequiresAction);
    assert_eq!(balance(&pool, account).await, dec!(27.06));
    // The cardholder completes the bank's check (Stripe.js, on the receipt page).
    let secret = asked.client_secret.expect("a secret for the bank's check");
    let pi = secret.split("_secret_").next().unwrap();
    let done = reqwest::Client::new()
        .post(format!(
            "{}/v1/payment_intents/{pi}/_authenticate?success=true",
            common::stripe::url()
        ))
        .form(&[("key", PK), ("client_secret", secret.as_str())])
        .send()
        .await
        .unwrap();
    assert!(done.status().is_success(), "{}", done.text().await.unwrap());
    let paid = cards::payments::refresh(&pool, &stripe, &config, account, asked.payment_id)
        .await
        .unwrap();
    assert_eq!(paid.state, PaymentState::Succeeded);
    assert_eq!(balance(&pool, account).await, dec!(0.00));
}

#[sqlx::test(migrations = "../migrations")]
async fn another_accounts_add_on_is_not_found_and_one_on_the_statement_is_not_paid_now(
    pool: PgPool,
) {
    let config = card_config();
    let stripe = config.stripe.clone().unwrap();
    let (account, service, login) = capped_account(&pool, "30000013").await;
    let (other, other_service, other_login) = capped_account(&pool, "30000014").await;
    let on_card = data_addons::buy(&pool, &config, &by_card(account, service, login, 1))
        .await
        .unwrap();
    let on_bill = data_addons::buy(
        &pool,
        &config,
        &purchase(other, other_service, other_login, 1),
    )
    .await
    .unwrap();
    assert_eq!(on_bill.paid_now, None);
    let attempt = |account_id: i64, data_addon_id: i64| AddOnPayment {
        account_id,
        data_addon_id,
        shown: None,
        saved_card: None,
        save_card: false,
        attempt: "pay-page-attempt-0003".into(),
        login_id: None,
        assisted: None,
    };
    // The other account asks to pay (or see) this account's add-on: not found.
    assert!(matches!(
        data_addons::pay(&pool, &stripe, &config, &attempt(other, on_card.id)).await,
        Err(EngineError::NotFound)
    ));
    let mut conn = pool.acquire().await.unwrap();
    assert!(matches!(
        data_addons::due(&mut conn, other, on_card.id).await,
        Err(EngineError::NotFound)
    ));
    drop(conn);
    // Or tries to buy one for this account's service: not found.
    assert!(matches!(
        data_addons::buy(&pool, &config, &by_card(other, service, other_login, 2)).await,
        Err(EngineError::NotFound)
    ));
    // An add-on on the next statement has nothing to pay now, and nothing was posted for it.
    assert!(matches!(
        data_addons::pay(&pool, &stripe, &config, &attempt(other, on_bill.id)).await,
        Err(EngineError::Invalid(_))
    ));
    assert_eq!(balance(&pool, other).await, dec!(0.00));
    // Without a saved card there is no one-tap payment: the pay page asks for a card.
    assert!(data_addons::pay_one_tap(
        &pool,
        &stripe,
        &config,
        account,
        on_card.id,
        login,
        d(2026, 11, 20)
    )
    .await
    .unwrap()
    .is_none());
    assert_eq!(count(&pool, "select count(*) from payments").await, 0);
}

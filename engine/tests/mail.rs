//! Whom an account's emails go to and in which language, against a real PostgreSQL: the
//! recipient's login language in the account's region, else the account's locale; and the
//! bill run's statement email written that way.

mod common;

use common::*;
use engine::mail::{recipient, Recipient};
use rust_decimal::Decimal;
use sqlx::PgPool;

/// A tax-free jurisdiction and a $60.00 plan: (jurisdiction, plan).
async fn setup(pool: &PgPool) -> (i64, i64) {
    let j = jurisdiction(pool, "OR", "Sales tax", Decimal::ZERO, false).await;
    let p = plan(pool, "cable-300", Decimal::new(6000, 2), None, None).await;
    (j, p)
}

/// An account (`number`, in `locale`) with an owner; returns (account id, owner's id).
async fn account_in(pool: &PgPool, number: &str, locale: &str) -> (i64, i64) {
    let (j, p): (i64, i64) = sqlx::query_as(
        "select (select id from jurisdictions where code = 'OR'), (select id from plans where code = 'cable-300')",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let (account, _) = account(pool, number, "postpaid", 5, j, p, d(2026, 11, 5)).await;
    sqlx::query("update accounts set locale = $2 where id = $1")
        .bind(account)
        .bind(locale)
        .execute(pool)
        .await
        .unwrap();
    let owner: i64 = sqlx::query_scalar("select id from people where account_id = $1")
        .bind(account)
        .fetch_one(pool)
        .await
        .unwrap();
    (account, owner)
}

/// Gives `person` a login that chose `language` (or none).
async fn login(pool: &PgPool, person: i64, language: Option<&str>) {
    sqlx::query(
        "insert into portal_logins (account_id, person_id, email, password_hash, language)
         select account_id, id, email, '$argon2id$test', $2 from people where id = $1",
    )
    .bind(person)
    .bind(language)
    .execute(pool)
    .await
    .unwrap();
}

async fn locale_of(pool: &PgPool, account: i64) -> String {
    let mut conn = pool.acquire().await.unwrap();
    let to: Recipient = recipient(&mut conn, account)
        .await
        .unwrap()
        .expect("a recipient");
    to.locale
}

#[sqlx::test(migrations = "../migrations")]
async fn emails_are_written_in_the_login_language_in_the_accounts_region(pool: PgPool) {
    setup(&pool).await;
    // Spanish chosen on a US account: Spanish with the US's dollars and dates.
    let (us, owner) = account_in(&pool, "40000001", "en-US").await;
    login(&pool, owner, Some("es")).await;
    assert_eq!(locale_of(&pool, us).await, "es-US");

    // An account locale without a region keeps none.
    let (bare, owner) = account_in(&pool, "40000002", "en").await;
    login(&pool, owner, Some("fr")).await;
    assert_eq!(locale_of(&pool, bare).await, "fr");

    // No language chosen, or no login at all: the account's locale.
    let (none_chosen, owner) = account_in(&pool, "40000003", "fr-CA").await;
    login(&pool, owner, None).await;
    assert_eq!(locale_of(&pool, none_chosen).await, "fr-CA");
    let (no_login, _) = account_in(&pool, "40000004", "en-GB").await;
    assert_eq!(locale_of(&pool, no_login).await, "en-GB");

    // The billing contact is the recipient, in their own language, not the owner's.
    let (billing, owner) = account_in(&pool, "40000005", "en-US").await;
    login(&pool, owner, Some("es")).await;
    sqlx::query(
        "insert into people (account_id, role, first_name, last_name, email)
         values ($1, 'billing', 'Bea', 'Test', 'bea@example.net')",
    )
    .bind(billing)
    .execute(&pool)
    .await
    .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let to = recipient(&mut conn, billing)
        .await
        .unwrap()
        .expect("a recipient");
    assert_eq!(
        (
            to.email.as_str(),
            to.first_name.as_str(),
            to.locale.as_str()
        ),
        ("bea@example.net", "Bea", "en-US")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_bill_run_writes_the_statement_email_in_the_recipients_language(pool: PgPool) {
    setup(&pool).await;
    let (us, owner) = account_in(&pool, "40000011", "en-US").await;
    login(&pool, owner, Some("es")).await;
    let (plain, _) = account_in(&pool, "40000012", "en-US").await;
    bill(&pool, d(2026, 11, 5)).await;
    let subject = |account: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "select subject from outbound_emails where kind = 'statement_ready' and account_id = $1",
            )
            .bind(account)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    // $60.00 for the month, due 21 days after Nov 5.
    assert_eq!(
        subject(us).await,
        "Su estado de cuenta de Lastmile Broadband: $60.00 a pagar antes del 26/11/2026"
    );
    assert_eq!(
        subject(plain).await,
        "Your Lastmile Broadband statement: $60.00 due by Nov 26, 2026"
    );
}

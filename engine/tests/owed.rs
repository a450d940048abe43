//! What is owed, against a real PostgreSQL: one answer (`engine::owed`) for dunning,
//! autopay, pay links and the pay page, and for which statements a payment pays. Every
//! amount is worked out by hand in the comments. (Autopay's side is in `cards.rs`.)

mod common;

use common::*;
use engine::disputes::{self, DisputeRequest};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::PgPool;

/// A postpaid account on a 60.00 plan with 8.25% sales tax, billed Nov 5:
/// 60.00 + 4.95 = 64.95, due Nov 26. Returns (account, login, Nov statement, its
/// recurring line).
async fn statement_of(pool: &PgPool, account: i64, start: chrono::NaiveDate) -> (i64, String) {
    sqlx::query_as("select id, status from statements where account_id = $1 and period_start = $2")
        .bind(account)
        .bind(start)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn owed(pool: &PgPool, account: i64) -> engine::owed::Owed {
    let mut conn = pool.acquire().await.unwrap();
    engine::owed::of_account(&mut conn, account).await.unwrap()
}

async fn dunning_events(pool: &PgPool, account: i64) -> Vec<String> {
    sqlx::query_scalar(
        "select summary from service_events where account_id = $1 and kind = 'dunning' order by id",
    )
    .bind(account)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_dispute_on_an_earlier_statement_is_held_on_the_next_one_that_carries_it(pool: PgPool) {
    let (account, login, nov, recurring, _) = billed(&pool, "20000201", None).await;
    disputes::open(
        &pool,
        &config(),
        &DisputeRequest {
            account_id: account,
            statement_id: nov,
            line_id: recurring,
            amount: dec!(60.00),
            message: "I had no service in November.".into(),
            login_id: login,
        },
    )
    .await
    .unwrap();
    // Dec 5: 64.95 carried + 64.95 new = 129.90 due Dec 26.
    bill(&pool, d(2026, 12, 5)).await;
    let (dec, _) = statement_of(&pool, account, d(2026, 12, 5)).await;
    assert_eq!(balance(&pool, account).await, dec!(129.90));

    // November: 129.90 - 64.95 of December = 64.95 unpaid, 60.00 held: 4.95 owed.
    // December carries November's hold: 129.90 - 60.00 = 69.90 owed, as on the account.
    let owed = owed(&pool, account).await;
    assert_eq!(owed.on_statement(nov).amount(), dec!(4.95));
    assert_eq!(owed.on_statement(dec).amount(), dec!(69.90));
    assert_eq!(owed.on_account().amount(), dec!(69.90));
    assert_eq!(owed.allocation.held.amount(), dec!(60.00));

    // Dec 27, the day after December's due date: dunning catches up November's steps for
    // its 4.95 and sends December's overdue notice for 69.90, never the held 60.00.
    engine::dunning::run(&pool, &config(), d(2026, 12, 27))
        .await
        .unwrap();
    let events = dunning_events(&pool, account).await;
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("Overdue notice sent: $69.90 on statement")),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("Overdue notice sent: $4.95 on statement")),
        "{events:?}"
    );
    assert!(
        !events.iter().any(|e| e.contains("$129.90")),
        "the held amount is never pursued: {events:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_statement_paid_in_full_is_paid_though_a_staff_charge_came_after_it(pool: PgPool) {
    let (account, _, nov, _, _) = billed(&pool, "20000202", None).await;
    // Nov 10: a staff charge of 20.00 no statement has shown yet.
    sqlx::query(
        "insert into ledger_entries (account_id, currency, kind, amount, description, effective_on)
         values ($1, 'USD', 'adjustment', 20.00, 'Adjustment: technician visit', '2026-11-10')",
    )
    .bind(account)
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(balance(&pool, account).await, dec!(84.95));

    // Nov 12: the subscriber pays the statement's 64.95. Payments pay the oldest charges
    // first: the statement is paid; the 20.00 left is the newer staff charge's, owed on
    // the account and shown on the next statement.
    let paid = pay(&pool, "20000202", dec!(64.95), "BT-77", d(2026, 11, 12)).await;
    assert_eq!(paid.statements_paid, 1);
    assert_eq!(paid.balance, dec!(20.00));
    assert_eq!(statement_of(&pool, account, d(2026, 11, 5)).await.1, "paid");
    let owed = owed(&pool, account).await;
    assert_eq!(owed.on_statement(nov).amount(), Decimal::ZERO);
    assert_eq!(owed.on_account().amount(), dec!(20.00));

    // So no reminder, notice or late fee follows for a statement paid in full.
    for day in [23, 27] {
        engine::dunning::run(&pool, &config(), d(2026, 11, day))
            .await
            .unwrap();
    }
    engine::dunning::run(&pool, &config(), d(2026, 12, 3))
        .await
        .unwrap();
    assert_eq!(dunning_events(&pool, account).await, Vec::<String>::new());
}

/// Where a query sums `amount` and the first table it reads is `ledger_entries` itself.
fn sums_the_ledger(source: &str) -> Vec<String> {
    let lower = source.to_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("sum(") {
        let start = from + at;
        from = start + 4;
        let inner = lower[from..].split(')').next().unwrap_or("").trim();
        let column = inner.rsplit('.').next().unwrap_or("");
        if column != "amount" {
            continue;
        }
        let Some(table_at) = lower[from..].find(" from ") else {
            continue;
        };
        let table: String = lower[from + table_at + 6..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if table == "ledger_entries" {
            let line = lower[..start].lines().count();
            found.push(format!(
                "line {line}: {}",
                lower[start..].lines().next().unwrap_or("")
            ));
        }
    }
    found
}

fn rust_sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_query_reads_the_balance_from_the_account_balances_view() {
    // The balance is defined once, by the `account_balances` view (migrations/
    // 20261206000003_one_balance.sql). Application code reads it there; tests may sum the
    // ledger themselves to check the view.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in ["app", "engine", "server", "billing"] {
        rust_sources(&root.join(krate).join("src"), &mut files);
    }
    assert!(files.len() > 50, "the workspace's sources are found");
    let mut offenders = Vec::new();
    for file in files {
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for hit in sums_the_ledger(code) {
            offenders.push(format!("{}: {hit}", file.display()));
        }
    }
    assert!(
        offenders.is_empty(),
        "read the balance from account_balances instead:\n{}",
        offenders.join("\n")
    );
    // The check itself finds what it is meant to find.
    assert_eq!(
        sums_the_ledger(
            "select (select coalesce(sum(amount), 0) from ledger_entries where account_id = a.id)"
        )
        .len(),
        1
    );
    assert!(sums_the_ledger(
        "select coalesce(sum(l.amount), 0) from ledger_entries_pending p join ledger_entries l"
    )
    .is_empty());
}

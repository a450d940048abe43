//! The legacy import against a real PostgreSQL (and localstripe for the saved cards): the
//! exact report of an export with deliberate faults, a dry run that writes nothing, a
//! second run that changes nothing, a re-run that adds and updates, the first bill run of
//! an imported account (charged from its paid-through date) and the shadow bill against
//! a legacy invoice worked out by hand.
//!
//! The clean export is `docs/import-example/` (the one the README shows). Worked out by
//! hand for it, with Texas sales tax at 8.25 %:
//! * L1001, Fibre 300 at $50.00, paid through 2027-01-04, balance $54.13 = its open
//!   invoice INV-9001 (issued 2026-12-05, due 2026-12-26): the opening statement
//!   `O-20000001` is due $54.13 on Dec 26 (not yet passed on Dec 7); the Jan 5 2027
//!   statement charges Jan 5 – Feb 4, $50.00 + $4.13 tax (4.125 rounded), and nothing
//!   before Jan 5, with $54.13 brought forward: $108.26 due.
//! * L1002, Cable 300 at $55.00, paid through 2027-01-04, no balance: Jan 5 charges
//!   $55.00 + $4.54 tax (4.5375), 22 GB used of 1,000: no overage.
//! * L1003 (Oregon, no sales tax), Fibre 500 at $65.00, cycle day 12, paid through
//!   2026-12-11, $15.00 in credit: one credit entry, no statement; the Dec 12 statement
//!   charges Dec 12 – Jan 11, $65.00, shows the credit, and is due $50.00.
//! * L1004 is closed in the legacy system (status C = leave): not imported.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use engine::import::{self, Mapping};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::PgPool;

const TODAY: (i32, u32, u32) = (2026, 12, 7);

fn today() -> chrono::NaiveDate {
    d(TODAY.0, TODAY.1, TODAY.2)
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/import-example")
}

fn mapping() -> Mapping {
    Mapping::read(&example().join("mapping.toml")).expect("the example mapping reads")
}

/// The demo catalogue's plans and taxes the example maps to.
async fn catalogue(pool: &PgPool) {
    jurisdiction(pool, "US-TX", "Texas sales tax", dec!(0.0825), false).await;
    jurisdiction(pool, "US-OR", "Oregon", dec!(0), false).await;
    sqlx::raw_sql(
        "insert into plans (code, name, technology, download_mbps, upload_mbps, allowance_gb,
                            monthly_price, currency, overage_per_gb, contract_months, early_termination_fee)
         values ('fibre-300', 'Fibre 300', 'fibre', 300, 300, null, 50.00, 'USD', null, 0, null),
                ('fibre-500', 'Fibre 500', 'fibre', 500, 500, null, 65.00, 'USD', null, 12, 150.00),
                ('cable-300', 'Cable 300', 'cable', 300, 20, 1000, 55.00, 'USD', 0.50, 0, null)",
    )
    .execute(pool)
    .await
    .expect("plans");
}

/// A copy of the example export in a folder of its own, with `change` applied to each
/// file's text (file name, text) -> text.
fn export(name: &str, change: impl Fn(&str, String) -> String) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lastmile-import-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(example()).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        if file.ends_with(".csv") && file != "legacy-next-invoices.csv" {
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(dir.join(&file), change(&file, text)).unwrap();
        }
    }
    dir
}

fn options(batch: usize) -> import::WriteOptions {
    import::WriteOptions {
        today: today(),
        zone: chrono_tz::America::Chicago,
        payment_terms_days: 21,
        batch,
    }
}

async fn run(
    pool: &PgPool,
    dir: &Path,
    stripe: Option<&engine::cards::Stripe>,
    write: bool,
) -> import::Report {
    let legacy = import::read(dir).expect("readable");
    let mut conn = pool.acquire().await.unwrap();
    let (ready, mut report) = import::check(
        &mut conn,
        &legacy,
        &mapping(),
        stripe,
        today(),
        chrono_tz::America::Chicago,
    )
    .await
    .expect("checked");
    drop(conn);
    if write {
        let written = import::write(pool, &ready, options(1000), &|_, _| {})
            .await
            .expect("written");
        report.written = Some(written);
    }
    report
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_faulty_export_is_reported_row_by_row_and_a_dry_run_writes_nothing(pool: PgPool) {
    catalogue(&pool).await;
    // A real saved card for L1001 at localstripe, and one that does not exist for L1002.
    let stripe = stripe::client();
    let customer = stripe
        .create_customer(Some("jordan.avery@example.com"), "Jordan Avery", "20000001")
        .await
        .expect("customer");
    let setup = stripe
        .create_setup_intent(&customer)
        .await
        .expect("setup intent");
    let setup_id =
        stripe::browser_confirms_setup(setup.client_secret.as_deref().unwrap(), "4242424242424242")
            .await
            .expect("card set up");
    let pm = stripe
        .retrieve_setup_intent(&setup_id)
        .await
        .unwrap()
        .payment_method
        .expect("a payment method");
    // As Stripe does for a SetupIntent with a customer (localstripe leaves it to us).
    stripe
        .attach_payment_method(&pm, &customer)
        .await
        .expect("attached");
    let second = stripe
        .create_customer(Some("sam.rivera@example.com"), "Sam Rivera", "20000002")
        .await
        .unwrap();

    let dir = export("faulty", |file, text| {
        match file {
        "accounts.csv" => text
            .replace("L1001,20000001,residential,Jordan Avery,A,5,USD,en-US,,54.13,", &format!("L1001,20000001,residential,Jordan Avery,A,5,USD,en-US,,54.13,{customer}"))
            .replace("L1002,20000002,residential,Sam Rivera,A,5,USD,es-US,,0.00,", &format!("L1002,20000002,residential,Sam Rivera,A,5,USD,es-US,,0.00,{second}"))
            // a balance written the European way, and an account id given twice
            + "L1005,20000005,residential,Pat Doe,A,5,USD,,,\"12,50\",\n\
               L1006,20000006,residential,Lee Park,A,5,USD,,,0.00,\n\
               L1006,20000007,residential,Lee Park,A,5,USD,,,0.00,\n",
        "people.csv" => text + "P6,L1005,owner,Pat,Doe,pat.doe@example.com,,yes\nP7,L1006,owner,Lee,Park,lee.park@example.com,,no\n",
        "addresses.csv" => text + "A5,L1005,9 Oak St,,Austin,TX,78705,US,TX-STATE,fibre\n",
        // a bad date, and a plan code with no mapping
        "services.csv" => text
            .replace("S2,L1002,A2,DOCSIS-300,ACT,2025-06-05,", "S2,L1002,A2,DOCSIS-300,ACT,2025-06-31,")
            + "S5,L1005,A5,GOLD-1G,ACT,2026-01-05,2027-01-04,,,\n",
        // a negative open amount
        "invoices.csv" => text + "INV-9003,L1003,2026-11-12,2026-12-02,40.00,-40.00\n",
        _ => text,
    }
    });
    std::fs::write(
        dir.join("payment_methods.csv"),
        format!(
            "account,stripe_payment_method_id,default\nL1001,{pm},yes\nL1002,pm_doesnotexist,yes\n"
        ),
    )
    .unwrap();

    let report = run(&pool, &dir, Some(&stripe), false).await;
    let rejected: Vec<String> = report.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(
        rejected,
        [
            "accounts.csv:6:opening_balance: \"12,50\" is not an amount (digits, a dot and at most two decimals: -12.50)",
            "accounts.csv:8:legacy_id: \"L1006\" is also on line 7",
            "services.csv:3:activated_on: \"2025-06-31\" is not a date (YYYY-MM-DD)",
            "services.csv:6:plan: plan code \"GOLD-1G\" has no mapping in [plans]",
            "invoices.csv:3:open_amount: -40.00 is not more than zero",
            "payment_methods.csv:3:stripe_payment_method_id: pm_doesnotexist does not exist at Stripe",
        ],
        "{report}"
    );
    assert_eq!(
        report.held_back,
        ["L1002", "L1003", "L1005", "L1006"],
        "{report}"
    );
    let warnings: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "accounts.csv:4:opening_balance: -15.00: the account is in credit; it is carried over as a credit (check the sign if it should be owed)",
            "services.csv:plan: plan code \"GOLD-1G\" has no mapping in [plans] (1 services rejected)",
        ],
        "{report}"
    );
    assert_eq!(report.ready.accounts, 1, "only L1001 is clean: {report}");
    assert_eq!(report.left_in_legacy, 1);
    assert!(!report.clean());
    assert_eq!(
        count(&pool, "select count(*) from accounts").await,
        0,
        "a dry run writes nothing"
    );

    // The real run writes the clean account (with its card, as Stripe has it) and nothing
    // of the others.
    let report = run(&pool, &dir, Some(&stripe), true).await;
    let written = report.written.unwrap();
    assert_eq!(written.added.accounts, 1);
    assert_eq!(written.added.payment_methods, 1);
    let card: (String, String, bool) = sqlx::query_as(
        "select brand, last4, is_default from payment_methods m join accounts a on a.id = m.account_id
          where a.legacy_id = 'L1001'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(card, ("visa".into(), "4242".into(), true));
    assert_eq!(count(&pool, "select count(*) from accounts").await, 1);
    assert_eq!(count(&pool, "select count(*) from people").await, 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_import_runs_again_without_duplicating_and_bills_from_the_paid_through_date(
    pool: PgPool,
) {
    catalogue(&pool).await;
    let dir = export("clean", |_, text| text);
    let report = run(&pool, &dir, None, false).await;
    assert!(report.clean(), "{report}");
    let warnings: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        ["accounts.csv:4:opening_balance: -15.00: the account is in credit; it is carried over as a credit (check the sign if it should be owed)"],
        "{report}"
    );
    let report = run(&pool, &dir, None, true).await;
    let w = report.written.clone().unwrap();
    assert_eq!(
        (
            w.added.accounts,
            w.added.people,
            w.added.portal_logins,
            w.added.addresses,
            w.added.services
        ),
        (3, 4, 3, 3, 3),
        "{report}"
    );
    assert_eq!(
        (w.added.open_invoices, w.added.notes, w.added.usage_days),
        (1, 2, 2)
    );

    // What was carried over (billing::bill, imported accounts).
    let opening: (String, Decimal, Decimal, chrono::NaiveDate, String) = sqlx::query_as(
        "select s.statement_number, s.total_charges, s.total_due, s.due_on, s.status
           from statements s join accounts a on a.id = s.account_id where a.legacy_id = 'L1001'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        opening,
        (
            "O-20000001".into(),
            dec!(54.13),
            dec!(54.13),
            d(2026, 12, 26),
            "open".into()
        )
    );
    let balances: Vec<(String, Decimal)> = sqlx::query_as(
        "select a.legacy_id, b.balance from account_balances b join accounts a on a.id = b.account_id order by 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        balances,
        [
            ("L1001".into(), dec!(54.13)),
            ("L1002".into(), dec!(0.00)),
            ("L1003".into(), dec!(-15.00))
        ]
    );
    assert_eq!(
        count(&pool, "select count(*) from ledger_entries").await,
        2,
        "one entry for L1001's balance, one for L1003's credit"
    );
    let logins: Vec<(String, Option<String>, bool)> = sqlx::query_as(
        "select email::text, password_hash, is_primary from portal_logins order by email",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(logins.len(), 3);
    assert!(
        logins
            .iter()
            .all(|(_, hash, primary)| hash.is_none() && *primary),
        "{logins:?}"
    );
    let numbered: String = count_text(
        &pool,
        "select account_number from accounts where legacy_id = 'L1003'",
    )
    .await;
    assert_eq!(
        numbered, "20000003",
        "the next number after those the import brings"
    );

    // A second run changes nothing.
    let again = run(&pool, &dir, None, true).await.written.unwrap();
    assert_eq!(again.added, import::Counts::default());
    assert_eq!(again.updated, import::Counts::default());
    assert_eq!(
        (
            again.unchanged.accounts,
            again.unchanged.people,
            again.unchanged.services
        ),
        (3, 4, 3)
    );

    // A re-run after the legacy system changed a name and gained an account.
    let changed = export("changed", |file, text| match file {
        "accounts.csv" => {
            text.replace("Sam Rivera", "Samantha Rivera")
                + "L1006,20000006,residential,Lee Park,A,5,USD,,,0.00,\n"
        }
        "people.csv" => text + "P7,L1006,owner,Lee,Park,lee.park@example.com,,no\n",
        "addresses.csv" => text + "A6,L1006,5 Pine St,,Austin,TX,78702,US,TX-STATE,fibre\n",
        "services.csv" => text + "S6,L1006,A6,FTTH-300,NEW,,,,,\n",
        _ => text,
    });
    let third = run(&pool, &changed, None, true).await.written.unwrap();
    assert_eq!(
        (
            third.added.accounts,
            third.updated.accounts,
            third.unchanged.accounts
        ),
        (1, 1, 2)
    );
    assert_eq!((third.added.services, third.unchanged.services), (1, 3));
    assert_eq!(count(&pool, "select count(*) from accounts").await, 4);
    assert_eq!(
        count(&pool, "select count(*) from statements").await,
        1,
        "nothing carried twice"
    );
    assert_eq!(
        count_text(
            &pool,
            "select upstream_ref from services where legacy_id = 'S1'"
        )
        .await,
        "WS-AUS-0042",
        "the supplier's circuit, for reconciliation"
    );

    // The first bill runs charge from the paid-through dates, never before.
    bill(&pool, d(2026, 12, 12)).await;
    let l1003: (
        Decimal,
        Decimal,
        Decimal,
        chrono::NaiveDate,
        chrono::NaiveDate,
    ) = sqlx::query_as(
        "select s.total_charges, s.total_credits, s.total_due, c.period_start, c.period_end
           from statements s join accounts a on a.id = s.account_id
           join service_charges c on c.statement_id = s.id where a.legacy_id = 'L1003'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        l1003,
        (
            dec!(65.00),
            dec!(-15.00),
            dec!(50.00),
            d(2026, 12, 12),
            d(2027, 1, 12)
        )
    );
    bill(&pool, d(2027, 1, 5)).await;
    let jan: Vec<(String, Decimal, Decimal, Decimal, Decimal)> = sqlx::query_as(
        "select a.legacy_id, s.previous_balance, s.total_charges, s.total_tax, s.total_due
           from statements s join accounts a on a.id = s.account_id
          where s.issued_on = '2027-01-05' order by 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        jan,
        [
            (
                "L1001".into(),
                dec!(54.13),
                dec!(50.00),
                dec!(4.13),
                dec!(108.26)
            ),
            (
                "L1002".into(),
                dec!(0.00),
                dec!(55.00),
                dec!(4.54),
                dec!(59.54)
            ),
        ]
    );
    assert_eq!(
        count(&pool, "select count(*) from service_charges where period_start < '2027-01-05' and service_id in (select id from services where legacy_id in ('S1', 'S2'))").await,
        0,
        "nothing the legacy system charged is charged again"
    );
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(changed);
}

async fn count_text(pool: &PgPool, sql: &str) -> String {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_shadow_bill_matches_a_hand_worked_legacy_invoice_and_lists_every_difference(
    pool: PgPool,
) {
    catalogue(&pool).await;
    let dir = export("shadow", |_, text| text);
    run(&pool, &dir, None, true).await;
    let config = config();
    let same =
        import::shadow::shadow_bill(&pool, &config, &example().join("legacy-next-invoices.csv"))
            .await
            .expect("compared");
    assert!(same.all_same(), "{same}");
    assert_eq!(
        same.compared
            .iter()
            .map(|c| (c.legacy_id.as_str(), c.lastmile_total))
            .collect::<Vec<_>>(),
        [("L1001", dec!(54.13)), ("L1002", dec!(59.54))]
    );

    // The legacy system priced Cable 300 at $60.00 with its tax, and bills an unknown account.
    let file = dir.join("next.csv");
    std::fs::write(
        &file,
        std::fs::read_to_string(example().join("legacy-next-invoices.csv"))
            .unwrap()
            .replace(
                "Cable 300, Jan 5 - Feb 4\",55.00",
                "Cable 300, Jan 5 - Feb 4\",60.00",
            )
            .replace(
                "L1002,INV-9102,2027-01-05,tax,,Texas sales tax 8.25%,4.54",
                "L1002,INV-9102,2027-01-05,tax,,Texas sales tax 8.25%,4.95",
            )
            + "L9999,INV-9199,2027-01-05,recurring,,Fibre,50.00\n",
    )
    .unwrap();
    let report = import::shadow::shadow_bill(&pool, &config, &file)
        .await
        .expect("compared");
    assert!(!report.all_same());
    assert_eq!(report.not_imported, ["L9999"]);
    let l1002 = &report.compared[1];
    assert_eq!(
        (l1002.legacy_total, l1002.lastmile_total),
        (dec!(64.95), dec!(59.54))
    );
    let kinds: Vec<(&str, Option<&str>, Decimal, Decimal)> = l1002
        .differences
        .iter()
        .map(|d| (d.kind.as_str(), d.service.as_deref(), d.legacy, d.lastmile))
        .collect();
    assert_eq!(
        kinds,
        [
            ("recurring", Some("S2"), dec!(60.00), dec!(55.00)),
            ("tax", None, dec!(4.95), dec!(4.54))
        ]
    );
    assert_eq!(l1002.differences[0].lastmile_lines.len(), 1);
    assert!(report.compared[0].same(), "L1001 still matches");
    let text = report.to_string();
    assert!(text.contains("L1002 (20000002) INV-9102 on 2027-01-05: legacy 64.95, Lastmile 59.54: differs by -5.41"), "{text}");
    assert!(text.ends_with("shadow bill: 2 accounts compared, 1 the same, 1 different (over a cent), 1 not imported\n"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

/// An export of `n` plain accounts (one owner, one address, one active Fibre 300 service
/// paid through 2027-01-04, no balance).
fn generated(name: &str, n: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lastmile-import-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut accounts =
        String::from("legacy_id,kind,name,status,cycle_day,currency,opening_balance\n");
    let mut people =
        String::from("legacy_id,account,role,first_name,last_name,email,portal_login\n");
    let mut addresses = String::from("legacy_id,account,line1,city,postal_code,country,tax_code\n");
    let mut services =
        String::from("legacy_id,account,address,plan,status,activated_on,paid_through\n");
    for i in 0..n {
        accounts += &format!("G{i},residential,Subscriber {i},A,5,USD,0.00\n");
        people += &format!("GP{i},G{i},owner,Robin,Test{i},robin.{i}@example.net,yes\n");
        addresses += &format!("GA{i},G{i},{i} Test Street,Austin,78701,US,TX-STATE\n");
        services += &format!("GS{i},G{i},GA{i},FTTH-300,ACT,2025-01-05,2027-01-04\n");
    }
    for (file, text) in [
        ("accounts.csv", accounts),
        ("people.csv", people),
        ("addresses.csv", addresses),
        ("services.csv", services),
    ] {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

#[sqlx::test(migrations = "../migrations")]
async fn an_import_cut_off_part_way_keeps_whole_batches_and_the_next_run_completes_it(
    pool: PgPool,
) {
    catalogue(&pool).await;
    let dir = generated("cut", 250);
    let legacy = import::read(&dir).unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let (ready, report) = import::check(
        &mut conn,
        &legacy,
        &mapping(),
        None,
        today(),
        chrono_tz::America::Chicago,
    )
    .await
    .unwrap();
    drop(conn);
    assert!(report.clean(), "{report}");

    // Cut off (the process gone, its transaction with it) as soon as the first batch of 100
    // is committed, while the second is being written.
    let first = tokio::sync::Notify::new();
    let tick = |done: usize, _: usize| {
        if done >= 100 {
            first.notify_one();
        }
    };
    tokio::select! {
        _ = import::write(&pool, &ready, options(100), &tick) => panic!("the import ended before it was cut off"),
        _ = first.notified() => {}
    }
    // The connection of the cut-off batch rolls back as it is dropped; wait until it has.
    for _ in 0..100 {
        if count(&pool, "select count(*) from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'").await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        count(&pool, "select count(*) from accounts").await,
        100,
        "one whole batch"
    );
    assert_eq!(count(&pool, "select count(*) from services").await, 100);

    let written = import::write(&pool, &ready, options(100), &|_, _| {})
        .await
        .unwrap();
    assert_eq!(
        (written.added.accounts, written.unchanged.accounts),
        (150, 100)
    );
    assert_eq!(
        (written.added.services, written.added.portal_logins),
        (150, 150)
    );
    assert_eq!(count(&pool, "select count(*) from accounts").await, 250);
    assert_eq!(
        count(&pool, "select count(*) from accounts a where (select count(*) from services s where s.account_id = a.id) = 1
                        and (select count(*) from people p where p.account_id = a.id) = 1
                        and (select count(*) from portal_logins l where l.account_id = a.id) = 1").await,
        250,
        "every account whole"
    );
    let again = import::write(&pool, &ready, options(100), &|_, _| {})
        .await
        .unwrap();
    assert_eq!(
        (
            again.added.accounts,
            again.unchanged.accounts,
            again.unchanged.services
        ),
        (0, 250, 250)
    );
    let _ = std::fs::remove_dir_all(dir);
}

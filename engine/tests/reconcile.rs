//! Reconciliation against a real PostgreSQL: generated accounts with each kind of mismatch
//! planted (and one that agrees everywhere), found exactly, with the counts per plan and
//! day side by side.

mod common;

use common::*;
use engine::network::NetworkConfig;
use engine::reconcile::{self, Upstream, UpstreamLine};
use rust_decimal_macros::dec;
use sqlx::PgPool;

fn line(line: u64, circuit: &str, mbps: Option<i64>) -> UpstreamLine {
    UpstreamLine {
        line,
        circuit: circuit.into(),
        download_mbps: mbps,
        period_start: d(2026, 11, 1),
        period_end: d(2026, 12, 1),
        amount: dec!(40.00),
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn each_planted_mismatch_is_found_once_with_its_evidence(pool: PgPool) {
    let j = jurisdiction(&pool, "US-IL", "Sales tax", dec!(0.0825), false).await;
    let cable = plan(&pool, "cable-300", dec!(55.00), None, None).await;
    let faster: i64 = sqlx::query_scalar(
        "insert into plans (code, name, technology, download_mbps, upload_mbps, monthly_price, currency)
         values ('cable-600', 'Cable 600', 'cable', 600, 30, 75.00, 'USD') returning id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let oct = d(2026, 10, 1);
    let mut services = Vec::new();
    for (n, circuit) in ["C-A", "C-B", "C-C", "C-D", "C-E", "C-G", "C-H"]
        .iter()
        .enumerate()
    {
        let (_, service) = account(
            &pool,
            &format!("1000000{}", n + 1),
            "postpaid",
            1,
            j,
            cable,
            oct,
        )
        .await;
        sqlx::query("update services set upstream_ref = $2 where id = $1")
            .bind(service)
            .bind(circuit)
            .execute(&pool)
            .await
            .unwrap();
        services.push(service);
    }
    let [a, _b, c, dd, e, g, h] = services[..] else {
        unreachable!()
    };
    // D was cancelled on Oct 20, before November was billed.
    sqlx::query(
        "update services set status = 'cancelled', cancelled_on = '2026-10-20' where id = $1",
    )
    .bind(dd)
    .execute(&pool)
    .await
    .unwrap();
    bill(&pool, d(2026, 11, 1)).await;
    // C was switched off on Nov 10 and used the line on Nov 12 and 13 all the same.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "update services set status = 'suspended', suspension_reason = 'other' where id = $1",
    )
    .bind(c)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "insert into service_suspensions (service_id, account_id, reason, suspended_on)
         select id, account_id, 'other', '2026-11-10' from services where id = $1",
    )
    .bind(c)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    usage(&pool, c, d(2026, 11, 1), d(2026, 11, 10), 9_000_000_000).await;
    usage(&pool, c, d(2026, 11, 12), d(2026, 11, 14), 2_000_000_000).await;
    for s in [a, e, g, h] {
        usage(&pool, s, d(2026, 11, 1), d(2026, 12, 1), 30_000_000_000).await;
    }
    // Everything provisioned; then H moved to Cable 600 without the network hearing of it.
    engine::network::provision::run(&pool, &NetworkConfig::default())
        .await
        .unwrap();
    sqlx::query("update services set plan_id = $2 where id = $1")
        .bind(h)
        .bind(faster)
        .execute(&pool)
        .await
        .unwrap();

    let invoice = [
        line(2, "C-A", Some(300)),
        line(3, "C-B", None),
        line(4, "C-C", None),
        line(5, "C-D", None),
        line(6, "C-G", Some(600)),
        line(7, "C-H", None),
        line(8, "C-ZZZ", None),
    ];
    let run = reconcile::run(
        &pool,
        d(2026, 11, 1),
        d(2026, 12, 1),
        Some(Upstream {
            source: "supplier-2026-11.csv",
            lines: &invoice,
        }),
        "plan:",
    )
    .await
    .expect("reconciled");
    let found: Vec<(&str, Option<&str>, Option<&str>, &str)> = run
        .mismatches
        .iter()
        .map(|m| {
            (
                m.kind.as_str(),
                m.account_number.as_deref(),
                m.upstream_ref.as_deref(),
                m.evidence.as_str(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("used_while_off", Some("10000003"), Some("C-C"), "2.0 GB used on 2 days while switched off or cancelled (2026-11-12 to 2026-11-13)"),
            ("billed_never_online", Some("10000002"), Some("C-B"), "charged for 30 days of the period; no usage recorded in it"),
            ("speed_differs", Some("10000007"), Some("C-H"), "plan cable-600 (600 Mbit/s) here; RADIUS has it in plan:cable-300"),
            ("invoiced_but_cancelled", Some("10000004"), Some("C-D"), "invoiced 40.00 for 2026-11-01 to 2026-11-30 (line 5); cancelled here on 2026-10-20"),
            ("invoiced_unknown", None, Some("C-ZZZ"), "invoiced 40.00 for 2026-11-01 to 2026-11-30 (line 8); no service here has this circuit"),
            ("active_not_invoiced", Some("10000005"), Some("C-E"), "in service here from 2026-11-01; not on the supplier's invoice"),
            ("speed_differs", Some("10000006"), Some("C-G"), "plan cable-300 here (300 Mbit/s down); the supplier invoices 600 Mbit/s (line 6)"),
        ]
    );
    let summary: serde_json::Value =
        sqlx::query_scalar("select summary from reconciliation_runs where id = $1")
            .bind(run.id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(summary["speed_differs"], 2);
    assert_eq!(summary["used_while_off"], 1);

    // Nov 15, Cable 300: billed A B C E G (C's charge stands; H is Cable 600 now);
    // provisioned in its group and in service A B E G; online A E G; invoiced A B C D G.
    let day: (i32, i32, i32, i32) = sqlx::query_as(
        "select billed, provisioned, online, invoiced from reconciliation_daily
          where run_id = $1 and plan_id = $2 and day = '2026-11-15'",
    )
    .bind(run.id)
    .bind(cable)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(day, (5, 4, 3, 5));
    let days: i64 = sqlx::query_scalar(
        "select count(distinct day) from reconciliation_daily where run_id = $1",
    )
    .bind(run.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(days, 30);

    // Without the supplier's invoice, only what the network and the bills say.
    let alone = reconcile::run(&pool, d(2026, 11, 1), d(2026, 12, 1), None, "plan:")
        .await
        .unwrap();
    assert_eq!(
        alone.counts(),
        [
            ("used_while_off", 1),
            ("billed_never_online", 1),
            ("invoiced_but_cancelled", 0),
            ("invoiced_unknown", 0),
            ("active_not_invoiced", 0),
            ("speed_differs", 1),
        ]
    );
}

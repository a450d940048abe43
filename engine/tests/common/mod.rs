//! Small, explicit fixtures for the engine's database tests: each test builds exactly the
//! accounts it reasons about, so every expected amount can be worked out by hand.

#![allow(dead_code)] // each test file uses some of these

pub mod freeradius;
pub mod radius;
pub mod stripe;

use chrono::NaiveDate;
use engine::EngineConfig;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::PgPool;

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

pub fn config() -> EngineConfig {
    EngineConfig {
        public_url: "https://portal.example.net".into(),
        ..EngineConfig::default()
    }
}

/// A jurisdiction with one tax rate; returns its id.
pub async fn jurisdiction(
    pool: &PgPool,
    code: &str,
    tax: &str,
    rate: Decimal,
    inclusive: bool,
) -> i64 {
    let id: i64 =
        sqlx::query_scalar("insert into jurisdictions (code, name) values ($1, $1) returning id")
            .bind(code)
            .fetch_one(pool)
            .await
            .expect("jurisdiction");
    sqlx::query(
        "insert into tax_rates (jurisdiction_id, name, rate, inclusive, valid_from)
         values ($1, $2, $3, $4, '2020-01-01')",
    )
    .bind(id)
    .bind(tax)
    .bind(rate)
    .bind(inclusive)
    .execute(pool)
    .await
    .expect("tax rate");
    id
}

/// A plan; returns its id.
pub async fn plan(
    pool: &PgPool,
    code: &str,
    price: Decimal,
    allowance_gb: Option<i32>,
    overage: Option<Decimal>,
) -> i64 {
    sqlx::query_scalar(
        "insert into plans (code, name, technology, download_mbps, upload_mbps, allowance_gb,
                            monthly_price, currency, overage_per_gb)
         values ($1, 'Cable 300', 'cable', 300, 20, $2, $3, 'USD', $4) returning id",
    )
    .bind(code)
    .bind(allowance_gb)
    .bind(price)
    .bind(overage)
    .fetch_one(pool)
    .await
    .expect("plan")
}

/// An account with an owner (with an email), an address and one service. Returns
/// (account id, service id).
#[allow(clippy::too_many_arguments)]
pub async fn account(
    pool: &PgPool,
    number: &str,
    mode: &str,
    cycle_day: i16,
    jurisdiction: i64,
    plan: i64,
    activated_on: NaiveDate,
) -> (i64, i64) {
    let account: i64 = sqlx::query_scalar(
        "insert into accounts (account_number, kind, display_name, billing_mode, billing_cycle_day,
                               currency, time_zone)
         values ($1, 'residential', 'Test Subscriber', $2, $3, 'USD', 'America/Chicago') returning id",
    )
    .bind(number)
    .bind(mode)
    .bind(cycle_day)
    .fetch_one(pool)
    .await
    .expect("account");
    sqlx::query(
        "insert into people (account_id, role, first_name, last_name, email)
         values ($1, 'owner', 'Robin', 'Test', $2)",
    )
    .bind(account)
    .bind(format!("robin.{number}@example.net"))
    .execute(pool)
    .await
    .expect("person");
    let address: i64 = sqlx::query_scalar(
        "insert into addresses (account_id, line1, city, postal_code, country, jurisdiction_id)
         values ($1, '1 Test Street', 'Springfield', '62701', 'US', $2) returning id",
    )
    .bind(account)
    .bind(jurisdiction)
    .fetch_one(pool)
    .await
    .expect("address");
    let service: i64 = sqlx::query_scalar(
        "insert into services (account_id, address_id, plan_id, status, activated_on)
         values ($1, $2, $3, 'active', $4) returning id",
    )
    .bind(account)
    .bind(address)
    .bind(plan)
    .bind(activated_on)
    .fetch_one(pool)
    .await
    .expect("service");
    (account, service)
}

/// Spreads `total_bytes` of downloads evenly over the days `[from, to)`.
pub async fn usage(pool: &PgPool, service: i64, from: NaiveDate, to: NaiveDate, total_bytes: i64) {
    let days = (to - from).num_days();
    let per_day = total_bytes / days;
    let last = total_bytes - per_day * (days - 1);
    sqlx::query(
        "insert into usage_daily (service_id, day, download_bytes, upload_bytes)
         select $1, day::date, case when day::date = $3::date - 1 then $5 else $4 end, 0
           from generate_series($2::date, $3::date - 1, interval '1 day') as day",
    )
    .bind(service)
    .bind(from)
    .bind(to)
    .bind(per_day)
    .bind(last)
    .execute(pool)
    .await
    .expect("usage");
}

/// The lines of an account's statement for the period starting `start`: (kind, amount).
pub async fn lines(pool: &PgPool, account: i64, start: NaiveDate) -> Vec<(String, Decimal)> {
    sqlx::query_as(
        "select l.kind, l.amount from statement_lines l join statements s on s.id = l.statement_id
          where s.account_id = $1 and s.period_start = $2 order by l.line_no",
    )
    .bind(account)
    .bind(start)
    .fetch_all(pool)
    .await
    .expect("lines")
}

pub async fn balance(pool: &PgPool, account: i64) -> Decimal {
    sqlx::query_scalar("select balance from account_balances where account_id = $1")
        .bind(account)
        .fetch_one(pool)
        .await
        .expect("balance")
}

pub async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql)
}

/// Where the usage roll-ups the usage report reads disagree with what they sum: the
/// services and months where `usage_monthly` is not the sum of the days in `usage_daily`,
/// and the plans and months where `usage_plan_monthly` is not the count of those months
/// (the thresholds worked out here again): none, whatever wrote the days.
pub async fn usage_rollup_disagreements(pool: &PgPool) -> i64 {
    let months = count(
        pool,
        "select count(*) from (
             select service_id, date_trunc('month', day)::date as month,
                    sum(download_bytes) as down, sum(upload_bytes) as up
               from usage_daily group by 1, 2) d
           full join usage_monthly m using (service_id, month)
          where d.down is distinct from m.download_bytes or d.up is distinct from m.upload_bytes",
    )
    .await;
    let plans = count(
        pool,
        "select count(*) from (
             select month, plan_id,
                    count(*) filter (where used > 0) as services, sum(used) as bytes,
                    count(*) filter (where used > 0 and used >= allowance_bytes / 2.0) as half,
                    count(*) filter (where used > 0 and used >= allowance_bytes * 0.8) as four_fifths,
                    count(*) filter (where used > 0 and used >= allowance_bytes) as all_of_it
               from (select month, plan_id, allowance_bytes, download_bytes + upload_bytes as used
                       from usage_monthly) m
              group by 1, 2) counted
           full join (select month, plan_id, sum(services) as services, sum(bytes) as bytes,
                             sum(at_half) as half, sum(at_four_fifths) as four_fifths,
                             sum(at_allowance) as all_of_it
                        from usage_plan_monthly group by 1, 2) rolled using (month, plan_id)
          where (coalesce(counted.services, 0), coalesce(counted.bytes, 0), coalesce(counted.half, 0),
                 coalesce(counted.four_fifths, 0), coalesce(counted.all_of_it, 0))
                <> (coalesce(rolled.services, 0), coalesce(rolled.bytes, 0), coalesce(rolled.half, 0),
                    coalesce(rolled.four_fifths, 0), coalesce(rolled.all_of_it, 0))",
    )
    .await;
    months + plans
}

/// The groups where `payment_outcomes` (the roll-up the card payments report reads) is not
/// the count and sum of the payments started in its quarter hour: none, whatever wrote them.
pub async fn payment_rollup_disagreements(pool: &PgPool) -> i64 {
    count(
        pool,
        "select count(*) from (
             select to_timestamp(floor(extract(epoch from created_at) / 900) * 900) as quarter,
                    method, status, coalesce(failure_code, '') as failure_code, currency,
                    count(*) as payments, sum(amount) as amount
               from payments group by 1, 2, 3, 4, 5) p
           full join payment_outcomes o using (quarter, method, status, failure_code, currency)
          where p.payments is distinct from o.payments or p.amount is distinct from o.amount",
    )
    .await
}

pub fn run_options(date: NaiveDate) -> engine::bill_run::RunOptions {
    engine::bill_run::RunOptions {
        date,
        dry_run: false,
        account: None,
        started_by: "test".into(),
        stop: Default::default(),
    }
}

pub async fn bill(pool: &PgPool, date: NaiveDate) -> engine::bill_run::Summary {
    engine::bill_run::run(pool, &config(), &run_options(date), None)
        .await
        .expect("bill run")
}

pub async fn pay(
    pool: &PgPool,
    number: &str,
    amount: Decimal,
    reference: &str,
    on: NaiveDate,
) -> engine::payments::Recorded {
    engine::payments::record(
        pool,
        &config(),
        &engine::payments::NewPayment {
            account_number: number.into(),
            amount,
            method: "bank_transfer".into(),
            reference: reference.into(),
            received_on: on,
        },
    )
    .await
    .expect("payment")
}

/// A postpaid account on cable-300 ($60.00, 8.25% sales tax) billed on 2026-11-05, with a
/// portal login: (account, login, statement, its recurring line, its tax line).
pub async fn billed(
    pool: &PgPool,
    number: &str,
    allowance: Option<(i32, Decimal)>,
) -> (i64, i64, i64, i64, i64) {
    let j = jurisdiction(pool, "US-IL", "Sales tax", dec!(0.0825), false).await;
    let p = plan(
        pool,
        "cable-300",
        dec!(60.00),
        allowance.map(|(gb, _)| gb),
        allowance.map(|(_, per_gb)| per_gb),
    )
    .await;
    let (account, _) = account(pool, number, "postpaid", 5, j, p, d(2026, 11, 5)).await;
    bill(pool, d(2026, 11, 5)).await;
    let login: i64 = sqlx::query_scalar(
        "insert into portal_logins (account_id, person_id, email, password_hash)
         select account_id, id, email, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA' from people where account_id = $1
         returning id",
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .unwrap();
    let (statement, recurring, tax): (i64, i64, i64) = sqlx::query_as(
        "select s.id,
                (select l.id from statement_lines l where l.statement_id = s.id and l.kind = 'recurring'),
                (select l.id from statement_lines l where l.statement_id = s.id and l.kind = 'tax')
           from statements s where s.account_id = $1",
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .unwrap();
    (account, login, statement, recurring, tax)
}

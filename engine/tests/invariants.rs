//! Generated sequences of operations (bill runs every day, dunning, payments of random
//! amounts, one-time charges, discounts, cancellations) over half a year, on accounts with
//! awkward cycle days, checking after every day what must always hold:
//!
//! * an account's balance is the sum of its ledger entries, and its latest statement's
//!   total due is that sum less the entries no statement has shown yet;
//! * every statement's lines add up to its total;
//! * no day of a service is charged twice or left uncharged: the charged days run without a
//!   gap from activation (but for days the service was off), up to the end of the latest
//!   period billed; the days charged without service (after a cancellation, or while off)
//!   are refunded exactly once.

mod common;

use chrono::{Days, NaiveDate};
use common::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::PgPool;

/// A small deterministic generator (the same sequence on every run).
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn generated_operations_keep_the_books_straight(pool: PgPool) {
    let j = jurisdiction(&pool, "US-CA", "Sales tax", dec!(0.0725), false).await;
    let vat = jurisdiction(&pool, "GB", "VAT", dec!(0.20), true).await;
    let cable = plan(&pool, "cable", dec!(59.99), Some(500), Some(dec!(1.5))).await;
    let fibre = plan(&pool, "fibre", dec!(45.00), None, None).await;
    let mut rng = XorShift(0x0dd_ba11_cafe_f00d);
    let start = d(2027, 1, 1);

    // (number, id, service, cycle day, activation)
    let mut accounts = Vec::new();
    for (i, day) in [1i16, 15, 28, 29, 30, 31, 31, 5].into_iter().enumerate() {
        let number = format!("3000000{i}");
        let activated = start + Days::new(rng.below(60));
        let (jur, plan) = if i % 3 == 0 { (vat, fibre) } else { (j, cable) };
        let mode = if i == 7 { "hybrid" } else { "postpaid" };
        let (id, service) = account(&pool, &number, mode, day, jur, plan, activated).await;
        usage(
            &pool,
            service,
            activated,
            d(2027, 7, 1),
            450_000_000_000 * 6 + rng.below(400) as i64 * 1_000_000_000,
        )
        .await;
        accounts.push((number, id, service, day, activated));
    }

    let cfg = config();
    let mut reference = 0;
    let mut day = start;
    while day < d(2027, 7, 1) {
        bill(&pool, day).await;
        engine::dunning::run(&pool, &cfg, day)
            .await
            .expect("dunning");
        for (number, id, service, _, activated) in &accounts {
            if day < *activated {
                continue;
            }
            match rng.below(40) {
                0..=2 => {
                    // Pay part or all of what is owed.
                    let owed = balance(&pool, *id).await;
                    if owed > Decimal::ZERO {
                        let share = Decimal::from(1 + rng.below(100)) / Decimal::from(100);
                        let amount = (owed * share).round_dp(2).max(dec!(0.01));
                        reference += 1;
                        pay(&pool, number, amount, &format!("R{reference}"), day).await;
                    }
                }
                3 => {
                    sqlx::query(
                        "insert into one_time_charges (account_id, currency, description, amount, charge_on)
                         values ($1, 'USD', 'Technician visit', 49.50, $2)",
                    )
                    .bind(id)
                    .bind(day)
                    .execute(&pool)
                    .await
                    .unwrap();
                }
                4 => {
                    sqlx::query(
                        "insert into discounts (account_id, currency, description, percent, valid_from, valid_to)
                         values ($1, 'USD', 'Loyalty 15%', 15, $2, $3)",
                    )
                    .bind(id)
                    .bind(day)
                    .bind(day + Days::new(70))
                    .execute(&pool)
                    .await
                    .unwrap();
                }
                5 if rng.below(6) == 0 => {
                    sqlx::query(
                        "update services set status = 'cancelled', cancelled_on = $2, suspension_reason = null
                          where id = $1 and status <> 'cancelled'",
                    )
                    .bind(service)
                    .bind(day + Days::new(rng.below(20)))
                    .execute(&pool)
                    .await
                    .unwrap();
                }
                _ => {}
            }
        }
        check(&pool, day).await;
        day = day + Days::new(1);
    }
    // Six months of statements for every account (one a month, from its first cycle day
    // after activation).
    let statements = count(&pool, "select count(*) from statements").await;
    assert!(statements >= 8 * 4, "only {statements} statements");
    // The sequence did exercise what it claims to.
    for (what, sql) in [
        ("payments", "select count(*) from payments"),
        (
            "discount lines",
            "select count(*) from statement_lines where kind = 'discount'",
        ),
        (
            "cancellation refunds",
            "select count(*) from service_charges where kind = 'refund'",
        ),
        (
            "prorated pieces",
            "select count(*) from statement_lines where kind = 'recurring' and quantity < 1",
        ),
        (
            "inclusive tax",
            "select count(*) from statement_lines where description like '%incl. VAT%'",
        ),
        ("dunning steps", "select count(*) from dunning_actions"),
        ("suspensions", "select count(*) from service_suspensions"),
    ] {
        assert!(
            count(&pool, sql).await > 0,
            "no {what} in the generated sequence"
        );
    }
}

async fn check(pool: &PgPool, day: NaiveDate) {
    // The latest statement's total due is the ledger less what no statement shows yet.
    let wrong: Vec<(String, Decimal, Decimal)> = sqlx::query_as(
        "with latest as (
             select distinct on (account_id) account_id, statement_number, total_due
               from statements order by account_id, period_start desc)
         select l.statement_number, l.total_due,
                (select coalesce(sum(e.amount), 0) from ledger_entries e
                  where e.account_id = l.account_id
                    and not exists (select 1 from ledger_entries_pending p where p.ledger_entry_id = e.id))
           from latest l
          where l.total_due <> (select coalesce(sum(e.amount), 0) from ledger_entries e
                                 where e.account_id = l.account_id
                                   and not exists (select 1 from ledger_entries_pending p where p.ledger_entry_id = e.id))",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        wrong.is_empty(),
        "{day}: statements disagree with the ledger: {wrong:?}"
    );

    // Lines add up to the header.
    let unbalanced: i64 = sqlx::query_scalar(
        "select count(*) from statements s
          where s.total_due <> s.previous_balance
                + (select coalesce(sum(amount), 0) from statement_lines l where l.statement_id = s.id)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(unbalanced, 0, "{day}: a statement's lines do not add up");

    // What a shown entry carries for the receivables report (its amount and day, its
    // statement's account and issue day) is what its entry and statement say.
    let stale: i64 = sqlx::query_scalar(
        "select count(*) from statement_ledger_entries sle
           join ledger_entries e on e.id = sle.ledger_entry_id
           join statements s on s.id = sle.statement_id
          where (sle.amount, sle.effective_on, sle.account_id, sle.shown_on)
                <> (e.amount, e.effective_on, s.account_id, s.issued_on)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(stale, 0, "{day}: shown entries disagree with their sources");

    // Charged days: contiguous from activation (no gap, no overlap)...
    let gaps: Vec<(i64, NaiveDate, Option<NaiveDate>)> = sqlx::query_as(
        "select service_id, period_start, previous_end from (
             select c.service_id, c.service_id as x_service_id, c.period_start,
                    lag(c.period_end) over (partition by c.service_id order by c.period_start) as previous_end,
                    s.activated_on
               from service_charges c join services s on s.id = c.service_id
              where c.kind = 'charge') x
          where coalesce(previous_end, activated_on) <> period_start
            -- a gap is allowed only for days the service was off (billing::bill, rule 8)
            and not exists (select 1 from service_suspensions x
                              where x.service_id = x_service_id
                                and x.suspended_on <= coalesce(previous_end, activated_on)
                                and coalesce(x.restored_on, 'infinity') >= period_start)",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        gaps.is_empty(),
        "{day}: gaps or overlaps in charged days: {gaps:?}"
    );

    // ...up to the end of the latest period billed, for every service still running then
    // (not off since its charges stopped).
    let uncharged: Vec<(i64, Option<NaiveDate>, NaiveDate)> = sqlx::query_as(
        "select s.id, (select max(c.period_end) from service_charges c where c.service_id = s.id and c.kind = 'charge'),
                st.period_end
           from services s
           join lateral (select period_end from statements x where x.account_id = s.account_id
                          order by period_start desc limit 1) st on true
          where s.cancelled_on is null and s.activated_on < st.period_end
            and (select max(c.period_end) from service_charges c where c.service_id = s.id and c.kind = 'charge')
                is distinct from st.period_end
            and not exists (select 1 from service_suspensions x
                             where x.service_id = s.id
                               and coalesce(x.restored_on, 'infinity') > coalesce(
                                   (select max(c.period_end) from service_charges c
                                     where c.service_id = s.id and c.kind = 'charge'), s.activated_on))",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        uncharged.is_empty(),
        "{day}: days left uncharged: {uncharged:?}"
    );

    // Days refunded are days charged on which there was no service (after a cancellation,
    // or while off), each once; and every such day is refunded by the first statement after
    // the cancellation or suspension began.
    let refunds: Vec<(String, i64, NaiveDate)> = sqlx::query_as(
        "with days as (
             select c.service_id, c.kind, d::date as day
               from service_charges c,
                    generate_series(c.period_start, c.period_end - 1, interval '1 day') d),
         charged as (select service_id, day from days where kind = 'charge'),
         refunded as (select service_id, day from days where kind = 'refund'),
         not_served as (
             select s.id as service_id, greatest(s.cancelled_on, s.activated_on) as since, c.day
               from services s join charged c on c.service_id = s.id
              where s.cancelled_on is not null and c.day >= greatest(s.cancelled_on, s.activated_on)
             union all
             select x.service_id, x.suspended_on, d::date
               from service_suspensions x,
                    generate_series(x.suspended_on, coalesce(x.restored_on, '2028-01-01') - 1,
                                    interval '1 day') d),
         latest as (
             select s.id as service_id, max(st.issued_on) as issued_on
               from services s join statements st on st.account_id = s.account_id
              group by s.id),
         wrong as (
             select service_id, day from refunded
             except (select service_id, day from charged
                     intersect select service_id, day from not_served)),
         missing as (
             (select service_id, day from charged
              intersect select n.service_id, n.day from not_served n
                          join latest l on l.service_id = n.service_id
                         where n.since < l.issued_on)
             except select service_id, day from refunded)
         select 'refunded but served or never charged', service_id, day from wrong
         union all
         select 'charged without service and not refunded', service_id, day from missing
          order by 2, 3
          limit 5",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        refunds.is_empty(),
        "{day}: refunds do not match cancellations and suspensions: {refunds:?}"
    );
}

//! Gathering the facts of a batch of accounts for [`billing::bill::compose`], in a fixed
//! handful of queries whatever the batch size.

use std::collections::HashMap;

use billing::bill::{
    BillFacts, BillingMode, DiscountFacts, DiscountValue, OneTimeFacts, PlanTerms, ReceivedFacts,
    ServiceFacts, TaxTerms,
};
use billing::{period_containing, Allowance, Currency, CycleDay, EntryKind, Money, TaxRate};
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use sqlx::PgConnection;

use crate::error::EngineError;

/// An account as the bill run sees it.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub id: i64,
    pub number: String,
    pub mode: BillingMode,
    pub currency: Currency,
    /// Whether a statement for the period being billed already exists.
    pub already_billed: bool,
    /// Where billing emails go, and the name to greet.
    pub email: Option<(String, String)>,
}

/// The facts of each account of a batch, in account order.
pub(crate) struct Batch {
    pub accounts: Vec<(Account, BillFacts)>,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    account_number: String,
    billing_mode: String,
    currency: String,
    billing_cycle_day: i16,
    already_billed: bool,
    previous_due: Option<Decimal>,
}

#[derive(sqlx::FromRow)]
struct ServiceRow {
    id: i64,
    account_id: i64,
    activated_on: Option<NaiveDate>,
    cancelled_on: Option<NaiveDate>,
    plan_name: String,
    monthly_price: Decimal,
    plan_currency: String,
    price_includes_tax: bool,
    allowance_gb: Option<i32>,
    overage_per_gb: Option<Decimal>,
    jurisdiction_id: i64,
    charged_through: Option<NaiveDate>,
    refunded_from: Option<NaiveDate>,
}

/// id, account, service, description, amount, charge_on, kind, taxable
type OneTimeRow = (
    i64,
    i64,
    Option<i64>,
    String,
    Decimal,
    NaiveDate,
    String,
    bool,
);
/// id, account, service, description, percent, amount, valid_from, valid_to
type DiscountRow = (
    i64,
    i64,
    Option<i64>,
    String,
    Option<Decimal>,
    Option<Decimal>,
    NaiveDate,
    Option<NaiveDate>,
);

#[derive(sqlx::FromRow)]
struct TaxRow {
    jurisdiction_id: i64,
    name: String,
    rate: Decimal,
    inclusive: bool,
}

/// Loads the accounts `ids` and their facts for the statements issued on `date`.
///
/// With `lock`, the account rows are locked (`FOR UPDATE`, in id order so that two runs
/// never deadlock) until the transaction ends: a second bill run for the same accounts
/// waits, then finds them billed.
pub(crate) async fn load(
    conn: &mut PgConnection,
    ids: &[i64],
    date: NaiveDate,
    payment_terms_days: u32,
    lock: bool,
) -> Result<Batch, EngineError> {
    if lock {
        // Locked first, in a statement of its own: the queries below then start after any
        // other run holding these accounts has committed, and see its statements. (Reading
        // in the locking statement would use that statement's older snapshot, and take a
        // just-billed account for unbilled.)
        sqlx::query("select id from accounts where id = any($1) order by id for update")
            .bind(ids)
            .execute(&mut *conn)
            .await?;
    }
    let accounts: Vec<AccountRow> = sqlx::query_as(
        "select a.id, a.account_number, a.billing_mode, a.currency::text as currency,
                a.billing_cycle_day,
                exists (select 1 from statements s
                         where s.account_id = a.id and s.period_start >= $2) as already_billed,
                (select s.total_due from statements s
                  where s.account_id = a.id and s.period_start < $2
                  order by s.period_start desc limit 1) as previous_due
           from accounts a
          where a.id = any($1)
          order by a.id",
    )
    .bind(ids)
    .bind(date)
    .fetch_all(&mut *conn)
    .await?;

    let services: Vec<ServiceRow> = sqlx::query_as(
        "select s.id, s.account_id, s.activated_on, s.cancelled_on,
                p.name as plan_name, p.monthly_price, p.currency::text as plan_currency, p.price_includes_tax, p.allowance_gb,
                p.overage_per_gb, ad.jurisdiction_id,
                (select max(c.period_end) from service_charges c
                  where c.service_id = s.id and c.kind = 'charge') as charged_through,
                (select min(c.period_start) from service_charges c
                  where c.service_id = s.id and c.kind = 'refund') as refunded_from
           from services s
           join plans p on p.id = s.plan_id
           join addresses ad on ad.id = s.address_id
          where s.account_id = any($1) and s.status <> 'pending'
          order by s.account_id, s.id",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;

    let taxes: Vec<TaxRow> = sqlx::query_as(
        "select distinct on (jurisdiction_id) jurisdiction_id, name, rate, inclusive
           from tax_rates
          where valid_from <= $1 and (valid_to is null or valid_to > $1)
          order by jurisdiction_id, valid_from desc, name",
    )
    .bind(date)
    .fetch_all(&mut *conn)
    .await?;
    let taxes: HashMap<i64, TaxRow> = taxes.into_iter().map(|t| (t.jurisdiction_id, t)).collect();

    let one_time: Vec<OneTimeRow> = sqlx::query_as(
        "select o.id, o.account_id, o.service_id, o.description, o.amount, o.charge_on, o.kind,
                    coalesce(ct.taxable, o.kind <> 'late_fee')
               from one_time_charges o left join charge_types ct on ct.id = o.charge_type_id
              where o.account_id = any($1) and o.statement_id is null and o.charge_on <= $2
              order by o.account_id, o.charge_on, o.id",
    )
    .bind(ids)
    .bind(date)
    .fetch_all(&mut *conn)
    .await?;

    let discounts: Vec<DiscountRow> = sqlx::query_as(
        "select id, account_id, service_id, description, percent, amount, valid_from, valid_to
               from discounts
              where account_id = any($1) and valid_from <= $2
              order by account_id, id",
    )
    .bind(ids)
    .bind(date + Days::new(31))
    .fetch_all(&mut *conn)
    .await?;

    let received: Vec<(i64, i64, String, String, Decimal, NaiveDate)> = sqlx::query_as(
        "select l.id, l.account_id, l.kind, l.description, l.amount, l.effective_on
           from ledger_entries_pending p join ledger_entries l on l.id = p.ledger_entry_id
          where p.account_id = any($1) and l.effective_on <= $2
          order by l.account_id, l.effective_on, l.id",
    )
    .bind(ids)
    .bind(date)
    .fetch_all(&mut *conn)
    .await?;

    let emails: Vec<(i64, String, String)> = sqlx::query_as(
        "select distinct on (account_id) account_id, email::text, first_name
           from people
          where account_id = any($1) and email is not null
          order by account_id, (role = 'billing') desc, (role = 'owner') desc, id",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    let emails: HashMap<i64, (String, String)> =
        emails.into_iter().map(|(id, e, n)| (id, (e, n))).collect();

    // Usage of each service over its account's usage period, in one query.
    let mut usage_ids = Vec::new();
    let mut usage_from = Vec::new();
    let mut usage_to = Vec::new();
    let mut cycles: HashMap<i64, CycleDay> = HashMap::new();
    for a in &accounts {
        let cycle = cycle_day(a)?;
        cycles.insert(a.id, cycle);
    }
    for s in &services {
        if let Some(cycle) = cycles.get(&s.account_id) {
            let usage = period_containing(date, *cycle).previous(*cycle);
            usage_ids.push(s.id);
            usage_from.push(usage.start);
            usage_to.push(usage.end);
        }
    }
    let usage: Vec<(i64, i64)> = sqlx::query_as(
        "select u.service_id, sum(u.download_bytes + u.upload_bytes)::bigint
           from unnest($1::bigint[], $2::date[], $3::date[]) as q(service_id, from_day, to_day)
           join usage_daily u on u.service_id = q.service_id
                             and u.day >= q.from_day and u.day < q.to_day
          group by u.service_id",
    )
    .bind(&usage_ids)
    .bind(&usage_from)
    .bind(&usage_to)
    .fetch_all(&mut *conn)
    .await?;
    let usage: HashMap<i64, i64> = usage.into_iter().collect();

    let mut out = Vec::with_capacity(accounts.len());
    for row in accounts {
        let number = row.account_number.clone();
        let currency = Currency::parse(&row.currency)
            .map_err(|e| EngineError::bad_data(&number, e.to_string()))?;
        let mode = BillingMode::parse(&row.billing_mode)
            .ok_or_else(|| EngineError::bad_data(&number, "unknown billing mode"))?;
        let cycle = cycles[&row.id];
        let money = |amount: Decimal| Money::new(amount, currency);
        let account_services = services
            .iter()
            .filter(|s| s.account_id == row.id)
            .map(|s| -> Result<ServiceFacts, EngineError> {
                let tax = match taxes.get(&s.jurisdiction_id) {
                    Some(t) => Some(TaxTerms {
                        name: t.name.clone(),
                        rate: TaxRate::new(t.rate, t.inclusive)
                            .map_err(|e| EngineError::bad_data(&number, e.to_string()))?,
                    }),
                    None => None,
                };
                // A plan priced in another currency than the account's is refused by
                // `compose`, not billed as if the figures were the account's.
                let plan_currency = Currency::parse(&s.plan_currency)
                    .map_err(|e| EngineError::bad_data(&number, e.to_string()))?;
                let plan_money = |amount: Decimal| Money::new(amount, plan_currency);
                Ok(ServiceFacts {
                    id: s.id,
                    plan: PlanTerms {
                        name: s.plan_name.clone(),
                        monthly_price: plan_money(s.monthly_price),
                        price_includes_tax: s.price_includes_tax,
                        allowance: Allowance::from_optional_gb(
                            s.allowance_gb.and_then(|g| u32::try_from(g).ok()),
                        ),
                        overage_per_gb: s.overage_per_gb.map(plan_money),
                    },
                    activated_on: s.activated_on,
                    cancelled_on: s.cancelled_on,
                    charged_through: s.charged_through,
                    refunded_from: s.refunded_from,
                    usage_bytes: Some(
                        usage
                            .get(&s.id)
                            .map_or(0, |b| u64::try_from(*b).unwrap_or(0)),
                    ),
                    tax,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let facts = BillFacts {
            currency,
            cycle_day: cycle,
            mode,
            period: period_containing(date, cycle),
            payment_terms_days,
            previous_balance: money(row.previous_due.unwrap_or_default()),
            services: account_services,
            one_time: one_time
                .iter()
                .filter(|o| o.1 == row.id)
                .map(|o| OneTimeFacts {
                    id: o.0,
                    service_id: o.2,
                    description: o.3.clone(),
                    amount: money(o.4),
                    charge_on: o.5,
                    taxable: o.7,
                    late_fee: o.6 == "late_fee",
                })
                .collect(),
            discounts: discounts
                .iter()
                .filter(|d| d.1 == row.id)
                .map(|d| DiscountFacts {
                    id: d.0,
                    service_id: d.2,
                    description: d.3.clone(),
                    value: match (d.4, d.5) {
                        (Some(pct), _) => DiscountValue::Percent(pct),
                        (None, amount) => DiscountValue::Fixed(money(amount.unwrap_or_default())),
                    },
                    valid_from: d.6,
                    valid_to: d.7,
                })
                .collect(),
            received: received
                .iter()
                .filter(|r| r.1 == row.id)
                .map(|r| -> Result<ReceivedFacts, EngineError> {
                    Ok(ReceivedFacts {
                        ledger_entry_id: r.0,
                        kind: EntryKind::parse(&r.2)
                            .map_err(|e| EngineError::bad_data(&number, e.to_string()))?,
                        description: r.3.clone(),
                        amount: money(r.4),
                        effective_on: r.5,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        out.push((
            Account {
                id: row.id,
                number: row.account_number,
                mode,
                currency,
                already_billed: row.already_billed,
                email: emails.get(&row.id).cloned(),
            },
            facts,
        ));
    }
    Ok(Batch { accounts: out })
}

fn cycle_day(row: &AccountRow) -> Result<CycleDay, EngineError> {
    u8::try_from(row.billing_cycle_day)
        .ok()
        .and_then(|d| CycleDay::new(d).ok())
        .ok_or_else(|| EngineError::bad_data(&row.account_number, "billing cycle day out of range"))
}

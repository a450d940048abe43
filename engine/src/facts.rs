//! Gathering the facts of a batch of accounts for [`billing::bill::compose`], in a fixed
//! handful of queries whatever the batch size.

use std::collections::HashMap;

use billing::bill::{
    BillFacts, BillingMode, DiscountFacts, DiscountValue, OneTimeFacts, PlanTerms, ReceivedFacts,
    ServiceFacts, Suspension, SuspensionReason, TaxTerms, UsageSegment,
};
use billing::{
    period_containing, Allowance, Currency, CycleDay, EntryKind, Money, Period, TaxRate,
};
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
    /// Whether the statement for the period being billed already exists.
    pub billed_for_period: bool,
    /// The issue date of the account's latest statement, when it is later than the period
    /// being billed (statements are issued in date order: none can come before it).
    pub later_statement: Option<NaiveDate>,
    /// Where billing emails go, and the name to greet.
    pub email: Option<(String, String)>,
}

impl Account {
    /// Whether the period being billed needs no statement (it has one, or a later one
    /// exists).
    pub fn already_billed(&self) -> bool {
        self.billed_for_period || self.later_statement.is_some()
    }
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
    billed_for_period: bool,
    later_statement: Option<NaiveDate>,
    previous_due: Option<Decimal>,
}

#[derive(sqlx::FromRow)]
struct ServiceRow {
    id: i64,
    account_id: i64,
    plan_id: i64,
    activated_on: Option<NaiveDate>,
    cancelled_on: Option<NaiveDate>,
    jurisdiction_id: i64,
    charged_through: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: i64,
    name: String,
    monthly_price: Decimal,
    currency: String,
    price_includes_tax: bool,
    allowance_gb: Option<i32>,
    overage_per_gb: Option<Decimal>,
}

impl PlanRow {
    /// The plan's terms. A plan priced in another currency than the account's is refused
    /// by `compose`, not billed as if the figures were the account's.
    fn terms(&self, account_number: &str) -> Result<PlanTerms, EngineError> {
        let currency = Currency::parse(&self.currency)
            .map_err(|e| EngineError::bad_data(account_number, e.to_string()))?;
        Ok(PlanTerms {
            name: self.name.clone(),
            monthly_price: Money::new(self.monthly_price, currency),
            price_includes_tax: self.price_includes_tax,
            allowance: Allowance::from_optional_gb(
                self.allowance_gb.and_then(|g| u32::try_from(g).ok()),
            ),
            overage_per_gb: self.overage_per_gb.map(|p| Money::new(p, currency)),
        })
    }
}

/// The days of a service's usage period on one plan.
struct Segment {
    service_id: i64,
    days: Period,
    plan_id: i64,
}

/// The usage period of a service split where its plan changed (effective days of applied
/// changes within it), each piece with the plan in force then: the plan that the first
/// change after the piece's first day replaced, or the plan now when none did.
/// `changes` are the service's applied changes effective after the period's start, as
/// (effective day, from plan), in order.
fn segments(
    service_id: i64,
    usage: Period,
    plan_now: i64,
    changes: &[(NaiveDate, i64)],
) -> Vec<Segment> {
    let plan_on = |day: NaiveDate| {
        changes
            .iter()
            .find(|(effective_on, _)| *effective_on > day)
            .map_or(plan_now, |(_, from)| *from)
    };
    let mut bounds: Vec<NaiveDate> = changes
        .iter()
        .map(|(on, _)| *on)
        .filter(|on| usage.start < *on && *on < usage.end)
        .collect();
    bounds.dedup();
    let mut out = Vec::with_capacity(bounds.len() + 1);
    let mut start = usage.start;
    for end in bounds.into_iter().chain([usage.end]) {
        out.push(Segment {
            service_id,
            days: Period { start, end },
            plan_id: plan_on(start),
        });
        start = end;
    }
    out
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
                         where s.account_id = a.id and s.period_start = $2) as billed_for_period,
                (select max(s.period_start) from statements s
                  where s.account_id = a.id and s.period_start > $2) as later_statement,
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
        "select s.id, s.account_id, s.plan_id, s.activated_on, s.cancelled_on, ad.jurisdiction_id,
                (select max(c.period_end) from service_charges c
                  where c.service_id = s.id and c.kind = 'charge') as charged_through
           from services s
           join addresses ad on ad.id = s.address_id
          where s.account_id = any($1) and s.status <> 'pending'
          order by s.account_id, s.id",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;

    // When services were switched off, and (for those that were, or are cancelled) the
    // days charged and refunded so far: what a refund is worked out from.
    let suspensions: Vec<(i64, String, NaiveDate, Option<NaiveDate>)> = sqlx::query_as(
        "select service_id, reason, suspended_on, restored_on from service_suspensions
          where account_id = any($1) order by service_id, suspended_on",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    let refundable: Vec<i64> = services
        .iter()
        .filter(|s| s.cancelled_on.is_some() || suspensions.iter().any(|x| x.0 == s.id))
        .map(|s| s.id)
        .collect();
    let charged: Vec<(i64, String, NaiveDate, NaiveDate)> = sqlx::query_as(
        "select service_id, kind, period_start, period_end from service_charges
          where service_id = any($1) order by service_id, period_start",
    )
    .bind(&refundable)
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

    let mut cycles: HashMap<i64, CycleDay> = HashMap::new();
    for a in &accounts {
        let cycle = cycle_day(a)?;
        cycles.insert(a.id, cycle);
    }
    let usage_period = |account_id: i64| {
        cycles
            .get(&account_id)
            .map(|cycle| period_containing(date, *cycle).previous(*cycle))
    };

    // The plans in force during each service's usage period: applied changes effective
    // after it began, walked back from the plan now (billing::bill, rule 3).
    let (change_services, change_from): (Vec<i64>, Vec<NaiveDate>) = services
        .iter()
        .filter_map(|s| Some((s.id, usage_period(s.account_id)?.start)))
        .unzip();
    let changes: Vec<(i64, NaiveDate, i64)> = sqlx::query_as(
        "select c.service_id, c.effective_on, c.from_plan_id
           from unnest($1::bigint[], $2::date[]) as q(service_id, from_day)
           join plan_changes c on c.service_id = q.service_id and c.status = 'applied'
                              and c.effective_on > q.from_day
          order by c.service_id, c.effective_on, c.id",
    )
    .bind(&change_services)
    .bind(&change_from)
    .fetch_all(&mut *conn)
    .await?;
    let mut segments_of: HashMap<i64, Vec<Segment>> = HashMap::new();
    for s in &services {
        let Some(usage) = usage_period(s.account_id) else {
            continue;
        };
        let of_service: Vec<(NaiveDate, i64)> = changes
            .iter()
            .filter(|c| c.0 == s.id)
            .map(|c| (c.1, c.2))
            .collect();
        segments_of.insert(s.id, segments(s.id, usage, s.plan_id, &of_service));
    }
    let mut plan_ids: Vec<i64> = services.iter().map(|s| s.plan_id).collect();
    plan_ids.extend(changes.iter().map(|c| c.2));
    plan_ids.sort_unstable();
    plan_ids.dedup();
    let plans: Vec<PlanRow> = sqlx::query_as(
        "select id, name, monthly_price, currency::text as currency, price_includes_tax,
                allowance_gb, overage_per_gb
           from plans where id = any($1)",
    )
    .bind(&plan_ids)
    .fetch_all(&mut *conn)
    .await?;
    let plans: HashMap<i64, PlanRow> = plans.into_iter().map(|p| (p.id, p)).collect();

    // The data used on each segment's days, in one query.
    let all_segments: Vec<&Segment> = segments_of.values().flatten().collect();
    let usage: Vec<(i64, NaiveDate, i64)> = sqlx::query_as(
        "select q.service_id, q.from_day, sum(u.download_bytes + u.upload_bytes)::bigint
           from unnest($1::bigint[], $2::date[], $3::date[]) as q(service_id, from_day, to_day)
           join usage_daily u on u.service_id = q.service_id
                             and u.day >= q.from_day and u.day < q.to_day
          group by q.service_id, q.from_day",
    )
    .bind(
        all_segments
            .iter()
            .map(|x| x.service_id)
            .collect::<Vec<_>>(),
    )
    .bind(
        all_segments
            .iter()
            .map(|x| x.days.start)
            .collect::<Vec<_>>(),
    )
    .bind(all_segments.iter().map(|x| x.days.end).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    let used_bytes: HashMap<(i64, NaiveDate), i64> = usage
        .into_iter()
        .map(|(s, from, b)| ((s, from), b))
        .collect();

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
                let plan_of = |id: i64| -> Result<PlanTerms, EngineError> {
                    plans
                        .get(&id)
                        .ok_or_else(|| EngineError::bad_data(&number, format!("no plan {id}")))?
                        .terms(&number)
                };
                let usage = segments_of
                    .get(&s.id)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|seg| -> Result<UsageSegment, EngineError> {
                        Ok(UsageSegment {
                            days: seg.days,
                            plan: plan_of(seg.plan_id)?,
                            bytes: used_bytes
                                .get(&(s.id, seg.days.start))
                                .map_or(0, |b| u64::try_from(*b).unwrap_or(0)),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let pieces = |kind: &str| -> Vec<Period> {
                    charged
                        .iter()
                        .filter(|c| c.0 == s.id && c.1 == kind)
                        .map(|c| Period {
                            start: c.2,
                            end: c.3,
                        })
                        .collect()
                };
                Ok(ServiceFacts {
                    id: s.id,
                    plan: plan_of(s.plan_id)?,
                    activated_on: s.activated_on,
                    cancelled_on: s.cancelled_on,
                    charged_through: s.charged_through,
                    charged: pieces("charge"),
                    refunded: pieces("refund"),
                    suspensions: suspensions
                        .iter()
                        .filter(|x| x.0 == s.id)
                        .map(|x| -> Result<Suspension, EngineError> {
                            Ok(Suspension {
                                reason: SuspensionReason::parse(&x.1).ok_or_else(|| {
                                    EngineError::bad_data(&number, "unknown suspension reason")
                                })?,
                                from: x.2,
                                until: x.3,
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                    usage,
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
                billed_for_period: row.billed_for_period,
                later_statement: row.later_statement,
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

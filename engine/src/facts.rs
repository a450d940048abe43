//! Gathering the facts of a batch of accounts for [`billing::bill::compose`], in one
//! statement whatever the batch size: the bill run's batches and the overview's "next bill,
//! so far" (one account) each read their facts in one round trip. The facts include each
//! service's usage split by the plans in force while it was used (`billing::bill`, rule 3)
//! and the days it was switched off (rule 8).

use std::collections::HashMap;

use billing::bill::{
    BillFacts, BillingMode, DiscountFacts, DiscountValue, EarlierPlan, OneTimeFacts, OutageFacts,
    PlanTerms, ReceivedFacts, ServiceFacts, Suspension, SuspensionReason, TaxTerms, UsageSegment,
};
use billing::{
    period_containing, Allowance, Currency, CycleDay, EntryKind, Money, Period, TaxRate,
    BYTES_PER_GB,
};
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::types::Json;
use sqlx::PgConnection;

use crate::error::EngineError;
use crate::mail::Recipient;

/// An account as the bill run sees it.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub id: i64,
    pub number: String,
    pub mode: BillingMode,
    pub currency: Currency,
    /// Whether the statement for the period being billed already exists.
    pub billed_for_period: bool,
    /// The first day of the period of the account's latest statement, when it is later
    /// than the period being billed (statements are issued in date order: none can come
    /// before it).
    pub later_statement: Option<NaiveDate>,
    /// Whether a scheduled plan change takes effect by the statement date (the bill run
    /// applies it before billing).
    pub change_due: bool,
    /// Where billing emails go, the name to greet and the language to write in.
    pub email: Option<Recipient>,
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

#[derive(Deserialize)]
struct AccountRow {
    id: i64,
    account_number: String,
    billing_mode: String,
    currency: String,
    billing_cycle_day: i16,
    billed_for_period: bool,
    later_statement: Option<NaiveDate>,
    previous_due: Option<Decimal>,
    change_due: bool,
}

#[derive(Deserialize)]
struct ServiceRow {
    id: i64,
    account_id: i64,
    plan_id: i64,
    activated_on: Option<NaiveDate>,
    cancelled_on: Option<NaiveDate>,
    jurisdiction_id: i64,
    charged_through: Option<NaiveDate>,
}

#[derive(Deserialize)]
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
    days: Period,
    plan_id: i64,
}

/// The usage period of a service split where its plan changed (effective days of applied
/// changes within it), each piece with the plan in force then: the plan that the first
/// change after the piece's first day replaced, or the plan now when none did.
/// `changes` are the service's applied changes effective after the period's start, as
/// (effective day, from plan), in order.
fn segments(usage: Period, plan_now: i64, changes: &[(NaiveDate, i64)]) -> Vec<Segment> {
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
            days: Period { start, end },
            plan_id: plan_on(start),
        });
        start = end;
    }
    out
}

#[derive(Deserialize)]
struct OneTimeRow {
    id: i64,
    account_id: i64,
    service_id: Option<i64>,
    description: String,
    amount: Decimal,
    charge_on: NaiveDate,
    kind: String,
    taxable: bool,
}

#[derive(Deserialize)]
struct DiscountRow {
    id: i64,
    account_id: i64,
    service_id: Option<i64>,
    description: String,
    percent: Option<Decimal>,
    amount: Option<Decimal>,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
}

#[derive(Deserialize)]
struct TaxRow {
    jurisdiction_id: i64,
    name: String,
    rate: Decimal,
    inclusive: bool,
}

#[derive(Deserialize)]
struct ReceivedRow {
    id: i64,
    account_id: i64,
    kind: String,
    description: String,
    amount: Decimal,
    effective_on: NaiveDate,
}

#[derive(Deserialize)]
struct EmailRow {
    account_id: i64,
    #[serde(flatten)]
    recipient: Recipient,
}

/// An applied plan change: effective after the start of its service's usage period
/// (`changes`), or any, of a service a refund may be due on (`history`).
#[derive(Deserialize)]
struct ChangeRow {
    service_id: i64,
    effective_on: NaiveDate,
    from_plan_id: i64,
}

/// The data a service used on the days of one segment (from `from_day`).
#[derive(Deserialize)]
struct UsageRow {
    service_id: i64,
    from_day: NaiveDate,
    bytes: i64,
}

/// A data add-on bought for a service's usage period (its gigabytes, on its day).
#[derive(Deserialize)]
struct AddOnRow {
    service_id: i64,
    bought_on: NaiveDate,
    gigabytes: i64,
}

#[derive(Deserialize)]
struct SuspensionRow {
    service_id: i64,
    reason: String,
    suspended_on: NaiveDate,
    restored_on: Option<NaiveDate>,
}

/// A piece of a service's days charged or refunded (`service_charges`).
#[derive(Deserialize)]
struct ChargedRow {
    service_id: i64,
    kind: String,
    period_start: NaiveDate,
    period_end: NaiveDate,
}

/// Every fact of a batch, one JSON array per kind, from one statement.
#[derive(sqlx::FromRow)]
struct FactsRow {
    accounts: Json<Vec<AccountRow>>,
    services: Json<Vec<ServiceRow>>,
    plans: Json<Vec<PlanRow>>,
    changes: Json<Vec<ChangeRow>>,
    suspensions: Json<Vec<SuspensionRow>>,
    history: Json<Vec<ChangeRow>>,
    charged: Json<Vec<ChargedRow>>,
    taxes: Json<Vec<TaxRow>>,
    one_time: Json<Vec<OneTimeRow>>,
    discounts: Json<Vec<DiscountRow>>,
    received: Json<Vec<ReceivedRow>>,
    emails: Json<Vec<EmailRow>>,
    usage: Json<Vec<UsageRow>>,
    addons: Json<Vec<AddOnRow>>,
    outages: Json<Vec<OutageRow>>,
}

/// An ended outage a service was in, not yet settled by a statement (`billing::bill`,
/// rule 9).
#[derive(Deserialize)]
struct OutageRow {
    service_id: i64,
    outage_id: i64,
    title: String,
    began_on: NaiveDate,
    minutes_out: i64,
}

/// The facts of a batch of accounts, as one statement: one snapshot, one round trip. Each
/// kind of fact is a JSON array of rows (amounts as text, so that no digit or scale is lost
/// on the way). Parameters: `$1` the accounts, `$2` the statement date, `$3` the last day a
/// discount may start to count, `$4..$6` the usage period of each cycle day (worked out by
/// `billing::cycle`, not here).
///
/// `changes` are the applied plan changes effective after a service's usage period began
/// (the plans in force are walked back from the plan now, see [`segments`]); `usage` sums
/// each service's data per segment, a segment starting on the usage period's first day or
/// on the day of a change within it. `charged` (the pieces charged and refunded) and
/// `history` (every applied change) are read only for services cancelled or ever switched
/// off: what a refund is worked out from.
const FACTS: &str = "
with acc as (
    select a.id, a.account_number, a.billing_mode, a.currency::text as currency,
           a.billing_cycle_day,
           exists (select 1 from statements s
                    where s.account_id = a.id and s.period_start = $2) as billed_for_period,
           (select max(s.period_start) from statements s
             where s.account_id = a.id and s.period_start > $2) as later_statement,
           (select s.total_due::text from statements s
             where s.account_id = a.id and s.period_start < $2
             order by s.period_start desc limit 1) as previous_due,
           exists (select 1 from plan_changes c join services s on s.id = c.service_id
                    where s.account_id = a.id and c.status = 'scheduled'
                      and c.effective_on <= $2) as change_due
      from accounts a
     where a.id = any($1)
), svc as (
    select s.id, s.account_id, s.plan_id, s.activated_on, s.cancelled_on, ad.jurisdiction_id,
           -- the legacy system's days count as charged (billing::bill, imported accounts)
           greatest((select max(c.period_end) from service_charges c
                      where c.service_id = s.id and c.kind = 'charge'),
                    s.legacy_charged_through) as charged_through
      from services s
      join addresses ad on ad.id = s.address_id
     where s.account_id = any($1) and s.status <> 'pending'
), win as (
    select svc.id as service_id, w.from_day, w.to_day
      from svc
      join acc on acc.id = svc.account_id
      join unnest($4::smallint[], $5::date[], $6::date[]) as w(cycle_day, from_day, to_day)
        on w.cycle_day = acc.billing_cycle_day
), chg as (
    select c.id, c.service_id, c.effective_on, c.from_plan_id, win.to_day
      from win
      join plan_changes c on c.service_id = win.service_id and c.status = 'applied'
                         and c.effective_on > win.from_day
), susp as (
    select x.service_id, x.reason, x.suspended_on, x.restored_on
      from service_suspensions x
     where x.account_id = any($1)
), hist as (
    select c.id, c.service_id, c.effective_on, c.from_plan_id
      from svc
      join plan_changes c on c.service_id = svc.id and c.status = 'applied'
     where svc.cancelled_on is not null
        or exists (select 1 from susp where susp.service_id = svc.id)
        or exists (select 1 from outage_services os
                    where os.service_id = svc.id and os.settled_statement_id is null)
)
select
    (select coalesce(json_agg(acc order by acc.id), '[]') from acc) as accounts,
    (select coalesce(json_agg(svc order by svc.account_id, svc.id), '[]') from svc) as services,
    (select coalesce(json_agg(p order by p.id), '[]') from (
        select id, name, monthly_price::text as monthly_price, currency::text as currency,
               price_includes_tax, allowance_gb, overage_per_gb::text as overage_per_gb
          from plans
         where id in (select plan_id from svc union select from_plan_id from chg
                      union select from_plan_id from hist)) p) as plans,
    (select coalesce(json_agg(chg order by chg.service_id, chg.effective_on, chg.id), '[]')
       from chg) as changes,
    (select coalesce(json_agg(susp order by susp.service_id, susp.suspended_on), '[]')
       from susp) as suspensions,
    (select coalesce(json_agg(hist order by hist.service_id, hist.effective_on, hist.id), '[]')
       from hist) as history,
    (select coalesce(json_agg(c order by c.service_id, c.period_start, c.kind), '[]') from (
        -- Through the index, service by service: joined with the batch's services, the
        -- planner (which cannot tell how few were cancelled or switched off) hashed the
        -- whole table, which grows by a row a service a month.
        select c.service_id, c.kind, c.period_start, c.period_end
          from service_charges c
         where c.service_id = any(array(
                   select svc.id from svc
                    where svc.cancelled_on is not null
                       or exists (select 1 from susp where susp.service_id = svc.id)))) c)
        as charged,
    (select coalesce(json_agg(t order by t.jurisdiction_id), '[]') from (
        select distinct on (jurisdiction_id) jurisdiction_id, name, rate::text as rate, inclusive
          from tax_rates
         where valid_from <= $2 and (valid_to is null or valid_to > $2)
         order by jurisdiction_id, valid_from desc, name) t) as taxes,
    (select coalesce(json_agg(o order by o.account_id, o.charge_on, o.id), '[]') from (
        select o.id, o.account_id, o.service_id, o.description, o.amount::text as amount,
               o.charge_on, o.kind, coalesce(ct.taxable, o.kind <> 'late_fee') as taxable
          from one_time_charges o left join charge_types ct on ct.id = o.charge_type_id
         where o.account_id = any($1) and o.statement_id is null and o.posted_entry_id is null
           and o.charge_on <= $2) o)
        as one_time,
    (select coalesce(json_agg(d order by d.account_id, d.id), '[]') from (
        select id, account_id, service_id, description, percent::text as percent,
               amount::text as amount, valid_from, valid_to
          from discounts
         where account_id = any($1) and valid_from <= $3) d) as discounts,
    (select coalesce(json_agg(r order by r.account_id, r.effective_on, r.id), '[]') from (
        select l.id, l.account_id, l.kind, l.description, l.amount::text as amount, l.effective_on
          from ledger_entries_pending p join ledger_entries l on l.id = p.ledger_entry_id
         where p.account_id = any($1) and l.effective_on <= $2) r) as received,
    (select coalesce(json_agg(e order by e.account_id), '[]') from (
        -- As crate::mail::recipient, for the batch; the locale is mail::LOCALE_SQL. One
        -- account at a time (its people by account, their logins by person): a join of the
        -- batch with every person and login read both tables whole.
        select acc.id as account_id, r.email, r.first_name, r.locale
          from acc
          cross join lateral (
              select p.email::text as email, p.first_name,
                     coalesce(l.language || substr(a.locale, 3), a.locale) as locale
                from people p
                join accounts a on a.id = p.account_id
                left join portal_logins l on l.person_id = p.id
               where p.account_id = acc.id and p.email is not null
               order by (p.role = 'billing') desc, (p.role = 'owner') desc, p.id
               limit 1) r) e) as emails,
    (select coalesce(json_agg(u order by u.service_id, u.from_day), '[]') from (
        select d.service_id, d.from_day, sum(d.bytes)::bigint as bytes
          from (select u.service_id,
                       coalesce((select max(chg.effective_on) from chg
                                  where chg.service_id = u.service_id
                                    and chg.effective_on <= u.day
                                    and chg.effective_on < win.to_day), win.from_day) as from_day,
                       u.download_bytes + u.upload_bytes as bytes
                  from win
                  join usage_daily u on u.service_id = win.service_id
                                    and u.day >= win.from_day and u.day < win.to_day) d
         group by d.service_id, d.from_day) u) as usage,
    (select coalesce(json_agg(x order by x.service_id, x.bought_on), '[]') from (
        select a.service_id, a.bought_on, a.gigabytes
          from win
          join data_addons a on a.service_id = win.service_id
                            and a.bought_on >= win.from_day and a.bought_on < win.to_day) x)
        as addons,
    (select coalesce(json_agg(x order by x.service_id, x.began_on, x.outage_id), '[]') from (
        select os.service_id, o.id as outage_id, o.title, o.began_on,
               floor(extract(epoch from o.ends_at - o.starts_at) / 60)::bigint as minutes_out
          from outage_services os
          join outages o on o.id = os.outage_id
          join svc on svc.id = os.service_id
         where os.settled_statement_id is null and o.ends_at is not null) x)
        as outages";

/// Loads the accounts `ids` and their facts for the statements issued on `date`, in one
/// statement (see [`FACTS`]).
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
        // Locked first, in a statement of its own: the facts below are then read after any
        // other run holding these accounts has committed, and see its statements. (Reading
        // in the locking statement would use that statement's older snapshot, and take a
        // just-billed account for unbilled.)
        sqlx::query("select id from accounts where id = any($1) order by id for update")
            .bind(ids)
            .execute(&mut *conn)
            .await?;
    }
    // The usage period of an account billed on `date`, for each cycle day it may have.
    let mut cycle_days = Vec::with_capacity(31);
    let mut usage_from = Vec::with_capacity(31);
    let mut usage_to = Vec::with_capacity(31);
    for cycle in (1..=31).filter_map(|day| CycleDay::new(day).ok()) {
        let usage = period_containing(date, cycle).previous(cycle);
        cycle_days.push(i16::from(cycle.get()));
        usage_from.push(usage.start);
        usage_to.push(usage.end);
    }
    let row: FactsRow = sqlx::query_as(FACTS)
        .bind(ids)
        .bind(date)
        .bind(date + Days::new(31))
        .bind(&cycle_days)
        .bind(&usage_from)
        .bind(&usage_to)
        .fetch_one(&mut *conn)
        .await?;
    let accounts = row.accounts.0;
    let services = row.services.0;
    let plans: HashMap<i64, PlanRow> = row.plans.0.into_iter().map(|p| (p.id, p)).collect();
    let changes = row.changes.0;
    let suspensions = row.suspensions.0;
    let charged = row.charged.0;
    let history = row.history.0;
    let taxes: HashMap<i64, TaxRow> = row
        .taxes
        .0
        .into_iter()
        .map(|t| (t.jurisdiction_id, t))
        .collect();
    let one_time = row.one_time.0;
    let outages = row.outages.0;
    let discounts = row.discounts.0;
    let received = row.received.0;
    let emails: HashMap<i64, Recipient> = row
        .emails
        .0
        .into_iter()
        .map(|e| (e.account_id, e.recipient))
        .collect();
    let used_bytes: HashMap<(i64, NaiveDate), i64> = row
        .usage
        .0
        .into_iter()
        .map(|u| ((u.service_id, u.from_day), u.bytes))
        .collect();
    let addons = row.addons.0;
    let mut cycles: HashMap<i64, CycleDay> = HashMap::new();
    for a in &accounts {
        cycles.insert(a.id, cycle_day(a)?);
    }

    // The plans in force during each service's usage period: applied changes effective
    // after it began, walked back from the plan now (billing::bill, rule 3).
    let mut segments_of: HashMap<i64, Vec<Segment>> = HashMap::new();
    for s in &services {
        let Some(cycle) = cycles.get(&s.account_id) else {
            continue;
        };
        let usage = period_containing(date, *cycle).previous(*cycle);
        let of_service: Vec<(NaiveDate, i64)> = changes
            .iter()
            .filter(|c| c.service_id == s.id)
            .map(|c| (c.effective_on, c.from_plan_id))
            .collect();
        segments_of.insert(s.id, segments(usage, s.plan_id, &of_service));
    }

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
                            // billing::bill, rule 3: an add-on counts in full for the plan
                            // in force on the day it was bought.
                            addon_bytes: addons
                                .iter()
                                .filter(|a| a.service_id == s.id && seg.days.contains(a.bought_on))
                                .map(|a| u64::try_from(a.gigabytes).unwrap_or(0) * BYTES_PER_GB)
                                .sum(),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let pieces = |kind: &str| -> Vec<Period> {
                    charged
                        .iter()
                        .filter(|c| c.service_id == s.id && c.kind == kind)
                        .map(|c| Period {
                            start: c.period_start,
                            end: c.period_end,
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
                    // Each change's old plan, in force until the change: what refunded
                    // days are priced at (billing::bill, rule 2).
                    earlier_plans: history
                        .iter()
                        .filter(|h| h.service_id == s.id)
                        .map(|h| -> Result<EarlierPlan, EngineError> {
                            Ok(EarlierPlan {
                                until: h.effective_on,
                                plan: plan_of(h.from_plan_id)?,
                            })
                        })
                        .collect::<Result<_, _>>()?,
                    suspensions: suspensions
                        .iter()
                        .filter(|x| x.service_id == s.id)
                        .map(|x| -> Result<Suspension, EngineError> {
                            Ok(Suspension {
                                reason: SuspensionReason::parse(&x.reason).ok_or_else(|| {
                                    EngineError::bad_data(&number, "unknown suspension reason")
                                })?,
                                from: x.suspended_on,
                                until: x.restored_on,
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                    usage,
                    tax,
                    outages: outages
                        .iter()
                        .filter(|o| o.service_id == s.id)
                        .map(|o| OutageFacts {
                            outage_id: o.outage_id,
                            title: o.title.clone(),
                            began_on: o.began_on,
                            minutes_out: o.minutes_out,
                        })
                        .collect(),
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
                .filter(|o| o.account_id == row.id)
                .map(|o| OneTimeFacts {
                    id: o.id,
                    service_id: o.service_id,
                    description: o.description.clone(),
                    amount: money(o.amount),
                    charge_on: o.charge_on,
                    taxable: o.taxable,
                    late_fee: o.kind == "late_fee",
                })
                .collect(),
            discounts: discounts
                .iter()
                .filter(|d| d.account_id == row.id)
                .map(|d| DiscountFacts {
                    id: d.id,
                    service_id: d.service_id,
                    description: d.description.clone(),
                    value: match (d.percent, d.amount) {
                        (Some(pct), _) => DiscountValue::Percent(pct),
                        (None, amount) => DiscountValue::Fixed(money(amount.unwrap_or_default())),
                    },
                    valid_from: d.valid_from,
                    valid_to: d.valid_to,
                })
                .collect(),
            received: received
                .iter()
                .filter(|r| r.account_id == row.id)
                .map(|r| -> Result<ReceivedFacts, EngineError> {
                    Ok(ReceivedFacts {
                        ledger_entry_id: r.id,
                        kind: EntryKind::parse(&r.kind)
                            .map_err(|e| EngineError::bad_data(&number, e.to_string()))?,
                        description: r.description.clone(),
                        amount: money(r.amount),
                        effective_on: r.effective_on,
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
                change_due: row.change_due,
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

//! Plan changes: the preview a subscriber confirms, the change itself, cancelling a
//! scheduled one, and applying scheduled ones when their day comes.
//!
//! The arithmetic is [`billing::plan_change::quote`]; this module gathers its facts and
//! writes what follows, always in one transaction:
//!
//! * **At once** (upgrades by default): the service's plan and contract end change, a
//!   `plan_changes` row is written as applied, the prorated difference for the days already
//!   charged becomes a one-time charge on the next statement (or, for a cheaper plan, a
//!   ledger credit that includes the tax paid on those days, as a cancellation refund
//!   does), an early termination fee becomes a one-time charge, and the service history and
//!   the provisioning outbox (the new speeds and allowance for the network, written by the
//!   trigger on `services` when the plan changes) get their rows.
//! * **At the next cycle** (downgrades by default): a `plan_changes` row waits as
//!   scheduled (the schema allows one per service); [`apply_due`] applies it, with the fee
//!   the subscriber accepted, in the transaction of the bill run that issues the first
//!   statement on the new plan (so the statement bills the new plan).
//!
//! # Two tabs at once
//!
//! [`request`] locks the service row and checks that its plan is still the one the
//! subscriber saw and that nothing is scheduled: of two concurrent requests from the same
//! page, the second waits for the first and then fails with [`EngineError::Conflict`].
//! Locks are taken in one order everywhere (account, then service, then plan change), the
//! same as the bill run's, so a request and a bill run never deadlock.

use billing::bill::{compose, Bill};
use billing::plan_change::{self, ChangeFacts, Direction, PlanSide, Quote, Timing};
use billing::{apply_tax, text, Currency, CycleDay, Money, Period, TaxRate};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{Connection, PgConnection, PgPool};

use crate::config::{self, EngineConfig};
use crate::error::EngineError;
use crate::facts;

/// Which plans a service may change to: offered at its address (by technology), in the
/// account's currency, available, and of a billing mode the account can pay (postpaid plans
/// for postpaid accounts, prepaid plans for prepaid ones, either for hybrid ones), other
/// than the one it is on. `s`, `ad`, `a` and `p` are the service, its address, its account
/// and the plan. The portal's upgrade suggestion (the data cap) uses the same rule.
pub const ELIGIBLE: &str = "p.technology = any(ad.technologies) and p.currency = a.currency
     and p.available and (a.billing_mode = 'hybrid' or p.billing_mode = a.billing_mode)
     and p.id <> s.plan_id";

const PLAN_COLUMNS: &str = "p.id, p.code, p.name, p.technology, p.download_mbps, p.upload_mbps,
     p.allowance_gb, p.monthly_price, p.currency::text as currency, p.price_includes_tax,
     p.overage_per_gb, p.billing_mode, p.contract_months, p.early_termination_fee";

/// A plan of the catalogue, as the plans page compares them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PlanDetails {
    /// `plans.id`.
    pub id: i64,
    /// `fibre-1000`.
    pub code: String,
    /// `Fibre 1000`.
    pub name: String,
    /// `fibre`, `cable`, `dsl` or `fixed_wireless`.
    pub technology: String,
    /// Download speed.
    pub download_mbps: i32,
    /// Upload speed.
    pub upload_mbps: i32,
    /// Data included each period (`None`: unlimited).
    pub allowance_gb: Option<i32>,
    /// The price of a whole period.
    pub monthly_price: Decimal,
    /// The currency of the prices.
    pub currency: String,
    /// Whether the prices include tax.
    pub price_includes_tax: bool,
    /// Price per started gigabyte over the allowance.
    pub overage_per_gb: Option<Decimal>,
    /// `postpaid` or `prepaid`.
    pub billing_mode: String,
    /// The minimum term in months (0: none).
    pub contract_months: i16,
    /// What leaving the whole term costs.
    pub early_termination_fee: Option<Decimal>,
}

/// A plan of the catalogue, with whether it is still sold.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CataloguePlan {
    /// The plan.
    #[sqlx(flatten)]
    pub plan: PlanDetails,
    /// Whether new services and changes may choose it (services on a plan no longer sold
    /// keep it).
    pub available: bool,
}

/// Every plan, those no longer sold included, in code order (the integration API's list).
pub async fn catalogue(pool: &PgPool) -> Result<Vec<CataloguePlan>, EngineError> {
    Ok(sqlx::query_as(&format!(
        "select {PLAN_COLUMNS}, p.available from plans p order by p.code"
    ))
    .fetch_all(pool)
    .await?)
}

/// A change asked for by a subscriber (or by staff on their behalf).
#[derive(Debug, Clone)]
pub struct ChangeRequest {
    /// The account asking; a service of another account is [`EngineError::NotFound`].
    pub account_id: i64,
    /// The service to change.
    pub service_id: i64,
    /// The plan asked for.
    pub to_plan_id: i64,
    /// The plan the service was on when the subscriber looked: if it is no longer, the
    /// request is a [`EngineError::Conflict`] (another tab changed it).
    pub seen_plan_id: i64,
    /// The early termination fee the subscriber agreed to, which must be exactly the fee
    /// the change costs when it costs one.
    pub accepted_fee: Option<Decimal>,
    /// The portal login asking.
    pub login_id: Option<i64>,
    /// The staff user asking.
    pub staff_id: Option<i64>,
    /// The integration API key asking.
    pub api_key_id: Option<i64>,
    /// When it takes effect, chosen by the caller (the integration API); `None`: the
    /// provider's policy for its direction. The proration is the same either way.
    pub timing: Option<crate::config::Timing>,
    /// The provider-local day.
    pub today: NaiveDate,
}

/// Whether a change took effect or waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    /// It took effect when requested.
    Applied,
    /// It waits for its effective day.
    Scheduled,
}

/// What [`request`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// `plan_changes.id`.
    pub plan_change_id: i64,
    /// Applied or scheduled.
    pub status: ChangeStatus,
    /// The figures it was made with.
    pub quote: Quote,
    /// The plan now (or from its effective day).
    pub to: PlanDetails,
}

/// What a change would do, before it is confirmed.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    /// The service.
    pub service_id: i64,
    /// The plan it is on.
    pub from: PlanDetails,
    /// The plan asked for.
    pub to: PlanDetails,
    /// When, and what it costs now.
    pub quote: Quote,
    /// The contract end before the change.
    pub contract_ends_on: Option<NaiveDate>,
    /// The next statement as it would stand with the change (usage so far), composed by
    /// the bill run's own code.
    pub next_statement: Option<Bill>,
    /// The statement after it: the period's charges only (no usage, previous balance or
    /// payments, which are not known yet).
    pub following_statement: Option<Bill>,
}

/// The plans the service may change to, cheapest first. A service of another account has
/// none.
pub async fn offers(
    conn: &mut PgConnection,
    account_id: i64,
    service_id: i64,
) -> Result<Vec<PlanDetails>, EngineError> {
    Ok(sqlx::query_as(&format!(
        "select {PLAN_COLUMNS}
           from services s
           join addresses ad on ad.id = s.address_id
           join accounts a on a.id = s.account_id
           join plans p on {ELIGIBLE}
          where s.id = $1 and s.account_id = $2
          order by p.monthly_price, p.download_mbps, p.id"
    ))
    .bind(service_id)
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// What the change from the service's plan to `to_plan_id` would do, checked exactly as
/// [`request`] checks it. The change is made in a transaction that is rolled back, and the
/// next statement is composed from there by [`crate::bill_run::preview`].
pub async fn preview(
    pool: &PgPool,
    config: &EngineConfig,
    account_id: i64,
    service_id: i64,
    to_plan_id: i64,
    today: NaiveDate,
) -> Result<Preview, EngineError> {
    let mut tx = pool.begin().await?;
    let ctx = Context::load(&mut tx, account_id, service_id, to_plan_id, false).await?;
    ctx.check(None)?;
    let quote = ctx.quote(config, today, None)?;
    ctx.write(&mut tx, &quote, (None, None, None), today)
        .await?;

    let next_statement = crate::bill_run::preview(&mut tx, config, account_id, today).await?;
    let following_statement = match &next_statement {
        Some(next) => following(&mut tx, config, account_id, next.period).await?,
        None => None,
    };
    tx.rollback().await?;
    Ok(Preview {
        service_id,
        contract_ends_on: ctx.contract_ends_on,
        from: ctx.from,
        to: ctx.to,
        quote,
        next_statement,
        following_statement,
    })
}

/// The statement after the one for `next`: its period's charges for the services as they
/// will be then (usage, payments and the previous balance are left out: not known yet).
async fn following(
    conn: &mut PgConnection,
    config: &EngineConfig,
    account_id: i64,
    next: Period,
) -> Result<Option<Bill>, EngineError> {
    let mut tx = conn.begin().await?;
    apply_due(&mut tx, &[account_id], next.end).await?;
    let batch = facts::load(
        &mut tx,
        &[account_id],
        next.end,
        config.payment_terms_days,
        false,
    )
    .await?;
    tx.rollback().await?;
    let Some((account, mut facts)) = batch.accounts.into_iter().next() else {
        return Ok(None);
    };
    for service in &mut facts.services {
        // The next statement charges through `next.end`.
        if let Some(activated_on) = service.activated_on.filter(|a| *a < next.end) {
            let from = service.charged_through.unwrap_or(activated_on);
            if !service.charged.is_empty() && from < next.end {
                service.charged.push(Period {
                    start: from,
                    end: next.end,
                });
            }
            service.charged_through = service.charged_through.max(Some(next.end));
        }
        service.usage.clear();
    }
    facts.previous_balance = Money::zero(facts.currency);
    facts.one_time.clear();
    facts.received.clear();
    compose(&facts)
        .map(Some)
        .map_err(|source| EngineError::Bill {
            account_number: account.number,
            source,
        })
}

/// Makes the change: at once, or scheduled for its effective day, per the provider's
/// policy. See the module documentation for what is written and for concurrency.
pub async fn request(
    pool: &PgPool,
    config: &EngineConfig,
    req: &ChangeRequest,
) -> Result<Outcome, EngineError> {
    let mut tx = pool.begin().await?;
    let outcome = request_in(&mut tx, config, req).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// [`request`] in the caller's transaction (the integration API commits it with its
/// idempotency record and audit entry).
pub async fn request_in(
    tx: &mut PgConnection,
    config: &EngineConfig,
    req: &ChangeRequest,
) -> Result<Outcome, EngineError> {
    let ctx = Context::load(
        &mut *tx,
        req.account_id,
        req.service_id,
        req.to_plan_id,
        true,
    )
    .await?;
    ctx.check(Some(req.seen_plan_id))?;
    let quote = ctx.quote(config, req.today, req.timing)?;
    if let Some(fee) = quote.early_termination_fee {
        if req.accepted_fee != Some(fee.amount()) {
            return Err(EngineError::Invalid(format!(
                "This change ends your contract early: please confirm the early termination \
                 fee of {}.",
                text::money(fee)
            )));
        }
    }
    let requester = (req.login_id, req.staff_id, req.api_key_id);
    let (plan_change_id, status) = ctx.write(&mut *tx, &quote, requester, req.today).await?;
    Ok(Outcome {
        plan_change_id,
        status,
        quote,
        to: ctx.to,
    })
}

/// Cancels a scheduled change of the account. Anything else (an applied or cancelled
/// change, or another account's) is [`EngineError::NotFound`].
pub async fn cancel(
    pool: &PgPool,
    account_id: i64,
    change_id: i64,
    login_id: Option<i64>,
) -> Result<(), EngineError> {
    let mut tx = pool.begin().await?;
    let row: Option<(i64, String, NaiveDate)> = sqlx::query_as(
        "update plan_changes c
            set status = 'cancelled', decided_at = now(), cancelled_by_login = $3
           from services s, plans p
          where c.id = $1 and c.status = 'scheduled'
            and s.id = c.service_id and s.account_id = $2 and p.id = c.to_plan_id
         returning c.service_id, p.name, c.effective_on",
    )
    .bind(change_id)
    .bind(account_id)
    .bind(login_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((service_id, plan_name, effective_on)) = row else {
        return Err(EngineError::NotFound);
    };
    sqlx::query(
        "insert into service_events (account_id, service_id, kind, summary, detail)
         values ($1, $2, 'plan_change', $3, $4)",
    )
    .bind(account_id)
    .bind(service_id)
    .bind(format!(
        "Plan change to {plan_name} on {} cancelled",
        text::day(effective_on)
    ))
    .bind(serde_json::json!({ "plan_change_id": change_id, "status": "cancelled" }))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Applies the scheduled changes of `account_ids` that take effect on or before `date`:
/// the plan and contract, the accepted early termination fee, the applied status, the
/// history event and the provisioning row. Returns how many were applied.
///
/// The bill run calls it in each batch's transaction before gathering the facts, so the
/// statement issued on the effective day bills the new plan (and a dry run rolls it back).
/// When there is anything to apply, the accounts are locked first, in id order, as the bill
/// run locks them.
pub async fn apply_due(
    conn: &mut PgConnection,
    account_ids: &[i64],
    date: NaiveDate,
) -> Result<u64, EngineError> {
    let any: bool = sqlx::query_scalar(
        "select exists (select 1 from plan_changes c join services s on s.id = c.service_id
                         where s.account_id = any($1) and c.status = 'scheduled'
                           and c.effective_on <= $2)",
    )
    .bind(account_ids)
    .bind(date)
    .fetch_one(&mut *conn)
    .await?;
    if !any {
        return Ok(0);
    }
    sqlx::query("select id from accounts where id = any($1) order by id for update")
        .bind(account_ids)
        .execute(&mut *conn)
        .await?;
    let due: Vec<DueRow> = sqlx::query_as(
        "select c.id, s.account_id, c.service_id, c.from_plan_id, c.to_plan_id,
                    c.effective_on, c.early_termination_fee, c.contract_ends_on
               from plan_changes c join services s on s.id = c.service_id
              where s.account_id = any($1) and c.status = 'scheduled' and c.effective_on <= $2
              order by s.account_id, s.id
                for update of s, c",
    )
    .bind(account_ids)
    .bind(date)
    .fetch_all(&mut *conn)
    .await?;
    let mut applied = 0;
    for (change_id, account_id, service_id, from_id, to_id, effective_on, fee, contract_end) in due
    {
        let ctx = Context::load(&mut *conn, account_id, service_id, to_id, false).await?;
        let from = plan(&mut *conn, from_id).await?;
        let currency = ctx.currency_of(&ctx.to)?;
        // Days already charged beyond the effective day (none when the bill run applies it
        // on its day, before billing the period).
        let (adjustment, adjusted_days) = plan_change::adjustment(
            Money::new(from.monthly_price, currency),
            Money::new(ctx.to.monthly_price, currency),
            effective_on,
            ctx.charged_through,
            ctx.cycle_day,
        )
        .map_err(|e| EngineError::bad_data(&ctx.account_number, e.to_string()))?;
        let quote = Quote {
            direction: Direction::of(
                Money::new(from.monthly_price, currency),
                Money::new(ctx.to.monthly_price, currency),
            ),
            timing: Timing::NextCycle,
            effective_on,
            adjustment,
            adjusted_days,
            early_termination_fee: fee.map(|f| Money::new(f, currency)),
            contract_months_left: 0,
            contract_ends_on: contract_end,
        };
        let ctx = Context { from, ..ctx };
        ctx.apply(&mut *conn, change_id, &quote, None).await?;
        applied += 1;
    }
    Ok(applied)
}

/// change, account, service, from plan, to plan, effective on, fee, contract end
type DueRow = (
    i64,
    i64,
    i64,
    i64,
    i64,
    NaiveDate,
    Option<Decimal>,
    Option<NaiveDate>,
);

/// Everything a change needs to know, read in one place for the preview, the request and
/// the scheduled application.
struct Context {
    account_id: i64,
    account_number: String,
    currency: String,
    cycle_day: CycleDay,
    service_id: i64,
    service_status: String,
    jurisdiction_id: i64,
    contract_ends_on: Option<NaiveDate>,
    charged_through: Option<NaiveDate>,
    eligible: bool,
    /// A change already waiting: (id, plan name, effective day).
    scheduled: Option<(i64, String, NaiveDate)>,
    from: PlanDetails,
    to: PlanDetails,
}

#[derive(sqlx::FromRow)]
struct ServiceRow {
    account_number: String,
    currency: String,
    billing_cycle_day: i16,
    plan_id: i64,
    status: String,
    jurisdiction_id: i64,
    contract_ends_on: Option<NaiveDate>,
}

impl Context {
    /// Reads the service (of that account only) and both plans. With `lock`, the account is
    /// locked for share and the service for update until the transaction ends, so that
    /// requests for one service run one after the other and a bill run waits for them.
    async fn load(
        conn: &mut PgConnection,
        account_id: i64,
        service_id: i64,
        to_plan_id: i64,
        lock: bool,
    ) -> Result<Context, EngineError> {
        if lock {
            sqlx::query("select id from accounts where id = $1 for share")
                .bind(account_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("select id from services where id = $1 and account_id = $2 for update")
                .bind(service_id)
                .bind(account_id)
                .execute(&mut *conn)
                .await?;
        }
        let service: Option<ServiceRow> = sqlx::query_as(
            "select a.account_number, a.currency::text as currency, a.billing_cycle_day,
                    s.plan_id, s.status, ad.jurisdiction_id, s.contract_ends_on
               from services s
               join accounts a on a.id = s.account_id
               join addresses ad on ad.id = s.address_id
              where s.id = $1 and s.account_id = $2",
        )
        .bind(service_id)
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(service) = service else {
            return Err(EngineError::NotFound);
        };
        let cycle_day = u8::try_from(service.billing_cycle_day)
            .ok()
            .and_then(|d| CycleDay::new(d).ok())
            .ok_or_else(|| {
                EngineError::bad_data(&service.account_number, "billing cycle day out of range")
            })?;
        let from = plan(&mut *conn, service.plan_id).await?;
        let to = plan(&mut *conn, to_plan_id).await?;
        let eligible: bool = sqlx::query_scalar(&format!(
            "select exists (select 1 from services s
                              join addresses ad on ad.id = s.address_id
                              join accounts a on a.id = s.account_id
                              join plans p on {ELIGIBLE}
                             where s.id = $1 and p.id = $2)"
        ))
        .bind(service_id)
        .bind(to_plan_id)
        .fetch_one(&mut *conn)
        .await?;
        let charged_through: Option<NaiveDate> = sqlx::query_scalar(
            "select greatest((select max(period_end) from service_charges where service_id = s.id and kind = 'charge'),
                             s.legacy_charged_through)
               from services s where s.id = $1",
        )
        .bind(service_id)
        .fetch_one(&mut *conn)
        .await?;
        let scheduled: Option<(i64, String, NaiveDate)> = sqlx::query_as(
            "select c.id, p.name, c.effective_on from plan_changes c join plans p on p.id = c.to_plan_id
              where c.service_id = $1 and c.status = 'scheduled'",
        )
        .bind(service_id)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(Context {
            account_id,
            account_number: service.account_number,
            currency: service.currency,
            cycle_day,
            service_id,
            service_status: service.status,
            jurisdiction_id: service.jurisdiction_id,
            contract_ends_on: service.contract_ends_on,
            charged_through,
            eligible,
            scheduled,
            from,
            to,
        })
    }

    /// The request's checks, in the order a subscriber would want to hear them.
    fn check(&self, seen_plan_id: Option<i64>) -> Result<(), EngineError> {
        if seen_plan_id.is_some_and(|seen| seen != self.from.id) {
            return Err(EngineError::Conflict(format!(
                "This service's plan changed since the page was shown: it is now {}.",
                self.from.name
            )));
        }
        if let Some((_, name, on)) = &self.scheduled {
            return Err(EngineError::Conflict(format!(
                "A change to {name} is already scheduled for {}: cancel it first.",
                text::day(*on)
            )));
        }
        if self.service_status != "active" {
            return Err(EngineError::Invalid(
                "Only an active service can change plans.".into(),
            ));
        }
        if self.to.id == self.from.id {
            return Err(EngineError::Invalid(format!(
                "This service is already on {}.",
                self.from.name
            )));
        }
        if !self.eligible {
            return Err(EngineError::Invalid(format!(
                "{} is not offered at this service's address.",
                self.to.name
            )));
        }
        Ok(())
    }

    fn currency_of(&self, plan: &PlanDetails) -> Result<Currency, EngineError> {
        if plan.currency != self.currency {
            return Err(EngineError::bad_data(
                &self.account_number,
                format!("plan {} is priced in {}", plan.code, plan.currency),
            ));
        }
        Currency::parse(&plan.currency)
            .map_err(|e| EngineError::bad_data(&self.account_number, e.to_string()))
    }

    fn quote(
        &self,
        config: &EngineConfig,
        today: NaiveDate,
        chosen: Option<config::Timing>,
    ) -> Result<Quote, EngineError> {
        let side = |p: &PlanDetails| -> Result<PlanSide, EngineError> {
            let currency = self.currency_of(p)?;
            Ok(PlanSide {
                monthly_price: Money::new(p.monthly_price, currency),
                contract_months: u32::try_from(p.contract_months).unwrap_or(0),
                early_termination_fee: p.early_termination_fee.map(|f| Money::new(f, currency)),
            })
        };
        plan_change::quote(&ChangeFacts {
            from: side(&self.from)?,
            to: side(&self.to)?,
            today,
            cycle_day: self.cycle_day,
            charged_through: self.charged_through,
            upgrades: timing(chosen.unwrap_or(config.plan_changes.upgrades)),
            downgrades: timing(chosen.unwrap_or(config.plan_changes.downgrades)),
            contract_ends_on: self.contract_ends_on,
        })
        .map_err(|e| EngineError::bad_data(&self.account_number, e.to_string()))
    }

    /// Writes the change as requested: applied at once when it takes effect today,
    /// otherwise scheduled.
    async fn write(
        &self,
        conn: &mut PgConnection,
        quote: &Quote,
        requester: (Option<i64>, Option<i64>, Option<i64>),
        today: NaiveDate,
    ) -> Result<(i64, ChangeStatus), EngineError> {
        // Who asked: a portal login, a staff member, or an API key.
        let (login_id, staff_id, api_key_id) = requester;
        let at_once = quote.effective_on <= today;
        let id: i64 = sqlx::query_scalar(
            "insert into plan_changes (service_id, from_plan_id, to_plan_id, effective_on, status,
                                       requested_by_login, requested_by_staff, requested_by_api_key,
                                       kind, early_termination_fee, contract_ends_on)
             values ($1, $2, $3, $4, 'scheduled', $5, $6, $7, $8, $9, $10) returning id",
        )
        .bind(self.service_id)
        .bind(self.from.id)
        .bind(self.to.id)
        .bind(quote.effective_on)
        .bind(login_id)
        .bind(staff_id)
        .bind(api_key_id)
        .bind(quote.direction.as_str())
        .bind(quote.early_termination_fee.map(|f| f.amount()))
        .bind(quote.contract_ends_on)
        .fetch_one(&mut *conn)
        .await?;
        if at_once {
            self.apply(conn, id, quote, staff_id).await?;
            Ok((id, ChangeStatus::Applied))
        } else {
            sqlx::query(
                "insert into service_events (account_id, service_id, kind, summary, detail, staff_user_id)
                 values ($1, $2, 'plan_change', $3, $4, $5)",
            )
            .bind(self.account_id)
            .bind(self.service_id)
            .bind(format!(
                "Plan change from {} to {} scheduled for {}",
                self.from.name,
                self.to.name,
                text::day(quote.effective_on)
            ))
            .bind(serde_json::json!({
                "plan_change_id": id,
                "status": "scheduled",
                "from_plan_id": self.from.id,
                "to_plan_id": self.to.id,
                "effective_on": quote.effective_on,
                "early_termination_fee": quote.early_termination_fee.map(|f| f.amount()),
            }))
            .bind(staff_id)
            .execute(&mut *conn)
            .await?;
            Ok((id, ChangeStatus::Scheduled))
        }
    }

    /// Applies the scheduled change `change_id` with `quote`'s figures: see the module
    /// documentation for what is written.
    async fn apply(
        &self,
        conn: &mut PgConnection,
        change_id: i64,
        quote: &Quote,
        staff_id: Option<i64>,
    ) -> Result<(), EngineError> {
        let currency = self.currency_of(&self.to)?;
        sqlx::query(
            "update plan_changes
                set status = 'applied', decided_at = now(), adjustment = $2,
                    early_termination_fee = $3, contract_ends_on = $4
              where id = $1",
        )
        .bind(change_id)
        .bind(
            (quote.timing == Timing::Immediately || quote.adjusted_days.is_some())
                .then_some(quote.adjustment.amount()),
        )
        .bind(quote.early_termination_fee.map(|f| f.amount()))
        .bind(quote.contract_ends_on)
        .execute(&mut *conn)
        .await?;
        sqlx::query("update services set plan_id = $2, contract_ends_on = $3 where id = $1")
            .bind(self.service_id)
            .bind(self.to.id)
            .bind(quote.contract_ends_on)
            .execute(&mut *conn)
            .await?;

        let days = quote
            .adjusted_days
            .map(|d| text::period(&d))
            .unwrap_or_default();
        if quote.adjustment.is_positive() {
            self.one_time(
                conn,
                &format!("Upgrade to {}, {days} (prorated)", self.to.name),
                quote.adjustment.amount(),
                quote.effective_on,
            )
            .await?;
        } else if quote.adjustment.is_negative() {
            // The days were charged with tax on top (for a tax-exclusive price); the credit
            // returns that tax too, as a cancellation refund does (billing::bill, rule 2),
            // so no negative tax line is ever needed.
            let credit = quote.adjustment.neg();
            let rate: Option<(Decimal, bool)> = sqlx::query_as(
                "select rate, inclusive from tax_rates
                  where jurisdiction_id = $1 and valid_from <= $2 and (valid_to is null or valid_to > $2)
                  order by valid_from desc, name limit 1",
            )
            .bind(self.jurisdiction_id)
            .bind(quote.effective_on)
            .fetch_optional(&mut *conn)
            .await?;
            let gross = match rate {
                Some((rate, _)) if !self.from.price_includes_tax => {
                    let rate = TaxRate::new(rate, false)
                        .map_err(|e| EngineError::bad_data(&self.account_number, e.to_string()))?;
                    apply_tax(credit, &rate).gross
                }
                _ => credit,
            };
            sqlx::query(
                "insert into ledger_entries (account_id, currency, kind, amount, description,
                                             effective_on, idempotency_key)
                 values ($1, $2, 'credit', $3, $4, $5, $6)",
            )
            .bind(self.account_id)
            .bind(currency.as_str())
            .bind(-gross.amount())
            .bind(format!(
                "Change to {}, {days} (prorated credit)",
                self.to.name
            ))
            .bind(quote.effective_on)
            .bind(format!("plan-change-{change_id}-credit"))
            .execute(&mut *conn)
            .await?;
        }
        if let Some(fee) = quote.early_termination_fee {
            self.one_time(
                conn,
                &format!("Early termination fee, {} contract", self.from.name),
                fee.amount(),
                quote.effective_on,
            )
            .await?;
        }

        let mut summary = format!("Plan changed from {} to {}", self.from.name, self.to.name);
        if quote.adjustment.is_positive() {
            summary.push_str(&format!(
                "; {} prorated charge",
                text::money(quote.adjustment)
            ));
        } else if quote.adjustment.is_negative() {
            summary.push_str(&format!(
                "; {} prorated credit",
                text::money(quote.adjustment.neg())
            ));
        }
        sqlx::query(
            "insert into service_events (account_id, service_id, kind, summary, detail, staff_user_id)
             values ($1, $2, 'plan_change', $3, $4, $5)",
        )
        .bind(self.account_id)
        .bind(self.service_id)
        .bind(summary)
        .bind(serde_json::json!({
            "plan_change_id": change_id,
            "status": "applied",
            "from_plan_id": self.from.id,
            "to_plan_id": self.to.id,
            "effective_on": quote.effective_on,
            "adjustment": quote.adjustment.amount(),
            "early_termination_fee": quote.early_termination_fee.map(|f| f.amount()),
        }))
        .bind(staff_id)
        .execute(&mut *conn)
        .await?;
        // The network is told by the trigger on `services` (provisioning_outbox, linked to
        // this change), in this transaction.
        Ok(())
    }

    async fn one_time(
        &self,
        conn: &mut PgConnection,
        description: &str,
        amount: Decimal,
        on: NaiveDate,
    ) -> Result<(), EngineError> {
        sqlx::query(
            "insert into one_time_charges (account_id, currency, service_id, description, amount,
                                           charge_on, kind)
             values ($1, $2, $3, $4, $5, $6, 'charge')",
        )
        .bind(self.account_id)
        .bind(&self.currency)
        .bind(self.service_id)
        .bind(description)
        .bind(amount)
        .bind(on)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

async fn plan(conn: &mut PgConnection, id: i64) -> Result<PlanDetails, EngineError> {
    sqlx::query_as(&format!(
        "select {PLAN_COLUMNS} from plans p where p.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(EngineError::NotFound)
}

fn timing(t: config::Timing) -> Timing {
    match t {
        config::Timing::Immediately => Timing::Immediately,
        config::Timing::NextCycle => Timing::NextCycle,
    }
}

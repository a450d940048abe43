//! Monthly recurring revenue by plan, and how it moved over a range. Definitions in
//! [`billing::bill`] ("What the operators' reports count"): a service counts from its
//! activation day until the day before it was cancelled, suspended or not, at its plan's
//! monthly price as sold; the opening figure is the evening before the range's first day,
//! the closing figure the evening of its last day, and each service that differs between
//! the two moves the figure once: new, churned, or moved to a dearer (upgrade) or cheaper
//! (downgrade) plan. A plan's row leaves with the service's old price and arrives with its
//! new one, so every row, and the total, adds up:
//! `opening + new + upgrades + downgrades + churn = closing`.

use rust_decimal::Decimal;
use sqlx::PgPool;

use super::Range;
use crate::EngineError;

/// One plan's recurring revenue and its movement.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlanMrr {
    /// `plans.code`.
    pub code: String,
    /// `plans.name`.
    pub name: String,
    /// The plan's currency.
    pub currency: String,
    /// Services on the plan the evening before the first day.
    pub opening_services: i64,
    /// Their monthly revenue.
    pub opening: Decimal,
    /// Services new in the range (in service on the last day, not before the first).
    pub new: Decimal,
    /// Moved by a plan change to a plan of a higher price: positive on the plan moved to,
    /// negative on the plan left.
    pub upgrades: Decimal,
    /// Moved by a plan change to a plan of a lower price (or the same price): positive on
    /// the plan moved to, negative on the plan left.
    pub downgrades: Decimal,
    /// Services cancelled in the range (negative).
    pub churn: Decimal,
    /// Monthly revenue the evening of the last day.
    pub closing: Decimal,
    /// Services on the plan the evening of the last day.
    pub closing_services: i64,
}

/// Every plan (sold or not) with its revenue and movement over `range`, cheapest first.
/// One statement: each service's plan and standing on the two evenings (a plan changed
/// after an evening had its `from_plan_id` then), counted by plan on each evening, then
/// priced and grouped by plan.
pub async fn report(pool: &PgPool, range: Range) -> Result<Vec<PlanMrr>, EngineError> {
    let rows = sqlx::query_as(
        "with first_change_after as (
             -- for each evening, the earliest change applied after it: its from_plan
             select distinct on (service_id, evening) service_id, evening, from_plan_id
               from plan_changes
               cross join lateral (values ($1::date - 1), ($2::date)) as e(evening)
              where status = 'applied' and effective_on > evening and effective_on >= $1::date
              order by service_id, evening, effective_on, id
         ),
         standing as (
             -- each service's plan and whether it ran on each evening, counted by those
             -- four: a hundred groups or so, however many services there are
             select coalesce(o.from_plan_id, s.plan_id) as plan_open,
                    coalesce(c.from_plan_id, s.plan_id) as plan_close,
                    s.activated_on < $1 and (s.cancelled_on is null or s.cancelled_on >= $1) as in_open,
                    s.activated_on <= $2 and (s.cancelled_on is null or s.cancelled_on > $2) as in_close,
                    count(*) as services
               from services s
               left join first_change_after o on o.service_id = s.id and o.evening = $1::date - 1
               left join first_change_after c on c.service_id = s.id and c.evening = $2::date
              where s.activated_on <= $2 and (s.cancelled_on is null or s.cancelled_on >= $1)
              group by 1, 2, 3, 4
         ),
         priced as (
             select st.*, po.monthly_price * st.services as price_open,
                    pc.monthly_price * st.services as price_close,
                    st.in_open and st.in_close and st.plan_open <> st.plan_close as moved,
                    pc.monthly_price > po.monthly_price as dearer
               from standing st
               join plans po on po.id = st.plan_open
               join plans pc on pc.id = st.plan_close
              where st.in_open or st.in_close
         ),
         contribution as (
             -- what the services took from their plan on the first evening...
             select plan_open as plan_id, services as opening_services, price_open as opening,
                    0 as new,
                    case when moved and dearer then -price_open else 0 end as upgrades,
                    case when moved and not dearer then -price_open else 0 end as downgrades,
                    case when not in_close then -price_open else 0 end as churn,
                    0 as closing, 0 as closing_services
               from priced where in_open
             union all
             -- ...and brought to their plan on the last
             select plan_close, 0, 0,
                    case when not in_open then price_close else 0 end,
                    case when moved and dearer then price_close else 0 end,
                    case when moved and not dearer then price_close else 0 end,
                    0, price_close, services
               from priced where in_close
         )
         select p.code, p.name, p.currency::text as currency,
                coalesce(sum(c.opening_services), 0)::bigint as opening_services,
                coalesce(sum(c.opening), 0)::numeric as opening,
                coalesce(sum(c.new), 0)::numeric as new,
                coalesce(sum(c.upgrades), 0)::numeric as upgrades,
                coalesce(sum(c.downgrades), 0)::numeric as downgrades,
                coalesce(sum(c.churn), 0)::numeric as churn,
                coalesce(sum(c.closing), 0)::numeric as closing,
                coalesce(sum(c.closing_services), 0)::bigint as closing_services
           from plans p left join contribution c on c.plan_id = p.id
          group by p.id
          order by p.currency, p.monthly_price, p.code",
    )
    .persistent(false)
    .bind(range.from)
    .bind(range.to)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

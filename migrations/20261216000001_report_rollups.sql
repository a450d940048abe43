-- Operators' reports over long ranges (issue 15): a year of card payments and a year of
-- usage by plan are read from small roll-ups the database keeps, not from 900,000 payments
-- or 1.2 M service-months on every call. Like usage_monthly (20261215000001), each roll-up
-- is kept by statement-level triggers on the table it sums, whatever system writes that
-- table, so that it cannot disagree with it; engine/tests check that it does not.
--
-- Each trigger function sees the rows its statement changed as transition tables: the
-- rows counted in (`new_rows`) and out (`old_rows`). It adds the difference to the roll-up
-- in one grouped upsert, groups in key order so that two transactions cannot wait for each
-- other. A TRUNCATE of a summed table must truncate its roll-up too.

-- The rows a statement changed, each with +1 (counted in) or -1 (counted out): the new
-- rows of an INSERT or UPDATE, the old rows of an UPDATE or DELETE. Only a trigger that
-- has the transition table may name it, hence the text.
create function rollup_change_source(op text) returns text language sql immutable as $$
    select case op
        when 'INSERT' then 'select n.*, 1 as sign from new_rows n'
        when 'DELETE' then 'select o.*, -1 as sign from old_rows o'
        else 'select n.*, 1 as sign from new_rows n union all select o.*, -1 from old_rows o'
    end
$$;

-- Keeps a roll-up with `apply`: the three statement-level triggers on `summed`, each with
-- the transition tables its operation has.
create function keep_rollup(summed regclass, name text, apply text) returns void
language plpgsql as $$
begin
    execute format('create trigger %I after insert on %s referencing new table as new_rows
                    for each statement execute function %I()', name || '_on_insert', summed, apply);
    execute format('create trigger %I after update on %s
                    referencing old table as old_rows new table as new_rows
                    for each statement execute function %I()', name || '_on_update', summed, apply);
    execute format('create trigger %I after delete on %s referencing old table as old_rows
                    for each statement execute function %I()', name || '_on_delete', summed, apply);
end $$;

-- ---------------------------------------------------------------------------------------
-- Payments by outcome, a quarter of an hour at a time
-- ---------------------------------------------------------------------------------------

-- The payments started in each quarter hour (UTC) by method, status, failure code and
-- currency. A quarter hour rather than a day: the report's days are the provider's, whose
-- time zone is a setting, and every time zone's midnight falls on a quarter hour. (The
-- report reads the payments themselves for any part of a quarter at the ends of its range,
-- so it would stay exact even where one did not.)
create table payment_outcomes (
    quarter      timestamptz not null
                 check (quarter = date_bin('15 minutes', quarter, timestamptz '2000-01-01 00:00+00')),
    method       text not null,
    status       text not null,
    -- '' when the payment has none.
    failure_code text not null,
    currency     char(3) not null,
    -- Never below zero once a statement is done; no check says so, since an upsert's
    -- proposed row (the change alone, -1 for a payment that moved on) is checked before it
    -- meets the row it adds to.
    payments     bigint not null,
    amount       numeric(16,2) not null,
    primary key (quarter, method, status, failure_code, currency)
);

create function payment_outcomes_apply() returns trigger language plpgsql as $$
begin
    execute format($q$
        insert into payment_outcomes as o (quarter, method, status, failure_code, currency, payments, amount)
        select date_bin('15 minutes', created_at, timestamptz '2000-01-01 00:00+00'),
               method, status, coalesce(failure_code, ''), currency, sum(sign), sum(sign * amount)
          from (%s) change
         group by 1, 2, 3, 4, 5
        having sum(sign) <> 0 or sum(sign * amount) <> 0
         order by 1, 2, 3, 4, 5
        on conflict (quarter, method, status, failure_code, currency) do update
           set payments = o.payments + excluded.payments, amount = o.amount + excluded.amount$q$,
        rollup_change_source(tg_op));
    if tg_op <> 'INSERT' then
        delete from payment_outcomes o
         using (select distinct date_bin('15 minutes', created_at, timestamptz '2000-01-01 00:00+00') as quarter
                  from old_rows) changed
         where o.quarter = changed.quarter and o.payments = 0;
    end if;
    return null;
end $$;

select keep_rollup('payments', 'payment_outcomes', 'payment_outcomes_apply');

insert into payment_outcomes (quarter, method, status, failure_code, currency, payments, amount)
select date_bin('15 minutes', created_at, timestamptz '2000-01-01 00:00+00'),
       method, status, coalesce(failure_code, ''), currency, count(*), sum(amount)
  from payments
 group by 1, 2, 3, 4, 5;

-- ---------------------------------------------------------------------------------------
-- Usage by plan and calendar month
-- ---------------------------------------------------------------------------------------

-- A service's month counts under the plan it was on when that month's first usage was
-- recorded, against that plan's allowance then: a service that moved to a bigger plan
-- because it ran out is seen running out on the plan it left. Until now the report used
-- the service's plan of today for every month.
alter table usage_monthly
    add column plan_id bigint references plans,
    -- The plan's monthly allowance in bytes; null: unlimited.
    add column allowance_bytes bigint;
update usage_monthly m
   set plan_id = s.plan_id, allowance_bytes = p.allowance_gb * 1000000000::bigint
  from services s join plans p on p.id = s.plan_id
 where s.id = m.service_id;
alter table usage_monthly alter column plan_id set not null;

create or replace function usage_monthly_apply() returns trigger language plpgsql as $$
begin
    -- The change to each service's month: the new rows' bytes less the old rows'. A
    -- service's month takes its plan when the month is first written.
    execute format($q$
        insert into usage_monthly as m (service_id, month, download_bytes, upload_bytes, plan_id, allowance_bytes)
        select change.service_id, change.month, change.down, change.up,
               s.plan_id, p.allowance_gb * 1000000000::bigint
          from (select service_id, date_trunc('month', day)::date as month,
                       sum(sign * download_bytes) as down, sum(sign * upload_bytes) as up
                  from (%s) days
                 group by 1, 2
                having sum(sign * download_bytes) <> 0 or sum(sign * upload_bytes) <> 0) change
          join services s on s.id = change.service_id
          join plans p on p.id = s.plan_id
         order by 1, 2
        on conflict (service_id, month) do update
           set download_bytes = m.download_bytes + excluded.download_bytes,
               upload_bytes = m.upload_bytes + excluded.upload_bytes$q$,
        rollup_change_source(tg_op));
    return null;
end $$;

-- The existing triggers on usage_daily name their transition tables new_days and old_days.
drop trigger usage_monthly_on_insert on usage_daily;
drop trigger usage_monthly_on_update on usage_daily;
drop trigger usage_monthly_on_delete on usage_daily;
select keep_rollup('usage_daily', 'usage_monthly', 'usage_monthly_apply');

-- Each plan's month: the services with usage, their bytes, and how many reached half, four
-- fifths and all of their allowance. Split over a few shards by the writing session, so
-- that ingestion in several sessions at once does not queue on one plan's row for the
-- month; the report adds the shards up.
create table usage_plan_monthly (
    month            date not null check (month = date_trunc('month', month)::date),
    plan_id          bigint not null references plans,
    shard            smallint not null check (shard between 0 and 7),
    services         bigint not null,
    bytes            bigint not null,
    at_half          bigint not null,
    at_four_fifths   bigint not null,
    at_allowance     bigint not null,
    primary key (month, plan_id, shard)
);

-- What one service's month adds to its plan's month, as columns to sum.
create function usage_plan_month_contribution(down bigint, up bigint, allowance bigint,
    out services int, out bytes bigint, out at_half int, out at_four_fifths int, out at_allowance int)
language sql immutable as $$
    select (down + up > 0)::int, down + up,
           (down + up > 0 and allowance is not null and (down + up) * 2 >= allowance)::int,
           (down + up > 0 and allowance is not null and (down + up) * 5 >= allowance * 4)::int,
           (down + up > 0 and allowance is not null and down + up >= allowance)::int
$$;

create function usage_plan_monthly_apply() returns trigger language plpgsql as $$
begin
    execute format($q$
        insert into usage_plan_monthly as r
               (month, plan_id, shard, services, bytes, at_half, at_four_fifths, at_allowance)
        select month, plan_id, pg_backend_pid() %% 8,
               sum(sign * c.services), sum(sign * c.bytes), sum(sign * c.at_half),
               sum(sign * c.at_four_fifths), sum(sign * c.at_allowance)
          from (%s) months,
               lateral usage_plan_month_contribution(download_bytes, upload_bytes, allowance_bytes) c
         group by 1, 2
        having sum(sign * c.services) <> 0 or sum(sign * c.bytes) <> 0
            or sum(sign * c.at_half) <> 0 or sum(sign * c.at_four_fifths) <> 0
            or sum(sign * c.at_allowance) <> 0
         order by 1, 2
        on conflict (month, plan_id, shard) do update
           set services = r.services + excluded.services, bytes = r.bytes + excluded.bytes,
               at_half = r.at_half + excluded.at_half,
               at_four_fifths = r.at_four_fifths + excluded.at_four_fifths,
               at_allowance = r.at_allowance + excluded.at_allowance$q$,
        rollup_change_source(tg_op));
    return null;
end $$;

select keep_rollup('usage_monthly', 'usage_plan_monthly', 'usage_plan_monthly_apply');

insert into usage_plan_monthly (month, plan_id, shard, services, bytes, at_half, at_four_fifths, at_allowance)
select month, plan_id, 0, sum(c.services), sum(c.bytes), sum(c.at_half), sum(c.at_four_fifths), sum(c.at_allowance)
  from usage_monthly,
       lateral usage_plan_month_contribution(download_bytes, upload_bytes, allowance_bytes) c
 group by 1, 2;

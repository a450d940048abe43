-- Operators' reports (issue 15): each report is one query over a date range, read through
-- an index on its date column, and usage by plan is read from a monthly roll-up kept in
-- step with usage_daily by the database itself. The reports are in engine/src/reports/.

-- ---------------------------------------------------------------------------------------
-- Indexes on the columns the reports select their range by
-- ---------------------------------------------------------------------------------------

create index dunning_actions_taken_on_idx on dunning_actions (taken_on);
-- Card payments by outcome read from the index alone.
create index payments_created_at_idx on payments (created_at)
    include (method, status, failure_code, currency, amount);
create index adjustments_requested_at_idx on adjustments (requested_at);
create index tickets_dispute_created_idx on tickets (created_at) where category = 'dispute';
create index plan_changes_applied_idx on plan_changes (effective_on) where status = 'applied';
-- Receivables on a day: the statements open now, those paid since (open then), and those
-- issued since (what they show was not yet shown then).
create index statements_open_idx on statements (account_id, period_start)
    include (id, currency, issued_on, total_charges, total_tax, total_due, due_on)
    where status = 'open';
create index statements_paid_at_idx on statements (paid_at) where status = 'paid';
create index statements_issued_on_idx on statements (issued_on);

-- What waits for a statement carries its amount and day (copied once: ledger entries never
-- change), so that what no statement shows yet is read from this small table alone rather
-- than by a lookup into the ledger per entry (receivables on 100,000 accounts).
alter table ledger_entries_pending add column amount numeric(14,2), add column effective_on date;
update ledger_entries_pending p
   set amount = l.amount, effective_on = l.effective_on
  from ledger_entries l
 where l.id = p.ledger_entry_id;
alter table ledger_entries_pending
    alter column amount set not null,
    alter column effective_on set not null;

create or replace function ledger_entry_pending() returns trigger language plpgsql as $$
begin
    insert into ledger_entries_pending (ledger_entry_id, account_id, amount, effective_on)
    values (new.id, new.account_id, new.amount, new.effective_on);
    return null;
end $$;

-- ---------------------------------------------------------------------------------------
-- Usage by service and calendar month
-- ---------------------------------------------------------------------------------------

-- The sum of a service's usage_daily rows in each calendar month. A month of 100,000
-- services is 3 M daily rows but 100,000 monthly ones, which the usage report reads in
-- well under its 500 ms. Kept by statement-level triggers on usage_daily (one grouped
-- upsert per statement, whichever system writes the days: accounting, a file import, the
-- legacy import, the demo seed's COPY), so it can never disagree with the days. A TRUNCATE
-- of usage_daily must truncate this table too.
create table usage_monthly (
    service_id     bigint not null references services,
    month          date not null check (month = date_trunc('month', month)::date),
    download_bytes bigint not null,
    upload_bytes   bigint not null,
    primary key (service_id, month)
);
create index usage_monthly_month_idx on usage_monthly (month);

create function usage_monthly_apply() returns trigger language plpgsql as $$
begin
    -- The change to each service's month: the new rows' bytes less the old rows'.
    if tg_op = 'INSERT' then
        insert into usage_monthly (service_id, month, download_bytes, upload_bytes)
        select service_id, date_trunc('month', day)::date, sum(download_bytes), sum(upload_bytes)
          from new_days group by 1, 2
        on conflict (service_id, month) do update
           set download_bytes = usage_monthly.download_bytes + excluded.download_bytes,
               upload_bytes = usage_monthly.upload_bytes + excluded.upload_bytes;
    elsif tg_op = 'UPDATE' then
        insert into usage_monthly (service_id, month, download_bytes, upload_bytes)
        select service_id, month, sum(down), sum(up)
          from (select service_id, date_trunc('month', day)::date as month,
                       download_bytes as down, upload_bytes as up from new_days
                union all
                select service_id, date_trunc('month', day)::date,
                       -download_bytes, -upload_bytes from old_days) change
         group by 1, 2
        having sum(down) <> 0 or sum(up) <> 0
        on conflict (service_id, month) do update
           set download_bytes = usage_monthly.download_bytes + excluded.download_bytes,
               upload_bytes = usage_monthly.upload_bytes + excluded.upload_bytes;
    else
        update usage_monthly m
           set download_bytes = m.download_bytes - d.down, upload_bytes = m.upload_bytes - d.up
          from (select service_id, date_trunc('month', day)::date as month,
                       sum(download_bytes) as down, sum(upload_bytes) as up
                  from old_days group by 1, 2) d
         where m.service_id = d.service_id and m.month = d.month;
    end if;
    return null;
end $$;

create trigger usage_monthly_on_insert after insert on usage_daily
    referencing new table as new_days
    for each statement execute function usage_monthly_apply();
create trigger usage_monthly_on_update after update on usage_daily
    referencing old table as old_days new table as new_days
    for each statement execute function usage_monthly_apply();
create trigger usage_monthly_on_delete after delete on usage_daily
    referencing old table as old_days
    for each statement execute function usage_monthly_apply();

insert into usage_monthly (service_id, month, download_bytes, upload_bytes)
select service_id, date_trunc('month', day)::date, sum(download_bytes), sum(upload_bytes)
  from usage_daily group by 1, 2;

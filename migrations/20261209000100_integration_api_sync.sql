-- The integration API (issue 13), second part: what a syncing system needs to read accounts
-- and services incrementally and to update them without overwriting another's change.
-- Design: docs/design/integration-api.md, sections 3 and 4.4-4.6.
--
-- * `version` counts the changes a reader can see (the API's ETag): it moves when a column
--   the API shows changes, whoever writes it (the portal, the bill run, another system), and
--   an account's also when one of its people or addresses changes, a service's when its
--   scheduled plan change does. Bookkeeping columns (the Stripe customer, updated_at) move
--   nothing.
-- * `sync_xid` is the transaction that made the row as it is now. The sync lists hand out
--   rows in (sync_xid, id) order, only below the oldest transaction still running, so a
--   change can never appear behind a position already handed out (a timestamp cannot
--   promise that: a long transaction commits an older `updated_at`).

alter table accounts
    add column version bigint not null default 1 check (version > 0),
    add column sync_xid bigint not null default 0,
    -- An account asked to be deleted: its services are cancelled and the bill run closes it
    -- after its final statement.
    add column close_requested_at timestamptz;
alter table services
    add column version bigint not null default 1 check (version > 0),
    add column sync_xid bigint not null default 0,
    add column updated_at timestamptz not null default now();
create index accounts_sync_idx on accounts (sync_xid, id);
create index services_sync_idx on services (sync_xid, id);

-- Columns a reader of the API does not see; a change to nothing else is no new version.
create or replace function api_unseen_columns() returns text[] language sql immutable as $$
    select array['version', 'sync_xid', 'updated_at', 'stripe_customer_id']
$$;

create or replace function track_change() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        new.sync_xid := pg_current_xact_id()::text::bigint;
        return new;
    end if;
    if new.version <> old.version
       or (to_jsonb(new) - api_unseen_columns()) is distinct from (to_jsonb(old) - api_unseen_columns()) then
        -- Bumped by hand (a person or address of the account changed), or a seen column.
        new.version := greatest(new.version, old.version + 1);
        new.updated_at := now();
        new.sync_xid := pg_current_xact_id()::text::bigint;
    end if;
    return new;
end $$;

create trigger accounts_track_change before insert or update on accounts
    for each row execute function track_change();
create trigger services_track_change before insert or update on services
    for each row execute function track_change();

-- People and addresses are part of their account's version; a service's scheduled plan
-- change is part of the service's. Statement-level, with the changed rows as transition
-- tables: a statement that writes many rows (an import, the demo seed) moves each account
-- or service on once, in one update.
create or replace function touch_accounts() returns trigger language plpgsql as $$
begin
    if tg_op in ('INSERT', 'UPDATE') then
        update accounts a set version = a.version + 1
         where a.id in (select distinct account_id from new_rows);
    end if;
    if tg_op = 'DELETE' then
        update accounts a set version = a.version + 1
         where a.id in (select distinct account_id from old_rows);
    elsif tg_op = 'UPDATE' then
        -- A row moved to another account changes the one it left too.
        update accounts a set version = a.version + 1
         where a.id in (select distinct account_id from old_rows)
           and a.id not in (select account_id from new_rows);
    end if;
    return null;
end $$;

create or replace function touch_services() returns trigger language plpgsql as $$
begin
    if tg_op in ('INSERT', 'UPDATE') then
        update services s set version = s.version + 1
         where s.id in (select distinct service_id from new_rows);
    end if;
    if tg_op = 'DELETE' then
        update services s set version = s.version + 1
         where s.id in (select distinct service_id from old_rows);
    elsif tg_op = 'UPDATE' then
        update services s set version = s.version + 1
         where s.id in (select distinct service_id from old_rows)
           and s.id not in (select service_id from new_rows);
    end if;
    return null;
end $$;

-- (A trigger with transition tables serves one event, hence three of each.)
create trigger people_touch_account_ins after insert on people
    referencing new table as new_rows for each statement execute function touch_accounts();
create trigger people_touch_account_upd after update on people
    referencing old table as old_rows new table as new_rows
    for each statement execute function touch_accounts();
create trigger people_touch_account_del after delete on people
    referencing old table as old_rows for each statement execute function touch_accounts();
create trigger addresses_touch_account_ins after insert on addresses
    referencing new table as new_rows for each statement execute function touch_accounts();
create trigger addresses_touch_account_upd after update on addresses
    referencing old table as old_rows new table as new_rows
    for each statement execute function touch_accounts();
create trigger addresses_touch_account_del after delete on addresses
    referencing old table as old_rows for each statement execute function touch_accounts();
create trigger plan_changes_touch_service_ins after insert on plan_changes
    referencing new table as new_rows for each statement execute function touch_services();
create trigger plan_changes_touch_service_upd after update on plan_changes
    referencing old table as old_rows new table as new_rows
    for each statement execute function touch_services();
create trigger plan_changes_touch_service_del after delete on plan_changes
    referencing old table as old_rows for each statement execute function touch_services();

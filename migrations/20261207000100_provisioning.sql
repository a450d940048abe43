-- Provisioning billing -> network in real time: every change of a service that the network
-- must know about becomes a provisioning_outbox row written by the database itself, in the
-- transaction that made the change, whatever made it (the portal, the bill run applying a
-- scheduled downgrade, dunning, a payment, another system sharing the database). The worker
-- (engine/src/network/provision.rs) applies the rows to FreeRADIUS's tables in order per
-- service, each exactly once, marking the row in the same transaction.
--
-- Every service also gets network credentials when it is created: a PPPoE username derived
-- from the account number and a random password (see network_new_username below).

-- ---------------------------------------------------------------------------------------
-- The outbox: every action
-- ---------------------------------------------------------------------------------------

alter table provisioning_outbox
    drop constraint provisioning_outbox_action_check,
    add constraint provisioning_outbox_action_check
        check (action in ('activate', 'change_plan', 'suspend', 'restore', 'cancel', 'credentials')),
    -- the service's status once the change is made: what the network must give it
    add column service_status text check (service_status in ('pending', 'active', 'suspended', 'cancelled')),
    -- why it is suspended (the suspension policy differs for unpaid and other suspensions)
    add column suspension_reason text
        check (suspension_reason in ('non_payment', 'prepaid_balance', 'other')),
    -- failed attempts at applying it, the latest error, and when to try again
    add column attempts integer not null default 0 check (attempts >= 0),
    add column last_error text,
    add column next_attempt_at timestamptz,
    add constraint provisioning_outbox_reason_when_suspended
        check ((service_status = 'suspended') = (suspension_reason is not null)),
    -- only a plan change has a day it takes effect on; the others take effect when made
    alter column effective_on drop not null;

comment on column provisioning_outbox.published_at is
    'when the provisioning worker applied the row to the RADIUS tables (in the same transaction)';

-- Rows written before this migration were plan changes of services then in force.
update provisioning_outbox o
   set service_status = s.status, suspension_reason = s.suspension_reason
  from services s
 where s.id = o.service_id;
alter table provisioning_outbox alter column service_status set not null;

-- The worker's question: the oldest waiting row of each service.
create index provisioning_outbox_waiting_by_service on provisioning_outbox (service_id, id)
    where published_at is null;

-- ---------------------------------------------------------------------------------------
-- What is provisioned
-- ---------------------------------------------------------------------------------------

-- What the worker last wrote to the RADIUS tables for each service: the username it wrote
-- (so that a changed username has its old rows removed) and the group it put it in (null
-- when the service is rejected). A service that is not provisioned has no row.
create table network_provisioned (
    service_id bigint primary key references services,
    username   text not null unique,
    groupname  text,
    outbox_id  bigint not null references provisioning_outbox,
    applied_at timestamptz not null default now()
);

-- ---------------------------------------------------------------------------------------
-- Credentials for every service
-- ---------------------------------------------------------------------------------------

-- A random password of 16 characters from a 32-character alphabet (80 bits), without the
-- look-alikes l, o, 0 and 1 so that it can be read out over the phone. The bytes come from
-- gen_random_uuid(), PostgreSQL's strong random source (pg_strong_random, OpenSSL): each
-- version-4 UUID holds 15 bytes whose low five bits are all random (the 7th byte's are
-- not: its high nibble is the version, so it is skipped). 256 is a multiple of 32, so
-- taking a byte modulo 32 favours no character.
create function network_random_password() returns text
language plpgsql volatile as $$
declare
    alphabet constant text := 'abcdefghijkmnpqrstuvwxyz23456789';
    bytes bytea := uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid());
    result text := '';
    i integer := 0;
begin
    while length(result) < 16 loop
        if i % 16 <> 6 then
            result := result || substr(alphabet, (get_byte(bytes, i) % 32) + 1, 1);
        end if;
        i := i + 1;
    end loop;
    return result;
end $$;

-- The PPPoE username of an account's next service: the account number, a hyphen and the
-- service's position among the account's credentials (10000001-1, 10000001-2, ...); the
-- next free one if a username was changed to that. Subscribers may change it later
-- (network_credentials.username is unique).
create function network_new_username(p_account_id bigint) returns text
language plpgsql volatile as $$
declare
    number text;
    n integer;
    candidate text;
begin
    select account_number into strict number from accounts where id = p_account_id;
    select count(*) + 1 into n from network_credentials where account_id = p_account_id;
    loop
        candidate := number || '-' || n;
        exit when not exists (select 1 from network_credentials where username = candidate);
        n := n + 1;
    end loop;
    return candidate;
end $$;

-- A credentials change is stamped (changed_at) whoever makes it.
create function network_credentials_stamp() returns trigger
language plpgsql as $$
begin
    if new.username is distinct from old.username or new.password is distinct from old.password
       or new.kind is distinct from old.kind then
        new.changed_at := now();
    end if;
    return new;
end $$;

create trigger network_credentials_stamp
    before update on network_credentials
    for each row execute function network_credentials_stamp();

-- ---------------------------------------------------------------------------------------
-- The triggers that write the outbox
-- ---------------------------------------------------------------------------------------

-- Queues one event for the service as it is now (its plan, status, suspension reason).
-- A plan change applied in this transaction (by the portal or the bill run) is linked,
-- with the day it takes effect.
create function provisioning_enqueue(p_service_id bigint, p_action text) returns void
language plpgsql as $$
begin
    insert into provisioning_outbox (account_id, service_id, action, plan_change_id, plan_id,
                                     plan_code, download_mbps, upload_mbps, allowance_gb,
                                     effective_on, service_status, suspension_reason)
    select s.account_id, s.id, p_action, pc.id, p.id, p.code, p.download_mbps, p.upload_mbps,
           p.allowance_gb, pc.effective_on, s.status, s.suspension_reason
      from services s
      join plans p on p.id = s.plan_id
      left join lateral (
          select c.id, c.effective_on
            from plan_changes c
           where p_action = 'change_plan' and c.service_id = s.id and c.to_plan_id = s.plan_id
             and c.status = 'applied' and c.decided_at = now()
             and not exists (select 1 from provisioning_outbox x where x.plan_change_id = c.id)
           order by c.id desc
           limit 1) pc on true
     where s.id = p_service_id;
end $$;

-- Services: created in force (activate, or suspend), and every change of status or plan.
-- A created service gets its credentials here too, after its event, so that the
-- credentials trigger sees the event waiting and adds none of its own.
create function services_provisioning() returns trigger
language plpgsql as $$
declare
    action text;
begin
    if tg_op = 'INSERT' then
        action := case new.status when 'active' then 'activate' when 'suspended' then 'suspend' end;
    elsif new.status is distinct from old.status then
        action := case
            when new.status = 'cancelled' and old.status in ('active', 'suspended') then 'cancel'
            when new.status = 'suspended' then 'suspend'
            when new.status = 'active' and old.status = 'suspended' then 'restore'
            when new.status = 'active' then 'activate'
        end;
    elsif new.status in ('active', 'suspended') and new.plan_id is distinct from old.plan_id then
        action := 'change_plan';
    elsif new.status = 'suspended' and new.suspension_reason is distinct from old.suspension_reason then
        action := 'suspend';
    end if;
    if action is not null then
        perform provisioning_enqueue(new.id, action);
    end if;
    if tg_op = 'INSERT'
       and not exists (select 1 from network_credentials where service_id = new.id) then
        insert into network_credentials (service_id, account_id, kind, username, password)
        values (new.id, new.account_id, 'pppoe', network_new_username(new.account_id),
                network_random_password());
    end if;
    return null;
end $$;

-- Credentials: a new username or password reaches RADIUS. A credentials row added while an
-- event of the service waits needs none of its own: the worker reads the credentials when
-- it applies that event, and fails it (to try again) while a service in force has none.
create function network_credentials_provisioning() returns trigger
language plpgsql as $$
declare
    service_status text;
begin
    if tg_op = 'UPDATE' and new.username = old.username
       and new.password is not distinct from old.password and new.kind = old.kind then
        return null;
    end if;
    if tg_op = 'INSERT' and exists (select 1 from provisioning_outbox
                                     where service_id = new.service_id and published_at is null) then
        return null;
    end if;
    -- The service's row is locked first, so that a change of it being made at the same
    -- time commits its own row before this one is written: this row then carries the
    -- service as that change left it, after it in the outbox.
    select status into service_status from services where id = new.service_id for share;
    if service_status in ('active', 'suspended') then
        perform provisioning_enqueue(new.service_id, 'credentials');
    end if;
    return null;
end $$;

-- Services that existed before this migration: the ones in force are provisioned, and every
-- service gets credentials (their events are already waiting, so the credentials add none).
do $$
declare
    s record;
begin
    for s in select id, account_id, status from services order by id loop
        if s.status in ('active', 'suspended') then
            perform provisioning_enqueue(s.id, case s.status when 'active' then 'activate' else 'suspend' end);
        end if;
        if not exists (select 1 from network_credentials where service_id = s.id) then
            insert into network_credentials (service_id, account_id, kind, username, password)
            values (s.id, s.account_id, 'pppoe', network_new_username(s.account_id),
                    network_random_password());
        end if;
    end loop;
end $$;

create trigger services_provisioning
    after insert or update of status, plan_id, suspension_reason on services
    for each row execute function services_provisioning();

create trigger network_credentials_provisioning
    after insert or update on network_credentials
    for each row execute function network_credentials_provisioning();

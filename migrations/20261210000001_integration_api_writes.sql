-- The integration API writes (issue 13): accounts made by another system, and plan changes
-- asked for by an API key.
--
-- Account numbers for accounts whose maker brings none. The sequence starts where the demo
-- numbering starts; engine::accounts moves it past the largest number in use when the
-- number it hands out is taken (seeded or imported).
create sequence account_number_seq as bigint minvalue 100000 maxvalue 999999999999 start 10000001;

-- Who asked for a plan change, or cancelled one: a subscriber, a staff member, or now an
-- integration's key (never more than one of them).
alter table plan_changes
    add column requested_by_api_key bigint references api_keys,
    add column cancelled_by_api_key bigint references api_keys,
    add constraint plan_changes_one_requester
        check (num_nonnulls(requested_by_login, requested_by_staff, requested_by_api_key) <= 1);

-- Credits posted by an integration's key (POST /accounts/{id}/credits): posted at once,
-- within the key's money limit, with no staff member asking or deciding. A staff
-- adjustment keeps every rule it had.
alter table adjustments
    alter column requested_by drop not null,
    add column requested_by_api_key bigint references api_keys,
    add constraint adjustments_one_requester
        check (num_nonnulls(requested_by, requested_by_api_key) = 1),
    add constraint adjustments_api_key_never_waits
        check (requested_by_api_key is null or (not needs_approval and status <> 'rejected')),
    -- was: a decided adjustment names the staff member who decided it; a key's names none.
    drop constraint adjustments_check1,
    add constraint adjustments_decided_by
        check ((status = 'pending') = (decided_by is null) or requested_by_api_key is not null);
create index adjustments_api_key_idx on adjustments (requested_by_api_key)
    where requested_by_api_key is not null;

create or replace function adjustments_guard() returns trigger language plpgsql as $$
begin
    if old.status <> 'pending'
       or (new.account_id, new.amount, new.reason, new.requested_by, new.requested_by_api_key,
           new.requested_at, new.needs_approval, new.dispute_ticket_id, new.subscriber_note)
          is distinct from
          (old.account_id, old.amount, old.reason, old.requested_by, old.requested_by_api_key,
           old.requested_at, old.needs_approval, old.dispute_ticket_id, old.subscriber_note) then
        raise exception 'an adjustment keeps its facts and is decided once'
            using errcode = '23514', constraint = 'adjustments_facts_fixed';
    end if;
    return new;
end $$;

-- Tickets opened by an integration's key (POST /accounts/{id}/tickets): its first message
-- is the key's.
alter table ticket_messages
    add column author_api_key_id bigint references api_keys,
    drop constraint ticket_messages_check,
    add constraint ticket_messages_one_author
        check (num_nonnulls(author_login_id, author_staff_id, author_api_key_id) = 1);

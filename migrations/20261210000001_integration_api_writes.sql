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

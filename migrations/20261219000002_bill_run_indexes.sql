-- Two indexes the bill run reads by, found missing by its profile (bench/README.md):
--
-- The accounts a bill run is for: those whose cycle day falls on the run's date (about a
-- thirtieth of them), found by this index rather than by reading every account
-- (engine/src/bill_run.rs, DUE_ON_DATE).
create index accounts_billing_cycle_day_idx on accounts (billing_cycle_day);

-- An account's people. Only the owner had an index by account (a unique one); finding who
-- gets an account's emails (engine/src/facts.rs, crate::mail::recipient) read the whole
-- table, for each batch of the bill run and for each email.
create index people_account_idx on people (account_id);

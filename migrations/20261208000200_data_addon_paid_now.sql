-- A data add-on paid now by card (issue 12), beside "add it to my next statement".
-- The rule is billing::bill's rule 4: the add-on's charge and the tax on it are posted to
-- the ledger the day it is bought, the card is asked for exactly their sum, and the data is
-- the subscriber's whether or not the card pays (what is not paid is owed with the next
-- statement, which shows the posted entries instead of charging the add-on again).

-- The charge entry a one-time charge was posted as when it was bought. Such a charge is
-- never billed by a statement (its entries are already in the ledger): statement_id stays
-- empty, and the bill run reads only charges with neither.
alter table one_time_charges
    add column posted_entry_id bigint unique references ledger_entries,
    add constraint one_time_charges_posted_or_billed
        check (posted_entry_id is null or statement_id is null);
drop index one_time_charges_unbilled;
create index one_time_charges_unbilled on one_time_charges (account_id)
    where statement_id is null and posted_entry_id is null;

-- A card payment taken for one data add-on (the one-tap payment with the saved card, or one
-- made on the pay page for it). Several may point at one add-on (a declined card, then
-- another); the add-on is paid once one of them succeeded. Same account, by the key.
alter table data_addons add constraint data_addons_id_account unique (id, account_id);
alter table payments
    add column data_addon_id bigint,
    add constraint payments_data_addon_fk foreign key (data_addon_id, account_id)
        references data_addons (id, account_id),
    add constraint payments_data_addon_by_card
        check (data_addon_id is null or method = 'card');
create index payments_data_addon on payments (data_addon_id) where data_addon_id is not null;

-- What a payment was for is one of its facts: fixed once written, like its amount.
create or replace function payments_guard() returns trigger language plpgsql as $$
begin
    if new.account_id <> old.account_id or new.currency <> old.currency or new.amount <> old.amount
       or new.method <> old.method or new.idempotency_key <> old.idempotency_key
       or new.statement_id is distinct from old.statement_id
       or new.data_addon_id is distinct from old.data_addon_id then
        raise exception 'payment %: amount, account, method, statement, add-on and key cannot change', old.id
            using errcode = '23514', constraint = 'payments_facts_fixed';
    end if;
    if old.stripe_payment_intent_id is not null
       and new.stripe_payment_intent_id is distinct from old.stripe_payment_intent_id then
        raise exception 'payment %: its PaymentIntent cannot change', old.id
            using errcode = '23514', constraint = 'payments_intent_fixed';
    end if;
    if old.status in ('succeeded', 'cancelled') and new.status <> old.status then
        raise exception 'payment % is % and cannot become %', old.id, old.status, new.status
            using errcode = '23514', constraint = 'payments_final_status';
    end if;
    return new;
end $$;

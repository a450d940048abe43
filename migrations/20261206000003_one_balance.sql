-- One definition of an account's balance. The sum of an account's ledger was written out
-- in several queries beside this view; from here on every query reads the balance from
-- account_balances (a test fails when one sums ledger_entries by itself). Same columns as
-- the foundation's view, so it is replaced in place; the definition is restated here so
-- that it is read where it is documented.
create or replace view account_balances as
    select a.id as account_id, a.currency, coalesce(sum(l.amount), 0)::numeric(14,2) as balance
      from accounts a left join ledger_entries l on l.account_id = a.id
     group by a.id, a.currency;

comment on view account_balances is
    'The one definition of an account''s balance: the sum of its ledger entries (positive: the '
    'subscriber owes; negative: in credit; no entries: 0). Filter by account_id: the filter '
    'reaches the ledger index. What may be asked for of it (an amount under dispute held) is '
    'decided by engine::owed.';

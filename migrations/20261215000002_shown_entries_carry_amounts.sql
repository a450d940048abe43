-- Receivables on a past day (engine/src/reports/ageing.rs) need the entries a later
-- statement shows that were effective by that day. Each row of statement_ledger_entries
-- now carries its entry's amount and day, copied by a trigger when the row is written
-- (ledger entries never change), so the report reads them without a lookup per entry.
alter table statement_ledger_entries add column amount numeric(14,2), add column effective_on date;
update statement_ledger_entries s
   set amount = l.amount, effective_on = l.effective_on
  from ledger_entries l
 where l.id = s.ledger_entry_id;
alter table statement_ledger_entries
    alter column amount set not null,
    alter column effective_on set not null;

create function statement_ledger_entry_facts() returns trigger language plpgsql as $$
begin
    select l.amount, l.effective_on into new.amount, new.effective_on
      from ledger_entries l where l.id = new.ledger_entry_id;
    return new;
end $$;

create trigger statement_ledger_entries_facts before insert or update on statement_ledger_entries
    for each row execute function statement_ledger_entry_facts();

-- Staff powers and secrets at rest:
-- 1. Accepting a dispute is an adjustment: its credit waits for a second person when it is
--    beyond the accepting staff member's limits, like any other adjustment.
-- 2. The daily limit counts what each person posted on their own authority in a day.
-- 3. An email's bodies are cleared once it is delivered (or given up on): reset and pay
--    links are not readable from the outbox afterwards.

-- ---------------------------------------------------------------------------------------
-- Dispute acceptances as adjustments: a credit of the disputed amount, with the note to the
-- subscriber; one acceptance waiting or posted per dispute (a turned-down one may be
-- followed by another)
-- ---------------------------------------------------------------------------------------

alter table adjustments
    add column dispute_ticket_id bigint references tickets,
    add column subscriber_note   text check (length(btrim(subscriber_note)) between 1 and 2000),
    add constraint adjustments_dispute_is_a_credit check (dispute_ticket_id is null or amount < 0),
    add constraint adjustments_note_only_for_disputes check (dispute_ticket_id is not null or subscriber_note is null);
create unique index adjustments_one_acceptance_per_dispute on adjustments (dispute_ticket_id)
    where dispute_ticket_id is not null and status <> 'rejected';

-- What a person posted alone in a day (the daily limit), read at every request.
create index adjustments_posted_alone_idx on adjustments (requested_by, decided_at)
    where status = 'posted' and not needs_approval;

create or replace function adjustments_guard() returns trigger language plpgsql as $$
begin
    if old.status <> 'pending'
       or (new.account_id, new.amount, new.reason, new.requested_by, new.requested_at, new.needs_approval,
           new.dispute_ticket_id, new.subscriber_note)
          is distinct from
          (old.account_id, old.amount, old.reason, old.requested_by, old.requested_at, old.needs_approval,
           old.dispute_ticket_id, old.subscriber_note) then
        raise exception 'an adjustment keeps its facts and is decided once'
            using errcode = '23514', constraint = 'adjustments_facts_fixed';
    end if;
    return new;
end $$;

-- An adjustment for a dispute is the disputed amount, credited, on the dispute's account.
create function adjustments_dispute_guard() returns trigger language plpgsql as $$
declare
    t record;
begin
    if new.dispute_ticket_id is not null then
        select account_id, disputed_amount into t from tickets
         where id = new.dispute_ticket_id and category = 'dispute';
        if t.account_id is distinct from new.account_id or -new.amount is distinct from t.disputed_amount then
            raise exception 'accepting a dispute credits the disputed amount to the dispute''s account'
                using errcode = '23514', constraint = 'adjustments_dispute_amount';
        end if;
    end if;
    return new;
end $$;
create trigger adjustments_dispute_guard before insert on adjustments
    for each row execute function adjustments_dispute_guard();

-- ---------------------------------------------------------------------------------------
-- The outbox is a queue, not an archive: once an email is delivered (or given up on after
-- ten attempts) its bodies are cleared in the same statement; kind, recipient, subject and
-- times stay. Emails already delivered are cleared now.
-- ---------------------------------------------------------------------------------------

update outbound_emails set text_body = '', html_body = ''
 where sent_at is not null or attempts >= 10;
alter table outbound_emails
    add constraint outbound_emails_no_body_once_done
        check ((sent_at is null and attempts < 10) or (text_body = '' and html_body = ''));

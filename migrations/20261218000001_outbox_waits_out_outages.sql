-- The email outbox waits out a mail server that is down: an email is tried again after a
-- pause that grows with each attempt (server/src/mail.rs), and is given up on only when the
-- mail server has refused it outright ten times, or when it is three days old. Before, ten
-- failures two seconds apart, whatever their cause, gave it up: twenty seconds of SMTP outage
-- lost every email waiting.
alter table outbound_emails
    add column next_attempt_at timestamptz not null default now(),
    add column given_up_at timestamptz;

update outbound_emails
   set given_up_at = created_at
 where sent_at is null and attempts >= 10;

-- An email is waiting, sent or given up on; once it is not waiting its bodies (which carry
-- reset and pay links) are gone.
alter table outbound_emails drop constraint outbound_emails_no_body_once_done;
alter table outbound_emails
    add constraint outbound_emails_no_body_once_done
        check ((sent_at is null and given_up_at is null) or (text_body = '' and html_body = '')),
    add constraint outbound_emails_sent_or_given_up
        check (sent_at is null or given_up_at is null);

-- The queue the delivery loop reads: what waits, by when it is due.
drop index outbound_emails_unsent_idx;
create index outbound_emails_due_idx on outbound_emails (next_attempt_at, id)
    where sent_at is null and given_up_at is null;

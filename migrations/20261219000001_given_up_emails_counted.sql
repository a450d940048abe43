-- The emails given up on (refused by the mail server at the tenth attempt or later, or three
-- days old), found without reading the whole outbox: the metrics count those of the last day
-- at every scrape (`lastmile_emails_given_up_last_day`), and an operator's query of them is
-- one index range.
create index outbound_emails_given_up_idx on outbound_emails (given_up_at)
    where given_up_at is not null;

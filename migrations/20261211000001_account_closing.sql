-- Closing an account (issue 13): `close_requested_at` (migration 20261209000100) marks an
-- account another system asked to delete; the bill run closes it once its business is
-- settled (`engine::accounts::close_settled`, `billing::bill`'s "Closing an account").
-- The accounts waiting to close are found by this index, not by reading every account.
create index accounts_closing_idx on accounts (id)
    where close_requested_at is not null and status <> 'closed';


-- A new card is charged and, when the subscriber ticks "save this card", kept for later in the
-- same bank check (Stripe's `setup_future_usage`). The wish is part of the payment attempt, as
-- its amount is: it is recorded when the attempt starts and acted on when the payment succeeds,
-- whether the browser or Stripe's webhook reports it first.
alter table payments add column save_card boolean not null default false;

-- Only a subscriber's own new card, paying in the portal, can be kept: never autopay's (already
-- saved), a pay link's (nobody signed in to keep it for) or a card read to staff on the phone.
alter table payments add constraint payments_save_card_own_portal_only
    check (not save_card or (method = 'card' and source = 'portal' and assisted_by_staff is null));

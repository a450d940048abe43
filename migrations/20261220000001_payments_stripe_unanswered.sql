-- When a card payment's charge was sent to Stripe and its answer did not come in time
-- (`StripeFailure::NoAnswer`): Stripe may have charged the card. Set only then, so that the
-- receipt tells the subscriber not to pay again for this payment and no other (a payment
-- Stripe could not be reached for shows that nothing was charged), and asks Stripe again
-- under the payment's idempotency key. Cleared when Stripe's answer is recorded; the
-- receipt reads it only while the payment is pending.
alter table payments add column stripe_unanswered_at timestamptz;

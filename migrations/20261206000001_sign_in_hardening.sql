-- Sign-in hardening: staff TOTP secrets encrypted at rest, and the request id a client sent
-- kept apart from the server's own in the audit log.

-- ---------------------------------------------------------------------------------------
-- Staff TOTP secrets, sealed with XChaCha20-Poly1305 under a key from the server's settings
-- (`LASTMILE_TOTP_KEY`; see app/src/server/staff/totp_keys.rs). `totp_sealed` is the random
-- 24-byte nonce followed by the ciphertext and its 16-byte tag; `totp_key_id` names the key,
-- so that keys can rotate (old keys stay readable through `LASTMILE_TOTP_OLD_KEYS`).
--
-- A migration cannot encrypt: rows written before this one keep their clear `totp_secret`,
-- which sign-in still reads, until the server seals them at start-up (or
-- `lastmile staff rotate-totp-key` does). Nothing writes `totp_secret` any more; a later
-- migration drops it once every installation has started once.
-- ---------------------------------------------------------------------------------------

alter table staff_users
    add column totp_sealed bytea check (length(totp_sealed) between 24 + 16 + 16 and 24 + 64 + 16),
    add column totp_key_id text check (totp_key_id ~ '^[A-Za-z0-9_-]{1,32}$'),
    add constraint staff_users_totp_sealed_with_its_key
        check ((totp_sealed is null) = (totp_key_id is null)),
    add constraint staff_users_totp_secret_in_one_form
        check (totp_secret is null or totp_sealed is null);

comment on column staff_users.totp_secret is
    'Legacy: a TOTP secret in clear, from before secrets were sealed; sealed (and cleared) at start-up.';

-- ---------------------------------------------------------------------------------------
-- The audit log's request id is the server's own (a UUID generated per request); an
-- `X-Request-Id` the client sent is kept here, for matching with a caller's own logs only.
-- ---------------------------------------------------------------------------------------

alter table audit_log
    add column client_request_id text check (length(client_request_id) between 1 and 100);

-- The language a subscriber chose for the portal (issue 14), remembered per login so that
-- it follows them to another browser: 'en', 'es' or 'fr' (app::i18n::Lang). None chosen:
-- the browser's preference, else the account's locale. Emails to a person with a login
-- are written in this language too.
alter table portal_logins
    add column language text check (language in ('en', 'es', 'fr'));

-- Staff account search (app/src/server/staff/search.rs): one index per way of finding an
-- account, so that every search reads an index rather than a whole table, at any size.
--
-- Prefixes use b-trees with text_pattern_ops (the database's collation is not C, so a plain
-- b-tree cannot answer `like 'abc%'`); "starts a word", "contains" and typo-tolerant matches
-- use GIN trigram indexes. Each expression here is spelt exactly as the search's SQL spells
-- it, or PostgreSQL would not match the query to the index.

create extension if not exists pg_trgm;

-- Account numbers by prefix (in order, so a prefix shared by thousands reads only a page).
create index accounts_number_prefix_idx on accounts (account_number text_pattern_ops);

-- Texts searched word by word start with a space, so that "a word of it starts with w" is
-- one pattern, `like '% w%'` (a leading space adds no trigram).

-- Names: the account's display name and each person's " first last". Approximate matches
-- look at businesses' display names only (a residential account's is its owner's name).
create index accounts_display_name_trgm_idx on accounts
    using gin (lower(' ' || display_name) gin_trgm_ops);
create index accounts_business_name_trgm_idx on accounts
    using gin (lower(' ' || display_name) gin_trgm_ops) where kind = 'business';
create index people_name_trgm_idx on people
    using gin (lower(' ' || first_name || ' ' || last_name) gin_trgm_ops);

-- Emails by prefix, and by the part before the @ for typos (the domain, shared by many,
-- would make every address a candidate).
create index people_email_prefix_idx on people (lower(email::text) text_pattern_ops);
create index people_email_local_trgm_idx on people
    using gin (lower(split_part(email::text, '@', 1)) gin_trgm_ops);

-- Phone numbers compared on their digits alone, whatever punctuation was stored or typed:
-- by prefix, and anywhere in the number (without the country code, the last four digits).
create index people_phone_digits_prefix_idx on people
    (regexp_replace(phone, '[^0-9]', '', 'g') text_pattern_ops);
create index people_phone_digits_trgm_idx on people
    using gin (regexp_replace(phone, '[^0-9]', '', 'g') gin_trgm_ops);

-- Service addresses: street line, city and postal code as one text, matched word by word.
create index addresses_search_trgm_idx on addresses
    using gin (lower(' ' || line1 || ' ' || city || ' ' || postal_code) gin_trgm_ops);

//! Finding accounts: support reps type an account number, a name, an email, a phone number
//! or part of a service address, and get the accounts it matches, best first.
//!
//! The text decides where to look:
//!
//! - **digits** (spaces, dashes, dots, parentheses and a leading `+` ignored): account numbers
//!   by prefix; phone numbers compared on their digits alone, by prefix and, from four digits,
//!   anywhere in the number (so a number typed without its country code, or its last four
//!   digits, still finds it); from three digits also postal codes and house numbers;
//! - **an `@`**: emails by prefix, then (when that finds too little) the part before the `@`
//!   typo-tolerantly;
//! - **anything else**: people's names (first and last), the accounts' display names and the
//!   service addresses (street line, city, postal code). Every word must match the same field,
//!   in any order, at the start of a word of it ("smi jo" finds "John Smith"). When that finds
//!   fewer accounts than asked for, words may also match approximately (pg_trgm's word
//!   similarity, at least 0.5: see `BEGIN`): names first, then, if the list is still not
//!   full, addresses. A single token that looks like the start of an email (`alex.morgan`)
//!   also finds emails by prefix.
//!
//! Ranking: an exact match first, then prefix matches, then approximate ones; within each,
//! the closer match first (the share of the field the text covers, or the trigram word
//! similarity), then account number. One hit per account, its best.
//!
//! Every branch is answered from an index made for it (migration `account_search`): b-tree
//! `text_pattern_ops` indexes for prefixes of account numbers, phone digits and emails, GIN
//! trigram indexes for the rest. The SQL below spells each indexed expression exactly as the
//! migration does, or PostgreSQL would not use the index. The approximate stages are the
//! costly part (every row near enough is read and scored), which is why they run only while
//! the list is not full: a misspelt common surname still scores a couple of thousand names.
//!
//! Trigrams forgive a wrong letter when enough of the word's trigrams survive: anywhere in a
//! long word ("Hernendez", "Featherstome"), only towards the end of a short one ("Brooka"
//! finds "Brooks", "Bxooks" and "Smyth" find nothing).

use sqlx::PgPool;

use super::{Right, StaffAccess};
use crate::error::AppError;
use crate::types::search::{AccountHit, MatchedField};

/// Longer search text is refused.
pub const MAX_QUERY_CHARS: usize = 100;
/// Shorter search text finds nothing (and costs no query).
pub const MIN_QUERY_CHARS: usize = 2;
/// The most hits one search returns.
pub const MAX_LIMIT: i64 = 50;
/// Words beyond these are ignored: each one adds conditions to every branch.
const MAX_WORDS: usize = 8;
/// Words shorter than this are only matched as prefixes: two letters have too few trigrams
/// for similarity to mean anything.
const MIN_FUZZY_CHARS: usize = 3;

// The indexed expressions, exactly as in the migration. The texts matched word by word start
// with a space, so that "a word starts with w" is the one pattern `% w%`.
const PERSON_NAME: &str = "lower(' ' || p.first_name || ' ' || p.last_name)";
const DISPLAY_NAME: &str = "lower(' ' || a.display_name)";
const ADDRESS_TEXT: &str = "lower(' ' || ad.line1 || ' ' || ad.city || ' ' || ad.postal_code)";
const EMAIL: &str = "lower(p.email::text)";
const EMAIL_LOCAL: &str = "lower(split_part(p.email::text, '@', 1))";
const PHONE_DIGITS: &str = "regexp_replace(p.phone, '[^0-9]', '', 'g')";

/// Finds the accounts `query` matches, best first, at most `limit` (1 to [`MAX_LIMIT`]).
///
/// Text shorter than [`MIN_QUERY_CHARS`] (after trimming) finds nothing; longer than
/// [`MAX_QUERY_CHARS`] is refused as invalid input for the field `q`.
pub async fn search(
    pool: &PgPool,
    staff: &StaffAccess,
    query: &str,
    limit: i64,
) -> Result<Vec<AccountHit>, AppError> {
    staff.require(Right::Support)?;
    let Some(wanted) = Wanted::parse(query)? else {
        return Ok(Vec::new());
    };
    let limit = limit.clamp(1, MAX_LIMIT);
    let statement = wanted.statement();
    let mut tx = pool.begin_with(BEGIN).await?;
    let rows = statement
        .bind(sqlx::query_as::<_, HitRow>(&statement.sql), limit)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    rows.into_iter().map(HitRow::into_hit).collect()
}

/// The plan PostgreSQL chooses for a search, as `explain (format json)` gives it, and with
/// `analyze` also how long each step took (the search is run, then rolled back): for tests and
/// for finding out why a search is slow. `None` when the text is too short to search for.
/// The connection's own settings apply (`enable_seqscan = off` shows whether every part of
/// the search can use an index).
pub async fn explain(
    conn: &mut sqlx::PgConnection,
    query: &str,
    limit: i64,
    analyze: bool,
) -> Result<Option<serde_json::Value>, AppError> {
    use sqlx::Connection as _;

    let Some(wanted) = Wanted::parse(query)? else {
        return Ok(None);
    };
    let statement = wanted.statement();
    let options = if analyze {
        "analyze, buffers, format json"
    } else {
        "format json"
    };
    let sql = format!("explain ({options}) {}", statement.sql);
    let mut tx = conn.begin_with(BEGIN).await?;
    let (plan,) = statement
        .bind(
            sqlx::query_as::<_, (serde_json::Value,)>(&sql),
            limit.clamp(1, MAX_LIMIT),
        )
        .fetch_one(&mut *tx)
        .await?;
    tx.rollback().await?;
    Ok(Some(plan))
}

/// Starts a search's transaction with its settings, in one round trip: pg_trgm's word
/// similarity threshold for approximate matches (its default, 0.6, misses most one-letter
/// typos in names of six letters or fewer); a plan made for each search, since the best plan
/// depends on the text (and a generic plan cannot use a b-tree for `like $2`); and no JIT,
/// whose compilation would cost more than these short queries take.
const BEGIN: &str = "begin;
    set local pg_trgm.word_similarity_threshold = 0.5;
    set local plan_cache_mode = force_custom_plan;
    set local jit = off";

/// What the search text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wanted {
    /// Only digits once punctuation is removed.
    Digits(String),
    /// Contains an `@`.
    Email(String),
    /// Anything else: the whole text (single-spaced) and its words.
    Text { whole: String, words: Vec<String> },
}

impl Wanted {
    /// `None` when the text is too short to search for.
    fn parse(query: &str) -> Result<Option<Wanted>, AppError> {
        let text = query.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(AppError::InvalidInput {
                field: "q".into(),
                message: format!("Search for at most {MAX_QUERY_CHARS} characters."),
            });
        }
        if text.chars().count() < MIN_QUERY_CHARS {
            return Ok(None);
        }
        let unpunctuated = text.strip_prefix('+').unwrap_or(&text);
        let digits: String = unpunctuated
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            return Ok((digits.len() >= MIN_QUERY_CHARS).then_some(Wanted::Digits(digits)));
        }
        if text.contains('@') {
            return Ok(Some(Wanted::Email(text.replace(' ', ""))));
        }
        let words: Vec<String> = text
            .split([' ', ',', ';'])
            .filter(|w| !w.is_empty())
            .take(MAX_WORDS)
            .map(str::to_owned)
            .collect();
        if words.is_empty() {
            return Ok(None);
        }
        Ok(Some(Wanted::Text {
            whole: words.join(" "),
            words,
        }))
    }

    fn statement(&self) -> Statement {
        let mut s = Statement::default();
        let stages = match self {
            Wanted::Digits(digits) => s.digits(digits),
            Wanted::Email(email) => {
                let mut stages = vec![(s.email_prefix(email), Then::Fill)];
                let local = email.split('@').next().unwrap_or_default();
                if local.chars().count() >= MIN_FUZZY_CHARS {
                    // An email is an identifier: near misses only when nothing starts so.
                    stages.push((s.email_fuzzy(email, local), Then::IfNothing));
                }
                stages
            }
            Wanted::Text { whole, words } => {
                let mut exact = vec![
                    s.words_prefix(whole, words, &PEOPLE),
                    s.words_prefix(whole, words, &DISPLAY_NAMES),
                    s.words_prefix(whole, words, &ADDRESSES),
                ];
                if words.len() == 1 && whole.contains(['.', '_', '+']) {
                    exact.push(s.email_prefix(whole));
                }
                let names = [
                    s.words_fuzzy(whole, words, &PEOPLE),
                    s.words_fuzzy(whole, words, &BUSINESS_NAMES),
                ];
                let streets = s.words_fuzzy(whole, words, &ADDRESSES);
                vec![
                    (exact.join("\n union all\n"), Then::Fill),
                    (names.join("\n union all\n"), Then::Fill),
                    (streets, Then::Fill),
                ]
            }
        };
        s.sql = assemble(&stages);
        s
    }
}

/// When a stage after the first is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    /// While the earlier stages found fewer accounts than asked for.
    Fill,
    /// Only when they found nothing.
    IfNothing,
}

/// A statement's text and its parameters; `$1` is always the limit.
#[derive(Debug, Default)]
struct Statement {
    sql: String,
    params: Vec<String>,
}

/// A table searched by words, and the text of it that is matched.
struct WordSource {
    from: &'static str,
    account_id: &'static str,
    field: MatchedField,
    person_id: &'static str,
    address_id: &'static str,
    text: &'static str,
    /// A condition every row must meet (the one of a partial index), or `true`.
    only: &'static str,
}

/// People's names.
const PEOPLE: WordSource = WordSource {
    from: "people p",
    account_id: "p.account_id",
    field: MatchedField::Name,
    person_id: "p.id",
    address_id: "null::bigint",
    text: PERSON_NAME,
    only: "true",
};

/// Accounts' display names.
const DISPLAY_NAMES: WordSource = WordSource {
    from: "accounts a",
    account_id: "a.id",
    field: MatchedField::Name,
    person_id: "null::bigint",
    address_id: "null::bigint",
    text: DISPLAY_NAME,
    only: "true",
};

/// Service addresses.
const ADDRESSES: WordSource = WordSource {
    from: "addresses ad",
    account_id: "ad.account_id",
    field: MatchedField::Address,
    person_id: "null::bigint",
    address_id: "ad.id",
    text: ADDRESS_TEXT,
    only: "true",
};

/// Display names, for approximate matches: only businesses', since a residential account's
/// display name is its owner's name, already matched in `people` (scoring every name twice
/// would double the cost of a misspelt common surname).
const BUSINESS_NAMES: WordSource = WordSource {
    from: "accounts a",
    account_id: "a.id",
    field: MatchedField::Name,
    person_id: "null::bigint",
    address_id: "null::bigint",
    text: DISPLAY_NAME,
    only: "a.kind = 'business'",
};

/// Classes of match, best first.
const EXACT: i16 = 0;
const PREFIX: i16 = 1;
const APPROXIMATE: i16 = 2;

impl Statement {
    /// Binds the limit and the parameters to a query of this statement's text.
    fn bind<'q, O>(
        &'q self,
        query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
        limit: i64,
    ) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
        self.params
            .iter()
            .fold(query.bind(limit), |q, value| q.bind(value.as_str()))
    }

    /// Adds a parameter and returns its placeholder.
    fn param(&mut self, value: impl Into<String>) -> String {
        self.params.push(value.into());
        format!("${}", self.params.len() + 1)
    }

    /// `text like '% word%'` for each word: every word starts a word of the text (which
    /// starts with a space). `lower()` of a parameter is folded into a constant when planning.
    fn word_starts(&mut self, words: &[String], text: &str) -> String {
        words
            .iter()
            .map(|w| {
                let pattern = self.param(format!("% {}%", like_escape(w)));
                format!("{text} like lower({pattern})")
            })
            .collect::<Vec<_>>()
            .join(" and ")
    }

    /// Rows of `src` where every word starts a word of its text; exact when the text is the
    /// whole search text, otherwise scored by how much of the text the search covers.
    fn words_prefix(&mut self, whole: &str, words: &[String], src: &WordSource) -> String {
        let whole = self.param(whole);
        let cond = self.word_starts(words, src.text);
        let WordSource {
            from,
            account_id,
            person_id,
            address_id,
            text,
            ..
        } = src;
        format!(
            "select {account_id} as account_id, {field}::smallint as field, {person_id} as person_id,
                    {address_id} as address_id,
                    (case when {text} = ' ' || lower({whole}) then {EXACT} else {PREFIX} end)::smallint
                        as class,
                    (length({whole})::real / greatest(length({text}) - 1, 1)) as score
               from {from} where {only} and {cond}",
            field = field_code(src.field),
            only = src.only,
        )
    }

    /// Rows of `src` where every word is like a word of its text (words shorter than
    /// [`MIN_FUZZY_CHARS`] must start one), scored by the word similarity of the whole text.
    fn words_fuzzy(&mut self, whole: &str, words: &[String], src: &WordSource) -> String {
        let whole = self.param(whole);
        let text = src.text;
        let cond = words
            .iter()
            .map(|w| {
                if w.chars().count() >= MIN_FUZZY_CHARS {
                    // A prefix of three letters or more is also similar enough.
                    let word = self.param(w.as_str());
                    format!("lower({word}) <% {text}")
                } else {
                    self.word_starts(std::slice::from_ref(w), text)
                }
            })
            .collect::<Vec<_>>()
            .join(" and ");
        let WordSource {
            from,
            account_id,
            person_id,
            address_id,
            ..
        } = src;
        format!(
            "select {account_id} as account_id, {field}::smallint as field, {person_id} as person_id,
                    {address_id} as address_id, {APPROXIMATE}::smallint as class,
                    word_similarity(lower({whole}), {text}) as score
               from {from} where {only} and {cond}",
            field = field_code(src.field),
            only = src.only,
        )
    }

    /// Emails starting with the text, in the b-tree's order (an exact match first).
    fn email_prefix(&mut self, email: &str) -> String {
        let whole = self.param(email);
        let start = self.param(format!("{}%", like_escape(email)));
        format!(
            "(select p.account_id, {field}::smallint as field, p.id as person_id,
                     null::bigint as address_id,
                     (case when {EMAIL} = lower({whole}) then {EXACT} else {PREFIX} end)::smallint as class,
                     1::real as score
                from people p where {EMAIL} like lower({start})
               order by {EMAIL} limit $1)",
            field = field_code(MatchedField::Email),
        )
    }

    /// Emails whose part before the `@` is like the text's.
    fn email_fuzzy(&mut self, email: &str, local: &str) -> String {
        let whole = self.param(email);
        let local = self.param(local);
        format!(
            "select p.account_id, {field}::smallint as field, p.id as person_id,
                    null::bigint as address_id, {APPROXIMATE}::smallint as class,
                    word_similarity(lower({whole}), {EMAIL}) as score
               from people p where lower({local}) <% {EMAIL_LOCAL}",
            field = field_code(MatchedField::Email),
        )
    }

    /// Account numbers and phone numbers starting with the digits; then, to fill the list,
    /// phone numbers holding them and addresses with a word starting with them. (The second
    /// stage's hits score below 1, so they never outrank the first's.)
    fn digits(&mut self, digits: &str) -> Vec<(String, Then)> {
        let exact = self.param(digits);
        let start = self.param(format!("{digits}%"));
        let first = [
            // In the index's order, so only `limit` rows are read: the exact number, if
            // any, sorts first among those it starts.
            format!(
                "(select a.id as account_id, {number}::smallint as field, null::bigint as person_id,
                         null::bigint as address_id,
                         (case when a.account_number = {exact} then {EXACT} else {PREFIX} end)::smallint
                             as class,
                         1::real as score
                    from accounts a where a.account_number like {start}
                   order by a.account_number limit $1)",
                number = field_code(MatchedField::AccountNumber),
            ),
            format!(
                "(select p.account_id, {phone}::smallint as field, p.id as person_id,
                         null::bigint as address_id,
                         (case when {PHONE_DIGITS} = {exact} then {EXACT} else {PREFIX} end)::smallint
                             as class,
                         1::real as score
                    from people p where {PHONE_DIGITS} like {start}
                   order by {PHONE_DIGITS} limit $1)",
                phone = field_code(MatchedField::Phone),
            ),
        ];
        let mut then = Vec::new();
        if digits.len() >= 4 {
            // Anywhere in the number. Ending with seven digits or more is as good as a
            // prefix: the number without its country code.
            let within = self.param(format!("%{digits}%"));
            let end = self.param(format!("%{digits}"));
            then.push(format!(
                "select p.account_id, {phone}::smallint as field, p.id as person_id,
                        null::bigint as address_id,
                        (case when length({exact}) >= 7 and {PHONE_DIGITS} like {end}
                              then {PREFIX} else {APPROXIMATE} end)::smallint as class,
                        length({exact})::real / length({PHONE_DIGITS}) as score
                   from people p where {PHONE_DIGITS} like {within}",
                phone = field_code(MatchedField::Phone),
            ));
        }
        if digits.len() >= 3 {
            // Postal codes and house numbers.
            let cond = self.word_starts(&[digits.to_owned()], ADDRESS_TEXT);
            then.push(format!(
                "select ad.account_id, {address}::smallint as field, null::bigint as person_id,
                        ad.id as address_id, {PREFIX}::smallint as class,
                        length({exact})::real / length({ADDRESS_TEXT}) as score
                   from addresses ad where {cond}",
                address = field_code(MatchedField::Address),
            ));
        }
        let mut stages = vec![(first.join("\n union all\n"), Then::Fill)];
        if !then.is_empty() {
            stages.push((then.join("\n union all\n"), Then::Fill));
        }
        stages
    }
}

/// The whole statement: the hits of each stage, a later stage searched only when the earlier
/// ones found fewer accounts than asked for (its hits would rank below theirs anyway); the
/// best hit per account; the first `limit`; and what the list shows of each.
///
/// Ties are cut by account id before the account numbers are looked up (joining every hit
/// of a common name to its account would cost more than the rest of the search); accounts
/// are numbered in the order they are created, so this is the account-number order.
fn assemble(stages: &[(String, Then)]) -> String {
    let mut ctes = Vec::new();
    for (i, (stage, then)) in stages.iter().enumerate() {
        if i == 0 {
            ctes.push(format!("stage0 as materialized ({stage})"));
        } else {
            let earlier = (0..i)
                .map(|j| format!("select account_id from stage{j}"))
                .collect::<Vec<_>>()
                .join(" union all ");
            let guard = match then {
                Then::Fill => {
                    format!("(select count(distinct account_id) from ({earlier}) e) < $1")
                }
                Then::IfNothing => format!("not exists ({earlier})"),
            };
            ctes.push(format!(
                "stage{i} as materialized (select * from ({stage}) s where {guard})"
            ));
        }
    }
    let all = (0..stages.len())
        .map(|i| format!("select * from stage{i}"))
        .collect::<Vec<_>>()
        .join(" union all ");
    let hits = format!("{},\n hits as ({all})", ctes.join(",\n "));
    format!(
        "with {hits},
         best as (
             select distinct on (account_id) *
               from hits
              order by account_id, class, score desc, field, person_id, address_id),
         top as (
             select * from best order by class, score desc, field, account_id limit $1)
         select a.id as account_id, a.account_number, a.display_name, a.status,
                o.first_name || ' ' || o.last_name as owner_name,
                c.first_name || ' ' || c.last_name as contact_name,
                c.email::text as email, c.phone,
                (select concat_ws(', ', ad.line1, ad.line2, ad.city,
                                  nullif(trim(ad.region || ' ' || ad.postal_code), ''))
                   from addresses ad
                  where ad.account_id = a.id
                  order by ad.id = t.address_id desc, ad.id
                  limit 1) as address,
                t.field as matched
           from top t
           join accounts a on a.id = t.account_id
           left join people o on o.account_id = a.id and o.role = 'owner'
           left join people c on c.id = coalesce(t.person_id, o.id)
          order by t.class, t.score desc, t.field, a.account_number"
    )
}

fn field_code(field: MatchedField) -> i16 {
    match field {
        MatchedField::AccountNumber => 0,
        MatchedField::Phone => 1,
        MatchedField::Email => 2,
        MatchedField::Name => 3,
        MatchedField::Address => 4,
    }
}

fn field_from_code(code: i16) -> Result<MatchedField, AppError> {
    [
        MatchedField::AccountNumber,
        MatchedField::Phone,
        MatchedField::Email,
        MatchedField::Name,
        MatchedField::Address,
    ]
    .into_iter()
    .find(|f| field_code(*f) == code)
    .ok_or_else(|| AppError::internal("account search", format!("unknown field code {code}")))
}

/// `%`, `_` and `\` typed by the rep are matched literally.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[derive(sqlx::FromRow)]
struct HitRow {
    account_id: i64,
    account_number: String,
    display_name: String,
    status: String,
    owner_name: Option<String>,
    contact_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    matched: i16,
}

impl HitRow {
    fn into_hit(self) -> Result<AccountHit, AppError> {
        Ok(AccountHit {
            account_id: self.account_id,
            account_number: self.account_number,
            display_name: self.display_name,
            status: self.status,
            owner_name: self.owner_name,
            contact_name: self.contact_name,
            email: self.email,
            phone: self.phone,
            address: self.address,
            matched: field_from_code(self.matched)?.as_str().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(words: &[&str]) -> Wanted {
        Wanted::Text {
            whole: words.join(" "),
            words: words.iter().map(|w| w.to_string()).collect(),
        }
    }

    #[test]
    fn spaces_are_trimmed_and_collapsed() {
        assert_eq!(
            Wanted::parse("  john \t  smith ").unwrap(),
            Some(text(&["john", "smith"]))
        );
    }

    #[test]
    fn fewer_than_two_characters_search_for_nothing() {
        assert_eq!(Wanted::parse("").unwrap(), None);
        assert_eq!(Wanted::parse("   a  ").unwrap(), None);
        assert_eq!(Wanted::parse("+1").unwrap(), None);
    }

    #[test]
    fn more_than_a_hundred_characters_are_refused() {
        assert!(Wanted::parse(&"a".repeat(100)).unwrap().is_some());
        let err = Wanted::parse(&"a".repeat(101)).unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert_eq!(err.field(), Some("q"));
        // Counted after collapsing spaces, in characters rather than bytes.
        assert!(
            Wanted::parse(&format!("{}     {}", "é".repeat(50), "é".repeat(49)))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn phone_punctuation_is_ignored() {
        for typed in ["+1 (555) 0142-1234", "1 555.0142.1234", "15550142 1234"] {
            assert_eq!(
                Wanted::parse(typed).unwrap(),
                Some(Wanted::Digits("155501421234".into())),
                "{typed}"
            );
        }
    }

    #[test]
    fn an_at_sign_means_an_email() {
        assert_eq!(
            Wanted::parse("Alex.Morgan@example").unwrap(),
            Some(Wanted::Email("Alex.Morgan@example".into()))
        );
    }

    #[test]
    fn letters_and_digits_are_words() {
        assert_eq!(
            Wanted::parse("1208 Maple Ave, Austin").unwrap(),
            Some(text(&["1208", "Maple", "Ave", "Austin"]))
        );
    }

    #[test]
    fn like_wildcards_typed_are_literal() {
        assert_eq!(like_escape(r"50%_a\b"), r"50\%\_a\\b");
    }

    #[test]
    fn every_field_code_reads_back() {
        for f in [
            MatchedField::AccountNumber,
            MatchedField::Phone,
            MatchedField::Email,
            MatchedField::Name,
            MatchedField::Address,
        ] {
            assert_eq!(field_from_code(field_code(f)).unwrap(), f);
        }
    }
}

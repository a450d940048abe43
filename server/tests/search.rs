//! Staff account search against PostgreSQL: what a support rep types and the accounts it
//! finds, in order, and that every kind of search is answered from an index.
//!
//! Each test seeds a small demo ISP (for the reference data and realistic neighbours) and
//! adds the accounts it looks for, with names, emails, phones and streets the seed never
//! generates.

use app::error::AppError;
use app::server::staff::search::{explain, search};
use app::server::staff::StaffAccess;
use app::types::search::AccountHit;
use app::types::staff::Role;
use chrono::NaiveDate;
use lastmile::seed::{seed_demo, SeedOptions};
use sqlx::PgPool;

fn rep() -> StaffAccess {
    StaffAccess::for_tests(1, Role::SupportRep)
}

async fn seed(pool: &PgPool, accounts: u32) {
    seed_demo(
        pool,
        &SeedOptions {
            accounts,
            seed: 7,
            today: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            show_progress: false,
            totp_keys: std::sync::Arc::new(app::server::staff::totp_keys::TotpKeys::for_tests()),
        },
    )
    .await
    .expect("seeding the test database");
}

/// One person on an account of their own, or a second person on an existing one.
struct Person<'a> {
    first: &'a str,
    last: &'a str,
    email: &'a str,
    phone: &'a str,
}

/// A residential account with its owner and one address; returns the account id.
async fn add_account(
    pool: &PgPool,
    number: &str,
    owner: Person<'_>,
    (line1, city, postal_code): (&str, &str, &str),
) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "insert into accounts (account_number, kind, display_name, billing_cycle_day, currency, time_zone)
         select $1, 'residential', $2, 1, currency, time_zone from accounts order by id limit 1
         returning id",
    )
    .bind(number)
    .bind(format!("{} {}", owner.first, owner.last))
    .fetch_one(pool)
    .await
    .unwrap();
    add_person(pool, id, "owner", owner).await;
    sqlx::query(
        "insert into addresses (account_id, line1, city, region, postal_code, country, jurisdiction_id)
         select $1, $2, $3, 'OR', $4, 'US', jurisdiction_id from addresses order by id limit 1",
    )
    .bind(id)
    .bind(line1)
    .bind(city)
    .bind(postal_code)
    .execute(pool)
    .await
    .unwrap();
    id
}

async fn add_person(pool: &PgPool, account_id: i64, role: &str, p: Person<'_>) {
    sqlx::query(
        "insert into people (account_id, role, first_name, last_name, email, phone)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account_id)
    .bind(role)
    .bind(p.first)
    .bind(p.last)
    .bind(p.email)
    .bind(p.phone)
    .execute(pool)
    .await
    .unwrap();
}

/// Evangeline Featherstone, account 987654321, at 4821 Quillfeather Lane, Tillamook.
async fn add_evangeline(pool: &PgPool) -> i64 {
    add_account(
        pool,
        "987654321",
        Person {
            first: "Evangeline",
            last: "Featherstone",
            email: "evangeline.featherstone@example.org",
            phone: "+1 (503) 555-0199",
        },
        ("4821 Quillfeather Lane", "Tillamook", "97141"),
    )
    .await
}

async fn find(pool: &PgPool, q: &str) -> Vec<AccountHit> {
    search(pool, &rep(), q, 50)
        .await
        .unwrap_or_else(|e| panic!("searching for {q:?}: {e:?}"))
}

fn numbers(hits: &[AccountHit]) -> Vec<&str> {
    hits.iter().map(|h| h.account_number.as_str()).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_account_number_prefix_finds_that_account_first(pool: PgPool) {
    seed(&pool, 30).await;
    let id = add_evangeline(&pool).await;

    let hits = find(&pool, "98765").await;
    assert_eq!(numbers(&hits), ["987654321"]);
    let hit = &hits[0];
    assert_eq!(hit.account_id, id);
    assert_eq!(hit.matched, "account_number");
    assert_eq!(hit.display_name, "Evangeline Featherstone");
    assert_eq!(hit.status, "active");
    assert_eq!(hit.owner_name.as_deref(), Some("Evangeline Featherstone"));
    assert_eq!(
        hit.email.as_deref(),
        Some("evangeline.featherstone@example.org")
    );
    assert_eq!(hit.phone.as_deref(), Some("+1 (503) 555-0199"));
    assert_eq!(
        hit.address.as_deref(),
        Some("4821 Quillfeather Lane, Tillamook, OR 97141")
    );

    // The seed numbers its accounts from 10000001: a shared prefix lists them in order,
    // and the whole number puts its account before the longer numbers it starts.
    let hits = find(&pool, "1000001").await;
    assert_eq!(
        numbers(&hits)[..10],
        [
            "10000010", "10000011", "10000012", "10000013", "10000014", "10000015", "10000016",
            "10000017", "10000018", "10000019"
        ]
    );
    assert!(hits.iter().all(|h| h.matched == "account_number"));
    let hits = find(&pool, "10000017").await;
    assert_eq!(numbers(&hits)[0], "10000017");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_surname_with_one_letter_wrong_finds_the_person(pool: PgPool) {
    seed(&pool, 30).await;
    let id = add_evangeline(&pool).await;
    let near = add_account(
        &pool,
        "987650001",
        Person {
            first: "Mary",
            last: "Featherstane",
            email: "mary.f@example.org",
            phone: "+1 503 555 0101",
        },
        ("12 Elm Street", "Salem", "97301"),
    )
    .await;

    for typed in ["Featherstome", "featherstne", "evangeline fetherstone"] {
        let hits = find(&pool, typed).await;
        let hit = hits
            .iter()
            .find(|h| h.account_id == id)
            .unwrap_or_else(|| panic!("{typed:?} found {:?}", numbers(&hits)));
        assert_eq!(hit.matched, "name", "{typed}");
    }

    // The last two letters of a six-letter surname swapped: 4 of its 7 trigrams remain,
    // enough for the search's threshold (0.5) though not for pg_trgm's default (0.6).
    let okonjo = add_account(
        &pool,
        "987650003",
        Person {
            first: "Adaeze",
            last: "Okonjo",
            email: "adaeze@example.org",
            phone: "+1 503 555 0103",
        },
        ("9 Pier Road", "Astoria", "97103"),
    )
    .await;
    let hits = find(&pool, "okonoj").await;
    assert_eq!(
        hits.iter().map(|h| h.account_id).collect::<Vec<_>>(),
        [okonjo]
    );

    // A business by its display name, misspelt.
    let shop = add_account(
        &pool,
        "987650002",
        Person {
            first: "Kim",
            last: "Lee",
            email: "kim@wetherby-plumbing.example",
            phone: "+1 503 555 0102",
        },
        ("1 Harbor Way", "Salem", "97301"),
    )
    .await;
    sqlx::query(
        "update accounts set kind = 'business', display_name = 'Wetherby Plumbing' where id = $1",
    )
    .bind(shop)
    .execute(&pool)
    .await
    .unwrap();
    let hits = find(&pool, "wetherbee plumbing").await;
    assert_eq!(numbers(&hits), ["987650002"]);
    assert_eq!(hits[0].matched, "name");
    assert_eq!(hits[0].display_name, "Wetherby Plumbing");
    assert_eq!(hits[0].owner_name.as_deref(), Some("Kim Lee"));

    // Spelt right: the exact surname ranks before the one a letter away, which is still found.
    let hits = find(&pool, "featherstone").await;
    let ids: Vec<i64> = hits.iter().map(|h| h.account_id).collect();
    assert_eq!(ids, [id, near]);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_email_prefix_finds_its_person(pool: PgPool) {
    seed(&pool, 30).await;
    let id = add_evangeline(&pool).await;
    // A billing contact on the same account, found by her own email.
    add_person(
        &pool,
        id,
        "billing",
        Person {
            first: "Rosalind",
            last: "Okonkwo",
            email: "books@okonkwo-accounting.example",
            phone: "+44 20 7946 0958",
        },
    )
    .await;

    for typed in [
        "evangeline.featherstone@exam",
        "Evangeline.Featherstone@EXAMPLE.ORG",
        // Without the @, a dotted word is still the start of an email.
        "evangeline.feath",
    ] {
        let hits = find(&pool, typed).await;
        assert_eq!(hits.len(), 1, "{typed}: {:?}", numbers(&hits));
        assert_eq!(hits[0].account_id, id);
        assert_eq!(hits[0].matched, "email");
    }

    let hits = find(&pool, "books@okonkwo").await;
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(
        (hit.account_id, hit.matched.as_str()),
        (id, "email"),
        "{hit:?}"
    );
    assert_eq!(hit.owner_name.as_deref(), Some("Evangeline Featherstone"));
    assert_eq!(hit.contact_name.as_deref(), Some("Rosalind Okonkwo"));
    assert_eq!(
        hit.email.as_deref(),
        Some("books@okonkwo-accounting.example")
    );
    assert_eq!(hit.phone.as_deref(), Some("+44 20 7946 0958"));

    // A typo before the @ is forgiven.
    let hits = find(&pool, "evangeline.featherstome@example.org").await;
    assert_eq!(numbers(&hits), ["987654321"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_phone_number_is_found_whatever_its_punctuation(pool: PgPool) {
    seed(&pool, 30).await;
    let id = add_evangeline(&pool).await; // stored as "+1 (503) 555-0199"

    for typed in [
        "+1 503 555 0199",
        "1-503-555-0199",
        "(503) 555-0199",
        "503.555.0199",
        "5035550199",
        "555-0199",
        "0199",
    ] {
        let hits = find(&pool, typed).await;
        let hit = hits
            .iter()
            .find(|h| h.account_id == id)
            .unwrap_or_else(|| panic!("{typed:?} found {:?}", numbers(&hits)));
        assert_eq!(hit.matched, "phone", "{typed}");
    }
    // The whole number, or all of it but the country code, is the best match.
    for typed in ["+1 503 555 0199", "(503) 555-0199"] {
        assert_eq!(find(&pool, typed).await[0].account_id, id, "{typed}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_street_address_fragment_finds_the_account(pool: PgPool) {
    seed(&pool, 30).await;
    let id = add_evangeline(&pool).await;

    for typed in [
        "quillfeather",
        "4821 Quillfeather",
        "quillfeather la",  // the first letters of each word are enough
        "Quilfeather Lane", // one letter missing
        "tillamook",
        "97141",
    ] {
        let hits = find(&pool, typed).await;
        assert_eq!(numbers(&hits), ["987654321"], "{typed}");
        assert_eq!(hits[0].account_id, id);
        assert_eq!(hits[0].matched, "address", "{typed}");
    }
    // Every word has to match: a street elsewhere is not this one.
    assert!(find(&pool, "quillfeather portland").await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn text_too_short_finds_nothing_and_too_long_is_refused(pool: PgPool) {
    seed(&pool, 5).await;

    for typed in ["", " ", "a", "  7 ", "+1"] {
        assert_eq!(find(&pool, typed).await, [], "{typed:?}");
    }
    // LIKE's wildcards are matched as themselves, not as "anything".
    assert_eq!(find(&pool, "%%").await, []);
    assert_eq!(find(&pool, "__").await, []);

    let err = search(&pool, &rep(), &"a".repeat(101), 50)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::InvalidInput { field, .. } if field == "q"),
        "{err:?}"
    );
    assert_eq!(err.code(), "invalid_input");
    // A hundred characters are fine.
    assert_eq!(
        search(&pool, &rep(), &"a".repeat(100), 50).await.unwrap(),
        []
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn no_more_than_the_limit_and_one_hit_per_account(pool: PgPool) {
    seed(&pool, 120).await;

    // Every seeded number starts 1000.
    for limit in [1, 7, 50] {
        let hits = search(&pool, &rep(), "1000", limit).await.unwrap();
        assert_eq!(hits.len() as i64, limit);
    }
    // More than 50 is 50; less than one is one.
    assert_eq!(search(&pool, &rep(), "1000", 500).await.unwrap().len(), 50);
    assert_eq!(search(&pool, &rep(), "1000", 0).await.unwrap().len(), 1);

    // The most common surname: its owners, their partners (often with the same name) and
    // the display names all match, yet each account is listed once.
    let (surname, accounts): (String, i64) = sqlx::query_as(
        "select last_name, count(distinct account_id) from people
          group by last_name order by count(*) desc, last_name limit 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(accounts >= 3, "{surname}: {accounts}");
    let hits = find(&pool, &surname).await;
    let mut ids: Vec<i64> = hits.iter().map(|h| h.account_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), hits.len(), "{surname}: {:?}", numbers(&hits));
    assert!(hits.len() as i64 >= accounts, "{surname}: {}", hits.len());

    let hits = search(&pool, &rep(), &surname, 2).await.unwrap();
    assert_eq!(hits.len(), 2);
}

/// 5,000 accounts like the seed's (two people on every fifth), analysed: every part of each
/// kind of search can be answered from an index, never by reading a whole table of accounts,
/// people or addresses. (`bench/search` checks the plans chosen on 100,000 accounts.)
#[sqlx::test(migrations = "../migrations")]
async fn every_kind_of_search_reads_an_index(pool: PgPool) {
    seed(&pool, 5).await;
    for statement in [
        "insert into accounts (account_number, kind, display_name, billing_cycle_day, currency, time_zone)
         select (20000000 + g)::text, 'residential',
                (array['Alex','Maria','James','Priya','Chen','Olu','Sofia','Liam','Noah','Emma',
                       'Aisha','Mateo','Yuki','Ivan','Grace'])[1 + g % 15] || ' ' ||
                (array['Garcia','Smith','Nguyen','Okafor','Kowalski','Hernandez','Johnson',
                       'Brown','Rossi','Tanaka','Murphy','Silva'])[1 + g % 12],
                1 + g % 28, (select currency from accounts limit 1), 'America/Chicago'
           from generate_series(1, 5000) g",
        "insert into people (account_id, role, first_name, last_name, email, phone)
         select id, 'owner', split_part(display_name, ' ', 1), split_part(display_name, ' ', 2),
                lower(replace(display_name, ' ', '.')) || '.' || account_number || '@example.net',
                '+1 555 01' || lpad((id % 100)::text, 2, '0') || ' '
                    || lpad(((id * 7919) % 10000)::text, 4, '0')
           from accounts where account_number like '2%'",
        "insert into people (account_id, role, first_name, last_name, email, phone)
         select id, 'billing', 'Jordan', split_part(display_name, ' ', 2),
                'jordan.' || account_number || '@example.com',
                '+1 555 01' || lpad(((id * 31) % 100)::text, 2, '0') || ' '
                    || lpad(((id * 13) % 10000)::text, 4, '0')
           from accounts where account_number like '2%' and id % 5 = 0",
        "insert into addresses (account_id, line1, city, region, postal_code, country, jurisdiction_id)
         select a.id,
                (1 + (a.id * 37) % 9999)::text || ' ' ||
                (array['Maple','Oak','Cedar','Willow','Birch','Park','Lake','Hill','Main','Elm'])[1 + a.id % 10]
                || ' Street',
                (array['Austin','Dallas','Houston','Denver','Portland','Eugene','Buffalo'])[1 + a.id % 7],
                'TX', (70000 + a.id % 2000)::text, 'US', (select jurisdiction_id from addresses limit 1)
           from accounts a where a.account_number like '2%'",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    let id = add_evangeline(&pool).await;
    sqlx::query("analyze").execute(&pool).await.unwrap();
    assert!(find(&pool, "Featherstone").await[0].account_id == id);

    // On a table this small a sequential scan can be the cheaper plan, and would be chosen;
    // made dearer than any index, it is chosen only where no index can answer.
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("set enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .unwrap();

    for typed in [
        "987654321",                     // account number
        "98765",                         // account number prefix, phone prefix, postal code
        "+1 (503) 555-0199",             // phone
        "503 555 0199",                  // phone without the country code
        "0199",                          // last digits
        "evangeline.feath@",             // email prefix
        "evangeline.fether@example.org", // email with a typo
        "evangeline.featherstone",       // email without the @
        "Evangeline Featherstone",       // name
        "Featherstome",                  // name with a typo
        "quillfeather lane",             // street
        "Quilfeather",                   // street with a typo
        "tillamook",                     // city
    ] {
        let plan = explain(&mut conn, typed, 50, false)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{typed:?} was not searched for"));
        for table in ["accounts", "people", "addresses"] {
            assert!(
                !has_seq_scan(&plan, table),
                "{typed:?} reads the whole {table} table:\n{plan:#}"
            );
        }
    }
}

/// Whether a JSON query plan has a sequential scan of `table` anywhere in it.
fn has_seq_scan(plan: &serde_json::Value, table: &str) -> bool {
    match plan {
        serde_json::Value::Object(node) => {
            (node.get("Node Type").and_then(|t| t.as_str()) == Some("Seq Scan")
                && node.get("Relation Name").and_then(|t| t.as_str()) == Some(table))
                || node.values().any(|v| has_seq_scan(v, table))
        }
        serde_json::Value::Array(items) => items.iter().any(|v| has_seq_scan(v, table)),
        _ => false,
    }
}

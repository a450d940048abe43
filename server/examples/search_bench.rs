//! `search_bench`: how long the staff account search takes, per kind of search, on a seeded
//! database (`bench/search`; see `bench/README.md`).
//!
//! The searches are what a support rep types, drawn from the data itself: whole account
//! numbers and their first digits, full names, surnames with one letter wrong (alone or after
//! the first name), the start of an email, phone numbers written several ways (with or
//! without the country code, with other punctuation, only the last four digits) and address
//! fragments (number and street, street and suffix, street and city). Each search runs alone,
//! one after another on one connection, through `app::server::staff::search::search` exactly
//! as the console calls it (its transaction and settings included); the kinds take turns so
//! that anything else happening on the machine falls on all of them alike. A warm-up pass
//! comes first and is not recorded.
//!
//! For every kind it reports the latency (p50, p95, p99, max; nearest rank), how many hits
//! came back, how often the account the search was drawn from was among them, and how many
//! of the first plans (`explain`) read a whole table of accounts, people or addresses.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/lastmile_searchbench \
//!   cargo run --release -p lastmile --example search_bench -- --per-kind 300 --out search.json
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use app::server::staff::search::{explain, search};
use app::server::staff::StaffAccess;
use app::types::staff::Role;
use clap::Parser;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;

#[derive(Parser, Debug)]
#[command(
    name = "search_bench",
    about = "Latency of the staff account search, per kind of search"
)]
struct Args {
    /// The database (seeded with `lastmile seed --demo`).
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Searches measured per kind.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=100_000))]
    per_kind: u64,
    /// Searches of each kind run first and not recorded.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    warmup: u64,
    /// Hits asked for, as the console does.
    #[arg(long, default_value_t = 25)]
    limit: i64,
    /// Plans looked at per kind (the first searches of it).
    #[arg(long, default_value_t = 20)]
    explain: u64,
    /// The same seed draws the same searches from the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the results as JSON.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Instead of measuring: run these searches with `explain analyze` and print the plans.
    #[arg(long = "explain-analyze", value_name = "TEXT")]
    explain_analyze: Vec<String>,
}

/// The kinds of search, in the order they are reported.
const KINDS: [&str; 8] = [
    "account_number",
    "account_prefix",
    "full_name",
    "surname_typo",
    "email_prefix",
    "phone",
    "phone_last4",
    "address",
];

/// An account the searches are drawn from.
#[derive(sqlx::FromRow)]
struct Drawn {
    id: i64,
    account_number: String,
    first_name: String,
    last_name: String,
    email: Option<String>,
    phone: Option<String>,
    line1: Option<String>,
    city: Option<String>,
}

struct Search {
    kind: &'static str,
    text: String,
    account_id: i64,
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    hits: u64,
    empty: u64,
    found: u64,
    examples: Vec<String>,
    seq_scan_plans: u64,
    plans: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    // As the server's pool (server/src/db.rs): no test query before each use.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .connect(&args.database_url)
        .await
        .context("connecting to the database")?;
    let (accounts, people, addresses): (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from accounts), (select count(*) from people),
                (select count(*) from addresses)",
    )
    .fetch_one(&pool)
    .await?;
    anyhow::ensure!(accounts > 0, "the database has no accounts: seed it first");
    if !args.explain_analyze.is_empty() {
        let mut conn = pool.acquire().await?;
        for text in &args.explain_analyze {
            let plan = explain(&mut conn, text, args.limit, true).await?;
            println!("{text:?}\t{}", serde_json::to_string(&plan)?);
        }
        return Ok(());
    }

    // Enough accounts for every search to come from a different one.
    let wanted = (args.per_kind + args.warmup) * KINDS.len() as u64;
    let drawn: Vec<Drawn> = sqlx::query_as(
        "select a.id, a.account_number, o.first_name, o.last_name, o.email::text as email, o.phone,
                ad.line1, ad.city
           from accounts a
           join people o on o.account_id = a.id and o.role = 'owner'
           left join lateral (select line1, city from addresses
                               where account_id = a.id order by id limit 1) ad on true
          order by md5(a.id::text || $1)
          limit $2",
    )
    .bind(args.seed.to_string())
    .bind(i64::try_from(wanted)?)
    .fetch_all(&pool)
    .await?;
    anyhow::ensure!(!drawn.is_empty(), "no account has an owner");

    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let mut accounts_drawn = drawn.iter().cycle();
    let mut rounds: Vec<Vec<Search>> = Vec::new();
    for _ in 0..(args.warmup + args.per_kind) {
        rounds.push(
            KINDS
                .iter()
                .map(|kind| {
                    let a = accounts_drawn.next().expect("cycle");
                    Search {
                        kind,
                        text: typed(kind, a, &mut rng),
                        account_id: a.id,
                    }
                })
                .collect(),
        );
    }
    // Kinds take turns, but not always in the same order.
    for round in &mut rounds {
        round.shuffle(&mut rng);
    }

    let staff = StaffAccess::for_tests(0, Role::SupportRep);
    eprintln!(
        "{accounts} accounts, {people} people, {addresses} addresses; {} searches of each of {} kinds after {} warm-up rounds",
        args.per_kind,
        KINDS.len(),
        args.warmup
    );
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    for (i, round) in rounds.iter().enumerate() {
        let measured = i as u64 >= args.warmup;
        for s in round {
            let started = Instant::now();
            let hits = search(&pool, &staff, &s.text, args.limit)
                .await
                .with_context(|| format!("searching for {:?}", s.text))?;
            let us = u64::try_from(started.elapsed().as_micros())?;
            if !measured {
                continue;
            }
            let t = tallies.entry(s.kind).or_default();
            t.latencies_us.push(us);
            t.hits += hits.len() as u64;
            t.empty += u64::from(hits.is_empty());
            t.found += u64::from(hits.iter().any(|h| h.account_id == s.account_id));
            if t.examples.len() < 4 {
                t.examples.push(s.text.clone());
            }
        }
    }

    // The plans chosen for the first searches of each kind, with this database's statistics.
    let mut conn = pool.acquire().await?;
    for round in rounds.iter().skip(args.warmup as usize) {
        for s in round {
            let t = tallies.entry(s.kind).or_default();
            if t.plans >= args.explain {
                continue;
            }
            let plan = explain(&mut conn, &s.text, args.limit, false)
                .await
                .with_context(|| format!("explaining {:?}", s.text))?
                .unwrap_or(Value::Null);
            t.plans += 1;
            if ["accounts", "people", "addresses"]
                .iter()
                .any(|table| has_seq_scan(&plan, table))
            {
                t.seq_scan_plans += 1;
                eprintln!("a whole table is read for {:?} ({})", s.text, s.kind);
            }
        }
    }
    drop(conn);

    let mut kinds = Vec::new();
    eprintln!(
        "{:<16} {:>8} {:>8} {:>8} {:>8} {:>6} {:>7} {:>6}",
        "kind", "p50 ms", "p95 ms", "p99 ms", "max ms", "hits", "found", "empty"
    );
    for kind in KINDS {
        let Some(t) = tallies.get_mut(kind) else {
            continue;
        };
        t.latencies_us.sort_unstable();
        let n = t.latencies_us.len() as u64;
        let [p50, p95, p99] = [500, 950, 990].map(|pm| nearest_rank(&t.latencies_us, pm));
        let max = t.latencies_us.last().copied().unwrap_or(0);
        eprintln!(
            "{kind:<16} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6}% {:>6}",
            ms(p50),
            ms(p95),
            ms(p99),
            ms(max),
            format!("{}.{}", t.hits / n, t.hits * 10 / n % 10),
            t.found * 100 / n,
            t.empty
        );
        kinds.push(json!({
            "kind": kind,
            "searches": n,
            "p50_us": p50,
            "p95_us": p95,
            "p99_us": p99,
            "max_us": max,
            "hits": t.hits,
            "empty": t.empty,
            "found": t.found,
            "plans_explained": t.plans,
            "plans_reading_a_whole_table": t.seq_scan_plans,
            "examples": t.examples,
        }));
    }
    let result = json!({
        "accounts": accounts,
        "people": people,
        "addresses": addresses,
        "limit": args.limit,
        "per_kind": args.per_kind,
        "warmup_rounds": args.warmup,
        "seed": args.seed,
        "kinds": kinds,
    });
    if let Some(path) = &args.out {
        std::fs::write(path, serde_json::to_string_pretty(&result)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// What a rep would type to find account `a` by this kind of search.
fn typed(kind: &str, a: &Drawn, rng: &mut ChaCha8Rng) -> String {
    let email = a
        .email
        .clone()
        .unwrap_or_else(|| a.last_name.to_lowercase());
    let phone_digits: String = a
        .phone
        .as_deref()
        .unwrap_or("5550000")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let line1 = a.line1.as_deref().unwrap_or("1 Main Street");
    match kind {
        "account_number" => a.account_number.clone(),
        "account_prefix" => {
            let n = rng.gen_range(4..=6).min(a.account_number.len());
            a.account_number[..n].to_owned()
        }
        "full_name" => format!("{} {}", a.first_name, a.last_name),
        "surname_typo" => {
            let typo = one_letter_wrong(&a.last_name, rng);
            if rng.gen_bool(0.5) {
                typo
            } else {
                format!("{} {typo}", a.first_name)
            }
        }
        "email_prefix" => {
            let at = email.find('@').unwrap_or(email.len());
            let end = (at + rng.gen_range(1..=4)).min(email.len());
            email[..end].to_owned()
        }
        "phone" => {
            // Stored as "+1 555 0142 1234": typed the same, as digits, or without the country
            // code with other punctuation.
            let national = phone_digits.strip_prefix('1').unwrap_or(&phone_digits);
            let (a3, rest) = national.split_at(3.min(national.len()));
            let (b4, c4) = rest.split_at(4.min(rest.len()));
            match rng.gen_range(0..4) {
                0 => a.phone.clone().unwrap_or_default(),
                1 => phone_digits.clone(),
                2 => format!("({a3}) {b4}-{c4}"),
                _ => format!("{a3}.{b4}.{c4}"),
            }
        }
        "phone_last4" => phone_digits[phone_digits.len().saturating_sub(4)..].to_owned(),
        "address" => {
            let words: Vec<&str> = line1.split(' ').collect();
            match (rng.gen_range(0..3), words.as_slice()) {
                // "1208 Maple Ave"
                (0, [number, street, suffix, ..]) => {
                    format!("{number} {street} {}", &suffix[..suffix.len().min(3)])
                }
                // "maple avenue"
                (1, [_, street, suffix, ..]) => format!("{street} {suffix}").to_lowercase(),
                // "Maple Austin"
                (_, [_, street, ..]) => {
                    format!("{street} {}", a.city.as_deref().unwrap_or_default())
                }
                _ => line1.to_owned(),
            }
        }
        other => unreachable!("no such kind {other}"),
    }
}

/// The name with one letter (never the first) replaced by another.
fn one_letter_wrong(name: &str, rng: &mut ChaCha8Rng) -> String {
    let mut letters: Vec<char> = name.chars().collect();
    if letters.len() < 2 {
        return name.to_owned();
    }
    let at = rng.gen_range(1..letters.len());
    let was = letters[at].to_ascii_lowercase();
    let mut now = was;
    while now == was {
        now = char::from(b'a' + rng.gen_range(0..26u8));
    }
    letters[at] = now;
    letters.into_iter().collect()
}

/// The value at the given per-mille rank (nearest rank) of sorted samples.
fn nearest_rank(sorted: &[u64], per_mille: u64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len() as u64;
    let rank = (n * per_mille).div_ceil(1000).max(1);
    sorted[usize::try_from(rank - 1).unwrap_or(0).min(sorted.len() - 1)]
}

/// Microseconds as milliseconds with one decimal.
fn ms(us: u64) -> String {
    format!("{}.{}", us / 1000, us % 1000 / 100)
}

/// Whether a JSON query plan has a sequential scan of `table` anywhere in it.
fn has_seq_scan(plan: &Value, table: &str) -> bool {
    match plan {
        Value::Object(node) => {
            (node.get("Node Type").and_then(Value::as_str) == Some("Seq Scan")
                && node.get("Relation Name").and_then(Value::as_str) == Some(table))
                || node.values().any(|v| has_seq_scan(v, table))
        }
        Value::Array(items) => items.iter().any(|v| has_seq_scan(v, table)),
        _ => false,
    }
}

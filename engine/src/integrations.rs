//! The provider's other systems ("integrations") and the API keys they call the integration
//! API with (`/api/v1`, issue 13; design in `docs/design/integration-api.md`).
//!
//! * A key is a token `lmk_` + 40 random base62 characters, shown once when it is made;
//!   only its SHA-256 is stored (`api_key_secrets`), so a stolen database does not give
//!   working keys.
//! * Its scopes say what it may do ([`Scope`]); a money limit caps one charge, credit or
//!   payment it records; a rate (requests per minute) bounds how fast it may call.
//! * Rotation adds a secret and lets the old one work for 24 hours more; revocation ends
//!   every secret of the key at once.
//! * [`authenticate`] finds a token's key and takes one request from its rate budget in a
//!   single statement, with the database's clock, so every server instance shares the
//!   budget (GCRA: each key has a "theoretical arrival time" that each request moves on by
//!   60 s / rate; a request that would move it more than a minute ahead is refused).

use chrono::{DateTime, Utc};
use rand::Rng;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use crate::EngineError;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read accounts, services, plans, statements, balances, tickets.
    Read,
    /// Create and change accounts and services, import usage, open tickets.
    WriteAccounts,
    /// Post charges and credits, record payments made outside the portal.
    WriteMoney,
}

impl Scope {
    /// Every scope, in the order lists show them.
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::WriteAccounts, Scope::WriteMoney];

    /// As stored and as written on the command line: `read`, `write:accounts`, `write:money`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::WriteAccounts => "write:accounts",
            Scope::WriteMoney => "write:money",
        }
    }

    /// The scope named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// How long a rotated-out secret keeps working.
pub const ROTATION_GRACE: chrono::Duration = chrono::Duration::hours(24);
/// The rate limit's window: a key may spend a minute's worth of requests at once.
pub const RATE_WINDOW_SECONDS: i64 = 60;
/// The rate a key gets unless told otherwise.
pub const DEFAULT_RATE_PER_MINUTE: i32 = 600;

/// A key to make.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// The integration it belongs to (made when it does not exist yet).
    pub integration: String,
    /// The key's name within the integration ("crm-production").
    pub name: String,
    /// What it may do (at least one).
    pub scopes: Vec<Scope>,
    /// The most one charge, credit or payment it records may be.
    pub money_limit: Option<Decimal>,
    /// Requests per minute.
    pub rate_per_minute: i32,
    /// The administrator who made it (none from the command line).
    pub created_by_staff: Option<i64>,
}

/// A key just made or rotated: the token is in clear here and nowhere else, ever.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    /// `api_keys.id`.
    pub id: i64,
    /// The token to give the integration.
    pub token: String,
    /// Its first characters, as lists show it.
    pub display_prefix: String,
}

/// A key as lists show it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeySummary {
    pub id: i64,
    pub integration: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub money_limit: Option<Decimal>,
    pub rate_per_minute: i32,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The prefixes of the secrets that still work, newest first.
    pub prefixes: Vec<String>,
}

/// A key found by its token, with what this request did to its rate budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    /// `api_keys.id`: the actor in the audit log.
    pub key_id: i64,
    pub key_name: String,
    pub integration: String,
    pub scopes: Vec<Scope>,
    pub money_limit: Option<Decimal>,
    pub rate: RateDecision,
}

/// The rate limit's answer to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the request may go on.
    pub allowed: bool,
    /// The key's requests per minute (the quota of the window).
    pub quota: i64,
    /// Requests that may still be made at once.
    pub remaining: i64,
    /// Seconds until the whole budget is back.
    pub reset_seconds: i64,
    /// When refused: seconds until one request is allowed again.
    pub retry_after_seconds: i64,
}

impl RateDecision {
    /// The GCRA arithmetic, in microseconds. `tat` is the key's theoretical arrival time
    /// after this request when it was allowed, before it when it was refused.
    fn of(allowed: bool, rate_per_minute: i32, tat: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        let window = RATE_WINDOW_SECONDS * 1_000_000;
        let t = window / i64::from(rate_per_minute.max(1));
        let ahead = (tat - now).num_microseconds().unwrap_or(window).max(0);
        let ceil_secs = |us: i64| (us.max(0) + 999_999) / 1_000_000;
        RateDecision {
            allowed,
            quota: i64::from(rate_per_minute),
            remaining: if allowed {
                (window - ahead).max(0) / t
            } else {
                0
            },
            reset_seconds: ceil_secs(ahead),
            retry_after_seconds: if allowed {
                0
            } else {
                ceil_secs(ahead + t - window).max(1)
            },
        }
    }
}

/// Makes a key (and its integration when new), in the caller's transaction (with its audit
/// entry). The token is returned once.
pub async fn create_key(conn: &mut PgConnection, new: &NewKey) -> Result<IssuedKey, EngineError> {
    let integration = checked_name("integration", &new.integration)?;
    let name = checked_name("name", &new.name)?;
    if new.scopes.is_empty() {
        return Err(EngineError::InvalidField {
            field: "scopes",
            message: "give at least one of read, write:accounts, write:money".into(),
        });
    }
    if let Some(limit) = new.money_limit {
        if limit <= Decimal::ZERO
            || limit.scale() > 2
            || limit >= Decimal::from(1_000_000_000_000_i64)
        {
            return Err(EngineError::InvalidField {
                field: "money_limit",
                message: "a positive amount with at most two decimals".into(),
            });
        }
    }
    if !(1..=100_000).contains(&new.rate_per_minute) {
        return Err(EngineError::InvalidField {
            field: "rate_per_minute",
            message: "between 1 and 100000 requests a minute".into(),
        });
    }
    let mut scopes: Vec<&str> = new.scopes.iter().map(|s| s.as_str()).collect();
    scopes.sort_unstable();
    scopes.dedup();

    let (integration_id, disabled): (i64, bool) = sqlx::query_as(
        "insert into integrations (name) values ($1)
         on conflict (name) do update set name = excluded.name
         returning id, disabled_at is not null",
    )
    .bind(&integration)
    .fetch_one(&mut *conn)
    .await?;
    if disabled {
        return Err(EngineError::InvalidField {
            field: "integration",
            message: format!("the integration {integration:?} is disabled"),
        });
    }
    let id: Option<i64> = sqlx::query_scalar(
        "insert into api_keys (integration_id, name, scopes, money_limit, rate_per_minute, created_by_staff)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (integration_id, name) do nothing
         returning id",
    )
    .bind(integration_id)
    .bind(&name)
    .bind(&scopes)
    .bind(new.money_limit)
    .bind(new.rate_per_minute)
    .bind(new.created_by_staff)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Err(EngineError::InvalidField {
            field: "name",
            message: format!("{integration:?} already has a key named {name:?}; rotate it or choose another name"),
        });
    };
    add_secret(conn, id).await
}

/// Gives a key a new token, in the caller's transaction; its other secrets that still work
/// stop 24 hours from now (or sooner, when they were to stop sooner already).
pub async fn rotate_key(conn: &mut PgConnection, key_id: i64) -> Result<IssuedKey, EngineError> {
    let revoked: Option<bool> =
        sqlx::query_scalar("select revoked_at is not null from api_keys where id = $1 for update")
            .bind(key_id)
            .fetch_optional(&mut *conn)
            .await?;
    match revoked {
        None => return Err(EngineError::NotFound),
        Some(true) => return Err(EngineError::Conflict(format!("key {key_id} is revoked"))),
        Some(false) => {}
    }
    sqlx::query(
        "update api_key_secrets
            set expires_at = least(coalesce(expires_at, 'infinity'), now() + $2)
          where api_key_id = $1 and (expires_at is null or expires_at > now())",
    )
    .bind(key_id)
    .bind(ROTATION_GRACE)
    .execute(&mut *conn)
    .await?;
    add_secret(conn, key_id).await
}

/// Ends every secret of a key at once, in the caller's transaction. Revoking a revoked key
/// changes nothing.
pub async fn revoke_key(
    conn: &mut PgConnection,
    key_id: i64,
    by_staff: Option<i64>,
) -> Result<(), EngineError> {
    let found: Option<i64> = sqlx::query_scalar(
        "update api_keys
            set revoked_at = coalesce(revoked_at, now()),
                revoked_by_staff = case when revoked_at is null then $2 else revoked_by_staff end
          where id = $1
         returning id",
    )
    .bind(key_id)
    .bind(by_staff)
    .fetch_optional(&mut *conn)
    .await?;
    found.map(|_| ()).ok_or(EngineError::NotFound)
}

/// Every key, newest first.
pub async fn list_keys(pool: &PgPool) -> Result<Vec<KeySummary>, EngineError> {
    Ok(sqlx::query_as(
        "select k.id, i.name as integration, k.name, k.scopes, k.money_limit, k.rate_per_minute,
                k.created_at, k.last_used_at, k.revoked_at,
                array(select s.display_prefix from api_key_secrets s
                       where s.api_key_id = k.id and k.revoked_at is null
                         and (s.expires_at is null or s.expires_at > now())
                       order by s.created_at desc) as prefixes
           from api_keys k join integrations i on i.id = k.integration_id
          order by k.created_at desc, k.id desc",
    )
    .fetch_all(pool)
    .await?)
}

/// The key a token belongs to, with one request taken from its rate budget (see the
/// module's notes). `None`: no key has this token, or it is revoked, rotated out or its
/// integration disabled. A refused request leaves the budget as it was.
pub async fn authenticate(pool: &PgPool, token: &str) -> Result<Option<KeyUse>, EngineError> {
    if !looks_like_token(token) {
        return Ok(None);
    }
    let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    type Row = (
        i64,
        String,
        String,
        Vec<String>,
        Option<Decimal>,
        i32,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        DateTime<Utc>,
    );
    // `now()` is this statement's one instant. The theoretical arrival time moves on by
    // t = 60 s / rate from the later of itself and now, unless that puts it more than the
    // window ahead (then no row comes back from `spent`, and `before` says how far ahead it
    // is). The key's last use is written at most once a minute.
    let row: Option<Row> = sqlx::query_as(
        "with k as (
             select k.id, k.name, i.name as integration, k.scopes, k.money_limit,
                    k.rate_per_minute,
                    interval '1 microsecond' * (60000000 / k.rate_per_minute) as t
               from api_key_secrets s
               join api_keys k on k.id = s.api_key_id
               join integrations i on i.id = k.integration_id
              where s.token_sha256 = $1 and k.revoked_at is null and i.disabled_at is null
                and (s.expires_at is null or s.expires_at > now())
         ), spent as (
             insert into api_rate_limits as b (api_key_id, tat)
             select id, now() + t from k
             on conflict (api_key_id) do update
                set tat = greatest(b.tat, now()) + (excluded.tat - now())
              where greatest(b.tat, now()) + (excluded.tat - now()) - now()
                    <= interval '1 second' * $2
             returning tat
         ), used as (
             update api_keys set last_used_at = now()
              where id = (select id from k)
                and (last_used_at is null or last_used_at < now() - interval '1 minute')
         )
         select k.id, k.name, k.integration, k.scopes, k.money_limit, k.rate_per_minute,
                (select tat from spent),
                (select r.tat from api_rate_limits r where r.api_key_id = k.id),
                now()
           from k",
    )
    .bind(&hash[..])
    .bind(RATE_WINDOW_SECONDS)
    .fetch_optional(pool)
    .await?;
    let Some((key_id, key_name, integration, scopes, money_limit, rate, spent, before, now)) = row
    else {
        return Ok(None);
    };
    let rate = match spent {
        Some(tat) => RateDecision::of(true, rate, tat, now),
        None => RateDecision::of(false, rate, before.unwrap_or(now), now),
    };
    Ok(Some(KeyUse {
        key_id,
        key_name,
        integration,
        scopes: scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
        money_limit,
        rate,
    }))
}

/// How long the integration API keeps the answer to an `Idempotency-Key`.
pub const IDEMPOTENCY_KEPT: chrono::Duration = chrono::Duration::hours(24);

/// Forgets the answers to idempotency keys older than [`IDEMPOTENCY_KEPT`]; returns how
/// many. Any instance may run it at any time (the server does, hourly).
pub async fn forget_old_answers(pool: &PgPool) -> Result<u64, EngineError> {
    Ok(
        sqlx::query("delete from api_idempotency where created_at < now() - $1")
            .bind(IDEMPOTENCY_KEPT)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// Whether `token` has a token's shape (anything else is not looked up).
fn looks_like_token(token: &str) -> bool {
    token.len() == 44
        && token.starts_with("lmk_")
        && token[4..].bytes().all(|b| b.is_ascii_alphanumeric())
}

async fn add_secret(conn: &mut PgConnection, key_id: i64) -> Result<IssuedKey, EngineError> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    // The generator is not held across an await (it is not Send).
    let random: String = {
        let mut rng = rand::thread_rng();
        (0..40)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect()
    };
    let token = format!("lmk_{random}");
    let display_prefix = token[..12].to_string();
    let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    sqlx::query(
        "insert into api_key_secrets (token_sha256, api_key_id, display_prefix) values ($1, $2, $3)",
    )
    .bind(&hash[..])
    .bind(key_id)
    .bind(&display_prefix)
    .execute(&mut *conn)
    .await?;
    Ok(IssuedKey {
        id: key_id,
        token,
        display_prefix,
    })
}

fn checked_name(field: &'static str, name: &str) -> Result<String, EngineError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(EngineError::InvalidField {
            field,
            message: "1 to 100 characters, no control characters".into(),
        });
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(us: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000, 0)
            .single()
            .expect("instant")
            + chrono::Duration::microseconds(us)
    }

    #[test]
    fn a_fresh_key_at_sixty_a_minute_has_fifty_nine_left_after_one_request() {
        // t = 1 s; the first request puts tat 1 s ahead.
        let d = RateDecision::of(true, 60, at(1_000_000), at(0));
        assert_eq!((d.remaining, d.reset_seconds, d.quota), (59, 1, 60));
    }

    #[test]
    fn a_refused_request_says_when_the_next_one_fits() {
        // Rate 5/min: t = 12 s. tat 60 s ahead: the budget is spent; one more fits when tat
        // is at most 48 s ahead, i.e. in 12 s.
        let d = RateDecision::of(false, 5, at(60_000_000), at(0));
        assert_eq!(
            (d.allowed, d.remaining, d.retry_after_seconds),
            (false, 0, 12)
        );
        // 59.5 s ahead: 11.5 s, rounded up.
        let d = RateDecision::of(false, 5, at(59_500_000), at(0));
        assert_eq!(d.retry_after_seconds, 12);
        assert_eq!(d.reset_seconds, 60);
    }

    #[test]
    fn remaining_counts_down_to_zero_as_the_window_fills() {
        // Rate 5/min: after k requests at once, tat is 12k s ahead and 5 - k remain.
        for k in 1..=5_i64 {
            let d = RateDecision::of(true, 5, at(12_000_000 * k), at(0));
            assert_eq!(d.remaining, 5 - k, "after {k}");
        }
    }

    #[test]
    fn only_a_tokens_shape_is_looked_up() {
        assert!(looks_like_token(&format!("lmk_{}", "a".repeat(40))));
        assert!(!looks_like_token(&format!("lmk_{}", "a".repeat(39))));
        assert!(!looks_like_token(&format!("lmx_{}", "a".repeat(40))));
        assert!(!looks_like_token(&format!("lmk_{}-", "a".repeat(39))));
        assert!(!looks_like_token(""));
    }

    #[test]
    fn scopes_read_back_as_written() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        assert_eq!(Scope::parse("write"), None);
    }
}

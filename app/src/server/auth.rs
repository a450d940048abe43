//! Signing in: argon2id passwords, throttling of failed attempts, password reset tokens.

use std::sync::OnceLock;
use std::time::Duration;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::error::AppError;

/// OWASP's argon2id parameters: 19 MiB of memory, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (slow on purpose: call it off the async runtime, see [`hash_password`]).
pub fn hash_password_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal("hashing password", e))
}

/// Hashes a password on a blocking thread.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(|e| AppError::internal("hashing task", e))?
}

/// A hash no password matches, verified when the account is unknown so that an unknown
/// account costs as much time as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let mut random = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut random);
        hash_password_blocking(&hex_lower(&random)).expect("hashing a random password")
    })
}

/// Checks a password against a stored hash (or the decoy when `hash` is `None`), on a
/// blocking thread. Returns true only for a real hash that matches.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let real = hash.is_some();
        let stored = hash.unwrap_or_else(|| decoy_hash().to_string());
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| AppError::internal("stored hash unreadable", e))?;
        Ok(argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && real)
    })
    .await
    .map_err(|e| AppError::internal("verifying task", e))?
}

/// Warms the decoy hash so the first unknown-account sign-in is not faster than the rest.
pub fn prepare() {
    let _ = decoy_hash();
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256, hex: how sign-in identifiers are kept in the throttle table (never in clear).
pub fn fingerprint(text: &str) -> String {
    hex_lower(&Sha256::digest(text.as_bytes()))
}

/// Limits on failed sign-ins, per login and per network address. A lock lasts at most one
/// window after the failures that caused it, so a stranger cannot keep a subscriber out for
/// long.
///
/// - A login's count is of its failures since its last success: a success clears only that
///   login's count. The login is the one resolved from what was typed (an email and the
///   account number of the same login are one count), or, when nothing matches, the
///   fingerprint of what was typed.
/// - An address's count is of every failure from it in the window: a success from the
///   address does not clear it, so one valid account does not buy unlimited guesses at
///   others.
/// - An attempt is counted *before* its password or code is checked ([`begin_attempt`]), in
///   the same locked step that looks at the count, so attempts sent at once cannot all slip
///   under the limit; it becomes a success only once the check passes.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    pub window: Duration,
    pub max_failures_per_login: i64,
    pub max_failures_per_address: i64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            window: Duration::from_secs(15 * 60),
            max_failures_per_login: 5,
            max_failures_per_address: 30,
        }
    }
}

/// An attempt counted as a failure until [`Attempt::succeeded`] says otherwise.
#[must_use = "an attempt that succeeds must say so, or it counts as a failure"]
#[derive(Debug)]
pub struct Attempt {
    rows: Vec<i64>,
}

/// Counts an attempt for `login_key` from `address`, or refuses it when either has failed
/// too often. The check and the record are one step: a per-key transaction lock makes
/// attempts for the same login or address take turns, and the statement that counts the
/// earlier ones inserts this one.
pub async fn begin_attempt(
    pool: &PgPool,
    policy: &ThrottlePolicy,
    login_key: &str,
    address: &str,
) -> Result<Attempt, AppError> {
    let mut tx = pool.begin().await?;
    // Both locks, always in the same order, so that two attempts cannot wait for each other.
    let mut locks = [format!("login:{login_key}"), format!("address:{address}")];
    locks.sort();
    for lock in &locks {
        sqlx::query("select pg_advisory_xact_lock(hashtextextended('login_attempts:' || $1, 0))")
            .bind(lock)
            .execute(&mut *tx)
            .await?;
    }
    // For each key: the seconds until its max-th latest counted failure leaves the window
    // (none while there are fewer). A login counts failures since its last success; an
    // address counts them all.
    let (by_login, by_address, rows): (Option<i64>, Option<i64>, Vec<i64>) = sqlx::query_as(
        "with login_lock as (
             select greatest(1, ceil(extract(epoch from (attempted_at + make_interval(secs => $5::float8) - now()))))::bigint as secs
               from login_attempts
              where scope = 'login' and key = $1 and not succeeded
                and attempted_at > now() - make_interval(secs => $5::float8)
                and attempted_at > coalesce((select max(attempted_at) from login_attempts
                                              where scope = 'login' and key = $1 and succeeded), '-infinity')
              order by attempted_at desc
              offset $3 - 1 limit 1
         ), address_lock as (
             select greatest(1, ceil(extract(epoch from (attempted_at + make_interval(secs => $5::float8) - now()))))::bigint as secs
               from login_attempts
              where scope = 'address' and key = $2 and not succeeded
                and attempted_at > now() - make_interval(secs => $5::float8)
              order by attempted_at desc
              offset $4 - 1 limit 1
         ), counted as (
             insert into login_attempts (scope, key, succeeded, attempted_at)
             select scope, key, false, clock_timestamp() from (values ('login', $1), ('address', $2)) as a (scope, key)
              where not exists (select 1 from login_lock) and not exists (select 1 from address_lock)
             returning id
         )
         select (select secs from login_lock), (select secs from address_lock),
                array(select id from counted order by id)",
    )
    .bind(login_key)
    .bind(address)
    .bind(policy.max_failures_per_login)
    .bind(policy.max_failures_per_address)
    .bind(policy.window.as_secs() as i64)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    match by_login.max(by_address) {
        Some(secs) => Err(AppError::Throttled {
            retry_after_secs: u32::try_from(secs).unwrap_or(u32::MAX),
        }),
        None => Ok(Attempt { rows }),
    }
}

impl Attempt {
    /// The password or code was right: the attempt is a success, which clears the login's
    /// count (and does not count against the address).
    pub async fn succeeded(self, pool: &PgPool) -> Result<(), AppError> {
        sqlx::query("update login_attempts set succeeded = true where id = any($1)")
            .bind(&self.rows)
            .execute(pool)
            .await?;
        Ok(())
    }
}

/// The throttle key of a subscriber's login once it is found, so that an email and an
/// account number of the same login share one count; when nothing matches, the fingerprint
/// of what was typed.
pub fn login_key(login: Option<&LoginRecord>, identifier: &str) -> String {
    match login {
        Some(login) => format!("portal:{}", login.id),
        None => fingerprint(identifier),
    }
}

/// A portal login found by email or account number.
#[derive(Debug, sqlx::FromRow)]
pub struct LoginRecord {
    pub id: i64,
    pub account_id: i64,
    /// `None` until an imported subscriber chooses one from their invitation.
    pub password_hash: Option<String>,
    pub email: String,
    pub first_name: String,
    /// The language the login chose (`portal_logins.language`), if any.
    pub language: Option<String>,
    /// The account's locale (`en-US`).
    pub account_locale: String,
}

/// Finds the login for what a subscriber typed: an email, or an account number (the
/// account's primary login). Disabled logins and closed accounts are not found.
pub async fn find_login(pool: &PgPool, identifier: &str) -> Result<Option<LoginRecord>, AppError> {
    let identifier = identifier.trim();
    let by_number = identifier.chars().all(|c| c.is_ascii_digit()) && !identifier.is_empty();
    if !by_number && !identifier.contains('@') {
        return Ok(None);
    }
    let row = sqlx::query_as::<_, LoginRecord>(
        "select l.id, l.account_id, l.password_hash, l.email::text as email, p.first_name,
                l.language, a.locale as account_locale
           from portal_logins l
           join accounts a on a.id = l.account_id
           join people p on p.id = l.person_id
          where l.disabled_at is null and a.status <> 'closed'
            and case when $2 then a.account_number = $1 and l.is_primary
                     else l.email = $1::citext end",
    )
    .bind(identifier)
    .bind(by_number)
    .fetch_optional(pool)
    .await?;
    Ok(row)
}

/// `text` as a path on this site to send a browser to, or `None`.
///
/// Only a path made of ASCII letters, digits and `/ - . _ ~ ? = & +` and `%` followed by two
/// hex digits is taken (surrounding spaces trimmed), at most 512 characters, starting with
/// one `/` and never holding `//`. Everything a browser could read as another origin is left
/// out that way: `//host`, `/\host`, a tab or new line inside (`/\t/host`, which browsers
/// drop to make `//host`), a scheme, a user or a fragment; and nothing that cannot go in a
/// `Location` header gets there.
pub fn local_path(text: &str) -> Option<String> {
    let path = text.trim();
    let bytes = path.as_bytes();
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"/-._~?=&+%".contains(&b);
    let percents_are_escapes = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    (path.len() <= 512
        && path.starts_with('/')
        && !path.contains("//")
        && bytes.iter().all(|b| allowed(*b))
        && percents_are_escapes)
        .then(|| path.to_string())
}

/// A new reset token: what goes in the link, and the hash that is stored.
pub fn new_reset_token() -> (String, Vec<u8>) {
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let hash = Sha256::digest(token.as_bytes()).to_vec();
    (token, hash)
}

/// The stored form of a token from a link.
pub fn reset_token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

/// The rules a new password must meet; the message is shown beside the field.
pub fn check_new_password(password: &str, confirm: &str) -> Result<(), AppError> {
    let invalid = |field: &str, message: &str| AppError::InvalidInput {
        field: field.into(),
        message: message.into(),
    };
    let length = password.chars().count();
    if length < 10 {
        return Err(invalid("password", "Use at least 10 characters."));
    }
    if length > 128 {
        return Err(invalid("password", "Use at most 128 characters."));
    }
    if password.trim().is_empty() {
        return Err(invalid("password", "A password can't be only spaces."));
    }
    if password != confirm {
        return Err(invalid("confirm", "The two passwords don't match."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters() {
        let hash = hash_password_blocking("correct horse battery").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
    }

    #[tokio::test]
    async fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password_blocking("correct horse battery").unwrap();
        assert!(
            verify_password("correct horse battery".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("Correct horse battery".into(), Some(hash))
            .await
            .unwrap());
        assert!(!verify_password("anything".into(), None).await.unwrap());
    }

    #[test]
    fn new_passwords_must_be_long_enough_and_confirmed() {
        assert_eq!(
            check_new_password("short", "short").unwrap_err().field(),
            Some("password")
        );
        assert_eq!(
            check_new_password("long enough pw", "long enough px")
                .unwrap_err()
                .field(),
            Some("confirm")
        );
        assert!(check_new_password("long enough pw", "long enough pw").is_ok());
    }

    #[test]
    fn only_plain_paths_of_this_site_are_local() {
        for ok in [
            "/",
            "/statements",
            "/statements/42?cycle=1&x=a+b",
            "/usage?from=2026-11-01",
            "/staff/accounts/7%3F",
            "  /support  ",
        ] {
            assert_eq!(local_path(ok).as_deref(), Some(ok.trim()), "{ok:?}");
        }
        for bad in [
            "",
            "statements",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "\t//evil.example",
            "/\n/evil.example",
            "/ok\r\nSet-Cookie: x=y",
            "/a//evil.example",
            "https://evil.example",
            "/@evil.example",
            "/x#//evil.example",
            "/%zz",
            "/%2",
            "/caf\u{e9}",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        assert!(local_path(&format!("/{}", "a".repeat(511))).is_some());
        assert!(local_path(&format!("/{}", "a".repeat(512))).is_none());
    }

    #[test]
    fn reset_tokens_are_stored_only_as_their_hash() {
        let (token, hash) = new_reset_token();
        assert_eq!(token.len(), 43);
        assert_eq!(reset_token_hash(&token), hash);
        assert_ne!(hash, token.as_bytes());
    }
}

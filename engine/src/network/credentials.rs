//! Each service's network credentials (`network_credentials`): what the subscriber's
//! router presents to RADIUS.
//!
//! - **PPPoE** (every service gets these when it is created, by a trigger of the schema, so
//!   that every way of creating a service, the seed's `COPY` and other systems included,
//!   gives them): the username is the account number, a hyphen and the service's position
//!   among the account's credentials (`10000001-1` for an account's first service,
//!   `10000001-2` for its second; the next free number if a username was changed to that);
//!   the password is 16 characters from `abcdefghijkmnpqrstuvwxyz23456789` (80 bits from
//!   PostgreSQL's strong random source; no l, o, 0 or 1, so it can be read out over the
//!   phone). It is stored readable: CHAP and MS-CHAP, which PPPoE uses, need the cleartext
//!   at the RADIUS server.
//! - **IPoE**: the circuit id or MAC address the NAS sends as User-Name, no password
//!   (RADIUS accepts it by name: `Auth-Type := Accept`).
//!
//! Any change here reaches RADIUS through the provisioning outbox (a trigger queues it),
//! and takes effect at the subscriber's next connection.

use rand::Rng;
use sqlx::PgConnection;

use crate::error::EngineError;

/// The characters of a generated password.
pub const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// Length of a generated password.
pub const PASSWORD_LENGTH: usize = 16;

/// A service's credentials.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Credentials {
    pub service_id: i64,
    /// `pppoe` or `ipoe`.
    pub kind: String,
    pub username: String,
    /// PPPoE only.
    pub password: Option<String>,
    pub changed_at: chrono::DateTime<chrono::Utc>,
}

/// The credentials of `service_id`, if it has any.
pub async fn for_service(
    conn: &mut PgConnection,
    service_id: i64,
) -> Result<Option<Credentials>, EngineError> {
    Ok(sqlx::query_as(
        "select service_id, kind, username, password, changed_at
           from network_credentials where service_id = $1",
    )
    .bind(service_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// A new random password (the operating system's random source).
pub fn generate_password() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..PASSWORD_LENGTH)
        .map(|_| char::from(PASSWORD_ALPHABET[rng.gen_range(0..PASSWORD_ALPHABET.len())]))
        .collect()
}

/// Why `username` cannot be a network username, if it cannot: printable ASCII without
/// spaces, 3 to 253 characters (as the schema checks).
pub fn check_username(username: &str) -> Result<(), String> {
    if (3..=253).contains(&username.len()) && username.chars().all(|c| c.is_ascii_graphic()) {
        Ok(())
    } else {
        Err("Use 3 to 253 letters, digits or symbols, without spaces.".into())
    }
}

/// Why `password` cannot be a PPPoE password, if it cannot: printable ASCII without spaces,
/// 8 to 64 characters (as the schema checks).
pub fn check_password(password: &str) -> Result<(), String> {
    if (8..=64).contains(&password.len()) && password.chars().all(|c| c.is_ascii_graphic()) {
        Ok(())
    } else {
        Err("Use 8 to 64 letters, digits or symbols, without spaces.".into())
    }
}

/// Gives the PPPoE service `service_id` of `account_id` a new random password; returns it.
pub async fn reset_password(
    conn: &mut PgConnection,
    account_id: i64,
    service_id: i64,
) -> Result<String, EngineError> {
    let password = generate_password();
    set_password(conn, account_id, service_id, &password).await?;
    Ok(password)
}

/// Sets the PPPoE password of the service `service_id` of `account_id`.
pub async fn set_password(
    conn: &mut PgConnection,
    account_id: i64,
    service_id: i64,
    password: &str,
) -> Result<(), EngineError> {
    check_password(password).map_err(|message| EngineError::InvalidField {
        field: "password",
        message,
    })?;
    let updated = sqlx::query(
        "update network_credentials set password = $3
          where service_id = $1 and account_id = $2 and kind = 'pppoe'",
    )
    .bind(service_id)
    .bind(account_id)
    .bind(password)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(EngineError::NotFound);
    }
    Ok(())
}

/// Sets the username of the service `service_id` of `account_id`; a username another
/// service has is refused.
pub async fn set_username(
    conn: &mut PgConnection,
    account_id: i64,
    service_id: i64,
    username: &str,
) -> Result<(), EngineError> {
    check_username(username).map_err(|message| EngineError::InvalidField {
        field: "username",
        message,
    })?;
    let updated = sqlx::query(
        "update network_credentials set username = $3 where service_id = $1 and account_id = $2",
    )
    .bind(service_id)
    .bind(account_id)
    .bind(username)
    .execute(&mut *conn)
    .await;
    match updated {
        Ok(done) if done.rows_affected() == 0 => Err(EngineError::NotFound),
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e))
            if e.constraint() == Some("network_credentials_username_key") =>
        {
            Err(EngineError::InvalidField {
                field: "username",
                message: "Another service already uses this username.".into(),
            })
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_from_the_alphabet_and_differ() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.len(), PASSWORD_LENGTH);
        assert!(a.bytes().all(|c| PASSWORD_ALPHABET.contains(&c)), "{a}");
        assert!(check_password(&a).is_ok());
        assert_ne!(a, b);
    }

    #[test]
    fn usernames_and_passwords_are_checked_as_the_schema_does() {
        assert!(check_username("10000001-1").is_ok());
        assert!(check_username("ab").is_err());
        assert!(check_username("has space").is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("long-enough").is_ok());
    }
}

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
//! A password chosen or reset later follows the rules of
//! [`super::credential_changes`], the one place they are written; a reset draws from
//! [`PASSWORD_ALPHABET`] like the schema does.
//!
//! Any change here reaches RADIUS through the provisioning outbox (a trigger queues it),
//! and takes effect at the subscriber's next connection.

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

/// Why `username` cannot be a network username, if it cannot: printable ASCII without
/// spaces, 3 to 253 characters (as the schema checks).
pub fn check_username(username: &str) -> Result<(), String> {
    if (3..=253).contains(&username.len()) && username.chars().all(|c| c.is_ascii_graphic()) {
        Ok(())
    } else {
        Err("Use 3 to 253 letters, digits or symbols, without spaces.".into())
    }
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
    fn usernames_are_checked_as_the_schema_does() {
        assert!(check_username("10000001-1").is_ok());
        assert!(check_username("ab").is_err());
        assert!(check_username("has space").is_err());
    }
}

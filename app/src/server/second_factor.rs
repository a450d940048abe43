//! A subscriber's opt-in second factor: an authenticator app's code (TOTP, the staff's own
//! `staff::totp` rules) and ten single-use recovery codes.
//!
//! - Setting it up: [`start`] makes a secret, sealed under the TOTP key ring and bound to the
//!   login ([`context`]); it counts once [`confirm`] is given a code from it, which also
//!   makes the recovery codes (shown once, stored as hashes).
//! - Signing in with it on: the password, then [`check`] (a code, accepted once, or a
//!   recovery code, used up).
//! - Turning it off: the subscriber with a current code ([`turn_off`]), or staff with the
//!   support right when the phone is lost ([`reset_by_staff`], audited, the subscriber
//!   emailed).

use sqlx::{PgConnection, PgPool};

use super::staff::totp;
use super::staff::totp_keys::TotpKeys;
use crate::error::AppError;

/// What a login's sealed secret is bound to: it opens for that login only.
pub fn context(login_id: i64) -> String {
    format!("portal-login-totp:{login_id}")
}

/// The login's second factor, as its pages show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub enabled: bool,
    /// Recovery codes not yet used.
    pub recovery_left: i64,
}

pub async fn status(pool: &PgPool, login_id: i64) -> Result<Status, AppError> {
    let (enabled, left): (bool, i64) = sqlx::query_as(
        "select l.totp_enabled_at is not null,
                (select count(*) from portal_recovery_codes c
                  where c.login_id = l.id and c.used_at is null)
           from portal_logins l where l.id = $1",
    )
    .bind(login_id)
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Status {
        enabled,
        recovery_left: left,
    })
}

/// What setting up shows: the secret to type into the app, and the `otpauth://` address a
/// QR code would carry.
#[derive(Debug, Clone)]
pub struct Setup {
    pub secret_base32: String,
    pub uri: String,
}

/// Starts setting up (or starts again): a new secret, not yet counted. Refused while one is
/// on: turn it off first.
pub async fn start(
    pool: &PgPool,
    keys: &TotpKeys,
    login_id: i64,
    issuer: &str,
) -> Result<Setup, AppError> {
    let secret = totp::new_secret();
    let sealed = keys.seal_for(&context(login_id), &secret);
    let email: Option<String> = sqlx::query_scalar(
        "update portal_logins set totp_sealed = $2, totp_key_id = $3, totp_last_step = null
          where id = $1 and totp_enabled_at is null and disabled_at is null
          returning email::text",
    )
    .bind(login_id)
    .bind(&sealed.bytes)
    .bind(&sealed.key_id)
    .fetch_optional(pool)
    .await?;
    let Some(email) = email else {
        return Err(AppError::Conflict {
            message: "An authenticator app is already set up. Turn it off first to set up another."
                .into(),
        });
    };
    let uri = totp::provisioning_uri(issuer, &email, &secret)
        .ok_or_else(|| AppError::internal("totp uri", "secret too short"))?;
    Ok(Setup {
        secret_base32: totp::secret_base32(&secret),
        uri,
    })
}

fn wrong_code() -> AppError {
    AppError::InvalidInput {
        field: "code".into(),
        message: "That code is not right, or was already used. Enter the current code.".into(),
    }
}

/// The login's secret (set up or being set up) and the last step accepted.
async fn secret(
    conn: &mut PgConnection,
    keys: &TotpKeys,
    login_id: i64,
) -> Result<Option<(Vec<u8>, Option<i64>)>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        totp_sealed: Option<Vec<u8>>,
        totp_key_id: Option<String>,
        totp_last_step: Option<i64>,
    }
    let row: Option<Row> = sqlx::query_as(
        "select totp_sealed, totp_key_id, totp_last_step from portal_logins
          where id = $1 and disabled_at is null for update",
    )
    .bind(login_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(Row {
        totp_sealed: Some(sealed),
        totp_key_id: Some(key_id),
        totp_last_step: last,
    }) = row
    else {
        return Ok(None);
    };
    match keys.open_for(&context(login_id), &key_id, &sealed) {
        Ok(secret) => Ok(Some((secret, last))),
        Err(e) => {
            // Only an operator can mend this (configure the old key), or staff reset it.
            tracing::error!(login_id, error = %e, "a subscriber's TOTP secret cannot be opened");
            Ok(None)
        }
    }
}

/// Accepts a TOTP code once: records its step. `None` when it is wrong or used.
async fn accept_code(
    conn: &mut PgConnection,
    keys: &TotpKeys,
    login_id: i64,
    code: &str,
) -> Result<bool, AppError> {
    let Some((secret, last)) = secret(conn, keys, login_id).await? else {
        return Ok(false);
    };
    let now = chrono::Utc::now().timestamp();
    let Some(step) = totp::verify(&secret, code.trim(), now, last) else {
        return Ok(false);
    };
    sqlx::query("update portal_logins set totp_last_step = $2 where id = $1")
        .bind(login_id)
        .bind(step)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// Finishes setting up with a code from the app: from now on it is asked at sign-in.
/// Answers the ten recovery codes, shown once.
pub async fn confirm(
    pool: &PgPool,
    keys: &TotpKeys,
    login_id: i64,
    code: &str,
) -> Result<Vec<String>, AppError> {
    let mut tx = pool.begin().await?;
    let pending: Option<bool> = sqlx::query_scalar(
        "select totp_enabled_at is null and totp_sealed is not null from portal_logins where id = $1",
    )
    .bind(login_id)
    .fetch_optional(&mut *tx)
    .await?;
    if pending != Some(true) {
        return Err(AppError::Conflict {
            message: "There is nothing to confirm: start setting up the app again.".into(),
        });
    }
    if !accept_code(&mut tx, keys, login_id, code).await? {
        return Err(wrong_code());
    }
    let codes = totp::new_recovery_codes();
    replace_recovery_codes(&mut tx, login_id, &codes).await?;
    sqlx::query("update portal_logins set totp_enabled_at = now() where id = $1")
        .bind(login_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(codes)
}

async fn replace_recovery_codes(
    conn: &mut PgConnection,
    login_id: i64,
    codes: &[String],
) -> Result<(), AppError> {
    sqlx::query("delete from portal_recovery_codes where login_id = $1 and used_at is null")
        .bind(login_id)
        .execute(&mut *conn)
        .await?;
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    sqlx::query(
        "insert into portal_recovery_codes (login_id, code_hash) select $1, unnest($2::text[])",
    )
    .bind(login_id)
    .bind(&hashes)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether the login asks for a second factor at sign-in.
pub async fn required(pool: &PgPool, login_id: i64) -> Result<bool, AppError> {
    Ok(
        sqlx::query_scalar("select totp_enabled_at is not null from portal_logins where id = $1")
            .bind(login_id)
            .fetch_optional(pool)
            .await?
            .unwrap_or(false),
    )
}

/// The second step of signing in: a current code (accepted once) or an unused recovery code
/// (then used up). The check and its record are one transaction with the login locked, so
/// two requests with the same code cannot both pass.
pub async fn check(
    pool: &PgPool,
    keys: &TotpKeys,
    login_id: i64,
    code: &str,
) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let ok = if totp::looks_like_recovery_code(code) {
        let used: Option<i64> = sqlx::query_scalar(
            "update portal_recovery_codes set used_at = now()
              where login_id = $1 and code_hash = $2 and used_at is null returning id",
        )
        .bind(login_id)
        .bind(totp::recovery_code_hash(code))
        .fetch_optional(&mut *tx)
        .await?;
        if used.is_some() {
            tracing::warn!(login_id, "a subscriber's recovery code was used");
        }
        used.is_some()
    } else {
        accept_code(&mut tx, keys, login_id, code).await?
    };
    tx.commit().await?;
    Ok(ok)
}

async fn clear(conn: &mut PgConnection, login_id: i64) -> Result<bool, AppError> {
    sqlx::query("delete from portal_recovery_codes where login_id = $1 and used_at is null")
        .bind(login_id)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query(
        "update portal_logins set totp_sealed = null, totp_key_id = null, totp_last_step = null,
                totp_enabled_at = null
          where id = $1 and totp_sealed is not null",
    )
    .bind(login_id)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
}

/// The subscriber turns it off, with a current code or a recovery code.
pub async fn turn_off(
    pool: &PgPool,
    keys: &TotpKeys,
    login_id: i64,
    code: &str,
) -> Result<(), AppError> {
    if !required(pool, login_id).await? {
        return Err(AppError::Conflict {
            message: "No authenticator app is set up.".into(),
        });
    }
    if !check(pool, keys, login_id, code).await? {
        return Err(wrong_code());
    }
    let mut tx = pool.begin().await?;
    clear(&mut tx, login_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Staff turn it off for a subscriber who lost their phone and codes, in the caller's
/// transaction (which records the audit entry). Answers whether there was one to turn off.
pub async fn reset_by_staff(conn: &mut PgConnection, login_id: i64) -> Result<bool, AppError> {
    clear(conn, login_id).await
}

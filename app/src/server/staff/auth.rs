//! Staff sign-in: the password (argon2id, throttled like subscribers'), then a second factor,
//! a TOTP code from an authenticator app or one of the recovery codes. A TOTP code is accepted
//! once (the last step used is kept); a recovery code is used once.
//!
//! Enrolment (a new secret and new recovery codes) is done from the command line
//! (`lastmile staff add`, `lastmile staff reset-2fa`): a staff member without a secret cannot
//! sign in. Secrets are stored sealed (see [`super::totp_keys`]).

use sqlx::PgPool;

use super::totp;
use super::totp_keys::{StoredSecret, TotpKeys};
use crate::error::AppError;
use crate::server::auth;

/// What sign-in needs of a staff user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffRecord {
    pub id: i64,
    pub password_hash: String,
    /// Has a second factor (a staff member without one cannot sign in).
    pub enrolled: bool,
    pub disabled: bool,
}

pub async fn find(pool: &PgPool, email: &str) -> Result<Option<StaffRecord>, AppError> {
    Ok(sqlx::query_as::<_, StaffRecord>(
        "select id, password_hash, (totp_sealed is not null or totp_secret is not null) as enrolled,
                disabled_at is not null as disabled
           from staff_users where email = $1",
    )
    .bind(email.trim())
    .fetch_optional(pool)
    .await?)
}

/// The throttle key of a staff password: the staff member once found (so however the email
/// is typed, it is one count), else the email's fingerprint (kept apart from subscribers').
pub fn password_key(staff: Option<&StaffRecord>, email: &str) -> String {
    match staff {
        Some(staff) => format!("staff:{}", staff.id),
        None => auth::fingerprint(&format!("staff:{}", email.trim().to_lowercase())),
    }
}

/// The throttle key of a staff member's second factor.
pub fn second_factor_key(staff_id: i64) -> String {
    format!("staff-2fa:{staff_id}")
}

/// Checks a second factor: a six-digit TOTP code (accepted once) or an unused recovery code
/// (then used up). The check and the record that it was used are one statement, so two
/// requests racing with the same code cannot both pass.
pub async fn second_factor(
    pool: &PgPool,
    keys: &TotpKeys,
    staff_id: i64,
    code: &str,
) -> Result<bool, AppError> {
    if totp::looks_like_recovery_code(code) {
        let used: Option<i64> = sqlx::query_scalar(
            "update staff_recovery_codes set used_at = now()
              where staff_user_id = $1 and code_hash = $2 and used_at is null returning id",
        )
        .bind(staff_id)
        .bind(totp::recovery_code_hash(code))
        .fetch_optional(pool)
        .await?;
        if used.is_some() {
            tracing::warn!(staff_id, "a staff recovery code was used");
        }
        return Ok(used.is_some());
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        totp_last_step: Option<i64>,
        #[sqlx(flatten)]
        stored: StoredSecret,
    }
    let row: Option<Row> = sqlx::query_as(
        "select totp_secret, totp_sealed, totp_key_id, totp_last_step
           from staff_users where id = $1 and disabled_at is null",
    )
    .bind(staff_id)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let last_step = row.totp_last_step;
    let secret = match row.stored.open(keys, staff_id) {
        Ok(Some(secret)) => secret,
        Ok(None) => return Ok(false),
        Err(e) => {
            // Only an operator can mend this (configure the old key, or reset-2fa).
            tracing::error!(staff_id, error = %e, "a staff TOTP secret cannot be opened");
            return Ok(false);
        }
    };
    let now = chrono::Utc::now().timestamp();
    let Some(step) = totp::verify(&secret, code, now, last_step) else {
        return Ok(false);
    };
    let accepted: Option<i64> = sqlx::query_scalar(
        "update staff_users set totp_last_step = $2
          where id = $1 and (totp_last_step is null or totp_last_step < $2) returning id",
    )
    .bind(staff_id)
    .bind(step)
    .fetch_optional(pool)
    .await?;
    Ok(accepted.is_some())
}

/// What a staff member is given at enrolment: shown once, never stored in clear.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret: Vec<u8>,
    pub recovery_codes: Vec<String>,
}

/// Gives a staff member a new TOTP secret and new recovery codes (the old ones stop working).
/// The secret is stored sealed under the current key.
pub async fn enrol(pool: &PgPool, keys: &TotpKeys, staff_id: i64) -> Result<Enrolment, AppError> {
    enrol_with(pool, keys, staff_id, totp::new_secret()).await
}

/// The same with a chosen secret (the demo's staff have a published one).
pub async fn enrol_with(
    pool: &PgPool,
    keys: &TotpKeys,
    staff_id: i64,
    secret: Vec<u8>,
) -> Result<Enrolment, AppError> {
    let recovery_codes = totp::new_recovery_codes();
    let sealed = keys.seal(staff_id, &secret);
    let mut tx = pool.begin().await?;
    let found = sqlx::query(
        "update staff_users set totp_sealed = $2, totp_key_id = $3, totp_secret = null, totp_last_step = null
          where id = $1",
    )
    .bind(staff_id)
    .bind(&sealed.bytes)
    .bind(&sealed.key_id)
    .execute(&mut *tx)
    .await?;
    if found.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    sqlx::query("delete from staff_recovery_codes where staff_user_id = $1 and used_at is null")
        .bind(staff_id)
        .execute(&mut *tx)
        .await?;
    for code in &recovery_codes {
        sqlx::query("insert into staff_recovery_codes (staff_user_id, code_hash) values ($1, $2)")
            .bind(staff_id)
            .bind(totp::recovery_code_hash(code))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "insert into audit_log (actor_kind, action, detail) values ('system', 'staff.second_factor_enrolled', jsonb_build_object('staff_user_id', $1::bigint))",
    )
    .bind(staff_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Enrolment {
        secret,
        recovery_codes,
    })
}

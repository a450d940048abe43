//! Staff users, created from the command line (the first administrator comes from here).

use anyhow::bail;
use sqlx::PgPool;

pub const ROLES: [&str; 3] = ["support_rep", "billing", "admin"];

/// Creates a staff user with an argon2id password hash.
pub async fn add(
    pool: &PgPool,
    email: &str,
    name: &str,
    role: &str,
    password: &str,
) -> anyhow::Result<i64> {
    let email = email.trim();
    if !email.contains('@') || email.len() > 200 {
        bail!("--email must be an email address");
    }
    if name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    if !ROLES.contains(&role) {
        bail!("--role must be one of {}", ROLES.join(", "));
    }
    if password.chars().count() < 12 {
        bail!("the password (read from standard input) must have at least 12 characters");
    }
    let hash = app::server::auth::hash_password(password.to_string())
        .await
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    let id = sqlx::query_scalar::<_, i64>(
        "insert into staff_users (email, display_name, role, password_hash) values ($1, $2, $3, $4)
         on conflict (email) do nothing returning id",
    )
    .bind(email)
    .bind(name.trim())
    .bind(role)
    .bind(hash)
    .fetch_optional(pool)
    .await?;
    match id {
        Some(id) => Ok(id),
        None => bail!("a staff user with the email {email} already exists"),
    }
}

/// Seals every staff authenticator secret not yet under the current key (see
/// `app::server::staff::totp_keys`): at start-up and by `lastmile staff rotate-totp-key`.
/// Secrets that cannot be read are logged by staff email and key; their owners cannot sign in
/// until their key is configured again or they are given a new secret (`reset-2fa`).
pub async fn reseal_totp_secrets(
    pool: &PgPool,
    keys: &app::server::staff::totp_keys::TotpKeys,
) -> anyhow::Result<app::server::staff::totp_keys::Resealed> {
    let done = app::server::staff::totp_keys::reseal_all(pool, keys)
        .await
        .map_err(|e| anyhow::anyhow!("re-encrypting the staff authenticator secrets: {e}"))?;
    if done.from_clear + done.from_old_keys + done.webhook_secrets + done.login_secrets > 0 {
        tracing::info!(
            key_id = keys.current_id(),
            from_clear = done.from_clear,
            from_old_keys = done.from_old_keys,
            webhook_secrets = done.webhook_secrets,
            login_secrets = done.login_secrets,
            "staff authenticator secrets re-encrypted under the current key"
        );
    }
    for (email, error) in &done.unreadable {
        tracing::error!(%email, %error, "a staff authenticator secret cannot be read");
    }
    Ok(done)
}

//! Settings, read once from the environment at start. A bad value stops the server with the
//! name of the variable; secrets are kept in `SecretString` and never printed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Context};
use secrecy::SecretString;

/// Everything configurable, with its environment variable.
pub struct Settings {
    /// `DATABASE_URL`: the billing database.
    pub database_url: SecretString,
    /// `LASTMILE_DB_POOL_SIZE` (default 16).
    pub pool_size: u32,
    /// `LASTMILE_LISTEN` (default `127.0.0.1:3000`).
    pub listen: SocketAddr,
    /// `LASTMILE_PUBLIC_URL`: where subscribers reach the portal (default `http://<listen>`).
    /// An `https://` URL turns on Secure cookies and HSTS.
    pub public_url: String,
    /// `LASTMILE_SITE_ROOT`: the built site (default `target/site`).
    pub site_root: PathBuf,
    /// `LASTMILE_SESSION_IDLE_MINUTES` (default 30).
    pub session_idle: Duration,
    /// `LASTMILE_SESSION_ABSOLUTE_HOURS` (default 12).
    pub session_absolute: Duration,
    /// `LASTMILE_RESET_LINK_MINUTES` (default 60).
    pub reset_link_ttl: Duration,
    /// `LASTMILE_SMTP_URL`, e.g. `smtps://user:password@mail.example.net` (unset: emails are
    /// written to `LASTMILE_MAIL_DIR` instead).
    pub smtp_url: Option<SecretString>,
    /// `LASTMILE_MAIL_FROM` (default `Lastmile <no-reply@example.net>`).
    pub mail_from: String,
    /// `LASTMILE_MAIL_DIR` (default `target/mail`).
    pub mail_dir: PathBuf,
    /// `LASTMILE_PROVIDER_NAME` (default `Lastmile Broadband`).
    pub provider_name: String,
    /// `LASTMILE_STRIPE_JS_URL`: the one foreign script the pages may load
    /// (default `https://js.stripe.com/v3/`).
    pub stripe_js_url: String,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &"[redacted]")
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn number<T: std::str::FromStr>(name: &str, default: T, unit: &str) -> anyhow::Result<T> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| anyhow!("{name} must be a whole number of {unit}, got {v:?}")),
    }
}

/// `DATABASE_URL`, required by every command that touches the database.
pub fn database_url() -> anyhow::Result<SecretString> {
    let url = var("DATABASE_URL").ok_or_else(|| {
        anyhow!("DATABASE_URL is not set (for example postgres://user@localhost:5432/lastmile)")
    })?;
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(anyhow!(
            "DATABASE_URL must start with postgres:// or postgresql://"
        ));
    }
    Ok(SecretString::from(url))
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Settings> {
        let listen_text = var("LASTMILE_LISTEN")
            .or_else(|| var("LEPTOS_SITE_ADDR"))
            .unwrap_or_else(|| "127.0.0.1:3000".into());
        let listen: SocketAddr = listen_text
            .parse()
            .with_context(|| format!("LASTMILE_LISTEN must be an address and port like 127.0.0.1:3000, got {listen_text:?}"))?;
        let public_url = var("LASTMILE_PUBLIC_URL").unwrap_or_else(|| format!("http://{listen}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(anyhow!(
                "LASTMILE_PUBLIC_URL must start with http:// or https://, got {public_url:?}"
            ));
        }
        let smtp_url = var("LASTMILE_SMTP_URL").map(SecretString::from);
        Ok(Settings {
            database_url: database_url()?,
            pool_size: number("LASTMILE_DB_POOL_SIZE", 16, "connections")?,
            listen,
            public_url: public_url.trim_end_matches('/').to_string(),
            site_root: var("LASTMILE_SITE_ROOT")
                .or_else(|| var("LEPTOS_SITE_ROOT"))
                .unwrap_or_else(|| "target/site".into())
                .into(),
            session_idle: Duration::from_secs(
                60 * number("LASTMILE_SESSION_IDLE_MINUTES", 30u64, "minutes")?,
            ),
            session_absolute: Duration::from_secs(
                3600 * number("LASTMILE_SESSION_ABSOLUTE_HOURS", 12u64, "hours")?,
            ),
            reset_link_ttl: Duration::from_secs(
                60 * number("LASTMILE_RESET_LINK_MINUTES", 60u64, "minutes")?,
            ),
            smtp_url,
            mail_from: var("LASTMILE_MAIL_FROM")
                .unwrap_or_else(|| "Lastmile <no-reply@example.net>".into()),
            mail_dir: var("LASTMILE_MAIL_DIR")
                .unwrap_or_else(|| "target/mail".into())
                .into(),
            provider_name: var("LASTMILE_PROVIDER_NAME")
                .unwrap_or_else(|| "Lastmile Broadband".into()),
            stripe_js_url: var("LASTMILE_STRIPE_JS_URL")
                .unwrap_or_else(|| "https://js.stripe.com/v3/".into()),
        })
    }

    /// Behind https: Secure cookies and HSTS.
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

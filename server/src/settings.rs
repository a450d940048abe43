//! Settings, read once from the environment at start. A bad value stops the server with the
//! name of the variable; secrets are kept in `SecretString` and never printed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use app::server::client::TrustedProxies;
use app::server::staff::totp_keys::{TotpKeys, Which};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};

use crate::documents::{self, Logo, Provider};

/// `LASTMILE_PROVIDER_ADDRESS` when unset: a made-up address for the demo provider.
const DEMO_PROVIDER_ADDRESS: &str = "1 Exchange Street|Springfield, OR 97477|billing@example.net";

/// Everything configurable, with its environment variable.
pub struct Settings {
    /// `DATABASE_URL`: the billing database.
    pub database_url: SecretString,
    /// `LASTMILE_DB_POOL_SIZE` (default 16).
    pub pool_size: u32,
    /// `LASTMILE_LISTEN` (default `127.0.0.1:3000`).
    pub listen: SocketAddr,
    /// `LASTMILE_TRUSTED_PROXIES`: the operator's proxies in front of the instances
    /// (addresses and networks, comma-separated; none by default), whose
    /// `X-Forwarded-For` names the client for the sign-in throttle and the audit log.
    pub trusted_proxies: TrustedProxies,
    /// `LASTMILE_METRICS_LISTEN`: where Prometheus metrics are served (unset: nowhere), an
    /// address apart from the public listener.
    pub metrics_listen: Option<SocketAddr>,
    /// `LASTMILE_DRAIN_SECONDS` (default 0, at most 300): after SIGTERM, how long the
    /// instance answers `/readyz` with 503 while still serving, so that the load balancer
    /// stops sending it requests before it stops listening.
    pub drain: Duration,
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
    /// `LASTMILE_SUPPORT_VIEW_MINUTES` (default 30, at most 480): how long staff may view an
    /// account as its subscriber.
    pub support_view_ttl: Duration,
    /// `LASTMILE_SMTP_URL`, e.g. `smtps://user:password@mail.example.net` (unset: emails are
    /// written to `LASTMILE_MAIL_DIR` instead).
    pub smtp_url: Option<SecretString>,
    /// `LASTMILE_MAIL_FROM` (default `Lastmile <no-reply@example.net>`).
    pub mail_from: String,
    /// `LASTMILE_MAIL_DIR` (default `target/mail`).
    pub mail_dir: PathBuf,
    /// `LASTMILE_PROVIDER_NAME` (default `Lastmile Broadband`).
    pub provider_name: String,
    /// `LASTMILE_PROVIDER_ADDRESS`: the lines under the name on statements, separated by `|`
    /// or new lines (default: a demo address).
    pub provider_address: Vec<String>,
    /// `LASTMILE_PROVIDER_LOGO`: a PNG file for the statements' letterhead, read and checked
    /// here, once (unset: no logo).
    pub provider_logo: Option<Logo>,
    /// `LASTMILE_STRIPE_JS_URL`: the one foreign script the pages may load
    /// (default `https://js.stripe.com/v3/`).
    pub stripe_js_url: String,
    /// `LASTMILE_TOTP_KEY` and `LASTMILE_TOTP_OLD_KEYS`: see [`totp_keys`].
    pub totp_keys: Arc<TotpKeys>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &"[redacted]")
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "[redacted]"))
            .field("provider_logo", &self.provider_logo)
            .field("totp_keys", &self.totp_keys)
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
            trusted_proxies: TrustedProxies::parse(
                &var("LASTMILE_TRUSTED_PROXIES").unwrap_or_default(),
            )
            .map_err(|e| anyhow!("LASTMILE_TRUSTED_PROXIES: {e}"))?,
            metrics_listen: var("LASTMILE_METRICS_LISTEN")
                .map(|text| {
                    text.trim().parse().with_context(|| {
                        format!("LASTMILE_METRICS_LISTEN must be an address and port like 10.0.0.5:9100, got {text:?}")
                    })
                })
                .transpose()?,
            drain: Duration::from_secs(match number("LASTMILE_DRAIN_SECONDS", 0u64, "seconds")? {
                s @ 0..=300 => s,
                s => anyhow::bail!("LASTMILE_DRAIN_SECONDS must be 0 to 300 seconds, not {s}"),
            }),
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
            support_view_ttl: Duration::from_secs(
                60 * match number("LASTMILE_SUPPORT_VIEW_MINUTES", 30u64, "minutes")? {
                    m @ 1..=480 => m,
                    m => anyhow::bail!(
                        "LASTMILE_SUPPORT_VIEW_MINUTES must be 1 to 480 minutes, not {m}"
                    ),
                },
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
            provider_address: documents::address_lines(
                &var("LASTMILE_PROVIDER_ADDRESS").unwrap_or_else(|| DEMO_PROVIDER_ADDRESS.into()),
            ),
            provider_logo: var("LASTMILE_PROVIDER_LOGO")
                .map(|path| {
                    Logo::load(Path::new(path.trim()))
                        .map_err(|e| anyhow!("LASTMILE_PROVIDER_LOGO: {e}"))
                })
                .transpose()?,
            stripe_js_url: var("LASTMILE_STRIPE_JS_URL")
                .unwrap_or_else(|| "https://js.stripe.com/v3/".into()),
            totp_keys: Arc::new(totp_keys()?),
        })
    }

    /// Behind https: Secure cookies and HSTS.
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The letterhead printed on statements.
    pub fn provider(&self) -> Provider {
        Provider {
            name: self.provider_name.clone(),
            address: self.provider_address.clone(),
            logo: self.provider_logo.clone(),
        }
    }
}

/// The keys that seal staff TOTP secrets at rest, required by `serve`, `seed` and the `staff`
/// commands: `LASTMILE_TOTP_KEY`, the current key, written `<id>:<32 bytes in base64>` (e.g.
/// `k1:` and the output of `openssl rand -base64 32`); `LASTMILE_TOTP_OLD_KEYS`, older keys
/// the same way, comma-separated, only read (while rotating: see the README).
pub fn totp_keys() -> anyhow::Result<TotpKeys> {
    let current = var("LASTMILE_TOTP_KEY")
        .map(SecretString::from)
        .ok_or_else(|| {
            anyhow!(
                "LASTMILE_TOTP_KEY is not set: it encrypts the staff's authenticator secrets \
             (a key id, a colon and 32 random bytes in base64, e.g. k1:$(openssl rand -base64 32))"
            )
        })?;
    let old = var("LASTMILE_TOTP_OLD_KEYS").map(SecretString::from);
    TotpKeys::parse(
        current.expose_secret(),
        old.as_ref().map(|o| o.expose_secret()),
    )
    .map_err(|(which, e)| match which {
        Which::Current => anyhow!("LASTMILE_TOTP_KEY: {e}"),
        Which::Old => anyhow!("LASTMILE_TOTP_OLD_KEYS: {e}"),
    })
}

/// The billing engine's settings (the bill-run and dunning commands need only these):
/// `LASTMILE_TIME_ZONE` (the provider's, an IANA name; default America/Chicago),
/// `LASTMILE_PAYMENT_TERMS_DAYS` (default 21), `LASTMILE_BILL_RUN_BATCH` (accounts per
/// transaction, default 500), `LASTMILE_BILL_RUN_WORKERS` (default 2), and the provider
/// name and public URL as for the portal; `LASTMILE_UPGRADES` and `LASTMILE_DOWNGRADES`
/// (`immediately` or `next_cycle`; defaults: upgrades at once, downgrades next cycle);
/// `LASTMILE_CARD_MIN` and `LASTMILE_CARD_MAX` (card payment limits, default 1.00 and
/// 5000.00).
pub fn engine_config() -> anyhow::Result<engine::EngineConfig> {
    let defaults = engine::EngineConfig::default();
    let time_zone = match var("LASTMILE_TIME_ZONE") {
        Some(name) => name.parse::<chrono_tz::Tz>().map_err(|_| {
            anyhow!(
                "LASTMILE_TIME_ZONE must be an IANA time zone like America/Chicago, got {name:?}"
            )
        })?,
        None => defaults.time_zone,
    };
    let terms: u32 = number("LASTMILE_PAYMENT_TERMS_DAYS", 21, "days")?;
    if terms > 90 {
        return Err(anyhow!(
            "LASTMILE_PAYMENT_TERMS_DAYS must be at most 90, got {terms}"
        ));
    }
    let listen = var("LASTMILE_LISTEN").unwrap_or_else(|| "127.0.0.1:3000".into());
    let timing = |name: &str, default: engine::config::Timing| match var(name) {
        None => Ok(default),
        Some(text) => engine::config::Timing::parse(&text)
            .ok_or_else(|| anyhow!("{name} must be immediately or next_cycle, got {text:?}")),
    };
    let plan_changes = engine::config::PlanChangePolicy {
        upgrades: timing("LASTMILE_UPGRADES", defaults.plan_changes.upgrades)?,
        downgrades: timing("LASTMILE_DOWNGRADES", defaults.plan_changes.downgrades)?,
    };
    let amount = |name: &str, default: Decimal| match var(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<Decimal>()
            .ok()
            .filter(|a| *a > Decimal::ZERO && a.scale() <= 2)
            .ok_or_else(|| anyhow!("{name} must be a positive amount like 5000.00, got {text:?}")),
    };
    let card_limits = engine::config::CardLimits {
        min: amount("LASTMILE_CARD_MIN", defaults.card_limits.min)?,
        max: amount("LASTMILE_CARD_MAX", defaults.card_limits.max)?,
    };
    if card_limits.min > card_limits.max {
        return Err(anyhow!(
            "LASTMILE_CARD_MIN ({}) is more than LASTMILE_CARD_MAX ({})",
            card_limits.min,
            card_limits.max
        ));
    }
    Ok(engine::EngineConfig {
        stripe: stripe_settings()?
            .map(|settings| engine::cards::Stripe::new(settings).map(std::sync::Arc::new))
            .transpose()
            .map_err(|e| anyhow!("Stripe: {e}"))?,
        pay_links: pay_links()?,
        provider_name: var("LASTMILE_PROVIDER_NAME").unwrap_or(defaults.provider_name),
        public_url: var("LASTMILE_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_string(),
        time_zone,
        payment_terms_days: terms,
        batch_size: number("LASTMILE_BILL_RUN_BATCH", 500usize, "accounts")?.clamp(1, 10_000),
        workers: number("LASTMILE_BILL_RUN_WORKERS", 2usize, "transactions")?.clamp(1, 32),
        pause_between_batches: std::time::Duration::from_millis(number(
            "LASTMILE_BILL_RUN_PAUSE_MS",
            0u64,
            "milliseconds",
        )?),
        plan_changes,
        card_limits,
        support_inbox: var("LASTMILE_SUPPORT_EMAIL").unwrap_or(defaults.support_inbox),
        adjustment_limits: adjustment_limits(&defaults.adjustment_limits)?,
        data_cap: data_cap(&defaults.data_cap)?,
    })
}

/// `LASTMILE_USAGE_ALERTS` (percentages of the allowance, comma-separated, e.g.
/// `50,85,100`; `off` for none), `LASTMILE_DATA_ADDON_GB` and
/// `LASTMILE_DATA_ADDON_DISCOUNT_PERCENT`.
fn data_cap(
    defaults: &engine::config::DataCapPolicy,
) -> anyhow::Result<engine::config::DataCapPolicy> {
    let thresholds = match var("LASTMILE_USAGE_ALERTS") {
        None => defaults.thresholds.clone(),
        Some(text) if text.trim() == "off" => Vec::new(),
        Some(text) => {
            let mut list = text
                .split(',')
                .map(|t| t.trim().parse::<u32>().ok().filter(|t| (1..=1000).contains(t)))
                .collect::<Option<Vec<u32>>>()
                .ok_or_else(|| {
                    anyhow!("LASTMILE_USAGE_ALERTS must be percentages from 1 to 1000 separated by commas (like 50,85,100) or off, got {text:?}")
                })?;
            list.sort_unstable();
            list.dedup();
            list
        }
    };
    let addon_gigabytes = number(
        "LASTMILE_DATA_ADDON_GB",
        defaults.addon_gigabytes,
        "gigabytes",
    )?;
    if !(1..=100_000).contains(&addon_gigabytes) {
        return Err(anyhow!(
            "LASTMILE_DATA_ADDON_GB must be from 1 to 100000, got {addon_gigabytes}"
        ));
    }
    let addon_discount_percent = number(
        "LASTMILE_DATA_ADDON_DISCOUNT_PERCENT",
        defaults.addon_discount_percent,
        "percent",
    )?;
    if addon_discount_percent >= 100 {
        return Err(anyhow!(
            "LASTMILE_DATA_ADDON_DISCOUNT_PERCENT must be below 100 (an add-on is never free), got {addon_discount_percent}"
        ));
    }
    Ok(engine::config::DataCapPolicy {
        thresholds,
        addon_gigabytes,
        addon_discount_percent,
    })
}

/// `LASTMILE_ADJUST_LIMIT_<ROLE>` and `LASTMILE_ADJUST_DAILY_LIMIT_<ROLE>` (`REP`, `BILLING`,
/// `ADMIN`): what each role posts alone, per adjustment and per day. Zero is allowed for reps
/// (who post nothing alone by default); a day's limit below one adjustment's is refused.
fn adjustment_limits(
    defaults: &engine::config::AdjustmentLimits,
) -> anyhow::Result<engine::config::AdjustmentLimits> {
    // Billing staff and administrators approve others' adjustments: their limits are positive.
    let amount = |name: String, default: Decimal, zero_allowed: bool| match var(&name) {
        None => Ok(default),
        Some(text) => text
            .parse::<Decimal>()
            .ok()
            .filter(|a| (*a > Decimal::ZERO || (zero_allowed && a.is_zero())) && a.scale() <= 2)
            .ok_or_else(|| anyhow!("{name} must be an amount like 25.00, got {text:?}")),
    };
    let role = |suffix: &str, default: engine::config::RoleLimits| {
        let zero_allowed = suffix == "REP";
        let limits = engine::config::RoleLimits {
            per_adjustment: amount(
                format!("LASTMILE_ADJUST_LIMIT_{suffix}"),
                default.per_adjustment,
                zero_allowed,
            )?,
            per_day: amount(
                format!("LASTMILE_ADJUST_DAILY_LIMIT_{suffix}"),
                default.per_day,
                zero_allowed,
            )?,
        };
        if limits.per_day < limits.per_adjustment {
            return Err(anyhow!(
                "LASTMILE_ADJUST_DAILY_LIMIT_{suffix} ({}) is less than LASTMILE_ADJUST_LIMIT_{suffix} ({})",
                limits.per_day,
                limits.per_adjustment
            ));
        }
        Ok(limits)
    };
    Ok(engine::config::AdjustmentLimits {
        support_rep: role("REP", defaults.support_rep)?,
        billing: role("BILLING", defaults.billing)?,
        admin: role("ADMIN", defaults.admin)?,
    })
}

/// Card payments: on when `LASTMILE_STRIPE_SECRET_KEY` (`sk_…`) is set, with
/// `LASTMILE_STRIPE_PUBLISHABLE_KEY` (`pk_…`, required then), `LASTMILE_STRIPE_API_URL`
/// (default Stripe's; localstripe's in tests), `LASTMILE_STRIPE_JS_URL` (default Stripe's)
/// `LASTMILE_STRIPE_WEBHOOK_SECRETS` (`whsec_…`, comma-separated: old and new while a
/// secret is rotated; without one, webhooks are refused) and
/// `LASTMILE_STRIPE_ANSWER_WITHIN_SECS` (how long a call waits for Stripe's answer, default 20).
pub fn stripe_settings() -> anyhow::Result<Option<engine::cards::StripeSettings>> {
    let Some(secret_key) = var("LASTMILE_STRIPE_SECRET_KEY") else {
        return Ok(None);
    };
    if !(secret_key.starts_with("sk_") || secret_key.starts_with("rk_")) {
        return Err(anyhow!(
            "LASTMILE_STRIPE_SECRET_KEY must be a secret key starting sk_ (or a restricted key, rk_)"
        ));
    }
    let publishable_key = var("LASTMILE_STRIPE_PUBLISHABLE_KEY")
        .filter(|k| k.starts_with("pk_"))
        .ok_or_else(|| {
            anyhow!("LASTMILE_STRIPE_PUBLISHABLE_KEY (pk_…) is required with LASTMILE_STRIPE_SECRET_KEY")
        })?;
    let webhook_secrets: Vec<String> = var("LASTMILE_STRIPE_WEBHOOK_SECRETS")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(bad) = webhook_secrets.iter().find(|s| !s.starts_with("whsec_")) {
        return Err(anyhow!(
            "LASTMILE_STRIPE_WEBHOOK_SECRETS must be whsec_… secrets separated by commas, got one starting {:?}",
            bad.chars().take(6).collect::<String>()
        ));
    }
    let default_wait = engine::cards::ANSWER_WITHIN.as_secs();
    let wait: u64 = number(
        "LASTMILE_STRIPE_ANSWER_WITHIN_SECS",
        default_wait,
        "seconds",
    )?;
    if !(1..=120).contains(&wait) {
        return Err(anyhow!(
            "LASTMILE_STRIPE_ANSWER_WITHIN_SECS must be from 1 to 120 seconds, got {wait}"
        ));
    }
    Ok(Some(engine::cards::StripeSettings {
        secret_key,
        publishable_key,
        api_url: var("LASTMILE_STRIPE_API_URL").unwrap_or_else(|| "https://api.stripe.com/".into()),
        js_url: var("LASTMILE_STRIPE_JS_URL").unwrap_or_else(|| "https://js.stripe.com/v3/".into()),
        webhook_secrets,
        answer_within: std::time::Duration::from_secs(wait),
    }))
}

/// Pay-by-link: on when `LASTMILE_PAY_LINK_SECRET` (at least 32 characters) is set; links
/// work for `LASTMILE_PAY_LINK_DAYS` (default 45).
fn pay_links() -> anyhow::Result<Option<engine::cards::pay_link::PayLinks>> {
    let Some(secret) = var("LASTMILE_PAY_LINK_SECRET") else {
        return Ok(None);
    };
    if secret.len() < 32 {
        return Err(anyhow!(
            "LASTMILE_PAY_LINK_SECRET must be at least 32 characters (it signs payment links)"
        ));
    }
    let days: u64 = number("LASTMILE_PAY_LINK_DAYS", 45, "days")?;
    if !(1..=365).contains(&days) {
        return Err(anyhow!(
            "LASTMILE_PAY_LINK_DAYS must be 1 to 365, got {days}"
        ));
    }
    Ok(Some(engine::cards::pay_link::PayLinks {
        secret: secret.into_bytes(),
        ttl: Duration::from_secs(days * 86_400),
    }))
}

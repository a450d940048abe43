#![recursion_limit = "256"]
//! `lastmile`: the portal's server and its operator commands (the modules are in `lib.rs`).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use app::server::{Portal, PortalConfig};
use clap::{Parser, Subcommand};
use lastmile::{db, http, mail, seed, settings, staff};
use leptos::prelude::LeptosOptions;

#[derive(Parser)]
#[command(
    name = "lastmile",
    version,
    about = "Lastmile: subscriber portal and billing core for broadband providers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal (configuration from the environment; see the README).
    Serve,
    /// Apply database migrations that have not run yet.
    Migrate,
    /// Fill an empty database with generated data.
    Seed {
        /// Generate the demo ISP (required: seeding is only for demos and benchmarks).
        #[arg(long)]
        demo: bool,
        /// How many subscriber accounts.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(2..=1_000_000))]
        accounts: u32,
        /// The same seed always gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The day the data ends (default: today, UTC), YYYY-MM-DD.
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// Bill every account whose cycle day is DATE (or one account), and print a summary;
    /// or every day from --from to --to in order, to catch up days that were missed.
    BillRun {
        /// The provider-local issue date, YYYY-MM-DD.
        #[arg(long, value_parser = bill_run_date, required_unless_present = "from",
              conflicts_with_all = ["from", "to"])]
        date: Option<chrono::NaiveDate>,
        /// The first day of a range to bill, YYYY-MM-DD (each day is its own run; days
        /// already billed are skipped, so a range can be run again safely).
        #[arg(long, value_parser = bill_run_date)]
        from: Option<chrono::NaiveDate>,
        /// The last day of the range, YYYY-MM-DD (default: today, provider-local).
        #[arg(long, value_parser = bill_run_date, requires = "from")]
        to: Option<chrono::NaiveDate>,
        /// Compute everything and print it, write nothing (over a range, each day is
        /// previewed as if the days before it had not been billed).
        #[arg(long)]
        dry_run: bool,
        /// Only this account number.
        #[arg(long)]
        account: Option<String>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Take the dunning steps due on DATE (reminders, overdue notices, late fees, suspension).
    Dunning {
        /// The provider-local date, YYYY-MM-DD.
        #[arg(long)]
        date: chrono::NaiveDate,
    },
    /// Record a payment received outside the portal (cash, cheque, bank transfer) or a
    /// prepaid top-up.
    Payment {
        /// The account number.
        #[arg(long)]
        account: String,
        /// The amount received, e.g. 54.10.
        #[arg(long)]
        amount: rust_decimal::Decimal,
        /// cash, cheque or bank_transfer.
        #[arg(long)]
        method: String,
        /// The provider's reference (recording the same one twice records one payment).
        #[arg(long)]
        reference: String,
        /// The day it was received (default: today, provider-local), YYYY-MM-DD.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
    /// Usage from the network: import a file, or read RADIUS accounting now.
    Usage {
        #[command(subcommand)]
        command: UsageCommand,
    },
    /// Manage staff users.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// The network: RADIUS groups and provisioning (configuration: LASTMILE_NETWORK_CONFIG).
    Network {
        #[command(subcommand)]
        command: NetworkCommand,
    },
    /// Keys of the integration API (/api/v1) for the provider's other systems.
    #[command(name = "api-key")]
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// The integration API's OpenAPI document.
    Api {
        #[command(subcommand)]
        command: ApiCommand,
    },
    /// Webhook subscriptions: where the provider's other systems hear of changes.
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
    /// Reconcile a month: what was billed, what the network provisioned and saw, and (with
    /// --upstream) what the wholesale supplier invoiced; the run and its mismatches are kept.
    Reconcile {
        /// The month, YYYY-MM.
        #[arg(long)]
        period: String,
        /// The supplier's invoice (CSV: circuit, product, download_mbps, period_start,
        /// period_end, amount).
        #[arg(long)]
        upstream: Option<std::path::PathBuf>,
        /// Print the run as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import subscribers from a legacy billing system: a folder of CSV files and a
    /// mapping of legacy codes (the README's "Importing from a legacy system"). Run it
    /// with --dry-run first; running it again adds what is missing and changes nothing else.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Import {
        #[command(subcommand)]
        command: Option<ImportCommand>,
        /// The folder holding accounts.csv and the other files of the export.
        #[arg(required = true)]
        dir: Option<std::path::PathBuf>,
        /// The mapping of legacy plan, tax and status codes (TOML).
        #[arg(long, required = true)]
        mapping: Option<std::path::PathBuf>,
        /// Check everything and print the report; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Accounts per transaction (default 1,000): a killed run loses at most one batch.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        batch: Option<u32>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Compose each imported account's next statement (nothing is written) and compare it
    /// with the legacy system's next invoice; fails when any differs by more than a cent.
    #[command(name = "shadow-bill")]
    ShadowBill {
        /// CSV: account, invoice, issued_on, kind, service, description, amount.
        #[arg(long)]
        legacy_invoices: std::path::PathBuf,
        /// Print the comparison as JSON.
        #[arg(long)]
        json: bool,
    },
    /// At cut-over: email every imported portal login not yet invited a link to choose
    /// its password (once per login).
    Invite {
        /// At most this many invitations in this run.
        #[arg(long)]
        limit: Option<u64>,
    },
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Subscribe an integration's address to event types; the signing secret is printed
    /// once, here, and never again.
    Create {
        /// The integration (as named by its API keys: "CRM").
        #[arg(long)]
        integration: String,
        /// Where events are posted (https://; http:// only with LASTMILE_WEBHOOK_ALLOW_HTTP=1).
        #[arg(long)]
        url: String,
        /// Comma-separated event types, e.g. account.created,service.activated; `all` for every one.
        #[arg(long, value_delimiter = ',', required = true)]
        events: Vec<String>,
    },
    /// Every subscription, with its deliveries counted.
    List,
    /// A subscription's latest deliveries, newest first.
    Log {
        /// The subscription's id (from `list`).
        id: i64,
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Give a subscription a new secret; the old one keeps signing beside it for 24 hours.
    RotateSecret { id: i64 },
    /// Stop a subscription; what waits for it is cancelled.
    Disable { id: i64 },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Make a key (and its integration, when new); the token is printed once, here, and
    /// never again.
    Create {
        /// The system that will use it ("CRM").
        #[arg(long)]
        integration: String,
        /// The key's name within the integration ("production").
        #[arg(long)]
        name: String,
        /// What it may do, comma-separated: read, write:accounts, write:money.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// The most one charge, credit or payment it records may be, e.g. 250.00.
        #[arg(long)]
        money_limit: Option<rust_decimal::Decimal>,
        /// Requests a minute.
        #[arg(long, default_value_t = engine::integrations::DEFAULT_RATE_PER_MINUTE)]
        rate: i32,
    },
    /// Every key: id, integration, name, scopes, limits, last use, state.
    List,
    /// Give a key a new token; the old one keeps working for 24 hours.
    Rotate {
        /// The key's id (from `list`).
        id: i64,
    },
    /// End every token of a key at once.
    Revoke {
        /// The key's id (from `list`).
        id: i64,
    },
}

#[derive(Subcommand)]
enum ApiCommand {
    /// Print the OpenAPI document, as served at /api/v1/openapi.json (no database needed):
    /// `lastmile api openapi > docs/api/openapi.json`.
    Openapi,
}

#[derive(Subcommand)]
enum NetworkCommand {
    /// Write every plan's RADIUS group (and the walled garden's) to radius.radgroupreply from
    /// the network configuration; groups already right are left alone.
    SyncGroups,
    /// Apply the provisioning outbox to the RADIUS tables (what `serve` does every 2 s).
    Provision {
        /// Apply what waits now and exit (non-zero naming the rows that failed), instead of
        /// going on every 2 seconds until interrupted.
        #[arg(long)]
        once: bool,
    },
}

#[derive(Subcommand)]
enum UsageCommand {
    /// Import usage from a file: CSV with a header, or JSON lines (see the README). Every
    /// row is checked first and nothing is imported if any is wrong; records imported
    /// before (from any file) are not counted again.
    Import {
        /// The file.
        file: std::path::PathBuf,
    },
    /// Read RADIUS accounting into usage now (`serve` does it every few seconds).
    Ingest,
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Create a staff user; the password is read from standard input (one line).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// support_rep, billing or admin.
        #[arg(long, default_value = "admin")]
        role: String,
    },
    /// Give a staff user a new authenticator secret and new recovery codes (the old ones stop
    /// working), e.g. after a lost phone.
    #[command(name = "reset-2fa")]
    Reset2fa {
        #[arg(long)]
        email: String,
    },
    /// Re-encrypt every staff authenticator secret under LASTMILE_TOTP_KEY (after a new key
    /// was made current and the old one moved to LASTMILE_TOTP_OLD_KEYS; `serve` also does
    /// this at start-up).
    RotateTotpKey,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("LASTMILE_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.compact().init();
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => serve().await,
        Command::Migrate => {
            let pool = db::connect(&settings::database_url()?, 2).await?;
            db::migrate(&pool).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Seed {
            demo,
            accounts,
            seed,
            today,
        } => {
            if !demo {
                anyhow::bail!("only demo data can be seeded: pass --demo");
            }
            let totp_keys = Arc::new(settings::totp_keys()?);
            let pool = db::connect(&settings::database_url()?, 4).await?;
            let opts = seed::SeedOptions {
                accounts,
                seed,
                today: today.unwrap_or_else(|| chrono::Utc::now().date_naive()),
                show_progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
                totp_keys,
            };
            let started = std::time::Instant::now();
            let summary = seed::seed_demo(&pool, &opts).await?;
            println!(
                "seeded {} accounts ({} statements, {} days of usage) in {:.1?}",
                summary.accounts,
                summary.statements,
                summary.usage_days,
                started.elapsed()
            );
            println!(
                "demo sign-in: {} (or account number {}) / {}",
                summary.demo_email, summary.demo_account_number, summary.demo_password
            );
            Ok(())
        }
        Command::BillRun {
            date,
            from,
            to,
            dry_run,
            account,
            json,
        } => bill_run(date, from, to, dry_run, account, json).await,
        Command::Dunning { date } => {
            let config = settings::engine_config()?;
            refuse_future(&config, date)?;
            let pool = db::connect(&settings::database_url()?, 2).await?;
            let summary = engine::dunning::run(&pool, &config, date).await?;
            println!(
                "dunning for {date}: {} reminders, {} overdue notices, {} late fees, {} suspensions",
                summary.reminders, summary.overdue_notices, summary.late_fees, summary.suspensions
            );
            Ok(())
        }
        Command::Payment {
            account,
            amount,
            method,
            reference,
            date,
        } => {
            let config = settings::engine_config()?;
            let today = engine::clock::today(config.time_zone, chrono::Utc::now());
            let received_on = date.unwrap_or(today);
            refuse_future(&config, received_on)?;
            let pool = db::connect(&settings::database_url()?, 2).await?;
            let recorded = engine::payments::record(
                &pool,
                &config,
                &engine::payments::NewPayment {
                    account_number: account.clone(),
                    amount,
                    method,
                    reference,
                    received_on,
                },
            )
            .await?;
            if recorded.new {
                println!(
                    "payment {} recorded on account {account}: balance now {}; {} statement(s) paid, {} service(s) restored",
                    recorded.payment_id,
                    billing::text::money(billing::Money::new(recorded.balance, recorded.currency)),
                    recorded.statements_paid,
                    recorded.services_restored
                );
            } else {
                println!(
                    "payment {} with that reference was already recorded; nothing changed",
                    recorded.payment_id
                );
            }
            Ok(())
        }
        Command::Usage {
            command: UsageCommand::Import { file },
        } => usage_import(&file).await,
        Command::Usage {
            command: UsageCommand::Ingest,
        } => {
            let config = settings::engine_config()?;
            let pool = db::connect(&settings::database_url()?, 2).await?;
            let s = engine::network::accounting::ingest(&pool, config.time_zone).await?;
            println!(
                "accounting: {} snapshots read, {} bytes down and {} up added; {} late, {} backwards, {} of unknown usernames (kept), {} kept earlier now added",
                s.snapshots, s.download_bytes, s.upload_bytes, s.late, s.backwards, s.unknown_user, s.attributed_later
            );
            Ok(())
        }
        Command::ApiKey { command } => api_key(command).await,
        Command::Reconcile {
            period,
            upstream,
            json,
        } => lastmile::reconcile::run(&period, upstream.as_deref(), json).await,
        Command::Import {
            command:
                Some(ImportCommand::ShadowBill {
                    legacy_invoices,
                    json,
                }),
            ..
        } => lastmile::import::shadow_bill(&legacy_invoices, json).await,
        Command::Import {
            command: Some(ImportCommand::Invite { limit }),
            ..
        } => lastmile::import::invite(limit).await,
        Command::Import {
            command: None,
            dir,
            mapping,
            dry_run,
            json,
            batch,
        } => {
            let (Some(dir), Some(mapping)) = (dir, mapping) else {
                anyhow::bail!("give the export's folder and --mapping FILE");
            };
            lastmile::import::run(&dir, &mapping, dry_run, json, batch.map(|b| b as usize)).await
        }
        Command::Webhook { command } => webhook(command).await,
        Command::Api {
            command: ApiCommand::Openapi,
        } => {
            print!("{}", lastmile::api::document_json());
            Ok(())
        }
        Command::Staff {
            command: StaffCommand::Add { email, name, role },
        } => {
            let keys = settings::totp_keys()?;
            let pool = db::connect(&settings::database_url()?, 2).await?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let id = staff::add(
                &pool,
                &email,
                &name,
                &role,
                password.trim_end_matches(['\r', '\n']),
            )
            .await?;
            println!("staff user {id} created: {email} ({role})");
            print_enrolment(&pool, &keys, id, &email).await
        }
        Command::Staff {
            command: StaffCommand::Reset2fa { email },
        } => {
            let keys = settings::totp_keys()?;
            let pool = db::connect(&settings::database_url()?, 2).await?;
            let id: Option<i64> = sqlx::query_scalar("select id from staff_users where email = $1")
                .bind(email.trim())
                .fetch_optional(&pool)
                .await?;
            let Some(id) = id else {
                anyhow::bail!("no staff user has the email {email}");
            };
            print_enrolment(&pool, &keys, id, &email).await
        }
        Command::Network {
            command: NetworkCommand::SyncGroups,
        } => {
            let network = engine::network::NetworkConfig::from_env().map_err(anyhow::Error::msg)?;
            let pool = db::connect(&settings::database_url()?, 2).await?;
            let report = engine::network::config::sync_groups(&pool, &network).await?;
            println!(
                "RADIUS groups: {} written{}, {} already right",
                report.written.len(),
                if report.written.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", report.written.join(", "))
                },
                report.unchanged
            );
            Ok(())
        }
        Command::Network {
            command: NetworkCommand::Provision { once },
        } => provision(once).await,
        Command::Staff {
            command: StaffCommand::RotateTotpKey,
        } => {
            let keys = settings::totp_keys()?;
            let pool = db::connect(&settings::database_url()?, 2).await?;
            let done = staff::reseal_totp_secrets(&pool, &keys).await?;
            println!(
                "staff authenticator secrets now under key {}: {} re-encrypted from old keys, {} encrypted that were stored in clear; {} webhook signing secrets re-encrypted; {} subscribers' authenticator secrets re-encrypted",
                keys.current_id(),
                done.from_old_keys,
                done.from_clear,
                done.webhook_secrets,
                done.login_secrets
            );
            for (whose, error) in &done.unreadable {
                if whose.starts_with("webhook subscription") {
                    eprintln!("{whose}: the signing secret is {error}");
                } else {
                    eprintln!("{whose}: the authenticator secret is {error}");
                }
            }
            if !done.unreadable.is_empty() {
                anyhow::bail!(
                    "{} secrets could not be read (listed above); add their key to LASTMILE_TOTP_OLD_KEYS, or give them a new one (`lastmile staff reset-2fa`, `lastmile webhook rotate-secret`)",
                    done.unreadable.len()
                );
            }
            Ok(())
        }
    }
}

/// `lastmile usage import FILE`: every rejected row on standard error and a failure exit
/// when any row is wrong (nothing is then imported).
async fn usage_import(file: &std::path::Path) -> anyhow::Result<()> {
    use engine::network::usage_import::{import, ImportError};
    let content = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let config = settings::engine_config()?;
    let pool = db::connect(&settings::database_url()?, 2).await?;
    let name = file.display().to_string();
    match import(&pool, config.time_zone, &name, &content, chrono::Utc::now()).await {
        Ok(r) => {
            if let Some(at) = r.file_imported_at {
                println!(
                    "{name} was already imported on {}; nothing added ({} records)",
                    at.format("%Y-%m-%d %H:%M UTC"),
                    r.records
                );
            } else {
                println!(
                    "{name}: {} records, {} new ({} bytes down, {} up over {} service-days), {} imported before and not counted again",
                    r.records, r.new_records, r.download_bytes, r.upload_bytes, r.service_days, r.already_imported
                );
            }
            Ok(())
        }
        Err(ImportError::Rejected(rows)) => {
            for row in &rows {
                eprintln!("{name}: {row}");
            }
            anyhow::bail!("{} row(s) rejected; nothing was imported", rows.len())
        }
        Err(ImportError::Engine(e)) => Err(e.into()),
    }
}

/// `lastmile network provision [--once]`.
async fn provision(once: bool) -> anyhow::Result<()> {
    let network = engine::network::NetworkConfig::from_env().map_err(anyhow::Error::msg)?;
    let pool = db::connect(&settings::database_url()?, 2).await?;
    if !once {
        let shutdown = tokio_util::sync::CancellationToken::new();
        tokio::spawn(http::stop_on_signal(shutdown.clone()));
        lastmile::provisioning::run(pool, network, shutdown).await;
        return Ok(());
    }
    let report = engine::network::provision::run(&pool, &network).await?;
    let waiting: i64 =
        sqlx::query_scalar("select count(*) from provisioning_outbox where published_at is null")
            .fetch_one(&pool)
            .await?;
    println!(
        "provisioning: {} applied, {} failed, {} waiting",
        report.applied.len(),
        report.failed.len(),
        waiting
    );
    for failure in &report.failed {
        eprintln!(
            "outbox row {} (service {}): {}",
            failure.outbox_id, failure.service_id, failure.error
        );
    }
    if !report.failed.is_empty() {
        anyhow::bail!(
            "{} outbox rows could not be applied (listed above); they are tried again later",
            report.failed.len()
        );
    }
    Ok(())
}

/// Enrols a staff user's second factor and prints what they need, once: the authenticator
/// secret (and its `otpauth://` address, for a QR code) and the recovery codes.
async fn print_enrolment(
    pool: &sqlx::PgPool,
    keys: &app::server::staff::totp_keys::TotpKeys,
    staff_id: i64,
    email: &str,
) -> anyhow::Result<()> {
    use app::server::staff::{auth, totp};
    let enrolment = auth::enrol(pool, keys, staff_id)
        .await
        .map_err(|e| anyhow::anyhow!("enrolling the second factor failed: {e}"))?;
    let issuer =
        std::env::var("LASTMILE_PROVIDER_NAME").unwrap_or_else(|_| "Lastmile Broadband".into());
    println!("\nAdd this to an authenticator app (shown once):");
    println!("  secret:  {}", totp::secret_base32(&enrolment.secret));
    if let Some(address) = totp::provisioning_uri(&issuer, email.trim(), &enrolment.secret) {
        println!("  address: {address}");
    }
    println!("\nRecovery codes (each works once; keep them somewhere safe):");
    for code in &enrolment.recovery_codes {
        println!("  {code}");
    }
    Ok(())
}

/// A date that has not come yet on the provider's calendar is refused: billing or dunning
/// early cannot be undone.
fn refuse_future(config: &engine::EngineConfig, date: chrono::NaiveDate) -> anyhow::Result<()> {
    let today = engine::clock::today(config.time_zone, chrono::Utc::now());
    if date > today {
        anyhow::bail!(
            "{date} has not come yet in {} (today is {today}); use --dry-run to preview",
            config.time_zone
        );
    }
    Ok(())
}

/// A `--date`, `--from` or `--to` of `bill-run`: YYYY-MM-DD, and a day that exists.
fn bill_run_date(value: &str) -> Result<chrono::NaiveDate, String> {
    use chrono::{Datelike, NaiveDate};
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(date);
    }
    let parts: Vec<&str> = value.split('-').collect();
    let numbers: Option<Vec<u32>> = match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
            parts.iter().map(|p| p.parse().ok()).collect()
        }
        _ => None,
    };
    let Some([year, month, _]) = numbers.as_deref().map(|n| [n[0], n[1], n[2]]) else {
        return Err(format!(
            "'{value}' is not a date: write it as YYYY-MM-DD, for example 2026-11-05"
        ));
    };
    if !(1..=12).contains(&month) {
        return Err(format!(
            "'{value}' is not a date: there is no month {month} (write YYYY-MM-DD)"
        ));
    }
    let first = NaiveDate::from_ymd_opt(year as i32, month, 1);
    let days = first
        .and_then(|f| f.checked_add_months(chrono::Months::new(1)))
        .zip(first)
        .map(|(next, f)| (next - f).num_days());
    match (first, days) {
        (Some(f), Some(days)) => Err(format!(
            "'{value}' is not a date: {} {} has {days} days",
            f.format("%B"),
            f.year()
        )),
        _ => Err(format!("'{value}' is not a date the calendar can hold")),
    }
}

/// Days a `bill-run --from/--to` may cover at once (a year and a day): more is likely a
/// mistyped year.
const MAX_RANGE_DAYS: i64 = 366;

async fn bill_run(
    date: Option<chrono::NaiveDate>,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    dry_run: bool,
    account: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let config = settings::engine_config()?;
    let today = engine::clock::today(config.time_zone, chrono::Utc::now());
    let days: Vec<chrono::NaiveDate> = match (date, from) {
        (Some(date), _) => {
            if !dry_run {
                refuse_future(&config, date)?;
            }
            vec![date]
        }
        (None, Some(from)) => {
            let to = to.unwrap_or(today);
            if to < from {
                anyhow::bail!("--from {from} is after --to {to}: give the earlier day as --from");
            }
            if !dry_run {
                refuse_future(&config, to)?;
            }
            if (to - from).num_days() >= MAX_RANGE_DAYS {
                anyhow::bail!(
                    "--from {from} to --to {to} is more than {MAX_RANGE_DAYS} days: check the \
                     years, or bill it a year at a time"
                );
            }
            from.iter_days().take_while(|d| *d <= to).collect()
        }
        (None, None) => anyhow::bail!("give --date, or --from (and --to) for a range of days"),
    };
    let range = date.is_none();
    let pool = db::connect(&settings::database_url()?, config.workers as u32 + 2).await?;
    // Over a range, one account is billed on its own billing days only.
    let days = match (&account, range) {
        (Some(number), true) => {
            let day: Option<i16> = sqlx::query_scalar(
                "select billing_cycle_day from accounts where account_number = $1",
            )
            .bind(number)
            .fetch_optional(&pool)
            .await?;
            let Some(cycle) = day
                .and_then(|d| u8::try_from(d).ok())
                .and_then(|d| billing::CycleDay::new(d).ok())
            else {
                anyhow::bail!("no account numbered {number}");
            };
            days.into_iter()
                .filter(|d| billing::period_containing(*d, cycle).start == *d)
                .collect()
        }
        _ => days,
    };
    let mut summaries = Vec::with_capacity(days.len());
    let mut out = Output::default();
    // Ctrl-C or SIGTERM: the batches in hand commit, no other starts, and the command says
    // so and exits non-zero (the next run bills the rest). A second one stops it at once.
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(stop_bill_run_on_signal(stop.clone()));
    // The days billed are reported even when a later one stops or fails.
    let outcome: anyhow::Result<()> = async {
        for day in days {
            let bar = (std::io::stderr().is_terminal() && !json).then(|| {
                let bar = indicatif::ProgressBar::new(0);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:40} {pos}/{len} accounts  {per_sec}  eta {eta}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            });
            let progress: Option<engine::bill_run::Progress> = bar.clone().map(|bar| {
                Arc::new(move |done: u64, due: u64| {
                    bar.set_length(due);
                    bar.set_position(done);
                }) as engine::bill_run::Progress
            });
            let summary = engine::bill_run::run(
                &pool,
                &config,
                &engine::bill_run::RunOptions {
                    date: day,
                    dry_run,
                    account: account.clone(),
                    started_by: "command line".into(),
                    stop: stop.clone(),
                },
                progress,
            )
            .await?;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            // Over a range, days with nothing due say nothing.
            let quiet = range && summary.billed == 0 && summary.failed.is_empty();
            if !json && !quiet {
                out.print(&lastmile::report::bill_run(&summary));
            }
            // Its statements are committed: the day is reported even if its autopay is
            // stopped or what follows fails.
            summaries.push(summary);
            // Autopay follows a real run (the scheduler's bill run does the same).
            if let (false, Some(stripe)) = (dry_run, &config.stripe) {
                let charged = engine::cards::autopay::run(
                    &pool,
                    stripe,
                    &config,
                    day,
                    account.as_deref(),
                    &stop,
                )
                .await?;
                if !json && !quiet {
                    out.print(&format!(
                        "autopay: {} charged, {} succeeded ({}), {} waiting for the bank's authentication, {} declined, {} left for the next run\n",
                        charged.charged,
                        charged.succeeded,
                        charged.totals_text(),
                        charged.needs_action,
                        charged.failed,
                        charged.deferred
                    ));
                }
            }
            // Then the accounts asked to close whose business is settled.
            if !dry_run {
                let closed = engine::accounts::close_settled(&pool).await?;
                if !json && !closed.is_empty() {
                    out.print(&format!(
                        "closed: {} ({})\n",
                        billing::text::plural(closed.len() as u64, "account", "accounts"),
                        closed.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }
    .await;
    let failed: Vec<engine::bill_run::Failure> =
        summaries.iter().flat_map(|s| s.failed.clone()).collect();
    if json && (range || !summaries.is_empty()) {
        let runs: Vec<serde_json::Value> = summaries
            .iter()
            .map(lastmile::report::bill_run_json)
            .collect();
        let mut value = match (range, runs.as_slice()) {
            (false, [one]) => one.clone(),
            _ => serde_json::json!({
                "from": from,
                "to": summaries.last().and_then(|s| s.date),
                "billed": summaries.iter().map(|s| s.billed).sum::<u64>(),
                "runs": runs,
            }),
        };
        // A run cut short (its autopay stopped, a later day stopped or failed) says why
        // beside what it did bill.
        if let Err(e) = &outcome {
            value["error"] = format!("{e:#}").into();
        }
        out.print(&format!("{}\n", serde_json::to_string_pretty(&value)?));
    } else if range && !(outcome.is_err() && summaries.is_empty()) {
        out.print(&format!(
            "{} from {} to {}: {} billed\n",
            billing::text::plural(summaries.len() as u64, "day", "days"),
            summaries
                .first()
                .and_then(|s| s.date)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            summaries
                .last()
                .and_then(|s| s.date)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            billing::text::plural(
                summaries.iter().map(|s| s.billed).sum::<u64>(),
                "account",
                "accounts"
            ),
        ));
    }
    out.finish()?;
    outcome?;
    if stop.is_cancelled() {
        // Asked to stop after the last batch had begun: nothing was left to leave undone.
        eprintln!(
            "the stop came after the last day's work had begun: every day asked for was done"
        );
    }
    if !failed.is_empty() {
        anyhow::bail!(
            "{}; every other account was billed",
            engine::bill_run::failures_text(&failed)
        );
    }
    Ok(())
}

/// Standard output that a closed reader (`| head`) ends quietly: what is left unprinted was
/// not wanted, and the run itself has finished. Any other failure to write is reported.
#[derive(Default)]
struct Output {
    stopped: bool,
    error: Option<std::io::Error>,
}

impl Output {
    fn print(&mut self, text: &str) {
        use std::io::Write;
        if self.stopped {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            self.stopped = true;
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                self.error = Some(e);
            }
        }
    }

    fn finish(self) -> anyhow::Result<()> {
        match self.error {
            Some(e) => Err(anyhow::Error::new(e).context(
                "the run finished, but its summary could not be written to standard output",
            )),
            None => Ok(()),
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    let settings = settings::Settings::from_env()?;
    tracing::info!(?settings, "starting");
    let pool = db::connect(&settings.database_url, settings.pool_size).await?;
    db::migrate(&pool).await?;
    staff::reseal_totp_secrets(&pool, &settings.totp_keys).await?;

    let leptos_options = LeptosOptions::builder()
        .output_name("lastmile")
        .site_root(settings.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(settings.listen)
        .build();
    if !settings.site_root.join("pkg").exists() {
        anyhow::bail!(
            "the built site is missing at {} (build it with `scripts/build`, or set LASTMILE_SITE_ROOT)",
            settings.site_root.display()
        );
    }

    let config = PortalConfig {
        public_url: settings.public_url.clone(),
        session_idle: settings.session_idle,
        session_absolute: settings.session_absolute,
        reset_link_ttl: settings.reset_link_ttl,
        support_view_ttl: settings.support_view_ttl,
        throttle: Default::default(),
        provider_name: settings.provider_name.clone(),
        billing: settings::engine_config()?,
        totp_keys: settings.totp_keys.clone(),
    };
    let portal = Portal {
        pool: pool.clone(),
        stripe: config.billing.stripe.clone(),
        config: Arc::new(config),
    };
    let web = Arc::new(http::WebPolicy {
        https: settings.is_https(),
        session_idle: settings.session_idle,
        stripe_origin: http::origin_of(&settings.stripe_js_url),
        trusted_proxies: settings.trusted_proxies.clone(),
    });
    app::server::auth::prepare();

    let assets = lastmile::assets::Assets::load(&settings.site_root.join("pkg"))?;
    for (name, raw, brotli) in assets.summary() {
        tracing::info!(asset = %name, raw_bytes = raw, brotli_bytes = brotli, "asset ready");
    }
    let session_pool =
        db::connect_for_sessions(&settings.database_url, settings.pool_size.div_ceil(2)).await?;
    let store = tower_sessions_sqlx_store::PostgresStore::new(session_pool.clone());
    // Cancelled by SIGTERM or Ctrl-C: the background work stops at its next step (work in
    // hand is finished or left for the next start), and the listener drains (`http::serve`).
    let shutdown = tokio_util::sync::CancellationToken::new();
    tokio::spawn(http::stop_on_signal(shutdown.clone()));
    let state = http::AppState {
        leptos_options,
        portal,
        web,
        assets,
        provider: Arc::new(settings.provider()),
        shutdown: shutdown.clone(),
    };
    let app = http::router(state, store);

    let worker = tokio::spawn(mail::run_background(
        pool.clone(),
        mail::Delivery::from_settings(&settings)?,
        shutdown.clone(),
    ));
    // Changes queued for subscribers already online, sent to their NAS (RFC 5176).
    let network = tokio::spawn(lastmile::network::run_background(
        pool.clone(),
        lastmile::network::settings_from_env()?,
        shutdown.clone(),
    ));
    let provisioning = if std::env::var("LASTMILE_PROVISIONING").as_deref() == Ok("off") {
        None
    } else {
        let network = engine::network::NetworkConfig::from_env().map_err(anyhow::Error::msg)?;
        Some(tokio::spawn(lastmile::provisioning::run(
            pool.clone(),
            network,
            shutdown.clone(),
        )))
    };
    let scheduler = if std::env::var("LASTMILE_SCHEDULER").as_deref() == Ok("off") {
        None
    } else {
        Some(tokio::spawn(lastmile::scheduler::run(
            pool.clone(),
            settings::engine_config()?,
            shutdown.clone(),
        )))
    };
    let accounting = if std::env::var("LASTMILE_ACCOUNTING").as_deref() == Ok("off") {
        None
    } else {
        let every = std::env::var("LASTMILE_ACCOUNTING_INTERVAL_SECS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|s| *s > 0)
            .unwrap_or(10);
        Some(tokio::spawn(lastmile::usage::run_background(
            pool.clone(),
            settings::engine_config()?,
            std::time::Duration::from_secs(every),
            shutdown.clone(),
        )))
    };
    let webhooks = if std::env::var("LASTMILE_WEBHOOKS").as_deref() == Ok("off") {
        None
    } else {
        let sender = lastmile::webhooks::Sender::new(
            pool.clone(),
            settings.totp_keys.clone(),
            lastmile::webhooks::SenderSettings::from_env()?,
        )?;
        Some(tokio::spawn(lastmile::webhooks::run(
            sender,
            shutdown.clone(),
        )))
    };
    let housekeeping = tokio::spawn(lastmile::api::run_housekeeping(
        pool.clone(),
        shutdown.clone(),
    ));
    let metrics = match settings.metrics_listen {
        Some(listen) => {
            let scrape = lastmile::metrics::Scrape {
                handle: lastmile::metrics::install()?,
                pool: pool.clone(),
                session_pool,
            };
            let listener = lastmile::metrics::bind(listen).await?;
            Some(tokio::spawn(lastmile::metrics::serve(
                scrape,
                listener,
                shutdown.clone(),
            )))
        }
        None => None,
    };
    let served = http::serve(app, settings.listen, shutdown.clone(), settings.drain).await;
    // Stopped for another reason (the listener failed): the background work stops too.
    shutdown.cancel();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), housekeeping).await;
    if let Some(metrics) = metrics {
        if let Ok(Ok(Err(e))) =
            tokio::time::timeout(std::time::Duration::from_secs(5), metrics).await
        {
            tracing::error!(error = %e, "the metrics listener failed");
        }
    }
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), worker).await;
    // A batch in flight is recorded or, if cut off, left pending for the next start.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), network).await;
    if let Some(accounting) = accounting {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), accounting).await;
    }
    if let Some(webhooks) = webhooks {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), webhooks).await;
    }
    if let Some(provisioning) = provisioning {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), provisioning).await;
    }
    if let Some(scheduler) = scheduler {
        // A bill run in progress starts no new batch (`RunOptions::stop`); what it
        // committed stays, and its job goes back in the queue for the next instance.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), scheduler).await;
    }
    served
}

/// The first Ctrl-C or SIGTERM cancels `stop` (a bill run finishes the batches in hand and
/// starts no other); a second ends the command at once, and what it had not committed
/// rolls back.
async fn stop_bill_run_on_signal(stop: tokio_util::sync::CancellationToken) {
    http::stop_on_signal(stop).await;
    eprintln!(
        "stopping after the batches in hand (Ctrl-C again to stop at once; what is not committed rolls back)"
    );
    http::stop_on_signal(tokio_util::sync::CancellationToken::new()).await;
    std::process::exit(130);
}

async fn webhook(command: WebhookCommand) -> anyhow::Result<()> {
    use engine::webhooks::{self, NewSubscription};
    let pool = db::connect(&settings::database_url()?, 2).await?;
    let not_found = |e: engine::EngineError, id: i64| match e {
        engine::EngineError::NotFound => {
            anyhow::anyhow!("no enabled subscription has the id {id} (see `lastmile webhook list`)")
        }
        other => other.into(),
    };
    match command {
        WebhookCommand::Create {
            integration,
            url,
            events,
        } => {
            let keys = settings::totp_keys()?;
            let event_types = if events.iter().any(|e| e.trim() == "all") {
                webhooks::EVENT_TYPES
                    .iter()
                    .map(|t| t.to_string())
                    .collect()
            } else {
                events
            };
            let mut tx = pool.begin().await?;
            let made = webhooks::create_subscription(
                &mut tx,
                &NewSubscription {
                    integration,
                    url,
                    event_types,
                    created_by_staff: None,
                    allow_http: lastmile::webhooks::allow_http(),
                },
                &lastmile::webhooks::sealer(&keys),
            )
            .await?;
            tx.commit().await?;
            println!(
                "Subscription {} created. Its signing secret, shown this once:",
                made.id
            );
            println!("{}", made.secret);
        }
        WebhookCommand::List => {
            let all = webhooks::subscriptions(&pool).await?;
            if all.is_empty() {
                println!("no webhook subscriptions");
            }
            for s in all {
                let state = match (&s.disabled_at, &s.disabled_reason) {
                    (Some(at), reason) => format!(
                        "disabled {} ({})",
                        at.format("%Y-%m-%d %H:%M UTC"),
                        reason.as_deref().unwrap_or_default()
                    ),
                    (None, _) => "enabled".to_string(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{} pending, {} delivered, {} failed\t{}",
                    s.id,
                    s.integration,
                    s.url,
                    s.event_types.join(","),
                    s.pending,
                    s.delivered,
                    s.failed,
                    state
                );
            }
        }
        WebhookCommand::Log { id, limit } => {
            for l in webhooks::log(&pool, id, limit.clamp(1, 1000)).await? {
                println!(
                    "{}\t{}\t{}\taccount {} #{}\t{}\t{} attempts\t{}\t{}",
                    l.delivery_id,
                    l.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    l.event_type,
                    l.account_id,
                    l.seq,
                    l.state,
                    l.attempts,
                    l.last_status
                        .map(|s| s.to_string())
                        .or(l.last_error.clone())
                        .unwrap_or_else(|| "not tried yet".into()),
                    l.last_duration_ms
                        .map(|ms| format!("{ms} ms"))
                        .unwrap_or_default(),
                );
            }
        }
        WebhookCommand::RotateSecret { id } => {
            let keys = settings::totp_keys()?;
            let mut tx = pool.begin().await?;
            let secret = webhooks::rotate_secret(&mut tx, id, &lastmile::webhooks::sealer(&keys))
                .await
                .map_err(|e| not_found(e, id))?;
            tx.commit().await?;
            println!("Subscription {id} has a new signing secret, shown this once (the previous one signs beside it for 24 hours):");
            println!("{secret}");
        }
        WebhookCommand::Disable { id } => {
            let mut tx = pool.begin().await?;
            webhooks::disable(&mut tx, id, "disabled with `lastmile webhook disable`")
                .await
                .map_err(|e| not_found(e, id))?;
            tx.commit().await?;
            println!("Subscription {id} disabled; nothing more is sent to it");
        }
    }
    Ok(())
}

async fn api_key(command: ApiKeyCommand) -> anyhow::Result<()> {
    use engine::integrations::{self, NewKey, Scope};
    let pool = db::connect(&settings::database_url()?, 2).await?;
    match command {
        ApiKeyCommand::Create {
            integration,
            name,
            scopes,
            money_limit,
            rate,
        } => {
            let scopes = scopes
                .iter()
                .map(|s| {
                    Scope::parse(s.trim()).with_context(|| {
                        format!("--scopes: {s:?} is not one of read, write:accounts, write:money")
                    })
                })
                .collect::<anyhow::Result<Vec<Scope>>>()?;
            let mut tx = pool.begin().await?;
            let key = integrations::create_key(
                &mut tx,
                &NewKey {
                    integration,
                    name,
                    scopes,
                    money_limit,
                    rate_per_minute: rate,
                    created_by_staff: None,
                },
            )
            .await?;
            tx.commit().await?;
            println!("API key {} created. Its token, shown this once:", key.id);
            println!("{}", key.token);
        }
        ApiKeyCommand::List => {
            let keys = integrations::list_keys(&pool).await?;
            if keys.is_empty() {
                println!("no API keys");
            }
            for k in keys {
                let state = match k.revoked_at {
                    Some(at) => format!("revoked {}", at.format("%Y-%m-%d %H:%M UTC")),
                    None => format!("active ({})", k.prefixes.join(", ")),
                };
                println!(
                    "{}\t{}\t{}\t{}\tmoney limit {}\t{}/min\tlast used {}\t{}",
                    k.id,
                    k.integration,
                    k.name,
                    k.scopes.join(","),
                    k.money_limit.map_or("none".to_string(), |m| m.to_string()),
                    k.rate_per_minute,
                    k.last_used_at.map_or("never".to_string(), |t| t
                        .format("%Y-%m-%d %H:%M UTC")
                        .to_string()),
                    state
                );
            }
        }
        ApiKeyCommand::Rotate { id } => {
            let mut tx = pool.begin().await?;
            let key = integrations::rotate_key(&mut tx, id)
                .await
                .map_err(|e| no_such_key(e, id))?;
            tx.commit().await?;
            println!(
                "API key {id} has a new token, shown this once (the previous one works for 24 hours more):"
            );
            println!("{}", key.token);
        }
        ApiKeyCommand::Revoke { id } => {
            let mut tx = pool.begin().await?;
            integrations::revoke_key(&mut tx, id, None)
                .await
                .map_err(|e| no_such_key(e, id))?;
            tx.commit().await?;
            println!("API key {id} revoked: none of its tokens work any more");
        }
    }
    Ok(())
}

fn no_such_key(error: engine::EngineError, id: i64) -> anyhow::Error {
    match error {
        engine::EngineError::NotFound => {
            anyhow::anyhow!("no API key has the id {id} (see `lastmile api-key list`)")
        }
        other => other.into(),
    }
}

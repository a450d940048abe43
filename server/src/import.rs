//! `lastmile import`: the legacy export checked (and, unless `--dry-run`, written) by
//! `engine::import`, with a progress bar on a terminal and the report at the end; `import
//! shadow-bill` and `import invite` beside it.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::{db, settings};

/// Reads, checks and (unless `dry_run`) writes the export in `dir`. Fails, after the
/// report, when a row was rejected.
pub async fn run(
    dir: &Path,
    mapping: &Path,
    dry_run: bool,
    json: bool,
    batch: Option<usize>,
) -> anyhow::Result<()> {
    let mapping = engine::import::Mapping::read(mapping).map_err(anyhow::Error::msg)?;
    let legacy = engine::import::read(dir)?;
    let config = settings::engine_config()?;
    let pool = db::connect(&settings::database_url()?, 2).await?;
    let today = engine::clock::today(config.time_zone, chrono::Utc::now());
    let (ready, mut report) = {
        let mut conn = pool.acquire().await?;
        engine::import::check(
            &mut conn,
            &legacy,
            &mapping,
            config.stripe.as_deref(),
            today,
            config.time_zone,
        )
        .await?
    };
    if !dry_run {
        let run_id: i64 =
            sqlx::query_scalar("insert into import_runs (source) values ($1) returning id")
                .bind(dir.display().to_string())
                .fetch_one(&pool)
                .await?;
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(ready.accounts() as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{wide_bar}] {pos}/{len} accounts, {per_sec}, {eta} left",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        let tick = |done: usize, _total: usize| bar.set_position(done as u64);
        let options = engine::import::WriteOptions {
            today,
            zone: config.time_zone,
            payment_terms_days: config.payment_terms_days,
            batch: batch.unwrap_or(engine::import::WriteOptions::BATCH),
        };
        let written = engine::import::write(&pool, &ready, options, &tick).await;
        bar.finish_and_clear();
        let outcome = match &written {
            Err(_) => "failed",
            Ok(_) if report.clean() => "imported",
            Ok(_) => "rejected_rows",
        };
        if let Ok(w) = &written {
            report.written = Some(w.clone());
        }
        sqlx::query(
            "update import_runs set finished_at = now(), outcome = $2, report = $3 where id = $1",
        )
        .bind(run_id)
        .bind(outcome)
        .bind(serde_json::to_value(&report)?)
        .execute(&pool)
        .await?;
        written.context("the import stopped; what was written before is kept, and running it again completes it")?;
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
        if dry_run {
            println!("dry run: nothing was written");
        }
    }
    if !report.clean() {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        anyhow::bail!(
            "{} rejected ({}), {} held back (listed above){}",
            plural(report.rejected_rows(), "row", "rows"),
            plural(report.rejected.len(), "fault", "faults"),
            plural(report.held_back.len(), "account", "accounts"),
            if dry_run {
                "; the import would leave them out"
            } else {
                "; fix them and run the import again: what was imported is kept"
            }
        );
    }
    Ok(())
}

/// `lastmile import shadow-bill --legacy-invoices FILE`.
pub async fn shadow_bill(file: &Path, json: bool) -> anyhow::Result<()> {
    use engine::import::shadow::{shadow_bill, ShadowError};
    let config = settings::engine_config()?;
    let pool = db::connect(&settings::database_url()?, 2).await?;
    let report = match shadow_bill(&pool, &config, file).await {
        Ok(r) => r,
        Err(ShadowError::Rejected(faults)) => {
            for f in &faults {
                eprintln!("{f}");
            }
            anyhow::bail!(
                "{} rows of the legacy invoices are wrong; nothing was compared",
                faults.len()
            );
        }
        Err(ShadowError::Engine(e)) => return Err(e.into()),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    if !report.all_same() {
        anyhow::bail!("the shadow bill differs from the legacy system's (listed above)");
    }
    Ok(())
}

/// `lastmile import invite [--limit N]`.
pub async fn invite(limit: Option<u64>) -> anyhow::Result<()> {
    let config = settings::engine_config()?;
    let pool = db::connect(&settings::database_url()?, 2).await?;
    let invited = engine::import::invite::invite(&pool, &config, limit).await?;
    println!(
        "invitations: {} queued in the email outbox (a set-your-password link each, valid {} days); {} imported logins still to invite",
        invited.sent,
        engine::import::invite::INVITATION_DAYS,
        invited.waiting
    );
    Ok(())
}

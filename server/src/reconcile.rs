//! `lastmile reconcile --period YYYY-MM [--upstream FILE]`: one reconciliation run
//! (`engine::reconcile`), kept, and what it found printed.

use std::path::Path;

use crate::{db, settings};

/// A `--period`: a month, YYYY-MM, as its first day and the next month's.
pub fn month(value: &str) -> Result<(chrono::NaiveDate, chrono::NaiveDate), String> {
    let first = chrono::NaiveDate::parse_from_str(&format!("{value}-01"), "%Y-%m-%d")
        .ok()
        .filter(|_| value.len() == 7)
        .ok_or_else(|| format!("'{value}' is not a month written YYYY-MM"))?;
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .ok_or_else(|| format!("'{value}' is too far ahead"))?;
    Ok((first, next))
}

pub async fn run(period: &str, upstream: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let (start, end) = month(period).map_err(anyhow::Error::msg)?;
    let lines = match upstream {
        None => None,
        Some(path) => match engine::reconcile::read_upstream(path) {
            Ok(lines) => Some(lines),
            Err(faults) => {
                for f in &faults {
                    eprintln!("{f}");
                }
                anyhow::bail!(
                    "{} of the upstream invoice {} wrong; nothing was reconciled",
                    if faults.len() == 1 {
                        "1 row".to_string()
                    } else {
                        format!("{} rows", faults.len())
                    },
                    if faults.len() == 1 { "is" } else { "are" }
                );
            }
        },
    };
    let network = engine::network::NetworkConfig::from_env().map_err(anyhow::Error::msg)?;
    let pool = db::connect(&settings::database_url()?, 2).await?;
    let source = upstream.map(|p| p.display().to_string());
    let invoice = match (&source, &lines) {
        (Some(source), Some(lines)) => Some(engine::reconcile::Upstream { source, lines }),
        _ => None,
    };
    let run = engine::reconcile::run(&pool, start, end, invoice, &network.group_prefix).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&run)?);
        return Ok(());
    }
    println!(
        "reconciliation run {}: {} to {}{}",
        run.id,
        run.period_start,
        run.period_end.pred_opt().unwrap_or(run.period_end),
        run.upstream
            .as_deref()
            .map(|u| format!(", against {u}"))
            .unwrap_or_else(|| ", without an upstream invoice".into())
    );
    for ((_, words), (_, n)) in engine::reconcile::KINDS.iter().zip(run.counts()) {
        println!("  {words}: {n}");
    }
    if !run.mismatches.is_empty() {
        println!("mismatches:");
        for m in &run.mismatches {
            let whose = match (&m.account_number, m.service_id, &m.upstream_ref) {
                (Some(a), Some(s), Some(c)) => format!("account {a}, service {s}, circuit {c}"),
                (Some(a), Some(s), None) => format!("account {a}, service {s}"),
                (_, _, Some(c)) => format!("circuit {c}"),
                _ => String::new(),
            };
            println!("  #{} {} ({whose}): {}", m.id, m.kind, m.evidence);
        }
    }
    Ok(())
}

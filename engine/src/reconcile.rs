//! RECONCILIATION: for a period, what was billed (the days each service was charged), what
//! the network provisioned and saw (the RADIUS group each service is in, the usage its
//! accounting recorded day by day) and what the wholesale supplier invoiced (its CSV, by
//! circuit: `services.upstream_ref`), set against each other. Every disagreement is a
//! mismatch of one kind, with its evidence, kept with the run (`reconciliation_runs`,
//! `reconciliation_mismatches`) for staff to resolve; the counts per plan and day, side by
//! side, are kept too (`reconciliation_daily`, by each service's plan now).
//!
//! The kinds:
//! * `used_while_off`: usage recorded on a day the service was suspended or cancelled (the
//!   network let through what is not paid for: leakage);
//! * `billed_never_online`: charged for days of the period, and no usage recorded in it;
//! * `invoiced_but_cancelled`: the supplier invoices a circuit whose service was cancelled
//!   here before the invoiced days began;
//! * `invoiced_unknown`: the supplier invoices a circuit no service here has;
//! * `active_not_invoiced`: a service with a circuit, in service here during the period,
//!   that the supplier's invoice does not name (only when an invoice is given);
//! * `speed_differs`: an active service provisioned in another plan's group (or in none),
//!   or invoiced by the supplier at another speed than its plan's.
//!
//! A run writes only its own rows, in one transaction; running it again is another run.

use std::path::Path;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;

use crate::import::files::{read_file, Columns};
use crate::import::Fault;
use crate::EngineError;

/// The kinds, in the order they are reported, with what an operator reads.
pub const KINDS: [(&str, &str); 6] = [
    ("used_while_off", "used while switched off or cancelled"),
    ("billed_never_online", "billed but never online"),
    (
        "invoiced_but_cancelled",
        "invoiced upstream but cancelled here",
    ),
    ("invoiced_unknown", "invoiced upstream, unknown here"),
    (
        "active_not_invoiced",
        "in service here but not invoiced upstream",
    ),
    ("speed_differs", "plan speed differs (network or upstream)"),
];

const UPSTREAM: Columns = Columns {
    file: "upstream invoice",
    required: &["circuit", "period_start", "period_end", "amount"],
    optional: &["product", "download_mbps"],
};

/// One line of the supplier's invoice.
#[derive(Debug, Clone)]
pub struct UpstreamLine {
    pub line: u64,
    pub circuit: String,
    pub download_mbps: Option<i64>,
    /// The first day invoiced.
    pub period_start: NaiveDate,
    /// The day after the last day invoiced.
    pub period_end: NaiveDate,
    pub amount: Decimal,
}

/// Reads the supplier's invoice (CSV: circuit, product, download_mbps, period_start,
/// period_end (the last day invoiced), amount); every fault in it, or its lines.
pub fn read_upstream(path: &Path) -> Result<Vec<UpstreamLine>, Vec<Fault>> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let columns = Columns {
        file: Box::leak(name.to_string().into_boxed_str()),
        ..UPSTREAM
    };
    let rows = read_file(dir, &columns, |r| {
        let circuit = r.required("circuit");
        let start = r.date("period_start");
        let start = r.must("period_start", start);
        let last = r.date("period_end");
        let last = r.must("period_end", last);
        let amount = r.amount("amount");
        let amount = r.must("amount", amount);
        let download_mbps = r.number("download_mbps", 1, 1_000_000);
        if let (Some(start), Some(last)) = (start, last) {
            if last < start {
                r.reject(
                    "period_end",
                    format!("{last} is before the period's start {start}"),
                );
            }
        }
        (circuit, download_mbps, start, last, amount)
    })
    .map_err(|f| vec![f])?
    .ok_or_else(|| {
        vec![Fault {
            file: columns.file,
            line: None,
            column: None,
            reason: format!("is not there ({})", path.display()),
        }]
    })?;
    let faults: Vec<Fault> = rows.iter().flat_map(|(_, _, f)| f.clone()).collect();
    if !faults.is_empty() {
        return Err(faults);
    }
    Ok(rows
        .into_iter()
        .filter_map(|(at, (circuit, download_mbps, start, last, amount), _)| {
            Some(UpstreamLine {
                line: at.line,
                circuit,
                download_mbps,
                period_start: start?,
                period_end: last?.checked_add_days(Days::new(1))?,
                amount: amount?,
            })
        })
        .collect())
}

/// The supplier's invoice for a run: where it came from and its lines.
pub struct Upstream<'a> {
    pub source: &'a str,
    pub lines: &'a [UpstreamLine],
}

/// One mismatch as a run found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Mismatch {
    pub id: i64,
    pub kind: String,
    pub account_number: Option<String>,
    pub service_id: Option<i64>,
    pub upstream_ref: Option<String>,
    pub evidence: String,
}

/// What a run found.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub id: i64,
    pub period_start: NaiveDate,
    /// Exclusive.
    pub period_end: NaiveDate,
    pub upstream: Option<String>,
    pub mismatches: Vec<Mismatch>,
}

impl Run {
    /// How many of each kind, in [`KINDS`] order.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        KINDS
            .iter()
            .map(|(kind, _)| {
                (
                    *kind,
                    self.mismatches.iter().filter(|m| m.kind == *kind).count(),
                )
            })
            .collect()
    }
}

/// Reconciles `[start, end)`; `group_prefix` names a plan's RADIUS group (the network
/// configuration's).
pub async fn run(
    pool: &PgPool,
    start: NaiveDate,
    end: NaiveDate,
    upstream: Option<Upstream<'_>>,
    group_prefix: &str,
) -> Result<Run, EngineError> {
    if end <= start {
        return Err(EngineError::Invalid(format!(
            "the period {start} to {end} is empty"
        )));
    }
    let mut tx = pool.begin().await?;
    let run_id: i64 = sqlx::query_scalar(
        "insert into reconciliation_runs (period_start, period_end, upstream_file, summary)
         values ($1, $2, $3, '{}') returning id",
    )
    .bind(start)
    .bind(end)
    .bind(upstream.as_ref().map(|u| u.source))
    .fetch_one(&mut *tx)
    .await?;
    let lines = upstream.as_ref().map(|u| u.lines).unwrap_or_default();
    sqlx::query(
        "create temporary table upstream (line bigint, circuit text, download_mbps int,
                                          period_start date, period_end date, amount numeric)
         on commit drop",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into upstream select * from unnest($1::bigint[], $2::text[], $3::int[], $4::date[], $5::date[], $6::numeric[])",
    )
    .bind(lines.iter().map(|l| l.line as i64).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.circuit.clone()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.download_mbps.map(|m| m as i32)).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.period_start).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.period_end).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.amount).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;

    // Each kind, one statement each. $1 run, $2 start, $3 end (exclusive).
    let mut kinds: Vec<&str> = vec![
        // Usage on a day the service was off: suspended (an open or closed suspension
        // covering the day) or cancelled.
        "insert into reconciliation_mismatches (run_id, kind, service_id, account_id, upstream_ref, evidence)
         select $1, 'used_while_off', s.id, s.account_id, s.upstream_ref,
                format('%s GB used on %s days while switched off or cancelled (%s to %s)',
                       round(sum(u.download_bytes + u.upload_bytes) / 1e9, 1), count(*), min(u.day), max(u.day))
           from usage_daily u join services s on s.id = u.service_id
          where u.day >= $2 and u.day < $3 and u.download_bytes + u.upload_bytes > 0
            and ((s.cancelled_on is not null and u.day >= s.cancelled_on)
                 or exists (select 1 from service_suspensions x where x.service_id = s.id
                             and u.day >= x.suspended_on and (x.restored_on is null or u.day < x.restored_on)))
          group by s.id
          order by s.id",
        "insert into reconciliation_mismatches (run_id, kind, service_id, account_id, upstream_ref, evidence)
         select $1, 'billed_never_online', s.id, s.account_id, s.upstream_ref,
                format('charged for %s days of the period; no usage recorded in it', c.days)
           from (select service_id, sum(least(period_end, $3) - greatest(period_start, $2)) as days
                   from service_charges where kind = 'charge' and period_start < $3 and period_end > $2
                  group by service_id) c
           join services s on s.id = c.service_id
          where not exists (select 1 from usage_daily u where u.service_id = s.id and u.day >= $2 and u.day < $3
                               and u.download_bytes + u.upload_bytes > 0)
          order by s.id",
        // An active service in another plan's group, or in none.
        "insert into reconciliation_mismatches (run_id, kind, service_id, account_id, upstream_ref, evidence)
         select $1, 'speed_differs', s.id, s.account_id, s.upstream_ref,
                case when p.service_id is null then format('plan %s (%s Mbit/s) here; not provisioned in RADIUS', pl.code, pl.download_mbps)
                     else format('plan %s (%s Mbit/s) here; RADIUS has it in %s', pl.code, pl.download_mbps,
                                 coalesce(p.groupname, 'no group (access refused)')) end
           from services s join plans pl on pl.id = s.plan_id
           left join network_provisioned p on p.service_id = s.id
          where s.status = 'active' and s.activated_on < $3
            and p.groupname is distinct from $4 || pl.code
          order by s.id",
    ];
    if upstream.is_some() {
        kinds.extend([
            "insert into reconciliation_mismatches (run_id, kind, service_id, account_id, upstream_ref, evidence)
             select $1, 'invoiced_but_cancelled', s.id, s.account_id, u.circuit,
                    format('invoiced %s for %s to %s (line %s); cancelled here on %s', u.amount, u.period_start,
                           u.period_end - 1, u.line, s.cancelled_on)
               from upstream u join services s on s.upstream_ref = u.circuit
              where s.cancelled_on is not null and s.cancelled_on <= u.period_start
              order by u.line",
            "insert into reconciliation_mismatches (run_id, kind, upstream_ref, evidence)
             select $1, 'invoiced_unknown', u.circuit,
                    format('invoiced %s for %s to %s (line %s); no service here has this circuit', u.amount,
                           u.period_start, u.period_end - 1, u.line)
               from upstream u
              where not exists (select 1 from services s where s.upstream_ref = u.circuit)
              order by u.line",
            "insert into reconciliation_mismatches (run_id, kind, service_id, account_id, upstream_ref, evidence)
             select $1, 'active_not_invoiced', s.id, s.account_id, s.upstream_ref,
                    format('in service here from %s%s; not on the supplier''s invoice', greatest(s.activated_on, $2),
                           case when s.cancelled_on < $3 then format(' to %s', s.cancelled_on - 1) else '' end)
               from services s
              where s.upstream_ref is not null and s.status <> 'pending' and s.activated_on < $3
                and (s.cancelled_on is null or s.cancelled_on > $2)
                and not exists (select 1 from upstream u where u.circuit = s.upstream_ref)
              order by s.id",
            "insert into reconciliation_mismatches (run_id, kind, service_id, account_id, upstream_ref, evidence)
             select $1, 'speed_differs', s.id, s.account_id, u.circuit,
                    format('plan %s here (%s Mbit/s down); the supplier invoices %s Mbit/s (line %s)', pl.code,
                           pl.download_mbps, u.download_mbps, u.line)
               from upstream u join services s on s.upstream_ref = u.circuit join plans pl on pl.id = s.plan_id
              where u.download_mbps is not null and u.download_mbps <> pl.download_mbps
              order by u.line",
        ]);
    }
    for statement in kinds {
        let mut query = sqlx::query(statement).bind(run_id).bind(start).bind(end);
        if statement.contains("$4") {
            query = query.bind(group_prefix);
        }
        query.execute(&mut *tx).await?;
    }

    // Per plan and day, side by side (by each service's plan now).
    sqlx::query(
        "insert into reconciliation_daily (run_id, plan_id, day, billed, provisioned, online, invoiced)
         with days as (select generate_series($2::date, $3::date - 1, interval '1 day')::date as day)
         select $1, plan_id, day, sum(b), sum(p), sum(o), sum(i) from (
             select s.plan_id, d.day, 1 as b, 0 as p, 0 as o, 0 as i
               from service_charges c join services s on s.id = c.service_id
               join days d on d.day >= c.period_start and d.day < c.period_end
              where c.kind = 'charge' and c.period_start < $3 and c.period_end > $2
             union all
             select s.plan_id, d.day, 0, 1, 0, 0
               from services s join plans pl on pl.id = s.plan_id
               join network_provisioned n on n.service_id = s.id and n.groupname = $4 || pl.code
               join days d on d.day >= s.activated_on and (s.cancelled_on is null or d.day < s.cancelled_on)
             union all
             select s.plan_id, u.day, 0, 0, 1, 0
               from usage_daily u join services s on s.id = u.service_id
              where u.day >= $2 and u.day < $3 and u.download_bytes + u.upload_bytes > 0
             union all
             select s.plan_id, d.day, 0, 0, 0, 1
               from upstream u join services s on s.upstream_ref = u.circuit
               join days d on d.day >= u.period_start and d.day < u.period_end
         ) x
         group by plan_id, day",
    )
    .bind(run_id)
    .bind(start)
    .bind(end)
    .bind(group_prefix)
    .execute(&mut *tx)
    .await?;
    let mismatches: Vec<Mismatch> = sqlx::query_as(
        "select m.id, m.kind, a.account_number, m.service_id, m.upstream_ref, m.evidence
           from reconciliation_mismatches m left join accounts a on a.id = m.account_id
          where m.run_id = $1 order by m.id",
    )
    .bind(run_id)
    .fetch_all(&mut *tx)
    .await?;
    let run = Run {
        id: run_id,
        period_start: start,
        period_end: end,
        upstream: upstream.as_ref().map(|u| u.source.to_string()),
        mismatches,
    };
    let summary: serde_json::Map<String, serde_json::Value> = run
        .counts()
        .into_iter()
        .map(|(kind, n)| (kind.to_string(), n.into()))
        .collect();
    sqlx::query("update reconciliation_runs set summary = $2 where id = $1")
        .bind(run_id)
        .bind(serde_json::Value::Object(summary))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(run)
}

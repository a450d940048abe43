//! Outages in the console: the list (any staff), declaring and ending one (the network
//! right, [`Right::Network`]), each audited in the same transaction as the change
//! (`engine::outages` does the rest: the services affected, their history, the emails).

use chrono::{NaiveDateTime, TimeZone, Utc};
use serde_json::json;

use super::audit::{self, Entry, RequestInfo};
use super::{Right, StaffAccess};
use crate::error::AppError;
use crate::server::Portal;
use crate::types::outages::{DeclaredOutage, OutageRow, OutagesPage};
use engine::outages::{Declaration, Scope};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    title: String,
    message: String,
    scope_kind: String,
    scope_value: String,
    starts_at: chrono::DateTime<Utc>,
    ends_at: Option<chrono::DateTime<Utc>>,
    declared_by: String,
    services: i64,
    accounts: i64,
    settled: i64,
}

/// Outages on, newest first, then those ended in the last 90 days.
pub async fn page(portal: &Portal, staff: &StaffAccess) -> Result<OutagesPage, AppError> {
    let tz = portal.config.billing.time_zone;
    let rows: Vec<Row> = sqlx::query_as(
        "select o.id, o.title, o.message, o.scope_kind, o.scope_value, o.starts_at, o.ends_at,
                u.display_name as declared_by,
                count(os.service_id) as services, count(distinct os.account_id) as accounts,
                count(os.settled_statement_id) as settled
           from outages o
           join staff_users u on u.id = o.declared_by
           left join outage_services os on os.outage_id = o.id
          where o.ends_at is null or o.ends_at > now() - interval '90 days'
          group by o.id, u.display_name
          order by (o.ends_at is null) desc, o.starts_at desc
          limit 200",
    )
    .fetch_all(&portal.pool)
    .await?;
    let local = |at: chrono::DateTime<Utc>| at.with_timezone(&tz).naive_local();
    Ok(OutagesPage {
        rows: rows
            .into_iter()
            .map(|r| OutageRow {
                id: r.id,
                title: r.title,
                message: r.message,
                scope_kind: r.scope_kind,
                scope_value: r.scope_value,
                starts_at: local(r.starts_at),
                ends_at: r.ends_at.map(local),
                declared_by: r.declared_by,
                services: r.services,
                accounts: r.accounts,
                settled: r.settled,
            })
            .collect(),
        may_declare: staff.role().has(Right::Network),
    })
}

/// A time typed in the form (`datetime-local`, the provider's time zone); empty is now.
fn typed_time(
    portal: &Portal,
    field: &'static str,
    typed: &str,
) -> Result<chrono::DateTime<Utc>, AppError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(Utc::now());
    }
    let invalid = || AppError::InvalidInput {
        field: field.into(),
        message: "Enter a date and time such as 2026-11-10 08:00.".into(),
    };
    let naive = NaiveDateTime::parse_from_str(typed, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(typed, "%Y-%m-%d %H:%M"))
        .map_err(|_| invalid())?;
    portal
        .config
        .billing
        .time_zone
        .from_local_datetime(&naive)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(invalid)
}

/// Declares an outage.
pub async fn declare(
    portal: &Portal,
    staff: &StaffAccess,
    title: &str,
    message: &str,
    scope_kind: &str,
    scope_value: &str,
    starts_at: &str,
) -> Result<DeclaredOutage, AppError> {
    staff.require(Right::Network)?;
    let scope = Scope::parse(scope_kind, scope_value)?;
    let starts_at = typed_time(portal, "starts_at", starts_at)?;
    let mut tx = portal.pool.begin().await?;
    let declared = engine::outages::declare_in(
        &mut tx,
        &portal.config.billing,
        &Declaration {
            title: title.to_string(),
            message: message.to_string(),
            scope: scope.clone(),
            starts_at,
            staff_id: staff.staff_id(),
        },
        Utc::now(),
    )
    .await?;
    audit::record(
        &mut *tx,
        Entry::staff(
            staff.staff_id(),
            None,
            "outage.declared",
            json!({
                "outage_id": declared.outage_id,
                "title": title.trim(),
                "scope": { "kind": scope.kind(), "value": scope.value() },
                "services": declared.services,
            }),
        ),
        &RequestInfo::current(),
    )
    .await?;
    tx.commit().await?;
    Ok(DeclaredOutage {
        id: declared.outage_id,
        services: declared.services,
        accounts: declared.accounts,
    })
}

/// Ends an outage (now, or at the time typed).
pub async fn end(
    portal: &Portal,
    staff: &StaffAccess,
    outage_id: i64,
    ends_at: &str,
) -> Result<(), AppError> {
    staff.require(Right::Network)?;
    let ends_at = typed_time(portal, "ends_at", ends_at)?;
    let mut tx = portal.pool.begin().await?;
    engine::outages::end_in(
        &mut tx,
        &portal.config.billing,
        outage_id,
        ends_at,
        staff.staff_id(),
        Utc::now(),
    )
    .await?;
    audit::record(
        &mut *tx,
        Entry::staff(
            staff.staff_id(),
            None,
            "outage.ended",
            json!({ "outage_id": outage_id }),
        ),
        &RequestInfo::current(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

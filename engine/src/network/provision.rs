//! The provisioning worker: `provisioning_outbox` -> FreeRADIUS's tables.
//!
//! Triggers of the schema write an outbox row in the transaction of every change the
//! network must know about (a service created in force, a change of status or plan,
//! changed credentials), carrying the service's plan, status and suspension reason as the
//! change left them. The worker applies each row:
//!
//! - **in order per service**: a row is claimed only when no earlier row of its service
//!   is waiting, so a suspension is never overtaken by the plan change before it;
//! - **exactly once**: rows are claimed `for update skip locked` (two instances never hold
//!   the same row) and marked applied (`published_at`, the moment it was applied) in the
//!   transaction that writes the RADIUS rows; the mark refuses a row already marked;
//! - **without one failure blocking others**: each row is applied in a savepoint; a failure
//!   is rolled back to it and recorded (`attempts`, `last_error`, `next_attempt_at`, backing
//!   off from 5 s to 5 min) while the other services' rows carry on. The failed service's
//!   later rows wait for it.
//!
//! What it writes for a service in force, under its current credentials' username:
//! `radius.radcheck` `Cleartext-Password := <password>` (PPPoE) or `Auth-Type := Accept`
//! (IPoE), and `radius.radusergroup` to its plan's group; suspended for not paying, the
//! walled-garden group or `Auth-Type := Reject` (the configured policy), suspended for
//! another reason, `Auth-Type := Reject`. A cancelled service's rows are removed. Lastmile
//! owns, for the usernames it provisions, the radcheck rows `Cleartext-Password` and
//! `Auth-Type` and every radusergroup row; `network_provisioned` records the username and
//! group last written, so that a changed username has its old rows removed. A plan's group
//! (`radius.radgroupreply`) is written from the configuration when the worker first puts
//! someone in it (each batch writes the groups it needs first, in order of their names, so
//! that two workers never deadlock on them).
//!
//! A subscriber who may be online when their group changes is told through
//! [`super::coa::queue`], in the same transaction: a new plan's rate as a CoA-Request, a
//! move into or out of the walled garden, a reject or a cancellation as a
//! Disconnect-Request (they reconnect and are authorised afresh). Changed credentials take
//! effect at the next connection.

use std::collections::BTreeMap;

use sqlx::{PgConnection, PgPool};

use super::coa::{self, Change, Queued};
use super::config::{NetworkConfig, Speed, SuspensionPolicy};
use crate::error::EngineError;

/// Rows claimed per transaction.
pub const BATCH: i64 = 200;

/// What one pass of the worker did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The outbox rows applied, in the order applied.
    pub applied: Vec<i64>,
    /// The rows that failed this time (they are tried again later).
    pub failed: Vec<Failure>,
}

/// An outbox row that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub outbox_id: i64,
    pub service_id: i64,
    pub error: String,
}

impl Report {
    fn add(&mut self, other: Report) {
        self.applied.extend(other.applied);
        self.failed.extend(other.failed);
    }
}

#[derive(Debug, sqlx::FromRow)]
struct Event {
    id: i64,
    service_id: i64,
    action: String,
    plan_code: String,
    download_mbps: i32,
    upload_mbps: i32,
    service_status: String,
    suspension_reason: Option<String>,
}

/// The oldest waiting row of each service (none earlier of its service still waiting), due
/// for an attempt, that no other worker holds.
const CLAIM: &str = "
    select o.id, o.service_id, o.action, o.plan_code, o.download_mbps, o.upload_mbps,
           o.service_status, o.suspension_reason
      from provisioning_outbox o
     where o.published_at is null
       and (o.next_attempt_at is null or o.next_attempt_at <= now())
       and not exists (select 1 from provisioning_outbox e
                        where e.service_id = o.service_id and e.published_at is null
                          and e.id < o.id)
     order by o.id
     limit $1
     for update of o skip locked";

/// Applies what is waiting until nothing is left that is due (rows that failed wait for
/// their next attempt).
pub async fn run(pool: &PgPool, config: &NetworkConfig) -> Result<Report, EngineError> {
    let mut report = Report::default();
    loop {
        let pass = run_batch(pool, config, BATCH).await?;
        let claimed = pass.applied.len() + pass.failed.len();
        report.add(pass);
        if claimed == 0 {
            return Ok(report);
        }
    }
}

/// Claims up to `limit` rows (one per service) and applies them in one transaction.
pub async fn run_batch(
    pool: &PgPool,
    config: &NetworkConfig,
    limit: i64,
) -> Result<Report, EngineError> {
    let mut tx = pool.begin().await?;
    let events: Vec<Event> = sqlx::query_as(CLAIM)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    let mut report = Report::default();
    // The groups the rows put subscribers in are written (or found right) first, in order
    // of their names: two workers never wait for each other's groups.
    let groups: BTreeMap<String, Vec<(String, String)>> =
        events.iter().filter_map(|e| target(config, e)).collect();
    for (group, attributes) in &groups {
        super::config::write_group(&mut tx, group, attributes).await?;
    }
    for event in &events {
        sqlx::query("savepoint provision_event")
            .execute(&mut *tx)
            .await?;
        match apply(&mut tx, config, event).await {
            Ok(()) => {
                sqlx::query("release savepoint provision_event")
                    .execute(&mut *tx)
                    .await?;
                report.applied.push(event.id);
            }
            Err(error) => {
                sqlx::query("rollback to savepoint provision_event")
                    .execute(&mut *tx)
                    .await?;
                let error = error.to_string();
                tracing::warn!(outbox_id = event.id, service_id = event.service_id, %error, "provisioning failed; will retry");
                sqlx::query(
                    "update provisioning_outbox
                        set attempts = attempts + 1, last_error = $2,
                            next_attempt_at = now() + least(interval '5 seconds' * power(2, least(attempts, 6)),
                                                            interval '5 minutes')
                      where id = $1",
                )
                .bind(event.id)
                .bind(&error)
                .execute(&mut *tx)
                .await?;
                report.failed.push(Failure {
                    outbox_id: event.id,
                    service_id: event.service_id,
                    error,
                });
            }
        }
    }
    tx.commit().await?;
    Ok(report)
}

/// Applies one outbox row (see the module documentation).
async fn apply(
    conn: &mut PgConnection,
    config: &NetworkConfig,
    event: &Event,
) -> Result<(), EngineError> {
    let previous: Option<(String, Option<String>)> = sqlx::query_as(
        "select username, groupname from network_provisioned where service_id = $1 for update",
    )
    .bind(event.service_id)
    .fetch_optional(&mut *conn)
    .await?;

    let in_force = matches!(event.service_status.as_str(), "active" | "suspended");
    if !in_force {
        if let Some((username, _)) = previous {
            remove_user(conn, &username).await?;
            sqlx::query("delete from network_provisioned where service_id = $1")
                .bind(event.service_id)
                .execute(&mut *conn)
                .await?;
            coa::queue(
                conn,
                Queued {
                    outbox_id: event.id,
                    service_id: event.service_id,
                    username,
                    change: Change::Disconnect,
                },
            )
            .await?;
        }
        return mark_applied(conn, event.id).await;
    }

    // Locked so that a credentials change waits for this transaction, and then queues its
    // own row (which this one does not cover).
    let credentials: Option<(String, String, Option<String>)> = sqlx::query_as(
        "select kind, username, password from network_credentials where service_id = $1 for share",
    )
    .bind(event.service_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((kind, username, password)) = credentials else {
        return Err(EngineError::Invalid(format!(
            "service {} has no network credentials",
            event.service_id
        )));
    };

    let group = target(config, event).map(|(group, _)| group);
    let policy = suspension_policy(config, event);

    // Recorded first: the unique username refuses a name another service's rows still hold
    // (that service's own row, waiting, frees it).
    sqlx::query(
        "insert into network_provisioned (service_id, username, groupname, outbox_id)
         values ($1, $2, $3, $4)
         on conflict (service_id) do update
            set username = excluded.username, groupname = excluded.groupname,
                outbox_id = excluded.outbox_id, applied_at = now()",
    )
    .bind(event.service_id)
    .bind(&username)
    .bind(&group)
    .bind(event.id)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        let taken = matches!(&e, sqlx::Error::Database(d)
            if d.constraint() == Some("network_provisioned_username_key"));
        if taken {
            EngineError::Conflict(format!(
                "the username {username} is still provisioned for another service"
            ))
        } else {
            e.into()
        }
    })?;
    if let Some((old, _)) = &previous {
        if *old != username {
            remove_user(conn, old).await?;
        }
    }
    remove_user(conn, &username).await?;

    let mut check: Vec<(&str, String)> = Vec::new();
    match (kind.as_str(), password) {
        ("pppoe", Some(password)) => check.push(("Cleartext-Password", password)),
        ("pppoe", None) => {
            return Err(EngineError::Invalid(format!(
                "service {} has PPPoE credentials without a password",
                event.service_id
            )))
        }
        _ => {}
    }
    if policy == Some(SuspensionPolicy::Reject) {
        check.push(("Auth-Type", "Reject".into()));
    } else if kind == "ipoe" {
        check.push(("Auth-Type", "Accept".into()));
    }
    let (attributes, values): (Vec<&str>, Vec<String>) = check.into_iter().unzip();
    sqlx::query(
        "insert into radius.radcheck (username, attribute, op, value)
         select $1, a, ':=', v from unnest($2::text[], $3::text[]) with ordinality as t(a, v, n)
          order by n",
    )
    .bind(&username)
    .bind(&attributes)
    .bind(&values)
    .execute(&mut *conn)
    .await?;
    if let Some(group) = &group {
        sqlx::query(
            "insert into radius.radusergroup (username, groupname, priority) values ($1, $2, 1)",
        )
        .bind(&username)
        .bind(group)
        .execute(&mut *conn)
        .await?;
    }

    // A subscriber online under the username they connected with.
    if let Some((online_as, old_group)) = previous {
        let change = match (&old_group, &group) {
            (old, new) if old == new => None,
            (Some(old), Some(new)) if config.is_plan_group(old) && config.is_plan_group(new) => {
                Some(Change::Rate(config.rate_attributes(speed(event))))
            }
            _ => Some(Change::Disconnect),
        };
        if let Some(change) = change {
            coa::queue(
                conn,
                Queued {
                    outbox_id: event.id,
                    service_id: event.service_id,
                    username: online_as,
                    change,
                },
            )
            .await?;
        }
    }
    tracing::debug!(outbox_id = event.id, service_id = event.service_id, action = %event.action, "provisioned");
    mark_applied(conn, event.id).await
}

/// What a suspended service gets, for a row that leaves it suspended.
fn suspension_policy(config: &NetworkConfig, event: &Event) -> Option<SuspensionPolicy> {
    (event.service_status == "suspended")
        .then(|| config.policy_for(event.suspension_reason.as_deref()))
}

/// The group a row puts its subscriber in, with the group's reply attributes: the plan's,
/// or the walled garden; none for a service rejected or no longer in force.
fn target(config: &NetworkConfig, event: &Event) -> Option<(String, Vec<(String, String)>)> {
    match event.service_status.as_str() {
        "active" => Some((
            config.plan_group(&event.plan_code),
            config.rate_attributes(speed(event)),
        )),
        "suspended" => match suspension_policy(config, event) {
            Some(SuspensionPolicy::WalledGarden) => Some((
                config.suspension.group.clone(),
                config.suspension.attributes.clone(),
            )),
            _ => None,
        },
        _ => None,
    }
}

fn speed(event: &Event) -> Speed<'_> {
    Speed {
        plan_code: &event.plan_code,
        download_mbps: event.download_mbps,
        upload_mbps: event.upload_mbps,
    }
}

/// Removes what Lastmile writes for `username`.
async fn remove_user(conn: &mut PgConnection, username: &str) -> Result<(), EngineError> {
    sqlx::query(
        "delete from radius.radcheck
          where username = $1 and attribute in ('Cleartext-Password', 'Auth-Type')",
    )
    .bind(username)
    .execute(&mut *conn)
    .await?;
    sqlx::query("delete from radius.radusergroup where username = $1")
        .bind(username)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn mark_applied(conn: &mut PgConnection, outbox_id: i64) -> Result<(), EngineError> {
    let marked = sqlx::query(
        "update provisioning_outbox set published_at = clock_timestamp(), last_error = null, next_attempt_at = null
          where id = $1 and published_at is null",
    )
    .bind(outbox_id)
    .execute(&mut *conn)
    .await?;
    if marked.rows_affected() != 1 {
        return Err(EngineError::Conflict(format!(
            "outbox row {outbox_id} was already applied"
        )));
    }
    Ok(())
}

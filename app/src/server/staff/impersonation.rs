//! "View as subscriber": a staff member opens the portal exactly as the subscriber sees it.
//!
//! - It starts with a reason (and a ticket reference when there is one) and is time-boxed
//!   (`PortalConfig::support_view_ttl`, 30 minutes by default). The session id changes when it
//!   starts and when it ends.
//! - Both identities are kept: the staff member as actor, the account as subject, in the
//!   `support_sessions` row, in the audit log (start, end, every page viewed, every action) and
//!   on the subscriber's own history ("Support viewed your account").
//! - It is read-only unless the staff member's role may act for the subscriber (see
//!   `access::require_acting`); the subscriber's own secrets are never reachable.

use serde_json::json;
use sqlx::PgPool;

use super::audit::{self, Actor, Entry, RequestInfo};
use super::StaffAccess;
use crate::error::AppError;
use crate::server::access::Assist;
use crate::server::session::{PortalSession, ViewingAs};
use crate::server::Portal;

/// Why a view ended, as stored in `support_sessions.end_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Ended,
    Expired,
    SignedOut,
    Replaced,
}

impl EndReason {
    fn as_str(self) -> &'static str {
        match self {
            EndReason::Ended => "ended",
            EndReason::Expired => "expired",
            EndReason::SignedOut => "signed_out",
            EndReason::Replaced => "replaced",
        }
    }
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::InvalidInput {
        field: field.into(),
        message: message.into(),
    }
}

/// Checks the reason and ticket reference a staff member gave.
pub fn validate(reason: &str, ticket_ref: &str) -> Result<(String, Option<String>), AppError> {
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.chars().count() < 5 {
        return Err(invalid(
            "reason",
            "Say why you need to view this account (at least 5 characters).",
        ));
    }
    if reason.chars().count() > 500 {
        return Err(invalid("reason", "Keep the reason under 500 characters."));
    }
    let ticket_ref = ticket_ref.trim();
    if ticket_ref.is_empty() {
        return Ok((reason, None));
    }
    let valid = ticket_ref.len() <= 40
        && ticket_ref
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "#/._-".contains(c));
    if !valid {
        return Err(invalid(
            "ticket_ref",
            "A ticket reference has letters, digits and # / . _ - only (up to 40).",
        ));
    }
    Ok((reason, Some(ticket_ref.to_string())))
}

/// Starts viewing an account as its subscriber (ending any view the staff member had open).
pub async fn start(
    portal: &Portal,
    session: &PortalSession,
    staff: &StaffAccess,
    account_id: i64,
    reason: &str,
    ticket_ref: &str,
) -> Result<(), AppError> {
    let (reason, ticket_ref) = validate(reason, ticket_ref)?;
    let request = RequestInfo::current();
    let mut tx = portal.pool.begin().await?;
    let login_id: Option<Option<i64>> = sqlx::query_scalar(
        "select (select l.id from portal_logins l join people p on p.id = l.person_id
                  where l.account_id = a.id and l.disabled_at is null
                  order by (p.role = 'owner') desc, l.id limit 1)
           from accounts a where a.id = $1",
    )
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(login_id) = login_id.ok_or(AppError::NotFound)? else {
        return Err(AppError::Conflict {
            message: "This account has no portal login to view as.".into(),
        });
    };
    let replaced: Vec<(i64, i64)> = sqlx::query_as(
        "update support_sessions set ended_at = now(), end_reason = 'replaced'
          where staff_user_id = $1 and ended_at is null returning id, account_id",
    )
    .bind(staff.staff_id())
    .fetch_all(&mut *tx)
    .await?;
    for (id, subject) in replaced {
        audit::record(
            &mut *tx,
            ended_entry(staff.staff_id(), id, subject, EndReason::Replaced),
            &request,
        )
        .await?;
    }
    let ttl_secs = portal.config.support_view_ttl.as_secs() as i64;
    let (id, expires_at): (i64, chrono::DateTime<chrono::Utc>) = sqlx::query_as(
        "insert into support_sessions (staff_user_id, account_id, reason, ticket_ref, expires_at)
         values ($1, $2, $3, $4, now() + make_interval(secs => $5::float8))
         returning id, expires_at",
    )
    .bind(staff.staff_id())
    .bind(account_id)
    .bind(&reason)
    .bind(&ticket_ref)
    .bind(ttl_secs)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        Entry {
            actor: Actor::Staff {
                staff_id: staff.staff_id(),
            },
            subject_account_id: Some(account_id),
            action: "support.view_started",
            detail: json!({ "reason": reason, "ticket_ref": ticket_ref, "expires_at": expires_at }),
            support_session_id: Some(id),
        },
        &request,
    )
    .await?;
    // The subscriber's own history says so, with the time and the reason.
    let summary: String = format!("Support viewed your account: {reason}")
        .chars()
        .take(300)
        .collect();
    sqlx::query(
        "insert into service_events (account_id, kind, summary, detail, staff_user_id)
         values ($1, 'support_access', $2, $3, $4)",
    )
    .bind(account_id)
    .bind(&summary)
    .bind(json!({ "reason": reason, "ticket_ref": ticket_ref, "support_session_id": id }))
    .bind(staff.staff_id())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    session
        .set_viewing(Some(&ViewingAs {
            support_session_id: id,
            account_id,
            login_id,
            expires_at_ms: expires_at.timestamp_millis(),
        }))
        .await?;
    tracing::info!(
        staff_id = staff.staff_id(),
        account_id,
        support_session_id = id,
        "view as subscriber started"
    );
    Ok(())
}

fn ended_entry(staff_id: i64, id: i64, account_id: i64, why: EndReason) -> Entry<'static> {
    Entry {
        actor: Actor::Staff { staff_id },
        subject_account_id: Some(account_id),
        action: "support.view_ended",
        detail: json!({ "end_reason": why.as_str() }),
        support_session_id: Some(id),
    }
}

/// Ends the view this session has open, if any; returns the account that was viewed.
pub async fn end(
    pool: &PgPool,
    session: &PortalSession,
    staff_id: i64,
    why: EndReason,
) -> Result<Option<i64>, AppError> {
    let Some(viewing) = session.viewing().await? else {
        return Ok(None);
    };
    close(pool, staff_id, viewing.support_session_id, why).await?;
    session.set_viewing(None).await?;
    Ok(Some(viewing.account_id))
}

/// Closes a support session in the database (once: a closed one stays as it was).
async fn close(
    pool: &PgPool,
    staff_id: i64,
    support_session_id: i64,
    why: EndReason,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let closed: Option<i64> = sqlx::query_scalar(
        "update support_sessions
            set ended_at = case when $3 = 'expired' then greatest(started_at, least(now(), expires_at)) else now() end,
                end_reason = $3
          where id = $1 and staff_user_id = $2 and ended_at is null
          returning account_id",
    )
    .bind(support_session_id)
    .bind(staff_id)
    .bind(why.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(account_id) = closed {
        audit::record(
            &mut *tx,
            ended_entry(staff_id, support_session_id, account_id, why),
            &RequestInfo::current(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Checks that a view is still open and within its time; ends it when it is not.
pub async fn check(
    portal: &Portal,
    session: &PortalSession,
    staff: &StaffAccess,
    viewing: &ViewingAs,
) -> Result<Assist, AppError> {
    let open: Option<bool> = sqlx::query_scalar(
        "select ended_at is null and expires_at > now() from support_sessions
          where id = $1 and staff_user_id = $2 and account_id = $3",
    )
    .bind(viewing.support_session_id)
    .bind(staff.staff_id())
    .bind(viewing.account_id)
    .fetch_optional(&portal.pool)
    .await?;
    if open != Some(true) {
        close(
            &portal.pool,
            staff.staff_id(),
            viewing.support_session_id,
            EndReason::Expired,
        )
        .await?;
        session.set_viewing(None).await?;
        return Err(AppError::Unauthenticated);
    }
    Ok(Assist {
        staff_id: staff.staff_id(),
        support_session_id: viewing.support_session_id,
        role: staff.role(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_required_and_a_ticket_reference_is_checked() {
        assert_eq!(
            validate("  caller   asked about  bill ", "").unwrap(),
            ("caller asked about bill".to_string(), None)
        );
        assert_eq!(validate("why?", "").unwrap_err().field(), Some("reason"));
        assert_eq!(
            validate(&"x".repeat(501), "").unwrap_err().field(),
            Some("reason")
        );
        assert_eq!(
            validate("billing question", "T-000123")
                .unwrap()
                .1
                .as_deref(),
            Some("T-000123")
        );
        assert_eq!(
            validate("billing question", "<script>")
                .unwrap_err()
                .field(),
            Some("ticket_ref")
        );
    }
}

//! Support tickets: subscribers open them and answer from the portal; staff work the queue,
//! answer, assign, change status and decide disputes from the console. Email goes both ways.
//!
//! Subscriber functions take an [`AccountAccess`] and find tickets only within its account
//! (another account's number finds nothing); staff functions take a [`StaffAccess`]. Each
//! write is one transaction with what it causes: the message, the status, the history event,
//! the email in the outbox and, for staff, the audit entry. Deciding a dispute is the billing
//! engine's (`engine::disputes::decide`, its own transaction: the credit, the message, the
//! email); its audit entry follows. Accepting is an adjustment, under the same limits: beyond
//! the caller's, the credit waits in the approvals queue and the dispute stays open. Staff
//! opening a ticket is audited, as opening an account is.

use billing::{Currency, Money};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::access::AccountAccess;
use super::staff::audit::{self, Entry, RequestInfo};
use super::staff::{Right, StaffAccess};
use super::Portal;
use crate::error::AppError;
use crate::types::tickets::{
    AcceptanceWaiting, Dispute, DisputeOutcome, Message, Queue, QueueItem, StaffTicket,
    SupportPage, SupportTicket, TicketDetail, TicketItem, MESSAGE_MAX_CHARS, NEW_CATEGORIES,
    QUEUE_LIMIT, QUEUE_VIEWS, REPLY_STATUSES, STATUSES, SUBJECT_MAX_CHARS,
};

fn invalid(field: &str, message: &str) -> AppError {
    AppError::InvalidInput {
        field: field.to_string(),
        message: message.to_string(),
    }
}

/// A message as written, trimmed, within the schema's limits.
fn message_text<'a>(field: &str, text: &'a str) -> Result<&'a str, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(field, "Write your message."));
    }
    if text.chars().count() > MESSAGE_MAX_CHARS {
        return Err(invalid(
            field,
            "Keep the message under 10,000 characters (about four pages).",
        ));
    }
    Ok(text)
}

fn currency(code: &str) -> Result<Currency, AppError> {
    Currency::parse(code.trim()).map_err(|e| AppError::internal("currency", e))
}

/// At most `max` characters (for summaries and subjects made from what people wrote).
fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Paragraphs of a message, for an email.
fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Reading a ticket (both sides)
// ---------------------------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct TicketRow {
    id: i64,
    account_id: i64,
    number: String,
    subject: String,
    category: String,
    status: String,
    priority: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    assigned_staff_id: Option<i64>,
    assignee: Option<String>,
    disputed_amount: Option<Decimal>,
    dispute_outcome: Option<String>,
    dispute_explanation: Option<String>,
    decided_at: Option<DateTime<Utc>>,
    credited: Option<Decimal>,
    line_description: Option<String>,
    statement_id: Option<i64>,
    statement_number: Option<String>,
    account_number: String,
    account_name: String,
    time_zone: String,
    currency: String,
}

/// One ticket by number: within one account (`Some`) or any (staff).
const TICKET: &str = "
select t.id, t.account_id, t.number, t.subject, t.category, t.status, t.priority,
       t.created_at, t.updated_at, t.assigned_staff_id, su.display_name as assignee,
       t.disputed_amount, t.dispute_outcome, t.dispute_explanation, t.decided_at,
       -c.amount as credited, l.description as line_description, s.id as statement_id,
       s.statement_number, a.account_number, a.display_name as account_name, a.time_zone,
       a.currency::text as currency
  from tickets t
  join accounts a on a.id = t.account_id
  left join staff_users su on su.id = t.assigned_staff_id
  left join statement_lines l on l.id = t.statement_line_id
  left join statements s on s.id = l.statement_id
  left join ledger_entries c on c.id = t.dispute_credit_id
 where t.number = $1 and ($2::bigint is null or t.account_id = $2)";

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    by_staff: bool,
    author: String,
    body: String,
    created_at: DateTime<Utc>,
}

async fn load(
    pool: &PgPool,
    number: &str,
    account_id: Option<i64>,
) -> Result<(TicketRow, TicketDetail), AppError> {
    let row = sqlx::query_as::<_, TicketRow>(TICKET)
        .bind(number.trim())
        .bind(account_id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let messages = sqlx::query_as::<_, MessageRow>(
        "select m.id, m.author_login_id is null as by_staff,
                coalesce(su.display_name, p.first_name || ' ' || p.last_name, i.name, '') as author,
                m.body, m.created_at
           from ticket_messages m
           left join staff_users su on su.id = m.author_staff_id
           left join portal_logins pl on pl.id = m.author_login_id
           left join people p on p.id = pl.person_id
           left join api_keys k on k.id = m.author_api_key_id
           left join integrations i on i.id = k.integration_id
          where m.ticket_id = $1
          order by m.created_at, m.id",
    )
    .bind(row.id)
    .fetch_all(pool)
    .await?;
    let tz = super::tz(&row.time_zone);
    let local = |at: DateTime<Utc>| at.with_timezone(&tz).naive_local();
    let currency = currency(&row.currency)?;
    let dispute = match (
        row.disputed_amount,
        &row.line_description,
        row.statement_id,
        &row.statement_number,
    ) {
        (Some(amount), Some(description), Some(statement_id), Some(statement_number)) => {
            let outcome = match (row.dispute_outcome.as_deref(), row.decided_at) {
                (Some("accepted"), Some(at)) => Some(DisputeOutcome::Accepted {
                    credited: Money::new(row.credited.unwrap_or(amount), currency),
                    decided_at: local(at),
                }),
                (Some("rejected"), Some(at)) => Some(DisputeOutcome::Rejected {
                    explanation: row.dispute_explanation.clone().unwrap_or_default(),
                    decided_at: local(at),
                }),
                _ => None,
            };
            Some(Dispute {
                amount: Money::new(amount, currency),
                line_description: description.clone(),
                statement_id,
                statement_number: statement_number.clone(),
                outcome,
            })
        }
        _ => None,
    };
    let detail = TicketDetail {
        number: row.number.clone(),
        subject: row.subject.clone(),
        category: row.category.clone(),
        status: row.status.clone(),
        priority: row.priority.clone(),
        opened_at: local(row.created_at),
        updated_at: local(row.updated_at),
        messages: messages
            .into_iter()
            .map(|m| Message {
                id: m.id,
                by_staff: m.by_staff,
                author: m.author,
                body: m.body,
                at: local(m.created_at),
            })
            .collect(),
        dispute,
    };
    Ok((row, detail))
}

// ---------------------------------------------------------------------------------------
// The subscriber's side
// ---------------------------------------------------------------------------------------

/// The account's tickets, the latest updated first (at most 100).
pub async fn list(pool: &PgPool, access: &AccountAccess) -> Result<SupportPage, AppError> {
    let rows: Vec<(String, String, String, String, DateTime<Utc>, String)> = sqlx::query_as(
        "select t.number, t.subject, t.category, t.status, t.updated_at, a.time_zone
           from tickets t join accounts a on a.id = t.account_id
          where t.account_id = $1
          order by t.updated_at desc, t.id desc
          limit 100",
    )
    .bind(access.account_id())
    .fetch_all(pool)
    .await?;
    Ok(SupportPage {
        tickets: rows
            .into_iter()
            .map(
                |(number, subject, category, status, updated_at, time_zone)| TicketItem {
                    number,
                    subject,
                    category,
                    status,
                    updated_at: updated_at
                        .with_timezone(&super::tz(&time_zone))
                        .naive_local(),
                },
            )
            .collect(),
        can_write: access.assisted().is_none(),
    })
}

/// One of the account's tickets with its conversation.
pub async fn detail(
    pool: &PgPool,
    access: &AccountAccess,
    number: &str,
) -> Result<SupportTicket, AppError> {
    let (_, ticket) = load(pool, number, Some(access.account_id())).await?;
    let can_write = access.assisted().is_none();
    Ok(SupportTicket {
        can_reply: can_write && ticket.status != "closed",
        can_write,
        ticket,
    })
}

/// Opens a request: the ticket, its first message, a history event and an email to the
/// support inbox, in one transaction. Returns the ticket's number.
pub async fn open(
    portal: &Portal,
    access: &AccountAccess,
    category: &str,
    subject: &str,
    message: &str,
) -> Result<String, AppError> {
    let (category, subject, message) = new_ticket(category, subject, message)?;
    let account_id = access.account_id();
    let mut tx = portal.pool.begin().await?;
    let (person_id, name): (i64, String) = sqlx::query_as(
        "select p.id, p.first_name || ' ' || p.last_name
           from portal_logins l join people p on p.id = l.person_id
          where l.id = $1 and l.account_id = $2",
    )
    .bind(access.login_id())
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let (ticket_id, number) = insert_ticket(
        &mut tx,
        &portal.config,
        account_id,
        Author::Subscriber {
            login_id: access.login_id(),
            person_id,
            name: &name,
        },
        (category, subject, message),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(account_id, ticket_id, "ticket opened");
    Ok(number)
}

/// Opens a ticket for an integration's key (`POST /api/v1/accounts/{id}/tickets`), in the
/// caller's transaction, with the rules and the support-inbox email of the subscriber's
/// own: the provider's CRM booking a technician, say. Returns its id and number.
pub async fn open_by_key_in(
    conn: &mut sqlx::PgConnection,
    config: &super::PortalConfig,
    account_id: i64,
    api_key_id: i64,
    integration: &str,
    (category, subject, message): (&str, &str, &str),
) -> Result<(i64, String), AppError> {
    let checked = new_ticket(category, subject, message)?;
    sqlx::query_scalar::<_, i64>("select id from accounts where id = $1 for update")
        .bind(account_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    insert_ticket(
        conn,
        config,
        account_id,
        Author::ApiKey {
            api_key_id,
            integration,
        },
        checked,
    )
    .await
}

/// Who opens a ticket.
enum Author<'a> {
    Subscriber {
        login_id: i64,
        person_id: i64,
        name: &'a str,
    },
    ApiKey {
        api_key_id: i64,
        integration: &'a str,
    },
}

/// A new ticket's category, subject and first message, checked and trimmed.
fn new_ticket<'a>(
    category: &'a str,
    subject: &'a str,
    message: &'a str,
) -> Result<(&'a str, &'a str, &'a str), AppError> {
    let category = category.trim();
    if !NEW_CATEGORIES.contains(&category) {
        return Err(invalid(
            "category",
            "Choose what your request is about: billing, technical or general.",
        ));
    }
    let subject = subject.trim();
    if subject.is_empty() || subject.chars().any(char::is_control) {
        return Err(invalid("subject", "Give your request a subject."));
    }
    if subject.chars().count() > SUBJECT_MAX_CHARS {
        return Err(invalid(
            "subject",
            "Keep the subject under 200 characters; the details go in the message.",
        ));
    }
    let message = message_text("message", message)?;
    Ok((category, subject, message))
}

/// The ticket, its first message, the history event and the support inbox's email.
async fn insert_ticket(
    conn: &mut sqlx::PgConnection,
    config: &super::PortalConfig,
    account_id: i64,
    author: Author<'_>,
    (category, subject, message): (&str, &str, &str),
) -> Result<(i64, String), AppError> {
    let account_number: String =
        sqlx::query_scalar("select account_number from accounts where id = $1")
            .bind(account_id)
            .fetch_one(&mut *conn)
            .await?;
    let (person, login, key, who) = match &author {
        Author::Subscriber {
            login_id,
            person_id,
            name,
        } => (Some(*person_id), Some(*login_id), None, name.to_string()),
        Author::ApiKey {
            api_key_id,
            integration,
        } => (
            None,
            None,
            Some(*api_key_id),
            format!("{integration} (integration)"),
        ),
    };
    let (ticket_id, number): (i64, String) = sqlx::query_as(
        "insert into tickets (account_id, subject, category, status, opened_by_person)
         values ($1, $2, $3, 'open', $4) returning id, number",
    )
    .bind(account_id)
    .bind(subject)
    .bind(category)
    .bind(person)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "insert into ticket_messages (ticket_id, author_login_id, author_api_key_id, body)
         values ($1, $2, $3, $4)",
    )
    .bind(ticket_id)
    .bind(login)
    .bind(key)
    .bind(message)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into service_events (account_id, kind, summary, detail) values ($1, 'ticket', $2, $3)",
    )
    .bind(account_id)
    .bind(cut(&format!("Ticket {number} opened: {subject}"), 300))
    .bind(json!({ "ticket_id": ticket_id, "category": category }))
    .execute(&mut *conn)
    .await?;
    let mut body = vec![format!(
        "{who} (account {account_number}) opened a {category} request: “{subject}”."
    )];
    body.extend(paragraphs(message));
    let email = engine::mail::Notice {
        kind: "ticket_opened",
        account_id,
        to: &config.billing.support_inbox,
        first_name: "support team",
        words: &engine::mail::words::EN,
        subject: cut(&format!("{number}: {subject}"), 300),
        paragraphs: body,
        link: Some((
            "Open the ticket",
            format!("{}/staff/tickets/{number}", config.public_url),
        )),
    }
    .render(&config.billing)?;
    super::mail::enqueue(&mut *conn, &email).await?;
    Ok((ticket_id, number))
}

/// The ticket a subscriber answers, and who hears of it (the assignee, if still enabled).
#[derive(sqlx::FromRow)]
struct ReplyTarget {
    ticket_id: i64,
    status: String,
    subject: String,
    staff_email: Option<String>,
    staff_name: Option<String>,
    account_number: String,
}

/// The subscriber answers: the message, the ticket back to `open` when it was waiting for
/// them (or resolved), and an email to the assigned staff member, else the support inbox.
pub async fn reply(
    portal: &Portal,
    access: &AccountAccess,
    number: &str,
    message: &str,
) -> Result<(), AppError> {
    let message = message_text("message", message)?;
    let config = &portal.config;
    let account_id = access.account_id();
    let mut tx = portal.pool.begin().await?;
    let ReplyTarget {
        ticket_id,
        status,
        subject,
        staff_email,
        staff_name,
        account_number,
    } = sqlx::query_as::<_, ReplyTarget>(
        "select t.id as ticket_id, t.status, t.subject, su.email::text as staff_email,
                su.display_name as staff_name, a.account_number
           from tickets t
           join accounts a on a.id = t.account_id
           left join staff_users su on su.id = t.assigned_staff_id and su.disabled_at is null
          where t.number = $1 and t.account_id = $2
          for update of t",
    )
    .bind(number.trim())
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if status == "closed" {
        return Err(AppError::Conflict {
            message: "This request is closed. Open a new request if you need more help.".into(),
        });
    }
    sqlx::query(
        "insert into ticket_messages (ticket_id, author_login_id, body) values ($1, $2, $3)",
    )
    .bind(ticket_id)
    .bind(access.login_id())
    .bind(message)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "update tickets
            set status = case when status in ('pending', 'resolved') then 'open' else status end,
                closed_at = case when status in ('pending', 'resolved') then null else closed_at end,
                updated_at = now()
          where id = $1",
    )
    .bind(ticket_id)
    .execute(&mut *tx)
    .await?;
    let greeting = staff_name
        .as_deref()
        .and_then(|n| n.split_whitespace().next())
        .unwrap_or("support team")
        .to_string();
    let to = staff_email.unwrap_or_else(|| config.billing.support_inbox.clone());
    let mut body = vec![format!(
        "The subscriber of account {account_number} answered on {number} (“{subject}”):"
    )];
    body.extend(paragraphs(message));
    let email = engine::mail::Notice {
        kind: "ticket_reply",
        account_id,
        to: &to,
        first_name: &greeting,
        words: &engine::mail::words::EN,
        subject: cut(&format!("{number}: a reply from the subscriber"), 300),
        paragraphs: body,
        link: Some((
            "Open the ticket",
            format!("{}/staff/tickets/{number}", config.public_url),
        )),
    }
    .render(&config.billing)?;
    super::mail::enqueue(&mut tx, &email).await?;
    tx.commit().await?;
    tracing::info!(account_id, ticket_id, "ticket answered by the subscriber");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The console's side
// ---------------------------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct QueueRow {
    number: String,
    account_id: i64,
    account_number: String,
    account_name: String,
    subject: String,
    category: String,
    status: String,
    priority: String,
    assignee: Option<String>,
    updated_at: DateTime<Utc>,
}

/// The queue: tickets in the view's statuses (perhaps only the caller's), the latest updated
/// first, at most [`QUEUE_LIMIT`]. Times are the provider's.
pub async fn queue(
    portal: &Portal,
    staff: &StaffAccess,
    view: Option<&str>,
    mine: bool,
) -> Result<Queue, AppError> {
    staff.require(Right::Support)?;
    let view = match view.map(str::trim) {
        None | Some("") => "active",
        Some(v) if QUEUE_VIEWS.contains(&v) => v,
        Some(_) => {
            return Err(invalid(
                "status",
                "Choose which tickets to show: open and pending, one status, or all.",
            ))
        }
    };
    let statuses: Vec<&str> = match view {
        "active" => vec!["open", "pending"],
        "all" => STATUSES.to_vec(),
        one => vec![one],
    };
    let rows = sqlx::query_as::<_, QueueRow>(
        "select t.number, t.account_id, a.account_number, a.display_name as account_name,
                t.subject, t.category, t.status, t.priority, su.display_name as assignee,
                t.updated_at
           from tickets t
           join accounts a on a.id = t.account_id
           left join staff_users su on su.id = t.assigned_staff_id
          where t.status = any($1) and ($2::bigint is null or t.assigned_staff_id = $2)
          order by t.updated_at desc, t.id desc
          limit $3",
    )
    .bind(&statuses)
    .bind(mine.then_some(staff.staff_id()))
    .bind(QUEUE_LIMIT as i64 + 1)
    .fetch_all(&portal.pool)
    .await?;
    let more = rows.len() > QUEUE_LIMIT;
    let tz = portal.config.billing.time_zone;
    Ok(Queue {
        view: view.to_string(),
        mine,
        more,
        items: rows
            .into_iter()
            .take(QUEUE_LIMIT)
            .map(|r| QueueItem {
                number: r.number,
                account_id: r.account_id,
                account_number: r.account_number,
                account_name: r.account_name,
                subject: r.subject,
                category: r.category,
                status: r.status,
                priority: r.priority,
                assignee: r.assignee,
                updated_at: r.updated_at.with_timezone(&tz).naive_local(),
            })
            .collect(),
    })
}

/// Any ticket, with its account and assignee. Opening it is written to the audit log (once
/// per request), as opening the account is: the conversation is the subscriber's.
pub async fn staff_detail(
    pool: &PgPool,
    staff: &StaffAccess,
    number: &str,
) -> Result<StaffTicket, AppError> {
    staff.require(Right::Support)?;
    let request = RequestInfo::current();
    let (row, ticket) = load(pool, number, None).await?;
    audit::staff_opened(
        pool,
        staff.staff_id(),
        row.account_id,
        "console.ticket_viewed",
        json!({ "ticket_id": row.id, "number": row.number, "path": request.path }),
        &request,
    )
    .await?;
    let waiting: Option<(String, DateTime<Utc>)> = sqlx::query_as(
        "select r.display_name, j.requested_at
           from adjustments j join staff_users r on r.id = j.requested_by
          where j.dispute_ticket_id = $1 and j.status = 'pending'",
    )
    .bind(row.id)
    .fetch_optional(pool)
    .await?;
    let tz = super::tz(&row.time_zone);
    Ok(StaffTicket {
        ticket,
        account_id: row.account_id,
        account_number: row.account_number,
        account_name: row.account_name,
        time_zone: row.time_zone,
        assigned_to_me: row.assigned_staff_id == Some(staff.staff_id()),
        assignee: row.assignee,
        acceptance_waiting: waiting.map(|(asked_by, at)| AcceptanceWaiting {
            asked_by,
            asked_at: at.with_timezone(&tz).naive_local(),
        }),
        may_approve: staff.role().has(Right::Adjust),
    })
}

/// A ticket locked for a change by staff.
struct Locked {
    id: i64,
    account_id: i64,
    subject: String,
    status: String,
    assigned_staff_id: Option<i64>,
    undecided_dispute: bool,
}

async fn lock(conn: &mut PgConnection, number: &str) -> Result<Locked, AppError> {
    let row: Option<(i64, i64, String, String, Option<i64>, bool)> = sqlx::query_as(
        "select id, account_id, subject, status, assigned_staff_id,
                category = 'dispute' and dispute_outcome is null
           from tickets where number = $1 for update",
    )
    .bind(number.trim())
    .fetch_optional(&mut *conn)
    .await?;
    let (id, account_id, subject, status, assigned_staff_id, undecided_dispute) =
        row.ok_or(AppError::NotFound)?;
    Ok(Locked {
        id,
        account_id,
        subject,
        status,
        assigned_staff_id,
        undecided_dispute,
    })
}

/// A dispute is decided (accepted or rejected) before it is resolved or closed: dunning
/// holds the disputed amount until then.
fn check_closable(ticket: &Locked, status: &str) -> Result<(), AppError> {
    if ticket.undecided_dispute && matches!(status, "resolved" | "closed") {
        return Err(invalid(
            "status",
            "Decide the dispute (accept or reject it) before resolving or closing the ticket.",
        ));
    }
    Ok(())
}

/// Sets a ticket's status (with `closed_at` as the schema wants it).
async fn set_status_row(conn: &mut PgConnection, id: i64, status: &str) -> Result<(), AppError> {
    sqlx::query(
        "update tickets
            set status = $2, updated_at = now(),
                closed_at = case when $2 in ('resolved', 'closed') then coalesce(closed_at, now()) end
          where id = $1",
    )
    .bind(id)
    .bind(status)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Staff answer: the message, the status it leaves the ticket in (`pending` unless said),
/// the email to the subscriber and the audit entry, in one transaction.
pub async fn staff_reply(
    portal: &Portal,
    staff: &StaffAccess,
    number: &str,
    message: &str,
    status: Option<&str>,
) -> Result<(), AppError> {
    staff.require(Right::Support)?;
    let message = message_text("message", message)?;
    let status = match status.map(str::trim) {
        None | Some("") => REPLY_STATUSES[0],
        Some(s) if REPLY_STATUSES.contains(&s) => s,
        Some(_) => {
            return Err(invalid(
                "status",
                "Choose what the reply leaves the ticket as: waiting for the subscriber, resolved or closed.",
            ))
        }
    };
    let config = &portal.config;
    let request = RequestInfo::current();
    let mut tx = portal.pool.begin().await?;
    let ticket = lock(&mut tx, number).await?;
    check_closable(&ticket, status)?;
    let number = number.trim();
    let message_id: i64 = sqlx::query_scalar(
        "insert into ticket_messages (ticket_id, author_staff_id, body) values ($1, $2, $3) returning id",
    )
    .bind(ticket.id)
    .bind(staff.staff_id())
    .bind(message)
    .fetch_one(&mut *tx)
    .await?;
    set_status_row(&mut tx, ticket.id, status).await?;
    if let Some(to) = engine::mail::recipient(&mut tx, ticket.account_id).await? {
        // In the subscriber's language; the staff member's message as written.
        let w = to.words();
        let mut body = vec![(w.ticket_answered)(staff.name(), &ticket.subject, number)];
        body.extend(paragraphs(message));
        body.push(
            match status {
                "resolved" => w.ticket_resolved,
                "closed" => w.ticket_closed,
                _ => w.ticket_waiting,
            }
            .to_string(),
        );
        let email = engine::mail::Notice {
            kind: "ticket_answered",
            account_id: ticket.account_id,
            to: &to.email,
            first_name: &to.first_name,
            words: w,
            subject: cut(&(w.ticket_answered_subject)(number), 300),
            paragraphs: body,
            link: Some((
                w.see_conversation,
                format!("{}/support/{number}", config.public_url),
            )),
        }
        .render(&config.billing)?;
        super::mail::enqueue(&mut tx, &email).await?;
    }
    audit::record(
        &mut *tx,
        Entry::staff(
            staff.staff_id(),
            Some(ticket.account_id),
            "ticket.replied",
            json!({
                "ticket_id": ticket.id,
                "number": number,
                "message_id": message_id,
                "status_from": ticket.status,
                "status_to": status,
            }),
        ),
        &request,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        account_id = ticket.account_id,
        ticket_id = ticket.id,
        "ticket answered by staff"
    );
    Ok(())
}

/// Assigns the ticket to the caller (`to_me`) or to nobody. Audited when it changes.
pub async fn assign(
    pool: &PgPool,
    staff: &StaffAccess,
    number: &str,
    to_me: bool,
) -> Result<(), AppError> {
    staff.require(Right::Support)?;
    let request = RequestInfo::current();
    let mut tx = pool.begin().await?;
    let ticket = lock(&mut tx, number).await?;
    let to = to_me.then_some(staff.staff_id());
    if ticket.assigned_staff_id == to {
        return Ok(());
    }
    sqlx::query("update tickets set assigned_staff_id = $2 where id = $1")
        .bind(ticket.id)
        .bind(to)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        Entry::staff(
            staff.staff_id(),
            Some(ticket.account_id),
            "ticket.assigned",
            json!({
                "ticket_id": ticket.id,
                "number": number.trim(),
                "from_staff_id": ticket.assigned_staff_id,
                "to_staff_id": to,
            }),
        ),
        &request,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes a ticket's status without a message. Audited when it changes.
pub async fn set_status(
    pool: &PgPool,
    staff: &StaffAccess,
    number: &str,
    status: &str,
) -> Result<(), AppError> {
    staff.require(Right::Support)?;
    let status = status.trim();
    if !STATUSES.contains(&status) {
        return Err(invalid(
            "status",
            "Choose a status: open, waiting for the subscriber, resolved or closed.",
        ));
    }
    let request = RequestInfo::current();
    let mut tx = pool.begin().await?;
    let ticket = lock(&mut tx, number).await?;
    if ticket.status == status {
        return Ok(());
    }
    check_closable(&ticket, status)?;
    set_status_row(&mut tx, ticket.id, status).await?;
    audit::record(
        &mut *tx,
        Entry::staff(
            staff.staff_id(),
            Some(ticket.account_id),
            "ticket.status_changed",
            json!({
                "ticket_id": ticket.id,
                "number": number.trim(),
                "from": ticket.status,
                "to": status,
            }),
        ),
        &request,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Decides a dispute ticket through the billing engine, then audits it. Accepting is an
/// adjustment: beyond the caller's limits it waits for a second person's approval.
pub async fn decide(
    portal: &Portal,
    staff: &StaffAccess,
    number: &str,
    decision: engine::disputes::Decision,
) -> Result<engine::disputes::Decided, AppError> {
    use engine::disputes::Decided;
    staff.require(Right::Support)?;
    let found: Option<(i64, i64, String)> =
        sqlx::query_as("select id, account_id, category from tickets where number = $1")
            .bind(number.trim())
            .fetch_optional(&portal.pool)
            .await?;
    let Some((ticket_id, account_id, category)) = found else {
        return Err(AppError::NotFound);
    };
    if category != "dispute" {
        return Err(AppError::NotFound);
    }
    let today = engine::clock::today(portal.config.billing.time_zone, Utc::now());
    let decided = engine::disputes::decide(
        &portal.pool,
        &portal.config.billing,
        engine::disputes::Decider {
            staff_id: staff.staff_id(),
            role: staff.role().as_str(),
        },
        account_id,
        ticket_id,
        &decision,
        today,
    )
    .await?;
    let (action, detail) = match decided {
        Decided::Accepted { ledger_entry_id } => (
            "dispute.accepted",
            json!({ "ticket_id": ticket_id, "number": number.trim(), "ledger_entry_id": ledger_entry_id }),
        ),
        Decided::AwaitingApproval { adjustment_id } => (
            "dispute.acceptance_requested",
            json!({ "ticket_id": ticket_id, "number": number.trim(), "adjustment_id": adjustment_id }),
        ),
        Decided::Rejected => (
            "dispute.rejected",
            json!({ "ticket_id": ticket_id, "number": number.trim() }),
        ),
    };
    audit::record(
        &portal.pool,
        Entry::staff(staff.staff_id(), Some(account_id), action, detail),
        &RequestInfo::current(),
    )
    .await?;
    Ok(decided)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_trimmed_and_kept_within_the_schema() {
        assert_eq!(message_text("message", "  hello \n").unwrap(), "hello");
        assert_eq!(
            message_text("message", "   ").unwrap_err().field(),
            Some("message")
        );
        let long = "x".repeat(MESSAGE_MAX_CHARS + 1);
        assert!(message_text("message", &long).is_err());
        let just = "é".repeat(MESSAGE_MAX_CHARS);
        assert!(message_text("message", &just).is_ok());
    }

    #[test]
    fn an_email_keeps_the_message_paragraphs() {
        assert_eq!(
            paragraphs("One.\n\n\n\nTwo\nlines.\n\n  "),
            vec!["One.".to_string(), "Two\nlines.".to_string()]
        );
    }
}

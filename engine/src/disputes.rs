//! Disputes: a subscriber questions one line of a statement.
//!
//! Opening one writes a `dispute` ticket tied to the line, for at most the line's amount (the
//! schema checks both, and allows one open dispute per line), with the subscriber's message,
//! a history event and an email to the support inbox. While it is open, the disputed amount
//! is held ([`crate::owed`]): dunning, autopay, pay links and the pay page ask only for the
//! rest.
//!
//! It ends once, decided by staff: **accepted**, with a credit of the disputed amount posted
//! to the ledger (key `dispute:<ticket>`, so it reaches the next statement through
//! `ledger_entries_pending`), or **rejected**, with an explanation the subscriber reads on the
//! ticket and in an email. Either way the hold ends.
//!
//! Accepting is an adjustment ([`crate::adjustments`]): the credit is within the accepting
//! person's limits (one adjustment, and their day) or it waits for a second person's
//! approval. While it waits, the dispute stays open and held, and can be neither accepted
//! again nor rejected; approved, it is accepted as above; turned down, it is open as before.

use billing::{text, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::mail::{self, Notice};

/// A subscriber's dispute of one statement line.
#[derive(Debug, Clone)]
pub struct DisputeRequest {
    pub account_id: i64,
    pub statement_id: i64,
    pub line_id: i64,
    /// How much of the line is disputed (at most the line's amount).
    pub amount: Decimal,
    pub message: String,
    /// The portal login asking.
    pub login_id: i64,
}

/// The ticket a dispute opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub ticket_id: i64,
    pub number: String,
}

/// How staff decide a dispute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The charge was wrong: the disputed amount is credited.
    Accept { note: Option<String> },
    /// The charge stands, for the reason given to the subscriber.
    Reject { explanation: String },
}

fn invalid(field: &'static str, message: &str) -> EngineError {
    EngineError::InvalidField {
        field,
        message: message.to_string(),
    }
}

/// The line kinds a subscriber may question (payments and credits are theirs already).
const DISPUTABLE: [&str; 4] = ["recurring", "usage", "one_time", "tax"];

/// Opens a dispute of one line of one of the account's statements.
pub async fn open(
    pool: &PgPool,
    config: &EngineConfig,
    req: &DisputeRequest,
) -> Result<Opened, EngineError> {
    let message = req.message.trim();
    if message.chars().count() < 10 {
        return Err(invalid(
            "message",
            "Tell us what is wrong with this charge (at least 10 characters).",
        ));
    }
    if message.chars().count() > 2000 {
        return Err(invalid(
            "message",
            "Keep the message under 2,000 characters.",
        ));
    }
    if req.amount <= Decimal::ZERO || req.amount.scale() > 2 {
        return Err(invalid(
            "amount",
            "Enter the amount you are questioning, like 12.50.",
        ));
    }
    let mut tx = pool.begin().await?;
    // The line, found only within the account's own statements.
    let line: Option<(String, String, Decimal, String, i64)> = sqlx::query_as(
        "select l.kind, l.description, l.amount, s.statement_number,
                (select p.id from portal_logins pl join people p on p.id = pl.person_id
                  where pl.id = $4 and pl.account_id = s.account_id)
           from statement_lines l join statements s on s.id = l.statement_id
          where l.id = $1 and s.id = $2 and s.account_id = $3 and s.status <> 'void'",
    )
    .bind(req.line_id)
    .bind(req.statement_id)
    .bind(req.account_id)
    .bind(req.login_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((kind, description, line_amount, statement_number, person_id)) = line else {
        return Err(EngineError::NotFound);
    };
    if !DISPUTABLE.contains(&kind.as_str()) || line_amount <= Decimal::ZERO {
        return Err(invalid("amount", "Only a charge can be questioned."));
    }
    let currency = crate::payments::currency_of(&mut tx, req.account_id).await?;
    if req.amount > line_amount {
        return Err(invalid(
            "amount",
            &format!(
                "You can question at most the charge itself, {}.",
                text::money(Money::new(line_amount, currency))
            ),
        ));
    }
    let subject: String = format!("Question about a charge: {description}")
        .chars()
        .take(200)
        .collect();
    let inserted: Result<(i64, String), sqlx::Error> = sqlx::query_as(
        "insert into tickets (account_id, subject, category, status, opened_by_person,
                              statement_line_id, disputed_amount)
         values ($1, $2, 'dispute', 'open', $3, $4, $5) returning id, number",
    )
    .bind(req.account_id)
    .bind(&subject)
    .bind(person_id)
    .bind(req.line_id)
    .bind(req.amount)
    .fetch_one(&mut *tx)
    .await;
    let (ticket_id, number) = match inserted {
        Ok(row) => row,
        Err(sqlx::Error::Database(e))
            if e.constraint() == Some("tickets_one_open_dispute_per_line") =>
        {
            return Err(EngineError::Conflict(
                "This charge is already being looked at: see your open request about it.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    sqlx::query(
        "insert into ticket_messages (ticket_id, author_login_id, body) values ($1, $2, $3)",
    )
    .bind(ticket_id)
    .bind(req.login_id)
    .bind(message)
    .execute(&mut *tx)
    .await?;
    let amount = text::money(Money::new(req.amount, currency));
    sqlx::query(
        "insert into service_events (account_id, kind, summary, detail) values ($1, 'ticket', $2, $3)",
    )
    .bind(req.account_id)
    .bind(format!(
        "You questioned {amount} of “{description}” on statement {statement_number} ({number})"
    ).chars().take(300).collect::<String>())
    .bind(serde_json::json!({ "ticket_id": ticket_id, "statement_line_id": req.line_id, "amount": req.amount }))
    .execute(&mut *tx)
    .await?;
    let email = Notice {
        kind: "dispute_opened",
        account_id: req.account_id,
        to: &config.support_inbox,
        first_name: "support team",
        words: &mail::words::EN,
        subject: format!("{number}: {amount} disputed on statement {statement_number}"),
        paragraphs: vec![
            format!("A subscriber questions {amount} of “{description}” on statement {statement_number}. Dunning holds this amount until the dispute is decided."),
            format!("Their message: {message}"),
        ],
        link: Some((
            "Open the ticket",
            format!("{}/staff/tickets/{number}", config.public_url),
        )),
    }
    .render(config)?;
    mail::enqueue_all(&mut tx, &[email]).await?;
    tx.commit().await?;
    tracing::info!(account_id = req.account_id, ticket_id, "dispute opened");
    Ok(Opened { ticket_id, number })
}

/// What deciding a dispute did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    /// Accepted: the credit is on the ledger.
    Accepted { ledger_entry_id: i64 },
    /// Accepting credits more than the person may alone: the credit (an adjustment) waits
    /// for a second person; the dispute stays open and held.
    AwaitingApproval { adjustment_id: i64 },
    /// Rejected: the charge stands.
    Rejected,
}

/// Who decides: a staff member and their role as stored in `staff_users.role` (read afresh).
#[derive(Debug, Clone, Copy)]
pub struct Decider<'a> {
    pub staff_id: i64,
    pub role: &'a str,
}

/// The longest note to the subscriber with an acceptance.
pub const NOTE_MAX_CHARS: usize = 2000;

/// Decides an open dispute of the account (once: a second decision is a conflict).
pub async fn decide(
    pool: &PgPool,
    config: &EngineConfig,
    by: Decider<'_>,
    account_id: i64,
    ticket_id: i64,
    decision: &Decision,
    today: NaiveDate,
) -> Result<Decided, EngineError> {
    match decision {
        Decision::Reject { explanation } => {
            let length = explanation.trim().chars().count();
            if !(5..=2000).contains(&length) {
                return Err(invalid(
                    "explanation",
                    "Explain to the subscriber why the charge stands (5 to 2,000 characters).",
                ));
            }
        }
        Decision::Accept { note: Some(note) } if note.trim().chars().count() > NOTE_MAX_CHARS => {
            return Err(invalid(
                "note",
                "Keep the note to the subscriber under 2,000 characters.",
            ));
        }
        Decision::Accept { .. } => {}
    }
    let mut tx = pool.begin().await?;
    let found: Option<(String, Decimal, String, Option<String>, bool)> = sqlx::query_as(
        "select t.number, t.disputed_amount, l.description, t.dispute_outcome,
                exists (select 1 from adjustments j where j.dispute_ticket_id = t.id and j.status = 'pending')
           from tickets t
           join statement_lines l on l.id = t.statement_line_id
          where t.id = $1 and t.account_id = $2 and t.category = 'dispute'
          for update of t",
    )
    .bind(ticket_id)
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((number, disputed, description, outcome, awaiting)) = found else {
        return Err(EngineError::NotFound);
    };
    if outcome.is_some() {
        return Err(EngineError::Conflict(
            "This dispute was already decided.".into(),
        ));
    }
    if awaiting {
        return Err(EngineError::Conflict(
            "Accepting this dispute already waits for approval: it is decided once that is approved or turned down.".into(),
        ));
    }
    let decided = match decision {
        Decision::Accept { note } => {
            let note = note.as_deref().map(str::trim).filter(|n| !n.is_empty());
            let reason: String = format!("Accepted dispute {number}: “{description}”")
                .chars()
                .take(500)
                .collect();
            let ask = crate::adjustments::Ask {
                account_id,
                amount: -disputed,
                reason: &reason,
                staff_id: by.staff_id,
                staff_role: by.role,
                dispute: Some((ticket_id, note)),
            };
            match crate::adjustments::record(&mut tx, config, &ask, today).await? {
                crate::adjustments::Outcome::Posted {
                    ledger_entry_id, ..
                } => Decided::Accepted { ledger_entry_id },
                crate::adjustments::Outcome::AwaitingApproval { adjustment_id } => {
                    Decided::AwaitingApproval { adjustment_id }
                }
            }
        }
        Decision::Reject { explanation } => {
            let explanation = explanation.trim();
            let currency = crate::payments::currency_of(&mut tx, account_id).await?;
            conclude(
                &mut tx,
                config,
                &Conclusion {
                    ticket_id,
                    account_id,
                    number: &number,
                    outcome: "rejected",
                    credit_id: None,
                    explanation: Some(explanation),
                    reply: explanation.to_string(),
                    event: format!(
                        "Dispute {number} answered: the charge of {} stands",
                        text::money(Money::new(disputed, currency))
                    ),
                    credited: None,
                    note: Some(explanation),
                    staff_id: by.staff_id,
                },
            )
            .await?;
            Decided::Rejected
        }
    };
    tx.commit().await?;
    tracing::info!(account_id, ticket_id, ?decided, "dispute decided");
    Ok(decided)
}

/// An accepted dispute's credit, as its adjustment is posted.
pub(crate) struct Credit<'a> {
    pub ticket_id: i64,
    /// Who accepted the dispute (the adjustment's requester).
    pub decided_by: i64,
    /// Who posted the credit: the same person, or the one who approved it.
    pub posted_by: i64,
    pub note: Option<&'a str>,
    pub today: NaiveDate,
}

/// Posts an accepted dispute's credit and decides the dispute: the ledger entry, the ticket,
/// the message and the email to the subscriber. Returns the ledger entry. (Settling the
/// statements it covers is the adjustment's.)
pub(crate) async fn credit(
    conn: &mut PgConnection,
    config: &EngineConfig,
    credit: &Credit<'_>,
) -> Result<i64, EngineError> {
    let found: Option<(i64, String, Decimal, String, String, Option<String>)> = sqlx::query_as(
        "select t.account_id, t.number, t.disputed_amount, l.description, a.currency::text,
                t.dispute_outcome
           from tickets t
           join statement_lines l on l.id = t.statement_line_id
           join accounts a on a.id = t.account_id
          where t.id = $1 and t.category = 'dispute'
          for update of t",
    )
    .bind(credit.ticket_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((account_id, number, disputed, description, currency, outcome)) = found else {
        return Err(EngineError::NotFound);
    };
    if outcome.is_some() {
        return Err(EngineError::Conflict(
            "This dispute was already decided.".into(),
        ));
    }
    let credit_id: i64 = sqlx::query_scalar(
        "insert into ledger_entries (account_id, currency, kind, amount, description,
                                     effective_on, staff_user_id, idempotency_key)
         values ($1, $2, 'credit', $3, $4, $5, $6, $7) returning id",
    )
    .bind(account_id)
    .bind(&currency)
    .bind(-disputed)
    .bind(
        format!("Credit: disputed charge “{description}” ({number})")
            .chars()
            .take(300)
            .collect::<String>(),
    )
    .bind(credit.today)
    .bind(credit.posted_by)
    .bind(format!("dispute:{}", credit.ticket_id))
    .fetch_one(&mut *conn)
    .await?;
    let credited = Money::new(
        disputed,
        crate::payments::currency_of(&mut *conn, account_id).await?,
    );
    let amount = text::money(credited);
    let mut reply = format!(
        "You were right: we have credited {amount} to your account. The credit appears on your next statement."
    );
    let note = credit.note.map(str::trim).filter(|n| !n.is_empty());
    if let Some(note) = note {
        reply.push_str("\n\n");
        reply.push_str(note);
    }
    conclude(
        conn,
        config,
        &Conclusion {
            ticket_id: credit.ticket_id,
            account_id,
            number: &number,
            outcome: "accepted",
            credit_id: Some(credit_id),
            explanation: None,
            reply,
            event: format!("Dispute {number} accepted: {amount} credited"),
            credited: Some(credited),
            note,
            staff_id: credit.decided_by,
        },
    )
    .await?;
    Ok(credit_id)
}

/// How a dispute ends.
struct Conclusion<'a> {
    ticket_id: i64,
    account_id: i64,
    number: &'a str,
    outcome: &'static str,
    credit_id: Option<i64>,
    explanation: Option<&'a str>,
    /// What the subscriber reads on the ticket (stored, in English).
    reply: String,
    /// The history event's summary.
    event: String,
    /// An acceptance's credit, which the email announces in the subscriber's language.
    credited: Option<Money>,
    /// The staff member's own words to the subscriber (a rejection's explanation, an
    /// acceptance's note), which the email quotes as written.
    note: Option<&'a str>,
    staff_id: i64,
}

/// Marks the dispute decided and resolved, with the reply on the ticket, the history event
/// and the email to the subscriber.
async fn conclude(
    conn: &mut PgConnection,
    config: &EngineConfig,
    c: &Conclusion<'_>,
) -> Result<(), EngineError> {
    sqlx::query(
        "update tickets set dispute_outcome = $2, dispute_credit_id = $3, dispute_explanation = $4,
                            decided_by_staff = $5, decided_at = now(), status = 'resolved',
                            closed_at = now(), updated_at = now()
          where id = $1",
    )
    .bind(c.ticket_id)
    .bind(c.outcome)
    .bind(c.credit_id)
    .bind(c.explanation)
    .bind(c.staff_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into ticket_messages (ticket_id, author_staff_id, body) values ($1, $2, $3)",
    )
    .bind(c.ticket_id)
    .bind(c.staff_id)
    .bind(&c.reply)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into service_events (account_id, kind, summary, detail, staff_user_id)
         values ($1, 'ticket', $2, $3, $4)",
    )
    .bind(c.account_id)
    .bind(&c.event)
    .bind(serde_json::json!({ "ticket_id": c.ticket_id, "outcome": c.outcome, "credit_ledger_entry_id": c.credit_id }))
    .bind(c.staff_id)
    .execute(&mut *conn)
    .await?;
    if let Some(to) = mail::recipient(&mut *conn, c.account_id).await? {
        let number = c.number;
        let (w, f) = (to.words(), to.formats());
        let subject = match c.credited {
            Some(credit) => (w.dispute_credited_subject)(&f.money(&credit), number),
            None => (w.dispute_rejected_subject)(number),
        };
        let paragraphs = c
            .credited
            .map(|credit| (w.dispute_credited)(&f.money(&credit)))
            .into_iter()
            .chain(
                c.note
                    .into_iter()
                    .flat_map(|n| n.split("\n\n").map(str::to_string)),
            )
            .collect();
        let email = Notice {
            kind: "dispute_decided",
            account_id: c.account_id,
            to: &to.email,
            first_name: &to.first_name,
            words: w,
            subject,
            paragraphs,
            link: Some((
                w.see_conversation,
                format!("{}/support/{number}", config.public_url),
            )),
        }
        .render(config)?;
        mail::enqueue_all(&mut *conn, &[email]).await?;
    }
    tracing::info!(
        account_id = c.account_id,
        ticket_id = c.ticket_id,
        outcome = c.outcome,
        "dispute concluded"
    );
    Ok(())
}

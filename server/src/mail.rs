//! Delivers the email outbox: over SMTP when `LASTMILE_SMTP_URL` is set, otherwise into
//! `LASTMILE_MAIL_DIR` as files a person trying the demo can open. Also sweeps expired
//! sessions and old sign-in attempts.
//!
//! The outbox is a queue, not an archive: password-reset and pay links travel in the bodies,
//! so the update that marks an email sent (or given up on, see [`after_failure`]) also
//! clears its bodies; the kind, recipient, subject and times stay, which is what staff need
//! to see that it went. The schema refuses a sent email that still has a body.
//!
//! A mail server that is down loses nothing: the emails wait, tried again after growing
//! pauses, and go when it is back. An email is sent at least once: an instance that dies
//! between the mail server's acceptance and the update that records it leaves the email to
//! be sent again after its lease.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use sqlx::PgPool;

use crate::settings::Settings;

/// Where emails go.
pub enum Delivery {
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
    Directory(PathBuf),
}

impl Delivery {
    /// Over SMTP: `url` as `LASTMILE_SMTP_URL`, `from` as `LASTMILE_MAIL_FROM`.
    pub fn smtp(url: &str, from: &str) -> anyhow::Result<Delivery> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("LASTMILE_SMTP_URL is not a valid SMTP URL")?
            // A mail server that accepts the connection and then says nothing holds up the
            // outbox for this long at most.
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from = from
            .parse()
            .context("LASTMILE_MAIL_FROM is not a valid mailbox")?;
        Ok(Delivery::Smtp {
            transport: Box::new(transport),
            from,
        })
    }

    pub fn from_settings(settings: &Settings) -> anyhow::Result<Delivery> {
        match &settings.smtp_url {
            Some(url) => Delivery::smtp(url.expose_secret(), &settings.mail_from),
            None => {
                std::fs::create_dir_all(&settings.mail_dir).with_context(|| {
                    format!(
                        "cannot create LASTMILE_MAIL_DIR {}",
                        settings.mail_dir.display()
                    )
                })?;
                tracing::info!(dir = %settings.mail_dir.display(), "no SMTP configured: emails are written to files");
                Ok(Delivery::Directory(settings.mail_dir.clone()))
            }
        }
    }
}

#[derive(sqlx::FromRow)]
struct Outgoing {
    id: i64,
    kind: String,
    to_address: String,
    subject: String,
    text_body: String,
    html_body: String,
    /// Attempts before this one.
    attempts: i32,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// Refusals by the mail server after which an email is given up on. A refusal (SMTP 5xx) is
/// usually about the email itself (no such mailbox), but a mail server that is wrongly set up
/// (a bad password) refuses everything, so an email is tried this many times, over about
/// twenty-five minutes, before the refusal is believed.
pub const MAX_ATTEMPTS: i32 = 10;

/// How long an email waits for a mail server that cannot be reached before it is given up
/// on, as mail servers themselves do.
pub const QUEUE_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(3);

/// How long an instance holds an email it is sending; if it dies meanwhile, another
/// instance sends the email after this.
const LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Why an email did not go.
#[derive(Debug)]
enum Failure {
    /// The mail server refused this email (SMTP 5xx), or it cannot be made into one.
    Refused(String),
    /// The mail server could not be reached, timed out or asked to try later (4xx).
    Unreachable(String),
}

/// What becomes of an email that did not go.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Tried again after this pause.
    RetryAfter(chrono::TimeDelta),
    /// Given up on: its bodies are cleared.
    GiveUp,
}

/// The retry policy: a pause of 10 seconds after the first failure, doubling up to 5
/// minutes; given up when the mail server refuses it at the [`MAX_ATTEMPTS`]th attempt or
/// later, or once the email is older than [`QUEUE_LIFETIME`], whatever the failure.
pub fn after_failure(attempts: i32, refused: bool, age: chrono::TimeDelta) -> Next {
    if age >= QUEUE_LIFETIME || (refused && attempts >= MAX_ATTEMPTS) {
        return Next::GiveUp;
    }
    let doublings = u32::try_from(attempts.clamp(1, 6) - 1).unwrap_or(0);
    let pause = (10_i64 << doublings).min(300);
    Next::RetryAfter(chrono::TimeDelta::seconds(pause))
}

/// Sends what is due. Each email is taken under a lease ([`LEASE`], claimed with SKIP LOCKED
/// and committed before the mail server is called, so no transaction waits on it): several
/// instances share the outbox and none sends an email another is sending. Stops at the first
/// mail server that cannot be reached (the rest wait for the next round). Returns how many
/// were sent.
pub async fn deliver_pending(pool: &PgPool, delivery: &Delivery) -> anyhow::Result<usize> {
    let mut sent = 0;
    loop {
        let next = sqlx::query_as::<_, Outgoing>(
            "update outbound_emails set next_attempt_at = now() + $1
              where id = (select id from outbound_emails
                           where sent_at is null and given_up_at is null and next_attempt_at <= now()
                           order by next_attempt_at, id limit 1 for update skip locked)
             returning id, kind, to_address::text as to_address, subject, text_body, html_body,
                       attempts, created_at",
        )
        .bind(LEASE)
        .fetch_optional(pool)
        .await?;
        let Some(mail) = next else { return Ok(sent) };
        let failure = match send(delivery, &mail).await {
            Ok(()) => {
                sqlx::query(
                    "update outbound_emails set sent_at = now(), attempts = attempts + 1,
                                                last_error = null, text_body = '', html_body = ''
                      where id = $1",
                )
                .bind(mail.id)
                .execute(pool)
                .await?;
                sent += 1;
                continue;
            }
            Err(failure) => failure,
        };
        let (refused, error) = match &failure {
            Failure::Refused(e) => (true, e),
            Failure::Unreachable(e) => (false, e),
        };
        let attempts = mail.attempts + 1;
        let next = after_failure(attempts, refused, chrono::Utc::now() - mail.created_at);
        tracing::warn!(email_id = mail.id, kind = %mail.kind, attempts, error = %error, ?next, "email delivery failed");
        let (pause, give_up) = match next {
            Next::RetryAfter(pause) => (pause, false),
            Next::GiveUp => (chrono::TimeDelta::zero(), true),
        };
        sqlx::query(
            "update outbound_emails
                set attempts = $2, last_error = $3, next_attempt_at = now() + $4,
                    given_up_at = case when $5 then now() end,
                    text_body = case when $5 then '' else text_body end,
                    html_body = case when $5 then '' else html_body end
              where id = $1",
        )
        .bind(mail.id)
        .bind(attempts)
        .bind(error)
        .bind(pause)
        .bind(give_up)
        .execute(pool)
        .await?;
        if !refused {
            return Ok(sent);
        }
    }
}

async fn send(delivery: &Delivery, mail: &Outgoing) -> Result<(), Failure> {
    match delivery {
        Delivery::Smtp { transport, from } => {
            let to = mail
                .to_address
                .parse()
                .map_err(|e| Failure::Refused(format!("the address cannot be used: {e}")))?;
            // The outbox row's id in the Message-ID: an email sent again (its instance died
            // before recording it sent) is recognisably the same email.
            let domain = from.email.domain().to_owned();
            let message = Message::builder()
                .message_id(Some(format!(
                    "<outbound-{}.{}@{domain}>",
                    mail.id,
                    mail.created_at.timestamp()
                )))
                .from(from.clone())
                .to(to)
                .subject(&mail.subject)
                .multipart(
                    MultiPart::alternative()
                        .singlepart(
                            SinglePart::builder()
                                .header(ContentType::TEXT_PLAIN)
                                .body(mail.text_body.clone()),
                        )
                        .singlepart(
                            SinglePart::builder()
                                .header(ContentType::TEXT_HTML)
                                .body(mail.html_body.clone()),
                        ),
                )
                .map_err(|e| Failure::Refused(format!("the email cannot be built: {e}")))?;
            transport.send(message).await.map_err(|e| {
                if e.is_permanent() {
                    Failure::Refused(e.to_string())
                } else {
                    Failure::Unreachable(e.to_string())
                }
            })?;
        }
        Delivery::Directory(dir) => {
            let base = dir.join(format!("{:06}-{}", mail.id, mail.kind));
            let text = format!(
                "To: {}\nSubject: {}\n\n{}",
                mail.to_address, mail.subject, mail.text_body
            );
            let written = async {
                tokio::fs::write(base.with_extension("txt"), text).await?;
                tokio::fs::write(base.with_extension("html"), &mail.html_body).await
            };
            written
                .await
                .map_err(|e| Failure::Unreachable(format!("{}: {e}", dir.display())))?;
            tracing::info!(email_id = mail.id, kind = %mail.kind, file = %base.with_extension("txt").display(), "email written");
        }
    }
    Ok(())
}

/// Runs until `stop` is cancelled: delivers mail every two seconds, sweeps every minute.
pub async fn run_background(
    pool: PgPool,
    delivery: Delivery,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Err(e) = deliver_pending(&pool, &delivery).await {
            tracing::warn!(error = %e, "outbox");
        }
        ticks += 1;
        if ticks % 30 == 1 {
            let swept = sqlx::query("delete from tower_sessions.session where expiry_date < now()")
                .execute(&pool)
                .await;
            let old = sqlx::query(
                "delete from login_attempts where attempted_at < now() - interval '1 day'",
            )
            .execute(&pool)
            .await;
            if let Err(e) = swept.and(old) {
                tracing::warn!(error = %e, "sweeping sessions and sign-in attempts");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn a_mail_server_that_is_down_is_waited_for_three_days_with_pauses_up_to_five_minutes() {
        let minute = TimeDelta::minutes(1);
        let pauses: Vec<Next> = (1..=8).map(|n| after_failure(n, false, minute)).collect();
        let seconds = [10, 20, 40, 80, 160, 300, 300, 300];
        assert_eq!(
            pauses,
            seconds.map(|s| Next::RetryAfter(TimeDelta::seconds(s)))
        );
        // A thousand failures two days in: still waiting.
        assert_eq!(
            after_failure(1000, false, TimeDelta::days(2)),
            Next::RetryAfter(TimeDelta::minutes(5))
        );
        assert_eq!(after_failure(1000, false, QUEUE_LIFETIME), Next::GiveUp);
    }

    #[test]
    fn an_email_refused_ten_times_is_given_up_on() {
        let age = TimeDelta::minutes(25);
        assert_eq!(
            after_failure(MAX_ATTEMPTS - 1, true, age),
            Next::RetryAfter(TimeDelta::minutes(5))
        );
        assert_eq!(after_failure(MAX_ATTEMPTS, true, age), Next::GiveUp);
        // Ten times unreachable is not ten refusals.
        assert_ne!(after_failure(MAX_ATTEMPTS, false, age), Next::GiveUp);
    }
}

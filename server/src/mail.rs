//! Delivers the email outbox: over SMTP when `LASTMILE_SMTP_URL` is set, otherwise into
//! `LASTMILE_MAIL_DIR` as files a person trying the demo can open. Also sweeps expired
//! sessions and old sign-in attempts.
//!
//! The outbox is a queue, not an archive: password-reset and pay links travel in the bodies,
//! so the update that marks an email sent (or given up on, after [`MAX_ATTEMPTS`]) also
//! clears its bodies; the kind, recipient, subject and times stay, which is what staff need
//! to see that it went. The schema refuses a sent email that still has a body.

use std::path::PathBuf;
use std::sync::Arc;
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
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Delivery> {
        match &settings.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .context("LASTMILE_SMTP_URL is not a valid SMTP URL")?
                    .build();
                let from = settings
                    .mail_from
                    .parse()
                    .context("LASTMILE_MAIL_FROM is not a valid mailbox")?;
                Ok(Delivery::Smtp {
                    transport: Box::new(transport),
                    from,
                })
            }
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
}

/// Attempts at delivering one email before it is given up on (`outbound_emails_no_body_once_done`
/// in the schema counts the same).
pub const MAX_ATTEMPTS: i32 = 10;

/// Sends what is waiting; each email is claimed with SKIP LOCKED so several servers share
/// the outbox without sending anything twice. Returns how many were sent.
pub async fn deliver_pending(pool: &PgPool, delivery: &Delivery) -> anyhow::Result<usize> {
    let mut sent = 0;
    loop {
        let mut tx = pool.begin().await?;
        let next = sqlx::query_as::<_, Outgoing>(
            "select id, kind, to_address::text as to_address, subject, text_body, html_body from outbound_emails
              where sent_at is null and attempts < $1 order by id limit 1 for update skip locked",
        )
        .bind(MAX_ATTEMPTS)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(mail) = next else { return Ok(sent) };
        match send(delivery, &mail).await {
            Ok(()) => {
                sqlx::query(
                    "update outbound_emails set sent_at = now(), attempts = attempts + 1,
                                                text_body = '', html_body = ''
                      where id = $1",
                )
                .bind(mail.id)
                .execute(&mut *tx)
                .await?;
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(email_id = mail.id, kind = %mail.kind, error = %e, "email delivery failed");
                sqlx::query(
                    "update outbound_emails
                        set attempts = attempts + 1, last_error = $2,
                            text_body = case when attempts + 1 >= $3 then '' else text_body end,
                            html_body = case when attempts + 1 >= $3 then '' else html_body end
                      where id = $1",
                )
                .bind(mail.id)
                .bind(e.to_string())
                .bind(MAX_ATTEMPTS)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                return Ok(sent);
            }
        }
        tx.commit().await?;
    }
}

async fn send(delivery: &Delivery, mail: &Outgoing) -> anyhow::Result<()> {
    match delivery {
        Delivery::Smtp { transport, from } => {
            let message = Message::builder()
                .from(from.clone())
                .to(mail.to_address.parse()?)
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
                )?;
            transport.send(message).await?;
        }
        Delivery::Directory(dir) => {
            let base = dir.join(format!("{:06}-{}", mail.id, mail.kind));
            let text = format!(
                "To: {}\nSubject: {}\n\n{}",
                mail.to_address, mail.subject, mail.text_body
            );
            tokio::fs::write(base.with_extension("txt"), text).await?;
            tokio::fs::write(base.with_extension("html"), &mail.html_body).await?;
            tracing::info!(email_id = mail.id, kind = %mail.kind, file = %base.with_extension("txt").display(), "email written");
        }
    }
    Ok(())
}

/// Runs until `stop` is notified: delivers mail every two seconds, sweeps every minute.
pub async fn run_background(pool: PgPool, delivery: Delivery, stop: Arc<tokio::sync::Notify>) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            _ = stop.notified() => return,
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

//! Emails. Each is rendered from askama templates (plain text and HTML) and written to the
//! `outbound_emails` outbox inside the caller's transaction, so an email exists exactly when
//! what it announces does. The server's mail worker delivers the outbox.

use askama::Template;
use sqlx::PgConnection;

use engine::mail::MailWords;

use crate::error::AppError;

/// One email ready to queue: the same outbox row the billing emails use.
pub use engine::mail::Email;

#[derive(Template)]
#[template(path = "email/password_reset.txt")]
struct PasswordResetText<'a> {
    w: &'static MailWords,
    hello: &'a str,
    asked: &'a str,
    within: &'a str,
    link: &'a str,
    provider: &'a str,
}

#[derive(Template)]
#[template(path = "email/password_reset.html")]
struct PasswordResetHtml<'a> {
    w: &'static MailWords,
    subject: &'a str,
    hello: &'a str,
    asked: &'a str,
    within: &'a str,
    link: &'a str,
    provider: &'a str,
}

/// The password-reset email, in `locale`'s language.
pub fn password_reset(
    to: &str,
    first_name: &str,
    link: &str,
    minutes: u64,
    provider: &str,
    locale: &str,
    account_id: i64,
) -> Result<Email, AppError> {
    let w = engine::mail::words(locale);
    let hello = (w.hello)(first_name);
    let asked = (w.reset_asked)(provider);
    let subject = (w.reset_subject)(provider);
    let text = PasswordResetText {
        w,
        hello: &hello,
        asked: &asked,
        within: &(w.reset_open_within)(minutes),
        link,
        provider,
    }
    .render()
    .map_err(|e| AppError::internal("rendering email", e))?;
    let html = PasswordResetHtml {
        w,
        subject: &subject,
        hello: &hello,
        asked: &asked,
        within: &(w.reset_use_within)(minutes),
        link,
        provider,
    }
    .render()
    .map_err(|e| AppError::internal("rendering email", e))?;
    Ok(Email {
        kind: "password_reset",
        to: to.to_string(),
        subject,
        text,
        html,
        account_id: Some(account_id),
    })
}

/// Queues an email in the caller's transaction (through the engine's outbox writer).
pub async fn enqueue(conn: &mut PgConnection, email: &Email) -> Result<(), AppError> {
    engine::mail::enqueue_all(conn, std::slice::from_ref(email))
        .await
        .map_err(|e| AppError::internal("queueing an email", e))
}

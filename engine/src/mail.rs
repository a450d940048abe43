//! The billing emails: "your statement is ready" and the notices (dunning steps, prepaid
//! balance, restoration). Each is rendered from askama templates, plain text and HTML, and
//! queued in the `outbound_emails` outbox in the caller's transaction: an email exists
//! exactly when what it announces does. The server's mail worker delivers the outbox.

use askama::Template;
use billing::bill::Bill;
use billing::text;
use sqlx::PgConnection;

use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::facts::Account;

/// One email ready to queue.
#[derive(Debug, Clone)]
pub struct Email {
    /// `outbound_emails.kind`.
    pub kind: &'static str,
    /// The recipient.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
    /// The account it concerns.
    pub account_id: Option<i64>,
}

#[derive(Template)]
#[template(path = "email/statement_ready.txt")]
struct StatementReadyText<'a> {
    v: &'a StatementReady<'a>,
}

#[derive(Template)]
#[template(path = "email/statement_ready.html")]
struct StatementReadyHtml<'a> {
    v: &'a StatementReady<'a>,
}

/// What both statement templates show.
struct StatementReady<'a> {
    first_name: &'a str,
    provider: &'a str,
    number: &'a str,
    period: String,
    amount: String,
    due: String,
    owed: bool,
    prepaid: bool,
    charged: String,
    balance: String,
    link: String,
    /// A signed link that pays this statement without signing in.
    pay_link: Option<String>,
}

// The templates read the shared fields through `v`; these let them say `{{ number }}`.
macro_rules! forward_fields {
    ($t:ident) => {
        impl<'a> std::ops::Deref for $t<'a> {
            type Target = StatementReady<'a>;
            fn deref(&self) -> &Self::Target {
                self.v
            }
        }
    };
}
forward_fields!(StatementReadyText);
forward_fields!(StatementReadyHtml);

/// "Your statement is ready", with the amount, the due date and a link.
pub(crate) fn statement_ready(
    config: &EngineConfig,
    account: &Account,
    to: &str,
    first_name: &str,
    number: &str,
    statement_id: i64,
    bill: &Bill,
) -> Result<Email, EngineError> {
    let due = bill.totals.total_due;
    let view = StatementReady {
        first_name,
        provider: &config.provider_name,
        number,
        period: text::period(&bill.period),
        amount: text::money(due),
        due: text::day(bill.due_on),
        owed: due.is_positive(),
        prepaid: account.mode.plan_from_balance() && !due.is_positive(),
        charged: text::money(bill.from_balance),
        balance: balance_in(due.neg()),
        link: format!("{}/statements/{statement_id}", config.public_url),
        pay_link: match &config.pay_links {
            Some(links) if due.is_positive() => Some(crate::cards::pay_link::url(
                &config.public_url,
                links,
                statement_id,
                chrono::Utc::now(),
            )),
            _ => None,
        },
    };
    let subject = if view.owed {
        format!(
            "Your {} statement: {} due by {}",
            config.provider_name, view.amount, view.due
        )
    } else {
        format!("Your {} statement {number} is ready", config.provider_name)
    };
    Ok(Email {
        kind: "statement_ready",
        to: to.to_string(),
        subject,
        text: StatementReadyText { v: &view }.render()?,
        html: StatementReadyHtml { v: &view }.render()?,
        account_id: Some(account.id),
    })
}

/// A credit balance reads as "£12.00 in credit"; a debt as "£12.00 owed".
pub(crate) fn balance_in(credit: billing::Money) -> String {
    if credit.is_negative() {
        format!("{} owed", text::money(credit.neg()))
    } else {
        format!("{} in credit", text::money(credit))
    }
}

#[derive(Template)]
#[template(path = "email/notice.txt")]
struct NoticeText<'a> {
    first_name: &'a str,
    provider: &'a str,
    paragraphs: &'a [String],
    link: Option<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "email/notice.html")]
struct NoticeHtml<'a> {
    subject: &'a str,
    first_name: &'a str,
    provider: &'a str,
    paragraphs: &'a [String],
    link: Option<(&'a str, &'a str)>,
}

/// A notice about an account: a subject, a few paragraphs and perhaps one link.
pub struct Notice<'a> {
    pub kind: &'static str,
    pub account_id: i64,
    pub to: &'a str,
    pub first_name: &'a str,
    pub subject: String,
    pub paragraphs: Vec<String>,
    pub link: Option<(&'a str, String)>,
}

impl Notice<'_> {
    pub fn render(&self, config: &EngineConfig) -> Result<Email, EngineError> {
        let link = self
            .link
            .as_ref()
            .map(|(label, url)| (*label, url.as_str()));
        Ok(Email {
            kind: self.kind,
            to: self.to.to_string(),
            subject: self.subject.clone(),
            text: NoticeText {
                first_name: self.first_name,
                provider: &config.provider_name,
                paragraphs: &self.paragraphs,
                link,
            }
            .render()?,
            html: NoticeHtml {
                subject: &self.subject,
                first_name: self.first_name,
                provider: &config.provider_name,
                paragraphs: &self.paragraphs,
                link,
            }
            .render()?,
            account_id: Some(self.account_id),
        })
    }
}

/// Where an account's billing emails go: its billing contact, else its owner.
pub async fn recipient(
    conn: &mut PgConnection,
    account_id: i64,
) -> Result<Option<(String, String)>, EngineError> {
    Ok(sqlx::query_as(
        "select email::text, first_name from people
          where account_id = $1 and email is not null
          order by (role = 'billing') desc, (role = 'owner') desc, id
          limit 1",
    )
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Queues emails in the caller's transaction, in one statement.
pub async fn enqueue_all(conn: &mut PgConnection, emails: &[Email]) -> Result<(), EngineError> {
    if emails.is_empty() {
        return Ok(());
    }
    let mut kind = Vec::with_capacity(emails.len());
    let mut to = Vec::with_capacity(emails.len());
    let mut subject = Vec::with_capacity(emails.len());
    let mut text = Vec::with_capacity(emails.len());
    let mut html = Vec::with_capacity(emails.len());
    let mut account = Vec::with_capacity(emails.len());
    for e in emails {
        kind.push(e.kind);
        to.push(e.to.as_str());
        subject.push(e.subject.as_str());
        text.push(e.text.as_str());
        html.push(e.html.as_str());
        account.push(e.account_id);
    }
    sqlx::query(
        "insert into outbound_emails (kind, to_address, subject, text_body, html_body, account_id)
         select * from unnest($1::text[], $2::citext[], $3::text[], $4::text[], $5::text[], $6::bigint[])",
    )
    .bind(&kind)
    .bind(&to)
    .bind(&subject)
    .bind(&text)
    .bind(&html)
    .bind(&account)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

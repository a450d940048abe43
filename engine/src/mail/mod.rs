//! The billing emails: "your statement is ready" and the notices (dunning steps, prepaid
//! balance, restoration). Each is rendered from askama templates, plain text and HTML, and
//! queued in the `outbound_emails` outbox in the caller's transaction: an email exists
//! exactly when what it announces does. The server's mail worker delivers the outbox.

use askama::Template;
use billing::bill::Bill;
use billing::format::Formats;
use serde::Deserialize;
use sqlx::PgConnection;

use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::facts::Account;

pub mod words;

pub use words::{words, MailWords};

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

/// Who an account's email goes to, and how to write to them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Deserialize)]
pub struct Recipient {
    pub email: String,
    /// The name to greet.
    pub first_name: String,
    /// The person's login language in the account's region (`es-US`), else the account's
    /// locale ([`LOCALE_SQL`]).
    pub locale: String,
}

impl Recipient {
    /// The words of their language.
    pub fn words(&self) -> &'static MailWords {
        words(&self.locale)
    }

    /// How their locale writes amounts and dates.
    pub fn formats(&self) -> Formats {
        Formats::new(&self.locale)
    }
}

/// The locale an email to a person is written in, as SQL over `l` (their `portal_logins`
/// row, perhaps none) and `a` (their account): the login's language in the account's region
/// (`es` + `en-US` = `es-US`; `es` + `en` = `es`), else the account's locale.
pub const LOCALE_SQL: &str = "coalesce(l.language || substr(a.locale, 3), a.locale)";

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
    w: &'static MailWords,
    hello: String,
    title: String,
    /// Around the number.
    ready: words::Around,
    /// Around the balance, for a statement paid from a prepaid balance.
    prepaid_words: words::Around,
    /// Around the balance, when nothing is owed.
    nothing_words: words::Around,
    provider: &'a str,
    number: &'a str,
    amount: String,
    due: String,
    owed: bool,
    prepaid: bool,
    balance: String,
    link: String,
    /// A signed link that pays this statement without signing in.
    pay_link: Option<String>,
    pay_label: String,
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

/// "Your statement is ready", with the amount, the due date and a link, in the recipient's
/// language and locale.
pub(crate) fn statement_ready(
    config: &EngineConfig,
    account: &Account,
    to: &Recipient,
    number: &str,
    statement_id: i64,
    bill: &Bill,
) -> Result<Email, EngineError> {
    let (w, f) = (to.words(), to.formats());
    let provider = config.provider_name.as_str();
    let due = bill.totals.total_due;
    let amount = f.money(&due);
    let period = f.period(&bill.period);
    let view = StatementReady {
        w,
        hello: (w.hello)(&to.first_name),
        title: (w.statement_title)(provider, number),
        ready: (w.statement_ready)(provider, &period),
        prepaid_words: (w.statement_prepaid)(&f.money(&bill.from_balance)),
        nothing_words: (w.statement_nothing_to_pay)(),
        provider,
        number,
        pay_label: (w.pay_amount_now)(&amount),
        amount,
        due: f.date(bill.due_on),
        owed: due.is_positive(),
        prepaid: account.mode.plan_from_balance() && !due.is_positive(),
        balance: balance_in(w, &f, due.neg()),
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
        (w.statement_subject_due)(provider, &view.amount, &view.due)
    } else {
        (w.statement_subject_ready)(provider, number)
    };
    Ok(Email {
        kind: "statement_ready",
        to: to.email.clone(),
        subject,
        text: StatementReadyText { v: &view }.render()?,
        html: StatementReadyHtml { v: &view }.render()?,
        account_id: Some(account.id),
    })
}

/// A credit balance reads as "£12.00 in credit"; a debt as "£12.00 owed".
pub(crate) fn balance_in(w: &MailWords, f: &Formats, credit: billing::Money) -> String {
    if credit.is_negative() {
        (w.owed)(&f.money(&credit.neg()))
    } else {
        (w.in_credit)(&f.money(&credit))
    }
}

#[derive(Template)]
#[template(path = "email/notice.txt")]
struct NoticeText<'a> {
    hello: &'a str,
    colon: &'a str,
    provider: &'a str,
    paragraphs: &'a [String],
    link: Option<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "email/notice.html")]
struct NoticeHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    hello: &'a str,
    provider: &'a str,
    paragraphs: &'a [String],
    link: Option<(&'a str, &'a str)>,
}

/// A notice about an account: a subject, a few paragraphs and perhaps one link, written
/// with `words` (the recipient's; [`words::EN`] for the provider's own inbox).
pub struct Notice<'a> {
    pub kind: &'static str,
    pub account_id: i64,
    pub to: &'a str,
    pub first_name: &'a str,
    pub words: &'static MailWords,
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
        let hello = (self.words.hello)(self.first_name);
        Ok(Email {
            kind: self.kind,
            to: self.to.to_string(),
            subject: self.subject.clone(),
            text: NoticeText {
                hello: &hello,
                colon: self.words.colon,
                provider: &config.provider_name,
                paragraphs: &self.paragraphs,
                link,
            }
            .render()?,
            html: NoticeHtml {
                lang: self.words.lang,
                subject: &self.subject,
                hello: &hello,
                provider: &config.provider_name,
                paragraphs: &self.paragraphs,
                link,
            }
            .render()?,
            account_id: Some(self.account_id),
        })
    }
}

/// Where an account's billing emails go: its billing contact, else its owner; written in
/// their login's language, else the account's ([`LOCALE_SQL`]).
pub async fn recipient(
    conn: &mut PgConnection,
    account_id: i64,
) -> Result<Option<Recipient>, EngineError> {
    Ok(sqlx::query_as(&format!(
        "select p.email::text as email, p.first_name, {LOCALE_SQL} as locale
           from people p
           join accounts a on a.id = p.account_id
           left join portal_logins l on l.person_id = p.id
          where p.account_id = $1 and p.email is not null
          order by (p.role = 'billing') desc, (p.role = 'owner') desc, p.id
          limit 1"
    ))
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

#[cfg(test)]
mod tests {
    use billing::bill::BillingMode;
    use billing::{Currency, Money, Period};
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    /// The November statement of an account billed in `currency`, $1,234.50 due.
    fn email_to(locale: &str, currency: Currency) -> Email {
        let due = Money::new(Decimal::new(123450, 2), currency);
        let zero = Money::new(Decimal::ZERO, currency);
        let bill = Bill {
            period: Period {
                start: d(2026, 11, 5),
                end: d(2026, 12, 5),
            },
            issued_on: d(2026, 11, 5),
            due_on: d(2026, 11, 26),
            lines: Vec::new(),
            totals: billing::Totals {
                previous_balance: zero,
                charges: due,
                tax: zero,
                payments: zero,
                credits: zero,
                total_due: due,
            },
            from_balance: zero,
            outages_settled: Vec::new(),
        };
        let account = Account {
            id: 7,
            number: "10000007".into(),
            mode: BillingMode::Postpaid,
            currency,
            billed_for_period: false,
            later_statement: None,
            change_due: false,
            email: None,
        };
        let to = Recipient {
            email: "ana@example.net".into(),
            first_name: "Ana".into(),
            locale: locale.into(),
        };
        statement_ready(
            &EngineConfig::default(),
            &account,
            &to,
            "S-10000007-202611",
            42,
            &bill,
        )
        .expect("rendered")
    }

    #[test]
    fn the_statement_email_reads_in_english_as_it_always_has() {
        let email = email_to("en-US", Currency::USD);
        assert_eq!(
            email.subject,
            "Your Lastmile Broadband statement: $1,234.50 due by Nov 26, 2026"
        );
        assert!(email.text.starts_with("Hello Ana,\n"), "{}", email.text);
        assert!(
            email.text.contains(
                "Your Lastmile Broadband statement S-10000007-202611 for Nov 5 – Dec 4, 2026 is ready."
            ),
            "{}",
            email.text
        );
        assert!(email
            .text
            .contains("Amount due: $1,234.50\nDue by: Nov 26, 2026"));
        assert!(email.html.contains("<html lang=\"en\">"));
    }

    #[test]
    fn a_spanish_reader_in_the_us_gets_spanish_words_and_us_dollars() {
        let email = email_to("es-US", Currency::USD);
        assert_eq!(
            email.subject,
            "Su estado de cuenta de Lastmile Broadband: $1,234.50 a pagar antes del 26/11/2026"
        );
        assert!(email.text.starts_with("Hola, Ana:\n"), "{}", email.text);
        assert!(
            email.text.contains(
                "Su estado de cuenta S-10000007-202611 de Lastmile Broadband del período \
                 05/11/2026 – 04/12/2026 está listo."
            ),
            "{}",
            email.text
        );
        assert!(
            email.text.contains("Monto a pagar: $1,234.50\n"),
            "{}",
            email.text
        );
        assert!(!email.text.contains("Hello") && !email.text.contains("Amount due"));
        assert!(email.html.contains("<html lang=\"es\">"));
        assert!(email.html.contains("<strong>S-10000007-202611</strong>"));
        assert!(email.html.contains(">Ver su estado de cuenta</a>"));
    }

    #[test]
    fn a_french_reader_in_canada_gets_french_words_and_typography() {
        let email = email_to("fr-CA", Currency::CAD);
        let amount = "1\u{202f}234,50\u{a0}$";
        assert_eq!(
            email.subject,
            format!("Votre facture Lastmile Broadband\u{a0}: {amount} à régler au plus tard le 26/11/2026")
        );
        assert!(email.text.starts_with("Bonjour Ana,\n"), "{}", email.text);
        assert!(
            email
                .text
                .contains(&format!("Montant dû\u{a0}: {amount}\n")),
            "{}",
            email.text
        );
        assert!(email.text.contains("Échéance\u{a0}: 26/11/2026"));
        assert!(email.html.contains("<html lang=\"fr\">"));
        assert!(email.html.contains(">Voir votre facture</a>"));
    }

    #[test]
    fn other_languages_are_written_in_english_in_their_region() {
        assert!(std::ptr::eq(words("de-DE"), &words::EN));
        assert!(std::ptr::eq(words("es"), &words::ES));
        assert!(std::ptr::eq(words("fr-FR"), &words::FR));
        let email = email_to("en-GB", Currency::GBP);
        assert!(email.subject.contains("£1,234.50 due by 26 Nov 2026"));
    }
}

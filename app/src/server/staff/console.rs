//! The 360-degree view of an account for staff, and the two things they write there: notes
//! and CRM interactions.
//!
//! Each service comes with its connection's kind and username, never its password (see
//! `crate::server::network`, which reveals and resets it, audited).
//!
//! The view is one statement that gathers the account and every list on the page (each list
//! a `json_agg` of its latest rows), then, in parallel, this cycle's usage (its period follows
//! from the account's cycle day and time zone) and the audit entry saying who opened it.
//! Each write is one transaction with its audit entry.

use billing::{Currency, Money};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use sqlx::PgPool;

use super::audit::{self, Actor, Entry, RequestInfo};
use super::{Right, StaffAccess};
use crate::error::AppError;
use crate::types::console::{
    Account360, AccountFacts, Address, CycleTotals, Interaction, LedgerEntry, Note, Payment,
    Person, Service, ServiceEvent, Ticket, CHANNELS, DIRECTIONS, NOTE_MAX_CHARS, SUMMARY_MAX_CHARS,
};
use crate::types::network::Connection;
use crate::types::StatementSummary;

/// The account and every list of the view, newest first, each cut to what the page shows.
/// Amounts are sent as text so that no digit is lost on the way through JSON.
const VIEW: &str = "
select a.id, a.account_number, a.display_name, a.status, a.kind, a.billing_mode,
       a.billing_cycle_day, a.currency::text as currency, a.time_zone, a.locale, a.autopay,
       a.created_at,
       coalesce((select b.balance from account_balances b where b.account_id = a.id), 0) as balance,
       exists (select 1 from portal_logins l where l.account_id = a.id and l.disabled_at is null)
           as has_portal_login,
       coalesce((select json_agg(x order by x.role = 'owner' desc, x.id) from (
           select p.id, p.role, p.first_name || ' ' || p.last_name as name, p.email::text as email,
                  p.phone,
                  exists (select 1 from portal_logins l
                           where l.person_id = p.id and l.disabled_at is null) as has_portal_login,
                  (select l.id from portal_logins l
                    where l.person_id = p.id and l.disabled_at is null
                      and l.totp_enabled_at is not null) as authenticator_login
             from people p where p.account_id = a.id order by p.id limit 50) x), '[]') as people,
       coalesce((select json_agg(x order by x.id) from (
           select ad.id, ad.line1, ad.line2, ad.city, ad.region, ad.postal_code, ad.country::text as country
             from addresses ad where ad.account_id = a.id order by ad.id limit 50) x), '[]') as addresses,
       coalesce((select json_agg(x order by x.cancelled, x.activated_on desc nulls first, x.id desc) from (
           select s.id, s.status, s.suspension_reason, s.status = 'cancelled' as cancelled,
                  s.activated_on, s.cancelled_on, s.contract_ends_on,
                  p.name as plan_name, p.technology, p.download_mbps, p.upload_mbps, p.allowance_gb,
                  p.monthly_price::text as monthly_price, p.currency::text as currency,
                  ad.line1 || ', ' || ad.city as address,
                  nc.kind as net_kind, nc.username as net_username
             from services s join plans p on p.id = s.plan_id join addresses ad on ad.id = s.address_id
             left join network_credentials nc on nc.service_id = s.id and nc.account_id = s.account_id
            where s.account_id = a.id
            order by s.status = 'cancelled', s.activated_on desc nulls first, s.id desc limit 50) x), '[]')
           as services,
       coalesce((select json_agg(x order by x.effective_on desc, x.id desc) from (
           select l.id, l.kind, l.description, l.amount::text as amount, l.currency::text as currency,
                  l.effective_on
             from ledger_entries l where l.account_id = a.id
            order by l.effective_on desc, l.id desc limit 20) x), '[]') as ledger,
       coalesce((select json_agg(x order by x.period_start desc) from (
           select s.id, s.statement_number, s.period_start, s.period_end, s.issued_on, s.due_on,
                  s.total_due::text as total_due, s.currency::text as currency, s.status
             from statements s where s.account_id = a.id
            order by s.period_start desc limit 12) x), '[]') as statements,
       coalesce((select json_agg(x order by x.created_at desc, x.id desc) from (
           select p.id, p.amount::text as amount, p.currency::text as currency, p.method, p.status,
                  p.created_at, p.succeeded_at,
                  coalesce(p.card_brand, m.brand) as card_brand,
                  coalesce(p.card_last4, m.last4)::text as card_last4
             from payments p left join payment_methods m on m.id = p.payment_method_id
            where p.account_id = a.id
            order by p.created_at desc, p.id desc limit 10) x), '[]') as payments,
       coalesce((select json_agg(x order by x.occurred_at desc, x.id desc) from (
           select e.id, e.kind, e.summary, e.occurred_at, su.display_name as staff_name
             from service_events e left join staff_users su on su.id = e.staff_user_id
            where e.account_id = a.id
            order by e.occurred_at desc, e.id desc limit 20) x), '[]') as history,
       coalesce((select json_agg(x order by x.created_at desc, x.id desc) from (
           select t.id, t.number, t.subject, t.status, t.category, t.priority, t.created_at
             from tickets t where t.account_id = a.id
            order by t.created_at desc, t.id desc limit 10) x), '[]') as tickets,
       coalesce((select json_agg(x order by x.occurred_at desc, x.id desc) from (
           select i.id, i.channel, i.direction, i.summary, i.occurred_at,
                  su.display_name as staff_name, p.first_name || ' ' || p.last_name as person_name
             from interactions i
             left join staff_users su on su.id = i.staff_user_id
             left join people p on p.id = i.person_id
            where i.account_id = a.id
            order by i.occurred_at desc, i.id desc limit 50) x), '[]') as interactions,
       coalesce((select json_agg(x order by x.created_at desc, x.id desc) from (
           select n.id, n.body, n.created_at,
                  coalesce(su.display_name, n.legacy_author || ' (legacy system)', 'Legacy system') as staff_name
             from notes n left join staff_users su on su.id = n.staff_user_id
            where n.account_id = a.id
            order by n.created_at desc, n.id desc limit 50) x), '[]') as notes
  from accounts a
 where a.id = $1";

/// Everything on the staff's page about one account. Opening it is written to the audit log.
pub async fn account_view(
    pool: &PgPool,
    staff: &StaffAccess,
    account_id: i64,
) -> Result<Account360, AppError> {
    staff.require(Right::Support)?;
    let request = RequestInfo::current();
    let row = sqlx::query_as::<_, ViewRow>(VIEW)
        .bind(account_id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)?;

    let tz = crate::server::tz(&row.time_zone);
    let today = crate::server::today_in(&row.time_zone);
    let local = |at: DateTime<Utc>| at.with_timezone(&tz).naive_local();
    let currency = currency(&row.currency)?;
    let cycle_day = billing::cycle::CycleDay::new(u8::try_from(row.billing_cycle_day).unwrap_or(0))
        .map_err(|e| AppError::internal("cycle day", e))?;
    let period = billing::cycle::period_containing(today, cycle_day);

    let usage = async {
        let totals: (i64, i64) = sqlx::query_as(
            "select coalesce(sum(u.download_bytes), 0)::bigint, coalesce(sum(u.upload_bytes), 0)::bigint
               from usage_daily u join services s on s.id = u.service_id
              where s.account_id = $1 and u.day >= $2 and u.day < $3",
        )
        .bind(account_id)
        .bind(period.start)
        .bind(period.end)
        .fetch_one(pool)
        .await?;
        Ok::<_, AppError>(totals)
    };
    let viewed = record_view(pool, staff, account_id, &request);
    let ((download, upload), ()) = tokio::try_join!(usage, viewed)?;

    let services = row
        .services
        .0
        .into_iter()
        .map(|s| {
            Ok(Service {
                id: s.id,
                status: s.status,
                suspension_reason: s.suspension_reason,
                plan_name: s.plan_name,
                technology: s.technology,
                download_mbps: s.download_mbps,
                upload_mbps: s.upload_mbps,
                allowance_gb: s.allowance_gb,
                monthly_price: Money::new(s.monthly_price, self::currency(&s.currency)?),
                activated_on: s.activated_on,
                cancelled_on: s.cancelled_on,
                contract_ends_on: s.contract_ends_on,
                address: s.address,
                // The username only: the password is read by `network::reveal_for_staff`,
                // audited, when asked for.
                connection: s
                    .net_kind
                    .zip(s.net_username)
                    .map(|(kind, username)| Connection {
                        service_id: s.id,
                        kind,
                        username,
                    }),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    // The plan the subscriber's meter is measured against: the first one still running, as on
    // their own overview.
    let allowance_bytes = services
        .iter()
        .filter(|s| matches!(s.status.as_str(), "active" | "suspended"))
        .min_by_key(|s| (s.activated_on, s.id))
        .and_then(|s| s.allowance_gb)
        .map(|gb| u64::try_from(gb).unwrap_or(0) * billing::usage::BYTES_PER_GB);

    Ok(Account360 {
        account: AccountFacts {
            id: row.id,
            account_number: row.account_number,
            display_name: row.display_name,
            status: row.status,
            kind: row.kind,
            billing_mode: row.billing_mode,
            billing_cycle_day: row.billing_cycle_day,
            locale: row.locale,
            autopay: row.autopay,
            customer_since: row.created_at.with_timezone(&tz).date_naive(),
            has_portal_login: row.has_portal_login,
            time_zone: row.time_zone,
        },
        people: row
            .people
            .0
            .into_iter()
            .map(|p| Person {
                id: p.id,
                role: p.role,
                name: p.name,
                email: p.email,
                phone: p.phone,
                has_portal_login: p.has_portal_login,
                authenticator_login: p.authenticator_login,
            })
            .collect(),
        addresses: row
            .addresses
            .0
            .into_iter()
            .map(AddressRow::into_address)
            .collect(),
        services,
        balance: Money::new(row.balance, currency),
        ledger: row
            .ledger
            .0
            .into_iter()
            .map(|l| {
                Ok(LedgerEntry {
                    id: l.id,
                    kind: l.kind,
                    description: l.description,
                    amount: Money::new(l.amount, self::currency(&l.currency)?),
                    effective_on: l.effective_on,
                })
            })
            .collect::<Result<_, AppError>>()?,
        statements: row
            .statements
            .0
            .into_iter()
            .map(|s| s.into_summary(today))
            .collect::<Result<_, _>>()?,
        payments: row
            .payments
            .0
            .into_iter()
            .map(|p| {
                Ok(Payment {
                    id: p.id,
                    at: local(p.succeeded_at.unwrap_or(p.created_at)),
                    method: p.method,
                    amount: Money::new(p.amount, self::currency(&p.currency)?),
                    status: p.status,
                    card_brand: p.card_brand,
                    card_last4: p.card_last4,
                })
            })
            .collect::<Result<_, AppError>>()?,
        usage: CycleTotals {
            period_start: period.start,
            period_end: period.end,
            download_bytes: u64::try_from(download).unwrap_or(0),
            upload_bytes: u64::try_from(upload).unwrap_or(0),
            allowance_bytes,
        },
        history: row
            .history
            .0
            .into_iter()
            .map(|e| ServiceEvent {
                id: e.id,
                kind: e.kind,
                summary: e.summary,
                occurred_at: local(e.occurred_at),
                staff_name: e.staff_name,
            })
            .collect(),
        tickets: row
            .tickets
            .0
            .into_iter()
            .map(|t| Ticket {
                id: t.id,
                number: t.number,
                subject: t.subject,
                status: t.status,
                category: t.category,
                priority: t.priority,
                opened_at: local(t.created_at),
            })
            .collect(),
        interactions: row
            .interactions
            .0
            .into_iter()
            .map(|i| Interaction {
                id: i.id,
                channel: i.channel,
                direction: i.direction,
                summary: i.summary,
                occurred_at: local(i.occurred_at),
                staff_name: i.staff_name,
                person_name: i.person_name,
            })
            .collect(),
        notes: row
            .notes
            .0
            .into_iter()
            .map(|n| Note {
                id: n.id,
                body: n.body,
                created_at: local(n.created_at),
                staff_name: n.staff_name,
            })
            .collect(),
        may_adjust: staff.role().has(Right::Adjust),
        may_manage_network: staff.role().has(Right::Network),
    })
}

/// Writes `console.account_viewed`: one entry per view of the account (its page loads its
/// data once, so a page view is one entry).
async fn record_view(
    pool: &PgPool,
    staff: &StaffAccess,
    account_id: i64,
    request: &RequestInfo,
) -> Result<(), AppError> {
    audit::staff_opened(
        pool,
        staff.staff_id(),
        account_id,
        "console.account_viewed",
        json!({ "path": request.path }),
        request,
    )
    .await
}

/// Adds a note to the account, signed by the staff member. Returns the note's id.
pub async fn add_note(
    pool: &PgPool,
    staff: &StaffAccess,
    account_id: i64,
    body: &str,
) -> Result<i64, AppError> {
    staff.require(Right::Support)?;
    let body = validate_note(body)?;
    let request = RequestInfo::current();
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "insert into notes (account_id, staff_user_id, body) values ($1, $2, $3) returning id",
    )
    .bind(account_id)
    .bind(staff.staff_id())
    .bind(body)
    .fetch_one(&mut *tx)
    .await
    .map_err(refused)?;
    audit::record(
        &mut *tx,
        Entry {
            actor: Actor::Staff {
                staff_id: staff.staff_id(),
            },
            subject_account_id: Some(account_id),
            action: "crm.note_added",
            detail: json!({ "note_id": id, "chars": body.chars().count() }),
            support_session_id: None,
        },
        &request,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(account_id, note_id = id, "note added");
    Ok(id)
}

/// Records a call, email, visit or chat with the account (with one of its people, when
/// named). Returns the interaction's id.
pub async fn log_interaction(
    pool: &PgPool,
    staff: &StaffAccess,
    account_id: i64,
    person_id: Option<i64>,
    channel: &str,
    direction: &str,
    summary: &str,
) -> Result<i64, AppError> {
    staff.require(Right::Support)?;
    let (channel, direction, summary) = validate_interaction(channel, direction, summary)?;
    let request = RequestInfo::current();
    let mut tx = pool.begin().await?;
    // A person of another account breaks the (person_id, account_id) foreign key: refused
    // as a wrong choice of person, never recorded against the wrong account.
    let id: i64 = sqlx::query_scalar(
        "insert into interactions (account_id, person_id, staff_user_id, channel, direction, summary)
         values ($1, $2, $3, $4, $5, $6) returning id",
    )
    .bind(account_id)
    .bind(person_id)
    .bind(staff.staff_id())
    .bind(channel)
    .bind(direction)
    .bind(summary)
    .fetch_one(&mut *tx)
    .await
    .map_err(refused)?;
    audit::record(
        &mut *tx,
        Entry {
            actor: Actor::Staff {
                staff_id: staff.staff_id(),
            },
            subject_account_id: Some(account_id),
            action: "crm.interaction_logged",
            detail: json!({
                "interaction_id": id,
                "channel": channel,
                "direction": direction,
                "person_id": person_id,
            }),
            support_session_id: None,
        },
        &request,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(account_id, interaction_id = id, "interaction logged");
    Ok(id)
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::InvalidInput {
        field: field.into(),
        message: message.into(),
    }
}

/// A note's text, trimmed: 1 to [`NOTE_MAX_CHARS`] characters.
pub fn validate_note(body: &str) -> Result<&str, AppError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(invalid("body", "Write the note before adding it."));
    }
    if body.chars().count() > NOTE_MAX_CHARS {
        return Err(invalid(
            "body",
            "Keep a note under 10,000 characters (split it in two if you need more).",
        ));
    }
    Ok(body)
}

/// An interaction's channel, direction and summary (trimmed, 1 to [`SUMMARY_MAX_CHARS`]).
pub fn validate_interaction<'a>(
    channel: &'a str,
    direction: &'a str,
    summary: &'a str,
) -> Result<(&'a str, &'a str, &'a str), AppError> {
    if !CHANNELS.contains(&channel) {
        return Err(invalid(
            "channel",
            "Choose how you were in touch: call, email, visit or chat.",
        ));
    }
    if !DIRECTIONS.contains(&direction) {
        return Err(invalid(
            "direction",
            "Choose who got in touch: the subscriber (inbound) or us (outbound).",
        ));
    }
    let summary = summary.trim();
    if summary.is_empty() {
        return Err(invalid("summary", "Say what the contact was about."));
    }
    if summary.chars().count() > SUMMARY_MAX_CHARS {
        return Err(invalid(
            "summary",
            "Keep the summary under 2,000 characters; add a note for more.",
        ));
    }
    Ok((channel, direction, summary))
}

/// What a refused write means: an account that does not exist is not found; a person who
/// is not on the account is a wrong choice of person.
fn refused(error: sqlx::Error) -> AppError {
    let constraint = error
        .as_database_error()
        .and_then(|e| e.constraint())
        .map(str::to_owned);
    match constraint.as_deref() {
        Some("notes_account_id_fkey" | "interactions_account_id_fkey") => AppError::NotFound,
        Some("interactions_person_id_account_id_fkey") => invalid(
            "person_id",
            "Choose one of this account's people, or nobody.",
        ),
        _ => error.into(),
    }
}

fn currency(code: &str) -> Result<Currency, AppError> {
    Currency::parse(code.trim()).map_err(|e| AppError::internal("currency", e))
}

#[derive(sqlx::FromRow)]
struct ViewRow {
    id: i64,
    account_number: String,
    display_name: String,
    status: String,
    kind: String,
    billing_mode: String,
    billing_cycle_day: i16,
    currency: String,
    time_zone: String,
    locale: String,
    autopay: bool,
    created_at: DateTime<Utc>,
    balance: Decimal,
    has_portal_login: bool,
    people: Json<Vec<PersonRow>>,
    addresses: Json<Vec<AddressRow>>,
    services: Json<Vec<ServiceRow>>,
    ledger: Json<Vec<LedgerRow>>,
    statements: Json<Vec<StatementRow>>,
    payments: Json<Vec<PaymentRow>>,
    history: Json<Vec<EventRow>>,
    tickets: Json<Vec<TicketRow>>,
    interactions: Json<Vec<InteractionRow>>,
    notes: Json<Vec<NoteRow>>,
}

#[derive(Deserialize)]
struct PersonRow {
    id: i64,
    role: String,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    has_portal_login: bool,
    authenticator_login: Option<i64>,
}

#[derive(Deserialize)]
struct AddressRow {
    id: i64,
    line1: String,
    line2: Option<String>,
    city: String,
    region: String,
    postal_code: String,
    country: String,
}

impl AddressRow {
    fn into_address(self) -> Address {
        let mut lines = vec![self.line1];
        lines.extend(self.line2.filter(|l| !l.trim().is_empty()));
        lines.push(
            [self.city, self.region, self.postal_code]
                .iter()
                .filter(|part| !part.trim().is_empty())
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        );
        lines.push(self.country);
        Address { id: self.id, lines }
    }
}

#[derive(Deserialize)]
struct ServiceRow {
    id: i64,
    status: String,
    suspension_reason: Option<String>,
    activated_on: Option<NaiveDate>,
    cancelled_on: Option<NaiveDate>,
    contract_ends_on: Option<NaiveDate>,
    plan_name: String,
    technology: String,
    download_mbps: i32,
    upload_mbps: i32,
    allowance_gb: Option<i32>,
    monthly_price: Decimal,
    currency: String,
    address: String,
    net_kind: Option<String>,
    net_username: Option<String>,
}

#[derive(Deserialize)]
struct LedgerRow {
    id: i64,
    kind: String,
    description: String,
    amount: Decimal,
    currency: String,
    effective_on: NaiveDate,
}

#[derive(Deserialize)]
struct StatementRow {
    id: i64,
    statement_number: String,
    period_start: NaiveDate,
    period_end: NaiveDate,
    issued_on: NaiveDate,
    due_on: NaiveDate,
    total_due: Decimal,
    currency: String,
    status: String,
}

impl StatementRow {
    fn into_summary(self, today: NaiveDate) -> Result<StatementSummary, AppError> {
        let state = billing::statement::status(&self.status, self.due_on, today)
            .map_err(|e| AppError::internal("statement status", e))?;
        Ok(StatementSummary {
            id: self.id,
            number: self.statement_number,
            period_start: self.period_start,
            period_end: self.period_end,
            issued_on: self.issued_on,
            due_on: self.due_on,
            total_due: Money::new(self.total_due, currency(&self.currency)?),
            state: state.into(),
        })
    }
}

#[derive(Deserialize)]
struct PaymentRow {
    id: i64,
    amount: Decimal,
    currency: String,
    method: String,
    status: String,
    created_at: DateTime<Utc>,
    succeeded_at: Option<DateTime<Utc>>,
    card_brand: Option<String>,
    card_last4: Option<String>,
}

#[derive(Deserialize)]
struct EventRow {
    id: i64,
    kind: String,
    summary: String,
    occurred_at: DateTime<Utc>,
    staff_name: Option<String>,
}

#[derive(Deserialize)]
struct TicketRow {
    id: i64,
    number: String,
    subject: String,
    status: String,
    category: String,
    priority: String,
    created_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct InteractionRow {
    id: i64,
    channel: String,
    direction: String,
    summary: String,
    occurred_at: DateTime<Utc>,
    staff_name: Option<String>,
    person_name: Option<String>,
}

#[derive(Deserialize)]
struct NoteRow {
    id: i64,
    body: String,
    created_at: DateTime<Utc>,
    staff_name: String,
}

/// Turns off the authenticator app of one of the account's logins, for a subscriber who lost
/// their phone and recovery codes (after staff have checked who is calling): audited, and the
/// login's owner emailed in their language, in one transaction. A login without one is a
/// conflict, not a silent success.
pub async fn reset_authenticator(
    portal: &crate::server::Portal,
    staff: &StaffAccess,
    account_id: i64,
    login_id: i64,
) -> Result<(), AppError> {
    staff.require(Right::Support)?;
    let mut tx = portal.pool.begin().await?;
    let recipient: Option<engine::mail::Recipient> = sqlx::query_as(&format!(
        "select l.email::text as email, p.first_name, {} as locale
           from portal_logins l
           join people p on p.id = l.person_id and p.account_id = l.account_id
           join accounts a on a.id = l.account_id
          where l.id = $1 and l.account_id = $2
          for update of l",
        engine::mail::LOCALE_SQL
    ))
    .bind(login_id)
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?;
    let to = recipient.ok_or(AppError::NotFound)?;
    if !crate::server::second_factor::reset_by_staff(&mut tx, login_id).await? {
        return Err(AppError::Conflict {
            message: "This login has no authenticator app to turn off.".into(),
        });
    }
    audit::record(
        &mut *tx,
        Entry {
            actor: Actor::Staff {
                staff_id: staff.staff_id(),
            },
            subject_account_id: Some(account_id),
            action: "second_factor.reset_by_staff",
            detail: json!({ "login_id": login_id }),
            support_session_id: None,
        },
        &RequestInfo::current(),
    )
    .await?;
    let w = to.words();
    let email = engine::mail::Notice {
        kind: "second_factor_reset",
        account_id,
        to: &to.email,
        first_name: &to.first_name,
        words: w,
        subject: (w.second_factor_reset_subject)(&portal.config.billing.provider_name),
        paragraphs: vec![
            w.second_factor_reset.to_string(),
            w.second_factor_reset_not_you.to_string(),
        ],
        link: Some((
            w.see_account,
            format!("{}/security", portal.config.billing.public_url),
        )),
    }
    .render(&portal.config.billing)
    .map_err(|e| AppError::internal("rendering email", e))?;
    crate::server::mail::enqueue(&mut tx, &email).await?;
    tx.commit().await?;
    tracing::info!(account_id, login_id, "authenticator turned off by staff");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_trimmed_and_must_have_words_within_ten_thousand_characters() {
        assert_eq!(
            validate_note("  Called about the bill.\n").unwrap(),
            "Called about the bill."
        );
        for empty in ["", "   ", "\n\t"] {
            assert_eq!(validate_note(empty).unwrap_err().field(), Some("body"));
        }
        // Characters, not bytes: 10,000 two-byte letters are accepted.
        assert!(validate_note(&"é".repeat(NOTE_MAX_CHARS)).is_ok());
        assert_eq!(
            validate_note(&"a".repeat(NOTE_MAX_CHARS + 1))
                .unwrap_err()
                .field(),
            Some("body")
        );
    }

    #[test]
    fn an_interaction_names_a_known_channel_and_direction_and_says_something() {
        assert_eq!(
            validate_interaction("call", "inbound", " Asked about speeds ").unwrap(),
            ("call", "inbound", "Asked about speeds")
        );
        let field = |c, d, s| {
            validate_interaction(c, d, s)
                .unwrap_err()
                .field()
                .map(str::to_owned)
        };
        assert_eq!(field("fax", "inbound", "x").as_deref(), Some("channel"));
        // The portal's own channel is not for staff to claim.
        assert_eq!(field("portal", "inbound", "x").as_deref(), Some("channel"));
        assert_eq!(field("call", "sideways", "x").as_deref(), Some("direction"));
        assert_eq!(field("call", "outbound", "  ").as_deref(), Some("summary"));
        assert_eq!(
            field("chat", "outbound", &"a".repeat(SUMMARY_MAX_CHARS + 1)).as_deref(),
            Some("summary")
        );
        assert!(validate_interaction("chat", "outbound", &"a".repeat(SUMMARY_MAX_CHARS)).is_ok());
    }

    #[test]
    fn an_address_reads_as_printed_lines() {
        let row = AddressRow {
            id: 1,
            line1: "1208 Maple Ave".into(),
            line2: Some(" ".into()),
            city: "Austin".into(),
            region: "TX".into(),
            postal_code: "78701".into(),
            country: "US".into(),
        };
        assert_eq!(
            row.into_address().lines,
            vec!["1208 Maple Ave", "Austin TX 78701", "US"]
        );
    }
}

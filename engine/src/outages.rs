//! Outages the provider declares, and their end.
//!
//! Staff with the network right declare an outage for an area (service addresses whose
//! postal code starts with a prefix), a plan, or a network device (the services whose
//! latest RADIUS session was on that access server). [`declare`] fixes the services
//! affected (active ones) in `outage_services`, records an `outage` event in each one's
//! history and queues one email per account in its language, all in one transaction; the
//! subscriber's overview shows the notice while it is on. [`end`] closes it the same way.
//! The bill run credits each affected service once the outage has ended
//! (`billing::bill`, rule 9).

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::mail::{self, Notice, Recipient};

/// Which services an outage affects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Service addresses whose postal code starts with this (spaces and case ignored).
    Area(String),
    /// The services on this plan (its code).
    Plan(String),
    /// The services whose latest RADIUS session was on this access server (its address,
    /// `radius.nas.nasname`).
    Device(String),
}

impl Scope {
    /// From the form's two fields; errors name the field.
    pub fn parse(kind: &str, value: &str) -> Result<Scope, EngineError> {
        let value = value.trim();
        let invalid = |message: &str| EngineError::InvalidField {
            field: "scope_value",
            message: message.into(),
        };
        if value.is_empty() {
            return Err(invalid("Say which area, plan or device is out."));
        }
        match kind {
            "area" => {
                let prefix: String = value.chars().filter(|c| !c.is_whitespace()).collect();
                if prefix.len() > 10 || !prefix.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(invalid(
                        "Enter the start of a postal code: letters and digits, at most 10.",
                    ));
                }
                Ok(Scope::Area(prefix.to_ascii_uppercase()))
            }
            "plan" => Ok(Scope::Plan(value.to_ascii_lowercase())),
            "device" => value
                .parse::<IpAddr>()
                .map(|ip| Scope::Device(ip.to_string()))
                .map_err(|_| invalid("Enter the access server's IP address, as RADIUS knows it.")),
            _ => Err(EngineError::InvalidField {
                field: "scope_kind",
                message: "Choose an area, a plan or a device.".into(),
            }),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Area(_) => "area",
            Scope::Plan(_) => "plan",
            Scope::Device(_) => "device",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Scope::Area(v) | Scope::Plan(v) | Scope::Device(v) => v,
        }
    }
}

/// An outage as staff declare it.
#[derive(Debug, Clone)]
pub struct Declaration {
    pub title: String,
    /// What affected subscribers read.
    pub message: String,
    pub scope: Scope,
    pub starts_at: DateTime<Utc>,
    /// `staff_users.id`.
    pub staff_id: i64,
}

/// What declaring did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub outage_id: i64,
    pub services: i64,
    pub accounts: i64,
}

/// The active services of a scope, as SQL over `services s` (`$1` the scope's value, `$2`
/// when the outage began). For a device: the services whose latest RADIUS session in the 30
/// days before the outage began was on it (read from the sessions' start index, not the whole
/// accounting table).
fn affected_sql(scope: &Scope) -> &'static str {
    match scope {
        Scope::Area(_) => {
            "select s.id, s.account_id from services s
               join addresses ad on ad.id = s.address_id
              where s.status = 'active' and $2::timestamptz is not null
                and upper(replace(ad.postal_code, ' ', '')) like $1 || '%'"
        }
        Scope::Plan(_) => {
            "select s.id, s.account_id from services s
               join plans p on p.id = s.plan_id
              where s.status = 'active' and $2::timestamptz is not null and p.code = $1"
        }
        Scope::Device(_) => {
            "select s.id, s.account_id from services s
               join network_credentials c on c.service_id = s.id
               join (select distinct on (r.username) r.username, r.nasipaddress
                       from radius.radacct r
                      where r.acctstarttime > $2::timestamptz - interval '30 days'
                        and r.acctstarttime <= $2::timestamptz
                      order by r.username, r.acctstarttime desc) last
                 on last.username = c.username
              where s.status = 'active' and last.nasipaddress = $1::inet"
        }
    }
}

fn check_words(title: &str, message: &str) -> Result<(), EngineError> {
    let title_len = title.trim().chars().count();
    if !(3..=120).contains(&title_len) {
        return Err(EngineError::InvalidField {
            field: "title",
            message: "Give the outage a title of 3 to 120 characters.".into(),
        });
    }
    let message_len = message.trim().chars().count();
    if !(3..=1000).contains(&message_len) {
        return Err(EngineError::InvalidField {
            field: "message",
            message: "Tell subscribers what is happening, in 3 to 1,000 characters.".into(),
        });
    }
    Ok(())
}

/// Declares an outage: the affected services fixed, each one's history, one email per
/// account; all or nothing.
pub async fn declare(
    pool: &PgPool,
    config: &EngineConfig,
    declaration: &Declaration,
    now: DateTime<Utc>,
) -> Result<Declared, EngineError> {
    let mut tx = pool.begin().await?;
    let declared = declare_in(&mut tx, config, declaration, now).await?;
    tx.commit().await?;
    Ok(declared)
}

/// [`declare`] in the caller's transaction (which the console's audit entry joins).
pub async fn declare_in(
    tx: &mut PgConnection,
    config: &EngineConfig,
    declaration: &Declaration,
    now: DateTime<Utc>,
) -> Result<Declared, EngineError> {
    check_words(&declaration.title, &declaration.message)?;
    if declaration.starts_at > now + Duration::minutes(5) {
        return Err(EngineError::InvalidField {
            field: "starts_at",
            message: "An outage is declared once it has begun: give a time that has passed.".into(),
        });
    }
    if declaration.starts_at < now - Duration::days(30) {
        return Err(EngineError::InvalidField {
            field: "starts_at",
            message: "That is more than 30 days ago.".into(),
        });
    }
    let scope = &declaration.scope;
    let known: bool = match scope {
        Scope::Area(_) => true,
        Scope::Plan(code) => {
            sqlx::query_scalar("select exists (select 1 from plans where code = $1)")
                .bind(code)
                .fetch_one(&mut *tx)
                .await?
        }
        Scope::Device(address) => {
            sqlx::query_scalar("select exists (select 1 from radius.nas where nasname = $1)")
                .bind(address)
                .fetch_one(&mut *tx)
                .await?
        }
    };
    if !known {
        return Err(EngineError::InvalidField {
            field: "scope_value",
            message: match scope {
                Scope::Plan(code) => format!("No plan has the code \u{201c}{code}\u{201d}."),
                _ => format!("No access server is registered at {}.", scope.value()),
            },
        });
    }
    let began_on = crate::clock::today(config.time_zone, declaration.starts_at);
    let outage_id: i64 = sqlx::query_scalar(
        "insert into outages (title, message, scope_kind, scope_value, starts_at, began_on,
                              declared_by)
         values ($1, $2, $3, $4, $5, $6, $7) returning id",
    )
    .bind(declaration.title.trim())
    .bind(declaration.message.trim())
    .bind(scope.kind())
    .bind(scope.value())
    .bind(declaration.starts_at)
    .bind(began_on)
    .bind(declaration.staff_id)
    .fetch_one(&mut *tx)
    .await?;
    let affected: Vec<(i64, i64)> = sqlx::query_as(affected_sql(scope))
        .bind(scope.value())
        .bind(declaration.starts_at)
        .fetch_all(&mut *tx)
        .await?;
    if affected.is_empty() {
        return Err(EngineError::InvalidField {
            field: "scope_value",
            message: format!(
                "No active service is in this {}: nothing was declared.",
                scope.kind()
            ),
        });
    }
    let (services, accounts): (Vec<i64>, Vec<i64>) = affected.into_iter().unzip();
    sqlx::query(
        "insert into outage_services (outage_id, service_id, account_id)
         select $1, s, a from unnest($2::bigint[], $3::bigint[]) as t(s, a)",
    )
    .bind(outage_id)
    .bind(&services)
    .bind(&accounts)
    .execute(&mut *tx)
    .await?;
    history(&mut *tx, outage_id, declaration.staff_id, "Outage").await?;
    let since = declaration.starts_at;
    let emails = emails_for(&mut *tx, config, outage_id, |w, f| {
        let local = since.with_timezone(&config.time_zone).naive_local();
        (
            (w.outage_subject)(declaration.title.trim()),
            vec![
                (w.outage_began)(&f.datetime(local)),
                declaration.message.trim().to_string(),
                w.outage_credit_rule.to_string(),
            ],
            "outage_declared",
        )
    })
    .await?;
    mail::enqueue_all(&mut *tx, &emails).await?;
    let mut distinct = accounts.clone();
    distinct.sort_unstable();
    distinct.dedup();
    tracing::info!(outage_id, services = services.len(), "outage declared");
    Ok(Declared {
        outage_id,
        services: services.len() as i64,
        accounts: distinct.len() as i64,
    })
}

/// Ends an outage at `ends_at` (by now at the latest): each affected service's history and
/// one email per account. Ending one already ended is a conflict, not a second end.
pub async fn end(
    pool: &PgPool,
    config: &EngineConfig,
    outage_id: i64,
    ends_at: DateTime<Utc>,
    staff_id: i64,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    let mut tx = pool.begin().await?;
    end_in(&mut tx, config, outage_id, ends_at, staff_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// [`end`] in the caller's transaction.
pub async fn end_in(
    tx: &mut PgConnection,
    config: &EngineConfig,
    outage_id: i64,
    ends_at: DateTime<Utc>,
    staff_id: i64,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    if ends_at > now + Duration::minutes(5) {
        return Err(EngineError::InvalidField {
            field: "ends_at",
            message: "An outage ends once service is back: give a time that has passed.".into(),
        });
    }
    let found: Option<(String, DateTime<Utc>, Option<DateTime<Utc>>)> =
        sqlx::query_as("select title, starts_at, ends_at from outages where id = $1 for update")
            .bind(outage_id)
            .fetch_optional(&mut *tx)
            .await?;
    let (title, starts_at, ended) = found.ok_or(EngineError::NotFound)?;
    if ended.is_some() {
        return Err(EngineError::Conflict(
            "This outage has already ended.".into(),
        ));
    }
    if ends_at <= starts_at {
        return Err(EngineError::InvalidField {
            field: "ends_at",
            message: "An outage ends after it began.".into(),
        });
    }
    sqlx::query("update outages set ends_at = $2, ended_by = $3 where id = $1")
        .bind(outage_id)
        .bind(ends_at)
        .bind(staff_id)
        .execute(&mut *tx)
        .await?;
    history(&mut *tx, outage_id, staff_id, "Outage over").await?;
    let emails = emails_for(&mut *tx, config, outage_id, |w, f| {
        let local = ends_at.with_timezone(&config.time_zone).naive_local();
        (
            (w.outage_over_subject)(&title),
            vec![(w.outage_over)(&f.datetime(local))],
            "outage_over",
        )
    })
    .await?;
    mail::enqueue_all(&mut *tx, &emails).await?;
    Ok(())
}

/// An `outage` event in the history of each service the outage affects.
async fn history(
    conn: &mut sqlx::PgConnection,
    outage_id: i64,
    staff_id: i64,
    what: &str,
) -> Result<(), EngineError> {
    sqlx::query(
        "insert into service_events (account_id, service_id, kind, summary, detail, staff_user_id)
         select os.account_id, os.service_id, 'outage', left($2 || ': ' || o.title, 300),
                jsonb_build_object('outage_id', o.id), $3
           from outage_services os join outages o on o.id = os.outage_id
          where os.outage_id = $1",
    )
    .bind(outage_id)
    .bind(what)
    .bind(staff_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One email per affected account, to its billing contact in its language; `words` gives
/// the subject, the paragraphs and the kind.
async fn emails_for(
    conn: &mut sqlx::PgConnection,
    config: &EngineConfig,
    outage_id: i64,
    words: impl Fn(
        &'static mail::MailWords,
        &billing::format::Formats,
    ) -> (String, Vec<String>, &'static str),
) -> Result<Vec<mail::Email>, EngineError> {
    let accounts: Vec<i64> = sqlx::query_scalar(
        "select distinct account_id from outage_services where outage_id = $1 order by 1",
    )
    .bind(outage_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut emails = Vec::with_capacity(accounts.len());
    for account_id in accounts {
        let Some(to): Option<Recipient> = mail::recipient(conn, account_id).await? else {
            continue;
        };
        let (w, f) = (to.words(), to.formats());
        let (subject, paragraphs, kind) = words(w, &f);
        emails.push(
            Notice {
                kind,
                account_id,
                to: &to.email,
                first_name: &to.first_name,
                words: w,
                subject,
                paragraphs,
                link: Some((w.see_account, format!("{}/", config.public_url))),
            }
            .render(config)?,
        );
    }
    Ok(emails)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_read_from_the_form_and_refused_with_their_field() {
        assert_eq!(
            Scope::parse("area", " 974 77 ").unwrap(),
            Scope::Area("97477".into())
        );
        assert_eq!(
            Scope::parse("plan", "Fibre-500").unwrap(),
            Scope::Plan("fibre-500".into())
        );
        assert_eq!(
            Scope::parse("device", "10.0.0.1").unwrap(),
            Scope::Device("10.0.0.1".into())
        );
        for (kind, value, field) in [
            ("area", "", "scope_value"),
            ("area", "97-477", "scope_value"),
            ("device", "nas-1.example.net", "scope_value"),
            ("street", "Main", "scope_kind"),
        ] {
            match Scope::parse(kind, value) {
                Err(EngineError::InvalidField { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{kind} {value}: {other:?}"),
            }
        }
    }
}

//! Accounts made and changed by another system (the integration API today, the legacy
//! import next): an account with its people, service addresses and first services, written
//! in the caller's transaction so that it commits with the caller's own records.
//!
//! The rules a new account must meet are here, once:
//! - exactly one owner among its people, each person with a name, and an email or phone
//!   the schema accepts;
//! - every address in a jurisdiction the provider taxes (its code, `US-TX`);
//! - every service at one of the new addresses, on an available plan of the account's
//!   currency whose technology the network offers at that address;
//! - a service given an `activated_on` is active from that day (charged from it by the
//!   next bill run: at most 31 days back, never in the future); without one it is pending;
//! - the billing cycle day is the one asked for, or else the day the first service was
//!   activated, or else today's (a short month bills on its last day).
//!
//! The network learns of an active service through the schema's own triggers (the
//! provisioning outbox and the service's credentials), as it does for every other writer.

use chrono::{Datelike, NaiveDate};
use sqlx::PgConnection;

use crate::EngineError;

mod addresses;
mod closing;
mod people;

pub use addresses::{add_address_in, change_address_in, AddressChange};
pub use closing::{close_settled, request_close_in, CloseRequest};
pub use people::{add_person_in, change_person_in, remove_person_in, PersonChange};

/// An account to make.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    /// The provider's own number for it (6 to 12 digits); `None`: the next free one.
    pub number: Option<String>,
    /// `residential` or `business`.
    pub kind: String,
    pub display_name: String,
    /// `postpaid` (default), `prepaid` or `hybrid`.
    pub billing_mode: Option<String>,
    pub billing_cycle_day: Option<u32>,
    /// ISO 4217 code.
    pub currency: String,
    /// IANA time zone; `None`: the provider's.
    pub time_zone: Option<String>,
    /// `en-US` style; `None`: `en-US`.
    pub locale: Option<String>,
    pub people: Vec<NewPerson>,
    pub addresses: Vec<NewAddress>,
    pub services: Vec<NewService>,
}

/// A person of a new account.
#[derive(Debug, Clone, Default)]
pub struct NewPerson {
    /// `owner`, `billing`, `technical` or `authorised`.
    pub role: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A service address of a new account.
#[derive(Debug, Clone, Default)]
pub struct NewAddress {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// The taxing jurisdiction's code (`US-TX`).
    pub jurisdiction: String,
    /// What the network offers there (`fibre`, `cable`, `dsl`, `fixed_wireless`).
    pub technologies: Vec<String>,
}

/// A first service of a new account.
#[derive(Debug, Clone, Default)]
pub struct NewService {
    /// Which of the new account's addresses (its position in `addresses`, from 0).
    pub address: usize,
    pub plan_id: i64,
    /// Active from this day; `None`: pending until activated.
    pub activated_on: Option<NaiveDate>,
}

/// What was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub account_id: i64,
    pub number: String,
    pub service_ids: Vec<i64>,
}

/// How far back a new service may have been activated: the next statement charges the days
/// since, so no more than one cycle.
pub const MAX_DAYS_ACTIVE_BEFORE_CREATION: i64 = 31;

const KINDS: [&str; 2] = ["residential", "business"];
const MODES: [&str; 3] = ["postpaid", "prepaid", "hybrid"];
const ROLES: [&str; 4] = ["owner", "billing", "technical", "authorised"];
const TECHNOLOGIES: [&str; 4] = ["fibre", "cable", "dsl", "fixed_wireless"];

fn field(field: &'static str, message: impl Into<String>) -> EngineError {
    EngineError::InvalidField {
        field,
        message: message.into(),
    }
}

fn item(
    list: &'static str,
    index: usize,
    field: &'static str,
    message: impl Into<String>,
) -> EngineError {
    EngineError::InvalidItem {
        list,
        index,
        field,
        message: message.into(),
    }
}

/// Text of `min..=max` characters, trimmed, with no control characters.
fn text(value: &str, min: usize, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    let length = value.chars().count();
    if length < min || length > max {
        return Err(if min == 1 {
            format!("must be 1 to {max} characters")
        } else {
            format!("must be {min} to {max} characters")
        });
    }
    Ok(value.to_string())
}

fn optional_text(value: &Option<String>, max: usize) -> Result<Option<String>, String> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(v, 1, max).map(Some),
    }
}

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

fn valid_phone(phone: &str) -> bool {
    (6..=20).contains(&phone.len())
        && phone
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " ()-".contains(c) || (i == 0 && c == '+'))
}

/// A problem with one field of a person or an address: the field and what is wrong.
type FieldFault = (&'static str, String);

/// A person's own rules: a role, a name, an email or phone the schema accepts, and an
/// email for the owner (statements and notices go to it).
pub(crate) fn check_person(p: &NewPerson) -> Result<(), FieldFault> {
    if !ROLES.contains(&p.role.as_str()) {
        return Err((
            "role",
            "role is owner, billing, technical or authorised".into(),
        ));
    }
    text(&p.first_name, 1, 100).map_err(|m| ("first_name", m))?;
    text(&p.last_name, 1, 100).map_err(|m| ("last_name", m))?;
    let email = optional_text(&p.email, 254).map_err(|m| ("email", m))?;
    if let Some(email) = &email {
        if !valid_email(email) {
            return Err(("email", format!("{email:?} is not an email address")));
        }
    }
    if let Some(phone) = optional_text(&p.phone, 20).map_err(|m| ("phone", m))? {
        if !valid_phone(&phone) {
            return Err((
                "phone",
                "a phone number is 6 to 20 digits, spaces, brackets and dashes, with an optional + first".into(),
            ));
        }
    }
    if p.role == "owner" && email.is_none() {
        return Err((
            "email",
            "the owner needs an email address (statements and notices go to it)".into(),
        ));
    }
    Ok(())
}

/// An address's own rules (its jurisdiction is checked against the database).
pub(crate) fn check_address(a: &NewAddress) -> Result<(), FieldFault> {
    text(&a.line1, 1, 200).map_err(|m| ("line1", m))?;
    optional_text(&a.line2, 200).map_err(|m| ("line2", m))?;
    text(&a.city, 1, 100).map_err(|m| ("city", m))?;
    text(&a.region, 0, 100).map_err(|m| ("region", m))?;
    text(&a.postal_code, 1, 20).map_err(|m| ("postal_code", m))?;
    if a.country.len() != 2 || !a.country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err((
            "country",
            "a country is two capital letters (ISO 3166-1)".into(),
        ));
    }
    if let Some(t) = a
        .technologies
        .iter()
        .find(|t| !TECHNOLOGIES.contains(&t.as_str()))
    {
        return Err((
            "technologies",
            format!("{t:?} is not fibre, cable, dsl or fixed_wireless"),
        ));
    }
    Ok(())
}

fn check_kind(kind: &str) -> Result<(), EngineError> {
    if KINDS.contains(&kind) {
        Ok(())
    } else {
        Err(field("kind", "kind is residential or business"))
    }
}

/// A locale the schema accepts: `en`, or `en-US`.
pub(crate) fn valid_locale(locale: &str) -> bool {
    let b = locale.as_bytes();
    (b.len() == 2 || (b.len() == 5 && b[2] == b'-'))
        && b[..2].iter().all(u8::is_ascii_lowercase)
        && b.get(3..)
            .unwrap_or_default()
            .iter()
            .all(u8::is_ascii_uppercase)
}

fn check_locale(locale: &str) -> Result<(), EngineError> {
    if valid_locale(locale) {
        Ok(())
    } else {
        Err(field("locale", "a locale is like en or en-US"))
    }
}

/// Checks everything that does not need the database; the people's, addresses' and
/// services' own problems are named by their position.
fn check(new: &NewAccount, today: NaiveDate) -> Result<(), EngineError> {
    if let Some(number) = &new.number {
        if !(6..=12).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(field("number", "an account number is 6 to 12 digits"));
        }
    }
    check_kind(&new.kind)?;
    text(&new.display_name, 1, 200).map_err(|m| field("display_name", m))?;
    if let Some(mode) = &new.billing_mode {
        if !MODES.contains(&mode.as_str()) {
            return Err(field(
                "billing_mode",
                "billing_mode is postpaid, prepaid or hybrid",
            ));
        }
    }
    if let Some(day) = new.billing_cycle_day {
        if !(1..=31).contains(&day) {
            return Err(field("billing_cycle_day", "the cycle day is 1 to 31"));
        }
    }
    if let Some(zone) = &new.time_zone {
        if zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(field(
                "time_zone",
                format!("{zone:?} is not an IANA time zone"),
            ));
        }
    }
    if let Some(locale) = &new.locale {
        check_locale(locale)?;
    }
    let owners = new.people.iter().filter(|p| p.role == "owner").count();
    if owners != 1 {
        return Err(field(
            "people",
            format!("an account has exactly one person with the role owner, not {owners}"),
        ));
    }
    for (i, p) in new.people.iter().enumerate() {
        check_person(p).map_err(|(f, m)| item("people", i, f, m))?;
    }
    for (i, a) in new.addresses.iter().enumerate() {
        check_address(a).map_err(|(f, m)| item("addresses", i, f, m))?;
    }
    for (i, s) in new.services.iter().enumerate() {
        if s.address >= new.addresses.len() {
            return Err(item(
                "services",
                i,
                "address",
                format!(
                    "the account has {} addresses; this names number {}",
                    new.addresses.len(),
                    s.address
                ),
            ));
        }
        if let Some(day) = s.activated_on {
            if day > today {
                return Err(item(
                    "services",
                    i,
                    "activated_on",
                    format!("{day} has not come yet (today is {today}); leave it out for a pending service"),
                ));
            }
            if (today - day).num_days() > MAX_DAYS_ACTIVE_BEFORE_CREATION {
                return Err(item(
                    "services",
                    i,
                    "activated_on",
                    format!("at most {MAX_DAYS_ACTIVE_BEFORE_CREATION} days back: the next statement charges the days since"),
                ));
            }
        }
    }
    Ok(())
}

/// Makes an account with its people, addresses and services, in the caller's transaction.
/// `today` is in the provider's time zone; `provider_zone` is the account's zone when the
/// request names none.
pub async fn create_in(
    tx: &mut PgConnection,
    new: &NewAccount,
    today: NaiveDate,
    provider_zone: chrono_tz::Tz,
) -> Result<Created, EngineError> {
    check(new, today)?;
    let currency = new.currency.trim().to_ascii_uppercase();
    let known: bool =
        sqlx::query_scalar("select exists (select 1 from currencies where code = $1)")
            .bind(&currency)
            .fetch_one(&mut *tx)
            .await?;
    if !known {
        return Err(field(
            "currency",
            format!("{currency:?} is not a currency the provider bills in"),
        ));
    }

    // Everything the services need, checked before anything is written.
    let mut jurisdictions = Vec::with_capacity(new.addresses.len());
    for (i, a) in new.addresses.iter().enumerate() {
        let id: Option<i64> = sqlx::query_scalar("select id from jurisdictions where code = $1")
            .bind(a.jurisdiction.trim())
            .fetch_optional(&mut *tx)
            .await?;
        jurisdictions.push(id.ok_or_else(|| {
            item(
                "addresses",
                i,
                "jurisdiction",
                format!(
                    "{:?} is not a jurisdiction the provider taxes",
                    a.jurisdiction
                ),
            )
        })?);
    }
    let mut contract_months = Vec::with_capacity(new.services.len());
    for (i, s) in new.services.iter().enumerate() {
        let plan: Option<(String, String, bool, i16)> = sqlx::query_as(
            "select technology, currency::text, available, contract_months from plans where id = $1",
        )
        .bind(s.plan_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((technology, plan_currency, available, months)) = plan else {
            return Err(item(
                "services",
                i,
                "plan_id",
                format!("no plan has the id {}", s.plan_id),
            ));
        };
        if !available {
            return Err(item(
                "services",
                i,
                "plan_id",
                "this plan is no longer sold",
            ));
        }
        if plan_currency.trim() != currency {
            return Err(item(
                "services",
                i,
                "plan_id",
                format!("this plan is priced in {plan_currency}, the account in {currency}"),
            ));
        }
        if !new.addresses[s.address].technologies.contains(&technology) {
            return Err(item(
                "services",
                i,
                "plan_id",
                format!(
                    "this is a {technology} plan, which the network does not offer at address {}",
                    s.address
                ),
            ));
        }
        contract_months.push(months);
    }

    let number = match &new.number {
        Some(number) => number.clone(),
        None => next_number(&mut *tx).await?,
    };
    let cycle_day = new
        .billing_cycle_day
        .or_else(|| {
            new.services
                .iter()
                .filter_map(|s| s.activated_on)
                .min()
                .map(|d| d.day())
        })
        .unwrap_or_else(|| today.day());
    let zone = new
        .time_zone
        .clone()
        .unwrap_or_else(|| provider_zone.name().to_string());
    let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "insert into accounts (account_number, kind, display_name, billing_mode, billing_cycle_day,
                               currency, time_zone, locale)
         values ($1, $2, $3, coalesce($4, 'postpaid'), $5, $6, $7, coalesce($8, 'en-US'))
         returning id",
    )
    .bind(&number)
    .bind(&new.kind)
    .bind(new.display_name.trim())
    .bind(&new.billing_mode)
    .bind(cycle_day as i16)
    .bind(&currency)
    .bind(&zone)
    .bind(&new.locale)
    .fetch_one(&mut *tx)
    .await;
    let account_id = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => {
            return Err(EngineError::Conflict(format!(
                "the account number {number} is taken"
            )));
        }
        Err(e) => return Err(e.into()),
    };

    for p in &new.people {
        sqlx::query(
            "insert into people (account_id, role, first_name, last_name, email, phone)
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(account_id)
        .bind(&p.role)
        .bind(p.first_name.trim())
        .bind(p.last_name.trim())
        .bind(p.email.as_deref().map(str::trim).filter(|e| !e.is_empty()))
        .bind(p.phone.as_deref().map(str::trim).filter(|e| !e.is_empty()))
        .execute(&mut *tx)
        .await?;
    }
    let mut address_ids = Vec::with_capacity(new.addresses.len());
    for (a, jurisdiction) in new.addresses.iter().zip(&jurisdictions) {
        let id: i64 = sqlx::query_scalar(
            "insert into addresses (account_id, line1, line2, city, region, postal_code, country,
                                    jurisdiction_id, technologies)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
        )
        .bind(account_id)
        .bind(a.line1.trim())
        .bind(a.line2.as_deref().map(str::trim).filter(|l| !l.is_empty()))
        .bind(a.city.trim())
        .bind(a.region.trim())
        .bind(a.postal_code.trim())
        .bind(&a.country)
        .bind(jurisdiction)
        .bind(&a.technologies)
        .fetch_one(&mut *tx)
        .await?;
        address_ids.push(id);
    }
    let mut service_ids = Vec::with_capacity(new.services.len());
    for (s, months) in new.services.iter().zip(contract_months) {
        let contract_ends_on = match (s.activated_on, months) {
            (Some(day), m) if m > 0 => day.checked_add_months(chrono::Months::new(m as u32)),
            _ => None,
        };
        let id: i64 = sqlx::query_scalar(
            "insert into services (account_id, address_id, plan_id, status, activated_on, contract_ends_on)
             values ($1, $2, $3, case when $4::date is null then 'pending' else 'active' end, $4, $5)
             returning id",
        )
        .bind(account_id)
        .bind(address_ids[s.address])
        .bind(s.plan_id)
        .bind(s.activated_on)
        .bind(contract_ends_on)
        .fetch_one(&mut *tx)
        .await?;
        service_ids.push(id);
    }
    Ok(Created {
        account_id,
        number,
        service_ids,
    })
}

/// The next account number nobody holds. The sequence runs from 10000001; when a number
/// it hands out is taken (the demo seed and imports bring their own), it is moved past the
/// largest number in use, once.
async fn next_number(tx: &mut PgConnection) -> Result<String, EngineError> {
    let candidate: i64 = sqlx::query_scalar("select nextval('account_number_seq')")
        .fetch_one(&mut *tx)
        .await?;
    let taken: bool =
        sqlx::query_scalar("select exists (select 1 from accounts where account_number = $1)")
            .bind(candidate.to_string())
            .fetch_one(&mut *tx)
            .await?;
    if !taken {
        return Ok(candidate.to_string());
    }
    sqlx::query(
        "select setval('account_number_seq',
                       greatest((select max(account_number::bigint) from accounts), $1) + 1, false)",
    )
    .bind(candidate)
    .execute(&mut *tx)
    .await?;
    let next: i64 = sqlx::query_scalar("select nextval('account_number_seq')")
        .fetch_one(&mut *tx)
        .await?;
    Ok(next.to_string())
}

/// Locks the account for a change and checks the caller's `If-Match` versions (`None`:
/// whatever is there). A closed account takes no change.
pub(crate) async fn lock(
    tx: &mut PgConnection,
    account_id: i64,
    expected: Option<&[i64]>,
) -> Result<(), EngineError> {
    let row: Option<(i64, String)> =
        sqlx::query_as("select version, status from accounts where id = $1 for update")
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((version, status)) = row else {
        return Err(EngineError::NotFound);
    };
    if let Some(expected) = expected {
        if !expected.contains(&version) {
            return Err(EngineError::Stale { current: version });
        }
    }
    if status == "closed" {
        return Err(EngineError::Conflict("the account is closed".into()));
    }
    Ok(())
}

/// The account's version as the caller's transaction sees it (after its changes).
pub(crate) async fn version(tx: &mut PgConnection, account_id: i64) -> Result<i64, EngineError> {
    Ok(
        sqlx::query_scalar("select version from accounts where id = $1")
            .bind(account_id)
            .fetch_one(&mut *tx)
            .await?,
    )
}

/// What an account's update may change.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    pub display_name: Option<String>,
    pub kind: Option<String>,
    pub locale: Option<String>,
}

/// Changes an account's name, kind or language, in the caller's transaction, when its
/// version is still one of `expected` (another system's change in between is
/// [`EngineError::Stale`], never overwritten; `None`: whatever is there). Returns the new
/// version.
pub async fn update_in(
    tx: &mut PgConnection,
    account_id: i64,
    expected: Option<&[i64]>,
    change: &AccountChange,
) -> Result<i64, EngineError> {
    if let Some(kind) = &change.kind {
        check_kind(kind)?;
    }
    if let Some(name) = &change.display_name {
        text(name, 1, 200).map_err(|m| field("display_name", m))?;
    }
    if let Some(locale) = &change.locale {
        check_locale(locale)?;
    }
    lock(tx, account_id, expected).await?;
    let version: i64 = sqlx::query_scalar(
        "update accounts set display_name = coalesce($2, display_name), kind = coalesce($3, kind),
                locale = coalesce($4, locale)
          where id = $1 returning version",
    )
    .bind(account_id)
    .bind(change.display_name.as_deref().map(str::trim))
    .bind(&change.kind)
    .bind(&change.locale)
    .fetch_one(&mut *tx)
    .await?;
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 6).expect("date")
    }

    fn good() -> NewAccount {
        NewAccount {
            kind: "residential".into(),
            display_name: "Ada Lovelace".into(),
            currency: "USD".into(),
            people: vec![NewPerson {
                role: "owner".into(),
                first_name: "Ada".into(),
                last_name: "Lovelace".into(),
                email: Some("ada@example.net".into()),
                phone: Some("+1 512 555-0100".into()),
            }],
            addresses: vec![NewAddress {
                line1: "1 Main St".into(),
                city: "Austin".into(),
                postal_code: "78701".into(),
                country: "US".into(),
                jurisdiction: "US-TX".into(),
                technologies: vec!["fibre".into()],
                ..NewAddress::default()
            }],
            services: vec![NewService {
                address: 0,
                plan_id: 1,
                activated_on: Some(today()),
            }],
            ..NewAccount::default()
        }
    }

    fn problem(new: &NewAccount) -> String {
        match check(new, today()) {
            Ok(()) => "ok".into(),
            Err(EngineError::InvalidField { field, .. }) => field.to_string(),
            Err(EngineError::InvalidItem {
                list, index, field, ..
            }) => format!("{list}/{index}/{field}"),
            Err(other) => format!("{other}"),
        }
    }

    #[test]
    fn each_wrong_field_is_named_where_it_is() {
        assert_eq!(problem(&good()), "ok");
        let mut a = good();
        a.number = Some("12345".into());
        assert_eq!(problem(&a), "number");
        let mut a = good();
        a.people[0].role = "billing".into();
        assert_eq!(problem(&a), "people", "no owner");
        let mut a = good();
        a.people.push(a.people[0].clone());
        assert_eq!(problem(&a), "people", "two owners");
        let mut a = good();
        a.people[0].email = Some("ada@localhost".into());
        assert_eq!(problem(&a), "people/0/email");
        let mut a = good();
        a.people[0].email = None;
        assert_eq!(problem(&a), "people/0/email", "the owner needs one");
        let mut a = good();
        a.people[0].phone = Some("555".into());
        assert_eq!(problem(&a), "people/0/phone");
        let mut a = good();
        a.addresses[0].country = "usa".into();
        assert_eq!(problem(&a), "addresses/0/country");
        let mut a = good();
        a.addresses[0].technologies.push("carrier_pigeon".into());
        assert_eq!(problem(&a), "addresses/0/technologies");
        let mut a = good();
        a.services[0].address = 1;
        assert_eq!(problem(&a), "services/0/address");
        let mut a = good();
        a.services[0].activated_on = today().succ_opt();
        assert_eq!(problem(&a), "services/0/activated_on", "tomorrow");
        let mut a = good();
        a.services[0].activated_on = Some(today() - chrono::Days::new(32));
        assert_eq!(problem(&a), "services/0/activated_on", "over a cycle back");
        let mut a = good();
        a.services[0].activated_on = Some(today() - chrono::Days::new(31));
        assert_eq!(problem(&a), "ok", "31 days back is allowed");
        let mut a = good();
        a.display_name = " \u{7} ".into();
        assert_eq!(problem(&a), "display_name");
        let mut a = good();
        a.time_zone = Some("Mars/Olympus_Mons".into());
        assert_eq!(problem(&a), "time_zone");
        let mut a = good();
        a.locale = Some("english".into());
        assert_eq!(problem(&a), "locale");
    }
}

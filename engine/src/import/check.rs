//! Checking the export against the rules, the mapping, the database and Stripe, and
//! planning what to write. Nothing is written here: a dry run is this and the report.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Days, NaiveDate};
use futures::StreamExt;
use rust_decimal::Decimal;
use sqlx::PgConnection;

use super::files::At;
use super::mapping::{AccountStatus, Mapping, ServiceStatus};
use super::report::{Fault, Report};
use super::{Legacy, Read};
use crate::accounts::{check_address, check_person, valid_locale, NewAddress, NewPerson};
use crate::cards::stripe::StripeFailure;
use crate::cards::Stripe;
use crate::EngineError;

/// What passed every check, account by account, ready to write.
pub struct Ready {
    pub(crate) accounts: Vec<AccountPlan>,
}

impl Ready {
    pub fn accounts(&self) -> usize {
        self.accounts.len()
    }
}

pub(crate) struct AccountPlan {
    pub legacy_id: String,
    pub number: Option<String>,
    pub kind: String,
    pub name: String,
    pub cycle_day: i16,
    pub currency: String,
    pub locale: String,
    pub billing_mode: String,
    pub balance: Decimal,
    pub customer: Option<String>,
    pub people: Vec<PersonPlan>,
    pub addresses: Vec<AddressPlan>,
    pub services: Vec<ServicePlan>,
    pub invoices: Vec<InvoicePlan>,
    pub cards: Vec<CardPlan>,
    pub notes: Vec<NotePlan>,
    pub usage: Vec<UsagePlan>,
}

pub(crate) struct PersonPlan {
    pub legacy_id: String,
    pub role: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// A portal login (without a password) for this person; the primary one signs in
    /// with the account number.
    pub login: Option<bool>,
}

pub(crate) struct AddressPlan {
    pub legacy_id: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub jurisdiction_id: i64,
    pub technologies: Vec<String>,
}

pub(crate) struct ServicePlan {
    pub legacy_id: String,
    pub address: String,
    pub plan_id: i64,
    pub status: ServiceStatus,
    pub activated_on: Option<NaiveDate>,
    /// The first day the legacy system did not charge.
    pub charged_through: Option<NaiveDate>,
    pub cancelled_on: Option<NaiveDate>,
    pub suspended_on: Option<NaiveDate>,
    pub contract_ends_on: Option<NaiveDate>,
    pub circuit: Option<String>,
}

pub(crate) struct InvoicePlan {
    pub legacy_id: String,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub open: Decimal,
}

pub(crate) struct CardPlan {
    pub payment_method: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i16,
    pub exp_year: i16,
    pub default: bool,
}

pub(crate) struct NotePlan {
    pub legacy_id: String,
    pub written_at: chrono::DateTime<chrono::Utc>,
    pub author: Option<String>,
    pub body: String,
}

pub(crate) struct UsagePlan {
    pub service: String,
    pub day: NaiveDate,
    pub download: i64,
    pub upload: i64,
}

struct Plan {
    id: i64,
    currency: String,
    technology: String,
    available: bool,
    contract_months: i16,
}

/// How far ahead a paid-through date may be: a year paid in advance.
const MAX_DAYS_PAID_AHEAD: u64 = 366;
/// How many cards are looked up at Stripe at once.
const STRIPE_LOOKUPS_AT_ONCE: usize = 8;

/// Faults on `rows` grouped by the account they belong to; rows of an unknown account are
/// rejected on their own.
struct Sorted<'a, T> {
    by_account: HashMap<&'a str, Vec<&'a Read<T>>>,
}

fn sort<'a, T>(rows: &'a [Read<T>], account_of: impl Fn(&'a T) -> &'a str) -> Sorted<'a, T> {
    let mut by_account: HashMap<&'a str, Vec<&'a Read<T>>> = HashMap::new();
    for r in rows {
        by_account.entry(account_of(&r.row)).or_default().push(r);
    }
    Sorted { by_account }
}

fn push(faults: &mut HashMap<At, Vec<Fault>>, at: At, fault: Fault) {
    faults.entry(at).or_default().push(fault);
}

/// Rejects the second and later rows with the same key in one file.
fn duplicates<T>(
    rows: &[Read<T>],
    key: impl Fn(&T) -> &str,
    column: &'static str,
) -> HashMap<At, Fault> {
    let mut first: HashMap<&str, u64> = HashMap::new();
    let mut out = HashMap::new();
    for r in rows {
        let k = key(&r.row);
        if k.is_empty() {
            continue;
        }
        match first.get(k) {
            Some(line) => {
                out.insert(
                    r.at,
                    Fault::at(r.at, Some(column), format!("{k:?} is also on line {line}")),
                );
            }
            None => {
                first.insert(k, r.at.line);
            }
        }
    }
    out
}

/// Checks everything; returns what can be written and the report.
///
/// `today` is the provider's; `zone` is the provider's time zone (notes' times and new
/// accounts'); `stripe` looks up the saved cards (`None`: a card in the export is
/// rejected, since it cannot be checked).
pub async fn check(
    conn: &mut PgConnection,
    legacy: &Legacy,
    mapping: &Mapping,
    stripe: Option<&Stripe>,
    today: NaiveDate,
    zone: chrono_tz::Tz,
) -> Result<(Ready, Report), EngineError> {
    let mut report = Report {
        rows: legacy.rows.clone(),
        ..Report::default()
    };

    // What the database already holds that the rows are checked against.
    let plans: HashMap<String, Plan> =
        sqlx::query_as::<_, (String, i64, String, String, bool, i16)>(
            "select code, id, currency::text, technology, available, contract_months from plans",
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(
            |(code, id, currency, technology, available, contract_months)| {
                (
                    code,
                    Plan {
                        id,
                        currency,
                        technology,
                        available,
                        contract_months,
                    },
                )
            },
        )
        .collect();
    let jurisdictions: HashMap<String, i64> =
        sqlx::query_as::<_, (String, i64)>("select code, id from jurisdictions")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let currencies: HashSet<String> =
        sqlx::query_scalar::<_, String>("select code::text from currencies")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let numbers: Vec<&str> = legacy
        .accounts
        .iter()
        .filter_map(|a| a.row.number.as_deref())
        .collect();
    let taken_numbers: HashMap<String, Option<String>> =
        sqlx::query_as::<_, (String, Option<String>)>(
            "select account_number, legacy_id from accounts where account_number = any($1)",
        )
        .bind(&numbers)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
    let emails: Vec<String> = legacy
        .people
        .iter()
        .filter(|p| p.row.login)
        .filter_map(|p| p.row.email.as_ref().map(|e| e.to_lowercase()))
        .collect();
    let taken_emails: HashMap<String, Option<String>> =
        sqlx::query_as::<_, (String, Option<String>)>(
            "select lower(l.email::text), p.legacy_id from portal_logins l join people p on p.id = l.person_id
              where l.email = any($1::citext[])",
        )
        .bind(&emails)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();

    // Faults by row, starting with what reading found and the duplicate ids.
    let mut faults: HashMap<At, Vec<Fault>> = HashMap::new();
    macro_rules! carry {
        ($rows:expr) => {
            for r in $rows {
                for f in &r.faults {
                    push(&mut faults, r.at, f.clone());
                }
            }
        };
    }
    carry!(&legacy.accounts);
    carry!(&legacy.people);
    carry!(&legacy.addresses);
    carry!(&legacy.services);
    carry!(&legacy.invoices);
    carry!(&legacy.cards);
    carry!(&legacy.notes);
    carry!(&legacy.usage);
    for (at, fault) in duplicates(&legacy.accounts, |a| &a.legacy_id, "legacy_id")
        .into_iter()
        .chain(duplicates(
            &legacy.accounts,
            |a| a.number.as_deref().unwrap_or(""),
            "account_number",
        ))
        .chain(duplicates(&legacy.people, |p| &p.legacy_id, "legacy_id"))
        .chain(duplicates(&legacy.addresses, |a| &a.legacy_id, "legacy_id"))
        .chain(duplicates(&legacy.services, |s| &s.legacy_id, "legacy_id"))
        .chain(duplicates(&legacy.invoices, |i| &i.legacy_id, "legacy_id"))
        .chain(duplicates(
            &legacy.cards,
            |c| &c.payment_method,
            "stripe_payment_method_id",
        ))
        .chain(duplicates(&legacy.notes, |n| &n.legacy_id, "legacy_id"))
    {
        push(&mut faults, at, fault);
    }

    let people = sort(&legacy.people, |p| &p.account);
    let addresses = sort(&legacy.addresses, |a| &a.account);
    let services = sort(&legacy.services, |s| &s.account);
    let invoices = sort(&legacy.invoices, |i| &i.account);
    let cards = sort(&legacy.cards, |c| &c.account);
    let notes = sort(&legacy.notes, |n| &n.account);
    let service_account: HashMap<&str, &str> = legacy
        .services
        .iter()
        .map(|s| (s.row.legacy_id.as_str(), s.row.account.as_str()))
        .collect();
    let usage = sort(&legacy.usage, |u| {
        service_account
            .get(u.service.as_str())
            .copied()
            .unwrap_or("")
    });

    // Rows whose account is not in accounts.csv.
    let known: HashMap<&str, &Read<super::AccountIn>> = legacy
        .accounts
        .iter()
        .map(|a| (a.row.legacy_id.as_str(), a))
        .collect();
    let orphans =
        |faults: &mut HashMap<At, Vec<Fault>>, file_rows: Vec<(At, &str)>, column: &'static str| {
            for (at, account) in file_rows {
                if !account.is_empty() && !known.contains_key(account) {
                    push(
                        faults,
                        at,
                        Fault::at(
                            at,
                            Some(column),
                            format!("no account has the legacy_id {account:?} in accounts.csv"),
                        ),
                    );
                }
            }
        };
    orphans(
        &mut faults,
        legacy
            .people
            .iter()
            .map(|r| (r.at, r.row.account.as_str()))
            .collect(),
        "account",
    );
    orphans(
        &mut faults,
        legacy
            .addresses
            .iter()
            .map(|r| (r.at, r.row.account.as_str()))
            .collect(),
        "account",
    );
    orphans(
        &mut faults,
        legacy
            .services
            .iter()
            .map(|r| (r.at, r.row.account.as_str()))
            .collect(),
        "account",
    );
    orphans(
        &mut faults,
        legacy
            .invoices
            .iter()
            .map(|r| (r.at, r.row.account.as_str()))
            .collect(),
        "account",
    );
    orphans(
        &mut faults,
        legacy
            .cards
            .iter()
            .map(|r| (r.at, r.row.account.as_str()))
            .collect(),
        "account",
    );
    orphans(
        &mut faults,
        legacy
            .notes
            .iter()
            .map(|r| (r.at, r.row.account.as_str()))
            .collect(),
        "account",
    );
    for r in &legacy.usage {
        if !r.row.service.is_empty() && !service_account.contains_key(r.row.service.as_str()) {
            push(
                &mut faults,
                r.at,
                Fault::at(
                    r.at,
                    Some("service"),
                    format!(
                        "no service has the legacy_id {:?} in services.csv",
                        r.row.service
                    ),
                ),
            );
        }
    }

    // Saved cards, looked up at Stripe (a few at a time).
    let card_rows: Vec<&Read<super::CardIn>> = legacy
        .cards
        .iter()
        .filter(|c| !c.row.payment_method.is_empty())
        .collect();
    let looked_up: HashMap<String, Result<crate::cards::stripe::PaymentMethod, String>> =
        match stripe {
            Some(stripe) => futures::stream::iter(card_rows.iter().map(|c| {
                let id = c.row.payment_method.clone();
                async move {
                    let found = stripe.retrieve_payment_method(&id).await;
                    (id, found)
                }
            }))
            .buffer_unordered(STRIPE_LOOKUPS_AT_ONCE)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .map(|(id, found)| match found {
                Ok(pm) => Ok((id, Ok(pm))),
                Err(StripeFailure::Api { status: 404, .. }) => {
                    Ok((id, Err("does not exist at Stripe".to_string())))
                }
                Err(StripeFailure::Api {
                    status: 400,
                    message,
                    ..
                }) => Ok((
                    id,
                    Err(message.unwrap_or_else(|| "Stripe refuses this id".into())),
                )),
                // Stripe unreachable, or refusing our key: no row is at fault.
                Err(e) => Err(EngineError::Stripe(format!(
                    "looking up the saved cards: {e}"
                ))),
            })
            .collect::<Result<_, _>>()?,
            None => HashMap::new(),
        };

    let mut unmapped_plans: BTreeMap<String, u64> = BTreeMap::new();
    let mut login_emails: HashMap<String, At> = HashMap::new();
    let mut ready = Vec::new();
    let mut warnings = Vec::new();
    let mut seen: HashMap<&str, u32> = HashMap::new();
    for a in &legacy.accounts {
        *seen.entry(a.row.legacy_id.as_str()).or_default() += 1;
    }
    for a in &legacy.accounts {
        let row = &a.row;
        if seen[row.legacy_id.as_str()] > 1 {
            // Which row is right is not ours to guess: both wait for the export to say.
            if !report.held_back.contains(&row.legacy_id) {
                report.held_back.push(row.legacy_id.clone());
            }
            continue;
        }
        let status = mapping.account_status.get(&row.status).copied();
        match status {
            None if !row.status.is_empty() => push(
                &mut faults,
                a.at,
                Fault::at(
                    a.at,
                    Some("status"),
                    format!(
                        "status code {:?} has no mapping in [account_status]",
                        row.status
                    ),
                ),
            ),
            Some(AccountStatus::Leave) => {
                report.left_in_legacy += 1;
                continue;
            }
            _ => {}
        }
        let mut account_faults: Vec<Fault> = Vec::new();
        let mut fault = |at: At, column: &'static str, reason: String| {
            account_faults.push(Fault::at(at, Some(column), reason));
        };
        if !["residential", "business"].contains(&row.kind.as_str()) && !row.kind.is_empty() {
            fault(
                a.at,
                "kind",
                format!("{:?} is not residential or business", row.kind),
            );
        }
        if row.name.chars().count() > 200 || row.name.chars().any(char::is_control) {
            fault(
                a.at,
                "name",
                "a name is 1 to 200 printable characters".into(),
            );
        }
        if let Some(number) = &row.number {
            if !(6..=12).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
                fault(
                    a.at,
                    "account_number",
                    format!("{number:?} is not 6 to 12 digits"),
                );
            } else if let Some(holder) = taken_numbers.get(number) {
                if holder.as_deref() != Some(row.legacy_id.as_str()) {
                    fault(
                        a.at,
                        "account_number",
                        format!("{number} is another account's number here"),
                    );
                }
            }
        }
        let currency = row.currency.to_ascii_uppercase();
        if !row.currency.is_empty() && !currencies.contains(&currency) {
            fault(
                a.at,
                "currency",
                format!("{:?} is not a currency the provider bills in", row.currency),
            );
        }
        if let Some(locale) = &row.locale {
            if !valid_locale(locale) {
                fault(
                    a.at,
                    "locale",
                    format!("{locale:?} is not a locale like en or en-US"),
                );
            }
        }
        if let Some(mode) = &row.billing_mode {
            if !["postpaid", "prepaid", "hybrid"].contains(&mode.as_str()) {
                fault(
                    a.at,
                    "billing_mode",
                    format!("{mode:?} is not postpaid, prepaid or hybrid"),
                );
            }
        }
        if let Some(customer) = &row.customer {
            if !customer.starts_with("cus_") || customer.len() > 255 {
                fault(
                    a.at,
                    "stripe_customer_id",
                    format!("{customer:?} is not a Stripe customer id (cus_…)"),
                );
            }
        }

        // The account's people: its own rules, one owner, and at most one login per email.
        let id = row.legacy_id.as_str();
        let its_people = people.by_account.get(id).cloned().unwrap_or_default();
        let owners: Vec<u64> = its_people
            .iter()
            .filter(|p| p.row.role == "owner")
            .map(|p| p.at.line)
            .collect();
        if owners.len() != 1 {
            fault(
                a.at,
                "legacy_id",
                if owners.is_empty() {
                    "the account has no person with the role owner in people.csv".into()
                } else {
                    format!(
                        "the account has {} owners in people.csv (lines {})",
                        owners.len(),
                        owners
                            .iter()
                            .map(u64::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            );
        }
        let mut person_plans = Vec::new();
        for p in &its_people {
            let r = &p.row;
            let new = NewPerson {
                role: r.role.clone(),
                first_name: r.first_name.clone(),
                last_name: r.last_name.clone(),
                email: r.email.clone(),
                phone: r.phone.clone(),
            };
            if let Err((column, reason)) = check_person(&new) {
                fault(p.at, column, reason);
            }
            let mut login = None;
            if r.login {
                match &r.email {
                    None => fault(p.at, "portal_login", "a portal login needs an email".into()),
                    Some(email) => {
                        let key = email.to_lowercase();
                        if let Some(first) = login_emails.get(&key) {
                            warnings.push(Fault::at(
                                p.at,
                                Some("email"),
                                format!("{email} has a portal login on {}:{} already: this person gets none", first.file, first.line),
                            ));
                        } else if taken_emails
                            .get(&key)
                            .is_some_and(|holder| holder.as_deref() != Some(r.legacy_id.as_str()))
                        {
                            warnings.push(Fault::at(
                                p.at,
                                Some("email"),
                                format!("{email} signs in to another account here already: this person gets no portal login"),
                            ));
                        } else {
                            login_emails.insert(key, p.at);
                            login = Some(false);
                        }
                    }
                }
            }
            person_plans.push(PersonPlan {
                legacy_id: r.legacy_id.clone(),
                role: r.role.clone(),
                first_name: r.first_name.trim().to_string(),
                last_name: r.last_name.trim().to_string(),
                email: r.email.clone(),
                phone: r.phone.clone(),
                login,
            });
        }
        // The primary login: the owner's, else the first.
        let primary = person_plans
            .iter()
            .position(|p| p.role == "owner" && p.login.is_some())
            .or_else(|| person_plans.iter().position(|p| p.login.is_some()));
        if let Some(i) = primary {
            person_plans[i].login = Some(true);
        }

        // Services first (the addresses' technologies may come from their plans).
        let its_services = services.by_account.get(id).cloned().unwrap_or_default();
        let its_addresses = addresses.by_account.get(id).cloned().unwrap_or_default();
        let address_ids: HashSet<&str> = its_addresses
            .iter()
            .map(|r| r.row.legacy_id.as_str())
            .collect();
        let mut service_plans = Vec::new();
        let mut technology_at: HashMap<&str, Vec<String>> = HashMap::new();
        for s in &its_services {
            let r = &s.row;
            let status = mapping.service_status.get(&r.status).copied();
            if status.is_none() && !r.status.is_empty() {
                fault(
                    s.at,
                    "status",
                    format!(
                        "status code {:?} has no mapping in [service_status]",
                        r.status
                    ),
                );
            }
            let plan = match mapping.plans.get(&r.plan) {
                None => {
                    if !r.plan.is_empty() {
                        *unmapped_plans.entry(r.plan.clone()).or_default() += 1;
                        fault(
                            s.at,
                            "plan",
                            format!("plan code {:?} has no mapping in [plans]", r.plan),
                        );
                    }
                    None
                }
                Some(code) => match plans.get(code) {
                    None => {
                        fault(s.at, "plan", format!("plan code {:?} is mapped to {code:?}, which is not a Lastmile plan", r.plan));
                        None
                    }
                    Some(plan) => {
                        if plan.currency.trim() != currency {
                            fault(
                                s.at,
                                "plan",
                                format!(
                                    "{code} is priced in {}, the account in {currency}",
                                    plan.currency.trim()
                                ),
                            );
                        }
                        if !plan.available {
                            warnings.push(Fault::at(
                                s.at,
                                Some("plan"),
                                format!("{code} is no longer sold; the service keeps it"),
                            ));
                        }
                        Some(plan)
                    }
                },
            };
            if !r.address.is_empty() && !address_ids.contains(r.address.as_str()) {
                fault(
                    s.at,
                    "address",
                    format!(
                        "{:?} is not one of the account's addresses in addresses.csv",
                        r.address
                    ),
                );
            }
            if let Some(plan) = plan {
                technology_at
                    .entry(r.address.as_str())
                    .or_default()
                    .push(plan.technology.clone());
            }
            if r.circuit.as_ref().is_some_and(|c| c.chars().count() > 100) {
                fault(
                    s.at,
                    "circuit",
                    "a circuit id is at most 100 characters".into(),
                );
            }
            let pending = status == Some(ServiceStatus::Pending);
            let unreadable = |column: &str| s.faults.iter().any(|f| f.column == Some(column));
            match r.activated_on {
                None if !pending && status.is_some() && !unreadable("activated_on") => fault(
                    s.at,
                    "activated_on",
                    "is empty; only a pending service has no activation day".into(),
                ),
                Some(day) if pending => fault(
                    s.at,
                    "activated_on",
                    format!("{day}: a pending service has not been activated"),
                ),
                Some(day) if day > today => fault(
                    s.at,
                    "activated_on",
                    format!("{day} has not come yet (today is {today})"),
                ),
                _ => {}
            }
            let charged_through = r
                .paid_through
                .and_then(|d| d.checked_add_days(Days::new(1)));
            if let Some(paid) = r.paid_through {
                if pending {
                    fault(
                        s.at,
                        "paid_through",
                        "a pending service has paid for nothing yet".into(),
                    );
                } else if r.activated_on.is_some_and(|a| paid + Days::new(1) < a) {
                    fault(
                        s.at,
                        "paid_through",
                        format!("{paid} is before the service was activated"),
                    );
                } else if paid > today + Days::new(MAX_DAYS_PAID_AHEAD) {
                    fault(
                        s.at,
                        "paid_through",
                        format!("{paid} is more than a year ahead"),
                    );
                }
            } else if matches!(
                status,
                Some(
                    ServiceStatus::Active
                        | ServiceStatus::Suspended
                        | ServiceStatus::SuspendedNonPayment
                )
            ) {
                if let Some(activated) = r.activated_on {
                    warnings.push(Fault::at(s.at, Some("paid_through"), format!("is empty: Lastmile will charge this service from its activation on {activated}")));
                }
            }
            match (status, r.cancelled_on) {
                (Some(ServiceStatus::Cancelled), None) => fault(
                    s.at,
                    "cancelled_on",
                    "is empty; a cancelled service needs the day it ended".into(),
                ),
                (Some(ServiceStatus::Cancelled), Some(c))
                    if r.activated_on.is_some_and(|a| c < a) =>
                {
                    fault(
                        s.at,
                        "cancelled_on",
                        format!("{c} is before the service was activated"),
                    )
                }
                (Some(ServiceStatus::Cancelled), _) | (None, _) | (_, None) => {}
                (Some(_), Some(c)) => fault(
                    s.at,
                    "cancelled_on",
                    format!("{c}: only a cancelled service has a cancellation day"),
                ),
            }
            let suspended = matches!(
                status,
                Some(ServiceStatus::Suspended | ServiceStatus::SuspendedNonPayment)
            );
            match (suspended, r.suspended_on) {
                (true, None) => fault(
                    s.at,
                    "suspended_on",
                    "is empty; a suspended service needs the day it was switched off".into(),
                ),
                (true, Some(d)) if d > today || r.activated_on.is_some_and(|a| d < a) => fault(
                    s.at,
                    "suspended_on",
                    format!("{d} is not between the activation and today"),
                ),
                (false, Some(d)) => fault(
                    s.at,
                    "suspended_on",
                    format!("{d}: only a suspended service has a suspension day"),
                ),
                _ => {}
            }
            let contract_ends_on = match (r.activated_on, plan) {
                (Some(day), Some(plan)) if plan.contract_months > 0 => {
                    day.checked_add_months(chrono::Months::new(plan.contract_months as u32))
                }
                _ => None,
            };
            if let (Some(plan), Some(status)) = (plan, status) {
                service_plans.push(ServicePlan {
                    legacy_id: r.legacy_id.clone(),
                    address: r.address.clone(),
                    plan_id: plan.id,
                    status,
                    activated_on: r.activated_on,
                    charged_through,
                    cancelled_on: r.cancelled_on,
                    suspended_on: r.suspended_on,
                    contract_ends_on,
                    circuit: r.circuit.clone(),
                });
            }
        }

        let mut address_plans = Vec::new();
        for ad in &its_addresses {
            let r = &ad.row;
            let technologies = match &r.technologies {
                Some(t) => t.clone(),
                None => {
                    let mut t = technology_at
                        .get(r.legacy_id.as_str())
                        .cloned()
                        .unwrap_or_default();
                    t.sort();
                    t.dedup();
                    t
                }
            };
            let new = NewAddress {
                line1: r.line1.clone(),
                line2: r.line2.clone(),
                city: r.city.clone(),
                region: r.region.clone().unwrap_or_default(),
                postal_code: r.postal_code.clone(),
                country: r.country.clone(),
                jurisdiction: String::new(),
                technologies: technologies.clone(),
            };
            if let Err((column, reason)) = check_address(&new) {
                fault(ad.at, column, reason);
            }
            for t in technology_at
                .get(r.legacy_id.as_str())
                .into_iter()
                .flatten()
            {
                if !technologies.contains(t) {
                    fault(
                        ad.at,
                        "technologies",
                        format!("a service here is on a {t} plan, which the address does not list"),
                    );
                }
            }
            let jurisdiction = match mapping.tax.get(&r.tax_code) {
                None => {
                    if !r.tax_code.is_empty() {
                        fault(
                            ad.at,
                            "tax_code",
                            format!("tax code {:?} has no mapping in [tax]", r.tax_code),
                        );
                    }
                    None
                }
                Some(code) => match jurisdictions.get(code) {
                    None => {
                        fault(ad.at, "tax_code", format!("tax code {:?} is mapped to {code:?}, which is not a jurisdiction the provider taxes", r.tax_code));
                        None
                    }
                    Some(id) => Some(*id),
                },
            };
            if let Some(jurisdiction_id) = jurisdiction {
                address_plans.push(AddressPlan {
                    legacy_id: r.legacy_id.clone(),
                    line1: r.line1.trim().to_string(),
                    line2: r.line2.clone(),
                    city: r.city.trim().to_string(),
                    region: r.region.clone().unwrap_or_default(),
                    postal_code: r.postal_code.trim().to_string(),
                    country: r.country.clone(),
                    jurisdiction_id,
                    technologies,
                });
            }
        }

        let mut invoice_plans = Vec::new();
        let mut invoiced = Decimal::ZERO;
        for i in invoices.by_account.get(id).cloned().unwrap_or_default() {
            let r = &i.row;
            if let Some(issued) = r.issued_on {
                if issued > today {
                    fault(
                        i.at,
                        "issued_on",
                        format!("{issued} has not come yet (today is {today})"),
                    );
                }
            }
            if let (Some(issued_on), Some(due_on), Some(open), true) =
                (r.issued_on, r.due_on, r.open, i.faults.is_empty())
            {
                invoiced += open;
                invoice_plans.push(InvoicePlan {
                    legacy_id: r.legacy_id.clone(),
                    issued_on,
                    due_on,
                    open,
                });
            }
        }
        if let Some(balance) = row.balance {
            if balance != invoiced && !(balance.is_sign_negative() && invoice_plans.is_empty()) {
                warnings.push(Fault::at(
                    a.at,
                    Some("opening_balance"),
                    format!(
                        "{balance} is not what the open invoices add up to ({invoiced}): the difference {} is carried over as \"Other balance carried over\"",
                        balance - invoiced
                    ),
                ));
            }
            if balance.is_sign_negative() && !balance.is_zero() {
                warnings.push(Fault::at(
                    a.at,
                    Some("opening_balance"),
                    format!("{balance}: the account is in credit; it is carried over as a credit (check the sign if it should be owed)"),
                ));
            }
        }

        let mut card_plans = Vec::new();
        for c in cards.by_account.get(id).cloned().unwrap_or_default() {
            let r = &c.row;
            let Some(customer) = &row.customer else {
                fault(
                    c.at,
                    "account",
                    "the account has no stripe_customer_id, so its cards cannot be used".into(),
                );
                continue;
            };
            if r.payment_method.is_empty() {
                continue;
            }
            if stripe.is_none() {
                fault(
                    c.at,
                    "stripe_payment_method_id",
                    "Stripe is not configured here, so the card cannot be checked".into(),
                );
                continue;
            }
            match looked_up.get(&r.payment_method) {
                Some(Ok(pm)) => match (&pm.card, pm.customer.as_deref()) {
                    (None, _) => fault(
                        c.at,
                        "stripe_payment_method_id",
                        format!("{} is not a card at Stripe", r.payment_method),
                    ),
                    (Some(_), owner) if owner != Some(customer.as_str()) => fault(
                        c.at,
                        "stripe_payment_method_id",
                        format!(
                            "{} belongs to {} at Stripe, not to {customer}",
                            r.payment_method,
                            owner.unwrap_or("no customer")
                        ),
                    ),
                    (Some(card), _) => {
                        if r.default && card_plans.iter().any(|p: &CardPlan| p.default) {
                            fault(
                                c.at,
                                "default",
                                "the account has another default card above".into(),
                            );
                        }
                        card_plans.push(CardPlan {
                            payment_method: r.payment_method.clone(),
                            brand: card.brand.clone(),
                            last4: card.last4.clone(),
                            exp_month: card.exp_month as i16,
                            exp_year: card.exp_year as i16,
                            default: r.default,
                        });
                    }
                },
                Some(Err(e)) => fault(
                    c.at,
                    "stripe_payment_method_id",
                    format!("{} {e}", r.payment_method),
                ),
                None => {}
            }
        }

        let mut note_plans = Vec::new();
        for n in notes.by_account.get(id).cloned().unwrap_or_default() {
            let r = &n.row;
            if r.body.chars().count() > 10_000 {
                fault(n.at, "body", "a note is at most 10,000 characters".into());
            }
            let author = r.author.clone();
            if author.as_ref().is_some_and(|a| a.chars().count() > 100) {
                fault(n.at, "author", "an author is at most 100 characters".into());
            }
            if let Some(at) = r.written_at {
                let utc = crate::clock::at_local(zone, at.date(), at.time());
                note_plans.push(NotePlan {
                    legacy_id: r.legacy_id.clone(),
                    written_at: utc,
                    author,
                    body: r.body.clone(),
                });
            }
        }

        let mut usage_plans = Vec::new();
        for u in usage.by_account.get(id).cloned().unwrap_or_default() {
            let r = &u.row;
            if let (Some(day), Some(download), Some(upload)) = (r.day, r.download, r.upload) {
                if day > today {
                    fault(u.at, "day", format!("{day} has not come yet"));
                }
                usage_plans.push(UsagePlan {
                    service: r.service.clone(),
                    day,
                    download,
                    upload,
                });
            }
        }

        // Every fault of the account's rows, then whether it is held back.
        for f in account_faults {
            let at = At {
                file: f.file,
                line: f.line.unwrap_or(0),
            };
            push(&mut faults, at, f);
        }
        let mut rows: Vec<At> = vec![a.at];
        for list in [
            its_people.iter().map(|r| r.at).collect::<Vec<_>>(),
            its_addresses.iter().map(|r| r.at).collect(),
            its_services.iter().map(|r| r.at).collect(),
            invoices
                .by_account
                .get(id)
                .map(|v| v.iter().map(|r| r.at).collect())
                .unwrap_or_default(),
            cards
                .by_account
                .get(id)
                .map(|v| v.iter().map(|r| r.at).collect())
                .unwrap_or_default(),
            notes
                .by_account
                .get(id)
                .map(|v| v.iter().map(|r| r.at).collect())
                .unwrap_or_default(),
            usage
                .by_account
                .get(id)
                .map(|v| v.iter().map(|r| r.at).collect())
                .unwrap_or_default(),
        ] {
            rows.extend(list);
        }
        if rows.iter().any(|at| faults.contains_key(at)) {
            if !row.legacy_id.is_empty() {
                report.held_back.push(row.legacy_id.clone());
            }
            continue;
        }
        let (Some(cycle_day), Some(balance)) = (row.cycle_day, row.balance) else {
            continue;
        };
        ready.push(AccountPlan {
            legacy_id: row.legacy_id.clone(),
            number: row.number.clone(),
            kind: row.kind.clone(),
            name: row.name.trim().to_string(),
            cycle_day: cycle_day as i16,
            currency: currency.clone(),
            locale: row.locale.clone().unwrap_or_else(|| "en-US".into()),
            billing_mode: row
                .billing_mode
                .clone()
                .unwrap_or_else(|| "postpaid".into()),
            balance,
            customer: row.customer.clone(),
            people: person_plans,
            addresses: address_plans,
            services: service_plans,
            invoices: invoice_plans,
            cards: card_plans,
            notes: note_plans,
            usage: usage_plans,
        });
    }
    for (code, count) in unmapped_plans {
        warnings.push(Fault {
            file: "services.csv",
            line: None,
            column: Some("plan"),
            reason: format!(
                "plan code {code:?} has no mapping in [plans] ({count} services rejected)"
            ),
        });
    }

    let mut rejected: Vec<Fault> = faults.into_values().flatten().collect();
    let order = |f: &Fault| {
        (
            super::files::FILES.iter().position(|c| c.file == f.file),
            f.line,
        )
    };
    rejected.sort_by_key(order);
    rejected.dedup();
    warnings.sort_by_key(order);
    report.rejected = rejected;
    report.warnings = warnings;
    for a in &ready {
        let c = &mut report.ready;
        c.accounts += 1;
        c.people += a.people.len() as u64;
        c.portal_logins += a.people.iter().filter(|p| p.login.is_some()).count() as u64;
        c.addresses += a.addresses.len() as u64;
        c.services += a.services.len() as u64;
        c.open_invoices += a.invoices.len() as u64;
        c.payment_methods += a.cards.len() as u64;
        c.notes += a.notes.len() as u64;
        c.usage_days += a.usage.len() as u64;
    }
    Ok((Ready { accounts: ready }, report))
}

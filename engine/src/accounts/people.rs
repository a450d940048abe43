//! The people of an account, changed after it was made: added, corrected, given another
//! role, removed.
//!
//! - An account always has exactly one owner. Giving another person the role `owner` makes
//!   them the owner and the previous owner `authorised`, in one change; the owner's own role
//!   cannot be taken away otherwise, and the owner is never removed.
//! - A person's details follow the rules of a new account's people (`check_person`).
//! - A person with a portal login, or named in the account's history (a ticket they opened,
//!   an interaction), stays on record: change their details or role instead. Their login's
//!   email is their credential and is not changed by their contact email.
//! - Every change moves the account's version (the schema's triggers), so a caller's
//!   `If-Match` protects it as it protects the account's own fields.

use sqlx::PgConnection;

use super::{check_person, lock, version, NewPerson};
use crate::EngineError;

/// What a change to a person may set; `None` leaves a field as it is, and for the email and
/// phone `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct PersonChange {
    pub role: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
}

fn invalid((field, message): (&'static str, String)) -> EngineError {
    EngineError::InvalidField { field, message }
}

fn trimmed(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Makes `person_id` the owner: the owner before them becomes `authorised`. Call with the
/// account locked.
async fn hand_over_ownership(
    tx: &mut PgConnection,
    account_id: i64,
    person_id: Option<i64>,
) -> Result<(), EngineError> {
    sqlx::query(
        "update people set role = 'authorised'
          where account_id = $1 and role = 'owner' and id is distinct from $2",
    )
    .bind(account_id)
    .bind(person_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Adds a person to the account. Returns the person's id and the account's new version.
pub async fn add_person_in(
    tx: &mut PgConnection,
    account_id: i64,
    expected: Option<&[i64]>,
    person: &NewPerson,
) -> Result<(i64, i64), EngineError> {
    check_person(person).map_err(invalid)?;
    lock(tx, account_id, expected).await?;
    if person.role == "owner" {
        hand_over_ownership(tx, account_id, None).await?;
    }
    let id: i64 = sqlx::query_scalar(
        "insert into people (account_id, role, first_name, last_name, email, phone)
         values ($1, $2, $3, $4, $5, $6) returning id",
    )
    .bind(account_id)
    .bind(&person.role)
    .bind(person.first_name.trim())
    .bind(person.last_name.trim())
    .bind(trimmed(&person.email))
    .bind(trimmed(&person.phone))
    .fetch_one(&mut *tx)
    .await?;
    Ok((id, version(tx, account_id).await?))
}

/// The person as it is, when it is the account's (locked with it).
async fn current(
    tx: &mut PgConnection,
    account_id: i64,
    person_id: i64,
) -> Result<NewPerson, EngineError> {
    type Row = (String, String, String, Option<String>, Option<String>);
    let row: Option<Row> = sqlx::query_as(
        "select role, first_name, last_name, email::text, phone from people
          where id = $1 and account_id = $2 for update",
    )
    .bind(person_id)
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (role, first_name, last_name, email, phone) = row.ok_or(EngineError::NotFound)?;
    Ok(NewPerson {
        role,
        first_name,
        last_name,
        email,
        phone,
    })
}

/// Changes a person of the account. Returns the account's new version.
pub async fn change_person_in(
    tx: &mut PgConnection,
    account_id: i64,
    person_id: i64,
    expected: Option<&[i64]>,
    change: &PersonChange,
) -> Result<i64, EngineError> {
    lock(tx, account_id, expected).await?;
    let was = current(tx, account_id, person_id).await?;
    let now = NewPerson {
        role: change.role.clone().unwrap_or_else(|| was.role.clone()),
        first_name: change
            .first_name
            .clone()
            .unwrap_or_else(|| was.first_name.clone()),
        last_name: change
            .last_name
            .clone()
            .unwrap_or_else(|| was.last_name.clone()),
        email: change.email.clone().unwrap_or_else(|| was.email.clone()),
        phone: change.phone.clone().unwrap_or_else(|| was.phone.clone()),
    };
    check_person(&now).map_err(invalid)?;
    if was.role == "owner" && now.role != "owner" {
        return Err(EngineError::InvalidField {
            field: "role",
            message: "an account always has an owner: give another person the role owner instead"
                .into(),
        });
    }
    if now.role == "owner" && was.role != "owner" {
        hand_over_ownership(tx, account_id, Some(person_id)).await?;
    }
    sqlx::query(
        "update people set role = $3, first_name = $4, last_name = $5, email = $6, phone = $7
          where id = $1 and account_id = $2",
    )
    .bind(person_id)
    .bind(account_id)
    .bind(&now.role)
    .bind(now.first_name.trim())
    .bind(now.last_name.trim())
    .bind(trimmed(&now.email))
    .bind(trimmed(&now.phone))
    .execute(&mut *tx)
    .await?;
    version(tx, account_id).await
}

/// Removes a person from the account. Returns the account's new version.
pub async fn remove_person_in(
    tx: &mut PgConnection,
    account_id: i64,
    person_id: i64,
    expected: Option<&[i64]>,
) -> Result<i64, EngineError> {
    lock(tx, account_id, expected).await?;
    let was = current(tx, account_id, person_id).await?;
    if was.role == "owner" {
        return Err(EngineError::Conflict(
            "the owner is never removed: give another person the role owner first".into(),
        ));
    }
    let (login, history): (bool, bool) = sqlx::query_as(
        "select exists (select 1 from portal_logins where person_id = $1),
                exists (select 1 from tickets where opened_by_person = $1)
                or exists (select 1 from interactions where person_id = $1)",
    )
    .bind(person_id)
    .fetch_one(&mut *tx)
    .await?;
    if login {
        return Err(EngineError::Conflict(
            "this person signs in to the portal; a person with a login stays on record (change their role or details instead)".into(),
        ));
    }
    if history {
        return Err(EngineError::Conflict(
            "this person is named in the account's history (a ticket or an interaction) and stays on record; change their role or details instead".into(),
        ));
    }
    sqlx::query("delete from people where id = $1 and account_id = $2")
        .bind(person_id)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    version(tx, account_id).await
}

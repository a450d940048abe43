//! The service addresses of an account, added and corrected after it was made.
//!
//! - A new address follows the rules of a new account's addresses (`check_address`), in a
//!   jurisdiction the provider taxes.
//! - A correction may change any line, the jurisdiction and the technologies. A service in
//!   force at the address keeps its plan, so the address must go on offering that plan's
//!   technology (a move to where it is not offered is a new address and a new service). A
//!   corrected jurisdiction taxes the address's services from the next statement on; issued
//!   statements are never changed.
//! - Addresses are not removed: services, issued statements and the network's records
//!   refer to them.

use sqlx::PgConnection;

use super::{check_address, lock, version, NewAddress};
use crate::EngineError;

/// What a correction may set; `None` leaves a field as it is (and `line2: Some(None)`
/// clears the second line).
#[derive(Debug, Clone, Default)]
pub struct AddressChange {
    pub line1: Option<String>,
    pub line2: Option<Option<String>>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub jurisdiction: Option<String>,
    pub technologies: Option<Vec<String>>,
}

fn invalid((field, message): (&'static str, String)) -> EngineError {
    EngineError::InvalidField { field, message }
}

async fn jurisdiction_id(tx: &mut PgConnection, code: &str) -> Result<i64, EngineError> {
    let id: Option<i64> = sqlx::query_scalar("select id from jurisdictions where code = $1")
        .bind(code.trim())
        .fetch_optional(&mut *tx)
        .await?;
    id.ok_or_else(|| EngineError::InvalidField {
        field: "jurisdiction",
        message: format!("{code:?} is not a jurisdiction the provider taxes"),
    })
}

/// Writes the address: a new one (`address_id` `None`), or over the one given. Every
/// statement binds the same ten values (`$10` is the address to overwrite, null for a new
/// one).
async fn write(
    tx: &mut PgConnection,
    account_id: i64,
    address_id: Option<i64>,
    a: &NewAddress,
    jurisdiction: i64,
) -> Result<i64, EngineError> {
    let line2 = a.line2.as_deref().map(str::trim).filter(|l| !l.is_empty());
    let query = if address_id.is_none() {
        "insert into addresses (account_id, line1, line2, city, region, postal_code, country,
                                jurisdiction_id, technologies)
         select $1, $2, $3, $4, $5, $6, $7, $8, $9 where $10::bigint is null returning id"
    } else {
        "update addresses set line1 = $2, line2 = $3, city = $4, region = $5,
                postal_code = $6, country = $7, jurisdiction_id = $8, technologies = $9
          where account_id = $1 and id = $10 returning id"
    };
    Ok(sqlx::query_scalar(query)
        .bind(account_id)
        .bind(a.line1.trim())
        .bind(line2)
        .bind(a.city.trim())
        .bind(a.region.trim())
        .bind(a.postal_code.trim())
        .bind(&a.country)
        .bind(jurisdiction)
        .bind(&a.technologies)
        .bind(address_id)
        .fetch_one(&mut *tx)
        .await?)
}

/// Adds a service address. Returns its id and the account's new version.
pub async fn add_address_in(
    tx: &mut PgConnection,
    account_id: i64,
    expected: Option<&[i64]>,
    address: &NewAddress,
) -> Result<(i64, i64), EngineError> {
    check_address(address).map_err(invalid)?;
    lock(tx, account_id, expected).await?;
    let jurisdiction = jurisdiction_id(tx, &address.jurisdiction).await?;
    let id = write(tx, account_id, None, address, jurisdiction).await?;
    Ok((id, version(tx, account_id).await?))
}

/// Corrects a service address of the account. Returns the account's new version.
pub async fn change_address_in(
    tx: &mut PgConnection,
    account_id: i64,
    address_id: i64,
    expected: Option<&[i64]>,
    change: &AddressChange,
) -> Result<i64, EngineError> {
    lock(tx, account_id, expected).await?;
    type Row = (
        String,
        Option<String>,
        String,
        String,
        String,
        String,
        String,
        Vec<String>,
    );
    let row: Option<Row> = sqlx::query_as(
        "select ad.line1, ad.line2, ad.city, ad.region, ad.postal_code, ad.country::text,
                j.code, ad.technologies
           from addresses ad join jurisdictions j on j.id = ad.jurisdiction_id
          where ad.id = $1 and ad.account_id = $2
            for update of ad",
    )
    .bind(address_id)
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (line1, line2, city, region, postal_code, country, jurisdiction, technologies) =
        row.ok_or(EngineError::NotFound)?;
    let now = NewAddress {
        line1: change.line1.clone().unwrap_or(line1),
        line2: change.line2.clone().unwrap_or(line2),
        city: change.city.clone().unwrap_or(city),
        region: change.region.clone().unwrap_or(region),
        postal_code: change.postal_code.clone().unwrap_or(postal_code),
        country: change.country.clone().unwrap_or(country),
        jurisdiction: change.jurisdiction.clone().unwrap_or(jurisdiction),
        technologies: change.technologies.clone().unwrap_or(technologies),
    };
    check_address(&now).map_err(invalid)?;
    let jurisdiction = jurisdiction_id(tx, &now.jurisdiction).await?;
    let stranded: Option<String> = sqlx::query_scalar(
        "select p.technology from services s join plans p on p.id = s.plan_id
          where s.address_id = $1 and s.status <> 'cancelled'
            and not p.technology = any($2::text[])
          limit 1",
    )
    .bind(address_id)
    .bind(&now.technologies)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(technology) = stranded {
        return Err(EngineError::InvalidField {
            field: "technologies",
            message: format!(
                "a service in force here is on a {technology} plan, so the address keeps offering {technology} (a move is a new address and a new service)"
            ),
        });
    }
    write(tx, account_id, Some(address_id), &now, jurisdiction).await?;
    version(tx, account_id).await
}

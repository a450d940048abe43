//! The mapping file (TOML): the legacy system's plan, tax and status codes in Lastmile's
//! terms. A mapping that cannot be read, or that maps to something Lastmile does not have,
//! stops the import before any row is looked at.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// What a legacy account status means for the import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    /// The account moves to Lastmile.
    Import,
    /// The account stays in the legacy system's archive (closed, nothing owed).
    Leave,
}

/// What a legacy service status becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceStatus {
    Pending,
    Active,
    /// Switched off by staff (turned back on by staff).
    Suspended,
    /// Switched off for not paying (turned back on when the balance is paid).
    SuspendedNonPayment,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// Legacy plan code → Lastmile plan code.
    pub plans: BTreeMap<String, String>,
    /// Legacy tax code → jurisdiction code (`US-TX`).
    pub tax: BTreeMap<String, String>,
    pub account_status: BTreeMap<String, AccountStatus>,
    pub service_status: BTreeMap<String, ServiceStatus>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    plans: BTreeMap<String, String>,
    tax: BTreeMap<String, String>,
    account_status: BTreeMap<String, String>,
    service_status: BTreeMap<String, String>,
}

impl Mapping {
    /// Reads and checks the mapping file; the error says what to fix.
    pub fn read(path: &Path) -> Result<Mapping, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot be read: {e}", path.display()))?;
        Mapping::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Mapping, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let account_status = file
            .account_status
            .into_iter()
            .map(|(code, to)| match to.as_str() {
                "import" => Ok((code, AccountStatus::Import)),
                "leave" => Ok((code, AccountStatus::Leave)),
                _ => Err(format!(
                    "[account_status] {code:?} = {to:?}: the value is import or leave"
                )),
            })
            .collect::<Result<_, _>>()?;
        let service_status = file
            .service_status
            .into_iter()
            .map(|(code, to)| {
                let status = match to.as_str() {
                    "pending" => ServiceStatus::Pending,
                    "active" => ServiceStatus::Active,
                    "suspended" => ServiceStatus::Suspended,
                    "suspended_non_payment" => ServiceStatus::SuspendedNonPayment,
                    "cancelled" => ServiceStatus::Cancelled,
                    _ => return Err(format!(
                        "[service_status] {code:?} = {to:?}: the value is pending, active, suspended, suspended_non_payment or cancelled"
                    )),
                };
                Ok((code, status))
            })
            .collect::<Result<_, _>>()?;
        Ok(Mapping {
            plans: file.plans,
            tax: file.tax,
            account_status,
            service_status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_reads_and_a_wrong_value_is_named() {
        let good = r#"
            [plans]
            "FIB-100" = "fibre-100"
            [tax]
            TXAUS = "US-TX"
            [account_status]
            A = "import"
            C = "leave"
            [service_status]
            ACT = "active"
            SUS = "suspended_non_payment"
        "#;
        let m = Mapping::parse(good).expect("reads");
        assert_eq!(m.plans["FIB-100"], "fibre-100");
        assert_eq!(m.account_status["C"], AccountStatus::Leave);
        assert_eq!(m.service_status["SUS"], ServiceStatus::SuspendedNonPayment);
        let wrong = good.replace("\"leave\"", "\"closed\"");
        assert_eq!(
            Mapping::parse(&wrong).unwrap_err(),
            "[account_status] \"C\" = \"closed\": the value is import or leave"
        );
        let missing = good.replace("[tax]\n            TXAUS = \"US-TX\"", "");
        assert!(Mapping::parse(&missing)
            .unwrap_err()
            .contains("missing field `tax`"));
    }
}

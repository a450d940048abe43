//! Account search results, as the staff console shows them.

use serde::{Deserialize, Serialize};

/// Which of an account's fields the search text matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedField {
    AccountNumber,
    /// A person's first and last name, or the account's display name.
    Name,
    Email,
    Phone,
    /// A service address: street line, city or postal code.
    Address,
}

impl MatchedField {
    /// As sent on the wire (`"account_number"`, `"name"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedField::AccountNumber => "account_number",
            MatchedField::Name => "name",
            MatchedField::Email => "email",
            MatchedField::Phone => "phone",
            MatchedField::Address => "address",
        }
    }
}

/// One account found by a staff search: enough to recognise it in a list and open it.
///
/// `contact_name`, `email` and `phone` are the person whose name, email or phone matched,
/// or the owner's when the match was on something else; `address` is the address that
/// matched, or the account's first one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountHit {
    pub account_id: i64,
    pub account_number: String,
    pub display_name: String,
    /// `pending`, `active`, `suspended` or `closed`.
    pub status: String,
    /// The account owner's first and last name.
    pub owner_name: Option<String>,
    pub contact_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// One line: street, (unit,) city, region and postal code.
    pub address: Option<String>,
    /// Which field matched: [`MatchedField::as_str`] of it (`"account_number"`, `"name"`,
    /// `"email"`, `"phone"` or `"address"`).
    pub matched: String,
}

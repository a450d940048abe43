//! The subscriber's sign-in security page.

use serde::{Deserialize, Serialize};

/// Whether an authenticator app is asked for at sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPage {
    pub authenticator: bool,
    /// Recovery codes not yet used.
    pub recovery_left: i64,
}

/// Setting up an authenticator app: the key to type in, and the `otpauth://` address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticatorSetup {
    pub secret: String,
    pub uri: String,
}

/// What one of the page's forms did: the key to add (started), the recovery codes (turned
/// on), or turned off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticatorAnswer {
    pub setup: Option<AuthenticatorSetup>,
    pub recovery_codes: Vec<String>,
    pub off: bool,
}

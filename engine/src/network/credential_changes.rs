//! Changing a service's network credentials after the service was created: a PPPoE password
//! the subscriber chooses, one staff reset to a new random password, an IPoE identifier
//! (circuit id or MAC) staff correct. Each change is made in the caller's transaction, so
//! the caller's audit entry commits with it or not at all; `changed_at` is set, and the
//! `network_credentials` trigger (provisioning) passes the change on to RADIUS.
//!
//! # The password rules
//!
//! A PPPoE password is typed into a router and sent by it to RADIUS, so first it must be
//! something every router accepts (the schema checks the same, `^[!-~]{8,64}$`):
//!
//! 1. 8 to 64 characters: printable ASCII (letters, digits and the symbols of a US
//!    keyboard), no spaces, no accented letters.
//!
//! Then it must not be among the first things a stranger on the same network would try:
//!
//! 2. it does not contain the connection's username (nor the part before an `@`), and the
//!    username does not contain it (case ignored);
//! 3. it has at least 5 different characters and is not a short piece repeated
//!    (`abcabcabc`);
//! 4. it is not a run (`12345678`, `abcdefgh`, `hgfedcba`);
//! 5. it is not a well-known password with digits or symbols around it (`Password1!`,
//!    `qwerty123`);
//! 6. under 12 characters it mixes at least two kinds of character (lower-case letters,
//!    capitals, digits, symbols); from 12 characters on, length is enough.
//!
//! A staff reset generates 16 characters from letters and digits without the ones read
//! out wrongly over the phone (`0 O o 1 l I`), about 93 bits, and checks them against the
//! same rules.
//!
//! # IPoE identifiers
//!
//! The identifier is what the NAS sends as User-Name for the line (an Option 82 circuit id,
//! or the subscriber's MAC): it is kept exactly as typed (trimmed), since RADIUS compares it
//! byte for byte; 3 to 253 printable ASCII characters without spaces, and no other service's
//! username or identifier.

use rand::rngs::OsRng;
use rand::Rng;
use sqlx::PgConnection;

use crate::EngineError;

// A reset password: as long as, and from the same characters as, the one the schema gives
// a new service ([`super::credentials`]: no letters or digits mistaken for each other when
// read out over the phone).
use super::credentials::{
    PASSWORD_ALPHABET as GENERATED_ALPHABET, PASSWORD_LENGTH as GENERATED_CHARS,
};

/// The fewest characters a password may have.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// The most characters a password may have (what routers accept).
pub const PASSWORD_MAX_CHARS: usize = 64;
/// From this length on, a password of one kind of character is long enough.
pub const ONE_KIND_MIN_CHARS: usize = 12;
/// The fewest different characters a password may have.
pub const MIN_DISTINCT_CHARS: usize = 5;
/// The longest IPoE identifier (RADIUS's User-Name).
pub const IDENTIFIER_MAX_CHARS: usize = 253;

/// Passwords tried first, as the letters left once digits and symbols around them are taken
/// off (`Password1!` is `password`).
const COMMON: &[&str] = &[
    "password",
    "passw",
    "passwd",
    "pass",
    "qwerty",
    "qwertyuiop",
    "qwertz",
    "azerty",
    "asdf",
    "asdfgh",
    "asdfghjkl",
    "zxcvbnm",
    "letmein",
    "welcome",
    "iloveyou",
    "admin",
    "administrator",
    "changeme",
    "default",
    "internet",
    "broadband",
    "router",
    "wifi",
    "wireless",
    "modem",
    "secret",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "master",
    "abc",
    "abcd",
    "test",
    "guest",
    "login",
    "user",
    "pppoe",
    "lastmile",
];

/// Why a password chosen for a connection is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    NotPrintable,
    HasUsername,
    TooRepetitive,
    Run,
    Common,
    OneKindOnly,
}

impl PasswordProblem {
    /// What to tell the person choosing it, beside the field.
    pub fn message(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "Use at least 8 characters.",
            PasswordProblem::TooLong => "Use at most 64 characters: routers accept no more.",
            PasswordProblem::NotPrintable => {
                "Use letters, digits and keyboard symbols only, without spaces or accents: \
                 routers accept nothing else."
            }
            PasswordProblem::HasUsername => "Don't use your connection's username in it.",
            PasswordProblem::TooRepetitive => {
                "Too repetitive: use at least 5 different characters, not a short piece repeated."
            }
            PasswordProblem::Run => {
                "A run like 12345678 or abcdefgh is among the first guesses; choose something else."
            }
            PasswordProblem::Common => {
                "That is one of the first passwords anyone tries; choose something less common."
            }
            PasswordProblem::OneKindOnly => {
                "Under 12 characters, mix at least two of: small letters, capitals, digits, symbols."
            }
        }
    }
}

/// Checks a password chosen for the connection whose username is `username` against the
/// rules in this module's documentation, in their order.
pub fn check_password(username: &str, password: &str) -> Result<(), PasswordProblem> {
    let length = password.chars().count();
    if length < PASSWORD_MIN_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if length > PASSWORD_MAX_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    if !password.bytes().all(|b| (b'!'..=b'~').contains(&b)) {
        return Err(PasswordProblem::NotPrintable);
    }
    let lower = password.to_ascii_lowercase();
    let name = username.trim().to_ascii_lowercase();
    let local = name.split('@').next().unwrap_or_default();
    let has_name = [name.as_str(), local]
        .iter()
        .any(|n| n.len() >= 3 && (lower.contains(n) || n.contains(&lower)));
    if has_name {
        return Err(PasswordProblem::HasUsername);
    }
    let bytes = lower.as_bytes();
    let mut distinct = bytes.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let repeated = (1..=bytes.len() / 2).any(|unit| {
        bytes.len().is_multiple_of(unit) && bytes.chunks(unit).all(|c| c == &bytes[..unit])
    });
    if distinct.len() < MIN_DISTINCT_CHARS || repeated {
        return Err(PasswordProblem::TooRepetitive);
    }
    let steps: Vec<i16> = bytes
        .windows(2)
        .map(|w| i16::from(w[1]) - i16::from(w[0]))
        .collect();
    if steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1) {
        return Err(PasswordProblem::Run);
    }
    let core = lower.trim_matches(|c: char| !c.is_ascii_alphabetic());
    if COMMON.contains(&core) {
        return Err(PasswordProblem::Common);
    }
    let kinds = [
        password.bytes().any(|b| b.is_ascii_lowercase()),
        password.bytes().any(|b| b.is_ascii_uppercase()),
        password.bytes().any(|b| b.is_ascii_digit()),
        password.bytes().any(|b| b.is_ascii_punctuation()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if length < ONE_KIND_MIN_CHARS && kinds < 2 {
        return Err(PasswordProblem::OneKindOnly);
    }
    Ok(())
}

/// A new random password for the connection `username` (from the operating system's random
/// source), meeting [`check_password`].
pub fn generate_password(username: &str) -> String {
    loop {
        let password: String = (0..GENERATED_CHARS)
            .map(|_| char::from(GENERATED_ALPHABET[OsRng.gen_range(0..GENERATED_ALPHABET.len())]))
            .collect();
        if check_password(username, &password).is_ok() {
            return password;
        }
    }
}

/// An IPoE identifier as typed, trimmed, if it can be one (see the module's documentation).
pub fn check_identifier(identifier: &str) -> Result<&str, EngineError> {
    let identifier = identifier.trim();
    let message = if identifier.is_empty() {
        "Enter the circuit id or MAC address the network sends for this line."
    } else if identifier.len() < 3 || identifier.len() > IDENTIFIER_MAX_CHARS {
        "An identifier has 3 to 253 characters."
    } else if !identifier.bytes().all(|b| (b'!'..=b'~').contains(&b)) {
        "Use the identifier exactly as the network sends it: letters, digits and symbols, \
         without spaces."
    } else {
        return Ok(identifier);
    };
    Err(EngineError::InvalidField {
        field: "identifier",
        message: message.into(),
    })
}

/// A service's credentials, read (and locked) within its account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct Current {
    kind: String,
    username: String,
}

async fn lock(
    conn: &mut PgConnection,
    account_id: i64,
    service_id: i64,
) -> Result<Current, EngineError> {
    sqlx::query_as::<_, Current>(
        "select kind, username from network_credentials
          where service_id = $1 and account_id = $2
            for update",
    )
    .bind(service_id)
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(EngineError::NotFound)
}

/// Sets the PPPoE password the subscriber chose for a service of their account, after
/// checking it against the rules. A service of another account is [`EngineError::NotFound`];
/// an IPoE service has no password to change. Returns the connection's username.
pub async fn set_password(
    conn: &mut PgConnection,
    account_id: i64,
    service_id: i64,
    password: &str,
) -> Result<String, EngineError> {
    let current = lock(conn, account_id, service_id).await?;
    if current.kind != "pppoe" {
        return Err(no_password());
    }
    check_password(&current.username, password).map_err(|problem| EngineError::InvalidField {
        field: "new_password",
        message: problem.message().into(),
    })?;
    store_password(conn, service_id, password).await?;
    Ok(current.username)
}

/// Gives a PPPoE service of the account a new random password (see [`generate_password`])
/// and returns it: the one time it is shown whole without being asked for again.
pub async fn reset_password(
    conn: &mut PgConnection,
    account_id: i64,
    service_id: i64,
) -> Result<String, EngineError> {
    let current = lock(conn, account_id, service_id).await?;
    if current.kind != "pppoe" {
        return Err(no_password());
    }
    let password = generate_password(&current.username);
    store_password(conn, service_id, &password).await?;
    Ok(password)
}

/// The identifier before and after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierChange {
    pub from: String,
    pub to: String,
}

/// Changes an IPoE service's identifier (the account's, else [`EngineError::NotFound`]).
/// An identifier another service uses is refused beside the field.
pub async fn set_identifier(
    conn: &mut PgConnection,
    account_id: i64,
    service_id: i64,
    identifier: &str,
) -> Result<IdentifierChange, EngineError> {
    let identifier = check_identifier(identifier)?;
    let current = lock(conn, account_id, service_id).await?;
    if current.kind != "ipoe" {
        return Err(EngineError::InvalidField {
            field: "identifier",
            message: "This service signs in with a PPPoE username and password, not by its line."
                .into(),
        });
    }
    let taken: bool = sqlx::query_scalar(
        "select exists (select 1 from network_credentials where username = $1 and service_id <> $2)",
    )
    .bind(identifier)
    .bind(service_id)
    .fetch_one(&mut *conn)
    .await?;
    if taken {
        return Err(identifier_taken());
    }
    sqlx::query(
        "update network_credentials set username = $2, changed_at = now() where service_id = $1",
    )
    .bind(service_id)
    .bind(identifier)
    .execute(&mut *conn)
    .await
    // Taken meanwhile by another transaction: the unique constraint says so.
    .map_err(|e| {
        let constraint = e
            .as_database_error()
            .and_then(|d| d.constraint())
            .map(str::to_owned);
        match constraint.as_deref() {
            Some("network_credentials_username_key") => identifier_taken(),
            _ => e.into(),
        }
    })?;
    Ok(IdentifierChange {
        from: current.username,
        to: identifier.to_string(),
    })
}

async fn store_password(
    conn: &mut PgConnection,
    service_id: i64,
    password: &str,
) -> Result<(), EngineError> {
    sqlx::query(
        "update network_credentials set password = $2, changed_at = now() where service_id = $1",
    )
    .bind(service_id)
    .bind(password)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn no_password() -> EngineError {
    EngineError::Invalid(
        "This connection is recognised by its line (IPoE): it has no password.".into(),
    )
}

fn identifier_taken() -> EngineError {
    EngineError::InvalidField {
        field: "identifier",
        message: "Another service already uses this identifier.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(password: &str) -> Option<PasswordProblem> {
        check_password("lm10000001", password).err()
    }

    #[test]
    fn a_password_is_8_to_64_printable_characters_without_spaces() {
        assert_eq!(problem("Tr4in-x"), Some(PasswordProblem::TooShort));
        assert_eq!(problem("Tr4in-xy"), None);
        let longest = format!("Kq7{}", "zxcvbnmasdfghjklqwertyuiop".repeat(3))[..64].to_string();
        assert_eq!(problem(&longest), None);
        assert_eq!(
            problem(&format!("{longest}a")),
            Some(PasswordProblem::TooLong)
        );
        assert_eq!(problem("Tr4in xyz"), Some(PasswordProblem::NotPrintable));
        assert_eq!(problem("Trä4in-xyz"), Some(PasswordProblem::NotPrintable));
        assert_eq!(problem("Tr4in\txyz"), Some(PasswordProblem::NotPrintable));
        // Every symbol of the keyboard is accepted.
        assert_eq!(problem("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"), None);
    }

    #[test]
    fn a_password_does_not_hold_the_username_nor_is_held_by_it() {
        assert_eq!(problem("LM10000001!"), Some(PasswordProblem::HasUsername));
        assert_eq!(problem("m10000001"), Some(PasswordProblem::HasUsername));
        assert_eq!(
            check_password("alex.morgan@isp.example", "Alex.Morgan99").err(),
            Some(PasswordProblem::HasUsername)
        );
        assert_eq!(
            check_password("alex.morgan@isp.example", "Maple-Tree-7").err(),
            None
        );
    }

    #[test]
    fn a_password_is_not_repetitive_a_run_or_a_common_one() {
        assert_eq!(problem("aaaaaaaa"), Some(PasswordProblem::TooRepetitive));
        assert_eq!(
            problem("abcdabcdabcd"),
            Some(PasswordProblem::TooRepetitive)
        );
        assert_eq!(problem("xY3!-xY3!-"), Some(PasswordProblem::TooRepetitive));
        assert_eq!(problem("Tr4in-Tr4in-Z"), None);
        assert_eq!(problem("12345678"), Some(PasswordProblem::Run));
        assert_eq!(problem("abcdefgh"), Some(PasswordProblem::Run));
        assert_eq!(problem("87654321"), Some(PasswordProblem::Run));
        assert_eq!(problem("Password1!"), Some(PasswordProblem::Common));
        assert_eq!(problem("2024qwerty!!"), Some(PasswordProblem::Common));
        assert_eq!(problem("Internet2026"), Some(PasswordProblem::Common));
        // A common word inside a longer one is not the common password.
        assert_eq!(problem("Passwordfish9"), None);
    }

    #[test]
    fn under_12_characters_a_password_mixes_two_kinds() {
        assert_eq!(problem("maplegrove"), Some(PasswordProblem::OneKindOnly));
        assert_eq!(problem("48291735"), Some(PasswordProblem::OneKindOnly));
        assert_eq!(problem("maple-grove"), None);
        assert_eq!(problem("mapleGrove"), None);
        assert_eq!(problem("maplegrove4"), None);
        // From 12 characters, one kind is enough.
        assert_eq!(problem("maplegroveoak"), None);
        assert_eq!(problem("482917350617"), None);
    }

    #[test]
    fn a_generated_password_is_16_unambiguous_characters_and_meets_the_rules() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let password = generate_password("lm10000001");
            assert_eq!(password.len(), GENERATED_CHARS);
            assert!(password.bytes().all(|b| GENERATED_ALPHABET.contains(&b)));
            assert!(!password.contains(['0', 'O', 'o', '1', 'l', 'I']));
            assert_eq!(password, password.to_lowercase());
            assert_eq!(check_password("lm10000001", &password), Ok(()));
            seen.insert(password);
        }
        assert_eq!(seen.len(), 200, "no two alike");
    }

    #[test]
    fn an_identifier_is_kept_as_typed_within_radius_limits() {
        assert_eq!(
            check_identifier(" olt-3/1/7:814 ").unwrap(),
            "olt-3/1/7:814"
        );
        assert_eq!(
            check_identifier("AA:bb:CC:00:11:22").unwrap(),
            "AA:bb:CC:00:11:22"
        );
        for bad in ["", "  ", "ab", "olt 3/1/7", "olt-ü", &"x".repeat(254)] {
            assert!(
                matches!(
                    check_identifier(bad),
                    Err(EngineError::InvalidField {
                        field: "identifier",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }
}

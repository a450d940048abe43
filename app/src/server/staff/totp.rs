//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), computed
//! by the `totp-rs` crate, and the single-use recovery codes given out with them. What this
//! module adds is the portal's rule: a code is accepted within one step of now, and only at a
//! step later than the last one accepted (the caller keeps that step).

use rand::RngCore;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
/// Steps either side of now that are still accepted (clocks drift, people type slowly).
pub const DRIFT_STEPS: u16 = 1;
/// How many recovery codes a staff member is given.
pub const RECOVERY_CODES: usize = 10;

/// A new random secret: 20 bytes, as RFC 4226 recommends for HMAC-SHA1.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

/// The generator for a secret (`None` for a secret shorter than RFC 4226's 128 bits).
fn generator(secret: &[u8]) -> Option<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(DRIFT_STEPS)
        .with_step_duration(STEP_SECS as u64)
        .with_secret(secret.to_vec())
        .build()
        .ok()
}

/// The secret as authenticator apps take it: base32 without padding.
pub fn secret_base32(secret: &[u8]) -> String {
    Secret::from(secret.to_vec()).to_base32()
}

/// The `otpauth://` address an authenticator app reads (usually from a QR code). A colon,
/// which the format reserves, is written as a space in the issuer and account.
pub fn provisioning_uri(issuer: &str, account: &str, secret: &[u8]) -> Option<String> {
    Builder::new()
        .with_secret(secret.to_vec())
        .with_issuer(Some(issuer.replace(':', " ")))
        .with_account_name(account.replace(':', " "))
        .build()
        .ok()?
        .to_url()
        .ok()
}

/// The step a Unix time falls in.
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The six-digit code for a Unix time (empty for a secret too short to use).
pub fn code_at(secret: &[u8], unix_secs: i64) -> String {
    match (generator(secret), u64::try_from(unix_secs)) {
        (Some(totp), Ok(time)) => totp.generate(time).to_string(),
        _ => String::new(),
    }
}

/// The step whose code this is, within the accepted drift of `unix_secs` and later than
/// `last_used_step` (a code already accepted once is refused). Spaces in the code are ignored.
pub fn verify(
    secret: &[u8],
    code: &str,
    unix_secs: i64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let step = generator(secret)?.check(&code, u64::try_from(unix_secs).ok()?)?;
    let step = i64::try_from(step).ok()?;
    last_used_step
        .is_none_or(|last| step > last)
        .then_some(step)
}

/// New recovery codes, as shown once to the staff member (`abcde-fghij`, 50 random bits each).
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/i/l
    let mut rng = rand::thread_rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rng.fill_bytes(&mut bytes);
            let chars: String = bytes
                .iter()
                .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// How a recovery code is stored: SHA-256 of its letters and digits, lower case.
pub fn recovery_code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(normal.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether what was typed looks like a recovery code rather than a TOTP code.
pub fn looks_like_recovery_code(text: &str) -> bool {
    text.chars().filter(|c| c.is_ascii_alphanumeric()).count() == 10
        && text.chars().any(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238, appendix B: the SHA-1 secret is "12345678901234567890"; the RFC prints
    // eight digits, of which a six-digit code is the last six.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        for (time, eight_digits) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(RFC_SECRET, time), eight_digits[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_is_accepted_within_one_step_and_only_once() {
        let now = 1_234_567_890;
        let code = code_at(RFC_SECRET, now);
        let step = verify(RFC_SECRET, &code, now, None).expect("the current code");
        assert_eq!(step, step_at(now));
        assert_eq!(verify(RFC_SECRET, &code, now + STEP_SECS, None), Some(step));
        assert_eq!(verify(RFC_SECRET, &code, now + 3 * STEP_SECS, None), None);
        assert_eq!(verify(RFC_SECRET, &code, now, Some(step)), None, "replayed");
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(verify(RFC_SECRET, &spaced, now, None), Some(step));
        assert_eq!(verify(RFC_SECRET, "12345", now, None), None);
        assert_eq!(verify(RFC_SECRET, "abcdef", now, None), None);
    }

    #[test]
    fn the_uri_names_issuer_and_account_and_carries_the_secret_in_base32() {
        let secret = b"lastmile-demo-totp!!";
        let text = secret_base32(secret);
        assert_eq!(text, "NRQXG5DNNFWGKLLEMVWW6LLUN52HAIJB");
        let uri = provisioning_uri("Lastmile: Broadband", "rep@example.net", secret).unwrap();
        assert_eq!(
            uri,
            format!("otpauth://totp/Lastmile%20%20Broadband:rep%40example.net?secret={text}&issuer=Lastmile%20%20Broadband")
        );
        assert_eq!(provisioning_uri("x", "y", b"too short"), None);
    }

    #[test]
    fn a_secret_too_short_for_the_rfc_gives_no_code_and_accepts_none() {
        assert_eq!(code_at(b"short", 59), "");
        assert_eq!(verify(b"short", "", 59, None), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_the_same_however_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert!(looks_like_recovery_code(code));
        assert!(!looks_like_recovery_code("123456"));
        assert_eq!(
            recovery_code_hash(code),
            recovery_code_hash(&code.to_uppercase().replace('-', " "))
        );
        assert_ne!(recovery_code_hash(code), recovery_code_hash(&codes[1]));
    }
}

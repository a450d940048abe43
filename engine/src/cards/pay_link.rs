//! Signed, expiring links to pay one statement without signing in.
//!
//! A token is `<statement id>.<expiry, Unix seconds>.<signature>`, the signature being the
//! first 16 bytes of HMAC-SHA256 over `pay:<statement id>.<expiry>` with the server's secret,
//! base64url. Nothing is stored: changing the secret voids every link.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The pay-link settings.
#[derive(Clone)]
pub struct PayLinks {
    /// At least 32 bytes.
    pub secret: Vec<u8>,
    /// How long a link works after it is made.
    pub ttl: Duration,
}

impl std::fmt::Debug for PayLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayLinks")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// Why a link does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is not one of ours")]
    Malformed,
    #[error("the link's signature does not match")]
    Forged,
    #[error("the link has expired")]
    Expired,
}

fn tag(secret: &[u8], statement_id: i64, expires: i64) -> [u8; 16] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(format!("pay:{statement_id}.{expires}").as_bytes());
    let full = mac.finalize().into_bytes();
    let mut short = [0u8; 16];
    short.copy_from_slice(&full[..16]);
    short
}

/// A token for paying `statement_id`, valid until `expires`.
pub fn sign(secret: &[u8], statement_id: i64, expires: DateTime<Utc>) -> String {
    let expires = expires.timestamp();
    format!(
        "{statement_id}.{expires}.{}",
        URL_SAFE_NO_PAD.encode(tag(secret, statement_id, expires))
    )
}

/// The statement a token opens, if it is ours and has not expired.
pub fn verify(secret: &[u8], token: &str, now: DateTime<Utc>) -> Result<i64, LinkError> {
    let mut parts = token.splitn(3, '.');
    let (Some(id), Some(expires), Some(signature)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(LinkError::Malformed);
    };
    let statement_id: i64 = id.parse().map_err(|_| LinkError::Malformed)?;
    let expires: i64 = expires.parse().map_err(|_| LinkError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| LinkError::Malformed)?;
    if signature.len() != 16 {
        return Err(LinkError::Forged);
    }
    let mut check = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    check.update(format!("pay:{statement_id}.{expires}").as_bytes());
    // Constant-time comparison of the truncated tag.
    check
        .verify_truncated_left(&signature)
        .map_err(|_| LinkError::Forged)?;
    if now.timestamp() > expires {
        return Err(LinkError::Expired);
    }
    Ok(statement_id)
}

/// The link for a statement, from the portal's public URL.
pub fn url(public_url: &str, links: &PayLinks, statement_id: i64, now: DateTime<Utc>) -> String {
    let expires = now + chrono::Duration::from_std(links.ttl).unwrap_or(chrono::Duration::days(30));
    format!(
        "{}/pay/{}",
        public_url.trim_end_matches('/'),
        sign(&links.secret, statement_id, expires)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_link_opens_its_statement_until_it_expires() {
        let token = sign(SECRET, 42, at(30));
        assert_eq!(verify(SECRET, &token, at(22)), Ok(42));
        assert_eq!(verify(SECRET, &token, at(30)), Ok(42));
        assert_eq!(
            verify(SECRET, &token, at(30) + chrono::Duration::seconds(1)),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn a_changed_link_is_refused() {
        let token = sign(SECRET, 42, at(30));
        let (_, rest) = token.split_once('.').unwrap();
        // Another statement with the same signature.
        assert_eq!(
            verify(SECRET, &format!("43.{rest}"), at(22)),
            Err(LinkError::Forged)
        );
        // A later expiry.
        let mut parts: Vec<&str> = token.split('.').collect();
        let later = (at(30).timestamp() + 86_400).to_string();
        parts[1] = &later;
        assert_eq!(
            verify(SECRET, &parts.join("."), at(22)),
            Err(LinkError::Forged)
        );
        // Another secret.
        assert_eq!(
            verify(b"another secret of thirty-two byte", &token, at(22)),
            Err(LinkError::Forged)
        );
        // A shortened signature.
        assert!(matches!(
            verify(SECRET, &token[..token.len() - 4], at(22)),
            Err(LinkError::Forged | LinkError::Malformed)
        ));
        for junk in ["", "42", "42.x.y", "x.1.AAAA", "42.1.!!!"] {
            assert_eq!(
                verify(SECRET, junk, at(22)),
                Err(LinkError::Malformed),
                "{junk:?}"
            );
        }
    }
}

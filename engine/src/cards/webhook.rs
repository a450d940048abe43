//! Stripe's webhook events.
//!
//! [`verify`] checks the `Stripe-Signature` header: `t=<seconds>` and one or more
//! `v1=<hex HMAC-SHA256 of "t.body">`; any v1 made with any of our secrets is accepted (so a
//! secret can be rotated, old and new both configured), and `t` must be within five
//! minutes of now. [`handle`] then applies the event once: its id is stored with the
//! outcome in the same transaction as its effect, so a repeated delivery does nothing, and
//! [`super::payments::apply_intent`] ignores news older than what it has applied.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::PgPool;

use super::payments::{apply_intent, card_to_record, Applied, PaymentRow};
use super::stripe::{Intent, PaymentMethod};
use crate::config::EngineConfig;
use crate::error::EngineError;

/// How far a signature's time may be from ours.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header")]
    Missing,
    #[error("the Stripe-Signature header cannot be read")]
    Malformed,
    #[error("no signature matches")]
    Mismatch,
    #[error("the signature is {0} s from now, more than {TOLERANCE_SECS} s")]
    Stale(i64),
    #[error("no webhook secret is configured")]
    NoSecret,
}

/// Checks a webhook's signature against every configured secret.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secrets: &[String],
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp: Option<&str> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            return Err(SignatureError::Malformed);
        };
        match key {
            "t" => timestamp = Some(value),
            "v1" => {
                if let Ok(bytes) = hex::decode(value) {
                    signatures.push(bytes);
                }
            }
            _ => {} // v0 and future schemes are not ours to check
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    let seconds: i64 = timestamp.parse().map_err(|_| SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let matched = secrets.iter().any(|secret| {
        signatures.iter().any(|signature| {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
                .expect("HMAC takes keys of any length");
            mac.update(timestamp.as_bytes());
            mac.update(b".");
            mac.update(body);
            // verify_slice compares in constant time
            mac.verify_slice(signature).is_ok()
        })
    });
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    let skew = (now.timestamp() - seconds).abs();
    if skew > TOLERANCE_SECS {
        return Err(SignatureError::Stale(skew));
    }
    Ok(())
}

/// The header a webhook with this body would carry, signed with `secret` at `at` (for
/// tests and for replaying events by hand).
pub fn sign(body: &[u8], secret: &str, at: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(at.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={at},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// What handling an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Applied now; the outcome as stored.
    Applied(String),
    /// The same event id was applied before: nothing was done.
    Repeat,
}

/// Applies a verified event once. An error leaves nothing recorded, so Stripe's retry
/// applies it later.
pub async fn handle(
    pool: &PgPool,
    config: &EngineConfig,
    body: &[u8],
) -> Result<Handled, EngineError> {
    let event: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| EngineError::Invalid(format!("the event is not JSON: {e}")))?;
    let id = event["id"]
        .as_str()
        .filter(|id| id.starts_with("evt_"))
        .ok_or_else(|| EngineError::Invalid("the event has no evt_ id".into()))?;
    let kind = event["type"]
        .as_str()
        .ok_or_else(|| EngineError::Invalid("the event has no type".into()))?;
    let created = event["created"]
        .as_i64()
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .ok_or_else(|| EngineError::Invalid("the event has no creation time".into()))?;
    let object = &event["data"]["object"];
    let object_id = object["id"].as_str();
    // A payment's new card is read from Stripe before anything is locked.
    let card = match kind.starts_with("payment_intent.") {
        true => card_of(pool, config, object).await?,
        false => None,
    };

    let mut tx = pool.begin().await?;
    let fresh = sqlx::query(
        "insert into stripe_events (id, type, created, object_id) values ($1, $2, $3, $4)
         on conflict (id) do nothing",
    )
    .bind(id)
    .bind(kind)
    .bind(created)
    .bind(object_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !fresh {
        // Wait for a delivery being applied right now, then see whether it finished.
        let processed: Option<DateTime<Utc>> =
            sqlx::query_scalar("select processed_at from stripe_events where id = $1 for update")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        if processed.is_some() {
            tx.commit().await?;
            return Ok(Handled::Repeat);
        }
    }
    let outcome = match kind {
        k if k.starts_with("payment_intent.") => {
            let intent: Intent = miniserde::json::from_str(&object.to_string()).map_err(|_| {
                EngineError::Invalid(format!("event {id}: the PaymentIntent cannot be read"))
            })?;
            let payment_hint = object["metadata"]["payment_id"]
                .as_str()
                .and_then(|p| p.parse::<i64>().ok());
            match apply_intent(
                &mut tx,
                config,
                &intent,
                payment_hint,
                Some(created),
                card.as_ref(),
            )
            .await?
            {
                Applied::Unknown => "ignored: not one of our payments".to_string(),
                Applied::State(state) => format!("payment {}", state.as_str()),
            }
        }
        "payment_method.detached" => {
            let removed = sqlx::query(
                "update payment_methods set is_default = false, removed_at = now()
                  where stripe_payment_method_id = $1 and removed_at is null",
            )
            .bind(object_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            format!("{removed} saved card(s) removed")
        }
        _ => "ignored: not a kind we act on".to_string(),
    };
    sqlx::query("update stripe_events set processed_at = now(), outcome = $2 where id = $1")
        .bind(id)
        .bind(&outcome)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Handled::Applied(outcome))
}

/// The card of the event's PaymentIntent, when one of our payments has yet to record it
/// ([`super::payments::card_to_record`]).
async fn card_of(
    pool: &PgPool,
    config: &EngineConfig,
    object: &serde_json::Value,
) -> Result<Option<PaymentMethod>, EngineError> {
    let (Some(stripe), Ok(intent)) = (
        config.stripe.as_ref(),
        miniserde::json::from_str::<Intent>(&object.to_string()),
    ) else {
        return Ok(None);
    };
    let sql = format!(
        "select {} from payments p join accounts a on a.id = p.account_id
           left join payment_methods m on m.id = p.payment_method_id
          where p.stripe_payment_intent_id = $1",
        super::payments::PAYMENT_COLUMNS
    );
    let payment: Option<PaymentRow> = sqlx::query_as(&sql)
        .bind(&intent.id)
        .fetch_optional(pool)
        .await?;
    Ok(match payment {
        Some(payment) => card_to_record(stripe, &payment, &intent).await,
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_good_signature_passes_and_a_changed_body_does_not() {
        let body = br#"{"id":"evt_1"}"#;
        let secrets = vec!["whsec_test".to_string()];
        let header = sign(body, "whsec_test", now().timestamp());
        assert_eq!(verify(Some(&header), body, &secrets, now()), Ok(()));
        assert_eq!(
            verify(Some(&header), br#"{"id":"evt_2"}"#, &secrets, now()),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn any_v1_signature_with_any_secret_matches() {
        let body = b"{}";
        let t = now().timestamp();
        let old = sign(body, "whsec_old", t);
        let new = sign(body, "whsec_new", t);
        let old_v1 = old.split_once(",v1=").unwrap().1;
        let new_v1 = new.split_once(",v1=").unwrap().1;
        // Stripe signs with both secrets while one is being rolled.
        let both = format!("t={t},v1={old_v1},v1={new_v1}");
        assert_eq!(
            verify(Some(&both), body, &["whsec_new".into()], now()),
            Ok(())
        );
        assert_eq!(
            verify(Some(&both), body, &["whsec_old".into()], now()),
            Ok(())
        );
        // Or we hold both secrets while Stripe signs with the new one only.
        assert_eq!(
            verify(
                Some(&new),
                body,
                &["whsec_old".into(), "whsec_new".into()],
                now()
            ),
            Ok(())
        );
        assert_eq!(
            verify(Some(&new), body, &["whsec_other".into()], now()),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn signatures_older_or_newer_than_five_minutes_are_stale() {
        let body = b"{}";
        let secrets = vec!["whsec_test".to_string()];
        let at = |offset: i64| sign(body, "whsec_test", now().timestamp() + offset);
        assert_eq!(verify(Some(&at(-300)), body, &secrets, now()), Ok(()));
        assert_eq!(
            verify(Some(&at(-301)), body, &secrets, now()),
            Err(SignatureError::Stale(301))
        );
        assert_eq!(
            verify(Some(&at(400)), body, &secrets, now()),
            Err(SignatureError::Stale(400))
        );
    }

    #[test]
    fn headers_that_cannot_be_read_are_refused() {
        let secrets = vec!["whsec_test".to_string()];
        let body = b"{}";
        assert_eq!(
            verify(None, body, &secrets, now()),
            Err(SignatureError::Missing)
        );
        for header in ["", "t=abc,v1=00", "v1=00", "t=1795000000", "garbage"] {
            assert_eq!(
                verify(Some(header), body, &secrets, now()),
                Err(SignatureError::Malformed),
                "{header:?}"
            );
        }
        assert_eq!(
            verify(Some("t=1,v1=00"), body, &[], now()),
            Err(SignatureError::NoSecret)
        );
    }
}

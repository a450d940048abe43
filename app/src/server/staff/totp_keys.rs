//! The keys that seal staff TOTP secrets at rest, and sealing and opening with them.
//!
//! A secret is sealed with XChaCha20-Poly1305 under the *current* key, with a random 24-byte
//! nonce; the stored bytes are the nonce followed by the ciphertext and tag, and the key's id
//! is stored beside them (`staff_users.totp_sealed`, `totp_key_id`). The staff member's id and
//! the key id are authenticated with it, so a sealed secret copied onto another staff row
//! does not open. Keys rotate: the settings name one current key (`LASTMILE_TOTP_KEY`) and
//! any number of old ones (`LASTMILE_TOTP_OLD_KEYS`) that are only read; [`reseal_all`]
//! (run at start-up and by `lastmile staff rotate-totp-key`) seals every secret under the
//! current key, including those written in clear before secrets were sealed.
//!
//! A key is written `<id>:<32 random bytes in base64>`, e.g.
//! `k1:` followed by the output of `openssl rand -base64 32`.

use base64::Engine;
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretBox};
use sqlx::PgPool;

use crate::error::AppError;

const NONCE_BYTES: usize = 24;

/// One key: its id and its 32 bytes.
struct Key {
    id: String,
    bytes: SecretBox<[u8; 32]>,
}

impl Key {
    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&(*self.bytes.expose_secret()).into())
    }
}

/// The current key and the old keys still accepted for reading.
pub struct TotpKeys {
    current: Key,
    old: Vec<Key>,
}

impl std::fmt::Debug for TotpKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpKeys")
            .field("current", &self.current.id)
            .field(
                "old",
                &self.old.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// What is wrong with a key as written in the settings (never quoting the key itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("must be a key id, a colon and 32 random bytes in base64, like k1:<output of `openssl rand -base64 32`>")]
    Shape,
    #[error("the key id {0:?} must be 1 to 32 letters, digits, '-' or '_'")]
    Id(String),
    #[error("the key {0:?} is not base64")]
    Base64(String),
    #[error(
        "the key {id:?} is {bytes} bytes long; it must be exactly 32 (`openssl rand -base64 32`)"
    )]
    Length { id: String, bytes: usize },
    #[error("the key id {0:?} is used twice")]
    Repeated(String),
}

fn parse_key(text: &str) -> Result<Key, KeyError> {
    let (id, material) = text.trim().split_once(':').ok_or(KeyError::Shape)?;
    let id = id.trim();
    if id.is_empty()
        || id.len() > 32
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(KeyError::Id(id.chars().take(32).collect()));
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(material.trim())
        .map_err(|_| KeyError::Base64(id.to_string()))?;
    let bytes: [u8; 32] = raw.as_slice().try_into().map_err(|_| KeyError::Length {
        id: id.to_string(),
        bytes: raw.len(),
    })?;
    Ok(Key {
        id: id.to_string(),
        bytes: SecretBox::new(Box::new(bytes)),
    })
}

/// Why a sealed secret did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("sealed under the key {0:?}, which is not among the configured keys")]
    UnknownKey(String),
    #[error("not readable with the key {0:?} (altered, or sealed for another staff member)")]
    Corrupt(String),
}

/// A secret as stored: the key's id and the nonce, ciphertext and tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub bytes: Vec<u8>,
}

/// What is authenticated beside a secret: whose it is and under which key.
fn associated_data(staff_id: i64, key_id: &str) -> Vec<u8> {
    format!("lastmile staff totp v1|{staff_id}|{key_id}").into_bytes()
}

impl TotpKeys {
    /// Reads the current key and a comma-separated list of old keys. The error says which
    /// of the two is wrong, so the settings can name the variable.
    pub fn parse(current: &str, old: Option<&str>) -> Result<TotpKeys, (Which, KeyError)> {
        let current = parse_key(current).map_err(|e| (Which::Current, e))?;
        let mut keys = TotpKeys {
            current,
            old: Vec::new(),
        };
        for text in old
            .unwrap_or_default()
            .split(',')
            .filter(|t| !t.trim().is_empty())
        {
            let key = parse_key(text).map_err(|e| (Which::Old, e))?;
            if key.id == keys.current.id || keys.old.iter().any(|k| k.id == key.id) {
                return Err((Which::Old, KeyError::Repeated(key.id)));
            }
            keys.old.push(key);
        }
        Ok(keys)
    }

    /// A fixed, published key for tests and the demo's examples (never for real secrets).
    pub fn for_tests() -> TotpKeys {
        TotpKeys::parse(TEST_KEY, None).expect("the test key is well formed")
    }

    /// The id of the key new secrets are sealed under.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    fn key(&self, id: &str) -> Option<&Key> {
        std::iter::once(&self.current)
            .chain(&self.old)
            .find(|k| k.id == id)
    }

    /// Seals any secret under the current key, bound to `context` (what the secret is and
    /// whose: a webhook subscription's signing secret names the subscription), so that it
    /// opens only in that context.
    pub fn seal_for(&self, context: &str, secret: &[u8]) -> Sealed {
        self.seal_with(format!("{context}|{}", self.current.id).as_bytes(), secret)
    }

    /// Opens what [`TotpKeys::seal_for`] sealed in the same `context`.
    pub fn open_for(
        &self,
        context: &str,
        key_id: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, OpenError> {
        self.open_with(format!("{context}|{key_id}").as_bytes(), key_id, sealed)
    }

    /// Seals a staff member's secret under the current key, with a fresh random nonce.
    pub fn seal(&self, staff_id: i64, secret: &[u8]) -> Sealed {
        self.seal_with(&associated_data(staff_id, &self.current.id), secret)
    }

    fn seal_with(&self, aad: &[u8], secret: &[u8]) -> Sealed {
        let nonce = XNonce::generate();
        let ciphertext = self
            .current
            .cipher()
            .encrypt(&nonce, Payload { msg: secret, aad })
            .expect("XChaCha20-Poly1305 seals any message shorter than 256 GiB");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&ciphertext);
        Sealed {
            key_id: self.current.id.clone(),
            bytes,
        }
    }

    /// Opens a staff member's sealed secret with the key it names.
    pub fn open(&self, staff_id: i64, key_id: &str, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        self.open_with(&associated_data(staff_id, key_id), key_id, sealed)
    }

    fn open_with(&self, aad: &[u8], key_id: &str, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        let key = self
            .key(key_id)
            .ok_or_else(|| OpenError::UnknownKey(key_id.to_string()))?;
        let corrupt = || OpenError::Corrupt(key_id.to_string());
        if sealed.len() < NONCE_BYTES {
            return Err(corrupt());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let nonce = XNonce::try_from(nonce).map_err(|_| corrupt())?;
        key.cipher()
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| corrupt())
    }
}

/// Which setting a key error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Current,
    Old,
}

/// The tests' key (`LASTMILE_TOTP_KEY` in scripts/lib.sh is another made-up value).
pub const TEST_KEY: &str = "test:dGVzdC1vbmx5LXRvdHAta2V5LW5vdC1hLXNlY3JldCE=";

/// How a staff member's second-factor secret is stored, as read from the row.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct StoredSecret {
    /// Written before secrets were sealed (read, then sealed by [`reseal_all`]).
    pub totp_secret: Option<Vec<u8>>,
    pub totp_sealed: Option<Vec<u8>>,
    pub totp_key_id: Option<String>,
}

impl StoredSecret {
    /// The secret in clear (`Ok(None)`: not enrolled).
    pub fn open(&self, keys: &TotpKeys, staff_id: i64) -> Result<Option<Vec<u8>>, OpenError> {
        match (&self.totp_sealed, &self.totp_key_id, &self.totp_secret) {
            (Some(sealed), Some(key_id), _) => keys.open(staff_id, key_id, sealed).map(Some),
            (_, _, Some(clear)) => Ok(Some(clear.clone())),
            _ => Ok(None),
        }
    }

    /// Whether it is already sealed under the current key.
    fn is_current(&self, keys: &TotpKeys) -> bool {
        self.totp_sealed.is_some() && self.totp_key_id.as_deref() == Some(keys.current_id())
    }
}

/// What [`reseal_all`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Resealed {
    /// Secrets that were stored in clear and are now sealed.
    pub from_clear: u64,
    /// Secrets that were sealed under an old key and are now under the current one.
    pub from_old_keys: u64,
    /// Staff whose secret could not be opened (their key is not configured, or the row was
    /// altered): they cannot sign in until `lastmile staff reset-2fa`. Webhook
    /// subscriptions likewise ("webhook subscription 3"): give them a new secret.
    pub unreadable: Vec<(String, OpenError)>,
    /// Webhook signing secrets (a subscription's current or previous one) moved from an old
    /// key to the current one.
    pub webhook_secrets: u64,
    /// Subscribers' authenticator secrets (`second_factor`) moved from an old key to the
    /// current one.
    pub login_secrets: u64,
}

/// Seals every staff secret that is not yet under the current key: clear ones (written
/// before secrets were sealed) and those under old keys. One transaction; rows are locked,
/// so several servers starting at once do the work once.
pub async fn reseal_all(pool: &PgPool, keys: &TotpKeys) -> Result<Resealed, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        email: String,
        #[sqlx(flatten)]
        stored: StoredSecret,
    }
    let mut tx = pool.begin().await?;
    let rows: Vec<Row> = sqlx::query_as(
        "select id, email::text as email, totp_secret, totp_sealed, totp_key_id from staff_users
          where totp_secret is not null or (totp_sealed is not null and totp_key_id <> $1)
          order by id for update",
    )
    .bind(keys.current_id())
    .fetch_all(&mut *tx)
    .await?;
    let mut done = Resealed::default();
    for row in rows {
        if row.stored.is_current(keys) {
            continue;
        }
        let secret = match row.stored.open(keys, row.id) {
            Ok(Some(secret)) => secret,
            Ok(None) => continue,
            Err(e) => {
                done.unreadable.push((row.email, e));
                continue;
            }
        };
        let sealed = keys.seal(row.id, &secret);
        sqlx::query(
            "update staff_users set totp_sealed = $2, totp_key_id = $3, totp_secret = null where id = $1",
        )
        .bind(row.id)
        .bind(&sealed.bytes)
        .bind(&sealed.key_id)
        .execute(&mut *tx)
        .await?;
        if row.stored.totp_sealed.is_some() {
            done.from_old_keys += 1;
        } else {
            done.from_clear += 1;
        }
    }
    reseal_webhook_secrets(&mut tx, keys, &mut done).await?;
    reseal_login_secrets(&mut tx, keys, &mut done).await?;
    if done.from_clear + done.from_old_keys + done.webhook_secrets + done.login_secrets > 0 {
        sqlx::query(
            "insert into audit_log (actor_kind, action, detail)
             values ('system', 'staff.totp_secrets_resealed',
                     jsonb_build_object('key_id', $1::text, 'from_clear', $2::bigint, 'from_old_keys', $3::bigint,
                                        'webhook_secrets', $4::bigint))",
        )
        .bind(keys.current_id())
        .bind(done.from_clear as i64)
        .bind(done.from_old_keys as i64)
        .bind(done.webhook_secrets as i64)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// Subscribers' authenticator secrets under an old key, moved to the current one in the
/// caller's transaction (a login whose secret cannot be opened is listed: staff reset it).
async fn reseal_login_secrets(
    tx: &mut sqlx::PgConnection,
    keys: &TotpKeys,
    done: &mut Resealed,
) -> Result<(), AppError> {
    let rows: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
        "select id, totp_key_id, totp_sealed from portal_logins
          where totp_sealed is not null and totp_key_id <> $1
          order by id for update",
    )
    .bind(keys.current_id())
    .fetch_all(&mut *tx)
    .await?;
    for (id, key_id, sealed) in rows {
        let context = crate::server::second_factor::context(id);
        match keys.open_for(&context, &key_id, &sealed) {
            Ok(secret) => {
                let new = keys.seal_for(&context, &secret);
                sqlx::query(
                    "update portal_logins set totp_sealed = $2, totp_key_id = $3 where id = $1",
                )
                .bind(id)
                .bind(&new.bytes)
                .bind(&new.key_id)
                .execute(&mut *tx)
                .await?;
                done.login_secrets += 1;
            }
            Err(e) => done.unreadable.push((format!("portal login {id}"), e)),
        }
    }
    Ok(())
}

/// Webhook subscriptions' signing secrets (sealed with the same keys, bound to their
/// subscription) under an old key, moved to the current one in the caller's transaction,
/// so that an old key can be retired without breaking the signatures.
async fn reseal_webhook_secrets(
    tx: &mut sqlx::PgConnection,
    keys: &TotpKeys,
    done: &mut Resealed,
) -> Result<(), AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        secret_key_id: String,
        secret_sealed: Vec<u8>,
        previous_key_id: Option<String>,
        previous_secret_sealed: Option<Vec<u8>>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select id, secret_key_id, secret_sealed, previous_key_id, previous_secret_sealed
           from webhook_subscriptions
          where secret_key_id <> $1 or previous_key_id <> $1
          order by id for update",
    )
    .bind(keys.current_id())
    .fetch_all(&mut *tx)
    .await?;
    for row in rows {
        let context = super::integrations::webhook_secret_context(row.id);
        let mut reseal = |key_id: &str, sealed: &[u8]| -> Option<Sealed> {
            if key_id == keys.current_id() {
                return None;
            }
            match keys.open_for(&context, key_id, sealed) {
                Ok(secret) => Some(keys.seal_for(&context, &secret)),
                Err(e) => {
                    done.unreadable
                        .push((format!("webhook subscription {}", row.id), e));
                    None
                }
            }
        };
        if let Some(new) = reseal(&row.secret_key_id, &row.secret_sealed) {
            sqlx::query(
                "update webhook_subscriptions set secret_sealed = $2, secret_key_id = $3 where id = $1",
            )
            .bind(row.id)
            .bind(&new.bytes)
            .bind(&new.key_id)
            .execute(&mut *tx)
            .await?;
            done.webhook_secrets += 1;
        }
        if let (Some(key_id), Some(sealed)) = (&row.previous_key_id, &row.previous_secret_sealed) {
            if let Some(new) = reseal(key_id, sealed) {
                sqlx::query(
                    "update webhook_subscriptions
                        set previous_secret_sealed = $2, previous_key_id = $3 where id = $1",
                )
                .bind(row.id)
                .bind(&new.bytes)
                .bind(&new.key_id)
                .execute(&mut *tx)
                .await?;
                done.webhook_secrets += 1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OTHER: &str = "k2:b3RoZXIta2V5LWZvci10ZXN0cy1vbmx5LTMyLWJ5dGU=";

    #[test]
    fn a_sealed_secret_opens_only_for_its_staff_member_and_under_its_key() {
        let keys = TotpKeys::for_tests();
        let secret = b"lastmile-demo-totp!!";
        let sealed = keys.seal(7, secret);
        assert_eq!(sealed.key_id, "test");
        assert_eq!(sealed.bytes.len(), 24 + secret.len() + 16);
        assert!(!sealed.bytes.windows(secret.len()).any(|w| w == secret));
        assert_eq!(keys.open(7, "test", &sealed.bytes).unwrap(), secret);
        assert_eq!(
            keys.open(8, "test", &sealed.bytes),
            Err(OpenError::Corrupt("test".into())),
            "copied onto another staff member"
        );
        let mut altered = sealed.bytes.clone();
        altered[30] ^= 1;
        assert!(keys.open(7, "test", &altered).is_err());
        assert_eq!(
            keys.open(7, "k0", &sealed.bytes),
            Err(OpenError::UnknownKey("k0".into()))
        );
        assert_ne!(
            keys.seal(7, secret).bytes,
            sealed.bytes,
            "a fresh nonce each time"
        );
    }

    #[test]
    fn an_old_key_still_opens_what_it_sealed_after_rotation() {
        let before = TotpKeys::for_tests();
        let sealed = before.seal(3, b"0123456789abcdefghij");
        let after = TotpKeys::parse(OTHER, Some(TEST_KEY)).unwrap();
        assert_eq!(after.current_id(), "k2");
        assert_eq!(
            after.open(3, &sealed.key_id, &sealed.bytes).unwrap(),
            b"0123456789abcdefghij"
        );
        assert_eq!(after.seal(3, b"0123456789abcdefghij").key_id, "k2");
        assert_eq!(
            format!("{after:?}"),
            r#"TotpKeys { current: "k2", old: ["test"] }"#
        );
    }

    #[test]
    fn malformed_keys_are_refused_saying_what_is_wrong() {
        let err = |current: &str, old: Option<&str>| TotpKeys::parse(current, old).unwrap_err();
        assert_eq!(
            err("no colon here", None),
            (Which::Current, KeyError::Shape)
        );
        assert_eq!(
            err("bad id!:AAAA", None),
            (Which::Current, KeyError::Id("bad id!".into()))
        );
        assert_eq!(
            err("k1:not base64!", None),
            (Which::Current, KeyError::Base64("k1".into()))
        );
        assert_eq!(
            err("k1:c2hvcnQ=", None),
            (
                Which::Current,
                KeyError::Length {
                    id: "k1".into(),
                    bytes: 5
                }
            )
        );
        assert_eq!(
            err(TEST_KEY, Some(TEST_KEY)),
            (Which::Old, KeyError::Repeated("test".into()))
        );
        assert_eq!(err(TEST_KEY, Some("x")), (Which::Old, KeyError::Shape));
        assert!(TotpKeys::parse(TEST_KEY, Some(&format!(" {OTHER} , "))).is_ok());
    }
}

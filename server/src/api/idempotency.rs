//! `Idempotency-Key` on every POST (draft-ietf-httpapi-idempotency-key-header): the first
//! successful answer to a key is stored with the change it made, in the same transaction,
//! and a retry with the same key and the same request gets that answer again (with
//! `Idempotent-Replayed: true`) instead of a second change. The same key with another
//! request is 422. Keys are kept 24 hours.
//!
//! Requests with one key take turns on a transaction-scoped advisory lock, so twenty
//! retries sent at once make one change: the first runs, the others wait for it and then
//! replay its answer. Only successes are stored: a request refused (a wrong field, a
//! conflict) changed nothing, and the corrected one may use the same key.

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use super::auth::Caller;
use super::problem::{Code, Problem};

/// A POST's key and the fingerprint of what it asks.
#[derive(Debug, Clone)]
pub struct Idempotent {
    key: String,
    fingerprint: [u8; 32],
}

/// The key of a POST (required), with the fingerprint of its method, path and body.
pub fn key_of(
    headers: &HeaderMap,
    method: &Method,
    path: &str,
    body: &[u8],
) -> Result<Idempotent, Problem> {
    let key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::trim).unwrap_or_default())
        .unwrap_or_default();
    // The draft writes the key as a structured-field string: "…"; a bare token is taken too.
    let key = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .unwrap_or(key);
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(Problem::new(
            Code::IdempotencyKeyMissing,
            "Send an Idempotency-Key header (1 to 255 printable characters, a UUID for example) with every POST, and the same one when you retry it.",
        )
        .at_parameter("Idempotency-Key"));
    }
    let mut hash = Sha256::new();
    hash.update(method.as_str().as_bytes());
    hash.update([0]);
    hash.update(path.as_bytes());
    hash.update([0]);
    hash.update(body);
    Ok(Idempotent {
        key: key.to_string(),
        fingerprint: hash.finalize().into(),
    })
}

/// Takes the key's turn in the caller's transaction and answers the stored response when
/// this request was answered before (or 422 when the key was used for another one).
pub async fn replay(
    tx: &mut PgConnection,
    caller: &Caller,
    request: &Idempotent,
) -> Result<Option<Response>, Problem> {
    let db = |e: sqlx::Error| Problem::from_database(&e);
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, $2))")
        .bind(&request.key)
        .bind(caller.key_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    // A key older than a day is forgotten.
    sqlx::query(
        "delete from api_idempotency
          where api_key_id = $1 and key = $2 and created_at < now() - interval '24 hours'",
    )
    .bind(caller.key_id)
    .bind(&request.key)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let stored: Option<(Vec<u8>, i16, serde_json::Value, Vec<u8>)> = sqlx::query_as(
        "select fingerprint, status, headers, body from api_idempotency
          where api_key_id = $1 and key = $2",
    )
    .bind(caller.key_id)
    .bind(&request.key)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some((fingerprint, status, headers, body)) = stored else {
        return Ok(None);
    };
    if fingerprint != request.fingerprint {
        return Err(Problem::new(
            Code::IdempotencyKeyReused,
            "This Idempotency-Key was used for a different request (another path or body) in the last 24 hours; use a new key for a new request.",
        )
        .at_parameter("Idempotency-Key"));
    }
    let mut response = (
        StatusCode::from_u16(u16::try_from(status).unwrap_or(200)).unwrap_or(StatusCode::OK),
        Bytes::from(body),
    )
        .into_response();
    if let Some(map) = headers.as_object() {
        for (name, value) in map {
            if let (Ok(name), Some(Ok(value))) = (
                HeaderName::try_from(name.as_str()),
                value.as_str().map(HeaderValue::from_str),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
    }
    // Every stored answer is JSON (only successes are stored).
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response.headers_mut().insert(
        HeaderName::from_static("idempotent-replayed"),
        HeaderValue::from_static("true"),
    );
    Ok(Some(response))
}

/// Stores a successful answer with the change it describes (the caller commits both).
pub async fn store(
    tx: &mut PgConnection,
    caller: &Caller,
    request: &Idempotent,
    status: StatusCode,
    headers: &[(HeaderName, String)],
    body: &[u8],
) -> Result<(), Problem> {
    let headers: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), serde_json::Value::from(v.as_str())))
        .collect();
    sqlx::query(
        "insert into api_idempotency (api_key_id, key, fingerprint, status, headers, body)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(caller.key_id)
    .bind(&request.key)
    .bind(&request.fingerprint[..])
    .bind(i16::try_from(status.as_u16()).unwrap_or(200))
    .bind(serde_json::Value::Object(headers))
    .bind(body)
    .execute(&mut *tx)
    .await
    .map_err(|e| Problem::from_database(&e))?;
    Ok(())
}

/// A JSON answer built once, so the same bytes are sent and stored.
pub fn json_response(
    status: StatusCode,
    headers: &[(HeaderName, String)],
    body: &[u8],
) -> Response {
    let mut response = (status, Bytes::copy_from_slice(body)).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            h.insert(name.clone(), value);
        }
    }
    response
}

/// Reads a JSON body of the expected shape, naming the field at fault (a JSON Pointer).
pub fn parse_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, Problem> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let media = v
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            media == "application/json" || media.ends_with("+json")
        })
        .unwrap_or(false);
    if !json {
        return Err(Problem::new(
            Code::UnsupportedMediaType,
            "Send the body as JSON, with Content-Type: application/json.",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    match parsed {
        Ok(value) => deserializer
            .end()
            .map(|()| value)
            .map_err(|e| Problem::new(Code::MalformedJson, format!("After the JSON value: {e}"))),
        Err(e) => {
            let pointer = pointer_of(e.path());
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() || pointer.is_empty() {
                Err(Problem::new(Code::MalformedJson, inner.to_string()))
            } else {
                Err(Problem::new(Code::InvalidField, inner.to_string()).at_pointer(pointer))
            }
        }
    }
}

/// serde's path (`people[0].email`) as a JSON Pointer (`/people/0/email`).
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        pointer.push('/');
        match segment {
            Segment::Seq { index } => pointer.push_str(&index.to_string()),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"))
            }
            Segment::Unknown => pointer.push('?'),
        }
    }
    pointer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        amount: rust_decimal::Decimal,
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        name: String,
    }

    fn json_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        h
    }

    #[test]
    fn the_field_at_fault_is_named_by_its_pointer() {
        let e = parse_json::<Body>(
            &json_headers(),
            br#"{"amount": "1.00", "items": [{"name": 3}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.pointer.as_deref()),
            ("invalid_field", Some("/items/0/name"))
        );
        let e = parse_json::<Body>(
            &json_headers(),
            br#"{"amount": "1.00", "items": [], "extra": 1}"#,
        )
        .unwrap_err();
        assert_eq!(e.code, "invalid_field");
        let e = parse_json::<Body>(&json_headers(), br#"{"amount": "1.0"#).unwrap_err();
        assert_eq!(e.code, "malformed_json");
        let e = parse_json::<Body>(&HeaderMap::new(), b"{}").unwrap_err();
        assert_eq!(e.code, "unsupported_media_type");
    }

    #[test]
    fn a_key_is_required_and_the_fingerprint_covers_path_and_body() {
        let mut h = HeaderMap::new();
        assert!(key_of(&h, &Method::POST, "/a", b"{}").is_err());
        h.insert("idempotency-key", HeaderValue::from_static("\"k-1\""));
        let a = key_of(&h, &Method::POST, "/a", b"{}").expect("a key");
        let b = key_of(&h, &Method::POST, "/b", b"{}").expect("a key");
        let c = key_of(&h, &Method::POST, "/a", b"{ }").expect("a key");
        assert_eq!(a.key, "k-1");
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_ne!(a.fingerprint, c.fingerprint);
    }
}

//! `lastmile usage import FILE`: usage from networks without RADIUS accounting.
//!
//! ## The file
//!
//! CSV with a header line, or JSON lines (one object per line; a file whose first
//! non-blank character is `{` is read as JSON lines). Each record is one service's usage
//! over an interval:
//!
//! | column / key | |
//! |---|---|
//! | `username` | the service's network username (PPPoE user, IPoE circuit id or MAC) |
//! | `service_id` | or Lastmile's service id (exactly one of the two per record) |
//! | `start`, `end` | RFC 3339 instants with their offset (`2026-11-21T10:00:00Z`), end after start, at most 31 days apart, not in the future |
//! | `download_bytes`, `upload_bytes` | whole bytes, to and from the subscriber |
//!
//! The bytes are spread over the interval like RADIUS accounting's (in proportion to time,
//! split at the provider's local hours and midnights).
//!
//! ## What is promised
//!
//! * Every row is checked before anything is written; if any is wrong, nothing is
//!   imported and every bad row is reported (line, column, reason).
//! * The import is one transaction: interrupted, it leaves nothing.
//! * Each record is counted once: a key over (service, start, end, bytes down, bytes up)
//!   is kept per record, so the same file again, or another file repeating some of its
//!   records, adds only what is new. The same record twice in one file is refused (it
//!   is almost certainly a mistake). The file's SHA-256 is kept too, to say "already
//!   imported" at once.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use super::accounting::{copy_new, Usage};
use crate::EngineError;

/// The advisory lock imports take turns on.
const IMPORT_LOCK: i64 = 0x4c4d_494d_504f_5254; // "LMIMPORT"

/// The longest interval one record may cover.
pub const MAX_SPAN_DAYS: i64 = 31;

/// One rejected row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The file's line, from 1.
    pub line: usize,
    /// The column or key at fault (empty when the whole line is).
    pub column: String,
    /// Why, in words for the operator.
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column.is_empty() {
            write!(f, "line {}: {}", self.line, self.reason)
        } else {
            write!(f, "line {}, {}: {}", self.line, self.column, self.reason)
        }
    }
}

/// Why an import added nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Rows are wrong (all of them listed); nothing was imported.
    #[error("{} row(s) rejected; nothing was imported", .0.len())]
    Rejected(Vec<RowError>),
    /// The database failed; the transaction was rolled back.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Engine(EngineError::Database(e))
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The file's SHA-256, hex.
    pub sha256: String,
    /// Records in the file.
    pub records: usize,
    /// Records counted now.
    pub new_records: usize,
    /// Records imported before (from this file or another) and not counted again.
    pub already_imported: usize,
    /// When this very file was imported before (then nothing was read into usage).
    pub file_imported_at: Option<DateTime<Utc>>,
    /// Bytes added.
    pub download_bytes: i64,
    /// Bytes added.
    pub upload_bytes: i64,
    /// Service-days touched.
    pub service_days: usize,
}

/// One checked record.
#[derive(Debug, Clone)]
struct Record {
    line: usize,
    who: Who,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    download: i64,
    upload: i64,
}

#[derive(Debug, Clone)]
enum Who {
    Username(String),
    ServiceId(i64),
}

const COLUMNS: [&str; 6] = [
    "username",
    "service_id",
    "start",
    "end",
    "download_bytes",
    "upload_bytes",
];

/// Imports a usage file (its name is kept for the record). `now` bounds how late a record
/// may end; local days are `tz`'s.
pub async fn import(
    pool: &PgPool,
    tz: Tz,
    file_name: &str,
    content: &[u8],
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let mut tx = pool.begin().await?;
    let report = import_in(&mut tx, tz, file_name, content, now).await?;
    tx.commit().await?;
    Ok(report)
}

/// [`import`] in the caller's transaction (the integration API's `POST /usage-records`
/// commits it with its idempotency record and audit entry). On an error the caller rolls
/// back.
pub async fn import_in(
    tx: &mut PgConnection,
    tz: Tz,
    file_name: &str,
    content: &[u8],
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let sha: [u8; 32] = Sha256::digest(content).into();
    let mut errors = Vec::new();
    let records = parse(content, now, &mut errors);
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(ImportError::Rejected(errors));
    }

    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(IMPORT_LOCK)
        .execute(&mut *tx)
        .await?;
    let seen: Option<DateTime<Utc>> =
        sqlx::query_scalar("select imported_at from usage_import_files where sha256 = $1")
            .bind(&sha[..])
            .fetch_optional(&mut *tx)
            .await?;
    let mut report = ImportReport {
        sha256: hex::encode(sha),
        records: records.len(),
        new_records: 0,
        already_imported: 0,
        file_imported_at: seen,
        download_bytes: 0,
        upload_bytes: 0,
        service_days: 0,
    };
    if seen.is_some() {
        report.already_imported = records.len();
        return Ok(report);
    }

    // Who each record is for.
    let mut usernames: Vec<String> = Vec::new();
    let mut ids: Vec<i64> = Vec::new();
    for r in &records {
        match &r.who {
            Who::Username(u) => usernames.push(u.clone()),
            Who::ServiceId(id) => ids.push(*id),
        }
    }
    usernames.sort_unstable();
    usernames.dedup();
    ids.sort_unstable();
    ids.dedup();
    let by_username: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "select c.username, c.service_id
           from unnest($1::text[]) as k(username) join network_credentials c using (username)",
    )
    .bind(&usernames)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    let known_ids: HashSet<i64> = sqlx::query_scalar::<_, i64>(
        "select s.id from unnest($1::bigint[]) as k(id) join services s on s.id = k.id",
    )
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();

    let mut keyed = Vec::with_capacity(records.len());
    let mut first_line: HashMap<[u8; 16], usize> = HashMap::with_capacity(records.len());
    for r in &records {
        let service = match &r.who {
            Who::Username(u) => match by_username.get(u) {
                Some(s) => *s,
                None => {
                    errors.push(RowError {
                        line: r.line,
                        column: "username".into(),
                        reason: format!("no service has the network username {u:?}"),
                    });
                    continue;
                }
            },
            Who::ServiceId(id) => {
                if !known_ids.contains(id) {
                    errors.push(RowError {
                        line: r.line,
                        column: "service_id".into(),
                        reason: format!("no service has the id {id}"),
                    });
                    continue;
                }
                *id
            }
        };
        let key = record_key(service, r);
        if let Some(first) = first_line.insert(key, r.line) {
            errors.push(RowError {
                line: r.line,
                column: String::new(),
                reason: format!(
                    "the same record as line {first} (same service, interval and bytes)"
                ),
            });
            continue;
        }
        keyed.push((key, service, r));
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(ImportError::Rejected(errors)); // the transaction rolls back on drop
    }

    let total = i32::try_from(records.len()).unwrap_or(i32::MAX);
    sqlx::query(
        "insert into usage_import_files (sha256, file_name, records, new_records)
         values ($1, $2, $3, 0)",
    )
    .bind(&sha[..])
    .bind(file_name.chars().take(500).collect::<String>())
    .bind(total)
    .execute(&mut *tx)
    .await?;
    // The records counted before (by an earlier file), then the others' keys in one COPY,
    // in key order so the index takes them page by page. The import lock keeps another
    // import from adding keys in between.
    let mut keys: Vec<Vec<u8>> = keyed.iter().map(|(k, _, _)| k.to_vec()).collect();
    keys.sort_unstable();
    let counted: HashSet<Vec<u8>> = sqlx::query_scalar::<_, Vec<u8>>(
        "select r.record_key
           from unnest($1::bytea[]) as k(key) join usage_import_records r on r.record_key = k.key",
    )
    .bind(&keys)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    keys.retain(|k| !counted.contains(k));
    let file = hex::encode(sha);
    let mut copy = String::with_capacity(keys.len() * 104);
    for k in &keys {
        copy.push_str("\\\\x");
        copy.push_str(&hex::encode(k));
        copy.push_str("\t\\\\x");
        copy.push_str(&file);
        copy.push('\n');
    }
    let copied = copy_new(
        &mut *tx,
        "copy usage_import_records (record_key, file_sha256) from stdin",
        copy,
    )
    .await?;
    let new_keys: HashSet<Vec<u8>> = if copied {
        keys.into_iter().collect()
    } else {
        // Another writer of this table (not an import: those wait on the lock) added some
        // keys meanwhile: theirs stay counted once.
        sqlx::query_scalar::<_, Vec<u8>>(
            "insert into usage_import_records (record_key, file_sha256)
             select k, $2 from unnest($1::bytea[]) as k
             on conflict (record_key) do nothing
             returning record_key",
        )
        .bind(&keys)
        .bind(&sha[..])
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect()
    };

    let mut usage = Usage::default();
    for (key, service, r) in &keyed {
        if !new_keys.contains(&key[..]) {
            report.already_imported += 1;
            continue;
        }
        report.new_records += 1;
        report.download_bytes += r.download;
        report.upload_bytes += r.upload;
        usage.add(tz, *service, r.start, r.end, r.download, r.upload);
    }
    report.service_days = usage.days().len();
    usage.write(&mut *tx).await?;
    sqlx::query("update usage_import_files set new_records = $2 where sha256 = $1")
        .bind(&sha[..])
        .bind(i32::try_from(report.new_records).unwrap_or(i32::MAX))
        .execute(&mut *tx)
        .await?;
    Ok(report)
}

/// 16 bytes of SHA-256 over the record as counted (its service resolved, instants in UTC).
fn record_key(service: i64, r: &Record) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(service.to_be_bytes());
    h.update(r.start.timestamp_micros().to_be_bytes());
    h.update(r.end.timestamp_micros().to_be_bytes());
    h.update(r.download.to_be_bytes());
    h.update(r.upload.to_be_bytes());
    let full: [u8; 32] = h.finalize().into();
    let mut key = [0_u8; 16];
    key.copy_from_slice(&full[..16]);
    key
}

/// Reads every record, collecting what is wrong with each bad row.
fn parse(content: &[u8], now: DateTime<Utc>, errors: &mut Vec<RowError>) -> Vec<Record> {
    let text = match std::str::from_utf8(content) {
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
        Err(e) => {
            let line = content[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            errors.push(RowError {
                line,
                column: String::new(),
                reason: "not UTF-8 text".into(),
            });
            return Vec::new();
        }
    };
    let json = text.trim_start().starts_with('{');
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty());
    let mut records = Vec::new();
    if json {
        for (line, l) in lines {
            if let Some(r) = json_row(line, l, now, errors) {
                records.push(r);
            }
        }
        return records;
    }
    let Some((header_line, header)) = lines.next() else {
        errors.push(RowError {
            line: 1,
            column: String::new(),
            reason: "the file is empty (expected a CSV header or JSON lines)".into(),
        });
        return records;
    };
    let header = match split_csv(header) {
        Ok(h) => h,
        Err(reason) => {
            errors.push(RowError {
                line: header_line,
                column: String::new(),
                reason,
            });
            return records;
        }
    };
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim();
        if !COLUMNS.contains(&name) {
            errors.push(RowError {
                line: header_line,
                column: name.to_string(),
                reason: format!("unknown column (expected {})", COLUMNS.join(", ")),
            });
        } else if index.insert(name, i).is_some() {
            errors.push(RowError {
                line: header_line,
                column: name.to_string(),
                reason: "column given twice".into(),
            });
        }
    }
    for required in ["start", "end", "download_bytes", "upload_bytes"] {
        if !index.contains_key(required) {
            errors.push(RowError {
                line: header_line,
                column: required.into(),
                reason: "missing column".into(),
            });
        }
    }
    if !index.contains_key("username") && !index.contains_key("service_id") {
        errors.push(RowError {
            line: header_line,
            column: "username".into(),
            reason: "missing column: username or service_id".into(),
        });
    }
    if !errors.is_empty() {
        return records;
    }
    for (line, l) in lines {
        let fields = match split_csv(l) {
            Ok(f) => f,
            Err(reason) => {
                errors.push(RowError {
                    line,
                    column: String::new(),
                    reason,
                });
                continue;
            }
        };
        if fields.len() != header.len() {
            errors.push(RowError {
                line,
                column: String::new(),
                reason: format!(
                    "{} fields where the header has {}",
                    fields.len(),
                    header.len()
                ),
            });
            continue;
        }
        let get = |c: &str| {
            index
                .get(c)
                .map(|i| fields[*i].trim())
                .filter(|v| !v.is_empty())
        };
        let mut row = RowFields::new(line, errors);
        let who = row.who(
            get("username").map(str::to_string),
            get("service_id").map(|v| v.parse::<i64>().map_err(|_| "not a whole number")),
        );
        let start = row.instant("start", get("start"));
        let end = row.instant("end", get("end"));
        let download = row.bytes(
            "download_bytes",
            get("download_bytes").map(|v| v.parse::<i64>().map_err(|_| ())),
        );
        let upload = row.bytes(
            "upload_bytes",
            get("upload_bytes").map(|v| v.parse::<i64>().map_err(|_| ())),
        );
        if let Some(r) = row.finish(who, start, end, download, upload, now) {
            records.push(r);
        }
    }
    records
}

fn json_row(
    line: usize,
    l: &str,
    now: DateTime<Utc>,
    errors: &mut Vec<RowError>,
) -> Option<Record> {
    let object: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(l) {
        Ok(o) => o,
        Err(e) => {
            errors.push(RowError {
                line,
                column: String::new(),
                reason: format!("not a JSON object: {e}"),
            });
            return None;
        }
    };
    let mut row = RowFields::new(line, errors);
    for key in object.keys() {
        if !COLUMNS.contains(&key.as_str()) {
            row.fail(
                key,
                format!("unknown key (expected {})", COLUMNS.join(", ")),
            );
        }
    }
    let text = |k: &str| match object.get(k) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(()),
    };
    let int = |k: &str| match object.get(k) {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(v.as_i64().ok_or(())),
    };
    let username = match text("username") {
        Ok(u) => u,
        Err(()) => {
            row.fail("username", "not a string".into());
            None
        }
    };
    let service_id = int("service_id").map(|r| r.map_err(|()| "not a whole number"));
    let who = row.who(username, service_id);
    let start = match text("start") {
        Ok(s) => row.instant("start", s.as_deref()),
        Err(()) => {
            row.fail("start", "not a string".into());
            None
        }
    };
    let end = match text("end") {
        Ok(s) => row.instant("end", s.as_deref()),
        Err(()) => {
            row.fail("end", "not a string".into());
            None
        }
    };
    let download = row.bytes("download_bytes", int("download_bytes"));
    let upload = row.bytes("upload_bytes", int("upload_bytes"));
    row.finish(who, start, end, download, upload, now)
}

/// Checks one row's fields, noting each problem.
struct RowFields<'a> {
    line: usize,
    errors: &'a mut Vec<RowError>,
    bad: bool,
}

impl<'a> RowFields<'a> {
    fn new(line: usize, errors: &'a mut Vec<RowError>) -> Self {
        RowFields {
            line,
            errors,
            bad: false,
        }
    }

    fn fail(&mut self, column: &str, reason: String) {
        self.bad = true;
        self.errors.push(RowError {
            line: self.line,
            column: column.to_string(),
            reason,
        });
    }

    fn who(
        &mut self,
        username: Option<String>,
        service_id: Option<Result<i64, &'static str>>,
    ) -> Option<Who> {
        match (username, service_id) {
            (Some(_), Some(_)) => {
                self.fail("service_id", "give username or service_id, not both".into());
                None
            }
            (None, None) => {
                self.fail("username", "missing: give username or service_id".into());
                None
            }
            (Some(u), None) => {
                if u.len() < 3 || u.len() > 253 || !u.bytes().all(|b| (b'!'..=b'~').contains(&b)) {
                    self.fail("username", format!("{u:?} is not a network username (3 to 253 printable characters, no spaces)"));
                    None
                } else {
                    Some(Who::Username(u))
                }
            }
            (None, Some(Ok(id))) if id > 0 => Some(Who::ServiceId(id)),
            (None, Some(Ok(_))) => {
                self.fail("service_id", "not a service id (a positive number)".into());
                None
            }
            (None, Some(Err(why))) => {
                self.fail("service_id", why.into());
                None
            }
        }
    }

    fn instant(&mut self, column: &str, value: Option<&str>) -> Option<DateTime<Utc>> {
        let Some(v) = value else {
            self.fail(column, "missing".into());
            return None;
        };
        match DateTime::parse_from_rfc3339(v.trim()) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                self.fail(
                    column,
                    format!("{v:?} is not an instant with its offset, like 2026-11-21T10:00:00Z or 2026-11-21T04:00:00-06:00"),
                );
                None
            }
        }
    }

    fn bytes<E>(&mut self, column: &str, value: Option<Result<i64, E>>) -> Option<i64> {
        match value {
            None => {
                self.fail(column, "missing".into());
                None
            }
            Some(Ok(b)) if b >= 0 => Some(b),
            Some(Ok(_)) => {
                self.fail(column, "negative".into());
                None
            }
            Some(Err(_)) => {
                self.fail(
                    column,
                    format!("not a whole number of bytes (0 to {})", i64::MAX),
                );
                None
            }
        }
    }

    fn finish(
        mut self,
        who: Option<Who>,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
        download: Option<i64>,
        upload: Option<i64>,
        now: DateTime<Utc>,
    ) -> Option<Record> {
        if let (Some(s), Some(e)) = (start, end) {
            if e <= s {
                self.fail("end", "not after start".into());
            } else if e - s > Duration::days(MAX_SPAN_DAYS) {
                self.fail("end", format!("more than {MAX_SPAN_DAYS} days after start"));
            } else if e > now {
                self.fail("end", "in the future".into());
            }
        }
        if self.bad {
            return None;
        }
        Some(Record {
            line: self.line,
            who: who?,
            start: start?,
            end: end?,
            download: download?,
            upload: upload?,
        })
    }
}

/// One CSV line's fields: commas separate, double quotes enclose a field that holds commas
/// or quotes (a quote inside is written twice). A record spans one line.
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                    match chars.peek() {
                        None | Some(',') => {}
                        Some(_) => return Err("text after a closing quote".into()),
                    }
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
            }
            _ => {
                field.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        return Err("a quoted field is not closed (records must fit on one line)".into());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
            .single()
            .expect("now")
    }

    #[test]
    fn csv_fields_with_quotes() {
        assert_eq!(
            split_csv(r#"a,"b,c","d""e",,"#).expect("fields"),
            vec!["a", "b,c", "d\"e", "", ""]
        );
        assert!(split_csv(r#""open"#).is_err());
    }

    #[test]
    fn every_bad_row_is_reported_with_its_column() {
        let file = "username,start,end,download_bytes,upload_bytes\n\
                    alice01,2026-11-20T10:00:00Z,2026-11-20T11:00:00Z,100,20\n\
                    bob02,yesterday,2026-11-20T11:00:00Z,100,20\n\
                    carol03,2026-11-20T10:00:00Z,2026-11-20T09:00:00Z,-5,x\n\
                    dave04,2026-11-20T10:00:00Z,2026-12-20T11:00:00Z,1,1\n";
        let mut errors = Vec::new();
        let records = parse(file.as_bytes(), now(), &mut errors);
        assert_eq!(records.len(), 1);
        let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (3, "start"),
                (4, "download_bytes"),
                (4, "upload_bytes"),
                (4, "end"),
                (5, "end"),
            ]
        );
    }

    #[test]
    fn json_lines_are_read_too() {
        let file = "{\"service_id\": 7, \"start\": \"2026-11-20T10:00:00-06:00\", \"end\": \"2026-11-20T11:00:00-06:00\", \"download_bytes\": 5, \"upload_bytes\": 6}\n\n{\"username\": 5}\n";
        let mut errors = Vec::new();
        let records = parse(file.as_bytes(), now(), &mut errors);
        assert_eq!(records.len(), 1);
        assert_eq!(
            records[0].start,
            Utc.with_ymd_and_hms(2026, 11, 20, 16, 0, 0)
                .single()
                .expect("t")
        );
        assert!(errors.iter().all(|e| e.line == 3), "{errors:?}");
        assert!(errors.iter().any(|e| e.column == "username"));
    }
}

//! Positions in the sync lists (`GET /accounts`, `GET /services`).
//!
//! A sync list hands out rows in the order they were last changed: by `sync_xid` (the
//! transaction that wrote the row as it is now), then id, and only rows below the oldest
//! transaction still running (`pg_snapshot_xmin`), so no change can later appear behind a
//! position already handed out. A changed row moves to the end and comes again; none is
//! missed. `next_cursor` is always given: the caller keeps it as its position and asks
//! again later. A cursor is opaque (base64url of `v1:<list>:<xid>:<id>:<since>`); one
//! made for another list is refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::problem::{Code, Problem};

/// The most rows one page may have, and how many when not told.
pub const MAX_LIMIT: i64 = 500;
pub const DEFAULT_LIMIT: i64 = 100;

/// The query of a sync list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SyncQuery {
    /// Rows per page, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// The `next_cursor` of the page before; without it, the list starts at the beginning.
    pub cursor: Option<String>,
    /// Only rows changed at or after this instant (RFC 3339); the cursor keeps the filter.
    /// Not together with `cursor`.
    pub updated_since: Option<DateTime<Utc>>,
}

/// Where a caller is in a sync list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub xid: i64,
    pub id: i64,
    pub since: Option<DateTime<Utc>>,
}

impl Position {
    pub fn encode(&self, list: &str) -> String {
        let since = self
            .since
            .map_or("-".to_string(), |s| s.timestamp_micros().to_string());
        URL_SAFE_NO_PAD.encode(format!("v1:{list}:{}:{}:{since}", self.xid, self.id))
    }

    fn decode(list: &str, cursor: &str) -> Option<Position> {
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
        let mut parts = text.split(':');
        if parts.next()? != "v1" || parts.next()? != list {
            return None;
        }
        let xid = parts.next()?.parse().ok()?;
        let id = parts.next()?.parse().ok()?;
        let since = match parts.next()? {
            "-" => None,
            micros => Some(DateTime::from_timestamp_micros(micros.parse().ok()?)?),
        };
        parts
            .next()
            .is_none()
            .then_some(Position { xid, id, since })
    }
}

impl SyncQuery {
    /// The page size and the position to read after, or the parameter at fault.
    pub fn read(&self, list: &str) -> Result<(i64, Position), Problem> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Problem::new(
                Code::InvalidParameter,
                format!("limit must be between 1 and {MAX_LIMIT}."),
            )
            .at_parameter("limit"));
        }
        let position = match (&self.cursor, self.updated_since) {
            (Some(_), Some(_)) => return Err(Problem::new(
                Code::InvalidParameter,
                "Give either cursor or updated_since: the cursor keeps the filter it began with.",
            )
            .at_parameter("updated_since")),
            (Some(cursor), None) => Position::decode(list, cursor).ok_or_else(|| {
                Problem::new(
                    Code::InvalidParameter,
                    format!("This cursor was not made by GET /{list}."),
                )
                .at_parameter("cursor")
            })?,
            (None, since) => Position {
                xid: 0,
                id: 0,
                since,
            },
        };
        Ok((limit, position))
    }
}

/// One page of a sync list: the ids in list order, and where to go on from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPage {
    pub ids: Vec<i64>,
    pub next_cursor: String,
    pub has_more: bool,
}

/// Reads a page of `table`'s sync list (`accounts` or `services`: a table with `sync_xid`
/// and `updated_at`; the name comes from the code, never from the request).
pub async fn sync_page(
    pool: &sqlx::PgPool,
    table: &'static str,
    query: &SyncQuery,
) -> Result<SyncPage, Problem> {
    let (limit, position) = query.read(table)?;
    let db = |e: sqlx::Error| Problem::from_database(&e);
    let horizon: i64 =
        sqlx::query_scalar("select pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            .fetch_one(pool)
            .await
            .map_err(db)?;
    let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "select t.sync_xid, t.id from {table} t
          where t.sync_xid < $1 and (t.sync_xid, t.id) > ($2, $3)
            and ($4::timestamptz is null or t.updated_at >= $4)
          order by t.sync_xid, t.id
          limit $5"
    ))
    .bind(horizon)
    .bind(position.xid)
    .bind(position.id)
    .bind(position.since)
    .bind(limit + 1)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let has_more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next = next_position(position, rows.last().copied(), has_more, horizon);
    Ok(SyncPage {
        ids: rows.iter().map(|r| r.1).collect(),
        next_cursor: next.encode(table),
        has_more,
    })
}

/// Rows loaded by id, put back in the page's order (a row deleted meanwhile is left out).
pub fn in_order<T>(ids: &[i64], rows: Vec<T>, id_of: impl Fn(&T) -> i64) -> Vec<T> {
    let mut by_id: std::collections::HashMap<i64, T> =
        rows.into_iter().map(|r| (id_of(&r), r)).collect();
    ids.iter().filter_map(|id| by_id.remove(id)).collect()
}

/// The position after a page: its last row when more may follow, otherwise everything
/// below the horizon has been seen.
pub fn next_position(
    given: Position,
    last: Option<(i64, i64)>,
    has_more: bool,
    horizon: i64,
) -> Position {
    match (has_more, last) {
        (true, Some((xid, id))) => Position { xid, id, ..given },
        _ => {
            // Never behind where the caller was (the horizon does not go back, but a
            // cursor may come from another server's clock of transactions).
            let (xid, id) = (horizon - 1, i64::MAX).max((given.xid, given.id));
            Position { xid, id, ..given }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_only_on_its_own_list() {
        let p = Position {
            xid: 7_000_123,
            id: 42,
            since: DateTime::from_timestamp_micros(1_765_000_000_123_456),
        };
        let c = p.encode("accounts");
        assert_eq!(Position::decode("accounts", &c), Some(p));
        assert_eq!(Position::decode("services", &c), None);
        assert_eq!(Position::decode("accounts", "not base64!"), None);
        assert_eq!(
            Position::decode("accounts", &URL_SAFE_NO_PAD.encode("v1:accounts:1:2:-:x")),
            None
        );
    }

    #[test]
    fn limit_and_cursor_are_checked_by_name() {
        let q = SyncQuery {
            limit: Some(0),
            ..Default::default()
        };
        assert_eq!(
            q.read("accounts").unwrap_err().parameter.as_deref(),
            Some("limit")
        );
        let q = SyncQuery {
            limit: Some(501),
            ..Default::default()
        };
        assert!(q.read("accounts").is_err());
        let q = SyncQuery {
            cursor: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(
            q.read("accounts").unwrap_err().parameter.as_deref(),
            Some("cursor")
        );
        let q = SyncQuery::default();
        assert_eq!(q.read("accounts").expect("defaults").0, 100);
    }

    #[test]
    fn after_the_last_page_the_position_is_the_horizon() {
        let start = Position {
            xid: 0,
            id: 0,
            since: None,
        };
        // More to come: the last row.
        assert_eq!(
            next_position(start, Some((900, 5)), true, 1000),
            Position {
                xid: 900,
                id: 5,
                since: None
            }
        );
        // Everything below the horizon seen (even with no row at all).
        assert_eq!(
            next_position(start, None, false, 1000),
            Position {
                xid: 999,
                id: i64::MAX,
                since: None
            }
        );
        // A horizon that has not moved keeps the position.
        let at = Position {
            xid: 999,
            id: i64::MAX,
            since: None,
        };
        assert_eq!(next_position(at, None, false, 1000), at);
    }
}

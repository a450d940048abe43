//! Telling a database that is down from a query that is wrong.
//!
//! When PostgreSQL restarts, fails over or is out of connections, every caller should hear
//! "try again shortly" (503), not "the server failed" (500), and the connections opened
//! before the outage should be thrown away rather than each failing one more request. This
//! module decides which errors mean that ([`is_unreachable`]), and remembers when the last
//! one was seen so the pool can drop connections older than it ([`opened_before_outage`]).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// When an error last said the database was unreachable (Unix milliseconds; 0: never).
static LAST_OUTAGE_MS: AtomicI64 = AtomicI64::new(0);

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Whether `error` means the database could not be reached or will not take work now: the
/// connection broke, PostgreSQL is shutting down or starting (`57P01`-`57P03`), refused the
/// connection (`08…`) or has no connection slot left (`53300`). Such an error is noted (see
/// [`opened_before_outage`]). A pool that timed out under load also counts as unreachable
/// for the caller, but is not noted: its connections are healthy, only busy.
pub fn is_unreachable(error: &sqlx::Error) -> bool {
    let broken = match error {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
        }),
        // A connection the server closed mid-message (a restart) ends in an I/O error
        // (`UnexpectedEof`, from sqlx's read buffer). A protocol error is a bug, not an
        // outage.
        _ => false,
    };
    if broken {
        LAST_OUTAGE_MS.fetch_max(now_ms(), Ordering::Relaxed);
    }
    broken || matches!(error, sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed)
}

/// Whether a connection of this age was opened before the last outage was noted, and so is
/// probably broken: the pool checks this before lending a connection, and closes it instead.
pub fn opened_before_outage(age: Duration) -> bool {
    let last = LAST_OUTAGE_MS.load(Ordering::Relaxed);
    if last == 0 {
        return false;
    }
    let opened = now_ms() - i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
    opened <= last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_connection_is_an_outage_and_a_busy_pool_is_not_one() {
        assert!(is_unreachable(&sqlx::Error::PoolTimedOut));
        // Busy, not broken: nothing is noted, so no connection is thrown away.
        assert!(!opened_before_outage(Duration::from_secs(3600)));
        assert!(!is_unreachable(&sqlx::Error::RowNotFound));
        assert!(!is_unreachable(&sqlx::Error::Protocol(
            "unknown message type".into()
        )));
        assert!(!is_unreachable(&sqlx::Error::Protocol(
            "connection closed".into()
        )));

        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(is_unreachable(&sqlx::Error::Io(refused)));
        // A connection opened an hour ago predates the outage; one opened after it does not.
        assert!(opened_before_outage(Duration::from_secs(3600)));
        std::thread::sleep(Duration::from_millis(5));
        assert!(!opened_before_outage(Duration::from_millis(1)));
    }
}

//! What the server's test crates (`cli`, `bill_run`, `portal`) share.

use sqlx::PgPool;

/// The URL of the database `pool` is connected to (a `#[sqlx::test]` database), for a
/// process of the real binary to connect to the same one.
pub async fn url_of(pool: &PgPool) -> String {
    let name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL for tests");
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{name}")
}

//! SQLite connections: WAL, then upstream's PRAGMAs from the settings.

use crate::common::backend;

/// What SQLite answers for the defaults: NORMAL is 1, MEMORY is 2.
const DEFAULT_PRAGMAS: [(&str, i64); 6] = [
    ("synchronous", 1),
    ("busy_timeout", 5000),
    ("cache_size", -65536),
    ("temp_store", 2),
    ("mmap_size", 268_435_456),
    ("journal_size_limit", 67_108_864),
];

#[tokio::test]
async fn every_new_connection_runs_the_pragmas() {
    let (state, _app, _dir) = backend(&[]).await;
    let mut connection = state.db.pool.acquire().await.unwrap();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *connection)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    for (name, expected) in DEFAULT_PRAGMAS {
        let read: i64 = sqlx::query_scalar(&format!("PRAGMA {name}"))
            .fetch_one(&mut *connection)
            .await
            .unwrap();
        assert_eq!(read, expected, "{name}");
    }
}

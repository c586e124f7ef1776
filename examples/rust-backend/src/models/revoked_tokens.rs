//! The twins' own table of signed-out tokens: revocation without Redis.
//!
//! Upstream records a sign-out only in Redis, so without Redis a signed-out token
//! stays valid until it expires. With `WEBUI_AUTH_REVOCATION_TABLE` the twins record
//! it here as well. The table is not upstream's: Open WebUI ignores tables it does not
//! know, and it is created only when the option is on, so the default schema stays
//! upstream's exactly.

use crate::internal::db::{Db, Table, create_tables};
use crate::utils::misc::now;

// --8<-- [start:revoked-tokens]
/// `twin_revoked_token`: a signed-out token's `jti`, and its `exp` in Unix seconds
/// (NULL for a token without one), after which the row serves no purpose.
pub const TABLE: Table = Table {
    name: "twin_revoked_token",
    ddl: &[
        "CREATE TABLE IF NOT EXISTS twin_revoked_token (jti TEXT PRIMARY KEY, expires_at BIGINT)",
    ],
};

/// Create the table unless it exists.
///
/// # Errors
/// The database failed.
pub async fn create(db: &Db) -> Result<(), sqlx::Error> {
    create_tables(db, &[&TABLE]).await
}

/// Record the token `jti` as signed out, after dropping the rows of tokens that have
/// expired since: the table holds only tokens that could still be used.
///
/// # Errors
/// The database failed; nothing was recorded.
pub async fn revoke(
    db: &Db,
    jti: &str,
    expires_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    // One transaction: a single commit, and the clean-up never lands without the row.
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        "DELETE FROM twin_revoked_token \
         WHERE expires_at IS NOT NULL AND expires_at < $1",
    )
    .bind(now())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO twin_revoked_token (jti, expires_at) VALUES ($1, $2) \
         ON CONFLICT (jti) DO NOTHING",
    )
    .bind(jti)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Whether the token `jti` was signed out.
///
/// # Errors
/// The database failed.
pub async fn is_revoked(db: &Db, jti: &str) -> Result<bool, sqlx::Error> {
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM twin_revoked_token WHERE jti = $1")
            .bind(jti)
            .fetch_one(&db.pool)
            .await?;
    Ok(count > 0)
}
// --8<-- [end:revoked-tokens]

//! Upstream's user groups, read only: a grant to a group reaches its members.
//!
//! This backend keeps no groups and never creates their tables (`group`,
//! `group_member`). On a database Open WebUI created they exist, and the groups an
//! admin made there count here too.

use sqlx::Row;

use crate::internal::db::{Db, table_exists};

// --8<-- [start:memberships]
/// The groups the user is a member of, and every group above those.
///
/// Upstream counts a member of a group as a member of its parent groups too, and
/// ignores a membership whose group is gone.
///
/// # Errors
/// The database failed.
pub async fn group_ids_of(db: &Db, user_id: &str) -> Result<Vec<String>, sqlx::Error> {
    if !table_exists(db, "group_member").await? {
        return Ok(Vec::new());
    }
    // UNION, not UNION ALL: a cycle of parents that Open WebUI let in still ends.
    let rows = sqlx::query(
        r#"WITH RECURSIVE chain(group_id) AS (
             SELECT group_id FROM group_member WHERE user_id = $1
             UNION
             SELECT g.parent_group_id FROM "group" g JOIN chain c ON g.id = c.group_id
             WHERE g.parent_group_id IS NOT NULL
           )
           SELECT DISTINCT g.id FROM "group" g JOIN chain c ON g.id = c.group_id"#,
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(|row| row.try_get(0)).collect()
}
// --8<-- [end:memberships]

//! Upstream's `access_grant` table: who may read or write a resource besides its owner.
//!
//! One row grants one permission (`read` or `write`) on one resource (here always a
//! `model`) to one principal: a user by id, every user (`user`/`*`), or a group. Open
//! WebUI writes these rows when an admin shares a model; this backend stores the grants
//! of the models it creates and honours every row, whoever wrote it.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;

use crate::internal::db::{Binds, Db, Table};
use crate::models::users::Tx;
use crate::utils::misc::now;

/// The principal id of a grant to every user.
pub const EVERYONE: &str = "*";
const PRINCIPAL_TYPES: [&str; 3] = ["user", "group", "anyone"];
const PERMISSIONS: [&str; 2] = ["read", "write"];

// --8<-- [start:table]
/// `access_grant`, with upstream's unique constraint and its two indexes.
pub const TABLE: Table = Table {
    name: "access_grant",
    ddl: &[
        "CREATE TABLE access_grant (
	id TEXT NOT NULL,
	resource_type TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	principal_type TEXT NOT NULL,
	principal_id TEXT NOT NULL,
	permission TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_access_grant_grant UNIQUE (resource_type, resource_id, principal_type, principal_id, permission)
)",
        "CREATE INDEX idx_access_grant_resource ON access_grant (resource_type, resource_id)",
        "CREATE INDEX idx_access_grant_principal ON access_grant (principal_type, principal_id)",
    ],
};

/// A stored grant; the model responses carry every column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessGrant {
    /// A UUID.
    pub id: String,
    /// `model` here; Open WebUI also shares knowledge, prompts, tools…
    pub resource_type: String,
    /// The shared resource's id.
    pub resource_id: String,
    /// `user`, `group` or `anyone`.
    pub principal_type: String,
    /// A user's id, a group's id, or `*` for everyone.
    pub principal_id: String,
    /// `read` or `write`.
    pub permission: String,
    /// Seconds since the epoch.
    pub created_at: i64,
}
// --8<-- [end:table]

// --8<-- [start:normalize]
/// A form's grant once normalised: the resource is the form's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// `user`, `group` or `anyone`.
    pub principal_type: String,
    /// A user's id, a group's id, or `*`.
    pub principal_id: String,
    /// `read` or `write`.
    pub permission: String,
}

impl Grant {
    /// A grant to every signed-in user (`user`/`*`), which upstream calls public.
    #[must_use]
    pub fn is_public(&self) -> bool {
        self.principal_type == "user" && self.principal_id == EVERYONE
    }
}

/// The well-formed grants of a form, one per principal and permission.
///
/// Anything else is dropped, not refused, as upstream drops it: an unknown principal
/// type or permission, an empty principal id, and `anyone` other than read by `*`.
/// A repeated grant is kept once, where it first appears.
#[must_use]
pub fn normalize(grants: &[Value]) -> Vec<Grant> {
    let mut kept: Vec<Grant> = Vec::new();
    for grant in grants {
        let field = |key| grant.get(key).and_then(Value::as_str);
        let (Some(kind), Some(principal), Some(permission)) = (
            field("principal_type"),
            field("principal_id"),
            field("permission"),
        ) else {
            continue;
        };
        if !PRINCIPAL_TYPES.contains(&kind)
            || !PERMISSIONS.contains(&permission)
            || principal.is_empty()
            || (kind == "anyone" && (principal, permission) != (EVERYONE, "read"))
        {
            continue;
        }
        let grant = Grant {
            principal_type: kind.to_owned(),
            principal_id: principal.to_owned(),
            permission: permission.to_owned(),
        };
        if !kept.contains(&grant) {
            kept.push(grant);
        }
    }
    kept
}
// --8<-- [end:normalize]

// --8<-- [start:write]
/// Make `grants` the resource's only grants, in the caller's transaction; each stored
/// row gets a new id, as upstream's do.
///
/// # Errors
/// The database failed.
pub async fn replace_grants(
    tx: &mut Tx<'_>,
    resource_type: &str,
    resource_id: &str,
    grants: &[Grant],
) -> Result<(), sqlx::Error> {
    delete_grants(tx, resource_type, &[resource_id]).await?;
    let created_at = now();
    for grant in grants {
        sqlx::query(
            "INSERT INTO access_grant (id, resource_type, resource_id, principal_type,
             principal_id, permission, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(resource_type)
        .bind(resource_id)
        .bind(&grant.principal_type)
        .bind(&grant.principal_id)
        .bind(&grant.permission)
        .bind(created_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Remove every grant on the resources, in the caller's transaction.
///
/// # Errors
/// The database failed.
pub async fn delete_grants(
    tx: &mut Tx<'_>,
    resource_type: &str,
    resource_ids: &[&str],
) -> Result<(), sqlx::Error> {
    if resource_ids.is_empty() {
        return Ok(());
    }
    let mut binds = Binds::default();
    let kind = binds.add(resource_type);
    let ids = binds.list(resource_ids.iter().copied());
    let sql = format!(
        "DELETE FROM access_grant WHERE resource_type = {kind} AND resource_id IN ({ids})"
    );
    binds.query(&sql).execute(&mut **tx).await?;
    Ok(())
}
// --8<-- [end:write]

// --8<-- [start:read]
/// Every grant on each resource, in one query; a resource without any maps to `[]`.
///
/// # Errors
/// The database failed.
pub async fn grants_of(
    db: &Db,
    resource_type: &str,
    resource_ids: &[&str],
) -> Result<HashMap<String, Vec<AccessGrant>>, sqlx::Error> {
    let mut found: HashMap<String, Vec<AccessGrant>> = resource_ids
        .iter()
        .map(|id| ((*id).to_owned(), Vec::new()))
        .collect();
    if found.is_empty() {
        return Ok(found);
    }
    let mut binds = Binds::default();
    let kind = binds.add(resource_type);
    let ids = binds.list(resource_ids.iter().copied());
    let sql = format!(
        "SELECT id, resource_type, resource_id, principal_type, principal_id, permission,
         created_at FROM access_grant WHERE resource_type = {kind} AND resource_id IN ({ids})"
    );
    for row in binds.query(&sql).fetch_all(&db.pool).await? {
        let grant = AccessGrant {
            id: row.try_get("id")?,
            resource_type: row.try_get("resource_type")?,
            resource_id: row.try_get("resource_id")?,
            principal_type: row.try_get("principal_type")?,
            principal_id: row.try_get("principal_id")?,
            permission: row.try_get("permission")?,
            created_at: row.try_get("created_at")?,
        };
        if let Some(grants) = found.get_mut(&grant.resource_id) {
            grants.push(grant);
        }
    }
    Ok(found)
}

/// Who is asking, as grants name principals: the user and the groups they are in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user's id.
    pub user_id: String,
    /// Their groups, inherited ones included.
    pub group_ids: Vec<String>,
}

/// SQL over `access_grant g`: a grant to everyone, to this user, or to one of their
/// groups.
pub fn principal_matches(binds: &mut Binds, principal: &Principal) -> String {
    let everyone = binds.add(EVERYONE);
    let user = binds.add(principal.user_id.as_str());
    let mut matches = format!(
        "(g.principal_type = 'user' AND g.principal_id IN ({everyone}, {user}))"
    );
    if !principal.group_ids.is_empty() {
        let groups = binds.list(principal.group_ids.iter().map(String::as_str));
        matches = format!(
            "({matches} OR (g.principal_type = 'group' AND g.principal_id IN ({groups})))"
        );
    }
    matches
}

/// Those of `resource_ids` on which a grant gives `principal` the `permission`.
///
/// # Errors
/// The database failed.
pub async fn accessible_ids(
    db: &Db,
    principal: &Principal,
    resource_type: &str,
    resource_ids: &[&str],
    permission: &str,
) -> Result<HashSet<String>, sqlx::Error> {
    if resource_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let mut binds = Binds::default();
    let kind = binds.add(resource_type);
    let ids = binds.list(resource_ids.iter().copied());
    let permission = binds.add(permission);
    let matches = principal_matches(&mut binds, principal);
    let sql = format!(
        "SELECT DISTINCT g.resource_id FROM access_grant g WHERE g.resource_type = {kind}
         AND g.resource_id IN ({ids}) AND g.permission = {permission} AND {matches}"
    );
    let rows = binds.query(&sql).fetch_all(&db.pool).await?;
    rows.iter().map(|row| row.try_get(0)).collect()
}

/// For a query over resources: a read grant gives `principal` the row whose id is
/// the SQL expression `resource_id`.
pub fn granted(
    binds: &mut Binds,
    resource_type: &str,
    resource_id: &str,
    principal: &Principal,
) -> String {
    let kind = binds.add(resource_type);
    let matches = principal_matches(binds, principal);
    format!(
        "EXISTS (SELECT g.id FROM access_grant g WHERE g.resource_type = {kind}
         AND g.resource_id = {resource_id} AND g.permission = 'read' AND {matches})"
    )
}
// --8<-- [end:read]

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Grant, normalize};

    fn grant(kind: &str, principal: &str, permission: &str) -> Grant {
        Grant {
            principal_type: kind.to_owned(),
            principal_id: principal.to_owned(),
            permission: permission.to_owned(),
        }
    }

    #[test]
    fn malformed_grants_are_dropped_and_repeats_kept_once() {
        let form = [
            json!({"principal_type": "user", "principal_id": "*", "permission": "read"}),
            json!({"principal_type": "group", "principal_id": "g1", "permission": "write"}),
            json!({"principal_type": "user", "principal_id": "*", "permission": "read", "id": "x"}),
            json!({"principal_type": "role", "principal_id": "u", "permission": "read"}),
            json!({"principal_type": "user", "principal_id": "", "permission": "read"}),
            json!({"principal_type": "user", "principal_id": 5, "permission": "read"}),
            json!({"principal_type": "user", "principal_id": "u", "permission": "admin"}),
            json!({"principal_type": "anyone", "principal_id": "*", "permission": "write"}),
            json!({"principal_type": "anyone", "principal_id": "*", "permission": "read"}),
            json!("user:*"),
        ];
        assert_eq!(
            normalize(&form),
            [
                grant("user", "*", "read"),
                grant("group", "g1", "write"),
                grant("anyone", "*", "read"),
            ]
        );
        assert!(grant("user", "*", "read").is_public());
        assert!(!grant("anyone", "*", "read").is_public());
    }
}

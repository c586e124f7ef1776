//! Upstream's `config` table: one row per setting, the value as JSON.
//!
//! Open WebUI seeds these rows from the environment on its first start and reads the
//! database afterwards, so an admin's change survives a restart and env changes do not
//! override it. Sharing the table is how this backend and Open WebUI agree on, say,
//! whether signup is open.

use std::collections::HashMap;

use serde_json::{Value, json};
use sqlx::Row;

use crate::env::Settings;
use crate::internal::db::{Db, Table, from_json_text, json_text};
use crate::utils::misc::now;

/// Upstream's default `user.permissions`: the Python twin's file, read at build time.
const DEFAULT_PERMISSIONS: &str =
    include_str!("../../../python-backend/reference_backend/default_permissions.json");

/// `config`: a key and its JSON value.
pub const TABLE: Table = Table {
    name: "config",
    ddl: &[r#"CREATE TABLE config (
	"key" TEXT NOT NULL,
	value JSON NOT NULL,
	updated_at BIGINT,
	PRIMARY KEY ("key")
)"#],
};

// --8<-- [start:defaults]
/// The keys this slice reads, with the values a first start seeds.
///
/// # Panics
/// Never: the permissions file is checked by the tests.
#[must_use]
pub fn defaults(settings: &Settings) -> Vec<(&'static str, Value)> {
    let permissions: Value = serde_json::from_str(DEFAULT_PERMISSIONS)
        .expect("the permissions file is JSON");
    vec![
        ("ui.enable_signup", json!(settings.enable_signup)),
        ("ui.enable_login_form", json!(true)),
        ("ui.default_user_role", json!(settings.default_user_role)),
        ("auth.jwt_expiry", json!(settings.jwt_expires_in)),
        ("auth.enable_api_keys", json!(settings.enable_api_keys)),
        ("auth.admin.show", json!(true)),
        ("user.permissions", permissions),
        ("openai.enable", json!(settings.openai.enable)),
        ("openai.api_base_urls", json!(settings.openai.base_urls)),
        ("openai.api_keys", json!(settings.openai.keys)),
        (
            "openai.api_configs",
            Value::Object(settings.openai.configs.clone()),
        ),
    ]
}
// --8<-- [end:defaults]

// --8<-- [start:seed]
/// Insert the keys that are missing; a value already stored wins over the env.
///
/// # Errors
/// The database failed.
pub async fn seed(db: &Db, settings: &Settings) -> Result<(), sqlx::Error> {
    let defaults = defaults(settings);
    let keys: Vec<&str> = defaults.iter().map(|(key, _)| *key).collect();
    let sql = format!(
        r#"SELECT "key" FROM config WHERE "key" IN ({})"#,
        placeholders(keys.len())
    );
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for key in &keys {
        query = query.bind(*key);
    }
    let present = query.fetch_all(&db.pool).await?;
    let missing: Vec<_> = defaults
        .into_iter()
        .filter(|(key, _)| !present.iter().any(|p| p == key))
        .collect();
    upsert(db, &missing).await
}
// --8<-- [end:seed]

/// The value stored under `key`, or `None`.
///
/// # Errors
/// The database failed.
pub async fn get(db: &Db, key: &str) -> Result<Option<Value>, sqlx::Error> {
    Ok(get_many(db, &[key]).await?.remove(key).flatten())
}

/// `$1, $2, …` for `count` values: an `IN` list of bound values.
fn placeholders(count: usize) -> String {
    let each: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
    each.join(", ")
}

/// The values of `keys`; a missing key maps to `None`.
///
/// Only the rows of `keys` are read: Open WebUI keeps a row per setting, hundreds of
/// them, and the requests that read a few run on every page.
///
/// # Errors
/// The database failed.
pub async fn get_many(
    db: &Db,
    keys: &[&str],
) -> Result<HashMap<String, Option<Value>>, sqlx::Error> {
    let mut found: HashMap<String, Option<Value>> =
        keys.iter().map(|key| ((*key).to_owned(), None)).collect();
    if keys.is_empty() {
        return Ok(found);
    }
    let sql = format!(
        r#"SELECT "key", CAST(value AS TEXT) AS value FROM config
           WHERE "key" IN ({})"#,
        placeholders(keys.len())
    );
    let mut query = sqlx::query(&sql);
    for key in keys {
        query = query.bind(*key);
    }
    for row in query.fetch_all(&db.pool).await? {
        let key: String = row.try_get("key")?;
        if let Some(slot) = found.get_mut(&key) {
            *slot =
                from_json_text(row.try_get::<Option<String>, _>("value")?.as_deref());
        }
    }
    Ok(found)
}

/// Store each value under its key, inserting or replacing, in one transaction.
///
/// # Errors
/// The database failed; nothing was stored.
pub async fn upsert(db: &Db, values: &[(&str, Value)]) -> Result<(), sqlx::Error> {
    let sql = format!(
        r#"INSERT INTO config ("key", value, updated_at) VALUES ($1, {}, $3)
           ON CONFLICT ("key") DO UPDATE SET value = excluded.value,
           updated_at = excluded.updated_at"#,
        db.json(2)
    );
    let now = now();
    let mut tx = db.pool.begin().await?;
    for (key, value) in values {
        sqlx::query(&sql)
            .bind(*key)
            .bind(json_text(value))
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

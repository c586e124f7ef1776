//! Upstream's `model_history` table: every configuration a workspace model had.
//!
//! `model.version_id` names the entry the model currently runs. Writing the entries
//! too lets Open WebUI show and restore versions of models created here.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::internal::db::{Db, Table, json_text};
use crate::models::users::Tx;
use crate::utils::misc::now;

/// `model_history`: one row per saved version of a model.
pub const TABLE: Table = Table {
    name: "model_history",
    ddl: &[
        "CREATE TABLE model_history (
	id TEXT NOT NULL,
	model_id TEXT NOT NULL,
	parent_id TEXT,
	snapshot JSON NOT NULL,
	user_id TEXT NOT NULL,
	commit_message TEXT,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (id)
)",
        "CREATE INDEX ix_model_history_model_id ON model_history (model_id)",
    ],
};

/// The versioned part of a model's columns; visibility is not a version of its own.
#[must_use]
pub fn snapshot(data: &Value) -> Value {
    let object = |key: &str| match data.get(key) {
        Some(Value::Object(object)) => object.clone(),
        _ => Map::new(),
    };
    let mut meta = object("meta");
    meta.retain(|key, _| key != "hidden" && key != "chat_variables_schema");
    json!({
        "name": data.get("name"),
        "base_model_id": data.get("base_model_id"),
        "params": object("params"),
        "meta": meta,
    })
}

/// Add a history entry for `data` in the caller's transaction; its id.
///
/// # Errors
/// The database failed; the caller's transaction should be dropped.
pub async fn add_entry(
    db: &Db,
    tx: &mut Tx<'_>,
    model_id: &str,
    data: &Value,
    user_id: &str,
    parent_id: Option<&str>,
    commit_message: Option<&str>,
) -> Result<String, sqlx::Error> {
    let id = Uuid::new_v4().to_string();
    let sql = format!(
        "INSERT INTO model_history
         (id, model_id, parent_id, snapshot, user_id, commit_message, created_at)
         VALUES ($1, $2, $3, {}, $5, $6, $7)",
        db.json(4)
    );
    sqlx::query(&sql)
        .bind(&id)
        .bind(model_id)
        .bind(parent_id)
        .bind(json_text(&snapshot(data)))
        .bind(user_id)
        .bind(commit_message)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::snapshot;

    #[test]
    fn a_snapshot_leaves_out_visibility_and_the_variables_schema() {
        let data = json!({
            "id": "team/a",
            "name": "A",
            "base_model_id": null,
            "is_active": false,
            "params": {"temperature": 0.2},
            "meta": {"hidden": true, "chat_variables_schema": {}, "description": "d"},
        });
        let expected = json!({
            "name": "A",
            "base_model_id": null,
            "params": {"temperature": 0.2},
            "meta": {"description": "d"},
        });
        assert_eq!(snapshot(&data), expected);
        let empty =
            json!({"name": null, "base_model_id": null, "params": {}, "meta": {}});
        assert_eq!(snapshot(&json!({})), empty);
    }
}

//! Upstream's `model_history` table: a snapshot of a model at each save.

use crate::internal::db::Table;

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

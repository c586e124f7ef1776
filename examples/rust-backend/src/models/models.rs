//! Upstream's `model` table: the model presets users and admins make.

use crate::internal::db::Table;

/// `model`: `params` and `meta` are JSON kept in TEXT columns.
pub const TABLE: Table = Table {
    name: "model",
    ddl: &["CREATE TABLE model (
	id TEXT NOT NULL,
	user_id TEXT,
	base_model_id TEXT,
	name TEXT,
	params TEXT,
	meta TEXT,
	updated_at BIGINT,
	created_at BIGINT,
	is_active BOOLEAN DEFAULT {true} NOT NULL,
	version_id TEXT,
	PRIMARY KEY (id)
)"],
};

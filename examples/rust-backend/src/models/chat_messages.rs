//! Upstream's `chat_message` table: one row per message of a chat's tree.

use crate::internal::db::Table;

/// `chat_message`: the messages of every chat, one row each, for search and stats.
pub const TABLE: Table = Table {
    name: "chat_message",
    ddl: &[
        "CREATE TABLE chat_message (
	id TEXT NOT NULL,
	chat_id TEXT NOT NULL,
	user_id TEXT,
	role TEXT NOT NULL,
	parent_id TEXT,
	content JSON,
	output JSON,
	model_id TEXT,
	files JSON,
	sources JSON,
	embeds JSON,
	done BOOLEAN,
	status_history JSON,
	error JSON,
	usage JSON,
	created_at BIGINT,
	updated_at BIGINT,
	context_summary TEXT,
	meta JSON,
	PRIMARY KEY (id),
	FOREIGN KEY(chat_id) REFERENCES chat (id) ON DELETE CASCADE
)",
        "CREATE INDEX ix_chat_message_chat_id ON chat_message (chat_id)",
        "CREATE INDEX ix_chat_message_model_id ON chat_message (model_id)",
        "CREATE INDEX chat_message_chat_role_done_idx ON chat_message (chat_id, role, done)",
        "CREATE INDEX chat_message_chat_parent_idx ON chat_message (chat_id, parent_id)",
        "CREATE INDEX chat_message_user_created_idx ON chat_message (user_id, created_at)",
        "CREATE INDEX chat_message_model_created_idx ON chat_message (model_id, created_at)",
        "CREATE INDEX ix_chat_message_created_at ON chat_message (created_at)",
        "CREATE INDEX ix_chat_message_user_id ON chat_message (user_id)",
    ],
};

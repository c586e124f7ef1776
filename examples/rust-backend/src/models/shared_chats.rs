//! Upstream's `shared_chat` table: the snapshot a share link shows.

use crate::internal::db::Table;

/// `shared_chat`: a copy of the chat as it was when it was shared.
pub const TABLE: Table = Table {
    name: "shared_chat",
    ddl: &["CREATE TABLE shared_chat (
	id TEXT NOT NULL,
	chat_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	title TEXT,
	chat JSON,
	created_at BIGINT,
	updated_at BIGINT,
	PRIMARY KEY (id),
	FOREIGN KEY(chat_id) REFERENCES chat (id) ON DELETE CASCADE
)"],
};

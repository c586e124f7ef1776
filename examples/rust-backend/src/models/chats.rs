//! Upstream's `chat` table, the chat payloads the API returns, and their queries.

use crate::internal::db::Table;
use crate::models::users::Tx;

// --8<-- [start:table]
/// `chat`: one JSON document per conversation, with the columns lists filter on.
pub const TABLE: Table = Table {
    name: "chat",
    ddl: &[
        "CREATE TABLE chat (
	id VARCHAR NOT NULL,
	user_id VARCHAR,
	title TEXT,
	created_at BIGINT,
	updated_at BIGINT,
	share_id TEXT,
	archived BOOLEAN,
	chat JSON,
	pinned BOOLEAN,
	meta JSON DEFAULT '{}' NOT NULL,
	folder_id TEXT,
	tasks JSON,
	summary TEXT,
	last_read_at BIGINT,
	current_message_id TEXT,
	variables JSON,
	timer_at BIGINT,
	PRIMARY KEY (id),
	UNIQUE (share_id)
)",
        "CREATE INDEX user_id_folder_unread_idx ON chat \
         (user_id, folder_id, archived, updated_at, last_read_at, id)",
        "CREATE INDEX folder_id_idx ON chat (folder_id)",
        "CREATE INDEX timer_at_idx ON chat (timer_at) WHERE timer_at IS NOT NULL",
        "CREATE INDEX user_id_pinned_idx ON chat (user_id, pinned)",
        "CREATE INDEX user_id_archived_idx ON chat (user_id, archived)",
        "CREATE INDEX updated_at_user_id_idx ON chat (updated_at, user_id)",
        "CREATE INDEX user_id_updated_at_id_idx ON chat (user_id, updated_at DESC, id)",
        "CREATE INDEX folder_id_user_id_idx ON chat (folder_id, user_id)",
        "CREATE INDEX user_id_timer_at_idx ON chat (user_id, timer_at) \
         WHERE timer_at IS NOT NULL",
    ],
};
// --8<-- [end:table]

// --8<-- [start:delete]
/// Remove everything chat-related a user owns, inside the caller's transaction.
///
/// SQLite enforces no foreign keys unless asked, so the dependent rows are deleted
/// explicitly instead of relying on ON DELETE CASCADE.
///
/// # Errors
/// The database failed.
pub async fn delete_user_chat_rows(tx: &mut Tx<'_>, user_id: &str) -> Result<(), sqlx::Error> {
    for sql in [
        "DELETE FROM shared_chat WHERE user_id = $1",
        "DELETE FROM chat_message WHERE chat_id IN (SELECT id FROM chat WHERE user_id = $1)",
        "DELETE FROM chat WHERE user_id = $1",
    ] {
        sqlx::query(sql).bind(user_id).execute(&mut **tx).await?;
    }
    Ok(())
}
// --8<-- [end:delete]

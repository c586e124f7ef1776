//! Upstream's `shared_chat` table: frozen copies of chats behind share links.
//!
//! A share link shows the chat as it was when shared, not as it is now, so sharing
//! copies the chat; sharing again refreshes the copy under the same link.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::internal::db::{Db, Table, from_json_text, json_text};
use crate::models::chats::ChatResponse;
use crate::models::users::Tx;
use crate::utils::misc::now;

// --8<-- [start:table]
/// `shared_chat`: a copy of the chat as it was when it was shared. Its id is the
/// share token in `/s/{id}` links; the chat's `share_id` points here.
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
// --8<-- [end:table]

/// A `shared_chat` row.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedChat {
    /// The share token.
    pub id: String,
    /// The chat it copies.
    pub chat_id: String,
    /// Who shared it.
    pub user_id: String,
    /// The chat's title when shared.
    pub title: String,
    /// The chat's document when shared, with its `share_mode`.
    pub chat: Map<String, Value>,
    /// Seconds since the epoch.
    pub created_at: i64,
    /// Seconds since the epoch: the last time it was shared again.
    pub updated_at: i64,
}

impl SharedChat {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let chat = from_json_text(row.try_get::<Option<String>, _>("chat")?.as_deref());
        Ok(Self {
            id: row.try_get("id")?,
            chat_id: row.try_get("chat_id")?,
            user_id: row.try_get("user_id")?,
            title: row
                .try_get::<Option<String>, _>("title")?
                .unwrap_or_default(),
            chat: match chat {
                Some(Value::Object(chat)) => chat,
                _ => Map::new(),
            },
            created_at: row.try_get::<Option<i64>, _>("created_at")?.unwrap_or(0),
            updated_at: row.try_get::<Option<i64>, _>("updated_at")?.unwrap_or(0),
        })
    }
}

// --8<-- [start:share-form]
/// How readers of a share link may use it.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ShareMode {
    /// Readers with access carry on the live chat, not the copy.
    Continue,
}

/// `ShareChatForm`: the body of a share, which may be left out.
#[derive(Debug, Default, Deserialize)]
pub struct ShareChatForm {
    /// `Some` when the form sets it, even to null: only then does sharing again
    /// change the mode.
    #[serde(default, deserialize_with = "crate::extract::sent")]
    #[allow(
        clippy::option_option,
        reason = "absent and null mean different things"
    )]
    pub share_mode: Option<Option<ShareMode>>,
}
// --8<-- [end:share-form]

/// The snapshot behind this share token.
///
/// # Errors
/// The database failed.
pub async fn get_shared_chat(
    db: &Db,
    share_id: &str,
) -> Result<Option<SharedChat>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, chat_id, user_id, title, CAST(chat AS TEXT) AS chat, created_at,
           updated_at
         FROM shared_chat WHERE id = $1",
    )
    .bind(share_id)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(SharedChat::from_row).transpose()
}

/// Snapshot `chat` under a new token, in the caller's transaction; the token.
///
/// # Errors
/// The database failed.
pub async fn create_shared_chat(
    db: &Db,
    tx: &mut Tx<'_>,
    chat: &ChatResponse,
    user_id: &str,
    share_mode: Option<ShareMode>,
) -> Result<String, sqlx::Error> {
    let now = now();
    let id = Uuid::new_v4().to_string();
    let mut snapshot = chat.chat.clone();
    snapshot.insert("share_mode".to_owned(), json!(share_mode));
    let sql = format!(
        "INSERT INTO shared_chat (id, chat_id, user_id, title, chat, created_at, updated_at)
         VALUES ($1, $2, $3, $4, {}, $6, $6)",
        db.json(5)
    );
    sqlx::query(&sql)
        .bind(&id)
        .bind(&chat.id)
        .bind(user_id)
        .bind(&chat.title)
        .bind(json_text(&Value::Object(snapshot)))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

// --8<-- [start:refresh]
/// Copy the chat again; the share mode changes only when the form sets it.
///
/// # Errors
/// The database failed.
pub async fn refresh_shared_chat(
    db: &Db,
    shared: &SharedChat,
    chat: &ChatResponse,
    form: Option<&ShareChatForm>,
) -> Result<(), sqlx::Error> {
    let kept = shared
        .chat
        .get("share_mode")
        .cloned()
        .unwrap_or(Value::Null);
    let mode = match form.and_then(|form| form.share_mode) {
        Some(mode) => json!(mode),
        None => kept,
    };
    let mut snapshot = chat.chat.clone();
    snapshot.insert("share_mode".to_owned(), mode);
    let sql = format!(
        "UPDATE shared_chat SET title = $1, chat = {}, updated_at = $3 WHERE id = $4",
        db.json(2)
    );
    sqlx::query(&sql)
        .bind(&chat.title)
        .bind(json_text(&Value::Object(snapshot)))
        .bind(now())
        .bind(&shared.id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
// --8<-- [end:refresh]

/// Remove every snapshot of the chat: its links stop working.
///
/// # Errors
/// The database failed.
pub async fn delete_shared_chats(db: &Db, chat_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM shared_chat WHERE chat_id = $1")
        .bind(chat_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

//! Upstream's `chat` table, the chat payloads the API returns, and their queries.
//!
//! A chat is one JSON document (`chat.chat`) holding the title, the message tree in
//! `history` and, from older clients, a flat `messages` list. Columns beside it hold
//! what lists filter and sort on.
//!
//! The tree functions refuse a document wherever the Python twin raises `TypeError`
//! on it, so both twins answer a malformed chat with the same 400.

use std::collections::{HashMap, HashSet};

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::constants;
use crate::errors::ApiError;
use crate::internal::db::{Db, Dialect, Table, from_json_text, json_text, one_page};
use crate::models::chat_messages::upsert_message as upsert_message_row;
use crate::models::users::Tx;
use crate::utils::misc::now;
use crate::utils::misc::{json_equal, truthy};

/// Upstream's page size for the chat lists.
pub const CHATS_PER_PAGE: i64 = 60;
/// The title of a chat whose document names none.
pub const DEFAULT_TITLE: &str = "New Chat";

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

/// The columns of a [`ChatResponse`], JSON and BOOLEAN read through casts.
const CHAT_COLUMNS: &str = "id, user_id, title, CAST(chat AS TEXT) AS chat, updated_at, \
    created_at, share_id, CAST(archived AS INTEGER) AS archived, \
    CAST(pinned AS INTEGER) AS pinned, CAST(meta AS TEXT) AS meta, \
    CAST(variables AS TEXT) AS variables, folder_id, CAST(tasks AS TEXT) AS tasks, \
    summary, current_message_id";

/// Every column of `chat`: an archive sort may name any of them, and nothing else.
const COLUMNS: [&str; 17] = [
    "id",
    "user_id",
    "title",
    "created_at",
    "updated_at",
    "share_id",
    "archived",
    "chat",
    "pinned",
    "meta",
    "folder_id",
    "tasks",
    "summary",
    "last_read_at",
    "current_message_id",
    "variables",
    "timer_at",
];

/// `Chat.meta[key]` as `SQLAlchemy` writes it for each engine, so both twins read a
/// stored key alike.
fn meta_key(db: &Db, key: &str) -> String {
    match db.dialect {
        Dialect::Sqlite => format!(r#"JSON_EXTRACT(meta, '$."{key}"')"#),
        Dialect::Postgres => format!("(meta ->> '{key}')"),
    }
}

/// `Chat.meta["internal"].as_boolean() IS [NOT] true`. Chats other features create
/// for themselves (note assistants, sub-agents) carry the flag; no list shows them.
fn internal(db: &Db, is: &str) -> String {
    let true_literal = match db.dialect {
        Dialect::Sqlite => "1",
        Dialect::Postgres => "true",
    };
    format!(
        "CAST({} AS BOOLEAN) {is} {true_literal}",
        meta_key(db, "internal")
    )
}

/// Why a chat could not be read or stored.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The request does not fit: a document of the wrong shape, where the Python twin
    /// raises `TypeError` or `ValueError`, or an archive sort on no column.
    #[error("the chat or its query is malformed")]
    Invalid,
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<ChatError> for ApiError {
    /// Upstream's catch-all 400 for a malformed chat; a database failure stays a 500.
    fn from(error: ChatError) -> Self {
        match error {
            ChatError::Invalid => {
                ApiError::new(StatusCode::BAD_REQUEST, constants::DEFAULT)
            }
            ChatError::Database(error) => error.into(),
        }
    }
}

// --8<-- [start:payloads]
/// `ChatForm`: a new chat, or the top-level keys to merge into a stored one.
#[derive(Debug, Deserialize)]
pub struct ChatForm {
    /// The document, or the keys of it that changed.
    pub chat: Map<String, Value>,
    /// The owner's prompt variables; `None` leaves the stored ones.
    pub variables: Option<Map<String, Value>>,
    /// A folder; this backend has none, so any id is refused.
    pub folder_id: Option<String>,
}

/// A `chat` row as the API returns it; `last_read_at` and `timer_at` stay out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChatResponse {
    /// A UUID.
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// The document's title, kept in a column for the lists.
    pub title: String,
    /// The document: title, `history` tree, flat `messages`, whatever else clients keep.
    pub chat: Map<String, Value>,
    /// Seconds since the epoch; a title-only edit leaves it.
    pub updated_at: i64,
    /// Seconds since the epoch.
    pub created_at: i64,
    /// The `shared_chat` snapshot behind the chat's share link.
    pub share_id: Option<String>,
    /// Archived chats leave every list but the archive.
    pub archived: bool,
    /// Pinned chats have their own list.
    pub pinned: Option<bool>,
    /// Flags other features set, such as `internal`.
    pub meta: Map<String, Value>,
    /// The owner's prompt variables; anything but an object reads as `{}`.
    pub variables: Map<String, Value>,
    /// Always `None` here: this backend has no folders.
    pub folder_id: Option<String>,
    /// Background tasks upstream runs; this backend runs none.
    pub tasks: Option<Value>,
    /// A summary upstream writes; this backend writes none.
    pub summary: Option<String>,
    /// The message the conversation is at, for lists that show a snippet.
    pub current_message_id: Option<String>,
    /// Filled only when context compaction is on, which this backend does not do.
    pub context_usage: Option<Value>,
}

/// A chat in a sidebar list: no messages, so a long history costs nothing.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChatTitleIdResponse {
    /// The chat's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Seconds since the epoch.
    pub updated_at: i64,
    /// Seconds since the epoch.
    pub created_at: i64,
    /// When the owner last opened it; the archive leaves it out.
    pub last_read_at: Option<i64>,
    /// Never filled by this backend.
    pub snippet: Option<String>,
    /// True while a reply streams; this backend runs no models, so never.
    pub active: bool,
    /// Always false, in the archive too, as upstream's items say.
    pub archived: bool,
}
// --8<-- [end:payloads]

impl ChatResponse {
    /// A row as the API shows it; a JSON column that is not an object reads as `{}`.
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let json = |name: &str| -> Result<Option<Value>, sqlx::Error> {
            Ok(from_json_text(
                row.try_get::<Option<String>, _>(name)?.as_deref(),
            ))
        };
        let object = |name: &str| -> Result<Map<String, Value>, sqlx::Error> {
            Ok(match json(name)? {
                Some(Value::Object(map)) => map,
                _ => Map::new(),
            })
        };
        let flag = |name: &str| -> Result<Option<bool>, sqlx::Error> {
            Ok(row.try_get::<Option<i64>, _>(name)?.map(|value| value != 0))
        };
        let number = |name: &str| -> Result<i64, sqlx::Error> {
            Ok(row.try_get::<Option<i64>, _>(name)?.unwrap_or(0))
        };
        Ok(Self {
            id: row.try_get("id")?,
            user_id: row
                .try_get::<Option<String>, _>("user_id")?
                .unwrap_or_default(),
            title: row
                .try_get::<Option<String>, _>("title")?
                .unwrap_or_default(),
            chat: object("chat")?,
            updated_at: number("updated_at")?,
            created_at: number("created_at")?,
            share_id: row.try_get("share_id")?,
            archived: flag("archived")?.unwrap_or(false),
            pinned: flag("pinned")?,
            meta: object("meta")?,
            variables: object("variables")?,
            folder_id: row.try_get("folder_id")?,
            tasks: json("tasks")?.filter(|tasks| !tasks.is_null()),
            summary: row.try_get("summary")?,
            current_message_id: row.try_get("current_message_id")?,
            context_usage: None,
        })
    }
}

/// The document's title, for the column the lists read.
///
/// # Errors
/// [`ChatError::Invalid`] when the title is not text, which upstream's response model
/// refuses.
pub fn title(chat: &Map<String, Value>) -> Result<String, ChatError> {
    match chat.get("title") {
        None => Ok(DEFAULT_TITLE.to_owned()),
        Some(Value::String(title)) => Ok(title.clone()),
        Some(_) => Err(ChatError::Invalid),
    }
}

/// The message the conversation is at: the tree's pointer, else the last one.
///
/// # Errors
/// [`ChatError::Invalid`] when the pointer is not text, which upstream's response
/// model refuses.
pub fn current_message_id(
    chat: &Map<String, Value>,
) -> Result<Option<String>, ChatError> {
    let history = chat.get("history").and_then(Value::as_object);
    let pointer = [
        history.and_then(|history| history.get("currentId")),
        chat.get("currentId"),
        chat.get("branchPointMessageId"),
    ]
    .into_iter()
    .flatten()
    .find(|pointer| truthy(pointer));
    let last = || {
        chat.get("messages")?
            .as_array()?
            .iter()
            .rev()
            .filter_map(Value::as_object)
            .find_map(|message| message.get("id").filter(|id| truthy(id)))
    };
    match pointer.or_else(last) {
        None => Ok(None),
        Some(Value::String(id)) => Ok(Some(id.clone())),
        Some(_) => Err(ChatError::Invalid),
    }
}

/// The tree's messages and the flat list's, as the objects in `chat`.
///
/// # Errors
/// [`ChatError::Invalid`] when `history` is not an object, or a message list or
/// message is not the shape upstream reads; then nothing was changed.
pub fn all_messages(
    chat: &mut Map<String, Value>,
) -> Result<Vec<&mut Map<String, Value>>, ChatError> {
    let mut tree: Vec<&mut Value> = Vec::new();
    let mut flat: Vec<&mut Value> = Vec::new();
    // One pass over the entries lends out the tree and the list at the same time.
    for (key, value) in chat.iter_mut() {
        match (key.as_str(), value) {
            ("history", Value::Object(history)) => match history.get_mut("messages") {
                Some(Value::Object(messages)) => tree.extend(messages.values_mut()),
                Some(messages) if truthy(messages) => return Err(ChatError::Invalid),
                _ => {}
            },
            ("history", _) => return Err(ChatError::Invalid),
            ("messages", Value::Array(messages)) => flat.extend(messages.iter_mut()),
            ("messages", messages) if truthy(messages) => {
                return Err(ChatError::Invalid);
            }
            _ => {}
        }
    }
    // The tree's first, as the Python twin lists them: a later author's name wins.
    let mut found = tree;
    found.append(&mut flat);
    if found.iter().any(|message| !message.is_object()) {
        return Err(ChatError::Invalid);
    }
    Ok(found.into_iter().filter_map(Value::as_object_mut).collect())
}

// --8<-- [start:repair]
/// Follow the newest well-formed child links down to a leaf.
#[must_use]
pub fn last_descendant(messages: &Map<String, Value>, message_id: &str) -> String {
    let mut seen = HashSet::new();
    let mut current = message_id.to_owned();
    while let Some(message) = messages.get(&current) {
        if !seen.insert(current.clone()) {
            break;
        }
        let children = message.get("childrenIds").and_then(Value::as_array);
        let following = children
            .into_iter()
            .flatten()
            .rev()
            .filter_map(Value::as_str)
            .find(|child| {
                is_child(messages, child, &current) && !seen.contains(*child)
            });
        match following {
            Some(child) => current = child.to_owned(),
            None => break,
        }
    }
    current
}

fn is_child(messages: &Map<String, Value>, child_id: &str, parent_id: &str) -> bool {
    messages
        .get(child_id)
        .and_then(Value::as_object)
        .is_some_and(|child| {
            child.get("id").and_then(Value::as_str) == Some(child_id)
                && child.get("role").is_some_and(truthy)
                && child.get("parentId").and_then(Value::as_str) == Some(parent_id)
        })
}

/// Point `history.currentId` at a real leaf, as upstream does on every read.
///
/// Clients that crashed mid-reply can leave the pointer on a parent or on nothing;
/// the reader then sees the branch the user was on, not a truncated one.
pub fn repair_current_id(chat: &mut Map<String, Value>) {
    let Some(Value::Object(history)) = chat.get_mut("history") else {
        return;
    };
    let current_id = history
        .get("currentId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let Some(Value::Object(messages)) = history.get_mut("messages") else {
        return;
    };
    link_children(messages);
    let count = messages.len();
    let current = current_id.filter(|id| {
        messages
            .get(id)
            .and_then(Value::as_object)
            .is_some_and(|current| {
                current.get("id").is_some_and(truthy)
                    && current.get("role").is_some_and(truthy)
                    && !is_orphan_reply(current, count)
            })
    });
    let target = match current {
        Some(id) => Some(last_descendant(messages, &id)),
        None => newest_leaf(messages)
            .filter(|leaf| !leaf.is_empty())
            .map(str::to_owned),
    };
    if let Some(target) = target {
        history.insert("currentId".to_owned(), Value::String(target));
    }
}

/// Add each message to its parent's `childrenIds` where a write missed it.
pub fn link_children(messages: &mut Map<String, Value>) {
    let links: Vec<(String, String)> = messages
        .iter()
        .filter_map(|(id, message)| {
            let parent = message.get("parentId")?.as_str()?;
            (!parent.is_empty()).then(|| (id.clone(), parent.to_owned()))
        })
        .collect();
    for (id, parent_id) in links {
        let Some(Value::Object(parent)) = messages.get_mut(&parent_id) else {
            continue;
        };
        let children = parent.entry("childrenIds").or_insert_with(|| json!([]));
        if !children.is_array() {
            *children = json!([]);
        }
        if let Value::Array(children) = children {
            let id = Value::String(id);
            if !children.contains(&id) {
                children.push(id);
            }
        }
    }
}

/// An assistant output with no parent and no time: debris of a failed write.
#[must_use]
pub fn is_orphan_reply(message: &Map<String, Value>, count: usize) -> bool {
    let role = message
        .get("output")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .find_map(|item| item.get("role").filter(|role| truthy(role)));
    role.and_then(Value::as_str) == Some("assistant")
        && message.get("parentId").is_none_or(Value::is_null)
        && !message.get("timestamp").is_some_and(truthy)
        && count > 1
}

/// The leaf with the latest timestamp; the first of a tie.
#[must_use]
pub fn newest_leaf(messages: &Map<String, Value>) -> Option<&str> {
    let mut newest = None;
    let mut newest_time = -1.0;
    for (id, message) in messages {
        let Some(message) = message.as_object() else {
            continue;
        };
        if !message.get("role").is_some_and(truthy) {
            continue;
        }
        let children = message.get("childrenIds").and_then(Value::as_array);
        if children.is_some_and(|children| !children.is_empty()) {
            continue;
        }
        // Python's `timestamp or 0`, where `true` counts as 1 and text is no time.
        let stamp = match message.get("timestamp").filter(|stamp| truthy(stamp)) {
            None => Some(0.0),
            Some(Value::Bool(_)) => Some(1.0),
            Some(Value::Number(stamp)) => stamp.as_f64(),
            Some(_) => None,
        };
        if let Some(stamp) = stamp.filter(|stamp| *stamp > newest_time) {
            newest = Some(id.as_str());
            newest_time = stamp;
        }
    }
    newest
}
// --8<-- [end:repair]

/// `value or {}` where the value must then be an object: `.get` on anything else
/// raises in the Python twin.
fn object_or_empty(value: Option<&Value>) -> Result<Map<String, Value>, ChatError> {
    match value {
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(value) if truthy(value) => Err(ChatError::Invalid),
        _ => Ok(Map::new()),
    }
}

/// `key` when it names one of `messages`; a list or object cannot be a key at all.
fn named<'a>(
    messages: &Map<String, Value>,
    key: Option<&'a Value>,
) -> Result<Option<&'a str>, ChatError> {
    match key {
        Some(Value::Array(_) | Value::Object(_)) => Err(ChatError::Invalid),
        Some(Value::String(key)) if messages.contains_key(key) => Ok(Some(key)),
        _ => Ok(None),
    }
}

/// Union two message trees, rebuilding child links; `incoming` wins per message.
///
/// # Errors
/// [`ChatError::Invalid`] when a tree, its messages, a `parentId` or a `currentId` is
/// of a shape that cannot be merged.
pub fn merge_history(
    existing: Option<&Value>,
    incoming: Option<&Value>,
) -> Result<Map<String, Value>, ChatError> {
    let existing = object_or_empty(existing)?;
    let incoming = object_or_empty(incoming)?;
    let mut combined = object_or_empty(existing.get("messages"))?;
    combined.extend(object_or_empty(incoming.get("messages"))?);
    let mut messages: Map<String, Value> = combined
        .into_iter()
        .filter_map(|(id, message)| match message {
            Value::Object(mut message) => {
                message.insert("childrenIds".to_owned(), json!([]));
                Some((id, Value::Object(message)))
            }
            _ => None,
        })
        .collect();
    let mut links = Vec::new();
    for (id, message) in &messages {
        if let Some(parent_id) = named(&messages, message.get("parentId"))? {
            links.push((parent_id.to_owned(), id.clone()));
        }
    }
    for (parent_id, id) in links {
        let parent = messages.get_mut(&parent_id);
        if let Some(Value::Array(children)) =
            parent.and_then(|p| p.get_mut("childrenIds"))
        {
            children.push(Value::String(id));
        }
    }
    let current_id = match named(&messages, incoming.get("currentId"))? {
        Some(current_id) => Some(current_id),
        None => named(&messages, existing.get("currentId"))?,
    };
    let current_id = current_id.map_or(Value::Null, Value::from);
    let mut merged = existing.clone();
    merged.extend(incoming.clone());
    merged.insert("messages".to_owned(), Value::Object(messages));
    merged.insert("currentId".to_owned(), current_id);
    Ok(merged)
}

/// The chat with this id, whoever owns it.
///
/// # Errors
/// The database failed.
pub async fn get_chat(
    db: &Db,
    chat_id: &str,
) -> Result<Option<ChatResponse>, sqlx::Error> {
    let sql = format!("SELECT {CHAT_COLUMNS} FROM chat WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(chat_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(ChatResponse::from_row).transpose()
}

/// The chat with this id if `user_id` owns it.
///
/// # Errors
/// The database failed.
pub async fn get_user_chat(
    db: &Db,
    chat_id: &str,
    user_id: &str,
) -> Result<Option<ChatResponse>, sqlx::Error> {
    let chat = get_chat(db, chat_id).await?;
    Ok(chat.filter(|chat| chat.user_id == user_id))
}

/// The chat as a reader gets it, with the branch pointer repaired; nothing is stored.
#[must_use]
pub fn read_chat(mut chat: ChatResponse) -> ChatResponse {
    repair_current_id(&mut chat.chat);
    chat
}

// --8<-- [start:insert]
/// Store a new chat, then its messages as `chat_message` rows.
///
/// Like upstream, message rows that cannot be written are skipped: the chat itself
/// is already saved and stays the source of truth.
///
/// # Errors
/// [`ChatError::Invalid`] when the title or the current message is not text, before
/// anything is stored; the database failed.
pub async fn insert_new_chat(
    db: &Db,
    user_id: &str,
    form: ChatForm,
) -> Result<ChatResponse, ChatError> {
    let now = now();
    let chat = ChatResponse {
        id: Uuid::new_v4().to_string(),
        user_id: user_id.to_owned(),
        title: title(&form.chat)?,
        current_message_id: current_message_id(&form.chat)?,
        chat: form.chat,
        updated_at: now,
        created_at: now,
        share_id: None,
        archived: false,
        pinned: Some(false),
        meta: Map::new(),
        variables: form.variables.unwrap_or_default(),
        folder_id: form.folder_id,
        tasks: None,
        summary: None,
        context_usage: None,
    };
    let sql = format!(
        "INSERT INTO chat (id, user_id, title, chat, folder_id, meta, variables,
           current_message_id, created_at, updated_at, archived, pinned, last_read_at,
           timer_at, tasks, summary)
         VALUES ($1, $2, $3, {}, $5, {}, {}, $8, $9, $9, $10, $10, $9, $11, {}, $13)",
        db.json(4),
        db.json(6),
        db.json(7),
        db.json(12),
    );
    sqlx::query(&sql)
        .bind(&chat.id)
        .bind(&chat.user_id)
        .bind(&chat.title)
        .bind(json_text(&Value::Object(chat.chat.clone())))
        .bind(&chat.folder_id)
        .bind(json_text(&Value::Object(chat.meta.clone())))
        .bind(json_text(&Value::Object(chat.variables.clone())))
        .bind(&chat.current_message_id)
        .bind(now)
        .bind(false)
        .bind(None::<i64>)
        .bind(json_text(&Value::Null))
        .bind(None::<String>)
        .execute(&db.pool)
        .await?;
    if let Err(error) = insert_messages(db, &chat).await {
        tracing::warn!(%error, chat_id = %chat.id, "message rows of a new chat skipped");
    }
    Ok(chat)
}
// --8<-- [end:insert]

/// Index a new chat's messages, all or none.
async fn insert_messages(db: &Db, chat: &ChatResponse) -> Result<(), ChatError> {
    let messages = initial_messages(&chat.chat);
    if messages.is_empty() {
        return Ok(());
    }
    let mut tx = db.pool.begin().await?;
    for (message_id, message) in messages {
        upsert_message_row(db, &mut tx, &chat.id, &message_id, &chat.user_id, message)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The messages to index: the tree's, else the flat list's, with a role.
#[must_use]
pub fn initial_messages(
    chat: &Map<String, Value>,
) -> Vec<(String, &Map<String, Value>)> {
    let tree = chat
        .get("history")
        .and_then(Value::as_object)
        .and_then(|history| history.get("messages"))
        .and_then(Value::as_object);
    let mut messages: Vec<(String, &Value)> = tree
        .map(|tree| {
            tree.iter()
                .map(|(id, message)| (id.clone(), message))
                .collect()
        })
        .unwrap_or_default();
    let list = chat.get("messages").and_then(Value::as_array);
    // A dict built from the list: a repeated id keeps its place, the last one wins.
    let mut places: HashMap<String, usize> = HashMap::new();
    for message in list.filter(|_| messages.is_empty()).into_iter().flatten() {
        let Some(id) = message.get("id").filter(|id| truthy(id)) else {
            continue;
        };
        let id = id.as_str().map_or_else(|| id.to_string(), str::to_owned);
        if let Some(&place) = places.get(&id) {
            messages[place].1 = message;
        } else {
            places.insert(id.clone(), messages.len());
            messages.push((id, message));
        }
    }
    messages
        .into_iter()
        .filter_map(|(id, message)| {
            let message = message.as_object()?;
            message
                .get("role")
                .is_some_and(truthy)
                .then_some((id, message))
        })
        .collect()
}

// --8<-- [start:update]
/// Merge top-level keys into the chat; a `history` is merged message by message.
///
/// The client built its history from an earlier read, so a plain overwrite would
/// drop messages saved since. Messages by other people and replies still being
/// written keep their stored version. The chat and its message rows are written in
/// one transaction, and `chat` changes only once it committed.
///
/// # Errors
/// [`ChatError::Invalid`] for a document that cannot be merged, before anything is
/// written; the database failed, and nothing was written.
pub async fn update_chat(
    db: &Db,
    chat: &mut ChatResponse,
    changes: &Map<String, Value>,
    touch: bool,
) -> Result<(), ChatError> {
    let stored = &chat.chat;
    let updated = updated_document(stored, changes, &chat.user_id)?;
    let title = title(&updated)?;
    let pointer_keys = ["history", "messages", "currentId", "branchPointMessageId"];
    let current_message_id =
        if pointer_keys.iter().any(|key| changes.contains_key(*key)) {
            current_message_id(&updated)?
        } else {
            chat.current_message_id.clone()
        };
    let updated_at = if touch { now() } else { chat.updated_at };
    let rows = changed_messages(stored, changes, &updated, &chat.user_id)?;
    let mut tx = db.pool.begin().await?;
    let sql = format!(
        "UPDATE chat SET chat = {}, title = $2, current_message_id = $3, updated_at = $4
         WHERE id = $5",
        db.json(1)
    );
    sqlx::query(&sql)
        .bind(json_text(&Value::Object(updated.clone())))
        .bind(&title)
        .bind(&current_message_id)
        .bind(updated_at)
        .bind(&chat.id)
        .execute(&mut *tx)
        .await?;
    for (message_id, user_id, message) in rows {
        upsert_message_row(db, &mut tx, &chat.id, message_id, user_id, message).await?;
    }
    tx.commit().await?;
    chat.chat = updated;
    chat.title = title;
    chat.current_message_id = current_message_id;
    chat.updated_at = updated_at;
    Ok(())
}
// --8<-- [end:update]

// --8<-- [start:upsert-message]
/// The text of a reply's output items: each message item's text parts, joined.
#[must_use]
pub fn output_text(output: Option<&Value>) -> String {
    let Some(Value::Array(items)) = output else {
        return String::new();
    };
    let texts: Vec<String> = items
        .iter()
        .filter(|item| item.get("type") == Some(&json!("message")))
        .filter_map(|item| item.get("content")?.as_array())
        .map(|parts| {
            parts
                .iter()
                .filter_map(|part| part.get("text"))
                .filter(|text| !text.is_null())
                .map(|text| {
                    text.as_str()
                        .map_or_else(|| text.to_string(), str::to_owned)
                })
                .collect::<String>()
        })
        .filter(|text| !text.trim().is_empty())
        .collect();
    texts.join("\n")
}

/// Write `message` into the tree under `message_id`: merged into the stored message,
/// or added as a new one, linked to its parent, with a role and a time, and made
/// the conversation's current message. Returns the message as stored.
pub fn put_in_history(
    history: &mut Map<String, Value>,
    message_id: &str,
    message: Map<String, Value>,
) -> Map<String, Value> {
    let messages = history.entry("messages").or_insert_with(|| json!({}));
    if !messages.is_object() {
        *messages = json!({});
    }
    let Value::Object(messages) = messages else {
        return message;
    };
    if let Some(Value::Object(stored)) = messages.get_mut(message_id) {
        stored.extend(message);
    } else {
        let sent_parent = message
            .get("parentId")
            .filter(|parent| !parent.is_null())
            .cloned();
        // A message the tree already lists as a child belongs under that parent.
        let parent_id = sent_parent.clone().or_else(|| {
            messages
                .iter()
                .find(|(_, stored)| {
                    stored
                        .get("childrenIds")
                        .and_then(Value::as_array)
                        .is_some_and(|children| children.contains(&json!(message_id)))
                })
                .map(|(id, _)| json!(id))
        });
        let output_role = message
            .get("output")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find_map(|item| item.get("role").filter(|role| truthy(role)))
            .cloned();
        let role = message
            .get("role")
            .filter(|role| truthy(role))
            .cloned()
            .or(output_role)
            .unwrap_or_else(|| {
                let parent_role = parent_id
                    .as_ref()
                    .and_then(Value::as_str)
                    .and_then(|parent| messages.get(parent))
                    .and_then(|parent| parent.get("role"));
                json!(if parent_role == Some(&json!("assistant")) {
                    "user"
                } else {
                    "assistant"
                })
            });
        let mut stored = message;
        if !stored.get("id").is_some_and(truthy) {
            stored.insert("id".into(), json!(message_id));
        }
        stored.insert("parentId".into(), parent_id.unwrap_or(Value::Null));
        if !stored.get("childrenIds").is_some_and(Value::is_array) {
            stored.insert("childrenIds".into(), json!([]));
        }
        stored.insert("role".into(), role);
        if !stored.get("timestamp").is_some_and(truthy) {
            stored.insert("timestamp".into(), json!(now()));
        }
        messages.insert(message_id.to_owned(), Value::Object(stored));
        history.insert("currentId".into(), json!(message_id));
    }
    let Some(Value::Object(messages)) = history.get_mut("messages") else {
        return Map::new();
    };
    link_children(messages);
    messages
        .get(message_id)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// Store one message of a chat: the document's tree and its `chat_message` row, in
/// one transaction. The text of an `output` fills an empty `content`. `None` when
/// the chat does not exist.
///
/// # Errors
/// [`ChatError::Invalid`] for a document that cannot take the message; the database
/// failed. Either way nothing was written.
pub async fn save_message(
    db: &Db,
    chat_id: &str,
    message_id: &str,
    mut message: Map<String, Value>,
) -> Result<Option<ChatResponse>, ChatError> {
    if !message.get("content").is_some_and(truthy) {
        let text = output_text(message.get("output"));
        if !text.is_empty() {
            message.insert("content".into(), json!(text));
        }
    }
    let mut tx = db.pool.begin().await?;
    let Some(mut chat) = locked_chat(&mut tx, chat_id).await? else {
        return Ok(None);
    };
    repair_current_id(&mut chat.chat);
    let mut history = match chat.chat.remove("history") {
        Some(Value::Object(history)) => history,
        _ => Map::new(),
    };
    let saved = put_in_history(&mut history, message_id, message);
    chat.chat.insert("history".into(), Value::Object(history));
    chat.title = title(&chat.chat)?;
    chat.current_message_id = current_message_id(&chat.chat)?;
    chat.updated_at = now();
    let author = saved
        .get("user_id")
        .and_then(Value::as_str)
        .filter(|author| !author.is_empty())
        .unwrap_or(&chat.user_id)
        .to_owned();
    store(db, &mut tx, &chat, &[(message_id, author.as_str(), &saved)]).await?;
    tx.commit().await?;
    Ok(Some(chat))
}

/// The chat, read in `tx` once its row is locked for writing: two replies that end
/// at once are written one after the other, and neither loses the other's message.
async fn locked_chat(
    tx: &mut Tx<'_>,
    chat_id: &str,
) -> Result<Option<ChatResponse>, sqlx::Error> {
    // A write takes the lock on both engines; SQLite has no `FOR UPDATE`.
    sqlx::query("UPDATE chat SET id = id WHERE id = $1")
        .bind(chat_id)
        .execute(&mut **tx)
        .await?;
    let sql = format!("SELECT {CHAT_COLUMNS} FROM chat WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(chat_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(ChatResponse::from_row).transpose()
}

/// Write the chat's document and pointer, and these messages' rows, in `tx`.
async fn store(
    db: &Db,
    tx: &mut Tx<'_>,
    chat: &ChatResponse,
    rows: &[(&str, &str, &Map<String, Value>)],
) -> Result<(), ChatError> {
    let sql = format!(
        "UPDATE chat SET chat = {}, title = $2, current_message_id = $3, updated_at = $4
         WHERE id = $5",
        db.json(1)
    );
    sqlx::query(&sql)
        .bind(json_text(&Value::Object(chat.chat.clone())))
        .bind(&chat.title)
        .bind(&chat.current_message_id)
        .bind(chat.updated_at)
        .bind(&chat.id)
        .execute(&mut **tx)
        .await?;
    for (message_id, author, message) in rows {
        upsert_message_row(db, tx, &chat.id, message_id, author, message).await?;
    }
    Ok(())
}
// --8<-- [end:upsert-message]

// --8<-- [start:chat-turn]
/// A turn the chat cannot take, with upstream's status and detail.
#[derive(Debug, thiserror::Error)]
pub enum TurnRefused {
    /// An id that is taken, repeated or not text; or a parent that is gone.
    #[error("{0}")]
    Conflict(&'static str),
    /// A reply asked for under a message that is not the user's.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The chat was deleted meanwhile.
    #[error("Chat not found.")]
    Gone,
    /// The chat failed to load or store.
    #[error(transparent)]
    Chat(#[from] ChatError),
}

impl From<TurnRefused> for ApiError {
    fn from(refused: TurnRefused) -> Self {
        match refused {
            TurnRefused::Conflict(detail) => {
                ApiError::new(StatusCode::CONFLICT, detail)
            }
            TurnRefused::Forbidden(detail) => {
                ApiError::new(StatusCode::FORBIDDEN, detail)
            }
            TurnRefused::Gone => {
                ApiError::new(StatusCode::NOT_FOUND, refused.to_string())
            }
            TurnRefused::Chat(error) => error.into(),
        }
    }
}

const INVALID_TURN: &str = "Message already exists or has an invalid ID.";

/// Whether a stored message may take the reply: none yet, or an empty one of the
/// caller's.
fn is_fresh_reply(message: Option<&Value>, owner_id: &str, user_id: &str) -> bool {
    message.is_none_or(|message| {
        message.get("role") == Some(&json!("assistant"))
            && !["done", "content", "output"]
                .iter()
                .any(|key| message.get(*key).is_some_and(truthy))
            && message
                .get("user_id")
                .and_then(Value::as_str)
                .unwrap_or(owner_id)
                == user_id
    })
}

/// A new user message as the chat stores it: with its place, time and author.
fn authored(
    sent: &Map<String, Value>,
    id: &str,
    parent: Value,
    user: &crate::models::users::UserModel,
    now: i64,
) -> Map<String, Value> {
    let mut message = sent.clone();
    message.extend([
        ("id".to_owned(), json!(id)),
        ("parentId".to_owned(), parent),
        ("role".to_owned(), json!("user")),
        ("childrenIds".to_owned(), json!([])),
        ("timestamp".to_owned(), json!(now)),
        ("user_id".to_owned(), json!(user.id)),
        ("user".to_owned(), json!({"id": user.id, "name": user.name})),
    ]);
    message
}

/// Add the user's message (when sent) and an empty reply to answer it, and name the
/// model in the chat: what upstream writes before it calls the provider. The reply
/// is filled in at the end by [`save_message`].
///
/// # Errors
/// [`TurnRefused`] with upstream's status when an id is taken or the user message
/// hangs nowhere; nothing was written.
pub async fn insert_turn(
    db: &Db,
    chat_id: &str,
    user: &crate::models::users::UserModel,
    user_message: &Map<String, Value>,
    reply_id: &str,
    model_id: &str,
) -> Result<(), TurnRefused> {
    let mut tx = db.pool.begin().await.map_err(ChatError::from)?;
    let Some(mut chat) = locked_chat(&mut tx, chat_id)
        .await
        .map_err(ChatError::from)?
    else {
        return Err(TurnRefused::Gone);
    };
    let mut history = match chat.chat.remove("history") {
        Some(Value::Object(history)) if !history.is_empty() => history,
        _ => Map::from_iter([
            ("messages".to_owned(), json!({})),
            ("currentId".to_owned(), Value::Null),
        ]),
    };
    let messages = history
        .get("messages")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let user_message_id = user_message.get("id").and_then(Value::as_str);
    let sent_user = !user_message.is_empty();
    let ids_ok = !reply_id.is_empty()
        && (!sent_user
            || user_message_id.is_some_and(|id| !id.is_empty() && id != reply_id));
    let reply = messages.get(reply_id);
    let misplaced = reply.is_some_and(|reply| {
        sent_user && reply.get("parentId").and_then(Value::as_str) != user_message_id
    });
    if !ids_ok || !is_fresh_reply(reply, &chat.user_id, &user.id) || misplaced {
        return Err(TurnRefused::Conflict(INVALID_TURN));
    }
    let now = now();
    let mut rows = Vec::new();
    if let Some(id) = user_message_id.filter(|_| sent_user) {
        let existing = messages.get(id);
        if existing.is_some_and(|existing| existing.get("role") != Some(&json!("user")))
        {
            let detail = "You can only regenerate replies to user messages.";
            return Err(TurnRefused::Forbidden(detail));
        }
        let parent = existing
            .unwrap_or(&Value::Object(user_message.clone()))
            .get("parentId")
            .cloned()
            .unwrap_or(Value::Null);
        if parent
            .as_str()
            .is_some_and(|parent| !messages.contains_key(parent))
        {
            return Err(TurnRefused::Conflict("Parent message no longer exists."));
        }
        let message = existing
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(|| authored(user_message, id, parent, user, now));
        rows.push((id.to_owned(), put_in_history(&mut history, id, message)));
    }
    let placeholder = json!({
        "id": reply_id,
        "parentId": user_message_id,
        "childrenIds": [],
        "role": "assistant",
        "content": "",
        "done": false,
        "model": model_id,
        "modelIdx": null,
        "timestamp": now,
        "user_id": user.id,
    });
    let placeholder = placeholder.as_object().cloned().unwrap_or_default();
    rows.push((
        reply_id.to_owned(),
        put_in_history(&mut history, reply_id, placeholder),
    ));
    chat.chat.insert("history".into(), Value::Object(history));
    let models = user_message
        .get("models")
        .filter(|models| truthy(models))
        .cloned()
        .unwrap_or_else(|| json!([model_id]));
    chat.chat.insert("models".into(), models);
    chat.current_message_id = current_message_id(&chat.chat)?;
    chat.updated_at = now;
    let rows: Vec<(&str, &str, &Map<String, Value>)> = rows
        .iter()
        .map(|(id, message)| {
            let author = message
                .get("user_id")
                .and_then(Value::as_str)
                .unwrap_or(&chat.user_id);
            (id.as_str(), author, message)
        })
        .collect();
    store(db, &mut tx, &chat, &rows).await?;
    tx.commit().await.map_err(ChatError::from)?;
    Ok(())
}

/// The conversation up to `message_id`, root first, as a provider reads it: each
/// message's role and text (a reply's from its output), replies still empty left out.
#[must_use]
pub fn conversation(chat: &Map<String, Value>, message_id: &str) -> Vec<Value> {
    let Some(messages) = chat
        .get("history")
        .and_then(|history| history.get("messages"))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    let mut chain = Vec::new();
    let mut seen = HashSet::new();
    let mut next = Some(message_id.to_owned());
    while let Some(id) = next.filter(|id| seen.insert(id.clone())) {
        let Some(message) = messages.get(&id) else {
            break;
        };
        chain.push(message);
        next = message
            .get("parentId")
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    chain
        .into_iter()
        .rev()
        .filter_map(|message| {
            let role = message.get("role")?;
            let output = output_text(message.get("output"));
            let content = if role == "assistant" && !output.is_empty() {
                json!(output)
            } else {
                message.get("content").cloned().unwrap_or(Value::Null)
            };
            let empty_reply = role == "assistant" && !truthy(&content);
            (!empty_reply).then(|| json!({"role": role, "content": content}))
        })
        .collect()
}
// --8<-- [end:chat-turn]

/// `{**stored, **changes}`, with a sent `history` merged into the stored one.
///
/// # Errors
/// [`ChatError::Invalid`] when either document cannot be merged.
pub fn updated_document(
    stored: &Map<String, Value>,
    changes: &Map<String, Value>,
    owner_id: &str,
) -> Result<Map<String, Value>, ChatError> {
    // `stored.get("history", {}).get("messages") or {}`.
    let stored_messages = stored_messages(stored)?;
    let mut updated = stored.clone();
    updated.extend(changes.clone());
    if let Some(incoming) = changes.get("history") {
        let mut merged = merge_history(stored.get("history"), Some(incoming))?;
        let Some(Value::Object(merged_messages)) = merged.get_mut("messages") else {
            return Err(ChatError::Invalid);
        };
        for (message_id, message) in object_or_empty(stored_messages)? {
            let (Value::Object(kept), Some(Value::Object(sent))) =
                (&message, merged_messages.get(&message_id))
            else {
                return Err(ChatError::Invalid);
            };
            if keeps_stored(kept, sent, owner_id) {
                merged_messages.insert(message_id, message);
            }
        }
        let merged = Value::Object(merged);
        updated.insert(
            "history".to_owned(),
            Value::Object(merge_history(Some(&merged), None)?),
        );
    }
    Ok(updated)
}

/// The stored tree's messages, as Python's `.get` chain finds them.
fn stored_messages(stored: &Map<String, Value>) -> Result<Option<&Value>, ChatError> {
    match stored.get("history") {
        None => Ok(None),
        Some(Value::Object(history)) => Ok(history.get("messages")),
        Some(_) => Err(ChatError::Invalid),
    }
}

/// A `chat_message` row to write: the message's id, its author, the message.
type MessageRow<'a> = (&'a str, &'a str, &'a Map<String, Value>);

/// The sent messages that differ from their stored version, with their author.
fn changed_messages<'a>(
    stored: &Map<String, Value>,
    changes: &'a Map<String, Value>,
    updated: &'a Map<String, Value>,
    owner_id: &'a str,
) -> Result<Vec<MessageRow<'a>>, ChatError> {
    let sent = match changes.get("history") {
        None => return Ok(Vec::new()),
        Some(Value::Object(history)) => history.get("messages"),
        Some(_) => return Err(ChatError::Invalid),
    };
    let sent: Vec<&str> = match sent {
        Some(Value::Object(sent)) => sent.keys().map(String::as_str).collect(),
        Some(sent) if truthy(sent) => return Err(ChatError::Invalid),
        _ => Vec::new(),
    };
    let before = object_or_empty(stored_messages(stored)?)?;
    let after = updated
        .get("history")
        .and_then(|history| history.get("messages"))
        .and_then(Value::as_object);
    let mut rows = Vec::new();
    for message_id in sent {
        let message = after.and_then(|after| after.get(message_id));
        let Some(message) = message.and_then(Value::as_object) else {
            continue;
        };
        let unchanged = before.get(message_id).is_some_and(|previous| {
            json_equal(previous, &Value::Object(message.clone()))
        });
        if message.get("role").is_some_and(truthy) && !unchanged {
            let author = message
                .get("user_id")
                .and_then(Value::as_str)
                .filter(|author| !author.is_empty())
                .unwrap_or(owner_id);
            rows.push((message_id, author, message));
        }
    }
    Ok(rows)
}

/// Messages by someone else, and replies still being written, keep their stored
/// version.
#[must_use]
pub fn keeps_stored(
    stored: &Map<String, Value>,
    merged: &Map<String, Value>,
    owner_id: &str,
) -> bool {
    let owner = Value::String(owner_id.to_owned());
    let author = stored
        .get("user_id")
        .filter(|author| truthy(author))
        .unwrap_or(&owner);
    let unfinished =
        |message: &Map<String, Value>| message.get("done") == Some(&Value::Bool(false));
    !json_equal(author, &owner)
        || (stored.get("role").and_then(Value::as_str) == Some("assistant")
            && (unfinished(stored) || unfinished(merged)))
}

/// Replace the owner's prompt variables.
///
/// # Errors
/// The database failed.
pub async fn set_variables(
    db: &Db,
    chat: &mut ChatResponse,
    variables: Map<String, Value>,
) -> Result<(), sqlx::Error> {
    let sql = format!("UPDATE chat SET variables = {} WHERE id = $2", db.json(1));
    sqlx::query(&sql)
        .bind(json_text(&Value::Object(variables.clone())))
        .bind(&chat.id)
        .execute(&db.pool)
        .await?;
    chat.variables = variables;
    Ok(())
}

/// Pin or unpin; either counts as reading the chat.
///
/// # Errors
/// The database failed.
pub async fn toggle_pinned(
    db: &Db,
    chat: &mut ChatResponse,
) -> Result<(), sqlx::Error> {
    let now = now();
    let pinned = !chat.pinned.unwrap_or(false);
    sqlx::query(
        "UPDATE chat SET pinned = $1, updated_at = $2, last_read_at = $2 WHERE id = $3",
    )
    .bind(pinned)
    .bind(now)
    .bind(&chat.id)
    .execute(&db.pool)
    .await?;
    chat.pinned = Some(pinned);
    chat.updated_at = now;
    Ok(())
}

/// Archiving also takes the chat out of its folder, as upstream does.
///
/// # Errors
/// The database failed.
pub async fn toggle_archived(
    db: &Db,
    chat: &mut ChatResponse,
) -> Result<(), sqlx::Error> {
    let now = now();
    let archived = !chat.archived;
    sqlx::query(
        "UPDATE chat SET archived = $1, folder_id = NULL, updated_at = $2, last_read_at = $2
         WHERE id = $3",
    )
    .bind(archived)
    .bind(now)
    .bind(&chat.id)
    .execute(&db.pool)
    .await?;
    chat.archived = archived;
    chat.folder_id = None;
    chat.updated_at = now;
    Ok(())
}

/// Point the chat at its share snapshot, or at none; on the caller's connection, so
/// sharing can write the snapshot and the pointer in one transaction.
///
/// # Errors
/// The database failed.
pub async fn set_share_id(
    connection: &mut AnyConnection,
    chat: &mut ChatResponse,
    share_id: Option<String>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE chat SET share_id = $1 WHERE id = $2")
        .bind(&share_id)
        .bind(&chat.id)
        .execute(connection)
        .await?;
    chat.share_id = share_id;
    Ok(())
}

/// The list items of these rows.
fn title_items(
    rows: &[AnyRow],
    with_last_read: bool,
) -> Result<Vec<ChatTitleIdResponse>, sqlx::Error> {
    rows.iter()
        .map(|row| {
            Ok(ChatTitleIdResponse {
                id: row.try_get("id")?,
                title: row
                    .try_get::<Option<String>, _>("title")?
                    .unwrap_or_default(),
                updated_at: row.try_get::<Option<i64>, _>("updated_at")?.unwrap_or(0),
                created_at: row.try_get::<Option<i64>, _>("created_at")?.unwrap_or(0),
                last_read_at: if with_last_read {
                    row.try_get("last_read_at")?
                } else {
                    None
                },
                snippet: None,
                active: false,
                archived: false,
            })
        })
        .collect()
}

/// Title or update time; `unread_updated_at` puts finished unread chats first.
#[must_use]
pub fn list_order(sort_by: &str, sort_dir: &str) -> String {
    if sort_by != "unread_updated_at" {
        let column = if sort_by == "title" {
            "title"
        } else {
            "updated_at"
        };
        let direction = if sort_dir == "asc" { "ASC" } else { "DESC" };
        return format!("chat.{column} {direction}, chat.id");
    }
    // A reply still streaming is not unread yet.
    "CASE WHEN (chat.updated_at > COALESCE(chat.last_read_at, 0) AND NOT EXISTS (
        SELECT chat_message.id FROM chat_message
        WHERE chat_message.chat_id = chat.id AND chat_message.role = 'assistant'
          AND chat_message.done IS FALSE)) THEN 1 ELSE 0 END DESC,
     chat.updated_at DESC, chat.id"
        .to_owned()
}

// --8<-- [start:list]
/// The sidebar's main list: pinned, archived and filed chats have their own.
///
/// # Errors
/// The database failed.
pub async fn list_titles(
    db: &Db,
    user_id: &str,
    include_pinned: bool,
    include_folders: bool,
    sort_by: &str,
    sort_dir: &str,
    page: Option<i64>,
) -> Result<Vec<ChatTitleIdResponse>, sqlx::Error> {
    let folders = if include_folders {
        ""
    } else {
        "AND folder_id IS NULL"
    };
    let pinned = if include_pinned {
        ""
    } else {
        "AND (pinned IS FALSE OR pinned IS NULL)"
    };
    let mut sql = format!(
        "SELECT id, title, updated_at, created_at, last_read_at FROM chat
         WHERE user_id = $1 AND archived IS FALSE AND {} {folders} {pinned}
         ORDER BY {}",
        internal(db, "IS NOT"),
        list_order(sort_by, sort_dir)
    );
    let rows = match page {
        None => sqlx::query(&sql).bind(user_id).fetch_all(&db.pool).await?,
        Some(page) => {
            let (offset, limit) = one_page(page, CHATS_PER_PAGE);
            sql.push_str(" LIMIT $2 OFFSET $3");
            sqlx::query(&sql)
                .bind(user_id)
                .bind(limit)
                .bind(offset)
                .fetch_all(&db.pool)
                .await?
        }
    };
    title_items(&rows, true)
}
// --8<-- [end:list]

/// The pinned chats, newest first.
///
/// # Errors
/// The database failed.
pub async fn list_pinned(
    db: &Db,
    user_id: &str,
) -> Result<Vec<ChatTitleIdResponse>, sqlx::Error> {
    let sql = format!(
        "SELECT id, title, updated_at, created_at, last_read_at FROM chat
         WHERE user_id = $1 AND pinned IS TRUE AND archived IS FALSE AND {}
         ORDER BY updated_at DESC",
        internal(db, "IS NOT")
    );
    let rows = sqlx::query(&sql).bind(user_id).fetch_all(&db.pool).await?;
    title_items(&rows, true)
}

/// Archived chats; upstream leaves `last_read_at` out of these items.
///
/// # Errors
/// [`ChatError::Invalid`] for a sort on something that is not a column, or in a
/// direction other than asc/desc; the database failed.
pub async fn list_archived(
    db: &Db,
    user_id: &str,
    query: Option<&str>,
    order_by: Option<&str>,
    direction: Option<&str>,
    page: i64,
) -> Result<Vec<ChatTitleIdResponse>, ChatError> {
    let query = query.filter(|query| !query.is_empty());
    let order_by = order_by.filter(|order_by| !order_by.is_empty());
    let direction = direction.filter(|direction| !direction.is_empty());
    // ILIKE's case-insensitivity, on both engines.
    let filter = if query.is_some() {
        "AND lower(title) LIKE lower($4)"
    } else {
        ""
    };
    let order = match (order_by, direction) {
        (Some(column), Some(direction)) => {
            if !COLUMNS.contains(&column) {
                return Err(ChatError::Invalid);
            }
            let direction = match direction.to_lowercase().as_str() {
                "asc" => "ASC",
                "desc" => "DESC",
                _ => return Err(ChatError::Invalid),
            };
            format!("ORDER BY {column} {direction}, id")
        }
        // Upstream sorts only when no filter is given at all, or a full sort is.
        (None, None) if query.is_none() => "ORDER BY updated_at DESC, id".to_owned(),
        _ => String::new(),
    };
    let sql = format!(
        "SELECT id, title, updated_at, created_at FROM chat
         WHERE user_id = $1 AND archived IS TRUE AND {} {filter} {order}
         LIMIT $2 OFFSET $3",
        internal(db, "IS NOT")
    );
    let (offset, limit) = one_page(page, CHATS_PER_PAGE);
    let mut statement = sqlx::query(&sql).bind(user_id).bind(limit).bind(offset);
    if let Some(query) = query {
        statement = statement.bind(format!("%{query}%"));
    }
    let rows = statement.fetch_all(&db.pool).await?;
    Ok(title_items(&rows, false)?)
}

/// The internal chats spawned from `chat`, which go when it goes.
async fn internal_children(
    db: &Db,
    chat: &ChatResponse,
) -> Result<Vec<String>, sqlx::Error> {
    let sql = format!(
        "SELECT id FROM chat WHERE user_id = $1 AND {}
         AND CAST({} AS VARCHAR) = $2",
        internal(db, "IS"),
        meta_key(db, "parent_chat_id")
    );
    sqlx::query_scalar(&sql)
        .bind(&chat.user_id)
        .bind(&chat.id)
        .fetch_all(&db.pool)
        .await
}

// --8<-- [start:delete]
/// The chat, its internal children, their message rows and share snapshots.
///
/// # Errors
/// The database failed; nothing was removed.
pub async fn delete_chat(db: &Db, chat: &ChatResponse) -> Result<(), sqlx::Error> {
    let mut ids = vec![chat.id.clone()];
    ids.extend(internal_children(db, chat).await?);
    let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let placeholders = placeholders.join(", ");
    let mut tx = db.pool.begin().await?;
    for sql in [
        "DELETE FROM chat_message WHERE chat_id IN",
        "DELETE FROM shared_chat WHERE chat_id IN",
        "DELETE FROM chat WHERE id IN",
    ] {
        let sql = format!("{sql} ({placeholders})");
        let mut statement = sqlx::query(&sql);
        for id in &ids {
            statement = statement.bind(id);
        }
        statement.execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// Remove everything chat-related a user owns, inside the caller's transaction.
///
/// SQLite enforces no foreign keys unless asked, so the dependent rows are deleted
/// explicitly instead of relying on ON DELETE CASCADE.
///
/// # Errors
/// The database failed.
pub async fn delete_user_chat_rows(
    tx: &mut Tx<'_>,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    for sql in [
        "DELETE FROM shared_chat WHERE user_id = $1",
        "DELETE FROM chat_message WHERE chat_id IN (SELECT id FROM chat WHERE user_id = $1)",
        "DELETE FROM chat WHERE user_id = $1",
    ] {
        sqlx::query(sql).bind(user_id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Remove every chat of the user, with their rows elsewhere.
///
/// # Errors
/// The database failed; nothing was removed.
pub async fn delete_chats_by_user_id(
    db: &Db,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    delete_user_chat_rows(&mut tx, user_id).await?;
    tx.commit().await
}
// --8<-- [end:delete]

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::{
        ChatError, all_messages, conversation, current_message_id, initial_messages,
        is_orphan_reply, last_descendant, link_children, merge_history, newest_leaf,
        output_text, put_in_history, repair_current_id, updated_document,
    };

    #[test]
    fn a_conversation_is_rebuilt_from_the_chat_root_first() {
        let chat = object(json!({"history": {"messages": {
            "u1": {"role": "user", "content": "hi", "parentId": null, "files": []},
            "a1": {"role": "assistant", "content": "", "parentId": "u1",
                   "output": [{"type": "message", "content": [{"text": "hello"}]}]},
            "u2": {"role": "user", "content": "more", "parentId": "a1"},
            "a2": {"role": "assistant", "content": "", "parentId": "u2"},
        }}}));
        assert_eq!(
            conversation(&chat, "u2"),
            [
                json!({"role": "user", "content": "hi"}),
                json!({"role": "assistant", "content": "hello"}),
                json!({"role": "user", "content": "more"}),
            ]
        );
        assert!(conversation(&chat, "gone").is_empty());
    }

    #[test]
    fn the_output_text_joins_its_message_items() {
        let output = json!([
            {"type": "message", "content": [{"type": "output_text", "text": "a"},
                                             {"type": "output_text", "text": "b"}]},
            {"type": "reasoning", "content": [{"text": "hidden"}]},
            {"type": "message", "content": [{"text": "  "}]},
            {"type": "message", "content": [{"text": "c"}]},
        ]);
        assert_eq!(output_text(Some(&output)), "ab\nc");
        assert_eq!(output_text(None), "");
    }

    #[test]
    fn a_new_message_joins_its_parent_and_becomes_current() {
        let mut history =
            object(json!({"messages": {"u": message("u", None, 1)}, "currentId": "u"}));
        let reply = object(json!({"parentId": "u", "content": "hi"}));
        let saved = put_in_history(&mut history, "r", reply);
        assert_eq!(saved["role"], json!("assistant"));
        assert_eq!(history["currentId"], json!("r"));
        assert_eq!(history["messages"]["u"]["childrenIds"], json!(["r"]));
        // A known message is merged, and the pointer stays where it is.
        history.insert("currentId".into(), json!("u"));
        let done = object(json!({"done": true}));
        let saved = put_in_history(&mut history, "r", done);
        assert_eq!(
            (saved["content"].clone(), saved["done"].clone()),
            (json!("hi"), json!(true))
        );
        assert_eq!(history["currentId"], json!("u"));
    }

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn message(id: &str, parent: Option<&str>, at: i64) -> Value {
        json!({"id": id, "role": "user", "parentId": parent, "childrenIds": [], "timestamp": at})
    }

    fn tree(current: &str, messages: &[Value]) -> Map<String, Value> {
        let messages: Map<String, Value> = messages
            .iter()
            .map(|message| {
                (message["id"].as_str().unwrap().to_owned(), message.clone())
            })
            .collect();
        object(json!({"history": {"currentId": current, "messages": messages}}))
    }

    fn keys(map: &Value) -> Vec<&str> {
        map.as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn the_current_message_is_the_pointer_else_the_last_message_with_an_id() {
        let chat = object(json!({"history": {"currentId": ""}, "currentId": "c"}));
        assert_eq!(current_message_id(&chat).unwrap().as_deref(), Some("c"));
        let chat = object(json!({"messages": [{"id": "a"}, {"id": "b"}, {}, "x"]}));
        assert_eq!(current_message_id(&chat).unwrap().as_deref(), Some("b"));
        assert_eq!(current_message_id(&Map::new()).unwrap(), None);
        let chat = object(json!({"currentId": 5}));
        assert!(matches!(current_message_id(&chat), Err(ChatError::Invalid)));
    }

    #[test]
    fn all_messages_refuses_what_python_raises_on() {
        for malformed in [
            json!({"history": null}),
            json!({"history": []}),
            json!({"history": {"messages": ["m"]}}),
            json!({"messages": {"a": {}}}),
            json!({"messages": [1]}),
        ] {
            let mut chat = object(malformed.clone());
            assert!(all_messages(&mut chat).is_err(), "{malformed}");
        }
        let mut chat = object(json!({
            "history": {"messages": {"a": {"id": "a"}}},
            "messages": [{"id": "b"}],
        }));
        for message in all_messages(&mut chat).unwrap() {
            message.insert("seen".to_owned(), json!(true));
        }
        assert_eq!(chat["history"]["messages"]["a"]["seen"], json!(true));
        assert_eq!(chat["messages"][0]["seen"], json!(true));
        let mut empty = object(json!({"history": {"messages": []}, "messages": null}));
        assert!(all_messages(&mut empty).unwrap().is_empty());
    }

    #[test]
    fn a_pointer_on_a_parent_follows_its_latest_branch() {
        let mut chat = tree(
            "m1",
            &[
                message("m1", None, 1),
                message("m2", Some("m1"), 2),
                message("m3", Some("m1"), 3),
            ],
        );
        repair_current_id(&mut chat);
        assert_eq!(chat["history"]["currentId"], "m3");
        // The missing child links were added, in the order the messages came.
        assert_eq!(
            chat["history"]["messages"]["m1"]["childrenIds"],
            json!(["m2", "m3"])
        );
    }

    #[test]
    fn a_dangling_pointer_reads_as_the_newest_leaf() {
        let mut chat = tree(
            "gone",
            &[
                message("m1", None, 1),
                message("m3", Some("m1"), 5),
                message("m2", Some("m1"), 5),
            ],
        );
        repair_current_id(&mut chat);
        // A tie goes to the first leaf in the tree's order, not in the ids' order.
        assert_eq!(chat["history"]["currentId"], "m3");
    }

    #[test]
    fn an_orphan_reply_is_not_a_place_to_resume() {
        let orphan = object(
            json!({"id": "o", "role": "assistant", "output": [{"role": "assistant"}]}),
        );
        assert!(is_orphan_reply(&orphan, 2));
        assert!(!is_orphan_reply(&orphan, 1));
        let mut chat = tree("o", &[message("m1", None, 1)]);
        chat["history"]["messages"]
            .as_object_mut()
            .unwrap()
            .insert("o".to_owned(), Value::Object(orphan));
        repair_current_id(&mut chat);
        assert_eq!(chat["history"]["currentId"], "m1");
    }

    #[test]
    fn last_descendant_survives_cycles_and_false_links() {
        let mut messages = object(json!({
            "a": {"id": "a", "role": "user", "parentId": "b", "childrenIds": ["b"]},
            "b": {"id": "b", "role": "user", "parentId": "a", "childrenIds": ["a", "x"]},
            "x": {"id": "x", "role": "user", "parentId": "elsewhere"},
        }));
        assert_eq!(last_descendant(&messages, "a"), "b");
        link_children(&mut messages);
        assert_eq!(messages["b"]["childrenIds"], json!(["a", "x"]));
    }

    #[test]
    fn newest_leaf_skips_parents_and_unstamped_text() {
        let messages = object(json!({
            "p": {"role": "user", "childrenIds": ["c"], "timestamp": 9},
            "c": {"role": "assistant", "timestamp": "late"},
            "d": {"role": "assistant", "timestamp": 2},
            "e": {"timestamp": 8},
        }));
        assert_eq!(newest_leaf(&messages), Some("d"));
    }

    #[test]
    fn merge_keeps_existing_order_and_rebuilds_links() {
        let existing = json!({
            "currentId": "b",
            "messages": {"a": message("a", None, 1), "b": message("b", Some("a"), 2)},
        });
        let incoming = json!({
            "currentId": "missing",
            "messages": {"c": message("c", Some("a"), 3), "a": {"id": "a", "role": "user"}},
        });
        let merged = merge_history(Some(&existing), Some(&incoming)).unwrap();
        assert_eq!(keys(&merged["messages"]), ["a", "b", "c"]);
        assert_eq!(merged["messages"]["a"]["childrenIds"], json!(["b", "c"]));
        assert_eq!(merged["messages"]["a"].get("timestamp"), None);
        assert_eq!(merged["currentId"], "b");
        let unhashable = json!({"messages": {"a": {"parentId": ["x"]}}});
        assert!(merge_history(None, Some(&unhashable)).is_err());
        assert_eq!(
            merge_history(Some(&json!([])), None).unwrap()["currentId"],
            Value::Null
        );
    }

    #[test]
    fn an_update_keeps_others_messages_and_unfinished_replies() {
        let stored = object(json!({
            "title": "t",
            "history": {"currentId": "r", "messages": {
                "q": {"id": "q", "role": "user", "user_id": "guest", "content": "mine"},
                "r": {"id": "r", "role": "assistant", "parentId": "q", "done": false},
            }},
        }));
        let changes = object(json!({"history": {"currentId": "r", "messages": {
            "q": {"id": "q", "role": "user", "user_id": "owner", "content": "forged"},
            "r": {"id": "r", "role": "assistant", "parentId": "q", "done": true},
            "s": {"id": "s", "role": "user", "parentId": "r"},
        }}}));
        let updated = updated_document(&stored, &changes, "owner").unwrap();
        let messages = &updated["history"]["messages"];
        assert_eq!(messages["q"]["content"], "mine");
        assert_eq!(messages["r"]["done"], false);
        assert_eq!(messages["q"]["childrenIds"], json!(["r"]));
        assert_eq!(messages["r"]["childrenIds"], json!(["s"]));
        assert_eq!(updated["title"], "t");
        let corrupt = object(json!({"history": "x"}));
        assert!(updated_document(&corrupt, &Map::new(), "owner").is_err());
    }

    #[test]
    fn initial_messages_fall_back_to_the_flat_list() {
        let chat = object(json!({"messages": [
            {"id": "a", "role": "user", "n": 1},
            {"id": 7, "role": "assistant"},
            {"id": "a", "role": "user", "n": 2},
            {"id": "b"},
        ]}));
        let found: Vec<(String, Value)> = initial_messages(&chat)
            .into_iter()
            .map(|(id, message)| (id, message.get("n").cloned().unwrap_or_default()))
            .collect();
        assert_eq!(
            found,
            [("a".to_owned(), json!(2)), ("7".to_owned(), Value::Null)]
        );
    }
}

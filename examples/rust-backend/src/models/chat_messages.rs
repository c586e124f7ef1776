//! Upstream's `chat_message` table: one row per message, next to the chat's JSON.
//!
//! Open WebUI keeps every message twice: inside `chat.chat` and as a row here, which
//! its unread sort and its usage statistics query. Writing the rows too keeps a
//! database this backend shares with Open WebUI consistent for both.

use serde_json::{Map, Value};

use crate::internal::db::{Db, Table, json_text};
use crate::models::chats::ChatError;
use crate::models::users::Tx;
use crate::utils::misc::now;
use crate::utils::misc::truthy;

// --8<-- [start:table]
/// `chat_message`: the messages of every chat, one row each, for search and stats.
/// Its id is `"{chat_id}-{message_id}"`: message ids are only unique within a chat.
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
// --8<-- [end:table]

/// How a column takes a message's value.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// TEXT: a number is stored as its digits, as SQLite's TEXT affinity stores it.
    Text,
    /// JSON, bound as its text.
    Json,
    /// BOOLEAN: `SQLAlchemy` takes `true`, `false`, `0`, `1` and null, nothing else.
    Flag,
}

/// Column ← message keys; the frontend writes `camelCase`, the backend `snake_case`.
const ALIASES: [(&str, &[&str], Kind); 13] = [
    ("role", &["role"], Kind::Text),
    ("parent_id", &["parent_id", "parentId"], Kind::Text),
    ("content", &["content"], Kind::Json),
    ("output", &["output"], Kind::Json),
    ("model_id", &["model_id", "model"], Kind::Text),
    ("files", &["files"], Kind::Json),
    ("sources", &["sources"], Kind::Json),
    ("embeds", &["embeds"], Kind::Json),
    ("meta", &["meta"], Kind::Json),
    ("done", &["done"], Kind::Flag),
    (
        "status_history",
        &["status_history", "statusHistory"],
        Kind::Json,
    ),
    ("error", &["error"], Kind::Json),
    (
        "context_summary",
        &["context_summary", "contextSummary"],
        Kind::Text,
    ),
];

/// The first truthy value among the aliases, else the last one's value.
fn pick<'a>(data: &'a Map<String, Value>, names: &[&str]) -> &'a Value {
    let mut value = &Value::Null;
    for name in names {
        value = data.get(*name).unwrap_or(&Value::Null);
        if truthy(value) {
            break;
        }
    }
    value
}

/// A value ready to bind to its column.
enum Bound {
    Text(Option<String>),
    Json(String),
    Flag(Option<bool>),
    Integer(i64),
}

impl Bound {
    /// The value as `kind` stores it; what the Python twin's driver refuses is refused.
    fn new(kind: Kind, value: &Value) -> Result<Self, ChatError> {
        Ok(match (kind, value) {
            (Kind::Json, value) => Self::Json(json_text(value)),
            (Kind::Text, Value::Null) => Self::Text(None),
            (Kind::Text, Value::String(text)) => Self::Text(Some(text.clone())),
            (Kind::Text, Value::Number(number)) => Self::Text(Some(number.to_string())),
            (Kind::Flag, Value::Null) => Self::Flag(None),
            (Kind::Flag, Value::Bool(flag)) => Self::Flag(Some(*flag)),
            (Kind::Flag, Value::Number(number)) => match number.as_i64() {
                Some(0) => Self::Flag(Some(false)),
                Some(1) => Self::Flag(Some(true)),
                _ => return Err(ChatError::Invalid),
            },
            _ => return Err(ChatError::Invalid),
        })
    }
}

/// Python's `int(value)`: numbers truncate, text must spell an integer.
fn int(value: &Value) -> Result<i64, ChatError> {
    match value {
        Value::Bool(flag) => Ok(i64::from(*flag)),
        Value::Number(number) => number
            .as_i64()
            .or_else(|| number.as_f64().map(truncate))
            .ok_or(ChatError::Invalid),
        Value::String(text) => parse_int(text),
        _ => Err(ChatError::Invalid),
    }
}

#[allow(
    clippy::cast_possible_truncation,
    reason = "Python's int() truncates; past i64 the count is meaningless anyway"
)]
fn truncate(number: f64) -> i64 {
    number.trunc() as i64
}

/// `int("…")`: surrounding whitespace, a sign, and single `_` between digits.
fn parse_int(text: &str) -> Result<i64, ChatError> {
    let text = text.trim();
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let well_formed = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_');
    if !well_formed {
        return Err(ChatError::Invalid);
    }
    text.replace('_', "")
        .parse()
        .map_err(|_| ChatError::Invalid)
}

/// Python's `left + right` on what a usage report holds: numbers add, text joins.
fn add(left: &Value, right: &Value) -> Result<Value, ChatError> {
    let integer = |value: &Value| match value {
        Value::Bool(flag) => Some(i64::from(*flag)),
        Value::Number(number) => number.as_i64(),
        _ => None,
    };
    let float = |value: &Value| match value {
        Value::Bool(flag) => Some(f64::from(u8::from(*flag))),
        Value::Number(number) => number.as_f64(),
        _ => None,
    };
    if let (Value::String(left), Value::String(right)) = (left, right) {
        return Ok(Value::String(format!("{left}{right}")));
    }
    if let (Some(left), Some(right)) = (integer(left), integer(right)) {
        return left
            .checked_add(right)
            .map(Value::from)
            .ok_or(ChatError::Invalid);
    }
    match (float(left), float(right)) {
        (Some(left), Some(right)) => Ok(Value::from(left + right)),
        _ => Err(ChatError::Invalid),
    }
}

/// Add the provider-neutral token counts upstream's statistics read.
///
/// # Errors
/// [`ChatError::Invalid`] when a count is not a number, as Python's `int()` refuses.
pub fn normalize_usage(usage: Option<&Value>) -> Result<Option<Value>, ChatError> {
    let Some(Value::Object(usage)) = usage.filter(|usage| truthy(usage)) else {
        return Ok(None);
    };
    let mut prompt = pick(
        usage,
        &["input_tokens", "prompt_tokens", "prompt_eval_count"],
    )
    .clone();
    if prompt.is_null() {
        let count = |name: &str| match usage.get(name).filter(|count| truthy(count)) {
            Some(count) => int(count),
            None => Ok(0),
        };
        let sum = count("prompt_n")?.checked_add(count("cache_n")?);
        prompt = Value::from(sum.ok_or(ChatError::Invalid)?);
    }
    let mut completion = pick(
        usage,
        &[
            "output_tokens",
            "completion_tokens",
            "eval_count",
            "predicted_n",
        ],
    )
    .clone();
    if !truthy(&completion) {
        completion = Value::from(0);
    }
    let total = match usage.get("total_tokens").filter(|total| truthy(total)) {
        Some(total) => total.clone(),
        None => add(&prompt, &completion)?,
    };
    let mut normalized = usage.clone();
    normalized.insert("input_tokens".to_owned(), Value::from(int(&prompt)?));
    normalized.insert("output_tokens".to_owned(), Value::from(int(&completion)?));
    normalized.insert("total_tokens".to_owned(), Value::from(int(&total)?));
    Ok(Some(Value::Object(normalized)))
}

/// The message's usage report, normalized: on the message, or in its `info`.
///
/// # Errors
/// [`ChatError::Invalid`] when `info` is not an object, or a count not a number.
pub fn message_usage(message: &Map<String, Value>) -> Result<Option<Value>, ChatError> {
    let usage = match message.get("usage").filter(|usage| truthy(usage)) {
        Some(usage) => Some(usage),
        None => match message.get("info").filter(|info| truthy(info)) {
            None => None,
            Some(Value::Object(info)) => info.get("usage"),
            Some(_) => return Err(ChatError::Invalid),
        },
    };
    normalize_usage(usage)
}

/// Write the row for one message in the caller's transaction; an existing row keeps
/// the columns whose keys the message does not have.
///
/// # Errors
/// [`ChatError::Invalid`] for a value its column cannot take; the database failed.
pub async fn upsert_message(
    db: &Db,
    tx: &mut Tx<'_>,
    chat_id: &str,
    message_id: &str,
    user_id: &str,
    message: &Map<String, Value>,
) -> Result<(), ChatError> {
    let now = now();
    let mut columns = vec!["id", "chat_id", "user_id"];
    let mut values = vec![
        Bound::Text(Some(format!("{chat_id}-{message_id}"))),
        Bound::Text(Some(chat_id.to_owned())),
        Bound::Text(Some(user_id.to_owned())),
    ];
    let mut updated = Vec::new();
    let user_role = Value::from("user");
    for (column, names, kind) in ALIASES {
        // A new row gets a role and is done unless the message says otherwise.
        let value = match column {
            "role" => message.get("role").unwrap_or(&user_role),
            "done" => message.get("done").unwrap_or(&Value::Bool(true)),
            _ => pick(message, names),
        };
        columns.push(column);
        values.push(Bound::new(kind, value)?);
        if names.iter().any(|name| message.contains_key(*name)) {
            updated.push(column);
        }
    }
    let usage = message_usage(message)?;
    columns.push("usage");
    values.push(Bound::Json(json_text(
        usage.as_ref().unwrap_or(&Value::Null),
    )));
    if usage.is_some() {
        updated.push("usage");
    }
    let created_at = message
        .get("timestamp")
        .filter(|stamp| truthy(stamp))
        .and_then(Value::as_number)
        .and_then(|stamp| {
            stamp
                .as_i64()
                .or_else(|| stamp.as_f64().map(|at| truncate(at.round())))
        });
    columns.extend(["created_at", "updated_at"]);
    values.extend([
        Bound::Integer(created_at.unwrap_or(now)),
        Bound::Integer(now),
    ]);
    updated.push("updated_at");
    let placeholders: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, value)| match value {
            Bound::Json(_) => db.json(i + 1),
            _ => format!("${}", i + 1),
        })
        .collect();
    let assignments: Vec<String> = updated
        .iter()
        .map(|column| format!("{column} = excluded.{column}"))
        .collect();
    let sql = format!(
        "INSERT INTO chat_message ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {}",
        columns.join(", "),
        placeholders.join(", "),
        assignments.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for value in values {
        query = match value {
            Bound::Text(text) => query.bind(text),
            Bound::Json(text) => query.bind(text),
            Bound::Flag(flag) => query.bind(flag),
            Bound::Integer(number) => query.bind(number),
        };
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

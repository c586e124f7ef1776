//! Upstream's `user` and `api_key` tables and the user payloads the API returns.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::internal::db::{Db, Dialect, Table, from_json_text, json_text, one_page};
use crate::utils::misc::now;

/// Upstream's page size for the admin's user list.
pub const USERS_PER_PAGE: i64 = 30;

// --8<-- [start:tables]
/// `user`: upstream's columns and types; email is unique whatever its case.
pub const USER_TABLE: Table = Table {
    name: "user",
    ddl: &[
        r#"CREATE TABLE "user" (
	id VARCHAR NOT NULL,
	name VARCHAR,
	email VARCHAR,
	role VARCHAR,
	profile_image_url TEXT,
	last_active_at BIGINT,
	updated_at BIGINT,
	created_at BIGINT,
	username VARCHAR(50),
	bio TEXT,
	gender TEXT,
	date_of_birth DATE,
	profile_banner_image_url TEXT,
	timezone VARCHAR,
	presence_state VARCHAR,
	status_emoji VARCHAR,
	status_message TEXT,
	status_expires_at BIGINT,
	oauth JSON,
	info JSON,
	settings JSON,
	scim JSON,
	variables JSON,
	PRIMARY KEY (id)
)"#,
        r#"CREATE UNIQUE INDEX uq_user_email_lower ON "user" (lower(email)) WHERE email IS NOT NULL"#,
    ],
};

/// `api_key`: one key per user in this slice, kept in plain text as upstream keeps it.
pub const API_KEY_TABLE: Table = Table {
    name: "api_key",
    ddl: &[r#"CREATE TABLE api_key (
	id TEXT NOT NULL,
	user_id TEXT,
	"key" TEXT NOT NULL,
	data JSON,
	expires_at BIGINT,
	last_used_at BIGINT,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES "user" (id) ON DELETE CASCADE,
	UNIQUE ("key")
)"#],
};
// --8<-- [end:tables]

/// The columns of a `UserModel`, JSON and DATE read as text on both engines.
const USER_COLUMNS: &str = "id, email, username, role, name, profile_image_url, \
    profile_banner_image_url, bio, gender, CAST(date_of_birth AS TEXT) AS date_of_birth, \
    timezone, presence_state, status_emoji, status_message, status_expires_at, \
    CAST(info AS TEXT) AS info, CAST(settings AS TEXT) AS settings, \
    CAST(oauth AS TEXT) AS oauth, CAST(scim AS TEXT) AS scim, \
    last_active_at, updated_at, created_at";

// --8<-- [start:payloads]
/// A `user` row as every user endpoint returns it (`variables` stays private).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UserModel {
    /// A UUID.
    pub id: String,
    /// Lower-cased at sign-up.
    pub email: String,
    /// Unused by this slice; kept for upstream's clients.
    pub username: Option<String>,
    /// `pending`, `user` or `admin`.
    pub role: String,
    /// The display name.
    pub name: String,
    /// Never empty: the generated avatar's route stands in.
    pub profile_image_url: Option<String>,
    /// The profile banner.
    pub profile_banner_image_url: Option<String>,
    /// Free text.
    pub bio: Option<String>,
    /// Free text.
    pub gender: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    /// An IANA zone name.
    pub timezone: Option<String>,
    /// Presence as the frontend sets it.
    pub presence_state: Option<String>,
    /// The status line's emoji.
    pub status_emoji: Option<String>,
    /// The status line.
    pub status_message: Option<String>,
    /// When the status line expires.
    pub status_expires_at: Option<i64>,
    /// Free-form JSON.
    pub info: Option<Value>,
    /// `UserSettings`: a `ui` object plus whatever else the frontend stores.
    pub settings: Option<Value>,
    /// OAuth identities.
    pub oauth: Option<Value>,
    /// SCIM attributes.
    pub scim: Option<Value>,
    /// Seconds since the epoch.
    pub last_active_at: i64,
    /// Seconds since the epoch.
    pub updated_at: i64,
    /// Seconds since the epoch.
    pub created_at: i64,
}

/// `UserUpdateForm`: what an admin may change on another account.
#[derive(Debug, Default, Deserialize)]
pub struct UserUpdateForm {
    /// A new role; an unknown one is stored as given, as upstream stores it, unless
    /// `WEBUI_AUTH_STRICT_ROLES` refuses it.
    pub role: Option<String>,
    /// A new display name.
    pub name: Option<String>,
    /// A new address, stored as `normalize_email` gives it.
    pub email: Option<String>,
    /// A new picture.
    pub profile_image_url: Option<String>,
    /// A new password; an empty one leaves the password as it is.
    pub password: Option<String>,
}
// --8<-- [end:payloads]

impl UserModel {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let id: String = row.try_get("id")?;
        let profile_image_url: Option<String> = row.try_get("profile_image_url")?;
        // An empty image means "the generated avatar", which lives at this route.
        let profile_image_url = profile_image_url
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| format!("/api/v1/users/{id}/profile/image"));
        let json = |name: &str| -> Result<Option<Value>, sqlx::Error> {
            Ok(from_json_text(
                row.try_get::<Option<String>, _>(name)?.as_deref(),
            ))
        };
        Ok(Self {
            email: row
                .try_get::<Option<String>, _>("email")?
                .unwrap_or_default(),
            username: row.try_get("username")?,
            role: row
                .try_get::<Option<String>, _>("role")?
                .unwrap_or_else(|| "pending".into()),
            name: row
                .try_get::<Option<String>, _>("name")?
                .unwrap_or_default(),
            profile_image_url: Some(profile_image_url),
            profile_banner_image_url: row.try_get("profile_banner_image_url")?,
            bio: row.try_get("bio")?,
            gender: row.try_get("gender")?,
            date_of_birth: row.try_get("date_of_birth")?,
            timezone: row.try_get("timezone")?,
            presence_state: row.try_get("presence_state")?,
            status_emoji: row.try_get("status_emoji")?,
            status_message: row.try_get("status_message")?,
            status_expires_at: row.try_get("status_expires_at")?,
            info: json("info")?,
            settings: json("settings")?.map(with_ui),
            oauth: json("oauth")?,
            scim: json("scim")?,
            last_active_at: row
                .try_get::<Option<i64>, _>("last_active_at")?
                .unwrap_or(0),
            updated_at: row.try_get::<Option<i64>, _>("updated_at")?.unwrap_or(0),
            created_at: row.try_get::<Option<i64>, _>("created_at")?.unwrap_or(0),
            id,
        })
    }
}

// --8<-- [start:settings]
/// `UserSettings` gives `ui` a default of `{}`; the other keys pass through.
fn with_ui(settings: Value) -> Value {
    match settings {
        Value::Object(mut map) => {
            map.entry("ui").or_insert_with(|| json!({}));
            Value::Object(map)
        }
        other => other,
    }
}
// --8<-- [end:settings]

async fn one_user(
    db: &Db,
    condition: &str,
    value: &str,
) -> Result<Option<UserModel>, sqlx::Error> {
    let sql = format!(r#"SELECT {USER_COLUMNS} FROM "user" WHERE {condition} LIMIT 1"#);
    let row = sqlx::query(&sql)
        .bind(value)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(UserModel::from_row).transpose()
}

/// The user with this id.
///
/// # Errors
/// The database failed.
pub async fn get_user_by_id(
    db: &Db,
    user_id: &str,
) -> Result<Option<UserModel>, sqlx::Error> {
    one_user(db, "id = $1", user_id).await
}

/// The user with this address, whatever its case.
///
/// # Errors
/// The database failed.
pub async fn get_user_by_email(
    db: &Db,
    email: &str,
) -> Result<Option<UserModel>, sqlx::Error> {
    one_user(db, "lower(email) = lower($1)", email).await
}

// --8<-- [start:first-admin]
/// Any fixed number will do: it names the lock both twins take, and nothing else here
/// takes an advisory lock.
const FIRST_ADMIN_LOCK: i64 = 2_026_001;
const PROMOTE_IF_NO_ADMIN: &str = r#"UPDATE "user" SET role = 'admin'
    WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM "user" WHERE role = 'admin')"#;

/// Make `user_id` the admin if there is none yet; whether it became the admin.
///
/// Parallel first sign-ups all see an empty table and all insert; counting the users
/// afterwards can then find more than one everywhere, leaving no admin at all. One
/// conditional statement decides instead. SQLite runs one writer at a time, so the
/// check and the update cannot interleave there. PostgreSQL's READ COMMITTED lets two
/// such statements both see no admin, so each first takes a transaction-scoped
/// advisory lock: the second then starts after the first has committed its admin.
/// Upstream's schema stays as it is: no constraint on roles is needed.
///
/// # Errors
/// The database failed; nobody was promoted.
pub async fn promote_first_admin(db: &Db, user_id: &str) -> Result<bool, sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    if db.dialect == Dialect::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(FIRST_ADMIN_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    let promoted = sqlx::query(PROMOTE_IF_NO_ADMIN)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    tx.commit().await?;
    Ok(promoted)
}
// --8<-- [end:first-admin]

/// Whether any account exists: one row read, where counting reads every row.
///
/// # Errors
/// The database failed.
pub async fn has_users(db: &Db) -> Result<bool, sqlx::Error> {
    let any: Option<String> = sqlx::query_scalar(r#"SELECT id FROM "user" LIMIT 1"#)
        .fetch_optional(&db.pool)
        .await?;
    Ok(any.is_some())
}

/// The account created first: upstream protects it from demotion and deletion.
///
/// # Errors
/// The database failed.
pub async fn first_user_id(db: &Db) -> Result<Option<String>, sqlx::Error> {
    // created_at has one-second resolution: an admin wins a tie, then the lower id.
    sqlx::query_scalar(
        r#"SELECT id FROM "user" ORDER BY created_at,
           CASE WHEN role = 'admin' THEN 0 ELSE 1 END, id LIMIT 1"#,
    )
    .fetch_optional(&db.pool)
    .await
}

/// The columns the admin's list may sort on; anything else sorts by `created_at`.
const SORT_COLUMNS: [&str; 6] = [
    "name",
    "email",
    "created_at",
    "last_active_at",
    "updated_at",
    "role",
];

// --8<-- [start:list]
/// One page of users and the total, filtered and sorted as upstream does.
///
/// # Errors
/// The database failed.
pub async fn list_users(
    db: &Db,
    query: Option<&str>,
    order_by: Option<&str>,
    direction: Option<&str>,
    page: i64,
) -> Result<(Vec<UserModel>, i64), sqlx::Error> {
    let filter = match query.filter(|query| !query.is_empty()) {
        // ILIKE's case-insensitivity, on both engines.
        Some(_) => "WHERE lower(name) LIKE lower($1) OR lower(email) LIKE lower($1)",
        None => "WHERE $1 = $1",
    };
    let pattern = format!("%{}%", query.unwrap_or_default());
    let total: i64 =
        sqlx::query_scalar(&format!(r#"SELECT COUNT(*) FROM "user" {filter}"#))
            .bind(&pattern)
            .fetch_one(&db.pool)
            .await?;
    let (column, descending) = match order_by.filter(|c| SORT_COLUMNS.contains(c)) {
        Some(column) => (column, direction != Some("asc")),
        None => ("created_at", true),
    };
    let order = if descending { "DESC" } else { "ASC" };
    let (offset, limit) = one_page(page, USERS_PER_PAGE);
    let sql = format!(
        r#"SELECT {USER_COLUMNS} FROM "user" {filter}
           ORDER BY {column} {order} LIMIT $2 OFFSET $3"#
    );
    let rows = sqlx::query(&sql)
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(&db.pool)
        .await?;
    let users = rows
        .iter()
        .map(UserModel::from_row)
        .collect::<Result<_, _>>()?;
    Ok((users, total))
}
// --8<-- [end:list]

/// A column of `user` an update may set, with its new value.
#[derive(Debug)]
pub enum UserField {
    /// `role`.
    Role(String),
    /// `name`.
    Name(String),
    /// `email`.
    Email(String),
    /// `profile_image_url`.
    ProfileImageUrl(String),
    /// `bio`.
    Bio(Option<String>),
    /// `gender`.
    Gender(Option<String>),
    /// `date_of_birth`, as `YYYY-MM-DD`.
    DateOfBirth(Option<String>),
    /// `last_active_at`.
    LastActiveAt(i64),
}

/// Set the given columns and return the row as it now is.
///
/// # Errors
/// The database failed.
pub async fn update_user(
    db: &Db,
    user_id: &str,
    fields: Vec<UserField>,
) -> Result<Option<UserModel>, sqlx::Error> {
    if !fields.is_empty() {
        let mut assignments = Vec::new();
        for (i, field) in fields.iter().enumerate() {
            let n = i + 2;
            assignments.push(match field {
                UserField::Role(_) => format!("role = ${n}"),
                UserField::Name(_) => format!("name = ${n}"),
                UserField::Email(_) => format!("email = ${n}"),
                UserField::ProfileImageUrl(_) => format!("profile_image_url = ${n}"),
                UserField::Bio(_) => format!("bio = ${n}"),
                UserField::Gender(_) => format!("gender = ${n}"),
                UserField::DateOfBirth(_) => format!("date_of_birth = {}", db.date(n)),
                UserField::LastActiveAt(_) => format!("last_active_at = ${n}"),
            });
        }
        let sql = format!(
            r#"UPDATE "user" SET {} WHERE id = $1"#,
            assignments.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(user_id);
        for field in fields {
            query = match field {
                UserField::Role(v)
                | UserField::Name(v)
                | UserField::Email(v)
                | UserField::ProfileImageUrl(v) => query.bind(v),
                UserField::Bio(v)
                | UserField::Gender(v)
                | UserField::DateOfBirth(v) => query.bind(v),
                UserField::LastActiveAt(v) => query.bind(v),
            };
        }
        query.execute(&db.pool).await?;
    }
    get_user_by_id(db, user_id).await
}

/// Record that the user made a request now.
///
/// # Errors
/// The database failed.
pub async fn touch_last_active(db: &Db, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(r#"UPDATE "user" SET last_active_at = $1 WHERE id = $2"#)
        .bind(now())
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Merge `changes` into the stored settings; in `ui`, a null value removes a key.
///
/// # Errors
/// The database failed.
pub async fn update_settings(
    db: &Db,
    user_id: &str,
    mut changes: Map<String, Value>,
) -> Result<Option<UserModel>, sqlx::Error> {
    let Some(user) = get_user_by_id(db, user_id).await? else {
        return Ok(None);
    };
    let mut merged = match user.settings {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let ui_changes = changes.remove("ui");
    merged.extend(changes);
    if let Some(Value::Object(ui_changes)) = ui_changes {
        let mut ui = match merged.remove("ui") {
            Some(Value::Object(ui)) => ui,
            _ => Map::new(),
        };
        for (key, value) in ui_changes {
            if value.is_null() {
                ui.remove(&key);
            } else {
                ui.insert(key, value);
            }
        }
        merged.insert("ui".into(), Value::Object(ui));
    }
    let sql = format!(
        r#"UPDATE "user" SET settings = {} WHERE id = $2"#,
        db.json(1)
    );
    sqlx::query(&sql)
        .bind(json_text(&Value::Object(merged)))
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    get_user_by_id(db, user_id).await
}

/// Remove the user, their credentials, key and chats, in one transaction.
///
/// # Errors
/// The database failed; nothing was removed.
pub async fn delete_user(db: &Db, user_id: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    crate::models::chats::delete_user_chat_rows(&mut tx, user_id).await?;
    for sql in [
        "DELETE FROM api_key WHERE user_id = $1",
        "DELETE FROM auth WHERE id = $1",
        r#"DELETE FROM "user" WHERE id = $1"#,
    ] {
        sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// A transaction on the pool, for model functions that write several tables.
pub type Tx<'a> = Transaction<'a, Any>;

// --8<-- [start:api-keys]
/// The owner of this API key.
///
/// # Errors
/// The database failed.
pub async fn get_user_by_api_key(
    db: &Db,
    key: &str,
) -> Result<Option<UserModel>, sqlx::Error> {
    one_user(
        db,
        r#"id IN (SELECT user_id FROM api_key WHERE "key" = $1)"#,
        key,
    )
    .await
}

/// The user's key, if they have one.
///
/// # Errors
/// The database failed.
pub async fn get_api_key(
    db: &Db,
    user_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(r#"SELECT "key" FROM api_key WHERE user_id = $1 LIMIT 1"#)
        .bind(user_id)
        .fetch_optional(&db.pool)
        .await
}

/// One key per user, stored as upstream does: plain text, id `key_<user>`.
///
/// # Errors
/// The database failed; the old key stays.
pub async fn replace_api_key(
    db: &Db,
    user_id: &str,
    key: &str,
) -> Result<(), sqlx::Error> {
    let now = now();
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM api_key WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        r#"INSERT INTO api_key (id, user_id, "key", created_at, updated_at)
           VALUES ($1, $2, $3, $4, $4)"#,
    )
    .bind(format!("key_{user_id}"))
    .bind(user_id)
    .bind(key)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Remove the user's key.
///
/// # Errors
/// The database failed.
pub async fn delete_api_key(db: &Db, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM api_key WHERE user_id = $1")
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
// --8<-- [end:api-keys]

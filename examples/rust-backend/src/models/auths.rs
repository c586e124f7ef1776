//! Upstream's `auth` table (one credential row per user) and the auth forms.

use serde::Deserialize;
use sqlx::Row;
use uuid::Uuid;

use crate::internal::db::{Db, Table};
use crate::models::users::{UserModel, get_user_by_id};
use crate::utils::auth::tokens::StoredAuth;
use crate::utils::misc::now;

// --8<-- [start:table]
/// `auth.id` equals `user.id`; upstream has no foreign key between them.
pub const TABLE: Table = Table {
    name: "auth",
    ddl: &["CREATE TABLE auth (
	id VARCHAR NOT NULL,
	email VARCHAR,
	password TEXT,
	active BOOLEAN,
	mfa JSON,
	session_stamp TEXT,
	PRIMARY KEY (id)
)"],
};

/// An `auth` row: the hash, and the stamp every token carries.
#[derive(Clone, Debug)]
pub struct Auth {
    /// The user's id.
    pub id: String,
    /// bcrypt (`$2b$`) or argon2 (`$argon2id$`).
    pub password: Option<String>,
    /// A deactivated account cannot sign in and its tokens are refused.
    pub active: bool,
    /// Every token carries the stamp it was issued under; rotating it revokes them.
    pub session_stamp: Option<String>,
}
// --8<-- [end:table]

impl Auth {
    /// What token validation needs of the row.
    #[must_use]
    pub fn stored(&self) -> StoredAuth {
        StoredAuth {
            id: self.id.clone(),
            active: self.active,
            session_stamp: self.session_stamp.clone(),
        }
    }
}

// --8<-- [start:forms]
/// `POST /signin`.
#[derive(Debug, Deserialize)]
pub struct SigninForm {
    /// Matched whatever its case.
    pub email: String,
    /// Checked against the stored hash.
    pub password: String,
}

/// `POST /signup`, and with a role, `POST /add`.
#[derive(Debug, Deserialize)]
pub struct SignupForm {
    /// The display name.
    pub name: String,
    /// Stored as `normalize_email` gives it.
    pub email: String,
    /// Hashed with `PASSWORD_HASH_ALGORITHM`.
    pub password: String,
    /// Checked by `validate_image_url`; `/user.png` when absent.
    #[serde(default = "default_image")]
    pub profile_image_url: Option<String>,
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "serde's default has the field's type"
)]
fn default_image() -> Option<String> {
    Some("/user.png".into())
}

/// `POST /add`: a sign-up by an admin, with the role to give.
#[derive(Debug, Deserialize)]
pub struct AddUserForm {
    /// Everything sign-up asks for.
    #[serde(flatten)]
    pub signup: SignupForm,
    /// `pending` when absent.
    #[serde(default = "default_role")]
    pub role: Option<String>,
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "serde's default has the field's type"
)]
fn default_role() -> Option<String> {
    Some("pending".into())
}

/// `POST /update/password`.
#[derive(Debug, Deserialize)]
pub struct UpdatePasswordForm {
    /// The current password.
    pub password: String,
    /// The new one.
    pub new_password: String,
}
// --8<-- [end:forms]

// --8<-- [start:insert-user]
/// A new account's fields, checked and hashed.
pub struct NewUser<'a> {
    /// Lower-cased.
    pub email: &'a str,
    /// The hash to store.
    pub password_hash: &'a str,
    /// The display name.
    pub name: &'a str,
    /// The picture, if any.
    pub profile_image_url: Option<&'a str>,
    /// The role to give.
    pub role: &'a str,
}

/// The `user` and `auth` rows of a new account, committed together.
///
/// # Errors
/// The database failed; neither row was written.
pub async fn insert_user(db: &Db, new: NewUser<'_>) -> Result<UserModel, sqlx::Error> {
    let user_id = Uuid::new_v4().to_string();
    let now = now();
    let mut tx = db.pool.begin().await?;
    sqlx::query(
        r#"INSERT INTO "user" (id, email, name, role, profile_image_url,
           last_active_at, updated_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $6)"#,
    )
    .bind(&user_id)
    .bind(new.email)
    .bind(new.name)
    .bind(new.role)
    .bind(new.profile_image_url)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO auth (id, email, password, active, session_stamp)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&user_id)
    .bind(new.email)
    .bind(new.password_hash)
    .bind(true)
    .bind(Uuid::new_v4().to_string())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    get_user_by_id(db, &user_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}
// --8<-- [end:insert-user]

// --8<-- [start:get-auth]
/// The user's `auth` row.
///
/// # Errors
/// The database failed.
pub async fn get_auth(db: &Db, user_id: &str) -> Result<Option<Auth>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, password, CAST(active AS INTEGER) AS active, session_stamp
         FROM auth WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| {
        Ok(Auth {
            id: row.try_get("id")?,
            password: row.try_get("password")?,
            active: row.try_get::<Option<i64>, _>("active")?.unwrap_or(0) != 0,
            session_stamp: row.try_get("session_stamp")?,
        })
    })
    .transpose()
}
// --8<-- [end:get-auth]

// --8<-- [start:rotate]
/// Give the user a new stamp, so every token issued before it stops working; with a
/// new password hash, store it in the same statement.
///
/// # Errors
/// The database failed; the old stamp stays.
pub async fn rotate_session_stamp(
    db: &Db,
    user_id: &str,
    password_hash: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE auth SET session_stamp = $1, password = COALESCE($2, password)
         WHERE id = $3",
    )
    .bind(Uuid::new_v4().to_string())
    .bind(password_hash)
    .bind(user_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}
// --8<-- [end:rotate]

/// Keep the credential's copy of the address in step with the user's.
///
/// # Errors
/// The database failed.
pub async fn update_email(
    db: &Db,
    user_id: &str,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE auth SET email = $1 WHERE id = $2")
        .bind(email)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

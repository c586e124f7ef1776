//! `/api/v1/users`: the admin's user list and edits, and each user's own settings.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::constants;
use crate::errors::ApiError;
use crate::extract::{Form, Query};
use crate::internal::deps::AppState;
use crate::models::auths;
use crate::models::users::{self, UserField, UserModel, UserUpdateForm};
use crate::utils::auth::passwords::password_too_long;
use crate::utils::auth::{AdminUser, VerifiedUser, hash_password};
use crate::utils::misc::now;
use crate::utils::validate::{check_role, email_to_store};

/// Upstream counts a user as active for three minutes after their last request.
const ACTIVE_SECONDS: i64 = 180;

// --8<-- [start:router]
/// The routes, mounted at `/api/v1/users`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(get_users))
        .route("/user/settings", get(get_user_settings))
        .route("/user/settings/update", post(update_user_settings))
        .route("/{user_id}", get(get_user).delete(delete_user))
        .route("/{user_id}/update", post(update_user))
        .route("/{user_id}/sessions/revoke", post(revoke_sessions))
}
// --8<-- [end:router]

fn http(status: StatusCode, detail: &str) -> ApiError {
    ApiError::new(status, detail)
}

/// The list's query parameters.
#[derive(Deserialize)]
struct ListQuery {
    query: Option<String>,
    order_by: Option<String>,
    direction: Option<String>,
    #[serde(default = "first_page")]
    page: i64,
}

fn first_page() -> i64 {
    1
}

// --8<-- [start:list]
/// A page of 30 users; groups are not part of this slice, so `group_ids` is [].
async fn get_users(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    Query(params): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let (page_users, total) = users::list_users(
        &state.db,
        params.query.as_deref(),
        params.order_by.as_deref(),
        params.direction.as_deref(),
        params.page,
    )
    .await?;
    let listed: Vec<Value> = page_users
        .iter()
        .map(|user| with(user, &[("group_ids", json!([]))]))
        .collect();
    Ok(Json(json!({"users": listed, "total": total})))
}
// --8<-- [end:list]

/// The user's JSON with extra keys, as `{**user.model_dump(), ...}` builds it.
fn with(user: &UserModel, extra: &[(&str, Value)]) -> Value {
    let mut value = serde_json::to_value(user).expect("a user serialises");
    if let Value::Object(map) = &mut value {
        for (key, item) in extra {
            map.insert((*key).to_owned(), item.clone());
        }
    }
    value
}

async fn get_user_settings(VerifiedUser(user): VerifiedUser) -> Json<Value> {
    Json(user.settings.unwrap_or(Value::Null))
}

/// `UserSettings`: a `ui` object, or null, plus whatever else the frontend stores.
#[derive(Deserialize)]
struct UserSettingsForm {
    #[serde(default, deserialize_with = "crate::extract::sent")]
    #[allow(
        clippy::option_option,
        reason = "absent and null mean different things"
    )]
    ui: Option<Option<Map<String, Value>>>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

async fn update_user_settings(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    Form(form): Form<UserSettingsForm>,
) -> Result<Json<Value>, ApiError> {
    let mut changes = form.extra;
    if let Some(ui) = form.ui {
        changes.insert("ui".into(), ui.map_or(Value::Null, Value::Object));
    }
    let updated = users::update_settings(&state.db, &user.id, changes).await?;
    Ok(Json(
        updated
            .and_then(|user| user.settings)
            .unwrap_or(Value::Null),
    ))
}

async fn get_user(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    Path(user_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = users::get_user_by_id(&state.db, &user_id)
        .await?
        .ok_or_else(|| http(StatusCode::BAD_REQUEST, constants::NOT_FOUND))?;
    let active = user.last_active_at >= now() - ACTIVE_SECONDS;
    Ok(Json(with(
        &user,
        &[("groups", json!([])), ("is_active", json!(active))],
    )))
}

// --8<-- [start:update]
/// Edit another account; the first account can be edited only by itself.
async fn update_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(user_id): Path<String>,
    Form(form): Form<UserUpdateForm>,
) -> Result<Json<UserModel>, ApiError> {
    let db = &state.db;
    check_role(form.role.as_deref(), state.settings.strict_roles)?;
    let first = users::first_user_id(db).await?;
    let demotes = !matches!(form.role.as_deref(), None | Some("admin"));
    if first.as_deref() == Some(user_id.as_str()) && (admin.id != user_id || demotes) {
        return Err(http(StatusCode::FORBIDDEN, constants::ACTION_PROHIBITED));
    }
    let user = users::get_user_by_id(db, &user_id)
        .await?
        .ok_or_else(|| http(StatusCode::BAD_REQUEST, constants::NOT_FOUND))?;
    let email = form
        .email
        .as_deref()
        .map(|email| email_to_store(email, state.settings.strict_emails))
        .transpose()?;
    if let Some(email) = &email {
        if *email != user.email && users::get_user_by_email(db, email).await?.is_some()
        {
            return Err(http(StatusCode::BAD_REQUEST, constants::EMAIL_TAKEN));
        }
    }
    if let Some(password) = form.password.as_deref().filter(|p| !p.is_empty()) {
        let algorithm = state.settings.password_hash_algorithm;
        if password_too_long(password, algorithm) {
            return Err(http(StatusCode::BAD_REQUEST, constants::PASSWORD_TOO_LONG));
        }
        let new_hash = hash_password(password, algorithm).await?;
        auths::rotate_session_stamp(db, &user_id, Some(&new_hash)).await?;
    }
    let mut changes: Vec<UserField> = [
        form.role.map(UserField::Role),
        form.name.map(UserField::Name),
        form.profile_image_url.map(UserField::ProfileImageUrl),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(email) = email {
        auths::update_email(db, &user_id, &email).await?;
        changes.push(UserField::Email(email));
    }
    if changes.is_empty() {
        return Ok(Json(user));
    }
    let updated = users::update_user(db, &user_id, changes).await?;
    Ok(Json(updated.unwrap_or(user)))
}
// --8<-- [end:update]

/// Neither the first account nor your own can be deleted.
async fn delete_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(user_id): Path<String>,
) -> Result<Json<bool>, ApiError> {
    let first = users::first_user_id(&state.db).await?;
    if first.as_deref() == Some(user_id.as_str()) || admin.id == user_id {
        return Err(http(StatusCode::FORBIDDEN, constants::ACTION_PROHIBITED));
    }
    users::delete_user(&state.db, &user_id).await?;
    Ok(Json(true))
}

// --8<-- [start:revoke]
/// Sign a user out everywhere by rotating the stamp their tokens carry.
async fn revoke_sessions(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(user_id): Path<String>,
) -> Result<Json<bool>, ApiError> {
    if users::get_user_by_id(&state.db, &user_id).await?.is_none() {
        return Err(http(StatusCode::NOT_FOUND, "User not found."));
    }
    let first = users::first_user_id(&state.db).await?;
    if first.as_deref() == Some(user_id.as_str()) && admin.id != user_id {
        return Err(http(StatusCode::FORBIDDEN, constants::ACTION_PROHIBITED));
    }
    auths::rotate_session_stamp(&state.db, &user_id, None).await?;
    Ok(Json(true))
}
// --8<-- [end:revoke]

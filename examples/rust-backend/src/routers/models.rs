//! `/api/v1/models`: workspace models; and `/api/models`, the chat UI's model list.
//!
//! Model ids may contain `/` (`org/model`), so they travel in the query string or
//! the body, never in the path.

use std::num::ParseIntError;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::constants;
use crate::errors::{ApiError, ValidationIssue};
use crate::extract::{Form, Query, int_failure};
use crate::internal::db::Db;
use crate::internal::deps::AppState;
use crate::models::access_grants::grants_of;
use crate::models::config;
use crate::models::models::{
    self as workspace, MAX_ID_LENGTH, Model, ModelForm, ModelIdForm, ModelMeta,
    ModelModel, ModelOwner, ModelParams, ModelSearch, RESOURCE, or_empty,
};
use crate::models::users::UserModel;
use crate::utils::access_control::{
    allowed_grants, granted_ids, may_read, may_write, readable, visible,
};
use crate::utils::auth::{AdminUser, VerifiedUser, user_may};
use crate::utils::misc::{json_equal, truthy};
use crate::utils::models::{all_models, present, provider_models, unique};

/// The routes, mounted at `/api/v1/models`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/list", get(list_models))
        .route("/create", post(create_model))
        .route("/model", get(get_model))
        .route("/model/toggle", post(toggle_model))
        .route("/model/update", post(update_model))
        .route("/model/delete", post(delete_model))
}

/// The chat UI's model list, mounted at `/api`; it needs a verified user.
pub fn openai_router() -> Router<AppState> {
    Router::new()
        .route("/models", get(list_chat_models))
        .route("/v1/models", get(list_chat_models))
        .route("/models/base", get(list_base_models))
}

// This backend keeps no files. A model that references one fails the way
// upstream's lookup of a file it cannot find fails.
fn check_knowledge(form: &ModelForm, user: &UserModel) -> Result<(), ApiError> {
    if user.role == "admin" {
        return Ok(());
    }
    let references_file = |item: &Value| {
        item.get("type") == Some(&json!("file")) && item.get("id").is_some_and(truthy)
    };
    if form.meta.knowledge.iter().flatten().any(references_file) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            constants::ACCESS_PROHIBITED,
        ));
    }
    Ok(())
}

fn check_background(url: Option<&str>, previous: Option<&str>) -> Result<(), ApiError> {
    if url.is_some_and(|url| !url.is_empty()) && url != previous {
        let detail = constants::BACKGROUND_NOT_ACCESSIBLE;
        return Err(ApiError::new(StatusCode::FORBIDDEN, detail));
    }
    Ok(())
}

fn check_avatar(
    avatar: Option<&Map<String, Value>>,
    previous: Option<&Map<String, Value>>,
) -> Result<(), ApiError> {
    let as_json = |avatar: Option<&Map<String, Value>>| {
        avatar.map_or(Value::Null, |avatar| Value::Object(avatar.clone()))
    };
    if avatar.is_some_and(|avatar| !avatar.is_empty())
        && !json_equal(&as_json(avatar), &as_json(previous))
    {
        let detail = constants::AVATAR_NOT_ACCESSIBLE;
        return Err(ApiError::new(StatusCode::FORBIDDEN, detail));
    }
    Ok(())
}

async fn get_or_fail(
    db: &Db,
    model_id: &str,
    status: StatusCode,
) -> Result<Model, ApiError> {
    workspace::get_model(db, model_id)
        .await?
        .ok_or_else(|| ApiError::new(status, constants::NOT_FOUND))
}

/// A model with its owner and whether the caller may edit it.
#[derive(Serialize)]
struct WithAccess<T> {
    #[serde(flatten)]
    model: T,
    user: Option<ModelOwner>,
    write_access: bool,
}

/// The list's query parameters; `page` is read as pydantic reads an `int`.
#[derive(Deserialize)]
struct ListQuery {
    query: Option<String>,
    view_option: Option<String>,
    tag: Option<String>,
    order_by: Option<String>,
    direction: Option<String>,
    page: Option<String>,
}

/// `page: int | None = 1`: pydantic also reads " 2 " and "2.0" as 2.
fn page_number(page: Option<&str>) -> Result<i64, ApiError> {
    let Some(text) = page else {
        return Ok(1);
    };
    let trimmed = text.trim();
    let whole = match trimmed.split_once('.') {
        Some((whole, zeros)) if zeros.chars().all(|c| c == '0') => whole,
        _ => trimmed,
    };
    whole.parse().map_err(|error: ParseIntError| {
        let (kind, msg) = int_failure(&error.to_string());
        ApiError::Validation(vec![ValidationIssue {
            kind: kind.to_owned(),
            loc: vec![json!("query"), json!("page")],
            msg,
            input: json!(text),
        }])
    })
}

// --8<-- [start:list]
/// 30 presets a page, with their owner and whether the caller may edit them.
async fn list_models(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    Query(params): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let db = &state.db;
    let reader = readable(db, &user).await?;
    let search = ModelSearch {
        user_id: &user.id,
        reader: reader.as_ref(),
        query: params.query.as_deref(),
        view_option: params.view_option.as_deref(),
        tag: params.tag.as_deref(),
        order_by: params.order_by.as_deref(),
        direction: params.direction.as_deref(),
        page: page_number(params.page.as_deref())?,
    };
    let (rows, total) = workspace::search_models(db, &search).await?;
    let ids: Vec<&str> = rows.iter().map(|(model, _)| model.id.as_str()).collect();
    let mut grants = grants_of(db, RESOURCE, &ids).await?;
    let writable = granted_ids(db, &user, &ids, "write").await?;
    let mut items = Vec::with_capacity(rows.len());
    for (model, owner) in rows {
        let model_grants = grants.remove(&model.id).unwrap_or_default();
        let mut item = json!(workspace::to_response(&model, model_grants)?);
        // Images can be large data URIs; the UI fetches them from their own route.
        if let Some(Value::Object(meta)) = item.get_mut("meta") {
            meta.retain(|key, _| key != "profile_image_url");
        }
        let write_access = user.role == "admin"
            || model.user_id.as_deref() == Some(user.id.as_str())
            || writable.contains(&model.id);
        // Read-only callers do not see the system prompt and other settings.
        if !write_access {
            item["params"] = json!({});
        }
        items.push(WithAccess {
            model: item,
            user: owner,
            write_access,
        });
    }
    Ok(Json(json!({"items": items, "total": total})))
}
// --8<-- [end:list]

// --8<-- [start:create]
async fn create_model(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    Form(body): Form<Value>,
) -> Result<Json<ModelModel>, ApiError> {
    let db = &state.db;
    let mut form = ModelForm::validate(body)?;
    let unauthorized =
        || ApiError::new(StatusCode::UNAUTHORIZED, constants::UNAUTHORIZED);
    if !user_may(db, &user, "workspace.models").await? {
        return Err(unauthorized());
    }
    if form.id.chars().count() > MAX_ID_LENGTH {
        let detail = constants::MODEL_ID_TOO_LONG;
        return Err(ApiError::new(StatusCode::BAD_REQUEST, detail));
    }
    if form.base_model_id.as_deref() == Some(form.id.as_str()) {
        form.base_model_id = None; // a model cannot be based on itself
    }
    if workspace::get_model(db, &form.id).await?.is_some() {
        let detail = constants::MODEL_ID_TAKEN;
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, detail));
    }
    // Only admins may override a provider model's own settings.
    if user.role != "admin" && form.base_model_id.as_deref().is_none_or(str::is_empty) {
        return Err(unauthorized());
    }
    check_knowledge(&form, &user)?;
    check_background(form.meta.background_image_url.as_deref(), None)?;
    check_avatar(form.meta.voice_avatar.as_ref(), None)?;
    let grants = allowed_grants(db, &user, &form.access_grants).await?;
    let model = workspace::insert_model(db, &form, &user.id, &grants).await?;
    Ok(Json(workspace::model_response(db, &model).await?))
}
// --8<-- [end:create]

/// The `id` query parameter of the single-model routes.
#[derive(Deserialize)]
struct IdQuery {
    id: String,
}

async fn get_model(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    Query(IdQuery { id }): Query<IdQuery>,
) -> Result<Json<WithAccess<ModelModel>>, ApiError> {
    let db = &state.db;
    let model = get_or_fail(db, &id, StatusCode::NOT_FOUND).await?;
    let write_access = may_write(db, &user, &model).await?;
    if !write_access && !may_read(db, &user, &model).await? {
        let detail = constants::ACCESS_PROHIBITED;
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, detail));
    }
    let mut response = workspace::model_response(db, &model).await?;
    // Read-only callers do not see the system prompt and other settings.
    if !write_access {
        response.params = ModelParams::default();
    }
    Ok(Json(WithAccess {
        model: response,
        user: None,
        write_access,
    }))
}

async fn toggle_model(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    Query(IdQuery { id }): Query<IdQuery>,
) -> Result<Json<ModelModel>, ApiError> {
    let db = &state.db;
    let mut model = get_or_fail(db, &id, StatusCode::UNAUTHORIZED).await?;
    if !may_write(db, &user, &model).await? {
        let detail = constants::UNAUTHORIZED;
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, detail));
    }
    workspace::toggle_model(db, &mut model).await?;
    Ok(Json(workspace::model_response(db, &model).await?))
}

// --8<-- [start:update]
/// Replace the model's configuration; what the form leaves out is kept.
///
/// The id comes from the body. Images, avatar, base model and model controls the
/// form does not mention keep their stored values.
async fn update_model(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    Form(body): Form<Value>,
) -> Result<Response, ApiError> {
    let db = &state.db;
    let mut form = ModelForm::validate(body)?;
    let model = get_or_fail(db, &form.id, StatusCode::UNAUTHORIZED).await?;
    if !may_write(db, &user, &model).await? {
        let detail = constants::ACCESS_PROHIBITED;
        return Err(ApiError::new(StatusCode::BAD_REQUEST, detail));
    }
    check_knowledge(&form, &user)?;
    if !form.fields_set.contains("base_model_id") {
        form.base_model_id.clone_from(&model.base_model_id);
    }
    if form.base_model_id.as_deref() == Some(form.id.as_str()) {
        form.base_model_id = None;
    }
    let based =
        |base: &Option<String>| base.as_deref().is_some_and(|base| !base.is_empty());
    if user.role != "admin"
        && based(&model.base_model_id)
        && !based(&form.base_model_id)
    {
        let detail = constants::UNAUTHORIZED;
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, detail));
    }
    let stored = ModelMeta::from_stored(&or_empty(model.meta.as_ref()))?;
    let sent = form.meta.fields_set.clone();
    if !sent.contains("profile_image_url") {
        form.meta
            .profile_image_url
            .clone_from(&stored.profile_image_url);
    }
    if !sent.contains("voice_avatar") {
        form.meta.voice_avatar.clone_from(&stored.voice_avatar);
    }
    if !sent.contains("background_image_url") {
        form.meta
            .background_image_url
            .clone_from(&stored.background_image_url);
    }
    check_avatar(
        form.meta.voice_avatar.as_ref(),
        stored.voice_avatar.as_ref(),
    )?;
    check_background(
        form.meta.background_image_url.as_deref(),
        stored.background_image_url.as_deref(),
    )?;
    if !form.params.controls_sent {
        let stored = ModelParams::from_stored(&or_empty(model.params.as_ref()))?;
        form.params.model_controls = stored.model_controls;
    }
    if !workspace::update_model(db, &model, &form, &user.id).await? {
        let body = json!({"detail": {"code": "version_conflict"}});
        return Ok((StatusCode::CONFLICT, Json(body)).into_response());
    }
    // Deleted in between: the Python twin's refresh of the row fails the same way.
    let updated = workspace::get_model(db, &model.id)
        .await?
        .ok_or_else(|| ApiError::status(StatusCode::INTERNAL_SERVER_ERROR))?;
    Ok(Json(workspace::model_response(db, &updated).await?).into_response())
}
// --8<-- [end:update]

async fn delete_model(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    Form(body): Form<Value>,
) -> Result<Json<bool>, ApiError> {
    let form = ModelIdForm::validate(body)?;
    let model = get_or_fail(&state.db, &form.id, StatusCode::UNAUTHORIZED).await?;
    if !may_write(&state.db, &user, &model).await? {
        let detail = constants::UNAUTHORIZED;
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, detail));
    }
    workspace::delete_model(&state.db, &model).await?;
    Ok(Json(true))
}

/// `refresh`, read as pydantic reads a `bool`.
#[derive(Deserialize)]
struct RefreshQuery {
    refresh: Option<String>,
}

// --8<-- [start:openai-list]
/// The models a chat can use, as `{"data": [...]}`: each connection's models with
/// the workspace's on top, those the caller may use, in the admin's order.
async fn list_chat_models(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    Query(params): Query<RefreshQuery>,
) -> Result<Json<Value>, ApiError> {
    let refresh = match params.refresh {
        Some(refresh) => {
            let loc = vec![json!("query"), json!("refresh")];
            workspace::boolean(&Value::String(refresh), loc)?
        }
        None => false,
    };
    let models = unique(all_models(&state, refresh).await?);
    let models = visible(&state.db, &user, models).await?;
    let order = config::get(&state.db, "ui.model_order_list").await?;
    let order = order.as_ref().and_then(Value::as_array).map(Vec::as_slice);
    Ok(Json(json!({"data": present(models, order)})))
}
// --8<-- [end:openai-list]

// --8<-- [start:base-list]
/// The connections' models as they list them, before the workspace's: for admins.
async fn list_base_models(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> Result<Json<Value>, ApiError> {
    let models = provider_models(&state).await?;
    Ok(Json(json!({"data": models.as_ref()})))
}
// --8<-- [end:base-list]

#[cfg(test)]
mod tests {
    use super::page_number;

    #[test]
    fn pages_are_read_as_pydantic_reads_an_int() {
        for (text, page) in [("2", 2), (" 3 ", 3), ("4.00", 4), ("-1", -1), ("+5", 5)] {
            assert_eq!(page_number(Some(text)).unwrap(), page, "{text:?}");
        }
        assert_eq!(page_number(None).unwrap(), 1);
        for text in ["two", "", "1.5", "1e3"] {
            assert!(page_number(Some(text)).is_err(), "{text:?}");
        }
    }
}

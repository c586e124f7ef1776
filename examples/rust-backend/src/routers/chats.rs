//! `/api/v1/chats`: a user's conversations, their pins, archive and share links.
//!
//! Status codes follow upstream even where they surprise: a chat that is missing or
//! someone else's answers 401, not 404, so ids cannot be probed.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{
    FromRequest, FromRequestParts, OptionalFromRequest, Path, Request, State,
};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::{DeserializeOwned, Error as _, Unexpected};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};

use crate::constants;
use crate::errors::ApiError;
use crate::extract::{Form, Query, from_value};
use crate::internal::db::Db;
use crate::internal::deps::AppState;
use crate::models::chats::{
    self, ChatError, ChatForm, ChatResponse, ChatTitleIdResponse,
};
use crate::models::shared_chats::{self, ShareChatForm, SharedChat};
use crate::models::users::UserModel;
use crate::models::{config, users};
use crate::utils::auth::{
    CurrentUser, VERIFIED_ROLES, VerifiedUser, has_permission, user_may,
};
use crate::utils::misc::json_safe;
use crate::utils::misc::truthy;

/// Chat keys that configure the owner's session; other readers do not get them.
const PRIVATE_CHAT_KEYS: [&str; 5] = [
    "params",
    "tool_servers",
    "tool_ids",
    "filter_ids",
    "variables",
];

/// The routes, mounted at `/api/v1/chats`.
///
/// `FastAPI` tries its routes in order and takes the first whose method fits, so
/// `DELETE /list` reaches `delete_chat("list")` where axum would answer 405 from the
/// `/list` route: each fixed route also carries the `/{id}` methods it lacks.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(list_chats).delete(delete_all_chats))
        .route(
            "/list",
            get(list_chats).post(update_chat).delete(delete_chat),
        )
        .route("/new", post(create_chat).get(get_chat).delete(delete_chat))
        .route(
            "/pinned",
            get(list_pinned_chats).post(update_chat).delete(delete_chat),
        )
        .route(
            "/archived",
            get(list_archived_chats)
                .post(update_chat)
                .delete(delete_chat),
        )
        .route("/share/{share_id}", get(get_shared_chat))
        .route("/{id}", get(get_chat).post(update_chat).delete(delete_chat))
        .route("/{id}/pinned", get(get_pinned))
        .route("/{id}/pin", post(toggle_pinned))
        .route("/{id}/archive", post(toggle_archived))
        .route("/{id}/share", post(share_chat).delete(unshare_chat))
}

fn http(status: StatusCode, detail: &str) -> ApiError {
    ApiError::new(status, detail)
}

/// The chat a `/{id}` route names; on a fixed route standing in for `/{id}`, the
/// path itself.
struct ChatId(String);

impl FromRequestParts<AppState> for ChatId {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let id = match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => id,
            Err(_) => parts.uri.path().trim_start_matches('/').to_owned(),
        };
        Ok(Self(id))
    }
}

/// The verified caller, or `None`: share links also open without an account.
struct OptionalUser(Option<UserModel>);

impl FromRequestParts<AppState> for OptionalUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        match CurrentUser::from_request_parts(parts, state).await {
            Ok(CurrentUser { user, .. }) => {
                let verified = VERIFIED_ROLES.contains(&user.role.as_str());
                Ok(Self(verified.then_some(user)))
            }
            // A refused credential is no credential; a failing database stays a 500.
            Err(ApiError::Http { .. }) => Ok(Self(None)),
            Err(error) => Err(error),
        }
    }
}

/// `SanitizedForm`: the body cleaned by `json_safe`, then validated into `T`.
struct Sanitized<T>(T);

impl<T: DeserializeOwned> FromRequest<AppState> for Sanitized<T> {
    type Rejection = ApiError;

    async fn from_request(
        request: Request,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let Form(body) = Form::<Value>::from_request(request, state).await?;
        from_value(&json_safe(body), "body").map(Self)
    }
}

/// `form: T | None = None`: an empty body, or JSON `null`, is no form at all.
impl<T: DeserializeOwned> OptionalFromRequest<AppState> for Sanitized<T> {
    type Rejection = ApiError;

    async fn from_request(
        request: Request,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        let (parts, body) = request.into_parts();
        let bytes =
            Bytes::from_request(Request::from_parts(parts.clone(), body), state)
                .await
                .map_err(|_| ApiError::status(StatusCode::PAYLOAD_TOO_LARGE))?;
        let null =
            serde_json::from_slice::<Value>(&bytes).is_ok_and(|body| body.is_null());
        if bytes.is_empty() || null {
            return Ok(None);
        }
        let request = Request::from_parts(parts, Body::from(bytes));
        <Self as FromRequest<AppState>>::from_request(request, state)
            .await
            .map(Some)
    }
}

async fn own_chat(
    db: &Db,
    chat_id: &str,
    user: &UserModel,
    detail: &str,
) -> Result<ChatResponse, ApiError> {
    chats::get_user_chat(db, chat_id, &user.id)
        .await?
        .ok_or_else(|| http(StatusCode::UNAUTHORIZED, detail))
}

fn is_user_message(message: &Map<String, Value>) -> bool {
    message.get("role").and_then(Value::as_str) == Some("user")
}

// --8<-- [start:authors]
/// Attribute every message the client sent to the caller.
///
/// Clients could otherwise put words in another user's mouth in a shared chat.
fn set_message_authors(
    chat: &mut Map<String, Value>,
    user: &UserModel,
) -> Result<(), ChatError> {
    for message in chats::all_messages(chat)? {
        message.insert("user_id".to_owned(), json!(user.id));
        if is_user_message(message) {
            let author = json!({"id": user.id, "name": user.name});
            message.insert("user".to_owned(), author);
        }
    }
    Ok(())
}
// --8<-- [end:authors]

/// Shape a chat for `viewer`: owner-only keys and others' message meta go.
///
/// Each user message names its author, looked up when the message does not say.
async fn present_chat(
    db: &Db,
    mut data: ChatResponse,
    viewer: Option<&UserModel>,
) -> Result<ChatResponse, ApiError> {
    let owner = Value::String(data.user_id.clone());
    let viewer = viewer.map(|viewer| Value::String(viewer.id.clone()));
    if viewer.as_ref() != Some(&owner) {
        data.variables = Map::new();
        for key in PRIVATE_CHAT_KEYS {
            data.chat.shift_remove(key);
        }
    }
    // A stored chat of the wrong shape is a server error, as in the Python twin.
    let mut messages = chats::all_messages(&mut data.chat)
        .map_err(|_| ApiError::status(StatusCode::INTERNAL_SERVER_ERROR))?;
    // Keyed by the id's JSON text: an id that is not text is still an id.
    let mut authors: HashMap<String, Value> = HashMap::new();
    for message in &mut messages {
        if is_user_message(message) {
            let author = message.get("user").and_then(Value::as_object);
            let author = author.cloned().unwrap_or_default();
            let author_id = [message.get("user_id"), author.get("id")]
                .into_iter()
                .flatten()
                .find(|id| truthy(id))
                .cloned()
                .unwrap_or_else(|| owner.clone());
            message.insert("user_id".to_owned(), author_id.clone());
            if author.get("id") == Some(&author_id)
                && author.get("name").is_some_and(truthy)
            {
                let named = json!({"id": author_id, "name": author["name"]});
                authors.insert(author_id.to_string(), named);
            }
        }
        let writer = message.get("user_id").filter(|id| truthy(id));
        if viewer.as_ref() != Some(writer.unwrap_or(&owner)) {
            message.shift_remove("meta");
        }
    }
    let mut wanted: Vec<String> = Vec::new();
    for message in messages.iter().filter(|message| is_user_message(message)) {
        let author_id = &message["user_id"];
        // Only text can be an account's id.
        if let Some(id) = author_id.as_str() {
            if !authors.contains_key(&author_id.to_string())
                && !wanted.iter().any(|w| w == id)
            {
                wanted.push(id.to_owned());
            }
        }
    }
    for id in wanted {
        if let Some(user) = users::get_user_by_id(db, &id).await? {
            let named = json!({"id": user.id, "name": user.name});
            authors.insert(Value::String(id).to_string(), named);
        }
    }
    for message in messages
        .into_iter()
        .filter(|message| is_user_message(message))
    {
        let author_id = message["user_id"].clone();
        let author = authors
            .get(&author_id.to_string())
            .cloned()
            .unwrap_or_else(|| json!({"id": author_id, "name": ""}));
        message.insert("user".to_owned(), author);
    }
    Ok(data)
}

/// Only the owner may continue a chat; everyone else reads it.
fn set_share_mode(data: &mut ChatResponse, continues: bool) {
    let mode = if continues {
        json!("continue")
    } else {
        Value::Null
    };
    data.chat.insert("share_mode".to_owned(), mode);
}

/// A share link's frozen copy, shaped like the chat it was taken from.
fn snapshot_response(shared: SharedChat) -> ChatResponse {
    ChatResponse {
        id: shared.id.clone(),
        user_id: shared.user_id,
        title: shared.title,
        chat: shared.chat,
        updated_at: shared.updated_at,
        created_at: shared.created_at,
        share_id: Some(shared.id),
        archived: false,
        pinned: Some(false),
        meta: Map::new(),
        variables: Map::new(),
        folder_id: None,
        tasks: None,
        summary: None,
        current_message_id: None,
        context_usage: None,
    }
}

/// pydantic's reading of a boolean query parameter: `1`, `on`, `yes`, `true`...
fn query_flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    let text = String::deserialize(deserializer)?;
    match text.to_lowercase().as_str() {
        "1" | "on" | "t" | "true" | "y" | "yes" => Ok(true),
        "0" | "off" | "f" | "false" | "n" | "no" => Ok(false),
        _ => Err(D::Error::invalid_value(
            Unexpected::Str(&text),
            &"a boolean",
        )),
    }
}

/// The main list's query parameters.
#[derive(Deserialize)]
struct ListQuery {
    page: Option<i64>,
    #[serde(default, deserialize_with = "query_flag")]
    include_pinned: bool,
    #[serde(default, deserialize_with = "query_flag")]
    include_folders: bool,
    sort_by: Option<String>,
    sort_dir: Option<String>,
}

// --8<-- [start:list]
/// The sidebar list, 60 a page; without `page`, every chat at once.
async fn list_chats(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    Query(params): Query<ListQuery>,
) -> Result<Json<Vec<ChatTitleIdResponse>>, ApiError> {
    let items = chats::list_titles(
        &state.db,
        &user.id,
        params.include_pinned,
        params.include_folders,
        params.sort_by.as_deref().unwrap_or("updated_at"),
        params.sort_dir.as_deref().unwrap_or("desc"),
        params.page,
    )
    .await?;
    Ok(Json(items))
}
// --8<-- [end:list]

async fn delete_all_chats(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
) -> Result<Json<bool>, ApiError> {
    if !user_may(&state.db, &user, "chat.delete").await? {
        return Err(http(StatusCode::UNAUTHORIZED, constants::ACCESS_PROHIBITED));
    }
    chats::delete_chats_by_user_id(&state.db, &user.id).await?;
    Ok(Json(true))
}

// --8<-- [start:create]
/// A new chat of the caller's, every message credited to them.
async fn create_chat(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    Sanitized(mut form): Sanitized<ChatForm>,
) -> Result<Json<ChatResponse>, ApiError> {
    // This backend has no folders, so every folder id is an unknown one.
    if form.folder_id.is_some() {
        return Err(http(StatusCode::NOT_FOUND, constants::NOT_FOUND));
    }
    set_message_authors(&mut form.chat, &user)?;
    if user.role != "admin" {
        let permissions = config::get(&state.db, "user.permissions").await?;
        let permissions = permissions.as_ref();
        if has_permission(permissions, "chat.temporary")
            && has_permission(permissions, "chat.temporary_enforced")
        {
            return Err(http(StatusCode::FORBIDDEN, constants::ACCESS_PROHIBITED));
        }
    }
    let chat = chats::insert_new_chat(&state.db, &user.id, form).await?;
    Ok(Json(chat))
}
// --8<-- [end:create]

async fn list_pinned_chats(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
) -> Result<Json<Vec<ChatTitleIdResponse>>, ApiError> {
    Ok(Json(chats::list_pinned(&state.db, &user.id).await?))
}

/// The archive's query parameters.
#[derive(Deserialize)]
struct ArchiveQuery {
    page: Option<i64>,
    query: Option<String>,
    order_by: Option<String>,
    direction: Option<String>,
}

async fn list_archived_chats(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    Query(params): Query<ArchiveQuery>,
) -> Result<Json<Vec<ChatTitleIdResponse>>, ApiError> {
    let items = chats::list_archived(
        &state.db,
        &user.id,
        params.query.as_deref(),
        params.order_by.as_deref(),
        params.direction.as_deref(),
        params.page.unwrap_or(1),
    )
    .await?;
    Ok(Json(items))
}

// --8<-- [start:share-link]
/// A share link: its creator and admins may open it (this backend stores no access
/// grants); the creator of a `continue` share sees the live chat.
async fn get_shared_chat(
    State(state): State<AppState>,
    OptionalUser(user): OptionalUser,
    Path(share_id): Path<String>,
) -> Result<Json<ChatResponse>, ApiError> {
    let db = &state.db;
    if let Some(shared) = shared_chats::get_shared_chat(db, &share_id).await? {
        let reader = user
            .as_ref()
            .filter(|user| user.role == "admin" || shared.user_id == user.id);
        let Some(reader) = reader else {
            let detail = match user {
                Some(_) => constants::ACCESS_PROHIBITED,
                None => constants::INVALID_TOKEN,
            };
            return Err(http(StatusCode::UNAUTHORIZED, detail));
        };
        let continues = shared.chat.get("share_mode") == Some(&json!("continue"));
        let live = chats::get_chat(db, &shared.chat_id)
            .await?
            .filter(|chat| continues && chat.user_id == reader.id);
        let is_live = live.is_some();
        let data = match live {
            Some(chat) => chats::read_chat(chat),
            None => snapshot_response(shared),
        };
        let mut data = present_chat(db, data, Some(reader)).await?;
        set_share_mode(&mut data, is_live);
        return Ok(Json(data));
    }
    // Admins may also open any chat by its own id.
    let admin = user.filter(|user| user.role == "admin");
    let chat = match &admin {
        Some(_) => chats::get_chat(db, &share_id).await?,
        None => None,
    };
    let (Some(chat), Some(admin)) = (chat, admin) else {
        return Err(http(StatusCode::UNAUTHORIZED, constants::NOT_FOUND));
    };
    let owns = chat.user_id == admin.id;
    let mut data = present_chat(db, chats::read_chat(chat), Some(&admin)).await?;
    set_share_mode(&mut data, owns);
    Ok(Json(data))
}
// --8<-- [end:share-link]

/// The owner's chat; admins may read anyone's, as upstream allows by default.
async fn get_chat(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    ChatId(id): ChatId,
) -> Result<Json<ChatResponse>, ApiError> {
    let chat = chats::get_chat(&state.db, &id)
        .await?
        .filter(|chat| chat.user_id == user.id || user.role == "admin")
        .ok_or_else(|| http(StatusCode::UNAUTHORIZED, constants::NOT_FOUND))?;
    let owns = chat.user_id == user.id;
    let mut data = present_chat(&state.db, chats::read_chat(chat), Some(&user)).await?;
    set_share_mode(&mut data, owns);
    Ok(Json(data))
}

// --8<-- [start:update]
/// Merge `form.chat` into the stored chat; only its owner may.
async fn update_chat(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    ChatId(id): ChatId,
    Sanitized(mut form): Sanitized<ChatForm>,
) -> Result<Json<ChatResponse>, ApiError> {
    let db = &state.db;
    let mut chat = own_chat(db, &id, &user, constants::ACCESS_PROHIBITED).await?;
    // A title-only change leaves the chat where it is in the recency order.
    let touch = form.chat.contains_key("history") || form.chat.contains_key("messages");
    let stored = match set_message_authors(&mut form.chat, &user) {
        Ok(()) => chats::update_chat(db, &mut chat, &form.chat, touch).await,
        Err(error) => Err(error),
    };
    // Upstream answers any failure here, the database's included, with its 400.
    if let Err(error) = stored {
        tracing::warn!(%error, chat_id = %chat.id, "chat update refused");
        return Err(http(StatusCode::BAD_REQUEST, constants::DEFAULT));
    }
    if let Some(variables) = form.variables {
        chats::set_variables(db, &mut chat, variables).await?;
    }
    Ok(Json(chat))
}
// --8<-- [end:update]

async fn delete_chat(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    ChatId(id): ChatId,
) -> Result<Json<bool>, ApiError> {
    let db = &state.db;
    let chat = if user.role == "admin" {
        chats::get_chat(db, &id).await?
    } else if !user_may(db, &user, "chat.delete").await? {
        return Err(http(StatusCode::UNAUTHORIZED, constants::ACCESS_PROHIBITED));
    } else {
        chats::get_user_chat(db, &id, &user.id).await?
    };
    let chat = chat.ok_or_else(|| http(StatusCode::NOT_FOUND, constants::NOT_FOUND))?;
    chats::delete_chat(db, &chat).await?;
    Ok(Json(true))
}

async fn get_pinned(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    ChatId(id): ChatId,
) -> Result<Json<Option<bool>>, ApiError> {
    let chat = own_chat(&state.db, &id, &user, constants::DEFAULT).await?;
    Ok(Json(chat.pinned))
}

async fn toggle_pinned(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    ChatId(id): ChatId,
) -> Result<Json<ChatResponse>, ApiError> {
    let mut chat = own_chat(&state.db, &id, &user, constants::DEFAULT).await?;
    chats::toggle_pinned(&state.db, &mut chat).await?;
    Ok(Json(chat))
}

async fn toggle_archived(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    ChatId(id): ChatId,
) -> Result<Json<ChatResponse>, ApiError> {
    let mut chat = own_chat(&state.db, &id, &user, constants::DEFAULT).await?;
    chats::toggle_archived(&state.db, &mut chat).await?;
    Ok(Json(chat))
}

// --8<-- [start:share]
/// Snapshot the chat behind a share link; sharing again refreshes the snapshot.
async fn share_chat(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    ChatId(id): ChatId,
    form: Option<Sanitized<ShareChatForm>>,
) -> Result<Json<ChatResponse>, ApiError> {
    let db = &state.db;
    let form = form.map(|Sanitized(form)| form);
    if !user_may(db, &user, "chat.share").await? {
        return Err(http(StatusCode::UNAUTHORIZED, constants::ACCESS_PROHIBITED));
    }
    let mut chat = own_chat(db, &id, &user, constants::ACCESS_PROHIBITED).await?;
    let shared = match chat.share_id.as_deref().filter(|id| !id.is_empty()) {
        Some(share_id) => shared_chats::get_shared_chat(db, share_id).await?,
        None => None,
    };
    if let Some(shared) = shared {
        shared_chats::refresh_shared_chat(db, &shared, &chat, form.as_ref()).await?;
        return Ok(Json(chats::read_chat(chat)));
    }
    let mode = form.and_then(|form| form.share_mode).flatten();
    // The snapshot and the chat's pointer to it are written together.
    let mut tx = db.pool.begin().await?;
    let share_id =
        shared_chats::create_shared_chat(db, &mut tx, &chat, &user.id, mode).await?;
    chats::set_share_id(&mut tx, &mut chat, Some(share_id)).await?;
    tx.commit().await?;
    Ok(Json(chat))
}
// --8<-- [end:share]

async fn unshare_chat(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    ChatId(id): ChatId,
) -> Result<Json<bool>, ApiError> {
    let db = &state.db;
    let mut chat = own_chat(db, &id, &user, constants::ACCESS_PROHIBITED).await?;
    shared_chats::delete_shared_chats(db, &chat.id).await?;
    if chat.share_id.as_deref().is_some_and(|id| !id.is_empty()) {
        let mut connection = db.pool.acquire().await?;
        chats::set_share_id(&mut connection, &mut chat, None).await?;
    }
    Ok(Json(true))
}

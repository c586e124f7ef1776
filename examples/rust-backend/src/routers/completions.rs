//! `/api/chat/completions`: a chat completion in API mode, for scripts and API-key
//! clients, answered in the response itself.
//!
//! The twin of `reference_backend/routers/completions.py`. The browser's requests
//! (UI mode, with a `session_id`) are answered at once upstream and streamed over
//! Socket.IO, which this backend does not serve: they stay on Open WebUI.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use futures_util::StreamExt;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::constants;
use crate::errors::ApiError;
use crate::extract::Dict;
use crate::internal::deps::AppState;
use crate::models::chat_messages::normalize_usage;
use crate::models::chats;
use crate::models::config;
use crate::models::models as workspace;
use crate::models::users::UserModel;
use crate::routers::openai::{Relayed, apply_params, generate_chat_completion};
use crate::utils::misc::{now, truthy};
use crate::utils::models::{all_models, may_use};
use crate::utils::streaming::{Lines, relay, with_error_frame};

/// The routes, mounted at `/api`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chat/completions", post(chat_completion))
        .route("/v1/chat/completions", post(chat_completion))
}

/// What the browser sends to steer Open WebUI, never meant for a provider.
const UI_FIELDS: [&str; 22] = [
    "model_item",
    "background_tasks",
    "parent_id",
    "new_chat",
    "message_ids",
    "user_message",
    "parent_message",
    "chat_id",
    "id",
    "chat_variables",
    "tool_servers",
    "automation_id",
    "assistant_message_id",
    "regeneration_message_id",
    "session_id",
    "folder_id",
    "filter_ids",
    "features",
    "variables",
    "tool_ids",
    "files",
    "params",
];

// --8<-- [start:ui-mode]
/// Why a request with a `session_id` is refused here.
pub const UI_MODE: &str = "UI-mode chat completions (with session_id) stream their \
reply over Socket.IO and are served by Open WebUI; send the request without session_id \
to get the reply in the response.";

/// The browser's request: upstream answers it at once and streams the reply over
/// Socket.IO. This backend has no Socket.IO, so it refuses before calling anything
/// or saving anything, and the parallel run sends such requests to Open WebUI.
fn refuse_ui_mode(form: &Map<String, Value>) -> Result<(), ApiError> {
    if form.get("session_id").is_some_and(truthy) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, UI_MODE));
    }
    Ok(())
}
// --8<-- [end:ui-mode]

// --8<-- [start:chat-completion]
/// The parameters a completion runs with.
struct Params {
    /// The admin's defaults under the workspace model's own.
    model: Map<String, Value>,
    /// Those under the request's own.
    merged: Map<String, Value>,
}

/// The admin's defaults, then the workspace model's parameters, then the request's
/// own; a `null` in the request changes nothing.
fn merged_params(
    defaults: Option<&Value>,
    model: Option<&Value>,
    request: Option<&Value>,
) -> Result<Params, ApiError> {
    let object = |value: Option<&Value>| {
        value
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let mut model_params = object(defaults);
    for (key, value) in object(model) {
        model_params.insert(key, value);
    }
    model_params.remove("model_controls");
    let mut request_params: Map<String, Value> = object(request)
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .collect();
    if let Some(controls) = request_params.remove("model_controls") {
        if !controls.is_object() {
            let detail = "Model control options must be keyed by model.";
            return Err(ApiError::new(StatusCode::BAD_REQUEST, detail));
        }
    }
    let mut merged = model_params.clone();
    merged.extend(request_params);
    Ok(Params {
        model: model_params,
        merged,
    })
}

/// The model's row, if the caller may use it; "Model not found" (400) otherwise, and
/// for a model that no connection lists.
async fn usable_model(
    state: &AppState,
    user: &UserModel,
    model_id: &str,
) -> Result<(Value, Option<workspace::Model>), ApiError> {
    let not_found =
        || ApiError::new(StatusCode::BAD_REQUEST, constants::MODEL_NOT_FOUND);
    let model = if let Some(model) = state.models.find(model_id) {
        model
    } else {
        // Upstream resolves against the list its last `/api/models` built; a model
        // added since is found here too, by building the list again once.
        let models = all_models(state, false).await?;
        crate::utils::models::find(&models, model_id)
            .cloned()
            .ok_or_else(not_found)?
    };
    let row = workspace::get_model(&state.db, model_id).await?;
    let base_missing = row
        .as_ref()
        .and_then(|row| row.base_model_id.as_deref())
        .is_some_and(|base| !base.is_empty() && state.models.find(base).is_none());
    if base_missing
        || (user.role != "admin" && !may_use(&state.db, user, row.as_ref()).await?)
    {
        return Err(not_found());
    }
    Ok((model, row))
}

/// The provider's request from the client's: the merged parameters applied, the
/// stream settings the model asks for, and none of the browser's fields.
async fn provider_payload(
    state: &AppState,
    mut form: Map<String, Value>,
    model: &Value,
    row: Option<&workspace::Model>,
) -> Result<Map<String, Value>, ApiError> {
    let defaults = config::get(&state.db, "models.default_params").await?;
    let params = merged_params(
        defaults.as_ref(),
        row.and_then(|row| row.params.as_ref()),
        form.get("params"),
    )?;
    if let Some(stream) = params
        .model
        .get("stream_response")
        .filter(|value| !value.is_null())
    {
        form.insert("stream".into(), stream.clone());
    }
    let wants_usage = model
        .pointer("/info/meta/capabilities/usage")
        .is_some_and(truthy);
    if wants_usage && form.get("stream").is_some_and(truthy) {
        let mut options = form
            .get("stream_options")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        options.insert("include_usage".into(), json!(true));
        form.insert("stream_options".into(), Value::Object(options));
    }
    form.retain(|key, _| !UI_FIELDS.contains(&key.as_str()));
    // The request's own values win over the parameters; the relay adds the model's.
    let mut payload = Map::new();
    apply_params(params.merged, &mut payload);
    for (key, value) in form {
        payload.insert(key, value);
    }
    Ok(payload)
}

/// `POST /api/chat/completions` without a `session_id`: the reply streams back as
/// the provider's events, or comes back as its JSON; with a `chat_id` and a message
/// `id` it is also saved into that chat.
async fn chat_completion(
    State(state): State<AppState>,
    crate::utils::auth::VerifiedUser(user): crate::utils::auth::VerifiedUser,
    Dict(form): Dict,
) -> Result<Response, ApiError> {
    refuse_ui_mode(&form)?;
    if state.models.is_empty() {
        all_models(&state, false).await?;
    }
    let model_id = form
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (model, row) = usable_model(&state, &user, &model_id).await?;
    let target = SaveTarget::from_form(&state, &user, &form, &model_id).await?;
    let payload = provider_payload(&state, form, &model, row.as_ref()).await?;
    let relayed = generate_chat_completion(&state, &user, payload).await?;
    match (relayed, target) {
        (
            Relayed::Stream {
                status,
                headers,
                lines,
            },
            None,
        ) => {
            let body = Body::from_stream(with_error_frame(lines));
            Ok(relay(status, &headers, body))
        }
        (Relayed::Stream { lines, .. }, Some(target)) => {
            target.save_stream(&state, lines).await
        }
        (Relayed::Json(reply), Some(target)) => target.save_json(&state, reply).await,
        (relayed, _) => Ok(relayed.into_response()),
    }
}
// --8<-- [end:chat-completion]

// --8<-- [start:save-message]
/// Where a reply is saved: an existing chat the caller may write, and the id its
/// assistant message gets, under the user message the request names, if any.
struct SaveTarget {
    chat_id: String,
    message_id: String,
    /// The assistant message's first version: what upstream writes before the call.
    placeholder: Map<String, Value>,
    /// The user message to add before it, with its id.
    user_message: Option<(String, Map<String, Value>)>,
}

/// The user message a request adds with its reply: the stored one if the chat has
/// it (a regeneration), else the request's, as its author's.
fn user_turn(
    user: &UserModel,
    message: &Map<String, Value>,
    id: &str,
    stored: Option<&Map<String, Value>>,
) -> Result<(String, Map<String, Value>), ApiError> {
    let existing = stored.and_then(|messages| messages.get(id));
    if existing.is_some_and(|existing| existing.get("role") != Some(&json!("user"))) {
        let detail = "You can only regenerate replies to user messages.";
        return Err(ApiError::new(StatusCode::FORBIDDEN, detail));
    }
    let message = existing
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(|| {
            let mut message = message.clone();
            let parent = message.get("parentId").cloned().unwrap_or(Value::Null);
            message.extend([
                ("id".to_owned(), json!(id)),
                ("parentId".to_owned(), parent),
                ("role".to_owned(), json!("user")),
                ("childrenIds".to_owned(), json!([])),
                ("timestamp".to_owned(), json!(now())),
                ("user_id".to_owned(), json!(user.id)),
                ("user".to_owned(), json!({"id": user.id, "name": user.name})),
            ]);
            message
        });
    Ok((id.to_owned(), message))
}

impl SaveTarget {
    /// The target the request names, checked before the provider is called, or `None`
    /// when it names no chat or no message id, or a chat that is not stored.
    async fn from_form(
        state: &AppState,
        user: &UserModel,
        form: &Map<String, Value>,
        model_id: &str,
    ) -> Result<Option<Self>, ApiError> {
        let text = |key: &str| {
            form.get(key)
                .and_then(Value::as_str)
                .filter(|text| !text.is_empty())
        };
        let (Some(chat_id), Some(message_id)) = (text("chat_id"), text("id")) else {
            return Ok(None);
        };
        // `local:` chats live in the browser only.
        if chat_id.starts_with("local:") {
            return Ok(None);
        }
        let Some(chat) = chats::get_user_chat(&state.db, chat_id, &user.id).await?
        else {
            return Err(ApiError::new(StatusCode::NOT_FOUND, constants::NOT_FOUND));
        };
        let stored = chat
            .chat
            .get("history")
            .and_then(|history| history.get("messages"))
            .and_then(Value::as_object);
        let user_message = form
            .get("user_message")
            .or_else(|| form.get("parent_message"))
            .and_then(Value::as_object)
            .filter(|message| !message.is_empty());
        let user_message_id = user_message
            .and_then(|message| message.get("id"))
            .and_then(Value::as_str);
        let conflict = || {
            ApiError::new(
                StatusCode::CONFLICT,
                "Message already exists or has an invalid ID.",
            )
        };
        if user_message.is_some()
            && user_message_id.is_none_or(|id| id.is_empty() || id == message_id)
        {
            return Err(conflict());
        }
        if let Some(existing) = stored.and_then(|messages| messages.get(message_id)) {
            let blank = existing.get("role") == Some(&json!("assistant"))
                && !["done", "content", "output"]
                    .iter()
                    .any(|key| existing.get(*key).is_some_and(truthy));
            if !blank {
                return Err(conflict());
            }
        }
        let user_message = match (user_message, user_message_id) {
            (Some(message), Some(id)) => Some(user_turn(user, message, id, stored)?),
            _ => None,
        };
        let placeholder = json!({
            "id": message_id,
            "parentId": user_message_id,
            "childrenIds": [],
            "role": "assistant",
            "content": "",
            "done": false,
            "model": model_id,
            "modelIdx": null,
            "timestamp": now(),
            "user_id": user.id,
        });
        Ok(Some(Self {
            chat_id: chat_id.to_owned(),
            message_id: message_id.to_owned(),
            placeholder: placeholder.as_object().cloned().unwrap_or_default(),
            user_message,
        }))
    }

    /// Save the finished reply: the user message first, then the assistant message
    /// with its output, written once.
    async fn save(
        &self,
        state: &AppState,
        content: &str,
        usage: Option<Value>,
    ) -> Result<(), ApiError> {
        if let Some((id, message)) = &self.user_message {
            chats::upsert_message(&state.db, &self.chat_id, id, message.clone())
                .await?;
        }
        let output = json!([{
            "type": "message",
            "id": format!("msg_{}", &Uuid::new_v4().simple().to_string()[..24]),
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": content}],
        }]);
        let mut message = self.placeholder.clone();
        message.insert("done".into(), json!(true));
        message.insert("output".into(), output);
        message.remove("content");
        if let Some(usage) = usage {
            message.insert("usage".into(), usage);
        }
        chats::upsert_message(&state.db, &self.chat_id, &self.message_id, message)
            .await?;
        Ok(())
    }

    /// A JSON reply: saved, then returned as it came.
    async fn save_json(
        self,
        state: &AppState,
        reply: Value,
    ) -> Result<Response, ApiError> {
        let content = reply
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if !content.is_empty() {
            let usage = normalize_usage(reply.get("usage"))?;
            self.save(state, &content, usage).await?;
        }
        Ok(Json(reply).into_response())
    }

    /// A streamed reply: read to its end, the text and usage gathered from its
    /// events, saved once. The client gets upstream's answer to this request: `null`.
    async fn save_stream(
        self,
        state: &AppState,
        mut lines: Lines<reqwest::Error>,
    ) -> Result<Response, ApiError> {
        let mut content = String::new();
        let mut usage = None;
        while let Some(line) = lines.next().await {
            let line: Bytes = match line {
                Ok(line) => line,
                Err(error) => {
                    tracing::warn!(%error, "the provider's stream broke off");
                    break;
                }
            };
            let Some(data) = line.strip_prefix(b"data:") else {
                continue;
            };
            let Ok(event) = serde_json::from_slice::<Value>(data.trim_ascii()) else {
                continue;
            };
            if let Some(delta) = event
                .pointer("/choices/0/delta/content")
                .and_then(Value::as_str)
            {
                content.push_str(delta);
            }
            if let Some(found) = event.get("usage").filter(|found| truthy(found)) {
                usage = Some(found.clone());
            }
        }
        let usage = normalize_usage(usage.as_ref())?;
        self.save(state, &content, usage).await?;
        Ok(Json(Value::Null).into_response())
    }
}
// --8<-- [end:save-message]

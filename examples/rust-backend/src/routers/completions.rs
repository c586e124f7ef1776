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
use crate::routers::openai::{Relayed, generate_chat_completion, python_repr};
use crate::utils::access_control::may_use;
use crate::utils::auth::VerifiedUser;
use crate::utils::misc::truthy;
use crate::utils::models::all_models;
use crate::utils::payload::{apply_model_controls, apply_params, merge_params};
use crate::utils::streaming::{Lines, relay, with_error_frame};

/// The routes, mounted at `/api`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chat/completions", post(chat_completion))
        .route("/v1/chat/completions", post(chat_completion))
}

/// Keys of the frontend's request that are Open WebUI's, not the provider's.
const OPEN_WEBUI_KEYS: [&str; 20] = [
    "model_item",
    "background_tasks",
    "new_chat",
    "message_ids",
    "parent_message",
    "chat_variables",
    "tool_servers",
    "automation_id",
    "assistant_message_id",
    "regeneration_message_id",
    "folder_id",
    "filter_ids",
    "variables",
    "features",
    "tool_ids",
    "terminal_id",
    "files",
    "skill_ids",
    "regeneration_prompt",
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
/// The admin's default parameters under the workspace model's own.
async fn model_params(
    state: &AppState,
    row: Option<&workspace::Model>,
) -> Result<Map<String, Value>, ApiError> {
    let object = |value: Option<Value>| match value {
        Some(Value::Object(object)) => object,
        _ => Map::new(),
    };
    let defaults = object(config::get(&state.db, "models.default_params").await?);
    let own = object(row.and_then(|row| row.params.clone()));
    let mut params = merge_params(&defaults, &own);
    params.remove("model_controls");
    Ok(params)
}

/// The request's own parameters that say something (not `null`), and its picks in
/// models' menus, by model id.
fn requested_params(
    form: &Map<String, Value>,
) -> Result<(Map<String, Value>, Value), ApiError> {
    let params = match form.get("params") {
        None | Some(Value::Null) => return Ok((Map::new(), json!({}))),
        Some(Value::Object(params)) => params,
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "params must be an object.",
            ));
        }
    };
    let picks = params
        .get("model_controls")
        .cloned()
        .unwrap_or_else(|| json!({}));
    if !picks.is_object() {
        let detail = "Model control options must be keyed by model.";
        return Err(ApiError::new(StatusCode::BAD_REQUEST, detail));
    }
    let own = params
        .iter()
        .filter(|(key, value)| !value.is_null() && *key != "model_controls")
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Ok((own, picks))
}

/// The listed model and its row, if `user` may use it; upstream's 400 otherwise,
/// also for a model no connection lists.
async fn checked_model(
    state: &AppState,
    user: &UserModel,
    model_id: &str,
) -> Result<(Value, Option<workspace::Model>), ApiError> {
    if state.models.is_empty() {
        all_models(state, false).await?;
    }
    let not_found =
        || ApiError::new(StatusCode::BAD_REQUEST, constants::MODEL_NOT_FOUND);
    let model = state.models.find(model_id).ok_or_else(not_found)?;
    let row = workspace::get_model(&state.db, model_id).await?;
    let base_missing = row
        .as_ref()
        .and_then(|row| row.base_model_id.as_deref())
        .is_some_and(|base| !base.is_empty() && state.models.find(base).is_none());
    if base_missing || !may_use(&state.db, user, row.as_ref()).await? {
        return Err(not_found());
    }
    Ok((model, row))
}

/// The parameters a completion runs with: the admin's and the model's under the
/// request's own, with the model's menus picked. A model that decides whether it
/// streams (`stream_response`) overrides the request's `stream`.
async fn completion_params(
    state: &AppState,
    row: Option<&workspace::Model>,
    form: &mut Map<String, Value>,
    model_id: &str,
) -> Result<Map<String, Value>, ApiError> {
    let params = model_params(state, row).await?;
    if let Some(stream) = params
        .get("stream_response")
        .filter(|value| !value.is_null())
    {
        form.insert("stream".into(), stream.clone());
    }
    let (requested, picks) = requested_params(form)?;
    let controls = row
        .and_then(|row| {
            row.params
                .as_ref()?
                .get("model_controls")?
                .as_object()
                .cloned()
        })
        .unwrap_or_default();
    let choices = picks.get(model_id).cloned().unwrap_or_else(|| json!({}));
    apply_model_controls(merge_params(&params, &requested), &controls, &choices)
}

/// `POST /api/chat/completions` without a `session_id`: the model checked, its
/// settings merged into the request, and the request relayed. The reply streams
/// back as the provider's events, or comes back as its JSON; with a `chat_id` and a
/// message `id` it is saved into that chat.
async fn chat_completion(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    Dict(mut form): Dict,
) -> Result<Response, ApiError> {
    refuse_ui_mode(&form)?;
    let model_id = form
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (model, row) = checked_model(&state, &user, &model_id).await?;
    let params = completion_params(&state, row.as_ref(), &mut form, &model_id).await?;
    let wants_usage = model
        .pointer("/info/meta/capabilities/usage")
        .is_some_and(truthy);
    if wants_usage && form.get("stream").is_some_and(truthy) {
        let mut options = match form.remove("stream_options") {
            Some(Value::Object(options)) => options,
            _ => Map::new(),
        };
        options.insert("include_usage".into(), json!(true));
        form.insert("stream_options".into(), Value::Object(options));
    }
    let target = chat_target(&state, &user, &mut form, &model_id).await?;
    form.retain(|key, _| !OPEN_WEBUI_KEYS.contains(&key.as_str()));
    // Upstream sends a chat without messages as an empty one.
    let mut payload = Map::from_iter([("messages".to_owned(), json!([]))]);
    payload.extend(form);
    let Some(target) = target else {
        apply_params(params, &mut payload);
        return Ok(match relayed(&state, &user, payload, None).await? {
            Relayed::Stream {
                status,
                headers,
                lines,
            } => relay(status, &headers, Body::from_stream(with_error_frame(lines))),
            relayed => relayed.into_response(),
        });
    };
    answer_into_chat(state, user, target, params, payload).await
}
// --8<-- [end:chat-completion]

// --8<-- [start:read-on]
/// Relay the conversation the chat stores and save the reply into it, once.
///
/// The chat already holds the empty reply, and upstream fills it in even when the
/// client leaves, so the work runs on a task of its own. When hyper drops the
/// handler (the client is gone), only the wait for the [`tokio::task::JoinHandle`]
/// goes with it; the task ends with the provider's reply, or with
/// `AIOHTTP_CLIENT_TIMEOUT`, the relay's own bound.
async fn answer_into_chat(
    state: AppState,
    user: UserModel,
    target: Target,
    params: Map<String, Value>,
    mut payload: Map<String, Value>,
) -> Result<Response, ApiError> {
    let task = tokio::spawn(async move {
        let sent = payload.get("messages");
        if let Some(messages) = stored_conversation(&state, &target, sent).await? {
            payload.insert("messages".into(), messages);
        }
        apply_params(params, &mut payload);
        let relayed = relayed(&state, &user, payload, Some(&target)).await?;
        save_reply(&state, &target, relayed).await
    });
    // A panic in the task is passed on as if the handler itself had panicked.
    task.await
        .unwrap_or_else(|failed| std::panic::resume_unwind(failed.into_panic()))
}
// --8<-- [end:read-on]

// --8<-- [start:save-message]
/// Where a reply goes: a chat and the id of its assistant message.
#[allow(clippy::struct_field_names, reason = "the ids of upstream's request")]
struct Target {
    chat_id: String,
    message_id: String,
    /// The user message the reply answers, when the request sent one.
    user_message_id: Option<String>,
}

/// With `chat_id` and a message `id`, where the reply goes. The chat must be the
/// caller's; the user message (when sent) and an empty reply are added to it now,
/// and the reply is filled in once, at the end.
async fn chat_target(
    state: &AppState,
    user: &UserModel,
    form: &mut Map<String, Value>,
    model_id: &str,
) -> Result<Option<Target>, ApiError> {
    let chat_id = form.remove("chat_id");
    let message_id = form.remove("id");
    let user_message = form.remove("user_message");
    form.remove("parent_id");
    form.remove("session_id");
    let (Some(Value::String(chat_id)), Some(Value::String(message_id))) =
        (chat_id, message_id)
    else {
        return Ok(None);
    };
    if chat_id.is_empty() || message_id.is_empty() || is_unsaved(&chat_id) {
        return Ok(None);
    }
    let user_message = match user_message {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(message)) => message,
        Some(_) => {
            let detail = "user_message must be an object.";
            return Err(ApiError::new(StatusCode::BAD_REQUEST, detail));
        }
    };
    if chats::get_user_chat(&state.db, &chat_id, &user.id)
        .await?
        .is_none()
    {
        return Err(ApiError::new(StatusCode::NOT_FOUND, constants::NOT_FOUND));
    }
    chats::insert_turn(
        &state.db,
        &chat_id,
        user,
        &user_message,
        &message_id,
        model_id,
    )
    .await?;
    let user_message_id = user_message
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(Some(Target {
        chat_id,
        message_id,
        user_message_id,
    }))
}

/// The conversation a saved chat's reply answers, as the chat stores it: upstream
/// rebuilds the messages from the chat, not from the request, keeping only the
/// request's system prompt. `None` when there is nothing stored to rebuild from.
async fn stored_conversation(
    state: &AppState,
    target: &Target,
    sent: Option<&Value>,
) -> Result<Option<Value>, ApiError> {
    let Some(user_message_id) = &target.user_message_id else {
        return Ok(None);
    };
    let Some(chat) = chats::get_chat(&state.db, &target.chat_id).await? else {
        return Ok(None);
    };
    let chain = chats::conversation(&chat.chat, user_message_id);
    if chain.is_empty() {
        return Ok(None);
    }
    // The request's first system message, wherever it stands, as upstream finds it.
    let system = sent
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|message| message.get("role") == Some(&json!("system")));
    Ok(Some(system.into_iter().cloned().chain(chain).collect()))
}

/// Chats whose id starts so live in the browser only.
fn is_unsaved(chat_id: &str) -> bool {
    ["local:", "channel:"]
        .iter()
        .any(|prefix| chat_id.starts_with(prefix))
}

/// The relay's answer; a refusal is written into the reply first, if there is one.
async fn relayed(
    state: &AppState,
    user: &UserModel,
    payload: Map<String, Value>,
    target: Option<&Target>,
) -> Result<Relayed, ApiError> {
    let detail = match generate_chat_completion(state, user, payload).await {
        Ok(Relayed::Refused(response)) => {
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let detail = error_detail(&bytes, parts.status);
            save(state, target, error_message(&detail)).await?;
            return Ok(Relayed::Refused(Response::from_parts(
                parts,
                Body::from(bytes),
            )));
        }
        Ok(relayed) => return Ok(relayed),
        Err(ApiError::Http { status, detail }) => (status, detail),
        Err(error) => return Err(error),
    };
    save(state, target, error_message(&detail.1)).await?;
    Err(ApiError::new(detail.0, detail.1))
}

/// A failed reply as upstream saves it.
fn error_message(detail: &str) -> Map<String, Value> {
    let message = json!({"error": {"content": detail}, "done": true});
    message.as_object().cloned().unwrap_or_default()
}

/// The message inside a provider's error body, as upstream digs it out.
fn error_detail(body: &[u8], status: StatusCode) -> String {
    let text = String::from_utf8_lossy(body);
    let Ok(mut detail) = serde_json::from_str::<Value>(&text) else {
        let text = text.trim();
        return if text.is_empty() {
            format!("Provider returned HTTP {}", status.as_u16())
        } else {
            text.to_owned()
        };
    };
    while let Value::Object(mut object) = detail {
        let key = ["error", "message", "detail"]
            .into_iter()
            .find(|key| object.contains_key(*key));
        let Some(key) = key else {
            return python_repr(&Value::Object(object));
        };
        detail = object.remove(key).unwrap_or_default();
    }
    match detail {
        Value::String(text) => text,
        other => python_repr(&other),
    }
}

/// The finished assistant message: its text as one output item, and its usage.
fn reply(content: &str, usage: Option<&Value>) -> Result<Map<String, Value>, ApiError> {
    let id = Uuid::new_v4().simple().to_string();
    let output = json!([{
        "type": "message",
        "id": format!("msg_{}", &id[..24]),
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": content}],
    }]);
    let mut message = Map::from_iter([
        ("done".to_owned(), json!(true)),
        ("output".to_owned(), output),
    ]);
    if let Some(usage) = normalize_usage(usage)? {
        message.insert("usage".into(), usage);
    }
    Ok(message)
}

/// Read a relayed stream to its end and gather the text and usage it carried.
///
/// # Errors
/// The provider's stream broke off: the failure, in the client's words.
async fn streamed_reply(
    mut lines: Lines<reqwest::Error>,
) -> Result<(String, Option<Value>), reqwest::Error> {
    let mut content = String::new();
    let mut usage = None;
    while let Some(line) = lines.next().await {
        let line: Bytes = line?;
        let data = line.trim_ascii();
        let data = data.strip_prefix(b"data:").unwrap_or(data).trim_ascii();
        let Ok(Value::Object(event)) = serde_json::from_slice::<Value>(data) else {
            continue;
        };
        if let Some(found) = event.get("usage").filter(|found| truthy(found)) {
            usage = Some(found.clone());
        }
        let choices = event
            .get("choices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for delta in
            choices.filter_map(|choice| choice.pointer("/delta/content")?.as_str())
        {
            content.push_str(delta);
        }
    }
    Ok((content, usage))
}

/// Consume the provider's answer, then save the assistant message once.
///
/// A stream is read here to its end and the response is `null`, as upstream's is
/// for a chat without a browser to stream to; JSON is saved and returned.
async fn save_reply(
    state: &AppState,
    target: &Target,
    relayed: Relayed,
) -> Result<Response, ApiError> {
    match relayed {
        Relayed::Stream { lines, .. } => match streamed_reply(lines).await {
            Ok((content, usage)) => {
                save(state, Some(target), reply(&content, usage.as_ref())?).await?;
                Ok(Json(Value::Null).into_response())
            }
            // Upstream saves and answers the failure in its exception's own words.
            Err(error) => {
                let detail = error.to_string();
                save(state, Some(target), error_message(&detail)).await?;
                Err(ApiError::new(StatusCode::BAD_REQUEST, detail))
            }
        },
        Relayed::Json(answer) => {
            let content = answer
                .pointer("/choices/0/message/content")
                .and_then(Value::as_str)
                .filter(|content| !content.is_empty());
            if let Some(content) = content {
                let mut message =
                    Map::from_iter([("role".to_owned(), json!("assistant"))]);
                message.extend(reply(content, answer.get("usage"))?);
                save(state, Some(target), message).await?;
            }
            Ok(Json(answer).into_response())
        }
        Relayed::Refused(response) => Ok(response),
    }
}

async fn save(
    state: &AppState,
    target: Option<&Target>,
    message: Map<String, Value>,
) -> Result<(), ApiError> {
    if let Some(target) = target {
        chats::save_message(&state.db, &target.chat_id, &target.message_id, message)
            .await?;
    }
    Ok(())
}
// --8<-- [end:save-message]

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_request_is_refused_with_a_clear_detail() {
        let browser = json!({"model": "m", "session_id": "s1"});
        let error = refuse_ui_mode(browser.as_object().unwrap()).unwrap_err();
        assert!(
            matches!(error, ApiError::Http { status, .. } if status == StatusCode::BAD_REQUEST)
        );
        let script = json!({"model": "m", "session_id": null});
        assert!(refuse_ui_mode(script.as_object().unwrap()).is_ok());
    }

    #[test]
    fn the_error_saved_is_the_message_inside_the_body() {
        let status = StatusCode::TOO_MANY_REQUESTS;
        let nested = br#"{"error": {"message": "slow down", "code": 429}}"#;
        assert_eq!(error_detail(nested, status), "slow down");
        assert_eq!(error_detail(b"plain words\n", status), "plain words");
        assert_eq!(error_detail(b"", status), "Provider returned HTTP 429");
        assert_eq!(error_detail(br#"{"code": 1}"#, status), "{'code': 1}");
    }

    #[test]
    fn a_reply_is_one_output_item_with_its_usage() {
        let usage = json!({"prompt_tokens": 2, "completion_tokens": 3});
        let message = reply("hi", Some(&usage)).unwrap();
        assert_eq!(message["done"], json!(true));
        assert_eq!(
            message["output"][0]["content"],
            json!([{"type": "output_text", "text": "hi"}])
        );
        assert_eq!(message["usage"]["input_tokens"], json!(2));
        assert!(!reply("hi", None).unwrap().contains_key("usage"));
    }
}

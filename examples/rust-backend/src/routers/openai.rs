//! `/openai`: the `OpenAI`-compatible connections, their models, and the relay of a
//! chat completion to the connection that serves its model.
//!
//! The twin of `reference_backend/routers/openai.py`. The connections live in the
//! config table, read on every request, so an admin's change made through Open WebUI
//! governs this backend at once, and the other way round.

use std::num::ParseIntError;
use std::sync::LazyLock;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use regex::Regex;
use serde_json::{Map, Value, json};

use crate::constants;
use crate::errors::{ApiError, ValidationIssue};
use crate::extract::{Dict, Form, int_failure};
use crate::internal::deps::AppState;
use crate::models::config;
use crate::models::models as workspace;
use crate::models::users::UserModel;
use crate::utils::access_control::{may_use, readable_ids};
use crate::utils::auth::{AdminUser, VerifiedUser};
use crate::utils::misc::truthy;
use crate::utils::models::{CONFIG_KEYS, Connections, find, padded, provider_models};
use crate::utils::payload::{add_system_prompt, apply_params};
use crate::utils::streaming::{Lines, relay};

/// `OpenAI`'s own API, which takes `max_completion_tokens`; others want `max_tokens`.
const OPENAI_HOST: &str = "api.openai.com";
/// `OpenAI`'s reasoning models: o1, o3…, gpt-5 and later, maybe behind a provider
/// prefix such as Bedrock's `us.openai.`.
static PROVIDER_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[a-z-]+\.)?openai\.").expect("a valid pattern"));
static O_SERIES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^o\d+").expect("a valid pattern"));
static GPT_VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^gpt-(\d+)").expect("a valid pattern"));

/// The routes, mounted at `/openai`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/config", get(get_config))
        .route("/config/update", post(update_config))
        .route("/models", get(list_models))
        .route("/models/{url_idx}", get(list_connection_models))
        .route("/chat/completions", post(chat_completion))
}

// --8<-- [start:config]
/// The stored settings under their API names; a key never stored is left out.
async fn get_config(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> Result<Json<Map<String, Value>>, ApiError> {
    let keys = CONFIG_KEYS.map(|(_, key)| key);
    let mut stored = config::get_many(&state.db, &keys).await?;
    let present = CONFIG_KEYS.iter().filter_map(|(name, key)| {
        let value = stored.remove(*key).flatten()?;
        Some(((*name).to_owned(), value))
    });
    Ok(Json(present.collect()))
}
// --8<-- [end:config]

// --8<-- [start:update-config]
/// The admin's form: the lists are required, the switch is not (absent is off).
#[derive(Debug)]
struct ConfigForm {
    enable: Option<bool>,
    urls: Vec<String>,
    keys: Vec<String>,
    configs: Map<String, Value>,
}

/// One problem pydantic would report at `loc`.
fn issue(kind: &str, loc: Vec<Value>, msg: &str, input: &Value) -> ValidationIssue {
    ValidationIssue {
        kind: kind.to_owned(),
        loc,
        msg: msg.to_owned(),
        input: input.clone(),
    }
}

/// A required list of strings, or the problems with it.
fn string_list(
    body: &Map<String, Value>,
    field: &str,
    issues: &mut Vec<ValidationIssue>,
) -> Vec<String> {
    let loc = || vec![json!("body"), json!(field)];
    match body.get(field) {
        None => {
            let body = Value::Object(body.clone());
            issues.push(issue("missing", loc(), "Field required", &body));
            Vec::new()
        }
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| {
                if let Value::String(text) = item {
                    return Some(text.clone());
                }
                let mut at = loc();
                at.push(json!(index));
                issues.push(issue(
                    "string_type",
                    at,
                    "Input should be a valid string",
                    item,
                ));
                None
            })
            .collect(),
        Some(other) => {
            issues.push(issue(
                "list_type",
                loc(),
                "Input should be a valid list",
                other,
            ));
            Vec::new()
        }
    }
}

impl ConfigForm {
    /// Every field checked, every problem reported at once, as pydantic does.
    fn validate(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut issues = Vec::new();
        let enable = match body.get("ENABLE_OPENAI_API") {
            None | Some(Value::Null) => None,
            Some(value) => {
                let loc = vec![json!("body"), json!("ENABLE_OPENAI_API")];
                match workspace::boolean(value, loc) {
                    Ok(flag) => Some(flag),
                    Err(ApiError::Validation(found)) => {
                        issues.extend(found);
                        None
                    }
                    Err(error) => return Err(error),
                }
            }
        };
        let urls = string_list(body, "OPENAI_API_BASE_URLS", &mut issues);
        let keys = string_list(body, "OPENAI_API_KEYS", &mut issues);
        let loc = || vec![json!("body"), json!("OPENAI_API_CONFIGS")];
        let configs = match body.get("OPENAI_API_CONFIGS") {
            Some(Value::Object(configs)) => configs.clone(),
            None => {
                let body = Value::Object(body.clone());
                issues.push(issue("missing", loc(), "Field required", &body));
                Map::new()
            }
            Some(other) => {
                issues.push(issue(
                    "dict_type",
                    loc(),
                    "Input should be a valid dictionary",
                    other,
                ));
                Map::new()
            }
        };
        if !issues.is_empty() {
            return Err(ApiError::Validation(issues));
        }
        Ok(Self {
            enable,
            urls,
            keys,
            configs,
        })
    }
}

/// Store the connections: one key per URL, and only the configs of connections that
/// exist. The model lists gathered so far are dropped.
async fn update_config(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    Form(body): Form<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let form = ConfigForm::validate(&body)?;
    let keys = padded(&form.keys, form.urls.len());
    let configs: Map<String, Value> = form
        .configs
        .into_iter()
        .filter(|(key, _)| key.parse::<usize>().is_ok_and(|idx| idx < form.urls.len()))
        .collect();
    config::upsert(
        &state.db,
        &[
            ("openai.enable", json!(form.enable)),
            ("openai.api_base_urls", json!(form.urls)),
            ("openai.api_keys", json!(keys)),
            ("openai.api_configs", Value::Object(configs.clone())),
        ],
    )
    .await?;
    state.models.clear();
    Ok(Json(json!({
        "ENABLE_OPENAI_API": form.enable,
        "OPENAI_API_BASE_URLS": form.urls,
        "OPENAI_API_KEYS": keys,
        "OPENAI_API_CONFIGS": configs,
    })))
}
// --8<-- [end:update-config]

// --8<-- [start:models]
/// Every connection's models, merged.
async fn list_models(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
) -> Result<Json<Value>, ApiError> {
    if !Connections::load(&state.db).await?.enable {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            constants::OPENAI_DISABLED,
        ));
    }
    let mut models = provider_models(&state).await?.as_ref().clone();
    // Upstream filters the list for users only; admins see every model.
    if user.role == "user" {
        let ids: Vec<&str> = models
            .iter()
            .filter_map(|model| model.get("id")?.as_str())
            .collect();
        let readable = readable_ids(&state.db, &user, &ids).await?;
        models.retain(|model| {
            model
                .get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| readable.contains(id))
        });
    }
    Ok(Json(json!({"data": models})))
}

/// `url_idx` read as pydantic reads an `int`, before anything else is checked, as
/// `FastAPI` validates a path parameter before the handler runs.
fn url_index(text: &str) -> Result<i64, ApiError> {
    text.trim().parse().map_err(|error: ParseIntError| {
        let (kind, msg) = int_failure(&error.to_string());
        ApiError::Validation(vec![ValidationIssue {
            kind: kind.to_owned(),
            loc: vec![json!("path"), json!("url_idx")],
            msg,
            input: json!(text),
        }])
    })
}

/// The connection at `index` of `count`. Open WebUI indexes a Python list, where -1
/// is the last connection; no connection has a negative index, so both twins answer
/// 404 as for one past the end.
fn connection_index(index: i64, count: usize) -> Result<usize, ApiError> {
    usize::try_from(index)
        .ok()
        .filter(|&index| index < count)
        .ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, constants::CONNECTION_NOT_FOUND)
        })
}

/// One connection's own model list, asked for now (admins only).
async fn list_connection_models(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    Path(url_idx): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let url_idx = url_index(&url_idx)?;
    if user.role != "admin" {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            constants::ACCESS_PROHIBITED,
        ));
    }
    let connections = Connections::load(&state.db).await?;
    if !connections.enable {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            constants::OPENAI_DISABLED,
        ));
    }
    let idx = connection_index(url_idx, connections.urls.len())?;
    let url = &connections.urls[idx];
    let failed =
        |detail: String| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, detail);
    let mut request =
        bearer(state.http.get(format!("{url}/models")), &connections, idx);
    if let Some(timeout) = state.settings.model_list_timeout {
        request = request.timeout(timeout);
    }
    let response = request.send().await.map_err(|error| {
        if error.is_timeout() {
            // Upstream reports its timeout's empty message.
            failed("Unexpected error: ".to_owned())
        } else {
            failed(constants::SERVER_CONNECTION_ERROR.to_owned())
        }
    })?;
    let status = response.status();
    let body: Option<Value> = response.json().await.ok();
    if status != StatusCode::OK {
        let detail = match body.as_ref().and_then(|body| body.get("error")) {
            Some(error) => format!("External Error: {}", python_repr(error)),
            None => format!("HTTP Error: {}", status.as_u16()),
        };
        return Err(failed(format!("Unexpected error: {detail}")));
    }
    let mut models =
        body.ok_or_else(|| failed(constants::SERVER_CONNECTION_ERROR.to_owned()))?;
    if url.contains(OPENAI_HOST) {
        if let Some(Value::Array(data)) = models.get_mut("data") {
            data.retain(|model| {
                let id = model.get("id").and_then(Value::as_str).unwrap_or_default();
                !crate::utils::models::is_unsupported_openai_model(id)
            });
        }
    }
    Ok(Json(models))
}

/// A JSON value as Python prints the dict it parses to: upstream puts that text in
/// its error messages.
pub fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => {
            let quote = if text.contains('\'') && !text.contains('"') {
                '"'
            } else {
                '\''
            };
            let escaped = text.replace('\\', "\\\\").replace('\n', "\\n");
            let escaped = if quote == '\'' {
                escaped.replace('\'', "\\'")
            } else {
                escaped
            };
            format!("{quote}{escaped}{quote}")
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(object) => {
            let items: Vec<String> = object
                .iter()
                .map(|(key, value)| {
                    format!("{}: {}", python_repr(&json!(key)), python_repr(value))
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}
// --8<-- [end:models]

// --8<-- [start:chat-completion]
/// What a provider sent back, for the caller to pass on or to read.
pub enum Relayed {
    /// A JSON reply.
    Json(Value),
    /// An event stream: the provider's status and headers, and its lines as they come.
    Stream {
        /// The provider's status.
        status: StatusCode,
        /// The provider's headers.
        headers: HeaderMap,
        /// The body, one line at a time.
        lines: Lines<reqwest::Error>,
    },
    /// The provider refused: its status and body, as upstream passes them on.
    Refused(Response),
}

impl IntoResponse for Relayed {
    fn into_response(self) -> Response {
        match self {
            Self::Json(body) => Json(body).into_response(),
            Self::Stream {
                status,
                headers,
                lines,
            } => relay(status, &headers, Body::from_stream(lines)),
            Self::Refused(response) => response,
        }
    }
}

/// Whether `model` is one of `OpenAI`'s reasoning models.
fn is_reasoning_model(model: &str) -> bool {
    let lower = model.to_lowercase();
    let bare = PROVIDER_PREFIX.replace(&lower, "");
    O_SERIES.is_match(&bare)
        || GPT_VERSION
            .captures(&bare)
            .and_then(|captures| captures[1].parse::<u64>().ok())
            .is_some_and(|version| version >= 5)
}

/// `Authorization: Bearer <key>` unless the connection says it needs none.
fn bearer(
    request: reqwest::RequestBuilder,
    connections: &Connections,
    idx: usize,
) -> reqwest::RequestBuilder {
    let auth_type = connections.api_config(idx).get("auth_type").cloned();
    let key = connections.key(idx);
    let uses_key = matches!(
        auth_type.as_ref().and_then(Value::as_str),
        None | Some("bearer")
    );
    if uses_key && !key.is_empty() {
        request.bearer_auth(key)
    } else {
        request
    }
}

/// Send a chat completion to the connection serving its model.
///
/// A workspace model's base model, parameters and system prompt are applied; the
/// caller must be allowed to use the model. The provider's reply comes back as
/// JSON, as a stream of lines, or as its refusal.
///
/// # Errors
/// The API is off (503); the model is unknown (404) or not the caller's (403); the
/// provider could not be reached in time (500, upstream's message).
pub async fn generate_chat_completion(
    state: &AppState,
    user: &UserModel,
    mut payload: Map<String, Value>,
) -> Result<Relayed, ApiError> {
    let db = &state.db;
    let connections = Connections::load(db).await?;
    if !connections.enable {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            constants::OPENAI_DISABLED,
        ));
    }
    // Refused here with a detail, not passed on for the provider to refuse.
    if payload
        .get("messages")
        .is_some_and(|messages| !messages.is_array())
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            constants::MESSAGES_NOT_A_LIST,
        ));
    }
    payload.remove("metadata");
    let mut model_id = payload
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let row = workspace::get_model(db, &model_id).await?;
    if let Some(row) = &row {
        if let Some(base) = row.base_model_id.as_ref().filter(|base| !base.is_empty()) {
            payload.insert("model".into(), json!(base));
            model_id.clone_from(base);
        }
        if let Some(Value::Object(mut params)) = row.params.clone() {
            let system = params.remove("system");
            apply_params(params, &mut payload);
            if let Some(system) = system
                .as_ref()
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                add_system_prompt(system, &mut payload);
            }
        }
    }
    if !may_use(db, user, row.as_ref()).await? {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            constants::MODEL_NOT_FOUND,
        ));
    }
    // The connection of each model as last gathered; only a model missing from that
    // list makes the connections be asked again, as upstream does.
    let mut found = state.models.provider_model(&model_id);
    if found.is_none() {
        found = find(&provider_models(state).await?, &model_id).cloned();
    }
    let idx = found
        .as_ref()
        .and_then(|model| model.get("urlIdx"))
        .and_then(Value::as_u64)
        .and_then(|idx| usize::try_from(idx).ok())
        .filter(|&idx| idx < connections.urls.len())
        .ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, constants::UNKNOWN_MODEL)
        })?;
    let url = &connections.urls[idx];
    let prefix = connections
        .api_config(idx)
        .get("prefix_id")
        .and_then(Value::as_str)
        .map(|prefix| format!("{prefix}."))
        .filter(|prefix| prefix.len() > 1);
    if let Some(stripped) = prefix.and_then(|prefix| model_id.strip_prefix(&prefix)) {
        payload.insert("model".into(), json!(stripped));
    }
    rewrite_token_limits(&mut payload, url);
    let streamed = payload.get("stream").is_some_and(truthy);
    if !streamed {
        payload.remove("stream_options");
    }
    let body = serde_json::to_vec(&payload).unwrap_or_default();
    let mut request = bearer(
        state.http.post(format!("{url}/chat/completions")),
        &connections,
        idx,
    )
    .header(CONTENT_TYPE, "application/json")
    .body(body);
    if let Some(timeout) = state.settings.client_timeout {
        request = request.timeout(timeout);
    }
    send(request).await
}

/// `max_completion_tokens` for `OpenAI`'s reasoning models, `max_tokens` for
/// providers other than `OpenAI`; never both.
fn rewrite_token_limits(payload: &mut Map<String, Value>, url: &str) {
    let model = payload
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if is_reasoning_model(&model) {
        if let Some(limit) = payload.remove("max_tokens") {
            payload.insert("max_completion_tokens".into(), limit);
        }
        let legacy = model.to_lowercase();
        let legacy = legacy.starts_with("o1-mini") || legacy.starts_with("o1-preview");
        let first = payload
            .get_mut("messages")
            .and_then(Value::as_array_mut)
            .and_then(|messages| messages.first_mut())
            .filter(|first| first.get("role") == Some(&json!("system")));
        if let Some(first) = first {
            first["role"] = json!(if legacy { "user" } else { "developer" });
        }
    } else if !url.contains(OPENAI_HOST) {
        if let Some(limit) = payload.remove("max_completion_tokens") {
            payload.insert("max_tokens".into(), limit);
        }
    }
    if payload.contains_key("max_completion_tokens") {
        payload.remove("max_tokens");
    }
}

/// The direct relay: `/openai/chat/completions` passes the reply on as it comes.
async fn chat_completion(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    Dict(payload): Dict,
) -> Result<Relayed, ApiError> {
    generate_chat_completion(&state, &user, payload).await
}
// --8<-- [end:chat-completion]

// --8<-- [start:provider-errors]
/// Whether a content type is JSON, as aiohttp decides before it parses a body.
fn is_json(headers: &HeaderMap) -> bool {
    let mime = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    mime == "application/json" || mime.ends_with("+json")
}

/// The provider could not be reached, failed mid-reply, or took too long: upstream's
/// message, with the provider's status if it had sent one.
fn connection_error(status: Option<StatusCode>, error: &reqwest::Error) -> ApiError {
    tracing::warn!(%error, "the provider request failed");
    let status = status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ApiError::new(status, constants::SERVER_CONNECTION_ERROR)
}

/// A provider's refusal as upstream passes it on: its status, its body (JSON when it
/// parses, else text, or for an event stream `{"error": {"message", "code"}}`), and
/// its `Retry-After`, so a client backs off as the provider asked.
fn refusal(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    event_stream: bool,
) -> Response {
    let mut kept = HeaderMap::new();
    for name in ["retry-after", "retry-after-ms"] {
        if let Some(value) = headers.get(name) {
            kept.insert(name, value.clone());
        }
    }
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let json_body = if event_stream {
        Some(parsed.unwrap_or_else(
            || json!({"error": {"message": body, "code": status.as_u16()}}),
        ))
    } else {
        parsed
            .filter(|value| is_json(headers) && (value.is_object() || value.is_array()))
    };
    if let Some(value) = json_body {
        return (status, kept, Json(value)).into_response();
    }
    let text = HeaderValue::from_static("text/plain; charset=utf-8");
    kept.insert(CONTENT_TYPE, text);
    (status, kept, body.to_owned()).into_response()
}

/// Send the request and sort the reply: a stream is passed on unread, anything else
/// is read whole (it is small), and a refusal keeps the provider's status.
async fn send(request: reqwest::RequestBuilder) -> Result<Relayed, ApiError> {
    let response = request
        .send()
        .await
        .map_err(|error| connection_error(None, &error))?;
    let status = response.status();
    let headers = response.headers().clone();
    let event_stream = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("text/event-stream"));
    if event_stream && status.as_u16() < 400 {
        let lines = Lines::new(response.bytes_stream());
        return Ok(Relayed::Stream {
            status,
            headers,
            lines,
        });
    }
    let body = response
        .text()
        .await
        .map_err(|error| connection_error(Some(status), &error))?;
    if status.as_u16() >= 400 {
        return Ok(Relayed::Refused(refusal(
            status,
            &headers,
            &body,
            event_stream,
        )));
    }
    let parsed = serde_json::from_str(&body)
        .ok()
        .filter(|_| is_json(&headers));
    Ok(Relayed::Json(parsed.unwrap_or(Value::String(body))))
}
// --8<-- [end:provider-errors]

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasoning_models_are_recognised_behind_a_provider_prefix() {
        for model in ["o1", "o3-mini", "gpt-5", "GPT-6.1", "us.openai.gpt-5"] {
            assert!(is_reasoning_model(model), "{model}");
        }
        for model in ["gpt-4o", "handbook-echo", "gpt-", "openai"] {
            assert!(!is_reasoning_model(model), "{model}");
        }
    }

    #[test]
    fn token_limits_follow_the_provider() {
        let mut payload = json!({"model": "m", "max_completion_tokens": 3})
            .as_object()
            .cloned()
            .unwrap();
        rewrite_token_limits(&mut payload, "http://127.0.0.1:1/v1");
        assert_eq!(
            Value::Object(payload),
            json!({"model": "m", "max_tokens": 3})
        );
        let mut payload = json!({"model": "gpt-5", "max_tokens": 3,
            "messages": [{"role": "system", "content": "s"}]})
        .as_object()
        .cloned()
        .unwrap();
        rewrite_token_limits(&mut payload, "https://api.openai.com/v1");
        assert_eq!(
            Value::Object(payload),
            json!({"model": "gpt-5", "messages": [{"role": "developer", "content": "s"}],
                   "max_completion_tokens": 3})
        );
    }

    #[test]
    fn errors_quote_provider_json_as_python_prints_it() {
        let error =
            json!({"message": "it's bad", "param": null, "code": 401, "ok": false});
        assert_eq!(
            python_repr(&error),
            r#"{'message': "it's bad", 'param': None, 'code': 401, 'ok': False}"#
        );
    }

    #[test]
    fn a_connection_index_is_in_range_and_never_negative() {
        assert_eq!(connection_index(1, 2).unwrap(), 1);
        assert!(connection_index(-1, 2).is_err());
        assert!(connection_index(2, 2).is_err());
        assert!(connection_index(i64::MIN, 2).is_err());
    }

    #[test]
    fn a_url_index_is_an_i64_or_pydantics_422() {
        assert_eq!(url_index(" 7 ").unwrap(), 7);
        for (text, kind) in [
            ("x", "int_parsing"),
            ("99999999999999999999", "less_than_equal"),
            ("-99999999999999999999", "greater_than_equal"),
        ] {
            let Err(ApiError::Validation(issues)) = url_index(text) else {
                panic!("{text} was read as an index");
            };
            assert_eq!(issues[0].kind, kind, "{text}");
        }
    }
}

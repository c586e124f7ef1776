//! The routes: `/v1/models` and `/v1/chat/completions`, behind an optional API key.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::chat::{ChatRequest, Reply};
use crate::error::ApiError;
use crate::settings::Settings;
use crate::stream;

// Models are listed with a fixed date, so the listing is the same on every run.
const MODELS_CREATED: u64 = 1_700_000_000;

struct AppState {
    settings: Settings,
    // Completion ids only need to differ within one run.
    next_id: AtomicU64,
}

pub fn router(settings: Settings) -> Router {
    let api_key = settings.api_key.clone();
    let state = Arc::new(AppState {
        settings,
        next_id: AtomicU64::new(1),
    });
    let router = Router::new()
        .route("/v1/models", get(list_models))
        .route("/v1/chat/completions", post(chat_completions))
        .fallback(unknown_route)
        .with_state(state);
    match api_key {
        Some(key) => {
            router.layer(middleware::from_fn_with_state(Arc::from(key), require_key))
        }
        None => router,
    }
}

async fn require_key(
    State(key): State<Arc<str>>,
    request: Request,
    next: Next,
) -> Response {
    let bearer = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    if bearer == Some(&*key) {
        next.run(request).await
    } else {
        ApiError::invalid_api_key().into_response()
    }
}

async fn list_models(State(state): State<Arc<AppState>>) -> Json<Value> {
    let data: Vec<Value> = state
        .settings
        .models
        .iter()
        .map(|id| {
            json!({
                "id": id,
                "object": "model",
                "created": MODELS_CREATED,
                "owned_by": "handbook",
            })
        })
        .collect();
    Json(json!({"object": "list", "data": data}))
}

// The body is read as bytes and parsed here, so that every malformed request gets a
// 400 in OpenAI's shape rather than axum's plain-text rejection.
async fn chat_completions(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| {
        ApiError::with_status(rejection.status(), rejection.body_text())
    })?;
    let request: ChatRequest = serde_json::from_slice(&body)
        .map_err(|error| ApiError::bad_request(format!("Invalid body: {error}")))?;
    if !state.settings.models.contains(&request.model) {
        return Err(ApiError::model_not_found(&request.model));
    }
    let id = format!("chatcmpl-{}", state.next_id.fetch_add(1, Ordering::Relaxed));
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let reply = Reply::plan(request, &state.settings, id, created);
    Ok(if reply.stream {
        Sse::new(stream::events(reply)).into_response()
    } else {
        Json(reply.completion()).into_response()
    })
}

async fn unknown_route(method: Method, uri: Uri) -> ApiError {
    ApiError::unknown_route(method.as_str(), uri.path())
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;
    use std::time::Duration;

    use axum::body::{Body, to_bytes};
    use axum::http::StatusCode;
    use tower::ServiceExt;

    use super::*;

    fn settings(api_key: Option<&str>) -> Settings {
        Settings {
            port: 0,
            models: vec!["m".to_owned()],
            tokens: NonZeroUsize::new(3).unwrap(),
            delay: Duration::ZERO,
            api_key: api_key.map(str::to_owned),
        }
    }

    async fn call(app: Router, request: Request) -> (StatusCode, String) {
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    fn chat(body: &str) -> Request {
        Request::post("/v1/chat/completions")
            .body(Body::from(body.to_owned()))
            .unwrap()
    }

    #[tokio::test]
    async fn streams_the_completion_as_chunks() {
        let body = r#"{"model":"m","messages":[{"role":"user","content":"a b"}],
                       "stream":true,"stream_options":{"include_usage":true}}"#;
        let (status, text) = call(router(settings(None)), chat(body)).await;
        assert_eq!(status, StatusCode::OK);
        let frames: Vec<&str> = text.split_terminator("\n\n").collect();
        assert_eq!(frames.len(), 6, "{text}");
        assert!(frames[0].contains(r#""delta":{"role":"assistant","content":"a"}"#));
        assert!(frames[2].contains(r#""delta":{"content":" a"},"finish_reason":null"#));
        assert!(frames[3].contains(r#""delta":{},"finish_reason":"stop""#));
        assert!(frames[4].contains(r#""choices":[],"usage":{"prompt_tokens":2,"#));
        assert_eq!(frames[5], "data: [DONE]");
    }

    #[tokio::test]
    async fn errors_have_openai_shape() {
        let cases = [
            (chat("{"), StatusCode::BAD_REQUEST, "null"),
            (
                chat(r#"{"model":"x","messages":[]}"#),
                StatusCode::NOT_FOUND,
                r#""model_not_found""#,
            ),
            (
                Request::get("/v2").body(Body::empty()).unwrap(),
                StatusCode::NOT_FOUND,
                "null",
            ),
        ];
        for (request, status, code) in cases {
            let (got, text) = call(router(settings(None)), request).await;
            assert_eq!(got, status, "{text}");
            assert!(
                text.contains(&format!(r#""param":null,"code":{code}"#)),
                "{text}"
            );
        }
    }

    #[tokio::test]
    async fn the_api_key_is_required_when_set() {
        let app = router(settings(Some("k")));
        let models = |auth: &str| {
            Request::get("/v1/models")
                .header(AUTHORIZATION, auth)
                .body(Body::empty())
                .unwrap()
        };
        assert_eq!(
            call(app.clone(), models("Bearer k")).await.0,
            StatusCode::OK
        );
        let (status, text) = call(app, models("Bearer wrong")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(text.contains(r#""code":"invalid_api_key""#), "{text}");
    }
}

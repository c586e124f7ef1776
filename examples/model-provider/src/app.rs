//! The routes: `/v1/models` and `/v1/chat/completions`, behind an optional API key,
//! every request logged as it arrives.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::chat::{ChatRequest, Reply};
use crate::directive::{Directives, ErrorBody};
use crate::error::ApiError;
use crate::log;
use crate::settings::Settings;
use crate::stream;

// Models are listed with a fixed date, so the listing is the same on every run.
const MODELS_CREATED: u64 = 1_700_000_000;
const X_PROVIDER_REQUEST_ID: HeaderName =
    HeaderName::from_static("x-provider-request-id");
// The largest body read, as axum's own default limit for a body extractor.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The number the log gave a request; its completion's id is `chatcmpl-{n}`, so a
/// test can tie a stream's log lines to the request that opened it.
#[derive(Clone, Copy, Debug)]
struct RequestNumber(u64);

pub fn router(settings: Settings) -> Router {
    let api_key = settings.api_key.clone();
    let router = Router::new()
        .route("/v1/models", get(list_models))
        .route("/v1/chat/completions", post(chat_completions))
        .fallback(unknown_route)
        .with_state(Arc::new(settings));
    let router = match api_key {
        Some(key) => {
            router.layer(middleware::from_fn_with_state(Arc::from(key), require_key))
        }
        None => router,
    };
    // Outermost, so a request refused for its key is logged too.
    let counter = Arc::new(AtomicU64::new(1));
    router.layer(middleware::from_fn_with_state(counter, log_request))
}

async fn log_request(
    State(counter): State<Arc<AtomicU64>>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        let message = format!("The body is larger than {MAX_BODY_BYTES} bytes.");
        return ApiError::with_status(StatusCode::PAYLOAD_TOO_LARGE, message)
            .into_response();
    };
    let n = counter.fetch_add(1, Ordering::Relaxed);
    let authorization = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    log::request(
        n,
        parts.method.as_str(),
        parts.uri.path(),
        authorization,
        &body,
    );
    parts.extensions.insert(RequestNumber(n));
    let mut response = next.run(Request::from_parts(parts, Body::from(body))).await;
    // A header of the provider's own, as OpenAI's `x-request-id` is (a name the
    // backends do not use themselves), which shows whether a relay passed the
    // provider's headers on.
    response.headers_mut().insert(
        X_PROVIDER_REQUEST_ID,
        HeaderValue::from_str(&format!("req-{n}")).expect("ascii"),
    );
    response
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

async fn list_models(State(settings): State<Arc<Settings>>) -> Json<Value> {
    tokio::time::sleep(settings.models_delay).await;
    let data: Vec<Value> = settings
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
    State(settings): State<Arc<Settings>>,
    Extension(RequestNumber(n)): Extension<RequestNumber>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| {
        ApiError::with_status(rejection.status(), rejection.body_text())
    })?;
    let request: ChatRequest = serde_json::from_slice(&body)
        .map_err(|error| ApiError::bad_request(format!("Invalid body: {error}")))?;
    if !settings.models.contains(&request.model) {
        return Err(ApiError::model_not_found(&request.model));
    }
    let directives = request.directives().map_err(ApiError::bad_request)?;
    if let Some(delay) = directives.delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = directives.status {
        return Ok(directed_failure(status, &directives));
    }
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let reply = Reply::plan(
        request,
        &settings,
        &directives,
        format!("chatcmpl-{n}"),
        created,
    );
    Ok(if reply.stream {
        Sse::new(stream::events(reply)).into_response()
    } else {
        Json(reply.completion()).into_response()
    })
}

fn directed_failure(status: StatusCode, directives: &Directives) -> Response {
    let error = ApiError::directed(status);
    let mut response = match directives.error_body {
        ErrorBody::Json => error.into_response(),
        ErrorBody::Text => (status, error.message().to_owned()).into_response(),
        ErrorBody::Sse => {
            let event = format!("data: {}\n\n", error.body());
            (status, [(CONTENT_TYPE, "text/event-stream")], event).into_response()
        }
    };
    if let Some(seconds) = directives.retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
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
            models_delay: Duration::ZERO,
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
    async fn a_directive_chooses_the_status_and_retry_after() {
        let body = r#"{"model":"m","stream":true,"messages":[{"role":"user",
                       "content":"hi\nprovider: status=429 retry_after=7"}]}"#;
        let response = router(settings(None)).oneshot(chat(body)).await.unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "7");
        assert_eq!(response.headers()[X_PROVIDER_REQUEST_ID], "req-1");
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains(r#""code":"directed_failure""#), "{text}");
    }

    #[tokio::test]
    async fn a_directive_can_ask_for_a_plain_text_error() {
        let body = r#"{"model":"m","messages":[{"role":"user",
                       "content":"provider: status=502 body=text"}]}"#;
        let response = router(settings(None)).oneshot(chat(body)).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(&body[..], b"The request's directive asked for status 502.");
    }

    #[tokio::test]
    async fn a_directive_can_send_the_error_as_an_event() {
        let body = r#"{"model":"m","stream":true,"messages":[{"role":"user",
                       "content":"provider: status=503 body=sse"}]}"#;
        let response = router(settings(None)).oneshot(chat(body)).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[CONTENT_TYPE], "text/event-stream");
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.starts_with(r#"data: {"error":{"message":"#), "{text}");
        assert!(text.ends_with("}}\n\n"), "{text}");
    }

    #[tokio::test]
    async fn a_cut_stream_ends_in_an_error_after_its_tokens() {
        let body = r#"{"model":"m","stream":true,"messages":[{"role":"user",
                       "content":"a b\nprovider: cut_after=2"}]}"#;
        let response = router(settings(None)).oneshot(chat(body)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        // The body yields the two token frames, then fails: no finish, no [DONE].
        let error = to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("cut the stream"), "{error}");
    }

    #[tokio::test]
    async fn a_directive_that_does_not_parse_is_400() {
        let body = r#"{"model":"m","messages":[{"role":"user",
                       "content":"provider: status=teapot"}]}"#;
        let (status, text) = call(router(settings(None)), chat(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(text.contains("status=teapot"), "{text}");
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

//! The completion path against a model provider on a local socket: the twin of
//! `tests/backend/test_openai_routes.py` and the relay tests of
//! `tests/backend/test_streaming.py`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router, ServiceExt};
use futures_util::stream;
use reference_backend::main::App;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::common::{DataDir, backend, send};

/// How long a relay may take to let go of the provider after its client left.
const LET_GO: Duration = Duration::from_secs(1);
/// A streamed reply from the mock provider never has more frames than this.
const MAX_FRAMES: usize = 500;

/// A provider on 127.0.0.1 that lists model `m` and streams until its client goes:
/// each reply tells `dropped` when it is dropped, and `chats` counts the requests.
struct Provider {
    url: String,
    dropped: mpsc::UnboundedReceiver<()>,
    chats: Arc<AtomicUsize>,
}

/// Sends on drop: the provider's side of a stream saw its reader go away.
struct Guard(mpsc::UnboundedSender<()>);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

fn frame(index: usize) -> Bytes {
    let chunk =
        json!({"choices": [{"index": 0, "delta": {"content": format!("t{index} ")}}]});
    Bytes::from(format!("data: {chunk}\n\n"))
}

/// A stream of frames 20 ms apart; after `cut` frames, the connection breaks.
fn frames(
    guard: Guard,
    cut: Option<usize>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    stream::unfold((0, guard), move |(index, guard)| async move {
        if index == MAX_FRAMES {
            return None;
        }
        if index > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let item = if cut == Some(index) {
            Err(std::io::Error::other("cut"))
        } else {
            Ok(frame(index))
        };
        Some((item, (index + 1, guard)))
    })
}

async fn provider(models_delay: Duration) -> Provider {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let (sender, dropped) = mpsc::unbounded_channel();
    let models = move || async move {
        tokio::time::sleep(models_delay).await;
        Json(json!({"object": "list", "data": [{"id": "m", "object": "model"}]}))
    };
    let chats = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&chats);
    let chat = move |Json(body): Json<Value>| {
        counted.fetch_add(1, Ordering::SeqCst);
        let guard = Guard(sender.clone());
        async move {
            if body["stream"] != json!(true) {
                let reply = json!({"object": "chat.completion", "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}]});
                return Json(reply).into_response();
            }
            let cut = (body.pointer("/messages/0/content") == Some(&json!("cut")))
                .then_some(2);
            let headers = [("content-type", "text/event-stream")];
            (headers, Body::from_stream(frames(guard, cut))).into_response()
        }
    };
    let router = Router::new()
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat));
    tokio::spawn(async move { axum::serve(listener, router).await });
    Provider {
        url,
        dropped,
        chats,
    }
}

/// The backend connected to `url`, on a socket of its own, with an admin's token.
async fn connected(url: &str, env: &[(&str, &str)]) -> (String, App, String, DataDir) {
    let mut vars = vec![
        ("ENABLE_OPENAI_API", "true"),
        ("OPENAI_API_BASE_URLS", url),
        ("OPENAI_API_KEYS", "sk-test"),
    ];
    vars.extend_from_slice(env);
    let (_state, app, dir) = backend(&vars).await;
    let form =
        json!({"name": "A", "email": "admin@example.com", "password": "password-1"});
    let (status, body) =
        send(&app, "POST", "/api/v1/auths/signup", None, Some(form)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let service = ServiceExt::<Request>::into_make_service(app.clone());
    tokio::spawn(async move { axum::serve(listener, service).await });
    (base, app, token, dir)
}

fn chat(content: &str, stream: bool) -> Value {
    json!({"model": "m", "stream": stream, "messages": [{"role": "user", "content": content}]})
}

// --8<-- [start:cancellation]
#[tokio::test]
async fn the_provider_is_let_go_within_a_second_of_the_client_leaving() {
    let mut provider = provider(Duration::ZERO).await;
    let (base, _app, token, _dir) = connected(&provider.url, &[]).await;
    let client = reqwest::Client::new();
    for path in ["/openai/chat/completions", "/api/chat/completions"] {
        let mut response = client
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&chat("hello", true))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let first = response.chunk().await.unwrap().unwrap();
        assert!(first.starts_with(b"data: "), "{path}");
        // The provider is still streaming: a relay that read the whole reply first
        // would have let it go before the client saw a byte.
        assert!(provider.dropped.try_recv().is_err(), "{path}");
        let left = Instant::now();
        drop(response);
        let let_go = tokio::time::timeout(LET_GO, provider.dropped.recv()).await;
        assert!(
            let_go.is_ok(),
            "{path}: the provider still streams after {LET_GO:?}"
        );
        assert!(left.elapsed() < LET_GO, "{path}");
    }
}
// --8<-- [end:cancellation]

#[tokio::test]
async fn a_cut_stream_ends_with_upstreams_error_frame() {
    let provider = provider(Duration::ZERO).await;
    let (base, _app, token, _dir) = connected(&provider.url, &[]).await;
    let text = reqwest::Client::new()
        .post(format!("{base}/api/chat/completions"))
        .bearer_auth(&token)
        .json(&chat("cut", true))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let expected = format!(
        "{}{}\n\ndata: {{\"error\":{{\"message\":\"Chat completion stream failed\"}}}}\n\ndata: [DONE]\n\n",
        String::from_utf8(frame(0).to_vec()).unwrap(),
        String::from_utf8(frame(1).to_vec()).unwrap(),
    );
    assert_eq!(text, expected);
}

#[tokio::test]
async fn a_slow_connection_lists_nothing_within_the_model_list_timeout() {
    let provider = provider(Duration::from_secs(5)).await;
    let env = [("AIOHTTP_CLIENT_TIMEOUT_MODEL_LIST", "1")];
    let (_base, app, token, _dir) = connected(&provider.url, &env).await;
    let started = Instant::now();
    let (status, body) = send(&app, "GET", "/api/models", Some(&token), None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"data": []})));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_provider_that_is_down_lists_nothing_and_fails_a_chat_with_500() {
    // Port 9 (discard) refuses connections; the config names the model, so it is listed.
    let url = "http://127.0.0.1:9/v1";
    let (_base, app, token, _dir) = connected(url, &[]).await;
    let (status, body) = send(&app, "GET", "/api/models", Some(&token), None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"data": []})));
    let listed = [("OPENAI_API_CONFIGS", r#"{"0": {"model_ids": ["m"]}}"#)];
    let (_base, app, token, _dir2) = connected(url, &listed).await;
    let (status, body) = send(
        &app,
        "POST",
        "/openai/chat/completions",
        Some(&token),
        Some(chat("hi", false)),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body,
        json!({"detail": "Open WebUI: Server Connection Error"})
    );
}

#[tokio::test]
async fn the_stored_connections_win_and_keys_are_one_per_url() {
    let configs = [(
        "OPENAI_API_CONFIGS",
        r#"{"0": {"model_ids": ["m"]}, "1": {"enable": false}}"#,
    )];
    let urls = "http://127.0.0.1:9/v1;http://127.0.0.1:9/v2";
    let (_base, app, token, _dir) = connected(urls, &configs).await;
    let (_, before) = send(&app, "GET", "/openai/config", Some(&token), None).await;
    assert_eq!(before["OPENAI_API_KEYS"], json!(["sk-test"]));
    let (status, listed) =
        send(&app, "GET", "/openai/models", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["data"][0]["id"], json!("m"));
    assert_eq!(listed["data"][0]["urlIdx"], json!(0));
    let (_, after) = send(&app, "GET", "/openai/config", Some(&token), None).await;
    assert_eq!(after["OPENAI_API_KEYS"], json!(["sk-test", ""]));
    let update = json!({"ENABLE_OPENAI_API": false, "OPENAI_API_BASE_URLS": [urls],
                        "OPENAI_API_KEYS": [], "OPENAI_API_CONFIGS": {"0": {}, "7": {}}});
    let (status, saved) = send(
        &app,
        "POST",
        "/openai/config/update",
        Some(&token),
        Some(update),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            saved["OPENAI_API_KEYS"].clone(),
            saved["OPENAI_API_CONFIGS"].clone()
        ),
        (json!([""]), json!({"0": {}}))
    );
    let (status, body) = send(&app, "GET", "/openai/models", Some(&token), None).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"detail": "OpenAI API is disabled"})
        )
    );
}

#[tokio::test]
async fn users_may_not_chat_with_models_they_do_not_own() {
    let provider = provider(Duration::ZERO).await;
    let (_base, app, admin, _dir) = connected(&provider.url, &[]).await;
    let form = json!({"name": "U", "email": "user@example.com",
                      "password": "password-1", "role": "user"});
    let (_, body) =
        send(&app, "POST", "/api/v1/auths/add", Some(&admin), Some(form)).await;
    let user = body["token"].as_str().unwrap().to_owned();
    let (_, listed) = send(&app, "GET", "/api/models", Some(&admin), None).await;
    assert_eq!(listed["data"][0]["id"], json!("m"));
    let (_, listed) = send(&app, "GET", "/api/models", Some(&user), None).await;
    assert_eq!(listed, json!({"data": []}));
    let refused = json!({"detail": "Model not found"});
    let (status, body) = send(
        &app,
        "POST",
        "/openai/chat/completions",
        Some(&user),
        Some(chat("hi", false)),
    )
    .await;
    assert_eq!((status, body), (StatusCode::FORBIDDEN, refused.clone()));
    let (status, body) = send(
        &app,
        "POST",
        "/api/chat/completions",
        Some(&user),
        Some(chat("hi", false)),
    )
    .await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, refused));
    let (status, body) = send(
        &app,
        "POST",
        "/api/chat/completions",
        Some(&admin),
        Some(chat("hi", false)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["choices"][0]["message"]["content"], json!("hi"));
}

#[tokio::test]
async fn a_model_shared_with_everyone_is_listed_and_usable_by_users() {
    let provider = provider(Duration::ZERO).await;
    let (_base, app, admin, _dir) = connected(&provider.url, &[]).await;
    let form = json!({"name": "U", "email": "user@example.com",
                      "password": "password-1", "role": "user"});
    let (_, body) =
        send(&app, "POST", "/api/v1/auths/add", Some(&admin), Some(form)).await;
    let user = body["token"].as_str().unwrap().to_owned();
    // The provider's own model, described in the workspace and shared with everyone.
    let form = json!({"id": "m", "name": "M for all", "meta": {}, "params": {},
        "access_grants": [{"principal_type": "user", "principal_id": "*",
                           "permission": "read"}]});
    let (status, body) = send(
        &app,
        "POST",
        "/api/v1/models/create",
        Some(&admin),
        Some(form),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for path in ["/api/models", "/openai/models"] {
        let (_, listed) = send(&app, "GET", path, Some(&user), None).await;
        assert_eq!(listed["data"][0]["id"], json!("m"), "{path}");
    }
    let (status, body) = send(
        &app,
        "POST",
        "/openai/chat/completions",
        Some(&user),
        Some(chat("shared", false)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["choices"][0]["message"]["content"], json!("hi"));
}

#[tokio::test]
async fn a_browser_request_is_refused_before_anything_is_called() {
    let provider = provider(Duration::ZERO).await;
    let (_base, app, token, _dir) = connected(&provider.url, &[]).await;
    let mut body = chat("hello", true);
    body["session_id"] = json!("socket-1");
    let (status, answer) = send(
        &app,
        "POST",
        "/api/chat/completions",
        Some(&token),
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["detail"].as_str().unwrap().contains("Socket.IO"),
        "{answer}"
    );
    assert_eq!(provider.chats.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn two_replies_that_end_at_once_are_both_saved() {
    let provider = provider(Duration::ZERO).await;
    let (_base, app, token, _dir) = connected(&provider.url, &[]).await;
    let (status, chat_row) = send(
        &app,
        "POST",
        "/api/v1/chats/new",
        Some(&token),
        Some(json!({"chat": {}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{chat_row}");
    let chat_id = chat_row["id"].as_str().unwrap();
    let ask = |message_id: &str| {
        let mut body = chat("hello", false);
        body["chat_id"] = json!(chat_id);
        body["id"] = json!(message_id);
        send(
            &app,
            "POST",
            "/api/chat/completions",
            Some(&token),
            Some(body),
        )
    };
    let (first, second) = tokio::join!(ask("r1"), ask("r2"));
    assert_eq!((first.0, second.0), (StatusCode::OK, StatusCode::OK));
    let path = format!("/api/v1/chats/{chat_id}");
    let (_, saved) = send(&app, "GET", &path, Some(&token), None).await;
    for id in ["r1", "r2"] {
        let message = &saved["chat"]["history"]["messages"][id];
        assert_eq!(
            (message["content"].clone(), message["done"].clone()),
            (json!("hi"), json!(true)),
            "{id}"
        );
    }
}

//! An app on a fresh SQLite file, and requests sent to it without a socket.

use std::collections::HashMap;
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use reference_backend::env::{Environ, Settings};
use reference_backend::internal::deps::AppState;
use reference_backend::main::{App, app_state, create_app};
use serde_json::{Value, json};
use tower::ServiceExt;

// --8<-- [start:app]
/// A scratch `DATA_DIR`, removed when dropped.
pub struct DataDir(pub PathBuf);

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The state and app of a backend on its own database, with `env` on top of a secret.
pub async fn backend(env: &[(&str, &str)]) -> (AppState, App, DataDir) {
    let dir =
        std::env::temp_dir().join(format!("rust-backend-{}", uuid::Uuid::new_v4()));
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATA_DIR".into(), dir.display().to_string()),
        ("WEBUI_SECRET_KEY".into(), "test-secret".into()),
    ]);
    vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let settings = Settings::from_environ(&Environ(vars)).expect("valid settings");
    let state = app_state(settings).await.expect("the backend starts");
    (state.clone(), create_app(state), DataDir(dir))
}

/// Send one request; return the status and the JSON body (null when empty).
pub async fn send(
    app: &App,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    let (status, _headers, json) = respond(app, request.body(body).unwrap()).await;
    (status, json)
}

/// Send a request built by the caller; return the status, the headers and the JSON
/// body (null when empty).
pub async fn respond(
    app: &App,
    request: Request<Body>,
) -> (StatusCode, HeaderMap, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (parts.status, parts.headers, json)
}
// --8<-- [end:app]

/// Another backend on the same database, its settings changed by `change`: what a
/// restart with other settings would serve.
pub async fn backend_with(
    state: &AppState,
    change: impl FnOnce(&mut Settings),
) -> (AppState, App) {
    let mut settings = Settings::clone(&state.settings);
    change(&mut settings);
    let state = app_state(settings).await.expect("the backend starts");
    (state.clone(), create_app(state))
}

/// Sign up `name@example.com`, the first one as admin, or have `admin` add it as a
/// user; the reply, with its token.
pub async fn account(app: &App, name: &str, admin: Option<&Value>) -> Value {
    let form =
        json!({"name": name, "email": format!("{name}@example.com"), "password": "pw"});
    let (status, body) = match admin {
        None => send(app, "POST", "/api/v1/auths/signup", None, Some(form)).await,
        Some(admin) => {
            let mut form = form;
            form["role"] = json!("user");
            send(
                app,
                "POST",
                "/api/v1/auths/add",
                Some(token(admin)),
                Some(form),
            )
            .await
        }
    };
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The session token in a sign-up, sign-in or add reply.
///
/// # Panics
/// When the reply has none.
pub fn token(reply: &Value) -> &str {
    reply["token"].as_str().expect("a reply with a token")
}

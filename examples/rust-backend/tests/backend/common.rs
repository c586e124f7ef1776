//! An app on a fresh SQLite file, and requests sent to it without a socket.

use std::collections::HashMap;
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use reference_backend::env::{Environ, Settings};
use reference_backend::internal::deps::AppState;
use reference_backend::main::{App, app_state, create_app};
use serde_json::Value;
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
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, json)
}
// --8<-- [end:app]

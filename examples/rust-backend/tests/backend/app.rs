//! The app's own answers: JSON for unknown routes and methods, and the request id.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use reference_backend::main::with_layers;
use serde_json::json;
use tower::ServiceExt;

use crate::common::{backend, send};

// --8<-- [start:json-errors]
#[tokio::test]
async fn unknown_routes_and_methods_get_fastapis_json() {
    let (_state, app, _dir) = backend(&[]).await;
    let (status, body) = send(&app, "GET", "/api/v1/nowhere", None, None).await;
    assert_eq!(
        (status, body),
        (StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
    );
    let (status, body) = send(&app, "DELETE", "/health", None, None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body, json!({"detail": "Method Not Allowed"}));
}
// --8<-- [end:json-errors]

// --8<-- [start:slash]
#[tokio::test]
async fn both_spellings_of_a_root_route_reach_it() {
    let (_state, app, _dir) = backend(&[]).await;
    for path in ["/api/v1/users/", "/api/v1/users"] {
        let (status, body) = send(&app, "GET", path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body, json!({"detail": "Not authenticated"}), "{path}");
    }
}
// --8<-- [end:slash]

// --8<-- [start:request-id]
#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_the_callers() {
    let (_state, app, _dir) = backend(&[]).await;
    let request = |id: Option<&str>| {
        let mut builder = Request::builder().uri("/health");
        if let Some(id) = id {
            builder = builder.header("x-request-id", id);
        }
        builder.body(Body::empty()).unwrap()
    };
    let fresh = app.clone().oneshot(request(None)).await.unwrap();
    let id = fresh.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);
    let kept = app.clone().oneshot(request(Some("trace-1"))).await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "trace-1");
}
// --8<-- [end:request-id]

// --8<-- [start:panic]
#[allow(
    clippy::unused_async,
    reason = "axum takes async functions as handlers"
)]
async fn panics() -> &'static str {
    panic!("a handler's bug, with a secret in its message")
}

#[tokio::test]
async fn a_panicking_handler_answers_a_json_500_and_the_app_goes_on() {
    let (state, _app, _dir) = backend(&[]).await;
    let routes = Router::new()
        .route("/panics", get(panics))
        .route("/health", get(|| async { "ok" }));
    let app = with_layers(routes, &state.settings);
    let (status, body) = send(&app, "GET", "/panics", None, None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, json!({"detail": "Internal Server Error"}));
    let after = app.clone().oneshot(
        Request::builder()
            .uri("/health")
            .body(Body::empty())
            .unwrap(),
    );
    assert_eq!(after.await.unwrap().status(), StatusCode::OK);
}
// --8<-- [end:panic]

// --8<-- [start:body-limit]
/// A sign-in form whose password makes the body `size` bytes long, or about.
fn signin_of_size(size: usize) -> serde_json::Value {
    json!({"email": "nobody@example.com", "password": "x".repeat(size)})
}

#[tokio::test]
async fn a_body_over_max_request_body_size_is_a_json_413() {
    let (_state, app, _dir) = backend(&[("MAX_REQUEST_BODY_SIZE", "1000")]).await;
    let signin = "/api/v1/auths/signin";
    let (status, body) =
        send(&app, "POST", signin, None, Some(signin_of_size(1000))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body, json!({"detail": "Request body too large"}));
    let (status, _) = send(&app, "POST", signin, None, Some(signin_of_size(900))).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a body under the limit is read"
    );
}

#[tokio::test]
async fn without_a_limit_a_body_past_axums_default_is_read() {
    let (_state, app, _dir) = backend(&[]).await;
    // axum's extractors stop at 2 MB unless told otherwise.
    let form = signin_of_size(3 * 1024 * 1024);
    let (status, body) =
        send(&app, "POST", "/api/v1/auths/signin", None, Some(form)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("incorrect"),
        "{body}"
    );
}
// --8<-- [end:body-limit]

#[tokio::test]
async fn an_encoded_slash_is_routed_as_a_slash_as_starlette_routes_it() {
    let (_state, app, _dir) = backend(&[]).await;
    let (status, body) = send(
        &app,
        "GET",
        "/api/v1/users/..%2f..%2fetc%2fpasswd",
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
    );
}

#[tokio::test]
async fn json_nested_past_the_parsers_limit_is_fastapis_400() {
    let (_state, app, _dir) = backend(&[]).await;
    let deep = format!(
        "{{\"email\": {}{}, \"password\": \"x\"}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    let request = Request::builder()
        .method("POST")
        .uri("/api/v1/auths/signin")
        .header("content-type", "application/json")
        .body(Body::from(deep))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

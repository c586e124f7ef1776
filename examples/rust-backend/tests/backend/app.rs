//! The app's own answers: JSON for unknown routes and methods, and the request id.

use axum::body::Body;
use axum::http::{Request, StatusCode};
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

//! The role guards, driven through the router: upstream's 401 where 403 is meant.

use crate::common::{backend, send, token};
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn signup(app: &reference_backend::main::App, email: &str) -> Value {
    let form = json!({"name": "N", "email": email, "password": "password-1"});
    let (status, body) =
        send(app, "POST", "/api/v1/auths/signup", None, Some(form)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn no_credential_is_401_not_authenticated() {
    let (_state, app, _dir) = backend(&[]).await;
    let (status, body) = send(&app, "GET", "/api/v1/users/", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"detail": "Not authenticated"}));
}

#[tokio::test]
async fn a_forged_token_is_401() {
    let (_state, app, _dir) = backend(&[]).await;
    let (status, body) = send(&app, "GET", "/api/v1/auths/", Some("x.y.z"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"detail": "401 Unauthorized"}));
}

#[tokio::test]
async fn the_first_account_is_admin_and_a_pending_one_gets_401() {
    let (_state, app, _dir) = backend(&[("ENABLE_SIGNUP", "true")]).await;
    let admin = signup(&app, "admin@example.com").await;
    assert_eq!(admin["role"], "admin");
    let (status, _) =
        send(&app, "GET", "/api/v1/users/", Some(token(&admin)), None).await;
    assert_eq!(status, StatusCode::OK);

    // The first sign-up closed sign-up; the admin opens it again for a second account.
    let (_, config) = send(
        &app,
        "GET",
        "/api/v1/auths/admin/config",
        Some(token(&admin)),
        None,
    )
    .await;
    let mut open = config.clone();
    open["ENABLE_SIGNUP"] = json!(true);
    let path = "/api/v1/auths/admin/config";
    send(&app, "POST", path, Some(token(&admin)), Some(open)).await;
    let pending = signup(&app, "pending@example.com").await;
    assert_eq!(pending["role"], "pending");

    for path in ["/api/v1/users/", "/api/v1/users/user/settings"] {
        let (status, body) = send(&app, "GET", path, Some(token(&pending)), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .starts_with("You do not have")
        );
    }
}

#[tokio::test]
async fn a_rotated_stamp_revokes_the_token() {
    let (state, app, _dir) = backend(&[]).await;
    let admin = signup(&app, "admin@example.com").await;
    let id = admin["id"].as_str().unwrap();
    reference_backend::models::auths::rotate_session_stamp(&state.db, id, None)
        .await
        .unwrap();
    let (status, body) =
        send(&app, "GET", "/api/v1/auths/", Some(token(&admin)), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"detail": "Invalid token"}));
}

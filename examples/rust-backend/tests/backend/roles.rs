//! `WEBUI_AUTH_STRICT_ROLES`: an admin may set only upstream's three roles.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use reference_backend::constants::{ACTION_PROHIBITED, INVALID_ROLE};
use reference_backend::main::App;
use serde_json::{Value, json};

use crate::common::{account, backend, backend_with, send, token};

async fn add(app: &App, admin: &Value, role: &str) -> (StatusCode, Value) {
    let form = json!({"name": "N", "email": "new@example.com", "password": "pw", "role": role});
    send(
        app,
        "POST",
        "/api/v1/auths/add",
        Some(token(admin)),
        Some(form),
    )
    .await
}

async fn update(
    app: &App,
    admin: &Value,
    user: &Value,
    changes: Value,
) -> (StatusCode, Value) {
    let path = format!("/api/v1/users/{}/update", user["id"].as_str().unwrap());
    send(app, "POST", &path, Some(token(admin)), Some(changes)).await
}

/// Every account's role, by email.
async fn roles(app: &App, admin: &Value) -> BTreeMap<String, Value> {
    let (_, listed) =
        send(app, "GET", "/api/v1/users/", Some(token(admin)), None).await;
    listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| {
            (
                user["email"].as_str().unwrap().to_owned(),
                user["role"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn by_default_any_role_is_stored_as_upstream_does() {
    let (_state, app, _dir) = backend(&[]).await;
    let admin = account(&app, "admin", None).await;
    assert_eq!(
        add(&app, &admin, "superadmin").await.1["role"],
        "superadmin"
    );
    let user = account(&app, "user", Some(&admin)).await;
    let (_, updated) = update(&app, &admin, &user, json!({"role": "owner"})).await;
    assert_eq!(updated["role"], "owner");
}

#[tokio::test]
async fn strict_refuses_another_role_before_writing() {
    for role in ["superadmin", "Admin", ""] {
        let (state, app, _dir) = backend(&[]).await;
        let admin = account(&app, "admin", None).await;
        let (_, strict) = backend_with(&state, |s| s.strict_roles = true).await;
        let user = account(&strict, "user", Some(&admin)).await;
        let refused = (StatusCode::BAD_REQUEST, json!({"detail": INVALID_ROLE}));
        assert_eq!(add(&strict, &admin, role).await, refused, "{role:?}");
        let updated = update(&strict, &admin, &user, json!({"role": role})).await;
        assert_eq!(updated, refused, "{role:?}");
        let expected = BTreeMap::from([
            ("admin@example.com".to_owned(), json!("admin")),
            ("user@example.com".to_owned(), json!("user")),
        ]);
        assert_eq!(roles(&strict, &admin).await, expected, "{role:?}");
    }
}

#[tokio::test]
async fn strict_stores_upstreams_roles() {
    for role in ["pending", "user", "admin"] {
        let (state, app, _dir) = backend(&[]).await;
        let admin = account(&app, "admin", None).await;
        let (_, strict) = backend_with(&state, |s| s.strict_roles = true).await;
        assert_eq!(add(&strict, &admin, role).await.1["role"], role);
        let user = account(&strict, "user", Some(&admin)).await;
        let (_, updated) = update(&strict, &admin, &user, json!({"role": role})).await;
        assert_eq!(updated["role"], role);
    }
}

#[tokio::test]
async fn strict_leaves_an_update_without_a_role_alone() {
    let (state, app, _dir) = backend(&[]).await;
    let admin = account(&app, "admin", None).await;
    let (_, strict) = backend_with(&state, |s| s.strict_roles = true).await;
    let user = account(&strict, "user", Some(&admin)).await;
    let (_, updated) = update(&strict, &admin, &user, json!({"name": "Renamed"})).await;
    assert_eq!(
        (&updated["name"], &updated["role"]),
        (&json!("Renamed"), &json!("user"))
    );
}

/// Before the first account's protection, which would answer 403.
#[tokio::test]
async fn strict_checks_the_role_first() {
    let (state, app, _dir) = backend(&[]).await;
    let admin = account(&app, "admin", None).await;
    let superadmin = json!({"role": "superadmin"});
    let (status, protected) = update(&app, &admin, &admin, superadmin.clone()).await;
    assert_eq!(
        (status, &protected["detail"]),
        (StatusCode::FORBIDDEN, &json!(ACTION_PROHIBITED))
    );
    let (_, strict) = backend_with(&state, |s| s.strict_roles = true).await;
    let (status, refused) = update(&strict, &admin, &admin, superadmin).await;
    assert_eq!(
        (status, &refused["detail"]),
        (StatusCode::BAD_REQUEST, &json!(INVALID_ROLE))
    );
}

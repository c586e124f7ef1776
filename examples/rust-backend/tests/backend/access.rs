//! Sharing workspace models: the grants a create form gives, and the rows Open WebUI
//! wrote (groups included), decide who reads, uses and changes a model.

use axum::http::StatusCode;
use reference_backend::internal::deps::AppState;
use reference_backend::main::App;
use reference_backend::models::config;
use serde_json::{Value, json};

use crate::common::{backend, send};

/// An admin and a user, as `(token, id)` each.
struct Accounts {
    admin: (String, String),
    user: (String, String),
}

async fn accounts(app: &App) -> Accounts {
    let form = json!({"name": "A", "email": "admin@example.com", "password": "pw-1"});
    let (status, admin) =
        send(app, "POST", "/api/v1/auths/signup", None, Some(form)).await;
    assert_eq!(status, StatusCode::OK, "{admin}");
    let form = json!({"name": "U", "email": "user@example.com", "password": "pw-1",
                      "role": "user"});
    let token = admin["token"].as_str();
    let (status, user) =
        send(app, "POST", "/api/v1/auths/add", token, Some(form)).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    let pair = |body: &Value| {
        (
            body["token"].as_str().unwrap().to_owned(),
            body["id"].as_str().unwrap().to_owned(),
        )
    };
    Accounts {
        admin: pair(&admin),
        user: pair(&user),
    }
}

/// Create a model as the holder of `token` with these grants; the response.
async fn create(
    app: &App,
    token: &str,
    id: &str,
    grants: &Value,
) -> (StatusCode, Value) {
    let form = json!({"id": id, "base_model_id": "gpt-x", "name": id, "meta": {},
                      "params": {"system": "Be brief."}, "access_grants": grants});
    send(
        app,
        "POST",
        "/api/v1/models/create",
        Some(token),
        Some(form),
    )
    .await
}

/// Open WebUI's group tables, with the columns this backend reads, and `user_id`
/// a member of `child`, whose parent is `parent`.
async fn groups(state: &AppState, user_id: &str) {
    for sql in [
        r#"CREATE TABLE "group" (id TEXT PRIMARY KEY, parent_group_id TEXT)"#,
        "CREATE TABLE group_member (id TEXT PRIMARY KEY, group_id TEXT, user_id TEXT)",
        r#"INSERT INTO "group" VALUES ('parent', NULL), ('child', 'parent')"#,
    ] {
        sqlx::query(sql).execute(&state.db.pool).await.unwrap();
    }
    sqlx::query("INSERT INTO group_member VALUES ('m1', 'child', $1)")
        .bind(user_id)
        .execute(&state.db.pool)
        .await
        .unwrap();
}

fn ids(list: &Value) -> Vec<&str> {
    let items = list["items"].as_array().unwrap();
    items
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_read_grant_to_a_parent_group_reaches_a_member_of_its_child() {
    let (state, app, _dir) = backend(&[]).await;
    let Accounts { admin, user } = accounts(&app).await;
    groups(&state, &user.1).await;
    let grant = json!([{"principal_type": "group", "principal_id": "parent",
                        "permission": "read"}]);
    let (status, shared) = create(&app, &admin.0, "team/shared", &grant).await;
    assert_eq!(status, StatusCode::OK, "{shared}");
    assert_eq!(shared["access_grants"][0]["principal_id"], "parent");
    assert_eq!(shared["access_grants"][0]["resource_type"], "model");
    create(&app, &admin.0, "team/private", &json!([])).await;

    let user_token = Some(user.0.as_str());
    let (_, list) = send(&app, "GET", "/api/v1/models/list", user_token, None).await;
    assert_eq!(ids(&list), ["team/shared"]);
    // A reader sees neither the system prompt nor a right to change the model.
    assert_eq!(list["items"][0]["write_access"], false);
    assert_eq!(list["items"][0]["params"], json!({}));
    let path = "/api/v1/models/model?id=team/shared";
    let (status, one) = send(&app, "GET", path, user_token, None).await;
    assert_eq!(
        (status, &one["write_access"]),
        (StatusCode::OK, &json!(false))
    );
    assert_eq!(one["params"], json!({}));
    let path = "/api/v1/models/model?id=team/private";
    let (status, _) = send(&app, "GET", path, user_token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let path = "/api/v1/models/model/toggle?id=team/shared";
    let (status, _) = send(&app, "POST", path, user_token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_write_grant_lets_a_user_change_the_model_and_goes_with_it() {
    let (state, app, _dir) = backend(&[]).await;
    let Accounts { admin, user } = accounts(&app).await;
    let grant = json!([{"principal_type": "user", "principal_id": user.1,
                        "permission": "write"}]);
    create(&app, &admin.0, "team/editable", &grant).await;
    let user_token = Some(user.0.as_str());
    let path = "/api/v1/models/model/toggle?id=team/editable";
    let (status, toggled) = send(&app, "POST", path, user_token, None).await;
    assert_eq!(status, StatusCode::OK, "{toggled}");
    assert_eq!(toggled["is_active"], false);
    assert_eq!(toggled["access_grants"][0]["principal_id"], json!(user.1));

    let form = json!({"id": "team/editable"});
    let token = Some(admin.0.as_str());
    let (status, _) = send(
        &app,
        "POST",
        "/api/v1/models/model/delete",
        token,
        Some(form),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_grant")
        .fetch_one(&state.db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_user_shares_only_with_the_audiences_allowed_to_them() {
    let (state, app, _dir) = backend(&[]).await;
    let Accounts { user, .. } = accounts(&app).await;
    let mut permissions = config::get(&state.db, "user.permissions")
        .await
        .unwrap()
        .unwrap();
    permissions["workspace"]["models"] = json!(true);
    permissions["sharing"]["models"] = json!(true);
    permissions["access_grants"]["allow_groups"] = json!(false);
    config::upsert(&state.db, &[("user.permissions", permissions)])
        .await
        .unwrap();
    let grants = json!([
        {"principal_type": "user", "principal_id": "*", "permission": "read"},
        {"principal_type": "group", "principal_id": "g", "permission": "read"},
        {"principal_type": "user", "principal_id": "someone", "permission": "read"},
        {"principal_type": "user", "principal_id": "someone", "permission": "read"},
    ]);
    let (status, created) = create(&app, &user.0, "mine/a", &grants).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    // Public sharing is off by default, groups were switched off: one grant is left.
    let granted: Vec<&str> = created["access_grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|grant| grant["principal_id"].as_str().unwrap())
        .collect();
    assert_eq!(granted, ["someone"]);
}

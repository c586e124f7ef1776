//! `WEBUI_AUTH_REVOCATION_TABLE`: signout revokes a token in the database, no Redis.
//!
//! The table is the twins' own; on SQLite here (the contract suite runs PostgreSQL).

use std::collections::BTreeMap;

use axum::http::StatusCode;
use redis::AsyncCommands;
use reference_backend::internal::db::{Db, table_exists};
use reference_backend::main::App;
use reference_backend::models::{config, revoked_tokens};
use reference_backend::utils::auth::revoked_key;
use reference_backend::utils::auth::tokens::{Claims, decode_token};
use reference_backend::utils::misc::now;
use serde_json::{Value, json};

use crate::common::{DataDir, account, backend, backend_with, send, token};

/// The DDL both twins run, as SQLite keeps it.
const STORED_DDL: &str =
    "CREATE TABLE twin_revoked_token (jti TEXT PRIMARY KEY, expires_at BIGINT)";
const REVOCATION_TABLE: (&str, &str) = ("WEBUI_AUTH_REVOCATION_TABLE", "true");

/// A database with the table, created a second time, as a second start would.
async fn database() -> (Db, DataDir) {
    let (state, _app, dir) = backend(&[REVOCATION_TABLE]).await;
    revoked_tokens::create(&state.db).await.unwrap();
    (state.db, dir)
}

async fn rows(db: &Db) -> BTreeMap<String, Option<i64>> {
    sqlx::query_as::<_, (String, Option<i64>)>(
        "SELECT jti, expires_at FROM twin_revoked_token",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

fn claims(reply: &Value) -> Claims {
    decode_token(token(reply), "test-secret", false).unwrap()
}

async fn signout(app: &App, user: &Value) -> (StatusCode, Value) {
    send(
        app,
        "POST",
        "/api/v1/auths/signout",
        Some(token(user)),
        None,
    )
    .await
}

async fn session_status(app: &App, user: &Value) -> StatusCode {
    send(app, "GET", "/api/v1/auths/", Some(token(user)), None)
        .await
        .0
}

async fn signin(app: &App) -> Value {
    let form = json!({"email": "admin@example.com", "password": "pw"});
    let (status, reply) =
        send(app, "POST", "/api/v1/auths/signin", None, Some(form)).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    reply
}

#[tokio::test]
async fn the_table_is_created_with_the_twins_ddl() {
    let (db, _dir) = database().await;
    let stored: String = sqlx::query_scalar(
        "SELECT sql FROM sqlite_master WHERE name = 'twin_revoked_token'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(stored, STORED_DDL);
}

#[tokio::test]
async fn the_slices_tables_do_not_include_it() {
    let (state, _app, _dir) = backend(&[]).await;
    assert!(!table_exists(&state.db, "twin_revoked_token").await.unwrap());
}

#[tokio::test]
async fn a_revoked_jti_is_revoked_once() {
    let (db, _dir) = database().await;
    assert!(!revoked_tokens::is_revoked(&db, "jti-1").await.unwrap());
    revoked_tokens::revoke(&db, "jti-1", Some(now() + 60))
        .await
        .unwrap();
    revoked_tokens::revoke(&db, "jti-1", None).await.unwrap();
    assert!(revoked_tokens::is_revoked(&db, "jti-1").await.unwrap());
    assert!(!revoked_tokens::is_revoked(&db, "jti-2").await.unwrap());
    assert_eq!(rows(&db).await.into_keys().collect::<Vec<_>>(), ["jti-1"]);
}

#[tokio::test]
async fn revoking_drops_the_rows_of_tokens_expired_anyway() {
    let (db, _dir) = database().await;
    let now = now();
    for (jti, expires_at) in [
        ("expired", Some(now - 1)),
        ("endless", None),
        ("later", Some(now + 60)),
        ("new", Some(now + 60)),
    ] {
        revoked_tokens::revoke(&db, jti, expires_at).await.unwrap();
    }
    let expected = BTreeMap::from([
        ("endless".to_owned(), None),
        ("later".to_owned(), Some(now + 60)),
        ("new".to_owned(), Some(now + 60)),
    ]);
    assert_eq!(rows(&db).await, expected);
}

#[tokio::test]
async fn by_default_signout_without_redis_leaves_the_token_valid() {
    let (state, app, _dir) = backend(&[]).await;
    let admin = account(&app, "admin", None).await;
    assert_eq!(signout(&app, &admin).await.0, StatusCode::OK);
    assert_eq!(session_status(&app, &admin).await, StatusCode::OK);
    assert!(!table_exists(&state.db, "twin_revoked_token").await.unwrap());
}

#[tokio::test]
async fn with_the_table_signout_revokes_the_token_on_every_route() {
    let (_state, app, _dir) = backend(&[REVOCATION_TABLE]).await;
    let admin = account(&app, "admin", None).await;
    let other = signin(&app).await;
    let signed_out = (StatusCode::OK, json!({"status": true}));
    assert_eq!(signout(&app, &admin).await, signed_out);
    let refused = send(&app, "GET", "/api/v1/auths/", Some(token(&admin)), None).await;
    assert_eq!(
        refused,
        (StatusCode::UNAUTHORIZED, json!({"detail": "Invalid token"}))
    );
    let (_, config) = send(&app, "GET", "/api/config", Some(token(&admin)), None).await;
    assert!(config.get("permissions").is_none(), "{config}");
    assert_eq!(signout(&app, &admin).await, signed_out);
    assert_eq!(session_status(&app, &other).await, StatusCode::OK);
}

#[tokio::test]
async fn a_token_without_expiry_is_kept_revoked_for_ever() {
    let (state, app, _dir) = backend(&[REVOCATION_TABLE]).await;
    account(&app, "admin", None).await;
    config::upsert(&state.db, &[("auth.jwt_expiry", json!("-1"))])
        .await
        .unwrap();
    let endless = signin(&app).await;
    signout(&app, &endless).await;
    let jti = claims(&endless).jti.unwrap();
    assert_eq!(rows(&state.db).await.get(&jti), Some(&None));
    assert_eq!(
        session_status(&app, &endless).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn with_redis_too_signout_writes_both() {
    let (state, _app, _dir) = backend(&[]).await;
    let prefix = format!("unit-{}", uuid::Uuid::new_v4());
    let (state, app) = backend_with(&state, |s| {
        s.revocation_table = true;
        s.redis_url = "redis://127.0.0.1:6379".into();
        s.redis_key_prefix.clone_from(&prefix);
    })
    .await;
    let admin = account(&app, "admin", None).await;
    signout(&app, &admin).await;
    let claims = claims(&admin);
    let jti = claims.jti.unwrap();
    let expected = BTreeMap::from([(jti.clone(), claims.exp)]);
    assert_eq!(rows(&state.db).await, expected);
    let mut redis = state.redis.clone().unwrap();
    let key = revoked_key(&prefix, &jti);
    let stored: Option<String> = redis.get(&key).await.unwrap();
    assert_eq!(stored.as_deref(), Some("1"));
    redis.del::<_, ()>(&key).await.unwrap();
    assert_eq!(session_status(&app, &admin).await, StatusCode::UNAUTHORIZED);
}

//! The `config` table: seeded from the environment once, then the database wins.

use crate::common::backend;
use reference_backend::env::{Environ, Settings, database_url};
use reference_backend::main::app_state;
use reference_backend::models::config;
use serde_json::json;

#[tokio::test]
async fn a_first_start_seeds_the_environment() {
    let (state, _app, _dir) = backend(&[("ENABLE_SIGNUP", "false")]).await;
    let stored = config::get(&state.db, "ui.enable_signup").await.unwrap();
    assert_eq!(stored, Some(json!(false)));
    let expiry = config::get(&state.db, "auth.jwt_expiry").await.unwrap();
    assert_eq!(expiry, Some(json!("4w")));
}

// --8<-- [start:stored-values-win]
#[tokio::test]
async fn stored_values_win_over_the_environment_on_a_restart() {
    let (state, _app, dir) = backend(&[]).await;
    config::upsert(&state.db, &[("auth.jwt_expiry", json!("1h"))])
        .await
        .unwrap();
    let restarted = Environ(
        [
            ("DATA_DIR", dir.0.display().to_string()),
            ("WEBUI_SECRET_KEY", "test-secret".to_owned()),
            ("JWT_EXPIRES_IN", "2d".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    );
    let settings = Settings::from_environ(&restarted).unwrap();
    let state = app_state(settings).await.unwrap();
    let expiry = config::get(&state.db, "auth.jwt_expiry").await.unwrap();
    assert_eq!(expiry, Some(json!("1h")));
}
// --8<-- [end:stored-values-win]

#[tokio::test]
async fn a_number_round_trips_through_the_json_column() {
    let (state, _app, _dir) = backend(&[]).await;
    let values = [
        ("test.number", json!(15)),
        ("test.object", json!({"a": [1, "b"]})),
    ];
    config::upsert(&state.db, &values).await.unwrap();
    for (key, value) in values {
        assert_eq!(config::get(&state.db, key).await.unwrap(), Some(value));
    }
}

// --8<-- [start:refusals]
#[test]
fn postgres_urls_in_every_spelling_upstream_takes_reach_sqlx_as_postgresql() {
    for url in [
        "postgres://u@h/db",
        "postgresql://u@h/db",
        "postgresql+psycopg://u@h/db",
        "postgresql+psycopg2://u@h/db",
    ] {
        let env = Environ([("DATABASE_URL".to_owned(), url.to_owned())].into());
        let data_dir = std::path::Path::new("/unused");
        assert_eq!(database_url(&env, data_dir), "postgresql://u@h/db", "{url}");
    }
}

#[test]
fn a_malformed_setting_stops_the_start() {
    for (name, value) in [
        ("JWT_EXPIRES_IN", "soon"),
        ("DEFAULT_USER_ROLE", "root"),
        ("PASSWORD_HASH_ALGORITHM", "md5"),
        ("WEBUI_SECRET_KEY", ""),
        ("PORT", "eighty"),
    ] {
        let env = Environ([(name.to_owned(), value.to_owned())].into_iter().collect());
        assert!(Settings::from_environ(&env).is_err(), "{name}={value:?}");
    }
}
// --8<-- [end:refusals]

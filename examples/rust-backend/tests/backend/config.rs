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
        ("DATABASE_SQLITE_PRAGMA_SYNCHRONOUS", "OFF; DROP TABLE chat"),
    ] {
        let env = Environ([(name.to_owned(), value.to_owned())].into_iter().collect());
        assert!(Settings::from_environ(&env).is_err(), "{name}={value:?}");
    }
}
// --8<-- [end:refusals]

fn settings(
    vars: &[(&str, &str)],
) -> Result<Settings, reference_backend::env::ConfigError> {
    let env = Environ(
        vars.iter()
            .map(|&(name, value)| (name.to_owned(), value.to_owned()))
            .chain([("WEBUI_SECRET_KEY".to_owned(), "test-secret".to_owned())])
            .collect(),
    );
    Settings::from_environ(&env)
}

#[test]
fn the_sqlite_pragmas_default_to_upstreams() {
    let pairs: Vec<(&str, &str)> = [
        ("synchronous", "NORMAL"),
        ("busy_timeout", "5000"),
        ("cache_size", "-65536"),
        ("temp_store", "MEMORY"),
        ("mmap_size", "268435456"),
        ("journal_size_limit", "67108864"),
    ]
    .into();
    let pragmas = settings(&[]).unwrap().sqlite_pragmas;
    let read: Vec<(&str, &str)> = pragmas
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    assert_eq!(read, pairs);
}

#[test]
fn a_pragma_value_must_be_an_integer_or_a_word() {
    for value in ["1.5", "- 1", "NORMAL ", "2)", "x\n"] {
        let error =
            settings(&[("DATABASE_SQLITE_PRAGMA_MMAP_SIZE", value)]).unwrap_err();
        assert!(
            error.0.starts_with("DATABASE_SQLITE_PRAGMA_MMAP_SIZE="),
            "{value:?}: {error}"
        );
    }
}

#[test]
fn an_empty_pragma_is_left_out() {
    let pragmas = settings(&[
        ("DATABASE_SQLITE_PRAGMA_SYNCHRONOUS", "off"),
        ("DATABASE_SQLITE_PRAGMA_MMAP_SIZE", ""),
        ("DATABASE_SQLITE_PRAGMA_JOURNAL_SIZE_LIMIT", "-1"),
    ])
    .unwrap()
    .sqlite_pragmas;
    let value = |name: &str| {
        pragmas
            .iter()
            .find(|(pragma, _)| pragma == name)
            .map(|(_, value)| value.as_str())
    };
    assert_eq!(value("mmap_size"), None);
    assert_eq!(value("synchronous"), Some("off"));
    assert_eq!(value("journal_size_limit"), Some("-1"));
}

#[test]
fn the_activity_interval_falls_back_to_60_like_upstream() {
    for (raw, seconds) in [
        ("30", 30.0),
        ("0.5", 0.5),
        ("0", 0.0),
        ("-1", -1.0),
        ("soon", 60.0),
        ("", 60.0),
    ] {
        let env = [("DATABASE_USER_ACTIVE_STATUS_UPDATE_INTERVAL", raw)];
        let interval = settings(&env).unwrap().user_active_status_update_interval;
        assert!(
            (interval - seconds).abs() < f64::EPSILON,
            "{raw:?}: {interval}"
        );
    }
    let default = settings(&[]).unwrap().user_active_status_update_interval;
    assert!((default - 60.0).abs() < f64::EPSILON);
}

//! The `config` table: seeded from the environment once, then the database wins.

use std::path::Path;
use std::time::Duration;

use crate::common::{backend, send};
use axum::http::StatusCode;
use reference_backend::env::{Environ, Settings, body_size_limit, database_url};
use reference_backend::internal::deps::AppState;
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
/// The backend started again on the same `DATA_DIR`, with another `JWT_EXPIRES_IN`.
async fn restart(data_dir: &Path, jwt_expires_in: &str) -> AppState {
    let environ = Environ(
        [
            ("DATA_DIR", data_dir.display().to_string()),
            ("WEBUI_SECRET_KEY", "test-secret".to_owned()),
            ("JWT_EXPIRES_IN", jwt_expires_in.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    );
    app_state(Settings::from_environ(&environ).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn stored_values_win_over_the_environment_on_a_restart() {
    let (state, _app, dir) = backend(&[]).await;
    config::upsert(&state.db, &[("auth.jwt_expiry", json!("1h"))])
        .await
        .unwrap();
    let state = restart(&dir.0, "2d").await;
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

#[tokio::test]
async fn get_many_answers_none_for_missing_keys() {
    let (state, _app, _dir) = backend(&[]).await;
    config::upsert(&state.db, &[("auth.enable_api_keys", json!(true))])
        .await
        .unwrap();
    let stored = config::get_many(&state.db, &["auth.enable_api_keys", "nope"])
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored["auth.enable_api_keys"], Some(json!(true)));
    assert_eq!(stored["nope"], None);
    assert_eq!(config::get(&state.db, "nope").await.unwrap(), None);
    assert!(config::get_many(&state.db, &[]).await.unwrap().is_empty());
}

/// Open WebUI keeps hundreds of rows here; a read fetches only the keys it names.
///
/// A row of raw bytes stands for the others: a read that decoded it would fail.
#[tokio::test]
async fn reading_a_few_keys_leaves_the_other_rows_unread() {
    let (state, _app, dir) = backend(&[]).await;
    sqlx::query("INSERT INTO config VALUES (X'80', X'80', 0)")
        .execute(&state.db.pool)
        .await
        .unwrap();
    let stored = config::get_many(&state.db, &["ui.enable_signup", "nope"])
        .await
        .unwrap();
    assert_eq!(stored["ui.enable_signup"], Some(json!(true)));
    assert_eq!(stored["nope"], None);
    let expiry = config::get(&state.db, "auth.jwt_expiry").await.unwrap();
    assert_eq!(expiry, Some(json!("4w")));
    // A restart seeds again: it reads only the keys it would add.
    let state = restart(&dir.0, "1h").await;
    let expiry = config::get(&state.db, "auth.jwt_expiry").await.unwrap();
    assert_eq!(expiry, Some(json!("4w")));
}

#[tokio::test]
async fn seeding_leaves_other_keys_alone() {
    let (state, _app, _dir) = backend(&[]).await;
    let values = [
        ("rag.top_k", json!(5)),
        ("ui.default_user_role", json!("user")),
    ];
    config::upsert(&state.db, &values).await.unwrap();
    let settings = settings(&[("DEFAULT_USER_ROLE", "admin")]).unwrap();
    config::seed(&state.db, &settings).await.unwrap();
    for (key, value) in values {
        assert_eq!(config::get(&state.db, key).await.unwrap(), Some(value));
    }
    let shown = config::get(&state.db, "auth.admin.show").await.unwrap();
    assert_eq!(shown, Some(json!(true)));
}

/// Signup closed by the env still lets the first account in, as upstream does.
#[tokio::test]
async fn a_closed_signup_admits_only_the_first_account() {
    let (_state, app, _dir) = backend(&[("ENABLE_SIGNUP", "false")]).await;
    let form = |email: &str| json!({"name": "First", "email": email, "password": "pw-first-1"});
    let path = "/api/v1/auths/signup";
    let (status, first) =
        send(&app, "POST", path, None, Some(form("first@example.com"))).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["role"], "admin");
    let (status, _) =
        send(&app, "POST", path, None, Some(form("second@example.com"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
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

#[test]
fn a_client_timeout_of_zero_or_less_is_no_limit() {
    // Upstream hands the values to aiohttp, which reads 0 or less as no limit; a
    // value that is not a number falls back to each variable's default.
    let seconds = |value: u64| Some(Duration::from_secs(value));
    for (raw, completion, model_list) in [
        ("30", seconds(30), seconds(30)),
        ("0", None, None),
        ("-5", None, None),
        ("", None, None),
        ("soon", seconds(300), seconds(10)),
    ] {
        let read = settings(&[
            ("AIOHTTP_CLIENT_TIMEOUT", raw),
            ("AIOHTTP_CLIENT_TIMEOUT_MODEL_LIST", raw),
        ])
        .unwrap();
        assert_eq!(
            (read.client_timeout, read.model_list_timeout),
            (completion, model_list),
            "{raw:?}"
        );
    }
}

#[test]
fn a_body_size_limit_is_a_positive_number_of_bytes() {
    for (raw, limit) in [("", None), ("1048576", Some(1_048_576)), (" 10 ", Some(10))] {
        assert_eq!(body_size_limit(raw).unwrap(), limit, "{raw:?}");
    }
    for raw in ["0", "-1", "+5", "1e6", "10MB"] {
        let error = body_size_limit(raw).unwrap_err().to_string();
        assert!(
            error.starts_with("MAX_REQUEST_BODY_SIZE="),
            "{raw:?}: {error}"
        );
    }
}

/// Each hardening variable and the setting it turns on.
const HARDENING: [&str; 5] = [
    "WEBUI_AUTH_REQUIRE_TOKEN_EXPIRY",
    "WEBUI_AUTH_BEARER_ONLY",
    "WEBUI_AUTH_REVOCATION_TABLE",
    "WEBUI_AUTH_STRICT_EMAILS",
    "WEBUI_AUTH_STRICT_ROLES",
];

/// The hardening settings, in the order of `HARDENING`.
fn hardening(settings: &Settings) -> [bool; 5] {
    [
        settings.require_token_expiry,
        settings.bearer_only,
        settings.revocation_table,
        settings.strict_emails,
        settings.strict_roles,
    ]
}

#[test]
fn the_hardening_options_are_off_by_default() {
    assert_eq!(hardening(&settings(&[]).unwrap()), [false; 5]);
}

#[test]
fn each_hardening_variable_is_a_flag_of_its_own() {
    for (index, name) in HARDENING.into_iter().enumerate() {
        for (raw, value) in [("On", true), ("1", true), ("off", false)] {
            let read = hardening(&settings(&[(name, raw)]).unwrap());
            let expected: Vec<bool> = (0..HARDENING.len())
                .map(|other| value && other == index)
                .collect();
            assert_eq!(read.to_vec(), expected, "{name}={raw}");
        }
    }
}

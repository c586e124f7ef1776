//! `WEBUI_AUTH_STRICT_EMAILS`: emails trimmed before they are stored or looked up,
//! and longer than RFC 5321 allows refused where one is stored.

use axum::http::StatusCode;
use reference_backend::constants::{EMAIL_TAKEN, INVALID_CRED, INVALID_EMAIL_FORMAT};
use reference_backend::errors::ApiError;
use reference_backend::internal::deps::AppState;
use reference_backend::main::App;
use reference_backend::models::config;
use reference_backend::utils::validate::{email_to_store, normalize_email};
use serde_json::{Value, json};

use crate::common::{account, backend, backend_with, send, token};

/// 254 characters, RFC 5321's limit.
fn longest() -> String {
    format!("{}@example.com", "a".repeat(242))
}

/// One character more than [`longest`].
fn too_long() -> String {
    format!("a{}", longest())
}

#[test]
fn by_default_an_email_is_only_lower_cased() {
    assert_eq!(
        normalize_email(" Ada@Example.com\n", false),
        " ada@example.com\n"
    );
    assert_eq!(email_to_store(&too_long(), false).unwrap(), too_long());
}

#[test]
fn strict_trims_unicode_whitespace_then_lower_cases() {
    let padded = "\u{a0} Ada@Example.com\u{2003}\t";
    assert_eq!(normalize_email(padded, true), "ada@example.com");
    assert_eq!(email_to_store(padded, true).unwrap(), "ada@example.com");
}

#[test]
fn strict_trims_what_pythons_strip_trims() {
    // U+001C to U+001F are whitespace to Python's `str.strip()`, not to `str::trim`.
    let padded = "\u{1c}\u{1f}ada@example.com\u{1d}\u{1e}";
    assert_eq!(normalize_email(padded, true), "ada@example.com");
}

#[test]
fn strict_counts_characters_not_bytes() {
    assert_eq!(email_to_store(&longest(), true).unwrap(), longest());
    let accented = format!("{}@example.com", "é".repeat(242));
    assert_eq!(email_to_store(&accented, true).unwrap(), accented);
    let refused = email_to_store(&too_long(), true).unwrap_err();
    assert!(
        matches!(
            &refused,
            ApiError::Http { status: StatusCode::BAD_REQUEST, detail }
                if detail == INVALID_EMAIL_FORMAT
        ),
        "{refused:?}"
    );
}

async fn signup(app: &App, email: &str) -> (StatusCode, Value) {
    let form = json!({"name": "N", "email": email, "password": "pw"});
    send(app, "POST", "/api/v1/auths/signup", None, Some(form)).await
}

async fn signin(app: &App, email: &str) -> (StatusCode, Value) {
    let form = json!({"email": email, "password": "pw"});
    send(app, "POST", "/api/v1/auths/signin", None, Some(form)).await
}

async fn open_signup(state: &AppState) {
    config::upsert(&state.db, &[("ui.enable_signup", json!(true))])
        .await
        .unwrap();
}

#[tokio::test]
async fn by_default_padding_makes_another_account() {
    let (state, app, _dir) = backend(&[]).await;
    account(&app, "admin", None).await;
    open_signup(&state).await;
    let (status, refused) = signin(&app, " admin@example.com ").await;
    assert_eq!(
        (status, &refused["detail"]),
        (StatusCode::BAD_REQUEST, &json!(INVALID_CRED))
    );
    let (_, second) = signup(&app, " admin@example.com ").await;
    assert_eq!(second["email"], " admin@example.com ");
}

#[tokio::test]
async fn strict_padding_finds_the_same_account() {
    let (state, app, _dir) = backend(&[]).await;
    account(&app, "admin", None).await;
    open_signup(&state).await;
    let (_, strict) = backend_with(&state, |s| s.strict_emails = true).await;
    let taken = signup(&strict, "  Admin@example.com ").await;
    assert_eq!(
        taken,
        (StatusCode::BAD_REQUEST, json!({"detail": EMAIL_TAKEN}))
    );
    let (status, _) = signin(&strict, "\tadmin@example.com ").await;
    assert_eq!(status, StatusCode::OK);
    let (_, user) = signup(&strict, " user@example.com ").await;
    assert_eq!(user["email"], "user@example.com");
}

#[tokio::test]
async fn strict_refuses_storing_a_too_long_email_on_every_route() {
    let (state, app, _dir) = backend(&[]).await;
    let admin = account(&app, "admin", None).await;
    open_signup(&state).await;
    let (_, strict) = backend_with(&state, |s| s.strict_emails = true).await;
    let form = json!({"name": "N", "email": too_long(), "password": "pw"});
    let admin_token = Some(token(&admin));
    let added = send(
        &strict,
        "POST",
        "/api/v1/auths/add",
        admin_token,
        Some(form.clone()),
    )
    .await;
    let user = account(&strict, "user", Some(&admin)).await;
    let path = format!("/api/v1/users/{}/update", user["id"].as_str().unwrap());
    let updated = send(&strict, "POST", &path, admin_token, Some(form)).await;
    let refused = (
        StatusCode::BAD_REQUEST,
        json!({"detail": INVALID_EMAIL_FORMAT}),
    );
    for answer in [signup(&strict, &too_long()).await, added, updated] {
        assert_eq!(answer, refused);
    }
    let (_, listed) = send(&strict, "GET", "/api/v1/users/", admin_token, None).await;
    let mut emails: Vec<&str> = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["email"].as_str().unwrap())
        .collect();
    emails.sort_unstable();
    assert_eq!(emails, ["admin@example.com", "user@example.com"]);
    let (status, answered) = signin(&strict, &too_long()).await;
    assert_eq!(
        (status, &answered["detail"]),
        (StatusCode::BAD_REQUEST, &json!(INVALID_CRED))
    );
}

#[tokio::test]
async fn by_default_a_long_email_is_stored() {
    let (_state, app, _dir) = backend(&[]).await;
    let admin = account(&app, "admin", None).await;
    let form = json!({"name": "N", "email": too_long(), "password": "pw"});
    let (_, added) = send(
        &app,
        "POST",
        "/api/v1/auths/add",
        Some(token(&admin)),
        Some(form),
    )
    .await;
    assert_eq!(added["email"], too_long());
}

#[tokio::test]
async fn strict_update_stores_the_trimmed_email() {
    let (state, app, _dir) = backend(&[]).await;
    let admin = account(&app, "admin", None).await;
    let (_, strict) = backend_with(&state, |s| s.strict_emails = true).await;
    let user = account(&strict, "user", Some(&admin)).await;
    let path = format!("/api/v1/users/{}/update", user["id"].as_str().unwrap());
    let form = json!({"email": " New@Example.com\n"});
    let (_, updated) =
        send(&strict, "POST", &path, Some(token(&admin)), Some(form)).await;
    assert_eq!(updated["email"], "new@example.com");
    let (status, _) = signin(&strict, "new@example.com").await;
    assert_eq!(status, StatusCode::OK);
}

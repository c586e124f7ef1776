//! Session tokens through the router: a required expiry, and where a credential is
//! read from (`WEBUI_AUTH_REQUIRE_TOKEN_EXPIRY`, `WEBUI_AUTH_BEARER_ONLY`).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use reference_backend::main::App;
use reference_backend::models::config;
use reference_backend::utils::auth::token_lifetime;
use reference_backend::utils::auth::tokens::{self, effective_lifetime};
use reference_backend::utils::durations::parse_duration;
use reference_backend::utils::misc::now;
use serde_json::{Value, json};

use crate::common::{account, backend, backend_with, respond, send, token};

const SECRET: &str = "test-secret";
const FOUR_WEEKS: i64 = 4 * 7 * 24 * 3600;

#[tokio::test]
async fn requiring_an_expiry_mints_never_expiring_lifetimes_for_four_weeks() {
    let (state, _app, _dir) = backend(&[]).await;
    let (strict, _) = backend_with(&state, |s| s.require_token_expiry = true).await;
    let four_weeks = parse_duration("4w").unwrap();
    for stored in ["-1", "0", "0s"] {
        config::upsert(&state.db, &[("auth.jwt_expiry", json!(stored))])
            .await
            .unwrap();
        let lifetime = token_lifetime(&state).await.unwrap();
        assert_eq!(effective_lifetime(lifetime), None, "{stored}");
        assert_eq!(
            token_lifetime(&strict).await.unwrap(),
            four_weeks,
            "{stored}"
        );
    }
}

#[tokio::test]
async fn requiring_an_expiry_keeps_a_lifetime_that_has_one() {
    let (state, _app, _dir) =
        backend(&[("WEBUI_AUTH_REQUIRE_TOKEN_EXPIRY", "true")]).await;
    config::upsert(&state.db, &[("auth.jwt_expiry", json!("1h"))])
        .await
        .unwrap();
    let lifetime = token_lifetime(&state).await.unwrap();
    assert_eq!(lifetime, parse_duration("1h").unwrap());
}

#[tokio::test]
async fn with_the_option_a_token_without_expiry_is_refused_on_every_route() {
    let (state, app, _dir) = backend(&[]).await;
    config::upsert(&state.db, &[("auth.jwt_expiry", json!("-1"))])
        .await
        .unwrap();
    let admin = account(&app, "admin", None).await;
    let claims = tokens::decode_token(token(&admin), SECRET, false).unwrap();
    assert_eq!(claims.exp, None);
    let (status, _) =
        send(&app, "GET", "/api/v1/auths/", Some(token(&admin)), None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, strict) = backend_with(&state, |s| s.require_token_expiry = true).await;
    let refused =
        send(&strict, "GET", "/api/v1/auths/", Some(token(&admin)), None).await;
    assert_eq!(
        refused,
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail": "401 Unauthorized"})
        )
    );
    let (_, visitor) = send(&strict, "GET", "/api/config", None, None).await;
    let (_, with_token) =
        send(&strict, "GET", "/api/config", Some(token(&admin)), None).await;
    assert_eq!(with_token, visitor);
}

#[tokio::test]
async fn with_the_option_sign_in_mints_four_weeks_where_the_row_says_never() {
    let (state, app, _dir) = backend(&[]).await;
    account(&app, "admin", None).await;
    config::upsert(&state.db, &[("auth.jwt_expiry", json!("-1"))])
        .await
        .unwrap();
    let (_, strict) = backend_with(&state, |s| s.require_token_expiry = true).await;
    let form = json!({"email": "admin@example.com", "password": "pw"});
    let request = Request::post("/api/v1/auths/signin")
        .header("content-type", "application/json")
        .body(Body::from(form.to_string()))
        .unwrap();
    let (status, headers, reply) = respond(&strict, request).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let claims = tokens::decode_token(token(&reply), SECRET, true).unwrap();
    assert_eq!(claims.exp.unwrap() - claims.iat.unwrap(), FOUR_WEEKS);
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains(&format!("Max-Age={FOUR_WEEKS}")),
        "{cookie}"
    );
    let expires_at = reply["expires_at"].as_i64().unwrap();
    assert!(
        (expires_at - (now() + FOUR_WEEKS)).abs() < 5,
        "{expires_at}"
    );
    let (status, _) =
        send(&strict, "GET", "/api/v1/auths/", Some(token(&reply)), None).await;
    assert_eq!(status, StatusCode::OK);
}

/// `GET /api/v1/auths/` with these request headers.
async fn session(app: &App, headers: &[(&str, String)]) -> (StatusCode, Value) {
    let request = headers
        .iter()
        .fold(Request::get("/api/v1/auths/"), |request, (name, value)| {
            request.header(*name, value)
        });
    let (status, _, body) = respond(app, request.body(Body::empty()).unwrap()).await;
    (status, body)
}

/// The token under another scheme, as upstream's middleware still reads it.
fn basic(user: &Value) -> (&'static str, String) {
    ("authorization", format!("Basic {}", token(user)))
}

#[tokio::test]
async fn by_default_a_token_under_any_scheme_is_read() {
    let (_state, app, _dir) = backend(&[]).await;
    let admin = account(&app, "admin", None).await;
    let (status, body) = session(&app, &[basic(&admin)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn bearer_only_reads_no_token_under_another_scheme() {
    let (state, app, _dir) = backend(&[]).await;
    let admin = account(&app, "admin", None).await;
    let (_, strict) = backend_with(&state, |s| s.bearer_only = true).await;
    let refused = session(&strict, &[basic(&admin)]).await;
    assert_eq!(
        refused,
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Not authenticated"})
        )
    );
    let lower_case = ("authorization", format!("bearer {}", token(&admin)));
    assert_eq!(session(&strict, &[lower_case]).await.0, StatusCode::OK);
    let cookie = ("cookie", format!("token={}", token(&admin)));
    assert_eq!(
        session(&strict, &[basic(&admin), cookie]).await.0,
        StatusCode::OK
    );
}

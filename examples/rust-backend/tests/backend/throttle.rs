//! The `last_active_at` throttle: one write per user per interval, in each process.

use std::thread::sleep;
use std::time::Duration;

use crate::common::{backend, send};
use axum::http::StatusCode;
use reference_backend::models::users::{self, UserField};
use reference_backend::utils::misc::Throttle;
use serde_json::json;

#[test]
fn a_key_goes_once_per_interval() {
    let throttle = Throttle::new(60.0);
    assert!(throttle.ready("a"));
    assert!(!throttle.ready("a"));
    assert!(throttle.ready("b"));
    let short = Throttle::new(0.01);
    assert!(short.ready("a"));
    sleep(Duration::from_millis(20));
    assert!(short.ready("a"));
}

#[test]
fn zero_or_less_lets_every_call_go() {
    for interval in [0.0, -1.0] {
        let throttle = Throttle::new(interval);
        assert!((0..3).all(|_| throttle.ready("a")), "{interval}");
    }
}

/// Sign up, then send two requests with `last_active_at` reset to 0 before each.
async fn last_active_after_two_requests(interval: &str) -> Vec<i64> {
    let (state, app, _dir) =
        backend(&[("DATABASE_USER_ACTIVE_STATUS_UPDATE_INTERVAL", interval)]).await;
    let form = json!({"name": "N", "email": "a@example.com", "password": "password-1"});
    let (_, account) =
        send(&app, "POST", "/api/v1/auths/signup", None, Some(form)).await;
    let (id, token) = (account["id"].as_str().unwrap(), account["token"].as_str());
    let mut seen = Vec::new();
    for _ in 0..2 {
        users::update_user(&state.db, id, vec![UserField::LastActiveAt(0)])
            .await
            .unwrap();
        let (status, _) = send(&app, "GET", "/api/v1/auths/", token, None).await;
        assert_eq!(status, StatusCode::OK);
        let user = users::get_user_by_id(&state.db, id).await.unwrap().unwrap();
        seen.push(user.last_active_at);
    }
    seen
}

#[tokio::test]
async fn only_the_first_request_of_an_interval_writes() {
    let seen = last_active_after_two_requests("60").await;
    assert!(seen[0] > 0);
    assert_eq!(seen[1], 0);
}

#[tokio::test]
async fn interval_zero_writes_on_every_request() {
    let seen = last_active_after_two_requests("0").await;
    assert!(seen.iter().all(|&at| at > 0), "{seen:?}");
}

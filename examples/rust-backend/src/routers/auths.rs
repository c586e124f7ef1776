//! `/api/v1/auths`: sign-up, sign-in, sign-out, the session, passwords, API keys.
//!
//! Every route here is wrapped by `auth_route` and answers with `AuthError`, as every
//! upstream auth route goes through its `MfaRoute`: responses are never cached, a
//! malformed request gets one fixed message instead of a field-by-field report, and a
//! database failure reads as a temporary outage rather than a crash.

use std::sync::LazyLock;

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use redis::AsyncCommands;
use regex::Regex;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::constants;
use crate::env::ROLES;
use crate::errors::{ApiError, AuthError, ValidationIssue, auth_route};
use crate::extract::Form;
use crate::internal::db::is_unique_violation;
use crate::internal::deps::AppState;
use crate::models::auths::{
    self, AddUserForm, NewUser, SigninForm, SignupForm, UpdatePasswordForm,
};
use crate::models::users::{self, UserField, UserModel};
use crate::models::{config, revoked_tokens};
use crate::utils::auth::passwords::password_too_long;
use crate::utils::auth::tokens::{Claims, SessionClaims};
use crate::utils::auth::{
    AdminUser, CurrentUser, HumanUser, VerifiedUser, api_keys_usable, cleared_cookie,
    create_api_key, create_token, hash_password, is_valid_token, placeholder_hash,
    request_claims, request_token, revoked_key, sign_in, token_cookie, token_lifetime,
    verify_password,
};
use crate::utils::misc::now;
use crate::utils::rate_limit::RateLimiter;
use crate::utils::validate::{
    check_role, email_to_store, normalize_email, validate_email_format,
    validate_image_url,
};

/// The pattern upstream's admin form accepts for `JWT_EXPIRES_IN`; others are ignored.
static JWT_EXPIRES_IN_FORM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(-1|0|(-?\d+(\.\d+)?)(ms|s|m|h|d|w))$").unwrap());
const SIGNED_OUT_COOKIES: [&str; 4] =
    ["token", "owui-session", "oui-session", "oauth_id_token"];

/// What an auth handler returns: headers to set and a JSON body.
type Reply = Result<(HeaderMap, Json<Value>), AuthError>;

// --8<-- [start:signin-limiter]
/// Upstream's throttle: 15 sign-in attempts per email in three minutes.
#[must_use]
pub fn signin_limiter() -> RateLimiter {
    RateLimiter::new(15, 180, 60)
}
// --8<-- [end:signin-limiter]

// --8<-- [start:router]
/// The routes, each wrapped so its answers are never cached.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", auth_route(get(get_session_user)))
        .route("/signin", auth_route(post(signin)))
        .route("/signup", auth_route(post(signup)))
        .route("/signout", auth_route(post(signout)))
        .route("/update/password", auth_route(post(update_password)))
        .route("/update/profile", auth_route(post(update_profile)))
        .route("/add", auth_route(post(add_user)))
        .route(
            "/admin/config",
            auth_route(get(get_admin_config).post(update_admin_config)),
        )
        .route("/admin/details", auth_route(get(get_admin_details)))
        .route(
            "/api_key",
            auth_route(
                get(get_api_key)
                    .post(generate_api_key)
                    .delete(delete_api_key),
            ),
        )
}
// --8<-- [end:router]

fn http(status: StatusCode, detail: &str) -> AuthError {
    AuthError::Api(ApiError::new(status, detail))
}

/// A pydantic `field_validator` failure, which the auth routes report as one message.
fn invalid_field(field: &str, msg: &str) -> AuthError {
    AuthError::Api(ApiError::Validation(vec![ValidationIssue {
        kind: "value_error".into(),
        loc: vec!["body".into(), field.into()],
        msg: msg.into(),
        input: Value::Null,
    }]))
}

fn check_image(field: &str, url: Option<&str>) -> Result<(), AuthError> {
    url.map_or(Ok(()), |url| {
        validate_image_url(url).map_err(|msg| invalid_field(field, msg))
    })
}

// --8<-- [start:session]
/// The signed-in user, with the token re-set as a cookie for its remaining life.
async fn get_session_user(
    State(state): State<AppState>,
    HumanUser(user, claims): HumanUser,
    headers: HeaderMap,
) -> Reply {
    let token = request_token(&headers, state.settings.bearer_only).unwrap_or_default();
    let expires_at = claims.exp;
    let mut reply = HeaderMap::new();
    let max_age = expires_at.map(|exp| i128::from(exp - now()));
    reply.insert(
        SET_COOKIE,
        token_cookie(&token, max_age, expires_at, state.settings.cookie_secure),
    );
    let body = json!({
        "token": token,
        "token_type": "Bearer",
        "expires_at": expires_at,
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "profile_image_url": user.profile_image_url,
        "bio": user.bio,
        "gender": user.gender,
        "date_of_birth": user.date_of_birth,
        "status_emoji": user.status_emoji,
        "status_message": user.status_message,
        "status_expires_at": user.status_expires_at,
        "permissions": config::get(&state.db, "user.permissions").await?,
    });
    Ok((reply, Json(body)))
}
// --8<-- [end:session]

// --8<-- [start:signin]
async fn signin(
    State(state): State<AppState>,
    form: Result<Form<SigninForm>, ApiError>,
) -> Reply {
    let Form(form) = form?;
    let email = normalize_email(&form.email, state.settings.strict_emails);
    let prefix = &state.settings.redis_key_prefix;
    let limited = state
        .signin_limiter
        .is_limited(state.redis.as_ref(), prefix, &email)
        .await;
    if limited {
        return Err(http(
            StatusCode::TOO_MANY_REQUESTS,
            "API rate limit exceeded",
        ));
    }
    let user = users::get_user_by_email(&state.db, &email).await?;
    let auth = match &user {
        Some(user) => auths::get_auth(&state.db, &user.id).await?,
        None => None,
    };
    let (Some(user), Some(auth)) = (user, auth.filter(|auth| auth.active)) else {
        // The same time as a real check.
        let placeholder = placeholder_hash(state.settings.password_hash_algorithm);
        verify_password(&form.password, Some(placeholder)).await;
        return Err(http(StatusCode::BAD_REQUEST, constants::INVALID_CRED));
    };
    if !verify_password(&form.password, auth.password.as_deref()).await {
        return Err(http(StatusCode::BAD_REQUEST, constants::INVALID_CRED));
    }
    let (headers, body) = sign_in(&state, &user, &auth).await?;
    Ok((headers, Json(body)))
}
// --8<-- [end:signin]

// --8<-- [start:signup]
/// Open sign-up; the very first account becomes admin and closes sign-up.
async fn signup(
    State(state): State<AppState>,
    form: Result<Form<SignupForm>, ApiError>,
) -> Reply {
    let Form(form) = form?;
    check_image("profile_image_url", form.profile_image_url.as_deref())?;
    let db = &state.db;
    let gates =
        config::get_many(db, &["ui.enable_signup", "ui.enable_login_form"]).await?;
    let is_true = |key: &str| gates.get(key).cloned().flatten() == Some(json!(true));
    // Only a sign-up that found no account may become the admin: see
    // `users::promote_first_admin` for why the count after the insert is not enough.
    let first = !users::has_users(db).await?;
    // The first account is never gated on ENABLE_SIGNUP, only on the login form.
    if !((is_true("ui.enable_signup") || first) && is_true("ui.enable_login_form")) {
        return Err(http(StatusCode::FORBIDDEN, constants::ACCESS_PROHIBITED));
    }
    let role = config::get(db, "ui.default_user_role").await?;
    let role = role.as_ref().and_then(Value::as_str).unwrap_or("pending");
    let user = create_user(&state, &form, role).await?;
    // Upstream's catch-all once the account exists: a 500, not the route's 503.
    finish_signup(&state, user, first)
        .await
        .map_err(|error| match error {
            AuthError::Api(ApiError::Database(error)) => {
                tracing::error!(%error, "sign-up failed after the insert");
                http(StatusCode::INTERNAL_SERVER_ERROR, constants::SIGNUP_FAILED)
            }
            other => other,
        })
}

/// Promote the first account and close sign-up, then sign the new account in.
async fn finish_signup(state: &AppState, mut user: UserModel, first: bool) -> Reply {
    let db = &state.db;
    if first && users::promote_first_admin(db, &user.id).await? {
        user = users::get_user_by_id(db, &user.id).await?.unwrap_or(user);
        config::upsert(db, &[("ui.enable_signup", json!(false))]).await?;
    }
    let auth = auths::get_auth(db, &user.id)
        .await?
        .ok_or_else(|| http(StatusCode::INTERNAL_SERVER_ERROR, constants::DEFAULT))?;
    let (headers, body) = sign_in(state, &user, &auth).await?;
    Ok((headers, Json(body)))
}
// --8<-- [end:signup]

/// Checks shared by sign-up and admin add, then the insert.
async fn create_user(
    state: &AppState,
    form: &SignupForm,
    role: &str,
) -> Result<UserModel, AuthError> {
    let email = email_to_store(&form.email, state.settings.strict_emails)?;
    if !validate_email_format(&email) {
        return Err(http(
            StatusCode::BAD_REQUEST,
            constants::INVALID_EMAIL_FORMAT,
        ));
    }
    if users::get_user_by_email(&state.db, &email).await?.is_some() {
        return Err(http(StatusCode::BAD_REQUEST, constants::EMAIL_TAKEN));
    }
    let algorithm = state.settings.password_hash_algorithm;
    if password_too_long(&form.password, algorithm) {
        return Err(http(StatusCode::BAD_REQUEST, constants::PASSWORD_TOO_LONG));
    }
    let password_hash = hash_password(&form.password, algorithm).await?;
    let new = NewUser {
        email: &email,
        password_hash: &password_hash,
        name: &form.name,
        profile_image_url: form.profile_image_url.as_deref(),
        role,
    };
    auths::insert_user(&state.db, new).await.map_err(|error| {
        // A parallel request took the address after the check above: upstream's
        // unique index on lower(email) refused this insert.
        if is_unique_violation(&error) {
            http(StatusCode::BAD_REQUEST, constants::EMAIL_TAKEN)
        } else {
            error.into()
        }
    })
}

// --8<-- [start:signout]
/// Clear the cookies and revoke the token: as upstream, only with Redis, unless the
/// revocation table is on.
async fn signout(State(state): State<AppState>, headers: HeaderMap) -> Reply {
    if let Some(claims) = request_claims(&state, &headers) {
        revoke_token(&state, &claims).await?;
    }
    let mut reply = HeaderMap::new();
    for name in SIGNED_OUT_COOKIES {
        reply.append(SET_COOKIE, cleared_cookie(name));
    }
    Ok((reply, Json(json!({"status": true}))))
}

/// Record a still-valid token as signed out wherever revocations are kept: in Redis
/// while the token has time left, and in the revocation table when it is on. A token
/// without a `jti` cannot be told apart from the user's others: nothing is recorded.
async fn revoke_token(state: &AppState, claims: &Claims) -> Result<(), ApiError> {
    let Some(jti) = claims.jti.as_deref().filter(|jti| !jti.is_empty()) else {
        return Ok(());
    };
    let time_left = claims.exp.map(|exp| exp - now()).filter(|ttl| *ttl > 0);
    let redis = state.redis.as_ref().zip(time_left);
    let table = state.settings.revocation_table;
    if (redis.is_none() && !table) || !is_valid_token(state, claims).await? {
        return Ok(());
    }
    if let Some((redis, ttl)) = redis {
        let key = revoked_key(&state.settings.redis_key_prefix, jti);
        let ttl = u64::try_from(ttl).unwrap_or_default();
        redis.clone().set_ex::<_, _, ()>(key, "1", ttl).await?;
    }
    if table {
        revoked_tokens::revoke(&state.db, jti, claims.exp).await?;
    }
    Ok(())
}
// --8<-- [end:signout]

// --8<-- [start:update-password]
/// A new password rotates the session stamp: every other session ends.
async fn update_password(
    State(state): State<AppState>,
    CurrentUser { user, .. }: CurrentUser,
    form: Result<Form<UpdatePasswordForm>, ApiError>,
) -> Reply {
    let Form(form) = form?;
    let auth = auths::get_auth(&state.db, &user.id).await?;
    let stored = auth.as_ref().and_then(|auth| auth.password.as_deref());
    if auth.is_none() || !verify_password(&form.password, stored).await {
        return Err(http(StatusCode::BAD_REQUEST, constants::INCORRECT_PASSWORD));
    }
    let algorithm = state.settings.password_hash_algorithm;
    if password_too_long(&form.new_password, algorithm) {
        return Err(http(StatusCode::BAD_REQUEST, constants::PASSWORD_TOO_LONG));
    }
    let new_hash = hash_password(&form.new_password, algorithm).await?;
    auths::rotate_session_stamp(&state.db, &user.id, Some(&new_hash)).await?;
    Ok((HeaderMap::new(), Json(json!(true))))
}
// --8<-- [end:update-password]

/// `POST /update/profile`.
#[derive(Deserialize)]
struct UpdateProfileForm {
    profile_image_url: String,
    name: String,
    #[serde(default)]
    bio: Option<String>,
    #[serde(default)]
    gender: Option<String>,
    #[serde(default)]
    date_of_birth: Option<String>,
}

async fn update_profile(
    State(state): State<AppState>,
    VerifiedUser(user): VerifiedUser,
    form: Result<Form<UpdateProfileForm>, ApiError>,
) -> Reply {
    let Form(form) = form?;
    check_image("profile_image_url", Some(&form.profile_image_url))?;
    if let Some(date) = &form.date_of_birth {
        if !is_iso_date(date) {
            return Err(invalid_field(
                "date_of_birth",
                "Input should be a valid date",
            ));
        }
    }
    let fields = vec![
        UserField::ProfileImageUrl(form.profile_image_url),
        UserField::Name(form.name),
        UserField::Bio(form.bio),
        UserField::Gender(form.gender),
        UserField::DateOfBirth(form.date_of_birth),
    ];
    let updated = users::update_user(&state.db, &user.id, fields)
        .await?
        .unwrap_or(user);
    let body = json!({
        "id": updated.id,
        "name": updated.name,
        "role": updated.role,
        "email": updated.email,
        "profile_image_url": updated.profile_image_url,
    });
    Ok((HeaderMap::new(), Json(body)))
}

/// `YYYY-MM-DD` naming a real day, as pydantic's `date` accepts from a string.
fn is_iso_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return false;
    };
    let (Ok(year), Ok(month), Ok(day)) = (
        year.parse::<u32>(),
        month.parse::<u32>(),
        day.parse::<u32>(),
    ) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    text.len() == 10 && (1..=9999).contains(&year) && (1..=days).contains(&day)
}

/// An account made by an admin, with a token but no cookie.
async fn add_user(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    form: Result<Form<AddUserForm>, ApiError>,
) -> Reply {
    let Form(form) = form?;
    check_role(form.role.as_deref(), state.settings.strict_roles)?;
    check_image(
        "profile_image_url",
        form.signup.profile_image_url.as_deref(),
    )?;
    let role = form.role.as_deref().unwrap_or("pending");
    let user = create_user(&state, &form.signup, role).await?;
    let auth = auths::get_auth(&state.db, &user.id).await?;
    let claims = SessionClaims {
        id: user.id.clone(),
        typ: "session".into(),
        auth_method: String::new(),
        auth_time: None,
        session_stamp: auth.and_then(|auth| auth.session_stamp),
        mfa_verified: None,
    };
    let token = create_token(&state, claims, token_lifetime(&state).await?)?;
    let body = json!({
        "token": token,
        "token_type": "Bearer",
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "profile_image_url": format!("/api/v1/users/{}/profile/image", user.id),
    });
    Ok((HeaderMap::new(), Json(body)))
}

/// The admin settings this slice owns, and the `config` keys they live under.
const ADMIN_CONFIG_KEYS: [(&str, &str); 6] = [
    ("SHOW_ADMIN_DETAILS", "auth.admin.show"),
    ("ENABLE_LOGIN_FORM", "ui.enable_login_form"),
    ("ENABLE_SIGNUP", "ui.enable_signup"),
    ("ENABLE_API_KEYS", "auth.enable_api_keys"),
    ("DEFAULT_USER_ROLE", "ui.default_user_role"),
    ("JWT_EXPIRES_IN", "auth.jwt_expiry"),
];

async fn admin_config(
    state: &AppState,
) -> Result<serde_json::Map<String, Value>, AuthError> {
    let keys: Vec<&str> = ADMIN_CONFIG_KEYS.iter().map(|(_, key)| *key).collect();
    let stored = config::get_many(&state.db, &keys).await?;
    Ok(ADMIN_CONFIG_KEYS
        .iter()
        .map(|(field, key)| {
            let value = stored.get(*key).cloned().flatten().unwrap_or(Value::Null);
            ((*field).to_owned(), value)
        })
        .collect())
}

async fn get_admin_config(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> Reply {
    Ok((
        HeaderMap::new(),
        Json(Value::Object(admin_config(&state).await?)),
    ))
}

/// The admin settings this slice owns; upstream's form has many more.
#[derive(Deserialize)]
#[allow(non_snake_case, reason = "upstream's field names")]
struct AdminConfig {
    SHOW_ADMIN_DETAILS: bool,
    #[serde(default)]
    ENABLE_LOGIN_FORM: Option<bool>,
    ENABLE_SIGNUP: bool,
    ENABLE_API_KEYS: bool,
    DEFAULT_USER_ROLE: String,
    JWT_EXPIRES_IN: String,
}

/// Store the settings; an unknown role or a malformed expiry is silently kept.
async fn update_admin_config(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    form: Result<Form<AdminConfig>, ApiError>,
) -> Reply {
    let Form(form) = form?;
    let mut values = vec![
        ("auth.admin.show", json!(form.SHOW_ADMIN_DETAILS)),
        ("ui.enable_signup", json!(form.ENABLE_SIGNUP)),
        ("auth.enable_api_keys", json!(form.ENABLE_API_KEYS)),
    ];
    // Clients that predate the field must not turn the login form off by omission.
    if let Some(enabled) = form.ENABLE_LOGIN_FORM {
        values.push(("ui.enable_login_form", json!(enabled)));
    }
    if ROLES.contains(&form.DEFAULT_USER_ROLE.as_str()) {
        values.push(("ui.default_user_role", json!(form.DEFAULT_USER_ROLE)));
    }
    if JWT_EXPIRES_IN_FORM.is_match(&form.JWT_EXPIRES_IN) {
        values.push(("auth.jwt_expiry", json!(form.JWT_EXPIRES_IN)));
    }
    config::upsert(&state.db, &values).await?;
    let mut body = admin_config(&state).await?;
    body.insert("sessions_revoked".into(), json!(false));
    Ok((HeaderMap::new(), Json(Value::Object(body))))
}

/// Who to ask for an account, when the admin has chosen to show it.
async fn get_admin_details(
    State(state): State<AppState>,
    CurrentUser { .. }: CurrentUser,
) -> Reply {
    let db = &state.db;
    if config::get(db, "auth.admin.show").await? != Some(json!(true)) {
        return Err(http(StatusCode::BAD_REQUEST, constants::ACTION_PROHIBITED));
    }
    let admin_email = config::get(db, "auth.admin.email").await?;
    if let Some(email) = admin_email
        .as_ref()
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
    {
        let admin = users::get_user_by_email(db, email).await?;
        let body = json!({"name": admin.map(|admin| admin.name), "email": email});
        return Ok((HeaderMap::new(), Json(body)));
    }
    let admin = match users::first_user_id(db).await? {
        Some(id) => users::get_user_by_id(db, &id).await?,
        None => None,
    };
    let body = admin.map_or_else(
        || json!({}),
        |admin| json!({"name": admin.name, "email": admin.email}),
    );
    Ok((HeaderMap::new(), Json(body)))
}

// --8<-- [start:api-keys]
async fn check_api_key_permission(
    state: &AppState,
    user: &UserModel,
) -> Result<(), AuthError> {
    if api_keys_usable(&state.db, user).await? {
        return Ok(());
    }
    Err(http(
        StatusCode::FORBIDDEN,
        constants::API_KEY_CREATION_NOT_ALLOWED,
    ))
}

async fn generate_api_key(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Reply {
    check_api_key_permission(&state, &current.user).await?;
    let key = create_api_key();
    users::replace_api_key(&state.db, &current.user.id, &key).await?;
    Ok((HeaderMap::new(), Json(json!({"api_key": key}))))
}

async fn get_api_key(State(state): State<AppState>, current: CurrentUser) -> Reply {
    check_api_key_permission(&state, &current.user).await?;
    match users::get_api_key(&state.db, &current.user.id).await? {
        Some(key) => Ok((HeaderMap::new(), Json(json!({"api_key": key})))),
        None => Err(http(StatusCode::NOT_FOUND, constants::API_KEY_NOT_FOUND)),
    }
}

async fn delete_api_key(State(state): State<AppState>, current: CurrentUser) -> Reply {
    check_api_key_permission(&state, &current.user).await?;
    users::delete_api_key(&state.db, &current.user.id).await?;
    Ok((HeaderMap::new(), Json(json!(true))))
}
// --8<-- [end:api-keys]

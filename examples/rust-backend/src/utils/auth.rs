//! Passwords, tokens and the guards every route depends on, as upstream has them.
//!
//! The twin of `reference_backend/utils/auth.py`. The pure parts, checked against the
//! shared test vectors, live in `passwords` and `tokens`; this module adds what needs
//! the database, Redis or the request: `FastAPI`'s `Depends` guards become extractors.

pub mod passwords;
pub mod tokens;

use std::fmt::Write;
use std::sync::LazyLock;

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use redis::AsyncCommands;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::constants;
use crate::errors::ApiError;
use crate::internal::db::Db;
use crate::internal::deps::AppState;
use crate::models::auths::{self, Auth};
use crate::models::users::UserModel;
use crate::models::{config, revoked_tokens, users};
use crate::utils::durations::{TimeDelta, parse_duration};
use crate::utils::misc::now;
use passwords::{Costs, HashAlgorithm};
use tokens::{Claims, Revocations, SessionClaims};

// --8<-- [start:constants]
/// Keys start with this; anything else in the credential slot is a JWT.
pub const API_KEY_PREFIX: &str = "sk-";
/// The header an API key may also come in.
pub const API_KEY_HEADER: &str = "x-api-key";
/// The roles the verified guard lets through.
pub const VERIFIED_ROLES: [&str; 2] = ["user", "admin"];
/// How long a new token lives when the `auth.jwt_expiry` row does not say.
pub const DEFAULT_TOKEN_LIFETIME: &str = "4w";
// --8<-- [end:constants]

/// Verified when the email is unknown, so a wrong address costs as much time as a
/// wrong password and the response time does not tell which accounts exist. One per
/// scheme: an argon2 check and a bcrypt check take different times.
#[must_use]
pub fn placeholder_hash(algorithm: HashAlgorithm) -> &'static str {
    static BCRYPT: LazyLock<String> =
        LazyLock::new(|| placeholder(HashAlgorithm::Bcrypt));
    static ARGON2: LazyLock<String> =
        LazyLock::new(|| placeholder(HashAlgorithm::Argon2));
    match algorithm {
        HashAlgorithm::Bcrypt => &BCRYPT,
        HashAlgorithm::Argon2 => &ARGON2,
    }
}

fn placeholder(algorithm: HashAlgorithm) -> String {
    passwords::hash_password("placeholder", algorithm, &Costs::default())
        .expect("upstream's costs are valid")
}

// --8<-- [start:passwords]
/// A new hash with the configured scheme, off the async threads: it takes ~0.2 s.
///
/// # Errors
/// [`ApiError`] 500 if the scheme refused its parameters.
pub async fn hash_password(
    password: &str,
    algorithm: HashAlgorithm,
) -> Result<String, ApiError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        passwords::hash_password(&password, algorithm, &Costs::default())
    })
    .await
    .ok()
    .and_then(Result::ok)
    .ok_or_else(|| ApiError::status(StatusCode::INTERNAL_SERVER_ERROR))
}

/// Check against either scheme, chosen by the hash's own prefix; no hash never
/// matches.
pub async fn verify_password(password: &str, hashed: Option<&str>) -> bool {
    let password = password.to_owned();
    let hashed = hashed.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        passwords::verify_password(&password, hashed.as_deref())
    })
    .await
    .unwrap_or(false)
}
// --8<-- [end:passwords]

/// The Redis key upstream writes when a token is signed out.
#[must_use]
pub fn revoked_key(prefix: &str, jti: &str) -> String {
    format!("{prefix}:auth:token:{jti}:revoked")
}

fn revoked_user_key(prefix: &str, user_id: &str) -> String {
    format!("{prefix}:auth:user:{user_id}:revoked_at")
}

/// What Redis and the revocation table said about one token, read before the pure
/// check runs.
#[derive(Default)]
struct Fetched {
    token_revoked: bool,
    user_revoked_at: Option<i64>,
}

impl Revocations for Fetched {
    fn token_revoked(&self, _jti: &str) -> bool {
        self.token_revoked
    }

    fn user_revoked_at(&self, _user_id: &str) -> Option<i64> {
        self.user_revoked_at
    }
}

// --8<-- [start:is-valid]
/// A signature is not enough: the stamp must match, and neither Redis nor the
/// revocation table may object.
///
/// # Errors
/// 401 when the account is missing or deactivated; the database or Redis failed.
pub async fn is_valid_token(
    state: &AppState,
    claims: &Claims,
) -> Result<bool, ApiError> {
    let auth = auths::get_auth(&state.db, &claims.session.id).await?;
    let fetched = fetch_revocations(state, claims).await?;
    let revocations = fetched.as_ref().map(|f| f as &dyn Revocations);
    let stored = auth.as_ref().map(Auth::stored);
    tokens::is_valid_token(claims, stored.as_ref(), revocations).map_err(|_| {
        ApiError::new(StatusCode::UNAUTHORIZED, constants::INVALID_AUTH_REQUEST)
    })
}

/// What the configured revocation stores say about the token: `None` when there is
/// neither Redis nor the revocation table, so that no lookup runs.
async fn fetch_revocations(
    state: &AppState,
    claims: &Claims,
) -> Result<Option<Fetched>, ApiError> {
    let jti = claims.jti.as_deref().filter(|jti| !jti.is_empty());
    let mut fetched = match &state.redis {
        Some(redis) => {
            let mut redis = redis.clone();
            let prefix = &state.settings.redis_key_prefix;
            let token_revoked = match jti {
                Some(jti) => redis
                    .get::<_, Option<String>>(revoked_key(prefix, jti))
                    .await?
                    .is_some_and(|value| !value.is_empty()),
                None => false,
            };
            let revoked_at: Option<String> = redis
                .get(revoked_user_key(prefix, &claims.session.id))
                .await?;
            Some(Fetched {
                token_revoked,
                user_revoked_at: revoked_at.and_then(|at| at.parse().ok()),
            })
        }
        None => None,
    };
    if state.settings.revocation_table {
        let fetched = fetched.get_or_insert_with(Fetched::default);
        if let Some(jti) = jti.filter(|_| !fetched.token_revoked) {
            fetched.token_revoked = revoked_tokens::is_revoked(&state.db, jti).await?;
        }
    }
    Ok(fetched)
}
// --8<-- [end:is-valid]

// --8<-- [start:request-token]
/// The credential, looked for where upstream looks and in the same order.
///
/// A `Bearer` header first, then the `token` cookie, then an `Authorization` header of
/// any other scheme ("Basic x" yields "x", as upstream's middleware does) unless
/// `bearer_only`, then the `x-api-key` header.
#[must_use]
pub fn request_token(headers: &HeaderMap, bearer_only: bool) -> Option<String> {
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let (scheme, credentials) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("bearer") && !credentials.is_empty() {
        return Some(credentials.to_owned());
    }
    if let Some(cookie) = cookie(headers, "token").filter(|value| !value.is_empty()) {
        return Some(cookie);
    }
    if !bearer_only && header.matches(' ').count() == 1 && !credentials.is_empty() {
        return Some(credentials.to_owned());
    }
    headers
        .get(API_KEY_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}
// --8<-- [end:request-token]

/// A cookie's value from the `Cookie` headers, unquoted as Starlette unquotes it.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| key.trim() == name)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
}

// --8<-- [start:current-user]
/// The signed-in user, by session token or API key; 401 otherwise.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    /// The account.
    pub user: UserModel,
    /// The token's claims; `None` when the caller used an API key.
    pub claims: Option<Claims>,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let unauthorized = |detail| ApiError::new(StatusCode::UNAUTHORIZED, detail);
        let token = request_token(&parts.headers, state.settings.bearer_only)
            .ok_or_else(|| unauthorized(constants::NOT_AUTHENTICATED))?;
        let (user, claims) = if token.starts_with(API_KEY_PREFIX) {
            (user_by_api_key(&state.db, &token).await?, None)
        } else {
            let claims = decode_token(state, &token)
                .ok_or_else(|| unauthorized(constants::UNAUTHORIZED))?;
            if !is_valid_token(state, &claims).await? {
                return Err(unauthorized(constants::TOKEN_REVOKED));
            }
            let user = users::get_user_by_id(&state.db, &claims.session.id)
                .await?
                .ok_or_else(|| unauthorized(constants::INVALID_TOKEN))?;
            (user, Some(claims))
        };
        // Upstream records activity at most once an interval per user and process: a
        // write on every request would queue every request for SQLite's one write lock.
        if state.activity.ready(&user.id) {
            users::touch_last_active(&state.db, &user.id).await?;
        }
        Ok(Self { user, claims })
    }
}
// --8<-- [end:current-user]

/// The key's owner, when keys are enabled and the owner may use one.
async fn user_by_api_key(db: &Db, key: &str) -> Result<UserModel, ApiError> {
    let user = users::get_user_by_api_key(db, key).await?.ok_or_else(|| {
        ApiError::new(StatusCode::UNAUTHORIZED, constants::INVALID_TOKEN)
    })?;
    if !api_keys_usable(db, &user).await? {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            constants::API_KEY_NOT_ALLOWED,
        ));
    }
    Ok(user)
}

/// Keys must be on, and a non-admin needs the `features.api_keys` permission.
///
/// # Errors
/// The database failed.
pub async fn api_keys_usable(db: &Db, user: &UserModel) -> Result<bool, ApiError> {
    let enabled = config::get(db, "auth.enable_api_keys").await? == Some(json!(true));
    Ok(enabled && user_may(db, user, "features.api_keys").await?)
}

/// Admins may do everything; others what the `user.permissions` row grants.
///
/// # Errors
/// The database failed.
pub async fn user_may(
    db: &Db,
    user: &UserModel,
    permission: &str,
) -> Result<bool, ApiError> {
    if user.role == "admin" {
        return Ok(true);
    }
    let permissions = config::get(db, "user.permissions").await?;
    Ok(has_permission(permissions.as_ref(), permission))
}

/// Whether the dotted path in `permissions` leads to `true`.
#[must_use]
pub fn has_permission(permissions: Option<&Value>, dotted: &str) -> bool {
    let mut node = permissions;
    for part in dotted.split('.') {
        node = node.and_then(|node| node.get(part));
    }
    node == Some(&Value::Bool(true))
}

// --8<-- [start:guards]
// --8<-- [start:provider-user]
/// A user or an admin. Upstream answers a pending user with 401, not 403.
///
/// The user is loaded with pooled queries that are over when the handler starts: a
/// route that streams a model's reply holds no database connection for it, which
/// the Python twin's `ProviderUser` arranges by hand.
#[derive(Clone, Debug)]
pub struct VerifiedUser(pub UserModel);

impl FromRequestParts<AppState> for VerifiedUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        with_role(parts, state, &VERIFIED_ROLES).await.map(Self)
    }
}
// --8<-- [end:provider-user]

/// An admin; anyone else gets upstream's 401.
#[derive(Clone, Debug)]
pub struct AdminUser(pub UserModel);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        with_role(parts, state, &["admin"]).await.map(Self)
    }
}

/// The current user when their role is one of `roles`; upstream's 401 otherwise.
async fn with_role(
    parts: &mut Parts,
    state: &AppState,
    roles: &[&str],
) -> Result<UserModel, ApiError> {
    let CurrentUser { user, .. } =
        CurrentUser::from_request_parts(parts, state).await?;
    if roles.contains(&user.role.as_str()) {
        return Ok(user);
    }
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        constants::ACCESS_PROHIBITED,
    ))
}

/// Any role, but signed in with a session token: an API key is not enough. The
/// token's claims come along, so a handler need not decode the token again.
#[derive(Clone, Debug)]
pub struct HumanUser(pub UserModel, pub Claims);

impl FromRequestParts<AppState> for HumanUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        match current.claims {
            Some(claims) if claims.session.typ == "session" => {
                Ok(Self(current.user, claims))
            }
            _ => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                constants::HUMAN_SESSION_REQUIRED,
            )),
        }
    }
}
// --8<-- [end:guards]

// --8<-- [start:sign-in]
/// How long a new token lives: the `auth.jwt_expiry` row, which admins may edit.
///
/// When expiry is required, a stored lifetime that never expires gives way to the
/// default: this server would refuse a token without `exp`.
///
/// # Errors
/// The database failed, or the stored duration does not parse.
pub async fn token_lifetime(state: &AppState) -> Result<Option<TimeDelta>, ApiError> {
    let stored = config::get(&state.db, "auth.jwt_expiry").await?;
    let text = stored
        .as_ref()
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
        .unwrap_or(DEFAULT_TOKEN_LIFETIME);
    let parse = |text| {
        parse_duration(text)
            .map_err(|_| ApiError::status(StatusCode::INTERNAL_SERVER_ERROR))
    };
    let lifetime = parse(text)?;
    if state.settings.require_token_expiry
        && tokens::effective_lifetime(lifetime).is_none()
    {
        return parse(DEFAULT_TOKEN_LIFETIME);
    }
    Ok(lifetime)
}

/// Issue a session token, set it as the `token` cookie, and build the reply.
///
/// # Errors
/// The database failed, or the expiry is past what a token can carry.
pub async fn sign_in(
    state: &AppState,
    user: &UserModel,
    auth: &Auth,
) -> Result<(HeaderMap, Value), ApiError> {
    let expires_in = token_lifetime(state).await?;
    let token =
        create_token(state, tokens::session_claims(&auth.stored()), expires_in)?;
    // Python's `int()` truncates toward zero.
    let max_age = expires_in.map(|span| span.micros() / 1_000_000);
    let mut headers = HeaderMap::new();
    headers.insert(
        SET_COOKIE,
        token_cookie(&token, max_age, None, state.settings.cookie_secure),
    );
    let body = json!({
        "token": token,
        "token_type": "Bearer",
        "expires_at": max_age.map(|age| i128::from(now()) + age),
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "profile_image_url": format!("/api/v1/users/{}/profile/image", user.id),
        "permissions": config::get(&state.db, "user.permissions").await?,
    });
    Ok((headers, body))
}
// --8<-- [end:sign-in]

/// The claims of a token signed with the server's secret, and with an `exp` when
/// expiry is required; `None` for any other token.
#[must_use]
pub fn decode_token(state: &AppState, token: &str) -> Option<Claims> {
    let settings = &state.settings;
    tokens::decode_token(token, &settings.secret_key, settings.require_token_expiry)
}

/// The claims of the request's session token, read as the settings say; `None`
/// without a valid one.
#[must_use]
pub fn request_claims(state: &AppState, headers: &HeaderMap) -> Option<Claims> {
    request_token(headers, state.settings.bearer_only)
        .and_then(|token| decode_token(state, &token))
}

/// A token for these claims, signed with the server's secret.
///
/// # Errors
/// A 500 when the expiry is past year 9999, as upstream's `datetime` fails.
pub fn create_token(
    state: &AppState,
    claims: SessionClaims,
    expires_in: Option<TimeDelta>,
) -> Result<String, ApiError> {
    tokens::create_token(claims, &state.settings.secret_key, expires_in)
        .map_err(|_| ApiError::status(StatusCode::INTERNAL_SERVER_ERROR))
}

// --8<-- [start:cookies]
/// `Set-Cookie` for the session token as Starlette writes it: `HttpOnly`, `SameSite=lax`,
/// `Path=/`, `Max-Age` when the token expires, `Expires` when a renewal knows the
/// token's `exp`, `Secure` when configured.
///
/// # Panics
/// Never: a JWT is base64url and dots.
#[must_use]
pub fn token_cookie(
    token: &str,
    max_age: Option<i128>,
    expires: Option<i64>,
    secure: bool,
) -> HeaderValue {
    let mut cookie = format!("token={token}");
    if let Some(expires) = expires.and_then(|at| u64::try_from(at).ok()) {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(expires);
        let _ = write!(cookie, "; expires={}", httpdate::fmt_http_date(at));
    }
    cookie.push_str("; HttpOnly");
    if let Some(max_age) = max_age {
        let _ = write!(cookie, "; Max-Age={max_age}");
    }
    cookie.push_str("; Path=/; SameSite=lax");
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).expect("a JWT is a valid header value")
}

/// `Set-Cookie` that makes a browser drop the cookie, as Starlette's `delete_cookie`.
///
/// # Panics
/// If `name` is not a valid header value; the callers pass constants.
#[must_use]
pub fn cleared_cookie(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=lax"
    ))
    .expect("cookie names are ASCII")
}
// --8<-- [end:cookies]

/// A new API key: `sk-` and 32 hex digits.
#[must_use]
pub fn create_api_key() -> String {
    format!("{API_KEY_PREFIX}{}", Uuid::new_v4().simple())
}

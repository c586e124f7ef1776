//! The application: settings, database, Redis and routers, wired in one place.
//!
//! `create_app(settings)` builds a fresh app, so tests and the server share the code
//! and differ only in their settings. The twin of `reference_backend/main.py`.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tower::Layer;
use tower::util::{MapRequest, MapRequestLayer};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use crate::constants;
use crate::env::Settings;
use crate::errors::{ApiError, method_not_allowed, not_found};
use crate::internal::db::{Db, create_tables};
use crate::internal::deps::AppState;
use crate::models::{TABLES, config, revoked_tokens, users};
use crate::routers::{
    auths, chats, completions, models, openai, users as users_router,
};
use crate::utils::auth::{is_valid_token, request_claims};
use crate::utils::misc::Throttle;
use crate::utils::models::ModelCache;

/// The API this backend reproduces; clients branch on it.
pub const VERSION: &str = "0.12.4";
const NAME: &str = "Open WebUI";
/// The header that carries each request's id, in and out.
const REQUEST_ID: &str = "x-request-id";
/// A provider that does not accept the connection in this time is down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle provider connections are closed after this, before the provider drops them.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle connections kept per provider after a burst, the rest closed: the twin's own
/// bound, as reqwest keeps every one by default. Open connections have no bound, as
/// in upstream's aiohttp pool by default (the `AIOHTTP_POOL_*` variables, unset; this
/// twin doesn't read them).
const POOL_MAX_IDLE_PER_HOST: usize = 30;

/// Start-up failed: the database or Redis could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Redis.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// `DATA_DIR` could not be created.
    #[error("DATA_DIR: {0}")]
    DataDir(#[from] std::io::Error),
    /// The HTTP client could not be built (no TLS roots).
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

// --8<-- [start:lifespan]
/// Open the database (creating missing tables), seed the config and connect Redis.
///
/// # Errors
/// [`StartError`] when any of them fails; the server does not start.
pub async fn app_state(settings: Settings) -> Result<AppState, StartError> {
    std::fs::create_dir_all(&settings.data_dir)?;
    let db = Db::connect(&settings.database_url, &settings.sqlite_pragmas).await?;
    create_tables(&db, &TABLES).await?;
    if settings.revocation_table {
        revoked_tokens::create(&db).await?;
    }
    config::seed(&db, &settings).await?;
    let redis = if settings.redis_url.is_empty() {
        None
    } else {
        let client = redis::Client::open(settings.redis_url.as_str())?;
        Some(redis::aio::ConnectionManager::new(client).await?)
    };
    let activity = Throttle::new(settings.user_active_status_update_interval);
    Ok(AppState {
        settings: Arc::new(settings),
        db,
        redis,
        signin_limiter: Arc::new(auths::signin_limiter()),
        activity: Arc::new(activity),
        http: http_client()?,
        models: Arc::new(ModelCache::default()),
    })
}
// --8<-- [end:lifespan]

// --8<-- [start:http-client]
/// The process's one outbound client: a pool of keep-alive connections per host.
///
/// No timeout is set here: a completion may run for minutes and a model list must
/// answer in seconds, so each request sets its own from the settings.
///
/// # Errors
/// The TLS backend could not be set up.
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
        .tcp_nodelay(true)
        .build()
}
// --8<-- [end:http-client]

// --8<-- [start:create-app]
/// The app as a service: before routing, an encoded slash is decoded and a trailing
/// slash trimmed. axum mounts a router's `/` at the bare prefix, where `FastAPI`
/// serves `/api/v1/users/`; and Starlette routes the decoded path, so `..%2f..%2fx`
/// is three segments there, no single id, which axum would decode into one.
pub type App = MapRequest<NormalizePath<Router>, fn(Request) -> Request>;

/// The routers, the JSON errors `FastAPI` gives for unknown routes and methods, and
/// the layers of [`with_layers`].
pub fn create_app(state: AppState) -> App {
    let settings = Arc::clone(&state.settings);
    let routes = Router::new()
        .nest("/api/v1/auths", auths::router())
        .nest("/api/v1/users", users_router::router())
        .nest("/api/v1/chats", chats::router())
        .nest("/api/v1/models", models::router())
        .nest("/api", models::openai_router())
        .nest("/api", completions::router())
        .nest("/openai", openai::router())
        .merge(status_router())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .with_state(state);
    with_layers(routes, &settings)
}

/// What every request goes through around `routes`: the body read first (and
/// limited), a panic caught as a JSON 500, CORS, and a request id on every request
/// and its log lines.
pub fn with_layers(routes: Router, settings: &Settings) -> App {
    let layered = routes
        .layer(middleware::from_fn_with_state(
            settings.max_request_body_size,
            read_body_first,
        ))
        // The body is in memory by now, limited or not as configured: axum's own
        // 2 MB limit for extractors would refuse more with a misleading 422.
        .layer(DefaultBodyLimit::disable())
        .layer(CatchPanicLayer::custom(panic_answer))
        .layer(cors(&settings.cors_allow_origin))
        .layer(PropagateRequestIdLayer::new(HeaderName::from_static(REQUEST_ID)))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(
            HeaderName::from_static(REQUEST_ID),
            MakeRequestUuid,
        ));
    let normalized = NormalizePathLayer::trim_trailing_slash().layer(layered);
    MapRequestLayer::new(decode_slashes as fn(Request) -> Request).layer(normalized)
}

/// The request with each `%2F` in its path decoded to the `/` Starlette routes on.
fn decode_slashes(mut request: Request) -> Request {
    let uri = request.uri();
    if !uri.path().contains("%2F") && !uri.path().contains("%2f") {
        return request;
    }
    let path = uri.path().replace("%2F", "/").replace("%2f", "/");
    let query = uri
        .query()
        .map(|query| format!("?{query}"))
        .unwrap_or_default();
    let mut parts = uri.clone().into_parts();
    // Only `/` is added to a path that was valid already: it stays valid.
    if let Ok(decoded) = PathAndQuery::try_from(format!("{path}{query}")) {
        parts.path_and_query = Some(decoded);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}
// --8<-- [end:create-app]

// --8<-- [start:read-body-first]
/// Read the whole request body before routing; over `MAX_REQUEST_BODY_SIZE`, a JSON 413.
///
/// A handler that refuses a request (no session, wrong role) answers before it reads
/// the body. hyper then closes the keep-alive connection if the rest of the body has
/// not arrived yet, without a `Connection: close` in the answer, and a client that
/// sends its next request on that connection sees it dropped. uvicorn discards the
/// unread body and keeps the connection, so clients of Open WebUI never see this.
/// Without a limit any size is read, as upstream reads it.
async fn read_body_first(
    State(limit): State<Option<usize>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, limit.unwrap_or(usize::MAX)).await else {
        let mut response = ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            constants::REQUEST_BODY_TOO_LARGE,
        )
        .into_response();
        // The rest of the body may still be on its way: this connection is done.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
// --8<-- [end:read-body-first]

// --8<-- [start:server-error]
/// A handler that panicked: a JSON 500 that tells nothing of the panic, which goes
/// to the log. The connection and the process live on (the release profile unwinds
/// for this, rather than aborting), as uvicorn answers a Python exception.
#[allow(
    clippy::needless_pass_by_value,
    reason = "CatchPanicLayer hands the panic over by value"
)]
fn panic_answer(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    tracing::error!(panic = message, "a handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, constants::SERVER_ERROR)
        .into_response()
}
// --8<-- [end:server-error]

// --8<-- [start:cors]
/// Starlette's `CORSMiddleware` with credentials: `*` echoes the caller's origin.
fn cors(origins: &[String]) -> CorsLayer {
    let allow_origin = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::mirror_request()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_credentials(true)
        .allow_methods(AllowMethods::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(Duration::from_secs(600))
}
// --8<-- [end:cors]

/// Health, version, the public config and the API's document: the routes that need
/// no account.
fn status_router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/health/db", get(health_db))
        .route("/api/version", get(version))
        .route("/api/config", get(app_config))
        .route("/openapi.json", get(openapi_document))
}

/// The OpenAPI document `FastAPI` generates for the Python twin, which
/// `tools/api_inventory.py --write` copies here: the twins serve one API, and the
/// contract suite fuzzes each from the document it serves.
const OPENAPI_DOCUMENT: &str = include_str!("../openapi.json");

async fn openapi_document() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        OPENAPI_DOCUMENT,
    )
}

async fn health() -> Json<Value> {
    Json(json!({"status": true}))
}

async fn health_db(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    sqlx::query("SELECT 1").execute(&state.db.pool).await?;
    Ok(Json(json!({"status": true})))
}

async fn version() -> Json<Value> {
    Json(json!({"version": VERSION, "deployment_id": ""}))
}

async fn app_config(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    public_config(&state, &headers).await.map(Json)
}

// --8<-- [start:public-config]
/// `/api/config` for the keys this slice owns; more of them once signed in.
async fn public_config(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Value, ApiError> {
    let db = &state.db;
    let mut user = None;
    if let Some(claims) = request_claims(state, headers) {
        if is_valid_token(state, &claims).await? {
            user = users::get_user_by_id(db, &claims.session.id).await?;
        }
    }
    let stored = config::get_many(
        db,
        &[
            "ui.enable_signup",
            "ui.enable_login_form",
            "auth.enable_api_keys",
            "user.permissions",
        ],
    )
    .await?;
    let value = |key: &str| stored.get(key).cloned().flatten().unwrap_or(Value::Null);
    let mut features = json!({
        "slim": false,
        "auth": true,
        "auth_trusted_header": false,
        "enable_signup_password_confirmation": false,
        "enable_ldap": false,
        "enable_signup": value("ui.enable_signup"),
        "enable_login_form": value("ui.enable_login_form"),
        // Upstream says true; this backend serves no Socket.IO, so it says so.
        "enable_websocket": false,
    });
    let mut body = json!({
        "status": true,
        "name": NAME,
        "version": VERSION,
        "default_locale": "",
        "i18n": {},
        "oauth": {"providers": {}, "auto_redirect": false},
    });
    if user.is_some() {
        features["enable_api_keys"] = value("auth.enable_api_keys");
        body["permissions"] = value("user.permissions");
    } else if !users::has_users(db).await? {
        body["onboarding"] = json!(true);
    }
    body["features"] = features;
    Ok(body)
}
// --8<-- [end:public-config]

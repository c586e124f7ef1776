//! Errors as upstream sends them: a status and a JSON body `{"detail": ...}`, where
//! the detail is a message, or on a request that failed validation, a list of problems.
//!
//! Mirrors `FastAPI`'s `HTTPException`, the backend's validation handler
//! (`reference_backend/main.py`, section `validation-error`) and the auth routes'
//! wrapper (`reference_backend/routers/auths.py`, section `route-class`).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use serde::Serialize;
use serde_json::Value;

use crate::constants;
use crate::internal::db::is_unstorable_text;

// --8<-- [start:api-error]
/// An error as `FastAPI` sends it: a status and `{"detail": ...}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `raise HTTPException(status, detail)`.
    #[error("{status}: {detail}")]
    Http {
        /// The response's status.
        status: StatusCode,
        /// The message, sent as the body's `detail`.
        detail: String,
    },
    /// A request that failed validation: `FastAPI` lists every problem it found.
    #[error("the request failed validation")]
    Validation(Vec<ValidationIssue>),
    /// The database failed: a 500, logged, with no detail for the client.
    #[error(transparent)]
    Database(sqlx::Error),
    /// Redis failed.
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
}

impl ApiError {
    /// `HTTPException(status, detail)`.
    #[must_use]
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::Http {
            status,
            detail: detail.into(),
        }
    }

    /// `HTTPException(status)`: Starlette's detail is the status's reason phrase.
    #[must_use]
    pub fn status(status: StatusCode) -> Self {
        Self::new(status, status.canonical_reason().unwrap_or_default())
    }
}

impl From<sqlx::Error> for ApiError {
    /// Text the database cannot store is the client's error; anything else is ours.
    fn from(error: sqlx::Error) -> Self {
        if is_unstorable_text(&error) {
            Self::new(StatusCode::BAD_REQUEST, constants::UNSTORABLE_TEXT)
        } else {
            Self::Database(error)
        }
    }
}

#[derive(Serialize)]
struct Detail<T> {
    detail: T,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Http { status, detail } => {
                (status, Json(Detail { detail })).into_response()
            }
            Self::Validation(issues) => {
                let body = Json(Detail { detail: issues });
                (StatusCode::UNPROCESSABLE_ENTITY, body).into_response()
            }
            Self::Database(_) | Self::Redis(_) => {
                tracing::error!(error = %self, "request failed");
                let status = StatusCode::INTERNAL_SERVER_ERROR;
                Self::status(status).into_response()
            }
        }
    }
}

// --8<-- [start:fallbacks]
/// `Router::fallback`: Starlette's JSON 404, where axum's default body is empty.
#[allow(
    clippy::unused_async,
    reason = "axum takes async functions as handlers"
)]
pub async fn not_found() -> ApiError {
    ApiError::status(StatusCode::NOT_FOUND)
}

/// `Router::method_not_allowed_fallback`: Starlette's JSON 405; axum keeps `Allow`.
#[allow(
    clippy::unused_async,
    reason = "axum takes async functions as handlers"
)]
pub async fn method_not_allowed() -> ApiError {
    ApiError::status(StatusCode::METHOD_NOT_ALLOWED)
}
// --8<-- [end:fallbacks]
// --8<-- [end:api-error]

// --8<-- [start:validation-error]
/// One entry of the list-style 422 detail, with the keys pydantic gives it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValidationIssue {
    /// pydantic's error type: `missing`, `string_type`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Where: `"body"`, then field names and list indexes.
    pub loc: Vec<Value>,
    /// pydantic's sentence, word for word: clients show it.
    pub msg: String,
    /// The value that failed: for a missing field, the object it is missing from.
    pub input: Value,
}

impl ValidationIssue {
    /// A required body field that is absent.
    #[must_use]
    pub fn missing(field: &str, body: &Value) -> Self {
        Self {
            kind: "missing".to_owned(),
            loc: vec!["body".into(), field.into()],
            msg: "Field required".to_owned(),
            input: body.clone(),
        }
    }
}
// --8<-- [end:validation-error]

// --8<-- [start:route-class]
/// What an auth route can fail with: one fixed message for any malformed request,
/// and a database failure reads as a temporary outage rather than a crash.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// An `HTTPException`, passed on as it is; a validation error is not.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The body is not JSON, or not the form's shape.
    #[error("invalid authentication request: {0}")]
    InvalidRequest(#[from] JsonRejection),
    /// The database failed.
    #[error("authentication is temporarily unavailable")]
    Unavailable,
}

impl From<sqlx::Error> for AuthError {
    fn from(error: sqlx::Error) -> Self {
        Self::Api(error.into())
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let error = match self {
            Self::Api(ApiError::Validation(_)) | Self::InvalidRequest(_) => {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Invalid authentication request.",
                )
            }
            Self::Api(error @ ApiError::Database(_)) => {
                tracing::error!(%error, "authentication failed on the database");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Authentication is temporarily unavailable.",
                )
            }
            Self::Api(error) => error,
            Self::Unavailable => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Authentication is temporarily unavailable.",
            ),
        };
        error.into_response()
    }
}

/// `APIRouter(route_class=AuthRoute)` for one route: none of its answers is cached.
///
/// `route_layer` leaves the 405 for a wrong method alone, as upstream's wrapper does:
/// that answer comes from the router, before any route runs.
pub fn auth_route<S>(route: MethodRouter<S>) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    route.route_layer(map_response(no_store))
}

async fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
// --8<-- [end:route-class]

// --8<-- [start:tests]
#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{
        ApiError, AuthError, ValidationIssue, auth_route, method_not_allowed, not_found,
    };
    use axum::body::{Body, to_bytes};
    use axum::extract::rejection::JsonRejection;
    use axum::http::{Request, StatusCode, header};
    use axum::routing::{get, post};
    use axum::{Json, Router};
    use serde::Deserialize;
    use serde_json::Value;
    use tower::ServiceExt;

    #[derive(Deserialize)]
    struct Vectors {
        cases: Vec<Case>,
    }

    #[derive(Deserialize)]
    struct Case {
        name: String,
        request: Sent,
        status: u16,
        body: Value,
        headers: BTreeMap<String, Option<String>>,
    }

    #[derive(Deserialize)]
    struct Sent {
        method: String,
        path: String,
        content_type: Option<String>,
        content: Option<String>,
    }

    #[derive(Deserialize)]
    #[expect(dead_code, reason = "only its shape matters: serde checks it")]
    struct SigninForm {
        email: String,
        password: String,
    }

    // --8<-- [start:tiny-app]
    /// The app the vectors describe; `tests/snippets/test_errors.py` builds its twin.
    fn tiny_app() -> Router {
        Router::new()
            .route("/api/v1/auths/signin", auth_route(post(signin)))
            .route(
                "/api/v1/auths/",
                auth_route(get(session_while_database_is_down)),
            )
            .route("/api/v1/items", post(create_item))
            .route("/api/v1/items/{item_id}", get(get_item))
            .method_not_allowed_fallback(method_not_allowed)
            .fallback(not_found)
    }

    async fn signin(
        form: Result<Json<SigninForm>, JsonRejection>,
    ) -> Result<(), AuthError> {
        let Json(_form) = form?;
        let refused = "The email or password provided is incorrect. Please check for typos \
                       and try logging in again.";
        Err(ApiError::new(StatusCode::BAD_REQUEST, refused).into())
    }

    async fn session_while_database_is_down() -> Result<(), AuthError> {
        Err(AuthError::Unavailable)
    }

    async fn create_item(Json(body): Json<Value>) -> Result<Json<Value>, ApiError> {
        if body.get("name").is_none() {
            return Err(ApiError::Validation(vec![ValidationIssue::missing(
                "name", &body,
            )]));
        }
        Ok(Json(body))
    }

    async fn get_item() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "We could not find what you're looking for :/",
        )
    }
    // --8<-- [end:tiny-app]

    // --8<-- [start:check]
    fn request(sent: &Sent) -> Request<Body> {
        let builder = Request::builder()
            .method(sent.method.as_str())
            .uri(&sent.path);
        let builder = match &sent.content_type {
            Some(content_type) => builder.header(header::CONTENT_TYPE, content_type),
            None => builder,
        };
        builder
            .body(Body::from(sent.content.clone().unwrap_or_default()))
            .unwrap()
    }

    #[tokio::test]
    async fn every_error_has_upstreams_status_body_and_headers() {
        let vectors: Vectors =
            serde_json::from_str(include_str!("../../../snippets/vectors/errors.json"))
                .unwrap();
        for case in vectors.cases {
            let response = tiny_app().oneshot(request(&case.request)).await.unwrap();
            assert_eq!(response.status().as_u16(), case.status, "{}", case.name);
            for (name, expected) in &case.headers {
                let value = response.headers().get(name).map(|v| v.to_str().unwrap());
                assert_eq!(value, expected.as_deref(), "{}: {name}", case.name);
            }
            let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
            let body: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(body, case.body, "{}", case.name);
        }
    }
    // --8<-- [end:check]
}
// --8<-- [end:tests]

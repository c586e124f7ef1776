//! `/api/v1/models`.

use axum::Router;

use crate::internal::deps::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
}

/// `/api/models`.
pub fn openai_router() -> Router<AppState> {
    Router::new()
}

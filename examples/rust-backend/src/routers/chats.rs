//! `/api/v1/chats`.

use axum::Router;

use crate::internal::deps::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
}

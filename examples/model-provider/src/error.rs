//! Errors in the API's own JSON shape, which clients such as Open WebUI display.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    code: Option<&'static str>,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            code: None,
        }
    }

    pub fn model_not_found(model: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: format!("The model `{model}` does not exist."),
            code: Some("model_not_found"),
        }
    }

    pub fn invalid_api_key() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            message:
                "Incorrect or missing API key: send `Authorization: Bearer <key>`."
                    .to_owned(),
            code: Some("invalid_api_key"),
        }
    }

    // The status a request's directive asked for (see `directive`).
    pub fn directed(status: StatusCode) -> Self {
        Self {
            status,
            message: format!(
                "The request's directive asked for status {}.",
                status.as_u16()
            ),
            code: Some("directed_failure"),
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn unknown_route(method: &str, path: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: format!("Invalid URL ({method} {path})"),
            code: None,
        }
    }

    // A rejected body (too large, unreadable) keeps axum's status, in OpenAI's shape.
    pub fn with_status(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            code: None,
        }
    }
}

impl ApiError {
    /// The error in the API's JSON shape, which clients display.
    pub fn body(&self) -> Value {
        json!({"error": {
            "message": self.message,
            "type": "invalid_request_error",
            "param": null,
            "code": self.code,
        }})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

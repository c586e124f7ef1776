//! `FastAPI`'s request parsing, for axum: a body or query that does not fit the form
//! gets the 422 `FastAPI` gives, with `loc` pointing at the field.
//!
//! axum's own `Json` and `Query` reject with plain-text bodies and other statuses (415
//! for a missing content type, 400 for a bad query); clients of Open WebUI read
//! `detail[].loc`, so this backend parses with `serde_path_to_error` instead.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::errors::{ApiError, ValidationIssue};

// --8<-- [start:form]
/// A JSON body validated into `T`: `FastAPI`'s body parameter.
#[derive(Debug)]
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let object = json_object(request, state, MODEL_EXPECTED).await?;
        from_value(&Value::Object(object), "body").map(Form)
    }
}

/// A JSON object body taken as it is: `FastAPI`'s `form_data: dict` parameter, for
/// routes that pass arbitrary JSON on.
#[derive(Debug)]
pub struct Dict(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Dict {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        json_object(request, state, DICT_EXPECTED).await.map(Self)
    }
}

/// `FastAPI`'s detail for a body its parser failed on other than by a syntax error.
const BODY_UNPARSABLE: &str = "There was an error parsing the body";

/// pydantic's refusal of a body that is not an object, for a model and for a dict.
const MODEL_EXPECTED: (&str, &str) = (
    "model_attributes_type",
    "Input should be a valid dictionary or object to extract fields from",
);
const DICT_EXPECTED: (&str, &str) = ("dict_type", "Input should be a valid dictionary");

/// The body as a JSON object, or `FastAPI`'s 422 saying why it is not one.
async fn json_object<S: Send + Sync>(
    request: Request,
    state: &S,
    (kind, msg): (&str, &str),
) -> Result<Map<String, Value>, ApiError> {
    let is_json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("json"));
    let body = Bytes::from_request(request, state)
        .await
        .map_err(|_| body_issue("missing", "Field required", Value::Null))?;
    let value: Value = if body.is_empty() {
        // `FastAPI` reads an empty body as no body: every field is missing.
        return Err(body_issue("missing", "Field required", Value::Null));
    } else if is_json {
        serde_json::from_slice(&body).map_err(|error| json_invalid(&error))?
    } else {
        // Without a JSON content type `FastAPI` validates the raw bytes, and fails.
        let text = String::from_utf8_lossy(&body).into_owned();
        return Err(body_issue(kind, msg, Value::String(text)));
    };
    // serde would read a struct from an array of its fields; pydantic would not.
    match value {
        Value::Object(object) => Ok(object),
        other => Err(body_issue(kind, msg, other)),
    }
}
// --8<-- [end:form]

// --8<-- [start:query]
/// A query string validated into `T`: `FastAPI`'s query parameters.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let input: serde_json::Map<String, Value> = form_urlencoded(query)
            .map(|(key, value)| (key.into_owned(), Value::String(value.into_owned())))
            .collect();
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded(query));
        serde_path_to_error::deserialize(deserializer)
            .map(Query)
            .map_err(|error| {
                ApiError::Validation(vec![issue(
                    &error,
                    "query",
                    &Value::Object(input),
                )])
            })
    }
}
// --8<-- [end:query]

fn form_urlencoded(query: &str) -> url::form_urlencoded::Parse<'_> {
    url::form_urlencoded::parse(query.as_bytes())
}

/// Validate an already parsed JSON value into `T`, reporting failures at `origin`.
///
/// # Errors
/// [`ApiError::Validation`] naming the first field that does not fit.
pub fn from_value<T: DeserializeOwned>(
    value: &Value,
    origin: &str,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value)
        .map_err(|error| ApiError::Validation(vec![issue(&error, origin, value)]))
}

fn body_issue(kind: &str, msg: &str, input: Value) -> ApiError {
    ApiError::Validation(vec![ValidationIssue {
        kind: kind.to_owned(),
        loc: vec!["body".into()],
        msg: msg.to_owned(),
        input,
    }])
}

/// `FastAPI`'s answer to a body that is not JSON: a 422 pointing at where it broke.
///
/// JSON nested deeper than serde's limit (128) is a 400 instead: Python's parser
/// gives up with a `RecursionError`, which `FastAPI` answers that way.
fn json_invalid(error: &serde_json::Error) -> ApiError {
    if error.to_string().starts_with("recursion limit exceeded") {
        return ApiError::new(StatusCode::BAD_REQUEST, BODY_UNPARSABLE);
    }
    ApiError::Validation(vec![ValidationIssue {
        kind: "json_invalid".to_owned(),
        loc: vec!["body".into(), json!(error.column())],
        msg: "JSON decode error".to_owned(),
        input: json!({}),
    }])
}

/// One pydantic-style issue from a serde error: `loc` is the origin, then the path.
fn issue<E: std::fmt::Display>(
    error: &serde_path_to_error::Error<E>,
    origin: &str,
    input: &Value,
) -> ValidationIssue {
    let mut loc: Vec<Value> = vec![origin.into()];
    // pydantic echoes the offending value, or for a missing field, its object.
    let mut at = Some(input);
    for segment in error.path() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => {
                at = at.and_then(|value| value.get(index));
                loc.push(json!(index));
            }
            serde_path_to_error::Segment::Map { key } => {
                at = at.and_then(|value| value.get(key));
                loc.push(json!(key));
            }
            serde_path_to_error::Segment::Enum { variant } => loc.push(json!(variant)),
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    let message = error.inner().to_string();
    let (kind, msg) = if let Some(field) = missing_field(&message) {
        loc.push(json!(field));
        ("missing", "Field required".to_owned())
    } else if message.contains("expected a string") {
        ("string_type", "Input should be a valid string".to_owned())
    } else if message.contains("expected a boolean") {
        ("bool_type", "Input should be a valid boolean".to_owned())
    } else if [
        "expected i64",
        "invalid digit",
        "to fit in target type",
        "empty string",
    ]
    .iter()
    .any(|failure| message.contains(failure))
    {
        int_failure(&message)
    } else if message.contains("expected a map") || message.contains("expected struct")
    {
        ("dict_type", "Input should be a valid dictionary".to_owned())
    } else if message.contains("expected a sequence") {
        ("list_type", "Input should be a valid list".to_owned())
    } else {
        ("value_error", format!("Value error, {message}"))
    };
    ValidationIssue {
        kind: kind.to_owned(),
        loc,
        msg,
        input: at.cloned().unwrap_or(Value::Null),
    }
}

// --8<-- [start:int-failure]
/// pydantic's error type and message for an `int` that did not parse, from the
/// parser's message. A number past `i64` is outside the Python twin's `Int64` bounds,
/// a 422 there too: the database's BIGINT cannot hold it.
#[must_use]
pub fn int_failure(message: &str) -> (&'static str, String) {
    if message.contains("too large to fit") {
        let msg = format!("Input should be less than or equal to {}", i64::MAX);
        ("less_than_equal", msg)
    } else if message.contains("too small to fit") {
        let msg = format!("Input should be greater than or equal to {}", i64::MIN);
        ("greater_than_equal", msg)
    } else {
        let msg =
            "Input should be a valid integer, unable to parse string as an integer";
        ("int_parsing", msg.to_owned())
    }
}
// --8<-- [end:int-failure]

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

// --8<-- [start:sent]
/// `#[serde(deserialize_with = "sent")]`: a field that was sent, null included, reads
/// as `Some`, an absent one (with `#[serde(default)]`) as `None`: pydantic's
/// `exclude_unset`.
///
/// # Errors
/// The value does not fit `T`.
pub fn sent<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}
// --8<-- [end:sent]

//! Input clean-up shared by the chat and model forms, and the clock.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// Strings without NUL bytes, keys included.
///
/// `serde_json` already refuses what Python's parser lets through besides: lone
/// surrogates and NaN are not valid JSON, so only NUL is left to remove, which
/// PostgreSQL refuses in text.
#[must_use]
pub fn json_safe(value: Value) -> Value {
    match value {
        Value::String(text) => Value::String(text.replace('\0', "")),
        Value::Array(items) => Value::Array(items.into_iter().map(json_safe).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, item)| (key.replace('\0', ""), json_safe(item)))
                .collect(),
        ),
        other => other,
    }
}

/// Seconds since the epoch, as upstream's `int(time.time())`.
#[must_use]
pub fn now() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970");
    i64::try_from(since.as_secs()).expect("seconds since 1970 fit in i64")
}

/// Nanoseconds since the epoch, as upstream's `time.time_ns()`.
#[must_use]
pub fn now_ns() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970");
    i64::try_from(since.as_nanos()).expect("nanoseconds since 1970 fit in i64")
}

//! Input clean-up shared by the chat and model forms, the clock, and a throttle.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Number, Value};

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
///
/// # Panics
/// If the clock is before 1970.
#[must_use]
pub fn now() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970");
    i64::try_from(since.as_secs()).expect("seconds since 1970 fit in i64")
}

/// Python's truth value of a parsed JSON value.
#[must_use]
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(object) => !object.is_empty(),
    }
}

/// Python's `==` on parsed JSON, which the Python twin's comparisons use: numbers
/// compare by value, so `1 == 1.0`, and `true == 1`.
#[must_use]
pub fn json_equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => same_number(left, right),
        (Value::Bool(flag), Value::Number(number))
        | (Value::Number(number), Value::Bool(flag)) => {
            same_number(number, &Number::from(u8::from(*flag)))
        }
        (Value::Array(left), Value::Array(right)) => {
            left.len() == right.len()
                && left.iter().zip(right).all(|(l, r)| json_equal(l, r))
        }
        (Value::Object(left), Value::Object(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .all(|(key, l)| right.get(key).is_some_and(|r| json_equal(l, r)))
        }
        _ => left == right,
    }
}

#[allow(
    clippy::float_cmp,
    reason = "Python compares int and float exactly too"
)]
/// Python's `==` between two JSON numbers.
#[must_use]
pub fn same_number(left: &Number, right: &Number) -> bool {
    if let (Some(left), Some(right)) = (left.as_i64(), right.as_i64()) {
        return left == right;
    }
    if let (Some(left), Some(right)) = (left.as_u64(), right.as_u64()) {
        return left == right;
    }
    left.as_f64() == right.as_f64()
}

// --8<-- [start:throttle]
/// Lets each key through at most once per `interval` seconds, in this process.
///
/// A key's first call goes through. An interval of zero or less holds nothing back.
/// The clock is monotonic, so setting the system time neither stalls nor floods it.
pub struct Throttle {
    interval: f64,
    last: Mutex<HashMap<String, Instant>>,
}

impl Throttle {
    /// A throttle with no key seen yet.
    #[must_use]
    pub fn new(interval: f64) -> Self {
        Self {
            interval,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `key` may go now; if it may, its interval starts again.
    ///
    /// # Panics
    /// If another thread panicked while holding the lock.
    pub fn ready(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut last = self.last.lock().expect("no thread panics holding it");
        if last
            .get(key)
            .is_some_and(|&then| (now - then).as_secs_f64() < self.interval)
        {
            return false;
        }
        last.insert(key.to_owned(), now);
        true
    }
}
// --8<-- [end:throttle]

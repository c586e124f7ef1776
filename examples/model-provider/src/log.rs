//! The provider's log: one JSON object per line on stdout, after the ready line.
//!
//! Tests read it to check what a backend sent (path, key, body) and whether a
//! backend let go of a stream when its own client did.

use std::io::Write;

use serde_json::{Value, json};

/// A request as it arrived, before any check: `n` numbers it within this run, and a
/// completion answering it has the id `chatcmpl-{n}`.
pub fn request(
    n: u64,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: &[u8],
) {
    // A body that is not JSON is logged as text, so a test still sees what came.
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body).unwrap_or_else(|_| {
            Value::String(String::from_utf8_lossy(body).into_owned())
        })
    };
    write(&json!({
        "event": "request",
        "n": n,
        "method": method,
        "path": path,
        "authorization": authorization,
        "body": body,
    }));
}

/// How a stream ended other than with `[DONE]`.
#[derive(Clone, Copy, Debug)]
pub enum StreamEnd {
    /// The client went away first.
    Closed,
    /// A `cut_after` directive broke it off.
    Cut,
}

pub fn stream_end(end: StreamEnd, id: &str, tokens_sent: usize) {
    let event = match end {
        StreamEnd::Closed => "stream_closed",
        StreamEnd::Cut => "stream_cut",
    };
    write(&json!({"event": event, "id": id, "tokens_sent": tokens_sent}));
}

// A log that cannot be written must not fail a reply: the error is dropped.
fn write(line: &Value) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

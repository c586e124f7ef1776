//! A provider's server-sent events passed on to the client as they arrive.
//!
//! The twin of `reference_backend/utils/streaming.py`. Nothing here holds a whole
//! reply: each line goes out as soon as its newline arrives. Nothing here spawns a
//! task either: the client's connection polls the stream, so when the client goes
//! away hyper drops the body, which drops the provider's response and closes its
//! socket. That is the whole of cancellation.

use std::collections::VecDeque;
use std::fmt::Display;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::header::{
    CONTENT_ENCODING, CONTENT_LENGTH, DATE, SERVER, TRANSFER_ENCODING,
};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{BoxStream, Stream, StreamExt};

// --8<-- [start:relay]
/// Headers that describe the provider's connection, not the reply: the body is
/// re-framed here, and the server adds its own `date` (upstream's `stream_wrapper`
/// drops the same five).
const DROPPED_HEADERS: [HeaderName; 5] = [
    CONTENT_ENCODING,
    CONTENT_LENGTH,
    TRANSFER_ENCODING,
    SERVER,
    DATE,
];

/// The provider's headers without the ones that describe its own connection.
#[must_use]
pub fn relayed_headers(headers: &HeaderMap) -> HeaderMap {
    let mut headers = headers.clone();
    for name in &DROPPED_HEADERS {
        headers.remove(name);
    }
    headers
}

/// A streamed reply with the provider's status and headers: `body` is the
/// provider's [`Lines`], as they are or [`with_error_frame`].
#[must_use]
pub fn relay(status: StatusCode, headers: &HeaderMap, body: Body) -> Response {
    (status, relayed_headers(headers), body).into_response()
}

/// A byte stream re-cut at newlines: each item is one line with its `\n`, and what
/// follows the last newline comes at the end. Only the unfinished line is held, so
/// a long reply is never in memory at once.
pub struct Lines<E> {
    inner: BoxStream<'static, Result<Bytes, E>>,
    pending: Vec<u8>,
    ready: VecDeque<Bytes>,
    done: bool,
}

impl<E> Lines<E> {
    /// The lines of `inner`.
    pub fn new(inner: impl Stream<Item = Result<Bytes, E>> + Send + 'static) -> Self {
        Self {
            inner: inner.boxed(),
            pending: Vec::new(),
            ready: VecDeque::new(),
            done: false,
        }
    }

    fn cut(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some(end) = rest.iter().position(|&byte| byte == b'\n') {
            let (line, tail) = rest.split_at(end + 1);
            self.pending.extend_from_slice(line);
            self.ready
                .push_back(Bytes::from(std::mem::take(&mut self.pending)));
            rest = tail;
        }
        self.pending.extend_from_slice(rest);
    }
}

impl<E> Stream for Lines<E> {
    type Item = Result<Bytes, E>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(line) = self.ready.pop_front() {
                return Poll::Ready(Some(Ok(line)));
            }
            if self.done {
                return Poll::Ready(None);
            }
            match self.inner.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(bytes))) => self.cut(&bytes),
                Poll::Ready(Some(Err(error))) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Ready(None) => {
                    self.done = true;
                    let rest = std::mem::take(&mut self.pending);
                    if !rest.is_empty() {
                        return Poll::Ready(Some(Ok(Bytes::from(rest))));
                    }
                }
            }
        }
    }
}
// --8<-- [end:relay]

// --8<-- [start:error-frame]
/// What `/api/chat/completions` sends when the provider's stream breaks off: a blank
/// line to end any half-sent event, an error event, then `[DONE]`, so a client
/// reading events sees the failure rather than a reply cut short.
pub const ERROR_FRAME: &str = "\n\ndata: {\"error\":{\"message\":\"Chat completion stream failed\"}}\n\ndata: [DONE]\n\n";

/// `lines`, ending with [`ERROR_FRAME`] in place of the error if the provider fails.
pub fn with_error_frame<E: Display + Send + 'static>(
    lines: impl Stream<Item = Result<Bytes, E>> + Send + 'static,
) -> impl Stream<Item = Result<Bytes, std::convert::Infallible>> + Send + 'static {
    lines.scan(false, |failed, chunk| {
        let next = if *failed {
            None
        } else {
            Some(Ok(chunk.unwrap_or_else(|error| {
                tracing::warn!(%error, "the provider's stream broke off");
                *failed = true;
                Bytes::from_static(ERROR_FRAME.as_bytes())
            })))
        };
        std::future::ready(next)
    })
}
// --8<-- [end:error-frame]

#[cfg(test)]
mod tests {
    use futures_util::stream;
    use serde_json::{Value, json};

    use super::*;

    fn chunks(
        parts: &[&'static str],
        error: Option<&'static str>,
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
        let mut items: Vec<Result<Bytes, std::io::Error>> = parts
            .iter()
            .map(|part| Ok(Bytes::from_static(part.as_bytes())))
            .collect();
        items.extend(error.map(|message| Err(std::io::Error::other(message))));
        stream::iter(items)
    }

    #[tokio::test]
    async fn lines_are_recut_at_newlines_and_the_tail_comes_last() {
        let parts = ["data: a", "b\n\nda", "ta: c\ndata: [DONE]"];
        let lines: Vec<Bytes> = Lines::new(chunks(&parts, None))
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(lines, ["data: ab\n", "\n", "data: c\n", "data: [DONE]"]);
    }

    #[tokio::test]
    async fn a_broken_stream_ends_with_the_error_event_and_done() {
        let lines = Lines::new(chunks(&["data: {\"a\":1}\n\nda"], Some("reset")));
        let sent: Vec<Bytes> = with_error_frame(lines)
            .map(|chunk| chunk.unwrap())
            .collect()
            .await;
        let text = String::from_utf8(sent.concat()).unwrap();
        // The half line is lost, as upstream loses it; the events after it parse.
        let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
        assert_eq!(events[0], "data: {\"a\":1}");
        let error: Value =
            serde_json::from_str(events[1].strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(
            error,
            json!({"error": {"message": "Chat completion stream failed"}})
        );
        assert_eq!(events[2..], ["data: [DONE]"]);
    }
}

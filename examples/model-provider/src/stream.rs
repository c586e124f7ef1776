//! A streamed reply as server-sent events: one chunk per token, then the finish.

use axum::response::sse::Event;
use futures_util::Stream;
use futures_util::stream;

use crate::chat::{Delta, Reply};
use crate::log::{self, StreamEnd};

enum Frame {
    Token(usize),
    Finish,
    Usage,
    Done,
    // A `cut_after` directive: the body ends in an error, so the connection drops
    // without the chunked body's end, as when a provider crashes mid-reply.
    Cut,
}

/// Where a stream has got to. Dropped before its end, it logs that the client left:
/// tests read that line to see that a backend cancelled its request.
struct Progress {
    reply: Reply,
    tokens_sent: usize,
    ended: bool,
}

impl Drop for Progress {
    fn drop(&mut self) {
        if !self.ended {
            log::stream_end(StreamEnd::Closed, &self.reply.id, self.tokens_sent);
        }
    }
}

/// The events of `reply`, each made when the client is ready for it.
///
/// There is no task behind the stream: hyper polls it, and when the client goes away
/// hyper drops it, which cancels the pending sleep and ends the reply.
pub fn events(reply: Reply) -> impl Stream<Item = Result<Event, axum::Error>> {
    let frames: Vec<Frame> = match reply.cut_after {
        Some(cut) => (0..cut).map(Frame::Token).chain([Frame::Cut]).collect(),
        None => (0..reply.completion_tokens)
            .map(Frame::Token)
            .chain([Frame::Finish])
            .chain(reply.include_usage.then_some(Frame::Usage))
            .chain([Frame::Done])
            .collect(),
    };
    let progress = Progress {
        reply,
        tokens_sent: 0,
        ended: false,
    };
    stream::unfold(
        (progress, frames.into_iter()),
        |(mut progress, mut frames)| async move {
            let frame = frames.next()?;
            match frame {
                Frame::Token(index) if index > 0 => {
                    tokio::time::sleep(progress.reply.delay).await;
                }
                // The cut comes when the next token would, and only once the tokens
                // before it are out: pending here lets hyper flush them first.
                Frame::Cut => {
                    tokio::time::sleep(progress.reply.delay).await;
                    tokio::task::yield_now().await;
                }
                _ => {}
            }
            let event = render(&mut progress, &frame);
            Some((event, (progress, frames)))
        },
    )
}

fn render(progress: &mut Progress, frame: &Frame) -> Result<Event, axum::Error> {
    let reply = &progress.reply;
    let event = Event::default();
    match *frame {
        Frame::Token(index) => {
            progress.tokens_sent += 1;
            // Only the first delta names the role, as OpenAI's do.
            let role = (index == 0).then_some("assistant");
            let delta = Delta {
                role,
                content: Some(reply.token(index)),
            };
            event.json_data(reply.chunk(delta, None))
        }
        Frame::Finish => {
            event.json_data(reply.chunk(Delta::default(), Some(reply.finish_reason)))
        }
        Frame::Usage => event.json_data(reply.usage_chunk()),
        Frame::Done => {
            progress.ended = true;
            Ok(event.data("[DONE]"))
        }
        Frame::Cut => {
            progress.ended = true;
            log::stream_end(StreamEnd::Cut, &reply.id, progress.tokens_sent);
            Err(axum::Error::new("the request's directive cut the stream"))
        }
    }
}

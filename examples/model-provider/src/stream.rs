//! A streamed reply as server-sent events: one chunk per token, then the finish.

use axum::response::sse::Event;
use futures_util::Stream;
use futures_util::stream;

use crate::chat::{Delta, Reply};

enum Frame {
    Token(usize),
    Finish,
    Usage,
    Done,
}

/// The events of `reply`, each made when the client is ready for it.
///
/// There is no task behind the stream: hyper polls it, and when the client goes away
/// hyper drops it, which cancels the pending sleep and ends the reply.
pub fn events(reply: Reply) -> impl Stream<Item = Result<Event, axum::Error>> {
    let frames = (0..reply.completion_tokens)
        .map(Frame::Token)
        .chain([Frame::Finish])
        .chain(reply.include_usage.then_some(Frame::Usage))
        .chain([Frame::Done]);
    stream::unfold((reply, frames), |(reply, mut frames)| async move {
        let frame = frames.next()?;
        if matches!(frame, Frame::Token(index) if index > 0) {
            tokio::time::sleep(reply.delay).await;
        }
        let event = render(&reply, &frame);
        Some((event, (reply, frames)))
    })
}

fn render(reply: &Reply, frame: &Frame) -> Result<Event, axum::Error> {
    let event = Event::default();
    match *frame {
        Frame::Token(index) => {
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
        Frame::Done => Ok(event.data("[DONE]")),
    }
}

//! A chat completion: the request as the chat API defines it, and the reply to it.
//!
//! A `Reply` is everything a response needs, decided before the first byte is sent;
//! `completion()` renders it whole and `stream::events` renders it chunk by chunk.
//! A directive in the last user message (see `directive`) can stretch the pauses or
//! cut the stream short; those are fields here that the renderers read.

use std::num::NonZeroU32;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::directive::{Directives, is_directive};
use crate::settings::Settings;

// The words of a reply when the last user message has none.
const FALLBACK_WORDS: [&str; 5] = ["hello", "from", "the", "handbook", "provider"];
// A token stays a few bytes whatever the prompt, so a frame's size is bounded.
const MAX_WORD_CHARS: usize = 16;

// Only the fields the provider reads; serde ignores the others, as OpenAI accepts them.
#[derive(Debug, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    messages: Vec<Message>,
    // `Option`s, since some clients send `null` for a field they leave at its default.
    stream: Option<bool>,
    stream_options: Option<StreamOptions>,
    max_tokens: Option<NonZeroU32>,
    max_completion_tokens: Option<NonZeroU32>,
}

#[derive(Debug, Deserialize)]
struct StreamOptions {
    include_usage: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Message {
    role: String,
    content: Option<Content>,
}

// A string, or a list of parts of which only the text parts count.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Deserialize)]
struct Part {
    text: Option<String>,
}

impl Message {
    fn lines(&self) -> impl Iterator<Item = &str> {
        let (text, parts) = match &self.content {
            Some(Content::Text(text)) => (Some(text.as_str()), &[][..]),
            Some(Content::Parts(parts)) => (None, parts.as_slice()),
            None => (None, &[][..]),
        };
        let part_texts = parts.iter().filter_map(|part| part.text.as_deref());
        text.into_iter().chain(part_texts).flat_map(str::lines)
    }

    // Directive lines are instructions to the provider, not words of the prompt.
    fn words(&self) -> impl Iterator<Item = &str> {
        self.lines()
            .filter(|line| !is_directive(line))
            .flat_map(str::split_whitespace)
    }
}

impl ChatRequest {
    fn last_user_message(&self) -> Option<&Message> {
        self.messages
            .iter()
            .rev()
            .find(|message| message.role == "user")
    }

    /// The directives of the last user message: only the newest turn steers a reply.
    pub fn directives(&self) -> Result<Directives, String> {
        Directives::parse(
            self.last_user_message()
                .into_iter()
                .flat_map(Message::lines),
        )
    }
}

#[derive(Debug)]
pub struct Reply {
    pub id: String,
    pub created: u64,
    pub model: String,
    pub stream: bool,
    pub include_usage: bool,
    pub delay: Duration,
    // A stream breaks off after this many tokens when it is below `completion_tokens`.
    pub cut_after: Option<usize>,
    pub finish_reason: &'static str,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    // Each word with its leading space: token `i` is a slice, never a new string.
    spaced_words: Vec<String>,
}

impl Reply {
    /// The reply to `request`: `settings.tokens` words of its last user message,
    /// cycled, fewer when the request's own limit is lower. The same request always
    /// gives the same text. `directives` may change the pace and cut the stream.
    pub fn plan(
        request: ChatRequest,
        settings: &Settings,
        directives: &Directives,
        id: String,
        created: u64,
    ) -> Self {
        let tokens = settings.tokens.get();
        let limit = [request.max_tokens, request.max_completion_tokens]
            .into_iter()
            .flatten()
            .map(|limit| usize::try_from(limit.get()).unwrap_or(usize::MAX))
            .min();
        let completion_tokens = limit.map_or(tokens, |limit| limit.min(tokens));
        let mut spaced_words: Vec<String> = request
            .last_user_message()
            .into_iter()
            .flat_map(Message::words)
            .take(completion_tokens)
            .map(|word| {
                format!(" {}", word.chars().take(MAX_WORD_CHARS).collect::<String>())
            })
            .collect();
        if spaced_words.is_empty() {
            spaced_words = FALLBACK_WORDS
                .iter()
                .map(|word| format!(" {word}"))
                .collect();
        }
        Self {
            id,
            created,
            stream: request.stream.unwrap_or(false),
            include_usage: request
                .stream_options
                .and_then(|options| options.include_usage)
                .unwrap_or(false),
            delay: directives.token_delay.unwrap_or(settings.delay),
            cut_after: directives.cut_after.filter(|&cut| cut < completion_tokens),
            // OpenAI says "length" when the request's limit, not the model, ended it.
            finish_reason: if completion_tokens < tokens {
                "length"
            } else {
                "stop"
            },
            prompt_tokens: request
                .messages
                .iter()
                .map(|message| message.words().count())
                .sum(),
            completion_tokens,
            spaced_words,
            model: request.model,
        }
    }

    pub fn token(&self, index: usize) -> &str {
        let spaced = &self.spaced_words[index % self.spaced_words.len()];
        if index == 0 { &spaced[1..] } else { spaced }
    }

    pub fn text(&self) -> String {
        (0..self.completion_tokens)
            .map(|index| self.token(index))
            .collect()
    }

    pub fn usage(&self) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.completion_tokens,
            total_tokens: self.prompt_tokens + self.completion_tokens,
        }
    }

    pub fn completion(&self) -> Completion<'_> {
        Completion {
            id: &self.id,
            object: "chat.completion",
            created: self.created,
            model: &self.model,
            choices: [Choice {
                index: 0,
                message: ChoiceMessage {
                    role: "assistant",
                    content: self.text(),
                },
                finish_reason: self.finish_reason,
            }],
            usage: self.usage(),
        }
    }

    pub fn chunk<'a>(
        &'a self,
        delta: Delta<'a>,
        finish_reason: Option<&'static str>,
    ) -> Chunk<'a> {
        Chunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.model,
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason,
            }],
            usage: None,
        }
    }

    // OpenAI's last chunk before `[DONE]` when usage is asked for: no choices.
    pub fn usage_chunk(&self) -> Chunk<'_> {
        Chunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.model,
            choices: Vec::new(),
            usage: Some(self.usage()),
        }
    }
}

#[derive(Debug, Serialize)]
#[expect(clippy::struct_field_names, reason = "the names are the API's")]
pub struct Usage {
    prompt_tokens: usize,
    completion_tokens: usize,
    total_tokens: usize,
}

#[derive(Debug, Serialize)]
pub struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: [Choice; 1],
    usage: Usage,
}

#[derive(Debug, Serialize)]
struct Choice {
    index: u32,
    message: ChoiceMessage,
    finish_reason: &'static str,
}

#[derive(Debug, Serialize)]
struct ChoiceMessage {
    role: &'static str,
    content: String,
}

#[derive(Debug, Serialize)]
pub struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: Vec<ChunkChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
}

#[derive(Debug, Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: Delta<'a>,
    finish_reason: Option<&'static str>,
}

#[derive(Debug, Default, Serialize)]
pub struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;

    use serde_json::json;

    use super::*;

    fn reply(body: &serde_json::Value, tokens: usize) -> Reply {
        let settings = Settings {
            port: 0,
            models: vec!["m".to_owned()],
            tokens: NonZeroUsize::new(tokens).unwrap(),
            delay: Duration::ZERO,
            api_key: None,
            models_delay: Duration::ZERO,
        };
        let request: ChatRequest = serde_json::from_value(body.clone()).unwrap();
        let directives = request.directives().unwrap();
        Reply::plan(request, &settings, &directives, "chatcmpl-1".to_owned(), 0)
    }

    #[test]
    fn cycles_the_words_of_the_last_user_message() {
        let body = json!({"model": "m", "messages": [
            {"role": "user", "content": "not this one"},
            {"role": "assistant", "content": null},
            {"role": "user", "content": [{"type": "text", "text": "one two"},
                                         {"type": "image_url", "image_url": {}},
                                         {"type": "text", "text": "three"}]},
        ]});
        let reply = reply(&body, 7);
        assert_eq!(reply.text(), "one two three one two three one");
        assert_eq!(reply.token(0), "one");
        assert_eq!(reply.token(3), " one");
        assert_eq!((reply.prompt_tokens, reply.completion_tokens), (6, 7));
        assert_eq!(reply.finish_reason, "stop");
    }

    #[test]
    fn directive_lines_steer_the_reply_and_are_not_words() {
        let body = json!({"model": "m", "messages": [
            {"role": "user", "content": "provider: status=500"},
            {"role": "user", "content": "one two\nprovider: cut_after=2 token_delay_ms=5"},
        ]});
        let steered = reply(&body, 4);
        assert_eq!(steered.text(), "one two one two");
        assert_eq!(steered.prompt_tokens, 2);
        assert_eq!(
            (steered.cut_after, steered.delay),
            (Some(2), Duration::from_millis(5))
        );
        // A cut at or past the end is no cut.
        let late = json!({"model": "m", "messages": [
            {"role": "user", "content": "w\nprovider: cut_after=4"}]});
        assert_eq!(reply(&late, 4).cut_after, None);
    }

    #[test]
    fn falls_back_to_fixed_words_and_shortens_long_ones() {
        let empty =
            json!({"model": "m", "messages": [{"role": "system", "content": "x"}]});
        assert_eq!(
            reply(&empty, 6).text(),
            "hello from the handbook provider hello"
        );
        let long = json!({"model": "m", "messages": [{"role": "user", "content": "a".repeat(40)}]});
        assert_eq!(reply(&long, 1).text(), "a".repeat(MAX_WORD_CHARS));
    }

    #[test]
    fn the_request_limit_caps_the_reply() {
        let body = json!({"model": "m", "messages": [{"role": "user", "content": "w"}],
                          "max_tokens": 5, "max_completion_tokens": 3});
        let capped = reply(&body, 8);
        assert_eq!(
            (capped.completion_tokens, capped.finish_reason),
            (3, "length")
        );
        let uncapped = reply(&body, 2);
        assert_eq!(
            (uncapped.completion_tokens, uncapped.finish_reason),
            (2, "stop")
        );
    }

    #[test]
    fn rejects_what_openai_rejects() {
        for body in [
            json!({"messages": []}),
            json!({"model": "m"}),
            json!({"model": "m", "messages": [], "max_tokens": 0}),
            json!({"model": "m", "messages": [], "stream": "yes"}),
            json!({"model": "m", "messages": [{"content": "no role"}]}),
        ] {
            assert!(
                serde_json::from_value::<ChatRequest>(body.clone()).is_err(),
                "{body}"
            );
        }
    }
}

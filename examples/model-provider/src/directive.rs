//! Directives: how one request asks the provider to fail, stall or break off.
//!
//! A test that needs a provider error, a slow answer or a stream cut short writes a
//! line such as `provider: status=429 retry_after=7` into its last user message.
//! One provider process then serves every test, each request choosing its own
//! behaviour. Directive lines are not words of the reply.

use std::time::Duration;

use axum::http::StatusCode;

/// What starts a directive line, after any leading whitespace.
const PREFIX: &str = "provider:";

/// The form of a directed error's body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ErrorBody {
    /// The API's JSON error, as `application/json`.
    #[default]
    Json,
    /// Plain text, as a proxy's error page would be.
    Text,
    /// The JSON error as one server-sent event, as some servers answer a stream.
    Sse,
}

/// The behaviours one request asked for; the default is a normal reply.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Directives {
    /// Answer with this error status (400–599) instead of a completion.
    pub status: Option<StatusCode>,
    /// With `status`: the `Retry-After` header, in seconds.
    pub retry_after: Option<u64>,
    /// With `status`: how the error body is sent (`body=text` or `body=sse`).
    pub error_body: ErrorBody,
    /// A stream breaks off, without its end, after this many tokens.
    pub cut_after: Option<usize>,
    /// A pause before the response's headers.
    pub delay: Option<Duration>,
    /// The pause between two streamed tokens, instead of the configured one.
    pub token_delay: Option<Duration>,
}

pub fn is_directive(line: &str) -> bool {
    line.trim_start().starts_with(PREFIX)
}

impl Directives {
    /// The directives of `lines`, merged; other lines are ignored. An unknown name
    /// or a value that does not parse is an error, so a mistyped test fails loudly.
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut directives = Self::default();
        let settings = lines
            .into_iter()
            .filter_map(|line| line.trim_start().strip_prefix(PREFIX))
            .flat_map(str::split_whitespace);
        for setting in settings {
            let (name, value) = setting
                .split_once('=')
                .ok_or_else(|| format!("directive {setting:?}: expected name=value"))?;
            let number = |value: &str| {
                value
                    .parse::<u64>()
                    .map_err(|error| format!("directive {setting:?}: {error}"))
            };
            let millis = |value: &str| number(value).map(Duration::from_millis);
            match name {
                "status" => {
                    directives.status = Some(error_status(setting, number(value)?)?);
                }
                "retry_after" => directives.retry_after = Some(number(value)?),
                "body" => {
                    directives.error_body = match value {
                        "text" => ErrorBody::Text,
                        "sse" => ErrorBody::Sse,
                        _ => {
                            return Err(format!(
                                "directive {setting:?}: the body is text or sse"
                            ));
                        }
                    };
                }
                "cut_after" => {
                    let tokens = usize::try_from(number(value)?).unwrap_or(usize::MAX);
                    directives.cut_after = Some(tokens);
                }
                "delay_ms" => directives.delay = Some(millis(value)?),
                "token_delay_ms" => directives.token_delay = Some(millis(value)?),
                _ => {
                    return Err(format!(
                        "directive {setting:?}: unknown name {name:?}"
                    ));
                }
            }
        }
        let error_only = directives.retry_after.is_some()
            || directives.error_body != ErrorBody::Json;
        if error_only && directives.status.is_none() {
            return Err("directive retry_after or body needs a status".to_owned());
        }
        Ok(directives)
    }
}

fn error_status(setting: &str, code: u64) -> Result<StatusCode, String> {
    u16::try_from(code)
        .ok()
        .and_then(|code| StatusCode::from_u16(code).ok())
        .filter(|status| status.is_client_error() || status.is_server_error())
        .ok_or_else(|| format!("directive {setting:?}: the status must be 400 to 599"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_name_from_directive_lines_only() {
        let text = "why is the sky blue\n  provider: status=429 retry_after=7 body=text\n\
                    provider: cut_after=3 delay_ms=250 token_delay_ms=1000\nmore words";
        let directives = Directives::parse(text.lines()).unwrap();
        assert_eq!(
            directives,
            Directives {
                status: Some(StatusCode::TOO_MANY_REQUESTS),
                retry_after: Some(7),
                error_body: ErrorBody::Text,
                cut_after: Some(3),
                delay: Some(Duration::from_millis(250)),
                token_delay: Some(Duration::from_secs(1)),
            }
        );
        assert!(is_directive("  provider: cut_after=1"));
        assert!(!is_directive("the provider: said no"));
    }

    #[test]
    fn no_directive_is_a_normal_reply() {
        let directives = Directives::parse("status=500 is just words".lines());
        assert_eq!(directives, Ok(Directives::default()));
    }

    #[test]
    fn rejects_what_it_cannot_honour() {
        for line in [
            "provider: status=200",
            "provider: status=600",
            "provider: status=x",
            "provider: retry_after=3",
            "provider: body=text",
            "provider: status=502 body=html",
            "provider: cut_after",
            "provider: cut_after=-1",
            "provider: explode=1",
        ] {
            let error = Directives::parse([line]).unwrap_err();
            assert!(error.starts_with("directive "), "{line}: {error}");
        }
    }
}

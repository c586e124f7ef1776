//! The provider's settings, read once from the environment at start-up.

use std::num::NonZeroUsize;
use std::str::FromStr;
use std::time::Duration;

const DEFAULT_PORT: u16 = 8090;
const DEFAULT_MODEL: &str = "handbook-echo";
const DEFAULT_TOKENS: usize = 8;
const DEFAULT_DELAY_MS: u64 = 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub port: u16,
    pub models: Vec<String>,
    // At least one token, so every stream has a first chunk to carry the role.
    pub tokens: NonZeroUsize,
    pub delay: Duration,
    pub api_key: Option<String>,
    // A pause before `/v1/models` answers: a slow connection for the model list.
    pub models_delay: Duration,
}

impl Settings {
    /// Reads `PORT` and the `PROVIDER_*` variables through `var`, so tests can pass a
    /// map instead of the process's environment. An empty variable counts as unset.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let models: Vec<String> = var("PROVIDER_MODELS")
            .unwrap_or_else(|| DEFAULT_MODEL.to_owned())
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .collect();
        let tokens = parse(var("PROVIDER_TOKENS"), "PROVIDER_TOKENS")?;
        let delay_ms = parse(var("PROVIDER_DELAY_MS"), "PROVIDER_DELAY_MS")?;
        let models_delay_ms =
            parse(var("PROVIDER_MODELS_DELAY_MS"), "PROVIDER_MODELS_DELAY_MS")?;
        Ok(Self {
            port: parse(var("PORT"), "PORT")?.unwrap_or(DEFAULT_PORT),
            models: if models.is_empty() {
                vec![DEFAULT_MODEL.to_owned()]
            } else {
                models
            },
            tokens: tokens
                .unwrap_or(NonZeroUsize::new(DEFAULT_TOKENS).expect("non-zero")),
            delay: Duration::from_millis(delay_ms.unwrap_or(DEFAULT_DELAY_MS)),
            api_key: var("PROVIDER_API_KEY"),
            models_delay: Duration::from_millis(models_delay_ms.unwrap_or(0)),
        })
    }
}

fn parse<T: FromStr>(value: Option<String>, name: &str) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    value
        .map(|text| {
            let text = text.trim();
            text.parse()
                .map_err(|error| format!("{name}={text:?}: {error}"))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        Settings::from_env(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let defaults = settings(&[]).unwrap();
        assert_eq!(defaults.port, DEFAULT_PORT);
        assert_eq!(defaults.models, ["handbook-echo"]);
        assert_eq!(defaults.tokens.get(), 8);
        assert_eq!(defaults.delay, Duration::from_millis(20));
        assert_eq!(defaults.api_key, None);
        assert_eq!(defaults.models_delay, Duration::ZERO);
    }

    #[test]
    fn reads_every_variable() {
        let read = settings(&[
            ("PORT", "9001"),
            ("PROVIDER_MODELS", " a, b ,,c "),
            ("PROVIDER_TOKENS", "3"),
            ("PROVIDER_DELAY_MS", "0"),
            ("PROVIDER_API_KEY", "sk-test"),
            ("PROVIDER_MODELS_DELAY_MS", "1500"),
        ])
        .unwrap();
        assert_eq!(read.port, 9001);
        assert_eq!(read.models, ["a", "b", "c"]);
        assert_eq!(read.tokens.get(), 3);
        assert_eq!(read.delay, Duration::ZERO);
        assert_eq!(read.api_key.as_deref(), Some("sk-test"));
        assert_eq!(read.models_delay, Duration::from_millis(1500));
    }

    #[test]
    fn empty_values_count_as_unset() {
        let read = settings(&[("PROVIDER_MODELS", " , "), ("PROVIDER_API_KEY", "")]);
        assert_eq!(read, settings(&[]));
    }

    #[test]
    fn rejects_values_that_do_not_parse() {
        for (name, value) in [
            ("PORT", "http"),
            ("PROVIDER_TOKENS", "0"),
            ("PROVIDER_TOKENS", "-1"),
            ("PROVIDER_DELAY_MS", "1.5"),
            ("PROVIDER_MODELS_DELAY_MS", "soon"),
        ] {
            let error = settings(&[(name, value)]).unwrap_err();
            assert!(error.starts_with(&format!("{name}=")), "{error}");
        }
    }
}

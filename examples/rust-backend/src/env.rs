//! Settings read from the environment, with Open WebUI's names and defaults.
//!
//! The twin of `reference_backend/env.py`: the same variables, the same defaults, the
//! same refusals, so one `.env` file starts either backend.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use regex::Regex;
use serde_json::{Map, Value};

use crate::utils::auth::passwords::HashAlgorithm;
use crate::utils::durations::parse_duration;

/// The URL of `OpenAI`'s own API: upstream's connection when none is configured.
pub const OPENAI_API_BASE_URL: &str = "https://api.openai.com/v1";
/// The file `open-webui serve` keeps its generated secret in, relative to the
/// working directory: the same file lets both servers share one secret.
pub const SECRET_KEY_FILE: &str = ".webui_secret_key";
const TRUE_STRINGS: [&str; 4] = ["true", "1", "yes", "on"];
/// The roles an account can have, lowest first.
pub const ROLES: [&str; 3] = ["pending", "user", "admin"];
const HASH_ALGORITHMS: [&str; 2] = ["bcrypt", "argon2"];
/// What a PRAGMA value may be, since it is pasted into SQL: a number or a bare word.
static PRAGMA_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("^(?:-?[0-9]+|[A-Za-z]+)$").expect("a valid pattern"));

/// A value upstream would refuse; the server does not start.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

// --8<-- [start:settings]
/// The process-wide settings, fixed at start-up.
#[derive(Clone, Debug)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "each flag is an independent switch, as in the environment"
)]
pub struct Settings {
    /// `HOST`: the address to listen on.
    pub host: String,
    /// `PORT`.
    pub port: u16,
    /// `DATA_DIR`: where the SQLite file lives.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`, or the SQLite file in `DATA_DIR`.
    pub database_url: String,
    /// `WEBUI_SECRET_KEY`, or the generated key in `.webui_secret_key`.
    pub secret_key: String,
    /// `JWT_EXPIRES_IN`: the lifetime of new tokens until an admin changes it.
    pub jwt_expires_in: String,
    /// `DEFAULT_USER_ROLE`: the role of a new sign-up.
    pub default_user_role: String,
    /// `ENABLE_SIGNUP`.
    pub enable_signup: bool,
    /// `ENABLE_API_KEYS`.
    pub enable_api_keys: bool,
    /// `PASSWORD_HASH_ALGORITHM`: the scheme of new hashes.
    pub password_hash_algorithm: HashAlgorithm,
    /// `WEBUI_AUTH_COOKIE_SECURE`.
    pub cookie_secure: bool,
    /// `CORS_ALLOW_ORIGIN`, split on `;`.
    pub cors_allow_origin: Vec<String>,
    /// `REDIS_URL`; empty means no Redis.
    pub redis_url: String,
    /// `REDIS_KEY_PREFIX`.
    pub redis_key_prefix: String,
    /// `DATABASE_SQLITE_PRAGMA_*`: the `(pragma, value)` pairs each new SQLite
    /// connection runs, checked; an empty variable leaves its PRAGMA out.
    pub sqlite_pragmas: Vec<(String, String)>,
    /// `DATABASE_USER_ACTIVE_STATUS_UPDATE_INTERVAL`: seconds between two writes of a
    /// user's `last_active_at`; zero or less writes on every request.
    pub user_active_status_update_interval: f64,
    /// The `OpenAI`-compatible connections as the environment seeds them.
    pub openai: OpenAiEnv,
    /// `AIOHTTP_CLIENT_TIMEOUT`: the whole of a completion request; `None`, upstream's
    /// default, waits as long as the provider takes.
    pub client_timeout: Option<Duration>,
    /// `AIOHTTP_CLIENT_TIMEOUT_MODEL_LIST`: one connection's model list (10 s).
    pub model_list_timeout: Option<Duration>,
    /// `MODELS_CACHE_TTL`: how long a gathered provider model list is reused (1 s);
    /// `None` keeps it until a refresh or a connection change.
    pub models_cache_ttl: Option<Duration>,
    /// `MAX_REQUEST_BODY_SIZE`: the largest request body in bytes, answered 413 above
    /// it; `None` (unset), no limit. The twins' own variable: upstream has no limit.
    pub max_request_body_size: Option<usize>,
    /// `WEBUI_AUTH_REQUIRE_TOKEN_EXPIRY`: a leaked token that never expires is a
    /// credential forever, so one without `exp` is refused, and none is minted.
    pub require_token_expiry: bool,
    /// `WEBUI_AUTH_BEARER_ONLY`: upstream takes `Basic x` as the token `x`, credentials
    /// a proxy or a browser may send for another purpose; only `Bearer` counts then.
    pub bearer_only: bool,
    /// `WEBUI_AUTH_REVOCATION_TABLE`: without Redis, upstream's sign-out leaves the
    /// token valid until it expires; the twins' own table records it instead.
    pub revocation_table: bool,
    /// `WEBUI_AUTH_STRICT_EMAILS`: a padded address would be a second account for the
    /// same mailbox, and upstream stores any length; trimmed, then at most 254 chars.
    pub strict_emails: bool,
    /// `WEBUI_AUTH_STRICT_ROLES`: upstream stores any role an admin sends, one no guard
    /// knows; only `ROLES` are accepted then.
    pub strict_roles: bool,
}

impl Settings {
    /// Read the settings; a value upstream would refuse stops the start.
    ///
    /// # Errors
    /// [`ConfigError`] for a malformed number, duration, role, scheme or secret.
    pub fn from_environ(env: &Environ) -> Result<Self, ConfigError> {
        let data_dir = absolute(Path::new(env.get("DATA_DIR").unwrap_or("data")));
        let jwt_expires_in = env.get("JWT_EXPIRES_IN").unwrap_or("4w").to_owned();
        parse_duration(&jwt_expires_in).map_err(|e| ConfigError(e.to_string()))?;
        let port = env.get("PORT").unwrap_or("8080");
        Ok(Self {
            host: env.get("HOST").unwrap_or("0.0.0.0").to_owned(),
            port: port
                .parse()
                .map_err(|_| ConfigError(format!("PORT={port:?}: not a port")))?,
            database_url: database_url(env, &data_dir),
            data_dir,
            secret_key: secret_key(env)?,
            jwt_expires_in,
            default_user_role: env.choice("DEFAULT_USER_ROLE", "pending", &ROLES)?,
            enable_signup: env.flag("ENABLE_SIGNUP", true),
            enable_api_keys: env.flag("ENABLE_API_KEYS", false),
            password_hash_algorithm: match env
                .choice("PASSWORD_HASH_ALGORITHM", "bcrypt", &HASH_ALGORITHMS)?
                .as_str()
            {
                "argon2" => HashAlgorithm::Argon2,
                _ => HashAlgorithm::Bcrypt,
            },
            cookie_secure: env.flag("WEBUI_AUTH_COOKIE_SECURE", false),
            cors_allow_origin: env
                .get("CORS_ALLOW_ORIGIN")
                .unwrap_or("*")
                .split(';')
                .map(str::to_owned)
                .collect(),
            redis_url: env.get("REDIS_URL").unwrap_or_default().to_owned(),
            redis_key_prefix: env
                .get("REDIS_KEY_PREFIX")
                .unwrap_or("open-webui")
                .to_owned(),
            sqlite_pragmas: sqlite_pragmas(&[
                (
                    "synchronous",
                    env.get("DATABASE_SQLITE_PRAGMA_SYNCHRONOUS")
                        .unwrap_or("NORMAL"),
                ),
                (
                    "busy_timeout",
                    env.get("DATABASE_SQLITE_PRAGMA_BUSY_TIMEOUT")
                        .unwrap_or("5000"),
                ),
                (
                    "cache_size",
                    env.get("DATABASE_SQLITE_PRAGMA_CACHE_SIZE")
                        .unwrap_or("-65536"),
                ),
                (
                    "temp_store",
                    env.get("DATABASE_SQLITE_PRAGMA_TEMP_STORE")
                        .unwrap_or("MEMORY"),
                ),
                (
                    "mmap_size",
                    env.get("DATABASE_SQLITE_PRAGMA_MMAP_SIZE")
                        .unwrap_or("268435456"),
                ),
                (
                    "journal_size_limit",
                    env.get("DATABASE_SQLITE_PRAGMA_JOURNAL_SIZE_LIMIT")
                        .unwrap_or("67108864"),
                ),
            ])?,
            user_active_status_update_interval: number_or(
                env.get("DATABASE_USER_ACTIVE_STATUS_UPDATE_INTERVAL")
                    .unwrap_or("60"),
                60.0,
            ),
            openai: OpenAiEnv::from_environ(env),
            client_timeout: seconds(
                env.get("AIOHTTP_CLIENT_TIMEOUT").unwrap_or(""),
                300,
            ),
            model_list_timeout: seconds(
                env.get("AIOHTTP_CLIENT_TIMEOUT_MODEL_LIST")
                    .or(env.get("AIOHTTP_CLIENT_TIMEOUT_OPENAI_MODEL_LIST"))
                    .unwrap_or("10"),
                10,
            ),
            models_cache_ttl: seconds(env.get("MODELS_CACHE_TTL").unwrap_or("1"), 1),
            max_request_body_size: body_size_limit(
                env.get("MAX_REQUEST_BODY_SIZE").unwrap_or_default(),
            )?,
            require_token_expiry: env.flag("WEBUI_AUTH_REQUIRE_TOKEN_EXPIRY", false),
            bearer_only: env.flag("WEBUI_AUTH_BEARER_ONLY", false),
            revocation_table: env.flag("WEBUI_AUTH_REVOCATION_TABLE", false),
            strict_emails: env.flag("WEBUI_AUTH_STRICT_EMAILS", false),
            strict_roles: env.flag("WEBUI_AUTH_STRICT_ROLES", false),
        })
    }
}
// --8<-- [end:settings]

// --8<-- [start:openai-connections]
/// `ENABLE_OPENAI_API`, `OPENAI_API_BASE_URLS`, `OPENAI_API_KEYS` and
/// `OPENAI_API_CONFIGS`: what a first start stores in the config table.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenAiEnv {
    /// Only "true", in any case, turns it on; unset is on.
    pub enable: bool,
    /// `;`-separated; an empty entry is `OpenAI`'s own URL.
    pub base_urls: Vec<String>,
    /// `;`-separated, as written: upstream pads or cuts them to one per URL only
    /// when it first lists the models.
    pub keys: Vec<String>,
    /// Per connection (by index, or by URL for old configs): prefix, tags, model ids.
    pub configs: Map<String, Value>,
}

impl OpenAiEnv {
    /// The variables, with the single-connection `OPENAI_API_BASE_URL` and
    /// `OPENAI_API_KEY` as fallbacks.
    #[must_use]
    pub fn from_environ(env: &Environ) -> Self {
        let non_empty = |value: &&str| !value.is_empty();
        let single_url = env
            .get("OPENAI_API_BASE_URL")
            .filter(non_empty)
            .map_or(OPENAI_API_BASE_URL, |url| {
                url.strip_suffix('/').unwrap_or(url)
            });
        let urls = env
            .get("OPENAI_API_BASE_URLS")
            .filter(non_empty)
            .unwrap_or(single_url);
        let keys = env
            .get("OPENAI_API_KEYS")
            .filter(non_empty)
            .or(env.get("OPENAI_API_KEY"))
            .unwrap_or_default();
        // A malformed value is ignored with a warning upstream, not fatal.
        let configs = env
            .get("OPENAI_API_CONFIGS")
            .filter(non_empty)
            .and_then(|text| serde_json::from_str(text).ok())
            .and_then(|value: Value| match value {
                Value::Object(configs) => Some(configs),
                _ => None,
            })
            .unwrap_or_default();
        Self {
            enable: env
                .get("ENABLE_OPENAI_API")
                .is_none_or(|value| value.eq_ignore_ascii_case("true")),
            base_urls: urls
                .split(';')
                .map(|url| {
                    if url.is_empty() {
                        OPENAI_API_BASE_URL.to_owned()
                    } else {
                        url.trim().to_owned()
                    }
                })
                .collect(),
            keys: keys.split(';').map(|key| key.trim().to_owned()).collect(),
            configs,
        }
    }
}

/// Upstream's timeout variables: whole seconds; empty means none, and so does zero
/// or less (aiohttp's reading); anything else that is not a number is `fallback`.
#[must_use]
pub fn seconds(value: &str, fallback: u64) -> Option<Duration> {
    if value.is_empty() {
        return None;
    }
    let seconds = value
        .trim()
        .parse::<i64>()
        .unwrap_or_else(|_| i64::try_from(fallback).unwrap_or(i64::MAX));
    u64::try_from(seconds)
        .ok()
        .filter(|&seconds| seconds > 0)
        .map(Duration::from_secs)
}
// --8<-- [end:openai-connections]

// --8<-- [start:environ]
/// The environment as a map, so tests can pass their own.
#[derive(Clone, Debug, Default)]
pub struct Environ(pub HashMap<String, String>);

impl Environ {
    /// The process's environment.
    #[must_use]
    pub fn process() -> Self {
        Self(std::env::vars().collect())
    }

    /// The variable's value, if set.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Upstream's boolean parsing: only "true" (any case) and friends are true.
    #[must_use]
    pub fn flag(&self, name: &str, default: bool) -> bool {
        self.get(name).map_or(default, |value| {
            TRUE_STRINGS.contains(&value.trim().to_lowercase().as_str())
        })
    }

    /// A value from a closed set; anything else is a configuration error.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable and the values it allows.
    pub fn choice(
        &self,
        name: &str,
        default: &str,
        allowed: &[&str],
    ) -> Result<String, ConfigError> {
        let value = self.get(name).unwrap_or(default);
        if allowed.contains(&value) {
            return Ok(value.to_owned());
        }
        Err(ConfigError(format!(
            "{name}={value:?}: expected one of {}",
            allowed.join(", ")
        )))
    }
}

/// `MAX_REQUEST_BODY_SIZE` in bytes, unset or empty for no limit; anything but a
/// positive integer is a configuration error. The twins' own: upstream has none.
///
/// # Errors
/// [`ConfigError`] naming the variable.
pub fn body_size_limit(value: &str) -> Result<Option<usize>, ConfigError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<usize>() {
        Ok(bytes) if bytes > 0 && value.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(bytes))
        }
        _ => Err(ConfigError(format!(
            "MAX_REQUEST_BODY_SIZE={value:?}: expected a positive number of bytes"
        ))),
    }
}

/// Upstream's lenient number: a value that is not a number reads as the default.
#[must_use]
pub fn number_or(value: &str, default: f64) -> f64 {
    value.trim().parse().unwrap_or(default)
}
// --8<-- [end:environ]

// --8<-- [start:sqlite-pragmas]
/// The `(pragma, value)` pairs every new SQLite connection runs, in this order.
///
/// An empty value leaves that PRAGMA out, as upstream does. Upstream pastes the values
/// into SQL unchecked; here anything but an integer or a word stops the start, so a
/// value cannot smuggle in another statement.
///
/// # Errors
/// [`ConfigError`] naming the variable whose value is neither.
pub fn sqlite_pragmas(
    values: &[(&str, &str)],
) -> Result<Vec<(String, String)>, ConfigError> {
    let mut pragmas = Vec::new();
    for &(pragma, value) in values {
        if value.is_empty() {
            continue;
        }
        if !PRAGMA_VALUE.is_match(value) {
            // Upstream names each variable after its PRAGMA.
            let name = format!("DATABASE_SQLITE_PRAGMA_{}", pragma.to_uppercase());
            return Err(ConfigError(format!(
                "{name}={value:?}: expected an integer or a word"
            )));
        }
        pragmas.push((pragma.to_owned(), value.to_owned()));
    }
    Ok(pragmas)
}
// --8<-- [end:sqlite-pragmas]

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

// --8<-- [start:database-url]
/// `DATABASE_URL`, or the SQLite file upstream uses: `$DATA_DIR/webui.db`.
#[must_use]
pub fn database_url(env: &Environ, data_dir: &Path) -> String {
    let url = env
        .get("DATABASE_URL")
        .filter(|url| !url.is_empty())
        .map_or_else(
            || format!("sqlite:///{}", data_dir.join("webui.db").display()),
            str::to_owned,
        );
    // Upstream's own spelling names SQLAlchemy's driver (`postgresql+psycopg://`), and
    // it accepts Heroku's `postgres://`: sqlx knows neither, so both become the plain
    // scheme, and one .env serves Open WebUI and the twin.
    match url.split_once("://") {
        Some((scheme, rest))
            if scheme == "postgres"
                || scheme.split('+').next() == Some("postgresql") =>
        {
            format!("postgresql://{rest}")
        }
        _ => url,
    }
}
// --8<-- [end:database-url]

// --8<-- [start:secret-key]
/// `WEBUI_SECRET_KEY`, or the key `open-webui serve` would generate and keep.
///
/// Upstream refuses to run with an empty key; so does this backend.
///
/// # Errors
/// [`ConfigError`] for an empty key, or a key file that cannot be written or read.
pub fn secret_key(env: &Environ) -> Result<String, ConfigError> {
    if let Some(key) = env
        .get("WEBUI_SECRET_KEY")
        .or(env.get("WEBUI_JWT_SECRET_KEY"))
    {
        if key.is_empty() {
            return Err(ConfigError("WEBUI_SECRET_KEY is set but empty".into()));
        }
        return Ok(key.to_owned());
    }
    let path = Path::new(SECRET_KEY_FILE);
    let failed = |e: std::io::Error| ConfigError(format!("{SECRET_KEY_FILE}: {e}"));
    if !path.exists() {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(failed)?;
        file.write_all(STANDARD.encode(bytes).as_bytes())
            .map_err(failed)?;
    }
    let key = fs::read_to_string(path).map_err(failed)?;
    if key.is_empty() {
        return Err(ConfigError(format!(
            "{} is empty",
            absolute(path).display()
        )));
    }
    Ok(key)
}
// --8<-- [end:secret-key]

"""Settings read from the environment, with Open WebUI's names and defaults.

Upstream reads these in `open_webui/env.py` and `open_webui/config.py`. Only the
variables this slice of the API uses are read; everything else keeps upstream's
default behaviour by not existing here.
"""

import base64
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reference_backend.utils.durations import parse_duration

# The file `open-webui serve` keeps its generated secret in, relative to the
# working directory: the same file lets both servers share one secret.
SECRET_KEY_FILE = ".webui_secret_key"
TRUE_STRINGS = ("true", "1", "yes", "on")
ROLES = ("pending", "user", "admin")
HASH_ALGORITHMS = ("bcrypt", "argon2")
# What a PRAGMA value may be, since it is pasted into SQL: a number or a bare word.
PRAGMA_VALUE = re.compile(r"-?[0-9]+|[A-Za-z]+")


# --8<-- [start:settings]
@dataclass(frozen=True)
class Settings:
    """The process-wide settings, fixed at start-up."""

    host: str
    port: int
    data_dir: Path
    database_url: str
    secret_key: str
    jwt_expires_in: str
    default_user_role: str
    enable_signup: bool
    enable_api_keys: bool
    password_hash_algorithm: str
    cookie_secure: bool
    cors_allow_origin: tuple[str, ...]
    redis_url: str
    redis_key_prefix: str
    sqlite_pragmas: tuple[tuple[str, str], ...]
    user_active_status_update_interval: float
    # The OpenAI-compatible connections a first start seeds into the config table.
    enable_openai_api: bool
    openai_api_base_urls: tuple[str, ...]
    openai_api_keys: tuple[str, ...]
    openai_api_configs: dict
    # Seconds; None waits for ever, as upstream does when the variable is empty.
    aiohttp_client_timeout: int | None
    aiohttp_client_timeout_model_list: int | None
    # How long one user's gathered provider model list is reused, in seconds.
    models_cache_ttl: int | None
    # The largest request body in bytes, answered 413 above it; None: no limit.
    max_request_body_size: int | None
    # The hardening options, all off by default: the twins' own, upstream has none.
    # Refuse session tokens without `exp`: a leaked one would work for ever.
    require_token_expiry: bool
    # Take no credential from another scheme ("Basic x"): it may be a proxy's.
    bearer_only: bool
    # Revoke signed-out tokens in a table: without Redis they stay valid otherwise.
    revocation_table: bool
    # Trim emails and cap their length, so " a@x.com " is not a second account.
    strict_emails: bool
    # Store only upstream's three roles: another ("superadmin") matches no guard.
    strict_roles: bool

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> "Settings":
        """Read the settings; a value upstream would refuse stops the start."""
        env = dict(os.environ if environ is None else environ)
        data_dir = Path(env.get("DATA_DIR", "data")).resolve()
        jwt_expires_in = env.get("JWT_EXPIRES_IN", "4w")
        parse_duration(jwt_expires_in)
        return cls(
            host=env.get("HOST", "0.0.0.0"),
            port=int(env.get("PORT", "8080")),
            data_dir=data_dir,
            database_url=database_url(env, data_dir),
            secret_key=secret_key(env),
            jwt_expires_in=jwt_expires_in,
            default_user_role=choice(env, "DEFAULT_USER_ROLE", "pending", ROLES),
            enable_signup=flag(env, "ENABLE_SIGNUP", default=True),
            enable_api_keys=flag(env, "ENABLE_API_KEYS", default=False),
            password_hash_algorithm=choice(
                env, "PASSWORD_HASH_ALGORITHM", "bcrypt", HASH_ALGORITHMS
            ),
            cookie_secure=flag(env, "WEBUI_AUTH_COOKIE_SECURE", default=False),
            cors_allow_origin=tuple(env.get("CORS_ALLOW_ORIGIN", "*").split(";")),
            redis_url=env.get("REDIS_URL", ""),
            redis_key_prefix=env.get("REDIS_KEY_PREFIX", "open-webui"),
            sqlite_pragmas=sqlite_pragmas(
                (
                    "synchronous",
                    env.get("DATABASE_SQLITE_PRAGMA_SYNCHRONOUS", "NORMAL"),
                ),
                (
                    "busy_timeout",
                    env.get("DATABASE_SQLITE_PRAGMA_BUSY_TIMEOUT", "5000"),
                ),
                ("cache_size", env.get("DATABASE_SQLITE_PRAGMA_CACHE_SIZE", "-65536")),
                ("temp_store", env.get("DATABASE_SQLITE_PRAGMA_TEMP_STORE", "MEMORY")),
                ("mmap_size", env.get("DATABASE_SQLITE_PRAGMA_MMAP_SIZE", "268435456")),
                (
                    "journal_size_limit",
                    env.get("DATABASE_SQLITE_PRAGMA_JOURNAL_SIZE_LIMIT", "67108864"),
                ),
            ),
            user_active_status_update_interval=number_or(
                env.get("DATABASE_USER_ACTIVE_STATUS_UPDATE_INTERVAL", "60"), 60.0
            ),
            # Only "true" (any case) enables, not upstream's other true strings.
            enable_openai_api=env.get("ENABLE_OPENAI_API", "True").lower() == "true",
            openai_api_base_urls=openai_base_urls(env),
            openai_api_keys=openai_keys(env),
            openai_api_configs=openai_configs(env),
            aiohttp_client_timeout=timeout_or(
                env.get("AIOHTTP_CLIENT_TIMEOUT", ""), 300
            ),
            aiohttp_client_timeout_model_list=timeout_or(
                env.get(
                    "AIOHTTP_CLIENT_TIMEOUT_MODEL_LIST",
                    env.get("AIOHTTP_CLIENT_TIMEOUT_OPENAI_MODEL_LIST", "10"),
                ),
                10,
            ),
            models_cache_ttl=seconds_or(env.get("MODELS_CACHE_TTL", "1"), 1),
            max_request_body_size=body_size_limit(env.get("MAX_REQUEST_BODY_SIZE", "")),
            require_token_expiry=flag(
                env, "WEBUI_AUTH_REQUIRE_TOKEN_EXPIRY", default=False
            ),
            bearer_only=flag(env, "WEBUI_AUTH_BEARER_ONLY", default=False),
            revocation_table=flag(env, "WEBUI_AUTH_REVOCATION_TABLE", default=False),
            strict_emails=flag(env, "WEBUI_AUTH_STRICT_EMAILS", default=False),
            strict_roles=flag(env, "WEBUI_AUTH_STRICT_ROLES", default=False),
        )


# --8<-- [end:settings]


# --8<-- [start:environ]
def flag(env: dict[str, str], name: str, *, default: bool) -> bool:
    """Upstream's boolean parsing: only "true" (any case) and friends are true."""
    if name not in env:
        return default
    return env[name].strip().lower() in TRUE_STRINGS


def choice(env: dict[str, str], name: str, default: str, allowed: tuple[str, ...]):
    """A value from a closed set; anything else is a configuration error."""
    value = env.get(name, default)
    if value not in allowed:
        raise ValueError(f"{name}={value!r}: expected one of {', '.join(allowed)}")
    return value


def number_or(value: str, default: float) -> float:
    """Upstream's lenient number: a value that is not a number reads as the default."""
    try:
        return float(value)
    except ValueError:
        return default


def body_size_limit(value: str) -> int | None:
    """`MAX_REQUEST_BODY_SIZE` in bytes, unset or empty for no limit; anything but a
    positive integer is a configuration error. The twins' own: upstream has none."""
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or int(value) == 0:
        raise ValueError(
            f"MAX_REQUEST_BODY_SIZE={value!r}: expected a positive number of bytes"
        )
    return int(value)


# --8<-- [end:environ]


# --8<-- [start:openai-connections]
OPENAI_DEFAULT_URL = "https://api.openai.com/v1"


def openai_base_urls(env: dict[str, str]) -> tuple[str, ...]:
    """`OPENAI_API_BASE_URLS`, `;`-separated; else `OPENAI_API_BASE_URL`; else OpenAI.

    An empty entry means OpenAI's own URL. Only the single-URL variable loses a
    trailing slash, as upstream has it.
    """
    urls = env.get("OPENAI_API_BASE_URLS", "")
    if not urls:
        urls = env.get("OPENAI_API_BASE_URL", "").removesuffix("/")
    return tuple(url.strip() if url else OPENAI_DEFAULT_URL for url in urls.split(";"))


def openai_keys(env: dict[str, str]) -> tuple[str, ...]:
    """`OPENAI_API_KEYS`, else `OPENAI_API_KEY`, `;`-separated.

    Not yet one per URL: upstream pads or truncates the stored list when it first
    gathers the models (`utils/models.connections`).
    """
    keys = env.get("OPENAI_API_KEYS", "") or env.get("OPENAI_API_KEY", "")
    return tuple(key.strip() for key in keys.split(";"))


def openai_configs(env: dict[str, str]) -> dict:
    """`OPENAI_API_CONFIGS`, a JSON object per connection; anything else is ignored."""
    try:
        configs = json.loads(env.get("OPENAI_API_CONFIGS", "") or "{}")
    except ValueError:
        return {}
    return configs if isinstance(configs, Mapping) else {}


def seconds_or(value: str, default: int) -> int | None:
    """Seconds as upstream reads them (`MODELS_CACHE_TTL`, and the timeouts through
    `timeout_or`): empty is None, an integer is seconds, anything else the default."""
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return default


def timeout_or(value: str, default: int) -> int | None:
    """An aiohttp timeout, read as `seconds_or` reads it; aiohttp takes 0 or less as
    no limit, so that is None too."""
    seconds = seconds_or(value, default)
    return seconds if seconds and seconds > 0 else None


# --8<-- [end:openai-connections]


# --8<-- [start:sqlite-pragmas]
def sqlite_pragmas(*values: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    """The `(pragma, value)` pairs every new SQLite connection runs, in this order.

    An empty value leaves that PRAGMA out, as upstream does. Upstream pastes the
    values into SQL unchecked; here anything but an integer or a word stops the start,
    so a value cannot smuggle in another statement.
    """
    pragmas = []
    for pragma, value in values:
        if not value:
            continue
        if not PRAGMA_VALUE.fullmatch(value):
            # Upstream names each variable after its PRAGMA.
            name = f"DATABASE_SQLITE_PRAGMA_{pragma.upper()}"
            raise ValueError(f"{name}={value!r}: expected an integer or a word")
        pragmas.append((pragma, value))
    return tuple(pragmas)


# --8<-- [end:sqlite-pragmas]


# --8<-- [start:database-url]
def database_url(env: dict[str, str], data_dir: Path) -> str:
    """`DATABASE_URL`, or the SQLite file upstream uses: `$DATA_DIR/webui.db`."""
    url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'webui.db'}"
    # Upstream accepts Heroku-style postgres:// URLs; SQLAlchemy does not.
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


# --8<-- [end:database-url]


# --8<-- [start:secret-key]
def secret_key(env: dict[str, str]) -> str:
    """`WEBUI_SECRET_KEY`, or the key `open-webui serve` would generate and keep.

    Upstream refuses to run with an empty key; so does this backend.
    """
    key = env.get("WEBUI_SECRET_KEY", env.get("WEBUI_JWT_SECRET_KEY"))
    if key is not None:
        if not key:
            raise ValueError("WEBUI_SECRET_KEY is set but empty")
        return key
    path = Path(SECRET_KEY_FILE)
    if not path.exists():
        path.write_text(base64.b64encode(secrets.token_bytes(24)).decode())
        path.chmod(0o600)
    key = path.read_text()
    if not key:
        raise ValueError(f"{path.resolve()} is empty")
    return key


# --8<-- [end:secret-key]

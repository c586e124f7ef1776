"""Settings from the environment: upstream's names, defaults and refusals."""

import os
import re
from pathlib import Path

import pytest

from reference_backend.env import SECRET_KEY_FILE, Settings

from .conftest import SECRET


def test_defaults_are_upstreams(tmp_path):
    settings = Settings.from_environ(
        {"DATA_DIR": str(tmp_path), "WEBUI_SECRET_KEY": SECRET}
    )
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)
    assert settings.database_url == f"sqlite:///{tmp_path / 'webui.db'}"
    assert settings.jwt_expires_in == "4w"
    assert settings.default_user_role == "pending"
    assert settings.enable_signup is True
    assert settings.enable_api_keys is False
    assert settings.password_hash_algorithm == "bcrypt"
    assert settings.cookie_secure is False
    assert settings.cors_allow_origin == ("*",)
    assert settings.redis_url == ""
    assert settings.redis_key_prefix == "open-webui"
    assert settings.sqlite_pragmas == (
        ("synchronous", "NORMAL"),
        ("busy_timeout", "5000"),
        ("cache_size", "-65536"),
        ("temp_store", "MEMORY"),
        ("mmap_size", "268435456"),
        ("journal_size_limit", "67108864"),
    )
    assert settings.user_active_status_update_interval == 60.0
    assert settings.max_request_body_size is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_urls_map_to_sqlalchemy_drivers(url, expected):
    settings = Settings.from_environ({"DATABASE_URL": url, "WEBUI_SECRET_KEY": SECRET})
    assert settings.database_url == expected


@pytest.mark.parametrize(
    ("raw", "value"),
    [("true", True), ("True", True), ("1", True), ("false", False), ("no", False)],
)
def test_flags_parse_like_upstream(raw, value):
    env = {"ENABLE_API_KEYS": raw, "WEBUI_SECRET_KEY": SECRET}
    assert Settings.from_environ(env).enable_api_keys is value


# --8<-- [start:refusals]
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEFAULT_USER_ROLE": "owner"}, "DEFAULT_USER_ROLE='owner'"),
        ({"PASSWORD_HASH_ALGORITHM": "md5"}, "PASSWORD_HASH_ALGORITHM='md5'"),
        ({"JWT_EXPIRES_IN": "forever"}, "invalid duration 'forever'"),
        ({"WEBUI_SECRET_KEY": ""}, "WEBUI_SECRET_KEY is set but empty"),
        (
            {"DATABASE_SQLITE_PRAGMA_SYNCHRONOUS": "OFF; DROP TABLE chat"},
            "DATABASE_SQLITE_PRAGMA_SYNCHRONOUS='OFF; DROP TABLE chat'",
        ),
    ],
)
def test_values_upstream_would_refuse_stop_the_start(env, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Settings.from_environ({"WEBUI_SECRET_KEY": SECRET, **env})


# --8<-- [end:refusals]


@pytest.mark.parametrize("value", ["1.5", "- 1", "NORMAL ", "2)", "x\n"])
def test_a_pragma_value_must_be_an_integer_or_a_word(value):
    env = {"DATABASE_SQLITE_PRAGMA_MMAP_SIZE": value, "WEBUI_SECRET_KEY": SECRET}
    with pytest.raises(ValueError, match="DATABASE_SQLITE_PRAGMA_MMAP_SIZE="):
        Settings.from_environ(env)


def test_an_empty_pragma_is_left_out():
    env = {
        "DATABASE_SQLITE_PRAGMA_SYNCHRONOUS": "off",
        "DATABASE_SQLITE_PRAGMA_MMAP_SIZE": "",
        "DATABASE_SQLITE_PRAGMA_JOURNAL_SIZE_LIMIT": "-1",
        "WEBUI_SECRET_KEY": SECRET,
    }
    pragmas = dict(Settings.from_environ(env).sqlite_pragmas)
    assert "mmap_size" not in pragmas
    assert (pragmas["synchronous"], pragmas["journal_size_limit"]) == ("off", "-1")


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("30", 30.0), ("0.5", 0.5), ("0", 0.0), ("-1", -1.0), ("soon", 60.0), ("", 60.0)],
)
def test_the_activity_interval_falls_back_to_60_like_upstream(raw, seconds):
    env = {
        "DATABASE_USER_ACTIVE_STATUS_UPDATE_INTERVAL": raw,
        "WEBUI_SECRET_KEY": SECRET,
    }
    assert Settings.from_environ(env).user_active_status_update_interval == seconds


def test_missing_secret_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = Settings.from_environ({}).secret_key
    assert len(first) == 32  # 24 random bytes, base64-encoded
    assert Path(SECRET_KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert Settings.from_environ({}).secret_key == first


def test_os_environ_is_the_default_source(monkeypatch):
    monkeypatch.setenv("WEBUI_SECRET_KEY", SECRET)
    monkeypatch.setenv("PORT", "9123")
    assert Settings.from_environ().port == 9123
    assert os.environ["PORT"] == "9123"


def test_openai_connections_default_to_openai_itself(tmp_path):
    settings = Settings.from_environ(
        {"DATA_DIR": str(tmp_path), "WEBUI_SECRET_KEY": SECRET}
    )
    assert settings.enable_openai_api is True
    assert settings.openai_api_base_urls == ("https://api.openai.com/v1",)
    assert settings.openai_api_keys == ("",)
    assert settings.openai_api_configs == {}
    assert settings.aiohttp_client_timeout is None
    assert settings.aiohttp_client_timeout_model_list == 10
    assert settings.models_cache_ttl == 1


def test_openai_connections_are_semicolon_lists(tmp_path):
    settings = Settings.from_environ(
        {
            "DATA_DIR": str(tmp_path),
            "WEBUI_SECRET_KEY": SECRET,
            "ENABLE_OPENAI_API": "yes",
            "OPENAI_API_BASE_URLS": "http://a/v1; ;http://b/v1",
            "OPENAI_API_KEYS": "k1; k2",
            "OPENAI_API_CONFIGS": '{"0": {"prefix_id": "a"}}',
            "AIOHTTP_CLIENT_TIMEOUT": "30",
            "AIOHTTP_CLIENT_TIMEOUT_MODEL_LIST": "soon",
        }
    )
    # Only "true" enables; " " is not empty, so it stays a (blank) URL.
    assert settings.enable_openai_api is False
    assert settings.openai_api_base_urls == ("http://a/v1", "", "http://b/v1")
    assert settings.openai_api_keys == ("k1", "k2")
    assert settings.openai_api_configs == {"0": {"prefix_id": "a"}}
    assert settings.aiohttp_client_timeout == 30
    assert settings.aiohttp_client_timeout_model_list == 10


@pytest.mark.parametrize(
    ("raw", "completion", "model_list"),
    [
        ("30", 30, 30),
        ("0", None, None),
        ("-5", None, None),
        ("", None, None),
        ("soon", 300, 10),
    ],
)
def test_a_client_timeout_of_zero_or_less_is_no_limit(raw, completion, model_list):
    """Upstream hands the values to aiohttp, which reads 0 or less as no limit; a
    value that is not a number falls back to each variable's default."""
    settings = Settings.from_environ(
        {
            "WEBUI_SECRET_KEY": SECRET,
            "AIOHTTP_CLIENT_TIMEOUT": raw,
            "AIOHTTP_CLIENT_TIMEOUT_MODEL_LIST": raw,
        }
    )
    assert settings.aiohttp_client_timeout == completion
    assert settings.aiohttp_client_timeout_model_list == model_list


def test_the_single_url_variable_loses_its_trailing_slash(tmp_path):
    settings = Settings.from_environ(
        {
            "DATA_DIR": str(tmp_path),
            "WEBUI_SECRET_KEY": SECRET,
            "OPENAI_API_BASE_URL": "http://a/v1/",
            "OPENAI_API_KEY": "k",
            "OPENAI_API_CONFIGS": "[1]",
        }
    )
    assert settings.openai_api_base_urls == ("http://a/v1",)
    assert settings.openai_api_keys == ("k",)
    assert settings.openai_api_configs == {}


@pytest.mark.parametrize(
    ("raw", "size"), [("", None), ("1048576", 1048576), (" 10 ", 10)]
)
def test_a_body_size_limit_is_a_number_of_bytes(raw, size):
    env = {"MAX_REQUEST_BODY_SIZE": raw, "WEBUI_SECRET_KEY": SECRET}
    assert Settings.from_environ(env).max_request_body_size == size


@pytest.mark.parametrize("raw", ["0", "-1", "1e6", "10MB"])
def test_a_body_size_limit_must_be_a_positive_integer(raw):
    env = {"MAX_REQUEST_BODY_SIZE": raw, "WEBUI_SECRET_KEY": SECRET}
    with pytest.raises(ValueError, match="MAX_REQUEST_BODY_SIZE="):
        Settings.from_environ(env)


# Each hardening variable and the setting it turns on.
HARDENING = {
    "WEBUI_AUTH_REQUIRE_TOKEN_EXPIRY": "require_token_expiry",
    "WEBUI_AUTH_BEARER_ONLY": "bearer_only",
    "WEBUI_AUTH_REVOCATION_TABLE": "revocation_table",
    "WEBUI_AUTH_STRICT_EMAILS": "strict_emails",
    "WEBUI_AUTH_STRICT_ROLES": "strict_roles",
}


def test_the_hardening_options_are_off_by_default(settings):
    assert [getattr(settings, field) for field in HARDENING.values()] == [False] * 5


@pytest.mark.parametrize(("name", "field"), HARDENING.items())
@pytest.mark.parametrize(("raw", "value"), [("On", True), ("1", True), ("off", False)])
def test_each_hardening_variable_is_a_flag_of_its_own(name, field, raw, value):
    settings = Settings.from_environ({name: raw, "WEBUI_SECRET_KEY": SECRET})
    assert {other: getattr(settings, other) for other in HARDENING.values()} == {
        other: value and other == field for other in HARDENING.values()
    }

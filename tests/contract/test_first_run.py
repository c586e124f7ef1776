"""A fresh, empty server: onboarding, the first admin, and settings chosen by env.

One extra server per target serves the whole module, since Open WebUI takes about
20 s to start. Its settings are ones no other test may see: tokens without expiry,
argon2 hashes, Secure cookies, API keys off, and "user" as the default role. The
`bootstrap` fixture records the onboarding steps as they happen, before any test
can change the server; the tests then check that record.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import httpx
import pytest

from . import messages, shapes, tokens
from .api import (
    Account,
    account_from,
    bearer,
    http_client,
    signin,
    signup,
    unique_email,
)
from .cookies import SetCookie, set_cookies
from .servers import Server
from .storage import stored_password_hash
from .targets import Target

SETTINGS = {
    "JWT_EXPIRES_IN": "-1",
    "PASSWORD_HASH_ALGORITHM": "argon2",
    "WEBUI_AUTH_COOKIE_SECURE": "true",
    "ENABLE_API_KEYS": "false",
    "DEFAULT_USER_ROLE": "user",
}


@dataclass(frozen=True)
class Bootstrap:
    """What the fresh server answered, in order, while it was set up."""

    config_before: dict
    first_signup: httpx.Response
    admin: Account
    config_after: dict
    second_signup: httpx.Response


@pytest.fixture(scope="module")
def fresh(launch: Callable[[Mapping[str, str]], Server]) -> Server:
    return launch(SETTINGS)


@pytest.fixture(scope="module")
def fresh_client(fresh: Server) -> Iterator[httpx.Client]:
    with http_client(fresh.base_url) as client:
        yield client


@pytest.fixture(scope="module")
def bootstrap(fresh_client: httpx.Client) -> Bootstrap:
    config_before = fresh_client.get("/api/config").json()
    password = "first-admin-1"
    first = signup(fresh_client, unique_email("First"), password)
    admin = account_from(first, password)
    config_after = fresh_client.get("/api/config").json()
    second = signup(fresh_client, unique_email("second"), "second-user-1")
    return Bootstrap(config_before, first, admin, config_after, second)


def test_onboarding_only_while_empty(bootstrap: Bootstrap) -> None:
    assert set(bootstrap.config_before) == shapes.ANONYMOUS_CONFIG | {"onboarding"}
    assert bootstrap.config_before["onboarding"] is True
    assert bootstrap.config_before["features"]["enable_signup"] is True
    assert "onboarding" not in bootstrap.config_after


def test_first_signup_becomes_admin(bootstrap: Bootstrap) -> None:
    assert bootstrap.first_signup.status_code == 200
    assert bootstrap.admin.role == "admin"
    assert bootstrap.admin.email == bootstrap.admin.email.lower()


def test_first_signup_closes_signup(bootstrap: Bootstrap) -> None:
    assert bootstrap.config_after["features"]["enable_signup"] is False
    assert bootstrap.second_signup.status_code == 403
    assert bootstrap.second_signup.json() == {"detail": messages.ACCESS_PROHIBITED}


def test_token_without_expiry(
    bootstrap: Bootstrap, fresh: Server, target: Target
) -> None:
    """JWT_EXPIRES_IN=-1: no `exp` claim, a null `expires_at`, a session cookie.

    Hardened (`WEBUI_AUTH_REQUIRE_TOKEN_EXPIRY`), every token carries an `exp`: a
    lifetime that never ends reads as the default, four weeks."""
    body = bootstrap.first_signup.json()
    claims = tokens.claims(body["token"], fresh.secret)
    cookie = set_cookies(bootstrap.first_signup)["token"]
    if target.hardened:
        assert set(claims) == tokens.SESSION_CLAIMS
        assert claims["exp"] - claims["iat"] == tokens.FOUR_WEEKS
        assert abs(body["expires_at"] - claims["exp"]) <= 1
        assert cookie.attributes["max-age"] == str(tokens.FOUR_WEEKS)
        return
    assert body["expires_at"] is None
    assert set(claims) == tokens.SESSION_CLAIMS - {"exp"}
    assert "max-age" not in cookie.attributes


def test_session_without_expiry(
    bootstrap: Bootstrap, fresh_client: httpx.Client, target: Target
) -> None:
    response = fresh_client.get("/api/v1/auths/", headers=bootstrap.admin.headers)
    assert response.status_code == 200
    renewed = set_cookies(response)["token"]
    if target.hardened:
        assert response.json()["expires_at"] is not None
        # What is left of the token's four weeks.
        assert 0 < int(renewed.attributes["max-age"]) <= tokens.FOUR_WEEKS
        return
    assert response.json()["expires_at"] is None
    assert "max-age" not in renewed.attributes
    assert "expires" not in renewed.attributes


def assert_secure(cookie: SetCookie) -> None:
    assert cookie.attributes.get("secure") is True
    assert cookie.attributes["httponly"] is True
    assert str(cookie.attributes["samesite"]).lower() == "lax"


def test_cookies_are_secure(bootstrap: Bootstrap, fresh_client: httpx.Client):
    """WEBUI_AUTH_COOKIE_SECURE=true marks every session cookie Secure."""
    assert_secure(set_cookies(bootstrap.first_signup)["token"])
    admin = bootstrap.admin
    assert_secure(
        set_cookies(signin(fresh_client, admin.email, admin.password))["token"]
    )
    renewed = fresh_client.get("/api/v1/auths/", headers=admin.headers)
    assert_secure(set_cookies(renewed)["token"])


def test_passwords_are_hashed_with_argon2(
    bootstrap: Bootstrap, fresh: Server, fresh_client: httpx.Client
) -> None:
    admin = bootstrap.admin
    assert stored_password_hash(fresh, admin.email).startswith("$argon2")
    assert signin(fresh_client, admin.email, admin.password).status_code == 200
    assert signin(fresh_client, admin.email, "wrong-password").status_code == 400


def test_api_keys_disabled(bootstrap: Bootstrap, fresh_client: httpx.Client) -> None:
    admin = bootstrap.admin
    config = fresh_client.get("/api/config", headers=admin.headers).json()
    assert config["features"]["enable_api_keys"] is False
    for method in ("POST", "GET", "DELETE"):
        response = fresh_client.request(
            method, "/api/v1/auths/api_key", headers=admin.headers
        )
        assert response.status_code == 403
        assert response.json() == {"detail": messages.API_KEY_CREATION_NOT_ALLOWED}


def set_api_keys(client: httpx.Client, admin: Account, enabled: bool) -> None:
    path = "/api/v1/auths/admin/config"
    config = client.get(path, headers=admin.headers).json()
    response = client.post(
        path, headers=admin.headers, json=config | {"ENABLE_API_KEYS": enabled}
    )
    assert response.json()["ENABLE_API_KEYS"] is enabled


def test_disabling_api_keys_stops_existing_keys(
    bootstrap: Bootstrap, fresh_client: httpx.Client
) -> None:
    """A key made while keys were enabled stops working once they are disabled."""
    admin = bootstrap.admin
    set_api_keys(fresh_client, admin, enabled=True)
    try:
        key = fresh_client.post("/api/v1/auths/api_key", headers=admin.headers)
        key_headers = bearer(key.json()["api_key"])
        assert (
            fresh_client.get("/api/v1/chats/", headers=key_headers).status_code == 200
        )
    finally:
        set_api_keys(fresh_client, admin, enabled=False)
    response = fresh_client.get("/api/v1/chats/", headers=key_headers)
    assert response.status_code == 403
    assert response.json() == {"detail": messages.API_KEY_NOT_ALLOWED}


def test_default_role_from_env(
    bootstrap: Bootstrap, fresh_client: httpx.Client, target: Target
):
    """DEFAULT_USER_ROLE=user lets newcomers in at once, once signup is reopened."""
    admin = bootstrap.admin
    path = "/api/v1/auths/admin/config"
    config = fresh_client.get(path, headers=admin.headers).json()
    assert config["DEFAULT_USER_ROLE"] == "user"
    assert config["JWT_EXPIRES_IN"] == "-1"
    fresh_client.post(
        path, headers=admin.headers, json=config | {"ENABLE_SIGNUP": True}
    )
    response = signup(fresh_client, unique_email("newcomer"), "newcomer-1")
    assert response.status_code == 200
    assert response.json()["role"] == "user"
    # JWT_EXPIRES_IN=-1, which a `+hardened` twin reads as four weeks.
    assert (response.json()["expires_at"] is None) is not target.hardened

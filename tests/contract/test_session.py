"""GET /api/v1/auths/: who the caller is, and how each kind of bad credential fails."""

import time
import uuid
from email.utils import parsedate_to_datetime

import httpx
import pytest

from . import messages, shapes, tokens
from .api import Account, bearer, cookie
from .cookies import set_cookies
from .targets import Target


def test_session_user_by_bearer(client: httpx.Client, user: Account, secret: str):
    response = client.get("/api/v1/auths/", headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == shapes.SESSION_USER
    assert body["id"] == user.id
    assert body["email"] == user.email
    assert body["role"] == "user"
    assert body["token"] == user.token
    assert body["token_type"] == "Bearer"
    assert body["expires_at"] == tokens.claims(user.token, secret)["exp"]
    # Unlike signin, this returns the stored value.
    assert body["profile_image_url"] == "/user.png"
    assert isinstance(body["permissions"], dict)
    assert response.headers["cache-control"] == "no-store"


def test_session_user_by_cookie(client: httpx.Client, user: Account) -> None:
    response = client.get("/api/v1/auths/", headers=cookie(user.token))
    assert response.status_code == 200
    assert response.json()["id"] == user.id


def test_session_user_renews_the_cookie(
    client: httpx.Client, user: Account, secret: str
) -> None:
    """The cookie is set again, to live exactly as long as the token: `Max-Age` for
    browsers that read it, and the token's `exp` as `Expires` for those that do not."""
    response = client.get("/api/v1/auths/", headers=user.headers)
    renewed = set_cookies(response)["token"]
    assert renewed.value == user.token
    expires_at = tokens.claims(user.token, secret)["exp"]
    assert abs(int(renewed.attributes["max-age"]) - (expires_at - time.time())) <= 5
    expires = parsedate_to_datetime(str(renewed.attributes["expires"]))
    assert expires.timestamp() == expires_at
    assert renewed.attributes["httponly"] is True
    assert renewed.attributes["path"] == "/"
    assert str(renewed.attributes["samesite"]).lower() == "lax"


def test_pending_user_can_read_its_session(client: httpx.Client, make_user) -> None:
    """A pending user needs this to see the "awaiting approval" page."""
    pending = make_user(role="pending")
    response = client.get("/api/v1/auths/", headers=pending.headers)
    assert response.status_code == 200
    assert response.json()["role"] == "pending"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}],
    ids=["none", "bearer-without-token"],
)
def test_no_credentials(client: httpx.Client, headers: dict) -> None:
    response = client.get("/api/v1/auths/", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": messages.NOT_AUTHENTICATED}


@pytest.mark.parametrize(
    "headers",
    [bearer("garbage"), cookie("garbage"), {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["bearer", "cookie", "basic"],
)
def test_undecodable_token(client: httpx.Client, headers: dict, target: Target) -> None:
    response = client.get("/api/v1/auths/", headers=headers)
    assert response.status_code == 401
    if target.hardened and headers.get("Authorization", "").startswith("Basic"):
        # WEBUI_AUTH_BEARER_ONLY: the header carries no credential at all.
        assert response.json() == {"detail": messages.NOT_AUTHENTICATED}
        return
    assert response.json() == {"detail": messages.UNAUTHORIZED}


def test_expired_token(client: httpx.Client, user: Account, secret: str) -> None:
    expired = tokens.claims(user.token, secret) | {"exp": int(time.time()) - 60}
    response = client.get(
        "/api/v1/auths/", headers=bearer(tokens.forge(expired, secret))
    )
    assert response.status_code == 401
    assert response.json() == {"detail": messages.UNAUTHORIZED}


def test_token_signed_with_another_secret(
    client: httpx.Client, user: Account, secret: str
) -> None:
    claims = tokens.claims(user.token, secret)
    forged = tokens.forge(claims, "another-secret-" + "0" * 32)
    response = client.get("/api/v1/auths/", headers=bearer(forged))
    assert response.status_code == 401
    assert response.json() == {"detail": messages.UNAUTHORIZED}


def test_token_without_user_id(client: httpx.Client, user: Account, secret: str):
    claims = tokens.claims(user.token, secret)
    del claims["id"]
    response = client.get(
        "/api/v1/auths/", headers=bearer(tokens.forge(claims, secret))
    )
    assert response.status_code == 401
    assert response.json() == {"detail": messages.UNAUTHORIZED}


@pytest.mark.parametrize(
    "change",
    [{"session_stamp": str(uuid.uuid4())}, {"typ": "refresh"}],
    ids=["stale-session-stamp", "unknown-type"],
)
def test_token_that_no_longer_matches(
    client: httpx.Client, user: Account, secret: str, change: dict
) -> None:
    """A well-signed token is still checked against the account's session stamp."""
    forged = tokens.forge(tokens.claims(user.token, secret) | change, secret)
    response = client.get("/api/v1/auths/", headers=bearer(forged))
    assert response.status_code == 401
    assert response.json() == {"detail": messages.INVALID_TOKEN}


def test_token_of_an_unknown_user(client: httpx.Client, user: Account, secret: str):
    claims = tokens.claims(user.token, secret) | {"id": str(uuid.uuid4())}
    response = client.get(
        "/api/v1/auths/", headers=bearer(tokens.forge(claims, secret))
    )
    assert response.status_code == 401
    assert response.json() == {"detail": messages.INVALID_AUTH_REQUEST}


def test_authorization_header_wins_over_the_cookie(
    client: httpx.Client, user: Account
) -> None:
    bad_header = client.get(
        "/api/v1/auths/", headers=bearer("garbage") | cookie(user.token)
    )
    assert bad_header.status_code == 401
    good_header = client.get("/api/v1/auths/", headers=user.headers | cookie("garbage"))
    assert good_header.status_code == 200
    assert good_header.json()["id"] == user.id

"""POST /api/v1/auths/signin: the session a password buys, and each way it fails."""

import time

import httpx
import pytest

from . import messages, shapes, tokens
from .api import Account, signin
from .cookies import set_cookies


def test_signin_returns_a_session(client: httpx.Client, user: Account) -> None:
    response = signin(client, user.email, user.password)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == shapes.SESSION
    assert body["id"] == user.id
    assert body["email"] == user.email
    assert body["name"] == user.name
    assert body["role"] == "user"
    assert body["token_type"] == "Bearer"
    # Sign-in answers point at the image endpoint, never at the stored value.
    assert body["profile_image_url"] == f"/api/v1/users/{user.id}/profile/image"
    assert isinstance(body["permissions"], dict)
    assert response.headers["cache-control"] == "no-store"


def test_permissions_of_a_user(client: httpx.Client, user: Account) -> None:
    """The defaults a user starts with, as far as this slice enforces them: the
    client hides what these deny, and the server refuses it too."""
    permissions = signin(client, user.email, user.password).json()["permissions"]
    assert set(permissions) == shapes.PERMISSION_SECTIONS
    assert permissions["workspace"]["models"] is False
    assert permissions["features"]["api_keys"] is False
    assert permissions["chat"]["delete"] is True
    assert permissions["chat"]["share"] is True
    assert permissions["settings"]["interface"] is True
    session = client.get("/api/v1/auths/", headers=user.headers).json()
    assert session["permissions"] == permissions


def test_signin_token_claims(client: httpx.Client, user: Account, secret: str) -> None:
    before = int(time.time())
    body = signin(client, user.email, user.password).json()
    claims = tokens.claims(body["token"], secret)
    assert set(claims) == tokens.SESSION_CLAIMS
    assert claims["id"] == user.id
    assert claims["typ"] == "session"
    assert claims["auth_method"] == "password"
    assert claims["mfa_verified"] is False
    assert isinstance(claims["session_stamp"], str)
    assert isinstance(claims["jti"], str)
    assert before <= claims["iat"] <= int(time.time())
    assert abs(claims["auth_time"] - claims["iat"]) <= 1
    # exp and iat come from two clock reads, which may straddle a second.
    assert abs(claims["exp"] - claims["iat"] - tokens.FOUR_WEEKS) <= 1
    assert abs(body["expires_at"] - claims["exp"]) <= 1


def test_each_signin_is_a_new_token(client: httpx.Client, user: Account, secret: str):
    first = signin(client, user.email, user.password).json()["token"]
    second = signin(client, user.email, user.password).json()["token"]
    assert tokens.claims(first, secret)["jti"] != tokens.claims(second, secret)["jti"]


def test_signin_sets_the_token_cookie(client: httpx.Client, user: Account) -> None:
    response = signin(client, user.email, user.password)
    cookie = set_cookies(response)["token"]
    assert cookie.value == response.json()["token"]
    assert cookie.attributes["httponly"] is True
    assert cookie.attributes["max-age"] == str(tokens.FOUR_WEEKS)
    assert cookie.attributes["path"] == "/"
    assert str(cookie.attributes["samesite"]).lower() == "lax"
    # Secure only when WEBUI_AUTH_COOKIE_SECURE is set: a plain-HTTP dev server works.
    assert "secure" not in cookie.attributes


def test_signin_lowercases_the_email(client: httpx.Client, user: Account) -> None:
    response = signin(client, user.email.upper(), user.password)
    assert response.status_code == 200
    assert response.json()["id"] == user.id


def test_wrong_password_and_unknown_email_look_the_same(
    client: httpx.Client, user: Account
) -> None:
    """Both answers are identical, so a caller cannot probe which emails exist."""
    wrong = signin(client, user.email, "not-the-password")
    unknown = signin(client, f"nobody-{user.email}", user.password)
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert response.json() == {"detail": messages.INVALID_CRED}
        assert response.headers["cache-control"] == "no-store"
        assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "body",
    [
        {"email": "someone@example.com"},
        {"password": "secret"},
        {"email": "someone@example.com", "password": None},
        {"email": ["someone@example.com"], "password": "secret"},
    ],
    ids=["no-password", "no-email", "null-password", "list-email"],
)
def test_invalid_signin_body(client: httpx.Client, body: dict) -> None:
    """Auth routes hide validation details behind one fixed message."""
    response = client.post("/api/v1/auths/signin", json=body)
    assert response.status_code == 422
    assert response.json() == {"detail": messages.INVALID_AUTH_REQUEST}
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"email": "someone@example.com", ', "application/json"),
        (
            b"email=someone%40example.com&password=x",
            "application/x-www-form-urlencoded",
        ),
        (b"", "application/json"),
    ],
    ids=["truncated-json", "form-encoded", "empty"],
)
def test_malformed_signin_body(
    client: httpx.Client, content: bytes, content_type: str
) -> None:
    response = client.post(
        "/api/v1/auths/signin", content=content, headers={"content-type": content_type}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": messages.INVALID_AUTH_REQUEST}


def test_the_sixteenth_attempt_on_one_email_within_minutes_is_refused(
    client: httpx.Client,
) -> None:
    """Fifteen tries per address in a rolling three minutes, counted before the
    password is checked, so right and wrong passwords alike use them up."""
    email = f"throttled-{time.time_ns()}@example.com"
    statuses = [signin(client, email, "wrong").status_code for _ in range(15)]
    assert statuses == [400] * 15
    refused = signin(client, email.upper(), "wrong")
    assert refused.status_code == 429
    assert refused.json() == {"detail": messages.RATE_LIMIT_EXCEEDED}
    assert refused.headers["cache-control"] == "no-store"

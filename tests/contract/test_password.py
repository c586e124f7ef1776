"""POST /api/v1/auths/update/password: a new password ends every old session."""

import httpx

from . import messages
from .api import Account, bearer, signin
from .targets import Target


def change_password(
    client: httpx.Client, account: Account, old: str, new: str
) -> httpx.Response:
    return client.post(
        "/api/v1/auths/update/password",
        headers=account.headers,
        json={"password": old, "new_password": new},
    )


def test_wrong_current_password_changes_nothing(
    client: httpx.Client, user: Account
) -> None:
    response = change_password(client, user, "not-the-password", "new-password-1")
    assert response.status_code == 400
    assert response.json() == {"detail": messages.INCORRECT_PASSWORD}
    assert response.headers["cache-control"] == "no-store"
    assert client.get("/api/v1/auths/", headers=user.headers).status_code == 200
    assert signin(client, user.email, user.password).status_code == 200


def test_new_password_revokes_every_session(
    client: httpx.Client, user: Account
) -> None:
    other_session = signin(client, user.email, user.password).json()["token"]
    response = change_password(client, user, user.password, "new-password-1")
    assert response.status_code == 200
    assert response.json() is True
    for token in (user.token, other_session):
        stale = client.get("/api/v1/auths/", headers=bearer(token))
        assert stale.status_code == 401
        assert stale.json() == {"detail": messages.INVALID_TOKEN}
    assert signin(client, user.email, user.password).status_code == 400
    fresh = signin(client, user.email, "new-password-1")
    assert fresh.status_code == 200
    renewed = bearer(fresh.json()["token"])
    assert client.get("/api/v1/auths/", headers=renewed).status_code == 200


def test_password_change_needs_both_fields(client: httpx.Client, user: Account):
    response = client.post(
        "/api/v1/auths/update/password",
        headers=user.headers,
        json={"password": user.password},
    )
    assert response.status_code == 422
    assert response.json() == {"detail": messages.INVALID_AUTH_REQUEST}
    assert signin(client, user.email, user.password).status_code == 200


def test_new_password_is_limited_to_72_bytes(
    client: httpx.Client, user: Account, target: Target
) -> None:
    """bcrypt's limit; argon2, which a `+hardened` twin hashes with, has none."""
    response = change_password(client, user, user.password, "é" * 37)
    if target.hardened:
        assert response.status_code == 200, response.text
        assert signin(client, user.email, "é" * 37).status_code == 200
        return
    assert response.status_code == 400
    assert response.json() == {"detail": messages.PASSWORD_TOO_LONG}
    assert client.get("/api/v1/auths/", headers=user.headers).status_code == 200


def test_pending_user_can_change_its_password(client: httpx.Client, make_user) -> None:
    pending = make_user(role="pending")
    response = change_password(client, pending, pending.password, "new-password-1")
    assert response.status_code == 200
    assert signin(client, pending.email, "new-password-1").status_code == 200

"""POST /api/v1/auths/add: the admin panel's "add user", past the signup gate."""

from collections.abc import Callable

import httpx
import pytest

from . import messages, shapes, tokens
from .api import Account, bearer, signin, unique_email
from .targets import Target


def add(client: httpx.Client, admin: Account, **fields: object) -> httpx.Response:
    body = {"name": "Added", "email": unique_email("added"), "password": "password-1"}
    return client.post("/api/v1/auths/add", headers=admin.headers, json=body | fields)


def test_add_user(client: httpx.Client, admin: Account, secret: str) -> None:
    email = unique_email("Added")
    response = add(client, admin, email=email, role="user")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == shapes.ADDED_USER
    assert body["email"] == email.lower()
    assert body["role"] == "user"
    assert body["token_type"] == "Bearer"
    assert body["profile_image_url"] == f"/api/v1/users/{body['id']}/profile/image"
    assert response.headers["cache-control"] == "no-store"
    # The returned token is a session of the new user, usable at once.
    assert tokens.claims(body["token"], secret)["id"] == body["id"]
    session = client.get("/api/v1/auths/", headers=bearer(body["token"]))
    assert session.json()["id"] == body["id"]
    assert signin(client, email, "password-1").json()["id"] == body["id"]


def test_added_users_are_pending_by_default(
    client: httpx.Client, admin: Account
) -> None:
    response = add(client, admin)
    assert response.json()["role"] == "pending"


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"email": "not-an-email"}, messages.INVALID_EMAIL_FORMAT),
        ({"password": "é" * 37}, messages.PASSWORD_TOO_LONG),
    ],
    ids=["invalid-email", "password-too-long"],
)
def test_add_user_validates(
    client: httpx.Client, admin: Account, fields: dict, detail: str, target: Target
) -> None:
    response = add(client, admin, **fields)
    if target.hardened and detail == messages.PASSWORD_TOO_LONG:
        # bcrypt's limit; argon2, which a `+hardened` twin hashes with, has none.
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 400
    assert response.json() == {"detail": detail}


def test_add_user_rejects_a_taken_email(
    client: httpx.Client, admin: Account, user: Account
) -> None:
    response = add(client, admin, email=user.email.upper(), name="Impostor")
    assert response.status_code == 400
    assert response.json() == {"detail": messages.EMAIL_TAKEN}
    assert signin(client, user.email, user.password).json()["name"] == user.name


def test_add_user_requires_a_password(client: httpx.Client, admin: Account) -> None:
    response = client.post(
        "/api/v1/auths/add",
        headers=admin.headers,
        json={"name": "No Password", "email": unique_email()},
    )
    assert response.status_code == 422
    assert response.json() == {"detail": messages.INVALID_AUTH_REQUEST}


@pytest.mark.parametrize("role", ["user", "pending"])
def test_only_admins_add_users(
    client: httpx.Client, make_user: Callable[..., Account], role: str
) -> None:
    caller = make_user(role=role)
    email = unique_email("smuggled")
    response = client.post(
        "/api/v1/auths/add",
        headers=caller.headers,
        json={"name": "Smuggled", "email": email, "password": "password-1"},
    )
    # Upstream answers role failures with 401, not 403.
    assert response.status_code == 401
    assert response.json() == {"detail": messages.ACCESS_PROHIBITED}
    assert signin(client, email, "password-1").status_code == 400

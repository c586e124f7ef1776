"""POST /api/v1/auths/update/profile: a user edits its own name and picture."""

from collections.abc import Callable

import httpx

from . import messages, shapes
from .api import Account


def session_user(client: httpx.Client, account: Account) -> dict:
    return client.get("/api/v1/auths/", headers=account.headers).json()


def test_update_profile(client: httpx.Client, user: Account) -> None:
    picture = "data:image/png;base64,iVBORw0KGgo="
    response = client.post(
        "/api/v1/auths/update/profile",
        headers=user.headers,
        json={"name": "Renamed User", "profile_image_url": picture, "bio": "Hi."},
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == shapes.PROFILE
    assert body == {
        "id": user.id,
        "name": "Renamed User",
        "role": "user",
        "email": user.email,
        "profile_image_url": picture,
    }
    assert response.headers["cache-control"] == "no-store"
    stored = session_user(client, user)
    assert stored["name"] == "Renamed User"
    assert stored["profile_image_url"] == picture
    assert stored["bio"] == "Hi."


def test_profile_update_needs_name_and_picture(
    client: httpx.Client, user: Account
) -> None:
    response = client.post(
        "/api/v1/auths/update/profile", headers=user.headers, json={"name": "Only"}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": messages.INVALID_AUTH_REQUEST}
    assert session_user(client, user)["name"] == user.name


def test_pending_user_cannot_edit_its_profile(
    client: httpx.Client, make_user: Callable[..., Account]
) -> None:
    pending = make_user(role="pending")
    response = client.post(
        "/api/v1/auths/update/profile",
        headers=pending.headers,
        json={"name": "Impatient", "profile_image_url": "/user.png"},
    )
    assert response.status_code == 401
    assert response.json() == {"detail": messages.ACCESS_PROHIBITED}
    assert session_user(client, pending)["name"] == pending.name

"""/api/v1/auths/api_key: one key per user, usable wherever a token is, but not as a
human session. The session's server has ENABLE_API_KEYS on; test_first_run.py covers
a server where it is off."""

import re
from collections.abc import Callable

import httpx
import pytest

from . import messages
from .api import Account, bearer

PATH = "/api/v1/auths/api_key"
KEY_FORMAT = re.compile(r"sk-[0-9a-f]{32}")


@pytest.fixture
def key_admin(make_user: Callable[..., Account]) -> Account:
    """An admin of its own: the session admin's key would be shared by tests.
    Admins need no extra permission to hold a key."""
    return make_user(role="admin", label="keyholder")


def create_key(client: httpx.Client, account: Account) -> str:
    response = client.post(PATH, headers=account.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"api_key"}
    assert KEY_FORMAT.fullmatch(body["api_key"])
    return body["api_key"]


def test_no_key_yet(client: httpx.Client, key_admin: Account) -> None:
    response = client.get(PATH, headers=key_admin.headers)
    assert response.status_code == 404
    assert response.json() == {"detail": messages.API_KEY_NOT_FOUND}
    assert response.headers["cache-control"] == "no-store"


def test_create_and_read_key(client: httpx.Client, key_admin: Account) -> None:
    key = create_key(client, key_admin)
    response = client.get(PATH, headers=key_admin.headers)
    assert response.status_code == 200
    assert response.json() == {"api_key": key}


@pytest.mark.parametrize(
    "carrier",
    [bearer, lambda key: {"x-api-key": key}],
    ids=["authorization", "x-api-key"],
)
def test_key_authenticates(
    client: httpx.Client, key_admin: Account, carrier: Callable[[str], dict]
) -> None:
    key = create_key(client, key_admin)
    chat = client.post(
        "/api/v1/chats/new", headers=carrier(key), json={"chat": {"title": "By key"}}
    )
    assert chat.status_code == 200
    assert chat.json()["user_id"] == key_admin.id
    listed = client.get("/api/v1/chats/", headers=carrier(key))
    assert [item["id"] for item in listed.json()] == [chat.json()["id"]]


def test_key_is_not_a_human_session(client: httpx.Client, key_admin: Account) -> None:
    key = create_key(client, key_admin)
    response = client.get("/api/v1/auths/", headers=bearer(key))
    assert response.status_code == 403
    assert response.json() == {"detail": messages.HUMAN_SESSION_REQUIRED}


def test_new_key_replaces_the_old(client: httpx.Client, key_admin: Account) -> None:
    old = create_key(client, key_admin)
    new = create_key(client, key_admin)
    assert new != old
    assert client.get("/api/v1/chats/", headers=bearer(old)).status_code == 401
    assert client.get("/api/v1/chats/", headers=bearer(new)).status_code == 200


def test_delete_key(client: httpx.Client, key_admin: Account) -> None:
    key = create_key(client, key_admin)
    response = client.delete(PATH, headers=key_admin.headers)
    assert response.status_code == 200
    assert response.json() is True
    rejected = client.get("/api/v1/chats/", headers=bearer(key))
    assert rejected.status_code == 401
    assert rejected.json() == {"detail": messages.SESSION_EXPIRED}
    assert client.get(PATH, headers=key_admin.headers).status_code == 404


def test_unknown_key(client: httpx.Client) -> None:
    response = client.get("/api/v1/chats/", headers=bearer("sk-" + "0" * 32))
    assert response.status_code == 401
    assert response.json() == {"detail": messages.SESSION_EXPIRED}


def test_users_need_the_api_keys_permission(
    client: httpx.Client, user: Account
) -> None:
    """By default only admins may hold keys; users lack `features.api_keys`."""
    for response in (
        client.post(PATH, headers=user.headers),
        client.get(PATH, headers=user.headers),
        client.delete(PATH, headers=user.headers),
    ):
        assert response.status_code == 403
        assert response.json() == {"detail": messages.API_KEY_CREATION_NOT_ALLOWED}

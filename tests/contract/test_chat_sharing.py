"""Sharing a chat: a snapshot under its own id, readable by its link until unshared.

Without access grants a share is private to its owner and to admins; grants belong
to the groups API, outside this slice.
"""

from collections.abc import Callable

import httpx

from . import messages, shapes
from .api import Account, new_chat


def share(client: httpx.Client, owner: Account, chat_id: str) -> dict:
    response = client.post(f"/api/v1/chats/{chat_id}/share", headers=owner.headers)
    assert response.status_code == 200, response.text
    return response.json()


def read_share(
    client: httpx.Client, share_id: str, caller: Account | None
) -> httpx.Response:
    headers = caller.headers if caller else {}
    return client.get(f"/api/v1/chats/share/{share_id}", headers=headers)


def test_share_chat(client: httpx.Client, user: Account) -> None:
    chat = new_chat(client, user, {"title": "Shared"})
    shared = share(client, user, chat["id"])
    assert set(shared) == shapes.CHAT
    assert shared["id"] == chat["id"]
    assert isinstance(shared["share_id"], str)
    assert shared["share_id"] != chat["id"]
    stored = client.get(f"/api/v1/chats/{chat['id']}", headers=user.headers).json()
    assert stored["share_id"] == shared["share_id"]


def test_sharing_again_keeps_the_link(client: httpx.Client, user: Account) -> None:
    chat = new_chat(client, user)
    assert (
        share(client, user, chat["id"])["share_id"]
        == (share(client, user, chat["id"])["share_id"])
    )


def test_read_shared_chat(client: httpx.Client, user: Account, admin: Account) -> None:
    chat = new_chat(client, user, {"title": "Snapshot"})
    share_id = share(client, user, chat["id"])["share_id"]
    for reader in (user, admin):
        response = read_share(client, share_id, reader)
        assert response.status_code == 200
        snapshot = response.json()
        assert set(snapshot) == shapes.CHAT
        # The snapshot lives under the share id, not under the chat's.
        assert snapshot["id"] == share_id
        assert snapshot["user_id"] == user.id
        assert snapshot["title"] == "Snapshot"
        assert snapshot["chat"]["title"] == "Snapshot"


def test_shared_chat_is_private_by_default(
    client: httpx.Client, user: Account, make_user: Callable[..., Account]
) -> None:
    share_id = share(client, user, new_chat(client, user)["id"])["share_id"]
    stranger = read_share(client, share_id, make_user(label="stranger"))
    assert stranger.status_code == 401
    assert stranger.json() == {"detail": messages.ACCESS_PROHIBITED}
    anonymous = read_share(client, share_id, None)
    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": messages.SESSION_EXPIRED}


def test_unshare_chat(client: httpx.Client, user: Account) -> None:
    chat = new_chat(client, user)
    share_id = share(client, user, chat["id"])["share_id"]
    response = client.delete(f"/api/v1/chats/{chat['id']}/share", headers=user.headers)
    assert response.status_code == 200
    assert response.json() is True
    stored = client.get(f"/api/v1/chats/{chat['id']}", headers=user.headers).json()
    assert stored["share_id"] is None
    gone = read_share(client, share_id, user)
    assert gone.status_code == 401
    assert gone.json() == {"detail": messages.NOT_FOUND}

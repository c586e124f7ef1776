"""/api/v1/chats: create, read, update and delete one chat, and who may do what.

Upstream answers "no such chat" and "not your chat" alike, mostly with 401: a caller
cannot tell whether another user's chat id exists.
"""

import uuid
from collections.abc import Callable

import httpx

from . import messages, shapes
from .api import Account, body_of, new_chat

CONVERSATION = {
    "title": "Hello chat",
    "models": ["gpt-x"],
    "messages": [
        {"id": "m1", "role": "user", "content": "Hi"},
        {"id": "m2", "role": "assistant", "content": "Hello!", "parentId": "m1"},
    ],
    "history": {
        "currentId": "m2",
        "messages": {
            "m1": {"id": "m1", "role": "user", "content": "Hi", "childrenIds": ["m2"]},
            "m2": {"id": "m2", "role": "assistant", "content": "Hello!"},
        },
    },
}


def get_chat(client: httpx.Client, caller: Account, chat_id: str) -> httpx.Response:
    return client.get(f"/api/v1/chats/{chat_id}", headers=caller.headers)


def test_new_chat(client: httpx.Client, user: Account) -> None:
    created = new_chat(client, user, CONVERSATION)
    assert set(created) == shapes.CHAT
    assert created["user_id"] == user.id
    assert created["title"] == "Hello chat"
    assert created["current_message_id"] == "m2"
    assert (created["archived"], created["pinned"]) == (False, False)
    assert (created["share_id"], created["folder_id"]) == (None, None)
    assert (created["meta"], created["variables"]) == ({}, {})
    assert isinstance(created["created_at"], int)
    assert created["updated_at"] >= created["created_at"]
    assert created["chat"]["models"] == ["gpt-x"]


def test_new_chat_credits_its_messages(client: httpx.Client, user: Account) -> None:
    """Every message is stamped with its author; user messages also name them."""
    chat = new_chat(client, user, CONVERSATION)["chat"]
    author = {"id": user.id, "name": user.name}
    stored = [*chat["messages"], *chat["history"]["messages"].values()]
    for message in stored:
        assert message["user_id"] == user.id
        if message["role"] == "user":
            assert message["user"] == author
        else:
            assert "user" not in message


def test_new_chat_defaults(client: httpx.Client, user: Account) -> None:
    created = new_chat(client, user)
    assert created["title"] == "New Chat"
    assert created["current_message_id"] is None
    assert created["chat"] == {}


def test_current_message_without_history(client: httpx.Client, user: Account):
    """Without history.currentId the last message with an id is the current one."""
    messages_only = {"messages": [{"id": "a", "role": "user"}, {"id": "b"}, {}]}
    assert new_chat(client, user, messages_only)["current_message_id"] == "b"


def test_a_malformed_message_does_not_lose_the_chat(
    client: httpx.Client, user: Account
) -> None:
    """A message that cannot be indexed (its `info` is not an object) is not indexed;
    the chat itself is saved and reads back whole."""
    odd = {"id": "m1", "role": "user", "content": "hi", "info": "not-an-object"}
    body = {"title": "Odd", "history": {"currentId": "m1", "messages": {"m1": odd}}}
    created = new_chat(client, user, body)
    stored = client.get(f"/api/v1/chats/{created['id']}", headers=user.headers)
    assert stored.status_code == 200
    assert stored.json()["chat"]["history"]["messages"]["m1"]["info"] == "not-an-object"


def test_null_bytes_are_dropped(client: httpx.Client, user: Account) -> None:
    """PostgreSQL cannot store NUL in text, so servers drop it on every database."""
    created = new_chat(client, user, {"title": "a\u0000b", "note": "c\u0000"})
    assert created["title"] == "ab"
    assert created["chat"] == {"title": "ab", "note": "c"}


def test_get_own_chat(client: httpx.Client, user: Account) -> None:
    created = new_chat(client, user, CONVERSATION)
    response = get_chat(client, user, created["id"])
    assert response.status_code == 200
    body = response.json()
    assert set(body) == shapes.CHAT
    # The owner reads the chat as one it may continue writing.
    assert body["chat"].pop("share_mode") == "continue"
    assert body == created


def test_admin_reads_any_chat_without_its_settings(
    client: httpx.Client, admin: Account, user: Account
) -> None:
    """Admins may read users' chats, but not the owner's model settings and
    variables, and not as a chat they may continue."""
    private = {"params": {"temperature": 0.1}, "variables": {"name": "Ada"}}
    created = new_chat(client, user, CONVERSATION | private)
    response = get_chat(client, admin, created["id"])
    assert response.status_code == 200
    body = response.json()
    assert body["chat"].pop("share_mode") is None
    assert body["chat"] == CONVERSATION | {
        "messages": created["chat"]["messages"],
        "history": created["chat"]["history"],
    }
    assert body["variables"] == {}


def test_update_merges_into_the_chat(client: httpx.Client, user: Account) -> None:
    created = new_chat(client, user, CONVERSATION)
    response = client.post(
        f"/api/v1/chats/{created['id']}",
        headers=user.headers,
        json={"chat": {"title": "Renamed", "tags": ["x"]}},
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["title"] == "Renamed"
    assert updated["chat"] == created["chat"] | {"title": "Renamed", "tags": ["x"]}
    assert updated["current_message_id"] == "m2"
    stored = get_chat(client, user, created["id"]).json()
    assert stored["title"] == "Renamed"
    assert stored["chat"]["tags"] == ["x"]


def test_delete_chat(client: httpx.Client, user: Account) -> None:
    created = new_chat(client, user)
    path = f"/api/v1/chats/{created['id']}"
    response = client.delete(path, headers=user.headers)
    assert response.status_code == 200
    assert response.json() is True
    gone = get_chat(client, user, created["id"])
    assert gone.status_code == 401
    assert gone.json() == {"detail": messages.NOT_FOUND}
    again = client.delete(path, headers=user.headers)
    assert again.status_code == 404
    assert again.json() == {"detail": messages.NOT_FOUND}


def test_delete_all_chats(
    client: httpx.Client, user: Account, make_user: Callable[..., Account]
) -> None:
    bystander = make_user()
    kept = new_chat(client, bystander)
    for _ in range(3):
        new_chat(client, user)
    response = client.delete("/api/v1/chats/", headers=user.headers)
    assert response.status_code == 200
    assert response.json() is True
    assert client.get("/api/v1/chats/", headers=user.headers).json() == []
    assert get_chat(client, bystander, kept["id"]).status_code == 200


# What another user's request, or any request for an id that does not exist, gets.
FOREIGN = [
    ("GET", "", 401, messages.NOT_FOUND),
    ("POST", "", 401, messages.ACCESS_PROHIBITED),
    ("DELETE", "", 404, messages.NOT_FOUND),
    ("POST", "/pin", 401, messages.SOMETHING_WENT_WRONG),
    ("GET", "/pinned", 401, messages.SOMETHING_WENT_WRONG),
    ("POST", "/archive", 401, messages.SOMETHING_WENT_WRONG),
    ("POST", "/share", 401, messages.ACCESS_PROHIBITED),
    ("DELETE", "/share", 401, messages.ACCESS_PROHIBITED),
]


def misfits(client: httpx.Client, caller: Account, chat_id: str) -> list[str]:
    """Each FOREIGN request whose answer differs from upstream's, with the answer."""
    found = []
    for method, suffix, status, detail in FOREIGN:
        body = (
            {"chat": {"title": "Hijacked"}}
            if (method, suffix) == ("POST", "")
            else None
        )
        response = client.request(
            method,
            f"/api/v1/chats/{chat_id}{suffix}",
            headers=caller.headers,
            json=body,
        )
        if (response.status_code, body_of(response)) != (status, {"detail": detail}):
            found.append(
                f"{method} {suffix or '/'}: {response.status_code} {response.text}"
            )
    return found


def test_another_users_chat(
    client: httpx.Client, user: Account, make_user: Callable[..., Account]
) -> None:
    owner = make_user(label="owner")
    chat = new_chat(client, owner, CONVERSATION)
    assert misfits(client, user, chat["id"]) == []
    stored = get_chat(client, owner, chat["id"]).json()
    assert stored["chat"].pop("share_mode") == "continue"
    assert stored == chat


def test_nonexistent_chat(client: httpx.Client, user: Account) -> None:
    assert misfits(client, user, str(uuid.uuid4())) == []

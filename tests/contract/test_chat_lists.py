"""The sidebar's chat lists: the main list, pinned chats and the archive.

The main list leaves out pinned chats (the sidebar shows them in their own section)
and archived ones, unless asked. Folder chats, also left out, need the folders API,
which is outside this slice.
"""

import httpx
import pytest

from . import shapes
from .api import Account, new_chat

PAGE_SIZE = 60


def listed(client: httpx.Client, user: Account, path: str, **params: object) -> list:
    response = client.get(path, headers=user.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(items: list[dict]) -> set[str]:
    return {item["id"] for item in items}


def toggle(client: httpx.Client, user: Account, chat_id: str, action: str) -> dict:
    response = client.post(f"/api/v1/chats/{chat_id}/{action}", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("path", ["/api/v1/chats/", "/api/v1/chats/list"])
def test_list_items(client: httpx.Client, user: Account, path: str) -> None:
    created = new_chat(client, user, {"title": "Listed"})
    [item] = listed(client, user, path)
    assert set(item) == shapes.CHAT_LIST_ITEM
    assert item["id"] == created["id"]
    assert item["title"] == "Listed"
    assert item["updated_at"] == created["updated_at"]
    assert item["created_at"] == created["created_at"]
    assert (item["active"], item["archived"]) == (False, False)


def test_list_sorts_by_title(client: httpx.Client, user: Account) -> None:
    for title in ("Beta", "Alpha", "Gamma"):
        new_chat(client, user, {"title": title})
    ascending = listed(client, user, "/api/v1/chats/", sort_by="title", sort_dir="asc")
    assert [item["title"] for item in ascending] == ["Alpha", "Beta", "Gamma"]


def test_list_pages_hold_sixty_chats(client: httpx.Client, user: Account) -> None:
    created = {new_chat(client, user)["id"] for _ in range(PAGE_SIZE + 1)}
    first = listed(client, user, "/api/v1/chats/", page=1)
    second = listed(client, user, "/api/v1/chats/", page=2)
    assert len(first) == PAGE_SIZE
    assert len(second) == 1
    assert ids(first) | ids(second) == created
    # Without a page, the whole list comes at once.
    assert ids(listed(client, user, "/api/v1/chats/")) == created


def test_pinned_chats_have_their_own_list(client: httpx.Client, user: Account):
    plain = new_chat(client, user)
    pinned = new_chat(client, user)
    assert toggle(client, user, pinned["id"], "pin")["pinned"] is True
    assert ids(listed(client, user, "/api/v1/chats/")) == {plain["id"]}
    assert ids(listed(client, user, "/api/v1/chats/", include_pinned=True)) == {
        plain["id"],
        pinned["id"],
    }
    pinned_list = listed(client, user, "/api/v1/chats/pinned")
    assert ids(pinned_list) == {pinned["id"]}
    assert set(pinned_list[0]) == shapes.CHAT_LIST_ITEM
    status = client.get(f"/api/v1/chats/{pinned['id']}/pinned", headers=user.headers)
    assert status.json() is True


def test_pin_toggles(client: httpx.Client, user: Account) -> None:
    chat = new_chat(client, user)
    assert toggle(client, user, chat["id"], "pin")["pinned"] is True
    unpinned = toggle(client, user, chat["id"], "pin")
    assert set(unpinned) == shapes.CHAT
    assert unpinned["pinned"] is False
    status = client.get(f"/api/v1/chats/{chat['id']}/pinned", headers=user.headers)
    assert status.json() is False
    assert ids(listed(client, user, "/api/v1/chats/")) == {chat["id"]}


def test_archived_chats_leave_every_list(client: httpx.Client, user: Account):
    chat = new_chat(client, user)
    toggle(client, user, chat["id"], "pin")
    archived = toggle(client, user, chat["id"], "archive")
    assert set(archived) == shapes.CHAT
    assert archived["archived"] is True
    for path in ("/api/v1/chats/", "/api/v1/chats/pinned"):
        assert listed(client, user, path, include_pinned=True) == []
    archive = listed(client, user, "/api/v1/chats/archived")
    assert ids(archive) == {chat["id"]}
    assert set(archive[0]) == shapes.CHAT_LIST_ITEM


def test_unarchive_brings_a_chat_back(client: httpx.Client, user: Account) -> None:
    chat = new_chat(client, user)
    toggle(client, user, chat["id"], "archive")
    assert toggle(client, user, chat["id"], "archive")["archived"] is False
    assert ids(listed(client, user, "/api/v1/chats/")) == {chat["id"]}
    assert listed(client, user, "/api/v1/chats/archived") == []


def test_lists_are_per_user(client: httpx.Client, user: Account, make_user) -> None:
    new_chat(client, make_user(label="neighbour"))
    assert listed(client, user, "/api/v1/chats/") == []

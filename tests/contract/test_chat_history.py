"""How a chat's message tree is saved and read: the frontend posts the whole chat on
every turn, so the server's merge and its branch pointer decide what a reader sees."""

import httpx
import pytest

from .api import Account, new_chat


def message(message_id: str, role: str, parent: str | None, at: int) -> dict:
    return {
        "id": message_id,
        "role": role,
        "content": f"{role} {message_id}",
        "parentId": parent,
        "childrenIds": [],
        "timestamp": at,
    }


def post_chat(client: httpx.Client, caller: Account, chat_id: str, chat: dict) -> dict:
    response = client.post(
        f"/api/v1/chats/{chat_id}", headers=caller.headers, json={"chat": chat}
    )
    assert response.status_code == 200, response.text
    return response.json()


def read_chat(client: httpx.Client, caller: Account, chat_id: str) -> dict:
    response = client.get(f"/api/v1/chats/{chat_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    "resend_history",
    [True, False],
    ids=["whole-tree-sent", "only-the-new-message-sent"],
)
def test_a_new_turn_extends_the_tree_and_moves_the_pointer(
    client: httpx.Client, user: Account, resend_history: bool
) -> None:
    """The frontend sends the whole tree; a client that sends only what it changed
    loses nothing it left out."""
    first = message("m1", "user", None, 1)
    created = new_chat(
        client, user, {"history": {"currentId": "m1", "messages": {"m1": first}}}
    )
    reply = message("m2", "assistant", "m1", 2)
    sent = {"m1": first, "m2": reply} if resend_history else {"m2": reply}
    post_chat(
        client, user, created["id"], {"history": {"currentId": "m2", "messages": sent}}
    )
    read = read_chat(client, user, created["id"])
    tree = read["chat"]["history"]
    assert tree["currentId"] == "m2"
    assert read["current_message_id"] == "m2"
    assert set(tree["messages"]) == {"m1", "m2"}
    assert tree["messages"]["m1"]["childrenIds"] == ["m2"]
    assert tree["messages"]["m2"]["content"] == "assistant m2"


@pytest.mark.parametrize(
    "pointer",
    ["gone", "m1"],
    ids=[
        "dangling-pointer-reads-as-the-newest-leaf",
        "parent-reads-as-its-latest-branch",
    ],
)
def test_a_pointer_off_a_leaf_is_repaired_on_read(
    client: httpx.Client, user: Account, pointer: str
) -> None:
    """A client that stopped mid-reply can leave `currentId` on a parent or on nothing;
    readers get the newest branch instead."""
    messages = {
        "m1": message("m1", "user", None, 1),
        "m2": message("m2", "assistant", "m1", 2),
        "m3": message("m3", "assistant", "m1", 3),
    }
    messages["m1"]["childrenIds"] = ["m2", "m3"]
    created = new_chat(
        client, user, {"history": {"currentId": pointer, "messages": messages}}
    )
    tree = read_chat(client, user, created["id"])["chat"]["history"]
    assert tree["currentId"] == "m3"

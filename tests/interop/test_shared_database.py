"""What one implementation writes to the shared database, the other honours:
accounts, passwords, sessions and chats."""

import uuid

from contract import messages
from contract.api import add_user, bearer, new_chat, signin

from .deployments import Deployments, Side, sqlite_schema


def test_user_added_by_writer_signs_in_on_reader(pair: tuple[Side, Side]) -> None:
    writer, reader = pair
    added = add_user(writer.client, writer.admin, label="crossing")
    response = signin(reader.client, added.email, added.password)
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["email"], body["role"]) == (added.id, added.email, "user")


def test_wrong_password_is_wrong_on_both(pair: tuple[Side, Side]) -> None:
    writer, reader = pair
    added = add_user(writer.client, writer.admin, label="guarded")
    response = signin(reader.client, added.email, "not-the-password")
    assert response.status_code == 400
    assert response.json() == {"detail": messages.INVALID_CRED}


# --8<-- [start:token-crosses]
def test_token_of_writer_is_accepted_by_reader(pair: tuple[Side, Side]) -> None:
    writer, reader = pair
    added = add_user(writer.client, writer.admin, label="traveller")
    token = signin(writer.client, added.email, added.password).json()["token"]
    response = reader.client.get("/api/v1/auths/", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["id"] == added.id
    assert reader.client.get("/api/v1/chats/", headers=bearer(token)).status_code == 200


# --8<-- [end:token-crosses]


def test_password_change_on_writer_ends_sessions_on_reader(
    pair: tuple[Side, Side],
) -> None:
    writer, reader = pair
    added = add_user(writer.client, writer.admin, label="rotating")
    reader_token = signin(reader.client, added.email, added.password).json()["token"]
    changed = writer.client.post(
        "/api/v1/auths/update/password",
        headers=added.headers,
        json={"password": added.password, "new_password": "rotated-password-1"},
    )
    assert changed.status_code == 200
    stale = reader.client.get("/api/v1/auths/", headers=bearer(reader_token))
    assert stale.status_code == 401
    assert stale.json() == {"detail": messages.INVALID_TOKEN}
    assert signin(reader.client, added.email, added.password).status_code == 400
    assert signin(reader.client, added.email, "rotated-password-1").status_code == 200


def test_chat_written_by_writer_reads_the_same_on_reader(
    pair: tuple[Side, Side],
) -> None:
    writer, reader = pair
    added = add_user(writer.client, writer.admin, label="chatter")
    conversation = {
        "title": f"Shared {uuid.uuid4().hex[:6]}",
        "history": {
            "currentId": "m1",
            "messages": {"m1": {"id": "m1", "role": "user", "content": "Hi"}},
        },
    }
    created = new_chat(writer.client, added, conversation)
    response = reader.client.get(
        f"/api/v1/chats/{created['id']}", headers=added.headers
    )
    assert response.status_code == 200
    read = response.json()
    read["chat"].pop("share_mode")
    assert read == created
    listed = reader.client.get("/api/v1/chats/", headers=added.headers).json()
    assert [item["id"] for item in listed] == [created["id"]]


def test_the_second_server_leaves_the_schema_as_it_found_it(
    pair: tuple[Side, Side], deployments: Deployments
) -> None:
    """The parallel run: a backend joining a database must not migrate it."""
    writer, reader = pair
    impls = (writer.server.target.impl, reader.server.target.impl)
    before = deployments.schema_before_second_server(impls)
    assert sqlite_schema(writer.server.data_dir / "webui.db") == before

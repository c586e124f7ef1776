"""Reads of a server's database, for the few facts HTTP cannot show: how a password is
stored, what a chat's message row holds. A compatible server shares upstream's schema,
so the same query fits all."""

import json
import sqlite3

import psycopg

from .servers import Server

PASSWORD_QUERY = "SELECT password FROM auth WHERE email = {}"


def read_one(server: Server, query: str, value: str) -> tuple | None:
    """The first row of `query`, whose one `{}` is the placeholder for `value`."""
    if server.database_url:
        with psycopg.connect(server.database_url) as connection:
            return connection.execute(query.format("%s"), (value,)).fetchone()
    # Read-only, so the test cannot lock or change the server's file.
    uri = f"file:{server.data_dir / 'webui.db'}?mode=ro"
    connection = sqlite3.connect(uri, uri=True)
    try:
        return connection.execute(query.format("?"), (value,)).fetchone()
    finally:
        connection.close()


def stored_password_hash(server: Server, email: str) -> str:
    row = read_one(server, PASSWORD_QUERY, email)
    assert row is not None, f"no auth row for {email}"
    return row[0]


CHAT_MESSAGE_FIELDS = ("chat_id", "user_id", "role", "parent_id", "content", "model_id")
CHAT_MESSAGE_QUERY = (
    f"SELECT {', '.join(CHAT_MESSAGE_FIELDS)}, done FROM chat_message WHERE id = {{}}"
)


def chat_message(server: Server, chat_id: str, message_id: str) -> dict | None:
    """The `chat_message` row of a chat's message, None if there is none: no route
    shows it. Its id joins the two ids, so one message id may serve in two chats.

    `content` is a JSON column, which SQLite hands back as JSON text and psycopg
    decoded; `done` is an integer on SQLite.
    """
    row = read_one(server, CHAT_MESSAGE_QUERY, f"{chat_id}-{message_id}")
    if row is None:
        return None
    *fields, done = row
    record = dict(zip(CHAT_MESSAGE_FIELDS, fields, strict=True))
    if not server.database_url and record["content"] is not None:
        record["content"] = json.loads(record["content"])
    return record | {"done": bool(done)}

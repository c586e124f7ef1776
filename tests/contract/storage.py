"""Reads of a server's database, for the few facts HTTP cannot show: how a password is
stored, what a chat's message row holds. A compatible server shares upstream's schema,
so the same query fits all."""

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from .servers import Server

PASSWORD_QUERY = "SELECT password FROM auth WHERE email = {}"


def location(server: Server) -> str:
    """The server's database: its PostgreSQL URL, or the path of its SQLite file."""
    return server.database_url or str(server.data_dir / "webui.db")


@contextmanager
def read_only(server: Server) -> Iterator[tuple[Any, str]]:
    """A cursor on the server's database, and the placeholder its driver takes."""
    if server.database_url:
        with psycopg.connect(server.database_url) as connection:
            yield connection.cursor(), "%s"
        return
    # Read-only, so the test cannot lock or change the server's file.
    connection = sqlite3.connect(f"file:{location(server)}?mode=ro", uri=True)
    try:
        yield connection.cursor(), "?"
    finally:
        connection.close()


def read_all(server: Server, query: str, *values: str) -> list[tuple]:
    """Every row of `query`, whose `{}`s are the placeholders for `values`."""
    with read_only(server) as (cursor, placeholder):
        query = query.format(*[placeholder] * len(values))
        return cursor.execute(query, values).fetchall()


def read_one(server: Server, query: str, value: str) -> tuple | None:
    """The first row of `query`, whose one `{}` is the placeholder for `value`."""
    rows = read_all(server, query, value)
    return rows[0] if rows else None


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


def user_roles(server: Server) -> list[str]:
    """The role of every user row, sorted: how many admins a race left, even when no
    admin is left to ask the API."""
    return sorted(role for (role,) in read_all(server, 'SELECT role FROM "user"'))


def sqlite_integrity(server: Server) -> list[str]:
    """What `PRAGMA integrity_check` says of the SQLite file: ["ok"] if sound."""
    assert not server.database_url, "PostgreSQL has no integrity_check"
    return [line for (line,) in read_all(server, "PRAGMA integrity_check")]

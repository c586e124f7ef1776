"""One engine and a session per request, on SQLite (WAL) or PostgreSQL.

Upstream owns the schema through Alembic. This backend never alters a table that
exists: on a database Open WebUI created it only reads and writes rows, and on an
empty database it creates the tables of its slice with upstream's columns and types.
"""

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, Select, Text, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator


class Base(DeclarativeBase):
    """The tables of the slice; `create_all` skips those that already exist."""


# --8<-- [start:json-text]
class JSONField(TypeDecorator):
    """JSON kept in a TEXT column, as upstream's `JSONField` keeps `model.meta`."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else json.dumps(value)

    def process_result_value(self, value: str | None, dialect) -> Any:
        return None if value is None else json.loads(value)


# --8<-- [end:json-text]


SQLITE_POOL_SIZE = 512


# --8<-- [start:engine]
def make_engine(url: str, pragmas: Sequence[tuple[str, str]] = ()) -> Engine:
    """An engine for `url`; SQLite connections switch to WAL, as upstream's do.

    Each new SQLite connection then runs `pragmas`, the checked `(name, value)` pairs
    of `Settings.sqlite_pragmas`; PostgreSQL ignores them.
    """
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    # Upstream's SQLite pool is as generous. A sync session keeps its connection
    # between a request's thread-pool hops: a pool smaller than the requests in flight
    # can leave every thread waiting for a connection held by a request that waits
    # for a thread.
    engine = create_engine(
        url, connect_args={"check_same_thread": False}, pool_size=SQLITE_POOL_SIZE
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        for name, value in pragmas:
            cursor.execute(f"PRAGMA {name}={value}")
        cursor.close()

    return engine


# --8<-- [end:engine]


# --8<-- [start:one-page]
def one_page(statement: Select, page: int, size: int) -> Select:
    """Page `page` (from 1) of `size` rows; page 0 and below read as page 1."""
    return statement.offset(max(page - 1, 0) * size).limit(size)


# --8<-- [end:one-page]


# --8<-- [start:create-tables]
def create_tables(engine: Engine) -> None:
    """Create the slice's missing tables and indexes; existing ones stay as they are."""
    # Importing the model modules registers their tables on Base.metadata.
    from reference_backend.models import (  # noqa: F401
        auths,
        chats,
        config,
        models,
        shared_chats,
        users,
    )

    Base.metadata.create_all(engine, checkfirst=True)


# --8<-- [end:create-tables]


# --8<-- [start:session]
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for one request; whatever it did not commit is rolled back.

    Writes commit inside the model functions, before the response is built:
    FastAPI closes a `yield` dependency only after the response has been sent, too
    late for a failed commit to become the response.
    """
    with factory() as session:
        yield session


# --8<-- [end:session]

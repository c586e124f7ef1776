"""One engine and a session per request, on SQLite (WAL) or PostgreSQL.

Upstream owns the schema through Alembic. This backend never alters a table that
exists: on a database Open WebUI created it only reads and writes rows, and on an
empty database it creates the tables of its slice with upstream's columns and types.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

from annotated_types import Ge, Le
from fastapi import HTTPException
from sqlalchemy import Engine, Select, Text, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from starlette.concurrency import run_in_threadpool

from reference_backend import constants


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


# Upstream's pools: SQLAlchemy's default on PostgreSQL, a generous one on SQLite.
POOL_SIZE = 5
SQLITE_POOL_SIZE = 512
POOL_MAX_OVERFLOW = 10


# --8<-- [start:engine]
def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def max_connections(url: str) -> int:
    """The most connections the engine for `url` opens at once."""
    return (SQLITE_POOL_SIZE if is_sqlite(url) else POOL_SIZE) + POOL_MAX_OVERFLOW


def make_engine(url: str, pragmas: Sequence[tuple[str, str]] = ()) -> Engine:
    """An engine for `url`; SQLite connections switch to WAL, as upstream's do.

    Each new SQLite connection then runs `pragmas`, the checked `(name, value)` pairs
    of `Settings.sqlite_pragmas`; PostgreSQL ignores them. On PostgreSQL, text it
    cannot store is refused with a 400 (`refuse_unstorable_text`).
    """
    if not is_sqlite(url):
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_MAX_OVERFLOW
        )
        event.listen(engine, "handle_error", refuse_unstorable_text)
        return engine
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False},
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=POOL_MAX_OVERFLOW,
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


# --8<-- [start:driver-errors]
# PostgreSQL's codes for text it cannot hold: a NUL its own parser met
# (character_not_in_repertoire), a \u0000 escape read into text (untranslatable).
UNSTORABLE_TEXT_CODES = ("22021", "22P05")
# What psycopg says when it refuses to send a NUL itself.
PSYCOPG_NUL = "NUL (0x00)"
# A duplicate key: SQLite's extended codes, PostgreSQL's unique_violation.
UNIQUE_VIOLATIONS = (
    "SQLITE_CONSTRAINT_UNIQUE",
    "SQLITE_CONSTRAINT_PRIMARYKEY",
    "23505",
)


def refuse_unstorable_text(context: ExceptionContext) -> None:
    """The PostgreSQL engine's error hook: text it cannot store is the client's error.

    PostgreSQL text holds no NUL character (psycopg refuses one before sending it).
    Upstream answers such a request with a 500; here every route answers 400 and
    stores nothing. SQLite has no such hook: it stores a NUL, as upstream's does. (A
    lone surrogate, which no engine could store, never gets this far: `strict_json`
    refuses it.) Other errors pass unchanged.
    """
    error = context.original_exception
    if (
        PSYCOPG_NUL in str(error)
        or getattr(error, "sqlstate", None) in UNSTORABLE_TEXT_CODES
    ):
        raise HTTPException(400, constants.UNSTORABLE_TEXT) from error


def is_unique_violation(error: DBAPIError) -> bool:
    """Whether the driver refused a duplicate key, as sqlx's `is_unique_violation`."""
    driver_error = error.orig
    code = getattr(driver_error, "sqlstate", None) or getattr(
        driver_error, "sqlite_errorname", None
    )
    return code in UNIQUE_VIOLATIONS


# --8<-- [end:driver-errors]


# --8<-- [start:one-page]
# The numbers a BIGINT holds, as the Rust twin's i64: a larger page number is a 422
# before any query (the driver would overflow with a 500), and an offset stops there.
I64_MAX = 2**63 - 1
Int64 = Annotated[int, Ge(-I64_MAX - 1), Le(I64_MAX)]


def one_page(statement: Select, page: int, size: int) -> Select:
    """Page `page` (from 1) of `size` rows; page 0 and below read as page 1."""
    return statement.offset(min(max(page - 1, 0) * size, I64_MAX)).limit(size)


# --8<-- [end:one-page]


# --8<-- [start:create-tables]
def create_tables(engine: Engine) -> None:
    """Create the slice's missing tables and indexes; existing ones stay as they are."""
    # Importing the model modules registers their tables on Base.metadata.
    from reference_backend.models import (  # noqa: F401
        access_grants,
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


@asynccontextmanager
async def session_scope(
    factory: sessionmaker[Session], slots: asyncio.Semaphore
) -> AsyncIterator[Session]:
    """A session for one request; whatever it did not commit is rolled back.

    A sync session keeps its connection across the request's trips through the
    thread pool. Were more requests holding sessions than the pool has connections,
    every thread could end up waiting for a connection held by a request that waits
    for a thread. So a request first waits for one of `slots`, as many as the pool
    has connections, on the event loop, where waiting holds no thread.

    Writes commit inside the model functions, before the response is built:
    FastAPI closes a `yield` dependency only after the response has been sent, too
    late for a failed commit to become the response.
    """
    async with slots:
        session = factory()
        try:
            yield session
        finally:
            # Closing rolls back and returns the connection: I/O, so on a thread, and
            # shielded so that a cancelled request still gives its connection back.
            await asyncio.shield(run_in_threadpool(session.close))


# --8<-- [end:session]

"""What a route can ask for: the settings, a database session, the Redis client.

All three live on `app.state`, set once by the lifespan in `main.py`, so tests can
build an app with other settings without touching globals.
"""

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from reference_backend.env import Settings
from reference_backend.internal.db import session_scope


# --8<-- [start:state]
# Settings and Redis are attributes read, not I/O: `async def` keeps them off the
# thread pool. The session waits there for a connection slot, and closes on a thread.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_db(request: Request) -> AsyncIterator[Session]:
    state = request.app.state
    async with session_scope(state.sessions, state.db_slots) as session:
        yield session


async def get_redis(request: Request):
    """The Redis client, or None: then only the revocation table, when it is on, lets
    signout revoke a token."""
    return request.app.state.redis


SettingsDep = Annotated[Settings, Depends(get_settings)]
Db = Annotated[Session, Depends(get_db)]
Redis = Annotated[object | None, Depends(get_redis)]
# --8<-- [end:state]


# --8<-- [start:in-session]
async def in_session(request: Request, work: Callable[..., Any], *args: Any) -> Any:
    """Run `work(db, *args)` on the thread pool in a session of its own.

    For the routes that wait on a model provider: a request-long session would
    hold a database connection for the whole reply, seconds or minutes.
    """
    state = request.app.state
    async with session_scope(state.sessions, state.db_slots) as session:
        return await run_in_threadpool(work, session, *args)


# --8<-- [end:in-session]

"""The application: settings, database, Redis and routers, wired in one place.

`create_app(settings)` builds a fresh app, so tests and the server share the code
and differ only in their settings.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import redis
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reference_backend import constants
from reference_backend.env import Settings
from reference_backend.internal.db import (
    create_tables,
    make_engine,
    max_connections,
    session_factory,
)
from reference_backend.internal.deps import Db
from reference_backend.models import config, revoked_tokens, users
from reference_backend.routers import auths, chats, completions, models, openai
from reference_backend.routers import users as users_router
from reference_backend.utils.auth import is_valid_token, request_claims
from reference_backend.utils.misc import StrictJsonRoute, Throttle, json_safe
from reference_backend.utils.models import ModelRegistry

# The API this backend reproduces; clients branch on it.
VERSION = "0.12.4"
NAME = "Open WebUI"


# --8<-- [start:http-client]
# The twin's own bounds: at most 100 connections open at once, so a burst of
# completions cannot take every file descriptor (one more waits for a free one), and
# 30 kept open when idle. Upstream's aiohttp pool has no limit by default (the
# AIOHTTP_POOL_* variables, unset; this twin doesn't read them).
POOL = httpx.Limits(max_connections=100, max_keepalive_connections=30)


def http_client() -> httpx.AsyncClient:
    """The process's one outbound client, whose pool keeps provider connections open.

    It has no timeout of its own: each request passes the one its settings give.
    """
    return httpx.AsyncClient(limits=POOL, timeout=None)


# --8<-- [end:http-client]


# --8<-- [start:lifespan]
def lifespan(settings: Settings):
    """Open the database (creating missing tables), Redis and the HTTP client for
    the app's lifetime."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.database_url, settings.sqlite_pragmas)
        create_tables(engine)
        if settings.revocation_table:
            revoked_tokens.create(engine)
        app.state.settings = settings
        app.state.activity = Throttle(settings.user_active_status_update_interval)
        app.state.sessions = session_factory(engine)
        app.state.db_slots = asyncio.Semaphore(max_connections(settings.database_url))
        with app.state.sessions() as db:
            config.seed(db, settings)
        app.state.redis = (
            redis.Redis.from_url(settings.redis_url, decode_responses=True)
            if settings.redis_url
            else None
        )
        app.state.models = ModelRegistry()
        async with http_client() as app.state.http:
            yield
        if app.state.redis is not None:
            app.state.redis.close()
        engine.dispose()

    return run


# --8<-- [end:lifespan]


# --8<-- [start:create-app]
def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="Open WebUI reference backend", lifespan=lifespan(settings))
    # Added first, so CORS wraps it and a 413 carries CORS headers, as in the Rust twin.
    if settings.max_request_body_size is not None:
        app.add_middleware(BodyLimit, limit=settings.max_request_body_size)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_allow_origin),
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    # Starlette tries routes in order: the health probe, hit most often, goes first.
    app.include_router(status_router())
    app.include_router(auths.router, prefix="/api/v1/auths", tags=["auths"])
    app.include_router(users_router.router, prefix="/api/v1/users", tags=["users"])
    app.include_router(chats.router, prefix="/api/v1/chats", tags=["chats"])
    app.include_router(models.router, prefix="/api/v1/models", tags=["models"])
    app.include_router(models.openai_router, prefix="/api", tags=["models"])
    app.include_router(completions.router, prefix="/api", tags=["chat"])
    app.include_router(openai.router, prefix="/openai", tags=["openai"])
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, server_error)
    return app


# --8<-- [end:create-app]


# --8<-- [start:validation-error]
async def validation_error(_request: Request, error: RequestValidationError):
    """FastAPI's 422, safe for any input it echoes back.

    The default handler cannot encode a NaN or a lone surrogate that the client sent,
    and answers 500; upstream's encoder writes NaN as null, and so does this one.
    """
    detail = json_safe(jsonable_encoder(error.errors()))
    return JSONResponse({"detail": detail}, status_code=422)


# --8<-- [end:validation-error]


# --8<-- [start:server-error]
async def server_error(_request: Request, _error: Exception) -> JSONResponse:
    """Any unexpected failure: a JSON 500 that tells nothing of its cause.

    Starlette would answer in plain text; the Rust twin answers a panic this way.
    The traceback still goes to the log: Starlette re-raises after this answer.
    """
    return JSONResponse({"detail": constants.SERVER_ERROR}, status_code=500)


# --8<-- [end:server-error]


# --8<-- [start:read-body-first]
class BodyLimit:
    """`MAX_REQUEST_BODY_SIZE`: a larger body is refused with a JSON 413, before any
    route runs, as the Rust twin's `read_body_first` refuses it.

    A declared `Content-Length` over the limit is refused unread. Otherwise the body
    is read whole first, never more than the limit plus one chunk, so a chunked body
    is counted too; the app then reads it from memory.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await too_large(scope, receive, send)
            return
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.limit:
                await too_large(scope, receive, send)
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def too_large(scope: Scope, receive: Receive, send: Send) -> None:
    # The rest of the body may still be on its way: this connection is done.
    response = JSONResponse(
        {"detail": constants.REQUEST_BODY_TOO_LARGE},
        status_code=413,
        headers={"Connection": "close"},
    )
    await response(scope, receive, send)


# --8<-- [end:read-body-first]


def status_router():
    """Health, version and the public config: the routes that need no account."""
    from fastapi import APIRouter

    router = APIRouter(tags=["status"], route_class=StrictJsonRoute)

    # Async, as upstream's is: a plain `def` would cost a thread-pool hop per probe.
    @router.get("/health")
    async def health() -> dict:
        return {"status": True}

    @router.get("/health/db")
    def health_db(db: Db) -> dict:
        db.execute(text("SELECT 1"))
        return {"status": True}

    @router.get("/api/version")
    def version() -> dict:
        return {"version": VERSION, "deployment_id": ""}

    @router.get("/api/config")
    def app_config(request: Request, db: Db) -> dict:
        return public_config(request, db)

    return router


# --8<-- [start:public-config]
def public_config(request: Request, db: Session) -> dict:
    """`/api/config` for the keys this slice owns; more of them once signed in."""
    settings: Settings = request.app.state.settings
    user = None
    claims = request_claims(request, settings)
    if (
        claims
        and "id" in claims
        and is_valid_token(
            db,
            claims,
            request.app.state.redis,
            settings.redis_key_prefix,
            revocation_table=settings.revocation_table,
        )
    ):
        user = users.get_user_by_id(db, claims["id"])
    stored = config.get_many(
        db,
        "ui.enable_signup",
        "ui.enable_login_form",
        "auth.enable_api_keys",
        "user.permissions",
    )
    features = {
        "slim": False,
        "auth": True,
        "auth_trusted_header": False,
        "enable_signup_password_confirmation": False,
        "enable_ldap": False,
        "enable_signup": stored["ui.enable_signup"],
        "enable_login_form": stored["ui.enable_login_form"],
        # Upstream says true; this backend serves no Socket.IO, so it says so.
        "enable_websocket": False,
    }
    body = {
        "status": True,
        "name": NAME,
        "version": VERSION,
        "default_locale": "",
        "i18n": {},
        "oauth": {"providers": {}, "auto_redirect": False},
        "features": features,
    }
    if user is None:
        return {"onboarding": True, **body} if not users.has_users(db) else body
    features["enable_api_keys"] = stored["auth.enable_api_keys"]
    return {**body, "permissions": stored["user.permissions"]}


# --8<-- [end:public-config]

"""`/openai`: the OpenAI-compatible connections, their models, and the relay to them.

Upstream's `routers/openai.py`. The connections live in the config table
(`openai.*`), seeded from `OPENAI_API_BASE_URLS` and `OPENAI_API_KEYS`, and are
read on every request, so an admin's change applies at once.
"""

import asyncio
import re
from typing import Any
from urllib.parse import urlparse

import httpx
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel

from reference_backend import constants
from reference_backend.internal.db import Int64
from reference_backend.internal.deps import Db, in_session
from reference_backend.models import config
from reference_backend.models.models import get_model
from reference_backend.models.users import UserModel
from reference_backend.utils.access_control import may_use, readable_ids
from reference_backend.utils.auth import AdminUser, ProviderUser
from reference_backend.utils.misc import StrictJsonRoute
from reference_backend.utils.models import (
    NOT_CHAT_MODELS,
    OPENAI_HOST,
    Connection,
    one_key_per_url,
    provider_models,
    read_connections,
)
from reference_backend.utils.payload import add_system_prompt, apply_params
from reference_backend.utils.streaming import relay, relayed_headers

router = APIRouter(route_class=StrictJsonRoute)

# --8<-- [start:config]
# The API's field names and the config table's keys.
CONFIG_KEYS = {
    "ENABLE_OPENAI_API": "openai.enable",
    "OPENAI_API_BASE_URLS": "openai.api_base_urls",
    "OPENAI_API_KEYS": "openai.api_keys",
    "OPENAI_API_CONFIGS": "openai.api_configs",
}


@router.get("/config")
def get_config(_admin: AdminUser, db: Db) -> dict:
    stored = config.get_many(db, *CONFIG_KEYS.values())
    return {field: stored[key] for field, key in CONFIG_KEYS.items()}


# --8<-- [end:config]


# --8<-- [start:update-config]
class OpenAIConfigForm(BaseModel):
    ENABLE_OPENAI_API: bool | None = None
    OPENAI_API_BASE_URLS: list[str]
    OPENAI_API_KEYS: list[str]
    OPENAI_API_CONFIGS: dict


@router.post("/config/update")
def update_config(
    request: Request, form: OpenAIConfigForm, _admin: AdminUser, db: Db
) -> dict:
    """Store the connections; one key per URL, and options only for URLs that exist."""
    urls = form.OPENAI_API_BASE_URLS
    keys = one_key_per_url(urls, form.OPENAI_API_KEYS)
    indexes = {str(index) for index in range(len(urls))}
    options = {k: v for k, v in form.OPENAI_API_CONFIGS.items() if k in indexes}
    values = [form.ENABLE_OPENAI_API, urls, keys, options]
    config.upsert(db, dict(zip(CONFIG_KEYS.values(), values, strict=True)))
    request.app.state.models.clear()
    return dict(zip(CONFIG_KEYS, values, strict=True))


# --8<-- [end:update-config]


# --8<-- [start:models]
async def listed_by(request: Request, connection: Connection) -> dict:
    """`GET {url}/models` of one connection; its failures are upstream's 500s."""
    if connection.options.get("azure") or connection.options.get("provider") == "azure":
        return {"data": connection.options.get("model_ids") or [], "object": "list"}
    state = request.app.state
    try:
        async with asyncio.timeout(state.settings.aiohttp_client_timeout_model_list):
            response = await state.http.get(
                f"{connection.url}/models", headers=connection.headers()
            )
            body = response.json()
    except TimeoutError as error:
        # Upstream words a timeout with its exception's text, which is empty.
        raise HTTPException(500, "Unexpected error: ") from error
    except httpx.TransportError as error:
        raise HTTPException(500, constants.SERVER_CONNECTION_ERROR) from error
    except ValueError:
        body = None
    if response.status_code != 200:
        detail = f"HTTP Error: {response.status_code}"
        if isinstance(body, dict) and "error" in body:
            detail = f"External Error: {body['error']}"
        raise HTTPException(500, f"Unexpected error: {detail}")
    if not isinstance(body, dict):
        raise HTTPException(500, "Unexpected error: not a JSON object")
    if OPENAI_HOST in connection.url:
        body["data"] = [
            model
            for model in body.get("data", [])
            if not any(word in model["id"] for word in NOT_CHAT_MODELS)
        ]
    return body


@router.get("/models")
@router.get("/models/{url_idx}")
async def get_models(
    request: Request, user: ProviderUser, url_idx: Int64 | None = None
) -> dict:
    """All connections' models, or (admins only) what one connection lists."""
    if url_idx is not None and user.role != "admin":
        raise HTTPException(401, constants.ACCESS_PROHIBITED)
    if not await in_session(request, config.get, "openai.enable"):
        raise HTTPException(503, constants.OPENAI_DISABLED)
    if url_idx is None:
        models = {"data": list((await provider_models(request, user)).values())}
    else:
        models = await listed_by(request, await connection_at(request, url_idx))
    if user.role == "user":
        ids = [model["id"] for model in models.get("data", [])]
        readable = await in_session(request, readable_ids, user, ids)
        models["data"] = [model for model in models["data"] if model["id"] in readable]
    return models


# --8<-- [end:models]


async def connection_at(request: Request, idx: int) -> Connection:
    connections = await in_session(request, read_connections) or []
    if not 0 <= idx < len(connections):
        raise HTTPException(404, constants.CONNECTION_NOT_FOUND)
    return connections[idx]


# --8<-- [start:chat-completion]
def is_reasoning_model(model: str) -> bool:
    """OpenAI's o-series and gpt-5 onwards, which take `max_completion_tokens`."""
    name = re.sub(r"^(?:[a-z-]+\.)?openai\.", "", model.lower())
    generation = re.match(r"^gpt-(\d+)", name)
    return bool(re.match(r"^o\d+", name)) or bool(
        generation and int(generation.group(1)) >= 5
    )


def for_connection(payload: dict, connection: Connection) -> dict:
    """The payload as this connection expects it.

    The connection's prefix comes off the model id. OpenAI's reasoning models take
    `max_completion_tokens` and a `developer` message; other servers than OpenAI's
    know only the older `max_tokens`.
    """
    prefix = connection.options.get("prefix_id")
    if prefix and payload["model"].startswith(f"{prefix}."):
        payload["model"] = payload["model"].removeprefix(f"{prefix}.")
    if is_reasoning_model(payload["model"]):
        if "max_tokens" in payload:
            payload["max_completion_tokens"] = payload.pop("max_tokens")
        messages = payload.get("messages")
        if isinstance(messages, list) and messages and is_system(messages[0]):
            legacy = payload["model"].lower().startswith(("o1-mini", "o1-preview"))
            messages[0]["role"] = "user" if legacy else "developer"
    elif urlparse(connection.url).hostname != OPENAI_HOST and (
        "max_completion_tokens" in payload
    ):
        payload["max_tokens"] = payload.pop("max_completion_tokens")
    if "max_tokens" in payload and "max_completion_tokens" in payload:
        del payload["max_tokens"]
    if not payload.get("stream"):
        payload.pop("stream_options", None)
    return payload


def is_system(message) -> bool:
    return isinstance(message, dict) and message.get("role") == "system"


def bearer(connection: Connection) -> dict[str, str]:
    """The connection's key, unless its options say it takes none."""
    if connection.options.get("auth_type") == "none":
        return {}
    return connection.headers()


async def prepared(request: Request, payload: dict, user: UserModel) -> tuple:
    """The workspace model applied, access checked, and the connection chosen."""
    payload.pop("metadata", None)
    model_id = payload.get("model")
    row = await in_session(request, get_model, model_id) if model_id else None
    if row is not None:
        if row.base_model_id:
            payload["model"] = row.base_model_id
        params = dict(row.params or {})
        system = params.pop("system", None)
        apply_params(params, payload)
        payload["messages"] = add_system_prompt(system, payload.get("messages") or [])
    if not await in_session(request, may_use, user, row):
        raise HTTPException(403, constants.MODEL_NOT_FOUND)
    model = await provider_model(request, user, payload.get("model"))
    connection = await connection_at(request, model["urlIdx"])
    return for_connection(payload, connection), connection


async def provider_model(request: Request, user: UserModel, model_id) -> dict:
    """The provider's model, from the last list, or a fresh one if it is not there."""
    if not isinstance(model_id, str):
        raise HTTPException(404, constants.model_not_found())
    models = request.app.state.models.provider
    if model_id not in models:
        models = await provider_models(request, user)
    if model_id not in models:
        raise HTTPException(404, constants.model_not_found())
    return models[model_id]


async def generate_chat_completion(request: Request, form_data: dict, user: UserModel):
    """Send the chat to its model's connection; stream the reply or return its JSON."""
    if not await in_session(request, config.get, "openai.enable"):
        raise HTTPException(503, constants.OPENAI_DISABLED)
    # Refused here with a detail, not passed on for the provider to refuse.
    if not isinstance(form_data.get("messages", []), list):
        raise HTTPException(400, constants.MESSAGES_NOT_A_LIST)
    payload, connection = await prepared(request, dict(form_data), user)
    state = request.app.state
    # Upstream's timeout bounds the whole exchange, the streamed body included.
    timeout = state.settings.aiohttp_client_timeout
    deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
    outgoing = state.http.build_request(
        "POST",
        f"{connection.url}/chat/completions",
        json=payload,
        headers=bearer(connection),
    )
    try:
        async with asyncio.timeout_at(deadline):
            response = await state.http.send(outgoing, stream=True)
    except (httpx.HTTPError, TimeoutError) as error:
        raise HTTPException(500, constants.SERVER_CONNECTION_ERROR) from error
    if response.status_code < 400 and "text/event-stream" in response.headers.get(
        "content-type", ""
    ):
        return StreamingResponse(
            relay(response, deadline),
            status_code=response.status_code,
            headers=relayed_headers(response.headers),
        )
    return await whole_reply(response, deadline)


# --8<-- [end:chat-completion]


@router.post("/chat/completions")
async def chat_completion(request: Request, form_data: dict, user: ProviderUser):
    return await generate_chat_completion(request, form_data, user)


# --8<-- [start:provider-errors]
RETRY_HEADERS = ("retry-after", "retry-after-ms")


async def whole_reply(response: httpx.Response, deadline: float | None) -> Any:
    """A reply that is not a stream, read whole and closed: JSON as it came, and a
    provider's error with its status, body and `Retry-After`."""
    try:
        async with asyncio.timeout_at(deadline):
            text = (await response.aread()).decode(errors="replace")
    except (httpx.HTTPError, TimeoutError) as error:
        # Upstream answers with the provider's status, whatever it was.
        raise HTTPException(
            response.status_code, constants.SERVER_CONNECTION_ERROR
        ) from error
    finally:
        await response.aclose()
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code < 400:
        return body if body is not None else text
    retry = {k: v for k, v in response.headers.items() if k.lower() in RETRY_HEADERS}
    if "text/event-stream" in response.headers.get("content-type", "") and body is None:
        body = {"error": {"message": text, "code": response.status_code}}
    if isinstance(body, dict | list):
        return JSONResponse(body, status_code=response.status_code, headers=retry)
    return PlainTextResponse(text, status_code=response.status_code, headers=retry)


# --8<-- [end:provider-errors]

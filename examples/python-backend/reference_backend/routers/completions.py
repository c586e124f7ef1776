"""`/api/chat/completions`: a chat with any listed model, in API mode.

API mode is how scripts and API-key clients call upstream's `main.chat_completion`:
the reply comes in this request's response. The browser's UI mode (a request with
a `session_id`) answers at once and streams over Socket.IO, which this backend does
not serve: the parallel run keeps those requests on Open WebUI.
"""

import copy
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from reference_backend import constants
from reference_backend.internal.deps import in_session
from reference_backend.models import chats, config
from reference_backend.models.chat_messages import normalize_usage
from reference_backend.models.models import Model, get_model
from reference_backend.models.users import UserModel
from reference_backend.routers import openai
from reference_backend.utils.access_control import may_use
from reference_backend.utils.auth import ProviderUser
from reference_backend.utils.misc import StrictJsonRoute
from reference_backend.utils.models import all_models
from reference_backend.utils.payload import (
    apply_model_controls,
    apply_params,
    merge_params,
)
from reference_backend.utils.streaming import with_error_frame

router = APIRouter(route_class=StrictJsonRoute)

# Keys of the frontend's request that are Open WebUI's, not the provider's.
OPEN_WEBUI_KEYS = (
    "model_item",
    "background_tasks",
    "new_chat",
    "message_ids",
    "parent_message",
    "chat_variables",
    "tool_servers",
    "automation_id",
    "assistant_message_id",
    "regeneration_message_id",
    "folder_id",
    "filter_ids",
    "variables",
    "features",
    "tool_ids",
    "terminal_id",
    "files",
    "skill_ids",
    "regeneration_prompt",
    "params",
)
# Temporary chats live in the browser only: their replies are not saved.
UNSAVED_CHAT_PREFIXES = ("temporary:", "local:")
# A channel's thread; this backend keeps no channels.
CHANNEL_PREFIX = "channel:"


# --8<-- [start:ui-mode]
def refuse_ui_mode(form_data: dict) -> None:
    """A browser's request: its reply would go over Socket.IO, so it is not taken."""
    if form_data.get("session_id"):
        raise HTTPException(400, constants.UI_MODE)


# --8<-- [end:ui-mode]


# --8<-- [start:chat-completion]
def model_params(db: Session, row: Model | None) -> dict:
    """The admin's default parameters under the workspace model's own."""
    defaults = copy.deepcopy(config.get(db, "models.default_params") or {})
    params = merge_params(defaults, dict(row.params or {}) if row else {})
    params.pop("model_controls", None)
    return params


def requested_params(form_data: dict) -> tuple[dict, dict]:
    """The request's own parameters, and its picks in models' menus by model id."""
    params = form_data.get("params")
    if params is None:
        return {}, {}
    if not isinstance(params, dict):
        raise HTTPException(400, "params must be an object.")
    controls = params.get("model_controls", {})
    if not isinstance(controls, dict):
        raise HTTPException(400, "Model control options must be keyed by model.")
    own = {
        key: value
        for key, value in params.items()
        if value is not None and key != "model_controls"
    }
    return own, controls


async def checked_model(request: Request, user: UserModel, model_id) -> tuple:
    """The listed model and its row, if `user` may use it; else upstream's 400."""
    registry = request.app.state.models
    if not registry.models:
        await all_models(request, user)
    model = registry.models.get(model_id) if isinstance(model_id, str) else None
    if model is None:
        raise HTTPException(400, constants.MODEL_NOT_FOUND)
    row = await in_session(request, get_model, model_id)
    if not await in_session(request, may_use, user, row) or (
        row and row.base_model_id and row.base_model_id not in registry.models
    ):
        raise HTTPException(400, constants.MODEL_NOT_FOUND)
    return model, row


@router.post("/chat/completions")
@router.post("/v1/chat/completions")
async def chat_completion(request: Request, form_data: dict, user: ProviderUser) -> Any:
    """Check the model, merge its settings into the request, and relay it."""
    refuse_ui_mode(form_data)
    model, row = await checked_model(request, user, form_data.get("model"))
    params = await in_session(request, model_params, row)
    if params.get("stream_response") is not None:
        form_data["stream"] = params["stream_response"]
    requested, picks = requested_params(form_data)
    params = apply_model_controls(
        merge_params(params, requested),
        (row.params or {}).get("model_controls") or {} if row else {},
        picks.get(form_data["model"], {}),
    )
    capabilities = ((model.get("info") or {}).get("meta") or {}).get("capabilities")
    if (
        form_data.get("stream")
        and isinstance(capabilities, dict)
        and capabilities.get("usage")
    ):
        form_data["stream_options"] = {
            **(form_data.get("stream_options") or {}),
            "include_usage": True,
        }
    target = await chat_target(request, user, form_data)
    payload = {k: v for k, v in form_data.items() if k not in OPEN_WEBUI_KEYS}
    # Upstream sends a chat without messages as an empty one.
    payload.setdefault("messages", [])
    if target is not None and (
        stored := await stored_conversation(request, target, payload["messages"])
    ):
        payload["messages"] = stored
    response = await relayed(request, apply_params(params, payload), user, target)
    if isinstance(response, StreamingResponse) and target is None:
        return StreamingResponse(
            with_error_frame(response.body_iterator), headers=dict(response.headers)
        )
    if target is not None:
        return await save_reply(request, target, response)
    return response


# --8<-- [end:chat-completion]


# --8<-- [start:save-message]
@dataclass(frozen=True)
class Target:
    """Where a reply goes: a chat and the id of its assistant message."""

    chat_id: str
    message_id: str
    # The user message the reply answers, when the request sent one.
    user_message_id: str | None = None


async def chat_target(
    request: Request, user: UserModel, form_data: dict
) -> Target | None:
    """With `chat_id` and a message `id`, where the reply goes.

    The chat must be the caller's; the user message (when sent) and an empty reply
    are added to it now, and the reply is filled in once, at the end.
    """
    chat_id = form_data.pop("chat_id", None) or ""
    message_id = form_data.pop("id", None)
    user_message = form_data.pop("user_message", None) or {}
    form_data.pop("parent_id", None)
    form_data.pop("session_id", None)
    if not chat_id or not isinstance(chat_id, str):
        return None
    if chat_id.startswith(CHANNEL_PREFIX):
        raise HTTPException(404, constants.NOT_FOUND)
    if chat_id.startswith(UNSAVED_CHAT_PREFIXES):
        return Target(chat_id, message_id) if message_id else None
    if not isinstance(user_message, dict):
        raise HTTPException(400, "user_message must be an object.")
    await in_session(
        request, add_turn, chat_id, user, user_message, message_id, form_data["model"]
    )
    return Target(chat_id, message_id, user_message.get("id"))


def add_turn(
    db: Session, chat_id: str, user: UserModel, user_message: dict, message_id, model_id
) -> None:
    chat = chats.get_user_chat(db, chat_id, user.id)
    if chat is None:
        raise HTTPException(404, constants.NOT_FOUND)
    try:
        chats.insert_turn(db, chat, user, user_message, message_id, model_id)
    except chats.TurnRefusedError as refused:
        raise HTTPException(refused.status, refused.detail) from refused


def stored_chat(db: Session, chat_id: str) -> dict:
    chat = chats.get_chat(db, chat_id)
    return (chat.chat or {}) if chat else {}


async def stored_conversation(
    request: Request, target: Target, sent: Any
) -> list[dict] | None:
    """The conversation a saved chat's reply answers, as the chat stores it: upstream
    rebuilds the messages from the chat, not from the request, keeping only the
    request's system prompt. None when there is nothing stored to rebuild from."""
    if target.user_message_id is None:
        return None
    body = await in_session(request, stored_chat, target.chat_id)
    chain = chats.conversation(body, target.user_message_id)
    if not chain:
        return None
    sent = sent if isinstance(sent, list) else []
    system = next((each for each in sent if openai.is_system(each)), None)
    return [system, *chain] if system else chain


async def relayed(
    request: Request, payload: dict, user: UserModel, target: Target | None
) -> Any:
    """The relay's answer; a refusal is written into the reply first, if any."""
    try:
        response = await openai.generate_chat_completion(request, payload, user)
    except HTTPException as error:
        await save(request, target, {"error": {"content": error.detail}, "done": True})
        raise
    if isinstance(response, Response) and response.status_code >= 400:
        detail = error_detail(response.body, response.status_code)
        await save(request, target, {"error": {"content": detail}, "done": True})
    return response


def error_detail(body: bytes, status: int) -> str:
    """The message inside a provider's error body, as upstream digs it out."""
    text = body.decode(errors="replace")
    try:
        detail = json.loads(text)
    except ValueError:
        return text.strip() or f"Provider returned HTTP {status}"
    while isinstance(detail, dict):
        key = next((k for k in ("error", "message", "detail") if k in detail), None)
        if key is None:
            return str(detail)
        detail = detail[key]
    return detail if isinstance(detail, str) else str(detail)


def reply(content: str, usage: Any) -> dict:
    """The finished assistant message: its text as one output item, and its usage."""
    output = [
        {
            "type": "message",
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": content}],
        }
    ]
    usage = normalize_usage(usage)
    return {"done": True, "output": output, **({"usage": usage} if usage else {})}


async def streamed_reply(lines: AsyncIterator[bytes]) -> dict:
    """Read a relayed stream to its end and gather the text and usage it carried."""
    parts, usage = [], None
    async for line in lines:
        data = line.decode(errors="replace").strip().removeprefix("data:").strip()
        if not data or data == "[DONE]":
            continue
        try:
            event = json.loads(data)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        usage = event.get("usage") or usage
        for choice in event.get("choices") or []:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if isinstance(delta, dict) and isinstance(delta.get("content"), str):
                parts.append(delta["content"])
    return reply("".join(parts), usage)


async def save_reply(request: Request, target: Target, response: Any) -> Any:
    """Consume the provider's answer, then save the assistant message once.

    A stream is read here to its end and the response is `null`, as upstream's is
    for a chat without a browser to stream to; JSON is saved and returned.
    """
    if isinstance(response, StreamingResponse):
        try:
            message = await streamed_reply(response.body_iterator)
        except (httpx.HTTPError, TimeoutError) as error:
            # Upstream saves and answers the failure in its exception's own words.
            await save(
                request, target, {"error": {"content": str(error)}, "done": True}
            )
            raise HTTPException(400, str(error)) from error
        await save(request, target, message)
        return None
    if isinstance(response, dict):
        choices = response.get("choices") or []
        message = (choices[0].get("message") or {}) if choices else {}
        if content := message.get("content"):
            await save(
                request,
                target,
                {"role": "assistant", **reply(content, response.get("usage"))},
            )
    return response


async def save(request: Request, target: Target | None, message: dict) -> None:
    if target is None or target.chat_id.startswith(UNSAVED_CHAT_PREFIXES):
        return
    await in_session(
        request, chats.save_message, target.chat_id, target.message_id, message
    )


# --8<-- [end:save-message]

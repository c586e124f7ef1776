"""The chat model list: each provider connection's models, workspace models over them.

Upstream builds it in `utils/models.py` (`get_all_models`) from what
`routers/openai.py` gathers. The list is kept on `app.state` (`ModelRegistry`): chat
requests look models up in the last list built, as upstream's do.
"""

import asyncio
import copy
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlparse

import httpx
from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from reference_backend.internal.deps import in_session
from reference_backend.models import config
from reference_backend.models.models import Model, normalize_tags, to_responses
from reference_backend.models.users import UserModel

OPENAI_HOST = "api.openai.com"
# OpenAI lists models a chat cannot use; upstream hides those from its own host.
NOT_CHAT_MODELS = ("babbage", "dall-e", "davinci", "embedding", "tts", "whisper")


# --8<-- [start:connections]
@dataclass(frozen=True)
class Connection:
    """One OpenAI-compatible connection: its URL, key and `openai.api_configs` entry."""

    idx: int
    url: str
    key: str
    # prefix_id, enable, model_ids, tags, connection_type, provider…
    options: dict

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}


def one_key_per_url(urls: list[str], keys: list[str]) -> list[str]:
    """Keys padded with "" or cut to the number of URLs, as upstream stores them."""
    return [*keys[: len(urls)], *[""] * (len(urls) - len(keys))]


def read_connections(db: Session) -> list[Connection] | None:
    """The connections, read per request from the config table; None when disabled.

    A key list that does not match the URLs is fixed and stored, as upstream does
    the first time it gathers models.
    """
    stored = config.get_many(
        db,
        "openai.enable",
        "openai.api_base_urls",
        "openai.api_keys",
        "openai.api_configs",
    )
    if not stored["openai.enable"]:
        return None
    urls = stored["openai.api_base_urls"] or []
    keys = stored["openai.api_keys"] or []
    options = stored["openai.api_configs"] or {}
    if len(keys) != len(urls):
        keys = one_key_per_url(urls, keys)
        config.upsert(db, {"openai.api_keys": keys})
    return [
        # Options are keyed by index; older configs keyed them by URL.
        Connection(idx, url, keys[idx], options.get(str(idx), options.get(url, {})))
        for idx, url in enumerate(urls)
    ]


# --8<-- [end:connections]


# --8<-- [start:cache]
@dataclass
class ModelRegistry:
    """What upstream keeps on `app.state`: the last model list and a provider cache."""

    # Every model by id, as the last `all_models` built it: chats look models up here.
    models: dict[str, dict] = field(default_factory=dict)
    # The provider models by id, each with its connection's `urlIdx`.
    provider: dict[str, dict] = field(default_factory=dict)
    # User id → (monotonic time gathered, provider models).
    gathered: dict[str, tuple[float, dict[str, dict]]] = field(default_factory=dict)

    def cached(self, user_id: str, ttl: int | None) -> dict[str, dict] | None:
        """The user's provider list while it is fresh. Upstream's cache treats a TTL
        of 0, like none, as "keep until a refresh"."""
        entry = self.gathered.get(user_id)
        if entry is None or (ttl and time.monotonic() - entry[0] >= ttl):
            return None
        return entry[1]

    def clear(self) -> None:
        self.models, self.provider, self.gathered = {}, {}, {}


# --8<-- [end:cache]


# --8<-- [start:all-models]
async def connection_models(
    client: httpx.AsyncClient, connection: Connection, timeout: int | None
) -> list[dict] | None:
    """One connection's models; None when it is off, down, slow or answers junk."""
    if not connection.options.get("enable", True):
        return None
    if model_ids := connection.options.get("model_ids"):
        return [
            {"id": model_id, "name": model_id, "owned_by": "openai"}
            | {"openai": {"id": model_id}, "urlIdx": connection.idx}
            for model_id in model_ids
        ]
    try:
        async with asyncio.timeout(timeout):
            response = await client.get(
                f"{connection.url}/models", headers=connection.headers()
            )
            body = response.json()
    except (httpx.HTTPError, ValueError, TimeoutError):
        return None
    # An error body has no `data`, and upstream then takes nothing from it.
    listed = body.get("data") if isinstance(body, dict) else body
    if not isinstance(listed, list):
        return None
    return [model for model in listed if isinstance(model, dict)]


def label(model: dict, options: dict) -> dict:
    """The connection's prefix, tags and type, written onto the provider's entry."""
    if model.get("name", "") is None:
        del model["name"]
    if prefix := options.get("prefix_id"):
        model["id"] = f"{prefix}.{model.get('id', model.get('name', ''))}"
        if model.get("name"):
            model["name"] = f"{prefix}.{model['name']}"
    if tags := options.get("tags"):
        model["tags"] = tags
    if connection_type := options.get("connection_type", "external"):
        model["connection_type"] = connection_type
    if provider := options.get("provider"):
        model["provider"] = provider
    return model


def merge_connections(
    connections: list[Connection], lists: Iterable[list[dict] | None]
) -> dict[str, dict]:
    """The models of all connections by id; the first connection to list an id wins."""
    merged: dict[str, dict] = {}
    for connection, listed in zip(connections, lists, strict=True):
        for model in listed or []:
            label(model, connection.options)
            model_id = model.get("id") or model.get("name")
            if urlparse(connection.url).hostname == OPENAI_HOST and any(
                word in str(model_id) for word in NOT_CHAT_MODELS
            ):
                continue
            if model_id and model_id not in merged:
                merged[model_id] = model | {
                    "name": model.get("name", model_id),
                    "owned_by": "openai",
                    "openai": model,
                    "connection_type": model.get("connection_type", "external"),
                    "provider": model.get("provider", ""),
                    "urlIdx": connection.idx,
                }
    return merged


async def provider_models(request: Request, user: UserModel) -> dict[str, dict]:
    """Every connection's models, asked concurrently; reused per user for a second."""
    state = request.app.state
    registry: ModelRegistry = state.models
    if (
        cached := registry.cached(user.id, state.settings.models_cache_ttl)
    ) is not None:
        return cached
    connections = await in_session(request, read_connections)
    if connections is None:
        registry.provider = {}
        return {}
    timeout = state.settings.aiohttp_client_timeout_model_list
    lists = await asyncio.gather(
        *(connection_models(state.http, each, timeout) for each in connections)
    )
    registry.provider = merge_connections(connections, lists)
    registry.gathered[user.id] = (time.monotonic(), registry.provider)
    return registry.provider


def public_params(params: dict) -> dict:
    """The parameters every user may see: control labels, never their values."""
    public = {}
    if controls := params.get("model_controls"):
        public["model_controls"] = {
            key: {
                **{
                    name: control[name]
                    for name in ("label", "description", "default", "display")
                    if name in control
                },
                "options": {
                    option_key: {"label": option["label"]}
                    for option_key, option in control["options"].items()
                },
            }
            for key, control in controls.items()
        }
    if "compact_token_threshold" in params:
        public["compact_token_threshold"] = params["compact_token_threshold"]
    return public


def workspace_entry(info: dict, base: dict | None) -> dict:
    """A workspace model (one with a base model) as the list shows it."""
    base = base or {}
    return {
        "id": info["id"],
        "name": info["name"],
        "object": "model",
        "created": info["created_at"],
        "owned_by": base.get("owned_by", "openai"),
        "connection_type": base.get("connection_type"),
        "preset": True,
        **({"provider": base["provider"]} if base.get("provider") else {}),
        "info": info,
    }


def merge_workspace(base_models: list[dict], rows: list[dict]) -> list[dict]:
    """Apply the `model` rows (as the API returns them): a row without a base model
    renames and describes the provider model of the same id (or hides it when
    inactive); an active row with a base model is listed on its own, after the
    provider models. Their params are cut to what every user may see."""
    models = [dict(model) for model in base_models]
    by_id = {model["id"]: model for model in models}
    for row in rows:
        info = row | {"params": public_params(row["params"])}
        if row["base_model_id"] is None:
            model = by_id.get(row["id"])
            if model is None:
                continue
            if not row["is_active"]:
                models = [each for each in models if each is not model]
                continue
            model |= {"name": row["name"], "info": info}
        elif row["is_active"] and row["id"] not in by_id:
            models.append(workspace_entry(info, by_id.get(row["base_model_id"])))
    return models


def apply_defaults(models: list[dict], metadata: dict, params: dict) -> None:
    """The admin's default metadata and context threshold, under each model's own."""
    for model in models:
        if metadata:
            meta = model.setdefault("info", {}).setdefault("meta", {})
            for key, value in metadata.items():
                if key == "capabilities":
                    meta["capabilities"] = {**value, **(meta.get("capabilities") or {})}
                elif meta.get(key) is None:
                    meta[key] = copy.deepcopy(value)
        if (threshold := params.get("compact_token_threshold")) is not None:
            info = model.get("info") or {}
            model["info"] = info | {
                "params": {"compact_token_threshold": threshold}
                | (info.get("params") or {})
            }
        # This backend runs no functions: no model has actions or filters.
        model |= {"actions": [], "filters": []}


def workspace_rows(db: Session) -> tuple[list[dict], dict, dict]:
    defaults = config.get_many(db, "models.default_metadata", "models.default_params")
    return (
        to_responses(db, list(db.scalars(select(Model)))),
        defaults["models.default_metadata"] or {},
        defaults["models.default_params"] or {},
    )


async def all_models(
    request: Request, user: UserModel, refresh: bool = False
) -> list[dict]:
    """Provider models, then workspace models; also what chats will look up.

    With no provider model there is nothing to build on, and upstream then lists
    nothing at all, workspace models included, and keeps its previous lookup table.
    """
    registry: ModelRegistry = request.app.state.models
    if refresh:
        registry.clear()
    base_models = list((await provider_models(request, user)).values())
    if not base_models:
        return []
    rows, metadata, params = await in_session(request, workspace_rows)
    models = merge_workspace(base_models, rows)
    apply_defaults(models, metadata, params)
    registry.models = {model["id"]: dict(model) for model in models}
    return models


# --8<-- [end:all-models]


# --8<-- [start:order]
def unique(models: list[dict]) -> list[dict]:
    """One entry per id: the last, as chats resolve it."""
    return list({model["id"]: model for model in models}.values())


def listed(models: list[dict], order: list[str] | None) -> list[dict]:
    """`GET /api/models`: the entries without avatars, tags merged, in the admin's
    order."""
    shown = []
    for model in models:
        info = model.get("info") if isinstance(model.get("info"), dict) else {}
        meta = info.get("meta") if isinstance(info.get("meta"), dict) else {}
        meta.pop("profile_image_url", None)
        if "tags" in meta:
            meta["tags"] = normalize_tags(meta["tags"])
        tags = normalize_tags(meta.get("tags")) + normalize_tags(model.get("tags"))
        shown.append(
            model | {"tags": list({tag["name"]: tag for tag in tags}.values())}
        )
    if order:
        rank = {model_id: index for index, model_id in enumerate(order)}
        shown.sort(
            key=lambda model: (
                rank.get(model.get("id", ""), float("inf")),
                model.get("name", "") or "",
            )
        )
    return shown


# --8<-- [end:order]

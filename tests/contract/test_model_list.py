"""The chat UI's model list, `/api/models` (and `/api/v1/models`), with a provider
connected: the provider's models merged with workspace models, who sees which, in
which order, and a list that holds when a connection is down or slow.
"""

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from support.provider import running_provider

from . import messages
from .api import Account
from .completions import (
    PROVIDER_MODEL,
    ask,
    closed_port_url,
    openai_connections,
    reply_to,
    unique_words,
    workspace_model_form,
)
from .servers import Server

pytestmark = pytest.mark.needs_provider

LIST_PATHS = pytest.mark.parametrize("path", ["/api/models", "/api/v1/models"])
PUBLIC_READ = [{"principal_type": "user", "principal_id": "*", "permission": "read"}]
# The provider's entry as /openai/models shows it, which /api/models extends.
PROVIDED = {
    "id": PROVIDER_MODEL,
    "object": "model",
    "created": 1_700_000_000,
    "owned_by": "handbook",
    "connection_type": "external",
}
BASE_ENTRY = PROVIDED | {
    "owned_by": "openai",
    "name": PROVIDER_MODEL,
    "openai": PROVIDED,
    "provider": "",
    "urlIdx": 0,
}


@pytest.fixture
def make_model(client: httpx.Client, admin: Account) -> Iterator[Callable[..., dict]]:
    """Create workspace models of the admin's; they are deleted after the test, so
    that no other test's list changes."""
    made = []

    def make(**fields: object) -> dict:
        form = workspace_model_form(**fields)
        response = client.post(
            "/api/v1/models/create", headers=admin.headers, json=form
        )
        assert response.status_code == 200, response.text
        made.append(form["id"])
        created = response.json()
        # The create form's grants are stored with the model, as upstream does.
        granted = [
            {key: grant[key] for key in PUBLIC_READ[0]}
            for grant in created["access_grants"]
        ]
        assert granted == form.get("access_grants", [])
        return created

    yield make
    for model_id in made:
        client.post(
            "/api/v1/models/model/delete", headers=admin.headers, json={"id": model_id}
        )


def listed(client: httpx.Client, caller: Account, path: str = "/api/models") -> list:
    response = client.get(path, headers=caller.headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"data"}
    return response.json()["data"]


@LIST_PATHS
def test_a_providers_model_as_listed(
    client: httpx.Client, admin: Account, path: str
) -> None:
    [entry] = [
        model for model in listed(client, admin, path) if model["id"] == PROVIDER_MODEL
    ]
    assert entry == BASE_ENTRY | {"actions": [], "filters": [], "tags": []}


# --8<-- [start:workspace-entry]
@LIST_PATHS
def test_a_workspace_model_as_listed(
    client: httpx.Client, admin: Account, make_model: Callable[..., dict], path: str
) -> None:
    """Built on the provider's model: its connection type and owner, the model's row
    as `info` without its picture or its params (a system prompt stays private),
    and its tags."""
    tags = [{"name": "writing"}]
    model = make_model(
        meta={"description": "d", "profile_image_url": "/favicon.png", "tags": tags},
        params={"system": "Be brief.", "temperature": 0.2},
    )
    [entry] = [
        item for item in listed(client, admin, path) if item["id"] == model["id"]
    ]
    meta = {
        key: value for key, value in model["meta"].items() if key != "profile_image_url"
    }
    assert entry == {
        "id": model["id"],
        "name": model["name"],
        "object": "model",
        "created": model["created_at"],
        "owned_by": "openai",
        "connection_type": "external",
        "preset": True,
        "info": model | {"params": {}, "meta": meta},
        "actions": [],
        "filters": [],
        "tags": tags,
    }


# --8<-- [end:workspace-entry]


def test_the_order_is_providers_then_workspace_models_as_created(
    client: httpx.Client, admin: Account, make_model: Callable[..., dict]
) -> None:
    """No order is configured: the providers' models come first, then workspace
    models in the order they were made, whatever their names."""
    first = make_model(name=f"Zulu {uuid.uuid4().hex[:6]}")
    second = make_model(name=f"Alpha {uuid.uuid4().hex[:6]}")
    ids = [model["id"] for model in listed(client, admin)]
    assert ids.index(PROVIDER_MODEL) < ids.index(first["id"]) < ids.index(second["id"])


# --8<-- [start:access]
def test_each_user_sees_what_access_allows(
    client: httpx.Client,
    admin: Account,
    user: Account,
    make_model: Callable[..., dict],
) -> None:
    """A user sees a workspace model shared with everyone, not an admin's private
    one, and no provider model that has no workspace entry; the admin sees all."""
    shared = make_model(access_grants=PUBLIC_READ)
    private = make_model()
    for_admin = [model["id"] for model in listed(client, admin)]
    for_user = [model["id"] for model in listed(client, user)]
    assert {PROVIDER_MODEL, shared["id"], private["id"]} <= set(for_admin)
    assert shared["id"] in for_user
    assert private["id"] not in for_user
    assert PROVIDER_MODEL not in for_user


# --8<-- [end:access]


def test_a_shared_base_model_entry_lets_users_list_and_use_it(
    client: httpx.Client,
    admin: Account,
    user: Account,
    make_model: Callable[..., dict],
) -> None:
    """A workspace entry with the provider model's own id and no base customises
    that model: shared with everyone, users see it under its new name and may use
    it, and a shared model built on it works for them too."""
    override = make_model(
        id=PROVIDER_MODEL,
        base_model_id=None,
        name="Echo for everyone",
        access_grants=PUBLIC_READ,
    )
    built_on = make_model(access_grants=PUBLIC_READ)
    entries = {model["id"]: model for model in listed(client, user)}
    assert entries[PROVIDER_MODEL]["name"] == "Echo for everyone"
    assert entries[PROVIDER_MODEL]["urlIdx"] == 0
    assert entries[PROVIDER_MODEL]["info"]["id"] == override["id"]
    assert built_on["id"] in entries
    for model_id in (PROVIDER_MODEL, built_on["id"]):
        words = unique_words()
        body = {"model": model_id, "messages": ask(words)}
        response = client.post("/api/chat/completions", headers=user.headers, json=body)
        assert response.status_code == 200, response.text
        assert response.json()["choices"][0]["message"]["content"] == reply_to(words)


def test_a_model_switched_off_is_not_listed(
    client: httpx.Client, admin: Account, make_model: Callable[..., dict]
) -> None:
    """A workspace model toggled off leaves the list; so does a provider's model
    whose own workspace entry is toggled off."""
    built = make_model()
    override = make_model(id=PROVIDER_MODEL, base_model_id=None, name="Echo")
    for model in (built, override):
        toggled = client.post(
            "/api/v1/models/model/toggle",
            headers=admin.headers,
            params={"id": model["id"]},
        )
        assert toggled.status_code == 200, toggled.text
        assert toggled.json()["is_active"] is False
    ids = [model["id"] for model in listed(client, admin)]
    assert built["id"] not in ids
    assert PROVIDER_MODEL not in ids


def test_base_models_are_for_admins(
    client: httpx.Client, admin: Account, user: Account
):
    """The providers' models alone, without the list's per-user additions."""
    response = client.get("/api/models/base", headers=admin.headers)
    assert response.status_code == 200
    assert response.json() == {"data": [BASE_ENTRY]}
    refused = client.get("/api/models/base", headers=user.headers)
    assert (refused.status_code, refused.json()) == (
        401,
        {"detail": messages.ACCESS_PROHIBITED},
    )


def test_refresh_asks_the_provider_again(
    server: Server, client: httpx.Client, admin: Account
) -> None:
    assert server.provider is not None

    def model_requests() -> int:
        return sum(
            event["path"] == "/v1/models" for event in server.provider.events("request")
        )

    before = model_requests()
    response = client.get(
        "/api/models", headers=admin.headers, params={"refresh": "true"}
    )
    assert response.status_code == 200
    assert PROVIDER_MODEL in [model["id"] for model in response.json()["data"]]
    assert model_requests() == before + 1


# --8<-- [start:down-or-slow]
def test_a_connection_down_or_slow_leaves_the_others_listed(
    server: Server, client: httpx.Client, admin: Account, tmp_path: Path
) -> None:
    """Two more connections: one on a closed port, one whose model list takes 10 s.
    The list still answers, within the 2 s model-list timeout and a margin, with the
    working connection's models only."""
    assert server.provider is not None
    with (
        running_provider(
            tmp_path, models=("handbook-slow",), models_delay_ms=10_000
        ) as slow,
        openai_connections(
            client,
            admin,
            OPENAI_API_BASE_URLS=[
                server.provider.base_url,
                closed_port_url(),
                slow.base_url,
            ],
            OPENAI_API_KEYS=[server.provider.api_key, "", ""],
            OPENAI_API_CONFIGS={},
        ),
    ):
        started = time.monotonic()
        response = client.get(
            "/api/models", headers=admin.headers, params={"refresh": "true"}
        )
        waited = time.monotonic() - started
    assert response.status_code == 200
    ids = [model["id"] for model in response.json()["data"]]
    assert PROVIDER_MODEL in ids
    assert "handbook-slow" not in ids
    assert waited < 5.0


# --8<-- [end:down-or-slow]

"""Workspace models (/api/v1/models) and the chat UI's model list (/api/models).

Model ids travel in query strings and bodies, never in the path, so they may hold
a slash; the tests use one.
"""

import uuid
from collections.abc import Callable

import httpx
import pytest

from . import messages, shapes
from .api import Account
from .servers import Server

PAGE_SIZE = 30


def model_form(name: str | None = None, **fields: object) -> dict:
    """A create form as the workspace editor sends it, with a fresh id and, unless
    given, a fresh name: the list's `query` searches names, not ids."""
    return {
        "id": f"team/{uuid.uuid4().hex[:10]}",
        "base_model_id": "gpt-x",
        "name": name or f"Helper {uuid.uuid4().hex[:10]}",
        "meta": {
            "description": "Answers briefly.",
            "profile_image_url": "/favicon.png",
        },
        "params": {"system": "Be brief.", "temperature": 0.2},
    } | fields


def create(client: httpx.Client, caller: Account, form: dict) -> httpx.Response:
    return client.post("/api/v1/models/create", headers=caller.headers, json=form)


@pytest.fixture
def model(client: httpx.Client, admin: Account) -> dict:
    """A workspace model of the admin's; only admins may create one by default."""
    response = create(client, admin, model_form())
    assert response.status_code == 200, response.text
    return response.json()


def get_model(client: httpx.Client, caller: Account, model_id: str) -> httpx.Response:
    return client.get(
        "/api/v1/models/model", headers=caller.headers, params={"id": model_id}
    )


def test_create_model(client: httpx.Client, admin: Account) -> None:
    form = model_form()
    response = create(client, admin, form)
    assert response.status_code == 200
    created = response.json()
    assert set(created) == shapes.MODEL
    assert created["id"] == form["id"]
    assert created["user_id"] == admin.id
    assert created["base_model_id"] == "gpt-x"
    assert created["name"] == form["name"]
    assert created["params"] == form["params"]
    assert created["is_active"] is True
    assert created["access_grants"] == []
    # Unsent meta fields come back as null.
    assert set(created["meta"]) == shapes.MODEL_META
    assert created["meta"]["description"] == "Answers briefly."
    assert created["meta"]["profile_image_url"] == "/favicon.png"
    assert created["meta"]["voice"] is None


def test_model_id_is_unique(client: httpx.Client, admin: Account, model: dict):
    response = create(client, admin, model_form("Copycat", id=model["id"]))
    assert response.status_code == 401
    assert response.json() == {"detail": messages.MODEL_ID_TAKEN}
    assert get_model(client, admin, model["id"]).json()["name"] == model["name"]


def test_model_id_length_limit(client: httpx.Client, admin: Account) -> None:
    response = create(client, admin, model_form(id="m" * 257))
    assert response.status_code == 400
    assert response.json() == {"detail": messages.MODEL_ID_TOO_LONG}


def test_get_model(client: httpx.Client, admin: Account, model: dict) -> None:
    response = get_model(client, admin, model["id"])
    assert response.status_code == 200
    body = response.json()
    assert set(body) == shapes.MODEL_ACCESS
    assert body["write_access"] is True
    assert {key: body[key] for key in shapes.MODEL} == model


def test_get_unknown_model(client: httpx.Client, admin: Account) -> None:
    response = get_model(client, admin, f"team/{uuid.uuid4().hex}")
    assert response.status_code == 404
    assert response.json() == {"detail": messages.NOT_FOUND}


def test_model_list(client: httpx.Client, admin: Account, model: dict) -> None:
    response = client.get(
        "/api/v1/models/list", headers=admin.headers, params={"query": model["name"]}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "total"}
    assert body["total"] == 1
    [item] = body["items"]
    assert set(item) == shapes.MODEL_ACCESS
    assert item["id"] == model["id"]
    assert item["write_access"] is True
    assert item["user"] == {
        "id": admin.id,
        "name": admin.name,
        "role": "admin",
        "email": admin.email,
    }
    # Pictures are left out of lists: they are served one by one.
    assert set(item["meta"]) == shapes.MODEL_META - {"profile_image_url"}


def test_model_list_pages(client: httpx.Client, admin: Account) -> None:
    tag = uuid.uuid4().hex[:10]
    made = {
        create(client, admin, model_form(f"Paged {tag} {n}")).json()["id"]
        for n in range(PAGE_SIZE + 1)
    }
    pages = [
        client.get(
            "/api/v1/models/list",
            headers=admin.headers,
            params={"query": tag, "page": page},
        ).json()
        for page in (1, 2)
    ]
    assert [page["total"] for page in pages] == [PAGE_SIZE + 1] * 2
    assert [len(page["items"]) for page in pages] == [PAGE_SIZE, 1]
    assert {item["id"] for page in pages for item in page["items"]} == made


def test_list_leaves_out_base_model_overrides(
    client: httpx.Client, admin: Account
) -> None:
    """A model without base_model_id customises a provider's model of the same id;
    the workspace list shows only models built on a base."""
    override = create(client, admin, model_form(base_model_id=None)).json()
    assert override["base_model_id"] is None
    assert get_model(client, admin, override["id"]).status_code == 200
    listed = client.get(
        "/api/v1/models/list", headers=admin.headers, params={"query": override["name"]}
    )
    assert listed.json() == {"items": [], "total": 0}


def test_update_model(client: httpx.Client, admin: Account, model: dict) -> None:
    form = model_form("Renamed", id=model["id"], params={"temperature": 0.9})
    form["meta"] = {"description": "New text."}
    response = client.post(
        "/api/v1/models/model/update", headers=admin.headers, json=form
    )
    assert response.status_code == 200
    updated = response.json()
    assert set(updated) == shapes.MODEL
    assert updated["name"] == "Renamed"
    assert updated["params"] == {"temperature": 0.9}
    assert updated["meta"]["description"] == "New text."
    # A picture left out of the form is kept, not erased.
    assert updated["meta"]["profile_image_url"] == "/favicon.png"
    assert get_model(client, admin, model["id"]).json()["name"] == "Renamed"


def test_update_unknown_model(client: httpx.Client, admin: Account) -> None:
    response = client.post(
        "/api/v1/models/model/update", headers=admin.headers, json=model_form()
    )
    assert response.status_code == 401
    assert response.json() == {"detail": messages.NOT_FOUND}


def test_toggle_model(client: httpx.Client, admin: Account, model: dict) -> None:
    def toggle() -> dict:
        response = client.post(
            "/api/v1/models/model/toggle",
            headers=admin.headers,
            params={"id": model["id"]},
        )
        assert response.status_code == 200
        return response.json()

    off = toggle()
    assert set(off) == shapes.MODEL
    assert off["is_active"] is False
    assert get_model(client, admin, model["id"]).json()["is_active"] is False
    assert toggle()["is_active"] is True


def test_delete_model(client: httpx.Client, admin: Account, model: dict) -> None:
    def delete() -> httpx.Response:
        return client.post(
            "/api/v1/models/model/delete",
            headers=admin.headers,
            json={"id": model["id"]},
        )

    response = delete()
    assert response.status_code == 200
    assert response.json() is True
    assert get_model(client, admin, model["id"]).status_code == 404
    again = delete()
    assert again.status_code == 401
    assert again.json() == {"detail": messages.NOT_FOUND}


def test_unknown_model_cannot_be_toggled(client: httpx.Client, admin: Account):
    response = client.post(
        "/api/v1/models/model/toggle",
        headers=admin.headers,
        params={"id": f"team/{uuid.uuid4().hex}"},
    )
    assert response.status_code == 401
    assert response.json() == {"detail": messages.NOT_FOUND}


def test_users_cannot_touch_an_admins_model(
    client: httpx.Client, user: Account, admin: Account, model: dict
) -> None:
    """Without a grant a user neither sees nor edits another's model; the status
    codes vary by route, as upstream's do."""
    by_id = {"id": model["id"]}
    attempts = [
        (get_model(client, user, model["id"]), 401, messages.ACCESS_PROHIBITED),
        (
            client.post(
                "/api/v1/models/model/update",
                headers=user.headers,
                json=model_form("Hijacked", id=model["id"]),
            ),
            400,
            messages.ACCESS_PROHIBITED,
        ),
        (
            client.post(
                "/api/v1/models/model/toggle", headers=user.headers, params=by_id
            ),
            401,
            messages.UNAUTHORIZED,
        ),
        (
            client.post(
                "/api/v1/models/model/delete", headers=user.headers, json=by_id
            ),
            401,
            messages.UNAUTHORIZED,
        ),
    ]
    for response, status, detail in attempts:
        assert (response.status_code, response.json()) == (status, {"detail": detail})
    listed = client.get(
        "/api/v1/models/list", headers=user.headers, params={"query": model["name"]}
    )
    assert listed.json() == {"items": [], "total": 0}
    assert {
        key: get_model(client, admin, model["id"]).json()[key] for key in shapes.MODEL
    } == model


def test_users_cannot_create_models(client: httpx.Client, user: Account) -> None:
    """Creating needs the `workspace.models` permission, off for users by default."""
    form = model_form()
    response = create(client, user, form)
    assert response.status_code == 401
    assert response.json() == {"detail": messages.UNAUTHORIZED}
    assert get_model(client, user, form["id"]).status_code == 404


@pytest.mark.no_provider
@pytest.mark.parametrize("path", ["/api/models", "/api/v1/models"])
def test_chat_model_list_without_connections(
    client: httpx.Client,
    admin: Account,
    make_user: Callable[..., Account],
    model: dict,
    path: str,
) -> None:
    """With no provider connection there are no base models, and upstream then lists
    nothing at all: workspace models are only shown on top of base models."""
    for caller in (admin, make_user()):
        response = client.get(path, headers=caller.headers)
        assert response.status_code == 200
        assert response.json() == {"data": []}


# --8<-- [start:provider-models]
@pytest.mark.needs_provider
@pytest.mark.parametrize("path", ["/api/models", "/api/v1/models"])
def test_chat_model_list_shows_the_providers_models(
    server: Server, client: httpx.Client, admin: Account, user: Account, path: str
) -> None:
    """What the model picker shows in a real deployment: to an admin, each model the
    connected provider lists, under its own id, tagged with its connection. A user
    sees a provider's model only once a workspace model grants it: none here."""
    assert server.provider is not None
    provided = server.provider.models
    assert provided

    def listed(account: Account) -> dict[str, dict]:
        response = client.get(path, headers=account.headers)
        assert response.status_code == 200
        return {model["id"]: model for model in response.json()["data"]}

    for_admin = listed(admin)
    assert set(provided) <= set(for_admin)
    for model_id in provided:
        model = for_admin[model_id]
        assert (model["name"], model["object"]) == (model_id, "model")
        assert (model["owned_by"], model["connection_type"]) == ("openai", "external")
        assert model["urlIdx"] == 0
    assert set(provided) & set(listed(user)) == set()


# --8<-- [end:provider-models]


def test_chat_model_list_needs_a_session(client: httpx.Client) -> None:
    response = client.get("/api/models")
    assert response.status_code == 401
    assert response.json() == {"detail": messages.NOT_AUTHENTICATED}

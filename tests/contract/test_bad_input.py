"""Malformed requests: a 4xx that says what is wrong, never a 500, and no change.

Outside the auth router, validation errors keep FastAPI's list-style body: clients
read `detail[].loc` to point at the bad field. Each test reads the state afterwards.
"""

import uuid

import httpx
import pytest

from . import messages
from .api import Account, new_chat
from .targets import Target


def assert_invalid(response: httpx.Response, loc: list) -> None:
    """A FastAPI validation error that names the field at `loc`."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list)
    assert all({"type", "loc", "msg"} <= set(error) for error in detail)
    assert loc in [error["loc"] for error in detail]


def chat_list(client: httpx.Client, user: Account) -> list:
    return client.get("/api/v1/chats/", headers=user.headers).json()


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"chat": "notadict"}, ["body", "chat"]),
        ({"chat": ["a", "list"]}, ["body", "chat"]),
        ({"title": "no chat key"}, ["body", "chat"]),
        ({"chat": {}, "variables": "x"}, ["body", "variables"]),
    ],
    ids=["string", "list", "missing", "bad-variables"],
)
def test_invalid_chat_update(
    client: httpx.Client, user: Account, body: dict, loc: list
) -> None:
    chat = new_chat(client, user, {"title": "Intact"})
    response = client.post(
        f"/api/v1/chats/{chat['id']}", headers=user.headers, json=body
    )
    assert_invalid(response, loc)
    stored = client.get(f"/api/v1/chats/{chat['id']}", headers=user.headers).json()
    assert (stored["title"], stored["updated_at"]) == ("Intact", chat["updated_at"])


def test_unparsable_chat_body(client: httpx.Client, user: Account) -> None:
    chat = new_chat(client, user, {"title": "Intact"})
    response = client.post(
        f"/api/v1/chats/{chat['id']}",
        headers=user.headers | {"content-type": "application/json"},
        content=b'{"chat": {"title": ',
    )
    assert response.status_code == 422
    stored = client.get(f"/api/v1/chats/{chat['id']}", headers=user.headers).json()
    assert stored["title"] == "Intact"


@pytest.mark.parametrize("body", [{"chat": [1]}, {"chat": None}, {}])
def test_invalid_new_chat(client: httpx.Client, user: Account, body: dict) -> None:
    response = client.post("/api/v1/chats/new", headers=user.headers, json=body)
    assert_invalid(response, ["body", "chat"])
    assert chat_list(client, user) == []


@pytest.mark.parametrize("title", [None, 5, ["x"]])
def test_chat_title_must_be_text(client: httpx.Client, user: Account, title) -> None:
    response = client.post(
        "/api/v1/chats/new", headers=user.headers, json={"chat": {"title": title}}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": messages.SOMETHING_WENT_WRONG}
    assert chat_list(client, user) == []


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/api/v1/chats/", "page"),
        ("/api/v1/users/", "page"),
        ("/api/v1/models/list", "page"),
    ],
)
def test_non_numeric_page(
    client: httpx.Client, admin: Account, path: str, param: str
) -> None:
    response = client.get(path, headers=admin.headers, params={param: "two"})
    assert_invalid(response, ["query", param])


def test_invalid_role_update(
    client: httpx.Client, admin: Account, user: Account
) -> None:
    response = client.post(
        f"/api/v1/users/{user.id}/update",
        headers=admin.headers,
        json={"role": ["admin"]},
    )
    assert_invalid(response, ["body", "role"])
    stored = client.get(f"/api/v1/users/{user.id}", headers=admin.headers).json()
    assert stored["role"] == "user"


@pytest.mark.parametrize(
    ("form", "loc"),
    [
        ({"id": "has space", "name": "x", "meta": {}, "params": {}}, ["body", "id"]),
        ({"id": "no-meta", "name": "x", "params": {}}, ["body", "meta"]),
        ({"id": "no-params", "name": "x", "meta": {}}, ["body", "params"]),
        ({"id": "no-name", "meta": {}, "params": {}}, ["body", "name"]),
    ],
    ids=["space-in-id", "no-meta", "no-params", "no-name"],
)
def test_invalid_model_form(
    client: httpx.Client, admin: Account, form: dict, loc: list
) -> None:
    form = form | {"id": f"{form['id']}-{uuid.uuid4().hex[:8]}"}
    response = client.post("/api/v1/models/create", headers=admin.headers, json=form)
    assert_invalid(response, loc)
    stored = client.get(
        "/api/v1/models/model", headers=admin.headers, params={"id": form["id"]}
    )
    assert stored.status_code == 404


def test_model_routes_need_an_id(client: httpx.Client, admin: Account) -> None:
    assert_invalid(
        client.get("/api/v1/models/model", headers=admin.headers), ["query", "id"]
    )
    assert_invalid(
        client.post("/api/v1/models/model/toggle", headers=admin.headers),
        ["query", "id"],
    )
    assert_invalid(
        client.post("/api/v1/models/model/delete", headers=admin.headers, json={}),
        ["body", "id"],
    )


def test_invalid_model_update_changes_nothing(
    client: httpx.Client, admin: Account
) -> None:
    model_id = f"intact/{uuid.uuid4().hex[:10]}"
    form = {"id": model_id, "base_model_id": "gpt-x", "name": "Intact"}
    created = client.post(
        "/api/v1/models/create",
        headers=admin.headers,
        json=form | {"meta": {}, "params": {}},
    )
    assert created.status_code == 200
    response = client.post(
        "/api/v1/models/model/update",
        headers=admin.headers,
        json=form | {"name": "Broken", "meta": "x", "params": {}},
    )
    assert_invalid(response, ["body", "meta"])
    stored = client.get(
        "/api/v1/models/model", headers=admin.headers, params={"id": model_id}
    )
    assert stored.json()["name"] == "Intact"


@pytest.mark.parametrize(
    "body",
    [
        {"name": 1, "email": "typed@example.com", "password": "password-1"},
        {"name": "N", "email": None, "password": "password-1"},
        ["name", "email", "password"],
    ],
    ids=["number-name", "null-email", "array"],
)
def test_invalid_signup_body(client: httpx.Client, admin: Account, body) -> None:
    """Validation comes before the signup gate, so the answer is 422 even though
    signup is closed."""
    response = client.post("/api/v1/auths/signup", json=body)
    assert response.status_code == 422
    assert response.json() == {"detail": messages.INVALID_AUTH_REQUEST}
    listed = client.get(
        "/api/v1/users/", headers=admin.headers, params={"query": "typed@example.com"}
    )
    assert listed.json()["total"] == 0


def test_unknown_route(client: httpx.Client, target: Target, user: Account) -> None:
    """The backends answer FastAPI's JSON 404. Open WebUI serves its single-page app
    for every path it has no route for, so a parallel run leaves such paths to it."""
    response = client.get("/api/v1/chats/all/nowhere/else", headers=user.headers)
    if target.impl == "upstream":
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
    else:
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}


def test_wrong_method_is_a_json_405(client: httpx.Client) -> None:
    response = client.delete("/api/version")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}


def test_a_body_that_is_not_json_is_a_422(client: httpx.Client, user: Account) -> None:
    """Valid JSON sent as text/plain is not a JSON body: nothing is created."""
    response = client.post(
        "/api/v1/chats/new",
        headers=user.headers | {"content-type": "text/plain"},
        content=b'{"chat": {"title": "Plain"}}',
    )
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)
    assert chat_list(client, user) == []

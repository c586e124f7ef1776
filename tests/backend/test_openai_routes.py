"""The `/openai` routes and the completion path in-process, against a mock provider.

The contract suite runs the real provider; these pin what needs a provider that
misbehaves on cue: one that is down, one that cuts its stream.
"""

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from reference_backend.env import Settings
from reference_backend.main import create_app
from reference_backend.utils.streaming import ERROR_FRAME

from .conftest import SECRET, account, auth

PROVIDER = "http://provider.test/v1"


async def cut_stream():
    yield b'data: {"choices": [{"delta": {"content": "a"}}]}\n\n'
    raise httpx.ReadError("the provider went away")


def provider(request: httpx.Request) -> httpx.Response:
    if request.url.host == "refusing.test":
        return httpx.Response(401, json={"error": "bad key"})
    if request.url.host == "broken.test":
        return httpx.Response(502, text="bad gateway")
    if request.url.path == "/v1/models":
        return httpx.Response(200, json={"data": [{"id": "m"}, {"id": "n"}]})
    body = json.loads(request.content)
    if body.get("stream"):
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=cut_stream()
        )
    message = {"role": "assistant", "content": "done"}
    usage = {"prompt_tokens": 1, "completion_tokens": 1}
    return httpx.Response(
        200, json={"choices": [{"message": message}], "usage": usage, "sent": body}
    )


def down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused")


@pytest.fixture
def app_client(tmp_path) -> Iterator[TestClient]:
    settings = Settings.from_environ(
        {
            "DATA_DIR": str(tmp_path),
            "WEBUI_SECRET_KEY": SECRET,
            "OPENAI_API_BASE_URLS": PROVIDER,
            "OPENAI_API_KEYS": "sk-1;sk-2",
        }
    )
    with TestClient(create_app(settings)) as client:
        client.app.state.http = httpx.AsyncClient(
            transport=httpx.MockTransport(provider)
        )
        yield client


def test_the_stored_connections_win_and_keys_are_one_per_url(app_client):
    admin = account(app_client, "admin")
    stored = app_client.get("/openai/config", headers=auth(admin)).json()
    # Seeded as the environment gave them; fixed the first time models are gathered.
    assert stored["OPENAI_API_KEYS"] == ["sk-1", "sk-2"]
    app_client.get("/api/models", headers=auth(admin))
    stored = app_client.get("/openai/config", headers=auth(admin)).json()
    assert stored == {
        "ENABLE_OPENAI_API": True,
        "OPENAI_API_BASE_URLS": [PROVIDER],
        "OPENAI_API_KEYS": ["sk-1"],
        "OPENAI_API_CONFIGS": {},
    }
    update = {
        "ENABLE_OPENAI_API": True,
        "OPENAI_API_BASE_URLS": [PROVIDER, "http://other.test/v1"],
        "OPENAI_API_KEYS": ["sk-1"],
        "OPENAI_API_CONFIGS": {"0": {"prefix_id": "p"}, "7": {}},
    }
    saved = app_client.post("/openai/config/update", headers=auth(admin), json=update)
    assert saved.json()["OPENAI_API_KEYS"] == ["sk-1", ""]
    assert saved.json()["OPENAI_API_CONFIGS"] == {"0": {"prefix_id": "p"}}
    listed = app_client.get("/openai/models", headers=auth(admin)).json()["data"]
    # The mock answers for both URLs: the second's ids come unprefixed.
    assert [(model["id"], model["urlIdx"]) for model in listed] == [
        ("p.m", 0),
        ("p.n", 0),
        ("m", 1),
        ("n", 1),
    ]


def test_one_connections_list_is_for_admins(app_client):
    admin = account(app_client, "admin")
    user = account(app_client, "user", admin)
    one = app_client.get("/openai/models/0", headers=auth(admin))
    assert [model["id"] for model in one.json()["data"]] == ["m", "n"]
    missing = app_client.get("/openai/models/3", headers=auth(admin))
    assert (missing.status_code, missing.json()["detail"]) == (
        404,
        "Connection not found",
    )
    assert app_client.get("/openai/models/0", headers=auth(user)).status_code == 401
    assert app_client.get("/api/models/base", headers=auth(user)).status_code == 401
    base = app_client.get("/api/models/base", headers=auth(admin)).json()["data"]
    assert [model["id"] for model in base] == ["m", "n"]


def test_a_provider_that_is_down_lists_nothing_and_fails_a_chat_with_500(app_client):
    app_client.app.state.http = httpx.AsyncClient(transport=httpx.MockTransport(down))
    admin = account(app_client, "admin")
    assert app_client.get("/api/models", headers=auth(admin)).json() == {"data": []}
    chat = {"model": "m", "messages": []}
    # Known from an earlier list: the provider's model is still chosen, then fails.
    app_client.app.state.models.provider = {"m": {"id": "m", "urlIdx": 0}}
    failed = app_client.post("/openai/chat/completions", headers=auth(admin), json=chat)
    assert (failed.status_code, failed.json()) == (
        500,
        {"detail": "Open WebUI: Server Connection Error"},
    )


def test_users_may_not_chat_with_models_they_do_not_own(app_client):
    admin = account(app_client, "admin")
    user = account(app_client, "user", admin)
    chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    app_client.get("/api/models", headers=auth(admin))
    refused = app_client.post("/api/chat/completions", headers=auth(user), json=chat)
    assert (refused.status_code, refused.json()) == (400, {"detail": "Model not found"})
    refused = app_client.post("/openai/chat/completions", headers=auth(user), json=chat)
    assert (refused.status_code, refused.json()) == (403, {"detail": "Model not found"})
    sent = app_client.post("/api/chat/completions", headers=auth(admin), json=chat)
    assert sent.json()["sent"] == {**chat}


def test_a_cut_stream_ends_with_upstreams_error_frame(app_client):
    admin = account(app_client, "admin")
    app_client.get("/api/models", headers=auth(admin))
    chat = {"model": "m", "stream": True, "messages": []}
    with app_client.stream(
        "POST", "/api/chat/completions", headers=auth(admin), json=chat
    ) as response:
        body = b"".join(response.iter_bytes())
    assert response.headers["content-type"] == "text/event-stream"
    assert body.endswith(ERROR_FRAME + b"data: [DONE]\n\n")


def test_a_cut_stream_into_a_chat_saves_the_error_and_answers_400(app_client):
    admin = account(app_client, "admin")
    app_client.get("/api/models", headers=auth(admin))
    chat = app_client.post(
        "/api/v1/chats/new", headers=auth(admin), json={"chat": {"title": "T"}}
    ).json()
    ask = {"model": "m", "stream": True, "chat_id": chat["id"], "id": "reply"}
    failed = app_client.post("/api/chat/completions", headers=auth(admin), json=ask)
    assert (failed.status_code, failed.json()) == (
        400,
        {"detail": "the provider went away"},
    )
    saved = app_client.get(f"/api/v1/chats/{chat['id']}", headers=auth(admin)).json()
    reply = saved["chat"]["history"]["messages"]["reply"]
    assert (reply["done"], reply["error"]) == (
        True,
        {"content": "the provider went away"},
    )


def test_failing_connections_are_named_in_upstreams_words(app_client):
    admin = account(app_client, "admin")
    user = account(app_client, "user", admin)
    urls = [PROVIDER, "http://refusing.test/v1", "http://broken.test/v1"]
    update = {
        "ENABLE_OPENAI_API": True,
        "OPENAI_API_BASE_URLS": urls,
        "OPENAI_API_KEYS": [],
        "OPENAI_API_CONFIGS": {},
    }
    app_client.post("/openai/config/update", headers=auth(admin), json=update)
    refusing = app_client.get("/openai/models/1", headers=auth(admin))
    assert refusing.json() == {"detail": "Unexpected error: External Error: bad key"}
    broken = app_client.get("/openai/models/2", headers=auth(admin))
    assert broken.json() == {"detail": "Unexpected error: HTTP Error: 502"}
    # The working connection's models, which no `model` row gives the user.
    everything = app_client.get("/openai/models", headers=auth(admin)).json()
    assert [model["id"] for model in everything["data"]] == ["m", "n"]
    assert app_client.get("/openai/models", headers=auth(user)).json()["data"] == []


def test_a_workspace_model_sends_its_base_with_its_params_and_prompt(app_client):
    admin = account(app_client, "admin")
    preset = {
        "id": "preset",
        "base_model_id": "m",
        "name": "Preset",
        "meta": {},
        "params": {"system": "Be brief.", "temperature": 0.5, "seed": 7},
    }
    app_client.post("/api/v1/models/create", headers=auth(admin), json=preset)
    app_client.get("/api/models", headers=auth(admin))
    chat = {
        "model": "preset",
        "messages": [{"role": "user", "content": "hi"}],
        "params": {"temperature": 0.9},
        "max_completion_tokens": 4,
    }
    sent = app_client.post("/api/chat/completions", headers=auth(admin), json=chat)
    assert sent.json()["sent"] == {
        "model": "m",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"},
        ],
        "max_tokens": 4,
        "temperature": 0.9,
        "seed": 7,
    }


def test_a_json_reply_into_a_chat_is_saved_with_its_usage(app_client):
    admin = account(app_client, "admin")
    app_client.get("/api/models", headers=auth(admin))
    chat = app_client.post(
        "/api/v1/chats/new", headers=auth(admin), json={"chat": {"title": "T"}}
    ).json()
    ask = {"model": "m", "chat_id": chat["id"], "id": "reply", "messages": []}
    answer = app_client.post("/api/chat/completions", headers=auth(admin), json=ask)
    assert answer.json()["choices"][0]["message"]["content"] == "done"
    saved = app_client.get(f"/api/v1/chats/{chat['id']}", headers=auth(admin)).json()
    reply = saved["chat"]["history"]["messages"]["reply"]
    assert (reply["content"], reply["done"]) == ("done", True)
    assert reply["usage"]["total_tokens"] == 2

"""Chat completions that fail: at the provider, on the way to it, in the middle of a
stream, at the client, or in the request itself. Each failure is chosen per request
with a directive to the model provider (see examples/model-provider).

The `+provider` targets set AIOHTTP_CLIENT_TIMEOUT=5 (seconds, the whole request, body
included, as aiohttp's `total` bounds it), so a provider that never answers fails fast.
"""

import json
import time
import uuid

import httpx
import pytest

from . import messages
from .api import Account, new_chat
from .completions import (
    PATHS,
    PROVIDER_MODEL,
    SERVER_CONNECTION_ERROR,
    ask,
    closed_port_url,
    openai_connections,
    sent_to_provider,
    stream,
    unique_words,
    workspace_model_form,
)
from .servers import Server

pytestmark = pytest.mark.needs_provider

# What /api/chat/completions refuses a model with: one answer for an unknown model
# and for one the caller may not use, so ids are not revealed.
API_MODEL_NOT_FOUND = {"detail": "Model not found"}
API_PATHS = PATHS[:2]
RELAY_PATH = PATHS[2]
BOTH_MODES = pytest.mark.parametrize("streamed", [False, True], ids=["json", "stream"])


def directed_error(status: int) -> dict:
    """The provider's own error body for a `status=N` directive."""
    return {
        "error": {
            "message": f"The request's directive asked for status {status}.",
            "type": "invalid_request_error",
            "param": None,
            "code": "directed_failure",
        }
    }


# --8<-- [start:provider-errors]
@BOTH_MODES
@pytest.mark.parametrize("path", PATHS)
def test_a_provider_error_is_passed_on_with_its_retry_after(
    client: httpx.Client, admin: Account, path: str, streamed: bool
) -> None:
    """The provider's status and JSON body reach the client as they are, with
    Retry-After, streamed request or not."""
    body = {
        "model": PROVIDER_MODEL,
        "messages": ask(unique_words(), "status=429 retry_after=7"),
        "stream": streamed,
    }
    response = client.post(path, headers=admin.headers, json=body)
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/json"
    assert response.headers["retry-after"] == "7"
    assert response.json() == directed_error(429)
    # Of the provider's headers, only Retry-After is kept.
    assert "x-provider-request-id" not in response.headers


@pytest.mark.parametrize("path", PATHS)
def test_a_provider_5xx_is_passed_on(
    client: httpx.Client, admin: Account, path: str
) -> None:
    body = {"model": PROVIDER_MODEL, "messages": ask(unique_words(), "status=503")}
    response = client.post(path, headers=admin.headers, json=body)
    assert response.status_code == 503
    assert response.json() == directed_error(503)
    assert "retry-after" not in response.headers


@BOTH_MODES
@pytest.mark.parametrize("path", PATHS)
def test_a_provider_error_in_plain_text_is_passed_on_as_text(
    client: httpx.Client, admin: Account, path: str, streamed: bool
) -> None:
    """An error page that is not JSON (a proxy's, say) keeps its status and text."""
    body = {
        "model": PROVIDER_MODEL,
        "messages": ask(unique_words(), "status=502 body=text"),
        "stream": streamed,
    }
    response = client.post(path, headers=admin.headers, json=body)
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "The request's directive asked for status 502."


@BOTH_MODES
@pytest.mark.parametrize("path", PATHS)
def test_a_provider_error_sent_as_an_event_is_passed_on_as_json(
    client: httpx.Client, admin: Account, path: str, streamed: bool
) -> None:
    """An error status with an event-stream body is not relayed as a stream: the
    body, which is not JSON, becomes the message of a JSON error with the status
    as its code, and Retry-After is kept."""
    body = {
        "model": PROVIDER_MODEL,
        "messages": ask(unique_words(), "status=503 retry_after=3 body=sse"),
        "stream": streamed,
    }
    response = client.post(path, headers=admin.headers, json=body)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.headers["retry-after"] == "3"
    event = f"data: {json.dumps(directed_error(503), separators=(',', ':'))}\n\n"
    assert response.json() == {"error": {"message": event, "code": 503}}


# --8<-- [end:provider-errors]


# --8<-- [start:unreachable-or-slow]
@BOTH_MODES
@pytest.mark.parametrize("path", PATHS)
def test_an_unreachable_provider_is_a_server_connection_error(
    client: httpx.Client, admin: Account, path: str, streamed: bool
) -> None:
    """A second connection points at a closed port and lists its model by id, so
    the model is known without asking the provider: the request itself fails."""
    ghost = f"ghost-{uuid.uuid4().hex[:8]}"
    with openai_connections(
        client,
        admin,
        OPENAI_API_BASE_URLS=[
            client.get("/openai/config", headers=admin.headers).json()[
                "OPENAI_API_BASE_URLS"
            ][0],
            closed_port_url(),
        ],
        OPENAI_API_CONFIGS={"1": {"enable": True, "model_ids": [ghost]}},
    ):
        listed = client.get("/api/models", headers=admin.headers).json()["data"]
        assert ghost in [model["id"] for model in listed]
        body = {"model": ghost, "messages": ask(unique_words()), "stream": streamed}
        response = client.post(path, headers=admin.headers, json=body)
    assert response.status_code == 500
    assert response.json() == SERVER_CONNECTION_ERROR


@pytest.mark.parametrize(
    ("path", "streamed"),
    [("/api/chat/completions", True), ("/openai/chat/completions", False)],
)
def test_a_provider_that_does_not_answer_in_time(
    server: Server, client: httpx.Client, admin: Account, path: str, streamed: bool
) -> None:
    """The provider holds its headers 8 s; the backend gives up at its 5 s timeout."""
    assert server.provider is not None
    words = unique_words()
    body = {
        "model": PROVIDER_MODEL,
        "messages": ask(words, "delay_ms=8000"),
        "stream": streamed,
    }
    started = time.monotonic()
    response = client.post(path, headers=admin.headers, json=body)
    waited = time.monotonic() - started
    assert response.status_code == 500
    assert response.json() == SERVER_CONNECTION_ERROR
    assert 4.5 <= waited < 7.5
    assert len(sent_to_provider(server.provider, words)) == 1


# --8<-- [end:unreachable-or-slow]


# --8<-- [start:cut]
@pytest.mark.parametrize("path", API_PATHS)
def test_a_stream_cut_by_the_provider_ends_with_an_error_frame(
    client: httpx.Client, admin: Account, path: str
) -> None:
    """The provider drops the connection after three tokens. /api/chat/completions
    passes on what came, then an error frame and `[DONE]`: a clean end."""
    words = unique_words(4)
    body = {
        "model": PROVIDER_MODEL,
        "messages": ask(words, "cut_after=3"),
        "stream": True,
    }
    relayed = stream(client, path, admin, body)
    assert (relayed.status, relayed.error) == (200, None)
    assert relayed.text == " ".join(words.split()[:3])
    assert relayed.frames[3:] == [
        {"error": {"message": "Chat completion stream failed"}},
        "[DONE]",
    ]
    assert all("choices" in frame for frame in relayed.frames[:3])


def test_the_relay_passes_on_a_cut_as_a_cut(client: httpx.Client, admin: Account):
    """/openai/chat/completions relays bytes: the provider's broken stream reaches
    the client broken, after the frames that came, with no error frame."""
    words = unique_words(4)
    body = {
        "model": PROVIDER_MODEL,
        "messages": ask(words, "cut_after=3"),
        "stream": True,
    }
    relayed = stream(client, RELAY_PATH, admin, body)
    assert relayed.status == 200
    assert relayed.error == "RemoteProtocolError"
    assert len(relayed.frames) == 3
    assert relayed.text == " ".join(words.split()[:3])


# --8<-- [end:cut]


# --8<-- [start:disconnect]
@pytest.mark.parametrize("path", ["/api/chat/completions", RELAY_PATH])
def test_a_client_that_leaves_cancels_the_provider_request(
    server: Server, client: httpx.Client, admin: Account, path: str
) -> None:
    """The client reads one frame and hangs up; within a second the provider sees
    its own client, the backend, close the stream. Tokens are 3 s apart, so the
    backend's 5 s timeout cannot be what ends it."""
    assert server.provider is not None
    words = unique_words()
    body = {
        "model": PROVIDER_MODEL,
        "messages": ask(words, "token_delay_ms=3000"),
        "stream": True,
    }
    with client.stream("POST", path, headers=admin.headers, json=body) as response:
        assert response.status_code == 200
        first = next(line for line in response.iter_lines() if line)
    # Leaving the block closed the connection: httpx does not pool an unread stream.
    left = time.monotonic()
    chunk_id = json.loads(first.removeprefix("data: "))["id"]
    closed = server.provider.wait_for_event(
        lambda event: (event["event"], event.get("id")) == ("stream_closed", chunk_id),
        timeout=3.0,
    )
    noticed = time.monotonic() - left
    assert closed is not None, server.provider.log_tail()
    assert noticed < 1.0
    assert closed["tokens_sent"] == 1


# --8<-- [end:disconnect]


@BOTH_MODES
@pytest.mark.parametrize("path", PATHS)
def test_an_unknown_model(
    server: Server, client: httpx.Client, admin: Account, path: str, streamed: bool
) -> None:
    """Nothing reaches the provider. The relay's message names no model: upstream
    formats it with an empty name."""
    assert server.provider is not None
    words = unique_words()
    body = {"model": "no-such-model", "messages": ask(words), "stream": streamed}
    response = client.post(path, headers=admin.headers, json=body)
    if path == RELAY_PATH:
        assert response.status_code == 404
        assert response.json() == {"detail": "Model '' was not found"}
    else:
        assert response.status_code == 400
        assert response.json() == API_MODEL_NOT_FOUND
    assert sent_to_provider(server.provider, words) == []


@pytest.mark.parametrize("path", PATHS)
def test_a_model_the_user_may_not_use(
    server: Server, client: httpx.Client, admin: Account, user: Account, path: str
) -> None:
    """A provider's model with no workspace entry is for admins only; so is an
    admin's private workspace model. The relay answers 403, the others 400."""
    assert server.provider is not None
    private = workspace_model_form(name="Private helper")
    created = client.post("/api/v1/models/create", headers=admin.headers, json=private)
    assert created.status_code == 200, created.text
    assert client.get("/api/models", headers=admin.headers).status_code == 200
    words = unique_words()
    for model in (PROVIDER_MODEL, private["id"]):
        body = {"model": model, "messages": ask(words)}
        response = client.post(path, headers=user.headers, json=body)
        if path == RELAY_PATH:
            assert (response.status_code, response.json()) == (403, API_MODEL_NOT_FOUND)
        else:
            assert (response.status_code, response.json()) == (400, API_MODEL_NOT_FOUND)
    assert sent_to_provider(server.provider, words) == []


@pytest.mark.parametrize("path", PATHS)
def test_a_completion_needs_a_session(client: httpx.Client, path: str) -> None:
    body = {"model": PROVIDER_MODEL, "messages": ask(unique_words())}
    response = client.post(path, json=body)
    assert response.status_code == 401
    assert response.json() == {"detail": messages.NOT_AUTHENTICATED}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "content",
    [b'{"model": "handbook-echo", "messages": [', b"[1, 2]", b'"text"'],
    ids=["truncated", "array", "string"],
)
def test_a_body_that_is_not_a_json_object_is_422(
    server: Server, client: httpx.Client, admin: Account, path: str, content: bytes
) -> None:
    """FastAPI's own validation error: a list of errors, each with a `loc`."""
    assert server.provider is not None
    before = len(server.provider.events("request"))
    response = client.post(
        path,
        headers=admin.headers | {"content-type": "application/json"},
        content=content,
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list)
    assert detail
    assert all({"type", "loc", "msg"} <= set(error) for error in detail)
    assert all(error["loc"][0] == "body" for error in detail)
    assert len(server.provider.events("request")) == before


def test_a_refused_request_saves_nothing_into_the_chat(
    client: httpx.Client, admin: Account
) -> None:
    """A request for an unknown model, with a chat and message id, changes nothing
    in the chat."""
    chat = new_chat(client, admin)
    path = f"/api/v1/chats/{chat['id']}"
    before = client.get(path, headers=admin.headers).json()
    body = {
        "model": "no-such-model",
        "messages": ask(unique_words()),
        "chat_id": chat["id"],
        "id": str(uuid.uuid4()),
    }
    response = client.post("/api/chat/completions", headers=admin.headers, json=body)
    assert (response.status_code, response.json()) == (400, API_MODEL_NOT_FOUND)
    assert client.get(path, headers=admin.headers).json() == before

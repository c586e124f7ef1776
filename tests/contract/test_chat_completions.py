"""Chat completions in API mode: what scripts and API-key clients get from
`/api/chat/completions`, `/api/v1/chat/completions` and `/openai/chat/completions`.

Each test compares a backend's answer with what the model provider itself answers to
the same request (ids and timestamps normalised), and reads the provider's log for
what the backend sent it.
"""

import http.client
import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx
import pytest

from . import storage
from .api import Account, new_chat
from .completions import (
    PATHS,
    PROVIDER_MODEL,
    UI_MODE_DETAIL,
    ask,
    direct_reply,
    direct_stream,
    normalise,
    reply_to,
    sent_to_provider,
    stream,
    unique_words,
    workspace_model_form,
)
from .servers import PROVIDER_KEY, Server

pytestmark = pytest.mark.needs_provider


def create_workspace_model(client: httpx.Client, admin: Account, **fields) -> dict:
    form = workspace_model_form(**fields)
    response = client.post("/api/v1/models/create", headers=admin.headers, json=form)
    assert response.status_code == 200, response.text
    # As the UI does after an edit: Open WebUI's /api/chat/completions resolves models
    # from the list it built last, and knows the new one only once it is listed.
    assert client.get("/api/models", headers=admin.headers).status_code == 200
    return response.json()


# --8<-- [start:json]
@pytest.mark.parametrize("path", PATHS)
def test_a_completion_is_the_providers_reply(
    server: Server, client: httpx.Client, admin: Account, path: str
) -> None:
    """`stream: false`: the provider's JSON as it is, sent with the connection's key."""
    assert server.provider is not None
    words = unique_words()
    body = {"model": PROVIDER_MODEL, "messages": ask(words)}
    response = client.post(path, headers=admin.headers, json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert normalise(response.json()) == direct_reply(server.provider, body)
    assert response.json()["choices"][0]["message"]["content"] == reply_to(words)
    [sent, _direct] = sent_to_provider(server.provider, words)
    assert sent["authorization"] == f"Bearer {PROVIDER_KEY}"
    assert sent["body"] == body
    # The JSON is answered anew: none of the provider's headers come with it.
    assert "x-provider-request-id" not in response.headers


# --8<-- [end:json]


# --8<-- [start:stream]
@pytest.mark.parametrize("path", PATHS)
def test_a_stream_relays_the_providers_frames(
    server: Server, client: httpx.Client, admin: Account, path: str
) -> None:
    """`stream: true`: every frame the provider sent, in order, then `[DONE]`; the
    provider's length and encoding headers are not passed on."""
    assert server.provider is not None
    words = unique_words()
    body = {"model": PROVIDER_MODEL, "messages": ask(words), "stream": True}
    relayed = stream(client, path, admin, body)
    assert relayed.status == 200
    assert relayed.error is None
    assert relayed.headers["content-type"] == "text/event-stream"
    assert relayed.headers["cache-control"] == "no-cache"
    # The provider's framing headers are its own: passed on, they would clash with
    # the backend's (a second Date or Transfer-Encoding, a wrong length).
    assert "content-length" not in relayed.headers
    assert "content-encoding" not in relayed.headers
    for name in ("date", "server", "transfer-encoding"):
        assert len(relayed.headers.get_list(name)) <= 1, name
    assert relayed.frames == direct_stream(server.provider, body).frames
    assert relayed.frames[-1] == "[DONE]"
    assert relayed.text == reply_to(words)
    [sent, _direct] = sent_to_provider(server.provider, words)
    assert sent["body"] == body
    # The stream keeps the provider's other headers.
    assert relayed.headers["x-provider-request-id"] == f"req-{sent['n']}"


# --8<-- [end:stream]


# --8<-- [start:as-they-come]
def test_an_api_key_client_streams_like_a_session(
    server: Server, client: httpx.Client, make_user: Callable[..., Account]
) -> None:
    """Scripts hold an API key, not a session: the stream is the same."""
    assert server.provider is not None
    holder = make_user(role="admin", label="scripter")
    created = client.post("/api/v1/auths/api_key", headers=holder.headers)
    assert created.status_code == 200, created.text
    keyed = replace(holder, token=created.json()["api_key"])
    words = unique_words()
    body = {"model": PROVIDER_MODEL, "messages": ask(words), "stream": True}
    relayed = stream(client, "/api/v1/chat/completions", keyed, body)
    assert (relayed.status, relayed.error) == (200, None)
    assert relayed.frames == direct_stream(server.provider, body).frames


@pytest.mark.parametrize("path", ["/api/chat/completions", "/openai/chat/completions"])
def test_frames_are_relayed_as_they_come(
    client: httpx.Client, admin: Account, path: str
) -> None:
    """A relay that buffered the whole reply would deliver every frame at once; the
    provider here waits 300 ms between tokens."""
    words = unique_words()
    body = {
        "model": PROVIDER_MODEL,
        "messages": ask(words, "token_delay_ms=300"),
        "stream": True,
    }
    arrivals = []
    with client.stream("POST", path, headers=admin.headers, json=body) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: {"):
                arrivals.append(time.monotonic())
    # 8 tokens and a finish frame: at least 7 pauses of 300 ms between the tokens.
    assert len(arrivals) == 9
    assert arrivals[7] - arrivals[0] >= 1.5


# --8<-- [end:as-they-come]


@pytest.mark.parametrize("path", PATHS)
def test_max_completion_tokens_becomes_max_tokens(
    server: Server, client: httpx.Client, admin: Account, path: str
) -> None:
    """The connection is not api.openai.com, so the newer name is rewritten to the
    one every OpenAI-compatible server knows."""
    assert server.provider is not None
    words = unique_words()
    body = {"model": PROVIDER_MODEL, "messages": ask(words), "max_completion_tokens": 3}
    response = client.post(path, headers=admin.headers, json=body)
    assert response.status_code == 200, response.text
    choice = response.json()["choices"][0]
    assert (choice["message"]["content"], choice["finish_reason"]) == (
        reply_to(words, 3),
        "length",
    )
    [sent] = sent_to_provider(server.provider, words)
    assert sent["body"] == {
        "model": PROVIDER_MODEL,
        "messages": ask(words),
        "max_tokens": 3,
    }


# --8<-- [start:workspace-params]
@pytest.mark.parametrize("path", PATHS)
def test_a_workspace_model_sends_its_base_model_params_and_system_prompt(
    server: Server, client: httpx.Client, admin: Account, path: str
) -> None:
    """The provider gets the base model's id, the workspace model's system prompt
    before the messages, and its params where the request sets none: the request's
    own values win. The reply names the model the provider answered as."""
    assert server.provider is not None
    params = {"system": "Be brief.", "temperature": 0.2, "seed": 7, "max_tokens": 5}
    model = create_workspace_model(client, admin, params=params)
    words = unique_words()
    body = {"model": model["id"], "messages": ask(words), "temperature": 0.9}
    response = client.post(path, headers=admin.headers, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["model"] == PROVIDER_MODEL
    assert response.json()["choices"][0]["message"]["content"] == reply_to(words, 5)
    [sent] = sent_to_provider(server.provider, words)
    assert sent["body"] == {
        "model": PROVIDER_MODEL,
        "messages": [{"role": "system", "content": "Be brief."}, *ask(words)],
        "temperature": 0.9,
        "seed": 7,
        "max_tokens": 5,
    }


# --8<-- [end:workspace-params]


def test_a_model_with_the_usage_capability_asks_for_usage(
    server: Server, client: httpx.Client, admin: Account
) -> None:
    """Providers report token counts in a stream only when asked: for a model whose
    meta says it can, /api/chat/completions asks on the client's behalf."""
    assert server.provider is not None
    model = create_workspace_model(
        client, admin, meta={"description": "d", "capabilities": {"usage": True}}
    )
    words = unique_words()
    body = {"model": model["id"], "messages": ask(words), "stream": True}
    relayed = stream(client, "/api/chat/completions", admin, body)
    assert (relayed.status, relayed.error) == (200, None)
    [sent] = sent_to_provider(server.provider, words)
    assert sent["body"] == {
        "model": PROVIDER_MODEL,
        "messages": ask(words),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    usage = [frame for frame in relayed.frames if isinstance(frame, dict)][-1]
    assert usage["choices"] == []
    assert usage["usage"]["completion_tokens"] == len(reply_to(words).split())


@pytest.mark.parametrize("path", PATHS)
def test_the_frontends_fields_are_not_sent_on(
    server: Server, client: httpx.Client, admin: Account, path: str
) -> None:
    """Fields Open WebUI's frontend adds to a request: /api/chat/completions reads
    and removes them, merging the model params of `params` into the body (its
    `system` is not one: no system message is added); the /openai relay sends the
    body as it came."""
    assert server.provider is not None
    words = unique_words()
    extra = {
        "params": {"temperature": 0.5, "system": "From params."},
        "features": {"web_search": False},
        "variables": {"{{USER_NAME}}": "Ada"},
        "tool_ids": None,
        "files": None,
    }
    body = {"model": PROVIDER_MODEL, "messages": ask(words)} | extra
    response = client.post(path, headers=admin.headers, json=body)
    assert response.status_code == 200, response.text
    [sent] = sent_to_provider(server.provider, words)
    if path == "/openai/chat/completions":
        assert sent["body"] == body
    else:
        assert sent["body"] == {
            "model": PROVIDER_MODEL,
            "messages": ask(words),
            "temperature": 0.5,
        }


# --8<-- [start:save]
@pytest.mark.parametrize("streamed", [False, True], ids=["json", "stream"])
def test_the_reply_is_saved_into_the_chat(
    server: Server, client: httpx.Client, admin: Account, streamed: bool
) -> None:
    """With `chat_id` and the assistant message's `id`, the reply is written into the
    chat's history, and into its `chat_message` row, once it is complete.

    Upstream's oddity, kept: asked to stream, it consumes the stream itself and
    answers `null`; the text is only in the chat.
    """
    chat = new_chat(client, admin)
    message_id = str(uuid.uuid4())
    words = unique_words()
    body = {
        "model": PROVIDER_MODEL,
        "messages": ask(words),
        "stream": streamed,
        "chat_id": chat["id"],
        "id": message_id,
    }
    response = client.post("/api/chat/completions", headers=admin.headers, json=body)
    assert response.status_code == 200, response.text
    if streamed:
        assert response.json() is None
    else:
        assert response.json()["choices"][0]["message"]["content"] == reply_to(words)
    saved = client.get(f"/api/v1/chats/{chat['id']}", headers=admin.headers).json()
    history = saved["chat"]["history"]
    assert history["currentId"] == message_id
    message = history["messages"][message_id]
    assert {
        key: message[key]
        for key in ("id", "parentId", "childrenIds", "role", "content", "done", "model")
    } == {
        "id": message_id,
        "parentId": None,
        "childrenIds": [],
        "role": "assistant",
        "content": reply_to(words),
        "done": True,
        "model": PROVIDER_MODEL,
    }
    [output] = message["output"]
    assert (output["type"], output["role"], output["status"]) == (
        "message",
        "assistant",
        "completed",
    )
    assert output["content"] == [{"type": "output_text", "text": reply_to(words)}]
    # A stream carries usage only when asked for it; a JSON reply always does.
    assert ("usage" in message) is not streamed
    assert saved["current_message_id"] == message_id
    row = storage.chat_message(server, chat["id"], message_id)
    assert row == {
        "chat_id": chat["id"],
        "user_id": admin.id,
        "role": "assistant",
        "parent_id": None,
        "content": reply_to(words),
        "model_id": PROVIDER_MODEL,
        "done": True,
    }


# --8<-- [end:save]


# --8<-- [start:leave-while-saving]
def test_a_reply_is_saved_when_the_client_leaves_while_it_is_read(
    server: Server, client: httpx.Client, admin: Account
) -> None:
    """The client sends a streamed request for a chat, waits until the provider has
    it, and hangs up. The backend reads the provider's reply to its end anyway and
    saves it: the provider never sees its stream closed early, and the chat's
    message ends up whole and done."""
    assert server.provider is not None
    chat = new_chat(client, admin)
    message_id = str(uuid.uuid4())
    words = unique_words()
    body = {
        "model": PROVIDER_MODEL,
        # 8 tokens 450 ms apart: the reply takes about 3.2 s to read.
        "messages": ask(words, "token_delay_ms=450"),
        "stream": True,
        "chat_id": chat["id"],
        "id": message_id,
    }
    url = httpx.URL(server.base_url)
    # http.client sends the request without reading the answer, so the test decides
    # when the connection closes.
    leaving = http.client.HTTPConnection(url.host, url.port, timeout=10)
    try:
        leaving.request(
            "POST",
            "/api/chat/completions",
            body=json.dumps(body),
            headers=admin.headers | {"Content-Type": "application/json"},
        )
        asked = server.provider.wait_for_event(
            lambda event: event["event"] == "request" and words in json.dumps(event),
            timeout=10.0,
        )
    finally:
        leaving.close()
    assert asked is not None, server.provider.log_tail()
    chat_path = f"/api/v1/chats/{chat['id']}"
    when_left = client.get(chat_path, headers=admin.headers).json()
    assert when_left["chat"]["history"]["messages"][message_id]["done"] is False
    row = None
    deadline = time.monotonic() + 15.0
    while time.monotonic() < deadline and not (row and row["done"]):
        time.sleep(0.2)
        row = storage.chat_message(server, chat["id"], message_id)
    assert row is not None
    assert (row["content"], row["done"]) == (reply_to(words), True)
    saved = client.get(chat_path, headers=admin.headers).json()
    message = saved["chat"]["history"]["messages"][message_id]
    assert (message["content"], message["done"]) == (reply_to(words), True)
    completion_id = f"chatcmpl-{asked['n']}"
    closed = [
        event
        for event in server.provider.events("stream_closed")
        if event["id"] == completion_id
    ]
    assert closed == []


# --8<-- [end:leave-while-saving]


def test_a_saved_chat_sends_its_stored_turns_and_the_first_system_message(
    server: Server, client: httpx.Client, admin: Account
) -> None:
    """With `chat_id` and a `user_message`, the provider gets the conversation the
    chat stores, not the request's `messages`, with the request's first system
    message put first, wherever it stood."""
    assert server.provider is not None
    chat = new_chat(client, admin)
    words = unique_words()
    system = {"role": "system", "content": "Answer briefly."}
    body = {
        "model": PROVIDER_MODEL,
        "messages": [
            {"role": "user", "content": "the request's own turn"},
            system,
            {"role": "system", "content": "A second system message."},
        ],
        "chat_id": chat["id"],
        "id": str(uuid.uuid4()),
        "user_message": {"id": str(uuid.uuid4()), "role": "user", "content": words},
    }
    response = client.post("/api/chat/completions", headers=admin.headers, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == reply_to(words)
    [sent] = sent_to_provider(server.provider, words)
    assert sent["body"]["messages"] == [system, {"role": "user", "content": words}]


def test_ui_mode_completions_stay_on_open_webui(
    server: Server, client: httpx.Client, admin: Account
) -> None:
    """A declared difference. With `session_id` and `chat_id` the browser asks Open
    WebUI to answer at once and stream over Socket.IO. Open WebUI does; the twins do
    not serve Socket.IO, so they refuse with a 400 that says where such requests go,
    call no provider and save nothing. The parallel run routes them to Open WebUI."""
    assert server.provider is not None
    chat = new_chat(client, admin)
    chat_path = f"/api/v1/chats/{chat['id']}"
    before = client.get(chat_path, headers=admin.headers).json()
    words = unique_words()
    body = {
        "model": PROVIDER_MODEL,
        "messages": ask(words),
        "stream": True,
        "chat_id": chat["id"],
        "id": str(uuid.uuid4()),
        "session_id": "socket-session-1",
    }
    response = client.post("/api/chat/completions", headers=admin.headers, json=body)
    if server.target.impl == "upstream":
        assert response.status_code == 200
        answer = response.json()
        assert set(answer) == {"status", "task_ids", "chat_id"}
        assert (answer["status"], answer["chat_id"]) == (True, chat["id"])
        assert len(answer["task_ids"]) == 1
        return
    assert response.status_code == 400
    assert response.json() == {"detail": UI_MODE_DETAIL}
    assert sent_to_provider(server.provider, words) == []
    assert client.get(chat_path, headers=admin.headers).json() == before


def test_mid_stream_the_chat_holds_an_empty_reply(
    server: Server, client: httpx.Client, admin: Account
) -> None:
    """The reply is written once, at the end: while the provider is still sending,
    the chat holds the assistant message as a placeholder, empty and not done."""
    chat = new_chat(client, admin)
    message_id = str(uuid.uuid4())
    words = unique_words()
    body = {
        "model": PROVIDER_MODEL,
        "messages": ask(words, "token_delay_ms=400"),
        "stream": True,
        "chat_id": chat["id"],
        "id": message_id,
    }
    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(
            client.post, "/api/chat/completions", headers=admin.headers, json=body
        )
        # 8 tokens 400 ms apart: the stream runs for about 2.8 s. The first look
        # that finds the message is well inside it.
        placeholder = None
        deadline = time.monotonic() + 2.0
        while placeholder is None and time.monotonic() < deadline:
            time.sleep(0.1)
            during = client.get(f"/api/v1/chats/{chat['id']}", headers=admin.headers)
            # Before the turn is written, Open WebUI's chat may have no history yet.
            history = during.json()["chat"].get("history", {})
            placeholder = history.get("messages", {}).get(message_id)
        response = answer.result(timeout=30)
    assert response.status_code == 200, response.text
    assert placeholder is not None
    assert (placeholder["content"], placeholder["done"]) == ("", False)
    assert storage.chat_message(server, chat["id"], message_id)["done"] is True
    after = client.get(f"/api/v1/chats/{chat['id']}", headers=admin.headers).json()
    saved = after["chat"]["history"]["messages"][message_id]
    assert (saved["content"], saved["done"]) == (reply_to(words), True)

"""The model provider over HTTP, as Open WebUI and the benchmark see it."""

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from server_process import free_port, start, stop
from support.provider import (
    Provider,
    openai_connection_env,
    provider_binary,
    running_provider,
)

MODELS = ("handbook-echo", "handbook-second")
TOKENS = 8
QUESTION = [
    {"role": "system", "content": "You answer briefly."},
    {"role": "user", "content": "ignored: not the last"},
    {"role": "assistant", "content": "ok"},
    {"role": "user", "content": "why is the sky blue"},
]
# The words of the last user message, cycled to TOKENS tokens.
ANSWER = "why is the sky blue why is the"
# Words in all the messages: 3 + 4 + 1 + 5.
PROMPT_TOKENS = 13


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    workdir = tmp_path_factory.mktemp("provider")
    with running_provider(workdir, models=MODELS, tokens=TOKENS, delay_ms=1) as served:
        yield served


@pytest.fixture
def client(provider: Provider) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=provider.base_url, timeout=10.0) as opened:
        yield opened


def chat(**fields: object) -> dict[str, object]:
    return {"model": MODELS[0], "messages": QUESTION} | fields


def stream_payloads(response: httpx.Response) -> list[str]:
    """The `data:` payloads of an event stream, checking that nothing else is in it."""
    lines = [line for line in response.iter_lines() if line]
    payloads = [line.removeprefix("data: ") for line in lines]
    assert [f"data: {payload}" for payload in payloads] == lines
    return payloads


def error_body(message: str, code: str | None) -> dict[str, object]:
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": None,
            "code": code,
        }
    }


def test_lists_the_configured_models(client: httpx.Client) -> None:
    response = client.get("/models")
    assert response.status_code == 200
    assert response.json() == {
        "object": "list",
        "data": [
            {"id": model, "object": "model", "created": 1_700_000_000}
            | {"owned_by": "handbook"}
            for model in MODELS
        ],
    }


def test_a_completion_cycles_the_last_user_message(client: httpx.Client) -> None:
    response = client.post("/chat/completions", json=chat(model=MODELS[1]))
    assert response.status_code == 200
    body = response.json()
    assert body["id"].startswith("chatcmpl-")
    assert (body["object"], body["model"]) == ("chat.completion", MODELS[1])
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": ANSWER},
            "finish_reason": "stop",
        }
    ]
    assert body["usage"] == {
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": TOKENS,
        "total_tokens": PROMPT_TOKENS + TOKENS,
    }


def test_without_user_words_the_reply_uses_fixed_words(client: httpx.Client) -> None:
    messages = [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]
    response = client.post("/chat/completions", json=chat(messages=messages))
    assert response.status_code == 200
    text = response.json()["choices"][0]["message"]["content"]
    assert text == "hello from the handbook provider hello from the"


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_the_request_limit_caps_the_reply(client: httpx.Client, field: str) -> None:
    response = client.post("/chat/completions", json=chat(**{field: 3}))
    assert response.status_code == 200
    body = response.json()
    assert body["choices"][0]["message"]["content"] == "why is the"
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 3


def test_a_stream_carries_the_same_text_chunk_by_chunk(client: httpx.Client) -> None:
    whole = client.post("/chat/completions", json=chat()).json()
    request = chat(stream=True, stream_options={"include_usage": True})
    with client.stream("POST", "/chat/completions", json=request) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        payloads = stream_payloads(response)
    # One chunk per token, the finish, the usage, then [DONE].
    assert len(payloads) == TOKENS + 3
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(payload) for payload in payloads[:-1]]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk["id"] for chunk in chunks}) == 1
    tokens, finish, usage = chunks[:TOKENS], chunks[TOKENS], chunks[TOKENS + 1]
    assert tokens[0]["choices"][0]["delta"]["role"] == "assistant"
    deltas = [chunk["choices"][0]["delta"] for chunk in tokens]
    assert not any("role" in delta for delta in deltas[1:])
    assert [chunk["choices"][0]["finish_reason"] for chunk in tokens] == [None] * TOKENS
    text = "".join(delta["content"] for delta in deltas)
    assert text == whole["choices"][0]["message"]["content"] == ANSWER
    assert finish["choices"] == [{"index": 0, "delta": {}, "finish_reason": "stop"}]
    assert usage["choices"] == []
    assert usage["usage"] == whole["usage"]


def test_a_stream_has_no_usage_unless_asked(client: httpx.Client) -> None:
    with client.stream("POST", "/chat/completions", json=chat(stream=True)) as response:
        payloads = stream_payloads(response)
    assert len(payloads) == TOKENS + 2
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(payload) for payload in payloads[:-1]]
    assert not any("usage" in chunk for chunk in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_tokens_are_sent_as_they_are_made(tmp_path: Path) -> None:
    # 5 tokens 50 ms apart: 4 waits, so at least 200 ms from the first to the last.
    with (
        running_provider(tmp_path, tokens=5, delay_ms=50) as provider,
        httpx.Client(base_url=provider.base_url, timeout=10.0) as client,
    ):
        request = chat(model=provider.models[0], stream=True)
        arrivals = []
        started = time.monotonic()
        with client.stream("POST", "/chat/completions", json=request) as response:
            for line in response.iter_lines():
                if line:
                    arrivals.append((time.monotonic(), line))
        elapsed = time.monotonic() - started
    assert len(arrivals) == 5 + 2
    assert elapsed >= 0.2
    # Frames are flushed one by one: a buffered reply would arrive all at once.
    first_token, last_token = arrivals[0][0], arrivals[4][0]
    assert last_token - first_token >= 0.15


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "sk-handbook"}],
    ids=["none", "wrong-key", "not-bearer"],
)
def test_a_key_is_required_when_one_is_set(
    tmp_path: Path, headers: dict[str, str]
) -> None:
    with (
        running_provider(tmp_path, api_key="sk-handbook") as provider,
        httpx.Client(base_url=provider.base_url, timeout=10.0) as client,
    ):
        assert provider.headers() == {"Authorization": "Bearer sk-handbook"}
        request = chat(model=provider.models[0])
        for response in (
            client.get("/models", headers=headers),
            client.post("/chat/completions", json=request, headers=headers),
        ):
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "invalid_api_key"
            assert response.json()["error"]["type"] == "invalid_request_error"
        authorized = client.post(
            "/chat/completions", json=request, headers=provider.headers()
        )
        assert authorized.status_code == 200


def directed(directive: str, **fields: object) -> dict[str, object]:
    """A request whose last user message carries `provider: {directive}`."""
    message = {"role": "user", "content": f"why is the sky blue\nprovider: {directive}"}
    return chat(messages=[*QUESTION[:-1], message], **fields)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_directive_picks_the_error_status(client: httpx.Client, stream: bool) -> None:
    request = directed("status=429 retry_after=7", stream=stream)
    response = client.post("/chat/completions", json=request)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error_body(
        "The request's directive asked for status 429.", "directed_failure"
    )
    unkept = client.post("/chat/completions", json=directed("status=503"))
    assert unkept.status_code == 503
    assert "retry-after" not in unkept.headers


def test_a_directive_can_ask_for_a_plain_text_error(client: httpx.Client) -> None:
    response = client.post("/chat/completions", json=directed("status=502 body=text"))
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "The request's directive asked for status 502."


def test_directive_lines_are_not_words_of_the_reply(client: httpx.Client) -> None:
    response = client.post("/chat/completions", json=directed("token_delay_ms=0"))
    assert response.json()["choices"][0]["message"]["content"] == ANSWER
    assert response.json()["usage"]["prompt_tokens"] == PROMPT_TOKENS


def test_a_cut_stream_stops_without_its_end(client: httpx.Client) -> None:
    request = directed("cut_after=3", stream=True)
    lines = []

    def read_all() -> None:
        with client.stream("POST", "/chat/completions", json=request) as response:
            assert response.status_code == 200
            lines.extend(line for line in response.iter_lines() if line)

    with pytest.raises(httpx.RemoteProtocolError):
        read_all()
    # Three tokens, then the connection drops: no finish chunk, no [DONE].
    assert len(lines) == 3
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines]
    text = "".join(chunk["choices"][0]["delta"]["content"] for chunk in chunks)
    assert text == "why is the"


def test_a_delay_holds_back_the_headers(client: httpx.Client) -> None:
    started = time.monotonic()
    response = client.post("/chat/completions", json=directed("delay_ms=400"))
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.4


def test_a_malformed_directive_is_400(client: httpx.Client) -> None:
    response = client.post("/chat/completions", json=directed("cut_after=soon"))
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        'directive "cut_after=soon": invalid digit found in string'
    )


def test_the_log_has_every_request_as_it_came(tmp_path: Path) -> None:
    with (
        running_provider(tmp_path, api_key="sk-logged") as provider,
        httpx.Client(base_url=provider.base_url, timeout=10.0) as client,
    ):
        request = chat(model=provider.models[0])
        client.post("/chat/completions", json=request, headers=provider.headers())
        client.get("/models", headers={"Authorization": "Bearer wrong"})
        client.post("/chat/completions", content=b"{", headers=provider.headers())
        events = provider.events()
    assert events == [
        {
            "event": "request",
            "n": 1,
            "method": "POST",
            "path": "/v1/chat/completions",
            "authorization": "Bearer sk-logged",
            "body": request,
        },
        {
            "event": "request",
            "n": 2,
            "method": "GET",
            "path": "/v1/models",
            "authorization": "Bearer wrong",
            "body": None,
        },
        {
            "event": "request",
            "n": 3,
            "method": "POST",
            "path": "/v1/chat/completions",
            "authorization": "Bearer sk-logged",
            "body": "{",
        },
    ]


def test_the_log_says_when_a_client_leaves_a_stream(tmp_path: Path) -> None:
    with (
        running_provider(tmp_path, tokens=8) as provider,
        httpx.Client(base_url=provider.base_url, timeout=10.0) as client,
    ):
        request = directed(
            "token_delay_ms=60000", model=provider.models[0], stream=True
        )
        with client.stream("POST", "/chat/completions", json=request) as response:
            first = next(line for line in response.iter_lines() if line)
        left = time.monotonic()
        chunk_id = json.loads(first.removeprefix("data: "))["id"]
        closed = provider.wait_for_event(
            lambda event: event["event"] == "stream_closed", timeout=5.0
        )
        noticed = time.monotonic() - left
        [opened] = provider.events("request")
    assert closed == {"event": "stream_closed", "id": chunk_id, "tokens_sent": 1}
    assert chunk_id == f"chatcmpl-{opened['n']}"
    assert noticed < 1.0


def test_a_slow_model_list_answers_late(tmp_path: Path) -> None:
    with (
        running_provider(tmp_path, models_delay_ms=500) as provider,
        httpx.Client(base_url=provider.base_url, timeout=10.0) as client,
    ):
        started = time.monotonic()
        assert client.get("/models").status_code == 200
        assert time.monotonic() - started >= 0.5
        # Completions are not slowed.
        started = time.monotonic()
        completion = client.post("/chat/completions", json=chat(model="handbook-echo"))
        assert completion.status_code == 200
        assert time.monotonic() - started < 0.5


def test_an_unknown_model_is_404(client: httpx.Client) -> None:
    response = client.post("/chat/completions", json=chat(model="gpt-nothing"))
    assert response.status_code == 404
    assert response.json() == error_body(
        "The model `gpt-nothing` does not exist.", "model_not_found"
    )


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b'{"model": "handbook-echo"}',
        json.dumps(chat(max_tokens=0)).encode(),
        json.dumps(chat(stream="yes")).encode(),
        json.dumps(chat(messages=[{"role": "user", "content": 42}])).encode(),
    ],
    ids=["truncated", "array", "no-messages", "zero-tokens", "bad-stream", "bad-part"],
)
def test_a_malformed_body_is_400(client: httpx.Client, body: bytes) -> None:
    response = client.post(
        "/chat/completions",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"].startswith("Invalid body: ")
    assert error == error_body(error["message"], None)["error"]


def test_an_unknown_route_is_404_in_openai_shape(client: httpx.Client) -> None:
    response = client.get("/engines")
    assert response.status_code == 404
    assert response.json() == error_body("Invalid URL (GET /v1/engines)", None)


@contextmanager
def bare_provider(workdir: Path, **env: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """The binary itself, without the launcher: its process and its base URL."""
    port = free_port()
    log_path = workdir / "provider.log"
    with log_path.open("ab") as log:
        process = start([provider_binary()], workdir, env | {"PORT": str(port)}, log)
        try:
            deadline = time.monotonic() + 20.0
            while "listening" not in log_path.read_text():
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.05)
            yield process, f"http://127.0.0.1:{port}/v1"
        finally:
            stop(process)


def test_sigterm_stops_it_cleanly(tmp_path: Path) -> None:
    with bare_provider(tmp_path) as (process, base_url):
        pass
    assert process.returncode == 0
    lines = (tmp_path / "provider.log").read_text().splitlines()
    assert lines == [f"model-provider listening on {base_url}"]


def test_a_client_that_leaves_ends_its_stream(tmp_path: Path) -> None:
    # Tokens an hour apart. SIGTERM lets in-flight replies finish, so if the stream
    # outlived its client, `stop` would have to SIGKILL the server after 10 s.
    with bare_provider(tmp_path, PROVIDER_DELAY_MS="3600000") as (process, base_url):
        request = chat(model="handbook-echo", stream=True)
        with (
            httpx.Client(base_url=base_url, timeout=10.0) as client,
            client.stream("POST", "/chat/completions", json=request) as response,
        ):
            first = next(line for line in response.iter_lines() if line)
            assert '"role":"assistant"' in first
        # The client has closed the connection, mid-stream.
    assert process.returncode == 0


def test_a_missing_binary_fails_with_the_build_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTRACT_PROVIDER_BINARY", str(tmp_path / "absent"))
    with (
        pytest.raises(pytest.fail.Exception, match="cargo build -p model-provider"),
        running_provider(tmp_path),
    ):
        pass


def test_the_connection_env_points_open_webui_at_it(tmp_path: Path) -> None:
    keyed = Provider("http://127.0.0.1:1/v1", ("m",), "sk-x", tmp_path / "log")
    assert openai_connection_env(keyed) == {
        "ENABLE_OPENAI_API": "true",
        "OPENAI_API_BASE_URLS": "http://127.0.0.1:1/v1",
        "OPENAI_API_KEYS": "sk-x",
    }
    keyless = Provider("http://127.0.0.1:1/v1", ("m",), None, tmp_path / "log")
    assert openai_connection_env(keyless)["OPENAI_API_KEYS"] == ""

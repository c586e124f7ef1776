"""What the tests of the completion path share: requests for the model provider,
what it logged, and server-sent events parsed into frames that compare across
implementations.

The provider's reply is built from the request alone (see examples/model-provider), so
a test knows the text in advance; a unique word in each prompt finds the request that
a backend sent in the provider's log.
"""

import json
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import cycle, islice

import httpx
from support.provider import Provider

from .api import Account

PROVIDER_MODEL = "handbook-echo"
# The provider's reply length unless a request asks for fewer tokens.
TOKENS = 8
PATHS = (
    "/api/chat/completions",
    "/api/v1/chat/completions",
    "/openai/chat/completions",
)
# The twins' answer to a UI-mode request (one with a session_id), which they leave to
# Open WebUI: it streams over Socket.IO.
UI_MODE_DETAIL = (
    "UI-mode chat completions (with session_id) stream their reply over Socket.IO and "
    "are served by Open WebUI; send the request without session_id to get the reply "
    "in the response."
)
SERVER_CONNECTION_ERROR = {"detail": "Open WebUI: Server Connection Error"}
# Values that differ from run to run, replaced before frames are compared.
VOLATILE = {"id": "<id>", "created": 0, "system_fingerprint": "<fingerprint>"}


def unique_words(count: int = 3) -> str:
    """Words no other test sends: the reply echoes them, the log finds them."""
    return " ".join(f"w{uuid.uuid4().hex[:8]}" for _ in range(count))


def workspace_model_form(**fields: object) -> dict:
    """A workspace model built on the provider's model, as the editor sends it,
    with a fresh id and name."""
    return {
        "id": f"team/{uuid.uuid4().hex[:10]}",
        "base_model_id": PROVIDER_MODEL,
        "name": f"Helper {uuid.uuid4().hex[:8]}",
        "meta": {"description": "Answers briefly."},
        "params": {},
    } | fields


def ask(words: str, directive: str | None = None) -> list[dict]:
    """One user message; `directive` (e.g. "status=429") steers the provider."""
    content = f"{words}\nprovider: {directive}" if directive else words
    return [{"role": "user", "content": content}]


def reply_to(words: str, tokens: int = TOKENS) -> str:
    """The provider's reply to a last user message of `words`."""
    return " ".join(islice(cycle(words.split()), tokens))


def sent_to_provider(provider: Provider, words: str) -> list[dict]:
    """The chat requests the provider received whose body holds `words`, oldest
    first: what the backend sent, with the Authorization header it sent."""
    return [
        event
        for event in provider.events("request")
        if event["path"] == "/v1/chat/completions"
        and words in json.dumps(event["body"])
    ]


def normalise(value: object) -> object:
    """A JSON value with the run-dependent fields of each object replaced."""
    if isinstance(value, dict):
        return {
            key: VOLATILE[key] if key in VOLATILE else normalise(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [normalise(item) for item in value]
    return value


@dataclass
class Streamed:
    """A streamed response as a client saw it."""

    status: int
    headers: httpx.Headers
    # Non-empty lines: blank lines only separate events.
    lines: list[str]
    # The transport error that ended the body early, if one did.
    error: str | None

    @property
    def frames(self) -> list[object]:
        """Each `data:` payload, JSON parsed and normalised; `[DONE]` as the text."""
        payloads = [line.removeprefix("data: ") for line in self.lines]
        assert [f"data: {payload}" for payload in payloads] == self.lines
        return [
            payload if payload == "[DONE]" else normalise(json.loads(payload))
            for payload in payloads
        ]

    @property
    def text(self) -> str:
        """The assistant's text: the content of every delta, joined."""
        return "".join(
            choice["delta"].get("content") or ""
            for frame in self.frames
            if isinstance(frame, dict)
            for choice in frame.get("choices", [])
        )


def stream(client: httpx.Client, path: str, caller: Account, body: dict) -> Streamed:
    """POST `body` and read the whole streamed answer, noting how it ended."""
    lines: list[str] = []
    with client.stream("POST", path, headers=caller.headers, json=body) as response:
        try:
            lines.extend(line for line in response.iter_lines() if line)
            error = None
        except httpx.RemoteProtocolError as cut:
            error = type(cut).__name__
        return Streamed(response.status_code, response.headers, lines, error)


def direct_stream(provider: Provider, body: dict) -> Streamed:
    """The same request sent to the provider itself: what a relay must pass on."""
    with httpx.Client(base_url=provider.base_url, timeout=30.0) as client:
        lines: list[str] = []
        with client.stream(
            "POST", "/chat/completions", headers=provider.headers(), json=body
        ) as response:
            lines.extend(line for line in response.iter_lines() if line)
            return Streamed(response.status_code, response.headers, lines, None)


def direct_reply(provider: Provider, body: dict) -> dict:
    """The provider's own JSON reply to `body`, normalised."""
    with httpx.Client(base_url=provider.base_url, timeout=30.0) as client:
        response = client.post(
            "/chat/completions", headers=provider.headers(), json=body
        )
        assert response.status_code == 200, response.text
        return normalise(response.json())


def closed_port_url() -> str:
    """A base URL where nothing listens: a provider that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@contextmanager
def openai_connections(
    client: httpx.Client, admin: Account, **changes: object
) -> Iterator[dict]:
    """Change the OpenAI connections for one block, as the admin panel does; the
    settings found before are posted back after it, so other tests see the session's
    provider alone. Yields the update's answer."""
    original = client.get("/openai/config", headers=admin.headers)
    assert original.status_code == 200, original.text
    form = original.json() | changes
    response = client.post("/openai/config/update", headers=admin.headers, json=form)
    assert response.status_code == 200, response.text
    try:
        yield response.json()
    finally:
        restored = client.post(
            "/openai/config/update", headers=admin.headers, json=original.json()
        )
        assert restored.status_code == 200, restored.text
